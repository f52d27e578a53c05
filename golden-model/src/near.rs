//! Bounded-error ("near-lossless") coding for coder v1 (`lite`): FORMAT.md §11.
//!
//! With a maximum error `δ` (in units of the coded sample: grid steps in grid mode) and the
//! step `m = 2δ + 1`, each sample `x` is replaced by its **lattice index**
//! `j = ⌊(x + δ) / m⌋ + b` and the indices are coded by the lossless coder of §3, unchanged;
//! the decoder decodes the indices as §3 does and outputs `x̂ = min((j − b)·m, 2^W − 1)`.
//! `|x − x̂| <= δ` for every sample, and `b = 2^(W−1) − ⌊(2^(W−1) + δ) / m⌋` makes the
//! initial predictor `2^(W−1)` the index of mid-scale.
//!
//! With the delta predictor this *is* JPEG-LS's near-lossless rule (ITU-T T.87 §A.4: the
//! residual quantised with step `m` around the prediction, the reconstruction fed back to
//! the predictor and to the adaptation of `A`, `N`): its reconstructions never leave the
//! lattice `prev₀ + k·m`, so the predictor sees the lattice values, the coded residual is the
//! difference of lattice indices and `A`, `N` adapt on it. The two differ only in where the
//! lattice is anchored and at the clamping ends of the scale; measured on the 603 recordings
//! the lattice form codes 0.07 % (δ = 1) to 0.24 % (δ = 3) fewer bits (FORMAT.md §11.9,
//! `examples/near_lossless.rs`). The lattice form
//! puts the whole quantiser **before** the coder: in hardware a feed-forward division of
//! the input by a constant, with no new logic in the per-channel feedback loop (the
//! forwarded `prev` is the reconstruction's index).
//!
//! `δ = 0` is the lossless coder bit for bit (`m = 1`, `b = 0`, `j = x`).
//!
//! Coder max uses the same [`Quantiser`] in the **residual form** of JPEG-LS around its LMS
//! prediction ([`Quantiser::residual`], [`Quantiser::residual_value`]; FORMAT.md §10.11):
//! with a prediction that is not on the lattice the two forms differ, and this one codes
//! 0.4 % (δ = 1) to 1.3 % (δ = 2) fewer bits there.
//!
//! `δ` is a parameter of the coder ([`crate::CodecParams::max_error`]), so everything that
//! takes the coder value takes it: [`crate::CodecParams::quantiser`] derives the quantiser,
//! the coder's functions ([`crate::lite::encode_all`], [`crate::lite::encode_bytes`],
//! [`crate::lite::decode_all`], [`crate::lite::decode_padded`], [`crate::Encoder`]) apply
//! it, and the container, the streamed layout and the packet stream carry it.

use serde::{Deserialize, Serialize};

use crate::format::Mode;
use crate::grid::grid_index;
use crate::Error;

/// The largest maximum error `δ` the format carries (one byte in the container, FORMAT.md
/// §11.5), in grid steps.
pub const MAX_ERROR_LIMIT: u32 = 255;

/// 16-bit PCM units per grid step in raw mode (W = 16): a raw-mode sample is kept within
/// `64·δ` of the original (a grid step is 65535 / 1023 ≈ 64.06 units, so this never exceeds
/// what grid mode allows). FORMAT.md §11.4.
pub const RAW_UNITS_PER_STEP: u32 = 64;

/// 16-bit PCM units per grid step on average (`65535 / 1023`; a step is 64 or 65 units).
pub const UNITS_PER_STEP: f64 = 65535.0 / 1023.0;

/// Whether a decoded 16-bit sample `decoded` keeps FORMAT.md §11's promise for its original
/// `original` in a stream of maximum error `delta` grid steps coded in `mode`: grid mode
/// (`Grid10`): an on-grid sample decodes on the grid within `delta` steps, an off-grid one
/// (an exception) exactly; raw mode (`Raw16`): within `64·delta` units. `None` (a streamed
/// container, whose blocks choose their mode): either.
pub fn sample_within(original: i16, decoded: i16, delta: u32, mode: Option<Mode>) -> bool {
    match mode {
        Some(Mode::Grid10) => match grid_index(original) {
            Some(k) => grid_index(decoded).is_some_and(|j| j.abs_diff(k) <= delta),
            None => decoded == original,
        },
        Some(Mode::Raw16) => {
            (decoded as i32).abs_diff(original as i32) <= RAW_UNITS_PER_STEP * delta
        }
        None => {
            sample_within(original, decoded, delta, Some(Mode::Grid10))
                || sample_within(original, decoded, delta, Some(Mode::Raw16))
        }
    }
}

/// `decoded − original` in grid steps: the difference of their grid indices when both are on
/// the grid (exact), else the difference in 16-bit units over [`UNITS_PER_STEP`].
pub fn error_in_steps(original: i16, decoded: i16) -> f64 {
    match (grid_index(original), grid_index(decoded)) {
        (Some(k), Some(j)) => j as f64 - k as f64,
        _ => (decoded as f64 - original as f64) / UNITS_PER_STEP,
    }
}

/// Checks a maximum error in grid steps against the format's limit.
pub fn check_max_error(delta: u32) -> Result<(), Error> {
    if delta > MAX_ERROR_LIMIT {
        return Err(Error::BadParams(format!(
            "maximum error {delta} grid steps is more than the format carries (0..={MAX_ERROR_LIMIT})"
        )));
    }
    Ok(())
}

/// The sample quantiser of one bounded-error stream: the maximum error `δ` in units of the
/// coded sample, for `W`-bit samples. Built through [`Quantiser::grid`], [`Quantiser::raw`],
/// [`Quantiser::new`] or [`Quantiser::LOSSLESS`], so it is always valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quantiser {
    delta: u32,
    /// `W` (any value for `δ = 0`, which maps every sample to itself).
    w: u32,
}

impl Default for Quantiser {
    fn default() -> Self {
        Quantiser::LOSSLESS
    }
}

impl Quantiser {
    /// `δ = 0`: the lossless coder of FORMAT.md §3 (for any `W`).
    pub const LOSSLESS: Quantiser = Quantiser { delta: 0, w: 10 };

    /// The quantiser of `δ` units for `W`-bit samples (`2 <= W <= 16`, `δ < 2^(W−1)`).
    pub fn new(delta: u32, w: u32) -> Result<Self, Error> {
        if !(2..=16).contains(&w) {
            return Err(Error::BadParams(format!("sample width {w} not in 2..=16")));
        }
        if delta >= 1 << (w - 1) {
            return Err(Error::BadParams(format!(
                "maximum error {delta} is not below half the {w}-bit scale ({})",
                1u32 << (w - 1)
            )));
        }
        Ok(Quantiser { delta, w })
    }

    /// Grid mode (W = 10): every sample within `delta` grid steps of the original; `delta`
    /// in `0..=`[`MAX_ERROR_LIMIT`].
    pub fn grid(delta: u32) -> Result<Self, Error> {
        check_max_error(delta)?;
        Self::new(delta, 10)
    }

    /// Raw mode (W = 16, the samples as offset binary `v + 32768`, FORMAT.md §11.4) for a
    /// stream whose maximum error is `delta` grid steps: `64·delta` 16-bit units
    /// ([`RAW_UNITS_PER_STEP`]).
    pub fn raw(delta: u32) -> Result<Self, Error> {
        check_max_error(delta)?;
        Self::new(delta * RAW_UNITS_PER_STEP, 16)
    }

    /// `δ` in units of the coded sample.
    pub fn delta(&self) -> u32 {
        self.delta
    }

    /// The sample width `W` it was built for.
    pub fn sample_bits(&self) -> u32 {
        self.w
    }

    /// The step `m = 2δ + 1`.
    pub fn step(&self) -> u32 {
        2 * self.delta + 1
    }

    /// Whether this is the lossless coder (`δ = 0`).
    pub fn is_lossless(&self) -> bool {
        self.delta == 0
    }

    /// `b = 2^(W−1) − ⌊(2^(W−1) + δ) / m⌋`: the index of the lattice value 0 (0 for `δ = 0`).
    pub fn offset(&self) -> u32 {
        if self.delta == 0 {
            return 0;
        }
        let half = 1u32 << (self.w - 1);
        half - (half + self.delta) / self.step()
    }

    /// The number of lattice values: `⌊(2^W − 1 + δ) / m⌋ + 1` (`2^W` for `δ = 0`).
    pub fn levels(&self) -> u32 {
        ((1u32 << self.w) - 1 + self.delta) / self.step() + 1
    }

    /// Checks that the quantiser was built for `W`-bit samples (any `W` when lossless).
    pub fn check_width(&self, w: u32) -> Result<(), Error> {
        if self.delta != 0 && self.w != w {
            return Err(Error::BadParams(format!(
                "the quantiser is for {}-bit samples, the coder codes {w}-bit ones",
                self.w
            )));
        }
        Ok(())
    }

    /// The lattice index the coder codes for the `W`-bit sample `x`:
    /// `⌊(x + δ) / m⌋ + b` (`x` itself for `δ = 0`). Always below `2^W`.
    #[inline]
    pub fn index(&self, x: u32) -> u32 {
        if self.delta == 0 {
            return x;
        }
        (x + self.delta) / self.step() + self.offset()
    }

    /// The decoder's sample for lattice index `j`: `min((j − b)·m, 2^W − 1)`; `None` for an
    /// index outside `b … b + levels − 1`, which no encoder writes (a corrupt stream).
    #[inline]
    pub fn value(&self, j: u32) -> Option<u32> {
        if self.delta == 0 {
            return Some(j);
        }
        let k = j.checked_sub(self.offset())?;
        (k < self.levels()).then(|| (k * self.step()).min(self.top()))
    }

    /// The decoder's sample for `x`: `value(index(x))`, within `δ` of `x`.
    #[inline]
    pub fn reconstruct(&self, x: u32) -> u32 {
        self.value(self.index(x)).expect("an index of the lattice")
    }

    /// The largest `W`-bit sample, where reconstructions are clamped: `2^W − 1`.
    #[inline]
    fn top(&self) -> u32 {
        (1 << self.w) - 1
    }

    /// The residual form (JPEG-LS's rule around a prediction, coder max, FORMAT.md §10.11):
    /// the sample `x` predicted as `pred` (both below `2^W`) gives the quantised residual
    /// `q = sign(e)·⌊(|e| + δ) / m⌋` of `e = x − pred`, coded as its zigzag magnitude
    /// `u = 2q` (`q ≥ 0`) or `−2q − 1`, and the reconstruction
    /// [`residual_value`](Self::residual_value)`(u, pred)`, within `δ` of `x`. Returns
    /// `(u, reconstruction)`. For `δ ≥ 1`, `u < 2^W`.
    #[inline]
    pub fn residual(&self, x: u32, pred: u32) -> (u32, u32) {
        let (m, d) = (self.step() as i32, self.delta as i32);
        let e = x as i32 - pred as i32;
        let q = if e >= 0 { (e + d) / m } else { -((d - e) / m) };
        let u = if q >= 0 {
            2 * q as u32
        } else {
            (-2 * q - 1) as u32
        };
        (u, self.clamped(pred as i32 + q * m))
    }

    /// The decoder's sample for the zigzag magnitude `u` of a quantised residual around
    /// `pred` ([`residual`](Self::residual)): `clamp(pred + q·m, 0, 2^W − 1)`. Every `u`
    /// gives a sample below `2^W` (the clamp, as [`value`](Self::value)'s, only moves it
    /// towards the scale, where the original is).
    #[inline]
    pub fn residual_value(&self, u: u32, pred: u32) -> u32 {
        let half = (u >> 1) as i32;
        let q = if u & 1 == 0 { half } else { -half - 1 };
        self.clamped(pred as i32 + q * self.step() as i32)
    }

    /// `v` clamped to the scale `0 … 2^W − 1`.
    #[inline]
    fn clamped(&self, v: i32) -> u32 {
        v.clamp(0, self.top() as i32) as u32
    }

    /// [`value`](Self::value) of every decoded index, or the corrupt-stream error.
    pub fn values(&self, mut indices: Vec<u32>) -> Result<Vec<u32>, Error> {
        if self.delta == 0 {
            return Ok(indices);
        }
        for j in indices.iter_mut() {
            *j = self.value(*j).ok_or_else(|| {
                Error::Corrupt(format!(
                    "decoded index {j} is outside the lattice of the maximum error {}",
                    self.delta
                ))
            })?;
        }
        Ok(indices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossless_quantiser_is_the_identity() {
        let q = Quantiser::LOSSLESS;
        for x in 0..1u32 << 16 {
            assert_eq!(q.index(x), x);
            assert_eq!(q.value(x), Some(x));
        }
        assert_eq!(Quantiser::grid(0).unwrap(), Quantiser::LOSSLESS);
        assert_eq!(q.offset(), 0);
    }

    #[test]
    fn every_sample_is_within_delta_on_the_whole_scale() {
        // every sample of every width 2..=10 for every δ the width allows (and all 256 for
        // W = 10), and W = 16 sampled: within δ, indices below 2^W, the lattice's ends used,
        // mid-scale the initial predictor
        for w in 2..=10u32 {
            let dmax = ((1u32 << (w - 1)) - 1).min(MAX_ERROR_LIMIT);
            for d in 0..=dmax {
                let qz = Quantiser::new(d, w).unwrap();
                let (b, n) = (qz.offset(), qz.levels());
                assert!(b + n <= 1 << w, "W {w} δ {d}: b {b} + levels {n}");
                let half = 1u32 << (w - 1);
                assert_eq!(qz.index(half), half, "W {w} δ {d}: mid-scale");
                let mut seen = vec![false; n as usize];
                for x in 0..1u32 << w {
                    let j = qz.index(x);
                    let r = qz.value(j).expect("index on the lattice");
                    assert!(x.abs_diff(r) <= d, "W {w} δ {d}: x {x} → {r}");
                    seen[(j - b) as usize] = true;
                }
                assert!(seen.iter().all(|&s| s), "W {w} δ {d}: every level used");
                if d > 0 {
                    // the indices no encoder writes (δ = 0 has none: j = x)
                    assert_eq!(qz.value(b + n), None);
                    assert_eq!(qz.value(b - 1), None);
                }
            }
        }
        for d in [1u32, 64, 128, 1000, 16320] {
            let qz = Quantiser::new(d, 16).unwrap();
            for x in (0..1u32 << 16).step_by(7).chain([65534, 65535]) {
                let r = qz.reconstruct(x);
                assert!(x.abs_diff(r) <= d && r < 1 << 16);
                assert!(qz.index(x) < 1 << 16);
            }
        }
    }

    #[test]
    fn the_residual_form_is_within_delta_and_decodes_to_itself() {
        // every 10-bit sample against predictions across the scale (both ends included),
        // for δ up to the format's limit; W = 16 sampled
        for (w, deltas) in [
            (10u32, vec![1u32, 2, 3, 4, 7, 100, 255]),
            (16, vec![64, 128, 64 * 255]),
        ] {
            let top = (1u32 << w) - 1;
            let stride = if w == 10 { 1 } else { 97 };
            for d in deltas {
                let qz = Quantiser::new(d, w).unwrap();
                for pred in (0..=top).step_by(37).chain([0, 1, top - 1, top]) {
                    for x in (0..=top).step_by(stride).chain([top]) {
                        let (u, r) = qz.residual(x, pred);
                        assert!(x.abs_diff(r) <= d, "W {w} δ {d}: {x} around {pred} → {r}");
                        assert!(u < 1 << w, "W {w} δ {d}: u {u}");
                        assert_eq!(qz.residual_value(u, pred), r);
                    }
                }
            }
        }
        // δ = 1 (m = 3): e = 4 → q = 1 (u 2), e = −2 → q = −1 (u 1), e = ±1 → q = 0
        let q = Quantiser::grid(1).unwrap();
        assert_eq!(q.residual(504, 500), (2, 503));
        assert_eq!(q.residual(498, 500), (1, 497));
        assert_eq!(q.residual(501, 500), (0, 500));
        assert_eq!(q.residual(499, 500), (0, 500));
        // clamped at both ends of the scale: within δ, on the scale
        assert_eq!(q.residual(1023, 1021), (2, 1023));
        assert_eq!(q.residual(0, 2), (1, 0));
        // a decoder clamps any magnitude the same way
        assert_eq!(q.residual_value(1022, 0), 1023);
        assert_eq!(q.residual_value(1023, 1023), 0);
    }

    #[test]
    fn grid_figures() {
        // δ = 1: m = 3, 342 levels 0, 3, …, 1023, b = 512 − 171 = 341
        let q = Quantiser::grid(1).unwrap();
        assert_eq!((q.step(), q.levels(), q.offset()), (3, 342, 341));
        assert_eq!((q.index(0), q.index(1), q.index(2)), (341, 341, 342));
        assert_eq!((q.value(341), q.value(682)), (Some(0), Some(1023)));
        // δ = 2: m = 5, 206 levels 0, 5, …, 1020 and 1025 → 1023
        let q = Quantiser::grid(2).unwrap();
        assert_eq!((q.step(), q.levels(), q.offset()), (5, 206, 410));
        assert_eq!(q.value(410 + 205), Some(1023));
        assert_eq!(q.reconstruct(1023), 1023);
        assert_eq!(q.reconstruct(1022), 1020); // 204·5: within δ, not the nearest
        assert_eq!(q.reconstruct(1021), 1020);
    }

    #[test]
    fn the_per_sample_promise_by_mode() {
        use crate::grid::grid_value;
        let (v, w, x) = (grid_value(500), grid_value(501), grid_value(503));
        let off = v + 1; // between two grid values
        assert!(sample_within(v, w, 1, Some(Mode::Grid10)));
        assert!(!sample_within(v, x, 2, Some(Mode::Grid10)));
        assert!(sample_within(v, x, 3, Some(Mode::Grid10)));
        // an exception is restored exactly in grid mode, within 64·δ units in raw mode
        assert!(!sample_within(off, v, 1, Some(Mode::Grid10)));
        assert!(sample_within(off, off, 1, Some(Mode::Grid10)));
        assert!(sample_within(off, v, 1, Some(Mode::Raw16)));
        assert!(sample_within(v, v + 64, 1, Some(Mode::Raw16)));
        assert!(!sample_within(v, v + 65, 1, Some(Mode::Raw16)));
        assert!(sample_within(v, v + 65, 1, None) == (grid_index(v + 65) == Some(501)));
        assert!(!sample_within(v, x, 1, None));
        assert_eq!(error_in_steps(v, x), 3.0);
        assert_eq!(error_in_steps(x, v), -3.0);
        assert!((error_in_steps(0, 64) - 64.0 / UNITS_PER_STEP).abs() < 1e-12);
    }

    #[test]
    fn limits_are_refused_with_a_clear_error() {
        assert!(Quantiser::grid(MAX_ERROR_LIMIT).is_ok());
        let e = Quantiser::grid(MAX_ERROR_LIMIT + 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("256") && e.contains("0..=255"), "{e}");
        assert!(Quantiser::raw(256).is_err());
        assert_eq!(Quantiser::raw(2).unwrap().delta(), 128);
        assert!(Quantiser::new(512, 10).is_err());
        assert!(Quantiser::new(1, 17).is_err());
        assert!(Quantiser::grid(1).unwrap().check_width(16).is_err());
        assert!(Quantiser::LOSSLESS.check_width(16).is_ok());
        let e = Quantiser::grid(1)
            .unwrap()
            .values(vec![341, 700])
            .unwrap_err();
        assert!(e.to_string().contains("outside the lattice"), "{e}");
    }
}
