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
use neurice_model::{Coder, CoderSpec};

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
                // u in (0, 1]; ln(1 − ber) as ln_1p(−ber): `(1.0 - ber).ln()` is 0 below
                // ber ≈ 1.1e-16 (1 − ber rounds to 1), which made every gap 0 and flipped
                // every bit
                let u = 1.0 - self.rng.unit();
                (u.ln() / (-ber).ln_1p()).floor() as u64
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
    /// The coder inside the packets with its parameters (a maximum error included: FORMAT.md
    /// §11.6).
    pub coder: CoderSpec,
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
}

impl LinkConfig {
    /// The stream configuration of one run.
    pub fn stream(&self) -> StreamConfig {
        StreamConfig {
            segment_frames: self.segment_frames,
            packet_bytes: self.packet_bytes,
            coder: self.coder,
            ..StreamConfig::new(self.coder.kind(), self.channels)
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
    /// Delivered samples that differ from the original by more than the maximum error (by
    /// anything for a lossless coder): must be 0.
    pub samples_wrong: u64,
    /// The coder's maximum error, grid steps (0: lossless), and the largest difference of a
    /// delivered sample from its original that was seen.
    pub max_error: u32,
    pub max_error_seen: u32,
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

/// One run's samples through the whole chain; adds its counts to `rep` (`gap`: each
/// channel's current run of lost samples, carried from the run's earlier samples).
fn run_one(
    cfg: &StreamConfig,
    link: &mut Link,
    samples: &[u32],
    gap: &mut [u64],
    rep: &mut LinkReport,
) -> Result<()> {
    let c = cfg.channels;
    let frames = (samples.len() / c) as u64;
    let samples = &samples[..frames as usize * c];
    let sent = packet::packetise(cfg, samples)?;
    let t = link.send(&sent.packets);
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
            let e = got.abs_diff(want);
            rep.max_error_seen = rep.max_error_seen.max(e);
            rep.samples_wrong += (e > rep.max_error) as u64;
        }
    }
    Ok(())
}

/// Frames read and coded at a time: whole segment periods, about 2^20 samples (at least one
/// period), so that memory stays bounded whatever the recordings' length.
fn batch_frames(cfg: &StreamConfig) -> u64 {
    let period = cfg.segment_frames as u64;
    let periods = ((1u64 << 20) / (period * cfg.channels as u64)).max(1);
    periods * period
}

/// A recording's samples for a run: small files are read whole (a run interleaves many of
/// them), large ones piece by piece ([`crate::input::WavSamples`]).
enum Source {
    Loaded { samples: Vec<u16>, at: usize },
    Streamed(crate::input::WavSamples),
}

/// Files up to this many samples are read whole.
const LOAD_WHOLE_SAMPLES: u64 = 1 << 22;

impl Source {
    fn open(path: &std::path::Path) -> Result<Source> {
        let mut w = crate::input::WavSamples::open(path)?;
        if w.samples() <= LOAD_WHOLE_SAMPLES {
            let mut samples = Vec::with_capacity(w.samples() as usize);
            w.read_indices(w.samples() as usize, &mut samples)?;
            return Ok(Source::Loaded { samples, at: 0 });
        }
        Ok(Source::Streamed(w))
    }

    fn read(&mut self, n: usize, out: &mut Vec<u16>) -> Result<()> {
        match self {
            Source::Loaded { samples, at } => {
                out.extend_from_slice(&samples[*at..*at + n]);
                *at += n;
                Ok(())
            }
            Source::Streamed(w) => w.read_indices(n, out),
        }
    }
}

/// Runs the link on the recordings; `progress(done, total)` counts samples.
///
/// Runs as `neurice sim` makes them (one per file, or `channels` files interleaved), each
/// streamed in batches of whole segment periods: the recordings are read, packetised, sent,
/// received and compared batch by batch, so memory stays bounded whatever their length (a
/// small file is read whole). Segments are independent and the link model draws its losses
/// and bit errors packet by packet from one sequence per run, so the counts are those of
/// the whole run at once; only the `SEQ` and `START` fields count from each batch's start.
pub fn run_link(cfg: &LinkConfig, progress: &crate::Progress<'_>) -> Result<LinkReport> {
    cfg.validate()?;
    if cfg.files.is_empty() {
        bail!("no recordings given");
    }
    let start = std::time::Instant::now();
    let stream = cfg.stream();
    if stream.coder.sample_bits() != 10 {
        bail!(
            "recordings are coded as 10-bit grid indices; this coder takes {}-bit samples",
            stream.coder.sample_bits()
        );
    }
    let groups = neurice_sim::stimulus::run_groups(cfg.files.len(), cfg.channels);
    // every header first: a bad file fails before any work, and the total is known
    let mut lengths = Vec::with_capacity(cfg.files.len());
    for f in &cfg.files {
        lengths.push(crate::input::WavSamples::open(f)?.samples());
    }
    let cap = |n: u64| cfg.max_samples.map_or(n, |m| n.min(m as u64));
    let run_frames: Vec<u64> = groups
        .iter()
        .map(|idx| idx.iter().map(|&i| cap(lengths[i])).min().unwrap_or(0))
        .collect();
    let total: u64 = run_frames.iter().map(|f| f * cfg.channels as u64).sum();
    let r = cfg.segment_frames as u64;
    let mut rep = LinkReport {
        packets_sent: 0,
        packets_lost: 0,
        packets_corrupt: 0,
        samples: 0,
        samples_delivered: 0,
        samples_lost: 0,
        samples_wrong: 0,
        max_error: cfg.coder.max_error(),
        max_error_seen: 0,
        ratio: 0.0,
        coder: cfg.coder.kind(),
        channels: cfg.channels,
        runs: groups.len(),
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
    let c = cfg.channels;
    let batch = batch_frames(&stream);
    for (run, (idx, &frames)) in groups.iter().zip(&run_frames).enumerate() {
        // each file of the run opened once (with fewer files than channels they repeat)
        let mut files: Vec<usize> = idx.clone();
        files.sort_unstable();
        files.dedup();
        let mut sources = files
            .iter()
            .map(|&i| Source::open(&cfg.files[i]))
            .collect::<Result<Vec<_>>>()?;
        let of_channel: Vec<usize> = idx
            .iter()
            .map(|i| files.binary_search(i).expect("a file of the run"))
            .collect();
        let label = match idx.as_slice() {
            [one] => cfg.files[*one].display().to_string(),
            _ => format!(
                "{c} channels: {} … {}",
                cfg.files[idx[0]].display(),
                cfg.files[*idx.last().expect("channels >= 1")].display()
            ),
        };
        // one seed per run, so a run's losses do not depend on the runs before it
        let mut link = Link::new(LinkModel {
            seed: cfg.link.seed.wrapping_add(run as u64),
            ..cfg.link
        });
        let mut unpacketised = if cfg.compare_unpacketised {
            Some(stream.coder.block_sizer(c)?)
        } else {
            None
        };
        let mut gap = vec![0u64; c];
        let mut done = 0u64;
        let mut bufs: Vec<Vec<u16>> = vec![Vec::new(); sources.len()];
        while done < frames {
            let n = batch.min(frames - done) as usize;
            for (src, buf) in sources.iter_mut().zip(&mut bufs) {
                buf.clear();
                src.read(n, buf).with_context(|| label.clone())?;
            }
            let samples: Vec<u32> = (0..n)
                .flat_map(|t| of_channel.iter().map(move |&s| (s, t)))
                .map(|(s, t)| bufs[s][t] as u32)
                .collect();
            run_one(&stream, &mut link, &samples, &mut gap, &mut rep)
                .with_context(|| label.clone())?;
            if let Some(u) = &mut unpacketised {
                u.push(&samples);
            }
            done += n as u64;
            progress(rep.samples, total);
        }
        if let Some(u) = unpacketised {
            *rep.unpacketised_bytes.get_or_insert(0) += u.bytes()?;
        }
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

    fn walk(n: usize, seed: u32) -> Vec<u32> {
        let mut s = seed;
        let mut x = 512i32;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                x = (x + (s >> 27) as i32 - 16).clamp(0, 1023);
                x as u32
            })
            .collect()
    }

    fn write_wav(path: &std::path::Path, idx: &[u32]) {
        let samples = idx
            .iter()
            .map(|&k| neurice_model::grid::grid_value(k))
            .collect();
        let w = neurice_model::wav::Wav::canonical(1, 19531, samples).unwrap();
        std::fs::write(path, w.to_bytes()).unwrap();
    }

    /// Issue 25: `link` held a whole recording several times over (2.37 GB for a 402 MB WAV);
    /// it now streams it in batches of segment periods. A file of several batches (some of
    /// them lossy) gives exactly the counts of the whole run sent at once.
    #[test]
    fn a_streamed_run_counts_what_the_whole_run_counts() {
        let d = tempfile::tempdir().unwrap();
        let xs = walk(2_500_000, 3);
        let f = d.path().join("long.wav");
        write_wav(&f, &xs);
        let model = LinkModel {
            drop_rate: 0.01,
            burst: 3,
            ber: 1e-5,
            seed: 11,
        };
        let cfg = LinkConfig {
            coder: Coder::Lite.into(),
            channels: 1,
            segment_frames: 100,
            packet_bytes: 64,
            group_channels: None,
            link: model,
            files: vec![f],
            max_samples: None,
            compare_unpacketised: true,
        };
        assert!(
            batch_frames(&cfg.stream()) < xs.len() as u64 / 2,
            "several batches"
        );
        let rep = run_link(&cfg, &|_, _| {}).unwrap();
        // the same samples at once, through a fresh link with the run's seed
        let mut whole = rep.clone();
        for x in [
            &mut whole.packets_sent,
            &mut whole.packets_lost,
            &mut whole.packets_corrupt,
            &mut whole.samples,
            &mut whole.samples_delivered,
            &mut whole.samples_lost,
            &mut whole.samples_wrong,
            &mut whole.packets_refused,
            &mut whole.segments,
            &mut whole.segments_complete,
            &mut whole.link_bytes,
            &mut whole.payload_bytes,
        ] {
            *x = 0;
        }
        whole.worst_gap_per_channel.clear();
        let mut link = Link::new(model);
        run_one(&cfg.stream(), &mut link, &xs, &mut [0], &mut whole).unwrap();
        assert!(
            rep.packets_lost > 100 && rep.packets_corrupt > 10,
            "{rep:?}"
        );
        assert_eq!(
            (
                rep.packets_sent,
                rep.packets_lost,
                rep.packets_corrupt,
                rep.samples,
                rep.samples_delivered,
                rep.samples_lost,
                rep.samples_wrong,
                rep.segments,
                rep.segments_complete,
                rep.link_bytes,
                rep.payload_bytes,
                &rep.worst_gap_per_channel
            ),
            (
                whole.packets_sent,
                whole.packets_lost,
                whole.packets_corrupt,
                whole.samples,
                whole.samples_delivered,
                whole.samples_lost,
                whole.samples_wrong,
                whole.segments,
                whole.segments_complete,
                whole.link_bytes,
                whole.payload_bytes,
                &whole.worst_gap_per_channel
            )
        );
        assert_eq!(rep.samples, xs.len() as u64);
        assert_eq!(rep.samples_wrong, 0);
    }

    /// Issue 25: `--ber 1e-17` corrupted every packet (`(1 − ber).ln()` was 0).
    #[test]
    fn tiny_bit_error_rates_flip_almost_nothing() {
        let packets = vec![vec![0u8; 1000]; 3000];
        for ber in [1e-17, 1e-20, 1e-300, f64::MIN_POSITIVE, 1e-12] {
            let t = Link::new(LinkModel {
                ber,
                ..LinkModel::PERFECT
            })
            .send(&packets);
            // 24 M bits: expected flips 2.4e-5 at 1e-12, fewer below
            assert!(
                t.damaged.len() <= 1,
                "ber {ber}: {} damaged",
                t.damaged.len()
            );
        }
        // and just above the old threshold the rate still holds
        let m = LinkModel {
            ber: 1e-6,
            ..LinkModel::PERFECT
        };
        let ones: u32 = Link::new(m)
            .send(&packets)
            .received
            .iter()
            .flatten()
            .map(|b| b.count_ones())
            .sum();
        assert!(
            (12..40).contains(&ones),
            "{ones} flips in 24 M bits at 1e-6"
        );
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
