//! Shared helpers of the simulation tests: the workspace's test kit, and the stimulus builder.
#![allow(dead_code, unused_imports)]

pub use neurice_testkit::{
    data_dir, data_or_skip, extremes, first_recording, flat, grid_wav, noise, trace, wavs,
};

use neurice_model::CodecParams;
use neurice_sim::{Pattern, Stimulus};

/// A stimulus for the hardware coder with a gap/backpressure pattern (seed 0x5EED).
pub fn stim(channels: usize, samples: Vec<u16>, gap: u32, bp: u32, label: &str) -> Stimulus {
    Stimulus::new(CodecParams::HARDWARE, channels, samples, label).with_pattern(Pattern {
        input_gap_per_mille: gap,
        backpressure_per_mille: bp,
        seed: 0x5EED,
    })
}

/// The engines' short signal set: a trace (1 and 2 channels), noise under backpressure,
/// alternating extremes (every sample escaping), flat runs on 3 channels, and `frames`
/// frames of 1024 channels. `n` is the trace length; the others are shorter, in the same
/// proportions for every coder.
pub fn synthetic_set(n: usize, frames: usize, coder: &neurice_model::CoderSpec) -> Vec<Stimulus> {
    let s = |c, x, g, b, l: &str| stim(c, x, g, b, l).for_coder(coder);
    vec![
        s(1, trace(n, 1), 0, 0, "trace, 1 channel"),
        s(2, trace(n, 2), 300, 300, "trace, 2 channels, 300‰"),
        s(1, noise(n * 2 / 5, 4), 0, 500, "noise, 500‰ backpressure"),
        s(2, extremes(n * 2 / 5), 0, 300, "extremes, 2 channels"),
        s(3, flat(n * 9 / 20), 200, 0, "flat runs, 3 channels"),
        s(
            1024,
            (0..1024 * frames)
                .map(|i| ((i * 37 + i / 1024 * 5) % 1024) as u16)
                .collect(),
            100,
            100,
            "synthetic, 1024 channels",
        ),
    ]
}

/// A [`neurice_testkit::skip`] of `test` and false when Verilator is absent.
pub fn verilator_or_skip(test: &str) -> bool {
    if !neurice_sim::verilator::available() {
        neurice_testkit::skip(
            test,
            "Verilator not found (run sudo scripts/install-tools.sh)",
        );
        return false;
    }
    true
}

/// [`verilator_or_skip`], and yosys' iCE40 cell models for the gate-level netlist.
pub fn gatelevel_or_skip(test: &str) -> bool {
    if !verilator_or_skip(test) {
        return false;
    }
    if let Err(e) = neurice_sim::gatelevel::yosys_datdir() {
        neurice_testkit::skip(test, &format!("{e:#}"));
        return false;
    }
    true
}

/// Runs a Verilator model built around a block harness (`verilator::build_with_harness`),
/// `input` on its standard input; returns its standard output. Panics if it fails.
pub fn run_harness(bin: &std::path::Path, input: String) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{} failed", bin.display());
    String::from_utf8(out.stdout).unwrap()
}

/// Four recordings spread over the sorted list (the gate-level tests' subset).
pub fn four_recordings(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let files = wavs(dir);
    files
        .iter()
        .step_by((files.len() / 4).max(1))
        .take(4)
        .cloned()
        .collect()
}

/// A block's Verilog (`unit_verilog`, top module `top`) linted with `-Wall` and built with
/// `wrapper` (plain port names, top module `wrapper_top`) around it and the C++ `harness`
/// into `$CARGO_TARGET_TMPDIR/name`; returns the model's executable. Panics if it fails.
pub fn verilated_block(
    unit_verilog: &str,
    wrapper: &str,
    wrapper_top: &str,
    name: &str,
    harness: &str,
) -> std::path::PathBuf {
    use neurice_sim::verilator;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    verilator::lint(unit_verilog, "top", &dir.join("lint")).expect("lint -Wall clean");
    let verilog = format!("{unit_verilog}\n{wrapper}");
    verilator::build_with_harness(&verilog, wrapper_top, &dir, &[], harness)
        .expect("Verilator build")
}

/// Panics with the first differing byte if `got` is not `want`.
pub fn assert_same(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: byte count");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: first difference at byte {i}: unit {:#04x}, model {:#04x}",
            got[i], want[i]
        );
    }
}

/// `files` recordings (`len` samples each) interleaved as `files` channels, or generated
/// signals when the recordings are absent.
pub fn recordings(files: usize, len: usize, skip: usize, test: &str) -> Vec<u32> {
    let signals: Vec<Vec<u32>> = match data_or_skip(test) {
        Some(dir) => wavs(&dir)
            .iter()
            .skip(skip)
            .take(files)
            .map(|f| {
                let wav = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
                neurice_model::grid::to_grid(&wav.samples).0
            })
            .collect(),
        None => (0..files as u64)
            .map(|c| {
                trace(len, c + skip as u64)
                    .into_iter()
                    .map(u32::from)
                    .collect()
            })
            .collect(),
    };
    let frames = signals.iter().map(|s| s.len()).min().unwrap().min(len);
    let mut out = Vec::with_capacity(frames * files);
    for f in 0..frames {
        for s in &signals {
            out.push(s[f]);
        }
    }
    out
}

/// Signals of `frames` frames of `channels` channels (seeded), by `kind`: 0 a random walk,
/// 1 full-scale noise, 2 the extremes 0/1023 alternating by frame (every sample escapes),
/// 3 the three in turn every 97 samples.
pub fn signal(kind: u32, channels: usize, frames: usize, seed: u64) -> Vec<u32> {
    let mut rng = neurice_testkit::XorShift64::new(seed);
    let mut x = vec![512i64; channels];
    (0..frames * channels)
        .map(|i| {
            let c = i % channels;
            let k = if kind == 3 {
                ((i / 97) % 3) as u32
            } else {
                kind
            };
            match k {
                0 => {
                    x[c] = (x[c] + (rng.next_u64() % 41) as i64 - 20).clamp(0, 1023);
                    x[c] as u32
                }
                1 => (rng.next_u64() % 1024) as u32,
                _ => {
                    if (i / channels).is_multiple_of(2) {
                        0
                    } else {
                        1023
                    }
                }
            }
        })
        .collect()
}

/// A co-simulation of `coder`'s core passed: no mismatch, every run's words as expected.
pub fn assert_passed(
    coder: neurice_model::Coder,
    s: &neurice_sim::RunSummary,
    reports: &[neurice_sim::SimReport],
) {
    assert!(
        s.passed(),
        "{} mismatches, first: {:?}",
        s.mismatches,
        s.first_failure
    );
    assert_eq!(s.coder, coder.name());
    for r in reports {
        assert_eq!(r.words, r.expected_words, "{}", r.label);
        assert_eq!(r.mismatches, 0, "{}", r.label);
    }
}

/// Two engines' runs of the same stimuli took the same cycles, stalls and words, run by run.
pub fn assert_same_cycles(
    a: &(neurice_sim::RunSummary, Vec<neurice_sim::SimReport>),
    b: &(neurice_sim::RunSummary, Vec<neurice_sim::SimReport>),
) {
    assert_eq!(a.1.len(), b.1.len());
    for (x, y) in a.1.iter().zip(&b.1) {
        assert_eq!(
            (x.cycles, x.stall_cycles, x.words),
            (y.cycles, y.stall_cycles, y.words),
            "{}",
            x.label
        );
    }
    assert_eq!(a.0.cycles, b.0.cycles);
}

/// Runs a packet core (lite or max) on `stims` with `engine` and asserts every run's packets
/// are the golden model's (no mismatch, the packet and word counts) and that `depacketise`
/// delivered every sample, none wrong.
pub fn check_packets(
    engine: neurice_sim::Engine,
    d: &neurice_sim::CoreDesign,
    stims: &[Stimulus],
    opts: &neurice_sim::RunOptions,
) -> neurice_sim::packets::PacketSummary {
    let (s, reports) =
        neurice_sim::packets::run(engine, d, stims, opts, &|_| {}).expect("simulation runs");
    for r in &reports {
        assert_eq!(r.mismatches, 0, "{}: {:?}", r.label, r.first_mismatch);
        assert_eq!(r.words, r.expected_words, "{}", r.label);
        assert_eq!(r.packets, r.expected_packets, "{}", r.label);
        assert_eq!(r.samples_wrong, 0, "{}", r.label);
        assert_eq!(r.samples_delivered, r.samples, "{}", r.label);
    }
    assert!(s.passed(), "{:?}", s.first_failure);
    s
}
