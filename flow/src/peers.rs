//! The codecs a user would pick instead, measured in the same run on the same recordings
//! (issue 29): FLAC (`flac -8`) and WavPack (`wavpack -hh -x6`), where installed (Debian
//! packages `flac` and `wavpack`, installed by `scripts/install-tools.sh`); a peer that is
//! not installed is reported as skipped with the reason, never guessed.
//!
//! Each peer compresses every recording (in `jobs` batches, one tool call per batch through
//! the project's tool runner, logs kept in `DIR/<peer>.log*`); its ratio is the recordings'
//! WAV bytes over its output files' bytes, the same definition as neurice's eval ratio
//! (whole files, headers included).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A peer codec: its name, the command line of its strongest lossless setting, the output
/// extension.
#[derive(Clone, Copy, Debug)]
pub struct PeerCodec {
    pub name: &'static str,
    pub tool: &'static str,
    pub options: &'static [&'static str],
    pub ext: &'static str,
}

/// The peers: FLAC `-8` and WavPack `-hh -x6` (their strongest standard settings).
pub const PEERS: [PeerCodec; 2] = [
    PeerCodec {
        name: "FLAC",
        tool: "flac",
        options: &["-8"],
        ext: "flac",
    },
    PeerCodec {
        name: "WavPack",
        tool: "wavpack",
        options: &["-hh", "-x6"],
        ext: "wv",
    },
];

impl PeerCodec {
    /// `flac -8`, `wavpack -hh -x6`.
    pub fn command(&self) -> String {
        std::iter::once(self.tool)
            .chain(self.options.iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The tool call compressing `files` into the folder `out`.
    fn batch(&self, exe: &Path, files: &[PathBuf], out: &Path) -> Command {
        let mut cmd = Command::new(exe);
        cmd.args(self.options);
        match self.tool {
            // --output-prefix: out/<name>.flac for every input; -f replaces, --silent: no meter
            "flac" => {
                cmd.args(["--silent", "-f", "--output-prefix"])
                    .arg(format!("{}/", out.display()))
                    .args(files);
            }
            // several inputs and an output folder; -q quiet, -y replace without asking
            _ => {
                cmd.args(["-q", "-y"]).args(files).arg("-o").arg(out);
            }
        }
        cmd
    }
}

/// One peer's outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeerResult {
    pub name: String,
    /// The command line (options as given to every file).
    pub command: String,
    /// The tool's version line (`None` when it was not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub files: usize,
    /// The recordings' bytes (WAV files).
    pub wav_bytes: u64,
    /// Its output files' bytes (0 when skipped).
    pub compressed_bytes: u64,
    /// `wav_bytes / compressed_bytes` (`None` when skipped).
    pub ratio: Option<f64>,
    /// Wall-clock seconds of the whole measurement (all batches).
    pub seconds: f64,
    /// Why it was not measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// Measures every peer of [`PEERS`] on `files` (the recordings), in `jobs` parallel batches,
/// with its outputs and logs in `dir`; a peer not installed is skipped with the reason. An
/// installed peer that fails is an error.
pub fn measure(files: &[PathBuf], jobs: usize, dir: &Path) -> Result<Vec<PeerResult>> {
    let wav_bytes: u64 = files
        .iter()
        .map(|f| {
            std::fs::metadata(f)
                .map(|m| m.len())
                .with_context(|| format!("reading {}", f.display()))
        })
        .sum::<Result<u64>>()?;
    PEERS
        .iter()
        .map(|p| measure_one(p, files, wav_bytes, jobs, dir))
        .collect()
}

fn measure_one(
    p: &PeerCodec,
    files: &[PathBuf],
    wav_bytes: u64,
    jobs: usize,
    dir: &Path,
) -> Result<PeerResult> {
    let mut r = PeerResult {
        name: p.name.to_string(),
        command: p.command(),
        version: None,
        files: files.len(),
        wav_bytes,
        compressed_bytes: 0,
        ratio: None,
        seconds: 0.0,
        skipped: None,
    };
    if files.is_empty() {
        r.skipped = Some("no recordings (synthetic run)".into());
        return Ok(r);
    }
    let exe = match neurice_synth::tools::find_tool(p.tool) {
        Ok(e) => e,
        Err(e) => {
            r.skipped = Some(format!(
                "{} is not installed ({e:#}; Debian package `{}`)",
                p.tool, p.tool
            ));
            return Ok(r);
        }
    };
    r.version = Some(neurice_synth::tools::tool_version(p.tool, &exe));
    let out = dir.join(p.tool);
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let t = Instant::now();
    let per = files.len().div_ceil(jobs.max(1));
    files
        .par_chunks(per.max(1))
        .enumerate()
        .try_for_each(|(i, batch)| -> Result<()> {
            let log = dir.join(format!("{}.log{i}", p.tool));
            neurice_synth::tools::run_tool(&mut p.batch(&exe, batch, &out), &log)
                .with_context(|| format!("{} on {} recordings", p.command(), batch.len()))?;
            Ok(())
        })?;
    r.seconds = t.elapsed().as_secs_f64();
    // one output per recording, by name
    for f in files {
        let stem = f.file_stem().context("a recording without a name")?;
        let o = out.join(stem).with_extension(p.ext);
        let n = std::fs::metadata(&o)
            .with_context(|| format!("{}: no output {} for {}", p.name, o.display(), f.display()))?
            .len();
        r.compressed_bytes += n;
    }
    if r.compressed_bytes == 0 {
        bail!("{}: no output bytes", p.name);
    }
    r.ratio = Some(wav_bytes as f64 / r.compressed_bytes as f64);
    // the outputs were only needed for their sizes
    let _ = std::fs::remove_dir_all(&out);
    Ok(r)
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The report's section: the peers next to neurice's coders (`ours`: name, ratio).
pub fn html(peers: &[PeerResult], ours: &[(String, f64)]) -> String {
    let mut s = String::from(
        "<h2>Peers: the codecs a user would pick instead</h2><p>Measured in this run on the \
         same recordings (ratio = WAV bytes / compressed bytes, whole files).</p>\
         <table><tr><th>codec</th><th>command</th><th>ratio</th><th>time (s)</th></tr>",
    );
    for (name, ratio) in ours {
        s.push_str(&format!(
            "<tr><td>neurice {}</td><td>neurice eval --coder {}</td><td>{ratio:.3}</td><td></td></tr>",
            esc(name),
            esc(name)
        ));
    }
    for p in peers {
        match p.ratio.filter(|_| p.skipped.is_none()) {
            Some(ratio) => s.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{ratio:.3}</td><td>{:.1}</td></tr>",
                esc(&p.name),
                esc(&format!(
                    "{} ({})",
                    p.command,
                    p.version.as_deref().unwrap_or("?")
                )),
                p.seconds
            )),
            None => s.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td colspan=\"2\">skipped: {}</td></tr>",
                esc(&p.name),
                esc(&p.command),
                esc(p.skipped.as_deref().unwrap_or("not measured"))
            )),
        }
    }
    s.push_str("</table>");
    s
}

/// One line per peer for the text summary.
pub fn render_text(peers: &[PeerResult]) -> String {
    peers
        .iter()
        .map(|p| match (&p.skipped, p.ratio) {
            (None, Some(r)) => format!(
                "  peer       {:<8} {:<18} ratio {r:.4} ({} files, {:.1} s)\n",
                p.name, p.command, p.files, p.seconds
            ),
            (s, _) => format!(
                "  peer       {:<8} {:<18} skipped: {}\n",
                p.name,
                p.command,
                s.as_deref().unwrap_or("not measured")
            ),
        })
        .collect()
}
