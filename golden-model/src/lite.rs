//! The per-sample coder: delta prediction, zigzag mapping, adaptive Golomb parameter,
//! code construction, and the MSB-first 32-bit word packer — the datapath the hardware copies.
//!
//! Everything here is integer-only and division-free in hardware terms; the only divisions
//! in this file are by the Golomb parameter `m ∈ {2^k, 3·2^(k-1)}`, which the hardware does as a
//! shift and a constant multiply by 1/3. Bit-exact definitions are in `FORMAT.md`.

use crate::near::Quantiser;
use crate::{CodecParams, Error};

/// Per-channel state, exactly what the hardware keeps in block RAM (one word per channel).
///
/// The initial state is `prev = 2^(W-1)` (mid-scale), `A = 0`, `N = 0`. The packed form
/// stores `prev` with its top bit inverted, so the all-zero word *is* the initial state and a
/// zeroed RAM is a reset RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelState {
    /// Previous sample of this channel (`W` bits).
    pub prev: u32,
    /// Sum of recent zigzag magnitudes (`W + window_log2` bits).
    pub a: u32,
    /// Number of samples summed in `a` (`window_log2` bits).
    pub n: u32,
}

impl ChannelState {
    /// The state of a channel before its first sample.
    pub fn initial(p: &CodecParams) -> Self {
        ChannelState {
            prev: 1 << (p.sample_bits - 1),
            a: 0,
            n: 0,
        }
    }

    /// Packs the state into one word: `prev XOR 2^(W-1)` in the top `W` bits, then `A`, then
    /// `N` in the low bits — the layout of the hardware's state RAM.
    pub fn pack(&self, p: &CodecParams) -> u64 {
        (((self.prev ^ (1 << (p.sample_bits - 1))) as u64) << (p.a_bits() + p.n_bits()))
            | ((self.a as u64) << p.n_bits())
            | self.n as u64
    }

    /// Inverse of [`pack`](Self::pack).
    pub fn unpack(word: u64, p: &CodecParams) -> Self {
        let mask = |bits: u32| (1u64 << bits) - 1;
        ChannelState {
            prev: ((word >> (p.a_bits() + p.n_bits())) & mask(p.sample_bits)) as u32
                ^ (1 << (p.sample_bits - 1)),
            a: ((word >> p.n_bits()) & mask(p.a_bits())) as u32,
            n: (word & mask(p.n_bits())) as u32,
        }
    }

    /// The state after coding a sample `x` whose zigzag magnitude was `u`.
    #[inline]
    pub fn updated(&self, x: u32, u: u32, p: &CodecParams) -> Self {
        let mut a = self.a + u;
        let mut n = self.n + 1;
        if n == 1 << p.window_log2 {
            a = (a + 1) >> 1;
            n >>= 1;
        }
        ChannelState { prev: x, a, n }
    }
}

/// Zigzag magnitude of the prediction error of `x` given `prev`, both `W`-bit codes.
///
/// The difference is taken modulo `2^W` and read as a signed `W`-bit number `e`, then
/// mapped `0, -1, 1, -2, 2, … → 0, 1, 2, 3, 4, …`.
#[inline]
pub fn zigzag_error(x: u32, prev: u32, w: u32) -> u32 {
    let mask = (1u32 << w) - 1;
    let d = x.wrapping_sub(prev) & mask;
    let negative = d >> (w - 1) != 0;
    if negative {
        // e = d - 2^W < 0  →  u = -2e - 1 = 2·(2^W - d) - 1
        (((mask - d) + 1) << 1) - 1
    } else {
        d << 1
    }
}

/// Inverse of [`zigzag_error`]: the sample from `u` and the previous sample.
#[inline]
pub fn unzigzag(u: u32, prev: u32, w: u32) -> u32 {
    let mask = (1u32 << w) - 1;
    let e = if u & 1 == 0 {
        u >> 1
    } else {
        // e = -(u+1)/2, as a W-bit two's complement value
        (!(u >> 1)) & mask
    };
    prev.wrapping_add(e) & mask
}

/// The Golomb parameter of code index `s`: `(k, half)` with `m = 2^k` when `half` is false
/// and `m = 3·2^(k-1)` when it is true.
///
/// | s | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | … | 2W-2 |
/// |---|---|---|---|---|---|---|---|---|---|---|------|
/// | m | 1 | 2 | 3 | 4 | 6 | 8 | 12| 16| 24| … | 3·2^(W-2) |
#[inline]
pub fn golomb_m(s: u32) -> (u32, bool) {
    if s == 0 {
        (0, false)
    } else if s & 1 == 1 {
        (s.div_ceil(2), false)
    } else {
        (s / 2, true)
    }
}

/// The value of `m` for code index `s`.
#[inline]
pub fn m_value(s: u32) -> u32 {
    match golomb_m(s) {
        (k, false) => 1 << k,
        (k, true) => 3 << (k - 1),
    }
}

/// The code index for the next sample of a channel in state `(a, n)`: the smallest `s` with
/// `n · m(s) · 2^thr_shift >= thr_num · a`, or `s_max` if there is none.
///
/// This is the definition; [`select_s`] computes the same value faster.
pub fn select_s_reference(a: u32, n: u32, p: &CodecParams) -> u32 {
    let t = p.thr_num as u64 * a as u64;
    (0..=p.s_max())
        .find(|&s| ((n as u64 * m_value(s) as u64) << p.thr_shift) >= t)
        .unwrap_or(p.s_max())
}

/// Fast [`select_s_reference`]: the hardware's two-step search, without a loop.
///
/// 1. `k0` = the smallest `k` with `n·2^k·2^shift >= t` (a priority encoder in hardware):
///    with `d` = bit length of `t − 1` less that of `base = n·2^shift`, `base·2^d` has the
///    bit length of `t − 1`, so `k0` is `d` or `d + 1`.
/// 2. The one half-step below `2^k0` is `3·2^(k0-2)`: if it also satisfies the test, it wins.
#[inline]
pub fn select_s(a: u32, n: u32, p: &CodecParams) -> u32 {
    let t = p.thr_num as u64 * a as u64;
    let base = (n as u64) << p.thr_shift;
    if base == 0 {
        return if t == 0 { 0 } else { p.s_max() };
    }
    // Written without branches on the data (they would be mispredicted): max(0, d) as the
    // bit length of an OR; t <= base gives d = 0 and k0 = 0, hence s = 0.
    let bits = |v: u64| 64 - v.leading_zeros();
    let d = bits(t.saturating_sub(1) | base) - bits(base);
    let k0 = d + ((base << d) < t) as u32;
    // 3·2^(k0-2)·base >= t, for k0 >= 2 only
    let half = ((3 * base) << k0 >= t << 2) & (k0 >= 2);
    // 2·k0 − 1 − half, and 0 for k0 = 0 (k0 < 32)
    let nonzero = (k0 + 31) >> 5;
    (2 * k0 - nonzero - half as u32).min(p.s_max())
}

/// [`select_s`] as a multiply and two table lookups, for the encoder's inner loop (issue 29:
/// `select_s`'s arithmetic was a third of the instructions per sample).
///
/// The smallest `s` with `base·m(s) >= t` (`base = n·2^thr_shift > 0`, `t = thr_num·a`) is
/// the smallest `s` with `m(s) >= c = ⌈t / base⌉`, as `m(s)` is an integer: `c` comes from
/// `(t + base − 1)·R[n] >> K` with `R[n] = ⌈2^K / base⌉`, exact for every `t + base − 1 < X`
/// when `X·base <= 2^K` (the error `x·(R·base − 2^K) / (base·2^K) < x / 2^K` stays below
/// `1 / base`, the least fractional part of `x / base`), and `s` from a table of `c`.
/// `n = 0` (a channel's first sample, where `a = 0`) gives `c = 0`, hence `s = 0`. Built only
/// where the product fits 64 bits (the hardware's parameters and raw mode's do); a test
/// compares it with [`select_s_reference`] on every reachable `(a, n)` of both.
struct SelectTable {
    thr_num: u64,
    thr_shift: u32,
    k: u32,
    /// `R[n]` for every count `n < 2^window_log2` (0 for `n = 0`).
    recip: [u64; 256],
    /// `s` for `c = 0 ..= m(s_max) + 1` (the last: no `m` is large enough, `s_max`).
    s_of_c: Vec<u8>,
}

impl SelectTable {
    fn new(p: &CodecParams) -> Option<SelectTable> {
        let bits = |v: u64| 64 - v.leading_zeros();
        let a_max = (1u64 << p.a_bits()) - 1; // A < 2^(W + window_log2)
        let n_max = (1u64 << p.window_log2) - 1;
        let base_max = n_max << p.thr_shift;
        let x_max = p.thr_num as u64 * a_max + base_max; // t + base − 1 < x_max
        let k = bits(x_max) + bits(base_max); // x_max · base_max < 2^k
        let r_max = (1u64 << k.min(63)).div_ceil(1 << p.thr_shift); // n = 1
        if k > 63 || n_max >= 256 || x_max.checked_mul(r_max).is_none() {
            return None;
        }
        let mut recip = [0u64; 256];
        for n in 1..=n_max {
            recip[n as usize] = (1u64 << k).div_ceil(n << p.thr_shift);
        }
        let cap = m_value(p.s_max()) as usize + 1;
        let mut s_of_c = vec![p.s_max() as u8; cap + 1];
        let mut s = 0;
        for (c, v) in s_of_c.iter_mut().enumerate().take(cap) {
            while (m_value(s) as usize) < c {
                s += 1;
            }
            *v = s as u8;
        }
        Some(SelectTable {
            thr_num: p.thr_num as u64,
            thr_shift: p.thr_shift,
            k,
            recip,
            s_of_c,
        })
    }

    /// [`select_s`] of a reachable state (`n = 0` only with `a = 0`).
    #[inline(always)]
    fn select(&self, a: u32, n: u32) -> u32 {
        let t = self.thr_num * a as u64;
        let base = (n as u64) << self.thr_shift;
        let c = ((t + base.saturating_sub(1)) * self.recip[n as usize & 255]) >> self.k;
        self.s_of_c[(c as usize).min(self.s_of_c.len() - 1)] as u32
    }
}

/// One variable-length code: the low `len` bits of `bits`, sent MSB first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    pub bits: u32,
    pub len: u32,
}

/// The code of zigzag magnitude `u` with code index `s`.
///
/// Regular: `q` one-bits, a zero, then the remainder (`k` bits when `m = 2^k`; truncated
/// binary in `k` or `k+1` bits when `m = 3·2^(k-1)`). Escape, when `q >= qmax`: `qmax`
/// one-bits, then `u` in `W` bits.
#[inline]
pub fn encode_u(u: u32, s: u32, p: &CodecParams) -> Code {
    let (k, half) = golomb_m(s);
    let (q, rbits, rlen) = if half {
        let m = 3 << (k - 1);
        let q = u / m;
        let r = u - q * m;
        let cut = 1 << (k - 1);
        if r < cut {
            (q, r, k)
        } else {
            (q, r + cut, k + 1)
        }
    } else {
        (u >> k, u & ((1 << k) - 1), k)
    };
    if q >= p.qmax {
        let ones = (1u64 << p.qmax) - 1;
        return Code {
            bits: ((ones << p.sample_bits) | u as u64) as u32,
            len: p.qmax + p.sample_bits,
        };
    }
    let ones = (1u64 << q) - 1;
    Code {
        bits: ((ones << (rlen + 1)) | rbits as u64) as u32,
        len: q + 1 + rlen,
    }
}

/// Everything the coder computes for one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coded {
    /// The bits sent.
    pub code: Code,
    /// Code index used (see [`golomb_m`]).
    pub s: u32,
    /// Zigzag magnitude of the prediction error.
    pub u: u32,
    /// Whether the escape code was used.
    pub escape: bool,
    /// The channel's state after this sample.
    pub next: ChannelState,
}

/// Whether magnitude `u` at code index `s` needs the escape code.
#[inline]
pub fn is_escape(u: u32, s: u32, p: &CodecParams) -> bool {
    u / m_value(s) >= p.qmax
}

/// Codes one sample of a channel.
#[inline]
pub fn code_sample(state: &ChannelState, x: u32, p: &CodecParams) -> Coded {
    let u = zigzag_error(x, state.prev, p.sample_bits);
    let s = select_s(state.a, state.n, p);
    let code = encode_u(u, s, p);
    Coded {
        code,
        s,
        u,
        escape: code.len == p.max_code_bits() && is_escape(u, s, p),
        next: state.updated(x, u, p),
    }
}

/// Packs codes MSB-first into 32-bit words; the last word is padded with zero bits.
#[derive(Clone, Debug, Default)]
pub struct BitPacker {
    acc: u64,
    nbits: u32,
    total_bits: u64,
}

impl BitPacker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a code; returns the completed word, if the code filled one.
    #[inline]
    pub fn push(&mut self, code: Code) -> Option<u32> {
        debug_assert!(code.len <= 32);
        self.acc = (self.acc << code.len) | code.bits as u64;
        self.nbits += code.len;
        self.total_bits += code.len as u64;
        if self.nbits >= 32 {
            self.nbits -= 32;
            let word = (self.acc >> self.nbits) as u32;
            self.acc &= (1u64 << self.nbits) - 1;
            Some(word)
        } else {
            None
        }
    }

    /// The final partial word (zero-padded at the bottom), if any bits are pending.
    pub fn flush(&mut self) -> Option<u32> {
        if self.nbits == 0 {
            return None;
        }
        let word = (self.acc << (32 - self.nbits)) as u32;
        self.acc = 0;
        self.nbits = 0;
        Some(word)
    }

    /// Bits pushed so far (without padding).
    pub fn total_bits(&self) -> u64 {
        self.total_bits
    }
}

/// Streaming multi-channel encoder: push samples in channel round-robin order, get words out.
///
/// Sample `i` of the stream belongs to channel `i mod channels`, exactly as the hardware
/// receives them; the per-channel state is what the hardware keeps in RAM.
#[derive(Clone, Debug)]
pub struct Encoder {
    params: CodecParams,
    quant: Quantiser,
    states: Vec<ChannelState>,
    channel: usize,
    packer: BitPacker,
    /// How many samples used each code index `s` (statistics for reports).
    pub s_histogram: Vec<u64>,
    /// How many samples took the escape code.
    pub escapes: u64,
}

impl Encoder {
    /// The encoder of the coder `params`; with `params.max_error > 0` the bounded-error
    /// encoder (FORMAT.md §11): every sample `x` is coded as its lattice index
    /// `params.quantiser().index(x)`, so each channel's `prev` is the index of the
    /// reconstruction the decoder will produce.
    pub fn new(params: CodecParams, channels: usize) -> Result<Self, Error> {
        params.validate()?;
        let quant = params.quantiser()?;
        if channels == 0 {
            return Err(Error::BadParams("channel count must be at least 1".into()));
        }
        Ok(Encoder {
            params,
            quant,
            states: vec![ChannelState::initial(&params); channels],
            channel: 0,
            packer: BitPacker::new(),
            s_histogram: vec![0; params.s_max() as usize + 1],
            escapes: 0,
        })
    }

    pub fn params(&self) -> &CodecParams {
        &self.params
    }

    /// The quantiser of the parameters ([`Quantiser::LOSSLESS`] for `δ = 0`).
    pub fn quantiser(&self) -> &Quantiser {
        &self.quant
    }

    /// The channel the next pushed sample belongs to.
    pub fn next_channel(&self) -> usize {
        self.channel
    }

    /// The state of one channel (as the hardware's RAM holds it).
    pub fn state(&self, channel: usize) -> ChannelState {
        self.states[channel]
    }

    /// Codes one `W`-bit sample; returns what was coded and, if a word was completed, the word.
    /// With a bounded-error quantiser the sample is coded as its lattice index, and
    /// `coded.next.prev` is that index (the decoder's sample is `quantiser().value(it)`).
    #[inline]
    pub fn push(&mut self, x: u32) -> (Coded, Option<u32>) {
        debug_assert!(x < 1 << self.params.sample_bits);
        let x = self.quant.index(x);
        let st = &mut self.states[self.channel];
        let coded = code_sample(st, x, &self.params);
        *st = coded.next;
        self.s_histogram[coded.s as usize] += 1;
        self.escapes += coded.escape as u64;
        self.channel += 1;
        if self.channel == self.states.len() {
            self.channel = 0;
        }
        (coded, self.packer.push(coded.code))
    }

    /// Ends the stream: the zero-padded last word, if any bits are pending.
    pub fn flush(&mut self) -> Option<u32> {
        self.packer.flush()
    }

    /// Bits written so far, without the final padding.
    pub fn total_bits(&self) -> u64 {
        self.packer.total_bits()
    }
}

/// Encodes a whole interleaved sample sequence; returns the words and the exact bit count.
/// With `params.max_error > 0` the words are those of the lattice indices (FORMAT.md §11);
/// [`decode_all`] gives back each sample within the maximum error.
pub fn encode_all(
    params: &CodecParams,
    channels: usize,
    samples: &[u32],
) -> Result<(Vec<u32>, u64, Encoder), Error> {
    let mut enc = Encoder::new(*params, channels)?;
    let mut words = Vec::with_capacity(samples.len() * params.sample_bits as usize / 32 / 2 + 4);
    for &x in samples {
        if x >> params.sample_bits != 0 {
            return Err(Error::BadParams(format!(
                "sample {x} does not fit in {} bits",
                params.sample_bits
            )));
        }
        if let (_, Some(w)) = enc.push(x) {
            words.push(w);
        }
    }
    if let Some(w) = enc.flush() {
        words.push(w);
    }
    let bits = enc.total_bits();
    Ok((words, bits, enc))
}

/// `floor(u / m(s))` without a divider: a shift, and for `m = 3·2^(k−1)` a multiply by the
/// reciprocal of 3 (exact for `u < 2^16`, which every `W <= 16` gives).
#[inline(always)]
pub(crate) fn quotient(u: u32, k: u32, half: bool) -> u32 {
    if half {
        (((u >> (k - 1)) as u64 * 0xAAAB) >> 17) as u32
    } else {
        u >> k
    }
}

/// One code index `s` as the byte coder and decoder use it, precomputed so that neither has
/// to branch on the kind of `m`: `q = ((u >> shift) · mul) >> 17` (the shift alone for
/// `m = 2^k`, [`quotient`]'s reciprocal of 3 for `m = 3·2^(k−1)`), and a remainder `r` is
/// sent in `k + 1` bits as `r + cut` when `r >= cut`, else in `k` bits. With `cut = m` for
/// `m = 2^k` the long form never happens, which is the plain `k`-bit remainder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Rice {
    shift: u32,
    mul: u32,
    m: u32,
    cut: u32,
    k: u32,
    /// 1 for `m = 3·2^(k−1)`, else 0.
    half: u32,
}

impl Rice {
    /// The code of magnitude `u < 2^W` as [`encode_u`] gives it (bits, length), and whether
    /// it is the escape.
    #[inline(always)]
    fn code(&self, u: u32, p: &CodecParams) -> (u64, u32, bool) {
        let (w, qmax) = (p.sample_bits, p.qmax);
        let q = (((u >> self.shift) as u64 * self.mul as u64) >> 17) as u32;
        if q >= qmax {
            return ((((1u64 << qmax) - 1) << w) | u as u64, qmax + w, true);
        }
        let r = u - q * self.m;
        // r >= cut, as arithmetic (both < 2^16): a compare here becomes a branch that the
        // data mispredicts half the time
        let long = self.cut.wrapping_sub(1).wrapping_sub(r) >> 31;
        let rlen = self.k + long;
        let rbits = r + long * self.cut;
        (
            (((1u64 << q) - 1) << (rlen + 1)) | rbits as u64,
            q + 1 + rlen,
            false,
        )
    }

    /// The magnitude coded at the top of `win` (the next 64 bits of the stream, MSB first)
    /// and the code's length: the inverse of [`code`](Self::code).
    #[inline(always)]
    fn decode(&self, win: u64, p: &CodecParams) -> (u32, u32) {
        let (w, qmax) = (p.sample_bits, p.qmax);
        let q = (!win).leading_zeros().min(qmax);
        if q >= qmax {
            return (((win << qmax) >> (64 - w)) as u32, qmax + w);
        }
        // after the q ones and their zero: k + 1 bits `v2`. For m = 3·2^(k−1) the first of
        // them set means the long remainder (the short one is below cut = 2^(k−1)),
        // `v2 − cut`; else the first k bits are the remainder (FORMAT.md §3.7). No branch:
        // the data would mispredict it.
        let rest = win << (q + 1);
        let long = (rest >> 63) as u32 & self.half;
        let v2 = (rest >> (63 - self.k)) as u32;
        let rem = (v2 >> (1 - long)) - (self.cut & long.wrapping_neg());
        (q * self.m + rem, q + 1 + self.k + long)
    }
}

/// [`Rice`] for every code index (`s_max <= 30` for `W <= 16`; the rest stay unused).
fn rice_table(p: &CodecParams) -> [Rice; 32] {
    let mut t = [Rice::default(); 32];
    for s in 0..=p.s_max() {
        let (k, half) = golomb_m(s);
        t[s as usize] = if half {
            Rice {
                shift: k - 1,
                mul: 0xAAAB,
                m: 3 << (k - 1),
                cut: 1 << (k - 1),
                k,
                half: 1,
            }
        } else {
            Rice {
                shift: k,
                mul: 1 << 17,
                m: 1 << k,
                cut: 1 << k,
                k,
                half: 0,
            }
        };
    }
    t
}

/// What [`encode_bytes`] counted besides the bytes.
#[derive(Clone, Debug, Default)]
pub struct ByteStats {
    /// Bits coded (the bytes hold them zero-padded to a byte).
    pub bits: u64,
    pub escapes: u64,
    /// Samples per code index `s`.
    pub s_histogram: Vec<u64>,
}

/// Encodes an interleaved sample sequence (every value below `2^W`) from the initial state
/// into MSB-first bytes, the last one zero-padded: the same bits as [`encode_all`] (a test
/// checks it), without its per-sample checks and divisions; what a block of the streamed
/// container holds.
///
/// For speed the codes go through a 64-bit accumulator that is stored whole (8 bytes) after
/// every code and advanced by the whole bytes it held, so no branch depends on the bit
/// count; the output is sized for the longest codes up front and cut to length at the end.
pub fn encode_bytes(
    params: &CodecParams,
    channels: usize,
    samples: &[u32],
) -> Result<(Vec<u8>, ByteStats), Error> {
    params.validate()?;
    let w = params.sample_bits;
    if let Some(x) = samples.iter().find(|&&x| x >> w != 0) {
        return Err(Error::BadParams(format!(
            "sample {x} does not fit in {w} bits"
        )));
    }
    encode_fitting(params, channels, samples.iter().copied())
}

/// [`encode_bytes`] of values the caller knows to fit in `W` bits, taken from an iterator so
/// that they need not be collected first: the container's single-stream layout codes a WAV's
/// samples straight from its bytes (issue 29: the grid array alone was 100 page faults of a
/// one-file `neurice compress`). A value of `W` bits or more would be coded as its low `W`
/// bits; [`encode_bytes`] refuses it.
pub(crate) fn encode_fitting(
    params: &CodecParams,
    channels: usize,
    values: impl ExactSizeIterator<Item = u32>,
) -> Result<(Vec<u8>, ByteStats), Error> {
    params.validate()?;
    if channels == 0 {
        return Err(Error::BadParams("channel count must be at least 1".into()));
    }
    let qz = params.quantiser()?;
    if qz.is_lossless() {
        return Ok(encode_lossless(params, channels, values));
    }
    // bounded error (FORMAT.md §11): the lossless coder on the lattice indices
    Ok(encode_lossless(
        &params.lossless(),
        channels,
        values.map(|x| qz.index(x)),
    ))
}

/// [`encode_rice`] with the parameters as constants for the two sets the container uses.
fn encode_lossless(
    p: &CodecParams,
    channels: usize,
    values: impl ExactSizeIterator<Item = u32>,
) -> (Vec<u8>, ByteStats) {
    if *p == CodecParams::HARDWARE {
        encode_rice(&CodecParams::HARDWARE, channels, values)
    } else if *p == CodecParams::RAW16 {
        encode_rice(&CodecParams::RAW16, channels, values)
    } else {
        encode_rice(p, channels, values)
    }
}

/// [`encode_bytes`] after its checks; inlined at each call so that `p` can be a constant.
///
/// One channel (every Neuralink recording) keeps its state in local variables: through the
/// per-channel array the state of one sample was stored and loaded again by the next, a
/// dependency through memory on every sample. The histogram of `s` is counted in two
/// arrays, alternately, for the same reason (consecutive samples mostly share `s`).
#[inline(always)]
fn encode_rice(
    p: &CodecParams,
    channels: usize,
    values: impl ExactSizeIterator<Item = u32>,
) -> (Vec<u8>, ByteStats) {
    match SelectTable::new(p) {
        Some(t) => encode_rice_with(p, channels, values, |a, n| t.select(a, n)),
        None => encode_rice_with(p, channels, values, |a, n| select_s(a, n, p)),
    }
}

/// [`encode_rice`] with `select` for [`select_s`].
#[inline(always)]
fn encode_rice_with(
    p: &CodecParams,
    channels: usize,
    values: impl ExactSizeIterator<Item = u32>,
    select: impl Fn(u32, u32) -> u32,
) -> (Vec<u8>, ByteStats) {
    let w = p.sample_bits;
    let tab = rice_table(p);
    let mut hist = [[0u64; 32]; 2];
    let mut half = 0usize;
    let mut escapes = 0u64;
    // every code is at most qmax + W <= 32 bits; 8 bytes of room for the last store
    let mut out = vec![0u8; (values.len() * p.max_code_bits() as usize).div_ceil(8) + 8];
    let (mut acc, mut nbits, mut pos) = (0u64, 0u32, 0usize);
    // one sample of channel state `$st` (a macro, not a closure: this must be inlined)
    macro_rules! put {
        ($st:expr, $x:expr) => {{
            let (st, x): (&mut ChannelState, u32) = ($st, $x);
            let u = zigzag_error(x, st.prev, w);
            let s = select(st.a, st.n) as usize & 31;
            hist[half][s] += 1;
            half ^= 1;
            let (bits, len, escape) = tab[s].code(u, p);
            escapes += escape as u64;
            // nbits < 8 before, so at most 39 bits are pending: all of them fit
            acc = (acc << len) | bits;
            nbits += len;
            out[pos..pos + 8].copy_from_slice(&(acc << (64 - nbits)).to_be_bytes());
            pos += (nbits >> 3) as usize;
            nbits &= 7;
            *st = st.updated(x, u, p);
        }};
    }
    if channels == 1 {
        let mut st = ChannelState::initial(p);
        for x in values {
            put!(&mut st, x);
        }
    } else {
        // interleaved: frame by frame, channel by channel (a last partial frame included)
        let mut states = vec![ChannelState::initial(p); channels];
        let mut c = 0;
        for x in values {
            put!(&mut states[c], x);
            c += 1;
            if c == channels {
                c = 0;
            }
        }
    }
    out.truncate(pos + nbits.div_ceil(8) as usize);
    let s_histogram = (0..=p.s_max() as usize)
        .map(|s| hist[0][s] + hist[1][s])
        .collect();
    (
        out,
        ByteStats {
            bits: 8 * pos as u64 + nbits as u64,
            escapes,
            s_histogram,
        },
    )
}

/// Reads an MSB-first bit stream of known length from bytes.
#[derive(Clone)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// next byte of `data` to load
    pos: usize,
    /// bits in `acc`, left-aligned
    acc: u64,
    have: u32,
    /// bits left in the stream (not yet consumed)
    left: u64,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8], bit_len: u64) -> Self {
        BitReader {
            data,
            pos: 0,
            acc: 0,
            have: 0,
            left: bit_len,
        }
    }

    #[inline]
    fn refill(&mut self) {
        while self.have <= 56 && self.pos < self.data.len() {
            self.acc |= (self.data[self.pos] as u64) << (56 - self.have);
            self.pos += 1;
            self.have += 8;
        }
    }

    /// Takes `n <= 32` bits.
    #[inline]
    pub(crate) fn take(&mut self, n: u32) -> Result<u32, Error> {
        if n == 0 {
            return Ok(0);
        }
        if (n as u64) > self.left {
            return Err(Error::Corrupt("bit stream ends inside a code".into()));
        }
        if self.have < n {
            self.refill();
        }
        let v = (self.acc >> (64 - n)) as u32;
        self.acc <<= n;
        self.have -= n;
        self.left -= n as u64;
        Ok(v)
    }

    /// Counts one-bits up to `cap`, consuming them and the terminating zero (if `< cap`).
    #[inline]
    fn unary(&mut self, cap: u32) -> Result<u32, Error> {
        if self.have < 32 {
            self.refill();
        }
        let ones = (!self.acc).leading_zeros().min(cap).min(self.have);
        if ones < cap && ones == self.have {
            // more ones than buffered: only possible if the data ran out
            return Err(Error::Corrupt("bit stream ends inside a code".into()));
        }
        let used = if ones < cap { ones + 1 } else { cap };
        if used as u64 > self.left {
            return Err(Error::Corrupt("bit stream ends inside a code".into()));
        }
        self.acc <<= used;
        self.have -= used;
        self.left -= used as u64;
        Ok(ones)
    }

    /// Bits not consumed yet.
    pub(crate) fn left(&self) -> u64 {
        self.left
    }
}

/// Decodes one sample of a channel in state `st` (FORMAT.md §3.7) and updates the state.
/// On an error nothing is returned and the sample is not decoded (the stream ran out or
/// is corrupt); every sample returned before it consumed only bits that were read.
#[inline]
pub(crate) fn decode_sample(
    r: &mut BitReader<'_>,
    st: &mut ChannelState,
    p: &CodecParams,
) -> Result<u32, Error> {
    let w = p.sample_bits;
    let s = select_s(st.a, st.n, p);
    let q = r.unary(p.qmax)?;
    let u = if q >= p.qmax {
        r.take(w)?
    } else {
        let (k, half) = golomb_m(s);
        if half {
            let cut = 1u32 << (k - 1);
            let m = 3u32 << (k - 1);
            // truncated binary: read k bits; values >= cut take one more bit
            let v = r.take(k)?;
            let rem = if v < cut {
                v
            } else {
                ((v << 1) | r.take(1)?) - cut
            };
            q * m + rem
        } else {
            (q << k) | r.take(k)?
        }
    };
    if u >> w != 0 {
        return Err(Error::Corrupt("decoded magnitude out of range".into()));
    }
    let x = unzigzag(u, st.prev, w);
    *st = st.updated(x, u, p);
    Ok(x)
}

/// Decodes `count` interleaved samples of `channels` channels from an MSB-first bit stream of
/// `bit_len` bits. With `params.max_error > 0` the samples are the reconstructions of the
/// decoded lattice indices (FORMAT.md §11.2), an index off the lattice being corrupt.
pub fn decode_all(
    params: &CodecParams,
    channels: usize,
    count: usize,
    data: &[u8],
    bit_len: u64,
) -> Result<Vec<u32>, Error> {
    let qz = params.quantiser()?;
    qz.values(decode_bits(
        &params.lossless(),
        channels,
        count,
        data,
        bit_len,
    )?)
}

/// Decodes `count` interleaved samples from a core's flushed words (FORMAT.md §3.6: MSB
/// first, the last word zero-padded), when the number of padding bits is not known: the exact
/// bit length is the one of the (at most 32) candidates that [`decode_all`] accepts (it
/// refuses both a short stream and left-over bits), and the padding must be zero. With a
/// maximum error the samples are the reconstructions, as [`decode_all`] gives them.
pub fn decode_words(
    params: &CodecParams,
    channels: usize,
    count: usize,
    words: &[u32],
) -> Result<Vec<u32>, Error> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let total = bytes.len() as u64 * 8;
    let mut last_err = None;
    for pad in 0..32u64.min(total + 1) {
        let pad_is_zero = pad == 0 || words.last().is_some_and(|&w| w & ((1u32 << pad) - 1) == 0);
        if !pad_is_zero {
            break;
        }
        match decode_all(params, channels, count, &bytes, total - pad) {
            Ok(out) => return Ok(out),
            Err(e) => last_err = Some(e),
        }
    }
    Err(match last_err {
        Some(e) => Error::Corrupt(format!(
            "{count} samples do not decode from {} words for any padding length (last \
             error: {e})",
            words.len()
        )),
        None => Error::Corrupt("the last word's padding bits are not zero".into()),
    })
}

/// Decodes `count` interleaved samples from a bit stream zero-padded to whole bytes (a block
/// of the streamed container, FORMAT.md §7.9): after the last sample fewer than 8 bits may
/// remain, and they must be zero.
pub fn decode_padded(
    params: &CodecParams,
    channels: usize,
    count: usize,
    data: &[u8],
) -> Result<Vec<u32>, Error> {
    params.validate()?;
    if channels == 0 {
        return Err(Error::Corrupt("channel count is zero".into()));
    }
    let bit_len = data.len() as u64 * 8;
    if count as u64 > bit_len {
        return Err(Error::Corrupt(format!(
            "{bit_len} payload bits cannot hold {count} samples"
        )));
    }
    // the loop with the parameters as constants, for the two sets the container uses
    let qz = params.quantiser()?;
    let p = params.lossless();
    let indices = if p == CodecParams::HARDWARE {
        decode_rice(&CodecParams::HARDWARE, channels, count, data)
    } else if p == CodecParams::RAW16 {
        decode_rice(&CodecParams::RAW16, channels, count, data)
    } else {
        decode_rice(&p, channels, count, data)
    }?;
    qz.values(indices)
}

/// [`decode_padded`] after its checks; inlined at each call so that `p` can be a constant.
#[inline(always)]
fn decode_rice(
    p: &CodecParams,
    channels: usize,
    count: usize,
    data: &[u8],
) -> Result<Vec<u32>, Error> {
    let bit_len = data.len() as u64 * 8;
    let w = p.sample_bits;
    let tab = rice_table(p);
    let mut states = vec![ChannelState::initial(p); channels];
    let mut out = vec![0u32; count];
    let mut pos = 0u64;
    for frame in out.chunks_mut(channels) {
        for (x, st) in frame.iter_mut().zip(states.iter_mut()) {
            let s = select_s(st.a, st.n, p);
            // 57 or more bits from `pos` on (zeros beyond the end: caught by the length check)
            let win = window(data, pos);
            let (u, len) = tab[s as usize & 31].decode(win, p);
            if u >> w != 0 {
                return Err(Error::Corrupt("decoded magnitude out of range".into()));
            }
            pos += len as u64;
            *x = unzigzag(u, st.prev, w);
            *st = st.updated(*x, u, p);
        }
    }
    if pos > bit_len {
        return Err(Error::Corrupt("bit stream ends inside a code".into()));
    }
    let left = bit_len - pos;
    if left >= 8 {
        return Err(Error::Corrupt(format!(
            "{left} bits left over after the last sample"
        )));
    }
    if left > 0 && window(data, pos) >> (64 - left) != 0 {
        return Err(Error::Corrupt(
            "nonzero padding bits after the last sample".into(),
        ));
    }
    Ok(out)
}

/// The 64 bits of `data` from bit `pos` on, MSB first (at least 57 of them real while `pos`
/// is inside `data`; zeros beyond its end).
#[inline(always)]
fn window(data: &[u8], pos: u64) -> u64 {
    let at = (pos >> 3) as usize;
    let word = match data.get(at..at + 8) {
        Some(b) => u64::from_be_bytes(b.try_into().expect("8 bytes")),
        None => {
            let mut b = [0u8; 8];
            let tail = data.get(at..).unwrap_or(&[]);
            b[..tail.len()].copy_from_slice(tail);
            u64::from_be_bytes(b)
        }
    };
    word << (pos & 7)
}

fn decode_bits(
    params: &CodecParams,
    channels: usize,
    count: usize,
    data: &[u8],
    bit_len: u64,
) -> Result<Vec<u32>, Error> {
    params.validate()?;
    if channels == 0 {
        return Err(Error::Corrupt("channel count is zero".into()));
    }
    if bit_len > data.len() as u64 * 8 {
        return Err(Error::Corrupt("payload shorter than its bit length".into()));
    }
    // Every code takes at least one bit: refuse a count the payload cannot hold before
    // reserving memory for it (a 43-byte stream could otherwise claim 2^31 samples).
    if (count as u64) > bit_len {
        return Err(Error::Corrupt(format!(
            "{bit_len} payload bits cannot hold {count} samples"
        )));
    }
    let p = *params;
    let mut states = vec![ChannelState::initial(&p); channels];
    let mut out = Vec::with_capacity(count);
    let mut r = BitReader::new(data, bit_len);
    let mut ch = 0;
    for _ in 0..count {
        out.push(decode_sample(&mut r, &mut states[ch], &p)?);
        ch += 1;
        if ch == channels {
            ch = 0;
        }
    }
    if r.left != 0 {
        return Err(Error::Corrupt(format!(
            "{} bits left over after the last sample",
            r.left
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: CodecParams = CodecParams::HARDWARE;

    #[test]
    fn zigzag_round_trips_every_pair() {
        for w in [10, 16] {
            let step = if w == 16 { 97 } else { 1 };
            for prev in (0..1u32 << w).step_by(step) {
                for x in (0..1u32 << w).step_by(step) {
                    let u = zigzag_error(x, prev, w);
                    assert!(u < 1 << w);
                    assert_eq!(unzigzag(u, prev, w), x);
                }
            }
        }
        assert_eq!(zigzag_error(5, 5, 10), 0);
        assert_eq!(zigzag_error(4, 5, 10), 1);
        assert_eq!(zigzag_error(6, 5, 10), 2);
        assert_eq!(zigzag_error(0, 1023, 10), 2); // +1 modulo 1024
    }

    #[test]
    fn encode_bytes_equals_encode_all() {
        let mut seed = 5u32;
        for (p, channels) in [(P, 1), (P, 5), (CodecParams::RAW16, 3)] {
            let w = p.sample_bits;
            let mut x = 1u32 << (w - 1);
            let xs: Vec<u32> = (0..50_000)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    if i % 997 == 3 {
                        x = seed >> (32 - w);
                    } else {
                        let step = (seed >> 25) as i32 - 64;
                        x = (x as i32 + step).clamp(0, (1 << w) - 1) as u32;
                    }
                    x
                })
                .collect();
            let (words, bits, enc) = encode_all(&p, channels, &xs).unwrap();
            let (bytes, st) = encode_bytes(&p, channels, &xs).unwrap();
            let want: Vec<u8> = words
                .iter()
                .flat_map(|w| w.to_be_bytes())
                .take(bits.div_ceil(8) as usize)
                .collect();
            assert_eq!(bytes, want);
            assert_eq!(st.bits, bits);
            assert_eq!(st.escapes, enc.escapes);
            assert_eq!(st.s_histogram, enc.s_histogram);
            assert_eq!(decode_padded(&p, channels, xs.len(), &bytes).unwrap(), xs);
            // every truncation, an extra byte, and flipped bits: refused or (a flip can make
            // another valid stream) decoded to other samples, never a panic
            for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
                assert!(decode_padded(&p, channels, xs.len(), &bytes[..cut]).is_err());
            }
            let mut long = bytes.clone();
            long.push(0);
            assert!(decode_padded(&p, channels, xs.len(), &long).is_err());
            for at in (0..bytes.len()).step_by(bytes.len() / 97) {
                let mut bad = bytes.clone();
                bad[at] ^= 0x21;
                if let Ok(v) = decode_padded(&p, channels, xs.len(), &bad) {
                    assert_ne!(v, xs);
                }
            }
        }
    }

    #[test]
    fn select_table_is_select_s_on_every_reachable_state() {
        // every (a, n) the coder's state can hold (n = 0 only with a = 0), for the hardware's
        // parameters and raw mode's; a sample of A for wider ones
        for p in [CodecParams::HARDWARE, CodecParams::RAW16] {
            let t = SelectTable::new(&p).expect("the table fits these parameters");
            let step = if p.sample_bits == 16 { 61 } else { 1 };
            assert_eq!(t.select(0, 0), select_s_reference(0, 0, &p));
            for n in 1..1u32 << p.window_log2 {
                for a in (0..1u32 << p.a_bits())
                    .step_by(step)
                    .chain([(1 << p.a_bits()) - 1])
                {
                    assert_eq!(t.select(a, n), select_s_reference(a, n, &p), "a={a} n={n}");
                }
            }
        }
        // other parameters: where the table is built, it agrees; the widest are left to select_s
        let mut built = 0;
        for thr_num in [1, 3, 5, 7, 64] {
            for thr_shift in [0, 1, 3, 8] {
                for (w, window_log2) in [(2, 1), (10, 6), (12, 8), (16, 8)] {
                    let p = CodecParams {
                        sample_bits: w,
                        qmax: 16,
                        window_log2,
                        thr_num,
                        thr_shift,
                        max_error: 0,
                    };
                    let Some(t) = SelectTable::new(&p) else {
                        continue;
                    };
                    built += 1;
                    let top = (1u32 << p.a_bits()) - 1;
                    for n in 1..1u32 << window_log2 {
                        for a in (0..=top).step_by(1 + top as usize / 3000).chain([top]) {
                            assert_eq!(
                                t.select(a, n),
                                select_s_reference(a, n, &p),
                                "{p:?} a={a} n={n}"
                            );
                        }
                    }
                }
            }
        }
        assert!(built >= 40, "{built}");
    }

    #[test]
    fn rice_table_codes_as_encode_u() {
        for p in [CodecParams::HARDWARE, CodecParams::RAW16] {
            let tab = rice_table(&p);
            for s in 0..=p.s_max() {
                for u in 0..1u32 << p.sample_bits {
                    let (bits, len, escape) = tab[s as usize].code(u, &p);
                    let want = encode_u(u, s, &p);
                    assert_eq!((bits as u32, len), (want.bits, want.len), "u={u} s={s}");
                    assert_eq!(bits >> len, 0);
                    assert_eq!(escape, is_escape(u, s, &p), "u={u} s={s}");
                    // whatever follows the code
                    for tail in [0, u64::MAX, 0x5555_5555_5555_5555] {
                        let win = (bits << (64 - len)) | (tail >> len);
                        assert_eq!(tab[s as usize].decode(win, &p), (u, len), "u={u} s={s}");
                    }
                }
            }
        }
    }

    #[test]
    fn golomb_table() {
        let ms: Vec<u32> = (0..=P.s_max()).map(m_value).collect();
        assert_eq!(
            ms,
            [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768]
        );
    }

    #[test]
    fn fast_selection_matches_definition() {
        for p in [CodecParams::HARDWARE, CodecParams::RAW16] {
            let a_max = (1u32 << p.window_log2) * ((1 << p.sample_bits) - 1);
            for n in 0..(1u32 << p.window_log2) {
                let step = if p.sample_bits == 16 { 61 } else { 1 };
                for a in (0..=a_max).step_by(step) {
                    assert_eq!(
                        select_s(a, n, &p),
                        select_s_reference(a, n, &p),
                        "a={a} n={n}"
                    );
                }
            }
        }
    }

    #[test]
    fn codes_are_the_documented_bits() {
        // m = 4 (s = 3): u = 9 -> q = 2, r = 1 -> 110 01
        assert_eq!(
            encode_u(9, 3, &P),
            Code {
                bits: 0b11001,
                len: 5
            }
        );
        // m = 3 (s = 2, k = 1, cut = 1): u = 0 -> 0 0; u = 1 -> 0 10; u = 2 -> 0 11; u = 5 -> 10 11
        assert_eq!(encode_u(0, 2, &P), Code { bits: 0b00, len: 2 });
        assert_eq!(
            encode_u(1, 2, &P),
            Code {
                bits: 0b010,
                len: 3
            }
        );
        assert_eq!(
            encode_u(2, 2, &P),
            Code {
                bits: 0b011,
                len: 3
            }
        );
        assert_eq!(
            encode_u(5, 2, &P),
            Code {
                bits: 0b1011,
                len: 4
            }
        );
        // m = 1 (s = 0): u = 16 -> escape: 16 ones then u in 10 bits
        assert_eq!(
            encode_u(16, 0, &P),
            Code {
                bits: (0xFFFF << 10) | 16,
                len: 26
            }
        );
        // the longest regular code: q = 15 at m = 768 is impossible (u < 1024), at m = 1 it is 16 bits
        assert_eq!(
            encode_u(15, 0, &P),
            Code {
                bits: 0b1111_1111_1111_1110,
                len: 16
            }
        );
    }

    #[test]
    fn no_code_exceeds_the_bound() {
        for p in [CodecParams::HARDWARE, CodecParams::RAW16] {
            for s in 0..=p.s_max() {
                for u in (0..1u32 << p.sample_bits).step_by(7) {
                    let c = encode_u(u, s, &p);
                    assert!(c.len <= p.max_code_bits());
                    assert!(c.len == 32 || c.bits >> c.len == 0);
                }
            }
        }
    }

    #[test]
    fn packer_is_msb_first_and_zero_padded() {
        let mut pk = BitPacker::new();
        assert_eq!(
            pk.push(Code {
                bits: 0b101,
                len: 3
            }),
            None
        );
        assert_eq!(
            pk.push(Code {
                bits: 0x1FFF_FFFF,
                len: 29
            }),
            Some(0xBFFF_FFFF)
        );
        assert_eq!(pk.push(Code { bits: 0b11, len: 2 }), None);
        assert_eq!(pk.flush(), Some(0xC000_0000));
        assert_eq!(pk.flush(), None);
        assert_eq!(pk.total_bits(), 34);
    }

    #[test]
    fn state_packs_into_32_bits_for_the_hardware() {
        assert_eq!(P.state_bits(), 32);
        let st = ChannelState {
            prev: 1023,
            a: 65472,
            n: 63,
        };
        let w = st.pack(&P);
        assert!(w < 1 << 32);
        assert_eq!(ChannelState::unpack(w, &P), st);
    }

    #[test]
    fn accumulator_never_overflows_its_width() {
        let mut st = ChannelState::initial(&P);
        assert_eq!(st.pack(&P), 0, "zeroed RAM must be the initial state");
        for i in 0..10_000u32 {
            let x = if i % 2 == 0 { 0 } else { 512 }; // |e| = 512 every sample: u = 1023 or 1024-ish
            let u = zigzag_error(x, st.prev, 10);
            st = st.updated(x, u, &P);
            assert!(st.a < 1 << P.a_bits());
            assert!(st.n < 1 << P.n_bits());
        }
    }
}
