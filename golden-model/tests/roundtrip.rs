//! Round trips and bad input for the golden model and its container.
//!
//! Every positive test goes through one helper, [`roundtrip`]; every negative test asserts the
//! error kind, so a panic or a silently wrong decode fails.

use std::io::Cursor;

use neurice_model::{compress_wav, decompress, grid, Error, Mode};
use proptest::prelude::*;

/// Compresses, decompresses and checks byte equality; returns the compressed size and mode.
fn roundtrip(wav: &[u8]) -> (usize, Mode) {
    let (nrc, stats) = compress_wav(wav).expect("compress");
    let back = decompress(&nrc).expect("decompress");
    assert!(back == wav, "round trip is not byte-exact");
    assert_eq!(stats.nrc_bytes as usize, nrc.len());
    (nrc.len(), stats.mode)
}

fn wav_with(
    spec: hound::WavSpec,
    write: impl FnOnce(&mut hound::WavWriter<&mut Cursor<Vec<u8>>>),
) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
    write(&mut w);
    w.finalize().unwrap();
    buf.into_inner()
}

fn pcm16(channels: u16, samples: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: 19531,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    wav_with(spec, |w| {
        for &s in samples {
            w.write_sample(s).unwrap();
        }
    })
}

fn grid_signal(n: usize, seed: u32) -> Vec<i16> {
    let mut x = 512i32;
    let mut r = seed.max(1);
    (0..n)
        .map(|_| {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            x = (x + (r % 9) as i32 - 4).clamp(0, 1023);
            grid::grid_value(x as u32)
        })
        .collect()
}

#[test]
fn grid_recording_uses_grid_mode_and_compresses() {
    let wav = pcm16(1, &grid_signal(20_000, 7));
    let (size, mode) = roundtrip(&wav);
    assert_eq!(mode, Mode::Grid10);
    assert!(
        size * 3 < wav.len(),
        "expected > 3x on a slow random walk, got {size} of {}",
        wav.len()
    );
}

#[test]
fn off_grid_samples_are_exceptions_or_raw_and_lossless() {
    let mut s = grid_signal(10_000, 3);
    s[17] = 5; // off the grid
    s[9_999] = -7;
    let (_, mode) = roundtrip(&pcm16(1, &s));
    assert_eq!(
        mode,
        Mode::Grid10,
        "two off-grid samples should be exceptions"
    );
    let noise: Vec<i16> = (0..5000)
        .map(|i| ((i * 7919) % 65536) as u16 as i16)
        .collect();
    let (_, mode) = roundtrip(&pcm16(1, &noise));
    assert_eq!(mode, Mode::Raw16);
}

#[test]
fn multichannel_wavs_round_trip() {
    for ch in [2u16, 3, 8] {
        let s = grid_signal(3000 * ch as usize, ch as u32);
        roundtrip(&pcm16(ch, &s));
    }
}

#[test]
fn empty_data_chunk_round_trips() {
    let wav = pcm16(1, &[]);
    assert_eq!(wav.len(), 44);
    roundtrip(&wav);
}

#[test]
fn extra_chunks_and_odd_layouts_are_restored_byte_for_byte() {
    let base = pcm16(1, &grid_signal(1000, 9));
    // a LIST chunk between fmt and data, and an odd-sized chunk after data with its pad byte
    let mut wav = base[..36].to_vec();
    wav.extend_from_slice(b"LIST\x05\x00\x00\x00hello\x00");
    wav.extend_from_slice(&base[36..]);
    wav.extend_from_slice(b"junk\x03\x00\x00\x00abc\x00");
    let riff = (wav.len() - 8) as u32;
    wav[4..8].copy_from_slice(&riff.to_le_bytes());
    roundtrip(&wav);
    // a RIFF size field that disagrees with the file is kept as it was
    let mut odd = base.clone();
    odd[4..8].copy_from_slice(&12345u32.to_le_bytes());
    roundtrip(&odd);
}

#[test]
fn extensible_format_header_is_kept() {
    // hound writes WAVE_FORMAT_EXTENSIBLE for more than two channels
    let s = grid_signal(3 * 500, 5);
    let wav = pcm16(3, &s);
    assert_ne!(&wav[20..22], &[1, 0], "expected an extensible fmt chunk");
    roundtrip(&wav);
}

fn expect_err(r: Result<impl std::fmt::Debug, Error>, want: fn(&Error) -> bool, what: &str) {
    match r {
        Err(e) if want(&e) => {}
        other => panic!("{what}: unexpected result {other:?}"),
    }
}

#[test]
fn not_a_wav_is_refused() {
    expect_err(
        compress_wav(b""),
        |e| matches!(e, Error::NotWav(_)),
        "empty",
    );
    expect_err(
        compress_wav(b"hello world, this is text"),
        |e| matches!(e, Error::NotWav(_)),
        "text",
    );
    expect_err(
        compress_wav(b"RIFF\x04\x00\x00\x00AVI LIST"),
        |e| matches!(e, Error::NotWav(_)),
        "avi",
    );
}

#[test]
fn truncated_wavs_are_refused() {
    let wav = pcm16(1, &grid_signal(1000, 1));
    for cut in [3, 11, 20, 30, 43] {
        expect_err(
            compress_wav(&wav[..cut]),
            |e| matches!(e, Error::TruncatedWav(_)),
            "truncated header",
        );
    }
    for cut in [45, 1000, wav.len() - 1] {
        expect_err(
            compress_wav(&wav[..cut]),
            |e| matches!(e, Error::TruncatedWav(_)),
            "truncated data",
        );
    }
}

#[test]
fn other_sample_formats_are_refused_clearly() {
    for bits in [8u16, 24, 32] {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let wav = wav_with(spec, |w| {
            for i in 0..10 {
                w.write_sample(i).unwrap();
            }
        });
        let err = compress_wav(&wav).unwrap_err();
        assert!(matches!(err, Error::UnsupportedWav(_)), "{bits}-bit: {err}");
        assert!(err.to_string().contains(&format!("{bits}-bit")), "{err}");
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let wav = wav_with(spec, |w| w.write_sample(0.5f32).unwrap());
    let err = compress_wav(&wav).unwrap_err();
    assert!(err.to_string().contains("floating-point"), "{err}");
}

#[test]
fn corrupt_streams_are_detected() {
    let wav = pcm16(1, &grid_signal(5000, 2));
    let (nrc, _) = compress_wav(&wav).unwrap();
    // every truncation
    for cut in 0..nrc.len() {
        assert!(
            decompress(&nrc[..cut]).is_err(),
            "truncated at {cut} decoded"
        );
    }
    // every single-bit flip
    for i in 0..nrc.len() {
        for b in 0..8 {
            let mut bad = nrc.clone();
            bad[i] ^= 1 << b;
            assert!(
                decompress(&bad).is_err(),
                "flip of bit {b} in byte {i} decoded"
            );
        }
    }
    // unknown version (2 is coder v2's container since issue 11; 3 is unknown)
    let mut v3 = nrc.clone();
    v3[4] = 3;
    expect_err(
        decompress(&v3),
        |e| matches!(e, Error::UnsupportedVersion { found: 3, .. }),
        "version",
    );
    expect_err(
        decompress(b"RIFF....WAVE"),
        |e| matches!(e, Error::NotNrc),
        "a wav given to decompress",
    );
}

#[test]
fn payload_errors_behind_a_valid_checksum_are_still_caught() {
    // Re-seal a damaged payload with a fresh CRC: the decoder itself must notice.
    let wav = pcm16(1, &grid_signal(3000, 4));
    let (nrc, _) = compress_wav(&wav).unwrap();
    let reseal = |mut body: Vec<u8>| {
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        body
    };
    let body = nrc[..nrc.len() - 4].to_vec();
    for i in (body.len() - 200..body.len()).step_by(7) {
        let mut b = body.clone();
        b[i] ^= 0x5A;
        assert!(
            decompress(&reseal(b)).is_err(),
            "payload damage at {i} went unnoticed"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_pcm_round_trips(samples in prop::collection::vec(any::<i16>(), 0..3000), ch in 1u16..4) {
        let n = samples.len() / ch as usize * ch as usize;
        roundtrip(&pcm16(ch, &samples[..n]));
    }

    #[test]
    fn random_grid_data_round_trips(idx in prop::collection::vec(0u32..1024, 0..3000)) {
        let s: Vec<i16> = idx.iter().map(|&k| grid::grid_value(k)).collect();
        let (_, mode) = roundtrip(&pcm16(1, &s));
        prop_assert_eq!(mode, Mode::Grid10);
    }

    #[test]
    fn extremes_and_constant_runs_round_trip(
        runs in prop::collection::vec((prop::sample::select(vec![i16::MIN, i16::MAX, 0, -1, 31, -32, 32767]), 1usize..400), 1..20)
    ) {
        let s: Vec<i16> = runs.iter().flat_map(|&(v, n)| std::iter::repeat_n(v, n)).collect();
        roundtrip(&pcm16(1, &s));
    }
}
