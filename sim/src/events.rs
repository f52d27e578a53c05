//! Event mode's core in the engines ([`crate::run`] with a [`CoreDesign::events`] design):
//! the event core (`neurice_hdl::events`, FORMAT.md §12) against `neurice_model::events`,
//! word for word, and every segment's end (`out_last`) but the stream's last (the end of the
//! stream ends that segment; the core marks it only when the flush emits it, as
//! `sim/tests/events_core.rs` checks). The stimuli are the coder cores' (10-bit grid
//! samples, whole frames of the design's channels), the handshake pattern and the harness
//! the same.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use neurice_hdl::events::EventCore1024;
use neurice_model::events::{encode, stream_words, EventParams};

use crate::engine::{CoreDesign, CoreFacts, Engine, PowerDuty};
use crate::{make_report, rusthdl, verilator, RunCounts, SimReport, Stimulus};

/// Event mode's name on the command line and in JSON (`--coder events`).
pub const NAME: &str = "events";

/// Event mode's default clock, MHz: the lowest clock that is real time for 1024 channels of
/// 20 kHz at one sample per clock (1024 × 20 kHz = 20.48 M samples/s; the core took 1 049 600
/// samples in 1 049 609 clocks there, no stall, FORMAT.md §12.9). The clock tree's power
/// scales with the clock, the rest with the samples, so the lowest real-time clock is the
/// lowest power (`neurice power --coder events --device up5k`: 3.15 mW typical here, 3.42
/// at 25 MHz). A UP5K's PLL from a 12 MHz crystal makes 20.625 MHz (`icepll -i 12 -o 20.48`).
pub const BOARD_MHZ: f64 = 20.48;

/// Event mode's row of [`CoreDesign::facts`].
pub(crate) fn facts() -> CoreFacts {
    CoreFacts {
        board_mhz: BOARD_MHZ,
        power_duty: PowerDuty::RealTime,
        realtime_unknown: None,
        asic_skipped: Some(
            "not run for event mode: the estimate counts coder v1's state word per channel as \
             6T SRAM; the event core's state (six fields per channel) has no such count yet"
                .to_string(),
        ),
    }
}

/// The event model's words for `stim` and the indices of its segments' last words.
pub fn expected(p: &EventParams, stim: &Stimulus) -> Result<(Vec<u32>, Vec<usize>)> {
    let xs: Vec<u32> = stim.samples.iter().map(|&x| x as u32).collect();
    let (segments, _) =
        encode(p, &xs).map_err(|e| anyhow!("{}: the event model: {e}", stim.label))?;
    Ok(stream_words(&segments))
}

/// What an engine took out of one run, before the comparison.
struct Taken<'a> {
    words: &'a [u32],
    ends: &'a [usize],
    extra_words: u64,
    counts: RunCounts,
    what: String,
}

/// Compares one run with the event model: its words, then its segment ends and the words
/// after `idle` (each a mismatch).
fn compare(engine: Engine, p: &EventParams, stim: &Stimulus, t: Taken) -> Result<SimReport> {
    let (want, want_ends) = expected(p, stim)?;
    let n = stim.samples.len();
    // the first sample of a word: estimated in proportion to its place in the stream
    let first: Vec<usize> = (0..want.len())
        .map(|i| (i * n / want.len().max(1)).min(n.saturating_sub(1)))
        .collect();
    let detail = |i: usize| {
        format!(
            "{}: word {i} of {} taken in {} cycles ({} stalls, {} extra words after idle)",
            t.what,
            t.words.len(),
            t.counts.cycles,
            t.counts.stall_cycles,
            t.extra_words
        )
    };
    let mut r = make_report(engine, stim, (&want, &first), t.words, t.counts, detail);
    let last = want.len().wrapping_sub(1);
    let inner = |v: &[usize]| v.iter().copied().filter(|&e| e != last).collect::<Vec<_>>();
    let problem = if inner(t.ends) != inner(&want_ends) {
        Some(format!(
            "out_last on words {:?}, the model's segments end at {:?} (the stream's last \
             word aside)",
            t.ends, want_ends
        ))
    } else if t.extra_words > 0 {
        Some(format!("{} words offered after idle", t.extra_words))
    } else {
        None
    };
    if let Some(d) = problem {
        r.mismatches += 1;
        if r.first_mismatch.is_none() {
            r.first_mismatch = Some(crate::Mismatch {
                word_index: last,
                expected: None,
                got: None,
                sample_index: n.saturating_sub(1),
                channel: n.saturating_sub(1) % stim.channels.max(1),
                detail: format!("{}: {d}", t.what),
            });
        }
    }
    Ok(r)
}

/// Compares one harness run (`engine`: Verilator on the Verilog or the netlist) with the
/// event model (a stuck run is an error, [`verilator::RawRun::check`]).
pub fn report_raw(
    engine: Engine,
    p: &EventParams,
    stim: &Stimulus,
    raw: &verilator::RawRun,
) -> Result<SimReport> {
    raw.check(stim)?;
    let counts = RunCounts {
        samples_taken: raw.samples_taken,
        cycles: raw.cycles,
        stall_cycles: raw.stall_cycles,
        seconds: raw.seconds,
    };
    let t = Taken {
        words: &raw.words,
        ends: &raw.ends,
        extra_words: raw.extra_words,
        counts,
        what: format!("{engine}, {} flushing cycles", raw.flush_cycles),
    };
    compare(engine, p, stim, t)
}

/// Runs `stims` on the event core for `p` with `engine` (`binary`: the Verilator model of the
/// Verilog or the netlist; `None`: rust-hdl's simulator) and compares each with the model.
/// Returns the reports and the simulated cycles per second of one simulator.
pub(crate) fn run(
    engine: Engine,
    p: &EventParams,
    stims: &[Stimulus],
    binary: Option<&Path>,
    jobs: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<SimReport>, f64)> {
    let design = CoreDesign::events(*p)?;
    for s in stims {
        design.check(s)?;
    }
    let reports: Vec<SimReport> = match binary {
        Some(bin) => {
            let refs: Vec<&Stimulus> = stims.iter().collect();
            let raws = verilator::run_raw(&refs, bin, jobs, &mut |n| progress(n))?;
            stims
                .iter()
                .zip(&raws)
                .map(|(stim, raw)| report_raw(engine, p, stim, raw))
                .collect::<Result<_>>()?
        }
        None => {
            use rayon::prelude::*;
            let done = std::sync::atomic::AtomicU64::new(0);
            rayon::ThreadPoolBuilder::new()
                .num_threads(jobs.max(1))
                .build()
                .context("simulation thread pool")?
                .install(|| {
                    stims
                        .par_iter()
                        .map(|stim| {
                            let core = Box::new(
                                EventCore1024::new(p).map_err(|e| anyhow!("event core: {e}"))?,
                            );
                            let (want, _) = expected(p, stim)?;
                            let mut last = 0u64;
                            let run = rusthdl::run_flagged(core, stim, &want, &mut |n| {
                                let d = std::sync::atomic::Ordering::Relaxed;
                                progress(done.fetch_add(n - last, d) + n - last);
                                last = n;
                            })?;
                            let counts = RunCounts {
                                samples_taken: run.samples_taken,
                                cycles: run.cycles,
                                stall_cycles: run.stall_cycles,
                                seconds: run.seconds,
                            };
                            let t = Taken {
                                words: &run.words,
                                ends: &run.ends,
                                extra_words: run.extra_words,
                                counts,
                                what: engine.to_string(),
                            };
                            compare(engine, p, stim, t)
                        })
                        .collect::<Result<_>>()
                })?
        }
    };
    let secs: f64 = reports.iter().map(|r| r.seconds).sum();
    let cycles: u64 = reports.iter().map(|r| r.cycles).sum();
    Ok((
        reports,
        if secs > 0.0 {
            cycles as f64 / secs
        } else {
            0.0
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default clock is real time for 1024 channels of 20 kHz at one sample per clock,
    /// and no faster than needed (the lowest clock is the lowest power).
    #[test]
    fn the_default_clock_is_the_real_time_minimum() {
        let p = EventParams::new(crate::MAX_CHANNELS as u32);
        let d = CoreDesign::events(p).unwrap();
        let f = d.facts().board_mhz;
        let min = neurice_synth::power::min_clock_mhz(
            crate::MAX_CHANNELS,
            neurice_synth::power::SAMPLE_RATE_HZ,
        );
        assert_eq!(d.power_gap_per_mille(f).unwrap(), 0, "{f} MHz");
        assert!(f >= min && f < min * 1.01, "{f} MHz against {min}");
    }
}
