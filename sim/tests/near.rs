//! The bounded-error cores (FORMAT.md §11; `neurice_hdl::lattice`) against the golden model
//! (`neurice_model::lite::encode_all_near`): rust-hdl's simulator driven directly, Verilator
//! on the emitted Verilog and on the gate-level netlist, on generated signals (full-scale
//! noise, extremes, the grid's ends, one channel back to back, 1024 channels) and on
//! recordings, with gaps and backpressure. The engines of `neurice_sim` do not carry δ yet
//! (`CoreDesign` is being reworked), so the rust-hdl bench is this file's own and the Verilator
//! runs use the harness through `verilator::run_raw` (the harness codes nothing; the words are
//! compared here).

mod common;

use std::path::PathBuf;

use common::*;
use neurice_hdl::{Core1024, Core2x512, EncoderCore};
use neurice_model::lite::{decode_all_near, encode_all_near};
use neurice_model::near::Quantiser;
use neurice_model::CodecParams;
use neurice_sim::{gatelevel, load_indices, verilator, Pattern, Stimulus, XorShift64};
use rust_hdl::prelude::*;

const P: CodecParams = CodecParams::HARDWARE;

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator-near")
}

/// The model's words for `samples` of `channels` channels, after checking that the model's own
/// decoder gives back every sample within δ.
fn model_words(qz: &Quantiser, channels: usize, samples: &[u16]) -> Vec<u32> {
    let xs: Vec<u32> = samples.iter().map(|&x| x as u32).collect();
    let (words, bits, _) = encode_all_near(&P, qz, channels, &xs).expect("model encodes");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let back = decode_all_near(&P, qz, channels, xs.len(), &bytes, bits).expect("model decodes");
    for (i, (&a, &b)) in xs.iter().zip(&back).enumerate() {
        assert!(a.abs_diff(b) <= qz.delta(), "sample {i}: {a} → {b}");
    }
    words
}

/// The ports the bench drives: the 1-lane core (one sample per transfer) and the 2-lane core
/// (a channel pair).
trait Dut: Block {
    const LANES: usize;
    fn set(&mut self, valid: bool, channel: usize, s: &[u16], ready: bool, flush: bool);
    fn clock_to(&mut self, high: bool);
    fn in_taken(&self) -> bool;
    /// The word taken at this edge, if any.
    fn out_taken(&self) -> Option<u32>;
    fn idle(&self) -> bool;
}

/// The [`Dut`] methods on the ports both cores share.
macro_rules! shared_ports {
    () => {
        fn clock_to(&mut self, high: bool) {
            self.clock.next = Clock::from(high);
        }
        fn in_taken(&self) -> bool {
            self.in_valid.val() && self.in_ready.val()
        }
        fn out_taken(&self) -> Option<u32> {
            (self.out_valid.val() && self.out_ready.val()).then(|| self.out_word.val().to_u32())
        }
        fn idle(&self) -> bool {
            self.idle.val()
        }
    };
}

impl<const C: usize> Dut for EncoderCore<C> {
    const LANES: usize = 1;
    fn set(&mut self, valid: bool, channel: usize, s: &[u16], ready: bool, flush: bool) {
        self.in_valid.next = valid;
        self.in_channel.next = (channel as u64).into();
        self.in_sample.next = (s[0] as u64).into();
        self.out_ready.next = ready;
        self.flush.next = flush;
        self.clear.next = false;
    }
    shared_ports!();
}

impl Dut for Core2x512 {
    const LANES: usize = 2;
    fn set(&mut self, valid: bool, channel: usize, s: &[u16], ready: bool, flush: bool) {
        self.in_valid.next = valid;
        self.in_pair.next = ((channel / 2) as u64).into();
        self.in_sample0.next = (s[0] as u64).into();
        self.in_sample1.next = (s[1] as u64).into();
        self.out_ready.next = ready;
        self.flush.next = flush;
        self.clear.next = false;
    }
    shared_ports!();
}

/// Runs `samples` of `channels` channels through the core (rust-hdl, driven directly: inputs
/// set with the clock low, then the edge), with `gap`/`bp` ‰ of cycles without input / without
/// output ready, and the flush at the end; returns the words.
fn run<T: Dut>(core: &mut T, channels: usize, samples: &[u16], gap: u32, bp: u32) -> Vec<u32> {
    core.connect_all();
    let mut rng = XorShift64::new(0x5EED ^ samples.len() as u64);
    let (mut next, mut words, mut cycles) = (0usize, Vec::new(), 0u64);
    let zeros = [0u16; 2];
    loop {
        let done = next >= samples.len();
        let valid = !done && !rng.chance(gap);
        let ready = !rng.chance(bp);
        let s = if done { &zeros[..] } else { &samples[next..] };
        core.clock_to(false);
        core.set(valid, next % channels, s, ready, done);
        assert!(simulate(core, 200), "settles");
        if done && core.idle() {
            break;
        }
        let took = core.in_taken();
        if let Some(w) = core.out_taken() {
            words.push(w);
        }
        core.clock_to(true);
        assert!(simulate(core, 200), "settles");
        if took {
            next += T::LANES;
        }
        cycles += 1;
        assert!(
            cycles < 20 * samples.len() as u64 + 10_000,
            "the core is stuck"
        );
    }
    words
}

fn check_rusthdl<T: Dut>(
    core: &mut T,
    qz: &Quantiser,
    channels: usize,
    s: &[u16],
    gap: u32,
    bp: u32,
    what: &str,
) {
    let want = model_words(qz, channels, s);
    let got = run(core, channels, s, gap, bp);
    assert_eq!(
        got.len(),
        want.len(),
        "δ {}: {what}: word count",
        qz.delta()
    );
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!(
            "δ {}: {what}: word {i} is {:#010x}, the model's {:#010x}",
            qz.delta(),
            got[i],
            want[i]
        );
    }
}

/// A sweep over the whole scale, both ends held: every lattice level and the clamped top.
fn ends(n: usize) -> Vec<u16> {
    (0..n)
        .map(|i| match (i / 700) % 4 {
            0 => 0,
            1 => ((i % 700) * 1023 / 699) as u16,
            2 => 1023,
            _ => (1023 - (i % 700) * 1023 / 699) as u16,
        })
        .collect()
}

/// The generated signals every engine gets: (label, channels, samples, gap ‰, backpressure ‰).
fn signals(n: usize) -> Vec<(&'static str, usize, Vec<u16>, u32, u32)> {
    vec![
        ("trace, 1 channel back to back", 1, trace(n, 1), 0, 0),
        ("full-scale noise, backpressure", 1, noise(n / 2, 4), 0, 400),
        ("extremes, 2 channels", 2, extremes(n / 2), 200, 200),
        ("the grid's ends, 3 channels", 3, ends(n), 100, 0),
        ("flat runs, 2 channels", 2, flat(n / 2), 0, 0),
        (
            "1024 channels",
            1024,
            (0..1024 * 12)
                .map(|i| ((i * 37 + i / 1024 * 5) % 1024) as u16)
                .collect(),
            100,
            100,
        ),
    ]
}

#[test]
fn rusthdl_core_with_delta_matches_the_model() {
    for d in [1u32, 2, 5, 255] {
        let qz = Quantiser::grid(d).unwrap();
        for (what, ch, s, gap, bp) in signals(if d <= 2 { 12_000 } else { 4_000 }) {
            let mut core = Core1024::with_quantiser(&P, &qz).unwrap();
            check_rusthdl(&mut core, &qz, ch, &s, gap, bp, what);
        }
    }
}

#[test]
fn rusthdl_two_lane_core_with_delta_matches_the_model() {
    let qz = Quantiser::grid(2).unwrap();
    for (what, ch, mut s, gap, bp) in signals(8_000) {
        if ch % 2 == 1 {
            continue;
        }
        s.truncate(s.len() / ch * ch);
        let mut core = Core2x512::with_quantiser(&P, &qz).unwrap();
        check_rusthdl(&mut core, &qz, ch, &s, gap, bp, what);
    }
}

#[test]
fn a_core_built_for_another_delta_is_caught() {
    // the comparison is sharp: the δ = 1 core's words are not the δ = 2 model's
    let s = trace(3_000, 5);
    let mut core = Core1024::with_quantiser(&P, &Quantiser::grid(1).unwrap()).unwrap();
    let got = run(&mut core, 1, &s, 0, 0);
    assert_ne!(got, model_words(&Quantiser::grid(2).unwrap(), 1, &s));
    assert_eq!(got, model_words(&Quantiser::grid(1).unwrap(), 1, &s));
    // and a raw-mode quantiser is not a core the hardware builds
    assert!(Core1024::with_quantiser(&P, &Quantiser::raw(1).unwrap()).is_err());
}

/// Runs the stimuli through the Verilator model of `verilog` and compares each with the model.
fn check_verilated(bin: &std::path::Path, qz: &Quantiser, stims: &[Stimulus]) {
    let refs: Vec<&Stimulus> = stims.iter().collect();
    let raws = verilator::run_raw(&refs, bin, 2, &mut |_| {}).expect("harness runs");
    for (st, raw) in stims.iter().zip(&raws) {
        raw.check(st).expect("the run completes");
        let want = model_words(qz, st.channels, &st.samples);
        assert_eq!(
            raw.words.len(),
            want.len(),
            "δ {}: {}",
            qz.delta(),
            st.label
        );
        if let Some(i) = (0..want.len()).find(|&i| raw.words[i] != want[i]) {
            panic!(
                "δ {}: {}: word {i} differs from the model",
                qz.delta(),
                st.label
            );
        }
    }
}

fn stimuli(n: usize) -> Vec<Stimulus> {
    signals(n)
        .into_iter()
        .map(|(what, ch, s, gap, bp)| {
            Stimulus::new(P, ch, s, what).with_pattern(Pattern {
                input_gap_per_mille: gap,
                backpressure_per_mille: bp,
                seed: 7,
            })
        })
        .collect()
}

/// Recordings: every 60th file on its own, and 16 of them as 16 channels with gaps and
/// backpressure (2 000 frames); none when the recordings are absent.
fn recording_stimuli(test: &str) -> Vec<Stimulus> {
    let Some(dir) = data_or_skip(test) else {
        return Vec::new();
    };
    let files = wavs(&dir);
    let mut out: Vec<Stimulus> = files
        .iter()
        .step_by(60)
        .map(|f| {
            let s = load_indices(f).expect("a recording");
            Stimulus::new(P, 1, s, &f.display().to_string())
        })
        .collect();
    let sixteen: Vec<Vec<u16>> = files
        .iter()
        .step_by(files.len().div_ceil(16).max(1))
        .take(16)
        .map(|f| load_indices(f).unwrap())
        .collect();
    out.push(
        Stimulus::new(
            P,
            16,
            neurice_sim::interleave(&sixteen, Some(2_000)),
            "16 recordings",
        )
        .with_pattern(Pattern {
            input_gap_per_mille: 300,
            backpressure_per_mille: 300,
            seed: 3,
        }),
    );
    out
}

#[test]
fn verilated_cores_with_delta_match_the_model() {
    if !verilator_or_skip("verilated_cores_with_delta_match_the_model") {
        return;
    }
    let recs = recording_stimuli("verilated_cores_with_delta_match_the_model (recordings)");
    for (d, lanes) in [(1u32, 1usize), (2, 1), (2, 2)] {
        let qz = Quantiser::grid(d).unwrap();
        let rtl = neurice_hdl::verilog_near(&P, &qz, 1024, lanes).expect("Verilog");
        verilator::lint(&rtl, "top", &build_dir().join(format!("lint-{d}-{lanes}")))
            .expect("verilator --lint-only -Wall is clean");
        let bin = verilator::build(&rtl, "top", &build_dir()).expect("verilator build");
        let mut stims: Vec<Stimulus> = stimuli(20_000)
            .into_iter()
            .filter(|s| s.channels % lanes == 0)
            .collect();
        if lanes == 1 {
            stims.extend(recs.iter().cloned());
        }
        for s in stims.iter_mut() {
            let whole = s.samples.len() / s.channels * s.channels;
            s.samples.truncate(whole);
        }
        check_verilated(&bin, &qz, &stims);
    }
}

#[test]
fn gate_level_core_with_delta_matches_the_model() {
    if !gatelevel_or_skip("gate_level_core_with_delta_matches_the_model") {
        return;
    }
    let qz = Quantiser::grid(2).unwrap();
    let rtl = neurice_hdl::verilog_near(&P, &qz, 1024, 1).expect("Verilog");
    let work = build_dir().join("gatelevel-d2");
    let net = gatelevel::netlist(&rtl, "top", &work).expect("yosys synth_ice40");
    let bin = gatelevel::build(&net, "top", &build_dir()).expect("verilator build of the netlist");
    check_verilated(&bin, &qz, &stimuli(6_000));
}

#[test]
fn lossless_quantiser_builds_the_lossless_core() {
    // δ = 0 through the new constructor is the lossless core: the same words as the model's
    // lossless encoder
    let s = trace(4_000, 3);
    let mut core = Core1024::with_quantiser(&P, &Quantiser::LOSSLESS).unwrap();
    let xs: Vec<u32> = s.iter().map(|&x| x as u32).collect();
    let (want, _, _) = neurice_model::lite::encode_all(&P, 1, &xs).unwrap();
    assert_eq!(run(&mut core, 1, &s, 100, 100), want);
}
