//! Combinational shifters as leaf blocks.
//!
//! rust-hdl 0.46 simulates every `Bits` shift through a heap-allocated `BigUint` (about a
//! hundred times slower than the add next to it), which would dominate the core's
//! simulation. These two leaf blocks shift natively in the simulation and emit the plain
//! Verilog operator, with the same meaning in both: the result has the data's width, bits
//! shifted out are lost, zeros come in, and any amount `>= N` gives zero.

use rust_hdl::prelude::*;

fn mask(bits: usize) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

macro_rules! shifter {
    ($name:ident, $doc:literal, $op:tt, $vop:literal) => {
        #[doc = $doc]
        #[derive(LogicBlock, Default)]
        pub struct $name<const N: usize, const S: usize> {
            pub data: Signal<In, Bits<N>>,
            pub amount: Signal<In, Bits<S>>,
            pub result: Signal<Out, Bits<N>>,
        }

        impl<const N: usize, const S: usize> Logic for $name<N, S> {
            fn update(&mut self) {
                let a = self.amount.val().to_u64();
                let d = self.data.val().to_u64();
                let r = if a >= N as u64 { 0 } else { (d $op a) & mask(N) };
                self.result.next = r.into();
            }

            fn connect(&mut self) {
                self.result.connect();
            }

            fn hdl(&self) -> Verilog {
                Verilog::Custom(format!(
                    "always @(*) begin\n   result = data {} amount;\nend\n",
                    $vop
                ))
            }
        }
    };
}

shifter!(
    ShiftLeft,
    "`result = data << amount` (width `N`, amount `S` bits).",
    <<,
    "<<"
);
shifter!(
    ShiftRight,
    "`result = data >> amount` (width `N`, amount `S` bits).",
    >>,
    ">>"
);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_match_u64_semantics() {
        let mut l = ShiftLeft::<10, 4>::default();
        let mut r = ShiftRight::<10, 4>::default();
        l.connect_all();
        r.connect_all();
        for d in [0u64, 1, 0x155, 0x3FF] {
            for a in 0..16u64 {
                l.data.next = d.into();
                l.amount.next = a.into();
                r.data.next = d.into();
                r.amount.next = a.into();
                assert!(simulate(&mut l, 10));
                assert!(simulate(&mut r, 10));
                let want_l = if a >= 10 { 0 } else { (d << a) & 0x3FF };
                let want_r = if a >= 10 { 0 } else { d >> a };
                assert_eq!(l.result.val().to_u64(), want_l, "{d} << {a}");
                assert_eq!(r.result.val().to_u64(), want_r, "{d} >> {a}");
            }
        }
    }
}
