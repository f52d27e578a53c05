//! The event core's arithmetic as small combinational leaf blocks: each one simulates
//! natively in rust-hdl and emits the plain Verilog expression, with two's complement
//! operands written out with explicit widths (the pitfalls of the field notes — 32-bit
//! literals, unparenthesised operators, signed values in `Bits` — stay out of the core's
//! `update`). Same idea as [`crate::prims`]; the Verilator co-simulation of the whole core
//! against the golden model checks that both meanings agree.

use rust_hdl::prelude::*;

fn sext(v: u64, bits: u32) -> i64 {
    let s = 64 - bits;
    ((v << s) as i64) >> s
}

fn sat16(v: i64) -> u64 {
    (v.clamp(i16::MIN as i64, i16::MAX as i64) as i16 as u16) as u64
}

/// `result = sat16(sa·a + sb·b)`: `a` 16-bit and `b` `B`-bit two's complement, `sa`, `sb`
/// ∈ {+1, −1} fixed at build time (the filter's `y = x + s1`, `s1' = s2 − p1`,
/// `s2' = −x − p2`, FORMAT.md §12.2).
#[derive(LogicBlock)]
pub struct SatLin<const B: usize> {
    pub a: Signal<In, Bits<16>>,
    pub b: Signal<In, Bits<B>>,
    pub result: Signal<Out, Bits<16>>,
    _neg_a: bool,
    _neg_b: bool,
}

impl<const B: usize> SatLin<B> {
    pub fn new(neg_a: bool, neg_b: bool) -> Self {
        SatLin {
            a: Default::default(),
            b: Default::default(),
            result: Default::default(),
            _neg_a: neg_a,
            _neg_b: neg_b,
        }
    }
}

impl<const B: usize> Logic for SatLin<B> {
    fn update(&mut self) {
        let a = sext(self.a.val().to_u64(), 16);
        let b = sext(self.b.val().to_u64(), B as u32);
        let v = if self._neg_a { -a } else { a } + if self._neg_b { -b } else { b };
        self.result.next = sat16(v).into();
    }
    fn connect(&mut self) {
        self.result.connect();
    }
    fn hdl(&self) -> Verilog {
        // B + 2 bits hold any sum of the two (|a| <= 2^15, |b| <= 2^(B-1))
        let w = B.max(16) + 2;
        let sa = if self._neg_a { "-" } else { "+" };
        let sb = if self._neg_b { "-" } else { "+" };
        Verilog::Custom(format!(
            "wire signed [{m}:0] ea = {{{{{pa}{{a[15]}}}}, a}};\n\
             wire signed [{m}:0] eb = {{{{{pb}{{b[{bt}]}}}}, b}};\n\
             wire signed [{m}:0] s = {sa} ea {sb} eb;\n\
             always @(*) begin\n\
             \x20  if (s > {w}'sd32767) result = 16'h7fff;\n\
             \x20  else if (s < -{w}'sd32768) result = 16'h8000;\n\
             \x20  else result = s[15:0];\nend\n",
            m = w - 1,
            pa = w - 16,
            pb = w - B,
            bt = B - 1,
        ))
    }
}

/// `result = (k·y + 2^13) >> 14` (floor), `y` 16-bit two's complement, `k` a signed Q14
/// constant fixed at build time; an 18-bit two's complement result (the filter's rounded
/// products, §12.2). The Verilog multiplies by `|k|` and negates for a negative `k`, so
/// yosys builds an adder per one-bit of `|k|`.
#[derive(LogicBlock)]
pub struct MulQ14 {
    pub y: Signal<In, Bits<16>>,
    pub result: Signal<Out, Bits<18>>,
    _k: i64,
}

impl MulQ14 {
    pub fn new(k: i16) -> Self {
        MulQ14 {
            y: Default::default(),
            result: Default::default(),
            _k: k as i64,
        }
    }
}

impl Logic for MulQ14 {
    fn update(&mut self) {
        let y = sext(self.y.val().to_u64(), 16);
        let r = (self._k * y + 8192) >> 14;
        self.result.next = ((r as u64) & 0x3FFFF).into();
    }
    fn connect(&mut self) {
        self.result.connect();
    }
    fn hdl(&self) -> Verilog {
        let m = self._k.unsigned_abs();
        let sign = if self._k < 0 { "-" } else { "" };
        Verilog::Custom(format!(
            "wire signed [31:0] ey = {{{{16{{y[15]}}}}, y}};\n\
             wire signed [31:0] prod = {sign}(ey * 32'sd{m});\n\
             /* verilator lint_off UNUSEDSIGNAL */ // >> 14 drops the low bits\n\
             wire signed [31:0] rnd = prod + 32'sd8192;\n\
             /* verilator lint_on UNUSEDSIGNAL */\n\
             always @(*) result = rnd[31:14];\n"
        ))
    }
}

/// `result = (a·k) >> s` on unsigned values (`a` 16 bits, `k < 2^16` fixed at build time):
/// the threshold and the clip from the noise estimate (§12.3).
#[derive(LogicBlock)]
pub struct MulShr {
    pub a: Signal<In, Bits<16>>,
    pub result: Signal<Out, Bits<20>>,
    _k: u64,
    _s: u32,
}

impl MulShr {
    pub fn new(k: u32, s: u32) -> Self {
        assert!(k < 1 << 16, "MulShr constant {k} is wider than 16 bits");
        MulShr {
            a: Default::default(),
            result: Default::default(),
            _k: k as u64,
            _s: s,
        }
    }
}

impl Logic for MulShr {
    fn update(&mut self) {
        let v = (self.a.val().to_u64() * self._k) >> self._s;
        self.result.next = (v & 0xF_FFFF).into();
    }
    fn connect(&mut self) {
        self.result.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "/* verilator lint_off UNUSEDSIGNAL */ // the product's low bits are shifted out\n\
             wire [31:0] prod = {{16'd0, a}} * 32'd{k};\n\
             /* verilator lint_on UNUSEDSIGNAL */\n\
             always @(*) result = prod[{hi}:{lo}];\n",
            k = self._k,
            lo = self._s,
            hi = self._s + 19
        ))
    }
}

/// `result = d >>> s` (arithmetic): `d` 18-bit two's complement, `s` 0..15 (the noise
/// estimate's update, §12.3).
#[derive(LogicBlock, Default)]
pub struct Ashr18 {
    pub d: Signal<In, Bits<18>>,
    pub s: Signal<In, Bits<4>>,
    pub result: Signal<Out, Bits<18>>,
}

impl Logic for Ashr18 {
    fn update(&mut self) {
        let d = sext(self.d.val().to_u64(), 18);
        let r = d >> self.s.val().to_u64();
        self.result.next = ((r as u64) & 0x3FFFF).into();
    }
    fn connect(&mut self) {
        self.result.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) result = $signed(d) >>> s;\n".into())
    }
}

/// The power code of a 16-bit sum with `m` mantissa bits (§12.4): `v` below `2^m`, else
/// `(e << m) | mantissa` with `e = ⌊log2 v⌋ − m + 1`.
#[derive(LogicBlock)]
pub struct PowerCode {
    pub v: Signal<In, Bits<16>>,
    pub code: Signal<Out, Bits<16>>,
    _m: u32,
}

impl PowerCode {
    pub fn new(m: u32) -> Self {
        PowerCode {
            v: Default::default(),
            code: Default::default(),
            _m: m,
        }
    }
}

impl Logic for PowerCode {
    fn update(&mut self) {
        let c = neurice_model::events::params::power_code(self.v.val().to_u64() as u32, self._m);
        self.code.next = (c as u64).into();
    }
    fn connect(&mut self) {
        self.code.connect();
    }
    fn hdl(&self) -> Verilog {
        let m = self._m;
        let mut v = String::from(
            "reg [4:0] top;\nreg [4:0] e;\nreg [15:0] sh;\nalways @(*) begin\n   top = 5'd0;\n",
        );
        for i in 0..16 {
            v.push_str(&format!("   if (v[{i}]) top = 5'd{i};\n"));
        }
        v.push_str(&format!(
            "   e = top - 5'd{m} + 5'd1;\n   sh = v >> (e - 5'd1);\n   if (v < 16'd{lim}) code = v;\n   else code = ({{11'd0, e}} << {m}) | (sh & 16'd{mask});\nend\n",
            lim = 1u32 << m,
            mask = (1u32 << m) - 1
        ));
        Verilog::Custom(v)
    }
}

/// `result = ⌊log2 v⌋` (0 for `v = 0`): the noise period count's leading one (§12.3).
#[derive(LogicBlock, Default)]
pub struct Log2Floor {
    pub v: Signal<In, Bits<16>>,
    pub result: Signal<Out, Bits<5>>,
}

impl Logic for Log2Floor {
    fn update(&mut self) {
        let v = self.v.val().to_u64();
        let r = if v == 0 {
            0
        } else {
            63 - v.leading_zeros() as u64
        };
        self.result.next = r.into();
    }
    fn connect(&mut self) {
        self.result.connect();
    }
    fn hdl(&self) -> Verilog {
        // v[0] decides nothing (the result is 0 for v = 0 and v = 1)
        let mut v = String::from(
            "/* verilator lint_off UNUSEDSIGNAL */\nwire unused_v0 = v[0];\n/* verilator lint_on UNUSEDSIGNAL */\nalways @(*) begin\n   result = 5'd0;\n",
        );
        for i in 1..16 {
            v.push_str(&format!("   if (v[{i}]) result = 5'd{i};\n"));
        }
        v.push_str("end\n");
        Verilog::Custom(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle<T: Block>(b: &mut T) {
        assert!(simulate(b, 20));
    }

    #[test]
    fn leaves_compute_what_the_model_does() {
        let mut s = SatLin::<18>::new(false, true);
        s.connect_all();
        for (a, b, want) in [
            (100i64, 30i64, 70i64),
            (-32768, 1, -32768),
            (32767, -5, 32767),
            (-100, -131072, 32767),
            (0, 131071, -32768),
        ] {
            s.a.next = ((a as u64) & 0xFFFF).into();
            s.b.next = ((b as u64) & 0x3FFFF).into();
            settle(&mut s);
            assert_eq!(sext(s.result.val().to_u64(), 16), want, "{a} - {b}");
        }
        let mut m = MulQ14::new(-21280);
        m.connect_all();
        for y in [-32768i64, -1, 0, 1, 777, 32767] {
            m.y.next = ((y as u64) & 0xFFFF).into();
            settle(&mut m);
            assert_eq!(sext(m.result.val().to_u64(), 18), (-21280 * y + 8192) >> 14);
        }
        let mut a = Ashr18::default();
        a.connect_all();
        a.d.next = ((-1000i64 as u64) & 0x3FFFF).into();
        a.s.next = 3u64.into();
        settle(&mut a);
        assert_eq!(sext(a.result.val().to_u64(), 18), -125);
        let mut p = PowerCode::new(4);
        p.connect_all();
        for v in [0u64, 15, 16, 31, 32, 1000, 65535] {
            p.v.next = v.into();
            settle(&mut p);
            assert_eq!(
                p.code.val().to_u64() as u32,
                neurice_model::events::params::power_code(v as u32, 4)
            );
        }
    }
}
