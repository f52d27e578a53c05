//! The coder on the command line: one set of options shared by every hardware command
//! (`--coder lite|max|both` and coder v1's parameters; `v2` for the model's commands only), turned into the one [`CoreDesign`] value
//! that builds the golden model, the core, its Verilog, the simulators' comparison and the
//! synthesis.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use neurice_bsp::MAX_NEAR_NO_BOARD;
use neurice_model::{CodecParams, Coder, CoderSpec};
use neurice_sim::{CoreDesign, Shape};

const HW: CodecParams = CodecParams::HARDWARE;

/// `--coder`: one coder, or (for `neurice flow`) every coder with a hardware core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CoderChoice {
    /// Coder v1: delta + adaptive Golomb-Rice, one sample per clock (low area and power).
    Lite,
    /// Coder max: LMS prediction + one multi-symbol range-coder step per sample (FORMAT.md
    /// §10), one sample per clock; its core supersedes v2's (the board top carries it at
    /// 45 MHz, tagged records on the UART).
    Max,
    /// Coder v2: LMS prediction + adaptive binary range coding (FORMAT.md §7); the model
    /// only (`compress`, `eval`, `decompress`, `link`): its hardware core is retired, coder
    /// max's is its successor (the hardware commands refuse it).
    V2,
    /// Coders lite and max side by side (`neurice flow`'s default).
    Both,
    /// Event mode: spike events and spike-band power per channel (features, not the
    /// waveform; FORMAT.md §12): the model's commands (`eval`, `compress`), its core's
    /// (`sim`, `verilog`, `synth`, `power`, `flow`) and `link`; not the board (`bitstream`).
    Events,
}

/// What `--coder events` is refused with on a command it is not wired to.
pub const EVENTS_NOT_HERE: &str = "--coder events (event mode, FORMAT.md §12) is on `neurice \
     eval`, `compress` (its event-stream file; `decompress` and `info` read it), `sim`, \
     `verilog`, `synth`, `power`, `link` and `flow`; this command takes a coder (lite, max, v2)";

/// The coder and its parameters (default: coder v1 with the hardware parameters,
/// `golden-model/FORMAT.md`).
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Coder (default: lite, the hardware parameters)")]
pub struct CoderArgs {
    /// The coder: lite (v1), max (LMS + range coder, FORMAT.md §10; its core supersedes
    /// v2's) or v2 (`V2Params::HARDWARE`, FORMAT.md §7; the model only, its core is retired)
    /// [default: lite; `neurice flow`: both = lite and max].
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
    /// Bounded error (coders lite and max): every decoded sample within δ grid steps of the
    /// original (0..=255; FORMAT.md §11, §10.11) [default: 0, lossless].
    #[arg(long, value_name = "δ", allow_hyphen_values = true, value_parser = parse_max_error)]
    pub max_error: Option<u32>,
}

/// `--max-error`: an integer 0..=255 (grid steps), with a clear error otherwise.
fn parse_max_error(s: &str) -> Result<u32, String> {
    let limit = neurice_model::near::MAX_ERROR_LIMIT;
    let bad = || {
        format!(
            "`{s}`: the maximum error is a whole number of grid steps, 0..={limit} (one byte \
             in the container, FORMAT.md §11)"
        )
    };
    let v: i64 = s.trim().parse().map_err(|_| bad())?;
    u32::try_from(v)
        .ok()
        .filter(|&d| d <= limit)
        .ok_or_else(bad)
}

impl CoderArgs {
    /// The coders asked for: `default` when `--coder` is not given; `both` is the flow's
    /// default coders ([`CoreDesign::coders_with_core`]: lite then max); `events` is refused ([`EVENTS_NOT_HERE`]: a command that takes it asks
    /// [`CoderArgs::events`] first).
    pub fn coders(&self, default: CoderChoice) -> Result<Vec<Coder>> {
        Ok(match self.coder.unwrap_or(default) {
            CoderChoice::Lite => vec![Coder::Lite],
            CoderChoice::Max => vec![Coder::Max],
            CoderChoice::V2 => vec![Coder::V2],
            CoderChoice::Both => CoreDesign::coders_with_core(),
            CoderChoice::Events => bail!("{EVENTS_NOT_HERE}"),
        })
    }

    /// Whether `--coder events` was asked for; coder v1's options and `--max-error` are
    /// refused with it (event mode has its own parameters, FORMAT.md §12.1).
    pub fn events(&self) -> Result<bool> {
        if self.coder != Some(CoderChoice::Events) {
            return Ok(false);
        }
        if self.v1_options_given() || self.max_error.is_some() {
            bail!(
                "--qmax, --window-log2, --thr-num, --thr-shift and --max-error set coder v1 \
                 (lite); event mode (--coder events) has its own parameters (FORMAT.md §12.1)"
            );
        }
        Ok(true)
    }

    /// The one coder of a command that builds one core (default lite; `both` refused).
    pub fn coder(&self) -> Result<Coder> {
        match self.coders(CoderChoice::Lite)?[..] {
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

    /// The maximum error asked for (0 without `--max-error`).
    pub fn max_error(&self) -> u32 {
        self.max_error.unwrap_or(0)
    }

    /// `coder` with the parameters the options give (10-bit samples, the core's input):
    /// coder v1's options (and `--max-error`) set lite's parameters (checked by the model
    /// here, by the core when the design is made); max and v2 are built for their own
    /// (`MaxSpec::HARDWARE`, `V2Params::HARDWARE`), so coder v1's options are refused with
    /// them. `--max-error` is coder max's too (FORMAT.md §10.11; its core takes it, the board
    /// does not yet: [`CoderArgs::board_spec`]); coder v2 is lossless only.
    pub fn spec_of(&self, coder: Coder) -> Result<CoderSpec> {
        match coder {
            Coder::Lite => {
                let p = CodecParams {
                    sample_bits: HW.sample_bits,
                    qmax: self.qmax.unwrap_or(HW.qmax),
                    window_log2: self.window_log2.unwrap_or(HW.window_log2),
                    thr_num: self.thr_num.unwrap_or(HW.thr_num),
                    thr_shift: self.thr_shift.unwrap_or(HW.thr_shift),
                    max_error: self.max_error(),
                };
                p.validate().context("coder parameters")?;
                Ok(CoderSpec::Lite(p))
            }
            Coder::Max => {
                let s = self
                    .own_parameters(coder, "§10")?
                    .with_max_error(self.max_error())?;
                s.validate().context("coder parameters")?;
                Ok(s)
            }
            Coder::V2 => {
                if self.max_error() > 0 {
                    bail!(
                        "--max-error {} is for coders lite and max: coder v2 is lossless only \
                         (FORMAT.md §11.7)",
                        self.max_error()
                    );
                }
                self.own_parameters(coder, "§7")
            }
        }
    }

    /// [`CoderArgs::spec_of`] for a hardware command (`sim`, `verilog`, `synth`, `power`,
    /// `flow`, `bitstream`): the cores of lite and max take their parameters and a maximum
    /// error (`CoreDesign::new` checks what the core cannot build); coder v2 is refused, its
    /// core is retired (`neurice_hdl::v2::CORE_RETIRED`, naming coder max, its successor).
    pub fn hardware_spec_of(&self, coder: Coder) -> Result<CoderSpec> {
        if coder == Coder::V2 {
            bail!("--coder v2: {}", neurice_hdl::v2::CORE_RETIRED);
        }
        self.spec_of(coder)
    }

    /// [`CoderArgs::hardware_spec`] for the board (`bitstream`, the board top): coder max
    /// with a maximum error is refused ([`MAX_NEAR_NO_BOARD`]).
    pub fn board_spec(&self) -> Result<CoderSpec> {
        let spec = self.hardware_spec()?;
        if spec.kind() == Coder::Max && self.max_error() > 0 {
            bail!("--max-error {}: {MAX_NEAR_NO_BOARD}", self.max_error());
        }
        Ok(spec)
    }

    /// [`CoderArgs::hardware_spec_of`] the one coder asked for.
    pub fn hardware_spec(&self) -> Result<CoderSpec> {
        self.hardware_spec_of(self.coder()?)
    }

    /// The hardware parameters of a coder built for its own (FORMAT.md `section`), refusing
    /// coder v1's options.
    fn own_parameters(&self, coder: Coder, section: &str) -> Result<CoderSpec> {
        if self.v1_options_given() {
            bail!(
                "--qmax, --window-log2, --thr-num and --thr-shift set coder v1 (lite); coder \
                 {coder} is built for its own parameters (FORMAT.md {section})"
            );
        }
        Ok(CoderSpec::hardware(coder))
    }

    /// [`CoderArgs::spec_of`] the one coder asked for ([`CoderArgs::coder`]).
    pub fn spec(&self) -> Result<CoderSpec> {
        self.spec_of(self.coder()?)
    }

    /// The core of `coder` with `channels` channels of state and `lanes` lanes, or why not
    /// ([`CoreDesign::new`], the one check).
    pub fn design_of(&self, coder: Coder, channels: usize, lanes: usize) -> Result<CoreDesign> {
        CoreDesign::new(
            self.hardware_spec_of(coder)?,
            channels,
            Shape::with_lanes(lanes)?,
        )
    }

    /// [`CoderArgs::design_of`] the one coder asked for ([`CoderArgs::coder`]), or with
    /// `--coder events` the event core for frames of `channels` channels (its default
    /// parameters, FORMAT.md §12.1; one lane).
    pub fn design(&self, channels: usize, lanes: usize) -> Result<CoreDesign> {
        if self.events()? {
            if lanes != 1 {
                bail!("--lanes {lanes}: the event core (--coder events) has 1 lane");
            }
            let c = u32::try_from(channels).context("channels")?;
            return CoreDesign::events(neurice_model::events::EventParams::new(c));
        }
        self.design_of(self.coder()?, channels, lanes)
    }
}

/// The packet core on the command line (`--packets`, with `neurice link`'s names for R and
/// P): one [`neurice_sim::PacketDesign`] for `sim` and `synth`.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Packet core (FORMAT.md §9.6)")]
pub struct PacketArgs {
    /// Simulate / synthesise the packet core: the core with restarts and the packetiser
    /// (one group, 1 lane; coder lite, or coder max lossless with its two substreams),
    /// compared with the golden model's packet stream.
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
        if coder.events()? {
            bail!(
                "--packets builds coder v1's packet core; the event core (--coder events) \
                   emits its own segments (FORMAT.md §12)"
            );
        }
        if lanes != 1 {
            bail!("--packets builds the 1-lane core (the 2-lane core has no restarts)");
        }
        let pk = neurice_sim::PacketParams {
            segment_frames: self.segment_frames.unwrap_or(DEFAULT_SEGMENT_FRAMES),
            packet_bytes: self.packet_bytes.unwrap_or(DEFAULT_PACKET_BYTES),
        };
        CoreDesign::new(coder.hardware_spec()?, channels, Shape::Packets(pk))
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
            max_error: None,
        }
    }

    #[test]
    fn defaults_are_the_hardware_coders() {
        assert_eq!(args(None, None).spec().unwrap(), CoderSpec::Lite(HW));
        assert_eq!(args(None, None).coder().unwrap(), Coder::Lite);
        // coder v2: the model's spec, no core (retired, its successor named)
        let v2 = args(Some(CoderChoice::V2), None);
        assert_eq!(v2.spec().unwrap(), CoderSpec::V2(V2Params::HARDWARE));
        for e in [
            v2.design(1024, 1).unwrap_err(),
            v2.board_spec().unwrap_err(),
        ] {
            let e = e.to_string();
            assert!(e.contains("retired") && e.contains("coder max"), "{e}");
        }
        assert_eq!(
            args(None, None).coders(CoderChoice::Both).unwrap(),
            [Coder::Lite, Coder::Max]
        );
        let q12 = args(None, Some(12)).design(1024, 1).unwrap();
        assert!(matches!(q12.coder(), CoderSpec::Lite(p) if p.qmax == 12));
    }

    #[test]
    fn options_that_do_not_apply_are_refused() {
        let e = args(Some(CoderChoice::V2), Some(9)).spec();
        assert!(e.unwrap_err().to_string().contains("coder v1"));
        assert!(args(Some(CoderChoice::V2), None).design(1024, 2).is_err());
        assert!(args(Some(CoderChoice::Both), None).coder().is_err());
        // event mode: only where a command asks for it, and without coder v1's options
        let ev = args(Some(CoderChoice::Events), None);
        assert!(ev.events().unwrap());
        assert!(!args(None, None).events().unwrap());
        // its core: the event core for frames of the channels, one lane
        let d = ev.design(64, 1).unwrap();
        assert_eq!(d.name(), "events");
        assert_eq!(d.event_params().map(|p| p.channels), Some(64));
        assert!(d.verilog().unwrap().contains("out_last"));
        let e = ev.design(64, 2).unwrap_err().to_string();
        assert!(e.contains("1 lane"), "{e}");
        // not a coder: the commands that take one refuse it
        let e = ev.coders(CoderChoice::Both).unwrap_err().to_string();
        assert!(e.contains("this command takes a coder"), "{e}");
        assert!(args(Some(CoderChoice::Events), Some(9)).events().is_err());
        // coder max: its spec is the model's, its core has one lane
        let max = args(Some(CoderChoice::Max), None);
        assert_eq!(max.spec().unwrap(), CoderSpec::hardware(Coder::Max));
        let d = max.design(1024, 1).unwrap();
        assert_eq!(*d.coder(), CoderSpec::hardware(Coder::Max));
        let e = max.design(1024, 2).unwrap_err().to_string();
        assert!(e.contains("1 lane"), "{e}");
        let e = args(Some(CoderChoice::Max), Some(9)).spec().unwrap_err();
        assert!(e.to_string().contains("coder v1"), "{e}");
        let pk = PacketArgs {
            packets: true,
            segment_frames: None,
            packet_bytes: None,
        };
        assert!(pk.design(&args(Some(CoderChoice::V2), None), 4, 1).is_err());
        assert!(pk.design(&args(None, None), 4, 1).is_ok());
        // coder max's packet core: lossless only
        assert!(pk.design(&args(Some(CoderChoice::Max), None), 4, 1).is_ok());
        let near = CoderArgs {
            max_error: Some(1),
            ..args(Some(CoderChoice::Max), None)
        };
        let e = pk.design(&near, 4, 1).unwrap_err().to_string();
        assert!(e.contains("lossless only"), "{e}");
    }

    #[test]
    fn max_error_is_for_lite_and_max_and_refused_for_maxs_board() {
        let d1 = CoderArgs {
            max_error: Some(2),
            ..args(None, None)
        };
        assert_eq!(d1.spec().unwrap(), CoderSpec::Lite(HW.with_max_error(2)));
        let d = d1.design(1024, 2).unwrap();
        assert_eq!(d.coder().max_error(), 2);
        let max = CoderArgs {
            coder: Some(CoderChoice::Max),
            ..d1
        };
        // the model and the core take it (with built-in table 3, trained for δ = 2), the
        // board does not yet
        let s = max.spec().unwrap();
        assert_eq!(
            s,
            CoderSpec::hardware(Coder::Max).with_max_error(2).unwrap()
        );
        assert_eq!(s.max_error(), 2);
        assert_eq!(max.hardware_spec().unwrap(), s);
        assert_eq!(*max.design(1024, 1).unwrap().coder(), s);
        let e = max.board_spec().unwrap_err().to_string();
        assert!(
            e.contains("--max-error 2") && e.contains(MAX_NEAR_NO_BOARD),
            "{e}"
        );
        assert_eq!(
            d1.board_spec().unwrap(),
            CoderSpec::Lite(HW.with_max_error(2))
        );
        let v2 = CoderArgs {
            coder: Some(CoderChoice::V2),
            ..d1
        };
        let e = v2.spec().unwrap_err().to_string();
        assert!(e.contains("coder v2 is lossless only"), "{e}");
        // 0 is the lossless coder for either
        let zero = CoderArgs {
            max_error: Some(0),
            ..max
        };
        assert_eq!(zero.spec().unwrap(), CoderSpec::hardware(Coder::Max));
        assert_eq!(parse_max_error("255"), Ok(255));
        for bad in ["-1", "256", "1.5", "x", ""] {
            let e = parse_max_error(bad).unwrap_err();
            assert!(e.contains("0..=255"), "{bad}: {e}");
        }
    }
}
