//! Coder max through the engines: the max core (`CoreDesign::new` of coder max) run by
//! `neurice_sim::run` — the path `neurice sim --coder max` takes — in rust-hdl, under
//! Verilator on its emitted Verilog and as the yosys iCE40 gate-level netlist, against
//! `max::encode_block`: each substream's words in order (the core's words split by
//! `out_stream`, FORMAT.md §10.10) and their end marks (`out_last`, `out_bytes`). The
//! frozen vectors, short signals (every sample escaping among them) with gaps and
//! backpressure, recordings one per run and all as 1024 channels, and the cycles per sample
//! at 1024 channels. Verilator and yosys are installed by `scripts/install-tools.sh`;
//! without them, and without the recordings, the tests that need them print a SKIPPED
//! notice. Full runs of every recording are `#[ignore]`d (`-- --ignored`).

mod common;

use std::path::PathBuf;

use common::*;
use neurice_hdl::max::MaxCore1024;
use neurice_model::max::MaxSpec;
use neurice_model::{Coder, CoderSpec};
use neurice_sim::{gatelevel, rusthdl, verilator, MaxEnds};
use neurice_sim::{load_stimuli, CoreDesign, Engine, Pattern, RunOptions, Shape, Stimulus};
use neurice_sim::{RunSummary, SimReport};
use neurice_testkit::vectors::{load_max, max_specs};

const SPEC: MaxSpec = MaxSpec::HARDWARE;

fn coder() -> CoderSpec {
    CoderSpec::Max(SPEC)
}

fn design() -> CoreDesign {
    CoreDesign::new(coder(), 1024, Shape::OneLane).expect("the max core design")
}

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("max_engines")
}

fn opts() -> RunOptions {
    RunOptions {
        jobs: 2,
        build_dir: build_dir(),
        netlist: None,
        verbose: false,
    }
}

/// The extremes 0 / 1023 alternating by frame on `channels` channels: every sample escapes
/// (the most bits per sample, the worst case for the output).
fn escaping(channels: usize, frames: usize) -> Vec<u16> {
    signal(2, channels, frames, 1)
        .into_iter()
        .map(|x| x as u16)
        .collect()
}

/// A max stimulus with a gap/backpressure pattern.
fn max_stim(channels: usize, samples: Vec<u16>, gap: u32, bp: u32, label: &str) -> Stimulus {
    stim(channels, samples, gap, bp, label).for_coder(&coder())
}

/// The frozen vectors in grid mode (the core codes 10-bit samples), one stimulus per block
/// (the engines flush after each), with gaps and backpressure.
fn vectors() -> Vec<Stimulus> {
    let mut out = Vec::new();
    for spec in max_specs() {
        let v = load_max(spec);
        if v.raw16 {
            continue;
        }
        let mut at = 0;
        for (b, (frames, _, _)) in v.blocks.iter().enumerate() {
            let n = *frames as usize * v.channels;
            let samples = v.samples[at..at + n].iter().map(|&x| x as u16).collect();
            at += n;
            let label = format!("vector {}, block {b}", v.spec.name);
            out.push(max_stim(v.channels, samples, 300, 300, &label));
        }
    }
    out
}

/// Short signals ([`synthetic_set`]: a trace, noise, alternating extremes, flat runs, 1024
/// channels), the frozen vectors, and the adversarial case: every sample escaping
/// ([`escaping`]) on 1024 channels, under 900 ‰ backpressure.
fn synthetic() -> Vec<Stimulus> {
    let mut s = synthetic_set(3_000, 3, &coder());
    s.extend(vectors());
    s.push(max_stim(
        1024,
        escaping(1024, 4),
        50,
        900,
        "escaping, 1024 channels, 900‰ backpressure",
    ));
    s
}

/// rust-hdl's run of [`synthetic`], once per test process: the rust-hdl test and the
/// Verilator comparison share it.
fn rusthdl_synthetic() -> &'static (RunSummary, Vec<SimReport>) {
    static RUN: std::sync::OnceLock<(RunSummary, Vec<SimReport>)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        neurice_sim::run(Engine::Rusthdl, &design(), &synthetic(), &opts(), &|_| {})
            .expect("rust-hdl runs")
    })
}

/// The golden model's words of a vector's blocks are the frozen substreams (so the engines
/// compare the core with the vectors themselves).
#[test]
fn golden_words_of_the_vectors_are_their_frozen_substreams() {
    let mut stims = vectors().into_iter();
    for spec in max_specs() {
        let v = load_max(spec);
        if v.raw16 {
            continue;
        }
        for (b, (_, tokens, raw)) in v.blocks.iter().enumerate() {
            let s = stims.next().unwrap();
            let g = neurice_sim::golden(&s).unwrap();
            let m = g.max.expect("two substreams");
            let tw = neurice_model::v2::block_words(tokens);
            let rw = neurice_model::v2::block_words(raw);
            assert_eq!(m.token_words, tw.len(), "{} block {b}", v.spec.name);
            assert_eq!(&g.words[..m.token_words], tw, "{} block {b}", v.spec.name);
            assert_eq!(&g.words[m.token_words..], rw, "{} block {b}", v.spec.name);
            let lb = |n: usize| ((n - 1) % 4 + 1) as u32;
            assert_eq!(m.last_bytes, [lb(tokens.len()), lb(raw.len())]);
        }
    }
    assert!(stims.next().is_none());
}

#[test]
fn max_signals_are_bit_exact_in_rusthdl() {
    let stims = synthetic();
    let (s, reports) = rusthdl_synthetic();
    assert_passed(Coder::Max, s, reports);
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    assert_eq!(s.samples, total);
    eprintln!(
        "rusthdl max: {} runs, {} samples, {} cycles ({:.3} clocks/sample with gaps and \
         backpressure), ratio {:.3}",
        s.runs,
        s.samples,
        s.cycles,
        s.cycles as f64 / s.samples as f64,
        s.ratio
    );
}

#[test]
fn a_corrupted_word_a_swapped_substream_and_a_wrong_end_mark_are_reported() {
    let s = max_stim(2, trace(2_000, 7), 100, 100, "trace, corrupted");
    let clean = rusthdl::run_inspect_on::<MaxCore1024>(&s, &mut |_, _| {}).unwrap();
    assert_eq!(clean.mismatches, 0, "{:?}", clean.first_mismatch);
    let bad = rusthdl::run_inspect_on::<MaxCore1024>(&s, &mut |_, w| w[3] ^= 0x0100).unwrap();
    assert!(bad.mismatches >= 1, "{bad:?}");
    // the tags decide the order: words of the two substreams told apart
    let words = [10u32, 20, 11, 21, 12];
    let streams = [false, true, false, true, false];
    let (w, ends, bytes) = neurice_sim::max_order(&words, &streams, &[3, 4], &[2, 3]);
    assert_eq!(w, [10, 11, 12, 20, 21]);
    assert_eq!(ends, [2, 4]);
    assert_eq!(bytes, [3, 2]);
    // the end-mark check on its own: out_last on the wrong word, a wrong out_bytes
    let g = neurice_sim::golden(&s).unwrap();
    let m: MaxEnds = g.max.unwrap();
    let n = g.words.len();
    let want = m.ends(n);
    let (at, b): (Vec<usize>, Vec<u32>) = want.iter().copied().unzip();
    let mut r = clean.clone();
    neurice_sim::check_max_ends(&mut r, g.max, n, &at, Some(&b));
    assert_eq!(r.mismatches, 0);
    neurice_sim::check_max_ends(&mut r, g.max, n, &[at[0] - 1, at[1]], Some(&b));
    assert_eq!(r.mismatches, 1);
    let mut r = clean.clone();
    neurice_sim::check_max_ends(&mut r, g.max, n, &at, Some(&[b[0], b[1] % 4 + 1]));
    assert_eq!(r.mismatches, 1);
    assert!(
        r.first_mismatch.unwrap().detail.contains("out_bytes"),
        "names the mark"
    );
}

#[test]
fn a_stimulus_for_another_coder_or_not_whole_frames_is_refused() {
    let v1 = stim(1, trace(100, 1), 0, 0, "v1 stimulus");
    let e = neurice_sim::run(Engine::Rusthdl, &design(), &[v1], &opts(), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("coder lite"), "{e}");
    let part = max_stim(3, trace(100, 1), 0, 0, "part of a frame");
    let e = neurice_sim::run(Engine::Rusthdl, &design(), &[part], &opts(), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("whole number of frames"), "{e}");
    let mut bad = SPEC;
    bad.params.window_log2 = 5;
    let e = CoreDesign::new(CoderSpec::Max(bad), 1024, Shape::OneLane).unwrap_err();
    assert!(e.to_string().contains("window_log2"), "{e}");
}

#[test]
fn max_verilator_and_rusthdl_agree_cycle_for_cycle() {
    if !verilator_or_skip("max_verilator_and_rusthdl_agree_cycle_for_cycle") {
        return;
    }
    let stims = synthetic();
    let verilated = neurice_sim::run(Engine::Verilator, &design(), &stims, &opts(), &|_| {})
        .expect("verilator runs");
    assert_passed(Coder::Max, &verilated.0, &verilated.1);
    assert_same_cycles(&verilated, rusthdl_synthetic());
}

/// Recordings as 1024 channels without gaps or backpressure, and every sample escaping on
/// 1024 channels: one sample per clock (no stall); the clocks per sample, the flush
/// included, are measured and printed.
#[test]
fn max_takes_one_sample_per_clock_at_1024_channels() {
    let test = "max_takes_one_sample_per_clock_at_1024_channels";
    if !verilator_or_skip(test) {
        return;
    }
    let mut stims = vec![max_stim(1024, escaping(1024, 50), 0, 0, "escaping, 1024")];
    if let Some(dir) = data_or_skip(&format!("{test} (recordings part)")) {
        let none = Pattern {
            input_gap_per_mille: 0,
            backpressure_per_mille: 0,
            seed: 3,
        };
        let files = wavs(&dir);
        stims.extend(load_stimuli(&coder(), &files, 1024, Some(2_000), Some(1), none, 2).unwrap());
    }
    let (s, r) = neurice_sim::run(Engine::Verilator, &design(), &stims, &opts(), &|_| {})
        .expect("verilator runs");
    assert_passed(Coder::Max, &s, &r);
    for r in &r {
        let per = r.cycles as f64 / r.samples as f64;
        eprintln!(
            "max, {}: {} samples in {} clocks (flush included): {per:.5} clocks/sample, {} stalls",
            r.label, r.samples, r.cycles, r.stall_cycles
        );
        assert_eq!(r.stall_cycles, 0, "{}: stalls", r.label);
        // one clock per sample; the flush adds a few dozen clocks per block
        assert!(
            r.cycles <= r.samples + 64,
            "{}: {} clocks",
            r.label,
            r.cycles
        );
    }
}

/// Every recording one per run (the first 2 000 samples each: one channel takes 4 clocks per
/// sample, the same-channel rule) and every recording in the 1024 channels (200 frames),
/// with gaps and backpressure, under Verilator.
#[test]
fn recordings_max_one_per_run_and_all_as_1024_channels_sampled() {
    recordings_one_per_run_and_as_1024(
        "recordings_max_one_per_run_and_all_as_1024_channels_sampled",
        Some(2_000),
        200,
    );
}

/// [`recordings_max_one_per_run_and_all_as_1024_channels_sampled`] on the whole files, and
/// 20 000 frames of 1024 channels (about 1 s of recording).
#[test]
#[ignore = "full run: every whole recording (minutes); `cargo test -- --ignored`"]
fn every_recording_max_one_per_run_and_all_as_1024_channels() {
    recordings_one_per_run_and_as_1024(
        "every_recording_max_one_per_run_and_all_as_1024_channels",
        None,
        20_000,
    );
}

fn recordings_one_per_run_and_as_1024(test: &str, per_file: Option<usize>, frames: usize) {
    if !verilator_or_skip(test) {
        return;
    }
    let Some(dir) = data_or_skip(test) else {
        return;
    };
    let files = wavs(&dir);
    let pattern = Pattern {
        input_gap_per_mille: 100,
        backpressure_per_mille: 100,
        seed: 5,
    };
    let load = |channels, frames| {
        load_stimuli(&coder(), &files, channels, frames, None, pattern, 2).unwrap()
    };
    let singles = load(1, per_file);
    assert_eq!(singles.len(), files.len());
    let (s, r) = neurice_sim::run(Engine::Verilator, &design(), &singles, &opts(), &|_| {})
        .expect("verilator runs");
    assert_passed(Coder::Max, &s, &r);
    eprintln!(
        "verilator max: {} recordings, {} samples, {} cycles ({:.3} clocks/sample), ratio \
         {:.4}, {:.2} M cycles/s per model",
        s.runs,
        s.samples,
        s.cycles,
        s.cycles as f64 / s.samples as f64,
        s.ratio,
        s.cycles_per_second / 1e6
    );
    drop(singles);
    // every recording in the 1024 channels (files repeat to fill them)
    let all = load(1024, Some(frames));
    let (s, r) = neurice_sim::run(Engine::Verilator, &design(), &all, &opts(), &|_| {})
        .expect("verilator runs");
    assert_passed(Coder::Max, &s, &r);
    eprintln!(
        "verilator max: 1024 channels, {} runs, {} samples, {} cycles, ratio {:.4}",
        s.runs, s.samples, s.cycles, s.ratio
    );
}

/// yosys' iCE40 netlist of the core (multipliers in `SB_MAC16` blocks when `dsp`, as `neurice
/// synth --device up5k --dsp` builds it) against the golden model at gate level: the
/// known-answer vectors, every sample escaping (2 channels; 1024 channels under 900 ‰
/// backpressure), and with the recordings four of them one per run and all 603 as 1024
/// channels. Returns the `SB_MAC16` count and the summary; `None` when skipped.
fn gate_level_matches_the_model(test: &str, dsp: bool) -> Option<(usize, RunSummary)> {
    if !gatelevel_or_skip(test) {
        return None;
    }
    let work = build_dir().join(if dsp { "gatelevel-dsp" } else { "gatelevel" });
    let net = gatelevel::netlist_with(&design().verilog().unwrap(), "top", &work, dsp)
        .expect("yosys synth_ice40");
    assert!(net.contains("SB_RAM40_4K") && net.contains("SB_LUT4"));
    let macs = net.matches("SB_MAC16 ").count();
    let o = RunOptions {
        netlist: Some(net),
        ..opts()
    };
    let mut stims = vectors();
    stims.push(max_stim(
        2,
        escaping(2, 300),
        100,
        300,
        "escaping, 2 channels",
    ));
    stims.push(max_stim(
        1024,
        escaping(1024, 2),
        0,
        900,
        "escaping, 1024 channels, 900‰ backpressure",
    ));
    if let Some(dir) = data_or_skip(&format!("{test} (recordings part)")) {
        let pattern = Pattern {
            input_gap_per_mille: 200,
            backpressure_per_mille: 200,
            seed: 11,
        };
        let pick = four_recordings(&dir);
        stims.extend(load_stimuli(&coder(), &pick, 1, Some(10_000), None, pattern, 2).unwrap());
        let files = wavs(&dir);
        stims.extend(load_stimuli(&coder(), &files, 1024, Some(20), Some(1), pattern, 2).unwrap());
    }
    let (s, r) =
        neurice_sim::run(Engine::Gatelevel, &design(), &stims, &o, &|_| {}).expect("netlist runs");
    assert_passed(Coder::Max, &s, &r);
    Some((macs, s))
}

#[test]
fn max_gate_level_netlist_matches_the_golden_model() {
    let test = "max_gate_level_netlist_matches_the_golden_model";
    if let Some((macs, _)) = gate_level_matches_the_model(test, false) {
        assert_eq!(macs, 0, "the HX8K netlist has no DSP blocks");
    }
}

/// The UP5K netlist with the multipliers in DSP blocks (`neurice synth --device up5k --dsp`,
/// the build that reaches the 20.48 MHz real-time clock there): yosys' `SB_MAC16` model in the
/// gate-level simulation.
#[test]
fn max_dsp_netlist_matches_the_golden_model() {
    let test = "max_dsp_netlist_matches_the_golden_model";
    if let Some((macs, s)) = gate_level_matches_the_model(test, true) {
        assert!(macs > 0, "no SB_MAC16 in the -dsp netlist");
        eprintln!(
            "{test}: {macs} SB_MAC16, {} runs, {} samples, 0 mismatches",
            s.runs, s.samples
        );
    }
}

/// The known-answer vectors on the verilated core, the harness's raw result: the words of
/// each substream are the vector's and each substream's last word carries `out_last` and
/// its valid bytes.
#[test]
fn max_known_answer_vectors_on_the_verilated_core() {
    if !verilator_or_skip("max_known_answer_vectors_on_the_verilated_core") {
        return;
    }
    let bin = verilator::build(&design().verilog().unwrap(), "top", &build_dir()).unwrap();
    let stims = vectors();
    let refs: Vec<&Stimulus> = stims.iter().collect();
    let raw = verilator::run_raw(&refs, &bin, 1, &mut |_| {}).unwrap();
    for (s, raw) in stims.iter().zip(&raw) {
        assert_eq!(raw.status, 0, "{}", s.label);
        assert_eq!(raw.ends.len(), 2, "{}: two substream ends", s.label);
        let bytes = raw.end_bytes().expect("the max core's words are tagged");
        assert!(bytes.iter().all(|b| (1..=4).contains(b)), "{bytes:?}");
        let rep = verilator::report(s, raw).unwrap();
        assert_eq!(rep.mismatches, 0, "{}: {:?}", s.label, rep.first_mismatch);
    }
}
