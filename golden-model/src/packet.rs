//! The packet stream (FORMAT.md §9): the coded stream cut into **segments** of `R` frames,
//! each coded from a restart point, and each segment's bytes cut into bounded packets with a
//! sync word, a sequence number, the segment's first sample index and a CRC-32.
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
//! segment (`R` frames of every channel), and decoding resumes at the next segment.

use crate::coder::{code_sample, decode_sample, BitPacker, BitReader, ChannelState, Code};
use crate::v2::{self, V2Params};
use crate::{CodecParams, Coder, Error};

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

/// The coder inside the packets, with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamCoder {
    V1(CodecParams),
    V2(V2Params),
}

impl StreamCoder {
    /// The default parameters of a coder (the hardware's, 10-bit grid samples).
    pub fn hardware(c: Coder) -> Self {
        match c {
            Coder::Lite => StreamCoder::V1(CodecParams::HARDWARE),
            Coder::Max => StreamCoder::V2(V2Params::HARDWARE),
        }
    }

    /// Which coder this is.
    pub fn coder(&self) -> Coder {
        match self {
            StreamCoder::V1(_) => Coder::Lite,
            StreamCoder::V2(_) => Coder::Max,
        }
    }

    /// Width of a sample in bits.
    pub fn sample_bits(&self) -> u32 {
        match self {
            StreamCoder::V1(p) => p.sample_bits,
            StreamCoder::V2(p) => p.golomb.sample_bits,
        }
    }
}

/// What both ends of a link agree on before the first packet (the stream descriptor, sent
/// out of band like the core's build parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    pub coder: StreamCoder,
    /// Channels `C` interleaved frame by frame (FORMAT.md §2).
    pub channels: usize,
    /// Restart interval `R`: frames per segment.
    pub segment_frames: u32,
    /// Upper bound `P` on a packet's bytes, header and CRC included.
    pub packet_bytes: usize,
}

impl StreamConfig {
    /// The default link for `coder` on `channels` channels: R = 1024 frames, P = 1024 bytes.
    pub fn new(coder: Coder, channels: usize) -> Self {
        StreamConfig {
            coder: StreamCoder::hardware(coder),
            channels,
            segment_frames: DEFAULT_SEGMENT_FRAMES,
            packet_bytes: DEFAULT_PACKET_BYTES,
        }
    }

    /// Checks the configuration: valid coder parameters, C ≥ 1, R ≥ 1, and a packet size
    /// with room for the header, the CRC and at least one payload word.
    pub fn validate(&self) -> Result<(), Error> {
        match &self.coder {
            StreamCoder::V1(p) => p.validate()?,
            StreamCoder::V2(p) => p.validate()?,
        }
        let bad = |m: String| Err(Error::BadParams(m));
        if self.channels == 0 {
            return bad("channel count must be at least 1".into());
        }
        if self.segment_frames == 0 {
            return bad("segment frames (restart interval) must be at least 1".into());
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

    /// Samples in a full segment (`R · C`).
    pub fn segment_samples(&self) -> u64 {
        self.segment_frames as u64 * self.channels as u64
    }

    /// Segments of a stream of `frames` frames.
    pub fn segments(&self, frames: u64) -> u64 {
        frames.div_ceil(self.segment_frames as u64)
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

/// Codes one segment of whole frames with the stream's coder.
pub fn encode_segment(cfg: &StreamConfig, samples: &[u32]) -> Segment {
    match &cfg.coder {
        StreamCoder::V1(p) => Segment {
            bytes: encode_segment_v1(p, cfg.channels, samples),
            pad: 0,
        },
        StreamCoder::V2(p) => {
            let mut stats = v2::EncodeStats::default();
            let mut bytes = v2::encode_block(p, cfg.channels, samples, &mut stats);
            let pad = bytes.len().next_multiple_of(4) - bytes.len();
            bytes.resize(bytes.len() + pad, 0);
            Segment {
                bytes,
                pad: pad as u8,
            }
        }
    }
}

/// Decodes the samples of one segment of `frames` frames that `data` (a received prefix of
/// the segment's bytes, padding removed when `complete`) determines, appending them to
/// `out`. Returns `Ok(())` only for a complete segment that decoded exactly (no bits or bytes
/// left over beyond the padding); otherwise `out` holds the exact prefix and the error says
/// why decoding stopped.
pub fn decode_segment(
    cfg: &StreamConfig,
    frames: u64,
    data: &[u8],
    complete: bool,
    out: &mut Vec<u32>,
) -> Result<(), Error> {
    let count = frames as usize * cfg.channels;
    match &cfg.coder {
        StreamCoder::V1(p) => {
            let c = cfg.channels;
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
        StreamCoder::V2(p) => {
            if data.len() < 4 {
                return Err(Error::Corrupt("segment shorter than 4 bytes".into()));
            }
            v2::decode_block(p, cfg.channels, frames as u32, data, out)
        }
    }
}

/// The header of one packet (FORMAT.md §9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// `FLAG_FIRST`, `FLAG_LAST`.
    pub flags: u8,
    /// Padding bytes at the end of the payload (LAST packets of v2 segments: 0..=3).
    pub pad: u8,
    /// Payload length in 32-bit words (1..=4095).
    pub words: u16,
    /// Sequence number: +1 per packet, modulo 2^32.
    pub seq: u32,
    /// Stream index of the first sample of the packet's segment, modulo 2^32.
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
    let mut out = Vec::with_capacity(OVERHEAD_BYTES + payload.len());
    out.extend_from_slice(&w0.to_be_bytes());
    out.extend_from_slice(&h.seq.to_be_bytes());
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
    /// Flags that no packetiser writes (padding outside a LAST packet).
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
    let h = Header {
        flags: nib & (FLAG_FIRST | FLAG_LAST),
        pad: nib & 0b11,
        words: words as u16,
        seq: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        start: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
    };
    if h.pad != 0 && !h.last() {
        return Err(Refused::Flags);
    }
    Ok((h, &body[HEADER_BYTES..]))
}

/// Cuts a segment into packets of at most `cfg.packet_bytes` bytes, numbering them from
/// `seq`; `start` is the stream index of the segment's first sample.
pub fn packetise_segment(
    cfg: &StreamConfig,
    seg: &Segment,
    start: u64,
    seq: &mut u32,
    out: &mut Vec<Vec<u8>>,
) {
    let chunk = cfg.payload_words() * 4;
    let n = seg.bytes.len().div_ceil(chunk);
    for (i, part) in seg.bytes.chunks(chunk).enumerate() {
        let last = i + 1 == n;
        let h = Header {
            flags: if i == 0 { FLAG_FIRST } else { 0 } | if last { FLAG_LAST } else { 0 },
            pad: if last { seg.pad } else { 0 },
            words: (part.len() / 4) as u16,
            seq: *seq,
            start: start as u32,
        };
        out.push(write_packet(&h, part));
        *seq = seq.wrapping_add(1);
    }
}

/// What encoding a stream into packets produced.
#[derive(Clone, Debug, Default)]
pub struct Packets {
    pub packets: Vec<Vec<u8>>,
    /// Coded bytes of all segments (payload, padding included).
    pub payload_bytes: u64,
    /// Bytes of all packets.
    pub link_bytes: u64,
    pub segments: u64,
}

/// Encodes interleaved samples (whole frames of `cfg.channels`) into packets.
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
    let mut seq = 0u32;
    let per = cfg.segment_samples() as usize;
    for (k, chunk) in samples.chunks(per).enumerate() {
        let seg = encode_segment(cfg, chunk);
        p.payload_bytes += seg.bytes.len() as u64;
        packetise_segment(cfg, &seg, (k * per) as u64, &mut seq, &mut p.packets);
        p.segments += 1;
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
    /// Valid packets that could not be used (after a gap in their segment, or a segment
    /// already delivered, or a start that is not a segment of this stream).
    pub packets_unused: u64,
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
    segment: u64,
    bytes: Vec<u8>,
    last_seq: u32,
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
    let nseg = cfg.segments(frames);
    let mut rx = Reception {
        samples: vec![LOST; total as usize],
        segments: nseg,
        ..Default::default()
    };
    let mut done = vec![false; nseg as usize];
    let mut cur: Option<Assembly> = None;
    // the last segment start seen, to unwrap the 32-bit start field
    let mut reference = 0u64;
    let seg_samples = cfg.segment_samples();
    for b in packets {
        let (h, payload) = match parse_packet(b) {
            Ok(x) => x,
            Err(_) => {
                rx.packets_refused += 1;
                continue;
            }
        };
        rx.packets_ok += 1;
        if h.first() {
            let delta = h.start.wrapping_sub(reference as u32) as i32 as i64;
            let start = reference as i64 + delta;
            if start < 0
                || !(start as u64).is_multiple_of(seg_samples)
                || start as u64 / seg_samples >= nseg
                || done[(start as u64 / seg_samples) as usize]
                || cur
                    .as_ref()
                    .is_some_and(|a| a.segment == start as u64 / seg_samples)
            {
                rx.packets_unused += 1;
                continue;
            }
            if let Some(a) = cur.take() {
                finish(cfg, frames, a, &mut rx, &mut done);
            }
            reference = start as u64;
            cur = Some(Assembly {
                segment: start as u64 / seg_samples,
                bytes: payload.to_vec(),
                last_seq: h.seq,
                pad: h.pad,
                complete: h.last(),
            });
        } else {
            match cur.as_mut() {
                // the same packet twice (a link that repeats): nothing new
                Some(a) if h.seq == a.last_seq && h.start == (a.segment * seg_samples) as u32 => {
                    rx.packets_unused += 1;
                    continue;
                }
                Some(a)
                    if h.seq == a.last_seq.wrapping_add(1)
                        && h.start == (a.segment * seg_samples) as u32 =>
                {
                    a.bytes.extend_from_slice(payload);
                    a.last_seq = h.seq;
                    a.pad = h.pad;
                    a.complete = h.last();
                }
                _ => {
                    rx.packets_unused += 1;
                    // a gap: the segment's prefix so far is all that can be decoded
                    if let Some(a) = cur.take() {
                        finish(cfg, frames, a, &mut rx, &mut done);
                    }
                    continue;
                }
            }
        }
        if cur.as_ref().is_some_and(|a| a.complete) {
            let a = cur.take().expect("checked");
            finish(cfg, frames, a, &mut rx, &mut done);
        }
    }
    if let Some(a) = cur.take() {
        finish(cfg, frames, a, &mut rx, &mut done);
    }
    rx.segments_lost = done.iter().filter(|d| !**d).count() as u64;
    Ok(rx)
}

/// Decodes an assembled segment into its place in `rx.samples`.
fn finish(cfg: &StreamConfig, frames: u64, a: Assembly, rx: &mut Reception, done: &mut [bool]) {
    let k = a.segment;
    done[k as usize] = true;
    let n = cfg.frames_of(k, frames);
    let mut data = a.bytes;
    if a.complete {
        data.truncate(data.len() - a.pad as usize);
    }
    let mut out = Vec::with_capacity((n as usize * cfg.channels).min(data.len() * 8));
    let r = decode_segment(cfg, n, &data, a.complete, &mut out);
    if a.complete && r.is_err() {
        rx.segments_inconsistent += 1;
        return;
    }
    if r.is_ok() {
        rx.segments_complete += 1;
    } else {
        rx.segments_partial += 1;
    }
    let at = (k * cfg.segment_samples()) as usize;
    rx.samples[at..at + out.len()].copy_from_slice(&out);
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
            seq: 0xDEAD_BEEF,
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
    }

    #[test]
    fn lossless_link_equals_the_samples_for_both_coders() {
        for coder in [Coder::Lite, Coder::Max] {
            for (c, frames, r, pb) in [(1, 5000, 1024, 1024), (7, 3001, 100, 64), (3, 10, 1, 20)] {
                let xs = walk(c, frames, 7);
                let cfg = StreamConfig {
                    segment_frames: r,
                    packet_bytes: pb,
                    ..StreamConfig::new(coder, c)
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
