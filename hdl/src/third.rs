//! The divide-by-three table of the `quotient` stage, as a leaf block: for `v < 64`,
//! `q = v / 3`, the truncated-binary prefix `rh` of the remainder class and its width `rw`
//! (see [`third_table`]). The Verilog is a `case` generated from the same function, so the
//! simulation and the netlist hold one table.

use rust_hdl::prelude::*;

/// `(q, rh, rw)` for `v = u >> (k-1)` when `m = 3·2^(k-1)`: the remainder `r = u mod m` is
/// `(v mod 3)·2^(k-1) + (u mod 2^(k-1))`; truncated binary with cut `2^(k-1)` sends `r` in
/// `k` bits when `v mod 3 = 0` (prefix `0`, 1 bit above the low bits) and `r + cut` in
/// `k + 1` bits otherwise (prefix `v mod 3 + 1` ∈ {2, 3}, 2 bits above the low bits).
pub fn third_table(v: u32) -> (u32, u32, u32) {
    let q = v / 3;
    match v % 3 {
        0 => (q, 0, 1),
        vm => (q, vm + 1, 2),
    }
}

#[derive(LogicBlock, Default)]
pub struct ThirdTable {
    pub v: Signal<In, Bits<6>>,
    pub q: Signal<Out, Bits<5>>,
    pub rh: Signal<Out, Bits<2>>,
    pub rw: Signal<Out, Bits<2>>,
}

impl Logic for ThirdTable {
    fn update(&mut self) {
        let (q, rh, rw) = third_table(self.v.val().to_u32());
        self.q.next = (q as u64).into();
        self.rh.next = (rh as u64).into();
        self.rw.next = (rw as u64).into();
    }

    fn connect(&mut self) {
        self.q.connect();
        self.rh.connect();
        self.rw.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut cases = String::new();
        for v in 0..64u32 {
            let (q, rh, rw) = third_table(v);
            cases.push_str(&format!(
                "   6'd{v}: begin q = 5'd{q}; rh = 2'd{rh}; rw = 2'd{rw}; end\n"
            ));
        }
        Verilog::Custom(format!(
            "always @(*) begin\n   case (v)\n{cases}   default: begin q = 5'd0; rh = 2'd0; rw = 2'd0; end\n   endcase\nend\n"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_division() {
        for v in 0..64u32 {
            let (q, rh, rw) = third_table(v);
            let m = 3u32;
            assert_eq!(q, v / m);
            // the prefix and the low bits rebuild the truncated-binary code of r = v mod 3 at k = 1
            let r = v % m;
            let (code, len) = if r < 1 { (r, 1) } else { (r + 1, 2) };
            assert_eq!((rh, rw), (code, len));
        }
    }
}
