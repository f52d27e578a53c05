//! The `.nrc` container: header, exceptions, payload and checksum. Byte layout in FORMAT.md.

use crate::coder::{decode_all, encode_all};
use crate::grid::{grid_value, index_table, OFF_GRID};
use crate::v2::{self, V2Params};
use crate::wav::{canonical_header, parse_wav, Wav};
use crate::Coder;
use crate::{CodecParams, Error};

/// File signature.
pub const MAGIC: [u8; 4] = *b"NRIC";
/// The container version of coder v1 (`lite`); this build writes and reads it unchanged.
pub const VERSION: u8 = 1;
/// The container version of coder v2 (`max`): parameters of v2, payload in blocks.
pub const VERSION_V2: u8 = 2;
/// Flag: the WAV header is canonical and regenerated, not stored.
pub const FLAG_CANONICAL: u8 = 1 << 0;
/// Flag: raw mode (16-bit samples) instead of grid mode (10-bit indices).
pub const FLAG_RAW16: u8 = 1 << 1;
const KNOWN_FLAGS: u8 = FLAG_CANONICAL | FLAG_RAW16;
pub use crate::stream::{FLAG_LITE, FLAG_STREAM};

/// How the samples were coded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 10-bit grid indices (the hardware's input), off-grid samples as exceptions.
    Grid10,
    /// Full 16-bit samples.
    Raw16,
}

/// What compressing one file produced, beyond the bytes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CompressStats {
    /// The coder that produced the stream.
    pub coder: Coder,
    pub mode: Mode,
    pub channels: u16,
    pub samples: u64,
    pub wav_bytes: u64,
    pub nrc_bytes: u64,
    pub payload_bits: u64,
    pub exceptions: u64,
    pub escapes: u64,
    /// Samples coded with each code index `s` (`m` = 1, 2, 3, 4, 6, 8, …).
    pub s_histogram: Vec<u64>,
}

/// The samples as the coder sees them (grid indices or raw 16-bit patterns) plus exceptions.
struct Coded {
    params: CodecParams,
    words: Vec<u32>,
    bits: u64,
    exceptions: Vec<(u32, i16)>,
    escapes: u64,
    s_histogram: Vec<u64>,
}

fn code(
    params: CodecParams,
    channels: usize,
    values: &[u32],
    exceptions: Vec<(u32, i16)>,
) -> Result<Coded, Error> {
    let (words, bits, enc) = encode_all(&params, channels, values)?;
    Ok(Coded {
        params,
        words,
        bits,
        exceptions,
        escapes: enc.escapes,
        s_histogram: enc.s_histogram,
    })
}

fn coded_size(c: &Coded) -> u64 {
    c.bits.div_ceil(8) + 6 * c.exceptions.len() as u64
}

/// Maps 16-bit samples to grid indices; off-grid samples become (position, value) exceptions
/// coded as their nearest level.
pub fn to_grid(samples: &[i16]) -> (Vec<u32>, Vec<(u32, i16)>) {
    let table = index_table();
    let mut exceptions = Vec::new();
    let idx = samples
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let e = table[v as u16 as usize];
            if e & OFF_GRID != 0 {
                exceptions.push((i as u32, v));
            }
            (e & !OFF_GRID) as u32
        })
        .collect();
    (idx, exceptions)
}

/// Compresses a WAV file's bytes into a `.nrc` stream with coder v1 (`lite`, container version 1).
pub fn compress_wav(wav_bytes: &[u8]) -> Result<(Vec<u8>, CompressStats), Error> {
    compress_wav_with(wav_bytes, Coder::Lite)
}

/// Compresses a WAV file's bytes into a `.nrc` stream with the chosen coder (its default
/// parameters: [`CodecParams::HARDWARE`] / [`V2Params::HARDWARE`]).
pub fn compress_wav_with(
    wav_bytes: &[u8],
    coder: Coder,
) -> Result<(Vec<u8>, CompressStats), Error> {
    let mut out = Vec::new();
    let stats = crate::stream::compress_stream(
        &mut &wav_bytes[..],
        Some(wav_bytes.len() as u64),
        &mut out,
        coder,
        0,
    )?;
    Ok((out, stats))
}

/// The single-stream layouts (§4, §7.7) of a whole WAV in memory, whatever its length (what
/// [`compress_wav_with`] writes for inputs of at most `stream::BLOCK_SAMPLES` samples; for
/// measurements of the block cost beyond that).
pub fn compress_single(wav_bytes: &[u8], coder: Coder) -> Result<(Vec<u8>, CompressStats), Error> {
    match coder {
        Coder::Lite => compress_v1(wav_bytes),
        Coder::Max => compress_v2(wav_bytes, &V2Params::HARDWARE),
    }
}

fn compress_v1(wav_bytes: &[u8]) -> Result<(Vec<u8>, CompressStats), Error> {
    let wav = parse_wav(wav_bytes)?;
    let channels = wav.channels as usize;
    let (grid, exceptions) = to_grid(&wav.samples);
    let mut best = code(CodecParams::HARDWARE, channels, &grid, exceptions)?;
    if !best.exceptions.is_empty() {
        let raw: Vec<u32> = wav.samples.iter().map(|&v| v as u16 as u32).collect();
        let alt = code(CodecParams::RAW16, channels, &raw, Vec::new())?;
        if coded_size(&alt) < coded_size(&best) {
            best = alt;
        }
    }
    let canonical = wav.is_canonical();
    let mode = if best.params.sample_bits == 16 {
        Mode::Raw16
    } else {
        Mode::Grid10
    };
    let mut out = Vec::with_capacity(64 + best.words.len() * 4);
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(
        if canonical { FLAG_CANONICAL } else { 0 }
            | if mode == Mode::Raw16 { FLAG_RAW16 } else { 0 },
    );
    let p = best.params;
    for v in [p.sample_bits, p.qmax, p.window_log2, p.thr_num, p.thr_shift] {
        out.push(v as u8);
    }
    out.extend_from_slice(&wav.channels.to_le_bytes());
    out.extend_from_slice(&wav.sample_rate.to_le_bytes());
    out.extend_from_slice(&(wav.frames() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(wav_bytes).to_le_bytes());
    if !canonical {
        for part in [&wav.prefix, &wav.suffix] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out.extend_from_slice(&(best.exceptions.len() as u32).to_le_bytes());
    for (pos, v) in &best.exceptions {
        out.extend_from_slice(&pos.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&best.bits.to_le_bytes());
    let payload_bytes = best.bits.div_ceil(8) as usize;
    let payload: Vec<u8> = best
        .words
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .take(payload_bytes)
        .collect();
    out.extend_from_slice(&payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    let stats = CompressStats {
        coder: Coder::Lite,
        mode,
        channels: wav.channels,
        samples: wav.samples.len() as u64,
        wav_bytes: wav_bytes.len() as u64,
        nrc_bytes: out.len() as u64,
        payload_bits: best.bits,
        exceptions: best.exceptions.len() as u64,
        escapes: best.escapes,
        s_histogram: best.s_histogram,
    };
    Ok((out, stats))
}

/// A cursor over the container bytes that turns running out into a clear error.
pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        if self.b.len() - self.pos < n {
            return Err(Error::Corrupt(format!("stream ends inside the {what}")));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, Error> {
        let s = self.take(2, what)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, Error> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64, Error> {
        let s = self.take(8, what)?;
        Ok(u64::from_le_bytes(s.try_into().expect("8 bytes")))
    }
}

/// The header of a `.nrc` stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Container version (1: coder v1 `lite`; 2: coder v2 `max`).
    pub version: u8,
    /// The coder of the payload.
    pub coder: Coder,
    pub flags: u8,
    /// v1's parameters, or the Golomb side of v2's.
    pub params: CodecParams,
    /// v2's parameters (version 2 only).
    pub v2: Option<V2Params>,
    pub channels: u16,
    pub sample_rate: u32,
    pub frames: u32,
    pub wav_crc: u32,
}

/// Bytes of the fixed header of a version-1 stream: magic, version, flags, five parameters,
/// channels, sample rate, frames and the WAV's CRC-32.
pub const HEADER_BYTES: usize = 25;

/// Bytes of the longest fixed header (version 2 with the most LMS taps): what a reader of a
/// stream of unknown length reads before [`check_header`].
pub const MAX_HEADER_BYTES: usize = 6 + 11 + 3 * v2::MAX_TAPS + 4 + 14;

/// Checks the magic and the version, the first bytes of a stream: what a reader can check
/// before reading the rest.
pub fn check_signature(nrc: &[u8]) -> Result<(), Error> {
    if nrc.len() < 4 || nrc[..4] != MAGIC {
        return Err(if MAGIC.starts_with(nrc) && !nrc.is_empty() {
            Error::Corrupt("stream ends inside the magic".into())
        } else {
            Error::NotNrc
        });
    }
    if nrc.len() < 5 {
        return Err(Error::Corrupt("stream ends before the version".into()));
    }
    if nrc[4] != VERSION && nrc[4] != VERSION_V2 {
        return Err(Error::UnsupportedVersion {
            found: nrc[4],
            supported: VERSION_V2,
        });
    }
    Ok(())
}

/// Checks magic, version and checksum; returns the body (everything before the checksum).
fn verified_body(nrc: &[u8]) -> Result<&[u8], Error> {
    check_signature(nrc)?;
    if nrc.len() < 9 {
        return Err(Error::Corrupt(
            "stream too short for a header and checksum".into(),
        ));
    }
    let (body, tail) = nrc.split_at(nrc.len() - 4);
    let stored = u32::from_le_bytes(tail.try_into().expect("4 bytes"));
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(Error::Checksum { stored, computed });
    }
    Ok(body)
}

impl Header {
    /// Samples in the stream (frames × channels).
    pub fn samples(&self) -> u64 {
        self.frames as u64 * self.channels as u64
    }

    /// An upper bound on the length of any valid stream with this header (stored WAV header
    /// and trailer at their 4 GiB maximum): what a reader of a stream of unknown length may
    /// read at most.
    pub fn max_stream_bytes(&self) -> u64 {
        let count = self.samples();
        let payload = match &self.v2 {
            // v1: the payload length is a bit count bounded by the longest code
            None => 8 + (count * self.params.max_code_bits() as u64).div_ceil(8),
            // v2: per block 12 header bytes and a 5-byte coder flush; a context-coded bin
            // costs at most 12 bits (12-bit probabilities), plain bits one each
            Some(_) => {
                let bins = (self.params.qmax + 2) as u64 * 12 + self.params.max_code_bits() as u64;
                4 + 17 * self.frames as u64 + (count * bins).div_ceil(8)
            }
        };
        MAX_HEADER_BYTES as u64 + 2 * (4 + u32::MAX as u64) + 4 + 6 * count + payload + 4
    }
}

/// Parses and checks the fixed header at the start of `r` (magic and version already
/// checked): known flags, valid parameters matching the mode, at least one channel, a sample
/// count a WAV can hold. The one header check of the decoder and of [`read_header`].
fn parse_header(r: &mut Reader) -> Result<Header, Error> {
    r.pos = 4;
    let version = r.u8("version")?;
    let flags = r.u8("flags")?;
    let known = if version == VERSION_V2 {
        KNOWN_FLAGS | FLAG_LITE | FLAG_STREAM
    } else {
        KNOWN_FLAGS
    };
    if flags & !known != 0 {
        return Err(Error::Corrupt(format!("unknown flags {flags:#04x}")));
    }
    if flags & FLAG_LITE != 0 && flags & FLAG_STREAM == 0 {
        return Err(Error::Corrupt(
            "the LITE flag without the STREAM flag".into(),
        ));
    }
    if flags & FLAG_STREAM != 0 && flags & FLAG_RAW16 != 0 {
        return Err(Error::Corrupt(
            "the RAW16 flag in a streamed container (its blocks say their mode)".into(),
        ));
    }
    let (params, v2) = if version == VERSION_V2 && flags & FLAG_LITE == 0 {
        let p = read_v2_params(r)?;
        p.validate().map_err(|e| Error::Corrupt(e.to_string()))?;
        (p.golomb, Some(p))
    } else {
        let p = read_v1_params(r)?;
        p.validate().map_err(|e| Error::Corrupt(e.to_string()))?;
        if flags & FLAG_LITE != 0 {
            r.u32("parameters")?; // block frames, checked by the stream decoder
        }
        (p, None)
    };
    let raw = flags & FLAG_RAW16 != 0;
    if params.sample_bits != if raw { 16 } else { 10 } {
        return Err(Error::Corrupt(format!(
            "sample_bits {} does not match the {} mode",
            params.sample_bits,
            if raw { "raw16" } else { "grid10" }
        )));
    }
    let h = Header {
        version,
        coder: if v2.is_some() {
            Coder::Max
        } else {
            Coder::Lite
        },
        flags,
        params,
        v2,
        channels: r.u16("header")?,
        sample_rate: r.u32("header")?,
        frames: r.u32("header")?,
        wav_crc: r.u32("header")?,
    };
    if h.channels == 0 {
        return Err(Error::Corrupt("zero channels".into()));
    }
    if h.samples() * 2 > u32::MAX as u64 {
        return Err(Error::Corrupt(format!(
            "{} channel(s) x {} frames are too many samples for a WAV (4 GiB)",
            h.channels, h.frames
        )));
    }
    Ok(h)
}

/// Checks the fixed header at the start of a stream (a prefix of at least the header's
/// length, [`MAX_HEADER_BYTES`] covers every version; checksum not verified): what a reader
/// of a stream of unknown length can check first.
pub fn check_header(prefix: &[u8]) -> Result<Header, Error> {
    check_signature(prefix)?;
    parse_header(&mut Reader { b: prefix, pos: 5 })
}

/// The coded samples of a stream: v1's bit-counted payload, or v2's blocks (frames, bytes).
enum Payload<'a> {
    V1 { data: &'a [u8], bits: u64 },
    V2 { blocks: Vec<(u32, &'a [u8])> },
}

/// The parts of a stream, checked for everything but the payload's decoding.
struct Parsed<'a> {
    header: Header,
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    exceptions: Vec<(u32, i16)>,
    payload: Payload<'a>,
}

/// v2's blocks (FORMAT.md §7.7): count, then per block frames, byte length, CRC-32, bytes;
/// each block's CRC checked, the frames adding up to the header's.
fn parse_blocks<'a>(
    r: &mut Reader<'a>,
    p: &V2Params,
    frames: u32,
) -> Result<Vec<(u32, &'a [u8])>, Error> {
    let body_len = r.b.len();
    let n_blocks = r.u32("block count")? as usize;
    if n_blocks as u64 * 12 > (body_len - r.pos) as u64 {
        return Err(Error::Corrupt(format!(
            "{n_blocks} blocks do not fit in the rest of the stream"
        )));
    }
    let mut blocks = Vec::with_capacity(n_blocks);
    let mut total_frames = 0u64;
    for i in 0..n_blocks {
        let bf = r.u32("block header")?;
        let len = r.u32("block header")? as usize;
        let crc = r.u32("block header")?;
        let data = r.take(len, "block")?;
        if bf == 0 {
            return Err(Error::Corrupt(format!("block {i} has no frames")));
        }
        if p.block_frames > 0 && (bf > p.block_frames || (i + 1 < n_blocks && bf != p.block_frames))
        {
            return Err(Error::Corrupt(format!(
                "block {i} has {bf} frames, the stream's blocks have {}",
                p.block_frames
            )));
        }
        if crc32fast::hash(data) != crc {
            return Err(Error::Corrupt(format!("block {i} fails its CRC-32")));
        }
        total_frames += bf as u64;
        blocks.push((bf, data));
    }
    if r.pos != body_len {
        return Err(Error::Corrupt("bytes after the last block".into()));
    }
    if total_frames != frames as u64 {
        return Err(Error::Corrupt(format!(
            "blocks hold {total_frames} frames, the header says {frames}"
        )));
    }
    if p.block_frames == 0 && n_blocks > 1 {
        return Err(Error::Corrupt(
            "several blocks in a single-block stream".into(),
        ));
    }
    Ok(blocks)
}

/// Parses a whole stream: checksum, header, stored WAV header and trailer, exceptions and
/// the payload's layout. Shared by [`decompress`] and [`read_header`].
fn parse(nrc: &[u8]) -> Result<Parsed<'_>, Error> {
    let body = verified_body(nrc)?;
    let mut r = Reader { b: body, pos: 5 };
    let header = parse_header(&mut r)?;
    let Header {
        flags,
        params,
        channels,
        sample_rate,
        ..
    } = header;
    let raw = flags & FLAG_RAW16 != 0;
    let count = header.samples() as usize;
    let (prefix, suffix) = if flags & FLAG_CANONICAL != 0 {
        (
            canonical_header(channels, sample_rate, count as u32 * 2).to_vec(),
            Vec::new(),
        )
    } else {
        let n = r.u32("stored WAV header")? as usize;
        let prefix = r.take(n, "stored WAV header")?.to_vec();
        let n = r.u32("stored WAV trailer")? as usize;
        (prefix, r.take(n, "stored WAV trailer")?.to_vec())
    };
    let n_exc = r.u32("exception count")? as usize;
    if raw && n_exc != 0 {
        return Err(Error::Corrupt("exceptions in raw mode".into()));
    }
    // Each exception takes 6 bytes: refuse a count the stream cannot hold before reserving
    // memory for it (a hostile count would otherwise reserve gigabytes).
    if n_exc as u64 * 6 > (body.len() - r.pos) as u64 {
        return Err(Error::Corrupt(format!(
            "{n_exc} exceptions do not fit in the rest of the stream"
        )));
    }
    let mut exceptions = Vec::with_capacity(n_exc);
    for _ in 0..n_exc {
        let pos = r.u32("exceptions")?;
        let v = r.u16("exceptions")? as i16;
        if pos as usize >= count {
            return Err(Error::Corrupt(format!(
                "exception at sample {pos} beyond the end"
            )));
        }
        exceptions.push((pos, v));
    }
    let payload = match &header.v2 {
        Some(p) => Payload::V2 {
            blocks: parse_blocks(&mut r, p, header.frames)?,
        },
        None => {
            let bits = r.u64("payload length")?;
            let payload_len = bits.div_ceil(8);
            if payload_len != (body.len() - r.pos) as u64 {
                return Err(Error::Corrupt(format!(
                    "payload of {bits} bits needs {payload_len} bytes, the stream has {}",
                    body.len() - r.pos
                )));
            }
            if bits > count as u64 * params.max_code_bits() as u64 {
                return Err(Error::Corrupt(
                    "payload longer than the longest possible coding".into(),
                ));
            }
            Payload::V1 {
                data: &body[r.pos..],
                bits,
            }
        }
    };
    Ok(Parsed {
        header,
        prefix,
        suffix,
        exceptions,
        payload,
    })
}

/// Decompresses a `.nrc` stream (either version) back to the original WAV file's bytes,
/// byte for byte.
pub fn decompress(nrc: &[u8]) -> Result<Vec<u8>, Error> {
    decompress_with_header(nrc).map(|(_, wav)| wav)
}

/// [`decompress`], also returning the stream's header.
pub fn decompress_with_header(nrc: &[u8]) -> Result<(Header, Vec<u8>), Error> {
    if is_streamed(nrc) {
        return crate::stream::decompress_bytes(nrc, false);
    }
    let Parsed {
        header,
        prefix,
        suffix,
        exceptions,
        payload,
    } = parse(nrc)?;
    let raw = header.flags & FLAG_RAW16 != 0;
    let channels = header.channels as usize;
    let count = header.samples() as usize;
    let (values, raw_sample): (Vec<u32>, fn(u32) -> i16) = match (&payload, &header.v2) {
        (Payload::V1 { data, bits }, _) => (
            decode_all(&header.params, channels, count, data, *bits)?,
            |v| v as u16 as i16,
        ),
        (Payload::V2 { blocks }, Some(p)) => (v2::decode_all(p, channels, blocks)?, |v| {
            (v as u16 ^ 0x8000) as i16
        }),
        (Payload::V2 { .. }, None) => unreachable!("v2 blocks come with v2 parameters"),
    };
    let mut samples: Vec<i16> = if raw {
        values.iter().map(|&v| raw_sample(v)).collect()
    } else {
        values.iter().map(|&k| grid_value(k)).collect()
    };
    for (pos, v) in exceptions {
        samples[pos as usize] = v;
    }
    let bytes = rebuild_wav(
        header.channels,
        header.sample_rate,
        samples,
        prefix,
        suffix,
        header.wav_crc,
    )?;
    Ok((header, bytes))
}

/// Builds the WAV from decoded samples and checks it against the stored CRC and header.
fn rebuild_wav(
    channels: u16,
    sample_rate: u32,
    samples: Vec<i16>,
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    wav_crc: u32,
) -> Result<Vec<u8>, Error> {
    let wav = Wav {
        channels,
        sample_rate,
        samples,
        prefix,
        suffix,
    };
    let bytes = wav.to_bytes();
    let crc = crc32fast::hash(&bytes);
    if crc != wav_crc {
        return Err(Error::Corrupt(format!(
            "decoded WAV checksum {crc:#010x} differs from the original's {wav_crc:#010x}"
        )));
    }
    // A stream can only come from a WAV this model parses, with the header's format and these
    // samples; a stored header (or a hostile one) that does not describe them is refused, so
    // an `Ok` is always a WAV (a 45-byte stream with empty prefix and suffix decoded to 0 bytes).
    match parse_wav(&bytes) {
        Ok(p)
            if p.channels == wav.channels
                && p.sample_rate == wav.sample_rate
                && p.prefix.len() == wav.prefix.len()
                && p.samples.len() == wav.samples.len() => {}
        Ok(_) => {
            return Err(Error::Corrupt(
                "the stored WAV header does not describe the decoded samples".into(),
            ))
        }
        Err(e) => {
            return Err(Error::Corrupt(format!(
                "the decoded bytes are not a valid WAV ({e})"
            )))
        }
    }
    Ok(bytes)
}

/// Reads the header of a whole stream, checked as [`decompress`] checks it (checksum, header,
/// stored WAV header and trailer, exceptions, payload layout and v2's block CRCs; only the
/// payload is not decoded).
pub fn read_header(nrc: &[u8]) -> Result<Header, Error> {
    if is_streamed(nrc) {
        return crate::stream::decompress_bytes(nrc, true).map(|(h, _)| h);
    }
    parse(nrc).map(|p| p.header)
}

/// Whether a stream is a streamed container (FORMAT.md §7.9): version 2 with the `STREAM` flag.
fn is_streamed(nrc: &[u8]) -> bool {
    nrc.len() > 5 && nrc[..4] == MAGIC && nrc[4] == VERSION_V2 && nrc[5] & FLAG_STREAM != 0
}

pub(crate) fn read_v1_params(r: &mut Reader) -> Result<CodecParams, Error> {
    let mut pv = [0u32; 5];
    for v in pv.iter_mut() {
        *v = r.u8("parameters")? as u32;
    }
    Ok(CodecParams {
        sample_bits: pv[0],
        qmax: pv[1],
        window_log2: pv[2],
        thr_num: pv[3],
        thr_shift: pv[4],
    })
}

/// v2's parameter block (FORMAT.md §7.7), not yet validated.
pub(crate) fn read_v2_params(r: &mut Reader) -> Result<V2Params, Error> {
    let golomb = read_v1_params(r)?;
    let mut b = [0u32; 6];
    for v in b.iter_mut() {
        *v = r.u8("parameters")? as u32;
    }
    let taps = b[0];
    if taps as usize > v2::MAX_TAPS {
        return Err(Error::Corrupt(format!(
            "{taps} LMS taps (at most {})",
            v2::MAX_TAPS
        )));
    }
    let mut steps = [0u8; v2::MAX_TAPS];
    for st in steps.iter_mut().take(taps as usize) {
        *st = r.u8("parameters")?;
    }
    let mut init_weights = [0i16; v2::MAX_TAPS];
    for w in init_weights.iter_mut().take(taps as usize) {
        *w = r.u16("parameters")? as i16;
    }
    Ok(V2Params {
        golomb,
        taps,
        weight_frac: b[1],
        weight_bits: b[2],
        delta_bits: b[3],
        steps,
        init_weights,
        prob_shift: b[4],
        prefix_contexts: b[5],
        block_frames: r.u32("parameters")?,
    })
}

pub(crate) fn write_v2_params(out: &mut Vec<u8>, p: &V2Params) {
    let g = &p.golomb;
    for v in [
        g.sample_bits,
        g.qmax,
        g.window_log2,
        g.thr_num,
        g.thr_shift,
        p.taps,
        p.weight_frac,
        p.weight_bits,
        p.delta_bits,
        p.prob_shift,
        p.prefix_contexts,
    ] {
        out.push(v as u8);
    }
    out.extend_from_slice(&p.steps[..p.taps as usize]);
    for w in &p.init_weights[..p.taps as usize] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&p.block_frames.to_le_bytes());
}

/// The raw-mode sample of coder v2: the 16-bit value in offset binary (`v XOR 0x8000`), so that
/// the predictor sees a continuous scale.
fn raw_v2(v: i16) -> u32 {
    (v as u16 ^ 0x8000) as u32
}

/// Compresses with coder v2 into container version 2 (FORMAT.md §7.7).
pub fn compress_v2(wav_bytes: &[u8], params: &V2Params) -> Result<(Vec<u8>, CompressStats), Error> {
    let params = params.with_sample_bits(10);
    params.validate()?;
    let wav = parse_wav(wav_bytes)?;
    let channels = wav.channels as usize;
    let (grid, exceptions) = to_grid(&wav.samples);
    let size = |blocks: &[v2::Block], exc: usize| -> u64 {
        blocks
            .iter()
            .map(|b| 12 + b.bytes.len() as u64)
            .sum::<u64>()
            + 6 * exc as u64
    };
    let (mut blocks, mut stats) = v2::encode_all(&params, channels, &grid)?;
    let mut best_params = params;
    let mut exceptions = exceptions;
    if !exceptions.is_empty() {
        let raw_p = params.with_sample_bits(16);
        let raw: Vec<u32> = wav.samples.iter().map(|&v| raw_v2(v)).collect();
        let (rb, rs) = v2::encode_all(&raw_p, channels, &raw)?;
        if size(&rb, 0) < size(&blocks, exceptions.len()) {
            blocks = rb;
            stats = rs;
            best_params = raw_p;
            exceptions = Vec::new();
        }
    }
    let mode = if best_params.golomb.sample_bits == 16 {
        Mode::Raw16
    } else {
        Mode::Grid10
    };
    let canonical = wav.is_canonical();
    let payload: usize = blocks.iter().map(|b| b.bytes.len() + 12).sum();
    let mut out = Vec::with_capacity(96 + payload + 6 * exceptions.len());
    out.extend_from_slice(&MAGIC);
    out.push(VERSION_V2);
    out.push(
        if canonical { FLAG_CANONICAL } else { 0 }
            | if mode == Mode::Raw16 { FLAG_RAW16 } else { 0 },
    );
    write_v2_params(&mut out, &best_params);
    out.extend_from_slice(&wav.channels.to_le_bytes());
    out.extend_from_slice(&wav.sample_rate.to_le_bytes());
    out.extend_from_slice(&(wav.frames() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(wav_bytes).to_le_bytes());
    if !canonical {
        for part in [&wav.prefix, &wav.suffix] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out.extend_from_slice(&(exceptions.len() as u32).to_le_bytes());
    for (pos, v) in &exceptions {
        out.extend_from_slice(&pos.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    for b in &blocks {
        out.extend_from_slice(&b.frames.to_le_bytes());
        out.extend_from_slice(&(b.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&b.bytes).to_le_bytes());
        out.extend_from_slice(&b.bytes);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    let stats = CompressStats {
        coder: Coder::Max,
        mode,
        channels: wav.channels,
        samples: wav.samples.len() as u64,
        wav_bytes: wav_bytes.len() as u64,
        nrc_bytes: out.len() as u64,
        payload_bits: 8 * blocks.iter().map(|b| b.bytes.len() as u64).sum::<u64>(),
        exceptions: exceptions.len() as u64,
        escapes: stats.escapes,
        s_histogram: stats.s_histogram,
    };
    Ok((out, stats))
}
