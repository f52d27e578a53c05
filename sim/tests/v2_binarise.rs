//! Coder v2's bin sequencer (`neurice_hdl::v2::binarise::BinSequencer`) against the golden
//! model's `v2::binarise` and `v2::context`, operation for operation: every `(u, s)` in range
//! and the `(u, s)` of coder v2 on the recordings (generated signals when they are absent),
//! with input gaps and the sequencer's own `in_ready`, in rust-hdl's simulator and as
//! emitted Verilog under Verilator (SKIPPED without Verilator).

mod common;

use common::{run_harness, verilated_block, verilator_or_skip};
use neurice_hdl::v2::binarise::BinSequencer;
use neurice_hdl::v2::range_fast::{OP_BIN, OP_BYPASS};
use neurice_model::v2::{self, State, V2Params};
use neurice_testkit::XorShift64;
use rust_hdl::prelude::*;

/// One operation: `(op, ctx, bin, v, n, last, tag)`; the fields an op does not use are 0.
type Op = (u64, u64, u64, u64, u64, bool, u64);

/// One sample: `(empty clocks before it, tag, u, s)`.
type Sample = (u32, u64, u32, u32);

/// The model's operations for the samples, in order.
fn model_ops(p: &V2Params, samples: &[Sample]) -> Vec<Op> {
    let mut out = Vec::new();
    for &(_, tag, u, s) in samples {
        let b = v2::binarise(u, s, p);
        let ops = b.count as usize + (b.bypass_len > 0) as usize;
        for j in 0..b.count as usize {
            let bit = ((b.bits >> j) & 1) as u64;
            out.push((OP_BIN, b.ctx[j] as u64, bit, 0, 0, j + 1 == ops, tag));
        }
        if b.bypass_len > 0 {
            let (v, n) = (b.bypass as u64, b.bypass_len as u64);
            out.push((OP_BYPASS, 0, 0, v, n, true, tag));
        }
    }
    out
}

/// The op as compared: the fields the op does not use are cleared.
fn op_of(op: u64, ctx: u64, bin: bool, v: u64, n: u64, last: bool, tag: u64) -> Op {
    if op == OP_BIN {
        (op, ctx, bin as u64, 0, 0, last, tag)
    } else {
        (op, 0, 0, v, n, last, tag)
    }
}

/// Every `(u, s)` with `u < 2^W`, `s ≤ 2W − 2`, in a shuffled order, some with gaps before.
fn all_pairs(p: &V2Params, seed: u64) -> Vec<Sample> {
    let mut rng = XorShift64::new(seed);
    let mut out: Vec<Sample> = (0..=p.golomb.s_max())
        .flat_map(|s| (0..1u32 << p.golomb.sample_bits).map(move |u| (0, 0, u, s)))
        .collect();
    for i in (1..out.len()).rev() {
        out.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    for (i, smp) in out.iter_mut().enumerate() {
        smp.0 = if rng.next_u64().is_multiple_of(8) {
            (rng.next_u64() % 4) as u32
        } else {
            0
        };
        smp.1 = (i % 1024) as u64;
    }
    out
}

/// The `(u, s)` coder v2 gives for `files` recordings (`len` samples each, one channel
/// each), or for generated signals when the recordings are absent; no gaps.
fn coder_pairs(p: &V2Params, files: usize, len: usize, test: &str) -> Vec<Sample> {
    let signals: Vec<Vec<u32>> = match neurice_testkit::data_or_skip(test) {
        Some(dir) => neurice_testkit::wavs(&dir)
            .iter()
            .take(files)
            .map(|f| {
                let wav = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
                neurice_model::grid::to_grid(&wav.samples).0
            })
            .collect(),
        None => (0..files as u64)
            .map(|c| {
                neurice_testkit::trace(len, c)
                    .into_iter()
                    .map(u32::from)
                    .collect()
            })
            .collect(),
    };
    let mut out = Vec::new();
    for (c, xs) in signals.iter().enumerate() {
        let mut st = State::initial(p);
        for &x in xs.iter().take(len) {
            let coded = v2::code_sample(&st, x, p);
            out.push((0, c as u64, coded.u, coded.s));
            st = coded.next;
        }
    }
    out
}

/// The sequencer in rust-hdl's simulator, driven directly, `op_ready` low in about
/// `stall_per_mille` / 1000 of the clocks (seeded); returns the operations taken and the
/// clocks it took.
fn rusthdl_ops(p: &V2Params, samples: &[Sample], stall_per_mille: u64) -> (Vec<Op>, usize) {
    let mut rng = XorShift64::new(0x0B5E);
    let mut uut = Box::new(BinSequencer::new(p).unwrap());
    uut.connect_all();
    check_all(uut.as_ref()).unwrap();
    let u = uut.as_mut();
    let mut ops = Vec::new();
    let (mut next, mut gap, mut clocks, mut idle) = (0usize, None::<u32>, 0usize, 0usize);
    while idle < 4 {
        // the inputs for this clock, with the clock low
        u.clock.next = Clock::from(false);
        let mut offer = false;
        if next < samples.len() {
            let (g, tag, uu, s) = samples[next];
            let left = gap.get_or_insert(g);
            if *left == 0 {
                offer = true;
                u.in_tag.next = tag.into();
                u.u.next = (uu as u64).into();
                u.s.next = (s as u64).into();
            } else {
                *left -= 1;
            }
        }
        u.in_valid.next = offer;
        let ready = rng.next_u64() % 1000 >= stall_per_mille;
        u.op_ready.next = ready;
        assert!(simulate(u, 100));
        if u.op_valid.val() && ready {
            ops.push(op_of(
                u.op.val().to_u64(),
                u.ctx.val().to_u64(),
                u.bin_value.val(),
                u.v.val().to_u64(),
                u.n.val().to_u64(),
                u.last.val(),
                u.op_tag.val().to_u64(),
            ));
            idle = 0;
        } else if next == samples.len() && !u.busy.val() {
            idle += 1;
        }
        if offer && u.in_ready.val() {
            next += 1;
            gap = None;
        }
        u.clock.next = Clock::from(true);
        assert!(simulate(u, 100));
        clocks += 1;
    }
    (ops, clocks)
}

fn assert_ops(got: &[Op], want: &[Op], what: &str) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: operation {i}: sequencer {:?}, model {:?}",
            got[i], want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "{what}: operation count");
}

#[test]
fn rusthdl_every_u_and_s_gives_the_models_bins() {
    let p = V2Params::HARDWARE;
    let samples = all_pairs(&p, 1);
    let want = model_ops(&p, &samples);
    let (got, _) = rusthdl_ops(&p, &samples, 0);
    assert_ops(&got, &want, "rust-hdl, every (u, s)");
    // the cases that matter were there: escapes (Q prefix bins and W bypass bits), two
    // remainder bins, contexts past the last prefix position
    assert!(want.iter().any(|o| o.0 == OP_BYPASS && o.4 == 10));
    assert!(want.iter().any(|o| o.0 == OP_BIN && o.1 == 18 * 10 + 9));
}

/// Coder v2's own `(u, s)` back to back: the sequencer sends one operation per clock with no
/// gap between samples (the clocks are the operations plus the first sample's latency and
/// the drain).
#[test]
fn rusthdl_coder_v2_samples_one_operation_per_clock() {
    let p = V2Params::HARDWARE;
    let samples = coder_pairs(&p, 3, 10_000, "bin sequencer on recordings (rust-hdl)");
    let want = model_ops(&p, &samples);
    let (got, clocks) = rusthdl_ops(&p, &samples, 0);
    assert_ops(&got, &want, "rust-hdl, coder v2");
    // 2 clocks before the first operation, 4 idle clocks to end the run
    assert_eq!(clocks, want.len() + 2 + 4, "one operation per clock");
    eprintln!(
        "{} samples, {} operations: {:.3} per sample",
        samples.len(),
        want.len(),
        want.len() as f64 / samples.len() as f64
    );
}

/// `op_ready` low at random (30 %): the sequencer holds each operation until it is taken, so
/// the operations taken are still exactly the model's; and `busy` covers every sample in it.
#[test]
fn rusthdl_op_ready_low_holds_the_operations() {
    let p = V2Params::HARDWARE;
    let mut samples = all_pairs(&p, 3);
    samples.truncate(6000);
    samples.extend(coder_pairs(
        &p,
        1,
        4000,
        "bin sequencer, op_ready low (rust-hdl)",
    ));
    let want = model_ops(&p, &samples);
    let (got, clocks) = rusthdl_ops(&p, &samples, 300);
    assert_ops(&got, &want, "rust-hdl, op_ready low");
    assert!(
        clocks > want.len() * 13 / 10,
        "op_ready was low: {clocks} clocks"
    );
}

/// Plain port names for the harness.
const WRAPPER: &str = "
module seq_wrap(input clock, input in_valid, input [9:0] in_tag, input [9:0] u,
    input [4:0] s, input op_ready, output in_ready, output op_valid, output [1:0] op, output [7:0] ctx,
    output bin_value, output [15:0] v, output [4:0] n, output last, output [9:0] op_tag);
  top t(.clock(clock), .in_valid(in_valid), .in_tag(in_tag), .u(u), .s(s), .op_ready(op_ready), .busy(),
    .in_ready(in_ready), .op_valid(op_valid), .op(op), .ctx(ctx), .bin_value(bin_value),
    .v(v), .n(n), .last(last), .op_tag(op_tag));
endmodule
";

/// Reads `gap tag u s` per sample: `gap` clocks without a sample, then the sample offered
/// until `in_ready`; `op_ready` high; prints `op ctx bin v n last tag` per operation; stops
/// 4 clocks after the input ends and the operations stop.
const HARNESS: &str = r#"
#include "Vcore.h"
#include <cstdio>
int main() {
  Vcore t;
  t.clock = 0; t.in_valid = 0; t.op_ready = 1; t.eval();
  unsigned g, tag, u, s;
  bool have = false, done = false;
  unsigned left = 0, idle = 0;
  while (idle < 4) {
    t.clock = 0;
    if (!have && !done) {
      if (scanf("%u %u %u %u", &g, &tag, &u, &s) == 4) { have = true; left = g; }
      else done = true;
    }
    bool offer = have && left == 0;
    if (have && left > 0) left--;
    t.in_valid = offer; t.in_tag = tag; t.u = u; t.s = s;
    t.eval();
    if (t.op_valid) {
      printf("%u %u %u %u %u %u %u\n", t.op, t.ctx, t.bin_value, t.v, t.n, t.last, t.op_tag);
      idle = 0;
    } else if (done) {
      idle++;
    }
    if (offer && t.in_ready) have = false;
    t.clock = 1;
    t.eval();
  }
  return 0;
}
"#;

#[test]
fn verilog_gives_the_models_bins() {
    if !verilator_or_skip("verilog_gives_the_models_bins") {
        return;
    }
    let p = V2Params::HARDWARE;
    let mut unit = BinSequencer::new(&p).unwrap();
    unit.connect_all();
    let bin = verilated_block(
        &generate_verilog(&unit),
        WRAPPER,
        "seq_wrap",
        "v2-binarise",
        HARNESS,
    );
    let mut samples = all_pairs(&p, 2);
    samples.extend(coder_pairs(
        &p,
        8,
        50_000,
        "bin sequencer on recordings (Verilator)",
    ));
    let mut input = String::new();
    for (g, tag, u, s) in &samples {
        input.push_str(&format!("{g} {tag} {u} {s}\n"));
    }
    let got: Vec<Op> = run_harness(&bin, input)
        .lines()
        .map(|l| {
            let f: Vec<u64> = l.split(' ').map(|t| t.parse().unwrap()).collect();
            op_of(f[0], f[1], f[2] != 0, f[3], f[4], f[5] != 0, f[6])
        })
        .collect();
    assert_ops(&got, &model_ops(&p, &samples), "Verilator");
}
