//! # The iCE40 PLL (`SB_PLL40_CORE`) with `icepll`'s parameters
//!
//! The Alchitry Cu has a 100 MHz oscillator on P7. The core clock comes from the HX8K's PLL in
//! SIMPLE feedback mode, with the divider values `icepll -i 100 -o <F>` printed (icestorm
//! 2023-02, run on 2026-11-23, every row below). `F_out = 100 MHz / (DIVR + 1) * (DIVF + 1) /
//! 2^DIVQ`; `FILTER_RANGE` follows from the phase detector frequency `F_PFD = 100 / (DIVR + 1)`.
//! The test `pll_table_matches_icepll` re-runs `icepll` for every row and fails on any
//! difference (it skips with a notice when `icepll` is not on PATH).
//!
//! We do not use the board crate's `ICE40PLLBlock`: it computes `FILTER_RANGE` from an input
//! frequency that is never set (always 1 where `icepll` says e.g. 5 for 50 MHz out).
//!
//! ```text
//!              +---------------+
//!  clock_in -->| SB_PLL40_CORE |--> clock_out (PLLOUTGLOBAL)
//!              |  SIMPLE       |--> locked
//!              +---------------+
//! ```
//! In the Rust simulation the block passes `clock_in` through and reports `locked`; the
//! vendor primitive itself is only exercised on the board.

use rust_hdl::prelude::*;

/// One PLL setting, as printed by `icepll -i 100 -o <requested_mhz>`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PllSetting {
    /// The frequency given to `icepll -o`.
    pub requested_mhz: u32,
    /// `F_PLLOUT (achieved)` printed by icepll, in kHz (icepll prints MHz with 3 decimals).
    pub achieved_khz: u32,
    pub divr: u8,
    pub divf: u8,
    pub divq: u8,
    pub filter_range: u8,
}

impl PllSetting {
    /// The output frequency the dividers give for a 100 MHz input, in Hz.
    pub fn output_hz(&self) -> f64 {
        100.0e6 / (self.divr as f64 + 1.0) * (self.divf as f64 + 1.0)
            / f64::powi(2.0, self.divq as i32)
    }
}

/// `icepll -i 100 -o F` for the supported core clocks (all in SIMPLE feedback mode).
pub const PLL_TABLE: &[PllSetting] = &[
    // F_PFD 25 MHz, F_VCO 1025 MHz
    PllSetting {
        requested_mhz: 16,
        achieved_khz: 16_016,
        divr: 3,
        divf: 40,
        divq: 6,
        filter_range: 2,
    },
    // F_PFD 20 MHz, F_VCO 640 MHz
    PllSetting {
        requested_mhz: 20,
        achieved_khz: 20_000,
        divr: 4,
        divf: 31,
        divq: 5,
        filter_range: 2,
    },
    // F_PFD 33.333 MHz, F_VCO 766.667 MHz: the lowest rows, near the real-time minimum of
    // 1024 channels × 20 kHz = 20.48 MHz (17 % and 22 % above it)
    PllSetting {
        requested_mhz: 24,
        achieved_khz: 23_958,
        divr: 2,
        divf: 22,
        divq: 5,
        filter_range: 3,
    },
    // F_PFD 100 MHz, F_VCO 800 MHz
    PllSetting {
        requested_mhz: 25,
        achieved_khz: 25_000,
        divr: 0,
        divf: 7,
        divq: 5,
        filter_range: 5,
    },
    // F_PFD 20 MHz, F_VCO 640 MHz
    PllSetting {
        requested_mhz: 40,
        achieved_khz: 40_000,
        divr: 4,
        divf: 31,
        divq: 4,
        filter_range: 2,
    },
    // F_PFD 20 MHz, F_VCO 720 MHz: the coder-max board's default clock (icepll run on
    // 2026-12-07)
    PllSetting {
        requested_mhz: 45,
        achieved_khz: 45_000,
        divr: 4,
        divf: 35,
        divq: 4,
        filter_range: 2,
    },
    // F_PFD 33.333 MHz, F_VCO 766.667 MHz
    PllSetting {
        requested_mhz: 48,
        achieved_khz: 47_917,
        divr: 2,
        divf: 22,
        divq: 4,
        filter_range: 3,
    },
    // F_PFD 100 MHz, F_VCO 800 MHz
    PllSetting {
        requested_mhz: 50,
        achieved_khz: 50_000,
        divr: 0,
        divf: 7,
        divq: 4,
        filter_range: 5,
    },
    // F_PFD 20 MHz, F_VCO 960 MHz
    PllSetting {
        requested_mhz: 60,
        achieved_khz: 60_000,
        divr: 4,
        divf: 47,
        divq: 4,
        filter_range: 2,
    },
];

/// The default core clock (MHz): a row of [`PLL_TABLE`] with an exact output, so that the UART
/// divisors for 1, 3, 6 and 12 Mbaud (60, 20, 10, 5) are exact. nextpnr-ice40 0.4 (`--hx8k
/// --package cb132 --freq 60`, seeds 1–3, 2026-11-23, the core as of that day) placed the
/// whole board at 70.3–77.6 MHz (at `--freq 50`: 68.7–73.6 MHz); the test
/// `board_places_at_the_default_clock` re-checks seed 1 on every run. It is the synthesis
/// and power default too (`neurice_synth::DEFAULT_FREQ_MHZ`, checked equal by a test).
pub const DEFAULT_CORE_MHZ: u32 = 60;

/// The default core clock of the board with the coder-max core (MHz): the exact 45 MHz row,
/// above the 40.96 MHz that 1024 channels at 20 kHz need at twice real time (one sample per
/// clock), with the UART divisor for 1 Mbaud exact (45). At the 50 MHz row the whole top
/// (flip-flop tag queue, 30 block RAMs) met timing with seed 2 (50.20 MHz) but missed with
/// seeds 1 and 3 (48.87, 46.80 MHz; the critical path inside the core, byte grouper →
/// output queue, two thirds routing), so the board runs it 5 MHz lower; `neurice bitstream
/// --coder max --seed 1|2|3` meets 45 MHz with each seed, 49.19, 50.12, 46.88 MHz (with the
/// clear's trailer; 2026-12-07, docs/results.md). The max core's
/// synthesis and power default stays [`neurice_synth::DEFAULT_MAX_FREQ_MHZ`] (50 MHz, which
/// the core alone meets: 52.06 MHz); a test checks this row is at most that and at least
/// twice real time. The board top carries the max core at this clock ([`crate::CuTopMax`];
/// `max_board_places_at_its_default_clock`).
pub const DEFAULT_MAX_CORE_MHZ: u32 = 45;

/// Clock that one sample per clock needs for 1024 channels at 20 kHz, twice real time (MHz):
/// the floor of coder max's board clock (issue 26; the rate is `neurice_synth::SAMPLE_RATE_HZ`,
/// checked by a test).
pub const MAX_BOARD_FLOOR_MHZ: f64 = 2.0 * 1024.0 * 20_000.0 / 1e6;

/// The table row for a requested core clock.
pub fn pll_setting(core_mhz: u32) -> anyhow::Result<PllSetting> {
    PLL_TABLE
        .iter()
        .copied()
        .find(|s| s.requested_mhz == core_mhz)
        .ok_or_else(|| {
            let have: Vec<u32> = PLL_TABLE.iter().map(|s| s.requested_mhz).collect();
            anyhow::anyhow!(
                "no PLL setting for a {core_mhz} MHz core clock; supported (from icepll): {have:?} MHz"
            )
        })
}

/// `SB_PLL40_CORE` wrapper; see the module docs. (`Block` is implemented by hand: the
/// setting is a build parameter, not a signal, which `#[derive(LogicBlock)]` cannot hold.)
pub struct Pll {
    pub clock_in: Signal<In, Clock>,
    pub clock_out: Signal<Out, Clock>,
    pub locked: Signal<Out, Bit>,
    setting: PllSetting,
}

impl Pll {
    pub fn new(setting: PllSetting) -> Self {
        Self {
            clock_in: Default::default(),
            clock_out: Default::default(),
            locked: Default::default(),
            setting,
        }
    }
}

impl Block for Pll {
    fn connect_all(&mut self) {
        self.connect();
        self.clock_in.connect_all();
        self.clock_out.connect_all();
        self.locked.connect_all();
    }

    fn update_all(&mut self) {
        self.update();
        self.clock_in.update_all();
        self.clock_out.update_all();
        self.locked.update_all();
    }

    fn has_changed(&self) -> bool {
        self.clock_in.has_changed() || self.clock_out.has_changed() || self.locked.has_changed()
    }

    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        self.clock_in.accept("clock_in", probe);
        self.clock_out.accept("clock_out", probe);
        self.locked.accept("locked", probe);
        probe.visit_end_scope(name, self);
    }
}

impl Logic for Pll {
    fn update(&mut self) {
        // simulation model: an ideal, always-locked PLL at the input frequency
        self.clock_out.next = self.clock_in.val();
        self.locked.next = true;
    }

    fn connect(&mut self) {
        self.clock_out.connect();
        self.locked.connect();
    }

    fn hdl(&self) -> Verilog {
        let s = &self.setting;
        Verilog::Wrapper(Wrapper {
            code: format!(
                r#"
// icepll -i 100 -o {req}: F_PLLOUT {mhz}.{khz:03} MHz
SB_PLL40_CORE #(
    .FEEDBACK_PATH("SIMPLE"),
    .DIVR(4'd{divr}),
    .DIVF(7'd{divf}),
    .DIVQ(3'd{divq}),
    .FILTER_RANGE(3'd{filter})
) pll_inst (
    .LOCK(locked),
    .RESETB(1'b1),
    .BYPASS(1'b0),
    .REFERENCECLK(clock_in),
    .PLLOUTGLOBAL(clock_out)
);
"#,
                req = s.requested_mhz,
                mhz = s.achieved_khz / 1000,
                khz = s.achieved_khz % 1000,
                divr = s.divr,
                divf = s.divf,
                divq = s.divq,
                filter = s.filter_range,
            ),
            // SB_PLL40_CORE comes from yosys' iCE40 cell library (synth_ice40 loads it)
            cores: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses the `DIVR: 4 (...)` style lines of icepll's output.
    fn field(out: &str, name: &str) -> Option<String> {
        out.lines()
            .find(|l| l.trim_start().starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
    }

    #[test]
    fn pll_table_matches_icepll() {
        for s in PLL_TABLE {
            let exe = match neurice_synth::tools::find_tool("icepll") {
                Ok(exe) => exe,
                Err(e) => {
                    let why = format!("{e:#}; the PLL table was not re-checked");
                    neurice_testkit::skip("pll_table_matches_icepll", &why);
                    return;
                }
            };
            let out = match std::process::Command::new(exe)
                .args(["-i", "100", "-o", &s.requested_mhz.to_string()])
                .output()
            {
                Ok(o) => o,
                Err(e) => panic!("icepll was found but does not run: {e}"),
            };
            assert!(out.status.success(), "icepll failed: {:?}", out);
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            let num = |n: &str| -> u32 {
                field(&text, n)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("no {n} in icepll output:\n{text}"))
            };
            assert_eq!(
                num("DIVR") as u8,
                s.divr,
                "DIVR for {} MHz",
                s.requested_mhz
            );
            assert_eq!(
                num("DIVF") as u8,
                s.divf,
                "DIVF for {} MHz",
                s.requested_mhz
            );
            assert_eq!(
                num("DIVQ") as u8,
                s.divq,
                "DIVQ for {} MHz",
                s.requested_mhz
            );
            assert_eq!(num("FILTER_RANGE") as u8, s.filter_range);
            let achieved = text
                .lines()
                .find(|l| l.contains("(achieved)"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .expect("achieved frequency");
            assert_eq!((achieved * 1000.0).round() as u32, s.achieved_khz);
            assert!((s.output_hz() / 1000.0 - s.achieved_khz as f64).abs() < 1.0);
        }
    }

    /// Each coder's board clock is an exact row, and (lite) the synthesis and power
    /// default; coder max's board clock is at least twice real time for 1024 channels and at
    /// most its core's synthesis default.
    #[test]
    fn the_default_clocks_are_exact_rows_and_the_synthesis_defaults() {
        for (mhz, synth) in [
            (DEFAULT_CORE_MHZ, neurice_synth::DEFAULT_FREQ_MHZ),
            (DEFAULT_MAX_CORE_MHZ, neurice_synth::DEFAULT_MAX_FREQ_MHZ),
        ] {
            assert_eq!(
                pll_setting(mhz).unwrap().achieved_khz,
                mhz * 1000,
                "{mhz} MHz"
            );
            if mhz == DEFAULT_MAX_CORE_MHZ {
                let f = pll_setting(mhz).unwrap().output_hz() / 1e6;
                assert!(f >= MAX_BOARD_FLOOR_MHZ, "{f} MHz < twice real time");
                assert!(mhz as f64 <= synth, "{mhz} MHz");
            } else {
                assert_eq!(mhz as f64, synth, "{mhz} MHz");
            }
        }
        assert_eq!(
            MAX_BOARD_FLOOR_MHZ,
            2.0 * 1024.0 * neurice_synth::SAMPLE_RATE_HZ / 1e6
        );
    }

    #[test]
    fn unknown_core_clock_is_an_error() {
        assert!(pll_setting(DEFAULT_CORE_MHZ).is_ok());
        let e = pll_setting(77).unwrap_err().to_string();
        assert!(e.contains("77 MHz"), "{e}");
    }
}
