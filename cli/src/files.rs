//! File handling shared by the subcommands: input discovery, safe output, the data folder.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Reads a whole input file, naming it in the error.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename, so a failure
/// never leaves a partial output. Refuses to replace an existing file unless `force`.
pub fn write_output(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    if path.exists() && !force {
        bail!(
            "{} already exists; not overwriting it (use --force to replace it)",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    // Like any newly created file (0666 less the umask), not the temporary file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // Without --force the final rename must not replace a file that appeared meanwhile.
    let placed = if force {
        tmp.persist(path).map_err(|e| e.error)
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)
    };
    placed.with_context(|| format!("cannot move the output into place at {}", path.display()))?;
    Ok(())
}

/// Refuses to write onto the input itself, whatever `--force` says.
pub fn ensure_distinct(input: &Path, output: &Path) -> Result<()> {
    if let (Ok(a), Ok(b)) = (fs::canonicalize(input), fs::canonicalize(output)) {
        if a == b {
            bail!("the output {} is the input file itself", output.display());
        }
    }
    Ok(())
}

/// Expands directories into their `.wav` files (sorted, not recursive); keeps files as given.
pub fn collect_wavs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = fs::read_dir(p)
                .with_context(|| format!("cannot list {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file() && f.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav"))
                })
                .collect();
            if found.is_empty() {
                bail!("{} contains no .wav files", p.display());
            }
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    if out.is_empty() {
        bail!("no input files given");
    }
    Ok(out)
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
