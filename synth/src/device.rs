//! The target device as a value: what nextpnr is told, what the device holds, its power
//! model. It travels with the coder's parameters from the command line to the synthesis,
//! the power estimate and the report.

use serde::{Deserialize, Serialize};

use crate::power::PowerModel;

/// An iCE40 the core can be built for.
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

    /// Part and package, as in reports.
    pub fn part(self) -> &'static str {
        match self {
            Device::Hx8k => "iCE40HX8K-CB132",
            Device::Up5k => "iCE40UP5K-SG48",
        }
    }

    /// nextpnr-ice40's device flag.
    pub fn nextpnr_flag(self) -> &'static str {
        match self {
            Device::Hx8k => "--hx8k",
            Device::Up5k => "--up5k",
        }
    }

    /// nextpnr-ice40's package.
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
        let e = "ecp5".parse::<Device>().unwrap_err().to_string();
        assert!(e.contains("hx8k or up5k"), "{e}");
    }
}
