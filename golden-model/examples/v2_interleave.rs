//! Can K independent coder-v2 range coders share one output stream through a small buffer?
//! A measurement for the v2 hardware core (FORMAT.md §7.8), not a format.
//!
//! `cargo run --release -p neurice-model --example v2_interleave [DIR]`
//!
//! The scheme measured ("decoder-demand order"): channel `c` goes to coder `c mod K`, each
//! with its own contexts and range coder (as `v2_parallel`). The coders' bytes are cut into
//! 32-bit words, and the one output stream carries the words in the order a decoder of all K
//! coders will ask for them: at the block start word 0 of coders 0 … K−1, then word `n ≥ 1`
//! of coder `j` when coder `j`'s decoder first needs byte `4n`, i.e. when its byte-shift
//! count reaches `4n − 3` (a range decoder has read `shifts + 4` bytes:
//! `RangeEncoder::shifts`, tested against the decoder). Shift counts depend on the range
//! only, which encoder and decoder share, so the decoder can follow the order without any
//! side information. The encoder reserves a slot for each word when the order says so, and
//! fills it once the coder has stored the word's four bytes (after a few more shifts, and
//! later when pending `0xFF` bytes wait for a carry). The slots leave in order, so the
//! encoder needs a buffer of the reserved-but-not-sent words: this example measures how
//! many, on the recordings and on hostile input.
//!
//! With §7.5's coder a word's bytes become final only when a carry is resolved, which the
//! decoder cannot see, so the buffer has no bound a decoder could enforce. The example
//! therefore also measures a **carry-less** range coder (bytes final at each shift, so the
//! decoder knows the buffer's fill exactly) and that coder with a hard buffer bound of
//! `BOUND` words: when the buffer is full, the coder of the head slot shifts out bytes at
//! once (cutting its range to one byte value) until the head word is final, which the
//! decoder mirrors. Each carry-less coder's bytes are decoded back in the checked runs.
//! Columns: ratio = 16 / payload bits per sample (words × 32, no container); `buf max`,
//! `p99.9`: words reserved but not yet sent, after each sample; `wait`: samples between a
//! word's reservation and its leaving; `forced`: flushes forced by the bound.

use std::collections::VecDeque;
use std::path::PathBuf;

use neurice_model::{
    container::to_grid,
    v2::{self, range::adapt, range::RangeEncoder, State, V2Params},
    wav::parse_wav,
};

/// What the interleaving needs of a range encoder.
trait Enc {
    fn bin(&mut self, p: u16, bit: u32);
    fn bypass(&mut self, v: u32, n: u32);
    /// byte shifts so far: a decoder has read `shifts() + 4` bytes
    fn shifts(&self) -> u64;
    /// bytes final so far
    fn stored(&self) -> u64;
    /// shift bytes out now until `bytes` are final (only a coder whose decoder can follow)
    fn force(&mut self, bytes: u64);
}

impl Enc for RangeEncoder {
    fn bin(&mut self, p: u16, bit: u32) {
        RangeEncoder::bin(self, p, bit)
    }
    fn bypass(&mut self, v: u32, n: u32) {
        RangeEncoder::bypass(self, v, n)
    }
    fn shifts(&self) -> u64 {
        RangeEncoder::shifts(self)
    }
    fn stored(&self) -> u64 {
        self.stored().len() as u64
    }
    fn force(&mut self, _: u64) {
        unreachable!("a decoder cannot follow when the carry coder's bytes become final")
    }
}

const TOP: u32 = 1 << 24;
const BOT: u32 = 1 << 16;

/// A carry-less range coder (after Subbotin): a byte leaves `low` as soon as the interval
/// `[low, low + range)` lies inside one value of it, and when `range` falls below 2^16 it is
/// cut to the next 2^16 boundary so that it does; `low + range ≤ 2^32` always, so no carry
/// ever changes a byte sent. Every shift stores its byte at once, and the decoder, which
/// tracks `low` too, knows when each byte became final.
#[derive(Default)]
struct Carryless {
    low: u32,
    range: u32,
    out: Vec<u8>,
}

impl Carryless {
    fn new() -> Self {
        Carryless {
            low: 0,
            range: u32::MAX,
            out: Vec::new(),
        }
    }
    fn shift(&mut self) {
        self.out.push((self.low >> 24) as u8);
        self.low <<= 8;
        // 2^24 << 8 would wrap: keep the interval below 2^32 (both ends do the same)
        self.range = ((self.range as u64) << 8).min(u32::MAX as u64) as u32;
    }
    fn normalise(&mut self) {
        loop {
            if (self.low ^ (self.low + (self.range - 1))) < TOP {
                self.shift();
            } else if self.range < BOT {
                self.range = BOT - (self.low & (BOT - 1));
            } else {
                break;
            }
        }
    }
    fn finish(mut self) -> Vec<u8> {
        for _ in 0..4 {
            self.out.push((self.low >> 24) as u8);
            self.low <<= 8;
        }
        self.out
    }
}

impl Enc for Carryless {
    fn bin(&mut self, p: u16, bit: u32) {
        let bound = (self.range >> 12) * p as u32;
        if bit == 0 {
            self.range = bound;
        } else {
            self.low += bound;
            self.range -= bound;
        }
        self.normalise();
    }
    fn bypass(&mut self, v: u32, n: u32) {
        if n > 0 {
            self.range >>= n;
            self.low += v * self.range;
            self.normalise();
        }
    }
    fn shifts(&self) -> u64 {
        self.out.len() as u64
    }
    fn stored(&self) -> u64 {
        self.out.len() as u64
    }
    fn force(&mut self, bytes: u64) {
        while (self.out.len() as u64) < bytes {
            // keep the part of the interval below the next 2^24 boundary: one byte settles
            self.range = self.range.min(TOP - (self.low & (TOP - 1)));
            self.shift();
            self.normalise();
        }
    }
}

/// The carry-less decoder, for the round-trip check.
struct CarrylessDecoder<'a> {
    low: u32,
    range: u32,
    code: u32,
    data: &'a [u8],
    pos: usize,
}

impl<'a> CarrylessDecoder<'a> {
    fn new(data: &'a [u8]) -> Self {
        let mut d = CarrylessDecoder {
            low: 0,
            range: u32::MAX,
            code: 0,
            data,
            pos: 0,
        };
        for _ in 0..4 {
            d.code = (d.code << 8) | d.byte();
        }
        d
    }
    fn byte(&mut self) -> u32 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b as u32
    }
    fn shift(&mut self) {
        self.code = (self.code << 8) | self.byte();
        self.low <<= 8;
        // 2^24 << 8 would wrap: keep the interval below 2^32 (both ends do the same)
        self.range = ((self.range as u64) << 8).min(u32::MAX as u64) as u32;
    }
    fn normalise(&mut self) {
        loop {
            if (self.low ^ (self.low + (self.range - 1))) < TOP {
                self.shift();
            } else if self.range < BOT {
                self.range = BOT - (self.low & (BOT - 1));
            } else {
                break;
            }
        }
    }
    fn bin(&mut self, p: u16) -> u32 {
        let bound = (self.range >> 12) * p as u32;
        let bit = (self.code.wrapping_sub(self.low) >= bound) as u32;
        if bit == 0 {
            self.range = bound;
        } else {
            self.low += bound;
            self.range -= bound;
        }
        self.normalise();
        bit
    }
    fn bypass(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        self.range >>= n;
        let v = self.code.wrapping_sub(self.low) / self.range;
        self.low += v * self.range;
        self.normalise();
        v
    }
    fn force(&mut self, bytes: u64) {
        while (self.pos as u64) < bytes + 4 {
            self.range = self.range.min(TOP - (self.low & (TOP - 1)));
            self.shift();
            self.normalise();
        }
    }
}

struct Coder<E> {
    rc: E,
    probs: Vec<u16>,
    /// next word index to reserve
    next: u64,
}

/// What one run measured.
struct Run {
    words: u64,
    max_buffer: usize,
    p999_buffer: usize,
    /// samples between a word's reservation and its leaving, worst case
    max_wait: u64,
    /// forced flushes (only with a buffer bound)
    forced: u64,
}

/// Runs the K coders over `samples`; with `bound`, a full buffer forces the coder of the
/// head slot to shift its word out. Returns the measurement and each coder's bins and
/// forced points (for the round-trip check).
fn run<E: Enc>(
    p: &V2Params,
    k: usize,
    channels: usize,
    samples: &[u32],
    new: impl Fn() -> E,
    bound: Option<usize>,
    record: bool,
) -> (Run, Vec<E>, Vec<Vec<Op>>) {
    let mut coders: Vec<Coder<E>> = (0..k)
        .map(|_| Coder {
            rc: new(),
            probs: vec![v2::range::PROB_INIT; p.contexts()],
            next: 0,
        })
        .collect();
    let mut ops: Vec<Vec<Op>> = vec![Vec::new(); k];
    let mut states = vec![State::initial(p); channels];
    // reserved slots: (coder, word, sample index at reservation)
    let mut queue: VecDeque<(usize, u64, u64)> = VecDeque::new();
    let mut hist = vec![0u64; 1];
    let (mut words, mut max_wait, mut forced) = (0u64, 0u64, 0u64);
    let reserve = |c: &mut Coder<E>, j: usize, i: u64, q: &mut VecDeque<(usize, u64, u64)>| {
        // word n is needed once the decoder has read byte 4n: shifts + 4 > 4n
        let needed = (c.rc.shifts() + 4).div_ceil(4);
        while c.next < needed {
            q.push_back((j, c.next, i));
            c.next += 1;
        }
    };
    for (j, c) in coders.iter_mut().enumerate() {
        reserve(c, j, 0, &mut queue);
    }
    for (i, &x) in samples.iter().enumerate() {
        let ch = i % channels;
        let j = ch % k;
        let c = &mut coders[j];
        let coded = v2::code_sample(&states[ch], x, p);
        states[ch] = coded.next;
        let b = coded.bins;
        for n in 0..b.count as usize {
            let ctx = b.ctx[n] as usize;
            let bit = (b.bits >> n) & 1;
            c.rc.bin(c.probs[ctx], bit);
            c.probs[ctx] = adapt(c.probs[ctx], bit, p.prob_shift);
            if record {
                ops[j].push(Op::Bin(ctx as u16, bit));
            }
        }
        c.rc.bypass(b.bypass, b.bypass_len);
        if record {
            ops[j].push(Op::Bypass(b.bypass, b.bypass_len));
        }
        reserve(c, j, i as u64, &mut queue);
        loop {
            // send every slot at the head whose four bytes are final
            while let Some(&(hj, hn, at)) = queue.front() {
                if coders[hj].rc.stored() < 4 * hn + 4 {
                    break;
                }
                queue.pop_front();
                words += 1;
                max_wait = max_wait.max(i as u64 - at);
            }
            match (bound, queue.front()) {
                (Some(b), Some(&(hj, hn, _))) if queue.len() >= b => {
                    let c = &mut coders[hj];
                    c.rc.force(4 * hn + 4);
                    if record {
                        ops[hj].push(Op::Force(4 * hn + 4));
                    }
                    forced += 1;
                    reserve(c, hj, i as u64, &mut queue);
                }
                _ => break,
            }
        }
        let occ = queue.len();
        if occ >= hist.len() {
            hist.resize(occ + 1, 0);
        }
        hist[occ] += 1;
    }
    // the block end: every coder finishes; the rest leaves in order (the last word of a
    // coder zero-padded)
    words += queue.len() as u64;
    let total: u64 = hist.iter().sum();
    let mut acc = 0;
    let p999 = hist
        .iter()
        .position(|&h| {
            acc += h;
            acc as f64 >= 0.999 * total as f64
        })
        .unwrap_or(0);
    let run = Run {
        words,
        max_buffer: hist.len() - 1,
        p999_buffer: p999,
        max_wait,
        forced,
    };
    (run, coders.into_iter().map(|c| c.rc).collect(), ops)
}

/// One coder operation, for the round-trip check (the decoder keeps its own contexts).
#[derive(Clone, Copy)]
enum Op {
    Bin(u16, u32),
    Bypass(u32, u32),
    Force(u64),
}

/// Decodes each carry-less coder's bytes with its own bins' contexts and forced points and
/// checks every bin and bypass value.
fn check_carryless(p: &V2Params, coders: Vec<Carryless>, ops: &[Vec<Op>]) {
    for (rc, ops) in coders.into_iter().zip(ops) {
        let bytes = rc.finish();
        let mut d = CarrylessDecoder::new(&bytes);
        let mut probs = vec![v2::range::PROB_INIT; p.contexts()];
        for &op in ops {
            match op {
                Op::Bin(ctx, bit) => {
                    let ctx = ctx as usize;
                    assert_eq!(d.bin(probs[ctx]), bit, "carry-less round trip");
                    probs[ctx] = adapt(probs[ctx], bit, p.prob_shift);
                }
                Op::Bypass(v, n) => assert_eq!(d.bypass(n), v, "carry-less round trip"),
                Op::Force(b) => d.force(b),
            }
        }
        assert_eq!(d.pos, bytes.len(), "every byte read");
    }
}

/// The table's head: per K, the carry coder of §7.5 and the carry-less one, free and with a
/// buffer of `BOUND` words.
fn header() {
    println!(
        "{:>6}  {:>16}  {:>30}  {:>30}",
        "coders", "§7.5 coder", "carry-less", "carry-less, buffer ≤ 64"
    );
    println!(
        "{:>6}  {:>6} {:>9}  {:>6} {:>9} {:>6} {:>6}  {:>6} {:>9} {:>6} {:>6}",
        "K",
        "ratio",
        "buf max",
        "ratio",
        "buf max",
        "p99.9",
        "wait",
        "ratio",
        "buf max",
        "forced",
        "wait"
    );
}

fn report(p: &V2Params, channels: usize, samples: &[u32], ks: &[usize], check: bool) {
    let ratio = |r: &Run| 16.0 * samples.len() as f64 / (r.words as f64 * 32.0);
    for &k in ks {
        let (a, _, _) = run(p, k, channels, samples, RangeEncoder::new, None, false);
        let (b, _, _) = run(p, k, channels, samples, Carryless::new, None, false);
        let (c, coders, ops) = run(p, k, channels, samples, Carryless::new, Some(BOUND), check);
        if check {
            check_carryless(p, coders, &ops);
        }
        println!(
            "{k:>6}  {:>6.4} {:>9}  {:>6.4} {:>9} {:>6} {:>6}  {:>6.4} {:>9} {:>6} {:>6}",
            ratio(&a),
            a.max_buffer,
            ratio(&b),
            b.max_buffer,
            b.p999_buffer,
            b.max_wait,
            ratio(&c),
            c.max_buffer,
            c.forced,
            c.max_wait
        );
    }
}

const BOUND: usize = 64;

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    let p = V2Params::HARDWARE;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    files.sort();
    if files.is_empty() {
        eprintln!("no .wav files in {}: recordings skipped", dir.display());
    } else {
        let chans: Vec<Vec<u32>> = files
            .iter()
            .map(|f| Ok(to_grid(&parse_wav(&std::fs::read(f)?)?.samples).0))
            .collect::<Result<_, Box<dyn std::error::Error>>>()?;
        let frames = chans.iter().map(Vec::len).min().unwrap_or(0);
        let c = chans.len();
        let s: Vec<u32> = (0..frames)
            .flat_map(|f| chans.iter().map(move |ch| ch[f]))
            .collect();
        println!("recordings: {c} channels x {frames} frames, one block, ratio = 16 / payload bits per sample");
        header();
        report(&p, c, &s, &[1, 2, 4, 8, 16], false);
        let short = 2000 * c;
        println!(
            "recordings, first 2000 frames (every coder's bytes decoded back: round trip checked)"
        );
        header();
        report(&p, c, &s[..short], &[4, 8], true);
    }
    // hostile: the channels of coder 0 constant (its coder makes bytes slowly), all the
    // others full-scale noise (theirs make them fast)
    let (c, frames) = (64usize, 100_000usize);
    println!("hostile: {c} channels x {frames} frames, coder 0's channels constant, the rest noise (round trip checked)");
    header();
    for k in [2usize, 4, 8, 16] {
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let s: Vec<u32> = (0..c * frames)
            .map(|i| {
                let r = xorshift(&mut seed);
                if (i % c).is_multiple_of(k) {
                    512
                } else {
                    (r >> 20) as u32 & 1023
                }
            })
            .collect();
        report(&p, c, &s, &[k], true);
    }
    Ok(())
}
