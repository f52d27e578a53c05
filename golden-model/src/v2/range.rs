//! The binary range coder of coder v2 (FORMAT.md §7.5): 32-bit range, 12-bit probabilities,
//! byte-wise renormalisation by shifts, carries resolved with a one-byte cache and a counter of
//! pending `0xFF` bytes (the LZMA scheme).
//!
//! Carry handling: `low` has one bit above its 32 bits. A byte leaves `low` only when the byte
//! shifted out is known not to change (it is below `0xFF`) or a carry has appeared; until then
//! the encoder keeps the last byte below `0xFF` (`cache`) and a count of the `0xFF` bytes after
//! it (`pending`). A carry adds one to `cache` and turns the pending `0xFF`s into `0x00`s.
//! Nothing already sent ever changes, the state is bounded (one byte and one counter that can
//! never exceed the block's byte length, so 32 bits), and each renormalisation is a shift by
//! 8. The hardware needs no buffer for the pending bytes: they are all `0xFF` (or all `0x00`).

use crate::Error;

/// Probabilities are 12-bit: `p` is the probability of a zero bin, in units of `2^-12`.
pub const PROB_BITS: u32 = 12;
/// The restart value of every context probability (one half).
pub const PROB_INIT: u16 = 1 << (PROB_BITS - 1);
const TOP: u32 = 1 << 24;

/// The adaptation of a context after coding `bit` (FORMAT.md §7.5).
#[inline]
pub fn adapt(p: u16, bit: u32, shift: u32) -> u16 {
    // branch-free form of: bit 0 → p + ((4096 − p) >> shift); bit 1 → p − (p >> shift)
    let up = p + (((1u16 << PROB_BITS) - p) >> shift);
    let down = p - (p >> shift);
    if bit == 0 {
        up
    } else {
        down
    }
}

/// The byte side of an LZMA-style range encoder, shared by coder v2 (§7.5) and coder max
/// (§10.5): `low` (33 bits: 32 and a carry), `cache`, `pending`, and the bytes stored so far.
/// The coder adds to `low` ([`add`](Self::add)) and shifts a byte out of it
/// ([`shift_low`](Self::shift_low)) whenever its range has lost 8 bits.
#[derive(Clone, Debug)]
pub struct CarryBytes {
    low: u64,
    cache: u8,
    pending: u32,
    /// the first byte the procedure produces is always zero and is not stored
    first: bool,
    out: Vec<u8>,
}

impl CarryBytes {
    /// The restart state: `low = 0`, `cache = 0`, `pending = 1`, with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        CarryBytes {
            low: 0,
            cache: 0,
            pending: 1,
            first: true,
            out: Vec::with_capacity(bytes),
        }
    }

    #[inline]
    fn put(&mut self, b: u8) {
        if self.first {
            debug_assert_eq!(b, 0);
            self.first = false;
        } else {
            self.out.push(b);
        }
    }

    /// `low += v` (the caller keeps `low + range ≤ 2^33`).
    #[inline(always)]
    pub fn add(&mut self, v: u64) {
        self.low += v;
    }

    /// ShiftLow of §7.5: settles the top byte of `low` when it can no longer change (or a
    /// carry arrived), then `low = (low mod 2^24) · 256`.
    #[inline]
    pub fn shift_low(&mut self) {
        if (self.low as u32) < 0xFF00_0000 || (self.low >> 32) != 0 {
            let carry = (self.low >> 32) as u8;
            let mut b = self.cache;
            loop {
                self.put(b.wrapping_add(carry));
                b = 0xFF;
                self.pending -= 1;
                if self.pending == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.pending += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    /// Ends the block: five more byte shifts; returns the block's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        self.out
    }

    /// Bytes stored so far (not counting the cache and pending bytes).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Byte shifts done so far (see [`RangeEncoder::shifts`]).
    pub fn shifts(&self) -> u64 {
        // every shift adds one byte to `pending`; emitting `pending` bytes (the first of
        // them dropped) sets it to zero
        self.out.len() as u64 + self.pending as u64 - self.first as u64
    }

    /// The bytes stored so far.
    pub fn stored(&self) -> &[u8] {
        &self.out
    }

    /// Whether no byte has been stored yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }
}

/// Encoder state: `low` (33 bits), `range` (32 bits), `cache`, `pending`.
#[derive(Clone, Debug)]
pub struct RangeEncoder {
    bytes: CarryBytes,
    range: u32,
}

impl Default for RangeEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl RangeEncoder {
    /// The restart state: `low = 0`, `range = 2^32 − 1`, `cache = 0`, `pending = 1`.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// The restart state, with room for `bytes` output bytes reserved.
    pub fn with_capacity(bytes: usize) -> Self {
        RangeEncoder {
            bytes: CarryBytes::with_capacity(bytes),
            range: u32::MAX,
        }
    }

    #[inline]
    fn normalise(&mut self) {
        while self.range < TOP {
            self.range <<= 8;
            self.bytes.shift_low();
        }
    }

    /// Codes one bin with probability-of-zero `p` (`0 < p < 4096`).
    #[inline]
    pub fn bin(&mut self, p: u16, bit: u32) {
        let bound = (self.range >> PROB_BITS) * p as u32;
        // branch-free: bit 0 keeps [low, low + bound), bit 1 keeps [low + bound, low + range)
        let mask = 0u32.wrapping_sub(bit);
        self.bytes.add((bound & mask) as u64);
        self.range = (bound & !mask) | ((self.range - bound) & mask);
        if self.range < TOP {
            self.normalise();
        }
    }

    /// Codes the low `n <= 16` bits of `v` with equal probabilities, in one step.
    #[inline]
    pub fn bypass(&mut self, v: u32, n: u32) {
        if n == 0 {
            return;
        }
        debug_assert!(n <= 16 && v >> n == 0);
        self.range >>= n;
        self.bytes.add(v as u64 * self.range as u64);
        self.normalise();
    }

    /// Ends the block: five more byte shifts; returns the block's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.bytes.finish()
    }

    /// Bytes stored so far (not counting the cache and pending bytes).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Byte shifts done so far (renormalisations and `finish`'s five). A decoder of the same
    /// bins has then read `shifts() + 4` bytes: the first four, then one per shift. The
    /// encoder has stored `len()` of them; the rest are held (`cache` and the pending bytes)
    /// until a later shift or a carry fixes them.
    pub fn shifts(&self) -> u64 {
        self.bytes.shifts()
    }

    /// The bytes stored so far.
    pub fn stored(&self) -> &[u8] {
        self.bytes.stored()
    }

    /// Whether no byte has been stored yet.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Decoder state over one block's bytes; reading past the block's end is an error.
#[derive(Clone, Debug)]
pub struct RangeDecoder<'a> {
    code: u32,
    range: u32,
    data: &'a [u8],
    pos: usize,
}

fn ran_out() -> Error {
    Error::Corrupt("range-coded block ends inside a sample".into())
}

impl<'a> RangeDecoder<'a> {
    /// Reads the first four bytes of the block (big-endian) as `code`.
    pub fn new(data: &'a [u8]) -> Result<Self, Error> {
        if data.len() < 4 {
            return Err(Error::Corrupt(
                "range-coded block shorter than 4 bytes".into(),
            ));
        }
        let code = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        if code == u32::MAX {
            return Err(Error::Corrupt(
                "range-coded block starts outside the range".into(),
            ));
        }
        Ok(RangeDecoder {
            code,
            range: u32::MAX,
            data,
            pos: 4,
        })
    }

    #[inline(always)]
    fn normalise(&mut self) -> Result<(), Error> {
        while self.range < TOP {
            let b = *self.data.get(self.pos).ok_or_else(ran_out)?;
            self.pos += 1;
            self.range <<= 8;
            self.code = (self.code << 8) | b as u32;
        }
        Ok(())
    }

    /// Decodes one bin with probability-of-zero `p`.
    #[inline(always)]
    pub fn bin(&mut self, p: u16) -> Result<u32, Error> {
        let bound = (self.range >> PROB_BITS) * p as u32;
        // branch-free: code < bound → bin 0, range = bound; else bin 1, code and range − bound
        let bit = (self.code >= bound) as u32;
        let mask = 0u32.wrapping_sub(bit);
        self.code -= bound & mask;
        self.range = (bound & !mask) | ((self.range - bound) & mask);
        if self.range < TOP {
            self.normalise()?;
        }
        Ok(bit)
    }

    /// Decodes `n <= 16` equiprobable bits coded by [`RangeEncoder::bypass`].
    #[inline(always)]
    pub fn bypass(&mut self, n: u32) -> Result<u32, Error> {
        if n == 0 {
            return Ok(0);
        }
        self.range >>= n;
        let v = self.code / self.range;
        if v >> n != 0 {
            return Err(Error::Corrupt(
                "range-coded value out of its interval".into(),
            ));
        }
        self.code -= v * self.range;
        self.normalise()?;
        Ok(v)
    }

    /// Whether every byte of the block has been read (true after the last sample of a valid block).
    pub fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn bins_and_bypass_round_trip_including_carries() {
        for trial in 0..50u64 {
            let mut seed = 0x9E37_79B9_7F4A_7C15 ^ trial;
            let mut ops = Vec::new();
            for _ in 0..20_000 {
                let r = rng(&mut seed);
                // skewed probabilities make long 0xFF runs and carries likely
                let p = match r % 4 {
                    0 => 1 + (r >> 8) as u16 % 4095,
                    1 => 4095,
                    2 => 1,
                    _ => 2048,
                };
                let bit = if p == 4095 {
                    (r >> 40).is_multiple_of(64)
                } else {
                    (r >> 40).is_multiple_of(2)
                } as u32;
                let n = ((r >> 20) % 17) as u32;
                let v = ((r >> 30) as u32) & ((1u32 << n) - 1);
                ops.push((p, bit, n, v));
            }
            let mut e = RangeEncoder::new();
            for &(p, bit, n, v) in &ops {
                e.bin(p, bit);
                e.bypass(v, n);
            }
            let bytes = e.finish();
            let mut d = RangeDecoder::new(&bytes).unwrap();
            for &(p, bit, n, v) in &ops {
                assert_eq!(d.bin(p).unwrap(), bit);
                assert_eq!(d.bypass(n).unwrap(), v);
            }
            assert!(d.at_end());
        }
    }

    #[test]
    fn shifts_count_what_a_decoder_has_read() {
        let mut seed = 0x51ED_2701_u64;
        let mut ops = Vec::new();
        let mut e = RangeEncoder::new();
        let mut shifts = vec![e.shifts()];
        for _ in 0..50_000 {
            let r = rng(&mut seed);
            let p = if r.is_multiple_of(3) {
                4095
            } else {
                1 + (r >> 8) as u16 % 4095
            };
            let bit = (r >> 40).is_multiple_of(7) as u32;
            let n = ((r >> 20) % 5) as u32;
            let v = ((r >> 30) as u32) & ((1u32 << n) - 1);
            e.bin(p, bit);
            e.bypass(v, n);
            ops.push((p, bit, n, v));
            shifts.push(e.shifts());
            assert!(e.stored().len() as u64 <= e.shifts());
        }
        let last = e.shifts();
        let bytes = e.finish();
        // finish shifts five times and leaves one byte held: the decoder reads exactly them all
        assert_eq!(bytes.len() as u64, last + 4);
        let mut d = RangeDecoder::new(&bytes).unwrap();
        assert_eq!(d.pos as u64, shifts[0] + 4);
        for (i, &(p, bit, n, v)) in ops.iter().enumerate() {
            assert_eq!(d.bin(p).unwrap(), bit);
            assert_eq!(d.bypass(n).unwrap(), v);
            assert_eq!(d.pos as u64, shifts[i + 1] + 4, "after op {i}");
        }
    }

    #[test]
    fn probabilities_stay_inside_their_range() {
        for shift in 1..=11 {
            let mut p = PROB_INIT;
            for i in 0..100_000u32 {
                p = adapt(p, (i / 5000) % 2, shift);
                assert!(p > 0 && p < 4096, "shift {shift}: p = {p}");
            }
        }
    }
}
