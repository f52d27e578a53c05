//! The golden-model evaluation: compress, decompress and compare recordings, in parallel,
//! with the totals a codec engineer reads (ratio, bits per sample, code-index usage).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use neurice_model::CoderSpec;
use rayon::prelude::*;
use serde::Serialize;

/// One file's result in `eval`.
#[derive(Clone, Debug, Serialize)]
pub struct FileResult {
    pub file: String,
    pub original_bytes: u64,
    pub compressed_bytes: u64,
    pub ratio: f64,
    pub lossless: bool,
    pub error: Option<String>,
    /// The file could not be read or is not a WAV the codec takes: an input error, not a
    /// lossless failure, and left out of the totals.
    pub input_error: bool,
    pub escapes: u64,
    /// Samples coded (all channels).
    pub samples: u64,
    /// Samples per code index s (m = 1, 2, 3, 4, 6, 8, ...); as long as the file's coder needs
    /// (19 bins for the 10-bit grid, 31 for raw 16-bit samples).
    pub s_histogram: Vec<u64>,
}

impl FileResult {
    /// The result of a file that could not be read, coded or checked (`input_error`: the
    /// input's fault, left out of the totals).
    fn failed(file: String, original_bytes: u64, error: String, input_error: bool) -> Self {
        FileResult {
            file,
            original_bytes,
            compressed_bytes: 0,
            ratio: 0.0,
            lossless: false,
            error: Some(error),
            input_error,
            escapes: 0,
            samples: 0,
            s_histogram: Vec::new(),
        }
    }
}

/// The whole `eval` run; the fields the issue names come first.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// The coder evaluated.
    pub coder: neurice_model::Coder,
    /// Its parameters (JSON: `{"coder": …, "params": {…}}`).
    pub parameters: CoderSpec,
    pub files: usize,
    pub original_bytes: u64,
    pub compressed_bytes: u64,
    pub ratio: f64,
    pub lossless: bool,
    pub seconds: f64,
    pub samples: u64,
    /// Files that were coded but did not round-trip.
    pub failed: usize,
    /// Files that could not be read or are not WAVs the codec takes (not in the totals).
    pub input_errors: usize,
    pub threads: usize,
    pub bits_per_sample: f64,
    pub encode_decode_msamples_per_s: f64,
    pub s_histogram: Vec<u64>,
    pub per_file: Vec<FileResult>,
}

/// Compresses, decompresses and compares one file.
fn eval_one(path: &Path, coder: &CoderSpec) -> FileResult {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let fail = |orig: u64, e: String, input_error: bool| {
        FileResult::failed(name.clone(), orig, e, input_error)
    };
    if std::fs::metadata(path).is_ok_and(|m| m.len() > IN_MEMORY_BYTES) {
        return eval_streamed(path, coder, 0, name);
    }
    let wav = match crate::input::read_wav_input(path) {
        Ok(b) => b,
        Err(e) => return fail(0, format!("{e:#}"), true),
    };
    let (nrc, stats) = match neurice_model::compress_wav_with(&wav, *coder) {
        Ok(x) => x,
        Err(e) => return fail(wav.len() as u64, format!("{}: {e}", path.display()), true),
    };
    let lossless = match neurice_model::decompress(&nrc) {
        Ok(back) => back == wav,
        Err(e) => return fail(wav.len() as u64, format!("decompress: {e}"), false),
    };
    FileResult {
        file: name,
        original_bytes: wav.len() as u64,
        compressed_bytes: nrc.len() as u64,
        ratio: wav.len() as f64 / nrc.len() as f64,
        lossless,
        error: (!lossless).then(|| "decompressed bytes differ from the original".to_string()),
        input_error: false,
        escapes: stats.escapes,
        samples: stats.samples,
        s_histogram: stats.s_histogram,
    }
}

/// Files up to this size are evaluated in memory (their samples fit one block, so they are
/// the single-stream layouts); larger ones streamed, one at a time, in bounded memory.
const IN_MEMORY_BYTES: u64 = 2 * neurice_model::stream::BLOCK_SAMPLES as u64 + (1 << 20);

/// A writer that compares what it is given with a reader's bytes.
struct Compare<R> {
    original: R,
    equal: bool,
    buf: Vec<u8>,
}

impl<R: std::io::Read> std::io::Write for Compare<R> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.equal {
            self.buf.resize(b.len(), 0);
            match self.original.read_exact(&mut self.buf) {
                Ok(()) => self.equal = self.buf[..] == *b,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => self.equal = false,
                Err(e) => return Err(e),
            }
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// [`eval_one`] for a large file: compressed streaming into an unnamed temporary file, then
/// decompressed streaming and compared with the file as it is read again.
fn eval_streamed(path: &Path, coder: &CoderSpec, threads: usize, name: String) -> FileResult {
    use std::io::{BufReader, BufWriter, Seek, Write};
    let fail = |orig: u64, e: String, input_error: bool| {
        FileResult::failed(name.clone(), orig, e, input_error)
    };
    let (mut input, total) = match crate::input::open_input(path) {
        Ok(x) => x,
        Err(e) => return fail(0, format!("{e:#}"), true),
    };
    let orig = total.unwrap_or(0);
    let tmp = match tempfile::tempfile() {
        Ok(f) => f,
        Err(e) => return fail(orig, format!("cannot create a temporary file: {e}"), false),
    };
    let mut w = BufWriter::with_capacity(1 << 20, tmp);
    let stats = match neurice_model::container::compress_reader(
        &mut input, total, &mut w, coder, threads,
    ) {
        Ok(s) => s,
        Err(neurice_model::Error::Io(e)) => return fail(orig, e, false),
        Err(e) => return fail(orig, format!("{}: {e}", path.display()), true),
    };
    let tmp = match w
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|mut f| {
            f.flush()?;
            f.rewind()?;
            Ok(f)
        }) {
        Ok(f) => f,
        Err(e) => return fail(orig, format!("temporary file: {e}"), false),
    };
    let original = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(orig, format!("cannot read {}: {e}", path.display()), true),
    };
    let mut cmp = Compare {
        original: BufReader::with_capacity(1 << 20, original),
        equal: true,
        buf: Vec::new(),
    };
    let opts = neurice_model::report::DecodeOptions {
        threads,
        ..Default::default()
    };
    let rep = neurice_model::container::decompress_reader(
        &mut BufReader::with_capacity(1 << 20, tmp),
        Some(stats.nrc_bytes),
        &mut cmp,
        opts,
    );
    let mut rest = [0u8; 1];
    let lossless = match rep {
        Ok(r) if r.is_clean() => {
            cmp.equal && matches!(std::io::Read::read(&mut cmp.original, &mut rest), Ok(0))
        }
        Ok(r) => {
            return fail(
                orig,
                format!("decompress: {}", r.damage().join("; ")),
                false,
            )
        }
        Err(e) => return fail(orig, format!("decompress: {e}"), false),
    };
    FileResult {
        file: name,
        original_bytes: stats.wav_bytes,
        compressed_bytes: stats.nrc_bytes,
        ratio: stats.wav_bytes as f64 / stats.nrc_bytes as f64,
        lossless,
        error: (!lossless).then(|| "decompressed bytes differ from the original".to_string()),
        input_error: false,
        escapes: stats.escapes,
        samples: stats.samples,
        s_histogram: stats.s_histogram,
    }
}

/// Runs the challenge-style evaluation of `coder` on a set of files in `threads` threads (default: all
/// cores); `progress` is called after each file with the files done so far.
pub fn run_eval(
    files: &[PathBuf],
    coder: &CoderSpec,
    threads: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<EvalReport> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let done = AtomicU64::new(0);
    let start = Instant::now();
    // small files in parallel, one per thread; large ones one at a time, each on the threads
    // of its stream (so the memory stays bounded whatever the files' sizes)
    let large = |f: &PathBuf| std::fs::metadata(f).is_ok_and(|m| m.len() > IN_MEMORY_BYTES);
    let mut per_file: Vec<Option<FileResult>> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                if large(f) {
                    return None;
                }
                let r = eval_one(f, coder);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                Some(r)
            })
            .collect()
    });
    for (slot, f) in per_file.iter_mut().zip(files) {
        if slot.is_none() {
            let name = f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            *slot = Some(eval_streamed(f, coder, pool.current_num_threads(), name));
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
    }
    let per_file: Vec<FileResult> = per_file.into_iter().flatten().collect();
    let seconds = start.elapsed().as_secs_f64();
    // input errors are reported, not counted: the totals are those of the coded files
    let coded = || per_file.iter().filter(|r| !r.input_error);
    let original_bytes: u64 = coded().map(|r| r.original_bytes).sum();
    let compressed_bytes: u64 = coded().map(|r| r.compressed_bytes).sum();
    let failed = coded().filter(|r| !r.lossless).count();
    let input_errors = per_file.len() - coded().count();
    // Every bin of every file counts: raw-mode (16-bit) files use more code indices than the
    // hardware's 10-bit coder, so the sum grows to the longest histogram.
    let bins = per_file
        .iter()
        .map(|r| r.s_histogram.len())
        .max()
        .unwrap_or(0);
    let mut s_histogram =
        vec![0u64; bins.max(neurice_model::CodecParams::HARDWARE.s_max() as usize + 1)];
    for r in &per_file {
        for (i, c) in r.s_histogram.iter().enumerate() {
            s_histogram[i] += c;
        }
    }
    let samples: u64 = per_file.iter().map(|r| r.samples).sum();
    Ok(EvalReport {
        coder: coder.kind(),
        parameters: *coder,
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
        input_errors,
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
