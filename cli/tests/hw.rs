//! The hardware commands end to end: `sim`, `verilog`, `synth`, `power`, `bitstream`.
//! They run on small generated WAVs (no recordings needed); commands that need the FPGA
//! tools print a SKIPPED notice when the tools are missing.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{json, neurice};

/// Whether the one tool lookup finds `name` (`$NEURICE_<TOOL>` or `PATH`); if not, a
/// `neurice_testkit::skip` of the calling test. (Asking each tool for `-V` skipped every
/// synthesis test: icepack has no version flag.)
fn tool(name: &str) -> bool {
    match neurice_synth::tools::find_tool(name) {
        Ok(_) => true,
        Err(e) => {
            let test = std::thread::current().name().unwrap_or("hw").to_string();
            neurice_testkit::skip(&test, &format!("{e:#}"));
            false
        }
    }
}

/// Small grid WAVs (random walks, steps -20..=20), written to `dir`.
fn wavs(dir: &Path, files: usize, n: usize) -> Vec<PathBuf> {
    (0..files)
        .map(|f| {
            let walk = neurice_testkit::walk(n, 0x9E37_79B9u32 ^ (f as u32 + 1), 20);
            let p = dir.join(format!("w{f}.wav"));
            std::fs::write(&p, neurice_testkit::grid_wav(1, &walk)).unwrap();
            p
        })
        .collect()
}

fn vl_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator")
}

#[test]
fn sim_rusthdl_json_is_bit_exact_on_two_channels_with_backpressure() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 2, 3000);
    let o = neurice(&[
        &"sim",
        &"--engine",
        &"rusthdl",
        &"--channels",
        &"2",
        &"--gap",
        &"200",
        &"--backpressure",
        &"300",
        &"--json",
        &d.path(),
    ]);
    let v = json(&o);
    assert_eq!(v["engine"], "rusthdl");
    assert_eq!(v["channels"], 2);
    assert_eq!(v["samples"], 6000);
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["words"], v["expected_words"]);
    assert!(
        v["cycles"].as_u64().unwrap() > 6000,
        "gaps and backpressure cost cycles"
    );
    assert!(v["stall_cycles"].as_u64().unwrap() > 0);
    assert!(v["ratio"].as_f64().unwrap() > 1.0);
}

#[test]
fn sim_rejects_bad_arguments() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 1, 100);
    for args in [
        vec!["--channels", "0"],
        vec!["--channels", "1025"],
        vec!["--gap", "1000"],
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"sim", &"--engine", &"rusthdl"];
        for x in &args {
            a.push(x);
        }
        let p = d.path();
        a.push(&p);
        let o = neurice(&a);
        assert!(!o.status.success(), "{args:?} must fail");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains("error") && !e.contains("panicked"),
            "{args:?}: {e}"
        );
    }
    let o = neurice(&[
        &"sim",
        &"--engine",
        &"rusthdl",
        &d.path().join("missing.wav"),
    ]);
    assert!(!o.status.success());
}

#[test]
fn sim_verilator_agrees_with_rusthdl() {
    if !tool("verilator") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 3, 2000);
    let run = |engine: &str| {
        json(&neurice(&[
            &"sim",
            &"--engine",
            &engine,
            &"--channels",
            &"3",
            &"--gap",
            &"100",
            &"--backpressure",
            &"400",
            &"--build-dir",
            &vl_cache(),
            &"--json",
            &d.path(),
        ]))
    };
    let (v, r) = (run("verilator"), run("rusthdl"));
    assert_eq!(v["mismatches"], 0);
    for k in ["samples", "cycles", "stall_cycles", "words"] {
        assert_eq!(v[k], r[k], "{k}");
    }
}

#[test]
fn verilog_writes_checked_files_and_keeps_existing_ones() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("v");
    let checks = tool("verilator") && tool("yosys");
    let first = if checks {
        json(&neurice(&[&"verilog", &"-o", &out, &"--json"]))
    } else {
        json(&neurice(&[
            &"verilog",
            &"-o",
            &out,
            &"--no-check",
            &"--json",
        ]))
    };
    if checks {
        assert_eq!(first["verilator_lint"]["status"], "clean", "{first}");
        assert_eq!(first["yosys_check"]["status"], "clean", "{first}");
    }
    let core = out.join("neurice_core.v");
    let text = std::fs::read_to_string(&core).unwrap();
    assert!(text.contains("module top(") && text.contains("no_rw_check"));
    assert!(out.join("alchitry_cu_top.v").is_file() && out.join("alchitry_cu.pcf").is_file());
    std::fs::write(&core, "keep me").unwrap();
    let o = neurice(&[&"verilog", &"-o", &out, &"--no-check"]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read_to_string(&core).unwrap(), "keep me");
    let o = neurice(&[&"verilog", &"-o", &out, &"--no-check", &"--force"]);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&core).unwrap(), text);
}

#[test]
fn synth_json_reports_timing_and_area() {
    if !(tool("yosys") && tool("nextpnr-ice40") && tool("icepack")) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let v = json(&neurice(&[
        &"synth",
        &"--channels",
        &"16",
        &"--freq",
        &"30",
        &"-o",
        &d.path(),
        &"--json",
    ]));
    assert_eq!(v["device"], "iCE40HX8K-CB132");
    assert_eq!(v["channels"], 16);
    assert_eq!(v["target_mhz"], 30.0);
    let fmax = v["fmax_mhz"].as_f64().unwrap();
    assert!(fmax > 30.0 && v["timing_met"] == true, "fmax {fmax}");
    assert!(v["lc_used"].as_u64().unwrap() > 100);
    assert_eq!(v["lc_total"], 7680);
    assert!(v["bram_used"].as_u64().unwrap() >= 1);
    assert_eq!(v["bram_total"], 32);
    assert_eq!(
        v["realtime_channels_at_20khz"].as_u64().unwrap(),
        (fmax * 1e6 / 20_000.0).floor() as u64
    );
    assert!(d.path().join("top.bin").is_file() && d.path().join("build.sh").is_file());
}

/// The device travels with the command: the UP5K gets its own nextpnr flags and capacity,
/// and the core (more port bits than the SG48 has pins) is placed inside the pin wrapper.
#[test]
fn synth_places_the_core_on_the_up5k_inside_the_pin_wrapper() {
    if !(tool("yosys") && tool("nextpnr-ice40") && tool("icepack")) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let v = json(&neurice(&[
        &"synth",
        &"--device",
        &"up5k",
        &"--channels",
        &"16",
        &"--freq",
        &"25",
        &"-o",
        &d.path(),
        &"--json",
    ]));
    assert_eq!(v["device"], "iCE40UP5K-SG48", "{v}");
    assert_eq!(v["target"], "up5k");
    assert_eq!(v["lc_total"], 5280);
    assert_eq!(v["bram_total"], 30);
    assert_eq!(v["pin_wrapper"]["top"], "top_pins");
    assert_eq!(v["pin_wrapper"]["package_io"], 39);
    assert!(v["pin_wrapper"]["design_pins"].as_u64().unwrap() > 39);
    assert!(v["timing_met"] == true, "{v}");
    let script = std::fs::read_to_string(d.path().join("build.sh")).unwrap();
    assert!(
        script.contains("--up5k") && script.contains("sg48"),
        "{script}"
    );
    let o = neurice(&[&"synth", &"--device", &"ecp5", &"-o", &d.path()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("hx8k or up5k"));
}

#[test]
fn power_json_has_the_measured_fields() {
    if !(tool("yosys") && tool("nextpnr-ice40") && tool("verilator")) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    std::fs::create_dir(&data).unwrap();
    wavs(&data, 4, 3000);
    let v = json(&neurice(&[
        &"power",
        &"--channels",
        &"4",
        &"--freq",
        &"20",
        &"--cycles",
        &"4000",
        &"--data",
        &data,
        &"-o",
        &d.path().join("work"),
        &"--json",
    ]));
    for k in [
        "static_mw",
        "dynamic_mw",
        "total_mw",
        "uw_per_channel",
        "nj_per_sample",
    ] {
        let b = &v[k];
        let (lo, ty, hi) = (
            b["low"].as_f64().unwrap(),
            b["typical"].as_f64().unwrap(),
            b["high"].as_f64().unwrap(),
        );
        assert!(0.0 < lo && lo <= ty && ty <= hi, "{k}: {b}");
    }
    assert_eq!(v["clock_mhz"], 20.0);
    assert!(v["activity_source"]
        .as_str()
        .unwrap()
        .contains("gate-level"));
    let a = &v["activity"]["activity"];
    assert!(a["ff_toggle_rate"].as_f64().unwrap() > 0.0);
    assert!(v["system"]["compressed_mbps"].as_f64().unwrap() > 0.0);
}

#[test]
fn two_lanes_sim_is_bit_exact_at_two_samples_per_clock() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 4, 3000);
    let o = neurice(&[
        &"sim",
        &"--engine",
        &"rusthdl",
        &"--lanes",
        &"2",
        &"--channels",
        &"4",
        &"--json",
        &d.path(),
    ]);
    let v = json(&o);
    assert_eq!(v["design"]["lanes"], 2);
    assert_eq!(v["samples"], 12000);
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["words"], v["expected_words"]);
    assert_eq!(v["stall_cycles"], 0);
    assert!(v["cycles"].as_u64().unwrap() < 6000 + 32, "{}", v["cycles"]);
}

#[test]
fn bad_lanes_and_odd_channels_are_refused_with_exit_1() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 3, 100);
    let p = d.path();
    let out = d.path().join("v");
    let cases: Vec<(Vec<&dyn AsRef<std::ffi::OsStr>>, &str)> = vec![
        (
            vec![&"sim", &"--engine", &"rusthdl", &"--lanes", &"3", &p],
            "lanes must be 1 or 2",
        ),
        (
            vec![
                &"sim",
                &"--engine",
                &"rusthdl",
                &"--lanes",
                &"2",
                &"--channels",
                &"3",
                &p,
            ],
            "even channel count",
        ),
        (
            vec![&"verilog", &"-o", &out, &"--lanes", &"3"],
            "lanes must be 1 or 2",
        ),
        (
            vec![
                &"verilog",
                &"-o",
                &out,
                &"--lanes",
                &"2",
                &"--channels",
                &"1023",
            ],
            "even channel count",
        ),
        (vec![&"synth", &"--lanes", &"0"], "lanes must be 1 or 2"),
        (
            vec![&"synth", &"--lanes", &"2", &"--channels", &"5"],
            "even channel count",
        ),
        (vec![&"power", &"--lanes", &"3"], "lanes must be 1 or 2"),
        (
            vec![&"power", &"--lanes", &"2", &"--channels", &"7"],
            "even channel count",
        ),
        // below real time: 1024 channels on two lanes need 10.24 MHz
        (
            vec![&"power", &"--lanes", &"2", &"--freq", &"10"],
            "below real time",
        ),
        (vec![&"flow", &"--lanes", &"3"], "lanes must be 1 or 2"),
    ];
    for (args, want) in cases {
        let o = neurice(&args);
        common::assert_refused(&o, want);
    }
}

#[test]
fn sim_packets_json_is_byte_exact_and_recovers_every_sample() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 3, 2000);
    let o = neurice(&[
        &"sim",
        &"--engine",
        &"rusthdl",
        &"--packets",
        &"--segment-frames",
        &"300",
        &"--packet-bytes",
        &"128",
        &"--channels",
        &"3",
        &"--backpressure",
        &"200",
        &"--json",
        &d.path(),
    ]);
    let v = json(&o);
    assert_eq!(v["samples"], 6000);
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["samples_wrong"], 0);
    assert_eq!(v["samples_delivered"], 6000);
    assert_eq!(v["packets"], v["expected_packets"]);
    assert!(v["packets"].as_u64().unwrap() > 7, "{v}");
    assert_eq!(v["design"]["packets"]["segment_frames"], 300);
}

#[test]
fn bad_packet_options_are_refused_with_exit_1() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 2, 100);
    let p = d.path();
    for args in [
        vec!["--engine", "rusthdl", "--segment-frames", "8"],
        vec![
            "--engine",
            "rusthdl",
            "--packets",
            "--lanes",
            "2",
            "--channels",
            "2",
        ],
        vec!["--engine", "rusthdl", "--packets", "--segment-frames", "0"],
        vec!["--engine", "rusthdl", "--packets", "--packet-bytes", "4096"],
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"sim"];
        for x in &args {
            a.push(x);
        }
        a.push(&p);
        let o = neurice(&a);
        assert_eq!(o.status.code(), Some(1), "{args:?} must fail with 1");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains("error") && !e.contains("panicked"),
            "{args:?}: {e}"
        );
    }
}

/// `synth --dsp` maps multipliers to DSP blocks; on the HX8K (none) it is refused with exit 1,
/// naming the UP5K, before any tool runs and with nothing written.
#[test]
fn synth_dsp_on_the_hx8k_is_refused_naming_the_up5k() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let o = neurice(&[&"synth", &"--coder", &"max", &"--dsp", &"-o", &out]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--dsp") && e.contains("no DSP blocks") && e.contains("--device up5k"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written");
}

/// Coder v2's hardware core is retired (issue 26): every hardware command refuses `--coder v2`
/// with an error that says so and names coder max as its successor, exits 1 before any tool
/// runs, and writes nothing (coder v2's model commands keep it: `tests/cli.rs`).
#[test]
fn hardware_commands_refuse_coder_v2_naming_coder_max() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 2, 100);
    let out = d.path().join("out");
    let p = d.path();
    let cases: [Vec<&dyn AsRef<std::ffi::OsStr>>; 6] = [
        vec![&"sim", &"--engine", &"rusthdl", &"--coder", &"v2", &p],
        vec![&"verilog", &"-o", &out, &"--coder", &"v2", &"--no-check"],
        vec![&"synth", &"-o", &out, &"--coder", &"v2"],
        vec![&"power", &"-o", &out, &"--coder", &"v2", &"--data", &p],
        vec![&"bitstream", &"-o", &out, &"--coder", &"v2"],
        vec![&"flow", &"-o", &out, &"--coder", &"v2", &"--data", &p],
    ];
    for a in cases {
        let cmd = a[0].as_ref().to_string_lossy().to_string();
        let o = neurice(&a);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{cmd} --coder v2 must fail with 1"
        );
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains("--coder v2: coder v2's hardware core is retired")
                && e.contains("coder max (--coder max) is its successor")
                && !e.contains("panicked"),
            "{cmd}: {e}"
        );
        assert!(!out.exists(), "{cmd}: nothing written");
    }
    // what the other coders cannot build is still named
    for (args, says) in [
        (
            vec!["sim", "--engine", "rusthdl", "--coder", "both"],
            "flow",
        ),
        (
            vec!["sim", "--engine", "rusthdl", "--coder", "v3"],
            "invalid value",
        ),
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = args.iter().map(|x| x as _).collect();
        a.push(&p);
        let o = neurice(&a);
        assert!(!o.status.success(), "{args:?} must fail");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(says) && !e.contains("panicked"), "{args:?}: {e}");
    }
}

/// Coder max's core through the CLI: `sim --coder max` is bit-exact with the model (both
/// substreams, gaps and backpressure), `verilog --coder max` writes the max core (its
/// `out_stream` port) and the board top that carries it (tagged records), `synth` and `power`
/// take it at a real-time clock only (one sample per clock: 20 MHz is below the 20.48 MHz
/// that 1024 channels need), and `bitstream` refuses a maximum error (the core has none yet)
/// with the reason, before any tool runs and writing nothing.
#[test]
fn coder_max_hardware_commands_build_and_simulate_its_core() {
    let d = tempfile::tempdir().unwrap();
    wavs(d.path(), 2, 3000);
    let p = d.path();
    let v = json(&neurice(&[
        &"sim",
        &"--engine",
        &"rusthdl",
        &"--coder",
        &"max",
        &"--channels",
        &"2",
        &"--gap",
        &"200",
        &"--backpressure",
        &"300",
        &"--json",
        &p,
    ]));
    assert_eq!(v["coder"], "max", "{v}");
    assert_eq!(v["samples"], 6000);
    assert_eq!(v["mismatches"], 0, "{v}");
    assert_eq!(v["words"], v["expected_words"]);
    assert!(v["ratio"].as_f64().unwrap() > 1.0);
    let out = d.path().join("out");
    let v = json(&neurice(&[
        &"verilog",
        &"-o",
        &out,
        &"--coder",
        &"max",
        &"--no-check",
        &"--json",
    ]));
    assert_eq!(v["coder"], "max", "{v}");
    let text = std::fs::read_to_string(out.join("neurice_core.v")).unwrap();
    assert!(text.contains("module top(") && text.contains("out_stream"));
    // the board top carries the max core, with the tagged records' queue
    let board = std::fs::read_to_string(out.join("alchitry_cu_top.v")).unwrap();
    assert!(board.contains("module top(clk,rst_n,usb_rx,usb_tx,led);"));
    assert!(board.contains("out_stream") && board.contains("tag_sent"));
    std::fs::remove_dir_all(&out).unwrap();
    let refused: Vec<(Vec<&dyn AsRef<std::ffi::OsStr>>, &str)> = vec![
        (
            vec![&"synth", &"-o", &out, &"--coder", &"max", &"--freq", &"20"],
            "below real time",
        ),
        (
            vec![
                &"power", &"--coder", &"max", &"--freq", &"20", &"--data", &p, &"-o", &out,
            ],
            "below real time",
        ),
        (
            vec![&"sim", &"--coder", &"max", &"--lanes", &"2", &p],
            "1 lane",
        ),
        (
            vec![
                &"bitstream",
                &"-o",
                &out,
                &"--coder",
                &"max",
                &"--max-error",
                &"1",
            ],
            "maximum error",
        ),
    ];
    for (a, says) in refused {
        let o = neurice(&a);
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{:?} must fail", a[0].as_ref());
        assert!(
            e.contains(says) && !e.contains("panicked"),
            "{:?}: {e}",
            a[0].as_ref()
        );
        assert!(!out.exists(), "{:?}: nothing written", a[0].as_ref());
    }
}

#[test]
fn bitstream_refuses_bad_options_before_any_tool_runs() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("bits");
    for (args, says) in [
        (vec!["--coder", "max", "--qmax", "9"], "coder v1"),
        (
            vec!["--coder", "lite", "--core-mhz", "17"],
            "no PLL setting",
        ),
        (vec!["--coder", "both"], "flow"),
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"bitstream", &"-o", &out];
        for x in &args {
            a.push(x);
        }
        let o = neurice(&a);
        assert!(!o.status.success(), "{args:?} must fail");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(says) && !e.contains("panicked"), "{args:?}: {e}");
        assert!(!out.exists(), "{args:?}: nothing written");
    }
}

/// `neurice flow --coder both` on small generated recordings: each coder's
/// stages into OUT/lite and OUT/max, then the side-by-side report. One coder-max synthesis
/// and power run: the one run of the max core's place and route in the tests.
#[test]
fn flow_both_coders_writes_the_side_by_side_report() {
    if !(tool("yosys") && tool("nextpnr-ice40") && tool("icepack") && tool("verilator")) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    std::fs::create_dir(&data).unwrap();
    wavs(&data, 4, 3000);
    let out = d.path().join("report");
    let v = json(&neurice(&[
        &"flow",
        &"--coder",
        &"both",
        &"--no-cache",
        &"--data",
        &data,
        &"--max-samples",
        &"200",
        &"--power-cycles",
        &"2000",
        &"-o",
        &out,
        &"--json",
    ]));
    let coders = v["coders"].as_array().expect("coders");
    assert_eq!(coders.len(), 2, "{v}");
    let (lite, max) = (&coders[0], &coders[1]);
    assert_eq!(lite["coder"], "lite");
    assert_eq!(max["coder"], "max");
    let f = |c: &Value, k: &str| c[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {c}"));
    for c in [lite, max] {
        assert_eq!(c["mismatches"], 0, "{c}");
        assert!(c["timing_met"] == true, "{c}");
        assert!(f(c, "fmax_mhz") >= f(c, "clock_mhz"), "{c}");
        for k in [
            "ratio",
            "bits_per_sample",
            "lc_used",
            "bram_used",
            "samples_per_s",
        ] {
            assert!(f(c, k) > 0.0, "{k}: {c}");
        }
        for k in ["total_mw", "uw_per_channel", "nj_per_sample"] {
            let b = &c[k];
            let (lo, ty, hi) = (
                b["low"].as_f64().unwrap(),
                b["typical"].as_f64().unwrap(),
                b["high"].as_f64().unwrap(),
            );
            assert!(0.0 < lo && lo <= ty && ty <= hi, "{k}: {b}");
        }
        // one sample per clock, measured in real time
        assert_eq!(f(c, "clocks_per_sample"), 1.0, "{c}");
    }
    // (on these generated random walks coder max's table, trained on the recordings, codes
    // about as well as lite: 2.71 and 2.72; the recordings' ratios are checked in the model)
    for c in [lite, max] {
        let bits = 16.0 / f(c, "ratio");
        assert!(
            f(c, "ratio") > 1.0 && (f(c, "bits_per_sample") - bits).abs() < 0.5,
            "{c}"
        );
    }
    assert_eq!(
        f(max, "clock_mhz"),
        neurice_synth::DEFAULT_MAX_FREQ_MHZ,
        "the max core's default clock"
    );
    assert_eq!(f(lite, "clock_mhz"), 60.0);
    // each coder's own report, and the side-by-side page
    for c in ["lite", "max"] {
        let r: Value =
            serde_json::from_slice(&std::fs::read(out.join(c).join("report.json")).unwrap())
                .unwrap();
        assert_eq!(r["simulation"]["coder"], c);
        assert_eq!(r["eval"]["coder"], c);
        assert!(out.join(c).join("index.html").is_file());
        // one sample per clock: Fmax gives the real-time channels of both cores
        let synth = &r["synthesis"];
        assert!(synth["realtime_channels_at_20khz"].as_u64().unwrap() > 0);
        assert!(synth["realtime_unknown"].is_null());
    }
    let top: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(top["coders"], v["coders"]);
    assert!(v["reports"][1]["asic_skipped"]
        .as_str()
        .unwrap()
        .contains("coder max"));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("nJ per sample"),
        "{html}"
    );
    // the peers, measured in this run where installed, and the system view per mode
    let peers = v["peers"].as_array().expect("peers");
    assert_eq!(peers.len(), 2, "{v}");
    for p in peers {
        if p["skipped"].is_null() {
            // (tiny generated recordings: a peer may even grow them; its ratio on the
            // recordings is checked by flow/tests/peers.rs)
            let r = p["ratio"].as_f64().unwrap();
            let want = f(p, "wav_bytes") / f(p, "compressed_bytes");
            assert!(r > 0.0 && (r - want).abs() < 1e-9 * want, "{p}");
        } else {
            assert!(p["ratio"].is_null(), "{p}");
        }
    }
    assert!(html.contains("flac -8") && html.contains("wavpack -hh -x6"));
    let system = v["system"].as_array().expect("system");
    assert_eq!(system.len(), 2);
    for (s, c) in system.iter().zip([lite, max]) {
        let mbps = f(s, "mbps_1024");
        assert!((mbps - f(c, "bits_per_sample") * 1024.0 * 20_000.0 / 1e6).abs() < 1e-9 * mbps);
        assert_eq!(s["fits_radio"], mbps <= 1.0);
        let fpga = f(&s["fpga_mw"], "typical");
        assert_eq!(fpga, f(&c["total_mw"], "typical"));
        assert!(f(&s["total_mw"], "typical") >= fpga);
    }
    assert!(html.contains("System view"));
    // the peers ran on the first look's subset (4 recordings: the second), named in the report
    assert_eq!(
        v["peers_scope"]["recordings"].as_array().unwrap().len(),
        1,
        "{v}"
    );
    assert_eq!(v["peers_scope"]["stride"], 4);
    assert!(v["date_utc"].as_str().unwrap().ends_with('Z'), "{v}");
    assert!(f(&v["machine"], "cores") >= 1.0, "{v}");
    // the results table written from this report: each coder's row has its numbers
    let o = neurice(&[&"results-table", &out.join("report.json")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.contains(v["date_utc"].as_str().unwrap()), "{table}");
    for (c, s) in [lite, max].into_iter().zip(system) {
        let row = table
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "| lossless, coder {} |",
                    c["coder"].as_str().unwrap()
                ))
            })
            .unwrap_or_else(|| panic!("no row for {c}: {table}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2], format!("{:.4}", f(c, "ratio")), "{row}");
        assert_eq!(cells[3], format!("{:.1}", f(s, "mbps_1024")), "{row}");
        assert_eq!(cells[4], "HX8K", "{row}");
        assert_eq!(cells[5], format!("{:.1} MHz", f(c, "fmax_mhz")), "{row}");
        assert_eq!(
            cells[6].replace(' ', ""),
            format!("{}", f(c, "lc_used")),
            "{row}"
        );
        assert_eq!(cells[7], format!("{}", f(c, "bram_used")), "{row}");
        assert!(
            cells[8].starts_with(&format!("{:.2} mW at ", f(&c["total_mw"], "typical"))),
            "{row}"
        );
    }
    // into a Markdown file: only its block is replaced
    let doc = d.path().join("results.md");
    let (b, e) = (
        neurice_flow::results_table::BEGIN,
        neurice_flow::results_table::END,
    );
    std::fs::write(&doc, format!("# R\n{b}\nold\n{e}\nafter\n")).unwrap();
    let o = neurice(&[&"results-table", &out.join("report.json"), &"--into", &doc]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&doc).unwrap(),
        format!("# R\n{table}after\n")
    );
    // every page, rendered in headless Chromium: not blank, no missing asset, no script error
    match neurice_flow::browser::chromium() {
        Ok(exe) => {
            for page in [
                out.join("index.html"),
                out.join("lite/index.html"),
                out.join("max/index.html"),
            ] {
                let c =
                    neurice_flow::browser::check_page(&exe, &page, &d.path().join("chromium.log"))
                        .unwrap_or_else(|e| panic!("{e:#}"));
                assert!(c.svgs > 0, "{}: no chart rendered", page.display());
            }
        }
        Err(e) => neurice_testkit::skip(
            "hw::flow_both_coders_writes_the_side_by_side_report (Chromium)",
            &format!("{e:#}"),
        ),
    }
}
