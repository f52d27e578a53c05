//! The bounded-error quantiser of the core (FORMAT.md §11): each 10-bit sample `x` becomes
//! its lattice index `j = ⌊(x + δ) / (2δ + 1)⌋ + b` (`neurice_model::near::Quantiser::index`)
//! before the lane codes it, so the coder, its state and its forwarding are those of the
//! lossless core and the forwarded `prev` is the reconstruction's index.
//!
//! The division by the constant `m = 2δ + 1` is a multiply by a reciprocal and a shift:
//! `⌊t / m⌋ = (t · R) >> S` with `R = ⌈2^S / m⌉`, exact for every `t = x + δ` the core can see
//! (`x < 1024`, `δ <= 255`: `t < 1279`) with the smallest `S` that makes it so
//! ([`LatticeConsts::new`] searches it and checks every `t`; a test checks every `δ` and every
//! `x`). The block computes `(x·R + C) >> S` with the constant `C = δ·R + b·2^S`: one
//! constant multiply-add, no adder before it or after the shift. For `δ = 0` the block is
//! the identity (a constant select) and yosys removes it.

use neurice_model::near::Quantiser;
use rust_hdl::prelude::*;

use crate::HdlError;

/// The constants of the quantiser for one `δ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatticeConsts {
    pub delta: u32,
    /// `R = ⌈2^S / m⌉` (below `2^16`: the multiplier is 16 × 16 bits).
    pub recip: u32,
    pub shift: u32,
    /// `b`, the index of lattice value 0.
    pub offset: u32,
}

/// The largest `t = x + δ` the quantiser divides (`x <= 1023`, `δ <= 255`).
const T_MAX: u32 = 1023 + neurice_model::near::MAX_ERROR_LIMIT;

impl LatticeConsts {
    /// `δ = 0`: the identity.
    pub const LOSSLESS: LatticeConsts = LatticeConsts {
        delta: 0,
        recip: 1,
        shift: 0,
        offset: 0,
    };

    /// The constants for a grid-mode quantiser (10-bit samples), or why the core cannot take
    /// it.
    pub fn new(qz: &Quantiser) -> Result<Self, HdlError> {
        qz.check_width(crate::lane::W as u32)
            .map_err(|e| HdlError::Params(e.to_string()))?;
        let (delta, m) = (qz.delta(), qz.step());
        for shift in 0..=27u32 {
            let recip = (1u64 << shift).div_ceil(m as u64);
            if recip >= 1 << 16 {
                break;
            }
            let exact = (0..=T_MAX).all(|t| ((t as u64 * recip) >> shift) as u32 == t / m);
            if exact {
                return Ok(LatticeConsts {
                    delta,
                    recip: recip as u32,
                    shift,
                    offset: qz.offset(),
                });
            }
        }
        Err(HdlError::Params(format!(
            "no 16-bit reciprocal of {m} is exact up to {T_MAX}"
        )))
    }

    /// The constant the block adds to `x·R`: `δ·R + b·2^S`, so that
    /// `(x·R + C) >> S = ((x + δ)·R >> S) + b` with no adder before the multiply or after the
    /// shift.
    pub fn addend(&self) -> u32 {
        self.delta * self.recip + (self.offset << self.shift)
    }

    /// What the block computes: `(x·R + δ·R + b·2^S) >> S`, which is `((x + δ)·R >> S) + b`.
    pub fn index(&self, x: u32) -> u32 {
        ((x as u64 * self.recip as u64 + self.addend() as u64) >> self.shift) as u32
    }
}

/// `j = (x·R + C) >> S` for a 10-bit `x` (combinational; one constant multiply-add), as a
/// leaf block: the simulation computes [`LatticeConsts::index`], the Verilog is that one
/// expression (and `j = x` for `δ = 0`, so the lossless core's netlist is unchanged). The
/// Verilator co-simulation of the cores checks that the two agree.
///
/// `Block` is written out (what `#[derive(LogicBlock)]` would generate for the two ports), so
/// that the constants are plain Rust values and not Verilog parameters the body leaves unused.
pub struct LatticeIndex {
    pub x: Signal<In, Bits<10>>,
    pub j: Signal<Out, Bits<10>>,
    consts: LatticeConsts,
}

impl LatticeIndex {
    pub fn new(c: &LatticeConsts) -> Self {
        Self {
            x: Default::default(),
            j: Default::default(),
            consts: *c,
        }
    }
}

impl Block for LatticeIndex {
    fn connect_all(&mut self) {
        self.connect();
        self.x.connect_all();
        self.j.connect_all();
    }

    fn update_all(&mut self) {
        self.update();
        self.x.update_all();
        self.j.update_all();
    }

    fn has_changed(&self) -> bool {
        self.x.has_changed() || self.j.has_changed()
    }

    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        self.x.accept("x", probe);
        self.j.accept("j", probe);
        probe.visit_end_scope(name, self);
    }
}

impl Logic for LatticeIndex {
    fn update(&mut self) {
        self.j.next = (self.consts.index(self.x.val().to_u32()) as u64).into();
    }

    fn connect(&mut self) {
        self.j.connect();
    }

    fn hdl(&self) -> Verilog {
        let c = &self.consts;
        if c.delta == 0 {
            return Verilog::Custom("always @(*) begin\n   j = x;\nend\n".into());
        }
        // the 32-bit multiply-add, of which j takes bits S .. S + 9 (the bits below are the
        // dropped fraction, the bits above are zero: waived for Verilator's lint here only)
        Verilog::Custom(format!(
            "/* verilator lint_off UNUSEDSIGNAL */\n\
             wire [31:0] sum = ({{22'd0, x}} * 32'd{recip}) + 32'd{addend};\n\
             /* verilator lint_on UNUSEDSIGNAL */\n\
             always @(*) begin\n   j = sum[{hi}:{lo}];\nend\n",
            recip = c.recip,
            addend = c.addend(),
            hi = c.shift + 9,
            lo = c.shift,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::near::MAX_ERROR_LIMIT;

    #[test]
    fn reciprocal_is_exact_for_every_delta_and_sample() {
        for d in 0..=MAX_ERROR_LIMIT {
            let qz = Quantiser::grid(d).unwrap();
            let c = LatticeConsts::new(&qz).unwrap();
            assert!(c.recip < 1 << 16);
            // the Verilog's 32-bit multiply-add never overflows
            assert!(
                1023 * c.recip as u64 + (c.addend() as u64) < 1 << 32,
                "δ {d}"
            );
            for x in 0..1024 {
                assert_eq!(c.index(x), qz.index(x), "δ {d} x {x}");
                assert!(c.index(x) < 1024);
            }
        }
        let c = LatticeConsts::new(&Quantiser::LOSSLESS).unwrap();
        assert_eq!((c.recip, c.shift, c.offset), (1, 0, 0));
        assert!(LatticeConsts::new(&Quantiser::raw(1).unwrap()).is_err());
    }

    #[test]
    fn block_computes_the_index_in_simulation() {
        for d in [0u32, 1, 2, 3, 7, 100, 255] {
            let qz = Quantiser::grid(d).unwrap();
            let mut b = LatticeIndex::new(&LatticeConsts::new(&qz).unwrap());
            b.connect_all();
            for x in 0..1024u32 {
                b.x.next = (x as u64).into();
                assert!(simulate(&mut b, 50));
                assert_eq!(b.j.val().to_u32(), qz.index(x), "δ {d} x {x}");
            }
        }
    }
}
