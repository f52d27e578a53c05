//! The flow's report: `report.json` (machine-readable, first), `index.html` (a table and
//! SVG charts for people) and the text summary.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use crate::svg::{columns, hbars};
use crate::FlowReport;

/// Writes `report.json` and `index.html` into `out`.
pub fn write(r: &FlowReport, out: &Path) -> Result<()> {
    let json = serde_json::to_string_pretty(r)?;
    let (json_path, html_path) = (out.join("report.json"), out.join("index.html"));
    // both checked before either is written (the one safe-output rule, neurice_files)
    neurice_files::check_outputs(&[&json_path, &html_path], true)?;
    neurice_files::write_output(&json_path, (json + "\n").as_bytes(), true)?;
    neurice_files::write_output(&html_path, html(r).as_bytes(), true)
}

/// How the run went, in one line each: every stage's wall time (independent stages overlap)
/// and what each cached step took from the cache.
pub fn run_lines(r: &FlowReport) -> [(String, String); 2] {
    let stages = r
        .stage_seconds
        .iter()
        .map(|(k, s)| format!("{k} {s:.1} s"))
        .collect::<Vec<_>>()
        .join(", ");
    let cache = match &r.cache_dir {
        None => "off (--no-cache): every step ran".to_string(),
        Some(d) => format!(
            "{}; in {}",
            r.cache
                .iter()
                .map(|u| format!(
                    "{} {}",
                    u.step,
                    match u.status {
                        crate::CacheStatus::Hit => "taken from the cache",
                        crate::CacheStatus::Miss => "run and stored",
                        crate::CacheStatus::Off => "run",
                    }
                ))
                .collect::<Vec<_>>()
                .join(", "),
            d.display()
        ),
    };
    [
        ("stage times".to_string(), stages),
        ("cache".to_string(), cache),
    ]
}

/// The summary `neurice flow` prints.
pub fn render_text(r: &FlowReport, out: &Path) -> String {
    let mut txt = String::new();
    let _ = writeln!(txt, "neurice flow — {}\n  run: {}", r.data_source, r.scope);
    for (k, v) in run_lines(r) {
        let _ = writeln!(txt, "  {k}: {v}");
    }
    if let Some(e) = &r.eval {
        let _ = writeln!(
            txt,
            "  codec      ratio {:.4} on {} files, lossless {}, {:.3} bits/sample",
            e.ratio, e.files, e.lossless, e.bits_per_sample
        );
        if let Some(b) = &e.bounded {
            let _ = writeln!(txt, "  fidelity   {}", bounded_text(b));
        }
    }
    if let Some(e) = &r.event_eval {
        let _ = writeln!(txt, "  events     {}", crate::event_eval::summary(e));
    }
    let s = &r.simulation;
    let _ = writeln!(
        txt,
        "  core       {} samples on {} channels, {} cycles, {} mismatches (bit-exact), payload ratio {:.4}",
        s.samples, s.channels, s.cycles, s.mismatches, s.ratio
    );
    let y = &r.synthesis;
    let _ = writeln!(
        txt,
        "  iCE40      Fmax {} MHz (target {} MHz, {}), {} / {} LCs, {} / {} BRAM",
        y.fmax_mhz.map_or("?".into(), |f| format!("{f:.2}")),
        y.target_mhz,
        if y.timing_met { "met" } else { "NOT met" },
        y.lc_used,
        y.lc_total,
        y.bram_used,
        y.bram_total
    );
    let p = &r.power.power;
    let _ = writeln!(
        txt,
        "  power      {:.2} mW typical ({:.2} .. {:.2}) at {} MHz: {:.2} uW/channel, {:.3} nJ/sample",
        p.total_mw.typical,
        p.total_mw.low,
        p.total_mw.high,
        p.clock_mhz,
        p.uw_per_channel.typical,
        p.nj_per_sample.typical
    );
    // event mode with its eval: the system view below has the eval's rate (the power stage's
    // traced window holds few of its rare words)
    if r.event_eval.is_none() {
        let _ = writeln!(
            txt,
            "  system     {:.1} Mbit/s compressed vs {} Mbit/s radio ({}); FPGA + radio {:.1} mW vs {} mW budget",
            p.system.compressed_mbps,
            p.system.radio_mbps,
            if p.system.fits_radio { "fits" } else { "does NOT fit" },
            p.system.total_system_mw.typical,
            p.system.budget_mw
        );
    }
    match (&r.asic, &r.asic_skipped) {
        (Some(a), _) => {
            let _ = writeln!(
                txt,
                "  ASIC       ~{} transistors of logic + {} in 6T SRAM for the state = ~{}",
                a.logic.transistors, a.state_sram_6t_transistors, a.total_transistors
            );
        }
        (None, why) => {
            let _ = writeln!(
                txt,
                "  ASIC       skipped: {}",
                why.as_deref().unwrap_or("not run")
            );
        }
    }
    txt.push_str(&crate::system_view::render_text(&crate::system_view::rows(
        std::slice::from_ref(r),
    )));
    let _ = writeln!(txt, "  report     {}", out.join("index.html").display());
    txt
}

/// A percentage, or "n/a" (no events).
fn pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| format!("{:.2} %", 100.0 * v))
}

/// The bounded-error rows of the report (FORMAT.md §11): the check and the fidelity.
pub fn bounded_rows(b: &crate::BoundedSummary) -> Vec<(&'static str, String)> {
    vec![
        (
            "maximum error δ (grid steps)",
            format!(
                "{}: measured max {:.3}, {} of {} samples beyond it",
                b.max_error, b.max_error_steps, b.violations, b.samples
            ),
        ),
        (
            "RMS error (grid steps)",
            format!("{:.3}", b.rms_error_steps),
        ),
        (
            "in-band error power / noise floor",
            b.error_to_noise_db
                .map_or("n/a".into(), |db| format!("{db:.1} dB")),
        ),
        (
            "spike detections (−4.5σ, ±0.5 ms): precision / recall",
            format!(
                "{} / {} ({} original, {} decoded events)",
                pct(b.spike_precision),
                pct(b.spike_recall),
                b.reference_events,
                b.decoded_events
            ),
        ),
    ]
}

/// [`bounded_rows`] on one line.
pub fn bounded_text(b: &crate::BoundedSummary) -> String {
    format!(
        "max error {:.3} of δ = {} grid steps ({} beyond), RMS {:.3}, in-band error {} of the noise floor, spikes precision {} recall {}",
        b.max_error_steps,
        b.max_error,
        b.violations,
        b.rms_error_steps,
        b.error_to_noise_db
            .map_or("n/a".into(), |db| format!("{db:.1} dB")),
        pct(b.spike_precision),
        pct(b.spike_recall)
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The report page: a table of the measured numbers and SVG charts.
pub fn html(r: &FlowReport) -> String {
    let mut rows = Vec::new();
    let mut row =
        |k: &str, v: String| rows.push(format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v)));
    row("data", r.data_source.clone());
    row("run", r.scope.clone());
    for (k, v) in run_lines(r) {
        row(&k, v);
    }
    if let Some(e) = &r.eval {
        row(
            "compression ratio (container included)",
            format!("{:.4}", e.ratio),
        );
        row("lossless on every file", e.lossless.to_string());
        row("bits per sample", format!("{:.3}", e.bits_per_sample));
        if let Some(b) = &e.bounded {
            for (k, v) in bounded_rows(b) {
                row(k, v);
            }
        }
    }
    if let Some(e) = &r.event_eval {
        row("event mode's eval", crate::event_eval::summary(e));
        row(
            "ratio against the 16-bit WAV (packets, framing included)",
            format!("{:.1}", e.ratio_vs_wav),
        );
        row(
            "Mbit/s for 1024 channels (framing included; worst 100 ms)",
            format!(
                "{:.4} ({:.4})",
                e.rate_1024.link_mbit_s, e.rate_1024.worst_100ms_link_mbit_s
            ),
        );
    }
    let s = &r.simulation;
    row(
        "co-simulation (Verilator, emitted Verilog)",
        format!(
            "{} samples, {} channels, {} cycles, {} mismatches",
            s.samples, s.channels, s.cycles, s.mismatches
        ),
    );
    let y = &r.synthesis;
    row("device", y.device.clone());
    row(
        "Fmax (MHz)",
        y.fmax_mhz.map_or("?".into(), |f| format!("{f:.2}")),
    );
    row(
        "target (MHz)",
        format!(
            "{} ({})",
            y.target_mhz,
            if y.timing_met { "met" } else { "not met" }
        ),
    );
    row("logic cells", format!("{} / {}", y.lc_used, y.lc_total));
    row("block RAM", format!("{} / {}", y.bram_used, y.bram_total));
    let p = &r.power.power;
    row(
        "FPGA power (mW, low / typical / high)",
        format!(
            "{:.2} / {:.2} / {:.2} at {} MHz",
            p.total_mw.low, p.total_mw.typical, p.total_mw.high, p.clock_mhz
        ),
    );
    row(
        "per channel (µW, typical)",
        format!("{:.2}", p.uw_per_channel.typical),
    );
    row(
        "energy per sample (nJ, typical)",
        format!("{:.3}", p.nj_per_sample.typical),
    );
    let (mbps, fits) = match &r.event_eval {
        // event mode: its eval's rate with packet framing (see the event rows above)
        Some(e) => (
            e.rate_1024.link_mbit_s,
            e.rate_1024.link_mbit_s <= p.system.radio_mbps,
        ),
        None => (p.system.compressed_mbps, p.system.fits_radio),
    };
    row(
        "compressed stream vs radio",
        format!(
            "{} Mbit/s vs {} Mbit/s ({})",
            if mbps < 10.0 {
                format!("{mbps:.3}")
            } else {
                format!("{mbps:.1}")
            },
            p.system.radio_mbps,
            if fits { "fits" } else { "does not fit" }
        ),
    );
    row("activity source", p.activity_source.clone());
    let t = &r.power.throughput;
    row(
        "throughput",
        format!(
            "{:.3} clocks/sample (design figure), {:.3} M samples/s at {} MHz, {:.1} channels \
             of 20 kHz in real time",
            t.clocks_per_sample,
            t.samples_per_s / 1e6,
            t.clock_mhz,
            t.real_time_channels
        ),
    );
    row("throughput and energy method", t.method.clone());
    row(
        "ASIC estimate (transistors)",
        match (&r.asic, &r.asic_skipped) {
            (Some(a), _) => format!(
                "~{} logic + {} SRAM bit cells = ~{} ({})",
                a.logic.transistors, a.state_sram_6t_transistors, a.total_transistors, a.method
            ),
            (None, why) => format!("skipped: {}", why.as_deref().unwrap_or("not run")),
        },
    );

    let mut charts = Vec::new();
    if let Some(e) = &r.eval {
        let mut ratios: Vec<f64> = e.per_file.iter().map(|f| f.ratio).collect();
        ratios.sort_by(|a, b| b.total_cmp(a));
        charts.push(columns(
            "Compression ratio per recording, sorted",
            "",
            &ratios,
        ));
        let total: u64 = e.s_histogram.iter().sum::<u64>().max(1);
        let ks: Vec<(String, f64)> = e
            .s_histogram
            .iter()
            .enumerate()
            .map(|(si, &c)| {
                (
                    format!("s={si} (m={})", neurice_model::lite::m_value(si as u32)),
                    100.0 * c as f64 / total as f64,
                )
            })
            .collect();
        charts.push(hbars(
            "Golomb–Rice parameter usage (share of samples)",
            "%",
            &ks,
            None,
        ));
        charts.extend(crate::sweep::flow_chart([e]));
    }
    let pct = |u: u64, t: u64| 100.0 * u as f64 / t.max(1) as f64;
    charts.push(hbars(
        &format!("Resource use on the {}", y.device),
        "%",
        &[
            ("logic cells".into(), pct(y.lc_used, y.lc_total)),
            ("block RAM".into(), pct(y.bram_used, y.bram_total)),
        ],
        Some(("budget", 25.0)),
    ));
    charts.push(hbars(
        "Clock",
        "MHz",
        &[
            ("Fmax".into(), y.fmax_mhz.unwrap_or(0.0)),
            ("needed: 1024 ch × 20 kHz".into(), 20.48),
        ],
        Some(("target", y.target_mhz)),
    ));
    let items: Vec<(String, f64)> = p
        .breakdown
        .iter()
        .map(|b| (b.name.clone(), b.mw.typical))
        .collect();
    charts.push(hbars("Power breakdown (typical)", "mW", &items, None));
    if let Some(c) = &r.power.curves {
        let rows: Vec<(String, f64)> = c
            .by_clock
            .iter()
            .map(|p| {
                let mark = if (p.clock_mhz - c.real_time_min_mhz).abs() < 1e-9 {
                    " (real-time minimum)"
                } else {
                    ""
                };
                (format!("{:.2} MHz{mark}", p.clock_mhz), p.total_mw.typical)
            })
            .collect();
        charts.push(hbars(
            &format!(
                "FPGA power against the core clock, {} channels (typical; scaled from the \
                 measurement)",
                r.power.power.channels
            ),
            "mW",
            &rows,
            Some(("10 mW budget", r.power.power.system.budget_mw)),
        ));
        let rows: Vec<(String, f64)> = c
            .by_channels
            .iter()
            .map(|p| (format!("{} channels", p.channels), p.total_mw.typical))
            .collect();
        charts.push(hbars(
            &format!(
                "FPGA power against the channel count at {} MHz (typical; scaled from the \
                 measurement)",
                r.power.power.clock_mhz
            ),
            "mW",
            &rows,
            None,
        ));
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>neurice report</title>\
         <style>body{{font-family:sans-serif;max-width:62em;margin:2em auto}}th{{text-align:left;padding-right:2em;vertical-align:top}}svg{{display:block;margin:1.5em 0}}</style>\
         </head><body><h1>neurice report</h1>{}<table>{}</table>{}{}\
         <p>Machine-readable: <a href=\"report.json\">report.json</a>. Power assumptions and sources are listed there.</p></body></html>\n",
        if r.synthetic {
            "<p><strong>SYNTHETIC DATA</strong>: no recordings were found; every number below is for a generated signal.</p>"
        } else {
            ""
        },
        rows.join("\n"),
        charts.join("\n"),
        crate::system_view::html(
            &crate::system_view::rows(std::slice::from_ref(r)),
            &crate::system_view::nj_per_bit_note(r)
        )
    )
}
