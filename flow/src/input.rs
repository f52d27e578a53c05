//! Reading inputs header-first and bounded (shared by the CLI and the flow's eval): a file
//! that is not what it should be is refused from its first bytes, and nothing is read beyond
//! the input's real size (or, for a pipe, beyond what its checked header allows). `-` is
//! standard input (never a terminal).

use std::fs::{self, File};
use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};

use neurice_model::format::{check_header, check_signature, MAX_HEADER_BYTES};
use neurice_model::wav::{scan, Scan};

pub use neurice_files::{is_stdio, kind, output_name};

/// How an input is named in messages.
pub fn input_name(p: &Path) -> String {
    if is_stdio(p) {
        "standard input".into()
    } else {
        p.display().to_string()
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

/// A WAV input opened and read up to its layout (header checked).
struct WavHeader {
    name: String,
    r: Box<dyn Read>,
    /// The bytes read so far (the header, and perhaps some samples).
    buf: Vec<u8>,
    /// The input's size, when known.
    total: Option<u64>,
    layout: neurice_model::wav::Layout,
}

/// Opens a WAV input (a file or `-`) and reads it until its header is checked and its
/// samples located (geometric read-ahead: a header of many small chunks costs a few scans).
fn open_wav_header(path: &Path) -> Result<WavHeader> {
    let name = input_name(path);
    let (mut r, mut total) = open_input(path)?;
    let mut buf = Vec::new();
    loop {
        match scan(&buf, total).with_context(|| name.clone())? {
            Scan::NeedBytes(n) => {
                let ahead = (2 * buf.len() as u64).max(64 << 10);
                let want = (n as u64).max(total.map_or(ahead, |t| t.min(ahead)));
                fill(&mut *r, &mut buf, want, &name)?;
                if buf.len() < n {
                    total = Some(buf.len() as u64); // the input ended: scan says what is missing
                }
            }
            Scan::Found(layout) => {
                return Ok(WavHeader {
                    name,
                    r,
                    buf,
                    total,
                    layout,
                })
            }
        }
    }
}

/// Reads a WAV input (a file or `-`) header first: a file that is not a 16-bit PCM WAV, or
/// whose header declares more bytes than it holds, is refused after reading its header; the
/// rest is read only up to the file's real size (a pipe: up to 4 GiB, a WAV's limit).
pub fn read_wav_input(path: &Path) -> Result<Vec<u8>> {
    let WavHeader {
        name,
        mut r,
        mut buf,
        total,
        layout: l,
    } = open_wav_header(path)?;
    let end = (l.data_start + l.data_len) as u64;
    fill(&mut *r, &mut buf, end, &name)?;
    if (buf.len() as u64) < end {
        // the input ended inside its samples: scan says what is missing
        scan(&buf, Some(buf.len() as u64)).with_context(|| name.clone())?;
        bail!("{name}: the file ends inside its samples");
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
    Ok(buf)
}

/// A WAV file's samples read piece by piece (header first, checked as [`read_wav_input`]
/// checks it): for commands that run on recordings of any size in bounded memory. The
/// samples of every channel are read in file order (interleaved, as a WAV holds them).
pub struct WavSamples {
    name: String,
    r: Box<dyn Read>,
    /// Sample bytes read with the header and not yet handed out.
    pending: Vec<u8>,
    /// Sample bytes still to read from `r` after `pending`.
    left: u64,
    samples: u64,
}

impl WavSamples {
    /// Opens `path` (a file or `-`) and reads its header: a file that is not a 16-bit PCM WAV,
    /// or whose data chunk is longer than the file, is refused here.
    pub fn open(path: &Path) -> Result<WavSamples> {
        let WavHeader {
            name,
            r,
            buf,
            total,
            layout: l,
        } = open_wav_header(path)?;
        let len = (l.data_len & !1) as u64; // whole samples
        if total.is_some_and(|t| (l.data_start as u64) + len > t) {
            bail!("{name}: the data chunk is longer than the file");
        }
        // the sample bytes read with the header (none if it ended at the data chunk)
        let pending: Vec<u8> = buf
            .get(l.data_start..)
            .unwrap_or_default()
            .iter()
            .take(len as usize)
            .copied()
            .collect();
        let have = pending.len() as u64;
        Ok(WavSamples {
            name,
            r,
            pending,
            left: len - have,
            samples: len / 2,
        })
    }

    /// Samples in the file (all channels).
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Appends the next `n` samples as 10-bit grid indices (off-grid values mapped to the
    /// nearest level, as the core sees them); fails if the file ends first.
    pub fn read_indices(&mut self, n: usize, out: &mut Vec<u16>) -> Result<()> {
        let want = 2 * n;
        let from_pending = want.min(self.pending.len());
        let mut bytes: Vec<u8> = self.pending.drain(..from_pending).collect();
        if bytes.len() < want {
            let more = (want - bytes.len()) as u64;
            if more > self.left {
                bail!("{}: fewer samples than its header says", self.name);
            }
            fill(&mut *self.r, &mut bytes, want as u64, &self.name)?;
            if bytes.len() < want {
                bail!("{}: the file ended inside its data chunk", self.name);
            }
            self.left -= more;
        }
        let values: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        let (idx, _) = neurice_model::grid::to_grid(&values);
        out.extend(idx.into_iter().map(|k| k as u16));
        Ok(())
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
