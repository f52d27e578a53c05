//! Recordings of any length (FORMAT.md §7.9): a 2 GiB recording generated on the fly goes
//! through `compress - -` piped into `decompress - -` and comes back byte for byte, each
//! process within 256 MB of peak memory; a damaged stream loses only its damaged block, says
//! which frames, exits 1 and leaves no output unless `--recover`; old version-1 streams still
//! decode; `info` reports the blocks.

mod common;

use std::io::{Read, Write};
use std::process::Stdio;

use common::{assert_ok, assert_refused, bin, listing, neurice, stderr, write};
use neurice_model::stream::BLOCK_SAMPLES;
use neurice_model::wav::canonical_header;
use neurice_testkit::{grid_samples, walk};

/// 1024 channels: one tile of 8192 frames (8 M samples, a few off the grid), repeated.
const CHANNELS: usize = 1024;
const TILE_FRAMES: usize = 8192;
const TILES: usize = 128; // 2^30 samples: a 2 GiB WAV

fn tile() -> Vec<u8> {
    let walks: Vec<Vec<u16>> = (0..CHANNELS as u32)
        .map(|c| walk(TILE_FRAMES, 1000 + c, 4 + c % 5))
        .collect();
    let mut idx = Vec::with_capacity(TILE_FRAMES * CHANNELS);
    for f in 0..TILE_FRAMES {
        for w in &walks {
            idx.push(w[f]);
        }
    }
    let mut s = grid_samples(&idx);
    for i in (0..s.len()).step_by(1_234_567) {
        s[i] = s[i].wrapping_add(3); // off the grid: an exception
    }
    s.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Peak resident memory of a finished child in MB (`wait4`'s `ru_maxrss`), and whether it
/// exited with 0.
fn wait_rss(child: std::process::Child) -> (f64, bool) {
    let mut status = 0;
    // SAFETY: a plain wait4 on our own child with valid pointers; the Child is not waited on
    // again (it is forgotten).
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    std::mem::forget(child);
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4");
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (ru.ru_maxrss as f64 / 1024.0, ok)
}

#[test]
fn a_2_gib_recording_streams_through_in_bounded_memory() {
    let tile = tile();
    let data_len = (tile.len() * TILES) as u32;
    let header = canonical_header(CHANNELS as u16, 19531, data_len);
    let start = std::time::Instant::now();
    let mut comp = bin()
        .args(["compress", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut dec = bin()
        .args(["decompress", "-", "-"])
        .stdin(Stdio::from(comp.stdout.take().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut feed = comp.stdin.take().unwrap();
    let (tile_w, header_w) = (tile.clone(), header);
    let writer = std::thread::spawn(move || {
        feed.write_all(&header_w).unwrap();
        for _ in 0..TILES {
            feed.write_all(&tile_w).unwrap();
        }
    });
    let mut comp_err = comp.stderr.take().unwrap();
    let errs = std::thread::spawn(move || {
        let mut s = String::new();
        comp_err.read_to_string(&mut s).unwrap();
        s
    });
    let mut back = dec.stdout.take().unwrap();
    let mut got = vec![0u8; header.len()];
    back.read_exact(&mut got).unwrap();
    assert_eq!(got, header);
    let mut buf = vec![0u8; tile.len()];
    for t in 0..TILES {
        back.read_exact(&mut buf)
            .unwrap_or_else(|e| panic!("tile {t}: {e}"));
        assert!(buf == tile, "tile {t} differs");
    }
    assert_eq!(back.read(&mut [0u8; 1]).unwrap(), 0, "bytes after the end");
    writer.join().unwrap();
    let mut dec_err = String::new();
    dec.stderr
        .take()
        .unwrap()
        .read_to_string(&mut dec_err)
        .unwrap();
    let (comp_rss, comp_ok) = wait_rss(comp);
    let (dec_rss, dec_ok) = wait_rss(dec);
    let comp_err = errs.join().unwrap();
    assert!(comp_ok, "compress failed: {comp_err}");
    assert!(dec_ok, "decompress failed: {dec_err}");
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "2 GiB through compress | decompress in {secs:.1} s ({:.1} M samples/s); peak RSS compress {comp_rss:.0} MB, decompress {dec_rss:.0} MB; {}",
        (tile.len() / 2 * TILES) as f64 / secs / 1e6,
        comp_err.trim()
    );
    assert!(comp_rss <= 256.0, "compress peaked at {comp_rss:.0} MB");
    assert!(dec_rss <= 256.0, "decompress peaked at {dec_rss:.0} MB");
}

/// A 1-channel recording of three and a bit blocks.
fn long_wav() -> Vec<u8> {
    neurice_testkit::grid_wav(1, &walk(3 * BLOCK_SAMPLES + 1000, 77, 5))
}

/// Where block `k`'s contents start in a streamed coder-v1 container with a canonical header.
fn block_start(nrc: &[u8], k: usize) -> usize {
    let mut at = 6 + 9 + 14 + 4 + 4;
    for _ in 0..k {
        at += 12 + u32::from_le_bytes(nrc[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    at + 12
}

#[test]
fn a_damaged_stream_loses_only_its_damaged_block() {
    let dir = tempfile::tempdir().unwrap();
    let wav = long_wav();
    let src = write(dir.path(), "long.wav", &wav);
    let nrc_path = dir.path().join("long.nrc");
    assert_ok(&neurice(&[&"compress", &src, &nrc_path]));
    let nrc = std::fs::read(&nrc_path).unwrap();
    assert_eq!(
        nrc[4], 2,
        "a long recording is streamed in container version 2"
    );
    let info = neurice(&[&"info", &nrc_path, &"--json"]);
    assert_ok(&info);
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["blocks"], 4);
    assert_eq!(v["streamed"], true);
    assert_eq!(v["coder"], "lite");

    let mut bad = nrc.clone();
    bad[block_start(&nrc, 2) + 1000] ^= 0x08;
    let bad_path = write(dir.path(), "bad.nrc", &bad);
    let before = listing(dir.path());
    let out = dir.path().join("out.wav");
    let o = neurice(&[&"decompress", &bad_path, &out]);
    assert_refused(&o, "block 2 lost");
    let err = stderr(&o);
    let (a, b) = (2 * BLOCK_SAMPLES, 3 * BLOCK_SAMPLES);
    assert!(err.contains(&format!("frames {a}..{b}")), "{err}");
    assert!(err.contains("1 of 4 block(s) lost"), "{err}");
    assert!(err.contains("no output written"), "{err}");
    assert_eq!(listing(dir.path()), before, "no output, no temporary file");
    assert_refused(&neurice(&[&"info", &bad_path]), "block 2 lost");

    let o = neurice(&[&"decompress", &bad_path, &out, &"--recover"]);
    assert_refused(&o, "block 2 lost");
    assert!(stderr(&o).contains("zero samples"), "{}", stderr(&o));
    let rec = std::fs::read(&out).unwrap();
    assert_eq!(rec.len(), wav.len());
    let lost = 44 + 2 * a..44 + 2 * b;
    assert!(rec[..lost.start] == wav[..lost.start]);
    assert!(rec[lost.clone()].iter().all(|&x| x == 0));
    assert!(rec[lost.end..] == wav[lost.end..]);

    // truncated in the last block: the earlier blocks are recovered
    let cut = write(dir.path(), "cut.nrc", &nrc[..block_start(&nrc, 3) + 10]);
    let out2 = dir.path().join("out2.wav");
    let o = neurice(&[&"decompress", &cut, &out2, &"--recover"]);
    assert_refused(&o, "block 3 lost");
    let rec = std::fs::read(&out2).unwrap();
    assert!(rec[..44 + 2 * b] == wav[..44 + 2 * b]);
}

#[test]
fn old_version_1_streams_still_decode() {
    let dir = tempfile::tempdir().unwrap();
    for v in neurice_testkit::vectors::all() {
        assert_eq!(v.nrc[4], 1, "{}: the frozen vectors are version 1", v.name);
        let nrc = write(dir.path(), &format!("{}.nrc", v.name), &v.nrc);
        let out = dir.path().join(format!("{}.wav", v.name));
        assert_ok(&neurice(&[&"decompress", &nrc, &out]));
        assert!(std::fs::read(&out).unwrap() == v.wav(), "{}", v.name);
        // and piped
        let o = bin()
            .args(["decompress", "-", "-"])
            .stdin(std::fs::File::open(&nrc).unwrap())
            .output()
            .unwrap();
        assert_ok(&o);
        assert!(o.stdout == v.wav(), "{} piped", v.name);
    }
}

#[test]
fn a_long_recording_round_trips_through_files_and_pipes() {
    let dir = tempfile::tempdir().unwrap();
    let wav = long_wav();
    let src = write(dir.path(), "long.wav", &wav);
    for coder in ["lite", "max", "v2"] {
        let nrc = dir.path().join(format!("{coder}.nrc"));
        let o = neurice(&[
            &"compress",
            &src,
            &nrc,
            &"--coder",
            &coder,
            &"--threads",
            &"2",
        ]);
        assert_ok(&o);
        // a pipe in, a pipe out: the same bytes
        let mut child = bin()
            .args(["compress", "-", "-", "--coder", coder])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feed = wav.clone();
        let writer = std::thread::spawn(move || stdin.write_all(&feed).unwrap());
        let o = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(o.status.success());
        assert!(
            o.stdout == std::fs::read(&nrc).unwrap(),
            "{coder}: piped bytes differ"
        );
        let back = dir.path().join(format!("{coder}.wav"));
        assert_ok(&neurice(&[&"decompress", &nrc, &back, &"--threads", &"1"]));
        assert!(std::fs::read(&back).unwrap() == wav, "{coder}");
    }
    // eval streams a long file and agrees with compress on its size
    let o = neurice(&[&"eval", &src, &"--json"]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["lossless"], true);
    assert_eq!(
        v["compressed_bytes"].as_u64().unwrap(),
        std::fs::metadata(dir.path().join("lite.nrc"))
            .unwrap()
            .len()
    );
}
