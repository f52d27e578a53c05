//! The single-stream layouts (FORMAT.md §4 for coder v1, §7.7 for coder v2): a whole WAV of
//! at most [`crate::stream::BLOCK_SAMPLES`] samples in one container, written and read in
//! memory. [`crate::container`] picks this layout or the streamed one. Coder max has none:
//! container version 3 is in blocks for every length (§10.7, [`crate::stream`]).

use crate::format::{
    check_signature, coder_flags, parse_header, read_exceptions, write_params, Header, Mode,
    Reader, FLAG_CANONICAL, FLAG_RAW16, MAGIC, MAX_WAV_EXTRA, VERSION_LITE, VERSION_V2,
};
use crate::grid::{grid_value, index_table, to_grid, LEVELS, OFF_GRID};
use crate::lite::{decode_all, encode_bytes, encode_fitting, ByteStats};
use crate::report::CompressStats;
use crate::v2::{self, V2Params};
use crate::wav::{canonical_header, parse_wav, parse_wav_ref, Wav};
use crate::{CodecParams, Coder, CoderSpec, Error};

/// Compresses a whole WAV in memory into the single-stream layout of `coder` (what
/// [`crate::container`] writes for inputs of at most `stream::BLOCK_SAMPLES` samples; usable
/// on longer ones for measurements of the block cost).
/// Coder max is refused: it has no single-stream layout.
pub fn compress(wav_bytes: &[u8], coder: &CoderSpec) -> Result<(Vec<u8>, CompressStats), Error> {
    match coder {
        CoderSpec::Lite(p) => compress_lite(wav_bytes, p),
        CoderSpec::Max(_) => Err(no_single_layout()),
        CoderSpec::V2(p) => compress_v2(wav_bytes, p),
    }
}

/// Why coder max has no single-stream layout.
fn no_single_layout() -> Error {
    Error::BadParams(
        "coder max has no single-stream layout: container version 3 is in blocks for every \
         length (FORMAT.md §10.7; container::compress_wav_with writes it)"
            .into(),
    )
}

/// The samples as the coder sees them (grid indices or raw 16-bit patterns) plus exceptions.
struct Coded {
    params: CodecParams,
    /// The payload: `bits` MSB-first bits, the last byte zero-padded (FORMAT.md §4).
    payload: Vec<u8>,
    bits: u64,
    exceptions: Vec<(u32, i16)>,
    escapes: u64,
    s_histogram: Vec<u64>,
}

/// Codes `values` with the byte coder the streamed blocks use ([`encode_bytes`]: the same bits
/// as `lite::encode_all`, a test in `lite` checks it, without its per-sample checks), taken
/// straight from an iterator when every value can fit in `W` bits (`max_value`, the largest
/// the iterator can give, does); else collected and checked by [`encode_bytes`], which
/// refuses a value that does not fit.
fn code(
    params: CodecParams,
    channels: usize,
    values: impl ExactSizeIterator<Item = u32>,
    max_value: u32,
) -> Result<(Vec<u8>, ByteStats), Error> {
    if max_value.checked_shr(params.sample_bits) == Some(0) {
        encode_fitting(&params, channels, values)
    } else {
        encode_bytes(&params, channels, &values.collect::<Vec<u32>>())
    }
}

fn coded_size(c: &Coded) -> u64 {
    c.bits.div_ceil(8) + 6 * c.exceptions.len() as u64
}

/// The single-stream v1 layout (FORMAT.md §4). The samples are coded straight from the WAV's
/// bytes, as grid indices through [`index_table`] (or, when raw mode is tried, as 16-bit
/// patterns), with no array of samples or indices in between; the container is assembled in
/// the payload's own buffer. A one-file `neurice compress` is a few milliseconds, and those
/// arrays were a third of its page faults (issue 29). The bytes are those of the earlier
/// `to_grid` + `encode_bytes` (`.nrc` byte-identical on the recordings, and a test).
fn compress_lite(
    wav_bytes: &[u8],
    params: &CodecParams,
) -> Result<(Vec<u8>, CompressStats), Error> {
    params.validate()?;
    let wav = parse_wav_ref(wav_bytes)?;
    let channels = wav.channels as usize;
    let table = index_table();
    let mut exceptions = Vec::new();
    let grid = wav.samples().enumerate().map(|(i, v)| {
        let e = table[v as u16 as usize];
        if e & OFF_GRID != 0 {
            exceptions.push((i as u32, v));
        }
        (e & !OFF_GRID) as u32
    });
    let (payload, st) = code(*params, channels, grid, LEVELS - 1)?;
    let mut best = Coded {
        params: *params,
        payload,
        bits: st.bits,
        exceptions,
        escapes: st.escapes,
        s_histogram: st.s_histogram,
    };
    let raw_params = CodecParams {
        sample_bits: 16,
        ..*params
    };
    // raw mode only where its parameters are valid (Q + 16 <= 32)
    if !best.exceptions.is_empty() && raw_params.validate().is_ok() {
        // `v as u16`, offset binary with a maximum error (FORMAT.md §4, §11.4)
        let flip = params.raw_flip();
        let raw = wav.samples().map(|v| (v as u16 ^ flip) as u32);
        let (payload, st) = code(raw_params, channels, raw, u16::MAX as u32)?;
        let alt = Coded {
            params: raw_params,
            payload,
            bits: st.bits,
            exceptions: Vec::new(),
            escapes: st.escapes,
            s_histogram: st.s_histogram,
        };
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
    let mut head =
        Vec::with_capacity(64 + wav.prefix.len() + wav.suffix.len() + 6 * best.exceptions.len());
    head.extend_from_slice(&MAGIC);
    head.push(VERSION_LITE);
    let coder = CoderSpec::Lite(best.params);
    head.push(
        if canonical { FLAG_CANONICAL } else { 0 }
            | if mode == Mode::Raw16 { FLAG_RAW16 } else { 0 }
            | coder_flags(&coder),
    );
    write_params(&mut head, &coder);
    head.extend_from_slice(&wav.channels.to_le_bytes());
    head.extend_from_slice(&wav.sample_rate.to_le_bytes());
    head.extend_from_slice(&(wav.frames() as u32).to_le_bytes());
    // the CRC-32 of the WAV the decoder writes: the input, or with a maximum error the
    // decoded samples in the input's WAV header and trailer (FORMAT.md §11.5)
    let wav_crc = if params.max_error == 0 {
        crc32fast::hash(wav_bytes)
    } else {
        let values = decode_all(&best.params, channels, wav.len(), &best.payload, best.bits)?;
        let decoded = wav.with_samples(samples_of(
            &coder,
            mode == Mode::Raw16,
            &values,
            &best.exceptions,
        ));
        crc32fast::hash(&decoded.to_bytes())
    };
    head.extend_from_slice(&wav_crc.to_le_bytes());
    if !canonical {
        for part in [wav.prefix, wav.suffix] {
            head.extend_from_slice(&(part.len() as u32).to_le_bytes());
            head.extend_from_slice(part);
        }
    }
    head.extend_from_slice(&(best.exceptions.len() as u32).to_le_bytes());
    for (pos, v) in &best.exceptions {
        head.extend_from_slice(&pos.to_le_bytes());
        head.extend_from_slice(&v.to_le_bytes());
    }
    head.extend_from_slice(&best.bits.to_le_bytes());
    // the header before the payload, in the payload's buffer (sized for the longest codes,
    // so there is room): no second copy of the stream
    let mut out = best.payload;
    let (n, h) = (out.len(), head.len());
    out.reserve_exact(h + 4);
    out.resize(n + h, 0);
    out.copy_within(..n, h);
    out[..h].copy_from_slice(&head);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out.shrink_to_fit();
    let stats = CompressStats {
        coder: Coder::Lite,
        mode,
        channels: wav.channels,
        samples: wav.len() as u64,
        wav_bytes: wav_bytes.len() as u64,
        nrc_bytes: out.len() as u64,
        payload_bits: best.bits,
        exceptions: best.exceptions.len() as u64,
        escapes: best.escapes,
        s_histogram: best.s_histogram,
    };
    Ok((out, stats))
}

/// The WAV's samples from the decoded values of `coder` (grid indices, or raw-mode patterns)
/// with the exceptions written back exactly.
fn samples_of(coder: &CoderSpec, raw: bool, values: &[u32], exceptions: &[(u32, i16)]) -> Vec<i16> {
    let mut samples: Vec<i16> = if raw {
        let flip = coder.raw_flip();
        values.iter().map(|&v| (v as u16 ^ flip) as i16).collect()
    } else {
        values.iter().map(|&k| grid_value(k)).collect()
    };
    for &(pos, v) in exceptions {
        samples[pos as usize] = v;
    }
    samples
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
        let mut part = |what: &str| -> Result<Vec<u8>, Error> {
            let n = r.u32(what)? as usize;
            if n > MAX_WAV_EXTRA {
                return Err(Error::Corrupt(format!(
                    "a {what} of {n} bytes (at most {MAX_WAV_EXTRA})"
                )));
            }
            Ok(r.take(n, what)?.to_vec())
        };
        (part("stored WAV header")?, part("stored WAV trailer")?)
    };
    let n_exc = r.u32("exception count")? as usize;
    if raw && n_exc != 0 {
        return Err(Error::Corrupt("exceptions in raw mode".into()));
    }
    let exceptions = read_exceptions(&mut r, n_exc, count, "exceptions")?;
    let payload = match &header.coder {
        CoderSpec::Max(_) => {
            return Err(Error::Corrupt(
                "container version 3 is in blocks (FORMAT.md §10.7), not a single stream".into(),
            ))
        }
        CoderSpec::V2(p) => Payload::V2 {
            blocks: parse_blocks(&mut r, p, header.frames)?,
        },
        CoderSpec::Lite(params) => {
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

/// Decompresses a single-stream container (either version) back to the original WAV file's
/// bytes, byte for byte; also returns its header.
pub(crate) fn decompress(nrc: &[u8]) -> Result<(Header, Vec<u8>), Error> {
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
    let values = match (&payload, &header.coder) {
        (Payload::V1 { data, bits }, CoderSpec::Lite(p)) => {
            decode_all(p, channels, count, data, *bits)?
        }
        (Payload::V2 { blocks }, CoderSpec::V2(p)) => v2::decode_all(p, channels, blocks)?,
        _ => unreachable!("parse reads the payload of the header's coder"),
    };
    let samples = samples_of(&header.coder, raw, &values, &exceptions);
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

/// Reads the header of a whole single-stream container, checked as [`decompress`] checks it
/// (checksum, header, stored WAV header and trailer, exceptions, payload layout and v2's block
/// CRCs; only the payload is not decoded).
pub(crate) fn read_header(nrc: &[u8]) -> Result<Header, Error> {
    parse(nrc).map(|p| p.header)
}

/// The raw-mode sample of coder v2: the 16-bit value in offset binary (`v XOR 0x8000`), so that
/// the predictor sees a continuous scale.
fn raw_v2(v: i16) -> u32 {
    (v as u16 ^ 0x8000) as u32
}

/// Compresses with coder v2 into container version 2 (FORMAT.md §7.7).
fn compress_v2(wav_bytes: &[u8], params: &V2Params) -> Result<(Vec<u8>, CompressStats), Error> {
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
    let raw_p = params.with_sample_bits(16);
    // raw mode only where its parameters are valid (Q + 16 <= 32, B_w + 13 <= 28)
    if !exceptions.is_empty() && raw_p.validate().is_ok() {
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
    write_params(&mut out, &CoderSpec::V2(best_params));
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
        coder: Coder::V2,
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
