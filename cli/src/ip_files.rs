//! The IP files `neurice verilog` writes beside the core (issue 29): a FuseSoC core
//! description, the port table (Markdown and JSON) and a cocotb testbench
//! (`neurice_sim::ip` makes their text).

use std::path::{Path, PathBuf};

use anyhow::Result;
use neurice_sim::{ip, CoreDesign};

/// The files, by name, and their text, for `design` whose Verilog `verilog` is written as
/// `neurice_core.v` in the same folder.
pub struct IpFiles {
    pub files: Vec<(PathBuf, String)>,
    /// Why no testbench was written (the packet core), if none was.
    pub no_testbench: Option<String>,
}

/// The core's Verilog file name (beside the IP files).
pub const CORE_V: &str = "neurice_core.v";

/// Makes the IP files of `design` for the folder `out`.
pub fn ip_files(design: &CoreDesign, verilog: &str, out: &Path) -> Result<IpFiles> {
    let table = ip::port_table(design, verilog)?;
    let mut files = vec![
        (
            out.join("neurice_core.core"),
            ip::fusesoc_core(design, CORE_V, "lint.vlt"),
        ),
        (
            out.join("lint.vlt"),
            neurice_sim::verilator::LINT_WAIVERS.to_string(),
        ),
        (out.join("ports.md"), ip::ports_markdown(&table)),
        (
            out.join("ports.json"),
            serde_json::to_string_pretty(&table)? + "\n",
        ),
    ];
    let mut no_testbench = None;
    match ip::known_answer(design)? {
        Some(stim) => {
            let tb = out.join("cocotb");
            files.push((
                tb.join("test_neurice_core.py"),
                ip::cocotb_testbench(design, &stim)?,
            ));
            files.push((
                tb.join("Makefile"),
                ip::cocotb_makefile(&format!("../{CORE_V}")),
            ));
        }
        None => {
            no_testbench = Some(
                "no cocotb testbench for the packet core (its words are the packet stream; \
                 `neurice sim --packets` checks it)"
                    .to_string(),
            )
        }
    }
    Ok(IpFiles {
        files,
        no_testbench,
    })
}
