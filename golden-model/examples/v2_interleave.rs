//! Can K independent coder-v2 range coders share one output stream through a small buffer?
//! The measurement behind the multi-coder draft (FORMAT.md §7.8 and §7.10,
//! `neurice_model::v2::multi`).
//!
//! `cargo run --release -p neurice-model --example v2_interleave [DIR]`
//!
//! Channel `c` goes to coder `c mod K`, each with its own contexts and range coder. The
//! coders' bytes are cut into 32-bit words sent in the order a decoder of all K coders asks
//! for them (word `n` of coder `j` once its decoder needs byte `4n`: a range decoder has read
//! `shifts + 4` bytes). The encoder reserves each word's slot in that order and fills it when
//! the word's four bytes are final; the reserved-but-unsent words are its buffer. Columns:
//! - **§7.5 coder**, free buffer: a byte is final only once its carry is resolved (which a
//!   decoder cannot see, so no bound on the buffer could be part of a format);
//! - **carry-less** coder (`v2::multi::CarrylessEncoder`), free buffer: every byte final at
//!   its shift;
//! - **`v2::multi`**: the carry-less coder with the 64-word bound (forced flushes), decoded
//!   back with `v2::multi::decode_block` and compared.
//!
//! ratio = 16 / payload bits per sample (words × 32, no container); `buf max`, `p99.9`:
//! words waiting after each sample; `wait`: samples from a word's reservation to its leaving.

use std::collections::VecDeque;
use std::path::PathBuf;

use neurice_model::{
    grid::to_grid,
    v2::{
        self, multi, multi::CarrylessEncoder, range::adapt, range::RangeEncoder, State, V2Params,
    },
    wav::parse_wav,
};

/// What the free-buffer measurement needs of a range encoder.
trait Enc {
    fn bin(&mut self, p: u16, bit: u32);
    fn bypass(&mut self, v: u32, n: u32);
    /// byte shifts so far: a decoder has read `shifts() + 4` bytes
    fn shifts(&self) -> u64;
    /// bytes final so far
    fn stored(&self) -> u64;
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
}

impl Enc for CarrylessEncoder {
    fn bin(&mut self, p: u16, bit: u32) {
        CarrylessEncoder::bin(self, p, bit)
    }
    fn bypass(&mut self, v: u32, n: u32) {
        CarrylessEncoder::bypass(self, v, n)
    }
    fn shifts(&self) -> u64 {
        CarrylessEncoder::shifts(self)
    }
    fn stored(&self) -> u64 {
        // every shift of the carry-less coder stores its byte
        CarrylessEncoder::shifts(self)
    }
}

/// What one free-buffer run measured.
struct Run {
    words: u64,
    max_buffer: usize,
    p999_buffer: usize,
    /// samples between a word's reservation and its leaving, worst case
    max_wait: u64,
}

/// Runs K coders over `samples` with an unbounded buffer.
fn run<E: Enc>(
    p: &V2Params,
    k: usize,
    channels: usize,
    samples: &[u32],
    new: impl Fn() -> E,
) -> Run {
    let mut coders: Vec<(E, Vec<u16>, u64)> = (0..k)
        .map(|_| (new(), vec![v2::range::PROB_INIT; p.contexts()], 0))
        .collect();
    let mut states = vec![State::initial(p); channels];
    // reserved slots: (coder, word, sample index at reservation)
    let mut queue: VecDeque<(usize, u64, u64)> = VecDeque::new();
    let mut hist = vec![0u64; 1];
    let (mut words, mut max_wait) = (0u64, 0u64);
    let reserve = |c: &mut (E, Vec<u16>, u64), j: usize, i: u64, q: &mut VecDeque<_>| {
        let needed = (c.0.shifts() + 4).div_ceil(4);
        while c.2 < needed {
            q.push_back((j, c.2, i));
            c.2 += 1;
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
            c.0.bin(c.1[ctx], bit);
            c.1[ctx] = adapt(c.1[ctx], bit, p.prob_shift);
        }
        c.0.bypass(b.bypass, b.bypass_len);
        reserve(c, j, i as u64, &mut queue);
        while let Some(&(hj, hn, at)) = queue.front() {
            if coders[hj].0.stored() < 4 * hn + 4 {
                break;
            }
            queue.pop_front();
            words += 1;
            max_wait = max_wait.max(i as u64 - at);
        }
        let occ = queue.len();
        if occ >= hist.len() {
            hist.resize(occ + 1, 0);
        }
        hist[occ] += 1;
    }
    // the block end: every coder finishes; the rest leaves in order
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
    Run {
        words,
        max_buffer: hist.len() - 1,
        p999_buffer: p999,
        max_wait,
    }
}

fn header() {
    println!(
        "{:>6}  {:>16}  {:>30}  {:>24}",
        "coders", "§7.5 coder", "carry-less", "v2::multi (buffer ≤ 64)"
    );
    println!(
        "{:>6}  {:>6} {:>9}  {:>6} {:>9} {:>6} {:>6}  {:>6} {:>9} {:>7}",
        "K", "ratio", "buf max", "ratio", "buf max", "p99.9", "wait", "ratio", "buf max", "forced"
    );
}

fn report(p: &V2Params, channels: usize, samples: &[u32], ks: &[usize]) {
    let ratio = |words: f64| 16.0 * samples.len() as f64 / (words * 32.0);
    for &k in ks {
        let a = run(p, k, channels, samples, RangeEncoder::new);
        let b = run(p, k, channels, samples, CarrylessEncoder::new);
        let mut st = multi::Stats::default();
        let bytes = multi::encode_block(p, k, channels, samples, &mut st).expect("valid input");
        let frames = (samples.len() / channels) as u32;
        let back = multi::decode_block(p, k, channels, frames, &bytes).expect("decodes");
        assert!(back == samples, "v2::multi round trip failed at K = {k}");
        println!(
            "{k:>6}  {:>6.4} {:>9}  {:>6.4} {:>9} {:>6} {:>6}  {:>6.4} {:>9} {:>7}",
            ratio(a.words as f64),
            a.max_buffer,
            ratio(b.words as f64),
            b.max_buffer,
            b.p999_buffer,
            b.max_wait,
            ratio(bytes.len() as f64 / 4.0),
            st.most_waiting,
            st.forced
        );
    }
}

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
        println!("recordings: {c} channels x {frames} frames, one block");
        header();
        report(&p, c, &s, &[1, 2, 4, 8, 16]);
    }
    // hostile: the channels of coder 0 constant (its coder makes bytes slowly), all the
    // others full-scale noise (theirs make them fast)
    let (c, frames) = (64usize, 100_000usize);
    println!(
        "hostile: {c} channels x {frames} frames, coder 0's channels constant, the rest noise"
    );
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
        report(&p, c, &s, &[k]);
    }
    Ok(())
}
