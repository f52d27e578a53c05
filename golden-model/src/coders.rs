//! The coder as a value, shared by the model, the container, the packet stream, the
//! simulators, synthesis, power, the board and the flow.
//!
//! Two forms, one per use:
//! * [`Coder`]: which coder, without parameters — what the command line and JSON name
//!   (`lite`, `max`, `v2`).
//! * [`CoderSpec`]: the coder with its parameters — what builds the golden model, the
//!   container header, the block and packet layers and the hardware core.
//!
//! Everything that differs between coders is a method here (or on the parameter structs),
//! written as an exhaustive `match`: a new coder is one new variant of each enum, and the
//! compiler lists every place that needs an arm.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::lite::{decode_padded, encode_bytes};
use crate::max::{self, MaxParams, MaxSpec};
use crate::v2::{self, V2Params};
use crate::{CodecParams, Error};

/// Which coder, without its parameters (the command line's `--coder`, JSON's `"coder"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coder {
    /// `lite` (coder v1): delta + adaptive half-step Golomb, 32 state bits per channel, no
    /// shared state, one code per clock (container version 1). The low-area, low-power choice.
    #[default]
    Lite,
    /// `max`: coder v2's front end (4-tap sign-sign LMS on deltas, 96 state bits per channel)
    /// and one multi-symbol range-coder step per sample over a static trained table, a token
    /// and a raw substream per block (container version 3, FORMAT.md §10). See [`max`].
    Max,
    /// `v2` (coder v2, the previous `max`): the same front end and a context-adaptive binary
    /// range coder with shared contexts (container version 2, FORMAT.md §7). Its streams keep
    /// decoding: its model stays; its hardware core is retired, coder max's core replaced it
    /// (issue 26). See [`v2`].
    V2,
}

impl Coder {
    /// Every coder, in a fixed order.
    pub const ALL: [Coder; 3] = [Coder::Lite, Coder::Max, Coder::V2];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Coder::Lite => "lite",
            Coder::Max => "max",
            Coder::V2 => "v2",
        }
    }

    /// The `.nrc` container version this coder writes for an input of `samples` samples:
    /// coder v1's single-stream layout (1) or coder v2's (2) up to `stream::BLOCK_SAMPLES`
    /// samples, the streamed layout of container version 2 beyond (FORMAT.md §7.9); coder
    /// max always container version 3, whose one layout is the streamed one (§10.7).
    pub fn container_version(self, samples: u64) -> u8 {
        match self {
            Coder::Lite if !crate::stream::is_streamed(samples) => crate::format::VERSION_LITE,
            Coder::Lite | Coder::V2 => crate::format::VERSION_V2,
            Coder::Max => crate::format::VERSION_MAX,
        }
    }

    /// Whether an input of `samples` samples is written in blocks (the streamed layout of
    /// FORMAT.md §7.9 or container version 3, read and written incrementally) rather than in
    /// a single-stream layout (§4, §7.7) read whole.
    pub fn writes_blocks(self, samples: u64) -> bool {
        match self {
            Coder::Lite | Coder::V2 => crate::stream::is_streamed(samples),
            Coder::Max => true,
        }
    }
}

impl fmt::Display for Coder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Coder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Coder::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown coder `{s}` (expected one of: lite, max, v2)"))
    }
}

/// A coder with its parameters: the one value every layer takes. The parameters are those
/// of grid mode (10-bit samples, the hardware's input); a raw-mode stream or block uses
/// [`CoderSpec::with_sample_bits`]`(16)`.
///
/// `Copy + Eq + Hash`: coder max's probability table is named by value ([`TableSpec`]: the
/// built-in one, or an embedded one's 512 frequencies), so the value is about 1 KiB.
// The size is the point: the table travels by value so that the spec stays `Copy` (above).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "coder", content = "params", rename_all = "lowercase")]
pub enum CoderSpec {
    /// Coder v1 with its parameters (FORMAT.md §1).
    Lite(CodecParams),
    /// Coder max with its parameters and table (FORMAT.md §10.1, §10.4).
    Max(MaxSpec),
    /// Coder v2 with its parameters (FORMAT.md §7.1).
    V2(V2Params),
}

impl Default for CoderSpec {
    fn default() -> Self {
        CoderSpec::hardware(Coder::default())
    }
}

impl From<Coder> for CoderSpec {
    /// The coder with the hardware's parameters.
    fn from(c: Coder) -> Self {
        CoderSpec::hardware(c)
    }
}

impl From<CodecParams> for CoderSpec {
    /// Coder v1 (`lite`) with these parameters.
    fn from(p: CodecParams) -> Self {
        CoderSpec::Lite(p)
    }
}

impl From<MaxParams> for CoderSpec {
    /// Coder max with these parameters and built-in table 1.
    fn from(p: MaxParams) -> Self {
        CoderSpec::Max(p.into())
    }
}

impl From<MaxSpec> for CoderSpec {
    /// Coder max with these parameters and table.
    fn from(s: MaxSpec) -> Self {
        CoderSpec::Max(s)
    }
}

impl From<V2Params> for CoderSpec {
    /// Coder v2 with these parameters.
    fn from(p: V2Params) -> Self {
        CoderSpec::V2(p)
    }
}

impl fmt::Display for CoderSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().name())
    }
}

impl CoderSpec {
    /// The coder with the parameters the hardware implements ([`CodecParams::HARDWARE`],
    /// [`MaxSpec::HARDWARE`] (built-in table 1), [`V2Params::HARDWARE`]).
    pub fn hardware(c: Coder) -> Self {
        match c {
            Coder::Lite => CoderSpec::Lite(CodecParams::HARDWARE),
            Coder::Max => CoderSpec::Max(MaxSpec::HARDWARE),
            Coder::V2 => CoderSpec::V2(V2Params::HARDWARE),
        }
    }

    /// Which coder this is.
    pub fn kind(&self) -> Coder {
        match self {
            CoderSpec::Lite(_) => Coder::Lite,
            CoderSpec::Max(_) => Coder::Max,
            CoderSpec::V2(_) => Coder::V2,
        }
    }

    /// Checks the parameters (a decoder refuses a stream whose parameters fail).
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            CoderSpec::Lite(p) => p.validate(),
            CoderSpec::Max(s) => s.validate(),
            CoderSpec::V2(p) => p.validate(),
        }
    }

    /// The Golomb side of the parameters (W, Q, window, threshold): all of coder v1's, the
    /// part of coder v2's and coder max's that picks `s` and `m` (coder max has no `Q`: its
    /// front end's is coder v2's, unused).
    pub fn golomb(&self) -> CodecParams {
        match self {
            CoderSpec::Lite(p) => *p,
            CoderSpec::Max(s) => s.params.front_end().golomb,
            CoderSpec::V2(p) => p.golomb,
        }
    }

    /// The maximum error `δ` in grid steps (FORMAT.md §11, §10.11; 0: lossless). Coders v1
    /// and max take one; coder v2 not yet ([`V2Params::validate`] refuses it).
    pub fn max_error(&self) -> u32 {
        match self {
            CoderSpec::Max(s) => s.params.max_error,
            _ => self.golomb().max_error,
        }
    }

    /// The coder with the maximum error `δ` (grid steps), not yet validated (coder v2 stores
    /// it and its [`V2Params::validate`] refuses it; coder max switches a built-in table to
    /// the one for `δ`, [`MaxSpec::with_max_error`]). Never fails today; a `Result` for a
    /// coder that cannot take one.
    pub fn with_max_error(&self, max_error: u32) -> Result<Self, Error> {
        Ok(match self {
            CoderSpec::Lite(p) => CoderSpec::Lite(p.with_max_error(max_error)),
            CoderSpec::Max(s) => CoderSpec::Max(s.with_max_error(max_error)),
            CoderSpec::V2(p) => CoderSpec::V2(V2Params {
                golomb: p.golomb.with_max_error(max_error),
                ..*p
            }),
        })
    }

    /// The sample quantiser of the coder (FORMAT.md §11, §10.11; the identity for `δ = 0`):
    /// coder v1 codes its lattice indices, coder max quantises its residuals with it.
    pub fn quantiser(&self) -> Result<crate::near::Quantiser, Error> {
        match self {
            CoderSpec::Max(s) => s.params.quantiser(),
            _ => self.golomb().quantiser(),
        }
    }

    /// Width of a coded sample in bits (10 in grid mode, 16 in raw mode).
    pub fn sample_bits(&self) -> u32 {
        self.golomb().sample_bits
    }

    /// The same coder on another sample width (10: grid mode; 16: raw mode, FORMAT.md §2).
    pub fn with_sample_bits(&self, w: u32) -> Self {
        match self {
            CoderSpec::Lite(p) => CoderSpec::Lite(CodecParams {
                sample_bits: w,
                ..*p
            }),
            CoderSpec::Max(s) => CoderSpec::Max(s.with_sample_bits(w)),
            CoderSpec::V2(p) => CoderSpec::V2(p.with_sample_bits(w)),
        }
    }

    /// What is XORed into a 16-bit sample's pattern to make a raw-mode value: coder v1 codes
    /// `v as u16` (offset binary with a maximum error, §11.4), coders v2 and max offset binary
    /// (`v XOR 0x8000`) so that their predictor sees a continuous scale (FORMAT.md §4, §7.7,
    /// §10.2).
    pub fn raw_flip(&self) -> u16 {
        match self {
            CoderSpec::Lite(p) => p.raw_flip(),
            CoderSpec::Max(_) | CoderSpec::V2(_) => 0x8000,
        }
    }

    /// The most bytes the coded part of a streamed block of `samples` samples can take
    /// (FORMAT.md §7.9, §10.7), in either mode.
    pub fn max_coded_bytes(&self, samples: u64) -> u64 {
        let g = self.golomb();
        match self {
            CoderSpec::Lite(_) => (samples * (g.qmax + 16) as u64).div_ceil(8),
            // the token substream's length (4), its first 4 bytes and at most 12 bits per
            // sample, the raw substream at most 30 bits per sample (raw mode), rounded up
            // separately: 9 + ⌈42·n/8⌉ (§10.5, §10.7)
            CoderSpec::Max(s) => {
                let bits = s.params.with_sample_bits(16).max_bits_per_sample() as u64;
                9 + (samples * bits).div_ceil(8)
            }
            // a context-coded bin costs at most 12 bits, a bypass bit one; 5 bytes of flush
            CoderSpec::V2(_) => {
                (samples * ((g.qmax + 2) as u64 * 12 + (g.qmax + 16) as u64)).div_ceil(8) + 5
            }
        }
    }

    /// An upper bound on the coded bits of one packet-stream segment (FORMAT.md §9.3) of
    /// `frames` frames of `channels` channels, before padding to a word
    /// ([`crate::packet_bound`] derives each bound).
    pub fn max_segment_bits(&self, channels: usize, frames: u64) -> u64 {
        let samples = channels as u64 * frames;
        if samples == 0 {
            return 0;
        }
        match self {
            // the raw first frame, then codes of at most Q + W bits
            CoderSpec::Lite(p) => {
                channels as u64 * p.sample_bits as u64
                    + (samples - channels as u64) * p.max_code_bits() as u64
            }
            // at most a range-coder step and the most raw bits per sample, 16 bytes of lengths,
            // flush and padding of the two substreams (§10.5, §10.6)
            CoderSpec::Max(s) => samples * s.params.max_bits_per_sample() as u64 + 8 * 16,
            // at most Q + 2 context bins of < 13 - a bits each and W bypass bits per sample,
            // 16 bytes of start and flush
            CoderSpec::V2(p) => {
                let g = &p.golomb;
                let per_sample =
                    (g.qmax as u64 + 2) * (13 - p.prob_shift.min(12) as u64) + g.sample_bits as u64;
                samples * per_sample + 8 * 16
            }
        }
    }

    /// Codes `values` (already mapped to this coder's sample width) of `channels` interleaved
    /// channels into bytes, as one block (coder v1: its bit stream zero-padded to a byte;
    /// coder v2: one range-coded block, FORMAT.md §7.5; coder max: its two substreams as
    /// §10.6 stores them). Returns the bytes, the escapes and the histogram of the code index
    /// `s` (empty for coder max, whose encoder does not count it).
    pub fn encode_block(
        &self,
        channels: usize,
        values: &[u32],
    ) -> Result<(Vec<u8>, u64, Vec<u64>), Error> {
        match self {
            CoderSpec::Lite(p) => {
                let (bytes, st) = encode_bytes(p, channels, values)?;
                Ok((bytes, st.escapes, st.s_histogram))
            }
            CoderSpec::Max(s) => {
                let mut st = max::EncodeStats::default();
                let b = max::encode_block(&s.params, &s.table.table(), channels, values, &mut st)?;
                Ok((b.coded_bytes(), st.escapes, Vec::new()))
            }
            CoderSpec::V2(p) => {
                let mut st = v2::EncodeStats::default();
                let bytes = v2::encode_block(p, channels, values, &mut st);
                Ok((bytes, st.escapes, st.s_histogram))
            }
        }
    }

    /// Decodes `frames` frames of `channels` channels from one block's bytes (what
    /// [`CoderSpec::encode_block`] wrote).
    pub fn decode_block(
        &self,
        channels: usize,
        frames: u32,
        bytes: &[u8],
    ) -> Result<Vec<u32>, Error> {
        match self {
            CoderSpec::Lite(p) => decode_padded(p, channels, frames as usize * channels, bytes),
            CoderSpec::Max(s) => {
                let (tokens, raw) = max::split_coded(bytes)?;
                let mut out = Vec::new();
                max::decode_block(
                    &s.params,
                    &s.table.table(),
                    channels,
                    frames,
                    tokens,
                    raw,
                    &mut out,
                )?;
                Ok(out)
            }
            CoderSpec::V2(p) => {
                let mut out = Vec::new();
                v2::decode_block(p, channels, frames, bytes, &mut out)?;
                Ok(out)
            }
        }
    }
}

/// The size of one block as [`CoderSpec::encode_block`] codes it, counted as the samples
/// come (for a recording too long to hold whole): coder v1 counts its bits; coder v2 codes
/// its bins into the range coder as `v2::encode_block` does, keeping only the coded bytes;
/// coder max holds the samples (4 bytes each) and codes them whole at the end.
/// Made by [`CoderSpec::block_sizer`].
pub struct BlockSizer(Sizer);

#[allow(clippy::large_enum_variant)] // one per link run, never in a collection
enum Sizer {
    Lite(crate::Encoder),
    Max {
        spec: CoderSpec,
        channels: usize,
        samples: Vec<u32>,
    },
    V2 {
        p: V2Params,
        states: Vec<v2::State>,
        probs: Vec<u16>,
        rc: v2::range::RangeEncoder,
        ch: usize,
    },
}

impl CoderSpec {
    /// A [`BlockSizer`] for one block of `channels` interleaved channels.
    pub fn block_sizer(&self, channels: usize) -> Result<BlockSizer, Error> {
        self.validate()?;
        if channels == 0 {
            return Err(Error::BadParams("channel count must be at least 1".into()));
        }
        Ok(BlockSizer(match self {
            CoderSpec::Lite(p) => Sizer::Lite(crate::Encoder::new(*p, channels)?),
            // coder max's block is coded whole (its encoder runs two passes over the samples), so
            // the samples are held: 4 bytes per sample of the run
            CoderSpec::Max(_) => Sizer::Max {
                spec: *self,
                channels,
                samples: Vec::new(),
            },
            CoderSpec::V2(p) => Sizer::V2 {
                p: *p,
                states: vec![v2::State::initial(p); channels],
                probs: vec![v2::range::PROB_INIT; p.contexts()],
                rc: v2::range::RangeEncoder::new(),
                ch: 0,
            },
        }))
    }
}

impl BlockSizer {
    /// Codes the next samples (interleaved, continuing where the last call stopped).
    pub fn push(&mut self, samples: &[u32]) {
        match &mut self.0 {
            Sizer::Lite(e) => {
                for &x in samples {
                    e.push(x);
                }
            }
            Sizer::Max { samples: buf, .. } => buf.extend_from_slice(samples),
            Sizer::V2 {
                p,
                states,
                probs,
                rc,
                ch,
            } => {
                for &x in samples {
                    let coded = v2::code_sample(&states[*ch], x, p);
                    let b = &coded.bins;
                    for i in 0..b.count as usize {
                        let (ctx, bit) = (b.ctx[i] as usize, (b.bits >> i) & 1);
                        rc.bin(probs[ctx], bit);
                        probs[ctx] = v2::range::adapt(probs[ctx], bit, p.prob_shift);
                    }
                    rc.bypass(b.bypass, b.bypass_len);
                    states[*ch] = coded.next;
                    *ch = (*ch + 1) % states.len();
                }
            }
        }
    }

    /// Bytes of the block: [`CoderSpec::encode_block`]'s length for the samples pushed (an
    /// error where it fails, e.g. samples that are not whole frames, for coder max).
    pub fn bytes(self) -> Result<u64, Error> {
        Ok(match self.0 {
            Sizer::Lite(e) => e.total_bits().div_ceil(8),
            Sizer::Max {
                spec,
                channels,
                samples,
            } => spec.encode_block(channels, &samples)?.0.len() as u64,
            Sizer::V2 { rc, .. } => rc.finish().len() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Coder::ALL {
            assert_eq!(c.to_string().parse::<Coder>().unwrap(), c);
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.name())
            );
            assert_eq!(CoderSpec::hardware(c).kind(), c);
        }
        assert!("MAX".parse::<Coder>().is_err());
        assert_eq!(Coder::default(), Coder::Lite);
    }

    #[test]
    fn raw_mode_is_the_coders_raw16_parameters() {
        assert_eq!(
            CoderSpec::hardware(Coder::Lite).with_sample_bits(16),
            CoderSpec::Lite(CodecParams::RAW16)
        );
        assert_eq!(
            CoderSpec::hardware(Coder::V2).with_sample_bits(16),
            CoderSpec::V2(V2Params::RAW16)
        );
        assert_eq!(
            CoderSpec::hardware(Coder::Max).with_sample_bits(16),
            CoderSpec::Max(MaxParams::RAW16.into())
        );
    }

    #[test]
    fn container_versions_and_layouts() {
        let long = crate::stream::BLOCK_SAMPLES as u64 + 1;
        let v = |c: Coder, n| (c.container_version(n), c.writes_blocks(n));
        assert_eq!(v(Coder::Lite, 100), (1, false));
        assert_eq!(v(Coder::V2, 100), (2, false));
        assert_eq!(v(Coder::Max, 100), (3, true));
        assert_eq!(v(Coder::Lite, long), (2, true));
        assert_eq!(v(Coder::V2, long), (2, true));
        assert_eq!(v(Coder::Max, long), (3, true));
    }

    /// The block size counted as the samples come is [`CoderSpec::encode_block`]'s.
    #[test]
    fn block_sizer_counts_encode_blocks_bytes() {
        let mut s = 9u32;
        let mut x = 512i32;
        let xs: Vec<u32> = (0..3 * 4001)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                x = (x + (s >> 27) as i32 - 16).clamp(0, 1023);
                x as u32
            })
            .collect();
        for c in Coder::ALL {
            let spec = CoderSpec::hardware(c);
            let mut z = spec.block_sizer(3).unwrap();
            for chunk in xs.chunks(3 * 700) {
                z.push(chunk);
            }
            let want = spec.encode_block(3, &xs).unwrap().0.len() as u64;
            assert_eq!(z.bytes().unwrap(), want, "{c}");
        }
    }

    #[test]
    fn json_names_the_coder_and_its_parameters() {
        let j = serde_json::to_value(CoderSpec::hardware(Coder::Lite)).unwrap();
        assert_eq!(j["coder"], "lite");
        assert_eq!(j["params"]["qmax"], 16);
        let back: CoderSpec = serde_json::from_value(j).unwrap();
        assert_eq!(back, CoderSpec::hardware(Coder::Lite));
        let j = serde_json::to_value(CoderSpec::hardware(Coder::Max)).unwrap();
        assert_eq!(j["coder"], "max");
        assert_eq!(j["params"]["taps"], 4);
        assert_eq!(j["params"]["table"]["id"], 1);
        let back: CoderSpec = serde_json::from_value(j).unwrap();
        assert_eq!(back, CoderSpec::hardware(Coder::Max));
        assert_eq!(
            serde_json::to_value(CoderSpec::hardware(Coder::V2)).unwrap()["coder"],
            "v2"
        );
    }
}
