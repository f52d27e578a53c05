//! The v2 LMS stage against the golden model's `v2::predict` and `v2::update`, on random
//! states (extremes favoured) and on the states of the real recordings: the combinational
//! `LmsUnit` as emitted Verilog under Verilator (SKIPPED without Verilator). Coder max's core
//! is built on its blocks (`PredictSum`, `LmsUpdate`, `TapMul`): this is their check at the
//! clamps of the weights and deltas, which recordings alone seldom reach. (The 3-stage
//! pipeline `LmsPipe` and its tests went with the retired v2 core, issue 26.)

mod common;

use common::{run_harness, verilated_block, verilator_or_skip};
use neurice_hdl::v2::lms::{from_bits, to_bits, LmsUnit, DELTA_BITS, TAPS, WEIGHT_BITS};
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
