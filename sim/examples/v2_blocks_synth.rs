//! Area and speed of coder v2's hardware blocks on the iCE40 HX8K: the LMS stage
//! (`neurice_hdl::v2::lms::LmsUnit`), the range encoder unit
//! (`neurice_hdl::v2::range::RangeEncoderUnit`) and the carry-less range encoder unit of the
//! multi-coder draft (`neurice_hdl::v2::carryless::CarrylessUnit`), each as emitted Verilog between registers
//! (inputs from the pin wrapper's registers, `neurice_synth::wrapper`), through the project's
//! one yosys → nextpnr flow. Budget figures for the v2 core (FORMAT.md §7.8).
//!
//! ```sh
//! cargo run --release -p neurice-sim --example v2_blocks_synth [-- OUT_DIR [lms|range|carryless]]
//! ```
//!
//! A block name as the second argument runs only that block.

use neurice_hdl::v2::carryless::CarrylessUnit;
use neurice_hdl::v2::lms::LmsUnit;
use neurice_hdl::v2::range::RangeEncoderUnit;
use neurice_model::v2::V2Params;
use neurice_synth::flow::{run_flow, FlowConfig, VerilogSource};
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

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "build/v2_blocks_synth".to_string());
    let out = std::path::Path::new(&out);
    let only = std::env::args().nth(2);
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if let Some(o) = only
        .as_deref()
        .filter(|o| !["lms", "range", "carryless"].contains(o))
    {
        anyhow::bail!("unknown block {o:?}: lms, range or carryless");
    }
    if run("lms") {
        lms(out)?;
    }
    if run("range") {
        range(out)?;
    }
    if run("carryless") {
        carryless(out)?;
    }
    Ok(())
}

fn lms(out: &std::path::Path) -> anyhow::Result<()> {
    let mut unit = LmsUnit::new(&V2Params::HARDWARE)?;
    unit.connect_all();
    let verilog = format!("{}\n{REGISTERED}", generate_verilog(&unit));
    let wrapped = register_wrapper(&verilog, "lms_reg")?;
    let mut cfg = FlowConfig::new(
        VerilogSource::text(wrapped.verilog),
        &wrapped.top,
        out.join("lms"),
    );
    cfg.freq_mhz = 100.0;
    cfg.channels = 1;
    let r = run_flow(&cfg)?;
    let regs = 10 + 28 + 36;
    println!(
        "LMS stage (predict + update): Fmax {:.2} MHz (seed 1), {} LCs in all, of which {} \
         flip-flops are the measurement's ({} wrapper + {regs} output registers), {} BRAM",
        r.fmax_mhz.unwrap_or(0.0),
        r.lc_used,
        wrapped.extra_ffs + regs,
        wrapped.extra_ffs,
        r.bram_used
    );
    Ok(())
}

fn range(out: &std::path::Path) -> anyhow::Result<()> {
    let mut unit = RangeEncoderUnit::default();
    unit.connect_all();
    let wrapped = register_wrapper(&generate_verilog(&unit), "top")?;
    let mut cfg = FlowConfig::new(
        VerilogSource::text(wrapped.verilog),
        &wrapped.top,
        out.join("range"),
    );
    cfg.freq_mhz = 100.0;
    cfg.channels = 1;
    let r = run_flow(&cfg)?;
    println!(
        "range encoder unit (one bin or bypass group per clock, registered records): Fmax \
         {:.2} MHz (seed 1), {} LCs in all, of which {} flip-flops are the wrapper's, {} BRAM",
        r.fmax_mhz.unwrap_or(0.0),
        r.lc_used,
        wrapped.extra_ffs,
        r.bram_used
    );
    Ok(())
}

fn carryless(out: &std::path::Path) -> anyhow::Result<()> {
    let mut unit = CarrylessUnit::default();
    unit.connect_all();
    let wrapped = register_wrapper(&generate_verilog(&unit), "top")?;
    let mut cfg = FlowConfig::new(
        VerilogSource::text(wrapped.verilog),
        &wrapped.top,
        out.join("carryless"),
    );
    cfg.freq_mhz = 100.0;
    cfg.channels = 1;
    let r = run_flow(&cfg)?;
    println!(
        "carry-less range encoder unit (one bin, bypass group or forced step per clock, two \
         renormalisation steps, registered bytes): Fmax {:.2} MHz (seed 1), {} LCs in all, of \
         which {} flip-flops are the wrapper's, {} BRAM",
        r.fmax_mhz.unwrap_or(0.0),
        r.lc_used,
        wrapped.extra_ffs,
        r.bram_used
    );
    Ok(())
}
