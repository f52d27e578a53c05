//! Runs the real tools (yosys, nextpnr-ice40, icepack) on small hand-written designs.
//! Each test is a `neurice_testkit::skip` when the tools are not installed ("SKIPPED ..." on
//! standard error; a failure under NEURICE_REQUIRE_ALL=1, as in CI).

use neurice_synth::flow::{run_flow, SynthConfig, VerilogSource};
use neurice_synth::power::{
    activity_from_vcd, estimate_power, render_power, PowerInput, Resources, SystemParams,
    VcdOptions,
};
use neurice_synth::tools::{missing_tools_message, run_tool};
use neurice_synth::{asic_area, check_tools, render_text};
use std::process::Command;

/// A counter and a 1024×32 memory that yosys must map to 8 SB_RAM40_4K blocks.
const COUNTER_BRAM: &str = r#"
module top(input clk, input we, input [31:0] din, output reg [31:0] dout, output [7:0] count);
  reg [31:0] mem [0:1023];
  reg [9:0] cnt = 0;
  always @(posedge clk) begin
    cnt <= cnt + 1;
    if (we) mem[cnt] <= din ^ {22'd0, cnt};
    dout <= mem[cnt ^ 10'h155];
  end
  assign count = cnt[9:2];
endmodule
"#;

const LATCH: &str = r#"
module top(input en, input d, output reg q);
  always @* if (en) q = d;
endmodule
"#;

const BLINKY: &str = r#"
module blinky(input clk, output [7:0] led);
  reg [25:0] n = 0;
  always @(posedge clk) n <= n + 1;
  assign led = n[25:18];
endmodule
"#;

/// Alchitry Cu pins (see bsp/src/pins.rs).
const BLINKY_PCF: &str = "set_io clk P7\nset_io led[0] J11\nset_io led[1] K11\n\
set_io led[2] K12\nset_io led[3] K14\nset_io led[4] L12\nset_io led[5] L14\n\
set_io led[6] M12\nset_io led[7] N14\n";

#[track_caller]
fn tools_present(names: &[&str]) -> bool {
    let st = neurice_synth::tools::check_tools_named(names);
    match missing_tools_message(&st) {
        None => true,
        Some(m) => {
            let test = std::thread::current()
                .name()
                .unwrap_or("real_tools")
                .to_string();
            neurice_testkit::skip(&test, &m);
            false
        }
    }
}

/// The tools `scripts/install-tools.sh` installs and checks (its `TOOLS=(...)` line).
fn installed_tools() -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/install-tools.sh");
    let text = std::fs::read_to_string(script).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("TOOLS=("))
        .expect("a TOOLS=(...) line in scripts/install-tools.sh");
    line.trim_end_matches(')')
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn check_tools_lists_everything() {
    let st = check_tools();
    // every tool the project uses and the installer provides, in its order: not a subset,
    // not an empty list (which the loop below would pass)
    let names: Vec<&str> = st.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        installed_tools(),
        "check_tools against install-tools.sh"
    );
    assert_eq!(names, neurice_synth::tools::ALL_TOOLS);
    for s in &st {
        println!(
            "{:<14} {:<8} {}",
            s.name,
            if s.missing { "MISSING" } else { "ok" },
            s.version.as_deref().or(s.message.as_deref()).unwrap_or("")
        );
        assert_eq!(s.missing, s.path.is_none());
        assert_eq!(s.missing, s.version.is_none());
    }
    if let Some(m) = missing_tools_message(&st) {
        neurice_testkit::skip("check_tools_lists_everything (every tool present)", &m);
    }
}

#[test]
fn flow_counter_with_bram() {
    if !tools_present(&["yosys", "nextpnr-ice40", "icepack"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("build/synth"); // does not exist yet: must be created
    let mut cfg = SynthConfig::new(VerilogSource::text(COUNTER_BRAM), "top", &out);
    cfg.channels = 1024;
    let r = run_flow(&cfg).unwrap();
    println!("{}", render_text(&r));

    assert_eq!(r.device, "iCE40HX8K-CB132");
    assert_eq!(r.bram_used, 8, "1024x32 bits = 8 x 4 kbit");
    assert_eq!(r.cells.ram40_4k, 8);
    assert_eq!(r.bram_total, 32);
    assert_eq!(r.lc_total, 7680);
    assert!(r.lc_used > 0 && r.cells.lut4 > 0 && r.cells.dff >= 10 && r.cells.carry > 0);
    let f = r.fmax_mhz.expect("one clock");
    assert!(f > 0.0);
    assert_eq!(r.clocks.len(), 1);
    assert!(r.main_clock.as_deref().unwrap().contains("clk"));
    assert_eq!(r.timing_met, f >= 100.0);
    assert_eq!(
        r.realtime_channels_at_20khz,
        Some((f * 1e6 / 20_000.0).floor() as u64)
    );
    assert_eq!(r.latch_check, neurice_synth::flow::LatchCheck::Passed);
    assert_eq!(r.channels, 1024);
    assert_eq!(r.tool_versions.len(), 3);
    for stage in ["yosys", "nextpnr", "icepack"] {
        assert!(r.stage_seconds.contains_key(stage));
    }
    for p in [
        &r.outputs.bin,
        &r.outputs.asc,
        &r.outputs.netlist,
        &r.outputs.netlist_verilog,
        &r.outputs.report,
        &r.logs.yosys,
        &r.logs.nextpnr,
        &r.logs.icepack,
    ] {
        assert!(p.is_file(), "{} missing", p.display());
    }
    let netlist = std::fs::read_to_string(&r.outputs.netlist_verilog).unwrap();
    assert!(netlist.contains("SB_RAM40_4K"));
    let json: neurice_synth::SynthReport =
        serde_json::from_str(&std::fs::read_to_string(&r.outputs.report).unwrap()).unwrap();
    // serde_json may round a float by one ulp on the way back: compare the rest exactly.
    assert_eq!(
        (
            json.bram_used,
            json.lc_used,
            json.cells,
            &json.main_clock,
            &json.outputs
        ),
        (r.bram_used, r.lc_used, r.cells, &r.main_clock, &r.outputs)
    );
    assert!((json.fmax_mhz.unwrap() - f).abs() <= 1e-9 * f);

    // build.sh replays the same commands and gives the same bitstream.
    let script = std::fs::read_to_string(&r.outputs.build_script).unwrap();
    assert!(script.contains("nextpnr-ice40") && script.contains("--seed 1"));
    assert!(script.contains("--pcf-allow-unconstrained"));
    let bin1 = std::fs::read(&r.outputs.bin).unwrap();
    run_tool(
        Command::new("bash").arg(&r.outputs.build_script),
        &dir.path().join("replay.log"),
    )
    .unwrap();
    assert_eq!(std::fs::read(&r.outputs.bin).unwrap(), bin1);

    // Power from the synthesis report and a measured activity.
    let a = neurice_synth::Activity {
        bram_reads_per_clock: 8.0,
        bram_writes_per_clock: 0.0,
        ..neurice_synth::Activity::uniform(0.1, "test: assumed 0.1 toggles/clock")
    };
    let p = estimate_power(&PowerInput {
        device: Default::default(),
        clock_mhz: f.min(100.0),
        channels: 1024,
        resources: Resources::from_synth(&r),
        activity: a,
        system: SystemParams::new(5.0),
    })
    .unwrap();
    println!("{}", render_power(&p));
    assert!(p.total_mw.typical > p.static_mw.typical);
}

#[test]
fn latch_fails_in_the_yosys_stage() {
    if !tools_present(&["yosys", "nextpnr-ice40", "icepack"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = SynthConfig::new(VerilogSource::text(LATCH), "top", dir.path());
    let e = format!("{:#}", run_flow(&cfg).unwrap_err());
    assert!(e.contains("yosys synthesis stage failed"), "{e}");
    assert!(e.contains("latch"), "{e}");
    assert!(e.contains("selection is not empty"), "{e}");
    assert!(dir.path().join("yosys.log").is_file());
    assert!(!dir.path().join("top.bin").exists());

    // Without the check yosys maps the latch to a LUT feeding itself, and nextpnr's timing
    // analysis then stops on the combinational loop: the check catches it earlier and clearer.
    let mut cfg = cfg;
    cfg.allow_latches = true;
    let e = format!("{:#}", run_flow(&cfg).unwrap_err());
    assert!(
        e.contains("nextpnr-ice40 place-and-route stage failed"),
        "{e}"
    );
    assert!(dir.path().join("top_netlist.v").is_file());
}

#[test]
fn flow_with_pcf_on_cu_pins() {
    if !tools_present(&["yosys", "nextpnr-ice40", "icepack"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("blinky.v");
    let pcf = dir.path().join("cu.pcf");
    std::fs::write(&v, BLINKY).unwrap();
    std::fs::write(&pcf, BLINKY_PCF).unwrap();
    let mut cfg = SynthConfig::new(VerilogSource::file(&v), "blinky", dir.path().join("out"));
    cfg.pcf = Some(pcf.clone());
    cfg.freq_mhz = 100.0;
    cfg.main_clock = Some("clk".into());
    let r = run_flow(&cfg).unwrap();
    assert_eq!(r.io_used, 9);
    assert_eq!(r.bram_used, 0);
    assert!(r.fmax_mhz.unwrap() > 0.0);
    let script = std::fs::read_to_string(&r.outputs.build_script).unwrap();
    assert!(script.contains("--pcf"), "{script}");
    assert!(!script.contains("--pcf-allow-unconstrained"));

    // A pin that does not exist on the CB132 is a nextpnr error with its log tail.
    std::fs::write(&pcf, BLINKY_PCF.replace("N14", "Z99")).unwrap();
    let e = format!("{:#}", run_flow(&cfg).unwrap_err());
    assert!(
        e.contains("nextpnr-ice40 place-and-route stage failed"),
        "{e}"
    );
    assert!(e.contains("nextpnr.log"), "{e}");
}

#[test]
fn asic_estimate_small_design() {
    if !tools_present(&["yosys"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("small.v");
    // 16×32 memory: 512 bits, small enough for abc to be quick.
    std::fs::write(
        &v,
        COUNTER_BRAM
            .replace("[0:1023]", "[0:15]")
            .replace("[9:0] cnt", "[3:0] cnt")
            .replace("22'd0", "28'd0")
            .replace("10'h155", "4'h5")
            .replace("cnt[9:2]", "{4'd0, cnt}"),
    )
    .unwrap();
    let a = asic_area(&v, "top", &dir.path().join("asic")).unwrap();
    println!(
        "ASIC: {} transistors{} , {} cells, {} memory bits",
        a.transistors,
        if a.transistors_lower_bound { "+" } else { "" },
        a.total_cells,
        a.memory_bits
    );
    assert_eq!(a.memory_bits, 512);
    assert_eq!(a.sram_6t_transistors, 3072);
    assert!(a.cells.get("$_DFF_P_").copied().unwrap_or(0) >= 512 + 4 + 32);
    assert!(a.transistors > a.sram_6t_transistors);
    assert!(!a.assumptions.is_empty() && a.method.contains("stat -tech cmos"));
    assert!(a.log.is_file());
}

#[test]
fn vcd_activity_from_a_yosys_simulation() {
    if !tools_present(&["yosys"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("ctr.v");
    std::fs::write(
        &v,
        "module ctr(input clk, output reg [7:0] q);\n  initial q = 0;\n  \
         always @(posedge clk) q <= q + 1;\nendmodule\n",
    )
    .unwrap();
    let vcd = dir.path().join("ctr.vcd");
    let mut cmd = Command::new(neurice_synth::tools::find_tool("yosys").unwrap());
    cmd.arg("-p")
        .arg("hierarchy -top ctr; proc; opt_clean; sim -clock clk -n 64 -vcd ctr.vcd")
        .arg(&v)
        .current_dir(dir.path());
    run_tool(&mut cmd, &dir.path().join("sim.log")).unwrap();
    let a = activity_from_vcd(&vcd, &VcdOptions::default()).unwrap();
    // 64 increments from 0: bit k toggles floor(64 / 2^k) times → 127 toggles; bit 7 never.
    assert_eq!(a.clock, "ctr.clk");
    assert_eq!(a.clock_cycles, 64);
    assert_eq!(a.bits, 8);
    assert_eq!(a.toggles, 127);
    assert_eq!(a.toggling_bits, 7);
    assert!((a.toggle_rate - 127.0 / 512.0).abs() < 1e-12);
    assert!((a.toggle_rate_toggling_bits - 127.0 / 448.0).abs() < 1e-12);
}
