//! The packet stream (FORMAT.md §9): the channels split into **groups** of `G` channels
//! (one group of all channels by default), each group's samples cut into **segments** of `R`
//! frames coded from a restart point, and each segment's bytes cut into bounded packets with
//! a sync word, a sequence number, the packet's index in its segment, the segment's first
//! sample index and a CRC-32.
//!
//! ```text
//!  samples ─▶ segments of R frames ─▶ encode_segment (v1: first frame raw; v2: one block;
//!             max: one block, two substreams)
//!          ─▶ packetise (≤ P bytes each) ─▶ link ─▶ depacketise ─▶ decode each segment's
//!             received prefix ─▶ samples, or LOST
//! ```
//!
//! Coder max's segments have two substreams (tokens, raw bits; FORMAT.md §10.8), each cut
//! into packets on its own (bit 15 of `PART` says which); the others have one.
//!
//! A sample is delivered only when every byte its decoding consumed arrived in a packet whose
//! CRC matched, in sequence from its segment's first packet; everything else is reported as
//! lost, never guessed. A lost or corrupt packet therefore costs at most the rest of its
//! segment (`R` frames of the `G` channels of its group), and decoding resumes at that
//! group's next segment.

use crate::lite::{code_sample, decode_sample, BitPacker, BitReader, ChannelState, Code};
use crate::{max, v2};
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
/// Flag: the payload ends its segment (coder max: its substream).
pub const FLAG_LAST: u8 = 0b0100;
/// Coder max: bit 15 of the `PART` field, set in the packets of a segment's raw substream
/// (FORMAT.md §10.8).
pub const PART_SUB: u16 = 0x8000;
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

    /// Checks the configuration: valid coder parameters, C ≥ 1, R ≥ 1, a packet size with
    /// room for the header, the CRC and at least one payload word, and segments whose packets
    /// `PART` can number ([`crate::packet_bound`]).
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
        // every segment's packets must be numberable by PART (16 bits)
        crate::packet_bound::check_numbering(self)
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

/// One coded substream of a segment: its bytes (a whole number of 32-bit words) and how
/// many of the last word's bytes are padding (v2, max; v1's padding is zero bits after the
/// last code, and its decoder knows the sample count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub bytes: Vec<u8>,
    pub pad: u8,
}

impl Segment {
    /// `bytes` zero-padded to a whole number of 32-bit words.
    fn padded(mut bytes: Vec<u8>) -> Segment {
        let pad = bytes.len().next_multiple_of(4) - bytes.len();
        bytes.resize(bytes.len() + pad, 0);
        Segment {
            bytes,
            pad: pad as u8,
        }
    }
}

/// Substreams per segment: coder max's two (tokens, raw bits; FORMAT.md §10.8), the
/// others' one.
pub fn substreams(coder: &CoderSpec) -> usize {
    match coder {
        CoderSpec::Lite(_) | CoderSpec::V2(_) => 1,
        CoderSpec::Max(_) => 2,
    }
}

/// The most packets one substream of a segment may take: the `PART` field's indices (16
/// bits, 15 with coder max's substream bit).
pub fn max_parts(coder: &CoderSpec) -> usize {
    match substreams(coder) {
        1 => 1 << 16,
        _ => 1 << 15,
    }
}

/// Codes one v1 segment of whole frames: each channel's first sample raw (W bits), then
/// every sample as FORMAT.md §3 from the restart state, packed MSB first into 32-bit words.
/// With a maximum error (`p.max_error > 0`, FORMAT.md §11.6) the samples are replaced by their
/// lattice indices first (the restart sample too). The samples must fit in `W` bits.
pub fn encode_segment_v1(p: &CodecParams, channels: usize, samples: &[u32]) -> Vec<u8> {
    let qz = p
        .quantiser()
        .expect("the stream configuration was validated");
    let mut states = vec![ChannelState::initial(p); channels];
    let mut packer = BitPacker::new();
    let mut out = Vec::with_capacity(samples.len() * 5 / 8 + 8);
    for (i, &x) in samples.iter().enumerate() {
        let x = qz.index(x);
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

/// Codes one segment of whole frames of `channels` channels (a group's) with `coder`: its
/// [`substreams`] (coder max: the token substream, then the raw substream).
pub fn encode_segment(
    coder: &CoderSpec,
    channels: usize,
    samples: &[u32],
) -> Result<Vec<Segment>, Error> {
    Ok(match coder {
        CoderSpec::Lite(p) => vec![Segment {
            bytes: encode_segment_v1(p, channels, samples),
            pad: 0,
        }],
        CoderSpec::Max(s) => {
            let mut stats = max::EncodeStats::default();
            let b = max::encode_block(&s.params, &s.table.table(), channels, samples, &mut stats)?;
            vec![Segment::padded(b.tokens), Segment::padded(b.raw)]
        }
        CoderSpec::V2(p) => {
            let mut stats = v2::EncodeStats::default();
            vec![Segment::padded(v2::encode_block(
                p, channels, samples, &mut stats,
            ))]
        }
    })
}

/// Decodes the samples of one segment of `frames` frames of `channels` channels that `parts`
/// (a received prefix of each of the segment's [`substreams`], padding removed when
/// `complete`) determine, appending them to `out`. Returns `Ok(())` only for a segment that
/// decoded every sample (and, when `complete`, exactly: no bits or bytes left over beyond
/// the padding); otherwise `out` holds the exact prefix and the error says why decoding
/// stopped.
pub fn decode_segment(
    coder: &CoderSpec,
    channels: usize,
    frames: u64,
    parts: &[&[u8]],
    complete: bool,
    out: &mut Vec<u32>,
) -> Result<(), Error> {
    let count = frames as usize * channels;
    if parts.len() != substreams(coder) {
        return Err(Error::BadParams(format!(
            "{} substream(s) for coder {coder}, which has {}",
            parts.len(),
            substreams(coder)
        )));
    }
    let data = parts[0];
    match coder {
        CoderSpec::Lite(p) => {
            let c = channels;
            // the lattice indices' reconstructions with a maximum error (FORMAT.md §11.6)
            let qz = p.quantiser()?;
            let mut states = vec![ChannelState::initial(p); c];
            let mut r = BitReader::new(data, data.len() as u64 * 8);
            for i in 0..count {
                let ch = i % c;
                let j = if i < c {
                    let x = r.take(p.sample_bits)?;
                    states[ch] = v1_restart_state(x, p);
                    x
                } else {
                    decode_sample(&mut r, &mut states[ch], p)?
                };
                let x = qz.value(j).ok_or_else(|| {
                    Error::Corrupt(format!(
                        "decoded index {j} is outside the lattice of the maximum error {}",
                        p.max_error
                    ))
                })?;
                out.push(x);
            }
            if complete && (r.left() >= 32 || r.take(r.left() as u32)? != 0) {
                return Err(Error::Corrupt(
                    "bits left over after the last sample of a segment".into(),
                ));
            }
            Ok(())
        }
        // the token substream's first 4 bytes are read first (§10.8): a segment whose token
        // prefix is shorter delivers nothing
        CoderSpec::Max(s) => max::decode_block(
            &s.params,
            &s.table.table(),
            channels,
            frames as u32,
            data,
            parts[1],
            out,
        ),
        CoderSpec::V2(p) => {
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
    /// Index of the packet in its segment (coder max: in its substream; 0 for the FIRST
    /// packet).
    pub part: u16,
    /// Coder max: the substream (0 tokens, 1 raw bits), bit 15 of the `PART` field; always
    /// 0 for the other coders, whose index takes all 16 bits.
    pub sub: u8,
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
    let w1 = (h.seq as u32) << 16 | h.part as u32 | (h.sub as u32) << 15;
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

/// Parses and checks one received packet of a stream of `substreams` substreams per segment
/// ([`substreams`]: 2 for coder max, whose `PART` field holds the substream in bit 15):
/// sync, length, CRC, flags. Returns the header and the payload.
pub fn parse_packet(b: &[u8], substreams: usize) -> Result<(Header, &[u8]), Refused> {
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
    let field = w1 as u16;
    let (part, sub) = if substreams > 1 {
        (field & !PART_SUB, (field >> 15) as u8)
    } else {
        (field, 0)
    };
    let h = Header {
        flags: nib & (FLAG_FIRST | FLAG_LAST),
        pad: nib & 0b11,
        words: words as u16,
        seq: (w1 >> 16) as u16,
        part,
        sub,
        start: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
    };
    if (h.pad != 0 && !h.last()) || h.first() != (h.part == 0) {
        return Err(Refused::Flags);
    }
    Ok((h, &body[HEADER_BYTES..]))
}

/// The packets of substream `sub` of one segment: at most `cfg.packet_bytes` bytes each;
/// `start` is the stream index of the segment's first sample. Sequence numbers are filled in
/// when the packets are sent ([`packetise`]); here they are 0. More packets than the `PART`
/// field can number ([`max_parts`]) is an error.
pub fn segment_packets<'a>(
    cfg: &StreamConfig,
    seg: &'a Segment,
    sub: u8,
    start: u64,
) -> Result<Vec<(Header, &'a [u8])>, Error> {
    let chunk = cfg.payload_words() * 4;
    let n = seg.bytes.len().div_ceil(chunk);
    if n > max_parts(&cfg.coder) {
        return Err(Error::BadParams(format!(
            "a segment needs {n} packets of {} bytes, more than the PART field numbers ({}): \
             use larger packets or shorter segments",
            cfg.packet_bytes,
            max_parts(&cfg.coder)
        )));
    }
    Ok(seg
        .bytes
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
                sub,
                start: start as u32,
            };
            (h, part)
        })
        .collect())
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
/// 1, …; coder max: part `i` of a group's token substream, then of its raw substream), the
/// order in which a packetiser after the core fills them.
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
        let segs: Vec<(Vec<Segment>, u64)> = (0..cfg.groups())
            .map(|g| {
                let chans = cfg.group_range(g);
                let mine: Vec<u32> = period
                    .chunks(c)
                    .flat_map(|frame| frame[chans.clone()].iter().copied())
                    .collect();
                Ok((
                    encode_segment(&cfg.coder, chans.len(), &mine)?,
                    (k * per + chans.start) as u64,
                ))
            })
            .collect::<Result<_, Error>>()?;
        // per group and substream, its packets
        let parts: Vec<Vec<(Header, &[u8])>> = segs
            .iter()
            .flat_map(|(subs, start)| {
                subs.iter()
                    .enumerate()
                    .map(move |(sub, seg)| segment_packets(cfg, seg, sub as u8, *start))
            })
            .collect::<Result<_, Error>>()?;
        let most = parts.iter().map(|v| v.len()).max().unwrap_or(0);
        for i in 0..most {
            for group in &parts {
                if let Some((h, payload)) = group.get(i) {
                    p.packets.push(write_packet(&Header { seq, ..*h }, payload));
                    seq = seq.wrapping_add(1);
                }
            }
        }
        p.payload_bytes += segs
            .iter()
            .flat_map(|(subs, _)| subs.iter().map(|s| s.bytes.len() as u64))
            .sum::<u64>();
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

/// Where one substream of a segment being assembled stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SubState {
    /// Its FIRST packet has not arrived.
    Waiting,
    /// Received in order up to `last_part`.
    Open,
    /// Its LAST packet arrived: the whole substream.
    Complete,
    /// A packet was missing: the prefix so far is all it gets.
    Gap,
}

/// One substream of a segment being assembled.
struct Sub {
    bytes: Vec<u8>,
    last_part: u16,
    pad: u8,
    state: SubState,
}

/// A segment being assembled from its packets.
struct Assembly {
    /// Segment period.
    period: u64,
    /// Its substreams ([`substreams`]).
    subs: Vec<Sub>,
}

impl Assembly {
    /// Whether every substream is closed (complete, or cut by a gap).
    fn closed(&self) -> bool {
        self.subs
            .iter()
            .all(|s| matches!(s.state, SubState::Complete | SubState::Gap))
    }
}

/// Receives packets in arrival order (lost packets absent, corrupt ones as they arrived)
/// for a stream of `frames` frames, and decodes every sample their intact prefixes
/// determine (FORMAT.md §9.4; coder max's two substreams per segment, §10.8).
pub fn depacketise<'a, I>(cfg: &StreamConfig, frames: u64, packets: I) -> Result<Reception, Error>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    cfg.validate()?;
    let total = frames * cfg.channels as u64;
    let periods = cfg.segments(frames);
    let groups = cfg.groups();
    let nsub = substreams(&cfg.coder);
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
        let (h, payload) = match parse_packet(b, nsub) {
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
        let is_open = slot.as_ref().is_some_and(|a| a.period == period);
        if !is_open {
            if h.first() && !done[period as usize * groups + group] {
                // a FIRST packet opens its segment, closing the group's open one
                if let Some(a) = slot.take() {
                    finish(cfg, frames, group, a, &mut rx);
                }
                done[period as usize * groups + group] = true;
                reference = start as u64;
                *slot = Some(Assembly {
                    period,
                    subs: (0..nsub)
                        .map(|_| Sub {
                            bytes: Vec::new(),
                            last_part: 0,
                            pad: 0,
                            state: SubState::Waiting,
                        })
                        .collect(),
                });
            } else {
                // a repeat of a segment opened before, a packet of an older segment, or
                // one of a newer segment whose FIRST is missing (which closes the open one)
                rx.packets_unused += 1;
                if slot.as_ref().is_some_and(|a| a.period < period) {
                    let a = slot.take().expect("checked");
                    finish(cfg, frames, group, a, &mut rx);
                }
                continue;
            }
        }
        let a = slot.as_mut().expect("the packet's segment is open");
        let sub = &mut a.subs[h.sub as usize];
        match (sub.state, h.first()) {
            (SubState::Waiting, true) => {
                sub.bytes = payload.to_vec();
                sub.pad = h.pad;
                sub.state = if h.last() {
                    SubState::Complete
                } else {
                    SubState::Open
                };
            }
            (SubState::Open, false) if h.part == sub.last_part.wrapping_add(1) => {
                sub.bytes.extend_from_slice(payload);
                sub.last_part = h.part;
                sub.pad = h.pad;
                if h.last() {
                    sub.state = SubState::Complete;
                }
            }
            // a repeat (the same packet again, or the FIRST of a substream already started),
            // or a packet after its substream closed: nothing new
            (SubState::Open, true) | (SubState::Complete | SubState::Gap, _) => {
                rx.packets_unused += 1;
            }
            (SubState::Open, false) if h.part == sub.last_part => rx.packets_unused += 1,
            // a packet is missing (the substream's FIRST, or one before this part): the
            // substream's prefix so far is all it gets
            (SubState::Waiting | SubState::Open, false) => {
                rx.packets_unused += 1;
                sub.state = SubState::Gap;
            }
        }
        if a.closed() {
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
    let complete = a.subs.iter().all(|s| s.state == SubState::Complete);
    let mut parts: Vec<Vec<u8>> = Vec::with_capacity(a.subs.len());
    for s in a.subs {
        let mut data = s.bytes;
        if s.state == SubState::Complete {
            data.truncate(data.len() - s.pad as usize);
        }
        parts.push(data);
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
    let bytes: usize = refs.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity((n as usize * chans.len()).min(bytes * 8));
    let r = decode_segment(&cfg.coder, chans.len(), n, &refs, complete, &mut out);
    if complete && r.is_err() {
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
            sub: 0,
            start: 1234,
        };
        let p = write_packet(&h, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(p.len(), OVERHEAD_BYTES + 8);
        assert_eq!(&p[..2], &[0xEB, 0x90]);
        assert_eq!(p[2] >> 4, 0b1111);
        let (g, pay) = parse_packet(&p, 1).unwrap();
        assert_eq!((g, pay), (h, &[1u8, 2, 3, 4, 5, 6, 7, 8][..]));
        assert_eq!(parse_packet(&p[..10], 1), Err(Refused::Short));
        assert_eq!(parse_packet(&p[..p.len() - 4], 1), Err(Refused::Length));
        let mut q = p.clone();
        q[0] ^= 1;
        assert_eq!(parse_packet(&q, 1), Err(Refused::Sync));
        for bit in 16..p.len() * 8 {
            let mut q = p.clone();
            q[bit / 8] ^= 1 << (bit % 8);
            assert!(parse_packet(&q, 1).is_err(), "bit {bit}");
        }
        let mid = write_packet(&Header { flags: 0, ..h }, &[0; 8]);
        assert_eq!(parse_packet(&mid, 1), Err(Refused::Flags));
        let late_first = write_packet(&Header { part: 1, ..h }, &[0; 8]);
        assert_eq!(parse_packet(&late_first, 1), Err(Refused::Flags));
        // coder max: bit 15 of PART is the substream; FIRST is on index 0 of either
        let raw_first = write_packet(&Header { sub: 1, ..h }, &[0; 8]);
        assert_eq!(raw_first[6], 0x80);
        assert_eq!(
            parse_packet(&raw_first, 2).unwrap().0,
            Header { sub: 1, ..h }
        );
        assert_eq!(parse_packet(&raw_first, 1), Err(Refused::Flags));
        let raw_part = write_packet(
            &Header {
                sub: 1,
                part: 0x7FFF,
                flags: 0,
                pad: 0,
                ..h
            },
            &[0; 8],
        );
        let (g, _) = parse_packet(&raw_part, 2).unwrap();
        assert_eq!((g.sub, g.part), (1, 0x7FFF));
        assert_eq!(parse_packet(&raw_part, 1).unwrap().0.part, 0xFFFF);
    }

    #[test]
    fn lossless_link_equals_the_samples_for_every_coder() {
        for coder in Coder::ALL {
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
