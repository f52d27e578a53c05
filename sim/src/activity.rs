//! # Switching activity of the iCE40 gate-level netlist, measured on real recordings
//!
//! ```text
//!  netlist.v ──▶ + probes ──▶ Verilator --trace ──▶ Vcore (harness.cpp, -DNEURICE_TRACE)
//!  (yosys)      (RAM enables,   + cells_sim.v          │  NEURICE_VCD=…  window [W, W+C)
//!                handshakes)                           ▼
//!  Stimulus ─────────────────────────────────────▶ run ──▶ VCD ──▶ neurice_synth::power::parse
//!                                                     │              (ff / lut / carry classes,
//!                                                     ▼               watched probes)
//!                                  words vs golden model         ──▶ ActivityReport { Activity }
//! ```
//!
//! [`measure`] verilates the netlist that goes on the chip (the `SB_LUT4` / `SB_DFF*` /
//! `SB_CARRY` / `SB_RAM40_4K` instances of `yosys synth_ice40`, see
//! [`crate::gatelevel::netlist`]) with yosys' cell models and the tracing build of the harness,
//! runs one [`Stimulus`], dumps a VCD of the cycles `[warmup, warmup + cycles)` only, and counts
//! with [`neurice_synth::power::parse_vcd`]:
//!
//! * `ff`: outputs `Q` of every `SB_DFF*` instance (pattern `*SB_DFF*.Q`),
//! * `lut`: outputs `O` of every `SB_LUT4` (`*SB_LUT4*.O`),
//! * `carry`: outputs `CO` of every `SB_CARRY` (`*SB_CARRY*.CO`).
//!
//! yosys names every LUT, flip-flop and carry instance after its cell type
//! (`accept_SB_LUT4_O`), which is what the patterns rely on; [`measure`] compares the number
//! of signals found per class with the instances in the netlist and notes any difference
//! (Verilator may merge identical cells, whose outputs are then one signal).
//!
//! Block RAM: the netlist's `SB_RAM40_4K` ports `RE`, `RCLKE`, `WE`, `WCLKE` are read from
//! the netlist text. A probe wire `neurice_probe_ram<k>_read = RE & RCLKE` (and `…_write =
//! WE & WCLKE`) per block is added to the top module before verilating (simulation only; it
//! drives nothing) and watched: the fraction of clock edges at which it is high is that
//! block's accesses per clock; [`Activity::bram_reads_per_clock`] is the sum over blocks. An
//! enable tied to a constant gives a constant probe (yosys ties `RE` and `RCLKE` of this core
//! to 1: every block reads on every clock). Two more probes, `in_valid & in_ready` and
//! `out_valid & out_ready`, give the samples and words actually taken per clock in the
//! window.
//!
//! ## Real-time duty cycle
//!
//! In real time the core is clocked faster than samples arrive: `channels × fs` samples per
//! second (1024 × 20 kHz = 20.48 M/s) at a clock of `F` MHz means a sample is offered in
//! `d = channels·fs / F` of the cycles. The harness withholds `in_valid` in a cycle with
//! probability `input_gap_per_mille / 1000` (independent xorshift draws, see
//! `sim/harness/harness.cpp`), so the real duty cycle is emulated by
//! `input_gap_per_mille = round(1000 · (1 − d))` ([`gap_per_mille_for_clock`]); a core that
//! never stalls then takes `1 − gap/1000` samples per clock on average (at most 0.05 %
//! off `d` from the per-mille rounding). The gaps are random rather than evenly spaced (a
//! real ADC front end delivers one sample every `F / (channels·fs)` cycles); the logic per
//! sample is the same, so the toggles per clock are too, up to the idle cycles' small share.
//! The report gives the samples per clock measured in the window and the real-time clock they
//! correspond to ([`WindowInfo::real_time_clock_mhz`]), so a core that stalls shows up.
//!
//! ## What the numbers are
//!
//! Verilator evaluates zero-delay logic: the VCD holds settled values, so LUT and carry rates
//! are functional toggles without glitches (a lower bound for the routed chip). The window
//! is traced after `warmup_cycles`, so the channel-state RAM starts from real, adapted state
//! rather than the all-zero power-up contents. Every word the netlist emits over the whole
//! run is compared with the golden model; a mismatch is an error (the activity of a wrong
//! circuit is meaningless).
//!
//! Cost: the VCD holds every traced net of the netlist and its cells (about 5 kB per clock at
//! the 48 MHz duty, 11 kB at one sample per clock on recordings); it is written to
//! `build_dir/activity-<pid>-<n>/` and deleted after parsing unless
//! [`MeasureOptions::keep_vcd`]. 100 000 cycles: ~0.5–1.1 GB, parsed in 7–15 s.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use neurice_synth::power::{self, Activity, ClassActivity, VcdActivity, VcdOptions};
use serde::Serialize;

use crate::gatelevel::{analyse_netlist, module_span, NetlistInfo};
use crate::verilator;
use crate::{Engine, Stimulus};

/// Prefix of the probe wires added to the top module.
pub const PROBE_PREFIX: &str = "neurice_probe_";
/// Verilator flags of the traced gate-level build, besides those of every gate-level build
/// (`gatelevel::build_with_cells`): tracing on and the harness' VCD code compiled in.
pub const TRACE_FLAGS: &[&str] = &["--trace", "-CFLAGS", "-DNEURICE_TRACE"];
/// Flags of a *quick* traced build, after [`TRACE_FLAGS`] and the gate-level build's own
/// `-O1` (the later `-O` wins): the C++ compiled at `-O0`. For short runs only
/// ([`quick_build`]): on coder max's netlist (2026-12-07, quiet) the build took 52.2 s wall /
/// 78 s CPU against 86.5 s / 144 s, and the flow's power stage (build and a run of 65 536 + 20 000
/// cycles) 70.0 s against 89.7 s with the same power to the last digit, but the run itself is
/// about 5× slower.
pub const QUICK_TRACE_FLAGS: &[&str] = &[
    "-CFLAGS",
    "-O0",
    "-MAKEFLAGS",
    "OPT_FAST=-O0",
    "-MAKEFLAGS",
    "OPT_GLOBAL=-O0",
];
/// Simulated cycles (warm-up and traced window) up to which [`quick_build`] says yes: the
/// flow's first look at the lossless and bounded-error cores (65 536 + 20 000), not its
/// `--full` runs (100 000 traced cycles) nor event mode's (a warm-up of about a million).
pub const QUICK_BUILD_MAX_CYCLES: u64 = 100_000;

/// Whether a traced run of `warmup_cycles + cycles` is built quick ([`QUICK_TRACE_FLAGS`]):
/// the build's saving outweighs the slower run only for short runs.
pub fn quick_build(warmup_cycles: u64, cycles: u64) -> bool {
    warmup_cycles.saturating_add(cycles) <= QUICK_BUILD_MAX_CYCLES
}

/// The stimulus that was simulated.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StimulusInfo {
    pub label: String,
    pub channels: usize,
    pub samples: u64,
    pub input_gap_per_mille: u32,
    pub backpressure_per_mille: u32,
    pub seed: u64,
    /// `1 − input_gap_per_mille / 1000`: the chance that a sample is offered in a cycle.
    pub offered_per_clock: f64,
}

/// The traced window and what happened in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WindowInfo {
    /// First traced cycle (= warm-up cycles).
    pub from_cycle: u64,
    /// Traced clock edges (rising edges found in the VCD).
    pub cycles: u64,
    /// Cycles of the whole run (feeding + flush), as the harness counted them.
    pub run_cycles: u64,
    pub run_flush_cycles: u64,
    pub run_stall_cycles: u64,
    pub run_samples: u64,
    pub run_words: u64,
    /// Samples taken per clock in the window (`in_valid & in_ready` at the edges, times the
    /// core's lanes: a transfer of the 2-lane core is two samples).
    pub samples_per_clock: f64,
    /// Samples per input transfer of the core (1, or 2 for the 2-lane core).
    pub lanes: u32,
    /// Words taken per clock in the window.
    pub words_per_clock: f64,
    /// The clock at which `samples_per_clock` is the real-time rate of
    /// `channels × power::SAMPLE_RATE_HZ`: `channels · fs / samples_per_clock`, MHz.
    pub real_time_clock_mhz: f64,
    /// Block-RAM read accesses (summed over blocks) per sample taken: 2 for the banked
    /// state RAM (one bank of two blocks), 8 for a 1024 × 32 memory in 1024 × 4 blocks.
    pub bram_reads_per_sample: f64,
    /// Block-RAM write accesses per sample taken.
    pub bram_writes_per_sample: f64,
}

/// Tool versions and files behind a measurement.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolVersions {
    pub verilator: String,
    /// From the netlist's header.
    pub yosys: String,
    pub cells_sim: String,
}

/// Wall times of a [`measure`], seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timing {
    /// Verilator build (near 0 when cached).
    pub build: f64,
    /// Harness run: the whole stimulus, traced window included.
    pub simulate: f64,
    /// VCD parse.
    pub parse: f64,
    pub total: f64,
}

/// Result of [`measure`]: the power model's [`Activity`] plus everything it came from.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ActivityReport {
    pub activity: Activity,
    pub netlist: NetlistInfo,
    pub stimulus: StimulusInfo,
    pub window: WindowInfo,
    /// Raw counts from the VCD: per-class signals / bits / toggles, overall figures, watched
    /// probes, busiest signals.
    pub vcd: VcdActivity,
    pub tools: ToolVersions,
    /// Words of the whole run that differ from the golden model (0, or [`measure`] fails).
    pub golden_mismatches: u64,
    /// Size of the VCD of the window, bytes.
    pub vcd_bytes: u64,
    /// The VCD, when kept ([`MeasureOptions::keep_vcd`]).
    pub vcd_path: Option<PathBuf>,
    pub seconds: Timing,
    /// Anything a reader of the numbers should know (class count differences, ...).
    pub notes: Vec<String>,
}

/// Options of [`measure_with`].
#[derive(Clone, Debug, Default)]
pub struct MeasureOptions {
    /// Keep the VCD and the harness files (in `build_dir/activity-<pid>-<n>/`).
    pub keep_vcd: bool,
    /// The netlist is the event core's for these parameters: the run is compared with the
    /// event model (`neurice_model::events`) instead of the stimulus's coder.
    pub events: Option<neurice_model::events::EventParams>,
}

/// `input_gap_per_mille` that offers samples at the real-time rate of `channels` channels of
/// `sample_rate_hz` to a core with `lanes` lanes (samples per input transfer) clocked at
/// `clock_mhz`: `round(1000 · (1 − channels·fs / (lanes·F)))`. Fails when the clock is below
/// the real-time minimum `channels·fs / lanes` (the core cannot keep up) or the inputs are
/// not finite and positive.
pub fn gap_per_mille_for_clock(
    clock_mhz: f64,
    channels: usize,
    lanes: usize,
    sample_rate_hz: f64,
) -> Result<u32> {
    if !(clock_mhz.is_finite() && clock_mhz > 0.0) {
        bail!("clock must be a positive number of MHz, got {clock_mhz}");
    }
    if !(sample_rate_hz.is_finite() && sample_rate_hz > 0.0) || channels == 0 || lanes == 0 {
        bail!("need at least one channel, one lane and a positive sample rate");
    }
    let duty = channels as f64 * sample_rate_hz / (clock_mhz * 1e6 * lanes as f64);
    if duty > 1.0 + 1e-12 {
        bail!(
            "{clock_mhz} MHz is below real time: {channels} channels × {sample_rate_hz} Hz = \
             {:.3} M samples/s need at least {:.3} MHz at {lanes} sample(s) per clock",
            channels as f64 * sample_rate_hz / 1e6,
            channels as f64 * sample_rate_hz / 1e6 / lanes as f64
        );
    }
    Ok(((1.0 - duty) * 1000.0).round().clamp(0.0, 999.0) as u32)
}

/// Samples a stimulus needs so that a run with `input_gap_per_mille` on a core with `lanes`
/// lanes is still feeding at cycle `warmup_cycles + cycles` (expected offers plus a margin of
/// 2 % and 4096 transfers; a core that stalls takes longer, which only helps).
pub fn samples_needed(
    input_gap_per_mille: u32,
    lanes: usize,
    warmup_cycles: u64,
    cycles: u64,
) -> usize {
    let offered = 1.0 - input_gap_per_mille.min(999) as f64 / 1000.0;
    (((warmup_cycles + cycles) as f64 * offered * 1.02).ceil() as usize + 4096) * lanes.max(1)
}

/// The netlist with the probe wires added at the end of module `top` (see the module docs).
pub fn add_probes(netlist: &str, info: &NetlistInfo) -> Result<String> {
    let (_, end) = module_span(netlist, &info.top)?;
    let mut probes =
        String::from("  // neurice activity probes (simulation only, drive nothing)\n");
    for (k, b) in info.brams.iter().enumerate() {
        probes.push_str(&format!(
            "  wire {PROBE_PREFIX}ram{k}_read = {};\n  wire {PROBE_PREFIX}ram{k}_write = {};\n",
            b.read_enable, b.write_enable
        ));
    }
    probes.push_str(&format!(
        "  wire {PROBE_PREFIX}in_take = in_valid & in_ready;\n  \
         wire {PROBE_PREFIX}out_take = out_valid & out_ready;\n"
    ));
    let mut out = String::with_capacity(netlist.len() + probes.len());
    out.push_str(&netlist[..end]);
    out.push_str(&probes);
    out.push_str(&netlist[end..]);
    Ok(out)
}

/// Verilates the netlist (with probes, yosys' iCE40 cell models and the tracing harness);
/// returns the executable and the cell-model file used. Cached like
/// [`verilator::build_with`].
pub fn build_traced(netlist: &str, top: &str, build_dir: &Path) -> Result<(PathBuf, PathBuf)> {
    build_traced_for(netlist, top, build_dir, false)
}

/// [`build_traced`], at `-O0` when `quick` ([`quick_build`]; a separate cached build).
pub fn build_traced_for(
    netlist: &str,
    top: &str,
    build_dir: &Path,
    quick: bool,
) -> Result<(PathBuf, PathBuf)> {
    let info = analyse_netlist(netlist, top)?;
    let probed = add_probes(netlist, &info)?;
    let flags = if quick {
        [TRACE_FLAGS, QUICK_TRACE_FLAGS].concat()
    } else {
        TRACE_FLAGS.to_vec()
    };
    crate::gatelevel::build_with_cells(&probed, top, build_dir, &flags)
}

/// The VcdOptions of a measurement of the netlist: the three cell classes, the probes.
pub fn vcd_options(info: &NetlistInfo) -> VcdOptions {
    let mut watch = Vec::new();
    for k in 0..info.brams.len() {
        watch.push(format!("{PROBE_PREFIX}ram{k}_read"));
        watch.push(format!("{PROBE_PREFIX}ram{k}_write"));
    }
    watch.push(format!("{PROBE_PREFIX}in_take"));
    watch.push(format!("{PROBE_PREFIX}out_take"));
    VcdOptions {
        clock: Some("clock".to_string()),
        scope: None,
        classes: vec![
            ("ff".to_string(), vec!["*SB_DFF*.Q".to_string()]),
            ("lut".to_string(), vec!["*SB_LUT4*.O".to_string()]),
            ("carry".to_string(), vec!["*SB_CARRY*.CO".to_string()]),
        ],
        watch,
    }
}

static RUN_COUNTER: AtomicU64 = AtomicU64::new(0);

/// [`measure_with`] with default options (the VCD is deleted after parsing).
pub fn measure(
    netlist: &str,
    top: &str,
    stimulus: &Stimulus,
    build_dir: &Path,
    warmup_cycles: u64,
    cycles: u64,
) -> Result<ActivityReport> {
    measure_with(
        netlist,
        top,
        stimulus,
        build_dir,
        warmup_cycles,
        cycles,
        &MeasureOptions::default(),
    )
}

/// Measures the switching activity of the gate-level `netlist` (top `top`, from
/// [`crate::gatelevel::netlist`]) on `stimulus`, over the clock cycles
/// `[warmup_cycles, warmup_cycles + cycles)`. The stimulus must still be feeding samples at
/// the end of the window ([`samples_needed`]); the whole run is compared with the golden
/// model. See the module documentation for what is counted.
pub fn measure_with(
    netlist: &str,
    top: &str,
    stimulus: &Stimulus,
    build_dir: &Path,
    warmup_cycles: u64,
    cycles: u64,
    opts: &MeasureOptions,
) -> Result<ActivityReport> {
    let t0 = Instant::now();
    if cycles == 0 {
        bail!("the traced window must have at least one cycle");
    }
    let info = analyse_netlist(netlist, top)?;
    let quick = quick_build(warmup_cycles, cycles);
    let (bin, cells_sim) = build_traced_for(netlist, top, build_dir, quick)?;
    let t_build = t0.elapsed().as_secs_f64();

    let n = RUN_COUNTER.fetch_add(1, Ordering::Relaxed);
    let work = build_dir.join(format!("activity-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    // removed by SIGINT, SIGTERM and SIGHUP (a kept one too: it is incomplete then)
    let _cleanup = neurice_files::signals::private_dir(&work)
        .with_context(|| format!("creating {}", work.display()))?;
    let result = run_and_parse(
        &info,
        &bin,
        &work,
        stimulus,
        warmup_cycles,
        cycles,
        t0,
        t_build,
        &cells_sim,
        opts,
    );
    if !opts.keep_vcd {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn run_and_parse(
    info: &NetlistInfo,
    bin: &Path,
    work: &Path,
    stim: &Stimulus,
    warmup_cycles: u64,
    cycles: u64,
    t0: Instant,
    t_build: f64,
    cells_sim: &Path,
    opts: &MeasureOptions,
) -> Result<ActivityReport> {
    let stim_path = work.join("stimulus.bin");
    let res_path = work.join("result.bin");
    let vcd_path = work.join("window.vcd");
    let log_path = work.join("harness.log");
    {
        let f = std::fs::File::create(&stim_path)
            .with_context(|| format!("creating {}", stim_path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        verilator::write_stimuli(&mut w, &[stim])
            .with_context(|| format!("writing {}", stim_path.display()))?;
    }
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let t1 = Instant::now();
    let status = Command::new(bin)
        .arg(&stim_path)
        .arg(&res_path)
        .env("NEURICE_VCD", &vcd_path)
        .env("NEURICE_VCD_FROM", warmup_cycles.to_string())
        .env("NEURICE_VCD_CYCLES", cycles.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .with_context(|| format!("running the traced harness {}", bin.display()))?;
    let t_sim = t1.elapsed().as_secs_f64();
    let log_text = std::fs::read_to_string(&log_path).unwrap_or_default();
    if !(status.success() || status.code() == Some(3)) {
        bail!(
            "traced harness {} failed ({status}); log {}:\n{}",
            bin.display(),
            log_path.display(),
            log_text
                .lines()
                .filter(|l| !l.starts_with("progress "))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let bytes =
        std::fs::read(&res_path).with_context(|| format!("reading {}", res_path.display()))?;
    let raw = verilator::read_results(&bytes, 1)?
        .pop()
        .expect("one result for one stimulus");
    // Golden-model comparison of the whole run (also rejects stuck runs).
    let sim = match &opts.events {
        Some(p) => crate::events::report_raw(Engine::Gatelevel, p, stim, &raw)?,
        None => verilator::report(stim, &raw)?,
    };
    if sim.mismatches > 0 {
        bail!(
            "{}: the gate-level netlist emitted {} words that differ from the golden model \
             (first: {:?}); its activity would be meaningless",
            stim.label,
            sim.mismatches,
            sim.first_mismatch
        );
    }
    let feeding = raw.cycles - raw.flush_cycles;
    if feeding < warmup_cycles + cycles {
        bail!(
            "{}: the run fed samples for only {feeding} cycles ({} samples at {}‰ gaps), less \
             than warm-up + window = {} cycles; give at least {} samples \
             (activity::samples_needed)",
            stim.label,
            stim.samples.len(),
            stim.input_gap_per_mille,
            warmup_cycles + cycles,
            samples_needed(
                stim.input_gap_per_mille,
                raw.lanes as usize,
                warmup_cycles,
                cycles
            )
        );
    }
    let vcd_bytes = std::fs::metadata(&vcd_path)
        .with_context(|| {
            format!(
                "the harness wrote no VCD at {} (built without NEURICE_TRACE?)",
                vcd_path.display()
            )
        })?
        .len();

    let t2 = Instant::now();
    let vopts = vcd_options(info);
    let vcd = power::activity_from_vcd(&vcd_path, &vopts)?;
    let t_parse = t2.elapsed().as_secs_f64();
    if vcd.clock_cycles != cycles {
        bail!(
            "the VCD has {} clock edges, {cycles} were traced",
            vcd.clock_cycles
        );
    }

    let watched = |name: String| -> Result<f64> {
        vcd.watched
            .get(&name)
            .copied()
            .ok_or_else(|| anyhow!("probe {name} missing from the VCD report"))
    };
    let mut netlist = info.clone();
    let (mut reads, mut writes) = (0.0, 0.0);
    for (k, b) in netlist.brams.iter_mut().enumerate() {
        b.reads_per_clock = watched(format!("{PROBE_PREFIX}ram{k}_read"))?;
        b.writes_per_clock = watched(format!("{PROBE_PREFIX}ram{k}_write"))?;
        reads += b.reads_per_clock;
        writes += b.writes_per_clock;
    }
    // a transfer of the 2-lane core is two samples
    let samples_per_clock = watched(format!("{PROBE_PREFIX}in_take"))? * raw.lanes as f64;
    let words_per_clock = watched(format!("{PROBE_PREFIX}out_take"))?;
    let real_time_clock_mhz = if samples_per_clock > 0.0 {
        stim.channels as f64 * power::SAMPLE_RATE_HZ / samples_per_clock / 1e6
    } else {
        f64::INFINITY
    };
    let per_sample = |x: f64| {
        if samples_per_clock > 0.0 {
            x / samples_per_clock
        } else {
            0.0
        }
    };

    let mut notes = Vec::new();
    let cls = |n: &str| vcd.classes.get(n).cloned().unwrap_or_default();
    for (name, count) in [
        ("ff", info.cells.dff),
        ("lut", info.cells.lut4),
        ("carry", info.cells.carry),
    ] {
        let c: ClassActivity = cls(name);
        if c.signals as u64 != count {
            notes.push(format!(
                "class {name}: {} output signals in the VCD for {count} cells in the netlist \
                 (Verilator shares one signal among identical cells and drops outputs that \
                 drive nothing; a 1-bit output switching exactly like the clock is taken for \
                 a clock copy by the VCD parser); the rate is per signal found",
                c.signals
            ));
        }
        if count > 0 && c.signals == 0 {
            bail!(
                "class {name}: no output signals found in the VCD for {count} cells (the trace \
                 does not reach the cell instances?)"
            );
        }
    }
    if !info.other_types.is_empty() {
        notes.push(format!("cells not modelled: {:?}", info.other_types));
    }
    notes.push(
        "zero-delay simulation: LUT and carry toggles are settled values, no glitches \
         (a lower bound for the routed design)"
            .to_string(),
    );

    let stimulus = StimulusInfo {
        label: stim.label.clone(),
        channels: stim.channels,
        samples: stim.samples.len() as u64,
        input_gap_per_mille: stim.input_gap_per_mille,
        backpressure_per_mille: stim.backpressure_per_mille,
        seed: stim.seed,
        offered_per_clock: 1.0 - stim.input_gap_per_mille as f64 / 1000.0,
    };
    let window = WindowInfo {
        from_cycle: warmup_cycles,
        cycles: vcd.clock_cycles,
        run_cycles: raw.cycles,
        run_flush_cycles: raw.flush_cycles,
        run_stall_cycles: raw.stall_cycles,
        run_samples: raw.samples_taken,
        run_words: raw.words.len() as u64,
        samples_per_clock,
        lanes: raw.lanes,
        words_per_clock,
        real_time_clock_mhz,
        bram_reads_per_sample: per_sample(reads),
        bram_writes_per_sample: per_sample(writes),
    };
    let tools = ToolVersions {
        verilator: verilator::verilator_version()?,
        yosys: if info.generator.is_empty() {
            "unknown (no generator line in the netlist)".to_string()
        } else {
            info.generator.clone()
        },
        cells_sim: cells_sim.display().to_string(),
    };

    let mut activity = vcd.to_activity(reads, writes);
    activity.activity_source = format!(
        "gate-level iCE40 netlist `{}` ({}; FNV {}; {} SB_LUT4, {} SB_DFF*, {} SB_CARRY, {} \
         SB_RAM40_4K) verilated by {} with {}; stimulus {:?}: {} channels, {} samples, input \
         gap {}‰ (sample offered in {:.1} % of cycles), backpressure {}‰, seed {}; cycles \
         {}..{} of {} traced after warm-up; {:.4} samples/clock taken = real time for {} ch × \
         {} kHz at {:.2} MHz; ff/lut/carry = toggles per output per clock of *SB_DFF*.Q / \
         *SB_LUT4*.O / *SB_CARRY*.CO ({} / {} / {} signals); BRAM accesses from RE&RCLKE / \
         WE&WCLKE probes; zero-delay (no glitches)",
        info.top,
        tools.yosys,
        info.hash,
        info.cells.lut4,
        info.cells.dff,
        info.cells.carry,
        info.cells.ram40_4k,
        tools.verilator,
        tools.cells_sim,
        stim.label,
        stim.channels,
        stim.samples.len(),
        stim.input_gap_per_mille,
        stimulus.offered_per_clock * 100.0,
        stim.backpressure_per_mille,
        stim.seed,
        warmup_cycles,
        warmup_cycles + cycles,
        raw.cycles,
        samples_per_clock,
        stim.channels,
        power::SAMPLE_RATE_HZ / 1000.0,
        real_time_clock_mhz,
        cls("ff").signals,
        cls("lut").signals,
        cls("carry").signals,
    );
    Ok(ActivityReport {
        activity,
        netlist,
        stimulus,
        window,
        vcd,
        tools,
        golden_mismatches: sim.mismatches,
        vcd_bytes,
        vcd_path: opts.keep_vcd.then(|| vcd_path.clone()),
        seconds: Timing {
            build: t_build,
            simulate: t_sim,
            parse: t_parse,
            total: t0.elapsed().as_secs_f64(),
        },
        notes,
    })
}

/// A human-readable rendering of an [`ActivityReport`].
pub fn render(r: &ActivityReport) -> String {
    let a = &r.activity;
    let mut s = String::new();
    s.push_str(&format!(
        "switching activity of `{}` ({} LUT4, {} DFF, {} CARRY, {} BRAM)\n",
        r.netlist.top,
        r.netlist.cells.lut4,
        r.netlist.cells.dff,
        r.netlist.cells.carry,
        r.netlist.cells.ram40_4k
    ));
    s.push_str(&format!(
        "  stimulus: {} ({} ch, {} samples, gap {}‰, backpressure {}‰)\n",
        r.stimulus.label,
        r.stimulus.channels,
        r.stimulus.samples,
        r.stimulus.input_gap_per_mille,
        r.stimulus.backpressure_per_mille
    ));
    s.push_str(&format!(
        "  window: cycles {}..{} of {}; {:.4} samples/clock (real time at {:.2} MHz), {:.4} \
         words/clock\n",
        r.window.from_cycle,
        r.window.from_cycle + r.window.cycles,
        r.window.run_cycles,
        r.window.samples_per_clock,
        r.window.real_time_clock_mhz,
        r.window.words_per_clock
    ));
    for (name, c) in &r.vcd.classes {
        s.push_str(&format!(
            "  {name:<6} {:>5} signals {:>10} toggles  {:.4} per output per clock\n",
            c.signals, c.toggles, c.toggle_rate
        ));
    }
    s.push_str(&format!(
        "  BRAM: {:.3} reads, {:.3} writes per clock (all blocks); {:.2} reads, {:.2} writes \
         per sample\n",
        a.bram_reads_per_clock,
        a.bram_writes_per_clock,
        r.window.bram_reads_per_sample,
        r.window.bram_writes_per_sample
    ));
    s.push_str(&format!(
        "  all traced bits: {:.4} toggles per bit per clock ({:.4} per toggling bit)\n",
        r.vcd.toggle_rate, r.vcd.toggle_rate_toggling_bits
    ));
    s.push_str(&format!(
        "  time: build {:.1} s, simulate {:.1} s, parse {:.1} s ({} MB VCD)\n",
        r.seconds.build,
        r.seconds.simulate,
        r.seconds.parse,
        r.vcd_bytes / 1_000_000
    ));
    for n in &r.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = r"/* Generated by Yosys 0.23 (git sha1 x) */
module top(clock, in_valid, in_ready, out_valid, out_ready);
  input clock;
  SB_LUT4 #(
    .LUT_INIT(16'hf000)
  ) a_SB_LUT4_O (
    .I0(1'h0),
    .O(x)
  );
  SB_DFFE b_SB_DFFE_Q (
    .C(clock),
    .D(x),
    .Q(y)
  );
  SB_RAM40_4K #(
    .READ_MODE(2'h2)
  ) \ram.mem.0.0  (
    .RCLK(clock),
    .RE(1'h1),
    .WCLKE(\ram.write_enable ),
    .WE(1'h1)
  );
  SB_GB g (
    .USER_SIGNAL_TO_GLOBAL_BUFFER(clock)
  );
endmodule
";

    #[test]
    fn netlist_cells_and_ram_enables_are_read() {
        let i = analyse_netlist(NET, "top").unwrap();
        assert_eq!(
            (i.cells.lut4, i.cells.dff, i.cells.carry, i.cells.ram40_4k),
            (1, 1, 0, 1)
        );
        assert_eq!(i.other_types.get("SB_GB"), Some(&1));
        assert_eq!(i.generator, "Generated by Yosys 0.23 (git sha1 x)");
        assert_eq!(i.brams[0].instance, "ram.mem.0.0");
        // RCLKE unconnected: the cell's default 1
        assert_eq!(i.brams[0].read_enable, "(1'h1 ) & (1'b1 )");
        assert_eq!(i.brams[0].write_enable, "(1'h1 ) & (\\ram.write_enable  )");
        let p = add_probes(NET, &i).unwrap();
        assert!(p.contains("wire neurice_probe_ram0_write = (1'h1 ) & (\\ram.write_enable  );"));
        assert!(p.trim_end().ends_with("endmodule"));
        assert!(analyse_netlist(NET, "other").is_err());
        assert!(analyse_netlist("module top(a);\nendmodule\n", "top").is_err());
    }

    #[test]
    fn duty_cycle_maps_to_gap() {
        // 1024 × 20 kHz = 20.48 M samples/s
        assert_eq!(
            gap_per_mille_for_clock(20.48, 1024, 1, 20_000.0).unwrap(),
            0
        );
        assert_eq!(
            gap_per_mille_for_clock(48.0, 1024, 1, 20_000.0).unwrap(),
            573
        );
        assert_eq!(
            gap_per_mille_for_clock(40.96, 1024, 1, 20_000.0).unwrap(),
            500
        );
        assert!(gap_per_mille_for_clock(10.0, 1024, 1, 20_000.0).is_err());
        assert!(gap_per_mille_for_clock(0.0, 1024, 1, 20_000.0).is_err());
        // two lanes: half the clock
        assert_eq!(
            gap_per_mille_for_clock(10.24, 1024, 2, 20_000.0).unwrap(),
            0
        );
        assert_eq!(
            gap_per_mille_for_clock(12.0, 1024, 2, 20_000.0).unwrap(),
            147
        );
        assert!(gap_per_mille_for_clock(10.0, 1024, 2, 20_000.0).is_err());
        assert!(samples_needed(500, 1, 1000, 1000) >= 1000);
        assert_eq!(
            samples_needed(500, 2, 1000, 1000),
            2 * samples_needed(500, 1, 1000, 1000)
        );
    }
}
