//! Builds a multi-channel recording from the one-electrode recordings: channel `c` is file
//! `c mod n` (files sorted by name), every channel cut to the same length; when there are more
//! channels than files, the repeated files start `1000 · (c div n)` frames later so no two
//! channels are equal. The benchmark input of the README (1024 channels from the 603
//! recordings) and the interleaved rows of FORMAT.md §7.9.
//!
//! `cargo run --release -p neurice-model --example interleave -- DIR OUT.wav CHANNELS`

use std::io::Write;
use std::path::PathBuf;

use neurice_model::wav::{canonical_header, parse_wav};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out, channels] = &args[..] else {
        eprintln!("usage: interleave DIR OUT.wav CHANNELS");
        std::process::exit(2);
    };
    let channels: usize = channels.parse().expect("CHANNELS is a number");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read DIR")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    files.sort();
    let n = files.len();
    assert!(n > 0 && channels > 0 && channels <= u16::MAX as usize);
    let recs: Vec<Vec<i16>> = files
        .iter()
        .map(|f| {
            let w = parse_wav(&std::fs::read(f).expect("read")).expect("a WAV");
            assert_eq!(w.channels, 1, "{}: one channel expected", f.display());
            w.samples
        })
        .collect();
    let rounds = channels.div_ceil(n);
    let shortest = recs.iter().map(Vec::len).min().unwrap();
    let frames = shortest - 1000 * (rounds - 1);
    let rate = 19531;
    let data_len = (2 * channels * frames) as u32;
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).expect("create OUT"));
    w.write_all(&canonical_header(channels as u16, rate, data_len))
        .unwrap();
    for f in 0..frames {
        for c in 0..channels {
            let s = recs[c % n][f + 1000 * (c / n)];
            w.write_all(&s.to_le_bytes()).unwrap();
        }
    }
    w.flush().unwrap();
    eprintln!(
        "{out}: {channels} channels x {frames} frames ({} samples) from {n} recordings",
        channels * frames
    );
}
