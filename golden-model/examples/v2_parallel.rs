//! Does coder v2 lose ratio when its one shared range coder is split into K independent
//! coders? A measurement for the v2 hardware core (FORMAT.md §7.8): one range coder must
//! finish 3.70 bins per sample, which the HX8K cannot do at 2× real time for 1024 channels.
//!
//! `cargo run --release -p neurice-model --example v2_parallel [DIR]`
//!
//! All recordings in DIR (default `../shared/data/neuralink`) interleaved as one channel
//! each, cut to the shortest; channel `c` goes to coder `c mod K`, and each coder codes its
//! channels with `V2Params::HARDWARE` and contexts of its own, from the restart state, as one
//! block (`v2::encode_block`). Ratio = 16 / (payload bits per sample), no container.

use std::path::PathBuf;

use neurice_model::{
    grid::to_grid,
    v2::{self, V2Params},
    wav::parse_wav,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no .wav files in {}", dir.display()).into());
    }
    let channels: Vec<Vec<u32>> = files
        .iter()
        .map(|f| Ok(to_grid(&parse_wav(&std::fs::read(f)?)?.samples).0))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    let c = channels.len();
    let p = V2Params::HARDWARE;
    println!("{c} channels x {frames} frames, V2Params::HARDWARE, one block per coder");
    println!("coders  ratio   bits/sample  bins/sample  worst coder bins/sample");
    for k in [1usize, 2, 4, 8, 16] {
        let (mut bytes, mut bins, mut worst) = (0usize, 0u64, 0f64);
        for j in 0..k {
            let mine: Vec<usize> = (j..c).step_by(k).collect();
            let (mine, chans) = (&mine, &channels);
            let s: Vec<u32> = (0..frames)
                .flat_map(|f| mine.iter().map(move |&ch| chans[ch][f]))
                .collect();
            let mut st = v2::EncodeStats::default();
            bytes += v2::encode_block(&p, mine.len(), &s, &mut st).len();
            bins += st.bins;
            worst = worst.max(st.bins as f64 / s.len() as f64);
        }
        let n = (c * frames) as f64;
        let bits = bytes as f64 * 8.0 / n;
        println!(
            "{k:>6}  {:.4}  {bits:>11.4}  {:>11.3}  {worst:>11.3}",
            16.0 / bits,
            bins as f64 / n
        );
    }
    Ok(())
}
