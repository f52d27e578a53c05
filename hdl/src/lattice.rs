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

use crate::prims::ShiftRight;
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

/// `j = (x·R + δ·R + b·2^S) >> S` for a 10-bit `x` (combinational; one constant
/// multiply-add).
#[derive(LogicBlock)]
pub struct LatticeIndex {
    pub x: Signal<In, Bits<10>>,
    pub j: Signal<Out, Bits<10>>,
    k_recip: Constant<Bits<16>>,
    k_addend: Constant<Bits<32>>,
    k_shift: Constant<Bits<5>>,
    /// `δ = 0`: `j = x` (a constant select, so the arithmetic is removed).
    k_lossless: Constant<Bit>,
    x16: Signal<Local, Bits<16>>,
    prod: Signal<Local, Bits<32>>,
    sum: Signal<Local, Bits<32>>,
    quot: ShiftRight<32, 5>,
}

impl LatticeIndex {
    pub fn new(c: &LatticeConsts) -> Self {
        Self {
            x: Default::default(),
            j: Default::default(),
            k_recip: Constant::new((c.recip as u64).into()),
            k_addend: Constant::new((c.addend() as u64).into()),
            k_shift: Constant::new((c.shift as u64).into()),
            k_lossless: Constant::new(c.delta == 0),
            x16: Default::default(),
            prod: Default::default(),
            sum: Default::default(),
            quot: Default::default(),
        }
    }
}

impl Logic for LatticeIndex {
    #[hdl_gen]
    fn update(&mut self) {
        self.x16.next = bit_cast::<16, 10>(self.x.val());
        self.prod.next = self.x16.val() * self.k_recip.val();
        self.sum.next = self.prod.val() + self.k_addend.val();
        self.quot.data.next = self.sum.val();
        self.quot.amount.next = self.k_shift.val();
        self.j.next = bit_cast::<10, 32>(self.quot.result.val());
        if self.k_lossless.val() {
            self.j.next = self.x.val();
        }
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
