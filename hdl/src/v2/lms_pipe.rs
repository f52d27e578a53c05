//! The LMS part of coder v2's per-sample datapath as a registered pipeline (issue 12): one
//! sample per clock in, the prediction, the magnitude `u` and the channel's next LMS state
//! out [`LATENCY`] clocks later, bit-exact with `v2::predict`, `v2::update` and
//! `zigzag_error` (FORMAT.md §7.3, §7.6 steps 2–4).
//!
//! ```text
//!            ┌─────────┐ p1 ┌─────────────┐ p2 ┌──────────────────┐ p3
//! state, x ─►│ s1: w·d │───►│ s2: Σ, round,│───►│ s3: weights, d,  │───► pred, u,
//!  (valid,   │ 4 muls  │    │ + prev, clamp│    │ zigzag u         │     next state
//!   tag)     └─────────┘    └─────────────┘    └──────────────────┘     (valid, tag)
//! ```
//!
//! # Ports
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | rising edge; every stage advances on every edge (no stall) |
//! | `in_valid`, `in_tag[9:0]` | in | a sample is taken at an edge where `in_valid`; the tag (e.g. its channel) travels with it |
//! | `prev`, `x`, `d$i`, `w$i` | in | the channel's state before the sample (`prev`, deltas and weights, two's complement) and the sample |
//! | `out_valid`, `out_tag` | out | registered: the sample taken [`LATENCY`] edges earlier |
//! | `pred`, `u` | out | its prediction and magnitude (§7.3) |
//! | `prev_next`, `d_next$i`, `w_next$i` | out | the channel's next LMS state (§7.6: `prev ← x`, deltas, weights) |
//!
//! `A` and `N` (§7.6 step 1) are v1's adaptation and are not part of this block.
//!
//! # Latency, throughput and the rule for the core
//!
//! Throughput one sample per clock; latency [`LATENCY`] = 3 registers: a sample taken at
//! edge `t` is at the outputs after edge `t + 2`. A channel's next state exists only at the
//! output, so the same channel may be given again at edge `t + 3` at the earliest (the
//! outputs can be wired straight back to the inputs). With
//! round-robin channels that holds for **3 or more channels** with no stall (plus whatever
//! the state RAM's read and write add in the core). For 1 and 2 channels the core must
//! stall (insert 2 or 1 empty clocks per round) or forward: the deltas and `prev` could be
//! forwarded (they do not depend on the prediction), the weights cannot (weights →
//! prediction → weights is the recurrence this pipeline cuts into three clocks).

use neurice_model::v2::V2Params;
use rust_hdl::prelude::*;

use super::lms::{LmsUpdate, PredictSum, TapMul, DELTA_BITS, SUM_BITS, TAPS, W, WEIGHT_BITS};
use crate::prims::ShiftLeft;
use crate::HdlError;

/// Clocks from a sample's input to its outputs.
pub const LATENCY: usize = 3;
/// Width of the tag that travels with a sample (a channel address of up to 1024 channels).
pub const TAG_BITS: usize = 10;

/// The pipelined LMS stage (see the module documentation).
#[derive(LogicBlock)]
pub struct LmsPipe {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, Bit>,
    pub in_tag: Signal<In, Bits<TAG_BITS>>,
    pub prev: Signal<In, Bits<W>>,
    pub x: Signal<In, Bits<W>>,
    pub d: [Signal<In, Bits<DELTA_BITS>>; TAPS],
    pub w: [Signal<In, Bits<WEIGHT_BITS>>; TAPS],
    pub out_valid: Signal<Out, Bit>,
    pub out_tag: Signal<Out, Bits<TAG_BITS>>,
    pub pred: Signal<Out, Bits<W>>,
    pub u: Signal<Out, Bits<W>>,
    pub prev_next: Signal<Out, Bits<W>>,
    pub d_next: [Signal<Out, Bits<DELTA_BITS>>; TAPS],
    pub w_next: [Signal<Out, Bits<WEIGHT_BITS>>; TAPS],

    // ---- s1: the products w_i·d_i ----
    s1_mul: [TapMul; TAPS],
    // ---- p1 ----
    p1_valid: DFF<Bit>,
    p1_tag: DFF<Bits<TAG_BITS>>,
    p1_prev: DFF<Bits<W>>,
    p1_x: DFF<Bits<W>>,
    p1_d: [DFF<Bits<DELTA_BITS>>; TAPS],
    p1_w: [DFF<Bits<WEIGHT_BITS>>; TAPS],
    p1_prod: [DFF<Bits<SUM_BITS>>; TAPS],
    // ---- s2: sum, round, add prev, clamp ----
    s2_sum: PredictSum,
    // ---- p2 ----
    p2_valid: DFF<Bit>,
    p2_tag: DFF<Bits<TAG_BITS>>,
    p2_prev: DFF<Bits<W>>,
    p2_x: DFF<Bits<W>>,
    p2_d: [DFF<Bits<DELTA_BITS>>; TAPS],
    p2_w: [DFF<Bits<WEIGHT_BITS>>; TAPS],
    p2_pred: DFF<Bits<W>>,
    // ---- s3: weight and delta update, zigzag ----
    s3_update: LmsUpdate,
    s3_e: Signal<Local, Bits<W>>,
    s3_e2: ShiftLeft<W, 1>,
    s3_sign: Signal<Local, Bits<W>>,
    // ---- p3: the outputs ----
    p3_valid: DFF<Bit>,
    p3_tag: DFF<Bits<TAG_BITS>>,
    p3_pred: DFF<Bits<W>>,
    p3_u: DFF<Bits<W>>,
    p3_x: DFF<Bits<W>>,
    p3_d: [DFF<Bits<DELTA_BITS>>; TAPS],
    p3_w: [DFF<Bits<WEIGHT_BITS>>; TAPS],
    k_one1: Constant<Bits<1>>,
    k_zero: Constant<Bits<W>>,
    k_ones: Constant<Bits<W>>,
}

impl LmsPipe {
    /// The pipeline for the steps of `p` (checked as [`super::lms::check_lms_params`]).
    pub fn new(p: &V2Params) -> Result<Self, HdlError> {
        Ok(LmsPipe {
            clock: Default::default(),
            in_valid: Default::default(),
            in_tag: Default::default(),
            prev: Default::default(),
            x: Default::default(),
            d: Default::default(),
            w: Default::default(),
            out_valid: Default::default(),
            out_tag: Default::default(),
            pred: Default::default(),
            u: Default::default(),
            prev_next: Default::default(),
            d_next: Default::default(),
            w_next: Default::default(),
            s1_mul: Default::default(),
            p1_valid: Default::default(),
            p1_tag: Default::default(),
            p1_prev: Default::default(),
            p1_x: Default::default(),
            p1_d: Default::default(),
            p1_w: Default::default(),
            p1_prod: Default::default(),
            s2_sum: Default::default(),
            p2_valid: Default::default(),
            p2_tag: Default::default(),
            p2_prev: Default::default(),
            p2_x: Default::default(),
            p2_d: Default::default(),
            p2_w: Default::default(),
            p2_pred: Default::default(),
            s3_update: LmsUpdate::new(p)?,
            s3_e: Default::default(),
            s3_e2: Default::default(),
            s3_sign: Default::default(),
            p3_valid: Default::default(),
            p3_tag: Default::default(),
            p3_pred: Default::default(),
            p3_u: Default::default(),
            p3_x: Default::default(),
            p3_d: Default::default(),
            p3_w: Default::default(),
            k_one1: Constant::new(1u64.into()),
            k_zero: Constant::new(0u64.into()),
            k_ones: Constant::new(((1u64 << W) - 1).into()),
        })
    }
}

impl Logic for LmsPipe {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, p1_valid, p1_tag, p1_prev, p1_x, p2_valid, p2_tag, p2_prev, p2_x, p2_pred,
            p3_valid, p3_tag, p3_pred, p3_u, p3_x
        );
        for i in 0..TAPS {
            self.p1_d[i].clock.next = self.clock.val();
            self.p1_w[i].clock.next = self.clock.val();
            self.p1_prod[i].clock.next = self.clock.val();
            self.p2_d[i].clock.next = self.clock.val();
            self.p2_w[i].clock.next = self.clock.val();
            self.p3_d[i].clock.next = self.clock.val();
            self.p3_w[i].clock.next = self.clock.val();
        }
        // ---- s1: the products -------------------------------------------------------------
        self.p1_valid.d.next = self.in_valid.val();
        self.p1_tag.d.next = self.in_tag.val();
        self.p1_prev.d.next = self.prev.val();
        self.p1_x.d.next = self.x.val();
        for i in 0..TAPS {
            self.s1_mul[i].a.next = self.w[i].val();
            self.s1_mul[i].b.next = self.d[i].val();
            self.p1_prod[i].d.next = self.s1_mul[i].result.val();
            self.p1_d[i].d.next = self.d[i].val();
            self.p1_w[i].d.next = self.w[i].val();
        }
        // ---- s2: the prediction -----------------------------------------------------------
        self.s2_sum.prev.next = self.p1_prev.q.val();
        for i in 0..TAPS {
            self.s2_sum.prod[i].next = self.p1_prod[i].q.val();
            self.p2_d[i].d.next = self.p1_d[i].q.val();
            self.p2_w[i].d.next = self.p1_w[i].q.val();
        }
        self.p2_valid.d.next = self.p1_valid.q.val();
        self.p2_tag.d.next = self.p1_tag.q.val();
        self.p2_prev.d.next = self.p1_prev.q.val();
        self.p2_x.d.next = self.p1_x.q.val();
        self.p2_pred.d.next = self.s2_sum.pred.val();
        // ---- s3: the update and the magnitude ---------------------------------------------
        self.s3_update.x.next = self.p2_x.q.val();
        self.s3_update.pred.next = self.p2_pred.q.val();
        self.s3_update.prev.next = self.p2_prev.q.val();
        for i in 0..TAPS {
            self.s3_update.d[i].next = self.p2_d[i].q.val();
            self.s3_update.w[i].next = self.p2_w[i].q.val();
            self.p3_d[i].d.next = self.s3_update.d_next[i].val();
            self.p3_w[i].d.next = self.s3_update.w_next[i].val();
        }
        // u: zigzag of (x − pred) mod 2^W (§7.3), as v1's s1
        self.s3_e.next = self.p2_x.q.val() - self.p2_pred.q.val();
        self.s3_e2.data.next = self.s3_e.val();
        self.s3_e2.amount.next = self.k_one1.val();
        self.s3_sign.next = self.k_zero.val();
        if self.s3_e.val().get_bit(9) {
            self.s3_sign.next = self.k_ones.val();
        }
        self.p3_u.d.next = self.s3_e2.result.val() ^ self.s3_sign.val();
        self.p3_valid.d.next = self.p2_valid.q.val();
        self.p3_tag.d.next = self.p2_tag.q.val();
        self.p3_pred.d.next = self.p2_pred.q.val();
        self.p3_x.d.next = self.p2_x.q.val();
        // ---- outputs ------------------------------------------------------------------------
        self.out_valid.next = self.p3_valid.q.val();
        self.out_tag.next = self.p3_tag.q.val();
        self.pred.next = self.p3_pred.q.val();
        self.u.next = self.p3_u.q.val();
        self.prev_next.next = self.p3_x.q.val();
        for i in 0..TAPS {
            self.d_next[i].next = self.p3_d[i].q.val();
            self.w_next[i].next = self.p3_w[i].q.val();
        }
    }
}

// Bit positions inside `hdl_gen` are literals: the zigzag's sign bit is W − 1 = 9.
const _: () = assert!(W == 10);
