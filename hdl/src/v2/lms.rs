//! The LMS part of coder v2's per-sample datapath (FORMAT.md §7.3 and §7.6, steps 2–4), as
//! two combinational blocks: [`LmsPredict`] (state → `pred`) and [`LmsUpdate`] (state,
//! sample, `pred` → the channel's next deltas and weights). They were the first pieces of the
//! v2 core (issue 12; that core is retired, issue 26: coder max's core builds on this file's
//! [`PredictSum`], [`LmsStep`] and [`TapMul`]); they follow the same writing rules as the v1
//! core (see `crate::core`):
//! every intermediate value in its own sized signal, sized constants, casts of plain
//! signals only, explicit parentheses.
//!
//! Widths are those of [`V2Params::HARDWARE`] (W = 10, T = 4, f = 10, B_w = 9, B_d = 7),
//! fixed at compile time; the steps come from the parameters ([`check_lms_params`]).
//! Signed values travel as two's complement `Bits` (rust-hdl's `Signed` has no shifts).

use neurice_model::v2::V2Params;
use rust_hdl::prelude::*;

use crate::HdlError;

/// Sample width `W`.
pub const W: usize = 10;
/// LMS taps `T`.
pub const TAPS: usize = 4;
/// Stored width `B_w` of a weight.
pub const WEIGHT_BITS: usize = 9;
/// Stored width `B_d` of a past delta.
pub const DELTA_BITS: usize = 7;
/// Fraction bits `f` of the weights.
pub const WEIGHT_FRAC: usize = 10;
/// Width of one product `w_i · d_i` (exact).
const PROD_BITS: usize = WEIGHT_BITS + DELTA_BITS;
/// Width of the sum of the `T` products (exact: `|S| ≤ 4 · 255 · 63 < 2^17`).
pub const SUM_BITS: usize = PROD_BITS + 2;
/// Width of `pd = (S + 2^(f−1)) >> f` (|pd| ≤ 63).
const PD_BITS: usize = SUM_BITS - WEIGHT_FRAC;
/// Width of `prev + pd` before the clamp (−63 … 1086).
const PRED_BITS: usize = W + 2;
// Bit positions inside `hdl_gen` must be literals (a constant's name is emitted into the
// Verilog as is, and Verilator rejects it); these are the literals used below.
const _: () = assert!(
    DELTA_BITS - 1 == 6
        && WEIGHT_BITS == 9
        && W == 10
        && WEIGHT_FRAC == 10
        && PD_BITS - 1 == 7
        && PRED_BITS - 1 == 11
);
/// A weight plus or minus its step (before the clamp).
const WB1: usize = WEIGHT_BITS + 1;
/// `x − prev` (before the clamp).
const W1: usize = W + 1;

/// Checks that `p` is a parameter set these blocks implement.
pub fn check_lms_params(p: &V2Params) -> Result<(), HdlError> {
    p.validate().map_err(|e| HdlError::Params(e.to_string()))?;
    let fixed = [
        ("sample_bits", p.golomb.sample_bits as usize, W),
        ("taps", p.taps as usize, TAPS),
        ("weight_bits", p.weight_bits as usize, WEIGHT_BITS),
        ("delta_bits", p.delta_bits as usize, DELTA_BITS),
        ("weight_frac", p.weight_frac as usize, WEIGHT_FRAC),
    ];
    for (name, got, want) in fixed {
        if got != want {
            return Err(HdlError::Params(format!(
                "the v2 LMS datapath is built for {name} = {want}; parameters say {got}"
            )));
        }
    }
    Ok(())
}

/// Two's complement of `v` in `bits` bits.
pub fn to_bits(v: i32, bits: usize) -> u64 {
    (v as i64 as u64) & ((1u64 << bits) - 1)
}

/// The signed value of the low `bits` bits of `v`.
pub fn from_bits(v: u64, bits: usize) -> i32 {
    ((v << (64 - bits)) as i64 >> (64 - bits)) as i32
}

/// `result = a · b`, both signed (two's complement), exact when `R ≥ A + B`; a leaf block
/// so that the simulation multiplies natively and the Verilog is one `$signed` product.
#[derive(LogicBlock, Default)]
pub struct SignedMul<const A: usize, const B: usize, const R: usize> {
    pub a: Signal<In, Bits<A>>,
    pub b: Signal<In, Bits<B>>,
    pub result: Signal<Out, Bits<R>>,
}

impl<const A: usize, const B: usize, const R: usize> Logic for SignedMul<A, B, R> {
    fn update(&mut self) {
        let a = from_bits(self.a.val().to_u64(), A) as i64;
        let b = from_bits(self.b.val().to_u64(), B) as i64;
        self.result.next = ((a * b) as u64 & ((1u64 << R) - 1)).into();
    }

    fn connect(&mut self) {
        self.result.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) begin\n   result = $signed(a) * $signed(b);\nend\n".into())
    }
}

/// `result` = `a` sign-extended from `A` to `B` bits (a leaf: `bit_cast` inside an
/// `hdl_gen` loop does not compile).
#[derive(LogicBlock, Default)]
pub struct SignExtend<const A: usize, const B: usize> {
    pub a: Signal<In, Bits<A>>,
    pub result: Signal<Out, Bits<B>>,
}

impl<const A: usize, const B: usize> Logic for SignExtend<A, B> {
    fn update(&mut self) {
        self.result.next = to_bits(from_bits(self.a.val().to_u64(), A), B).into();
    }

    fn connect(&mut self) {
        self.result.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "always @(*) begin\n   result = {{{{{}{{a[{}]}}}}, a}};\nend\n",
            B - A,
            A - 1
        ))
    }
}

/// `pred = clamp(prev + ((Σ w_i·d_i + 2^(f−1)) >> f), 0, 2^W − 1)` (FORMAT.md §7.3) from
/// the `T` products `w_i·d_i` (sign-extended to the sum's width): the part of the
/// prediction after the multipliers, shared by [`LmsPredict`] and coder max's core
/// (`crate::max`).
#[derive(LogicBlock)]
pub struct PredictSum {
    /// Previous sample of the channel.
    pub prev: Signal<In, Bits<W>>,
    /// The products `w_i·d_i`, two's complement.
    pub prod: [Signal<In, Bits<SUM_BITS>>; TAPS],
    /// The prediction.
    pub pred: Signal<Out, Bits<W>>,
    sum01: Signal<Local, Bits<SUM_BITS>>,
    sum23: Signal<Local, Bits<SUM_BITS>>,
    sum: Signal<Local, Bits<SUM_BITS>>,
    rounded: Signal<Local, Bits<SUM_BITS>>,
    pd: Signal<Local, Bits<PD_BITS>>,
    pd_wide: Signal<Local, Bits<PRED_BITS>>,
    prev_wide: Signal<Local, Bits<PRED_BITS>>,
    raw: Signal<Local, Bits<PRED_BITS>>,
    k_half: Constant<Bits<SUM_BITS>>,
    k_pd_sext: Constant<Bits<PRED_BITS>>,
    k_top: Constant<Bits<PRED_BITS>>,
    k_zero: Constant<Bits<W>>,
    k_ones: Constant<Bits<W>>,
}

impl Default for PredictSum {
    fn default() -> Self {
        PredictSum {
            prev: Default::default(),
            prod: Default::default(),
            pred: Default::default(),
            sum01: Default::default(),
            sum23: Default::default(),
            sum: Default::default(),
            rounded: Default::default(),
            pd: Default::default(),
            pd_wide: Default::default(),
            prev_wide: Default::default(),
            raw: Default::default(),
            k_half: Constant::new((1u64 << (WEIGHT_FRAC - 1)).into()),
            // the bits above pd's sign when it is negative
            k_pd_sext: Constant::new((((1u64 << PRED_BITS) - 1) ^ ((1u64 << PD_BITS) - 1)).into()),
            k_top: Constant::new(((1u64 << W) - 1).into()),
            k_zero: Constant::new(0u64.into()),
            k_ones: Constant::new(((1u64 << W) - 1).into()),
        }
    }
}

impl Logic for PredictSum {
    #[hdl_gen]
    fn update(&mut self) {
        self.sum01.next = self.prod[0].val() + self.prod[1].val();
        self.sum23.next = self.prod[2].val() + self.prod[3].val();
        self.sum.next = self.sum01.val() + self.sum23.val();
        self.rounded.next = self.sum.val() + self.k_half.val();
        // arithmetic shift by f: the top bits, sign-extended
        self.pd.next = self.rounded.val().get_bits::<PD_BITS>(10);
        self.pd_wide.next = bit_cast::<PRED_BITS, PD_BITS>(self.pd.val());
        if self.pd.val().get_bit(7) {
            self.pd_wide.next =
                bit_cast::<PRED_BITS, PD_BITS>(self.pd.val()) | self.k_pd_sext.val();
        }
        self.prev_wide.next = bit_cast::<PRED_BITS, W>(self.prev.val());
        self.raw.next = self.prev_wide.val() + self.pd_wide.val();
        self.pred.next = self.raw.val().get_bits::<W>(0);
        if self.raw.val().get_bit(11) {
            self.pred.next = self.k_zero.val();
        } else if self.raw.val() > self.k_top.val() {
            self.pred.next = self.k_ones.val();
        }
    }
}

/// The `T` multipliers `w_i·d_i` of the prediction (exact, sign-extended to the sum's
/// width), as one type for [`LmsPredict`] and the pipeline.
pub type TapMul = SignedMul<WEIGHT_BITS, DELTA_BITS, SUM_BITS>;

/// `pred = clamp(prev + ((Σ w_i·d_i + 2^(f−1)) >> f), 0, 2^W − 1)` (FORMAT.md §7.3): the
/// multipliers feeding [`PredictSum`] in one clock.
#[derive(LogicBlock, Default)]
pub struct LmsPredict {
    /// Previous sample of the channel.
    pub prev: Signal<In, Bits<W>>,
    /// Past deltas `d_1..d_T`, newest first, two's complement.
    pub d: [Signal<In, Bits<DELTA_BITS>>; TAPS],
    /// Weights `w_1..w_T`, two's complement.
    pub w: [Signal<In, Bits<WEIGHT_BITS>>; TAPS],
    /// The prediction.
    pub pred: Signal<Out, Bits<W>>,
    mul: [TapMul; TAPS],
    after: PredictSum,
}

impl Logic for LmsPredict {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..TAPS {
            self.mul[i].a.next = self.w[i].val();
            self.mul[i].b.next = self.d[i].val();
            self.after.prod[i].next = self.mul[i].result.val();
        }
        self.after.prev.next = self.prev.val();
        self.pred.next = self.after.pred.val();
    }
}

/// The LMS state update (FORMAT.md §7.6 steps 2–3): with `σ = sign(x − pred)`,
/// `w_i ← clamp(w_i + μ_i·σ·sign(d_i), ±WM)` on the old deltas, then the deltas shift and
/// `d_1 ← clamp(x − prev, ±DM)`: `σ` from `x` and `pred`, then [`LmsStep`].
#[derive(LogicBlock)]
pub struct LmsUpdate {
    pub x: Signal<In, Bits<W>>,
    pub pred: Signal<In, Bits<W>>,
    pub prev: Signal<In, Bits<W>>,
    pub d: [Signal<In, Bits<DELTA_BITS>>; TAPS],
    pub w: [Signal<In, Bits<WEIGHT_BITS>>; TAPS],
    pub d_next: [Signal<Out, Bits<DELTA_BITS>>; TAPS],
    pub w_next: [Signal<Out, Bits<WEIGHT_BITS>>; TAPS],
    step: LmsStep,
}

impl LmsUpdate {
    /// The block for the steps of `p` (checked by [`check_lms_params`]).
    pub fn new(p: &V2Params) -> Result<Self, HdlError> {
        Ok(LmsUpdate {
            x: Default::default(),
            pred: Default::default(),
            prev: Default::default(),
            d: Default::default(),
            w: Default::default(),
            d_next: Default::default(),
            w_next: Default::default(),
            step: LmsStep::new(p)?,
        })
    }
}

impl Logic for LmsUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        // σ = sign(x − pred) (unsigned compare)
        self.step.err_nonzero.next = self.x.val() != self.pred.val();
        self.step.err_positive.next = self.x.val() > self.pred.val();
        self.step.x.next = self.x.val();
        self.step.prev.next = self.prev.val();
        for i in 0..TAPS {
            self.step.d[i].next = self.d[i].val();
            self.step.w[i].next = self.w[i].val();
            self.d_next[i].next = self.step.d_next[i].val();
            self.w_next[i].next = self.step.w_next[i].val();
        }
    }
}

/// The LMS state update with the error's sign `σ = sign(x − pred)` given
/// (`err_nonzero`: `x ≠ pred`, `err_positive`: `x > pred`) rather than compared here: a
/// pipeline that knows `σ` a stage earlier than `x` (coder max's bounded-error core, whose
/// `x` is the reconstruction made in the same clock) keeps the compare off its path.
/// `w_i ← clamp(w_i + μ_i·σ·sign(d_i), ±WM)` on the old deltas, then the deltas shift and
/// `d_1 ← clamp(x − prev, ±DM)`. The clamps test the sums' top bits (`WM = 2^(B_w−1) − 1`,
/// `DM = 2^(B_d−1) − 1`, fixed by [`check_lms_params`]) instead of comparing with constants:
/// no carry chain after each adder.
#[derive(LogicBlock)]
pub struct LmsStep {
    pub err_nonzero: Signal<In, Bit>,
    pub err_positive: Signal<In, Bit>,
    pub x: Signal<In, Bits<W>>,
    pub prev: Signal<In, Bits<W>>,
    pub d: [Signal<In, Bits<DELTA_BITS>>; TAPS],
    pub w: [Signal<In, Bits<WEIGHT_BITS>>; TAPS],
    pub d_next: [Signal<Out, Bits<DELTA_BITS>>; TAPS],
    pub w_next: [Signal<Out, Bits<WEIGHT_BITS>>; TAPS],
    d_nonzero: [Signal<Local, Bit>; TAPS],
    step_on: [Signal<Local, Bit>; TAPS],
    step_up: [Signal<Local, Bit>; TAPS],
    w_wide: [SignExtend<WEIGHT_BITS, WB1>; TAPS],
    w_sum: [Signal<Local, Bits<WB1>>; TAPS],
    /// `w_sum`'s bits 7..0 all zero (with bits 9, 8 set: −256, below −WM)
    w_low0: [Signal<Local, Bit>; TAPS],
    diff: Signal<Local, Bits<W1>>,
    x_wide: Signal<Local, Bits<W1>>,
    prev_wide: Signal<Local, Bits<W1>>,
    /// `diff`'s bits 9..6 (all equal to its sign bit 10 when `|diff| < 64`)
    d_mid: Signal<Local, Bits<4>>,
    k_step: [Constant<Bits<WB1>>; TAPS],
    k_wmax_out: Constant<Bits<WEIGHT_BITS>>,
    k_wmin_out: Constant<Bits<WEIGHT_BITS>>,
    k_dmax_out: Constant<Bits<DELTA_BITS>>,
    k_dmin_out: Constant<Bits<DELTA_BITS>>,
    k_zero_d: Constant<Bits<DELTA_BITS>>,
    k_zero8: Constant<Bits<8>>,
    k_zero4: Constant<Bits<4>>,
    k_ones4: Constant<Bits<4>>,
    k_zero6: Constant<Bits<6>>,
}

impl LmsStep {
    /// The block for the steps of `p` (checked by [`check_lms_params`]).
    pub fn new(p: &V2Params) -> Result<Self, HdlError> {
        check_lms_params(p)?;
        let wm = p.weight_max();
        let dm = p.delta_max();
        // the clamps below test bits: WM = 255 and DM = 63 at the widths check_lms_params fixes
        debug_assert!(wm == 255 && dm == 63);
        Ok(LmsStep {
            err_nonzero: Default::default(),
            err_positive: Default::default(),
            x: Default::default(),
            prev: Default::default(),
            d: Default::default(),
            w: Default::default(),
            d_next: Default::default(),
            w_next: Default::default(),
            d_nonzero: Default::default(),
            step_on: Default::default(),
            step_up: Default::default(),
            w_wide: Default::default(),
            w_sum: Default::default(),
            w_low0: Default::default(),
            diff: Default::default(),
            x_wide: Default::default(),
            prev_wide: Default::default(),
            d_mid: Default::default(),
            k_step: std::array::from_fn(|i| Constant::new((p.steps[i] as u64).into())),
            k_wmax_out: Constant::new(to_bits(wm, WEIGHT_BITS).into()),
            k_wmin_out: Constant::new(to_bits(-wm, WEIGHT_BITS).into()),
            k_dmax_out: Constant::new(to_bits(dm, DELTA_BITS).into()),
            k_dmin_out: Constant::new(to_bits(-dm, DELTA_BITS).into()),
            k_zero_d: Constant::new(0u64.into()),
            k_zero8: Constant::new(0u64.into()),
            k_zero4: Constant::new(0u64.into()),
            k_ones4: Constant::new(15u64.into()),
            k_zero6: Constant::new(0u64.into()),
        })
    }
}

impl Logic for LmsStep {
    // Two branches with the same assignment rather than one `a | b` test: a condition is one
    // signal or one comparison (rust-hdl emits no parentheses; see `crate::core`).
    #[allow(clippy::if_same_then_else)]
    #[hdl_gen]
    fn update(&mut self) {
        // weights: sign(d_i) from its top bit; w_sum = w ± μ in 10 bits, clamped to ±255:
        // above 255 when bits 9, 8 are 0, 1; below −255 when bit 9 is set and bit 8 clear
        // (−512 ..= −257) or the rest is −256 (bits 9, 8 set, 7..0 clear)
        for i in 0..TAPS {
            self.d_nonzero[i].next = self.d[i].val() != self.k_zero_d.val();
            self.step_on[i].next = self.err_nonzero.val() & self.d_nonzero[i].val();
            self.step_up[i].next = self.err_positive.val() ^ self.d[i].val().get_bit(6);
            self.w_wide[i].a.next = self.w[i].val();
            self.w_sum[i].next = self.w_wide[i].result.val();
            if self.step_on[i].val() {
                if self.step_up[i].val() {
                    self.w_sum[i].next = self.w_wide[i].result.val() + self.k_step[i].val();
                } else {
                    self.w_sum[i].next = self.w_wide[i].result.val() - self.k_step[i].val();
                }
            }
            self.w_low0[i].next = self.w_sum[i].val().get_bits::<8>(0) == self.k_zero8.val();
            self.w_next[i].next = self.w_sum[i].val().get_bits::<WEIGHT_BITS>(0);
            if self.w_sum[i].val().get_bit(9) {
                if !self.w_sum[i].val().get_bit(8) {
                    self.w_next[i].next = self.k_wmin_out.val();
                } else if self.w_low0[i].val() {
                    self.w_next[i].next = self.k_wmin_out.val();
                }
            } else if self.w_sum[i].val().get_bit(8) {
                self.w_next[i].next = self.k_wmax_out.val();
            }
        }
        // deltas: shift, then d_1 = clamp(x − prev, ±63) (diff in 11 bits: above 63 when
        // non-negative with bits 9..6 not all 0; below −63 when negative with bits 9..6 not
        // all 1, or −64)
        for i in 1..TAPS {
            self.d_next[i].next = self.d[i - 1].val();
        }
        self.x_wide.next = bit_cast::<W1, W>(self.x.val());
        self.prev_wide.next = bit_cast::<W1, W>(self.prev.val());
        self.diff.next = self.x_wide.val() - self.prev_wide.val();
        self.d_mid.next = self.diff.val().get_bits::<4>(6);
        self.d_next[0].next = self.diff.val().get_bits::<DELTA_BITS>(0);
        if self.diff.val().get_bit(10) {
            if self.d_mid.val() != self.k_ones4.val() {
                self.d_next[0].next = self.k_dmin_out.val();
            } else if self.diff.val().get_bits::<6>(0) == self.k_zero6.val() {
                self.d_next[0].next = self.k_dmin_out.val();
            }
        } else if self.d_mid.val() != self.k_zero4.val() {
            self.d_next[0].next = self.k_dmax_out.val();
        }
    }
}

/// [`LmsPredict`] feeding [`LmsUpdate`]: the LMS stage of one sample as one block (the unit
/// the Verilator test co-simulates).
#[derive(LogicBlock)]
pub struct LmsUnit {
    pub prev: Signal<In, Bits<W>>,
    pub x: Signal<In, Bits<W>>,
    pub d: [Signal<In, Bits<DELTA_BITS>>; TAPS],
    pub w: [Signal<In, Bits<WEIGHT_BITS>>; TAPS],
    pub pred: Signal<Out, Bits<W>>,
    pub d_next: [Signal<Out, Bits<DELTA_BITS>>; TAPS],
    pub w_next: [Signal<Out, Bits<WEIGHT_BITS>>; TAPS],
    predict: LmsPredict,
    step: LmsUpdate,
}

impl LmsUnit {
    /// The unit for the steps of `p`.
    pub fn new(p: &V2Params) -> Result<Self, HdlError> {
        Ok(LmsUnit {
            prev: Default::default(),
            x: Default::default(),
            d: Default::default(),
            w: Default::default(),
            pred: Default::default(),
            d_next: Default::default(),
            w_next: Default::default(),
            predict: LmsPredict::default(),
            step: LmsUpdate::new(p)?,
        })
    }
}

impl Logic for LmsUnit {
    #[hdl_gen]
    fn update(&mut self) {
        self.predict.prev.next = self.prev.val();
        self.step.prev.next = self.prev.val();
        self.step.x.next = self.x.val();
        for i in 0..TAPS {
            self.predict.d[i].next = self.d[i].val();
            self.predict.w[i].next = self.w[i].val();
            self.step.d[i].next = self.d[i].val();
            self.step.w[i].next = self.w[i].val();
            self.d_next[i].next = self.step.d_next[i].val();
            self.w_next[i].next = self.step.w_next[i].val();
        }
        self.step.pred.next = self.predict.pred.val();
        self.pred.next = self.predict.pred.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::v2::{self, State};
    use neurice_testkit::XorShift64;

    /// Random states over the whole stored range (extremes included), and the states of a
    /// real-looking signal, against the model's `predict` and `update`.
    #[test]
    fn lms_blocks_match_the_model() {
        let p = V2Params::HARDWARE;
        let mut pr = LmsPredict::default();
        let mut up = LmsUpdate::new(&p).unwrap();
        pr.connect_all();
        up.connect_all();
        let (wm, dm) = (p.weight_max(), p.delta_max());
        let mut rng = XorShift64::new(7);
        let mut st = State::initial(&p);
        for n in 0..200_000u32 {
            let x;
            if n % 2 == 0 {
                // random state, extremes favoured
                let pick = |rng: &mut XorShift64, m: i32| match rng.next_u64() % 4 {
                    0 => m,
                    1 => -m,
                    _ => (rng.next_u64() % (2 * m as u64 + 1)) as i32 - m,
                };
                for t in 0..TAPS {
                    st.w[t] = pick(&mut rng, wm);
                    st.d[t] = pick(&mut rng, dm);
                }
                st.prev = (rng.next_u64() % 1024) as u32;
                x = (rng.next_u64() % 1024) as u32;
            } else {
                // a slow sine with noise, continuing from the last state
                let t = n as f64 * 0.01;
                x = (512.0 + 300.0 * t.sin() + (rng.next_u64() % 9) as f64 - 4.0) as u32;
            }
            pr.prev.next = (st.prev as u64).into();
            up.prev.next = (st.prev as u64).into();
            for t in 0..TAPS {
                pr.d[t].next = to_bits(st.d[t], DELTA_BITS).into();
                pr.w[t].next = to_bits(st.w[t], WEIGHT_BITS).into();
                up.d[t].next = to_bits(st.d[t], DELTA_BITS).into();
                up.w[t].next = to_bits(st.w[t], WEIGHT_BITS).into();
            }
            assert!(simulate(&mut pr, 50));
            let want_pred = v2::predict(&st, &p);
            let pred = pr.pred.val().to_u32();
            assert_eq!(pred, want_pred, "sample {n}: state {st:?}");
            up.x.next = (x as u64).into();
            up.pred.next = (pred as u64).into();
            assert!(simulate(&mut up, 50));
            let u = neurice_model::lite::zigzag_error(x, pred, W as u32);
            let next = v2::update(&st, x, pred, u, &p);
            for t in 0..TAPS {
                assert_eq!(
                    from_bits(up.w_next[t].val().to_u64(), WEIGHT_BITS),
                    next.w[t],
                    "sample {n} weight {t}: state {st:?}, x {x}"
                );
                assert_eq!(
                    from_bits(up.d_next[t].val().to_u64(), DELTA_BITS),
                    next.d[t],
                    "sample {n} delta {t}: state {st:?}, x {x}"
                );
            }
            st = next;
        }
    }

    #[test]
    fn the_unit_emits_verilog() {
        let mut u = LmsUnit::new(&V2Params::HARDWARE).unwrap();
        u.connect_all();
        let v = generate_verilog(&u);
        assert!(v.contains("$signed(a) * $signed(b)"), "{v}");
    }

    #[test]
    fn other_widths_are_refused() {
        let mut p = V2Params::HARDWARE;
        p.taps = 3;
        p.steps[3] = 0;
        p.init_weights[3] = 0;
        let e = LmsUpdate::new(&p).err().unwrap().to_string();
        assert!(e.contains("taps = 4"), "{e}");
    }
}
