//! The max core's bounded-error quantiser (FORMAT.md §10.11, issue 27): JPEG-LS's rule around
//! the LMS prediction, `neurice_model::near::Quantiser::residual`, in two leaf blocks with `δ`
//! a design parameter.
//!
//! | leaf | stage | work |
//! |---|---|---|
//! | [`NearQuant`] | s3 | `e = x − pred`, its sign and magnitude, `⌊(|e| ± …) / m⌋` by a constant reciprocal, the coded magnitude `u` |
//! | [`NearRecon`] | s4 | the reconstruction `x̂ = clamp(pred + q·m, 0, 1023)`, what the channel's state takes |
//!
//! With `m = 2δ + 1` and `a = |e|`: for `e ≥ 0`, `q = ⌊(a + δ)/m⌋` and `u = 2q`; for `e < 0`,
//! `q = −⌊(a + δ)/m⌋`, which is 0 when `a ≤ δ` ("qzero": `q = 0`, `u = 0`) and else
//! `−(⌊(a − δ − 1)/m⌋ + 1)`, so `u = 2·⌊(a − δ − 1)/m⌋ + 1`. Both divisions are one
//! multiply-add, `(a·R + c) >> S` with the reciprocal `R = ⌈2^S/m⌉` of coder v1's lattice
//! quantiser ([`crate::lattice::LatticeConsts`], exact for every dividend up to 1278) and the
//! constant `c = δ·R` or `−(δ + 1)·R` (mod 2^32) chosen by the sign: no adder before the
//! multiply, none after the shift, and `u` needs no decrement. The stage keeps `qv` (the
//! quotient), the sign and `qzero`; the reconstruction is then `pred + qv·m` (`e ≥ 0`),
//! `pred − (qv + 1)·m` (`e < 0`, not qzero; computed as `(pred − m) − qv·m`, the two terms
//! side by side) or `pred` (qzero), clamped to the scale.
//!
//! Both blocks compute in Rust in the simulation (the formula above, not the model's code)
//! and emit that formula as Verilog; the unit tests check the Rust against
//! `Quantiser::residual` for every sample and prediction, the core's co-simulation under
//! Verilator and on the gate-level netlist checks the Verilog.

use neurice_model::near::Quantiser;
use rust_hdl::prelude::*;

use crate::lattice::LatticeConsts;
use crate::HdlError;

/// The constants of the residual quantiser for one `δ` (grid mode, 10-bit samples).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NearConsts {
    pub delta: u32,
    /// `m = 2δ + 1`
    pub step: u32,
    /// `R = ⌈2^S / m⌉`, exact for dividends up to 1278 (`LatticeConsts`)
    pub recip: u32,
    pub shift: u32,
}

impl NearConsts {
    /// The constants for `δ` grid steps (0 ..= 255), or why the core cannot take it.
    pub fn new(delta: u32) -> Result<Self, HdlError> {
        let qz = Quantiser::grid(delta).map_err(|e| HdlError::Params(e.to_string()))?;
        let c = LatticeConsts::new(&qz)?;
        Ok(NearConsts {
            delta,
            step: qz.step(),
            recip: c.recip,
            shift: c.shift,
        })
    }

    /// The addend of the multiply-add for a non-negative (`neg` false) or negative residual:
    /// `δ·R`, or `−(δ + 1)·R` mod 2^32.
    pub fn addend(&self, neg: bool) -> u32 {
        if neg {
            ((self.delta + 1) * self.recip).wrapping_neg()
        } else {
            self.delta * self.recip
        }
    }

    /// What [`NearQuant`] computes for the sample `x` and the prediction `pred` (both
    /// 10-bit): `(u, qv, neg, qzero)`.
    pub fn quant(&self, x: u32, pred: u32) -> (u32, u32, bool, bool) {
        let neg = x < pred;
        let mag = x.abs_diff(pred) & 0x3FF;
        let qzero = mag <= self.delta;
        let prod = mag.wrapping_mul(self.recip).wrapping_add(self.addend(neg));
        let qv = (prod >> self.shift) & 0x3FF;
        let u = match (neg, qzero) {
            (true, true) => 0,
            (true, false) => ((qv & 0x1FF) << 1) | 1,
            (false, _) => (qv & 0x1FF) << 1,
        };
        (u, qv, neg, qzero)
    }

    /// What [`NearRecon`] computes: the reconstruction from the prediction and
    /// [`quant`](Self::quant)'s `qv`, `neg`, `qzero`.
    pub fn recon(&self, pred: u32, qv: u32, neg: bool, qzero: bool) -> u32 {
        // pred − (qv + 1)·m as (pred − m) − qv·m: the two terms side by side, one adder
        // fewer in series than adding m to qv·m first
        let qm = (qv * self.step) & 0xFFF;
        let up = (pred + qm) & 0xFFF;
        let dn = pred.wrapping_sub(self.step).wrapping_sub(qm) & 0xFFF;
        if neg && qzero {
            pred
        } else if neg {
            if dn & 0x800 != 0 {
                0
            } else {
                dn & 0x3FF
            }
        } else if up >= 1024 {
            1023
        } else {
            up
        }
    }
}

/// Writes out the `Block` impl `#[derive(LogicBlock)]` would generate for a leaf with the
/// listed ports (so that the constants are plain Rust values, not Verilog parameters).
macro_rules! leaf_block {
    ($t:ty, $($p:ident),+) => {
        impl Block for $t {
            fn connect_all(&mut self) {
                self.connect();
                $(self.$p.connect_all();)+
            }
            fn update_all(&mut self) {
                self.update();
                $(self.$p.update_all();)+
            }
            fn has_changed(&self) -> bool {
                false $(|| self.$p.has_changed())+
            }
            fn accept(&self, name: &str, probe: &mut dyn Probe) {
                probe.visit_start_scope(name, self);
                $(self.$p.accept(stringify!($p), probe);)+
                probe.visit_end_scope(name, self);
            }
        }
    };
}

/// s3: the quantised residual's magnitude `u` and what the reconstruction needs (module docs).
pub struct NearQuant {
    pub x: Signal<In, Bits<10>>,
    pub pred: Signal<In, Bits<10>>,
    pub u: Signal<Out, Bits<10>>,
    pub qv: Signal<Out, Bits<10>>,
    pub neg: Signal<Out, Bit>,
    pub qzero: Signal<Out, Bit>,
    consts: NearConsts,
}

impl NearQuant {
    pub fn new(c: &NearConsts) -> Self {
        NearQuant {
            x: Default::default(),
            pred: Default::default(),
            u: Default::default(),
            qv: Default::default(),
            neg: Default::default(),
            qzero: Default::default(),
            consts: *c,
        }
    }
}

leaf_block!(NearQuant, x, pred, u, qv, neg, qzero);

impl Logic for NearQuant {
    fn update(&mut self) {
        let (u, qv, neg, qzero) = self
            .consts
            .quant(self.x.val().to_u32(), self.pred.val().to_u32());
        self.u.next = (u as u64).into();
        self.qv.next = (qv as u64).into();
        self.neg.next = neg;
        self.qzero.next = qzero;
    }

    fn connect(&mut self) {
        self.u.connect();
        self.qv.connect();
        self.neg.connect();
        self.qzero.connect();
    }

    fn hdl(&self) -> Verilog {
        let c = &self.consts;
        // the 32-bit multiply-add, of which qv takes bits S .. S + 9 (the fraction below and
        // the bits above are unused: waived for Verilator's lint here only)
        Verilog::Custom(format!(
            "/* verilator lint_off UNUSEDSIGNAL */\n\
             wire [10:0] ep = {{1'b0, x}} - {{1'b0, pred}};\n\
             wire [9:0] en = pred - x;\n\
             wire ng = ep[10];\n\
             wire [9:0] mag = ng ? en : ep[9:0];\n\
             wire [31:0] prod = ({{22'd0, mag}} * 32'd{recip}) + (ng ? 32'd{cn} : 32'd{cp});\n\
             wire [9:0] q = prod[{hi}:{lo}];\n\
             /* verilator lint_on UNUSEDSIGNAL */\n\
             always @(*) begin\n   neg = ng;\n   qzero = (mag <= 10'd{delta});\n   qv = q;\n   \
             if (ng) begin\n      if (mag <= 10'd{delta}) u = 10'd0;\n      \
             else u = {{q[8:0], 1'b1}};\n   end else u = {{q[8:0], 1'b0}};\nend\n",
            recip = c.recip,
            cn = c.addend(true),
            cp = c.addend(false),
            hi = c.shift + 9,
            lo = c.shift,
            delta = c.delta,
        ))
    }
}

/// s4: the reconstruction `clamp(pred + q·m, 0, 1023)` (module docs).
pub struct NearRecon {
    pub pred: Signal<In, Bits<10>>,
    pub qv: Signal<In, Bits<10>>,
    pub neg: Signal<In, Bit>,
    pub qzero: Signal<In, Bit>,
    pub xr: Signal<Out, Bits<10>>,
    consts: NearConsts,
}

impl NearRecon {
    pub fn new(c: &NearConsts) -> Self {
        NearRecon {
            pred: Default::default(),
            qv: Default::default(),
            neg: Default::default(),
            qzero: Default::default(),
            xr: Default::default(),
            consts: *c,
        }
    }
}

leaf_block!(NearRecon, pred, qv, neg, qzero, xr);

impl Logic for NearRecon {
    fn update(&mut self) {
        let xr = self.consts.recon(
            self.pred.val().to_u32(),
            self.qv.val().to_u32(),
            self.neg.val(),
            self.qzero.val(),
        );
        self.xr.next = (xr as u64).into();
    }

    fn connect(&mut self) {
        self.xr.connect();
    }

    fn hdl(&self) -> Verilog {
        let m = self.consts.step;
        // dn[10] is unused (a borrow sets bit 11; waived for Verilator's lint here only)
        Verilog::Custom(format!(
            "wire [11:0] qm = {{2'd0, qv}} * 12'd{m};\n\
             wire [11:0] up = {{2'd0, pred}} + qm;\n\
             wire [11:0] pm = {{2'd0, pred}} - 12'd{m};\n\
             /* verilator lint_off UNUSEDSIGNAL */\n\
             wire [11:0] dn = pm - qm;\n\
             /* verilator lint_on UNUSEDSIGNAL */\n\
             always @(*) begin\n   if (neg) begin\n      if (qzero) xr = pred;\n      \
             else if (dn[11]) xr = 10'd0;\n      else xr = dn[9:0];\n   end\n   \
             else if (up[11:10] != 2'd0) xr = 10'd1023;\n   else xr = up[9:0];\nend\n"
        ))
    }
}

/// A part of the core that exists only for `δ > 0` (the s4n registers, [`NearQuant`],
/// [`NearRecon`], the state update's input selection): it simulates as `B` always, but for
/// `δ = 0` (`on == false`) it shows itself to no probe, so the lossless core's Verilog has no
/// module, instance or net of it; the core's own Verilog drops the statements that name it
/// (`crate::lattice::fold_false_flag`). Field access goes through `Deref`, so `hdl_gen`
/// names its nets as those of `B`.
pub struct Gated<B> {
    inner: B,
    on: bool,
}

impl<B> Gated<B> {
    pub fn new(inner: B, on: bool) -> Self {
        Self { inner, on }
    }
}

impl<B: Default> Gated<B> {
    pub fn default_if(on: bool) -> Self {
        Self::new(B::default(), on)
    }
}

impl<B> std::ops::Deref for Gated<B> {
    type Target = B;
    fn deref(&self) -> &B {
        &self.inner
    }
}

impl<B> std::ops::DerefMut for Gated<B> {
    fn deref_mut(&mut self) -> &mut B {
        &mut self.inner
    }
}

impl<B: Block> Logic for Gated<B> {
    fn update(&mut self) {}

    /// `hdl_gen`'s `connect` calls `self.field.connect()` for a gated signal it writes: that
    /// is the signal's.
    fn connect(&mut self) {
        self.inner.connect();
    }
}

impl<B: Block> Block for Gated<B> {
    fn connect_all(&mut self) {
        self.inner.connect_all();
    }
    fn update_all(&mut self) {
        self.inner.update_all();
    }
    fn has_changed(&self) -> bool {
        self.inner.has_changed()
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        if self.on {
            self.inner.accept(name, probe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two blocks' formulas are `Quantiser::residual` for every sample and every
    /// prediction, for δ = 1, 2 and a spread up to the format's limit; and the sign of
    /// `x̂ − pred` is what `quant` tells (the core's LMS update takes it a stage early).
    #[test]
    fn quant_and_recon_are_the_models_residual_form() {
        for d in [1u32, 2, 3, 4, 7, 100, 254, 255] {
            let c = NearConsts::new(d).unwrap();
            let qz = Quantiser::grid(d).unwrap();
            for pred in 0..1024u32 {
                for x in 0..1024u32 {
                    let (u, qv, neg, qzero) = c.quant(x, pred);
                    let want = qz.residual(x, pred);
                    let xr = c.recon(pred, qv, neg, qzero);
                    // the core's LMS update takes sign(x̂ − pred) from s3 as `!qzero` and
                    // `!neg && !qzero` (`core.rs`, s4n_enz and s4n_epos)
                    assert_eq!(
                        (xr != pred, xr > pred),
                        (!qzero, !neg && !qzero),
                        "sign: δ {d} x {x} pred {pred}"
                    );
                    assert_eq!((u, xr), want, "δ {d} x {x} pred {pred}");
                }
            }
        }
        assert!(NearConsts::new(256).is_err());
    }

    #[test]
    fn blocks_compute_the_formulas_in_simulation() {
        let c = NearConsts::new(2).unwrap();
        let mut q = NearQuant::new(&c);
        let mut r = NearRecon::new(&c);
        q.connect_all();
        r.connect_all();
        for (x, pred) in [(0u32, 1023u32), (1023, 0), (500, 497), (500, 503), (7, 9)] {
            q.x.next = (x as u64).into();
            q.pred.next = (pred as u64).into();
            assert!(simulate(&mut q, 50));
            r.pred.next = (pred as u64).into();
            r.qv.next = q.qv.val();
            r.neg.next = q.neg.val();
            r.qzero.next = q.qzero.val();
            assert!(simulate(&mut r, 50));
            let want = Quantiser::grid(2).unwrap().residual(x, pred);
            assert_eq!((q.u.val().to_u32(), r.xr.val().to_u32()), want);
        }
    }
}
