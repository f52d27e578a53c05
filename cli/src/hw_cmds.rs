//! `sim`, `verilog` and `synth`: the hardware core simulated, emitted and implemented.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use neurice_sim::verilator;
use neurice_sim::{
    CoreDesign, Engine, Pattern, RunOptions, RunSummary, SimReport, Stimulus, MAX_CHANNELS,
};

use neurice_flow::{check_channels, check_freq, LintStatus};

use crate::coder_args::{CoderArgs, PacketArgs};
use crate::files::{collect_wavs, default_data_dir};

#[derive(Args)]
pub struct SimArgs {
    /// Recordings: WAV files and/or folders of them (default: the Neuralink data folder).
    inputs: Vec<PathBuf>,
    /// Simulator: rusthdl, verilator or gatelevel.
    #[arg(long, default_value = "verilator")]
    engine: Engine,
    #[command(flatten)]
    coder: CoderArgs,
    #[command(flatten)]
    packets: PacketArgs,
    /// Channels per run: 1 = one run per file; N = N files interleaved as N channels.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Lanes: samples the core codes per clock (1, or 2: a channel pair per clock, half the
    /// clock for the same channels; needs an even channel count).
    #[arg(long, default_value_t = 1)]
    lanes: usize,
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
    pub files: usize,
    #[serde(flatten)]
    pub run: RunSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_run: Option<Vec<SimReport>>,
}

pub fn progress_bar(total: u64, what: &str, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{percent:>3}}% {{human_pos}}/{{human_len}}, {{elapsed}} (eta {{eta}})"
        ))
        .expect("valid template"),
    );
    pb
}

/// Simulates prepared stimuli of `design` with one engine, with a progress bar unless quiet.
pub fn run_stimuli(
    engine: Engine,
    design: &CoreDesign,
    stims: &[Stimulus],
    opts: &RunOptions,
    quiet: bool,
) -> Result<(RunSummary, Vec<SimReport>)> {
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    let pb = progress_bar(total, engine.name(), quiet);
    let r = neurice_sim::run(engine, design, stims, opts, &|n| pb.set_position(n));
    pb.finish_and_clear();
    r
}

pub(crate) fn inputs_or_default(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
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
    check_channels(a.channels)?;
    // the core keeps state for every channel; the packet core is built for the frame
    let state_channels = if a.packets.packets {
        a.channels
    } else {
        MAX_CHANNELS
    };
    let design = a.packets.design(&a.coder, state_channels, a.lanes)?;
    // the stimuli's channels must suit the design too (e.g. pairs for two lanes); the event
    // core is built for frames of exactly those channels
    let with = design.with_channels(a.channels)?;
    let design = if design.event_params().is_some() {
        with
    } else {
        design
    };
    let jobs = match a.jobs {
        Some(n) => crate::files::check_workers("--jobs", n)?,
        None => verilator::default_jobs().max(1),
    };
    if a.max_samples == Some(0) {
        bail!("--max-samples must be at least 1 (0 would compare nothing)");
    }
    let pattern = Pattern {
        input_gap_per_mille: a.gap,
        backpressure_per_mille: a.backpressure,
        seed: a.seed,
    };
    pattern.validate().context("--gap and --backpressure")?;
    let files = inputs_or_default(&a.inputs)?;
    let stims = neurice_sim::load_stimuli(
        design.coder(),
        &files,
        a.channels,
        a.max_samples,
        None,
        pattern,
        jobs,
    )?;
    let opts = RunOptions {
        jobs,
        build_dir: a.build_dir.clone(),
        netlist: None,
        verbose: !a.json,
    };
    if design.packets().is_some() {
        return sim_packets(a.engine, &design, &stims, &opts, files.len(), a.json);
    }
    let (run, reports) = run_stimuli(a.engine, &design, &stims, &opts, a.json)?;
    let s = SimSummary {
        files: files.len(),
        run,
        per_run: a.per_run.then_some(reports),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        let r = &s.run;
        println!(
            "{} simulation of {}: {} file(s), {} run(s) of {} channel(s)\n\
             samples {}  cycles {}  stalls {}  words {}/{} expected\n\
             mismatches {}  ({} failed runs)  payload ratio {:.4}\n\
             {:.1} s wall, {:.2} M cycles/s per simulator, {} jobs",
            r.engine,
            if r.design.event_params().is_some() {
                "event mode (the event core against the event model, FORMAT.md §12)".to_string()
            } else {
                format!("coder {}", r.coder)
            },
            s.files,
            r.runs,
            r.channels,
            r.samples,
            r.cycles,
            r.stall_cycles,
            r.words,
            r.expected_words,
            r.mismatches,
            r.failed_runs,
            r.ratio,
            r.seconds,
            r.cycles_per_second / 1e6,
            r.jobs
        );
        if let Some(f) = &r.first_failure {
            println!("first failure in {}: {:?}", f.label, f.mismatch);
        }
        println!(
            "{}",
            if r.passed() {
                "bit-exact with the golden model"
            } else {
                "MISMATCH with the golden model"
            }
        );
    }
    Ok(if s.run.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What `neurice sim --packets --json` prints.
#[derive(Serialize)]
struct PacketSimSummary {
    files: usize,
    #[serde(flatten)]
    run: neurice_sim::packets::PacketSummary,
}

/// `sim --packets`: the packet core against the golden model's packet stream.
fn sim_packets(
    engine: Engine,
    design: &CoreDesign,
    stims: &[Stimulus],
    opts: &RunOptions,
    files: usize,
    quiet: bool,
) -> Result<ExitCode> {
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    let pb = progress_bar(total, engine.name(), quiet);
    let r = neurice_sim::packets::run(engine, design, stims, opts, &|n| pb.set_position(n));
    pb.finish_and_clear();
    let (run, _) = r?;
    let pk = design.packets().expect("a packet design");
    if quiet {
        let s = PacketSimSummary { files, run };
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(if s.run.passed() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    println!(
        "{} simulation of the coder-{} packet core (R = {} frames, P = {} bytes, one group): \
         {} file(s), {} run(s) of {} channel(s)\n\
         samples {}  cycles {}  stalls {}  packets {}/{} expected  words {}/{} expected\n\
         mismatches {}  ({} failed runs)  samples delivered by depacketise {}/{}, wrong {}\n\
         {:.1} s wall",
        run.engine,
        design.kind(),
        pk.segment_frames,
        pk.packet_bytes,
        files,
        run.runs,
        run.channels,
        run.samples,
        run.cycles,
        run.stall_cycles,
        run.packets,
        run.expected_packets,
        run.words,
        run.expected_words,
        run.mismatches,
        run.failed_runs,
        run.samples_delivered,
        run.samples,
        run.samples_wrong,
        run.seconds
    );
    if let Some(f) = &run.first_failure {
        println!("first failure: {f}");
    }
    println!(
        "{}",
        if run.passed() {
            if design.kind() == neurice_model::Coder::Max {
                "packets byte-exact with the golden model's (each substream's in order, SEQ \
                 and CRC-32 checked as sent); every sample recovered"
            } else {
                "packets byte-exact with the golden model; every sample recovered"
            }
        } else {
            "MISMATCH with the golden model's packet stream"
        }
    );
    Ok(if run.passed() {
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
    #[arg(long, default_value_t = MAX_CHANNELS)]
    channels: usize,
    /// Lanes: samples the core codes per clock (1, or 2: a channel pair per clock, half the
    /// clock for the same channels; needs an even channel count).
    #[arg(long, default_value_t = 1)]
    lanes: usize,
    #[command(flatten)]
    coder: CoderArgs,
    #[command(flatten)]
    packets: PacketArgs,
    /// Replace files that exist.
    #[arg(long)]
    force: bool,
    /// Skip the Verilator lint and the yosys checks.
    #[arg(long)]
    no_check: bool,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct VerilogReport {
    files: Vec<PathBuf>,
    coder: &'static str,
    top: &'static str,
    channels: usize,
    lanes: usize,
    verilator_lint: LintStatus,
    yosys_check: LintStatus,
}

/// Writes `text` to `path` unless it exists and `force` is off.
fn write_new(path: &Path, text: &str, force: bool) -> Result<()> {
    crate::files::write_output(path, text.as_bytes(), force)
}

/// `yosys`: hierarchy, processes, no latches, no problems (`check -assert`), through the one
/// tool runner (lookup with `$NEURICE_YOSYS`, log kept, exit code checked).
fn yosys_check(verilog_file: &Path, top: &str, log: &Path) -> Result<()> {
    let script = format!(
        "read_verilog {}; hierarchy -check -top {top}; proc; \
         select -assert-none t:$dlatch t:$adlatch t:$dlatchsr; opt; check -assert",
        verilog_file.display()
    );
    let yosys = neurice_synth::tools::find_tool("yosys")?;
    let mut cmd = Command::new(yosys);
    cmd.args(["-q", "-p", &script]);
    neurice_synth::tools::run_tool(&mut cmd, log).context("yosys check failed")?;
    Ok(())
}

pub fn verilog(a: VerilogArgs) -> Result<ExitCode> {
    let design = a.packets.design(&a.coder, a.channels, a.lanes)?;
    let text = design.verilog()?;
    crate::files::create_out_dir(&a.out)?;
    let core = a.out.join(crate::ip_files::CORE_V);
    let board = a.out.join("alchitry_cu_top.v");
    let pcf = a.out.join("alchitry_cu.pcf");
    // the board top carries the same core (not the packet core, not the event core, not coder
    // max's core with a maximum error: neurice_bsp::MAX_NEAR_NO_BOARD)
    let events = design.event_params().is_some();
    let board_params = match events || a.coder.board_spec().is_err() {
        true => None,
        false => Some(board_params(&a.coder, None, neurice_bsp::DEFAULT_BAUD)?),
    };
    let board_text = match (design.packets(), &board_params) {
        (None, Some(b)) => Some((neurice_bsp::board_verilog(b)?, b.core_mhz)),
        _ => None,
    };
    let mut files = vec![core.clone()];
    if board_text.is_some() {
        files.extend([board.clone(), pcf.clone()]);
    }
    // the IP files describe a coder core's ports and known answer (not the event core's yet)
    let ip = if events {
        crate::ip_files::IpFiles {
            files: Vec::new(),
            no_testbench: None,
        }
    } else {
        crate::ip_files::ip_files(&design, &text, &a.out)?
    };
    files.extend(ip.files.iter().map(|(p, _)| p.clone()));
    // every output is checked before any is written: all of them or none
    crate::files::check_outputs(&files, a.force)?;
    write_new(&core, &text, a.force)?;
    if let Some((b, _)) = &board_text {
        write_new(&board, b, a.force)?;
        write_new(&pcf, &neurice_bsp::pcf(), a.force)?;
    }
    for (p, t) in &ip.files {
        if let Some(dir) = p.parent() {
            crate::files::create_out_dir(dir)?;
        }
        write_new(p, t, a.force)?;
    }
    // logs of an earlier check must not pass for this run's
    let logs = a.out.join("checks");
    if logs.is_dir() {
        std::fs::remove_dir_all(&logs)
            .with_context(|| format!("removing the old check logs in {}", logs.display()))?;
    }
    let mut rep = VerilogReport {
        files,
        coder: design.name(),
        top: "top",
        channels: a.channels,
        lanes: a.lanes,
        verilator_lint: LintStatus::NotRun("--no-check".into()),
        yosys_check: LintStatus::NotRun("--no-check".into()),
    };
    if !a.no_check {
        let status = |r: Result<()>| match r {
            Ok(()) => LintStatus::Clean,
            Err(e) => LintStatus::Failed(format!("{e:#}")),
        };
        rep.verilator_lint = status(verilator::lint(&text, "top", &logs));
        std::fs::create_dir_all(&logs)?;
        rep.yosys_check = status(yosys_check(&core, "top", &logs.join("yosys_check.log")));
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        println!(
            "wrote {} ({} core, top module `top`, {} channels, {} lane(s))",
            core.display(),
            if events {
                "event mode's (FORMAT.md §12)".to_string()
            } else {
                format!("coder {}", rep.coder)
            },
            a.channels,
            a.lanes,
        );
        if let Some((_, core_mhz)) = &board_text {
            println!(
                "      {} (Alchitry Cu board top, module `top`, 1024 channels, {} MHz core clock)\n      {}",
                board.display(),
                core_mhz,
                pcf.display(),
            );
        } else {
            println!("      (no board top: the Alchitry Cu top carries the plain core of each coder, not the packet core, the event core or coder max's core with a maximum error)");
        }
        if events {
            println!("      (no IP files: the port table and the cocotb testbench describe the coder cores; the event core's ports are the coder cores' plus `out_last`, a segment's last word)");
        } else {
            println!(
            "      IP: neurice_core.core (FuseSoC CAPI2, targets default and lint), ports.md and ports.json (port table){}",
            if ip.no_testbench.is_none() {
                ", cocotb/ (testbench: the known-answer vector `multi`, `make` runs it)"
            } else {
                ""
            }
        );
            if let Some(why) = &ip.no_testbench {
                println!("      ({why})");
            }
        }
        println!(
            "core verilator lint (-Wall, waivers in sim/harness/lint.vlt): {}\ncore yosys check (hierarchy -check, no latches, check -assert): {}",
            rep.verilator_lint,
            rep.yosys_check
        );
    }
    let failed = |s: &LintStatus| matches!(s, LintStatus::Failed(_));
    Ok(
        if !failed(&rep.verilator_lint) && !failed(&rep.yosys_check) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

// ---------------------------------------------------------------------------------------

#[derive(Args)]
pub struct SynthArgs {
    /// Target clock for nextpnr, MHz [default: the coder's default clock: lite 60, max 50,
    /// events 20.48].
    #[arg(long)]
    freq: Option<f64>,
    /// Channels of state (1..=1024).
    #[arg(long, default_value_t = MAX_CHANNELS)]
    channels: usize,
    /// Lanes: samples the core codes per clock (1, or 2: a channel pair per clock, half the
    /// clock for the same channels; needs an even channel count).
    #[arg(long, default_value_t = 1)]
    lanes: usize,
    #[command(flatten)]
    coder: CoderArgs,
    #[command(flatten)]
    packets: PacketArgs,
    /// FPGA: hx8k (iCE40HX8K-CB132, the Alchitry Cu) or up5k (iCE40UP5K-SG48, low power).
    #[arg(long, default_value = "hx8k")]
    device: neurice_synth::Device,
    /// Place-and-route seed.
    #[arg(long, default_value_t = neurice_flow::DEFAULT_SEED)]
    seed: u64,
    /// Map multipliers to the DSP blocks (yosys `synth_ice40 -dsp`): the UP5K has 8, the HX8K
    /// none. Synthesis only: the power model has no DSP term, so `power` builds without them.
    #[arg(long)]
    dsp: bool,
    /// Output folder (default build/synth-<device>-<channels>ch, then -<lanes>lanes, -packets,
    /// -max or -events, and -dsp where they apply).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

pub fn synth(a: SynthArgs) -> Result<ExitCode> {
    check_channels(a.channels)?;
    let design = a.packets.design(&a.coder, a.channels, a.lanes)?;
    let coder = design.kind();
    let out = a.out.unwrap_or_else(|| {
        let lanes = if a.lanes == 1 {
            String::new()
        } else {
            format!("-{}lanes", a.lanes)
        };
        let packets = if a.packets.packets { "-packets" } else { "" };
        let dsp = if a.dsp { "-dsp" } else { "" };
        let coder = match coder {
            _ if design.event_params().is_some() => "-events",
            neurice_model::Coder::Max => "-max",
            neurice_model::Coder::V2 => "-v2",
            neurice_model::Coder::Lite => "",
        };
        PathBuf::from(format!(
            "build/synth-{}-{}ch{lanes}{packets}{coder}{dsp}",
            a.device, a.channels
        ))
    });
    let freq = a.freq.unwrap_or(design.facts().board_mhz);
    check_freq("--freq", freq)?;
    neurice_synth::flow::check_dsp(a.device, a.dsp)?;
    // as `power` and `flow`: a clock that codes the channels in real time where the design's
    // power is measured in real time
    design
        .power_gap_per_mille(freq)
        .with_context(|| format!("--freq {freq}"))?;
    if let Ok(m) = std::fs::metadata(&out) {
        if !m.is_dir() {
            bail!(
                "-o {}: {}, not a folder (-o names the build folder)",
                out.display(),
                crate::files::kind(&m)
            );
        }
    }
    // every argument is checked before the banner
    let rtl = design.verilog()?;
    if !a.json {
        eprintln!("yosys → nextpnr-ice40 → icepack in {} …", out.display());
    }
    let r = neurice_flow::synth_design_with(&design, a.device, &rtl, freq, a.seed, &out, a.dsp)?;
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
    /// Core clock from the PLL, MHz (a row of the bsp's icepll table: 16, 20, 24, 25, 40, 45,
    /// 48, 50, 60) [default: 60 for lite, 45 for max].
    #[arg(long)]
    core_mhz: Option<u32>,
    #[command(flatten)]
    coder: CoderArgs,
    /// UART bit rate.
    #[arg(long, default_value_t = neurice_bsp::DEFAULT_BAUD)]
    baud: u32,
    /// Place-and-route seed.
    #[arg(long, default_value_t = neurice_flow::DEFAULT_SEED)]
    seed: u64,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

/// The Alchitry Cu bitstream: board top (PLL, UART, FIFOs, LEDs, 1024-channel core) with the
/// pin constraints, through the same staged flow; `top.bin` is what `iceprog` programs.
/// The board top for the coder of `coder` (its parameters travel into the core), at
/// `core_mhz` or the coder's default clock.
fn board_params(
    coder: &CoderArgs,
    core_mhz: Option<u32>,
    baud: u32,
) -> Result<neurice_bsp::BoardParams> {
    let base = neurice_bsp::BoardParams::for_coder(coder.hardware_spec()?);
    Ok(neurice_bsp::BoardParams {
        core_mhz: core_mhz.unwrap_or(base.core_mhz),
        baud,
        ..base
    })
}

pub fn bitstream(a: BitstreamArgs) -> Result<ExitCode> {
    a.coder.board_spec()?; // coder max with δ > 0 is not on the board yet
    let params = board_params(&a.coder, a.core_mhz, a.baud)?;
    let core_mhz = params.core_mhz;
    let params = neurice_bsp::BoardParams {
        baud: a.baud,
        ..params
    };
    let text = neurice_bsp::board_verilog(&params)?;
    crate::files::create_out_dir(&a.out)?;
    let pcf = a.out.join("alchitry_cu.pcf");
    crate::files::write_output(&pcf, neurice_bsp::pcf().as_bytes(), true)?;
    let mut cfg = neurice_synth::SynthConfig::new(
        neurice_synth::flow::VerilogSource::Text(text),
        "top",
        &a.out,
    );
    cfg.pcf = Some(pcf);
    cfg.freq_mhz = core_mhz as f64;
    cfg.seed = a.seed;
    cfg.channels = 1024;
    cfg.realtime_unknown = a.coder.design(1024, 1)?.facts().realtime_unknown;
    if !a.json {
        eprintln!(
            "Alchitry Cu top (coder {}) at {} MHz: yosys → nextpnr-ice40 → icepack in {} …",
            a.coder.coder()?,
            core_mhz,
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
