//! The combinational pieces of coder max's core, as leaf blocks: each computes in Rust in the
//! simulation (natively, no `Bits` shifts) and emits its own Verilog, written for the
//! iCE40 (explicit widths, no 32-bit literals). The Rust and the Verilog of a leaf say the same
//! thing; the core's co-simulation under Verilator against the golden model checks that they
//! do (and the unit tests check the Rust against the model's functions).
//!
//! | leaf | stage | work |
//! |---|---|---|
//! | [`StateUnpack`], [`StatePack`] | s1, s3 | the 96-bit channel state in three RAM words |
//! | [`SThermo`] | s1 | the tests `N·m(k)·2^h ≥ c·A` of §3.3 for `k` = 0 … 17 |
//! | [`ContextBits`] | s1 | the sub-context bits `5·N·m(k) ≥ 3·A` (k = 0 … 6) and `2·A ≤ N` |
//! | [`CtxSigma`] | s2 | `s` (the first test that holds), the context and the token shift `σ` |
//! | [`Tokenise`] | s4 | the token, and the raw field (value and length) |
//! | [`FNorm`] | s6 | the frequency shifted to bit 12, and the shift |
//! | [`RangeStep`] | s7 | the range recurrence, and `r·cum` |
//! | [`EStep`] | s8 | the scale `e`, the byte shifts and the value added to `low` |
//! | [`LowStep`] | s9 | `low`, its carry, `cache`, `pending` and the released bytes |
//! | [`ByteGroup`], [`BytePack`] | s10, s11 | up to four token bytes per clock (s10) into 32-bit words (s11) |
//! | [`RawPack`] | s5 | a raw field into 32-bit words |

use neurice_model::lite::m_value;
use neurice_model::max::range::{PROB_BITS, RANGE_BITS};
use rust_hdl::prelude::*;

fn bits(v: u64, n: usize) -> u64 {
    if n >= 64 {
        v
    } else {
        v & ((1u64 << n) - 1)
    }
}

/// `Bits` from a `u64` (the low `N` bits).
fn b<const N: usize>(v: u64) -> Bits<N> {
    bits(v, N).into()
}

// ---------------------------------------------------------------------------------------
// The channel state
// ---------------------------------------------------------------------------------------

/// Sample width `W` of the core.
pub const W: usize = 10;
/// Width of a delta and of a weight (coder max's hardware front end, FORMAT.md §10.1).
pub const DELTA_BITS: usize = 7;
pub const WEIGHT_BITS: usize = 9;

/// The channel state from its three RAM words: `hi = {prev[9:0], A[15:0], N[5:0]}`,
/// `mid = {d0, d1, d2, d3, w0[8:5]}`, `lo = {w0[4:0], w1, w2, w3}` (deltas and weights two's
/// complement). The layout is the core's own (no zero-is-initial rule: the first frame of a
/// block writes every channel's state, FORMAT.md §10.6). Wiring only.
#[derive(LogicBlock, Default)]
pub struct StateUnpack {
    pub hi: Signal<In, Bits<32>>,
    pub mid: Signal<In, Bits<32>>,
    pub lo: Signal<In, Bits<32>>,
    pub prev: Signal<Out, Bits<10>>,
    pub a: Signal<Out, Bits<16>>,
    pub n: Signal<Out, Bits<6>>,
    pub d0: Signal<Out, Bits<DELTA_BITS>>,
    pub d1: Signal<Out, Bits<DELTA_BITS>>,
    pub d2: Signal<Out, Bits<DELTA_BITS>>,
    pub d3: Signal<Out, Bits<DELTA_BITS>>,
    pub w0: Signal<Out, Bits<WEIGHT_BITS>>,
    pub w1: Signal<Out, Bits<WEIGHT_BITS>>,
    pub w2: Signal<Out, Bits<WEIGHT_BITS>>,
    pub w3: Signal<Out, Bits<WEIGHT_BITS>>,
}

impl Logic for StateUnpack {
    fn update(&mut self) {
        let hi = self.hi.val().to_u64();
        let mid = self.mid.val().to_u64();
        let lo = self.lo.val().to_u64();
        self.prev.next = b(hi >> 22);
        self.a.next = b(hi >> 6);
        self.n.next = b(hi);
        self.d0.next = b(mid >> 25);
        self.d1.next = b(mid >> 18);
        self.d2.next = b(mid >> 11);
        self.d3.next = b(mid >> 4);
        self.w0.next = b(((mid & 0xF) << 5) | (lo >> 27));
        self.w1.next = b(lo >> 18);
        self.w2.next = b(lo >> 9);
        self.w3.next = b(lo);
    }

    fn connect(&mut self) {
        self.prev.connect();
        self.a.connect();
        self.n.connect();
        self.d0.connect();
        self.d1.connect();
        self.d2.connect();
        self.d3.connect();
        self.w0.connect();
        self.w1.connect();
        self.w2.connect();
        self.w3.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "always @(*) begin\n   prev = hi[31:22];\n   a = hi[21:6];\n   n = hi[5:0];\n   \
             d0 = mid[31:25];\n   d1 = mid[24:18];\n   d2 = mid[17:11];\n   d3 = mid[10:4];\n   \
             w0 = {mid[3:0], lo[31:27]};\n   w1 = lo[26:18];\n   w2 = lo[17:9];\n   \
             w3 = lo[8:0];\nend\n"
                .into(),
        )
    }
}

/// The inverse of [`StateUnpack`].
#[derive(LogicBlock, Default)]
pub struct StatePack {
    pub prev: Signal<In, Bits<10>>,
    pub a: Signal<In, Bits<16>>,
    pub n: Signal<In, Bits<6>>,
    pub d0: Signal<In, Bits<DELTA_BITS>>,
    pub d1: Signal<In, Bits<DELTA_BITS>>,
    pub d2: Signal<In, Bits<DELTA_BITS>>,
    pub d3: Signal<In, Bits<DELTA_BITS>>,
    pub w0: Signal<In, Bits<WEIGHT_BITS>>,
    pub w1: Signal<In, Bits<WEIGHT_BITS>>,
    pub w2: Signal<In, Bits<WEIGHT_BITS>>,
    pub w3: Signal<In, Bits<WEIGHT_BITS>>,
    pub hi: Signal<Out, Bits<32>>,
    pub mid: Signal<Out, Bits<32>>,
    pub lo: Signal<Out, Bits<32>>,
}

impl Logic for StatePack {
    fn update(&mut self) {
        let w0 = self.w0.val().to_u64();
        self.hi.next = b((self.prev.val().to_u64() << 22)
            | (self.a.val().to_u64() << 6)
            | self.n.val().to_u64());
        self.mid.next = b((self.d0.val().to_u64() << 25)
            | (self.d1.val().to_u64() << 18)
            | (self.d2.val().to_u64() << 11)
            | (self.d3.val().to_u64() << 4)
            | (w0 >> 5));
        self.lo.next = b(((w0 & 0x1F) << 27)
            | (self.w1.val().to_u64() << 18)
            | (self.w2.val().to_u64() << 9)
            | self.w3.val().to_u64());
    }

    fn connect(&mut self) {
        self.hi.connect();
        self.mid.connect();
        self.lo.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "always @(*) begin\n   hi = {prev, a, n};\n   mid = {d0, d1, d2, d3, w0[8:5]};\n   \
             lo = {w0[4:0], w1, w2, w3};\nend\n"
                .into(),
        )
    }
}

/// Which 16-bit halves of the packed state change, `new ≠ old`, per word: bit 1 of
/// `hi_halves` for `hi[31:16]`, bit 0 for `hi[15:0]`, and so on (the `write_halves` of
/// [`crate::ram::BankedWordRam`]). A half is one block RAM of a state RAM's bank, and one
/// that does not change need not be written (issue 26's power: on 8 recordings 5.76 of the 6
/// halves change per sample, mostly the weights' halves staying put when the residual is 0).
#[derive(LogicBlock, Default)]
pub struct StateDiff {
    pub hi: Signal<In, Bits<32>>,
    pub mid: Signal<In, Bits<32>>,
    pub lo: Signal<In, Bits<32>>,
    pub old_hi: Signal<In, Bits<32>>,
    pub old_mid: Signal<In, Bits<32>>,
    pub old_lo: Signal<In, Bits<32>>,
    pub hi_halves: Signal<Out, Bits<2>>,
    pub mid_halves: Signal<Out, Bits<2>>,
    pub lo_halves: Signal<Out, Bits<2>>,
}

/// The changed halves of `new` against `old`: bit 1 bits 31–16, bit 0 bits 15–0.
fn halves(new: u64, old: u64) -> Bits<2> {
    let x = new ^ old;
    b((((x >> 16) & 0xFFFF != 0) as u64) << 1 | ((x & 0xFFFF != 0) as u64))
}

impl Logic for StateDiff {
    fn update(&mut self) {
        self.hi_halves.next = halves(self.hi.val().to_u64(), self.old_hi.val().to_u64());
        self.mid_halves.next = halves(self.mid.val().to_u64(), self.old_mid.val().to_u64());
        self.lo_halves.next = halves(self.lo.val().to_u64(), self.old_lo.val().to_u64());
    }

    fn connect(&mut self) {
        self.hi_halves.connect();
        self.mid_halves.connect();
        self.lo_halves.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "always @(*) begin\n   \
             hi_halves = {hi[31:16] != old_hi[31:16], hi[15:0] != old_hi[15:0]};\n   \
             mid_halves = {mid[31:16] != old_mid[31:16], mid[15:0] != old_mid[15:0]};\n   \
             lo_halves = {lo[31:16] != old_lo[31:16], lo[15:0] != old_lo[15:0]};\nend\n"
                .into(),
        )
    }
}

// ---------------------------------------------------------------------------------------
// s, the context and the token shift
// ---------------------------------------------------------------------------------------

/// Code indices the thermometer tests (`s_max = 2W − 2 = 18` needs no test).
pub const S_TESTS: usize = 18;

/// The tests of §3.3 for `k = 0 … 17`: `th[k] = (N·2^h·m(k) ≥ c·A)`; `s` is the first `k`
/// whose test holds, else 18 ([`CtxSigma`]).
#[derive(LogicBlock)]
pub struct SThermo {
    pub a: Signal<In, Bits<16>>,
    pub n: Signal<In, Bits<6>>,
    pub th: Signal<Out, Bits<S_TESTS>>,
    _thr_num: u64,
    _thr_shift: u64,
}

impl SThermo {
    /// The tests for the threshold `thr_num / 2^thr_shift`.
    pub fn new(thr_num: u32, thr_shift: u32) -> Self {
        SThermo {
            a: Default::default(),
            n: Default::default(),
            th: Default::default(),
            _thr_num: thr_num as u64,
            _thr_shift: thr_shift as u64,
        }
    }
}

impl Logic for SThermo {
    fn update(&mut self) {
        let t = self.a.val().to_u64() * self._thr_num;
        let base = self.n.val().to_u64() << self._thr_shift;
        let mut th = 0u64;
        for k in 0..S_TESTS {
            if base * m_value(k as u32) as u64 >= t {
                th |= 1 << k;
            }
        }
        self.th.next = b(th);
    }

    fn connect(&mut self) {
        self.th.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut v = format!(
            "reg [31:0] t;\nreg [31:0] base;\nalways @(*) begin\n   t = {{16'd0, a}} * 32'd{};\n   \
             base = {{26'd0, n}} << {};\n",
            self._thr_num, self._thr_shift
        );
        for k in 0..S_TESTS {
            v.push_str(&format!(
                "   th[{k}] = (base * 32'd{}) >= t;\n",
                m_value(k as u32)
            ));
        }
        v.push_str("end\n");
        Verilog::Custom(v)
    }
}

/// Context indices with a sub-context bit: `s` = 0 … 6 (FORMAT.md §10.3).
pub const SUB_S: usize = 7;

/// The sub-context bits `sub[k] = (5·N·m(k) ≥ 3·A)` for `k = 0 … 6` and `flat = (2·A ≤ N)`
/// (FORMAT.md §10.3; the context picks `sub[s]`).
#[derive(LogicBlock, Default)]
pub struct ContextBits {
    pub a: Signal<In, Bits<16>>,
    pub n: Signal<In, Bits<6>>,
    pub sub: Signal<Out, Bits<SUB_S>>,
    pub flat: Signal<Out, Bit>,
}

impl Logic for ContextBits {
    fn update(&mut self) {
        let a = self.a.val().to_u64();
        let n = self.n.val().to_u64();
        let mut sub = 0u64;
        for k in 0..SUB_S {
            if neurice_model::max::SUB_NUM * n * m_value(k as u32) as u64
                >= neurice_model::max::SUB_DEN * a
            {
                sub |= 1 << k;
            }
        }
        self.sub.next = b(sub);
        self.flat.next = 2 * a <= n;
    }

    fn connect(&mut self) {
        self.sub.connect();
        self.flat.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut v = String::from(
            "reg [17:0] a3;\nalways @(*) begin\n   a3 = {2'd0, a} * 18'd3;\n   \
             flat = {a, 1'b0} <= {11'd0, n};\n",
        );
        for k in 0..SUB_S {
            v.push_str(&format!(
                "   sub[{k}] = ({{12'd0, n}} * 18'd{}) >= a3;\n",
                neurice_model::max::SUB_NUM * m_value(k as u32) as u64
            ));
        }
        v.push_str("end\n");
        Verilog::Custom(v)
    }
}

/// From the tests of [`SThermo`] and the bits of [`ContextBits`]: `s` (the first `k` whose
/// test holds, else 18), the context (FORMAT.md §10.3: `s = 0`: 0 if flat, else `2 − sub[0]`;
/// `s = 1 … 6`: `1 + 2s + sub[s]`; `s ≥ 7`: 15) and the token shift `σ = max(0, k(s) − 2)`
/// with `k(s) = ⌈s/2⌉`.
#[derive(LogicBlock, Default)]
pub struct CtxSigma {
    pub th: Signal<In, Bits<S_TESTS>>,
    pub sub: Signal<In, Bits<SUB_S>>,
    pub flat: Signal<In, Bit>,
    pub ctx: Signal<Out, Bits<4>>,
    pub sigma: Signal<Out, Bits<3>>,
}

/// `s` from the thermometer: the first test that holds, else 18.
pub fn s_of(th: u64) -> u32 {
    (0..S_TESTS as u32)
        .find(|&k| th >> k & 1 == 1)
        .unwrap_or(S_TESTS as u32)
}

/// The context of code index `s` with the sub-context bits (as [`CtxSigma`]).
pub fn ctx_of(s: u32, sub: u64, flat: bool) -> u32 {
    let bit = |k: u32| (sub >> k & 1) as u32;
    match s {
        0 if flat => 0,
        0 => 2 - bit(0),
        1..=6 => 1 + 2 * s + bit(s),
        _ => 15,
    }
}

impl Logic for CtxSigma {
    fn update(&mut self) {
        let s = s_of(self.th.val().to_u64());
        let ctx = ctx_of(s, self.sub.val().to_u64(), self.flat.val());
        self.ctx.next = b(ctx as u64);
        self.sigma.next = b(neurice_model::max::token_shift(s) as u64);
    }

    fn connect(&mut self) {
        self.ctx.connect();
        self.sigma.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut v = String::from("reg [4:0] s;\nreg [4:0] k;\nalways @(*) begin\n   s = 5'd18;\n");
        for k in (0..S_TESTS).rev() {
            v.push_str(&format!("   if (th[{k}]) s = 5'd{k};\n"));
        }
        v.push_str("   case (s)\n      5'd0: ctx = flat ? 4'd0 : (sub[0] ? 4'd1 : 4'd2);\n");
        for s in 1..SUB_S {
            v.push_str(&format!(
                "      5'd{s}: ctx = sub[{s}] ? 4'd{} : 4'd{};\n",
                2 + 2 * s,
                1 + 2 * s
            ));
        }
        v.push_str(
            "      default: ctx = 4'd15;\n   endcase\n   k = (s + 5'd1) >> 1;\n   \
             sigma = (k > 5'd2) ? (k[2:0] - 3'd2) : 3'd0;\nend\n",
        );
        Verilog::Custom(v)
    }
}

// ---------------------------------------------------------------------------------------
// The token and the raw field
// ---------------------------------------------------------------------------------------

/// Longest raw field (an escape at `σ = 0` of `u = 1023`: 18 bits) and the raw field's
/// width as a number (5 bits).
pub const RAW_LEN_BITS: usize = 5;

/// The token and the raw field of a sample (FORMAT.md §10.3): `v = u >> σ`; `v < 31`: token
/// `v`, raw field the `σ` low bits of `u`; else token 31 and the field `e << σ | low` in
/// `2·⌊log2 e⌋ + σ` bits with `e = v − 29`, which is `u − 29·2^σ` (below 2^10: the field's
/// value has 10 bits, its length up to 18). A sample of the block's first frame (`first`)
/// is its `W = 10` bits as they are (no token).
#[derive(LogicBlock, Default)]
pub struct Tokenise {
    pub u: Signal<In, Bits<10>>,
    pub sigma: Signal<In, Bits<3>>,
    pub first: Signal<In, Bit>,
    pub x: Signal<In, Bits<10>>,
    pub ctx: Signal<In, Bits<4>>,
    pub tok: Signal<Out, Bits<5>>,
    /// `{ctx, tok}`: the table address.
    pub addr: Signal<Out, Bits<9>>,
    pub raw_val: Signal<Out, Bits<10>>,
    pub raw_len: Signal<Out, Bits<RAW_LEN_BITS>>,
}

impl Logic for Tokenise {
    fn update(&mut self) {
        let (tok, val, len) = if self.first.val() {
            (0, self.x.val().to_u64(), W as u64)
        } else {
            let u = self.u.val().to_u64();
            let sigma = self.sigma.val().to_u64();
            let v = u >> sigma;
            if v < 31 {
                (v, u & ((1 << sigma) - 1), sigma)
            } else {
                let e = v - 29;
                let l = 63 - e.leading_zeros() as u64;
                (31, u - (29 << sigma), 2 * l + sigma)
            }
        };
        self.tok.next = b(tok);
        self.addr.next = b((self.ctx.val().to_u64() << 5) | tok);
        self.raw_val.next = b(val);
        self.raw_len.next = b(len);
    }

    fn connect(&mut self) {
        self.tok.connect();
        self.addr.connect();
        self.raw_val.connect();
        self.raw_len.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut v = String::from(
            "reg [9:0] v;\n\
             /* verilator lint_off UNUSEDSIGNAL */ // e[1:0]: the length needs only e[9:2]\n\
             reg [9:0] e;\n/* verilator lint_on UNUSEDSIGNAL */\n\
             reg [9:0] mask;\nreg [3:0] l;\nalways @(*) begin\n   \
             v = u >> sigma;\n   mask = ~(10'h3ff << sigma);\n   e = v - 10'd29;\n   l = 4'd1;\n",
        );
        for k in 2..10 {
            v.push_str(&format!("   if (e[{k}]) l = 4'd{k};\n"));
        }
        v.push_str(
            "   if (first) begin\n      tok = 5'd0;\n      raw_val = x;\n      raw_len = 5'd10;\n   \
             end else if (v >= 10'd31) begin\n      tok = 5'd31;\n      \
             raw_val = u - (10'd29 << sigma);\n      raw_len = {l, 1'b0} + {2'd0, sigma};\n   \
             end else begin\n      tok = v[4:0];\n      raw_val = u & mask;\n      \
             raw_len = {2'd0, sigma};\n   end\n   addr = {ctx, tok};\nend\n",
        );
        Verilog::Custom(v)
    }
}

// ---------------------------------------------------------------------------------------
// The range coder
// ---------------------------------------------------------------------------------------

/// The table frequency `f` (1 … 4095) normalised: `s0 = 12 − ⌊log2 f⌋` (1 … 12) and
/// `F = f·2^s0` (its bit 12 always set; `fnorm` = its low 12 bits). Off the recurrence: so the
/// recurrence needs no priority encoder ([`RangeStep`]).
#[derive(LogicBlock, Default)]
pub struct FNorm {
    pub f: Signal<In, Bits<12>>,
    pub fnorm: Signal<Out, Bits<12>>,
    pub s0: Signal<Out, Bits<4>>,
}

/// `(fnorm, s0)` of [`FNorm`] (`f = 0`, which no table has, gives `(0, 12)`).
pub fn fnorm_of(f: u32) -> (u32, u32) {
    let l = 31u32.saturating_sub(f.leading_zeros()).min(11);
    let s0 = 12 - l;
    ((f << s0) & 0xFFF, s0)
}

impl Logic for FNorm {
    fn update(&mut self) {
        let (fnorm, s0) = fnorm_of(self.f.val().to_u64() as u32);
        self.fnorm.next = b(fnorm as u64);
        self.s0.next = b(s0 as u64);
    }

    fn connect(&mut self) {
        self.fnorm.connect();
        self.s0.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut v = String::from("always @(*) begin\n   s0 = 4'd12;\n");
        for k in 1..12 {
            v.push_str(&format!("   if (f[{k}]) s0 = 4'd{};\n", 12 - k));
        }
        v.push_str("   fnorm = f << s0;\nend\n");
        Verilog::Custom(v)
    }
}

/// One step of the range recurrence (FORMAT.md §10.5) with the range stored inverted (`rn =
/// !R`, so the all-zero register is the restart range `2^20 − 1`): with `r = R >> 12` (its top
/// bit always set) and `F = f·2^s0` from [`FNorm`],
///
/// ```text
/// R'' = r·F + (top ? (R mod 2^12)·2^s0 : 0)      = R'·2^s0, R' = r·f (+ rest)
/// ```
///
/// `⌊log2 R'⌋` lies in `⌊log2 f⌋ + 7 … + 9`, so `R''` has its top bit at 19, 20 or 21, and the
/// renormalised range is `R'' >> j` for that `j` (0, 1, 2): the bits shifted out are zeros, as
/// `n = s0 − j ≥ 0` is the step's shift (`19 − ⌊log2 R'⌋`). The rest term is only added for the
/// context's top token, whose frequency is at least 128 (the largest of 32 summing to 4096), so
/// `s0 ≤ 5` there. No priority encoder, no subtraction on the recurrence. Also `prod = r·cum`
/// for `low` (off the recurrence).
#[derive(LogicBlock, Default)]
pub struct RangeStep {
    pub rn: Signal<In, Bits<RANGE_BITS_U>>,
    pub fnorm: Signal<In, Bits<12>>,
    pub s0: Signal<In, Bits<4>>,
    pub top: Signal<In, Bit>,
    pub cum: Signal<In, Bits<12>>,
    pub rn_next: Signal<Out, Bits<RANGE_BITS_U>>,
    pub n: Signal<Out, Bits<4>>,
    pub prod: Signal<Out, Bits<20>>,
}

/// [`RANGE_BITS`] as a `usize` (20).
pub const RANGE_BITS_U: usize = RANGE_BITS as usize;
const _: () = assert!(RANGE_BITS == 20 && PROB_BITS == 12);

/// [`RangeStep`]'s function on plain numbers: `(R_next, n, r·cum)` from `R`.
pub fn range_step(range: u32, fnorm: u32, s0: u32, top: bool, cum: u32) -> (u32, u32, u32) {
    let r = range >> 12;
    let f = 0x1000 | fnorm;
    let rest = if top {
        ((range & 0xFFF) << s0) & 0x1_FFFF
    } else {
        0
    };
    // r's top bit is always set: r·F = r[6:0]·F + F·2^7
    let rpp = ((r & 0x7F) * f + (f << 7) + rest) & 0x3F_FFFF;
    let j = if rpp >> 21 != 0 {
        2
    } else if rpp >> 20 != 0 {
        1
    } else {
        0
    };
    (
        (rpp >> j) & 0xF_FFFF,
        s0.wrapping_sub(j) & 0xF,
        (r * cum) & 0xF_FFFF,
    )
}

impl Logic for RangeStep {
    fn update(&mut self) {
        let range = !(self.rn.val().to_u64() as u32) & 0xF_FFFF;
        let (next, n, prod) = range_step(
            range,
            self.fnorm.val().to_u64() as u32,
            self.s0.val().to_u64() as u32,
            self.top.val(),
            self.cum.val().to_u64() as u32,
        );
        self.rn_next.next = b(!next as u64);
        self.n.next = b(n as u64);
        self.prod.next = b(prod as u64);
    }

    fn connect(&mut self) {
        self.rn_next.connect();
        self.n.connect();
        self.prod.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "reg [19:0] rr;\nreg [12:0] ff;\nreg [16:0] rest;\nreg [21:0] rpp;\nreg [19:0] rnew;\n\
             always @(*) begin\n   rr = ~rn;\n   ff = {1'b1, fnorm};\n   \
             rest = top ? ({5'd0, rr[11:0]} << s0) : 17'd0;\n   \
             rpp = ({15'd0, rr[18:12]} * {9'd0, ff}) + {2'd0, ff, 7'd0} + {5'd0, rest};\n   \
             if (rpp[21]) begin\n      rnew = rpp[21:2];\n      n = s0 - 4'd2;\n   \
             end else if (rpp[20]) begin\n      rnew = rpp[20:1];\n      n = s0 - 4'd1;\n   \
             end else begin\n      rnew = rpp[19:0];\n      n = s0;\n   end\n   \
             rn_next = ~rnew;\n   prod = {12'd0, rr[19:12]} * {8'd0, cum};\nend\n"
                .into(),
        )
    }
}

/// The scale after a step, stored as `eb = 12 − e` (0 … 7; the all-zero register is the
/// restart's `e = 12`): `m = eb + n`; the step's byte shifts `sh` = 2 if `m ≥ 16`, 1 if
/// `m ≥ 8` (`e − n < 5`, FORMAT.md §10.5), else 0, i.e. `m`'s bits 4 and 3; `eb_next = m mod 8`.
/// Also the value added to `low`: `addend = prod·2^e` with the scale before the step.
#[derive(LogicBlock, Default)]
pub struct EStep {
    pub eb: Signal<In, Bits<3>>,
    pub n: Signal<In, Bits<4>>,
    pub prod: Signal<In, Bits<20>>,
    pub eb_next: Signal<Out, Bits<3>>,
    pub sh: Signal<Out, Bits<2>>,
    pub addend: Signal<Out, Bits<32>>,
}

/// [`EStep`]'s function: `(eb_next, sh, addend)`.
pub fn e_step(eb: u32, n: u32, prod: u32) -> (u32, u32, u32) {
    let m = (eb & 7) + (n & 15);
    (
        m & 7,
        (m >> 3) & 3,
        ((prod as u64 & 0xF_FFFF) << 12 >> (eb & 7)) as u32,
    )
}

impl Logic for EStep {
    fn update(&mut self) {
        let (eb, sh, addend) = e_step(
            self.eb.val().to_u64() as u32,
            self.n.val().to_u64() as u32,
            self.prod.val().to_u64() as u32,
        );
        self.eb_next.next = b(eb as u64);
        self.sh.next = b(sh as u64);
        self.addend.next = b(addend as u64);
    }

    fn connect(&mut self) {
        self.eb_next.connect();
        self.sh.connect();
        self.addend.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "reg [4:0] m;\nalways @(*) begin\n   m = {2'd0, eb} + {1'd0, n};\n   eb_next = m[2:0];\n   \
             sh = m[4:3];\n   addend = {prod, 12'd0} >> eb;\nend\n"
                .into(),
        )
    }
}

/// `low` and the byte side of §10.5 / §7.5 for one step: `low += addend`, then `sh` byte
/// shifts (ShiftLow), both at once from the top two bytes of the sum. Out: the next state and
/// the bytes the step releases, in order: `head` (if `hp`; the cache plus the carry — the
/// block's very first one is dropped: `started` low), `nfill` copies of `fv` (the pending
/// `0xFF`s, `0x00` after a carry), then `tail` (if `tp`). `pend` holds `pending − 1`. With
/// `valid` low nothing changes and nothing is released.
#[derive(LogicBlock, Default)]
pub struct LowStep {
    pub valid: Signal<In, Bit>,
    pub low: Signal<In, Bits<32>>,
    pub carry: Signal<In, Bit>,
    pub cache: Signal<In, Bits<8>>,
    pub pend: Signal<In, Bits<32>>,
    pub started: Signal<In, Bit>,
    pub addend: Signal<In, Bits<32>>,
    pub sh: Signal<In, Bits<2>>,
    pub low_next: Signal<Out, Bits<32>>,
    pub carry_next: Signal<Out, Bit>,
    pub cache_next: Signal<Out, Bits<8>>,
    pub pend_next: Signal<Out, Bits<32>>,
    pub started_next: Signal<Out, Bit>,
    pub rel: Signal<Out, Bit>,
    pub hp: Signal<Out, Bit>,
    pub head: Signal<Out, Bits<8>>,
    pub nfill: Signal<Out, Bits<32>>,
    pub fv: Signal<Out, Bits<8>>,
    pub tp: Signal<Out, Bit>,
    pub tail: Signal<Out, Bits<8>>,
}

/// The state `LowStep` works on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LowState {
    pub low: u32,
    pub carry: bool,
    pub cache: u8,
    /// pending − 1
    pub pend: u32,
    pub started: bool,
}

/// What one step releases: `head` (if `hp`), `nfill` × `fv`, then `tail` (if `tp`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Release {
    pub rel: bool,
    pub hp: bool,
    pub head: u8,
    pub nfill: u32,
    pub fv: u8,
    pub tp: bool,
    pub tail: u8,
}

/// [`LowStep`]'s function (with `valid` low: the state unchanged, nothing released; the
/// other outputs as the Verilog computes them).
pub fn low_step(st: LowState, valid: bool, addend: u32, sh: u32) -> (LowState, Release) {
    let sum = st.low as u64 + addend as u64;
    let lc = st.carry || (sum >> 32) & 1 == 1;
    let lo = sum as u32;
    let t0 = (lo >> 24) as u8;
    let t1 = (lo >> 16) as u8;
    let (sh0, sh1) = (valid && sh != 0, valid && sh & 2 != 0);
    let rel0 = sh0 && (lc || t0 != 0xFF);
    let rel1 = sh1 && t1 != 0xFF;
    let mut r = Release {
        head: st.cache,
        nfill: st.pend.wrapping_add(1),
        fv: 0xFF,
        tail: t0,
        ..Release::default()
    };
    if rel0 {
        r.head = st.cache.wrapping_add(lc as u8);
        r.nfill = st.pend;
        r.fv = if lc { 0 } else { 0xFF };
        r.tp = rel1;
    }
    r.rel = rel0 || rel1;
    r.hp = r.rel && st.started;
    let mut n = st;
    if !valid {
        return (n, r);
    }
    if sh1 {
        n.low = lo << 16;
        n.carry = false;
    } else if sh0 {
        n.low = lo << 8;
        n.carry = false;
    } else {
        n.low = lo;
        n.carry = lc;
    }
    n.started = st.started || r.rel;
    if rel1 {
        n.cache = t1;
        n.pend = 0;
    } else if rel0 {
        n.cache = t0;
        n.pend = sh1 as u32;
    } else {
        n.pend = st.pend.wrapping_add(sh);
    }
    (n, r)
}

impl Logic for LowStep {
    fn update(&mut self) {
        let st = LowState {
            low: self.low.val().to_u64() as u32,
            carry: self.carry.val(),
            cache: self.cache.val().to_u64() as u8,
            pend: self.pend.val().to_u64() as u32,
            started: self.started.val(),
        };
        let (n, r) = low_step(
            st,
            self.valid.val(),
            self.addend.val().to_u64() as u32,
            self.sh.val().to_u64() as u32,
        );
        self.low_next.next = b(n.low as u64);
        self.carry_next.next = n.carry;
        self.cache_next.next = b(n.cache as u64);
        self.pend_next.next = b(n.pend as u64);
        self.started_next.next = n.started;
        self.rel.next = r.rel;
        self.hp.next = r.hp;
        self.head.next = b(r.head as u64);
        self.nfill.next = b(r.nfill as u64);
        self.fv.next = b(r.fv as u64);
        self.tp.next = r.tp;
        self.tail.next = b(r.tail as u64);
    }

    fn connect(&mut self) {
        self.low_next.connect();
        self.carry_next.connect();
        self.cache_next.connect();
        self.pend_next.connect();
        self.started_next.connect();
        self.rel.connect();
        self.hp.connect();
        self.head.connect();
        self.nfill.connect();
        self.fv.connect();
        self.tp.connect();
        self.tail.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "reg [32:0] sum;\nreg lc;\nreg [31:0] lo;\nreg [7:0] t0;\nreg [7:0] t1;\nreg sh0;\n\
             reg sh1;\nreg rel0;\nreg rel1;\n\
             always @(*) begin\n   sum = {1'b0, low} + {1'b0, addend};\n   \
             lc = carry | sum[32];\n   lo = sum[31:0];\n   t0 = lo[31:24];\n   t1 = lo[23:16];\n   \
             sh0 = valid & (sh != 2'd0);\n   sh1 = valid & sh[1];\n   \
             rel0 = sh0 & (lc | (t0 != 8'hff));\n   rel1 = sh1 & (t1 != 8'hff);\n   \
             head = cache;\n   nfill = pend + 32'd1;\n   fv = 8'hff;\n   tp = 1'b0;\n   tail = t0;\n   \
             if (rel0) begin\n      head = cache + {7'd0, lc};\n      nfill = pend;\n      \
             fv = lc ? 8'h00 : 8'hff;\n      tp = rel1;\n   end\n   \
             rel = rel0 | rel1;\n   hp = (rel0 | rel1) & started;\n   \
             low_next = low;\n   carry_next = carry;\n   cache_next = cache;\n   \
             pend_next = pend;\n   started_next = started;\n   \
             if (valid) begin\n      started_next = started | rel0 | rel1;\n      \
             if (sh1) begin\n         low_next = {lo[15:0], 16'd0};\n         carry_next = 1'b0;\n      \
             end else if (sh0) begin\n         low_next = {lo[23:0], 8'd0};\n         carry_next = 1'b0;\n      \
             end else begin\n         low_next = lo;\n         carry_next = lc;\n      end\n      \
             if (rel1) begin\n         cache_next = t1;\n         pend_next = 32'd0;\n      \
             end else if (rel0) begin\n         cache_next = t0;\n         pend_next = {31'd0, sh1};\n      \
             end else begin\n         pend_next = pend + {30'd0, sh};\n      end\n   end\nend\n"
                .into(),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Packing
// ---------------------------------------------------------------------------------------

/// Up to four bytes of a release ([`LowStep`]) or of the rest of a long one: `hp` × `head`,
/// `nfill` × `fv`, `tp` × `tail`, in that order. `group` holds the first `k = min(4, total)`
/// of them from bit 31 down (zeros after); `over` says more remain: `rem` fills (and the tail,
/// if `tp`).
#[derive(LogicBlock, Default)]
pub struct ByteGroup {
    pub hp: Signal<In, Bit>,
    pub head: Signal<In, Bits<8>>,
    pub nfill: Signal<In, Bits<32>>,
    pub fv: Signal<In, Bits<8>>,
    pub tp: Signal<In, Bit>,
    pub tail: Signal<In, Bits<8>>,
    pub group: Signal<Out, Bits<32>>,
    pub k: Signal<Out, Bits<3>>,
    pub over: Signal<Out, Bit>,
    pub rem: Signal<Out, Bits<32>>,
}

/// [`ByteGroup`]'s function: `(group, k, over, rem)`.
pub fn byte_group(
    hp: bool,
    head: u8,
    nfill: u32,
    fv: u8,
    tp: bool,
    tail: u8,
) -> (u32, u32, bool, u32) {
    let total = hp as u64 + nfill as u64 + tp as u64;
    let mut g = 0u32;
    for i in 0..4u64 {
        let byte = if i < hp as u64 {
            head
        } else if i < hp as u64 + nfill as u64 {
            fv
        } else if i < total {
            tail
        } else {
            0
        };
        g |= (byte as u32) << (24 - 8 * i);
    }
    let over = total > 4;
    let rem = if over {
        (nfill as u64 + hp as u64 - 4) as u32
    } else {
        0
    };
    (g, total.min(4) as u32, over, rem)
}

impl Logic for ByteGroup {
    fn update(&mut self) {
        let (g, k, over, rem) = byte_group(
            self.hp.val(),
            self.head.val().to_u64() as u8,
            self.nfill.val().to_u64() as u32,
            self.fv.val().to_u64() as u8,
            self.tp.val(),
            self.tail.val().to_u64() as u8,
        );
        self.group.next = b(g as u64);
        self.k.next = b(k as u64);
        self.over.next = over;
        self.rem.next = b(rem as u64);
    }

    fn connect(&mut self) {
        self.group.connect();
        self.k.connect();
        self.over.connect();
        self.rem.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "reg big;\nreg [3:0] hsmall;\nreg [3:0] hn;\nreg [7:0] g0;\nreg [7:0] g1;\nreg [7:0] g2;\n\
             reg [7:0] g3;\n\
             always @(*) begin\n   big = nfill[31:3] != 29'd0;\n   \
             hn = {3'd0, hp} + {1'b0, nfill[2:0]};\n   hsmall = hn + {3'd0, tp};\n   \
             over = big | (hsmall > 4'd4);\n   k = over ? 3'd4 : hsmall[2:0];\n   \
             rem = nfill + {31'd0, hp} - 32'd4;\n   \
             g0 = hp ? head : ((big | (hn > 4'd0)) ? fv : (tp ? tail : 8'd0));\n   \
             g1 = (big | (hn > 4'd1)) ? fv : ((hsmall > 4'd1) ? tail : 8'd0);\n   \
             g2 = (big | (hn > 4'd2)) ? fv : ((hsmall > 4'd2) ? tail : 8'd0);\n   \
             g3 = (big | (hn > 4'd3)) ? fv : ((hsmall > 4'd3) ? tail : 8'd0);\n   \
             group = {g0, g1, g2, g3};\nend\n"
                .into(),
        )
    }
}

/// The token packer: `tc` (0 … 4) bytes held in `tacc` from bit 31 down, `k` more arrive
/// (`group`, from bit 31 down). A word leaves (`emit`, `word`) only when more than four bytes
/// are there, so the held word may be the block's last and is marked so at the finish.
#[derive(LogicBlock, Default)]
pub struct BytePack {
    pub tacc: Signal<In, Bits<32>>,
    pub tc: Signal<In, Bits<3>>,
    pub group: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<3>>,
    pub word: Signal<Out, Bits<32>>,
    pub emit: Signal<Out, Bit>,
    pub tacc_next: Signal<Out, Bits<32>>,
    pub tc_next: Signal<Out, Bits<3>>,
}

/// [`BytePack`]'s function: `(word, emit, tacc_next, tc_next)`.
pub fn byte_pack(tacc: u32, tc: u32, group: u32, k: u32) -> (u32, bool, u32, u32) {
    let total = tc + k;
    let ins = if tc >= 4 { 0 } else { group >> (8 * tc) };
    let hi = tacc | ins;
    if total > 4 {
        let rest = if tc == 0 { 0 } else { group << (8 * (4 - tc)) };
        (hi, true, rest, total - 4)
    } else {
        (0, false, hi, total)
    }
}

impl Logic for BytePack {
    fn update(&mut self) {
        let (w, e, t, c) = byte_pack(
            self.tacc.val().to_u64() as u32,
            self.tc.val().to_u64() as u32,
            self.group.val().to_u64() as u32,
            self.k.val().to_u64() as u32,
        );
        self.word.next = b(w as u64);
        self.emit.next = e;
        self.tacc_next.next = b(t as u64);
        self.tc_next.next = b(c as u64);
    }

    fn connect(&mut self) {
        self.word.connect();
        self.emit.connect();
        self.tacc_next.connect();
        self.tc_next.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "reg [3:0] total;\nreg [31:0] ins;\nreg [31:0] hi;\nreg [31:0] rest;\n\
             always @(*) begin\n   total = {1'b0, tc} + {1'b0, k};\n   \
             case (tc)\n      3'd0: begin ins = group; rest = 32'd0; end\n      \
             3'd1: begin ins = {8'd0, group[31:8]}; rest = {group[7:0], 24'd0}; end\n      \
             3'd2: begin ins = {16'd0, group[31:16]}; rest = {group[15:0], 16'd0}; end\n      \
             3'd3: begin ins = {24'd0, group[31:24]}; rest = {group[23:0], 8'd0}; end\n      \
             default: begin ins = 32'd0; rest = group; end\n   endcase\n   \
             hi = tacc | ins;\n   emit = total > 4'd4;\n   \
             if (total > 4'd4) begin\n      word = hi;\n      tacc_next = rest;\n      \
             tc_next = total[2:0] - 3'd4;\n   end else begin\n      word = 32'd0;\n      \
             tacc_next = hi;\n      tc_next = total[2:0];\n   end\nend\n"
                .into(),
        )
    }
}

/// The raw packer: `rnb` (0 … 32) bits held in `racc` from bit 31 down; a field of `len`
/// bits (≤ 18) whose value `val` has 10 bits (its leading zeros included in `len`) arrives.
/// A word leaves (`emit`) only when more than 32 bits are there (as [`BytePack`]).
#[derive(LogicBlock, Default)]
pub struct RawPack {
    pub racc: Signal<In, Bits<32>>,
    pub rnb: Signal<In, Bits<6>>,
    pub val: Signal<In, Bits<10>>,
    pub len: Signal<In, Bits<RAW_LEN_BITS>>,
    pub word: Signal<Out, Bits<32>>,
    pub emit: Signal<Out, Bit>,
    pub racc_next: Signal<Out, Bits<32>>,
    pub rnb_next: Signal<Out, Bits<6>>,
}

/// [`RawPack`]'s function: `(word, emit, racc_next, rnb_next)`.
pub fn raw_pack(racc: u32, rnb: u32, val: u32, len: u32) -> (u32, bool, u32, u32) {
    let t = rnb + len;
    // the 64-bit window of the held bits and the field (a shift by 64 leaves nothing)
    let win = (((racc as u128) << 32) | ((val as u128) << (64 - t.min(64)))) as u64;
    if t > 32 {
        ((win >> 32) as u32, true, win as u32, t - 32)
    } else {
        (0, false, (win >> 32) as u32, t)
    }
}

impl Logic for RawPack {
    fn update(&mut self) {
        let (w, e, a, n) = raw_pack(
            self.racc.val().to_u64() as u32,
            self.rnb.val().to_u64() as u32,
            self.val.val().to_u64() as u32,
            self.len.val().to_u64() as u32,
        );
        self.word.next = b(w as u64);
        self.emit.next = e;
        self.racc_next.next = b(a as u64);
        self.rnb_next.next = b(n as u64);
    }

    fn connect(&mut self) {
        self.word.connect();
        self.emit.connect();
        self.racc_next.connect();
        self.rnb_next.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "reg [6:0] t;\nreg [6:0] sft;\nreg [63:0] win;\n\
             always @(*) begin\n   t = {1'b0, rnb} + {2'd0, len};\n   sft = 7'd64 - t;\n   \
             win = {racc, 32'd0} | ({54'd0, val} << sft);\n   emit = t > 7'd32;\n   \
             if (t > 7'd32) begin\n      word = win[63:32];\n      racc_next = win[31:0];\n      \
             rnb_next = t[5:0] - 6'd32;\n   end else begin\n      word = 32'd0;\n      \
             racc_next = win[63:32];\n      rnb_next = t[5:0];\n   end\nend\n"
                .into(),
        )
    }
}
