//! neurice-synth: the FPGA flow (iCE40 HX8K of the Alchitry Cu, and UP5K) and the reports
//! built from it.
//!
//! - [`tools`]: find yosys / nextpnr-ice40 / icestorm / Verilator (env overrides
//!   `NEURICE_<TOOL>`), query versions ([`tools::check_tools`]), run a tool with a log
//!   ([`tools::run_tool`]).
//! - [`device`]: the target [`Device`] as a value (part, package, resources, power model) and
//!   its [`device::Family`] (synthesis command, place-and-route tool, packer, cell models,
//!   cell classification).
//! - [`flow`]: staged yosys → nextpnr → packer flow for any device ([`flow::run_flow`])
//!   returning a serialisable [`flow::SynthReport`], plus [`flow::render_text`].
//! - [`asic`]: yosys generic synthesis with a CMOS transistor estimate ([`asic::asic_area`]).
//! - [`power`]: iCE40 HX8K and UP5K power models with written sources ([`power::estimate_power`],
//!   [`power::render_power`]) and toggle rates measured from VCD files
//!   ([`power::activity_from_vcd`]).
//!
//! Synthesis numbers come from the tools' own reports. The power model's figures are
//! data-sheet values, values derived from published measurements, or labelled assumptions;
//! see [`power`].

/// Per-channel sample rate of the implant the core is sized for (Hz): the one figure behind
/// every real-time number (minimum clock, real-time channel capacity, power per sample).
pub const SAMPLE_RATE_HZ: f64 = 20_000.0;
/// The default core clock, MHz: the Alchitry Cu board top's PLL output (the synthesis target
/// and the power model's clock unless given).
pub const DEFAULT_FREQ_MHZ: f64 = 60.0;
/// The default clock of coder max's core (`--coder max`), MHz: an exact 50 MHz PLL row above
/// the 40.96 MHz that 1024 channels at 20 kHz need at twice real time (one sample per clock).
/// The max core alone meets 52.06 / 53.63 MHz on the HX8K at this target (FORMAT.md §10.10).
/// The board top runs it lower, at `neurice_bsp::pll::DEFAULT_MAX_CORE_MHZ` (45 MHz: the whole
/// top missed 50 MHz with two of three seeds), checked by a test to lie between 40.96 MHz and
/// this value.
pub const DEFAULT_MAX_FREQ_MHZ: f64 = 50.0;

pub mod asic;
pub mod device;
pub mod flow;
pub mod power;
pub mod tools;
pub mod wrapper;

pub use asic::{asic_area, AsicArea};
pub use device::Device;
pub use flow::{render_text, run_flow, run_flow_with, SynthConfig, SynthReport, VerilogSource};
pub use power::{
    activity_from_vcd, estimate_power, render_power, Activity, PowerInput, PowerReport, Resources,
    SystemParams, VcdOptions,
};
pub use tools::{check_tools, require_tools, run_tool, ToolInfo, ToolStatus};

/// The source of the synthesis flow (how the tools are run and their reports read): part of
/// the content keys of `neurice flow`'s synthesis and ASIC caches, so that a change to this
/// crate misses them.
pub const SOURCES: [&str; 5] = [
    include_str!("flow.rs"),
    include_str!("wrapper.rs"),
    include_str!("device.rs"),
    include_str!("tools.rs"),
    include_str!("asic.rs"),
];
