//! Shared by the binary's tests (`cli.rs`, `hw.rs`, `hostile.rs`); the workspace-wide helpers
//! are in `neurice-testkit`.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `neurice` binary built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurice"))
}

/// Runs the `neurice` binary built for these tests (standard input closed).
pub fn neurice(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    bin()
        .args(args.iter().map(|a| a.as_ref()))
        .stdin(Stdio::null())
        .output()
        .expect("run the neurice binary")
}

/// The JSON object a successful command printed (the exit status and standard error in the
/// message otherwise).
#[track_caller]
pub fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("stdout is one JSON object")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
pub fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "expected success, got {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
}

/// A failed run: non-zero exit, an error message on stderr that contains `want`, no panic.
#[track_caller]
pub fn assert_refused(o: &Output, want: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "exit status {:?}; stderr: {err}",
        o.status
    );
    assert!(err.contains("neurice: error:"), "no error message: {err:?}");
    assert!(
        err.to_lowercase().contains(&want.to_lowercase()),
        "error does not mention {want:?}: {err}"
    );
    assert!(!err.contains("panicked"), "panic: {err}");
}

/// Names of the files in `dir`, sorted (to catch leftover outputs and temporary files).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A 1-channel grid random walk (steps -5..=5) of `n` samples as a canonical WAV.
pub fn grid_wav(n: usize, seed: u32) -> Vec<u8> {
    neurice_testkit::grid_wav(1, &neurice_testkit::walk(n, seed, 5))
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

/// CRC-32 (IEEE), bitwise: the checksum `info` prints, computed independently of the codec.
pub fn crc32_ieee(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}
