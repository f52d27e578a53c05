//! Coder max: coder v2's front end and **one multi-symbol range-coder step per sample** over
//! a static, trained probability table — the coder a 1-sample-per-clock core can run
//! (FORMAT.md §10, container version 3).
//!
//! Per sample and channel (the datapath the hardware copies, [`code_sample`]):
//!
//! 1. **Predict, map, index** exactly as coder v2 (its code, called, not copied:
//!    [`crate::v2::predict`], [`crate::v2::update`], v1's [`select_s`]): 4-tap sign-sign LMS on
//!    deltas, the zigzag magnitude `u`, the Golomb index `s` from `A`/`N`.
//! 2. **Context** ([`context`]): `s` and one sub-context bit `5·N·m(s) ≥ 3·A` (`s = 0` split
//!    three ways, `s ≥ 7` shared): 16 contexts.
//! 3. **Token** ([`tokenise`]): `u >> max(0, k − 2)` (`k` of `m(s)`), capped at 31; token 31
//!    is the escape. The shifted-out low bits of `u` (after an escape: first the rest of the
//!    value in an Exp-Golomb code) go to the **raw substream**.
//! 4. **Code** the token with its interval from the static [`Table`] (one 8 × 12-bit multiply,
//!    [`range`]) into the **token substream**.
//! 5. **Update** the channel as coder v2.
//!
//! A **block** codes whole frames of interleaved channels (channel `i mod C`, one coder for
//! all channels, as coder v2) from a restart: the range coder at its restart state, the raw
//! substream empty, and in the block's **first frame** each channel's sample is sent as `W`
//! raw bits (no token) and sets the channel's state ([`restart_state`]: the sample, `A`/`N`
//! seeded as coder v1's packet restart, deltas 0, initial weights). The table does not change.
//! So a restart needs no clearing of anything: the first frame writes every channel's state.
//!
//! **Bounded error** ([`MaxParams::max_error`] `δ > 0`, FORMAT.md §10.11): step 1's residual
//! is quantised with the step `2δ + 1` around the prediction ([`crate::near::Quantiser::residual`])
//! and the reconstruction, not the sample, goes to the update; the built-in table of `δ`
//! ([`TableSpec::for_max_error`]) codes the smaller tokens.

/// The encoders' loop ([`front_chunk`], [`hw::front_chunk`]): walks `chunk`'s samples over
/// the channel states in the frames' order, channel `*ch` first, each sample's record from
/// `one` (`st`: its channel's state, `&mut`; `x`: the sample) into `recs`, and leaves `*ch` at
/// the next sample's channel. A macro, not a generic function taking a closure: that one
/// measured 37 % slower on `codec/max_encode` (12-07); the macro's machine code is the
/// hand-written loops'.
macro_rules! walk_channels {
    ($states:ident, $ch:ident, $chunk:ident, $recs:ident, |$st:ident, $x:ident| $one:expr) => {
        if let [only] = $states {
            // one channel: its state stays a local value
            let mut state = *only;
            for (&$x, rec) in $chunk.iter().zip($recs.iter_mut()) {
                let $st = &mut state;
                *rec = $one;
            }
            *only = state;
        } else {
            let mut c = *$ch;
            for (&$x, rec) in $chunk.iter().zip($recs.iter_mut()) {
                // a local copy, written back whole (as coder v2's loop)
                let mut state = $states[c];
                let $st = &mut state;
                *rec = $one;
                $states[c] = state;
                c += 1;
                if c == $states.len() {
                    c = 0;
                }
            }
            *$ch = c;
        }
    };
}

mod hw;
pub mod range;
pub mod spec;
pub mod table;

use serde::{Deserialize, Serialize};

use crate::lite::{golomb_m, m_value, select_s, unzigzag, zigzag_error};
use crate::near::Quantiser;
use crate::v2::{check_frames, predict_t, update_t, with_taps, State, V2Params, MAX_TAPS};
use crate::{CodecParams, Error};
use hw::RawReader;
pub use spec::{MaxSpec, TableSpec};
pub use table::{Table, CONTEXTS, TOKENS};

/// The escape token: `(u >> σ) − 31` follows in the raw substream (Exp-Golomb, order 1).
pub const ESCAPE: u32 = TOKENS as u32 - 1;
/// Code indices `s` from this one on share one context.
pub const S_SHARED: u32 = 7;
/// The token keeps `K_OFFSET` bits of `u` below `m`'s top bit: `u >> max(0, k − K_OFFSET)`.
pub const K_OFFSET: u32 = 2;
/// The sub-context bit is `SUB_NUM · N · m(s) ≥ SUB_DEN · A`.
pub const SUB_NUM: u64 = 5;
pub const SUB_DEN: u64 = 3;

/// Parameters of coder max: coder v2's front end (every field is written into the container,
/// FORMAT.md §10.7), and the block length. The token map, the contexts and the range coder
/// are fixed; the table is a separate value ([`Table`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaxParams {
    /// Width `W` of a coded sample: 10 (grid), 16 (raw).
    pub sample_bits: u32,
    /// `A` and `N` are halved when `N` reaches `2^window_log2` (v1's `w`).
    pub window_log2: u32,
    /// `s` is the smallest index with `N·m(s)·2^thr_shift ≥ thr_num·A` (v1's `c`, `h`).
    pub thr_num: u32,
    pub thr_shift: u32,
    /// LMS taps `T` (0 = plain delta).
    pub taps: u32,
    /// Fraction bits `f` of the weights.
    pub weight_frac: u32,
    /// Stored width of a weight; weights are clamped to `±(2^(bits−1) − 1)`.
    pub weight_bits: u32,
    /// Stored width of a past delta; deltas are clamped to `±(2^(bits−1) − 1)`.
    pub delta_bits: u32,
    /// Sign-sign step per tap.
    pub steps: [u8; MAX_TAPS],
    /// Restart value of each weight.
    pub init_weights: [i16; MAX_TAPS],
    /// Frames per block (each block restarts all adaptive state); 0 = one block.
    pub block_frames: u32,
    /// The maximum error `δ` in grid steps (FORMAT.md §10.11; 0: lossless, the coder of
    /// §10.3 bit for bit). With `δ > 0` the prediction residual is quantised with the step
    /// `2δ + 1` ([`MaxParams::quantiser`]) and the reconstruction is what the predictor,
    /// `A`/`N` and the delta history see. JSON: absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_error: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl MaxParams {
    /// The design for the HX8K: coder v2's front end (4 taps, 96 state bits per channel).
    pub const HARDWARE: MaxParams = MaxParams {
        sample_bits: 10,
        window_log2: 6,
        thr_num: 4,
        thr_shift: 3,
        taps: 4,
        weight_frac: 10,
        weight_bits: 9,
        delta_bits: 7,
        steps: [2, 1, 1, 1, 0, 0, 0, 0],
        init_weights: [-175, -100, -125, -100, 0, 0, 0, 0],
        block_frames: 0,
        max_error: 0,
    };

    /// The same coder on 16-bit samples (raw mode): W = 16, deltas in 13 bits.
    pub const RAW16: MaxParams = MaxParams {
        sample_bits: 16,
        delta_bits: 13,
        ..MaxParams::HARDWARE
    };

    /// The same parameters on another sample width (grid 10 or raw 16; raw keeps deltas in
    /// at least 13 bits), as coder v2's `with_sample_bits`.
    pub fn with_sample_bits(self, w: u32) -> MaxParams {
        let f = self.front_end().with_sample_bits(w);
        MaxParams {
            sample_bits: w,
            delta_bits: f.delta_bits,
            ..self
        }
    }

    /// Coder v2's parameters with this front end (its binarisation fields, which max does
    /// not use, at coder v2's hardware values), for calling coder v2's front-end code.
    pub const fn front_end(&self) -> V2Params {
        V2Params {
            golomb: CodecParams {
                sample_bits: self.sample_bits,
                window_log2: self.window_log2,
                thr_num: self.thr_num,
                thr_shift: self.thr_shift,
                qmax: V2Params::HARDWARE.golomb.qmax,
                max_error: 0,
            },
            taps: self.taps,
            weight_frac: self.weight_frac,
            weight_bits: self.weight_bits,
            delta_bits: self.delta_bits,
            steps: self.steps,
            init_weights: self.init_weights,
            block_frames: self.block_frames,
            ..V2Params::HARDWARE
        }
    }

    /// The same parameters with the maximum error `δ` grid steps (not yet validated).
    pub fn with_max_error(self, max_error: u32) -> MaxParams {
        MaxParams { max_error, ..self }
    }

    /// The residual quantiser of the maximum error (FORMAT.md §10.11; coder v1's quantiser
    /// type, [`crate::near`]): `δ` grid steps on 10-bit samples, `64·δ` units in raw mode
    /// (W = 16), the identity for `δ = 0`.
    pub fn quantiser(&self) -> Result<Quantiser, Error> {
        self.front_end()
            .golomb
            .with_max_error(self.max_error)
            .quantiser()
    }

    /// Checks the parameters (FORMAT.md §10.1): coder v2's ranges for the front end,
    /// `weight_bits + delta_bits ≤ 28` so that `Σ w·d` fits 32 bits, and the maximum error
    /// (§10.11: `δ ≤ 255`, on 10- or 16-bit samples).
    pub fn validate(&self) -> Result<(), Error> {
        self.front_end().validate()?;
        self.quantiser()?;
        if self.weight_bits + self.delta_bits > 28 {
            return Err(Error::BadParams(format!(
                "weight_bits {} + delta_bits {} exceed 28",
                self.weight_bits, self.delta_bits
            )));
        }
        Ok(())
    }

    /// Per-channel state in bits (coder v2's: 96 for the hardware).
    pub fn state_bits(&self) -> u32 {
        self.front_end().state_bits()
    }

    /// Largest code index `s` (`2W − 2`).
    pub fn s_max(&self) -> u32 {
        2 * (self.sample_bits - 1)
    }

    /// Most raw bits one sample sends ([`max_raw_bits`]): 18 for W = 10, 30 for W = 16.
    pub fn max_raw_bits(&self) -> u32 {
        max_raw_bits(self.sample_bits)
    }

    /// Most bits one sample adds to the two substreams: the range coder's
    /// [`range::MAX_STEP_BITS`] (12) and [`max_raw_bits`](Self::max_raw_bits): 30 for W = 10.
    pub fn max_bits_per_sample(&self) -> u32 {
        range::MAX_STEP_BITS + self.max_raw_bits()
    }
}

impl Default for MaxParams {
    fn default() -> Self {
        MaxParams::HARDWARE
    }
}

/// The context of a sample (FORMAT.md §10.3), from the channel's `A`, `N` and code index `s`
/// before the sample, with the sub-context bit `b = (5·N·m(s) ≥ 3·A)`:
///
/// | `s` | context |
/// |---|---|
/// | 0 | 0 if `2·A ≤ N` (mean magnitude ≤ ½: flat), else `2 − b` |
/// | 1 … 6 | `1 + 2·s + b` |
/// | ≥ 7 | 15 |
#[inline]
pub fn context(a: u32, n: u32, s: u32) -> u32 {
    let (a, n) = (a as u64, n as u64);
    let sub = SUB_NUM * n * m_value(s) as u64 >= SUB_DEN * a;
    match s {
        0 if 2 * a <= n => 0,
        0 => 2 - sub as u32,
        1..S_SHARED => 1 + 2 * s + sub as u32,
        _ => CONTEXTS as u32 - 1,
    }
}

/// The shift of the token map at code index `s`: `max(0, k − 2)`.
#[inline]
pub fn token_shift(s: u32) -> u32 {
    golomb_m(s).0.saturating_sub(K_OFFSET)
}

/// A sample's token and raw bits (FORMAT.md §10.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// 0..=31; [`ESCAPE`] is the escape.
    pub token: u32,
    /// The raw bits (the low `raw_len` bits), sent MSB first.
    pub raw: u32,
    pub raw_len: u32,
}

/// The token of magnitude `u < 2^w` at code index `s`, with `σ = max(0, k − 2)` and
/// `v = u >> σ`: if `v < 31`, token `v` and the `σ` low bits of `u`; else the escape, then
/// `e = v − 29` (≥ 2) in `2·⌊log2 e⌋` bits (Exp-Golomb of order 1 of `v − 31`: its leading
/// zeros, then `e`), then the `σ` low bits of `u`.
#[inline]
pub fn tokenise(u: u32, s: u32) -> Token {
    let shift = token_shift(s);
    let v = u >> shift;
    let low = u & ((1 << shift) - 1);
    if v < ESCAPE {
        Token {
            token: v,
            raw: low,
            raw_len: shift,
        }
    } else {
        let (e, len) = escape_code(v);
        Token {
            token: ESCAPE,
            raw: (e << shift) | low,
            raw_len: len + shift,
        }
    }
}

/// The escape's Exp-Golomb code of `v ≥ 31`: `e = v − 29` and its length `2·⌊log2 e⌋`.
#[inline(always)]
fn escape_code(v: u32) -> (u32, u32) {
    let e = v - (ESCAPE - 2);
    (e, 2 * (31 - e.leading_zeros()))
}

/// Most raw bits one sample can send with `W`-bit samples: an escape at `σ = 0` with
/// `u = 2^W − 1` (`e = 2^W − 30`): `2·(W − 1)` bits for `W ≥ 6` (18 for W = 10), else the
/// longest `σ` (no escape is possible).
pub fn max_raw_bits(w: u32) -> u32 {
    let w = w.clamp(1, 16);
    (0..=2 * (w - 1))
        .map(|s| tokenise((1 << w) - 1, s).raw_len)
        .max()
        .unwrap_or(0)
}

/// Everything coder max computes for one sample of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coded {
    pub pred: u32,
    pub s: u32,
    pub u: u32,
    pub ctx: u32,
    pub token: Token,
    pub next: State,
}

/// Codes one sample: state in, context, token, raw bits and next state out (the hardware's
/// per-sample datapath; the range coder step follows from `ctx` and `token` alone).
///
/// With a maximum error (`p.max_error > 0`, FORMAT.md §10.11) `u` is the zigzag of the
/// quantised residual and `next.prev` is the reconstruction, the decoder's sample. `p` must
/// be valid ([`MaxParams::validate`]).
pub fn code_sample(st: &State, x: u32, p: &MaxParams) -> Coded {
    let f = p.front_end();
    let q = p.quantiser().expect("valid parameters");
    let pred = crate::v2::predict(st, &f);
    let (u, xr) = residual(&q, x, pred, p.sample_bits);
    let s = select_s(st.a, st.n, &f.golomb);
    Coded {
        pred,
        s,
        u,
        ctx: context(st.a, st.n, s),
        token: tokenise(u, s),
        next: crate::v2::update(st, xr, pred, u, &f),
    }
}

/// The coded magnitude `u` of sample `x` predicted as `pred` and the sample the decoder
/// will output: `zigzag(x − pred)` and `x` itself without a maximum error (§10.3), the
/// quantised residual and its reconstruction with one (§10.11).
#[inline(always)]
fn residual(q: &Quantiser, x: u32, pred: u32, w: u32) -> (u32, u32) {
    if q.is_lossless() {
        (zigzag_error(x, pred, w), x)
    } else {
        q.residual(x, pred)
    }
}

/// The decoder's sample for the coded magnitude `u` ([`residual`]'s inverse).
#[inline(always)]
fn reconstruct(q: &Quantiser, u: u32, pred: u32, w: u32) -> u32 {
    if q.is_lossless() {
        unzigzag(u, pred, w)
    } else {
        q.residual_value(u, pred)
    }
}

/// The state a channel takes after its sample `x` in the first frame of a block (FORMAT.md
/// §10.6), which is sent as `W` raw bits instead of a token: `prev = x`, `N = N0 =
/// min(4, 2^(w−1))`, `A = 8·N0` (32 and 4 for the hardware, as coder v1's packet restart),
/// deltas 0, weights at their initial values.
pub fn restart_state(x: u32, p: &MaxParams) -> State {
    let n0 = 4.min(1 << (p.window_log2 - 1));
    State {
        prev: x,
        a: 8 * n0,
        n: n0,
        ..State::initial(&p.front_end())
    }
}

/// What the loops need per code index `s` (at most 31 of them for `W ≤ 16`): the context is
/// `base + sub_w·b + flat_w·(2·A ≤ N)`, [`context`] without a branch.
#[derive(Clone, Copy, Default)]
struct PerS {
    /// `SUB_NUM · m(s)`
    sub_m: u64,
    shift: u32,
    base: i32,
    sub_w: i32,
    flat_w: i32,
}

impl PerS {
    #[inline(always)]
    fn context(&self, a: u32, n: u32) -> u32 {
        let sub = (self.sub_m * n as u64 >= SUB_DEN * a as u64) as i32;
        let flat = (2 * a as u64 <= n as u64) as i32;
        (self.base + self.sub_w * sub + self.flat_w * flat) as u32
    }
}

fn per_s() -> [PerS; 32] {
    let mut t = [PerS::default(); 32];
    for (s, e) in t.iter_mut().enumerate().take(31) {
        let s = s as u32;
        // s = 0: flat implies b, so 2 − b − flat is 0, 1 or 2
        let (base, sub_w, flat_w) = match s {
            0 => (2, -1, -1),
            1..S_SHARED => (1 + 2 * s as i32, 1, 0),
            _ => (CONTEXTS as i32 - 1, 0, 0),
        };
        *e = PerS {
            sub_m: SUB_NUM * m_value(s) as u64,
            shift: token_shift(s),
            base,
            sub_w,
            flat_w,
        };
    }
    t
}

/// MSB-first bit writer of the raw substream: a 64-bit accumulator stored whole (8 bytes)
/// after every put, advanced by the whole bytes it held (no branch on the bit count).
struct RawWriter {
    out: Vec<u8>,
    acc: u64,
    nbits: u32,
    pos: usize,
}

impl RawWriter {
    fn new(samples: usize, w: u32) -> Self {
        RawWriter {
            out: vec![0; (samples * max_raw_bits(w) as usize).div_ceil(8) + 8],
            acc: 0,
            nbits: 0,
            pos: 0,
        }
    }

    /// Appends the low `n ≤ 32` bits of `v` (at most 30 are ever sent).
    #[inline(always)]
    fn put(&mut self, v: u32, n: u32) {
        self.acc = (self.acc << n) | v as u64;
        debug_assert!(n <= 32 && v as u64 >> n == 0);
        self.nbits += n;
        // nbits ≤ 7 + 32: the shift in two steps is defined for nbits = 0 too
        let aligned = (self.acc << (63 - self.nbits)) << 1;
        self.out[self.pos..self.pos + 8].copy_from_slice(&aligned.to_be_bytes());
        self.pos += (self.nbits >> 3) as usize;
        self.nbits &= 7;
    }

    /// The writer, leaving an empty one in its place.
    fn take(&mut self) -> Self {
        std::mem::replace(
            self,
            RawWriter {
                out: Vec::new(),
                acc: 0,
                nbits: 0,
                pos: 0,
            },
        )
    }

    /// The bytes, the last one zero-padded, and the bit count.
    fn finish(mut self) -> (Vec<u8>, u64) {
        self.out
            .truncate(self.pos + self.nbits.div_ceil(8) as usize);
        (self.out, 8 * self.pos as u64 + self.nbits as u64)
    }
}

/// One independently decodable block: its frame count and its two substreams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub frames: u32,
    /// The range coder's bytes (§10.5): at least 4.
    pub tokens: Vec<u8>,
    /// The raw bits, MSB first, the last byte zero-padded.
    pub raw: Vec<u8>,
}

impl Block {
    /// The block's coded bytes as the container stores them (§10.6): the token substream's
    /// length (u32, little-endian), the token substream, the raw substream.
    pub fn coded_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(4 + self.tokens.len() + self.raw.len());
        b.extend_from_slice(&(self.tokens.len() as u32).to_le_bytes());
        b.extend_from_slice(&self.tokens);
        b.extend_from_slice(&self.raw);
        b
    }

    /// The block as the core's words (FORMAT.md §10.10): each substream's bytes four to a
    /// word, the first in bits 31…24, the last word zero-padded and marked with its valid
    /// bytes. The core emits the two substreams' words interleaved in an order of its own,
    /// each word tagged with its substream: these are the words of each, in order.
    pub fn words(&self) -> [SubstreamWords; 2] {
        [
            SubstreamWords::of(Substream::Tokens, &self.tokens),
            SubstreamWords::of(Substream::Raw, &self.raw),
        ]
    }
}

/// The two substreams of a block (FORMAT.md §10.6), as the core's `out_stream` bit names
/// them (§10.10): 0 the range coder's bytes, 1 the raw bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Substream {
    Tokens = 0,
    Raw = 1,
}

/// One substream of a block as the core's 32-bit words ([`Block::words`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubstreamWords {
    pub stream: Substream,
    /// Four bytes per word, the first in bits 31…24; the last word zero-padded.
    pub words: Vec<u32>,
    /// The valid bytes of the last word (1..=4; 0 only for an empty substream, which a
    /// block never has: the token substream has at least 4 bytes, the raw one the first
    /// frame's samples).
    pub last_bytes: u32,
}

impl SubstreamWords {
    fn of(stream: Substream, bytes: &[u8]) -> Self {
        SubstreamWords {
            stream,
            words: crate::v2::block_words(bytes),
            last_bytes: match bytes.len() {
                0 => 0,
                n => ((n - 1) % 4 + 1) as u32,
            },
        }
    }
}

/// The two substreams of a block's coded bytes (the inverse of [`Block::coded_bytes`]).
pub fn split_coded(bytes: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
        return Err(Error::Corrupt(
            "max block shorter than its substream length".into(),
        ));
    };
    let len = u32::from_le_bytes(*len) as usize;
    if len < 4 || len > rest.len() {
        return Err(Error::Corrupt(format!(
            "token substream of {len} bytes in a block of {} bytes (at least 4)",
            rest.len()
        )));
    }
    Ok(rest.split_at(len))
}

/// Statistics of an encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodeStats {
    pub samples: u64,
    pub escapes: u64,
    /// Bits of the raw substreams (before padding).
    pub raw_bits: u64,
    /// Bytes of the token substreams.
    pub token_bytes: u64,
}

/// Encodes one block (from a restart, FORMAT.md §10.6) of whole frames of `channels`
/// interleaved channels, each sample below `2^W`.
pub fn encode_block(
    p: &MaxParams,
    table: &Table,
    channels: usize,
    samples: &[u32],
    stats: &mut EncodeStats,
) -> Result<Block, Error> {
    p.validate()?;
    check_frames(p.sample_bits, channels, samples)?;
    Ok(encode_checked(p, table, channels, samples, stats))
}

/// [`encode_block`] after its checks.
fn encode_checked(
    p: &MaxParams,
    table: &Table,
    channels: usize,
    samples: &[u32],
    stats: &mut EncodeStats,
) -> Block {
    let f = p.front_end();
    with_taps!(p.taps, T => encode_block_t::<T>(p, &f, table, channels, samples, stats))
}

/// Samples per chunk of the encoder's two passes (the records stay in L1).
const CHUNK: usize = 1024;

fn encode_block_t<const T: usize>(
    mp: &MaxParams,
    p: &V2Params,
    table: &Table,
    channels: usize,
    samples: &[u32],
    stats: &mut EncodeStats,
) -> Block {
    let w = p.golomb.sample_bits;
    let ps = per_s();
    let q = mp.quantiser().expect("valid parameters");
    let mut rc = range::FastEncoder::new(samples.len());
    let mut raw = RawWriter::new(samples.len(), w);
    // the first frame: raw samples, restart states
    let (first, rest) = samples.split_at(channels.min(samples.len()));
    let mut states: Vec<State> = first
        .iter()
        .map(|&x| {
            raw.put(x, w);
            restart_state(x, mp)
        })
        .collect();
    let mut escapes = 0u64;
    let mut ch = 0;
    // the hardware parameters: their own loop, the states in scalars
    let mut hw_states: Vec<hw::Hw> = match T == 4 && hw::applies(mp) {
        true => states.iter().map(hw::Hw::of).collect(),
        false => Vec::new(),
    };
    // Two passes per chunk: the front end (whose chains run through the channel states)
    // makes one record per sample, and the range coder and the raw writer (whose chains run
    // through their own state) take them: in one loop the two would wait for each other.
    let mut recs = [0u64; CHUNK];
    for chunk in rest.chunks(CHUNK) {
        let recs = &mut recs[..chunk.len()];
        escapes += if !hw_states.is_empty() {
            hw::front_chunk(table, &mut hw_states, &mut ch, chunk, recs)
        } else {
            front_chunk_any::<T>(p, &q, table, &ps, &mut states, &mut ch, chunk, recs)
        };
        code_chunk(&mut rc, &mut raw, recs);
    }
    let tokens = rc.finish();
    let (raw, raw_bits) = raw.finish();
    stats.samples += samples.len() as u64;
    stats.escapes += escapes;
    stats.raw_bits += raw_bits;
    stats.token_bytes += tokens.len() as u64;
    Block {
        frames: (samples.len() / channels) as u32,
        tokens,
        raw,
    }
}

/// [`front_chunk`] for any parameters.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn front_chunk_any<const T: usize>(
    p: &V2Params,
    q: &Quantiser,
    table: &Table,
    ps: &[PerS; 32],
    states: &mut [State],
    ch: &mut usize,
    chunk: &[u32],
    recs: &mut [u64],
) -> u64 {
    front_chunk::<T>(p, q, table, ps, states, ch, chunk, recs)
}

/// The encoder's first pass over a chunk: each sample's record (its token's packed interval,
/// the raw bits and their count: `interval | count << 27 | bits << 32`); returns the escapes.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn front_chunk<const T: usize>(
    p: &V2Params,
    q: &Quantiser,
    table: &Table,
    ps: &[PerS; 32],
    states: &mut [State],
    ch: &mut usize,
    chunk: &[u32],
    recs: &mut [u64],
) -> u64 {
    let mut escapes = 0;
    walk_channels!(states, ch, chunk, recs, |st, x| {
        record::<T>(p, q, table, ps, st, x, &mut escapes)
    });
    escapes
}

/// One sample's record for [`front_chunk`]; updates the state and counts an escape.
#[inline(always)]
fn record<const T: usize>(
    p: &V2Params,
    q: &Quantiser,
    table: &Table,
    ps: &[PerS; 32],
    st: &mut State,
    x: u32,
    escapes: &mut u64,
) -> u64 {
    let g = p.golomb;
    let w = g.sample_bits;
    let pred = predict_t::<T>(st, p);
    let (u, xr) = residual(q, x, pred, w);
    let s = select_s(st.a, st.n, &g);
    let e = ps[s as usize & 31];
    let ctx = e.context(st.a, st.n);
    let v = u >> e.shift;
    let low = u & ((1 << e.shift) - 1);
    let (token, bits, len) = if v < ESCAPE {
        (v, low, e.shift)
    } else {
        *escapes += 1;
        let (code, len) = escape_code(v);
        (ESCAPE, (code << e.shift) | low, len + e.shift)
    };
    update_t::<T>(st, xr, pred, u, p);
    table.packed(ctx as usize, token as usize) as u64 | (len as u64) << 27 | (bits as u64) << 32
}

/// The encoder's second pass: the records' tokens and raw bits (the two coders as local
/// values: their fields stay in registers, not stored back before every possible panic).
#[inline(never)]
fn code_chunk(rc: &mut range::FastEncoder, raw: &mut RawWriter, recs: &[u64]) {
    let (mut r, mut w) = (rc.take(), raw.take());
    for &rec in recs {
        r.encode(table::unpack(rec as u32 & 0x07FF_FFFF));
        w.put((rec >> 32) as u32, (rec >> 27) as u32 & 31);
    }
    (*rc, *raw) = (r, w);
}

/// Encodes a whole interleaved sample sequence into blocks of `block_frames` frames (one
/// block of all frames when 0; no block when there are no frames).
pub fn encode_all(
    p: &MaxParams,
    table: &Table,
    channels: usize,
    samples: &[u32],
) -> Result<(Vec<Block>, EncodeStats), Error> {
    p.validate()?;
    check_frames(p.sample_bits, channels, samples)?;
    let frames = samples.len() / channels;
    let per_block = match p.block_frames {
        0 => frames.max(1),
        b => b as usize,
    };
    let mut stats = EncodeStats::default();
    let blocks = samples
        .chunks(per_block * channels)
        .map(|chunk| encode_checked(p, table, channels, chunk, &mut stats))
        .collect();
    Ok((blocks, stats))
}

/// Decodes one block of `frames` frames from its two substreams, appending the samples to
/// `out`. Every byte of both substreams must be used, the raw substream's padding zero.
pub fn decode_block(
    p: &MaxParams,
    table: &Table,
    channels: usize,
    frames: u32,
    tokens: &[u8],
    raw: &[u8],
    out: &mut Vec<u32>,
) -> Result<(), Error> {
    p.validate()?;
    if channels == 0 {
        return Err(Error::Corrupt("channel count is zero".into()));
    }
    with_taps!(p.taps, T => decode_block_t::<T>(p, table, channels, frames, tokens, raw, out))
}

fn decode_block_t<const T: usize>(
    mp: &MaxParams,
    table: &Table,
    channels: usize,
    frames: u32,
    tokens: &[u8],
    raw: &[u8],
    out: &mut Vec<u32>,
) -> Result<(), Error> {
    let f = mp.front_end();
    let p = &f;
    let w = p.golomb.sample_bits;
    let ps = per_s();
    let q = mp.quantiser()?;
    let mut rc = range::Decoder::new(tokens)?;
    let mut bits = RawReader::new(raw);
    if frames == 0 {
        return Err(Error::Corrupt("a block of no frames".into()));
    }
    // the first frame: W raw bits per channel (memory only for what the bits can hold)
    let mut states = Vec::with_capacity(channels.min(raw.len() * 8 / w as usize + 1));
    for _ in 0..channels {
        let x = bits.take(w)?;
        states.push(restart_state(x, mp));
        out.push(x);
    }
    // the hardware parameters: their own loop
    let hw = T == 4 && hw::applies(mp);
    // the other frames, a slice of whole frames at a time: `out` grows only by samples the
    // substreams hold (each token takes more than 0.01 bits), however many frames are claimed
    let slice_frames = (1usize << 16).div_ceil(channels);
    let mut left = frames as usize - 1;
    while left > 0 {
        let n = left.min(slice_frames);
        left -= n;
        let start = out.len();
        out.resize(start + n * channels, 0);
        let dec = &mut out[start..];
        let (done, res) = if hw {
            let mut done = 0;
            let res = hw::decode_run(table, &mut states, &mut rc, &mut bits, dec, &mut done);
            (done, res)
        } else {
            decode_samples_any::<T>(p, &q, table, &ps, &mut states, &mut rc, &mut bits, dec)
        };
        // on an error, `out` keeps the samples decoded before it (a prefix of the block)
        out.truncate(start + done);
        res?;
    }
    if !rc.at_end() {
        return Err(Error::Corrupt(
            "token bytes left over after the last sample of a block".into(),
        ));
    }
    let left = bits.left();
    if left >= 8 || bits.take(left as u32)? != 0 {
        return Err(Error::Corrupt(format!(
            "raw substream: {left} bits left over after the last sample (at most 7 zero bits)"
        )));
    }
    Ok(())
}

/// [`decode_samples`] for any parameters.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn decode_samples_any<const T: usize>(
    p: &V2Params,
    q: &Quantiser,
    table: &Table,
    ps: &[PerS; 32],
    states: &mut [State],
    rc: &mut range::Decoder<'_>,
    bits: &mut RawReader<'_>,
    out: &mut [u32],
) -> (usize, Result<(), Error>) {
    decode_samples::<T>(p, q, table, ps, states, rc, bits, out)
}

/// Decodes `out.len()` samples after a block's first frame, channel 0 first; returns how many
/// were decoded (all, or those before the error).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn decode_samples<const T: usize>(
    p: &V2Params,
    q: &Quantiser,
    table: &Table,
    ps: &[PerS; 32],
    states: &mut [State],
    rc: &mut range::Decoder<'_>,
    bits: &mut RawReader<'_>,
    out: &mut [u32],
) -> (usize, Result<(), Error>) {
    // the coders as local values (their fields stay in registers), written back at the end
    let (mut r, mut b) = (rc.clone(), bits.clone());
    let mut done = 0;
    let res = decode_run::<T>(p, q, table, ps, states, &mut r, &mut b, out, &mut done);
    (*rc, *bits) = (r, b);
    (done, res)
}

/// The loop of [`decode_samples`], counting the samples decoded in `done`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn decode_run<const T: usize>(
    p: &V2Params,
    q: &Quantiser,
    table: &Table,
    ps: &[PerS; 32],
    states: &mut [State],
    r: &mut range::Decoder<'_>,
    b: &mut RawReader<'_>,
    out: &mut [u32],
    done: &mut usize,
) -> Result<(), Error> {
    if let [st] = states {
        // one channel: its state stays a local value
        let mut state = *st;
        for x in out.iter_mut() {
            *x = decode_one::<T>(p, q, table, ps, &mut state, r, b)?;
            *done += 1;
        }
        *st = state;
    } else {
        for frame in out.chunks_mut(states.len()) {
            for (x, st) in frame.iter_mut().zip(states.iter_mut()) {
                // a local copy, written back whole (as coder v2's loop)
                let mut state = *st;
                *x = decode_one::<T>(p, q, table, ps, &mut state, r, b)?;
                *st = state;
                *done += 1;
            }
        }
    }
    Ok(())
}

/// Decodes one sample of the channel in state `st` (updated).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn decode_one<const T: usize>(
    p: &V2Params,
    q: &Quantiser,
    table: &Table,
    ps: &[PerS; 32],
    st: &mut State,
    rc: &mut range::Decoder<'_>,
    bits: &mut RawReader<'_>,
) -> Result<u32, Error> {
    let w = p.golomb.sample_bits;
    let pred = predict_t::<T>(st, p);
    let s = select_s(st.a, st.n, &p.golomb);
    let e = ps[s as usize & 31];
    let ctx = e.context(st.a, st.n);
    let (t, iv) = table.lookup(ctx as usize, rc.target());
    rc.consume(iv)?;
    let v = if t as u32 == ESCAPE {
        read_escape(bits, w)?
    } else {
        t as u32
    };
    // v < 2^W: the shift cannot overflow; u ≥ 2^W is corrupt
    let u = (v << e.shift) | bits.take(e.shift)?;
    if u >> w != 0 {
        return Err(Error::Corrupt("decoded magnitude out of range".into()));
    }
    let x = reconstruct(q, u, pred, w);
    update_t::<T>(st, x, pred, u, p);
    Ok(x)
}

/// Reads an escape's Exp-Golomb code (the `e` of [`tokenise`]) and returns `v = e + 29`.
#[inline(always)]
fn read_escape(bits: &mut RawReader<'_>, w: u32) -> Result<u32, Error> {
    // ⌊log2 e⌋ − 1 zeros, then e's top bit (1) and its ⌊log2 e⌋ low bits; e < 2^W
    let mut zeros = 0;
    while bits.take(1)? == 0 {
        zeros += 1;
        if zeros >= w - 1 {
            return Err(Error::Corrupt(
                "escape code longer than any magnitude".into(),
            ));
        }
    }
    let l = zeros + 1;
    let e = (1 << l) | bits.take(l)?;
    Ok(e + ESCAPE - 2)
}

/// Decodes a sequence of blocks `(frames, token substream, raw substream)` of `channels`
/// channels.
pub fn decode_all(
    p: &MaxParams,
    table: &Table,
    channels: usize,
    blocks: &[(u32, &[u8], &[u8])],
) -> Result<Vec<u32>, Error> {
    let mut out = Vec::new();
    for &(frames, tokens, raw) in blocks {
        decode_block(p, table, channels, frames, tokens, raw, &mut out)?;
    }
    Ok(out)
}

/// Tokens per context of an interleaved sequence coded as one block (the front end only; no
/// range coder): what a table is trained on.
pub fn token_counts(
    p: &MaxParams,
    channels: usize,
    samples: &[u32],
    counts: &mut [[u64; TOKENS]; CONTEXTS],
) -> Result<(), Error> {
    p.validate()?;
    check_frames(p.sample_bits, channels, samples)?;
    let (first, rest) = samples.split_at(channels.min(samples.len()));
    let mut states: Vec<State> = first.iter().map(|&x| restart_state(x, p)).collect();
    for (i, &x) in rest.iter().enumerate() {
        let st = &mut states[i % channels];
        let c = code_sample(st, x, p);
        counts[c.ctx as usize][c.token.token as usize] += 1;
        *st = c.next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: MaxParams = MaxParams::HARDWARE;

    #[test]
    fn hardware_budget() {
        P.validate().unwrap();
        MaxParams::RAW16.validate().unwrap();
        assert_eq!(P.state_bits(), 96);
        assert_eq!(P.max_bits_per_sample(), 30);
        assert_eq!(MaxParams::RAW16.max_bits_per_sample(), 42);
        assert_eq!(MaxParams::RAW16, P.with_sample_bits(16));
        assert_eq!(
            P.front_end().golomb.thr_num,
            V2Params::HARDWARE.golomb.thr_num
        );
        let mut bad = P;
        bad.weight_bits = 16;
        bad.delta_bits = 13;
        assert!(bad.validate().is_err());
        bad = P;
        bad.taps = 9;
        assert!(bad.validate().is_err());
    }

    #[test]
    fn token_examples() {
        let t = |token, raw, raw_len| Token {
            token,
            raw,
            raw_len,
        };
        // s = 0..3: k ≤ 2, no shift: the token is u
        assert_eq!(tokenise(5, 0), t(5, 0, 0));
        assert_eq!(tokenise(30, 3), t(30, 0, 0));
        // u = 31: the escape, e = 2 = 0b10 in 2 bits; u = 34: e = 5 = 0b0101 in 4 bits
        assert_eq!(tokenise(31, 1), t(31, 0b10, 2));
        assert_eq!(tokenise(34, 1), t(31, 0b0101, 4));
        // s = 7: m = 16, k = 4, shift 2: u = 45 = 0b1011_01 → token 11, raw 01
        assert_eq!(tokenise(45, 7), t(11, 0b01, 2));
        // s = 8: m = 24, k = 4, shift 2: u = 123 → 30, raw 11; u = 126 → v = 31: escape,
        // e = 2 (0b10), then the low bits 10
        assert_eq!(tokenise(123, 8), t(30, 0b11, 2));
        assert_eq!(tokenise(126, 8), t(31, 0b10_10, 4));
        // s = 18 (W = 10): k = 9, shift 7: every u < 1024 has a token below 8
        assert_eq!(tokenise(1023, 18), t(7, 127, 7));
        // the longest: u = 1023 at shift 0: e = 994 in 18 bits
        assert_eq!(tokenise(1023, 0), t(31, 994, 18));
        assert_eq!(max_raw_bits(10), 18);
        assert_eq!(max_raw_bits(16), 30);
        for s in 0..=18 {
            for u in 0..1024 {
                let t = tokenise(u, s);
                assert!(t.raw_len <= 18 && t.raw as u64 >> t.raw_len == 0);
                let shift = token_shift(s);
                if t.token < ESCAPE {
                    assert_eq!((t.token << shift) | t.raw, u);
                } else {
                    let e = t.raw >> shift;
                    let l = 31 - e.leading_zeros();
                    assert_eq!(t.raw_len, 2 * l + shift, "u = {u}, s = {s}");
                    assert_eq!(((e + 29) << shift) | (t.raw & ((1 << shift) - 1)), u);
                }
            }
        }
    }

    #[test]
    fn context_examples() {
        // s = 0: flat (2A ≤ N), then b = 5N ≥ 3A
        assert_eq!(context(0, 0, 0), 0);
        assert_eq!(context(4, 8, 0), 0);
        assert_eq!(context(5, 8, 0), 1);
        assert_eq!(context(13, 8, 0), 1);
        assert_eq!(context(14, 8, 0), 2);
        // A = 40, N = 8: s = 2 (m = 3: 8·3·8 = 192 ≥ 4·40 = 160; m = 2: 128 < 160)
        let g = P.front_end().golomb;
        assert_eq!(select_s(40, 8, &g), 2);
        // s = 2, m = 3: 5·8·3 = 120 ≥ 3·40 = 120: b = 1 → context 1 + 4 + 1 = 6
        assert_eq!(context(40, 8, 2), 6);
        assert_eq!(context(41, 8, 2), 5);
        assert_eq!(context(100, 8, 6), 14);
        // s ≥ 7 share context 15
        assert_eq!(context(1000, 1, 7), 15);
        assert_eq!(context(1000, 1, 30), 15);
        // the loops' branch-free form is the same function
        let ps = per_s();
        for s in 0..=30 {
            for n in 0..64 {
                for a in (0..4096).step_by(7) {
                    assert_eq!(
                        ps[s as usize].context(a, n),
                        context(a, n, s),
                        "{a} {n} {s}"
                    );
                }
            }
        }
    }

    #[test]
    fn raw_writer_packs_msb_first() {
        let mut w = RawWriter::new(4, 10);
        w.put(0b1, 1);
        w.put(0, 0);
        w.put(0b0110, 4);
        w.put(0x3FF, 10);
        let (b, n) = w.finish();
        assert_eq!(n, 15);
        assert_eq!(b, [0b1011_0111, 0b1111_1110]);
    }

    /// The reference encoder: `code_sample` per sample, its token coded with the table. The
    /// fast `encode_block` must produce the same bytes.
    fn reference_block(p: &MaxParams, channels: usize, xs: &[u32]) -> (Vec<u8>, Vec<u8>) {
        let t = Table::builtin();
        let mut states = Vec::new();
        let mut rc = range::Encoder::with_capacity(0);
        let mut bits = String::new();
        let mut put = |v: u32, n: u32| {
            for b in (0..n).rev() {
                bits.push(if v >> b & 1 == 1 { '1' } else { '0' });
            }
        };
        for (i, &x) in xs.iter().enumerate() {
            if i < channels {
                put(x, p.sample_bits);
                states.push(restart_state(x, p));
                continue;
            }
            let st = &mut states[i % channels];
            let c = code_sample(st, x, p);
            *st = c.next;
            rc.encode(t.interval(c.ctx as usize, c.token.token as usize));
            put(c.token.raw, c.token.raw_len);
        }
        while !bits.len().is_multiple_of(8) {
            bits.push('0');
        }
        let raw = (0..bits.len() / 8)
            .map(|i| u8::from_str_radix(&bits[8 * i..8 * i + 8], 2).unwrap())
            .collect();
        (rc.finish(), raw)
    }

    #[test]
    fn fast_encoder_equals_the_datapath_and_round_trips() {
        let mut seed = 99u32;
        for (p, w, channels) in [(P, 10, 1), (P, 10, 3), (MaxParams::RAW16, 16, 2)] {
            let xs = crate::v2::test_walk(w, 30_000, &mut seed);
            let mut stats = EncodeStats::default();
            let b = encode_block(&p, Table::builtin(), channels, &xs, &mut stats).unwrap();
            assert_eq!(
                (b.tokens.clone(), b.raw.clone()),
                reference_block(&p, channels, &xs)
            );
            assert!(stats.escapes > 0);
            let mut back = Vec::new();
            decode_block(
                &p,
                Table::builtin(),
                channels,
                b.frames,
                &b.tokens,
                &b.raw,
                &mut back,
            )
            .unwrap();
            assert_eq!(back, xs);
            let coded = b.coded_bytes();
            assert_eq!(split_coded(&coded).unwrap(), (&b.tokens[..], &b.raw[..]));
        }
    }
}
