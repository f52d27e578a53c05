//! K coders in one stream (FORMAT.md §7.10, a draft: not yet in a container): channel `c`
//! is coded by coder `c mod K`, each with its own contexts and a **carry-less** range coder,
//! and the coders' 32-bit words are interleaved in the order a decoder asks for them, through
//! an encoder buffer of at most [`BUFFER_WORDS`] words. What the v2 hardware needs to run K
//! coders side by side and still send one stream; measured in
//! `golden-model/examples/v2_interleave.rs`.
//!
//! **Carry-less coder.** `low` and `range` are 32-bit with `low + range ≤ 2^32` always: a
//! byte leaves `low` as soon as `[low, low + range)` lies inside one value of its top byte,
//! and a range below 2^16 is first cut to the next 2^16 boundary above `low` (after
//! Subbotin). Every shift stores a final byte; a decoder that tracks `low` as well has read
//! `shifts + 4` bytes at the same point (four at the start, one per shift).
//!
//! **Order.** The stream is a sequence of words; word `n` of coder `j` holds its bytes
//! `4n … 4n + 3` (the last word zero-padded). At the block start the encoder reserves word 0
//! of every coder, in coder order; after each sample of coder `j` it reserves every word `n`
//! with `4n < shifts_j + 4` not yet reserved. Reserved words leave in reservation order,
//! each once its four bytes are stored (`4n + 4 ≤ shifts_j`). If after that
//! `BUFFER_WORDS` words are still waiting, the coder of the first one is **forced**: its
//! range is cut to the part of the interval below the next 2^24 boundary and it shifts
//! (then renormalises) until that word is stored, then reserves as after a sample; repeated
//! until fewer words wait. At the block end every coder writes the 4 bytes of `low` and all
//! waiting words leave in order. A decoder follows the same rule from its own shift counts,
//! so it needs no lengths or tags: each coder's decoder takes the stream's next word whenever
//! it needs a byte it does not have.

use std::collections::VecDeque;

use super::range::{adapt, PROB_BITS, PROB_INIT};
use super::{check_samples, code_sample, decode_sample, BinDecoder, State, V2Params};
use crate::Error;

/// The most words the encoder holds back (reserved, not yet sent).
pub const BUFFER_WORDS: usize = 64;
/// The most coders in one stream.
pub const MAX_CODERS: usize = 64;

const TOP: u32 = 1 << 24;
const BOT: u32 = 1 << 16;

/// `low` and `range` of a carry-less coder, with the rules encoder and decoder share.
#[derive(Clone, Copy, Debug)]
struct Interval {
    low: u32,
    range: u32,
}

impl Interval {
    const START: Interval = Interval {
        low: 0,
        range: u32::MAX,
    };

    /// Whether the top byte of `low` is final.
    #[inline]
    fn settled(&self) -> bool {
        (self.low ^ (self.low + (self.range - 1))) < TOP
    }

    /// The shift of one byte out of `low` (the caller stores or reads it).
    #[inline]
    fn shift(&mut self) {
        self.low <<= 8;
        // 2^24 << 8 would wrap: the interval stays below 2^32
        self.range = ((self.range as u64) << 8).min(u32::MAX as u64) as u32;
    }

    /// Before a forced shift: keep the part of the interval below the next 2^24 boundary.
    #[inline]
    fn cut_to_byte(&mut self) {
        self.range = self.range.min(TOP - (self.low & (TOP - 1)));
    }

    /// Before a shift when the range is small: cut it to the next 2^16 boundary.
    #[inline]
    fn cut_small(&mut self) -> bool {
        if self.range < BOT {
            self.range = BOT - (self.low & (BOT - 1));
            true
        } else {
            false
        }
    }

    #[inline]
    fn bound(&self, p: u16) -> u32 {
        (self.range >> PROB_BITS) * p as u32
    }

    #[inline]
    fn take(&mut self, bound: u32, bit: u32) {
        if bit == 0 {
            self.range = bound;
        } else {
            self.low += bound;
            self.range -= bound;
        }
    }
}

/// A carry-less range encoder.
#[derive(Clone, Debug)]
pub struct CarrylessEncoder {
    iv: Interval,
    out: Vec<u8>,
}

impl Default for CarrylessEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl CarrylessEncoder {
    pub fn new() -> Self {
        CarrylessEncoder {
            iv: Interval::START,
            out: Vec::new(),
        }
    }

    fn shift(&mut self) {
        self.out.push((self.iv.low >> 24) as u8);
        self.iv.shift();
    }

    fn normalise(&mut self) {
        loop {
            if self.iv.settled() {
                self.shift();
            } else if !self.iv.cut_small() {
                break;
            }
        }
    }

    /// Codes one bin with probability-of-zero `p` (`0 < p < 4096`).
    pub fn bin(&mut self, p: u16, bit: u32) {
        let b = self.iv.bound(p);
        self.iv.take(b, bit);
        self.normalise();
    }

    /// Codes the low `n ≤ 16` bits of `v` with equal probabilities.
    pub fn bypass(&mut self, v: u32, n: u32) {
        if n > 0 {
            debug_assert!(n <= 16 && v >> n == 0);
            self.iv.range >>= n;
            self.iv.low += v * self.iv.range;
            self.normalise();
        }
    }

    /// One forced step: the range cut to the part of the interval below the next 2^24
    /// boundary, then renormalised (which shifts at least once).
    pub fn force_step(&mut self) {
        self.iv.cut_to_byte();
        self.normalise();
    }

    /// Shifts out bytes now until `bytes` are stored.
    fn force(&mut self, bytes: u64) {
        while (self.out.len() as u64) < bytes {
            self.force_step();
        }
    }

    /// The bytes stored so far.
    pub fn stored(&self) -> &[u8] {
        &self.out
    }

    /// Byte shifts so far (every one stored a final byte).
    pub fn shifts(&self) -> u64 {
        self.out.len() as u64
    }

    /// Ends the block: the four bytes of `low`.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&self.iv.low.to_be_bytes());
        self.out
    }
}

/// The reservations both ends keep (the order of §7.10).
struct Schedule {
    /// reserved words not yet sent: (coder, word)
    waiting: VecDeque<(usize, u64)>,
    /// per coder: the next word to reserve
    next: Vec<u64>,
}

impl Schedule {
    fn new(k: usize) -> Self {
        let mut s = Schedule {
            waiting: VecDeque::new(),
            next: vec![0; k],
        };
        for j in 0..k {
            s.reserve(j, 0);
        }
        s
    }

    /// Reserves coder `j`'s words a decoder with `shifts` shifts has started to read.
    fn reserve(&mut self, j: usize, shifts: u64) {
        let needed = (shifts + 4).div_ceil(4);
        while self.next[j] < needed {
            self.waiting.push_back((j, self.next[j]));
            self.next[j] += 1;
        }
    }

    /// Sends the waiting words that are complete (`stored(j)` bytes of coder `j` are final);
    /// then, if the buffer is still full, the word whose coder must be forced and the bytes
    /// it must store.
    fn send(
        &mut self,
        stored: impl Fn(usize) -> u64,
        mut sent: impl FnMut(usize, u64),
    ) -> Option<(usize, u64)> {
        while let Some(&(j, n)) = self.waiting.front() {
            if stored(j) < 4 * n + 4 {
                break;
            }
            self.waiting.pop_front();
            sent(j, n);
        }
        match self.waiting.front() {
            Some(&(j, n)) if self.waiting.len() >= BUFFER_WORDS => Some((j, 4 * n + 4)),
            _ => None,
        }
    }
}

fn check(p: &V2Params, k: usize, channels: usize) -> Result<(), Error> {
    p.validate()?;
    if channels == 0 || k == 0 || k > channels.min(MAX_CODERS) {
        return Err(Error::BadParams(format!(
            "{k} coders for {channels} channels: need 1 ≤ K ≤ min(channels, {MAX_CODERS})"
        )));
    }
    Ok(())
}

/// What [`encode_block`] saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// flushes forced by the buffer bound
    pub forced: u64,
    /// the most words waiting after a sample
    pub most_waiting: usize,
}

/// Encodes one block of whole frames with `k` coders into one word stream.
pub fn encode_block(
    p: &V2Params,
    k: usize,
    channels: usize,
    samples: &[u32],
    stats: &mut Stats,
) -> Result<Vec<u8>, Error> {
    check(p, k, channels)?;
    check_samples(p, channels, samples)?;
    let mut coders = vec![CarrylessEncoder::new(); k];
    let mut probs = vec![vec![PROB_INIT; p.contexts()]; k];
    let mut states = vec![State::initial(p); channels];
    let mut sched = Schedule::new(k);
    *stats = Stats::default();
    let mut out = Vec::with_capacity(samples.len() * 5 / 8 + 16);
    let word = |b: &[u8], n: u64, out: &mut Vec<u8>| {
        let at = 4 * n as usize;
        for i in at..at + 4 {
            out.push(b.get(i).copied().unwrap_or(0));
        }
    };
    for (i, &x) in samples.iter().enumerate() {
        let ch = i % channels;
        let j = ch % k;
        let c = code_sample(&states[ch], x, p);
        states[ch] = c.next;
        let (rc, pr) = (&mut coders[j], &mut probs[j]);
        for b in 0..c.bins.count as usize {
            let ctx = c.bins.ctx[b] as usize;
            let bit = (c.bins.bits >> b) & 1;
            rc.bin(pr[ctx], bit);
            pr[ctx] = adapt(pr[ctx], bit, p.prob_shift);
        }
        rc.bypass(c.bins.bypass, c.bins.bypass_len);
        sched.reserve(j, rc.shifts());
        loop {
            let mut sent = Vec::new();
            let force = sched.send(|j| coders[j].shifts(), |j, n| sent.push((j, n)));
            for (j, n) in sent {
                word(&coders[j].out, n, &mut out);
            }
            let Some((h, bytes)) = force else { break };
            coders[h].force(bytes);
            stats.forced += 1;
            sched.reserve(h, coders[h].shifts());
        }
        stats.most_waiting = stats.most_waiting.max(sched.waiting.len());
    }
    let finished: Vec<Vec<u8>> = coders.into_iter().map(CarrylessEncoder::finish).collect();
    for (j, n) in sched.waiting.drain(..) {
        word(&finished[j], n, &mut out);
    }
    Ok(out)
}

/// The stream's words as the decoders take them.
struct Source<'a> {
    data: &'a [u8],
    pos: usize,
}

/// One coder's carry-less decoder: the bytes it has taken from the stream, and its interval.
struct Decoder {
    iv: Interval,
    code: u32,
    bytes: Vec<u8>,
    /// bytes read (four at the start, one per shift)
    read: usize,
}

impl Decoder {
    fn byte(&mut self, src: &mut Source) -> Result<u32, Error> {
        if self.read == self.bytes.len() {
            let w = src
                .data
                .get(src.pos..src.pos + 4)
                .ok_or_else(|| Error::Corrupt("multi-coder stream ends inside a sample".into()))?;
            src.pos += 4;
            self.bytes.extend_from_slice(w);
        }
        let b = self.bytes[self.read];
        self.read += 1;
        Ok(b as u32)
    }

    fn new(src: &mut Source) -> Result<Self, Error> {
        let mut d = Decoder {
            iv: Interval::START,
            code: 0,
            bytes: Vec::new(),
            read: 0,
        };
        for _ in 0..4 {
            d.code = (d.code << 8) | d.byte(src)?;
        }
        Ok(d)
    }

    fn shift(&mut self, src: &mut Source) -> Result<(), Error> {
        self.code = (self.code << 8) | self.byte(src)?;
        self.iv.shift();
        Ok(())
    }

    fn normalise(&mut self, src: &mut Source) -> Result<(), Error> {
        loop {
            if self.iv.settled() {
                self.shift(src)?;
            } else if !self.iv.cut_small() {
                return Ok(());
            }
        }
    }

    fn force(&mut self, bytes: u64, src: &mut Source) -> Result<(), Error> {
        while self.shifts() < bytes {
            self.iv.cut_to_byte();
            self.normalise(src)?;
        }
        Ok(())
    }

    fn shifts(&self) -> u64 {
        self.read as u64 - 4
    }
}

/// A decoder with the stream it pulls from, as the per-sample decoder sees it.
struct Pull<'a, 'b> {
    d: &'a mut Decoder,
    src: &'a mut Source<'b>,
}

impl BinDecoder for Pull<'_, '_> {
    fn bin(&mut self, p: u16) -> Result<u32, Error> {
        let d = &mut *self.d;
        let bound = d.iv.bound(p);
        let bit = (d.code.wrapping_sub(d.iv.low) >= bound) as u32;
        d.iv.take(bound, bit);
        d.normalise(self.src)?;
        Ok(bit)
    }

    fn bypass(&mut self, n: u32) -> Result<u32, Error> {
        if n == 0 {
            return Ok(0);
        }
        let d = &mut *self.d;
        d.iv.range >>= n;
        let v = d.code.wrapping_sub(d.iv.low) / d.iv.range;
        if v >> n != 0 {
            return Err(Error::Corrupt(
                "range-coded value out of its interval".into(),
            ));
        }
        d.iv.low += v * d.iv.range;
        d.normalise(self.src)?;
        Ok(v)
    }
}

/// Decodes one block of `frames` frames coded by [`encode_block`] with `k` coders.
pub fn decode_block(
    p: &V2Params,
    k: usize,
    channels: usize,
    frames: u32,
    data: &[u8],
) -> Result<Vec<u32>, Error> {
    check(p, k, channels)?;
    with_taps!(p.taps, T => decode_block_t::<T>(p, k, channels, frames, data))
}

fn decode_block_t<const T: usize>(
    p: &V2Params,
    k: usize,
    channels: usize,
    frames: u32,
    data: &[u8],
) -> Result<Vec<u32>, Error> {
    if !data.len().is_multiple_of(4) {
        return Err(Error::Corrupt(
            "multi-coder stream is not whole words".into(),
        ));
    }
    let mut src = Source { data, pos: 0 };
    let mut coders = (0..k)
        .map(|_| Decoder::new(&mut src))
        .collect::<Result<Vec<_>, _>>()?;
    let mut probs = vec![vec![PROB_INIT; p.contexts()]; k];
    let mut states = vec![State::initial(p); channels];
    let mut sched = Schedule::new(k);
    let count = frames as usize * channels;
    let mut out = Vec::with_capacity(count.min(data.len().saturating_mul(128)));
    for i in 0..count {
        let ch = i % channels;
        let j = ch % k;
        let mut pull = Pull {
            d: &mut coders[j],
            src: &mut src,
        };
        let x = decode_sample::<T, _>(&mut states[ch], &mut probs[j], p, &mut pull)?;
        out.push(x);
        sched.reserve(j, coders[j].shifts());
        while let Some((h, bytes)) = sched.send(|j| coders[j].shifts(), |_, _| ()) {
            coders[h].force(bytes, &mut src)?;
            sched.reserve(h, coders[h].shifts());
        }
    }
    if src.pos != data.len() {
        return Err(Error::Corrupt(
            "words left over after the last sample of a block".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: V2Params = V2Params::HARDWARE;

    fn walk(channels: usize, frames: usize, seed: u64) -> Vec<u32> {
        let mut s = seed | 1;
        let mut prev = vec![512i32; channels];
        (0..channels * frames)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let c = i % channels;
                prev[c] = (prev[c] + (s % 31) as i32 - 15).clamp(0, 1023);
                prev[c] as u32
            })
            .collect()
    }

    #[test]
    fn round_trips_for_several_coder_counts() {
        for (k, channels) in [(1, 1), (1, 3), (2, 2), (3, 7), (4, 16), (8, 64)] {
            let s = walk(channels, 700, k as u64 * 31 + channels as u64);
            let bytes = encode_block(&P, k, channels, &s, &mut Stats::default()).unwrap();
            assert!(bytes.len().is_multiple_of(4));
            let back = decode_block(&P, k, channels, 700, &bytes).unwrap();
            assert_eq!(back, s, "K = {k}, {channels} channels");
        }
    }

    #[test]
    fn hostile_input_forces_flushes_and_still_round_trips() {
        // coder 0's channels constant (few bytes), the others noise (many): the buffer
        // bound must force coder 0
        let (k, channels, frames) = (4, 16, 4000);
        let mut s = walk(channels, frames, 7);
        let mut seed = 99u64;
        for (i, x) in s.iter_mut().enumerate() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *x = if (i % channels).is_multiple_of(k) {
                512
            } else {
                (seed >> 54) as u32
            };
        }
        let mut st = Stats::default();
        let bytes = encode_block(&P, k, channels, &s, &mut st).unwrap();
        assert!(st.forced > 0, "the bound was never reached: {st:?}");
        assert!(st.most_waiting < BUFFER_WORDS, "{st:?}");
        let back = decode_block(&P, k, channels, frames as u32, &bytes).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn slowly_varying_input_needs_no_forced_flush() {
        let mut st = Stats::default();
        let s = walk(64, 3000, 5);
        let bytes = encode_block(&P, 8, 64, &s, &mut st).unwrap();
        assert_eq!(st.forced, 0, "{st:?}");
        assert_eq!(decode_block(&P, 8, 64, 3000, &bytes).unwrap(), s);
    }

    #[test]
    fn damaged_or_short_streams_are_errors_not_panics() {
        let s = walk(8, 500, 3);
        let bytes = encode_block(&P, 4, 8, &s, &mut Stats::default()).unwrap();
        assert!(decode_block(&P, 4, 8, 500, &bytes[..bytes.len() - 4]).is_err());
        assert!(decode_block(&P, 4, 8, 500, &bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 4]);
        assert!(decode_block(&P, 4, 8, 500, &longer).is_err());
        for i in (0..bytes.len()).step_by(37) {
            let mut b = bytes.clone();
            b[i] ^= 0x5A;
            // a flipped byte may decode to other samples (the container's CRC catches it)
            // but never panics
            let _ = decode_block(&P, 4, 8, 500, &b);
        }
        assert!(encode_block(&P, 0, 8, &s, &mut Stats::default()).is_err());
        assert!(encode_block(&P, 9, 8, &s, &mut Stats::default()).is_err());
        assert!(decode_block(&P, 65, 100, 1, &bytes).is_err());
    }

    #[test]
    fn an_operation_shifts_at_most_five_bytes() {
        // the bound the hardware's renormalisation chain must cover: from a range of at
        // least 16 after a bin (1 after a 16-bit bypass) one shift can leave it below 2^16,
        // a cut can leave it at 1, and four more shifts follow
        let mut seed = 0xC0FF_EE00_u64;
        let (mut most, mut hist) = (0u64, [0u64; 8]);
        for _ in 0..20 {
            let mut e = CarrylessEncoder::new();
            for _ in 0..50_000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let before = e.shifts();
                if seed.is_multiple_of(5) {
                    let n = (seed >> 8) as u32 % 17;
                    e.bypass((seed >> 32) as u32 & ((1 << n) - 1), n);
                } else {
                    let p = [1u16, 4095, 2048, 255, 3841][(seed >> 40) as usize % 5];
                    e.bin(p, (seed >> 50).is_multiple_of(3) as u32);
                }
                let d = e.shifts() - before;
                most = most.max(d);
                hist[d.min(7) as usize] += 1;
            }
        }
        eprintln!("byte shifts per operation: {hist:?}");
        assert!(most <= 5, "{most} shifts in one operation");
    }

    #[test]
    fn one_coder_costs_little_against_the_carry_coder() {
        let s = walk(4, 20_000, 11);
        let multi = encode_block(&P, 1, 4, &s, &mut Stats::default())
            .unwrap()
            .len() as f64;
        let mut st = super::super::EncodeStats::default();
        let single = super::super::encode_block(&P, 4, &s, &mut st).len() as f64;
        // measured 0.05 % on the recordings; allow 1 % on this short walk (word padding)
        assert!(multi <= single * 1.01 + 8.0, "{multi} vs {single}");
    }
}
