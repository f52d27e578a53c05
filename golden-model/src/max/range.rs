//! The multi-symbol range coder of coder max (FORMAT.md §10.5): one step per sample, a token
//! coded with its interval `[cum, cum + freq)` out of `2^12` from a static table.
//!
//! The coder's interval is `[low, low + R·2^e)`: a 20-bit range `R`, kept in
//! `[2^19, 2^20)` by **bit-wise** renormalisation (its top bit is always 1), and a scale `e`
//! in `5..=12` that puts `R` inside the 32-bit window of `low`. One step is
//!
//! ```text
//! r = R >> 12                      8 bits (128..=255): the top bit known
//! low += (r · cum) << e            off the recurrence
//! R' = r · freq + (top ? R mod 2^12 : 0)   the recurrence: one 8 × 12 multiply and an add
//! n = 19 − ⌊log2 R'⌋;  R = R' << n;  e −= n;  while e < 5: e += 8, ShiftLow
//! ```
//!
//! No division anywhere in the encoder; the rounding rest `R mod 2^12` (the part of the range
//! `r · 2^12` does not cover) is **added** to the range of the context's `top` token (its most
//! probable one, placed last in the interval), known before the multiply finishes. `low`, the
//! carry, `cache` and the pending `0xFF` bytes are coder v2's ([`CarryBytes`], §7.5).
//!
//! Worst case per step: `R' ≥ r · 1 ≥ 2^7`, so `n ≤ 12` bits and at most two byte shifts.

use crate::v2::range::CarryBytes;
use crate::Error;

/// Bits of the range `R` (kept in `[2^(RANGE_BITS − 1), 2^RANGE_BITS)`).
pub const RANGE_BITS: u32 = 20;
/// Bits of a table frequency: a context's frequencies sum to `2^PROB_BITS`.
pub const PROB_BITS: u32 = 12;
/// Most output bits one step can make: `R' ≥ r ≥ 2^(RANGE_BITS − 1 − PROB_BITS)` (a frequency
/// is at least 1), so the renormalisation shifts at most `PROB_BITS` bits.
pub const MAX_STEP_BITS: u32 = PROB_BITS;
/// The restart range.
const RANGE_INIT: u32 = (1 << RANGE_BITS) - 1;
/// The restart scale: `R·2^e` fills the 32-bit window of `low`.
const E_INIT: i32 = 32 - RANGE_BITS as i32;
/// Smallest scale: below it `R·2^e < 2^24` and a byte leaves `low`.
const E_MIN: i32 = 24 - (RANGE_BITS as i32 - 1);
const REST_MASK: u32 = (1 << PROB_BITS) - 1;

/// One token's interval in its context: `[cum, cum + freq)` out of `2^12`, and whether it is
/// the context's `top` token (the last interval, which takes the rounding rest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub cum: u32,
    pub freq: u32,
    pub top: bool,
}

/// The recurrence (§10.5): the range after coding a token with interval `iv` from range `R`,
/// renormalised, and the bits `n` it was shifted by (`e` falls by `n`):
/// `R' = (R >> 12)·freq + (top ? R mod 2^12 : 0)`, shifted until its bit 19 is set.
#[inline(always)]
pub fn step(range: u32, iv: Interval) -> (u32, u32) {
    let r = range >> PROB_BITS;
    let rest = range & REST_MASK & 0u32.wrapping_sub(iv.top as u32);
    let next = r * iv.freq + rest;
    let n = next.leading_zeros() - (32 - RANGE_BITS);
    (next << n, n)
}

/// The encoder: `R`, `e`, and the byte side (`low`, `cache`, `pending`).
#[derive(Clone, Debug)]
pub struct Encoder {
    range: u32,
    e: i32,
    bytes: CarryBytes,
}

impl Encoder {
    /// The restart state (`R = 2^20 − 1`, `e = 12`, `low = 0`, `cache = 0`, `pending = 1`),
    /// with room for `bytes` output bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        Encoder {
            range: RANGE_INIT,
            e: E_INIT,
            bytes: CarryBytes::with_capacity(bytes),
        }
    }

    /// Codes one token given its interval.
    #[inline(always)]
    pub fn encode(&mut self, iv: Interval) {
        let r = self.range >> PROB_BITS;
        self.bytes.add(((r * iv.cum) as u64) << self.e);
        let n;
        (self.range, n) = step(self.range, iv);
        self.e -= n as i32;
        while self.e < E_MIN {
            self.e += 8;
            self.bytes.shift_low();
        }
    }

    /// Byte shifts so far: a decoder of the same tokens has read `shifts() + 4` bytes.
    pub fn shifts(&self) -> u64 {
        self.bytes.shifts()
    }

    /// Ends the block (five byte shifts, as §7.5) and returns its bytes: `4 + shifts`.
    pub fn finish(self) -> Vec<u8> {
        self.bytes.finish()
    }
}

/// The same coder as [`Encoder`], byte for byte (a test checks it), made for speed: each byte
/// shifted out of `low` is stored at once and a carry is added to the bytes already stored
/// (walking back over `0xFF`s) instead of holding `cache` and the pending `0xFF`s; the one or
/// two byte shifts of a step are stored without a branch (two bytes are written every step,
/// the position advanced by the shifts). The bytes are those of §10.5, since both store the
/// binary expansion of the same sum.
#[derive(Clone, Debug)]
pub struct FastEncoder {
    range: u32,
    e: u32,
    /// the 32-bit window of `low` (a carry is folded into the bytes at once)
    low: u64,
    out: Vec<u8>,
    pos: usize,
}

impl FastEncoder {
    /// The restart state, with room for `tokens` tokens.
    pub fn new(tokens: usize) -> Self {
        FastEncoder {
            range: RANGE_INIT,
            e: E_INIT as u32,
            low: 0,
            // at most 12 bits per token, 2 bytes written ahead, 4 at the end
            out: vec![0; (tokens * MAX_STEP_BITS as usize).div_ceil(8) + 8],
            pos: 0,
        }
    }

    /// The encoder, leaving an empty one (no bytes, no room) in its place.
    pub(crate) fn take(&mut self) -> Self {
        std::mem::replace(
            self,
            FastEncoder {
                range: RANGE_INIT,
                e: E_INIT as u32,
                low: 0,
                out: Vec::new(),
                pos: 0,
            },
        )
    }

    /// Codes one token given its interval.
    #[inline(always)]
    pub fn encode(&mut self, iv: Interval) {
        let r = self.range >> PROB_BITS;
        self.low += ((r * iv.cum) as u64) << self.e;
        if self.low >> 32 != 0 {
            self.low &= 0xFFFF_FFFF;
            carry(&mut self.out[..self.pos]);
        }
        let n;
        (self.range, n) = step(self.range, iv);
        // e − n ≥ −7; the byte shifts: (E_INIT − (e − n)) / 8 ∈ {0, 1, 2}
        let e = self.e.wrapping_sub(n);
        let shifts = (E_INIT as u32).wrapping_sub(e) >> 3;
        let b = (self.low as u32 >> 16) as u16;
        self.out[self.pos..self.pos + 2].copy_from_slice(&b.to_be_bytes());
        self.pos += shifts as usize;
        self.low = (self.low << (8 * shifts)) & 0xFFFF_FFFF;
        self.e = e.wrapping_add(8 * shifts);
    }

    /// Ends the block as [`Encoder::finish`]: the four bytes of `low`.
    pub fn finish(mut self) -> Vec<u8> {
        let b = (self.low as u32).to_be_bytes();
        self.out[self.pos..self.pos + 4].copy_from_slice(&b);
        self.out.truncate(self.pos + 4);
        self.out
    }
}

/// Adds a carry to the bytes stored: 1 to the last, and on over every `0xFF` that wraps. There
/// is always a byte that takes it (§10.5's first, dropped byte never changes). Not inlined,
/// and not a method, so the encoder's state can stay in registers.
#[inline(never)]
#[cold]
fn carry(out: &mut [u8]) {
    for b in out.iter_mut().rev() {
        *b = b.wrapping_add(1);
        if *b != 0 {
            return;
        }
    }
    debug_assert!(false, "a carry out of the first byte");
}

/// `⌈2^32 / r⌉` for `r` in `128..256`: `(c · INV[r − 128]) >> 32 = ⌊c / r⌋` for every
/// `c < 2^20` (the error `c · (⌈2^32/r⌉ − 2^32/r) / 2^32 < 2^−12` never reaches the next
/// integer, whose distance is at least `1/r`; a test checks all of them).
const INV: [u64; 128] = {
    let mut t = [0u64; 128];
    let mut i = 0;
    while i < 128 {
        let r = (i + 128) as u64;
        t[i] = (1u64 << 32).div_ceil(r);
        i += 1;
    }
    t
};

/// The decoder over one substream's bytes; reading past its end is an error.
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    /// the code's offset from `low`, always below `R·2^e`
    code: u32,
    range: u32,
    e: i32,
    data: &'a [u8],
    pos: usize,
}

fn ran_out() -> Error {
    Error::Corrupt("token substream ends inside a sample".into())
}

impl<'a> Decoder<'a> {
    /// Reads the first four bytes (big-endian) as the code.
    pub fn new(data: &'a [u8]) -> Result<Self, Error> {
        let Some(first) = data.get(..4) else {
            return Err(Error::Corrupt(
                "token substream shorter than 4 bytes".into(),
            ));
        };
        let code = u32::from_be_bytes([first[0], first[1], first[2], first[3]]);
        if code as u64 >= (RANGE_INIT as u64) << E_INIT {
            return Err(Error::Corrupt(
                "token substream starts outside the range".into(),
            ));
        }
        Ok(Decoder {
            code,
            range: RANGE_INIT,
            e: E_INIT,
            data,
            pos: 4,
        })
    }

    /// The position of the code in the current range in units of `r = R >> 12`:
    /// `⌊(code >> e) / r⌋`, in `0 .. 2^12 + 32`. A token's interval `[cum, cum + freq)` holds
    /// it; the top token's also every value from `2^12` on.
    #[inline(always)]
    pub fn target(&self) -> u32 {
        let r = self.range >> PROB_BITS;
        (((self.code >> self.e) as u64 * INV[(r - 128) as usize]) >> 32) as u32
    }

    /// Removes the decoded token's interval (as the encoder's step) and renormalises.
    #[inline(always)]
    pub fn consume(&mut self, iv: Interval) -> Result<(), Error> {
        let r = self.range >> PROB_BITS;
        self.code -= (r * iv.cum) << self.e;
        let n;
        (self.range, n) = step(self.range, iv);
        // e − n ≥ −7: the bytes to read, (E_INIT − (e − n)) / 8 ∈ {0, 1, 2}, without a branch
        // while two bytes are left (the next two are loaded, the ones not needed shifted out)
        let e = self.e - n as i32;
        let bytes = ((E_INIT - e) >> 3) as u32;
        if let Some(&[b0, b1]) = self.data.get(self.pos..self.pos + 2) {
            let next = u16::from_be_bytes([b0, b1]) as u32;
            self.code = (self.code << (8 * bytes)) | (next >> (16 - 8 * bytes));
            self.pos += bytes as usize;
            self.e = e + 8 * bytes as i32;
        } else {
            self.e = e;
            while self.e < E_MIN {
                self.e += 8;
                let b = *self.data.get(self.pos).ok_or_else(ran_out)?;
                self.pos += 1;
                self.code = (self.code << 8) | b as u32;
            }
        }
        Ok(())
    }

    /// Whether every byte has been read (true after the last sample of a valid block).
    pub fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reciprocals_divide_exactly() {
        for r in 128u32..256 {
            for c in 0u32..1 << RANGE_BITS {
                let q = ((c as u64 * INV[(r - 128) as usize]) >> 32) as u32;
                assert_eq!(q, c / r, "c = {c}, r = {r}");
            }
        }
    }

    #[test]
    fn constants() {
        assert_eq!(MAX_STEP_BITS, 12);
        assert_eq!((E_INIT, E_MIN), (12, 5));
    }

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// A random table of `n` intervals tiling `[0, 4096)`; `top` is the last.
    fn intervals(seed: &mut u64, n: usize) -> Vec<Interval> {
        let mut cuts: Vec<u32> = (0..n - 1).map(|_| 1 + (rng(seed) % 4095) as u32).collect();
        cuts.extend([0, 4096]);
        cuts.sort_unstable();
        cuts.dedup();
        cuts.windows(2)
            .enumerate()
            .map(|(i, w)| Interval {
                cum: w[0],
                freq: w[1] - w[0],
                top: i == cuts.len() - 2,
            })
            .collect()
    }

    #[test]
    fn tokens_round_trip_through_skewed_tables_and_carries() {
        for trial in 0..40u64 {
            let mut seed = 0x9E37_79B9_7F4A_7C15 ^ trial;
            let tab = intervals(&mut seed, 2 + (trial as usize % 31));
            // every other trial: the smallest interval very often (12-bit steps, long runs)
            let syms: Vec<usize> = (0..30_000)
                .map(|_| {
                    let r = rng(&mut seed);
                    if trial.is_multiple_of(2) && !r.is_multiple_of(4) {
                        (0..tab.len()).min_by_key(|&i| tab[i].freq).unwrap()
                    } else {
                        (r >> 20) as usize % tab.len()
                    }
                })
                .collect();
            let mut e = Encoder::with_capacity(0);
            let mut fast = FastEncoder::new(syms.len());
            let mut shifts = vec![e.shifts()];
            for &s in &syms {
                e.encode(tab[s]);
                fast.encode(tab[s]);
                shifts.push(e.shifts());
            }
            let bytes = e.finish();
            assert!(
                fast.finish() == bytes,
                "trial {trial}: the fast encoder differs"
            );
            // finish shifts five times and holds one byte back: a decoder reads exactly them all
            assert_eq!(bytes.len() as u64, shifts.last().unwrap() + 4);
            let mut d = Decoder::new(&bytes).unwrap();
            for (i, &s) in syms.iter().enumerate() {
                let v = d.target();
                let t = tab
                    .iter()
                    .position(|iv| v >= iv.cum && (v < iv.cum + iv.freq || iv.top))
                    .unwrap();
                assert_eq!(t, s, "trial {trial}, symbol {i}");
                d.consume(tab[t]).unwrap();
                assert_eq!(
                    d.pos as u64,
                    shifts[i + 1] + 4,
                    "bytes read after symbol {i}"
                );
            }
            assert!(d.at_end());
        }
    }

    #[test]
    fn a_short_or_out_of_range_start_is_corrupt() {
        assert!(Decoder::new(&[0, 0, 0]).is_err());
        assert!(Decoder::new(&[0xFF, 0xFF, 0xF0, 0x00]).is_err());
        assert!(Decoder::new(&[0xFF, 0xFF, 0xEF, 0xFF]).is_ok());
    }
}
