//! Arbitrary bytes through transaction decoding: never panics, and decoding is canonical.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sinew_testkit::harness::decode_roundtrip(data));
