#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stimpack_core::fuzzing::image(data));
