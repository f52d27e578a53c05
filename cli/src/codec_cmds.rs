//! `compress`, `decompress`, `eval` and `info`: the golden-model codec on files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use neurice_model::Coder;

use crate::files::{collect_wavs, default_data_dir, ensure_distinct, read_input, write_output};

#[derive(Args)]
pub struct CompressArgs {
    /// Input WAV (16-bit PCM, any channel count).
    input: PathBuf,
    /// Output .nrc stream.
    output: PathBuf,
    /// Replace the output if it exists.
    #[arg(long)]
    force: bool,
    /// Print the statistics as JSON.
    #[arg(long)]
    json: bool,
    /// Coder: `lite` (v1: delta + half-step Golomb, container version 1) or `max` (v2: LMS +
    /// context-adaptive range coder, container version 2).
    #[arg(long, default_value_t = Coder::Lite)]
    coder: Coder,
}

#[derive(Args)]
pub struct DecompressArgs {
    /// Input .nrc stream.
    input: PathBuf,
    /// Output WAV (byte-identical to the original).
    output: PathBuf,
    /// Replace the output if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct EvalArgs {
    /// Recordings: WAV files and/or folders of them (default: the Neuralink data folder).
    inputs: Vec<PathBuf>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Coder to evaluate: `lite` (v1) or `max` (v2).
    #[arg(long, default_value_t = Coder::Lite)]
    coder: Coder,
}

#[derive(Args)]
pub struct InfoArgs {
    /// A .nrc stream.
    input: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn compress(a: CompressArgs) -> Result<ExitCode> {
    ensure_distinct(&a.input, &a.output)?;
    if a.output.exists() && !a.force {
        anyhow::bail!(
            "{} already exists; not overwriting it (use --force to replace it)",
            a.output.display()
        );
    }
    let wav = read_input(&a.input)?;
    let (nrc, stats) = neurice_model::compress_wav_with(&wav, a.coder)
        .with_context(|| format!("{}", a.input.display()))?;
    write_output(&a.output, &nrc, a.force)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!(
            "{} -> {}: {} -> {} bytes, ratio {:.4} (coder {}, {:?}, {} channel(s), {} samples)",
            a.input.display(),
            a.output.display(),
            stats.wav_bytes,
            stats.nrc_bytes,
            stats.wav_bytes as f64 / stats.nrc_bytes as f64,
            stats.coder,
            stats.mode,
            stats.channels,
            stats.samples
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn decompress(a: DecompressArgs) -> Result<ExitCode> {
    ensure_distinct(&a.input, &a.output)?;
    if a.output.exists() && !a.force {
        anyhow::bail!(
            "{} already exists; not overwriting it (use --force to replace it)",
            a.output.display()
        );
    }
    let nrc = read_input(&a.input)?;
    let wav = neurice_model::decompress(&nrc).with_context(|| format!("{}", a.input.display()))?;
    write_output(&a.output, &wav, a.force)?;
    Ok(ExitCode::SUCCESS)
}

pub fn info(a: InfoArgs) -> Result<ExitCode> {
    let nrc = read_input(&a.input)?;
    let h = neurice_model::container::read_header(&nrc)
        .with_context(|| format!("{}", a.input.display()))?;
    #[derive(Serialize)]
    struct Info {
        version: u8,
        coder: Coder,
        mode: &'static str,
        canonical_wav_header: bool,
        params: neurice_model::CodecParams,
        #[serde(skip_serializing_if = "Option::is_none")]
        v2_params: Option<neurice_model::v2::V2Params>,
        channels: u16,
        sample_rate: u32,
        frames: u32,
        wav_crc32: String,
        bytes: usize,
    }
    let info = Info {
        version: h.version,
        coder: h.coder,
        mode: if h.flags & neurice_model::container::FLAG_RAW16 != 0 {
            "raw16"
        } else {
            "grid10"
        },
        canonical_wav_header: h.flags & neurice_model::container::FLAG_CANONICAL != 0,
        params: h.params,
        v2_params: h.v2,
        channels: h.channels,
        sample_rate: h.sample_rate,
        frames: h.frames,
        wav_crc32: format!("{:08x}", h.wav_crc),
        bytes: nrc.len(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        println!(
            "{}: neurice container v{} (coder {}) {} stream, {} channel(s) x {} frames at {} Hz, {} bytes\n  params {:?}{}\n  WAV header {}, original CRC-32 {}",
            a.input.display(),
            info.version,
            info.coder,
            info.mode,
            info.channels,
            info.frames,
            info.sample_rate,
            info.bytes,
            info.params,
            info.v2_params.map(|p| format!("\n  v2 params {p:?}")).unwrap_or_default(),
            if info.canonical_wav_header { "canonical (regenerated)" } else { "stored verbatim" },
            info.wav_crc32
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One file's result in `eval`.
#[derive(Clone, Debug, Serialize)]
pub struct FileResult {
    pub file: String,
    pub original_bytes: u64,
    pub compressed_bytes: u64,
    pub ratio: f64,
    pub lossless: bool,
    pub error: Option<String>,
    pub escapes: u64,
    /// Samples per code index s (m = 1, 2, 3, 4, 6, 8, ...).
    pub s_histogram: Vec<u64>,
}

/// The whole `eval` run; the fields the issue names come first.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// The coder evaluated.
    pub coder: Coder,
    pub files: usize,
    pub original_bytes: u64,
    pub compressed_bytes: u64,
    pub ratio: f64,
    pub lossless: bool,
    pub seconds: f64,
    pub samples: u64,
    pub failed: usize,
    pub threads: usize,
    pub bits_per_sample: f64,
    pub encode_decode_msamples_per_s: f64,
    pub s_histogram: Vec<u64>,
    pub per_file: Vec<FileResult>,
}

/// Compresses, decompresses and compares one file.
fn eval_one(path: &Path, coder: Coder) -> FileResult {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let fail = |orig: u64, e: String| FileResult {
        file: name.clone(),
        original_bytes: orig,
        compressed_bytes: 0,
        ratio: 0.0,
        lossless: false,
        error: Some(e),
        escapes: 0,
        s_histogram: Vec::new(),
    };
    let wav = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(0, format!("cannot read: {e}")),
    };
    let (nrc, stats) = match neurice_model::compress_wav_with(&wav, coder) {
        Ok(x) => x,
        Err(e) => return fail(wav.len() as u64, format!("compress: {e}")),
    };
    let lossless = match neurice_model::decompress(&nrc) {
        Ok(back) => back == wav,
        Err(e) => return fail(wav.len() as u64, format!("decompress: {e}")),
    };
    FileResult {
        file: name,
        original_bytes: wav.len() as u64,
        compressed_bytes: nrc.len() as u64,
        ratio: wav.len() as f64 / nrc.len() as f64,
        lossless,
        error: (!lossless).then(|| "decompressed bytes differ from the original".to_string()),
        escapes: stats.escapes,
        s_histogram: stats.s_histogram,
    }
}

/// Runs the challenge-style evaluation on a set of files.
pub fn run_eval(
    files: &[PathBuf],
    threads: Option<usize>,
    progress: bool,
    coder: Coder,
) -> Result<EvalReport> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let bar = if progress {
        let b = ProgressBar::new(files.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} files {msg} ({elapsed})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b.set_prefix("eval");
        b
    } else {
        ProgressBar::hidden()
    };
    let done_bytes = AtomicU64::new(0);
    let start = Instant::now();
    let per_file: Vec<FileResult> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let r = eval_one(f, coder);
                done_bytes.fetch_add(r.original_bytes, Ordering::Relaxed);
                bar.inc(1);
                r
            })
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let original_bytes: u64 = per_file.iter().map(|r| r.original_bytes).sum();
    let compressed_bytes: u64 = per_file.iter().map(|r| r.compressed_bytes).sum();
    let failed = per_file.iter().filter(|r| !r.lossless).count();
    let mut s_histogram = vec![0u64; neurice_model::CodecParams::HARDWARE.s_max() as usize + 1];
    for r in &per_file {
        for (i, c) in r.s_histogram.iter().enumerate() {
            if i < s_histogram.len() {
                s_histogram[i] += c;
            }
        }
    }
    let samples: u64 = s_histogram.iter().sum();
    Ok(EvalReport {
        coder,
        files: per_file.len(),
        original_bytes,
        compressed_bytes,
        ratio: if compressed_bytes > 0 && failed == 0 {
            original_bytes as f64 / compressed_bytes as f64
        } else {
            0.0
        },
        lossless: failed == 0,
        seconds,
        samples,
        failed,
        threads: pool.current_num_threads(),
        bits_per_sample: if samples > 0 {
            compressed_bytes as f64 * 8.0 / samples as f64
        } else {
            0.0
        },
        encode_decode_msamples_per_s: samples as f64 / seconds / 1e6,
        s_histogram,
        per_file,
    })
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
    let files = collect_wavs(&inputs)?;
    let report = run_eval(&files, a.threads, !a.json, a.coder)?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for r in report.per_file.iter().filter(|r| !r.lossless) {
            eprintln!("FAILED {}: {}", r.file, r.error.as_deref().unwrap_or("?"));
        }
        println!(
            "coder {}: {} files, {} -> {} bytes, ratio {:.4} ({:.3} bits/sample), lossless: {}, {:.2} s on {} threads ({:.1} M samples/s encode+decode+compare)",
            report.coder,
            report.files,
            report.original_bytes,
            report.compressed_bytes,
            report.ratio,
            report.bits_per_sample,
            if report.lossless { "yes, every file" } else { "NO" },
            report.seconds,
            report.threads,
            report.encode_decode_msamples_per_s
        );
    }
    Ok(if report.lossless {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
