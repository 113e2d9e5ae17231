//! Arbitrary bytes through every parser of an untrusted HTTP body, header or query.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sinew_node::api::fuzz_request_bodies(data));
