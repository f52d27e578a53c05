//! Area and speed of the event core (`neurice_hdl::events::EventCore`, FORMAT.md §12) for
//! 1024 channels with the default event parameters, through the project's one yosys →
//! nextpnr flow, on the iCE40 HX8K and the UP5K (whose 39 I/O take the core inside the
//! flow's register wrapper, as `neurice synth --device up5k` does).
//!
//! ```sh
//! cargo run --release -p neurice-sim --example events_synth [-- OUT_DIR [hx8k|up5k] [MHZ]]
//! ```

use neurice_hdl::events::event_verilog;
use neurice_model::events::EventParams;
use neurice_synth::flow::{run_flow, Device, SynthConfig, VerilogSource};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args
        .first()
        .cloned()
        .unwrap_or_else(|| "build/events_synth".to_string());
    let devices: Vec<Device> = match args.get(1).map(String::as_str) {
        None | Some("both") => Device::ALL.to_vec(),
        Some("hx8k") => vec![Device::Hx8k],
        Some("up5k") => vec![Device::Up5k],
        Some(d) => anyhow::bail!("unknown device {d:?}: hx8k, up5k or both"),
    };
    let p = EventParams::new(1024);
    let verilog = event_verilog(&p)?;
    for device in devices {
        let freq = match args.get(2) {
            Some(f) => f.parse()?,
            None if device == Device::Hx8k => 100.0,
            None => 25.0,
        };
        let dir = std::path::Path::new(&out).join(device.name());
        let mut cfg = SynthConfig::new(VerilogSource::text(verilog.clone()), "top", &dir);
        cfg.freq_mhz = freq;
        cfg.device = device;
        cfg.channels = 1024;
        let r = run_flow(&cfg)?;
        let wrapper = r
            .pin_wrapper
            .as_ref()
            .map(|w| {
                format!(
                    ", inside a register wrapper of {} flip-flops (counted)",
                    w.extra_ffs
                )
            })
            .unwrap_or_default();
        println!(
            "event core, 1024 channels, {}: Fmax {:.2} MHz at a {freq} MHz target (timing {}; \
             real time needs 20.48 MHz), {} / {} LCs ({} LUT4, {} DFF, {} carry), {} / {} \
             block RAMs{wrapper}; reports in {}",
            r.device,
            r.fmax_mhz.unwrap_or(0.0),
            if r.timing_met { "met" } else { "missed" },
            r.lc_used,
            r.lc_total,
            r.cells.lut4,
            r.cells.dff,
            r.cells.carry,
            r.bram_used,
            r.bram_total,
            dir.display()
        );
    }
    Ok(())
}
