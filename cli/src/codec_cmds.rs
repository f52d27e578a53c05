//! `compress`, `decompress`, `eval` and `info`: the golden-model codec on files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use neurice_flow::run_eval;

use crate::files::{
    check_output, collect_wavs, default_data_dir, ensure_distinct, input_name, is_stdio,
    open_input, output_name, write_output_with,
};
use neurice_model::container::{compress_reader, decompress_reader};
use neurice_model::report::{DecodeOptions, DecodeReport};
use neurice_model::Coder;

#[derive(Args)]
pub struct CompressArgs {
    /// Input WAV (16-bit PCM, any channel count); `-` reads standard input.
    input: PathBuf,
    /// Output .nrc stream; `-` writes standard output (never a terminal).
    output: PathBuf,
    /// Replace the output if it is an existing regular file (its mode is kept); anything else
    /// (a device, a FIFO, a symbolic link, a folder) is refused.
    #[arg(long)]
    force: bool,
    /// Print the statistics as JSON.
    #[arg(long)]
    json: bool,
    /// Coder: `lite` (v1: delta + half-step Golomb, container version 1) or `max` (v2: LMS +
    /// context-adaptive range coder, container version 2).
    #[arg(long, default_value_t = Coder::Lite)]
    coder: Coder,
    /// Worker threads for a long recording (default: all cores, at most 4; at most 4 per core
    /// and 256 are accepted).
    #[arg(long)]
    threads: Option<usize>,
    /// Flush the output to the disk (fsync) before it is linked into place, so that it
    /// survives a power loss (off by default, as in gzip, zstd and flac).
    #[arg(long)]
    sync: bool,
}

#[derive(Args)]
pub struct DecompressArgs {
    /// Input .nrc stream; `-` reads standard input.
    input: PathBuf,
    /// Output WAV (byte-identical to the original); `-` writes standard output (never a
    /// terminal).
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
    /// Flush the output to the disk (fsync) before it is linked into place, so that it
    /// survives a power loss (off by default, as in gzip, zstd and flac).
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
    /// Coder to evaluate: `lite` (v1) or `max` (v2).
    #[arg(long, default_value_t = Coder::Lite)]
    coder: Coder,
}

#[derive(Args)]
pub struct InfoArgs {
    /// A .nrc stream; `-` reads standard input.
    input: PathBuf,
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
    ensure_distinct(&a.input, &a.output)?;
    check_output(&a.output, a.force)?;
    let threads = threads(a.threads)?;
    let name = input_name(&a.input);
    let (mut input, total) = open_input(&a.input)?;
    let start = std::time::Instant::now();
    let stats = write_output_with(&a.output, a.force, |out| {
        compress_reader(&mut input, total, out, &a.coder.into(), threads)
            .with_context(|| name.clone())
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let report = if a.json {
        let mut v = serde_json::to_value(&stats)?;
        v["seconds"] = seconds.into();
        serde_json::to_string_pretty(&v)?
    } else {
        format!(
            "{} -> {}: {} -> {} bytes, ratio {:.4} (coder {}, {:?}, {} channel(s), {} samples) in {:.2} s ({:.1} M samples/s)",
            name,
            output_name(&a.output),
            stats.wav_bytes,
            stats.nrc_bytes,
            stats.wav_bytes as f64 / stats.nrc_bytes as f64,
            stats.coder,
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

/// The damage a report lists, one item per line, for an error message.
fn damage_text(rep: &DecodeReport) -> String {
    let lost: u64 = rep.lost.iter().map(|l| l.samples).sum();
    format!(
        "{} of {} block(s) lost ({lost} samples):\n  {}",
        rep.lost_blocks(),
        rep.blocks,
        rep.damage().join("\n  ")
    )
}

pub fn decompress(a: DecompressArgs) -> Result<ExitCode> {
    crate::files::set_sync(a.sync);
    ensure_distinct(&a.input, &a.output)?;
    check_output(&a.output, a.force)?;
    let threads = threads(a.threads)?;
    let name = input_name(&a.input);
    let (input, total) = open_input(&a.input)?;
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
                if is_stdio(&a.output) {
                    "standard output stops before the first lost block (use --recover to write every frame, the lost ones as zero samples)"
                } else {
                    "no output written (use --recover to write the rest, the lost frames as zero samples)"
                }
            );
        }
        Ok(rep)
    })?;
    let seconds = start.elapsed().as_secs_f64();
    if !rep.is_clean() {
        eprintln!(
            "neurice: error: {name}: damaged stream, {}\n{} written with every undamaged block; the lost frames are zero samples",
            damage_text(&rep),
            output_name(&a.output)
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
    let (input, total) = open_input(&a.input)?;
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
    let streamed = h.flags & neurice_model::format::FLAG_STREAM != 0;
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
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        println!(
            "{}: neurice container v{} (coder {}) {} stream, {} channel(s) x {} frames at {} Hz, {} bytes{}\n  params {}\n  WAV header {}, original CRC-32 {}",
            name,
            info.version,
            info.coder.kind(),
            info.mode,
            info.channels,
            info.frames,
            info.sample_rate,
            info.bytes,
            if streamed { format!(", streamed in {} blocks", info.blocks) } else { String::new() },
            params_text(&info.coder),
            if info.canonical_wav_header { "canonical (regenerated)" } else { "stored verbatim" },
            info.wav_crc32
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A coder's parameters in one line, by the names FORMAT.md gives them.
fn params_text(c: &neurice_model::CoderSpec) -> String {
    match c {
        neurice_model::CoderSpec::Lite(p) => format!("{p:?}"),
        neurice_model::CoderSpec::Max(p) => format!("{:?}\n  v2 params {p:?}", p.golomb),
    }
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
    let report = run_eval(&files, &a.coder.into(), a.threads, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for r in report
            .per_file
            .iter()
            .filter(|r| !r.lossless && !r.input_error)
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
            if report.lossless { "yes, every file" } else { "NO" },
            report.seconds,
            report.threads,
            report.encode_decode_msamples_per_s,
            if report.input_errors > 0 {
                format!("; {} input(s) not coded (see below)", report.input_errors)
            } else {
                String::new()
            }
        );
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
    Ok(if report.lossless {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
