//! ASIC second opinion: yosys's generic gate-level synthesis and its CMOS transistor estimate.
//!
//! Script (run in `out_dir`, log in `asic_yosys.log`):
//! ```text
//! hierarchy -check -top TOP; proc; flatten       # RTL, memories still whole
//! tee -q -o asic_stat_rtl.json stat -json        # → memory_bits
//! synth -top TOP                                 # generic gates, memories → flip-flops
//! dfflegalize -cell $_DFF_P_ 01 ...              # enables/sync resets → plain DFF + logic
//! opt_clean
//! tee -q -o asic_stat.json stat -json -tech cmos # → transistor estimate, cell counts
//! ```
//! `dfflegalize` turns flip-flops with enables or synchronous resets into plain `$_DFF_P_`
//! plus gates, because yosys's CMOS cost table only prices plain flip-flops and simple gates.
//! Flip-flops with asynchronous resets stay as they are; if any cell has no CMOS cost yosys
//! prints the estimate with a `+` ([`AsicArea::transistors_lower_bound`]).

use crate::flow::{check_top_name, parse_yosys_stat};
use crate::tools::{require_tools, run_tool};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Transistors per bit of a 6T SRAM cell (the bit cell only, no periphery).
pub const SRAM_6T: u64 = 6;

/// Result of [`asic_area`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AsicArea {
    /// Top module.
    pub top: String,
    /// yosys's `stat -tech cmos` transistor estimate of the whole design, memories included
    /// as flip-flops and multiplexers.
    pub transistors: u64,
    /// yosys printed `N+`: some cells have no CMOS cost and are not counted.
    pub transistors_lower_bound: bool,
    /// Gate-level cell counts (`$_NAND_`, `$_DFF_P_`, `$_MUX_`, ...).
    pub cells: BTreeMap<String, u64>,
    /// Total cells.
    pub total_cells: u64,
    /// Memory bits in the RTL (before memories were mapped to flip-flops).
    pub memory_bits: u64,
    /// `memory_bits × 6`: the bit cells alone if those memories were 6T SRAM macros instead
    /// (no decoders, sense amplifiers or other periphery).
    pub sram_6t_transistors: u64,
    /// How the numbers were obtained.
    pub method: String,
    /// What the numbers assume / leave out.
    pub assumptions: Vec<String>,
    /// yosys version that produced the numbers.
    pub yosys_version: String,
    /// The yosys log.
    pub log: PathBuf,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The yosys script used by [`asic_area`].
pub fn asic_script(top: &str) -> String {
    let ffs = [
        "$_DFF_P_",
        "$_DFF_N_",
        "$_DFF_PP0_",
        "$_DFF_PP1_",
        "$_DFF_PN0_",
        "$_DFF_PN1_",
        "$_DFF_NP0_",
        "$_DFF_NP1_",
        "$_DFF_NN0_",
        "$_DFF_NN1_",
    ]
    .iter()
    .map(|c| format!("-cell {c} 01"))
    .collect::<Vec<_>>()
    .join(" ");
    format!(
        "hierarchy -check -top {top}; proc; flatten; \
         tee -q -o asic_stat_rtl.json stat -json; \
         synth -top {top}; \
         dfflegalize {ffs}; opt_clean; \
         tee -q -o asic_stat.json stat -json -tech cmos; stat -tech cmos"
    )
}

/// Runs yosys's generic synthesis on `verilog` (top module `top`) and returns its CMOS
/// transistor estimate and gate counts. Outputs and the log go to `out_dir` (created if
/// missing; only `asic_*` files are written there).
///
/// Cost: the memories become flip-flops and multiplexers, so a design with large RAMs takes
/// long in `abc` (about 17 s for a 1024×32 memory on this machine).
pub fn asic_area(verilog: &Path, top: &str, out_dir: &Path) -> Result<AsicArea> {
    check_top_name(top)?;
    let verilog = verilog
        .canonicalize()
        .with_context(|| format!("Verilog input {} not found", verilog.display()))?;
    let tools = require_tools(&["yosys"])?;
    let yosys = &tools[0];
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let rtl = out_dir.join("asic_stat_rtl.json");
    let fine = out_dir.join("asic_stat.json");
    // yosys writes these itself: never through a link, and no stale one taken for this run's
    for p in [&rtl, &fine] {
        neurice_files::clear_tool_output(p)?;
    }
    let frontend = if verilog.extension().is_some_and(|e| e == "sv") {
        "verilog -sv"
    } else {
        "verilog"
    };
    let log = out_dir.join("asic_yosys.log");
    let mut cmd = Command::new(&yosys.path);
    cmd.args(["-f", frontend])
        .arg("-p")
        .arg(asic_script(top))
        .arg(&verilog)
        .current_dir(out_dir);
    let run = run_tool(&mut cmd, &log).context("yosys ASIC (generic synth) stage failed")?;

    let read = |p: &Path| {
        std::fs::read_to_string(p).with_context(|| {
            format!(
                "yosys did not write {} (see {})",
                p.display(),
                log.display()
            )
        })
    };
    let rtl_stat = parse_yosys_stat(&read(&rtl)?)?;
    let stat = parse_yosys_stat(&read(&fine)?)?;
    let (transistors, lower) = stat.transistors.with_context(|| {
        format!(
            "no transistor estimate in {} (see {})",
            fine.display(),
            log.display()
        )
    })?;
    let memory_bits = rtl_stat.memory_bits;
    Ok(AsicArea {
        top: top.to_string(),
        transistors,
        transistors_lower_bound: lower,
        cells: stat.cells,
        total_cells: stat.num_cells,
        memory_bits,
        sram_6t_transistors: memory_bits * SRAM_6T,
        method: format!(
            "yosys generic `synth -top {top}` to yosys's internal gate library, flip-flops \
             legalised to plain DFFs, then `stat -tech cmos` (yosys's fixed per-gate \
             transistor costs)"
        ),
        assumptions: vec![
            "static CMOS gates with yosys's textbook transistor counts; no technology library, \
             no sizing, no wiring, no clock tree, no I/O pads"
                .to_string(),
            "memories are implemented as flip-flops plus multiplexers (pessimistic); \
             `sram_6t_transistors` gives the bit cells of an SRAM macro instead, without \
             periphery"
                .to_string(),
            "abc's gate mapping is a logic-synthesis estimate, not a placed design".to_string(),
        ],
        yosys_version: yosys.version.clone(),
        log,
        seconds: run.seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_and_bad_inputs() {
        let s = asic_script("core");
        assert!(s.contains("synth -top core"));
        assert!(s.contains("stat -json -tech cmos"));
        let dir = tempfile::tempdir().unwrap();
        assert!(asic_area(&dir.path().join("none.v"), "core", dir.path()).is_err());
        assert!(asic_area(&dir.path().join("none.v"), "bad;name", dir.path()).is_err());
    }
}
