//! An iCE40HX8K power model with its sources, and toggle rates measured from VCD files.
//!
//! Files by concern: [`model`] (the figures and their sources), [`estimate`] (resources ×
//! activity × figures → the report), [`system`] (FPGA + radio against the budget),
//! [`render`] (the text view), [`vcd`] (toggle rates from a VCD trace).
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

mod estimate;
mod model;
mod render;
mod system;
mod vcd;

pub use estimate::{
    estimate_power, estimate_power_with, min_clock_mhz, Activity, PowerInput, PowerItem,
    PowerReport, PowerTermKind, Resources,
};
pub use model::{Band, Figure, PowerModel};
pub use render::render_power;
pub use system::{system_power, BandBool, SystemParams, SystemPower};
pub use vcd::{
    activity_from_vcd, parse_vcd, pattern_matches, ClassActivity, VcdActivity, VcdOptions,
};

pub use crate::SAMPLE_RATE_HZ;
/// Bits per raw sample.
pub const RAW_BITS_PER_SAMPLE: f64 = 10.0;
/// Radio capacity assumed for the system estimate (Mbit/s).
pub const RADIO_MBPS: f64 = 1.0;
/// System power budget (mW).
pub const BUDGET_MW: f64 = 10.0;
