//! Area and speed of the bounded-error coder-v1 cores (FORMAT.md §11.8) for several δ,
//! through the project's one yosys → nextpnr flow (`neurice_synth::run_flow`, the same as
//! `neurice synth`, which does not take δ yet): 1024 channels, one line per δ.
//!
//! ```sh
//! cargo run --release -p neurice-sim --example near_synth -- \
//!     [--device hx8k|up5k] [--freq MHZ] [--lanes 1|2] [--deltas 0,1,2] [-o OUT_DIR]
//! ```
//! (defaults: hx8k, 100 MHz — a target above every Fmax, so the report gives the Fmax —, 1
//! lane, δ = 0, 1, 2, `build/near_synth`).

use anyhow::{bail, Context, Result};
use neurice_model::near::Quantiser;
use neurice_model::CodecParams;
use neurice_synth::flow::VerilogSource;
use neurice_synth::{Device, SynthConfig};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut device, mut freq, mut lanes) = (Device::Hx8k, 100.0, 1usize);
    let mut deltas = vec![0u32, 1, 2];
    let mut out = std::path::PathBuf::from("build/near_synth");
    while let Some(a) = args.next() {
        let mut val = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--device" => {
                device = match val()?.as_str() {
                    "hx8k" => Device::Hx8k,
                    "up5k" => Device::Up5k,
                    d => bail!("unknown device {d} (hx8k or up5k)"),
                }
            }
            "--freq" => freq = val()?.parse()?,
            "--lanes" => lanes = val()?.parse()?,
            "--deltas" => {
                deltas = val()?
                    .split(',')
                    .map(|d| d.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "-o" => out = val()?.into(),
            _ => bail!("unknown argument {a}"),
        }
    }
    let p = CodecParams::HARDWARE;
    for d in deltas {
        let qz = Quantiser::grid(d)?;
        let rtl = neurice_hdl::verilog_near(&p, &qz, 1024, lanes)?;
        let mut cfg = SynthConfig::new(
            VerilogSource::text(rtl),
            "top",
            out.join(format!("{device:?}-l{lanes}-d{d}").to_lowercase()),
        );
        cfg.freq_mhz = freq;
        cfg.channels = 1024;
        cfg.lanes = lanes;
        cfg.device = device;
        let r = neurice_synth::run_flow(&cfg)?;
        println!(
            "δ = {d}: {device:?}, {lanes} lane(s), target {freq} MHz: Fmax {:.1} MHz, {} / {} LCs \
             ({} LUT4, {} DFF, {} CARRY), {} / {} BRAM{}",
            r.fmax_mhz.unwrap_or(0.0),
            r.lc_used,
            r.lc_total,
            r.cells.lut4,
            r.cells.dff,
            r.cells.carry,
            r.bram_used,
            r.bram_total,
            if r.pin_wrapper.is_some() {
                " (inside the pin wrapper, its flip-flops counted)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
