//! WAV input and output: a small RIFF chunk walker finds the `fmt ` chunk (the format, checked
//! here in the user's terms) and the exact byte range of the samples, so every other byte can
//! be restored verbatim.
//!
//! The walker works on a prefix of the file ([`scan`]): a reader can feed it the first bytes,
//! learn how many it needs next, and refuse a file that is not a WAV (or declares more than the
//! file holds) before reading the rest.

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

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A chunk id as a user can read it: printable ASCII as is, other bytes as `\xNN`.
fn fourcc(id: &[u8]) -> String {
    id.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                (c as char).to_string()
            } else {
                format!("\\x{c:02x}")
            }
        })
        .collect()
}

/// RIFF chunk ids are four printable ASCII characters.
fn plausible_id(id: &[u8]) -> bool {
    id.iter().all(|c| (0x20..0x7f).contains(c))
}

/// The format of a WAV file as its `fmt ` chunk declares it (only 16-bit integer PCM passes
/// [`scan`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub channels: u16,
    pub sample_rate: u32,
}

/// Where the chunks that matter are in a RIFF/WAVE file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub format: Format,
    /// Offset of the first sample.
    pub data_start: usize,
    /// Length of the samples in bytes (the `data` chunk's size).
    pub data_len: usize,
}

/// What [`scan`] found in a prefix of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// The first `n` bytes of the file are needed to go on (more than the prefix holds).
    NeedBytes(usize),
    /// The format is 16-bit PCM and the samples are at this place (the prefix may end before
    /// or after them).
    Found(Layout),
}

const WAVE_FORMAT_PCM: u16 = 1;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 3;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

fn format_name(tag: u16) -> &'static str {
    match tag {
        0 => "format tag 0, which names no format",
        2 => "Microsoft ADPCM",
        6 => "A-law",
        7 => "µ-law",
        0x11 => "IMA ADPCM",
        0x31 => "GSM 6.10",
        0x50 => "MPEG audio",
        0x55 => "MP3",
        _ => "a compressed or unknown format",
    }
}

/// Checks a `fmt ` chunk body: 16-bit integer PCM (plain or WAVE_FORMAT_EXTENSIBLE), at least
/// one channel, a block align of 2 bytes per channel.
fn check_fmt(f: &[u8]) -> Result<Format, Error> {
    if f.len() < 16 {
        return Err(Error::NotWav(format!(
            "the fmt chunk holds {} bytes, fewer than the 16 every WAV format needs",
            f.len()
        )));
    }
    let mut tag = le16(f, 0);
    let channels = le16(f, 2);
    let sample_rate = le32(f, 4);
    let block_align = le16(f, 12);
    let bits = le16(f, 14);
    let mut valid_bits = bits;
    if tag == WAVE_FORMAT_EXTENSIBLE {
        if f.len() < 40 {
            return Err(Error::NotWav(format!(
                "the fmt chunk says WAVE_FORMAT_EXTENSIBLE but holds {} bytes, fewer than its 40",
                f.len()
            )));
        }
        valid_bits = le16(f, 18);
        tag = le16(f, 24); // the sub-format GUID starts with the format tag
    }
    match tag {
        WAVE_FORMAT_PCM => {}
        WAVE_FORMAT_IEEE_FLOAT => {
            return Err(Error::UnsupportedWav(format!(
                "{bits}-bit floating-point samples; neurice codes 16-bit integer PCM"
            )))
        }
        t => {
            return Err(Error::UnsupportedWav(format!(
                "the samples are coded as {} (format tag {t:#06x}); neurice codes 16-bit integer PCM (tag 1)",
                format_name(t)
            )))
        }
    }
    if bits != 16 {
        return Err(Error::UnsupportedWav(format!(
            "{bits}-bit integer PCM; neurice codes 16-bit PCM (convert with e.g. `sox in.wav -b 16 out.wav`)"
        )));
    }
    if valid_bits == 0 || valid_bits > 16 {
        return Err(Error::UnsupportedWav(format!(
            "the extensible header declares {valid_bits} valid bits in 16-bit samples"
        )));
    }
    if channels == 0 {
        return Err(Error::UnsupportedWav(
            "the WAV header declares 0 channels".into(),
        ));
    }
    let frame = channels as u32 * 2;
    if block_align as u32 != frame {
        return Err(Error::UnsupportedWav(format!(
            "the WAV header declares {channels} channel(s) of 16-bit samples, which take {frame} bytes per frame, but a block align of {block_align} bytes"
        )));
    }
    Ok(Format {
        channels,
        sample_rate,
    })
}

/// Walks the RIFF chunks of `bytes`, the first bytes of a file of `total` bytes (`None`: the
/// length is not known, as for a pipe), to the `data` chunk, checking the format on the way.
/// Returns how many bytes it needs when the prefix is too short, so a reader can refuse a file
/// that is not a 16-bit PCM WAV, or that declares more bytes than it holds, after reading only
/// its header. With `total` known, `bytes` may be the whole file or a prefix of it.
pub fn scan(bytes: &[u8], total: Option<u64>) -> Result<Scan, Error> {
    let avail = bytes.len();
    // `n` bytes from the start are beyond the end of the file (known only with `total`)
    let beyond = |n: usize| total.is_some_and(|t| n as u64 > t);
    if avail < 12 {
        let more_to_come = match total {
            Some(t) => t > avail as u64,
            None => true,
        };
        // ask for the header even when the file is shorter (the reader stops at its end), so
        // that the error counts the bytes the file has, not the bytes read so far
        if more_to_come {
            return Ok(Scan::NeedBytes(12));
        }
        return Err(
            if bytes.starts_with(b"RIFF") || b"RIFF".starts_with(bytes) && !bytes.is_empty() {
                Error::TruncatedWav(format!("{avail} bytes, shorter than a RIFF header"))
            } else {
                Error::NotWav(format!("{avail} bytes, no RIFF header"))
            },
        );
    }
    if &bytes[0..4] == b"RF64" || &bytes[0..4] == b"RIFX" {
        return Err(Error::UnsupportedWav(format!(
            "{} container (only little-endian RIFF)",
            fourcc(&bytes[0..4])
        )));
    }
    if &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(Error::NotWav("no RIFF/WAVE signature".into()));
    }
    let mut pos = 12usize;
    let mut fmt: Option<Format> = None;
    // the previous chunk, when its size was odd (its pad byte is skipped)
    let mut odd: Option<(String, usize)> = None;
    loop {
        if pos + 8 > avail {
            if beyond(pos + 8) {
                return Err(Error::TruncatedWav(if fmt.is_some() {
                    "no data chunk before the end of the file".into()
                } else {
                    "no fmt chunk before the end of the file".into()
                }));
            }
            return Ok(Scan::NeedBytes(pos + 8));
        }
        let id = &bytes[pos..pos + 4];
        if let Some((prev, size)) = &odd {
            let shifted = &bytes[pos - 1..pos + 3];
            if plausible_id(shifted) && (!plausible_id(id) || shifted == b"data") {
                return Err(Error::NotWav(format!(
                    "the '{prev}' chunk has an odd size ({size} bytes) but is not followed by the pad byte RIFF requires (the next chunk starts one byte early)"
                )));
            }
        }
        if !plausible_id(id) {
            return Err(Error::NotWav(format!(
                "bytes {pos}..{} should be a chunk id but are '{}' (chunk ids are text): the file is damaged or not a WAV",
                pos + 4,
                fourcc(id)
            )));
        }
        let size = le32(bytes, pos + 4) as usize;
        let body = pos + 8;
        if id == b"data" {
            let Some(format) = fmt else {
                return Err(Error::NotWav("data chunk before the fmt chunk".into()));
            };
            if beyond(body + size) {
                return Err(Error::TruncatedWav(format!(
                    "the data chunk declares {size} bytes but only {} follow",
                    total.unwrap_or(0).saturating_sub(body as u64)
                )));
            }
            let frame = format.channels as usize * 2;
            if !size.is_multiple_of(frame) {
                return Err(Error::TruncatedWav(format!(
                    "the data chunk of {size} bytes is not a whole number of {frame}-byte frames"
                )));
            }
            return Ok(Scan::Found(Layout {
                format,
                data_start: body,
                data_len: size,
            }));
        }
        let next = body + size + (size & 1);
        if beyond(body + size) {
            return Err(Error::TruncatedWav(format!(
                "the '{}' chunk declares {size} bytes but the file ends {} bytes after its start",
                fourcc(id),
                total.unwrap_or(0).saturating_sub(body as u64)
            )));
        }
        if id == b"fmt " {
            if body + size > avail {
                return Ok(Scan::NeedBytes(body + size));
            }
            fmt = Some(check_fmt(&bytes[body..body + size])?);
        }
        odd = (size & 1 == 1).then(|| (fourcc(id), size));
        if beyond(next) {
            // an odd chunk at the very end without its pad byte
            return Err(Error::TruncatedWav(format!(
                "the '{}' chunk has an odd size ({size} bytes) and the file ends before its pad byte",
                fourcc(id)
            )));
        }
        pos = next;
    }
}

/// Parses a WAV file. Only 16-bit integer PCM is accepted (any channel count); everything
/// else is refused with a message saying what the file is.
pub fn parse_wav(bytes: &[u8]) -> Result<Wav, Error> {
    parse_wav_ref(bytes).map(|w| w.to_wav())
}

/// A parsed WAV that borrows its file's bytes: [`Wav`] without copying the samples (the
/// single-stream compressor codes them straight from the bytes, issue 29).
#[derive(Clone, Copy, Debug)]
pub struct WavRef<'a> {
    pub channels: u16,
    pub sample_rate: u32,
    /// The samples' bytes (16-bit little-endian, interleaved).
    pub data: &'a [u8],
    /// Every byte before the first sample.
    pub prefix: &'a [u8],
    /// Every byte after the last sample.
    pub suffix: &'a [u8],
}

impl<'a> WavRef<'a> {
    /// The samples, read from the bytes.
    pub fn samples(&self) -> impl ExactSizeIterator<Item = i16> + Clone + 'a {
        self.data
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
    }

    /// The number of samples (all channels).
    pub fn len(&self) -> usize {
        self.data.len() / 2
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.len() / self.channels as usize
    }

    /// [`Wav::is_canonical`].
    pub fn is_canonical(&self) -> bool {
        self.suffix.is_empty()
            && self.prefix[..]
                == canonical_header(self.channels, self.sample_rate, self.len() as u32 * 2)[..]
    }

    /// The same WAV with its samples copied out.
    pub fn to_wav(&self) -> Wav {
        self.with_samples(self.samples().collect())
    }

    /// This WAV's header and trailer around other `samples`.
    pub fn with_samples(&self, samples: Vec<i16>) -> Wav {
        Wav {
            channels: self.channels,
            sample_rate: self.sample_rate,
            samples,
            prefix: self.prefix.to_vec(),
            suffix: self.suffix.to_vec(),
        }
    }
}

/// [`parse_wav`] without copying: the same checks and errors, the samples left in `bytes`.
pub fn parse_wav_ref(bytes: &[u8]) -> Result<WavRef<'_>, Error> {
    let layout = match scan(bytes, Some(bytes.len() as u64))? {
        Scan::Found(l) => l,
        Scan::NeedBytes(n) => unreachable!("scan needs {n} of {} bytes", bytes.len()),
    };
    let (start, len) = (layout.data_start, layout.data_len);
    Ok(WavRef {
        channels: layout.format.channels,
        sample_rate: layout.format.sample_rate,
        data: &bytes[start..start + len],
        prefix: &bytes[..start],
        suffix: &bytes[start + len..],
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_header_is_what_hound_writes() {
        let mut buf = std::io::Cursor::new(Vec::new());
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
