//! # The rust-hdl engine: the core in rust-hdl's own simulator, driven directly
//!
//! Not through `Simulation::add_testbench` (which hands the circuit between threads on every
//! edge, thousands of cycles/s): the testbench owns the circuit and, every cycle, sets the
//! inputs with the clock low, settles the logic, samples the handshakes, raises the clock
//! and settles again — the same cycle as `sim/harness/harness.cpp` (see there), with the same
//! [`XorShift64`] draws, so both engines see identical stimulus and must give identical
//! words and cycle counts.

use std::time::Instant;

use anyhow::{bail, Result};
use neurice_hdl::events::EventCore1024;
use neurice_hdl::max::{MaxCore1024, MaxPacketCore1024};
use neurice_hdl::{Core1024, Core2x512, PacketCore1024};
use neurice_model::{CodecParams, CoderSpec};
use rust_hdl::prelude::*;

use crate::{check_max_ends, golden, make_report, max_order};
use crate::{CoreDesign, Engine, Golden, RunCounts, Shape};
use crate::{SimReport, Stimulus, XorShift64, MAX_CHANNELS};

/// Cycles without any handshake before a run is declared stuck.
const NO_PROGRESS_CAP: u64 = 1 << 20;
/// Cycles the flush may take before a run is declared stuck.
const FLUSH_CAP: u64 = 1 << 20;
/// Cycles watched after `idle` for words that should not exist.
const AFTER_IDLE_CYCLES: usize = 8;
/// Settling iterations allowed per half cycle.
const SETTLE: usize = 200;

/// A core the rust-hdl engine can drive: the 1-lane [`Core1024`] (one sample per transfer),
/// the 2-lane [`Core2x512`] (a channel pair per transfer) or the coder-max [`MaxCore1024`].
pub trait SimCore: Block + Sized {
    /// Samples per input transfer.
    const LANES: usize;
    /// A fresh core for the coder of `stim` (1024 channels of state).
    fn build(stim: &Stimulus) -> Result<Box<Self>>;
    /// Sets the inputs (not the clock): `samples` holds [`Self::LANES`] samples of the
    /// channels `channel, channel + 1, …`.
    fn drive(
        &mut self,
        in_valid: bool,
        channel: u32,
        samples: &[u16],
        out_ready: bool,
        flush: bool,
        clear: bool,
    );
    fn clock_to(&mut self, high: bool);
    fn in_valid(&self) -> bool;
    fn in_ready(&self) -> bool;
    fn out_valid(&self) -> bool;
    fn out_ready(&self) -> bool;
    fn out_word(&self) -> u32;
    fn idle(&self) -> bool;
    /// What each stage holds, one line (for mismatch reports).
    fn pipeline_state(&self) -> String;
    /// The end flag of the word on `out_word`: `out_last` of a core with restarts (a
    /// segment's last word) and of the max core (the block's last word), `out_end` of the
    /// packet core (a packet's last word).
    fn out_end(&self) -> bool {
        false
    }
    /// The valid bytes of the word on `out_word` (`out_bytes` of the max core; 4 otherwise).
    fn out_bytes(&self) -> u32 {
        4
    }
    /// The substream of the word on `out_word` (`out_stream` of the max core: 1 the raw
    /// substream; false for every other core).
    fn out_stream(&self) -> bool {
        false
    }
}

/// The [`SimCore`] methods that read the ports both cores share (clock, handshakes, word,
/// idle): the same code for either core.
macro_rules! shared_ports {
    () => {
        fn clock_to(&mut self, high: bool) {
            self.clock.next = Clock::from(high);
        }
        fn in_valid(&self) -> bool {
            self.in_valid.val()
        }
        fn in_ready(&self) -> bool {
            self.in_ready.val()
        }
        fn out_valid(&self) -> bool {
            self.out_valid.val()
        }
        fn out_ready(&self) -> bool {
            self.out_ready.val()
        }
        fn out_word(&self) -> u32 {
            self.out_word.val().to_u32()
        }
        fn idle(&self) -> bool {
            self.idle.val()
        }
    };
}

/// [`SimCore::drive`] of a core with the 1-lane in-port (`in_channel`, `in_sample`): the
/// core and the packet core.
macro_rules! one_lane_drive {
    () => {
        fn drive(
            &mut self,
            in_valid: bool,
            channel: u32,
            samples: &[u16],
            out_ready: bool,
            flush: bool,
            clear: bool,
        ) {
            self.in_valid.next = in_valid;
            self.in_channel.next = (channel as u64).into();
            self.in_sample.next = (samples[0] as u64).into();
            self.out_ready.next = out_ready;
            self.flush.next = flush;
            self.clear.next = clear;
        }
    };
}

impl SimCore for Core1024 {
    const LANES: usize = 1;
    fn build(stim: &Stimulus) -> Result<Box<Self>> {
        let p = lite_params(stim)?;
        Ok(Box::new(
            Core1024::new(&p).map_err(|e| anyhow::anyhow!("core: {e}"))?,
        ))
    }
    one_lane_drive!();
    shared_ports!();
    fn pipeline_state(&self) -> String {
        Core1024::pipeline_state(self).to_string()
    }
    fn out_end(&self) -> bool {
        self.out_last.val()
    }
}

impl SimCore for Core2x512 {
    const LANES: usize = 2;
    fn build(stim: &Stimulus) -> Result<Box<Self>> {
        let p = lite_params(stim)?;
        Ok(Box::new(
            Core2x512::new(&p).map_err(|e| anyhow::anyhow!("core: {e}"))?,
        ))
    }
    fn drive(
        &mut self,
        in_valid: bool,
        channel: u32,
        samples: &[u16],
        out_ready: bool,
        flush: bool,
        clear: bool,
    ) {
        self.in_valid.next = in_valid;
        self.in_pair.next = ((channel >> 1) as u64).into();
        self.in_sample0.next = (samples[0] as u64).into();
        self.in_sample1.next = (samples[1] as u64).into();
        self.out_ready.next = out_ready;
        self.flush.next = flush;
        self.clear.next = clear;
    }
    shared_ports!();
    fn pipeline_state(&self) -> String {
        Core2x512::pipeline_state(self).to_string()
    }
}

impl SimCore for PacketCore1024 {
    const LANES: usize = 1;
    fn build(_: &Stimulus) -> Result<Box<Self>> {
        bail!("the packet core is built for its channels and packet stream: PacketCore::new")
    }
    one_lane_drive!();
    shared_ports!();
    fn pipeline_state(&self) -> String {
        self.core.pipeline_state().to_string()
    }
    fn out_end(&self) -> bool {
        self.out_end.val()
    }
}

impl SimCore for MaxPacketCore1024 {
    const LANES: usize = 1;
    fn build(_: &Stimulus) -> Result<Box<Self>> {
        bail!("the max packet core is built for its channels and packet stream: MaxPacketCore::new")
    }
    one_lane_drive!();
    shared_ports!();
    fn pipeline_state(&self) -> String {
        self.core.debug_state()
    }
    fn out_end(&self) -> bool {
        self.out_end.val()
    }
}

impl SimCore for MaxCore1024 {
    const LANES: usize = 1;
    fn build(stim: &Stimulus) -> Result<Box<Self>> {
        let CoderSpec::Max(s) = &stim.coder else {
            bail!("{}: a {} stimulus for the max core", stim.label, stim.coder);
        };
        Ok(Box::new(
            MaxCore1024::new(&s.params, &s.table.table())
                .map_err(|e| anyhow::anyhow!("max core: {e}"))?,
        ))
    }
    one_lane_drive!();
    shared_ports!();
    fn pipeline_state(&self) -> String {
        self.debug_state()
    }
    fn out_end(&self) -> bool {
        self.out_last.val()
    }
    fn out_bytes(&self) -> u32 {
        self.out_bytes.val().to_u32()
    }
    fn out_stream(&self) -> bool {
        self.out_stream.val()
    }
}

impl SimCore for EventCore1024 {
    const LANES: usize = 1;
    fn build(_: &Stimulus) -> Result<Box<Self>> {
        bail!("the event core is built for its event parameters: EventCore::new")
    }
    one_lane_drive!();
    shared_ports!();
    fn pipeline_state(&self) -> String {
        self.debug_state()
    }
    fn out_end(&self) -> bool {
        self.out_last.val()
    }
}

/// Coder v1's parameters of a stimulus for a coder-v1 core.
fn lite_params(stim: &Stimulus) -> Result<CodecParams> {
    match stim.coder {
        CoderSpec::Lite(p) => Ok(p),
        CoderSpec::Max(_) | CoderSpec::V2(_) => bail!(
            "{}: a {} stimulus for a coder-v1 core",
            stim.label,
            stim.coder
        ),
    }
}

/// The core under test, its clock and its settle loop.
struct Bench<T: SimCore> {
    core: Box<T>,
}

impl<T: SimCore> Bench<T> {
    /// A fresh core for the coder of `stim` (1024 channels of state).
    fn new(stim: &Stimulus) -> Result<Self> {
        Self::with_core(T::build(stim)?)
    }

    /// A bench around `core` (connected and checked here).
    fn with_core(mut core: Box<T>) -> Result<Self> {
        core.connect_all();
        if let Err(e) = check_all(core.as_ref()) {
            bail!("rust-hdl check of the core failed: {e:?}");
        }
        core.clock_to(false);
        let mut b = Bench { core };
        b.settle()?;
        Ok(b)
    }

    fn settle(&mut self) -> Result<()> {
        if !simulate(self.core.as_mut(), SETTLE) {
            bail!("the core's logic did not settle within {SETTLE} iterations");
        }
        Ok(())
    }

    /// Sets the inputs with the clock low and settles.
    fn low(
        &mut self,
        in_valid: bool,
        channel: u32,
        samples: &[u16],
        out_ready: bool,
        flush: bool,
    ) -> Result<()> {
        let c = &mut self.core;
        c.clock_to(false);
        c.drive(in_valid, channel, samples, out_ready, flush, false);
        self.settle()
    }

    /// Holds `clear` (sink ready) until the core reports `idle` again, then drops it; returns
    /// the cycles it took. Fails if the core does not become idle.
    fn clear(&mut self) -> Result<u64> {
        let mut cycles = 0u64;
        let zeros = [0u16; 2];
        loop {
            let c = &mut self.core;
            c.clock_to(false);
            c.drive(false, 0, &zeros, true, false, true);
            self.settle()?;
            // idle with clear high only after the walk over every channel (never at once)
            if self.core.idle() && cycles > 0 {
                break;
            }
            if cycles > 1 << 12 {
                bail!(
                    "clear did not finish in {cycles} cycles: {}",
                    self.core.pipeline_state()
                );
            }
            self.high()?;
            cycles += 1;
        }
        self.core.drive(false, 0, &zeros, true, false, false);
        Ok(cycles)
    }

    /// Raises the clock and settles.
    fn high(&mut self) -> Result<()> {
        self.core.clock_to(true);
        self.settle()
    }
}

/// Raw result of one run (before the golden-model comparison).
struct Raw {
    words: Vec<u32>,
    /// Indices of the words taken with [`SimCore::out_end`] high.
    ends: Vec<usize>,
    /// [`SimCore::out_bytes`] of those words.
    end_bytes: Vec<u32>,
    /// [`SimCore::out_stream`] of every word.
    streams: Vec<bool>,
    cycles: u64,
    stall_cycles: u64,
    samples_taken: u64,
    extra_words: u64,
    state_at_end: String,
    /// Cycle and pipeline state when the first word differing from the golden model was taken.
    first_bad: Option<(u64, String)>,
    seconds: f64,
}

/// One stimulus (already checked, [`Stimulus::validate`]) on a bench in whatever state it is
/// (fresh, or after a clear). `expected` only marks where the first wrong word was taken; for
/// coder max it is the token substream's words, then the raw substream's, and `token_words`
/// says where they split ([`crate::MaxEnds`]).
fn simulate_on<T: SimCore>(
    b: &mut Bench<T>,
    stim: &Stimulus,
    expected: &[u32],
    token_words: Option<usize>,
    progress: &mut dyn FnMut(u64),
) -> Result<Raw> {
    let t0 = Instant::now();
    let mut rng = XorShift64::new(stim.seed);
    let n = stim.samples.len() as u64;
    let mut words = Vec::with_capacity(stim.samples.len() / 4 + 16);
    let (mut cycles, mut stalls, mut next, mut quiet) = (0u64, 0u64, 0u64, 0u64);
    let mut channel = 0u32;
    let mut first_bad = None;
    let lanes = T::LANES as u64;
    let zeros = [0u16; 2];
    let mut ends = Vec::new();
    let mut end_bytes = Vec::new();
    let mut streams = Vec::new();
    // words taken of each substream (coder max)
    let mut taken = [0usize; 2];
    let mut take = |words: &mut Vec<u32>, w: u32, cycle: u64, core: &T| {
        let s = core.out_stream();
        let at = match token_words {
            Some(t) => taken[s as usize] + if s { t } else { 0 },
            None => words.len(),
        };
        taken[s as usize] += 1;
        streams.push(s);
        if first_bad.is_none() && expected.get(at) != Some(&w) {
            first_bad = Some((cycle, core.pipeline_state()));
        }
        if core.out_end() {
            ends.push(words.len());
            end_bytes.push(core.out_bytes());
        }
        words.push(w);
    };
    while next < n {
        let gap = rng.chance(stim.input_gap_per_mille);
        let bp = rng.chance(stim.backpressure_per_mille);
        let at = next as usize;
        b.low(!gap, channel, &stim.samples[at..at + T::LANES], !bp, false)?;
        let c = &b.core;
        let in_take = c.in_valid() && c.in_ready();
        let out_take = c.out_valid() && c.out_ready();
        let w = c.out_word();
        if c.in_valid() && !c.in_ready() {
            stalls += 1;
        }
        if out_take {
            take(&mut words, w, cycles, &b.core);
        }
        b.high()?;
        cycles += 1;
        if in_take {
            next += lanes;
            channel += T::LANES as u32;
            if channel as usize == stim.channels {
                channel = 0;
            }
        }
        if in_take || out_take {
            quiet = 0;
        } else {
            quiet += 1;
            if quiet > NO_PROGRESS_CAP {
                bail!(
                    "no progress for {NO_PROGRESS_CAP} cycles after {next} samples: {}",
                    b.core.pipeline_state()
                );
            }
        }
        if cycles & 0xFFFF == 0 {
            progress(next);
        }
    }
    let mut flush_cycles = 0u64;
    loop {
        let _ = rng.next_u64(); // the input draw, unused while flushing
        let bp = rng.chance(stim.backpressure_per_mille);
        b.low(false, channel, &zeros, !bp, true)?;
        let c = &b.core;
        if c.idle() && !c.out_valid() {
            break;
        }
        if flush_cycles >= FLUSH_CAP {
            bail!(
                "flush did not reach idle in {FLUSH_CAP} cycles: {}",
                c.pipeline_state()
            );
        }
        let out_take = c.out_valid() && c.out_ready();
        let w = c.out_word();
        if out_take {
            take(&mut words, w, cycles, &b.core);
        }
        b.high()?;
        cycles += 1;
        flush_cycles += 1;
    }
    let state_at_end = b.core.pipeline_state();
    let mut extra_words = 0;
    for _ in 0..AFTER_IDLE_CYCLES {
        b.low(false, channel, &zeros, true, false)?;
        let c = &b.core;
        let out_take = c.out_valid() && c.out_ready();
        let w = c.out_word();
        if out_take {
            take(&mut words, w, cycles, &b.core);
            extra_words += 1;
        }
        b.high()?;
    }
    progress(next);
    Ok(Raw {
        words,
        ends,
        end_bytes,
        streams,
        cycles,
        stall_cycles: stalls,
        samples_taken: next,
        extra_words,
        state_at_end,
        first_bad,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Simulates one stimulus in rust-hdl's simulator and compares every word with the golden
/// model. `progress` gets the samples taken so far. A stuck run is an error; mismatches are
/// reported in the [`SimReport`].
pub fn run(stim: &Stimulus, progress: &mut dyn FnMut(u64)) -> Result<SimReport> {
    run_lanes(stim, 1, progress)
}

/// [`run`] on the core of `design` (checked against `stim`): the max core ([`MaxCore1024`])
/// for coder max, else the coder-v1 core with the design's lanes. (A packet core is run by
/// [`crate::packets::run`].)
pub fn run_design(
    stim: &Stimulus,
    design: &CoreDesign,
    progress: &mut dyn FnMut(u64),
) -> Result<SimReport> {
    design.check(stim)?;
    match (design.coder(), design.shape()) {
        (CoderSpec::Max(_), _) => run_on::<MaxCore1024>(stim, progress),
        (CoderSpec::V2(_), _) => bail!("{}", neurice_hdl::v2::CORE_RETIRED),
        (CoderSpec::Lite(_), Shape::TwoLanes) => run_on::<Core2x512>(stim, progress),
        (CoderSpec::Lite(_), Shape::OneLane) => run_on::<Core1024>(stim, progress),
        (CoderSpec::Lite(_), Shape::Packets(_)) => {
            bail!("a packet core is run by `neurice_sim::packets::run`")
        }
    }
}

/// [`run`] on the coder-v1 core with `lanes` lanes (1: [`Core1024`], 2: [`Core2x512`], which
/// needs an even channel count and sample count).
pub fn run_lanes(
    stim: &Stimulus,
    lanes: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<SimReport> {
    let design = CoreDesign::new(stim.coder, MAX_CHANNELS, Shape::with_lanes(lanes)?)?;
    run_design(stim, &design, progress)
}

/// Checks `stim` against the 1024-channel design of a core with `T::LANES` lanes for its
/// coder (the one check, [`CoreDesign::check`]).
fn check_for<T: SimCore>(stim: &Stimulus) -> Result<()> {
    CoreDesign::new(stim.coder, MAX_CHANNELS, Shape::with_lanes(T::LANES)?)?.check(stim)
}

fn run_on<T: SimCore>(stim: &Stimulus, progress: &mut dyn FnMut(u64)) -> Result<SimReport> {
    let g = golden(stim)?;
    let tw = g.max.map(|m| m.token_words);
    let raw = simulate_on(&mut Bench::<T>::new(stim)?, stim, &g.words, tw, progress)?;
    Ok(report(stim, &g, &raw, "rusthdl"))
}

/// Test hook, not for production use: runs like [`run`], then hands the core (idle, after the
/// flush) and the words it produced to `inspect` before they are compared with the golden
/// model. `inspect` may read the core (e.g. its state RAM, [`Core1024::state_word`]) and
/// change the words (e.g. corrupt one, to prove that the comparison reports it).
#[doc(hidden)]
pub fn run_inspect(
    stim: &Stimulus,
    inspect: &mut dyn FnMut(&Core1024, &mut Vec<u32>),
) -> Result<SimReport> {
    run_inspect_on::<Core1024>(stim, inspect)
}

/// [`run_inspect`] on either core ([`SimCore`]).
#[doc(hidden)]
pub fn run_inspect_on<T: SimCore>(
    stim: &Stimulus,
    inspect: &mut dyn FnMut(&T, &mut Vec<u32>),
) -> Result<SimReport> {
    check_for::<T>(stim)?;
    let g = golden(stim)?;
    let mut b = Bench::<T>::new(stim)?;
    let mut raw = simulate_on(
        &mut b,
        stim,
        &g.words,
        g.max.map(|m| m.token_words),
        &mut |_| {},
    )?;
    inspect(&b.core, &mut raw.words);
    Ok(report(stim, &g, &raw, "rusthdl"))
}

/// The golden-model comparison of one run (for coder max also its end marks,
/// [`check_max_ends`]); `who` starts the mismatch detail.
fn report(stim: &Stimulus, g: &Golden, raw: &Raw, who: &str) -> SimReport {
    let detail = |i: usize| {
        let at = match &raw.first_bad {
            Some((cycle, st)) => format!("when it was taken (cycle {cycle}): {st}"),
            None => format!("after the flush: {}", raw.state_at_end),
        };
        format!(
            "{who}: word {i} of {} taken in {} cycles ({} stalls, {} extra words after idle); \
             pipeline {at}",
            raw.words.len(),
            raw.cycles,
            raw.stall_cycles,
            raw.extra_words,
        )
    };
    let counts = RunCounts {
        samples_taken: raw.samples_taken,
        cycles: raw.cycles,
        stall_cycles: raw.stall_cycles,
        seconds: raw.seconds,
    };
    let golden = (g.words.as_slice(), g.first_sample.as_slice());
    if g.max.is_some() {
        let (words, ends, bytes) = max_order(&raw.words, &raw.streams, &raw.ends, &raw.end_bytes);
        let mut r = make_report(Engine::Rusthdl, stim, golden, &words, counts, detail);
        check_max_ends(&mut r, g.max, words.len(), &ends, Some(&bytes));
        return r;
    }
    make_report(Engine::Rusthdl, stim, golden, &raw.words, counts, detail)
}

/// Simulates several stimuli back to back on one core, with a flush after each and `clear`
/// between them (the way a host restarts a stream), and compares each segment's words with
/// a fresh golden-model encoder. Returns one report per segment and the clear's cycle count.
pub fn run_segments(stims: &[Stimulus]) -> Result<(Vec<SimReport>, u64)> {
    run_segments_on::<Core1024>(stims)
}

/// [`run_segments`] on either core ([`SimCore`]).
pub fn run_segments_on<T: SimCore>(stims: &[Stimulus]) -> Result<(Vec<SimReport>, u64)> {
    let Some(first) = stims.first() else {
        bail!("no segments to simulate");
    };
    for s in stims {
        check_for::<T>(s)?;
        if s.coder != first.coder {
            bail!(
                "{}: every segment must be for the same coder (one core)",
                s.label
            );
        }
    }
    let mut b = Bench::<T>::new(first)?;
    let mut reports = Vec::with_capacity(stims.len());
    let mut clear_cycles = 0;
    for (i, stim) in stims.iter().enumerate() {
        if i > 0 {
            clear_cycles = b.clear()?;
        }
        let g = golden(stim)?;
        let raw = simulate_on(
            &mut b,
            stim,
            &g.words,
            g.max.map(|m| m.token_words),
            &mut |_| {},
        )?;
        reports.push(report(stim, &g, &raw, &format!("rusthdl, segment {i}")));
    }
    Ok((reports, clear_cycles))
}

/// The words a core took out of one run, with their end flags ([`SimCore::out_end`]), for
/// cores whose words are not the golden model's plain bit stream (restarts, packets).
#[derive(Clone, Debug, Default)]
pub struct FlaggedRun {
    pub words: Vec<u32>,
    /// Indices of the words taken with the end flag high.
    pub ends: Vec<usize>,
    /// [`SimCore::out_bytes`] of those words.
    pub end_bytes: Vec<u32>,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub samples_taken: u64,
    /// Words offered in the cycles after `idle` (a bug; they are in `words` too).
    pub extra_words: u64,
    pub seconds: f64,
}

/// Simulates one stimulus on `core` (any [`SimCore`], e.g. a core built with restarts or the
/// packet core) with the same cycle, gaps and backpressure as [`run`]; `expected` only marks
/// where the first wrong word was taken (for `detail` in the caller's report).
pub fn run_flagged<T: SimCore>(
    core: Box<T>,
    stim: &Stimulus,
    expected: &[u32],
    progress: &mut dyn FnMut(u64),
) -> Result<FlaggedRun> {
    check_for::<T>(stim)?;
    let raw = simulate_on(&mut Bench::with_core(core)?, stim, expected, None, progress)?;
    Ok(FlaggedRun {
        words: raw.words,
        ends: raw.ends,
        end_bytes: raw.end_bytes,
        cycles: raw.cycles,
        stall_cycles: raw.stall_cycles,
        samples_taken: raw.samples_taken,
        extra_words: raw.extra_words,
        seconds: raw.seconds,
    })
}
