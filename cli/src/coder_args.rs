//! The coder's parameters on the command line: one set of options shared by every hardware
//! command, turned into the one [`CodecParams`] value that builds the golden model, the
//! core, its Verilog, the simulators' comparison and the synthesis.

use anyhow::{Context, Result};
use clap::Args;
use neurice_model::CodecParams;

const HW: CodecParams = CodecParams::HARDWARE;

/// Coder parameters (default: the hardware coder, `golden-model/FORMAT.md`).
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Coder parameters (default: the hardware coder)")]
pub struct CoderArgs {
    /// Unary cap: a quotient >= qmax escapes.
    #[arg(long, default_value_t = HW.qmax)]
    pub qmax: u32,
    /// Adaptation window: A and N are halved when N reaches 2^window_log2.
    #[arg(long, default_value_t = HW.window_log2)]
    pub window_log2: u32,
    /// Threshold numerator of the code-parameter choice.
    #[arg(long, default_value_t = HW.thr_num)]
    pub thr_num: u32,
    /// Threshold shift of the code-parameter choice.
    #[arg(long, default_value_t = HW.thr_shift)]
    pub thr_shift: u32,
}

impl CoderArgs {
    /// The parameter set (10-bit samples, the core's input), validated.
    pub fn params(&self) -> Result<CodecParams> {
        let p = CodecParams {
            sample_bits: HW.sample_bits,
            qmax: self.qmax,
            window_log2: self.window_log2,
            thr_num: self.thr_num,
            thr_shift: self.thr_shift,
        };
        p.validate().context("coder parameters")?;
        neurice_hdl::check_params(&p)
            .map_err(|e| anyhow::anyhow!("coder parameters: the core cannot be built: {e}"))?;
        Ok(p)
    }
}
