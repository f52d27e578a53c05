//! Which file a path or a standard stream is (device and inode), so that an output is never
//! the input itself — also when the input is standard input redirected from the output's
//! file, or a hard link to it.

use std::path::Path;

use anyhow::{bail, Result};

use crate::output::is_stdio;

/// A file's identity: device and inode, and whether it is a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub regular: bool,
}

#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // st_dev and st_ino are not u64 on every Unix
fn of_stat(s: &rustix::fs::Stat) -> FileId {
    FileId {
        dev: s.st_dev as u64,
        ino: s.st_ino as u64,
        regular: rustix::fs::FileType::from_raw_mode(s.st_mode)
            == rustix::fs::FileType::RegularFile,
    }
}

/// The identity of the file `path` names (links followed); `None` if it does not exist.
pub fn id_of_path(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        rustix::fs::stat(path).ok().map(|s| of_stat(&s))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The identity of standard input's file.
pub fn id_of_stdin() -> Option<FileId> {
    #[cfg(unix)]
    {
        rustix::fs::fstat(std::io::stdin())
            .ok()
            .map(|s| of_stat(&s))
    }
    #[cfg(not(unix))]
    None
}

/// The identity of standard output's file.
pub fn id_of_stdout() -> Option<FileId> {
    #[cfg(unix)]
    {
        rustix::fs::fstat(std::io::stdout())
            .ok()
            .map(|s| of_stat(&s))
    }
    #[cfg(not(unix))]
    None
}

/// Whether standard output is `/dev/null` (the runtime opens it there when the process
/// started with standard output closed).
pub fn stdout_is_dev_null() -> bool {
    #[cfg(unix)]
    {
        match (
            rustix::fs::fstat(std::io::stdout()),
            rustix::fs::stat("/dev/null"),
        ) {
            (Ok(out), Ok(null)) => {
                rustix::fs::FileType::from_raw_mode(out.st_mode)
                    == rustix::fs::FileType::CharacterDevice
                    && out.st_rdev == null.st_rdev
            }
            _ => false,
        }
    }
    #[cfg(not(unix))]
    false
}

/// Refuses to write onto the input itself, whatever `--force` says: the input (a path, or
/// `-` for standard input) and the output (a path, or `-` for standard output) must not be
/// the same regular file — compared by device and inode, so a link, a hard link or a
/// redirection (`< FILE` with FILE as the output) is seen through.
pub fn ensure_distinct(input: &Path, output: &Path) -> Result<()> {
    let inp = if is_stdio(input) {
        id_of_stdin()
    } else {
        id_of_path(input)
    };
    let out = if is_stdio(output) {
        id_of_stdout()
    } else {
        id_of_path(output)
    };
    if let (Some(a), Some(b)) = (inp, out) {
        if a.regular && a == b {
            match (is_stdio(input), is_stdio(output)) {
                (true, true) => bail!(
                    "standard input and standard output are the same file: the output would \
                     replace the input"
                ),
                (true, false) => bail!(
                    "the output {} is the file standard input reads: it would be replaced by \
                     the output (name another output file)",
                    output.display()
                ),
                (false, true) => bail!(
                    "standard output is the input file {} itself",
                    input.display()
                ),
                (false, false) => bail!("the output {} is the input file itself", output.display()),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_links_and_symlinks_are_the_same_file() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a");
        std::fs::write(&a, b"x").unwrap();
        let h = t.path().join("hard");
        std::fs::hard_link(&a, &h).unwrap();
        let s = t.path().join("soft");
        std::os::unix::fs::symlink(&a, &s).unwrap();
        for o in [&a, &h, &s] {
            assert!(ensure_distinct(&a, o).is_err(), "{}", o.display());
        }
        let b = t.path().join("b");
        std::fs::write(&b, b"x").unwrap();
        ensure_distinct(&a, &b).unwrap();
        ensure_distinct(&a, &t.path().join("new")).unwrap();
        assert_eq!(id_of_path(&a), id_of_path(&h));
        assert!(id_of_path(&a).unwrap().regular);
    }
}
