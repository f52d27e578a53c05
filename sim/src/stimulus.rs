//! What every engine is fed, independent of the engine: the [`Stimulus`] (the coder with its
//! parameters, interleaved samples, handshake pattern), its one validation, and loading
//! recordings into stimuli.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use neurice_model::{Coder, CoderSpec};

use crate::MAX_CHANNELS;

/// What to feed the core: the coder it was built for, interleaved samples and the handshake
/// pattern.
#[derive(Clone, Debug)]
pub struct Stimulus {
    /// The coder with its parameters: the core under test is built for it
    /// ([`crate::CoreDesign::check`] refuses another) and its words are compared with the
    /// golden model run with it (coder max: the whole stimulus is one block,
    /// `neurice_model::max::encode_block`).
    pub coder: CoderSpec,
    pub channels: usize,
    /// `W`-bit samples (`W = coder.sample_bits()`; 10-bit grid indices for the hardware
    /// coder); sample `i` belongs to channel `i % channels`.
    pub samples: Vec<u16>,
    /// Per-cycle chance (‰) that the source withholds `in_valid`.
    pub input_gap_per_mille: u32,
    /// Per-cycle chance (‰) that the sink withholds `out_ready`.
    pub backpressure_per_mille: u32,
    pub seed: u64,
    /// Human-readable origin (file names or "synthetic ...").
    pub label: String,
}

impl Stimulus {
    /// A stimulus for `coder` (a [`CoderSpec`], or the parameters of one coder) with the
    /// given samples, no gaps, no backpressure.
    pub fn new(
        coder: impl Into<CoderSpec>,
        channels: usize,
        samples: Vec<u16>,
        label: &str,
    ) -> Self {
        Stimulus {
            coder: coder.into(),
            channels,
            samples,
            input_gap_per_mille: 0,
            backpressure_per_mille: 0,
            seed: 1,
            label: label.to_string(),
        }
    }

    /// The same samples for `coder`.
    pub fn for_coder(mut self, coder: &CoderSpec) -> Self {
        self.coder = *coder;
        self
    }

    /// Which coder this stimulus is for.
    pub fn kind(&self) -> Coder {
        self.coder.kind()
    }

    /// The same samples with a handshake pattern.
    pub fn with_pattern(mut self, p: Pattern) -> Self {
        self.input_gap_per_mille = p.input_gap_per_mille;
        self.backpressure_per_mille = p.backpressure_per_mille;
        self.seed = p.seed;
        self
    }

    /// The one check of a stimulus itself: channels the cores can have, per-mille values
    /// below 1000 and samples that fit the coder's `W` bits. (Whether a core can be built for
    /// its coder is the design's check, [`crate::CoreDesign::new`].)
    pub fn validate(&self) -> Result<()> {
        let l = &self.label;
        if self.channels == 0 || self.channels > MAX_CHANNELS {
            bail!(
                "{l}: channels must be 1..={MAX_CHANNELS}, got {}",
                self.channels
            );
        }
        self.pattern().validate()?;
        let w = self.coder.sample_bits();
        let top = (1u32 << w) - 1;
        if let Some((i, &x)) = self
            .samples
            .iter()
            .enumerate()
            .find(|(_, &x)| x as u32 > top)
        {
            bail!("{l}: sample {i} = {x} does not fit {w} bits");
        }
        Ok(())
    }

    /// The handshake pattern of this stimulus.
    pub fn pattern(&self) -> Pattern {
        Pattern {
            input_gap_per_mille: self.input_gap_per_mille,
            backpressure_per_mille: self.backpressure_per_mille,
            seed: self.seed,
        }
    }
}

/// The handshake pattern of generated stimuli.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pattern {
    pub input_gap_per_mille: u32,
    pub backpressure_per_mille: u32,
    pub seed: u64,
}

impl Pattern {
    /// No gaps, no backpressure, seed 1.
    pub const STEADY: Pattern = Pattern {
        input_gap_per_mille: 0,
        backpressure_per_mille: 0,
        seed: 1,
    };

    /// Per-mille values must be below 1000 (at 1000 nothing would ever move).
    pub fn validate(&self) -> Result<()> {
        if self.input_gap_per_mille >= 1000 || self.backpressure_per_mille >= 1000 {
            bail!(
                "gap and backpressure are per mille and must be below 1000 (got {} and {})",
                self.input_gap_per_mille,
                self.backpressure_per_mille
            );
        }
        Ok(())
    }
}

/// Reads one recording as 10-bit grid indices (off-grid samples mapped to the nearest level;
/// the core only ever sees indices).
pub fn load_indices(path: &Path) -> Result<Vec<u16>> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let wav = neurice_model::wav::parse_wav(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let (idx, _exceptions) = neurice_model::grid::to_grid(&wav.samples);
    Ok(idx.into_iter().map(|k| k as u16).collect())
}

/// Interleaves recordings as channels: file `c` becomes channel `c`, truncated to the shortest
/// file (and to `max_frames`, if given), sample by sample in channel order.
pub fn interleave(files: &[Vec<u16>], max_frames: Option<usize>) -> Vec<u16> {
    let frames = files.iter().map(|f| f.len()).min().unwrap_or(0);
    let frames = max_frames.map_or(frames, |m| m.min(frames));
    let mut out = Vec::with_capacity(frames * files.len());
    for t in 0..frames {
        for f in files {
            out.push(f[t]);
        }
    }
    out
}

/// The runs [`load_stimuli`] makes of `files` recordings as `channels` channels: run `r`
/// takes files `r·N … r·N+N-1` (indices modulo the file count).
pub fn run_groups(files: usize, channels: usize) -> Vec<Vec<usize>> {
    (0..files.div_ceil(channels))
        .map(|r| (0..channels).map(|c| (r * channels + c) % files).collect())
        .collect()
}

/// Loads recordings as stimuli for `coder` (10-bit samples). `channels == 1`: one run per file.
/// `channels == N > 1`: runs of N channels, run `r` taking files `r·N … r·N+N-1` (indices
/// modulo the file count, so every file is used and every run has exactly N channels; with
/// fewer than N files they repeat). `max_samples` limits the samples per file (per channel);
/// `max_runs` limits the runs (only the files they use are read). Files load in `threads`
/// threads.
pub fn load_stimuli(
    coder: &CoderSpec,
    files: &[PathBuf],
    channels: usize,
    max_samples: Option<usize>,
    max_runs: Option<usize>,
    pattern: Pattern,
    threads: usize,
) -> Result<Vec<Stimulus>> {
    if channels == 0 || channels > MAX_CHANNELS {
        bail!("channels must be 1..={MAX_CHANNELS}, got {channels}");
    }
    if coder.sample_bits() != 10 {
        bail!(
            "recordings load as 10-bit grid indices; the parameters code {}-bit samples",
            coder.sample_bits()
        );
    }
    pattern.validate()?;
    if files.is_empty() {
        bail!("no recordings given");
    }
    let mut groups = run_groups(files.len(), channels);
    if let Some(m) = max_runs {
        groups.truncate(m.max(1));
    }
    // read each file used once, in the order of first use
    let mut used: Vec<usize> = groups.iter().flatten().copied().collect();
    used.sort_unstable();
    used.dedup();
    let paths: Vec<PathBuf> = used.iter().map(|&i| files[i].clone()).collect();
    let loaded = load_all(&paths, max_samples, threads)?;
    let slot = |i: usize| used.binary_search(&i).expect("every used file is loaded");
    let name = |i: usize| {
        files[i].file_name().map_or_else(
            || files[i].display().to_string(),
            |n| n.to_string_lossy().into(),
        )
    };
    let mut out = Vec::with_capacity(groups.len());
    for idx in groups {
        let (samples, label) = if channels == 1 {
            (loaded[slot(idx[0])].clone(), name(idx[0]))
        } else {
            let group: Vec<Vec<u16>> = idx.iter().map(|&i| loaded[slot(i)].clone()).collect();
            let first = name(idx[0]);
            let last = name(*idx.last().expect("channels >= 1"));
            (
                interleave(&group, None),
                format!("{channels} channels: {first} … {last}"),
            )
        };
        out.push(Stimulus::new(*coder, channels, samples, &label).with_pattern(pattern));
    }
    Ok(out)
}

fn load_all(
    files: &[PathBuf],
    max_samples: Option<usize>,
    threads: usize,
) -> Result<Vec<Vec<u16>>> {
    let threads = threads.clamp(1, files.len().max(1));
    let chunk = files.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Vec<u16>>>> = std::thread::scope(|s| {
        let hs: Vec<_> = files
            .chunks(chunk)
            .map(|fs| {
                s.spawn(move || {
                    fs.iter()
                        .map(|f| {
                            let mut v = load_indices(f)?;
                            if let Some(m) = max_samples {
                                v.truncate(m);
                            }
                            Ok(v)
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("loader thread panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(files.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_is_frame_major() {
        let v = interleave(&[vec![1, 2, 3], vec![10, 20]], None);
        assert_eq!(v, [1, 10, 2, 20]);
    }

    #[test]
    fn groups_use_every_file() {
        assert_eq!(run_groups(3, 2), vec![vec![0, 1], vec![2, 0]]);
        assert_eq!(run_groups(2, 1), vec![vec![0], vec![1]]);
    }

    #[test]
    fn validation_names_the_problem() {
        use neurice_model::v2::V2Params;
        use neurice_model::CodecParams;
        let p = CodecParams::HARDWARE;
        assert!(Stimulus::new(p, 1, vec![1023], "ok").validate().is_ok());
        let e = Stimulus::new(p, 1, vec![1024], "big")
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("does not fit 10 bits"), "{e}");
        assert!(Stimulus::new(p, 0, vec![], "none").validate().is_err());
        assert!(Stimulus::new(p, MAX_CHANNELS + 1, vec![], "many")
            .validate()
            .is_err());
        let s = Stimulus::new(p, 1, vec![], "bp").with_pattern(Pattern {
            backpressure_per_mille: 1000,
            ..Pattern::STEADY
        });
        assert!(s.validate().is_err());
        let raw = Stimulus::new(CodecParams::RAW16, 1, vec![1 << 12], "raw");
        assert!(raw.validate().is_ok(), "16-bit samples fit raw mode");
        let v2 = Stimulus::new(V2Params::HARDWARE, 2, vec![1023, 0], "v2");
        assert!(v2.validate().is_ok());
        assert_eq!(v2.kind(), Coder::V2);
        assert_eq!(Stimulus::new(p, 1, vec![], "v1").kind(), Coder::Lite);
    }
}
