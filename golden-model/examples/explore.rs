//! Design-space exploration behind FORMAT.md §5: payload bits of coder variants on the
//! recordings (no container), printed as a Markdown table.
//!
//! `cargo run --release -p neurice-model --example explore [DIR]`
//! (default DIR: `$NEURICE_DATA` or `../shared/data/neuralink`).

use std::path::PathBuf;

use neurice_model::{grid::to_grid, wav::parse_wav};

/// Parameter family of the adaptive code.
#[derive(Clone, Copy)]
enum Family {
    /// m = 2^k
    Rice,
    /// m = 2^k or 3·2^(k-1)
    Half,
    /// m = {4,5,6,7}·2^j / 4
    Quarter,
}

#[derive(Clone, Copy)]
enum Rule {
    /// smallest m with N·m·2^shift >= num·A, window 2^w
    Counters { num: u64, shift: u32, w: u32 },
    /// exponential average S ← S − S>>r + u; smallest m = 2^k with 2^(k+r) >= S
    Ema { r: u32 },
    /// one static k per file, best of all (two passes)
    StaticBest,
}

#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    family: Family,
    rule: Rule,
    /// prediction prev + slope/8·(prev − prev2)
    slope: i32,
    /// index nudges: up if last u >= up·m, down if last u·down < m (0 = off)
    up: u32,
    down: u32,
}

const QMAX: u64 = 16;
const W: u32 = 10;

fn table(f: Family) -> Vec<u64> {
    let mut m: Vec<u64> = match f {
        Family::Rice => (0..W).map(|k| 1 << k).collect(),
        Family::Half => (0..=2 * (W - 1))
            .map(|s| neurice_model::lite::m_value(s) as u64)
            .collect(),
        Family::Quarter => (0..W)
            .flat_map(|j| [4u64, 5, 6, 7].map(|q| (q << j) >> 2))
            .filter(|&m| m > 0)
            .collect(),
    };
    m.sort();
    m.dedup();
    m
}

/// Golomb code length of u with parameter m (truncated binary remainder).
fn golomb_len(u: u64, m: u64) -> u64 {
    let q = u / m;
    if q >= QMAX {
        return QMAX + W as u64;
    }
    let b = 64 - (m - 1).leading_zeros() as u64; // ceil(log2 m)
    let cut = (1u64 << b) - m;
    // cut > 0 only for non-powers of two, where b >= 2
    q + 1 + if u % m < cut { b - 1 } else { b }
}

fn zigzag(x: i32, pred: i32) -> u64 {
    let d = (x - pred).rem_euclid(1 << W);
    let e = if d >= 1 << (W - 1) { d - (1 << W) } else { d };
    if e >= 0 {
        2 * e as u64
    } else {
        (-2 * e - 1) as u64
    }
}

fn bits_of(v: &Variant, x: &[u32]) -> u64 {
    let ms = table(v.family);
    let mid = 1i32 << (W - 1);
    if let Rule::StaticBest = v.rule {
        return ms
            .iter()
            .map(|&m| {
                let mut prev = mid;
                x.iter()
                    .map(|&s| {
                        let b = golomb_len(zigzag(s as i32, prev), m);
                        prev = s as i32;
                        b
                    })
                    .sum::<u64>()
            })
            .min()
            .unwrap_or(0);
    }
    let (mut a, mut n, mut ema) = (0u64, 0u64, 0u64);
    let (mut p1, mut p2) = (mid, mid);
    let mut last_u = 0u64;
    let mut bits = 0;
    for &s in x {
        let pred = (p1 + ((v.slope * (p1 - p2)) >> 3)).clamp(0, (1 << W) - 1);
        let u = zigzag(s as i32, pred);
        let mut i = match v.rule {
            Rule::Counters { num, shift, .. } => ms
                .iter()
                .position(|&m| (n * m) << shift >= num * a)
                .unwrap_or(ms.len() - 1),
            Rule::Ema { r } => ms
                .iter()
                .position(|&m| m << r >= ema)
                .unwrap_or(ms.len() - 1),
            Rule::StaticBest => unreachable!(),
        };
        if v.up > 0 && last_u >= v.up as u64 * ms[i] && i + 1 < ms.len() {
            i += 1;
        } else if v.down > 0 && last_u * (v.down as u64) < ms[i] && i > 0 {
            i -= 1;
        }
        bits += golomb_len(u, ms[i]);
        match v.rule {
            Rule::Counters { w, .. } => {
                a += u;
                n += 1;
                if n == 1 << w {
                    a = (a + 1) >> 1;
                    n >>= 1;
                }
            }
            Rule::Ema { r } => ema = ema - (ema >> r) + u,
            Rule::StaticBest => {}
        }
        p2 = p1;
        p1 = s as i32;
        last_u = u;
    }
    bits
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("NEURICE_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wav"))
            .collect(),
        Err(e) => {
            eprintln!(
                "cannot read {}: {e} (pass the recordings folder as the argument)",
                dir.display()
            );
            std::process::exit(2);
        }
    };
    files.sort();
    let recs: Vec<Vec<u32>> = files
        .iter()
        .filter_map(|f| {
            let wav = parse_wav(&std::fs::read(f).ok()?).ok()?;
            (wav.channels == 1).then(|| to_grid(&wav.samples).0)
        })
        .collect();
    let samples: usize = recs.iter().map(|r| r.len()).sum();
    let c = |num, shift, w| Rule::Counters { num, shift, w };
    let base = Variant {
        name: "",
        family: Family::Half,
        rule: c(5, 3, 6),
        slope: 0,
        up: 0,
        down: 0,
    };
    let variants = [
        Variant {
            name: "Rice, best static k per file (two-pass)",
            family: Family::Rice,
            rule: Rule::StaticBest,
            ..base
        },
        Variant {
            name: "Rice, JPEG-LS rule N·2^k >= A on zigzag u, window 64",
            family: Family::Rice,
            rule: c(1, 0, 6),
            ..base
        },
        Variant {
            name: "Rice, threshold 4/8, window 64",
            family: Family::Rice,
            rule: c(4, 3, 6),
            ..base
        },
        Variant {
            name: "Rice, EMA accumulator (shift 2)",
            family: Family::Rice,
            rule: Rule::Ema { r: 2 },
            ..base
        },
        Variant {
            name: "half-step Golomb (m = 2^k, 3·2^(k−1)), threshold 5/8, window 32",
            rule: c(5, 3, 5),
            ..base
        },
        Variant {
            name: "**half-step Golomb, threshold 5/8, window 64 (chosen)**",
            ..base
        },
        Variant {
            name: "half-step Golomb, threshold 5/8, window 128 (state 34 bits)",
            rule: c(5, 3, 7),
            ..base
        },
        Variant {
            name: "half-step Golomb, threshold 4/8, window 64",
            rule: c(4, 3, 6),
            ..base
        },
        Variant {
            name: "half-step Golomb, threshold 6/8, window 64",
            rule: c(6, 3, 6),
            ..base
        },
        Variant {
            name: "quarter-step Golomb (m = 4,5,6,7·2^j/4), threshold 11/16, window 64",
            family: Family::Quarter,
            rule: c(11, 4, 6),
            ..base
        },
        Variant {
            name: "predictor prev + (prev − prev2)/8",
            slope: 1,
            ..base
        },
        Variant {
            name: "predictor prev − (prev − prev2)/8",
            slope: -1,
            ..base
        },
        Variant {
            name: "predictor 2·prev − prev2",
            slope: 8,
            ..base
        },
        Variant {
            name: "nudge s up when the last u >= 4m",
            up: 4,
            ..base
        },
        Variant {
            name: "nudge s down when the last u < m/4",
            down: 4,
            ..base
        },
    ];
    println!(
        "{} recordings, {samples} samples (payload only, no container)\n",
        recs.len()
    );
    // Cross-check: the chosen row must equal the golden model's own payload bits.
    let p = neurice_model::CodecParams::HARDWARE;
    let model_bits: u64 = recs
        .iter()
        .map(|r| neurice_model::lite::encode_all(&p, 1, r).expect("encode").1)
        .sum();
    let chosen_bits: u64 = recs.iter().map(|r| bits_of(&base, r)).sum();
    assert_eq!(
        model_bits, chosen_bits,
        "the explorer's chosen variant disagrees with the golden model"
    );
    println!("| variant | bits/sample | ratio |\n|---|---|---|");
    for v in &variants {
        let bits: u64 = recs.iter().map(|r| bits_of(v, r)).sum();
        let bps = bits as f64 / samples as f64;
        println!("| {} | {bps:.4} | {:.4} |", v.name, 16.0 / bps);
    }
}
