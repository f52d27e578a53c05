//! Hostile and careless input (issue 15): the binary never destroys a file, never reads or
//! allocates without bound, and never claims a pass on nothing. Every test here failed before
//! the fix it names.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use neurice_model::wav::Wav;
use serde_json::Value;

mod common;
use common::*;

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

// ---- --force and `-` ---------------------------------------------------------------------

#[test]
fn force_replaces_regular_files_only_and_keeps_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(3000, 1);
    let input = write(t.path(), "in.wav", &wav);
    let (nrc, _) = neurice_model::compress_wav(&wav).unwrap();

    // a regular file is replaced, and keeps its mode
    let out = write(t.path(), "out.nrc", b"old");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
    assert_ok(&neurice(&[&"compress", &input, &out, &"--force"]));
    assert_eq!(fs::read(&out).unwrap(), nrc);
    assert_eq!(mode(&out), 0o640, "{:o}", mode(&out));

    // a symbolic link is refused, with or without --force; link and target are untouched
    let target = write(t.path(), "target", b"target bytes");
    let link = t.path().join("link.nrc");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for force in [true, false] {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"compress", &input, &link];
        if force {
            args.push(&"--force");
        }
        assert_refused(&neurice(&args), "symbolic link");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"target bytes");
    }

    // a FIFO is refused (not opened: that would block), and stays a FIFO
    let fifo = t.path().join("fifo.nrc");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let o = neurice(&[&"compress", &input, &fifo, &"--force"]);
    assert_refused(&o, "FIFO");
    assert!(stderr(&o).contains("not a regular file") && stderr(&o).contains("`-`"));
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(
        &fs::symlink_metadata(&fifo).unwrap().file_type()
    ));

    // a character device is refused and stays a device: as root a copy of /dev/null made
    // here; otherwise /dev/null itself, which a process that cannot write /dev cannot replace
    // (were the refusal gone, it would fail with another message)
    // SAFETY: a valid NUL-terminated path.
    let dev_writable = unsafe { libc::access(c"/dev".as_ptr(), libc::W_OK) == 0 };
    let dev = if is_root() {
        let dev = t.path().join("null");
        let c = std::ffi::CString::new(dev.to_str().unwrap()).unwrap();
        // SAFETY: a valid path; makedev(1, 3) is /dev/null's device number.
        let r = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
        assert_eq!(r, 0, "mknod as root");
        Some(dev)
    } else if !dev_writable {
        Some(PathBuf::from("/dev/null"))
    } else {
        neurice_testkit::skip(
            "force_replaces_regular_files_only_and_keeps_their_mode (device)",
            "not root (no mknod) and /dev is writable (/dev/null is not safe to try)",
        );
        None
    };
    if let Some(dev) = dev {
        let o = neurice(&[
            &"decompress",
            &write(t.path(), "in.nrc", &nrc),
            &dev,
            &"--force",
        ]);
        assert_refused(&o, "character device");
        let m = fs::symlink_metadata(&dev).unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_char_device(
            &m.file_type()
        ));
        if dev.starts_with(t.path()) {
            fs::remove_file(&dev).unwrap();
        }
        fs::remove_file(t.path().join("in.nrc")).unwrap();
    }

    // /dev/stdout is a link, not a file to replace: `-` is the way to standard output
    let o = bin()
        .args([
            "compress".as_ref(),
            input.as_os_str(),
            "/dev/stdout".as_ref(),
            "--force".as_ref(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_refused(&o, "symbolic link");
    assert!(o.stdout.is_empty());
    assert_eq!(
        listing(t.path()),
        ["fifo.nrc", "in.wav", "link.nrc", "out.nrc", "target"]
    );
}

#[test]
fn dash_is_standard_input_and_output() {
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(5000, 2);
    write(t.path(), "in.wav", &wav);
    let (nrc, _) = neurice_model::compress_wav(&wav).unwrap();
    let run = |args: &[&str], stdin: &[u8]| {
        let mut c = bin()
            .args(args)
            .current_dir(t.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut w = c.stdin.take().unwrap();
        let data = stdin.to_vec();
        let feeder = std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
        let o = c.wait_with_output().unwrap();
        feeder.join().unwrap();
        o
    };
    let o = run(&["compress", "-", "-"], &wav);
    assert_ok(&o);
    assert_eq!(o.stdout, nrc, "compress - - writes the stream to stdout");
    assert!(
        stderr(&o).contains("standard input -> standard output"),
        "{}",
        stderr(&o)
    );
    let o = run(&["decompress", "-", "-"], &nrc);
    assert_ok(&o);
    assert_eq!(o.stdout, wav);
    let o = run(&["info", "--json", "-"], &nrc);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["frames"].as_u64(), Some(5000));
    // a file in, stdout out: the statistics go to stderr, the stream alone to stdout
    let o = run(&["compress", "in.wav", "-"], b"");
    assert_ok(&o);
    assert_eq!(o.stdout, nrc);
    // `-` is not a file name: nothing called "-" appears
    assert_eq!(listing(t.path()), ["in.wav"]);
}

#[test]
fn binary_output_is_never_written_to_a_terminal() {
    let t = tempfile::tempdir().unwrap();
    let input = write(t.path(), "in.wav", &grid_wav(1000, 3));
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors; the other arguments may be null.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if r != 0 {
        neurice_testkit::skip(
            "binary_output_is_never_written_to_a_terminal",
            "no pseudo-terminal available (openpty failed)",
        );
        return;
    }
    use std::os::fd::FromRawFd;
    // SAFETY: `slave` is an open descriptor we own; a duplicate is kept for the second run.
    let slave_keep = unsafe { libc::dup(slave) };
    let tty = unsafe { std::fs::File::from_raw_fd(slave) };
    let o = bin()
        .args(["compress".as_ref(), input.as_os_str(), "-".as_ref()])
        .stdin(Stdio::null())
        .stdout(Stdio::from(tty))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_refused(&o, "terminal");
    // nor read from one: binary input is not typed
    // SAFETY: a fresh duplicate of the kept descriptor, owned by the File from here on.
    let tty_in = unsafe { std::fs::File::from_raw_fd(libc::dup(slave_keep)) };
    let o = bin()
        .args(["compress", "-", t.path().join("o.nrc").to_str().unwrap()])
        .stdin(Stdio::from(tty_in))
        .output()
        .unwrap();
    assert_refused(&o, "standard input is a terminal");
    // SAFETY: closing the descriptors we opened.
    unsafe {
        libc::close(slave_keep);
        libc::close(master)
    };
}

// ---- interrupted runs leave nothing --------------------------------------------------------

/// A recording large enough that writing its decoded WAV takes a while (96 MB).
fn big_nrc(dir: &Path) -> (PathBuf, Vec<u8>) {
    let wav = grid_wav(48_000_000, 9);
    let (nrc, _) = neurice_model::compress_wav(&wav).unwrap();
    (write(dir, "big.nrc", &nrc), wav)
}

/// `/proc/<pid>/io`'s `rchar` and `wchar`: the bytes a process has read and written with
/// read/write system calls (to any file: the output, a temporary, standard error).
fn proc_io(pid: u32) -> Option<(u64, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
    };
    Some((field("rchar:")?, field("wchar:")?))
}

/// Waits for our child `pid` to end without reaping it (its `/proc/<pid>` stays readable).
fn wait_unreaped(pid: u32) {
    // SAFETY: siginfo_t is plain data; waitid waits for our own child and leaves it waitable.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        )
    };
    assert_eq!(r, 0, "waitid: {}", std::io::Error::last_os_error());
}

/// What [`interrupt`] saw.
struct Interrupted {
    /// The signal was sent (the run had not finished).
    sent: bool,
    /// The files of the directory just before the signal was sent.
    listing_at_signal: Vec<String>,
    /// Bytes the process had written (`wchar`) when it ended.
    written_at_end: u64,
}

/// Runs `decompress big.nrc out.wav` (with `env`) and sends `sig` once the process has written
/// 1 MiB (its `wchar` in `/proc/<pid>/io`), whatever it writes to and however it names it: a
/// run that writes its output is interrupted in the middle, whichever mechanism protects it.
fn interrupt(dir: &Path, input: &Path, sig: i32, env: &[(&str, &str)]) -> Interrupted {
    let mut c = bin();
    c.args([
        "decompress".as_ref(),
        input.as_os_str(),
        dir.join("out.wav").as_os_str(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let pid = child.id();
    let t0 = Instant::now();
    let mut seen = Interrupted {
        sent: false,
        listing_at_signal: Vec::new(),
        written_at_end: 0,
    };
    // a guard against a hung child, not a measurement
    while t0.elapsed() < Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if proc_io(pid).is_some_and(|(_, written)| written >= 1 << 20) {
            seen.listing_at_signal = listing(dir);
            // SAFETY: signalling our own child, not yet reaped.
            unsafe { libc::kill(pid as i32, sig) };
            seen.sent = true;
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    if !seen.sent {
        // SAFETY: as above; a hung or finished child (then this does nothing).
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    wait_unreaped(pid);
    seen.written_at_end = proc_io(pid).expect("/proc/<pid>/io of the ended run").1;
    let status = child.wait().unwrap();
    if seen.sent {
        use std::os::unix::process::ExitStatusExt;
        assert!(!status.success(), "a signalled run must not succeed");
        assert!(status.signal() == Some(sig) || status.code().is_some_and(|c| c != 0));
    }
    seen
}

/// [`interrupt`] until the signal is sent while the output is incomplete (a loaded machine may
/// let a run finish before the poll sees it write): three tries, then a failure.
fn interrupt_mid_output(
    dir: &Path,
    input: &Path,
    sig: i32,
    env: &[(&str, &str)],
    output_bytes: usize,
) -> Interrupted {
    for _ in 0..3 {
        let r = interrupt(dir, input, sig, env);
        if r.sent && r.written_at_end < output_bytes as u64 {
            return r;
        }
        eprintln!(
            "signal {sig}: sent {}, {} of {output_bytes} bytes written at the end; again",
            r.sent, r.written_at_end
        );
        let _ = fs::remove_file(dir.join("out.wav"));
    }
    panic!("signal {sig} never arrived while the output was incomplete (3 tries)");
}

/// Nothing but the input, or the input and a complete, correct output.
#[track_caller]
fn assert_nothing_partial(dir: &Path, wav: &[u8]) {
    let names = listing(dir);
    match names.as_slice() {
        [a] if a == "big.nrc" => {}
        [a, b] if a == "big.nrc" && b == "out.wav" => {
            assert!(
                fs::read(dir.join("out.wav")).unwrap() == wav,
                "a partial out.wav"
            );
            fs::remove_file(dir.join("out.wav")).unwrap();
        }
        other => panic!("left behind: {other:?}"),
    }
}

#[test]
fn sigterm_and_sigint_remove_the_named_temporary_file() {
    let t = tempfile::tempdir().unwrap();
    let (input, wav) = big_nrc(t.path());
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // the named fallback (file systems without O_TMPFILE) is what the handler protects
        let r = interrupt_mid_output(
            t.path(),
            &input,
            sig,
            &[("NEURICE_NAMED_TEMP", "1")],
            wav.len(),
        );
        // the output was being written under a hidden temporary name when the signal came
        assert!(
            r.listing_at_signal.len() == 2 && r.listing_at_signal[0].starts_with(".tmp"),
            "signal {sig}: the directory held {:?}",
            r.listing_at_signal
        );
        assert_nothing_partial(t.path(), &wav);
    }
}

#[test]
fn sigkill_leaves_nothing_the_output_is_unnamed_until_complete() {
    let t = tempfile::tempdir().unwrap();
    let (input, wav) = big_nrc(t.path());
    let r = interrupt_mid_output(t.path(), &input, libc::SIGKILL, &[], wav.len());
    // a MiB of the output written, and no name for it in the directory
    assert_eq!(
        r.listing_at_signal,
        ["big.nrc"],
        "a name was visible during the run"
    );
    assert_nothing_partial(t.path(), &wav);
}

// ---- bounded input -----------------------------------------------------------------------

/// What [`measured`] saw of a run.
struct Cost {
    /// Bytes read with read system calls (`rchar` of `/proc/<pid>/io`): the input, and the
    /// ~75 KiB the dynamic loader reads.
    read: u64,
}

/// The address space [`measured`] gives a run: a run that reserves more (even untouched)
/// fails its allocation and aborts, which `assert_refused` (exit code 1) does not accept. (Not
/// the peak resident size of `wait4`: a spawned child's counts the test process's own peak,
/// which the 96 MB WAVs of the tests above make hundreds of MB.) Every refusal here, and an
/// `eval` of an 8 MB WAV on 2 threads, runs in it. 80 MB: the binary's own mappings grew
/// with coder max's core (an `eval` of the 8 MB WAV needed 64–68 MB on 2026-12-07, 60–64
/// before); 100 000 workers' stacks would still need hundreds of GB.
const ADDRESS_SPACE: u64 = 80 << 20;

/// Runs the binary in [`ADDRESS_SPACE`], returning its output and what it read; kills it
/// after 20 s (a guard against a hang: then the run fails, its output says so).
fn measured(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (Output, Cost) {
    use std::os::unix::process::CommandExt;
    let mut cmd = bin();
    // SAFETY: setrlimit is async-signal-safe and touches only the child being spawned.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .args(args.iter().map(|a| a.as_ref()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    // kills the child after 20 s; it is only reaped after this thread ends, so its pid cannot
    // have been reused by another process when the signal is sent
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            if start.elapsed() > Duration::from_secs(20) {
                // SAFETY: our own child, not yet reaped.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    // collect the pipes on threads so the child never blocks on them
    let mut child = child;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let ro = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let re = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    wait_unreaped(pid as u32);
    let (read, _) = proc_io(pid as u32).expect("/proc/<pid>/io of the ended run");
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watchdog.join().unwrap();
    let mut status = 0;
    // SAFETY: waitpid reaps our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    use std::os::unix::process::ExitStatusExt;
    let o = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: ro.join().unwrap(),
        stderr: re.join().unwrap(),
    };
    std::mem::forget(child); // already reaped by waitpid
    (o, Cost { read })
}

#[test]
fn huge_and_endless_non_inputs_fail_at_once_with_bounded_memory() {
    let t = tempfile::tempdir().unwrap();
    let sparse = t.path().join("sparse.bin");
    fs::File::create(&sparse)
        .unwrap()
        .set_len(2_000_000_000)
        .unwrap();
    let out = t.path().join("out");
    let cases: Vec<(&str, &Path, &str)> = vec![
        ("compress", &sparse, "not a WAV"),
        ("compress", Path::new("/dev/zero"), "not a WAV"),
        ("decompress", &sparse, "not a neurice stream"),
        ("decompress", Path::new("/dev/zero"), "not a neurice stream"),
        ("info", Path::new("/dev/zero"), "not a neurice stream"),
        ("info", &sparse, "not a neurice stream"),
    ];
    // "at once": from the first buffer (1 MiB), not after reading the 2 GB (or forever);
    // "bounded memory": in 64 MiB of address space (`measured`)
    const READ_AT_MOST: u64 = 4 << 20;
    for (cmd, input, want) in cases {
        let (o, cost) = if cmd == "info" {
            measured(&[&cmd, &input])
        } else {
            measured(&[&cmd, &input, &out])
        };
        eprintln!("{cmd} {}: read {} bytes", input.display(), cost.read);
        assert_refused(&o, want);
        assert!(
            cost.read < READ_AT_MOST,
            "{cmd} {}: read {} bytes",
            input.display(),
            cost.read
        );
    }
    // a WAV header on 2 GB of zeros: the zeros are no chunk
    let mut f = fs::File::create(&sparse).unwrap();
    f.write_all(b"RIFF\xff\xff\xff\x7fWAVE").unwrap();
    f.set_len(2_000_000_000).unwrap();
    let (o, cost) = measured(&[&"compress", &sparse, &out]);
    assert_refused(&o, "not a WAV");
    assert!(cost.read < READ_AT_MOST, "read {} bytes", cost.read);
    // a data chunk declaring 4 GB in a small file is refused from the header, without
    // reserving them
    let mut wav = grid_wav(1000, 4);
    wav[40..44].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    let p = write(t.path(), "liar.wav", &wav);
    let (o, _) = measured(&[&"compress", &p, &out]);
    assert_refused(&o, "declares 4294967040 bytes");
    assert!(!out.exists());
}

// ---- messages in the user's terms ------------------------------------------------------------

#[test]
fn wav_header_errors_say_what_is_wrong_with_the_file() {
    let t = tempfile::tempdir().unwrap();
    let base = grid_wav(500, 5);
    let edit = |at: usize, v: &[u8]| {
        let mut w = base.clone();
        w[at..at + v.len()].copy_from_slice(v);
        w
    };
    let mut odd = base[..36].to_vec();
    odd.extend_from_slice(b"LIST\x05\x00\x00\x00hello");
    odd.extend_from_slice(&base[36..]);
    let cases = [
        (
            "65535ch",
            edit(22, &65535u16.to_le_bytes()),
            "65535 channel(s) of 16-bit samples",
        ),
        (
            "align",
            edit(32, &4u16.to_le_bytes()),
            "block align of 4 bytes",
        ),
        ("tag0", edit(20, &0u16.to_le_bytes()), "format tag 0"),
        ("odd", odd, "odd size (5 bytes)"),
    ];
    for (name, bytes, want) in cases {
        let p = write(t.path(), name, &bytes);
        let o = neurice(&[&"compress", &p, &t.path().join("o.nrc")]);
        assert_refused(&o, want);
        let e = stderr(&o);
        assert!(
            !e.contains("hound") && !e.contains('\u{fffd}'),
            "{name}: {e}"
        );
    }
}

#[test]
fn info_refuses_what_decompress_refuses() {
    let t = tempfile::tempdir().unwrap();
    let (nrc, _) = neurice_model::compress_wav(&grid_wav(100, 6)).unwrap();
    let reseal = |mut b: Vec<u8>| {
        b.truncate(b.len() - 4);
        let crc = crc32_ieee(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    };
    let mut huge = nrc.clone();
    huge[11..13].copy_from_slice(&65535u16.to_le_bytes());
    huge[17..21].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut zero = nrc.clone();
    zero[11..13].copy_from_slice(&0u16.to_le_bytes());
    let mut bits17 = nrc.clone();
    bits17[6] = 17;
    for (name, b) in [("huge", huge), ("zero", zero), ("bits17", bits17)] {
        let p = write(t.path(), name, &reseal(b));
        let i = neurice(&[&"info", &p]);
        let d = neurice(&[&"decompress", &p, &t.path().join("o.wav")]);
        assert_refused(&i, "corrupt");
        assert_refused(&d, "corrupt");
        assert_eq!(stderr(&i), stderr(&d), "{name}");
        assert!(
            i.stdout.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&i.stdout)
        );
    }
}

// ---- eval and sim inputs ---------------------------------------------------------------

#[test]
fn eval_names_an_unreadable_input_and_keeps_the_totals() {
    let t = tempfile::tempdir().unwrap();
    let good = grid_wav(3000, 7);
    write(t.path(), "a.wav", &good);
    write(t.path(), "b.wav", b"this is not a WAV at all");
    let o = neurice(&[&"eval", &"--json", &t.path()]);
    assert_refused(&o, "b.wav");
    assert!(stderr(&o).contains("not a WAV"), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("the JSON is still printed");
    let (nrc, _) = neurice_model::compress_wav(&good).unwrap();
    assert_eq!(v["input_errors"].as_u64(), Some(1), "{v}");
    assert_eq!(v["failed"].as_u64(), Some(0), "not a lossless failure: {v}");
    assert_eq!(v["lossless"].as_bool(), Some(true));
    assert_eq!(v["original_bytes"].as_u64(), Some(good.len() as u64));
    let ratio = v["ratio"].as_f64().unwrap();
    assert!(
        (ratio - good.len() as f64 / nrc.len() as f64).abs() < 1e-12,
        "{ratio}"
    );
    // the text summary does not say "lossless: NO" or a zero ratio
    let o = neurice(&[&"eval", &t.path()]);
    assert_refused(&o, "could not be coded");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !out.contains("ratio 0.0000") && !out.contains("lossless: NO"),
        "{out}"
    );
}

#[test]
fn duplicate_inputs_are_counted_once_with_a_note() {
    let t = tempfile::tempdir().unwrap();
    let a = write(t.path(), "a.wav", &grid_wav(2000, 8));
    let link = t.path().join("same.wav");
    std::os::unix::fs::symlink(&a, &link).unwrap();
    let o = neurice(&[&"eval", &"--json", &a, &a, &link, &t.path()]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"].as_u64(), Some(1), "{v}");
    assert_eq!(
        v["original_bytes"].as_u64(),
        Some(fs::metadata(&a).unwrap().len())
    );
    assert!(stderr(&o).contains("more than once"), "{}", stderr(&o));
}

#[test]
fn eval_and_sim_say_what_a_path_is_instead_of_no_such_file() {
    let t = tempfile::tempdir().unwrap();
    let fifo = t.path().join("fifo.wav");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let (l1, l2) = (t.path().join("loop1.wav"), t.path().join("loop2.wav"));
    std::os::unix::fs::symlink(&l2, &l1).unwrap();
    std::os::unix::fs::symlink(&l1, &l2).unwrap();
    let dangling = t.path().join("dangling.wav");
    std::os::unix::fs::symlink(t.path().join("gone"), &dangling).unwrap();
    let cases: [(&Path, &str); 5] = [
        (Path::new("/dev/null"), "character device"),
        (&fifo, "FIFO"),
        (&l1, "symlink loop"),
        (&dangling, "dangling symbolic link"),
        (&t.path().join("missing.wav"), "no such file"),
    ];
    for (p, want) in cases {
        for cmd in ["eval", "sim"] {
            let o = neurice(&[&cmd, &p]);
            assert_refused(&o, want);
        }
    }
}

#[test]
fn worker_counts_are_capped_with_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    // 8 MB: refused before any of it is read (nor a worker started for it)
    let a = write(t.path(), "a.wav", &grid_wav(4_000_000, 9));
    let cases: [(&[&dyn AsRef<std::ffi::OsStr>], &str); 3] = [
        (
            &[&"eval", &"--threads", &"100000", &a],
            "--threads must be 1..=",
        ),
        (&[&"eval", &"--threads", &"0", &a], "--threads must be 1..="),
        (
            &[&"sim", &"--engine", &"rusthdl", &"--jobs", &"100000", &a],
            "--jobs must be 1..=",
        ),
    ];
    for (args, want) in cases {
        let (o, cost) = measured(args);
        assert_refused(&o, want);
        assert!(cost.read < 1 << 20, "{want}: read {} bytes", cost.read);
    }
    let (o, cost) = measured(&[&"eval", &"--threads", &"2", &a]);
    assert_ok(&o);
    // an allowed count: the input is read, and the measure sees it
    assert!(cost.read > 8_000_000, "read {} bytes", cost.read);
}

#[test]
fn a_simulation_that_compares_nothing_is_not_a_pass() {
    let t = tempfile::tempdir().unwrap();
    let a = write(t.path(), "a.wav", &grid_wav(500, 10));
    let o = neurice(&[&"sim", &"--engine", &"rusthdl", &"--max-samples", &"0", &a]);
    assert_refused(&o, "--max-samples must be at least 1");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("bit-exact"));
    // a recording without samples compares nothing either
    let empty = write(
        t.path(),
        "empty.wav",
        &Wav::canonical(1, 19531, Vec::new()).unwrap().to_bytes(),
    );
    let o = neurice(&[&"sim", &"--engine", &"rusthdl", &empty]);
    assert!(
        !o.status.success(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("bit-exact"));
}

// ---- hardware commands: arguments checked first ----------------------------------------------

#[test]
fn flow_checks_every_argument_before_the_first_stage() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("report");
    for (args, want) in [
        (vec!["--freq", "0"], "--freq must be"),
        (
            vec!["--power-cycles", "0"],
            "--power-cycles must be at least 1000",
        ),
        (
            vec!["--max-samples", "0"],
            "--max-samples must be at least 1",
        ),
        (vec!["--freq", "1"], "--freq 1"),
    ] {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"flow"];
        all.extend(args.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
        all.extend([&"-o" as &dyn AsRef<std::ffi::OsStr>, &out]);
        let (o, cost) = measured(&all);
        assert_refused(&o, want);
        let e = stderr(&o);
        assert!(!e.contains("golden-model eval"), "a stage ran first: {e}");
        assert!(!e.contains("--cycles "), "names power's flag: {e}");
        // no recording read, no tool's output: refused from the arguments alone
        assert!(cost.read < 1 << 20, "{args:?}: read {} bytes", cost.read);
        assert!(!out.exists(), "{args:?} created the report folder");
    }
}

#[test]
fn synth_and_verilog_refuse_bad_arguments_before_any_work() {
    let t = tempfile::tempdir().unwrap();
    let o = neurice(&[&"synth", &"--freq", &"0", &"-o", &t.path().join("s")]);
    assert_refused(&o, "--freq must be");
    assert_eq!(
        stderr(&o).lines().count(),
        1,
        "a progress line before the error: {}",
        stderr(&o)
    );
    assert!(!t.path().join("s").exists());
    let file = write(t.path(), "afile", b"x");
    assert_refused(
        &neurice(&[&"verilog", &"-o", &file, &"--no-check"]),
        "not a directory",
    );
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

#[test]
fn verilog_force_no_check_drops_stale_check_logs() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("v");
    assert_ok(&neurice(&[
        &"verilog",
        &"-o",
        &out,
        &"--no-check",
        &"--channels",
        &"4",
    ]));
    // logs of an earlier checked run
    fs::create_dir_all(out.join("checks")).unwrap();
    write(&out.join("checks"), "yosys_check.log", b"clean, long ago");
    assert_ok(&neurice(&[
        &"verilog",
        &"-o",
        &out,
        &"--no-check",
        &"--force",
        &"--channels",
        &"4",
    ]));
    assert!(
        !out.join("checks").exists(),
        "stale checks/ left: {:?}",
        listing(&out)
    );
}
