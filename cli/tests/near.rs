//! `--max-error δ` (issue 27, FORMAT.md §11) through the binary: `compress` writes the
//! BOUNDED flag and the δ byte, `info` shows δ, `decompress` writes samples within δ, `eval`
//! checks every sample and reports the fidelity, `link` delivers samples within δ, and a bad δ
//! (or δ with coder v2) is a clear error; coder max with δ (FORMAT.md §10.11) through
//! `compress`, `info`, `decompress` and `eval`, and refused by the hardware commands.

use std::fs;

use neurice_model::format::FLAG_BOUNDED;
use neurice_model::grid::grid_index;
use neurice_model::wav::parse_wav;
use serde_json::Value;

mod common;
use common::*;

/// A neural-like 1-channel recording on the grid (a walk with spikes).
fn spiky(n: usize, seed: u64) -> Vec<u8> {
    neurice_testkit::grid_wav(1, &neurice_testkit::spiky_walk(n, seed))
}

/// `max |k̂ − k|` over the grid indices of two WAVs (both on the grid).
fn max_steps(a: &[u8], b: &[u8]) -> u32 {
    let (a, b) = (parse_wav(a).unwrap(), parse_wav(b).unwrap());
    assert_eq!(a.samples.len(), b.samples.len());
    a.samples
        .iter()
        .zip(&b.samples)
        .map(|(&x, &y)| grid_index(x).unwrap().abs_diff(grid_index(y).unwrap()))
        .max()
        .unwrap()
}

#[test]
fn compress_info_decompress_with_a_maximum_error() {
    let t = tempfile::tempdir().unwrap();
    let wav = spiky(20_000, 3);
    let input = write(t.path(), "in.wav", &wav);
    let (lossless, nrc, back) = (
        t.path().join("l.nrc"),
        t.path().join("d2.nrc"),
        t.path().join("back.wav"),
    );
    assert_ok(&neurice(&[&"compress", &input, &lossless]));
    let o = neurice(&[&"compress", &"--max-error", &"2", &input, &nrc]);
    assert_ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("maximum error 2"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let bytes = fs::read(&nrc).unwrap();
    // FORMAT.md §11.5: flag bit 4 and the δ byte after the five parameter bytes
    assert_eq!(bytes[5] & FLAG_BOUNDED, FLAG_BOUNDED);
    assert_eq!(bytes[11], 2);
    assert_eq!(fs::read(&lossless).unwrap()[5] & FLAG_BOUNDED, 0);
    assert!(bytes.len() < fs::metadata(&lossless).unwrap().len() as usize * 3 / 4);
    let v: Value =
        serde_json::from_slice(&neurice(&[&"info", &"--json", &nrc]).stdout).expect("JSON");
    assert_eq!(v["params"]["max_error"].as_u64(), Some(2), "{v}");
    let text = String::from_utf8_lossy(&neurice(&[&"info", &nrc]).stdout).into_owned();
    assert!(text.contains("maximum error 2"), "{text}");
    assert_ok(&neurice(&[&"decompress", &nrc, &back]));
    let dec = fs::read(&back).unwrap();
    assert_ne!(dec, wav, "a bounded-error decode is not the original");
    assert_eq!(max_steps(&wav, &dec), 2);
    // deterministic: a second decode writes the same bytes
    let again = t.path().join("again.wav");
    assert_ok(&neurice(&[&"decompress", &nrc, &again]));
    assert_eq!(fs::read(&again).unwrap(), dec);
}

#[test]
fn eval_checks_the_maximum_error_and_reports_the_fidelity() {
    let dir = tempfile::tempdir().unwrap();
    // (spiky_walk seeds with `seed | 1`: 1, 2, 4 are three different signals)
    for seed in [1u64, 2, 4] {
        write(dir.path(), &format!("r{seed}.wav"), &spiky(30_000, seed));
    }
    let dir = dir.path();
    let eval = |extra: &[&str]| -> Value {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"eval", &"--json"];
        for a in extra {
            args.push(a);
        }
        args.push(&dir);
        let o = neurice(&args);
        assert_ok(&o);
        serde_json::from_slice(&o.stdout).expect("JSON")
    };
    let l = eval(&[]);
    assert_eq!(l["lossless"].as_bool(), Some(true));
    assert!(l["bounded"].is_null());
    let v = eval(&["--max-error", "1"]);
    assert_eq!(v["parameters"]["params"]["max_error"].as_u64(), Some(1));
    assert_eq!(v["passed"].as_bool(), Some(true), "{v}");
    assert_eq!(v["lossless"].as_bool(), Some(false));
    assert_eq!(v["failed"].as_u64(), Some(0));
    assert!(v["ratio"].as_f64().unwrap() > l["ratio"].as_f64().unwrap() * 1.2);
    let b = &v["bounded"];
    assert_eq!(b["max_error"].as_u64(), Some(1));
    assert_eq!(b["violations"].as_u64(), Some(0));
    assert_eq!(b["samples"].as_u64(), Some(90_000));
    assert_eq!(b["max_error_steps"].as_f64(), Some(1.0));
    let rms = b["rms_error_steps"].as_f64().unwrap();
    assert!(rms > 0.3 && rms < 1.0, "{rms}");
    assert!(b["error_to_noise_db"].as_f64().unwrap() < 0.0, "{b}");
    assert!(b["reference_events"].as_u64().unwrap() > 100, "{b}");
    for k in ["spike_precision", "spike_recall"] {
        let x = b[k].as_f64().unwrap();
        assert!((0.5..=1.0).contains(&x), "{k} {x}");
    }
    // the text summary names the check and the fidelity
    let o = neurice(&[&"eval", &"--max-error", &"1", &dir]);
    assert_ok(&o);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        text.contains("every sample within it: yes") && text.contains("spikes precision"),
        "{text}"
    );
}

#[test]
fn link_delivers_samples_within_the_maximum_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "r.wav", &spiky(8_000, 9));
    let o = neurice(&[&"link", &"--json", &"--max-error", &"2", &p]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["samples_wrong"].as_u64(), Some(0), "{v}");
    assert_eq!(v["max_error"].as_u64(), Some(2));
    assert_eq!(v["max_error_seen"].as_u64(), Some(2));
    assert_eq!(v["samples_delivered"].as_u64(), Some(8_000));
}

#[test]
fn a_bad_maximum_error_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let input = write(t.path(), "in.wav", &spiky(1000, 1));
    let out = t.path().join("x.nrc");
    for bad in ["-1", "256", "1.5", "x"] {
        let o = neurice(&[&"compress", &"--max-error", &bad, &input, &out]);
        assert!(!o.status.success(), "--max-error {bad} accepted");
        assert!(stderr(&o).contains("0..=255"), "{}", stderr(&o));
        assert!(!out.exists());
    }
    // coder v2 is lossless only (FORMAT.md §11.7)
    for cmd in ["compress", "eval"] {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&cmd, &"--coder", &"v2", &"--max-error", &"1", &input];
        if cmd == "compress" {
            args.push(&out);
        }
        assert_refused(&neurice(&args), "coder v2 is lossless only");
        assert!(!out.exists());
    }
    // coder max's core takes δ (its board top does not yet): `sim` runs the core against the
    // model, `bitstream` refuses before building anything
    let o = neurice(&[
        &"sim",
        &"--engine",
        &"rusthdl",
        &"--coder",
        &"max",
        &"--max-error",
        &"1",
        &"--json",
        &input,
    ]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["mismatches"].as_u64(), Some(0), "{v}");
    let board = t.path().join("board");
    let o = neurice(&[
        &"bitstream",
        &"--coder",
        &"max",
        &"--max-error",
        &"2",
        &"--out",
        &board,
    ]);
    assert_refused(&o, "bounded-error core is not on the board yet");
    assert!(!board.exists());
    // `verilog` writes that core, but no board top for it
    let v = t.path().join("v");
    assert_ok(&neurice(&[
        &"verilog",
        &"--coder",
        &"max",
        &"--max-error",
        &"1",
        &"--no-check",
        &"-o",
        &v,
    ]));
    assert!(v.join("neurice_core.v").is_file());
    assert!(!v.join("alchitry_cu_top.v").exists());
}

#[test]
fn coder_max_with_a_maximum_error() {
    let t = tempfile::tempdir().unwrap();
    let wav = spiky(30_000, 5);
    let input = write(t.path(), "in.wav", &wav);
    let (nrc, back) = (t.path().join("m1.nrc"), t.path().join("back.wav"));
    let o = neurice(&[
        &"compress",
        &"--coder",
        &"max",
        &"--max-error",
        &"1",
        &input,
        &nrc,
    ]);
    assert_ok(&o);
    let bytes = fs::read(&nrc).unwrap();
    // FORMAT.md §10.7: version 3, the BOUNDED flag, δ after the initial weights (T = 4),
    // then built-in table 2 (trained for δ = 1)
    assert_eq!((bytes[4], bytes[5] & FLAG_BOUNDED), (3, FLAG_BOUNDED));
    assert_eq!((bytes[26], bytes[27]), (1, 2));
    let v: Value =
        serde_json::from_slice(&neurice(&[&"info", &"--json", &nrc]).stdout).expect("JSON");
    assert_eq!(v["params"]["max_error"].as_u64(), Some(1), "{v}");
    assert_eq!(v["params"]["table"]["id"].as_u64(), Some(2), "{v}");
    assert_ok(&neurice(&[&"decompress", &nrc, &back]));
    assert_eq!(max_steps(&wav, &fs::read(&back).unwrap()), 1);
    // eval checks every sample against δ and reports the fidelity
    let o = neurice(&[
        &"eval",
        &"--json",
        &"--coder",
        &"max",
        &"--max-error",
        &"2",
        &input,
    ]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["passed"].as_bool(), Some(true), "{v}");
    let b = &v["bounded"];
    assert_eq!(b["max_error"].as_u64(), Some(2), "{v}");
    assert_eq!(b["violations"].as_u64(), Some(0));
    assert_eq!(b["max_error_steps"].as_f64(), Some(2.0));
}

#[test]
fn verilog_and_sim_build_the_core_of_the_maximum_error() {
    let t = tempfile::tempdir().unwrap();
    let core = |d: &str| -> String {
        let out = t.path().join(format!("v{d}"));
        assert_ok(&neurice(&[
            &"verilog",
            &"-o",
            &out,
            &"--no-check",
            &"--max-error",
            &d,
        ]));
        fs::read_to_string(out.join("neurice_core.v")).unwrap()
    };
    // δ = 2: R = 1639, S = 13 (FORMAT.md §11.8); δ = 0 has no quantiser
    let (v0, v2) = (core("0"), core("2"));
    assert!(v2.contains("1639") && !v0.contains("1639"));
    // the rust-hdl core against the model at δ = 1: bit-exact, fewer words than δ = 0
    let p = write(t.path(), "r.wav", &spiky(4_000, 7));
    let sim = |d: &str| -> Value {
        let o = neurice(&[
            &"sim",
            &"--engine",
            &"rusthdl",
            &"--json",
            &"--max-error",
            &d,
            &p,
        ]);
        assert_ok(&o);
        serde_json::from_slice(&o.stdout).expect("JSON")
    };
    let (s0, s1) = (sim("0"), sim("1"));
    assert_eq!(
        s1["design"]["params"]["max_error"].as_u64(),
        Some(1),
        "{s1}"
    );
    assert_eq!(s1["mismatches"].as_u64(), Some(0));
    assert_eq!(s1["samples"].as_u64(), Some(4_000));
    assert!(s1["words"].as_u64().unwrap() < s0["words"].as_u64().unwrap());
}

#[test]
fn eval_sweeps_the_maximum_error_and_plots_it() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    fs::create_dir(&data).unwrap();
    for seed in [1u64, 2] {
        write(&data, &format!("r{seed}.wav"), &spiky(20_000, seed));
    }
    let plot = t.path().join("sweep.svg");
    let sweep = |extra: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &"eval",
            &"--coder",
            &"both",
            &"--max-error-sweep",
            &"0,1,2",
            &"--plot",
            &plot,
        ];
        args.extend_from_slice(extra);
        args.push(&data);
        neurice(&args)
    };
    let v = json(&sweep(&[&"--json"]));
    let points = v["points"].as_array().expect("points");
    assert_eq!(points.len(), 6, "{v}");
    assert_eq!(v["passed"], true);
    // every point is what `eval --max-error δ` measures on its own
    for (p, (coder, d)) in points.iter().zip(
        ["lite", "max"]
            .iter()
            .flat_map(|c| ["0", "1", "2"].map(move |d| (*c, d))),
    ) {
        assert_eq!(p["coder"], coder, "{p}");
        let one = json(&neurice(&[
            &"eval",
            &"--coder",
            &coder,
            &"--max-error",
            &d,
            &"--json",
            &data,
        ]));
        for k in [
            "ratio",
            "bits_per_sample",
            "compressed_bytes",
            "lossless",
            "bounded",
        ] {
            assert_eq!(p[k], one[k], "coder {coder} δ {d}: {k}");
        }
        assert_eq!(p["bounded"].is_null(), d == "0");
    }
    let svg = fs::read_to_string(&plot).expect("the plot is written");
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert!(
        svg.contains("coder lite") && svg.contains("coder max"),
        "{svg}"
    );
    let ratio = format!(">{:.2}<", points[4]["ratio"].as_f64().unwrap());
    assert!(
        svg.contains(&ratio),
        "max's ratio at δ = 1 ({ratio}) not on the plot"
    );
    // the plot is not replaced without --force; with it, it is
    assert_refused(&sweep(&[]), "already exists");
    fs::write(&plot, "old").unwrap();
    assert_ok(&sweep(&[&"--force"]));
    assert!(fs::read_to_string(&plot).unwrap().starts_with("<svg"));
    // a bad list is refused before anything is measured
    for (bad, want) in [
        ("", "empty"),
        ("0,256", "0..=255"),
        ("2,1", "increasing order"),
        ("0,1,1", "without repeats"),
        ("0,x", "`x`"),
    ] {
        let o = neurice(&[&"eval", &"--max-error-sweep", &bad, &data]);
        assert!(!o.status.success(), "--max-error-sweep {bad:?} accepted");
        assert!(stderr(&o).contains(want), "{bad:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
    let o = neurice(&[
        &"eval",
        &"--max-error",
        &"1",
        &"--max-error-sweep",
        &"0,1",
        &data,
    ]);
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    let o = neurice(&[&"eval", &"--plot", &plot, &data]);
    assert!(stderr(&o).contains("--max-error-sweep"), "{}", stderr(&o));
    assert_refused(
        &neurice(&[
            &"eval",
            &"--coder",
            &"v2",
            &"--max-error-sweep",
            &"0,1",
            &data,
        ]),
        "coder v2 is lossless only",
    );
}
