//! The coder as a value, shared by the model, the container, the packet stream, the
//! simulators, synthesis, power, the board and the flow.
//!
//! Two forms, one per use:
//! * [`Coder`]: which coder, without parameters — what the command line and JSON name
//!   (`lite`, `max`).
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
    /// `max` (coder v2): 4-tap sign-sign LMS on deltas + context-adaptive binary range coder
    /// with shared contexts, 96 state bits per channel (container version 2). See [`v2`].
    Max,
}

impl Coder {
    /// Every coder, in a fixed order.
    pub const ALL: [Coder; 2] = [Coder::Lite, Coder::Max];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Coder::Lite => "lite",
            Coder::Max => "max",
        }
    }

    /// The `.nrc` container version of this coder's single-stream layout (inputs of at most
    /// `stream::BLOCK_SAMPLES` samples); longer inputs are streamed in version 2 by either coder.
    pub fn container_version(self) -> u8 {
        match self {
            Coder::Lite => crate::format::VERSION_LITE,
            Coder::Max => crate::format::VERSION_V2,
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
            .ok_or_else(|| format!("unknown coder `{s}` (expected one of: lite, max)"))
    }
}

/// A coder with its parameters: the one value every layer takes. The parameters are those
/// of grid mode (10-bit samples, the hardware's input); a raw-mode stream or block uses
/// [`CoderSpec::with_sample_bits`]`(16)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "coder", content = "params", rename_all = "lowercase")]
pub enum CoderSpec {
    /// Coder v1 with its parameters (FORMAT.md §1).
    Lite(CodecParams),
    /// Coder v2 with its parameters (FORMAT.md §7.1).
    Max(V2Params),
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

impl From<V2Params> for CoderSpec {
    /// Coder v2 (`max`) with these parameters.
    fn from(p: V2Params) -> Self {
        CoderSpec::Max(p)
    }
}

impl fmt::Display for CoderSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().name())
    }
}

impl CoderSpec {
    /// The coder with the parameters the hardware implements ([`CodecParams::HARDWARE`],
    /// [`V2Params::HARDWARE`]).
    pub fn hardware(c: Coder) -> Self {
        match c {
            Coder::Lite => CoderSpec::Lite(CodecParams::HARDWARE),
            Coder::Max => CoderSpec::Max(V2Params::HARDWARE),
        }
    }

    /// Which coder this is.
    pub fn kind(&self) -> Coder {
        match self {
            CoderSpec::Lite(_) => Coder::Lite,
            CoderSpec::Max(_) => Coder::Max,
        }
    }

    /// Checks the parameters (a decoder refuses a stream whose parameters fail).
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            CoderSpec::Lite(p) => p.validate(),
            CoderSpec::Max(p) => p.validate(),
        }
    }

    /// The Golomb side of the parameters (W, Q, window, threshold): all of coder v1's, the
    /// part of coder v2's that picks `s` and `m`.
    pub fn golomb(&self) -> CodecParams {
        match self {
            CoderSpec::Lite(p) => *p,
            CoderSpec::Max(p) => p.golomb,
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
            CoderSpec::Max(p) => CoderSpec::Max(p.with_sample_bits(w)),
        }
    }

    /// What is XORed into a 16-bit sample's pattern to make a raw-mode value: coder v1 codes
    /// `v as u16`, coder v2 offset binary (`v XOR 0x8000`) so that its predictor sees a
    /// continuous scale (FORMAT.md §4, §7.7).
    pub fn raw_flip(&self) -> u16 {
        match self {
            CoderSpec::Lite(_) => 0,
            CoderSpec::Max(_) => 0x8000,
        }
    }

    /// The most bytes the coded part of a streamed block of `samples` samples can take
    /// (FORMAT.md §7.9), in either mode.
    pub fn max_coded_bytes(&self, samples: u64) -> u64 {
        let g = self.golomb();
        match self {
            CoderSpec::Lite(_) => (samples * (g.qmax + 16) as u64).div_ceil(8),
            // a context-coded bin costs at most 12 bits, a bypass bit one; 5 bytes of flush
            CoderSpec::Max(_) => {
                (samples * ((g.qmax + 2) as u64 * 12 + (g.qmax + 16) as u64)).div_ceil(8) + 5
            }
        }
    }

    /// Codes `values` (already mapped to this coder's sample width) of `channels` interleaved
    /// channels into bytes, as one block (coder v1: its bit stream zero-padded to a byte;
    /// coder v2: one range-coded block, FORMAT.md §7.5). Returns the bytes, the escapes and
    /// the histogram of the code index `s`.
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
            CoderSpec::Max(p) => {
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
            CoderSpec::Max(p) => {
                let mut out = Vec::new();
                v2::decode_block(p, channels, frames, bytes, &mut out)?;
                Ok(out)
            }
        }
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
            CoderSpec::hardware(Coder::Max).with_sample_bits(16),
            CoderSpec::Max(V2Params::RAW16)
        );
    }

    #[test]
    fn json_names_the_coder_and_its_parameters() {
        let j = serde_json::to_value(CoderSpec::hardware(Coder::Lite)).unwrap();
        assert_eq!(j["coder"], "lite");
        assert_eq!(j["params"]["qmax"], 16);
        let back: CoderSpec = serde_json::from_value(j).unwrap();
        assert_eq!(back, CoderSpec::hardware(Coder::Lite));
    }
}
