//! WAV input and output: `hound` validates and describes the format; a small RIFF chunk walker
//! finds the exact byte range of the samples, so every other byte can be restored verbatim.

use std::io::Cursor;

use crate::Error;

/// A parsed 16-bit PCM WAV: its format, its samples and the bytes around them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wav {
    pub channels: u16,
    pub sample_rate: u32,
    /// Interleaved samples (frame by frame, channel by channel).
    pub samples: Vec<i16>,
    /// Every byte before the first sample (RIFF header, `fmt `, other chunks, `data` header).
    pub prefix: Vec<u8>,
    /// Every byte after the last sample (pad byte, chunks after `data`).
    pub suffix: Vec<u8>,
}

impl Wav {
    /// A WAV with the canonical 44-byte header and nothing after the samples.
    pub fn canonical(channels: u16, sample_rate: u32, samples: Vec<i16>) -> Result<Wav, Error> {
        let data_len = samples.len() as u64 * 2;
        if channels == 0
            || !samples.len().is_multiple_of(channels as usize)
            || data_len > u32::MAX as u64 - 36
        {
            return Err(Error::UnsupportedWav(format!(
                "{} samples do not make whole frames of {channels} channels within 4 GiB",
                samples.len()
            )));
        }
        Ok(Wav {
            channels,
            sample_rate,
            prefix: canonical_header(channels, sample_rate, data_len as u32).to_vec(),
            samples,
            suffix: Vec::new(),
        })
    }

    /// Frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels as usize
    }

    /// Whether the header is the canonical one for this format and length, with nothing after
    /// the data: then the container need not store it.
    pub fn is_canonical(&self) -> bool {
        self.suffix.is_empty()
            && self.prefix[..]
                == canonical_header(
                    self.channels,
                    self.sample_rate,
                    self.samples.len() as u32 * 2,
                )[..]
    }

    /// The file's bytes: prefix, samples (16-bit little-endian), suffix.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(self.prefix.len() + self.samples.len() * 2 + self.suffix.len());
        out.extend_from_slice(&self.prefix);
        for s in &self.samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out.extend_from_slice(&self.suffix);
        out
    }
}

/// The canonical 44-byte header of a 16-bit PCM WAV (see FORMAT.md).
pub fn canonical_header(channels: u16, sample_rate: u32, data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    let block_align = channels as u32 * 2;
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&data_len.wrapping_add(36).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes());
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&sample_rate.wrapping_mul(block_align).to_le_bytes());
    h[32..34].copy_from_slice(&(block_align as u16).to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Where the chunks that matter are in a RIFF/WAVE file.
struct Layout {
    /// Start of the `fmt ` chunk (its id) and its total length with the 8-byte chunk header.
    fmt: (usize, usize),
    /// Offset of the first sample and the data length in bytes.
    data: (usize, usize),
}

/// Walks the RIFF chunks (honouring pad bytes) to find `fmt ` and `data`.
fn find_chunks(bytes: &[u8]) -> Result<Layout, Error> {
    if bytes.len() < 12 {
        return Err(
            if bytes.starts_with(b"RIFF") || b"RIFF".starts_with(bytes) && !bytes.is_empty() {
                Error::TruncatedWav(format!("{} bytes, shorter than a RIFF header", bytes.len()))
            } else {
                Error::NotWav(format!("{} bytes, no RIFF header", bytes.len()))
            },
        );
    }
    if &bytes[0..4] == b"RF64" || &bytes[0..4] == b"RIFX" {
        return Err(Error::UnsupportedWav(format!(
            "{} container (only little-endian RIFF)",
            String::from_utf8_lossy(&bytes[0..4])
        )));
    }
    if &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(Error::NotWav("no RIFF/WAVE signature".into()));
    }
    let mut pos = 12usize;
    let mut fmt: Option<(usize, usize)> = None;
    loop {
        if pos + 8 > bytes.len() {
            return Err(Error::TruncatedWav(if fmt.is_some() {
                "no data chunk before the end of the file".into()
            } else {
                "no fmt chunk before the end of the file".into()
            }));
        }
        let id = &bytes[pos..pos + 4];
        let size = le32(bytes, pos + 4) as usize;
        let body = pos + 8;
        if id == b"data" {
            let Some(fmt) = fmt else {
                return Err(Error::NotWav("data chunk before the fmt chunk".into()));
            };
            if body + size > bytes.len() {
                return Err(Error::TruncatedWav(format!(
                    "data chunk declares {size} bytes but only {} follow",
                    bytes.len() - body
                )));
            }
            return Ok(Layout {
                fmt,
                data: (body, size),
            });
        }
        if id == b"fmt " && body + size <= bytes.len() {
            fmt = Some((pos, 8 + size));
        }
        let next = body + size + (size & 1);
        if next > bytes.len() {
            return Err(Error::TruncatedWav(format!(
                "chunk '{}' declares {size} bytes but the file ends first",
                String::from_utf8_lossy(id)
            )));
        }
        pos = next;
    }
}

/// Parses a WAV file. Only 16-bit integer PCM is accepted (any channel count); everything
/// else is refused with a message saying what the file is.
pub fn parse_wav(bytes: &[u8]) -> Result<Wav, Error> {
    let layout = find_chunks(bytes)?;
    let (start, len) = layout.data;
    // hound reads the format from a normalised header: RIFF, the file's own fmt chunk, and
    // the data chunk header (hound does not skip the pad byte of odd-sized chunks).
    let mut header = Vec::with_capacity(20 + layout.fmt.1 + 8);
    header.extend_from_slice(b"RIFF\0\0\0\0WAVE");
    header.extend_from_slice(&bytes[layout.fmt.0..layout.fmt.0 + layout.fmt.1]);
    header.extend_from_slice(&bytes[start - 8..start]);
    let riff_len = (header.len() - 8 + len) as u32;
    header[4..8].copy_from_slice(&riff_len.to_le_bytes());
    let reader = hound::WavReader::new(Cursor::new(header)).map_err(|e| match e {
        hound::Error::Unsupported => Error::UnsupportedWav("format not supported by hound".into()),
        hound::Error::FormatError(m) => Error::NotWav(m.to_string()),
        hound::Error::IoError(e) => Error::TruncatedWav(e.to_string()),
        other => Error::UnsupportedWav(other.to_string()),
    })?;
    let spec = reader.spec();
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => {}
        (hound::SampleFormat::Int, b) => {
            return Err(Error::UnsupportedWav(format!(
                "{b}-bit integer PCM; neurice codes 16-bit PCM (convert with e.g. `sox in.wav -b 16 out.wav`)"
            )))
        }
        (hound::SampleFormat::Float, b) => {
            return Err(Error::UnsupportedWav(format!(
                "{b}-bit floating-point samples; neurice codes 16-bit integer PCM"
            )))
        }
    }
    let frame = spec.channels as usize * 2;
    if spec.channels == 0 {
        return Err(Error::UnsupportedWav("zero channels".into()));
    }
    if !len.is_multiple_of(frame) {
        return Err(Error::TruncatedWav(format!(
            "data chunk of {len} bytes is not a whole number of {frame}-byte frames"
        )));
    }
    if reader.len() as usize != len / 2 {
        return Err(Error::NotWav(format!(
            "hound counts {} samples, the data chunk holds {}",
            reader.len(),
            len / 2
        )));
    }
    let samples = bytes[start..start + len]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(Wav {
        channels: spec.channels,
        sample_rate: spec.sample_rate,
        samples,
        prefix: bytes[..start].to_vec(),
        suffix: bytes[start + len..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_header_is_what_hound_writes() {
        let mut buf = Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 19531,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
        for s in [1i16, -2, 300] {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
        let bytes = buf.into_inner();
        let wav = parse_wav(&bytes).unwrap();
        assert_eq!(wav.samples, [1, -2, 300]);
        assert!(wav.is_canonical());
        assert_eq!(wav.to_bytes(), bytes);
    }
}
