//! The target device as a value: what nextpnr is told, what the device holds, its power
//! model. It travels with the coder's parameters from the command line to the synthesis,
//! the power estimate and the report. Its [`Family`] holds what every device of the family
//! shares: yosys's synthesis command, the place-and-route tool and the packer, the cell
//! models for gate-level simulation and the classification of the family's cells. Today
//! there is one family (iCE40); a second one is one more [`Family`] variant and its devices.

use serde::{Deserialize, Serialize};

use crate::power::PowerModel;

/// What a family of FPGAs shares (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40 (yosys `synth_ice40`, nextpnr-ice40, icestorm's icepack).
    #[default]
    Ice40,
}

/// The class of a mapped cell, as the synthesis report, the netlist analysis and the power
/// model count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CellClass {
    /// A look-up table.
    Lut,
    /// Any flip-flop.
    FlipFlop,
    /// A carry-chain cell.
    Carry,
    /// A block RAM.
    BlockRam,
    /// Everything else (I/O, global buffers, PLLs, …).
    Other,
}

impl Family {
    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
        }
    }

    /// yosys's synthesis command for the family.
    pub fn yosys_synth(self) -> &'static str {
        match self {
            Family::Ice40 => "synth_ice40",
        }
    }

    /// The place-and-route tool (a name the tool runner looks up).
    pub fn nextpnr(self) -> &'static str {
        match self {
            Family::Ice40 => "nextpnr-ice40",
        }
    }

    /// The bitstream packer (a name the tool runner looks up).
    pub fn packer(self) -> &'static str {
        match self {
            Family::Ice40 => "icepack",
        }
    }

    /// The tools the synthesis flow runs: yosys, place and route, the packer.
    pub fn flow_tools(self) -> [&'static str; 3] {
        ["yosys", self.nextpnr(), self.packer()]
    }

    /// yosys's simulation models of the family's cells, relative to yosys's data directory.
    pub fn cell_models(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40/cells_sim.v",
        }
    }

    /// The class of a mapped cell type (yosys's name).
    pub fn classify(self, cell: &str) -> CellClass {
        match self {
            Family::Ice40 => match cell {
                "SB_LUT4" => CellClass::Lut,
                "SB_CARRY" => CellClass::Carry,
                _ if cell.starts_with("SB_RAM40_4K") => CellClass::BlockRam,
                _ if cell.starts_with("SB_DFF") => CellClass::FlipFlop,
                _ => CellClass::Other,
            },
        }
    }
}

/// An FPGA the core can be built for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// iCE40HX8K-CB132, the Alchitry Cu's FPGA: 7680 LCs, 32 block RAMs, 95 user I/O.
    #[default]
    Hx8k,
    /// iCE40UP5K-SG48, the low-power iCE40 UltraPlus: 5280 LCs, 30 block RAMs, 4 × 256 kbit
    /// SPRAM, 8 DSP blocks, 39 user I/O.
    Up5k,
}

impl Device {
    pub const ALL: [Device; 2] = [Device::Hx8k, Device::Up5k];

    /// The name on the command line (`--device`).
    pub fn name(self) -> &'static str {
        match self {
            Device::Hx8k => "hx8k",
            Device::Up5k => "up5k",
        }
    }

    /// The family it belongs to.
    pub fn family(self) -> Family {
        match self {
            Device::Hx8k | Device::Up5k => Family::Ice40,
        }
    }

    /// Part and package, as in reports.
    pub fn part(self) -> &'static str {
        match self {
            Device::Hx8k => "iCE40HX8K-CB132",
            Device::Up5k => "iCE40UP5K-SG48",
        }
    }

    /// The place-and-route tool's device flag.
    pub fn nextpnr_flag(self) -> &'static str {
        match self {
            Device::Hx8k => "--hx8k",
            Device::Up5k => "--up5k",
        }
    }

    /// The place-and-route tool's package.
    pub fn package(self) -> &'static str {
        match self {
            Device::Hx8k => "cb132",
            Device::Up5k => "sg48",
        }
    }

    /// Logic cells.
    pub fn logic_cells(self) -> u64 {
        match self {
            Device::Hx8k => 7680,
            Device::Up5k => 5280,
        }
    }

    /// 4 kbit block RAMs (`SB_RAM40_4K`).
    pub fn block_rams(self) -> u64 {
        match self {
            Device::Hx8k => 32,
            Device::Up5k => 30,
        }
    }

    /// DSP blocks (`SB_MAC16`, 16 × 16 multiply-accumulate): what `--dsp` maps multipliers to.
    pub fn dsp_blocks(self) -> u64 {
        match self {
            Device::Hx8k => 0,
            Device::Up5k => 8,
        }
    }

    /// User I/O pins of the package: a design with more ports than this is placed and
    /// routed inside a register wrapper ([`crate::wrapper`]).
    pub fn user_io(self) -> usize {
        match self {
            Device::Hx8k => 95,
            Device::Up5k => 39,
        }
    }

    /// The device's power model (figures and sources in [`crate::power`]).
    pub fn power_model(self) -> PowerModel {
        match self {
            Device::Hx8k => PowerModel::ice40_hx8k(),
            Device::Up5k => PowerModel::ice40_up5k(),
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Device {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Device::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| anyhow::anyhow!("unknown device {s:?}: expected hx8k or up5k"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_an_error() {
        for d in Device::ALL {
            assert_eq!(d.name().parse::<Device>().unwrap(), d);
            assert_eq!(d.power_model().device, d.part().split('-').next().unwrap());
        }
        assert_eq!(Device::Hx8k.dsp_blocks(), 0);
        assert_eq!(Device::Up5k.dsp_blocks(), 8);
        let e = "ecp5".parse::<Device>().unwrap_err().to_string();
        assert!(e.contains("hx8k or up5k"), "{e}");
    }
}
