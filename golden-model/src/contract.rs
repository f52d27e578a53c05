//! The fuzz contract: what must hold for *any* bytes given to the decoder or the encoder.
//!
//! One definition for both users: the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly)
//! and the deterministic fuzzing on stable Rust (`tests/fuzz_regression.rs`). Not part of the
//! codec's API (hidden from the docs); a violated contract panics, a refused input returns
//! its error kind.

use crate::container::read_header;
use crate::wav::parse_wav;
use crate::{compress_wav_with, decompress, Coder, Error};

/// Any bytes given to the decoder: no panic; `read_header` accepts whatever `decompress`
/// accepts and agrees with it; an `Ok` is a WAV with the stored CRC that the model parses,
/// that rebuilds the same bytes and that round-trips through the codec byte for byte; a
/// refusal is a container error, never a WAV-input error. Returns the refusal's kind (for
/// statistics).
pub fn check_stream(nrc: &[u8]) -> Result<(), &'static str> {
    let header = read_header(nrc);
    match decompress(nrc) {
        Ok(wav) => {
            let h = header
                .unwrap_or_else(|e| panic!("decompress accepted what read_header refused: {e}"));
            assert_eq!(
                h.wav_crc,
                crc32fast::hash(&wav),
                "Ok output is not the stored WAV"
            );
            let parsed = parse_wav(&wav).expect("decompress produced a WAV the model cannot parse");
            assert_eq!(parsed.channels, h.channels);
            assert_eq!(parsed.sample_rate, h.sample_rate);
            assert_eq!(parsed.frames(), h.frames as usize);
            assert_eq!(
                parsed.to_bytes(),
                wav,
                "the parsed WAV does not rebuild the bytes"
            );
            let (again, _) =
                compress_wav_with(&wav, h.kind()).expect("a decoded WAV must compress again");
            assert_eq!(decompress(&again).expect("and decode again"), wav);
            Ok(())
        }
        Err(e) => Err(match e {
            Error::NotNrc => "not nrc",
            Error::UnsupportedVersion { .. } => "version",
            Error::Checksum { .. } => "checksum",
            Error::Corrupt(_) => "corrupt",
            Error::NotWav(_) | Error::UnsupportedWav(_) | Error::TruncatedWav(_) => {
                panic!("decompress returned a WAV-input error: {e}")
            }
            Error::BadParams(_) => "params",
            Error::Io(e) => panic!("decompress of bytes in memory returned an I/O error: {e}"),
        }),
    }
}

/// Any bytes given to the encoder, with every coder: no panic, all accept or all refuse, and
/// an `Ok` decodes back to the input exactly (and says its true size). Returns whether the
/// encoder accepted the input.
pub fn check_wav(wav: &[u8]) -> bool {
    let results = Coder::ALL.map(|c| compress_wav_with(wav, c));
    let accepted = results[0].is_ok();
    assert!(
        results.iter().all(|r| r.is_ok() == accepted),
        "one coder accepted what another refused"
    );
    for (nrc, stats) in results.into_iter().flatten() {
        assert_eq!(stats.nrc_bytes as usize, nrc.len());
        assert_eq!(decompress(&nrc).expect("decode what was just coded"), wav);
    }
    accepted
}
