//! The event stream in packets (FORMAT.md §12.8): each segment's words cut into the packets
//! of §9.3 (sync, flags, length, sequence number, part, the segment's first stream sample,
//! CRC-32), and a receiver that decodes what arrived intact and reports the frames it lost.

use super::code::{decode_segment, DecodedSegment, Features, Segment, LOST_CODE};
use super::params::EventParams;
use crate::packet::{parse_packet, write_packet, Header, FLAG_FIRST, FLAG_LAST};
use crate::Error;

/// The packets of segments (in order), with sequence numbers from 0.
pub fn packetise(p: &EventParams, segments: &[Segment]) -> Result<Vec<Vec<u8>>, Error> {
    p.validate()?;
    let per = p.payload_words();
    let mut out = Vec::new();
    let mut seq = 0u16;
    for s in segments {
        let start = (s.first_frame * p.channels as u64) as u32;
        let n = s.words.len().div_ceil(per);
        for (i, chunk) in s.words.chunks(per).enumerate() {
            let h = Header {
                flags: if i == 0 { FLAG_FIRST } else { 0 } | if i + 1 == n { FLAG_LAST } else { 0 },
                pad: 0,
                words: chunk.len() as u16,
                seq,
                part: i as u16,
                sub: 0,
                start,
            };
            let bytes: Vec<u8> = chunk.iter().flat_map(|w| w.to_be_bytes()).collect();
            out.push(write_packet(&h, &bytes));
            seq = seq.wrapping_add(1);
        }
    }
    Ok(out)
}

/// Bytes on the link for segments: payload and 16 bytes of header and CRC per packet.
pub fn link_bytes(p: &EventParams, segments: &[Segment]) -> u64 {
    let per = p.payload_words();
    segments
        .iter()
        .map(|s| {
            (s.words.len() * 4 + s.words.len().div_ceil(per) * crate::packet::OVERHEAD_BYTES) as u64
        })
        .sum()
}

/// What the receiver made of the packets.
#[derive(Clone, Debug, Default)]
pub struct Reception {
    /// Events of the frames received; power codes with [`LOST_CODE`] for lost bins.
    pub features: Features,
    /// Frames whose events were not received (`[first, end)` ranges, in order).
    pub lost_frames: Vec<(u64, u64)>,
    pub packets_ok: u64,
    pub packets_refused: u64,
    pub packets_unused: u64,
    pub segments_complete: u64,
    pub segments_partial: u64,
    pub segments_lost: u64,
}

struct Assembly {
    k: u64,
    words: Vec<u32>,
    last_part: u16,
    complete: bool,
}

/// Receives packets (in arrival order) of a stream of `frames` frames and decodes every
/// frame their intact prefixes determine; every other frame is reported lost.
pub fn depacketise<'a, I>(p: &EventParams, frames: u64, packets: I) -> Result<Reception, Error>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    p.validate()?;
    let r = p.segment_frames() as u64;
    let c = p.channels as u64;
    let segs = frames.div_ceil(r);
    let bins = frames / p.bin_frames as u64;
    let mut rx = Reception::default();
    let mut done = vec![false; segs as usize];
    let mut decoded: Vec<Option<DecodedSegment>> = vec![None; segs as usize];
    let mut open: Option<Assembly> = None;
    let mut reference = 0u64;
    let per = r * c;
    let finish = |a: Assembly, decoded: &mut Vec<_>, rx: &mut Reception| {
        let first = a.k * r;
        let n = (frames - first).min(r) as u32;
        match decode_segment(p, first, n, &a.words, a.complete) {
            Ok(d) => {
                if a.complete {
                    rx.segments_complete += 1;
                } else {
                    rx.segments_partial += 1;
                }
                decoded[a.k as usize] = Some(d);
            }
            // only a CRC collision or an encoder bug: the segment delivers nothing
            Err(_) => rx.segments_partial += 1,
        }
    };
    for b in packets {
        let Ok((h, payload)) = parse_packet(b, 1) else {
            rx.packets_refused += 1;
            continue;
        };
        rx.packets_ok += 1;
        let delta = h.start.wrapping_sub(reference as u32) as i32 as i64;
        let start = reference as i64 + delta;
        if start < 0 || start % per as i64 != 0 || (start / per as i64) as u64 >= segs {
            rx.packets_unused += 1;
            continue;
        }
        let k = (start / per as i64) as u64;
        let words: Vec<u32> = payload
            .chunks_exact(4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        if h.first() {
            if done[k as usize] {
                rx.packets_unused += 1;
                continue;
            }
            if let Some(a) = open.take() {
                finish(a, &mut decoded, &mut rx);
            }
            done[k as usize] = true;
            reference = start as u64;
            open = Some(Assembly {
                k,
                words,
                last_part: 0,
                complete: h.last(),
            });
        } else {
            match open.as_mut() {
                Some(a) if a.k == k && h.part == a.last_part.wrapping_add(1) => {
                    a.words.extend_from_slice(&words);
                    a.last_part = h.part;
                    a.complete = h.last();
                }
                _ => {
                    rx.packets_unused += 1;
                    if let Some(a) = open.take() {
                        if a.k <= k {
                            finish(a, &mut decoded, &mut rx);
                        } else {
                            open = Some(a);
                        }
                    }
                    continue;
                }
            }
        }
        if open.as_ref().is_some_and(|a| a.complete) {
            let a = open.take().expect("checked");
            finish(a, &mut decoded, &mut rx);
        }
    }
    if let Some(a) = open.take() {
        finish(a, &mut decoded, &mut rx);
    }
    let mut f = Features {
        channels: p.channels,
        frames,
        power: vec![LOST_CODE; (bins * c) as usize],
        ..Default::default()
    };
    for (k, d) in decoded.into_iter().enumerate() {
        let first = k as u64 * r;
        let n = (frames - first).min(r);
        let got = match d {
            Some(d) => {
                f.events.extend(d.events);
                for (b, ch, code) in d.power {
                    f.power[(b * c + ch as u64) as usize] = code;
                }
                d.frames as u64
            }
            None => {
                rx.segments_lost += 1;
                0
            }
        };
        if got < n {
            match rx.lost_frames.last_mut() {
                Some(l) if l.1 == first + got => l.1 = first + n,
                _ => rx.lost_frames.push((first + got, first + n)),
            }
        }
    }
    rx.features = f;
    Ok(rx)
}
