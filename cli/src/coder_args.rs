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

/// The packet core on the command line (`--packets`, with `neurice link`'s names for R and
/// P): one [`neurice_sim::PacketDesign`] for `sim` and `synth`.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Packet core (FORMAT.md §9.6)")]
pub struct PacketArgs {
    /// Simulate / synthesise the packet core: the core with restarts and the packetiser
    /// (one group, 1 lane), compared with the golden model's packet stream.
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
    /// The design these options ask for: the core with `lanes` lanes, or the packet core for
    /// frames of `channels` channels.
    pub fn design(
        &self,
        params: CodecParams,
        channels: usize,
        lanes: usize,
    ) -> Result<neurice_sim::CoreDesign> {
        use neurice_model::packet::{DEFAULT_PACKET_BYTES, DEFAULT_SEGMENT_FRAMES};
        if !self.packets {
            if self.segment_frames.is_some() || self.packet_bytes.is_some() {
                anyhow::bail!("--segment-frames and --packet-bytes need --packets");
            }
            return neurice_sim::CoreDesign::with_lanes(params, channels, lanes);
        }
        if lanes != 1 {
            anyhow::bail!("--packets builds the 1-lane core (the 2-lane core has no restarts)");
        }
        let pk = neurice_sim::PacketDesign {
            segment_frames: self.segment_frames.unwrap_or(DEFAULT_SEGMENT_FRAMES),
            packet_bytes: self.packet_bytes.unwrap_or(DEFAULT_PACKET_BYTES),
        };
        neurice_sim::CoreDesign::with_packets(params, channels, pk)
    }
}
