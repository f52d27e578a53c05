//! The staged FPGA flow, for any [`Device`] (the HX8K of the Alchitry Cu by default, the
//! UP5K): the tools and the cell library come from the device's [`crate::device::Family`]
//! (today iCE40: yosys `synth_ice40`, nextpnr-ice40, icepack).
//!
//! ```text
//!  design.v ─► yosys ─────────────► <top>.json ─► nextpnr-ice40 ─► <top>.asc ─► icepack ─► <top>.bin
//!              synth_ice40             nextpnr.log, nextpnr_report.json          icepack.log
//!              latch check
//!              <top>_netlist.v  (gate-level Verilog of SB_* cells, for simulation)
//!              yosys_stat.json, yosys.log
//! ```
//!
//! Every stage runs inside the output folder chosen by the caller (created if missing; only the
//! flow's own files are written there, nothing is ever deleted except the flow's own previous
//! outputs of the same names), checks the tool's exit code, keeps its log there and fails with
//! the stage name and the tail of that log. Before any stage runs, `build.sh` is written beside
//! the outputs with the exact commands, so a run can be replayed by hand. The result is a
//! [`SynthReport`] (also written as `synth_report.json`) built only from what the tools
//! reported: nextpnr's JSON report (Fmax per clock, utilisation) and yosys's `stat -json`.
//!
//! Latches: after yosys's `proc` the design must contain no `$dlatch`/`$adlatch`/`$dlatchsr`
//! cells (`select -assert-none`), otherwise the yosys stage fails. Set
//! [`SynthConfig::allow_latches`] to skip the check.
//!
//! nextpnr is given `--timing-allow-fail` by default so that a design missing its target
//! frequency still yields a report (`timing_met == false`) instead of an error.

use crate::device::{CellClass, Family};
use crate::tools::{command_line, require_tools, run_tool, ToolInfo, ToolRun};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub use crate::device::Device;
pub use crate::{DEFAULT_FREQ_MHZ, SAMPLE_RATE_HZ};
/// Default place-and-route seed (fixed so runs are reproducible).
pub const DEFAULT_SEED: u64 = 1;
/// Default channel count (1024 electrodes).
pub const DEFAULT_CHANNELS: usize = 1024;

/// The Verilog to synthesise: a file, or text that the flow writes to
/// `<out_dir>/<top>_input.v` first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerilogSource {
    /// An existing Verilog file (`.sv` is read with `read_verilog -sv`).
    File(PathBuf),
    /// Verilog source text.
    Text(String),
}

impl VerilogSource {
    /// A Verilog file.
    pub fn file(p: impl Into<PathBuf>) -> Self {
        VerilogSource::File(p.into())
    }
    /// Verilog text.
    pub fn text(s: impl Into<String>) -> Self {
        VerilogSource::Text(s.into())
    }
}

/// What to build and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthConfig {
    /// The design.
    pub verilog: VerilogSource,
    /// Top module name.
    pub top: String,
    /// Pin constraints; `None` lets nextpnr place I/O itself (`--pcf-allow-unconstrained`).
    pub pcf: Option<PathBuf>,
    /// Target clock frequency passed to nextpnr (`--freq`), MHz.
    pub freq_mhz: f64,
    /// Place-and-route seed (`--seed`).
    pub seed: u64,
    /// Output folder (created if needed; the flow's own files in it are overwritten).
    pub out_dir: PathBuf,
    /// Number of channels the design is built for (recorded in the report only).
    pub channels: usize,
    /// Samples the design takes per clock (1, or 2 for the 2-lane core; for the real-time
    /// figure of the report).
    #[serde(default = "one")]
    pub lanes: usize,
    /// Why the design's real-time channel count does not follow from Fmax (a core whose
    /// clocks per sample depend on the data, as the retired coder-v2 core's); `None`: `lanes` samples per clock.
    #[serde(default)]
    pub realtime_unknown: Option<String>,
    /// Substring of nextpnr's clock net name that identifies the core clock (e.g. `"clk"`).
    /// `None`: the slowest clock is taken as the core clock.
    pub main_clock: Option<String>,
    /// Pass `--timing-allow-fail` to nextpnr (report a miss instead of failing).
    pub timing_allow_fail: bool,
    /// Skip the latch check.
    pub allow_latches: bool,
    /// The FPGA to place and route for.
    pub device: Device,
    /// Map multipliers to the device's DSP blocks (yosys `synth_ice40 -dsp`; only a device
    /// with DSP blocks, the UP5K). Left out of the serialised form when off, so configurations
    /// (and the flow's cache keys) without it are what they were before the option.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dsp: bool,
}

impl SynthConfig {
    /// A configuration with the defaults: [`DEFAULT_FREQ_MHZ`], seed 1, 1024 channels, no PCF, slowest
    /// clock as core clock, timing misses reported rather than fatal, latches rejected.
    pub fn new(verilog: VerilogSource, top: &str, out_dir: impl Into<PathBuf>) -> Self {
        SynthConfig {
            verilog,
            top: top.to_string(),
            pcf: None,
            freq_mhz: DEFAULT_FREQ_MHZ,
            seed: DEFAULT_SEED,
            out_dir: out_dir.into(),
            channels: DEFAULT_CHANNELS,
            lanes: 1,
            realtime_unknown: None,
            main_clock: None,
            timing_allow_fail: true,
            allow_latches: false,
            device: Device::Hx8k,
            dsp: false,
        }
    }
}

/// Timing of one clock domain, as reported by nextpnr.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClockTiming {
    /// Achieved maximum frequency, MHz.
    pub achieved_mhz: f64,
    /// Constraint (the `--freq` target), MHz.
    pub constraint_mhz: f64,
}

/// Use of one kind of cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub used: u64,
    pub available: u64,
}

/// iCE40 cell counts from yosys's `stat` of the synthesised netlist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CellCounts {
    /// `SB_LUT4`.
    pub lut4: u64,
    /// All flip-flop types (`SB_DFF`, `SB_DFFE`, `SB_DFFSR`, ...).
    pub dff: u64,
    /// `SB_CARRY`.
    pub carry: u64,
    /// `SB_RAM40_4K` (4 kbit block RAMs).
    pub ram40_4k: u64,
    /// Every other cell (`SB_IO`, `SB_GB`, `SB_PLL40_*`, ...).
    pub other: u64,
}

impl CellCounts {
    /// Counts `n` cells of type `cell` in their class ([`crate::device::Family::classify`],
    /// the one classification used by the synthesis report, the netlist analysis and the
    /// power model). Returns false for a cell in no modelled class (counted in `other`).
    pub fn add(&mut self, cell: &str, n: u64) -> bool {
        match Family::Ice40.classify(cell) {
            CellClass::Lut => self.lut4 += n,
            CellClass::Carry => self.carry += n,
            CellClass::BlockRam => self.ram40_4k += n,
            CellClass::FlipFlop => self.dff += n,
            CellClass::Other => {
                self.other += n;
                return false;
            }
        }
        true
    }

    /// Groups yosys's per-type counts.
    pub fn from_types(cells: &BTreeMap<String, u64>) -> Self {
        let mut c = CellCounts::default();
        for (k, &n) in cells {
            c.add(k, n);
        }
        c
    }
}

/// The latch check of the yosys stage (a design that infers latches fails the stage, so a
/// finished run either passed it or skipped it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatchCheck {
    /// No `$dlatch`/`$adlatch`/`$dlatchsr` after `proc`.
    Passed,
    /// [`SynthConfig::allow_latches`] was set.
    #[default]
    Skipped,
}

impl std::fmt::Display for LatchCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LatchCheck::Passed => "passed",
            LatchCheck::Skipped => "skipped (allow_latches)",
        })
    }
}

/// What the register wrapper added (see [`crate::wrapper`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinWrapper {
    /// The wrapper module placed and routed as the top.
    pub top: String,
    /// Port bits (pins) of the design, against the package's user I/O.
    pub design_pins: usize,
    pub package_io: usize,
    /// Flip-flops the wrapper adds (included in the report's counts).
    pub extra_ffs: usize,
}

/// Logs of the three stages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlowLogs {
    pub yosys: PathBuf,
    pub nextpnr: PathBuf,
    pub icepack: PathBuf,
}

/// Files produced by the flow.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlowOutputs {
    /// The Verilog that was synthesised.
    pub verilog: PathBuf,
    /// yosys netlist for nextpnr (`<top>.json`).
    pub netlist: PathBuf,
    /// Gate-level Verilog of the iCE40 netlist (`<top>_netlist.v`, `SB_*` cells; simulate
    /// with yosys's `ice40/cells_sim.v`).
    pub netlist_verilog: PathBuf,
    /// yosys `stat -json` of the iCE40 netlist.
    pub yosys_stat: PathBuf,
    /// nextpnr's JSON report.
    pub pnr_report: PathBuf,
    /// Placed and routed design (`<top>.asc`).
    pub asc: PathBuf,
    /// Bitstream (`<top>.bin`).
    pub bin: PathBuf,
    /// Replayable script with the exact commands.
    pub build_script: PathBuf,
    /// This report as JSON.
    pub report: PathBuf,
}

/// Result of [`run_flow`]. Every number comes from the tools' own reports.
///
/// Unknown fields are ignored and missing ones default, so later additions can go in
/// [`SynthReport::extra`] or become new fields without breaking readers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SynthReport {
    /// Part and package ([`Device::part`]).
    pub device: String,
    /// The device ([`Device`]).
    pub target: Device,
    /// Set when the design had more ports than the package has pins and was placed and
    /// routed inside the register wrapper of [`crate::wrapper`] (its cells are included in
    /// the counts).
    pub pin_wrapper: Option<PinWrapper>,
    /// Top module.
    pub top: String,
    /// Target frequency given to nextpnr, MHz.
    pub target_mhz: f64,
    /// Achieved Fmax of the core clock ([`SynthReport::main_clock`]), MHz; `None` for a
    /// design without a clock.
    pub fmax_mhz: Option<f64>,
    /// nextpnr's name of the core clock: the one matching [`SynthConfig::main_clock`], or the
    /// slowest clock.
    pub main_clock: Option<String>,
    /// Every clock reached its constraint.
    pub timing_met: bool,
    /// Timing of every clock, by nextpnr's clock net name (e.g. `clk$SB_IO_IN_$glb_clk`).
    pub clocks: BTreeMap<String, ClockTiming>,
    /// Logic cells (ICESTORM_LC: LUT4 + DFF + carry) used / available.
    pub lc_used: u64,
    pub lc_total: u64,
    /// Block RAMs (ICESTORM_RAM = SB_RAM40_4K, 4 kbit each) used / available.
    pub bram_used: u64,
    pub bram_total: u64,
    /// I/O cells (SB_IO) used / available (nextpnr counts the die's 256 sites, not the 95
    /// package balls of the CB132).
    pub io_used: u64,
    pub io_total: u64,
    /// Global buffers (SB_GB) used.
    pub gb_used: u64,
    /// PLLs (ICESTORM_PLL) used.
    pub pll_used: u64,
    /// nextpnr's full utilisation table.
    pub utilization: BTreeMap<String, Usage>,
    /// yosys cell counts of the iCE40 netlist, grouped.
    pub cells: CellCounts,
    /// yosys cell counts by type (SB_LUT4, SB_DFFE, SB_CARRY, SB_RAM40_4K, ...).
    pub yosys_cells: BTreeMap<String, u64>,
    pub latch_check: LatchCheck,
    /// "Found and reported N problems" from yosys's final `check`, if printed.
    pub yosys_check_problems: Option<u64>,
    /// Channel count the design was built for (passed in, not checked by the tools).
    pub channels: usize,
    /// Sample rate used for the real-time figure, Hz ([`SAMPLE_RATE_HZ`]).
    pub sample_rate_hz: f64,
    /// Samples the design takes per clock (passed in: 1, or 2 for the 2-lane core).
    #[serde(default = "one")]
    pub lanes: usize,
    /// floor(lanes · fmax_mhz · 1e6 / 20 000): channels the core could encode in real time at
    /// 20 kHz **assuming it accepts `lanes` samples per clock** at Fmax. Capped by nothing else
    /// (not by the channel-state RAM size, nor by I/O bandwidth).
    pub realtime_channels_at_20khz: Option<u64>,
    /// Why `realtime_channels_at_20khz` is not given although there is an Fmax
    /// ([`SynthConfig::realtime_unknown`]).
    pub realtime_unknown: Option<String>,
    /// Place-and-route seed.
    pub seed: u64,
    /// Multipliers were mapped to DSP blocks ([`SynthConfig::dsp`]); their use is
    /// `utilization["ICESTORM_DSP"]`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dsp: bool,
    /// Versions of the tools that ran.
    pub tool_versions: Vec<ToolInfo>,
    /// Stage logs.
    pub logs: FlowLogs,
    /// Produced files.
    pub outputs: FlowOutputs,
    /// Wall-clock seconds per stage (`yosys`, `nextpnr`, `icepack`).
    pub stage_seconds: BTreeMap<String, f64>,
    /// Total wall-clock seconds.
    pub seconds: f64,
    /// Room for later additions without changing this struct.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn one() -> usize {
    1
}

/// Real-time channel capacity at [`SAMPLE_RATE_HZ`] for a core taking one sample per clock.
pub fn realtime_channels(fmax_mhz: f64) -> u64 {
    if fmax_mhz.is_finite() && fmax_mhz > 0.0 {
        (fmax_mhz * 1e6 / SAMPLE_RATE_HZ).floor() as u64
    } else {
        0
    }
}

/// Checks that `top` is a plain Verilog identifier, `[A-Za-z_][A-Za-z0-9_]*` (it is spliced
/// into yosys scripts, Verilator's command line and the C++ class names of its model). `$` is
/// legal Verilog but not accepted: rust-hdl uses it for sub-module names (`top$child`), never
/// for a top. The one rule for synthesis and co-simulation (`neurice_sim::verilator`).
pub fn check_top_name(top: &str) -> Result<()> {
    let ok = top
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        bail!("invalid top module name {top:?}: expected a plain Verilog identifier");
    }
    Ok(())
}

fn fmt_mhz(f: f64) -> String {
    // `60` rather than `60.0`, full precision otherwise.
    format!("{f}")
}

fn absolute(p: &Path) -> Result<PathBuf> {
    p.canonicalize()
        .with_context(|| format!("{} does not exist or is not readable", p.display()))
}

/// The three stage commands of a configuration (to run in `out_dir`).
struct Stages {
    yosys: Command,
    nextpnr: Command,
    icepack: Command,
}

fn tool_path<'a>(tools: &'a [ToolInfo], name: &'a str) -> &'a Path {
    tools
        .iter()
        .find(|t| t.name == name)
        .map(|t| t.path.as_path())
        .unwrap_or_else(|| Path::new(name))
}

/// Cell types that are latches after `proc` (coarse and fine-grained).
const LATCH_CELLS: &str = "t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*";

/// The yosys script of the flow for `family`.
pub fn yosys_script(family: Family, top: &str, allow_latches: bool) -> String {
    yosys_script_with(family, top, allow_latches, false)
}

/// The yosys script of the flow for `family`, multipliers mapped to DSP blocks when `dsp`.
pub fn yosys_script_with(family: Family, top: &str, allow_latches: bool, dsp: bool) -> String {
    let synth = if dsp {
        format!("{} -dsp", family.yosys_synth())
    } else {
        family.yosys_synth().to_string()
    };
    let check = if allow_latches {
        String::new()
    } else {
        format!("select -assert-none {LATCH_CELLS}; ")
    };
    // the synthesis command runs hierarchy/proc/flatten before `coarse`; the latch check
    // sits there
    format!(
        "{synth} -top {top} -run :coarse; {check}\
         {synth} -top {top} -json {top}.json -run coarse:; \
         write_verilog -noattr {top}_netlist.v; \
         tee -q -o yosys_stat.json stat -json; stat"
    )
}

fn stage_commands(
    cfg: &SynthConfig,
    top: &str,
    tools: &[ToolInfo],
    verilog: &Path,
    pcf: Option<&Path>,
) -> Stages {
    let mut yosys = Command::new(tool_path(tools, "yosys"));
    let frontend = if verilog.extension().is_some_and(|e| e == "sv") {
        "verilog -sv"
    } else {
        "verilog"
    };
    yosys
        .args(["-f", frontend])
        .arg("-p")
        .arg(yosys_script_with(
            cfg.device.family(),
            top,
            cfg.allow_latches,
            cfg.dsp,
        ))
        .arg(verilog);

    let mut nextpnr = Command::new(tool_path(tools, cfg.device.family().nextpnr()));
    nextpnr
        .arg(cfg.device.nextpnr_flag())
        .args(["--package", cfg.device.package()])
        .args(["--freq", &fmt_mhz(cfg.freq_mhz)])
        .args(["--seed", &cfg.seed.to_string()])
        .args(["--json", &format!("{top}.json")]);
    match pcf {
        Some(p) => {
            nextpnr.arg("--pcf").arg(p);
        }
        None => {
            nextpnr.arg("--pcf-allow-unconstrained");
        }
    }
    nextpnr
        .args(["--asc", &format!("{top}.asc")])
        .args(["--report", "nextpnr_report.json"]);
    if cfg.timing_allow_fail {
        nextpnr.arg("--timing-allow-fail");
    }

    let mut icepack = Command::new(tool_path(tools, cfg.device.family().packer()));
    icepack.arg(format!("{top}.asc")).arg(format!("{top}.bin"));
    Stages {
        yosys,
        nextpnr,
        icepack,
    }
}

fn write_build_script(path: &Path, cfg: &SynthConfig, top: &str, stages: &Stages) -> Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "#!/usr/bin/env bash");
    let _ = writeln!(
        s,
        "# Replays the neurice iCE40 flow: {}, top `{top}`, --freq {} MHz, seed {}.",
        cfg.device.part(),
        fmt_mhz(cfg.freq_mhz),
        cfg.seed
    );
    let _ = writeln!(
        s,
        "# Written by neurice-synth; outputs and logs land beside this script."
    );
    let _ = writeln!(s, "set -euo pipefail");
    let _ = writeln!(s, "cd \"$(dirname \"$0\")\"");
    for (name, cmd) in [
        ("yosys", &stages.yosys),
        ("nextpnr", &stages.nextpnr),
        ("icepack", &stages.icepack),
    ] {
        let _ = writeln!(s, "{} 2>&1 | tee {name}.log", command_line(cmd));
    }
    neurice_files::write_script(path, &s)
}

#[derive(Deserialize)]
struct PnrClock {
    achieved: f64,
    constraint: f64,
}

#[derive(Deserialize)]
struct PnrReport {
    #[serde(default)]
    fmax: BTreeMap<String, PnrClock>,
    #[serde(default)]
    utilization: BTreeMap<String, Usage>,
}

/// What [`parse_pnr_report`] extracts from nextpnr's `--report` JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PnrSummary {
    pub clocks: BTreeMap<String, ClockTiming>,
    pub utilization: BTreeMap<String, Usage>,
}

/// Parses nextpnr-ice40's `--report` JSON (`fmax` and `utilization`).
pub fn parse_pnr_report(json: &str) -> Result<PnrSummary> {
    let r: PnrReport =
        serde_json::from_str(json).context("nextpnr report is not the expected JSON")?;
    if r.utilization.is_empty() {
        bail!("nextpnr report has no `utilization` table");
    }
    let clocks = r
        .fmax
        .into_iter()
        .map(|(name, c)| {
            (
                name,
                ClockTiming {
                    achieved_mhz: c.achieved,
                    constraint_mhz: c.constraint,
                },
            )
        })
        .collect();
    Ok(PnrSummary {
        clocks,
        utilization: r.utilization,
    })
}

/// Picks the core clock: the one whose name contains `wanted`, else the slowest.
///
/// Errors when `wanted` matches no clock or several clocks (listing them).
pub fn pick_main_clock(
    clocks: &BTreeMap<String, ClockTiming>,
    wanted: Option<&str>,
) -> Result<Option<(String, f64)>> {
    match wanted {
        Some(w) => {
            let hits: Vec<_> = clocks.iter().filter(|(n, _)| n.contains(w)).collect();
            match hits.as_slice() {
                [(n, c)] => Ok(Some(((*n).clone(), c.achieved_mhz))),
                [] => bail!(
                    "no clock named like {w:?} in nextpnr's report; clocks: {:?}",
                    clocks.keys().collect::<Vec<_>>()
                ),
                _ => bail!(
                    "{w:?} matches several clocks: {:?}",
                    hits.iter().map(|(n, _)| n).collect::<Vec<_>>()
                ),
            }
        }
        None => Ok(clocks
            .iter()
            .min_by(|a, b| a.1.achieved_mhz.total_cmp(&b.1.achieved_mhz))
            .map(|(n, c)| (n.clone(), c.achieved_mhz))),
    }
}

/// Cell counts and memory bits from yosys's `stat -json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct YosysStat {
    pub cells: BTreeMap<String, u64>,
    pub num_cells: u64,
    pub memory_bits: u64,
    /// `estimated_num_transistors` (only with `-tech cmos`): the count and whether yosys
    /// marked it as a lower bound (`+`, some cell types have no cost).
    pub transistors: Option<(u64, bool)>,
}

/// Parses yosys's `stat -json` output (the `design` totals, or the only module).
pub fn parse_yosys_stat(json: &str) -> Result<YosysStat> {
    let v: serde_json::Value =
        serde_json::from_str(json).context("yosys stat output is not JSON")?;
    let section = match v.get("design") {
        Some(d) => d,
        None => {
            let mods = v
                .get("modules")
                .and_then(|m| m.as_object())
                .context("yosys stat JSON has neither `design` nor `modules`")?;
            if mods.len() != 1 {
                bail!(
                    "yosys stat JSON has {} modules and no `design` total",
                    mods.len()
                );
            }
            mods.values().next().context("empty modules")?
        }
    };
    let num = |k: &str| section.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    let mut cells = BTreeMap::new();
    if let Some(obj) = section.get("num_cells_by_type").and_then(|x| x.as_object()) {
        for (k, n) in obj {
            cells.insert(k.clone(), n.as_u64().unwrap_or(0));
        }
    }
    let transistors = match section.get("estimated_num_transistors") {
        None => None,
        Some(serde_json::Value::Number(n)) => n.as_u64().map(|n| (n, false)),
        Some(serde_json::Value::String(s)) => {
            let lower = s.ends_with('+');
            let n: u64 = s
                .trim_end_matches('+')
                .trim()
                .parse()
                .with_context(|| format!("bad estimated_num_transistors {s:?}"))?;
            Some((n, lower))
        }
        Some(other) => bail!("bad estimated_num_transistors {other}"),
    };
    Ok(YosysStat {
        cells,
        num_cells: num("num_cells"),
        memory_bits: num("num_memory_bits"),
        transistors,
    })
}

/// The N of the last "Found and reported N problems." line of a yosys log.
pub fn yosys_check_problems(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Found and reported ")
                .and_then(|r| r.split_whitespace().next())
        })
        .and_then(|n| n.parse().ok())
}

/// Clears the files the tools will write themselves ([`neurice_files::clear_tool_output`]: an
/// earlier run's regular file is removed, a link or anything else refused).
fn remove_stale(paths: &[&Path]) -> Result<()> {
    for p in paths {
        neurice_files::clear_tool_output(p)?;
    }
    Ok(())
}

/// A configuration checked and laid out: tools found, folder made, stale outputs removed,
/// `build.sh` written, stage commands ready to run in the output folder.
struct Prepared {
    /// The top module the tools work on (the design's, or the pin wrapper's).
    top: String,
    pin_wrapper: Option<PinWrapper>,
    tools: Vec<ToolInfo>,
    outputs: FlowOutputs,
    logs: FlowLogs,
    stages: Stages,
}

/// Refuses `dsp` (`--dsp`: multipliers mapped to DSP blocks) on a device that has none,
/// naming the device and the UP5K's count; the flow calls it before it makes a folder or runs
/// a tool, and so does the CLI before it writes anything.
pub fn check_dsp(device: Device, dsp: bool) -> Result<()> {
    if dsp && device.dsp_blocks() == 0 {
        bail!(
            "--dsp: the {} has no DSP blocks to map multipliers to (the UP5K has {}); add \
             --device up5k",
            device.part(),
            Device::Up5k.dsp_blocks()
        );
    }
    Ok(())
}

/// `pnr`: the design will be placed and routed, so a design with more ports than the
/// package has pins (and no PCF) goes inside the register wrapper.
fn prepare(cfg: &SynthConfig, needed: &[&str], pnr: bool) -> Result<Prepared> {
    check_top_name(&cfg.top)?;
    if !(cfg.freq_mhz.is_finite() && cfg.freq_mhz > 0.0) {
        bail!(
            "target frequency must be a positive number of MHz, got {}",
            cfg.freq_mhz
        );
    }
    check_dsp(cfg.device, cfg.dsp)?;
    let pcf = match &cfg.pcf {
        Some(p) => Some(absolute(p).context("PCF input")?),
        None => None,
    };
    if let VerilogSource::File(p) = &cfg.verilog {
        absolute(p).context("Verilog input")?;
    }
    let tools = require_tools(needed)?;

    neurice_files::create_out_dir(&cfg.out_dir)
        .with_context(|| format!("the build folder {}", cfg.out_dir.display()))?;
    let out = absolute(&cfg.out_dir)?;
    // the flow's own files are checked before anything is written or run (each is checked
    // again when written; the tools' outputs below, when the top is known)
    let own: Vec<PathBuf> = ["build.sh", "yosys.log", "nextpnr.log", "icepack.log"]
        .iter()
        .map(|n| out.join(n))
        .collect();
    neurice_files::check_outputs(&own, true)?;
    let mut top = cfg.top.clone();
    let mut pin_wrapper = None;
    let mut verilog = match &cfg.verilog {
        VerilogSource::File(p) => absolute(p).context("Verilog input")?,
        VerilogSource::Text(text) => {
            let p = out.join(format!("{top}_input.v"));
            neurice_files::write_output(&p, text.as_bytes(), true)?;
            p
        }
    };
    if pnr && pcf.is_none() {
        let read;
        let text = match &cfg.verilog {
            VerilogSource::Text(t) => t.as_str(),
            VerilogSource::File(_) => {
                read = std::fs::read_to_string(&verilog)
                    .with_context(|| format!("reading {}", verilog.display()))?;
                read.as_str()
            }
        };
        // a header the wrapper cannot read (e.g. ANSI-style ports) is placed as it is;
        // nextpnr says so if it has more ports than pins
        let pins: usize =
            crate::wrapper::module_ports(text, &top).map_or(0, |p| p.iter().map(|p| p.width).sum());
        if pins > cfg.device.user_io() {
            let w = crate::wrapper::register_wrapper(text, &top)?;
            let p = out.join(format!("{}_input.v", w.top));
            neurice_files::write_output(&p, w.verilog.as_bytes(), true)?;
            pin_wrapper = Some(PinWrapper {
                top: w.top.clone(),
                design_pins: pins,
                package_io: cfg.device.user_io(),
                extra_ffs: w.extra_ffs,
            });
            top = w.top;
            verilog = p;
        }
    }
    let top = &top;
    let outputs = FlowOutputs {
        verilog: verilog.clone(),
        netlist: out.join(format!("{top}.json")),
        netlist_verilog: out.join(format!("{top}_netlist.v")),
        yosys_stat: out.join("yosys_stat.json"),
        pnr_report: out.join("nextpnr_report.json"),
        asc: out.join(format!("{top}.asc")),
        bin: out.join(format!("{top}.bin")),
        build_script: out.join("build.sh"),
        report: out.join("synth_report.json"),
    };
    let logs = FlowLogs {
        yosys: out.join("yosys.log"),
        nextpnr: out.join("nextpnr.log"),
        icepack: out.join("icepack.log"),
    };
    // Our own outputs from an earlier run must not be mistaken for this run's.
    remove_stale(&[
        &outputs.netlist,
        &outputs.netlist_verilog,
        &outputs.yosys_stat,
        &outputs.pnr_report,
        &outputs.asc,
        &outputs.bin,
        &outputs.report,
    ])?;

    let mut stages = stage_commands(cfg, top, &tools, &verilog, pcf.as_deref());
    write_build_script(&outputs.build_script, cfg, top, &stages)?;
    for cmd in [&mut stages.yosys, &mut stages.nextpnr, &mut stages.icepack] {
        cmd.current_dir(&out);
    }
    Ok(Prepared {
        top: top.clone(),
        pin_wrapper,
        tools,
        outputs,
        logs,
        stages,
    })
}

/// The yosys stage: synthesis, latch check, JSON and gate-level Verilog netlists, statistics.
fn yosys_stage(cfg: &SynthConfig, p: &mut Prepared) -> Result<(ToolRun, YosysStat)> {
    let y = run_tool(&mut p.stages.yosys, &p.logs.yosys).with_context(|| {
        if cfg.allow_latches {
            "yosys synthesis stage failed".to_string()
        } else {
            "yosys synthesis stage failed (a `selection is not empty` error below means the \
             design infers latches)"
                .to_string()
        }
    })?;
    let stat_text = std::fs::read_to_string(&p.outputs.yosys_stat).with_context(|| {
        format!(
            "yosys did not write {} (see {})",
            p.outputs.yosys_stat.display(),
            p.logs.yosys.display()
        )
    })?;
    Ok((y, parse_yosys_stat(&stat_text)?))
}

/// Runs only the flow's yosys stage (the same command [`run_flow`] runs first) and returns
/// the outputs; `netlist_verilog` is the gate-level netlist that place and route would
/// implement, for gate-level simulation. Needs only yosys.
pub fn run_yosys(cfg: &SynthConfig) -> Result<FlowOutputs> {
    let mut p = prepare(cfg, &["yosys"], false)?;
    yosys_stage(cfg, &mut p)?;
    Ok(p.outputs)
}

/// Runs yosys → nextpnr-ice40 → icepack for `cfg` and returns the report (also written to
/// `<out_dir>/synth_report.json`).
///
/// Errors name the failing stage and carry the tail of its log; the logs stay in `out_dir`.
pub fn run_flow(cfg: &SynthConfig) -> Result<SynthReport> {
    run_flow_with(cfg, &mut |_, _| {})
}

/// [`run_flow`], calling `after_yosys(outputs, wrapped)` as soon as the yosys stage has
/// written the netlist (`outputs.netlist_verilog`; `wrapped`: it is the pin wrapper's), before
/// place and route: a caller can start work on the netlist (e.g. its gate-level simulation
/// build) while nextpnr runs.
pub fn run_flow_with(
    cfg: &SynthConfig,
    after_yosys: &mut dyn FnMut(&FlowOutputs, bool),
) -> Result<SynthReport> {
    let start = Instant::now();
    let mut p = prepare(cfg, &cfg.device.family().flow_tools(), true)?;
    let mut stage_seconds = BTreeMap::new();
    let (y, stat) = yosys_stage(cfg, &mut p)?;
    stage_seconds.insert("yosys".to_string(), y.seconds);
    after_yosys(&p.outputs, p.pin_wrapper.is_some());
    let Prepared {
        top,
        pin_wrapper,
        tools,
        outputs,
        logs,
        mut stages,
    } = p;

    let n = run_tool(&mut stages.nextpnr, &logs.nextpnr)
        .context("nextpnr-ice40 place-and-route stage failed")?;
    stage_seconds.insert("nextpnr".to_string(), n.seconds);
    let rep_text = std::fs::read_to_string(&outputs.pnr_report).with_context(|| {
        format!(
            "nextpnr did not write {} (see {})",
            outputs.pnr_report.display(),
            logs.nextpnr.display()
        )
    })?;
    let pnr = parse_pnr_report(&rep_text)
        .with_context(|| format!("reading {}", outputs.pnr_report.display()))?;

    let p = run_tool(&mut stages.icepack, &logs.icepack).context("icepack stage failed")?;
    stage_seconds.insert("icepack".to_string(), p.seconds);
    if !outputs.bin.is_file() {
        bail!(
            "icepack exited successfully but {} is missing (see {})",
            outputs.bin.display(),
            logs.icepack.display()
        );
    }

    let main = pick_main_clock(&pnr.clocks, cfg.main_clock.as_deref())?;
    let fmax_mhz = main.as_ref().map(|m| m.1);
    let timing_met = pnr
        .clocks
        .values()
        .all(|c| c.achieved_mhz >= c.constraint_mhz);
    let util = |k: &str| pnr.utilization.get(k).copied().unwrap_or_default();
    let report = SynthReport {
        device: cfg.device.part().to_string(),
        target: cfg.device,
        pin_wrapper,
        top,
        target_mhz: cfg.freq_mhz,
        fmax_mhz,
        main_clock: main.map(|m| m.0),
        timing_met,
        clocks: pnr.clocks.clone(),
        lc_used: util("ICESTORM_LC").used,
        lc_total: util("ICESTORM_LC").available,
        bram_used: util("ICESTORM_RAM").used,
        bram_total: util("ICESTORM_RAM").available,
        io_used: util("SB_IO").used,
        io_total: util("SB_IO").available,
        gb_used: util("SB_GB").used,
        pll_used: util("ICESTORM_PLL").used,
        utilization: pnr.utilization.clone(),
        cells: CellCounts::from_types(&stat.cells),
        yosys_cells: stat.cells,
        latch_check: if cfg.allow_latches {
            LatchCheck::Skipped
        } else {
            LatchCheck::Passed
        },
        yosys_check_problems: yosys_check_problems(&y.output),
        channels: cfg.channels,
        sample_rate_hz: SAMPLE_RATE_HZ,
        lanes: cfg.lanes,
        realtime_channels_at_20khz: fmax_mhz
            .filter(|_| cfg.realtime_unknown.is_none())
            .map(|f| realtime_channels(f * cfg.lanes.max(1) as f64)),
        realtime_unknown: cfg.realtime_unknown.clone(),
        seed: cfg.seed,
        dsp: cfg.dsp,
        tool_versions: tools,
        logs,
        outputs,
        stage_seconds,
        seconds: start.elapsed().as_secs_f64(),
        extra: BTreeMap::new(),
    };
    let json = serde_json::to_string_pretty(&report)?;
    neurice_files::write_output(&report.outputs.report, (json + "\n").as_bytes(), true)?;
    Ok(report)
}

fn pct(used: u64, total: u64) -> String {
    if total == 0 {
        "n/a".to_string()
    } else {
        format!("{:.1} %", 100.0 * used as f64 / total as f64)
    }
}

/// Human-readable summary of a report.
pub fn render_text(r: &SynthReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} synthesis of `{}` (seed {}, {:.1} s)",
        r.device, r.top, r.seed, r.seconds
    );
    match (r.fmax_mhz, &r.main_clock) {
        (Some(f), Some(name)) => {
            let _ = writeln!(
                s,
                "  timing    core clock {name}: Fmax {f:.2} MHz, target {} MHz; all clocks: {}",
                fmt_mhz(r.target_mhz),
                if r.timing_met { "MET" } else { "NOT MET" }
            );
            if r.clocks.len() > 1 {
                for (n, c) in &r.clocks {
                    let _ = writeln!(
                        s,
                        "            {n}: {:.2} MHz (target {} MHz)",
                        c.achieved_mhz,
                        fmt_mhz(c.constraint_mhz)
                    );
                }
            }
        }
        _ => {
            let _ = writeln!(s, "  timing    no clock found: Fmax not applicable");
        }
    }
    let _ = writeln!(
        s,
        "  logic     {} / {} LCs ({}): {} SB_LUT4, {} flip-flops, {} SB_CARRY",
        r.lc_used,
        r.lc_total,
        pct(r.lc_used, r.lc_total),
        r.cells.lut4,
        r.cells.dff,
        r.cells.carry
    );
    let _ = writeln!(
        s,
        "  BRAM      {} / {} SB_RAM40_4K ({})",
        r.bram_used,
        r.bram_total,
        pct(r.bram_used, r.bram_total)
    );
    if let Some(u) = r
        .utilization
        .get("ICESTORM_DSP")
        .filter(|u| r.dsp || u.used > 0)
    {
        let _ = writeln!(
            s,
            "  DSP       {} / {} SB_MAC16 ({}){}",
            u.used,
            u.available,
            pct(u.used, u.available),
            if r.dsp {
                ", multipliers mapped (--dsp)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        s,
        "  I/O       {} SB_IO, {} global buffers, {} PLLs",
        r.io_used, r.gb_used, r.pll_used
    );
    let _ = writeln!(s, "  latches   check {}", r.latch_check);
    if let Some(p) = r.yosys_check_problems {
        let _ = writeln!(s, "  yosys     check found {p} problem(s)");
    }
    match (r.realtime_channels_at_20khz, r.realtime_unknown.as_deref()) {
        (Some(n), _) => {
            let _ = writeln!(
                s,
                "  real time {n} channels at {} kHz at Fmax, assuming {} sample(s) per clock \
                 (built for {})",
                r.sample_rate_hz / 1000.0,
                r.lanes.max(1),
                r.channels
            );
        }
        (None, Some(why)) => {
            let _ = writeln!(s, "  real time not from Fmax: {why}");
        }
        (None, None) => {
            let _ = writeln!(s, "  real time n/a (no clock)");
        }
    }
    for t in &r.tool_versions {
        let _ = writeln!(s, "  tool      {}: {}", t.name, t.version);
    }
    let secs: Vec<String> = r
        .stage_seconds
        .iter()
        .map(|(k, v)| format!("{k} {v:.2} s"))
        .collect();
    let _ = writeln!(s, "  stages    {}", secs.join(", "));
    let _ = writeln!(s, "  bitstream {}", r.outputs.bin.display());
    let _ = writeln!(s, "  netlist   {}", r.outputs.netlist_verilog.display());
    let _ = writeln!(s, "  replay    {}", r.outputs.build_script.display());
    let _ = writeln!(
        s,
        "  logs      {}, {}, {}",
        r.logs.yosys.display(),
        r.logs.nextpnr.display(),
        r.logs.icepack.display()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_formula() {
        assert_eq!(realtime_channels(100.0), 5000);
        assert_eq!(realtime_channels(20.48), 1024);
        assert_eq!(realtime_channels(20.479_99), 1023);
        assert_eq!(realtime_channels(0.0), 0);
        assert_eq!(realtime_channels(f64::NAN), 0);
    }

    #[test]
    fn pnr_report_parse_and_main_clock() {
        let j = r#"{"critical_paths": [], "fmax": {
                "clk$SB_IO_IN_$glb_clk": {"achieved": 123.5, "constraint": 100},
                "pll_out": {"achieved": 80.25, "constraint": 100}},
            "utilization": {"ICESTORM_LC": {"available": 7680, "used": 11},
                            "ICESTORM_RAM": {"available": 32, "used": 2}}}"#;
        let p = parse_pnr_report(j).unwrap();
        assert_eq!(p.clocks.len(), 2);
        assert_eq!(p.clocks["clk$SB_IO_IN_$glb_clk"].achieved_mhz, 123.5);
        assert_eq!(p.clocks["pll_out"].constraint_mhz, 100.0);
        assert_eq!(p.utilization["ICESTORM_RAM"].used, 2);
        // Default: the slowest clock.
        let m = pick_main_clock(&p.clocks, None).unwrap().unwrap();
        assert_eq!(m, ("pll_out".to_string(), 80.25));
        let m = pick_main_clock(&p.clocks, Some("clk")).unwrap().unwrap();
        assert_eq!(m.1, 123.5);
        assert!(pick_main_clock(&p.clocks, Some("nope")).is_err());
        assert!(pick_main_clock(&p.clocks, Some("_")).is_err()); // ambiguous
        assert_eq!(pick_main_clock(&BTreeMap::new(), None).unwrap(), None);
        assert!(parse_pnr_report("{}").is_err());
        assert!(parse_pnr_report("not json").is_err());
    }

    #[test]
    fn stat_parse() {
        let j = r#"{"modules": {"\\c": {"num_cells": 5, "num_memory_bits": 64,
            "num_cells_by_type": {"$_NOT_": 5}, "estimated_num_transistors": "128+"}}}"#;
        let s = parse_yosys_stat(j).unwrap();
        assert_eq!(s.num_cells, 5);
        assert_eq!(s.memory_bits, 64);
        assert_eq!(s.cells["$_NOT_"], 5);
        assert_eq!(s.transistors, Some((128, true)));
        let j = r#"{"design": {"num_cells": 2, "estimated_num_transistors": "352"}}"#;
        assert_eq!(parse_yosys_stat(j).unwrap().transistors, Some((352, false)));
        assert!(parse_yosys_stat(r#"{"modules": {}}"#).is_err());
    }

    #[test]
    fn cell_grouping() {
        let m: BTreeMap<String, u64> = [
            ("SB_LUT4", 10),
            ("SB_DFF", 3),
            ("SB_DFFESR", 4),
            ("SB_CARRY", 2),
            ("SB_RAM40_4K", 8),
            ("SB_IO", 5),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let c = CellCounts::from_types(&m);
        assert_eq!(
            c,
            CellCounts {
                lut4: 10,
                dff: 7,
                carry: 2,
                ram40_4k: 8,
                other: 5
            }
        );
    }

    #[test]
    fn check_problems_parse() {
        let log = "Found and reported 3 problems.\n...\nFound and reported 0 problems.\nEnd";
        assert_eq!(yosys_check_problems(log), Some(0));
        assert_eq!(yosys_check_problems("nothing"), None);
    }

    #[test]
    fn top_names() {
        assert!(check_top_name("top").is_ok());
        assert!(check_top_name("a; shell").is_err());
        assert!(check_top_name("").is_err());
        assert!(check_top_name("1x").is_err());
        assert!(check_top_name("_core_2").is_ok());
        // co-simulation refuses `$`, so synthesis does too (one rule)
        assert!(check_top_name("top$child").is_err());
    }

    #[test]
    fn script_has_latch_check() {
        assert!(yosys_script(Family::Ice40, "t", false).contains("select -assert-none t:$dlatch"));
        assert!(!yosys_script(Family::Ice40, "t", true).contains("assert-none"));
        assert!(
            yosys_script(Family::Ice40, "t", false).contains("write_verilog -noattr t_netlist.v")
        );
    }

    #[test]
    fn dsp_maps_multipliers_in_both_synthesis_steps_and_only_when_asked() {
        let with = yosys_script_with(Family::Ice40, "t", false, true);
        assert_eq!(with.matches("synth_ice40 -dsp -top t").count(), 2, "{with}");
        assert!(!yosys_script(Family::Ice40, "t", false).contains("-dsp"));
        // off, the option is not serialised: cache keys of configurations without it stay
        let cfg = SynthConfig::new(VerilogSource::text("module t; endmodule"), "t", "x");
        assert!(!serde_json::to_string(&cfg).unwrap().contains("dsp"));
    }

    #[test]
    fn dsp_on_a_device_without_dsp_blocks_is_refused_before_any_tool_runs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut cfg = SynthConfig::new(VerilogSource::text("module t; endmodule"), "t", &out);
        cfg.dsp = true;
        let e = format!("{:#}", run_flow(&cfg).unwrap_err());
        assert!(e.contains("--dsp") && e.contains("iCE40HX8K"), "{e}");
        assert!(e.contains("the UP5K has 8"), "{e}");
        assert!(!out.exists(), "nothing written for a refused configuration");
        assert!(check_dsp(Device::Up5k, true).is_ok() && check_dsp(Device::Hx8k, false).is_ok());
    }

    #[test]
    fn bad_config_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = SynthConfig::new(VerilogSource::text("module t; endmodule"), "t", dir.path());
        cfg.freq_mhz = -1.0;
        assert!(run_flow(&cfg).is_err());
        let cfg = SynthConfig::new(
            VerilogSource::file(dir.path().join("missing.v")),
            "t",
            dir.path(),
        );
        let e = run_flow(&cfg).unwrap_err();
        assert!(format!("{e:#}").contains("missing.v"), "{e:#}");
        let cfg = SynthConfig::new(VerilogSource::text(""), "bad name", dir.path());
        assert!(run_flow(&cfg).is_err());
    }

    #[test]
    fn report_is_extensible() {
        // Old readers ignore new fields, new readers default missing ones.
        let r: SynthReport =
            serde_json::from_str(r#"{"device": "x", "lc_used": 3, "future_field": 1}"#).unwrap();
        assert_eq!(r.lc_used, 3);
        assert!(r.fmax_mhz.is_none());
        let back: SynthReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
