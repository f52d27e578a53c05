//! The event stream's data rate on recordings (FORMAT.md §12.9): recording `c mod n` on
//! channel `c` (as `neurice sim --channels 1024` interleaves them), all cut to the shortest
//! recording, coded by the [`Encoder`]; the payload, the packet framing of §12.8 and the worst
//! 100 ms window.

use super::code::{Encoder, Segment};
use super::link::link_bytes;
use super::params::EventParams;
use crate::Error;

/// What the stream of `channels` channels of recordings cost.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Rate {
    pub channels: u32,
    pub frames: u64,
    pub seconds: f64,
    pub events: u64,
    pub events_per_s_per_channel: f64,
    pub segments: u64,
    /// The segments' words.
    pub payload_bits: u64,
    /// The packets' bytes × 8 (§12.8: headers, CRCs, padding included).
    pub link_bits: u64,
    pub payload_mbit_s: f64,
    pub link_mbit_s: f64,
    /// The most bits over any 100 ms of frames, as a rate (the framing of a segment counted
    /// when the segment closes).
    pub worst_100ms_payload_mbit_s: f64,
    pub worst_100ms_link_mbit_s: f64,
}

/// Codes `p.channels` channels, channel `c` being `recordings[c mod n]` (grid indices), over
/// the shortest recording's frames.
pub fn measure(p: &EventParams, recordings: &[Vec<u32>]) -> Result<Rate, Error> {
    p.validate()?;
    let frames = recordings.iter().map(Vec::len).min().unwrap_or(0);
    if frames == 0 {
        return Err(Error::BadParams(
            "event mode rate: no recordings, or an empty one".into(),
        ));
    }
    let channels = p.channels as usize;
    let mut e = Encoder::new(p)?;
    let (mut bits_at, mut link_at) = (vec![0u64], vec![0u64]);
    let (mut events, mut framing) = (0u64, 0u64);
    let mut segments: Vec<Segment> = Vec::new();
    for t in 0..frames {
        for rec in recordings.iter().cycle().take(channels) {
            events += e.push(rec[t])?.event as u64;
        }
        for s in e.take_segments() {
            framing += link_bytes(p, std::slice::from_ref(&s)) * 8 - s.words.len() as u64 * 32;
            segments.push(s);
        }
        bits_at.push(e.bits());
        link_at.push(e.bits() + framing);
    }
    let (rest, _) = e.finish()?;
    segments.extend(rest);
    let fs = p.sample_rate_hz as f64;
    let seconds = frames as f64 / fs;
    let payload_bits: u64 = segments.iter().map(|s| s.words.len() as u64 * 32).sum();
    let link_bits = link_bytes(p, &segments) * 8;
    let w = ((0.1 * fs).round() as usize).max(1);
    let worst = |at: &[u64]| {
        let span = w.min(at.len() - 1);
        (0..at.len() - span)
            .map(|t| at[t + span] - at[t])
            .max()
            .unwrap_or(0) as f64
            / (span as f64 / fs)
            / 1e6
    };
    Ok(Rate {
        channels: p.channels,
        frames: frames as u64,
        seconds,
        events,
        events_per_s_per_channel: events as f64 / seconds / channels as f64,
        segments: segments.len() as u64,
        payload_bits,
        link_bits,
        payload_mbit_s: payload_bits as f64 / seconds / 1e6,
        link_mbit_s: link_bits as f64 / seconds / 1e6,
        worst_100ms_payload_mbit_s: worst(&bits_at),
        worst_100ms_link_mbit_s: worst(&link_at),
    })
}
