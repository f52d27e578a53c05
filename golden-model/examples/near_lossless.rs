//! Bounded-error coding (FORMAT.md §11) of coder v1 (`lite`) on the recordings: for each
//! maximum error δ, the ratio (payload, and with the container), bits per sample, max and RMS
//! error, the error's in-band power against the noise floor and the agreement of spike
//! detections (`neurice_model::fidelity`), as a Markdown table. Every stream is decoded and
//! checked: the decoder's samples are the encoder's reconstruction and within δ of the input.
//!
//! ```sh
//! cargo run --release -p neurice-model --example near_lossless [-- [--deltas 0,1,2,3,4]
//!     [--thr 4,5,6] [--window 5,6,7] [--no-fidelity] [--every K] [DIR]]
//! ```
//! (default DIR: `$NEURICE_DATA` or `../shared/data/neuralink`; `--every K` takes every K-th
//! recording; `--thr`/`--window` add rows with other threshold numerators (over 8) and windows.)
//!
//! The lattice form of the quantiser (the model's) is compared with JPEG-LS's residual rule on
//! the same coder (standard error, one line per δ).
//!
//! The container estimate is what `neurice compress` writes for the recording losslessly
//! (header, exceptions, payload length, CRC-32: 41 bytes for a canonical file) with the
//! payload replaced by the bounded-error one and one more byte for δ (FORMAT.md §11.5).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use neurice_model::fidelity::{compare, ms_to_samples, DetectorParams, EventMatch, SpikeDetector};
use neurice_model::fidelity::{ErrorStats, Fidelity};
use neurice_model::grid::to_grid;
use neurice_model::grid::value_table;
use neurice_model::lite::{decode_padded, encode_bytes};
use neurice_model::wav::parse_wav;
use neurice_model::{compress_wav, CodecParams, Mode};

struct Recording {
    wav_bytes: u64,
    /// the lossless container less its payload bytes
    overhead: u64,
    rate: f64,
    grid: Vec<u32>,
}

#[derive(Default, Clone)]
struct Row {
    samples: u64,
    payload_bytes: u64,
    nrc_bytes: u64,
    wav_bytes: u64,
    bits: u64,
    entropy_bits: f64,
    error: ErrorStats,
    err_power: f64,
    noise_power: f64,
    spikes: EventMatch,
    ref_events: u64,
    dec_events: u64,
    worst_file_recall: f64,
    worst_file_precision: f64,
    jpegls_bits: u64,
}

/// Payload bits of JPEG-LS's own near-lossless rule on the same coder (T.87 §A.4): the
/// residual `e = x − prev` quantised to `q = ⌊(e + δ)/m⌋` around the previous reconstruction,
/// the reconstruction `clamp(prev + q·m)` fed back, `A`, `N` adapting on `zigzag(q)`.
fn jpegls_bits(p: &CodecParams, d: u32, xs: &[u32]) -> u64 {
    use neurice_model::lite::{encode_u, select_s};
    let (d, m) = (d as i32, 2 * d as i32 + 1);
    let mut st = neurice_model::ChannelState::initial(p);
    let mut bits = 0u64;
    for &x in xs {
        let e = x as i32 - st.prev as i32;
        let q = (e + d).div_euclid(m);
        let r = (st.prev as i32 + q * m).clamp(0, 1023) as u32;
        assert!(r.abs_diff(x) <= d as u32);
        let u = ((q << 1) ^ (q >> 31)) as u32;
        bits += encode_u(u, select_s(st.a, st.n, p), p).len as u64;
        st = st.updated(r, u, p);
    }
    bits
}

fn order0_entropy_bits(qs: &[u32]) -> f64 {
    let mut h = std::collections::HashMap::<u32, u64>::new();
    for &q in qs {
        *h.entry(q).or_default() += 1;
    }
    let n = qs.len() as f64;
    h.values()
        .map(|&c| {
            let p = c as f64 / n;
            -(c as f64) * p.log2()
        })
        .sum()
}

fn parse_list(s: &str) -> Vec<u32> {
    s.split(',')
        .map(|v| v.trim().parse().expect("a list of numbers"))
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut deltas = vec![0, 1, 2, 3, 4];
    let mut thrs: Vec<u32> = Vec::new();
    let mut windows: Vec<u32> = Vec::new();
    let mut fidelity = true;
    let mut every = 1usize;
    let mut dir: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--deltas" => deltas = parse_list(&args.next().expect("--deltas LIST")),
            "--thr" => thrs = parse_list(&args.next().expect("--thr LIST")),
            "--window" => windows = parse_list(&args.next().expect("--window LIST")),
            "--no-fidelity" => fidelity = false,
            "--every" => every = args.next().expect("--every K").parse().expect("K"),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir
        .or_else(|| std::env::var_os("NEURICE_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    files.sort();
    let files: Vec<PathBuf> = files.into_iter().step_by(every.max(1)).collect();
    let recs: Vec<Recording> = files
        .iter()
        .filter_map(|f| {
            let bytes = std::fs::read(f).ok()?;
            let wav = parse_wav(&bytes).ok()?;
            if wav.channels != 1 {
                return None;
            }
            let (nrc, st) = compress_wav(&bytes).ok()?;
            if st.mode != Mode::Grid10 {
                eprintln!("{}: raw mode, left out", f.display());
                return None;
            }
            let (grid, _) = to_grid(&wav.samples);
            Some(Recording {
                wav_bytes: bytes.len() as u64,
                overhead: nrc.len() as u64 - st.payload_bits.div_ceil(8),
                rate: wav.sample_rate as f64,
                grid,
            })
        })
        .collect();
    let samples: usize = recs.iter().map(|r| r.grid.len()).sum();
    println!(
        "{} recordings of {}, {samples} samples\n",
        recs.len(),
        dir.display()
    );

    let base = CodecParams::HARDWARE;
    let mut variants: Vec<(String, CodecParams)> = vec![("5/8, window 64".into(), base)];
    for &t in &thrs {
        if t != base.thr_num {
            let p = CodecParams { thr_num: t, ..base };
            variants.push((format!("{t}/8, window 64"), p));
        }
    }
    for &w in &windows {
        if w != base.window_log2 {
            let p = CodecParams {
                window_log2: w,
                ..base
            };
            variants.push((format!("5/8, window {}", 1 << w), p));
        }
    }
    let rate = recs.first().map(|r| r.rate).unwrap_or(19531.0);
    let det = SpikeDetector::new(rate, DetectorParams::default()).expect("detector");
    let tol = ms_to_samples(0.5, rate);
    let values = value_table();

    println!(
        "| δ | coder | ratio (container) | ratio (payload) | bits/sample | entropy bound (ratio) \
         | max err | RMS err | in-band error / noise floor (σ, grid steps) | spikes (orig / decoded) | precision | \
         recall | worst file (≥ 20 spikes) P / R |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &d in &deltas {
        for (vi, (name, p)) in variants.iter().enumerate() {
            let pd = p.with_max_error(d);
            let qz = pd.quantiser().expect("δ in range");
            let with_fid = fidelity && vi == 0;
            let next = AtomicUsize::new(0);
            let threads = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(4);
            let rows: Vec<Row> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(|| {
                            let mut row = Row {
                                worst_file_precision: 1.0,
                                worst_file_recall: 1.0,
                                ..Default::default()
                            };
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let Some(r) = recs.get(i) else { break };
                                let (bytes, st) = encode_bytes(&pd, 1, &r.grid).expect("encode");
                                let dec =
                                    decode_padded(&pd, 1, r.grid.len(), &bytes).expect("decode");
                                let err = ErrorStats::between(&r.grid, &dec).unwrap();
                                assert!(
                                    err.max_abs <= d as f64,
                                    "recording {i}: error {} > δ {d}",
                                    err.max_abs
                                );
                                // the order-0 entropy of the coded symbols (the index deltas)
                                let mut prev = 1i32 << 9;
                                let us: Vec<u32> = r
                                    .grid
                                    .iter()
                                    .map(|&x| {
                                        let j = qz.index(x) as i32;
                                        let e = j - prev;
                                        prev = j;
                                        ((e << 1) ^ (e >> 31)) as u32
                                    })
                                    .collect();
                                row.entropy_bits += order0_entropy_bits(&us);
                                if d > 0 && vi == 0 {
                                    row.jpegls_bits += jpegls_bits(p, d, &r.grid);
                                }
                                row.samples += r.grid.len() as u64;
                                row.bits += st.bits;
                                row.payload_bytes += bytes.len() as u64;
                                row.nrc_bytes +=
                                    r.overhead + bytes.len() as u64 + if d > 0 { 1 } else { 0 };
                                row.wav_bytes += r.wav_bytes;
                                row.error.merge(&err);
                                if with_fid {
                                    let orig: Vec<i16> =
                                        r.grid.iter().map(|&k| values[k as usize]).collect();
                                    let decd: Vec<i16> =
                                        dec.iter().map(|&k| values[k as usize]).collect();
                                    // in grid steps: the PCM values are 64.06 units per step
                                    let f: Fidelity = compare(&det, &orig, &decd, tol).unwrap();
                                    let n = r.grid.len() as f64;
                                    row.err_power += f.inband_error_power * n;
                                    row.noise_power += f.noise_sigma * f.noise_sigma * n;
                                    row.spikes.add(&f.spikes);
                                    row.ref_events += f.reference_events;
                                    row.dec_events += f.decoded_events;
                                    // the worst file among those with at least 20 events
                                    if f.reference_events >= 20 {
                                        let pr = f.spikes.precision().unwrap_or(0.0);
                                        let rc = f.spikes.recall().unwrap_or(0.0);
                                        row.worst_file_precision = row.worst_file_precision.min(pr);
                                        row.worst_file_recall = row.worst_file_recall.min(rc);
                                    }
                                }
                            }
                            row
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let mut t = Row {
                worst_file_precision: 1.0,
                worst_file_recall: 1.0,
                ..Default::default()
            };
            for r in &rows {
                t.samples += r.samples;
                t.payload_bytes += r.payload_bytes;
                t.nrc_bytes += r.nrc_bytes;
                t.wav_bytes += r.wav_bytes;
                t.bits += r.bits;
                t.entropy_bits += r.entropy_bits;
                t.error.merge(&r.error);
                t.err_power += r.err_power;
                t.noise_power += r.noise_power;
                t.spikes.add(&r.spikes);
                t.ref_events += r.ref_events;
                t.dec_events += r.dec_events;
                t.worst_file_precision = t.worst_file_precision.min(r.worst_file_precision);
                t.worst_file_recall = t.worst_file_recall.min(r.worst_file_recall);
                t.jpegls_bits += r.jpegls_bits;
            }
            if t.jpegls_bits > 0 {
                eprintln!(
                    "δ = {d}: JPEG-LS residual rule {:.4} bits/sample (ratio {:.4}), lattice {:.4} \
                     ({:+.3} %)",
                    t.jpegls_bits as f64 / t.samples as f64,
                    16.0 * t.samples as f64 / t.jpegls_bits as f64,
                    t.bits as f64 / t.samples as f64,
                    100.0 * (t.jpegls_bits as f64 / t.bits as f64 - 1.0)
                );
            }
            let bps = t.bits as f64 / t.samples as f64;
            let pct = |v: Option<f64>| v.map_or("–".into(), |v| format!("{:.2} %", 100.0 * v));
            let fid = if with_fid {
                format!(
                    "{:.1} dB (σ {:.2}) | {} / {} | {} | {} | {:.1} % / {:.1} %",
                    10.0 * (t.err_power / t.noise_power).log10(),
                    // the noise floor's RMS over the recordings, in grid steps (65535/1023 units)
                    (t.noise_power / t.samples as f64).sqrt() * 1023.0 / 65535.0,
                    t.ref_events,
                    t.dec_events,
                    pct(t.spikes.precision()),
                    pct(t.spikes.recall()),
                    100.0 * t.worst_file_precision,
                    100.0 * t.worst_file_recall
                )
            } else {
                "| | | | ".into()
            };
            println!(
                "| {d} | {name} | {:.4} | {:.4} | {:.4} | {:.4} | {} | {:.3} | {fid} |",
                t.wav_bytes as f64 / t.nrc_bytes as f64,
                16.0 / bps,
                bps,
                16.0 * t.samples as f64 / t.entropy_bits,
                t.error.max_abs,
                t.error.rms(),
            );
        }
    }
}
