//! How event mode agrees with the floating-point reference detector of
//! [`crate::fidelity`] (FORMAT.md §12.9): the integer detector's events against the
//! reference's within ±0.5 ms, and its spike-band power codes against the reference's mean
//! `|y|` per bin (Pearson's r). Not ground truth: two detectors compared.
//!
//! The reference ([`reference_params`]) is the standard detection of the field with the
//! filter an implant can run: SpikeInterface's causal path (`causal_filter(direction =
//! "forward", ftype = "butter", filter_mode = "sos")`, i.e. `scipy.signal.sosfilt` of a
//! Butterworth band-pass) over the core's band and order, the noise level as SpikeInterface's
//! `get_noise_levels(method = "mad")` and Quiroga et al.'s wave_clus take it (`median(|y|) /
//! 0.6745` over the whole recording), events below `−4.5σ`, a 1 ms refractory period, each
//! event at the band-passed minimum after its crossing (wave_clus's alignment). Both
//! detectors see the same input: the grid index minus 512.

use super::detect::{step, ChannelState, FrameInfo};
use super::params::{EventParams, RAIL_HIGH};
use crate::fidelity::{match_events, ms_to_samples, DetectorParams, EventMatch, SpikeDetector};
use crate::Error;

/// The reference detector's parameters for event parameters `p`: the Butterworth band-pass
/// of the core's band (300 Hz – 3 kHz) and order (one biquad: prototype order 1 per section),
/// causal; whole-recording MAD noise; `−k·σ` with the core's `k`; the core's refractory
/// period in milliseconds.
pub fn reference_params(p: &EventParams) -> DetectorParams {
    DetectorParams {
        low_hz: 300.0,
        high_hz: 3000.0,
        order: p.section_count as usize,
        zero_phase: false,
        threshold_sigmas: p.k(),
        refractory_ms: p.refractory_frames as f64 * 1e3 / p.sample_rate_hz as f64,
    }
}

/// Sums for Pearson's correlation of pairs `(x, y)`, mergeable across recordings.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Correlation {
    pub n: u64,
    pub sx: f64,
    pub sy: f64,
    pub sxx: f64,
    pub syy: f64,
    pub sxy: f64,
}

impl Correlation {
    pub fn push(&mut self, x: f64, y: f64) {
        self.n += 1;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
    }

    pub fn merge(&mut self, o: &Correlation) {
        self.n += o.n;
        self.sx += o.sx;
        self.sy += o.sy;
        self.sxx += o.sxx;
        self.syy += o.syy;
        self.sxy += o.sxy;
    }

    /// Pearson's r; `None` with fewer than two pairs or a constant side.
    pub fn r(&self) -> Option<f64> {
        let n = self.n as f64;
        let cov = self.sxy - self.sx * self.sy / n;
        let vx = self.sxx - self.sx * self.sx / n;
        let vy = self.syy - self.sy * self.sy / n;
        (self.n >= 2 && vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
    }
}

/// The agreement on one recording (one channel), or pooled over several.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Agreement {
    /// Recordings (channels) measured.
    pub recordings: u64,
    /// Frames measured.
    pub frames: u64,
    /// Events of the integer detector matched against the reference's (reference =
    /// the float detector; a false positive is an integer event the reference has not).
    pub events: EventMatch,
    /// Reference events, integer events.
    pub reference_events: u64,
    pub detector_events: u64,
    /// Power: (reference mean `|y|` in grid steps, the decoded power code's value) per whole
    /// bin.
    pub power: Correlation,
    /// The same events against the reference with the rail rule ([`blanked_reference`]).
    pub events_blanked: EventMatch,
    pub reference_events_blanked: u64,
    /// The same events against the reference with channel rejection ([`rejected_by_rails`]:
    /// a rejected recording's reference has no events).
    pub events_rejecting: EventMatch,
    pub reference_events_rejecting: u64,
    /// Recordings the reference rejects ([`rejected_by_rails`]).
    pub reference_rejected: u64,
    /// Recordings the integer detector's saturation rule rejected at some frame, and the
    /// frames it held them rejected.
    pub detector_rejected: u64,
    pub detector_rejected_frames: u64,
    /// Recordings whose reference noise level is 0 (`median |y| = 0`: the reference's
    /// threshold is 0 and every downward zero crossing is an event).
    pub zero_noise: u64,
}

impl Agreement {
    pub fn merge(&mut self, o: &Agreement) {
        self.recordings += o.recordings;
        self.frames += o.frames;
        self.events.add(&o.events);
        self.events_blanked.add(&o.events_blanked);
        self.reference_events_blanked += o.reference_events_blanked;
        self.reference_events += o.reference_events;
        self.detector_events += o.detector_events;
        self.power.merge(&o.power);
        self.zero_noise += o.zero_noise;
        self.events_rejecting.add(&o.events_rejecting);
        self.reference_events_rejecting += o.reference_events_rejecting;
        self.reference_rejected += o.reference_rejected;
        self.detector_rejected += o.detector_rejected;
        self.detector_rejected_frames += o.detector_rejected_frames;
    }

    pub fn precision(&self) -> Option<f64> {
        self.events.precision()
    }

    pub fn recall(&self) -> Option<f64> {
        self.events.recall()
    }
}

/// The samples the rail rule of `p` (§12.3) keeps quiet: a sample at 0 or 1023 and the
/// `H − 1` after it (none for `H = 0`).
pub fn rail_quiet(p: &EventParams, x: &[u32]) -> Vec<bool> {
    let mut left = 0u8;
    x.iter()
        .map(|&v| {
            let at = p.rail_frames > 0 && (v == 0 || v == RAIL_HIGH);
            let quiet = at || left > 0;
            left = if at {
                p.rail_frames - 1
            } else {
                left.saturating_sub(1)
            };
            quiet
        })
        .collect()
}

/// The reference detector with the rail rule: the band-passed samples the rule keeps quiet
/// are left out of the noise level (`median |y|` of the others) and set to 0 (no crossing
/// there), and no event lies on one. Its events on the reference's band-passed `y`.
pub fn blanked_reference(reference: &SpikeDetector, y: &[f64], quiet: &[bool]) -> Vec<usize> {
    let kept: Vec<f64> = y
        .iter()
        .zip(quiet)
        .filter(|(_, &q)| !q)
        .map(|(&v, _)| v)
        .collect();
    let blanked: Vec<f64> = y
        .iter()
        .zip(quiet)
        .map(|(&v, &q)| if q { 0.0 } else { v })
        .collect();
    let d = reference.detect_with_sigma(&blanked, crate::fidelity::noise_sigma(&kept));
    d.events.into_iter().filter(|&i| !quiet[i]).collect()
}

/// The share of a recording's samples at a rail (0 or 1023) at or above which the reference
/// with channel rejection drops the whole recording: 1 %, fixed before the saturation rule
/// was measured (FORMAT.md §12.9 had called such recordings "railing" since 2026-12-06).
pub const REJECT_RAIL_SHARE: f64 = 0.01;

/// The reference's channel rejection, a whole-recording rule as spike sorting excludes
/// saturated channels before detection: `≥ 1 %` of the samples at 0 or 1023.
pub fn rejected_by_rails(x: &[u32]) -> bool {
    let at = x.iter().filter(|&&v| v == 0 || v == RAIL_HIGH).count();
    !x.is_empty() && at as f64 >= REJECT_RAIL_SHARE * x.len() as f64
}

/// The matching tolerance: ±0.5 ms in frames at `p`'s sample rate.
pub fn tolerance(p: &EventParams) -> usize {
    ms_to_samples(0.5, p.sample_rate_hz as f64)
}

/// The integer detector on one channel's samples `x` (grid indices): its event frames, the
/// power code of every whole bin, and the frames at which the saturation rule held the
/// channel rejected.
pub fn detect_channel(p: &EventParams, x: &[u32]) -> Result<(Vec<usize>, Vec<u32>, u64), Error> {
    let q = EventParams { channels: 1, ..*p };
    q.validate()?;
    let mut st = ChannelState::default();
    let mut events = Vec::new();
    let mut codes = Vec::new();
    let mut rejected = 0u64;
    for (t, &v) in x.iter().enumerate() {
        if v >= 1024 {
            return Err(Error::BadParams(format!(
                "sample {t}: {v} is not a 10-bit grid index"
            )));
        }
        rejected += st.rejected as u64;
        let o = step(&q, &mut st, v, &FrameInfo::of(&q, t as u64));
        if o.event {
            events.push(t);
        }
        if let Some(c) = o.power_code {
            codes.push(c);
        }
    }
    Ok((events, codes, rejected))
}

/// Measures one recording `x` (grid indices of one channel) against the reference detector
/// `reference` (built for `p`'s sample rate, e.g. from [`reference_params`]).
pub fn measure(p: &EventParams, reference: &SpikeDetector, x: &[u32]) -> Result<Agreement, Error> {
    let (events, codes, rejected_frames) = detect_channel(p, x)?;
    let centred: Vec<f64> = x.iter().map(|&v| v as f64 - 512.0).collect();
    let y = reference.bandpass(&centred);
    let d = reference.detect_filtered(&y);
    let blanked = blanked_reference(reference, &y, &rail_quiet(p, x));
    let mut power = Correlation::default();
    let b = p.bin_frames as usize;
    for (i, &c) in codes.iter().enumerate() {
        let bin = &y[i * b..(i + 1) * b];
        let mean = bin.iter().map(|v| v.abs()).sum::<f64>() / b as f64;
        power.push(mean, p.power_value(c));
    }
    Ok(Agreement {
        recordings: 1,
        frames: x.len() as u64,
        events: match_events(&d.events, &events, tolerance(p)),
        reference_events: d.events.len() as u64,
        events_blanked: match_events(&blanked, &events, tolerance(p)),
        reference_events_blanked: blanked.len() as u64,
        detector_events: events.len() as u64,
        power,
        zero_noise: (d.sigma == 0.0) as u64,
        events_rejecting: match_events(
            if rejected_by_rails(x) { &[] } else { &d.events },
            &events,
            tolerance(p),
        ),
        reference_events_rejecting: if rejected_by_rails(x) {
            0
        } else {
            d.events.len() as u64
        },
        reference_rejected: rejected_by_rails(x) as u64,
        detector_rejected: (rejected_frames > 0) as u64,
        detector_rejected_frames: rejected_frames,
    })
}

/// [`measure`] on each recording (one channel each) against the reference of
/// [`reference_params`], pooled.
pub fn measure_recordings(p: &EventParams, recordings: &[Vec<u32>]) -> Result<Agreement, Error> {
    let reference = SpikeDetector::new(p.sample_rate_hz as f64, reference_params(p))
        .map_err(|e| Error::BadParams(format!("event mode reference detector: {e}")))?;
    let mut all = Agreement::default();
    for x in recordings {
        all.merge(&measure(p, &reference, x)?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_is_pearsons() {
        let mut c = Correlation::default();
        for (x, y) in [(1.0, 2.0), (2.0, 4.1), (3.0, 5.9), (4.0, 8.0)] {
            c.push(x, y);
        }
        let r = c.r().unwrap();
        // NumPy: np.corrcoef([1, 2, 3, 4], [2, 4.1, 5.9, 8])[0, 1] = 0.99954118
        assert!((r - 0.999_541_18).abs() < 1e-8, "{r}");
        let mut d = Correlation::default();
        d.push(1.0, 1.0);
        assert_eq!(d.r(), None);
        d.push(2.0, 1.0);
        assert_eq!(d.r(), None, "a constant side has no r");
        let mut m = Correlation::default();
        m.merge(&c);
        assert_eq!(m, c);
    }
}
