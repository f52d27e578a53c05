//! Event mode's files on the command line: `compress --coder events` writes an event-stream
//! file (FORMAT.md §12.11), `decompress` writes its NumPy arrays, `info` shows it; damage
//! and existing outputs are refused without a panic or a partial output.

mod common;

use common::*;
use ndarray::{Array1, Array2};
use ndarray_npy::ReadNpyExt;
use neurice_model::events::{EventFile, EventParams, Features};
use std::path::Path;

/// Four channels of spiky walks (events and power on each), one of them clipped onto the
/// rails part of the time; the WAV and the features the model finds in it.
fn recording(frames: usize) -> (Vec<u8>, Features) {
    let c = 4;
    let chans: Vec<Vec<u16>> = (0..c)
        .map(|k| neurice_testkit::spiky_walk(frames, 11 + k as u64))
        .collect();
    let mut idx: Vec<u16> = (0..frames * c).map(|i| chans[i % c][i / c]).collect();
    for (i, x) in idx.iter_mut().enumerate() {
        if i % c == 3 && (i / c) % 2000 < 40 {
            *x = 1023;
        }
    }
    let wav = neurice_testkit::grid_wav(c as u16, &idx);
    let p = EventParams {
        sample_rate_hz: neurice_testkit::SAMPLE_RATE,
        ..EventParams::new(c as u32)
    };
    let x: Vec<u32> = idx.iter().map(|&v| v as u32).collect();
    let (_, f) = EventFile::encode(&p, &x).unwrap();
    (wav, f)
}

fn load1<T: ndarray_npy::ReadableElement>(p: &Path) -> Array1<T> {
    Array1::<T>::read_npy(std::fs::File::open(p).unwrap()).unwrap()
}

fn load2<T: ndarray_npy::ReadableElement>(p: &Path) -> Array2<T> {
    Array2::<T>::read_npy(std::fs::File::open(p).unwrap()).unwrap()
}

#[test]
fn events_round_trip_to_numpy_arrays() {
    let t = tempfile::tempdir().unwrap();
    let (wav, want) = recording(6000);
    assert!(want.events.len() > 10, "spiky walks have events");
    let input = write(t.path(), "in.wav", &wav);
    let ev = t.path().join("in.nrev");
    let o = neurice(&[&"compress", &"--coder", &"events", &"--json", &input, &ev]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["events"].as_u64(), Some(want.events.len() as u64), "{v}");
    assert_eq!(v["channels"].as_u64(), Some(4));
    assert_eq!(v["params"]["rail_frames"].as_u64(), Some(63));
    // the file is the model's
    let f = EventFile::from_bytes(&std::fs::read(&ev).unwrap()).unwrap();
    assert_eq!(f.decode().unwrap(), want);

    let out = t.path().join("arrays");
    let o = neurice(&[&"decompress", &"--json", &ev, &out]);
    assert_ok(&o);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["events"].as_u64(), Some(want.events.len() as u64), "{s}");
    assert_eq!(s["power_bins"].as_u64(), Some(want.bins() as u64));
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(on_disk, s);
    let fs = neurice_testkit::SAMPLE_RATE as f64;
    let times: Array1<f64> = load1(&out.join("spike_times.npy"));
    let chans: Array1<i32> = load1(&out.join("spike_channels.npy"));
    let frames: Array1<i64> = load1(&out.join("spike_frames.npy"));
    assert_eq!(times.len(), want.events.len());
    for (i, e) in want.events.iter().enumerate() {
        assert_eq!(frames[i], e.frame as i64);
        assert_eq!(chans[i], e.channel as i32);
        assert_eq!(times[i], e.frame as f64 / fs);
    }
    let p = f.params;
    let power: Array2<f64> = load2(&out.join("power.npy"));
    let codes: Array2<u16> = load2(&out.join("power_codes.npy"));
    assert_eq!(power.dim(), (want.bins(), 4));
    assert_eq!(codes.dim(), (want.bins(), 4));
    for b in 0..want.bins() {
        for c in 0..4 {
            assert_eq!(codes[[b, c]], want.code(b, c));
            assert_eq!(power[[b, c]], p.power_value(want.code(b, c) as u32));
        }
    }
    // info shows the same file
    let o = neurice(&[&"info", &"--json", &ev]);
    assert_ok(&o);
    let i: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(i["frames"].as_u64(), Some(6000));
    assert_eq!(i["events"], s["events"]);
    let o = neurice(&[&"info", &ev]);
    assert_ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("rail hold-off 63 frames"));
}

#[test]
fn damaged_event_files_are_refused_and_leave_nothing() {
    let t = tempfile::tempdir().unwrap();
    let (wav, _) = recording(3000);
    let input = write(t.path(), "in.wav", &wav);
    let ev = t.path().join("in.nrev");
    assert_ok(&neurice(&[&"compress", &"--coder", &"events", &input, &ev]));
    let good = std::fs::read(&ev).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("header", good[..40].to_vec(), "truncated header"),
        ("cut", good[..good.len() - 3].to_vec(), "truncated"),
        (
            "flipped",
            {
                let mut b = good.clone();
                let n = b.len();
                b[n - 20] ^= 0x40;
                b
            },
            "checksum",
        ),
        (
            "descriptor",
            {
                let mut b = good.clone();
                b[30] ^= 1;
                b
            },
            "checksum",
        ),
        (
            "longer",
            {
                let mut b = good.clone();
                b.extend_from_slice(&[0; 5]);
                b
            },
            "after the last segment",
        ),
    ];
    for (what, bytes, want) in cases {
        let bad = write(t.path(), &format!("{what}.nrev"), &bytes);
        let out = t.path().join(format!("out-{what}"));
        assert_refused(&neurice(&[&"decompress", &bad, &out]), want);
        assert!(!out.exists(), "{what}: an output was left");
        assert_refused(&neurice(&[&"info", &bad]), want);
    }
    // event-mode options that do not apply are refused, not ignored
    assert_refused(
        &neurice(&[&"decompress", &"--recover", &ev, &t.path().join("r")]),
        "--recover is for .nrc",
    );
    assert_refused(
        &neurice(&[&"decompress", &ev, &"-"]),
        "folder of NumPy arrays",
    );
    let stereo_rate = write(t.path(), "empty.wav", &neurice_testkit::grid_wav(2, &[]));
    assert_refused(
        &neurice(&[
            &"compress",
            &"--coder",
            &"events",
            &stereo_rate,
            &t.path().join("e.nrev"),
        ]),
        "no samples",
    );
    assert!(!t.path().join("e.nrev").exists());
}

#[test]
fn event_outputs_are_not_overwritten_without_force() {
    let t = tempfile::tempdir().unwrap();
    let (wav, _) = recording(2000);
    let input = write(t.path(), "in.wav", &wav);
    let ev = write(t.path(), "in.nrev", b"precious");
    assert_refused(
        &neurice(&[&"compress", &"--coder", &"events", &input, &ev]),
        "already exists",
    );
    assert_eq!(std::fs::read(&ev).unwrap(), b"precious");
    assert_ok(&neurice(&[
        &"compress",
        &"--coder",
        &"events",
        &"--force",
        &input,
        &ev,
    ]));
    // an existing array in the folder is kept, and nothing else is written
    let out = t.path().join("arrays");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("power.npy"), b"mine").unwrap();
    assert_refused(&neurice(&[&"decompress", &ev, &out]), "already exists");
    assert_eq!(std::fs::read(out.join("power.npy")).unwrap(), b"mine");
    assert_eq!(listing(&out), ["power.npy"]);
    assert_ok(&neurice(&[&"decompress", &"--force", &ev, &out]));
    assert_eq!(listing(&out).len(), 6);
    // a file where the folder should be
    let file = write(t.path(), "notdir", b"x");
    assert_refused(&neurice(&[&"decompress", &ev, &file]), "not a folder");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}
