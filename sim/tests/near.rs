//! The bounded-error cores (FORMAT.md §11; `neurice_hdl::lattice`) through the normal engines:
//! the coder value carries the maximum error `δ` (`CodecParams::max_error`), so
//! `CoreDesign::new` builds the core with its quantiser and the golden model the words are
//! compared with is the bounded-error encoder. rust-hdl's simulator, Verilator on the emitted
//! Verilog and on the gate-level netlist, on generated signals (full-scale noise, extremes,
//! flat runs, the grid's ends, 1024 channels) and sampled recordings, with gaps and
//! backpressure; and the WAV decoded from the core's words is the one `decompress` writes.

mod common;

use std::path::PathBuf;

use common::*;
use neurice_hdl::Core1024;
use neurice_model::grid::grid_value;
use neurice_model::{CodecParams, CoderSpec};
use neurice_sim::{
    golden, load_indices, load_stimuli, rusthdl, CoreDesign, Engine, Pattern, RunOptions, Shape,
    Stimulus,
};

const P: CodecParams = CodecParams::HARDWARE;

fn spec(d: u32) -> CoderSpec {
    CoderSpec::Lite(P.with_max_error(d))
}

fn design(d: u32, lanes: usize) -> CoreDesign {
    CoreDesign::new(spec(d), 1024, Shape::with_lanes(lanes).unwrap()).expect("a core for δ")
}

fn opts() -> RunOptions {
    RunOptions {
        jobs: 2,
        build_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator-near"),
        netlist: None,
        verbose: false,
    }
}

/// A sweep over the whole scale, both ends held: every lattice level and the clamped top.
fn ends(n: usize) -> Vec<u16> {
    (0..n)
        .map(|i| match (i / 700) % 4 {
            0 => 0,
            1 => ((i % 700) * 1023 / 699) as u16,
            2 => 1023,
            _ => (1023 - (i % 700) * 1023 / 699) as u16,
        })
        .collect()
}

/// The engines' short signal set ([`synthetic_set`]) for `δ`, the grid's ends on 2 channels
/// added, keeping the stimuli a core with `lanes` lanes takes (whole channel pairs).
fn stimuli(d: u32, lanes: usize, n: usize, frames: usize) -> Vec<Stimulus> {
    let mut v = synthetic_set(n, frames, &spec(d));
    v.push(stim(2, ends(n), 100, 100, "the grid's ends, 2 channels").for_coder(&spec(d)));
    v.into_iter()
        .filter(|s| s.channels % lanes == 0)
        .map(|mut s| {
            s.samples
                .truncate(s.samples.len() / s.channels * s.channels);
            s
        })
        .collect()
}

fn assert_passes(engine: Engine, d: u32, lanes: usize, stims: &[Stimulus]) {
    let (s, _) = neurice_sim::run(engine, &design(d, lanes), stims, &opts(), &|_| {}).unwrap();
    assert!(
        s.passed(),
        "{engine} δ {d} lanes {lanes}: {:?}",
        s.first_failure
    );
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    assert_eq!(s.samples, total, "{engine} δ {d}: every sample taken");
}

#[test]
fn rusthdl_cores_with_delta_match_the_model() {
    for (d, lanes) in [(1u32, 1usize), (2, 1), (255, 1), (2, 2)] {
        assert_passes(Engine::Rusthdl, d, lanes, &stimuli(d, lanes, 5_000, 4));
    }
}

#[test]
fn a_core_built_for_another_delta_is_caught() {
    // the comparison is sharp: the δ = 1 core's words are not the δ = 2 model's
    let s = Stimulus::new(P.with_max_error(2), 1, trace(3_000, 5), "trace");
    let core = Box::new(Core1024::new(&P.with_max_error(1)).unwrap());
    let got = rusthdl::run_flagged(core, &s, &[], &mut |_| {})
        .unwrap()
        .words;
    assert_ne!(got, golden(&s).unwrap().words);
    assert_eq!(got, golden(&s.for_coder(&spec(1))).unwrap().words);
    // and the design refuses what the hardware does not build, with the reason
    let e = CoreDesign::new(spec(256), 1024, Shape::OneLane).unwrap_err();
    assert!(format!("{e:#}").contains("0..=255"), "{e:#}");
    let v2 = CoderSpec::hardware(neurice_model::Coder::V2)
        .with_max_error(1)
        .unwrap();
    // (coder v2 has no core any more: its hardware core is retired, issue 26)
    let e = CoreDesign::new(v2, 1024, Shape::OneLane).unwrap_err();
    assert!(format!("{e:#}").contains("retired"), "{e:#}");
    // coder max's core takes δ too (FORMAT.md §10.11; tests/max_near.rs), up to 255
    let max = CoderSpec::hardware(neurice_model::Coder::Max);
    assert!(CoreDesign::new(max.with_max_error(255).unwrap(), 1024, Shape::OneLane).is_ok());
}

/// Every 60th recording on its own and 16 of them as 16 channels (2 000 frames) with gaps
/// and backpressure; none when the recordings are absent.
fn recording_stimuli(d: u32, test: &str) -> Vec<Stimulus> {
    let Some(dir) = data_or_skip(test) else {
        return Vec::new();
    };
    let files = wavs(&dir);
    let mut out: Vec<Stimulus> = files
        .iter()
        .step_by(60)
        .map(|f| {
            let s = load_indices(f).expect("a recording");
            Stimulus::new(spec(d), 1, s, &f.display().to_string())
        })
        .collect();
    let sixteen: Vec<PathBuf> = files
        .iter()
        .step_by(files.len().div_ceil(16).max(1))
        .take(16)
        .cloned()
        .collect();
    let pattern = Pattern {
        input_gap_per_mille: 300,
        backpressure_per_mille: 300,
        seed: 3,
    };
    out.extend(load_stimuli(&spec(d), &sixteen, 16, Some(2_000), None, pattern, 2).unwrap());
    out
}

#[test]
fn verilated_cores_with_delta_match_the_model() {
    if !verilator_or_skip("verilated_cores_with_delta_match_the_model") {
        return;
    }
    for (d, lanes) in [(1u32, 1usize), (2, 2)] {
        let rtl = design(d, lanes).verilog().expect("Verilog");
        let lint_dir = opts().build_dir.join(format!("lint-{d}-{lanes}"));
        neurice_sim::verilator::lint(&rtl, "top", &lint_dir)
            .expect("verilator --lint-only -Wall is clean");
        let mut stims = stimuli(d, lanes, 20_000, 12);
        if lanes == 1 {
            stims.extend(recording_stimuli(
                d,
                "verilated_cores_with_delta_match_the_model (recordings)",
            ));
        }
        assert_passes(Engine::Verilator, d, lanes, &stims);
    }
}

#[test]
fn gate_level_core_with_delta_matches_the_model() {
    if !gatelevel_or_skip("gate_level_core_with_delta_matches_the_model") {
        return;
    }
    assert_passes(Engine::Gatelevel, 2, 1, &stimuli(2, 1, 4_000, 3));
}

/// The WAV a receiver makes from the core's words (decoded by the golden model, written into
/// the recording's WAV header) is the one `neurice decompress` writes for the container of the
/// same recording, byte for byte, and compressing twice gives the same container.
#[test]
fn the_cores_words_decode_to_the_decompressed_wav() {
    let mut cases = vec![("a trace".to_string(), trace(20_000, 7))];
    if let Some(f) = first_recording() {
        let s = load_indices(&f).unwrap();
        cases.push((f.display().to_string(), s[..s.len().min(60_000)].to_vec()));
    }
    for d in [1u32, 2] {
        for (what, samples) in &cases {
            let wav = grid_wav(1, samples);
            let (nrc, _) = neurice_model::compress_wav_with(&wav, spec(d)).unwrap();
            assert_eq!(
                nrc,
                neurice_model::compress_wav_with(&wav, spec(d)).unwrap().0
            );
            let restored = neurice_model::decompress(&nrc).unwrap();
            assert_ne!(restored, wav, "δ {d} {what}: lossy");
            let s = Stimulus::new(spec(d), 1, samples.clone(), what);
            let core = Box::new(Core1024::new(&P.with_max_error(d)).unwrap());
            let words = rusthdl::run_flagged(core, &s, &[], &mut |_| {})
                .unwrap()
                .words;
            let decoded =
                neurice_model::lite::decode_words(&P.with_max_error(d), 1, samples.len(), &words)
                    .unwrap();
            let pcm: Vec<i16> = decoded.iter().map(|&k| grid_value(k)).collect();
            let mut from_core = wav[..44].to_vec();
            pcm.iter()
                .for_each(|v| from_core.extend_from_slice(&v.to_le_bytes()));
            assert_eq!(from_core, restored, "δ {d} {what}");
        }
    }
}
