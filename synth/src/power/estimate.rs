//! The estimate: resources × measured activity × the model's figures, term by term, with
//! low / typical / high bands.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::system::{system_power, SystemParams, SystemPower};
use super::{Band, Figure, PowerModel};
use crate::flow::SynthReport;

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

/// Whether a term of the breakdown is static (drawn whatever the clock) or dynamic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PowerTermKind {
    Static,
    Dynamic,
}

/// Everything [`estimate_power`] needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerInput {
    /// The FPGA: chooses the power model ([`crate::Device::power_model`]).
    #[serde(default)]
    pub device: crate::Device,
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
    pub kind: PowerTermKind,
    /// How many of the resource (or accesses per clock for BRAM).
    pub count: f64,
    /// Toggles per clock (dynamic toggle terms only).
    pub rate_per_clock: Option<f64>,
    /// The model figure used.
    pub figure: Figure,
    pub mw: Band,
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

/// Power of `input` with its device's model.
pub fn estimate_power(input: &PowerInput) -> Result<PowerReport> {
    estimate_power_with(&input.device.power_model(), input)
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
            kind: PowerTermKind::Static,
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
            kind: PowerTermKind::Dynamic,
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

    let sum = |kind: PowerTermKind| {
        items
            .iter()
            .filter(|i| i.kind == kind)
            .fold(Band::default(), |acc, i| acc + i.mw)
    };
    let static_mw = sum(PowerTermKind::Static);
    let dynamic_mw = sum(PowerTermKind::Dynamic);
    let total_mw = static_mw + dynamic_mw;
    let ch = input.channels as f64;
    let samples_per_s = ch * sys.sample_rate_hz;
    let uw_per_channel = total_mw.scale(1000.0 / ch);
    // mW → W (1e-3), J → nJ (1e9).
    let nj_per_sample = total_mw.scale(1e6 / samples_per_s);

    let system = system_power(sys, total_mw, samples_per_s);
    let up5k = model.device == "iCE40UP5K";
    let mut assumptions = vec![
        if up5k {
            "static figure: the measured blank-design core current of an iCE40UP5K (one \
             board, 25 C); I/O bank standby assumed as for the HX; the bands are ours"
                .to_string()
        } else {
            "static figures are data-sheet typicals at 25 C (HX8K core standby recalled from \
             DS1040, not re-verified here); the bands are ours"
                .to_string()
        },
        if up5k {
            "dynamic energies are derived from iCE40UP5K measurements (this device) with our \
             own split between clock load and toggles; BRAM energies are assumptions; the \
             SPRAM is not used"
                .to_string()
        } else {
            "dynamic energies are derived from iCE40UP5K measurements (same 40 nm iCE40 \
             fabric, not the HX8K) with our own split between clock load and toggles; BRAM \
             energies are assumptions"
                .to_string()
        },
        format!(
            "activity is per clock at {f} MHz; it must reflect the deployed duty cycle \
             (minimum clock: {:.3} MHz for a core taking one sample per clock, half of it \
             for the 2-lane core)",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::render_power;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn input(clock_mhz: f64, channels: usize, activity: Activity) -> PowerInput {
        PowerInput {
            device: crate::Device::Hx8k,
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
}
