//! The one parameter struct shared by the golden model, the container and the hardware core.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Parameters of the delta + adaptive Golomb–Rice coder.
///
/// The hardware core (`neurice-hdl`) is generated from this same struct, and every
/// field is written into the `.nrc` container, so a decoder never has to guess.
/// See `golden-model/FORMAT.md` for what each field means bit by bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodecParams {
    /// Width `W` of a coded sample: 10 for the Neuralink grid (the hardware), 16 for raw PCM.
    pub sample_bits: u32,
    /// Unary cap: a quotient `q >= qmax` is replaced by the escape (`qmax` ones, then `W` raw bits).
    pub qmax: u32,
    /// Adaptation window: when the sample count `N` reaches `2^window_log2`, `A` and `N` are halved.
    pub window_log2: u32,
    /// Threshold numerator: the code parameter is the smallest `m` with `N·m·2^thr_shift >= thr_num·A`.
    pub thr_num: u32,
    /// Threshold shift (see `thr_num`).
    pub thr_shift: u32,
}

impl CodecParams {
    /// The parameters the hardware implements and the CLI uses for grid-aligned recordings.
    pub const HARDWARE: CodecParams = CodecParams {
        sample_bits: 10,
        qmax: 16,
        window_log2: 6,
        thr_num: 5,
        thr_shift: 3,
    };

    /// The same coder on full 16-bit samples (raw mode, for recordings off the 10-bit grid).
    pub const RAW16: CodecParams = CodecParams {
        sample_bits: 16,
        ..CodecParams::HARDWARE
    };

    /// Checks that the parameters describe a coder this implementation supports.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |what: String| Err(Error::BadParams(what));
        if !(2..=16).contains(&self.sample_bits) {
            return bad(format!("sample_bits {} not in 2..=16", self.sample_bits));
        }
        if !(1..=24).contains(&self.qmax) || self.qmax + self.sample_bits > 32 {
            return bad(format!(
                "qmax {} must be in 1..=24 with qmax + sample_bits <= 32",
                self.qmax
            ));
        }
        if !(1..=8).contains(&self.window_log2) {
            return bad(format!("window_log2 {} not in 1..=8", self.window_log2));
        }
        if !(1..=64).contains(&self.thr_num) || self.thr_shift > 8 {
            return bad(format!(
                "threshold {}/2^{} out of range (num 1..=64, shift 0..=8)",
                self.thr_num, self.thr_shift
            ));
        }
        Ok(())
    }

    /// Largest code parameter index `s` (see [`golomb_m`](crate::lite::golomb_m)).
    pub fn s_max(&self) -> u32 {
        2 * (self.sample_bits - 1)
    }

    /// Longest code in bits: `qmax + W` (regular codes and the escape alike).
    pub fn max_code_bits(&self) -> u32 {
        self.qmax + self.sample_bits
    }

    /// Width of the magnitude accumulator `A` in bits: `W + window_log2`.
    pub fn a_bits(&self) -> u32 {
        self.sample_bits + self.window_log2
    }

    /// Width of the count `N` in bits (it never reaches `2^window_log2` once stored).
    pub fn n_bits(&self) -> u32 {
        self.window_log2
    }

    /// Bits of per-channel state: previous sample, `A` and `N`.
    pub fn state_bits(&self) -> u32 {
        self.sample_bits + self.a_bits() + self.n_bits()
    }
}

impl Default for CodecParams {
    fn default() -> Self {
        CodecParams::HARDWARE
    }
}
