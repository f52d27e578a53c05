//! # Gate-level co-simulation: the iCE40 netlist yosys makes of the core
//!
//! [`netlist`] runs `yosys synth_ice40` on the emitted Verilog and writes the mapped netlist
//! (`SB_LUT4`, `SB_CARRY`, `SB_DFF*`, `SB_RAM40_4K` instances); [`build`] verilates it
//! together with yosys' own iCE40 cell models (`cells_sim.v`) and the same harness as the
//! RTL, so [`crate::verilator::run_batch`] drives the netlist that goes on the chip with the
//! same stimulus and compares it with the golden model.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

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
        .filter(|d| d.join("ice40").join("cells_sim.v").is_file())
        .ok_or_else(|| {
            anyhow!(
                "no share/yosys/ice40/cells_sim.v beside {}; set NEURICE_YOSYS_DATDIR",
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
    let cfg = neurice_synth::FlowConfig::new(
        neurice_synth::flow::VerilogSource::text(verilog),
        top,
        work_dir,
    );
    let out = neurice_synth::flow::run_yosys(&cfg)?;
    std::fs::read_to_string(&out.netlist_verilog)
        .with_context(|| format!("reading {}", out.netlist_verilog.display()))
}

/// Verilates the netlist with yosys' iCE40 cell models and the harness; returns the
/// executable (cached like [`crate::verilator::build`]).
pub fn build(netlist: &str, top: &str, build_dir: &Path) -> Result<PathBuf> {
    let cells = yosys_datdir()?.join("ice40").join("cells_sim.v");
    let cells_text = std::fs::read_to_string(&cells)
        .with_context(|| format!("reading the iCE40 cell models {}", cells.display()))?;
    let text = format!("{cells_text}\n{netlist}");
    // The vendor models are not lint-clean; the defines select their plain (untimed) form.
    crate::verilator::build_with(
        &text,
        top,
        build_dir,
        &["-DNO_ICE40_DEFAULT_ASSIGNMENTS", "-Wno-lint", "-Wno-style"],
    )
}
