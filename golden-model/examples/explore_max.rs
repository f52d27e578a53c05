//! Design-space exploration for coder max (FORMAT.md §10.9): one multi-symbol range-coder step
//! per sample over a static table, on coder v2's front end. Measures the variants behind the
//! chosen design with the real coder's byte count (the range recurrence simulated exactly,
//! bytes = byte shifts + 4 per block, raw bits rounded up to a byte per block), payload only.
//!
//! `cargo run --release -p neurice-model --example explore_max [DIR]`
//!
//! Split: the files sorted by name; even index = train, odd index = test. Each variant's table
//! is fitted on one half and applied to both ("train" / "test" columns: fitted on train; "all":
//! fitted on train, applied to all; "swap": fitted on test, applied to all).

use std::path::PathBuf;

use neurice_model::lite::{golomb_m, m_value, select_s, zigzag_error};
use neurice_model::max::table::quantise;
use neurice_model::v2::{self, State, V2Params};
use neurice_model::{grid::to_grid, wav::parse_wav};

const W: u32 = 10;

/// What the front end gives per sample: `u`, `s`, and `N·m(s)·64 / A` (clamped to 255).
#[derive(Clone, Copy, Default)]
struct Front {
    u: u16,
    s: u8,
    ratio64: u8,
    /// the sub-context bit of the design, `5·N·m(s) >= 3·A`, computed exactly
    sub: bool,
    /// |last delta| (clamped as stored) and |LMS correction| before the sample
    d1: u16,
    pd: u16,
    /// a block's first sample, sent raw (no token)
    first: bool,
}

/// How a block starts (FORMAT.md §10.6).
#[derive(Clone, Copy, Debug)]
enum Restart {
    /// coder v2's: every channel from its initial state, the first sample coded as any other
    Initial,
    /// the first sample of each channel sent raw (W bits), then `A`, `N` seeded
    RawSeeded(u32, u32),
}

/// The front end of one channel's block; the first sample is `first` when it is sent raw.
fn front_end(xs: &[u32], restart: Restart) -> Vec<Front> {
    let p = V2Params::HARDWARE;
    let mut st = State::initial(&p);
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            if let (0, Restart::RawSeeded(a, n)) = (i, restart) {
                st.prev = x;
                st.a = a;
                st.n = n;
                return Front {
                    first: true,
                    ..Front::default()
                };
            }
            let pred = v2::predict(&st, &p);
            let u = zigzag_error(x, pred, W);
            let s = select_s(st.a, st.n, &p.golomb);
            let nm = st.n as u64 * m_value(s) as u64;
            let ratio64 = if st.a == 0 {
                255
            } else {
                (nm * 64 / st.a as u64).min(255) as u8
            };
            let f = Front {
                u: u as u16,
                s: s as u8,
                ratio64,
                sub: 5 * nm >= 3 * st.a as u64,
                d1: st.d[0].unsigned_abs() as u16,
                pd: (pred as i32 - st.prev as i32).unsigned_abs() as u16,
                first: false,
            };
            st = v2::update(&st, x, pred, u, &p);
            f
        })
        .collect()
}

/// The library's restart (`max::restart_state`: A = 32, N = 4).
const CHOSEN_RESTART: Restart = Restart::RawSeeded(32, 4);

#[derive(Clone, Copy, Debug)]
enum Escape {
    /// token 31, then `u` in W bits
    Raw,
    /// token 31, then Exp-Golomb (order 0) of `(u >> shift) − 31`, then the `shift` low bits
    ExpGolomb,
    /// the same with Exp-Golomb of order `k`
    ExpGolombK(u32),
    /// magnitude classes: `v = u >> shift` below 16 is its own token; above, token
    /// `16 + 2^mb·(L − 4) + (mb bits below v's top bit)` (`L` = ⌊log2 v⌋), the other `L − mb`
    /// bits raw; a token ≥ 31 is the escape (Exp-Golomb order 1 of `v − first v of 31`)
    Classes(u32),
}

#[derive(Clone, Copy, Debug)]
struct Cfg {
    name: &'static str,
    /// contexts per s class: 1, 2 (the design's bit) or 3 (thresholds on ratio64); 4 with
    /// `d1ctx` (the design's bit × the d1 bit)
    subs: u32,
    /// a sub-context bit from the last delta: |d1| >= m(s) · d1ctx / 4 (0 = off)
    d1ctx: u32,
    /// the same from the LMS correction |pred − prev| (0 = off)
    pdctx: u32,
    /// the chosen map instead of the above (`max::context`): s = 0 in three (flat: 2A ≤ N;
    /// then the sub-context bit), s = 1..6 × the sub-context bit, s ≥ 7 one context
    chosen_map: bool,
    /// s clamped to 0..s_classes-1
    s_classes: u32,
    /// token = u >> max(0, k − k_off)
    k_off: u32,
    tokens: u32,
    escape: Escape,
    /// the rounding rest goes to the most probable token (else to the last token)
    rest_mps: bool,
    /// range bits (range kept in [2^(rb−1), 2^rb))
    rb: u32,
    /// probability bits of the table
    pb: u32,
}

const DESIGN: Cfg = Cfg {
    name: "",
    subs: 2,
    s_classes: 8,
    k_off: 2,
    tokens: 32,
    escape: Escape::ExpGolombK(1),
    rest_mps: true,
    d1ctx: 0,
    pdctx: 0,
    chosen_map: true,
    rb: 20,
    pb: 12,
};

impl Cfg {
    fn bits(&self) -> u32 {
        1 + (self.d1ctx > 0 || self.pdctx > 0) as u32
    }
    fn contexts(&self) -> usize {
        if self.chosen_map {
            return 16;
        }
        (self.subs * self.s_classes * self.bits()) as usize
    }
    /// (context, token, raw bits) of one sample; the context is `usize::MAX` for a raw first
    /// sample.
    #[inline]
    fn map(&self, f: Front) -> (usize, usize, u32) {
        if f.first {
            return (usize::MAX, 0, W);
        }
        let m4 = 4 * m_value(f.s as u32);
        let d1 = self.d1ctx > 0 && f.d1 as u32 * 16 >= m4 * self.d1ctx;
        let pd = self.pdctx > 0 && f.pd as u32 * 16 >= m4 * self.pdctx;
        let sub = match self.subs {
            1 => 0,
            2 => f.sub as u32,
            _ => (f.ratio64 >= 36) as u32 + (f.ratio64 >= 42) as u32,
        };
        let bits = self.bits();
        let sub = sub * bits + (d1 || pd) as u32;
        let ctx = if self.chosen_map {
            // ratio64 = ⌊64·N/A⌋ at s = 0, so 2A ≤ N is ratio64 ≥ 128
            match f.s {
                0 if f.ratio64 >= 128 => 0,
                0 => 2 - f.sub as u32,
                1..=6 => 1 + 2 * f.s as u32 + f.sub as u32,
                _ => 15,
            }
        } else {
            (f.s as u32).min(self.s_classes - 1) * self.subs * bits + sub
        };
        let k = golomb_m(f.s as u32).0;
        let shift = k.saturating_sub(self.k_off);
        let t = f.u as u32 >> shift;
        let esc = self.tokens - 1;
        if let Escape::Classes(mb) = self.escape {
            if t < 16 {
                return (ctx as usize, t as usize, shift);
            }
            let l = 31 - t.leading_zeros();
            let tok = 16 + (1 << mb) * (l - 4) + ((t >> (l - mb)) & ((1 << mb) - 1));
            if tok < esc {
                return (ctx as usize, tok as usize, l - mb + shift);
            }
            // first v of token 31
            let (l31, r31) = ((esc - 16) >> mb, (esc - 16) & ((1 << mb) - 1));
            let v31 = ((1 << mb) + r31) << (l31 + 4 - mb);
            let v = ((t - v31) >> 1) + 1;
            return (
                ctx as usize,
                esc as usize,
                2 * (31 - v.leading_zeros()) + 2 + shift,
            );
        }
        if t < esc {
            (ctx as usize, t as usize, shift)
        } else {
            let raw = match self.escape {
                Escape::Raw => W,
                Escape::ExpGolomb => {
                    let v = t - esc + 1;
                    2 * (31 - v.leading_zeros()) + 1 + shift
                }
                Escape::ExpGolombK(k) => {
                    let v = ((t - esc) >> k) + 1;
                    2 * (31 - v.leading_zeros()) + 1 + k + shift
                }
                Escape::Classes(_) => unreachable!(),
            };
            (ctx as usize, esc as usize, raw)
        }
    }
}

/// Payload bytes of one block: the range coder's bytes (simulated exactly) and the raw bytes.
fn block_bytes(cfg: &Cfg, items: impl Iterator<Item = (usize, usize, u32)>, t: &Tab) -> u64 {
    let (rb, pb) = (cfg.rb, cfg.pb);
    let mut range: u64 = (1 << rb) - 1;
    let mut e: i32 = 32 - rb as i32; // range · 2^e is the 32-bit range of the byte coder
    let mut shifts = 0u64;
    let mut raw = 0u64;
    let floor = 24 - (rb as i32 - 1);
    for (ctx, tok, rawbits) in items {
        raw += rawbits as u64;
        if ctx == usize::MAX {
            continue;
        }
        let r = range >> pb;
        let f = t.freq[ctx][tok] as u64;
        range = if tok == t.top[ctx] {
            r * f + (range & ((1 << pb) - 1))
        } else {
            r * f
        };
        let n = (rb - 1) as i32 - (63 - range.leading_zeros() as i32);
        range <<= n;
        e -= n;
        while e < floor {
            e += 8;
            shifts += 1;
        }
    }
    shifts + 4 + raw.div_ceil(8)
}

struct Tab {
    freq: Vec<Vec<u32>>,
    top: Vec<usize>,
}

fn fit(cfg: &Cfg, data: &[Vec<Front>], pick: impl Fn(usize) -> bool) -> Tab {
    let mut counts = vec![vec![0u64; cfg.tokens as usize]; cfg.contexts()];
    for (i, d) in data.iter().enumerate() {
        if pick(i) {
            for &f in d {
                let (c, t, _) = cfg.map(f);
                if c != usize::MAX {
                    counts[c][t] += 1;
                }
            }
        }
    }
    let freq: Vec<Vec<u32>> = counts.iter().map(|c| quantise(c, cfg.pb)).collect();
    let top = freq
        .iter()
        .map(|f| {
            if cfg.rest_mps {
                // the first most frequent token
                (0..f.len()).fold(0, |b, t| if f[t] > f[b] { t } else { b })
            } else {
                f.len() - 1
            }
        })
        .collect();
    Tab { freq, top }
}

fn ratio(bytes: u64, samples: u64) -> f64 {
    16.0 * samples as f64 / (8.0 * bytes as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("NEURICE_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()).into());
    }
    let files = neurice_testkit::wavs(&dir);
    if files.is_empty() {
        return Err(format!("no .wav files in {}", dir.display()).into());
    }
    let xs: Vec<Vec<u32>> = files
        .iter()
        .map(|f| Ok(to_grid(&parse_wav(&std::fs::read(f)?)?.samples).0))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let data: Vec<Vec<Front>> = xs.iter().map(|x| front_end(x, CHOSEN_RESTART)).collect();
    let frames = data.iter().map(Vec::len).min().unwrap_or(0);
    eprintln!("{} files, shortest {frames} samples", data.len());
    let even = |i: usize| i.is_multiple_of(2);
    let odd = |i: usize| i % 2 == 1;
    let any = |_: usize| true;

    let variants = [
        Cfg {
            name: "study: escape = token 31 + u in W bits, rest to token 31",
            chosen_map: false,
            rest_mps: false,
            escape: Escape::Raw,
            ..DESIGN
        },
        Cfg {
            name: "escape + Exp-Golomb order 0, rest to token 31",
            chosen_map: false,
            rest_mps: false,
            escape: Escape::ExpGolomb,
            ..DESIGN
        },
        Cfg {
            name: "escape + u in W bits, rest to the top token",
            chosen_map: false,
            escape: Escape::Raw,
            ..DESIGN
        },
        Cfg {
            name: "escape + Exp-Golomb order 0, rest to the top token",
            chosen_map: false,
            escape: Escape::ExpGolomb,
            ..DESIGN
        },
        Cfg {
            name: "escape + Exp-Golomb order 1, rest to the top token (16 ctx: min(s, 7) x b)",
            chosen_map: false,
            ..DESIGN
        },
        Cfg {
            name: "same, s = 0 in three (2A <= N), s >= 7 one context (chosen)",
            ..DESIGN
        },
        Cfg {
            name: "chosen, escape Exp-Golomb order 2",
            escape: Escape::ExpGolombK(2),
            ..DESIGN
        },
        Cfg {
            name: "chosen, escape Exp-Golomb order 3",
            escape: Escape::ExpGolombK(3),
            ..DESIGN
        },
        Cfg {
            name: "classes, 2 tokens per octave from 16",
            escape: Escape::Classes(1),
            ..DESIGN
        },
        Cfg {
            name: "classes, 4 tokens per octave from 16",
            escape: Escape::Classes(2),
            ..DESIGN
        },
        Cfg {
            name: "classes, 2 tokens per octave from 16, k-1",
            escape: Escape::Classes(1),
            k_off: 1,
            ..DESIGN
        },
        Cfg {
            name: "classes, 4 tokens per octave from 16, k-3",
            escape: Escape::Classes(2),
            k_off: 3,
            ..DESIGN
        },
        Cfg {
            name: "chosen, 24-bit range",
            rb: 24,
            ..DESIGN
        },
        Cfg {
            name: "chosen, 15-bit table, 24-bit range",
            rb: 24,
            pb: 15,
            ..DESIGN
        },
        Cfg {
            name: "16-ctx map, no sub-context (8 ctx)",
            chosen_map: false,
            subs: 1,
            ..DESIGN
        },
        Cfg {
            name: "16-ctx map, 3 sub-contexts, s 0-9 (30 ctx)",
            chosen_map: false,
            subs: 3,
            s_classes: 10,
            ..DESIGN
        },
        Cfg {
            name: "16-ctx map, s 0-9 (20 ctx)",
            chosen_map: false,
            s_classes: 10,
            ..DESIGN
        },
        Cfg {
            name: "chosen, 64 tokens, token = u >> max(0, k-3) (1024 entries)",
            tokens: 64,
            k_off: 3,
            ..DESIGN
        },
        Cfg {
            name: "chosen, token = u >> max(0, k-1)",
            k_off: 1,
            ..DESIGN
        },
        Cfg {
            name: "d1: s 0-7 x (|d1| >= m) (16 ctx)",
            chosen_map: false,
            subs: 1,
            d1ctx: 4,
            ..DESIGN
        },
        Cfg {
            name: "d1: s 0-7 x (|d1| >= 2m) (16 ctx)",
            chosen_map: false,
            subs: 1,
            d1ctx: 8,
            ..DESIGN
        },
        Cfg {
            name: "d1: s 0-3 x sub x (|d1| >= m) (16 ctx)",
            chosen_map: false,
            s_classes: 4,
            d1ctx: 4,
            ..DESIGN
        },
        Cfg {
            name: "d1: s 0-7 x sub x (|d1| >= m) (32 ctx)",
            chosen_map: false,
            d1ctx: 4,
            ..DESIGN
        },
        Cfg {
            name: "d1: s 0-7 x sub x (|d1| >= 2m) (32 ctx)",
            chosen_map: false,
            d1ctx: 8,
            ..DESIGN
        },
        Cfg {
            name: "pd: s 0-7 x (|pd| >= m/2) (16 ctx)",
            chosen_map: false,
            subs: 1,
            pdctx: 2,
            ..DESIGN
        },
        Cfg {
            name: "pd: s 0-7 x sub x (|pd| >= m/2) (32 ctx)",
            chosen_map: false,
            pdctx: 2,
            ..DESIGN
        },
        Cfg {
            name: "pd: s 0-7 x sub x (|pd| >= m) (32 ctx)",
            chosen_map: false,
            pdctx: 4,
            ..DESIGN
        },
    ];
    let which: Vec<String> = std::env::args().skip(2).collect();
    println!("| variant | train | test | all | swap (fit on test) | 603 interleaved | escapes | raw bits/sample |");
    println!("|---|---|---|---|---|---|---|---|");
    for cfg in &variants {
        if !which.is_empty() && !which.iter().any(|w| cfg.name.contains(w.as_str())) {
            continue;
        }
        let t_even = fit(cfg, &data, even);
        let t_odd = fit(cfg, &data, odd);
        let per_file = |t: &Tab, pick: &dyn Fn(usize) -> bool| {
            let (mut b, mut n) = (0u64, 0u64);
            for (i, d) in data.iter().enumerate() {
                if pick(i) {
                    b += block_bytes(cfg, d.iter().map(|&f| cfg.map(f)), t);
                    n += d.len() as u64;
                }
            }
            ratio(b, n)
        };
        let inter = {
            let items = (0..frames).flat_map(|j| data.iter().map(move |d| cfg.map(d[j])));
            ratio(
                block_bytes(cfg, items, &t_even),
                (frames * data.len()) as u64,
            )
        };
        let (mut esc, mut raw, mut n) = (0u64, 0u64, 0u64);
        for d in &data {
            for &f in d {
                let (c, t, r) = cfg.map(f);
                esc += (c != usize::MAX && t == cfg.tokens as usize - 1) as u64;
                raw += r as u64;
                n += 1;
            }
        }
        println!(
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} % | {:.3} |",
            cfg.name,
            per_file(&t_even, &even),
            per_file(&t_even, &odd),
            per_file(&t_even, &any),
            per_file(&t_odd, &any),
            inter,
            100.0 * esc as f64 / n as f64,
            raw as f64 / n as f64
        );
    }
    // restarts: the 603 as 603 channels, blocks of R frames, the chosen coder and table
    if !which.is_empty() && !which.iter().any(|w| w == "restarts") {
        return Ok(());
    }
    let cfg = &DESIGN;
    let table = fit(cfg, &data, even);
    println!(
        "\n| block start (603 channels, one coder) | one block | R = 4096 | R = 1024 | R = 256 |"
    );
    println!("|---|---|---|---|---|");
    for (name, restart) in [
        ("initial state (coder v2's)", Restart::Initial),
        ("first sample raw, A = N = 0", Restart::RawSeeded(0, 0)),
        ("first sample raw, A = 16, N = 4", Restart::RawSeeded(16, 4)),
        (
            "first sample raw, A = 32, N = 4 (chosen)",
            Restart::RawSeeded(32, 4),
        ),
        ("first sample raw, A = 64, N = 8", Restart::RawSeeded(64, 8)),
    ] {
        let mut row = format!("| {name} |");
        for r in [frames, 4096, 1024, 256] {
            let fronts: Vec<Vec<Front>> = xs
                .iter()
                .map(|x| {
                    x[..frames]
                        .chunks(r)
                        .flat_map(|c| front_end(c, restart))
                        .collect()
                })
                .collect();
            let bytes: u64 = (0..frames)
                .step_by(r)
                .map(|b0| {
                    let items = (b0..(b0 + r).min(frames))
                        .flat_map(|j| fronts.iter().map(move |d| cfg.map(d[j])));
                    block_bytes(cfg, items, &table)
                })
                .sum();
            row += &format!(" {:.4} |", ratio(bytes, (frames * data.len()) as u64));
        }
        println!("{row}");
    }
    Ok(())
}
