//! `neurice power`: power and energy of the core on the iCE40 HX8K, from the placed design's
//! resources and switching activity measured on recordings (gate-level netlist, Verilator),
//! through the model in `neurice_synth::power` (figures and their sources listed there).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;

use neurice_sim::activity::{self, ActivityReport};
use neurice_sim::verilator::{self, Pattern};
use neurice_sim::Stimulus;
use neurice_synth::power::{
    estimate_power, render_power, PowerInput, PowerReport, Resources, SystemParams,
};

use crate::files::{collect_wavs, default_data_dir};

#[derive(Args)]
pub struct PowerArgs {
    /// Core clock, MHz (also the synthesis target).
    #[arg(long, default_value_t = 60.0)]
    freq: f64,
    /// Channels (1..=1024), each sampled at 20 kHz.
    #[arg(long, default_value_t = 1024)]
    channels: usize,
    /// Recordings folder for the activity (default: the README's data folder).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Clock cycles traced for the activity (after one adaptation window of warm-up).
    #[arg(long, default_value_t = 100_000)]
    cycles: u64,
    /// Work folder (synthesis, traced Verilator build, logs).
    #[arg(short, long, default_value = "build/power")]
    out: PathBuf,
    #[arg(long)]
    json: bool,
}

/// Everything `neurice power --json` prints.
#[derive(Serialize)]
pub struct PowerSummary {
    /// The power estimate (low / typical / high; sources in `assumptions` and the model),
    /// flattened: `static_mw`, `dynamic_mw`, `total_mw`, `uw_per_channel`, `nj_per_sample`,
    /// `clock_mhz`, `activity_source`, `system`, … at the top level.
    #[serde(flatten)]
    pub power: PowerReport,
    /// How the switching activity was measured.
    pub activity: ActivityReport,
    /// Fmax and resources of the design the activity and power refer to.
    pub synthesis: neurice_synth::SynthReport,
}

/// The stimulus for the activity run: recordings interleaved as `channels` channels, offered
/// at the real-time rate for `freq`, or a generated one labelled SYNTHETIC.
fn stimulus(data: Option<&Path>, channels: usize, gap: u32, needed: usize) -> Result<Stimulus> {
    let frames = needed.div_ceil(channels) + 1;
    let pattern = Pattern {
        input_gap_per_mille: gap,
        backpressure_per_mille: 0,
        seed: 1,
    };
    if let Some(d) = data {
        let files = collect_wavs(&[d.to_path_buf()])?;
        let mut s = verilator::load_stimuli(&files, channels, Some(frames), pattern, 2)?;
        return Ok(s.swap_remove(0));
    }
    let mut r = neurice_sim::XorShift64::new(42);
    let samples = (0..frames * channels)
        .map(|i| {
            let t = (i / channels) as f64;
            let v = 512.0 + 150.0 * (t / 23.0).sin() + (r.next_u64() % 13) as f64 - 6.0;
            v.clamp(0.0, 1023.0) as u16
        })
        .collect();
    Ok(Stimulus {
        channels,
        samples,
        input_gap_per_mille: gap,
        backpressure_per_mille: 0,
        seed: 1,
        label: format!("SYNTHETIC: {channels} channels of generated sines and noise"),
    })
}

/// Checks the power run's arguments before any stage runs (`cycles_flag`: how the caller
/// names the traced-cycles option); returns the idle-input share for the real-time rate.
pub fn check_power_args(freq: f64, channels: usize, cycles: u64, cycles_flag: &str) -> Result<u32> {
    crate::hw_cmds::check_freq("--freq", freq)?;
    crate::hw_cmds::check_channels(channels)?;
    if cycles < 1000 {
        bail!("{cycles_flag} must be at least 1000, got {cycles}");
    }
    activity::gap_per_mille_for_clock(freq, channels, neurice_synth::power::SAMPLE_RATE_HZ)
        .with_context(|| format!("--freq {freq}"))
}

/// Synthesis, activity measurement and the power model (also used by `neurice flow`).
pub fn run_power(
    freq: f64,
    channels: usize,
    data: Option<&Path>,
    cycles: u64,
    out: &Path,
    quiet: bool,
) -> Result<PowerSummary> {
    let gap = check_power_args(freq, channels, cycles, "--cycles")?;
    if !quiet {
        eprintln!("[1/3] synthesis at {freq} MHz for {channels} channels …");
    }
    let synthesis = crate::hw_cmds::synth_core(channels, freq, 1, &out.join("synth"))?;
    let netlist_path = &synthesis.outputs.netlist_verilog;
    let netlist = std::fs::read_to_string(netlist_path)
        .with_context(|| format!("reading the netlist {}", netlist_path.display()))?;
    if !quiet {
        eprintln!(
            "[2/3] switching activity: gate-level netlist in Verilator, {channels} channels at the real-time rate for {freq} MHz ({gap}‰ idle input cycles), {cycles} traced cycles …"
        );
    }
    let warmup = 64 * channels as u64; // one adaptation window per channel
    let stim = stimulus(
        data,
        channels,
        gap,
        activity::samples_needed(gap, warmup, cycles),
    )?;
    let act = activity::measure(
        &netlist,
        "top",
        &stim,
        &out.join("activity"),
        warmup,
        cycles,
    )?;
    if !quiet {
        eprintln!("[3/3] power model …");
    }
    let w = &act.window;
    if w.samples_per_clock <= 0.0 {
        bail!("the activity window took no samples");
    }
    // compressed size measured in the same window (payload words of the core)
    let bits_per_sample = 32.0 * w.words_per_clock / w.samples_per_clock;
    let input = PowerInput {
        clock_mhz: freq,
        channels,
        resources: Resources::from_synth(&synthesis),
        activity: act.activity.clone(),
        system: SystemParams::new(bits_per_sample),
    };
    let power = estimate_power(&input)?;
    Ok(PowerSummary {
        power,
        activity: act,
        synthesis,
    })
}

pub fn power(a: PowerArgs) -> Result<ExitCode> {
    let data = match &a.data {
        Some(d) if !d.is_dir() => bail!("{}: no such folder", d.display()),
        Some(d) => Some(d.clone()),
        None => default_data_dir().filter(|d| d.is_dir()),
    };
    if data.is_none() && !a.json {
        eprintln!(
            "no recordings found (see README): measuring the activity on a SYNTHETIC recording"
        );
    }
    let s = run_power(
        a.freq,
        a.channels,
        data.as_deref(),
        a.cycles,
        &a.out,
        a.json,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", render_power(&s.power));
        println!("activity: {}", s.activity.activity.activity_source);
    }
    Ok(ExitCode::SUCCESS)
}
