//! What a lossy decode costs: sample error, error power against the recording's noise floor,
//! and agreement of spike detections — the measures of the bounded-error mode (FORMAT.md §11)
//! and the floating-point reference of the event mode.
//!
//! * [`ErrorStats`]: max and RMS error between two sample sequences (in their own units:
//!   grid steps for grid indices, 16-bit units for PCM).
//! * [`BandPass`]: a Butterworth band-pass as second-order sections, designed as
//!   `scipy.signal.butter(N, [lo, hi], btype="bandpass", fs=fs, output="sos")` does
//!   (analog prototype, band-pass transform, bilinear transform with pre-warping), run
//!   causally (`sosfilt`) or zero-phase (`sosfiltfilt`, with SciPy's odd padding and
//!   steady-state initial conditions); the tests check it against SciPy 1.x output frozen as
//!   literals.
//! * [`SpikeDetector`]: the standard threshold detector of spike sorting (Quiroga et al.
//!   2004, *Neural Computation* 16:1661): band-pass (default 4th-order Butterworth
//!   300–3000 Hz, zero-phase), noise `σ = median(|y|) / 0.6745` of the band-passed signal,
//!   events where `y` falls below `−4.5σ`, each placed at the minimum of `y` within the 1 ms
//!   refractory window after the crossing, no new crossing within 1 ms of an event.
//! * [`match_events`]: one-to-one matching of two event lists within a tolerance (±0.5 ms by
//!   default): true positives, false positives and misses, precision and recall.
//! * [`Fidelity`]: all of the above for an original and a decoded recording.
//!
//! All arithmetic is `f64`; samples come as any slice of numbers that convert to `f64`
//! losslessly (`i16`, `u16`, `i32`, `u32`, `f32`, `f64`).

use std::f64::consts::PI;

/// Why a measure cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FidelityError {
    #[error("the sequences differ in length ({original} original, {decoded} decoded samples)")]
    LengthMismatch { original: usize, decoded: usize },
    #[error("sample rate {0} Hz is not a positive finite number")]
    BadRate(f64),
    #[error(
        "band {low} – {high} Hz is not inside (0, {nyquist}) Hz (half the {rate} Hz sample rate)"
    )]
    BadBand {
        low: f64,
        high: f64,
        nyquist: f64,
        rate: f64,
    },
    #[error("filter order {0} not in 1..=16")]
    BadOrder(usize),
    #[error("{0}")]
    BadParams(String),
}

/// Max and RMS difference between two sequences of the same length.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct ErrorStats {
    pub samples: u64,
    /// `max |decoded − original|`.
    pub max_abs: f64,
    /// `Σ (decoded − original)²`.
    pub sum_sq: f64,
}

impl ErrorStats {
    /// The differences of `decoded` from `original`.
    pub fn between<T: Copy + Into<f64>>(
        original: &[T],
        decoded: &[T],
    ) -> Result<Self, FidelityError> {
        same_length(original.len(), decoded.len())?;
        let mut s = ErrorStats {
            samples: original.len() as u64,
            ..Default::default()
        };
        for (&a, &b) in original.iter().zip(decoded) {
            let d = b.into() - a.into();
            s.max_abs = s.max_abs.max(d.abs());
            s.sum_sq += d * d;
        }
        Ok(s)
    }

    /// Root mean square of the difference (0 for no samples).
    pub fn rms(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            (self.sum_sq / self.samples as f64).sqrt()
        }
    }

    /// The statistics of both sets of samples together.
    pub fn merge(&mut self, o: &ErrorStats) {
        self.samples += o.samples;
        self.max_abs = self.max_abs.max(o.max_abs);
        self.sum_sq += o.sum_sq;
    }
}

fn same_length(original: usize, decoded: usize) -> Result<(), FidelityError> {
    if original != decoded {
        return Err(FidelityError::LengthMismatch { original, decoded });
    }
    Ok(())
}

/// One second-order section `[b0, b1, b2, 1, a1, a2]` (SciPy's `sos` row; `a0 = 1`).
pub type Section = [f64; 6];

/// A Butterworth band-pass filter as second-order sections.
#[derive(Clone, Debug, PartialEq)]
pub struct BandPass {
    sections: Vec<Section>,
}

/// A complex number, only what the filter design needs.
#[derive(Clone, Copy, Debug, PartialEq)]
struct C(f64, f64);

impl C {
    fn add(self, o: C) -> C {
        C(self.0 + o.0, self.1 + o.1)
    }
    fn sub(self, o: C) -> C {
        C(self.0 - o.0, self.1 - o.1)
    }
    fn mul(self, o: C) -> C {
        C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn div(self, o: C) -> C {
        let d = o.0 * o.0 + o.1 * o.1;
        C(
            (self.0 * o.0 + self.1 * o.1) / d,
            (self.1 * o.0 - self.0 * o.1) / d,
        )
    }
    fn scale(self, k: f64) -> C {
        C(self.0 * k, self.1 * k)
    }
    fn abs(self) -> f64 {
        self.0.hypot(self.1)
    }
    /// The principal square root.
    fn sqrt(self) -> C {
        let r = self.abs();
        let re = ((r + self.0) / 2.0).max(0.0).sqrt();
        let im = ((r - self.0) / 2.0).max(0.0).sqrt();
        C(re, if self.1 < 0.0 { -im } else { im })
    }
}

impl BandPass {
    /// The Butterworth band-pass of prototype order `order` (the filter has order
    /// `2·order`, `order` sections) passing `low_hz … high_hz` at sample rate `rate_hz`:
    /// `scipy.signal.butter(order, [low_hz, high_hz], btype="bandpass", fs=rate_hz,
    /// output="sos")` up to the grouping of poles and zeros into sections (the same
    /// transfer function; each section here has one zero at `z = 1` and one at `z = −1`, the
    /// gain in the first, sections ordered by pole radius, the one nearest the unit circle
    /// last).
    pub fn butterworth(
        order: usize,
        low_hz: f64,
        high_hz: f64,
        rate_hz: f64,
    ) -> Result<Self, FidelityError> {
        if !(rate_hz.is_finite() && rate_hz > 0.0) {
            return Err(FidelityError::BadRate(rate_hz));
        }
        let nyquist = rate_hz / 2.0;
        if !(low_hz > 0.0 && low_hz < high_hz && high_hz < nyquist) {
            return Err(FidelityError::BadBand {
                low: low_hz,
                high: high_hz,
                nyquist,
                rate: rate_hz,
            });
        }
        if !(1..=16).contains(&order) {
            return Err(FidelityError::BadOrder(order));
        }
        // SciPy normalises to fs = 2 (Nyquist = 1), pre-warps with 2·fs·tan(π·Wn/fs) and uses
        // the bilinear transform at fs = 2 (so 2·fs = 4).
        let fs2 = 4.0;
        let warp = |f: f64| fs2 * (PI * f / rate_hz).tan();
        let (wl, wh) = (warp(low_hz), warp(high_hz));
        let (bw, w0) = (wh - wl, (wl * wh).sqrt());
        // analog prototype: p = −exp(jπm/(2N)), m = −N+1, −N+3, …, N−1 (buttap); gain 1
        let n = order as i32;
        let mut poles = Vec::with_capacity(2 * order);
        for m in (-n + 1..n).step_by(2) {
            let th = PI * m as f64 / (2.0 * n as f64);
            let p = C(-th.cos(), -th.sin());
            // lp2bp: p·bw/2 ± sqrt((p·bw/2)² − w0²)
            let pl = p.scale(bw / 2.0);
            let root = pl.mul(pl).sub(C(w0 * w0, 0.0)).sqrt();
            poles.push(pl.add(root));
            poles.push(pl.sub(root));
        }
        // gain bw^N; N zeros at s = 0 → z = 1, N zeros at infinity → z = −1
        let mut k = bw.powi(n);
        let mut zpoles = Vec::with_capacity(poles.len());
        let mut denom = C(1.0, 0.0);
        for &p in &poles {
            zpoles.push(C(fs2, 0.0).add(p).div(C(fs2, 0.0).sub(p)));
            denom = denom.mul(C(fs2, 0.0).sub(p));
        }
        // k·Π(fs2 − z)/Π(fs2 − p) with the N zeros at s = 0
        k *= C(fs2.powi(n), 0.0).div(denom).0;
        // pair the poles: complex ones with their conjugates, real ones two by two
        let mut complex: Vec<C> = zpoles.iter().copied().filter(|p| p.1 > 1e-12).collect();
        let mut real: Vec<f64> = zpoles
            .iter()
            .filter(|p| p.1.abs() <= 1e-12)
            .map(|p| p.0)
            .collect();
        complex.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
        real.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
        let mut dens: Vec<(f64, [f64; 2])> = complex
            .iter()
            .map(|p| (p.abs(), [-2.0 * p.0, p.0 * p.0 + p.1 * p.1]))
            .collect();
        for pair in real.chunks(2) {
            let (a, b) = (pair[0], pair.get(1).copied().unwrap_or(0.0));
            dens.push((a.abs().max(b.abs()), [-(a + b), a * b]));
        }
        if dens.len() != order {
            return Err(FidelityError::BadParams(format!(
                "filter design paired {} sections for order {order}",
                dens.len()
            )));
        }
        dens.sort_by(|a, b| a.0.total_cmp(&b.0));
        let sections = dens
            .iter()
            .enumerate()
            .map(|(i, (_, a))| {
                let g = if i == 0 { k } else { 1.0 };
                [g, 0.0, -g, 1.0, a[0], a[1]]
            })
            .collect();
        Ok(BandPass { sections })
    }

    /// The sections (SciPy's `sos` rows).
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// `|H(e^{j2πf/rate})|`: the magnitude response at `f_hz`.
    pub fn gain_at(&self, f_hz: f64, rate_hz: f64) -> f64 {
        let w = 2.0 * PI * f_hz / rate_hz;
        let z1 = C(w.cos(), -w.sin()); // z^-1
        let z2 = z1.mul(z1);
        self.sections.iter().fold(1.0, |g, s| {
            let num = C(s[0], 0.0).add(z1.scale(s[1])).add(z2.scale(s[2]));
            let den = C(1.0, 0.0).add(z1.scale(s[4])).add(z2.scale(s[5]));
            g * num.abs() / den.abs()
        })
    }

    /// Runs the sections over `x` in place (direct form II transposed, as `sosfilt`) from
    /// the state `zi` (two values per section), which ends as the final state.
    fn run(&self, x: &mut [f64], zi: &mut [[f64; 2]]) {
        for v in x.iter_mut() {
            let mut xn = *v;
            for (s, z) in self.sections.iter().zip(zi.iter_mut()) {
                let xc = xn;
                xn = s[0] * xc + z[0];
                z[0] = s[1] * xc - s[4] * xn + z[1];
                z[1] = s[2] * xc - s[5] * xn;
            }
            *v = xn;
        }
    }

    /// Causal filtering from rest (`scipy.signal.sosfilt(sos, x)`).
    pub fn filter_causal<T: Copy + Into<f64>>(&self, x: &[T]) -> Vec<f64> {
        let mut y: Vec<f64> = x.iter().map(|&v| v.into()).collect();
        let mut zi = vec![[0.0; 2]; self.sections.len()];
        self.run(&mut y, &mut zi);
        y
    }

    /// The steady-state initial conditions for a unit step (`scipy.signal.sosfilt_zi`).
    fn steady_state(&self) -> Vec<[f64; 2]> {
        let mut scale = 1.0;
        self.sections
            .iter()
            .map(|s| {
                let (b0, b1, b2, a1, a2) = (s[0], s[1], s[2], s[4], s[5]);
                // lfilter_zi: solve (I − Aᵀ)·zi = b[1:] − a[1:]·b0 for the companion matrix A
                let (c0, c1) = (b1 - a1 * b0, b2 - a2 * b0);
                let z0 = (c0 + c1) / (1.0 + a1 + a2);
                let zi = [scale * z0, scale * (c1 - a2 * z0)];
                scale *= (b0 + b1 + b2) / (1.0 + a1 + a2);
                zi
            })
            .collect()
    }

    /// The padding `sosfiltfilt` uses by default: `3·(2·sections + 1 − min(#b2 = 0, #a2 = 0))`.
    pub fn default_padding(&self) -> usize {
        let zb = self.sections.iter().filter(|s| s[2] == 0.0).count();
        let za = self.sections.iter().filter(|s| s[5] == 0.0).count();
        3 * (2 * self.sections.len() + 1 - zb.min(za))
    }

    /// Zero-phase filtering, forward then backward (`scipy.signal.sosfiltfilt(sos, x)`): the
    /// input extended at both ends by odd reflection over [`default_padding`] samples
    /// (`min(padding, len − 1)` for a shorter input, where SciPy refuses), each pass started
    /// from the steady state of its first value.
    ///
    /// [`default_padding`]: Self::default_padding
    pub fn filter_zero_phase<T: Copy + Into<f64>>(&self, x: &[T]) -> Vec<f64> {
        let n = x.len();
        if n == 0 {
            return Vec::new();
        }
        let pad = self.default_padding().min(n - 1);
        let at = |i: usize| -> f64 { x[i].into() };
        let mut ext = Vec::with_capacity(n + 2 * pad);
        let (first, last) = (at(0), at(n - 1));
        ext.extend((1..=pad).rev().map(|i| 2.0 * first - at(i)));
        ext.extend(x.iter().map(|&v| v.into()));
        ext.extend((1..=pad).map(|i| 2.0 * last - at(n - 1 - i)));
        let zi = self.steady_state();
        let start = |v: f64| zi.iter().map(|z| [z[0] * v, z[1] * v]).collect::<Vec<_>>();
        let mut state = start(ext[0]);
        self.run(&mut ext, &mut state);
        ext.reverse();
        let mut state = start(ext[0]);
        self.run(&mut ext, &mut state);
        ext.reverse();
        ext.truncate(pad + n);
        ext.drain(..pad);
        ext
    }
}

/// The spike detector's parameters; [`Default`] is the standard one of the module docs.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectorParams {
    /// Band-pass edges (Hz).
    pub low_hz: f64,
    pub high_hz: f64,
    /// Butterworth prototype order (SciPy's `N`; the band-pass has order `2N`).
    pub order: usize,
    /// Zero-phase (`sosfiltfilt`, offline analysis) or causal (`sosfilt`, what an implant
    /// could run).
    pub zero_phase: bool,
    /// Threshold in noise standard deviations (negative-going: events below `−k·σ`).
    pub threshold_sigmas: f64,
    /// Dead time after an event, and the window in which it is placed at the minimum (ms).
    pub refractory_ms: f64,
}

impl Default for DetectorParams {
    fn default() -> Self {
        DetectorParams {
            low_hz: 300.0,
            high_hz: 3000.0,
            order: 4,
            zero_phase: true,
            threshold_sigmas: 4.5,
            refractory_ms: 1.0,
        }
    }
}

/// What the detector found in one recording.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Detection {
    /// Sample index of each event (the band-passed minimum), increasing.
    pub events: Vec<usize>,
    /// Noise estimate `median(|y|) / 0.6745` of the band-passed signal.
    pub sigma: f64,
    /// The threshold used, `−threshold_sigmas·σ`.
    pub threshold: f64,
}

/// The detector for one sample rate (the filter designed once).
#[derive(Clone, Debug)]
pub struct SpikeDetector {
    params: DetectorParams,
    filter: BandPass,
    refractory: usize,
}

/// `median(|y|) / 0.6745`: the standard deviation of Gaussian noise estimated from the
/// median absolute value, robust to the spikes in it (0 for no samples).
pub fn noise_sigma(y: &[f64]) -> f64 {
    if y.is_empty() {
        return 0.0;
    }
    let mut a: Vec<f64> = y.iter().map(|v| v.abs()).collect();
    let mid = a.len() / 2;
    let (_, &mut upper, _) = a.select_nth_unstable_by(mid, f64::total_cmp);
    let med = if a.len() % 2 == 1 {
        upper
    } else {
        // the mean of the two middle values: the largest of the lower half is the other one
        let lower = a[..mid].iter().copied().fold(f64::MIN, f64::max);
        (lower + upper) / 2.0
    };
    med / 0.6745
}

impl SpikeDetector {
    /// The detector for recordings sampled at `rate_hz`.
    pub fn new(rate_hz: f64, params: DetectorParams) -> Result<Self, FidelityError> {
        if !(params.threshold_sigmas.is_finite() && params.threshold_sigmas > 0.0) {
            return Err(FidelityError::BadParams(format!(
                "threshold {} σ is not a positive number",
                params.threshold_sigmas
            )));
        }
        if !(params.refractory_ms.is_finite() && params.refractory_ms >= 0.0) {
            return Err(FidelityError::BadParams(format!(
                "refractory period {} ms is not a non-negative number",
                params.refractory_ms
            )));
        }
        let filter = BandPass::butterworth(params.order, params.low_hz, params.high_hz, rate_hz)?;
        Ok(SpikeDetector {
            params,
            filter,
            refractory: ms_to_samples(params.refractory_ms, rate_hz).max(1),
        })
    }

    pub fn params(&self) -> &DetectorParams {
        &self.params
    }

    pub fn filter(&self) -> &BandPass {
        &self.filter
    }

    /// The refractory period in samples (at least 1).
    pub fn refractory_samples(&self) -> usize {
        self.refractory
    }

    /// The band-passed signal the detector thresholds.
    pub fn bandpass<T: Copy + Into<f64>>(&self, x: &[T]) -> Vec<f64> {
        if self.params.zero_phase {
            self.filter.filter_zero_phase(x)
        } else {
            self.filter.filter_causal(x)
        }
    }

    /// Detects the spikes of `x`.
    pub fn detect<T: Copy + Into<f64>>(&self, x: &[T]) -> Detection {
        self.detect_filtered(&self.bandpass(x))
    }

    /// Detects on an already band-passed signal `y` (from [`bandpass`](Self::bandpass)).
    ///
    /// A crossing is a sample `i` with `y[i] < thr <= y[i − 1]` (`thr = −k·σ`), at least the
    /// refractory period after the previous event; the event is the first minimum of `y` in
    /// `i … i + refractory − 1`.
    pub fn detect_filtered(&self, y: &[f64]) -> Detection {
        self.detect_with_sigma(y, noise_sigma(y))
    }

    /// [`detect_filtered`](Self::detect_filtered) with the noise level `sigma` given (e.g.
    /// measured on part of `y` only).
    pub fn detect_with_sigma(&self, y: &[f64], sigma: f64) -> Detection {
        let thr = -self.params.threshold_sigmas * sigma;
        let mut events = Vec::new();
        let mut i = 1;
        while i < y.len() {
            if y[i] < thr && y[i - 1] >= thr {
                let end = (i + self.refractory).min(y.len());
                let mut at = i;
                for j in i + 1..end {
                    if y[j] < y[at] {
                        at = j;
                    }
                }
                events.push(at);
                i = at + self.refractory;
                continue;
            }
            i += 1;
        }
        Detection {
            events,
            sigma,
            threshold: thr,
        }
    }
}

/// `ms` milliseconds in samples at `rate_hz`, rounded to the nearest.
pub fn ms_to_samples(ms: f64, rate_hz: f64) -> usize {
    (ms * 1e-3 * rate_hz).round().max(0.0) as usize
}

/// How two event lists agree: matched events (true positives), events only in the test list
/// (false positives) and events only in the reference (misses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct EventMatch {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
}

impl EventMatch {
    /// `tp / (tp + fp)`; `None` when the test list is empty.
    pub fn precision(&self) -> Option<f64> {
        let d = self.true_positives + self.false_positives;
        (d > 0).then(|| self.true_positives as f64 / d as f64)
    }

    /// `tp / (tp + fn)`; `None` when the reference list is empty.
    pub fn recall(&self) -> Option<f64> {
        let d = self.true_positives + self.false_negatives;
        (d > 0).then(|| self.true_positives as f64 / d as f64)
    }

    /// The counts of both together (precision and recall over all events, not averaged).
    pub fn add(&mut self, o: &EventMatch) {
        self.true_positives += o.true_positives;
        self.false_positives += o.false_positives;
        self.false_negatives += o.false_negatives;
    }
}

/// Matches two increasing event lists one to one: an event of `test` matches one of
/// `reference` at most `tolerance` samples away. Taking the earliest compatible pair first
/// gives the largest number of matches (events on a line with a symmetric window).
pub fn match_events(reference: &[usize], test: &[usize], tolerance: usize) -> EventMatch {
    let (mut i, mut j, mut tp) = (0, 0, 0u64);
    while i < reference.len() && j < test.len() {
        let (a, b) = (reference[i], test[j]);
        if a.abs_diff(b) <= tolerance {
            tp += 1;
            i += 1;
            j += 1;
        } else if a < b {
            i += 1;
        } else {
            j += 1;
        }
    }
    EventMatch {
        true_positives: tp,
        false_positives: test.len() as u64 - tp,
        false_negatives: reference.len() as u64 - tp,
    }
}

/// The fidelity of a decoded recording against its original (one channel).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Fidelity {
    /// Sample error, in the units of the sequences.
    pub error: ErrorStats,
    /// The noise floor: [`noise_sigma`] of the band-passed original.
    pub noise_sigma: f64,
    /// Mean square of the band-passed error (`bandpass(decoded) − bandpass(original)`): the
    /// error in the band the detector sees.
    pub inband_error_power: f64,
    /// Events in the original, events in the decoded recording, and their agreement within
    /// the tolerance.
    pub reference_events: u64,
    pub decoded_events: u64,
    pub spikes: EventMatch,
}

impl Fidelity {
    /// `10·log10(inband_error_power / noise_sigma²)`: the error's power against the noise
    /// floor, in dB (`−∞` for no error; `None` without a noise floor).
    pub fn error_to_noise_db(&self) -> Option<f64> {
        (self.noise_sigma > 0.0).then(|| {
            10.0 * (self.inband_error_power / (self.noise_sigma * self.noise_sigma)).log10()
        })
    }
}

/// Measures a decoded recording against its original: sample error, in-band error power
/// against the noise floor, and spike detections within `tolerance` samples (±0.5 ms:
/// [`ms_to_samples`]`(0.5, rate)`).
pub fn compare<T: Copy + Into<f64>>(
    detector: &SpikeDetector,
    original: &[T],
    decoded: &[T],
    tolerance: usize,
) -> Result<Fidelity, FidelityError> {
    let error = ErrorStats::between(original, decoded)?;
    let yo = detector.bandpass(original);
    let yd = detector.bandpass(decoded);
    let inband_error_power = if yo.is_empty() {
        0.0
    } else {
        yo.iter()
            .zip(&yd)
            .map(|(a, b)| (b - a) * (b - a))
            .sum::<f64>()
            / yo.len() as f64
    };
    let ro = detector.detect_filtered(&yo);
    let rd = detector.detect_filtered(&yd);
    Ok(Fidelity {
        error,
        noise_sigma: ro.sigma,
        inband_error_power,
        reference_events: ro.events.len() as u64,
        decoded_events: rd.events.len() as u64,
        spikes: match_events(&ro.events, &rd.events, tolerance),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f64 = 19531.0;

    /// Relative closeness (absolute near zero).
    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    /// The test input of the SciPy reference: `((n·7919 + 13n²) mod 2001) − 1000`, n < 200.
    fn probe() -> Vec<f64> {
        (0..200i64)
            .map(|n| ((n * 7919 + n * n * 13) % 2001 - 1000) as f64)
            .collect()
    }

    // Frozen from SciPy 1.17.1 / NumPy 2.4.6 on this machine (2026-12-06):
    //   z, p, k = scipy.signal.butter(4, [300, 3000], btype="bandpass", fs=19531, output="zpk")
    //   sos = scipy.signal.butter(4, [300, 3000], btype="bandpass", fs=19531, output="sos")
    //   scipy.signal.sosfreqz(sos, worN=[100, 300, 1000, 3000, 6000], fs=19531)
    //   scipy.signal.sosfiltfilt(sos, x), scipy.signal.sosfilt(sos, x) for x = probe()
    //   scipy.signal.sosfiltfilt(sos, x[:10], padlen=9)
    const SCIPY_GAIN: f64 = 0.014225985924419916;
    const SCIPY_POLES: [(f64, f64); 4] = [
        (0.40805757432118794, 0.21200967473076066),
        (0.46133841788448826, 0.6090452475866537),
        (0.9026576767281591, 0.04914651899687341),
        (0.9645067533145952, 0.09013821857062192),
    ];
    // (the gain at the band edges is 1/√2, −3 dB, as SciPy prints it: kept as its literal)
    #[allow(clippy::approx_constant)]
    const SCIPY_RESPONSE: [(f64, f64); 5] = [
        (100.0, 0.008712579524707853),
        (300.0, 0.7071067811865369),
        (1000.0, 0.9999999999999977),
        (3000.0, 0.7071067811865476),
        (6000.0, 0.012352429605096428),
    ];
    const SCIPY_FILTFILT: [(usize, f64); 6] = [
        (0, -0.32701270718257547),
        (1, 1017.4595670045635),
        (50, -103.62333233415262),
        (100, 196.67208268113086),
        (150, 359.36735605243865),
        (199, 28.80218338406928),
    ];
    const SCIPY_SOSFILT: [(usize, f64); 6] = [
        (0, -14.225985924419916),
        (1, -64.6445991726755),
        (50, 287.4369888950159),
        (100, -173.48468414450866),
        (150, -558.5444973064001),
        (199, -114.42711120026287),
    ];
    const SCIPY_SHORT: [(usize, f64); 3] = [
        (0, -363.7390889580597),
        (5, 1315.9578019438898),
        (9, 220.83271358326002),
    ];

    #[test]
    fn butterworth_design_equals_scipy() {
        let f = BandPass::butterworth(4, 300.0, 3000.0, RATE).unwrap();
        assert_eq!(f.sections().len(), 4);
        // the overall gain: the product of the b0 of the sections (zeros at ±1 in each)
        let k: f64 = f.sections().iter().map(|s| s[0]).product();
        assert!(close(k, SCIPY_GAIN, 1e-12), "gain {k}");
        // the poles: each section's pair from its denominator
        let mut poles: Vec<(f64, f64)> = f
            .sections()
            .iter()
            .map(|s| {
                let re = -s[4] / 2.0;
                (re, (s[5] - re * re).sqrt())
            })
            .collect();
        poles.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (got, want) in poles.iter().zip(SCIPY_POLES) {
            assert!(
                close(got.0, want.0, 1e-12) && close(got.1, want.1, 1e-12),
                "{got:?}"
            );
        }
        for (fhz, want) in SCIPY_RESPONSE {
            let g = f.gain_at(fhz, RATE);
            assert!(close(g, want, 1e-10), "|H({fhz} Hz)| = {g}, SciPy {want}");
        }
        assert_eq!(f.default_padding(), 27);
    }

    #[test]
    fn filtering_equals_scipy() {
        let f = BandPass::butterworth(4, 300.0, 3000.0, RATE).unwrap();
        let x = probe();
        let yf = f.filter_zero_phase(&x);
        let yc = f.filter_causal(&x);
        assert_eq!((yf.len(), yc.len()), (200, 200));
        for (i, want) in SCIPY_FILTFILT {
            assert!(
                close(yf[i], want, 1e-9),
                "sosfiltfilt[{i}] {} vs {want}",
                yf[i]
            );
        }
        for (i, want) in SCIPY_SOSFILT {
            assert!(close(yc[i], want, 1e-9), "sosfilt[{i}] {} vs {want}", yc[i]);
        }
        let ys = f.filter_zero_phase(&x[..10]);
        for (i, want) in SCIPY_SHORT {
            assert!(close(ys[i], want, 1e-9), "short[{i}] {} vs {want}", ys[i]);
        }
        assert!(f.filter_zero_phase::<f64>(&[]).is_empty());
        assert_eq!(f.filter_zero_phase(&[5.0]).len(), 1);
        // integer inputs give the same as their f64 values
        let xi: Vec<i16> = x.iter().map(|&v| v as i16).collect();
        assert_eq!(f.filter_zero_phase(&xi), yf);
    }

    #[test]
    fn bad_designs_are_refused() {
        assert!(matches!(
            BandPass::butterworth(4, 300.0, 3000.0, 0.0),
            Err(FidelityError::BadRate(_))
        ));
        assert!(matches!(
            BandPass::butterworth(4, 300.0, 12000.0, RATE),
            Err(FidelityError::BadBand { .. })
        ));
        assert!(matches!(
            BandPass::butterworth(4, 3000.0, 300.0, RATE),
            Err(FidelityError::BadBand { .. })
        ));
        assert!(matches!(
            BandPass::butterworth(0, 300.0, 3000.0, RATE),
            Err(FidelityError::BadOrder(0))
        ));
        let p = DetectorParams {
            threshold_sigmas: -1.0,
            ..Default::default()
        };
        assert!(SpikeDetector::new(RATE, p).is_err());
        // odd orders pair a real pole pair too
        for order in 1..=6 {
            let f = BandPass::butterworth(order, 300.0, 3000.0, RATE).unwrap();
            assert_eq!(f.sections().len(), order);
            assert!(close(f.gain_at(950.0, RATE), 1.0, 1e-2), "order {order}");
        }
    }

    /// A noise trace with spikes at known places: Gaussian-ish noise (sum of uniforms) of
    /// σ ≈ `noise`, and a 1 ms negative spike of depth `depth` at each index in `at`.
    fn synthetic(n: usize, noise: f64, depth: f64, at: &[usize], seed: u64) -> Vec<f64> {
        let mut s = seed;
        let mut uni = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut x: Vec<f64> = (0..n)
            .map(|_| noise * (0..12).map(|_| uni()).sum::<f64>())
            .collect();
        for &a in at {
            for k in 0..20usize {
                if a + k < n {
                    // a down-up biphasic shape, minimum near k = 5
                    let t = k as f64 / 20.0;
                    x[a + k] += -depth * (PI * t * 2.0).sin() * (-3.0 * t).exp() * 1.6;
                }
            }
        }
        x
    }

    #[test]
    fn detector_finds_planted_spikes_and_noise_floor() {
        let det = SpikeDetector::new(RATE, DetectorParams::default()).unwrap();
        assert_eq!(det.refractory_samples(), 20);
        let at: Vec<usize> = (0..40).map(|i| 1000 + i * 977).collect();
        let x = synthetic(42_000, 5.0, 120.0, &at, 7);
        let d = det.detect(&x);
        // every planted spike found within 0.5 ms of its minimum (about 4 samples in), and
        // nothing else at 4.5 σ in 42 000 samples of noise (expected false alarms ≈ 0.1)
        let tol = ms_to_samples(0.5, RATE);
        assert_eq!(tol, 10);
        let planted: Vec<usize> = at.iter().map(|a| a + 4).collect();
        let m = match_events(&planted, &d.events, tol);
        assert_eq!(m.true_positives, 40, "{m:?} {:?}", d.events);
        assert!(m.false_positives <= 1, "{m:?}");
        // the noise floor: band-passed white noise keeps about sqrt(2700 / 9765) of σ
        let band = ((3000.0 - 300.0) / (RATE / 2.0)).sqrt();
        assert!(
            (d.sigma / (5.0 * band) - 1.0).abs() < 0.1,
            "σ {} vs {}",
            d.sigma,
            5.0 * band
        );
        // the same on the causal filter: the events move by the filter's delay but are found
        let causal = SpikeDetector::new(
            RATE,
            DetectorParams {
                zero_phase: false,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(causal.detect(&x).events.len() >= 40);
    }

    #[test]
    fn refractory_period_and_crossings() {
        let det = SpikeDetector::new(RATE, DetectorParams::default()).unwrap();
        // thresholding on a given signal: σ from the median of |y|
        let mut y = vec![1.0f64; 200];
        for (i, v) in y.iter_mut().enumerate() {
            if i % 2 == 0 {
                *v = -1.0;
            }
        }
        // σ = 1 / 0.6745, threshold ≈ −6.67: two dips 5 samples apart make one event at the
        // deeper minimum; a dip 30 samples later is a second event
        y[50] = -10.0;
        y[53] = -20.0;
        y[55] = -12.0;
        y[100] = -9.0;
        let d = det.detect_filtered(&y);
        assert!((d.sigma - 1.0 / 0.6745).abs() < 1e-12);
        assert_eq!(d.events, vec![53, 100]);
        // a signal still below the threshold after the dead time is not a new crossing
        let mut z = vec![0.5f64; 200];
        z[10] = -1.0; // median |z| stays 0.5
        for v in z.iter_mut().skip(60).take(40) {
            *v = -50.0;
        }
        assert_eq!(det.detect_filtered(&z).events, vec![60]);
    }

    #[test]
    fn matching_counts_each_event_once() {
        let m = match_events(&[10, 20, 30, 100], &[11, 12, 29, 60, 100], 2);
        assert_eq!(
            m,
            EventMatch {
                true_positives: 3,
                false_positives: 2,
                false_negatives: 1
            }
        );
        assert_eq!(m.precision(), Some(0.6));
        assert_eq!(m.recall(), Some(0.75));
        // greedy earliest-first is optimal: 5 matches 4, 9 matches 8 (not 5 with 8)
        let m = match_events(&[5, 9], &[4, 8], 4);
        assert_eq!(m.true_positives, 2);
        // the tolerance is inclusive
        assert_eq!(match_events(&[10], &[12], 2).true_positives, 1);
        assert_eq!(match_events(&[10], &[13], 2).true_positives, 0);
        let none = match_events(&[], &[], 5);
        assert_eq!((none.precision(), none.recall()), (None, None));
        let mut sum = m;
        sum.add(&EventMatch {
            true_positives: 1,
            false_positives: 1,
            false_negatives: 0,
        });
        assert_eq!(sum.true_positives, 3);
    }

    #[test]
    fn error_stats_and_compare() {
        let a = [0i16, 10, 20, 30];
        let b = [1i16, 10, 18, 30];
        let s = ErrorStats::between(&a, &b).unwrap();
        assert_eq!((s.max_abs, s.sum_sq, s.samples), (2.0, 5.0, 4));
        assert!((s.rms() - (5.0f64 / 4.0).sqrt()).abs() < 1e-15);
        assert!(matches!(
            ErrorStats::between(&a, &b[..3]),
            Err(FidelityError::LengthMismatch {
                original: 4,
                decoded: 3
            })
        ));
        let det = SpikeDetector::new(RATE, DetectorParams::default()).unwrap();
        let at: Vec<usize> = (0..10).map(|i| 500 + i * 1500).collect();
        let x: Vec<f64> = synthetic(16_000, 5.0, 120.0, &at, 3)
            .iter()
            .map(|v| v.round())
            .collect();
        // identical: no error, every event matched, −∞ dB
        let f = compare(&det, &x, &x, 10).unwrap();
        assert_eq!(f.error.max_abs, 0.0);
        assert_eq!(f.spikes.recall(), Some(1.0));
        assert_eq!(f.error_to_noise_db(), Some(f64::NEG_INFINITY));
        // a white ±1 error (power 1) on white noise of σ = 5: the band keeps the same share
        // (about 28 %) of both, so 10·log10(1 / 25) = −14 dB
        let mut s = 99u64;
        let y: Vec<f64> = x
            .iter()
            .map(|v| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                v + if s & 1 == 0 { 1.0 } else { -1.0 }
            })
            .collect();
        let f = compare(&det, &x, &y, 10).unwrap();
        assert_eq!(f.error.max_abs, 1.0);
        let db = f.error_to_noise_db().unwrap();
        assert!((-15.5..-12.5).contains(&db), "{db} dB");
        assert_eq!(f.spikes.true_positives, 10);
    }

    #[test]
    fn noise_sigma_is_the_median_rule() {
        assert_eq!(noise_sigma(&[]), 0.0);
        assert!((noise_sigma(&[-3.0, 1.0, 2.0]) - 2.0 / 0.6745).abs() < 1e-12);
        assert!((noise_sigma(&[-4.0, 1.0, 2.0, 3.0]) - 2.5 / 0.6745).abs() < 1e-12);
    }
}
