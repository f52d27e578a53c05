//! Arbitrary bytes into `compress_wav` (the RIFF walker and its fmt check): must never panic, and
//! every accepted input must decompress to itself byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;

use neurice_model::contract as check;

fuzz_target!(|data: &[u8]| {
    let _ = check::check_wav(data);
});
