//! # neurice-sim — cycle-accurate simulation of the core against the golden model
//!
//! Both engines (rust-hdl's own simulator and Verilator on the emitted Verilog) take the same
//! [`Stimulus`], draw input gaps and output backpressure from the same [`XorShift64`] sequence
//! (one draw for the input, then one for the output, every cycle), and produce the same
//! [`SimReport`]. Every output word is compared with [`expected_words`] from the golden model.
//!
//! ## The core's ports (the contract every engine and harness relies on)
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | rising edge |
//! | `in_valid`, `in_ready` | in/out | 1 | input handshake: a sample is taken when both are high |
//! | `in_channel` | in | 10 | channel of the sample (round-robin `0..channels`) |
//! | `in_sample` | in | 10 | the 10-bit grid index |
//! | `flush` | in | 1 | held high (with `in_valid` low) after the last sample: the core drains and emits the zero-padded final word |
//! | `clear` | in | 1 | start a new stream: while high no sample is taken; the pipeline drains and its words are offered, then unflushed bits are dropped and every channel's state returns to the initial state (one channel per clock, 1024 clocks); `idle` is low from the rising `clear` until done; drop it once `idle` is back (never together with `flush`). The rust-hdl engine drives it between segments ([`rusthdl::run_segments`]); the Verilator harnesses hold it low |
//! | `idle` | out | 1 | no sample in flight, no bits pending, no word waiting in the output register, no clear in progress (after a flush: everything was emitted) |
//! | `out_valid`, `out_ready` | out/in | 1 | output handshake: a word is taken when both are high |
//! | `out_word` | out | 32 | packed codes, MSB first |
//!
//! The 2-lane core (`CoreDesign::lanes == 2`, `neurice_hdl::core2`) takes a channel pair per
//! transfer instead of `in_channel`/`in_sample`: `in_pair` (channel / 2, 9 bits for 1024
//! channels), `in_sample0` (the even channel) and `in_sample1` (the odd one); both engines drive
//! it from the same stimulus (pairs of consecutive samples; even channel and sample counts), and
//! `in_ready` does not depend on `out_ready` combinationally there.

pub mod activity;
mod engine;
pub mod events;
pub mod gatelevel;
pub mod ip;
pub mod packets;
pub mod rusthdl;
pub mod stimulus;
pub mod verilator;

use anyhow::{bail, Result};
use neurice_model::max::MaxSpec;
use neurice_model::{CodecParams, CoderSpec, Encoder};
use serde::Serialize;

pub use engine::{run, CoreDesign, CoreFacts, Engine, PowerDuty, RunOptions, RunSummary, Shape};
pub use neurice_hdl::PacketParams;
pub use stimulus::{interleave, load_indices, load_stimuli, Pattern, Stimulus};

/// The most channels a core has state for (a 10-bit channel address).
pub use neurice_hdl::MAX_CHANNELS;

/// The pseudo-random sequence both engines use for gaps and backpressure (xorshift64).
#[derive(Clone, Debug)]
pub struct XorShift64(pub u64);

impl XorShift64 {
    pub fn new(seed: u64) -> Self {
        XorShift64(seed.max(1))
    }
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// True with probability `per_mille / 1000`.
    #[inline]
    pub fn chance(&mut self, per_mille: u32) -> bool {
        (self.next_u64() % 1000) < per_mille as u64
    }
}

/// FNV-1a 64 over `parts` (each followed by a 0xff separator): a stable hash for build
/// caches and netlist identities (std's hasher may change between releases).
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.iter().chain(&[0xffu8]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The first difference between the core and the golden model.
#[derive(Clone, Debug, Serialize)]
pub struct Mismatch {
    pub word_index: usize,
    pub expected: Option<u32>,
    pub got: Option<u32>,
    /// The first sample whose code lies (at least partly) in that word, and its channel.
    pub sample_index: usize,
    pub channel: usize,
    /// Engine-specific pipeline state at the moment of the mismatch.
    pub detail: String,
}

/// What a simulation run measured.
#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    pub engine: Engine,
    pub channels: usize,
    pub samples: u64,
    pub cycles: u64,
    /// Cycles in which the source offered a sample and the core did not take it.
    pub stall_cycles: u64,
    pub words: u64,
    pub expected_words: u64,
    pub mismatches: u64,
    pub first_mismatch: Option<Mismatch>,
    /// Raw 16-bit WAV sample bytes / payload bytes of the core's words.
    pub ratio: f64,
    pub seconds: f64,
    pub cycles_per_second: f64,
    pub label: String,
}

/// The golden model's words for a stimulus (final partial word zero-padded) and, for each
/// word, the index of the first sample whose code starts in or runs into it.
///
/// For coder max the words are the block's token substream's words, then its raw
/// substream's ([`Golden::max`]); an engine puts the core's tagged words in that order
/// ([`max_order`]) before comparing; as a range coder's bytes lag its samples by a varying
/// amount, the sample index is an estimate (proportional to the word's offset). Coder v2 has
/// no core (retired, `neurice_hdl::v2::CORE_RETIRED`): its stimuli are refused.
pub fn expected_words(stim: &Stimulus) -> Result<(Vec<u32>, Vec<usize>)> {
    let g = golden(stim)?;
    Ok((g.words, g.first_sample))
}

/// What the golden model makes of a stimulus: [`expected_words`]'s two vectors and, for
/// coder max, where its substreams end ([`check_max_ends`]); one encode for both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Golden {
    pub words: Vec<u32>,
    pub first_sample: Vec<usize>,
    /// Coder max: where the substreams split and how they end (`None` otherwise).
    pub max: Option<MaxEnds>,
}

/// The ends of a coder-max block's two substreams in [`Golden::words`] (FORMAT.md §10.10):
/// the token substream's words come first, then the raw substream's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxEnds {
    /// Words of the token substream (the raw substream's words follow them).
    pub token_words: usize,
    /// The valid bytes (`out_bytes`) of each substream's last word: token, raw.
    pub last_bytes: [u32; 2],
}

impl MaxEnds {
    /// The indices (in [`Golden::words`]) of the words that carry `out_last`, with their
    /// `out_bytes`: each substream's last word.
    pub fn ends(&self, words: usize) -> [(usize, u32); 2] {
        [
            (self.token_words.saturating_sub(1), self.last_bytes[0]),
            (words.saturating_sub(1), self.last_bytes[1]),
        ]
    }
}

/// A coder-max core's words in the golden model's order ([`Golden::max`]): the words taken
/// with `out_stream` low (the token substream), then those taken with it high (the raw
/// substream), each in the order taken. `streams[i]` is word `i`'s `out_stream`; `ends` the
/// indices of the words taken with `out_last` high and `end_bytes` their `out_bytes` (the
/// same length, or empty when the engine does not see `out_bytes`). Returns the words, the
/// ends' new indices and their bytes (sorted by index).
pub fn max_order(
    words: &[u32],
    streams: &[bool],
    ends: &[usize],
    end_bytes: &[u32],
) -> (Vec<u32>, Vec<usize>, Vec<u32>) {
    let tokens = streams.iter().filter(|&&s| !s).count();
    let mut at = [0usize, tokens];
    let mut new_index = Vec::with_capacity(words.len());
    let mut out = vec![0u32; words.len()];
    for (i, &w) in words.iter().enumerate() {
        // a word without a tag (none should be) counts as a token word
        let s = streams.get(i).copied().unwrap_or(false) as usize;
        out[at[s]] = w;
        new_index.push(at[s]);
        at[s] += 1;
    }
    let mut e: Vec<(usize, u32)> = ends
        .iter()
        .enumerate()
        .map(|(k, &i)| (new_index[i], end_bytes.get(k).copied().unwrap_or(0)))
        .collect();
    e.sort_unstable();
    let bytes = if end_bytes.is_empty() {
        Vec::new()
    } else {
        e.iter().map(|&(_, b)| b).collect()
    };
    (out, e.into_iter().map(|(i, _)| i).collect(), bytes)
}

/// [`Golden`] for `stim` (see [`expected_words`]).
///
/// Fails for a coder max stimulus that is not whole frames (a block is whole frames,
/// FORMAT.md §10.6).
pub fn golden(stim: &Stimulus) -> Result<Golden> {
    Ok(match &stim.coder {
        CoderSpec::Lite(p) => golden_lite(p, stim),
        CoderSpec::Max(s) => golden_max(s, stim)?,
        CoderSpec::V2(_) => bail!("{}: {}", stim.label, neurice_hdl::v2::CORE_RETIRED),
    })
}

/// Coder max's words (FORMAT.md §10.10): the stimulus as one block, the token substream's
/// words then the raw substream's ([`MaxEnds`]); no block (no word) for no samples.
fn golden_max(s: &MaxSpec, stim: &Stimulus) -> Result<Golden> {
    let n = stim.samples.len();
    if n == 0 {
        return Ok(Golden::default()); // the core codes no empty block
    }
    let x: Vec<u32> = stim.samples.iter().map(|&v| v as u32).collect();
    let block = neurice_model::max::encode_block(
        &s.params,
        &s.table.table(),
        stim.channels,
        &x,
        &mut Default::default(),
    )
    .map_err(|e| anyhow::anyhow!("{}: coder max block: {e}", stim.label))?;
    let [tok, raw] = block.words();
    // the first sample of a word: estimated in proportion to its offset in its substream
    let at = |i: usize, total: usize| (i * n / total.max(1)).min(n - 1);
    let mut first_sample: Vec<usize> = (0..tok.words.len())
        .map(|i| at(i, tok.words.len()))
        .collect();
    first_sample.extend((0..raw.words.len()).map(|i| at(i, raw.words.len())));
    let token_words = tok.words.len();
    let mut words = tok.words;
    words.extend(raw.words);
    Ok(Golden {
        words,
        first_sample,
        max: Some(MaxEnds {
            token_words,
            last_bytes: [tok.last_bytes, raw.last_bytes],
        }),
    })
}

/// Coder v1's words: its bit stream packed MSB first, the final word zero-padded.
fn golden_lite(p: &CodecParams, stim: &Stimulus) -> Golden {
    let mut enc = Encoder::new(*p, stim.channels)
        .expect("stimulus validated: the parameters and channel count are valid");
    let mut words = Vec::with_capacity(stim.samples.len() / 6 + 2);
    let mut first_sample = Vec::with_capacity(words.capacity());
    let mut word_start_sample = 0usize;
    for (i, &x) in stim.samples.iter().enumerate() {
        if let (_, Some(w)) = enc.push(x as u32) {
            words.push(w);
            first_sample.push(word_start_sample);
            // the sample that completed this word may continue into the next one
            word_start_sample = i;
        }
    }
    if let Some(w) = enc.flush() {
        words.push(w);
        first_sample.push(word_start_sample);
    }
    Golden {
        words,
        first_sample,
        max: None,
    }
}

/// The end marks of a coder-max core's words, after [`max_order`]: each substream's last
/// word, and only it, carries `out_last`, with `out_bytes` = its valid bytes ([`MaxEnds`];
/// `None`, another coder: nothing to check). `words` is the count of words taken, `ends`
/// and `last_bytes` as [`max_order`] returns them (`None`: the engine does not see
/// `out_bytes`). Adds one mismatch to `report` when they are wrong.
pub fn check_max_ends(
    report: &mut SimReport,
    max: Option<MaxEnds>,
    words: usize,
    ends: &[usize],
    last_bytes: Option<&[u32]>,
) {
    let Some(m) = max else {
        return;
    };
    let want = m.ends(words);
    let want_at: Vec<usize> = want.iter().map(|&(i, _)| i).collect();
    let want_bytes: Vec<u32> = want.iter().map(|&(_, b)| b).collect();
    let problem = if ends != want_at {
        Some(format!(
            "out_last on words {ends:?} (token substream first), the substreams' last words \
             are {want_at:?}"
        ))
    } else {
        last_bytes.filter(|&b| b != want_bytes).map(|b| {
            format!(
                "out_bytes {b:?} on the substreams' last words, they end with {want_bytes:?} \
                 valid bytes"
            )
        })
    };
    if let Some(detail) = problem {
        add_end_mismatch(report, want_at[1], detail);
    }
}

/// Counts a wrong end mark as a mismatch of word `at` (and names it, if it is the first).
fn add_end_mismatch(report: &mut SimReport, at: usize, detail: String) {
    report.mismatches += 1;
    if report.first_mismatch.is_none() {
        let last_sample = report.samples.saturating_sub(1) as usize;
        report.first_mismatch = Some(Mismatch {
            word_index: at,
            expected: None,
            got: None,
            // the block's last sample (the samples the core took)
            sample_index: last_sample,
            channel: last_sample % report.channels.max(1),
            detail: format!("{:?}: {detail}", report.engine),
        });
    }
}

/// Compares the core's words with the golden model's; returns (mismatch count, first one).
pub fn compare_words(
    stim: &Stimulus,
    expected: &[u32],
    first_sample: &[usize],
    got: &[u32],
    detail: impl Fn(usize) -> String,
) -> (u64, Option<Mismatch>) {
    let n = expected.len().max(got.len());
    let mut count = 0u64;
    let mut first = None;
    for i in 0..n {
        let (e, g) = (expected.get(i).copied(), got.get(i).copied());
        if e != g {
            count += 1;
            if first.is_none() {
                let s = first_sample.get(i).copied().unwrap_or(stim.samples.len());
                first = Some(Mismatch {
                    word_index: i,
                    expected: e,
                    got: g,
                    sample_index: s,
                    channel: if stim.channels > 0 {
                        s % stim.channels
                    } else {
                        0
                    },
                    detail: detail(i),
                });
            }
        }
    }
    (count, first)
}

/// What an engine counted for one stimulus, besides its words.
#[derive(Clone, Copy, Debug)]
pub struct RunCounts {
    pub samples_taken: u64,
    pub cycles: u64,
    pub stall_cycles: u64,
    /// Wall time of the simulation.
    pub seconds: f64,
}

/// Compares an engine's words with the golden model's ([`expected_words`]) and fills the
/// [`SimReport`] every engine returns; `detail` describes the engine's state for a mismatch.
pub fn make_report(
    engine: Engine,
    stim: &Stimulus,
    (expected, first_sample): (&[u32], &[usize]),
    words: &[u32],
    counts: RunCounts,
    detail: impl Fn(usize) -> String,
) -> SimReport {
    let (mismatches, first_mismatch) = compare_words(stim, expected, first_sample, words, detail);
    SimReport {
        engine,
        channels: stim.channels,
        samples: counts.samples_taken,
        cycles: counts.cycles,
        stall_cycles: counts.stall_cycles,
        words: words.len() as u64,
        expected_words: expected.len() as u64,
        mismatches,
        first_mismatch,
        ratio: payload_ratio(stim.samples.len(), words.len()),
        seconds: counts.seconds,
        cycles_per_second: if counts.seconds > 0.0 {
            counts.cycles as f64 / counts.seconds
        } else {
            0.0
        },
        label: stim.label.clone(),
    }
}

/// Ratio of the stimulus as 16-bit samples to the core's output (payload only, words padded).
pub fn payload_ratio(samples: usize, words: usize) -> f64 {
    if words == 0 {
        0.0
    } else {
        (samples as f64 * 2.0) / (words as f64 * 4.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift_is_the_documented_sequence() {
        // reference values of xorshift64 (13, 7, 17) from seed 1
        let mut r = XorShift64::new(1);
        assert_eq!(r.next_u64(), 1082269761);
        assert_eq!(r.next_u64(), 1152992998833853505);
    }
}
