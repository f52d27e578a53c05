//! The human-readable view of a [`PowerReport`].

use std::fmt::Write as _;

use super::{Band, PowerReport};

fn band3(b: Band, prec: usize) -> String {
    format!(
        "{:.p$} (low {:.p$} .. high {:.p$})",
        b.typical,
        b.low,
        b.high,
        p = prec
    )
}

/// Human-readable summary of a power report.
pub fn render_power(r: &PowerReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} power estimate at {} MHz, {} channels at {} kHz",
        r.device,
        r.clock_mhz,
        r.channels,
        r.sample_rate_hz / 1000.0
    );
    let _ = writeln!(s, "  activity  {}", r.activity_source);
    let _ = writeln!(
        s,
        "            FF {:.4}, LUT {:.4}, carry {:.4} toggles/clock; BRAM {:.4} reads, {:.4} writes/clock",
        r.activity.ff_toggle_rate,
        r.activity.lut_toggle_rate,
        r.activity.carry_toggle_rate,
        r.activity.bram_reads_per_clock,
        r.activity.bram_writes_per_clock
    );
    let _ = writeln!(s, "  static    {} mW", band3(r.static_mw, 3));
    let _ = writeln!(s, "  dynamic   {} mW", band3(r.dynamic_mw, 3));
    let _ = writeln!(s, "  FPGA      {} mW", band3(r.total_mw, 3));
    let _ = writeln!(s, "            {} uW/channel", band3(r.uw_per_channel, 3));
    let _ = writeln!(s, "            {} nJ/sample", band3(r.nj_per_sample, 3));
    let _ = writeln!(s, "  breakdown (typical mW):");
    for i in &r.breakdown {
        let rate = i
            .rate_per_clock
            .map(|x| format!(" x {x:.4}/clk"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "    {:<22} {:>9.4}  ({}{rate} x {:.4} {})",
            i.name, i.mw.typical, i.count, i.figure.value.typical, i.figure.unit
        );
    }
    let y = &r.system;
    let _ = writeln!(
        s,
        "  stream    {:.3} bits/sample -> {:.3} Mbit/s (raw {:.3} Mbit/s); radio {} Mbit/s: {}",
        y.compressed_bits_per_sample,
        y.compressed_mbps,
        y.raw_mbps,
        y.radio_mbps,
        if y.fits_radio { "fits" } else { "DOES NOT FIT" }
    );
    let _ = writeln!(
        s,
        "  radio     {} mW at {} nJ/bit (assumption; raw stream would need {:.3} mW)",
        band3(y.radio_mw, 3),
        y.radio_nj_per_bit.value.typical,
        y.raw_radio_mw.typical
    );
    let _ = writeln!(
        s,
        "  system    {} mW vs budget {} mW: typical {}, worst {}",
        band3(y.total_system_mw, 3),
        y.budget_mw,
        if y.within_budget.typical {
            "within"
        } else {
            "OVER"
        },
        if y.within_budget.high {
            "within"
        } else {
            "OVER"
        }
    );
    let _ = writeln!(s, "  assumptions:");
    for a in &r.assumptions {
        let _ = writeln!(s, "    - {a}");
    }
    s
}
