//! # Gate-level co-simulation: the iCE40 netlist yosys makes of the core
//!
//! [`netlist`] runs `yosys synth_ice40` on the emitted Verilog and writes the mapped netlist
//! (`SB_LUT4`, `SB_CARRY`, `SB_DFF*`, `SB_RAM40_4K` instances); [`build`] verilates it
//! together with yosys' own iCE40 cell models (`cells_sim.v`) and the same harness as the
//! RTL, so [`crate::verilator::run_batch`] drives the netlist that goes on the chip with the
//! same stimulus and compares it with the golden model.
//!
//! The netlist's own structure is read here too ([`analyse_netlist`]: cells by class, the
//! block RAMs and their enables), for the activity measurement and the power model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use neurice_synth::flow::CellCounts;
use serde::Serialize;

/// The family whose netlist the gate-level engine simulates (the flow's default device's).
const FAMILY: neurice_synth::device::Family = neurice_synth::device::Family::Ice40;

/// yosys' data directory, where `ice40/cells_sim.v` lives: `$NEURICE_YOSYS_DATDIR`, else
/// `share/yosys` beside the yosys the one tool lookup finds ([`neurice_synth::tools::find_tool`]:
/// `$NEURICE_YOSYS`, else `PATH`; Debian's yosys has no `yosys-config`).
pub fn yosys_datdir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("NEURICE_YOSYS_DATDIR") {
        return Ok(PathBuf::from(d));
    }
    let exe = neurice_synth::tools::find_tool("yosys")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("share").join("yosys"))
        .filter(|d| d.join(FAMILY.cell_models()).is_file())
        .ok_or_else(|| {
            anyhow!(
                "no share/yosys/{} beside {}; set NEURICE_YOSYS_DATDIR",
                FAMILY.cell_models(),
                exe.display()
            )
        })?;
    Ok(dir)
}

/// Synthesises `verilog` (top `top`) for iCE40 with the synthesis flow's own yosys stage
/// ([`neurice_synth::flow::run_yosys`]: the same script, so this is the netlist `neurice
/// synth` places and routes) and returns the mapped netlist as Verilog. The input, the log
/// (`yosys.log`), `build.sh` and the netlist (`top_netlist.v`) stay in `work_dir`. Fails with
/// the log's tail if yosys fails or the design infers latches.
pub fn netlist(verilog: &str, top: &str, work_dir: &Path) -> Result<String> {
    netlist_with(verilog, top, work_dir, false)
}

/// [`netlist`] with the multipliers mapped to DSP blocks when `dsp` (`SB_MAC16`, as `neurice
/// synth --device up5k --dsp` builds it; yosys' cell models simulate them).
pub fn netlist_with(verilog: &str, top: &str, work_dir: &Path, dsp: bool) -> Result<String> {
    let mut cfg = neurice_synth::SynthConfig::new(
        neurice_synth::flow::VerilogSource::text(verilog),
        top,
        work_dir,
    );
    if dsp {
        cfg.device = neurice_synth::Device::Up5k;
        cfg.dsp = true;
    }
    let out = neurice_synth::flow::run_yosys(&cfg)?;
    std::fs::read_to_string(&out.netlist_verilog)
        .with_context(|| format!("reading {}", out.netlist_verilog.display()))
}

/// Verilates the netlist with yosys' iCE40 cell models and the harness; returns the
/// executable (cached like [`crate::verilator::build`]).
pub fn build(netlist: &str, top: &str, build_dir: &Path) -> Result<PathBuf> {
    Ok(build_with_cells(netlist, top, build_dir, &[])?.0)
}

/// The one gate-level build: the netlist after yosys' iCE40 cell models, verilated with
/// [`crate::verilator::GATE_LEVEL_OPT`] and then `extra` flags (an `-O` in them wins); returns the executable and the
/// cell-model file used. The vendor models are not lint-clean; the define selects their
/// plain (untimed) form.
pub(crate) fn build_with_cells(
    netlist: &str,
    top: &str,
    build_dir: &Path,
    extra: &[&str],
) -> Result<(PathBuf, PathBuf)> {
    let cells = yosys_datdir()?.join(FAMILY.cell_models());
    let cells_text = std::fs::read_to_string(&cells)
        .with_context(|| format!("reading the iCE40 cell models {}", cells.display()))?;
    let text = format!("{cells_text}\n{netlist}");
    let flags = [
        &["-DNO_ICE40_DEFAULT_ASSIGNMENTS", "-Wno-lint", "-Wno-style"][..],
        crate::verilator::GATE_LEVEL_OPT,
        extra,
    ]
    .concat();
    let bin = crate::verilator::build_with(&text, top, build_dir, &flags)?;
    Ok((bin, cells))
}

// ---------------------------------------------------------------------------------------
// Reading the netlist
// ---------------------------------------------------------------------------------------

/// One block RAM of the netlist and its measured accesses.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BramAccess {
    pub instance: String,
    pub cell: String,
    /// `(RE) & (RCLKE)` as connected in the netlist (an unconnected port takes the cell's
    /// default: `RE` 0, `RCLKE` 1).
    pub read_enable: String,
    /// `(WE) & (WCLKE)`, same convention.
    pub write_enable: String,
    /// Fraction of traced clock edges with the read enable high.
    pub reads_per_clock: f64,
    pub writes_per_clock: f64,
}

/// What [`analyse_netlist`] finds in a netlist.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NetlistInfo {
    pub top: String,
    /// The netlist's first line when yosys wrote it (`Generated by Yosys 0.23 ...`).
    pub generator: String,
    /// Cells by the one iCE40 classification ([`neurice_synth::flow::CellCounts::add`]).
    pub cells: CellCounts,
    /// The types of the cells in no modelled class (`SB_IO`, `SB_GB`, `SB_PLL40_*`, ...).
    pub other_types: BTreeMap<String, u64>,
    /// One entry per block RAM, in netlist order (access rates zero until measured).
    pub brams: Vec<BramAccess>,
    /// FNV-1a 64 of the netlist text, hex.
    pub hash: String,
}

/// One cell instance of a yosys `write_verilog` netlist.
struct Instance {
    cell: String,
    name: String,
    ports: BTreeMap<String, String>,
}

/// Byte range of `module <top>(` … `endmodule` in the netlist.
pub(crate) fn module_span(netlist: &str, top: &str) -> Result<(usize, usize)> {
    let mut pos = 0;
    while let Some(i) = netlist[pos..].find("module ") {
        let start = pos + i;
        let at_line_start = start == 0 || netlist.as_bytes()[start - 1] == b'\n';
        let rest = &netlist[start + "module ".len()..];
        let name_end = rest
            .find(|c: char| c == '(' || c == ';' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].trim_start_matches('\\');
        if at_line_start && name == top {
            let end_rel = netlist[start..]
                .find("\nendmodule")
                .ok_or_else(|| anyhow!("module `{top}` has no endmodule"))?;
            return Ok((start, start + end_rel + 1));
        }
        pos = start + "module ".len();
    }
    bail!("no module `{top}` in the netlist")
}

/// The `SB_*` instances of a module body, as yosys writes them: `  SB_X [#(...)] name (`,
/// one `.PORT(expr)` per line, `  );`.
fn instances(body: &str) -> Result<Vec<Instance>> {
    let mut out = Vec::new();
    let mut lines = body.lines().enumerate();
    while let Some((no, line)) = lines.next() {
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        if !rest.starts_with("SB_") {
            continue;
        }
        let cell: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // The instance name: on this line (`SB_X name (`) or on the line closing the
        // parameter list (`) name (`).
        let mut head = rest[cell.len()..].trim().to_string();
        if head.starts_with("#(") {
            loop {
                let (_, l) = lines
                    .next()
                    .ok_or_else(|| anyhow!("netlist line {}: unterminated parameters", no + 1))?;
                if let Some(r) = l.strip_prefix("  ) ") {
                    head = r.trim().to_string();
                    break;
                }
            }
        }
        let name = head
            .strip_suffix('(')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                anyhow!(
                    "netlist line {}: cannot read the instance name of a {cell}",
                    no + 1
                )
            })?
            .trim_start_matches('\\')
            .to_string();
        let mut ports = BTreeMap::new();
        loop {
            let (pno, l) = lines
                .next()
                .ok_or_else(|| anyhow!("netlist line {}: unterminated {cell} {name}", no + 1))?;
            let t = l.trim();
            if t == ");" {
                break;
            }
            let t = t.strip_suffix(',').unwrap_or(t);
            let inner = t
                .strip_prefix('.')
                .and_then(|t| t.strip_suffix(')'))
                .ok_or_else(|| {
                    anyhow!(
                        "netlist line {}: unexpected {t:?} in {cell} {name}",
                        pno + 1
                    )
                })?;
            let (port, expr) = inner.split_once('(').ok_or_else(|| {
                anyhow!(
                    "netlist line {}: unexpected {t:?} in {cell} {name}",
                    pno + 1
                )
            })?;
            ports.insert(port.to_string(), expr.to_string());
        }
        out.push(Instance { cell, name, ports });
    }
    Ok(out)
}

/// Counts the cells of module `top` and finds its block RAMs' enables.
pub fn analyse_netlist(netlist: &str, top: &str) -> Result<NetlistInfo> {
    let (start, end) = module_span(netlist, top)?;
    let insts = instances(&netlist[start..end])?;
    let mut cells = CellCounts::default();
    let mut other_types = BTreeMap::new();
    let mut brams = Vec::new();
    // An unconnected RAM port takes the cell model's default (cells_sim.v).
    let port = |i: &Instance, p: &str, dflt: &str| {
        i.ports
            .get(p)
            .map(|s| s.to_string())
            .unwrap_or_else(|| dflt.to_string())
    };
    for i in &insts {
        if !cells.add(&i.cell, 1) {
            *other_types.entry(i.cell.clone()).or_default() += 1;
        } else if i.cell.starts_with("SB_RAM40_4K") {
            brams.push(BramAccess {
                instance: i.name.clone(),
                cell: i.cell.clone(),
                read_enable: format!(
                    "({} ) & ({} )",
                    port(i, "RE", "1'b0"),
                    port(i, "RCLKE", "1'b1")
                ),
                write_enable: format!(
                    "({} ) & ({} )",
                    port(i, "WE", "1'b0"),
                    port(i, "WCLKE", "1'b1")
                ),
                ..BramAccess::default()
            });
        }
    }
    if cells.lut4 + cells.dff + cells.carry == 0 {
        bail!("module `{top}` has no SB_LUT4 / SB_DFF* / SB_CARRY cells: not an iCE40 netlist");
    }
    let first = netlist.lines().next().unwrap_or_default().trim();
    let generator = first
        .strip_prefix("/*")
        .and_then(|s| s.strip_suffix("*/"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    Ok(NetlistInfo {
        top: top.to_string(),
        generator,
        cells,
        other_types,
        brams,
        hash: format!("{:016x}", crate::fnv1a(&[netlist.as_bytes()])),
    })
}
