//! `neurice power`: power and energy of the core on the iCE40 HX8K, from the placed design's
//! resources and switching activity measured on recordings (its gate-level netlist in
//! Verilator), through the model in `neurice_synth::power` (figures and sources listed there).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use neurice_flow::power::{check_power_args, measure_power};
use neurice_flow::{synth_design, DEFAULT_POWER_CYCLES, DEFAULT_SEED};
use neurice_sim::MAX_CHANNELS;
use neurice_synth::power::render_power;

use crate::coder_args::CoderArgs;
use crate::files::{collect_wavs, default_data_dir};

#[derive(Args)]
pub struct PowerArgs {
    /// Core clock, MHz (also the synthesis target) [default: the coder's default
    /// clock: lite 60, max 50, events 20.48].
    #[arg(long)]
    freq: Option<f64>,
    /// Channels (1..=1024), each sampled at 20 kHz.
    #[arg(long, default_value_t = MAX_CHANNELS)]
    channels: usize,
    /// Lanes: samples the core codes per clock (1, or 2: a channel pair per clock, half the
    /// clock for the same channels; needs an even channel count).
    #[arg(long, default_value_t = 1)]
    lanes: usize,
    #[command(flatten)]
    coder: CoderArgs,
    /// FPGA: hx8k (iCE40HX8K-CB132, the Alchitry Cu) or up5k (iCE40UP5K-SG48, low power).
    #[arg(long, default_value = "hx8k")]
    device: neurice_synth::Device,
    /// Recordings folder for the activity (default: the README's data folder).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Clock cycles traced for the activity (after one adaptation window of warm-up).
    #[arg(long, default_value_t = DEFAULT_POWER_CYCLES)]
    cycles: u64,
    /// Work folder (synthesis, traced Verilator build, logs).
    #[arg(short, long, default_value = "build/power")]
    out: PathBuf,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

pub fn power(a: PowerArgs) -> Result<ExitCode> {
    check_power_args(a.channels, a.cycles)?;
    let design = a.coder.design(a.channels, a.lanes)?;
    let freq = a.freq.unwrap_or(design.facts().board_mhz);
    neurice_flow::check_freq("--freq", freq)?;
    // at the design's power duty: real time needs a clock fast enough for the channels
    design
        .power_gap_per_mille(freq)
        .with_context(|| format!("--freq {freq}"))?;
    let data = match &a.data {
        Some(d) => {
            crate::files::check_data_dir(d)?;
            Some(d.clone())
        }
        None => default_data_dir().filter(|d| d.is_dir()),
    };
    let files = match &data {
        Some(d) => collect_wavs(std::slice::from_ref(d))?,
        None => {
            if !a.json {
                eprintln!(
                    "no recordings found (see README): measuring the activity on a SYNTHETIC \
                     recording"
                );
            }
            Vec::new()
        }
    };
    if !a.json {
        eprintln!(
            "[1/2] synthesis for the {} at {} MHz, {} channels, {} lane(s) …",
            a.device.part(),
            freq,
            a.channels,
            a.lanes
        );
    }
    let rtl = design.verilog()?;
    let synthesis = synth_design(
        &design,
        a.device,
        &rtl,
        freq,
        DEFAULT_SEED,
        &a.out.join("synth"),
    )?;
    if !a.json {
        eprintln!("[2/2] switching activity and the power model …");
    }
    let s = measure_power(
        &design,
        &synthesis,
        &files,
        a.cycles,
        &a.out.join("activity"),
        !a.json,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", render_power(&s.power));
        println!("activity: {}", s.activity.activity.activity_source);
        println!(
            "BRAM accesses per sample: {:.2} reads, {:.2} writes",
            s.activity.window.bram_reads_per_sample, s.activity.window.bram_writes_per_sample
        );
        if let Some(c) = &s.curves {
            let pts = |v: &[neurice_flow::power::PowerPoint],
                       f: fn(&neurice_flow::power::PowerPoint) -> String| {
                v.iter()
                    .map(|p| format!("{} {:.2}", f(p), p.total_mw.typical))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            println!(
                "typical mW against the clock (real-time minimum {:.2} MHz): {}",
                c.real_time_min_mhz,
                pts(&c.by_clock, |p| format!("{:.2} MHz", p.clock_mhz))
            );
            println!(
                "typical mW against the channel count: {}",
                pts(&c.by_channels, |p| format!("{} ch", p.channels))
            );
            println!("({})", c.method);
        }
    }
    Ok(ExitCode::SUCCESS)
}
