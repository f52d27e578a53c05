//! `neurice flow`: the main job (`neurice_flow::Flow`): golden-model eval, Verilator
//! co-simulation of the core on the recordings (1024 channels interleaved), Verilog with its
//! lint, iCE40 synthesis once, power from the activity of that synthesised netlist, ASIC
//! area — into one report folder (`report.json` first, `index.html` with SVG charts).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use neurice_flow::{Cache, Estimate, Flow, FlowConfig, Observer, DEFAULT_SEED};
use neurice_sim::MAX_CHANNELS;

use crate::coder_args::{CoderArgs, CoderChoice};
use crate::files::{collect_wavs, default_data_dir};
use crate::hw_cmds::progress_bar;

#[derive(Args)]
pub struct FlowArgs {
    /// Recordings folder (default: the data folder the README names).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Report folder (created if missing; the flow's own files in it are replaced).
    #[arg(short, long, default_value = "build/report")]
    out: PathBuf,
    /// Synthesis target and power clock, MHz [default: the coder's default clock: lite 60,
    /// max 50, events 20.48].
    #[arg(long)]
    freq: Option<f64>,
    /// Place-and-route seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Samples per recording in the co-simulation [default: 5000, a first look; all with
    /// --full].
    #[arg(long)]
    max_samples: Option<usize>,
    /// Clock cycles traced for the power estimate's switching activity [default: 20000, a
    /// first look; 100000 with --full].
    #[arg(long)]
    power_cycles: Option<u64>,
    /// Everything: co-simulate every sample of every recording, trace 100000 cycles for
    /// power and measure the peers (FLAC, WavPack) on every recording, not every 4th (the
    /// defaults are sized for a first look; the report says what was run).
    #[arg(long)]
    full: bool,
    /// Lanes: samples the core codes per clock (1, or 2: a channel pair per clock, half the
    /// clock for the same channels).
    #[arg(long, default_value_t = 1)]
    lanes: usize,
    /// Every mode side by side in one run and one report: coders lite and max lossless and
    /// with a maximum error δ = 1 and 2, and event mode, each at its own board clock
    /// (`neurice results-table` makes its table: one row a mode, with the run's date and
    /// machine).
    #[arg(long, conflicts_with_all = ["coder", "max_error", "freq", "lanes"])]
    every_mode: bool,
    #[command(flatten)]
    coder: CoderArgs,
    /// FPGA: hx8k (iCE40HX8K-CB132, the Alchitry Cu) or up5k (iCE40UP5K-SG48, low power).
    #[arg(long, default_value = "hx8k")]
    device: neurice_synth::Device,
    /// Print report.json to stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Cache folder for the results that survive between runs (synthesis, ASIC estimate,
    /// peers, Verilator builds; content-keyed) [default: $NEURICE_CACHE_DIR, else
    /// $XDG_CACHE_HOME/neurice, else ~/.cache/neurice].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Run every step, taking nothing from the cache and storing nothing in it.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Args)]
pub struct ResultsTableArgs {
    /// The side-by-side report.json of `neurice flow` (build/report/report.json).
    report: PathBuf,
    /// Markdown files whose results-table block (between the lines
    /// `<!-- results-table: begin … -->` and `<!-- results-table: end -->`) is replaced by the
    /// table; without, the table goes to standard output.
    #[arg(long, value_name = "FILE")]
    into: Vec<PathBuf>,
}

/// `neurice results-table`: the results table (ratio, Mbit/s for 1024 channels, core, Fmax,
/// LCs, BRAM, power, µW/channel; the peers) of a flow's report.json, with its date, machine
/// and scope ([`neurice_flow::results_table`]).
pub fn results_table(a: ResultsTableArgs) -> Result<ExitCode> {
    let bytes =
        std::fs::read(&a.report).with_context(|| format!("cannot read {}", a.report.display()))?;
    let report: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not JSON", a.report.display()))?;
    let table = neurice_flow::results_table::markdown(&report)
        .with_context(|| a.report.display().to_string())?;
    if a.into.is_empty() {
        print!("{table}");
        return Ok(ExitCode::SUCCESS);
    }
    // every file is checked before the first is written
    let docs = a
        .into
        .iter()
        .map(|f| {
            let doc = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            neurice_flow::results_table::replace_block(&doc, &table)
                .with_context(|| f.display().to_string())
        })
        .collect::<Result<Vec<_>>>()?;
    for (f, doc) in a.into.iter().zip(docs) {
        neurice_files::write_output(f, doc.as_bytes(), true)?;
        eprintln!("results-table: {} updated", f.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn flow(a: FlowArgs) -> Result<ExitCode> {
    let quiet = a.json;
    // An explicit --data must exist; the default folder may be absent (synthetic run).
    let data = a
        .data
        .clone()
        .or_else(|| default_data_dir().filter(|d| d.is_dir()));
    let files = match &data {
        Some(d) => {
            crate::files::check_data_dir(d)?;
            collect_wavs(std::slice::from_ref(d))?
        }
        None => Vec::new(),
    };
    // the first look runs the coders a user would pick today; --coder both (or --full) every
    // coder with a core
    // event mode (--coder events): its core alone
    let events = a.coder.events()?;
    let coders = match a.coder.coder {
        None => crate::first_look::default_coders(a.full),
        Some(_) if events => Vec::new(),
        Some(_) => a.coder.coders(CoderChoice::Both)?,
    };
    let both = a.every_mode || a.coder.coder.is_none() || coders.len() > 1;
    let designs = if a.every_mode {
        every_mode(&a.coder)?
    } else if events {
        vec![a.coder.design(MAX_CHANNELS, a.lanes)?]
    } else {
        coders
            .iter()
            .map(|&c| a.coder.design_of(c, MAX_CHANNELS, a.lanes))
            .collect::<Result<Vec<_>>>()?
    };
    let cache = match (&a.cache_dir, a.no_cache) {
        (_, true) => Cache::off(),
        (Some(d), false) => Cache::at(d),
        (None, false) => neurice_flow::cache::default_dir().map_or_else(Cache::off, Cache::at),
    };

    if let Ok(m) = std::fs::metadata(&a.out) {
        if !m.is_dir() {
            bail!(
                "{} is not a directory (-o names the report folder)",
                a.out.display()
            );
        }
    }
    // every coder's configuration is built and checked before the first stage runs
    let mut cfgs = designs
        .into_iter()
        .map(|design| {
            let cfg = FlowConfig {
                design,
                device: a.device,
                files: files.clone(),
                data_dir: data.clone(),
                out: if both {
                    neurice_flow::compare::mode_dir(&a.out, &design)
                } else {
                    a.out.clone()
                },
                freq_mhz: a.freq.unwrap_or(design.facts().board_mhz),
                seed: a.seed,
                max_samples: crate::first_look::max_samples(a.max_samples, a.full),
                power_cycles: crate::first_look::power_cycles(a.power_cycles, a.full),
                jobs: neurice_sim::verilator::default_jobs(),
                verbose: !quiet,
                cache: cache.clone(),
            };
            cfg.validate()
                .with_context(|| format!("--coder {}", design.name()))?;
            Ok(cfg)
        })
        .collect::<Result<Vec<_>>>()?;
    // a cache folder that cannot be made: said, and the run goes on without it
    let cache = match cache.dir().map(std::fs::create_dir_all) {
        Some(Err(e)) if a.cache_dir.is_none() => {
            eprintln!(
                "cache: cannot use {} ({e}); running every step",
                cache.dir().expect("a folder").display()
            );
            for c in &mut cfgs {
                c.cache = Cache::off();
            }
            Cache::off()
        }
        Some(Err(e)) => bail!(
            "--cache-dir {}: {e}",
            cache.dir().expect("a folder").display()
        ),
        _ => cache,
    };
    let not_run = if a.coder.coder.is_none() && !a.every_mode {
        crate::first_look::left_out(a.full)
    } else {
        Vec::new()
    };
    if !quiet {
        eprintln!(
            "coders: {}",
            cfgs.iter()
                .map(|c| c.design.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for n in &not_run {
            eprintln!("  {n}");
        }
        match cache.dir() {
            Some(d) => eprintln!(
                "cache: {} (content-keyed; --no-cache runs every step)",
                d.display()
            ),
            None => eprintln!("cache: off (every step runs)"),
        }
        if let Some(c) = cfgs.first() {
            eprintln!(
                "run: {}{}",
                c.scope(),
                if a.full {
                    ""
                } else {
                    " (a first look; --full runs everything)"
                }
            );
        }
        if both && !files.is_empty() {
            eprintln!(
                "peers (FLAC, WavPack): on {}",
                neurice_flow::peers::scope(&files, a.full).1.text
            );
        }
        if files.is_empty() {
            eprintln!(
                "no recordings found: put the Neuralink challenge WAVs in ../shared/data/neuralink \
                 or pass --data DIR (see README). Running on a SYNTHETIC recording instead."
            );
        }
    }
    let bars = Bars::new(quiet);
    let stop = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        let ticker = s.spawn(|| bars.tick_until(&stop));
        let r = if both {
            neurice_flow::compare::run_coders(cfgs, &a.out, not_run.clone(), a.full, &bars)
                .map(|c| Done::Many(Box::new(c)))
        } else {
            let cfg = cfgs.into_iter().next().expect("one coder");
            Flow::new(cfg)
                .and_then(|f| f.run(&bars))
                .map(|r| Done::One(Box::new(r)))
        };
        stop.store(true, Ordering::Relaxed);
        let _ = ticker.join();
        r
    });
    bars.clear();
    match result? {
        Done::Many(c) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                print!("{}", neurice_flow::compare::render_text(&c, &a.out));
            }
        }
        Done::One(report) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", neurice_flow::report::render_text(&report, &a.out));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The modes of `--every-mode`, in the order of the report: coders lite and max at δ = 0,
/// 1, 2 (lossless, then bounded error), then event mode; each with coder v1's options as
/// given (`args`).
fn every_mode(args: &CoderArgs) -> Result<Vec<neurice_sim::CoreDesign>> {
    let mut v = Vec::new();
    for max_error in [0, 1, 2] {
        for c in [CoderChoice::Lite, CoderChoice::Max] {
            let m = CoderArgs {
                coder: Some(c),
                max_error: Some(max_error),
                ..args.clone()
            };
            v.push(m.design(MAX_CHANNELS, 1)?);
        }
    }
    let events = CoderArgs {
        coder: Some(CoderChoice::Events),
        ..args.clone()
    };
    v.push(events.design(MAX_CHANNELS, 1).context(
        "event mode: --qmax, --window-log2, --thr-num and --thr-shift are coder v1's; \
         --every-mode runs event mode with its own parameters",
    )?);
    Ok(v)
}

enum Done {
    Many(Box<neurice_flow::compare::Comparison>),
    One(Box<neurice_flow::FlowReport>),
}

/// A bar with a time estimate instead of counts.
struct Timed {
    bar: ProgressBar,
    start: Instant,
    estimate: Option<Estimate>,
}

/// The flow's progress on standard error: one line per message, one bar per running stage
/// (stages run side by side); counted stages show done/total and indicatif's estimate of
/// the time left, tool runs and builds their elapsed time against the time the same step
/// took last time (or on the reference machine).
struct Bars {
    mp: MultiProgress,
    quiet: bool,
    start: Instant,
    counted: Mutex<HashMap<String, ProgressBar>>,
    timed: Mutex<HashMap<String, Timed>>,
}

impl Bars {
    fn new(quiet: bool) -> Self {
        Bars {
            mp: MultiProgress::new(),
            quiet,
            start: Instant::now(),
            counted: Mutex::default(),
            timed: Mutex::default(),
        }
    }

    /// Updates the timed bars twice a second until `stop`.
    fn tick_until(&self, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            for t in self.timed.lock().expect("bars").values() {
                let el = t.start.elapsed().as_secs_f64();
                match &t.estimate {
                    Some(e) => {
                        t.bar
                            .set_position((el * 10.0).min(e.seconds * 10.0 - 1.0) as u64);
                        let left = e.seconds - el;
                        t.bar.set_message(if left > 0.0 {
                            format!(
                                "~{left:.0} s left (it took {:.0} s: {})",
                                e.seconds, e.source
                            )
                        } else {
                            format!(
                                "{:.0} s over the estimate ({:.0} s, {})",
                                -left, e.seconds, e.source
                            )
                        });
                    }
                    None => t.bar.set_message(format!("{el:.0} s (no estimate yet)")),
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn clear(&self) {
        for (_, b) in self.counted.lock().expect("bars").drain() {
            b.finish_and_clear();
        }
        for (_, t) in self.timed.lock().expect("bars").drain() {
            t.bar.finish_and_clear();
        }
    }
}

impl Observer for Bars {
    fn message(&self, line: &str) {
        if self.quiet {
            return;
        }
        let line = format!("[{:>4.0} s] {line}", self.start.elapsed().as_secs_f64());
        if self.mp.is_hidden() || self.mp.println(&line).is_err() {
            eprintln!("{line}");
        }
    }

    fn progress(&self, stage: &str, done: u64, total: u64) {
        if self.quiet {
            return;
        }
        let mut m = self.counted.lock().expect("bars");
        let b = m
            .entry(stage.to_string())
            .or_insert_with(|| self.mp.add(progress_bar(total, stage, false)));
        b.set_length(total);
        b.set_position(done);
    }

    fn started(&self, stage: &str, estimate: Option<Estimate>) {
        if self.quiet {
            return;
        }
        let bar = match &estimate {
            Some(e) => {
                let b = ProgressBar::new((e.seconds * 10.0).max(1.0) as u64);
                b.set_style(
                    ProgressStyle::with_template(&format!(
                        "{stage} {{bar:40}} {{elapsed}}, {{msg}}"
                    ))
                    .expect("valid template"),
                );
                b
            }
            None => {
                let b = ProgressBar::new_spinner();
                b.set_style(
                    ProgressStyle::with_template(&format!("{stage} {{spinner}} {{msg}}"))
                        .expect("valid template"),
                );
                b
            }
        };
        let bar = self.mp.add(bar);
        self.timed.lock().expect("bars").insert(
            stage.to_string(),
            Timed {
                bar,
                start: Instant::now(),
                estimate,
            },
        );
    }

    fn finished(&self, stage: &str) {
        if let Some(b) = self.counted.lock().expect("bars").remove(stage) {
            b.finish_and_clear();
            self.mp.remove(&b);
        }
        if let Some(t) = self.timed.lock().expect("bars").remove(stage) {
            t.bar.finish_and_clear();
            self.mp.remove(&t.bar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        flow: FlowArgs,
    }

    #[test]
    fn every_mode_is_seven_modes_in_the_reports_order() {
        let a = Cli::try_parse_from(["flow", "--every-mode"]).unwrap().flow;
        let names: Vec<_> = every_mode(&a.coder)
            .unwrap()
            .iter()
            .map(neurice_flow::compare::mode_name)
            .collect();
        assert_eq!(
            names,
            ["lite", "max", "lite-d1", "max-d1", "lite-d2", "max-d2", "events"]
        );
        // one coder, one δ, one clock or two lanes contradict every mode: refused
        for extra in [
            ["--coder", "lite"],
            ["--max-error", "1"],
            ["--freq", "30"],
            ["--lanes", "2"],
        ] {
            let args = ["flow", "--every-mode", extra[0], extra[1]];
            let e = Cli::try_parse_from(args).err().expect("refused");
            assert!(e.to_string().contains("cannot be used with"), "{e}");
        }
    }
}
