//! The coder-max encoder core (`neurice_hdl::max::MaxCore`) against the golden model's
//! `max::encode_block`, substream for substream and block for block, in rust-hdl's simulator
//! driven directly (a small core, 8 channels of state, except where 1024 are asked): the
//! known-answer vectors, random and adversarial signals (every sample escaping) on 1 to 8
//! channels with input gaps and output backpressure, blocks in a row (each ends with a flush,
//! after which the core restarts by itself), `clear` mid-stream, heavy backpressure, and the
//! throughput of the module documentation (one sample per clock from 4 channels on; the
//! same-channel rule below that). The words of both substreams are tagged (`out_stream`); the
//! last word of each substream carries `out_last` and its valid bytes (`out_bytes`).

mod common;

use common::{recordings, run_harness, signal, verilated_block, verilator_or_skip};
use neurice_hdl::max::{max_verilog, MaxCore};
use neurice_model::max::{encode_block, Block as ModelBlock, MaxParams, Table};
use neurice_testkit::vectors::{load_max, max_specs};
use neurice_testkit::XorShift64;
use rust_hdl::prelude::*;

const P: MaxParams = MaxParams::HARDWARE;

/// How a segment of the input ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// `flush` until `idle`: the segment is one block (none when it has no samples).
    Flush,
    /// `clear` (after the segment's samples were taken) until `idle`: no block.
    Clear,
}

#[derive(Clone, Debug)]
struct Seg {
    samples: Vec<u32>,
    end: End,
}

/// A block as the core gave it: the two substreams' bytes (last words cut to `out_bytes`).
type Subs = (Vec<u8>, Vec<u8>);

/// What a run gave.
#[derive(Debug, Default)]
struct Outcome {
    blocks: Vec<Subs>,
    clocks: u64,
    /// Clocks with `in_valid` high and `in_ready` low.
    stalls: u64,
    /// Clocks each segment's end (flush or clear) took, until `idle`.
    end_clocks: Vec<u64>,
    /// The most words the output queue held at once.
    max_queue: usize,
    /// Clocks in which the expander sent the rest of a long release.
    expanding: u64,
    /// Samples taken.
    taken: u64,
    /// Edges with the state RAMs read, written, and the table read (`MaxCore::accesses`).
    state_reads: u64,
    state_writes: u64,
    /// 16-bit halves (block RAMs) the state writes wrote (`MemAccesses::state_halves`).
    state_halves: u64,
    table_reads: u64,
    /// Edges at which the back end (s6 … s10's intake) advanced (`MaxCore::back_end_moves`).
    back_moves: u64,
    /// Of those, edges while no segment end was signalled (flush, clear low).
    back_moves_running: u64,
}

/// Collects tagged words into the substreams of blocks.
#[derive(Default)]
struct Words {
    current: [Vec<u8>; 2],
    done: [Vec<Vec<u8>>; 2],
}

impl Words {
    fn take(&mut self, word: u32, stream: bool, last: bool, bytes: u32) {
        let s = stream as usize;
        let b = word.to_be_bytes();
        if last {
            assert!(
                (1..=4).contains(&bytes),
                "out_bytes {bytes} on the last word"
            );
            self.current[s].extend_from_slice(&b[..bytes as usize]);
            assert!(
                b[bytes as usize..].iter().all(|&x| x == 0),
                "padding {word:#010x}"
            );
            let sub = std::mem::take(&mut self.current[s]);
            self.done[s].push(sub);
        } else {
            assert_eq!(bytes, 4, "out_bytes on a word that is not the last");
            self.current[s].extend_from_slice(&b);
        }
    }

    fn blocks(self) -> Vec<Subs> {
        let [t, r] = self.done;
        assert_eq!(t.len(), r.len(), "as many token as raw substreams");
        t.into_iter().zip(r).collect()
    }
}

const CAP: u64 = 1 << 20;

/// The core (`2^C` channels of state) in rust-hdl's simulator, driven directly (inputs set
/// with the clock low): the segments one after the other, sample `i` of a segment on channel
/// `i mod channels`, an input gap in about `gap` / 1000 of the clocks and `out_ready` low in
/// about `bp` / 1000.
fn run_rusthdl<const C: usize>(
    segs: &[Seg],
    channels: usize,
    gap: u64,
    bp: u64,
    seed: u64,
) -> Outcome {
    assert!(channels <= 1 << C);
    let mut uut = Box::new(MaxCore::<C>::new(&P, Table::builtin()).unwrap());
    uut.connect_all();
    check_all(uut.as_ref()).unwrap();
    let u = uut.as_mut();
    let mut rng = XorShift64::new(seed);
    let mut words = Words::default();
    let mut out = Outcome::default();
    let trace = std::env::var("MAXCORE_TRACE").is_ok();
    let cycle = |u: &mut MaxCore<C>,
                 rng: &mut XorShift64,
                 words: &mut Words,
                 out: &mut Outcome,
                 offer: Option<(usize, u32)>,
                 flush: bool,
                 clear: bool|
     -> (bool, bool) {
        let ready = rng.next_u64() % 1000 >= bp;
        u.clock.next = Clock::from(false);
        u.in_valid.next = offer.is_some();
        let (ch, x) = offer.unwrap_or((0, 0));
        u.in_channel.next = (ch as u64).into();
        u.in_sample.next = (x as u64).into();
        u.out_ready.next = ready;
        u.flush.next = flush;
        u.clear.next = clear;
        assert!(simulate(u, 200));
        let taken = offer.is_some() && u.in_ready.val();
        if offer.is_some() && !taken {
            out.stalls += 1;
        }
        let idle = u.idle.val() && !u.out_valid.val();
        if u.out_valid.val() && ready {
            words.take(
                u.out_word.val().to_u32(),
                u.out_stream.val(),
                u.out_last.val(),
                u.out_bytes.val().to_u32(),
            );
        }
        if trace {
            eprintln!("{}", u.debug_state());
        }
        out.max_queue = out.max_queue.max(u.queue_fill());
        out.expanding += u.expanding() as u64;
        let acc = u.accesses();
        out.state_reads += acc.state_read as u64;
        out.state_writes += acc.state_write as u64;
        out.state_halves += acc.state_halves as u64;
        out.table_reads += acc.table_read as u64;
        out.back_moves += u.back_end_moves() as u64;
        out.back_moves_running += (u.back_end_moves() && !flush && !clear) as u64;
        out.taken += taken as u64;
        out.clocks += 1;
        u.clock.next = Clock::from(true);
        assert!(simulate(u, 200));
        (taken, idle)
    };
    for seg in segs {
        let mut next = 0;
        let mut quiet = 0;
        while next < seg.samples.len() {
            let offer =
                (rng.next_u64() % 1000 >= gap).then(|| (next % channels, seg.samples[next]));
            let (taken, _) = cycle(u, &mut rng, &mut words, &mut out, offer, false, false);
            if taken {
                next += 1;
                quiet = 0;
            } else {
                quiet += 1;
                assert!(quiet < CAP, "no progress: {}", u.debug_state());
            }
        }
        let mut n = 0u64;
        let blocks_before = words.done[0].len();
        loop {
            let (flush, clear) = (seg.end == End::Flush, seg.end == End::Clear);
            // the check of idle happens with the end signal already high, before the edge
            u.clock.next = Clock::from(false);
            u.flush.next = flush;
            u.clear.next = clear;
            u.in_valid.next = false;
            assert!(simulate(u, 200));
            if u.idle.val() && !u.out_valid.val() && (n > 0 || flush) {
                break;
            }
            let _ = cycle(u, &mut rng, &mut words, &mut out, None, flush, clear);
            n += 1;
            assert!(n < CAP, "the end did not reach idle: {}", u.debug_state());
        }
        if seg.end == End::Flush {
            // flush held high after idle does nothing more
            for _ in 0..8 {
                let before = words.done[0].len() + words.done[1].len();
                let (_, idle) = cycle(u, &mut rng, &mut words, &mut out, None, true, false);
                assert!(idle, "idle fell with flush held: {}", u.debug_state());
                assert_eq!(before, words.done[0].len() + words.done[1].len());
            }
        }
        if seg.end == End::Clear {
            // whatever of the aborted block came out is not a block
            assert_eq!(
                words.done[0].len(),
                blocks_before,
                "a block from a cleared segment"
            );
            assert_eq!(
                words.done[1].len(),
                blocks_before,
                "a block from a cleared segment"
            );
            words.current = Default::default();
        }
        out.end_clocks.push(n);
        // a few clocks with nothing: nothing may come out
        for _ in 0..4 {
            let _ = cycle(u, &mut rng, &mut words, &mut out, None, false, false);
        }
        assert!(
            words.current.iter().all(Vec::is_empty),
            "bytes after the block's last words"
        );
    }
    out.blocks = words.blocks();
    out
}

fn model_block(channels: usize, samples: &[u32]) -> ModelBlock {
    encode_block(
        &P,
        Table::builtin(),
        channels,
        samples,
        &mut Default::default(),
    )
    .unwrap()
}

/// The expected blocks of the segments.
fn model_blocks(segs: &[Seg], channels: usize) -> Vec<Subs> {
    segs.iter()
        .filter(|s| s.end == End::Flush && !s.samples.is_empty())
        .map(|s| {
            let b = model_block(channels, &s.samples);
            (b.tokens, b.raw)
        })
        .collect()
}

fn assert_blocks(got: &[Subs], want: &[Subs], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: block count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        common::assert_same(&g.0, &w.0, &format!("{what}, block {i}, token substream"));
        common::assert_same(&g.1, &w.1, &format!("{what}, block {i}, raw substream"));
    }
}

/// The frozen vectors of the model (FORMAT.md §10; grid mode: the core codes 10-bit samples),
/// each block of a vector ended by a flush: the core's substreams equal the vector's.
#[test]
fn rusthdl_known_answer_vectors() {
    for spec in max_specs() {
        let v = load_max(spec);
        if v.raw16 {
            continue;
        }
        assert_eq!(v.table_crc, Table::builtin().crc());
        let per = v.blocks[0].0 as usize * v.channels;
        let segs: Vec<Seg> = v
            .samples
            .chunks(per)
            .map(|c| Seg {
                samples: c.to_vec(),
                end: End::Flush,
            })
            .collect();
        let want: Vec<Subs> = v
            .blocks
            .iter()
            .map(|(_, t, r)| (t.clone(), r.clone()))
            .collect();
        let got = run_rusthdl::<3>(&segs, v.channels, 0, 0, 1);
        assert_blocks(&got.blocks, &want, v.spec.name);
        let got = run_rusthdl::<3>(&segs, v.channels, 400, 400, 2);
        assert_blocks(
            &got.blocks,
            &want,
            &format!("{}, gaps and backpressure", v.spec.name),
        );
    }
}

/// Random walks, full-scale noise, alternating extremes (every sample escapes) and their mix
/// on 1, 2, 3, 4 and 7 channels, with 20 % input gaps and 30 % backpressure.
#[test]
fn rusthdl_signals_on_1_to_7_channels() {
    for (i, &channels) in [1usize, 2, 3, 4, 7].iter().enumerate() {
        for kind in 0..4u32 {
            let frames = 2400 / channels;
            let samples = signal(kind, channels, frames, 10 * i as u64 + kind as u64);
            let segs = [Seg {
                samples,
                end: End::Flush,
            }];
            let got = run_rusthdl::<3>(&segs, channels, 200, 300, 7 + kind as u64);
            let want = model_blocks(&segs, channels);
            assert_blocks(
                &got.blocks,
                &want,
                &format!("{channels} channels, signal {kind}"),
            );
        }
    }
}

/// Blocks in a row: each equals `encode_block` of its own samples, so the core restarted
/// the coder by itself and the first frame rewrote every channel's state; a flush with no
/// sample gives no block; a `clear` mid-stream drops its block and the next block is clean.
#[test]
fn rusthdl_blocks_in_a_row_and_clear() {
    let channels = 3;
    let segs = vec![
        Seg {
            samples: signal(3, channels, 500, 1),
            end: End::Flush,
        },
        Seg {
            samples: signal(0, channels, 300, 2),
            end: End::Flush,
        },
        Seg {
            samples: vec![],
            end: End::Flush,
        },
        Seg {
            samples: signal(1, channels, 1, 3),
            end: End::Flush,
        },
        Seg {
            samples: signal(1, channels, 333, 4),
            end: End::Clear,
        },
        Seg {
            samples: signal(0, channels, 400, 5),
            end: End::Flush,
        },
    ];
    let want = model_blocks(&segs, channels);
    for (gap, bp, seed) in [(0, 0, 1), (150, 400, 2)] {
        let got = run_rusthdl::<3>(&segs, channels, gap, bp, seed);
        assert_blocks(&got.blocks, &want, &format!("blocks in a row, gaps {gap}"));
        // the empty flush took no clock
        assert_eq!(got.end_clocks[2], 0, "a flush with no sample");
    }
}

/// Heavy backpressure (`out_ready` low in 90 % and 97 % of the clocks) on noise and
/// extremes: the queue fills, the pipeline holds, the blocks stay exact; a `clear` with the
/// queue full drops its block and the next one is clean.
#[test]
fn rusthdl_heavy_backpressure() {
    let channels = 5;
    let segs = vec![
        Seg {
            samples: signal(1, channels, 300, 21),
            end: End::Flush,
        },
        Seg {
            samples: signal(3, channels, 300, 22),
            end: End::Clear,
        },
        Seg {
            samples: signal(2, channels, 300, 23),
            end: End::Flush,
        },
    ];
    let want = model_blocks(&segs, channels);
    for (bp, seed) in [(900, 5), (970, 6)] {
        let got = run_rusthdl::<3>(&segs, channels, 50, bp, seed);
        assert_blocks(&got.blocks, &want, &format!("backpressure {bp}"));
        assert_eq!(
            got.max_queue,
            neurice_hdl::max::blocks::QUEUE,
            "the queue filled"
        );
    }
}

/// Throughput: with 4 or more channels and nothing blocking, every offered sample is taken
/// (no stall) — also when every sample escapes; 1, 2 and 3 channels wait for their channel's
/// state (the same-channel rule): 4, 2 and 4/3 clocks per sample.
#[test]
fn rusthdl_one_sample_per_clock_from_4_channels() {
    for channels in [4usize, 5, 8] {
        for kind in [0, 2] {
            let segs = [Seg {
                samples: signal(kind, channels, 1500 / channels * 2, 99),
                end: End::Flush,
            }];
            let n = segs[0].samples.len() as u64;
            let got = run_rusthdl::<3>(&segs, channels, 0, 0, 3);
            assert_blocks(&got.blocks, &model_blocks(&segs, channels), "throughput");
            assert_eq!(got.stalls, 0, "{channels} channels, signal {kind}: stalls");
            // the clocks of the samples themselves: one each
            let feed = got.clocks - got.end_clocks[0] - 12;
            assert_eq!(feed, n, "{channels} channels: clocks to take {n} samples");
        }
    }
    for (channels, per) in [(1usize, 4.0), (2, 2.0), (3, 4.0 / 3.0)] {
        let segs = [Seg {
            samples: signal(0, channels, 600, 5),
            end: End::Flush,
        }];
        let n = segs[0].samples.len() as f64;
        let got = run_rusthdl::<3>(&segs, channels, 0, 0, 3);
        assert_blocks(&got.blocks, &model_blocks(&segs, channels), "few channels");
        let feed = (got.clocks - got.end_clocks[0] - 12) as f64;
        assert!(
            (feed / n - per).abs() < 0.02,
            "{channels} channels: {feed} clocks for {n} samples, expected {per} per sample"
        );
    }
}

/// Memory accesses per sample (issue 26's power): the state RAMs are read and written once
/// per sample taken and the table once per sample coded (not in a block's first frame), never
/// on a clock without a sample, whatever the gaps and backpressure; with the banked state RAMs
/// (`neurice_hdl::ram::BankedWordRam`, checked in `neurice-hdl`'s tests) that is 6 block-RAM
/// reads, at most 6 writes (only the 16-bit halves a sample's update changes are written)
/// and 2 table reads per sample.
#[test]
fn rusthdl_memory_accesses_per_sample() {
    let channels = 1024;
    let frames = [5usize, 3];
    let segs: Vec<Seg> = frames
        .iter()
        .enumerate()
        .map(|(i, &f)| Seg {
            samples: signal(i as u32, channels, f, 40 + i as u64),
            end: End::Flush,
        })
        .collect();
    let got = run_rusthdl::<10>(&segs, channels, 600, 300, 21);
    assert_blocks(&got.blocks, &model_blocks(&segs, channels), "accesses");
    let n: u64 = segs.iter().map(|s| s.samples.len() as u64).sum();
    let coded = n - (segs.len() * channels) as u64;
    assert_eq!(got.taken, n);
    assert!(got.clocks > 2 * n, "gaps: {} clocks", got.clocks);
    assert_eq!(got.state_reads, n, "state reads for {n} samples");
    assert_eq!(got.state_writes, n, "state writes for {n} samples");
    // the halves an update leaves as they were are not written (bit-exactness is checked
    // by the blocks above)
    eprintln!("{} state halves written for {n} samples", got.state_halves);
    assert!(
        got.state_halves < 6 * n && got.state_halves > 4 * n,
        "{} state halves written for {n} samples",
        got.state_halves
    );
    assert_eq!(
        got.table_reads, coded,
        "table reads for {coded} coded samples"
    );
    // the back end (range recurrence, scale, low) moves once per coded sample while the
    // blocks run (a block's last few samples leave it at the flush), and on no clock without
    // one: its registers and logic hold on the gaps
    let segs_n = segs.len() as u64;
    assert!(
        got.back_moves_running <= coded && got.back_moves_running + 8 * segs_n >= coded,
        "{} back-end moves while running for {coded} coded samples",
        got.back_moves_running
    );
    assert!(
        got.back_moves <= coded + 40 * segs_n,
        "{} back-end moves for {coded} coded samples",
        got.back_moves
    );
    eprintln!(
        "back end moved at {} of {} edges ({} while running)",
        got.back_moves, got.clocks, got.back_moves_running
    );
}

/// A few frames of 1024 channels on the 1024-channel core.
#[test]
fn rusthdl_1024_channels() {
    let channels = 1024;
    let segs = [
        Seg {
            samples: signal(3, channels, 6, 77),
            end: End::Flush,
        },
        Seg {
            samples: signal(0, channels, 3, 78),
            end: End::Flush,
        },
    ];
    let got = run_rusthdl::<10>(&segs, channels, 100, 100, 9);
    assert_blocks(&got.blocks, &model_blocks(&segs, channels), "1024 channels");
}

/// Recordings: 8 × 3000 samples interleaved as 8 channels with gaps and backpressure, and
/// one recording as 1 channel (the same-channel rule on real data).
#[test]
fn rusthdl_recordings() {
    let samples = recordings(8, 3000, 0, "max core on recordings (rust-hdl)");
    let segs = [Seg {
        samples,
        end: End::Flush,
    }];
    let got = run_rusthdl::<3>(&segs, 8, 100, 200, 3);
    assert_blocks(
        &got.blocks,
        &model_blocks(&segs, 8),
        "8 recordings as 8 channels",
    );
    eprintln!(
        "8 recordings as 8 channels: {} clocks, {} of them expanding a long release",
        got.clocks, got.expanding
    );
    let segs = [Seg {
        samples: recordings(1, 4000, 11, "max core on a recording (rust-hdl)"),
        end: End::Flush,
    }];
    let got = run_rusthdl::<3>(&segs, 1, 50, 100, 4);
    assert_blocks(
        &got.blocks,
        &model_blocks(&segs, 1),
        "1 recording as 1 channel",
    );
}

// ---------------------------------------------------------------------------------------
// Verilator
// ---------------------------------------------------------------------------------------

/// Plain port names for the harness.
fn wrapper(c: usize) -> String {
    format!(
        "
module maxcore_wrap(input clock, input in_valid, output in_ready, input [{m}:0] in_channel,
    input [9:0] in_sample, input flush, input clear, output idle, output out_valid,
    input out_ready, output [31:0] out_word, output out_stream, output out_last,
    output [2:0] out_bytes);
  top t(.clock(clock), .in_valid(in_valid), .in_ready(in_ready), .in_channel(in_channel),
    .in_sample(in_sample), .flush(flush), .clear(clear), .idle(idle), .out_valid(out_valid),
    .out_ready(out_ready), .out_word(out_word), .out_stream(out_stream), .out_last(out_last),
    .out_bytes(out_bytes));
endmodule
",
        m = c - 1
    )
}

/// Reads `gap bp seed` and then commands: `s CH X` (a sample, offered until taken), `f`
/// (flush until idle), `c` (clear until idle). Prints `w WORD STREAM LAST BYTES` per word
/// taken, `e CLOCKS` after each flush or clear, `t CLOCKS STALLS` at the end (stalls: clocks
/// with a sample offered and not taken).
const HARNESS: &str = r#"
#include "Vcore.h"
#include <cstdio>
#include <cstdint>
static uint64_t rs;
static uint64_t draw() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
int main() {
  Vcore t;
  unsigned gap, bp; unsigned long long seed;
  if (scanf("%u %u %llu", &gap, &bp, &seed) != 3) return 1;
  rs = seed ? seed : 1;
  uint64_t clocks = 0, stalls = 0;
  t.clock = 0; t.in_valid = 0; t.flush = 0; t.clear = 0; t.out_ready = 0; t.eval();
  auto cycle = [&](bool valid, unsigned ch, unsigned x, bool flush, bool clear) {
    bool ready = draw() % 1000 >= bp;
    t.clock = 0; t.in_valid = valid; t.in_channel = ch; t.in_sample = x;
    t.out_ready = ready; t.flush = flush; t.clear = clear;
    t.eval();
    bool taken = valid && t.in_ready;
    if (valid && !taken) stalls++;
    if (t.out_valid && ready)
      printf("w %u %u %u %u\n", t.out_word, t.out_stream, t.out_last, t.out_bytes);
    t.clock = 1; t.eval();
    clocks++;
    return taken;
  };
  char cmd[4];
  while (scanf("%3s", cmd) == 1) {
    if (cmd[0] == 's') {
      unsigned ch, x;
      if (scanf("%u %u", &ch, &x) != 2) return 1;
      uint64_t quiet = 0;
      for (;;) {
        bool offer = draw() % 1000 >= gap;
        if (cycle(offer, ch, x, false, false)) break;
        if (++quiet > (1u << 20)) { printf("stuck\n"); return 2; }
      }
    } else {
      bool flush = cmd[0] == 'f', clear = cmd[0] == 'c';
      uint64_t n = 0;
      for (;;) {
        t.clock = 0; t.in_valid = 0; t.flush = flush; t.clear = clear; t.eval();
        if (t.idle && !t.out_valid && (n > 0 || flush)) break;
        cycle(false, 0, 0, flush, clear);
        if (++n > (1u << 20)) { printf("stuck\n"); return 2; }
      }
      printf("e %llu\n", (unsigned long long)n);
      for (int i = 0; i < 4; i++) cycle(false, 0, 0, false, false);
    }
  }
  printf("t %llu %llu\n", (unsigned long long)clocks, (unsigned long long)stalls);
  return 0;
}
"#;

/// The core's Verilog for `2^c` channels of state, linted with `-Wall` and built under
/// Verilator with [`HARNESS`]: the model's executable.
fn verilated(c: usize) -> std::path::PathBuf {
    let verilog = max_verilog(&P, Table::builtin(), 1 << c).unwrap();
    let name = format!("max-core-c{c}");
    verilated_block(&verilog, &wrapper(c), "maxcore_wrap", &name, HARNESS)
}

/// The segments on `channels` channels through a Verilated core (`bin`, [`verilated`], with
/// at least `channels` channels of state): the blocks, the clocks and the stalls.
fn run_verilator(
    bin: &std::path::Path,
    segs: &[Seg],
    channels: usize,
    gap: u64,
    bp: u64,
    seed: u64,
) -> Outcome {
    let mut input = format!("{gap} {bp} {seed}\n");
    for seg in segs {
        for (i, x) in seg.samples.iter().enumerate() {
            input.push_str(&format!("s {} {x}\n", i % channels));
        }
        input.push_str(if seg.end == End::Flush { "f\n" } else { "c\n" });
    }
    let mut words = Words::default();
    let mut out = Outcome::default();
    let mut blocks_before = 0;
    let mut seg_i = 0;
    for line in run_harness(bin, input).lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "w" => words.take(
                f[1].parse().unwrap(),
                f[2] == "1",
                f[3] == "1",
                f[4].parse().unwrap(),
            ),
            "e" => {
                out.end_clocks.push(f[1].parse().unwrap());
                if segs[seg_i].end == End::Clear {
                    assert_eq!(words.done[0].len(), blocks_before, "block from a clear");
                    assert_eq!(words.done[1].len(), blocks_before, "block from a clear");
                    words.current = Default::default();
                }
                assert!(
                    words.current.iter().all(Vec::is_empty),
                    "bytes after the block's last words"
                );
                blocks_before = words.done[0].len();
                seg_i += 1;
            }
            "t" => {
                out.clocks = f[1].parse().unwrap();
                out.stalls = f[2].parse().unwrap();
            }
            _ => panic!("harness: {line}"),
        }
    }
    out.blocks = words.blocks();
    out
}

/// The Verilog against the model: the known-answer vectors; one channel (a recording,
/// extremes, an empty flush, a clear, noise) with gaps and backpressure; 8 recordings as 8
/// channels and adversarial signals; 3 and 7 channels of mixed signals without gaps.
#[test]
fn verilog_gives_the_models_blocks() {
    if !verilator_or_skip("max core: verilog_gives_the_models_blocks") {
        return;
    }
    // one model, 8 channels of state, for every run on 1 to 8 channels
    let bin = verilated(3);
    for spec in max_specs() {
        let v = load_max(spec);
        if v.raw16 {
            continue;
        }
        let per = v.blocks[0].0 as usize * v.channels;
        let segs: Vec<Seg> = v
            .samples
            .chunks(per)
            .map(|c| Seg {
                samples: c.to_vec(),
                end: End::Flush,
            })
            .collect();
        let want: Vec<Subs> = v
            .blocks
            .iter()
            .map(|(_, t, r)| (t.clone(), r.clone()))
            .collect();
        assert!(v.channels <= 8, "{}: {} channels", v.spec.name, v.channels);
        let got = run_verilator(&bin, &segs, v.channels, 300, 300, 1);
        assert_blocks(&got.blocks, &want, &format!("Verilator, {}", v.spec.name));
    }

    let segs = vec![
        Seg {
            samples: recordings(1, 20_000, 5, "max core Verilog, 1 channel"),
            end: End::Flush,
        },
        Seg {
            samples: signal(2, 1, 3000, 1),
            end: End::Flush,
        },
        Seg {
            samples: vec![],
            end: End::Flush,
        },
        Seg {
            samples: signal(1, 1, 999, 2),
            end: End::Clear,
        },
        Seg {
            samples: signal(1, 1, 5000, 3),
            end: End::Flush,
        },
    ];
    let got = run_verilator(&bin, &segs, 1, 100, 300, 9);
    assert_blocks(&got.blocks, &model_blocks(&segs, 1), "Verilator, 1 channel");

    let mut segs = vec![Seg {
        samples: recordings(8, 20_000, 0, "max core Verilog, 8 channels"),
        end: End::Flush,
    }];
    for kind in 1..4 {
        segs.push(Seg {
            samples: signal(kind, 8, 1500, kind as u64),
            end: End::Flush,
        });
    }
    let got = run_verilator(&bin, &segs, 8, 200, 300, 10);
    assert_blocks(
        &got.blocks,
        &model_blocks(&segs, 8),
        "Verilator, 8 channels",
    );

    for channels in [3usize, 7] {
        let segs = vec![Seg {
            samples: signal(3, channels, 2000, channels as u64),
            end: End::Flush,
        }];
        let got = run_verilator(&bin, &segs, channels, 0, 0, 11);
        assert_blocks(
            &got.blocks,
            &model_blocks(&segs, channels),
            &format!("Verilator, {channels} channels"),
        );
    }
}

/// The 1024-channel core's Verilog on recordings as 1024 channels (the 603, then 421 of them
/// again, to fill 1024 channels; 100 frames), with gaps
/// and backpressure, then a block of mixed signals; and without gaps or backpressure the
/// same input is taken at one sample per clock (no stall).
#[test]
fn verilog_1024_channels_on_recordings() {
    if !verilator_or_skip("max core: verilog_1024_channels_on_recordings") {
        return;
    }
    let channels = 1024;
    let frames = 100;
    let test = "max core Verilog, 1024 channels";
    let first = recordings(603, frames, 0, test);
    let files = first.len() / frames;
    let second = recordings(channels - files, frames, 150, test);
    let rest = channels - files;
    let mut samples = Vec::with_capacity(channels * frames);
    for f in 0..frames {
        samples.extend_from_slice(&first[f * files..(f + 1) * files]);
        samples.extend_from_slice(&second[f * rest..(f + 1) * rest]);
    }
    let segs = vec![
        Seg {
            samples,
            end: End::Flush,
        },
        Seg {
            samples: signal(3, channels, 8, 22),
            end: End::Flush,
        },
    ];
    let want = model_blocks(&segs, channels);
    let bin = verilated(10);
    let got = run_verilator(&bin, &segs, channels, 100, 200, 12);
    assert_blocks(&got.blocks, &want, "Verilator, 1024 channels");
    let quiet = run_verilator(&bin, &segs, channels, 0, 0, 1);
    assert_blocks(&quiet.blocks, &want, "Verilator, 1024 channels, no gaps");
    assert_eq!(
        quiet.stalls, 0,
        "1024 channels: stalls without backpressure"
    );
}
