//! The binarisation of coder v2 (FORMAT.md §7.4) as a bin sequencer (issue 12): a sample's
//! magnitude `u` and code index `s` in, the operations of the range coder out, one per clock,
//! in the form the range encoder ([`super::range_fast::RangeFastUnit`]) takes them (`op`, `bin_value`, `v`, `n`),
//! with the **context index** of each bin in place of its probability (the core reads `p`
//! from its context table at that index). Bit-exact with `v2::binarise` and `v2::context`.
//!
//! ```text
//!          ┌──────────────────────┐ r ┌───────────────────────┐ o
//! u, s ───►│ binarise: u >> e, q, │──►│ sequencer: op `idx` of │──► op, ctx, bin_value,
//! (valid,  │ remainder bins,      │   │ the sample: prefix     │    v, n, last (valid, tag)
//!  tag)    │ bypass bits, escape  │   │ bins, remainder bins,  │
//! ◄─ ready └──────────────────────┘   │ bypass group           │
//!                                      └───────────────────────┘
//! ```
//!
//! # Ports
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | rising edge |
//! | `in_valid`, `in_tag[9:0]`, `u[9:0]`, `s[4:0]` | in | a sample (`s ≤ 2W − 2`), taken at an edge where `in_valid` and `in_ready` |
//! | `in_ready` | out | the sample on the inputs is taken at this edge (the record slot is empty or the sequencer takes its record at this edge: from registers and `op_ready`) |
//! | `op_valid` | out | an operation is on the outputs in this clock (from registers) |
//! | `op_ready` | in | the operation on the outputs is taken at this edge (with `op_valid`); while low the sequencer holds it (tie high for one operation per clock) |
//! | `busy` | out | a sample is in the record slot or being sent (from registers) |
//! | `op[1:0]` | out | `OP_BIN` or `OP_BYPASS` ([`super::range_fast`]) |
//! | `ctx[7:0]`, `bin_value` | out | a bin: its context index (§7.4: `prefix(s, j)`, `remainder(s, b)`) and its value |
//! | `v[15:0]`, `n[4:0]` | out | a bypass group: the low `n` bits of `v` (`1 ≤ n ≤ W`; a group of no bits is not sent) |
//! | `last`, `op_tag[9:0]` | out | the sample's last operation; the sample's tag |
//!
//! A sample gives `q + 1` prefix bins (`Q` when it escapes), 0–2 remainder bins and at most
//! one bypass group: 1 to `Q + 1` operations (3.70 bins per sample on the recordings, §7.8,
//! plus the bypass group where it has bits). The sequencer sends them on consecutive clocks and the next sample's
//! first operation in the clock after the last one, so it runs at one operation per clock
//! with no gap while samples are waiting; `in_ready` falls while a sample's operations are
//! sent and a second sample waits in the record slot. Latency: a sample taken at edge `t`
//! (slot and sequencer empty) has its first operation on the outputs after edge `t + 1`.
//!
//! Built for `W = 10`, `Q = 16` and at most 256 contexts ([`check_bin_params`]); the
//! contexts per `s` and the prefix positions `P` come from the parameters.

use neurice_model::lite::golomb_m;
use neurice_model::v2::{context, V2Params};
use rust_hdl::prelude::*;

use super::range_fast::{OP_BIN, OP_BYPASS};
use crate::prims::{ShiftLeft, ShiftRight};
use crate::third::ThirdTable;
use crate::HdlError;

/// Sample width `W`.
pub const W: usize = 10;
/// The escape threshold `Q` (prefix cap).
pub const QMAX: usize = 16;
/// Width of a context index.
pub const CTX_BITS: usize = 8;
/// Width of the tag that travels with a sample.
pub const TAG_BITS: usize = 10;
// Bit positions in `hdl_gen` are literals: `vv[3:0]` (q for m = 1), `vv[4:1]` (q for
// m = 2^k), `vv[5:0]` (the divide-by-three table) hold for Q = 16.
const _: () = assert!(QMAX == 16 && W == 10);

/// Checks that `p` is a parameter set the sequencer implements.
pub fn check_bin_params(p: &V2Params) -> Result<(), HdlError> {
    p.validate().map_err(|e| HdlError::Params(e.to_string()))?;
    let g = &p.golomb;
    if g.sample_bits as usize != W || g.qmax as usize != QMAX {
        return Err(HdlError::Params(format!(
            "the v2 bin sequencer is built for sample_bits = {W} and qmax = {QMAX}; parameters \
             say {} and {}",
            g.sample_bits, g.qmax
        )));
    }
    if p.contexts() > 1 << CTX_BITS {
        return Err(HdlError::Params(format!(
            "{} contexts do not fit the sequencer's {CTX_BITS}-bit context index",
            p.contexts()
        )));
    }
    Ok(())
}

/// What the code index `s` decides (a table, so the Verilog holds the model's own values):
/// the bypass width `e = k − 1` (0 for `m = 1`), the class of `m` (0: `m = 1`, 1: `m = 2^k`,
/// 2: `m = 3·2^(k−1)`), and the contexts `prefix(s, 0)` and `remainder(s, 0)`.
pub fn s_table(p: &V2Params, s: u32) -> (u32, u32, u32, u32) {
    let (k, half) = golomb_m(s);
    let class = if k == 0 {
        0
    } else if half {
        2
    } else {
        1
    };
    (
        k.saturating_sub(1),
        class,
        context(p, s, Some(0), 0) as u32,
        context(p, s, None, 0) as u32,
    )
}

/// [`s_table`] as a leaf block (a `case` in the Verilog; `s` beyond `2W − 2` gives zeros).
/// Its `Block` is written out because the table's rows are plain data, not signals.
pub struct STable {
    pub s: Signal<In, Bits<5>>,
    pub e: Signal<Out, Bits<4>>,
    pub kind: Signal<Out, Bits<2>>,
    pub ctx0: Signal<Out, Bits<CTX_BITS>>,
    pub ctxr: Signal<Out, Bits<CTX_BITS>>,
    rows: Vec<(u32, u32, u32, u32)>,
}

impl STable {
    fn new(p: &V2Params) -> Self {
        STable {
            s: Default::default(),
            e: Default::default(),
            kind: Default::default(),
            ctx0: Default::default(),
            ctxr: Default::default(),
            rows: (0..=p.golomb.s_max()).map(|s| s_table(p, s)).collect(),
        }
    }
}

impl Block for STable {
    fn connect_all(&mut self) {
        self.connect();
        self.s.connect_all();
        self.e.connect_all();
        self.kind.connect_all();
        self.ctx0.connect_all();
        self.ctxr.connect_all();
    }

    fn update_all(&mut self) {
        self.update();
        self.s.update_all();
        self.e.update_all();
        self.kind.update_all();
        self.ctx0.update_all();
        self.ctxr.update_all();
    }

    fn has_changed(&self) -> bool {
        self.s.has_changed()
            || self.e.has_changed()
            || self.kind.has_changed()
            || self.ctx0.has_changed()
            || self.ctxr.has_changed()
    }

    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        self.s.accept("s", probe);
        self.e.accept("e", probe);
        self.kind.accept("kind", probe);
        self.ctx0.accept("ctx0", probe);
        self.ctxr.accept("ctxr", probe);
        probe.visit_end_scope(name, self);
    }
}

impl Logic for STable {
    fn update(&mut self) {
        let row = self
            .rows
            .get(self.s.val().to_u64() as usize)
            .copied()
            .unwrap_or_default();
        self.e.next = (row.0 as u64).into();
        self.kind.next = (row.1 as u64).into();
        self.ctx0.next = (row.2 as u64).into();
        self.ctxr.next = (row.3 as u64).into();
    }

    fn connect(&mut self) {
        self.e.connect();
        self.kind.connect();
        self.ctx0.connect();
        self.ctxr.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut cases = String::new();
        for (s, (e, class, c0, cr)) in self.rows.iter().enumerate() {
            cases.push_str(&format!(
                "   5'd{s}: begin e = 4'd{e}; kind = 2'd{class}; ctx0 = 8'd{c0}; ctxr = 8'd{cr}; end\n"
            ));
        }
        Verilog::Custom(format!(
            "always @(*) begin\n   case (s)\n{cases}   default: begin e = 4'd0; kind = 2'd0; ctx0 = 8'd0; ctxr = 8'd0; end\n   endcase\nend\n"
        ))
    }
}

/// The bin sequencer (see the module documentation).
#[derive(LogicBlock)]
pub struct BinSequencer {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, Bit>,
    pub in_tag: Signal<In, Bits<TAG_BITS>>,
    pub u: Signal<In, Bits<W>>,
    pub s: Signal<In, Bits<5>>,
    pub in_ready: Signal<Out, Bit>,
    pub op_valid: Signal<Out, Bit>,
    pub op_ready: Signal<In, Bit>,
    pub busy: Signal<Out, Bit>,
    pub op: Signal<Out, Bits<2>>,
    pub ctx: Signal<Out, Bits<CTX_BITS>>,
    pub bin_value: Signal<Out, Bit>,
    pub v: Signal<Out, Bits<16>>,
    pub n: Signal<Out, Bits<5>>,
    pub last: Signal<Out, Bit>,
    pub op_tag: Signal<Out, Bits<TAG_BITS>>,

    // ---- binarise (inputs → the record slot r) ----
    s_dec: STable,
    b_shift: ShiftRight<W, 4>,
    b_mask: ShiftLeft<W, 4>,
    third: ThirdTable,
    b_vv: Signal<Local, Bits<W>>,
    b_low: Signal<Local, Bits<W>>,
    b_esc: Signal<Local, Bit>,
    b_q: Signal<Local, Bits<4>>,
    b_nrem: Signal<Local, Bits<2>>,
    b_b1: Signal<Local, Bit>,
    b_b2: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    done_op: Signal<Local, Bit>,
    // ---- r: the record of the next sample ----
    r_valid: DFF<Bit>,
    r_tag: DFF<Bits<TAG_BITS>>,
    r_ctx0: DFF<Bits<CTX_BITS>>,
    r_ctxr: DFF<Bits<CTX_BITS>>,
    /// index of the last prefix bin: `q`, or `Q − 1` when escaping
    r_plast: DFF<Bits<5>>,
    r_esc: DFF<Bit>,
    r_q: DFF<Bits<5>>,
    r_nrem: DFF<Bits<5>>,
    r_b1: DFF<Bit>,
    r_b2: DFF<Bit>,
    r_v: DFF<Bits<W>>,
    r_n: DFF<Bits<5>>,
    // ---- loading a record into the sequencer ----
    l_r0: Signal<Local, Bits<5>>,
    l_byp: Signal<Local, Bits<5>>,
    l_last: Signal<Local, Bits<5>>,
    // ---- o: the sample being sent, and the index of its current operation ----
    o_valid: DFF<Bit>,
    o_idx: DFF<Bits<5>>,
    o_tag: DFF<Bits<TAG_BITS>>,
    o_ctx0: DFF<Bits<CTX_BITS>>,
    o_ctxr: DFF<Bits<CTX_BITS>>,
    o_plast: DFF<Bits<5>>,
    o_esc: DFF<Bit>,
    o_q: DFF<Bits<5>>,
    o_b1: DFF<Bit>,
    o_b2: DFF<Bit>,
    o_v: DFF<Bits<W>>,
    o_n: DFF<Bits<5>>,
    /// index of the remainder bin 0, of the bypass group, of the last operation
    o_r0: DFF<Bits<5>>,
    o_byp: DFF<Bits<5>>,
    o_last: DFF<Bits<5>>,
    // ---- the current operation ----
    c_prefix: Signal<Local, Bit>,
    c_bypass: Signal<Local, Bit>,
    c_r0: Signal<Local, Bit>,
    c_last: Signal<Local, Bit>,
    c_jsat: Signal<Local, Bits<CTX_BITS>>,
    c_ctx_prefix: Signal<Local, Bits<CTX_BITS>>,
    c_ctx_r1: Signal<Local, Bits<CTX_BITS>>,
    c_pbit: Signal<Local, Bit>,
    c_not_q: Signal<Local, Bit>,
    k_q: Constant<Bits<W>>,
    k_2q: Constant<Bits<W>>,
    k_3q: Constant<Bits<W>>,
    k_qlast: Constant<Bits<5>>,
    k_w: Constant<Bits<5>>,
    k_psat: Constant<Bits<5>>,
    k_psat8: Constant<Bits<CTX_BITS>>,
    k_zero2: Constant<Bits<2>>,
    k_one2: Constant<Bits<2>>,
    k_two2: Constant<Bits<2>>,
    k_ones: Constant<Bits<W>>,
    k_one5: Constant<Bits<5>>,
    k_zero5: Constant<Bits<5>>,
    k_one8: Constant<Bits<CTX_BITS>>,
    k_class_full: Constant<Bits<2>>,
    k_class_half: Constant<Bits<2>>,
    k_op_bin: Constant<Bits<2>>,
    k_op_bypass: Constant<Bits<2>>,
}

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

impl BinSequencer {
    /// The sequencer for the contexts of `p` (checked by [`check_bin_params`]).
    pub fn new(p: &V2Params) -> Result<Self, HdlError> {
        check_bin_params(p)?;
        let q = QMAX as u64;
        Ok(BinSequencer {
            clock: Default::default(),
            in_valid: Default::default(),
            in_tag: Default::default(),
            u: Default::default(),
            s: Default::default(),
            in_ready: Default::default(),
            op_valid: Default::default(),
            op_ready: Default::default(),
            busy: Default::default(),
            op: Default::default(),
            ctx: Default::default(),
            bin_value: Default::default(),
            v: Default::default(),
            n: Default::default(),
            last: Default::default(),
            op_tag: Default::default(),
            s_dec: STable::new(p),
            b_shift: Default::default(),
            b_mask: Default::default(),
            third: Default::default(),
            b_vv: Default::default(),
            b_low: Default::default(),
            b_esc: Default::default(),
            b_q: Default::default(),
            b_nrem: Default::default(),
            b_b1: Default::default(),
            b_b2: Default::default(),
            take: Default::default(),
            done_op: Default::default(),
            r_valid: Default::default(),
            r_tag: Default::default(),
            r_ctx0: Default::default(),
            r_ctxr: Default::default(),
            r_plast: Default::default(),
            r_esc: Default::default(),
            r_q: Default::default(),
            r_nrem: Default::default(),
            r_b1: Default::default(),
            r_b2: Default::default(),
            r_v: Default::default(),
            r_n: Default::default(),
            l_r0: Default::default(),
            l_byp: Default::default(),
            l_last: Default::default(),
            o_valid: Default::default(),
            o_idx: Default::default(),
            o_tag: Default::default(),
            o_ctx0: Default::default(),
            o_ctxr: Default::default(),
            o_plast: Default::default(),
            o_esc: Default::default(),
            o_q: Default::default(),
            o_b1: Default::default(),
            o_b2: Default::default(),
            o_v: Default::default(),
            o_n: Default::default(),
            o_r0: Default::default(),
            o_byp: Default::default(),
            o_last: Default::default(),
            c_prefix: Default::default(),
            c_bypass: Default::default(),
            c_r0: Default::default(),
            c_last: Default::default(),
            c_jsat: Default::default(),
            c_ctx_prefix: Default::default(),
            c_ctx_r1: Default::default(),
            c_pbit: Default::default(),
            c_not_q: Default::default(),
            k_q: k(q),
            k_2q: k(2 * q),
            k_3q: k(3 * q),
            k_qlast: k(q - 1),
            k_w: k(W as u64),
            k_psat: k(p.prefix_contexts as u64 - 1),
            k_psat8: k(p.prefix_contexts as u64 - 1),
            k_zero2: k(0),
            k_one2: k(1),
            k_two2: k(2),
            k_ones: k((1 << W) - 1),
            k_one5: k(1),
            k_zero5: k(0),
            k_one8: k(1),
            k_class_full: k(1),
            k_class_half: k(2),
            k_op_bin: k(OP_BIN),
            k_op_bypass: k(OP_BYPASS),
        })
    }
}

impl Logic for BinSequencer {
    // Nested `if`s instead of `a & (b == c)`: rust-hdl emits no parentheses.
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, r_valid, r_tag, r_ctx0, r_ctxr, r_plast, r_esc, r_q, r_nrem, r_b1, r_b2,
            r_v, r_n, o_valid, o_idx, o_tag, o_ctx0, o_ctxr, o_plast, o_esc, o_q, o_b1, o_b2, o_v,
            o_n, o_r0, o_byp, o_last
        );
        // ---- the current operation (from the o registers) -----------------------------------
        self.c_prefix.next = self.o_idx.q.val() <= self.o_plast.q.val();
        self.c_bypass.next = self.o_idx.q.val() == self.o_byp.q.val();
        self.c_r0.next = self.o_idx.q.val() == self.o_r0.q.val();
        self.c_last.next = self.o_idx.q.val() == self.o_last.q.val();
        // prefix(s, j) = prefix(s, 0) + min(j, P − 1)
        self.c_jsat.next = bit_cast::<CTX_BITS, 5>(self.o_idx.q.val());
        if self.o_idx.q.val() > self.k_psat.val() {
            self.c_jsat.next = self.k_psat8.val();
        }
        self.c_ctx_prefix.next = self.o_ctx0.q.val() + self.c_jsat.val();
        self.c_ctx_r1.next = self.o_ctxr.q.val() + self.k_one8.val();
        // q ones then a zero, or Q ones when escaping
        self.c_not_q.next = self.o_idx.q.val() != self.o_q.q.val();
        self.c_pbit.next = self.o_esc.q.val() | self.c_not_q.val();
        self.op_valid.next = self.o_valid.q.val();
        self.op_tag.next = self.o_tag.q.val();
        self.last.next = self.c_last.val();
        self.v.next = bit_cast::<16, W>(self.o_v.q.val());
        self.n.next = self.o_n.q.val();
        self.op.next = self.k_op_bin.val();
        self.ctx.next = self.c_ctx_prefix.val();
        self.bin_value.next = self.c_pbit.val();
        if !self.c_prefix.val() {
            if self.c_bypass.val() {
                self.op.next = self.k_op_bypass.val();
            } else if self.c_r0.val() {
                self.ctx.next = self.o_ctxr.q.val();
                self.bin_value.next = self.o_b1.q.val();
            } else {
                self.ctx.next = self.c_ctx_r1.val();
                self.bin_value.next = self.o_b2.q.val();
            }
        }
        // ---- the sequencer: next operation, or the next record -------------------------------
        // the operation on the outputs is taken at an edge where `op_ready`; the sequencer
        // holds it otherwise
        self.done_op.next = self.c_last.val() & self.op_ready.val();
        self.take.next = !self.o_valid.q.val() | self.done_op.val();
        self.in_ready.next = !self.r_valid.q.val() | self.take.val();
        self.busy.next = self.r_valid.q.val() | self.o_valid.q.val();
        if self.op_ready.val() {
            self.o_idx.d.next = self.o_idx.q.val() + self.k_one5.val();
        }
        self.l_r0.next = self.r_plast.q.val() + self.k_one5.val();
        self.l_byp.next = self.l_r0.val() + self.r_nrem.q.val();
        self.l_last.next = self.l_byp.val();
        if self.r_n.q.val() == self.k_zero5.val() {
            self.l_last.next = self.l_byp.val() - self.k_one5.val();
        }
        if self.take.val() {
            self.o_valid.d.next = self.r_valid.q.val();
            self.o_idx.d.next = self.k_zero5.val();
            self.o_tag.d.next = self.r_tag.q.val();
            self.o_ctx0.d.next = self.r_ctx0.q.val();
            self.o_ctxr.d.next = self.r_ctxr.q.val();
            self.o_plast.d.next = self.r_plast.q.val();
            self.o_esc.d.next = self.r_esc.q.val();
            self.o_q.d.next = self.r_q.q.val();
            self.o_b1.d.next = self.r_b1.q.val();
            self.o_b2.d.next = self.r_b2.q.val();
            self.o_v.d.next = self.r_v.q.val();
            self.o_n.d.next = self.r_n.q.val();
            self.o_r0.d.next = self.l_r0.val();
            self.o_byp.d.next = self.l_byp.val();
            self.o_last.d.next = self.l_last.val();
        }
        // ---- binarise (the inputs → the record slot) -----------------------------------------
        self.s_dec.s.next = self.s.val();
        self.b_shift.data.next = self.u.val();
        self.b_shift.amount.next = self.s_dec.e.val();
        self.b_vv.next = self.b_shift.result.val();
        self.b_mask.data.next = self.k_ones.val();
        self.b_mask.amount.next = self.s_dec.e.val();
        self.b_low.next = self.u.val() & !self.b_mask.result.val();
        self.third.v.next = self.b_vv.val().get_bits::<6>(0);
        // m = 1: q = u; m = 2^k: q = vv >> 1, top = vv[0]; m = 3·2^(k−1): q, top = vv / 3, vv mod 3
        self.b_esc.next = self.b_vv.val() >= self.k_q.val();
        self.b_q.next = self.b_vv.val().get_bits::<4>(0);
        self.b_nrem.next = self.k_zero2.val();
        self.b_b1.next = false;
        self.b_b2.next = false;
        if self.s_dec.kind.val() == self.k_class_full.val() {
            self.b_esc.next = self.b_vv.val() >= self.k_2q.val();
            self.b_q.next = self.b_vv.val().get_bits::<4>(1);
            self.b_nrem.next = self.k_one2.val();
            self.b_b1.next = self.b_vv.val().get_bit(0);
        } else if self.s_dec.kind.val() == self.k_class_half.val() {
            self.b_esc.next = self.b_vv.val() >= self.k_3q.val();
            self.b_q.next = self.third.q.val().get_bits::<4>(0);
            // the table's rh is 0 for vv mod 3 = 0, else (vv mod 3) + 1: bin 1 = (top ≠ 0),
            // bin 2 = (top = 2)
            self.b_b1.next = self.third.rh.val().get_bit(1);
            self.b_b2.next = self.third.rh.val().get_bit(0);
            self.b_nrem.next = self.k_one2.val();
            if self.third.rh.val().get_bit(1) {
                self.b_nrem.next = self.k_two2.val();
            }
        }
        if self.in_ready.val() {
            self.r_valid.d.next = self.in_valid.val();
            self.r_tag.d.next = self.in_tag.val();
            self.r_ctx0.d.next = self.s_dec.ctx0.val();
            self.r_ctxr.d.next = self.s_dec.ctxr.val();
            self.r_b1.d.next = self.b_b1.val();
            self.r_b2.d.next = self.b_b2.val();
            self.r_esc.d.next = self.b_esc.val();
            self.r_q.d.next = bit_cast::<5, 4>(self.b_q.val());
            if self.b_esc.val() {
                self.r_plast.d.next = self.k_qlast.val();
                self.r_nrem.d.next = self.k_zero5.val();
                self.r_v.d.next = self.u.val();
                self.r_n.d.next = self.k_w.val();
            } else {
                self.r_plast.d.next = bit_cast::<5, 4>(self.b_q.val());
                self.r_nrem.d.next = bit_cast::<5, 2>(self.b_nrem.val());
                self.r_v.d.next = self.b_low.val();
                self.r_n.d.next = bit_cast::<5, 4>(self.s_dec.e.val());
            }
        }
    }
}
