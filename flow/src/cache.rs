//! # Caches that survive between runs
//!
//! A second `neurice flow` on the same inputs takes its slow, deterministic steps from a cache
//! instead of running them again. Every entry is keyed by the content of what made it, so a
//! changed input misses:
//!
//! ```text
//!  <cache>/synth/<key>/    yosys → nextpnr → icepack: every file of the run + its SynthReport
//!                          (key: the Verilog, the synthesis configuration, the yosys script,
//!                          the tools' versions)
//!  <cache>/asic/<key>/     yosys `stat -tech cmos` of the 2-channel core (key: its Verilog,
//!                          the script, yosys' version)
//!  <cache>/peers/<key>/    FLAC and WavPack on the recordings (key: every recording's name and
//!                          content, the commands, the tools' versions)
//!  <cache>/verilator/<what>/vl-<top>-<hash>/
//!                          Verilator builds: `neurice_sim::verilator::build`'s own cache, keyed
//!                          by the Verilog, top, harness, flags and Verilator's version
//!  <cache>/timings.json    the last measured wall time of each slow step, for the progress
//!                          bars' estimates of the time left
//! ```
//!
//! Where: `--cache-dir DIR`, else `$NEURICE_CACHE_DIR`, else `$XDG_CACHE_HOME/neurice`, else
//! `$HOME/.cache/neurice`; `--no-cache` runs everything and touches no cache. Removing the
//! folder is always safe.
//!
//! An entry is written into a private `.tmp-…` folder and renamed into place only when
//! complete, with a manifest of every file's size and FNV-1a hash; an entry whose manifest
//! does not parse or whose files do not match it is ignored (the report says so) and replaced.
//! Every use is recorded as a [`CacheUse`] in the report: a hit is never hidden.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The environment variable naming the cache folder.
pub const CACHE_ENV: &str = "NEURICE_CACHE_DIR";

/// Changes when the layout of an entry or of a cached result changes (older entries miss).
const FORMAT: &str = "neurice-cache-1";

/// A content key: FNV-1a 64 over named parts (each part's name and bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key(u64);

impl Key {
    /// A key for entries of the kind `kind` (`synth`, `asic`, …).
    pub fn new(kind: &str) -> Self {
        Key(neurice_sim::fnv1a(&[
            FORMAT.as_bytes(),
            env!("CARGO_PKG_VERSION").as_bytes(),
            kind.as_bytes(),
        ]))
    }

    /// This key with one more named part.
    pub fn part(self, name: &str, bytes: &[u8]) -> Self {
        Key(neurice_sim::fnv1a(&[
            &self.0.to_le_bytes(),
            name.as_bytes(),
            bytes,
        ]))
    }

    /// 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// What a stage took from (or put into) the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheStatus {
    /// Taken from the cache: the step did not run in this flow.
    Hit,
    /// Run, and stored for the next run.
    Miss,
    /// Run; no cache (`--no-cache`).
    Off,
}

/// One use of the cache, in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheUse {
    /// The step (`synthesis`, `asic`, `peers`, `simulation build`, `power build`).
    pub step: String,
    pub status: CacheStatus,
    /// The content key (16 hex digits), when the step has one of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The entry used or written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<PathBuf>,
    /// Anything unusual: an entry ignored as corrupt, an entry that could not be stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The cache folder, or none (`--no-cache`).
#[derive(Clone, Debug, Default)]
pub struct Cache {
    dir: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    /// The folder the files were in (its absolute paths in the result are relocated).
    out_dir: String,
    files: Vec<ManifestFile>,
    result_bytes: u64,
    result_hash: String,
}

#[derive(Serialize, Deserialize)]
struct ManifestFile {
    path: String,
    bytes: u64,
    hash: String,
}

fn hash_hex(bytes: &[u8]) -> String {
    format!("{:016x}", neurice_sim::fnv1a(&[bytes]))
}

/// The default cache folder: `$NEURICE_CACHE_DIR`, else `$XDG_CACHE_HOME/neurice`, else
/// `$HOME/.cache/neurice` (`None` when none of them is set).
pub fn default_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var(CACHE_ENV)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("neurice")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("neurice")))
}

impl Cache {
    /// No cache: every step runs.
    pub fn off() -> Self {
        Cache { dir: None }
    }

    /// The cache in `dir` (created when first written).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Cache {
            dir: Some(dir.into()),
        }
    }

    /// The cache folder (`None`: off).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The folder for Verilator builds of `what` (`None`: off, the caller builds in its own
    /// output folder). Builds in it are `neurice_sim::verilator::build`'s content-keyed ones.
    pub fn verilator_dir(&self, what: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("verilator").join(what))
    }

    /// The result of `run`, a step that writes its files into `out_dir` and returns `T`
    /// (whose absolute paths into `out_dir` are relocated on a hit): taken from the entry
    /// `kind/key` when it is there and whole (its files copied into `out_dir`), else run and
    /// stored. A corrupt entry is ignored and replaced; a failure to store is a note, not an
    /// error. `step` names the use in the report.
    pub fn run_in_dir<T: Serialize + DeserializeOwned>(
        &self,
        step: &str,
        kind: &str,
        key: &Key,
        out_dir: &Path,
        run: impl FnOnce() -> Result<T>,
    ) -> Result<(T, CacheUse)> {
        let mut used = CacheUse {
            step: step.to_string(),
            status: CacheStatus::Off,
            key: Some(key.hex()),
            entry: None,
            note: None,
        };
        let Some(dir) = &self.dir else {
            return Ok((run()?, used));
        };
        let entry = dir.join(kind).join(key.hex());
        used.entry = Some(entry.clone());
        if entry.exists() {
            match load::<T>(&entry, out_dir) {
                Ok(t) => {
                    used.status = CacheStatus::Hit;
                    return Ok((t, used));
                }
                Err(e) => {
                    used.note = Some(format!("entry ignored and replaced: {e:#}"));
                    let _ = std::fs::remove_dir_all(&entry);
                }
            }
        }
        let t = run()?;
        used.status = CacheStatus::Miss;
        if let Err(e) = store(&t, &entry, out_dir) {
            let note = format!("not stored: {e:#}");
            used.note = Some(match used.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
        Ok((t, used))
    }

    fn timings_path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("timings.json"))
    }

    /// The last measured wall time of the step `what` (for a progress estimate).
    pub fn estimate(&self, what: &str) -> Option<f64> {
        let text = std::fs::read_to_string(self.timings_path()?).ok()?;
        let map: BTreeMap<String, f64> = serde_json::from_str(&text).ok()?;
        map.get(what).copied().filter(|s| s.is_finite() && *s > 0.0)
    }

    /// Records the wall time of the step `what` (best effort: a cache that cannot be written
    /// only loses its estimates).
    pub fn record(&self, what: &str, seconds: f64) {
        static LOCK: Mutex<()> = Mutex::new(());
        let Some(path) = self.timings_path() else {
            return;
        };
        let _held = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let mut map: BTreeMap<String, f64> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        map.insert(what.to_string(), seconds);
        if let (Some(parent), Ok(json)) = (path.parent(), serde_json::to_string_pretty(&map)) {
            let _ = std::fs::create_dir_all(parent);
            let tmp = parent.join(format!(".timings-{}.json", std::process::id()));
            if std::fs::write(&tmp, json).is_ok() && std::fs::rename(&tmp, &path).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }
}

/// Every regular file under `dir`, relative paths, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let d = root.join(rel);
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let e = e?;
            let t = e.file_type()?;
            let r = rel.join(e.file_name());
            if t.is_dir() {
                walk(root, &r, out)?;
            } else if t.is_file() {
                out.push(r);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out)?;
    out.sort();
    Ok(out)
}

fn absolute(p: &Path) -> Result<PathBuf> {
    p.canonicalize()
        .with_context(|| format!("{} does not exist", p.display()))
}

/// Writes the entry for `t` and the files of `out_dir` into a private folder, then renames it
/// to `entry`.
fn store<T: Serialize>(t: &T, entry: &Path, out_dir: &Path) -> Result<()> {
    static N: AtomicU64 = AtomicU64::new(0);
    let parent = entry.parent().context("an entry without a folder")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    neurice_files::signals::sweep_stale(parent, ".tmp-");
    let name = entry.file_name().context("an entry without a name")?;
    let tmp = parent.join(format!(
        ".tmp-{}-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    let _cleanup = neurice_files::signals::private_dir(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    let r = (|| -> Result<()> {
        let out_abs = absolute(out_dir)?;
        let mut files = Vec::new();
        for rel in files_under(&out_abs)? {
            let bytes = std::fs::read(out_abs.join(&rel))?;
            let dst = tmp.join("files").join(&rel);
            std::fs::create_dir_all(dst.parent().expect("a file in a folder"))?;
            std::fs::write(&dst, &bytes)?;
            files.push(ManifestFile {
                path: rel.to_string_lossy().into_owned(),
                bytes: bytes.len() as u64,
                hash: hash_hex(&bytes),
            });
        }
        let result = serde_json::to_vec_pretty(t)?;
        std::fs::write(tmp.join("result.json"), &result)?;
        let m = Manifest {
            format: FORMAT.to_string(),
            out_dir: out_abs.to_string_lossy().into_owned(),
            files,
            result_bytes: result.len() as u64,
            result_hash: hash_hex(&result),
        };
        // the manifest last: an entry without one is incomplete
        std::fs::write(tmp.join("manifest.json"), serde_json::to_vec_pretty(&m)?)?;
        if std::fs::rename(&tmp, entry).is_err() {
            // another run stored the same entry first
            let _ = std::fs::remove_dir_all(&tmp);
            if !entry.join("manifest.json").is_file() {
                bail!("cannot move the entry to {}", entry.display());
            }
        }
        Ok(())
    })();
    if r.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    r
}

/// Reads a whole entry (every file checked against the manifest), copies its files into
/// `out_dir` and returns the result with its paths relocated to `out_dir`.
fn load<T: DeserializeOwned>(entry: &Path, out_dir: &Path) -> Result<T> {
    let m: Manifest =
        serde_json::from_slice(&std::fs::read(entry.join("manifest.json")).context("no manifest")?)
            .context("the manifest does not parse")?;
    if m.format != FORMAT {
        bail!("format {} (this version reads {FORMAT})", m.format);
    }
    let result = std::fs::read(entry.join("result.json")).context("no result")?;
    if result.len() as u64 != m.result_bytes || hash_hex(&result) != m.result_hash {
        bail!("result.json differs from its manifest");
    }
    let mut files = Vec::with_capacity(m.files.len());
    for f in &m.files {
        let rel = Path::new(&f.path);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            bail!("a file outside the entry: {}", f.path);
        }
        let bytes = std::fs::read(entry.join("files").join(rel))
            .with_context(|| format!("{} is missing", f.path))?;
        if bytes.len() as u64 != f.bytes || hash_hex(&bytes) != f.hash {
            bail!("{} differs from its manifest", f.path);
        }
        files.push((rel.to_path_buf(), bytes));
    }
    let value: serde_json::Value =
        serde_json::from_slice(&result).context("result.json does not parse")?;
    neurice_files::create_out_dir(out_dir)?;
    let out_abs = absolute(out_dir)?;
    let (from, to) = (m.out_dir.as_str(), out_abs.to_string_lossy());
    for (rel, mut bytes) in files {
        // a text file naming the folder it was made in (a log, a report, a build script)
        // names this one
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if text.contains(from) {
                bytes = text.replace(from, &to).into_bytes();
            }
        }
        let dst = out_abs.join(&rel);
        if let Some(p) = dst.parent() {
            std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        neurice_files::write_output(&dst, &bytes, true)?;
    }
    let value = relocate(value, from, &to);
    serde_json::from_value(value).context("the cached result does not fit this version")
}

/// Every string of `v` that is `from` or a path under it, moved under `to`.
fn relocate(v: serde_json::Value, from: &str, to: &str) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let moved = match s.strip_prefix(from) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{to}{rest}"),
                _ => s,
            };
            Value::String(moved)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| relocate(x, from, to)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| (k, relocate(x, from, to)))
                .collect(),
        ),
        other => other,
    }
}

/// The content key part of a list of files: each one's name and bytes.
pub fn files_key(mut key: Key, files: &[PathBuf]) -> Result<Key> {
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        key = key.part(name.as_deref().unwrap_or(""), &bytes);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Fake {
        file: PathBuf,
        value: u64,
    }

    /// A step that writes `out/data.txt` and counts its runs.
    fn fake_step(out: &Path, text: &str, runs: &mut u32) -> Result<Fake> {
        *runs += 1;
        std::fs::create_dir_all(out.join("sub"))?;
        std::fs::write(out.join("sub").join("data.txt"), text)?;
        let here = absolute(out)?;
        std::fs::write(out.join("log.txt"), format!("ran in {}", here.display()))?;
        Ok(Fake {
            file: absolute(out)?.join("sub").join("data.txt"),
            value: text.len() as u64,
        })
    }

    #[test]
    fn a_hit_gives_the_same_result_and_files_a_change_misses_a_corrupt_entry_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path().join("cache"));
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let mut runs = 0;
        let key = Key::new("fake").part("input", b"hello");

        let (r1, u1) = cache
            .run_in_dir("fake", "fake", &key, &a, || {
                fake_step(&a, "hello", &mut runs)
            })
            .unwrap();
        assert_eq!((u1.status, runs), (CacheStatus::Miss, 1));
        // a hit in another folder: not run, the same result with its path moved, the file there
        let (r2, u2) = cache
            .run_in_dir("fake", "fake", &key, &b, || {
                fake_step(&b, "hello", &mut runs)
            })
            .unwrap();
        assert_eq!((u2.status, runs), (CacheStatus::Hit, 1));
        assert_eq!(r2.value, r1.value);
        assert_eq!(r2.file, absolute(&b).unwrap().join("sub").join("data.txt"));
        assert_eq!(std::fs::read_to_string(&r2.file).unwrap(), "hello");
        let b_abs = absolute(&b).unwrap();
        assert_eq!(
            std::fs::read_to_string(b.join("log.txt")).unwrap(),
            format!("ran in {}", b_abs.display()),
            "a text file names the folder it is in"
        );

        // a changed input misses
        let key2 = Key::new("fake").part("input", b"hello!");
        assert_ne!(key2, key);
        let (_, u3) = cache
            .run_in_dir("fake", "fake", &key2, &a, || {
                fake_step(&a, "hello!", &mut runs)
            })
            .unwrap();
        assert_eq!((u3.status, runs), (CacheStatus::Miss, 2));

        // a corrupt entry (a file changed, same size) is ignored, run again and replaced
        let entry = u1.entry.clone().unwrap();
        std::fs::write(entry.join("files").join("sub").join("data.txt"), "jello").unwrap();
        let (r4, u4) = cache
            .run_in_dir("fake", "fake", &key, &b, || {
                fake_step(&b, "hello", &mut runs)
            })
            .unwrap();
        assert_eq!((u4.status, runs), (CacheStatus::Miss, 3));
        assert!(u4.note.as_deref().unwrap().contains("differs"), "{u4:?}");
        assert_eq!(std::fs::read_to_string(&r4.file).unwrap(), "hello");
        // ... and the replacement is whole again
        let (_, u5) = cache
            .run_in_dir("fake", "fake", &key, &a, || {
                fake_step(&a, "hello", &mut runs)
            })
            .unwrap();
        assert_eq!((u5.status, runs), (CacheStatus::Hit, 3));

        // an incomplete entry (no manifest: a run that stopped while storing) is ignored too
        std::fs::remove_file(entry.join("manifest.json")).unwrap();
        let (_, u6) = cache
            .run_in_dir("fake", "fake", &key, &a, || {
                fake_step(&a, "hello", &mut runs)
            })
            .unwrap();
        assert_eq!((u6.status, runs), (CacheStatus::Miss, 4));

        // off: always run, nothing stored
        let (_, u7) = Cache::off()
            .run_in_dir("fake", "fake", &key, &a, || {
                fake_step(&a, "hello", &mut runs)
            })
            .unwrap();
        assert_eq!((u7.status, runs), (CacheStatus::Off, 5));
    }

    #[test]
    fn a_failed_step_stores_nothing_and_timings_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path().join("cache"));
        let key = Key::new("fake").part("input", b"x");
        let out = tmp.path().join("o");
        let r: Result<(Fake, CacheUse)> =
            cache.run_in_dir("fake", "fake", &key, &out, || bail!("tool failed"));
        assert!(r.is_err());
        assert!(!tmp
            .path()
            .join("cache")
            .join("fake")
            .join(key.hex())
            .exists());
        assert_eq!(cache.estimate("synthesis lite"), None);
        cache.record("synthesis lite", 12.5);
        cache.record("power lite", 3.0);
        assert_eq!(cache.estimate("synthesis lite"), Some(12.5));
        assert_eq!(Cache::off().estimate("synthesis lite"), None);
    }

    #[test]
    fn relocation_moves_only_paths_under_the_folder() {
        let v = serde_json::json!({"a": "/x/out/f.v", "b": ["/x/out", "/x/outside", "text"]});
        let r = relocate(v, "/x/out", "/y");
        assert_eq!(
            r,
            serde_json::json!({"a": "/y/f.v", "b": ["/y", "/x/outside", "text"]})
        );
    }
}
