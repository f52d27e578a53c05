//! Event mode's agreement with the floating-point reference detector on the recordings
//! (FORMAT.md §12.9 quotes this example's output): each recording is one channel, the integer
//! detector (`neurice_model::events::detect`) against `neurice_model::fidelity`'s
//! `SpikeDetector` with [`reference_params`] (causal Butterworth of the core's band and order,
//! whole-recording MAD noise, `−k·σ`, the refractory period), events matched within ±0.5 ms;
//! power as Pearson's r of the decoded power codes against the reference's mean `|y|` per bin.
//! Not ground truth: two detectors compared.
//!
//! Prints the pooled precision and recall, the per-recording medians, the power r, and the
//! same without the recordings that sit on the 10-bit rails (0 or 1023) in 1 % or more of
//! their samples (clipped, railing channels: there the two filters see different signals).
//!
//! `cargo run --release -p neurice-model --example events_agree -- [DIR]`
//!
//! Parameters of the integer detector can be overridden through the environment, by their
//! field names: `noise_period_log2`, `noise_sub_log2`, `noise_fast_log2`, `noise_slow_log2`,
//! `k_q8`, `frac_bits`, `power_sub_log2`, `rail_frames`, `sat_epoch_log2` (e.g.
//! `sat_epoch_log2=0 cargo run ...`); `ref_k_q8` sets the reference's threshold apart from
//! the integer detector's (by default both use `k_q8`).
//!
//! Also prints the agreement against the reference with channel rejection (a recording with
//! ≥ 1 % of its samples at a rail has no reference events: `agreement::rejected_by_rails`)
//! and which recordings either side rejected.

use std::path::PathBuf;

use neurice_model::events::agreement::{measure, reference_params, Agreement};
use neurice_model::events::EventParams;
use neurice_model::fidelity::SpikeDetector;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(neurice_testkit::data_dir)
        .expect("no recordings: pass DIR or set NEURICE_DATA");
    let files = neurice_testkit::wavs(&dir);
    let mut p = EventParams::new(1);
    macro_rules! knob {
        ($($f:ident),*) => {$(
            if let Ok(v) = std::env::var(stringify!($f)) {
                p.$f = v.parse().expect(concat!(stringify!($f), ": a number"));
            }
        )*};
    }
    knob!(
        noise_period_log2,
        noise_sub_log2,
        noise_fast_log2,
        noise_slow_log2,
        k_q8,
        frac_bits,
        power_sub_log2,
        rail_frames,
        sat_epoch_log2
    );
    p.validate().expect("valid parameters");
    let mut rp = reference_params(&p);
    if let Ok(v) = std::env::var("ref_k_q8") {
        rp.threshold_sigmas = v.parse::<f64>().expect("ref_k_q8: a number") / 256.0;
    }
    let det = SpikeDetector::new(p.sample_rate_hz as f64, rp).unwrap();
    let recs: Vec<Vec<u32>> = files
        .iter()
        .map(|f| {
            let w = neurice_model::wav::parse_wav(&std::fs::read(f).expect("read")).expect("WAV");
            neurice_model::grid::to_grid(&w.samples).0
        })
        .collect();
    let per: Vec<Agreement> = std::thread::scope(|s| {
        let handles: Vec<_> = recs
            .chunks(recs.len().div_ceil(2).max(1))
            .map(|c| {
                let (p, det) = (&p, &det);
                s.spawn(move || {
                    c.iter()
                        .map(|x| measure(p, det, x).expect("10-bit samples"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let railing = |x: &[u32]| {
        x.iter().filter(|&&v| v == 0 || v == 1023).count() as f64 / x.len() as f64 >= 0.01
    };
    let (mut all, mut kept, mut rails) = (Agreement::default(), Agreement::default(), 0);
    for (a, x) in per.iter().zip(&recs) {
        all.merge(a);
        if railing(x) {
            rails += 1;
            println!(
                "railing recording: {} reference events ({} with the rail rule), {} integer \
                 events ({} frames rejected), {} false positives, {} misses",
                a.reference_events,
                a.reference_events_blanked,
                a.detector_events,
                a.detector_rejected_frames,
                a.events.false_positives,
                a.events.false_negatives
            );
        } else {
            kept.merge(a);
        }
    }
    let median = |f: &dyn Fn(&Agreement) -> Option<f64>| {
        let mut v: Vec<f64> = per.iter().filter_map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let pct = |v: Option<f64>| v.map_or(f64::NAN, |v| 100.0 * v);
    println!(
        "{} recordings, {} reference events, {} integer events",
        all.recordings, all.reference_events, all.detector_events
    );
    println!(
        "pooled: precision {:.1} %, recall {:.1} %; per-recording median {:.1} % / {:.1} %; \
         power r {:.4}",
        pct(all.precision()),
        pct(all.recall()),
        100.0 * median(&|a| a.precision()),
        100.0 * median(&|a| a.recall()),
        all.power.r().unwrap_or(f64::NAN)
    );
    println!(
        "without the {rails} railing recordings (≥ 1 % of samples at 0 or 1023): precision \
         {:.1} %, recall {:.1} %, power r {:.4}",
        pct(kept.precision()),
        pct(kept.recall()),
        kept.power.r().unwrap_or(f64::NAN)
    );
    // the halves: a constant chosen by measurement is chosen on the even-index recordings
    // (in `neurice_testkit::wavs` order) and reported on the odd ones
    for (half, name) in [(0, "even-index"), (1, "odd-index")] {
        let mut a = Agreement::default();
        for x in per.iter().skip(half).step_by(2) {
            a.merge(x);
        }
        println!(
            "{name} recordings ({}): precision {:.1} %, recall {:.1} %, power r {:.4}; \
             against the reference with the rail rule {:.1} % / {:.1} %; with channel \
             rejection {:.1} % / {:.1} % ({} rejected by the reference, {} by the detector)",
            a.recordings,
            pct(a.precision()),
            pct(a.recall()),
            a.power.r().unwrap_or(f64::NAN),
            pct(a.events_blanked.precision()),
            pct(a.events_blanked.recall()),
            pct(a.events_rejecting.precision()),
            pct(a.events_rejecting.recall()),
            a.reference_rejected,
            a.detector_rejected
        );
    }
    println!(
        "against the reference with channel rejection (≥ 1 % of samples at a rail: {} \
         recordings, {} events left): precision {:.1} %, recall {:.1} %; the integer detector \
         rejected {} recordings at some frame ({} frames in all)",
        all.reference_rejected,
        all.reference_events_rejecting,
        pct(all.events_rejecting.precision()),
        pct(all.events_rejecting.recall()),
        all.detector_rejected,
        all.detector_rejected_frames
    );
    for (i, (a, x)) in per.iter().zip(&recs).enumerate() {
        if a.detector_rejected > 0 || neurice_model::events::agreement::rejected_by_rails(x) {
            println!(
                "recording {i}: reference rejects: {}, detector rejected {} of {} frames, {} \
                 integer events, {} reference events",
                neurice_model::events::agreement::rejected_by_rails(x),
                a.detector_rejected_frames,
                a.frames,
                a.detector_events,
                a.reference_events
            );
        }
    }
    println!(
        "against the reference with the rail rule ({} events): precision {:.1} %, recall \
         {:.1} %",
        all.reference_events_blanked,
        pct(all.events_blanked.precision()),
        pct(all.events_blanked.recall())
    );
    for (what, a) in [("all", &all), ("without the railing", &kept)] {
        println!(
            "{what}: {} false positives, {} misses",
            a.events.false_positives, a.events.false_negatives
        );
    }
}
