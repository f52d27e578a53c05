//! Where a one-file `neurice compress` spends its time in-process (issue 29): the parts of
//! the single-stream v1 path timed on one recording, each the fastest of many repetitions
//! (warm caches and memory: the fixed costs of a fresh process are not in these figures).
//! `cargo run --release -p neurice-model --example speed_compress_file FILE.wav`
use std::time::Instant;

use neurice_model::{grid::to_grid, lite::encode_bytes, single, wav::parse_wav, CodecParams};

fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    best * 1e6
}

fn main() {
    let path = std::env::args().nth(1).expect("a WAV file");
    let bytes = std::fs::read(&path).unwrap();
    let wav = parse_wav(&bytes).unwrap();
    let grid = to_grid(&wav.samples).0;
    let reps = 200;
    let p = CodecParams::HARDWARE;
    let coder = neurice_model::CoderSpec::Lite(p);
    println!("{path}: {} samples", wav.samples.len());
    println!(
        "parse_wav      {:8.1} µs",
        best(reps, || parse_wav(&bytes).unwrap())
    );
    println!(
        "to_grid        {:8.1} µs",
        best(reps, || to_grid(&wav.samples))
    );
    println!(
        "encode_bytes   {:8.1} µs",
        best(reps, || encode_bytes(&p, 1, &grid).unwrap())
    );
    println!(
        "crc32          {:8.1} µs",
        best(reps, || crc32fast::hash(&bytes))
    );
    println!(
        "single::compress {:6.1} µs",
        best(reps, || single::compress(&bytes, &coder).unwrap())
    );
}
