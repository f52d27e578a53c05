//! `neurice flow`: the main job (`neurice_flow::Flow`): golden-model eval, Verilator
//! co-simulation of the core on the recordings (1024 channels interleaved), Verilog with its
//! lint, iCE40 synthesis once, power from the activity of that synthesised netlist, ASIC
//! area — into one report folder (`report.json` first, `index.html` with SVG charts).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Result};
use clap::Args;
use indicatif::ProgressBar;

use neurice_flow::{Flow, FlowConfig, DEFAULT_FREQ_MHZ, DEFAULT_POWER_CYCLES, DEFAULT_SEED};
use neurice_sim::{CoreDesign, MAX_CHANNELS};

use crate::coder_args::CoderArgs;
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
    /// Synthesis target and power clock, MHz.
    #[arg(long, default_value_t = DEFAULT_FREQ_MHZ)]
    freq: f64,
    /// Place-and-route seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Samples per recording in the co-simulation (default: all).
    #[arg(long)]
    max_samples: Option<usize>,
    /// Clock cycles traced for the power estimate's switching activity.
    #[arg(long, default_value_t = DEFAULT_POWER_CYCLES)]
    power_cycles: u64,
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
    crate::hw_cmds::check_lanes_arg(MAX_CHANNELS, a.lanes, "channel count")?;
    // An explicit --data must exist; the default folder may be absent (synthetic run).
    let data = a
        .data
        .clone()
        .or_else(|| default_data_dir().filter(|d| d.is_dir()));
    let files = match &data {
        Some(d) => {
            if !d.is_dir() {
                bail!(
                    "--data {}: {}",
                    d.display(),
                    if d.exists() {
                        "not a folder"
                    } else {
                        "no such folder"
                    }
                );
            }
            collect_wavs(std::slice::from_ref(d))?
        }
        None => Vec::new(),
    };
    let cfg = FlowConfig {
        design: CoreDesign::with_lanes(v1_only(&a.coder, "flow")?, MAX_CHANNELS, a.lanes)?,
        device: a.device,
        files,
        data_dir: data,
        out: a.out.clone(),
        freq_mhz: a.freq,
        seed: a.seed,
        max_samples: a.max_samples,
        power_cycles: a.power_cycles,
        jobs: neurice_sim::verilator::default_jobs(),
        verbose: !quiet,
    };
    cfg.validate()?;
    if cfg.files.is_empty() && !quiet {
        eprintln!(
            "no recordings found: put the Neuralink challenge WAVs in ../shared/data/neuralink \
             or pass --data DIR (see README). Running on a SYNTHETIC recording instead."
        );
    }
    let flow = Flow::new(cfg)?;
    // one bar per stage that reports progress (eval: files, co-simulation: samples)
    let bar: Mutex<Option<(String, ProgressBar)>> = Mutex::new(None);
    let report = flow.run(&|stage, done, total| {
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
    });
    if let Some((_, pb)) = bar.lock().expect("progress lock").take() {
        pb.finish_and_clear();
    }
    let report = report?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", neurice_flow::report::render_text(&report, &a.out));
    }
    Ok(ExitCode::SUCCESS)
}

/// Coder v1's parameters for a command that does not build the v2 core yet.
pub(crate) fn v1_only(
    coder: &crate::coder_args::CoderArgs,
    command: &str,
) -> Result<neurice_model::CodecParams> {
    if coder.coders(crate::coder_args::CoderChoice::Lite) != [neurice_model::Coder::Lite] {
        anyhow::bail!("`neurice {command}` runs coder v1 (lite) only so far; --coder max is not supported here yet");
    }
    coder.params()
}
