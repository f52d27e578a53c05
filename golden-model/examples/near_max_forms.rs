//! Coder max with a maximum error: the two forms FORMAT.md §10.11 compares, measured on the
//! recordings.
//!
//! `cargo run --release -p neurice-model --example near_max_forms -- [DIR]`
//!
//! * **lattice**: coder v1's lattice indices (§11.2) coded by coder max unchanged (δ = 0);
//! * **residual**: the normative form of §10.11 (`MaxParams::max_error`): the residual
//!   quantised around the LMS prediction, the reconstruction fed back.
//!
//! For each form and δ = 1, 2 the tokens are counted per context on the even-index files
//! (sorted by name) and on the odd ones; a table is trained on the even counts
//! (`Table::train`, as `train_max_table`); the figure is the payload ratio
//! `16·samples / bits` with the bits the ideal code length of the tokens under that table
//! (`Σ −log2(f/4096)`) plus the raw bits — the same measure for both forms, without the range
//! coder's few bytes per block.

use std::path::PathBuf;

use neurice_model::max::{self, MaxParams, Table, CONTEXTS, TOKENS};
use neurice_model::near::Quantiser;
use neurice_model::{grid::to_grid, wav::parse_wav};

type Counts = [[u64; TOKENS]; CONTEXTS];

/// Counts the tokens of one recording coded as one block with `p`; returns the raw bits.
fn count(p: &MaxParams, xs: &[u32], c: &mut Counts) -> u64 {
    let mut st = max::restart_state(xs[0], p);
    let mut raw = 0;
    for &x in &xs[1..] {
        let cs = max::code_sample(&st, x, p);
        c[cs.ctx as usize][cs.token.token as usize] += 1;
        raw += cs.token.raw_len as u64;
        st = cs.next;
    }
    raw
}

/// Ideal code length in bits of `c` under `t`.
fn cost(t: &Table, c: &Counts) -> f64 {
    let mut bits = 0.0;
    for (ctx, row) in c.iter().enumerate() {
        for (tok, &n) in row.iter().enumerate() {
            bits += n as f64 * -(t.freq(ctx, tok) as f64 / 4096.0).log2();
        }
    }
    bits
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("NEURICE_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    let files = neurice_testkit::wavs(&dir);
    if files.is_empty() {
        return Err(format!("no .wav files in {}", dir.display()).into());
    }
    let recs: Vec<Vec<u32>> = files
        .iter()
        .map(|f| Ok(to_grid(&parse_wav(&std::fs::read(f)?)?.samples).0))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let n = |half: usize| -> u64 {
        recs.iter()
            .enumerate()
            .filter(|(i, _)| half == 2 || i % 2 == half)
            .map(|(_, r)| r.len() as u64)
            .sum()
    };
    println!("| δ | form | payload ratio, test (odd) | all |");
    println!("|---|---|---|---|");
    for d in [1u32, 2] {
        let q = Quantiser::grid(d)?;
        for form in ["lattice", "residual"] {
            let mut c = [[[0u64; TOKENS]; CONTEXTS]; 2];
            let mut raw = [0u64; 2];
            for (i, r) in recs.iter().enumerate() {
                raw[i % 2] += if form == "lattice" {
                    let idx: Vec<u32> = r.iter().map(|&k| q.index(k)).collect();
                    count(&MaxParams::HARDWARE, &idx, &mut c[i % 2])
                } else {
                    count(&MaxParams::HARDWARE.with_max_error(d), r, &mut c[i % 2])
                };
            }
            let t = Table::train(&c[0]);
            let (odd, even) = (
                cost(&t, &c[1]) + raw[1] as f64,
                cost(&t, &c[0]) + raw[0] as f64,
            );
            println!(
                "| {d} | {form} | {:.4} | {:.4} |",
                16.0 * n(1) as f64 / odd,
                16.0 * n(2) as f64 / (odd + even)
            );
        }
    }
    Ok(())
}
