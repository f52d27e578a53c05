//! `neurice flow`: the main job (`neurice_flow::Flow`): golden-model eval, Verilator
//! co-simulation of the core on the recordings (1024 channels interleaved), Verilog with its
//! lint, iCE40 synthesis once, power from the activity of that synthesised netlist, ASIC
//! area — into one report folder (`report.json` first, `index.html` with SVG charts).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::ProgressBar;

use neurice_flow::{Flow, FlowConfig, DEFAULT_SEED};
use neurice_sim::PowerDuty;
use neurice_sim::MAX_CHANNELS;

use crate::coder_args::{CoderArgs, CoderChoice};
use crate::files::{collect_wavs, default_data_dir};
use crate::hw_cmds::progress_bar;

#[derive(Args)]
pub struct FlowArgs {
    /// Recordings folder (default: the data folder the README names).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Report folder (created if missing; the flow's own files in it are replaced).
    #[arg(short, long, default_value = "build/report")]
    out: PathBuf,
    /// Synthesis target and power clock, MHz [default: the coder's board clock: lite 60,
    /// v2 20].
    #[arg(long)]
    freq: Option<f64>,
    /// Place-and-route seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Samples per recording in the co-simulation [default: 5000, a first look; all with
    /// --full].
    #[arg(long)]
    max_samples: Option<usize>,
    /// Clock cycles traced for the power estimate's switching activity [default: 20000, a
    /// first look; 100000 with --full].
    #[arg(long)]
    power_cycles: Option<u64>,
    /// Everything: co-simulate every sample of every recording and trace 100000 cycles for
    /// power (the defaults are sized for a first look; the report says what was run).
    #[arg(long)]
    full: bool,
    /// Lanes: samples the core codes per clock (1, or 2: a channel pair per clock, half the
    /// clock for the same channels).
    #[arg(long, default_value_t = 1)]
    lanes: usize,
    #[command(flatten)]
    coder: CoderArgs,
    /// FPGA: hx8k (iCE40HX8K-CB132, the Alchitry Cu) or up5k (iCE40UP5K-SG48, low power).
    #[arg(long, default_value = "hx8k")]
    device: neurice_synth::Device,
    /// Print report.json to stdout instead of the summary.
    #[arg(long)]
    json: bool,
}

pub fn flow(a: FlowArgs) -> Result<ExitCode> {
    let quiet = a.json;
    // An explicit --data must exist; the default folder may be absent (synthetic run).
    let data = a
        .data
        .clone()
        .or_else(|| default_data_dir().filter(|d| d.is_dir()));
    let files = match &data {
        Some(d) => {
            crate::files::check_data_dir(d)?;
            collect_wavs(std::slice::from_ref(d))?
        }
        None => Vec::new(),
    };
    let coders = a.coder.coders(CoderChoice::Both)?;
    let both = coders.len() > 1;
    if let Ok(m) = std::fs::metadata(&a.out) {
        if !m.is_dir() {
            bail!(
                "{} is not a directory (-o names the report folder)",
                a.out.display()
            );
        }
    }
    // every coder's configuration is built and checked before the first stage runs
    let cfgs = coders
        .iter()
        .map(|&coder| {
            let design = a.coder.design_of(coder, MAX_CHANNELS, a.lanes)?;
            let cfg = FlowConfig {
                design,
                device: a.device,
                files: files.clone(),
                data_dir: data.clone(),
                out: if both {
                    neurice_flow::compare::coder_dir(&a.out, coder)
                } else {
                    a.out.clone()
                },
                freq_mhz: a.freq.unwrap_or(design.facts().board_mhz),
                seed: a.seed,
                max_samples: crate::first_look::max_samples(a.max_samples, a.full),
                power_cycles: crate::first_look::power_cycles(a.power_cycles, a.full),
                jobs: neurice_sim::verilator::default_jobs(),
                verbose: !quiet,
            };
            cfg.validate()
                .with_context(|| format!("--coder {}", coder.name()))?;
            Ok(cfg)
        })
        .collect::<Result<Vec<_>>>()?;
    if !quiet {
        if let Some(c) = cfgs.first() {
            eprintln!(
                "run: {}{}",
                c.scope(),
                if a.full {
                    ""
                } else {
                    " (a first look; --full runs everything)"
                }
            );
        }
        if files.is_empty() {
            eprintln!(
                "no recordings found: put the Neuralink challenge WAVs in ../shared/data/neuralink \
                 or pass --data DIR (see README). Running on a SYNTHETIC recording instead."
            );
        }
        for c in &cfgs {
            if c.design.facts().power_duty == PowerDuty::FullThroughput {
                eprintln!(
                    "coder {}: clock {} MHz; its power is measured at full throughput (its core \
                     does not code {} channels in real time)",
                    c.design.kind(),
                    c.freq_mhz,
                    c.design.channels()
                );
            }
        }
    }
    // one bar per stage that reports progress (eval: files, co-simulation: samples)
    let bar: Mutex<Option<(String, ProgressBar)>> = Mutex::new(None);
    let progress = |stage: &str, done: u64, total: u64| {
        if quiet {
            return;
        }
        let mut b = bar.lock().expect("progress lock");
        if b.as_ref().is_none_or(|(s, _)| s != stage) {
            if let Some((_, old)) = b.take() {
                old.finish_and_clear();
            }
            *b = Some((stage.to_string(), progress_bar(total, stage, false)));
        }
        if let Some((_, pb)) = b.as_ref() {
            pb.set_length(total);
            pb.set_position(done);
        }
    };
    let finish = || {
        if let Some((_, pb)) = bar.lock().expect("progress lock").take() {
            pb.finish_and_clear();
        }
    };
    if both {
        let c = neurice_flow::compare::run_coders(cfgs, &a.out, &|coder, stage, d, t| {
            progress(&format!("{} {stage}", coder.name()), d, t)
        });
        finish();
        let c = c?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&c)?);
        } else {
            print!("{}", neurice_flow::compare::render_text(&c, &a.out));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = cfgs.into_iter().next().expect("one coder");
    let flow = Flow::new(cfg)?;
    let report = flow.run(&progress);
    finish();
    let report = report?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", neurice_flow::report::render_text(&report, &a.out));
    }
    Ok(ExitCode::SUCCESS)
}
