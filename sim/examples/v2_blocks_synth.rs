//! Area and speed of coder v2's hardware blocks on the iCE40 HX8K: the LMS stage
//! (`neurice_hdl::v2::lms::LmsUnit`), its pipeline (`neurice_hdl::v2::lms_pipe::LmsPipe`), the
//! bin sequencer (`neurice_hdl::v2::binarise::BinSequencer`), the pipelined range encoder
//! unit (`neurice_hdl::v2::range_fast::RangeFastUnit`) and the whole coder-v2 core
//! for 1024 channels (`neurice_hdl::v2::core::V2Core1024`, block `v2core`), each as emitted Verilog between registers
//! (inputs from the pin wrapper's registers, `neurice_synth::wrapper`), through the project's
//! one yosys → nextpnr flow. Budget figures for the v2 core (FORMAT.md §7.8).
//!
//! ```sh
//! cargo run --release -p neurice-sim --example v2_blocks_synth [-- OUT_DIR [BLOCK…]]
//! ```

use neurice_hdl::v2::binarise::BinSequencer;
use neurice_hdl::v2::core::v2_verilog;
use neurice_hdl::v2::lms::LmsUnit;
use neurice_hdl::v2::lms_pipe::{LmsPipe, LATENCY};
use neurice_hdl::v2::range_fast::{RangeFastUnit, LATENCY as RANGE_FAST_LATENCY};
use neurice_model::v2::V2Params;
use neurice_synth::flow::{run_flow, SynthConfig, SynthReport, VerilogSource};
use neurice_synth::wrapper::register_wrapper;
use rust_hdl::prelude::*;

/// Output registers on the unit (rust-hdl names array ports `d$0`, …); the inputs come
/// from the pin wrapper's registers (`neurice_synth::wrapper`), so every path is register to
/// register.
const REGISTERED: &str = "
module lms_reg(clock, prev, x, d, w, pred_o, d_o, w_o);
    input wire clock;
    input wire [9:0] prev;
    input wire [9:0] x;
    input wire [27:0] d;
    input wire [35:0] w;
    output reg [9:0] pred_o;
    output reg [27:0] d_o;
    output reg [35:0] w_o;
  wire [9:0] pred; wire [27:0] dn; wire [35:0] wn;
  top u(.prev(prev), .x(x), .\\d$0 (d[6:0]), .\\d$1 (d[13:7]), .\\d$2 (d[20:14]),
    .\\d$3 (d[27:21]), .\\w$0 (w[8:0]), .\\w$1 (w[17:9]), .\\w$2 (w[26:18]),
    .\\w$3 (w[35:27]), .pred(pred),
    .\\d_next$0 (dn[6:0]), .\\d_next$1 (dn[13:7]), .\\d_next$2 (dn[20:14]),
    .\\d_next$3 (dn[27:21]), .\\w_next$0 (wn[8:0]), .\\w_next$1 (wn[17:9]),
    .\\w_next$2 (wn[26:18]), .\\w_next$3 (wn[35:27]));
  always @(posedge clock) begin
    pred_o <= pred; d_o <= dn; w_o <= wn;
  end
endmodule
";

/// Places and routes `verilog` (top `top`, with a 1-bit `clock`) inside the register wrapper.
fn measure(
    verilog: &str,
    top: &str,
    out: &std::path::Path,
) -> anyhow::Result<(SynthReport, usize)> {
    let wrapped = register_wrapper(verilog, top)?;
    let mut cfg = SynthConfig::new(VerilogSource::text(wrapped.verilog), &wrapped.top, out);
    cfg.freq_mhz = 100.0;
    cfg.channels = 1;
    Ok((run_flow(&cfg)?, wrapped.extra_ffs))
}

/// The blocks measured: all of them, or those named after the output folder.
const BLOCKS: [&str; 5] = ["lms", "lms_pipe", "binarise", "range_fast", "v2core"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args
        .first()
        .cloned()
        .unwrap_or_else(|| "build/v2_blocks_synth".to_string());
    let out = std::path::Path::new(&out);
    let chosen: Vec<&str> = if args.len() > 1 {
        args[1..].iter().map(String::as_str).collect()
    } else {
        BLOCKS.to_vec()
    };
    if let Some(bad) = chosen.iter().find(|b| !BLOCKS.contains(b)) {
        anyhow::bail!(
            "unknown block {bad:?}; the blocks are {}",
            BLOCKS.join(", ")
        );
    }
    let p = V2Params::HARDWARE;
    for block in chosen {
        match block {
            "lms" => {
                let mut unit = LmsUnit::new(&p)?;
                unit.connect_all();
                let verilog = format!("{}\n{REGISTERED}", generate_verilog(&unit));
                let (r, extra) = measure(&verilog, "lms_reg", &out.join("lms"))?;
                let regs = 10 + 28 + 36;
                println!(
                    "LMS stage (predict + update, unpipelined): Fmax {:.2} MHz (seed 1), {} LCs \
                     in all, of which {} flip-flops are the measurement's ({extra} wrapper + \
                     {regs} output registers), {} BRAM",
                    r.fmax_mhz.unwrap_or(0.0),
                    r.lc_used,
                    extra + regs,
                    r.bram_used
                );
            }
            "lms_pipe" => {
                let mut unit = LmsPipe::new(&p)?;
                unit.connect_all();
                let (r, extra) = measure(&generate_verilog(&unit), "top", &out.join("lms_pipe"))?;
                println!(
                    "LMS pipeline ({LATENCY} stages, one sample per clock): Fmax {:.2} MHz \
                     (seed 1), {} LCs in all, of which {extra} flip-flops are the wrapper's, {} \
                     BRAM",
                    r.fmax_mhz.unwrap_or(0.0),
                    r.lc_used,
                    r.bram_used
                );
            }
            "binarise" => {
                let mut unit = BinSequencer::new(&p)?;
                unit.connect_all();
                let (r, extra) = measure(&generate_verilog(&unit), "top", &out.join("binarise"))?;
                println!(
                    "bin sequencer (binarisation, one range-coder operation per clock): Fmax \
                     {:.2} MHz (seed 1), {} LCs in all, of which {extra} flip-flops are the \
                     wrapper's, {} BRAM",
                    r.fmax_mhz.unwrap_or(0.0),
                    r.lc_used,
                    r.bram_used
                );
            }
            "v2core" => {
                let (r, extra) = measure(&v2_verilog(&p, 1024)?, "top", &out.join("v2core"))?;
                println!(
                    "coder-v2 core, 1024 channels (about one range-coder operation per clock): \
                     Fmax {:.2} MHz (seed 1), {} LCs in all, of which {extra} flip-flops are the \
                     wrapper's, {} BRAM",
                    r.fmax_mhz.unwrap_or(0.0),
                    r.lc_used,
                    r.bram_used
                );
            }
            "range_fast" => {
                let mut unit = RangeFastUnit::default();
                unit.connect_all();
                let (r, extra) = measure(&generate_verilog(&unit), "top", &out.join("range_fast"))?;
                println!(
                    "pipelined range encoder unit (one operation per clock, records \
                     {RANGE_FAST_LATENCY} clocks later): Fmax {:.2} MHz (seed 1), {} LCs in \
                     all, of which {extra} flip-flops are the wrapper's, {} BRAM",
                    r.fmax_mhz.unwrap_or(0.0),
                    r.lc_used,
                    r.bram_used
                );
            }
            other => anyhow::bail!("unknown block {other:?}: expected one of {BLOCKS:?}"),
        }
    }
    Ok(())
}
