//! One entry point for every engine: [`run`] simulates stimuli of one [`CoreDesign`] with an
//! [`Engine`] and sums the per-run reports into a [`RunSummary`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use neurice_hdl::PacketParams;
use neurice_model::events::EventParams;
use neurice_model::{Coder, CoderSpec};
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

/// How the core is built around its coder: one lane, two lanes, or the packet core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// One sample per clock (every coder).
    OneLane,
    /// Two samples per clock, a channel pair `(2i, 2i+1)` per transfer (`neurice_hdl::core2`;
    /// coder `lite`, an even channel count).
    TwoLanes,
    /// The 1-lane core with restarts every `R` frames followed by the packetiser (FORMAT.md
    /// §9.6; coder `lite`, or coder `max` lossless with a packetiser per substream, §10.8; one
    /// group). Its words are compared with `neurice_model::packet::packetise`
    /// ([`crate::packets`]).
    Packets(PacketParams),
}

impl Shape {
    /// Samples per clock (and per input transfer).
    pub fn lanes(&self) -> usize {
        match self {
            Shape::OneLane | Shape::Packets(_) => 1,
            Shape::TwoLanes => 2,
        }
    }

    /// The shape with `lanes` lanes (1 or 2), or why not.
    pub fn with_lanes(lanes: usize) -> Result<Shape> {
        match lanes {
            1 => Ok(Shape::OneLane),
            2 => Ok(Shape::TwoLanes),
            _ => bail!("lanes must be 1 or 2, got {lanes}"),
        }
    }
}

/// How a core's power is measured: a per-coder fact ([`CoreDesign::facts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerDuty {
    /// At the real-time rate of its channels (20 kHz each): the core takes one transfer per
    /// clock and idles in between. (Every core with a design is measured so; the one
    /// measured at full throughput, coder v2's, is retired.)
    RealTime,
}

/// What differs between coders' cores beyond the Verilog, in one table
/// ([`CoreDesign::facts`]): one exhaustive `match`, so a new coder names its facts there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoreFacts {
    /// The core's default clock for `synth`, `power` and `flow` (`--freq` overrides it), MHz.
    /// Not always the board's: coder lite's is the board top's clock (60,
    /// `neurice_synth::DEFAULT_FREQ_MHZ`); coder max's is its synthesis target (50,
    /// `neurice_synth::DEFAULT_MAX_FREQ_MHZ`), above the 45 MHz the board top runs it at
    /// (`neurice_bsp::pll::DEFAULT_MAX_CORE_MHZ`); event mode's is the lowest real-time clock
    /// for 1024 channels (20.48, `crate::events::BOARD_MHZ`; it has no board top).
    pub board_mhz: f64,
    /// How its power is measured.
    pub power_duty: PowerDuty,
    /// Why its real-time channel count does not follow from Fmax (`None`: one transfer per
    /// clock, so it does).
    pub realtime_unknown: Option<String>,
    /// Why the ASIC estimate does not apply (`None`: it does).
    pub asic_skipped: Option<String>,
}

/// The core being verified and built: the coder with its parameters, the channels it keeps
/// state for and its [`Shape`]. Made (and checked) once by [`CoreDesign::new`]: every engine,
/// harness and the flow trust it. The same value builds the rust-hdl core, its Verilog (and
/// so the Verilator model and the netlist) and runs the golden model the words are compared
/// with.
///
/// Event mode (FORMAT.md §12) joins here too ([`CoreDesign::events`]): the event core
/// (`neurice_hdl::events`) built for its [`EventParams`], compared with
/// `neurice_model::events` ([`crate::events`]); its input is the 10-bit grid sample, carried
/// by a coder-v1 stimulus ([`CoreDesign::coder`] is then coder v1's hardware spec, which only
/// says what a sample is).
///
/// JSON: `{"coder": "lite", "params": {…}, "channels": 1024, "lanes": 1}`, plus `"packets":
/// {"segment_frames": R, "packet_bytes": P}` for the packet core; event mode `{"coder":
/// "events", "params": {…}, …}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CoreDesign {
    /// The coder and its parameters.
    coder: CoderSpec,
    /// Channels of state (`1..=1024`); a stimulus may use fewer.
    channels: usize,
    shape: Shape,
    /// Event mode: the event core with these parameters (`coder` carries the samples).
    events: Option<EventParams>,
}

impl Serialize for CoreDesign {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            #[serde(flatten)]
            coder: &'a CoderSpec,
            channels: usize,
            lanes: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            packets: Option<PacketParams>,
        }
        if let Some(p) = &self.events {
            #[derive(Serialize)]
            struct Events<'a> {
                coder: &'static str,
                params: &'a EventParams,
                channels: usize,
                lanes: usize,
            }
            return Events {
                coder: crate::events::NAME,
                params: p,
                channels: self.channels,
                lanes: 1,
            }
            .serialize(s);
        }
        Json {
            coder: &self.coder,
            channels: self.channels,
            lanes: self.lanes(),
            packets: self.packets(),
        }
        .serialize(s)
    }
}

impl CoreDesign {
    /// Whether `coder` has a hardware core, i.e. whether [`CoreDesign::new`] can build it for
    /// its hardware parameters: `lite` and `max` do; coder v2's core is retired, coder max's
    /// supersedes it (`neurice_hdl::v2::CORE_RETIRED`).
    pub fn has_core(coder: Coder) -> bool {
        match coder {
            Coder::Lite | Coder::Max => true,
            Coder::V2 => false,
        }
    }

    /// The coders whose cores `neurice flow` builds and compares (`--coder both`, `--full`):
    /// `lite` and `max`.
    pub fn coders_with_core() -> Vec<Coder> {
        Coder::ALL
            .into_iter()
            .filter(|&c| Self::has_core(c))
            .collect()
    }

    /// The core of `coder` with `channels` channels of state and `shape`, or why it cannot be
    /// built: the one check of a design.
    pub fn new(coder: CoderSpec, channels: usize, shape: Shape) -> Result<Self> {
        if !(1..=MAX_CHANNELS).contains(&channels) {
            bail!("channels must be 1..={MAX_CHANNELS}, got {channels}");
        }
        match coder {
            CoderSpec::Lite(p) => neurice_hdl::check_params(&p)
                .map_err(|e| anyhow!("the core cannot be built for these parameters: {e}"))?,
            CoderSpec::Max(s) => neurice_hdl::max::check_max_params(&s.params)
                .map_err(|e| anyhow!("the max core cannot be built for these parameters: {e}"))?,
            CoderSpec::V2(_) => bail!("{}", neurice_hdl::v2::CORE_RETIRED),
        }
        match (coder.kind(), shape) {
            // coder v2 was refused above
            (_, Shape::OneLane) | (Coder::Lite | Coder::V2, _) => {}
            (Coder::Max, Shape::TwoLanes) => {
                bail!("--lanes 2 is a coder-v1 core; the max core (--coder max) has 1 lane")
            }
            (Coder::Max, Shape::Packets(_)) => {
                if let CoderSpec::Max(s) = coder {
                    if s.params.max_error > 0 {
                        bail!(
                            "--packets with coder max is built lossless only: the max packet \
                             core with a maximum error (--max-error {}) is not built yet",
                            s.params.max_error
                        );
                    }
                }
            }
        }
        match shape {
            Shape::OneLane => {}
            Shape::TwoLanes => {
                neurice_hdl::check_lanes(channels, 2).map_err(|e| anyhow!("{e}"))?;
            }
            Shape::Packets(pk) => pk
                .check_for(&coder, channels)
                .map_err(|e| anyhow!("the packet core cannot be built: {e}"))?,
        }
        Ok(CoreDesign {
            coder,
            channels,
            shape,
            events: None,
        })
    }

    /// The event core (FORMAT.md §12) for `p` (its channels are the design's), one lane, or
    /// why it cannot be built (`neurice_hdl::events::check_event_params`).
    pub fn events(p: EventParams) -> Result<Self> {
        let channels = p.channels as usize;
        if !(1..=MAX_CHANNELS).contains(&channels) {
            bail!("channels must be 1..={MAX_CHANNELS}, got {channels}");
        }
        p.validate().map_err(|e| anyhow!("event parameters: {e}"))?;
        neurice_hdl::events::check_event_params(&p, 10)
            .map_err(|e| anyhow!("the event core cannot be built for these parameters: {e}"))?;
        Ok(CoreDesign {
            coder: CoderSpec::hardware(Coder::Lite),
            channels,
            shape: Shape::OneLane,
            events: Some(p),
        })
    }

    /// The event parameters of an event-mode design (`None`: a coder's core).
    pub fn event_params(&self) -> Option<&EventParams> {
        self.events.as_ref()
    }

    /// The name of what the core computes, as the command line says it: the coder's
    /// (`lite`, `max`) or `events`.
    pub fn name(&self) -> &'static str {
        match self.events {
            Some(_) => crate::events::NAME,
            None => self.kind().name(),
        }
    }

    /// The hardware coder (`lite`) with 1024 channels of state, one lane.
    pub fn hardware() -> Self {
        CoreDesign {
            coder: CoderSpec::hardware(Coder::Lite),
            channels: MAX_CHANNELS,
            shape: Shape::OneLane,
            events: None,
        }
    }

    /// The coder with its parameters.
    pub fn coder(&self) -> &CoderSpec {
        &self.coder
    }

    /// Which coder this design implements (event mode: coder v1, its stimuli's carrier; ask
    /// [`CoreDesign::name`] or [`CoreDesign::event_params`]).
    pub fn kind(&self) -> Coder {
        self.coder.kind()
    }

    /// Channels of state.
    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Samples per clock (and per input transfer): 1 or 2.
    pub fn lanes(&self) -> usize {
        self.shape.lanes()
    }

    /// The packet stream of a packet core.
    pub fn packets(&self) -> Option<PacketParams> {
        match self.shape {
            Shape::Packets(pk) => Some(pk),
            Shape::OneLane | Shape::TwoLanes => None,
        }
    }

    /// The same coder and shape with another channel count, checked again.
    pub fn with_channels(&self, channels: usize) -> Result<Self> {
        if let Some(p) = self.events {
            let c = u32::try_from(channels).unwrap_or(u32::MAX);
            return Self::events(EventParams { channels: c, ..p });
        }
        Self::new(self.coder, channels, self.shape)
    }

    /// The per-coder facts of this core (default clock, power duty, real-time count, ASIC).
    pub fn facts(&self) -> CoreFacts {
        if self.events.is_some() {
            return crate::events::facts();
        }
        match self.coder {
            CoderSpec::Lite(_) => CoreFacts {
                board_mhz: neurice_synth::DEFAULT_FREQ_MHZ,
                power_duty: PowerDuty::RealTime,
                realtime_unknown: None,
                asic_skipped: None,
            },
            CoderSpec::Max(_) => CoreFacts {
                board_mhz: neurice_synth::DEFAULT_MAX_FREQ_MHZ,
                power_duty: PowerDuty::RealTime,
                realtime_unknown: None,
                asic_skipped: Some(
                    "not run for coder max: the estimate counts coder v1's state word per \
                     channel as 6T SRAM; the max core's state (96 bits per channel) and its \
                     table ROM have no such count yet"
                        .to_string(),
                ),
            },
            CoderSpec::V2(_) => unreachable!("CoreDesign::new refuses coder v2 (core retired)"),
        }
    }

    /// The input gap (‰ of clocks without a sample) at which its power is measured at
    /// `clock_mhz` ([`CoreFacts::power_duty`]): the real-time rate of its channels at 20 kHz
    /// (an error below real time).
    pub fn power_gap_per_mille(&self, clock_mhz: f64) -> Result<u32> {
        match self.facts().power_duty {
            PowerDuty::RealTime => crate::activity::gap_per_mille_for_clock(
                clock_mhz,
                self.channels,
                self.lanes(),
                neurice_synth::power::SAMPLE_RATE_HZ,
            ),
        }
    }

    /// The core's Verilog (top module `top`).
    pub fn verilog(&self) -> Result<String> {
        if let Some(p) = &self.events {
            return neurice_hdl::events::event_verilog(p)
                .map_err(|e| anyhow!("event core Verilog: {e}"));
        }
        match (&self.coder, self.shape) {
            (CoderSpec::Max(s), Shape::Packets(pk)) => {
                neurice_hdl::max::max_packet_verilog(s, self.channels, &pk)
                    .map_err(|e| anyhow!("max packet core Verilog: {e}"))
            }
            (CoderSpec::Max(s), _) => {
                neurice_hdl::max::max_verilog(&s.params, &s.table.table(), self.channels)
                    .map_err(|e| anyhow!("max core Verilog: {e}"))
            }
            (CoderSpec::V2(_), _) => bail!("{}", neurice_hdl::v2::CORE_RETIRED),
            (CoderSpec::Lite(p), Shape::Packets(pk)) => {
                neurice_hdl::packet_verilog(p, self.channels, &pk)
                    .map_err(|e| anyhow!("packet core Verilog: {e}"))
            }
            (CoderSpec::Lite(p), shape) => {
                neurice_hdl::verilog_lanes(p, self.channels, shape.lanes())
                    .map_err(|e| anyhow!("core Verilog: {e}"))
            }
        }
    }

    /// Refuses a stimulus for another coder, for more channels than the design has, or not
    /// made of whole transfers of its lanes.
    pub fn check(&self, stim: &Stimulus) -> Result<()> {
        stim.validate()?;
        if stim.kind() != self.kind() {
            bail!(
                "{}: the stimulus is for coder {}, the core was built for coder {}",
                stim.label,
                stim.kind(),
                self.kind()
            );
        }
        if stim.coder != self.coder {
            bail!(
                "{}: the stimulus is for the coder {:?}, the core was built for {:?}",
                stim.label,
                stim.coder,
                self.coder
            );
        }
        if self.events.is_some() && stim.channels != self.channels {
            bail!(
                "{}: {} channels, the event core was built for frames of {} (FORMAT.md §12.1)",
                stim.label,
                stim.channels,
                self.channels
            );
        }
        if self.events.is_some() && !stim.samples.len().is_multiple_of(stim.channels) {
            bail!(
                "{}: {} samples is not a whole number of frames of {} channels (event mode \
                 codes whole frames, FORMAT.md §12)",
                stim.label,
                stim.samples.len(),
                stim.channels
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
        if self.kind() == Coder::Max && !stim.samples.len().is_multiple_of(stim.channels) {
            bail!(
                "{}: {} samples is not a whole number of frames of {} channels (the max core \
                 codes a block of whole frames, FORMAT.md §10.6)",
                stim.label,
                stim.samples.len(),
                stim.channels
            );
        }
        let lanes = self.lanes();
        neurice_hdl::check_lanes(stim.channels, lanes)
            .map_err(|e| anyhow!("{}: {e}", stim.label))?;
        if !stim.samples.len().is_multiple_of(lanes) {
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
    /// What the design computes ([`CoreDesign::name`]): `lite`, `max` or `events`.
    pub coder: &'static str,
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
    if let Some(pk) = design.packets() {
        bail!(
            "a packet core (R = {}, P = {}) is run by `neurice_sim::packets::run`, against the \
             golden model's packet stream",
            pk.segment_frames,
            pk.packet_bytes
        );
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
    let (reports, per_model_cps) = match (&binary, design.event_params()) {
        (_, Some(p)) => crate::events::run(engine, p, stims, binary.as_deref(), jobs, progress)?,
        (None, None) => {
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
        (Some(bin), None) => {
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
        coder: design.name(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `has_core` says exactly which coders `CoreDesign::new` builds; the max core has one
    /// lane (two lanes are refused with the reason) and a packet core only lossless.
    #[test]
    fn coders_with_a_core_are_the_ones_a_design_is_made_for() {
        for c in Coder::ALL {
            let d = CoreDesign::new(CoderSpec::hardware(c), 64, Shape::OneLane);
            assert_eq!(d.is_ok(), CoreDesign::has_core(c), "{c}: {d:?}");
        }
        assert_eq!(CoreDesign::coders_with_core(), [Coder::Lite, Coder::Max]);
        let max = CoderSpec::hardware(Coder::Max);
        let e = CoreDesign::new(max, 64, Shape::TwoLanes)
            .unwrap_err()
            .to_string();
        assert!(e.contains("max core") && e.contains("1 lane"), "{e}");
        let pk = Shape::Packets(PacketParams::DEFAULT);
        assert!(CoreDesign::new(max, 64, pk).is_ok());
        let CoderSpec::Max(mut near) = max else {
            unreachable!()
        };
        near.params.max_error = 1;
        let e = CoreDesign::new(CoderSpec::Max(near), 64, pk)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lossless only"), "{e}");
        // coder v2's core is retired: every shape is refused, naming its successor
        let v2 = CoderSpec::hardware(Coder::V2);
        for shape in [Shape::OneLane, Shape::TwoLanes, pk] {
            let e = CoreDesign::new(v2, 64, shape).unwrap_err().to_string();
            assert!(e.contains("retired") && e.contains("coder max"), "{e}");
        }
        let d = CoreDesign::new(max, MAX_CHANNELS, Shape::OneLane).unwrap();
        assert_eq!(d.facts().power_duty, PowerDuty::RealTime);
        assert!(d.facts().board_mhz >= 40.96, "{:?}", d.facts());
        assert!(d.verilog().unwrap().contains("out_stream"));
        // a block is whole frames
        let stim = Stimulus::new(max, 2, vec![0; 7], "max");
        let e = d.check(&stim).unwrap_err().to_string();
        assert!(e.contains("whole number of frames"), "{e}");
        let stim = Stimulus::new(max, 2, vec![0; 8], "max");
        d.check(&stim).unwrap();
        let g = crate::golden(&stim).unwrap();
        let m = g.max.expect("a max stimulus has two substreams");
        assert!(m.token_words >= 1 && m.token_words < g.words.len(), "{m:?}");
        let lite = CoreDesign::hardware();
        assert!(
            lite.check(&stim).is_err(),
            "a max stimulus on the lite core"
        );
    }
}
