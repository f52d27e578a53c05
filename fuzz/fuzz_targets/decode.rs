//! Arbitrary bytes into `container::read_header` and `decompress`: must never panic, and an
//! `Ok` must be consistent (see `check.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check_stream(data));
