//! `neurice eval --coder events`: event mode on recordings (FORMAT.md §12.9) — the stream's
//! rate for 1024 channels (recording `c mod n` on channel `c`, as `neurice sim` interleaves
//! them) with packet framing and its worst 100 ms, events per second per channel, the ratio
//! against the WAV, and the agreement with the floating-point reference detector (precision
//! and recall within ±0.5 ms, power correlation; each recording one channel). Features, not
//! the waveform: nothing here is lossless, and the agreement is two detectors compared, not
//! ground truth.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use neurice_model::events::{agreement, rate, EventParams};

/// The radio budget the rate is held against (issue 28), Mbit/s.
const RADIO_MBIT_S: f64 = 1.0;
/// The agreement target: precision and recall (each), and the power correlation.
const EVENTS_TARGET: f64 = 0.90;
const POWER_R_TARGET: f64 = 0.95;

#[derive(Serialize)]
struct Report {
    mode: &'static str,
    files: usize,
    frames_each: u64,
    sample_rate_hz: u32,
    /// The event parameters (FORMAT.md §12.1) that matter to the reader.
    k: f64,
    bin_frames: u16,
    refractory_frames: u8,
    latency_frames: u8,
    packet_bytes: u16,
    state_bits_per_channel: u32,
    /// 1024 channels of the recordings.
    rate_1024: rate::Rate,
    /// The 16-bit WAV's bits for the same samples over the packets' bits.
    ratio_vs_wav: f64,
    radio_mbit_s: f64,
    rate_met: bool,
    precision: Option<f64>,
    recall: Option<f64>,
    power_r: Option<f64>,
    agreement: agreement::Agreement,
    agreement_met: bool,
}

/// Loads each recording (one channel, 16-bit PCM) as grid indices; all at one sample rate.
fn load(files: &[PathBuf]) -> Result<(u32, Vec<Vec<u32>>)> {
    let mut rate = None;
    let mut recs = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let w = neurice_model::wav::parse_wav(&bytes)
            .with_context(|| format!("{}: not a WAV the coders take", f.display()))?;
        if w.channels != 1 {
            bail!(
                "{}: {} channels; event mode takes one electrode per WAV (as the recordings are)",
                f.display(),
                w.channels
            );
        }
        if *rate.get_or_insert(w.sample_rate) != w.sample_rate {
            bail!(
                "{}: {} Hz, the other recordings {} Hz; event mode codes frames of one rate",
                f.display(),
                w.sample_rate,
                rate.unwrap_or(0)
            );
        }
        if w.samples.is_empty() {
            bail!("{}: no samples", f.display());
        }
        recs.push(neurice_model::grid::to_grid(&w.samples).0);
    }
    Ok((rate.unwrap_or(0), recs))
}

pub fn eval(files: &[PathBuf], json: bool) -> Result<ExitCode> {
    if files.is_empty() {
        bail!("no recordings to evaluate");
    }
    let (fs, recs) = load(files)?;
    let p = EventParams {
        sample_rate_hz: fs,
        ..EventParams::new(1024)
    };
    p.validate().context("event parameters")?;
    let r = rate::measure(&p, &recs)?;
    let a = agreement::measure_recordings(&EventParams { channels: 1, ..p }, &recs)?;
    let wav_bits = r.frames as f64 * r.channels as f64 * 16.0;
    let rep = Report {
        mode: "events",
        files: files.len(),
        frames_each: r.frames,
        sample_rate_hz: fs,
        k: p.k(),
        bin_frames: p.bin_frames,
        refractory_frames: p.refractory_frames,
        latency_frames: p.latency_frames,
        packet_bytes: p.packet_bytes,
        state_bits_per_channel: p.state_bits(),
        ratio_vs_wav: wav_bits / r.link_bits as f64,
        radio_mbit_s: RADIO_MBIT_S,
        rate_met: r.link_mbit_s <= RADIO_MBIT_S && r.worst_100ms_link_mbit_s <= RADIO_MBIT_S,
        precision: a.precision(),
        recall: a.recall(),
        power_r: a.power.r(),
        agreement_met: a.precision().is_some_and(|v| v >= EVENTS_TARGET)
            && a.recall().is_some_and(|v| v >= EVENTS_TARGET)
            && a.power.r().is_some_and(|v| v >= POWER_R_TARGET),
        rate_1024: r,
        agreement: a,
    };
    if json {
        println!("{}", serde_json::to_string(&rep)?);
    } else {
        print_text(&rep);
    }
    // a measurement, not a check: the targets are reported, the exit code says it ran
    Ok(ExitCode::SUCCESS)
}

fn print_text(r: &Report) {
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1} %", 100.0 * v));
    let met = |b: bool| if b { "met" } else { "MISSED" };
    let x = &r.rate_1024;
    println!(
        "event mode (features, not the waveform; FORMAT.md §12), {} recordings of {} frames \
         at {} Hz, k = {}, bins of {} frames",
        r.files, r.frames_each, r.sample_rate_hz, r.k, r.bin_frames
    );
    println!(
        "1024 channels: {:.3} events/s/channel; {:.4} Mbit/s with packet framing (payload \
         {:.4}), worst 100 ms {:.4} Mbit/s; ratio against the 16-bit WAV {:.0}x; radio \
         budget {} Mbit/s: {}",
        x.events_per_s_per_channel,
        x.link_mbit_s,
        x.payload_mbit_s,
        x.worst_100ms_link_mbit_s,
        r.ratio_vs_wav,
        r.radio_mbit_s,
        met(r.rate_met)
    );
    println!(
        "agreement with the float reference detector (not ground truth; each recording one \
         channel, ±0.5 ms): precision {}, recall {}, power r {}; {} reference events, {} \
         detected; target ≥ 90 % / ≥ 90 % / ≥ 0.95: {}",
        pct(r.precision),
        pct(r.recall),
        r.power_r.map_or("n/a".to_string(), |v| format!("{v:.4}")),
        r.agreement.reference_events,
        r.agreement.detector_events,
        met(r.agreement_met)
    );
}
