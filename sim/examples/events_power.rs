//! Power of the event core for 1024 channels in real time, measured as `neurice power`
//! measures the coder cores (`flow/src/power.rs`, `neurice_sim::activity`): the iCE40
//! netlist of the synthesis flow's own yosys stage, verilated with yosys' cell models and the
//! tracing harness, fed the recordings (channel `c` = recording `c mod n`, as `neurice sim`)
//! at the real-time duty cycle of the clock, a VCD of a window after warm-up, toggles per
//! class and the block RAMs' enables counted, and `neurice_synth::power::estimate_power` with
//! the resources of the synthesis report. Every word of the run is compared with
//! `neurice_model::events` first (the activity of a wrong circuit means nothing).
//!
//! (`activity::measure` compares with the coder-v1 model, so this example runs the same
//! steps with the event model's comparison.)
//!
//! ```sh
//! cargo run --release -p neurice-sim --example events_synth -- build/events_synth up5k 25
//! cargo run --release -p neurice-sim --example events_power -- build/events_synth/up5k/synth_report.json [MHZ] [CYCLES]
//! ```

use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use neurice_hdl::events::event_verilog;
use neurice_model::events::{encode, stream_words, EventParams};
use neurice_model::CodecParams;
use neurice_sim::{activity, gatelevel, verilator, Pattern, Stimulus};
use neurice_synth::power::{
    activity_from_vcd, estimate_power, render_power, PowerInput, Resources, SystemParams,
    SAMPLE_RATE_HZ,
};
use neurice_synth::SynthReport;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(report) = args.first() else {
        bail!("usage: events_power SYNTH_REPORT.json [MHZ] [CYCLES]");
    };
    let synth: SynthReport = serde_json::from_str(
        &std::fs::read_to_string(report).with_context(|| format!("reading {report}"))?,
    )?;
    let freq: f64 = args.get(1).map_or(Ok(synth.target_mhz), |f| f.parse())?;
    let cycles: u64 = args.get(2).map_or(Ok(20_000), |c| c.parse())?;
    let work = std::path::Path::new(report)
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(format!("power-{freq}"));
    std::fs::create_dir_all(&work)?;
    let p = EventParams::new(1024);
    let channels = 1024usize;
    let netlist = gatelevel::netlist(&event_verilog(&p)?, "top", &work.join("netlist"))?;
    let info = gatelevel::analyse_netlist(&netlist, "top")?;
    let (bin, _) = activity::build_traced(&netlist, "top", &work)?;

    // the recordings as 1024 channels, at the real-time duty cycle of `freq`
    let gap = activity::gap_per_mille_for_clock(freq, channels, 1, SAMPLE_RATE_HZ)?;
    // warm-up: two noise periods and a power bin of frames, so the state is adapted
    let warmup = (2 * (1u64 << p.noise_period_log2) + p.bin_frames as u64) * channels as u64 * 1000
        / (1000 - gap as u64);
    let needed = activity::samples_needed(gap, 1, warmup, cycles);
    let dir = neurice_testkit_data_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.extension().is_some_and(|x| x == "wav"))
        .collect();
    files.sort();
    let frames = needed.div_ceil(channels);
    let recs: Vec<Vec<u16>> = files
        .iter()
        .take(channels)
        .map(|f| {
            let mut v = neurice_sim::load_indices(f)?;
            v.truncate(frames);
            Ok(v)
        })
        .collect::<Result<_>>()?;
    let samples: Vec<u16> = (0..frames * channels)
        .map(|i| recs[(i % channels) % recs.len()][i / channels])
        .collect();
    let stim = Stimulus::new(CodecParams::HARDWARE, channels, samples, "1024 recordings")
        .with_pattern(Pattern {
            input_gap_per_mille: gap,
            backpressure_per_mille: 0,
            seed: 1,
        });

    let stim_path = work.join("stimulus.bin");
    let res_path = work.join("result.bin");
    let vcd_path = work.join("window.vcd");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&stim_path)?);
        verilator::write_stimuli(&mut w, &[&stim])?;
    }
    let status = Command::new(&bin)
        .arg(&stim_path)
        .arg(&res_path)
        .env("NEURICE_VCD", &vcd_path)
        .env("NEURICE_VCD_FROM", warmup.to_string())
        .env("NEURICE_VCD_CYCLES", cycles.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("traced harness failed: {status}");
    }
    let raw = verilator::read_results(&std::fs::read(&res_path)?, 1)?
        .pop()
        .expect("one run");
    let xs: Vec<u32> = stim.samples.iter().map(|&x| x as u32).collect();
    let (want, _) = stream_words(&encode(&p, &xs)?.0);
    if raw.status != 0 || raw.words != want {
        bail!(
            "the netlist's words differ from the event model's (status {}, {} words, model {})",
            raw.status,
            raw.words.len(),
            want.len()
        );
    }
    let vcd = activity_from_vcd(&vcd_path, &activity::vcd_options(&info))?;
    let probe = |n: String| {
        vcd.watched
            .get(&n)
            .copied()
            .with_context(|| format!("probe {n} missing"))
    };
    let (mut reads, mut writes) = (0.0, 0.0);
    for k in 0..info.brams.len() {
        reads += probe(format!("{}ram{k}_read", activity::PROBE_PREFIX))?;
        writes += probe(format!("{}ram{k}_write", activity::PROBE_PREFIX))?;
    }
    let spc = probe(format!("{}in_take", activity::PROBE_PREFIX))?;
    let wpc = probe(format!("{}out_take", activity::PROBE_PREFIX))?;
    let _ = std::fs::remove_file(&vcd_path);
    let input = PowerInput {
        device: synth.target,
        clock_mhz: freq,
        channels,
        resources: Resources::from_synth(&synth),
        activity: vcd.to_activity(reads, writes),
        system: SystemParams::new(32.0 * wpc / spc),
    };
    let power = estimate_power(&input)?;
    println!("{}", render_power(&power));
    println!(
        "event core, 1024 channels, {} at {freq} MHz ({gap}‰ idle input cycles, {cycles} traced \
         cycles after {warmup}): {:.3} samples per clock (real time at {:.2} MHz), block RAM \
         {:.3} reads and {:.3} writes per sample, {:.4} bits per sample; every one of {} words \
         equal to the event model's. Power: {:.2} mW typical ({:.2} – {:.2})",
        synth.device,
        spc,
        channels as f64 * SAMPLE_RATE_HZ / spc / 1e6,
        reads / spc,
        writes / spc,
        32.0 * wpc / spc,
        want.len(),
        power.total_mw.typical,
        power.total_mw.low,
        power.total_mw.high
    );
    for item in &power.breakdown {
        println!("  {:<28} {:>8.3} mW", item.name, item.mw.typical);
    }
    Ok(())
}

fn neurice_testkit_data_dir() -> std::path::PathBuf {
    std::env::var_os("NEURICE_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/neuralink")
        })
}
