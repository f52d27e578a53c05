//! Quick single-thread speed check of coder v1, v2 and max on one recording, in CPU time
//! (`cargo run --release -p neurice-model --example speed_v2 FILE.wav`), for a machine too busy
//! for the criterion bench's wall-clock times.
use neurice_model::{grid::to_grid, max, v2, wav::parse_wav, CodecParams};

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
    let path = std::env::args().nth(1).expect("a WAV file");
    let wav = parse_wav(&std::fs::read(path).unwrap()).unwrap();
    let xs = to_grid(&wav.samples).0;
    let reps = 60;
    let n = (xs.len() * reps) as f64;
    let p2 = v2::V2Params::HARDWARE;
    let t = cpu_seconds();
    let mut blocks = Vec::new();
    for _ in 0..reps {
        blocks = v2::encode_all(&p2, 1, &xs).unwrap().0;
    }
    let enc = n / (cpu_seconds() - t) / 1e6;
    let refs: Vec<(u32, &[u8])> = blocks.iter().map(|b| (b.frames, &b.bytes[..])).collect();
    let t = cpu_seconds();
    for _ in 0..reps {
        assert_eq!(v2::decode_all(&p2, 1, &refs).unwrap().len(), xs.len());
    }
    let dec = n / (cpu_seconds() - t) / 1e6;
    let t = cpu_seconds();
    for _ in 0..reps {
        neurice_model::lite::encode_all(&CodecParams::HARDWARE, 1, &xs).unwrap();
    }
    let v1 = n / (cpu_seconds() - t) / 1e6;
    let (pm, tm) = (max::MaxParams::HARDWARE, max::Table::builtin());
    let t = cpu_seconds();
    let mut mblocks = Vec::new();
    for _ in 0..reps {
        mblocks = max::encode_all(&pm, tm, 1, &xs).unwrap().0;
    }
    let menc = n / (cpu_seconds() - t) / 1e6;
    let mrefs: Vec<(u32, &[u8], &[u8])> = mblocks
        .iter()
        .map(|b| (b.frames, &b.tokens[..], &b.raw[..]))
        .collect();
    let t = cpu_seconds();
    for _ in 0..reps {
        assert_eq!(max::decode_all(&pm, tm, 1, &mrefs).unwrap().len(), xs.len());
    }
    let mdec = n / (cpu_seconds() - t) / 1e6;
    println!(
        "M samples per CPU second: v2 encode {enc:.1}, v2 decode {dec:.1}, v1 encode {v1:.1}, \
         max encode {menc:.1}, max decode {mdec:.1}"
    );
}
