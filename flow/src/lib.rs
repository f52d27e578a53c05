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
pub mod cache;
pub mod compare;
pub mod eval;
pub mod event_eval;
pub mod event_link;
pub mod input;
pub mod link;
pub mod machine;
pub mod peers;
pub mod power;
pub mod report;
pub mod results_table;
pub mod svg;
pub mod sweep;
pub mod system_view;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use neurice_sim::{CoreDesign, Engine, Pattern, RunOptions, RunSummary, Stimulus};
use neurice_synth::{AsicArea, Device, SynthReport};

pub use bounded::{BoundedFile, BoundedSummary};
pub use cache::{Cache, CacheStatus, CacheUse};
pub use eval::{run_eval, EvalReport, FileResult};
pub use event_eval::{run_event_eval, EventEvalReport};
pub use power::{measure_power, measure_power_in, PowerSummary};

pub use neurice_synth::DEFAULT_FREQ_MHZ;

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
    /// Progress on standard error, for callers of the stages' own functions; [`Flow::run`]
    /// tells its [`Observer`] instead.
    pub verbose: bool,
    /// The caches that survive between runs ([`cache`]; [`Cache::off`]: every step runs).
    pub cache: Cache,
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
        let eval = match (self.design.event_params(), self.files.is_empty()) {
            (_, true) => "no eval (no recordings)".to_string(),
            (Some(_), false) => format!(
                "event mode's eval on all {files} recordings (rate as {} channels, agreement \
                 with the reference detector)",
                event_eval::RATE_CHANNELS
            ),
            (None, false) => format!("eval on all {files} recordings"),
        };
        format!(
            "{eval}; {sim}; power from {} traced clock cycles",
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
    /// The golden model's eval of a coder (compress, decompress, compare; `None` for event
    /// mode and without recordings).
    pub eval: Option<EvalReport>,
    /// Event mode's eval ([`event_eval`]: its rate with packet framing for 1024 channels on
    /// every sample of the recordings, its agreement with the reference detector); only for
    /// event mode on recordings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_eval: Option<EventEvalReport>,
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
    /// Wall time of each stage, seconds, in the order they ended (independent stages run
    /// side by side, so they overlap).
    pub stage_seconds: Vec<(String, f64)>,
    /// The cache folder (`None`: `--no-cache`).
    pub cache_dir: Option<PathBuf>,
    /// What each cached step took from the cache or stored in it.
    pub cache: Vec<CacheUse>,
}

/// What a running flow tells its caller. Stages run side by side, so every call names its
/// stage (`"<coder> <stage>"`, e.g. `"lite synthesis"`).
pub trait Observer: Sync {
    /// A line for the reader: a stage starting or done, a cache hit.
    fn message(&self, line: &str);
    /// Progress of a counted stage: `done` of `total` (files, samples).
    fn progress(&self, stage: &str, done: u64, total: u64);
    /// A stage without counts (a tool run, a build) started; `estimate`: its expected wall
    /// time and where that figure comes from, when known.
    fn started(&self, _stage: &str, _estimate: Option<Estimate>) {}
    /// A stage ended (its progress line can go).
    fn finished(&self, _stage: &str) {}
}

/// An observer that shows nothing.
pub struct Quiet;

impl Observer for Quiet {
    fn message(&self, _: &str) {}
    fn progress(&self, _: &str, _: u64, _: u64) {}
}

/// The expected wall time of a step without counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub seconds: f64,
    /// Where the figure comes from ("last run here", "reference machine").
    pub source: &'static str,
}

/// Wall times of the slow steps on the reference machine (2 cores, shared: `neurice flow`
/// of 2026-12-07, see README), the estimate of a first run before this machine has its own
/// (`<cache>/timings.json`). Keys: `<coder> <step>`.
const REFERENCE_SECONDS: &[(&str, f64)] = &[
    ("lite synthesis", 200.0),
    ("lite simulation build", 70.0),
    ("lite power build", 250.0),
    ("lite power (build)", 300.0),
    ("lite power", 30.0),
    ("lite asic", 35.0),
];

/// One flow: its configuration, the core's Verilog (made once), the stage timings and the
/// cache uses. Its stages take `&self`: [`Flow::run`] runs independent ones side by side.
pub struct Flow {
    cfg: FlowConfig,
    rtl: String,
    times: Mutex<Vec<(String, f64)>>,
    cache_uses: Mutex<Vec<CacheUse>>,
}

/// The contents of a mutex whose holder may have panicked.
fn take<T>(m: Mutex<T>) -> T {
    m.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// The names of the finished Verilator builds in `dir` (see `neurice_sim::verilator::build`).
fn vl_builds(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("vl-") && !n.ends_with("-failed"))
                .collect()
        })
        .unwrap_or_default()
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
            times: Mutex::new(Vec::new()),
            cache_uses: Mutex::new(Vec::new()),
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

    /// `"<coder> <key>"`: a stage's name in messages and progress.
    fn name(&self, key: &str) -> String {
        format!("{} {key}", crate::compare::mode_name(&self.cfg.design))
    }

    /// The expected time of the step `key` of this coder: this machine's last uncached run,
    /// else the reference machine's.
    pub fn estimate(&self, key: &str) -> Option<Estimate> {
        let name = self.name(key);
        if let Some(s) = self.cfg.cache.estimate(&name) {
            return Some(Estimate {
                seconds: s,
                source: "last run here",
            });
        }
        REFERENCE_SECONDS
            .iter()
            .find(|(k, _)| *k == name)
            .map(|&(_, s)| Estimate {
                seconds: s,
                source: "reference machine",
            })
    }

    /// Records a cache use (a hit is said on the way).
    fn used(&self, u: CacheUse, obs: &dyn Observer) {
        match u.status {
            CacheStatus::Hit => obs.message(&format!(
                "{}: taken from the cache ({})",
                self.name(&u.step),
                u.entry.as_deref().unwrap_or(Path::new("?")).display()
            )),
            _ => {
                if let Some(n) = &u.note {
                    obs.message(&format!("{}: cache: {n}", self.name(&u.step)));
                }
            }
        }
        self.cache_uses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(u);
    }

    /// Runs `f` as a stage, saying when it starts and ends and recording its time.
    fn stage<T>(
        &self,
        key: &str,
        banner: &str,
        obs: &dyn Observer,
        f: impl FnOnce(&Self) -> Result<T>,
    ) -> Result<T> {
        let name = self.name(key);
        obs.message(&format!("{name}: {banner}"));
        let t = Instant::now();
        let r = f(self).with_context(|| format!("flow stage `{key}`"));
        let secs = t.elapsed().as_secs_f64();
        obs.finished(&name);
        let r = r?;
        self.times
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((key.to_string(), secs));
        obs.message(&format!("{name}: done in {secs:.1} s"));
        Ok(r)
    }

    /// A step without counts inside a stage: shown with its estimate, its time recorded
    /// under `key` for the next run's estimate when `record`.
    fn timed<T>(
        &self,
        key: &str,
        obs: &dyn Observer,
        record: bool,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let name = self.name(key);
        obs.started(&name, self.estimate(key));
        let t = Instant::now();
        let r = f();
        obs.finished(&name);
        if r.is_ok() && record {
            self.cfg.cache.record(&name, t.elapsed().as_secs_f64());
        }
        r
    }

    /// A Verilator build into `dir` as a [`Flow::timed`] step, its time recorded only when
    /// it built something (a cached build says nothing about the next build's time).
    fn timed_build<T>(
        &self,
        key: &str,
        dir: &Path,
        obs: &dyn Observer,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let before = vl_builds(dir);
        let t = Instant::now();
        let r = self.timed(key, obs, false, f)?;
        if vl_builds(dir) != before {
            self.cfg
                .cache
                .record(&self.name(key), t.elapsed().as_secs_f64());
        }
        Ok(r)
    }

    /// 1. The golden model on every recording (none for a synthetic run); a file that does
    ///    not round-trip is an error. `None` for event mode ([`Flow::event_eval`]).
    pub fn eval(&self, obs: &dyn Observer) -> Result<Option<EvalReport>> {
        // event mode's stage gives no coder eval: not run for nothing
        if self.cfg.design.event_params().is_some() {
            return Ok(None);
        }
        Ok(self.eval_stage(obs)?.0)
    }

    /// 1. Event mode's eval on every recording ([`event_eval`], as `neurice eval --coder
    ///    events`); `None` for a coder ([`Flow::eval`]) or a synthetic run.
    pub fn event_eval(&self, obs: &dyn Observer) -> Result<Option<EventEvalReport>> {
        // a coder's stage gives no event eval: not run for nothing
        if self.cfg.design.event_params().is_none() {
            return Ok(None);
        }
        Ok(self.eval_stage(obs)?.1)
    }

    /// The eval stage: the coder's golden-model eval, or event mode's eval.
    fn eval_stage(
        &self,
        obs: &dyn Observer,
    ) -> Result<(Option<EvalReport>, Option<EventEvalReport>)> {
        let events = self.cfg.design.event_params().copied();
        let banner = match events {
            Some(_) => {
                "event mode's eval (rate with packet framing for 1024 channels, agreement \
                 with the reference detector)"
            }
            None => "golden-model eval (compress, decompress, compare)",
        };
        self.stage("eval", banner, obs, |f| {
            if f.synthetic() {
                return Ok((None, None));
            }
            let total = f.cfg.files.len() as u64;
            let name = f.name("eval");
            let progress = |n| obs.progress(&name, n, total);
            if let Some(p) = events {
                let e = run_event_eval(&f.cfg.files, &p, Some(f.cfg.jobs), &progress)?;
                return Ok((None, Some(e)));
            }
            // the coder the core implements, with its parameters
            let e = run_eval(
                &f.cfg.files,
                f.cfg.design.coder(),
                Some(f.cfg.jobs),
                &progress,
            )?;
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
            Ok((Some(e), None))
        })
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

    /// A Verilator build in the cache folder `what` (or `fallback` without a cache), with
    /// its hit or miss recorded as the cache use `step`.
    /// `before`: the builds there before this step began (when it began earlier: a build
    /// started ahead of the stage counts as this step's).
    fn verilator_build<T>(
        &self,
        step: &str,
        what: &str,
        fallback: PathBuf,
        before: Option<BTreeSet<String>>,
        obs: &dyn Observer,
        f: impl FnOnce(&Path) -> Result<T>,
    ) -> Result<T> {
        let (dir, cached) = match self.cfg.cache.verilator_dir(what) {
            Some(d) => (d, true),
            None => (fallback, false),
        };
        let before = before.unwrap_or_else(|| vl_builds(&dir));
        let r = f(&dir)?;
        let new: Vec<String> = vl_builds(&dir).difference(&before).cloned().collect();
        let status = match (cached, new.is_empty()) {
            (false, _) => CacheStatus::Off,
            (true, true) => CacheStatus::Hit,
            (true, false) => CacheStatus::Miss,
        };
        self.used(
            CacheUse {
                step: step.to_string(),
                status,
                key: None,
                entry: Some(new.first().map_or(dir.clone(), |n| dir.join(n))),
                note: None,
            },
            obs,
        );
        Ok(r)
    }

    /// 2. Verilator on the emitted Verilog against the golden model; a mismatch is an error.
    pub fn cosim(&self, obs: &dyn Observer) -> Result<RunSummary> {
        let banner = format!(
            "Verilator co-simulation, {} channels, against the golden model",
            self.cfg.design.channels()
        );
        self.stage("simulation", &banner, obs, |f| {
            let coder = crate::compare::mode_name(&f.cfg.design);
            // the model first (cached by its Verilog), so that its build shows as a step
            let build_dir = f.verilator_build(
                "simulation build",
                &format!("rtl-{coder}"),
                f.cfg.out.join("verilator"),
                None,
                obs,
                |dir| {
                    f.timed_build("simulation build", dir, obs, || {
                        neurice_sim::verilator::build(&f.rtl, "top", dir)
                    })?;
                    Ok(dir.to_path_buf())
                },
            )?;
            let stims = f.stimuli()?;
            let opts = RunOptions {
                jobs: f.cfg.jobs,
                build_dir,
                netlist: None,
                verbose: false,
            };
            let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
            let name = f.name("simulation");
            let (sim, _) =
                neurice_sim::run(Engine::Verilator, &f.cfg.design, &stims, &opts, &|n| {
                    obs.progress(&name, n, total)
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
    pub fn verilog(&self, obs: &dyn Observer) -> Result<VerilogStage> {
        self.stage("verilog", "Verilog of the core and its lint", obs, |f| {
            let file = f.cfg.out.join("neurice_core.v");
            neurice_files::write_output(&file, f.rtl.as_bytes(), true)?;
            neurice_sim::verilator::lint(&f.rtl, "top", &f.cfg.out.join("lint"))?;
            Ok(VerilogStage {
                file,
                lint: LintStatus::Clean,
            })
        })
    }

    /// The synthesis configuration of this flow (into `out/synth`).
    fn synth_config(&self) -> neurice_synth::SynthConfig {
        synth_config(
            &self.cfg.design,
            self.cfg.device,
            &self.rtl,
            self.cfg.freq_mhz,
            self.cfg.seed,
            &self.cfg.out.join("synth"),
        )
    }

    /// The cache key of this flow's synthesis.
    fn synth_key(&self) -> Result<cache::Key> {
        let mut cfg = self.synth_config();
        cfg.out_dir = PathBuf::new();
        let family = self.cfg.device.family();
        let mut key = cache::Key::new("synth")
            .part("config", &serde_json::to_vec(&cfg)?)
            .part(
                "script",
                neurice_synth::flow::yosys_script(family, "top", cfg.allow_latches).as_bytes(),
            );
        for s in neurice_synth::SOURCES {
            key = key.part("source", s.as_bytes());
        }
        for t in neurice_synth::require_tools(&family.flow_tools())? {
            key = key.part(&t.name, t.version.as_bytes());
        }
        Ok(key)
    }

    /// 4. yosys → nextpnr-ice40 → icepack, once (or its cached result). `after_yosys` gets
    ///    the netlist as soon as yosys wrote it (not on a cache hit).
    pub fn synth(
        &self,
        obs: &dyn Observer,
        after_yosys: &mut dyn FnMut(&neurice_synth::flow::FlowOutputs, bool),
    ) -> Result<SynthReport> {
        self.stage(
            "synthesis",
            "yosys → nextpnr-ice40 → icepack",
            obs,
            |f| {
                let key = f.synth_key()?;
                let cfg = f.synth_config();
                let (r, used) =
                    f.cfg
                        .cache
                        .run_in_dir("synthesis", "synth", &key, &cfg.out_dir, || {
                            f.timed("synthesis", obs, true, || {
                                neurice_synth::run_flow_with(&cfg, after_yosys)
                                    .with_context(|| synth_failed(cfg.device))
                            })
                        })?;
                f.used(used, obs);
                Ok(r)
            },
        )
    }

    /// The folder of the power stage's Verilator build (the cache's, or `out/power`).
    fn power_build_dir(&self) -> PathBuf {
        let coder = crate::compare::mode_name(&self.cfg.design);
        self.cfg
            .cache
            .verilator_dir(&format!("gate-{coder}"))
            .unwrap_or_else(|| self.cfg.out.join("power"))
    }

    /// 5. Power from the activity of `synthesis`'s own netlist on the recordings at the
    ///    real-time duty cycle.
    pub fn power(&self, synthesis: &SynthReport, obs: &dyn Observer) -> Result<PowerSummary> {
        self.power_with(synthesis, obs, None)
    }

    /// [`Flow::power`]; `prebuilt`: the builds in the power stage's build folder before its
    /// build was started ahead of the stage (see [`Flow::run`]).
    fn power_with(
        &self,
        synthesis: &SynthReport,
        obs: &dyn Observer,
        prebuilt: Option<BTreeSet<String>>,
    ) -> Result<PowerSummary> {
        let synth_hit = self
            .cache_uses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|u| u.step == "synthesis" && u.status == CacheStatus::Hit);
        self.stage(
            "power",
            "power: switching activity of the synthesised netlist on the recordings",
            obs,
            |f| {
                let work = f.cfg.out.join("power");
                // the estimate: with its Verilator build, unless the netlist was seen before
                // or its build ran ahead
                let key = if synth_hit || prebuilt.is_some() {
                    "power"
                } else {
                    "power (build)"
                };
                let mut fresh = false;
                let r = f.verilator_build(
                    "power build",
                    &format!("gate-{}", crate::compare::mode_name(&f.cfg.design)),
                    work.clone(),
                    prebuilt,
                    obs,
                    |dir| {
                        let before = vl_builds(dir);
                        let r = f.timed(key, obs, false, || {
                            measure_power_in(
                                &f.cfg.design,
                                synthesis,
                                &f.cfg.files,
                                f.cfg.power_cycles,
                                &work,
                                dir,
                                false,
                            )
                        })?;
                        fresh = vl_builds(dir) != before;
                        Ok(r)
                    },
                )?;
                let secs = r.activity.seconds.total;
                f.cfg
                    .cache
                    .record(&f.name(if fresh { "power (build)" } else { "power" }), secs);
                Ok(r)
            },
        )
    }

    /// Why the ASIC stage does not run for this design (`None`: it runs).
    pub fn asic_skip_reason(&self) -> Option<String> {
        self.cfg.design.facts().asic_skipped
    }

    /// 6. ASIC second opinion: yosys `stat -tech cmos` of the core built for 2 channels plus
    ///    the state as 6T SRAM cells (coder v1; skipped for v2, [`Flow::asic_skip_reason`]).
    pub fn asic(&self, obs: &dyn Observer) -> Result<AsicEstimate> {
        if let Some(why) = self.asic_skip_reason() {
            bail!("ASIC estimate: {why}");
        }
        self.stage(
            "asic",
            "ASIC area: yosys generic synthesis, stat -tech cmos",
            obs,
            |f| {
                let dir = f.cfg.out.join("asic");
                neurice_files::create_out_dir(&dir)?;
                let design = f.cfg.design.with_channels(2)?;
                let small_rtl = design.verilog()?;
                let yosys = neurice_synth::require_tools(&["yosys"])?;
                let mut key = cache::Key::new("asic")
                    .part("verilog", small_rtl.as_bytes())
                    .part("script", neurice_synth::asic::asic_script("top").as_bytes())
                    .part("yosys", yosys[0].version.as_bytes());
                for s in neurice_synth::SOURCES {
                    key = key.part("source", s.as_bytes());
                }
                let (logic, used) = f.cfg.cache.run_in_dir("asic", "asic", &key, &dir, || {
                    f.timed("asic", obs, true, || {
                        let small = dir.join("core_2ch.v");
                        neurice_files::write_output(&small, small_rtl.as_bytes(), true)?;
                        neurice_synth::asic_area(&small, "top", &dir)
                    })
                })?;
                f.used(used, obs);
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

    /// Every stage, independent ones side by side: the eval (the golden model's, or event
    /// mode's) then the co-simulation on one thread, the ASIC estimate on another, the Verilog, synthesis and
    /// power on this one (the power stage's Verilator build starts as soon as yosys wrote
    /// the netlist, while nextpnr places and routes). Writes `report.json` and `index.html`
    /// into the report folder.
    pub fn run(self, obs: &dyn Observer) -> Result<FlowReport> {
        let files = self.cfg.files.len() as u64;
        let asic_skipped = self.asic_skip_reason();
        if let Some(why) = &asic_skipped {
            obs.message(&format!("{}: skipped: {why}", self.name("asic")));
        }
        let this = &self;
        let (sim_lane, asic, hw) = std::thread::scope(|s| {
            let sim_lane = s.spawn(move || -> Result<_> {
                let eval = this.eval_stage(obs)?;
                let sim = this.cosim(obs)?;
                Ok((eval, sim))
            });
            let asic = s.spawn(move || -> Result<Option<AsicEstimate>> {
                match this.asic_skip_reason() {
                    None => Ok(Some(this.asic(obs)?)),
                    Some(_) => Ok(None),
                }
            });
            let hw = (|| -> Result<_> {
                let verilog = this.verilog(obs)?;
                // the power stage's gate-level build, started on the netlist yosys wrote
                let build_dir = this.power_build_dir();
                let before = vl_builds(&build_dir);
                let mut prebuild = None;
                // the build the power stage will ask for (quick for a short run)
                let quick = power::quick_traced_build(
                    &this.cfg.design,
                    this.cfg.freq_mhz,
                    this.cfg.power_cycles,
                )
                .unwrap_or(false);
                let synthesis = this.synth(obs, &mut |o, wrapped| {
                    if wrapped {
                        return;
                    }
                    if let Ok(net) = std::fs::read_to_string(&o.netlist_verilog) {
                        let dir = build_dir.clone();
                        prebuild = Some(s.spawn(move || {
                            this.timed_build("power build", &dir, obs, || {
                                neurice_sim::activity::build_traced_for(&net, "top", &dir, quick)
                            })
                            .map(|_| ())
                        }));
                    }
                })?;
                // its error, if any, comes again from the power stage's own build
                let prebuilt = prebuild.map(|h| {
                    let _ = h.join();
                    before
                });
                let power = this.power_with(&synthesis, obs, prebuilt)?;
                Ok((verilog, synthesis, power))
            })();
            (sim_lane.join(), asic.join(), hw)
        });
        let panicked = |what: &str| anyhow!("the {what} thread panicked");
        let ((eval, event_eval), sim) = sim_lane.map_err(|_| panicked("co-simulation"))??;
        let (verilog, synthesis, power) = hw?;
        let asic = asic.map_err(|_| panicked("ASIC"))??;
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
            event_eval,
            simulation: sim,
            verilog,
            synthesis,
            power,
            asic,
            asic_skipped,
            scope: self.cfg.scope(),
            cache_dir: self.cfg.cache.dir().map(Path::to_path_buf),
            cache: take(self.cache_uses),
            stage_seconds: take(self.times),
        };
        report::write(&report, &self.cfg.out)?;
        Ok(report)
    }
}

/// The synthesis configuration of a core from its Verilog `rtl` (I/O placed by nextpnr),
/// into `out`.
fn synth_config(
    design: &CoreDesign,
    device: Device,
    rtl: &str,
    freq_mhz: f64,
    seed: u64,
    out: &Path,
) -> neurice_synth::SynthConfig {
    let mut cfg =
        neurice_synth::SynthConfig::new(neurice_synth::flow::VerilogSource::text(rtl), "top", out);
    cfg.freq_mhz = freq_mhz;
    cfg.seed = seed;
    cfg.channels = design.channels();
    cfg.lanes = design.lanes();
    cfg.realtime_unknown = design.facts().realtime_unknown;
    cfg.device = device;
    cfg
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
    synth_design_with(design, device, rtl, freq_mhz, seed, out, false)
}

/// [`synth_design`], with the multipliers mapped to the device's DSP blocks when `dsp`
/// (`neurice synth --dsp`; a device without them is refused before any tool runs).
pub fn synth_design_with(
    design: &CoreDesign,
    device: Device,
    rtl: &str,
    freq_mhz: f64,
    seed: u64,
    out: &Path,
    dsp: bool,
) -> Result<SynthReport> {
    check_freq("--freq", freq_mhz)?;
    let mut cfg = synth_config(design, device, rtl, freq_mhz, seed, out);
    cfg.dsp = dsp;
    neurice_synth::run_flow(&cfg).with_context(|| synth_failed(device))
}

/// The context of a failed synthesis.
fn synth_failed(device: Device) -> String {
    format!(
        "synthesis for the {} (a design that does not fit the device fails in place and route)",
        device.part()
    )
}
