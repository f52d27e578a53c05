//! The carry-less range encoder unit of the multi-coder draft
//! (`neurice_hdl::v2::carryless::CarrylessUnit`, FORMAT.md §7.10) against the golden
//! model's `v2::multi::CarrylessEncoder`, byte for byte: in rust-hdl's simulator, and as
//! emitted Verilog under Verilator (SKIPPED without Verilator). Random operations (extreme
//! probabilities, every bypass width, forced steps, several blocks) and the operations
//! `v2::multi::encode_block` performs on a hostile signal (forced flushes included).

mod common;

use common::{assert_same, run_harness, verilated_block, verilator_or_skip};
use neurice_hdl::v2::carryless::{
    CarrylessUnit, OP_BIN, OP_BYPASS, OP_FINISH, OP_FORCE, OUT_BYTES, STEPS,
};
use neurice_model::v2::multi::CarrylessEncoder;
use neurice_testkit::XorShift64;
use rust_hdl::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Op {
    Bin { p: u16, bit: bool },
    Bypass { v: u16, n: u8 },
    Force,
    Finish,
}

/// The unit's input for one clock: `(op, p, bit, v, n)` (always valid).
fn step(op: Op) -> (u64, u64, bool, u64, u64) {
    match op {
        Op::Bin { p, bit } => (OP_BIN, p as u64, bit, 0, 0),
        Op::Bypass { v, n } => (OP_BYPASS, 0, false, v as u64, n as u64),
        Op::Force => (OP_FORCE, 0, false, 0, 0),
        Op::Finish => (OP_FINISH, 0, false, 0, 0),
    }
}

/// The model's bytes (each `Finish` ends a block; blocks concatenated), and the most byte
/// shifts one operation other than `Finish` needed.
fn model_bytes(ops: &[Op]) -> (Vec<u8>, u64) {
    let (mut out, mut most) = (Vec::new(), 0);
    let mut rc = CarrylessEncoder::new();
    for op in ops {
        let before = rc.shifts();
        match *op {
            Op::Bin { p, bit } => rc.bin(p, bit as u32),
            Op::Bypass { v, n } => rc.bypass(v as u32, n as u32),
            Op::Force => rc.force_step(),
            Op::Finish => {
                out.extend(std::mem::take(&mut rc).finish());
                continue;
            }
        }
        most = most.max(rc.shifts() - before);
    }
    (out, most)
}

/// The unit in rust-hdl's simulator, each operation held until `in_ready`: its bytes and
/// the clocks it took.
fn rusthdl_bytes(ops: &[Op]) -> (Vec<u8>, u64) {
    let mut u = Box::new(CarrylessUnit::default());
    u.connect_all();
    check_all(u.as_ref()).unwrap();
    let (mut out, mut clocks) = (Vec::new(), 0);
    let mut i = 0;
    // one more clock after the last operation for its last bytes
    while i <= ops.len() {
        let (o, p, bit, v, n) = ops.get(i).map_or((0, 0, false, 0, 0), |&op| step(op));
        u.clock.next = Clock::from(false);
        u.in_valid.next = i < ops.len();
        u.clear.next = false;
        u.op.next = o.into();
        u.p.next = p.into();
        u.bin_value.next = bit;
        u.v.next = v.into();
        u.n.next = n.into();
        assert!(simulate(u.as_mut(), 100));
        let taken = u.in_ready.val();
        u.clock.next = Clock::from(true);
        assert!(simulate(u.as_mut(), 100));
        clocks += 1;
        for k in 0..OUT_BYTES {
            if u.out_valid[k].val() {
                out.push(u.out_byte[k].val().to_u64() as u8);
            }
        }
        if taken || i == ops.len() {
            i += 1;
        }
    }
    (out, clocks)
}

/// Plain port names for the harness (rust-hdl names array ports `out_valid$0`, …).
const WRAPPER: &str = "
module carryless_wrap(input clock, input clear, input in_valid, input [1:0] op, input [11:0] p,
    input bit_in, input [15:0] v, input [4:0] n, output [3:0] ov, output [31:0] ob,
    output in_ready);
  top u(.clock(clock), .clear(clear), .in_valid(in_valid), .op(op), .p(p), .bin_value(bit_in),
    .v(v), .n(n), .in_ready(in_ready),
    .\\out_valid$0 (ov[0]), .\\out_valid$1 (ov[1]), .\\out_valid$2 (ov[2]),
    .\\out_valid$3 (ov[3]),
    .\\out_byte$0 (ob[7:0]), .\\out_byte$1 (ob[15:8]), .\\out_byte$2 (ob[23:16]),
    .\\out_byte$3 (ob[31:24]));
endmodule
";

/// Reads `op p bit v n` per operation and holds it until `in_ready`; prints each stored
/// byte, and at the end `clocks N`.
const HARNESS: &str = r#"
#include "Vcore.h"
#include <cstdio>
static unsigned long clocks = 0;
static void tick(Vcore &t) {
  t.clock = 1;
  t.eval();
  clocks++;
  for (int k = 0; k < 4; k++)
    if ((t.ov >> k) & 1) printf("%u\n", (unsigned)((t.ob >> (8 * k)) & 0xFF));
  t.clock = 0;
  t.eval();
}
int main() {
  Vcore t;
  unsigned a[5];
  t.clock = 0; t.clear = 0; t.in_valid = 0; t.eval();
  while (scanf("%u %u %u %u %u", &a[0], &a[1], &a[2], &a[3], &a[4]) == 5) {
    t.in_valid = 1;
    t.op = a[0]; t.p = a[1]; t.bit_in = a[2]; t.v = a[3]; t.n = a[4];
    t.eval();
    bool taken;
    do {
      taken = t.in_ready;
      tick(t);
    } while (!taken);
  }
  t.in_valid = 0;
  t.eval();
  tick(t);
  printf("clocks %lu\n", clocks);
  return 0;
}
"#;

fn verilator_bytes(ops: &[Op]) -> (Vec<u8>, u64) {
    let mut unit = CarrylessUnit::default();
    unit.connect_all();
    let bin = verilated_block(
        &generate_verilog(&unit),
        WRAPPER,
        "carryless_wrap",
        "v2-carryless",
        HARNESS,
    );
    let mut input = String::new();
    for &op in ops {
        let (o, p, bit, v, n) = step(op);
        input.push_str(&format!("{o} {p} {} {v} {n}\n", bit as u8));
    }
    let text = run_harness(&bin, input);
    let mut clocks = 0;
    let mut bytes = Vec::new();
    for l in text.lines() {
        match l.strip_prefix("clocks ") {
            Some(c) => clocks = c.parse().unwrap(),
            None => bytes.push(l.parse::<u8>().unwrap()),
        }
    }
    (bytes, clocks)
}

fn random_ops(seed: u64, n: usize) -> Vec<Op> {
    let mut rng = XorShift64::new(seed);
    let mut ops = Vec::with_capacity(n + 16);
    for i in 0..n {
        ops.push(match rng.next_u64() % 20 {
            0 | 1 => {
                let n = (rng.next_u64() % 17) as u8;
                let v = (rng.next_u64() & ((1u64 << n) - 1)) as u16;
                Op::Bypass { v, n }
            }
            2 => Op::Force,
            3 => Op::Bin {
                p: 1,
                bit: rng.next_u64().is_multiple_of(64),
            },
            4 => Op::Bin {
                p: 4095,
                bit: !rng.next_u64().is_multiple_of(64),
            },
            _ => {
                let p = (1 + rng.next_u64() % 4095) as u16;
                let likely_zero = (rng.next_u64() % 4096) < p as u64;
                Op::Bin {
                    p,
                    bit: !likely_zero,
                }
            }
        });
        if i % 5000 == 4999 {
            ops.push(Op::Finish);
        }
    }
    ops.push(Op::Finish);
    ops
}

/// The bytes match, operations needing more than `STEPS` shifts occurred, and they cost a
/// few extra clocks (`in_ready` low), far fewer than one per 20 operations.
fn check(what: &str, ops: &[Op], got: &[u8], clocks: u64) {
    let (want, most) = model_bytes(ops);
    assert_same(got, &want, what);
    assert!(
        most > STEPS as u64,
        "{what}: no operation needed more than {STEPS} shifts"
    );
    let extra = clocks - ops.len() as u64 - 1;
    eprintln!("{what}: {} operations, {extra} extra clocks", ops.len());
    assert!(
        extra > 0 && extra * 20 < ops.len() as u64,
        "{what}: {extra} extra clocks"
    );
}

#[test]
fn rusthdl_random_operations_give_the_models_bytes() {
    let ops = random_ops(3, 60_000);
    let (got, clocks) = rusthdl_bytes(&ops);
    check("rust-hdl, random", &ops, &got, clocks);
}

#[test]
fn verilog_gives_the_models_bytes() {
    if !verilator_or_skip("v2_carryless::verilog_gives_the_models_bytes") {
        return;
    }
    let ops = random_ops(4, 300_000);
    let (got, clocks) = verilator_bytes(&ops);
    check("Verilator", &ops, &got, clocks);
}
