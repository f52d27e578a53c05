//! The coder on the command line: one set of options shared by every hardware command
//! (`--coder lite|max` and coder v1's parameters), turned into the one [`CoreDesign`] value
//! that builds the golden model, the core, its Verilog, the simulators' comparison and the
//! synthesis.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use neurice_model::{CodecParams, Coder, CoderSpec};
use neurice_sim::{CoreDesign, Shape};

const HW: CodecParams = CodecParams::HARDWARE;

/// `--coder`: one coder, or (for `neurice flow`) both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CoderChoice {
    /// Coder v1: delta + adaptive Golomb-Rice, one sample per clock (low area and power).
    Lite,
    /// Coder v2: LMS prediction + adaptive binary range coding (the higher ratio).
    Max,
    /// Both coders, side by side (`neurice flow`).
    Both,
}

/// The coder and its parameters (default: coder v1 with the hardware parameters,
/// `golden-model/FORMAT.md`).
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Coder (default: lite, the hardware parameters)")]
pub struct CoderArgs {
    /// The coder: lite (v1) or max (v2, `V2Params::HARDWARE`; FORMAT.md §7) [default: lite;
    /// `neurice flow`: both].
    #[arg(long, value_enum)]
    pub coder: Option<CoderChoice>,
    /// Coder v1: unary cap; a quotient >= qmax escapes [default: 16].
    #[arg(long)]
    pub qmax: Option<u32>,
    /// Coder v1: adaptation window; A and N are halved when N reaches 2^window_log2
    /// [default: 6].
    #[arg(long)]
    pub window_log2: Option<u32>,
    /// Coder v1: threshold numerator of the code-parameter choice [default: 5].
    #[arg(long)]
    pub thr_num: Option<u32>,
    /// Coder v1: threshold shift of the code-parameter choice [default: 3].
    #[arg(long)]
    pub thr_shift: Option<u32>,
}

impl CoderArgs {
    /// The coders asked for: `default` when `--coder` is not given; `both` is lite then max.
    pub fn coders(&self, default: CoderChoice) -> Vec<Coder> {
        match self.coder.unwrap_or(default) {
            CoderChoice::Lite => vec![Coder::Lite],
            CoderChoice::Max => vec![Coder::Max],
            CoderChoice::Both => vec![Coder::Lite, Coder::Max],
        }
    }

    /// The one coder of a command that builds one core (default lite; `both` refused).
    pub fn coder(&self) -> Result<Coder> {
        match self.coders(CoderChoice::Lite)[..] {
            [c] => Ok(c),
            _ => bail!("--coder both is for `neurice flow`; this command builds one core"),
        }
    }

    fn v1_options_given(&self) -> bool {
        self.qmax.is_some()
            || self.window_log2.is_some()
            || self.thr_num.is_some()
            || self.thr_shift.is_some()
    }

    /// `coder` with the parameters the options give (10-bit samples, the core's input):
    /// coder v1's options set lite's parameters (checked by the model here, by the core when
    /// the design is made); max is built for its own (`V2Params::HARDWARE`), so coder v1's
    /// options are refused with it.
    pub fn spec_of(&self, coder: Coder) -> Result<CoderSpec> {
        match coder {
            Coder::Lite => {
                let p = CodecParams {
                    sample_bits: HW.sample_bits,
                    qmax: self.qmax.unwrap_or(HW.qmax),
                    window_log2: self.window_log2.unwrap_or(HW.window_log2),
                    thr_num: self.thr_num.unwrap_or(HW.thr_num),
                    thr_shift: self.thr_shift.unwrap_or(HW.thr_shift),
                };
                p.validate().context("coder parameters")?;
                Ok(CoderSpec::Lite(p))
            }
            Coder::Max => {
                if self.v1_options_given() {
                    bail!(
                        "--qmax, --window-log2, --thr-num and --thr-shift set coder v1 (lite); \
                         the v2 core (--coder max) is built for its own parameters (FORMAT.md §7)"
                    );
                }
                Ok(CoderSpec::hardware(Coder::Max))
            }
        }
    }

    /// [`CoderArgs::spec_of`] the one coder asked for ([`CoderArgs::coder`]).
    pub fn spec(&self) -> Result<CoderSpec> {
        self.spec_of(self.coder()?)
    }

    /// The core of `coder` with `channels` channels of state and `lanes` lanes, or why not
    /// ([`CoreDesign::new`], the one check).
    pub fn design_of(&self, coder: Coder, channels: usize, lanes: usize) -> Result<CoreDesign> {
        CoreDesign::new(self.spec_of(coder)?, channels, Shape::with_lanes(lanes)?)
    }

    /// [`CoderArgs::design_of`] the one coder asked for ([`CoderArgs::coder`]).
    pub fn design(&self, channels: usize, lanes: usize) -> Result<CoreDesign> {
        self.design_of(self.coder()?, channels, lanes)
    }
}

/// The packet core on the command line (`--packets`, with `neurice link`'s names for R and
/// P): one [`neurice_sim::PacketDesign`] for `sim` and `synth`.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Packet core (FORMAT.md §9.6)")]
pub struct PacketArgs {
    /// Simulate / synthesise the packet core: the core with restarts and the packetiser
    /// (one group, 1 lane, coder v1), compared with the golden model's packet stream.
    #[arg(long)]
    pub packets: bool,
    /// With --packets: restart interval R, frames per segment (1..=65536; default 1024).
    #[arg(long)]
    pub segment_frames: Option<u32>,
    /// With --packets: largest packet, bytes, header and CRC included (20..=1039; default
    /// 1024).
    #[arg(long)]
    pub packet_bytes: Option<usize>,
}

impl PacketArgs {
    /// The design these options ask for: the core of `coder` with `lanes` lanes, or the
    /// packet core for frames of `channels` channels.
    pub fn design(&self, coder: &CoderArgs, channels: usize, lanes: usize) -> Result<CoreDesign> {
        use neurice_model::packet::{DEFAULT_PACKET_BYTES, DEFAULT_SEGMENT_FRAMES};
        if !self.packets {
            if self.segment_frames.is_some() || self.packet_bytes.is_some() {
                bail!("--segment-frames and --packet-bytes need --packets");
            }
            return coder.design(channels, lanes);
        }
        if lanes != 1 {
            bail!("--packets builds the 1-lane core (the 2-lane core has no restarts)");
        }
        let pk = neurice_sim::PacketParams {
            segment_frames: self.segment_frames.unwrap_or(DEFAULT_SEGMENT_FRAMES),
            packet_bytes: self.packet_bytes.unwrap_or(DEFAULT_PACKET_BYTES),
        };
        CoreDesign::new(coder.spec()?, channels, Shape::Packets(pk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::v2::V2Params;

    fn args(coder: Option<CoderChoice>, qmax: Option<u32>) -> CoderArgs {
        CoderArgs {
            coder,
            qmax,
            window_log2: None,
            thr_num: None,
            thr_shift: None,
        }
    }

    #[test]
    fn defaults_are_the_hardware_coders() {
        assert_eq!(args(None, None).spec().unwrap(), CoderSpec::Lite(HW));
        assert_eq!(args(None, None).coder().unwrap(), Coder::Lite);
        let d = args(Some(CoderChoice::Max), None).design(1024, 1).unwrap();
        assert_eq!(*d.coder(), CoderSpec::Max(V2Params::HARDWARE));
        assert_eq!(d.kind(), Coder::Max);
        assert_eq!(
            args(None, None).coders(CoderChoice::Both),
            [Coder::Lite, Coder::Max]
        );
        let q12 = args(None, Some(12)).design(1024, 1).unwrap();
        assert!(matches!(q12.coder(), CoderSpec::Lite(p) if p.qmax == 12));
    }

    #[test]
    fn options_that_do_not_apply_are_refused() {
        let e = args(Some(CoderChoice::Max), Some(9)).design(1024, 1);
        assert!(e.unwrap_err().to_string().contains("coder v1"));
        assert!(args(Some(CoderChoice::Max), None).design(1024, 2).is_err());
        assert!(args(Some(CoderChoice::Both), None).coder().is_err());
        let pk = PacketArgs {
            packets: true,
            segment_frames: None,
            packet_bytes: None,
        };
        assert!(pk
            .design(&args(Some(CoderChoice::Max), None), 4, 1)
            .is_err());
        assert!(pk.design(&args(None, None), 4, 1).is_ok());
    }
}
