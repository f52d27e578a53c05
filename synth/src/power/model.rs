//! The per-device figures of the power model, each with its unit, band and source (see the
//! module documentation of [`crate::power`] for the derivations).

use serde::{Deserialize, Serialize};

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
    pub fn new(value: Band, unit: &str, source: &str) -> Self {
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

    /// The iCE40UP5K figures: the dynamic energies are derived from measurements of this
    /// very device (see the module documentation), so their bands are narrower than the
    /// HX8K's; the static current is the measured blank-design core current. Still
    /// assumptions: the block-RAM energies (as for the HX8K), the I/O bank standby current,
    /// and the SPRAM (not used by the core: its state RAM is read and written in the same
    /// clock, and the SPRAM is single-ported).
    pub fn ice40_up5k() -> Self {
        let hx = Self::ice40_hx8k();
        let narrow = |f: &Figure, low: f64, high: f64, note: &str| Figure {
            value: Band::around(f.value.typical, low, high),
            unit: f.unit.clone(),
            source: format!("{}; {note}", f.source),
        };
        PowerModel {
            device: "iCE40UP5K".to_string(),
            vcc_v: 1.2,
            vccio_v: 3.3,
            io_banks: 3,
            core_standby_ua: Figure::new(
                Band::around(85.6, 0.75, 2.0),
                "uA",
                &format!(
                    "{UP5K_MEAS}: blank design, core rail at 1.219 V (measured); band \
                     0.75x..2x is ours (part spread, temperature above 25 C)"
                ),
            ),
            io_bank_standby_ua: Figure {
                source: format!(
                    "assumption: the HX figure ({}) applied to the UP5K's 3 banks",
                    hx.io_bank_standby_ua.source
                ),
                ..hx.io_bank_standby_ua.clone()
            },
            pll_ua: hx.pll_ua.clone(),
            clock_tree_pj_per_cycle: narrow(
                &hx.clock_tree_pj_per_cycle,
                0.75,
                1.5,
                "on the UP5K itself the band is 0.75x..1.5x (ours)",
            ),
            ff_clock_pj_per_cycle: hx.ff_clock_pj_per_cycle.clone(),
            ff_toggle_pj: hx.ff_toggle_pj.clone(),
            lut_toggle_pj: hx.lut_toggle_pj.clone(),
            carry_toggle_pj: hx.carry_toggle_pj.clone(),
            bram_read_pj: hx.bram_read_pj.clone(),
            bram_write_pj: hx.bram_write_pj.clone(),
            io_toggle_pj: hx.io_toggle_pj.clone(),
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
