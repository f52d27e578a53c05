//! `eval` of a bounded-error coder (`δ > 0`, FORMAT.md §11): every decoded sample checked
//! against its original by §11's promise (within `δ` grid steps on the grid, exact for an
//! exception, within `64·δ` units in raw mode), the WAV's other bytes checked equal, and the
//! fidelity measured (`neurice_model::fidelity`): max and RMS error in grid steps, the in-band
//! error power against the recording's noise floor, and the agreement of spike detections.

use neurice_model::fidelity::{self, DetectorParams, EventMatch, SpikeDetector};
use neurice_model::format::{Header, FLAG_RAW16, FLAG_STREAM};
use neurice_model::near::{error_in_steps, sample_within};
use neurice_model::wav::parse_wav;
use neurice_model::Mode;
use serde::Serialize;

/// One file's decoded samples against its original.
#[derive(Clone, Debug, Serialize)]
pub struct BoundedFile {
    /// Samples compared (all channels).
    pub samples: u64,
    /// Samples outside the promise of FORMAT.md §11 (must be 0).
    pub violations: u64,
    /// The first violation: sample index, original and decoded 16-bit values.
    pub first_violation: Option<(u64, i16, i16)>,
    /// `max |decoded − original|` in grid steps (exact between grid values; otherwise the
    /// difference in 16-bit units × 1023 / 65535).
    pub max_error_steps: f64,
    /// `Σ (decoded − original)²` in grid steps².
    pub sum_sq_steps: f64,
    /// The spike detector's measures, summed over the channels (`None`: see
    /// `fidelity_error`).
    pub fidelity: Option<FileFidelity>,
    /// Why there is no spike detection (e.g. a sample rate too low for its 300–3000 Hz band).
    pub fidelity_error: Option<String>,
}

/// [`fidelity::compare`] of every channel of a file, summed (powers weighted by samples).
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileFidelity {
    /// `Σ σ²·n` over the channels (16-bit units²): the noise floor's power, weighted.
    pub noise_power_sum: f64,
    /// `Σ inband_error_power·n` over the channels (16-bit units²).
    pub error_power_sum: f64,
    pub reference_events: u64,
    pub decoded_events: u64,
    pub spikes: EventMatch,
}

/// Compares a decoded WAV with its original under a maximum error of `delta` grid steps, the
/// stream's header telling the mode (grid or raw; a streamed container's blocks choose their
/// own, so either promise is taken there). `Err`: the two are not the same recording (format,
/// length or the bytes around the samples differ).
pub fn check(
    original: &[u8],
    decoded: &[u8],
    header: &Header,
    delta: u32,
) -> Result<BoundedFile, String> {
    let o = parse_wav(original).map_err(|e| format!("original: {e}"))?;
    let d = parse_wav(decoded).map_err(|e| format!("decoded: {e}"))?;
    if (o.channels, o.sample_rate, o.samples.len()) != (d.channels, d.sample_rate, d.samples.len())
    {
        return Err(format!(
            "decoded WAV has {} channel(s) at {} Hz and {} samples, the original {}, {} Hz, {}",
            d.channels,
            d.sample_rate,
            d.samples.len(),
            o.channels,
            o.sample_rate,
            o.samples.len()
        ));
    }
    if o.prefix != d.prefix || o.suffix != d.suffix {
        return Err("the decoded WAV's bytes around the samples differ from the original's".into());
    }
    let mode = if header.flags & FLAG_STREAM != 0 {
        None
    } else if header.flags & FLAG_RAW16 != 0 {
        Some(Mode::Raw16)
    } else {
        Some(Mode::Grid10)
    };
    let mut r = BoundedFile {
        samples: o.samples.len() as u64,
        violations: 0,
        first_violation: None,
        max_error_steps: 0.0,
        sum_sq_steps: 0.0,
        fidelity: None,
        fidelity_error: None,
    };
    match fidelity_of(&o.samples, &d.samples, o.channels as usize, o.sample_rate) {
        Ok(f) => r.fidelity = Some(f),
        Err(e) => r.fidelity_error = Some(e),
    }
    for (i, (&a, &b)) in o.samples.iter().zip(&d.samples).enumerate() {
        if !sample_within(a, b, delta, mode) {
            r.violations += 1;
            r.first_violation.get_or_insert((i as u64, a, b));
        }
        let e = error_in_steps(a, b);
        r.max_error_steps = r.max_error_steps.max(e.abs());
        r.sum_sq_steps += e * e;
    }
    Ok(r)
}

/// The spike detector on every channel of the original and the decoded recording.
fn fidelity_of(
    original: &[i16],
    decoded: &[i16],
    channels: usize,
    rate: u32,
) -> Result<FileFidelity, String> {
    let det = SpikeDetector::new(rate as f64, DetectorParams::default())
        .map_err(|e| format!("no spike detection: {e}"))?;
    let tol = fidelity::ms_to_samples(0.5, rate as f64);
    let mut f = FileFidelity::default();
    let channels = channels.max(1);
    for c in 0..channels {
        let o: Vec<i16> = original.iter().skip(c).step_by(channels).copied().collect();
        let d: Vec<i16> = decoded.iter().skip(c).step_by(channels).copied().collect();
        let m = fidelity::compare(&det, &o, &d, tol).map_err(|e| e.to_string())?;
        let n = o.len() as f64;
        f.noise_power_sum += m.noise_sigma * m.noise_sigma * n;
        f.error_power_sum += m.inband_error_power * n;
        f.reference_events += m.reference_events;
        f.decoded_events += m.decoded_events;
        f.spikes.add(&m.spikes);
    }
    Ok(f)
}

/// The bounded-error figures of a whole `eval` (FORMAT.md §11.9 measures the same way).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BoundedSummary {
    /// The maximum error asked for, grid steps.
    pub max_error: u32,
    /// Samples compared and samples outside the promise (must be 0).
    pub samples: u64,
    pub violations: u64,
    /// Measured `max |error|` and RMS error, grid steps.
    pub max_error_steps: f64,
    pub rms_error_steps: f64,
    /// In-band (300–3000 Hz) error power over the noise floor `σ²` (`σ = median|y|/0.6745` of
    /// the band-passed original), summed over the files weighted by length, dB (`None`
    /// without spike detection on any file; `−∞` is written as null in JSON).
    pub error_to_noise_db: Option<f64>,
    /// Spike events (threshold −4.5σ, 1 ms refractory) in the originals and the decoded
    /// recordings, matched one to one within ±0.5 ms.
    pub reference_events: u64,
    pub decoded_events: u64,
    pub spike_precision: Option<f64>,
    pub spike_recall: Option<f64>,
    /// Files without spike detection (sample rate too low for the band).
    pub files_without_spikes: usize,
}

impl BoundedSummary {
    /// The sum of the files' checks.
    pub fn of<'a>(max_error: u32, files: impl Iterator<Item = &'a BoundedFile>) -> Self {
        let mut s = BoundedSummary {
            max_error,
            ..Default::default()
        };
        let (mut sum_sq, mut noise, mut err) = (0.0, 0.0, 0.0);
        let mut spikes = EventMatch::default();
        let mut with_spikes = 0usize;
        for f in files {
            s.samples += f.samples;
            s.violations += f.violations;
            s.max_error_steps = s.max_error_steps.max(f.max_error_steps);
            sum_sq += f.sum_sq_steps;
            match &f.fidelity {
                Some(x) => {
                    with_spikes += 1;
                    noise += x.noise_power_sum;
                    err += x.error_power_sum;
                    s.reference_events += x.reference_events;
                    s.decoded_events += x.decoded_events;
                    spikes.add(&x.spikes);
                }
                None => s.files_without_spikes += 1,
            }
        }
        if s.samples > 0 {
            s.rms_error_steps = (sum_sq / s.samples as f64).sqrt();
        }
        if with_spikes > 0 && noise > 0.0 {
            s.error_to_noise_db = Some(10.0 * (err / noise).log10()).filter(|x| x.is_finite());
        }
        s.spike_precision = spikes.precision();
        s.spike_recall = spikes.recall();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::grid::grid_value;
    use neurice_model::wav::Wav;
    use neurice_model::{CodecParams, CoderSpec};

    /// A 1-channel recording on the grid: a slow ramp with noise and a few spikes.
    fn recording(n: usize) -> Wav {
        let samples = (0..n)
            .map(|i| {
                let noise = ((i * 7919 + i * i * 13) % 11) as i32 - 5;
                let spike = if i % 997 < 8 { -60 } else { 0 };
                grid_value((512 + noise + spike + (i as i32 / 500) % 40).clamp(0, 1023) as u32)
            })
            .collect();
        Wav::canonical(1, 19531, samples).unwrap()
    }

    fn coded(wav: &Wav, delta: u32) -> (Header, Vec<u8>) {
        let spec = CoderSpec::Lite(CodecParams::HARDWARE.with_max_error(delta));
        let (nrc, _) = neurice_model::compress_wav_with(&wav.to_bytes(), spec).unwrap();
        neurice_model::container::decompress_with_header(&nrc).unwrap()
    }

    #[test]
    fn a_decode_within_delta_passes_and_is_measured() {
        let wav = recording(20_000);
        let (h, dec) = coded(&wav, 2);
        assert_eq!(h.coder.max_error(), 2);
        let r = check(&wav.to_bytes(), &dec, &h, 2).unwrap();
        assert_eq!(r.violations, 0);
        assert!(r.max_error_steps > 0.0 && r.max_error_steps <= 2.0);
        let f = r.fidelity.as_ref().unwrap();
        assert!(f.reference_events > 0, "the test signal has spikes");
        let s = BoundedSummary::of(2, [&r].into_iter());
        assert_eq!(s.max_error_steps, r.max_error_steps);
        assert!(s.rms_error_steps > 0.0 && s.rms_error_steps <= 2.0);
        assert!(s.error_to_noise_db.is_some_and(|db| db < 0.0));
        assert!(s.spike_recall.is_some() && s.spike_precision.is_some());
    }

    #[test]
    fn a_sample_beyond_delta_is_a_violation() {
        let wav = recording(5_000);
        let (h, dec) = coded(&wav, 1);
        let mut bad = parse_wav(&dec).unwrap();
        // two grid steps off in one sample: outside δ = 1
        let k = neurice_model::grid::grid_index(wav.samples[1234]).unwrap();
        let off = if k >= 2 { k - 2 } else { k + 2 };
        bad.samples[1234] = grid_value(off);
        let r = check(&wav.to_bytes(), &bad.to_bytes(), &h, 1).unwrap();
        assert_eq!(r.violations, 1);
        assert_eq!(r.first_violation.map(|v| v.0), Some(1234));
        assert_eq!(r.max_error_steps, 2.0);
        // but within δ = 2
        assert_eq!(
            check(&wav.to_bytes(), &bad.to_bytes(), &h, 2)
                .unwrap()
                .violations,
            0
        );
    }

    #[test]
    fn other_bytes_or_lengths_that_differ_are_refused() {
        let wav = recording(3_000);
        let (h, dec) = coded(&wav, 1);
        let d = parse_wav(&dec).unwrap();
        let n = d.samples.len();
        let short = Wav::canonical(1, 19531, d.samples[..n - 1].to_vec()).unwrap();
        let e = check(&wav.to_bytes(), &short.to_bytes(), &h, 1).unwrap_err();
        assert!(e.contains("samples"), "{e}");
        let rate = Wav::canonical(1, 20000, d.samples.clone()).unwrap();
        let e = check(&wav.to_bytes(), &rate.to_bytes(), &h, 1).unwrap_err();
        assert!(e.contains("20000 Hz"), "{e}");
        // the same samples with a trailing chunk the original does not have
        let mut tail = d.clone();
        tail.suffix = b"LIST\x04\x00\x00\x00abcd".to_vec();
        let e = check(&wav.to_bytes(), &tail.to_bytes(), &h, 1).unwrap_err();
        assert!(e.contains("around the samples"), "{e}");
        assert!(check(&wav.to_bytes(), &d.to_bytes(), &h, 1).is_ok());
    }
}
