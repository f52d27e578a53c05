//! # The Verilator engine: the emitted Verilog, verilated, against the golden model
//!
//! ```text
//!   Stimulus ──stdin──▶ ┌──────────────────────────┐ ──result file──▶ words, cycles,
//!  (NRSTIM01)           │ Vcore = verilated core + │   (NRRES003)     stalls ──▶ compare_words
//!                       │ sim/harness/harness.cpp  │                      ▲
//!                       └──────────────────────────┘     expected_words ──┘ (golden model)
//! ```
//!
//! * [`build`] verilates a Verilog text with the harness into one executable, cached under
//!   `build_dir` by a hash of the Verilog, the top name, the harness, the flags and the
//!   Verilator version (an unchanged design is not rebuilt). The log is kept beside it.
//! * [`lint`] runs `verilator --lint-only -Wall` with the narrow waivers of
//!   `sim/harness/lint.vlt`; any warning is an error.
//! * [`run`] simulates one [`Stimulus`]; [`run_batch`] simulates many, several per harness
//!   invocation and several invocations in parallel, and returns one [`SimReport`] per
//!   stimulus plus totals.
//! * Loading recordings into stimuli is engine-independent: [`crate::stimulus`].
//!
//! The harness drives the core exactly as the rust-hdl engine does (see the cycle description
//! at the top of `sim/harness/harness.cpp`): two [`crate::XorShift64`] draws every cycle (input
//! gap, then output backpressure), inputs changed with the clock low, handshakes sampled as
//! the design sees them at the rising edge, then `flush` held high until `idle`. A fresh
//! model is built for every run, so every run starts from the design's initial state.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use crate::{check_max_ends, golden, make_report, max_order};
use crate::{Engine, RunCounts, SimReport, Stimulus};

/// The C++ harness, compiled into every Verilator build.
pub const HARNESS_CPP: &str = include_str!("../harness/harness.cpp");
/// Lint waivers for rust-hdl's emitted Verilog (each one explained in the file).
pub const LINT_WAIVERS: &str = include_str!("../harness/lint.vlt");

/// The verilated class name; the harness includes `Vcore.h` whatever the top module is.
const PREFIX: &str = "Vcore";

/// Verilator flags of [`build`] (part of the cache key).
///
/// Warnings are not fatal here (`-Wno-fatal`): the co-simulation must run even on a design
/// with width warnings, because comparing against the golden model is what finds the bugs
/// those warnings hint at. [`lint`] is the strict gate.
const BUILD_FLAGS: &[&str] = &[
    "--cc",
    "--exe",
    "--build",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "--no-timing",
    "-Wno-fatal",
    "-CFLAGS",
    "-O2",
    "-MAKEFLAGS",
    "OPT_FAST=-O2",
    "-MAKEFLAGS",
    "OPT_GLOBAL=-O2",
];

/// Flags of a gate-level netlist's build, after [`BUILD_FLAGS`] (the later `-O` wins, for the
/// compiler and for make): its C++ is large and mostly run for short windows, so it is compiled
/// at `-O1`. Measured on the v2 core's netlist (2026-12-03; that core is since retired):
/// `make` took 43 s at `-O1` against 69 s at `-O2`, and 1024 channels × 30 frames ran in
/// 11.0 s against 10.0 s, with identical words. The code Verilator marks slow (construction, the trace's signal declarations: run
/// once) is compiled at `-O0`: on coder lite's traced netlist (2026-12-07, loaded machine) the
/// build took 104 s wall / 46 s CPU against 178 s / 65 s with it at `-O1`.
pub const GATE_LEVEL_OPT: &[&str] = &[
    "-CFLAGS",
    "-O1",
    "-MAKEFLAGS",
    "OPT_FAST=-O1",
    "-MAKEFLAGS",
    "OPT_GLOBAL=-O1",
    "-MAKEFLAGS",
    "OPT_SLOW=-O0",
];

/// The Verilator executable, found by the one tool lookup ([`neurice_synth::tools::find_tool`]:
/// `$NEURICE_VERILATOR`, else `verilator` on `PATH`).
fn verilator_exe() -> Result<PathBuf> {
    neurice_synth::tools::find_tool("verilator")
}

/// `verilator --version`, e.g. `Verilator 5.006 2023-01-22 rev (Debian 5.006-3)`.
pub fn verilator_version() -> Result<String> {
    let exe = verilator_exe()?;
    let v = neurice_synth::tools::tool_version("verilator", &exe);
    if !v.starts_with("Verilator") {
        bail!(
            "`{} --version` did not answer as Verilator: {v}",
            exe.display()
        );
    }
    Ok(v)
}

/// True when a usable Verilator is found (for tests that skip without it).
pub fn available() -> bool {
    verilator_version().is_ok()
}

/// The synthesis flow's rule, so a top accepted there is accepted here.
fn check_top(top: &str) -> Result<()> {
    neurice_synth::flow::check_top_name(top)
}

/// Runs a command in `dir` through the one tool runner ([`neurice_synth::tools::run_tool`]:
/// log kept, exit code checked, the log's tail in the error); returns its output.
fn run_logged(mut cmd: Command, dir: &Path, log: &Path, what: &str) -> Result<String> {
    cmd.current_dir(dir);
    let run =
        neurice_synth::tools::run_tool(&mut cmd, log).with_context(|| format!("{what} failed"))?;
    Ok(run.output)
}

/// Verilates `verilog` (top module `top`) with the harness into an executable and returns
/// its path. Cached: `build_dir/vl-<top>-<hash>/obj_dir/Vcore` is reused while the Verilog,
/// top, harness, flags and Verilator version are unchanged. The build log is
/// `build_dir/vl-<top>-<hash>/build.log` (a failed build is left in `…-failed` with its log).
/// A build runs in a private hidden folder, `build_dir/.vl-<top>-<hash>-<pid>-<n>`, renamed
/// into place when done: SIGINT, SIGTERM and SIGHUP remove it (`neurice_files::signals`),
/// and every call sweeps those of processes that have ended (a `kill -9`ed run's).
pub fn build(verilog: &str, top: &str, build_dir: &Path) -> Result<PathBuf> {
    build_with(verilog, top, build_dir, &[])
}

/// [`build`] with extra Verilator flags (part of the cache key), e.g. defines and warning
/// switches for a gate-level netlist with vendor cell models.
pub fn build_with(verilog: &str, top: &str, build_dir: &Path, extra: &[&str]) -> Result<PathBuf> {
    build_with_harness(verilog, top, build_dir, extra, HARNESS_CPP)
}

/// [`build_with`] around another C++ harness (`harness_cpp`, which includes `Vcore.h`): for
/// co-simulating a building block of a core on its own. Cached the same way.
pub fn build_with_harness(
    verilog: &str,
    top: &str,
    build_dir: &Path,
    extra: &[&str],
    harness_cpp: &str,
) -> Result<PathBuf> {
    check_top(top)?;
    let version = verilator_version()?;
    let flags = format!("{} {}", BUILD_FLAGS.join(" "), extra.join(" "));
    let key = crate::fnv1a(&[
        version.as_bytes(),
        flags.as_bytes(),
        top.as_bytes(),
        verilog.as_bytes(),
        harness_cpp.as_bytes(),
    ]);
    let dir = build_dir.join(format!("vl-{top}-{key:016x}"));
    let bin = dir.join("obj_dir").join(PREFIX);
    // One build per design at a time in this process: parallel tests (threads) asking for the
    // same model wait for the first build and then take it from the cache, instead of each
    // compiling it.
    let lock = build_lock(&dir);
    let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
    // the private folders of builds a signal or SIGKILL stopped (their process has ended):
    // swept at every call, a cached build too
    neurice_files::signals::sweep_stale(build_dir, ".vl-");
    if bin.is_file() {
        return Ok(bin);
    }
    std::fs::create_dir_all(build_dir)
        .with_context(|| format!("creating {}", build_dir.display()))?;
    // Build in a private directory (per process and per call: parallel tests are threads of
    // one process), then rename: concurrent builds of the same design never see a half-built
    // executable or each other's files. SIGINT, SIGTERM and SIGHUP remove it.
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = build_dir.join(format!(".vl-{top}-{key:016x}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let _cleanup = neurice_files::signals::private_dir(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    let vfile = format!("{top}.v");
    std::fs::write(tmp.join(&vfile), verilog)?;
    std::fs::write(tmp.join("harness.cpp"), harness_cpp)?;
    let mut cmd = Command::new(verilator_exe()?);
    cmd.args(BUILD_FLAGS)
        .args(extra)
        .args(["-j", "2", "--prefix", PREFIX, "--top-module", top])
        .args(["--Mdir", "obj_dir", "-o", PREFIX])
        .arg(&vfile)
        .arg("harness.cpp");
    let log = tmp.join("build.log");
    if let Err(e) = run_logged(cmd, &tmp, &log, "verilator build") {
        let failed = build_dir.join(format!("vl-{top}-{key:016x}-failed"));
        let _ = std::fs::remove_dir_all(&failed);
        let kept = if std::fs::rename(&tmp, &failed).is_ok() {
            format!(" (kept in {})", failed.display())
        } else {
            String::new()
        };
        return Err(e.context(format!("building the Verilator model of `{top}`{kept}")));
    }
    if !tmp.join("obj_dir").join(PREFIX).is_file() {
        bail!(
            "verilator reported success but {} is missing; log: {}",
            tmp.join("obj_dir").join(PREFIX).display(),
            log.display()
        );
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        // another process finished the same build first
        let _ = std::fs::remove_dir_all(&tmp);
        if !bin.is_file() {
            bail!("cannot move the Verilator build to {}", dir.display());
        }
    }
    Ok(bin)
}

/// The in-process lock of one build directory (see [`build_with_harness`]).
fn build_lock(dir: &Path) -> std::sync::Arc<std::sync::Mutex<()>> {
    type Locks = std::sync::Mutex<HashMap<PathBuf, std::sync::Arc<std::sync::Mutex<()>>>>;
    static LOCKS: std::sync::OnceLock<Locks> = std::sync::OnceLock::new();
    let mut map = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(dir.to_path_buf()).or_default().clone()
}

/// `verilator --lint-only -Wall` on `verilog` (top `top`), with the waivers of
/// `sim/harness/lint.vlt`. Writes `log_dir/<top>.v`, `log_dir/lint.vlt` and
/// `log_dir/lint.log`; any warning or error fails, with the log tail in the message.
pub fn lint(verilog: &str, top: &str, log_dir: &Path) -> Result<()> {
    check_top(top)?;
    std::fs::create_dir_all(log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    let vfile = format!("{top}.v");
    let log = log_dir.join("lint.log");
    // the one safe-output rule (neurice_files): all three checked before any is written
    let files = [log_dir.join(&vfile), log_dir.join("lint.vlt"), log.clone()];
    neurice_files::check_outputs(&files, true)?;
    neurice_files::write_output(&files[0], verilog.as_bytes(), true)?;
    neurice_files::write_output(&files[1], LINT_WAIVERS.as_bytes(), true)?;
    let mut cmd = Command::new(verilator_exe()?);
    cmd.args(["--lint-only", "-Wall", "--no-timing", "--top-module", top])
        .arg("lint.vlt")
        .arg(&vfile);
    let text = run_logged(cmd, log_dir, &log, "verilator --lint-only -Wall")?;
    if text.contains("%Warning") || text.contains("%Error") {
        bail!(
            "verilator --lint-only -Wall reported warnings; log: {}\n{}",
            log.display(),
            neurice_synth::tools::tail_lines(&text, neurice_synth::tools::LOG_TAIL_LINES)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Running the harness
// ---------------------------------------------------------------------------------------

/// What the harness measured for one stimulus, before the comparison with the golden model.
#[derive(Clone, Debug, Default)]
pub struct RawRun {
    /// 0 ok, 1 no handshake for 2^20 cycles while feeding, 2 no `idle` within 2^20 flush cycles.
    pub status: u32,
    /// Samples per input transfer of the verilated core (1, or 2 for the 2-lane core).
    pub lanes: u32,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub samples_taken: u64,
    pub flush_cycles: u64,
    /// Words the core offered in the 8 cycles after `idle` (a bug; they are in `words` too).
    pub extra_words: u64,
    /// Simulation time of this run inside the harness (model construction included).
    pub seconds: f64,
    pub words: Vec<u32>,
    /// Indices of the words taken with `out_end` high (the packet core's packet ends), or,
    /// for a core without `out_end`, with `out_last` high (a max core's substream end; a
    /// segment end of a core with restarts).
    pub ends: Vec<usize>,
    /// Per word taken, for a core with `out_bytes` (the max core; empty for the others):
    /// bit 0 `out_stream` (the max core's substream), bits 3..1 `out_bytes`.
    pub tags: Vec<u8>,
}

impl RawRun {
    /// `out_stream` of every word (all false without tags).
    pub fn streams(&self) -> Vec<bool> {
        (0..self.words.len())
            .map(|i| self.tags.get(i).is_some_and(|t| t & 1 == 1))
            .collect()
    }

    /// `out_bytes` of the words in [`RawRun::ends`] (`None` without tags).
    pub fn end_bytes(&self) -> Option<Vec<u32>> {
        (!self.tags.is_empty()).then(|| {
            self.ends
                .iter()
                .map(|&e| self.tags.get(e).map_or(0, |t| (t >> 1) as u32))
                .collect()
        })
    }
}

impl RawRun {
    pub fn check(&self, stim: &Stimulus) -> Result<()> {
        match self.status {
            0 => Ok(()),
            1 => bail!(
                "{}: the core stopped making progress (no handshake for 2^20 cycles) after \
                 {} of {} samples, {} words, {} cycles",
                stim.label,
                self.samples_taken,
                stim.samples.len(),
                self.words.len(),
                self.cycles
            ),
            2 => bail!(
                "{}: `idle` not reached within 2^20 flush cycles ({} words, {} cycles)",
                stim.label,
                self.words.len(),
                self.cycles
            ),
            s => bail!("{}: harness status {s}", stim.label),
        }
    }
}

/// Writes the stimulus file format described in `harness.cpp` (magic `NRSTIM01`).
pub fn write_stimuli(w: &mut impl Write, stims: &[&Stimulus]) -> std::io::Result<()> {
    w.write_all(b"NRSTIM01")?;
    w.write_all(&(stims.len() as u32).to_le_bytes())?;
    let mut buf = Vec::with_capacity(1 << 16);
    for s in stims {
        w.write_all(&(s.channels as u32).to_le_bytes())?;
        w.write_all(&s.input_gap_per_mille.to_le_bytes())?;
        w.write_all(&s.backpressure_per_mille.to_le_bytes())?;
        w.write_all(&0u32.to_le_bytes())?;
        w.write_all(&s.seed.to_le_bytes())?;
        w.write_all(&(s.samples.len() as u64).to_le_bytes())?;
        for chunk in s.samples.chunks(1 << 15) {
            buf.clear();
            for &x in chunk {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            w.write_all(&buf)?;
        }
    }
    w.flush()
}

/// Parses the result file format described in `harness.cpp` (magic `NRRES003`).
pub fn read_results(bytes: &[u8], runs: usize) -> Result<Vec<RawRun>> {
    struct Cur<'a>(&'a [u8]);
    impl Cur<'_> {
        fn take(&mut self, n: usize) -> Result<&[u8]> {
            if self.0.len() < n {
                bail!("harness result file is truncated");
            }
            let (a, b) = self.0.split_at(n);
            self.0 = b;
            Ok(a)
        }
        fn u32(&mut self) -> Result<u32> {
            Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
        }
        fn u64(&mut self) -> Result<u64> {
            Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
        }
    }
    let mut c = Cur(bytes);
    if c.take(8)? != b"NRRES003" {
        bail!("harness result file has a bad magic");
    }
    let n = c.u32()? as usize;
    if n != runs {
        bail!("harness wrote {n} results for {runs} stimuli");
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let status = c.u32()?;
        let lanes = c.u32()?.max(1);
        let mut r = RawRun {
            status,
            lanes,
            cycles: c.u64()?,
            stall_cycles: c.u64()?,
            samples_taken: c.u64()?,
            flush_cycles: c.u64()?,
            extra_words: c.u64()?,
            seconds: c.u64()? as f64 * 1e-9,
            words: Vec::new(),
            ends: Vec::new(),
            tags: Vec::new(),
        };
        let count = c.u64()? as usize;
        let raw = c.take(
            count
                .checked_mul(4)
                .ok_or_else(|| anyhow!("bad word count"))?,
        )?;
        r.words = raw
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let ends = c.u64()? as usize;
        if ends > r.words.len() {
            bail!(
                "harness result lists {ends} packet ends for {} words",
                r.words.len()
            );
        }
        r.ends = (0..ends)
            .map(|_| c.u64().map(|e| e as usize))
            .collect::<Result<_>>()?;
        let tags = c.u64()? as usize;
        if tags != 0 && tags != r.words.len() {
            bail!(
                "harness result has {tags} word tags for {} words",
                r.words.len()
            );
        }
        r.tags = c.take(tags)?.to_vec();
        out.push(r);
    }
    if !c.0.is_empty() {
        bail!("harness result file has {} trailing bytes", c.0.len());
    }
    Ok(out)
}

/// One harness invocation on several stimuli; `progress` gets the samples taken so far in
/// this invocation.
fn invoke(binary: &Path, stims: &[&Stimulus], progress: &dyn Fn(u64)) -> Result<Vec<RawRun>> {
    let (tmp, _cleanup) = neurice_files::with_signals_held(|| {
        tempfile::Builder::new()
            .prefix("neurice-vl-")
            .tempdir()
            .map(|t| {
                let c = neurice_files::Cleanup::new(t.path());
                (t, c)
            })
    })
    .context("creating a temporary folder for the harness result")?;
    let result_path = tmp.path().join("result.bin");
    let mut child = Command::new(binary)
        .arg("-")
        .arg(&result_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting the Verilator harness {}", binary.display()))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let (status, stderr_text, write_result) = std::thread::scope(|s| {
        let writer = s.spawn(move || {
            // a harness that exits early is an error to report, not a SIGPIPE that ends us
            neurice_files::signals::block_sigpipe_in_this_thread();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdin);
            write_stimuli(&mut w, stims)
            // dropping `w` closes the pipe
        });
        let err_reader = s.spawn(move || {
            let mut t = String::new();
            let _ = stderr.read_to_string(&mut t);
            t
        });
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("progress ") {
                if let Ok(n) = n.trim().parse::<u64>() {
                    progress(n);
                }
            }
        }
        let status = child.wait();
        let write_result = writer.join().expect("stimulus writer panicked");
        let stderr_text = err_reader.join().unwrap_or_default();
        (status, stderr_text, write_result)
    });
    let status = status.context("waiting for the Verilator harness")?;
    // exit 0: all runs ok; 3: some run failed, its status is in the result file
    if !(status.success() || status.code() == Some(3)) {
        bail!(
            "Verilator harness {} failed ({status}): {}",
            binary.display(),
            stderr_text.trim()
        );
    }
    write_result.context("writing the stimulus to the harness")?;
    let bytes = std::fs::read(&result_path)
        .with_context(|| format!("reading {}", result_path.display()))?;
    read_results(&bytes, stims.len())
}

/// Runs many stimuli through the harness without comparing: `jobs` harness processes in
/// parallel, each on a share of the stimuli (balanced by sample count). `progress` gets the
/// total samples taken so far. Results are in the order of `stims`.
pub fn run_raw(
    stims: &[&Stimulus],
    binary: &Path,
    jobs: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<RawRun>> {
    for s in stims {
        s.validate()?;
    }
    let groups = balance(stims, jobs);
    let (tx, rx) = mpsc::channel::<(usize, u64)>();
    let mut results: Vec<Option<RawRun>> = vec![None; stims.len()];
    let outcome: Result<()> = std::thread::scope(|s| {
        let handles: Vec<_> = groups
            .iter()
            .enumerate()
            .map(|(g, idx)| {
                let tx = tx.clone();
                let group: Vec<&Stimulus> = idx.iter().map(|&i| stims[i]).collect();
                s.spawn(move || {
                    let report = move |n: u64| {
                        let _ = tx.send((g, n));
                    };
                    invoke(binary, &group, &report)
                })
            })
            .collect();
        drop(tx);
        let mut per_group = vec![0u64; groups.len()];
        for (g, n) in rx {
            per_group[g] = n;
            progress(per_group.iter().sum());
        }
        for (h, idx) in handles.into_iter().zip(&groups) {
            let runs = h.join().expect("harness thread panicked")?;
            for (r, &i) in runs.into_iter().zip(idx) {
                results[i] = Some(r);
            }
        }
        Ok(())
    });
    outcome?;
    Ok(results
        .into_iter()
        .map(|r| r.expect("every stimulus has a result"))
        .collect())
}

/// Splits stimulus indices into at most `jobs` groups of similar total sample count
/// (largest first into the lightest group), each group in input order.
fn balance(stims: &[&Stimulus], jobs: usize) -> Vec<Vec<usize>> {
    let jobs = jobs.clamp(1, stims.len().max(1));
    let mut order: Vec<usize> = (0..stims.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(stims[i].samples.len()));
    let mut groups = vec![(0usize, Vec::new()); jobs];
    for i in order {
        let g = groups
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("at least one group");
        g.0 += stims[i].samples.len() + 1;
        g.1.push(i);
    }
    groups
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(_, mut v)| {
            v.sort_unstable();
            v
        })
        .collect()
}

/// Compares one harness result with the golden model and fills a [`SimReport`].
pub fn report(stim: &Stimulus, raw: &RawRun) -> Result<SimReport> {
    raw.check(stim)?;
    let g = golden(stim)?;
    let detail = |i: usize| {
        format!(
            "verilator: word {i} of {} taken; run {} cycles ({} flushing, {} stalls), \
             {} extra words after idle",
            raw.words.len(),
            raw.cycles,
            raw.flush_cycles,
            raw.stall_cycles,
            raw.extra_words
        )
    };
    let counts = RunCounts {
        samples_taken: raw.samples_taken,
        cycles: raw.cycles,
        stall_cycles: raw.stall_cycles,
        seconds: raw.seconds,
    };
    let end_bytes = raw.end_bytes();
    if g.max.is_some() {
        // the two substreams' words, split by their tags
        let (words, ends, bytes) = max_order(
            &raw.words,
            &raw.streams(),
            &raw.ends,
            end_bytes.as_deref().unwrap_or_default(),
        );
        let golden = (g.words.as_slice(), g.first_sample.as_slice());
        let mut r = make_report(Engine::Verilator, stim, golden, &words, counts, detail);
        let bytes = end_bytes.is_some().then_some(bytes.as_slice());
        check_max_ends(&mut r, g.max, words.len(), &ends, bytes);
        return Ok(r);
    }
    Ok(make_report(
        Engine::Verilator,
        stim,
        (&g.words, &g.first_sample),
        &raw.words,
        counts,
        detail,
    ))
}

/// Simulates one stimulus with the Verilator executable from [`build`] and compares every
/// word with the golden model. `progress` gets the samples taken so far.
pub fn run(stim: &Stimulus, binary: &Path, progress: &mut dyn FnMut(u64)) -> Result<SimReport> {
    let raw = run_raw(&[stim], binary, 1, progress)?;
    report(stim, &raw[0])
}

/// Totals of a [`run_batch`].
#[derive(Clone, Debug, Serialize)]
pub struct BatchReport {
    pub engine: Engine,
    /// Harness processes run in parallel.
    pub jobs: usize,
    pub runs: usize,
    pub samples: u64,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub words: u64,
    pub mismatches: u64,
    /// Runs with at least one mismatch.
    pub failed_runs: usize,
    /// Wall time of the whole batch: stimulus transfer, simulation and comparison.
    pub wall_seconds: f64,
    /// Sum of the per-run simulation times inside the harnesses.
    pub sim_seconds: f64,
    /// `cycles / sim_seconds`: the speed of one verilated model.
    pub cycles_per_second: f64,
    pub reports: Vec<SimReport>,
}

/// Simulates many stimuli (several per harness invocation, `jobs` invocations in parallel)
/// and compares each with the golden model. `progress` gets the total samples taken so far.
/// A run that deadlocks is an error; mismatches are reported, not errors.
pub fn run_batch(
    stims: &[Stimulus],
    binary: &Path,
    jobs: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<BatchReport> {
    let t0 = Instant::now();
    let refs: Vec<&Stimulus> = stims.iter().collect();
    let raws = run_raw(&refs, binary, jobs, progress)?;
    // golden-model comparison, spread over the same number of threads
    let threads = jobs.clamp(1, stims.len().max(1));
    let mut reports: Vec<Option<Result<SimReport>>> = (0..stims.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let chunk = stims.len().div_ceil(threads).max(1);
        for ((st, rw), out) in stims
            .chunks(chunk)
            .zip(raws.chunks(chunk))
            .zip(reports.chunks_mut(chunk))
        {
            s.spawn(move || {
                for ((stim, raw), o) in st.iter().zip(rw).zip(out.iter_mut()) {
                    *o = Some(report(stim, raw));
                }
            });
        }
    });
    let reports = reports
        .into_iter()
        .map(|r| r.expect("every run compared"))
        .collect::<Result<Vec<_>>>()?;
    let sum = |f: fn(&SimReport) -> u64| reports.iter().map(f).sum::<u64>();
    let sim_seconds: f64 = reports.iter().map(|r| r.seconds).sum();
    let cycles = sum(|r| r.cycles);
    Ok(BatchReport {
        engine: Engine::Verilator,
        jobs: threads,
        runs: reports.len(),
        samples: sum(|r| r.samples),
        cycles,
        stall_cycles: sum(|r| r.stall_cycles),
        words: sum(|r| r.words),
        mismatches: sum(|r| r.mismatches),
        failed_runs: reports.iter().filter(|r| r.mismatches > 0).count(),
        wall_seconds: t0.elapsed().as_secs_f64(),
        sim_seconds,
        cycles_per_second: if sim_seconds > 0.0 {
            cycles as f64 / sim_seconds
        } else {
            0.0
        },
        reports,
    })
}

/// The number of harness processes to run in parallel: the available cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::CodecParams;

    #[test]
    fn stimulus_and_result_formats_round_trip_through_the_parser() {
        let s = Stimulus::new(CodecParams::HARDWARE, 3, vec![1, 2, 1023], "t").with_pattern(
            crate::Pattern {
                input_gap_per_mille: 7,
                backpressure_per_mille: 9,
                seed: 0x1234_5678_9abc,
            },
        );
        let mut buf = Vec::new();
        write_stimuli(&mut buf, &[&s]).unwrap();
        assert_eq!(&buf[..8], b"NRSTIM01");
        assert_eq!(buf.len(), 8 + 4 + 4 * 4 + 8 + 8 + 3 * 2);
        assert_eq!(&buf[buf.len() - 2..], &1023u16.to_le_bytes());

        let mut res = b"NRRES003".to_vec();
        res.extend(1u32.to_le_bytes());
        res.extend(0u32.to_le_bytes());
        res.extend(2u32.to_le_bytes());
        for v in [10u64, 2, 3, 4, 0, 1_000_000_000, 2] {
            res.extend(v.to_le_bytes());
        }
        res.extend(0xdead_beefu32.to_le_bytes());
        res.extend(7u32.to_le_bytes());
        res.extend(1u64.to_le_bytes());
        res.extend(1u64.to_le_bytes());
        res.extend(2u64.to_le_bytes());
        res.extend([0u8, 3 << 1 | 1]);
        let r = read_results(&res, 1).unwrap();
        assert_eq!(r[0].words, [0xdead_beef, 7]);
        assert_eq!(r[0].ends, [1]);
        assert_eq!(r[0].streams(), [false, true]);
        assert_eq!(r[0].end_bytes(), Some(vec![3]));
        assert_eq!(r[0].lanes, 2);
        assert_eq!(
            (r[0].cycles, r[0].stall_cycles, r[0].samples_taken),
            (10, 2, 3)
        );
        assert!((r[0].seconds - 1.0).abs() < 1e-12);
        assert!(read_results(&res[..res.len() - 1], 1).is_err());
        assert!(read_results(&res, 2).is_err());
    }

    #[test]
    fn balance_spreads_by_samples_and_keeps_order() {
        let mk = |n: usize| Stimulus::new(CodecParams::HARDWARE, 1, vec![0; n], "");
        let v = [mk(100), mk(10), mk(90), mk(5)];
        let refs: Vec<&Stimulus> = v.iter().collect();
        let g = balance(&refs, 2);
        assert_eq!(g, vec![vec![0, 3], vec![1, 2]]);
        assert_eq!(balance(&refs, 9).len(), 4);
    }

    #[test]
    fn top_names_are_checked() {
        assert!(check_top("neurice_core").is_ok());
        assert!(check_top("a b").is_err());
        assert!(check_top("1x").is_err());
        // the same rule as synthesis
        for t in ["top", "top$child", "_x", "a;b", ""] {
            assert_eq!(
                check_top(t).is_ok(),
                neurice_synth::flow::check_top_name(t).is_ok(),
                "{t}"
            );
        }
    }
}
