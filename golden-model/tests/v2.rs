//! Coder v2 (`max`, container version 2): known-answer vectors, round trips of every shape v1
//! has, blocks that decode alone, every truncation and bit flip refused, random input; and the
//! known-answer vector of v1 (`lite`), which must never move.

use std::io::Cursor;

use neurice_model::container::read_header;
use neurice_model::format::{VERSION_LITE, VERSION_V2};
use neurice_model::single;
use neurice_model::v2::{self, V2Params};
use neurice_model::{
    compress_wav, compress_wav_with, decompress, grid, Coder, CoderSpec, Error, Mode,
};
use proptest::prelude::*;

/// The one round-trip helper: compress with `coder`, decompress, compare bytes; returns the
/// compressed size and mode.
fn roundtrip(wav: &[u8], coder: Coder) -> (usize, Mode) {
    let (nrc, stats) = compress_wav_with(wav, coder).expect("compress");
    assert_eq!(stats.coder, coder);
    assert_eq!(nrc[4], coder.container_version());
    let back = decompress(&nrc).expect("decompress");
    assert!(back == wav, "round trip is not byte-exact ({coder})");
    assert_eq!(stats.nrc_bytes as usize, nrc.len());
    let h = read_header(&nrc).expect("header");
    assert_eq!(h.kind(), coder);
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

/// A grid random walk with occasional jumps (escapes).
fn grid_signal(n: usize, seed: u32) -> Vec<i16> {
    let mut x = 512i32;
    let mut r = seed.max(1);
    (0..n)
        .map(|i| {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            x = if i % 500 == 499 {
                (r % 1024) as i32
            } else {
                (x + (r % 9) as i32 - 4).clamp(0, 1023)
            };
            grid::grid_value(x as u32)
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The known-answer input: 2 channels × 24 frames of a fixed grid walk.
fn kat_wav() -> Vec<u8> {
    pcm16(2, &grid_signal(48, 7))
}

#[test]
fn known_answer_v1_lite_never_moves() {
    // Frozen from the v1 coder before issue 11 (commit ab1cf96) and unchanged since.
    let (nrc, _) = compress_wav(&kat_wav()).unwrap();
    assert_eq!(hex(&nrc), KAT_V1);
    assert_eq!(decompress(&nrc).unwrap(), kat_wav());
}

#[test]
fn known_answer_v2_max() {
    let (nrc, _) = compress_wav_with(&kat_wav(), Coder::Max).unwrap();
    assert_eq!(hex(&nrc), KAT_V2);
    assert_eq!(decompress(&nrc).unwrap(), kat_wav());
    // and the bare block coder on grid indices 512, 515, 510, 511, 600, 0, 1023, 1023 (1 channel)
    let (blocks, _) = v2::encode_all(
        &V2Params::HARDWARE,
        1,
        &[512, 515, 510, 511, 600, 0, 1023, 1023],
    )
    .unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(hex(&blocks[0].bytes), KAT_V2_BLOCK);
}

const KAT_V1: &str = "4e52494301010a1006050302004b4c000018000000a75cc7f800000000c500000000000000fea23e43fe45f7bd3dcbef2e6b8e956338e856036f59b2eed07c8f2132";
const KAT_V2: &str = "4e52494302010a10060403040a090708080201010151ff9cff83ff9cff0000000002004b4c000018000000a75cc7f80000000001000000180000001d000000a3bc5563fea1d315f5d848297ce324c2cca47ae8bc809ee7aba66fc062f2f7ac007ad4d0ce";
const KAT_V2_BLOCK: &str = "7eeb0df61ee40be7266ae2ed5800";

#[test]
fn every_shape_round_trips_with_both_coders() {
    for coder in Coder::ALL {
        // grid, multichannel
        for ch in [1u16, 2, 3, 8] {
            let (_, mode) = roundtrip(&pcm16(ch, &grid_signal(ch as usize * 3001, 3)), coder);
            assert_eq!(mode, Mode::Grid10);
        }
        // empty data chunk
        roundtrip(&pcm16(1, &[]), coder);
        roundtrip(&pcm16(4, &[]), coder);
        // a few off-grid samples: exceptions; all off-grid: raw mode
        let mut s = grid_signal(4000, 5);
        s[17] = 1;
        s[2000] = -2;
        assert_eq!(roundtrip(&pcm16(1, &s), coder).1, Mode::Grid10);
        let noise: Vec<i16> = (0..5000)
            .map(|i| ((i * 7919) % 65536) as u16 as i16)
            .collect();
        assert_eq!(roundtrip(&pcm16(1, &noise), coder).1, Mode::Raw16);
        let ramp: Vec<i16> = (0..6000).map(|i| (i * 3 - 9000) as i16).collect();
        assert_eq!(roundtrip(&pcm16(2, &ramp), coder).1, Mode::Raw16);
        // extra chunks before and after the samples are kept verbatim
        let mut wav = pcm16(1, &grid_signal(1000, 9));
        wav.extend_from_slice(b"LIST\x04\x00\x00\x00abcd");
        let riff = (wav.len() - 8) as u32;
        wav[4..8].copy_from_slice(&riff.to_le_bytes());
        roundtrip(&wav, coder);
    }
}

#[test]
fn max_beats_lite_on_grid_walks() {
    let wav = pcm16(1, &grid_signal(50_000, 11));
    let (lite, _) = roundtrip(&wav, Coder::Lite);
    let (max, _) = roundtrip(&wav, Coder::Max);
    assert!(max < lite, "max {max} bytes, lite {lite} bytes");
}

#[test]
fn blocks_decode_alone_and_restart_everything() {
    let p = V2Params {
        block_frames: 1000,
        ..V2Params::HARDWARE
    };
    let samples = grid_signal(3 * 3500, 21);
    let wav = pcm16(3, &samples);
    let (nrc, stats) = single::compress(&wav, &CoderSpec::Max(p)).unwrap();
    assert_eq!(decompress(&nrc).unwrap(), wav);
    assert_eq!(stats.coder, Coder::Max);
    let h = read_header(&nrc).unwrap();
    assert!(matches!(h.coder, CoderSpec::Max(p) if p.block_frames == 1000));
    // each block of the bare coder decodes on its own to its slice of the samples
    let idx: Vec<u32> = samples
        .iter()
        .map(|&v| grid::grid_index(v).unwrap())
        .collect();
    let (blocks, _) = v2::encode_all(&p, 3, &idx).unwrap();
    assert_eq!(
        blocks.iter().map(|b| b.frames).collect::<Vec<_>>(),
        [1000, 1000, 1000, 500]
    );
    for (i, b) in blocks.iter().enumerate() {
        let mut out = Vec::new();
        v2::decode_block(&p, 3, b.frames, &b.bytes, &mut out).unwrap();
        assert_eq!(out, idx[i * 3000..i * 3000 + b.frames as usize * 3]);
        // a block is coded exactly as if it were the start of a stream
        let (alone, _) = v2::encode_all(
            &V2Params {
                block_frames: 0,
                ..p
            },
            3,
            &out,
        )
        .unwrap();
        assert_eq!(alone[0].bytes, b.bytes);
    }
}

#[test]
fn every_truncation_and_bit_flip_of_a_v2_stream_is_refused() {
    let wav = pcm16(2, &grid_signal(2 * 1500, 2));
    let p = V2Params {
        block_frames: 600,
        ..V2Params::HARDWARE
    };
    for (nrc, _) in [
        compress_wav_with(&wav, Coder::Max).unwrap(),
        single::compress(&wav, &CoderSpec::Max(p)).unwrap(),
    ] {
        for cut in 0..nrc.len() {
            assert!(
                decompress(&nrc[..cut]).is_err(),
                "truncated at {cut} decoded"
            );
        }
        let body = &nrc[..nrc.len() - 4];
        let mut harmless = Vec::new();
        for i in 0..nrc.len() {
            for b in 0..8 {
                let mut bad = nrc.clone();
                bad[i] ^= 1 << b;
                assert!(
                    decompress(&bad).is_err(),
                    "flip of bit {b} in byte {i} decoded"
                );
                // the same flip behind a fresh container CRC: the decoder itself must notice,
                // or (a parameter that does not change this signal's decoding, such as a wider
                // weight clamp never reached) decode the original exactly; never anything else
                if i < body.len() {
                    let mut sealed = bad[..body.len()].to_vec();
                    let crc = crc32fast::hash(&sealed);
                    sealed.extend_from_slice(&crc.to_le_bytes());
                    match decompress(&sealed) {
                        Err(_) => {}
                        Ok(out) => {
                            assert!(
                                out == wav,
                                "re-sealed flip of bit {b} in byte {i}: wrong output"
                            );
                            harmless.push(i);
                        }
                    }
                }
            }
        }
        // only parameter bytes (offsets 6..33) can be harmless; every payload flip is caught
        assert!(
            harmless.iter().all(|&i| (6..33).contains(&i)),
            "{harmless:?}"
        );
    }
}

#[test]
fn versions_are_told_apart() {
    let wav = pcm16(1, &grid_signal(500, 4));
    let (v1, _) = compress_wav(&wav).unwrap();
    let (v2s, _) = compress_wav_with(&wav, Coder::Max).unwrap();
    assert_eq!((v1[4], v2s[4]), (VERSION_LITE, VERSION_V2));
    // a v1 stream relabelled as v2 (and re-sealed) is refused, and vice versa
    for (src, to) in [(&v1, VERSION_V2), (&v2s, VERSION_LITE)] {
        let mut s = src[..src.len() - 4].to_vec();
        s[4] = to;
        let crc = crc32fast::hash(&s);
        s.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(decompress(&s), Err(Error::Corrupt(_))));
    }
    let mut s = v2s.clone();
    s[4] = 3;
    assert!(matches!(
        decompress(&s),
        Err(Error::UnsupportedVersion { found: 3, .. })
    ));
}

#[test]
fn hostile_block_headers_are_refused_without_big_allocations() {
    // a valid stream with its frame count and the block's frame count raised to 2^30
    let wav = pcm16(1, &grid_signal(300, 8));
    let (nrc, _) = compress_wav_with(&wav, Coder::Max).unwrap();
    // layout (FORMAT.md §7.7), canonical, one channel, 4 taps: frames at 39, block frames at 55
    let mut s = nrc[..nrc.len() - 4].to_vec();
    for at in [39, 55] {
        assert_eq!(s[at..at + 4], 300u32.to_le_bytes());
        s[at..at + 4].copy_from_slice(&(1u32 << 30).to_le_bytes());
    }
    let crc = crc32fast::hash(&s);
    s.extend_from_slice(&crc.to_le_bytes());
    assert!(decompress(&s).is_err());
}

#[test]
fn parameters_are_validated() {
    assert!(V2Params::HARDWARE.validate().is_ok());
    let bad = [
        V2Params {
            taps: 9,
            ..V2Params::HARDWARE
        },
        V2Params {
            prob_shift: 3,
            ..V2Params::HARDWARE
        },
        V2Params {
            prefix_contexts: 0,
            ..V2Params::HARDWARE
        },
        V2Params {
            weight_bits: 1,
            ..V2Params::HARDWARE
        },
        V2Params {
            steps: [2, 1, 1, 1, 1, 0, 0, 0],
            ..V2Params::HARDWARE
        },
        V2Params {
            init_weights: [-300, 0, 0, 0, 0, 0, 0, 0],
            ..V2Params::HARDWARE
        },
    ];
    for p in bad {
        assert!(matches!(p.validate(), Err(Error::BadParams(_))), "{p:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_pcm_round_trips(samples in prop::collection::vec(any::<i16>(), 0..3000), ch in 1u16..4) {
        let n = samples.len() / ch as usize * ch as usize;
        roundtrip(&pcm16(ch, &samples[..n]), Coder::Max);
    }

    #[test]
    fn random_grid_data_round_trips(idx in prop::collection::vec(0u32..1024, 0..3000), bf in 0u32..300) {
        let s: Vec<i16> = idx.iter().map(|&k| grid::grid_value(k)).collect();
        let wav = pcm16(1, &s);
        roundtrip(&wav, Coder::Max);
        let (nrc, _) = single::compress(&wav, &CoderSpec::Max(V2Params { block_frames: bf, ..V2Params::HARDWARE })).unwrap();
        prop_assert_eq!(decompress(&nrc).unwrap(), wav);
    }

    #[test]
    fn the_multi_coder_draft_round_trips_any_input(
        idx in prop::collection::vec(0u32..1024, 0..3000), ch in 1usize..9, kk in 0usize..8,
    ) {
        let k = 1 + kk % ch;
        let n = idx.len() / ch * ch;
        let mut st = v2::multi::Stats::default();
        let bytes = v2::multi::encode_block(&V2Params::HARDWARE, k, ch, &idx[..n], &mut st).unwrap();
        prop_assert!(st.most_waiting < v2::multi::BUFFER_WORDS);
        let back = v2::multi::decode_block(&V2Params::HARDWARE, k, ch, (n / ch) as u32, &bytes);
        prop_assert_eq!(back.unwrap(), idx[..n].to_vec());
        // and in raw mode (W = 16: bypass groups of 16 bits against a range of at least 2^16)
        let raw: Vec<u32> = idx[..n].iter().map(|&x| (x * 64 + x % 64) & 0xFFFF).collect();
        let p = V2Params::RAW16;
        let bytes = v2::multi::encode_block(&p, k, ch, &raw, &mut st).unwrap();
        prop_assert_eq!(v2::multi::decode_block(&p, k, ch, (n / ch) as u32, &bytes).unwrap(), raw);
    }

    #[test]
    fn random_parameter_sets_round_trip(
        taps in 0u32..=8, frac in 1u32..=14, wbits in 2u32..=16, dbits in 2u32..=11,
        shift in 4u32..=8, pctx in 1u32..=16, seed in 1u32..1000,
    ) {
        let mut p = V2Params { taps, weight_frac: frac, weight_bits: wbits, delta_bits: dbits,
            prob_shift: shift, prefix_contexts: pctx, steps: [0; 8], init_weights: [0; 8],
            ..V2Params::HARDWARE };
        for t in 0..taps as usize {
            p.steps[t] = (1 + t as i32).min(p.weight_max()) as u8;
            p.init_weights[t] = (-(p.weight_max() / 4)) as i16;
        }
        let wav = pcm16(2, &grid_signal(2 * 800, seed));
        let (nrc, _) = single::compress(&wav, &CoderSpec::Max(p)).unwrap();
        prop_assert_eq!(decompress(&nrc).unwrap(), wav);
    }
}

#[test]
#[ignore]
fn print_known_answers() {
    let (v1, _) = compress_wav(&kat_wav()).unwrap();
    let (v2s, _) = compress_wav_with(&kat_wav(), Coder::Max).unwrap();
    let (blocks, _) = v2::encode_all(
        &V2Params::HARDWARE,
        1,
        &[512, 515, 510, 511, 600, 0, 1023, 1023],
    )
    .unwrap();
    std::fs::write("/tmp/kat11.wav", kat_wav()).unwrap();
    println!(
        "V1 {}\nV2 {}\nBLOCK {}",
        hex(&v1),
        hex(&v2s),
        hex(&blocks[0].bytes)
    );
}
