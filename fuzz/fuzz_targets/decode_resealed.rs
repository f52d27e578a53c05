//! Like `decode`, but the input gets a valid container CRC-32 appended, so the fuzzer explores
//! the header parser and the bit-stream decoder behind the checksum instead of the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;

use neurice_model::contract as check;

fuzz_target!(|data: &[u8]| {
    let mut nrc = data.to_vec();
    nrc.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    let _ = check::check_stream(&nrc);
});
