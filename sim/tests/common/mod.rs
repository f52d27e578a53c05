//! Shared helpers of the simulation tests.
#![allow(dead_code)]

use std::path::PathBuf;

use neurice_model::CodecParams;
use neurice_sim::{Stimulus, XorShift64};

/// The recordings folder ($NEURICE_DATA or ../shared/data/neuralink), if it has WAVs.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NEURICE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/neuralink")
        });
    let has_wav = std::fs::read_dir(&dir).ok()?.flatten().any(|e| {
        e.path()
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("wav"))
    });
    has_wav.then_some(dir)
}

/// Prints the skip notice and returns None when the recordings are absent.
pub fn data_or_skip(test: &str) -> Option<PathBuf> {
    let d = data_dir();
    if d.is_none() {
        eprintln!(
            "SKIPPED {test}: no recordings (set NEURICE_DATA or put the Neuralink WAVs in \
             ../shared/data/neuralink; see README)"
        );
    }
    d
}

/// Sorted WAV files of the data folder.
pub fn wavs(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")))
        .collect();
    v.sort();
    v
}

pub fn stim(channels: usize, samples: Vec<u16>, gap: u32, bp: u32, label: &str) -> Stimulus {
    Stimulus {
        params: CodecParams::HARDWARE,
        channels,
        samples,
        input_gap_per_mille: gap,
        backpressure_per_mille: bp,
        seed: 0x5EED,
        label: label.into(),
    }
}

/// Full-scale white noise: most codes are escapes or near the longest code.
pub fn noise(n: usize, seed: u64) -> Vec<u16> {
    let mut r = XorShift64::new(seed);
    (0..n).map(|_| (r.next_u64() % 1024) as u16).collect()
}

/// Alternating extremes 0, 1023, 0, …: every delta is ±full scale.
pub fn extremes(n: usize) -> Vec<u16> {
    (0..n).map(|i| if i % 2 == 0 { 0 } else { 1023 }).collect()
}

/// Constant runs with rare steps: the adaptive parameter goes to its smallest value.
pub fn flat(n: usize) -> Vec<u16> {
    (0..n)
        .map(|i| if (i / 3000) % 2 == 0 { 512 } else { 37 })
        .collect()
}

/// A slow sine with noise, like a neural trace.
pub fn trace(n: usize, seed: u64) -> Vec<u16> {
    let mut r = XorShift64::new(seed);
    (0..n)
        .map(|i| {
            let s = 512.0 + 200.0 * (i as f64 / 40.0).sin() + (r.next_u64() % 9) as f64 - 4.0;
            s.clamp(0.0, 1023.0) as u16
        })
        .collect()
}
