//! How long a segment of the packet stream can be, and so which settings its 16-bit `PART`
//! field can number (FORMAT.md §9.3): a segment may need at most [`MAX_SEGMENT_PACKETS`]
//! packets (`PART` = 0 … 65 535). A longer one would wrap `PART`, and its packets from the
//! 65 537th on would be refused (`FIRST` exactly when `PART = 0`), losing samples on a
//! perfect link; so a stream descriptor whose worst-case segment is longer is refused
//! ([`check_numbering`], called by [`StreamConfig::validate`]), in the model and in the
//! hardware's parameter check alike.
//!
//! **Worst-case segment bytes** `L_max` for a group of `G` channels and `R` frames:
//! - v1: `G·W` bits for the raw first frame, then `(R − 1)·G` codes of at most `Q + W` bits,
//!   in whole 32-bit words.
//! - v2: per sample at most `Q + 2` context-coded bins, each costing at most `13 − a` bits
//!   (a context's probability never leaves `[2^a − 1, 4097 − 2^a]` under the adaptation of
//!   §7.5, so a bin costs at most `log2(4096 / (2^a − 1)) < 13 − a` bits, and the range
//!   coder's rounding adds less than 2^−11 bit), and at most `W` bypass bits; plus 16 bytes for
//!   the coder's start and flush; padded to a whole word.
//!
//! - max: per sample at most one range-coder step (12 bits) and the most raw bits
//!   (`MaxParams::max_bits_per_sample`), plus 16 bytes for the two substreams' lengths,
//!   flushes and padding (§10.5, §10.6).
//!
//! A segment then needs at most `⌈L_max / (4·⌊(P − 16)/4⌋)⌉` packets (payload words capped
//! at 4095). Coder max's segments have two substreams whose packets are numbered apart, with
//! the substream in bit 15 of `PART` (§10.8): 2^15 packets each; its bound counts both
//! substreams' bytes together, so each substream is within it.

use crate::packet::StreamConfig;
use crate::{CoderSpec, Error};

/// The most packets one segment can have: `PART` is 16 bits.
pub const MAX_SEGMENT_PACKETS: u64 = 1 << 16;

/// The most packets one segment (one substream of it, for coder max) of `coder` can have:
/// [`MAX_SEGMENT_PACKETS`], or 2^15 where bit 15 of `PART` names the substream.
pub fn part_limit(coder: &CoderSpec) -> u64 {
    crate::packet::max_parts(coder) as u64
}

/// An upper bound on the coded bytes (padding to a word included) of a segment of `frames`
/// frames of `channels` channels.
pub fn max_segment_bytes(coder: &CoderSpec, channels: usize, frames: u64) -> u64 {
    coder.max_segment_bits(channels, frames).div_ceil(32) * 4
}

/// An upper bound on the packets of one segment of `cfg` (its largest group, a full segment).
pub fn max_segment_packets(cfg: &StreamConfig) -> u64 {
    let payload = (cfg.payload_words() as u64 * 4).max(1);
    max_segment_bytes(
        &cfg.coder,
        cfg.group_channels.min(cfg.channels),
        cfg.segment_frames as u64,
    )
    .div_ceil(payload)
}

/// The longest restart interval `R` whose segments `cfg`'s packets can number (the other
/// settings as in `cfg`); 0 if not even one frame fits.
pub fn max_segment_frames(cfg: &StreamConfig) -> u32 {
    let fits = |r: u32| {
        max_segment_packets(&StreamConfig {
            segment_frames: r,
            ..*cfg
        }) <= part_limit(&cfg.coder)
    };
    let (mut lo, mut hi) = (0u32, u32::MAX);
    if fits(hi) {
        return hi;
    }
    // invariant: fits(lo) (or lo = 0), !fits(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Refuses a stream whose segments could need more packets than `PART` can number.
pub fn check_numbering(cfg: &StreamConfig) -> Result<(), Error> {
    let n = max_segment_packets(cfg);
    let limit = part_limit(&cfg.coder);
    if n > limit {
        return Err(Error::BadParams(format!(
            "a segment of {} frames of {} channel(s) can take up to {n} packets of {} bytes, \
             and the PART field numbers at most {limit} per segment{}: use at most {} frames \
             per segment here, or larger packets (FORMAT.md §9.3)",
            cfg.segment_frames,
            cfg.group_channels.min(cfg.channels),
            cfg.packet_bytes,
            if limit < MAX_SEGMENT_PACKETS {
                " (and substream, bit 15)"
            } else {
                ""
            },
            max_segment_frames(cfg)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::encode_segment;
    use crate::v2::range::{adapt, PROB_BITS, PROB_INIT};
    use crate::Coder;

    #[test]
    fn a_context_bin_costs_less_than_13_minus_a_bits() {
        for a in 4..=8u32 {
            // every probability the adaptation can reach from the restart value
            let mut seen = vec![false; 1 << PROB_BITS];
            let mut todo = vec![PROB_INIT];
            while let Some(p) = todo.pop() {
                if std::mem::replace(&mut seen[p as usize], true) {
                    continue;
                }
                todo.extend([adapt(p, 0, a), adapt(p, 1, a)]);
            }
            let worst = (1..1u32 << PROB_BITS)
                .filter(|&p| seen[p as usize])
                .map(|p| p.min((1 << PROB_BITS) - p))
                .min()
                .unwrap();
            let cost = (4096.0 / worst as f64).log2();
            assert!(
                cost + 1.0 / 2048.0 < (13 - a) as f64,
                "a = {a}: {cost} bits"
            );
        }
    }

    /// Samples that make every code long: full-scale alternation and noise.
    fn hostile(channels: usize, frames: usize, w: u32) -> Vec<u32> {
        let top = (1u32 << w) - 1;
        let mut s = 12345u32;
        (0..channels * frames)
            .map(|i| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                match (i / channels) % 3 {
                    0 => 0,
                    1 => top,
                    _ => (s >> 7) & top,
                }
            })
            .collect()
    }

    #[test]
    fn segments_stay_within_the_bound() {
        for coder in Coder::ALL {
            let c = CoderSpec::hardware(coder);
            for (ch, frames) in [(1, 1), (1, 3000), (8, 700), (64, 100)] {
                let xs = hostile(ch, frames, c.sample_bits());
                let len: u64 = encode_segment(&c, ch, &xs)
                    .unwrap()
                    .iter()
                    .map(|s| s.bytes.len() as u64)
                    .sum();
                let bound = max_segment_bytes(&c, ch, frames as u64);
                assert!(len <= bound, "{coder} {ch}x{frames}: {len} > {bound}");
                // and not absurdly loose for v1 (its codes here are long: ~9+ bits, the bound 26)
                if coder == Coder::Lite && frames > 1 {
                    assert!(bound <= 3 * len + 8, "{bound} against {len}");
                }
            }
        }
    }

    #[test]
    fn settings_whose_segments_part_cannot_number_are_refused() {
        // the case: 8 channels, R = 1 000 000, P = 20 (one payload word per packet)
        let cfg = StreamConfig {
            segment_frames: 1_000_000,
            packet_bytes: 20,
            ..StreamConfig::new(Coder::Lite, 8)
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("PART") && e.contains("65536"), "{e}");
        let r = max_segment_frames(&cfg);
        assert_eq!(r, 10_083, "FORMAT.md §9.3 says so");
        let v2 = StreamConfig {
            coder: CoderSpec::hardware(Coder::V2),
            ..cfg
        };
        assert_eq!(max_segment_frames(&v2), 2_621, "FORMAT.md §9.3 says so");
        for (coder, want) in [(Coder::Lite, 3_379), (Coder::V2, 13_004)] {
            let d = StreamConfig::new(coder, 1024);
            assert_eq!(
                max_segment_packets(&d),
                want,
                "{coder}: FORMAT.md §9.3 says so"
            );
        }
        let ok = StreamConfig {
            segment_frames: r,
            ..cfg
        };
        ok.validate().unwrap();
        assert!(StreamConfig {
            segment_frames: r + 1,
            ..cfg
        }
        .validate()
        .is_err());
        // coder max: 2^15 packets per substream
        let max = StreamConfig {
            coder: CoderSpec::hardware(Coder::Max),
            ..cfg
        };
        let rm = max_segment_frames(&max);
        assert!(
            max_segment_packets(&StreamConfig {
                segment_frames: rm,
                ..max
            }) <= 1 << 15
        );
        assert!(
            max_segment_packets(&StreamConfig {
                segment_frames: rm + 1,
                ..max
            }) > 1 << 15
        );
        let e = StreamConfig {
            segment_frames: rm + 1,
            ..max
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("bit 15"), "{e}");
        // the defaults and every setting FORMAT.md §9.5 measured are accepted
        for coder in Coder::ALL {
            for (g, r, p) in [
                (603, 4096, 1024),
                (603, 1024, 256),
                (603, 1024, 4096),
                (64, 4096, 1024),
                (8, 4096, 1024),
                (1, 4096, 1024),
            ] {
                StreamConfig {
                    segment_frames: r,
                    packet_bytes: p,
                    ..StreamConfig::new(coder, 603).with_groups(g)
                }
                .validate()
                .unwrap_or_else(|e| panic!("{coder} G={g} R={r} P={p}: {e}"));
            }
        }
    }
}
