//! Event mode's hardware commands end to end (`--coder events`: FORMAT.md §12): `sim` (the
//! event core against the event model in rust-hdl, Verilator and at gate level), `verilog`,
//! `link` (the event stream's measured rate through the lossy link), and what is refused.
//! Small generated WAVs (spiky walks: events happen); `synth`, `power` and `flow` run the
//! same design through the commands the coder cores use (measured in docs/results.md).

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{assert_refused, json, neurice};

/// `files` generated recordings with spikes, `n` samples each.
fn spiky(dir: &Path, files: usize, n: usize) -> Vec<PathBuf> {
    (0..files)
        .map(|f| {
            let x = neurice_testkit::spiky_walk(n, 31 + f as u64);
            let p = dir.join(format!("s{f}.wav"));
            std::fs::write(&p, neurice_testkit::grid_wav(1, &x)).unwrap();
            p
        })
        .collect()
}

fn tool(name: &str) -> bool {
    match neurice_synth::tools::find_tool(name) {
        Ok(_) => true,
        Err(e) => {
            neurice_testkit::skip("events_hw", &format!("{e:#}"));
            false
        }
    }
}

fn vl_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator-events")
}

fn sim(dir: &Path, engine: &str, extra: &[&str]) -> Value {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
        &"sim",
        &"--coder",
        &"events",
        &"--engine",
        &engine,
        &"--channels",
        &"3",
        &"--gap",
        &"100",
        &"--backpressure",
        &"300",
        &"--json",
    ];
    for e in extra {
        args.push(e);
    }
    let cache = vl_cache();
    args.extend([&"--build-dir" as &dyn AsRef<std::ffi::OsStr>, &cache, &dir]);
    json(&neurice(&args))
}

/// `sim --coder events`: the event core's words are the event model's, in rust-hdl's
/// simulator and under Verilator, with the same cycles; the design says event mode.
#[test]
fn sim_events_is_bit_exact_in_rusthdl_and_verilator() {
    let d = tempfile::tempdir().unwrap();
    spiky(d.path(), 3, 4000);
    let r = sim(d.path(), "rusthdl", &[]);
    assert_eq!(r["coder"], "events", "{r}");
    assert_eq!(r["design"]["coder"], "events", "{r}");
    assert_eq!(r["design"]["params"]["channels"], 3, "{r}");
    assert_eq!(r["samples"], 12000);
    assert_eq!(r["mismatches"], 0, "{r}");
    assert_eq!(r["words"], r["expected_words"]);
    assert!(r["words"].as_u64().unwrap() > 10, "{r}");
    // the coder-v1 core's words on the same recordings differ: another design was run
    let lite = json(&neurice(&[
        &"sim",
        &"--engine",
        &"rusthdl",
        &"--channels",
        &"3",
        &"--json",
        &d.path(),
    ]));
    assert_ne!(lite["words"], r["words"]);
    if tool("verilator") {
        let v = sim(d.path(), "verilator", &[]);
        assert_eq!(v["mismatches"], 0, "{v}");
        for k in ["coder", "samples", "cycles", "stall_cycles", "words"] {
            assert_eq!(v[k], r[k], "{k}");
        }
    }
}

/// `sim --coder events --engine gatelevel`: yosys' iCE40 netlist of the event core (its
/// synthesis and the netlist's build: minutes, so with `--ignored`).
#[test]
#[ignore]
fn sim_events_gate_level_is_bit_exact() {
    if !(tool("verilator") && tool("yosys")) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    spiky(d.path(), 3, 1500);
    let g = sim(d.path(), "gatelevel", &[]);
    assert_eq!(g["engine"], "gatelevel", "{g}");
    assert_eq!(g["coder"], "events");
    assert_eq!(g["mismatches"], 0, "{g}");
    assert_eq!(g["samples"], 4500);
}

/// `verilog --coder events`: the event core, lint-clean, without the coder cores' board top
/// and IP files.
#[test]
fn verilog_events_writes_the_checked_event_core() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("v");
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
        vec![&"verilog", &"--coder", &"events", &"--channels", &"16"];
    if !tool("verilator") || !tool("yosys") {
        args.push(&"--no-check");
    }
    args.extend([&"--json" as &dyn AsRef<std::ffi::OsStr>, &"-o", &out]);
    let v = json(&neurice(&args));
    assert_eq!(v["coder"], "events", "{v}");
    assert_ne!(v["verilator_lint"]["status"], "failed", "{v}");
    assert_eq!(v["files"].as_array().unwrap().len(), 1, "{v}");
    let text = std::fs::read_to_string(out.join("neurice_core.v")).unwrap();
    assert!(text.contains("module top") && text.contains("out_last"));
    assert!(!out.join("alchitry_cu_top.v").exists());
}

/// `link --coder events`: the event stream of the recordings through a lossy link; every
/// event of a received frame arrives, the lost segments' frames are counted.
#[test]
fn link_events_reports_the_measured_rate_and_the_losses() {
    let d = tempfile::tempdir().unwrap();
    spiky(d.path(), 4, 30_000);
    let r = json(&neurice(&[
        &"link",
        &"--coder",
        &"events",
        &"--channels",
        &"4",
        &"--drop-rate",
        &"0.2",
        &"--json",
        &d.path(),
    ]));
    assert_eq!(r["coder"], "events");
    assert_eq!(r["events_wrong"], 0, "{r}");
    let sent = r["events_sent"].as_u64().unwrap();
    assert!(sent > 10, "{r}");
    assert_eq!(r["rate"]["events"], sent);
    assert_eq!(r["rate"]["frames"], 30_000);
    assert!(r["packets_lost"].as_u64().unwrap() > 0, "{r}");
    assert!(r["frames_lost"].as_u64().unwrap() > 0, "{r}");
    let delivered = r["events_delivered"].as_u64().unwrap();
    assert!(delivered < sent, "{r}");
    let (pay, link) = (
        r["rate"]["payload_mbit_s"].as_f64().unwrap(),
        r["rate"]["link_mbit_s"].as_f64().unwrap(),
    );
    assert!(0.0 < pay && pay < link, "{r}");
    assert_eq!(r["fits_radio"], link <= 1.0);
}

/// What event mode cannot take is refused with the reason, exit 1.
#[test]
fn events_refuses_what_it_cannot_build() {
    let d = tempfile::tempdir().unwrap();
    spiky(d.path(), 2, 300);
    let out = d.path().join("o");
    let p = d.path();
    // (sim on the rust-hdl engine: a command that wrongly ran builds nothing in the tree)
    for (args, want) in [
        (
            vec![
                &"sim" as &dyn AsRef<std::ffi::OsStr>,
                &"--engine",
                &"rusthdl",
                &"--lanes",
                &"2",
                &"--channels",
                &"2",
                &p,
            ],
            "has 1 lane",
        ),
        (
            vec![&"sim", &"--engine", &"rusthdl", &"--packets", &p],
            "emits its own segments",
        ),
        (
            vec![&"sim", &"--engine", &"rusthdl", &"--qmax", &"9", &p],
            "own parameters",
        ),
        (vec![&"synth", &"--channels", &"0", &"-o", &out], "channels"),
        (
            vec![&"bitstream", &"-o", &out],
            "this command takes a coder",
        ),
        (
            vec![&"link", &"--segment-frames", &"7", &p],
            "event mode's segments are its power bins",
        ),
        (
            vec![&"link", &"--packet-bytes", &"19", &p],
            "--packet-bytes 19",
        ),
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![args[0], &"--coder", &"events"];
        a.extend(&args[1..]);
        assert_refused(&neurice(&a), want);
    }
    assert!(!out.exists());
}
