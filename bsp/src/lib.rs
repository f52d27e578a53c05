//! # neurice-bsp — the neurice core on the Alchitry Cu (iCE40HX8K-CB132)
//!
//! ```text
//!  clk P7 100 MHz -> Pll (SB_PLL40_CORE, icepll values) -> core clock (lite 60, max 45 MHz)
//!  rst_n P8, usb_rx P14 -> BoardSystem: reset sync, UART RX -> in FIFO -> commands -> core
//!  usb_tx M9, led[7:0]  <- BoardSystem: UART TX <- 4 bytes/word (max: tag + 4) <- out FIFO <- core (+trailer)
//! ```
//! * [`top::CuTop`]: the top module `top` (ports `clk rst_n usb_rx usb_tx led[7:0]`): the PLL
//!   ([`pll`]) and the board logic ([`system::BoardSystem`]: reset, USB-UART ([`uart`]),
//!   FIFOs, the byte protocol ([`protocol`]), status LEDs and `neurice_hdl::Core1024`).
//!   [`top::CuTopMax`] is the same top around the coder-max core; its board sends each word as
//!   a tagged 5-byte record (its words carry two substreams, see [`protocol`]). Coder v2's
//!   board top is retired with its core (issue 26): coder max's is its successor.
//! * [`pins`]: the one pin table (with its sources); [`pcf`] writes the PCF from it.
//! * [`board_verilog`] + [`pcf`]: what an iCE40 flow needs (`yosys synth_ice40 -top top`,
//!   `nextpnr-ice40 --hx8k --package cb132 --freq <core_mhz>`).
//!
//! ## Verification status
//! Verified in simulation only (no board has run this design yet):
//! * the board logic with the real core (everything below the PLL), fed through a model of the
//!   FTDI's UART, in rust-hdl's simulator (`tests/board_sim.rs`) and as emitted Verilog in
//!   Verilator (`tests/board_verilog_sim.rs`): the bytes sent back are, bit for bit, the golden
//!   model's words plus the trailer, and decode to the samples sent (1, 2, 3 and 5 channels,
//!   60 to 400 samples, two flushed segments, an unknown command). Most runs use a reduced
//!   UART divisor (7 or 8 clocks per bit); one uses the board's (60).
//! * the board logic with the coder-max core, the same way (`max_board_round_trips_tagged_blocks`;
//!   in Verilator the known-answer vectors `multi` and `mono`, recordings on 1 and 3 channels
//!   and a 5-channel signal): the records rebuild each block's two substreams byte for byte,
//!   decode to the samples, and the `.nrc` the host builds from them ([`protocol::max_nrc`])
//!   is the golden model's for the same samples, byte for byte.
//! * the generated `top` passes yosys `synth_ice40` and nextpnr-ice40 places and routes it
//!   for the HX8K-CB132 with the PCF, meeting `--freq 60` (`board_places_at_the_default_clock`;
//!   coder max's top meets its 45 MHz row with seeds 1, 2, 3: 49.19, 50.12, 46.88 MHz,
//!   5 367 LCs, 30 / 32 block RAMs, `neurice bitstream --coder max --seed N`, 2026-12-07;
//!   at 50 MHz seeds 1 and 3 missed, 48.87 and 46.80 MHz);
//!   the PLL divider values equal `icepll -i 100 -o <MHz>` (`pll_table_matches_icepll`).
//!
//! Needs a board: the PLL's lock and output frequency, the pin locations and the UART
//! direction (taken from Alchitry's own pin files, see [`pins`]; not observed), the FTDI's real
//! baud rate and the host's serial settings, the reset button and LEDs, timing margins on
//! silicon, and throughput with a real host (no flow control: see [`protocol`]).

pub mod pins;
pub mod pll;
pub mod protocol;
pub mod system;
pub mod top;
pub mod uart;

use rust_hdl::prelude::*;

use neurice_model::CoderSpec;
pub use pins::pcf;
pub use system::{BoardSystem, BoardSystemMax, SystemConfig};
pub use top::{CuTop, CuTopMax};

/// Default UART rate (bits per second): the rate Alchitry's own serial examples use; FTDI
/// UARTs derive it exactly (3 MHz / 3).
pub const DEFAULT_BAUD: u32 = 1_000_000;

/// Why the board (`neurice bitstream`, the board top) refuses coder max with a maximum error
/// δ > 0: the max core takes δ (FORMAT.md §10.11; `sim`, `verilog`, `synth`, `power` and
/// `flow` build it), the board top carries the lossless max core only.
pub const MAX_NEAR_NO_BOARD: &str = "coder max's bounded-error core is not on the board yet: \
     `neurice sim|verilog|synth|power|flow --coder max --max-error δ` build and check the core; \
     the board top takes coder lite with a maximum error (--coder lite --max-error δ)";
/// Default channel count at power-up.
pub const DEFAULT_CHANNELS: u16 = 1;

/// What a bitstream is built for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoardParams {
    /// Core clock in MHz: a row of [`pll::PLL_TABLE`] (default [`pll::DEFAULT_CORE_MHZ`]).
    pub core_mhz: u32,
    /// UART bit rate; the divisor `core clock / baud` must be within 2 % of an integer.
    pub baud: u32,
    /// Channel count after power-up and reset (the host can change it, see [`protocol`]).
    pub default_channels: u16,
    /// The coder of the core, with its parameters (default: `lite`, the hardware coder):
    /// coder v1 is carried by [`CuTop`], coder max by [`CuTopMax`]; coder v2 is refused (its
    /// core is retired, `neurice_hdl::v2::CORE_RETIRED`).
    pub coder: neurice_model::CoderSpec,
}

impl Default for BoardParams {
    fn default() -> Self {
        Self {
            core_mhz: pll::DEFAULT_CORE_MHZ,
            baud: DEFAULT_BAUD,
            default_channels: DEFAULT_CHANNELS,
            coder: neurice_model::CoderSpec::hardware(neurice_model::Coder::Lite),
        }
    }
}

impl BoardParams {
    /// The board carrying the core of `coder` at that core's default clock
    /// ([`pll::DEFAULT_CORE_MHZ`] for coder v1, [`pll::DEFAULT_MAX_CORE_MHZ`] for coder max;
    /// coder v2, whose core is retired, gets coder v1's and is refused by
    /// [`BoardParams::resolve`]).
    pub fn for_coder(coder: CoderSpec) -> Self {
        let core_mhz = match coder {
            CoderSpec::Lite(_) | CoderSpec::V2(_) => pll::DEFAULT_CORE_MHZ,
            CoderSpec::Max(_) => pll::DEFAULT_MAX_CORE_MHZ,
        };
        Self {
            core_mhz,
            coder,
            ..Default::default()
        }
    }

    /// The PLL row, the UART divisor and the board-logic settings these parameters give.
    pub fn resolve(&self) -> anyhow::Result<(pll::PllSetting, SystemConfig)> {
        let pll = pll::pll_setting(self.core_mhz)?;
        let f = pll.output_hz();
        if self.baud == 0 {
            anyhow::bail!("baud rate must be positive");
        }
        let div = (f / self.baud as f64).round();
        let err = (f / div - self.baud as f64).abs() / self.baud as f64;
        if err > 0.02 {
            anyhow::bail!(
                "{} baud from a {:.3} MHz core clock: divisor {div} is {:.1} % off (limit 2 %)",
                self.baud,
                f / 1e6,
                err * 100.0
            );
        }
        let cfg = SystemConfig {
            coder: self.coder,
            baud_divisor: div as u32,
            default_channels: self.default_channels,
            heartbeat_half_period: (f / 2.0).round() as u32,
        };
        cfg.check()?;
        Ok((pll, cfg))
    }
}

/// The Verilog of the board top for the coder of `params` ([`CuTop`] for coder v1,
/// [`CuTopMax`] for coder max; module `top`, ports `clk rst_n usb_rx usb_tx led[7:0]`).
/// Coder v2 is refused: its core is retired (`neurice_hdl::v2::CORE_RETIRED`).
pub fn board_verilog(params: &BoardParams) -> anyhow::Result<String> {
    let (pll, cfg) = params.resolve()?;
    match cfg.coder {
        CoderSpec::Lite(_) => checked_verilog(CuTop::new(pll, &cfg)?, "CuTop"),
        CoderSpec::Max(_) => checked_verilog(CuTopMax::new(pll, &cfg)?, "CuTopMax"),
        CoderSpec::V2(_) => anyhow::bail!("{}", neurice_hdl::v2::CORE_RETIRED),
    }
}

/// `block` connected, checked by rust-hdl and emitted as Verilog.
fn checked_verilog<B: Block>(block: B, what: &str) -> anyhow::Result<String> {
    let mut uut = Box::new(block);
    uut.connect_all();
    check_all(uut.as_ref())
        .map_err(|e| anyhow::anyhow!("rust-hdl check of {what} failed: {e:?}"))?;
    Ok(generate_verilog(uut.as_ref()))
}

/// The Verilog of the board logic alone ([`BoardSystem`]: everything of [`CuTop`] below the
/// PLL; module `top`, ports `clock reset_btn_n pll_locked uart_rx uart_tx leds[7:0]`), for
/// simulating the emitted Verilog without the vendor PLL primitive.
pub fn system_verilog(cfg: &SystemConfig) -> anyhow::Result<String> {
    match cfg.coder {
        CoderSpec::Lite(_) => checked_verilog(BoardSystem::new(cfg)?, "the board system"),
        CoderSpec::Max(_) => checked_verilog(BoardSystemMax::new(cfg)?, "the max board system"),
        CoderSpec::V2(_) => anyhow::bail!("{}", neurice_hdl::v2::CORE_RETIRED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_params_give_an_exact_divisor() {
        let (pll, cfg) = BoardParams::default().resolve().unwrap();
        assert_eq!(pll.requested_mhz, pll::DEFAULT_CORE_MHZ);
        assert_eq!(
            cfg.baud_divisor as f64 * DEFAULT_BAUD as f64,
            pll.output_hz(),
            "core clock / baud is not a whole number"
        );
        assert_eq!(cfg.default_channels, DEFAULT_CHANNELS);
    }

    #[test]
    fn bad_params_are_errors() {
        let p = |core_mhz, baud| BoardParams {
            core_mhz,
            baud,
            default_channels: 1,
            ..Default::default()
        };
        assert!(p(60, 0).resolve().is_err());
        // 60 MHz / 7 Mbaud = 8.57: 9 is 4.8 % off
        let e = p(60, 7_000_000).resolve().unwrap_err().to_string();
        assert!(e.contains("off"), "{e}");
        // divisor 3 < MIN_DIVISOR
        assert!(p(60, 20_000_000).resolve().is_err());
        assert!(p(61, DEFAULT_BAUD).resolve().is_err());
        for default_channels in [0, 1025] {
            let q = BoardParams {
                default_channels,
                ..Default::default()
            };
            assert!(q.resolve().is_err());
        }
        // 12 Mbaud at 60 MHz: divisor 5, fine
        assert_eq!(p(60, 12_000_000).resolve().unwrap().1.baud_divisor, 5);
    }

    #[test]
    fn top_ports_match_the_pin_table() {
        let v = board_verilog(&BoardParams::default()).unwrap();
        assert!(
            v.contains("module top(clk,rst_n,usb_rx,usb_tx,led);"),
            "top header"
        );
        assert!(v.contains("SB_PLL40_CORE"));
        assert!(v.contains(".DIVF(7'd47)") && v.contains(".FILTER_RANGE(3'd2)"));
        // every pin-table port is declared in `top` with the table's direction
        for p in pins::CU_PINS {
            let dir = match p.dir {
                pins::Dir::In => "input",
                pins::Dir::Out => "output",
            };
            let found = v.lines().take_while(|l| !l.contains("endmodule")).any(|l| {
                l.trim_start().starts_with(dir) && l.trim_end().ends_with(&format!(" {};", p.port))
            });
            assert!(found, "port {} ({dir}) not in top", p.port);
        }
    }

    #[test]
    fn board_places_at_the_default_clock() {
        places_at(&BoardParams::default(), "v1");
    }

    /// Coder v2's board top is retired with its core: the board refuses coder v2 and names
    /// its successor (and so `neurice bitstream --coder v2`).
    #[test]
    fn the_v2_board_is_retired() {
        let v2 = BoardParams::for_coder(CoderSpec::hardware(neurice_model::Coder::V2));
        for e in [board_verilog(&v2).unwrap_err(), v2.resolve().unwrap_err()] {
            let e = format!("{e:#}");
            assert!(e.contains("retired") && e.contains("coder max"), "{e}");
        }
    }

    /// The project's one synthesis runner (`neurice_synth::run_flow`, as `neurice bitstream`:
    /// yosys, nextpnr-ice40 with the PCF, icepack) places and routes the board top of `params`
    /// for the HX8K-CB132 and meets `params.core_mhz`.
    fn places_at(params: &BoardParams, tag: &str) {
        for t in ["yosys", "nextpnr-ice40", "icepack"] {
            if let Err(e) = neurice_synth::tools::find_tool(t) {
                neurice_testkit::skip(&format!("places_at ({tag})"), &format!("{e:#}"));
                return;
            }
        }
        let dir =
            std::env::temp_dir().join(format!("neurice-bsp-pnr-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pcf_path = dir.join("top.pcf");
        std::fs::write(&pcf_path, pcf()).unwrap();
        let mut cfg = neurice_synth::SynthConfig::new(
            neurice_synth::flow::VerilogSource::Text(board_verilog(params).unwrap()),
            "top",
            &dir,
        );
        cfg.pcf = Some(pcf_path);
        cfg.freq_mhz = params.core_mhz as f64;
        cfg.seed = 1;
        let r = neurice_synth::run_flow(&cfg).unwrap();
        eprintln!(
            "{tag} board at {} MHz: Fmax {:?} MHz, {} / {} LCs, {} BRAM",
            params.core_mhz, r.fmax_mhz, r.lc_used, r.lc_total, r.bram_used
        );
        assert!(r.timing_met, "{tag}: timing missed, Fmax {:?}", r.fmax_mhz);
        assert!(r.fmax_mhz.unwrap() >= params.core_mhz as f64);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    #[ignore = "places and routes the max top (several minutes): cargo test --release -p neurice-bsp -- --ignored max_board"]
    fn max_board_places_at_its_default_clock() {
        let params = BoardParams::for_coder(CoderSpec::hardware(neurice_model::Coder::Max));
        assert_eq!(params.core_mhz, pll::DEFAULT_MAX_CORE_MHZ);
        places_at(&params, "max");
    }

    /// The board-logic blocks (below `top$system`, outside the core) of emitted Verilog that
    /// declare a memory (`reg [..] mem[..]`), by instance name.
    fn board_memories(v: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut module = "";
        for l in v.lines() {
            if let Some(m) = l.strip_prefix("module ") {
                module = m.split('(').next().unwrap_or("");
            }
            let t: String = l.split_whitespace().collect();
            let is_mem = t.starts_with("reg[") && t.contains("]mem[");
            if let Some(name) = module.strip_prefix("top$system$") {
                let block = name.split('$').next().unwrap_or("").to_string();
                if is_mem && block != "core" && !found.contains(&block) {
                    found.push(block);
                }
            }
        }
        found.sort();
        found
    }

    /// The max top carries the max core (its tag queue and the core's marks) at the 45 MHz
    /// row; a maximum error is refused on every board path with the reason.
    #[test]
    fn the_max_top_carries_the_max_core() {
        let max = CoderSpec::hardware(neurice_model::Coder::Max);
        let params = BoardParams::for_coder(max);
        let v = board_verilog(&params).unwrap();
        assert!(v.contains("module top(clk,rst_n,usb_rx,usb_tx,led);"));
        assert!(
            v.contains("out_stream") && v.contains("tag_sent"),
            "the max core, tagged"
        );
        // block RAM: the board's logic around the core holds two memories, the in and out
        // FIFOs (1 + 2 block RAMs); the tag queue is flip-flops (as a 16 x 8 FIFO it took one
        // more block RAM: 31 of 32 with the core's 27)
        assert_eq!(
            board_memories(&v),
            ["in_fifo", "out_fifo"],
            "memories outside the core"
        );
        let (pll, _) = params.resolve().unwrap();
        assert_eq!(pll.requested_mhz, 45);
        let near = BoardParams {
            coder: max.with_max_error(1).unwrap(),
            ..params
        };
        let says = |e: anyhow::Error| {
            let e = e.to_string();
            assert!(e.contains(MAX_NEAR_NO_BOARD), "{e}");
        };
        says(board_verilog(&near).unwrap_err());
        says(near.resolve().unwrap_err());
    }
}
