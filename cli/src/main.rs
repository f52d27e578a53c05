//! `neurice`: compress, verify, simulate, synthesise and report on the neurice core.

mod codec_cmds;
mod coder_args;
mod events_cmd;
mod files;
mod first_look;
mod flow_cmd;
mod hw_cmds;
mod ip_files;
mod link_cmd;
mod power_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "neurice",
    version,
    about = "Compression core for neural recordings (lossless, bounded-error and event modes): codec, simulation, synthesis and power reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compress a 16-bit PCM WAV into a .nrc stream (with `--coder events`: an event-stream file).
    Compress(codec_cmds::CompressArgs),
    /// Restore the WAV from a .nrc stream (byte for byte when lossless; within δ with a maximum
    /// error), or an event stream's arrays.
    Decompress(codec_cmds::DecompressArgs),
    /// Compress, decompress and compare recordings; print the total ratio.
    Eval(codec_cmds::EvalArgs),
    /// Show the header of a .nrc stream or an event-stream file.
    Info(codec_cmds::InfoArgs),
    /// Simulate the hardware core on recordings and compare every word with the golden model.
    Sim(hw_cmds::SimArgs),
    /// Write the core's Verilog (and check it with Verilator lint and yosys).
    Verilog(hw_cmds::VerilogArgs),
    /// Synthesise, place and route the core for an iCE40 (HX8K, the Alchitry Cu's, or UP5K); timing
    /// and area.
    Synth(hw_cmds::SynthArgs),
    /// Estimate power and energy from switching activity measured on recordings.
    Power(power_cmd::PowerArgs),
    /// Build the Alchitry Cu bitstream (board top with the core, PLL and UART).
    Bitstream(hw_cmds::BitstreamArgs),
    /// Code recordings into packets, pass them through a simulated lossy radio link, decode
    /// and count delivered, lost and wrong samples.
    Link(link_cmd::LinkArgs),
    /// The main job: eval, co-simulation, Verilog, synthesis; writes a report folder.
    Flow(flow_cmd::FlowArgs),
    /// Write the results table (Markdown, with the run's date and machine) from a flow's
    /// report.json, to standard output or into the results-table block of Markdown files.
    ResultsTable(flow_cmd::ResultsTableArgs),
}

fn main() -> ExitCode {
    // a closed pipe on standard output or error ends the command quietly with SIGPIPE's
    // status (141 in a shell), as other Unix tools do, not with a panic at the next print
    neurice_files::signals::default_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compress(a) => codec_cmds::compress(a),
        Command::Decompress(a) => codec_cmds::decompress(a),
        Command::Eval(a) => codec_cmds::eval(a),
        Command::Info(a) => codec_cmds::info(a),
        Command::Sim(a) => hw_cmds::sim(a),
        Command::Verilog(a) => hw_cmds::verilog(a),
        Command::Synth(a) => hw_cmds::synth(a),
        Command::Flow(a) => flow_cmd::flow(a),
        Command::Bitstream(a) => hw_cmds::bitstream(a),
        Command::Power(a) => power_cmd::power(a),
        Command::Link(a) => link_cmd::link(a),
        Command::ResultsTable(a) => flow_cmd::results_table(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("neurice: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
