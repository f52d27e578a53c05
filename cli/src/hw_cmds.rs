//! `sim`, `verilog` and `synth`: the hardware core simulated, emitted and implemented.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use neurice_model::CodecParams;
use neurice_sim::verilator::{self, Pattern};
use neurice_sim::{rusthdl, SimReport, Stimulus};

use crate::files::{collect_wavs, default_data_dir};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// rust-hdl's own simulator, driven directly.
    Rusthdl,
    /// Verilator on the emitted Verilog.
    Verilator,
    /// Verilator on yosys' iCE40 gate-level netlist (with the iCE40 cell models).
    Gatelevel,
}

#[derive(Args)]
pub struct SimArgs {
    /// Recordings: WAV files and/or folders of them (default: the Neuralink data folder).
    inputs: Vec<PathBuf>,
    /// Simulator.
    #[arg(long, value_enum, default_value = "verilator")]
    engine: Engine,
    /// Channels per run: 1 = one run per file; N = N files interleaved as N channels.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Samples per file (per channel) at most (at least 1).
    #[arg(long)]
    max_samples: Option<usize>,
    /// Per-cycle chance (‰) that the source withholds a sample.
    #[arg(long, default_value_t = 0)]
    gap: u32,
    /// Per-cycle chance (‰) that the sink refuses a word.
    #[arg(long, default_value_t = 0)]
    backpressure: u32,
    /// Seed of the gap/backpressure pattern.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Parallel simulations (default: all cores; at most 4 per core and 256, more is refused).
    #[arg(long)]
    jobs: Option<usize>,
    /// Where Verilator builds are cached.
    #[arg(long, default_value = "build/verilator")]
    build_dir: PathBuf,
    /// Include every run's report in the JSON.
    #[arg(long)]
    per_run: bool,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

/// What `neurice sim --json` prints.
#[derive(Serialize)]
pub struct SimSummary {
    pub engine: Engine,
    pub channels: usize,
    pub files: usize,
    pub runs: usize,
    pub samples: u64,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub words: u64,
    pub expected_words: u64,
    pub mismatches: u64,
    pub failed_runs: usize,
    /// 16-bit samples / payload words of the core (container excluded).
    pub ratio: f64,
    pub input_gap_per_mille: u32,
    pub backpressure_per_mille: u32,
    pub seed: u64,
    /// Wall time of the simulation (loading and building excluded).
    pub seconds: f64,
    /// Simulated cycles per second of one simulator instance.
    pub cycles_per_second: f64,
    pub jobs: usize,
    pub first_failure: Option<FirstFailure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_run: Option<Vec<SimReport>>,
}

#[derive(Serialize)]
pub struct FirstFailure {
    pub label: String,
    pub mismatch: Option<neurice_sim::Mismatch>,
}

fn progress_bar(total: u64, what: &str, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{percent:>3}}% {{human_pos}}/{{human_len}} samples, {{elapsed}} (eta {{eta}})"
        ))
        .expect("valid template"),
    );
    pb
}

/// Runs the simulation the arguments describe (also used by `neurice flow`).
#[allow(clippy::too_many_arguments)]
pub fn run_sim(
    files: &[PathBuf],
    engine: Engine,
    channels: usize,
    max_samples: Option<usize>,
    pattern: Pattern,
    jobs: usize,
    build_dir: &Path,
    quiet: bool,
) -> Result<(SimSummary, Vec<SimReport>)> {
    if !(1..=1024).contains(&channels) {
        bail!("--channels must be 1..=1024, got {channels}");
    }
    if pattern.input_gap_per_mille >= 1000 || pattern.backpressure_per_mille >= 1000 {
        bail!("--gap and --backpressure are per mille and must be below 1000");
    }
    if max_samples == Some(0) {
        bail!("--max-samples must be at least 1 (0 would compare nothing)");
    }
    crate::files::check_workers("--jobs", jobs)?;
    let stims = verilator::load_stimuli(files, channels, max_samples, pattern, jobs)?;
    run_stimuli(&stims, engine, files.len(), jobs, build_dir, quiet, pattern)
}

/// Simulates prepared stimuli with one engine and sums the reports.
pub fn run_stimuli(
    stims: &[Stimulus],
    engine: Engine,
    files: usize,
    jobs: usize,
    build_dir: &Path,
    quiet: bool,
    pattern: Pattern,
) -> Result<(SimSummary, Vec<SimReport>)> {
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    let channels = stims.first().map_or(1, |s| s.channels);
    let rtl = neurice_hdl::verilog(&CodecParams::HARDWARE, 1024)
        .map_err(|e| anyhow::anyhow!("core Verilog: {e}"))?;
    let binary = match engine {
        Engine::Rusthdl => None,
        Engine::Verilator => {
            if !quiet {
                eprintln!(
                    "building the Verilator model (cached in {})…",
                    build_dir.display()
                );
            }
            Some(verilator::build(&rtl, "top", build_dir)?)
        }
        Engine::Gatelevel => {
            if !quiet {
                eprintln!("synthesising the iCE40 netlist and verilating it with the cell models…");
            }
            let net = neurice_sim::gatelevel::netlist(&rtl, "top", &build_dir.join("gatelevel"))?;
            Some(neurice_sim::gatelevel::build(&net, "top", build_dir)?)
        }
    };
    let pb = progress_bar(total, &format!("{engine:?}").to_lowercase(), quiet);
    let t0 = Instant::now();
    let (reports, per_model_cps) = match &binary {
        None => {
            let done = AtomicU64::new(0);
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .build()
                .context("thread pool")?;
            let reports = pool.install(|| {
                stims
                    .par_iter()
                    .map(|s| {
                        let mut last = 0u64;
                        rusthdl::run(s, &mut |n| {
                            let delta = n - last;
                            last = n;
                            let before = done.fetch_add(delta, Ordering::Relaxed);
                            pb.set_position(before + delta);
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })?;
            let secs: f64 = reports.iter().map(|r| r.seconds).sum();
            let cyc: u64 = reports.iter().map(|r| r.cycles).sum();
            (reports, if secs > 0.0 { cyc as f64 / secs } else { 0.0 })
        }
        Some(bin) => {
            let b = verilator::run_batch(stims, bin, jobs, &mut |n| pb.set_position(n))?;
            let cps = b.cycles_per_second;
            (b.reports, cps)
        }
    };
    pb.finish_and_clear();
    let seconds = t0.elapsed().as_secs_f64();
    if total == 0 || reports.iter().all(|r| r.samples == 0) {
        bail!("the simulation compared no samples (empty recordings?): nothing was verified");
    }
    let sum = |f: fn(&SimReport) -> u64| reports.iter().map(f).sum::<u64>();
    let words = sum(|r| r.words);
    let first = reports
        .iter()
        .find(|r| r.mismatches > 0)
        .map(|r| FirstFailure {
            label: r.label.clone(),
            mismatch: r.first_mismatch.clone(),
        });
    let summary = SimSummary {
        engine,
        channels,
        files,
        runs: reports.len(),
        samples: sum(|r| r.samples),
        cycles: sum(|r| r.cycles),
        stall_cycles: sum(|r| r.stall_cycles),
        words,
        expected_words: sum(|r| r.expected_words),
        mismatches: sum(|r| r.mismatches),
        failed_runs: reports.iter().filter(|r| r.mismatches > 0).count(),
        ratio: neurice_sim::payload_ratio(total as usize, words as usize),
        input_gap_per_mille: pattern.input_gap_per_mille,
        backpressure_per_mille: pattern.backpressure_per_mille,
        seed: pattern.seed,
        seconds,
        cycles_per_second: per_model_cps,
        jobs,
        first_failure: first,
        per_run: None,
    };
    Ok((summary, reports))
}

fn inputs_or_default(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !inputs.is_empty() {
        return collect_wavs(inputs);
    }
    match default_data_dir() {
        Some(d) => collect_wavs(&[d]),
        None => bail!(
            "no recordings given and no data folder found: pass WAV files or a folder, set \
             NEURICE_DATA, or put the Neuralink recordings in ../shared/data/neuralink (see README)"
        ),
    }
}

pub fn sim(a: SimArgs) -> Result<ExitCode> {
    let jobs = match a.jobs {
        Some(n) => crate::files::check_workers("--jobs", n)?,
        None => verilator::default_jobs().max(1),
    };
    if a.max_samples == Some(0) {
        bail!("--max-samples must be at least 1 (0 would compare nothing)");
    }
    let files = inputs_or_default(&a.inputs)?;
    let pattern = Pattern {
        input_gap_per_mille: a.gap,
        backpressure_per_mille: a.backpressure,
        seed: a.seed,
    };
    let (mut s, reports) = run_sim(
        &files,
        a.engine,
        a.channels,
        a.max_samples,
        pattern,
        jobs,
        &a.build_dir,
        a.json,
    )?;
    if a.per_run {
        s.per_run = Some(reports);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!(
            "{:?} simulation: {} file(s), {} run(s) of {} channel(s)\n\
             samples {}  cycles {}  stalls {}  words {}/{} expected\n\
             mismatches {}  ({} failed runs)  payload ratio {:.4}\n\
             {:.1} s wall, {:.2} M cycles/s per simulator, {} jobs",
            s.engine,
            s.files,
            s.runs,
            s.channels,
            s.samples,
            s.cycles,
            s.stall_cycles,
            s.words,
            s.expected_words,
            s.mismatches,
            s.failed_runs,
            s.ratio,
            s.seconds,
            s.cycles_per_second / 1e6,
            s.jobs
        );
        if let Some(f) = &s.first_failure {
            println!("first failure in {}: {:?}", f.label, f.mismatch);
        }
        println!(
            "{}",
            if s.mismatches == 0 {
                "bit-exact with the golden model"
            } else {
                "MISMATCH with the golden model"
            }
        );
    }
    Ok(if s.mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

// ---------------------------------------------------------------------------------------

#[derive(Args)]
pub struct VerilogArgs {
    /// Output folder (created if missing).
    #[arg(short, long)]
    out: PathBuf,
    /// Channels of state the core is built for (1..=1024).
    #[arg(long, default_value_t = 1024)]
    channels: usize,
    /// Replace files that exist.
    #[arg(long)]
    force: bool,
    /// Skip the Verilator lint and the yosys checks.
    #[arg(long)]
    no_check: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct VerilogReport {
    files: Vec<PathBuf>,
    top: &'static str,
    channels: usize,
    verilator_lint: String,
    yosys_check: String,
}

/// Creates an output folder (and its parents), saying so when the path is something else.
pub fn create_out_dir(dir: &Path) -> Result<()> {
    if let Ok(m) = std::fs::metadata(dir) {
        if !m.is_dir() {
            bail!(
                "{} is not a directory (-o names an output folder)",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Writes `text` to `path` unless it exists and `force` is off.
fn write_new(path: &Path, text: &str, force: bool) -> Result<()> {
    crate::files::write_output(path, text.as_bytes(), force)
}

/// `yosys`: hierarchy, processes, no latches, no problems (`check -assert`).
fn yosys_check(verilog_file: &Path, top: &str, log: &Path) -> Result<()> {
    let script = format!(
        "read_verilog {}; hierarchy -check -top {top}; proc; \
         select -assert-none t:$dlatch t:$adlatch t:$dlatchsr; opt; check -assert",
        verilog_file.display()
    );
    let out = Command::new(std::env::var("NEURICE_YOSYS").unwrap_or_else(|_| "yosys".into()))
        .args(["-q", "-l"])
        .arg(log)
        .args(["-p", &script])
        .output()
        .context("running yosys (install it with sudo scripts/install-tools.sh)")?;
    if !out.status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        bail!(
            "yosys check failed ({}); log {}:\n{}",
            out.status,
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(())
}

pub fn verilog(a: VerilogArgs) -> Result<ExitCode> {
    let text = neurice_hdl::verilog(&CodecParams::HARDWARE, a.channels)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    create_out_dir(&a.out)?;
    let core = a.out.join("neurice_core.v");
    let board = a.out.join("alchitry_cu_top.v");
    let pcf = a.out.join("alchitry_cu.pcf");
    let board_text = neurice_bsp::board_verilog(&neurice_bsp::BoardParams::default())?;
    for p in [&core, &board, &pcf] {
        if p.exists() && !a.force {
            bail!(
                "{} already exists; not overwriting it (use --force to replace it)",
                p.display()
            );
        }
    }
    write_new(&core, &text, a.force)?;
    write_new(&board, &board_text, a.force)?;
    write_new(&pcf, &neurice_bsp::pcf(), a.force)?;
    // logs of an earlier check must not pass for this run's
    let logs = a.out.join("checks");
    if logs.is_dir() {
        std::fs::remove_dir_all(&logs)
            .with_context(|| format!("removing the old check logs in {}", logs.display()))?;
    }
    let mut rep = VerilogReport {
        files: vec![core.clone(), board.clone(), pcf.clone()],
        top: "top",
        channels: a.channels,
        verilator_lint: "not run (--no-check)".into(),
        yosys_check: "not run (--no-check)".into(),
    };
    let mut ok = true;
    if !a.no_check {
        rep.verilator_lint = if verilator::available() {
            match verilator::lint(&text, "top", &logs) {
                Ok(()) => {
                    "clean (verilator --lint-only -Wall, waivers in sim/harness/lint.vlt)".into()
                }
                Err(e) => {
                    ok = false;
                    format!("FAILED: {e:#}")
                }
            }
        } else {
            ok = false;
            "FAILED: verilator not found (run sudo scripts/install-tools.sh, or --no-check)".into()
        };
        std::fs::create_dir_all(&logs)?;
        rep.yosys_check = match yosys_check(&core, "top", &logs.join("yosys_check.log")) {
            Ok(()) => "clean (hierarchy -check, no latches, check -assert)".into(),
            Err(e) => {
                ok = false;
                format!("FAILED: {e:#}")
            }
        };
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        println!(
            "wrote {} (core, top module `top`, {} channels)\n      {} (Alchitry Cu board top, module `top`, 1024 channels, {} MHz core clock)\n      {}\ncore verilator lint: {}\ncore yosys check: {}",
            core.display(),
            a.channels,
            board.display(),
            neurice_bsp::BoardParams::default().core_mhz,
            pcf.display(),
            rep.verilator_lint,
            rep.yosys_check
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

// ---------------------------------------------------------------------------------------

#[derive(Args)]
pub struct SynthArgs {
    /// Target clock for nextpnr, MHz.
    #[arg(long, default_value_t = 60.0)]
    freq: f64,
    /// Channels of state (1..=1024).
    #[arg(long, default_value_t = 1024)]
    channels: usize,
    /// Place-and-route seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (default build/synth-<channels>ch).
    #[arg(short, long)]
    out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

/// Checks a clock target in MHz.
pub fn check_freq(flag: &str, freq: f64) -> Result<()> {
    if !(freq > 0.0 && freq <= 500.0) {
        bail!("{flag} must be in (0, 500] MHz, got {freq}");
    }
    Ok(())
}

/// Checks a channel count of the core.
pub fn check_channels(channels: usize) -> Result<()> {
    if !(1..=1024).contains(&channels) {
        bail!("--channels must be 1..=1024, got {channels}");
    }
    Ok(())
}

/// Synthesises, places and routes the core alone (I/O placed by nextpnr).
pub fn synth_core(
    channels: usize,
    freq: f64,
    seed: u64,
    out: &Path,
) -> Result<neurice_synth::SynthReport> {
    check_freq("--freq", freq)?;
    let text = neurice_hdl::verilog(&CodecParams::HARDWARE, channels)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut cfg =
        neurice_synth::FlowConfig::new(neurice_synth::flow::VerilogSource::Text(text), "top", out);
    cfg.freq_mhz = freq;
    cfg.seed = seed;
    cfg.channels = channels;
    neurice_synth::run_flow(&cfg)
}

pub fn synth(a: SynthArgs) -> Result<ExitCode> {
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from(format!("build/synth-{}ch", a.channels)));
    check_freq("--freq", a.freq)?;
    check_channels(a.channels)?;
    if !a.json {
        eprintln!("yosys → nextpnr-ice40 → icepack in {} …", out.display());
    }
    let r = synth_core(a.channels, a.freq, a.seed, &out)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", neurice_synth::render_text(&r));
    }
    // A missed timing target is a result, reported with exit code 2.
    Ok(if r.timing_met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

// ---------------------------------------------------------------------------------------

#[derive(Args)]
pub struct BitstreamArgs {
    /// Output folder (created if missing; the flow's own files in it are replaced).
    #[arg(short, long, default_value = "build/bitstream")]
    out: PathBuf,
    /// Core clock from the PLL, MHz (a row of the bsp's icepll table: 40, 48, 50, 60).
    #[arg(long, default_value_t = neurice_bsp::pll::DEFAULT_CORE_MHZ)]
    core_mhz: u32,
    /// UART bit rate.
    #[arg(long, default_value_t = neurice_bsp::DEFAULT_BAUD)]
    baud: u32,
    /// Place-and-route seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// The Alchitry Cu bitstream: board top (PLL, UART, FIFOs, LEDs, 1024-channel core) with the
/// pin constraints, through the same staged flow; `top.bin` is what `iceprog` programs.
pub fn bitstream(a: BitstreamArgs) -> Result<ExitCode> {
    let params = neurice_bsp::BoardParams {
        core_mhz: a.core_mhz,
        baud: a.baud,
        ..Default::default()
    };
    let text = neurice_bsp::board_verilog(&params)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let pcf = a.out.join("alchitry_cu.pcf");
    std::fs::write(&pcf, neurice_bsp::pcf())
        .with_context(|| format!("writing {}", pcf.display()))?;
    let mut cfg = neurice_synth::FlowConfig::new(
        neurice_synth::flow::VerilogSource::Text(text),
        "top",
        &a.out,
    );
    cfg.pcf = Some(pcf);
    cfg.freq_mhz = a.core_mhz as f64;
    cfg.seed = a.seed;
    cfg.channels = 1024;
    if !a.json {
        eprintln!(
            "Alchitry Cu top at {} MHz: yosys → nextpnr-ice40 → icepack in {} …",
            a.core_mhz,
            a.out.display()
        );
    }
    let r = neurice_synth::run_flow(&cfg)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", neurice_synth::render_text(&r));
        println!(
            "program the board with: iceprog {}",
            r.outputs.bin.display()
        );
    }
    Ok(if r.timing_met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
