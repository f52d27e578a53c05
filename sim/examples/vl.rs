use neurice_sim::*;
use std::path::PathBuf;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(&args[1]);
    let ch: usize = args[2].parse().unwrap();
    let v = neurice_hdl::verilog(&neurice_model::CodecParams::HARDWARE, 1024).unwrap();
    let bin = verilator::build(&v, "top", std::path::Path::new("/tmp/vlbuild")).unwrap();
    let files = verilator::collect_wavs(&[dir]).unwrap();
    let stims = verilator::load_stimuli(
        &files,
        ch,
        None,
        verilator::Pattern {
            input_gap_per_mille: 100,
            backpressure_per_mille: 100,
            seed: 3,
        },
        2,
    )
    .unwrap();
    let r = verilator::run_batch(&stims, &bin, 2, &mut |_| {}).unwrap();
    println!(
        "runs {} samples {} cycles {} mism {} failed {} wall {:.1} sim {:.1} cps {:.0}",
        r.runs,
        r.samples,
        r.cycles,
        r.mismatches,
        r.failed_runs,
        r.wall_seconds,
        r.sim_seconds,
        r.cycles_per_second
    );
}
