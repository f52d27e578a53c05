//! The event core (`neurice_hdl::events::EventCore`) against the golden model
//! (`neurice_model::events::encode`), word for word and segment end for segment end: in
//! rust-hdl's simulator (driven directly), as emitted Verilog under Verilator and as yosys'
//! iCE40 netlist under Verilator (both through the project's own harness,
//! `sim/harness/harness.cpp`: the event core has the coder cores' ports), on the known
//! answer, generated signals (1 to 16 channels, several parameter sets, input gaps and
//! output backpressure), a `clear` between streams, and the recordings (one per run, and as
//! 1024 channels). Also the event latency in clocks and the state RAM's contents. `out_last`
//! marks every segment's last word but the stream's: the end of the stream ends that one
//! (marked only when the flush emits it).

mod common;

use common::{gatelevel_or_skip, verilator_or_skip};
use neurice_hdl::events::{event_verilog, EventCore};
use neurice_model::events::{encode, stream_words, Encoder, EventParams};
use neurice_model::CodecParams;
use neurice_sim::{Pattern, Stimulus};
use neurice_testkit::{spiky_walk, trace, XorShift64};
use rust_hdl::prelude::*;

/// The model's words and the indices of the segments' last words.
fn model(p: &EventParams, samples: &[u32]) -> (Vec<u32>, Vec<usize>) {
    let (segs, _) = encode(p, samples).unwrap();
    stream_words(&segs)
}

/// `frames` frames of generated channels (spiky walks and traces), as in
/// `golden-model/tests/events.rs`.
fn signal(channels: usize, frames: usize, seed: u64) -> Vec<u32> {
    let chans: Vec<Vec<u16>> = (0..channels)
        .map(|c| {
            if c % 2 == 0 {
                spiky_walk(frames, seed + c as u64)
            } else {
                trace(frames, seed + c as u64)
            }
        })
        .collect();
    (0..frames * channels)
        .map(|i| chans[i % channels][i / channels] as u32)
        .collect()
}

/// `xs` (interleaved, `channels` channels) with every third channel (1, 4, …) amplified
/// three times about 512 and clipped to the grid: channels that sit on the rails (0 and
/// 1023) for the rail rule (FORMAT.md §12.3).
fn with_rails(mut xs: Vec<u32>, channels: usize) -> Vec<u32> {
    for (i, x) in xs.iter_mut().enumerate() {
        if i % channels % 3 == 1 {
            *x = (3 * *x as i64 - 1024).clamp(0, 1023) as u32;
        }
    }
    // channel 0 on the upper rail in frames 60 … 259: the saturation rule rejects it and,
    // in the longer runs, releases it
    for (i, x) in xs.iter_mut().enumerate() {
        if i % channels == 0 && (60..260).contains(&(i / channels)) {
            *x = 1023;
        }
    }
    xs
}

/// Whether the model's saturation rule rejected channel 0 of `xs` at some frame, and
/// released it later.
fn channel0_rejected_and_released(p: &EventParams, xs: &[u32], channels: usize) -> (bool, bool) {
    let mut st = neurice_model::events::ChannelState::default();
    let (mut rejected, mut released) = (false, false);
    for t in 0..xs.len() / channels {
        let f = neurice_model::events::FrameInfo::of(p, t as u64);
        neurice_model::events::detect::step(p, &mut st, xs[t * channels], &f);
        released |= rejected && !st.rejected;
        rejected |= st.rejected;
    }
    (rejected, released)
}

/// The known answer of `golden-model/tests/events.rs` (`known_answer_stream`).
fn kat() -> (EventParams, Vec<u32>, Vec<u32>) {
    let p = EventParams {
        bin_frames: 40,
        segment_bins: 3,
        latency_frames: 4,
        noise_period_log2: 5,
        noise_sub_log2: 1,
        ..EventParams::new(3).with_k(1.5).unwrap()
    };
    let words = "00000000 0038364b c0000000 00000800 0c000000 01a18086 00100000 00050000 \
                 00846a23 00000000 80000000 00000040 00e2751e 80000000 00361907 08000000 \
                 00000000 0fa65238 06000000 00000010 11cea780 00000000 04d348ea 00000000 \
                 00000003 00000000 120c0440"
        .split_whitespace()
        .map(|w| u32::from_str_radix(w, 16).unwrap())
        .collect();
    (p, signal(3, 360, 77), words)
}

/// What a rust-hdl run gave.
#[derive(Debug, Default)]
struct Run {
    words: Vec<u32>,
    ends: Vec<usize>,
    cycles: u64,
    /// The cycle each sample was taken, the cycle each word was taken.
    accepted_at: Vec<u64>,
    word_at: Vec<u64>,
    /// The state fields of channel 0 after the run.
    state0: [u16; 6],
    /// The state RAM's accesses during this stream (the clear before it included).
    accesses: neurice_hdl::events::ram::Accesses,
}

/// The core in rust-hdl's simulator, driven directly (inputs set with the clock low): the
/// streams one after the other, a flush after each and a `clear` between them, an input gap
/// in about `gap` / 1000 of the clocks and `out_ready` low in about `bp` / 1000.
fn run_rusthdl<const C: usize>(
    p: &EventParams,
    streams: &[Vec<u32>],
    gap: u64,
    bp: u64,
    seed: u64,
) -> Vec<Run> {
    let mut uut = Box::new(EventCore::<C>::new(p).unwrap());
    uut.connect_all();
    check_all(uut.as_ref()).unwrap();
    let u = uut.as_mut();
    let mut rng = XorShift64::new(seed);
    let channels = p.channels as usize;
    let mut out = Vec::new();
    let mut cycles = 0u64;
    for (si, samples) in streams.iter().enumerate() {
        let mut r = Run::default();
        let before = u.state_accesses();
        if si > 0 {
            // clear until idle, then drop it
            let mut n = 0;
            loop {
                u.clock.next = Clock::from(false);
                u.in_valid.next = false;
                u.clear.next = true;
                u.flush.next = false;
                u.out_ready.next = true;
                assert!(simulate(u, 200));
                if u.idle.val() && n > 0 {
                    break;
                }
                u.clock.next = Clock::from(true);
                assert!(simulate(u, 200));
                n += 1;
                assert!(n < 1 << 12, "clear did not finish: {}", u.debug_state());
            }
            u.clear.next = false;
        }
        let mut next = 0;
        let mut quiet = 0u64;
        let mut flushing = 0u64;
        loop {
            let offer = next < samples.len() && rng.next_u64() % 1000 >= gap;
            let ready = rng.next_u64() % 1000 >= bp;
            u.clock.next = Clock::from(false);
            u.in_valid.next = offer;
            let (ch, x) = if next < samples.len() {
                (next % channels, samples[next])
            } else {
                (0, 0)
            };
            u.in_channel.next = (ch as u64).into();
            u.in_sample.next = (x as u64).into();
            u.out_ready.next = ready;
            u.flush.next = next == samples.len();
            u.clear.next = false;
            assert!(simulate(u, 200));
            if next == samples.len() && u.idle.val() && !u.out_valid.val() {
                break;
            }
            let taken = offer && u.in_ready.val();
            if u.out_valid.val() && ready {
                if u.out_last.val() {
                    r.ends.push(r.words.len());
                }
                r.words.push(u.out_word.val().to_u32());
                r.word_at.push(cycles);
            }
            if taken {
                r.accepted_at.push(cycles);
                next += 1;
            }
            u.clock.next = Clock::from(true);
            assert!(simulate(u, 200));
            cycles += 1;
            r.cycles += 1;
            if taken {
                quiet = 0;
            } else {
                quiet += 1;
                assert!(quiet < 1 << 16, "no progress: {}", u.debug_state());
            }
            if next == samples.len() {
                flushing += 1;
                assert!(flushing < 1 << 16, "flush stuck: {}", u.debug_state());
            }
        }
        r.state0 = u.state_fields(0);
        let after = u.state_accesses();
        for f in 0..after.reads.len() {
            r.accesses.reads[f] = after.reads[f] - before.reads[f];
            r.accesses.writes[f] = after.writes[f] - before.writes[f];
        }
        out.push(r);
    }
    out
}

fn assert_run(got: &Run, want: &(Vec<u32>, Vec<usize>), what: &str) {
    if let Some(i) = (0..got.words.len().min(want.0.len())).find(|&i| got.words[i] != want.0[i]) {
        panic!(
            "{what}: word {i} is {:#010x}, the model's {:#010x} ({} words, model {})",
            got.words[i],
            want.0[i],
            got.words.len(),
            want.0.len()
        );
    }
    assert_eq!(got.words.len(), want.0.len(), "{what}: word count");
    // the end of the stream ends its last segment: the core marks that word only when the
    // flush emits it (a word the latency rule or a full word sent earlier is not marked)
    let last = want.0.len().wrapping_sub(1);
    let inner = |v: &[usize]| v.iter().copied().filter(|&e| e != last).collect::<Vec<_>>();
    assert_eq!(inner(&got.ends), inner(&want.1), "{what}: segment ends");
}

#[test]
fn rusthdl_known_answer() {
    let (p, xs, words) = kat();
    let want = model(&p, &xs);
    assert_eq!(want.0, words, "the model moved from the known answer");
    for (gap, bp, seed) in [(0, 0, 1), (300, 400, 2)] {
        let got = run_rusthdl::<2>(&p, std::slice::from_ref(&xs), gap, bp, seed);
        assert_run(
            &got[0],
            &want,
            &format!("KAT, gaps {gap}, backpressure {bp}"),
        );
    }
}

fn variants(channels: u32) -> Vec<EventParams> {
    let base = EventParams::new(channels).with_k(2.0).unwrap();
    vec![
        EventParams {
            bin_frames: 50,
            segment_bins: 2,
            noise_period_log2: 5,
            noise_sub_log2: 2,
            rail_frames: 5,
            sat_epoch_log2: 1,
            ..base
        },
        EventParams {
            bin_frames: 31,
            latency_frames: 1,
            power_mantissa: 2,
            power_shift: 0,
            refractory_frames: 1,
            noise_period_log2: 4,
            noise_sub_log2: 0,
            noise_fast_log2: 0,
            noise_slow_log2: 2,
            frac_bits: 0,
            rail_frames: 1,
            sat_epoch_log2: 2,
            ..base
        },
        EventParams {
            bin_frames: 64,
            segment_bins: 5,
            latency_frames: 0,
            power_mantissa: 8,
            refractory_frames: 64,
            frac_bits: 5,
            noise_period_log2: 6,
            noise_sub_log2: 6,
            rail_frames: 0,
            sat_epoch_log2: 0,
            ..base
        },
    ]
}

/// 1, 2, 5 and 16 channels, three parameter sets, with gaps and backpressure.
#[test]
fn rusthdl_generated_signals() {
    for (vi, p) in variants(5).into_iter().enumerate() {
        for (c, frames) in [(1usize, 700usize), (2, 500), (5, 400)] {
            let p = EventParams {
                channels: c as u32,
                ..p
            };
            let xs = with_rails(signal(c, frames, 40 + vi as u64), c);
            if p.sat_epoch_log2 > 0 && frames >= 500 {
                // the runs cover the saturation rule both ways
                assert_eq!(
                    channel0_rejected_and_released(&p, &xs, c),
                    (true, true),
                    "variant {vi}, {c} channels"
                );
            }
            let want = model(&p, &xs);
            let got = run_rusthdl::<3>(&p, std::slice::from_ref(&xs), 150, 250, 7 + vi as u64);
            assert_run(&got[0], &want, &format!("variant {vi}, {c} channels"));
        }
        let p = EventParams { channels: 16, ..p };
        let xs = with_rails(signal(16, 300, 90 + vi as u64), 16);
        let want = model(&p, &xs);
        let got = run_rusthdl::<4>(&p, std::slice::from_ref(&xs), 50, 500, 3);
        assert_run(&got[0], &want, &format!("variant {vi}, 16 channels"));
    }
}

/// Two streams with a `clear` between them: the second equals a fresh encoding, so the clear
/// restarted the frame count, the packer and every channel's state; the state RAM of channel 0
/// after a stream is the model's state.
#[test]
fn rusthdl_clear_restarts_and_the_state_is_the_models() {
    let p = variants(6)[0];
    let a = signal(6, 333, 5);
    let b = with_rails(signal(6, 260, 6), 6);
    let got = run_rusthdl::<3>(&p, &[a.clone(), b.clone()], 100, 300, 9);
    assert_run(&got[0], &model(&p, &a), "first stream");
    assert_run(&got[1], &model(&p, &b), "after the clear");
    let mut e = Encoder::new(&p).unwrap();
    for &x in &b {
        e.push(x).unwrap();
    }
    // the model's channel-0 state after the second stream, packed as the RAM holds it
    let mut st = neurice_model::events::ChannelState::default();
    for t in 0..260u64 {
        let f = neurice_model::events::FrameInfo::of(&p, t);
        neurice_model::events::detect::step(&p, &mut st, b[(t * 6) as usize], &f);
    }
    let packed = neurice_model::events::detect::pack(&p, &st);
    assert_eq!(&got[1].state0[..], &packed[..], "channel 0's state fields");
}

/// Channel counts whose last flag word (16 channels a word) is short, so that a word is
/// left and read again within the pipeline's depth (17 to 20 channels), with the rail rule
/// keeping `ctl` busy, gaps and backpressure, and the same without gaps (where a flag word is
/// read in the clock one of its bits is written, unless the interlock waits).
#[test]
fn rusthdl_flag_words_across_groups() {
    for (i, c) in [17usize, 18, 19, 20, 33].into_iter().enumerate() {
        let p = EventParams {
            channels: c as u32,
            refractory_frames: 3,
            ..variants(c as u32)[0]
        };
        let xs = with_rails(signal(c, 300, 60 + i as u64), c);
        let want = model(&p, &xs);
        for (gap, bp) in [(0, 0), (200, 300)] {
            let got = run_rusthdl::<6>(&p, std::slice::from_ref(&xs), gap, bp, 11 + i as u64);
            assert_run(
                &got[0],
                &want,
                &format!("{c} channels, gaps {gap}, backpressure {bp}"),
            );
        }
    }
}

/// What the model says the state RAM must do for `xs` (`p.channels` channels): per sample,
/// whether the channel's `ctl` is non-zero before it (its flag is set: `ctl` is read), whether
/// `ctl` changes to a non-zero value (written), and whether it turns zero or non-zero (the
/// flag written).
fn model_ctl_traffic(p: &EventParams, xs: &[u32]) -> (u64, u64, u64) {
    use neurice_model::events::{detect, ChannelState, FrameInfo};
    let c = p.channels as usize;
    let mut st = vec![ChannelState::default(); c];
    let ctl = |p: &EventParams, s: &ChannelState| *detect::pack(p, s).last().unwrap();
    let (mut reads, mut writes, mut flags) = (0, 0, 0);
    for (i, &x) in xs.iter().enumerate() {
        let f = FrameInfo::of(p, (i / c) as u64);
        let before = ctl(p, &st[i % c]);
        detect::step(p, &mut st[i % c], x, &f);
        let after = ctl(p, &st[i % c]);
        reads += (before != 0) as u64;
        writes += (after != before && after != 0) as u64;
        flags += ((after != 0) != (before != 0)) as u64;
    }
    (reads, writes, flags)
}

/// Block-RAM accesses per sample on 1024 channels (the recordings, or generated signals
/// with rails): `s1`, `s2`, `est` read once a sample; `ctl` read only for the samples whose
/// channel has a non-zero `ctl` (its flag), written only when it changes to a non-zero value;
/// one flag word read per 16 channels; a flag bit written when `ctl` turns zero or non-zero
/// — each exactly as the model's state says.
#[test]
fn rusthdl_memory_accesses_per_sample() {
    // a short warm-up (noise periods of 32 frames): the threshold is 0 in period 0
    let frames = 100;
    let p = EventParams {
        noise_period_log2: 5,
        ..EventParams::new(1024)
    };
    let xs = with_rails(recordings_1024(frames), 1024);
    let got = run_rusthdl::<10>(&p, std::slice::from_ref(&xs), 0, 0, 5);
    assert_run(&got[0], &model(&p, &xs), "accesses run");
    let a = got[0].accesses;
    let n = xs.len() as u64;
    let (ctl_reads, ctl_writes, flag_writes) = model_ctl_traffic(&p, &xs);
    let per = |v: u64| v as f64 / n as f64;
    eprintln!(
        "{n} samples: reads per sample {:.4} (s1 s2 est noise pow ctl flag: {:?}), writes per \
         sample {:.4} ({:?})",
        per(a.total_reads()),
        a.reads,
        per(a.total_writes()),
        a.writes
    );
    assert_eq!(&a.reads[..3], &[n, n, n], "s1, s2, est reads");
    assert_eq!(
        a.reads[5], ctl_reads,
        "ctl reads: one per sample with ctl != 0"
    );
    assert!(ctl_reads > 0 && ctl_reads < n / 4, "{ctl_reads} ctl reads");
    assert_eq!(a.reads[6], n / 16, "flag words read: one per 16 channels");
    assert_eq!(
        a.writes[5], ctl_writes,
        "ctl writes: when it changes to non-zero"
    );
    assert_eq!(
        a.writes[6], flag_writes,
        "flag writes: when ctl turns zero or non-zero"
    );
    assert!(flag_writes > 0, "no flag ever set");
    assert_eq!(&a.writes[..2], &[n, n], "s1, s2 writes");
}

/// A channel's event leaves as a word within the latency rule: at most `L` frames of clocks
/// (plus the pipeline) after its sample was taken, here with `L = 2` on 8 channels.
#[test]
fn rusthdl_event_latency() {
    let p = EventParams {
        latency_frames: 2,
        ..variants(8)[0]
    };
    let xs = signal(8, 1000, 12);
    // the stream bit position after each sample's code
    let mut e = Encoder::new(&p).unwrap();
    let mut events = Vec::new();
    for (i, &x) in xs.iter().enumerate() {
        if e.push(x).unwrap().event {
            events.push((i, e.bits()));
        }
    }
    assert!(events.len() > 20, "{} events", events.len());
    let got = run_rusthdl::<3>(&p, std::slice::from_ref(&xs), 0, 0, 1);
    assert_run(&got[0], &model(&p, &xs), "latency run");
    let mut worst = 0;
    for &(i, end) in &events {
        let word = ((end - 1) / 32) as usize;
        let clocks = got[0].word_at[word] - got[0].accepted_at[i];
        worst = worst.max(clocks);
    }
    // L frames of 8 clocks, and the pipeline (the code is in the packer 8 edges after its
    // sample, the word on out_word one edge later)
    let bound = 2 * 8 + 9;
    eprintln!("latest event word {worst} clocks after its sample (bound {bound})");
    assert!(worst <= bound, "{worst} clocks");
}

/// 1024 channels of recordings (or generated signals without them), `frames` frames, gaps
/// and backpressure.
fn rusthdl_1024_channels_for(frames: usize) {
    let xs = recordings_1024(frames);
    let p = EventParams::new(1024);
    let got = run_rusthdl::<10>(&p, std::slice::from_ref(&xs), 100, 100, 4);
    assert_run(&got[0], &model(&p, &xs), "1024 channels");
}

/// Sampled: 100 frames (the first power bin's sums, no bin end).
#[test]
fn rusthdl_1024_channels() {
    rusthdl_1024_channels_for(100);
}

/// The full run: 800 frames (two power bins, three noise periods: the estimate's first
/// updates); about a minute.
#[test]
#[ignore]
fn rusthdl_1024_channels_full() {
    rusthdl_1024_channels_for(800);
}

/// `frames` frames of 1024 channels: recording `c mod n` (sorted) on channel `c`, as `neurice
/// sim --channels 1024` builds them; generated signals without the recordings.
fn recordings_1024(frames: usize) -> Vec<u32> {
    match common::data_dir() {
        Some(dir) => {
            let files = common::wavs(&dir);
            let recs: Vec<Vec<u32>> = files
                .iter()
                .take(1024)
                .map(|f| {
                    let w = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
                    neurice_model::grid::to_grid(&w.samples).0
                })
                .collect();
            let frames = frames.min(recs.iter().map(Vec::len).min().unwrap());
            (0..frames * 1024)
                .map(|i| recs[(i % 1024) % recs.len()][i / 1024])
                .collect()
        }
        None => {
            neurice_testkit::skip(
                "event core, the recordings as 1024 channels",
                "no recordings: generated signals on 1024 channels instead",
            );
            signal(1024, frames, 3)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Verilator (the emitted Verilog) and the gate-level netlist, through the project's harness
// ---------------------------------------------------------------------------------------

fn stim(channels: usize, xs: &[u32], gap: u32, bp: u32, label: &str) -> Stimulus {
    // the harness only needs the channels, the samples and the handshake pattern; the
    // parameters of a coder-v1 stimulus pass its checks (the event core is built from the
    // event parameters)
    Stimulus::new(
        CodecParams::HARDWARE,
        channels,
        xs.iter().map(|&x| x as u16).collect(),
        label,
    )
    .with_pattern(Pattern {
        input_gap_per_mille: gap,
        backpressure_per_mille: bp,
        seed: 0x5EED,
    })
}

fn check_raw(raw: &neurice_sim::verilator::RawRun, p: &EventParams, xs: &[u32], what: &str) {
    assert_eq!(raw.status, 0, "{what}: harness status");
    assert_eq!(raw.samples_taken as usize, xs.len(), "{what}");
    assert_eq!(raw.extra_words, 0, "{what}: words after idle");
    let got = Run {
        words: raw.words.clone(),
        ends: raw.ends.clone(),
        ..Default::default()
    };
    assert_run(&got, &model(p, xs), what);
}

fn dir(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The emitted Verilog: lint-clean (`verilator --lint-only -Wall`), then the known answer
/// and recordings one per run (4 × 5000 samples).
#[test]
fn verilog_gives_the_models_words() {
    if !verilator_or_skip("event core Verilog") {
        return;
    }
    use neurice_sim::verilator;
    let (kp, kxs, _) = kat();
    let v = event_verilog(&kp).unwrap();
    verilator::lint(&v, "top", &dir("events-lint")).expect("lint -Wall clean");
    let bin = verilator::build(&v, "top", &dir("events-vl")).unwrap();
    let raw = verilator::run_raw(&[&stim(3, &kxs, 200, 300, "KAT")], &bin, 1, &mut |_| {}).unwrap();
    check_raw(&raw[0], &kp, &kxs, "Verilator KAT");
    verilog_recordings(5000);
}

/// The full run: the three parameter sets of the rust-hdl tests on 16 channels with gaps and
/// backpressure (three more Verilator builds), and the recordings one per run × 20 000
/// samples.
#[test]
#[ignore]
fn verilog_gives_the_models_words_full() {
    if !verilator_or_skip("event core Verilog, full") {
        return;
    }
    use neurice_sim::verilator;
    for (vi, p) in variants(16).into_iter().enumerate() {
        let v = event_verilog(&p).unwrap();
        let bin = verilator::build(&v, "top", &dir(&format!("events-vl-{vi}"))).unwrap();
        let xs = with_rails(signal(16, 800, 30 + vi as u64), 16);
        let raw =
            verilator::run_raw(&[&stim(16, &xs, 100, 300, "16")], &bin, 1, &mut |_| {}).unwrap();
        check_raw(
            &raw[0],
            &p,
            &xs,
            &format!("Verilator variant {vi}, 16 channels"),
        );
    }

    verilog_recordings(20_000);
}

/// Four recordings one per run, `n` samples each (1 channel: the interlock paces the core).
fn verilog_recordings(n: usize) {
    use neurice_sim::verilator;
    let p1 = EventParams::new(1);
    let bin = verilator::build(&event_verilog(&p1).unwrap(), "top", &dir("events-vl-1")).unwrap();
    let recs: Vec<Vec<u32>> = match common::data_dir() {
        Some(d) => common::four_recordings(&d)
            .iter()
            .map(|f| {
                let w = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
                neurice_model::grid::to_grid(&w.samples).0[..n].to_vec()
            })
            .collect(),
        None => {
            neurice_testkit::skip(
                "event core Verilog, recordings one per run",
                "no recordings: generated signals instead",
            );
            (0..4).map(|s| signal(1, n, s)).collect()
        }
    };
    let stims: Vec<Stimulus> = recs
        .iter()
        .enumerate()
        .map(|(i, x)| stim(1, x, 100, 100, &format!("recording {i}")))
        .collect();
    let refs: Vec<&Stimulus> = stims.iter().collect();
    let raws = verilator::run_raw(&refs, &bin, 2, &mut |_| {}).unwrap();
    for (i, (raw, x)) in raws.iter().zip(&recs).enumerate() {
        check_raw(raw, &p1, x, &format!("Verilator recording {i}"));
    }
}

/// 1024 channels (the recordings as `neurice sim` interleaves them) under Verilator, 800
/// frames with 10 % gaps and backpressure and again without; the clocks per sample without
/// gaps are 1 plus the pad words' clocks.
#[test]
fn verilog_1024_channels() {
    verilog_1024_channels_for(800);
}

/// The full run: 3000 frames (3 072 000 samples), seven power bins and eleven noise periods.
#[test]
#[ignore]
fn verilog_1024_channels_full() {
    verilog_1024_channels_for(3000);
}

fn verilog_1024_channels_for(frames: usize) {
    if !verilator_or_skip("event core Verilog, 1024 channels") {
        return;
    }
    use neurice_sim::verilator;
    let p = EventParams::new(1024);
    let bin = verilator::build(&event_verilog(&p).unwrap(), "top", &dir("events-vl-1024")).unwrap();
    let xs = recordings_1024(frames);
    let raw =
        verilator::run_raw(&[&stim(1024, &xs, 100, 100, "1024")], &bin, 1, &mut |_| {}).unwrap();
    check_raw(&raw[0], &p, &xs, "Verilator, 1024 channels");
    let steady = verilator::run_raw(
        &[&stim(1024, &xs, 0, 0, "1024 steady")],
        &bin,
        1,
        &mut |_| {},
    )
    .unwrap();
    check_raw(&steady[0], &p, &xs, "Verilator, 1024 channels, no gaps");
    let per = steady[0].cycles as f64 / xs.len() as f64;
    eprintln!(
        "1024 channels, {} samples: {} clocks without gaps or backpressure ({per:.5} per \
         sample, flush included), {} words, {} stalls",
        xs.len(),
        steady[0].cycles,
        steady[0].words.len(),
        steady[0].stall_cycles
    );
    assert!(per < 1.002, "{per} clocks per sample");
}

/// The iCE40 netlist of the synthesis flow's own yosys stage, verilated with yosys' cell
/// models: 64 channels of recordings (300 frames) with gaps and backpressure. The longest
/// test of the file (the synthesis and the netlist's build: about 3 minutes), so it runs with
/// `--ignored`; the default run checks the same RTL under Verilator.
#[test]
#[ignore]
fn gate_level_gives_the_models_words() {
    if !gatelevel_or_skip("event core, gate level") {
        return;
    }
    use neurice_sim::{gatelevel, verilator};
    let p = EventParams::new(64);
    let net =
        gatelevel::netlist(&event_verilog(&p).unwrap(), "top", &dir("events-gl-yosys")).unwrap();
    let bin = gatelevel::build(&net, "top", &dir("events-gl")).unwrap();
    let all = recordings_1024(300);
    let xs: Vec<u32> = all
        .chunks(1024)
        .flat_map(|f| f[..64].iter().copied())
        .collect();
    let raw = verilator::run_raw(&[&stim(64, &xs, 100, 200, "64")], &bin, 1, &mut |_| {}).unwrap();
    check_raw(&raw[0], &p, &xs, "gate level, 64 channels");
}
