//! Arbitrary bytes into `compress_wav` (the RIFF walker and its fmt check): must never panic, and
//! every accepted input must decompress to itself byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check_wav(data));
