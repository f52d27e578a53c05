//! Power from measured switching activity: the gate-level netlist of a synthesis run driven
//! by recordings at the real-time duty cycle (and compared word for word with the golden
//! model while it is traced), fed to the iCE40 power model of `neurice_synth::power`.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use neurice_model::CoderSpec;
use neurice_sim::activity::{self, ActivityReport};
use neurice_sim::{CoreDesign, Pattern, Stimulus, XorShift64};
use neurice_synth::power::{estimate_power, PowerInput, PowerReport, Resources, SystemParams};
use neurice_synth::SynthReport;

/// Everything `neurice power --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct PowerSummary {
    /// The power estimate (low / typical / high; sources in `assumptions` and the model),
    /// flattened: `static_mw`, `dynamic_mw`, `total_mw`, `uw_per_channel`, `nj_per_sample`,
    /// `clock_mhz`, `activity_source`, `system`, … at the top level.
    #[serde(flatten)]
    pub power: PowerReport,
    /// How the switching activity was measured.
    pub activity: ActivityReport,
    /// Fmax and resources of the design the activity and power refer to.
    pub synthesis: SynthReport,
    /// Which netlist the activity was measured on.
    pub netlist_source: String,
    /// Power against the clock and the channel count, scaled from this measurement.
    pub curves: Option<PowerCurves>,
    /// The core's sample rate and energy per sample at this clock.
    pub throughput: Throughput,
}

/// How many samples the core codes at its clock, and the energy per sample.
#[derive(Clone, Debug, Serialize)]
pub struct Throughput {
    /// What was measured ([`CoreDesign::name`]): a coder or `events`.
    pub coder: &'static str,
    pub clock_mhz: f64,
    /// Clock cycles per sample: the core's design figure `1 / lanes` (one transfer per lane
    /// on every clock).
    pub clocks_per_sample: f64,
    /// Samples per second the core codes at `clock_mhz`: `clock / clocks_per_sample`.
    pub samples_per_s: f64,
    /// Channels of 20 kHz the core codes in real time at this clock: `samples_per_s / 20 000`.
    pub real_time_channels: f64,
    /// FPGA energy per coded sample, nJ: total power / the samples per second of the
    /// measured run.
    pub nj_per_sample: neurice_synth::power::Band,
    /// µW per 20 kHz channel: total power / channels, measured at the real-time rate.
    pub uw_per_channel: neurice_synth::power::Band,
    /// How the figures were obtained.
    pub method: String,
}

/// A generated recording of `channels` channels (slow sines with noise), labelled SYNTHETIC,
/// for machines without the recordings.
pub fn synthetic_stimulus(design: &CoreDesign, channels: usize, frames: usize) -> Stimulus {
    let mut r = XorShift64::new(42);
    let mut samples = Vec::with_capacity(frames * channels);
    for t in 0..frames {
        for c in 0..channels {
            let s = 512.0
                + 150.0 * ((t as f64) / (20.0 + c as f64 % 17.0)).sin()
                + (r.next_u64() % 13) as f64
                - 6.0;
            samples.push(s.clamp(0.0, 1023.0) as u16);
        }
    }
    Stimulus::new(
        *design.coder(),
        channels,
        samples,
        &synthetic_label(channels),
    )
}

/// How a generated recording is labelled, in the stimulus and the report.
pub fn synthetic_label(channels: usize) -> String {
    format!("SYNTHETIC: {channels} channels of generated sines and noise (no recordings found)")
}

/// The stimulus for the activity run: the first `channels` recordings interleaved (only
/// those are read), offered at the real-time rate (`gap` ‰ idle input cycles), or a
/// generated one labelled SYNTHETIC.
fn activity_stimulus(
    design: &CoreDesign,
    files: &[std::path::PathBuf],
    channels: usize,
    gap: u32,
    needed: usize,
) -> Result<Stimulus> {
    let frames = needed.div_ceil(channels) + 1;
    let pattern = Pattern {
        input_gap_per_mille: gap,
        ..Pattern::STEADY
    };
    if files.is_empty() {
        return Ok(synthetic_stimulus(design, channels, frames).with_pattern(pattern));
    }
    let mut s = neurice_sim::load_stimuli(
        design.coder(),
        files,
        channels,
        Some(frames),
        Some(1),
        pattern,
        2,
    )?;
    Ok(s.swap_remove(0))
}

/// The checks of a power run, before anything runs.
pub fn check_power_args(channels: usize, cycles: u64) -> Result<()> {
    crate::check_channels(channels)?;
    if cycles < 1000 {
        bail!(
            "the traced window (--cycles, in flow --power-cycles) must be at least 1000 \
             cycles, got {cycles}"
        );
    }
    Ok(())
}

/// The power run's warm-up (clock cycles before the traced window) and the samples it needs,
/// for `design` offered samples with `gap` idle input cycles per mille and a window of
/// `cycles`.
fn warmup_and_needed(design: &CoreDesign, gap: u32, cycles: u64) -> Result<(u64, usize)> {
    let channels = design.channels();
    let lanes = design.lanes();
    // coder v1 and max: one adaptation window of transfers (max: of its A/N statistics)
    Ok(match design.coder() {
        // event mode: two noise periods and a power bin of frames (its noise estimate and
        // power sums under way), at the real-time duty
        _ if design.event_params().is_some() => {
            let p = design.event_params().expect("an event design");
            let frames = 2 * (1u64 << p.noise_period_log2) + p.bin_frames as u64;
            let w = frames * channels as u64 * 1000 / (1000 - gap as u64).max(1);
            (w, activity::samples_needed(gap, lanes, w, cycles))
        }
        CoderSpec::Max(s) => {
            let w = (1u64 << s.params.window_log2) * channels as u64;
            (w, activity::samples_needed(gap, lanes, w, cycles))
        }
        CoderSpec::V2(_) => bail!("{}", neurice_hdl::v2::CORE_RETIRED),
        CoderSpec::Lite(p) => {
            let w = (1u64 << p.window_log2) * (channels / lanes) as u64;
            (w, activity::samples_needed(gap, lanes, w, cycles))
        }
    })
}

/// Whether the power run of `design` at `freq_mhz` over `cycles` traced cycles uses the
/// quick (`-O0`) traced build ([`activity::quick_build`]): the flow's Verilator build started
/// beside nextpnr must build the same one.
pub fn quick_traced_build(design: &CoreDesign, freq_mhz: f64, cycles: u64) -> Result<bool> {
    let gap = design.power_gap_per_mille(freq_mhz)?;
    let (warmup, _) = warmup_and_needed(design, gap, cycles)?;
    Ok(activity::quick_build(warmup, cycles))
}

/// Activity and power of the design `synthesis` placed and routed (its gate-level netlist,
/// the one `neurice sim --engine gatelevel` proves) at `synthesis.target_mhz`, for the
/// design's channels of the recordings `files` (none: a SYNTHETIC recording), at the real-time
/// rate of its channels ([`neurice_sim::PowerDuty`]). The traced run is compared word for word with the
/// golden model; a mismatch is an error.
pub fn measure_power(
    design: &CoreDesign,
    synthesis: &SynthReport,
    files: &[std::path::PathBuf],
    cycles: u64,
    work_dir: &Path,
    verbose: bool,
) -> Result<PowerSummary> {
    measure_power_in(
        design, synthesis, files, cycles, work_dir, work_dir, verbose,
    )
}

/// [`measure_power`] with the netlist's Verilator build (content-keyed, see
/// `neurice_sim::verilator::build`) and the traced run's scratch folder in `build_dir`: the
/// flow's build cache.
pub fn measure_power_in(
    design: &CoreDesign,
    synthesis: &SynthReport,
    files: &[std::path::PathBuf],
    cycles: u64,
    work_dir: &Path,
    build_dir: &Path,
    verbose: bool,
) -> Result<PowerSummary> {
    let channels = design.channels();
    check_power_args(channels, cycles)?;
    let freq = synthesis.target_mhz;
    // the samples offered at the real-time rate of the channels
    let gap = design.power_gap_per_mille(freq)?;
    // the placed and routed netlist itself, or, when it was placed inside the pin wrapper,
    // the core's own netlist from the same yosys stage (the wrapper only drives its pins)
    let (netlist, netlist_source) = match &synthesis.pin_wrapper {
        None => {
            let p = &synthesis.outputs.netlist_verilog;
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the netlist {}", p.display()))?;
            (text, format!("the synthesised netlist {}", p.display()))
        }
        Some(w) => {
            let text = neurice_sim::gatelevel::netlist(
                &design.verilog()?,
                "top",
                &work_dir.join("core_netlist"),
            )?;
            (
                text,
                format!(
                    "the core's netlist from the synthesis flow's yosys stage (the placed design \
                     is the core inside the pin wrapper `{}`, whose {} flip-flops are in the \
                     resource counts)",
                    w.top, w.extra_ffs
                ),
            )
        }
    };
    if verbose {
        eprintln!(
            "      switching activity: gate-level netlist in Verilator, {channels} channels at \
             the real-time rate for {freq} MHz ({gap}‰ idle input cycles), {cycles} traced \
             cycles …"
        );
    }
    let lanes = design.lanes();
    let (warmup, needed) = warmup_and_needed(design, gap, cycles)?;
    let stim = activity_stimulus(design, files, channels, gap, needed)?;
    let opts = activity::MeasureOptions {
        events: design.event_params().copied(),
        ..Default::default()
    };
    let act = activity::measure_with(&netlist, "top", &stim, build_dir, warmup, cycles, &opts)?;
    let w = &act.window;
    if w.samples_per_clock <= 0.0 {
        bail!("the activity window took no samples");
    }
    // compressed size measured in the same window (payload words of the core)
    let bits_per_sample = 32.0 * w.words_per_clock / w.samples_per_clock;
    if bits_per_sample <= 0.0 {
        // event mode words are rare (a few per thousand frames): a short window can hold none
        bail!(
            "the {cycles} traced clock cycles saw no output word of the core, so its output \
             rate cannot be measured: trace more cycles (--power-cycles / --cycles)"
        );
    }
    let rate = neurice_synth::power::SAMPLE_RATE_HZ;
    let input = PowerInput {
        device: synthesis.target,
        clock_mhz: freq,
        channels,
        resources: Resources::from_synth(synthesis),
        activity: act.activity.clone(),
        system: SystemParams::new(bits_per_sample),
    };
    let power = estimate_power(&input)?;
    let lanes = lanes as f64;
    let throughput = Throughput {
        coder: design.name(),
        clock_mhz: freq,
        clocks_per_sample: 1.0 / lanes,
        samples_per_s: freq * 1e6 * lanes,
        real_time_channels: freq * 1e6 * lanes / rate,
        nj_per_sample: power.nj_per_sample,
        uw_per_channel: power.uw_per_channel,
        method: format!(
            "the core takes one sample per lane on every clock (design figure, proved cycle by \
             cycle in the simulation tests; the traced run at the real-time rate of {channels} \
             channels had {} stall cycles); nJ/sample and µW/channel measured at that real-time \
             rate",
            act.window.run_stall_cycles
        ),
    };
    let mut s = PowerSummary {
        power,
        activity: act,
        synthesis: synthesis.clone(),
        netlist_source,
        curves: None,
        throughput,
    };
    s.curves = Some(power_curves(&s)?);
    Ok(s)
}

/// One point of a power curve.
#[derive(Clone, Debug, Serialize)]
pub struct PowerPoint {
    pub clock_mhz: f64,
    pub channels: usize,
    /// FPGA total, low / typical / high, mW.
    pub total_mw: neurice_synth::power::Band,
    pub uw_per_channel: f64,
}

/// Power curves around a measurement: against the core clock (same channels) and against the
/// channel count (same clock).
#[derive(Clone, Debug, Serialize)]
pub struct PowerCurves {
    /// How the points were obtained (scaled, not measured at each point).
    pub method: String,
    /// The lowest clock for the measured channel count at the core's samples per clock
    /// (lanes), MHz.
    pub real_time_min_mhz: f64,
    pub by_clock: Vec<PowerPoint>,
    pub by_channels: Vec<PowerPoint>,
}

/// The measured design's power at `clock_mhz` and `channels`, from the activity measured at
/// the summary's clock and channel count, scaled so that the switching per second of data is
/// held: a toggle or block-RAM rate per clock scales with `channels / channels₀` and
/// `f₀ / f`; the clock-tree and flip-flop clock terms follow the clock, static power stays.
/// Idle-cycle switching (small: control logic) is scaled with the data, which makes slower
/// clocks look slightly better than they are.
pub fn scaled_power(s: &PowerSummary, clock_mhz: f64, channels: usize) -> Result<PowerPoint> {
    let p0 = &s.power;
    let k = channels as f64 / p0.channels as f64 * p0.clock_mhz / clock_mhz;
    let a = &p0.activity;
    // a block RAM makes at most one read and one write per clock: a core whose blocks also
    // read in idle cycles (coder max) would otherwise be scaled past that at slower clocks
    let blocks = p0.resources.bram as f64;
    let reads = (a.bram_reads_per_clock * k).min(blocks);
    let writes = (a.bram_writes_per_clock * k).min(blocks);
    let capped = if reads < a.bram_reads_per_clock * k || writes < a.bram_writes_per_clock * k {
        format!(" (block-RAM accesses capped at one per block per clock: {blocks} blocks)")
    } else {
        String::new()
    };
    let activity = neurice_synth::power::Activity {
        ff_toggle_rate: a.ff_toggle_rate * k,
        lut_toggle_rate: a.lut_toggle_rate * k,
        carry_toggle_rate: a.carry_toggle_rate * k,
        bram_reads_per_clock: reads,
        bram_writes_per_clock: writes,
        io_toggle_rate: a.io_toggle_rate * k,
        activity_source: format!("scaled ×{k:.3}{capped} from: {}", a.activity_source),
    };
    let input = PowerInput {
        device: s.synthesis.target,
        clock_mhz,
        channels,
        resources: p0.resources,
        activity,
        system: SystemParams::new(p0.system.compressed_bits_per_sample),
    };
    let r = estimate_power(&input)?;
    Ok(PowerPoint {
        clock_mhz,
        channels,
        total_mw: r.total_mw,
        uw_per_channel: r.uw_per_channel.typical,
    })
}

/// Power against the core clock (from the real-time minimum up to the placed design's Fmax)
/// and against the channel count, scaled from the measurement ([`scaled_power`]).
pub fn power_curves(s: &PowerSummary) -> Result<PowerCurves> {
    let ch = s.power.channels;
    let lanes = s.synthesis.lanes.max(1);
    let min = neurice_synth::power::min_clock_mhz(ch, neurice_synth::power::SAMPLE_RATE_HZ)
        / lanes as f64;
    let fmax = s.synthesis.fmax_mhz.unwrap_or(s.power.clock_mhz);
    let mut clocks = vec![min];
    for f in [12.0, 24.0, 25.0, 30.0, 40.0, 48.0, 60.0, 80.0, 100.0] {
        if f > min && f <= fmax.max(s.power.clock_mhz) {
            clocks.push(f);
        }
    }
    if !clocks.iter().any(|&f| (f - s.power.clock_mhz).abs() < 1e-9) {
        clocks.push(s.power.clock_mhz);
        clocks.sort_by(f64::total_cmp);
    }
    let by_clock = clocks
        .iter()
        .map(|&f| scaled_power(s, f, ch))
        .collect::<Result<Vec<_>>>()?;
    let max_ch = ((lanes as f64 * s.power.clock_mhz * 1e6 / neurice_synth::power::SAMPLE_RATE_HZ)
        as usize)
        .min(neurice_sim::MAX_CHANNELS);
    let by_channels = [64usize, 128, 256, 512, 768, 1024]
        .into_iter()
        .filter(|&c| c <= max_ch)
        .map(|c| scaled_power(s, s.power.clock_mhz, c))
        .collect::<Result<Vec<_>>>()?;
    Ok(PowerCurves {
        method: format!(
            "scaled from the activity measured at {} MHz for {} channels (switching per \
             second of data held; clock terms follow the clock): a model, not a measurement \
             at each point",
            s.power.clock_mhz, ch
        ),
        real_time_min_mhz: min,
        by_clock,
        by_channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_look_builds_its_traced_netlist_quick_and_longer_runs_do_not() {
        use neurice_model::{events::EventParams, Coder};
        let design = |c| {
            let spec = CoderSpec::hardware(c);
            CoreDesign::new(spec, 1024, neurice_sim::Shape::OneLane).unwrap()
        };
        // the first look: 65 536 cycles of warm-up and 20 000 traced
        for (c, f) in [(Coder::Lite, 60.0), (Coder::Max, 50.0)] {
            assert!(quick_traced_build(&design(c), f, 20_000).unwrap(), "{c:?}");
            assert!(
                !quick_traced_build(&design(c), f, 100_000).unwrap(),
                "{c:?} --full"
            );
        }
        // event mode's warm-up alone is about a million cycles
        let events = CoreDesign::events(EventParams::new(1024)).unwrap();
        assert!(!quick_traced_build(&events, 20.48, 20_000).unwrap());
        assert!(neurice_sim::activity::quick_build(65_536, 20_000));
        assert!(!neurice_sim::activity::quick_build(65_536, 100_000));
    }

    #[test]
    fn the_stimulus_loads_only_the_recordings_it_uses() {
        // Two channels from a folder of three files: the third (not a WAV at all) must not be
        // read, so the stimulus builds.
        let d = tempfile::tempdir().unwrap();
        for (i, name) in ["a.wav", "b.wav"].iter().enumerate() {
            let samples = (0..500)
                .map(|t| neurice_model::grid::grid_value(((t * (i + 3)) % 1024) as u32))
                .collect();
            let w = neurice_model::wav::Wav::canonical(1, 19531, samples).unwrap();
            std::fs::write(d.path().join(name), w.to_bytes()).unwrap();
        }
        std::fs::write(d.path().join("c.wav"), b"not a recording").unwrap();
        let files = [
            d.path().join("a.wav"),
            d.path().join("b.wav"),
            d.path().join("c.wav"),
        ];
        let design = CoreDesign::hardware();
        let s =
            activity_stimulus(&design, &files, 2, 0, 200).expect("only a.wav and b.wav are loaded");
        assert_eq!(s.channels, 2);
        assert_eq!(s.samples.len(), 2 * (100 + 1));
        assert_eq!(s.samples[1], 0); // b.wav, t = 0
        assert_eq!(s.samples[3], 4); // b.wav, t = 1
    }

    #[test]
    fn scaled_power_holds_the_measurement_and_follows_the_clock() {
        use neurice_synth::power::{Activity, Band};
        let synthesis = SynthReport {
            target: neurice_synth::Device::Hx8k,
            fmax_mhz: Some(100.0),
            ..Default::default()
        };
        let res = neurice_synth::power::Resources {
            lut4: 1000,
            dff: 800,
            carry: 100,
            bram: 8,
            io_out: 0,
            pll: 0,
        };
        let act = Activity {
            ff_toggle_rate: 0.1,
            lut_toggle_rate: 0.1,
            carry_toggle_rate: 0.05,
            bram_reads_per_clock: 0.68,
            bram_writes_per_clock: 0.68,
            io_toggle_rate: 0.0,
            activity_source: "test".into(),
        };
        let input = PowerInput {
            device: neurice_synth::Device::Hx8k,
            clock_mhz: 60.0,
            channels: 1024,
            resources: res,
            activity: act,
            system: SystemParams::new(4.7),
        };
        let power = estimate_power(&input).unwrap();
        let s = PowerSummary {
            power: power.clone(),
            activity: Default::default(),
            synthesis,
            netlist_source: String::new(),
            curves: None,
            throughput: Throughput {
                coder: "lite",
                clock_mhz: 60.0,
                clocks_per_sample: 1.0,
                samples_per_s: 60e6,
                real_time_channels: 3000.0,
                nj_per_sample: power.nj_per_sample,
                uw_per_channel: power.uw_per_channel,
                method: String::new(),
            },
        };
        let same = scaled_power(&s, 60.0, 1024).unwrap();
        assert!((same.total_mw.typical - power.total_mw.typical).abs() < 1e-9);
        let slow = scaled_power(&s, 30.0, 1024).unwrap();
        assert!(slow.total_mw.typical < power.total_mw.typical);
        let fewer = scaled_power(&s, 60.0, 512).unwrap();
        assert!(fewer.total_mw.typical < power.total_mw.typical);
        let c = power_curves(&s).unwrap();
        assert!((c.real_time_min_mhz - 20.48).abs() < 1e-9);
        assert_eq!(c.by_clock[0].clock_mhz, c.real_time_min_mhz);
        assert!(c
            .by_clock
            .windows(2)
            .all(|w| w[0].total_mw.typical < w[1].total_mw.typical));
        assert!(c.by_channels.iter().all(|p| p.channels <= 1024));
        let _ = Band::default();
    }

    /// Coder max's blocks read also in idle cycles: measured at 50 MHz with 12.8 reads per
    /// clock on 27 blocks, the real-time clock (20.48 MHz) would scale to 31.2 > 27 reads
    /// per clock, which `estimate_power` refuses. The curve caps them at one per block.
    #[test]
    fn scaled_block_ram_accesses_never_pass_one_per_block_per_clock() {
        use neurice_synth::power::Activity;
        let res = neurice_synth::power::Resources {
            lut4: 3856,
            dff: 960,
            carry: 881,
            bram: 27,
            io_out: 0,
            pll: 0,
        };
        let input = PowerInput {
            device: neurice_synth::Device::Hx8k,
            clock_mhz: 50.0,
            channels: 1024,
            resources: res,
            activity: Activity {
                ff_toggle_rate: 0.1,
                lut_toggle_rate: 0.1,
                carry_toggle_rate: 0.05,
                bram_reads_per_clock: 12.78,
                bram_writes_per_clock: 6.0,
                io_toggle_rate: 0.0,
                activity_source: "test".into(),
            },
            system: SystemParams::new(2.9),
        };
        let power = estimate_power(&input).unwrap();
        let s = PowerSummary {
            power: power.clone(),
            activity: Default::default(),
            synthesis: SynthReport {
                target: neurice_synth::Device::Hx8k,
                fmax_mhz: Some(52.0),
                ..Default::default()
            },
            netlist_source: String::new(),
            curves: None,
            throughput: Throughput {
                coder: "max",
                clock_mhz: 50.0,
                clocks_per_sample: 1.0,
                samples_per_s: 50e6,
                real_time_channels: 2500.0,
                nj_per_sample: power.nj_per_sample,
                uw_per_channel: power.uw_per_channel,
                method: String::new(),
            },
        };
        let c = power_curves(&s).expect("the real-time clock's point is within the blocks");
        let slowest = &c.by_clock[0];
        assert!((slowest.clock_mhz - 20.48).abs() < 1e-9);
        let p = scaled_power(&s, 20.48, 1024).unwrap();
        assert_eq!(p.total_mw.typical, slowest.total_mw.typical);
    }
}
