//! Event mode on the recordings: events per second per channel, the stream's rate for 1024
//! channels with and without packet framing, the worst 100 ms window, and the bits of
//! per-channel state (FORMAT.md §12.9 quotes this example's output).
//!
//! The 1024 channels are built as `neurice sim --channels 1024` builds them
//! (`neurice_sim::stimulus::run_groups`): channel `c` is recording `c mod n` (sorted by
//! name), all cut to the shortest recording; with 603 recordings channels 603 … 1023 repeat
//! recordings 0 … 420. A second run codes the 603 recordings once each (603 channels).
//!
//! `cargo run --release -p neurice-model --example events_rate -- [DIR] [--k K]`

use std::path::PathBuf;

use neurice_model::events::{link_bytes, Encoder, EventParams, Segment};

fn load(dir: &PathBuf) -> Vec<Vec<u32>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read DIR")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let w = neurice_model::wav::parse_wav(&std::fs::read(f).expect("read")).expect("WAV");
            neurice_model::grid::to_grid(&w.samples).0
        })
        .collect()
}

struct Run {
    segments: Vec<Segment>,
    events: u64,
    frames: u64,
    /// payload bits written after each frame (padding included)
    bits_at: Vec<u64>,
    /// the same with the packet framing of the segments closed so far
    link_at: Vec<u64>,
}

fn run(p: &EventParams, recs: &[Vec<u32>], channels: usize) -> Run {
    let frames = recs.iter().map(Vec::len).min().unwrap();
    let mut e = Encoder::new(p).expect("valid parameters");
    let mut bits_at = Vec::with_capacity(frames + 1);
    let mut link_at = Vec::with_capacity(frames + 1);
    bits_at.push(0);
    link_at.push(0);
    let mut events = 0u64;
    let mut framing = 0u64;
    let mut segments = Vec::new();
    for t in 0..frames {
        for rec in recs.iter().cycle().take(channels) {
            events += e.push(rec[t]).expect("10-bit").event as u64;
        }
        for s in e.take_segments() {
            framing += link_bytes(p, std::slice::from_ref(&s)) * 8 - s.words.len() as u64 * 32;
            segments.push(s);
        }
        bits_at.push(e.bits());
        link_at.push(e.bits() + framing);
    }
    let (rest, _) = e.finish().expect("whole frames");
    segments.extend(rest);
    Run {
        segments,
        events,
        frames: frames as u64,
        bits_at,
        link_at,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = neurice_model_data_dir();
    let mut p = EventParams::new(1024);
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--k" {
            p = p
                .with_k(args[i + 1].parse().expect("--k K"))
                .expect("valid k");
            i += 2;
        } else {
            dir = PathBuf::from(&args[i]);
            i += 1;
        }
    }
    let recs = load(&dir);
    let fs = p.sample_rate_hz as f64;
    println!(
        "{} recordings from {}; k = {}, band-pass {} section(s), bins of {} frames ({:.2} ms), \
         segments of {} bins, latency rule {} frames, packets of {} bytes",
        recs.len(),
        dir.display(),
        p.k(),
        p.section_count,
        p.bin_frames,
        p.bin_frames as f64 / fs * 1e3,
        p.segment_bins,
        p.latency_frames,
        p.packet_bytes
    );
    println!(
        "state per channel: {} bits ({} fields of 16 bits + refractory {} bits + 1)",
        p.state_bits(),
        2 * p.section_count as u32 + 3,
        p.refractory_bits()
    );
    for channels in [1024usize, recs.len()] {
        let q = EventParams {
            channels: channels as u32,
            ..p
        };
        let r = run(&q, &recs, channels);
        let secs = r.frames as f64 / fs;
        let payload: u64 = r.segments.iter().map(|s| s.words.len() as u64 * 32).sum();
        let link = link_bytes(&q, &r.segments) * 8;
        // the worst 100 ms window: bits written over any 1953 consecutive frames (the
        // framing of a segment counted when the segment closes)
        let w = (0.1 * fs).round() as usize;
        let worst = |at: &[u64]| {
            (0..at.len().saturating_sub(w))
                .map(|t| at[t + w] - at[t])
                .max()
                .unwrap_or(0) as f64
                / (w as f64 / fs)
                / 1e6
        };
        println!(
            "{channels} channels, {} frames ({secs:.3} s): {} events = {:.3} events/s/channel; \
             payload {:.4} Mbit/s, with packet framing {:.4} Mbit/s ({} segments); worst \
             100 ms window ({w} frames): payload {:.4} Mbit/s, with framing {:.4} Mbit/s; \
             scaled to 1024 channels: {:.4} Mbit/s with framing",
            r.frames,
            r.events,
            r.events as f64 / secs / channels as f64,
            payload as f64 / secs / 1e6,
            link as f64 / secs / 1e6,
            r.segments.len(),
            worst(&r.bits_at),
            worst(&r.link_at),
            link as f64 / secs / 1e6 * 1024.0 / channels as f64
        );
    }
}

fn neurice_model_data_dir() -> PathBuf {
    std::env::var_os("NEURICE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/neuralink")
        })
}
