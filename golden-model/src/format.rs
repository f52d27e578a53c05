//! The `.nrc` format's definitions, below both layouts (FORMAT.md §4, §7.7, §7.9, §10.7):
//! the magic, the versions and flags, the coder's parameter block, the fixed [`Header`] and
//! its one check, and the byte cursor that turns running out into a clear error.
//!
//! [`crate::container`] (the front door and the single-stream layouts) and [`crate::stream`]
//! (the streamed layout) both build on this module; neither depends on the other's
//! definitions.

use crate::max::{self, MaxParams, MaxSpec, TableSpec};
use crate::v2::{self, V2Params};
use crate::{CodecParams, Coder, CoderSpec, Error};

/// File signature.
pub const MAGIC: [u8; 4] = *b"NRIC";
/// The container version of coder v1 (`lite`)'s single-stream layout (FORMAT.md §4).
pub const VERSION_LITE: u8 = 1;
/// Container version 2: coder v2 (`max`)'s single-stream layout (§7.7) and, with
/// [`FLAG_STREAM`], the streamed layout of either coder (§7.9).
pub const VERSION_V2: u8 = 2;
/// Container version 3: coder max in its one layout for every length, §7.9's streamed
/// layout with coder max's parameters and table in the header (FORMAT.md §10.7).
pub const VERSION_MAX: u8 = 3;
/// The newest version this build reads.
pub const NEWEST_VERSION: u8 = VERSION_MAX;
/// Flag: the WAV header is canonical and regenerated, not stored.
pub const FLAG_CANONICAL: u8 = 1 << 0;
/// Flag: raw mode (16-bit samples) instead of grid mode (10-bit indices); single-stream
/// layouts only (a streamed block says its own mode).
pub const FLAG_RAW16: u8 = 1 << 1;
/// Flag (container version 2 only, with [`FLAG_STREAM`]): the blocks are coded by coder v1.
pub const FLAG_LITE: u8 = 1 << 2;
/// Flag (container version 2 only): the streamed layout of FORMAT.md §7.9.
pub const FLAG_STREAM: u8 = 1 << 3;
/// Flag (coder v1: version 1, and version 2 with [`FLAG_LITE`]; coder max: version 3):
/// bounded error, the maximum error `δ` (one byte, 1..=255) follows the five parameter bytes
/// (FORMAT.md §11.5), in version 3 the initial weights (§10.7, §10.11).
pub const FLAG_BOUNDED: u8 = 1 << 4;

/// The flag bits the coder's parameters set: [`FLAG_BOUNDED`] for a maximum error `δ > 0`.
pub fn coder_flags(coder: &CoderSpec) -> u8 {
    if coder.max_error() > 0 {
        FLAG_BOUNDED
    } else {
        0
    }
}

/// The most bytes of WAV header (everything before the samples) or of trailing chunks a
/// container of any layout carries (FORMAT.md §4, §7.9); the encoder refuses a WAV with more
/// and the decoder a stream that stores more.
pub const MAX_WAV_EXTRA: usize = 16 << 20;

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
    /// Container version ([`VERSION_LITE`], [`VERSION_V2`] or [`VERSION_MAX`]).
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

/// Bytes of the longest fixed header (version 3 with the most LMS taps and an embedded
/// table; version 2's longest is 6 + 11 + 24 + 4 + 14): what a reader of a stream of unknown
/// length reads before [`check_header`].
pub const MAX_HEADER_BYTES: usize = 6 + 8 + 3 * v2::MAX_TAPS + 5 + max::table::TABLE_BYTES + 4 + 14;

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
    if !(VERSION_LITE..=VERSION_MAX).contains(&nrc[4]) {
        return Err(Error::UnsupportedVersion {
            found: nrc[4],
            supported: NEWEST_VERSION,
        });
    }
    Ok(())
}

/// Whether a stream's first bytes are those of a container in blocks, read and written
/// incrementally: version 2 with the `STREAM` flag (FORMAT.md §7.9), or version 3 (§10.7,
/// always).
pub fn is_streamed_container(nrc: &[u8]) -> bool {
    nrc.len() > 5
        && nrc[..4] == MAGIC
        && ((nrc[4] == VERSION_V2 && nrc[5] & FLAG_STREAM != 0) || nrc[4] == VERSION_MAX)
}

impl Header {
    /// Which coder coded the payload.
    pub fn kind(&self) -> Coder {
        self.coder.kind()
    }

    /// Whether the stream is in independently decodable blocks: the streamed layout
    /// (version 2 with `STREAM`, FORMAT.md §7.9) or container version 3 (§10.7).
    pub fn is_streamed(&self) -> bool {
        self.version == VERSION_MAX || (self.version == VERSION_V2 && self.flags & FLAG_STREAM != 0)
    }

    /// Samples in the stream (frames × channels).
    pub fn samples(&self) -> u64 {
        self.frames as u64 * self.channels as u64
    }

    /// An upper bound on the length of any valid single-stream container with this header
    /// (stored WAV header and trailer at their [`MAX_WAV_EXTRA`] maximum, every sample an
    /// exception, the longest codes): what a reader reads at most before it refuses a stream
    /// as too long (FORMAT.md §4).
    pub fn max_stream_bytes(&self) -> u64 {
        let count = self.samples();
        let g = self.coder.golomb();
        let payload = match &self.coder {
            // v1: the payload length is a bit count bounded by the longest code
            CoderSpec::Lite(_) => 8 + (count * g.max_code_bits() as u64).div_ceil(8),
            // max: at most one block per frame, each with its record (12), mode and
            // exception count (5), the substreams' bound (§10.7); the trailer's 8 bytes
            CoderSpec::Max(_) => {
                8 + (12 + 5 + 1) * self.frames as u64 + self.coder.max_coded_bytes(count)
            }
            // v2: per block 12 header bytes and a 5-byte coder flush; a context-coded bin
            // costs at most 12 bits (12-bit probabilities), plain bits one each
            CoderSpec::V2(_) => {
                let bins = (g.qmax + 2) as u64 * 12 + g.max_code_bits() as u64;
                4 + 17 * self.frames as u64 + (count * bins).div_ceil(8)
            }
        };
        MAX_HEADER_BYTES as u64 + 2 * (4 + MAX_WAV_EXTRA as u64) + 4 + 6 * count + payload + 4
    }
}

/// The parameter block of `coder` (FORMAT.md §4, §7.7, §10.7), not yet validated: coder v1's
/// five bytes and, with [`FLAG_BOUNDED`] in `flags`, its maximum error (§11.5); coder v2's
/// block (which ends with its frames per block); or coder max's (its parameters, the table
/// reference and the frames per block).
pub(crate) fn read_params(r: &mut Reader, coder: Coder, flags: u8) -> Result<CoderSpec, Error> {
    Ok(match coder {
        Coder::Lite => {
            let p = read_v1_params(r)?;
            CoderSpec::Lite(p.with_max_error(read_max_error(r, flags)?))
        }
        Coder::Max => CoderSpec::Max(read_max_params(r, flags)?),
        Coder::V2 => CoderSpec::V2(read_v2_params(r)?),
    })
}

/// The maximum error byte of a header (FORMAT.md §11.5, §10.7): with [`FLAG_BOUNDED`] one
/// byte `1 ..= 255` (0 with the flag is corrupt, so each δ has one encoding); without it 0
/// and no byte.
fn read_max_error(r: &mut Reader, flags: u8) -> Result<u32, Error> {
    if flags & FLAG_BOUNDED == 0 {
        return Ok(0);
    }
    match r.u8("maximum error")? {
        0 => Err(Error::Corrupt(
            "the BOUNDED flag with a maximum error of 0".into(),
        )),
        d => Ok(d as u32),
    }
}

/// Writes the parameter block of `coder` ([`read_params`]'s layout; the flags byte carries
/// [`coder_flags`]).
pub(crate) fn write_params(out: &mut Vec<u8>, coder: &CoderSpec) {
    match coder {
        CoderSpec::Lite(p) => {
            write_v1_params(out, p);
            if p.max_error > 0 {
                out.push(p.max_error as u8);
            }
        }
        CoderSpec::Max(s) => write_max_params(out, s),
        CoderSpec::V2(p) => write_v2_params(out, p),
    }
}

/// The five bytes W, Q, w, c, h (coder v1's parameters without `δ`).
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
        max_error: 0,
    })
}

fn write_v1_params(out: &mut Vec<u8>, p: &CodecParams) {
    for v in [p.sample_bits, p.qmax, p.window_log2, p.thr_num, p.thr_shift] {
        out.push(v as u8);
    }
}

/// The parameter block of a streamed header (FORMAT.md §7.9) with its frames per block:
/// coder v1's five bytes (and `δ` with [`FLAG_BOUNDED`]) then the frames; coder v2's block, whose last field is the frames.
pub(crate) fn read_stream_params(
    r: &mut Reader,
    coder: Coder,
    flags: u8,
) -> Result<(CoderSpec, u32), Error> {
    let c = read_params(r, coder, flags)?;
    let fb = match &c {
        CoderSpec::Lite(_) => r.u32("header")?,
        CoderSpec::Max(s) => s.params.block_frames,
        CoderSpec::V2(p) => p.block_frames,
    };
    Ok((c, fb))
}

/// Writes [`read_stream_params`]'s layout.
pub(crate) fn write_stream_params(out: &mut Vec<u8>, coder: &CoderSpec, block_frames: u32) {
    write_params(out, &with_block_frames(coder, block_frames));
    match coder {
        CoderSpec::Lite(_) => out.extend_from_slice(&block_frames.to_le_bytes()),
        CoderSpec::Max(_) | CoderSpec::V2(_) => {} // in the parameter block
    }
}

/// The coder's parameters as a streamed header stores them: coder v2's and max's carry the
/// frames per block; coder v1's have no such field.
pub(crate) fn with_block_frames(coder: &CoderSpec, block_frames: u32) -> CoderSpec {
    match coder {
        CoderSpec::Lite(p) => CoderSpec::Lite(*p),
        CoderSpec::Max(s) => CoderSpec::Max(s.with_block_frames(block_frames)),
        CoderSpec::V2(p) => CoderSpec::V2(V2Params { block_frames, ..*p }),
    }
}

/// The number of LMS taps at `r`'s position, checked against [`v2::MAX_TAPS`].
fn read_taps(r: &mut Reader) -> Result<u32, Error> {
    let taps = r.u8("parameters")? as u32;
    if taps as usize > v2::MAX_TAPS {
        return Err(Error::Corrupt(format!(
            "{taps} LMS taps (at most {})",
            v2::MAX_TAPS
        )));
    }
    Ok(taps)
}

/// Coder max's parameter block (FORMAT.md §10.7): W, w, c, h, T, f, B_w, B_d, the steps, the
/// initial weights, with [`FLAG_BOUNDED`] the maximum error (§10.11), the table reference
/// (id, CRC-32, the embedded table's bytes when id 0) and F_B. The table is checked here (a
/// stream naming a table this build does not have, or carrying an invalid one, is corrupt);
/// the parameters are not yet validated.
fn read_max_params(r: &mut Reader, flags: u8) -> Result<MaxSpec, Error> {
    let mut b = [0u32; 4];
    for v in b.iter_mut() {
        *v = r.u8("parameters")? as u32;
    }
    let taps = read_taps(r)?;
    let (weight_frac, weight_bits, delta_bits) = (
        r.u8("parameters")? as u32,
        r.u8("parameters")? as u32,
        r.u8("parameters")? as u32,
    );
    let mut steps = [0u8; v2::MAX_TAPS];
    for st in steps.iter_mut().take(taps as usize) {
        *st = r.u8("parameters")?;
    }
    let mut init_weights = [0i16; v2::MAX_TAPS];
    for w in init_weights.iter_mut().take(taps as usize) {
        *w = r.u16("parameters")? as i16;
    }
    let max_error = read_max_error(r, flags)?;
    let id = r.u8("table reference")?;
    let crc = r.u32("table reference")?;
    let embedded = match id {
        max::spec::EMBEDDED_ID => Some(r.take(max::table::TABLE_BYTES, "embedded table")?),
        _ => None,
    };
    let table = TableSpec::from_header(id, crc, embedded)?;
    Ok(MaxSpec {
        params: MaxParams {
            sample_bits: b[0],
            window_log2: b[1],
            thr_num: b[2],
            thr_shift: b[3],
            taps,
            weight_frac,
            weight_bits,
            delta_bits,
            steps,
            init_weights,
            block_frames: r.u32("parameters")?,
            max_error,
        },
        table,
    })
}

fn write_max_params(out: &mut Vec<u8>, s: &MaxSpec) {
    let p = &s.params;
    for v in [
        p.sample_bits,
        p.window_log2,
        p.thr_num,
        p.thr_shift,
        p.taps,
        p.weight_frac,
        p.weight_bits,
        p.delta_bits,
    ] {
        out.push(v as u8);
    }
    out.extend_from_slice(&p.steps[..p.taps as usize]);
    for w in &p.init_weights[..p.taps as usize] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    if p.max_error > 0 {
        out.push(p.max_error as u8);
    }
    out.push(s.table.id());
    out.extend_from_slice(&s.table.crc().to_le_bytes());
    match &s.table {
        TableSpec::Builtin | TableSpec::BuiltinNear(_) => {}
        TableSpec::Embedded(_) => out.extend_from_slice(&s.table.table().to_bytes()),
    }
    out.extend_from_slice(&p.block_frames.to_le_bytes());
}

/// v2's parameter block (FORMAT.md §7.7), not yet validated.
fn read_v2_params(r: &mut Reader) -> Result<V2Params, Error> {
    let golomb = read_v1_params(r)?;
    let taps = read_taps(r)?;
    let mut b = [0u32; 6];
    for v in b.iter_mut().skip(1) {
        *v = r.u8("parameters")? as u32;
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

/// Reads an exception list of `n` entries (FORMAT.md §4, the same rule in every layout):
/// indices strictly increasing and below `count`, each value off the 10-bit grid (a value on
/// the grid is coded as its index, never as an exception). `what` names the list in errors.
pub(crate) fn read_exceptions(
    r: &mut Reader,
    n: usize,
    count: usize,
    what: &str,
) -> Result<Vec<(u32, i16)>, Error> {
    // Each exception takes 6 bytes: refuse a count the stream cannot hold before reserving
    // memory for it (a hostile count would otherwise reserve gigabytes).
    if n as u64 * 6 > (r.b.len() - r.pos) as u64 {
        return Err(Error::Corrupt(format!(
            "{n} {what} do not fit in the rest of the stream"
        )));
    }
    let table = crate::grid::index_table();
    let mut exceptions = Vec::with_capacity(n);
    let mut last: Option<u32> = None;
    for _ in 0..n {
        let pos = r.u32(what)?;
        let v = r.u16(what)?;
        if pos as usize >= count {
            return Err(Error::Corrupt(format!(
                "{what}: sample {pos} beyond the last of {count}"
            )));
        }
        if last.is_some_and(|l| pos <= l) {
            return Err(Error::Corrupt(format!(
                "{what}: sample {pos} after sample {} (indices must increase)",
                last.unwrap_or(0)
            )));
        }
        if table[v as usize] & crate::grid::OFF_GRID == 0 {
            return Err(Error::Corrupt(format!(
                "{what}: sample {pos} holds {}, a grid level (not an exception)",
                v as i16
            )));
        }
        last = Some(pos);
        exceptions.push((pos, v as i16));
    }
    Ok(exceptions)
}

/// Checks a container's flags for its version (FORMAT.md §4, §7.7, §7.9): no unknown bit,
/// `LITE` only with `STREAM`, `RAW16` never with `STREAM` (a streamed block says its own
/// mode); version 3 (coder max, §10.7) only `CANONICAL` and `BOUNDED`. The one flag check of every
/// layout's decoder.
pub(crate) fn check_flags(version: u8, flags: u8) -> Result<(), Error> {
    // BOUNDED: coder v1's streams (version 1, or version 2 with LITE; FORMAT.md §11.5) and
    // coder max's (version 3, §10.7)
    let known = if version == VERSION_MAX {
        FLAG_CANONICAL | FLAG_BOUNDED
    } else if version == VERSION_V2 && flags & FLAG_LITE != 0 {
        FLAG_CANONICAL | FLAG_RAW16 | FLAG_LITE | FLAG_STREAM | FLAG_BOUNDED
    } else if version == VERSION_V2 {
        FLAG_CANONICAL | FLAG_RAW16 | FLAG_LITE | FLAG_STREAM
    } else {
        FLAG_CANONICAL | FLAG_RAW16 | FLAG_BOUNDED
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
    Ok(())
}

/// The coder of a stream from its version and flags (both already checked): version 1 coder
/// v1; version 2 coder v2, or coder v1 with the `LITE` flag; version 3 coder max.
pub(crate) fn header_coder(version: u8, flags: u8) -> Coder {
    match version {
        VERSION_MAX => Coder::Max,
        VERSION_V2 if flags & FLAG_LITE == 0 => Coder::V2,
        _ => Coder::Lite,
    }
}

/// Parses and checks the fixed header at the start of `r` (magic and version already
/// checked): known flags, valid parameters matching the mode, at least one channel, a sample
/// count a WAV can hold. The one header check of the decoder and of
/// [`crate::container::read_header`].
pub(crate) fn parse_header(r: &mut Reader) -> Result<Header, Error> {
    r.pos = 4;
    let version = r.u8("version")?;
    let flags = r.u8("flags")?;
    check_flags(version, flags)?;
    let kind = header_coder(version, flags);
    let coder = read_params(r, kind, flags)?;
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
