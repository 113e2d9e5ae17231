//! Arbitrary bytes as transactions of every payload kind, by every participant, cut into blocks:
//! a second replica agrees after every block and every token stays where it is owed.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sinew_testkit::harness::ledger_ops(data);
});
