//! The system view: the compressed stream against the radio, FPGA plus radio power against
//! the implant's budget.

use serde::{Deserialize, Serialize};

use super::{Band, Figure, BUDGET_MW, RADIO_MBPS, RAW_BITS_PER_SAMPLE, SAMPLE_RATE_HZ};

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

/// FPGA plus radio against the budget, for the FPGA's `total_mw` at `samples_per_s`
/// samples per second (all channels).
pub fn system_power(sys: &SystemParams, total_mw: Band, samples_per_s: f64) -> SystemPower {
    let compressed_mbps = sys.compressed_bits_per_sample * samples_per_s / 1e6;
    let raw_mbps = sys.raw_bits_per_sample * samples_per_s / 1e6;
    // Mbit/s × nJ/bit = mW.
    let radio_mw = sys.radio_nj_per_bit.value.scale(compressed_mbps);
    let raw_radio_mw = sys.radio_nj_per_bit.value.scale(raw_mbps);
    let total_system_mw = total_mw + radio_mw;
    let fits_radio = compressed_mbps <= sys.radio_mbps;
    let ok = |p: f64| fits_radio && p <= sys.budget_mw;
    SystemPower {
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
    }
}
