#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stimpack_core::fuzzing::wav_aiff(data));
