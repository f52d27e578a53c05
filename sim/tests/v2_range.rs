//! Coder v2's range encoder unit (the pipelined `neurice_hdl::v2::range_fast::RangeFastUnit`,
//! the one the v2 core carries) against the golden model's `RangeEncoder`, byte for byte: in
//! rust-hdl's simulator, and as emitted Verilog under Verilator (SKIPPED without Verilator).
//! Random operations (extreme probabilities, long pending runs and carries, every bypass
//! width, several blocks with a `clear` between them) and the bins of coder v2 itself; also
//! the timing: each record appears exactly `LATENCY` clocks after the edge that took its
//! operation, one operation per clock, with idle clocks anywhere.

mod common;

use common::{assert_same, run_harness, verilated_block, verilator_or_skip};
use neurice_hdl::v2::range_fast::{self as fast, RangeFastUnit};
use neurice_model::v2::range::{adapt, RangeEncoder, PROB_INIT};
use neurice_model::v2::{self, State, V2Params};
use neurice_testkit::XorShift64;
use rust_hdl::prelude::*;

/// One operation, as the model sees it.
#[derive(Clone, Copy, Debug)]
enum Op {
    Bin {
        p: u16,
        bit: bool,
    },
    Bypass {
        v: u16,
        n: u8,
    },
    /// The end of a block: the coder's final byte shifts, then `clear` for a clock.
    Finish,
}

/// The unit's input for one clock: `(valid, clear, op, p, bit, v, n)`.
type Step = (bool, bool, u64, u64, bool, u64, u64);

/// The model's bytes (each `Finish` ends a block; blocks concatenated).
fn model_bytes(ops: &[Op]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rc = RangeEncoder::new();
    for op in ops {
        match *op {
            Op::Bin { p, bit } => rc.bin(p, bit as u32),
            Op::Bypass { v, n } => rc.bypass(v as u32, n as u32),
            Op::Finish => out.extend(std::mem::take(&mut rc).finish()),
        }
    }
    out
}

/// A released record: `(byte, fill, fills, skip)`.
type Record = (u8, u8, u64, bool);

/// Bytes of the records; also the number of carries (fill 0x00) and the longest fill run.
fn expand(records: &[Record]) -> (Vec<u8>, u64, u64) {
    let (mut out, mut carries, mut longest) = (Vec::new(), 0, 0);
    for &(byte, fill, fills, skip) in records {
        if !skip {
            out.push(byte);
        }
        carries += (fill == 0) as u64;
        longest = longest.max(fills);
        out.extend(std::iter::repeat_n(fill, fills as usize));
    }
    (out, carries, longest)
}

fn random_ops(seed: u64, n: usize) -> Vec<Op> {
    let mut rng = XorShift64::new(seed);
    let mut ops = Vec::with_capacity(n + 16);
    for i in 0..n {
        ops.push(match rng.next_u64() % 16 {
            0 => {
                let n = (rng.next_u64() % 17) as u8;
                let v = (rng.next_u64() & ((1u64 << n) - 1)) as u16;
                Op::Bypass { v, n }
            }
            1 => Op::Bin {
                p: 1,
                bit: rng.next_u64().is_multiple_of(64),
            },
            2 => Op::Bin {
                p: 4095,
                bit: !rng.next_u64().is_multiple_of(64),
            },
            _ => {
                let p = (1 + rng.next_u64() % 4095) as u16;
                // mostly the likely value, sometimes the other: long runs and carries
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

/// The bins and bypass groups coder v2 sends for a generated 3-channel signal, two blocks;
/// checked to be exactly `v2::encode_block`'s bytes.
fn coder_ops() -> Vec<Op> {
    let p = V2Params::HARDWARE;
    let (mut ops, mut blocks) = (Vec::new(), Vec::new());
    for block in 0..2u64 {
        let mut states = [State::initial(&p); 3];
        let mut probs = vec![PROB_INIT; p.contexts()];
        let mut rng = XorShift64::new(5 + block);
        let mut samples = Vec::new();
        for i in 0..30_000usize {
            let ch = i % 3;
            let wave = 512.0 + 200.0 * ((i / 3) as f64 * 0.003).sin();
            let x = (wave as i64 + (rng.next_u64() % 21) as i64 - 10).clamp(0, 1023) as u32;
            samples.push(x);
            let c = v2::code_sample(&states[ch], x, &p);
            for b in 0..c.bins.count as usize {
                let ctx = c.bins.ctx[b] as usize;
                let bit = (c.bins.bits >> b) & 1;
                ops.push(Op::Bin {
                    p: probs[ctx],
                    bit: bit == 1,
                });
                probs[ctx] = adapt(probs[ctx], bit, p.prob_shift);
            }
            if c.bins.bypass_len > 0 {
                let (v, n) = (c.bins.bypass as u16, c.bins.bypass_len as u8);
                ops.push(Op::Bypass { v, n });
            }
            states[ch] = c.next;
        }
        ops.push(Op::Finish);
        blocks.extend(v2::encode_block(
            &p,
            3,
            &samples,
            &mut v2::EncodeStats::default(),
        ));
    }
    assert_eq!(
        model_bytes(&ops),
        blocks,
        "the operations are what coder v2 sends"
    );
    ops
}

// ---- the pipelined unit (`RangeFastUnit`) ---------------------------------------------

/// The pipelined unit's input clocks for `ops`, with an idle clock before an operation
/// with probability `gaps / 1000`; also the clock of each operation (its index in the
/// result), `None` for a `Finish`. A `Finish` is op 2, op 2, op 3, then a clock with
/// `clear`, which takes no operation even when `in_valid` is high (it is, on every other
/// block, with a junk operation). Three idle clocks at the end let the last records out.
fn fast_steps(ops: &[Op], gaps: u32, seed: u64) -> Vec<Step> {
    let mut rng = XorShift64::new(seed);
    let mut s = Vec::with_capacity(ops.len() + ops.len() * gaps as usize / 1000 + 16);
    let mut blocks = 0u64;
    for op in ops {
        if rng.next_u64() % 1000 < gaps as u64 {
            s.push((false, false, fast::OP_BYPASS, 4095, true, 0xFFFF, 16));
        }
        match *op {
            Op::Bin { p, bit } => s.push((true, false, fast::OP_BIN, p as u64, bit, 0, 0)),
            Op::Bypass { v, n } => {
                s.push((true, false, fast::OP_BYPASS, 0, false, v as u64, n as u64))
            }
            Op::Finish => {
                s.push((true, false, fast::OP_SHIFT2, 0, false, 0, 0));
                s.push((true, false, fast::OP_SHIFT2, 0, false, 0, 0));
                s.push((true, false, fast::OP_SHIFT1, 0, false, 0, 0));
                blocks += 1;
                s.push((
                    blocks.is_multiple_of(2),
                    true,
                    fast::OP_BYPASS,
                    7,
                    true,
                    1,
                    1,
                ));
            }
        }
    }
    s.extend([(false, false, 0, 0, false, 0, 0); fast::LATENCY]);
    s
}

/// §7.5's encoder written out with the unit's records: what each clock of `steps` must
/// release, as `(clock at whose edge the record is registered, record)`.
fn fast_expected(steps: &[Step]) -> Vec<(usize, Record)> {
    struct Enc {
        low: u64,
        range: u32,
        cache: u8,
        pending: u64,
        started: bool,
    }
    let fresh = || Enc {
        low: 0,
        range: u32::MAX,
        cache: 0,
        pending: 1,
        started: false,
    };
    fn shift_low(e: &mut Enc, recs: &mut Vec<Record>) {
        if (e.low as u32) < 0xFF00_0000 || (e.low >> 32) != 0 {
            let carry = (e.low >> 32) as u8;
            recs.push((
                e.cache.wrapping_add(carry),
                0xFFu8.wrapping_add(carry),
                e.pending - 1,
                !e.started,
            ));
            e.started = true;
            e.pending = 0;
            e.cache = (e.low >> 24) as u8;
        }
        e.pending += 1;
        e.low = (e.low & 0x00FF_FFFF) << 8;
    }
    fn normalise(e: &mut Enc, recs: &mut Vec<Record>) {
        while e.range < 1 << 24 {
            e.range <<= 8;
            shift_low(e, recs);
        }
    }
    let mut e = fresh();
    let mut out = Vec::new();
    for (clock, &(valid, clear, op, p, bit, v, n)) in steps.iter().enumerate() {
        if clear {
            e = fresh();
            continue;
        }
        if !valid {
            continue;
        }
        let mut recs = Vec::new();
        match op {
            fast::OP_BIN => {
                let bound = (e.range >> 12) * p as u32;
                if bit {
                    e.low += bound as u64;
                    e.range -= bound;
                } else {
                    e.range = bound;
                }
                normalise(&mut e, &mut recs);
            }
            fast::OP_BYPASS => {
                e.range >>= n;
                e.low += v * e.range as u64;
                normalise(&mut e, &mut recs);
            }
            fast::OP_SHIFT2 => {
                shift_low(&mut e, &mut recs);
                shift_low(&mut e, &mut recs);
            }
            _ => shift_low(&mut e, &mut recs),
        }
        assert!(
            recs.len() <= fast::SHIFTS,
            "an operation releases at most two records"
        );
        out.extend(recs.into_iter().map(|r| (clock + fast::LATENCY, r)));
    }
    out
}

/// The pipelined unit in rust-hdl's simulator, driven directly: every record with the
/// clock at whose edge it was registered.
fn fast_rusthdl_records(steps: &[Step]) -> Vec<(usize, Record)> {
    let mut u = Box::new(RangeFastUnit::default());
    u.connect_all();
    check_all(u.as_ref()).unwrap();
    let mut recs = Vec::new();
    for (clock, &(valid, clear, op, p, bit, v, n)) in steps.iter().enumerate() {
        u.clock.next = Clock::from(false);
        u.in_valid.next = valid;
        u.clear.next = clear;
        u.op.next = op.into();
        u.p.next = p.into();
        u.bin_value.next = bit;
        u.v.next = v.into();
        u.n.next = n.into();
        assert!(simulate(u.as_mut(), 100));
        u.clock.next = Clock::from(true);
        assert!(simulate(u.as_mut(), 100));
        for k in 0..fast::SHIFTS {
            if u.rec_valid[k].val() {
                recs.push((
                    clock,
                    (
                        u.rec_byte[k].val().to_u64() as u8,
                        u.rec_fill[k].val().to_u64() as u8,
                        u.rec_fills[k].val().to_u64(),
                        u.rec_skip[k].val(),
                    ),
                ));
            }
        }
    }
    recs
}

const FAST_WRAPPER: &str = "
module range_fast_wrap(input clock, input clear, input in_valid, input [1:0] op,
    input [11:0] p, input bit_in, input [15:0] v, input [4:0] n,
    output rv0, output rv1, output [7:0] rb0, output [7:0] rb1,
    output [7:0] rf0, output [7:0] rf1, output [31:0] rn0, output [31:0] rn1,
    output rs0, output rs1);
  top u(.clock(clock), .clear(clear), .in_valid(in_valid), .op(op), .p(p), .bin_value(bit_in),
    .v(v), .n(n),
    .\\rec_valid$0 (rv0), .\\rec_valid$1 (rv1), .\\rec_byte$0 (rb0), .\\rec_byte$1 (rb1),
    .\\rec_fill$0 (rf0), .\\rec_fill$1 (rf1), .\\rec_fills$0 (rn0), .\\rec_fills$1 (rn1),
    .\\rec_skip$0 (rs0), .\\rec_skip$1 (rs1));
endmodule
";

/// Reads `valid clear op p bit v n` per clock; prints `clock byte fill fills skip` per record.
const FAST_HARNESS: &str = r#"
#include "Vcore.h"
#include <cstdio>
int main() {
  Vcore t;
  unsigned a[7];
  unsigned long clk = 0;
  t.clock = 0; t.eval();
  while (scanf("%u %u %u %u %u %u %u", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6]) == 7) {
    t.clock = 0;
    t.in_valid = a[0]; t.clear = a[1]; t.op = a[2]; t.p = a[3]; t.bit_in = a[4];
    t.v = a[5]; t.n = a[6];
    t.eval();
    t.clock = 1;
    t.eval();
    if (t.rv0) printf("%lu %u %u %u %u\n", clk, t.rb0, t.rf0, t.rn0, t.rs0);
    if (t.rv1) printf("%lu %u %u %u %u\n", clk, t.rb1, t.rf1, t.rn1, t.rs1);
    clk++;
  }
  return 0;
}
"#;

fn fast_verilator_records(steps: &[Step]) -> Vec<(usize, Record)> {
    let mut unit = RangeFastUnit::default();
    unit.connect_all();
    let bin = verilated_block(
        &generate_verilog(&unit),
        FAST_WRAPPER,
        "range_fast_wrap",
        "v2-range-fast",
        FAST_HARNESS,
    );
    let mut input = String::new();
    for &(valid, clear, op, p, bit, v, n) in steps {
        input.push_str(&format!(
            "{} {} {op} {p} {} {v} {n}\n",
            valid as u8, clear as u8, bit as u8
        ));
    }
    run_harness(&bin, input)
        .lines()
        .map(|l| {
            let f: Vec<u64> = l.split(' ').map(|t| t.parse().unwrap()).collect();
            (f[0] as usize, (f[1] as u8, f[2] as u8, f[3], f[4] != 0))
        })
        .collect()
}

/// The records are the expected ones at the expected clocks, and their bytes the model's.
fn fast_check(got: &[(usize, Record)], steps: &[Step], ops: &[Op], what: &str) -> (u64, u64) {
    let want = fast_expected(steps);
    let plain = |r: &[(usize, Record)]| r.iter().map(|&(_, x)| x).collect::<Vec<_>>();
    let (bytes, carries, longest) = expand(&plain(got));
    // the bytes first (the clearer message), then the records and their clocks
    assert_same(&bytes, &model_bytes(ops), what);
    assert_eq!(got.len(), want.len(), "{what}: record count");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: record {i}: unit (clock, record) {:?}, expected {:?}",
            got[i], want[i]
        );
    }
    (carries, longest)
}

/// The random operations reach every bypass width and both extreme probabilities.
fn assert_coverage(ops: &[Op]) {
    let mut widths = [0usize; 17];
    let (mut p1, mut p4095) = (0, 0);
    for op in ops {
        match *op {
            Op::Bypass { n, .. } => widths[n as usize] += 1,
            Op::Bin { p: 1, .. } => p1 += 1,
            Op::Bin { p: 4095, .. } => p4095 += 1,
            _ => {}
        }
    }
    assert!(widths.iter().all(|&w| w > 0), "bypass widths {widths:?}");
    assert!(p1 > 0 && p4095 > 0);
}

#[test]
fn fast_rusthdl_random_operations_give_the_models_bytes_on_time() {
    let ops = random_ops(13, 300_000);
    assert_coverage(&ops);
    let steps = fast_steps(&ops, 125, 1);
    let (carries, longest) = fast_check(
        &fast_rusthdl_records(&steps),
        &steps,
        &ops,
        "rust-hdl fast, random",
    );
    assert!(carries > 50, "only {carries} carries");
    assert!(longest >= 2, "pending runs of at most {longest}");
}

#[test]
fn fast_rusthdl_coder_v2_bins_give_the_models_bytes_on_time() {
    let ops = coder_ops();
    // back to back: one operation per clock, no idle clock
    let steps = fast_steps(&ops, 0, 2);
    fast_check(
        &fast_rusthdl_records(&steps),
        &steps,
        &ops,
        "rust-hdl fast, coder v2",
    );
}

#[test]
fn fast_verilog_gives_the_models_bytes_on_time() {
    if !verilator_or_skip("fast_verilog_gives_the_models_bytes_on_time") {
        return;
    }
    let mut ops = random_ops(14, 300_000);
    assert_coverage(&ops);
    ops.extend(coder_ops());
    let mut steps = fast_steps(&ops, 125, 3);
    // and once more back to back
    steps.extend(fast_steps(&ops, 0, 4));
    let mut twice = ops.clone();
    twice.extend_from_slice(&ops);
    let (carries, longest) = fast_check(
        &fast_verilator_records(&steps),
        &steps,
        &twice,
        "Verilator fast",
    );
    assert!(
        carries > 50 && longest >= 2,
        "{carries} carries, runs of {longest}"
    );
}
