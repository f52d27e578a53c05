//! The contracts every target checks, shared by `#[path]` (the same as
//! `golden-model/tests/fuzz_regression.rs`, which runs them on stable Rust).
#![allow(dead_code)] // each target uses one of the checks

use neurice_model::container::read_header;
use neurice_model::wav::parse_wav;
use neurice_model::{compress_wav_with, decompress, Coder};

/// Any bytes given to the decoder: no panic; `read_header` accepts whatever `decompress`
/// accepts and agrees with it; an `Ok` is a WAV with the stored CRC that the model parses and
/// that round-trips through the codec byte for byte.
pub fn check_stream(nrc: &[u8]) {
    let header = read_header(nrc);
    if let Ok(wav) = decompress(nrc) {
        let h = header.expect("decompress accepted what read_header refused");
        assert_eq!(
            h.wav_crc,
            crc32fast::hash(&wav),
            "Ok output is not the stored WAV"
        );
        let parsed = parse_wav(&wav).expect("decompress produced a WAV the model cannot parse");
        assert_eq!(parsed.channels, h.channels);
        assert_eq!(parsed.sample_rate, h.sample_rate);
        assert_eq!(parsed.frames(), h.frames as usize);
        assert_eq!(parsed.to_bytes(), wav);
        let (again, _) =
            compress_wav_with(&wav, h.coder).expect("a decoded WAV must compress again");
        assert_eq!(decompress(&again).expect("and decode again"), wav);
    }
}

/// Any bytes given to the encoder, with both coders: no panic, both accept or both refuse,
/// and an `Ok` decodes back to the input exactly.
pub fn check_wav(wav: &[u8]) {
    let results = Coder::ALL.map(|c| compress_wav_with(wav, c));
    assert_eq!(
        results[0].is_ok(),
        results[1].is_ok(),
        "one coder accepted what the other refused"
    );
    for (nrc, stats) in results.into_iter().flatten() {
        assert_eq!(stats.nrc_bytes as usize, nrc.len());
        assert_eq!(decompress(&nrc).expect("decode what was just coded"), wav);
    }
}
