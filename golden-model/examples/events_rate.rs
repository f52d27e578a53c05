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

use neurice_model::events::{rate, EventParams};

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
        "state per channel: {} bits ({} fields of 16 bits + refractory {} bits + 1 + rail \
         count {} bits + saturation rule {} bits)",
        p.state_bits(),
        2 * p.section_count as u32 + 3,
        p.refractory_bits(),
        p.rail_bits(),
        if p.sat_epoch_log2 > 0 { 3 } else { 0 }
    );
    for channels in [1024usize, recs.len()] {
        let q = EventParams {
            channels: channels as u32,
            ..p
        };
        let r = rate::measure(&q, &recs).expect("valid parameters, 10-bit samples");
        println!(
            "{channels} channels, {} frames ({:.3} s): {} events = {:.3} events/s/channel; \
             payload {:.4} Mbit/s, with packet framing {:.4} Mbit/s ({} segments); worst \
             100 ms window: payload {:.4} Mbit/s, with framing {:.4} Mbit/s; scaled to 1024 \
             channels: {:.4} Mbit/s with framing",
            r.frames,
            r.seconds,
            r.events,
            r.events_per_s_per_channel,
            r.payload_mbit_s,
            r.link_mbit_s,
            r.segments,
            r.worst_100ms_payload_mbit_s,
            r.worst_100ms_link_mbit_s,
            r.link_mbit_s * 1024.0 / channels as f64
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
