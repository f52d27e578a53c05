//! Area and speed of the coder-max core (`neurice_hdl::max::MaxCore`, issue 26) for 1024
//! channels on the iCE40 HX8K (and the UP5K): its emitted Verilog inside the pin wrapper's
//! registers (`neurice_synth::wrapper`, added by the flow when the ports outnumber the pins),
//! through the project's one yosys → nextpnr flow, one run per seed.
//!
//! ```sh
//! cargo run --release -p neurice-sim --example max_core_synth -- \
//!     [--device hx8k|up5k] [--freq MHZ] [--seeds 1,2,3] [--channels N] [OUT_DIR]
//! ```
//!
//! Prints one line per seed: Fmax of the core clock, logic cells, block RAMs, DSPs, the
//! problems yosys' `check` found; the
//! reports and logs stay in `OUT_DIR/<device>-seed<N>/` (default `build/max_core_synth`).

use anyhow::{bail, Context};
use neurice_hdl::max::max_verilog;
use neurice_model::max::{MaxParams, Table};
use neurice_synth::flow::{run_flow, SynthConfig, VerilogSource};
use neurice_synth::Device;

fn main() -> anyhow::Result<()> {
    let mut device = Device::Hx8k;
    let mut freq = 50.0;
    let mut seeds = vec![1u64];
    let mut channels = 1024usize;
    let mut out = "build/max_core_synth".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--device" => {
                device = match value()?.as_str() {
                    "hx8k" => Device::Hx8k,
                    "up5k" => Device::Up5k,
                    d => bail!("unknown device {d:?} (hx8k, up5k)"),
                }
            }
            "--freq" => freq = value()?.parse().context("--freq")?,
            "--channels" => channels = value()?.parse().context("--channels")?,
            "--seeds" => {
                seeds = value()?
                    .split(',')
                    .map(|s| s.parse().context("--seeds"))
                    .collect::<anyhow::Result<_>>()?
            }
            s if s.starts_with("--") => bail!("unknown option {s}"),
            s => out = s.to_string(),
        }
    }
    let verilog = max_verilog(&MaxParams::HARDWARE, Table::builtin(), channels)?;
    println!("device  seed  Fmax (MHz)  target  LCs  BRAM  DSP  yosys check problems");
    for seed in seeds {
        let dir = std::path::Path::new(&out).join(format!("{device:?}-seed{seed}").to_lowercase());
        let mut cfg = SynthConfig::new(VerilogSource::text(verilog.clone()), "top", &dir);
        cfg.freq_mhz = freq;
        cfg.seed = seed;
        cfg.channels = channels;
        cfg.device = device;
        let r = run_flow(&cfg)?;
        let dsp = r
            .utilization
            .iter()
            .filter(|(k, _)| k.contains("DSP"))
            .map(|(_, u)| u.used)
            .sum::<u64>();
        println!(
            "{device:?}  {seed}  {:.2}  {freq}  {}/{}  {}/{}  {dsp}  {:?}  ({})",
            r.fmax_mhz.unwrap_or(0.0),
            r.lc_used,
            r.lc_total,
            r.bram_used,
            r.bram_total,
            r.yosys_check_problems,
            dir.display()
        );
    }
    Ok(())
}
