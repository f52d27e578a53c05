//! The maximum error δ in the `.nrc` container (FORMAT.md §11.5) through the normal
//! `compress_wav_with` / `decompress` path: flag bit 4 `BOUNDED` and the δ byte in the
//! single-stream layout and the streamed layout, every decoded sample within §11's promise
//! (grid, exceptions exact, raw mode within 64·δ units), the stored CRC-32 that of the decoded
//! WAV, δ = 0 the lossless container byte for byte, and the corrupt or foreign forms refused.

use neurice_model::container::{decompress_with_header, read_header};
use neurice_model::format::{FLAG_BOUNDED, FLAG_RAW16, FLAG_STREAM};
use neurice_model::near::sample_within;
use neurice_model::wav::{parse_wav, Wav};
use neurice_model::{compress_wav_with, decompress, CodecParams, Coder, CoderSpec, Mode};
use neurice_testkit::{grid_samples, spiky_walk, XorShift64};

const P: CodecParams = CodecParams::HARDWARE;

fn lite(d: u32) -> CoderSpec {
    CoderSpec::Lite(P.with_max_error(d))
}

/// Re-seals a single-stream container after an edit (its last 4 bytes: CRC-32 of the rest).
fn reseal(nrc: &mut [u8]) {
    let n = nrc.len() - 4;
    let crc = crc32fast::hash(&nrc[..n]);
    nrc[n..].copy_from_slice(&crc.to_le_bytes());
}

/// Every decoded sample within the promise of `mode`; returns how many differ at all.
fn check_within(wav: &Wav, back: &[u8], d: u32, mode: Option<Mode>) -> usize {
    let b = parse_wav(back).unwrap();
    assert_eq!(
        (b.prefix.clone(), b.suffix.clone()),
        (wav.prefix.clone(), wav.suffix.clone())
    );
    assert_eq!(b.samples.len(), wav.samples.len());
    let mut differ = 0;
    for (i, (&o, &x)) in wav.samples.iter().zip(&b.samples).enumerate() {
        assert!(
            sample_within(o, x, d, mode),
            "sample {i}: {x} for {o} at δ = {d}"
        );
        differ += (o != x) as usize;
    }
    differ
}

#[test]
fn the_single_layout_carries_delta_and_keeps_its_promise() {
    let mut samples = grid_samples(&spiky_walk(30_000, 5));
    // off-grid samples (exceptions) come back exactly at any δ
    for i in (100..30_000).step_by(997) {
        samples[i] = samples[i].wrapping_add(1) | 1;
    }
    let wav = Wav::canonical(1, 19531, samples).unwrap();
    let bytes = wav.to_bytes();
    let (lossless, _) = compress_wav_with(&bytes, lite(0)).unwrap();
    assert_eq!(lossless[5] & FLAG_BOUNDED, 0, "δ = 0: no flag");
    assert_eq!(
        lossless,
        compress_wav_with(&bytes, Coder::Lite).unwrap().0,
        "δ = 0 is the lossless container byte for byte"
    );
    for d in [1u32, 2, 7, 255] {
        let (nrc, stats) = compress_wav_with(&bytes, lite(d)).unwrap();
        // (at a large δ raw mode may code fewer bytes than the exception table)
        if d <= 2 {
            assert_eq!(stats.mode, Mode::Grid10, "δ = {d}");
        }
        assert_eq!(nrc[5] & FLAG_BOUNDED, FLAG_BOUNDED, "δ = {d}");
        assert_eq!(nrc[11] as u32, d, "the δ byte after W, Q, w, c, h");
        assert!(nrc.len() < lossless.len(), "δ = {d} codes fewer bytes");
        let (h, back) = decompress_with_header(&nrc).unwrap();
        // (in raw mode the header holds the parameters at W = 16)
        assert_eq!((h.coder.kind(), h.coder.max_error()), (Coder::Lite, d));
        assert_eq!(read_header(&nrc).unwrap().coder, h.coder);
        // the stored CRC-32 is the decoded WAV's, and the decode is deterministic
        assert_eq!(h.wav_crc, crc32fast::hash(&back));
        assert_eq!(decompress(&nrc).unwrap(), back);
        assert!(check_within(&wav, &back, d, Some(stats.mode)) > 0);
    }
}

#[test]
fn raw_mode_keeps_64_units_per_step() {
    // arbitrary 16-bit values, nearly all off the grid: raw mode (W = 16) is the smaller coding
    let mut r = XorShift64::new(3);
    let samples: Vec<i16> = (0..20_000).map(|_| r.next_u64() as i16 / 64).collect();
    let wav = Wav::canonical(2, 30_000, samples).unwrap();
    for d in [1u32, 3] {
        let (nrc, stats) = compress_wav_with(&wav.to_bytes(), lite(d)).unwrap();
        assert_eq!(stats.mode, Mode::Raw16);
        assert_eq!(
            nrc[5] & (FLAG_BOUNDED | FLAG_RAW16),
            FLAG_BOUNDED | FLAG_RAW16
        );
        let back = decompress(&nrc).unwrap();
        assert!(check_within(&wav, &back, d, Some(Mode::Raw16)) > 0);
    }
}

#[test]
fn the_streamed_layout_carries_delta() {
    // more than one block of samples: the streamed layout (FORMAT.md §7.9)
    let n = neurice_model::stream::BLOCK_SAMPLES + 50_000;
    let wav = Wav::canonical(2, 19531, grid_samples(&spiky_walk(n, 11))).unwrap();
    let (nrc, _) = compress_wav_with(&wav.to_bytes(), lite(2)).unwrap();
    let (h, back) = decompress_with_header(&nrc).unwrap();
    assert_ne!(h.flags & FLAG_STREAM, 0, "streamed layout");
    assert_ne!(h.flags & FLAG_BOUNDED, 0);
    assert_eq!(h.coder.max_error(), 2);
    assert_eq!(h.wav_crc, crc32fast::hash(&back));
    assert!(check_within(&wav, &back, 2, None) > 0);
    let (lossless, _) = compress_wav_with(&wav.to_bytes(), Coder::Lite).unwrap();
    assert!(nrc.len() * 5 < lossless.len() * 4);
}

#[test]
fn corrupt_or_foreign_bounded_headers_are_refused() {
    let wav = Wav::canonical(1, 19531, grid_samples(&spiky_walk(4_000, 2))).unwrap();
    let (nrc, _) = compress_wav_with(&wav.to_bytes(), lite(1)).unwrap();
    // the flag with δ = 0: each δ has one encoding
    let mut zero = nrc.clone();
    zero[11] = 0;
    reseal(&mut zero);
    let e = decompress(&zero).unwrap_err().to_string();
    assert!(e.contains("maximum error of 0"), "{e}");
    // coder v2 does not take the flag yet (FORMAT.md §11.7)
    let (mut v2, _) = compress_wav_with(&wav.to_bytes(), Coder::V2).unwrap();
    v2[5] |= FLAG_BOUNDED;
    reseal(&mut v2);
    assert!(decompress(&v2).is_err());
    // and coder v2 refuses a maximum error when asked to code with one (coder max takes
    // one, FORMAT.md §10.11: tests/near_max.rs)
    let v2 = CoderSpec::hardware(Coder::V2).with_max_error(1).unwrap();
    assert!(compress_wav_with(&wav.to_bytes(), v2).is_err());
    // a δ the format cannot carry
    assert!(compress_wav_with(&wav.to_bytes(), lite(256)).is_err());
    // the flag dropped: the stream decodes as lossless would, and the CRC of the decoded
    // WAV no longer matches (never a silently wrong file)
    let mut dropped = nrc.clone();
    dropped[5] &= !FLAG_BOUNDED;
    dropped.remove(11);
    reseal(&mut dropped);
    assert!(decompress(&dropped).is_err());
}
