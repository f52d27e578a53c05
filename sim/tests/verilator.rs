//! The emitted Verilog under Verilator, and the iCE40 gate-level netlist, against the golden
//! model — including every recording, one file per run and 1024 files as 1024 channels.
//! Needs Verilator (and yosys for the netlist): installed by `scripts/install-tools.sh`;
//! without them each test prints a SKIPPED notice.

mod common;

use std::path::PathBuf;

use common::*;
use neurice_model::CodecParams;
use neurice_sim::verilator;
use neurice_sim::{gatelevel, rusthdl, Stimulus};
use neurice_sim::{load_stimuli, Pattern};

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator")
}

fn rtl() -> String {
    neurice_hdl::verilog(&CodecParams::HARDWARE, 1024).expect("core Verilog")
}

fn assert_clean(r: &verilator::BatchReport) {
    assert_eq!(
        r.mismatches,
        0,
        "first failure: {:?}",
        r.reports
            .iter()
            .find(|x| x.mismatches > 0)
            .map(|x| (&x.label, &x.first_mismatch))
    );
    for x in &r.reports {
        assert_eq!(x.words, x.expected_words, "{}", x.label);
    }
}

#[test]
fn emitted_verilog_is_lint_clean() {
    if !verilator_or_skip("emitted_verilog_is_lint_clean") {
        return;
    }
    let dir = build_dir().join("lint");
    verilator::lint(&rtl(), "top", &dir).expect("verilator --lint-only -Wall");
}

fn synthetic() -> Vec<Stimulus> {
    synthetic_set(20_000, 12, &CodecParams::HARDWARE.into())
}

#[test]
fn verilator_and_rusthdl_agree_cycle_for_cycle() {
    if !verilator_or_skip("verilator_and_rusthdl_agree_cycle_for_cycle") {
        return;
    }
    let bin = verilator::build(&rtl(), "top", &build_dir()).expect("verilator build");
    let stims = synthetic();
    let r = verilator::run_batch(&stims, &bin, 2, &mut |_| {}).expect("harness runs");
    assert_clean(&r);
    for (s, v) in stims.iter().zip(&r.reports) {
        let h = rusthdl::run(s, &mut |_| {}).unwrap();
        assert_eq!(h.mismatches, 0, "{}", s.label);
        // same stimulus, same design: the same cycle and stall counts in both simulators
        assert_eq!(
            (v.cycles, v.stall_cycles, v.words),
            (h.cycles, h.stall_cycles, h.words),
            "{}",
            s.label
        );
    }
}

#[test]
fn known_answer_vectors_on_the_verilated_core() {
    // The frozen words of golden-model/tests/vectors/ come out of the Verilated core.
    if !verilator_or_skip("known_answer_vectors_on_the_verilated_core") {
        return;
    }
    let bin = verilator::build(&rtl(), "top", &build_dir()).expect("verilator build");
    let vs: Vec<_> = neurice_testkit::vectors::all()
        .into_iter()
        .filter(|v| !v.words.is_empty())
        .collect();
    let stims: Vec<Stimulus> = vs
        .iter()
        .map(|v| stim(v.channels, v.indices.clone(), 150, 150, &v.name))
        .collect();
    let refs: Vec<&Stimulus> = stims.iter().collect();
    let raw = verilator::run_raw(&refs, &bin, 1, &mut |_| {}).expect("harness runs");
    for (v, r) in vs.iter().zip(&raw) {
        assert_eq!(r.status, 0, "{}", v.name);
        assert_eq!(r.words.len(), v.words.len(), "{}: word count", v.name);
        if let Some(i) = (0..r.words.len()).find(|&i| r.words[i] != v.words[i]) {
            panic!(
                "{}: core word {i} is {:08x}, frozen {:08x}",
                v.name, r.words[i], v.words[i]
            );
        }
    }
}

#[test]
fn every_recording_one_per_run_and_all_as_1024_channels() {
    if !verilator_or_skip("every_recording_one_per_run_and_all_as_1024_channels") {
        return;
    }
    let Some(dir) = data_or_skip("every_recording_one_per_run_and_all_as_1024_channels") else {
        return;
    };
    let bin = verilator::build(&rtl(), "top", &build_dir()).expect("verilator build");
    let files = wavs(&dir);
    let pattern = Pattern {
        input_gap_per_mille: 100,
        backpressure_per_mille: 100,
        seed: 3,
    };
    let singles = load_stimuli(
        &CodecParams::HARDWARE.into(),
        &files,
        1,
        None,
        None,
        pattern,
        2,
    )
    .unwrap();
    assert_eq!(singles.len(), files.len());
    let r = verilator::run_batch(&singles, &bin, 2, &mut |_| {}).unwrap();
    assert_clean(&r);
    eprintln!(
        "verilator: {} recordings, {} samples, {} cycles, {:.2} M cycles/s per model",
        r.runs,
        r.samples,
        r.cycles,
        r.cycles_per_second / 1e6
    );
    drop(singles);
    let all = load_stimuli(
        &CodecParams::HARDWARE.into(),
        &files,
        1024,
        None,
        None,
        pattern,
        2,
    )
    .unwrap();
    let r = verilator::run_batch(&all, &bin, 2, &mut |_| {}).unwrap();
    assert_clean(&r);
    eprintln!(
        "verilator: 1024 channels, {} samples, {} cycles, {:.2} M cycles/s",
        r.samples,
        r.cycles,
        r.cycles_per_second / 1e6
    );
}

#[test]
fn gate_level_netlist_matches_the_golden_model() {
    if !verilator_or_skip("gate_level_netlist_matches_the_golden_model") {
        return;
    }
    let work = build_dir().join("gatelevel");
    let net = gatelevel::netlist(&rtl(), "top", &work).expect("yosys synth_ice40");
    assert!(net.contains("SB_RAM40_4K") && net.contains("SB_LUT4"));
    let bin = gatelevel::build(&net, "top", &build_dir()).expect("verilator build of the netlist");
    let mut stims = synthetic();
    if let Some(dir) = data_or_skip("gate_level_netlist_matches_the_golden_model (recordings part)")
    {
        let pick = four_recordings(&dir);
        let pattern = Pattern {
            input_gap_per_mille: 200,
            backpressure_per_mille: 200,
            seed: 11,
        };
        stims.extend(
            load_stimuli(
                &CodecParams::HARDWARE.into(),
                &pick,
                1,
                Some(30_000),
                None,
                pattern,
                2,
            )
            .unwrap(),
        );
    }
    let r = verilator::run_batch(&stims, &bin, 2, &mut |_| {}).unwrap();
    assert_clean(&r);
}

/// A valid, non-default coder (another window, threshold and unary cap) travels as a value
/// from the stimulus to the core, its Verilog and the golden-model comparison: both engines
/// are bit-exact on it, and its words differ from the hardware coder's (the parameters are
/// really used).
#[test]
fn a_non_default_coder_is_bit_exact_in_rusthdl_and_verilator() {
    if !verilator_or_skip("a_non_default_coder_is_bit_exact_in_rusthdl_and_verilator") {
        return;
    }
    let params = CodecParams {
        qmax: 12,
        window_log2: 4,
        thr_num: 3,
        thr_shift: 2,
        ..CodecParams::HARDWARE
    };
    let design = neurice_sim::CoreDesign::new(params.into(), 16, neurice_sim::Shape::OneLane)
        .expect("a core for these parameters");
    let mut samples = trace(12_000, 9);
    samples.extend(noise(3_000, 10));
    let stims = vec![
        Stimulus::new(params, 3, samples.clone(), "3 channels").with_pattern(Pattern {
            input_gap_per_mille: 200,
            backpressure_per_mille: 200,
            seed: 3,
        }),
        Stimulus::new(params, 16, samples.clone(), "16 channels"),
    ];
    let opts = neurice_sim::RunOptions {
        jobs: 2,
        build_dir: build_dir(),
        netlist: None,
        verbose: false,
    };
    for engine in [neurice_sim::Engine::Rusthdl, neurice_sim::Engine::Verilator] {
        let (s, reports) = neurice_sim::run(engine, &design, &stims, &opts, &|_| {}).unwrap();
        assert!(s.passed(), "{engine}: {:?}", s.first_failure);
        assert_eq!(s.samples, 2 * samples.len() as u64, "{engine}");
        for r in &reports {
            assert_eq!(r.words, r.expected_words, "{engine} {}", r.label);
        }
    }
    let other = neurice_sim::expected_words(&Stimulus::new(
        CodecParams::HARDWARE,
        3,
        samples.clone(),
        "hw",
    ))
    .0;
    assert_ne!(neurice_sim::expected_words(&stims[0]).0, other);
    // a stimulus for another coder is refused before anything runs
    let wrong = vec![Stimulus::new(CodecParams::HARDWARE, 3, samples, "hw")];
    let e = neurice_sim::run(
        neurice_sim::Engine::Rusthdl,
        &design,
        &wrong,
        &opts,
        &|_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("built for"), "{e}");
}
