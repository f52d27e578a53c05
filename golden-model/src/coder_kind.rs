//! Which coder a stream uses: the coder as a value, shared by the model, the CLI and (later)
//! the simulators and the flow.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The two coders of neurice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coder {
    /// Coder v1: delta + adaptive half-step Golomb, 32 state bits per channel, no shared
    /// state, one code per clock (container version 1). The low-area, low-power choice.
    #[default]
    Lite,
    /// Coder v2: 4-tap sign-sign LMS on deltas + context-adaptive binary range coder with
    /// shared contexts, 96 state bits per channel (container version 2). See `v2`.
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
            Coder::Lite => 1,
            Coder::Max => 2,
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
        }
        assert!("MAX".parse::<Coder>().is_err());
        assert_eq!(Coder::default(), Coder::Lite);
    }
}
