//! Design-space exploration for coder v2 ("max"), behind FORMAT.md §7: real range-coder
//! sizes (payload only, one block per file, no container) of predictor / context variants,
//! with ratios on a fixed train/test split of the recordings.
//!
//! `cargo run --release -p neurice-model --example explore_v2 [DIR]`
//!
//! Split: the files sorted by name; even index = train, odd index = test. Only the trained
//! initial probabilities use the train half; every other constant is a hand-picked value.

use std::path::PathBuf;

use neurice_model::lite::{golomb_m, select_s, zigzag_error};
use neurice_model::{grid::to_grid, wav::parse_wav, CodecParams};

const W: u32 = 10;
const Q: u32 = 16;

/// LZMA-style binary range encoder (12-bit probabilities of a zero), counting bytes only.
struct Rc {
    low: u64,
    range: u32,
    cache_size: u64,
    bytes: u64,
}

impl Rc {
    fn new() -> Self {
        Rc {
            low: 0,
            range: u32::MAX,
            cache_size: 1,
            bytes: 0,
        }
    }
    #[inline]
    fn shift_low(&mut self) {
        if (self.low as u32) < 0xFF00_0000 || (self.low >> 32) != 0 {
            self.bytes += self.cache_size;
            self.cache_size = 0;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }
    #[inline]
    fn norm(&mut self) {
        while self.range < 1 << 24 {
            self.range <<= 8;
            self.shift_low();
        }
    }
    #[inline]
    fn bit(&mut self, p: &mut u16, b: u32, sh: u32) {
        let (pp, dual) = (*p & 0xFFF, *p >> 12);
        let _ = dual;
        let bound = (self.range >> 12) * pp as u32;
        if b == 0 {
            self.range = bound;
            *p += (4096 - *p) >> sh;
        } else {
            self.low += bound as u64;
            self.range -= bound;
            *p -= *p >> sh;
        }
        self.norm();
    }
    #[inline]
    fn bit2(&mut self, pa: &mut u16, pb: &mut u16, b: u32, sha: u32, shb: u32) {
        let pp = (*pa as u32 + *pb as u32 + 1) >> 1;
        let bound = (self.range >> 12) * pp;
        if b == 0 {
            self.range = bound;
            *pa += (4096 - *pa) >> sha;
            *pb += (4096 - *pb) >> shb;
        } else {
            self.low += bound as u64;
            self.range -= bound;
            *pa -= *pa >> sha;
            *pb -= *pb >> shb;
        }
        self.norm();
    }
    #[inline]
    fn bypass(&mut self, v: u32, n: u32) {
        if n == 0 {
            return;
        }
        self.range >>= n;
        self.low += v as u64 * self.range as u64;
        self.norm();
    }
    fn finish(&mut self) -> u64 {
        for _ in 0..5 {
            self.shift_low();
        }
        self.bytes - 1 // the first byte is always zero and not sent
    }
}

#[derive(Clone, Copy, Debug)]
struct Cfg {
    name: &'static str,
    taps: usize,
    /// weight fraction bits
    wfrac: u32,
    /// weights clamped to ±wclamp
    wclamp: i32,
    steps: [i32; 4],
    init: [i32; 4],
    /// stored deltas clamped to ±dclamp
    dclamp: i32,
    /// probability update shift
    sh: u32,
    /// 0: v1 Golomb bits (no arithmetic coder); 1: context-coded
    arith: bool,
    /// remainder bins context-coded: 0, 1 (top bin/third), 2 (two levels)
    rem_bins: u32,
    thr_num: u32,
    window: u32,
    /// bias cancellation: EMA shift (0 = off)
    bias: u32,
    /// prefix bins with their own context (the rest share the last)
    jctx: u32,
    /// trained initial probabilities
    trained: bool,
    /// restart all state every this many samples (0 = never)
    block: usize,
    /// context extra split by previous |residual| >= m (prefix bin 0 only)
    prevctx: bool,
    /// fast shift of a second estimator averaged with the slow one (0 = off)
    dual: u32,
    /// split each code index in two by a finer threshold
    sub: bool,
}

const BASE: Cfg = Cfg {
    name: "",
    taps: 0,
    wfrac: 12,
    wclamp: 8191,
    steps: [0; 4],
    init: [0; 4],
    dclamp: 511,
    sh: 7,
    arith: true,
    rem_bins: 1,
    thr_num: 5,
    window: 6,
    bias: 0,
    jctx: 16,
    trained: false,
    block: 0,
    prevctx: false,
    dual: 0,
    sub: false,
};

const NS: usize = 19;
const NCTX: usize = NS * 24 * 2;

fn ctx_prefix(s: u32, j: u32, c: &Cfg, pc: usize) -> usize {
    ((s as usize * 24) + j.min(c.jctx - 1) as usize) * 2 + pc
}
fn ctx_rem(s: u32, level: u32) -> usize {
    (s as usize * 24 + 16 + level as usize) * 2
}

/// Statistics for training: counts of zeros and ones per context.
type Counts = Vec<[u64; 2]>;

/// Codes one file; returns payload bytes (or bits/8 for v1) and adds bin counts.
fn run(c: &Cfg, xs: &[u16], init: &[u16], counts: &mut Counts) -> u64 {
    let p = CodecParams {
        thr_num: c.thr_num,
        window_log2: c.window,
        ..CodecParams::HARDWARE
    };
    let mut rc = Rc::new();
    let mut probs = init.to_vec();
    let mut probs2 = init.to_vec();
    let mut v1bits = 0u64;
    let mut prev = 512i32;
    let mut d = [0i32; 4];
    let mut w = c.init;
    let (mut a, mut n) = (0u32, 0u32);
    let mut bacc = 0i32;
    let mut lastbig = 0usize;
    for (i, &x) in xs.iter().enumerate() {
        if c.block > 0 && i % c.block == 0 && i > 0 {
            v1bits = v1bits.div_ceil(8) * 8;
            let b = rc.finish();
            rc = Rc::new();
            rc.bytes = b + 1;
            probs.copy_from_slice(init);
            probs2.copy_from_slice(init);
            prev = 512;
            d = [0; 4];
            w = c.init;
            a = 0;
            n = 0;
            bacc = 0;
        }
        let x = x as i32;
        let mut acc = 0i32;
        for t in 0..c.taps {
            acc += w[t] * d[t];
        }
        let pd = (acc + (1 << (c.wfrac - 1))) >> c.wfrac;
        let bc = if c.bias > 0 { bacc >> c.bias } else { 0 };
        let pred = (prev + pd + bc).clamp(0, 1023);
        let u = zigzag_error(x as u32, pred as u32, W);
        let s = select_s(a, n, &p);
        let (k, half) = golomb_m(s);
        let m = if half { 3 << (k - 1) } else { 1 << k };
        let q = u / m;
        let r = u - q * m;
        if !c.arith {
            let code = neurice_model::lite::encode_u(u, s, &p);
            v1bits += code.len as u64;
        } else {
            let pc = if c.prevctx {
                lastbig
            } else if c.sub {
                ((n as u64 * m as u64 * 8 * 4) >= (c.thr_num as u64 * a as u64 * 5)) as usize
            } else {
                0
            };
            let qq = q.min(Q);
            for j in 0..qq.min(Q) {
                let ci = ctx_prefix(s, j, c, pc);
                counts[ci][1] += 1;
                if c.dual > 0 {
                    rc.bit2(&mut probs[ci], &mut probs2[ci], 1, c.dual, c.sh)
                } else {
                    rc.bit(&mut probs[ci], 1, c.sh)
                }
            }
            if q < Q {
                let ci = ctx_prefix(s, q, c, pc);
                counts[ci][0] += 1;
                if c.dual > 0 {
                    rc.bit2(&mut probs[ci], &mut probs2[ci], 0, c.dual, c.sh)
                } else {
                    rc.bit(&mut probs[ci], 0, c.sh)
                }
                if k > 0 {
                    let low_bits = k - 1;
                    let top = r >> low_bits; // 0..1 (pow2) or 0..2 (half)
                    if c.rem_bins >= 1 {
                        let b1 = (top != 0) as u32;
                        let ci = ctx_rem(s, 0);
                        counts[ci][b1 as usize] += 1;
                        if c.dual > 0 {
                            rc.bit2(&mut probs[ci], &mut probs2[ci], b1, c.dual, c.sh)
                        } else {
                            rc.bit(&mut probs[ci], b1, c.sh)
                        }
                        if half && b1 == 1 {
                            let b2 = (top == 2) as u32;
                            let ci = ctx_rem(s, 1);
                            counts[ci][b2 as usize] += 1;
                            if c.dual > 0 {
                                rc.bit2(&mut probs[ci], &mut probs2[ci], b2, c.dual, c.sh)
                            } else {
                                rc.bit(&mut probs[ci], b2, c.sh)
                            }
                        }
                        let rest = r & ((1 << low_bits) - 1);
                        if c.rem_bins >= 2 && low_bits >= 1 {
                            let b3 = rest >> (low_bits - 1);
                            let ci = ctx_rem(s, 2 + top.min(2));
                            counts[ci][b3 as usize] += 1;
                            if c.dual > 0 {
                                rc.bit2(&mut probs[ci], &mut probs2[ci], b3, c.dual, c.sh)
                            } else {
                                rc.bit(&mut probs[ci], b3, c.sh)
                            }
                            rc.bypass(rest & ((1 << (low_bits - 1)) - 1), low_bits - 1);
                        } else {
                            rc.bypass(rest, low_bits);
                        }
                    } else if half {
                        // truncated binary as bypass
                        let cut = 1 << (k - 1);
                        if r < cut {
                            rc.bypass(r, k);
                        } else {
                            rc.bypass(r + cut, k + 1);
                        }
                    } else {
                        rc.bypass(r, k);
                    }
                }
            } else {
                rc.bypass(u, W);
            }
            lastbig = (u >= m) as usize;
        }
        // update
        let mut na = a + u;
        let mut nn = n + 1;
        if nn == 1 << c.window {
            na = (na + 1) >> 1;
            nn >>= 1;
        }
        a = na;
        n = nn;
        let d0 = x - prev;
        let err = x - (prev + pd + bc);
        if c.bias > 0 {
            bacc += (x - (prev + pd)) - bc;
            bacc = bacc.clamp(-(1 << (c.bias + 6)), 1 << (c.bias + 6));
        }
        let sg = err.signum();
        for t in 0..c.taps {
            w[t] = (w[t] + c.steps[t] * sg * d[t].signum()).clamp(-c.wclamp, c.wclamp);
        }
        for t in (1..4).rev() {
            d[t] = d[t - 1];
        }
        d[0] = d0.clamp(-c.dclamp, c.dclamp);
        prev = x;
    }
    if c.arith {
        rc.finish()
    } else {
        v1bits.div_ceil(8)
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("NEURICE_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    files.sort();
    let data: Vec<Vec<u16>> = files
        .iter()
        .map(|f| {
            let wav = parse_wav(&std::fs::read(f).unwrap()).unwrap();
            to_grid(&wav.samples).0.iter().map(|&v| v as u16).collect()
        })
        .collect();
    let nsamp: Vec<u64> = data.iter().map(|d| d.len() as u64).collect();
    eprintln!("{} files", data.len());

    let lms2 = Cfg {
        taps: 2,
        steps: [6, 4, 0, 0],
        init: [-700, -400, 0, 0],
        ..BASE
    };
    let lms3 = Cfg {
        taps: 3,
        steps: [6, 4, 3, 0],
        init: [-700, -400, -500, 0],
        ..BASE
    };
    let lms4 = Cfg {
        taps: 4,
        steps: [6, 4, 3, 2],
        init: [-700, -400, -500, -400],
        ..BASE
    };
    let which: Vec<String> = std::env::args().skip(2).collect();
    let mut variants = vec![
        Cfg {
            name: "v1 half-step Golomb (reference)",
            arith: false,
            ..BASE
        },
        Cfg {
            name: "ctx prefix, no rem bin, sh 5",
            rem_bins: 0,
            sh: 5,
            ..BASE
        },
        Cfg {
            name: "ctx prefix, no rem bin, sh 7",
            rem_bins: 0,
            ..BASE
        },
        Cfg {
            name: "ctx prefix + rem bin, sh 7",
            ..BASE
        },
        Cfg {
            name: "ctx prefix + rem bin, sh 8",
            sh: 8,
            ..BASE
        },
        Cfg {
            name: "ctx prefix + 2 rem levels, sh 7",
            rem_bins: 2,
            ..BASE
        },
        Cfg {
            name: "2-tap LMS, sh 7",
            ..lms2
        },
        Cfg {
            name: "3-tap LMS, sh 7",
            ..lms3
        },
        Cfg {
            name: "4-tap LMS, sh 7",
            ..lms4
        },
        Cfg {
            name: "3-tap LMS, 2 rem levels, sh 7",
            rem_bins: 2,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, prevctx",
            rem_bins: 2,
            prevctx: true,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, bias 4",
            rem_bins: 2,
            bias: 4,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, window 5",
            rem_bins: 2,
            window: 5,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, thr 4",
            rem_bins: 2,
            thr_num: 4,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, thr 6",
            rem_bins: 2,
            thr_num: 6,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, trained init",
            rem_bins: 2,
            trained: true,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, blocks of 65536",
            rem_bins: 2,
            block: 65536,
            ..lms3
        },
        Cfg {
            name: "3-tap LMS, 2 rem, blocks of 65536, trained",
            rem_bins: 2,
            block: 65536,
            trained: true,
            ..lms3
        },
        Cfg {
            name: "X: 3-tap sh8 thr4",
            sh: 8,
            thr_num: 4,
            ..lms3
        },
        Cfg {
            name: "X: 3-tap sh8 thr4 w12 d9",
            sh: 8,
            thr_num: 4,
            wclamp: 2047,
            dclamp: 255,
            ..lms3
        },
        Cfg {
            name: "X: 3-tap sh8 thr4 w12 d9 jctx8",
            sh: 8,
            thr_num: 4,
            wclamp: 2047,
            dclamp: 255,
            jctx: 8,
            ..lms3
        },
        Cfg {
            name: "X: 3-tap sh8 thr4 w12 d9 steps 8,6,4",
            sh: 8,
            thr_num: 4,
            wclamp: 2047,
            dclamp: 255,
            steps: [8, 6, 4, 0],
            ..lms3
        },
        Cfg {
            name: "X: 3-tap sh8 thr4 w12 d9 steps 4,3,2",
            sh: 8,
            thr_num: 4,
            wclamp: 2047,
            dclamp: 255,
            steps: [4, 3, 2, 0],
            ..lms3
        },
        Cfg {
            name: "X: 4-tap sh8 thr4 wf10 w9 d7",
            sh: 8,
            thr_num: 4,
            wfrac: 10,
            wclamp: 255,
            dclamp: 63,
            steps: [2, 1, 1, 1],
            init: [-175, -100, -125, -100],
            ..lms4
        },
        Cfg {
            name: "X: 4-tap sh8 thr4 w12 d9 (over budget)",
            sh: 8,
            thr_num: 4,
            wclamp: 2047,
            dclamp: 255,
            ..lms4
        },
        Cfg {
            name: "X: 4-tap sh8 thr4 wf11 w10 d7",
            sh: 8,
            thr_num: 4,
            wfrac: 11,
            wclamp: 511,
            dclamp: 63,
            steps: [3, 2, 2, 1],
            init: [-350, -200, -250, -200],
            ..lms4
        },
        Cfg {
            name: "Y: 4-tap base",
            sh: 8,
            thr_num: 4,
            wfrac: 10,
            wclamp: 255,
            dclamp: 63,
            steps: [2, 1, 1, 1],
            init: [-175, -100, -125, -100],
            jctx: 8,
            ..lms4
        },
        Cfg {
            name: "Y: 4-tap sub",
            sub: true,
            sh: 8,
            thr_num: 4,
            wfrac: 10,
            wclamp: 255,
            dclamp: 63,
            steps: [2, 1, 1, 1],
            init: [-175, -100, -125, -100],
            jctx: 8,
            ..lms4
        },
        Cfg {
            name: "Y: 4-tap dual 5/8",
            dual: 5,
            sh: 8,
            thr_num: 4,
            wfrac: 10,
            wclamp: 255,
            dclamp: 63,
            steps: [2, 1, 1, 1],
            init: [-175, -100, -125, -100],
            jctx: 8,
            ..lms4
        },
        Cfg {
            name: "Y: 4-tap dual 4/7",
            dual: 4,
            sh: 7,
            thr_num: 4,
            wfrac: 10,
            wclamp: 255,
            dclamp: 63,
            steps: [2, 1, 1, 1],
            init: [-175, -100, -125, -100],
            jctx: 8,
            ..lms4
        },
        Cfg {
            name: "Y: 4-tap thr3",
            sh: 8,
            thr_num: 3,
            wfrac: 10,
            wclamp: 255,
            dclamp: 63,
            steps: [2, 1, 1, 1],
            init: [-175, -100, -125, -100],
            jctx: 8,
            ..lms4
        },
        Cfg {
            name: "Y: 4-tap sh9",
            sh: 9,
            thr_num: 4,
            wfrac: 10,
            wclamp: 255,
            dclamp: 63,
            steps: [2, 1, 1, 1],
            init: [-175, -100, -125, -100],
            jctx: 8,
            ..lms4
        },
    ];
    if !which.is_empty() {
        variants.retain(|v| which.iter().any(|w| v.name.contains(w.as_str())));
    }
    // trained initial probabilities from the base variant on the train half
    let train_init = |c: &Cfg| -> Vec<u16> {
        let mut counts: Counts = vec![[0, 0]; NCTX];
        let flat = vec![2048u16; NCTX];
        let c0 = Cfg {
            trained: false,
            block: 0,
            ..*c
        };
        for (i, xs) in data.iter().enumerate() {
            if i % 2 == 0 {
                // only the first 4096 samples of each file: what a restart has to learn
                run(&c0, &xs[..xs.len().min(4096)], &flat, &mut counts);
            }
        }
        counts
            .iter()
            .map(|[z, o]| {
                let p = ((z + 1) * 4096 / (z + o + 2)) as u16;
                // quantised to 4 bits of precision (a 16-entry table of levels)
                p.clamp(64, 4032)
            })
            .collect()
    };
    if which.iter().any(|w| w == "lib") {
        library_rows(&data);
        return;
    }
    println!("| variant | train | test | all | bits/sample |");
    println!("|---|---|---|---|---|");
    for c in &variants {
        let init = if c.trained {
            train_init(c)
        } else {
            vec![2048u16; NCTX]
        };
        let sizes: Vec<u64> = std::thread::scope(|sc| {
            let h: Vec<_> = (0..2)
                .map(|t| {
                    let data = &data;
                    let init = &init;
                    sc.spawn(move || {
                        let mut counts: Counts = vec![[0, 0]; NCTX];
                        (0..data.len())
                            .filter(|i| i % 2 == t)
                            .map(|i| (i, run(c, &data[i], init, &mut counts)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut v = vec![0; data.len()];
            for hh in h {
                for (i, b) in hh.join().unwrap() {
                    v[i] = b;
                }
            }
            v
        });
        let ratio = |f: &dyn Fn(usize) -> bool| {
            let (b, s): (u64, u64) = (0..data.len())
                .filter(|&i| f(i))
                .map(|i| (sizes[i], nsamp[i]))
                .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
            (2.0 * s as f64 / b as f64, 8.0 * b as f64 / s as f64)
        };
        let (tr, _) = ratio(&|i| i % 2 == 0);
        let (te, _) = ratio(&|i| i % 2 == 1);
        let (al, bps) = ratio(&|_| true);
        println!(
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} |",
            c.name, tr, te, al, bps
        );
    }
}

trait WithThr {
    fn with_thr(self, c: u32) -> Self;
}
impl WithThr for CodecParams {
    fn with_thr(self, c: u32) -> Self {
        CodecParams { thr_num: c, ..self }
    }
}

/// Rows measured with the library's own coder (`v2::encode_all`, block bytes only).
fn library_rows(data: &[Vec<u16>]) {
    use neurice_model::v2::{encode_all, V2Params};
    let hw = V2Params::HARDWARE;
    // bins per sample, escapes
    {
        let (mut bins, mut esc, mut n) = (0u64, 0u64, 0u64);
        for d in data {
            let xs: Vec<u32> = d.iter().map(|&v| v as u32).collect();
            let (_, st) = encode_all(&hw, 1, &xs).unwrap();
            bins += st.bins;
            esc += st.escapes;
            n += xs.len() as u64;
        }
        println!(
            "HARDWARE: {:.3} context-coded bins per sample, {:.5} % escapes",
            bins as f64 / n as f64,
            100.0 * esc as f64 / n as f64
        );
    }
    // the hardware's view: all files as interleaved channels of one stream (shortest length)
    {
        let len = data.iter().map(|d| d.len()).min().unwrap();
        let ch = data.len();
        let mut xs = vec![0u32; len * ch];
        for (c, d) in data.iter().enumerate() {
            for t in 0..len {
                xs[t * ch + c] = d[t] as u32;
            }
        }
        println!(
            "| {ch} interleaved channels, {len} frames | ratio (block bytes + 12 per block) |"
        );
        println!("|---|---|");
        let v1 = neurice_model::lite::encode_all(&hw.golomb.with_thr(5), ch, &xs)
            .unwrap()
            .1;
        println!("| v1 | {:.4} |", 16.0 * xs.len() as f64 / v1 as f64);
        for bf in [0u32, 64, 256, 1024, 4096] {
            let (blocks, _) = encode_all(
                &V2Params {
                    block_frames: bf,
                    ..hw
                },
                ch,
                &xs,
            )
            .unwrap();
            let b: u64 = blocks.iter().map(|b| b.bytes.len() as u64 + 12).sum();
            println!(
                "| v2, block_frames {bf} | {:.4} |",
                2.0 * xs.len() as f64 / b as f64
            );
        }
    }
    let mut rows: Vec<(String, V2Params)> = vec![("HARDWARE (chosen)".into(), hw)];
    for bf in [1024u32, 4096, 16384, 65536] {
        rows.push((
            format!("HARDWARE, blocks of {bf} frames"),
            V2Params {
                block_frames: bf,
                ..hw
            },
        ));
    }
    for taps in 0..4u32 {
        let mut p = hw;
        p.taps = taps;
        for t in taps as usize..8 {
            p.steps[t] = 0;
            p.init_weights[t] = 0;
        }
        rows.push((format!("{taps} taps"), p));
    }
    rows.push((
        "8 taps, weights 14 bits (2^-12), deltas 9 bits (UP5K)".into(),
        V2Params {
            taps: 8,
            weight_frac: 12,
            weight_bits: 14,
            delta_bits: 9,
            steps: [6, 4, 3, 2, 2, 1, 1, 1],
            init_weights: [-700, -400, -500, -400, -400, -100, -250, -50],
            ..hw
        },
    ));
    rows.push((
        "4 taps, weights 14 bits (2^-12), deltas 9 bits".into(),
        V2Params {
            weight_frac: 12,
            weight_bits: 14,
            delta_bits: 9,
            steps: [6, 4, 3, 2, 0, 0, 0, 0],
            init_weights: [-700, -400, -500, -400, 0, 0, 0, 0],
            ..hw
        },
    ));
    rows.push((
        "prob_shift 7".into(),
        V2Params {
            prob_shift: 7,
            ..hw
        },
    ));
    rows.push((
        "prefix_contexts 16".into(),
        V2Params {
            prefix_contexts: 16,
            ..hw
        },
    ));
    println!("| parameters | train | test | all | state bits | shared bits |");
    println!("|---|---|---|---|---|---|");
    for (name, p) in rows {
        let sizes: Vec<(u64, u64)> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..2)
                .map(|t| {
                    sc.spawn(move || {
                        (0..data.len())
                            .filter(|i| i % 2 == t)
                            .map(|i| {
                                let xs: Vec<u32> = data[i].iter().map(|&v| v as u32).collect();
                                let (blocks, _) = encode_all(&p, 1, &xs).unwrap();
                                let b: u64 = blocks.iter().map(|b| b.bytes.len() as u64 + 12).sum();
                                (b, xs.len() as u64)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let r: Vec<Vec<(u64, u64)>> = hs.into_iter().map(|h| h.join().unwrap()).collect();
            let mut v = vec![(0, 0); data.len()];
            for (t, rr) in r.into_iter().enumerate() {
                for (j, x) in rr.into_iter().enumerate() {
                    v[t + 2 * j] = x;
                }
            }
            v
        });
        let ratio = |f: &dyn Fn(usize) -> bool| {
            let (b, s) = (0..data.len())
                .filter(|&i| f(i))
                .fold((0, 0), |(a, b), i| (a + sizes[i].0, b + sizes[i].1));
            2.0 * s as f64 / b as f64
        };
        println!(
            "| {name} | {:.4} | {:.4} | {:.4} | {} | {} |",
            ratio(&|i| i % 2 == 0),
            ratio(&|i| i % 2 == 1),
            ratio(&|_| true),
            p.state_bits(),
            p.shared_bits()
        );
    }
}
