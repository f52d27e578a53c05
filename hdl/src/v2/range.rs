//! The range encoder of coder v2 (FORMAT.md §7.5) as one hardware unit, one operation per
//! clock, bit-exact with `neurice_model::v2::range::RangeEncoder`. A building block of the
//! v2 core (issue 12): it codes what it is given, it does not model contexts.
//!
//! # Ports
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | rising edge |
//! | `clear` | in | restart state (`low = 0`, `range = 2^32 − 1`, `cache = 0`, `pending = 1`, first byte not yet dropped); wins over `in_valid` |
//! | `in_valid`, `op[1:0]` | in | an operation is done at an edge where `in_valid`: 0 = bin, 1 = bypass group, 2 = three byte shifts, 3 = two byte shifts (the finish of a block is op 2 then op 3: five shifts) |
//! | `p[11:0]`, `bin_value` | in | bin: probability of a zero (`0 < p < 4096`) and the bin |
//! | `v[15:0]`, `n[4:0]` | in | bypass: the low `n ≤ 16` bits of `v` (`v < 2^n`) |
//! | `rec_valid$k`, `rec_byte$k`, `rec_fill$k`, `rec_fills$k`, `rec_skip$k` (k = 0, 1, 2) | out | registered, for one clock after the edge: the output of the operation's k-th byte shift, when it released bytes |
//!
//! A byte shift releases bytes only when the byte leaving `low` is settled; the released
//! bytes are `rec_byte` (the held `cache` plus the carry) then `rec_fills` copies of
//! `rec_fill` (`0xFF`, or `0x00` after a carry) — the pending bytes, which are never stored.
//! `rec_skip` marks the very first release, whose first byte (always 0) is not part of the
//! block (§7.5). Records are therefore run-length: a later stage (the output FIFO) expands
//! them into bytes, at most three per operation.
//!
//! # Datapath (one clock)
//!
//! bin: `bound = (range >> 12)·p` (20 × 12-bit multiply), then `low += bound`,
//! `range −= bound` for a 1, `range = bound` for a 0; bypass: `range >>= n`,
//! `low += v·range` (16 × 32-bit multiply, exact below 2^32); then up to three
//! renormalisation shifts (`range < 2^24`), each a byte shift of `low` through `cache` and
//! `pending`. `low` is held as 32 bits plus its carry bit (`low < 2^33` always).

use rust_hdl::prelude::*;

use crate::prims::ShiftRight;

/// Byte shifts per clock (a bin or bypass group needs at most three).
pub const SHIFTS: usize = 3;

/// Operation codes of `op`.
pub const OP_BIN: u64 = 0;
pub const OP_BYPASS: u64 = 1;
pub const OP_SHIFT3: u64 = 2;
pub const OP_SHIFT2: u64 = 3;

/// `result = a · b` (unsigned), low `R` bits; a leaf so that the simulation multiplies
/// natively and the Verilog is one `*`.
#[derive(LogicBlock, Default)]
pub struct UnsignedMul<const A: usize, const B: usize, const R: usize> {
    pub a: Signal<In, Bits<A>>,
    pub b: Signal<In, Bits<B>>,
    pub result: Signal<Out, Bits<R>>,
}

impl<const A: usize, const B: usize, const R: usize> Logic for UnsignedMul<A, B, R> {
    fn update(&mut self) {
        let p = self.a.val().to_u64() as u128 * self.b.val().to_u64() as u128;
        self.result.next = ((p & ((1u128 << R) - 1)) as u64).into();
    }

    fn connect(&mut self) {
        self.result.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) begin\n   result = a * b;\nend\n".into())
    }
}

/// The range encoder unit (see the module documentation).
#[derive(LogicBlock)]
pub struct RangeEncoderUnit {
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
    // state
    low: DFF<Bits<32>>,
    carry: DFF<Bit>,
    range: DFF<Bits<32>>,
    cache: DFF<Bits<8>>,
    pending: DFF<Bits<32>>,
    /// the first released byte has been dropped
    started: DFF<Bit>,
    r_valid: [DFF<Bit>; SHIFTS],
    r_byte: [DFF<Bits<8>>; SHIFTS],
    r_fill: [DFF<Bits<8>>; SHIFTS],
    r_fills: [DFF<Bits<32>>; SHIFTS],
    r_skip: [DFF<Bit>; SHIFTS],
    // arithmetic
    mul_bin: UnsignedMul<20, 12, 32>,
    shr_bypass: ShiftRight<32, 5>,
    mul_bypass: UnsignedMul<16, 32, 32>,
    r12: Signal<Local, Bits<20>>,
    add: Signal<Local, Bits<32>>,
    low_sum: Signal<Local, Bits<33>>,
    low_wide: Signal<Local, Bits<33>>,
    add_wide: Signal<Local, Bits<33>>,
    range_a: Signal<Local, Bits<32>>,
    /// renormalisation: `rng[k + 1]` is the range before shift k (`rng[0]` the stored
    /// range, `rng[4]` the result), `do_shift[k]` whether shift k happens
    rng: [Signal<Local, Bits<32>>; 5],
    do_shift: [Signal<Local, Bit>; SHIFTS],
    /// the byte-shift chain: state before shift k
    lo: [Signal<Local, Bits<32>>; 4],
    lc: [Signal<Local, Bit>; 4],
    ca: [Signal<Local, Bits<8>>; 4],
    pe: [Signal<Local, Bits<32>>; 4],
    st: [Signal<Local, Bit>; 4],
    top_byte: [Signal<Local, Bits<8>>; SHIFTS],
    settled: [Signal<Local, Bit>; SHIFTS],
    carry8: [Signal<Local, Bits<8>>; SHIFTS],
    k_top: Constant<Bits<32>>,
    k_ff: Constant<Bits<8>>,
    k_zero8: Constant<Bits<8>>,
    k_one8: Constant<Bits<8>>,
    k_one32: Constant<Bits<32>>,
    k_zero32: Constant<Bits<32>>,
    k_op_bin: Constant<Bits<2>>,
    k_op_bypass: Constant<Bits<2>>,
    k_op_shift3: Constant<Bits<2>>,
    k_op_shift2: Constant<Bits<2>>,
}

impl Default for RangeEncoderUnit {
    fn default() -> Self {
        RangeEncoderUnit {
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
            low: Default::default(),
            carry: Default::default(),
            // registers start at zero (no reset): the restart values are stored inverted
            // or offset where they are not zero — see `update`
            range: Default::default(),
            cache: Default::default(),
            pending: Default::default(),
            started: Default::default(),
            r_valid: Default::default(),
            r_byte: Default::default(),
            r_fill: Default::default(),
            r_fills: Default::default(),
            r_skip: Default::default(),
            mul_bin: Default::default(),
            shr_bypass: Default::default(),
            mul_bypass: Default::default(),
            r12: Default::default(),
            add: Default::default(),
            low_sum: Default::default(),
            low_wide: Default::default(),
            add_wide: Default::default(),
            range_a: Default::default(),
            rng: Default::default(),
            do_shift: Default::default(),
            lo: Default::default(),
            lc: Default::default(),
            ca: Default::default(),
            pe: Default::default(),
            st: Default::default(),
            top_byte: Default::default(),
            settled: Default::default(),
            carry8: Default::default(),
            k_top: Constant::new((1u64 << 24).into()),
            k_ff: Constant::new(0xFFu64.into()),
            k_zero8: Constant::new(0u64.into()),
            k_one8: Constant::new(1u64.into()),
            k_one32: Constant::new(1u64.into()),
            k_zero32: Constant::new(0u64.into()),
            k_op_bin: Constant::new(OP_BIN.into()),
            k_op_bypass: Constant::new(OP_BYPASS.into()),
            k_op_shift3: Constant::new(OP_SHIFT3.into()),
            k_op_shift2: Constant::new(OP_SHIFT2.into()),
        }
    }
}

impl Logic for RangeEncoderUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, low, carry, range, cache, pending, started);
        for k in 0..SHIFTS {
            self.r_valid[k].clock.next = self.clock.val();
            self.r_byte[k].clock.next = self.clock.val();
            self.r_fill[k].clock.next = self.clock.val();
            self.r_fills[k].clock.next = self.clock.val();
            self.r_skip[k].clock.next = self.clock.val();
        }
        // The registers power up at zero, so `range` and `pending` are stored as their
        // complement and their offset from 1: range = !range.q, pending = pending.q + 1.
        // (Written out below as `rng[0]` and `pe[0]`.)
        self.rng[0].next = !self.range.q.val();
        self.pe[0].next = self.pending.q.val() + self.k_one32.val();
        // ---- the operation -------------------------------------------------------------
        self.r12.next = self.rng[0].val().get_bits::<20>(12);
        self.mul_bin.a.next = self.r12.val();
        self.mul_bin.b.next = self.p.val();
        self.shr_bypass.data.next = self.rng[0].val();
        self.shr_bypass.amount.next = self.n.val();
        self.mul_bypass.a.next = self.v.val();
        self.mul_bypass.b.next = self.shr_bypass.result.val();
        self.add.next = self.k_zero32.val();
        self.range_a.next = self.rng[0].val();
        if self.op.val() == self.k_op_bin.val() {
            if self.bin_value.val() {
                self.add.next = self.mul_bin.result.val();
                self.range_a.next = self.rng[0].val() - self.mul_bin.result.val();
            } else {
                self.range_a.next = self.mul_bin.result.val();
            }
        } else if self.op.val() == self.k_op_bypass.val() {
            self.add.next = self.mul_bypass.result.val();
            self.range_a.next = self.shr_bypass.result.val();
        }
        self.low_wide.next = bit_cast::<33, 32>(self.low.q.val());
        self.add_wide.next = bit_cast::<33, 32>(self.add.val());
        self.low_sum.next = self.low_wide.val() + self.add_wide.val();
        self.lo[0].next = self.low_sum.val().get_bits::<32>(0);
        self.lc[0].next = self.carry.q.val() | self.low_sum.val().get_bit(32);
        self.ca[0].next = self.cache.q.val();
        self.st[0].next = self.started.q.val();
        // ---- how many byte shifts ------------------------------------------------------
        self.rng[1].next = self.range_a.val();
        for k in 0..SHIFTS {
            self.do_shift[k].next = self.rng[k + 1].val() < self.k_top.val();
            self.rng[k + 1 + 1].next = self.rng[k + 1].val();
            if self.do_shift[k].val() {
                self.rng[k + 1 + 1].next = self.rng[k + 1].val() << 8;
            }
        }
        if self.op.val() == self.k_op_shift3.val() {
            for k in 0..SHIFTS {
                self.do_shift[k].next = true;
            }
        }
        if self.op.val() == self.k_op_shift2.val() {
            self.do_shift[0].next = true;
            self.do_shift[1].next = true;
            self.do_shift[2].next = false;
        }
        // ---- the byte-shift chain (ShiftLow of §7.5, up to three times) ------------------
        for k in 0..SHIFTS {
            self.top_byte[k].next = self.lo[k].val().get_bits::<8>(24);
            self.settled[k].next = self.lc[k].val() | (self.top_byte[k].val() != self.k_ff.val());
            self.carry8[k].next = self.k_zero8.val();
            if self.lc[k].val() {
                self.carry8[k].next = self.k_one8.val();
            }
            self.lo[k + 1].next = self.lo[k].val();
            self.lc[k + 1].next = self.lc[k].val();
            self.ca[k + 1].next = self.ca[k].val();
            self.pe[k + 1].next = self.pe[k].val();
            self.st[k + 1].next = self.st[k].val();
            self.r_valid[k].d.next = false;
            self.r_byte[k].d.next = self.ca[k].val() + self.carry8[k].val();
            self.r_fill[k].d.next = self.k_ff.val() + self.carry8[k].val();
            self.r_fills[k].d.next = self.pe[k].val() - self.k_one32.val();
            self.r_skip[k].d.next = !self.st[k].val();
            if self.do_shift[k].val() {
                self.lo[k + 1].next = self.lo[k].val() << 8;
                self.lc[k + 1].next = false;
                self.pe[k + 1].next = self.pe[k].val() + self.k_one32.val();
                if self.settled[k].val() {
                    self.r_valid[k].d.next = true;
                    self.ca[k + 1].next = self.top_byte[k].val();
                    self.pe[k + 1].next = self.k_one32.val();
                    self.st[k + 1].next = true;
                }
            }
        }
        // ---- state update --------------------------------------------------------------
        if self.in_valid.val() {
            self.low.d.next = self.lo[3].val();
            self.carry.d.next = self.lc[3].val();
            self.range.d.next = !self.rng[4].val();
            if self.op.val().get_bit(1) {
                // the shift ops leave range alone
                self.range.d.next = self.range.q.val();
            }
            self.cache.d.next = self.ca[3].val();
            self.pending.d.next = self.pe[3].val() - self.k_one32.val();
            self.started.d.next = self.st[3].val();
        } else {
            for k in 0..SHIFTS {
                self.r_valid[k].d.next = false;
            }
        }
        if self.clear.val() {
            self.low.d.next = self.k_zero32.val();
            self.carry.d.next = false;
            self.range.d.next = self.k_zero32.val();
            self.cache.d.next = self.k_zero8.val();
            self.pending.d.next = self.k_zero32.val();
            self.started.d.next = false;
            for k in 0..SHIFTS {
                self.r_valid[k].d.next = false;
            }
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
