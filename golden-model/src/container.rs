//! The `.nrc` container's front door: compress a WAV and decompress a stream, in memory or
//! from a reader to a writer, whatever the layout. It picks the layout — the single-stream
//! layouts of FORMAT.md §4 and §7.7 ([`crate::single`]) for inputs of at most
//! [`stream::BLOCK_SAMPLES`] samples, the streamed layout of §7.9 ([`crate::stream`]) for
//! longer ones — and a decoder tells them apart from the first six bytes. The format's
//! definitions (magic, versions, flags, header) are in [`crate::format`], below both layouts.

use std::io::{Read, Write};

use crate::format::{
    check_header, check_signature, is_streamed_container, Header, MAX_HEADER_BYTES,
};
use crate::io::{fill, fill_known, io_err};
use crate::report::{CompressStats, DecodeOptions, DecodeReport};
use crate::stream::{self, MAX_WAV_EXTRA};
use crate::wav::{scan, Scan};
use crate::{single, Coder, CoderSpec, Error};

/// Compresses a WAV file's bytes into a `.nrc` stream with coder v1 (`lite`, the hardware's
/// parameters).
pub fn compress_wav(wav_bytes: &[u8]) -> Result<(Vec<u8>, CompressStats), Error> {
    compress_wav_with(wav_bytes, Coder::Lite)
}

/// Compresses a WAV file's bytes into a `.nrc` stream with `coder` (a [`CoderSpec`], or a
/// [`Coder`] for its hardware parameters).
pub fn compress_wav_with(
    wav_bytes: &[u8],
    coder: impl Into<CoderSpec>,
) -> Result<(Vec<u8>, CompressStats), Error> {
    let mut out = Vec::new();
    let stats = compress_reader(
        &mut &wav_bytes[..],
        Some(wav_bytes.len() as u64),
        &mut out,
        &coder.into(),
        0,
    )?;
    Ok((out, stats))
}

/// Decompresses a `.nrc` stream (any version and layout) back to the original WAV file's
/// bytes, byte for byte.
pub fn decompress(nrc: &[u8]) -> Result<Vec<u8>, Error> {
    decompress_with_header(nrc).map(|(_, wav)| wav)
}

/// [`decompress`], also returning the stream's header.
pub fn decompress_with_header(nrc: &[u8]) -> Result<(Header, Vec<u8>), Error> {
    if is_streamed_container(nrc) {
        return decompress_bytes(nrc, false);
    }
    single::decompress(nrc)
}

/// Reads the header of a whole stream, checked as [`decompress`] checks it (checksum, header,
/// stored WAV header and trailer, exceptions, payload layout and the block CRCs; only the
/// payload is not decoded).
pub fn read_header(nrc: &[u8]) -> Result<Header, Error> {
    if is_streamed_container(nrc) {
        return decompress_bytes(nrc, true).map(|(h, _)| h);
    }
    single::read_header(nrc)
}

/// Decodes a whole streamed container in memory: any damage is an error.
fn decompress_bytes(nrc: &[u8], check_only: bool) -> Result<(Header, Vec<u8>), Error> {
    let mut out = Vec::new();
    let rep = decompress_reader(
        &mut &nrc[..],
        Some(nrc.len() as u64),
        &mut out,
        DecodeOptions {
            threads: 1,
            recover: false,
            check_only,
        },
    )?;
    if let Some(first) = rep.damage().into_iter().next() {
        return Err(Error::Corrupt(first));
    }
    Ok((rep.header, out))
}

/// Compresses a WAV read from `input` (a file of `total` bytes, or a pipe: `None`) into
/// `out`, header first: a WAV the codec does not take, or whose header declares more than the
/// file holds, is refused before anything is written. An input of at most [`stream::BLOCK_SAMPLES`]
/// samples is read whole and coded in the single-stream layout of its coder (FORMAT.md §4,
/// §7.7); a longer one is streamed (§7.9) on [`stream::workers`]`(threads)` threads, in
/// bounded memory. Nothing is read beyond `total` (a pipe: beyond the data chunk
/// and [`MAX_WAV_EXTRA`] bytes after it).
pub fn compress_reader(
    input: &mut dyn Read,
    total: Option<u64>,
    out: &mut dyn Write,
    coder: &CoderSpec,
    threads: usize,
) -> Result<CompressStats, Error> {
    let mut total = total;
    let mut buf = Vec::new();
    let first = total.map_or(64 << 10, |t| t.min(64 << 10));
    match total {
        Some(t) => {
            // a file that may be read whole (the single-stream layouts; a few MB at most):
            // one buffer of its size from the start
            if t <= 2 * stream::BLOCK_SAMPLES as u64 + (64 << 10) {
                buf.reserve_exact(t as usize);
            }
            fill_known(input, &mut buf, first as usize)?;
        }
        None => fill(input, &mut buf, first)?,
    }
    if (buf.len() as u64) < first {
        total = Some(buf.len() as u64); // the input ended
    }
    let layout = loop {
        match scan(&buf, total)? {
            Scan::NeedBytes(n) => {
                if n > MAX_WAV_EXTRA + 8 {
                    return Err(Error::UnsupportedWav(format!(
                        "more than {MAX_WAV_EXTRA} bytes of chunks before the samples"
                    )));
                }
                let ahead = (2 * buf.len() as u64).max(64 << 10);
                let want = (n as u64).max(total.map_or(ahead, |t| t.min(ahead)));
                fill(input, &mut buf, want)?;
                if buf.len() < n {
                    total = Some(buf.len() as u64); // the input ended: scan says what is missing
                }
            }
            Scan::Found(l) => break l,
        }
    };
    let data_end = (layout.data_start + layout.data_len) as u64;
    if layout.data_start > MAX_WAV_EXTRA {
        return Err(Error::UnsupportedWav(format!(
            "{} bytes of chunks before the samples (at most {MAX_WAV_EXTRA})",
            layout.data_start
        )));
    }
    if let Some(t) = total {
        if t - data_end > MAX_WAV_EXTRA as u64 {
            return Err(Error::UnsupportedWav(format!(
                "{} bytes of chunks after the samples (at most {MAX_WAV_EXTRA})",
                t - data_end
            )));
        }
    }
    let samples = layout.data_len as u64 / 2;
    if !coder.kind().writes_blocks(samples) {
        // small: read whole, the single-stream layouts (byte for byte as before)
        match total {
            // bounded: the samples fit the single-stream layout (at most 4 MB) and the
            // bytes around them were checked above (at most MAX_WAV_EXTRA each side)
            Some(t) => fill_known(input, &mut buf, t as usize)?,
            None => {
                let limit = data_end + MAX_WAV_EXTRA as u64;
                fill(input, &mut buf, limit + 1)?;
                if buf.len() as u64 > limit {
                    return Err(Error::UnsupportedWav(format!(
                        "more than {MAX_WAV_EXTRA} bytes of chunks after the samples"
                    )));
                }
            }
        }
        if (buf.len() as u64) < data_end {
            return Err(Error::TruncatedWav(format!(
                "the data chunk declares {} bytes but the input ends after {}",
                layout.data_len,
                buf.len().saturating_sub(layout.data_start)
            )));
        }
        let (nrc, stats) = single::compress(&buf, coder)?;
        out.write_all(&nrc)
            .map_err(|e| io_err("cannot write the output", e))?;
        return Ok(stats);
    }
    stream::compress(input, buf, &layout, total, out, coder, threads)
}

/// Decodes a `.nrc` stream read from `input` (a file of `total` bytes, or a pipe: `None`) into
/// `out`. A streamed container (FORMAT.md §7.9) is read and decoded block by block in bounded
/// memory; damage to a block loses only that block, and every other block is still decoded
/// and checked; the report lists what was lost. A single-stream container (§4, §7.7) is read
/// whole (it is at most as large as a WAV of [`stream::BLOCK_SAMPLES`] samples when this
/// build wrote it), but never beyond the bound its header sets ([`Header::max_stream_bytes`]:
/// a longer file is refused unread, a pipe one byte past it), and any damage refuses it
/// whole. `Err` means nothing could be decoded: not a stream, a damaged header, an I/O error.
pub fn decompress_reader(
    input: &mut dyn Read,
    total: Option<u64>,
    out: &mut dyn Write,
    opts: DecodeOptions,
) -> Result<DecodeReport, Error> {
    let mut start = Vec::new();
    fill(input, &mut start, 6)?;
    check_signature(&start)?;
    if !is_streamed_container(&start) {
        // single stream: read whole, but never more than its header allows (a file's size
        // checked before reading it, a pipe read to one byte past the bound)
        fill(input, &mut start, MAX_HEADER_BYTES as u64)?;
        if start.len() == MAX_HEADER_BYTES {
            let limit = check_header(&start)?.max_stream_bytes();
            let too_long = |n: String| {
                Error::Corrupt(format!(
                    "{n} bytes: longer than any .nrc stream with its header"
                ))
            };
            if let Some(t) = total.filter(|&t| t > limit) {
                return Err(too_long(format!("{t} (at most {limit})")));
            }
            fill(input, &mut start, total.unwrap_or(limit + 1))?;
            if start.len() as u64 > limit {
                return Err(too_long(format!("more than {limit}")));
            }
        }
        if opts.check_only {
            let header = single::read_header(&start)?;
            return Ok(DecodeReport {
                header,
                blocks: 1,
                lost: Vec::new(),
                problems: Vec::new(),
                written: 0,
                wav_checksum: None,
            });
        }
        let (header, wav) = single::decompress(&start)?;
        out.write_all(&wav)
            .and_then(|_| out.flush())
            .map_err(|e| io_err("cannot write the output", e))?;
        return Ok(DecodeReport {
            header,
            blocks: 1,
            lost: Vec::new(),
            problems: Vec::new(),
            written: wav.len() as u64,
            wav_checksum: Some(true), // checked by the single-stream decoder
        });
    }
    stream::decompress(input, &start, out, opts)
}
