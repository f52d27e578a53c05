//! Coder max's block encoder and decoder (`max::encode_all`, `max::decode_all`, the hardware
//! parameters) on one recording, in M samples per **CPU second of the thread**, for a machine
//! too busy for the criterion bench's wall-clock times: each figure is `REPS` passes (default
//! 500, about a CPU second: the thread's CPU time is read in 10 ms ticks).
//!
//! ```text
//! cargo run --release -p neurice-model --example speed_max -- FILE.wav [REPS]
//! ```
use neurice_model::{grid::to_grid, max, wav::parse_wav};

fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let f: Vec<&str> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a WAV file");
    let reps: usize = args.next().map_or(500, |r| r.parse().expect("REPS"));
    let wav = parse_wav(&std::fs::read(path).expect("readable")).expect("a 16-bit PCM WAV");
    let channels = wav.channels as usize;
    let xs = to_grid(&wav.samples).0;
    let n = (xs.len() * reps) as f64;
    let (pm, tm) = (max::MaxParams::HARDWARE, max::Table::builtin());
    let mut blocks = max::encode_all(&pm, tm, channels, &xs).expect("encode").0;
    let t = cpu_seconds();
    for _ in 0..reps {
        blocks = max::encode_all(&pm, tm, channels, std::hint::black_box(&xs))
            .expect("encode")
            .0;
    }
    let enc = n / (cpu_seconds() - t) / 1e6;
    let refs: Vec<(u32, &[u8], &[u8])> = blocks
        .iter()
        .map(|b| (b.frames, &b.tokens[..], &b.raw[..]))
        .collect();
    let t = cpu_seconds();
    for _ in 0..reps {
        let back = max::decode_all(&pm, tm, channels, std::hint::black_box(&refs));
        assert_eq!(back.expect("decode").len(), xs.len());
    }
    let dec = n / (cpu_seconds() - t) / 1e6;
    println!("max encode {enc:.1} decode {dec:.1} M samples per CPU second");
}
