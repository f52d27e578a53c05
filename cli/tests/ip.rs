//! `neurice verilog` ships the core as IP (issue 29): a FuseSoC core description whose `lint`
//! target FuseSoC runs, a port table (Markdown and JSON) read from the emitted Verilog, and a
//! cocotb testbench that drives the emitted core with the known-answer vector `multi` and
//! checks its words. FuseSoC and cocotb are installed by `scripts/install-tools.sh`; without
//! them their parts are skipped through `neurice_testkit::skip`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::*;

/// Runs `cmd` through the project's tool runner (exit code checked, log kept in `log`).
fn run(cmd: &mut Command, log: &Path) -> String {
    match neurice_synth::tools::run_tool(cmd, log) {
        Ok(r) => r.output,
        Err(e) => panic!("{e:#}\nlog: {}", log.display()),
    }
}

/// The path of `tool`, or a skip of `what` saying it is missing.
fn tool_or_skip(what: &str, tool: &str) -> Option<std::path::PathBuf> {
    match neurice_synth::tools::find_tool(tool) {
        Ok(p) => Some(p),
        Err(e) => {
            neurice_testkit::skip(
                what,
                &format!("{e:#} (scripts/install-tools.sh installs it)"),
            );
            None
        }
    }
}

/// Writes the IP of a small `coder` core (`channels` of state) and checks the port table and
/// the testbench's words; runs FuseSoC's lint target and the cocotb testbench when installed.
fn ip_of(coder: &str, channels: usize, lanes: usize) {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("ip");
    let ch = channels.to_string();
    let la = lanes.to_string();
    assert_ok(&neurice(&[
        &"verilog",
        &"-o",
        &out,
        &"--coder",
        &coder,
        &"--channels",
        &ch,
        &"--lanes",
        &la,
        &"--no-check",
    ]));
    for f in [
        "neurice_core.v",
        "neurice_core.core",
        "lint.vlt",
        "ports.md",
        "ports.json",
        "cocotb/Makefile",
        "cocotb/test_neurice_core.py",
    ] {
        assert!(out.join(f).is_file(), "{f} not written");
    }

    // the port table: the contract's ports in order, widths from the Verilog
    let table: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ports.json")).unwrap()).unwrap();
    let ports: Vec<(String, String, u64)> = table["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["direction"].as_str().unwrap().to_string(),
                p["width"].as_u64().unwrap(),
            )
        })
        .collect();
    let addr = channels.next_power_of_two().trailing_zeros().max(1) as u64;
    let head: Vec<(&str, &str, u64)> = ports[..3]
        .iter()
        .map(|(n, d, w)| (n.as_str(), d.as_str(), *w))
        .collect();
    assert_eq!(
        head,
        [
            ("clock", "in", 1),
            ("in_valid", "in", 1),
            ("in_ready", "out", 1)
        ]
    );
    let find = |n: &str| ports.iter().find(|p| p.0 == n).cloned();
    match lanes {
        1 => {
            assert_eq!(
                find("in_channel"),
                Some(("in_channel".into(), "in".into(), addr))
            );
            assert_eq!(
                find("in_sample"),
                Some(("in_sample".into(), "in".into(), 10))
            );
        }
        _ => {
            assert_eq!(
                find("in_pair"),
                Some(("in_pair".into(), "in".into(), addr - 1))
            );
            assert_eq!(
                find("in_sample1"),
                Some(("in_sample1".into(), "in".into(), 10))
            );
        }
    }
    assert_eq!(
        find("out_word"),
        Some(("out_word".into(), "out".into(), 32))
    );
    let latency = table["latency"].as_str().unwrap();
    assert!(!latency.is_empty());
    let md = std::fs::read_to_string(out.join("ports.md")).unwrap();
    for (n, d, w) in &ports {
        assert!(
            md.contains(&format!("| `{n}` | {d} | {w} |")),
            "ports.md lacks {n}: {md}"
        );
    }
    let core = std::fs::read_to_string(out.join("neurice_core.core")).unwrap();
    assert!(core.starts_with("CAPI=2:\n"), "{core}");
    assert!(core.contains("toplevel: top") && core.contains("  lint:"));

    // the testbench carries the golden model's words; for lite these are the frozen ones
    let tb = std::fs::read_to_string(out.join("cocotb/test_neurice_core.py")).unwrap();
    if coder == "lite" && lanes == 1 {
        let frozen = neurice_testkit::vectors::load("multi").words;
        let words: Vec<u32> = tb
            .split("WORDS = [")
            .nth(1)
            .and_then(|s| s.split(']').next())
            .unwrap()
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(|w| u32::from_str_radix(w.trim_start_matches("0x"), 16).unwrap())
            .collect();
        assert_eq!(
            words, frozen,
            "the testbench's words are not the frozen vector's"
        );
    }

    let test = format!("ip::{coder}_{lanes}lane");
    if let Some(fusesoc) = tool_or_skip(&format!("{test} (FuseSoC lint target)"), "fusesoc") {
        let log = out.join("fusesoc.log");
        let name = core.lines().find_map(|l| l.strip_prefix("name: ")).unwrap();
        let mut cmd = Command::new(fusesoc);
        cmd.current_dir(&out)
            .args(["--cores-root", ".", "run", "--target", "lint", name]);
        run(&mut cmd, &log);
    }
    if let Some(cfg) = tool_or_skip(&format!("{test} (cocotb testbench)"), "cocotb-config") {
        let log = out.join("cocotb.log");
        // cocotb's make flow finds cocotb-config on the PATH: put the one found first
        let path =
            std::env::join_paths(std::iter::once(cfg.parent().unwrap().to_path_buf()).chain(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
            ))
            .unwrap();
        let mut cmd = Command::new("make");
        cmd.current_dir(out.join("cocotb")).env("PATH", path);
        let text = run(&mut cmd, &log);
        let results = std::fs::read_to_string(out.join("cocotb/results.xml"))
            .unwrap_or_else(|e| panic!("no cocotb results.xml ({e}); log:\n{text}"));
        assert!(
            results.contains("known_answer") && !results.contains("<failure"),
            "cocotb testbench failed:\n{results}\n{text}"
        );
    }
}

#[test]
fn verilog_writes_a_fusesoc_core_a_port_table_and_a_cocotb_testbench() {
    ip_of("lite", 4, 1);
}

#[test]
#[ignore = "builds the 2-lane core under cocotb (minutes): cargo test --release -p neurice --test ip -- --ignored"]
fn ip_of_the_two_lane_core() {
    ip_of("lite", 4, 2);
}
