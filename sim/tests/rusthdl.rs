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
    // The engine must report a word of the core that differs from the golden model: corrupt
    // what the simulated core produced (test hook), before the engine compares it.
    let s = stim(3, trace(3_000, 9), 0, 0, "trace");
    let (expected, first) = neurice_sim::expected_words(&s).unwrap();
    let clean = rusthdl::run_inspect(&s, &mut |_, _| {}).unwrap();
    assert_eq!(clean.mismatches, 0, "{:?}", clean.first_mismatch);
    let r = rusthdl::run_inspect(&s, &mut |_, words| words[10] ^= 1).unwrap();
    assert_eq!(r.mismatches, 1);
    let m = r.first_mismatch.expect("the mismatch is reported");
    assert_eq!(m.word_index, 10);
    assert_eq!(
        (m.expected, m.got),
        (Some(expected[10]), Some(expected[10] ^ 1))
    );
    assert_eq!(m.sample_index, first[10]);
    assert_eq!(m.channel, first[10] % 3);
    assert!(m.detail.starts_with("rusthdl"), "{}", m.detail);
    // a lost word shifts every later one: all of them are reported
    let r = rusthdl::run_inspect(&s, &mut |_, words| {
        words.remove(5);
    })
    .unwrap();
    assert_eq!(r.words + 1, r.expected_words);
    assert!(
        r.mismatches as usize >= expected.len() - 6,
        "{}",
        r.mismatches
    );
    assert_eq!(r.first_mismatch.unwrap().word_index, 5);
}

#[test]
fn state_ram_equals_the_models_channel_states_after_a_run() {
    // After a run, the core's state RAM word of every channel is the golden model's packed
    // channel state (`ChannelState::pack`); channels never used keep the initial (zero) word.
    let channels = 5;
    let mut samples = interleave(
        &[
            trace(2_000, 31),
            noise(2_000, 32),
            flat(2_000),
            extremes(2_000),
            trace(2_000, 33),
        ],
        None,
    );
    samples.truncate(samples.len() - 2); // stop mid-frame: channels 3 and 4 are one sample behind
    let s = stim(channels, samples.clone(), 200, 200, "5 channels, mixed");
    let p = neurice_model::CodecParams::HARDWARE;
    let mut enc = neurice_model::Encoder::new(p, channels).unwrap();
    for &x in &samples {
        enc.push(x as u32);
    }
    let mut ram = Vec::new();
    let r = rusthdl::run_inspect(&s, &mut |core, _| {
        ram = (0..1024).map(|c| core.state_word(c)).collect();
    })
    .unwrap();
    assert_eq!(r.mismatches, 0, "{:?}", r.first_mismatch);
    for (c, &word) in ram.iter().enumerate().take(channels) {
        let st = enc.state(c);
        assert_eq!(word as u64, st.pack(&p), "channel {c}: model state {st:?}");
        assert_ne!(word, 0, "channel {c} was used");
    }
    assert!(ram[channels..].iter().all(|&w| w == 0), "unused channels");
}

/// Drives the core directly, one edge per call of `cycle`, for the latency test.
struct Direct(Box<neurice_hdl::Core1024>);

impl Direct {
    fn new() -> Self {
        use rust_hdl::prelude::*;
        let mut core =
            Box::new(neurice_hdl::Core1024::new(&neurice_model::CodecParams::HARDWARE).unwrap());
        core.connect_all();
        check_all(core.as_ref()).unwrap();
        core.clock.next = Clock::from(false);
        assert!(simulate(core.as_mut(), 200));
        Direct(core)
    }

    /// One cycle: inputs with the clock low, then the rising edge. Returns (sample taken at
    /// this edge, word on `out_word` while `out_valid` before this edge).
    fn cycle(&mut self, sample: Option<u16>, flush: bool) -> (bool, Option<u32>) {
        use rust_hdl::prelude::*;
        let c = &mut self.0;
        c.clock.next = Clock::from(false);
        c.in_valid.next = sample.is_some();
        c.in_channel.next = 0u64.into();
        c.in_sample.next = (sample.unwrap_or(0) as u64).into();
        c.out_ready.next = true;
        c.flush.next = flush;
        c.clear.next = false;
        assert!(simulate(c.as_mut(), 200));
        let taken = c.in_valid.val() && c.in_ready.val();
        let word = c.out_valid.val().then(|| c.out_word.val().to_u32());
        c.clock.next = Clock::from(true);
        assert!(simulate(c.as_mut(), 200));
        (taken, word)
    }
}

#[test]
fn latency_a_word_leaves_10_clocks_after_its_last_sample() {
    // README and hdl/src/core.rs: a sample taken at edge e whose code completes a word puts
    // that word on `out_word` at edge e + 10 (`out_valid` high in the cycle after it; the free
    // sink takes it at edge e + 11), whatever the input gaps. Checked for every word but the
    // flushed last one, on one channel with random input gaps.
    let samples = noise(3_000, 41);
    let p = neurice_model::CodecParams::HARDWARE;
    let mut enc = neurice_model::Encoder::new(p, 1).unwrap();
    let completes: Vec<bool> = samples
        .iter()
        .map(|&x| enc.push(x as u32).1.is_some())
        .collect();
    let mut core = Direct::new();
    let mut gaps = neurice_sim::XorShift64::new(7);
    let (mut next, mut edge) = (0usize, 0u64);
    let mut due = std::collections::VecDeque::new(); // edges taking a word's last sample
    let mut seen = 0usize;
    while next < samples.len() || !due.is_empty() {
        let offer = (next < samples.len() && !gaps.chance(300)).then(|| samples[next]);
        let (taken, word) = core.cycle(offer, next == samples.len());
        if let Some(w) = word {
            // valid before edge `edge`: it appeared at edge `edge - 1`
            let taken_at: u64 = due
                .pop_front()
                .unwrap_or_else(|| panic!("word {seen} ({w:#x}) unannounced"));
            assert_eq!(edge - 1 - taken_at, 10, "word {seen}: latency in clocks");
            seen += 1;
        }
        if taken {
            if completes[next] {
                due.push_back(edge);
            }
            next += 1;
        }
        edge += 1;
        assert!(edge < 20_000, "stuck");
    }
    assert!(seen > 500, "{seen} words checked");
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

#[test]
fn known_answer_vectors_on_the_rust_hdl_core() {
    // The frozen words of golden-model/tests/vectors/ come out of the simulated core (with
    // gaps and backpressure), independently of what today's golden model says.
    for v in neurice_testkit::vectors::all()
        .into_iter()
        .filter(|v| !v.words.is_empty())
    {
        let s = stim(v.channels, v.indices.clone(), 150, 150, &v.name);
        let mut got = Vec::new();
        rusthdl::run_inspect(&s, &mut |_, words| got = words.clone()).unwrap();
        assert_eq!(got.len(), v.words.len(), "{}: word count", v.name);
        if let Some(i) = (0..got.len()).find(|&i| got[i] != v.words[i]) {
            panic!(
                "{}: core word {i} is {:08x}, frozen {:08x}",
                v.name, got[i], v.words[i]
            );
        }
    }
}

#[test]
fn the_test_kits_xorshift_is_the_engines() {
    // neurice-testkit restates the engines' gap/backpressure sequence for the model's tests;
    // the generated stimuli of these tests depend on the two being equal.
    let (mut a, mut b) = (
        neurice_sim::XorShift64::new(0),
        neurice_testkit::XorShift64::new(0),
    );
    for _ in 0..1000 {
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
