//! `compress`, `decompress`, `eval` and `info`: the golden-model codec on files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use neurice_flow::run_eval;

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
    let (nrc, stats) =
        neurice_model::compress_wav(&wav).with_context(|| format!("{}", a.input.display()))?;
    write_output(&a.output, &nrc, a.force)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!(
            "{} -> {}: {} -> {} bytes, ratio {:.4} ({:?}, {} channel(s), {} samples)",
            a.input.display(),
            a.output.display(),
            stats.wav_bytes,
            stats.nrc_bytes,
            stats.wav_bytes as f64 / stats.nrc_bytes as f64,
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
        mode: &'static str,
        canonical_wav_header: bool,
        params: neurice_model::CodecParams,
        channels: u16,
        sample_rate: u32,
        frames: u32,
        wav_crc32: String,
        bytes: usize,
    }
    let info = Info {
        version: neurice_model::container::VERSION,
        mode: if h.flags & neurice_model::container::FLAG_RAW16 != 0 {
            "raw16"
        } else {
            "grid10"
        },
        canonical_wav_header: h.flags & neurice_model::container::FLAG_CANONICAL != 0,
        params: h.params,
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
            "{}: neurice v{} {} stream, {} channel(s) x {} frames at {} Hz, {} bytes\n  params {:?}\n  WAV header {}, original CRC-32 {}",
            a.input.display(),
            info.version,
            info.mode,
            info.channels,
            info.frames,
            info.sample_rate,
            info.bytes,
            info.params,
            if info.canonical_wav_header { "canonical (regenerated)" } else { "stored verbatim" },
            info.wav_crc32
        );
    }
    Ok(ExitCode::SUCCESS)
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
    let report = run_eval(&files, a.threads, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for r in report.per_file.iter().filter(|r| !r.lossless) {
            eprintln!("FAILED {}: {}", r.file, r.error.as_deref().unwrap_or("?"));
        }
        println!(
            "{} files, {} -> {} bytes, ratio {:.4} ({:.3} bits/sample), lossless: {}, {:.2} s on {} threads ({:.1} M samples/s encode+decode+compare)",
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
