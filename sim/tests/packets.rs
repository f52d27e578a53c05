//! The packet core (restarts + packetiser, FORMAT.md §9.6) against the golden model's
//! `packetise`, byte for byte and packet end for packet end, in rust-hdl's simulator and in
//! Verilator on the emitted Verilog; `depacketise` of the hardware's packets recovers every
//! sample.

mod common;

use std::path::PathBuf;

use common::*;
use neurice_model::CodecParams;
use neurice_sim::packets::{self, PacketSummary};
use neurice_sim::{interleave, load_indices, verilator, CoreDesign, Engine, PacketParams, Shape};
use neurice_sim::{RunOptions, Stimulus};

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator-packets")
}

fn opts() -> RunOptions {
    RunOptions {
        jobs: 2,
        build_dir: build_dir(),
        netlist: None,
        verbose: false,
    }
}

fn design(channels: usize, r: u32, p: usize) -> CoreDesign {
    let pk = PacketParams {
        segment_frames: r,
        packet_bytes: p,
    };
    CoreDesign::new(CodecParams::HARDWARE.into(), channels, Shape::Packets(pk)).unwrap()
}

fn check(engine: Engine, d: &CoreDesign, stims: &[Stimulus]) -> PacketSummary {
    check_packets(engine, d, stims, &opts())
}

/// Generated signals: several channel counts, R, P (1-word packets up to the full ring),
/// gaps and backpressure.
fn synthetic() -> Vec<(CoreDesign, Vec<Stimulus>)> {
    vec![
        (
            design(1, 64, 64),
            vec![stim(1, trace(64 * 9 + 5, 1), 0, 0, "1 ch")],
        ),
        (
            design(1, 1, 20),
            vec![stim(1, noise(200, 2), 300, 300, "1 ch, R 1, P 20")],
        ),
        (
            design(3, 40, 100),
            vec![
                stim(3, trace(3 * 40 * 5, 3), 200, 200, "3 ch"),
                stim(3, noise(3 * 40 * 3, 4), 0, 600, "3 ch noise"),
            ],
        ),
        (
            design(16, 100, 1036),
            vec![stim(
                16,
                trace(16 * 100 * 3 + 16 * 7, 5),
                100,
                100,
                "16 ch, P 1036",
            )],
        ),
    ]
}

#[test]
fn rusthdl_packets_equal_the_model_on_generated_signals() {
    for (d, stims) in synthetic() {
        let s = check(Engine::Rusthdl, &d, &stims);
        assert!(s.packets > 3, "{} packets", s.packets);
    }
}

#[test]
fn bad_packet_designs_are_refused() {
    let pk = |r, p| PacketParams {
        segment_frames: r,
        packet_bytes: p,
    };
    for (r, p) in [(0, 1024), (1 << 17, 1024), (1024, 19), (1024, 4096)] {
        let e =
            CoreDesign::new(CodecParams::HARDWARE.into(), 8, Shape::Packets(pk(r, p))).unwrap_err();
        assert!(e.to_string().contains("packet core cannot be built"), "{e}");
    }
    let d = design(4, 8, 64);
    let s = stim(3, trace(30, 1), 0, 0, "3 channels on a 4-channel design");
    assert!(packets::run(Engine::Rusthdl, &d, &[s], &opts(), &|_| {}).is_err());
}

#[test]
fn verilator_packets_equal_the_model_and_lint_clean() {
    if !verilator_or_skip("packets: verilator_packets_equal_the_model_and_lint_clean") {
        return;
    }
    for (d, stims) in synthetic() {
        verilator::lint(&d.verilog().unwrap(), "top", &build_dir().join("lint"))
            .expect("lint-clean Verilog");
        let v = check(Engine::Verilator, &d, &stims);
        // cycle for cycle the same as rust-hdl's simulation
        let r = check(Engine::Rusthdl, &d, &stims);
        assert_eq!((v.cycles, v.stall_cycles), (r.cycles, r.stall_cycles));
    }
}

#[test]
fn verilator_packets_on_recordings() {
    if !verilator_or_skip("packets: verilator_packets_on_recordings") {
        return;
    }
    let Some(dir) = data_or_skip("packets: verilator_packets_on_recordings") else {
        return;
    };
    // four recordings, one per run (default R and P: several segments each)
    let files = four_recordings(&dir);
    let stims: Vec<Stimulus> = files
        .iter()
        .map(|f| {
            let x = load_indices(f).unwrap();
            stim(1, x, 100, 100, &f.display().to_string())
        })
        .collect();
    let s = check(Engine::Verilator, &design(1, 1024, 1024), &stims);
    assert!(s.packets > 100, "{} packets", s.packets);
    // a subset interleaved as 1024 channels, 300 frames, R = 64: several segments
    let all = wavs(&dir);
    let loaded: Vec<Vec<u16>> = all
        .iter()
        .take(64)
        .map(|f| load_indices(f).unwrap())
        .collect();
    let mut cols: Vec<Vec<u16>> = Vec::new();
    for i in 0..1024 {
        cols.push(loaded[i % loaded.len()][(i / loaded.len()) * 300..].to_vec());
    }
    let x = interleave(&cols, Some(300));
    let s1024 = stim(1024, x, 100, 100, "64 recordings as 1024 channels");
    let s = check(Engine::Verilator, &design(1024, 64, 1024), &[s1024]);
    assert!(s.packets > 50, "{} packets", s.packets);
}
