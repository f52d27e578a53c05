//! The `neurice` binary end to end: round trips, the no-overwrite rule, bad inputs, `eval --json`
//! and `info`. Each run is checked for its exit status, its stderr (a message, never a panic)
//! and the files it leaves behind.

use std::fs;
use std::path::Path;

use neurice_model::wav::Wav;
use neurice_testkit::hound_wav;
use serde_json::Value;

mod common;
use common::*;

/// Compresses and decompresses through the binary; returns the restored bytes.
fn cli_roundtrip(dir: &Path, wav: &Path) -> Vec<u8> {
    let nrc = dir.join("rt.nrc");
    let back = dir.join("rt.wav");
    let _ = fs::remove_file(&nrc);
    let _ = fs::remove_file(&back);
    assert_ok(&neurice(&[&"compress", &wav, &nrc]));
    assert_ok(&neurice(&[&"decompress", &nrc, &back]));
    fs::read(&back).unwrap()
}

#[test]
fn small_wavs_round_trip_byte_exact() {
    let t = tempfile::tempdir().unwrap();
    let grid = grid_wav(5000, 3);
    let p = write(t.path(), "grid.wav", &grid);
    assert_eq!(cli_roundtrip(t.path(), &p), grid);
    // three channels: hound writes WAVE_FORMAT_EXTENSIBLE, a header the container stores verbatim
    let spec = hound::WavSpec {
        channels: 3,
        sample_rate: 30_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let multi = hound_wav(spec, |w| {
        for i in 0..3000i32 {
            w.write_sample(((i * 7919) % 65536 - 32768) as i16).unwrap();
        }
    });
    let p = write(t.path(), "multi.wav", &multi);
    assert_eq!(cli_roundtrip(t.path(), &p), multi);
}

#[test]
fn a_real_recording_round_trips_byte_exact() {
    if neurice_testkit::data_or_skip("a_real_recording_round_trips_byte_exact").is_none() {
        return;
    }
    let first = &neurice_testkit::first_recording().expect("the data folder holds .wav files");
    let t = tempfile::tempdir().unwrap();
    let back = cli_roundtrip(t.path(), first);
    assert!(
        back == fs::read(first).unwrap(),
        "{} did not round-trip",
        first.display()
    );
    let nrc_len = fs::metadata(t.path().join("rt.nrc")).unwrap().len();
    assert!(
        nrc_len * 2 < back.len() as u64,
        "{nrc_len} of {} bytes",
        back.len()
    );
}

#[test]
fn existing_outputs_are_kept_unless_forced() {
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(2000, 5);
    let input = write(t.path(), "in.wav", &wav);
    let out = write(t.path(), "out.nrc", b"keep me");
    let o = neurice(&[&"compress", &input, &out]);
    assert_refused(&o, "already exists");
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(fs::read(&out).unwrap(), b"keep me");

    assert_ok(&neurice(&[&"compress", &input, &out, &"--force"]));
    let nrc = fs::read(&out).unwrap();
    assert_eq!(&nrc[..4], b"NRIC");

    let back = write(t.path(), "back.wav", b"keep me too");
    assert_refused(&neurice(&[&"decompress", &out, &back]), "already exists");
    assert_eq!(fs::read(&back).unwrap(), b"keep me too");
    assert_ok(&neurice(&[&"decompress", &out, &back, &"--force"]));
    assert_eq!(fs::read(&back).unwrap(), wav);

    // not even --force may write over the input
    let o = neurice(&[&"compress", &input, &input, &"--force"]);
    assert_refused(&o, "input");
    assert_eq!(fs::read(&input).unwrap(), wav);
    assert_eq!(listing(t.path()), ["back.wav", "in.wav", "out.nrc"]);
}

#[cfg(unix)]
#[test]
fn outputs_get_the_permissions_of_a_newly_created_file() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let input = write(t.path(), "in.wav", &grid_wav(100, 1));
    let reference = write(t.path(), "plain", b"x"); // honours the umask like any new file
    let out = t.path().join("out.nrc");
    assert_ok(&neurice(&[&"compress", &input, &out]));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&out),
        mode(&reference),
        "{:o} vs {:o}",
        mode(&out),
        mode(&reference)
    );
}

#[test]
fn bad_inputs_fail_cleanly_and_leave_nothing_behind() {
    let wav = grid_wav(3000, 7);
    let (nrc, _) = neurice_model::compress_wav(&wav).unwrap();
    let int24 = hound_wav(
        hound::WavSpec {
            channels: 1,
            sample_rate: 19531,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        },
        |w| (0..100).for_each(|i| w.write_sample(i * 1000).unwrap()),
    );
    let float = hound_wav(
        hound::WavSpec {
            channels: 1,
            sample_rate: 19531,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        },
        |w| (0..100).for_each(|i| w.write_sample(i as f32 / 100.0).unwrap()),
    );
    let mut flipped = nrc.clone();
    flipped[nrc.len() / 2] ^= 0x10;
    let mut version = nrc.clone();
    version[4] = 9;
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "compress",
            "text",
            b"just some text, not audio\n".to_vec(),
            "not a WAV",
        ),
        ("compress", "empty", Vec::new(), "not a WAV"),
        (
            "compress",
            "truncated header",
            wav[..30].to_vec(),
            "truncated WAV",
        ),
        (
            "compress",
            "truncated data",
            wav[..wav.len() - 101].to_vec(),
            "truncated WAV",
        ),
        ("compress", "24-bit", int24, "24-bit"),
        ("compress", "float", float, "floating-point"),
        (
            "decompress",
            "truncated nrc",
            nrc[..nrc.len() - 10].to_vec(),
            "corrupt",
        ),
        ("decompress", "bit-flipped nrc", flipped, "checksum"),
        ("decompress", "wrong version", version, "version 9"),
        ("decompress", "a WAV", wav.clone(), "not a neurice stream"),
        ("info", "truncated nrc", nrc[..20].to_vec(), "corrupt"),
        ("info", "a WAV", wav.clone(), "not a neurice stream"),
    ];
    for (cmd, what, bytes, want) in cases {
        let t = tempfile::tempdir().unwrap();
        let input = write(t.path(), "input", &bytes);
        let out = t.path().join("output");
        let o = if cmd == "info" {
            neurice(&[&cmd, &input])
        } else {
            neurice(&[&cmd, &input, &out])
        };
        assert_refused(&o, want);
        assert!(
            stderr(&o).contains("input"),
            "{cmd} {what}: error does not name the file: {}",
            stderr(&o)
        );
        assert_eq!(
            listing(t.path()),
            ["input"],
            "{cmd} {what}: files left behind"
        );
        assert_eq!(
            fs::read(&input).unwrap(),
            bytes,
            "{cmd} {what}: input changed"
        );
    }
    // a missing input
    let t = tempfile::tempdir().unwrap();
    let o = neurice(&[
        &"compress",
        &t.path().join("nope.wav"),
        &t.path().join("out.nrc"),
    ]);
    assert_refused(&o, "cannot read");
    assert!(listing(t.path()).is_empty());
}

#[test]
fn eval_json_reports_consistent_totals() {
    let t = tempfile::tempdir().unwrap();
    let wavs = [grid_wav(4000, 1), grid_wav(2500, 2), grid_wav(1000, 3)];
    for (i, w) in wavs.iter().enumerate() {
        write(t.path(), &format!("rec{i}.wav"), w);
    }
    write(t.path(), "notes.txt", b"not a recording");
    let o = neurice(&[&"eval", &"--json", &t.path()]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON object");
    let original: u64 = wavs.iter().map(|w| w.len() as u64).sum();
    let compressed: u64 = wavs
        .iter()
        .map(|w| neurice_model::compress_wav(w).unwrap().0.len() as u64)
        .sum();
    assert_eq!(v["files"].as_u64(), Some(3), "{v}");
    assert_eq!(v["original_bytes"].as_u64(), Some(original));
    assert_eq!(v["compressed_bytes"].as_u64(), Some(compressed));
    let ratio = v["ratio"].as_f64().expect("ratio is a number");
    assert!(
        (ratio - original as f64 / compressed as f64).abs() < 1e-12,
        "{ratio}"
    );
    assert!(ratio > 2.0, "a slow grid walk compresses well: {ratio}");
    assert_eq!(v["lossless"].as_bool(), Some(true));
    let seconds = v["seconds"].as_f64().expect("seconds is a number");
    assert!(seconds.is_finite() && seconds >= 0.0, "{seconds}");
    assert_eq!(v["samples"].as_u64(), Some(7500));
    assert_eq!(v["failed"].as_u64(), Some(0));
    let per_file = v["per_file"].as_array().expect("per_file");
    let names: Vec<&str> = per_file
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rec0.wav", "rec1.wav", "rec2.wav"]);
    for f in per_file {
        assert_eq!(f["lossless"].as_bool(), Some(true), "{f}");
    }
}

#[test]
fn eval_counts_every_sample_of_a_raw_mode_file() {
    // Full-scale 16-bit noise is off the grid: raw mode, code indices far above the hardware's
    // 19 bins. `samples` and `bits_per_sample` must count all of them.
    let t = tempfile::tempdir().unwrap();
    let mut r = 0x2545_F491u32;
    let noise: Vec<i16> = (0..3000)
        .map(|_| {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            r as i16
        })
        .collect();
    let wav = Wav::canonical(1, 19531, noise).unwrap().to_bytes();
    let (nrc, stats) = neurice_model::compress_wav(&wav).unwrap();
    assert_eq!(stats.mode, neurice_model::Mode::Raw16);
    assert!(
        stats.s_histogram[19..].iter().sum::<u64>() > 0,
        "test needs high code indices"
    );
    write(t.path(), "raw.wav", &wav);
    write(t.path(), "grid.wav", &grid_wav(1000, 5));
    let o = neurice(&[&"eval", &"--json", &t.path()]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON object");
    assert_eq!(v["samples"].as_u64(), Some(4000), "{v}");
    let hist: u64 = v["s_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(hist, 4000);
    let compressed = v["compressed_bytes"].as_u64().unwrap();
    assert!(compressed > nrc.len() as u64);
    let bps = v["bits_per_sample"].as_f64().unwrap();
    assert!(
        (bps - compressed as f64 * 8.0 / 4000.0).abs() < 1e-9,
        "{bps}"
    );
}

#[test]
fn eval_reports_a_file_it_cannot_code_and_fails() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "good.wav", &grid_wav(1000, 4));
    write(t.path(), "bad.wav", b"RIFF, but no");
    let o = neurice(&[&"eval", &"--json", &t.path()]);
    assert!(
        !o.status.success(),
        "one file failed: the exit status must say so"
    );
    assert!(!stderr(&o).contains("panicked"));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON even when a file fails");
    assert_eq!(v["files"].as_u64(), Some(2));
    // an input error, not a lossless failure (issue 15)
    assert_eq!(v["input_errors"].as_u64(), Some(1));
    assert_eq!(v["failed"].as_u64(), Some(0));
    let bad = &v["per_file"][0];
    assert_eq!(bad["file"].as_str(), Some("bad.wav"));
    assert_eq!(bad["input_error"].as_bool(), Some(true));
    assert!(bad["error"].as_str().unwrap().contains("WAV"), "{bad}");
}

#[test]
fn eval_without_wavs_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "readme.txt", b"nothing to see");
    assert_refused(
        &neurice(&[&"eval", &"--json", &t.path()]),
        "contains no .wav files",
    );
    let empty = tempfile::tempdir().unwrap();
    assert_refused(
        &neurice(&[&"eval", &empty.path()]),
        "contains no .wav files",
    );
    assert_refused(
        &neurice(&[&"eval", &t.path().join("missing")]),
        "no such file",
    );
}

#[test]
fn info_describes_the_stream() {
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(1234, 8);
    let input = write(t.path(), "in.wav", &wav);
    let nrc = t.path().join("in.nrc");
    assert_ok(&neurice(&[&"compress", &input, &nrc]));
    let o = neurice(&[&"info", &"--json", &nrc]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["version"].as_u64(), Some(1));
    assert_eq!(v["mode"].as_str(), Some("grid10"));
    assert_eq!(v["canonical_wav_header"].as_bool(), Some(true));
    assert_eq!(v["channels"].as_u64(), Some(1));
    assert_eq!(v["sample_rate"].as_u64(), Some(19531));
    assert_eq!(v["frames"].as_u64(), Some(1234));
    assert_eq!(v["params"]["sample_bits"].as_u64(), Some(10));
    assert_eq!(
        v["wav_crc32"].as_str(),
        Some(format!("{:08x}", crc32_ieee(&wav)).as_str())
    );
    assert_eq!(v["bytes"].as_u64(), Some(fs::metadata(&nrc).unwrap().len()));
    let o = neurice(&[&"info", &nrc]);
    assert_ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("grid10") && text.contains("1234 frames"),
        "{text}"
    );
}

#[test]
fn coder_max_compresses_decodes_and_is_reported() {
    let t = tempfile::tempdir().unwrap();
    let wav = grid_wav(3000, 5);
    let input = write(t.path(), "in.wav", &wav);
    let nrc = t.path().join("in.nrc");
    let back = t.path().join("back.wav");
    assert_ok(&neurice(&[&"compress", &"--coder", &"max", &input, &nrc]));
    let bytes = fs::read(&nrc).unwrap();
    assert_eq!(bytes[4], 3, "coder max writes container version 3");
    assert_ok(&neurice(&[&"decompress", &nrc, &back]));
    assert_eq!(fs::read(&back).unwrap(), wav);
    let o = neurice(&[&"info", &"--json", &nrc]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["coder"].as_str(), Some("max"));
    assert_eq!(v["version"].as_u64(), Some(3));
    assert_eq!(v["params"]["taps"].as_u64(), Some(4));
    assert_eq!(v["params"]["table"]["id"].as_u64(), Some(1), "{v}");
    assert_eq!(v["streamed"], true, "version 3 is always blocks: {v}");
    assert_eq!(v["mode"], "per block", "{v}");
    let o = neurice(&[&"info", &nrc]);
    assert_ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("table id 1 (built in)"));
    // coder v2 (the previous max) writes container version 2 and still decodes
    let v2 = t.path().join("v2.nrc");
    assert_ok(&neurice(&[&"compress", &"--coder", &"v2", &input, &v2]));
    assert_eq!(
        fs::read(&v2).unwrap()[4],
        2,
        "coder v2 writes container version 2"
    );
    assert_ok(&neurice(&[&"decompress", &"--force", &v2, &back]));
    assert_eq!(fs::read(&back).unwrap(), wav);
    let v: Value =
        serde_json::from_slice(&neurice(&[&"info", &"--json", &v2]).stdout).expect("JSON");
    assert_eq!(v["coder"].as_str(), Some("v2"));
    // the default stays lite (container version 1), and info says so
    let lite = t.path().join("lite.nrc");
    assert_ok(&neurice(&[&"compress", &input, &lite]));
    assert_eq!(fs::read(&lite).unwrap()[4], 1);
    let v: Value =
        serde_json::from_slice(&neurice(&[&"info", &"--json", &lite]).stdout).expect("JSON");
    assert_eq!(v["coder"].as_str(), Some("lite"));
    // eval --coder max --json names the coder and matches the library's sizes
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.wav", &wav);
    let o = neurice(&[&"eval", &"--coder", &"max", &"--json", &dir.path()]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["coder"].as_str(), Some("max"));
    assert_eq!(
        v["compressed_bytes"].as_u64(),
        Some(bytes.len() as u64),
        "{v}"
    );
    let o = neurice(&[&"eval", &"--json", &dir.path()]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["coder"].as_str(), Some("lite"));
    // an unknown coder is refused before anything is written
    let o = neurice(&[
        &"compress",
        &"--coder",
        &"turbo",
        &input,
        &t.path().join("x.nrc"),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("invalid value 'turbo' for '--coder"),
        "{}",
        stderr(&o)
    );
    assert!(!t.path().join("x.nrc").exists());
}

/// `eval --coder events`: event mode's rate for 1024 channels and its agreement with the
/// reference detector, as the library measures them; event mode refused where it is not
/// wired, and with coder v1's options or a WAV of several channels.
#[test]
fn eval_coder_events_reports_the_rate_and_the_agreement() {
    use neurice_model::events::{agreement, rate, EventParams};
    let dir = tempfile::tempdir().unwrap();
    let recs: Vec<Vec<u16>> = (0..3)
        .map(|s| neurice_testkit::spiky_walk(12_000 + 500 * s as usize, 40 + s))
        .collect();
    for (i, r) in recs.iter().enumerate() {
        write(
            dir.path(),
            &format!("r{i}.wav"),
            &neurice_testkit::grid_wav(1, r),
        );
    }
    let o = neurice(&[&"eval", &"--coder", &"events", &"--json", &dir.path()]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["mode"].as_str(), Some("events"), "{v}");
    assert_eq!(v["files"].as_u64(), Some(3));
    // the library on the same samples (the WAVs' rate)
    let grid: Vec<Vec<u32>> = recs
        .iter()
        .map(|r| r.iter().map(|&x| x as u32).collect())
        .collect();
    let wav = neurice_model::wav::parse_wav(&neurice_testkit::grid_wav(1, &recs[0])).unwrap();
    let p = EventParams {
        sample_rate_hz: wav.sample_rate,
        ..EventParams::new(1024)
    };
    let want = rate::measure(&p, &grid).unwrap();
    let r = &v["rate_1024"];
    assert_eq!(r["channels"].as_u64(), Some(1024));
    assert_eq!(r["frames"].as_u64(), Some(12_000), "the shortest recording");
    assert_eq!(r["events"].as_u64(), Some(want.events));
    assert!(want.events > 0, "spiky walks have events");
    assert_eq!(r["link_bits"].as_u64(), Some(want.link_bits));
    assert!(want.link_bits > want.payload_bits);
    let ratio = v["ratio_vs_wav"].as_f64().unwrap();
    let expect = 12_000.0 * 1024.0 * 16.0 / want.link_bits as f64;
    assert!((ratio - expect).abs() < 1e-9 * expect, "{ratio} {expect}");
    assert_eq!(
        v["rate_met"].as_bool(),
        Some(want.link_mbit_s <= 1.0 && want.worst_100ms_link_mbit_s <= 1.0)
    );
    let a = agreement::measure_recordings(&EventParams { channels: 1, ..p }, &grid).unwrap();
    assert_eq!(
        v["agreement"]["reference_events"].as_u64(),
        Some(a.reference_events)
    );
    for (key, want) in [
        ("precision", a.precision()),
        ("recall", a.recall()),
        ("precision_rejecting", a.events_rejecting.precision()),
        ("recall_rejecting", a.events_rejecting.recall()),
    ] {
        // none where every reference event is on a rejected recording (JSON null)
        let got = v[key].as_f64();
        match (got, want) {
            (Some(g), Some(w)) => assert!((g - w).abs() < 1e-12, "{key} {g} {w}"),
            _ => assert_eq!(got, want, "{key}"),
        }
    }
    assert!(
        a.precision().is_some() && a.recall().is_some(),
        "reference events"
    );
    assert_eq!(
        v["agreement"]["reference_rejected"].as_u64(),
        Some(a.reference_rejected)
    );
    // the text form says what it is
    let o = neurice(&[&"eval", &"--coder", &"events", &dir.path()]);
    assert_ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("not the waveform") && text.contains("not ground truth"),
        "{text}"
    );
    // refused: the board (the event core is not in its top), coder v1's options, a 2-channel WAV
    let t = tempfile::tempdir().unwrap();
    let input = write(t.path(), "in.wav", &grid_wav(3000, 5));
    let out = t.path().join("x");
    assert_refused(
        &neurice(&[&"bitstream", &"--coder", &"events", &"-o", &out]),
        "this command takes a coder",
    );
    assert!(!out.exists());
    assert_refused(
        &neurice(&[&"eval", &"--coder", &"events", &"--qmax", &"9", &input]),
        "own parameters",
    );
    let stereo = write(
        t.path(),
        "stereo.wav",
        &neurice_testkit::grid_wav(2, &[512; 200]),
    );
    assert_refused(
        &neurice(&[&"eval", &"--coder", &"events", &stereo]),
        "one electrode per WAV",
    );
}
