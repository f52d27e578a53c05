//! Locating the open FPGA tools, querying their versions and running them with a log.
//!
//! Every tool is looked up as follows:
//! 1. the environment override `NEURICE_<NAME>` (upper case, `-` → `_`), e.g.
//!    `NEURICE_YOSYS=/opt/yosys/bin/yosys`, `NEURICE_NEXTPNR_ICE40=...`; the path must exist;
//! 2. otherwise the first executable called `<name>` on `PATH`.
//!
//! The pinned versions are installed by `sudo scripts/install-tools.sh` (Debian bookworm).

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use neurice_files::Output;

/// All tools the project uses (`scripts/install-tools.sh` installs them): the FPGA flow and
/// Verilator, the peers the report measures (flac, wavpack), the browser its page is checked
/// in (chromium) and the IP checks (fusesoc, cocotb).
pub const ALL_TOOLS: [&str; 11] = [
    "yosys",
    "nextpnr-ice40",
    "icepack",
    "icepll",
    "icetime",
    "verilator",
    "flac",
    "wavpack",
    "chromium",
    "fusesoc",
    "cocotb-config",
];

/// The command to suggest when tools are missing.
pub const INSTALL_HINT: &str = "sudo scripts/install-tools.sh";

/// Number of log lines attached to an error when a tool fails.
pub const LOG_TAIL_LINES: usize = 20;

/// A tool found on this machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Canonical tool name, e.g. `nextpnr-ice40`.
    pub name: String,
    /// Path of the executable that will be run.
    pub path: PathBuf,
    /// First line of the tool's own version output (or of its Debian package for the
    /// icestorm tools, which have no version flag).
    pub version: String,
}

/// Name of the environment variable overriding the path of `tool`.
pub fn env_override_name(tool: &str) -> String {
    let mut s = String::from("NEURICE_");
    for c in tool.chars() {
        s.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    s
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Finds the executable for `tool` (environment override first, then `PATH`).
pub fn find_tool(tool: &str) -> Result<PathBuf> {
    let var = env_override_name(tool);
    if let Some(v) = std::env::var_os(&var) {
        if !v.is_empty() {
            let p = PathBuf::from(&v);
            if is_executable(&p) {
                return Ok(p);
            }
            bail!(
                "{var}={} does not name an executable file (unset it to search PATH)",
                p.display()
            );
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let cand = dir.join(tool);
        if is_executable(&cand) {
            return Ok(cand);
        }
    }
    bail!("{tool} not found: run {INSTALL_HINT} (or set {var} to its path)")
}

/// First non-empty line of a command's combined output, if it ran at all.
fn first_line_of(path: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// Version string of a tool found at `path`.
///
/// yosys, nextpnr-ice40 and verilator report their own version. icepack, icepll and icetime
/// have no version flag: the version of the Debian package owning the file is used when
/// `dpkg` knows it, otherwise `"unknown (no version flag)"`.
pub fn tool_version(tool: &str, path: &Path) -> String {
    let own = match tool {
        "yosys" => first_line_of(path, &["-V"]),
        "nextpnr-ice40" | "verilator" => first_line_of(path, &["--version"]),
        _ => None,
    };
    if let Some(v) = own {
        return v;
    }
    // Debian package owning the file, e.g. "fpga-icestorm: /usr/bin/icepack".
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if let Ok(out) = Command::new("dpkg").arg("-S").arg(&canonical).output() {
        if out.status.success() {
            let s = String::from_utf8_lossy(&out.stdout);
            if let Some(pkg) = s.lines().next().and_then(|l| l.split(':').next()) {
                if let Ok(v) = Command::new("dpkg-query")
                    .args(["-W", "-f=${Version}", pkg.trim()])
                    .output()
                {
                    let ver = String::from_utf8_lossy(&v.stdout).trim().to_string();
                    if v.status.success() && !ver.is_empty() {
                        return format!("{} {ver} (Debian package)", pkg.trim());
                    }
                }
            }
        }
    }
    "unknown (no version flag)".to_string()
}

/// What [`check_tools`] found out about one tool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolStatus {
    /// Canonical tool name, e.g. `nextpnr-ice40`.
    pub name: String,
    /// Executable that would be run (`None` when missing).
    pub path: Option<PathBuf>,
    /// Version as reported by [`tool_version`] (`None` when missing).
    pub version: Option<String>,
    /// The tool could not be found.
    pub missing: bool,
    /// Why it is missing, e.g. "icepack not found: run sudo scripts/install-tools.sh ...".
    pub message: Option<String>,
}

/// Looks up every tool in [`ALL_TOOLS`] and queries its version. Never fails: missing tools
/// are listed with `missing == true` and a message saying how to install them.
pub fn check_tools() -> Vec<ToolStatus> {
    check_tools_named(&ALL_TOOLS)
}

/// Like [`check_tools`] for the named tools only.
pub fn check_tools_named(names: &[&str]) -> Vec<ToolStatus> {
    names
        .iter()
        .map(|&name| match find_tool(name) {
            Ok(path) => ToolStatus {
                name: name.to_string(),
                version: Some(tool_version(name, &path)),
                path: Some(path),
                missing: false,
                message: None,
            },
            Err(e) => ToolStatus {
                name: name.to_string(),
                path: None,
                version: None,
                missing: true,
                message: Some(format!("{e:#}")),
            },
        })
        .collect()
}

/// One line per missing tool (the [`ToolStatus::message`]s), or `None` when all are there.
pub fn missing_tools_message(statuses: &[ToolStatus]) -> Option<String> {
    let lines: Vec<String> = statuses
        .iter()
        .filter(|s| s.missing)
        .map(|s| {
            s.message
                .clone()
                .unwrap_or_else(|| format!("{} not found: run {INSTALL_HINT}", s.name))
        })
        .collect();
    if lines.is_empty() {
        None
    } else {
        Some(lines.join("\n"))
    }
}

/// Finds each named tool and queries its version, failing with one error that lists every
/// missing tool and how to install it.
pub fn require_tools(names: &[&str]) -> Result<Vec<ToolInfo>> {
    let statuses = check_tools_named(names);
    if let Some(msg) = missing_tools_message(&statuses) {
        bail!("{msg}");
    }
    Ok(statuses
        .into_iter()
        .filter_map(|s| {
            Some(ToolInfo {
                name: s.name,
                path: s.path?,
                version: s.version?,
            })
        })
        .collect())
}

/// Outcome of a successful [`run_tool`] call.
#[derive(Clone, Debug)]
pub struct ToolRun {
    /// Everything the tool printed, stdout and stderr interleaved as read.
    pub output: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The log file written.
    pub log: PathBuf,
}

/// Shell-quotes one word for a POSIX `sh` script.
pub fn shell_quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command line of `cmd`, shell-quoted (program and arguments; no environment).
pub fn command_line(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Last `n` lines of `text`.
pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn pump<R: Read + Send + 'static>(
    reader: R,
    log: Arc<Mutex<Output>>,
    acc: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<std::io::Result<()>> {
    std::thread::spawn(move || {
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if r.read_until(b'\n', &mut buf)? == 0 {
                return Ok(());
            }
            let line = String::from_utf8_lossy(&buf);
            // A poisoned lock only means another pump panicked; keep the data anyway.
            let mut f = log.lock().unwrap_or_else(|e| e.into_inner());
            f.write_all(line.as_bytes())?;
            acc.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_str(&line);
        }
    })
}

/// Runs `cmd`, writing its stdout and stderr (interleaved, line by line) to `log_path`,
/// preceded by the command line and followed by the exit status. Stdin is closed.
///
/// The log follows the one safe-output rule (`neurice_files::output`): it is written
/// unseen and put in place when the tool has ended (also when it failed), so it is complete
/// or absent; a symbolic link or anything but a regular file at `log_path` is refused before
/// the tool runs, never written through; a log of an earlier run there is removed first, so
/// it cannot be read for this run's while the tool runs.
///
/// Errors if the tool cannot be started or exits non-zero; the error names the tool, the
/// exit status and the log file and carries the last [`LOG_TAIL_LINES`] lines of output.
pub fn run_tool(cmd: &mut Command, log_path: &Path) -> Result<ToolRun> {
    let line = command_line(cmd);
    let tool = Path::new(cmd.get_program())
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| cmd.get_program().to_string_lossy().into_owned());
    if let Some(dir) = log_path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating log folder {}", dir.display()))?;
        }
    }
    neurice_files::clear_tool_output(log_path)
        .with_context(|| format!("the log file {}", log_path.display()))?;
    let mut file = Output::create(log_path, true)
        .with_context(|| format!("creating log file {}", log_path.display()))?;
    writeln!(file, "$ {line}")?;
    let start = Instant::now();
    let spawned = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            writeln!(file, "# could not start: {e}")?;
            file.finish()?;
            return Err(e).with_context(|| {
                format!("could not start `{tool}` ({line}); is it installed? Try `{INSTALL_HINT}`")
            });
        }
    };
    let log = Arc::new(Mutex::new(file));
    let acc = Arc::new(Mutex::new(String::new()));
    let out = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("no stdout pipe"))?;
    let err = child
        .stderr
        .take()
        .ok_or_else(|| anyhow!("no stderr pipe"))?;
    let h1 = pump(out, log.clone(), acc.clone());
    let h2 = pump(err, log.clone(), acc.clone());
    let status: ExitStatus = child
        .wait()
        .with_context(|| format!("waiting for `{tool}`"))?;
    for h in [h1, h2] {
        h.join()
            .map_err(|_| anyhow!("log reader thread for `{tool}` panicked"))?
            .with_context(|| format!("writing log {}", log_path.display()))?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let output = std::mem::take(&mut *acc.lock().unwrap_or_else(|e| e.into_inner()));
    let mut file = Arc::try_unwrap(log)
        .map_err(|_| anyhow!("the log of `{tool}` is still in use"))?
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    writeln!(file, "# exit status: {status}, {seconds:.2} s")?;
    file.finish()?;
    if !status.success() {
        bail!(
            "`{tool}` failed ({status}); full log: {}\n--- last {LOG_TAIL_LINES} lines ---\n{}",
            log_path.display(),
            tail_lines(&output, LOG_TAIL_LINES)
        );
    }
    Ok(ToolRun {
        output,
        seconds,
        log: log_path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert_eq!(env_override_name("yosys"), "NEURICE_YOSYS");
        assert_eq!(env_override_name("nextpnr-ice40"), "NEURICE_NEXTPNR_ICE40");
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(OsStr::new("a/b.v")), "a/b.v");
        assert_eq!(shell_quote(OsStr::new("a b")), "'a b'");
        assert_eq!(shell_quote(OsStr::new("it's")), r"'it'\''s'");
        assert_eq!(shell_quote(OsStr::new("")), "''");
        assert_eq!(shell_quote(OsStr::new("$x;y")), "'$x;y'");
    }

    #[test]
    fn missing_tool_is_a_clear_error() {
        let st = check_tools_named(&["neurice-no-such-tool-xyz", "sh"]);
        assert!(st[0].missing && st[0].path.is_none());
        assert!(!st[1].missing && st[1].path.is_some(), "{st:?}");
        let msg = missing_tools_message(&st).unwrap();
        assert!(
            msg.starts_with(
                "neurice-no-such-tool-xyz not found: run sudo scripts/install-tools.sh"
            ),
            "{msg}"
        );
        let e = require_tools(&["neurice-no-such-tool-xyz"]).unwrap_err();
        assert!(format!("{e:#}").contains(INSTALL_HINT));
        assert_eq!(require_tools(&["sh"]).unwrap()[0].name, "sh");
        assert_eq!(check_tools().len(), ALL_TOOLS.len());
    }

    #[test]
    fn failure_carries_only_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("long.log");
        let e = run_tool(
            Command::new("sh").args(["-c", "for i in $(seq 1 100); do echo line$i; done; exit 1"]),
            &log,
        )
        .unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("line100") && msg.contains("line81"), "{msg}");
        assert!(!msg.contains("line80"), "{msg}");
        // The log keeps everything.
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("line1\n") && text.contains("line100"));
    }

    #[test]
    fn a_log_is_never_written_through_a_link_and_appears_complete() {
        let dir = tempfile::tempdir().unwrap();
        let important = dir.path().join("important");
        std::fs::write(&important, b"keep me").unwrap();
        let log = dir.path().join("yosys.log");
        std::os::unix::fs::symlink(&important, &log).unwrap();
        let ran = dir.path().join("ran");
        let e = run_tool(
            Command::new("sh").args(["-c", &format!("touch {}", ran.display())]),
            &log,
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("symbolic link"), "{e:#}");
        assert!(!ran.exists(), "the tool ran although its log was refused");
        assert_eq!(std::fs::read(&important).unwrap(), b"keep me");
        assert!(std::fs::symlink_metadata(&log).unwrap().is_symlink());

        // while the tool runs, neither its log nor an earlier run's is there
        let log = dir.path().join("tool.log");
        std::fs::write(&log, b"an earlier run").unwrap();
        let seen = dir.path().join("seen");
        let script = format!(
            "if [ -e {0} ]; then echo yes > {1}; else echo no > {1}; fi; echo done",
            log.display(),
            seen.display()
        );
        run_tool(Command::new("sh").args(["-c", &script]), &log).unwrap();
        assert_eq!(std::fs::read_to_string(&seen).unwrap(), "no\n");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("done") && text.contains("# exit status"),
            "{text}"
        );
    }

    #[test]
    fn run_tool_logs_and_reports_failure() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ok.log");
        let run = run_tool(
            Command::new("sh").args(["-c", "echo out; echo err >&2"]),
            &log,
        )
        .unwrap();
        assert!(run.output.contains("out") && run.output.contains("err"));
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("$ sh -c "), "{text}");
        assert!(text.contains("out") && text.contains("err"));

        let log = dir.path().join("bad.log");
        let e = run_tool(
            Command::new("sh").args(["-c", "echo the-reason >&2; exit 3"]),
            &log,
        )
        .unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("the-reason"), "{msg}");
        assert!(msg.contains("bad.log"), "{msg}");

        let e = run_tool(
            &mut Command::new("/nonexistent/neurice-tool"),
            &dir.path().join("x.log"),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("could not start"));
    }
}
