//! `neurice flow`: the main job — golden-model eval, Verilator co-simulation of the core on
//! the recordings (1024 channels interleaved), Verilog with its checks, iCE40 synthesis, and
//! power from activity measured on the gate-level netlist — into one report folder
//! (`report.json` first, `index.html` with SVG charts for people).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;

use neurice_sim::verilator::Pattern;
use neurice_sim::{Stimulus, XorShift64};

use crate::codec_cmds::{run_eval, EvalReport};
use crate::files::{collect_wavs, default_data_dir};
use crate::hw_cmds::{run_stimuli, synth_core, Engine, SimSummary};

#[derive(Args)]
pub struct FlowArgs {
    /// Recordings folder (default: the data folder the README names).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Report folder (created if missing; the flow's own files in it are replaced).
    #[arg(short, long, default_value = "build/report")]
    out: PathBuf,
    /// Synthesis target clock, MHz.
    #[arg(long, default_value_t = 60.0)]
    freq: f64,
    /// Samples per recording in the co-simulation (default: all).
    #[arg(long)]
    max_samples: Option<usize>,
    /// Clock cycles traced for the power estimate's switching activity.
    #[arg(long, default_value_t = 100_000)]
    power_cycles: u64,
    /// Print report.json to stdout instead of the summary.
    #[arg(long)]
    json: bool,
}

/// A second opinion for an ASIC: yosys' generic CMOS transistor estimate of the logic (the
/// core built for 2 channels, so its state memory is negligible) plus 6T SRAM bit cells for
/// 1024 channels of 32-bit state.
#[derive(Serialize)]
struct AsicEstimate {
    logic: neurice_synth::AsicArea,
    state_bits: u64,
    state_sram_6t_transistors: u64,
    total_transistors: u64,
    method: String,
}

#[derive(Serialize)]
struct FlowReport {
    neurice_version: &'static str,
    /// "recordings: <dir>" or "SYNTHETIC …" when no recordings were found.
    data_source: String,
    synthetic: bool,
    eval: Option<EvalReport>,
    simulation: SimSummary,
    verilog: PathBuf,
    synthesis: neurice_synth::SynthReport,
    power: crate::power_cmd::PowerSummary,
    asic: AsicEstimate,
    stage_seconds: Vec<(String, f64)>,
}

fn stage(n: usize, name: &str, quiet: bool) {
    if !quiet {
        eprintln!("[{n}/6] {name}");
    }
}

/// A synthetic 1024-channel recording (slow sines with noise), for machines without data.
fn synthetic_stimulus(frames: usize) -> Stimulus {
    let mut r = XorShift64::new(42);
    let mut samples = Vec::with_capacity(frames * 1024);
    for t in 0..frames {
        for c in 0..1024 {
            let s = 512.0
                + 150.0 * ((t as f64) / (20.0 + c as f64 % 17.0)).sin()
                + (r.next_u64() % 13) as f64
                - 6.0;
            samples.push(s.clamp(0.0, 1023.0) as u16);
        }
    }
    Stimulus {
        channels: 1024,
        samples,
        input_gap_per_mille: 0,
        backpressure_per_mille: 0,
        seed: 1,
        label: "SYNTHETIC: 1024 channels of generated sines and noise (no recordings found)".into(),
    }
}

pub fn flow(a: FlowArgs) -> Result<ExitCode> {
    let quiet = a.json;
    let mut times = Vec::new();
    // An explicit --data must exist; the default folder may be absent (synthetic run).
    let data = a
        .data
        .clone()
        .or_else(|| default_data_dir().filter(|d| d.is_dir()));
    let files = match &data {
        Some(d) => {
            if !d.is_dir() {
                bail!("{}: no such folder", d.display());
            }
            collect_wavs(std::slice::from_ref(d))?
        }
        None => Vec::new(),
    };
    let synthetic = files.is_empty();
    if synthetic && !quiet {
        eprintln!(
            "no recordings found: put the Neuralink challenge WAVs in ../shared/data/neuralink \
             or pass --data DIR (see README). Running on a SYNTHETIC recording instead."
        );
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;

    // 1. golden model
    stage(
        1,
        "golden-model eval (compress, decompress, compare)",
        quiet,
    );
    let t = Instant::now();
    let eval = if synthetic {
        None
    } else {
        let e = run_eval(&files, None, !quiet, neurice_model::Coder::Lite)?;
        if !e.lossless {
            bail!("golden-model eval: {} file(s) did not round-trip", e.failed);
        }
        Some(e)
    };
    times.push(("eval".to_string(), t.elapsed().as_secs_f64()));

    // 2. co-simulation: all recordings interleaved as 1024 channels, the hardware's use
    stage(
        2,
        "Verilator co-simulation, 1024 channels, against the golden model",
        quiet,
    );
    let t = Instant::now();
    let pattern = Pattern {
        input_gap_per_mille: 0,
        backpressure_per_mille: 0,
        seed: 1,
    };
    let build = a.out.join("verilator");
    let jobs = neurice_sim::verilator::default_jobs();
    let stims = if synthetic {
        vec![synthetic_stimulus(a.max_samples.unwrap_or(2_000))]
    } else {
        neurice_sim::verilator::load_stimuli(&files, 1024, a.max_samples, pattern, jobs)?
    };
    let (sim, _) = run_stimuli(
        &stims,
        Engine::Verilator,
        files.len(),
        jobs,
        &build,
        quiet,
        pattern,
    )?;
    if sim.mismatches != 0 {
        bail!(
            "co-simulation: {} word(s) differ from the golden model; first: {:?}",
            sim.mismatches,
            sim.first_failure.as_ref().map(|f| &f.mismatch)
        );
    }
    times.push(("simulation".to_string(), t.elapsed().as_secs_f64()));

    // 3. Verilog
    stage(3, "Verilog of the core", quiet);
    let t = Instant::now();
    let text = neurice_hdl::verilog(&neurice_model::CodecParams::HARDWARE, 1024)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let vfile = a.out.join("neurice_core.v");
    std::fs::write(&vfile, &text).with_context(|| format!("writing {}", vfile.display()))?;
    neurice_sim::verilator::lint(&text, "top", &a.out.join("lint"))?;
    times.push(("verilog".to_string(), t.elapsed().as_secs_f64()));

    // 4. synthesis
    stage(
        4,
        "yosys → nextpnr-ice40 → icepack (iCE40HX8K-CB132)",
        quiet,
    );
    let t = Instant::now();
    let synthesis = synth_core(1024, a.freq, 1, &a.out.join("synth"))?;
    times.push(("synthesis".to_string(), t.elapsed().as_secs_f64()));

    // 5. power, from activity measured on the gate-level netlist at the real-time duty cycle
    stage(
        5,
        "power: switching activity of the gate-level netlist on the recordings",
        quiet,
    );
    let t = Instant::now();
    let data_dir = if synthetic { None } else { data.as_deref() };
    let power = crate::power_cmd::run_power(
        a.freq,
        1024,
        data_dir,
        a.power_cycles,
        &a.out.join("power"),
        true,
    )?;
    times.push(("power".to_string(), t.elapsed().as_secs_f64()));

    // 6. ASIC second opinion
    stage(
        6,
        "ASIC area: yosys generic synthesis, stat -tech cmos",
        quiet,
    );
    let t = Instant::now();
    let asic_dir = a.out.join("asic");
    std::fs::create_dir_all(&asic_dir)?;
    let small = asic_dir.join("core_2ch.v");
    std::fs::write(
        &small,
        neurice_hdl::verilog(&neurice_model::CodecParams::HARDWARE, 2)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    )?;
    let logic = neurice_synth::asic_area(&small, "top", &asic_dir)?;
    let state_bits = 1024 * 32;
    let asic = AsicEstimate {
        total_transistors: logic.transistors + 6 * state_bits,
        state_sram_6t_transistors: 6 * state_bits,
        state_bits,
        logic,
        method:
            "logic: yosys `synth; stat -tech cmos` of the core built for 2 channels (its 2x32-bit \
                 state as flip-flops); state: 1024 x 32 bits as 6T SRAM cells, periphery \
                 (decoders, sense amplifiers) not counted"
                .into(),
    };
    times.push(("asic".to_string(), t.elapsed().as_secs_f64()));

    let report = FlowReport {
        neurice_version: env!("CARGO_PKG_VERSION"),
        data_source: match (&data, synthetic) {
            (_, true) => stims[0].label.clone(),
            (Some(d), false) => format!("recordings: {} ({} files)", d.display(), files.len()),
            (None, false) => unreachable!("files come from a data folder"),
        },
        synthetic,
        eval,
        simulation: sim,
        verilog: vfile,
        synthesis,
        power,
        asic,
        stage_seconds: times,
    };
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(a.out.join("report.json"), &json)?;
    std::fs::write(a.out.join("index.html"), html(&report))?;
    if a.json {
        println!("{json}");
    } else {
        print_summary(&report, &a.out);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(r: &FlowReport, out: &Path) {
    println!("neurice flow — {}", r.data_source);
    if let Some(e) = &r.eval {
        println!(
            "  codec      ratio {:.4} on {} files, lossless {}, {:.3} bits/sample",
            e.ratio, e.files, e.lossless, e.bits_per_sample
        );
    }
    let s = &r.simulation;
    println!(
        "  core       {} samples on {} channels, {} cycles, {} mismatches (bit-exact), payload ratio {:.4}",
        s.samples, s.channels, s.cycles, s.mismatches, s.ratio
    );
    let y = &r.synthesis;
    println!(
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
    println!(
        "  power      {:.2} mW typical ({:.2} .. {:.2}) at {} MHz: {:.2} uW/channel, {:.3} nJ/sample",
        p.total_mw.typical,
        p.total_mw.low,
        p.total_mw.high,
        p.clock_mhz,
        p.uw_per_channel.typical,
        p.nj_per_sample.typical
    );
    println!(
        "  system     {:.1} Mbit/s compressed vs {} Mbit/s radio ({}); FPGA + radio {:.1} mW vs {} mW budget",
        p.system.compressed_mbps,
        p.system.radio_mbps,
        if p.system.fits_radio { "fits" } else { "does NOT fit" },
        p.system.total_system_mw.typical,
        p.system.budget_mw
    );
    println!(
        "  ASIC       ~{} transistors of logic + {} in 6T SRAM for the state = ~{}",
        r.asic.logic.transistors, r.asic.state_sram_6t_transistors, r.asic.total_transistors
    );
    println!("  report     {}", out.join("index.html").display());
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html(r: &FlowReport) -> String {
    use crate::svg::{columns, hbars};
    let mut rows = Vec::new();
    let mut row =
        |k: &str, v: String| rows.push(format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v)));
    row("data", r.data_source.clone());
    if let Some(e) = &r.eval {
        row(
            "compression ratio (container included)",
            format!("{:.4}", e.ratio),
        );
        row("lossless on every file", e.lossless.to_string());
        row("bits per sample", format!("{:.3}", e.bits_per_sample));
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
    row(
        "compressed stream vs radio",
        format!(
            "{:.1} Mbit/s vs {} Mbit/s ({})",
            p.system.compressed_mbps,
            p.system.radio_mbps,
            if p.system.fits_radio {
                "fits"
            } else {
                "does not fit"
            }
        ),
    );
    row("activity source", p.activity_source.clone());
    row(
        "ASIC estimate (transistors)",
        format!(
            "~{} logic + {} SRAM bit cells = ~{} ({})",
            r.asic.logic.transistors,
            r.asic.state_sram_6t_transistors,
            r.asic.total_transistors,
            r.asic.method
        ),
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
                    format!("s={si} (m={})", neurice_model::coder::m_value(si as u32)),
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
    }
    let pct = |u: u64, t: u64| 100.0 * u as f64 / t.max(1) as f64;
    charts.push(hbars(
        "Resource use on the iCE40 HX8K",
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
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>neurice report</title>\
         <style>body{{font-family:sans-serif;max-width:62em;margin:2em auto}}th{{text-align:left;padding-right:2em;vertical-align:top}}svg{{display:block;margin:1.5em 0}}</style>\
         </head><body><h1>neurice report</h1>{}<table>{}</table>{}\
         <p>Machine-readable: <a href=\"report.json\">report.json</a>. Power assumptions and sources are listed there.</p></body></html>\n",
        if r.synthetic {
            "<p><strong>SYNTHETIC DATA</strong>: no recordings were found; every number below is for a generated signal.</p>"
        } else {
            ""
        },
        rows.join("\n"),
        charts.join("\n")
    )
}
