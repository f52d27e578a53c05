//! `neurice link --coder events`: event mode through the radio link (FORMAT.md §12.8,
//! §12.9). The recordings as `C` channels (channel `c` = recording `c mod n`, all cut to the
//! shortest, as `neurice sim --channels` interleaves them), coded by the event model; the
//! data rate of the events measured on them (payload and packets, the worst 100 ms) against
//! the radio; the segments' packets through the same lossy link model as the coders'
//! ([`crate::link::Link`]), received by `neurice_model::events::link::depacketise`, and every
//! event of a received frame compared with what was sent.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use neurice_model::events::link::{depacketise, packetise};
use neurice_model::events::rate::{self, Rate};
use neurice_model::events::{encode, EventParams};
use neurice_synth::power::RADIO_MBPS;
use serde::Serialize;

use crate::link::{Link, LinkModel};

/// What to run.
#[derive(Clone, Debug)]
pub struct EventLinkConfig {
    /// Event mode's parameters (their channels are the run's).
    pub params: EventParams,
    pub link: LinkModel,
    pub files: Vec<PathBuf>,
    /// Samples per recording at most.
    pub max_samples: Option<usize>,
}

/// The result of `neurice link --coder events`.
#[derive(Clone, Debug, Serialize)]
pub struct EventLinkReport {
    /// `events`.
    pub coder: &'static str,
    pub files: usize,
    pub channels: u32,
    /// The data rate measured on these recordings (events, payload and packet bits).
    pub rate: Rate,
    /// The radio's rate (Mbit/s) and whether the packets' rate fits it.
    pub radio_mbps: f64,
    pub fits_radio: bool,
    pub link: LinkModel,
    pub packets_sent: u64,
    pub packets_lost: u64,
    pub packets_corrupt: u64,
    pub packets_refused: u64,
    pub packets_unused: u64,
    pub segments: u64,
    pub segments_complete: u64,
    pub segments_partial: u64,
    pub segments_lost: u64,
    /// Frames whose events were not received.
    pub frames_lost: u64,
    /// Events sent, events in the received frames, and received events that differ from
    /// the sent ones in those frames (missing or extra): must be 0.
    pub events_sent: u64,
    pub events_delivered: u64,
    pub events_wrong: u64,
    pub seconds: f64,
}

/// `C` channels of the recordings' grid indices (channel `c` = recording `c mod n`), cut to
/// the shortest and to `max_samples`.
fn load(p: &EventParams, files: &[PathBuf], max_samples: Option<usize>) -> Result<Vec<Vec<u32>>> {
    if files.is_empty() {
        bail!("no recordings to send");
    }
    let mut recs = Vec::new();
    for f in files.iter().take(p.channels as usize) {
        let mut v: Vec<u32> = neurice_sim::load_indices(f)
            .with_context(|| format!("reading {}", f.display()))?
            .into_iter()
            .map(u32::from)
            .collect();
        if let Some(m) = max_samples {
            v.truncate(m);
        }
        recs.push(v);
    }
    Ok(recs)
}

/// Runs the event stream of the recordings through the link.
pub fn run_event_link(cfg: &EventLinkConfig) -> Result<EventLinkReport> {
    let t0 = Instant::now();
    let p = &cfg.params;
    p.validate().map_err(|e| anyhow!("event parameters: {e}"))?;
    cfg.link.validate()?;
    if cfg.max_samples == Some(0) {
        bail!("--max-samples must be at least 1");
    }
    let recs = load(p, &cfg.files, cfg.max_samples)?;
    let rate = rate::measure(p, &recs).map_err(|e| anyhow!("event mode's rate: {e}"))?;
    let frames = rate.frames as usize;
    let c = p.channels as usize;
    let xs: Vec<u32> = (0..frames * c)
        .map(|i| recs[(i % c) % recs.len()][i / c])
        .collect();
    let (segments, sent) = encode(p, &xs).map_err(|e| anyhow!("event model: {e}"))?;
    let packets = packetise(p, &segments).map_err(|e| anyhow!("event packets: {e}"))?;
    let t = Link::new(cfg.link).send(&packets);
    let rx = depacketise(p, frames as u64, t.received.iter().map(Vec::as_slice))
        .map_err(|e| anyhow!("event receiver: {e}"))?;
    let lost = |f: u64| rx.lost_frames.iter().any(|&(a, b)| (a..b).contains(&f));
    let mut want: Vec<_> = sent.events.iter().filter(|e| !lost(e.frame)).collect();
    let mut got: Vec<_> = rx.features.events.iter().collect();
    want.sort_unstable();
    got.sort_unstable();
    let (mut i, mut j, mut wrong) = (0, 0, 0u64);
    while i < want.len() || j < got.len() {
        match (want.get(i), got.get(j)) {
            (Some(a), Some(b)) if a == b => (i, j) = (i + 1, j + 1),
            (Some(a), Some(b)) if a < b => (i, wrong) = (i + 1, wrong + 1),
            (Some(_), None) => (i, wrong) = (i + 1, wrong + 1),
            _ => (j, wrong) = (j + 1, wrong + 1),
        }
    }
    let frames_lost = rx.lost_frames.iter().map(|&(a, b)| b - a).sum();
    Ok(EventLinkReport {
        coder: neurice_sim::events::NAME,
        files: cfg.files.len().min(c),
        channels: p.channels,
        radio_mbps: RADIO_MBPS,
        fits_radio: rate.link_mbit_s <= RADIO_MBPS,
        rate,
        link: cfg.link,
        packets_sent: packets.len() as u64,
        packets_lost: t.dropped.len() as u64,
        packets_corrupt: t.damaged.len() as u64,
        packets_refused: rx.packets_refused,
        packets_unused: rx.packets_unused,
        segments: segments.len() as u64,
        segments_complete: rx.segments_complete,
        segments_partial: rx.segments_partial,
        segments_lost: rx.segments_lost,
        frames_lost,
        events_sent: sent.events.len() as u64,
        events_delivered: got.len() as u64,
        events_wrong: wrong,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
