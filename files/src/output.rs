//! The one safe-output rule: an output is a **new name or a regular file** (replaced only
//! when allowed), never written **through a link**, and **complete or absent**.
//!
//! An output is written as an unnamed file in its folder (Linux `O_TMPFILE`) and linked into
//! place when complete, so even `SIGKILL` leaves nothing behind; where that is not available
//! (or `NEURICE_NAMED_TEMP` is set, for tests) a hidden temporary file beside it is used,
//! removed on error and on `SIGINT`, `SIGTERM`, `SIGHUP` ([`crate::signals`]). A replaced
//! regular file keeps its mode. A symbolic link, a device, a FIFO, a socket or a folder at
//! the output's path is refused with what it is; so is an existing file unless replacing is
//! allowed (`force`: `--force` for a command's named outputs; always for the files a command
//! owns in its output folder, such as tool logs and reports). `-` is standard output, which
//! must be neither a terminal (for binary data) nor `/dev/null` (a closed standard output
//! becomes `/dev/null` at start-up, so it would be taken for success).

use std::fs::{self, File, Metadata};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};

use crate::signals::{with_signals_held, Cleanup};

/// Whether `p` is `-`, standard input or output.
pub fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
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

/// Checks that standard output may receive binary data: not a terminal, not `/dev/null`.
pub fn check_stdout() -> Result<()> {
    if std::io::stdout().is_terminal() {
        bail!(
            "not writing binary data to a terminal: redirect standard output (`> FILE`) or name an output file"
        );
    }
    if crate::identity::stdout_is_dev_null() {
        bail!(
            "standard output is /dev/null or closed: the output would go nowhere; name an \
             output file or redirect standard output to one"
        );
    }
    Ok(())
}

/// Checks that `path` may receive an output, before any work is done: `-` is standard output
/// ([`check_stdout`]); an existing path must be a regular file and `force` given. Returns
/// the mode of the regular file to be replaced.
pub fn check_output(path: &Path, force: bool) -> Result<Option<u32>> {
    if is_stdio(path) {
        check_stdout()?;
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

/// Checks every path of `paths` with [`check_output`] before any is written, so that a
/// command with several outputs writes all of them or none for a reason known in advance.
pub fn check_outputs<P: AsRef<Path>>(paths: &[P], force: bool) -> Result<()> {
    for p in paths {
        check_output(p.as_ref(), force)?;
    }
    Ok(())
}

/// Checks that a file a tool will write itself (a netlist, a bitstream) may be written at
/// `path` — a new name or a regular file, never a link — and removes a regular file left by
/// an earlier run, so that it cannot be taken for this run's and the tool creates a new
/// file rather than writing through anything.
pub fn clear_tool_output(path: &Path) -> Result<()> {
    if check_output(path, true)?.is_some() {
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing stale {}", path.display())),
        }
    }
    Ok(())
}

/// Creates an output folder (and its parents), saying so when the path is something else.
pub fn create_out_dir(dir: &Path) -> Result<()> {
    if let Ok(m) = fs::metadata(dir) {
        if !m.is_dir() {
            bail!(
                "{} is {}, not a directory (-o names an output folder)",
                dir.display(),
                kind(&m)
            );
        }
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))
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
struct Writeback {
    file: File,
    /// Bytes written, and the end of the range whose writeback was started.
    written: u64,
    started: u64,
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_BYTES {
            start_writeback(&self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
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

// ---- an output being written ----------------------------------------------------------

/// Where an [`Output`]'s bytes go until it is placed.
enum Temp {
    /// An unnamed file in the output's folder (`O_TMPFILE`).
    #[cfg(target_os = "linux")]
    Unnamed(File),
    /// A hidden named file beside the output, removed on drop and on a signal.
    Named(tempfile::NamedTempFile, Cleanup),
}

impl Temp {
    fn file(&self) -> &File {
        match self {
            #[cfg(target_os = "linux")]
            Temp::Unnamed(f) => f,
            Temp::Named(t, _) => t.as_file(),
        }
    }
}

/// Whether every output is flushed to the disk (`fsync`) before it is put in place
/// (`--sync`). Off by default, as gzip, zstd and flac do, except where an output replaces a
/// file (`--force`): then always, so that a power loss cannot leave an empty file where the
/// replaced one was. Either way an output appears only when complete (an interrupted process,
/// even `kill -9`, leaves nothing), but after a power loss a NEW file just written may be
/// empty. The fsync was 5-7 ms of a 13 ms per-file `compress` (issue 29).
static SYNC: AtomicBool = AtomicBool::new(false);

/// Turns [`SYNC`] on or off (`--sync`).
pub fn set_sync(on: bool) {
    SYNC.store(on, Ordering::SeqCst);
}

/// A file output being written: invisible until [`Output::finish`] puts it in place; dropped
/// without `finish` (an error, a panic) it leaves nothing. Written through a 1 MiB buffer.
pub struct Output {
    path: PathBuf,
    dir: PathBuf,
    replace: Option<u32>,
    /// The mode to give the file (default: the replaced file's, else 0666 less the umask).
    mode: Option<u32>,
    temp: Temp,
    w: std::io::BufWriter<Writeback>,
}

fn output_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Output {
    /// Starts the output at `path` (not `-`), after [`check_output`]: a regular file there is
    /// replaced at the end only if `force`.
    pub fn create(path: &Path, force: bool) -> Result<Output> {
        if is_stdio(path) {
            bail!("internal: Output::create for standard output");
        }
        let replace = check_output(path, force)?;
        let dir = output_dir(path);
        let temp = Self::temp_in(&dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot write {}: cannot create a file in its folder {}: {e}",
                path.display(),
                dir.display()
            )
        })?;
        let file = temp
            .file()
            .try_clone()
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Output {
            path: path.to_path_buf(),
            dir,
            replace,
            mode: replace,
            temp,
            w: std::io::BufWriter::with_capacity(
                1 << 20,
                Writeback {
                    file,
                    written: 0,
                    started: 0,
                },
            ),
        })
    }

    /// The temporary file in `dir`; the error is the system's alone (no temporary name).
    fn temp_in(dir: &Path) -> std::io::Result<Temp> {
        #[cfg(target_os = "linux")]
        if std::env::var_os("NEURICE_NAMED_TEMP").is_none() {
            // NEURICE_NAMED_TEMP (for tests) forces the fallback below
            match unnamed_file(dir) {
                Ok(f) => return Ok(Temp::Unnamed(f)),
                Err(e)
                    if e.kind() == std::io::ErrorKind::Unsupported
                        || e.raw_os_error()
                            == Some(rustix::io::Errno::OPNOTSUPP.raw_os_error())
                        || e.raw_os_error() == Some(rustix::io::Errno::ISDIR.raw_os_error())
                        || e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {}
                Err(e) => return Err(e),
            }
        }
        let mut builder = tempfile::Builder::new();
        // Like any newly created file (0666 less the umask), not the temporary file's 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        // the signals wait while the file is created and registered, so none can leave it
        with_signals_held(|| {
            builder.tempfile_in(dir).map(|tmp| {
                let guard = Cleanup::new(tmp.path());
                Temp::Named(tmp, guard)
            })
        })
        // tempfile's error names the temporary path: keep only the system's
        .map_err(|e| match e.raw_os_error() {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::new(e.kind(), e.kind().to_string()),
        })
    }

    /// Gives the file `mode` when it is placed (instead of the replaced file's).
    pub fn set_mode(&mut self, mode: u32) {
        self.mode = Some(mode);
    }

    /// The path the output will have.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Completes the output: flushes it, syncs it when it replaces a file or `--sync` asked
    /// ([`set_sync`]), gives it the replaced file's mode, and puts it in place (without
    /// `force` never over a file that appeared meanwhile).
    pub fn finish(mut self) -> Result<()> {
        let path = self.path.clone();
        let sync = self.replace.is_some() || SYNC.load(Ordering::SeqCst);
        self.w
            .flush()
            .and_then(|_| {
                if sync {
                    self.temp.file().sync_all()
                } else {
                    Ok(())
                }
            })
            .with_context(|| format!("cannot write {}", path.display()))?;
        if let Some(mode) = self.mode {
            set_mode(self.temp.file(), mode)
                .with_context(|| format!("cannot set the mode of {}", path.display()))?;
        }
        let Output {
            dir, replace, temp, ..
        } = self;
        match temp {
            #[cfg(target_os = "linux")]
            Temp::Unnamed(f) => link_into_place(&f, &path, &dir, replace),
            Temp::Named(tmp, _guard) => {
                if replace.is_some() {
                    check_output(&path, true)?;
                }
                // Without --force the final rename must not replace a file that appeared.
                let placed = if replace.is_some() {
                    tmp.persist(&path).map(|_| ()).map_err(|e| e.error)
                } else {
                    tmp.persist_noclobber(&path)
                        .map(|_| ())
                        .map_err(|e| e.error)
                };
                placed.with_context(|| {
                    format!("cannot move the output into place at {}", path.display())
                })
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.w.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
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

/// Gives the written unnamed file its name: `linkat` refuses an existing name (no
/// clobbering, even by a file that appeared meanwhile); a replacement links to a hidden name
/// first and renames it over the old file.
#[cfg(target_os = "linux")]
fn link_into_place(f: &File, path: &Path, dir: &Path, replace: Option<u32>) -> Result<()> {
    use rustix::fs::{AtFlags, CWD};
    use std::os::fd::AsRawFd;
    let proc = format!("/proc/self/fd/{}", f.as_raw_fd());
    let link = |to: &Path| -> std::io::Result<()> {
        match rustix::fs::linkat(CWD, proc.as_str(), CWD, to, AtFlags::SYMLINK_FOLLOW) {
            // without /proc: AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH)
            Err(e) if e == rustix::io::Errno::NOENT && !Path::new("/proc/self/fd").exists() => {
                rustix::fs::linkat(f, "", CWD, to, AtFlags::EMPTY_PATH).map_err(Into::into)
            }
            r => r.map_err(Into::into),
        }
    };
    match replace {
        None => link(path).map_err(|e| {
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
                let guard = Cleanup::new(&hidden);
                link(&hidden).map(|_| guard).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot replace {}: cannot create a file in its folder {}: {e}",
                        path.display(),
                        dir.display()
                    )
                })
            })?;
            let placed = check_output(path, true).and_then(|_| {
                fs::rename(&hidden, path)
                    .with_context(|| format!("cannot replace {}", path.display()))
            });
            if placed.is_err() {
                let _ = fs::remove_file(&hidden);
            }
            placed
        }
    }
}

/// A hidden name beside `path`, unique to this process and call.
#[cfg(target_os = "linux")]
fn hidden_name(path: &Path, dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
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

// ---- whole outputs ------------------------------------------------------------------------

/// Writes `bytes` to `path` (`-`: standard output) under the rule of the module docs.
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
        check_stdout()?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let r = fill(&mut out)?;
        out.flush().context("cannot write to standard output")?;
        return Ok(r);
    }
    let mut out = Output::create(path, force)?;
    let r = fill(&mut out)?;
    out.finish()?;
    Ok(r)
}

/// Writes an executable script (mode 0755: a replayable build script) under the same rule;
/// an existing regular file there is replaced.
pub fn write_script(path: &Path, text: &str) -> Result<()> {
    let mut out = Output::create(path, true)?;
    out.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.set_mode(0o755);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn an_output_is_complete_or_absent_and_never_goes_through_a_link() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("important");
        fs::write(&target, b"keep me").unwrap();
        let link = t.path().join("yosys.log");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = Output::create(&link, true).err().unwrap();
        assert!(format!("{e:#}").contains("symbolic link"), "{e:#}");
        assert!(write_output(&link, b"x", true).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep me");

        // dropped unfinished: nothing
        let p = t.path().join("new.log");
        let mut o = Output::create(&p, true).unwrap();
        o.write_all(b"half").unwrap();
        drop(o);
        assert!(!p.exists());
        // finished: there, complete; replaced on the next run (a regular file)
        let mut o = Output::create(&p, true).unwrap();
        o.write_all(b"one").unwrap();
        assert!(!p.exists(), "visible before it is complete");
        o.finish().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_output(&p, b"two", true).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(write_output(&p, b"three", false).is_err());
        assert_eq!(names(t.path()), ["important", "new.log", "yosys.log"]);

        // a script is executable
        let s = t.path().join("build.sh");
        write_script(&s, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&s).unwrap().permissions().mode() & 0o777,
            0o755
        );
        std::os::unix::fs::symlink(&target, t.path().join("b2.sh")).unwrap();
        assert!(write_script(&t.path().join("b2.sh"), "x").is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
    }

    #[test]
    fn tool_outputs_are_cleared_but_links_refused() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("important");
        fs::write(&target, b"keep me").unwrap();
        let old = t.path().join("top.json");
        fs::write(&old, b"old").unwrap();
        clear_tool_output(&old).unwrap();
        assert!(!old.exists());
        clear_tool_output(&old).unwrap();
        let link = t.path().join("top.asc");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(clear_tool_output(&link).is_err());
        assert!(fs::symlink_metadata(&link).is_ok());
        assert!(check_outputs(&[old.as_path(), link.as_path()], true).is_err());
    }

    #[test]
    fn an_out_dir_that_is_a_file_is_named_as_such() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("afile");
        fs::write(&f, b"").unwrap();
        let e = format!("{:#}", create_out_dir(&f).unwrap_err());
        assert!(e.contains("a regular file, not a directory"), "{e}");
        create_out_dir(&t.path().join("a/b")).unwrap();
        assert!(t.path().join("a/b").is_dir());
    }
}
