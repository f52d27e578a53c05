//! The packet stream (FORMAT.md §9): the channels split into **groups** of `G` channels
//! (one group of all channels by default), each group's samples cut into **segments** of `R`
//! frames coded from a restart point, and each segment's bytes cut into bounded packets with
//! a sync word, a sequence number, the packet's index in its segment, the segment's first
//! sample index and a CRC-32.
//!
//! ```text
//!  samples ─▶ segments of R frames ─▶ encode_segment (v1: first frame raw; v2: one block)
//!          ─▶ packetise (≤ P bytes each) ─▶ link ─▶ depacketise ─▶ decode each segment's
//!             received prefix ─▶ samples, or LOST
//! ```
//!
//! A sample is delivered only when every byte its decoding consumed arrived in a packet whose
//! CRC matched, in sequence from its segment's first packet; everything else is reported as
//! lost, never guessed. A lost or corrupt packet therefore costs at most the rest of its
//! segment (`R` frames of the `G` channels of its group), and decoding resumes at that
//! group's next segment.

use crate::lite::{code_sample, decode_sample, BitPacker, BitReader, ChannelState, Code};
use crate::v2;
use crate::{CodecParams, Coder, CoderSpec, Error};

/// The sync word that opens every packet.
pub const SYNC: u16 = 0xEB90;
/// Header bytes: sync/flags/length, sequence number, segment start.
pub const HEADER_BYTES: usize = 12;
/// Bytes of header and CRC around a payload.
pub const OVERHEAD_BYTES: usize = HEADER_BYTES + 4;
/// The most payload words one packet can declare (12-bit length field).
pub const MAX_PAYLOAD_WORDS: usize = 4095;
/// The default bound on a packet's size, header and CRC included.
pub const DEFAULT_PACKET_BYTES: usize = 1024;
/// The default restart interval: frames per segment.
pub const DEFAULT_SEGMENT_FRAMES: u32 = 1024;
/// Flag: the payload starts a segment.
pub const FLAG_FIRST: u8 = 0b1000;
/// Flag: the payload ends its segment.
pub const FLAG_LAST: u8 = 0b0100;
/// The value of a sample that was not delivered.
pub const LOST: u32 = u32::MAX;

/// What both ends of a link agree on before the first packet (the stream descriptor, sent
/// out of band like the core's build parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// The coder inside the packets, with its parameters.
    pub coder: CoderSpec,
    /// Channels `C` interleaved frame by frame (FORMAT.md §2).
    pub channels: usize,
    /// Restart interval `R`: frames per segment.
    pub segment_frames: u32,
    /// Upper bound `P` on a packet's bytes, header and CRC included.
    pub packet_bytes: usize,
    /// Channels per group `G` (1..=C): channels `g·G … g·G + G − 1` form group `g` (the
    /// last group may be smaller), coded and packetised on their own.
    pub group_channels: usize,
}

impl StreamConfig {
    /// The default link for `coder` on `channels` channels: R = 1024 frames, P = 1024 bytes,
    /// one group of all channels.
    pub fn new(coder: Coder, channels: usize) -> Self {
        StreamConfig {
            coder: CoderSpec::hardware(coder),
            channels,
            segment_frames: DEFAULT_SEGMENT_FRAMES,
            packet_bytes: DEFAULT_PACKET_BYTES,
            group_channels: channels,
        }
    }

    /// The same stream in groups of `g` channels.
    pub fn with_groups(self, g: usize) -> Self {
        StreamConfig {
            group_channels: g,
            ..self
        }
    }

    /// Checks the configuration: valid coder parameters, C ≥ 1, R ≥ 1, and a packet size
    /// with room for the header, the CRC and at least one payload word.
    pub fn validate(&self) -> Result<(), Error> {
        self.coder.validate()?;
        let bad = |m: String| Err(Error::BadParams(m));
        if self.channels == 0 {
            return bad("channel count must be at least 1".into());
        }
        if self.segment_frames == 0 {
            return bad("segment frames (restart interval) must be at least 1".into());
        }
        if !(1..=self.channels).contains(&self.group_channels) {
            return bad(format!(
                "channels per group must be 1..={} (the channel count), got {}",
                self.channels, self.group_channels
            ));
        }
        if self.packet_bytes < OVERHEAD_BYTES + 4 {
            return bad(format!(
                "packet size {} bytes leaves no room for a payload word: at least {} bytes \
                 ({OVERHEAD_BYTES} of header and CRC + 4)",
                self.packet_bytes,
                OVERHEAD_BYTES + 4
            ));
        }
        Ok(())
    }

    /// Payload words per full packet.
    pub fn payload_words(&self) -> usize {
        ((self.packet_bytes - OVERHEAD_BYTES) / 4).min(MAX_PAYLOAD_WORDS)
    }

    /// Stream samples in a full segment period (`R · C`, all groups).
    pub fn segment_samples(&self) -> u64 {
        self.segment_frames as u64 * self.channels as u64
    }

    /// Segment periods of a stream of `frames` frames.
    pub fn segments(&self, frames: u64) -> u64 {
        frames.div_ceil(self.segment_frames as u64)
    }

    /// Number of channel groups.
    pub fn groups(&self) -> usize {
        self.channels.div_ceil(self.group_channels)
    }

    /// The channels of group `g`: `first .. end`.
    pub fn group_range(&self, g: usize) -> std::ops::Range<usize> {
        let first = g * self.group_channels;
        first..(first + self.group_channels).min(self.channels)
    }

    /// Frames of segment `k` of a stream of `frames` frames.
    pub fn frames_of(&self, k: u64, frames: u64) -> u64 {
        let r = self.segment_frames as u64;
        frames.saturating_sub(k * r).min(r)
    }
}

/// The restart state of a v1 channel whose first sample in the segment is `x` (sent raw):
/// `prev = x`, `N = min(4, 2^(w−1))`, `A = 8·N` (FORMAT.md §9.2).
pub fn v1_restart_state(x: u32, p: &CodecParams) -> ChannelState {
    let n = 4.min(1 << (p.window_log2 - 1));
    ChannelState {
        prev: x,
        a: 8 * n,
        n,
    }
}

/// One coded segment: its bytes (a whole number of 32-bit words) and how many of the last
/// word's bytes are padding (v2; v1's padding is zero bits after the last code, and its
/// decoder knows the sample count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub bytes: Vec<u8>,
    pub pad: u8,
}

/// Codes one v1 segment of whole frames: each channel's first sample raw (W bits), then
/// every sample as FORMAT.md §3 from the restart state, packed MSB first into 32-bit words.
pub fn encode_segment_v1(p: &CodecParams, channels: usize, samples: &[u32]) -> Vec<u8> {
    let mut states = vec![ChannelState::initial(p); channels];
    let mut packer = BitPacker::new();
    let mut out = Vec::with_capacity(samples.len() * 5 / 8 + 8);
    for (i, &x) in samples.iter().enumerate() {
        let ch = i % channels;
        let word = if i < channels {
            states[ch] = v1_restart_state(x, p);
            packer.push(Code {
                bits: x,
                len: p.sample_bits,
            })
        } else {
            let c = code_sample(&states[ch], x, p);
            states[ch] = c.next;
            packer.push(c.code)
        };
        if let Some(w) = word {
            out.extend_from_slice(&w.to_be_bytes());
        }
    }
    if let Some(w) = packer.flush() {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out
}

/// Codes one segment of whole frames of `channels` channels (a group's) with `coder`.
pub fn encode_segment(coder: &CoderSpec, channels: usize, samples: &[u32]) -> Segment {
    match coder {
        CoderSpec::Lite(p) => Segment {
            bytes: encode_segment_v1(p, channels, samples),
            pad: 0,
        },
        CoderSpec::Max(p) => {
            let mut stats = v2::EncodeStats::default();
            let mut bytes = v2::encode_block(p, channels, samples, &mut stats);
            let pad = bytes.len().next_multiple_of(4) - bytes.len();
            bytes.resize(bytes.len() + pad, 0);
            Segment {
                bytes,
                pad: pad as u8,
            }
        }
    }
}

/// Decodes the samples of one segment of `frames` frames of `channels` channels that `data`
/// (a received prefix of
/// the segment's bytes, padding removed when `complete`) determines, appending them to
/// `out`. Returns `Ok(())` only for a complete segment that decoded exactly (no bits or bytes
/// left over beyond the padding); otherwise `out` holds the exact prefix and the error says
/// why decoding stopped.
pub fn decode_segment(
    coder: &CoderSpec,
    channels: usize,
    frames: u64,
    data: &[u8],
    complete: bool,
    out: &mut Vec<u32>,
) -> Result<(), Error> {
    let count = frames as usize * channels;
    match coder {
        CoderSpec::Lite(p) => {
            let c = channels;
            let mut states = vec![ChannelState::initial(p); c];
            let mut r = BitReader::new(data, data.len() as u64 * 8);
            for i in 0..count {
                let ch = i % c;
                let x = if i < c {
                    let x = r.take(p.sample_bits)?;
                    states[ch] = v1_restart_state(x, p);
                    x
                } else {
                    decode_sample(&mut r, &mut states[ch], p)?
                };
                out.push(x);
            }
            if complete && (r.left() >= 32 || r.take(r.left() as u32)? != 0) {
                return Err(Error::Corrupt(
                    "bits left over after the last sample of a segment".into(),
                ));
            }
            Ok(())
        }
        CoderSpec::Max(p) => {
            if data.len() < 4 {
                return Err(Error::Corrupt("segment shorter than 4 bytes".into()));
            }
            v2::decode_block(p, channels, frames as u32, data, out)
        }
    }
}

/// The header of one packet (FORMAT.md §9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// `FLAG_FIRST`, `FLAG_LAST`.
    pub flags: u8,
    /// Padding bytes at the end of the payload (LAST packets of v2 segments: 0..=3).
    pub pad: u8,
    /// Payload length in 32-bit words (1..=4095).
    pub words: u16,
    /// Sequence number: +1 per packet sent on the link, modulo 2^16.
    pub seq: u16,
    /// Index of the packet in its segment (0 for the FIRST packet).
    pub part: u16,
    /// Stream index of the first sample of the packet's segment (`k·R·C` plus the group's
    /// first channel), modulo 2^32.
    pub start: u32,
}

impl Header {
    pub fn first(&self) -> bool {
        self.flags & FLAG_FIRST != 0
    }
    pub fn last(&self) -> bool {
        self.flags & FLAG_LAST != 0
    }
}

/// Builds one packet: header, payload (whole words), CRC-32 of both, all big-endian.
pub fn write_packet(h: &Header, payload: &[u8]) -> Vec<u8> {
    debug_assert!(payload.len() == h.words as usize * 4 && h.words >= 1);
    let w0 = (SYNC as u32) << 16
        | ((h.flags as u32 | h.pad as u32) & 0xF) << 12
        | (h.words as u32 & 0xFFF);
    let w1 = (h.seq as u32) << 16 | h.part as u32;
    let mut out = Vec::with_capacity(OVERHEAD_BYTES + payload.len());
    out.extend_from_slice(&w0.to_be_bytes());
    out.extend_from_slice(&w1.to_be_bytes());
    out.extend_from_slice(&h.start.to_be_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// Why a received packet was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Shorter than a header, a CRC and one payload word.
    Short,
    /// The first two bytes are not the sync word.
    Sync,
    /// The length field disagrees with the packet's size, or is 0.
    Length,
    /// The CRC-32 does not match.
    Crc,
    /// Fields that no packetiser writes: padding outside a LAST packet, or FIRST not
    /// exactly on part 0.
    Flags,
}

/// Parses and checks one received packet: sync, length, CRC, flags. Returns the header and
/// the payload.
pub fn parse_packet(b: &[u8]) -> Result<(Header, &[u8]), Refused> {
    if b.len() < OVERHEAD_BYTES + 4 {
        return Err(Refused::Short);
    }
    let w0 = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if (w0 >> 16) as u16 != SYNC {
        return Err(Refused::Sync);
    }
    let words = (w0 & 0xFFF) as usize;
    if words == 0 || b.len() != OVERHEAD_BYTES + 4 * words {
        return Err(Refused::Length);
    }
    let (body, crc) = b.split_at(b.len() - 4);
    if crc32fast::hash(body) != u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]) {
        return Err(Refused::Crc);
    }
    let nib = ((w0 >> 12) & 0xF) as u8;
    let w1 = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
    let h = Header {
        flags: nib & (FLAG_FIRST | FLAG_LAST),
        pad: nib & 0b11,
        words: words as u16,
        seq: (w1 >> 16) as u16,
        part: w1 as u16,
        start: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
    };
    if (h.pad != 0 && !h.last()) || h.first() != (h.part == 0) {
        return Err(Refused::Flags);
    }
    Ok((h, &body[HEADER_BYTES..]))
}

/// The packets of one segment: at most `cfg.packet_bytes` bytes each; `start` is the stream
/// index of the segment's first sample. Sequence numbers are filled in when the packets are
/// sent ([`packetise`]); here they are 0.
pub fn segment_packets<'a>(
    cfg: &StreamConfig,
    seg: &'a Segment,
    start: u64,
) -> Vec<(Header, &'a [u8])> {
    let chunk = cfg.payload_words() * 4;
    let n = seg.bytes.len().div_ceil(chunk);
    seg.bytes
        .chunks(chunk)
        .enumerate()
        .map(|(i, part)| {
            let last = i + 1 == n;
            let h = Header {
                flags: if i == 0 { FLAG_FIRST } else { 0 } | if last { FLAG_LAST } else { 0 },
                pad: if last { seg.pad } else { 0 },
                words: (part.len() / 4) as u16,
                seq: 0,
                part: i as u16,
                start: start as u32,
            };
            (h, part)
        })
        .collect()
}

/// What encoding a stream into packets produced.
#[derive(Clone, Debug, Default)]
pub struct Packets {
    pub packets: Vec<Vec<u8>>,
    /// Coded bytes of all segments (payload, padding included).
    pub payload_bytes: u64,
    /// Bytes of all packets.
    pub link_bytes: u64,
    /// Segments (segment periods × groups).
    pub segments: u64,
}

/// Encodes interleaved samples (whole frames of `cfg.channels`) into packets. In each
/// segment period the groups' packets go out in rotation (part 0 of every group, then part
/// 1, …), the order in which a packetiser after the core fills them.
pub fn packetise(cfg: &StreamConfig, samples: &[u32]) -> Result<Packets, Error> {
    cfg.validate()?;
    let c = cfg.channels;
    if !samples.len().is_multiple_of(c) {
        return Err(Error::BadParams("samples are not whole frames".into()));
    }
    let w = cfg.coder.sample_bits();
    if let Some(x) = samples.iter().find(|&&x| x >> w != 0) {
        return Err(Error::BadParams(format!(
            "sample {x} does not fit in {w} bits"
        )));
    }
    let mut p = Packets::default();
    let mut seq = 0u16;
    let per = cfg.segment_samples() as usize;
    for (k, period) in samples.chunks(per).enumerate() {
        let segs: Vec<(Segment, u64)> = (0..cfg.groups())
            .map(|g| {
                let chans = cfg.group_range(g);
                let mine: Vec<u32> = period
                    .chunks(c)
                    .flat_map(|frame| frame[chans.clone()].iter().copied())
                    .collect();
                (
                    encode_segment(&cfg.coder, chans.len(), &mine),
                    (k * per + chans.start) as u64,
                )
            })
            .collect();
        let parts: Vec<Vec<(Header, &[u8])>> = segs
            .iter()
            .map(|(seg, start)| segment_packets(cfg, seg, *start))
            .collect();
        let most = parts.iter().map(|v| v.len()).max().unwrap_or(0);
        for i in 0..most {
            for group in &parts {
                if let Some((h, payload)) = group.get(i) {
                    p.packets.push(write_packet(&Header { seq, ..*h }, payload));
                    seq = seq.wrapping_add(1);
                }
            }
        }
        p.payload_bytes += segs.iter().map(|(s, _)| s.bytes.len() as u64).sum::<u64>();
        p.segments += segs.len() as u64;
    }
    p.link_bytes = p.packets.iter().map(|b| b.len() as u64).sum();
    Ok(p)
}

/// What the receiver made of the packets it got.
#[derive(Clone, Debug, Default)]
pub struct Reception {
    /// One entry per stream sample: the decoded value, or [`LOST`].
    pub samples: Vec<u32>,
    pub delivered: u64,
    /// Packets that passed every check.
    pub packets_ok: u64,
    /// Packets refused (sync, length, CRC, flags).
    pub packets_refused: u64,
    /// Valid packets that could not be used (after a gap in their segment, a repeat, a
    /// segment already delivered, or a start that is not a segment of this stream).
    pub packets_unused: u64,
    /// Segments (segment periods × groups).
    pub segments: u64,
    /// Segments received whole and decoded exactly.
    pub segments_complete: u64,
    /// Segments of which a prefix was decoded (a packet after the first was missing).
    pub segments_partial: u64,
    /// Segments whose first packet never arrived.
    pub segments_lost: u64,
    /// Segments received whole whose decoding failed (only a CRC collision or an encoder
    /// bug can cause it); all their samples are withheld.
    pub segments_inconsistent: u64,
}

/// A segment being assembled from its packets.
struct Assembly {
    /// Segment period.
    period: u64,
    bytes: Vec<u8>,
    last_part: u16,
    pad: u8,
    complete: bool,
}

/// Receives packets in arrival order (lost packets absent, corrupt ones as they arrived)
/// for a stream of `frames` frames, and decodes every sample their intact prefixes
/// determine.
pub fn depacketise<'a, I>(cfg: &StreamConfig, frames: u64, packets: I) -> Result<Reception, Error>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    cfg.validate()?;
    let total = frames * cfg.channels as u64;
    let periods = cfg.segments(frames);
    let groups = cfg.groups();
    let mut rx = Reception {
        samples: vec![LOST; total as usize],
        segments: periods * groups as u64,
        ..Default::default()
    };
    // segment (period · groups + group) opened already
    let mut done = vec![false; (periods as usize) * groups];
    let mut open: Vec<Option<Assembly>> = (0..groups).map(|_| None).collect();
    // the last segment start opened, to unwrap the 32-bit start field
    let mut reference = 0u64;
    let per = cfg.segment_samples();
    for b in packets {
        let (h, payload) = match parse_packet(b) {
            Ok(x) => x,
            Err(_) => {
                rx.packets_refused += 1;
                continue;
            }
        };
        rx.packets_ok += 1;
        let delta = h.start.wrapping_sub(reference as u32) as i32 as i64;
        let start = reference as i64 + delta;
        let (period, channel) = (start.div_euclid(per as i64), start.rem_euclid(per as i64));
        let group = channel as usize / cfg.group_channels;
        if start < 0
            || period as u64 >= periods
            || !(channel as usize).is_multiple_of(cfg.group_channels)
        {
            rx.packets_unused += 1;
            continue;
        }
        let period = period as u64;
        let slot = &mut open[group];
        if h.first() {
            if done[period as usize * groups + group] {
                rx.packets_unused += 1; // a repeat, or a segment already given up
                continue;
            }
            if let Some(a) = slot.take() {
                finish(cfg, frames, group, a, &mut rx);
            }
            done[period as usize * groups + group] = true;
            reference = start as u64;
            *slot = Some(Assembly {
                period,
                bytes: payload.to_vec(),
                last_part: 0,
                pad: h.pad,
                complete: h.last(),
            });
        } else {
            match slot.as_mut() {
                Some(a) if a.period == period && h.part == a.last_part.wrapping_add(1) => {
                    a.bytes.extend_from_slice(payload);
                    a.last_part = h.part;
                    a.pad = h.pad;
                    a.complete = h.last();
                }
                // the same packet again (a link that repeats): nothing new
                Some(a) if a.period == period && h.part == a.last_part => {
                    rx.packets_unused += 1;
                    continue;
                }
                _ => {
                    // a gap: the prefix of the group's open segment so far is all it gets
                    rx.packets_unused += 1;
                    if let Some(a) = slot.take() {
                        if a.period <= period {
                            finish(cfg, frames, group, a, &mut rx);
                        } else {
                            *slot = Some(a); // a stale packet of an older segment
                        }
                    }
                    continue;
                }
            }
        }
        if slot.as_ref().is_some_and(|a| a.complete) {
            let a = slot.take().expect("checked");
            finish(cfg, frames, group, a, &mut rx);
        }
    }
    for (g, slot) in open.iter_mut().enumerate() {
        if let Some(a) = slot.take() {
            finish(cfg, frames, g, a, &mut rx);
        }
    }
    rx.segments_lost =
        rx.segments - rx.segments_complete - rx.segments_partial - rx.segments_inconsistent;
    Ok(rx)
}

/// Decodes an assembled segment of `group` into its place in `rx.samples`.
fn finish(cfg: &StreamConfig, frames: u64, group: usize, a: Assembly, rx: &mut Reception) {
    let chans = cfg.group_range(group);
    let n = cfg.frames_of(a.period, frames);
    let mut data = a.bytes;
    if a.complete {
        data.truncate(data.len() - a.pad as usize);
    }
    let mut out = Vec::with_capacity((n as usize * chans.len()).min(data.len() * 8));
    let r = decode_segment(&cfg.coder, chans.len(), n, &data, a.complete, &mut out);
    if a.complete && r.is_err() {
        rx.segments_inconsistent += 1;
        return;
    }
    if r.is_ok() {
        rx.segments_complete += 1;
    } else {
        rx.segments_partial += 1;
    }
    let c = cfg.channels;
    let first_frame = (a.period * cfg.segment_frames as u64) as usize;
    for (j, &x) in out.iter().enumerate() {
        let (f, ch) = (first_frame + j / chans.len(), chans.start + j % chans.len());
        rx.samples[f * c + ch] = x;
    }
    rx.delivered += out.len() as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(channels: usize, frames: usize, seed: u32) -> Vec<u32> {
        let mut s = seed;
        let mut x = vec![512i32; channels];
        (0..channels * frames)
            .map(|i| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let c = i % channels;
                x[c] = (x[c] + (s >> 27) as i32 - 16).clamp(0, 1023);
                x[c] as u32
            })
            .collect()
    }

    #[test]
    fn header_round_trips_and_every_check_refuses() {
        let h = Header {
            flags: FLAG_FIRST | FLAG_LAST,
            pad: 3,
            words: 2,
            seq: 0xBEEF,
            part: 0,
            start: 1234,
        };
        let p = write_packet(&h, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(p.len(), OVERHEAD_BYTES + 8);
        assert_eq!(&p[..2], &[0xEB, 0x90]);
        assert_eq!(p[2] >> 4, 0b1111);
        let (g, pay) = parse_packet(&p).unwrap();
        assert_eq!((g, pay), (h, &[1u8, 2, 3, 4, 5, 6, 7, 8][..]));
        assert_eq!(parse_packet(&p[..10]), Err(Refused::Short));
        assert_eq!(parse_packet(&p[..p.len() - 4]), Err(Refused::Length));
        let mut q = p.clone();
        q[0] ^= 1;
        assert_eq!(parse_packet(&q), Err(Refused::Sync));
        for bit in 16..p.len() * 8 {
            let mut q = p.clone();
            q[bit / 8] ^= 1 << (bit % 8);
            assert!(parse_packet(&q).is_err(), "bit {bit}");
        }
        let mid = write_packet(&Header { flags: 0, ..h }, &[0; 8]);
        assert_eq!(parse_packet(&mid), Err(Refused::Flags));
        let late_first = write_packet(&Header { part: 1, ..h }, &[0; 8]);
        assert_eq!(parse_packet(&late_first), Err(Refused::Flags));
    }

    #[test]
    fn lossless_link_equals_the_samples_for_both_coders() {
        for coder in [Coder::Lite, Coder::Max] {
            for (c, g, frames, r, pb) in [
                (1, 1, 5000, 1024, 1024),
                (7, 7, 3001, 100, 64),
                (7, 3, 3001, 100, 64),
                (3, 1, 10, 1, 20),
            ] {
                let xs = walk(c, frames, 7);
                let cfg = StreamConfig {
                    segment_frames: r,
                    packet_bytes: pb,
                    ..StreamConfig::new(coder, c).with_groups(g)
                };
                let p = packetise(&cfg, &xs).unwrap();
                assert!(p.packets.iter().all(|b| b.len() <= pb));
                let rx =
                    depacketise(&cfg, frames as u64, p.packets.iter().map(|b| &b[..])).unwrap();
                assert_eq!(rx.samples, xs, "{coder} C={c} R={r}");
                assert_eq!(rx.segments_complete, rx.segments);
            }
        }
    }
}
