//! Reading inputs header-first and bounded (shared by the CLI and the flow's eval): a file
//! that is not what it should be is refused from its first bytes, and nothing is read beyond
//! the input's real size (or, for a pipe, beyond what its checked header allows). `-` is
//! standard input (never a terminal).

use std::fs::{self, File, Metadata};
use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};

use neurice_model::format::{check_header, check_signature, MAX_HEADER_BYTES};
use neurice_model::wav::{scan, Scan};

/// Whether `p` is `-`, standard input or output.
pub fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// How an input is named in messages.
pub fn input_name(p: &Path) -> String {
    if is_stdio(p) {
        "standard input".into()
    } else {
        p.display().to_string()
    }
}

/// How an output is named in messages.
pub fn output_name(p: &Path) -> String {
    if is_stdio(p) {
        "standard output".into()
    } else {
        p.display().to_string()
    }
}

/// What a file is, in words ("a character device", …).
pub fn kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Why `fs::metadata(p)` failed, in words: a symlink loop, a dangling link, a missing file.
pub fn describe_missing(p: &Path, e: &std::io::Error) -> String {
    #[cfg(unix)]
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return format!(
            "{}: symlink loop (too many levels of symbolic links)",
            p.display()
        );
    }
    if e.kind() == std::io::ErrorKind::NotFound {
        if fs::symlink_metadata(p).is_ok() {
            return format!(
                "{}: dangling symbolic link (its target does not exist)",
                p.display()
            );
        }
        return format!("{}: no such file or directory", p.display());
    }
    format!("{}: {e}", p.display())
}

/// An opened input (a file or `-`) and its length when it is a regular file.
pub fn open_input(path: &Path) -> Result<(Box<dyn Read>, Option<u64>)> {
    if is_stdio(path) {
        if std::io::stdin().is_terminal() {
            bail!("standard input is a terminal: pipe or redirect the input (`< FILE`) or name an input file");
        }
        return Ok((Box::new(std::io::stdin().lock()), None));
    }
    let m = fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}", describe_missing(path, &e)))?;
    if m.is_dir() {
        bail!("cannot read {}: it is a directory", path.display());
    }
    let f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((Box::new(f), m.is_file().then_some(m.len())))
}

/// Reads on until `buf` holds `n` bytes or the input ends (never more than `n`).
fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, n: u64, name: &str) -> Result<()> {
    let have = buf.len() as u64;
    if n > have {
        r.take(n - have)
            .read_to_end(buf)
            .with_context(|| format!("cannot read {name}"))?;
    }
    Ok(())
}

/// The largest file a RIFF WAV can be (its sizes are 32-bit), plus its 8-byte RIFF header.
const MAX_WAV_BYTES: u64 = u32::MAX as u64 + 8;

/// Reads a WAV input (a file or `-`) header first: a file that is not a 16-bit PCM WAV, or
/// whose header declares more bytes than it holds, is refused after reading its header; the
/// rest is read only up to the file's real size (a pipe: up to 4 GiB, a WAV's limit).
pub fn read_wav_input(path: &Path) -> Result<Vec<u8>> {
    let name = input_name(path);
    let (mut r, mut total) = open_input(path)?;
    let mut buf = Vec::new();
    loop {
        match scan(&buf, total).with_context(|| name.clone())? {
            Scan::NeedBytes(n) => {
                // read ahead geometrically: a header of many small chunks costs a few scans
                let ahead = (2 * buf.len() as u64).max(64 << 10);
                let want = (n as u64).max(total.map_or(ahead, |t| t.min(ahead)));
                fill(&mut *r, &mut buf, want, &name)?;
                if buf.len() < n {
                    total = Some(buf.len() as u64); // the input ended: scan says what is missing
                }
            }
            Scan::Found(l) => {
                let end = (l.data_start + l.data_len) as u64;
                fill(&mut *r, &mut buf, end, &name)?;
                if (buf.len() as u64) < end {
                    total = Some(buf.len() as u64);
                    continue;
                }
                match total {
                    Some(t) => fill(&mut *r, &mut buf, t, &name)?,
                    None => {
                        fill(&mut *r, &mut buf, MAX_WAV_BYTES + 1, &name)?;
                        if buf.len() as u64 > MAX_WAV_BYTES {
                            bail!("{name}: more than 4 GiB, larger than any WAV file");
                        }
                    }
                }
                return Ok(buf);
            }
        }
    }
}

/// Reads a `.nrc` input (a file or `-`): the magic and version are checked from the first
/// bytes; the rest is read up to the file's real size (a pipe: up to what the checked fixed
/// header allows).
pub fn read_nrc_input(path: &Path) -> Result<Vec<u8>> {
    let name = input_name(path);
    let (mut r, total) = open_input(path)?;
    let mut buf = Vec::new();
    fill(&mut *r, &mut buf, 5, &name)?;
    check_signature(&buf).with_context(|| name.clone())?;
    match total {
        Some(t) => fill(&mut *r, &mut buf, t, &name)?,
        None => {
            fill(&mut *r, &mut buf, MAX_HEADER_BYTES as u64, &name)?;
            if buf.len() == MAX_HEADER_BYTES {
                let limit = check_header(&buf)
                    .with_context(|| name.clone())?
                    .max_stream_bytes();
                fill(&mut *r, &mut buf, limit + 1, &name)?;
                if buf.len() as u64 > limit {
                    bail!("{name}: longer than any .nrc stream with its header");
                }
            }
        }
    }
    Ok(buf)
}
