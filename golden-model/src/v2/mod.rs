//! Coder v2 ("max"): a sign-sign LMS predictor on deltas and a context-adaptive binary range
//! coder, specified bit by bit in `FORMAT.md` §7.
//!
//! Per sample and channel (the datapath the hardware copies, [`code_sample`]):
//!
//! 1. **Predict**: `pred = clamp(prev + ((Σ w_i·d_i + 2^(f−1)) >> f), 0, 2^W − 1)` from the
//!    channel's last `T` deltas `d_i` (clamped to `delta_bits`) and weights `w_i`.
//! 2. **Map**: the residual `x − pred` (mod `2^W`) is zigzag-mapped to `u`, as in v1.
//! 3. **Binarise**: v1's `A`/`N` counters pick the Golomb index `s`; `u` becomes a unary prefix
//!    (`q` ones and a zero, escape at `Q` ones), one or two remainder bins and plain bits.
//! 4. **Code**: prefix and remainder bins with adaptive 12-bit probabilities in contexts shared
//!    by all channels, indexed by (`s`, bin position); the plain bits as one bypass group.
//! 5. **Update**: `A`, `N`; sign-sign LMS `w_i += step_i·sgn(x − pred)·sgn(d_i)` (clamped); the
//!    delta history; the contexts after each bin.
//!
//! The stream is a sequence of **blocks**; each block restarts every piece of adaptive state
//! (channel states, contexts, range coder) at its restart value, so each block decodes alone.

pub mod range;

/// Runs `$body` with the const `$t` equal to the runtime tap count (0..=8), so the hot loops
/// are unrolled for the parameter set in use.
macro_rules! with_taps {
    ($taps:expr, $t:ident => $body:expr) => {
        match $taps {
            0 => {
                const $t: usize = 0;
                $body
            }
            1 => {
                const $t: usize = 1;
                $body
            }
            2 => {
                const $t: usize = 2;
                $body
            }
            3 => {
                const $t: usize = 3;
                $body
            }
            4 => {
                const $t: usize = 4;
                $body
            }
            5 => {
                const $t: usize = 5;
                $body
            }
            6 => {
                const $t: usize = 6;
                $body
            }
            7 => {
                const $t: usize = 7;
                $body
            }
            _ => {
                const $t: usize = 8;
                $body
            }
        }
    };
}
pub(crate) use with_taps;

pub mod multi;

use serde::{Deserialize, Serialize};

use crate::lite::{golomb_m, quotient, select_s, unzigzag, zigzag_error};
use crate::{CodecParams, Error};
use range::{adapt, RangeDecoder, RangeEncoder, PROB_INIT};

/// Most LMS taps a parameter set may have.
pub const MAX_TAPS: usize = 8;

/// Parameters of coder v2. Every field is written into the container (FORMAT.md §7.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct V2Params {
    /// The Golomb side (W, Q, window, threshold), exactly as in v1; it picks `s` and `m`.
    pub golomb: CodecParams,
    /// LMS taps `T` (0 = plain delta).
    pub taps: u32,
    /// Fraction bits `f` of the weights (weight `w` means `w / 2^f`).
    pub weight_frac: u32,
    /// Stored width of a weight (two's complement); weights are clamped to `±(2^(bits−1) − 1)`.
    pub weight_bits: u32,
    /// Stored width of a past delta; deltas are clamped to `±(2^(bits−1) − 1)`.
    pub delta_bits: u32,
    /// Sign-sign step per tap.
    pub steps: [u8; MAX_TAPS],
    /// Restart value of each weight.
    pub init_weights: [i16; MAX_TAPS],
    /// Context adaptation shift (`p += (4096 − p) >> shift` on a zero).
    pub prob_shift: u32,
    /// Prefix positions with their own context per `s`; later positions share the last.
    pub prefix_contexts: u32,
    /// Frames per block (each block restarts all adaptive state); 0 = the whole stream is one block.
    pub block_frames: u32,
}

impl V2Params {
    /// The design for the HX8K: 4 taps, 96 state bits per channel, 2280 shared bits.
    pub const HARDWARE: V2Params = V2Params {
        golomb: CodecParams {
            thr_num: 4,
            ..CodecParams::HARDWARE
        },
        taps: 4,
        weight_frac: 10,
        weight_bits: 9,
        delta_bits: 7,
        steps: [2, 1, 1, 1, 0, 0, 0, 0],
        init_weights: [-175, -100, -125, -100, 0, 0, 0, 0],
        prob_shift: 8,
        prefix_contexts: 8,
        block_frames: 0,
    };

    /// The same coder on 16-bit samples (raw mode).
    pub const RAW16: V2Params = V2Params {
        golomb: CodecParams {
            sample_bits: 16,
            thr_num: 4,
            ..CodecParams::HARDWARE
        },
        delta_bits: 13,
        ..V2Params::HARDWARE
    };

    /// The same parameters on another sample width (grid 10 or raw 16).
    pub fn with_sample_bits(self, w: u32) -> V2Params {
        if w == 16 {
            V2Params {
                golomb: CodecParams {
                    sample_bits: 16,
                    ..self.golomb
                },
                delta_bits: self.delta_bits.max(13),
                ..self
            }
        } else {
            V2Params {
                golomb: CodecParams {
                    sample_bits: w,
                    ..self.golomb
                },
                ..self
            }
        }
    }

    /// Largest weight magnitude.
    pub fn weight_max(&self) -> i32 {
        (1 << (self.weight_bits - 1)) - 1
    }

    /// Largest stored delta magnitude.
    pub fn delta_max(&self) -> i32 {
        (1 << (self.delta_bits - 1)) - 1
    }

    /// Checks that the parameters describe a coder this implementation supports.
    pub fn validate(&self) -> Result<(), Error> {
        self.golomb.validate()?;
        let bad = |what: String| Err(Error::BadParams(what));
        if self.golomb.max_error != 0 {
            return bad(format!(
                "maximum error {}: coder v2 is lossless only; bounded error is coder v1's \
                 (lite) for now (FORMAT.md §11.7)",
                self.golomb.max_error
            ));
        }
        let w = self.golomb.sample_bits;
        if self.taps as usize > MAX_TAPS {
            return bad(format!("taps {} not in 0..={MAX_TAPS}", self.taps));
        }
        if !(2..=16).contains(&self.weight_bits) || !(1..=14).contains(&self.weight_frac) {
            return bad(format!(
                "weights of {} bits with {} fraction bits (bits 2..=16, fraction 1..=14)",
                self.weight_bits, self.weight_frac
            ));
        }
        if !(2..=w + 1).contains(&self.delta_bits) {
            return bad(format!(
                "delta_bits {} not in 2..={}",
                self.delta_bits,
                w + 1
            ));
        }
        // FORMAT.md §7.1: so that `Σ w·d` fits a signed 32-bit integer
        if self.weight_bits + self.delta_bits > 28 {
            return bad(format!(
                "weight_bits {} + delta_bits {} exceed 28",
                self.weight_bits, self.delta_bits
            ));
        }
        for t in 0..MAX_TAPS {
            let (st, iw) = (self.steps[t] as i32, self.init_weights[t] as i32);
            if t >= self.taps as usize && (st != 0 || iw != 0) {
                return bad(format!(
                    "tap {} beyond taps {} must be zero",
                    t + 1,
                    self.taps
                ));
            }
            if st > self.weight_max() || iw.abs() > self.weight_max() {
                return bad(format!(
                    "tap {}: step {st} or initial weight {iw} exceeds the weight range",
                    t + 1
                ));
            }
        }
        if !(4..=8).contains(&self.prob_shift) {
            return bad(format!("prob_shift {} not in 4..=8", self.prob_shift));
        }
        if !(1..=self.golomb.qmax).contains(&self.prefix_contexts) {
            return bad(format!(
                "prefix_contexts {} not in 1..={}",
                self.prefix_contexts, self.golomb.qmax
            ));
        }
        Ok(())
    }

    /// Contexts per code index `s`: the prefix positions and two remainder bins.
    pub fn contexts_per_s(&self) -> usize {
        self.prefix_contexts as usize + 2
    }

    /// Number of shared contexts: `(2W − 1) · (prefix_contexts + 2)`.
    pub fn contexts(&self) -> usize {
        (self.golomb.s_max() as usize + 1) * self.contexts_per_s()
    }

    /// Shared state in bits: 12 per context.
    pub fn shared_bits(&self) -> u32 {
        self.contexts() as u32 * range::PROB_BITS
    }

    /// Per-channel state in bits: v1's 32 (prev, A, N) plus `T·(delta_bits + weight_bits)`.
    pub fn state_bits(&self) -> u32 {
        self.golomb.state_bits() + self.taps * (self.delta_bits + self.weight_bits)
    }

    /// Most context-coded bins one sample can take: `Q` prefix bins (escape) or `q + 1 + 2`.
    pub fn max_bins(&self) -> u32 {
        self.golomb.qmax + 2
    }
}

impl Default for V2Params {
    fn default() -> Self {
        V2Params::HARDWARE
    }
}

/// Per-channel state of coder v2 (FORMAT.md §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    /// Previous sample (`W` bits).
    pub prev: u32,
    /// Golomb counters, as v1.
    pub a: u32,
    pub n: u32,
    /// Last deltas, newest first, clamped to `±delta_max`.
    pub d: [i32; MAX_TAPS],
    /// LMS weights, clamped to `±weight_max`.
    pub w: [i32; MAX_TAPS],
}

impl State {
    /// The restart state: `prev = 2^(W−1)`, `A = N = 0`, deltas 0, weights at their initial values.
    pub fn initial(p: &V2Params) -> Self {
        let mut w = [0; MAX_TAPS];
        for (wi, &iw) in w.iter_mut().zip(&p.init_weights) {
            *wi = iw as i32;
        }
        State {
            prev: 1 << (p.golomb.sample_bits - 1),
            a: 0,
            n: 0,
            d: [0; MAX_TAPS],
            w,
        }
    }

    /// Packs into `state_bits()` bits, MSB first: v1's 32-bit word (prev XOR 2^(W−1), A, N), then
    /// `d_1..d_T` (two's complement, `delta_bits` each), then `(w_i − init_i) mod 2^weight_bits`
    /// for `i = 1..T`. The restart state packs to zero, so a zeroed RAM is a restarted RAM.
    pub fn pack(&self, p: &V2Params) -> u128 {
        let g = &p.golomb;
        let v1 = crate::ChannelState {
            prev: self.prev,
            a: self.a,
            n: self.n,
        }
        .pack(g) as u128;
        let mut word = v1;
        let dm = (1u128 << p.delta_bits) - 1;
        let wm = (1u128 << p.weight_bits) - 1;
        for t in 0..p.taps as usize {
            word = (word << p.delta_bits) | (self.d[t] as u128 & dm);
        }
        for t in 0..p.taps as usize {
            let off = self.w[t] - p.init_weights[t] as i32;
            word = (word << p.weight_bits) | (off as u128 & wm);
        }
        word
    }

    /// Inverse of [`pack`](Self::pack).
    pub fn unpack(word: u128, p: &V2Params) -> Self {
        let sext = |v: u128, bits: u32| ((v as i64) << (64 - bits) >> (64 - bits)) as i32;
        let mut st = State::initial(p);
        let mut word = word;
        for t in (0..p.taps as usize).rev() {
            let off = word & ((1u128 << p.weight_bits) - 1);
            // w − init is only known mod 2^bits; w itself lies in ±(2^(bits−1) − 1)
            let wm = 1i64 << p.weight_bits;
            let v = (p.init_weights[t] as i64 + off as i64).rem_euclid(wm);
            st.w[t] = if v >= wm / 2 { v - wm } else { v } as i32;
            word >>= p.weight_bits;
        }
        for t in (0..p.taps as usize).rev() {
            st.d[t] = sext(word & ((1u128 << p.delta_bits) - 1), p.delta_bits);
            word >>= p.delta_bits;
        }
        let v1 = crate::ChannelState::unpack(word as u64, &p.golomb);
        st.prev = v1.prev;
        st.a = v1.a;
        st.n = v1.n;
        st
    }
}

/// The prediction of the next sample of a channel (FORMAT.md §7.3).
#[inline]
pub fn predict(st: &State, p: &V2Params) -> u32 {
    with_taps!(p.taps, T => predict_t::<T>(st, p))
}

#[inline(always)]
pub(crate) fn predict_t<const T: usize>(st: &State, p: &V2Params) -> u32 {
    let mut acc = 0i32;
    for t in 0..T {
        acc += st.w[t] * st.d[t];
    }
    let pd = (acc + (1 << (p.weight_frac - 1))) >> p.weight_frac;
    let top = (1i32 << p.golomb.sample_bits) - 1;
    (st.prev as i32 + pd).clamp(0, top) as u32
}

/// The state after coding sample `x` predicted as `pred` with magnitude `u` (FORMAT.md §7.6).
#[inline]
pub fn update(st: &State, x: u32, pred: u32, u: u32, p: &V2Params) -> State {
    let mut next = *st;
    with_taps!(p.taps, T => update_t::<T>(&mut next, x, pred, u, p));
    next
}

#[inline(always)]
pub(crate) fn update_t<const T: usize>(st: &mut State, x: u32, pred: u32, u: u32, p: &V2Params) {
    let g = &p.golomb;
    st.a += u;
    st.n += 1;
    if st.n == 1 << g.window_log2 {
        st.a = (st.a + 1) >> 1;
        st.n >>= 1;
    }
    let err = (x as i32 - pred as i32).signum();
    let wmax = p.weight_max();
    for t in 0..T {
        st.w[t] = (st.w[t] + p.steps[t] as i32 * err * st.d[t].signum()).clamp(-wmax, wmax);
    }
    if T > 0 {
        for t in (1..T).rev() {
            st.d[t] = st.d[t - 1];
        }
        let dmax = p.delta_max();
        st.d[0] = (x as i32 - st.prev as i32).clamp(-dmax, dmax);
    }
    st.prev = x;
}

/// What one sample sends: context-coded bins (context index, bin) in order, then one group of
/// bypass bits. This is the whole interface between the modelling and the range coder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bins {
    /// Context index of each bin (see [`context`]).
    pub ctx: [u16; 26],
    /// The bins, bit `i` = bin `i`.
    pub bits: u32,
    /// Number of context-coded bins (at most `Q + 2`).
    pub count: u32,
    /// Bypass value and its width (at most `W`).
    pub bypass: u32,
    pub bypass_len: u32,
}

/// Index of the shared context of prefix position `j` (0-based) or remainder bin `r` (0 or 1).
#[inline]
pub fn context(p: &V2Params, s: u32, prefix_pos: Option<u32>, rem: u32) -> u16 {
    let base = s as usize * p.contexts_per_s();
    (match prefix_pos {
        Some(j) => base + j.min(p.prefix_contexts - 1) as usize,
        None => base + p.prefix_contexts as usize + rem as usize,
    }) as u16
}

/// The binarisation of magnitude `u` at code index `s` (FORMAT.md §7.4).
#[inline]
pub fn binarise(u: u32, s: u32, p: &V2Params) -> Bins {
    let g = &p.golomb;
    let mut b = Bins {
        ctx: [0; 26],
        bits: 0,
        count: 0,
        bypass: 0,
        bypass_len: 0,
    };
    let push = |b: &mut Bins, ctx: u16, bit: u32| {
        b.ctx[b.count as usize] = ctx;
        b.bits |= bit << b.count;
        b.count += 1;
    };
    let (k, half) = golomb_m(s);
    let m = if half { 3 << (k - 1) } else { 1 << k };
    let q = quotient(u, k, half);
    if q >= g.qmax {
        for j in 0..g.qmax {
            push(&mut b, context(p, s, Some(j), 0), 1);
        }
        b.bypass = u;
        b.bypass_len = g.sample_bits;
        return b;
    }
    for j in 0..q {
        push(&mut b, context(p, s, Some(j), 0), 1);
    }
    push(&mut b, context(p, s, Some(q), 0), 0);
    if k > 0 {
        let r = u - q * m;
        let top = r >> (k - 1); // 0..1 for m = 2^k, 0..2 for m = 3·2^(k−1)
        push(&mut b, context(p, s, None, 0), (top != 0) as u32);
        if half && top != 0 {
            push(&mut b, context(p, s, None, 1), (top == 2) as u32);
        }
        b.bypass = r & ((1 << (k - 1)) - 1);
        b.bypass_len = k - 1;
    }
    b
}

/// Everything coder v2 computes for one sample of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coded {
    pub pred: u32,
    pub s: u32,
    pub u: u32,
    pub bins: Bins,
    pub escape: bool,
    pub next: State,
}

/// Codes one sample: state in, bins and next state out (the hardware's per-sample datapath).
#[inline]
pub fn code_sample(st: &State, x: u32, p: &V2Params) -> Coded {
    let g = &p.golomb;
    let pred = predict(st, p);
    let u = zigzag_error(x, pred, g.sample_bits);
    let s = select_s(st.a, st.n, g);
    let bins = binarise(u, s, p);
    Coded {
        pred,
        s,
        u,
        bins,
        escape: bins.bypass_len == g.sample_bits && bins.count == g.qmax,
        next: update(st, x, pred, u, p),
    }
}

/// One independently decodable block: its frame count and range-coded bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub frames: u32,
    pub bytes: Vec<u8>,
}

/// Statistics of an encoding.
#[derive(Clone, Debug, Default)]
pub struct EncodeStats {
    pub escapes: u64,
    pub s_histogram: Vec<u64>,
    pub bins: u64,
}

/// A block's bytes as the 32-bit words the v2 core emits (FORMAT.md §7.5: four bytes per
/// word, the first in bits 31..24; the last word zero-padded).
pub fn block_words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_be_bytes(w)
        })
        .collect()
}

/// Encodes one block (all state at its restart values) of whole frames.
pub fn encode_block(
    p: &V2Params,
    channels: usize,
    samples: &[u32],
    stats: &mut EncodeStats,
) -> Vec<u8> {
    with_taps!(p.taps, T => encode_block_t::<T>(p, channels, samples, stats))
}

fn encode_block_t<const T: usize>(
    p: &V2Params,
    channels: usize,
    samples: &[u32],
    stats: &mut EncodeStats,
) -> Vec<u8> {
    let mut states = vec![State::initial(p); channels];
    let mut probs = vec![PROB_INIT; p.contexts()];
    let mut rc = RangeEncoder::with_capacity(samples.len() * 5 / 8 + 16);
    let shift = p.prob_shift;
    if stats.s_histogram.len() != p.golomb.s_max() as usize + 1 {
        stats.s_histogram = vec![0; p.golomb.s_max() as usize + 1];
    }
    let g = p.golomb;
    let cps = p.contexts_per_s();
    let pc = p.prefix_contexts;
    let mut ch = 0;
    let mut hist = vec![0u64; g.s_max() as usize + 1];
    let (mut escapes, mut bins) = (0u64, 0u64);
    // The same bins as `code_sample` / `binarise` (a test checks it), coded as they are made.
    let code = |rc: &mut RangeEncoder, probs: &mut [u16], ctx: usize, bit: u32| {
        rc.bin(probs[ctx], bit);
        probs[ctx] = adapt(probs[ctx], bit, shift);
    };
    for &x in samples {
        // a local copy, written back whole: the state of one channel is read again at once
        // when there is one channel, and whole-struct stores forward to whole-struct loads
        let mut state = states[ch];
        let st = &mut state;
        let pred = predict_t::<T>(st, p);
        let u = zigzag_error(x, pred, g.sample_bits);
        let s = select_s(st.a, st.n, &g);
        let base = s as usize * cps;
        let (k, half) = golomb_m(s);
        let m = if half { 3 << (k - 1) } else { 1 << k };
        let q = quotient(u, k, half);
        hist[s as usize] += 1;
        if q >= g.qmax {
            for j in 0..g.qmax {
                code(&mut rc, &mut probs, base + j.min(pc - 1) as usize, 1);
            }
            rc.bypass(u, g.sample_bits);
            escapes += 1;
            bins += g.qmax as u64;
        } else {
            for j in 0..q {
                code(&mut rc, &mut probs, base + j.min(pc - 1) as usize, 1);
            }
            code(&mut rc, &mut probs, base + q.min(pc - 1) as usize, 0);
            bins += q as u64 + 1;
            if k > 0 {
                let r = u - q * m;
                let top = r >> (k - 1);
                let ctx = base + pc as usize;
                code(&mut rc, &mut probs, ctx, (top != 0) as u32);
                bins += 1;
                if half && top != 0 {
                    code(&mut rc, &mut probs, ctx + 1, (top == 2) as u32);
                    bins += 1;
                }
                rc.bypass(r & ((1 << (k - 1)) - 1), k - 1);
            }
        }
        update_t::<T>(st, x, pred, u, p);
        states[ch] = state;
        ch += 1;
        if ch == channels {
            ch = 0;
        }
    }
    for (a, b) in stats.s_histogram.iter_mut().zip(&hist) {
        *a += b;
    }
    stats.escapes += escapes;
    stats.bins += bins;
    rc.finish()
}

/// Whether `samples` are whole frames of `channels` (≥ 1) channels, each within W bits.
pub(crate) fn check_samples(p: &V2Params, channels: usize, samples: &[u32]) -> Result<(), Error> {
    check_frames(p.golomb.sample_bits, channels, samples)
}

/// Whether `samples` are whole frames of `channels` (≥ 1) channels, each within `w` bits.
pub(crate) fn check_frames(w: u32, channels: usize, samples: &[u32]) -> Result<(), Error> {
    if channels == 0 {
        return Err(Error::BadParams("channel count must be at least 1".into()));
    }
    if !samples.len().is_multiple_of(channels) {
        return Err(Error::BadParams("samples are not whole frames".into()));
    }
    if let Some(x) = samples.iter().find(|&&x| x >> w != 0) {
        return Err(Error::BadParams(format!(
            "sample {x} does not fit in {w} bits"
        )));
    }
    Ok(())
}

/// Encodes a whole interleaved sample sequence into blocks of `block_frames` frames.
pub fn encode_all(
    p: &V2Params,
    channels: usize,
    samples: &[u32],
) -> Result<(Vec<Block>, EncodeStats), Error> {
    p.validate()?;
    if channels == 0 {
        return Err(Error::BadParams("channel count must be at least 1".into()));
    }
    check_samples(p, channels, samples)?;
    let frames = samples.len() / channels;
    let per_block = if p.block_frames == 0 {
        frames.max(1)
    } else {
        p.block_frames as usize
    };
    let mut stats = EncodeStats::default();
    let blocks = samples
        .chunks(per_block * channels)
        .map(|chunk| Block {
            frames: (chunk.len() / channels) as u32,
            bytes: encode_block(p, channels, chunk, &mut stats),
        })
        .collect();
    Ok((blocks, stats))
}

/// What the per-sample decoder needs of a range decoder (§7.5's, or a multi-coder stream's).
pub(crate) trait BinDecoder {
    fn bin(&mut self, p: u16) -> Result<u32, Error>;
    fn bypass(&mut self, n: u32) -> Result<u32, Error>;
}

impl BinDecoder for RangeDecoder<'_> {
    #[inline(always)]
    fn bin(&mut self, p: u16) -> Result<u32, Error> {
        RangeDecoder::bin(self, p)
    }
    #[inline(always)]
    fn bypass(&mut self, n: u32) -> Result<u32, Error> {
        RangeDecoder::bypass(self, n)
    }
}

/// Decodes one sample of the channel whose state is `st` (updated in place), with the
/// contexts `probs` of its coder.
#[inline(always)]
pub(crate) fn decode_sample<const T: usize, D: BinDecoder>(
    st: &mut State,
    probs: &mut [u16],
    p: &V2Params,
    rc: &mut D,
) -> Result<u32, Error> {
    let g = p.golomb;
    let w = g.sample_bits;
    let shift = p.prob_shift;
    let cps = p.contexts_per_s();
    let pc = p.prefix_contexts;
    let pred = predict_t::<T>(st, p);
    let s = select_s(st.a, st.n, &g);
    let base = s as usize * cps;
    let mut q = 0;
    loop {
        let ctx = base + q.min(pc - 1) as usize;
        let bit = rc.bin(probs[ctx])?;
        probs[ctx] = adapt(probs[ctx], bit, shift);
        if bit == 0 {
            break;
        }
        q += 1;
        if q == g.qmax {
            break;
        }
    }
    let u = if q == g.qmax {
        rc.bypass(w)?
    } else {
        let (k, half) = golomb_m(s);
        if k == 0 {
            q
        } else {
            let m = if half { 3 << (k - 1) } else { 1 << k };
            let ctx = base + pc as usize;
            let b1 = rc.bin(probs[ctx])?;
            probs[ctx] = adapt(probs[ctx], b1, shift);
            let mut top = b1;
            if half && b1 == 1 {
                let b2 = rc.bin(probs[ctx + 1])?;
                probs[ctx + 1] = adapt(probs[ctx + 1], b2, shift);
                top += b2;
            }
            let low = rc.bypass(k - 1)?;
            q * m + (top << (k - 1)) + low
        }
    };
    if u >> w != 0 {
        return Err(Error::Corrupt("decoded magnitude out of range".into()));
    }
    let x = unzigzag(u, pred, w);
    update_t::<T>(st, x, pred, u, p);
    Ok(x)
}

/// Decodes one block of `frames` frames, appending the samples to `out`.
pub fn decode_block(
    p: &V2Params,
    channels: usize,
    frames: u32,
    data: &[u8],
    out: &mut Vec<u32>,
) -> Result<(), Error> {
    with_taps!(p.taps, T => decode_block_t::<T>(p, channels, frames, data, out))
}

fn decode_block_t<const T: usize>(
    p: &V2Params,
    channels: usize,
    frames: u32,
    data: &[u8],
    out: &mut Vec<u32>,
) -> Result<(), Error> {
    let count = frames as usize * channels;
    let mut states = vec![State::initial(p); channels];
    let mut probs = vec![PROB_INIT; p.contexts()];
    let mut rc = RangeDecoder::new(data)?;
    let mut ch = 0;
    // a bin costs at least 0.09 bits at prob_shift 8 (more at lower shifts): a block cannot
    // hold more than ~90 samples per byte; do not reserve more than that up front
    out.reserve(count.min(data.len().saturating_mul(128)));
    for _ in 0..count {
        // a local copy, written back whole: the state of one channel is read again at once
        // when there is one channel, and whole-struct stores forward to whole-struct loads
        let mut state = states[ch];
        let st = &mut state;
        let x = decode_sample::<T, _>(st, &mut probs, p, &mut rc)?;
        states[ch] = state;
        out.push(x);
        ch += 1;
        if ch == channels {
            ch = 0;
        }
    }
    if !rc.at_end() {
        return Err(Error::Corrupt(
            "bytes left over after the last sample of a block".into(),
        ));
    }
    Ok(())
}

/// Decodes a sequence of blocks of `channels` channels.
pub fn decode_all(
    p: &V2Params,
    channels: usize,
    blocks: &[(u32, &[u8])],
) -> Result<Vec<u32>, Error> {
    p.validate()?;
    if channels == 0 {
        return Err(Error::Corrupt("channel count is zero".into()));
    }
    let mut out = Vec::new();
    for &(frames, data) in blocks {
        decode_block(p, channels, frames, data, &mut out)?;
    }
    Ok(out)
}

/// A test signal: a random walk of `w`-bit samples (steps −32…31) with a jump to a random
/// level every 1000 samples, from `seed` (the fast block coders' tests against their
/// per-sample datapaths, here and in `max`).
#[cfg(test)]
pub(crate) fn test_walk(w: u32, n: usize, seed: &mut u32) -> Vec<u32> {
    let mut x = 1u32 << (w - 1);
    (0..n)
        .map(|i| {
            *seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            if i % 1000 == 7 {
                x = *seed >> (32 - w);
            } else {
                let step = (*seed >> 26) as i32 - 32;
                x = (x as i32 + step).clamp(0, (1 << w) - 1) as u32;
            }
            x
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_words_put_the_first_byte_on_top_and_pad_with_zeros() {
        assert_eq!(block_words(&[1, 2, 3, 4, 5]), [0x0102_0304, 0x0500_0000]);
        assert_eq!(block_words(&[0xAB; 4]), [0xABAB_ABAB]);
        assert!(block_words(&[]).is_empty());
    }

    const P: V2Params = V2Params::HARDWARE;

    #[test]
    fn hardware_budget() {
        P.validate().unwrap();
        V2Params::RAW16.validate().unwrap();
        assert_eq!(P.state_bits(), 96);
        assert_eq!(P.contexts(), 190);
        assert_eq!(P.shared_bits(), 2280);
        assert!(P.shared_bits() <= 8192);
    }

    #[test]
    fn restart_state_packs_to_zero_and_states_round_trip() {
        assert_eq!(State::initial(&P).pack(&P), 0);
        let mut st = State::initial(&P);
        let mut seed = 12345u32;
        for i in 0..20_000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let x = if i % 97 == 0 {
                seed >> 22
            } else {
                (st.prev + (seed >> 28)) & 1023
            };
            let c = code_sample(&st, x, &P);
            st = c.next;
            let word = st.pack(&P);
            assert!(word < 1 << 96);
            assert_eq!(State::unpack(word, &P), st);
        }
    }

    #[test]
    fn binarisation_examples() {
        // s = 3: m = 4 (k = 2); u = 9: q = 2, r = 1: bins 1 1 0 | top 0 | bypass 1 (1 bit)
        let b = binarise(9, 3, &P);
        assert_eq!((b.count, b.bits, b.bypass, b.bypass_len), (4, 0b0011, 1, 1));
        assert_eq!(&b.ctx[..4], &[30, 31, 32, 38]);
        // s = 4: m = 6 (k = 2, half); u = 5: q = 0, r = 5, top = 2: bins 0 | 1 1 | bypass 1
        let b = binarise(5, 4, &P);
        assert_eq!((b.count, b.bits, b.bypass, b.bypass_len), (3, 0b110, 1, 1));
        assert_eq!(&b.ctx[..3], &[40, 48, 49]);
        // s = 0: m = 1; u = 20: escape, 16 ones and u in 10 bits
        let b = binarise(20, 0, &P);
        assert_eq!(
            (b.count, b.bits, b.bypass, b.bypass_len),
            (16, 0xFFFF, 20, 10)
        );
        assert_eq!(b.ctx[15], 7);
    }

    #[test]
    fn quotient_is_exact() {
        for s in 0..=30 {
            let (k, half) = golomb_m(s);
            let m = if half { 3 << (k - 1) } else { 1u32 << k };
            for u in 0..1u32 << 16 {
                assert_eq!(quotient(u, k, half), u / m, "u={u} s={s}");
            }
        }
    }

    /// The reference encoder: `code_sample` per sample, its bins coded one by one. The fast
    /// `encode_block` must produce the same bytes.
    fn reference_block(p: &V2Params, channels: usize, xs: &[u32]) -> Vec<u8> {
        let mut states = vec![State::initial(p); channels];
        let mut probs = vec![PROB_INIT; p.contexts()];
        let mut rc = RangeEncoder::new();
        for (i, &x) in xs.iter().enumerate() {
            let st = &mut states[i % channels];
            let c = code_sample(st, x, p);
            *st = c.next;
            for j in 0..c.bins.count as usize {
                let ctx = c.bins.ctx[j] as usize;
                let bit = (c.bins.bits >> j) & 1;
                rc.bin(probs[ctx], bit);
                probs[ctx] = adapt(probs[ctx], bit, p.prob_shift);
            }
            rc.bypass(c.bins.bypass, c.bins.bypass_len);
        }
        rc.finish()
    }

    #[test]
    fn fast_encoder_equals_the_datapath() {
        let mut seed = 99u32;
        for (p, w, channels) in [(P, 10, 1), (P, 10, 3), (V2Params::RAW16, 16, 2)] {
            let xs = test_walk(w, 30_000, &mut seed);
            let mut stats = EncodeStats::default();
            let fast = encode_block(&p, channels, &xs, &mut stats);
            assert_eq!(fast, reference_block(&p, channels, &xs));
            let mut back = Vec::new();
            decode_block(&p, channels, (xs.len() / channels) as u32, &fast, &mut back).unwrap();
            assert_eq!(back, xs);
        }
    }
}
