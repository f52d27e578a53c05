//! Switching activity of the iCE40 gate-level netlist (neurice_sim::activity).
//! Needs yosys and Verilator (scripts/install-tools.sh); without them the tests print a
//! SKIPPED notice. The recordings measurement is `#[ignore]`d (minutes): run it with
//! `cargo test --release -p neurice-sim --test activity -- --ignored --nocapture`.

mod common;

use std::path::PathBuf;

use common::*;
use neurice_model::CodecParams;
use neurice_sim::activity::{self, ActivityReport};
use neurice_sim::{gatelevel, Stimulus};
use neurice_sim::{load_stimuli, Pattern};
use neurice_synth::power::SAMPLE_RATE_HZ;

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("activity")
}

/// The core's iCE40 netlist (1024 channels), made by the synthesis flow's own yosys stage
/// (`gatelevel::netlist`) and cached under a key of everything it depends on: the RTL text,
/// the flow's yosys script, and the yosys binary and its version. (Keyed by the RTL alone, a
/// cached netlist outlived a change of script or of yosys.)
fn netlist() -> String {
    let rtl = neurice_hdl::verilog(&CodecParams::HARDWARE, 1024).expect("core Verilog");
    let cached = build_dir().join(format!("netlist-{:016x}.v", netlist_key(&rtl)));
    if let Ok(t) = std::fs::read_to_string(&cached) {
        return t;
    }
    let work = build_dir().join(format!("yosys-{}", std::process::id()));
    let net = gatelevel::netlist(&rtl, "top", &work).expect("yosys synth_ice40");
    std::fs::write(&cached, &net).expect("caching the netlist");
    net
}

/// The cache key of [`netlist`]: FNV-1a of the yosys path and version, the script
/// `gatelevel::netlist` runs and the RTL.
fn netlist_key(rtl: &str) -> u64 {
    let yosys = neurice_synth::tools::find_tool("yosys").expect("yosys (checked before)");
    let version = neurice_synth::tools::tool_version("yosys", &yosys);
    let script =
        neurice_synth::flow::yosys_script(neurice_synth::device::Family::Ice40, "top", false);
    let text = format!("{}\n{version}\n{script}\n{rtl}", yosys.display());
    neurice_testkit::vectors::fnv1a64_bytes(text.bytes())
}

/// The netlist the recordings measurement uses: `NEURICE_NETLIST` (e.g. the flow's
/// `top_netlist.v`, said so on standard error), else [`netlist`]. Only this `#[ignore]`d
/// measurement reads it; the test that runs in CI always uses its own.
fn netlist_or_named() -> String {
    match std::env::var_os("NEURICE_NETLIST") {
        Some(p) => {
            let p = PathBuf::from(p);
            eprintln!("netlist: {} (NEURICE_NETLIST)", p.display());
            std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("NEURICE_NETLIST={}: {e}", p.display()))
        }
        None => netlist(),
    }
}

#[test]
fn the_cached_netlist_is_keyed_by_the_script_and_the_yosys_version() {
    if !gatelevel_or_skip("the_cached_netlist_is_keyed_by_the_script_and_the_yosys_version") {
        return;
    }
    let rtl = neurice_hdl::verilog(&CodecParams::HARDWARE, 1024).expect("core Verilog");
    let key = netlist_key(&rtl);
    // another RTL, another key; the same inputs, the same key
    assert_ne!(key, netlist_key(&format!("{rtl}\n// changed")));
    assert_eq!(key, netlist_key(&rtl));
    // the key names the script and the version it was made with
    let yosys = neurice_synth::tools::find_tool("yosys").unwrap();
    let version = neurice_synth::tools::tool_version("yosys", &yosys);
    let script =
        neurice_synth::flow::yosys_script(neurice_synth::device::Family::Ice40, "top", false);
    let text = |v: &str, s: &str| format!("{}\n{v}\n{s}\n{rtl}", yosys.display());
    let fnv = |t: String| neurice_testkit::vectors::fnv1a64_bytes(t.bytes());
    assert_eq!(key, fnv(text(&version, &script)));
    assert_ne!(key, fnv(text("Yosys 0.0", &script)));
    assert_ne!(key, fnv(text(&version, &format!("{script}; opt"))));
}

fn rates(r: &ActivityReport) -> [f64; 3] {
    let a = &r.activity;
    [a.ff_toggle_rate, a.lut_toggle_rate, a.carry_toggle_rate]
}

#[test]
fn activity_is_in_range_and_follows_the_input() {
    if !gatelevel_or_skip("activity_is_in_range_and_follows_the_input") {
        return;
    }
    let net = netlist();
    let (warmup, cycles) = (2_000u64, 6_000u64);
    let n = activity::samples_needed(0, 1, warmup, cycles);
    let channels = 4;
    let constant = stim(channels, vec![512; n], 0, 0, "constant 512");
    let noisy = stim(channels, noise(n, 3), 0, 0, "white noise");
    let c = activity::measure(&net, "top", &constant, &build_dir(), warmup, cycles).unwrap();
    let z = activity::measure(&net, "top", &noisy, &build_dir(), warmup, cycles).unwrap();
    eprint!("{}{}", activity::render(&c), activity::render(&z));

    // the window is where it was asked for, with every cell class found
    for r in [&c, &z] {
        assert_eq!(r.window.cycles, cycles);
        assert_eq!(r.window.from_cycle, warmup);
        assert_eq!(r.golden_mismatches, 0);
        for class in ["ff", "lut", "carry"] {
            assert!(r.vcd.classes[class].signals > 0, "{class}");
        }
        // a sample offered and taken every cycle (no gaps, no backpressure)
        assert!(
            r.window.samples_per_clock > 0.9,
            "{}",
            r.window.samples_per_clock
        );
        assert!(r.activity.bram_reads_per_clock <= r.netlist.cells.ram40_4k as f64);
        assert!(r.activity.bram_writes_per_clock <= r.netlist.cells.ram40_4k as f64);
        // the banked state RAM: one bank (two blocks in 256 x 16 mode) per access, not all
        // eight blocks of a 1024 x 32 memory in 1024 x 4 mode
        assert_eq!(r.netlist.cells.ram40_4k, 8);
        let (rd, wr) = (
            r.window.bram_reads_per_sample,
            r.window.bram_writes_per_sample,
        );
        assert!(
            (rd - 2.0).abs() < 0.05 && (wr - 2.0).abs() < 0.05,
            "{rd} {wr}"
        );
        assert!(r.activity.activity_source.contains("gate-level"));
    }
    // noise: every class switches, less than once per clock on average
    for (k, v) in rates(&z).into_iter().enumerate() {
        assert!(v > 0.0 && v < 1.0, "noise class {k}: {v}");
    }
    for (k, v) in rates(&c).into_iter().enumerate() {
        assert!((0.0..1.0).contains(&v), "constant class {k}: {v}");
    }
    // full-scale noise makes long codes and large deltas: far more switching than a constant
    assert!(
        z.activity.ff_toggle_rate > 1.5 * c.activity.ff_toggle_rate,
        "ff: noise {} vs constant {}",
        z.activity.ff_toggle_rate,
        c.activity.ff_toggle_rate
    );
    assert!(
        z.activity.lut_toggle_rate > 1.5 * c.activity.lut_toggle_rate,
        "lut: noise {} vs constant {}",
        z.activity.lut_toggle_rate,
        c.activity.lut_toggle_rate
    );
    // noise fills words faster
    assert!(z.window.words_per_clock > c.window.words_per_clock);
}

/// 1024 recordings interleaved as 1024 channels at the real-time duty cycle of each clock in
/// `NEURICE_ACTIVITY_CLOCKS` (MHz, comma-separated; default 48,20.48). Warm-up:
/// `NEURICE_ACTIVITY_WARMUP_FRAMES` samples per channel (default 64, the coder's adaptation
/// window) before the traced window of `NEURICE_ACTIVITY_CYCLES` clocks (default 100000).
/// Prints the reports (JSON on stdout).
#[test]
#[ignore]
fn activity_on_recordings_at_real_time_duty() {
    if !gatelevel_or_skip("activity_on_recordings_at_real_time_duty") {
        return;
    }
    let Some(dir) = data_or_skip("activity_on_recordings_at_real_time_duty") else {
        return;
    };
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let clocks: Vec<f64> = env("NEURICE_ACTIVITY_CLOCKS", "48,20.48")
        .split(',')
        .map(|s| s.trim().parse().expect("clock MHz"))
        .collect();
    let warmup_frames: u64 = env("NEURICE_ACTIVITY_WARMUP_FRAMES", "64").parse().unwrap();
    let cycles: u64 = env("NEURICE_ACTIVITY_CYCLES", "100000").parse().unwrap();
    let net = netlist_or_named();
    let files = wavs(&dir);
    for mhz in clocks {
        let gap = activity::gap_per_mille_for_clock(mhz, 1024, 1, SAMPLE_RATE_HZ).unwrap();
        let warmup = (warmup_frames as f64 * 1024.0 / (1.0 - gap as f64 / 1000.0)).ceil() as u64;
        let frames = activity::samples_needed(gap, 1, warmup, cycles).div_ceil(1024);
        let pattern = Pattern {
            input_gap_per_mille: gap,
            backpressure_per_mille: 0,
            seed: 0x5EED,
        };
        let t = std::time::Instant::now();
        let stims = load_stimuli(
            &CodecParams::HARDWARE.into(),
            &files,
            1024,
            Some(frames),
            None,
            pattern,
            2,
        )
        .unwrap();
        let s: &Stimulus = &stims[0];
        let r = activity::measure(&net, "top", s, &build_dir(), warmup, cycles).unwrap();
        eprintln!(
            "== {mhz} MHz (gap {gap}‰), {:.1} s",
            t.elapsed().as_secs_f64()
        );
        eprint!("{}", activity::render(&r));
        let mut j = serde_json::to_value(&r).unwrap();
        j["vcd"]["busiest"] = serde_json::Value::Null;
        println!("{}", serde_json::to_string_pretty(&j).unwrap());
        assert_eq!(r.golden_mismatches, 0);
    }
}
