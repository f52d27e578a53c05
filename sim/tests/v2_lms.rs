//! The v2 LMS stage against the golden model's `v2::predict`, `v2::update` and
//! `zigzag_error`, on random states (extremes favoured) and on the states of the real
//! recordings: the combinational `LmsUnit` as emitted Verilog under Verilator, and the
//! pipeline `LmsPipe` in rust-hdl's simulator (also closed loop: the channels' states fed
//! back from its outputs, as the core will) and under Verilator. The Verilator tests are
//! SKIPPED without Verilator.

mod common;

use common::{run_harness, verilated_block, verilator_or_skip};
use neurice_hdl::v2::lms::{from_bits, to_bits, LmsUnit, DELTA_BITS, TAPS, WEIGHT_BITS};
use neurice_hdl::v2::lms_pipe::{LmsPipe, LATENCY, TAG_BITS};
use neurice_model::v2::{self, State, V2Params};
use neurice_testkit::XorShift64;
use rust_hdl::prelude::*;

/// Plain port names for the harness (rust-hdl names array ports `d$0`, …).
const WRAPPER: &str = "
module lms_wrap(input [9:0] prev, input [9:0] x,
    input [6:0] d0, input [6:0] d1, input [6:0] d2, input [6:0] d3,
    input [8:0] w0, input [8:0] w1, input [8:0] w2, input [8:0] w3,
    output [9:0] pred,
    output [6:0] dn0, output [6:0] dn1, output [6:0] dn2, output [6:0] dn3,
    output [8:0] wn0, output [8:0] wn1, output [8:0] wn2, output [8:0] wn3);
  top u(.prev(prev), .x(x), .\\d$0 (d0), .\\d$1 (d1), .\\d$2 (d2), .\\d$3 (d3),
    .\\w$0 (w0), .\\w$1 (w1), .\\w$2 (w2), .\\w$3 (w3), .pred(pred),
    .\\d_next$0 (dn0), .\\d_next$1 (dn1), .\\d_next$2 (dn2), .\\d_next$3 (dn3),
    .\\w_next$0 (wn0), .\\w_next$1 (wn1), .\\w_next$2 (wn2), .\\w_next$3 (wn3));
endmodule
";

/// Reads `prev x d0..d3 w0..w3` per line, prints `pred dn0..dn3 wn0..wn3`.
const HARNESS: &str = r#"
#include "Vcore.h"
#include <cstdio>
int main() {
  Vcore top;
  unsigned v[10];
  while (scanf("%u %u %u %u %u %u %u %u %u %u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &v[6], &v[7], &v[8], &v[9]) == 10) {
    top.prev = v[0]; top.x = v[1];
    top.d0 = v[2]; top.d1 = v[3]; top.d2 = v[4]; top.d3 = v[5];
    top.w0 = v[6]; top.w1 = v[7]; top.w2 = v[8]; top.w3 = v[9];
    top.eval();
    printf("%u %u %u %u %u %u %u %u %u\n", top.pred, top.dn0, top.dn1, top.dn2, top.dn3,
           top.wn0, top.wn1, top.wn2, top.wn3);
  }
  return 0;
}
"#;

/// (state, x) pairs: `random` random states with extremes, then the states of the first
/// `files` recordings (`len` samples each) if found.
fn cases(p: &V2Params, random: usize, files: usize, len: usize) -> Vec<(State, u32)> {
    let (wm, dm) = (p.weight_max(), p.delta_max());
    let mut rng = XorShift64::new(11);
    let mut out = Vec::new();
    let pick = |rng: &mut XorShift64, m: i32| match rng.next_u64() % 4 {
        0 => m,
        1 => -m,
        _ => (rng.next_u64() % (2 * m as u64 + 1)) as i32 - m,
    };
    for _ in 0..random {
        let mut st = State::initial(p);
        for t in 0..TAPS {
            st.w[t] = pick(&mut rng, wm);
            st.d[t] = pick(&mut rng, dm);
        }
        st.prev = (rng.next_u64() % 1024) as u32;
        out.push((st, (rng.next_u64() % 1024) as u32));
    }
    if let Some(dir) =
        neurice_testkit::data_or_skip("v2_lms_verilog_matches_the_model (recordings)")
    {
        for grid in recordings(&dir, files) {
            let mut st = State::initial(p);
            for &x in grid.iter().take(len) {
                out.push((st, x));
                let pred = v2::predict(&st, p);
                let u = neurice_model::lite::zigzag_error(x, pred, 10);
                st = v2::update(&st, x, pred, u, p);
            }
        }
    }
    out
}

/// The first `files` recordings in `dir`, as grid samples.
fn recordings(dir: &std::path::Path, files: usize) -> Vec<Vec<u32>> {
    neurice_testkit::wavs(dir)
        .iter()
        .take(files)
        .map(|f| {
            let wav = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
            neurice_model::grid::to_grid(&wav.samples).0
        })
        .collect()
}

#[test]
fn v2_lms_verilog_matches_the_model() {
    if !verilator_or_skip("v2_lms_verilog_matches_the_model") {
        return;
    }
    let p = V2Params::HARDWARE;
    let mut unit = LmsUnit::new(&p).unwrap();
    unit.connect_all();
    let bin = verilated_block(
        &generate_verilog(&unit),
        WRAPPER,
        "lms_wrap",
        "v2-lms",
        HARNESS,
    );
    let cases = cases(&p, 100_000, 8, 20_000);
    let mut input = String::new();
    for (st, x) in &cases {
        input.push_str(&format!("{} {x}", st.prev));
        for t in 0..TAPS {
            input.push_str(&format!(" {}", to_bits(st.d[t], DELTA_BITS)));
        }
        for t in 0..TAPS {
            input.push_str(&format!(" {}", to_bits(st.w[t], WEIGHT_BITS)));
        }
        input.push('\n');
    }
    let text = run_harness(&bin, input);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len(), "one answer per case");
    for (n, ((st, x), line)) in cases.iter().zip(&lines).enumerate() {
        let v: Vec<u64> = line.split(' ').map(|t| t.parse().unwrap()).collect();
        let pred = v2::predict(st, &p);
        let next = v2::update(st, *x, pred, 0, &p);
        assert_eq!(v[0] as u32, pred, "case {n}: pred, state {st:?}");
        for t in 0..TAPS {
            assert_eq!(
                from_bits(v[1 + t], DELTA_BITS),
                next.d[t],
                "case {n}: d{t}, {st:?} x {x}"
            );
            assert_eq!(
                from_bits(v[5 + t], WEIGHT_BITS),
                next.w[t],
                "case {n}: w{t}, {st:?} x {x}"
            );
        }
    }
}

// ---- the pipeline ---------------------------------------------------------------------------

/// One sample into the pipeline: its tag, the channel's state and the sample.
type PipeIn = (u32, State, u32);

/// What the pipeline gives for one sample: tag, pred, u and the next `prev`, deltas, weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PipeOut {
    tag: u32,
    pred: u32,
    u: u32,
    prev: u32,
    d: [i32; TAPS],
    w: [i32; TAPS],
}

/// The model's answer for one sample.
fn model_out(p: &V2Params, &(tag, st, x): &PipeIn) -> PipeOut {
    let pred = v2::predict(&st, p);
    let u = neurice_model::lite::zigzag_error(x, pred, 10);
    let next = v2::update(&st, x, pred, u, p);
    PipeOut {
        tag,
        pred,
        u,
        prev: next.prev,
        d: std::array::from_fn(|t| next.d[t]),
        w: std::array::from_fn(|t| next.w[t]),
    }
}

/// The pipeline in rust-hdl's simulator, driven directly.
struct RustHdlPipe {
    uut: Box<LmsPipe>,
    /// Edges since each sample still inside was taken, and its tag.
    inside: Vec<(usize, u32)>,
}

impl RustHdlPipe {
    fn new(p: &V2Params) -> Self {
        let mut uut = Box::new(LmsPipe::new(p).unwrap());
        uut.connect_all();
        check_all(uut.as_ref()).unwrap();
        RustHdlPipe {
            uut,
            inside: Vec::new(),
        }
    }

    /// One clock: `input` (or an empty slot) at the edge; the sample that leaves, if any,
    /// checked to leave exactly `LATENCY` edges after it entered.
    fn clock(&mut self, input: Option<&PipeIn>) -> Option<PipeOut> {
        let u = self.uut.as_mut();
        u.clock.next = Clock::from(false);
        u.in_valid.next = input.is_some();
        if let Some(&(tag, st, x)) = input {
            u.in_tag.next = (tag as u64).into();
            u.prev.next = (st.prev as u64).into();
            u.x.next = (x as u64).into();
            for t in 0..TAPS {
                u.d[t].next = to_bits(st.d[t], DELTA_BITS).into();
                u.w[t].next = to_bits(st.w[t], WEIGHT_BITS).into();
            }
        }
        assert!(simulate(u, 100));
        u.clock.next = Clock::from(true);
        assert!(simulate(u, 100));
        for e in &mut self.inside {
            e.0 += 1;
        }
        if let Some(&(tag, _, _)) = input {
            self.inside.push((1, tag));
        }
        if !u.out_valid.val() {
            assert!(
                self.inside.iter().all(|e| e.0 < LATENCY),
                "a sample is late"
            );
            return None;
        }
        let (age, tag) = self.inside.remove(0);
        assert_eq!(age, LATENCY, "latency");
        let got = PipeOut {
            tag: u.out_tag.val().to_u64() as u32,
            pred: u.pred.val().to_u64() as u32,
            u: u.u.val().to_u64() as u32,
            prev: u.prev_next.val().to_u64() as u32,
            d: std::array::from_fn(|t| from_bits(u.d_next[t].val().to_u64(), DELTA_BITS)),
            w: std::array::from_fn(|t| from_bits(u.w_next[t].val().to_u64(), WEIGHT_BITS)),
        };
        assert_eq!(got.tag, tag, "the tag travels with its sample");
        Some(got)
    }
}

/// The cases as a stream with about 10 % empty slots, tags the case index mod 2^10.
fn stream(cases: &[(State, u32)], seed: u64) -> Vec<Option<PipeIn>> {
    let mut rng = XorShift64::new(seed);
    let mut out = Vec::with_capacity(cases.len() * 11 / 10 + LATENCY);
    for (i, &(st, x)) in cases.iter().enumerate() {
        while rng.next_u64().is_multiple_of(10) {
            out.push(None);
        }
        out.push(Some(((i % (1 << TAG_BITS)) as u32, st, x)));
    }
    out.extend(std::iter::repeat_n(None, LATENCY));
    out
}

fn assert_outputs(p: &V2Params, ins: &[Option<PipeIn>], got: &[PipeOut], what: &str) {
    let want: Vec<PipeOut> = ins.iter().flatten().map(|i| model_out(p, i)).collect();
    assert_eq!(got.len(), want.len(), "{what}: one output per sample");
    for (n, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "{what}: sample {n}");
    }
}

#[test]
fn rusthdl_pipeline_matches_the_model() {
    let p = V2Params::HARDWARE;
    let ins = stream(&cases(&p, 30_000, 2, 10_000), 21);
    let mut pipe = RustHdlPipe::new(&p);
    let got: Vec<PipeOut> = ins.iter().filter_map(|i| pipe.clock(i.as_ref())).collect();
    assert_outputs(&p, &ins, &got, "rust-hdl");
}

/// `LATENCY` channels round robin (the fewest the pipeline takes without a stall), each
/// sample's state the pipeline's own output for that channel's last sample: the loop the
/// core closes through its state RAM. Recordings if found, else generated signals.
#[test]
fn rusthdl_pipeline_closed_loop_on_the_fewest_channels() {
    let p = V2Params::HARDWARE;
    let signals: Vec<Vec<u32>> =
        match neurice_testkit::data_or_skip("pipeline closed loop (recordings)") {
            Some(dir) => recordings(&dir, LATENCY),
            None => (0..LATENCY as u64)
                .map(|c| {
                    neurice_testkit::trace(20_000, c)
                        .into_iter()
                        .map(u32::from)
                        .collect()
                })
                .collect(),
        };
    let len = signals.iter().map(Vec::len).min().unwrap().min(20_000);
    let mut pipe = RustHdlPipe::new(&p);
    // the hardware's state per channel, and the model's
    let mut hw: Vec<State> = vec![State::initial(&p); LATENCY];
    let mut model: Vec<State> = vec![State::initial(&p); LATENCY];
    let mut busy = [false; LATENCY];
    let (mut fed, mut checked) = (0usize, 0usize);
    let mut slot = 0usize;
    while checked < len * LATENCY {
        let c = slot % LATENCY;
        let input = (fed < len * LATENCY).then(|| {
            assert!(
                !busy[c],
                "channel {c} is back before its state left the pipeline"
            );
            busy[c] = true;
            (c as u32, hw[c], signals[c][fed / LATENCY])
        });
        if input.is_some() {
            fed += 1;
        }
        slot += 1;
        if let Some(out) = pipe.clock(input.as_ref()) {
            let ch = out.tag as usize;
            let x = signals[ch][checked / LATENCY];
            let want = model_out(&p, &(out.tag, model[ch], x));
            assert_eq!(out, want, "channel {ch}, sample {}", checked / LATENCY);
            model[ch] = v2::code_sample(&model[ch], x, &p).next;
            hw[ch].prev = out.prev;
            hw[ch].d[..TAPS].copy_from_slice(&out.d);
            hw[ch].w[..TAPS].copy_from_slice(&out.w);
            busy[ch] = false;
            checked += 1;
        }
    }
    // the last sample taken at clock len·L − 1 leaves after clock len·L − 1 + (L − 1)
    assert_eq!(
        slot,
        len * LATENCY + LATENCY - 1,
        "one sample per clock, no stall"
    );
}

/// Plain port names for the pipeline's harness.
const PIPE_WRAPPER: &str = "
module pipe_wrap(input clock, input in_valid, input [9:0] in_tag, input [9:0] prev,
    input [9:0] x, input [6:0] d0, input [6:0] d1, input [6:0] d2, input [6:0] d3,
    input [8:0] w0, input [8:0] w1, input [8:0] w2, input [8:0] w3,
    output out_valid, output [9:0] out_tag, output [9:0] pred, output [9:0] u,
    output [9:0] prev_next,
    output [6:0] dn0, output [6:0] dn1, output [6:0] dn2, output [6:0] dn3,
    output [8:0] wn0, output [8:0] wn1, output [8:0] wn2, output [8:0] wn3);
  top t(.clock(clock), .in_valid(in_valid), .in_tag(in_tag), .prev(prev), .x(x),
    .\\d$0 (d0), .\\d$1 (d1), .\\d$2 (d2), .\\d$3 (d3),
    .\\w$0 (w0), .\\w$1 (w1), .\\w$2 (w2), .\\w$3 (w3),
    .out_valid(out_valid), .out_tag(out_tag), .pred(pred), .u(u), .prev_next(prev_next),
    .\\d_next$0 (dn0), .\\d_next$1 (dn1), .\\d_next$2 (dn2), .\\d_next$3 (dn3),
    .\\w_next$0 (wn0), .\\w_next$1 (wn1), .\\w_next$2 (wn2), .\\w_next$3 (wn3));
endmodule
";

/// Reads `valid tag prev x d0..d3 w0..w3` per clock; prints
/// `tag pred u prev dn0..dn3 wn0..wn3` after each edge that has a valid output.
const PIPE_HARNESS: &str = r#"
#include "Vcore.h"
#include <cstdio>
int main() {
  Vcore t;
  unsigned v[12];
  t.clock = 0; t.eval();
  while (scanf("%u %u %u %u %u %u %u %u %u %u %u %u", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]) == 12) {
    t.clock = 0;
    t.in_valid = v[0]; t.in_tag = v[1]; t.prev = v[2]; t.x = v[3];
    t.d0 = v[4]; t.d1 = v[5]; t.d2 = v[6]; t.d3 = v[7];
    t.w0 = v[8]; t.w1 = v[9]; t.w2 = v[10]; t.w3 = v[11];
    t.eval();
    t.clock = 1;
    t.eval();
    if (t.out_valid)
      printf("%u %u %u %u %u %u %u %u %u %u %u %u\n", t.out_tag, t.pred, t.u, t.prev_next,
             t.dn0, t.dn1, t.dn2, t.dn3, t.wn0, t.wn1, t.wn2, t.wn3);
  }
  return 0;
}
"#;

#[test]
fn v2_lms_pipeline_verilog_matches_the_model() {
    if !verilator_or_skip("v2_lms_pipeline_verilog_matches_the_model") {
        return;
    }
    let p = V2Params::HARDWARE;
    let mut unit = LmsPipe::new(&p).unwrap();
    unit.connect_all();
    let bin = verilated_block(
        &generate_verilog(&unit),
        PIPE_WRAPPER,
        "pipe_wrap",
        "v2-lms-pipe",
        PIPE_HARNESS,
    );
    let ins = stream(&cases(&p, 100_000, 8, 20_000), 22);
    let mut input = String::new();
    for i in &ins {
        match i {
            None => input.push_str("0 0 0 0 0 0 0 0 0 0 0 0\n"),
            Some((tag, st, x)) => {
                input.push_str(&format!("1 {tag} {} {x}", st.prev));
                for t in 0..TAPS {
                    input.push_str(&format!(" {}", to_bits(st.d[t], DELTA_BITS)));
                }
                for t in 0..TAPS {
                    input.push_str(&format!(" {}", to_bits(st.w[t], WEIGHT_BITS)));
                }
                input.push('\n');
            }
        }
    }
    let got: Vec<PipeOut> = run_harness(&bin, input)
        .lines()
        .map(|l| {
            let v: Vec<u64> = l.split(' ').map(|t| t.parse().unwrap()).collect();
            PipeOut {
                tag: v[0] as u32,
                pred: v[1] as u32,
                u: v[2] as u32,
                prev: v[3] as u32,
                d: std::array::from_fn(|t| from_bits(v[4 + t], DELTA_BITS)),
                w: std::array::from_fn(|t| from_bits(v[8 + t], WEIGHT_BITS)),
            }
        })
        .collect();
    assert_outputs(&p, &ins, &got, "Verilator");
}
