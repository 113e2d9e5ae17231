//! Arbitrary bytes as a stream of transactions cut into blocks: proposing and re-validating them
//! conserves supply and keeps two replicas identical.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sinew_testkit::harness::apply_ops(data));
