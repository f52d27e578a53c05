//! # neurice-flow — the main job as a library
//!
//! ```text
//!  FlowConfig ─▶ Flow::new (checks every argument, makes the core's Verilog once)
//!     eval ─▶ cosim (Verilator, 1024 channels) ─▶ verilog (+ lint) ─▶ synth (once)
//!        ─▶ power (the synthesised netlist, proved bit-exact while traced) ─▶ asic
//!     ─▶ FlowReport ─▶ report.json, index.html
//! ```
//!
//! Each stage is a method of [`Flow`] that runs once and returns a typed result; the CLI's
//! `neurice flow` only parses arguments, calls [`Flow::run`] and prints. The power stage
//! measures the activity of the very netlist the synthesis stage placed and routed (the
//! flow's own yosys stage, the one `neurice sim --engine gatelevel` simulates), and the
//! traced run is compared word for word with the golden model.

pub mod bounded;
pub mod browser;
pub mod compare;
pub mod eval;
pub mod input;
pub mod link;
pub mod peers;
pub mod power;
pub mod report;
pub mod svg;
pub mod system_view;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use neurice_sim::{CoreDesign, Engine, Pattern, RunOptions, RunSummary, Stimulus};
use neurice_synth::{AsicArea, Device, SynthReport};

pub use bounded::{BoundedFile, BoundedSummary};
pub use eval::{run_eval, EvalReport, FileResult};
pub use power::{measure_power, PowerSummary};

pub use neurice_synth::{DEFAULT_FREQ_MHZ, DEFAULT_V2_FREQ_MHZ};

/// The default place-and-route seed.
pub const DEFAULT_SEED: u64 = neurice_synth::flow::DEFAULT_SEED;
/// The default traced window of the power stage, clock cycles.
pub const DEFAULT_POWER_CYCLES: u64 = 100_000;
/// Checks a clock target in MHz (`flag` names the option in the message): in (0, 500].
pub fn check_freq(flag: &str, freq: f64) -> Result<()> {
    if !(freq > 0.0 && freq <= 500.0) {
        bail!("{flag} must be in (0, 500] MHz, got {freq}");
    }
    Ok(())
}

/// Checks a channel count of the core: 1 to [`neurice_sim::MAX_CHANNELS`].
pub fn check_channels(channels: usize) -> Result<()> {
    let max = neurice_sim::MAX_CHANNELS;
    if !(1..=max).contains(&channels) {
        bail!("--channels must be 1..={max}, got {channels}");
    }
    Ok(())
}

/// A stage's progress: `(done, total)`.
pub type Progress<'a> = dyn Fn(u64, u64) + Sync + 'a;

/// Frames per channel of the generated recording when no recordings are found.
const SYNTHETIC_FRAMES: usize = 2_000;

/// What a flow runs on and where it writes.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// The core: coder parameters and channels of state.
    pub design: CoreDesign,
    /// The FPGA it is placed and routed for.
    pub device: Device,
    /// Recordings (empty: a generated recording, labelled SYNTHETIC everywhere).
    pub files: Vec<PathBuf>,
    /// Where they came from, for the report.
    pub data_dir: Option<PathBuf>,
    /// Report folder (created if missing; the flow's own files in it are replaced).
    pub out: PathBuf,
    /// Synthesis target and power clock, MHz.
    pub freq_mhz: f64,
    /// Place-and-route seed.
    pub seed: u64,
    /// Samples per recording in the co-simulation (default: all).
    pub max_samples: Option<usize>,
    /// Clock cycles traced for the power estimate's switching activity.
    pub power_cycles: u64,
    /// Parallel simulations and eval threads.
    pub jobs: usize,
    /// Stage banners and progress on standard error.
    pub verbose: bool,
}

impl FlowConfig {
    /// What this configuration runs on how much, in words (the report's `scope`).
    pub fn scope(&self) -> String {
        let files = self.files.len();
        let sim = match (self.files.is_empty(), self.max_samples) {
            (true, _) => "co-simulation and power on a generated recording".to_string(),
            (false, Some(n)) => format!(
                "co-simulation on the first {n} samples of each of the {files} recordings \
                 (interleaved as {} channels)",
                self.design.channels()
            ),
            (false, None) => format!(
                "co-simulation on every sample of the {files} recordings (interleaved as {} \
                 channels)",
                self.design.channels()
            ),
        };
        format!(
            "eval on all {files} recordings; {sim}; power from {} traced clock cycles",
            self.power_cycles
        )
    }

    /// Checks every argument, so that a bad one fails before the first stage runs.
    pub fn validate(&self) -> Result<()> {
        check_freq("--freq", self.freq_mhz)?;
        if self.power_cycles < 1000 {
            bail!(
                "--power-cycles must be at least 1000, got {}",
                self.power_cycles
            );
        }
        if self.max_samples == Some(0) {
            bail!("--max-samples must be at least 1 (0 would compare nothing)");
        }
        if self.jobs == 0 {
            bail!("jobs must be at least 1");
        }
        if let Ok(m) = std::fs::metadata(&self.out) {
            if !m.is_dir() {
                bail!(
                    "{} is not a directory (-o names the report folder)",
                    self.out.display()
                );
            }
        }
        // the files the stages will write: none may be a link or anything but a regular file
        // (each is checked again when written; the tools' own outputs at their stage)
        neurice_files::check_outputs(&self.own_files(), true)?;
        // the power stage's duty: real time needs a clock fast enough for the channels
        self.design
            .power_gap_per_mille(self.freq_mhz)
            .with_context(|| format!("--freq {}", self.freq_mhz))?;
        Ok(())
    }
}

impl FlowConfig {
    /// The files the flow writes itself into its report folder (the synthesis tools' own
    /// outputs are checked by the synthesis stage).
    pub fn own_files(&self) -> Vec<PathBuf> {
        let o = &self.out;
        let mut v: Vec<PathBuf> = ["report.json", "index.html", "neurice_core.v"]
            .iter()
            .map(|n| o.join(n))
            .collect();
        for n in ["top.v", "lint.vlt", "lint.log"] {
            v.push(o.join("lint").join(n));
        }
        for n in [
            "build.sh",
            "yosys.log",
            "nextpnr.log",
            "icepack.log",
            "top_input.v",
            "top_pins_input.v",
            "synth_report.json",
        ] {
            v.push(o.join("synth").join(n));
        }
        for n in ["core_2ch.v", "asic_yosys.log"] {
            v.push(o.join("asic").join(n));
        }
        v
    }
}

/// A second opinion for an ASIC: yosys' generic CMOS transistor estimate of the logic (the
/// core built for 2 channels, so its state memory is negligible) plus 6T SRAM bit cells for
/// the channels' state.
#[derive(Clone, Debug, Serialize)]
pub struct AsicEstimate {
    pub logic: AsicArea,
    pub state_bits: u64,
    pub state_sram_6t_transistors: u64,
    pub total_transistors: u64,
    pub method: String,
}

/// The Verilog stage's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct VerilogStage {
    pub file: PathBuf,
    /// `verilator --lint-only -Wall` with the waivers of `sim/harness/lint.vlt`.
    pub lint: LintStatus,
}

/// Result of a lint or check step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "detail")]
pub enum LintStatus {
    Clean,
    /// Not run, and why.
    NotRun(String),
    /// Failed, with the tool's message.
    Failed(String),
}

impl std::fmt::Display for LintStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LintStatus::Clean => f.write_str("clean"),
            LintStatus::NotRun(why) => write!(f, "not run ({why})"),
            LintStatus::Failed(e) => write!(f, "FAILED: {e}"),
        }
    }
}

/// Everything a flow measured (`report.json`).
#[derive(Clone, Debug, Serialize)]
pub struct FlowReport {
    pub neurice_version: &'static str,
    /// "recordings: <dir>" or "SYNTHETIC …" when no recordings were found.
    pub data_source: String,
    pub synthetic: bool,
    pub design: CoreDesign,
    pub eval: Option<EvalReport>,
    pub simulation: RunSummary,
    pub verilog: VerilogStage,
    pub synthesis: SynthReport,
    pub power: PowerSummary,
    /// The ASIC estimate (`None`: skipped, [`FlowReport::asic_skipped`] says why).
    pub asic: Option<AsicEstimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asic_skipped: Option<String>,
    /// What was run on how much: the recordings evaluated, the samples co-simulated, the
    /// cycles traced for power ([`FlowConfig::scope`]).
    pub scope: String,
    pub stage_seconds: Vec<(String, f64)>,
}

/// One flow: its configuration, the core's Verilog (made once) and the stage timings.
pub struct Flow {
    cfg: FlowConfig,
    rtl: String,
    times: Vec<(String, f64)>,
    stage_no: usize,
}

impl Flow {
    /// Checks the configuration and makes the core's Verilog (every stage uses this text).
    pub fn new(cfg: FlowConfig) -> Result<Self> {
        cfg.validate()?;
        let rtl = cfg.design.verilog()?;
        neurice_files::create_out_dir(&cfg.out)?;
        Ok(Flow {
            cfg,
            rtl,
            times: Vec::new(),
            stage_no: 0,
        })
    }

    pub fn config(&self) -> &FlowConfig {
        &self.cfg
    }

    /// The core's Verilog.
    pub fn rtl(&self) -> &str {
        &self.rtl
    }

    fn synthetic(&self) -> bool {
        self.cfg.files.is_empty()
    }

    /// Runs `f` as the next stage, printing its banner and recording its time.
    fn stage<T>(
        &mut self,
        key: &str,
        banner: &str,
        f: impl FnOnce(&Self) -> Result<T>,
    ) -> Result<T> {
        self.stage_no += 1;
        if self.cfg.verbose {
            eprintln!("[{}/6] {banner}", self.stage_no);
        }
        let t = Instant::now();
        let r = f(self).with_context(|| format!("flow stage `{key}`"))?;
        self.times
            .push((key.to_string(), t.elapsed().as_secs_f64()));
        Ok(r)
    }

    /// 1. The golden model on every recording (none for a synthetic run); a file that does
    ///    not round-trip is an error.
    pub fn eval(&mut self, progress: &Progress<'_>) -> Result<Option<EvalReport>> {
        self.stage(
            "eval",
            "golden-model eval (compress, decompress, compare)",
            |f| {
                if f.synthetic() {
                    return Ok(None);
                }
                let total = f.cfg.files.len() as u64;
                // the coder the core implements, with its parameters
                let e = run_eval(&f.cfg.files, f.cfg.design.coder(), Some(f.cfg.jobs), &|n| {
                    progress(n, total)
                })?;
                if !e.passed {
                    bail!(
                        "golden-model eval: {} file(s) did not round-trip{}",
                        e.failed,
                        match &e.bounded {
                            Some(b) => format!(" within the maximum error {}", b.max_error),
                            None => String::new(),
                        }
                    );
                }
                Ok(Some(e))
            },
        )
    }

    /// The co-simulation stimuli: every recording interleaved as 1024 channels (the
    /// hardware's use), or a generated 1024-channel recording.
    pub fn stimuli(&self) -> Result<Vec<Stimulus>> {
        let d = &self.cfg.design;
        if self.synthetic() {
            let frames = self.cfg.max_samples.unwrap_or(SYNTHETIC_FRAMES);
            return Ok(vec![power::synthetic_stimulus(d, d.channels(), frames)]);
        }
        neurice_sim::load_stimuli(
            d.coder(),
            &self.cfg.files,
            d.channels(),
            self.cfg.max_samples,
            None,
            Pattern::STEADY,
            self.cfg.jobs,
        )
    }

    /// 2. Verilator on the emitted Verilog against the golden model; a mismatch is an error.
    pub fn cosim(&mut self, progress: &Progress<'_>) -> Result<RunSummary> {
        let banner = format!(
            "Verilator co-simulation, {} channels, against the golden model",
            self.cfg.design.channels()
        );
        self.stage("simulation", &banner, |f| {
            let stims = f.stimuli()?;
            let opts = RunOptions {
                jobs: f.cfg.jobs,
                build_dir: f.cfg.out.join("verilator"),
                netlist: None,
                verbose: false,
            };
            let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
            let (sim, _) =
                neurice_sim::run(Engine::Verilator, &f.cfg.design, &stims, &opts, &|n| {
                    progress(n, total)
                })?;
            if !sim.passed() {
                bail!(
                    "co-simulation: {} word(s) differ from the golden model ({} samples \
                     compared); first: {:?}",
                    sim.mismatches,
                    sim.samples,
                    sim.first_failure.as_ref().map(|f| &f.mismatch)
                );
            }
            Ok(sim)
        })
    }

    /// 3. The Verilog file and its lint (a lint failure is an error).
    pub fn verilog(&mut self) -> Result<VerilogStage> {
        self.stage("verilog", "Verilog of the core", |f| {
            let file = f.cfg.out.join("neurice_core.v");
            neurice_files::write_output(&file, f.rtl.as_bytes(), true)?;
            neurice_sim::verilator::lint(&f.rtl, "top", &f.cfg.out.join("lint"))?;
            Ok(VerilogStage {
                file,
                lint: LintStatus::Clean,
            })
        })
    }

    /// 4. yosys → nextpnr-ice40 → icepack, once.
    pub fn synth(&mut self) -> Result<SynthReport> {
        self.stage("synthesis", "yosys → nextpnr-ice40 → icepack", |f| {
            synth_design(
                &f.cfg.design,
                f.cfg.device,
                &f.rtl,
                f.cfg.freq_mhz,
                f.cfg.seed,
                &f.cfg.out.join("synth"),
            )
        })
    }

    /// 5. Power from the activity of `synthesis`'s own netlist on the recordings at the
    ///    real-time duty cycle.
    pub fn power(&mut self, synthesis: &SynthReport) -> Result<PowerSummary> {
        self.stage(
            "power",
            "power: switching activity of the synthesised netlist on the recordings",
            |f| {
                measure_power(
                    &f.cfg.design,
                    synthesis,
                    &f.cfg.files,
                    f.cfg.power_cycles,
                    &f.cfg.out.join("power"),
                    f.cfg.verbose,
                )
            },
        )
    }

    /// Why the ASIC stage does not run for this design (`None`: it runs).
    pub fn asic_skip_reason(&self) -> Option<String> {
        self.cfg.design.facts().asic_skipped
    }

    /// 6. ASIC second opinion: yosys `stat -tech cmos` of the core built for 2 channels plus
    ///    the state as 6T SRAM cells (coder v1; skipped for v2, [`Flow::asic_skip_reason`]).
    pub fn asic(&mut self) -> Result<AsicEstimate> {
        if let Some(why) = self.asic_skip_reason() {
            bail!("ASIC estimate: {why}");
        }
        self.stage(
            "asic",
            "ASIC area: yosys generic synthesis, stat -tech cmos",
            |f| {
                let dir = f.cfg.out.join("asic");
                neurice_files::create_out_dir(&dir)?;
                let small = dir.join("core_2ch.v");
                let design = f.cfg.design.with_channels(2)?;
                neurice_files::write_output(&small, design.verilog()?.as_bytes(), true)?;
                let logic = neurice_synth::asic_area(&small, "top", &dir)?;
                let word_bits = neurice_hdl::ram::WORD_BITS as u64;
                let state_bits = f.cfg.design.channels() as u64 * word_bits;
                Ok(AsicEstimate {
                    total_transistors: logic.transistors + 6 * state_bits,
                    state_sram_6t_transistors: 6 * state_bits,
                    state_bits,
                    logic,
                    method: format!(
                    "logic: yosys `synth; stat -tech cmos` of the core built for 2 channels (its \
                     2x{word_bits}-bit state as flip-flops); state: {} x {word_bits} bits as 6T \
                     SRAM cells, periphery (decoders, sense amplifiers) not counted",
                    f.cfg.design.channels()
                ),
                })
            },
        )
    }

    /// Every stage in order; writes `report.json` and `index.html` into the report folder.
    /// `progress(stage, done, total)` reports the eval (files) and co-simulation (samples).
    pub fn run(mut self, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<FlowReport> {
        let files = self.cfg.files.len() as u64;
        let eval = self.eval(&|n, t| progress("eval", n, t))?;
        let sim = self.cosim(&|n, t| progress("simulation", n, t))?;
        let verilog = self.verilog()?;
        let synthesis = self.synth()?;
        let power = self.power(&synthesis)?;
        let asic_skipped = self.asic_skip_reason();
        let asic = match &asic_skipped {
            None => Some(self.asic()?),
            Some(why) => {
                if self.cfg.verbose {
                    eprintln!("[6/6] ASIC area: skipped: {why}");
                }
                None
            }
        };
        let data_source = match (&self.cfg.data_dir, self.synthetic()) {
            (_, true) => power::synthetic_label(self.cfg.design.channels()),
            (Some(d), false) => format!("recordings: {} ({files} files)", d.display()),
            (None, false) => format!("recordings: {files} files"),
        };
        let report = FlowReport {
            neurice_version: env!("CARGO_PKG_VERSION"),
            data_source,
            synthetic: self.synthetic(),
            design: self.cfg.design,
            eval,
            simulation: sim,
            verilog,
            synthesis,
            power,
            asic,
            asic_skipped,
            scope: self.cfg.scope(),
            stage_seconds: std::mem::take(&mut self.times),
        };
        report::write(&report, &self.cfg.out)?;
        Ok(report)
    }
}

/// Synthesises, places and routes a core (I/O placed by nextpnr) from its Verilog `rtl`.
pub fn synth_design(
    design: &CoreDesign,
    device: Device,
    rtl: &str,
    freq_mhz: f64,
    seed: u64,
    out: &Path,
) -> Result<SynthReport> {
    check_freq("--freq", freq_mhz)?;
    let mut cfg =
        neurice_synth::SynthConfig::new(neurice_synth::flow::VerilogSource::text(rtl), "top", out);
    cfg.freq_mhz = freq_mhz;
    cfg.seed = seed;
    cfg.channels = design.channels();
    cfg.lanes = design.lanes();
    cfg.realtime_unknown = design.facts().realtime_unknown;
    cfg.device = device;
    neurice_synth::run_flow(&cfg).with_context(|| {
        format!(
            "synthesis for the {} (a design that does not fit the device fails in place and \
             route)",
            device.part()
        )
    })
}
