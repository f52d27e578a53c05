//! The range encoder of coder v2 (FORMAT.md §7.5) as a pipelined hardware unit: one
//! operation per clock (bin, bypass group or finish step, no stall), byte-exact with
//! `neurice_model::v2::range::RangeEncoder`, cut into four registered stages so that only the
//! bin recurrence (`range` → `bound` → `range`) is left in one clock (an unpipelined unit,
//! FORMAT.md §7.8, ran at 15.8 MHz: 2.6 times slower).
//!
//! # Ports
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | rising edge |
//! | `clear` | in | restart (`low = 0`, `range = 2^32 − 1`, `cache = 0`, `pending = 1`, first byte not yet dropped) for the operations taken after this edge; wins over `in_valid`. Operations taken before it still give their records |
//! | `in_valid`, `op[1:0]` | in | an operation is taken at every edge where `in_valid` (there is no `in_ready`: every operation takes one clock): 0 = bin, 1 = bypass group, 2 = two byte shifts, 3 = one byte shift (the finish of a block is op 2, op 2, op 3: five shifts) |
//! | `p[11:0]`, `bin_value` | in | bin: probability of a zero (`0 < p < 4096`) and the bin |
//! | `v[15:0]`, `n[4:0]` | in | bypass: the low `n ≤ 16` bits of `v` (`v < 2^n`) |
//! | `rec_valid$k`, `rec_byte$k`, `rec_fill$k`, `rec_fills$k`, `rec_skip$k` (k = 0, 1) | out | registered, for one clock: the output of the operation's k-th byte shift, when it released bytes |
//!
//! # Timing
//!
//! - **Latency**: the records of an operation taken at edge `t` are on `rec_*` for the clock
//!   after edge `t + 3` (and only then); [`LATENCY`] = 3.
//! - **Throughput**: one operation per clock, whatever it is: a bin, a bypass group (any
//!   `n`) and each finish step take one clock, so a finish takes three and a block's
//!   `clear` one more; idle clocks (`in_valid` low) may come anywhere.
//! - A bin or bypass group needs at most two renormalisation shifts (`range ≥ 2^24` before,
//!   `≥ 2^12` after a bin, `≥ 2^8` after a bypass group), so two byte shifts per clock
//!   suffice ([`SHIFTS`]).
//!
//! # Records
//!
//! A byte shift releases bytes only when the byte leaving `low`
//! is settled; the released bytes are `rec_byte` (the held `cache` plus the carry) then
//! `rec_fills` copies of `rec_fill` (`0xFF`, or `0x00` after a carry) — the pending bytes,
//! which are never stored. `rec_skip` marks the very first release, whose first byte
//! (always 0) is not part of the block (§7.5). Record 0 comes before record 1; an operation
//! releases at most two records.
//!
//! # Stages
//!
//! - **A** (the recurrence; state `range`): bin `bound = (range >> 12)·p` (20 × 12-bit
//!   multiply), `range = bound` or `range − bound`; bypass `range >>= n`; then the count of
//!   renormalisation shifts (0, 1 or 2: whether the top one or two bytes of the new range
//!   are zero) and the shifted range. It passes on the shift count and a product to add
//!   to `low`, as a factor pair `(m, r)`: `(bin_value, bound)` for a bin, `(v, range >> n)`
//!   for a bypass group, `(0, ·)` for a finish step.
//! - **M1**: the two partial products `m[7:0]·r` and `m[15:8]·r` (8 × 32 bits each; as
//!   `m·r < 2^32`, the first is exact in 32 bits and the second in 24).
//! - **M2**: their sum, the value added to `low`.
//! - **B** (the byte output; state `low`, its carry bit, `cache`, `pending`): `low += add`,
//!   then the operation's byte shifts, both in parallel from the top two bytes of `low`
//!   (whether each is settled), into the records and the new `cache` and `pending`.

use rust_hdl::prelude::*;

use crate::prims::ShiftRight;
use crate::prims::UnsignedMul;

/// Byte shifts per clock (a bin or bypass group needs at most two).
pub const SHIFTS: usize = 2;
/// Clocks from the edge that takes an operation to the edge that registers its records.
pub const LATENCY: usize = 3;

/// Operation codes of `op`.
pub const OP_BIN: u64 = 0;
pub const OP_BYPASS: u64 = 1;
pub const OP_SHIFT2: u64 = 2;
pub const OP_SHIFT1: u64 = 3;

/// The pipelined range encoder unit (see the module documentation).
#[derive(LogicBlock)]
pub struct RangeFastUnit {
    pub clock: Signal<In, Clock>,
    pub clear: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub op: Signal<In, Bits<2>>,
    pub p: Signal<In, Bits<12>>,
    pub bin_value: Signal<In, Bit>,
    pub v: Signal<In, Bits<16>>,
    pub n: Signal<In, Bits<5>>,
    pub rec_valid: [Signal<Out, Bit>; SHIFTS],
    pub rec_byte: [Signal<Out, Bits<8>>; SHIFTS],
    pub rec_fill: [Signal<Out, Bits<8>>; SHIFTS],
    pub rec_fills: [Signal<Out, Bits<32>>; SHIFTS],
    pub rec_skip: [Signal<Out, Bit>; SHIFTS],
    // ---- stage A: `range`, stored inverted (registers power up at zero) ----
    range_n: DFF<Bits<32>>,
    mul_bin: UnsignedMul<20, 12, 32>,
    shr_bypass: ShiftRight<32, 5>,
    rng0: Signal<Local, Bits<32>>,
    r12: Signal<Local, Bits<20>>,
    diff: Signal<Local, Bits<32>>,
    /// the range after the operation, before renormalisation
    ra: Signal<Local, Bits<32>>,
    ra_top8: Signal<Local, Bits<8>>,
    ra_top16: Signal<Local, Bits<16>>,
    ra_lt24: Signal<Local, Bit>,
    ra_lt16: Signal<Local, Bit>,
    ra_sh8: Signal<Local, Bits<32>>,
    ra_sh16: Signal<Local, Bits<32>>,
    a_ns: Signal<Local, Bits<2>>,
    a_m: Signal<Local, Bits<16>>,
    a_r: Signal<Local, Bits<32>>,
    is_bin: Signal<Local, Bit>,
    is_bypass: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    arith: Signal<Local, Bit>,
    // ---- A → M1 ----
    s1_valid: DFF<Bit>,
    s1_clear: DFF<Bit>,
    s1_ns: DFF<Bits<2>>,
    s1_m: DFF<Bits<16>>,
    s1_r: DFF<Bits<32>>,
    mul_lo: UnsignedMul<8, 32, 32>,
    mul_hi: UnsignedMul<8, 24, 24>,
    // ---- M1 → M2 ----
    s2_valid: DFF<Bit>,
    s2_clear: DFF<Bit>,
    s2_ns: DFF<Bits<2>>,
    s2_lo: DFF<Bits<32>>,
    s2_hi: DFF<Bits<24>>,
    hi32: Signal<Local, Bits<32>>,
    hi_sh: Signal<Local, Bits<32>>,
    // ---- M2 → B ----
    s3_valid: DFF<Bit>,
    s3_clear: DFF<Bit>,
    s3_ns: DFF<Bits<2>>,
    s3_add: DFF<Bits<32>>,
    // ---- stage B: `low` (32 bits and its carry), `cache`, `pending − 1`, started ----
    low: DFF<Bits<32>>,
    carry: DFF<Bit>,
    cache: DFF<Bits<8>>,
    pend: DFF<Bits<32>>,
    /// the first released byte has been dropped
    started: DFF<Bit>,
    r_valid: [DFF<Bit>; SHIFTS],
    r_byte: [DFF<Bits<8>>; SHIFTS],
    r_fill: [DFF<Bits<8>>; SHIFTS],
    r_fills: [DFF<Bits<32>>; SHIFTS],
    r_skip: [DFF<Bit>; SHIFTS],
    low_wide: Signal<Local, Bits<33>>,
    add_wide: Signal<Local, Bits<33>>,
    low_sum: Signal<Local, Bits<33>>,
    lo: Signal<Local, Bits<32>>,
    lc: Signal<Local, Bit>,
    c8: Signal<Local, Bits<8>>,
    t0: Signal<Local, Bits<8>>,
    t1: Signal<Local, Bits<8>>,
    t0_ff: Signal<Local, Bit>,
    t1_ff: Signal<Local, Bit>,
    sh0: Signal<Local, Bit>,
    sh1: Signal<Local, Bit>,
    set0: Signal<Local, Bit>,
    rel0: Signal<Local, Bit>,
    rel1: Signal<Local, Bit>,
    pend1: Signal<Local, Bits<32>>,
    pend_ns: Signal<Local, Bits<32>>,
    ns32: Signal<Local, Bits<32>>,
    lo_sh8: Signal<Local, Bits<32>>,
    lo_sh16: Signal<Local, Bits<32>>,
    k_ff: Constant<Bits<8>>,
    k_zero8: Constant<Bits<8>>,
    k_one8: Constant<Bits<8>>,
    k_zero16: Constant<Bits<16>>,
    k_one16: Constant<Bits<16>>,
    k_zero32: Constant<Bits<32>>,
    k_one32: Constant<Bits<32>>,
    k_ns0: Constant<Bits<2>>,
    k_ns1: Constant<Bits<2>>,
    k_ns2: Constant<Bits<2>>,
    k_op_bin: Constant<Bits<2>>,
    k_op_bypass: Constant<Bits<2>>,
    k_op_shift2: Constant<Bits<2>>,
}

impl Default for RangeFastUnit {
    fn default() -> Self {
        RangeFastUnit {
            clock: Default::default(),
            clear: Default::default(),
            in_valid: Default::default(),
            op: Default::default(),
            p: Default::default(),
            bin_value: Default::default(),
            v: Default::default(),
            n: Default::default(),
            rec_valid: Default::default(),
            rec_byte: Default::default(),
            rec_fill: Default::default(),
            rec_fills: Default::default(),
            rec_skip: Default::default(),
            range_n: Default::default(),
            mul_bin: Default::default(),
            shr_bypass: Default::default(),
            rng0: Default::default(),
            r12: Default::default(),
            diff: Default::default(),
            ra: Default::default(),
            ra_top8: Default::default(),
            ra_top16: Default::default(),
            ra_lt24: Default::default(),
            ra_lt16: Default::default(),
            ra_sh8: Default::default(),
            ra_sh16: Default::default(),
            a_ns: Default::default(),
            a_m: Default::default(),
            a_r: Default::default(),
            is_bin: Default::default(),
            is_bypass: Default::default(),
            take: Default::default(),
            arith: Default::default(),
            s1_valid: Default::default(),
            s1_clear: Default::default(),
            s1_ns: Default::default(),
            s1_m: Default::default(),
            s1_r: Default::default(),
            mul_lo: Default::default(),
            mul_hi: Default::default(),
            s2_valid: Default::default(),
            s2_clear: Default::default(),
            s2_ns: Default::default(),
            s2_lo: Default::default(),
            s2_hi: Default::default(),
            hi32: Default::default(),
            hi_sh: Default::default(),
            s3_valid: Default::default(),
            s3_clear: Default::default(),
            s3_ns: Default::default(),
            s3_add: Default::default(),
            low: Default::default(),
            carry: Default::default(),
            cache: Default::default(),
            pend: Default::default(),
            started: Default::default(),
            r_valid: Default::default(),
            r_byte: Default::default(),
            r_fill: Default::default(),
            r_fills: Default::default(),
            r_skip: Default::default(),
            low_wide: Default::default(),
            add_wide: Default::default(),
            low_sum: Default::default(),
            lo: Default::default(),
            lc: Default::default(),
            c8: Default::default(),
            t0: Default::default(),
            t1: Default::default(),
            t0_ff: Default::default(),
            t1_ff: Default::default(),
            sh0: Default::default(),
            sh1: Default::default(),
            set0: Default::default(),
            rel0: Default::default(),
            rel1: Default::default(),
            pend1: Default::default(),
            pend_ns: Default::default(),
            ns32: Default::default(),
            lo_sh8: Default::default(),
            lo_sh16: Default::default(),
            k_ff: Constant::new(0xFFu64.into()),
            k_zero8: Constant::new(0u64.into()),
            k_one8: Constant::new(1u64.into()),
            k_zero16: Constant::new(0u64.into()),
            k_one16: Constant::new(1u64.into()),
            k_zero32: Constant::new(0u64.into()),
            k_one32: Constant::new(1u64.into()),
            k_ns0: Constant::new(0u64.into()),
            k_ns1: Constant::new(1u64.into()),
            k_ns2: Constant::new(2u64.into()),
            k_op_bin: Constant::new(OP_BIN.into()),
            k_op_bypass: Constant::new(OP_BYPASS.into()),
            k_op_shift2: Constant::new(OP_SHIFT2.into()),
        }
    }
}

impl Logic for RangeFastUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, range_n, s1_valid, s1_clear, s1_ns, s1_m, s1_r, s2_valid, s2_clear, s2_ns,
            s2_lo, s2_hi, s3_valid, s3_clear, s3_ns, s3_add, low, carry, cache, pend, started
        );
        for k in 0..SHIFTS {
            self.r_valid[k].clock.next = self.clock.val();
            self.r_byte[k].clock.next = self.clock.val();
            self.r_fill[k].clock.next = self.clock.val();
            self.r_fills[k].clock.next = self.clock.val();
            self.r_skip[k].clock.next = self.clock.val();
        }
        // ==== stage A: the range recurrence ==============================================
        self.rng0.next = !self.range_n.q.val();
        self.r12.next = self.rng0.val().get_bits::<20>(12);
        self.mul_bin.a.next = self.r12.val();
        self.mul_bin.b.next = self.p.val();
        self.shr_bypass.data.next = self.rng0.val();
        self.shr_bypass.amount.next = self.n.val();
        self.diff.next = self.rng0.val() - self.mul_bin.result.val();
        self.is_bin.next = self.op.val() == self.k_op_bin.val();
        self.is_bypass.next = self.op.val() == self.k_op_bypass.val();
        self.ra.next = self.shr_bypass.result.val();
        self.a_m.next = self.v.val();
        self.a_r.next = self.shr_bypass.result.val();
        if self.is_bin.val() {
            self.a_r.next = self.mul_bin.result.val();
            self.a_m.next = self.k_zero16.val();
            if self.bin_value.val() {
                self.ra.next = self.diff.val();
                self.a_m.next = self.k_one16.val();
            } else {
                self.ra.next = self.mul_bin.result.val();
            }
        }
        self.ra_top8.next = self.ra.val().get_bits::<8>(24);
        self.ra_top16.next = self.ra.val().get_bits::<16>(16);
        self.ra_lt24.next = self.ra_top8.val() == self.k_zero8.val();
        self.ra_lt16.next = self.ra_top16.val() == self.k_zero16.val();
        self.ra_sh8.next = self.ra.val() << 8;
        self.ra_sh16.next = self.ra.val() << 16;
        // the shift ops leave range alone and add nothing to low
        self.range_n.d.next = self.range_n.q.val();
        self.a_ns.next = self.k_ns1.val();
        if self.op.val() == self.k_op_shift2.val() {
            self.a_ns.next = self.k_ns2.val();
        }
        self.arith.next = self.is_bin.val() | self.is_bypass.val();
        if self.arith.val() {
            if self.ra_lt16.val() {
                self.a_ns.next = self.k_ns2.val();
                self.range_n.d.next = !self.ra_sh16.val();
            } else if self.ra_lt24.val() {
                self.a_ns.next = self.k_ns1.val();
                self.range_n.d.next = !self.ra_sh8.val();
            } else {
                self.a_ns.next = self.k_ns0.val();
                self.range_n.d.next = !self.ra.val();
            }
        } else {
            self.a_m.next = self.k_zero16.val();
        }
        self.take.next = self.in_valid.val() & !self.clear.val();
        if !self.take.val() {
            self.range_n.d.next = self.range_n.q.val();
        }
        if self.clear.val() {
            self.range_n.d.next = self.k_zero32.val();
        }
        self.s1_valid.d.next = self.take.val();
        self.s1_clear.d.next = self.clear.val();
        self.s1_ns.d.next = self.a_ns.val();
        self.s1_m.d.next = self.a_m.val();
        self.s1_r.d.next = self.a_r.val();
        // ==== stage M1: two 8 × 32-bit partial products ===================================
        self.mul_lo.a.next = self.s1_m.q.val().get_bits::<8>(0);
        self.mul_lo.b.next = self.s1_r.q.val();
        self.mul_hi.a.next = self.s1_m.q.val().get_bits::<8>(8);
        self.mul_hi.b.next = self.s1_r.q.val().get_bits::<24>(0);
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_clear.d.next = self.s1_clear.q.val();
        self.s2_ns.d.next = self.s1_ns.q.val();
        self.s2_lo.d.next = self.mul_lo.result.val();
        self.s2_hi.d.next = self.mul_hi.result.val();
        // ==== stage M2: their sum =========================================================
        self.hi32.next = bit_cast::<32, 24>(self.s2_hi.q.val());
        self.hi_sh.next = self.hi32.val() << 8;
        self.s3_valid.d.next = self.s2_valid.q.val();
        self.s3_clear.d.next = self.s2_clear.q.val();
        self.s3_ns.d.next = self.s2_ns.q.val();
        self.s3_add.d.next = self.s2_lo.q.val() + self.hi_sh.val();
        // ==== stage B: low, and the byte shifts (ShiftLow of §7.5, up to twice) ===========
        self.low_wide.next = bit_cast::<33, 32>(self.low.q.val());
        self.add_wide.next = bit_cast::<33, 32>(self.s3_add.q.val());
        self.low_sum.next = self.low_wide.val() + self.add_wide.val();
        self.lo.next = self.low_sum.val().get_bits::<32>(0);
        self.lc.next = self.carry.q.val() | self.low_sum.val().get_bit(32);
        self.c8.next = self.k_zero8.val();
        if self.lc.val() {
            self.c8.next = self.k_one8.val();
        }
        self.t0.next = self.lo.val().get_bits::<8>(24);
        self.t1.next = self.lo.val().get_bits::<8>(16);
        self.t0_ff.next = self.t0.val() == self.k_ff.val();
        self.t1_ff.next = self.t1.val() == self.k_ff.val();
        self.sh0.next = self.s3_ns.q.val() != self.k_ns0.val();
        self.sh1.next = self.s3_ns.q.val() == self.k_ns2.val();
        // a shift releases when its byte is settled: a carry, or a top byte below 0xFF
        self.set0.next = self.lc.val() | !self.t0_ff.val();
        self.rel0.next = self.sh0.val() & self.set0.val();
        self.rel1.next = self.sh1.val() & !self.t1_ff.val();
        // `pend` holds pending − 1
        self.pend1.next = self.pend.q.val() + self.k_one32.val();
        self.ns32.next = bit_cast::<32, 2>(self.s3_ns.q.val());
        self.pend_ns.next = self.pend.q.val() + self.ns32.val();
        self.lo_sh8.next = self.lo.val() << 8;
        self.lo_sh16.next = self.lo.val() << 16;
        // records: shift 0 releases the cache (plus the carry) and pending − 1 fills; shift 1
        // releases the byte shift 0 settled and no fills, or (shift 0 not settled, so no
        // carry) the cache and the pending + 1 − 1 fills
        self.r_valid[0].d.next = self.s3_valid.q.val() & self.rel0.val();
        self.r_byte[0].d.next = self.cache.q.val() + self.c8.val();
        self.r_fill[0].d.next = self.k_ff.val() + self.c8.val();
        self.r_fills[0].d.next = self.pend.q.val();
        self.r_skip[0].d.next = !self.started.q.val();
        self.r_valid[1].d.next = self.s3_valid.q.val() & self.rel1.val();
        self.r_fill[1].d.next = self.k_ff.val();
        if self.rel0.val() {
            self.r_byte[1].d.next = self.t0.val();
            self.r_fills[1].d.next = self.k_zero32.val();
            self.r_skip[1].d.next = false;
        } else {
            self.r_byte[1].d.next = self.cache.q.val();
            self.r_fills[1].d.next = self.pend1.val();
            self.r_skip[1].d.next = !self.started.q.val();
        }
        // the state after the shifts
        self.low.d.next = self.low.q.val();
        self.carry.d.next = self.carry.q.val();
        self.cache.d.next = self.cache.q.val();
        self.pend.d.next = self.pend.q.val();
        self.started.d.next = self.started.q.val();
        if self.s3_valid.q.val() {
            self.low.d.next = self.lo.val();
            self.carry.d.next = self.lc.val();
            if self.sh1.val() {
                self.low.d.next = self.lo_sh16.val();
                self.carry.d.next = false;
            } else if self.sh0.val() {
                self.low.d.next = self.lo_sh8.val();
                self.carry.d.next = false;
            }
            self.started.d.next = self.started.q.val() | self.rel0.val() | self.rel1.val();
            if self.rel1.val() {
                self.cache.d.next = self.t1.val();
                self.pend.d.next = self.k_zero32.val();
            } else if self.rel0.val() {
                self.cache.d.next = self.t0.val();
                // pending = the shifts after shift 0, plus one
                self.pend.d.next = self.k_zero32.val();
                if self.sh1.val() {
                    self.pend.d.next = self.k_one32.val();
                }
            } else {
                self.pend.d.next = self.pend_ns.val();
            }
        }
        if self.s3_clear.q.val() {
            self.low.d.next = self.k_zero32.val();
            self.carry.d.next = false;
            self.cache.d.next = self.k_zero8.val();
            self.pend.d.next = self.k_zero32.val();
            self.started.d.next = false;
        }
        for k in 0..SHIFTS {
            self.rec_valid[k].next = self.r_valid[k].q.val();
            self.rec_byte[k].next = self.r_byte[k].q.val();
            self.rec_fill[k].next = self.r_fill[k].q.val();
            self.rec_fills[k].next = self.r_fills[k].q.val();
            self.rec_skip[k].next = self.r_skip[k].q.val();
        }
    }
}
