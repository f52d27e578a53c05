//! Coder v2 through the engines: the v2 core (`CoreDesign::new` of coder v2) run by
//! `neurice_sim::run` — the path `neurice sim --coder v2` takes — in rust-hdl, under
//! Verilator on its emitted Verilog and as the yosys iCE40 gate-level netlist, word for word
//! against `v2::encode_block`, with the block's end marks (`out_last`, `out_bytes`) checked.
//! Verilator and yosys are installed by `scripts/install-tools.sh`; without them, and
//! without the recordings, the tests that need them print a SKIPPED notice.

mod common;

use std::path::PathBuf;

use common::*;
use neurice_hdl::v2::core::V2Core1024;
use neurice_model::v2::V2Params;
use neurice_model::{CodecParams, Coder};
use neurice_sim::{gatelevel, rusthdl, verilator};
use neurice_sim::{load_stimuli, CoreDesign, Engine, Pattern, RunOptions, Shape, Stimulus};

const P: V2Params = V2Params::HARDWARE;

/// KAT_V2_BLOCK of golden-model/tests/v2.rs: one channel, 8 samples, 14 bytes.
const KAT_SAMPLES: [u16; 8] = [512, 515, 510, 511, 600, 0, 1023, 1023];
const KAT_BYTES: &str = "7eeb0df61ee40be7266ae2ed5800";

fn design() -> CoreDesign {
    CoreDesign::new(P.into(), 1024, Shape::OneLane).expect("the v2 core design")
}

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("v2_engines")
}

fn opts() -> RunOptions {
    RunOptions {
        jobs: 2,
        build_dir: build_dir(),
        netlist: None,
        verbose: false,
    }
}

/// A v2 stimulus with a gap/backpressure pattern.
fn v2_stim(channels: usize, samples: Vec<u16>, gap: u32, bp: u32, label: &str) -> Stimulus {
    stim(channels, samples, gap, bp, label).for_coder(&P.into())
}

/// Short signals: a trace, noise, alternating extremes (every sample escaping), flat runs,
/// 1 and 2 channels, and a few frames of 1024 channels.
fn synthetic() -> Vec<Stimulus> {
    synthetic_set(3_000, 3, &P.into())
}

fn kat_words() -> Vec<u32> {
    let b: Vec<u8> = (0..KAT_BYTES.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&KAT_BYTES[i..i + 2], 16).unwrap())
        .collect();
    neurice_model::v2::block_words(&b)
}

/// rust-hdl's run of [`synthetic`], once per test process: the rust-hdl test and the
/// Verilator comparison share it.
fn rusthdl_synthetic() -> &'static (neurice_sim::RunSummary, Vec<neurice_sim::SimReport>) {
    static RUN: std::sync::OnceLock<(neurice_sim::RunSummary, Vec<neurice_sim::SimReport>)> =
        std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        neurice_sim::run(Engine::Rusthdl, &design(), &synthetic(), &opts(), &|_| {})
            .expect("rust-hdl runs")
    })
}

#[test]
fn v2_signals_are_bit_exact_in_rusthdl() {
    let stims = synthetic();
    let (s, reports) = rusthdl_synthetic();
    assert_passed(Coder::V2, s, reports);
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    assert_eq!(s.samples, total);
    eprintln!(
        "rusthdl v2: {} samples, {} cycles ({:.2} clocks/sample), ratio {:.3}",
        s.samples,
        s.cycles,
        s.cycles as f64 / s.samples as f64,
        s.ratio
    );
}

#[test]
fn a_corrupted_word_and_a_wrong_end_mark_are_reported() {
    let s = v2_stim(2, trace(2_000, 7), 100, 100, "trace, corrupted");
    let clean = rusthdl::run_inspect_on::<V2Core1024>(&s, &mut |_, _| {}).unwrap();
    assert_eq!(clean.mismatches, 0, "{:?}", clean.first_mismatch);
    let bad = rusthdl::run_inspect_on::<V2Core1024>(&s, &mut |_, w| w[3] ^= 0x0100).unwrap();
    assert_eq!(bad.mismatches, 1);
    assert_eq!(bad.first_mismatch.as_ref().unwrap().word_index, 3);
    // the end-mark check on its own: out_last on the wrong word, a wrong out_bytes
    let last = clean.expected_words as usize - 1;
    let bytes = neurice_sim::v2_block(&P, &s).len();
    let right = ((bytes - 1) % 4 + 1) as u32;
    let mut r = clean.clone();
    neurice_sim::check_v2_ends(&mut r, Some(bytes), &[last], Some(&[right]));
    assert_eq!(r.mismatches, 0);
    neurice_sim::check_v2_ends(&mut r, Some(bytes), &[last - 1], Some(&[right]));
    assert_eq!(r.mismatches, 1);
    let mut r = clean.clone();
    neurice_sim::check_v2_ends(&mut r, Some(bytes), &[last], Some(&[right % 4 + 1]));
    assert_eq!(r.mismatches, 1);
    assert!(
        r.first_mismatch.unwrap().detail.contains("out_bytes"),
        "names the mark"
    );
}

#[test]
fn a_stimulus_for_the_other_coder_is_refused() {
    let v1 = stim(1, trace(100, 1), 0, 0, "v1 stimulus");
    let e = neurice_sim::run(Engine::Rusthdl, &design(), &[v1], &opts(), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("coder lite"), "{e}");
    let v1_design = CoreDesign::new(CodecParams::HARDWARE.into(), 1024, Shape::OneLane).unwrap();
    let v2 = v2_stim(1, trace(100, 1), 0, 0, "v2 stimulus");
    let e = neurice_sim::run(Engine::Rusthdl, &v1_design, &[v2], &opts(), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("coder v2"), "{e}");
    let mut bad = P;
    bad.golomb.window_log2 = 5;
    assert!(CoreDesign::new(bad.into(), 1024, Shape::OneLane).is_err());
}

#[test]
fn v2_verilator_and_rusthdl_agree_cycle_for_cycle() {
    if !verilator_or_skip("v2_verilator_and_rusthdl_agree_cycle_for_cycle") {
        return;
    }
    let stims = synthetic();
    let verilated = neurice_sim::run(Engine::Verilator, &design(), &stims, &opts(), &|_| {})
        .expect("verilator runs");
    assert_passed(Coder::V2, &verilated.0, &verilated.1);
    assert_same_cycles(&verilated, rusthdl_synthetic());
}

#[test]
fn v2_known_answer_block_on_the_verilated_core() {
    if !verilator_or_skip("v2_known_answer_block_on_the_verilated_core") {
        return;
    }
    let bin = verilator::build(&design().verilog().unwrap(), "top", &build_dir()).unwrap();
    let s = v2_stim(1, KAT_SAMPLES.to_vec(), 300, 300, "KAT_V2_BLOCK");
    let raw = verilator::run_raw(&[&s], &bin, 1, &mut |_| {}).unwrap();
    assert_eq!(raw[0].status, 0);
    assert_eq!(raw[0].words, kat_words());
    // 14 bytes: four words, the last one marked
    assert_eq!(raw[0].ends, [3]);
    let rep = verilator::report(&s, &raw[0]).unwrap();
    assert_eq!(rep.mismatches, 0);
}

#[test]
fn every_recording_v2_one_per_run_and_all_as_1024_channels() {
    let test = "every_recording_v2_one_per_run_and_all_as_1024_channels";
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
        load_stimuli(&P.into(), &files, channels, frames, None, pattern, 2).unwrap()
    };
    let singles = load(1, None);
    assert_eq!(singles.len(), files.len());
    let (s, r) = neurice_sim::run(Engine::Verilator, &design(), &singles, &opts(), &|_| {})
        .expect("verilator runs");
    assert_passed(Coder::V2, &s, &r);
    eprintln!(
        "verilator v2: {} recordings, {} samples, {} cycles ({:.3} clocks/sample), ratio {:.4}, \
         {:.2} M cycles/s per model",
        s.runs,
        s.samples,
        s.cycles,
        s.cycles as f64 / s.samples as f64,
        s.ratio,
        s.cycles_per_second / 1e6
    );
    drop(singles);
    // every recording in the 1024 channels (files repeat to fill them), the first 20 000
    // frames (about 1 s; the whole files, 10^8 samples, take six minutes in one model)
    let all = load(1024, Some(20_000));
    let (s, r) = neurice_sim::run(Engine::Verilator, &design(), &all, &opts(), &|_| {})
        .expect("verilator runs");
    assert_passed(Coder::V2, &s, &r);
    eprintln!(
        "verilator v2: 1024 channels, {} samples, {} cycles, ratio {:.4}",
        s.samples, s.cycles, s.ratio
    );
}

#[test]
fn v2_gate_level_netlist_matches_the_golden_model() {
    let test = "v2_gate_level_netlist_matches_the_golden_model";
    if !gatelevel_or_skip(test) {
        return;
    }
    let net = gatelevel::netlist(
        &design().verilog().unwrap(),
        "top",
        &build_dir().join("gatelevel"),
    )
    .expect("yosys synth_ice40");
    assert!(net.contains("SB_RAM40_4K") && net.contains("SB_LUT4"));
    let o = RunOptions {
        netlist: Some(net),
        ..opts()
    };
    let mut stims = vec![
        v2_stim(1, KAT_SAMPLES.to_vec(), 200, 200, "KAT_V2_BLOCK"),
        v2_stim(2, extremes(600), 100, 300, "extremes, 2 channels"),
    ];
    if let Some(dir) = data_or_skip(&format!("{test} (recordings part)")) {
        let pattern = Pattern {
            input_gap_per_mille: 200,
            backpressure_per_mille: 200,
            seed: 11,
        };
        let pick = four_recordings(&dir);
        stims.extend(load_stimuli(&P.into(), &pick, 1, Some(10_000), None, pattern, 2).unwrap());
    }
    let (s, r) =
        neurice_sim::run(Engine::Gatelevel, &design(), &stims, &o, &|_| {}).expect("netlist runs");
    assert_passed(Coder::V2, &s, &r);
}
