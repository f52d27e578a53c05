//! One-thread speed of each phase of the streamed coder v1 on a recording, best of five
//! (for tuning; a loaded machine slows the wall-clock figures, the CPU-time ones much less):
//! `cargo run --release -p neurice-model --example stream_phases -- FILE.wav [PHASE...]`
//! (phases: `grid_map`, `encode_bytes`, `encode_all`, `decode_padded`; default all)

use std::time::{Duration, Instant};

use neurice_model::grid::to_grid;
use neurice_model::lite::{decode_padded, encode_all, encode_bytes};
use neurice_model::stream::BLOCK_SAMPLES;
use neurice_model::wav::parse_wav;
use neurice_model::CodecParams;

/// Time this thread has run on a CPU (Linux: `/proc/thread-self/schedstat`), if known: on a
/// loaded machine it measures the work where the wall clock measures the queue.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Runs of each phase; the best counts.
const RUNS: usize = 5;

/// The best of [`RUNS`] runs of `f`, in M samples/s for `n` samples: by the wall clock, and by
/// the CPU time of this thread when it is known.
fn speed(n: usize, f: &dyn Fn()) -> String {
    let (mut wall, mut cpu) = (0.0f64, None::<f64>);
    for _ in 0..RUNS {
        let (t, c) = (Instant::now(), cpu_time());
        f();
        wall = wall.max(n as f64 / t.elapsed().as_secs_f64() / 1e6);
        if let (Some(c0), Some(c1)) = (c, cpu_time()) {
            let v = n as f64 / (c1 - c0).as_secs_f64() / 1e6;
            cpu = Some(cpu.map_or(v, |b| b.max(v)));
        }
    }
    match cpu {
        Some(c) => format!("{wall:6.1} M samples/s wall, {c:6.1} per CPU second"),
        None => format!("{wall:6.1} M samples/s wall"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let f = args
        .first()
        .expect("usage: stream_phases FILE.wav [PHASE...]");
    let only = &args[1..];
    let wav = parse_wav(&std::fs::read(f).expect("read")).expect("a WAV");
    let ch = wav.channels as usize;
    let n = wav.samples.len();
    let p = CodecParams::HARDWARE;
    let blk = (BLOCK_SAMPLES / ch).max(1) * ch;
    let (grid, _) = to_grid(&wav.samples);
    let enc: Vec<Vec<u8>> = grid
        .chunks(blk)
        .map(|b| encode_bytes(&p, ch, b).unwrap().0)
        .collect();
    let phases: [(&str, &dyn Fn()); 4] = [
        ("grid_map", &|| {
            std::hint::black_box(to_grid(&wav.samples));
        }),
        ("encode_bytes", &|| {
            for b in grid.chunks(blk) {
                std::hint::black_box(encode_bytes(&p, ch, b).unwrap());
            }
        }),
        ("encode_all", &|| {
            for b in grid.chunks(blk) {
                std::hint::black_box(encode_all(&p, ch, b).unwrap());
            }
        }),
        ("decode_padded", &|| {
            for (b, e) in grid.chunks(blk).zip(&enc) {
                std::hint::black_box(decode_padded(&p, ch, b.len(), e).unwrap());
            }
        }),
    ];
    for (name, f) in phases {
        if only.is_empty() || only.iter().any(|o| o == name) {
            println!("{name:13} {}", speed(n, f));
        }
    }
}
