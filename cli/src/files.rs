//! File handling shared by the subcommands: input discovery, header-first bounded input,
//! the data folder, and (from `neurice-files`) the one safe-output rule every command's files
//! follow.
//!
//! Inputs are checked from their first bytes before the rest is read, and never read beyond
//! their real size (or, for a pipe, beyond what the header allows). Outputs are invisible
//! until complete, never written through a link, and replace regular files only
//! (`neurice_files::output`); `-` is standard input or output.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub use neurice_files::{
    check_output, check_outputs, create_out_dir, ensure_distinct, set_sync, write_output,
    write_output_with,
};
pub use neurice_flow::input::{
    describe_missing, input_name, is_stdio, kind, open_input, output_name,
};

/// Expands directories into their `.wav` files (sorted, not recursive); keeps files as given.
/// A path that is not a regular file or a folder is refused with what it is (a device, a
/// FIFO, a symlink loop); a file given twice (after resolving links) is kept once, with a note.
pub fn collect_wavs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut listed = Vec::new();
    for p in inputs {
        let m = fs::metadata(p).map_err(|e| anyhow::anyhow!(describe_missing(p, &e)))?;
        if m.is_dir() {
            let mut found = Vec::new();
            // a `*.wav` entry that is not a regular file (a dangling or looping link, a FIFO, a
            // device, a folder) is named, as it is when given by name, not silently skipped
            let mut bad = Vec::new();
            for e in fs::read_dir(p).with_context(|| format!("cannot list {}", p.display()))? {
                let f = e
                    .with_context(|| format!("cannot list {}", p.display()))?
                    .path();
                if !f.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")) {
                    continue;
                }
                match fs::metadata(&f) {
                    Ok(m) if m.is_file() => found.push(f),
                    Ok(m) => bad.push(format!("{}: {}, not a regular file", f.display(), kind(&m))),
                    Err(e) => bad.push(describe_missing(&f, &e)),
                }
            }
            if !bad.is_empty() {
                bad.sort();
                bail!(
                    "{} holds .wav entries that are not WAV files:\n  {}",
                    p.display(),
                    bad.join("\n  ")
                );
            }
            if found.is_empty() {
                bail!("{} contains no .wav files", p.display());
            }
            found.sort();
            listed.extend(found);
        } else if m.is_file() {
            listed.push(p.clone());
        } else {
            bail!(
                "{} is {}, not a regular file or a folder of WAVs",
                p.display(),
                kind(&m)
            );
        }
    }
    if listed.is_empty() {
        bail!("no input files given");
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for p in listed {
        let key = fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        if seen.insert(key.clone()) {
            out.push(p);
        } else {
            eprintln!(
                "neurice: note: {} is given more than once ({}); it is counted once",
                p.display(),
                key.display()
            );
        }
    }
    Ok(out)
}

/// Checks a `--data` folder: it must exist and be a folder (else what it is, or why it
/// cannot be reached, is said).
pub fn check_data_dir(d: &Path) -> Result<()> {
    match fs::metadata(d) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) => bail!(
            "--data {}: {}, not a folder of recordings",
            d.display(),
            kind(&m)
        ),
        Err(e) => bail!("--data {}", describe_missing(d, &e)),
    }
}

/// The recordings folder the README names: `$NEURICE_DATA`, else `../shared/data/neuralink`
/// beside the current directory or beside the workspace.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Ok(d) = std::env::var("NEURICE_DATA") {
        return Some(PathBuf::from(d));
    }
    let candidates = [
        PathBuf::from("../shared/data/neuralink"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/neuralink"),
    ];
    candidates.into_iter().find(|c| c.is_dir())
}

/// The most worker threads or parallel simulations `--threads`/`--jobs` accept: four per core,
/// at most 256 (more only costs memory and stacks).
pub fn max_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cores).min(256)
}

/// Checks a `--threads`/`--jobs` value: 1 ..= [`max_workers`].
pub fn check_workers(flag: &str, n: usize) -> Result<usize> {
    let max = max_workers();
    if !(1..=max).contains(&n) {
        bail!("{flag} must be 1..={max} (4 per core on this machine, at most 256), got {n}");
    }
    Ok(n)
}
