//! Shared helpers of the simulation tests: the workspace's test kit, and the stimulus builder.
#![allow(dead_code, unused_imports)]

pub use neurice_testkit::{data_dir, data_or_skip, extremes, flat, noise, trace, wavs};

use neurice_model::CodecParams;
use neurice_sim::Stimulus;

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
