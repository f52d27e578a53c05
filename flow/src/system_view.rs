//! The report's system view (issue 29): each mode's data rate against the radio and its power
//! with the radio against the implant's budget, side by side, from the flow's measured figures
//! only (bits per sample from the eval, FPGA power and real-time channels from the power
//! stage); the radio's energy per bit is the power model's stated assumption
//! (`neurice_synth::power::SystemParams`), shown with it.

use serde::Serialize;

use neurice_synth::power::{Band, BUDGET_MW, RADIO_MBPS, SAMPLE_RATE_HZ};

use crate::FlowReport;

/// The implant's channel count the system view sizes the data rate for.
pub const IMPLANT_CHANNELS: f64 = 1024.0;

/// One mode's row.
#[derive(Clone, Debug, Serialize)]
pub struct SystemRow {
    pub mode: String,
    /// Measured: bits per sample, all headers included (eval; event mode's eval: its packets,
    /// framing included), or the co-simulation's payload (the core's words) on a synthetic run
    /// ([`SystemRow::bits_source`]).
    pub bits_per_sample: f64,
    /// Where `bits_per_sample` was measured.
    pub bits_source: String,
    /// `bits_per_sample × 1024 × 20 kHz`, Mbit/s; event mode with its eval: the eval's
    /// Mbit/s with packet framing for 1024 channels (per second of recording).
    pub mbps_1024: f64,
    pub radio_mbps: f64,
    pub fits_radio: bool,
    /// Channels whose stream the radio carries: `radio / (bits × 20 kHz)` (event mode: radio /
    /// its Mbit/s per channel).
    pub radio_channels: f64,
    /// Measured: channels of 20 kHz the core codes in real time at its board clock.
    pub core_channels: f64,
    /// Channels served: min(1024, core, radio).
    pub channels_served: f64,
    /// Measured: FPGA power at the board clock (the power stage), mW.
    pub fpga_mw: Band,
    /// The radio sending the served channels' stream, mW (nJ/bit assumption × Mbit/s).
    pub radio_mw: Band,
    pub total_mw: Band,
    pub budget_mw: f64,
    pub within_budget: bool,
    /// What limits this mode (radio, core, budget), in words.
    pub limit: String,
}

/// The rows of the system view, one per flow report (mode).
pub fn rows(reports: &[FlowReport]) -> Vec<SystemRow> {
    reports.iter().map(row).collect()
}

/// Event mode's name in the system view.
const EVENTS: &str = neurice_sim::events::NAME;

/// What the system view says for a mode this run did not measure.
pub const NOT_MEASURED: &str = "not measured in this run";

/// The modes of the system view this run did not measure, each with how to measure it:
/// event mode unless a report is its (`neurice flow --coder events`).
pub fn not_measured(rows: &[SystemRow]) -> Vec<String> {
    if rows.iter().any(|r| r.mode == EVENTS) {
        return Vec::new();
    }
    vec![format!(
        "{EVENTS}: {NOT_MEASURED} (`neurice flow --coder events` measures its rate and power)"
    )]
}

fn row(r: &FlowReport) -> SystemRow {
    let sim_bits = 32.0 * r.simulation.words as f64 / r.simulation.samples.max(1) as f64;
    // bits per sample, where they were measured, and the Mbit/s of one channel
    let per_channel = |bits: f64| bits * SAMPLE_RATE_HZ / 1e6;
    let (bits, bits_source, channel_mbps) = match (&r.eval, &r.event_eval) {
        // event mode: the eval's rate per second of recording (events per second are the
        // signal's, not the sample rate's: not scaled to 20 kHz)
        (_, Some(e)) => (
            e.link_bits_per_sample(),
            format!(
                "event mode's eval: the packets (framing included) of {} recordings as {} \
                 channels, per second of recording at {} Hz",
                e.files, e.rate_1024.channels, e.sample_rate_hz
            ),
            e.rate_1024.link_mbit_s / e.rate_1024.channels as f64,
        ),
        (Some(e), None) => (
            e.bits_per_sample,
            "eval: the recordings compressed, headers included".to_string(),
            per_channel(e.bits_per_sample),
        ),
        (None, None) => (
            sim_bits,
            format!(
                "co-simulation: the core's words over {} samples of {} channels (payload; \
                 no packet framing)",
                r.simulation.samples, r.simulation.channels
            ),
            per_channel(sim_bits),
        ),
    };
    let mbps_1024 = channel_mbps * IMPLANT_CHANNELS;
    let radio_channels = RADIO_MBPS / channel_mbps;
    let core_channels = r.power.throughput.real_time_channels;
    let served = IMPLANT_CHANNELS.min(core_channels).min(radio_channels);
    let nj = r.power.power.system.radio_nj_per_bit.value;
    let radio_mw = nj.scale(channel_mbps * served);
    let fpga_mw = r.power.power.total_mw;
    let total_mw = fpga_mw + radio_mw;
    let within_budget = total_mw.typical <= BUDGET_MW;
    let mut limits = Vec::new();
    if radio_channels < IMPLANT_CHANNELS {
        limits.push(format!(
            "the radio carries {radio_channels:.0} of 1024 channels ({mbps_1024:.1} Mbit/s needed)"
        ));
    }
    if core_channels < IMPLANT_CHANNELS {
        limits.push(format!(
            "the core codes {core_channels:.0} channels in real time at {} MHz",
            r.power.throughput.clock_mhz
        ));
    }
    if !within_budget {
        limits.push(format!(
            "{:.1} mW over the {BUDGET_MW} mW budget",
            total_mw.typical
        ));
    }
    SystemRow {
        mode: crate::compare::mode_name(&r.design),
        bits_per_sample: bits,
        bits_source,
        mbps_1024,
        radio_mbps: RADIO_MBPS,
        fits_radio: mbps_1024 <= RADIO_MBPS,
        radio_channels,
        core_channels,
        channels_served: served,
        fpga_mw,
        radio_mw,
        total_mw,
        budget_mw: BUDGET_MW,
        within_budget,
        limit: if limits.is_empty() {
            "none: 1024 channels within the radio and the budget".into()
        } else {
            limits.join("; ")
        },
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The report's section: a table and two charts (data rate against the radio, power with the
/// radio against the budget).
pub fn html(rows: &[SystemRow], nj_per_bit_note: &str) -> String {
    let mut s = String::from(
        "<h2>System view: radio and power budget</h2><p>Each mode's compressed stream for 1024 \
         channels at 20 kHz against the 1 Mbit/s radio, and FPGA plus radio power for the \
         channels it serves against the 10 mW budget. Measured in this run: bits per sample, \
         FPGA power, real-time channels. Radio energy per bit: ",
    );
    s.push_str(&esc(nj_per_bit_note));
    s.push_str(
        "</p><table><tr><th>mode</th><th>bits/sample</th><th>Mbit/s for 1024 ch</th>\
         <th>channels the radio carries</th><th>real-time channels of the core</th>\
         <th>FPGA mW</th><th>radio mW</th><th>total mW (low / typ / high)</th><th>limit</th></tr>",
    );
    for r in rows {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{:.3}</td><td>{:.2} {}</td><td>{:.0}</td><td>{:.0}</td>\
             <td>{:.2}</td><td>{:.2}</td><td>{:.2} / {:.2} / {:.2} {}</td><td>{}</td></tr>",
            esc(&r.mode),
            r.bits_per_sample,
            r.mbps_1024,
            if r.fits_radio {
                "(fits)"
            } else {
                "(does not fit)"
            },
            r.radio_channels,
            r.core_channels,
            r.fpga_mw.typical,
            r.radio_mw.typical,
            r.total_mw.low,
            r.total_mw.typical,
            r.total_mw.high,
            if r.within_budget {
                "(within)"
            } else {
                "(over)"
            },
            esc(&r.limit)
        ));
    }
    for m in not_measured(rows) {
        let (mode, what) = m.split_once(": ").unwrap_or((&m, ""));
        s.push_str(&format!(
            "<tr><td>{}</td><td colspan=\"8\">{}</td></tr>",
            esc(mode),
            esc(what)
        ));
    }
    s.push_str("</table>");
    let bars = |f: &dyn Fn(&SystemRow) -> f64| -> Vec<(String, f64)> {
        rows.iter().map(|r| (r.mode.clone(), f(r))).collect()
    };
    s.push_str(&crate::svg::hbars(
        "Data rate for 1024 channels",
        "Mbit/s",
        &bars(&|r| r.mbps_1024),
        Some(("1 Mbit/s radio", RADIO_MBPS)),
    ));
    s.push_str(&crate::svg::hbars(
        "FPGA + radio power (typical), channels served",
        "mW",
        &bars(&|r| r.total_mw.typical),
        Some(("10 mW budget", BUDGET_MW)),
    ));
    s
}

/// The text summary's lines.
pub fn render_text(rows: &[SystemRow]) -> String {
    let mut t: String = rows
        .iter()
        .map(|r| {
            format!(
                "  system     {:<6} {:.3} Mbit/s for 1024 ch vs {} Mbit/s radio; {:.0} ch served, FPGA + radio {:.2} mW vs {} mW; limit: {}\n",
                r.mode, r.mbps_1024, r.radio_mbps, r.channels_served, r.total_mw.typical, r.budget_mw, r.limit
            )
        })
        .collect();
    for m in not_measured(rows) {
        t.push_str(&format!("  system     {m}\n"));
    }
    t
}

/// The radio's energy per bit as the report states it (the power model's assumption).
pub fn nj_per_bit_note(r: &FlowReport) -> String {
    let f = &r.power.power.system.radio_nj_per_bit;
    format!(
        "{} typical ({} to {}), {} ({})",
        f.value.typical, f.value.low, f.value.high, f.unit, f.source
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run without event mode says so in every form, with no number for it.
    #[test]
    fn event_mode_not_run_is_said_not_measured() {
        let n = not_measured(&[]);
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(
            n[0].starts_with("events: not measured in this run"),
            "{n:?}"
        );
        let t = render_text(&[]);
        assert!(t.contains("events: not measured in this run"), "{t}");
        let h = html(&[], "");
        assert!(
            h.contains("<td>events</td><td colspan=\"8\">not measured in this run"),
            "{h}"
        );
    }
}
