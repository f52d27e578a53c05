//! `compress`, `decompress`, `eval` and `info`: the golden-model codec on files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use neurice_flow::run_eval;

use crate::coder_args::CoderArgs;
use crate::events_cmd::Sniffed;
use crate::files::{
    check_output, collect_wavs, default_data_dir, ensure_distinct, input_name, is_stdio,
    open_input, output_name, write_output_with,
};
use neurice_model::container::{compress_reader, decompress_reader};
use neurice_model::report::{DecodeOptions, DecodeReport};

#[derive(Args)]
pub struct CompressArgs {
    /// Input WAV (16-bit PCM, any channel count); `-` reads standard input.
    input: PathBuf,
    /// Output .nrc stream (with `--coder events`: the event-stream file, FORMAT.md §12.11);
    /// `-` writes standard output (never a terminal).
    output: PathBuf,
    /// Replace the output if it is an existing regular file (its mode is kept); anything else
    /// (a device, a FIFO, a symbolic link, a folder) is refused.
    #[arg(long)]
    force: bool,
    /// Print the statistics as JSON.
    #[arg(long)]
    json: bool,
    /// The coder (`lite`: v1, delta + half-step Golomb, container version 1; `max`: LMS + one
    /// multi-symbol range-coder step per sample over a trained table, container version 3;
    /// `v2`: LMS + context-adaptive binary range coder, container version 2), its parameters
    /// and `--max-error`.
    #[command(flatten)]
    coder: CoderArgs,
    /// Worker threads for a long recording (default: all cores, at most 4; at most 4 per core
    /// and 256 are accepted).
    #[arg(long)]
    threads: Option<usize>,
    /// Flush a new output to the disk (fsync) before it is linked into place, so that it
    /// survives a power loss (off by default, as in gzip, zstd and flac; an output that
    /// replaces a file, with --force, is always flushed).
    #[arg(long)]
    sync: bool,
}

#[derive(Args)]
pub struct DecompressArgs {
    /// Input .nrc stream or event-stream file (`compress --coder events`); `-` reads
    /// standard input.
    input: PathBuf,
    /// Output WAV (byte-identical to the original; from a bounded-error stream every sample
    /// within its maximum error, FORMAT.md §11); `-` writes standard output (never a
    /// terminal). From an event stream: a folder, created, for the NumPy arrays
    /// spike_times.npy, spike_channels.npy, spike_frames.npy, power.npy (bins × channels),
    /// power_codes.npy and summary.json.
    output: PathBuf,
    /// Replace the output if it is an existing regular file (its mode is kept); anything else
    /// (a device, a FIFO, a symbolic link, a folder) is refused.
    #[arg(long)]
    force: bool,
    /// Worker threads (default: all cores, at most 4; at most 4 per core and 256 are
    /// accepted).
    #[arg(long)]
    threads: Option<usize>,
    /// When blocks of the stream are damaged, still write the output: every undamaged block
    /// decoded, the frames of the lost blocks as zero samples. The exit code is 1 all the same.
    /// Without it a damaged stream leaves no output file.
    #[arg(long)]
    recover: bool,
    /// Print the samples decoded and the speed (M samples/s) to standard error.
    #[arg(long)]
    timing: bool,
    /// Event streams: print the summary (what each array holds, every parameter) as JSON.
    #[arg(long)]
    json: bool,
    /// Flush a new output to the disk (fsync) before it is linked into place, so that it
    /// survives a power loss (off by default, as in gzip, zstd and flac; an output that
    /// replaces a file, with --force, is always flushed).
    #[arg(long)]
    sync: bool,
}

#[derive(Args)]
pub struct EvalArgs {
    /// Recordings: WAV files and/or folders of them (default: the Neuralink data folder).
    inputs: Vec<PathBuf>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores; at most 4 per core and 256, more is refused).
    #[arg(long)]
    threads: Option<usize>,
    /// The coder to evaluate (`lite`: v1, `max`, `v2`), its parameters and `--max-error` (with
    /// δ > 0 every decoded sample is checked against δ and the fidelity measured); `events`:
    /// event mode's rate for 1024 channels and its agreement with the reference detector.
    #[command(flatten)]
    coder: CoderArgs,
    /// Bounded error at several maximum errors: δ values in increasing order (e.g.
    /// `0,1,2,3,4`), each measured as `--max-error δ` measures it (`--coder both`: lite and
    /// max).
    #[arg(long, value_name = "δ,δ,…", allow_hyphen_values = true,
          value_parser = parse_sweep, conflicts_with = "max_error")]
    max_error_sweep: Option<Deltas>,
    /// With --max-error-sweep: write the plot of the ratio against δ with the fidelity (SVG).
    #[arg(long, value_name = "FILE.svg", requires = "max_error_sweep")]
    plot: Option<PathBuf>,
    /// Replace the --plot file if it is an existing regular file.
    #[arg(long, requires = "plot")]
    force: bool,
}

/// `--max-error-sweep`'s list of maximum errors.
#[derive(Clone, Debug)]
pub struct Deltas(Vec<u32>);

fn parse_sweep(s: &str) -> Result<Deltas, String> {
    neurice_flow::sweep::parse_deltas(s)
        .map(Deltas)
        .map_err(|e| e.to_string())
}

#[derive(Args)]
pub struct InfoArgs {
    /// A .nrc stream or an event-stream file; `-` reads standard input.
    input: PathBuf,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

/// Checks `--threads`: `None` is every core (the stream uses at most
/// [`neurice_model::stream::MAX_WORKERS`]).
fn threads(t: Option<usize>) -> Result<usize> {
    match t {
        Some(n) => crate::files::check_workers("--threads", n),
        None => Ok(0),
    }
}

pub fn compress(a: CompressArgs) -> Result<ExitCode> {
    crate::files::set_sync(a.sync);
    if a.coder.events()? {
        if a.threads.is_some() {
            anyhow::bail!("--threads is for the waveform coders; event mode runs on one thread");
        }
        return crate::events_cmd::compress(&a.input, &a.output, a.force, a.json);
    }
    ensure_distinct(&a.input, &a.output)?;
    check_output(&a.output, a.force)?;
    let threads = threads(a.threads)?;
    let coder = a.coder.spec()?;
    let name = input_name(&a.input);
    let (mut input, total) = open_input(&a.input)?;
    let start = std::time::Instant::now();
    let stats = write_output_with(&a.output, a.force, |out| {
        compress_reader(&mut input, total, out, &coder, threads).with_context(|| name.clone())
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let report = if a.json {
        let mut v = serde_json::to_value(&stats)?;
        v["seconds"] = seconds.into();
        serde_json::to_string_pretty(&v)?
    } else {
        format!(
            "{} -> {}: {} -> {} bytes, ratio {:.4} (coder {}{}, {:?}, {} channel(s), {} samples) in {:.2} s ({:.1} M samples/s)",
            name,
            output_name(&a.output),
            stats.wav_bytes,
            stats.nrc_bytes,
            stats.wav_bytes as f64 / stats.nrc_bytes as f64,
            stats.coder,
            max_error_text(coder.max_error()),
            stats.mode,
            stats.channels,
            stats.samples,
            seconds,
            stats.samples as f64 / seconds / 1e6
        )
    };
    // the stream itself may be on standard output
    if is_stdio(&a.output) {
        eprintln!("{report}");
    } else {
        println!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `", maximum error δ"` for a bounded-error coder, nothing for a lossless one.
fn max_error_text(delta: u32) -> String {
    if delta == 0 {
        String::new()
    } else {
        format!(", maximum error {delta} grid step(s)")
    }
}

/// The damage a report lists, one item per line, for an error message. When no block was
/// lost but a whole-file check failed, it says so first, and what that means for the samples.
fn damage_text(rep: &DecodeReport) -> String {
    if rep.lost.is_empty() {
        let verdict = match rep.wav_checksum {
            Some(false) => format!(
                "every one of its {} block(s) passed its own CRC-32, but a whole-file check \
                 failed: the decoded samples are NOT trustworthy (some are wrong, and the block \
                 cannot be located: every block's own check passed)",
                rep.blocks
            ),
            Some(true) => format!(
                "every one of its {} block(s) passed its own CRC-32 and the decoded WAV matches \
                 the original's CRC-32, but a whole-file check of the container failed (its \
                 framing is damaged; the samples themselves are very likely right)",
                rep.blocks
            ),
            None => format!(
                "every one of its {} block(s) passed its own CRC-32, but the whole-file checks \
                 could not be made: the decoded samples cannot be confirmed and may be wrong",
                rep.blocks
            ),
        };
        return format!("{verdict}; failed:\n  {}", rep.damage().join("\n  "));
    }
    let lost: u64 = rep.lost.iter().map(|l| l.samples).sum();
    format!(
        "{} of {} block(s) lost ({lost} samples):\n  {}",
        rep.lost_blocks(),
        rep.blocks,
        rep.damage().join("\n  ")
    )
}

/// What a recovered output holds, for the message after `--recover` on a damaged stream.
fn recovered_text(rep: &DecodeReport, output: &str) -> String {
    if !rep.lost.is_empty() {
        return format!(
            "{output} written with every undamaged block; the lost frames are zero samples \
             (the other blocks passed their own CRC-32)"
        );
    }
    match rep.wav_checksum {
        Some(true) => format!(
            "{output} written; its samples match the original's CRC-32, but the container was \
             damaged"
        ),
        _ => format!(
            "{output} written, but it is NOT trustworthy: it may hold wrong samples anywhere in \
             frames 0..{} (no block failed its own check, so the damage cannot be narrowed down)",
            rep.header.frames
        ),
    }
}

pub fn decompress(a: DecompressArgs) -> Result<ExitCode> {
    crate::files::set_sync(a.sync);
    ensure_distinct(&a.input, &a.output)?;
    let threads = threads(a.threads)?;
    let (input, total) = match crate::events_cmd::sniff(&a.input)? {
        Sniffed::Events(bytes) => {
            if a.recover {
                anyhow::bail!(
                    "--recover is for .nrc streams; an event-stream file is checked and \
                     decoded whole"
                );
            }
            return crate::events_cmd::decompress(&a.input, bytes, &a.output, a.force, a.json);
        }
        Sniffed::Other(input, total) => (input, total),
    };
    if a.json {
        anyhow::bail!("--json is for event streams (a .nrc stream decodes to its WAV)");
    }
    check_output(&a.output, a.force)?;
    let name = input_name(&a.input);
    let mut input = std::io::BufReader::with_capacity(1 << 20, input);
    let opts = DecodeOptions {
        threads,
        recover: a.recover,
        check_only: false,
    };
    let start = std::time::Instant::now();
    let rep = write_output_with(&a.output, a.force, |out| {
        let rep = decompress_reader(&mut input, total, out, opts).with_context(|| name.clone())?;
        if !rep.is_clean() && !a.recover {
            anyhow::bail!(
                "{name}: damaged stream, {}\n{}",
                damage_text(&rep),
                match (is_stdio(&a.output), rep.lost.is_empty()) {
                    (true, false) => "standard output stops before the first lost block (use --recover to write every frame, the lost ones as zero samples)",
                    (true, true) => "standard output received every frame, and they are not confirmed by the whole-file check",
                    (false, false) => "no output written (use --recover to write the rest, the lost frames as zero samples)",
                    (false, true) => "no output written (--recover writes it anyway, with this warning)",
                }
            );
        }
        Ok(rep)
    })?;
    let seconds = start.elapsed().as_secs_f64();
    if !rep.is_clean() {
        eprintln!(
            "neurice: error: {name}: damaged stream, {}\n{}",
            damage_text(&rep),
            recovered_text(&rep, &output_name(&a.output))
        );
        return Ok(ExitCode::FAILURE);
    }
    if a.timing {
        eprintln!(
            "{name}: {} samples in {seconds:.2} s ({:.1} M samples/s)",
            rep.header.samples(),
            rep.header.samples() as f64 / seconds / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A reader that counts the bytes it passes on.
struct Counting<R> {
    inner: R,
    bytes: u64,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

pub fn info(a: InfoArgs) -> Result<ExitCode> {
    let name = input_name(&a.input);
    let (input, total) = match crate::events_cmd::sniff(&a.input)? {
        Sniffed::Events(bytes) => return crate::events_cmd::info(&a.input, bytes, a.json),
        Sniffed::Other(input, total) => (input, total),
    };
    let mut input = Counting {
        inner: std::io::BufReader::with_capacity(1 << 20, input),
        bytes: 0,
    };
    // the decoder's own verdict: a header is shown only for a stream that decodes
    let rep = decompress_reader(
        &mut input,
        total,
        &mut std::io::sink(),
        DecodeOptions::default(),
    )
    .with_context(|| name.clone())?;
    if !rep.is_clean() {
        anyhow::bail!("{name}: damaged stream, {}", damage_text(&rep));
    }
    let h = rep.header;
    #[derive(Serialize)]
    struct Info {
        version: u8,
        /// The coder and its parameters as stored (`"coder"`, `"params"`).
        #[serde(flatten)]
        coder: neurice_model::CoderSpec,
        mode: &'static str,
        canonical_wav_header: bool,
        channels: u16,
        sample_rate: u32,
        frames: u32,
        wav_crc32: String,
        bytes: u64,
        /// Independently decodable blocks (1 for the single-stream layouts).
        blocks: u32,
        /// Whether the stream is the streamed layout (FORMAT.md §7.9).
        streamed: bool,
    }
    // version 2 with flag STREAM, or version 3 (always blocks, FORMAT.md §10.7)
    let streamed = h.is_streamed();
    let info = Info {
        version: h.version,
        coder: h.coder,
        mode: if streamed {
            "per block"
        } else if h.flags & neurice_model::format::FLAG_RAW16 != 0 {
            "raw16"
        } else {
            "grid10"
        },
        canonical_wav_header: h.flags & neurice_model::format::FLAG_CANONICAL != 0,
        channels: h.channels,
        sample_rate: h.sample_rate,
        frames: h.frames,
        wav_crc32: format!("{:08x}", h.wav_crc),
        bytes: input.bytes,
        blocks: rep.blocks,
        streamed,
    };
    if a.json {
        let mut v = serde_json::to_value(&info)?;
        // steps and initial weights of taps i >= T do not exist (FORMAT.md §7.1, §10.1)
        let taps = match &info.coder {
            neurice_model::CoderSpec::Lite(_) => None,
            neurice_model::CoderSpec::Max(s) => Some(s.params.taps),
            neurice_model::CoderSpec::V2(p) => Some(p.taps),
        };
        if let Some(t) = taps {
            for k in ["steps", "init_weights"] {
                if let Some(arr) = v["params"][k].as_array_mut() {
                    arr.truncate(t as usize);
                }
            }
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{}: neurice container v{} (coder {}{}) {} stream, {} channel(s) x {} frames at {} Hz, {} bytes{}\n  {}\n  WAV header {}, {} CRC-32 {}",
            name,
            info.version,
            info.coder.kind(),
            max_error_text(info.coder.max_error()),
            info.mode,
            info.channels,
            info.frames,
            info.sample_rate,
            info.bytes,
            if streamed { format!(", streamed in {} blocks", info.blocks) } else { String::new() },
            params_text(&info.coder),
            if info.canonical_wav_header { "canonical (regenerated)" } else { "stored verbatim" },
            // with a maximum error the stored CRC is the decoded WAV's (FORMAT.md §11.5)
            if info.coder.max_error() == 0 { "original" } else { "decoded WAV's" },
            info.wav_crc32
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A coder's parameters by the names FORMAT.md gives them (§4, §7.1): coder v1's on one
/// line, coder v2's Golomb side then its own (taps i >= T have none).
fn params_text(c: &neurice_model::CoderSpec) -> String {
    let golomb = |p: &neurice_model::CodecParams| {
        format!(
            "parameters: W = {} (sample bits), Q = {} (qmax), w = {} (window_log2), c = {} (thr_num), h = {} (thr_shift), δ = {} (max_error)",
            p.sample_bits, p.qmax, p.window_log2, p.thr_num, p.thr_shift, p.max_error
        )
    };
    match c {
        neurice_model::CoderSpec::Lite(p) => golomb(p),
        neurice_model::CoderSpec::Max(m) => {
            let p = &m.params;
            let t = p.taps as usize;
            let list = |v: Vec<String>| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(" ")
                }
            };
            format!(
                "max parameters: W = {} (sample bits), w = {} (window_log2), c = {} (thr_num), \
                 h = {} (thr_shift), T = {t} (taps), f = {} (weight_frac), B_w = {} \
                 (weight_bits), B_d = {} (delta_bits), steps μ = {}, initial weights ω = {}, \
                 F_B = {} (block_frames), δ = {} (max_error)\n  table id {} ({}), CRC-32 {:08x}",
                p.sample_bits,
                p.window_log2,
                p.thr_num,
                p.thr_shift,
                p.weight_frac,
                p.weight_bits,
                p.delta_bits,
                list(
                    p.steps[..t.min(p.steps.len())]
                        .iter()
                        .map(|x| x.to_string())
                        .collect()
                ),
                list(
                    p.init_weights[..t.min(p.init_weights.len())]
                        .iter()
                        .map(|x| x.to_string())
                        .collect()
                ),
                p.block_frames,
                p.max_error,
                m.table.id(),
                if m.table.is_builtin() {
                    "built in"
                } else {
                    "embedded"
                },
                m.table.crc()
            )
        }
        neurice_model::CoderSpec::V2(p) => {
            format!("{}\n  {}", golomb(&p.golomb), v2_params_text(p))
        }
    }
}

/// Coder v2's own parameters in FORMAT.md §7.1's names (taps i >= T have none).
fn v2_params_text(p: &neurice_model::v2::V2Params) -> String {
    let t = p.taps as usize;
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(" ")
        }
    };
    format!(
        "v2 parameters: T = {t} (taps), f = {} (weight_frac), B_w = {} (weight_bits), B_d = {} (delta_bits), \
         steps μ = {}, initial weights ω = {}, a = {} (prob_shift), P = {} (prefix_contexts), F_B = {} (block_frames{})",
        p.weight_frac,
        p.weight_bits,
        p.delta_bits,
        list(&p.steps[..t.min(p.steps.len())].iter().map(|x| x.to_string()).collect::<Vec<_>>()),
        list(&p.init_weights[..t.min(p.init_weights.len())].iter().map(|x| x.to_string()).collect::<Vec<_>>()),
        p.prob_shift,
        p.prefix_contexts,
        p.block_frames,
        if p.block_frames == 0 { ": one block" } else { "" }
    )
}

pub fn eval(a: EvalArgs) -> Result<ExitCode> {
    let inputs = if a.inputs.is_empty() {
        vec![default_data_dir().context(
            "no inputs given and no data folder found: pass WAV files or a folder, or set NEURICE_DATA \
             (the README says how to get the Neuralink recordings)",
        )?]
    } else {
        a.inputs.clone()
    };
    if let Some(n) = a.threads {
        crate::files::check_workers("--threads", n)?;
    }
    if let Some(d) = &a.max_error_sweep {
        if a.coder.coder == Some(crate::coder_args::CoderChoice::Events) {
            anyhow::bail!("--max-error-sweep is for coders lite and max (not --coder events)");
        }
        return eval_sweep(&a, &inputs, &d.0);
    }
    if a.coder.events()? {
        return crate::events_cmd::eval(&collect_wavs(&inputs)?, a.json);
    }
    let coder = a.coder.spec()?;
    let files = collect_wavs(&inputs)?;
    let bar = if a.json {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(files.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} files ({elapsed})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b.set_prefix("eval");
        b
    };
    let report = run_eval(&files, &coder, a.threads, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for r in report
            .per_file
            .iter()
            .filter(|r| !r.passed && !r.input_error)
        {
            eprintln!("FAILED {}: {}", r.file, r.error.as_deref().unwrap_or("?"));
        }
        println!(
            "{} files, {} -> {} bytes, ratio {:.4} ({:.3} bits/sample), lossless: {}, {:.2} s on {} threads ({:.1} M samples/s encode+decode+compare){}",
            report.files - report.input_errors,
            report.original_bytes,
            report.compressed_bytes,
            report.ratio,
            report.bits_per_sample,
            match (&report.bounded, report.passed) {
                (None, true) => "yes, every file".to_string(),
                (None, false) => "NO".to_string(),
                (Some(b), ok) => format!(
                    "no (maximum error {}), every sample within it: {}",
                    b.max_error,
                    if ok { "yes" } else { "NO" }
                ),
            },
            report.seconds,
            report.threads,
            report.encode_decode_msamples_per_s,
            if report.input_errors > 0 {
                format!("; {} input(s) not coded (see below)", report.input_errors)
            } else {
                String::new()
            }
        );
        if let Some(b) = &report.bounded {
            println!("{}", neurice_flow::report::bounded_text(b));
        }
    }
    if report.input_errors > 0 {
        let bad: Vec<&str> = report
            .per_file
            .iter()
            .filter(|r| r.input_error)
            .map(|r| r.error.as_deref().unwrap_or("?"))
            .collect();
        anyhow::bail!(
            "{} of {} input(s) could not be coded (left out of the totals):\n  {}",
            bad.len(),
            report.files,
            bad.join("\n  ")
        );
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `eval --max-error-sweep`: every coder asked for at every δ, the table (or JSON) and the
/// plot.
fn eval_sweep(a: &EvalArgs, inputs: &[PathBuf], deltas: &[u32]) -> Result<ExitCode> {
    use crate::coder_args::CoderChoice;
    let coders = a
        .coder
        .coders(CoderChoice::Lite)?
        .into_iter()
        .map(|c| a.coder.spec_of(c))
        .collect::<Result<Vec<_>>>()?;
    if let Some(p) = &a.plot {
        check_output(p, a.force)?;
    }
    let files = collect_wavs(inputs)?;
    let total = (files.len() * coders.len() * deltas.len()) as u64;
    let bar = if a.json {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} file evals ({elapsed})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b.set_prefix("eval sweep");
        b
    };
    let n = files.len() as u64;
    let (report, evals) =
        neurice_flow::sweep::run_sweep(&files, &coders, deltas, a.threads, &|i, done| {
            bar.set_position(i as u64 * n + done)
        })?;
    bar.finish_and_clear();
    for e in &evals {
        for r in e.per_file.iter().filter(|r| !r.passed && !r.input_error) {
            eprintln!(
                "FAILED {} (coder {}, δ = {}): {}",
                r.file,
                e.coder,
                e.parameters.max_error(),
                r.error.as_deref().unwrap_or("?")
            );
        }
    }
    if let Some(e) = evals.iter().find(|e| e.input_errors > 0) {
        let bad: Vec<&str> = e
            .per_file
            .iter()
            .filter(|r| r.input_error)
            .map(|r| r.error.as_deref().unwrap_or("?"))
            .collect();
        anyhow::bail!(
            "{} of {} input(s) could not be coded:\n  {}",
            bad.len(),
            e.files,
            bad.join("\n  ")
        );
    }
    if let Some(p) = &a.plot {
        let note = format!(
            "{} recording(s); neurice eval --coder {} --max-error-sweep {}",
            report.files,
            match &coders[..] {
                [c] => c.kind().name(),
                _ => "both",
            },
            deltas
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let svg = neurice_flow::sweep::plot(&report.points, &note);
        crate::files::write_output(p, svg.as_bytes(), a.force)?;
    }
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", neurice_flow::sweep::render_text(&report));
        if let Some(p) = &a.plot {
            println!("plot: {}", p.display());
        }
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
