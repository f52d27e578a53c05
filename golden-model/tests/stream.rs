//! The streamed container (FORMAT.md §7.9): inputs above `stream::BLOCK_SAMPLES` samples are
//! coded in independent blocks by either coder; round trips of every shape (channels, off-grid
//! samples, raw blocks, stored WAV headers and trailing chunks, a pipe without a length), the
//! same bytes on any number of threads and in memory, damage that loses only its own block,
//! and every truncation refused without a panic. Small inputs keep the single-stream layouts.

use neurice_model::container::{compress_reader, decompress_reader, read_header};
use neurice_model::format::{FLAG_LITE, FLAG_STREAM, VERSION_LITE, VERSION_V2};
use neurice_model::report::DecodeOptions;
use neurice_model::stream::{block_frames, BLOCK_SAMPLES};
use neurice_model::{compress_wav_with, decompress, Coder, Error, Mode};
use neurice_testkit::alloc::{measure, Allocated, PeakAlloc};
use neurice_testkit::{grid_samples, pcm16, walk};

/// Counts what each thread allocates (`a_hostile_header_reserves_nothing_it_declares`).
#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// A reader that hides its length (a pipe) and hands out bytes in odd-sized pieces.
struct Pipe<'a>(&'a [u8]);

impl std::io::Read for Pipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(77_777);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// The one round-trip helper of this file: compress from a file and from a pipe on 1 and 3
/// threads (the same bytes every time, the same as in memory), decompress in memory and
/// streamed; returns the stream and the statistics' mode.
fn roundtrip(wav: &[u8], coder: Coder) -> (Vec<u8>, Mode) {
    let (nrc, stats) = compress_wav_with(wav, coder).expect("compress");
    assert_eq!(stats.nrc_bytes as usize, nrc.len());
    assert_eq!(stats.wav_bytes as usize, wav.len());
    for (threads, piped) in [(1, false), (3, true)] {
        let mut out = Vec::new();
        let total = (!piped).then_some(wav.len() as u64);
        let s = if piped {
            compress_reader(&mut Pipe(wav), total, &mut out, &coder.into(), threads)
        } else {
            compress_reader(&mut &wav[..], total, &mut out, &coder.into(), threads)
        }
        .expect("compress_reader");
        assert!(
            out == nrc,
            "{threads} thread(s), piped {piped}: other bytes"
        );
        assert_eq!(s.nrc_bytes, stats.nrc_bytes);
    }
    assert!(decompress(&nrc).expect("decompress") == wav);
    for (threads, piped) in [(1, true), (2, false)] {
        let mut back = Vec::new();
        let opts = DecodeOptions {
            threads,
            ..DecodeOptions::default()
        };
        let total = (!piped).then_some(nrc.len() as u64);
        let rep = if piped {
            decompress_reader(&mut Pipe(&nrc), total, &mut back, opts)
        } else {
            decompress_reader(&mut &nrc[..], total, &mut back, opts)
        }
        .expect("decompress_reader");
        assert!(rep.is_clean(), "{:?}", rep.damage());
        assert!(back == wav, "streamed decode differs");
        assert_eq!(rep.written as usize, wav.len());
        assert_eq!(rep.header.wav_crc, crc32fast::hash(wav));
    }
    let h = read_header(&nrc).expect("header");
    assert_eq!(h.kind(), coder);
    (nrc, stats.mode)
}

/// A grid recording of `frames` frames of `channels` channels (each channel its own walk).
fn recording(channels: u16, frames: usize, seed: u32) -> Vec<i16> {
    let walks: Vec<Vec<u16>> = (0..channels as u32)
        .map(|c| walk(frames, seed + c, 6))
        .collect();
    let mut idx = Vec::with_capacity(frames * channels as usize);
    for f in 0..frames {
        for w in &walks {
            idx.push(w[f]);
        }
    }
    grid_samples(&idx)
}

const BIG: usize = BLOCK_SAMPLES + BLOCK_SAMPLES / 3;

#[test]
fn small_inputs_keep_the_single_stream_layouts() {
    for coder in Coder::ALL {
        let wav = pcm16(1, &recording(1, BLOCK_SAMPLES, 1));
        let (nrc, _) = compress_wav_with(&wav, coder).unwrap();
        assert_eq!(nrc[4], coder.container_version());
        assert_eq!(nrc[5] & FLAG_STREAM, 0);
        let wav = pcm16(1, &recording(1, BLOCK_SAMPLES + 1, 1));
        let (nrc, _) = compress_wav_with(&wav, coder).unwrap();
        assert_eq!(nrc[4], VERSION_V2);
        assert_ne!(nrc[5] & FLAG_STREAM, 0);
        assert_eq!(nrc[5] & FLAG_LITE != 0, coder == Coder::Lite);
    }
    assert_eq!(VERSION_LITE, 1);
}

#[test]
fn streamed_round_trips_every_shape() {
    for coder in Coder::ALL {
        // one channel: blocks of BLOCK_SAMPLES frames, the last shorter
        let (nrc, mode) = roundtrip(&pcm16(1, &recording(1, BIG, 2)), coder);
        assert_eq!(mode, Mode::Grid10);
        assert!(nrc.len() < BIG * 2 / 3, "{coder}: {} bytes", nrc.len());
        // 1024 channels: 2048 frames per block
        assert_eq!(block_frames(1024), 2048);
        roundtrip(&pcm16(1024, &recording(1024, 2500, 3)), coder);
        // an odd channel count that does not divide the block size
        roundtrip(&pcm16(7, &recording(7, BIG / 7 + 3, 4)), coder);
        // off-grid samples: exceptions in some blocks; noise: raw blocks
        let mut s = recording(3, BIG / 3, 5);
        for i in (0..s.len()).step_by(100_003) {
            s[i] = s[i].wrapping_add(1);
        }
        let (_, mode) = roundtrip(&pcm16(3, &s), coder);
        assert_eq!(mode, Mode::Grid10);
        let mut seed = 7u64;
        let noise: Vec<i16> = (0..BIG)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 48) as i16
            })
            .collect();
        let (_, mode) = roundtrip(&pcm16(2, &noise), coder);
        assert_eq!(mode, Mode::Raw16);
    }
}

/// The streamed layout's frozen answer: a generated 2-channel recording of 2^21 + 3000
/// samples (two blocks: 2^20 frames and 1500; a spiky walk and a trace on the grid, every
/// 65 537th sample one code off it: exceptions), with the model's canonical header. The size
/// and FNV-1a (64 bit) of each coder's `.nrc` are frozen here: a change to §7.9 that keeps
/// encoder and decoder in step still fails. Regenerate (only when the format changes on
/// purpose) by reading the values from the failure message.
#[test]
fn the_streamed_layout_has_a_frozen_answer() {
    let frames = (1 << 20) + 1500;
    let (a, b) = (
        neurice_testkit::spiky_walk(frames, 71),
        neurice_testkit::trace(frames, 72),
    );
    let mut samples = grid_samples(&(0..frames).flat_map(|f| [a[f], b[f]]).collect::<Vec<_>>());
    for i in (0..samples.len()).step_by(65_537) {
        samples[i] = samples[i].wrapping_add(1);
    }
    assert_eq!(samples.len(), BLOCK_SAMPLES + 3000);
    let wav = neurice_model::wav::Wav::canonical(2, neurice_testkit::SAMPLE_RATE, samples)
        .unwrap()
        .to_bytes();
    assert_eq!(fnv(&wav), FROZEN_WAV, "the generated input changed");
    for (coder, (len, hash)) in [(Coder::Lite, FROZEN_LITE), (Coder::Max, FROZEN_MAX)] {
        let (nrc, stats) = compress_wav_with(&wav, coder).unwrap();
        assert_eq!(stats.exceptions, 33, "{coder}");
        assert_eq!(nrc[5] & FLAG_STREAM, FLAG_STREAM, "{coder}: not streamed");
        assert_eq!(
            (nrc.len(), fnv(&nrc)),
            (len, hash),
            "{coder}: the streamed .nrc is not the frozen one (size, FNV-1a)"
        );
        assert!(decompress(&nrc).unwrap() == wav, "{coder}");
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    neurice_testkit::vectors::fnv1a64_bytes(bytes.iter().copied())
}

/// FNV-1a of the input of [`the_streamed_layout_has_a_frozen_answer`].
const FROZEN_WAV: u64 = 0xeaa1_243d_c136_eff1;
/// Size and FNV-1a of its `.nrc`, coder lite.
const FROZEN_LITE: (usize, u64) = (1_113_363, 0xd98e_51bb_2391_1f20);
/// Size and FNV-1a of its `.nrc`, coder max.
const FROZEN_MAX: (usize, u64) = (1_007_906, 0x3ad1_8ad8_2686_511d);

#[test]
fn stored_wav_headers_and_trailing_chunks_are_kept() {
    let base = pcm16(2, &recording(2, BIG / 2, 6));
    // a LIST chunk before the data and an odd-sized chunk after it (with its pad byte)
    let mut wav = base[..36].to_vec();
    wav.extend_from_slice(b"LIST\x06\x00\x00\x00abcdef");
    wav.extend_from_slice(&base[36..]);
    wav.extend_from_slice(b"junk\x03\x00\x00\x00xyz\x00");
    for coder in Coder::ALL {
        roundtrip(&wav, coder);
    }
}

#[test]
fn a_damaged_block_loses_only_itself() {
    let wav = pcm16(1, &recording(1, 3 * BLOCK_SAMPLES + 5, 8));
    let data_start = 44;
    for coder in Coder::ALL {
        let (nrc, _) = compress_wav_with(&wav, coder).unwrap();
        // the second block's bytes: after the header, the first block's record
        let hdr = if coder == Coder::Lite {
            6 + 9 + 14 + 4 + 4
        } else {
            6 + 11 + 12 + 4 + 14 + 4 + 4
        };
        let len0 = u32::from_le_bytes(nrc[hdr + 4..hdr + 8].try_into().unwrap()) as usize;
        let second = hdr + 12 + len0;
        let mut bad = nrc.clone();
        bad[second + 12 + 100] ^= 0x10;
        assert!(matches!(decompress(&bad), Err(Error::Corrupt(_))));
        for recover in [false, true] {
            let mut out = Vec::new();
            let rep = decompress_reader(
                &mut &bad[..],
                Some(bad.len() as u64),
                &mut out,
                DecodeOptions {
                    threads: 2,
                    recover,
                    check_only: false,
                },
            )
            .unwrap();
            assert_eq!(rep.lost.len(), 1, "{coder}: {:?}", rep.damage());
            let l = &rep.lost[0];
            assert_eq!(
                (l.block, l.blocks, l.first_frame, l.frames as usize),
                (1, 1, BLOCK_SAMPLES as u64, BLOCK_SAMPLES)
            );
            assert!(rep.problems.is_empty(), "{:?}", rep.problems);
            let lost = data_start + 2 * BLOCK_SAMPLES..data_start + 4 * BLOCK_SAMPLES;
            if recover {
                assert_eq!(out.len(), wav.len());
                assert!(out[..lost.start] == wav[..lost.start]);
                assert!(out[lost.clone()].iter().all(|&b| b == 0));
                assert!(out[lost.end..] == wav[lost.end..]);
            } else {
                assert!(out.len() == lost.start && out[..] == wav[..lost.start]);
            }
        }
        // a damaged block header: every block from there on is lost, nothing panics
        let mut bad = nrc.clone();
        bad[second + 5] ^= 0x40;
        let mut out = Vec::new();
        let rep = decompress_reader(
            &mut &bad[..],
            None,
            &mut out,
            DecodeOptions {
                recover: true,
                ..DecodeOptions::default()
            },
        )
        .unwrap();
        assert_eq!(rep.lost[0].block, 1);
        assert_eq!(rep.lost_blocks(), 3, "{:?}", rep.damage());
        assert_eq!(out.len(), data_start + 2 * (3 * BLOCK_SAMPLES + 5));
        // a damaged header refuses the stream
        let mut bad = nrc.clone();
        bad[14] ^= 1;
        assert!(matches!(decompress(&bad), Err(Error::Corrupt(_))));
        // the trailer and the container CRC: reported, the samples all there
        let mut bad = nrc.clone();
        let n = bad.len();
        bad[n - 6] ^= 1;
        let mut out = Vec::new();
        let rep =
            decompress_reader(&mut &bad[..], None, &mut out, DecodeOptions::default()).unwrap();
        assert!(rep.lost.is_empty() && !rep.problems.is_empty());
        assert!(out[..wav.len() - 1] == wav[..wav.len() - 1]);
    }
}

#[test]
fn truncations_and_bit_flips_are_refused_without_panic() {
    let wav = pcm16(2, &recording(2, BLOCK_SAMPLES / 2 + 1000, 9));
    for coder in Coder::ALL {
        let (nrc, _) = compress_wav_with(&wav, coder).unwrap();
        let n = nrc.len();
        let cuts = (0..80).chain([n / 3, n / 2, n - 9, n - 5, n - 1]);
        for cut in cuts {
            assert!(decompress(&nrc[..cut]).is_err(), "{coder}: cut at {cut}");
            let mut out = Vec::new();
            let _ = decompress_reader(&mut &nrc[..cut], None, &mut out, DecodeOptions::default())
                .map(|r| assert!(!r.is_clean()));
        }
        for at in (0..80).chain((80..n).step_by(n / 50)) {
            let mut bad = nrc.clone();
            bad[at] ^= 0x04;
            assert!(decompress(&bad).is_err(), "{coder}: flip at {at}");
        }
        let mut long = nrc.clone();
        long.push(0);
        assert!(decompress(&long).is_err());
    }
}

#[test]
fn a_truncated_streamed_wav_is_refused() {
    let wav = pcm16(1, &recording(1, BIG, 10));
    for coder in Coder::ALL {
        for cut in [wav.len() - 1, wav.len() - BLOCK_SAMPLES] {
            let mut out = Vec::new();
            let r = compress_reader(&mut Pipe(&wav[..cut]), None, &mut out, &coder.into(), 2);
            assert!(matches!(r, Err(Error::TruncatedWav(_))), "{r:?}");
            let r = compress_wav_with(&wav[..cut], coder);
            assert!(matches!(r, Err(Error::TruncatedWav(_))), "{r:?}");
        }
    }
}

/// A decode on this thread (`threads: 1`: the pipeline runs inline, so the thread's allocation
/// counts are the whole decode's), with what it allocated.
fn decode_measured(nrc: &[u8]) -> (neurice_model::report::DecodeReport, Allocated) {
    let opts = DecodeOptions {
        threads: 1,
        ..DecodeOptions::default()
    };
    let (rep, a) = measure(|| decompress_reader(&mut &nrc[..], None, &mut std::io::sink(), opts));
    let rep = rep.unwrap();
    // the same report on the worker threads
    let on_workers = decompress_reader(
        &mut &nrc[..],
        None,
        &mut Vec::new(),
        DecodeOptions::default(),
    )
    .unwrap();
    assert_eq!(on_workers.damage(), rep.damage());
    (rep, a)
}

/// At most this much held at once by a decode of the hostile streams below: a few block
/// buffers and the list of lost runs (measured 481 bytes and 73 594 bytes; a table of the 2^30
/// declared blocks would be GiB).
const HOSTILE_PEAK: usize = 256 << 10;

#[test]
fn a_hostile_header_reserves_nothing_it_declares() {
    use neurice_model::stream::StreamHeader;
    // 2^30 one-frame blocks declared, none there: one run of lost blocks (not a list of 2^30,
    // nor a table reserved for them: 2^30 of anything is GiB)
    let h = StreamHeader {
        coder: Coder::Lite.into(),
        block_frames: 1,
        channels: 1,
        sample_rate: 8000,
        frames: 1 << 30,
        blocks: 1 << 30,
        prefix: None,
    };
    let mut nrc = h.to_bytes();
    let (rep, a) = decode_measured(&nrc);
    eprintln!("2^30 blocks declared, none there: {a:?}");
    assert!(a.peak < HOSTILE_PEAK && a.largest < HOSTILE_PEAK, "{a:?}");
    assert_eq!(rep.lost.len(), 1);
    assert_eq!(rep.lost_blocks(), 1 << 30);
    // many tiny damaged blocks between good ones: the list stays short
    let good = [0u8, 0, 0, 0, 0, 0]; // grid mode, no exceptions, sample 512 (code `0`)
    for i in 0..3000 {
        nrc.extend_from_slice(&1u32.to_le_bytes());
        nrc.extend_from_slice(&6u32.to_le_bytes());
        let crc = crc32fast::hash(&good) ^ (i % 2); // every other block fails its CRC
        nrc.extend_from_slice(&crc.to_le_bytes());
        nrc.extend_from_slice(&good);
    }
    let (rep, a) = decode_measured(&nrc);
    eprintln!("and 3000 tiny blocks, every other one damaged: {a:?}");
    assert!(a.peak < HOSTILE_PEAK && a.largest < HOSTILE_PEAK, "{a:?}");
    assert_eq!(rep.lost.len(), 1000, "{:?}", &rep.damage()[..3]);
    assert_eq!(rep.lost_blocks(), (1 << 30) - 1500);
    assert!(decompress(&nrc).is_err());
}
