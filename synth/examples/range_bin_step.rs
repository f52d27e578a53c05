//! How fast can one bin of coder v2's range coder (FORMAT.md §7.5) run on an iCE40 HX8K?
//! A measurement for the v2 hardware core (FORMAT.md §7.8): four variants of the bin step
//! (`range_bin_step/variants.v`), each synthesised, placed and routed through the project's
//! one flow, with their Fmax and logic cells.
//!
//! ```sh
//! cargo run --release -p neurice-synth --example range_bin_step [-- OUT_DIR]
//! ```
//!
//! - `bin1`: one bin per clock, unpipelined (`bound = (range >> 12)·p`, select, one
//!   renormalisation shift);
//! - `bin2`: two dependent bins per clock (what one coder needs for ~2 bins per clock);
//! - `bin2slow`, `bin3slow`: the multiply and the update in separate stages, each stage
//!   holding another logical coder's state (C-slow): one bin per clock in total, one bin
//!   every 2 (3) clocks per logical coder.
//!
//! The variants model the bin recurrence only (no ShiftLow byte output, at most one
//! renormalisation shift), so their Fmax is an upper bound for a full coder.

use neurice_synth::flow::{run_flow, SynthConfig, VerilogSource};

const VARIANTS: &str = include_str!("range_bin_step/variants.v");

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "build/range_bin_step".to_string());
    println!("variant    Fmax (MHz, seed 1)  LCs");
    for top in ["bin1", "bin2", "bin2slow", "bin3slow"] {
        let mut cfg = SynthConfig::new(
            VerilogSource::text(VARIANTS),
            top,
            std::path::Path::new(&out).join(top),
        );
        cfg.freq_mhz = 100.0;
        cfg.channels = 1;
        let r = run_flow(&cfg)?;
        println!(
            "{top:<10} {:>8.2}            {}",
            r.fmax_mhz.unwrap_or(0.0),
            r.lc_used
        );
    }
    Ok(())
}
