//! One-thread speed of each phase of the streamed coder v1 on a recording, best of three
//! (for tuning; a loaded machine slows every row alike):
//! `cargo run --release -p neurice-model --example stream_phases -- FILE.wav`

use std::time::Instant;

use neurice_model::coder::{decode_padded, encode_all, encode_bytes};
use neurice_model::container::to_grid;
use neurice_model::stream::BLOCK_SAMPLES;
use neurice_model::wav::parse_wav;
use neurice_model::CodecParams;

/// The best of three runs of `f`, in M samples/s for `n` samples.
fn speed(n: usize, mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            n as f64 / t.elapsed().as_secs_f64() / 1e6
        })
        .fold(0.0, f64::max)
}

fn main() {
    let f = std::env::args()
        .nth(1)
        .expect("usage: stream_phases FILE.wav");
    let wav = parse_wav(&std::fs::read(&f).expect("read")).expect("a WAV");
    let ch = wav.channels as usize;
    let n = wav.samples.len();
    let p = CodecParams::HARDWARE;
    let blk = (BLOCK_SAMPLES / ch).max(1) * ch;
    let (grid, _) = to_grid(&wav.samples);
    let enc: Vec<Vec<u8>> = grid
        .chunks(blk)
        .map(|b| encode_bytes(&p, ch, b).unwrap().0)
        .collect();
    println!(
        "grid map     {:6.1} M samples/s",
        speed(n, || {
            std::hint::black_box(to_grid(&wav.samples));
        })
    );
    println!(
        "encode_bytes {:6.1} M samples/s",
        speed(n, || {
            for b in grid.chunks(blk) {
                std::hint::black_box(encode_bytes(&p, ch, b).unwrap());
            }
        })
    );
    println!(
        "encode_all   {:6.1} M samples/s",
        speed(n, || {
            for b in grid.chunks(blk) {
                std::hint::black_box(encode_all(&p, ch, b).unwrap());
            }
        })
    );
    println!(
        "decode       {:6.1} M samples/s",
        speed(n, || {
            for (b, e) in grid.chunks(blk).zip(&enc) {
                std::hint::black_box(decode_padded(&p, ch, b.len(), e).unwrap());
            }
        })
    );
}
