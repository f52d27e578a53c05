//! The `.nrc` format's definitions, below both layouts (FORMAT.md §4, §7.7, §7.9): the
//! magic, the versions and flags, the coder's parameter block, the fixed [`Header`] and its
//! one check, and the byte cursor that turns running out into a clear error.
//!
//! [`crate::container`] (the front door and the single-stream layouts) and [`crate::stream`]
//! (the streamed layout) both build on this module; neither depends on the other's
//! definitions.

use crate::v2::{self, V2Params};
use crate::{CodecParams, Coder, CoderSpec, Error};

/// File signature.
pub const MAGIC: [u8; 4] = *b"NRIC";
/// The container version of coder v1 (`lite`)'s single-stream layout (FORMAT.md §4).
pub const VERSION_LITE: u8 = 1;
/// Container version 2: coder v2 (`max`)'s single-stream layout (§7.7) and, with
/// [`FLAG_STREAM`], the streamed layout of either coder (§7.9).
pub const VERSION_V2: u8 = 2;
/// The newest version this build reads.
pub const NEWEST_VERSION: u8 = VERSION_V2;
/// Flag: the WAV header is canonical and regenerated, not stored.
pub const FLAG_CANONICAL: u8 = 1 << 0;
/// Flag: raw mode (16-bit samples) instead of grid mode (10-bit indices); single-stream
/// layouts only (a streamed block says its own mode).
pub const FLAG_RAW16: u8 = 1 << 1;
/// Flag (container version 2 only, with [`FLAG_STREAM`]): the blocks are coded by coder v1.
pub const FLAG_LITE: u8 = 1 << 2;
/// Flag (container version 2 only): the streamed layout of FORMAT.md §7.9.
pub const FLAG_STREAM: u8 = 1 << 3;

/// How the samples were coded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 10-bit grid indices (the hardware's input), off-grid samples as exceptions.
    Grid10,
    /// Full 16-bit samples.
    Raw16,
}

/// A cursor over container bytes that turns running out into a clear error.
pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
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
    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, Error> {
        let s = self.take(8, what)?;
        Ok(u64::from_le_bytes(s.try_into().expect("8 bytes")))
    }
}

/// The header of a `.nrc` stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Container version ([`VERSION_LITE`] or [`VERSION_V2`]).
    pub version: u8,
    pub flags: u8,
    /// The coder of the payload with its parameters as stored (raw mode: at 16 bits; a
    /// streamed container: the grid-mode parameters its blocks derive theirs from).
    pub coder: CoderSpec,
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
    if nrc[4] != VERSION_LITE && nrc[4] != VERSION_V2 {
        return Err(Error::UnsupportedVersion {
            found: nrc[4],
            supported: NEWEST_VERSION,
        });
    }
    Ok(())
}

/// Whether a stream's first bytes are those of a streamed container (FORMAT.md §7.9):
/// version 2 with the `STREAM` flag.
pub fn is_streamed_container(nrc: &[u8]) -> bool {
    nrc.len() > 5 && nrc[..4] == MAGIC && nrc[4] == VERSION_V2 && nrc[5] & FLAG_STREAM != 0
}

impl Header {
    /// Which coder coded the payload.
    pub fn kind(&self) -> Coder {
        self.coder.kind()
    }

    /// Samples in the stream (frames × channels).
    pub fn samples(&self) -> u64 {
        self.frames as u64 * self.channels as u64
    }

    /// An upper bound on the length of any valid stream with this header (stored WAV header
    /// and trailer at their 4 GiB maximum): what a reader of a stream of unknown length may
    /// read at most.
    pub fn max_stream_bytes(&self) -> u64 {
        let count = self.samples();
        let g = self.coder.golomb();
        let payload = match &self.coder {
            // v1: the payload length is a bit count bounded by the longest code
            CoderSpec::Lite(_) => 8 + (count * g.max_code_bits() as u64).div_ceil(8),
            // v2: per block 12 header bytes and a 5-byte coder flush; a context-coded bin
            // costs at most 12 bits (12-bit probabilities), plain bits one each
            CoderSpec::Max(_) => {
                let bins = (g.qmax + 2) as u64 * 12 + g.max_code_bits() as u64;
                4 + 17 * self.frames as u64 + (count * bins).div_ceil(8)
            }
        };
        MAX_HEADER_BYTES as u64 + 2 * (4 + u32::MAX as u64) + 4 + 6 * count + payload + 4
    }
}

/// The parameter block of `coder` (FORMAT.md §4, §7.7), not yet validated: coder v1's five
/// bytes, or coder v2's block (which ends with its frames per block).
pub(crate) fn read_params(r: &mut Reader, coder: Coder) -> Result<CoderSpec, Error> {
    Ok(match coder {
        Coder::Lite => CoderSpec::Lite(read_v1_params(r)?),
        Coder::Max => CoderSpec::Max(read_v2_params(r)?),
    })
}

/// Writes the parameter block of `coder` ([`read_params`]'s layout).
pub(crate) fn write_params(out: &mut Vec<u8>, coder: &CoderSpec) {
    match coder {
        CoderSpec::Lite(p) => write_v1_params(out, p),
        CoderSpec::Max(p) => write_v2_params(out, p),
    }
}

fn read_v1_params(r: &mut Reader) -> Result<CodecParams, Error> {
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

fn write_v1_params(out: &mut Vec<u8>, p: &CodecParams) {
    for v in [p.sample_bits, p.qmax, p.window_log2, p.thr_num, p.thr_shift] {
        out.push(v as u8);
    }
}

/// The parameter block of a streamed header (FORMAT.md §7.9) with its frames per block:
/// coder v1's five bytes then the frames; coder v2's block, whose last field is the frames.
pub(crate) fn read_stream_params(r: &mut Reader, coder: Coder) -> Result<(CoderSpec, u32), Error> {
    let c = read_params(r, coder)?;
    let fb = match &c {
        CoderSpec::Lite(_) => r.u32("header")?,
        CoderSpec::Max(p) => p.block_frames,
    };
    Ok((c, fb))
}

/// Writes [`read_stream_params`]'s layout.
pub(crate) fn write_stream_params(out: &mut Vec<u8>, coder: &CoderSpec, block_frames: u32) {
    write_params(out, &with_block_frames(coder, block_frames));
    match coder {
        CoderSpec::Lite(_) => out.extend_from_slice(&block_frames.to_le_bytes()),
        CoderSpec::Max(_) => {} // in the parameter block
    }
}

/// The coder's parameters as a streamed header stores them: coder v2's carry the frames per
/// block; coder v1's have no such field.
pub(crate) fn with_block_frames(coder: &CoderSpec, block_frames: u32) -> CoderSpec {
    match coder {
        CoderSpec::Lite(p) => CoderSpec::Lite(*p),
        CoderSpec::Max(p) => CoderSpec::Max(V2Params { block_frames, ..*p }),
    }
}

/// v2's parameter block (FORMAT.md §7.7), not yet validated.
fn read_v2_params(r: &mut Reader) -> Result<V2Params, Error> {
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

fn write_v2_params(out: &mut Vec<u8>, p: &V2Params) {
    write_v1_params(out, &p.golomb);
    for v in [
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

/// Parses and checks the fixed header at the start of `r` (magic and version already
/// checked): known flags, valid parameters matching the mode, at least one channel, a sample
/// count a WAV can hold. The one header check of the decoder and of
/// [`crate::container::read_header`].
pub(crate) fn parse_header(r: &mut Reader) -> Result<Header, Error> {
    r.pos = 4;
    let version = r.u8("version")?;
    let flags = r.u8("flags")?;
    let known = if version == VERSION_V2 {
        FLAG_CANONICAL | FLAG_RAW16 | FLAG_LITE | FLAG_STREAM
    } else {
        FLAG_CANONICAL | FLAG_RAW16
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
    let kind = if version == VERSION_V2 && flags & FLAG_LITE == 0 {
        Coder::Max
    } else {
        Coder::Lite
    };
    let coder = read_params(r, kind)?;
    coder
        .validate()
        .map_err(|e| Error::Corrupt(e.to_string()))?;
    if flags & FLAG_LITE != 0 {
        r.u32("parameters")?; // block frames, checked by the stream decoder
    }
    let raw = flags & FLAG_RAW16 != 0;
    if coder.sample_bits() != if raw { 16 } else { 10 } {
        return Err(Error::Corrupt(format!(
            "sample_bits {} does not match the {} mode",
            coder.sample_bits(),
            if raw { "raw16" } else { "grid10" }
        )));
    }
    let h = Header {
        version,
        flags,
        coder,
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
