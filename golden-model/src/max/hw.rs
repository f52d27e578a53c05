//! The encoder's and decoder's loops for the hardware parameters ([`MaxParams::HARDWARE`]
//! but for the block length, lossless), written for speed (issue 26: ≥ 60 M samples/s on one
//! core): the same computation as [`super::code_sample`] and the generic loops (unit tests
//! here, `fast_encoder_equals_the_datapath_and_round_trips` and the frozen vectors check
//! every byte), with
//!
//! - the context and the token shift from one table indexed by `⌈6·A/N⌉` (no search for
//!   `s`, no sub-context arithmetic: [`ratio_index`], [`CTX_SHIFT`]);
//! - in the encoder, the channel state in scalars ([`Hw`]: 64-bit weights and deltas, each
//!   delta's sign computed once and shifted along with it);
//! - `A`/`N`'s halving without a branch.
//!
//! What the loops around them do (two passes per chunk in the encoder, the range coder's
//! carries) is the generic loops'.

use super::range;
use super::table::{self, Table};
use super::{MaxParams, ESCAPE, K_OFFSET};

use crate::v2::{predict_t, update_t, State};
use crate::Error;

const P: MaxParams = MaxParams::HARDWARE;
/// Largest code index (`2W − 2`).
const S_MAX: u32 = 2 * (P.sample_bits - 1);
const TOP: i32 = (1 << P.sample_bits) - 1;
const WMAX: i32 = (1 << (P.weight_bits - 1)) - 1;
const DMAX: i32 = (1 << (P.delta_bits - 1)) - 1;
const WINDOW: u32 = 1 << P.window_log2;

// what the loops assume of the hardware parameters (checked when they change)
const _: () = assert!(P.taps == 4 && P.max_error == 0 && P.thr_num == 4 && P.thr_shift == 3);
const _: () = assert!(P.window_log2 == 6 && P.weight_frac == 10);

/// Whether the loops of this module code `p` (the hardware parameters but for the block length).
pub(super) fn applies(p: &MaxParams) -> bool {
    MaxParams {
        block_frames: 0,
        ..*p
    } == P
}

/// `⌈2^32 / N⌉` for `N < 64` (0 for `N = 0`, which a restarted channel never has: `N ≥ 4`,
/// [`super::restart_state`]).
const RECIP: [u64; 64] = {
    let mut t = [0u64; 64];
    let mut n = 1;
    while n < 64 {
        t[n] = (1u64 << 32).div_ceil(n as u64);
        n += 1;
    }
    t
};

/// The next sample's context and token shift depend on `A` and `N` only through the ratio
/// `A/N`, and only through which side of `2·m(s)` (the choice of `s`: `N·m(s)·8 ≥ 4·A`),
/// `5·m(s)/3` (the sub-context bit `5·N·m(s) ≥ 3·A`) and `1/2` (flat: `2·A ≤ N`) it lies on:
/// in sixths, all integers. So both are a function of `c = ⌈6·A/N⌉` alone, and a table
/// ([`CTX_SHIFT`]) replaces the search for `s`, the sub-context bit and the context map:
/// `s` is the smallest with `c ≤ 12·m(s)` (18 when none), `b = (c ≤ 10·m(s))`, flat =
/// `(c ≤ 3)`.
///
/// `c` is a multiplication by [`RECIP`]: for a numerator `v < 2^20` (`A < 2^17`) and a
/// divisor `N < 64`, `v·⌈2^32/N⌉ / 2^32` exceeds `v/N` by less than `1/N`, so its floor is
/// `⌊v/N⌋`; `⌈6A/N⌉ = ⌊(6A + N − 1)/N⌋`. Every state of a restarted channel has `4 ≤ N < 64`
/// and `A < 2^17` (a test checks the table against the definitions for all `N < 64`,
/// `A < 2^17`).
#[inline(always)]
fn ratio_index(a: u32, n: u32) -> usize {
    let v = (6 * a + n - 1) as u64;
    (((v * RECIP[n as usize & 63]) >> 32) as usize).min(C_LAST)
}

/// `c` from which on `s` = 18 (`c > 12·m(17)`): the table's last entry.
const C_LAST: usize = 12 * 512 + 1;

/// For each `c = ⌈6·A/N⌉` up to [`C_LAST`]: the context (bits 0–3) and the token shift
/// `max(0, k − 2)` of its `s` (bits 4–6).
static CTX_SHIFT: [u8; C_LAST + 1] = {
    let mut t = [0u8; C_LAST + 1];
    let mut c = 0;
    while c <= C_LAST {
        let mut s = 0;
        while s < S_MAX && c as u32 > 12 * m_const(s) {
            s += 1;
        }
        let b = c as u32 <= 10 * m_const(s);
        let flat = c <= 3;
        let ctx = match s {
            0 if flat => 0,
            0 => 2 - b as u32,
            1..super::S_SHARED => 1 + 2 * s + b as u32,
            _ => table::CONTEXTS as u32 - 1,
        };
        let (k, _) = golomb_m_const(s);
        let shift = k.saturating_sub(K_OFFSET);
        t[c] = (ctx | shift << 4) as u8;
        c += 1;
    }
    t
};

/// [`m_value`](crate::lite::m_value) as a `const fn`.
const fn m_const(s: u32) -> u32 {
    match golomb_m_const(s) {
        (k, false) => 1 << k,
        (k, true) => 3 << (k - 1),
    }
}

/// [`golomb_m`](crate::lite::golomb_m) as a `const fn`.
const fn golomb_m_const(s: u32) -> (u32, bool) {
    if s == 0 {
        (0, false)
    } else if s & 1 == 1 {
        (s.div_ceil(2), false)
    } else {
        (s / 2, true)
    }
}

/// A channel's state (coder v2's [`State`], four taps) in scalars, with the sign of each
/// delta (computed once, when the delta enters, and shifted along with it). The weights and
/// deltas are 64-bit: with 32-bit ones the vectoriser packs the four taps into SSE2
/// registers, which have no 32-bit multiply (it takes longer than the scalar code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Hw {
    prev: i32,
    a: u32,
    n: u32,
    d0: i64,
    d1: i64,
    d2: i64,
    d3: i64,
    w0: i64,
    w1: i64,
    w2: i64,
    w3: i64,
    g0: i64,
    g1: i64,
    g2: i64,
    g3: i64,
}

impl Hw {
    pub(super) fn of(st: &State) -> Hw {
        Hw {
            prev: st.prev as i32,
            a: st.a,
            n: st.n,
            d0: st.d[0] as i64,
            d1: st.d[1] as i64,
            d2: st.d[2] as i64,
            d3: st.d[3] as i64,
            w0: st.w[0] as i64,
            w1: st.w[1] as i64,
            w2: st.w[2] as i64,
            w3: st.w[3] as i64,
            g0: st.d[0].signum() as i64,
            g1: st.d[1].signum() as i64,
            g2: st.d[2].signum() as i64,
            g3: st.d[3].signum() as i64,
        }
    }

    #[cfg(test)]
    fn state(&self) -> State {
        let mut st = State::initial(&P.front_end());
        st.prev = self.prev as u32;
        st.a = self.a;
        st.n = self.n;
        st.d[..4].copy_from_slice(&[self.d0, self.d1, self.d2, self.d3].map(|v| v as i32));
        st.w[..4].copy_from_slice(&[self.w0, self.w1, self.w2, self.w3].map(|v| v as i32));
        st
    }

    /// The prediction (coder v2's, §7.3).
    #[inline(always)]
    fn predict(&self) -> i32 {
        let acc = self.w0 * self.d0 + self.w1 * self.d1 + self.w2 * self.d2 + self.w3 * self.d3;
        let pd = ((acc + (1 << (P.weight_frac - 1))) >> P.weight_frac) as i32;
        (self.prev + pd).clamp(0, TOP)
    }

    /// The context and the token shift of the next sample (from `A`, `N` before it).
    #[inline(always)]
    fn context(&self) -> (usize, u32) {
        let e = CTX_SHIFT[ratio_index(self.a, self.n)];
        ((e & 15) as usize, (e >> 4) as u32)
    }

    /// The update after sample `x` predicted as `pred` with magnitude `u` (coder v2's, §7.6).
    #[inline(always)]
    fn update(&mut self, x: i32, pred: i32, u: u32) {
        // A, N; halved when N reaches 64 (N = 64 → 32), without a branch
        let n = self.n + 1;
        let h = n / WINDOW;
        self.a = (self.a + u + h) >> h;
        self.n = n >> h;
        // sign-sign LMS
        let err = (x - pred).signum() as i64;
        let st = P.steps;
        let wm = WMAX as i64;
        self.w0 = (self.w0 + st[0] as i64 * err * self.g0).clamp(-wm, wm);
        self.w1 = (self.w1 + st[1] as i64 * err * self.g1).clamp(-wm, wm);
        self.w2 = (self.w2 + st[2] as i64 * err * self.g2).clamp(-wm, wm);
        self.w3 = (self.w3 + st[3] as i64 * err * self.g3).clamp(-wm, wm);
        (self.d3, self.d2, self.d1) = (self.d2, self.d1, self.d0);
        (self.g3, self.g2, self.g1) = (self.g2, self.g1, self.g0);
        self.d0 = (x - self.prev).clamp(-DMAX, DMAX) as i64;
        self.g0 = self.d0.signum();
        self.prev = x;
    }

    /// One sample of the encoder: its record (`interval | count << 27 | bits << 32`, as
    /// [`super::record`]); counts an escape.
    #[inline(always)]
    fn encode(&mut self, x: u32, table: &Table, escapes: &mut u64) -> u64 {
        let pred = self.predict();
        let x = x as i32;
        // the W-bit zigzag of x − pred
        let e = ((x - pred) << (32 - P.sample_bits)) >> (32 - P.sample_bits);
        let u = ((e << 1) ^ (e >> 31)) as u32;
        let (ctx, shift) = self.context();
        let v = u >> shift;
        let low = u & ((1 << shift) - 1);
        let (token, bits, len) = if v < ESCAPE {
            (v, low, shift)
        } else {
            *escapes += 1;
            let (code, len) = super::escape_code(v);
            (ESCAPE, (code << shift) | low, len + shift)
        };
        self.update(x, pred, u);
        table.packed(ctx, token as usize) as u64 | (len as u64) << 27 | (bits as u64) << 32
    }
}

/// The encoder's first pass over a chunk for the hardware parameters ([`super::front_chunk`]):
/// each sample's record; returns the escapes.
#[inline(never)]
pub(super) fn front_chunk(
    table: &Table,
    states: &mut [Hw],
    ch: &mut usize,
    chunk: &[u32],
    recs: &mut [u64],
) -> u64 {
    let mut escapes = 0;
    walk_channels!(states, ch, chunk, recs, |st, x| {
        st.encode(x, table, &mut escapes)
    });
    escapes
}

/// Coder v2's front end for the hardware parameters, for the decoder.
const F: crate::v2::V2Params = P.front_end();

/// One sample of the decoder for the hardware parameters. Its channel state stays coder v2's
/// [`State`] (its LMS is off the decoder's critical path, through the range coder and `A`:
/// the vectorised update takes fewer registers than [`Hw`]'s).
#[inline(always)]
fn decode_one(
    st: &mut State,
    table: &Table,
    rc: &mut range::Decoder<'_>,
    bits: &mut RawReader<'_>,
) -> Result<u32, Error> {
    let pred = predict_t::<4>(st, &F);
    let e = CTX_SHIFT[ratio_index(st.a, st.n)];
    let (ctx, shift) = ((e & 15) as usize, (e >> 4) as u32);
    let (t, iv) = table.lookup(ctx, rc.target());
    rc.consume(iv)?;
    let v = if t as u32 == ESCAPE {
        super::read_escape(bits, P.sample_bits)?
    } else {
        t as u32
    };
    // v < 2^W: the shift cannot overflow; u ≥ 2^W is corrupt
    let u = (v << shift) | bits.take(shift)?;
    if u >> P.sample_bits != 0 {
        return Err(Error::Corrupt("decoded magnitude out of range".into()));
    }
    // the inverse zigzag, modulo 2^W
    let d = (u >> 1) ^ 0u32.wrapping_sub(u & 1);
    let x = (pred.wrapping_add(d)) & TOP as u32;
    update_t::<4>(st, x, pred, u, &F);
    Ok(x)
}

/// The decoder's loop for the hardware parameters ([`super::decode_run`]): decodes
/// `out.len()` samples, counting them in `done`.
#[inline(never)]
pub(super) fn decode_run(
    table: &Table,
    states: &mut [State],
    rc: &mut range::Decoder<'_>,
    bits: &mut RawReader<'_>,
    out: &mut [u32],
    done: &mut usize,
) -> Result<(), Error> {
    // the coders as local values (their fields stay in registers), written back at the end
    let (mut r, mut b) = (rc.clone(), bits.clone());
    let mut n = 0;
    let res = (|| {
        if let [st] = states {
            let mut state = *st;
            let res = out.iter_mut().try_for_each(|x| {
                *x = decode_one(&mut state, table, &mut r, &mut b)?;
                n += 1;
                Ok(())
            });
            *st = state;
            res
        } else {
            for frame in out.chunks_mut(states.len()) {
                for (x, st) in frame.iter_mut().zip(states.iter_mut()) {
                    let mut state = *st;
                    *x = decode_one(&mut state, table, &mut r, &mut b)?;
                    *st = state;
                    n += 1;
                }
            }
            Ok(())
        }
    })();
    (*rc, *bits) = (r, b);
    *done += n;
    res
}

/// The raw substream's reader: MSB first, a 64-bit window refilled eight bytes at a time.
/// Reading past the substream's end is an error.
#[derive(Clone, Debug)]
pub(crate) struct RawReader<'a> {
    data: &'a [u8],
    /// next byte of `data` to load
    pos: usize,
    /// the bits not yet taken, left-aligned
    acc: u64,
    /// bits in `acc`
    have: u32,
    /// bits of the substream not yet taken
    left: u64,
}

impl<'a> RawReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        RawReader {
            data,
            pos: 0,
            acc: 0,
            have: 0,
            left: data.len() as u64 * 8,
        }
    }

    /// Loads whole bytes until `acc` holds at least 56 bits or the data ends. The fast path ORs
    /// in eight bytes at `have`: the bits past the whole bytes it counts are those the next
    /// load puts there again.
    #[inline(always)]
    fn refill(&mut self) {
        if let Some(b) = self.data.get(self.pos..self.pos + 8) {
            let word = u64::from_be_bytes(b.try_into().expect("eight bytes"));
            self.acc |= word >> self.have;
            let took = (63 - self.have) / 8;
            self.pos += took as usize;
            self.have += 8 * took;
        } else {
            while self.have <= 56 && self.pos < self.data.len() {
                self.acc |= (self.data[self.pos] as u64) << (56 - self.have);
                self.pos += 1;
                self.have += 8;
            }
        }
    }

    /// Takes `n ≤ 32` bits.
    #[inline(always)]
    pub(crate) fn take(&mut self, n: u32) -> Result<u32, Error> {
        if n as u64 > self.left {
            return Err(Error::Corrupt("bit stream ends inside a code".into()));
        }
        if self.have < n {
            self.refill();
        }
        // n = 0 takes nothing: the shift in two steps is defined for it
        let v = ((self.acc >> 1) >> (63 - n)) as u32;
        self.acc <<= n;
        self.have -= n;
        self.left -= n as u64;
        Ok(v)
    }

    /// Bits not taken yet.
    pub(crate) fn left(&self) -> u64 {
        self.left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lite::select_s;

    #[test]
    fn the_ratio_table_is_select_s_and_the_context_map() {
        let g = P.front_end().golomb;
        for n in 1..64 {
            for a in 0..1 << 17 {
                let s = select_s(a, n, &g);
                let e = CTX_SHIFT[ratio_index(a, n)];
                assert_eq!(
                    ((e & 15) as u32, (e >> 4) as u32),
                    (super::super::context(a, n, s), super::super::token_shift(s)),
                    "A = {a}, N = {n}, s = {s}"
                );
            }
        }
    }

    #[test]
    fn the_scalar_state_steps_as_coder_v2() {
        let mut seed = 7u32;
        let xs = crate::v2::test_walk(10, 20_000, &mut seed);
        let mut st = super::super::restart_state(xs[0], &P);
        let mut hw = Hw::of(&st);
        let mut esc = 0;
        for &x in &xs[1..] {
            let c = super::super::code_sample(&st, x, &P);
            assert_eq!(hw.predict() as u32, c.pred);
            assert_eq!(hw.context().0 as u32, c.ctx);
            hw.encode(x, Table::builtin(), &mut esc);
            st = c.next;
            assert_eq!(hw.state(), st);
            // and the delta signs it carries
            assert_eq!(hw, Hw::of(&st));
        }
    }

    #[test]
    fn raw_reader_reads_msb_first_and_stops_at_the_end() {
        let data = [
            0b1011_0111u8,
            0xFE,
            0x12,
            0x34,
            0x56,
            0x78,
            0x9A,
            0xBC,
            0xDE,
            0xF0,
        ];
        let mut r = RawReader::new(&data);
        assert_eq!(r.take(1).unwrap(), 1);
        assert_eq!(r.take(0).unwrap(), 0);
        assert_eq!(r.take(4).unwrap(), 0b0110);
        assert_eq!(r.take(10).unwrap(), 0b11_1111_1111);
        assert_eq!(r.take(1).unwrap(), 0);
        assert_eq!(r.take(32).unwrap(), 0x1234_5678);
        assert_eq!(r.take(28).unwrap(), 0x9AB_CDEF);
        assert_eq!(r.left(), 4);
        assert!(r.take(5).is_err());
        assert_eq!(r.take(4).unwrap(), 0);
        assert_eq!(r.left(), 0);
    }
}
