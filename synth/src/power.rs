//! An iCE40HX8K power model with its sources, and toggle rates measured from VCD files.
//!
//! # Model
//!
//! ```text
//! P_static  = I_core_standby·VCC + n_banks·I_bank_standby·VCCIO + n_pll·I_pll·VCC
//! P_dynamic = f_clk · ( E_clock_tree
//!                     + n_ff    · E_ff_clock
//!                     + n_ff    · a_ff    · E_ff_toggle
//!                     + n_lut   · a_lut   · E_lut_toggle
//!                     + n_carry · a_carry · E_carry_toggle
//!                     + r_bram  · E_bram_read + w_bram · E_bram_write
//!                     + n_io    · a_io    · E_io_toggle )
//! ```
//! `a_*` are output toggles per clock cycle of each resource class ([`Activity`]), `r_bram` /
//! `w_bram` block-RAM read / write accesses per clock summed over all blocks, `n_*` the
//! resource counts ([`Resources`], normally from the [`crate::flow::SynthReport`]). Every
//! energy and current is a [`Figure`] with a low / typical / high value and a written source;
//! the report carries the three results side by side and the list of sources.
//!
//! # Where the figures come from (and how sure they are)
//!
//! * **Core standby current, HX8K: 1140 µA typical** at VCC = 1.2 V, 25 °C — Lattice
//!   *iCE40 LP/HX Family Data Sheet* (DS1040, later FPGA-DS-02029), table "Static Supply
//!   Current – HX Devices", ICCSTANDBY. *Not re-verified in this session*: the stored copies of
//!   the data sheet reachable here (DS1040 v3.4 and FPGA-DS-02029-3.5/3.9 mirrors) exposed only
//!   the front matter, so the number is as remembered from the data sheet (HX4K and HX8K share
//!   a die and list the same figure; HX1K 296 µA). The data sheet gives a typical only; our
//!   band is 0.75× … 2.5× for process spread and junction temperature above 25 °C.
//! * **I/O bank standby: 3.5 µA per bank** (same table, ICCIOSTANDBY at VCCIO = 2.5 V), also
//!   not re-verified; applied to the four banks at [`PowerModel::vccio_v`].
//! * **PLL: 139 µA** on the PLL rail at 1.219 V — *measured* on an iCE40UP5K (not an HX8K) by
//!   tinyvision-ai-inc/ice40_power (README, Joulescope JS110; 103.6–138.9 µA for 16–48 MHz
//!   outputs). The data sheet's PLL supply current was not found in the material available.
//! * **Clock tree: 53.2 pJ per cycle**, *derived by us* from the same UP5K measurements: core
//!   current with an external 12 MHz clock and a 28-bit counter (32 LCs) 613.5 µA vs. a blank
//!   design 85.6 µA at 1.219 V → 527.9 µA·1.219 V / 12 MHz = 53.6 pJ per cycle, minus the
//!   counter's own 32 LCs (≈0.46 pJ). Cross-check: the internal-oscillator sweep 6→48 MHz has a
//!   slope of (2184 − 388.4) µA / 42 MHz · 1.219 V = 52.1 pJ per cycle. The HX8K die is larger
//!   (7680 vs 5280 LCs) and of the faster process flavour: band 0.75× … 2×.
//! * **Flip-flop clock load and routed toggles**, *derived by us*: adding counters (32 → 228
//!   LCs) raised the core current by 27.8 µA at 12 MHz → 14.4 fJ per counter LC per clock.
//!   A counter bit (its LUT, FF and carry outputs) toggles on average 2/28 = 0.071 times per
//!   clock. We split the 14.4 fJ half to the FF clock pin (7.2 fJ per FF per cycle) and half
//!   to the toggles, the carry counting half a routed net: 7.2 fJ / (0.071 · 2.5) ≈ 40 fJ per
//!   LUT or FF output toggle, 20 fJ per carry toggle. The split is our choice; counter nets are
//!   short (neighbouring LCs) while general logic has longer, higher fan-out nets, so the
//!   toggle band is 0.5× … 5×, the FF clock band 0.5× … 2×.
//! * **Block RAM: 8 pJ per read, 10 pJ per write** (one 16-bit port access of one
//!   SB_RAM40_4K) — an *assumption*: no published iCE40 BRAM energy was found. Order of
//!   magnitude of a 4 kbit SRAM array access in 40 nm plus ~30 routed address / data / control
//!   nets at ~40 fJ per toggle. Band 0.4× … 3×.
//! * **I/O: 54 pJ per output toggle** — physics with an *assumed* 10 pF load (pin, trace,
//!   receiver): C·VCCIO²/2 at 3.3 V. Band 5 pF … 20 pF. Only counted when
//!   [`Resources::io_out`] and [`Activity::io_toggle_rate`] are set.
//! * **Radio: 1 nJ/bit typical** — an *assumption* for a low-power implant link at ~1 Mbps.
//!   Published points: an implanted FSK/OOK transmitter of ~1.05 mW at up to 8 Mbps
//!   (≈0.13 nJ/bit at full rate; Int. J. Telemedicine and Applications 2010, article 563903),
//!   and a 28 nm IR-UWB transmitter of 5.8 pJ/bit at 1.66 Gbps (PMC7614137) — both transmitter
//!   only, at higher rates than ours. Band 0.13 … 10 nJ/bit (the high end for Bluetooth-LE-class
//!   radios, not sourced).
//!
//! # Activity
//!
//! [`activity_from_vcd`] reads a VCD (Verilator `--trace`, yosys `sim -vcd`, Icarus, ...) and
//! counts 0↔1 transitions of every bit, per clock cycle (rising edges of the clock signal).
//! Feed it a simulation of the real recordings at the real duty cycle: the rates are per clock
//! of [`PowerInput::clock_mhz`], so a simulation where the core is busy every cycle but the
//! deployed core idles most cycles overstates the power. A gate-level simulation (the flow's
//! `<top>_netlist.v` with yosys's `ice40/cells_sim.v`) measures LUT/FF outputs directly; an RTL
//! simulation measures register and wire bits, which approximates them.
//!
//! Gate-level recipe checked with Verilator 5.006 (a 1024×32 BRAM + counter design, 2000
//! cycles: the FF / LUT / carry classes found exactly the 10 / 24 / 8 cells yosys reported):
//! ```text
//! verilator --binary --timing --trace -Wno-fatal -Wno-lint -Wno-style \
//!     -DNO_ICE40_DEFAULT_ASSIGNMENTS --top-module tb tb.v top_netlist.v \
//!     /usr/share/yosys/ice40/cells_sim.v && ./obj_dir/Vtb     # tb.v calls $dumpvars
//! ```
//! then [`activity_from_vcd`] with `clock: "tb.clk"`, `scope: "tb.dut"` and the classes
//! `ff: *SB_DFF*.Q`, `lut: *SB_LUT4*.O`, `carry: *SB_CARRY*.CO`.

use crate::flow::SynthReport;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;

/// Per-channel sample rate of the recordings (Hz).
pub const SAMPLE_RATE_HZ: f64 = 20_000.0;
/// Bits per raw sample.
pub const RAW_BITS_PER_SAMPLE: f64 = 10.0;
/// Radio capacity assumed for the system estimate (Mbit/s).
pub const RADIO_MBPS: f64 = 1.0;
/// System power budget (mW).
pub const BUDGET_MW: f64 = 10.0;

/// A low / typical / high triple.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub low: f64,
    pub typical: f64,
    pub high: f64,
}

impl std::ops::Add for Band {
    type Output = Band;
    /// Element-wise sum.
    fn add(self, o: Band) -> Band {
        Band::new(
            self.low + o.low,
            self.typical + o.typical,
            self.high + o.high,
        )
    }
}

impl Band {
    /// `typical` with the band `low_factor·typical … high_factor·typical`.
    pub fn around(typical: f64, low_factor: f64, high_factor: f64) -> Self {
        Band {
            low: typical * low_factor,
            typical,
            high: typical * high_factor,
        }
    }
    /// Three explicit values.
    pub fn new(low: f64, typical: f64, high: f64) -> Self {
        Band { low, typical, high }
    }
    /// The same value three times.
    pub fn exact(v: f64) -> Self {
        Band::new(v, v, v)
    }
    /// Each value times `k`.
    pub fn scale(self, k: f64) -> Self {
        Band::new(self.low * k, self.typical * k, self.high * k)
    }
    /// Element-wise map.
    pub fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Band::new(f(self.low), f(self.typical), f(self.high))
    }
}

/// A model figure with its unit and where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: Band,
    pub unit: String,
    /// Source, or "assumption: ..." / "derived: ...".
    pub source: String,
}

impl Figure {
    fn new(value: Band, unit: &str, source: &str) -> Self {
        Figure {
            value,
            unit: unit.to_string(),
            source: source.to_string(),
        }
    }
}

/// The per-device figures of the model. See the module documentation for the sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerModel {
    pub device: String,
    /// Core supply (V).
    pub vcc_v: f64,
    /// I/O bank supply (V); the Alchitry Cu runs its banks at 3.3 V.
    pub vccio_v: f64,
    /// Number of I/O banks (plus SPI bank not counted).
    pub io_banks: u32,
    pub core_standby_ua: Figure,
    pub io_bank_standby_ua: Figure,
    pub pll_ua: Figure,
    pub clock_tree_pj_per_cycle: Figure,
    pub ff_clock_pj_per_cycle: Figure,
    pub ff_toggle_pj: Figure,
    pub lut_toggle_pj: Figure,
    pub carry_toggle_pj: Figure,
    pub bram_read_pj: Figure,
    pub bram_write_pj: Figure,
    pub io_toggle_pj: Figure,
}

const DS1040: &str = "Lattice iCE40 LP/HX Family Data Sheet (DS1040 / FPGA-DS-02029), table \
                      'Static Supply Current - HX Devices'";
const UP5K_MEAS: &str = "tinyvision-ai-inc/ice40_power README: rail currents measured on an \
                         iCE40UP5K breakout with a Joulescope JS110 (not an HX8K)";

impl PowerModel {
    /// The iCE40HX8K figures described in the module documentation.
    pub fn ice40_hx8k() -> Self {
        // 14.4 fJ per counter LC per clock, split half clock pin / half toggles.
        let lc_fj = (641.3 - 613.5) / (228.0 - 32.0) * 1.219 / 12.0 * 1000.0; // µA·V/MHz = pJ → fJ
        let ff_clk_pj = lc_fj / 2.0 / 1000.0;
        let toggle_pj = lc_fj / 2.0 / (2.0 / 28.0 * 2.5) / 1000.0;
        let clock_pj = (613.5 - 85.6) * 1.219 / 12.0 - 32.0 * lc_fj / 1000.0;
        let io_pj = 10e-12 * 3.3 * 3.3 / 2.0 * 1e12;
        PowerModel {
            device: "iCE40HX8K".to_string(),
            vcc_v: 1.2,
            vccio_v: 3.3,
            io_banks: 4,
            core_standby_ua: Figure::new(
                Band::around(1140.0, 0.75, 2.5),
                "uA",
                &format!(
                    "{DS1040}: ICCSTANDBY typical for iCE40HX8K at VCC=1.2 V, 25 C (recalled, \
                     not re-verified in the stored copies); band 0.75x..2.5x is ours \
                     (process, temperature)"
                ),
            ),
            io_bank_standby_ua: Figure::new(
                Band::around(3.5, 0.5, 3.0),
                "uA per bank",
                &format!(
                    "{DS1040}: ICCIOSTANDBY typical at VCCIO=2.5 V (recalled, not re-verified); \
                     band ours"
                ),
            ),
            pll_ua: Figure::new(
                Band::new(100.0, 139.0, 300.0),
                "uA per PLL",
                &format!(
                    "{UP5K_MEAS}: PLL rail 103.6-138.9 uA at 1.219 V for 16-48 MHz outputs; \
                     high bound is our assumption for the HX PLL"
                ),
            ),
            clock_tree_pj_per_cycle: Figure::new(
                Band::around(clock_pj, 0.75, 2.0),
                "pJ per cycle",
                &format!(
                    "derived from {UP5K_MEAS}: (613.5-85.6) uA x 1.219 V / 12 MHz minus the \
                     counter LCs; HX8K band 0.75x..2x is ours"
                ),
            ),
            ff_clock_pj_per_cycle: Figure::new(
                Band::around(ff_clk_pj, 0.5, 2.0),
                "pJ per FF per cycle",
                &format!(
                    "derived from {UP5K_MEAS}: 14.4 fJ per counter LC per clock, half assigned \
                     to the FF clock pin (our split)"
                ),
            ),
            ff_toggle_pj: Figure::new(
                Band::around(toggle_pj, 0.5, 5.0),
                "pJ per toggle",
                "derived: other half of 14.4 fJ per counter LC over 2/28 toggles per clock of \
                 LUT+FF+0.5 carry; high 5x for long, high fan-out nets (ours)",
            ),
            lut_toggle_pj: Figure::new(
                Band::around(toggle_pj, 0.5, 5.0),
                "pJ per toggle",
                "derived: same as a FF output toggle (routed net)",
            ),
            carry_toggle_pj: Figure::new(
                Band::around(toggle_pj / 2.0, 0.5, 5.0),
                "pJ per toggle",
                "derived: half a routed toggle (dedicated carry wire; our weighting)",
            ),
            bram_read_pj: Figure::new(
                Band::around(8.0, 0.4, 3.0),
                "pJ per read access",
                "assumption (no published iCE40 BRAM energy found): 4 kbit 40 nm SRAM array \
                 access plus ~30 routed nets",
            ),
            bram_write_pj: Figure::new(
                Band::around(10.0, 0.4, 3.0),
                "pJ per write access",
                "assumption, as for reads",
            ),
            io_toggle_pj: Figure::new(
                Band::new(
                    5e-12 * 3.3 * 3.3 / 2.0 * 1e12,
                    io_pj,
                    20e-12 * 3.3 * 3.3 / 2.0 * 1e12,
                ),
                "pJ per output toggle",
                "physics: C x VCCIO^2 / 2 at 3.3 V with an assumed 10 pF load (5..20 pF)",
            ),
        }
    }

    /// Every figure as `(name, figure)`, for reports.
    pub fn figures(&self) -> Vec<(&'static str, &Figure)> {
        vec![
            ("core_standby", &self.core_standby_ua),
            ("io_bank_standby", &self.io_bank_standby_ua),
            ("pll", &self.pll_ua),
            ("clock_tree", &self.clock_tree_pj_per_cycle),
            ("ff_clock", &self.ff_clock_pj_per_cycle),
            ("ff_toggle", &self.ff_toggle_pj),
            ("lut_toggle", &self.lut_toggle_pj),
            ("carry_toggle", &self.carry_toggle_pj),
            ("bram_read", &self.bram_read_pj),
            ("bram_write", &self.bram_write_pj),
            ("io_toggle", &self.io_toggle_pj),
        ]
    }
}

impl Default for PowerModel {
    fn default() -> Self {
        PowerModel::ice40_hx8k()
    }
}

/// Resource counts the model multiplies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    pub lut4: u64,
    pub dff: u64,
    pub carry: u64,
    /// SB_RAM40_4K blocks.
    pub bram: u64,
    /// Output pins whose switching is counted (0: I/O not modelled).
    pub io_out: u64,
    pub pll: u64,
}

impl Resources {
    /// Counts from a synthesis report (yosys cell counts; BRAMs and PLLs from nextpnr).
    /// `io_out` is left at 0 because the report does not say which pins are outputs.
    pub fn from_synth(r: &SynthReport) -> Self {
        Resources {
            lut4: r.cells.lut4,
            dff: r.cells.dff,
            carry: r.cells.carry,
            bram: r.bram_used,
            io_out: 0,
            pll: r.pll_used,
        }
    }
}

/// Measured switching activity, per clock cycle.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Activity {
    /// Average output toggles per flip-flop per clock (0..=1).
    pub ff_toggle_rate: f64,
    /// Average output toggles per LUT per clock (may exceed 1 with glitches; ≤ 4 accepted).
    pub lut_toggle_rate: f64,
    /// Average carry-out toggles per SB_CARRY per clock (≤ 4 accepted).
    pub carry_toggle_rate: f64,
    /// Block-RAM read accesses per clock, summed over all blocks (≤ number of blocks).
    pub bram_reads_per_clock: f64,
    /// Block-RAM write accesses per clock, summed over all blocks (≤ number of blocks).
    pub bram_writes_per_clock: f64,
    /// Average toggles per modelled output pin per clock.
    pub io_toggle_rate: f64,
    /// Where these numbers come from (file, design, data, cycles).
    pub activity_source: String,
}

impl Activity {
    /// The same toggle rate for LUT, FF and carry outputs.
    pub fn uniform(toggle_rate: f64, source: impl Into<String>) -> Self {
        Activity {
            ff_toggle_rate: toggle_rate,
            lut_toggle_rate: toggle_rate,
            carry_toggle_rate: toggle_rate,
            activity_source: source.into(),
            ..Activity::default()
        }
    }

    fn validate(&self, res: &Resources) -> Result<()> {
        let checks = [
            ("ff_toggle_rate", self.ff_toggle_rate, 1.0),
            ("lut_toggle_rate", self.lut_toggle_rate, 4.0),
            ("carry_toggle_rate", self.carry_toggle_rate, 4.0),
            ("io_toggle_rate", self.io_toggle_rate, 1.0),
            (
                "bram_reads_per_clock",
                self.bram_reads_per_clock,
                res.bram as f64,
            ),
            (
                "bram_writes_per_clock",
                self.bram_writes_per_clock,
                res.bram as f64,
            ),
        ];
        for (name, v, max) in checks {
            if !(v.is_finite() && v >= 0.0) {
                bail!("activity {name} must be a finite number >= 0, got {v}");
            }
            if v > max {
                bail!("activity {name} = {v} exceeds its maximum {max} per clock");
            }
        }
        if self.activity_source.trim().is_empty() {
            bail!("activity_source is empty: say where the toggle rates were measured");
        }
        Ok(())
    }
}

/// System-level inputs: compression result, radio and budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemParams {
    /// Measured compressed size, bits per sample (all headers included).
    pub compressed_bits_per_sample: f64,
    /// Raw size, bits per sample ([`RAW_BITS_PER_SAMPLE`]).
    pub raw_bits_per_sample: f64,
    /// Per-channel sample rate, Hz ([`SAMPLE_RATE_HZ`]).
    pub sample_rate_hz: f64,
    /// Radio capacity, Mbit/s ([`RADIO_MBPS`]).
    pub radio_mbps: f64,
    /// Radio energy per transmitted bit, nJ.
    pub radio_nj_per_bit: Figure,
    /// Power budget of FPGA + radio, mW ([`BUDGET_MW`]).
    pub budget_mw: f64,
}

impl SystemParams {
    /// Defaults (20 kHz, 10-bit raw samples, 1 Mbit/s radio at 1 nJ/bit, 10 mW budget) for a
    /// measured compressed size.
    pub fn new(compressed_bits_per_sample: f64) -> Self {
        SystemParams {
            compressed_bits_per_sample,
            raw_bits_per_sample: RAW_BITS_PER_SAMPLE,
            sample_rate_hz: SAMPLE_RATE_HZ,
            radio_mbps: RADIO_MBPS,
            radio_nj_per_bit: Figure::new(
                Band::new(0.13, 1.0, 10.0),
                "nJ per bit",
                "assumption for a ~1 Mbit/s low-power implant link; published transmitters: \
                 ~1.05 mW at up to 8 Mbit/s (=0.13 nJ/bit, Int. J. Telemed. Appl. 2010:563903), \
                 5.8 pJ/bit at 1.66 Gbit/s IR-UWB (PMC7614137); 10 nJ/bit high end for \
                 BLE-class radios (not sourced)",
            ),
            budget_mw: BUDGET_MW,
        }
    }
}

/// Everything [`estimate_power`] needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerInput {
    /// Core clock, MHz (the clock the activity rates are per).
    pub clock_mhz: f64,
    /// Channels encoded.
    pub channels: usize,
    pub resources: Resources,
    pub activity: Activity,
    pub system: SystemParams,
}

/// One line of the power breakdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerItem {
    pub name: String,
    /// "static" or "dynamic".
    pub kind: String,
    /// How many of the resource (or accesses per clock for BRAM).
    pub count: f64,
    /// Toggles per clock (dynamic toggle terms only).
    pub rate_per_clock: Option<f64>,
    /// The model figure used.
    pub figure: Figure,
    pub mw: Band,
}

/// Booleans per band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandBool {
    pub low: bool,
    pub typical: bool,
    pub high: bool,
}

/// FPGA plus radio against the budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemPower {
    pub compressed_bits_per_sample: f64,
    pub raw_bits_per_sample: f64,
    /// compressed_bits_per_sample × channels × sample rate, Mbit/s.
    pub compressed_mbps: f64,
    /// Same for raw samples.
    pub raw_mbps: f64,
    pub radio_mbps: f64,
    /// `compressed_mbps <= radio_mbps`.
    pub fits_radio: bool,
    /// `raw_mbps <= radio_mbps`.
    pub raw_fits_radio: bool,
    pub radio_nj_per_bit: Figure,
    /// compressed_mbps × nJ/bit (mW), computed even when the stream does not fit the radio.
    pub radio_mw: Band,
    /// What sending the raw samples would cost.
    pub raw_radio_mw: Band,
    /// FPGA total + radio.
    pub total_system_mw: Band,
    pub budget_mw: f64,
    /// `total_system_mw <= budget_mw` (and the stream fits the radio).
    pub within_budget: BandBool,
}

/// Result of [`estimate_power`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerReport {
    pub device: String,
    pub clock_mhz: f64,
    pub channels: usize,
    pub sample_rate_hz: f64,
    pub activity_source: String,
    pub activity: Activity,
    pub resources: Resources,
    pub static_mw: Band,
    pub dynamic_mw: Band,
    pub total_mw: Band,
    /// FPGA total / channels, µW.
    pub uw_per_channel: Band,
    /// FPGA energy per encoded sample, nJ: total / (channels × sample rate).
    pub nj_per_sample: Band,
    pub breakdown: Vec<PowerItem>,
    pub system: SystemPower,
    /// What the model leaves out or assumes.
    pub assumptions: Vec<String>,
}

/// Minimum core clock (MHz) for `channels` at one sample per clock.
pub fn min_clock_mhz(channels: usize, sample_rate_hz: f64) -> f64 {
    channels as f64 * sample_rate_hz / 1e6
}

/// Power of `input` with the default iCE40HX8K model.
pub fn estimate_power(input: &PowerInput) -> Result<PowerReport> {
    estimate_power_with(&PowerModel::ice40_hx8k(), input)
}

/// Power of `input` with the given model.
pub fn estimate_power_with(model: &PowerModel, input: &PowerInput) -> Result<PowerReport> {
    let f = input.clock_mhz;
    if !(f.is_finite() && f > 0.0) {
        bail!("clock must be a positive number of MHz, got {f}");
    }
    if input.channels == 0 {
        bail!("channels must be at least 1");
    }
    let sys = &input.system;
    for (name, v) in [
        ("compressed_bits_per_sample", sys.compressed_bits_per_sample),
        ("raw_bits_per_sample", sys.raw_bits_per_sample),
        ("sample_rate_hz", sys.sample_rate_hz),
        ("radio_mbps", sys.radio_mbps),
    ] {
        if !(v.is_finite() && v > 0.0) {
            bail!("{name} must be a positive number, got {v}");
        }
    }
    let r = &input.resources;
    let a = &input.activity;
    a.validate(r)?;

    let mut items = Vec::new();
    // Static: µA × V = µW → mW.
    let mut stat = |name: &str, count: f64, fig: &Figure, volts: f64| {
        items.push(PowerItem {
            name: name.to_string(),
            kind: "static".to_string(),
            count,
            rate_per_clock: None,
            figure: fig.clone(),
            mw: fig.value.scale(count * volts / 1000.0),
        });
    };
    stat("core standby", 1.0, &model.core_standby_ua, model.vcc_v);
    stat(
        "I/O bank standby",
        f64::from(model.io_banks),
        &model.io_bank_standby_ua,
        model.vccio_v,
    );
    if r.pll > 0 {
        stat("PLL", r.pll as f64, &model.pll_ua, model.vcc_v);
    }
    // Dynamic: count × rate × pJ × MHz = µW → mW.
    let mut dynamic = |name: &str, count: f64, rate: Option<f64>, fig: &Figure| {
        let per_clock = count * rate.unwrap_or(1.0);
        items.push(PowerItem {
            name: name.to_string(),
            kind: "dynamic".to_string(),
            count,
            rate_per_clock: rate,
            figure: fig.clone(),
            mw: fig.value.scale(per_clock * f / 1000.0),
        });
    };
    dynamic("clock tree", 1.0, None, &model.clock_tree_pj_per_cycle);
    dynamic(
        "flip-flop clock pins",
        r.dff as f64,
        None,
        &model.ff_clock_pj_per_cycle,
    );
    dynamic(
        "flip-flop outputs",
        r.dff as f64,
        Some(a.ff_toggle_rate),
        &model.ff_toggle_pj,
    );
    dynamic(
        "LUT outputs",
        r.lut4 as f64,
        Some(a.lut_toggle_rate),
        &model.lut_toggle_pj,
    );
    dynamic(
        "carry chain",
        r.carry as f64,
        Some(a.carry_toggle_rate),
        &model.carry_toggle_pj,
    );
    dynamic(
        "BRAM reads",
        a.bram_reads_per_clock,
        None,
        &model.bram_read_pj,
    );
    dynamic(
        "BRAM writes",
        a.bram_writes_per_clock,
        None,
        &model.bram_write_pj,
    );
    if r.io_out > 0 {
        dynamic(
            "output pins",
            r.io_out as f64,
            Some(a.io_toggle_rate),
            &model.io_toggle_pj,
        );
    }

    let sum = |kind: &str| {
        items
            .iter()
            .filter(|i| i.kind == kind)
            .fold(Band::default(), |acc, i| acc + i.mw)
    };
    let static_mw = sum("static");
    let dynamic_mw = sum("dynamic");
    let total_mw = static_mw + dynamic_mw;
    let ch = input.channels as f64;
    let samples_per_s = ch * sys.sample_rate_hz;
    let uw_per_channel = total_mw.scale(1000.0 / ch);
    // mW → W (1e-3), J → nJ (1e9).
    let nj_per_sample = total_mw.scale(1e6 / samples_per_s);

    let compressed_mbps = sys.compressed_bits_per_sample * samples_per_s / 1e6;
    let raw_mbps = sys.raw_bits_per_sample * samples_per_s / 1e6;
    // Mbit/s × nJ/bit = mW.
    let radio_mw = sys.radio_nj_per_bit.value.scale(compressed_mbps);
    let raw_radio_mw = sys.radio_nj_per_bit.value.scale(raw_mbps);
    let total_system_mw = total_mw + radio_mw;
    let fits_radio = compressed_mbps <= sys.radio_mbps;
    let ok = |p: f64| fits_radio && p <= sys.budget_mw;
    let system = SystemPower {
        compressed_bits_per_sample: sys.compressed_bits_per_sample,
        raw_bits_per_sample: sys.raw_bits_per_sample,
        compressed_mbps,
        raw_mbps,
        radio_mbps: sys.radio_mbps,
        fits_radio,
        raw_fits_radio: raw_mbps <= sys.radio_mbps,
        radio_nj_per_bit: sys.radio_nj_per_bit.clone(),
        radio_mw,
        raw_radio_mw,
        total_system_mw,
        budget_mw: sys.budget_mw,
        within_budget: BandBool {
            low: ok(total_system_mw.low),
            typical: ok(total_system_mw.typical),
            high: ok(total_system_mw.high),
        },
    };
    let mut assumptions = vec![
        "static figures are data-sheet typicals at 25 C (HX8K core standby recalled from DS1040, \
         not re-verified here); the bands are ours"
            .to_string(),
        "dynamic energies are derived from iCE40UP5K measurements (same 40 nm iCE40 fabric, \
         not the HX8K) with our own split between clock load and toggles; BRAM energies are \
         assumptions"
            .to_string(),
        format!(
            "activity is per clock at {f} MHz; it must reflect the deployed duty cycle \
             (minimum clock for one sample per clock: {:.3} MHz)",
            min_clock_mhz(input.channels, sys.sample_rate_hz)
        ),
        "the FPGA's configuration flash, oscillator, regulators and the recording front end are \
         not included"
            .to_string(),
    ];
    if r.io_out == 0 {
        assumptions.push("output-pin switching not modelled (io_out = 0)".to_string());
    }
    Ok(PowerReport {
        device: model.device.clone(),
        clock_mhz: f,
        channels: input.channels,
        sample_rate_hz: sys.sample_rate_hz,
        activity_source: a.activity_source.clone(),
        activity: a.clone(),
        resources: *r,
        static_mw,
        dynamic_mw,
        total_mw,
        uw_per_channel,
        nj_per_sample,
        breakdown: items,
        system,
        assumptions,
    })
}

fn band3(b: Band, prec: usize) -> String {
    format!(
        "{:.p$} (low {:.p$} .. high {:.p$})",
        b.typical,
        b.low,
        b.high,
        p = prec
    )
}

/// Human-readable summary of a power report.
pub fn render_power(r: &PowerReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} power estimate at {} MHz, {} channels at {} kHz",
        r.device,
        r.clock_mhz,
        r.channels,
        r.sample_rate_hz / 1000.0
    );
    let _ = writeln!(s, "  activity  {}", r.activity_source);
    let _ = writeln!(
        s,
        "            FF {:.4}, LUT {:.4}, carry {:.4} toggles/clock; BRAM {:.4} reads, {:.4} writes/clock",
        r.activity.ff_toggle_rate,
        r.activity.lut_toggle_rate,
        r.activity.carry_toggle_rate,
        r.activity.bram_reads_per_clock,
        r.activity.bram_writes_per_clock
    );
    let _ = writeln!(s, "  static    {} mW", band3(r.static_mw, 3));
    let _ = writeln!(s, "  dynamic   {} mW", band3(r.dynamic_mw, 3));
    let _ = writeln!(s, "  FPGA      {} mW", band3(r.total_mw, 3));
    let _ = writeln!(s, "            {} uW/channel", band3(r.uw_per_channel, 3));
    let _ = writeln!(s, "            {} nJ/sample", band3(r.nj_per_sample, 3));
    let _ = writeln!(s, "  breakdown (typical mW):");
    for i in &r.breakdown {
        let rate = i
            .rate_per_clock
            .map(|x| format!(" x {x:.4}/clk"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "    {:<22} {:>9.4}  ({}{rate} x {:.4} {})",
            i.name, i.mw.typical, i.count, i.figure.value.typical, i.figure.unit
        );
    }
    let y = &r.system;
    let _ = writeln!(
        s,
        "  stream    {:.3} bits/sample -> {:.3} Mbit/s (raw {:.3} Mbit/s); radio {} Mbit/s: {}",
        y.compressed_bits_per_sample,
        y.compressed_mbps,
        y.raw_mbps,
        y.radio_mbps,
        if y.fits_radio { "fits" } else { "DOES NOT FIT" }
    );
    let _ = writeln!(
        s,
        "  radio     {} mW at {} nJ/bit (assumption; raw stream would need {:.3} mW)",
        band3(y.radio_mw, 3),
        y.radio_nj_per_bit.value.typical,
        y.raw_radio_mw.typical
    );
    let _ = writeln!(
        s,
        "  system    {} mW vs budget {} mW: typical {}, worst {}",
        band3(y.total_system_mw, 3),
        y.budget_mw,
        if y.within_budget.typical {
            "within"
        } else {
            "OVER"
        },
        if y.within_budget.high {
            "within"
        } else {
            "OVER"
        }
    );
    let _ = writeln!(s, "  assumptions:");
    for a in &r.assumptions {
        let _ = writeln!(s, "    - {a}");
    }
    s
}

// ---------------------------------------------------------------------------------------------
// VCD activity
// ---------------------------------------------------------------------------------------------

/// What [`activity_from_vcd`] should look at.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VcdOptions {
    /// Clock signal: full hierarchical name (`TOP.tb.clk`), a trailing part of it (`tb.clk`)
    /// or its last component (`clk`); the match nearest the top is used.
    /// `None`: the 1-bit signal named `clk`/`clock`/`*_clk`/`clk_*` nearest the top.
    pub clock: Option<String>,
    /// Only count signals inside this scope (e.g. `tb.dut` matches `TOP.tb.dut.*`).
    pub scope: Option<String>,
    /// Classes of signals: `(class, patterns)`; a signal belongs to the first class one of
    /// whose patterns matches its full name ([`pattern_matches`]: a substring, or a glob with
    /// `*`). For a Verilator trace of the flow's gate-level netlist (yosys names instances
    /// after their cell type) the outputs are `("ff", ["*SB_DFF*.Q"])`,
    /// `("lut", ["*SB_LUT4*.O"])`, `("carry", ["*SB_CARRY*.CO"])`; without `*` the cells'
    /// internal nets would be counted too.
    pub classes: Vec<(String, Vec<String>)>,
    /// Signals sampled just before every rising clock edge: the report gives the fraction of
    /// edges at which each was non-zero (e.g. a RAM read enable → reads per clock).
    pub watch: Vec<String>,
}

/// Toggle statistics of a group of signals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassActivity {
    pub signals: usize,
    pub bits: u64,
    pub toggles: u64,
    /// toggles / (bits × cycles).
    pub toggle_rate: f64,
}

/// Result of [`activity_from_vcd`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VcdActivity {
    pub source: String,
    /// Full name of the clock used.
    pub clock: String,
    /// Rising edges of the clock.
    pub clock_cycles: u64,
    pub timescale: String,
    /// Last timestamp seen.
    pub end_time: u64,
    /// Signals counted (distinct VCD identifiers; aliases count once; clocks, parameters and
    /// reals excluded).
    pub signals: usize,
    pub bits: u64,
    pub toggles: u64,
    /// toggles / (bits × cycles) over all counted bits.
    pub toggle_rate: f64,
    /// Bits that toggled at least once.
    pub toggling_bits: u64,
    /// toggles / (toggling_bits × cycles): excludes constant bits (which synthesis removes);
    /// the conservative figure used by [`VcdActivity::to_activity`].
    pub toggle_rate_toggling_bits: f64,
    pub classes: BTreeMap<String, ClassActivity>,
    /// Fraction of rising clock edges at which each watched signal was non-zero.
    pub watched: BTreeMap<String, f64>,
    /// The ten busiest signals, toggles per bit per clock.
    pub busiest: Vec<(String, f64)>,
}

impl VcdActivity {
    /// An [`Activity`]: class rates `ff`, `lut`, `carry` when those classes were given and
    /// non-empty, otherwise [`VcdActivity::toggle_rate_toggling_bits`] for all three.
    pub fn to_activity(&self, bram_reads_per_clock: f64, bram_writes_per_clock: f64) -> Activity {
        let overall = self.toggle_rate_toggling_bits;
        let class = |n: &str| {
            self.classes
                .get(n)
                .filter(|c| c.bits > 0)
                .map(|c| c.toggle_rate)
        };
        let mut a = Activity {
            ff_toggle_rate: class("ff").unwrap_or(overall),
            lut_toggle_rate: class("lut").unwrap_or(overall),
            carry_toggle_rate: class("carry").unwrap_or(overall),
            bram_reads_per_clock,
            bram_writes_per_clock,
            io_toggle_rate: 0.0,
            activity_source: String::new(),
        };
        a.activity_source = format!(
            "VCD {}: {} signals / {} bits ({} toggling) over {} cycles of {}; \
             {:.4} toggles per toggling bit per clock ({:.4} over all bits)",
            self.source,
            self.signals,
            self.bits,
            self.toggling_bits,
            self.clock_cycles,
            self.clock,
            self.toggle_rate_toggling_bits,
            self.toggle_rate
        );
        a
    }
}

/// Reads a VCD file and measures toggle rates per clock. See [`VcdOptions`].
pub fn activity_from_vcd(path: &Path, opts: &VcdOptions) -> Result<VcdActivity> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("opening VCD file {}", path.display()))?;
    let mut a = parse_vcd(std::io::BufReader::new(f), opts)
        .with_context(|| format!("reading VCD file {}", path.display()))?;
    a.source = path.display().to_string();
    Ok(a)
}

/// Whitespace-separated tokens of a reader, with the line number.
struct Tokens<R> {
    reader: R,
    line: String,
    pos: usize,
    cur: (usize, usize),
    line_no: usize,
}

impl<R: BufRead> Tokens<R> {
    fn new(reader: R) -> Self {
        Tokens {
            reader,
            line: String::new(),
            pos: 0,
            cur: (0, 0),
            line_no: 0,
        }
    }

    /// Moves to the next token; `false` at the end of the input.
    fn advance(&mut self) -> Result<bool> {
        loop {
            let rest = &self.line[self.pos..];
            let trimmed = rest.trim_start();
            if !trimmed.is_empty() {
                let start = self.pos + (rest.len() - trimmed.len());
                let len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
                self.pos = start + len;
                self.cur = (start, start + len);
                return Ok(true);
            }
            self.line.clear();
            self.pos = 0;
            self.line_no += 1;
            if self.reader.read_line(&mut self.line)? == 0 {
                return Ok(false);
            }
        }
    }

    /// The current token.
    fn cur(&self) -> &str {
        &self.line[self.cur.0..self.cur.1]
    }

    fn expect_token(&mut self, what: &str) -> Result<String> {
        if !self.advance()? {
            bail!(
                "unexpected end of file (line {}) while reading {what}",
                self.line_no
            );
        }
        Ok(self.cur().to_string())
    }

    /// Skips to the next `$end`, returning the words before it.
    fn until_end(&mut self, what: &str) -> Result<Vec<String>> {
        let mut words = Vec::new();
        loop {
            let t = self.expect_token(what)?;
            if t == "$end" {
                return Ok(words);
            }
            words.push(t);
        }
    }
}

struct Var {
    width: usize,
    /// Offset of the first bit in the state vector.
    offset: usize,
    names: Vec<String>,
    counted: bool,
    real: bool,
    toggles: u64,
    rises: u64,
    bit_toggled: Vec<bool>,
}

const X: u8 = 2;

fn bit_of(c: u8) -> Option<u8> {
    match c {
        b'0' => Some(0),
        b'1' => Some(1),
        b'x' | b'X' | b'z' | b'Z' | b'u' | b'U' | b'w' | b'W' | b'-' => Some(X),
        // Verilator/Icarus never write these; accept the 9-state letters as 0/1.
        b'l' | b'L' => Some(0),
        b'h' | b'H' => Some(1),
        _ => None,
    }
}

fn last_component(name: &str) -> &str {
    let base = name.rsplit('.').next().unwrap_or(name);
    // Drop a bit-select suffix: `clk [0]` is written as a separate token, but `q[3]` is not.
    base.split('[').next().unwrap_or(base)
}

/// A class pattern: without `*` a substring of the name; with `*` a glob (`*` = any run of
/// characters) that must match the whole name, e.g. `*SB_DFF*.Q`.
pub fn pattern_matches(name: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// `full` is `want`, ends with `.want`, or has `want` as its last component.
fn name_matches(full: &str, want: &str) -> bool {
    full == want
        || (full.len() > want.len()
            && full.ends_with(want)
            && full.as_bytes()[full.len() - want.len() - 1] == b'.')
        || last_component(full) == want
}

/// `full` lies in scope `p`: `p` occurs at the start or after a `.`, followed by `.` or the
/// end (so `TOP.tb.dut.x` is in `tb.dut` but `tb.dut2.x` is not).
fn in_scope_of(full: &str, p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    full.match_indices(p).any(|(i, _)| {
        let before_ok = i == 0 || full.as_bytes()[i - 1] == b'.';
        let end = i + p.len();
        let after_ok = end == full.len() || full.as_bytes()[end] == b'.';
        before_ok && after_ok
    })
}

fn looks_like_clock(name: &str) -> bool {
    let l = last_component(name).to_ascii_lowercase();
    l == "clk"
        || l == "clock"
        || l.ends_with("_clk")
        || l.starts_with("clk_")
        || l.ends_with("_clock")
        || l.starts_with("clock_")
}

/// Parses VCD text from a reader. See [`activity_from_vcd`].
pub fn parse_vcd<R: BufRead>(reader: R, opts: &VcdOptions) -> Result<VcdActivity> {
    let mut tok = Tokens::new(reader);
    let mut scopes: Vec<String> = Vec::new();
    let mut vars: Vec<Var> = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    let mut timescale = String::new();
    let mut bits_total = 0usize;

    // ---- header ----
    loop {
        if !tok.advance()? {
            bail!("no $enddefinitions: not a VCD file");
        }
        let t = tok.cur().to_string();
        match t.as_str() {
            "$scope" => {
                let w = tok.until_end("$scope")?;
                scopes.push(w.get(1).cloned().unwrap_or_default());
            }
            "$upscope" => {
                tok.until_end("$upscope")?;
                scopes.pop();
            }
            "$timescale" => timescale = tok.until_end("$timescale")?.join(""),
            "$var" => {
                let w = tok.until_end("$var")?;
                if w.len() < 4 {
                    bail!("malformed $var (line {}): {:?}", tok.line_no, w);
                }
                let kind = w[0].as_str();
                let width: usize = w[1]
                    .parse()
                    .with_context(|| format!("bad $var width {:?} (line {})", w[1], tok.line_no))?;
                let code = w[2].clone();
                let mut name = scopes.clone();
                name.push(w[3..].join(""));
                let full = name.join(".");
                if let Some(&i) = by_code.get(&code) {
                    vars[i].names.push(full);
                    continue;
                }
                let real = kind == "real" || kind == "realtime";
                let width = if real { 0 } else { width.max(1) };
                by_code.insert(code, vars.len());
                vars.push(Var {
                    width,
                    offset: bits_total,
                    names: vec![full],
                    counted: !(real || kind == "parameter" || kind == "event"),
                    real,
                    toggles: 0,
                    rises: 0,
                    bit_toggled: vec![false; width],
                });
                bits_total += width;
            }
            "$enddefinitions" => {
                tok.until_end("$enddefinitions")?;
                break;
            }
            s if s.starts_with('$') => {
                tok.until_end(s)?;
            }
            other => bail!(
                "unexpected {other:?} in the VCD header (line {})",
                tok.line_no
            ),
        }
    }
    if vars.is_empty() {
        bail!("the VCD declares no signals");
    }

    // ---- which signal is the clock ----
    let matches = |v: &Var, want: &str| v.names.iter().any(|n| name_matches(n, want));
    let clock_idx = match &opts.clock {
        Some(c) => {
            let mut hits: Vec<usize> = (0..vars.len())
                .filter(|&i| vars[i].width == 1 && matches(&vars[i], c))
                .collect();
            hits.sort_by_key(|&i| vars[i].names[0].matches('.').count());
            *hits
                .first()
                .with_context(|| format!("no 1-bit signal named {c:?} in the VCD"))?
        }
        None => {
            let mut hits: Vec<usize> = (0..vars.len())
                .filter(|&i| {
                    vars[i].width == 1 && vars[i].names.iter().any(|n| looks_like_clock(n))
                })
                .collect();
            hits.sort_by_key(|&i| vars[i].names[0].matches('.').count());
            *hits.first().context(
                "no clock signal found (no 1-bit signal named clk/clock); name it in VcdOptions::clock",
            )?
        }
    };
    let mut watch_idx = Vec::new();
    for w in &opts.watch {
        let i = (0..vars.len())
            .find(|&i| !vars[i].real && matches(&vars[i], w))
            .with_context(|| format!("watched signal {w:?} is not in the VCD"))?;
        watch_idx.push((w.clone(), i));
    }

    // ---- value changes ----
    let mut state = vec![X; bits_total];
    // Watched values at the start of the current timestamp (pre-edge values).
    let mut snapshot: Vec<bool> = vec![false; watch_idx.len()];
    let mut watch_high = vec![0u64; watch_idx.len()];
    let nonzero = |state: &[u8], v: &Var| state[v.offset..v.offset + v.width].contains(&1);
    let mut end_time = 0u64;
    let mut pending: Vec<u8> = Vec::new();

    // Applies one change; returns whether it was a rising edge of the clock.
    fn apply(state: &mut [u8], v: &mut Var, value: &[u8]) -> Result<bool> {
        let w = v.width;
        let pad = match value.first() {
            Some(b'1') | Some(b'0') | None => 0,
            Some(&c) => bit_of(c).unwrap_or(X),
        };
        let mut rose = false;
        for k in 0..w {
            // Bit k counted from the most significant end of the declared width.
            let src = (k + value.len()).checked_sub(w);
            let nb = match src {
                Some(j) => bit_of(value[j])
                    .with_context(|| format!("bad value character {:?}", value[j] as char))?,
                None => pad,
            };
            let slot = &mut state[v.offset + k];
            let old = *slot;
            if old != X && nb != X && old != nb {
                v.toggles += 1;
                v.bit_toggled[k] = true;
                if nb == 1 && w == 1 {
                    v.rises += 1;
                    rose = true;
                }
            }
            *slot = nb;
        }
        Ok(rose)
    }

    while tok.advance()? {
        let t = tok.cur();
        let bytes = t.as_bytes();
        match bytes[0] {
            b'#' => {
                end_time = t[1..]
                    .parse()
                    .with_context(|| format!("bad timestamp {t:?} (line {})", tok.line_no))?;
                for (s, (_, i)) in snapshot.iter_mut().zip(&watch_idx) {
                    *s = nonzero(&state, &vars[*i]);
                }
            }
            b'$' => {
                if t == "$comment" {
                    tok.until_end("$comment")?;
                }
                // $dumpvars, $dumpall, $dumpon, $dumpoff, $end: values follow as usual.
            }
            b'b' | b'B' => {
                pending.clear();
                pending.extend_from_slice(&bytes[1..]);
                let code = tok.expect_token("a vector value's identifier")?;
                let &i = by_code.get(&code).with_context(|| {
                    format!("undeclared identifier {code:?} (line {})", tok.line_no)
                })?;
                let rose = apply(&mut state, &mut vars[i], &pending)
                    .with_context(|| format!("line {}", tok.line_no))?;
                if rose && i == clock_idx {
                    for (k, s) in snapshot.iter().enumerate() {
                        watch_high[k] += u64::from(*s);
                    }
                }
            }
            b'r' | b'R' | b's' | b'S' => {
                tok.expect_token("a real value's identifier")?;
            }
            c if bit_of(c).is_some() => {
                let code = &t[1..];
                let &i = by_code.get(code).with_context(|| {
                    format!("undeclared identifier {code:?} (line {})", tok.line_no)
                })?;
                let rose = apply(&mut state, &mut vars[i], &bytes[..1])
                    .with_context(|| format!("line {}", tok.line_no))?;
                if rose && i == clock_idx {
                    for (k, s) in snapshot.iter().enumerate() {
                        watch_high[k] += u64::from(*s);
                    }
                }
            }
            _ => bail!("unexpected {t:?} in the VCD body (line {})", tok.line_no),
        }
    }

    let cycles = vars[clock_idx].rises;
    let clock_name = vars[clock_idx].names[0].clone();
    if cycles == 0 {
        bail!("clock {clock_name} never rises in the VCD");
    }
    // Copies of the clock (same edges and toggles) are not data signals.
    let (ck_t, ck_r) = (vars[clock_idx].toggles, vars[clock_idx].rises);
    for v in vars.iter_mut() {
        if v.width == 1 && v.toggles == ck_t && v.rises == ck_r {
            v.counted = false;
        }
    }
    let in_scope = |v: &Var| match &opts.scope {
        Some(p) => v.names.iter().any(|n| in_scope_of(n, p)),
        None => true,
    };
    let mut out = VcdActivity {
        clock: clock_name,
        clock_cycles: cycles,
        timescale,
        end_time,
        ..VcdActivity::default()
    };
    let mut per_signal = Vec::new();
    for (name, _) in &opts.classes {
        out.classes.insert(name.clone(), ClassActivity::default());
    }
    for v in vars.iter().filter(|v| v.counted && in_scope(v)) {
        out.signals += 1;
        out.bits += v.width as u64;
        out.toggles += v.toggles;
        out.toggling_bits += v.bit_toggled.iter().filter(|&&b| b).count() as u64;
        per_signal.push((
            v.names[0].clone(),
            v.toggles as f64 / (v.width as f64 * cycles as f64),
        ));
        let class = opts.classes.iter().find(|(_, pats)| {
            pats.iter()
                .any(|p| v.names.iter().any(|n| pattern_matches(n, p)))
        });
        if let Some((cname, _)) = class {
            let c = out.classes.entry(cname.clone()).or_default();
            c.signals += 1;
            c.bits += v.width as u64;
            c.toggles += v.toggles;
        }
    }
    if out.bits == 0 {
        bail!(
            "no data signals to count in the VCD (scope {:?})",
            opts.scope
        );
    }
    let rate = |t: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            t as f64 / (b as f64 * cycles as f64)
        }
    };
    out.toggle_rate = rate(out.toggles, out.bits);
    out.toggle_rate_toggling_bits = rate(out.toggles, out.toggling_bits);
    for c in out.classes.values_mut() {
        c.toggle_rate = rate(c.toggles, c.bits);
    }
    for ((name, _), high) in watch_idx.iter().zip(&watch_high) {
        out.watched
            .insert(name.clone(), *high as f64 / cycles as f64);
    }
    per_signal.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    per_signal.truncate(10);
    out.busiest = per_signal;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn input(clock_mhz: f64, channels: usize, activity: Activity) -> PowerInput {
        PowerInput {
            clock_mhz,
            channels,
            resources: Resources {
                lut4: 1000,
                dff: 500,
                carry: 100,
                bram: 8,
                io_out: 0,
                pll: 0,
            },
            activity,
            system: SystemParams::new(4.0),
        }
    }

    #[test]
    fn model_figures_match_their_derivation() {
        let m = PowerModel::ice40_hx8k();
        // 27.8 µA over 196 LCs at 12 MHz, 1.219 V → 14.4 fJ per LC per clock, half each.
        let lc_fj: f64 = 27.8 / 196.0 * 1.219 / 12.0 * 1000.0;
        assert!((lc_fj - 14.41).abs() < 0.01, "{lc_fj}");
        assert!(close(m.ff_clock_pj_per_cycle.value.typical, lc_fj / 2000.0));
        assert!((m.ff_toggle_pj.value.typical - 0.04035).abs() < 1e-4);
        assert!((m.clock_tree_pj_per_cycle.value.typical - 53.16).abs() < 0.01);
        assert!((m.io_toggle_pj.value.typical - 54.45).abs() < 1e-9);
        for (name, f) in m.figures() {
            assert!(!f.source.is_empty(), "{name}");
            assert!(
                f.value.low <= f.value.typical && f.value.typical <= f.value.high,
                "{name}"
            );
        }
    }

    #[test]
    fn arithmetic_by_hand() {
        let m = PowerModel::ice40_hx8k();
        let mut a = Activity::uniform(0.1, "test");
        a.bram_reads_per_clock = 1.0;
        a.bram_writes_per_clock = 0.5;
        let inp = input(20.48, 1024, a);
        let r = estimate_power_with(&m, &inp).unwrap();

        let stat = 1140.0 * 1.2 / 1000.0 + 4.0 * 3.5 * 3.3 / 1000.0;
        assert!(close(r.static_mw.typical, stat), "{}", r.static_mw.typical);

        let e = |f: &Figure| f.value.typical;
        let pj_per_clock = e(&m.clock_tree_pj_per_cycle)
            + 500.0 * e(&m.ff_clock_pj_per_cycle)
            + 500.0 * 0.1 * e(&m.ff_toggle_pj)
            + 1000.0 * 0.1 * e(&m.lut_toggle_pj)
            + 100.0 * 0.1 * e(&m.carry_toggle_pj)
            + 8.0
            + 0.5 * 10.0;
        let dynamic = pj_per_clock * 20.48e6 * 1e-12 * 1e3; // mW
        assert!(close(r.dynamic_mw.typical, dynamic));
        assert!(close(r.total_mw.typical, stat + dynamic));
        assert!(close(
            r.uw_per_channel.typical,
            (stat + dynamic) * 1000.0 / 1024.0
        ));
        // mW / (samples/s) → nJ.
        let samples = 1024.0 * 20_000.0;
        assert!(close(
            r.nj_per_sample.typical,
            (stat + dynamic) * 1e-3 / samples * 1e9
        ));
        assert!(r.total_mw.low < r.total_mw.typical && r.total_mw.typical < r.total_mw.high);
        let sum: f64 = r.breakdown.iter().map(|i| i.mw.typical).sum();
        assert!(close(sum, r.total_mw.typical));

        // System: 4 bits × 1024 × 20 kHz = 81.92 Mbit/s: far over a 1 Mbit/s radio.
        assert!(close(r.system.compressed_mbps, 81.92));
        assert!(close(r.system.raw_mbps, 204.8));
        assert!(!r.system.fits_radio);
        assert!(!r.system.within_budget.typical);
        assert!(close(r.system.radio_mw.typical, 81.92)); // 1 nJ/bit
        let text = render_power(&r);
        assert!(text.contains("DOES NOT FIT"), "{text}");
        assert!(text.contains("core standby"), "{text}");
    }

    #[test]
    fn fits_when_few_channels() {
        // 10 channels × 20 kHz × 4 bits = 0.8 Mbit/s < 1 Mbit/s.
        let r = estimate_power(&input(1.0, 10, Activity::uniform(0.05, "t"))).unwrap();
        assert!(close(r.system.compressed_mbps, 0.8));
        assert!(r.system.fits_radio);
        assert!(!r.system.raw_fits_radio); // 2 Mbit/s raw
        assert!(close(r.system.radio_mw.typical, 0.8));
        assert!(close(
            r.system.total_system_mw.typical,
            r.total_mw.typical + 0.8
        ));
        assert_eq!(
            r.system.within_budget.typical,
            r.system.total_system_mw.typical <= 10.0
        );
    }

    #[test]
    fn pll_and_io_terms() {
        let mut inp = input(10.0, 16, Activity::uniform(0.1, "t"));
        let base = estimate_power(&inp).unwrap();
        inp.resources.pll = 1;
        inp.resources.io_out = 2;
        inp.activity.io_toggle_rate = 0.5;
        let r = estimate_power(&inp).unwrap();
        let pll = 139.0 * 1.2 / 1000.0;
        let io = 2.0 * 0.5 * 54.45 * 10.0 / 1000.0;
        assert!(close(r.total_mw.typical - base.total_mw.typical, pll + io));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let ok = Activity::uniform(0.1, "t");
        assert!(estimate_power(&input(0.0, 1, ok.clone())).is_err());
        assert!(estimate_power(&input(f64::NAN, 1, ok.clone())).is_err());
        assert!(estimate_power(&input(10.0, 0, ok.clone())).is_err());
        assert!(estimate_power(&input(10.0, 1, Activity::uniform(1.5, "t"))).is_err());
        assert!(estimate_power(&input(10.0, 1, Activity::uniform(-0.1, "t"))).is_err());
        assert!(estimate_power(&input(10.0, 1, Activity::uniform(0.1, " "))).is_err());
        let mut a = ok.clone();
        a.bram_reads_per_clock = 9.0; // only 8 blocks
        assert!(estimate_power(&input(10.0, 1, a)).is_err());
        let mut inp = input(10.0, 1, ok);
        inp.system.compressed_bits_per_sample = 0.0;
        assert!(estimate_power(&inp).is_err());
    }

    const VCD: &str = r#"$date today $end
$version test $end
$timescale 1ns $end
$scope module top $end
$var wire 1 ! clk $end
$var reg 4 " q [3:0] $end
$var wire 1 # en $end
$var parameter 8 $ WIDTH $end
$var real 64 % r $end
$scope module sub $end
$var wire 1 ! clk $end
$var wire 4 " qq [3:0] $end
$var wire 1 & zero $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
0!
b0 "
0#
b1000 $
r0.5 %
0&
$end
#5
1!
#10
0!
b1 "
1#
#15
1!
#20
0!
b10 "
0#
#25
1!
#30
0!
b11 "
r1.5 %
#35
1!
x#
#40
0!
b100 "
1#
"#;

    #[test]
    fn vcd_counts_toggles_per_clock() {
        let a = parse_vcd(VCD.as_bytes(), &VcdOptions::default()).unwrap();
        assert_eq!(a.clock, "top.clk");
        assert_eq!(a.clock_cycles, 4); // rises at 5, 15, 25, 35
        assert_eq!(a.timescale, "1ns");
        assert_eq!(a.end_time, 40);
        // q: 0→1 (1), 1→2 (2), 2→3 (1), 3→4 (3) = 7 toggles; en: 0→1, 1→0, (x), x→1 not
        // counted = 2; zero: 0. clk/alias, parameter and real excluded.
        assert_eq!(a.signals, 3);
        assert_eq!(a.bits, 6);
        assert_eq!(a.toggles, 9);
        assert!(close(a.toggle_rate, 9.0 / (6.0 * 4.0)));
        // q's 3 low bits toggled (bit 3 never), en toggled, zero not: 4 toggling bits.
        assert_eq!(a.toggling_bits, 4);
        assert!(close(a.toggle_rate_toggling_bits, 9.0 / (4.0 * 4.0)));
        assert_eq!(a.busiest[0].0, "top.en");
        let act = a.to_activity(0.5, 0.25);
        assert!(close(act.ff_toggle_rate, 9.0 / 16.0));
        assert!(act.activity_source.contains("4 cycles"));
    }

    #[test]
    fn vcd_classes_scope_and_watch() {
        let opts = VcdOptions {
            clock: Some("top.clk".into()),
            scope: Some("top.sub".into()),
            classes: vec![("ff".into(), vec!["qq".into()])],
            watch: vec!["en".into()],
        };
        let a = parse_vcd(VCD.as_bytes(), &opts).unwrap();
        // In scope top.sub: qq (alias of q, 4 bits) and zero.
        assert_eq!(a.signals, 2);
        assert_eq!(a.toggles, 7);
        assert_eq!(a.classes["ff"].toggles, 7);
        assert!(close(a.classes["ff"].toggle_rate, 7.0 / 16.0));
        // en before each rising edge (5, 15, 25, 35): 0, 1, 0, 0 → 1/4.
        assert!(close(a.watched["en"], 0.25));
        let act = a.to_activity(0.0, 0.0);
        assert!(close(act.ff_toggle_rate, 7.0 / 16.0));
    }

    #[test]
    fn glob_patterns() {
        assert!(pattern_matches("TOP.tb.dut.cnt_SB_DFF_Q_9.Q", "*SB_DFF*.Q"));
        assert!(!pattern_matches(
            "TOP.tb.dut.cnt_SB_DFF_Q_9.D",
            "*SB_DFF*.Q"
        ));
        assert!(pattern_matches("TOP.tb.dut.x_SB_LUT4_O.O", "*SB_LUT4*.O"));
        assert!(!pattern_matches(
            "TOP.tb.dut.x_SB_LUT4_O.s3[7:0]",
            "*SB_LUT4*.O"
        ));
        assert!(pattern_matches("a.SB_DFF.b", "SB_DFF"));
        assert!(pattern_matches("abc", "a*c") && !pattern_matches("ab", "ab*b"));
        assert!(pattern_matches("anything", "*"));
    }

    #[test]
    fn name_and_scope_matching() {
        assert!(name_matches("TOP.tb.clk", "tb.clk"));
        assert!(name_matches("TOP.tb.clk", "clk"));
        assert!(name_matches("TOP.tb.clk", "TOP.tb.clk"));
        assert!(!name_matches("TOP.tb.xclk", "clk"));
        assert!(!name_matches("TOP.tb.clk", "b.clk"));
        assert!(in_scope_of("TOP.tb.dut.q", "tb.dut"));
        assert!(in_scope_of("tb.dut.q", "tb.dut"));
        assert!(!in_scope_of("TOP.tb.dut2.q", "tb.dut"));
        assert!(!in_scope_of("TOP.xtb.dut.q", "tb.dut"));
    }

    #[test]
    fn vcd_errors() {
        let none = VcdOptions::default();
        assert!(parse_vcd("".as_bytes(), &none).is_err());
        assert!(parse_vcd("$enddefinitions $end".as_bytes(), &none).is_err());
        let no_clock = "$scope module t $end $var wire 1 ! a $end $upscope $end $enddefinitions $end #0 0! #1 1!";
        let e = parse_vcd(no_clock.as_bytes(), &none).unwrap_err();
        assert!(format!("{e:#}").contains("no clock"), "{e:#}");
        let opts = VcdOptions {
            clock: Some("a".into()),
            ..VcdOptions::default()
        };
        // `a` as clock: rises once but then there are no data signals.
        assert!(parse_vcd(no_clock.as_bytes(), &opts).is_err());
        let undeclared = "$var wire 1 ! clk $end $enddefinitions $end #0 0? ";
        assert!(parse_vcd(undeclared.as_bytes(), &none).is_err());
        let bad = "$var wire 1 ! clk $end $enddefinitions $end #0 b2 !";
        assert!(parse_vcd(bad.as_bytes(), &none).is_err());
        assert!(activity_from_vcd(Path::new("/nonexistent.vcd"), &none).is_err());
    }
}
