//! Coder max (`neurice_model::max`, FORMAT.md §10): lossless round trips on generated signals
//! of many shapes against adaptive coder v2's ratio, with the built-in table and with a table
//! trained for the signal; blocks and restarts; bad parameters and inputs refused; damaged
//! substreams refused without a panic (the samples decoded before the damage kept); and on
//! the recordings: a sample of them, and the built-in table against its training.

use neurice_model::max::{self, MaxParams, Table, CONTEXTS, TOKENS};
use neurice_model::v2::{self, V2Params};
use neurice_model::Error;
use neurice_testkit as tk;
use proptest::prelude::*;

const P: MaxParams = MaxParams::HARDWARE;

fn table() -> &'static Table {
    Table::builtin()
}

/// Encodes with `t`, decodes, compares; returns the payload bytes (both substreams).
fn roundtrip_with(p: &MaxParams, t: &Table, channels: usize, xs: &[u32]) -> usize {
    let (blocks, stats) = max::encode_all(p, t, channels, xs).unwrap();
    let refs: Vec<(u32, &[u8], &[u8])> = blocks
        .iter()
        .map(|b| (b.frames, &b.tokens[..], &b.raw[..]))
        .collect();
    let back = max::decode_all(p, t, channels, &refs).unwrap();
    assert!(
        back == xs,
        "coder max is not lossless ({channels} channels)"
    );
    assert_eq!(stats.samples as usize, xs.len());
    let tokens: usize = blocks.iter().map(|b| b.tokens.len()).sum();
    assert_eq!(stats.token_bytes as usize, tokens);
    tokens + blocks.iter().map(|b| b.raw.len()).sum::<usize>()
}

fn roundtrip(p: &MaxParams, channels: usize, xs: &[u32]) -> usize {
    roundtrip_with(p, table(), channels, xs)
}

fn v2_bytes(channels: usize, xs: &[u32]) -> usize {
    let (blocks, _) = v2::encode_all(&V2Params::HARDWARE, channels, xs).unwrap();
    blocks.iter().map(|b| b.bytes.len()).sum()
}

fn idx(v: &[u16]) -> Vec<u32> {
    v.iter().map(|&x| x as u32).collect()
}

/// Interleaves equal-length channels.
fn interleave(chans: &[Vec<u16>]) -> Vec<u32> {
    let n = chans.iter().map(Vec::len).min().unwrap_or(0);
    (0..n)
        .flat_map(|i| chans.iter().map(move |c| c[i] as u32))
        .collect()
}

const N: usize = 60_000;

/// A generated signal: name, channels, generator of a seed, and how far coder max with the
/// built-in table may fall behind coder v2 on it (its ratio / v2's − 1, the measured value
/// rounded down to a whole percent; this test prints the measured ones).
type Signal = (&'static str, usize, fn(u64) -> Vec<u32>, f64);

fn signals() -> Vec<Signal> {
    vec![
        (
            "gaussian noise, sigma 2",
            1,
            |s| idx(&tk::gaussian(N, s, 2.0)),
            -0.13,
        ),
        (
            "gaussian noise, sigma 8",
            1,
            |s| idx(&tk::gaussian(N, s, 8.0)),
            -0.01,
        ),
        (
            "gaussian noise, sigma 30",
            1,
            |s| idx(&tk::gaussian(N, s, 30.0)),
            -0.01,
        ),
        (
            "laplacian noise, b 2",
            1,
            |s| idx(&tk::laplacian(N, s, 2.0)),
            -0.02,
        ),
        (
            "laplacian noise, b 8",
            1,
            |s| idx(&tk::laplacian(N, s, 8.0)),
            -0.01,
        ),
        (
            "laplacian noise, b 30",
            1,
            |s| idx(&tk::laplacian(N, s, 30.0)),
            -0.02,
        ),
        (
            "laplacian walk, b 1",
            1,
            |s| idx(&tk::laplacian_walk(N, s, 1.0)),
            -0.31,
        ),
        (
            "laplacian walk, b 4",
            1,
            |s| idx(&tk::laplacian_walk(N, s, 4.0)),
            -0.02,
        ),
        (
            "uniform walk, steps ±4",
            1,
            |s| idx(&tk::walk(N, s as u32, 4)),
            -0.14,
        ),
        ("spiky walk", 1, |s| idx(&tk::spiky_walk(N, s)), -0.12),
        ("sine + noise", 1, |s| idx(&tk::trace(N, s)), -0.01),
        ("full-scale noise", 1, |s| idx(&tk::noise(N, s)), -0.02),
        (
            "full-scale steps 0/1023",
            1,
            |_| idx(&tk::extremes(N)),
            -0.12,
        ),
        ("flat runs", 1, |_| idx(&tk::flat(N)), 0.23),
        (
            "8 channels: gaussian, laplacian, walks, spikes, noise",
            8,
            mix8,
            -0.06,
        ),
    ]
}

fn mix8(s: u64) -> Vec<u32> {
    let n = N / 8;
    interleave(&[
        tk::gaussian(n, s, 5.0),
        tk::laplacian(n, s + 1, 5.0),
        tk::laplacian_walk(n, s + 2, 2.0),
        tk::walk(n, s as u32 + 3, 2),
        tk::spiky_walk(n, s + 4),
        tk::trace(n, s + 5),
        tk::noise(n, s + 6),
        tk::gaussian(n, s + 7, 40.0),
    ])
}

fn ratio(samples: usize, bytes: usize) -> f64 {
    2.0 * samples as f64 / bytes as f64
}

/// The built-in table was trained on the recordings; on other shapes coder max codes each
/// token with the recordings' distribution for its context, where coder v2 adapts. Every
/// signal must be lossless and within its stated distance of coder v2.
#[test]
fn generated_signals_are_lossless_and_within_the_stated_distance_of_coder_v2() {
    println!("| signal | max | v2 | max vs v2 | bound |");
    println!("|---|---|---|---|---|");
    for (name, channels, gen, bound) in signals() {
        let xs = gen(1);
        let m = ratio(xs.len(), roundtrip(&P, channels, &xs));
        let v = ratio(xs.len(), v2_bytes(channels, &xs));
        let rel = m / v - 1.0;
        println!(
            "| {name} | {m:.4} | {v:.4} | {:+.2} % | {:+.0} % |",
            100.0 * rel,
            100.0 * bound
        );
        assert!(
            rel >= bound,
            "{name}: coder max {m:.4} is {:+.2} % from coder v2 {v:.4}, the bound is {:+.0} %",
            100.0 * rel,
            100.0 * bound
        );
    }
}

/// A table trained for a signal family (as a container may carry, §10.7) brings coder max
/// to within 1 % of coder v2 or better on every generated shape: the distance above is the
/// table's, not the coder's. Trained on seeds 100..=103, measured on seed 1.
#[test]
fn a_table_trained_for_the_signals_closes_the_distance() {
    println!("| signal | max, built-in table | max, own table | v2 |");
    println!("|---|---|---|---|");
    for (name, channels, gen, _) in signals() {
        let mut counts = [[0u64; TOKENS]; CONTEXTS];
        for seed in 100..104 {
            max::token_counts(&P, channels, &gen(seed), &mut counts).unwrap();
        }
        let own = Table::train(&counts);
        let own = Table::from_bytes(&own.to_bytes()).unwrap();
        let xs = gen(1);
        let b = ratio(xs.len(), roundtrip(&P, channels, &xs));
        let o = ratio(xs.len(), roundtrip_with(&P, &own, channels, &xs));
        let v = ratio(xs.len(), v2_bytes(channels, &xs));
        println!("| {name} | {b:.4} | {o:.4} | {v:.4} |");
        assert!(o >= 0.99 * v, "{name}: own table {o:.4}, coder v2 {v:.4}");
    }
}

/// The worst case of FORMAT.md §10.5 on hostile inputs: at most 12 bits of the token
/// substream and `2·(W − 1)` raw bits per sample (W in the first frame).
#[test]
fn no_sample_exceeds_the_worst_case_bits() {
    assert_eq!(P.max_bits_per_sample(), 30);
    let mut r = tk::XorShift64::new(5);
    // long flat stretches (A/N falls to 0) ended by full-scale jumps: escapes at σ = 0
    let jumps: Vec<u32> = (0..40_000)
        .map(|i| {
            if i % 40 < 39 {
                0
            } else {
                1023 - (r.next_u64() % 8) as u32
            }
        })
        .collect();
    for (name, channels, xs) in [
        ("jumps after flat runs", 1, jumps),
        ("full-scale noise", 3, idx(&tk::noise(30_000, 3))),
        ("full-scale steps", 1, idx(&tk::extremes(30_000))),
        ("8-channel mix", 8, mix8(4)),
    ] {
        let mut stats = max::EncodeStats::default();
        let b = max::encode_block(&P, table(), channels, &xs, &mut stats).unwrap();
        let coded = (xs.len() - channels) as u64;
        assert!(
            b.tokens.len() as u64 <= 4 + (12 * coded).div_ceil(8) + 1,
            "{name}: {} token bytes for {coded} tokens",
            b.tokens.len()
        );
        assert!(
            stats.raw_bits <= 10 * channels as u64 + 18 * coded,
            "{name}: {} raw bits",
            stats.raw_bits
        );
        println!(
            "{name}: {:.2} token bits, {:.2} raw bits per sample, {} escapes",
            8.0 * b.tokens.len() as f64 / coded as f64,
            stats.raw_bits as f64 / xs.len() as f64,
            stats.escapes
        );
    }
}

#[test]
fn blocks_decode_alone_and_restart_with_raw_samples() {
    let xs = mix8(3);
    let frames = xs.len() / 8;
    for bf in [1u32, 2, 7, 100, frames as u32, frames as u32 + 5] {
        let p = MaxParams {
            block_frames: bf,
            ..P
        };
        roundtrip(&p, 8, &xs);
        let (blocks, _) = max::encode_all(&p, table(), 8, &xs).unwrap();
        assert_eq!(blocks.len(), frames.div_ceil(bf as usize));
        // each block alone, in reverse order
        let mut start = frames;
        for b in blocks.iter().rev() {
            start -= b.frames as usize;
            let mut out = Vec::new();
            max::decode_block(&p, table(), 8, b.frames, &b.tokens, &b.raw, &mut out).unwrap();
            assert!(out == xs[start * 8..(start + b.frames as usize) * 8]);
        }
        // a one-frame block is its raw samples and an empty range coder's 4 zero bytes
        if bf == 1 {
            assert!(blocks.iter().all(|b| b.tokens == [0; 4]));
            let b = &blocks[0];
            let mut want = Vec::new();
            for &x in &xs[..8] {
                want.extend((0..10).rev().map(|i| (x >> i) & 1));
            }
            let got: Vec<u32> = b
                .raw
                .iter()
                .flat_map(|&byte| (0..8).rev().map(move |i| (byte as u32 >> i) & 1))
                .take(80)
                .collect();
            assert_eq!(got, want);
        }
    }
    // no frames: no block
    assert!(max::encode_all(&P, table(), 3, &[]).unwrap().0.is_empty());
}

#[test]
fn raw_mode_and_other_parameter_sets_round_trip() {
    let mut r = tk::XorShift64::new(77);
    let raw: Vec<u32> = (0..20_000)
        .map(|i| {
            let v = (20_000.0 * (i as f64 / 50.0).sin()) as i32 + (r.next_u64() % 301) as i32;
            (v as i16 as u16 ^ 0x8000) as u32
        })
        .collect();
    roundtrip(&MaxParams::RAW16, 2, &raw);
    let full: Vec<u32> = (0..5000).map(|_| r.next_u64() as u32 & 0xFFFF).collect();
    roundtrip(&MaxParams::RAW16, 1, &full);
    let xs = idx(&tk::spiky_walk(20_000, 5));
    for taps in 0..=8u32 {
        let mut p = P;
        p.taps = taps;
        p.steps = [0; 8];
        p.init_weights = [0; 8];
        for t in 0..taps as usize {
            p.steps[t] = 1;
            p.init_weights[t] = -50;
        }
        roundtrip(&p, 2, &xs);
    }
    let p = MaxParams {
        window_log2: 3,
        thr_num: 7,
        thr_shift: 2,
        ..P
    };
    roundtrip(&p, 1, &xs);
    // W = 4: escapes impossible (u < 16), every context reachable or not, still lossless
    let small = MaxParams {
        sample_bits: 4,
        delta_bits: 5,
        ..P
    };
    let x4: Vec<u32> = (0..3000).map(|_| r.next_u64() as u32 & 15).collect();
    roundtrip(&small, 3, &x4);
}

#[test]
fn bad_parameters_and_inputs_are_refused() {
    let xs = idx(&tk::walk(300, 1, 3));
    let bad = |p: MaxParams| {
        assert!(matches!(
            max::encode_all(&p, table(), 1, &xs),
            Err(Error::BadParams(_))
        ));
        assert!(max::decode_block(&p, table(), 1, 1, &[0; 4], &[0; 2], &mut Vec::new()).is_err());
    };
    bad(MaxParams { taps: 9, ..P });
    bad(MaxParams {
        weight_bits: 17,
        ..P
    });
    bad(MaxParams {
        weight_bits: 16,
        delta_bits: 13,
        ..P
    });
    bad(MaxParams {
        sample_bits: 17,
        ..P
    });
    bad(MaxParams {
        window_log2: 0,
        ..P
    });
    let mut p = P;
    p.steps[5] = 1;
    bad(p);
    assert!(max::encode_all(&P, table(), 0, &xs).is_err());
    assert!(
        max::encode_all(&P, table(), 7, &xs).is_err(),
        "300 samples are not whole frames of 7"
    );
    assert!(max::encode_all(&P, table(), 1, &[5, 1024]).is_err());
    assert!(max::decode_all(&P, table(), 0, &[(1, &[0; 4], &[0; 2])]).is_err());
}

/// Damage of every kind gives an error or other samples, never a panic; a substream cut short
/// gives an error, and the samples decoded before it are the block's first samples.
#[test]
fn damaged_substreams_are_refused_without_a_panic() {
    let xs = mix8(9);
    let frames = (xs.len() / 8) as u32;
    let mut stats = max::EncodeStats::default();
    let b = max::encode_block(&P, table(), 8, &xs, &mut stats).unwrap();
    assert!(stats.escapes > 0);
    let dec = |tokens: &[u8], raw: &[u8], frames: u32| {
        let mut out = Vec::new();
        let r = max::decode_block(&P, table(), 8, frames, tokens, raw, &mut out);
        (r, out)
    };
    assert_eq!(dec(&b.tokens, &b.raw, frames).1, xs);
    // cut short: an error, and a correct prefix
    for cut in [0, 1, 3, 4, 5, b.tokens.len() / 3, b.tokens.len() - 1] {
        let (r, out) = dec(&b.tokens[..cut], &b.raw, frames);
        assert!(r.is_err(), "token substream cut to {cut} bytes");
        assert!(out[..] == xs[..out.len()], "cut {cut}: the prefix is wrong");
    }
    for cut in [0, 1, 9, b.raw.len() / 2, b.raw.len() - 1] {
        let (r, out) = dec(&b.tokens, &b.raw[..cut], frames);
        assert!(r.is_err(), "raw substream cut to {cut} bytes");
        assert!(
            out[..] == xs[..out.len()],
            "raw cut {cut}: the prefix is wrong"
        );
    }
    // bytes left over, padding not zero, too many frames
    let mut longer = b.tokens.clone();
    longer.push(0);
    assert!(dec(&longer, &b.raw, frames).0.is_err());
    let mut raw = b.raw.clone();
    raw.push(0);
    assert!(dec(&b.tokens, &raw, frames).0.is_err());
    let (_, bits) = (0, stats.raw_bits);
    if bits % 8 != 0 {
        let mut raw = b.raw.clone();
        *raw.last_mut().unwrap() |= 1;
        assert!(dec(&b.tokens, &raw, frames).0.is_err(), "non-zero padding");
    }
    assert!(dec(&b.tokens, &b.raw, frames + 1).0.is_err());
    assert!(dec(&b.tokens, &b.raw, 0).0.is_err(), "a block of no frames");
    // a block claiming 2^32 − 1 frames, or 2^40 channels: an error, memory only for what the
    // bytes hold
    let (r, out) = dec(&b.tokens, &b.raw, u32::MAX);
    assert!(r.is_err() && out.len() < 800 * (b.tokens.len() + b.raw.len()));
    assert!(out[..xs.len()] == xs[..]);
    let mut out = Vec::new();
    assert!(max::decode_block(&P, table(), 1 << 40, 1, &b.tokens, &b.raw, &mut out).is_err());
    assert!(out.len() <= 8 * b.raw.len() / 10);
    // flipped bytes anywhere: no panic (most are errors; the rest decode to other samples)
    let mut seed = 1u64;
    let mut errors = 0;
    for i in 0..400 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (mut t, mut r) = (b.tokens.clone(), b.raw.clone());
        let v = if i % 2 == 0 { &mut t } else { &mut r };
        let at = (seed >> 33) as usize % v.len();
        v[at] ^= 1 << ((seed >> 20) % 8);
        let (res, out) = dec(&t, &r, frames);
        errors += res.is_err() as u32;
        assert!(
            res.is_err() || out != xs,
            "a flipped bit left the samples unchanged"
        );
    }
    assert!(errors > 0);
    // random bytes as substreams
    for len in 0..64 {
        let t: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
        let _ = dec(&t, &t, 3);
    }
    // the split of the container's coded bytes
    let coded = b.coded_bytes();
    assert_eq!(
        max::split_coded(&coded).unwrap(),
        (&b.tokens[..], &b.raw[..])
    );
    assert!(max::split_coded(&coded[..3]).is_err());
    let mut long = coded.clone();
    long[0] = 0xFF;
    long[3] = 0x7F;
    assert!(max::split_coded(&long).is_err());
}

/// Every 40th recording (sorted by name) round-trips, and coder max is within 0.5 % of coder
/// v2 on each (all 603: `cargo run --release -p neurice-model --example train_max_table`).
#[test]
fn a_sample_of_the_recordings_round_trips() {
    let Some(dir) = tk::data_or_skip("a_sample_of_the_recordings_round_trips") else {
        return;
    };
    let files = tk::wavs(&dir);
    for f in files.iter().step_by(40) {
        let wav = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
        let (xs, _) = neurice_model::grid::to_grid(&wav.samples);
        let m = ratio(xs.len(), roundtrip(&P, 1, &xs));
        let v = ratio(xs.len(), v2_bytes(1, &xs));
        assert!(m >= 0.995 * v, "{}: max {m:.4}, v2 {v:.4}", f.display());
    }
}

/// The built-in table is what `train_max_table` makes of its training subset: the even-index
/// recordings, names sorted (FORMAT.md §10.4).
#[test]
fn the_builtin_table_is_the_trained_one() {
    let Some(dir) = tk::data_or_skip("the_builtin_table_is_the_trained_one") else {
        return;
    };
    let files = tk::wavs(&dir);
    if files.len() != 603 {
        eprintln!(
            "SKIPPED the_builtin_table_is_the_trained_one: {} recordings, not the 603",
            files.len()
        );
        return;
    }
    let mut counts = [[0u64; TOKENS]; CONTEXTS];
    for f in files.iter().step_by(2) {
        let wav = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
        let (xs, _) = neurice_model::grid::to_grid(&wav.samples);
        max::token_counts(&P, 1, &xs, &mut counts).unwrap();
    }
    let trained = Table::train(&counts);
    assert!(
        trained == *table(),
        "golden-model/tables/max_default.txt is not the table trained on the even-index \
         recordings (crc {:08x}, trained {:08x}): regenerate it with train_max_table",
        table().crc(),
        trained.crc()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any samples, channel count and block length round-trip.
    #[test]
    fn any_input_round_trips(
        channels in 1usize..6,
        frames in 0usize..300,
        block_frames in 0u32..40,
        seed in any::<u64>(),
        spread in 0u32..11,
    ) {
        let mut r = tk::XorShift64::new(seed);
        let mut x = 512i64;
        let xs: Vec<u32> = (0..frames * channels)
            .map(|_| {
                let step = (r.next_u64() % (1 << spread)) as i64 - (1 << spread) / 2;
                x = (x + step).clamp(0, 1023);
                x as u32
            })
            .collect();
        let p = MaxParams { block_frames, ..P };
        roundtrip(&p, channels, &xs);
    }

    /// Any bytes as substreams: an error or samples, never a panic.
    #[test]
    fn any_bytes_decode_without_a_panic(
        tokens in proptest::collection::vec(any::<u8>(), 0..64),
        raw in proptest::collection::vec(any::<u8>(), 0..64),
        channels in 1usize..4,
        frames in 0u32..50,
    ) {
        let mut out = Vec::new();
        let _ = max::decode_block(&P, table(), channels, frames, &tokens, &raw, &mut out);
        prop_assert!(out.len() <= frames as usize * channels);
    }
}
