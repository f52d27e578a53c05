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
//! constant multiply-add, no adder before it or after the shift.
//!
//! For `δ = 0` the block is not in the design at all: [`LatticeIndex::accept`] shows it to no
//! probe (no module, no instance, no nets) and the lane's Verilog is rewritten by
//! [`bypass_identity`] to read the sample where it read the index, so the lossless core's
//! Verilog is the one it had before the quantiser existed, byte for byte.

use neurice_model::near::Quantiser;
use neurice_model::CodecParams;
use rust_hdl::prelude::ast::{
    VerilogBlock, VerilogBlockOrConditional, VerilogCase, VerilogConditional, VerilogExpression,
    VerilogLoop, VerilogMatch, VerilogStatement,
};
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

    /// The constants of the coder `p`'s quantiser (`p.max_error`, FORMAT.md §11), or why the
    /// core cannot take it.
    pub fn of(p: &CodecParams) -> Result<Self, HdlError> {
        Self::new(&p.quantiser().map_err(|e| HdlError::Params(e.to_string()))?)
    }

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
/// expression. The Verilator co-simulation of the cores checks that the two agree. For
/// `δ = 0` it simulates `j = x` and is absent from the Verilog (module docs).
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

    /// Whether the block is the identity (`δ = 0`): then it is not in the Verilog, and the
    /// block that holds it emits its own Verilog through [`bypass_identity`].
    pub fn is_identity(&self) -> bool {
        self.consts.delta == 0
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
        if self.is_identity() {
            return; // not in the design: no module, instance or nets (module docs)
        }
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
        if self.is_identity() {
            return Verilog::Empty; // never emitted: `accept` hides the block
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

/// The Verilog of a block that holds an identity [`LatticeIndex`] named `name` (the block
/// writes `name.x` once, at its top level, and reads `name.j`), without it: the write
/// `name$x = E` is dropped and every read of `name$j` becomes `E`. Any other Verilog is
/// returned unchanged.
pub fn bypass_identity(code: Verilog, name: &str) -> Verilog {
    let Verilog::Combinatorial(block) = code else {
        return code;
    };
    let (input, output) = (format!("{name}$x"), format!("{name}$j"));
    let mut feed = None;
    let mut kept = Vec::with_capacity(block.len());
    for st in block {
        match st {
            VerilogStatement::Assignment(VerilogExpression::Signal(t), e) if net(&t) == input => {
                assert!(feed.is_none(), "{input} is written once");
                feed = Some(e);
            }
            st => kept.push(st),
        }
    }
    let feed = feed.unwrap_or_else(|| panic!("{input} is written at the top level"));
    Verilog::Combinatorial(
        kept.into_iter()
            .map(|s| subst_stmt(s, &output, &feed))
            .collect(),
    )
}

/// The Verilog of a block with the 1-bit constant `flag` at 0, without the logic it gates:
/// every `if (flag)` becomes its `else` branch (nothing when it has none), every other read
/// of `flag` becomes `1'b0`, every assignment to a net whose name starts with one of `drop`
/// is removed, and each net of `inline` (written once at the top level once the rest is
/// folded) is replaced by the expression written to it. Coder max's lossless core
/// ([`crate::max::core`]) uses it so that its Verilog is that of the core before the
/// bounded-error logic existed. Other Verilog is returned unchanged.
pub fn fold_false_flag(code: Verilog, flag: &str, drop: &[&str], inline: &[&str]) -> Verilog {
    let Verilog::Combinatorial(block) = code else {
        return code;
    };
    let f = Fold {
        flag,
        drop,
        zero: VerilogExpression::Literal(false.into()),
    };
    let mut block = f.block(block);
    for name in inline {
        let mut feed = None;
        block.retain(|st| match st {
            VerilogStatement::Assignment(VerilogExpression::Signal(t), e) if net(t) == *name => {
                assert!(feed.is_none(), "{name} is written once");
                feed = Some(e.clone());
                false
            }
            _ => true,
        });
        let feed = feed.unwrap_or_else(|| panic!("{name} is written at the top level"));
        block = subst_block(block, name, &feed);
    }
    Verilog::Combinatorial(block)
}

struct Fold<'a> {
    flag: &'a str,
    drop: &'a [&'a str],
    zero: VerilogExpression,
}

impl Fold<'_> {
    fn block(&self, b: VerilogBlock) -> VerilogBlock {
        let mut out = Vec::with_capacity(b.len());
        for st in b {
            self.stmt(st, &mut out);
        }
        out
    }

    fn dropped(&self, target: &VerilogExpression) -> bool {
        match target {
            VerilogExpression::Signal(t) => {
                let t = net(t);
                self.drop.iter().any(|p| t.starts_with(p))
            }
            _ => false,
        }
    }

    fn stmt(&self, st: VerilogStatement, out: &mut VerilogBlock) {
        match st {
            VerilogStatement::Assignment(t, _) if self.dropped(&t) => {}
            VerilogStatement::SliceAssignment { ref base, .. } if self.dropped(base) => {}
            VerilogStatement::If(c) => {
                if matches!(&c.test, VerilogExpression::Signal(n) if net(n) == self.flag) {
                    match c.otherwise {
                        VerilogBlockOrConditional::Block(b) => out.extend(self.block(b)),
                        VerilogBlockOrConditional::Conditional(s) => self.stmt(*s, out),
                        VerilogBlockOrConditional::None => {}
                    }
                    return;
                }
                let otherwise = match c.otherwise {
                    VerilogBlockOrConditional::Block(b) => {
                        VerilogBlockOrConditional::Block(self.block(b))
                    }
                    VerilogBlockOrConditional::Conditional(s) => {
                        let mut v = Vec::new();
                        self.stmt(*s, &mut v);
                        match v.len() {
                            1 => VerilogBlockOrConditional::Conditional(Box::new(v.remove(0))),
                            _ => VerilogBlockOrConditional::Block(v),
                        }
                    }
                    VerilogBlockOrConditional::None => VerilogBlockOrConditional::None,
                };
                out.push(VerilogStatement::If(VerilogConditional {
                    test: subst_expr(c.test, self.flag, &self.zero),
                    then: self.block(c.then),
                    otherwise,
                }));
            }
            VerilogStatement::Match(m) => out.push(VerilogStatement::Match(VerilogMatch {
                test: subst_expr(m.test, self.flag, &self.zero),
                cases: m
                    .cases
                    .into_iter()
                    .map(|c| VerilogCase {
                        condition: c.condition,
                        block: self.block(c.block),
                    })
                    .collect(),
            })),
            VerilogStatement::Loop(l) => out.push(VerilogStatement::Loop(VerilogLoop {
                block: self.block(l.block),
                ..l
            })),
            VerilogStatement::Macro(b) => out.push(VerilogStatement::Macro(self.block(b))),
            s => out.push(subst_stmt(s, self.flag, &self.zero)),
        }
    }
}

/// The Verilog net of a signal as `hdl_gen` names it (`quant.x.next` is `quant$x`), the way
/// rust-hdl's code generator writes it.
fn net(sig: &str) -> String {
    sig.trim_start_matches('.')
        .replace('.', "$")
        .replace("::", "$")
        .trim_end_matches("$next")
        .to_owned()
}

fn subst_block(b: VerilogBlock, from: &str, to: &VerilogExpression) -> VerilogBlock {
    b.into_iter().map(|s| subst_stmt(s, from, to)).collect()
}

fn subst_stmt(s: VerilogStatement, from: &str, to: &VerilogExpression) -> VerilogStatement {
    let e = |x: VerilogExpression| subst_expr(x, from, to);
    match s {
        VerilogStatement::Assignment(a, b) => VerilogStatement::Assignment(e(a), e(b)),
        VerilogStatement::SliceAssignment {
            base,
            width,
            offset,
            replacement,
        } => VerilogStatement::SliceAssignment {
            base: e(base),
            width,
            offset: e(offset),
            replacement: e(replacement),
        },
        VerilogStatement::If(c) => VerilogStatement::If(subst_cond(c, from, to)),
        VerilogStatement::Match(m) => VerilogStatement::Match(VerilogMatch {
            test: e(m.test),
            cases: m
                .cases
                .into_iter()
                .map(|c| VerilogCase {
                    condition: c.condition,
                    block: subst_block(c.block, from, to),
                })
                .collect(),
        }),
        VerilogStatement::Loop(l) => VerilogStatement::Loop(VerilogLoop {
            block: subst_block(l.block, from, to),
            ..l
        }),
        VerilogStatement::Macro(b) => VerilogStatement::Macro(subst_block(b, from, to)),
        s @ (VerilogStatement::Comment(_) | VerilogStatement::Link(_)) => s,
    }
}

fn subst_cond(c: VerilogConditional, from: &str, to: &VerilogExpression) -> VerilogConditional {
    VerilogConditional {
        test: subst_expr(c.test, from, to),
        then: subst_block(c.then, from, to),
        otherwise: match c.otherwise {
            VerilogBlockOrConditional::Block(b) => {
                VerilogBlockOrConditional::Block(subst_block(b, from, to))
            }
            VerilogBlockOrConditional::Conditional(s) => {
                VerilogBlockOrConditional::Conditional(Box::new(subst_stmt(*s, from, to)))
            }
            VerilogBlockOrConditional::None => VerilogBlockOrConditional::None,
        },
    }
}

fn subst_expr(x: VerilogExpression, from: &str, to: &VerilogExpression) -> VerilogExpression {
    use VerilogExpression as E;
    let b = |y: Box<E>| Box::new(subst_expr(*y, from, to));
    match x {
        E::Signal(n) if net(&n) == from => to.clone(),
        E::Signal(_) | E::Literal(_) => x,
        E::Cast(y, w) => E::Cast(b(y), w),
        E::Signed(y) => E::Signed(b(y)),
        E::Unsigned(y) => E::Unsigned(b(y)),
        E::Paren(y) => E::Paren(b(y)),
        E::Binary(l, op, r) => E::Binary(b(l), op, b(r)),
        E::Unary(op, y) => E::Unary(op, b(y)),
        E::Index(y, i) => E::Index(b(y), b(i)),
        E::Slice(y, w, o) => E::Slice(b(y), w, b(o)),
        E::IndexReplace(y, i, v) => E::IndexReplace(b(y), b(i), b(v)),
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
