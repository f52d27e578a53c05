//! Restart mode of the core (FORMAT.md §9.2, §9.6): its word stream with restarts is the
//! concatenation of the golden model's `encode_segment_v1` segments, and `out_last` marks
//! each segment's last word; rust-hdl's simulator.

mod common;

use common::*;
use neurice_hdl::{Core1024, Restart};
use neurice_model::CodecParams;
use neurice_sim::{packets, rusthdl};

fn check(channels: usize, r: u32, samples: Vec<u16>, gap: u32, bp: u32) {
    let label = format!("{channels} ch, R = {r}, gap {gap}‰, bp {bp}‰");
    let s = stim(channels, samples, gap, bp, &label);
    let (want, want_ends) = packets::segment_words(&CodecParams::HARDWARE, channels, r, &s.samples);
    let restart = Restart {
        channels,
        segment_frames: r,
    };
    let core = Box::new(Core1024::with_restart(&CodecParams::HARDWARE, Some(restart)).unwrap());
    let run = rusthdl::run_flagged(core, &s, &want, &mut |_| {}).unwrap();
    assert_eq!(run.samples_taken, s.samples.len() as u64, "{label}");
    let first = want.iter().zip(&run.words).position(|(a, b)| a != b);
    assert_eq!(first, None, "{label}: first differing word");
    assert_eq!(run.words.len(), want.len(), "{label}: word count");
    assert_eq!(run.ends, want_ends, "{label}: segment ends");
    assert!(want_ends.len() > 1, "{label}: several segments");
    // the restarts are visible: the plain stream differs
    assert_ne!(want, neurice_sim::expected_words(&s).unwrap().0, "{label}");
}

#[test]
fn one_channel_segments_equal_the_model() {
    check(1, 64, trace(64 * 10 + 17, 1), 0, 0);
    check(1, 1, trace(300, 2), 100, 100);
    check(1, 200, noise(1000, 5), 0, 300);
}

#[test]
fn several_channels_segments_equal_the_model() {
    check(3, 50, trace(3 * 50 * 4 + 3 * 7, 3), 200, 200);
    check(7, 20, noise(7 * 20 * 5, 4), 0, 500);
    check(32, 16, trace(32 * 16 * 3, 6), 100, 100);
    check(2, 3, extremes(2 * 3 * 40), 0, 0);
}
