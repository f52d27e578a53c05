//! Arbitrary bytes into `container::read_header` and `decompress`: must never panic, and an
//! `Ok` must be consistent (`neurice_model::contract`).
#![no_main]

use libfuzzer_sys::fuzz_target;

use neurice_model::contract as check;

fuzz_target!(|data: &[u8]| {
    let _ = check::check_stream(data);
});
