//! `neurice link`: recordings interleaved as N channels, coded into the packet stream
//! (FORMAT.md §9), sent through a simulated lossy radio link, received and decoded, and
//! every delivered sample compared with the original.
//!
//! The link ([`Link`]) drops packets in bursts of a fixed length (a loss event starts at a
//! packet with the probability that makes the long-run drop fraction the requested rate, and
//! drops it and the next `burst − 1` packets), then flips each bit of every packet that
//! survives with probability `ber`. Everything is drawn from one seeded xorshift64* sequence
//! per run, so a run is reproducible.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use neurice_model::packet::{self, StreamConfig, LOST};
use neurice_model::Coder;

/// The sample rate of the recordings (Hz), for the loss bound in milliseconds.
pub const SAMPLE_RATE_HZ: f64 = 19_531.0;

/// The simulated radio link.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LinkModel {
    /// Long-run fraction of packets dropped, in [0, 1].
    pub drop_rate: f64,
    /// Packets dropped per loss event (≥ 1; 1 = independent drops).
    pub burst: u32,
    /// Probability that a bit of a delivered packet is flipped, in [0, 1].
    pub ber: f64,
    pub seed: u64,
}

impl LinkModel {
    /// A perfect link.
    pub const PERFECT: LinkModel = LinkModel {
        drop_rate: 0.0,
        burst: 1,
        ber: 0.0,
        seed: 1,
    };

    /// Checks the model's parameters.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.drop_rate) {
            bail!("--drop-rate must be in [0, 1], got {}", self.drop_rate);
        }
        if !(0.0..=1.0).contains(&self.ber) {
            bail!("--ber must be in [0, 1], got {}", self.ber);
        }
        if self.burst == 0 {
            bail!("--burst must be at least 1 (packets per loss event)");
        }
        Ok(())
    }

    /// Probability that a loss event starts at a packet outside a burst, so that the
    /// long-run fraction of dropped packets is `drop_rate`: `d / (N·(1 − d) + d)`.
    pub fn event_probability(&self) -> f64 {
        let (d, n) = (self.drop_rate, self.burst as f64);
        if d >= 1.0 {
            1.0
        } else {
            d / (n * (1.0 - d) + d)
        }
    }
}

/// xorshift64* (Vigna), seeded through splitmix64 so that small seeds differ at once.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What the link did to the packets of one run.
#[derive(Clone, Debug, Default)]
pub struct Transmission {
    /// The packets that arrived, in order, as they arrived.
    pub received: Vec<Vec<u8>>,
    /// Index (in the sent sequence) of every dropped packet.
    pub dropped: Vec<usize>,
    /// Index of every packet that arrived with at least one flipped bit.
    pub damaged: Vec<usize>,
}

/// A run of the link model over a packet sequence.
pub struct Link {
    model: LinkModel,
    rng: Rng,
    burst_left: u32,
}

impl Link {
    pub fn new(model: LinkModel) -> Self {
        Link {
            model,
            rng: Rng::new(model.seed),
            burst_left: 0,
        }
    }

    /// Sends `packets` through the link.
    pub fn send(&mut self, packets: &[Vec<u8>]) -> Transmission {
        let q = self.model.event_probability();
        let mut t = Transmission::default();
        for (i, p) in packets.iter().enumerate() {
            if self.burst_left == 0 && q > 0.0 && self.rng.unit() < q {
                self.burst_left = self.model.burst;
            }
            if self.burst_left > 0 {
                self.burst_left -= 1;
                t.dropped.push(i);
                continue;
            }
            let mut p = p.clone();
            if self.flip_bits(&mut p) {
                t.damaged.push(i);
            }
            t.received.push(p);
        }
        t
    }

    /// Flips each bit with probability `ber` (geometric gaps between flips); whether any was.
    fn flip_bits(&mut self, p: &mut [u8]) -> bool {
        let ber = self.model.ber;
        if ber <= 0.0 {
            return false;
        }
        let bits = p.len() as u64 * 8;
        let mut flipped = false;
        let mut pos = 0u64;
        loop {
            let gap = if ber >= 1.0 {
                0
            } else {
                let u = 1.0 - self.rng.unit(); // (0, 1]
                (u.ln() / (1.0 - ber).ln()).floor() as u64
            };
            pos = pos.saturating_add(gap);
            if pos >= bits {
                return flipped;
            }
            p[(pos / 8) as usize] ^= 0x80 >> (pos % 8);
            flipped = true;
            pos += 1;
        }
    }
}

/// What to run: the packet stream's configuration, the link and the recordings.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    pub coder: Coder,
    /// Channels per run (recordings interleaved as channels, as `neurice sim` does).
    pub channels: usize,
    /// Restart interval R (frames per segment).
    pub segment_frames: u32,
    /// Packet size bound P (bytes, header and CRC included).
    pub packet_bytes: usize,
    /// Channels per separately decodable group (None: one group of all channels).
    pub group_channels: Option<usize>,
    pub link: LinkModel,
    pub files: Vec<PathBuf>,
    /// Samples per recording at most.
    pub max_samples: Option<usize>,
    /// Also code each run as one unpacketised stream, for the ratio cost.
    pub compare_unpacketised: bool,
    /// Threads to load the recordings with.
    pub threads: usize,
}

impl LinkConfig {
    /// The stream configuration of one run.
    pub fn stream(&self) -> StreamConfig {
        StreamConfig {
            segment_frames: self.segment_frames,
            packet_bytes: self.packet_bytes,
            ..StreamConfig::new(self.coder, self.channels)
        }
        .with_groups(self.group_channels.unwrap_or(self.channels))
    }

    /// Checks every argument but the files, before anything is read.
    pub fn validate(&self) -> Result<()> {
        crate::check_channels(self.channels)?;
        self.link.validate()?;
        if self.segment_frames == 0 {
            bail!("--segment-frames must be at least 1");
        }
        let min = packet::OVERHEAD_BYTES + 4;
        if self.packet_bytes < min {
            bail!(
                "--packet-bytes must be at least {min} (a {}-byte header, a 4-byte CRC and one \
                 payload word), got {}",
                packet::HEADER_BYTES,
                self.packet_bytes
            );
        }
        if let Some(g) = self.group_channels {
            if !(1..=self.channels).contains(&g) {
                bail!(
                    "--group-channels must be 1..={} (--channels), got {g}",
                    self.channels
                );
            }
        }
        if self.max_samples == Some(0) {
            bail!("--max-samples must be at least 1");
        }
        self.stream().validate().context("packet stream")?;
        Ok(())
    }
}

/// The result of `neurice link`; the fields the issue names come first.
#[derive(Clone, Debug, Serialize)]
pub struct LinkReport {
    pub packets_sent: u64,
    /// Dropped by the link.
    pub packets_lost: u64,
    /// Arrived with flipped bits (the receiver refused them unless the CRC missed it).
    pub packets_corrupt: u64,
    pub samples: u64,
    pub samples_delivered: u64,
    pub samples_lost: u64,
    /// Delivered samples that differ from the original: must be 0.
    pub samples_wrong: u64,
    /// Original 16-bit sample bytes / bytes of all packets sent (headers and CRCs included).
    pub ratio: f64,
    pub coder: Coder,
    pub channels: usize,
    pub runs: usize,
    pub files: usize,
    pub segment_frames: u32,
    pub packet_bytes: usize,
    /// Channels per separately decodable group, and the number of groups.
    pub group_channels: usize,
    pub groups: usize,
    pub link: LinkModel,
    /// Packets the receiver refused (sync, length, CRC).
    pub packets_refused: u64,
    /// Intact packets it could not use (after a gap in their segment).
    pub packets_unused: u64,
    pub segments: u64,
    pub segments_complete: u64,
    pub segments_partial: u64,
    pub segments_lost: u64,
    pub segments_inconsistent: u64,
    /// Bytes of all packets / of the segments' coded bytes.
    pub link_bytes: u64,
    pub payload_bytes: u64,
    /// The same samples as one unpacketised stream (v1: one bit stream; v2: one block),
    /// payload bytes, if measured.
    pub unpacketised_bytes: Option<u64>,
    pub ratio_unpacketised: Option<f64>,
    /// Restart cost: payload bytes over the unpacketised stream, minus 1 (percent).
    pub restart_cost_percent: Option<f64>,
    /// Total cost: link bytes over the unpacketised stream, minus 1 (percent).
    pub ratio_cost_percent: Option<f64>,
    /// `samples_lost / (packets_lost + packets_corrupt)`.
    pub samples_lost_per_bad_packet: f64,
    /// A single lost or corrupt packet costs at most R frames of each channel of its group:
    /// R samples per channel, R·G samples in all.
    pub loss_bound_samples_per_channel: u64,
    pub loss_bound_samples: u64,
    pub loss_bound_ms: f64,
    /// Longest run of consecutive lost samples of one channel (samples, and ms).
    pub worst_gap: u64,
    pub worst_gap_ms: f64,
    /// Longest lost run per channel index (over all runs).
    pub worst_gap_per_channel: Vec<u64>,
    pub seconds: f64,
}

/// One run's samples through the whole chain; adds its counts to `rep`.
pub fn run_one(
    cfg: &StreamConfig,
    link: LinkModel,
    samples: &[u32],
    compare_unpacketised: bool,
    rep: &mut LinkReport,
) -> Result<()> {
    let c = cfg.channels;
    let frames = (samples.len() / c) as u64;
    let samples = &samples[..frames as usize * c];
    let sent = packet::packetise(cfg, samples)?;
    let t = Link::new(link).send(&sent.packets);
    let rx = packet::depacketise(cfg, frames, t.received.iter().map(|b| &b[..]))?;
    rep.packets_sent += sent.packets.len() as u64;
    rep.packets_lost += t.dropped.len() as u64;
    rep.packets_corrupt += t.damaged.len() as u64;
    rep.packets_refused += rx.packets_refused;
    rep.packets_unused += rx.packets_unused;
    rep.segments += rx.segments;
    rep.segments_complete += rx.segments_complete;
    rep.segments_partial += rx.segments_partial;
    rep.segments_lost += rx.segments_lost;
    rep.segments_inconsistent += rx.segments_inconsistent;
    rep.link_bytes += sent.link_bytes;
    rep.payload_bytes += sent.payload_bytes;
    rep.samples += samples.len() as u64;
    rep.samples_delivered += rx.delivered;
    let mut gap = vec![0u64; c];
    if rep.worst_gap_per_channel.len() < c {
        rep.worst_gap_per_channel.resize(c, 0);
    }
    for (i, (&got, &want)) in rx.samples.iter().zip(samples).enumerate() {
        let ch = i % c;
        if got == LOST {
            rep.samples_lost += 1;
            gap[ch] += 1;
            rep.worst_gap_per_channel[ch] = rep.worst_gap_per_channel[ch].max(gap[ch]);
        } else {
            gap[ch] = 0;
            rep.samples_wrong += (got != want) as u64;
        }
    }
    if compare_unpacketised {
        // one block of the coder: its bit stream padded to a byte (v1), or its range-coded
        // bytes (v2)
        let bytes = cfg.coder.encode_block(c, samples)?.0.len() as u64;
        *rep.unpacketised_bytes.get_or_insert(0) += bytes;
    }
    Ok(())
}

/// Runs the link on the recordings; `progress(done, total)` counts samples.
pub fn run_link(cfg: &LinkConfig, progress: &crate::Progress<'_>) -> Result<LinkReport> {
    cfg.validate()?;
    if cfg.files.is_empty() {
        bail!("no recordings given");
    }
    let start = std::time::Instant::now();
    let stream = cfg.stream();
    let stims = neurice_sim::load_stimuli(
        &stream.coder,
        &cfg.files,
        cfg.channels,
        cfg.max_samples,
        None,
        neurice_sim::Pattern::STEADY,
        cfg.threads,
    )?;
    let total: u64 = stims.iter().map(|s| s.samples.len() as u64).sum();
    let r = cfg.segment_frames as u64;
    let mut rep = LinkReport {
        packets_sent: 0,
        packets_lost: 0,
        packets_corrupt: 0,
        samples: 0,
        samples_delivered: 0,
        samples_lost: 0,
        samples_wrong: 0,
        ratio: 0.0,
        coder: cfg.coder,
        channels: cfg.channels,
        runs: stims.len(),
        files: cfg.files.len(),
        segment_frames: cfg.segment_frames,
        packet_bytes: cfg.packet_bytes,
        group_channels: stream.group_channels,
        groups: stream.groups(),
        link: cfg.link,
        packets_refused: 0,
        packets_unused: 0,
        segments: 0,
        segments_complete: 0,
        segments_partial: 0,
        segments_lost: 0,
        segments_inconsistent: 0,
        link_bytes: 0,
        payload_bytes: 0,
        unpacketised_bytes: None,
        ratio_unpacketised: None,
        restart_cost_percent: None,
        ratio_cost_percent: None,
        samples_lost_per_bad_packet: 0.0,
        loss_bound_samples_per_channel: r,
        loss_bound_samples: r * stream.group_channels as u64,
        loss_bound_ms: r as f64 * 1e3 / SAMPLE_RATE_HZ,
        worst_gap: 0,
        worst_gap_ms: 0.0,
        worst_gap_per_channel: Vec::new(),
        seconds: 0.0,
    };
    for (i, s) in stims.iter().enumerate() {
        let samples: Vec<u32> = s.samples.iter().map(|&x| x as u32).collect();
        // one seed per run, so a run's losses do not depend on the runs before it
        let link = LinkModel {
            seed: cfg.link.seed.wrapping_add(i as u64),
            ..cfg.link
        };
        run_one(&stream, link, &samples, cfg.compare_unpacketised, &mut rep)
            .with_context(|| s.label.clone())?;
        progress(rep.samples, total);
    }
    let wav_bytes = 2.0 * rep.samples as f64;
    rep.ratio = wav_bytes / rep.link_bytes.max(1) as f64;
    if let Some(u) = rep.unpacketised_bytes {
        rep.ratio_unpacketised = Some(wav_bytes / u.max(1) as f64);
        rep.restart_cost_percent = Some(100.0 * (rep.payload_bytes as f64 / u as f64 - 1.0));
        rep.ratio_cost_percent = Some(100.0 * (rep.link_bytes as f64 / u as f64 - 1.0));
    }
    let bad = rep.packets_lost + rep.packets_corrupt;
    rep.samples_lost_per_bad_packet = if bad > 0 {
        rep.samples_lost as f64 / bad as f64
    } else {
        0.0
    };
    rep.worst_gap = rep.worst_gap_per_channel.iter().copied().max().unwrap_or(0);
    rep.worst_gap_ms = rep.worst_gap as f64 * 1e3 / SAMPLE_RATE_HZ;
    rep.seconds = start.elapsed().as_secs_f64();
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_rate_and_bursts_are_what_was_asked() {
        let packets = vec![vec![0u8; 64]; 200_000];
        for (d, n) in [(0.01, 1), (0.05, 4), (0.2, 16)] {
            let m = LinkModel {
                drop_rate: d,
                burst: n,
                ber: 0.0,
                seed: 3,
            };
            let t = Link::new(m).send(&packets);
            let got = t.dropped.len() as f64 / packets.len() as f64;
            assert!((got - d).abs() < 0.1 * d + 0.002, "d={d} n={n}: {got}");
            // bursts are exactly n long (runs of consecutive indices are multiples of n)
            let mut run = 1;
            for w in t.dropped.windows(2) {
                if w[1] == w[0] + 1 {
                    run += 1;
                } else {
                    assert_eq!(run % n, 0, "d={d} n={n}");
                    run = 1;
                }
            }
        }
        let all = LinkModel {
            drop_rate: 1.0,
            ..LinkModel::PERFECT
        };
        assert!(Link::new(all).send(&packets[..10]).received.is_empty());
    }

    #[test]
    fn bit_errors_come_at_the_asked_rate_and_are_reproducible() {
        let packets = vec![vec![0u8; 1000]; 100];
        let m = LinkModel {
            ber: 1e-3,
            ..LinkModel::PERFECT
        };
        let t = Link::new(m).send(&packets);
        let ones: u32 = t.received.iter().flatten().map(|b| b.count_ones()).sum();
        assert!((600..1000).contains(&ones), "{ones} flips in 800 000 bits");
        assert_eq!(Link::new(m).send(&packets).received, t.received);
        assert!(LinkModel {
            drop_rate: 1.5,
            ..m
        }
        .validate()
        .is_err());
        assert!(LinkModel { burst: 0, ..m }.validate().is_err());
        assert!(LinkModel { ber: -0.1, ..m }.validate().is_err());
    }
}
