//! Event mode in the flow: its eval stage is `neurice eval --coder events` (the rate with
//! packet framing for 1024 channels on every sample of the recordings, the agreement with the
//! reference detector), and the events row of the side-by-side report, its system view and the
//! results table carry the eval's figures, not the co-simulation's.

use std::path::{Path, PathBuf};

use neurice_flow::compare::CoderSummary;
use neurice_flow::power::{PowerSummary, Throughput};
use neurice_flow::{EventEvalReport, Flow, FlowConfig, FlowReport, LintStatus, VerilogStage};
use neurice_model::events::{agreement, rate, EventParams};
use neurice_sim::{CoreDesign, Engine, RunSummary};
use neurice_synth::power::{estimate_power, Activity, PowerInput, Resources, SystemParams};
use neurice_synth::{Device, SynthReport};
use neurice_testkit::{grid_wav, spiky_walk};
use serde_json::{json, Value};

/// Three generated recordings with spikes, of different lengths.
fn recordings(dir: &Path) -> (Vec<PathBuf>, Vec<Vec<u32>>) {
    let mut files = Vec::new();
    let mut grid = Vec::new();
    for s in 0..3u64 {
        let x = spiky_walk(12_000 + 700 * s as usize, 50 + s);
        let p = dir.join(format!("r{s}.wav"));
        std::fs::write(&p, grid_wav(1, &x)).unwrap();
        files.push(p);
        grid.push(x.iter().map(|&v| v as u32).collect());
    }
    (files, grid)
}

fn events_flow(files: Vec<PathBuf>, out: PathBuf) -> Flow {
    let design = CoreDesign::events(EventParams::new(1024)).unwrap();
    Flow::new(FlowConfig {
        design,
        device: Device::Hx8k,
        files,
        data_dir: None,
        out,
        freq_mhz: design.facts().board_mhz,
        seed: 1,
        // the co-simulation's first look: the eval does not follow it
        max_samples: Some(500),
        power_cycles: 100_000,
        jobs: 2,
        verbose: false,
        cache: neurice_flow::Cache::off(),
    })
    .unwrap()
}

/// A flow report of event mode with `event_eval` and a co-simulation of `sim_words` words
/// over 500 frames of 1024 channels (the figures of the stages that need the tools).
fn report(design: CoreDesign, event_eval: EventEvalReport, sim_words: u64) -> FlowReport {
    let samples = 500 * 1024;
    let simulation = RunSummary {
        engine: Engine::Verilator,
        coder: "events",
        design,
        channels: 1024,
        runs: 1,
        samples,
        cycles: samples,
        stall_cycles: 0,
        words: sim_words,
        expected_words: sim_words,
        mismatches: 0,
        failed_runs: 0,
        ratio: samples as f64 * 16.0 / (32.0 * sim_words as f64),
        input_gap_per_mille: 0,
        backpressure_per_mille: 0,
        seed: 1,
        seconds: 1.0,
        cycles_per_second: 1.0,
        jobs: 1,
        first_failure: None,
    };
    let synthesis = SynthReport {
        target: Device::Hx8k,
        target_mhz: 20.48,
        fmax_mhz: Some(60.0),
        timing_met: true,
        lc_used: 3000,
        bram_used: 24,
        ..Default::default()
    };
    let power = estimate_power(&PowerInput {
        device: Device::Hx8k,
        clock_mhz: 20.48,
        channels: 1024,
        resources: Resources {
            lut4: 3000,
            dff: 900,
            carry: 300,
            bram: 24,
            io_out: 0,
            pll: 0,
        },
        activity: Activity {
            ff_toggle_rate: 0.1,
            lut_toggle_rate: 0.1,
            carry_toggle_rate: 0.05,
            bram_reads_per_clock: 1.0,
            bram_writes_per_clock: 1.0,
            io_toggle_rate: 0.0,
            activity_source: "test".into(),
        },
        system: SystemParams::new(0.01),
    })
    .unwrap();
    let throughput = Throughput {
        coder: "events",
        clock_mhz: 20.48,
        clocks_per_sample: 1.0,
        samples_per_s: 20.48e6,
        real_time_channels: 1024.0,
        nj_per_sample: power.nj_per_sample,
        uw_per_channel: power.uw_per_channel,
        method: String::new(),
    };
    FlowReport {
        neurice_version: "test",
        data_source: "recordings: 3 files".into(),
        synthetic: false,
        design,
        eval: None,
        event_eval: Some(event_eval),
        simulation,
        verilog: VerilogStage {
            file: PathBuf::new(),
            lint: LintStatus::Clean,
        },
        synthesis: synthesis.clone(),
        power: PowerSummary {
            power,
            activity: Default::default(),
            synthesis,
            netlist_source: String::new(),
            curves: None,
            throughput,
        },
        asic: None,
        asic_skipped: Some("test".into()),
        scope: String::new(),
        stage_seconds: Vec::new(),
        cache_dir: None,
        cache: Vec::new(),
    }
}

#[test]
fn the_events_row_carries_event_modes_eval() {
    let dir = tempfile::tempdir().unwrap();
    let (files, grid) = recordings(dir.path());
    let flow = events_flow(files, dir.path().join("out"));
    // the eval stage of event mode: the library's rate and agreement on every sample
    let e = flow
        .event_eval(&neurice_flow::Quiet)
        .unwrap()
        .expect("event mode on recordings has its eval");
    assert!(flow.eval(&neurice_flow::Quiet).unwrap().is_none());
    let wav =
        neurice_model::wav::parse_wav(&std::fs::read(&flow.config().files[0]).unwrap()).unwrap();
    let p = EventParams {
        sample_rate_hz: wav.sample_rate,
        ..EventParams::new(1024)
    };
    let want = rate::measure(&p, &grid).unwrap();
    assert_eq!(e.rate_1024, want);
    assert_eq!(
        e.frames_each, 12_000,
        "every sample of the shortest recording"
    );
    assert!(want.events > 0 && want.link_bits > want.payload_bits);
    let a = agreement::measure_recordings(&EventParams { channels: 1, ..p }, &grid).unwrap();
    assert_eq!(e.agreement, a);
    assert_eq!(e.precision, a.precision());
    assert_eq!(e.power_r, a.power.r());
    // the side-by-side row and the system view: the eval's ratio and rate, not the
    // co-simulation's (whose words here say another rate)
    let design = flow.config().design;
    let r = report(design, e.clone(), 40);
    let c = CoderSummary::of(&r, Path::new("events"));
    assert_eq!(c.ratio, e.ratio_vs_wav);
    let bits = want.link_bits as f64 / (want.frames as f64 * 1024.0);
    assert!((c.bits_per_sample - bits).abs() < 1e-12, "{c:?}");
    assert!(c.ratio_source.contains("event mode's eval"), "{c:?}");
    assert_ne!(c.ratio, r.simulation.ratio);
    let rows = neurice_flow::system_view::rows(std::slice::from_ref(&r));
    let s = &rows[0];
    assert!(
        (s.mbps_1024 - want.link_mbit_s).abs() < 1e-12 * want.link_mbit_s,
        "{s:?}"
    );
    assert_eq!(s.fits_radio, want.link_mbit_s <= 1.0);
    assert!(s.bits_source.contains("event mode's eval"), "{s:?}");
    // the mode's own text report: the eval's figures, its system line once
    let t = neurice_flow::report::render_text(&r, Path::new("out"));
    assert!(
        t.contains(&format!(
            "{:.4} Mbit/s with packet framing",
            want.link_mbit_s
        )),
        "{t}"
    );
    let system: Vec<&str> = t.lines().filter(|l| l.contains("  system ")).collect();
    assert_eq!(system.len(), 1, "{t}");
    assert!(
        system[0].contains(&format!("{:.3} Mbit/s for 1024 ch", want.link_mbit_s)),
        "{t}"
    );
    // the results table from the same figures: the eval's, and no co-simulation mark
    let table = neurice_flow::results_table::markdown(&table_report(&c, &r, s)).unwrap();
    let row = table
        .lines()
        .find(|l| l.starts_with("| events"))
        .unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert_eq!(cells[2], format!("{:.1}", e.ratio_vs_wav), "{row}");
    assert_eq!(cells[3], format!("{:.2}", want.link_mbit_s), "{row}");
    assert!(
        table.contains(&format!(
            "{:.4} Mbit/s with packet framing (payload {:.4}), worst 100 ms {:.4} Mbit/s, {:.2} \
             events/s/channel",
            want.link_mbit_s,
            want.payload_mbit_s,
            want.worst_100ms_link_mbit_s,
            want.events_per_s_per_channel
        )),
        "{table}"
    );
    assert!(!table.contains("co-simulation, see below"), "{table}");
}

/// The side-by-side report.json's fields the results table reads, for one mode.
fn table_report(
    c: &CoderSummary,
    r: &FlowReport,
    s: &neurice_flow::system_view::SystemRow,
) -> Value {
    json!({
        "neurice_version": "test",
        "date_utc": "2026-12-07T15:00:00Z",
        "machine": {"cpu": "test", "cores": 2, "memory_gib": 1.0, "os": "test",
                    "load_average": [0.0, 0.0, 0.0]},
        "seconds": 1.0,
        "synthetic": false,
        "data_source": "recordings: 3 files",
        "scope": "mode events",
        "coders": [serde_json::to_value(c).unwrap()],
        "reports": [serde_json::to_value(r).unwrap()],
        "system": [serde_json::to_value(s).unwrap()],
        "peers": [],
        "peers_scope": {"text": "all", "stride": 1},
        "peers_ours": []
    })
}
