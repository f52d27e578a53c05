//! Removal of temporary files and folders when a signal ends the process, and the handling
//! of `SIGPIPE`.
//!
//! A path registered with [`Cleanup::new`] is removed — a file unlinked, a folder removed
//! with everything in it — if `SIGINT`, `SIGTERM` or `SIGHUP` (and `SIGPIPE`, when the
//! process has its default action, see [`default_sigpipe`]) ends the process while the
//! [`Cleanup`] lives. The handler only makes system calls (`unlinkat`, `openat`,
//! `getdents64`, `close`, `raise`), which are async-signal-safe, then ends the process with
//! the signal's own status. Up to [`SLOTS`] paths can be registered at once (more are not
//! removed on a signal; a later run's sweep, where there is one, still finds them).

use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Paths that can be registered at the same time.
pub const SLOTS: usize = 64;

/// The registered paths (null: a free slot). A path's `CString` is leaked on purpose: a
/// handler running concurrently may still read it after its slot is cleared.
static PENDING: [AtomicPtr<libc::c_char>; SLOTS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];

/// The signals whose default action ends the process and whose arrival removes the
/// registered paths first.
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Removes `name` in the folder `dir` (a file, or a folder with everything in it, at most
/// 16 levels deep) with system calls only.
///
/// # Safety
/// `name` is a NUL-terminated path; `dir` an open folder or `AT_FDCWD`.
#[cfg(target_os = "linux")]
unsafe fn remove_at(dir: libc::c_int, name: *const libc::c_char, depth: u32) {
    if libc::unlinkat(dir, name, 0) == 0 || depth > 16 {
        return;
    }
    let fd = libc::openat(
        dir,
        name,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
    );
    if fd < 0 {
        return;
    }
    // a few passes: entries removed while the folder is read may hide others
    for _ in 0..4 {
        libc::lseek(fd, 0, libc::SEEK_SET);
        let mut buf = [0u8; 2048];
        loop {
            let n = libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len());
            if n <= 0 {
                break;
            }
            let mut off = 0usize;
            while off + 19 < n as usize {
                // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
                let entry = buf.as_ptr().add(off + 19) as *const libc::c_char;
                let dot = *entry == b'.' as libc::c_char
                    && (*entry.add(1) == 0
                        || (*entry.add(1) == b'.' as libc::c_char && *entry.add(2) == 0));
                if !dot {
                    remove_at(fd, entry, depth + 1);
                }
                if reclen == 0 {
                    break;
                }
                off += reclen;
            }
        }
        if libc::unlinkat(dir, name, libc::AT_REMOVEDIR) == 0 {
            break;
        }
    }
    libc::close(fd);
}

#[cfg(all(unix, not(target_os = "linux")))]
unsafe fn remove_at(dir: libc::c_int, name: *const libc::c_char, _depth: u32) {
    // elsewhere only files and empty folders
    if libc::unlinkat(dir, name, 0) != 0 {
        libc::unlinkat(dir, name, libc::AT_REMOVEDIR);
    }
}

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    for slot in &PENDING {
        let p = slot.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: `p` is a NUL-terminated path that is never freed; remove_at makes
            // async-signal-safe system calls only.
            unsafe { remove_at(libc::AT_FDCWD, p, 0) };
        }
    }
    // SAFETY: SA_RESETHAND restored the default action, so raise ends the process with the
    // signal's own status once the handler returns.
    unsafe {
        libc::raise(sig);
    }
}

/// Installs the handlers once (called by the first registration).
fn install_handlers() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: plain sigaction calls with a handler that makes async-signal-safe calls
            // only; SIGPIPE is taken over only when its action is the default (a process that
            // ignores it, as Rust programs do unless told, keeps ignoring it).
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                sa.sa_flags = libc::SA_RESETHAND;
                libc::sigemptyset(&mut sa.sa_mask);
                for sig in SIGNALS {
                    libc::sigaction(sig, &sa, std::ptr::null_mut());
                }
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) == 0
                    && old.sa_sigaction == libc::SIG_DFL
                {
                    libc::sigaction(libc::SIGPIPE, &sa, std::ptr::null_mut());
                }
            }
        });
    }
}

/// Runs `f` with `SIGINT`, `SIGTERM` and `SIGHUP` held back in this thread (the handlers
/// installed first): a signal that arrives meanwhile is handled when `f` has returned. Used
/// to create a temporary path and register it as one step.
pub fn with_signals_held<T>(f: impl FnOnce() -> T) -> T {
    install_handlers();
    #[cfg(unix)]
    {
        // SAFETY: sigset_t is plain data, initialised by sigemptyset; pthread_sigmask only
        // changes this thread's mask and is restored below.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in SIGNALS {
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

/// While alive, a signal that ends the process removes the registered path first (a file, or
/// a folder and everything in it).
pub struct Cleanup {
    slot: Option<usize>,
}

impl Cleanup {
    /// Registers `path` (made absolute against the current folder).
    pub fn new(path: &Path) -> Cleanup {
        install_handlers();
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            if let Ok(c) = CString::new(abs.as_os_str().as_bytes()) {
                let p = c.into_raw();
                for (i, slot) in PENDING.iter().enumerate() {
                    if slot
                        .compare_exchange(
                            std::ptr::null_mut(),
                            p,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        )
                        .is_ok()
                    {
                        return Cleanup { slot: Some(i) };
                    }
                }
                // SAFETY: `p` came from CString::into_raw above and was never shared.
                drop(unsafe { CString::from_raw(p) });
            }
        }
        #[cfg(not(unix))]
        let _ = (abs, CString::default());
        Cleanup { slot: None }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            PENDING[i].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}

/// Creates the folder `path` (and its parents) for this process's private use and registers
/// it: a signal that ends the process removes it with everything in it. Created and
/// registered with the signals held, so no signal can come between.
pub fn private_dir(path: &Path) -> std::io::Result<Cleanup> {
    with_signals_held(|| {
        std::fs::create_dir_all(path)?;
        Ok(Cleanup::new(path))
    })
}

/// Whether the process `pid` has ended (no such process).
pub fn process_is_gone(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        false
    }
}

/// Removes the entries of `dir` named `<prefix>…-<pid>-<n>` whose process `pid` has ended:
/// the private folders of runs that a signal or `SIGKILL` stopped before they could clean up
/// (this process's own, and those of processes still running, are left alone). Returns how
/// many were removed.
pub fn sweep_stale(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let mut parts = rest.rsplitn(3, '-');
        let (Some(n), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(_), Ok(pid)) = (n.parse::<u64>(), pid.parse::<u32>()) else {
            continue;
        };
        if pid != std::process::id()
            && process_is_gone(pid)
            && std::fs::remove_dir_all(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Gives `SIGPIPE` its default action (for a command-line program's `main`, before any
/// output): writing to a closed pipe then ends the process quietly with the signal's status
/// (141 in a shell), as other Unix tools do, instead of an error or a panic at every print.
/// Outputs being written are still removed first (the handler of [`Cleanup`] takes
/// `SIGPIPE` over). A thread that writes to a child process's pipe calls
/// [`block_sigpipe_in_this_thread`] to get the error instead.
pub fn default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Holds `SIGPIPE` back in the calling thread, so that a write to a closed pipe fails with
/// `EPIPE` (an error to report) instead of ending the process: for threads feeding a child
/// process, which may exit early. The signal a failed write raises stays pending on this
/// thread and goes with it.
pub fn block_sigpipe_in_this_thread() {
    #[cfg(unix)]
    // SAFETY: sigset_t is plain data initialised by sigemptyset; only this thread's mask
    // changes.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn remove_at_removes_a_tree_with_system_calls_only() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("tree");
        for d in ["a/b/c", "a/d", "e"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for i in 0..300 {
            std::fs::write(
                root.join(format!("a/b/c/file-with-a-long-name-{i:04}")),
                b"x",
            )
            .unwrap();
        }
        std::fs::write(root.join("a/d/f"), b"x").unwrap();
        std::os::unix::fs::symlink(t.path(), root.join("e/link-out")).unwrap();
        std::fs::write(t.path().join("outside"), b"kept").unwrap();
        let c = CString::new(root.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        unsafe { remove_at(libc::AT_FDCWD, c.as_ptr(), 0) };
        assert!(!root.exists());
        // the link was removed, not followed
        assert_eq!(std::fs::read(t.path().join("outside")).unwrap(), b"kept");
        // a file
        let f = t.path().join("outside");
        let c = CString::new(f.to_str().unwrap()).unwrap();
        // SAFETY: as above.
        unsafe { remove_at(libc::AT_FDCWD, c.as_ptr(), 0) };
        assert!(!f.exists());
    }

    #[test]
    fn stale_private_folders_of_ended_processes_are_swept() {
        let t = tempfile::tempdir().unwrap();
        // a process that has ended: a child we waited for
        let dead = std::process::Command::new("true")
            .spawn()
            .and_then(|mut c| c.wait().map(|_| c.id()))
            .unwrap();
        let me = std::process::id();
        for name in [
            format!(".vl-top-00ab-{dead}-0"),
            format!(".vl-top-00ab-{me}-1"),
            ".vl-top-00ab-notapid-2".to_string(),
            "vl-top-00ab".to_string(),
        ] {
            std::fs::create_dir_all(t.path().join(&name).join("obj_dir")).unwrap();
        }
        assert_eq!(sweep_stale(t.path(), ".vl-"), 1);
        let mut left: Vec<String> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                format!(".vl-top-00ab-{me}-1"),
                ".vl-top-00ab-notapid-2".to_string(),
                "vl-top-00ab".to_string()
            ]
        );
        assert!(!process_is_gone(me));
    }

    #[test]
    fn slots_are_taken_and_given_back() {
        let t = tempfile::tempdir().unwrap();
        let all: Vec<Cleanup> = (0..SLOTS + 3)
            .map(|i| Cleanup::new(&t.path().join(i.to_string())))
            .collect();
        assert!(all.iter().filter(|c| c.slot.is_some()).count() <= SLOTS);
        drop(all);
        // every slot this test took is free again (other tests may hold some)
        assert!(Cleanup::new(&t.path().join("x")).slot.is_some());
    }
}
