//! Issue 25, items 8, 13, 14 and 15: what a decoder written from FORMAT.md alone found the
//! reference decoders accepting, and a single-stream reader that read without bound. Each
//! test failed before its fix (each was run once with the fix undone).

use std::io::Read;

use neurice_model::container::{compress_reader, decompress_reader};
use neurice_model::format::{FLAG_RAW16, MAX_HEADER_BYTES};
use neurice_model::report::DecodeOptions;
use neurice_model::stream::{StreamHeader, BLOCK_SAMPLES};
use neurice_model::v2::V2Params;
use neurice_model::{compress_wav_with, decompress, CodecParams, Coder, CoderSpec, Error, Mode};
use neurice_testkit::{grid_samples, grid_wav, pcm16, walk};

/// Recomputes the CRC-32 in the last four bytes over every byte before them.
fn reseal(mut b: Vec<u8>) -> Vec<u8> {
    let n = b.len();
    let crc = crc32fast::hash(&b[..n - 4]);
    b[n - 4..].copy_from_slice(&crc.to_le_bytes());
    b
}

/// A streamed `LITE` container of one sample (grid index 512) built by hand: its header with
/// `extra_flags` set (and its CRC resealed), one block whose record is `block` (mode,
/// exceptions, coded bytes), an empty trailer. With no extra flags and the plain block it is
/// a valid stream of that one sample.
fn tiny_stream(extra_flags: u8, block: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let h = StreamHeader {
        coder: Coder::Lite.into(),
        block_frames: 1,
        channels: 1,
        sample_rate: 8000,
        frames: 1,
        blocks: 1,
        prefix: None,
    };
    let mut b = h.to_bytes();
    b[5] |= extra_flags;
    let mut b = reseal(b);
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&(block.len() as u32).to_le_bytes());
    b.extend_from_slice(&crc32fast::hash(block).to_le_bytes());
    b.extend_from_slice(block);
    let wav = neurice_model::wav::Wav::canonical(1, 8000, grid_samples(&[512]))
        .unwrap()
        .to_bytes();
    b.extend_from_slice(&0u32.to_le_bytes()); // no trailing chunks
    b.extend_from_slice(&crc32fast::hash(&wav).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    (reseal(b), wav)
}

/// Grid mode, no exception, the one code `0` (sample 512 from the initial state).
const PLAIN_BLOCK: [u8; 6] = [0, 0, 0, 0, 0, 0];

/// Item 13: a streamed container with `RAW16` or an unknown flag bit decoded with exit 0.
#[test]
fn a_streamed_header_checks_its_flags() {
    let (good, wav) = tiny_stream(0, &PLAIN_BLOCK);
    assert_eq!(
        decompress(&good).expect("the hand-built stream is valid"),
        wav
    );
    // (bit 4, BOUNDED, is coder v1's with LITE: FORMAT.md §11.5; refused for v2 below)
    for (flag, says) in [
        (FLAG_RAW16, "RAW16"),
        (1 << 5, "unknown flags"),
        (1 << 7, "unknown flags"),
    ] {
        let (bad, _) = tiny_stream(flag, &PLAIN_BLOCK);
        match decompress(&bad) {
            Err(Error::Corrupt(e)) => assert!(e.contains(says), "flag {flag:#04x}: {e}"),
            other => panic!("flag {flag:#04x}: {other:?}"),
        }
    }
    // a coder-v2 streamed header with BOUNDED: coder v2 takes no maximum error (§11.7)
    let v2 = StreamHeader {
        coder: Coder::V2.into(),
        block_frames: 1,
        channels: 1,
        sample_rate: 8000,
        frames: 1,
        blocks: 1,
        prefix: None,
    };
    let mut b = v2.to_bytes();
    b[5] |= 1 << 4;
    let mut b = reseal(b);
    b.extend_from_slice(&[0; 64]);
    match decompress(&b) {
        Err(Error::Corrupt(e)) => assert!(e.contains("unknown flags"), "{e}"),
        other => panic!("v2 with BOUNDED: {other:?}"),
    }
}

/// Item 14: §7.1's `B_w + B_d ≤ 28` was not enforced: a raw `max` stream with `B_w` raised
/// from 9 to 16 (CRC resealed) decoded.
#[test]
fn weight_and_delta_bits_stay_within_28() {
    let p = V2Params::HARDWARE;
    // grid mode: B_d <= W + 1 = 11, so 16 + 11 = 27 is fine
    assert!(V2Params {
        weight_bits: 16,
        delta_bits: 11,
        ..p
    }
    .validate()
    .is_ok());
    // its raw mode raises B_d to 13: 29
    let e = V2Params {
        weight_bits: 16,
        ..p
    }
    .with_sample_bits(16)
    .validate()
    .unwrap_err()
    .to_string();
    assert!(e.contains("28"), "{e}");
    // a raw-mode single-stream v2 container (full-scale noise: raw beats the exceptions)
    let mut s = 7u64;
    let noise: Vec<i16> = (0..4000)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 48) as i16
        })
        .collect();
    let (mut nrc, stats) = compress_wav_with(&pcm16(1, &noise), Coder::V2).unwrap();
    assert_eq!(stats.mode, Mode::Raw16);
    assert_eq!(
        (nrc[13], nrc[14]),
        (9, 13),
        "B_w and B_d at offsets 13 and 14"
    );
    nrc[13] = 16;
    match decompress(&reseal(nrc)) {
        Err(Error::Corrupt(e)) => assert!(e.contains("28"), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// A canonical single-stream `lite` container of a grid walk with the samples at `off`
/// moved off the grid (one step up: grid mode with exceptions), and the offset of its
/// exception list.
fn lite_with_exceptions(off: &[usize]) -> (Vec<u8>, Vec<u8>, usize) {
    let mut samples = grid_samples(&walk(3000, 5, 4));
    for &i in off {
        samples[i] += 1;
    }
    let wav = pcm16(1, &samples);
    let (nrc, stats) = compress_wav_with(&wav, Coder::Lite).unwrap();
    assert_eq!(
        (stats.mode, stats.exceptions),
        (Mode::Grid10, off.len() as u64)
    );
    assert_eq!(nrc[5] & 1, 1, "canonical: the exception count at 25");
    assert_eq!(
        u32::from_le_bytes(nrc[25..29].try_into().unwrap()),
        off.len() as u32
    );
    (nrc, wav, 29)
}

/// Item 15: one exception rule for every layout (FORMAT.md §4): indices strictly
/// increasing, values off the grid. The single-stream layouts accepted exceptions in any
/// order and exceptions holding a grid level; a streamed block accepted a grid level.
#[test]
fn every_layout_follows_one_exception_rule() {
    // two exceptions out of order (the same samples either way, so the WAV's CRC passed)
    let (nrc, wav, at) = lite_with_exceptions(&[10, 20]);
    assert_eq!(decompress(&nrc).unwrap(), wav);
    let mut swapped = nrc.clone();
    swapped[at..at + 12].copy_from_slice(&[&nrc[at + 6..at + 12], &nrc[at..at + 6]].concat());
    match decompress(&reseal(swapped)) {
        Err(Error::Corrupt(e)) => assert!(e.contains("must increase"), "{e}"),
        other => panic!("exceptions out of order: {other:?}"),
    }
    // an exception holding the grid level already decoded there (nothing changes, so the
    // WAV's CRC passed)
    let (nrc, wav, at) = lite_with_exceptions(&[]);
    let first = i16::from_le_bytes(wav[44..46].try_into().unwrap());
    let mut extra = [
        &nrc[..at],
        &0u32.to_le_bytes()[..],
        &first.to_le_bytes()[..],
        &nrc[at..],
    ]
    .concat();
    extra[25..29].copy_from_slice(&1u32.to_le_bytes());
    match decompress(&reseal(extra)) {
        Err(Error::Corrupt(e)) => assert!(e.contains("a grid level"), "{e}"),
        other => panic!("a grid level as an exception: {other:?}"),
    }
    // the same in a streamed block: mode 0, one exception (sample 0, value 31 = level 512)
    let mut block = vec![0u8];
    block.extend_from_slice(&1u32.to_le_bytes());
    block.extend_from_slice(&0u32.to_le_bytes());
    block.extend_from_slice(&grid_samples(&[512])[0].to_le_bytes());
    block.push(0);
    let (bad, _) = tiny_stream(0, &block);
    let mut out = Vec::new();
    let rep = decompress_reader(&mut &bad[..], None, &mut out, DecodeOptions::default()).unwrap();
    assert_eq!(rep.lost.len(), 1, "{:?}", rep.damage());
    assert!(
        rep.damage()[0].contains("a grid level"),
        "{:?}",
        rep.damage()
    );
}

/// Item 15: a raw block's derived parameters (W = 16; v2: `B_d` raised to 13) must be valid.
/// An encoder whose parameters have no valid raw mode codes grid mode with exceptions; it
/// failed before (`Q = 20`: `Q + 16 > 32`), in the single-stream and the streamed layout.
#[test]
fn parameters_without_a_raw_mode_code_exceptions() {
    let lite = CoderSpec::Lite(CodecParams {
        qmax: 20,
        ..CodecParams::HARDWARE
    });
    let v2 = CoderSpec::V2(V2Params {
        weight_bits: 16,
        delta_bits: 10,
        ..V2Params::HARDWARE
    });
    for (coder, samples) in [(lite, 5000), (v2, 5000), (lite, BLOCK_SAMPLES + 5000)] {
        let mut s = grid_samples(&walk(samples, 3, 5));
        for i in (0..samples).step_by(3) {
            s[i] = s[i].wrapping_add(1); // a third off the grid: raw mode would win
        }
        let wav = pcm16(1, &s);
        let mut nrc = Vec::new();
        let stats = compress_reader(&mut &wav[..], Some(wav.len() as u64), &mut nrc, &coder, 1)
            .unwrap_or_else(|e| panic!("{} {samples}: {e}", coder.kind()));
        assert_eq!(stats.mode, Mode::Grid10, "{} {samples}", coder.kind());
        assert_eq!(decompress(&nrc).unwrap(), wav, "{} {samples}", coder.kind());
    }
}

/// A reader of a header followed by zeros without end; fails once more than `LIMIT` bytes
/// were read (the 256 MB a process may use, README), and counts what it handed out.
struct Endless {
    head: Vec<u8>,
    read: u64,
}

const LIMIT: u64 = 256 << 20;

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read > LIMIT {
            return Err(std::io::Error::other("read past 256 MB"));
        }
        let n = buf.len().min(1 << 20);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = self.head.get(self.read as usize + i).copied().unwrap_or(0);
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// Item 8: `info -` and `decompress - -` of a valid single-stream header followed by zeros
/// read 8.4 GB before refusing it (the bound took stored WAV parts of 4 GiB), and a 3 GiB
/// file with that header was read whole. Now a pipe is read to one byte past the header's
/// bound (here about 35 MB) and a longer file is refused unread.
#[test]
fn a_single_stream_is_read_no_further_than_its_header_allows() {
    let frames = 98_689;
    // the single-stream layouts (coder max always writes blocks, §10.7)
    for coder in [Coder::Lite, Coder::V2] {
        let (nrc, _) = compress_wav_with(&grid_wav(1, &walk(frames, 1, 4)), coder).unwrap();
        let head = nrc[..MAX_HEADER_BYTES].to_vec();
        for total in [None, Some(3u64 << 30)] {
            let mut r = Endless {
                head: head.clone(),
                read: 0,
            };
            let e = decompress_reader(&mut r, total, &mut Vec::new(), DecodeOptions::default())
                .unwrap_err();
            assert!(
                matches!(&e, Error::Corrupt(m) if m.contains("longer than any .nrc stream")),
                "{coder} {total:?}: {e}"
            );
            let most = if total.is_some() { 1 << 20 } else { 48 << 20 };
            assert!(r.read <= most, "{coder} {total:?}: {} bytes read", r.read);
        }
    }
}
