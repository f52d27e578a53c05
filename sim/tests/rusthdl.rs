//! The rust-hdl simulation of the core against the golden model: a time-bounded subset
//! (the full run is `neurice sim --engine rusthdl`, see the README).

mod common;

use common::*;
use neurice_sim::{interleave, load_indices, rusthdl, SimReport, Stimulus};

fn check(stim: &Stimulus) -> SimReport {
    let r = rusthdl::run(stim, &mut |_| {}).expect("simulation runs");
    assert_eq!(
        r.mismatches, 0,
        "{}: first mismatch {:?}",
        stim.label, r.first_mismatch
    );
    assert_eq!(r.words, r.expected_words, "{}", stim.label);
    assert_eq!(r.samples, stim.samples.len() as u64);
    r
}

#[test]
fn one_channel_synthetic_full_rate() {
    let r = check(&stim(1, trace(20_000, 1), 0, 0, "trace, 1 channel"));
    // one sample per clock: only the pipeline fill and the flush come on top
    assert!(r.cycles < 20_000 + 20, "{} cycles", r.cycles);
    assert_eq!(r.stall_cycles, 0);
}

#[test]
fn two_channels_back_to_back_with_gaps_and_backpressure() {
    check(&stim(
        2,
        trace(20_000, 2),
        300,
        300,
        "trace, 2 channels, 300‰",
    ));
}

#[test]
fn adversarial_inputs_saturate_the_output() {
    // noise: codes of up to 26 bits; a free sink takes 32 bits per clock, so the core keeps
    // one sample per clock...
    let r = check(&stim(1, noise(8_000, 3), 0, 0, "noise, 1 channel"));
    assert_eq!(r.stall_cycles, 0);
    // ...but a sink ready half the time (16 bits per clock) saturates and backs up the input
    let r = check(&stim(1, noise(8_000, 4), 0, 500, "noise, 1 channel, 500‰"));
    assert!(r.stall_cycles > 1_000, "{} stalls", r.stall_cycles);
    check(&stim(
        2,
        extremes(8_000),
        0,
        300,
        "extremes, 2 channels, 300‰ backpressure",
    ));
    check(&stim(3, flat(9_000), 200, 0, "flat runs, 3 channels"));
}

#[test]
fn all_1024_channels_round_robin() {
    let samples: Vec<u16> = (0..1024 * 12)
        .map(|i| ((i * 37 + i / 1024 * 5) % 1024) as u16)
        .collect();
    check(&stim(1024, samples, 100, 100, "synthetic, 1024 channels"));
}

#[test]
fn recordings_one_channel_each_and_interleaved() {
    let Some(dir) = data_or_skip("recordings_one_channel_each_and_interleaved") else {
        return;
    };
    let files = wavs(&dir);
    let loaded: Vec<Vec<u16>> = files
        .iter()
        .step_by(files.len().div_ceil(16).max(1))
        .take(16)
        .map(|f| load_indices(f).unwrap())
        .collect();
    // (a) each file as one channel (first 15 000 samples of three files)
    for (i, f) in loaded.iter().take(3).enumerate() {
        let s: Vec<u16> = f.iter().copied().take(15_000).collect();
        let gap = if i == 2 { 300 } else { 0 };
        check(&stim(1, s, gap, gap, &format!("recording {i}")));
    }
    // (b) 16 files interleaved as 16 channels, (c) with gaps and backpressure
    let inter = interleave(&loaded, Some(2_000));
    check(&stim(
        16,
        inter,
        300,
        300,
        "16 recordings interleaved, 300‰",
    ));
}

#[test]
fn a_wrong_word_is_reported_with_its_sample_and_channel() {
    // The comparison itself must be able to fail: corrupt one expected word.
    let s = stim(3, trace(3_000, 9), 0, 0, "trace");
    let (mut expected, first) = neurice_sim::expected_words(&s);
    let r = rusthdl::run(&s, &mut |_| {}).unwrap();
    assert_eq!(r.mismatches, 0);
    expected[10] ^= 1;
    let got = neurice_sim::expected_words(&s).0;
    let (n, m) = neurice_sim::compare_words(&s, &expected, &first, &got, |_| "x".into());
    assert_eq!(n, 1);
    let m = m.unwrap();
    assert_eq!(m.word_index, 10);
    assert_eq!(m.channel, m.sample_index % 3);
}

#[test]
fn clear_restarts_every_channel_between_streams() {
    // Two streams on one core: after a flush and a clear, the second must code exactly as a
    // fresh golden-model encoder would (its states start again from the initial state).
    let a = stim(3, trace(6_000, 21), 100, 100, "first stream");
    let b = stim(3, trace(6_000, 22), 100, 100, "second stream");
    let (r, clear_cycles) = rusthdl::run_segments(&[a, b.clone()]).unwrap();
    for x in &r {
        assert_eq!(x.mismatches, 0, "{}: {:?}", x.label, x.first_mismatch);
        assert_eq!(x.words, x.expected_words);
    }
    // one write per channel of the 1024-entry state RAM
    assert!(clear_cycles >= 1024, "clear took {clear_cycles} cycles");
    // the same stream on a fresh core takes the same words (and, with the same handshake
    // pattern, the same cycles)
    let alone = rusthdl::run(&b, &mut |_| {}).unwrap();
    assert_eq!((alone.words, alone.cycles), (r[1].words, r[1].cycles));
}
