//! # neurice-testkit — the helpers every crate's tests share
//!
//! A dev-dependency only (`publish = false`): the recordings lookup and the skips, an
//! allocation counter, WAV builders, and the deterministic generated signals the tests feed
//! the codec and the core.
//!
//! * [`skip`]: a test that cannot run here says so on standard error even when it passes,
//!   is counted in `$NEURICE_SKIP_LOG`, and fails under `NEURICE_REQUIRE_ALL=1` (`.ci/run`).
//! * [`recordings`], [`data_dir`], [`data_or_skip`], [`wavs`], [`first_recording`]: the
//!   recordings folder (`$NEURICE_DATA`, else `../shared/data/neuralink` beside the workspace,
//!   as the README says), accepted only when it holds the 603 recordings.
//! * [`alloc::PeakAlloc`]: a global allocator for tests that measure what a call allocates.
//! * [`grid_wav`], [`pcm16`], [`hound_wav`]: WAV bytes (the model's canonical writer, or
//!   `hound` for other headers and formats).
//! * [`walk`], [`spiky_walk`], [`noise`], [`extremes`], [`flat`], [`trace`]: 10-bit grid-index
//!   signals from fixed seeds; [`gaussian`], [`laplacian`], [`laplacian_walk`]: noise and
//!   walks of other amplitude distributions (floating point, for ratio tests).
//!
//! The generators' outputs are part of many tests' expectations (sizes, stall counts) and of
//! the known-answer vectors (`golden-model/tests/vectors/`): do not change a generator, add a
//! new one.

pub mod alloc;
pub mod vectors;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use neurice_model::grid::grid_value;
use neurice_model::wav::Wav;

/// Sample rate of the Neuralink recordings, used for every generated WAV.
pub const SAMPLE_RATE: u32 = 19531;

// ---------------------------------------------------------------------------------------
// Skips: visible, counted, and a failure where everything is required
// ---------------------------------------------------------------------------------------

/// Set to `1` (as `.ci/run` does), every [`skip`] is a failure: CI has the recordings and the
/// tools, so a missing one is a broken machine, not a pass.
pub const REQUIRE_ALL: &str = "NEURICE_REQUIRE_ALL";

/// When set, every [`skip`] appends its line to this file (`.ci/run` counts them).
pub const SKIP_LOG: &str = "NEURICE_SKIP_LOG";

/// Whether [`REQUIRE_ALL`] is set to `1`.
pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL).is_ok_and(|v| v == "1")
}

/// A test (or a part of one, `what`) that cannot run here, because of `why` (no recordings, a
/// tool missing). Prints `SKIPPED <what>: <why>` straight to the process's standard error, so
/// it shows even when the test passes (libtest hides a passing test's `eprintln!`), appends
/// the line to [`SKIP_LOG`] when it is set, and panics under [`REQUIRE_ALL`]`=1`.
#[track_caller]
pub fn skip(what: &str, why: &str) {
    use std::io::Write;
    let line = format!("SKIPPED {what}: {}", why.trim().replace('\n', " | "));
    let _ = writeln!(std::io::stderr().lock(), "{line}");
    if let Some(log) = std::env::var_os(SKIP_LOG) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()))
            .unwrap_or_else(|e| panic!("{SKIP_LOG}={}: {e}", PathBuf::from(&log).display()));
    }
    if require_all() {
        panic!("{line}\n{REQUIRE_ALL}=1: a skip is a failure here (the recordings or a tool is missing)");
    }
}

// ---------------------------------------------------------------------------------------
// The recordings
// ---------------------------------------------------------------------------------------

/// How many recordings the tests expect: the challenge set of `SOURCE.txt` (README, "The
/// recordings"). A folder with other WAVs is not the recordings.
pub const RECORDINGS: usize = 603;

/// The recordings folder (`$NEURICE_DATA`, else `../shared/data/neuralink` beside the
/// workspace), if it holds the recordings (see [`recordings`]).
pub fn data_dir() -> Option<PathBuf> {
    recordings().ok()
}

/// The recordings folder, or why there is none: the folder (`$NEURICE_DATA`, else
/// `../shared/data/neuralink` beside the workspace) must hold exactly [`RECORDINGS`] `.wav`
/// files, and, when it has a `SHA256SUMS` (the shared data folder does), exactly the `.wav`
/// files listed there. The checksums themselves are checked by `.ci/run` (`sha256sum -c`),
/// once, not by every test.
pub fn recordings() -> Result<PathBuf, String> {
    let dir = std::env::var_os("NEURICE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/neuralink")
        });
    recordings_in(&dir)
}

/// [`recordings`] for the folder `dir`.
pub fn recordings_in(dir: &Path) -> Result<PathBuf, String> {
    let dir = dir.to_path_buf();
    let hint = "set NEURICE_DATA or put the Neuralink WAVs in ../shared/data/neuralink; see README";
    let list = std::fs::read_dir(&dir)
        .map_err(|e| format!("no recordings: cannot read {} ({e}; {hint})", dir.display()))?;
    let mut names: Vec<String> = list
        .flatten()
        .filter(|e| is_wav(&e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.len() != RECORDINGS {
        return Err(format!(
            "{} holds {} .wav file(s), not the {RECORDINGS} recordings ({hint})",
            dir.display(),
            names.len()
        ));
    }
    if let Ok(sums) = std::fs::read_to_string(dir.join("SHA256SUMS")) {
        let mut listed: Vec<String> = sums
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .map(|n| n.trim_start_matches('*').to_string())
            .filter(|n| n.to_ascii_lowercase().ends_with(".wav"))
            .collect();
        listed.sort();
        if listed != names {
            let missing = listed.iter().filter(|n| !names.contains(n)).count();
            return Err(format!(
                "{}: the .wav files are not those of its SHA256SUMS ({} listed, {missing} of them missing)",
                dir.display(),
                listed.len()
            ));
        }
    }
    Ok(dir)
}

/// [`recordings`], or a [`skip`] of `test` saying why there are none.
#[track_caller]
pub fn data_or_skip(test: &str) -> Option<PathBuf> {
    match recordings() {
        Ok(d) => Some(d),
        Err(why) => {
            skip(test, &why);
            None
        }
    }
}

fn is_wav(p: &Path) -> bool {
    p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav"))
}

/// The `.wav` files of `dir`, sorted by name (not recursive).
pub fn wavs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| is_wav(p))
        .collect();
    v.sort();
    v
}

/// The first recording (sorted by name) of the data folder, if there is one.
pub fn first_recording() -> Option<PathBuf> {
    wavs(&data_dir()?).into_iter().next()
}

// ---------------------------------------------------------------------------------------
// WAV builders
// ---------------------------------------------------------------------------------------

/// A canonical 16-bit PCM WAV (the model's writer) of grid indices, `channels` interleaved.
pub fn grid_wav(channels: u16, indices: &[u16]) -> Vec<u8> {
    let samples = indices.iter().map(|&k| grid_value(k as u32)).collect();
    Wav::canonical(channels, SAMPLE_RATE, samples)
        .expect("whole frames")
        .to_bytes()
}

/// A WAV written by `hound` with any spec (e.g. 3 channels: `WAVE_FORMAT_EXTENSIBLE`).
pub fn hound_wav(
    spec: hound::WavSpec,
    write: impl FnOnce(&mut hound::WavWriter<&mut Cursor<Vec<u8>>>),
) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut buf, spec).expect("hound writer");
    write(&mut w);
    w.finalize().expect("hound finalize");
    buf.into_inner()
}

/// A 16-bit PCM WAV written by `hound` at [`SAMPLE_RATE`].
pub fn pcm16(channels: u16, samples: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    hound_wav(spec, |w| {
        for &s in samples {
            w.write_sample(s).expect("write sample");
        }
    })
}

/// Grid indices to the 16-bit sample values of the recordings.
pub fn grid_samples(indices: &[u16]) -> Vec<i16> {
    indices.iter().map(|&k| grid_value(k as u32)).collect()
}

// ---------------------------------------------------------------------------------------
// Generated signals (10-bit grid indices)
// ---------------------------------------------------------------------------------------

/// xorshift64 (13, 7, 17), the sequence of `neurice_sim::XorShift64` (re-stated here so the
/// model's tests need no simulator; `sim/tests/rusthdl.rs` checks that the two agree).
#[derive(Clone, Debug)]
pub struct XorShift64(u64);

impl XorShift64 {
    pub fn new(seed: u64) -> Self {
        XorShift64(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// A random walk from mid-scale with steps uniform in `-step..=step` (xorshift32 13/17/5
/// from `seed`), clamped to `0..=1023`.
pub fn walk(n: usize, seed: u32, step: u32) -> Vec<u16> {
    let mut r = seed.max(1);
    let mut x = 512i32;
    (0..n)
        .map(|_| {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            x = (x + (r % (2 * step + 1)) as i32 - step as i32).clamp(0, 1023);
            x as u16
        })
        .collect()
}

/// A neural-like signal: a slow random walk (steps -4..=4) with a spike every ~97 samples
/// (xorshift64 from `seed | 1`).
pub fn spiky_walk(n: usize, seed: u64) -> Vec<u16> {
    let mut s = seed | 1;
    let mut x: i32 = 512;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            x += (s % 9) as i32 - 4;
            if s.is_multiple_of(97) {
                x += ((s >> 20) % 400) as i32 - 200; // a spike
            }
            x = x.clamp(0, 1023);
            x as u16
        })
        .collect()
}

/// Full-scale white noise: most codes are escapes or near the longest code.
pub fn noise(n: usize, seed: u64) -> Vec<u16> {
    let mut r = XorShift64::new(seed);
    (0..n).map(|_| (r.next_u64() % 1024) as u16).collect()
}

/// Alternating extremes 0, 1023, 0, …: every delta is ±full scale.
pub fn extremes(n: usize) -> Vec<u16> {
    (0..n).map(|i| if i % 2 == 0 { 0 } else { 1023 }).collect()
}

/// Constant runs of 3000 samples with full steps between them: the adaptive parameter goes
/// to its smallest value.
pub fn flat(n: usize) -> Vec<u16> {
    (0..n)
        .map(|i| if (i / 3000) % 2 == 0 { 512 } else { 37 })
        .collect()
}

/// A slow sine with noise, like a neural trace.
pub fn trace(n: usize, seed: u64) -> Vec<u16> {
    let mut r = XorShift64::new(seed);
    (0..n)
        .map(|i| {
            let s = 512.0 + 200.0 * (i as f64 / 40.0).sin() + (r.next_u64() % 9) as f64 - 4.0;
            s.clamp(0.0, 1023.0) as u16
        })
        .collect()
}

/// A uniform value in (0, 1) from 53 bits of `r`.
fn unit(r: &mut XorShift64) -> f64 {
    ((r.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// White Gaussian noise around mid-scale: N(512, sigma²) (Box–Muller), rounded and clamped to
/// `0..=1023`. Floating point: for ratio tests, not for frozen vectors.
pub fn gaussian(n: usize, seed: u64, sigma: f64) -> Vec<u16> {
    let mut r = XorShift64::new(seed);
    (0..n)
        .map(|_| {
            let (u1, u2) = (unit(&mut r), unit(&mut r));
            let g = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (512.0 + sigma * g).round().clamp(0.0, 1023.0) as u16
        })
        .collect()
}

/// White Laplacian noise around mid-scale (density ∝ exp(−|x − 512| / b)), rounded and
/// clamped to `0..=1023`. Floating point: for ratio tests, not for frozen vectors.
pub fn laplacian(n: usize, seed: u64, b: f64) -> Vec<u16> {
    let mut r = XorShift64::new(seed);
    (0..n)
        .map(|_| {
            let u = unit(&mut r) - 0.5;
            let l = -b * u.signum() * (1.0 - 2.0 * u.abs()).ln();
            (512.0 + l).round().clamp(0.0, 1023.0) as u16
        })
        .collect()
}

/// A random walk from mid-scale whose steps are [`laplacian`] noise of scale `b` (a signal
/// with heavy-tailed increments), clamped to `0..=1023`.
pub fn laplacian_walk(n: usize, seed: u64, b: f64) -> Vec<u16> {
    let mut x = 512i32;
    laplacian(n, seed, b)
        .into_iter()
        .map(|d| {
            x = (x + d as i32 - 512).clamp(0, 1023);
            x as u16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_10_bit_and_deterministic() {
        for v in [
            walk(500, 3, 20),
            spiky_walk(500, 1),
            noise(500, 2),
            trace(500, 4),
        ] {
            assert!(v.iter().all(|&x| x < 1024));
        }
        assert_eq!(walk(100, 7, 4), walk(100, 7, 4));
        let g = gaussian(20_000, 5, 10.0);
        let mean = g.iter().map(|&x| x as f64).sum::<f64>() / g.len() as f64;
        let var = g.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / g.len() as f64;
        assert!(
            (mean - 512.0).abs() < 0.5 && (var.sqrt() - 10.0).abs() < 0.3,
            "{mean} {var}"
        );
        let l = laplacian(20_000, 6, 10.0);
        let mad = l.iter().map(|&x| (x as f64 - 512.0).abs()).sum::<f64>() / l.len() as f64;
        assert!((mad - 10.0).abs() < 0.4, "mean |x − 512| = {mad}");
        assert!(laplacian_walk(500, 7, 3.0).iter().all(|&x| x < 1024));
        assert_ne!(walk(100, 7, 4), walk(100, 8, 4));
    }

    #[test]
    fn only_the_603_recordings_are_the_recordings() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path();
        let name = |i: usize| format!("{i:04}.wav");
        let err = recordings_in(&dir.join("absent")).unwrap_err();
        assert!(err.contains("cannot read"), "{err}");
        std::fs::write(dir.join(name(0)), b"RIFF").unwrap();
        let err = recordings_in(dir).unwrap_err();
        assert!(err.contains("holds 1 .wav file(s), not the 603"), "{err}");
        for i in 1..RECORDINGS {
            std::fs::write(dir.join(name(i)), b"RIFF").unwrap();
        }
        std::fs::write(dir.join("notes.txt"), b"not a recording").unwrap();
        assert_eq!(recordings_in(dir).unwrap(), dir);
        // a SHA256SUMS naming other files: not these recordings
        let sums = |names: Vec<String>| {
            let text: String = names.iter().map(|n| format!("{:064}  {n}\n", 0)).collect();
            std::fs::write(dir.join("SHA256SUMS"), text).unwrap();
        };
        sums((1..=RECORDINGS).map(name).collect());
        let err = recordings_in(dir).unwrap_err();
        assert!(err.contains("603 listed, 1 of them missing"), "{err}");
        sums((0..RECORDINGS).map(name).collect());
        assert_eq!(recordings_in(dir).unwrap(), dir);
        // one more WAV than the 603
        std::fs::write(dir.join(name(RECORDINGS)), b"RIFF").unwrap();
        let err = recordings_in(dir).unwrap_err();
        assert!(err.contains("holds 604 .wav file(s)"), "{err}");
    }

    #[global_allocator]
    static ALLOC: alloc::PeakAlloc = alloc::PeakAlloc;

    #[test]
    fn peak_alloc_sees_what_a_call_holds_at_once() {
        let (_, a) = alloc::measure(|| {
            let v = std::hint::black_box(vec![1u8; 3 << 20]);
            drop(v);
            let w: Vec<Vec<u8>> = (0..64).map(|_| vec![2u8; 64 << 10]).collect();
            std::hint::black_box(w).len()
        });
        assert_eq!(a.largest, 3 << 20);
        // the 3 MiB were freed before the 64 x 64 KiB (4 MiB) were held
        assert!(
            a.peak >= 4 << 20 && a.peak < (4 << 20) + (64 << 10),
            "{a:?}"
        );
        let (_, a) = alloc::measure(|| std::hint::black_box(1 + 1));
        assert_eq!(
            a,
            alloc::Allocated {
                largest: 0,
                peak: 0
            }
        );
    }
}
