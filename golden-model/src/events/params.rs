//! The parameters of event mode (FORMAT.md §12.1) and the stream descriptor that carries
//! them (§12.7): one value builds the detector, the encoder, the decoder and the core.

use crate::Error;

/// The most biquad sections of the band-pass.
pub const MAX_SECTIONS: usize = 2;
/// Fraction bits of the filter coefficients `a1`, `a2` (Q14).
pub const COEF_FRAC: u32 = 14;
/// Fraction bits of the noise estimate `est` (units of `2^-4` of the filter's output).
pub const EST_FRAC: u32 = 4;
/// `σ = est · SIGMA_Q8 / 256 / 2^EST_FRAC`: from the clipped mean to σ of Gaussian noise
/// (`1 / (0.6745 · 1.0617)`, §12.3), Q8.
pub const SIGMA_Q8: u32 = 357;
/// `clip = est · CLIP_Q8 / 256 / 2^EST_FRAC`: twice the median of `|y|` (`2 / 1.0617`), Q8.
pub const CLIP_Q8: u32 = 482;
/// Width of every per-channel field (filter states, accumulators, estimate).
pub const FIELD_BITS: u32 = 16;
/// The most channels of a stream (the hardware's channel address is 10 bits).
pub const MAX_CHANNELS: u32 = 1024;
/// Magic of the stream descriptor (§12.7).
pub const DESCRIPTOR_MAGIC: [u8; 4] = *b"NREV";
/// Version of the stream descriptor written (3: byte 42 is the saturation rule's `Q`; 2: byte
/// 41 is the rail rule's `H`). A version-2 descriptor, whose byte 42 is reserved and zero,
/// reads as `Q = 0`; a version-1 one, whose bytes 41 and 42 are, as `H = 0`, `Q = 0`.
pub const DESCRIPTOR_VERSION: u8 = 3;
/// Bytes of the stream descriptor, CRC included.
pub const DESCRIPTOR_BYTES: usize = 48;
/// The rail rule's default hold-off `H` (§12.3): chosen on the even-index recordings
/// (FORMAT.md §12.9).
pub const RAIL_FRAMES: u8 = 63;
/// The saturation rule's default epoch `2^Q` noise periods (§12.3).
pub const SAT_EPOCH_LOG2: u8 = 5;
/// Railed period ends in a row that reject a channel, and epochs without one that release
/// it (§12.3).
pub const SAT_COUNT: u8 = 3;
/// The upper rail of the 10-bit grid (the lower is 0).
pub const RAIL_HIGH: u32 = 1023;

/// One biquad section of the band-pass, `H(z) = (1 − z^−2) / (1 + a1 z^−1 + a2 z^−2)`, with
/// `a1`, `a2` in Q14 (§12.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Section {
    pub a1: i16,
    pub a2: i16,
}

/// Every parameter of event mode. Construct with [`EventParams::new`] (the defaults for `C`
/// channels) and change fields, then [`EventParams::validate`]; every function of the mode
/// validates before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct EventParams {
    /// Channels `C` interleaved frame by frame (1..=1024).
    pub channels: u32,
    /// Sample rate of a channel in Hz (for times and rates; the detector counts frames).
    pub sample_rate_hz: u32,
    /// Biquad sections `S` in use (1..=2); `sections[..S]` are the filter.
    pub section_count: u8,
    pub sections: [Section; MAX_SECTIONS],
    /// The filter's numerator gain `Π b0` of the sections (Q24): the decoder's factor from
    /// the filter's output units to grid steps (not used by the detector).
    pub gain_q24: u32,
    /// Fraction bits `F` of the filter's signals (0..=5).
    pub frac_bits: u8,
    /// Threshold factor `k` in Q8 (`k = k_q8 / 256`; 4.5 is 1152): events at `y < −k·σ`.
    pub k_q8: u16,
    /// Refractory period `R` in frames (1..=64): events of a channel are at least `R`
    /// frames apart.
    pub refractory_frames: u8,
    /// The noise period is `2^n` frames (4..=12).
    pub noise_period_log2: u8,
    /// The noise accumulator takes one frame in `2^u` (`u <= n`, `n − u <= 8`).
    pub noise_sub_log2: u8,
    /// The first `2^c` noise periods replace the estimate (0..=8).
    pub noise_fast_log2: u8,
    /// The estimate's slowest update weight is `2^−J` (0..=12).
    pub noise_slow_log2: u8,
    /// Frames per power bin `B` (2..=65535).
    pub bin_frames: u16,
    /// Power bins per segment (1..=255): a segment is `B · bins` frames.
    pub segment_bins: u8,
    /// `|y|` is divided by `2^ps` (rounded) before it is summed into a bin (0..=8).
    pub power_shift: u8,
    /// The power sum takes the frames of a bin whose position in the bin is a multiple of
    /// `2^v` (0..=4): one frame in `2^v`, so its state is read and written `2^v` times less
    /// often.
    pub power_sub_log2: u8,
    /// Mantissa bits `M` of a power code (1..=8).
    pub power_mantissa: u8,
    /// A word holding an event's code leaves at most `L` frames after the event (0: no
    /// latency rule; 1..=255).
    pub latency_frames: u8,
    /// Upper bound on a packet's bytes, header and CRC included (§9.3; 20..=16396).
    pub packet_bytes: u16,
    /// The rail rule (§12.3): a sample at a rail of the 10-bit grid (0 or 1023) and the
    /// `H − 1` samples after it give no event and no noise term (0..=63; 0: no rail rule).
    pub rail_frames: u8,
    /// The saturation rule (§12.3): a channel in the rail rule's hold-off at the ends of 3
    /// noise periods in a row is rejected (no events) until 3 epochs of `2^Q` periods pass
    /// with no such period end (0..=8; 0: no saturation rule).
    pub sat_epoch_log2: u8,
}

/// The default band-pass: the first-order Butterworth band-pass (one biquad) from 300 Hz to
/// 3 kHz at 19 531 Hz, bilinear transform with both edges prewarped, `a1 = −1.298850`,
/// `a2 = 0.366274`, `b0 = 0.316863` (`b = b0·(1, 0, −1)`), rounded to Q14 / Q24.
pub const BUTTERWORTH1_300_3000: (Section, u32) = (
    Section {
        a1: -21280,
        a2: 6001,
    },
    5_316_077,
);

/// The second-order Butterworth band-pass (two biquads) over the same band, for a detector
/// that matches a 4-pole reference: sections `(−1.867033, 0.877264)`, `(−0.831792,
/// 0.340662)`, `b0 = 0.339090` each (Q24 of the product: 1 929 074).
pub const BUTTERWORTH2_300_3000: ([Section; 2], u32) = (
    [
        Section {
            a1: -30589,
            a2: 14373,
        },
        Section {
            a1: -13628,
            a2: 5581,
        },
    ],
    1_929_074,
);

impl EventParams {
    /// The defaults for `channels` channels at the recordings' 19 531 Hz (§12.1).
    pub fn new(channels: u32) -> Self {
        EventParams {
            channels,
            sample_rate_hz: 19_531,
            section_count: 1,
            sections: [BUTTERWORTH1_300_3000.0, Section { a1: 0, a2: 0 }],
            gain_q24: BUTTERWORTH1_300_3000.1,
            frac_bits: 3,
            k_q8: 1152,
            refractory_frames: 20,
            noise_period_log2: 8,
            noise_sub_log2: 3,
            noise_fast_log2: 0,
            noise_slow_log2: 10,
            bin_frames: 390,
            segment_bins: 1,
            power_shift: 3,
            power_sub_log2: 2,
            power_mantissa: 4,
            latency_frames: 16,
            packet_bytes: 1024,
            rail_frames: RAIL_FRAMES,
            sat_epoch_log2: SAT_EPOCH_LOG2,
        }
    }

    /// The same with the threshold factor `k` (rounded to 1/256); refuses `k <= 0`, `k` not
    /// finite and `k >= 256`.
    pub fn with_k(self, k: f64) -> Result<Self, Error> {
        if !k.is_finite() || k <= 0.0 || k >= 256.0 {
            return Err(Error::BadParams(format!(
                "threshold factor k must be in (0, 256), got {k}"
            )));
        }
        let q = (k * 256.0).round().max(1.0) as u16;
        Ok(EventParams { k_q8: q, ..self })
    }

    /// The threshold factor `k`.
    pub fn k(&self) -> f64 {
        self.k_q8 as f64 / 256.0
    }

    /// The filter's sections in use.
    pub fn filter(&self) -> &[Section] {
        &self.sections[..self.section_count as usize]
    }

    /// Checks every field (clear errors naming the field and its range).
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::BadParams(m));
        if !(1..=MAX_CHANNELS).contains(&self.channels) {
            return bad(format!(
                "event mode: channels must be 1..={MAX_CHANNELS}, got {}",
                self.channels
            ));
        }
        if self.sample_rate_hz == 0 {
            return bad("event mode: the sample rate must be at least 1 Hz".into());
        }
        if !(1..=MAX_SECTIONS as u8).contains(&self.section_count) {
            return bad(format!(
                "event mode: the band-pass has 1..={MAX_SECTIONS} sections, got {}",
                self.section_count
            ));
        }
        for (i, s) in self.filter().iter().enumerate() {
            // poles inside the unit circle: |a2| < 1 and |a1| < 1 + a2 (Q14)
            let (a1, a2) = (s.a1 as i32, s.a2 as i32);
            if a2.abs() >= 1 << COEF_FRAC || a1.abs() >= (1 << COEF_FRAC) + a2 {
                return bad(format!(
                    "event mode: section {i} (a1 = {}, a2 = {} in Q14) is not stable: it \
                     needs |a2| < 16384 and |a1| < 16384 + a2",
                    s.a1, s.a2
                ));
            }
        }
        if self.gain_q24 == 0 {
            return bad("event mode: the filter gain must be positive".into());
        }
        if self.frac_bits > 5 {
            return bad(format!(
                "event mode: frac_bits {} not in 0..=5 (the centred sample times 2^F must \
                 fit 16 bits)",
                self.frac_bits
            ));
        }
        if self.k_q8 == 0 {
            return bad("event mode: the threshold factor k must be positive (k_q8 >= 1)".into());
        }
        if !(1..=64).contains(&self.refractory_frames) {
            return bad(format!(
                "event mode: refractory period {} frames not in 1..=64",
                self.refractory_frames
            ));
        }
        if !(4..=12).contains(&self.noise_period_log2) {
            return bad(format!(
                "event mode: noise period 2^{} frames: the exponent must be 4..=12",
                self.noise_period_log2
            ));
        }
        if self.noise_sub_log2 > self.noise_period_log2
            || self.noise_period_log2 - self.noise_sub_log2 > 8
        {
            return bad(format!(
                "event mode: noise subsampling 2^{} must be at most the period 2^{} and \
                 leave at most 2^8 samples per period",
                self.noise_sub_log2, self.noise_period_log2
            ));
        }
        if self.noise_fast_log2 > 8 || self.noise_slow_log2 > 12 {
            return bad(format!(
                "event mode: noise schedule 2^{} fast periods (exponent 0..=8), slowest \
                 weight 2^-{} (exponent 0..=12)",
                self.noise_fast_log2, self.noise_slow_log2
            ));
        }
        if self.bin_frames < 2 {
            return bad(format!(
                "event mode: a power bin must be 2..=65535 frames, got {}",
                self.bin_frames
            ));
        }
        if self.segment_bins == 0 {
            return bad("event mode: a segment must hold 1..=255 power bins, got 0".into());
        }
        if self.power_shift > 8 {
            return bad(format!(
                "event mode: power shift {} not in 0..=8",
                self.power_shift
            ));
        }
        if self.power_sub_log2 > 4 || (1u32 << self.power_sub_log2) > self.bin_frames as u32 {
            return bad(format!(
                "event mode: power subsampling 2^{} must be at most 2^4 and at most the bin \
                 ({} frames)",
                self.power_sub_log2, self.bin_frames
            ));
        }
        if !(1..=8).contains(&self.power_mantissa) {
            return bad(format!(
                "event mode: power mantissa {} bits not in 1..=8",
                self.power_mantissa
            ));
        }
        if self.rail_frames > 63 {
            return bad(format!(
                "event mode: rail hold-off {} frames not in 0..=63",
                self.rail_frames
            ));
        }
        if self.sat_epoch_log2 > 8 {
            return bad(format!(
                "event mode: saturation epoch 2^{} noise periods: the exponent must be 0..=8",
                self.sat_epoch_log2
            ));
        }
        if self.sat_epoch_log2 > 0 && self.rail_frames == 0 {
            return bad(
                "event mode: the saturation rule (sat_epoch_log2 > 0) needs the rail rule \
                 (rail_frames > 0)"
                    .into(),
            );
        }
        let min_packet = crate::packet::OVERHEAD_BYTES + 4;
        let max_packet = crate::packet::OVERHEAD_BYTES + 4 * crate::packet::MAX_PAYLOAD_WORDS;
        if !(min_packet..=max_packet).contains(&(self.packet_bytes as usize)) {
            return bad(format!(
                "event mode: packet size {} bytes not in {min_packet}..={max_packet}",
                self.packet_bytes
            ));
        }
        Ok(())
    }

    /// Bits of a channel number in an event code: `⌈log2 C⌉` (0 for one channel).
    pub fn channel_bits(&self) -> u32 {
        32 - (self.channels - 1).leading_zeros()
    }

    /// Bits of a power code: enough for the largest code of a 16-bit sum (§12.4).
    pub fn power_code_bits(&self) -> u32 {
        let max = power_code(u16::MAX as u32, self.power_mantissa as u32);
        32 - max.leading_zeros()
    }

    /// Frames per segment: `B · bins`.
    pub fn segment_frames(&self) -> u32 {
        self.bin_frames as u32 * self.segment_bins as u32
    }

    /// The threshold multiplier `c_thr = (k_q8 · 357 + 128) >> 8` (§12.3).
    pub fn thr_mult(&self) -> u32 {
        (self.k_q8 as u32 * SIGMA_Q8 + 128) >> 8
    }

    /// Payload words per full packet.
    pub fn payload_words(&self) -> usize {
        ((self.packet_bytes as usize - crate::packet::OVERHEAD_BYTES) / 4)
            .min(crate::packet::MAX_PAYLOAD_WORDS)
    }

    /// Bits of per-channel state: `2·S` filter states, the estimate, two accumulators (16
    /// bits each), the refractory count, the below flag, the rail rule's count and the
    /// saturation rule's flag and 2-bit count.
    pub fn state_bits(&self) -> u32 {
        (2 * self.section_count as u32 + 3) * FIELD_BITS
            + self.refractory_bits()
            + 1
            + self.rail_bits()
            + if self.sat_epoch_log2 > 0 { 3 } else { 0 }
    }

    /// Bits of the rail rule's count (it holds `0..H`; none for `H <= 1`).
    pub fn rail_bits(&self) -> u32 {
        32 - (self.rail_frames.max(1) as u32 - 1).leading_zeros()
    }

    /// Bits of the refractory count (it holds `0..R`).
    pub fn refractory_bits(&self) -> u32 {
        (32 - (self.refractory_frames as u32 - 1).leading_zeros()).max(1)
    }

    /// Frames of a bin the power sum takes: `⌈B / 2^v⌉`.
    pub fn power_terms(&self) -> u32 {
        (self.bin_frames as u32).div_ceil(1 << self.power_sub_log2)
    }

    /// The power of a bin in grid steps (mean `|y|` scaled back through the filter's gain)
    /// from its code: the code's value interval's midpoint (§12.4).
    pub fn power_value(&self, code: u32) -> f64 {
        let v = power_decode(code, self.power_mantissa as u32);
        v * (1u32 << self.power_shift) as f64
            / (self.power_terms() as f64 * (1u32 << self.frac_bits) as f64)
            * self.gain_q24 as f64
            / (1u32 << 24) as f64
    }

    /// The descriptor (§12.7): 48 bytes, little-endian, CRC-32 last.
    pub fn to_bytes(&self) -> [u8; DESCRIPTOR_BYTES] {
        let mut b = [0u8; DESCRIPTOR_BYTES];
        b[0..4].copy_from_slice(&DESCRIPTOR_MAGIC);
        b[4] = DESCRIPTOR_VERSION;
        b[5] = self.section_count;
        b[6..8].copy_from_slice(&(self.channels as u16).to_le_bytes());
        b[8..12].copy_from_slice(&self.sample_rate_hz.to_le_bytes());
        for (i, s) in self.sections.iter().enumerate() {
            b[12 + 4 * i..14 + 4 * i].copy_from_slice(&s.a1.to_le_bytes());
            b[14 + 4 * i..16 + 4 * i].copy_from_slice(&s.a2.to_le_bytes());
        }
        b[20..24].copy_from_slice(&self.gain_q24.to_le_bytes());
        b[24] = self.frac_bits;
        b[25] = self.refractory_frames;
        b[26..28].copy_from_slice(&self.k_q8.to_le_bytes());
        b[28] = self.noise_period_log2;
        b[29] = self.noise_sub_log2;
        b[30] = self.noise_fast_log2;
        b[31] = self.noise_slow_log2;
        b[32..34].copy_from_slice(&self.bin_frames.to_le_bytes());
        b[34] = self.segment_bins;
        b[35] = self.power_shift;
        b[36] = self.power_mantissa;
        b[37] = self.latency_frames;
        b[38..40].copy_from_slice(&self.packet_bytes.to_le_bytes());
        b[40] = self.power_sub_log2;
        b[41] = self.rail_frames;
        b[42] = self.sat_epoch_log2;
        // 43 reserved, zero
        let crc = crc32fast::hash(&b[..44]);
        b[44..48].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Reads and validates a descriptor (magic, version, CRC, reserved bytes, every field).
    pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
        if b.len() != DESCRIPTOR_BYTES {
            return Err(Error::Corrupt(format!(
                "event descriptor: {} bytes, expected {DESCRIPTOR_BYTES}",
                b.len()
            )));
        }
        if b[0..4] != DESCRIPTOR_MAGIC {
            return Err(Error::Corrupt("event descriptor: bad magic".into()));
        }
        if !(1..=DESCRIPTOR_VERSION).contains(&b[4]) {
            return Err(Error::UnsupportedVersion {
                found: b[4],
                supported: DESCRIPTOR_VERSION,
            });
        }
        let stored = u32::from_le_bytes([b[44], b[45], b[46], b[47]]);
        let computed = crc32fast::hash(&b[..44]);
        if stored != computed {
            return Err(Error::Checksum { stored, computed });
        }
        // version 1 had no rail rule (byte 41 reserved), versions 1 and 2 no saturation rule
        // (byte 42 reserved)
        if b[43] != 0 || (b[4] == 1 && b[41] != 0) || (b[4] <= 2 && b[42] != 0) {
            return Err(Error::Corrupt(
                "event descriptor: reserved bytes are not zero".into(),
            ));
        }
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let i16_at = |i: usize| i16::from_le_bytes([b[i], b[i + 1]]);
        let mut sections = [Section { a1: 0, a2: 0 }; MAX_SECTIONS];
        for (i, s) in sections.iter_mut().enumerate() {
            *s = Section {
                a1: i16_at(12 + 4 * i),
                a2: i16_at(14 + 4 * i),
            };
        }
        let p = EventParams {
            channels: u16_at(6) as u32,
            sample_rate_hz: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            section_count: b[5],
            sections,
            gain_q24: u32::from_le_bytes([b[20], b[21], b[22], b[23]]),
            frac_bits: b[24],
            refractory_frames: b[25],
            k_q8: u16_at(26),
            noise_period_log2: b[28],
            noise_sub_log2: b[29],
            noise_fast_log2: b[30],
            noise_slow_log2: b[31],
            bin_frames: u16_at(32),
            segment_bins: b[34],
            power_shift: b[35],
            power_sub_log2: b[40],
            power_mantissa: b[36],
            latency_frames: b[37],
            packet_bytes: u16_at(38),
            rail_frames: b[41],
            sat_epoch_log2: b[42],
        };
        // unused sections must be zero, so one parameter set has one descriptor
        if p.sections[p.section_count.min(MAX_SECTIONS as u8) as usize..]
            .iter()
            .any(|s| s.a1 != 0 || s.a2 != 0)
        {
            return Err(Error::Corrupt(
                "event descriptor: coefficients of an unused section are not zero".into(),
            ));
        }
        p.validate()?;
        Ok(p)
    }
}

/// The power code of a bin's sum `v` (`0 <= v < 2^16`) with `m` mantissa bits (§12.4): `v`
/// itself below `2^m`, else `(e << m) | mantissa` with `e = ⌊log2 v⌋ − m + 1`.
pub fn power_code(v: u32, m: u32) -> u32 {
    if v < 1 << m {
        return v;
    }
    let top = 31 - v.leading_zeros(); // ⌊log2 v⌋ >= m
    let e = top - m + 1;
    (e << m) | ((v >> (e - 1)) & ((1 << m) - 1))
}

/// The value a power code stands for: exact below `2^m`, else the midpoint of the sums that
/// have this code.
pub fn power_decode(code: u32, m: u32) -> f64 {
    if code < 1 << m {
        return code as f64;
    }
    let e = code >> m;
    let lo = (((1u64 << m) | (code as u64 & ((1 << m) - 1))) << (e - 1)) as f64;
    lo + ((1u64 << (e - 1)) - 1) as f64 / 2.0
}

/// The interval of sums `[lo, hi]` a power code stands for (for tests and decoders).
pub fn power_interval(code: u32, m: u32) -> (u32, u32) {
    if code < 1 << m {
        return (code, code);
    }
    let e = code >> m;
    let lo = ((1 << m) | (code & ((1 << m) - 1))) << (e - 1);
    (lo, lo + (1 << (e - 1)) - 1)
}
