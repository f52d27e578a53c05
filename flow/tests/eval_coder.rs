//! The flow's eval stage codes with the design's own coder value, parameters included: a
//! flow for `lite` with qmax 12 reports the ratio of qmax 12, not the default coder's.

use std::path::PathBuf;

use neurice_flow::{EvalReport, Flow, FlowConfig};
use neurice_model::{compress_wav_with, CodecParams, CoderSpec};
use neurice_sim::{CoreDesign, Shape};
use neurice_testkit::{grid_wav, spiky_walk};

/// The flow's eval stage for a 1024-channel one-lane core of `coder` on `files`.
fn eval_stage(coder: CoderSpec, files: Vec<PathBuf>, dir: &std::path::Path) -> EvalReport {
    let design = CoreDesign::new(coder, 1024, Shape::OneLane).unwrap();
    let cfg = FlowConfig {
        design,
        device: neurice_synth::Device::Hx8k,
        files,
        data_dir: None,
        out: dir.join("out"),
        freq_mhz: design.facts().board_mhz,
        seed: 1,
        max_samples: None,
        power_cycles: 100_000,
        jobs: 1,
        verbose: false,
        cache: neurice_flow::Cache::off(),
    };
    Flow::new(cfg)
        .unwrap()
        .eval(&neurice_flow::Quiet)
        .unwrap()
        .expect("recordings were given")
}

#[test]
fn the_eval_stage_reports_the_ratio_of_the_designs_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for seed in 0..3u64 {
        let p = dir.path().join(format!("r{seed}.wav"));
        std::fs::write(&p, grid_wav(1, &spiky_walk(20_000, seed))).unwrap();
        files.push(p);
    }
    let q12 = CoderSpec::Lite(CodecParams {
        qmax: 12,
        ..CodecParams::HARDWARE
    });
    let e = eval_stage(q12, files.clone(), dir.path());
    assert_eq!(e.parameters, q12, "the report names the coder it ran");
    // the totals of the files coded with qmax 12, and not with the default coder
    let total = |c: CoderSpec| -> (u64, u64) {
        files.iter().fold((0, 0), |(w, n), f| {
            let wav = std::fs::read(f).unwrap();
            let (nrc, _) = compress_wav_with(&wav, c).unwrap();
            (w + wav.len() as u64, n + nrc.len() as u64)
        })
    };
    let (wav12, nrc12) = total(q12);
    let (_, nrc16) = total(CoderSpec::Lite(CodecParams::HARDWARE));
    assert_ne!(nrc12, nrc16, "the signals must tell the two coders apart");
    assert_eq!(e.compressed_bytes, nrc12);
    assert_eq!(e.ratio, wav12 as f64 / nrc12 as f64);
}

/// With a maximum error the eval stage passes on samples within δ (not on byte equality) and
/// carries the measured error and fidelity the report shows.
#[test]
fn the_eval_stage_of_a_bounded_error_design_checks_delta_and_reports_fidelity() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for seed in [1u64, 2] {
        let p = dir.path().join(format!("r{seed}.wav"));
        std::fs::write(&p, grid_wav(1, &spiky_walk(20_000, seed))).unwrap();
        files.push(p);
    }
    let d1 = CoderSpec::Lite(CodecParams::HARDWARE.with_max_error(1));
    let e = eval_stage(d1, files, dir.path());
    assert!(e.passed && !e.lossless && e.failed == 0);
    let b = e.bounded.as_ref().expect("δ = 1 is reported");
    assert_eq!((b.max_error, b.violations, b.samples), (1, 0, 40_000));
    assert_eq!(b.max_error_steps, 1.0);
    let rows = neurice_flow::report::bounded_rows(b);
    assert!(rows
        .iter()
        .any(|(k, v)| k.contains("spike") && v.contains('%')));
    assert!(neurice_flow::report::bounded_text(b).contains("δ = 1"));
}
