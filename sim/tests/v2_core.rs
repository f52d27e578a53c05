//! The coder-v2 encoder core (`neurice_hdl::v2::core::V2Core`) against the golden model's
//! `v2::encode_block`, byte for byte and block for block: in rust-hdl's simulator (a small
//! core, 8 channels of state) with random input gaps and output backpressure, and as emitted
//! Verilog (`v2_verilog`) under Verilator (SKIPPED without Verilator): the known-answer
//! block, random and adversarial signals, 1 to 8 channels, several blocks in a row (each
//! block restarts all adaptive state by itself after its flush), `clear` mid-stream, and the
//! recordings (generated signals when they are absent). Also the throughput formula of the
//! core's documentation.

mod common;

use common::{assert_same, recordings, run_harness, signal, verilated_block, verilator_or_skip};
use neurice_hdl::v2::core::{v2_verilog, V2Core};
use neurice_model::v2::range::RangeEncoder;
use neurice_model::v2::{self, EncodeStats, State, V2Params};
use neurice_testkit::XorShift64;
use rust_hdl::prelude::*;

const P: V2Params = V2Params::HARDWARE;

/// KAT_V2_BLOCK of golden-model/tests/v2.rs.
const KAT_SAMPLES: [u32; 8] = [512, 515, 510, 511, 600, 0, 1023, 1023];
const KAT_BYTES: &str = "7eeb0df61ee40be7266ae2ed5800";

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

fn model_block(channels: usize, samples: &[u32]) -> Vec<u8> {
    v2::encode_block(&P, channels, samples, &mut EncodeStats::default())
}

/// What a run gave: the blocks (bytes, the last word cut to `out_bytes`) and the clocks.
#[derive(Debug, Default)]
struct Outcome {
    blocks: Vec<Vec<u8>>,
    clocks: u64,
    /// Clocks each segment's end (flush or clear) took, until `idle`.
    end_clocks: Vec<u64>,
    /// The most records the core's FIFO held at once.
    max_fifo: usize,
}

/// Collects words into blocks.
#[derive(Default)]
struct Words {
    current: Vec<u8>,
    blocks: Vec<Vec<u8>>,
}

impl Words {
    fn take(&mut self, word: u32, last: bool, bytes: u32) {
        let b = word.to_be_bytes();
        if last {
            assert!(
                (1..=4).contains(&bytes),
                "out_bytes {bytes} on the last word"
            );
            self.current.extend_from_slice(&b[..bytes as usize]);
            // padding is zero
            assert!(
                b[bytes as usize..].iter().all(|&x| x == 0),
                "padding {word:#010x}"
            );
            self.blocks.push(std::mem::take(&mut self.current));
        } else {
            assert_eq!(bytes, 4, "out_bytes on a word that is not the last");
            self.current.extend_from_slice(&b);
        }
    }
}

const CAP: u64 = 1 << 20;

/// The core in rust-hdl's simulator, driven directly (inputs set with the clock low): the
/// segments one after the other, sample `i` of a segment on channel `i mod channels`, an
/// input gap in about `gap` / 1000 of the clocks and `out_ready` low in about `bp` / 1000.
fn run_rusthdl<const C: usize>(
    segs: &[Seg],
    channels: usize,
    gap: u64,
    bp: u64,
    seed: u64,
) -> Outcome {
    assert!(channels <= 1 << C);
    let mut uut = Box::new(V2Core::<C>::new(&P).unwrap());
    uut.connect_all();
    check_all(uut.as_ref()).unwrap();
    let u = uut.as_mut();
    let mut rng = XorShift64::new(seed);
    let mut words = Words::default();
    let mut out = Outcome::default();
    let cycle = |u: &mut V2Core<C>,
                 rng: &mut XorShift64,
                 words: &mut Words,
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
        let idle = u.idle.val() && !u.out_valid.val();
        if u.out_valid.val() && ready {
            words.take(
                u.out_word.val().to_u32(),
                u.out_last.val(),
                u.out_bytes.val().to_u32(),
            );
        }
        if std::env::var("V2CORE_TRACE").is_ok() {
            eprintln!("{}", u.debug_state());
        }
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
            let (taken, _) = cycle(u, &mut rng, &mut words, offer, false, false);
            out.clocks += 1;
            out.max_fifo = out.max_fifo.max(u.record_fifo_fill());
            if taken {
                next += 1;
                quiet = 0;
            } else {
                quiet += 1;
                assert!(quiet < CAP, "no progress: {}", u.debug_state());
            }
        }
        let mut n = 0u64;
        let blocks_before = words.blocks.len();
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
            let _ = cycle(u, &mut rng, &mut words, None, flush, clear);
            out.clocks += 1;
            out.max_fifo = out.max_fifo.max(u.record_fifo_fill());
            n += 1;
            assert!(n < CAP, "the end did not reach idle: {}", u.debug_state());
        }
        if seg.end == End::Flush {
            // flush held high after idle does nothing more
            for _ in 0..8 {
                let before = (words.blocks.len(), words.current.len());
                let (_, idle) = cycle(u, &mut rng, &mut words, None, true, false);
                out.clocks += 1;
                assert!(idle, "idle fell with flush held: {}", u.debug_state());
                assert_eq!(before, (words.blocks.len(), words.current.len()));
            }
        }
        if seg.end == End::Clear {
            // whatever of the aborted block came out is not a block
            assert_eq!(
                words.blocks.len(),
                blocks_before,
                "a block from a cleared segment"
            );
            words.current.clear();
        }
        out.end_clocks.push(n);
        // a few clocks with nothing: nothing may come out
        for _ in 0..4 {
            let _ = cycle(u, &mut rng, &mut words, None, false, false);
            out.clocks += 1;
        }
        assert!(
            words.current.is_empty(),
            "bytes after the block's last word"
        );
    }
    out.blocks = words.blocks;
    out
}

/// The expected blocks of the segments.
fn model_blocks(segs: &[Seg], channels: usize) -> Vec<Vec<u8>> {
    segs.iter()
        .filter(|s| s.end == End::Flush && !s.samples.is_empty())
        .map(|s| model_block(channels, &s.samples))
        .collect()
}

fn assert_blocks(got: &[Vec<u8>], want: &[Vec<u8>], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: block count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_same(g, w, &format!("{what}, block {i}"));
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rusthdl_known_answer_block() {
    let segs = [Seg {
        samples: KAT_SAMPLES.to_vec(),
        end: End::Flush,
    }];
    assert_eq!(model_block(1, &KAT_SAMPLES), hex(KAT_BYTES));
    let got = run_rusthdl::<3>(&segs, 1, 0, 0, 1);
    assert_blocks(&got.blocks, &[hex(KAT_BYTES)], "KAT");
    // and with gaps and backpressure
    let got = run_rusthdl::<3>(&segs, 1, 500, 500, 2);
    assert_blocks(&got.blocks, &[hex(KAT_BYTES)], "KAT, gaps and backpressure");
}

/// Random walks, full-scale noise, alternating extremes and their mix on 1, 2, 3 and 7
/// channels, with 20 % input gaps and 30 % backpressure.
#[test]
fn rusthdl_signals_on_1_2_3_and_7_channels() {
    let mut longest_ff = 0;
    for (i, &channels) in [1usize, 2, 3, 7].iter().enumerate() {
        for kind in 0..4u32 {
            let frames = 2100 / channels;
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
            // runs of 0xFF: released as one record with a fill count
            let mut run = 0;
            for &b in &want[0] {
                run = if b == 0xFF { run + 1 } else { 0 };
                longest_ff = longest_ff.max(run);
            }
        }
    }
    assert!(
        longest_ff >= 2,
        "no pending run was exercised ({longest_ff})"
    );
    eprintln!("longest 0xFF run in these blocks: {longest_ff}");
}

/// Blocks in a row: each equals `encode_block` of its own samples, so the core restarted
/// every piece of state by itself; a flush with no sample gives no block; a `clear`
/// mid-stream drops its block and the next block is clean.
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
            samples: signal(1, channels, 200, 3),
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
/// extremes, many bytes per sample: the record FIFO fills, the credit stops the coder stage
/// (the unit cannot stall), and the blocks stay exact; a `clear` with the FIFO full drops its
/// block and the next one is clean.
#[test]
fn rusthdl_heavy_backpressure_fills_the_record_fifo() {
    let channels = 2;
    let segs = vec![
        Seg {
            samples: signal(1, channels, 600, 21),
            end: End::Flush,
        },
        Seg {
            samples: signal(3, channels, 500, 22),
            end: End::Clear,
        },
        Seg {
            samples: signal(2, channels, 400, 23),
            end: End::Flush,
        },
    ];
    let want = model_blocks(&segs, channels);
    for (bp, seed) in [(900, 5), (970, 6)] {
        let got = run_rusthdl::<3>(&segs, channels, 50, bp, seed);
        assert_blocks(&got.blocks, &want, &format!("backpressure {bp}"));
        eprintln!(
            "backpressure {bp} / 1000: the record FIFO held up to {} records",
            got.max_fifo
        );
        assert!(
            (10..=16).contains(&got.max_fifo),
            "the FIFO held up to {} records",
            got.max_fifo
        );
    }
}

/// Recordings: 3 × 5000 samples interleaved as 3 channels, with gaps and backpressure.
#[test]
fn rusthdl_recordings_as_3_channels() {
    let samples = recordings(3, 5000, 0, "v2 core on recordings (rust-hdl)");
    let segs = [Seg {
        samples,
        end: End::Flush,
    }];
    let got = run_rusthdl::<3>(&segs, 3, 100, 200, 3);
    assert_blocks(&got.blocks, &model_blocks(&segs, 3), "recordings");
}

/// The model's operation counts of a block: range-coder operations, samples with one
/// operation, operations that stored bytes, and the block's bytes.
fn op_counts(channels: usize, samples: &[u32]) -> (u64, u64, u64, u64) {
    let mut states = vec![State::initial(&P); channels];
    let mut probs = vec![v2::range::PROB_INIT; P.contexts()];
    let mut rc = RangeEncoder::new();
    let (mut ops, mut single, mut releasing) = (0u64, 0u64, 0u64);
    for (i, &x) in samples.iter().enumerate() {
        let st = &mut states[i % channels];
        let c = v2::code_sample(st, x, &P);
        *st = c.next;
        let n = c.bins.count as u64 + (c.bins.bypass_len > 0) as u64;
        ops += n;
        single += (n == 1) as u64;
        for j in 0..c.bins.count as usize {
            let ctx = c.bins.ctx[j] as usize;
            let bit = (c.bins.bits >> j) & 1;
            let before = rc.len();
            rc.bin(probs[ctx], bit);
            releasing += (rc.len() > before) as u64;
            probs[ctx] = v2::range::adapt(probs[ctx], bit, P.prob_shift);
        }
        if c.bins.bypass_len > 0 {
            let before = rc.len();
            rc.bypass(c.bins.bypass, c.bins.bypass_len);
            releasing += (rc.len() > before) as u64;
        }
    }
    let bytes = rc.finish().len() as u64;
    (ops, single, releasing, bytes)
}

/// Throughput with no gaps and no backpressure on recordings: the coder stage passes one
/// operation per clock to the pipelined range encoder unit, and its bytes leave through the
/// record FIFO in parallel, so the clocks of the block (its samples, the flush and the restart
/// walk) are at least `ops + 3 + walk` (every operation and the three finish operations take
/// one clock of the coder stage) and at most `ops + 3 + single + walk + 24`, where `single` is
/// the samples with one operation (the front end takes a sample every two clocks) and 24 the
/// pipeline fill, the end (the finish's records through the unit and the FIFO, the bytes still
/// queued, the last word) and the clocks the coder stage waits for FIFO room (measured on
/// these recordings: 18 clocks for all of them).
#[test]
fn rusthdl_throughput_on_recordings() {
    let samples = recordings(3, 5000, 3, "v2 core throughput on recordings (rust-hdl)");
    let segs = [Seg {
        samples: samples.clone(),
        end: End::Flush,
    }];
    let got = run_rusthdl::<3>(&segs, 3, 0, 0, 1);
    assert_blocks(&got.blocks, &model_blocks(&segs, 3), "throughput run");
    let (ops, single, releasing, bytes) = op_counts(3, &samples);
    let walk = 256;
    // the run's clocks: the samples, the end, 8 clocks of flush held and 4 quiet clocks
    let clocks = got.clocks - 12;
    let low = ops + 3 + walk;
    let high = ops + 3 + single + walk + 24;
    let n = samples.len() as f64;
    eprintln!(
        "v2 core, {} samples (3 recordings as 3 channels): {clocks} clocks = {:.3} per sample \
         (flush and restart walk {} clocks); model: {ops} operations ({:.3} per sample), \
         {releasing} releasing, {bytes} bytes, {single} one-operation samples; bounds {low} ..= \
         {high}; the samples alone: {:.3} clocks per sample",
        samples.len(),
        clocks as f64 / n,
        got.end_clocks[0],
        ops as f64 / n,
        (clocks - got.end_clocks[0]) as f64 / n
    );
    assert!(
        (low..=high).contains(&clocks),
        "{clocks} clocks outside {low} ..= {high}"
    );
}

// ---------------------------------------------------------------------------------------
// Verilator
// ---------------------------------------------------------------------------------------

/// Plain port names for the harness.
fn wrapper(c: usize) -> String {
    format!(
        "
module v2core_wrap(input clock, input in_valid, output in_ready, input [{m}:0] in_channel,
    input [9:0] in_sample, input flush, input clear, output idle, output out_valid,
    input out_ready, output [31:0] out_word, output out_last, output [2:0] out_bytes);
  top t(.clock(clock), .in_valid(in_valid), .in_ready(in_ready), .in_channel(in_channel),
    .in_sample(in_sample), .flush(flush), .clear(clear), .idle(idle), .out_valid(out_valid),
    .out_ready(out_ready), .out_word(out_word), .out_last(out_last), .out_bytes(out_bytes));
endmodule
",
        m = c - 1
    )
}

/// Reads `gap bp seed` and then commands: `s CH X` (a sample, offered until taken), `f`
/// (flush until idle), `c` (clear until idle). Prints `w WORD LAST BYTES` per word taken,
/// `e CLOCKS` after each flush or clear, `t CLOCKS` at the end.
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
  uint64_t clocks = 0;
  t.clock = 0; t.in_valid = 0; t.flush = 0; t.clear = 0; t.out_ready = 0; t.eval();
  auto cycle = [&](bool valid, unsigned ch, unsigned x, bool flush, bool clear) {
    bool ready = draw() % 1000 >= bp;
    t.clock = 0; t.in_valid = valid; t.in_channel = ch; t.in_sample = x;
    t.out_ready = ready; t.flush = flush; t.clear = clear;
    t.eval();
    bool taken = valid && t.in_ready;
    if (t.out_valid && ready) printf("w %u %u %u\n", t.out_word, t.out_last, t.out_bytes);
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
  printf("t %llu\n", (unsigned long long)clocks);
  return 0;
}
"#;

/// The core's Verilog for `channels` channels under Verilator: the segments' blocks and
/// the total clocks.
fn run_verilator(
    segs: &[Seg],
    channels: usize,
    gap: u64,
    bp: u64,
    seed: u64,
    name: &str,
) -> Outcome {
    let c = neurice_hdl::channel_bits(channels).unwrap();
    let verilog = v2_verilog(&P, channels).unwrap();
    let bin = verilated_block(&verilog, &wrapper(c), "v2core_wrap", name, HARNESS);
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
    for line in run_harness(&bin, input).lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "w" => words.take(f[1].parse().unwrap(), f[2] == "1", f[3].parse().unwrap()),
            "e" => {
                out.end_clocks.push(f[1].parse().unwrap());
                if segs[seg_i].end == End::Clear {
                    assert_eq!(words.blocks.len(), blocks_before, "block from a clear");
                    words.current.clear();
                }
                assert!(words.current.is_empty(), "bytes after the last word");
                blocks_before = words.blocks.len();
                seg_i += 1;
            }
            "t" => out.clocks = f[1].parse().unwrap(),
            _ => panic!("harness: {line}"),
        }
    }
    out.blocks = words.blocks;
    out
}

/// The Verilog on the KAT, adversarial signals on 1, 3 and 7 channels, blocks in a row with
/// an empty flush and a clear, and recordings: 8 × 20 000 samples as 8 channels (gaps and
/// backpressure) and one recording as 1 channel.
#[test]
fn verilog_gives_the_models_blocks() {
    if !verilator_or_skip("verilog_gives_the_models_blocks") {
        return;
    }
    // one channel: the KAT, then a recording, alternating extremes and noise as blocks
    let mut segs = vec![Seg {
        samples: KAT_SAMPLES.to_vec(),
        end: End::Flush,
    }];
    segs.push(Seg {
        samples: recordings(1, 20_000, 5, "v2 core Verilog, 1 channel"),
        end: End::Flush,
    });
    segs.push(Seg {
        samples: signal(2, 1, 3000, 1),
        end: End::Flush,
    });
    segs.push(Seg {
        samples: vec![],
        end: End::Flush,
    });
    segs.push(Seg {
        samples: signal(1, 1, 999, 2),
        end: End::Clear,
    });
    segs.push(Seg {
        samples: signal(1, 1, 5000, 3),
        end: End::Flush,
    });
    let got = run_verilator(&segs, 1, 100, 300, 9, "v2-core-1");
    assert_blocks(&got.blocks, &model_blocks(&segs, 1), "Verilator, 1 channel");
    assert_eq!(got.blocks[0], hex(KAT_BYTES));

    // 8 recordings as 8 channels, then noise and extremes
    let mut segs = vec![Seg {
        samples: recordings(8, 20_000, 0, "v2 core Verilog, 8 channels"),
        end: End::Flush,
    }];
    for kind in 1..4 {
        segs.push(Seg {
            samples: signal(kind, 8, 1500, kind as u64),
            end: End::Flush,
        });
    }
    let got = run_verilator(&segs, 8, 200, 300, 10, "v2-core-8");
    assert_blocks(
        &got.blocks,
        &model_blocks(&segs, 8),
        "Verilator, 8 channels",
    );

    // 3 and 7 channels of adversarial noise, no gaps
    for channels in [3usize, 7] {
        let segs = vec![Seg {
            samples: signal(3, channels, 2000, channels as u64),
            end: End::Flush,
        }];
        let got = run_verilator(&segs, channels, 0, 0, 11, &format!("v2-core-{channels}"));
        assert_blocks(
            &got.blocks,
            &model_blocks(&segs, channels),
            &format!("Verilator, {channels} channels"),
        );
    }
}

/// The 1024-channel core (`V2Core1024`'s Verilog): two blocks of 1024-channel frames in a
/// row (the second proves the 1024-entry restart walk) with gaps and backpressure, and the
/// flush's clocks (the drain, the last word and the walk) within `1024 + 64`.
#[test]
fn verilog_1024_channels_two_blocks() {
    if !verilator_or_skip("verilog_1024_channels_two_blocks") {
        return;
    }
    let channels = 1024;
    let segs = vec![
        Seg {
            samples: signal(3, channels, 12, 21),
            end: End::Flush,
        },
        Seg {
            samples: signal(0, channels, 10, 22),
            end: End::Flush,
        },
    ];
    let got = run_verilator(&segs, channels, 100, 200, 12, "v2-core-1024");
    assert_blocks(
        &got.blocks,
        &model_blocks(&segs, channels),
        "Verilator, 1024 channels",
    );
    let quiet = run_verilator(&segs[..1], channels, 0, 0, 1, "v2-core-1024");
    eprintln!(
        "1024 channels: the flush took {} clocks (no gaps, no backpressure)",
        quiet.end_clocks[0]
    );
    assert!(
        (1024..1024 + 64).contains(&quiet.end_clocks[0]),
        "flush of {} clocks",
        quiet.end_clocks[0]
    );
}

/// The 1024-channel core in rust-hdl: a `clear` mid-block takes less than the 4096 clocks
/// the simulators' clear allows (the drain and the 1024-entry walk), and the next block is
/// clean.
#[test]
fn rusthdl_1024_channels_clear_then_block() {
    let channels = 1024;
    let segs = vec![
        Seg {
            samples: signal(1, channels, 2, 31)[..1500].to_vec(),
            end: End::Clear,
        },
        Seg {
            samples: signal(3, channels, 3, 32),
            end: End::Flush,
        },
    ];
    let got = run_rusthdl::<10>(&segs, channels, 100, 300, 5);
    assert_blocks(
        &got.blocks,
        &model_blocks(&segs, channels),
        "rust-hdl, 1024 channels",
    );
    assert!(
        (1024..4096).contains(&got.end_clocks[0]),
        "clear took {} clocks",
        got.end_clocks[0]
    );
}
