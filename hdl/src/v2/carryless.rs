//! The carry-less range encoder of the multi-coder draft (FORMAT.md §7.10) as one hardware
//! unit, one operation per clock, bit-exact with
//! `neurice_model::v2::multi::CarrylessEncoder`. One of the K coders a multi-coder v2 core
//! runs side by side; it codes what it is given and does not model contexts.
//!
//! # Ports
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | rising edge |
//! | `clear` | in | restart state (`low = 0`, `range = 2^32 − 1`); wins over `in_valid` |
//! | `in_valid`, `op[1:0]` | in | an operation is taken at an edge where `in_valid` and `in_ready`: 0 = bin, 1 = bypass group, 2 = one forced step (`CarrylessEncoder::force_step`), 3 = finish (the four bytes of `low`, then the restart state) |
//! | `in_ready` | out | registered: the last operation's renormalisation is done (low for the extra clocks an operation needing more than [`STEPS`] steps takes; the inputs are then ignored) |
//! | `p[11:0]`, `bin_value` | in | bin: probability of a zero (`0 < p < 4096`) and the bin |
//! | `v[15:0]`, `n[4:0]` | in | bypass: the low `n ≤ 16` bits of `v` (`v < 2^n`) |
//! | `out_valid$k`, `out_byte$k` (k < [`OUT_BYTES`]) | out | registered, for one clock after the edge: the bytes stored in that clock, in order of `k` (not packed: a step that cut the range stores none) |
//!
//! # Datapath (one clock)
//!
//! bin: `bound = (range >> 12)·p` (20 × 12-bit multiply), `low += bound`, `range −= bound`
//! for a 1, `range = bound` for a 0; bypass: `range >>= n`, `low += v·range`; force: `range =
//! min(range, 2^24 − (low mod 2^24))`. Then [`STEPS`] renormalisation steps, each: if `low`
//! and `low + range − 1` share their top byte, store it and shift (`range` saturating at
//! 2^32 − 1); else if `range < 2^16`, cut it to `2^16 − (low mod 2^16)`; else nothing. If a
//! step is still due after them, the unit stays busy and does [`STEPS`] more in the next
//! clock. No carry exists (`low + range ≤ 2^32`), so `low` is 32 bits and nothing is held
//! back.

use rust_hdl::prelude::*;

use super::range::UnsignedMul;
use crate::prims::ShiftRight;

/// Renormalisation steps per clock (a shift or a cut each). An operation needs up to six
/// (five shifts and one cut, FORMAT.md §7.10); the rest are done in further clocks, with
/// `in_ready` low.
pub const STEPS: usize = 2;
/// Byte outputs per clock: `STEPS` shifts, or the four bytes of a finish.
pub const OUT_BYTES: usize = 4;

/// Operation codes of `op`.
pub const OP_BIN: u64 = 0;
pub const OP_BYPASS: u64 = 1;
pub const OP_FORCE: u64 = 2;
pub const OP_FINISH: u64 = 3;

/// The carry-less range encoder unit (see the module documentation).
#[derive(LogicBlock)]
pub struct CarrylessUnit {
    pub clock: Signal<In, Clock>,
    pub clear: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub op: Signal<In, Bits<2>>,
    pub p: Signal<In, Bits<12>>,
    pub bin_value: Signal<In, Bit>,
    pub v: Signal<In, Bits<16>>,
    pub n: Signal<In, Bits<5>>,
    pub in_ready: Signal<Out, Bit>,
    pub out_valid: [Signal<Out, Bit>; OUT_BYTES],
    pub out_byte: [Signal<Out, Bits<8>>; OUT_BYTES],
    // state: `range` is stored inverted (registers power up at zero; the restart range is
    // 2^32 − 1)
    low: DFF<Bits<32>>,
    range_n: DFF<Bits<32>>,
    /// the last operation's renormalisation is not finished
    busy: DFF<Bit>,
    r_valid: [DFF<Bit>; OUT_BYTES],
    r_byte: [DFF<Bits<8>>; OUT_BYTES],
    // arithmetic
    mul_bin: UnsignedMul<20, 12, 32>,
    shr_bypass: ShiftRight<32, 5>,
    mul_bypass: UnsignedMul<16, 32, 32>,
    range0: Signal<Local, Bits<32>>,
    r12: Signal<Local, Bits<20>>,
    low24: Signal<Local, Bits<32>>,
    to_byte: Signal<Local, Bits<32>>,
    /// the chain: `lo[k]`, `rg[k]`, `done[k]` before step k
    lo: [Signal<Local, Bits<32>>; 3],
    rg: [Signal<Local, Bits<32>>; 3],
    done: [Signal<Local, Bit>; 3],
    rg_less: Signal<Local, Bits<32>>,
    lo16: [Signal<Local, Bits<32>>; STEPS],
    /// `low + range − 1`, carried along the chain without an adder
    last: [Signal<Local, Bits<32>>; 3],
    /// `low XOR (low + range − 1)`: below 2^24 when the top byte is settled
    differ: [Signal<Local, Bits<32>>; 3],
    settled: [Signal<Local, Bit>; 3],
    small: [Signal<Local, Bit>; 3],
    more: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    step: Signal<Local, Bit>,
    k_one32: Constant<Bits<32>>,
    k_zero32: Constant<Bits<32>>,
    k_top: Constant<Bits<32>>,
    k_bot: Constant<Bits<32>>,
    k_mask24: Constant<Bits<32>>,
    k_mask16: Constant<Bits<32>>,
    k_ff: Constant<Bits<32>>,
    k_max: Constant<Bits<32>>,
    k_max_less: Constant<Bits<32>>,
    k_op_bin: Constant<Bits<2>>,
    k_op_bypass: Constant<Bits<2>>,
    k_op_force: Constant<Bits<2>>,
    k_op_finish: Constant<Bits<2>>,
}

impl Default for CarrylessUnit {
    fn default() -> Self {
        CarrylessUnit {
            clock: Default::default(),
            clear: Default::default(),
            in_valid: Default::default(),
            op: Default::default(),
            p: Default::default(),
            bin_value: Default::default(),
            v: Default::default(),
            n: Default::default(),
            in_ready: Default::default(),
            out_valid: Default::default(),
            out_byte: Default::default(),
            low: Default::default(),
            range_n: Default::default(),
            busy: Default::default(),
            r_valid: Default::default(),
            r_byte: Default::default(),
            mul_bin: Default::default(),
            shr_bypass: Default::default(),
            mul_bypass: Default::default(),
            range0: Default::default(),
            r12: Default::default(),
            low24: Default::default(),
            to_byte: Default::default(),
            lo: Default::default(),
            rg: Default::default(),
            done: Default::default(),
            rg_less: Default::default(),
            lo16: Default::default(),
            last: Default::default(),
            differ: Default::default(),
            settled: Default::default(),
            small: Default::default(),
            more: Default::default(),
            take: Default::default(),
            step: Default::default(),
            k_one32: Constant::new(1u64.into()),
            k_zero32: Constant::new(0u64.into()),
            k_top: Constant::new((1u64 << 24).into()),
            k_bot: Constant::new((1u64 << 16).into()),
            k_mask24: Constant::new(0xFF_FFFFu64.into()),
            k_mask16: Constant::new(0xFFFFu64.into()),
            k_ff: Constant::new(0xFFu64.into()),
            k_max: Constant::new(0xFFFF_FFFFu64.into()),
            k_max_less: Constant::new(0xFFFF_FFFEu64.into()),
            k_op_bin: Constant::new(OP_BIN.into()),
            k_op_bypass: Constant::new(OP_BYPASS.into()),
            k_op_force: Constant::new(OP_FORCE.into()),
            k_op_finish: Constant::new(OP_FINISH.into()),
        }
    }
}

impl Logic for CarrylessUnit {
    // nested `if`s, not `&&`: rust-hdl emits boolean operators without parentheses
    #[allow(clippy::collapsible_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, low, range_n, busy);
        for k in 0..OUT_BYTES {
            self.r_valid[k].clock.next = self.clock.val();
            self.r_byte[k].clock.next = self.clock.val();
        }
        self.range0.next = !self.range_n.q.val();
        // ---- the operation -------------------------------------------------------------
        self.r12.next = self.range0.val().get_bits::<20>(12);
        self.mul_bin.a.next = self.r12.val();
        self.mul_bin.b.next = self.p.val();
        self.shr_bypass.data.next = self.range0.val();
        self.shr_bypass.amount.next = self.n.val();
        self.mul_bypass.a.next = self.v.val();
        self.mul_bypass.b.next = self.shr_bypass.result.val();
        self.low24.next = self.low.q.val() & self.k_mask24.val();
        self.to_byte.next = self.k_top.val() - self.low24.val();
        // an operation is taken when valid and the last one is finished; a busy clock
        // continues the last one's renormalisation from the stored state
        self.take.next = self.in_valid.val() & !self.busy.q.val();
        self.step.next = self.take.val() | self.busy.q.val();
        self.lo[0].next = self.low.q.val();
        self.rg[0].next = self.range0.val();
        if self.busy.q.val() {
            // nothing to add
        } else if self.op.val() == self.k_op_bin.val() {
            if self.bin_value.val() {
                self.lo[0].next = self.low.q.val() + self.mul_bin.result.val();
                self.rg[0].next = self.range0.val() - self.mul_bin.result.val();
            } else {
                self.rg[0].next = self.mul_bin.result.val();
            }
        } else if self.op.val() == self.k_op_bypass.val() {
            self.lo[0].next = self.low.q.val() + self.mul_bypass.result.val();
            self.rg[0].next = self.shr_bypass.result.val();
        } else if self.op.val() == self.k_op_force.val() {
            if self.range0.val() > self.to_byte.val() {
                self.rg[0].next = self.to_byte.val();
            }
        }
        self.done[0].next = false;
        if !self.busy.q.val() {
            if self.op.val() == self.k_op_finish.val() {
                self.done[0].next = true;
            }
        }
        // ---- renormalisation: STEPS steps, then whether more are needed ------------------
        // `last = low + range − 1` is added once; a shift makes it `last << 8 | 0xFF` (or
        // 2^32 − 2 when the range saturates, which happens only at `low = 0`), a cut makes
        // it `low | 0xFFFF`: the chain itself needs no 32-bit adder
        self.rg_less.next = self.rg[0].val() - self.k_one32.val();
        self.last[0].next = self.lo[0].val() + self.rg_less.val();
        for k in 0..3 {
            self.differ[k].next = self.lo[k].val() ^ self.last[k].val();
            self.settled[k].next = self.differ[k].val() < self.k_top.val();
            self.small[k].next = self.rg[k].val() < self.k_bot.val();
        }
        for k in 0..STEPS {
            self.lo16[k].next = self.lo[k].val() & self.k_mask16.val();
            self.lo[k + 1].next = self.lo[k].val();
            self.rg[k + 1].next = self.rg[k].val();
            self.last[k + 1].next = self.last[k].val();
            self.done[k + 1].next = self.done[k].val();
            self.r_valid[k].d.next = false;
            self.r_byte[k].d.next = self.lo[k].val().get_bits::<8>(24);
            if !self.done[k].val() {
                if self.settled[k].val() {
                    self.r_valid[k].d.next = true;
                    self.lo[k + 1].next = self.lo[k].val() << 8;
                    self.rg[k + 1].next = self.rg[k].val() << 8;
                    self.last[k + 1].next = (self.last[k].val() << 8) | self.k_ff.val();
                    if self.rg[k].val().get_bit(24) {
                        self.rg[k + 1].next = self.k_max.val();
                        self.last[k + 1].next = self.k_max_less.val();
                    }
                } else if self.small[k].val() {
                    self.rg[k + 1].next = self.k_bot.val() - self.lo16[k].val();
                    self.last[k + 1].next = self.lo[k].val() | self.k_mask16.val();
                } else {
                    self.done[k + 1].next = true;
                }
            }
        }
        for k in STEPS..OUT_BYTES {
            self.r_valid[k].d.next = false;
            self.r_byte[k].d.next = self.low.q.val().get_bits::<8>(0);
        }
        self.more.next = false;
        if !self.done[2].val() {
            if self.settled[2].val() | self.small[2].val() {
                self.more.next = true;
            }
        }
        // ---- finish: the four bytes of low -----------------------------------------------
        if !self.busy.q.val() {
            if self.op.val() == self.k_op_finish.val() {
                self.r_valid[0].d.next = true;
                self.r_byte[0].d.next = self.low.q.val().get_bits::<8>(24);
                self.r_valid[1].d.next = true;
                self.r_byte[1].d.next = self.low.q.val().get_bits::<8>(16);
                self.r_valid[2].d.next = true;
                self.r_byte[2].d.next = self.low.q.val().get_bits::<8>(8);
                self.r_valid[3].d.next = true;
                self.r_byte[3].d.next = self.low.q.val().get_bits::<8>(0);
            }
        }
        // ---- state update --------------------------------------------------------------
        if self.step.val() {
            self.low.d.next = self.lo[2].val();
            self.range_n.d.next = !self.rg[2].val();
            self.busy.d.next = self.more.val();
            if !self.busy.q.val() {
                if self.op.val() == self.k_op_finish.val() {
                    self.low.d.next = self.k_zero32.val();
                    self.range_n.d.next = self.k_zero32.val();
                }
            }
        } else {
            for k in 0..OUT_BYTES {
                self.r_valid[k].d.next = false;
            }
        }
        if self.clear.val() {
            self.low.d.next = self.k_zero32.val();
            self.range_n.d.next = self.k_zero32.val();
            self.busy.d.next = false;
            for k in 0..OUT_BYTES {
                self.r_valid[k].d.next = false;
            }
        }
        self.in_ready.next = !self.busy.q.val();
        for k in 0..OUT_BYTES {
            self.out_valid[k].next = self.r_valid[k].q.val();
            self.out_byte[k].next = self.r_byte[k].q.val();
        }
    }
}
