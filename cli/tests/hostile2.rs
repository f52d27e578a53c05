//! Hostile and careless input, round 2 (issue 25): standard input that is the output, links
//! inside output folders, closed and null standard outputs, an environment error taken for a
//! codec failure, closed pipes, litter from interrupted builds, unnumberable segments, a
//! false "recovered", and the messages the issue lists. Every test here failed before the fix
//! it names (each was run once with its fix undone).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::*;

fn tool(name: &str) -> bool {
    match neurice_synth::tools::find_tool(name) {
        Ok(_) => true,
        Err(e) => {
            let test = std::thread::current()
                .name()
                .unwrap_or("hostile2")
                .to_string();
            neurice_testkit::skip(&test, &format!("{e:#}"));
            false
        }
    }
}

/// Runs the binary with `stdin` fed from the file `input` (a redirection, `< FILE`).
fn with_stdin_file(args: &[&str], input: &Path) -> Output {
    bin()
        .args(args)
        .stdin(fs::File::open(input).unwrap())
        .output()
        .unwrap()
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Runs `cmd` (standard input closed) and returns its output, or kills it and returns `None`
/// when it takes longer than `limit`.
fn within(limit: Duration, cmd: &mut Command) -> Option<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().unwrap())
}

// ---- 1. standard input that is the output ------------------------------------------------

/// Item 1: `compress - x.wav --force < x.wav` replaced the WAV, and `decompress - d.nrc
/// --force --recover < d.nrc` the damaged stream. Standard input's file is compared with the
/// output by device and inode, as a named input is (a hard link too).
#[test]
fn standard_input_is_never_replaced_by_the_output() {
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(4000, 1);
    let x = write(t.path(), "x.wav", &wav);
    let o = with_stdin_file(&["compress", "-", x.to_str().unwrap(), "--force"], &x);
    assert_refused(&o, "standard input");
    assert_eq!(fs::read(&x).unwrap(), wav, "the input was replaced");

    let (nrc, _) = neurice_model::compress_wav(&wav).unwrap();
    let mut damaged = nrc.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x10;
    let d = write(t.path(), "d.nrc", &damaged);
    let o = with_stdin_file(
        &[
            "decompress",
            "-",
            d.to_str().unwrap(),
            "--force",
            "--recover",
        ],
        &d,
    );
    assert_refused(&o, "standard input");
    assert_eq!(
        fs::read(&d).unwrap(),
        damaged,
        "the damaged stream was replaced"
    );

    // a hard link to the input, named as the output
    let h = t.path().join("hard.wav");
    fs::hard_link(&x, &h).unwrap();
    let o = neurice(&[&"compress", &x, &h, &"--force"]);
    assert_refused(&o, "is the input file itself");
    assert_eq!(fs::read(&x).unwrap(), wav);
    // another file is fine
    let o = with_stdin_file(
        &["compress", "-", t.path().join("y.nrc").to_str().unwrap()],
        &x,
    );
    assert_ok(&o);
}

// ---- 2. links inside output folders ------------------------------------------------------

/// Item 2: `synth -o D` wrote through symbolic links at its logs, `build.sh`, its Verilog
/// input and the tools' outputs. Each is now refused before the first tool runs; the link's
/// target is untouched.
#[test]
fn synth_never_writes_through_a_link_in_its_folder() {
    if !(tool("yosys") && tool("nextpnr-ice40") && tool("icepack")) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let important = write(t.path(), "important", b"keep me");
    for name in [
        "yosys.log",
        "build.sh",
        "nextpnr.log",
        "icepack.log",
        "top_input.v",
        "top.asc",
        "synth_report.json",
    ] {
        let d = t.path().join(format!("out-{name}"));
        fs::create_dir(&d).unwrap();
        symlink(&important, &d.join(name));
        let o = neurice(&[&"synth", &"--channels", &"4", &"--freq", &"30", &"-o", &d]);
        assert_refused(&o, "symbolic link");
        assert!(stderr(&o).contains(name), "{name}: {}", stderr(&o));
        assert_eq!(fs::read(&important).unwrap(), b"keep me", "{name}");
        assert!(fs::symlink_metadata(d.join(name)).unwrap().is_symlink());
        // nothing ran: no log of a tool appeared
        assert!(!d.join("nextpnr.log").is_file() || name == "nextpnr.log");
    }
}

/// Item 2, `flow -o D`: the report, the core's Verilog, the lint files and the synthesis
/// folder's files are checked before the first stage runs.
#[test]
fn flow_never_writes_through_a_link_in_its_folder() {
    let t = tempfile::tempdir().unwrap();
    let important = write(t.path(), "important", b"keep me");
    for name in [
        "report.json",
        "index.html",
        "neurice_core.v",
        "lint/lint.log",
        "synth/yosys.log",
        "max/report.json",
    ] {
        let d = t.path().join(format!("out-{}", name.replace('/', "-")));
        let link = d.join(name);
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        symlink(&important, &link);
        let coder = if name.starts_with("max/") {
            "both"
        } else {
            "lite"
        };
        let o = within(
            Duration::from_secs(60),
            bin().args([
                "flow".as_ref(),
                "--coder".as_ref(),
                coder.as_ref(),
                "-o".as_ref(),
                d.as_os_str(),
            ]),
        )
        .unwrap_or_else(|| panic!("{name}: still running stages after 60 s, not refused"));
        assert_refused(&o, "symbolic link");
        assert!(stderr(&o).contains(name), "{name}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("golden-model eval"),
            "{name}: a stage ran: {}",
            stderr(&o)
        );
        assert_eq!(fs::read(&important).unwrap(), b"keep me", "{name}");
    }
}

// ---- 3, 4. the link layer ------------------------------------------------------------------

/// Item 3: `--ber 1e-17` corrupted every packet; item 4: a segment of more than 65 536
/// packets wrapped `PART` and lost samples on a perfect link. Both through the CLI.
#[test]
fn link_takes_tiny_bit_error_rates_and_refuses_unnumberable_segments() {
    let t = tempfile::tempdir().unwrap();
    let f = write(t.path(), "a.wav", &grid_wav(20_000, 4));
    let o = neurice(&[&"link", &"--ber", &"1e-17", &"--json", &f]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["packets_corrupt"], 0, "{v}");
    assert_eq!(v["samples_delivered"], 20_000, "{v}");

    let o = neurice(&[
        &"link",
        &"--channels",
        &"8",
        &"--segment-frames",
        &"1000000",
        &"--packet-bytes",
        &"20",
        &f,
    ]);
    assert_refused(&o, "PART");
    // the hardware refuses the same (sim, verilog, synth build the same design)
    for cmd in ["sim", "verilog"] {
        let out = t.path().join("v");
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &cmd,
            &"--packets",
            &"--channels",
            &"8",
            &"--segment-frames",
            &"65536",
            &"--packet-bytes",
            &"20",
        ];
        if cmd == "verilog" {
            args.extend([&"-o" as &dyn AsRef<std::ffi::OsStr>, &out]);
        } else {
            args.push(&f);
        }
        assert_refused(&neurice(&args), "PART");
    }
}

// ---- 5. a false "recovered" ----------------------------------------------------------------

/// The blocks of a streamed `.nrc` (§7.9): (offset of the block header, bytes with header),
/// found by their own CRC-32.
fn blocks(nrc: &[u8]) -> Vec<(usize, usize)> {
    let le = |at: usize| u32::from_le_bytes(nrc[at..at + 4].try_into().unwrap()) as usize;
    let mut at = 0;
    let mut found = Vec::new();
    while at + 12 <= nrc.len() {
        let (frames, len) = (le(at), le(at + 4));
        if frames == 1 << 21
            && at + 12 + len <= nrc.len()
            && crc32_ieee(&nrc[at + 12..at + 12 + len]) == le(at + 8) as u32
        {
            found.push((at, 12 + len));
            at += 12 + len;
        } else if found.is_empty() {
            at += 1;
        } else {
            break;
        }
    }
    found
}

/// Item 5: with two blocks swapped (each passes its own CRC-32), `--recover` said "0 of 3
/// block(s) lost" and wrote wrong samples. Now it says which whole-file check failed and that
/// the output is not trustworthy; with the container CRC resealed too, that the WAV's own
/// CRC-32 failed.
#[test]
fn recover_says_when_every_block_passed_but_the_file_check_failed() {
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(3 * (1 << 21) - 1000, 5);
    let input = write(t.path(), "long.wav", &wav);
    let nrc_path = t.path().join("long.nrc");
    assert_ok(&neurice(&[&"compress", &input, &nrc_path]));
    let nrc = fs::read(&nrc_path).unwrap();
    let b = blocks(&nrc);
    assert!(b.len() >= 2, "{b:?}");
    let ((a0, l0), (a1, l1)) = (b[0], b[1]);
    assert_eq!(a0 + l0, a1);
    let mut swapped = nrc[..a0].to_vec();
    swapped.extend_from_slice(&nrc[a1..a1 + l1]);
    swapped.extend_from_slice(&nrc[a0..a0 + l0]);
    swapped.extend_from_slice(&nrc[a1 + l1..]);
    let mut resealed = swapped.clone();
    let n = resealed.len();
    let crc = crc32_ieee(&resealed[..n - 4]);
    resealed[n - 4..].copy_from_slice(&crc.to_le_bytes());
    for (name, bytes, check) in [
        ("swapped.nrc", &swapped, "container checksum"),
        ("resealed.nrc", &resealed, "decoded WAV checksum"),
    ] {
        let p = write(t.path(), name, bytes);
        let out = t.path().join(format!("{name}.wav"));
        let o = neurice(&[&"decompress", &p, &out, &"--recover"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(
            !err.contains("0 of"),
            "{name}: claims no block was lost: {err}"
        );
        assert!(err.contains("NOT trustworthy"), "{name}: {err}");
        assert!(err.contains(check), "{name}: {err}");
        assert!(err.contains("passed its own CRC-32"), "{name}: {err}");
        assert!(out.exists(), "--recover writes the output");
        // without --recover: no output, and no claim that blocks were lost
        let out2 = t.path().join(format!("{name}.2.wav"));
        let o = neurice(&[&"decompress", &p, &out2]);
        assert_refused(&o, "NOT trustworthy");
        assert!(!out2.exists());
    }
}

// ---- 6. closed or null standard output ------------------------------------------------------

/// Item 6: `compress in.wav - >&-` exited 0: the runtime reopens a closed fd 1 as /dev/null.
#[test]
fn a_closed_or_null_standard_output_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let input = write(t.path(), "in.wav", &grid_wav(2000, 6));
    // standard output on /dev/null
    let to_null = |cmd: &str, input: &Path| {
        bin()
            .args([cmd.as_ref(), input.as_os_str(), "-".as_ref()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    assert_refused(&to_null("compress", &input), "/dev/null");
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec \"$0\" compress '{}' - >&-",
            input.to_str().unwrap()
        ))
        .arg(env!("CARGO_BIN_EXE_neurice"))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_refused(&o, "closed");
    let nrc = neurice_model::compress_wav(&grid_wav(2000, 6)).unwrap().0;
    let n = write(t.path(), "in.nrc", &nrc);
    assert_refused(&to_null("decompress", &n), "/dev/null");
}

// ---- 7. an environment error is an error of the run ---------------------------------------

/// Item 7: `TMPDIR=/nonexistent neurice eval big.wav` said "lossless: NO".
#[test]
fn eval_with_no_temporary_folder_is_an_error_not_a_lossless_failure() {
    let t = tempfile::tempdir().unwrap();
    // larger than eval's in-memory limit (2^22 bytes of samples + 1 MiB): streamed
    let big = write(t.path(), "big.wav", &grid_wav(3_000_000, 7));
    let o = bin()
        .args(["eval".as_ref(), big.as_os_str(), "--json".as_ref()])
        .env("TMPDIR", "/nonexistent/neurice-no-such-folder")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_refused(&o, "temporary");
    assert!(
        stderr(&o).contains("/nonexistent/neurice-no-such-folder"),
        "{}",
        stderr(&o)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !out.contains("\"failed\""),
        "reported as a codec result: {out}"
    );
}

// ---- 9. closed pipes ------------------------------------------------------------------------

/// Runs the binary with standard output a pipe whose reading end is already closed.
fn into_closed_pipe(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors into the array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: closing the reading end we own; the writing end becomes the child's stdout.
    unsafe { libc::close(fds[0]) };
    use std::os::fd::FromRawFd;
    // SAFETY: fds[1] is an open descriptor owned by the File from here on.
    let w = unsafe { fs::File::from_raw_fd(fds[1]) };
    bin()
        .args(args.iter().map(|a| a.as_ref()))
        .stdin(Stdio::null())
        .stdout(Stdio::from(w))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// Item 9: `neurice info x.nrc | true` panicked ("failed printing to stdout"), exit 101, with
/// a backtrace; so did eval, link, sim and compress's statistics.
#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(3000, 8);
    let input = write(t.path(), "x.wav", &wav);
    let nrc = write(
        t.path(),
        "x.nrc",
        &neurice_model::compress_wav(&wav).unwrap().0,
    );
    let out = t.path().join("y.nrc");
    let cases: Vec<Vec<&dyn AsRef<std::ffi::OsStr>>> = vec![
        vec![&"info", &nrc],
        vec![&"eval", &input],
        vec![&"link", &input],
        vec![
            &"sim",
            &"--engine",
            &"rusthdl",
            &"--max-samples",
            &"200",
            &input,
        ],
        vec![&"compress", &input, &out],
        vec![&"compress", &input, &"-"],
    ];
    for args in cases {
        let o = into_closed_pipe(&args);
        let err = stderr(&o);
        let what = format!("{:?}", args.iter().map(|a| a.as_ref()).collect::<Vec<_>>());
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(
            o.status.signal() == Some(libc::SIGPIPE) || o.status.code() == Some(1),
            "{what}: {:?} {err}",
            o.status
        );
    }
    // the output written before the statistics is complete and in place
    assert_eq!(
        fs::read(&out).unwrap(),
        neurice_model::compress_wav(&wav).unwrap().0
    );
}

// ---- 10. interrupted Verilator builds -------------------------------------------------------

fn vl_litter(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".vl-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `sim --engine verilator --build-dir bd`, sends `sig` once the build's own private
/// folder exists, and returns whether it was sent before the process ended.
fn interrupt_build(bd: &Path, input: &Path, sig: i32) -> bool {
    let mut child = bin()
        .args([
            "sim".as_ref(),
            "--engine".as_ref(),
            "verilator".as_ref(),
            "--channels".as_ref(),
            "2".as_ref(),
            "--max-samples".as_ref(),
            "100".as_ref(),
            "--build-dir".as_ref(),
            bd.as_os_str(),
            input.as_os_str(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let mut sent = false;
    while t0.elapsed() < Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        // the build folder of this process (not the stale one the test planted)
        let mine = format!("-{}-", child.id());
        if vl_litter(bd).iter().any(|n| n.contains(&mine)) {
            // let the compiler get going inside it
            std::thread::sleep(Duration::from_millis(300));
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child.id() as i32, sig) };
            sent = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = child.wait().unwrap();
    if sent {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(sig), "{status:?}");
    }
    sent
}

/// Item 10: SIGINT or SIGTERM during a Verilator build left `.vl-top-<hash>-<pid>-N/`
/// (8.6 MB in `flow`), never cleaned. Now the signal removes it, and a later run sweeps the
/// folders of processes that have ended (a `SIGKILL`ed run's).
#[test]
fn an_interrupted_verilator_build_leaves_no_hidden_folder() {
    if !tool("verilator") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let input = write(t.path(), "a.wav", &grid_wav(300, 10));
    let bd = t.path().join("bd");
    // a folder a SIGKILLed run left: its process has ended
    let dead = Command::new("true")
        .spawn()
        .and_then(|mut c| c.wait().map(|_| c.id()))
        .unwrap();
    let stale = bd.join(format!(".vl-top-0123456789abcdef-{dead}-0"));
    fs::create_dir_all(stale.join("obj_dir")).unwrap();
    fs::write(stale.join("obj_dir/Vcore.cpp"), b"// half a build").unwrap();
    let mut sent = 0;
    for sig in [libc::SIGINT, libc::SIGTERM] {
        if interrupt_build(&bd, &input, sig) {
            sent += 1;
            // an orphaned compiler may still be ending: give it a moment
            let t0 = Instant::now();
            while !vl_litter(&bd).is_empty() && t0.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
            assert_eq!(vl_litter(&bd), Vec::<String>::new(), "after signal {sig}");
        }
    }
    assert!(sent > 0, "the build ended before a signal could be sent");
    assert!(!stale.exists(), "the stale folder was not swept");
}

// ---- 8. single streams read within their header's bound ------------------------------------

/// Item 8: `cat HEADER /dev/zero | neurice info -` (a valid single-stream header of 1 channel
/// x 98 689 frames) read 8.4 GB before refusing the stream, and a sparse 3 GiB file with that
/// header was read whole. Now a pipe is read to just past the header's bound (about 35 MB
/// here) and a longer file is refused unread.
#[test]
fn a_single_stream_is_read_no_further_than_its_header_allows() {
    let t = tempfile::tempdir().unwrap();
    let (nrc, _) = neurice_model::compress_wav(&grid_wav(98_689, 3)).unwrap();
    let head = nrc[..neurice_model::format::MAX_HEADER_BYTES].to_vec();
    for args in [&["info", "-"][..], &["decompress", "-", "-"]] {
        let mut child = bin()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let head = head.clone();
        // the header, then zeros until the command stops reading (at most 512 MB offered)
        let feeder = std::thread::spawn(move || {
            let zeros = vec![0u8; 1 << 20];
            let mut sent = head.len() as u64;
            if stdin.write_all(&head).is_ok() {
                while sent < 512 << 20 && stdin.write_all(&zeros).is_ok() {
                    sent += zeros.len() as u64;
                }
            }
            sent
        });
        let o = child.wait_with_output().unwrap();
        let sent = feeder.join().unwrap();
        assert_refused(&o, "longer than any .nrc stream");
        assert!(
            sent < 64 << 20,
            "{args:?}: {sent} bytes taken from the pipe"
        );
    }
    let f = t.path().join("sparse.nrc");
    {
        let mut w = fs::File::create(&f).unwrap();
        w.write_all(&head).unwrap();
        w.set_len(3 << 30).unwrap();
    }
    let out = t.path().join("out.wav");
    let o = neurice(&[&"info", &f]);
    assert_refused(&o, "longer than any .nrc stream");
    let o = neurice(&[&"decompress", &f, &out]);
    assert_refused(&o, "longer than any .nrc stream");
    assert!(!out.exists());
    let (status, kib) = run_measuring_kib(bin().arg("info").arg(&f));
    assert!(!status.success());
    assert!(
        kib < 64 * 1024,
        "peak {kib} KiB for a 3 GiB file it refuses"
    );
}

// ---- 11. link in bounded memory --------------------------------------------------------------

/// Peak resident memory (KiB) of a finished child, from `wait4` (which reaps it).
#[allow(clippy::zombie_processes)]
fn run_measuring_kib(cmd: &mut Command) -> (std::process::ExitStatus, i64) {
    use std::os::unix::process::ExitStatusExt;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 waits for our own child and fills both.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    assert_eq!(r, child.id() as i32);
    (std::process::ExitStatus::from_raw(status), ru.ru_maxrss)
}

/// Item 11: `link` on a 402 MB WAV peaked at 2.37 GB (the recording held several times
/// over). It now streams: on a 64 MB recording (32 M samples) it stays far below the
/// recording's size.
#[test]
fn link_streams_a_long_recording_in_bounded_memory() {
    let t = tempfile::tempdir().unwrap();
    let n = 32_000_000;
    let f = t.path().join("long.wav");
    {
        // written piece by piece, so the test itself stays small too
        let w = neurice_model::wav::Wav::canonical(1, 19531, Vec::new()).unwrap();
        let mut header = w.to_bytes();
        let data = 2 * n as u32;
        header[4..8].copy_from_slice(&(36 + data).to_le_bytes());
        header[40..44].copy_from_slice(&data.to_le_bytes());
        let mut out = std::io::BufWriter::new(fs::File::create(&f).unwrap());
        out.write_all(&header).unwrap();
        let walk = neurice_testkit::walk(1 << 20, 11, 5);
        for i in 0..n {
            let v = neurice_model::grid::grid_value(walk[i % walk.len()] as u32);
            out.write_all(&v.to_le_bytes()).unwrap();
        }
    }
    let (status, kib) = run_measuring_kib(bin().args([
        "link".as_ref(),
        "--drop-rate".as_ref(),
        "0.01".as_ref(),
        f.as_os_str(),
    ]));
    assert!(status.success(), "{status:?}");
    // the old code held the file as i16, as u16, as u32 twice and its packets: > 250 MB
    assert!(kib < 48 * 1024, "peak {kib} KiB for a 64 MB recording");
}

// ---- 12. messages -----------------------------------------------------------------------------

/// Item 12: the messages the issue lists.
#[test]
fn messages_name_things_in_the_users_terms() {
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(3000, 12);
    let input = write(t.path(), "in.wav", &wav);

    // info: the spec's names, not Rust's Debug output
    for coder in ["lite", "max", "v2"] {
        let n = t.path().join(format!("{coder}.nrc"));
        assert_ok(&neurice(&[&"compress", &input, &n, &"--coder", &coder]));
        let o = neurice(&[&"info", &n]);
        assert_ok(&o);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            !text.contains("CodecParams") && !text.contains("V2Params"),
            "{text}"
        );
        assert!(!text.contains('{') && !text.contains('['), "{text}");
        assert!(text.contains("W = 10"), "{text}");
        if coder == "max" {
            assert!(text.contains("table id"), "{text}");
        } else {
            assert!(text.contains("Q = 16"), "{text}");
        }
        if coder == "v2" {
            assert!(
                text.contains("T = 4") && text.contains("steps μ = 2 1 1 1,"),
                "{text}"
            );
        }
    }

    // eval: the file's size, not the bytes read so far
    let seven = write(t.path(), "seven.wav", b"abcdefg");
    let o = neurice(&[&"eval", &seven]);
    assert!(stderr(&o).contains("7 bytes"), "{}", stderr(&o));

    // power --data /dev/zero: what it is, not "no such folder"
    let o = neurice(&[&"power", &"--data", &"/dev/zero"]);
    assert_refused(&o, "character device");
    assert!(!stderr(&o).contains("no such folder"));

    // synth -o FILE: "not a folder"; a bad --freq before the banner; --freq 0.001 refused
    let afile = write(t.path(), "afile", b"");
    let o = neurice(&[&"synth", &"-o", &afile]);
    assert_refused(&o, "not a folder");
    for freq in ["0.001", "0"] {
        let o = neurice(&[&"synth", &"--freq", &freq, &"-o", &t.path().join("s")]);
        assert_refused(&o, "--freq");
        assert!(
            !stderr(&o).contains("yosys →"),
            "banner first: {}",
            stderr(&o)
        );
    }
    // a coder option the chosen coder refuses: refused before the banner too
    let o = neurice(&[
        &"synth",
        &"--coder",
        &"max",
        &"--qmax",
        &"12",
        &"-o",
        &t.path().join("s"),
    ]);
    assert_refused(&o, "max");
    assert!(
        !stderr(&o).contains("yosys →"),
        "banner first: {}",
        stderr(&o)
    );

    // --force onto /proc/version: no temporary path in the message
    let o = neurice(&[&"compress", &input, &"/proc/version", &"--force"]);
    assert_refused(&o, "/proc");
    assert!(!stderr(&o).contains(".tmp"), "{}", stderr(&o));

    // --json has a help text everywhere
    for cmd in ["info", "verilog", "synth", "power", "bitstream"] {
        let o = neurice(&[&cmd, &"--help"]);
        let help = String::from_utf8_lossy(&o.stdout);
        // clap puts the text on the option's line, or on the next one when others are long
        let lines: Vec<&str> = help.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with("--json"))
            .unwrap_or_else(|| panic!("{cmd}: no --json: {help}"));
        let text = format!("{} {}", lines[at], lines.get(at + 1).unwrap_or(&""));
        assert!(text.contains("JSON object"), "{cmd}: {text:?}");
    }
}

/// Item 12: `eval DIR` skipped dangling, looping and FIFO `*.wav` entries silently (exit 0),
/// which it reports when they are named.
#[test]
fn eval_of_a_folder_names_entries_that_are_not_wav_files() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "good.wav", &grid_wav(2000, 13));
    let o = neurice(&[&"eval", &t.path()]);
    assert_ok(&o);
    symlink(&t.path().join("gone"), &t.path().join("dangling.wav"));
    symlink(&t.path().join("loop.wav"), &t.path().join("loop.wav"));
    let fifo = t.path().join("fifo.wav");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let o = neurice(&[&"eval", &t.path()]);
    assert_refused(&o, "dangling");
    let err = stderr(&o);
    assert!(
        err.contains("loop.wav") && err.contains("symlink loop"),
        "{err}"
    );
    assert!(err.contains("fifo.wav") && err.contains("FIFO"), "{err}");
}

/// Item 12: `verilog --force` with a link at its third output wrote the first two files.
/// Every output is checked before any is written.
#[test]
fn verilog_writes_all_its_outputs_or_none() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("v");
    fs::create_dir(&d).unwrap();
    let important = write(t.path(), "important", b"keep me");
    write(&d, "neurice_core.v", b"old core");
    symlink(&important, &d.join("alchitry_cu.pcf"));
    let o = neurice(&[&"verilog", &"-o", &d, &"--force", &"--no-check"]);
    assert_refused(&o, "symbolic link");
    assert_eq!(fs::read(d.join("neurice_core.v")).unwrap(), b"old core");
    assert!(!d.join("alchitry_cu_top.v").exists());
    assert_eq!(fs::read(&important).unwrap(), b"keep me");
}
