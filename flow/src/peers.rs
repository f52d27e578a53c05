//! The codecs a user would pick instead, measured in the same run on the same recordings
//! (issue 29): FLAC (`flac -8`) and WavPack (`wavpack -hh -x6`), where installed (Debian
//! packages `flac` and `wavpack`, installed by `scripts/install-tools.sh`); a peer that is
//! not installed is reported as skipped with the reason, never guessed.
//!
//! A first look measures them on a subset ([`scope`]: every [`FIRST_LOOK_STRIDE`]th recording
//! by file name, from the second: 151 of the 603); `neurice flow --full` on all of them. The
//! report names the recordings and puts neurice's own ratio on the same ones beside them.
//!
//! Each peer compresses every recording given (in `jobs` batches, one tool call per batch through
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

/// A first look measures the peers on every `FIRST_LOOK_STRIDE`th recording by file name.
/// WavPack `-x6` takes about 0.12 s of CPU per recording: 72 s for the 603, 18 s for 151.
pub const FIRST_LOOK_STRIDE: usize = 4;

/// The recordings the peers are measured on and how they were chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerScope {
    /// Recordings in the run.
    pub of: usize,
    /// Every `stride`th recording sorted by file name, from index `first` (stride 1: all).
    pub stride: usize,
    pub first: usize,
    /// Their file names, in name order.
    pub recordings: Vec<String>,
    /// The same in words.
    pub text: String,
}

fn name_of(f: &Path) -> String {
    f.file_name().map_or_else(
        || f.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The recordings the peers are measured on: all of `files` with `all` (or fewer than two),
/// else every [`FIRST_LOOK_STRIDE`]th by file name from the second (indices 1, 5, 9, …: odd
/// indices only, the half that coder max's built-in tables were not trained on, FORMAT.md
/// §10), in name order.
pub fn scope(files: &[PathBuf], all: bool) -> (Vec<PathBuf>, PeerScope) {
    let mut sorted = files.to_vec();
    sorted.sort_by_key(|f| name_of(f));
    let n = sorted.len();
    let (stride, first) = if all || n < 2 {
        (1, 0)
    } else {
        (FIRST_LOOK_STRIDE, 1)
    };
    let chosen: Vec<PathBuf> = sorted.into_iter().skip(first).step_by(stride).collect();
    let text = if n == 0 {
        "no recordings (synthetic run)".to_string()
    } else if stride == 1 {
        format!("all {n} recordings")
    } else {
        format!(
            "{} of the {n} recordings: every {stride}th by file name from the second (indices \
             1, 5, 9, …; none of them trained coder max's tables), a first look; --full \
             measures all {n}",
            chosen.len()
        )
    };
    let recordings = chosen.iter().map(|f| name_of(f)).collect();
    (
        chosen,
        PeerScope {
            of: n,
            stride,
            first,
            recordings,
            text,
        },
    )
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

/// neurice's coder `name` on the peers' recordings: its ratio on them (`None` when the eval
/// has no result for one of them) and on every recording of the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OursOnPeers {
    pub coder: String,
    pub ratio: Option<f64>,
    pub ratio_all: f64,
}

impl OursOnPeers {
    /// From a coder's eval results per file (name, WAV bytes, coded bytes) and its total ratio.
    pub fn of(
        coder: &str,
        per_file: &[(String, u64, u64)],
        ratio_all: f64,
        scope: &PeerScope,
    ) -> Self {
        let by_name: std::collections::HashMap<&str, (u64, u64)> = per_file
            .iter()
            .map(|(n, o, c)| (n.as_str(), (*o, *c)))
            .collect();
        let sums = scope
            .recordings
            .iter()
            .map(|n| by_name.get(n.as_str()).copied())
            .try_fold((0u64, 0u64), |(o, c), x| x.map(|(a, b)| (o + a, c + b)));
        OursOnPeers {
            coder: coder.to_string(),
            ratio: sums.filter(|s| s.1 > 0).map(|(o, c)| o as f64 / c as f64),
            ratio_all,
        }
    }
}

/// The report's section: the peers next to neurice's coders on the same recordings.
pub fn html(peers: &[PeerResult], scope: &PeerScope, ours: &[OursOnPeers]) -> String {
    let mut s = format!(
        "<h2>Peers: the codecs a user would pick instead</h2><p>Measured in this run on {} \
         (ratio = WAV bytes / compressed bytes, whole files); neurice's ratio on the same \
         recordings beside them.</p>\
         <table><tr><th>codec</th><th>command</th><th>ratio</th><th>time (s)</th></tr>",
        esc(&scope.text)
    );
    for o in ours {
        let ratio = match (o.ratio, scope.stride) {
            (Some(r), 1) => format!("{r:.3}"),
            (Some(r), _) => format!("{r:.3} ({:.3} on all {})", o.ratio_all, scope.of),
            (None, _) => format!("? ({:.3} on all {})", o.ratio_all, scope.of),
        };
        s.push_str(&format!(
            "<tr><td>neurice {}</td><td>neurice eval --coder {}</td><td>{ratio}</td><td></td></tr>",
            esc(&o.coder),
            esc(&o.coder)
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

/// One line per peer for the text summary, after the recordings they ran on and neurice's
/// ratio on the same ones.
pub fn render_text(peers: &[PeerResult], scope: &PeerScope, ours: &[OursOnPeers]) -> String {
    let mut s = format!("  peers      on {}\n", scope.text);
    for o in ours {
        if let Some(r) = o.ratio {
            s.push_str(&format!(
                "  peer       neurice  {:<18} ratio {r:.4} (the same recordings)\n",
                format!("--coder {}", o.coder)
            ));
        }
    }
    s.extend(peers.iter().map(|p| match (&p.skipped, p.ratio) {
        (None, Some(r)) => format!(
            "  peer       {:<8} {:<18} ratio {r:.4} ({} files, {:.1} s)\n",
            p.name, p.command, p.files, p.seconds
        ),
        (sk, _) => format!(
            "  peer       {:<8} {:<18} skipped: {}\n",
            p.name,
            p.command,
            sk.as_deref().unwrap_or("not measured")
        ),
    }));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_look_takes_every_4th_recording_by_name_from_the_second_and_says_so() {
        // given out of order: chosen by name, not by the order given
        let files: Vec<PathBuf> = (0..603)
            .rev()
            .map(|i| PathBuf::from(format!("/d/{i:04}.wav")))
            .collect();
        let (chosen, s) = scope(&files, false);
        assert_eq!((chosen.len(), s.of, s.stride, s.first), (151, 603, 4, 1));
        assert_eq!(s.recordings.len(), 151);
        for (k, (f, n)) in chosen.iter().zip(&s.recordings).enumerate() {
            assert_eq!(n, &format!("{:04}.wav", 1 + 4 * k));
            assert_eq!(f, &PathBuf::from(format!("/d/{n}")));
        }
        assert!(s.text.starts_with("151 of the 603 recordings") && s.text.contains("--full"));
        // --full: all of them, in name order
        let (all, s) = scope(&files, true);
        assert_eq!((all.len(), s.stride, s.first), (603, 1, 0));
        assert_eq!(s.text, "all 603 recordings");
        assert_eq!(s.recordings[0], "0000.wav");
        // one recording: it is the subset
        let (one, s) = scope(&files[..1], false);
        assert_eq!((one.len(), s.stride), (1, 1));
        let (none, s) = scope(&[], false);
        assert!(none.is_empty() && s.text.contains("no recordings"), "{s:?}");
    }

    #[test]
    fn neurice_on_the_peers_recordings_sums_their_bytes_only() {
        let files: Vec<PathBuf> = (0..6).map(|i| PathBuf::from(format!("{i}.wav"))).collect();
        let (_, s) = scope(&files, false);
        assert_eq!(s.recordings, ["1.wav", "5.wav"]);
        let per_file: Vec<_> = (0..6u64)
            .map(|i| (format!("{i}.wav"), 100 * (i + 1), 10 * (i + 1) + i))
            .collect();
        let o = OursOnPeers::of("lite", &per_file, 2.5, &s);
        // (200 + 600) / (21 + 65)
        assert_eq!(o.ratio, Some(800.0 / 86.0));
        assert_eq!((o.coder.as_str(), o.ratio_all), ("lite", 2.5));
        // a recording the eval has no result for: unknown, not a ratio of the others
        let o = OursOnPeers::of("lite", &per_file[..5], 2.5, &s);
        assert_eq!(o.ratio, None);
        let html = html(&[], &s, &[o]);
        assert!(html.contains("2 of the 6 recordings") && html.contains("? (2.500 on all 6)"));
    }
}
