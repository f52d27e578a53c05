//! File handling shared by the subcommands: input discovery, header-first bounded input,
//! safe output, the data folder.
//!
//! Inputs are checked from their first bytes before the rest is read, and never read beyond
//! their real size (or, for a pipe, beyond what the header allows). Outputs are invisible
//! until complete: on Linux an unnamed file (`O_TMPFILE`) in the output's folder, linked into
//! place at the end, so even `SIGKILL` leaves nothing behind; elsewhere (or where the file
//! system has no `O_TMPFILE`) a named hidden temporary file that `SIGINT`, `SIGTERM` and
//! `SIGHUP` remove. `--force` replaces regular files only, keeping their mode; `-` is standard
//! input or output.

use std::collections::HashSet;
use std::ffi::CString;
use std::fs::{self, File, Metadata};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use anyhow::{bail, Context, Result};

pub use neurice_flow::input::{
    describe_missing, input_name, is_stdio, kind, open_input, output_name,
};

/// Checks that `path` may receive an output, before any work is done: `-` must not be a
/// terminal; an existing path must be a regular file and `force` given. Returns the mode of
/// the regular file to be replaced.
pub fn check_output(path: &Path, force: bool) -> Result<Option<u32>> {
    if is_stdio(path) {
        if std::io::stdout().is_terminal() {
            bail!(
                "not writing binary data to a terminal: redirect standard output (`> FILE`) or name an output file"
            );
        }
        return Ok(None);
    }
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot inspect the output {}", path.display())),
        Ok(m) if m.file_type().is_symlink() => bail!(
            "{} is a symbolic link; neurice does not write through or replace links, even with --force (name the file itself, or remove the link)",
            path.display()
        ),
        Ok(m) if !m.is_file() => bail!(
            "{} is {}, not a regular file; --force replaces regular files only (to write to standard output, give `-` as the output)",
            path.display(),
            kind(&m)
        ),
        Ok(_) if !force => bail!(
            "{} already exists; not overwriting it (use --force to replace it)",
            path.display()
        ),
        Ok(m) => Ok(Some(mode_of(&m))),
    }
}

#[cfg(unix)]
fn mode_of(m: &Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &Metadata) -> u32 {
    0
}

#[cfg(unix)]
fn set_mode(f: &File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: u32) -> std::io::Result<()> {
    Ok(())
}

// ---- early writeback ----------------------------------------------------------------------

/// Bytes written between two writeback starts of [`Writeback`].
const WRITEBACK_BYTES: u64 = 8 << 20;

/// A file writer that starts the disk writes of what it has written every
/// [`WRITEBACK_BYTES`] (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does not wait),
/// so they overlap with the work still to do and the final `fsync` has only the tail left to
/// wait for: a 200 MB output took 0.41 s to write and `fsync` with `dd conv=fsync`, 0.11 s
/// without the `fsync`. Only a hint: the final `sync_all` is what reports errors.
struct Writeback<'a> {
    file: &'a File,
    /// Bytes written, and the end of the range whose writeback was started.
    written: u64,
    started: u64,
}

impl<'a> Writeback<'a> {
    fn new(file: &'a File) -> Self {
        Writeback {
            file,
            written: 0,
            started: 0,
        }
    }
}

impl Write for Writeback<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = (&mut &*self.file).write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_BYTES {
            start_writeback(self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        (&mut &*self.file).flush()
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(f: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a system call on an open file descriptor, with no memory passed; its result is
    // ignored on purpose (a hint; the final fsync reports any error).
    unsafe {
        libc::sync_file_range(
            f.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File, _: u64, _: u64) {}

// ---- removal of a named temporary file on SIGINT, SIGTERM and SIGHUP ---------------------

/// The named temporary file to remove if a signal ends the process (null: none).
static PENDING: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    let p = PENDING.load(Ordering::SeqCst);
    // SAFETY: `p` is null or a NUL-terminated path that is never freed; unlink and raise are
    // async-signal-safe. SA_RESETHAND restored the default action, so raise ends the process
    // with the signal's own status.
    unsafe {
        if !p.is_null() {
            libc::unlink(p);
        }
        libc::raise(sig);
    }
}

/// Installs the handlers once (only commands that write files call this).
fn install_signal_handlers() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                // SAFETY: a plain sigaction with a handler that only calls async-signal-safe
                // functions.
                unsafe {
                    let mut sa: libc::sigaction = std::mem::zeroed();
                    sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                    sa.sa_flags = libc::SA_RESETHAND;
                    libc::sigemptyset(&mut sa.sa_mask);
                    libc::sigaction(sig, &sa, std::ptr::null_mut());
                }
            }
        });
    }
}

/// Runs `f` with SIGINT, SIGTERM and SIGHUP held back (handlers installed first): a signal
/// that arrives meanwhile is handled when `f` has returned.
fn with_signals_held<T>(f: impl FnOnce() -> T) -> T {
    install_signal_handlers();
    #[cfg(unix)]
    {
        // SAFETY: sigset_t is plain data, initialised by sigemptyset; pthread_sigmask only
        // changes this thread's mask and is restored below.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, sig);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            let r = f();
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
            r
        }
    }
    #[cfg(not(unix))]
    f()
}

/// While alive, a signal removes `path` before the process ends.
struct RemoveOnSignal;

impl RemoveOnSignal {
    fn new(path: &Path) -> RemoveOnSignal {
        install_signal_handlers();
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
                // leaked on purpose: a handler running concurrently may still read it
                PENDING.store(c.into_raw(), Ordering::SeqCst);
            }
        }
        #[cfg(not(unix))]
        let _ = (path, CString::default());
        RemoveOnSignal
    }
}

impl Drop for RemoveOnSignal {
    fn drop(&mut self) {
        PENDING.store(std::ptr::null_mut(), Ordering::SeqCst);
    }
}

// ---- output ------------------------------------------------------------------------------

/// Whether outputs are flushed to the disk (`fsync`) before they are linked into place
/// (`--sync`). Off by default, as gzip, zstd and flac do: an output still appears only when
/// complete (an interrupted process, even `kill -9`, leaves nothing), but after a power loss
/// a file just written may be empty. The fsync was 5-7 ms of a 13 ms per-file `compress`
/// (issue 29).
static SYNC: AtomicBool = AtomicBool::new(false);

/// Turns [`SYNC`] on (`--sync`).
pub fn set_sync(on: bool) {
    SYNC.store(on, Ordering::SeqCst);
}

/// `fsync` of a finished output when `--sync` asked for it.
fn sync_if_asked(f: &File) -> std::io::Result<()> {
    if SYNC.load(Ordering::SeqCst) {
        f.sync_all()
    } else {
        Ok(())
    }
}

fn output_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` (`-`: standard output) so that no partial output is ever visible
/// under any name: see the module docs. Refuses to replace anything but a regular file, and a
/// regular file unless `force`; a replaced file keeps its mode.
pub fn write_output(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    write_output_with(path, force, |w| {
        w.write_all(bytes)
            .with_context(|| format!("cannot write {}", output_name(path)))
    })
}

/// [`write_output`] for an output written piece by piece: `fill` writes it (through a
/// buffer); the output appears under its name only if `fill` succeeds, and an error leaves
/// nothing behind (standard output, of course, keeps what was written).
pub fn write_output_with<T>(
    path: &Path,
    force: bool,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    if is_stdio(path) {
        check_output(path, force)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let r = fill(&mut out)?;
        out.flush().context("cannot write to standard output")?;
        return Ok(r);
    }
    let replace = check_output(path, force)?;
    let dir = output_dir(path);
    #[cfg(target_os = "linux")]
    if std::env::var_os("NEURICE_NAMED_TEMP").is_none() {
        // NEURICE_NAMED_TEMP (for tests) forces the fallback below
        match unnamed_file(&dir) {
            Ok(f) => return link_into_place(f, path, &dir, fill, replace),
            Err(e)
                if e.kind() == std::io::ErrorKind::Unsupported
                    || e.raw_os_error() == Some(rustix::io::Errno::OPNOTSUPP.raw_os_error())
                    || e.raw_os_error() == Some(rustix::io::Errno::ISDIR.raw_os_error())
                    || e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create a file in {}", dir.display()))
            }
        }
    }
    named_temp_into_place(path, &dir, fill, replace)
}

#[cfg(target_os = "linux")]
fn unnamed_file(dir: &Path) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags, CWD};
    let fd = rustix::fs::openat(
        CWD,
        dir,
        OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666), // like any new file: 0666 less the umask
    )?;
    Ok(File::from(fd))
}

/// Writes the unnamed file, then gives it its name: `linkat` refuses an existing name (no
/// clobbering, even by a file that appeared meanwhile); a forced replacement links to a hidden
/// name first and renames it over the old file.
#[cfg(target_os = "linux")]
fn link_into_place<T>(
    f: File,
    path: &Path,
    dir: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
    replace: Option<u32>,
) -> Result<T> {
    use rustix::fs::{AtFlags, CWD};
    use std::os::fd::AsRawFd;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, Writeback::new(&f));
    let r = fill(&mut w)?;
    w.flush()
        .and_then(|_| sync_if_asked(&f))
        .with_context(|| format!("cannot write {}", path.display()))?;
    drop(w);
    if let Some(mode) = replace {
        set_mode(&f, mode).with_context(|| format!("cannot set the mode of {}", path.display()))?;
    }
    let proc = format!("/proc/self/fd/{}", f.as_raw_fd());
    let link = |to: &Path| -> std::io::Result<()> {
        match rustix::fs::linkat(CWD, proc.as_str(), CWD, to, AtFlags::SYMLINK_FOLLOW) {
            // without /proc: AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH)
            Err(e) if e == rustix::io::Errno::NOENT && !Path::new("/proc/self/fd").exists() => {
                rustix::fs::linkat(&f, "", CWD, to, AtFlags::EMPTY_PATH).map_err(Into::into)
            }
            r => r.map_err(Into::into),
        }
    };
    match replace {
        None => link(path).map(|_| r).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "{} already exists; not overwriting it (use --force to replace it)",
                    path.display()
                )
            } else {
                anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
            }
        }),
        Some(_) => {
            let hidden = hidden_name(path, dir);
            let _guard = with_signals_held(|| {
                let guard = RemoveOnSignal::new(&hidden);
                link(&hidden)
                    .map(|_| guard)
                    .with_context(|| format!("cannot create {}", hidden.display()))
            })?;
            let placed = check_output(path, true).and_then(|_| {
                fs::rename(&hidden, path)
                    .with_context(|| format!("cannot replace {}", path.display()))
            });
            if placed.is_err() {
                let _ = fs::remove_file(&hidden);
            }
            placed.map(|_| r)
        }
    }
}

/// A hidden name beside `path`, unique to this process and call.
#[cfg(target_os = "linux")]
fn hidden_name(path: &Path, dir: &Path) -> PathBuf {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    let base = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    dir.join(format!(
        ".{base}.neurice-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// The fallback: a named hidden temporary file beside the output (removed on error, on drop
/// and on SIGINT/SIGTERM/SIGHUP), renamed into place.
fn named_temp_into_place<T>(
    path: &Path,
    dir: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
    replace: Option<u32>,
) -> Result<T> {
    let mut builder = tempfile::Builder::new();
    // Like any newly created file (0666 less the umask), not the temporary file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    // the signals wait while the file is created and registered, so none can leave it behind
    let (tmp, _guard) = with_signals_held(|| {
        builder
            .tempfile_in(dir)
            .map(|tmp| {
                let guard = RemoveOnSignal::new(tmp.path());
                (tmp, guard)
            })
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))
    })?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, Writeback::new(tmp.as_file()));
    let r = fill(&mut w)?;
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    drop(w);
    sync_if_asked(tmp.as_file()).with_context(|| format!("cannot write {}", path.display()))?;
    if let Some(mode) = replace {
        set_mode(tmp.as_file(), mode)
            .with_context(|| format!("cannot set the mode of {}", path.display()))?;
        check_output(path, true)?;
    }
    // Without --force the final rename must not replace a file that appeared meanwhile.
    let placed = if replace.is_some() {
        tmp.persist(path).map_err(|e| e.error)
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)
    };
    placed.with_context(|| format!("cannot move the output into place at {}", path.display()))?;
    Ok(r)
}

/// Refuses to write onto the input itself, whatever `--force` says.
pub fn ensure_distinct(input: &Path, output: &Path) -> Result<()> {
    if is_stdio(input) || is_stdio(output) {
        return Ok(());
    }
    if let (Ok(a), Ok(b)) = (fs::canonicalize(input), fs::canonicalize(output)) {
        if a == b {
            bail!("the output {} is the input file itself", output.display());
        }
    }
    Ok(())
}

/// Expands directories into their `.wav` files (sorted, not recursive); keeps files as given.
/// A path that is not a regular file or a folder is refused with what it is (a device, a
/// FIFO, a symlink loop); a file given twice (after resolving links) is kept once, with a note.
pub fn collect_wavs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut listed = Vec::new();
    for p in inputs {
        let m = fs::metadata(p).map_err(|e| anyhow::anyhow!(describe_missing(p, &e)))?;
        if m.is_dir() {
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
