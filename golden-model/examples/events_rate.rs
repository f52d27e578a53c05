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
            neurice_model::container::to_grid(&w.samples).0
        })
        .collect()
}

struct Run {
    segments: Vec<Segment>,
    events: u64,
    frames: u64,
    /// bits written after each frame
    bits_at: Vec<u64>,
}

fn run(p: &EventParams, recs: &[Vec<u32>], channels: usize) -> Run {
    let frames = recs.iter().map(Vec::len).min().unwrap();
    let mut e = Encoder::new(p).expect("valid parameters");
    let mut bits_at = Vec::with_capacity(frames + 1);
    bits_at.push(0);
    let mut events = 0u64;
    for t in 0..frames {
        for c in 0..channels {
            events += e.push(recs[c % recs.len()][t]).expect("10-bit").event as u64;
        }
        bits_at.push(e.bits());
    }
    let (segments, _) = e.finish().expect("whole frames");
    Run {
        segments,
        events,
        frames: frames as u64,
        bits_at,
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
        // the worst 100 ms window: payload bits over any 1953 consecutive frames; link bits
        // over any 5 consecutive segments (5 × 390 frames = 99.8 ms)
        let w = (0.1 * fs).round() as usize;
        let worst_payload = (0..r.bits_at.len().saturating_sub(w))
            .map(|t| r.bits_at[t + w] - r.bits_at[t])
            .max()
            .unwrap_or(0);
        let per_seg: Vec<u64> = r
            .segments
            .iter()
            .map(|s| link_bytes(&q, std::slice::from_ref(s)) * 8)
            .collect();
        let nseg = ((0.1 * fs) / q.segment_frames() as f64).round().max(1.0) as usize;
        let worst_link = per_seg
            .windows(nseg.min(per_seg.len()))
            .map(|x| x.iter().sum::<u64>())
            .max()
            .unwrap_or(0);
        let seg_secs = nseg as f64 * q.segment_frames() as f64 / fs;
        println!(
            "{channels} channels, {} frames ({secs:.3} s): {} events = {:.3} events/s/channel; \
             payload {:.4} Mbit/s, with packet framing {:.4} Mbit/s ({} segments); worst \
             100 ms window: payload {:.4} Mbit/s, with framing {:.4} Mbit/s ({nseg} segments, \
             {:.1} ms); scaled to 1024 channels: {:.4} Mbit/s with framing",
            r.frames,
            r.events,
            r.events as f64 / secs / channels as f64,
            payload as f64 / secs / 1e6,
            link as f64 / secs / 1e6,
            r.segments.len(),
            worst_payload as f64 / (w as f64 / fs) / 1e6,
            worst_link as f64 / seg_secs / 1e6,
            seg_secs * 1e3,
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
