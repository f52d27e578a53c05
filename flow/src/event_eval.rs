//! Event mode's eval (FORMAT.md §12.9): `neurice eval --coder events` and the flow's eval
//! stage for event mode. The recordings' event stream for 1024 channels (recording `c mod n`
//! on channel `c`, as `neurice sim` interleaves them, all cut to the shortest) with packet
//! framing and its worst 100 ms, events per second per channel, the ratio against the WAV,
//! and the agreement with the floating-point reference detector (precision and recall within
//! ±0.5 ms, power correlation; each recording one channel). Features, not the waveform:
//! nothing here is lossless, and the agreement is two detectors compared, not ground truth.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use neurice_model::events::{agreement, rate, EventParams};
use neurice_model::fidelity::SpikeDetector;

/// The radio budget the rate is held against (issue 28), Mbit/s.
pub const RADIO_MBIT_S: f64 = 1.0;
/// The agreement target: precision and recall (each) …
pub const EVENTS_TARGET: f64 = 0.90;
/// … and the power correlation.
pub const POWER_R_TARGET: f64 = 0.95;
/// The channels the rate is measured for (the implant's).
pub const RATE_CHANNELS: u32 = 1024;

/// What event mode's eval measured (`neurice eval --coder events --json`; the flow report's
/// `event_eval`).
#[derive(Clone, Debug, Serialize)]
pub struct EventEvalReport {
    /// `events`.
    pub mode: &'static str,
    pub files: usize,
    /// Frames of each recording measured (the shortest recording's).
    pub frames_each: u64,
    pub sample_rate_hz: u32,
    /// The event parameters (FORMAT.md §12.1) that matter to the reader.
    pub k: f64,
    pub bin_frames: u16,
    pub refractory_frames: u8,
    pub latency_frames: u8,
    pub packet_bytes: u16,
    pub state_bits_per_channel: u32,
    /// 1024 channels of the recordings: events, payload and packet bits, Mbit/s per second
    /// of recording (at `sample_rate_hz`), the worst 100 ms.
    pub rate_1024: rate::Rate,
    /// The 16-bit WAV's bits for the same samples over the packets' bits.
    pub ratio_vs_wav: f64,
    pub radio_mbit_s: f64,
    pub rate_met: bool,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub power_r: Option<f64>,
    pub agreement: agreement::Agreement,
    pub agreement_met: bool,
    /// The same against the reference with channel rejection (a recording with ≥ 1 % of its
    /// samples on a rail is rejected, FORMAT.md §12.9).
    pub precision_rejecting: Option<f64>,
    pub recall_rejecting: Option<f64>,
    pub agreement_met_rejecting: bool,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl EventEvalReport {
    /// The packets' bits (framing included) per sample of the 1024 channels.
    pub fn link_bits_per_sample(&self) -> f64 {
        let r = &self.rate_1024;
        r.link_bits as f64 / (r.frames as f64 * r.channels as f64).max(1.0)
    }
}

/// Loads one recording (one channel, 16-bit PCM) as grid indices, with its sample rate.
fn load_one(f: &PathBuf) -> Result<(u32, Vec<u32>)> {
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
    if w.samples.is_empty() {
        bail!("{}: no samples", f.display());
    }
    Ok((w.sample_rate, neurice_model::grid::to_grid(&w.samples).0))
}

/// Event mode's eval of `files` with the parameters `params` (their channels and sample rate
/// are replaced: [`RATE_CHANNELS`] for the rate, one per recording for the agreement, the
/// WAVs' rate, which must be one) in `threads` threads (default: all cores); `progress` is
/// called after each recording's agreement with the recordings done so far.
pub fn run_event_eval(
    files: &[PathBuf],
    params: &EventParams,
    threads: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<EventEvalReport> {
    if files.is_empty() {
        bail!("no recordings to evaluate");
    }
    let start = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let loaded: Vec<(u32, Vec<u32>)> =
        pool.install(|| files.par_iter().map(load_one).collect::<Result<_>>())?;
    let fs = loaded[0].0;
    if let Some((f, (r, _))) = files.iter().zip(&loaded).find(|(_, (r, _))| *r != fs) {
        bail!(
            "{}: {r} Hz, the other recordings {fs} Hz; event mode codes frames of one rate",
            f.display()
        );
    }
    let recs: Vec<Vec<u32>> = loaded.into_iter().map(|(_, x)| x).collect();
    let p = EventParams {
        sample_rate_hz: fs,
        channels: RATE_CHANNELS,
        ..*params
    };
    p.validate().context("event parameters")?;
    let r = rate::measure(&p, &recs)?;
    // the agreement per recording in parallel, merged in the recordings' order (the same sums
    // as `agreement::measure_recordings`)
    let one = EventParams { channels: 1, ..p };
    let reference = SpikeDetector::new(fs as f64, agreement::reference_params(&one))
        .map_err(|e| anyhow::anyhow!("event mode reference detector: {e}"))?;
    let done = AtomicU64::new(0);
    let each: Vec<agreement::Agreement> = pool.install(|| {
        recs.par_iter()
            .map(|x| {
                let a = agreement::measure(&one, &reference, x)?;
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                Ok(a)
            })
            .collect::<Result<_>>()
    })?;
    let mut a = agreement::Agreement::default();
    for x in &each {
        a.merge(x);
    }
    let wav_bits = r.frames as f64 * r.channels as f64 * 16.0;
    Ok(EventEvalReport {
        mode: neurice_sim::events::NAME,
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
        agreement_met: targets_met(a.precision(), a.recall(), a.power.r()),
        precision_rejecting: a.events_rejecting.precision(),
        recall_rejecting: a.events_rejecting.recall(),
        agreement_met_rejecting: targets_met(
            a.events_rejecting.precision(),
            a.events_rejecting.recall(),
            a.power.r(),
        ),
        rate_1024: r,
        agreement: a,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The agreement targets (issue 28): precision and recall each ≥ [`EVENTS_TARGET`], the
/// power correlation ≥ [`POWER_R_TARGET`].
fn targets_met(precision: Option<f64>, recall: Option<f64>, power_r: Option<f64>) -> bool {
    precision.is_some_and(|v| v >= EVENTS_TARGET)
        && recall.is_some_and(|v| v >= EVENTS_TARGET)
        && power_r.is_some_and(|v| v >= POWER_R_TARGET)
}

/// Its figures in one line: the rate with and without framing, the worst 100 ms, events per
/// second per channel, the agreement.
pub fn summary(e: &EventEvalReport) -> String {
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1} %", 100.0 * v));
    let r = &e.rate_1024;
    format!(
        "{} recordings as {} channels at {} Hz: {:.4} Mbit/s with packet framing (payload \
         {:.4}), worst 100 ms {:.4} Mbit/s, {:.3} events/s/channel, ratio against the 16-bit \
         WAV {:.1}; agreement with the float reference detector (not ground truth): precision \
         {}, recall {}, power r {}; against the reference with channel rejection: precision \
         {}, recall {}",
        e.files,
        r.channels,
        e.sample_rate_hz,
        r.link_mbit_s,
        r.payload_mbit_s,
        r.worst_100ms_link_mbit_s,
        r.events_per_s_per_channel,
        e.ratio_vs_wav,
        pct(e.precision),
        pct(e.recall),
        e.power_r.map_or("n/a".to_string(), |v| format!("{v:.4}")),
        pct(e.precision_rejecting),
        pct(e.recall_rejecting),
    )
}
