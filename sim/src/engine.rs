//! One entry point for every engine: [`run`] simulates stimuli of one [`CoreDesign`] with an
//! [`Engine`] and sums the per-run reports into a [`RunSummary`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use neurice_model::v2::V2Params;
use neurice_model::{CodecParams, Coder};
use serde::Serialize;

use crate::{gatelevel, payload_ratio, rusthdl, verilator, Mismatch, SimReport, Stimulus};
use crate::{Pattern, MAX_CHANNELS};

/// The simulators of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// rust-hdl's own simulator, driven directly.
    Rusthdl,
    /// Verilator on the emitted Verilog.
    Verilator,
    /// Verilator on yosys' iCE40 gate-level netlist (with the iCE40 cell models).
    Gatelevel,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Rusthdl, Engine::Verilator, Engine::Gatelevel];

    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Rusthdl => "rusthdl",
            Engine::Verilator => "verilator",
            Engine::Gatelevel => "gatelevel",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Engine {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                anyhow!("unknown engine {s:?}: expected rusthdl, verilator or gatelevel")
            })
    }
}

/// The core being verified: the coder's parameters, the channels it keeps state for and its
/// lanes (samples coded per clock: 1, or 2 for the 2-lane core of `neurice_hdl::core2`). The
/// same value builds the rust-hdl core, its Verilog (and so the Verilator model and the
/// netlist) and runs the golden model the words are compared with.
///
/// With `v2` set it is the coder-v2 core (`neurice_hdl::v2::core::V2Core`, 1 lane, no
/// packets), compared block for block with `neurice_model::v2::encode_block`; `params` is
/// then the Golomb side of the v2 parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct CoreDesign {
    pub params: CodecParams,
    /// `Some`: coder v2 (`max`) with these parameters; `None`: coder v1 (`lite`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v2: Option<V2Params>,
    /// Channels of state (`1..=1024`; even for 2 lanes); a stimulus may use fewer.
    pub channels: usize,
    /// Samples per clock (and per input transfer): 1 or 2.
    pub lanes: usize,
    /// The packet core instead of the core: restarts every `R` frames of `channels` channels
    /// and the packetiser (`neurice_hdl::packetiser`; 1 lane, one group). Its words are
    /// compared with `neurice_model::packet::packetise` ([`crate::packets`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packets: Option<PacketDesign>,
}

/// The packet stream of a packet design: restart interval and packet bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PacketDesign {
    /// `R`: frames per segment.
    pub segment_frames: u32,
    /// `P`: bytes per packet at most, header and CRC included.
    pub packet_bytes: usize,
}

impl PacketDesign {
    /// The hardware's parameters for it.
    pub fn hdl(&self) -> neurice_hdl::PacketParams {
        neurice_hdl::PacketParams {
            segment_frames: self.segment_frames,
            packet_bytes: self.packet_bytes,
        }
    }
}

impl CoreDesign {
    /// A 1-lane design the core can be built for, or why not.
    pub fn new(params: CodecParams, channels: usize) -> Result<Self> {
        Self::with_lanes(params, channels, 1)
    }

    /// A design with `lanes` lanes (1 or 2; 2 needs an even channel count), or why not.
    pub fn with_lanes(params: CodecParams, channels: usize, lanes: usize) -> Result<Self> {
        neurice_hdl::check_params(&params)
            .map_err(|e| anyhow!("the core cannot be built for these parameters: {e}"))?;
        if !(1..=MAX_CHANNELS).contains(&channels) {
            bail!("channels must be 1..={MAX_CHANNELS}, got {channels}");
        }
        neurice_hdl::check_lanes(channels, lanes).map_err(|e| anyhow!("{e}"))?;
        Ok(CoreDesign {
            params,
            v2: None,
            channels,
            lanes,
            packets: None,
        })
    }

    /// The coder-v2 core (1 lane) with `channels` channels of state, or why not.
    pub fn with_v2(p: V2Params, channels: usize) -> Result<Self> {
        neurice_hdl::v2::core::check_v2_params(&p)
            .map_err(|e| anyhow!("the v2 core cannot be built for these parameters: {e}"))?;
        if !(1..=MAX_CHANNELS).contains(&channels) {
            bail!("channels must be 1..={MAX_CHANNELS}, got {channels}");
        }
        Ok(CoreDesign {
            params: p.golomb,
            v2: Some(p),
            channels,
            lanes: 1,
            packets: None,
        })
    }

    /// The coder this design implements.
    pub fn coder(&self) -> Coder {
        if self.v2.is_some() {
            Coder::Max
        } else {
            Coder::Lite
        }
    }

    /// Why this design's real-time channel count does not follow from its Fmax (for the
    /// synthesis report, `neurice_synth::FlowConfig::realtime_unknown`): coder v2 takes a
    /// sample in a data-dependent number of clocks. `None` for coder v1 (`lanes` per clock).
    pub fn realtime_unknown(&self) -> Option<String> {
        self.v2.map(|_| {
            "coder v2 takes a sample every ~4.4-4.6 clocks, depending on the data; `neurice \
             power --coder max` measures its samples/s and real-time channels"
                .to_string()
        })
    }

    /// The packet core (1 lane) for frames of `channels` channels, or why not.
    pub fn with_packets(params: CodecParams, channels: usize, pk: PacketDesign) -> Result<Self> {
        let d = Self::new(params, channels)?;
        pk.hdl()
            .check_for(&params, channels)
            .map_err(|e| anyhow!("the packet core cannot be built: {e}"))?;
        Ok(CoreDesign {
            packets: Some(pk),
            ..d
        })
    }

    /// The hardware coder with 1024 channels of state, one lane.
    pub fn hardware() -> Self {
        CoreDesign {
            params: CodecParams::HARDWARE,
            v2: None,
            channels: MAX_CHANNELS,
            lanes: 1,
            packets: None,
        }
    }

    /// The core's Verilog (top module `top`).
    pub fn verilog(&self) -> Result<String> {
        if let Some(p) = &self.v2 {
            return neurice_hdl::v2::core::v2_verilog(p, self.channels)
                .map_err(|e| anyhow!("v2 core Verilog: {e}"));
        }
        if let Some(pk) = &self.packets {
            return neurice_hdl::packet_verilog(&self.params, self.channels, &pk.hdl())
                .map_err(|e| anyhow!("packet core Verilog: {e}"));
        }
        neurice_hdl::verilog_lanes(&self.params, self.channels, self.lanes)
            .map_err(|e| anyhow!("core Verilog: {e}"))
    }

    /// Refuses a stimulus for another coder or for more channels than the design has.
    pub fn check(&self, stim: &Stimulus) -> Result<()> {
        stim.validate()?;
        if stim.v2 != self.v2 {
            bail!(
                "{}: the stimulus is for coder {}, the core was built for coder {}",
                stim.label,
                stim.coder(),
                self.coder()
            );
        }
        if stim.params != self.params {
            bail!(
                "{}: the stimulus is for the coder {:?}, the core was built for {:?}",
                stim.label,
                stim.params,
                self.params
            );
        }
        if stim.channels > self.channels {
            bail!(
                "{}: {} channels, the core has state for {}",
                stim.label,
                stim.channels,
                self.channels
            );
        }
        neurice_hdl::check_lanes(stim.channels, self.lanes)
            .map_err(|e| anyhow!("{}: {e}", stim.label))?;
        if !stim.samples.len().is_multiple_of(self.lanes) {
            bail!(
                "{}: {} samples is not a whole number of channel pairs for the 2-lane core",
                stim.label,
                stim.samples.len()
            );
        }
        Ok(())
    }
}

/// How to run: parallelism, where builds are cached, and for the gate-level engine which
/// netlist to simulate.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Parallel simulations.
    pub jobs: usize,
    /// Where Verilator builds are cached.
    pub build_dir: PathBuf,
    /// Gate-level engine: simulate this netlist (e.g. the one the synthesis flow made, so the
    /// netlist proved is the one measured for power) instead of synthesising one.
    pub netlist: Option<String>,
    /// Print what is being built.
    pub verbose: bool,
}

/// Totals of one [`run`].
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub engine: Engine,
    /// The coder of the design: `lite` (v1) or `max` (v2).
    pub coder: Coder,
    pub design: CoreDesign,
    /// Channels of the stimuli (of the first one).
    pub channels: usize,
    pub runs: usize,
    pub samples: u64,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub words: u64,
    pub expected_words: u64,
    pub mismatches: u64,
    pub failed_runs: usize,
    /// 16-bit samples / payload words of the core (container excluded).
    pub ratio: f64,
    pub input_gap_per_mille: u32,
    pub backpressure_per_mille: u32,
    pub seed: u64,
    /// Wall time of the simulation (loading and building excluded).
    pub seconds: f64,
    /// Simulated cycles per second of one simulator instance.
    pub cycles_per_second: f64,
    pub jobs: usize,
    pub first_failure: Option<FirstFailure>,
}

/// Where the first mismatch of a [`run`] was.
#[derive(Clone, Debug, Serialize)]
pub struct FirstFailure {
    pub label: String,
    pub mismatch: Option<Mismatch>,
}

impl RunSummary {
    /// Bit-exact: words were compared and none differed.
    pub fn passed(&self) -> bool {
        self.mismatches == 0 && self.samples > 0
    }
}

/// Simulates `stims` (all for `design`, checked before anything is built) with `engine` and
/// compares every word with the golden model. `progress` gets the total samples taken so
/// far. Mismatches are reported in the summary and the per-run reports, not as errors; a
/// stuck run is an error.
pub fn run(
    engine: Engine,
    design: &CoreDesign,
    stims: &[Stimulus],
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(RunSummary, Vec<SimReport>)> {
    if stims.is_empty() {
        bail!("nothing to simulate: no stimuli");
    }
    for s in stims {
        design.check(s)?;
    }
    let jobs = opts.jobs.max(1);
    let binary = match engine {
        Engine::Rusthdl => None,
        Engine::Verilator => {
            if opts.verbose {
                eprintln!(
                    "building the Verilator model (cached in {})…",
                    opts.build_dir.display()
                );
            }
            Some(verilator::build(
                &design.verilog()?,
                "top",
                &opts.build_dir,
            )?)
        }
        Engine::Gatelevel => {
            let net = match &opts.netlist {
                Some(n) => n.clone(),
                None => {
                    if opts.verbose {
                        eprintln!("synthesising the iCE40 netlist …");
                    }
                    gatelevel::netlist(
                        &design.verilog()?,
                        "top",
                        &opts.build_dir.join("gatelevel"),
                    )?
                }
            };
            if opts.verbose {
                eprintln!("verilating the netlist with the iCE40 cell models …");
            }
            Some(gatelevel::build(&net, "top", &opts.build_dir)?)
        }
    };
    let t0 = Instant::now();
    let (reports, per_model_cps) = match &binary {
        None => {
            let done = AtomicU64::new(0);
            let reports = run_parallel(stims, jobs, |s| {
                let mut last = 0u64;
                rusthdl::run_design(s, design, &mut |n| {
                    let before = done.fetch_add(n - last, Ordering::Relaxed);
                    progress(before + n - last);
                    last = n;
                })
            })?;
            let secs: f64 = reports.iter().map(|r| r.seconds).sum();
            let cyc: u64 = reports.iter().map(|r| r.cycles).sum();
            (reports, if secs > 0.0 { cyc as f64 / secs } else { 0.0 })
        }
        Some(bin) => {
            let b = verilator::run_batch(stims, bin, jobs, &mut |n| progress(n))?;
            let cps = b.cycles_per_second;
            (b.reports, cps)
        }
    };
    let seconds = t0.elapsed().as_secs_f64();
    if reports.iter().all(|r| r.samples == 0) {
        bail!("the simulation compared no samples (empty recordings?): nothing was verified");
    }
    let sum = |f: fn(&SimReport) -> u64| reports.iter().map(f).sum::<u64>();
    let words = sum(|r| r.words);
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    let pattern: Pattern = stims[0].pattern();
    let summary = RunSummary {
        engine,
        coder: design.coder(),
        design: *design,
        channels: stims[0].channels,
        runs: reports.len(),
        samples: sum(|r| r.samples),
        cycles: sum(|r| r.cycles),
        stall_cycles: sum(|r| r.stall_cycles),
        words,
        expected_words: sum(|r| r.expected_words),
        mismatches: sum(|r| r.mismatches),
        failed_runs: reports.iter().filter(|r| r.mismatches > 0).count(),
        ratio: payload_ratio(total as usize, words as usize),
        input_gap_per_mille: pattern.input_gap_per_mille,
        backpressure_per_mille: pattern.backpressure_per_mille,
        seed: pattern.seed,
        seconds,
        cycles_per_second: per_model_cps,
        jobs,
        first_failure: reports
            .iter()
            .find(|r| r.mismatches > 0)
            .map(|r| FirstFailure {
                label: r.label.clone(),
                mismatch: r.first_mismatch.clone(),
            }),
    };
    Ok((summary, reports))
}

/// `f` on every stimulus, `jobs` at a time, results in input order.
fn run_parallel(
    stims: &[Stimulus],
    jobs: usize,
    f: impl Fn(&Stimulus) -> Result<SimReport> + Sync + Send,
) -> Result<Vec<SimReport>> {
    use rayon::prelude::*;
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("simulation thread pool")?
        .install(|| stims.par_iter().map(f).collect())
}
