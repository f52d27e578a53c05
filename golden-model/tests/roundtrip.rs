//! Round trips and bad input for the golden model and its container.
//!
//! Every positive test goes through one helper, [`roundtrip`]; every negative test asserts the
//! error kind, so a panic or a silently wrong decode fails.

use neurice_model::{compress_wav, decompress, grid, wav, Error, Mode};
use neurice_testkit::{hound_wav as wav_with, pcm16};
use proptest::prelude::*;

/// Compresses, decompresses and checks byte equality; returns the compressed size and mode.
fn roundtrip(wav: &[u8]) -> (usize, Mode) {
    let (nrc, stats) = compress_wav(wav).expect("compress");
    let back = decompress(&nrc).expect("decompress");
    assert!(back == wav, "round trip is not byte-exact");
    assert_eq!(stats.nrc_bytes as usize, nrc.len());
    (nrc.len(), stats.mode)
}

/// A 1-channel grid random walk (steps -4..=4) as 16-bit samples.
fn grid_signal(n: usize, seed: u32) -> Vec<i16> {
    neurice_testkit::grid_samples(&neurice_testkit::walk(n, seed, 4))
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

/// Hostile or careless WAV headers (issue 15): each is refused with a message in the user's
/// terms, not the parser's, and before the samples are read ([`wav::scan`] on the header alone
/// already refuses it).
#[test]
fn hostile_wav_headers_are_described_in_the_users_terms() {
    let base = pcm16(1, &grid_signal(500, 3)); // canonical 44-byte header, 1000 data bytes
    let edit = |at: usize, v: &[u8]| {
        let mut w = base.clone();
        w[at..at + v.len()].copy_from_slice(v);
        w
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "65535 channels",
            edit(22, &65535u16.to_le_bytes()),
            "declares 65535 channel(s) of 16-bit samples, which take 131070 bytes per frame, but a block align of 2 bytes",
        ),
        (
            "inconsistent block align",
            edit(32, &4u16.to_le_bytes()),
            "1 channel(s) of 16-bit samples, which take 2 bytes per frame, but a block align of 4 bytes",
        ),
        (
            "format tag 0",
            edit(20, &0u16.to_le_bytes()),
            "format tag 0x0000",
        ),
        ("0 channels", edit(22, &0u16.to_le_bytes()), "declares 0 channels"),
        ("a-law", edit(20, &6u16.to_le_bytes()), "A-law"),
    ];
    for (what, wav, want) in cases {
        let e = compress_wav(&wav).expect_err(what).to_string();
        assert!(e.contains(want), "{what}: {e}");
        assert!(!e.contains("hound"), "{what}: {e}");
        // the header alone is enough to refuse it
        assert!(
            wav::scan(&wav[..44], Some(wav.len() as u64)).is_err(),
            "{what}"
        );
    }
    // an odd-sized chunk without its pad byte before the data chunk
    let mut odd = base[..36].to_vec();
    odd.extend_from_slice(b"LIST\x05\x00\x00\x00hello");
    odd.extend_from_slice(&base[36..]);
    let e = compress_wav(&odd).unwrap_err().to_string();
    assert!(
        e.contains("'LIST' chunk has an odd size (5 bytes)") && e.contains("pad byte"),
        "{e}"
    );
    // a chunk id that is not text is shown escaped, not as replacement characters
    let mut junk = base[..36].to_vec();
    junk.extend_from_slice(b"\x8f\x01ab\xff\xff\xff\x7f");
    let e = compress_wav(&junk).unwrap_err().to_string();
    assert!(e.contains("'\\x8f\\x01ab'"), "{e}");
    assert!(!e.contains('\u{fffd}'), "{e}");
}

/// A 2 GB file that is not a WAV is refused from its first 12 bytes, and one whose data chunk
/// declares more bytes than the file holds is refused from its header.
#[test]
fn scan_refuses_from_the_header_alone() {
    let big = Some(2_000_000_000u64);
    expect_err(
        wav::scan(&[0u8; 12], big),
        |e| matches!(e, Error::NotWav(_)),
        "zeros",
    );
    assert_eq!(wav::scan(b"RIFF", big).unwrap(), wav::Scan::NeedBytes(12));
    let base = pcm16(1, &grid_signal(500, 3));
    let mut huge = base[..44].to_vec();
    huge[40..44].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    expect_err(
        wav::scan(&huge, Some(1_000_000)),
        |e| matches!(e, Error::TruncatedWav(_)),
        "data larger than the file",
    );
    match wav::scan(&base[..44], Some(base.len() as u64)).unwrap() {
        wav::Scan::Found(l) => assert_eq!((l.data_start, l.data_len), (44, 1000)),
        other => panic!("{other:?}"),
    }
}

/// `read_header` (what `neurice info` prints) refuses every header `decompress` refuses.
#[test]
fn read_header_validates_as_the_decoder_does() {
    use neurice_model::container::read_header;
    use neurice_model::format::check_header;
    let wav = pcm16(1, &grid_signal(20, 3));
    let (nrc, _) = compress_wav(&wav).unwrap();
    let reseal = |mut b: Vec<u8>| {
        b.truncate(b.len() - 4);
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    };
    let edit = |at: usize, v: &[u8]| {
        let mut b = nrc.clone();
        b[at..at + v.len()].copy_from_slice(v);
        reseal(b)
    };
    let mut huge = nrc.clone();
    huge[11..13].copy_from_slice(&65535u16.to_le_bytes());
    huge[17..21].copy_from_slice(&u32::MAX.to_le_bytes());
    let cases = [
        (
            "65535 channels x 2^32-1 frames",
            reseal(huge),
            "too many samples",
        ),
        ("0 channels", edit(11, &0u16.to_le_bytes()), "zero channels"),
        ("sample_bits 17 in grid mode", edit(6, &[17]), "sample_bits"),
        ("unknown flags", edit(5, &[0x81]), "unknown flags"),
        (
            "a payload longer than the stream",
            edit(29, &[0xFF]),
            "payload",
        ),
    ];
    for (what, b, want) in cases {
        let d = decompress(&b).expect_err(what).to_string();
        let h = read_header(&b).expect_err(what).to_string();
        assert_eq!(h, d, "{what}");
        assert!(h.contains(want), "{what}: {h}");
    }
    assert_eq!(
        read_header(&nrc).unwrap(),
        check_header(&nrc[..25]).unwrap()
    );
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

#[test]
fn a_decoded_magnitude_of_2_pow_w_or_more_is_corrupt() {
    // FORMAT.md §3.7: a non-escape code can spell `u = q·m + r >= 2^W`, which no encoder
    // writes; the decoder must refuse it rather than wrap it into a sample.
    use neurice_model::lite::{decode_all, encode_all, m_value, select_s};
    use neurice_model::CodecParams;
    let p = CodecParams::HARDWARE;
    let samples: Vec<u32> = (0..40).map(|i| if i % 2 == 0 { 0 } else { 512 }).collect();
    let (words, bits, enc) = encode_all(&p, 1, &samples).unwrap();
    let st = enc.state(0);
    let m = m_value(select_s(st.a, st.n, &p));
    assert!(
        (p.qmax - 1) * m >= 1 << p.sample_bits,
        "m = {m} is too small for the test"
    );
    let mut stream: Vec<bool> = (0..bits)
        .map(|i| words[(i / 32) as usize] >> (31 - i % 32) & 1 == 1)
        .collect();
    // q = qmax - 1 ones and the terminating zero (not an escape), then a remainder of ones
    stream.extend(std::iter::repeat_n(true, p.qmax as usize - 1));
    stream.push(false);
    let mut refused = 0;
    for remainder in 0..=12usize {
        let mut s = stream.clone();
        s.extend(std::iter::repeat_n(true, remainder));
        let bytes: Vec<u8> = s
            .chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |b, (i, &x)| b | (x as u8) << (7 - i))
            })
            .collect();
        match decode_all(&p, 1, samples.len() + 1, &bytes, s.len() as u64) {
            Err(Error::Corrupt(e)) if e.contains("out of range") => refused += 1,
            Err(Error::Corrupt(_)) => {} // the stream ended inside the code
            other => panic!("remainder of {remainder} bits: {other:?}"),
        }
    }
    assert!(refused >= 1, "no remainder length reached the range check");
}
