//! The ratio cost of the streamed container's blocks (FORMAT.md §7.9): each WAV given is
//! compressed by both coders as one single stream (§4 / §7.7, whatever its length) and as
//! what `neurice compress` writes (streamed blocks above 2^21 samples); ratios include the
//! container. `cargo run --release -p neurice-model --example stream_ratio -- FILE.wav…`

use neurice_model::single;
use neurice_model::{compress_wav_with, decompress, Coder};

fn main() {
    for f in std::env::args().skip(1) {
        let wav = std::fs::read(&f).expect("read");
        for coder in Coder::ALL {
            let (one, _) = single::compress(&wav, &coder.into()).expect("compress");
            let (blocks, st) = compress_wav_with(&wav, coder).expect("compress");
            assert!(decompress(&blocks).expect("decode") == wav, "round trip");
            let (r1, r2) = (
                wav.len() as f64 / one.len() as f64,
                wav.len() as f64 / blocks.len() as f64,
            );
            println!(
                "{f} {coder}: {} channel(s), {} samples; single stream {r1:.4}, as written {r2:.4} ({:+.2} %)",
                st.channels,
                st.samples,
                100.0 * (r2 / r1 - 1.0)
            );
        }
    }
}
