//! The event-stream file (FORMAT.md §12.11): the stream descriptor (every parameter), the
//! frame count, then each segment's words as a record with its own CRC-32. `neurice compress
//! --coder events` writes it, `neurice decompress` and `neurice info` read it.

use super::code::{decode, encode, Features, Segment};
use super::params::{EventParams, DESCRIPTOR_BYTES};
use crate::Error;

/// Magic of the event-stream file.
pub const FILE_MAGIC: [u8; 4] = *b"NREF";
/// Version of the event-stream file.
pub const FILE_VERSION: u8 = 1;
/// Bytes of the file header: magic, version, reserved, descriptor, frames, segments, CRC.
pub const FILE_HEADER_BYTES: usize = 8 + DESCRIPTOR_BYTES + 8 + 4 + 4;
/// The most frames a file may declare (2^40: 1.8 years at 19.5 kHz): a bound for readers.
pub const MAX_FILE_FRAMES: u64 = 1 << 40;

/// An event stream as a file: the parameters, the stream's frames, its segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFile {
    pub params: EventParams,
    pub frames: u64,
    pub segments: Vec<Segment>,
}

/// Whether `head` (a file's first bytes) starts with the event-stream file's magic.
pub fn is_event_file(head: &[u8]) -> bool {
    head.starts_with(&FILE_MAGIC)
}

fn corrupt(m: String) -> Error {
    Error::Corrupt(format!("event-stream file: {m}"))
}

/// The most words a segment of `frames` frames can take under `p` (every channel an event
/// in every frame, a latency pad in every frame): a reader's bound before it allocates.
pub fn max_segment_words(p: &EventParams, frames: u32) -> u64 {
    let c = p.channels as u64;
    let per_frame = c * (p.channel_bits() as u64 + 1).max(1 + p.power_code_bits() as u64) + 1;
    (frames as u64 * (per_frame + 31)).div_ceil(32) + 1
}

impl EventFile {
    /// Codes `samples` (grid indices, `C` channels interleaved, whole frames) under `p`;
    /// also returns the features the encoder found (what a decoder must give back).
    pub fn encode(p: &EventParams, samples: &[u32]) -> Result<(EventFile, Features), Error> {
        p.validate()?;
        let c = p.channels as usize;
        if samples.is_empty() || !samples.len().is_multiple_of(c) {
            return Err(Error::BadParams(format!(
                "event mode: {} samples are not whole frames of {c} channels (and at least one)",
                samples.len()
            )));
        }
        let frames = (samples.len() / c) as u64;
        if frames > MAX_FILE_FRAMES {
            return Err(Error::BadParams(format!(
                "event mode: {frames} frames, more than a file holds ({MAX_FILE_FRAMES})"
            )));
        }
        let (segments, features) = encode(p, samples)?;
        Ok((
            EventFile {
                params: *p,
                frames,
                segments,
            },
            features,
        ))
    }

    /// The file's bytes (FORMAT.md §12.11).
    pub fn to_bytes(&self) -> Vec<u8> {
        let words: usize = self.segments.iter().map(|s| s.words.len()).sum();
        let mut b = Vec::with_capacity(FILE_HEADER_BYTES + 8 * self.segments.len() + 4 * words);
        b.extend_from_slice(&FILE_MAGIC);
        b.push(FILE_VERSION);
        b.extend_from_slice(&[0; 3]);
        b.extend_from_slice(&self.params.to_bytes());
        b.extend_from_slice(&self.frames.to_le_bytes());
        b.extend_from_slice(&(self.segments.len() as u32).to_le_bytes());
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        for s in &self.segments {
            let start = b.len();
            b.extend_from_slice(&(s.words.len() as u32).to_le_bytes());
            for w in &s.words {
                b.extend_from_slice(&w.to_le_bytes());
            }
            let crc = crc32fast::hash(&b[start..]);
            b.extend_from_slice(&crc.to_le_bytes());
        }
        b
    }

    /// Reads a file: the header (magic, version, reserved bytes, CRC, descriptor, a segment
    /// count that fits the frames), every record (its length within the bound and the file,
    /// its CRC) and nothing after the last. The segments' contents are checked by
    /// [`EventFile::decode`].
    pub fn from_bytes(b: &[u8]) -> Result<EventFile, Error> {
        if b.len() < FILE_HEADER_BYTES {
            if !is_event_file(b) {
                return Err(corrupt("too short for a header, and no NREF magic".into()));
            }
            return Err(corrupt(format!(
                "truncated header: {} bytes, the header is {FILE_HEADER_BYTES}",
                b.len()
            )));
        }
        if !is_event_file(b) {
            return Err(corrupt("bad magic (expected NREF)".into()));
        }
        if b[4] != FILE_VERSION {
            return Err(Error::UnsupportedVersion {
                found: b[4],
                supported: FILE_VERSION,
            });
        }
        let h = FILE_HEADER_BYTES - 4;
        let stored = u32::from_le_bytes(b[h..h + 4].try_into().unwrap());
        let computed = crc32fast::hash(&b[..h]);
        if stored != computed {
            return Err(Error::Checksum { stored, computed });
        }
        if b[5..8] != [0; 3] {
            return Err(corrupt("reserved header bytes are not zero".into()));
        }
        let params = EventParams::from_bytes(&b[8..8 + DESCRIPTOR_BYTES])?;
        let at = 8 + DESCRIPTOR_BYTES;
        let frames = u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
        let count = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as u64;
        if frames == 0 || frames > MAX_FILE_FRAMES {
            return Err(corrupt(format!(
                "{frames} frames (a file holds 1..={MAX_FILE_FRAMES})"
            )));
        }
        let r = params.segment_frames() as u64;
        if count != frames.div_ceil(r) {
            return Err(corrupt(format!(
                "{count} segments for {frames} frames of {r} per segment (expected {})",
                frames.div_ceil(r)
            )));
        }
        let mut pos = FILE_HEADER_BYTES;
        let mut segments = Vec::with_capacity(count.min(1 << 16) as usize);
        for k in 0..count {
            let first_frame = k * r;
            let n = (frames - first_frame).min(r) as u32;
            let rest = &b[pos..];
            if rest.len() < 8 {
                return Err(corrupt(format!(
                    "truncated: segment {k} of {count} is missing (the file ends at byte {})",
                    b.len()
                )));
            }
            let words = u32::from_le_bytes(rest[..4].try_into().unwrap()) as u64;
            if words > max_segment_words(&params, n) {
                return Err(corrupt(format!(
                    "segment {k}: {words} words, more than {n} frames can take"
                )));
            }
            let len = 4 + 4 * words as usize;
            if rest.len() < len + 4 {
                return Err(corrupt(format!(
                    "truncated: segment {k} of {count} needs {} bytes, {} are left",
                    len + 4,
                    rest.len()
                )));
            }
            let stored = u32::from_le_bytes(rest[len..len + 4].try_into().unwrap());
            let computed = crc32fast::hash(&rest[..len]);
            if stored != computed {
                return Err(corrupt(format!(
                    "segment {k}: checksum mismatch (stored {stored:#010x}, computed \
                     {computed:#010x})"
                )));
            }
            segments.push(Segment {
                first_frame,
                frames: n,
                words: rest[4..len]
                    .chunks_exact(4)
                    .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
                    .collect(),
            });
            pos += len + 4;
        }
        if pos != b.len() {
            return Err(corrupt(format!(
                "{} bytes after the last segment",
                b.len() - pos
            )));
        }
        Ok(EventFile {
            params,
            frames,
            segments,
        })
    }

    /// The features: every segment decoded (§12.6; a damaged segment is refused).
    pub fn decode(&self) -> Result<Features, Error> {
        decode(&self.params, self.frames, &self.segments)
    }

    /// Words over all segments.
    pub fn words(&self) -> usize {
        self.segments.iter().map(|s| s.words.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (EventFile, Features) {
        let p = EventParams {
            bin_frames: 40,
            segment_bins: 2,
            ..EventParams::new(3)
        };
        // a walk with a spike every 50 frames on channel 1, a rail on channel 2
        let x: Vec<u32> = (0..3 * 500)
            .map(|i| {
                let (t, c) = (i / 3, i % 3);
                match c {
                    0 => 512 + (t * 7 % 13) as u32,
                    1 if t % 50 == 10 => 300,
                    1 => 512 + (t * 5 % 11) as u32,
                    _ if t % 100 < 3 => 1023,
                    _ => 500 + (t * 3 % 17) as u32,
                }
            })
            .collect();
        EventFile::encode(&p, &x).unwrap()
    }

    #[test]
    fn a_file_round_trips() {
        let (f, want) = sample();
        let b = f.to_bytes();
        let g = EventFile::from_bytes(&b).unwrap();
        assert_eq!(g, f);
        let got = g.decode().unwrap();
        assert_eq!(got, want);
        assert!(!got.events.is_empty());
        assert_eq!(got.bins(), 12);
    }

    #[test]
    fn damage_is_refused() {
        let (f, _) = sample();
        let b = f.to_bytes();
        for n in [
            0,
            3,
            10,
            FILE_HEADER_BYTES - 1,
            FILE_HEADER_BYTES,
            b.len() - 1,
        ] {
            assert!(EventFile::from_bytes(&b[..n]).is_err(), "cut at {n}");
        }
        for i in (0..b.len()).step_by(7) {
            let mut c = b.clone();
            c[i] ^= 0x10;
            assert!(EventFile::from_bytes(&c).is_err(), "byte {i}");
        }
        let mut longer = b.clone();
        longer.push(0);
        assert!(EventFile::from_bytes(&longer).is_err());
    }
}
