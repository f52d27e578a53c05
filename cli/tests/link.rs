//! `neurice link`: the packet stream through a simulated lossy link, end to end through the
//! binary: its JSON fields, losses that never deliver a wrong sample, reproducible seeds,
//! and clear refusals of bad arguments.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::*;

/// Three generated one-channel recordings of `n` samples.
fn recordings(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..3)
        .map(|i| write(dir, &format!("r{i}.wav"), &grid_wav(n, 10 + i)))
        .collect()
}

fn link_json(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Value {
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"link", &"--json"];
    all.extend_from_slice(args);
    let o = neurice(&all);
    assert_ok(&o);
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} missing or not a count: {v}"))
}

#[test]
fn a_perfect_link_delivers_every_sample_with_the_fields_the_issue_names() {
    let t = tempfile::tempdir().unwrap();
    let files = recordings(t.path(), 20_000);
    let v = link_json(&[&"--channels", &"3", &files[0], &files[1], &files[2]]);
    for k in [
        "packets_sent",
        "packets_lost",
        "packets_corrupt",
        "samples",
        "samples_delivered",
        "samples_lost",
        "samples_wrong",
    ] {
        u(&v, k);
    }
    assert!(v["ratio"].as_f64().unwrap() > 1.0);
    assert_eq!(u(&v, "samples"), 60_000);
    assert_eq!(u(&v, "samples_delivered"), 60_000);
    assert_eq!(u(&v, "packets_lost") + u(&v, "samples_lost"), 0);
    assert_eq!(v["worst_gap_per_channel"].as_array().unwrap().len(), 3);
    assert!(v["restart_cost_percent"].as_f64().unwrap() >= 0.0);
    assert_eq!(u(&v, "loss_bound_samples_per_channel"), 1024);
    assert_eq!(u(&v, "loss_bound_samples"), 3 * 1024);
    assert_eq!(u(&v, "groups"), 1);
}

#[test]
fn channel_groups_bound_what_a_lost_packet_costs() {
    let t = tempfile::tempdir().unwrap();
    recordings(t.path(), 30_000);
    let dir = t.path();
    let v = link_json(&[
        &"--channels",
        &"3",
        &"--group-channels",
        &"1",
        &"--packet-bytes",
        &"64",
        &"--drop-rate",
        &"0.05",
        &"--seed",
        &"3",
        &dir,
    ]);
    assert_eq!(u(&v, "groups"), 3);
    assert_eq!(u(&v, "samples_wrong"), 0);
    assert_eq!(u(&v, "loss_bound_samples"), 1024);
    assert!(u(&v, "packets_lost") > 0);
    assert!(
        v["samples_lost_per_bad_packet"].as_f64().unwrap() <= 1024.0,
        "{v}"
    );
}

#[test]
fn drops_bursts_and_bit_errors_lose_samples_but_never_deliver_a_wrong_one() {
    let t = tempfile::tempdir().unwrap();
    recordings(t.path(), 30_000);
    for coder in ["lite", "max", "v2"] {
        let args: [&dyn AsRef<std::ffi::OsStr>; 16] = [
            &"--coder",
            &coder,
            &"--channels",
            &"3",
            &"--packet-bytes",
            &"128",
            &"--segment-frames",
            &"256",
            &"--drop-rate",
            &"0.05",
            &"--burst",
            &"3",
            &"--ber",
            &"1e-4",
            &"--seed",
            &"7",
        ];
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = args.to_vec();
        let dir = t.path();
        a.push(&dir);
        let v = link_json(&a);
        assert_eq!(u(&v, "samples_wrong"), 0, "{coder}: {v}");
        assert!(
            u(&v, "packets_lost") > 0 && u(&v, "packets_corrupt") > 0,
            "{v}"
        );
        assert!(u(&v, "samples_lost") > 0);
        assert_eq!(
            u(&v, "samples_delivered") + u(&v, "samples_lost"),
            u(&v, "samples")
        );
        // the same seed gives the same run
        let again = link_json(&a);
        assert_eq!(again["samples_lost"], v["samples_lost"]);
        assert_eq!(again["packets_corrupt"], v["packets_corrupt"]);
    }
}

#[test]
fn the_text_report_names_the_counts() {
    let t = tempfile::tempdir().unwrap();
    let files = recordings(t.path(), 5_000);
    let o = neurice(&[&"link", &"--drop-rate", &"0.2", &files[0]]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("packets sent") && out.contains("wrong 0"),
        "{out}"
    );
    assert!(out.contains("no wrong sample"), "{out}");
}

#[test]
fn bad_arguments_are_refused_with_a_clear_message() {
    let t = tempfile::tempdir().unwrap();
    let files = recordings(t.path(), 1_000);
    let f = &files[0];
    for (args, want) in [
        (vec!["--drop-rate", "1.5"], "--drop-rate must be in [0, 1]"),
        (vec!["--drop-rate=-0.1"], "--drop-rate must be in [0, 1]"),
        (vec!["--drop-rate", "NaN"], "--drop-rate must be in [0, 1]"),
        (vec!["--ber", "2"], "--ber must be in [0, 1]"),
        (vec!["--burst", "0"], "--burst must be at least 1"),
        (vec!["--channels", "0"], "--channels must be 1..=1024"),
        (vec!["--channels", "1025"], "--channels must be 1..=1024"),
        (
            vec!["--packet-bytes", "19"],
            "--packet-bytes must be at least 20",
        ),
        (
            vec!["--segment-frames", "0"],
            "--segment-frames must be at least 1",
        ),
        (
            vec!["--max-samples", "0"],
            "--max-samples must be at least 1",
        ),
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"link"];
        for x in &args {
            a.push(x);
        }
        a.push(f);
        assert_refused(&neurice(&a), want);
    }
    let empty = tempfile::tempdir().unwrap();
    assert_refused(
        &neurice(&[&"link", &empty.path()]),
        "contains no .wav files",
    );
    let not_wav = write(t.path(), "x.wav", b"not a wav at all");
    assert_refused(&neurice(&[&"link", &not_wav]), "x.wav");
    assert_refused(
        &neurice(&[&"link", &t.path().join("missing.wav")]),
        "no such file",
    );
}

#[test]
fn recordings_through_a_lossy_link_never_give_a_wrong_sample() {
    let Some(dir) = neurice_testkit::data_or_skip("recordings_through_a_lossy_link") else {
        return;
    };
    let files = neurice_testkit::wavs(&dir);
    for coder in ["lite", "max", "v2"] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &"--coder",
            &coder,
            &"--channels",
            &"8",
            &"--group-channels",
            &"2",
            &"--max-samples",
            &"20000",
            &"--drop-rate",
            &"0.05",
            &"--ber",
            &"1e-6",
        ];
        for f in &files[..8] {
            a.push(f);
        }
        let v = link_json(&a);
        assert_eq!(u(&v, "samples"), 160_000);
        assert_eq!(u(&v, "samples_wrong"), 0, "{coder}: {v}");
        assert!(
            u(&v, "packets_lost") > 0 && u(&v, "samples_lost") > 0,
            "{v}"
        );
        // a lost packet costs at most R frames of its group's 2 channels
        assert!(
            v["samples_lost_per_bad_packet"].as_f64().unwrap() <= 2048.0,
            "{v}"
        );
    }
}
