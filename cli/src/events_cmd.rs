//! Event mode on the command line: `compress --coder events` writes an event-stream file
//! (FORMAT.md §12.11), `decompress` of one writes NumPy arrays, `info` shows it; and
//! `neurice eval --coder events`: event mode on recordings (FORMAT.md §12.9) — the stream's
//! rate for 1024 channels (recording `c mod n` on channel `c`, as `neurice sim` interleaves
//! them) with packet framing and its worst 100 ms, events per second per channel, the ratio
//! against the WAV, and the agreement with the floating-point reference detector (precision
//! and recall within ±0.5 ms, power correlation; each recording one channel). Features, not
//! the waveform: nothing here is lossless, and the agreement is two detectors compared, not
//! ground truth.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use ndarray::{Array1, Array2};
use ndarray_npy::{WriteNpyError, WriteNpyExt};
use serde::Serialize;

use crate::files::{
    check_output, check_outputs, create_out_dir, ensure_distinct, input_name, is_stdio, open_input,
    output_name, write_output, write_output_with,
};
use neurice_flow::event_eval::{run_event_eval, EventEvalReport};
use neurice_model::events::file::is_event_file;
use neurice_model::events::{EventFile, EventParams, Features};

/// `neurice eval --coder events FILES`: [`neurice_flow::event_eval`] (the flow's eval stage
/// of event mode runs the same).
pub fn eval(files: &[PathBuf], json: bool) -> Result<ExitCode> {
    let rep = run_event_eval(files, &EventParams::new(1024), None, &|_| {})?;
    if json {
        println!("{}", serde_json::to_string(&rep)?);
    } else {
        print_text(&rep);
    }
    // a measurement, not a check: the targets are reported, the exit code says it ran
    Ok(ExitCode::SUCCESS)
}

fn print_text(r: &EventEvalReport) {
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1} %", 100.0 * v));
    let met = |b: bool| if b { "met" } else { "MISSED" };
    let x = &r.rate_1024;
    println!(
        "event mode (features, not the waveform; FORMAT.md §12), {} recordings of {} frames \
         at {} Hz, k = {}, bins of {} frames",
        r.files, r.frames_each, r.sample_rate_hz, r.k, r.bin_frames
    );
    println!(
        "1024 channels: {:.3} events/s/channel; {:.4} Mbit/s with packet framing (payload \
         {:.4}), worst 100 ms {:.4} Mbit/s; ratio against the 16-bit WAV {:.0}x; radio \
         budget {} Mbit/s: {}",
        x.events_per_s_per_channel,
        x.link_mbit_s,
        x.payload_mbit_s,
        x.worst_100ms_link_mbit_s,
        r.ratio_vs_wav,
        r.radio_mbit_s,
        met(r.rate_met)
    );
    println!(
        "agreement with the float reference detector (not ground truth; each recording one \
         channel, ±0.5 ms): precision {}, recall {}, power r {}; {} reference events, {} \
         detected; target ≥ 90 % / ≥ 90 % / ≥ 0.95: {}",
        pct(r.precision),
        pct(r.recall),
        r.power_r.map_or("n/a".to_string(), |v| format!("{v:.4}")),
        r.agreement.reference_events,
        r.agreement.detector_events,
        met(r.agreement_met)
    );
    println!(
        "against the reference with channel rejection (≥ 1 % of a recording's samples at 0 \
         or 1023: {} rejected, {} reference events left; the detector's saturation rule \
         rejected {} at some frame): precision {}, recall {}; target: {}",
        r.agreement.reference_rejected,
        r.agreement.reference_events_rejecting,
        r.agreement.detector_rejected,
        pct(r.precision_rejecting),
        pct(r.recall_rejecting),
        met(r.agreement_met_rejecting)
    );
}

// ---- the event-stream file: compress, decompress, info ------------------------------------

/// What `compress --coder events` reports.
#[derive(Serialize)]
struct CompressReport {
    input: String,
    output: String,
    channels: u32,
    sample_rate_hz: u32,
    frames: u64,
    duration_s: f64,
    /// Samples not on the 10-bit grid (FORMAT.md §2), taken as their nearest level.
    off_grid_samples: usize,
    events: usize,
    events_per_s_per_channel: f64,
    power_bins: usize,
    wav_bytes: u64,
    file_bytes: u64,
    /// The 16-bit samples' bytes over the event file's bytes.
    ratio_vs_samples: f64,
    /// The file's bits per second of recording (header and records included).
    file_mbit_s: f64,
    params: EventParams,
}

/// `neurice compress --coder events IN.wav OUT`: the recording (each WAV channel one
/// electrode) through the integer detector (FORMAT.md §12, default parameters at the WAV's
/// sample rate), written as an event-stream file (§12.11).
pub fn compress(input: &Path, output: &Path, force: bool, json: bool) -> Result<ExitCode> {
    ensure_distinct(input, output)?;
    check_output(output, force)?;
    let name = input_name(input);
    let (mut r, _) = open_input(input)?;
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    let w = neurice_model::wav::parse_wav(&bytes)
        .with_context(|| format!("{name}: not a WAV event mode takes"))?;
    if w.samples.is_empty() {
        bail!("{name}: no samples");
    }
    let channels = w.channels as u32;
    let p = EventParams {
        sample_rate_hz: w.sample_rate,
        ..EventParams::new(channels)
    };
    p.validate()
        .with_context(|| format!("{name}: {} channels at {} Hz", w.channels, w.sample_rate))?;
    let (grid, off) = neurice_model::grid::to_grid(&w.samples);
    let (file, features) = EventFile::encode(&p, &grid).with_context(|| name.clone())?;
    let out = file.to_bytes();
    write_output(output, &out, force)?;
    let duration_s = file.frames as f64 / p.sample_rate_hz as f64;
    let rep = CompressReport {
        input: name,
        output: output_name(output),
        channels,
        sample_rate_hz: p.sample_rate_hz,
        frames: file.frames,
        duration_s,
        off_grid_samples: off.len(),
        events: features.events.len(),
        events_per_s_per_channel: features.events.len() as f64 / duration_s / channels as f64,
        power_bins: features.bins(),
        wav_bytes: 2 * w.samples.len() as u64,
        file_bytes: out.len() as u64,
        ratio_vs_samples: 2.0 * w.samples.len() as f64 / out.len() as f64,
        file_mbit_s: out.len() as f64 * 8.0 / duration_s / 1e6,
        params: p,
    };
    let text = if json {
        serde_json::to_string_pretty(&rep)?
    } else {
        format!(
            "{} -> {}: event mode (features, not the waveform; FORMAT.md §12), {} channel(s) \
             × {} frames at {} Hz: {} events ({:.2}/s/channel), {} power bins; {} -> {} bytes \
             (ratio {:.1} against the 16-bit samples, {:.4} Mbit/s){}",
            rep.input,
            rep.output,
            rep.channels,
            rep.frames,
            rep.sample_rate_hz,
            rep.events,
            rep.events_per_s_per_channel,
            rep.power_bins,
            rep.wav_bytes,
            rep.file_bytes,
            rep.ratio_vs_samples,
            rep.file_mbit_s,
            if rep.off_grid_samples > 0 {
                format!(
                    "; {} samples off the 10-bit grid taken as their nearest level",
                    rep.off_grid_samples
                )
            } else {
                String::new()
            }
        )
    };
    if is_stdio(output) {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// An input of `decompress` or `info`: an event-stream file (read whole), or any other
/// stream with its first bytes put back.
pub enum Sniffed {
    Events(Vec<u8>),
    Other(Box<dyn Read>, Option<u64>),
}

/// Opens `path` and tells an event-stream file (its magic, FORMAT.md §12.11) from the rest.
pub fn sniff(path: &Path) -> Result<Sniffed> {
    let (mut r, total) = open_input(path)?;
    let name = input_name(path);
    let mut head = Vec::with_capacity(4);
    (&mut r)
        .take(4)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {name}"))?;
    if !is_event_file(&head) {
        return Ok(Sniffed::Other(
            Box::new(std::io::Cursor::new(head).chain(r)),
            total,
        ));
    }
    r.read_to_end(&mut head)
        .with_context(|| format!("cannot read {name}"))?;
    Ok(Sniffed::Events(head))
}

/// The arrays `decompress` writes, in order: file name, what it holds.
pub const ARRAYS: [(&str, &str); 5] = [
    (
        "spike_times.npy",
        "float64 [events]: each event's time in seconds from the stream's first frame \
         (frame / sample rate)",
    ),
    (
        "spike_channels.npy",
        "int32 [events]: each event's channel (0-based, the WAV's channel order)",
    ),
    (
        "spike_frames.npy",
        "int64 [events]: each event's frame (sample index within its channel)",
    ),
    (
        "power.npy",
        "float64 [bins, channels]: spike-band power, the bin's mean |band-passed signal| in \
         10-bit grid steps (FORMAT.md §12.4)",
    ),
    (
        "power_codes.npy",
        "uint16 [bins, channels]: the power codes as sent (§12.4)",
    ),
];

/// What `decompress` and `info` say about an event-stream file.
#[derive(Serialize)]
struct FileSummary {
    format: &'static str,
    input: String,
    bytes: usize,
    channels: u32,
    sample_rate_hz: u32,
    frames: u64,
    duration_s: f64,
    segments: usize,
    words: usize,
    events: usize,
    events_per_s_per_channel: f64,
    power_bins: usize,
    bin_s: f64,
    params: EventParams,
    /// `decompress`: the folder and its arrays (file name → what it holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    arrays: Vec<Array>,
}

#[derive(Serialize)]
struct Array {
    file: &'static str,
    holds: &'static str,
    shape: Vec<usize>,
}

fn summary(name: String, bytes: usize, f: &EventFile, feat: &Features) -> FileSummary {
    let p = &f.params;
    let duration_s = f.frames as f64 / p.sample_rate_hz as f64;
    FileSummary {
        format: "neurice event stream (FORMAT.md §12.11): features, not the waveform",
        input: name,
        bytes,
        channels: p.channels,
        sample_rate_hz: p.sample_rate_hz,
        frames: f.frames,
        duration_s,
        segments: f.segments.len(),
        words: f.words(),
        events: feat.events.len(),
        events_per_s_per_channel: feat.events.len() as f64 / duration_s / p.channels as f64,
        power_bins: feat.bins(),
        bin_s: p.bin_frames as f64 / p.sample_rate_hz as f64,
        params: *p,
        output: None,
        arrays: Vec::new(),
    }
}

fn read_file(name: &str, bytes: &[u8]) -> Result<(EventFile, Features)> {
    let f = EventFile::from_bytes(bytes).with_context(|| name.to_string())?;
    let feat = f.decode().with_context(|| name.to_string())?;
    Ok((f, feat))
}

/// `neurice decompress` of an event-stream file: the folder `out` with the arrays of
/// [`ARRAYS`] as NumPy `.npy` files and `summary.json`; `--json` prints the summary.
pub fn decompress(
    input: &Path,
    bytes: Vec<u8>,
    out: &Path,
    force: bool,
    json: bool,
) -> Result<ExitCode> {
    let name = input_name(input);
    if is_stdio(out) {
        bail!(
            "an event stream decodes to a folder of NumPy arrays; name the folder (not `-`) \
             as the output"
        );
    }
    let (f, feat) = read_file(&name, &bytes)?;
    let mut paths: Vec<PathBuf> = ARRAYS.iter().map(|(n, _)| out.join(n)).collect();
    paths.push(out.join("summary.json"));
    if let Ok(m) = std::fs::symlink_metadata(out) {
        if !m.is_dir() {
            bail!(
                "{} is {}, not a folder: an event stream decodes to a folder of NumPy arrays",
                out.display(),
                crate::files::kind(&m)
            );
        }
    }
    // every output is checked before any is written: all or none for a reason known now
    check_outputs(&paths, force)?;
    create_out_dir(out)?;
    let p = &f.params;
    let c = p.channels as usize;
    let bins = feat.bins();
    let frames: Array1<i64> = feat.events.iter().map(|e| e.frame as i64).collect();
    let times: Array1<f64> = feat
        .events
        .iter()
        .map(|e| e.frame as f64 / p.sample_rate_hz as f64)
        .collect();
    let chans: Array1<i32> = feat.events.iter().map(|e| e.channel as i32).collect();
    let power = Array2::from_shape_vec((bins, c), feat.power_values(p))?;
    let codes = Array2::from_shape_vec((bins, c), feat.power.clone())?;
    let n = feat.events.len();
    let shapes = [vec![n], vec![n], vec![n], vec![bins, c], vec![bins, c]];
    let npy = |path: &Path, w: &dyn Fn(&mut dyn Write) -> Result<(), WriteNpyError>| {
        write_output_with(path, force, |o| {
            w(o).with_context(|| format!("cannot write {}", path.display()))
        })
    };
    npy(&paths[0], &|o| times.write_npy(o))?;
    npy(&paths[1], &|o| chans.write_npy(o))?;
    npy(&paths[2], &|o| frames.write_npy(o))?;
    npy(&paths[3], &|o| power.write_npy(o))?;
    npy(&paths[4], &|o| codes.write_npy(o))?;
    let mut s = summary(name, bytes.len(), &f, &feat);
    s.output = Some(out.display().to_string());
    s.arrays = ARRAYS
        .iter()
        .zip(shapes)
        .map(|(&(file, holds), shape)| Array { file, holds, shape })
        .collect();
    let text = serde_json::to_string_pretty(&s)?;
    write_output(&paths[5], format!("{text}\n").as_bytes(), force)?;
    if json {
        println!("{text}");
    } else {
        println!(
            "{} -> {}/: {} events on {} channel(s) over {:.3} s, power {} bins × {} channels \
             (spike_times.npy, spike_channels.npy, spike_frames.npy, power.npy, \
             power_codes.npy, summary.json); in Python: np.load(\"{}\")",
            s.input,
            out.display(),
            n,
            c,
            s.duration_s,
            bins,
            c,
            paths[0].display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `neurice info` of an event-stream file: its parameters and what it holds (the whole file
/// is checked and decoded first).
pub fn info(input: &Path, bytes: Vec<u8>, json: bool) -> Result<ExitCode> {
    let name = input_name(input);
    let (f, feat) = read_file(&name, &bytes)?;
    let s = summary(name, bytes.len(), &f, &feat);
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    let p = &s.params;
    println!(
        "{}: event stream (FORMAT.md §12.11; features, not the waveform), {} bytes",
        s.input, s.bytes
    );
    println!(
        "  {} channel(s) at {} Hz, {} frames ({:.3} s), {} segment(s), {} words",
        s.channels, s.sample_rate_hz, s.frames, s.duration_s, s.segments, s.words
    );
    println!(
        "  {} events ({:.2}/s/channel), {} power bins of {} frames ({:.2} ms)",
        s.events,
        s.events_per_s_per_channel,
        s.power_bins,
        p.bin_frames,
        1e3 * s.bin_s
    );
    println!(
        "  k = {}, refractory {} frames, noise period 2^{} (sum 1 in 2^{}, fast 2^{}, slowest \
         2^-{}), rail hold-off {} frames, band-pass {} section(s) {:?}, F = {}, power shift \
         {}, 1 frame in 2^{}, mantissa {} bits, latency {} frames, packets of {} bytes",
        p.k(),
        p.refractory_frames,
        p.noise_period_log2,
        p.noise_sub_log2,
        p.noise_fast_log2,
        p.noise_slow_log2,
        p.rail_frames,
        p.section_count,
        p.filter(),
        p.frac_bits,
        p.power_shift,
        p.power_sub_log2,
        p.power_mantissa,
        p.latency_frames,
        p.packet_bytes
    );
    Ok(ExitCode::SUCCESS)
}
