//! The streamed layout (FORMAT.md §7.9): recordings of any length coded in independent
//! blocks, read and written incrementally, encoded and decoded on several threads with a
//! bounded amount of memory in flight.
//!
//! A streamed container is container version 2 with the `STREAM` flag: each block carries its
//! own mode (grid or raw) and exceptions, so nothing about the samples has to be known before
//! the first block is written; the WAV's trailing chunks and its CRC-32 follow the last block.
//! With the `LITE` flag the blocks are coded by coder v1, each block's bit stream padded to a
//! byte; without it by coder v2.
//!
//! [`crate::container`] is the front door that picks this layout for inputs of more than
//! [`BLOCK_SAMPLES`] samples; smaller ones keep the single-stream layouts of §4 and §7.7
//! byte for byte. By concern:
//! * [`header`]: the streamed header ([`StreamHeader`]), written and read back;
//! * `block`: one block's record (mode, exceptions, coded bytes), encoded and decoded;
//! * `pipeline`: the worker threads that code blocks in order with bounded memory;
//! * this module: [`compress`] and [`decompress`] of the whole layout.

use std::io::{Read, Write};

use crate::format::Mode;
use crate::io::{fill, io_err, read_full};
use crate::report::{push_lost, CompressStats, DecodeOptions, DecodeReport, LostBlock};
use crate::wav::{canonical_header, Layout};
use crate::{CoderSpec, Error};

mod block;
pub mod header;
mod pipeline;

use block::{decode_block, encode_block};
pub use header::StreamHeader;
use header::{read_stream_header, In};
use pipeline::pipeline;

/// Samples per block the encoder aims at (all channels): inputs with more samples than this
/// are streamed, in blocks of `max(1, BLOCK_SAMPLES / channels)` frames.
pub const BLOCK_SAMPLES: usize = 1 << 21;
/// The most samples a block of a streamed container may hold (a decoder refuses more): what
/// bounds the decoder's memory per block.
pub const MAX_BLOCK_SAMPLES: u64 = 1 << 22;
/// The most bytes of WAV header (everything before the samples) or of trailing chunks a
/// streamed container carries; a WAV with more is refused.
pub const MAX_WAV_EXTRA: usize = 16 << 20;
/// The most worker threads a stream uses (each holds up to about 30 MB).
pub const MAX_WORKERS: usize = 4;
/// The most input bytes handed to the workers and not yet written out.
const MAX_BYTES_IN_FLIGHT: usize = 32 << 20;
/// A WAV's largest size: its RIFF sizes are 32-bit.
pub(crate) const MAX_WAV_BYTES: u64 = u32::MAX as u64 + 8;

/// The most bytes a block record's contents of `samples` samples can take (mode byte,
/// exception count, exceptions, coded bytes in either mode): what a decoder accepts as a
/// block length.
pub fn max_block_bytes(coder: &CoderSpec, samples: u64) -> u64 {
    5 + 6 * samples + coder.max_coded_bytes(samples)
}

/// Frames per block for `channels` channels: [`BLOCK_SAMPLES`] samples, at least one frame.
pub fn block_frames(channels: u16) -> u32 {
    (BLOCK_SAMPLES / channels.max(1) as usize).max(1) as u32
}

/// Whether an input of `samples` samples is streamed (else it keeps the single-stream layout).
pub fn is_streamed(samples: u64) -> bool {
    samples > BLOCK_SAMPLES as u64
}

/// The worker threads to use when `threads` are asked for (0: all cores), at most
/// [`MAX_WORKERS`].
pub fn workers(threads: usize) -> usize {
    let n = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    n.clamp(1, MAX_WORKERS)
}

// ---- compression -----------------------------------------------------------------------

/// A writer that counts its bytes and hashes them (the container CRC).
struct Out<'a> {
    w: &'a mut dyn Write,
    crc: crc32fast::Hasher,
    bytes: u64,
}

impl Out<'_> {
    fn put(&mut self, b: &[u8]) -> Result<(), Error> {
        self.w
            .write_all(b)
            .map_err(|e| io_err("cannot write the output", e))?;
        self.crc.update(b);
        self.bytes += b.len() as u64;
        Ok(())
    }
}

/// Compresses the rest of a WAV in the streamed layout: `buf` holds the bytes read so far (at
/// least the header up to the samples, as `layout` describes it), `input` the rest (`total`
/// bytes in all, or a pipe: `None`). Blocks are coded on [`workers`]`(threads)` threads.
/// Nothing is read beyond `total` (a pipe: beyond the data chunk and [`MAX_WAV_EXTRA`] bytes
/// after it).
pub(crate) fn compress(
    input: &mut dyn Read,
    mut buf: Vec<u8>,
    layout: &Layout,
    total: Option<u64>,
    out: &mut dyn Write,
    coder: &CoderSpec,
    threads: usize,
) -> Result<CompressStats, Error> {
    let data_end = (layout.data_start + layout.data_len) as u64;
    let samples = layout.data_len as u64 / 2;
    let channels = layout.format.channels;
    let rate = layout.format.sample_rate;
    let frames = (samples / channels as u64) as u32;
    let fb = block_frames(channels);
    let blocks = frames.div_ceil(fb);
    let prefix = buf[..layout.data_start].to_vec();
    let canonical = prefix[..] == canonical_header(channels, rate, layout.data_len as u32)[..];
    let header = StreamHeader {
        coder: *coder,
        block_frames: fb,
        channels,
        sample_rate: rate,
        frames,
        blocks,
        prefix: (!canonical).then(|| prefix.clone()),
    };
    let mut o = Out {
        w: out,
        crc: crc32fast::Hasher::new(),
        bytes: 0,
    };
    o.put(&header.to_bytes())?;
    let mut wav_crc = crc32fast::Hasher::new();
    wav_crc.update(&prefix);
    // bytes already read past the header: the first samples (and, for a tiny data chunk, more)
    let mut pending: Vec<u8> = buf.split_off(layout.data_start);
    drop(buf);
    let mut pending_pos = 0usize;
    let mut data_left = layout.data_len as u64;
    let frame_bytes = 2 * channels as usize;
    let mut stats = CompressStats {
        coder: coder.kind(),
        mode: Mode::Grid10,
        channels,
        samples,
        wav_bytes: 0,
        nrc_bytes: 0,
        payload_bits: 0,
        exceptions: 0,
        escapes: 0,
        s_histogram: vec![0; coder.golomb().s_max() as usize + 1],
    };
    let mut raw_blocks = 0u32;
    let chans = channels as usize;
    pipeline(
        workers(threads),
        || {
            if data_left == 0 {
                return Ok(None);
            }
            let n = (fb as u64 * frame_bytes as u64).min(data_left) as usize;
            let from_pending = (pending.len() - pending_pos).min(n);
            // read into the block's own buffer, not zeroed first
            let mut pcm = Vec::with_capacity(n);
            pcm.extend_from_slice(&pending[pending_pos..pending_pos + from_pending]);
            pending_pos += from_pending;
            if pending_pos == pending.len() && !pending.is_empty() {
                pending = Vec::new();
                pending_pos = 0;
            }
            fill(input, &mut pcm, n as u64)?;
            let got = pcm.len();
            if got < n {
                return Err(Error::TruncatedWav(format!(
                    "the data chunk declares {} bytes but the input ends after {}",
                    layout.data_len,
                    layout.data_len as u64 - data_left + got as u64
                )));
            }
            data_left -= n as u64;
            wav_crc.update(&pcm);
            Ok(Some((pcm, n)))
        },
        |pcm: Vec<u8>| encode_block(coder, chans, &pcm),
        |r| {
            let (rec, st) = r?;
            o.put(&rec)?;
            raw_blocks += st.raw as u32;
            stats.exceptions += st.exceptions;
            stats.escapes += st.escapes;
            stats.payload_bits += 8 * st.coded_bytes;
            if stats.s_histogram.len() < st.s_histogram.len() {
                stats.s_histogram.resize(st.s_histogram.len(), 0);
            }
            for (a, b) in stats.s_histogram.iter_mut().zip(&st.s_histogram) {
                *a += b;
            }
            Ok(())
        },
    )?;
    // the trailing chunks: what was read ahead beyond the data, then the rest of the input
    let mut suffix = pending.split_off(pending_pos);
    drop(pending);
    let limit = match total {
        Some(t) => t - data_end,
        None => MAX_WAV_EXTRA as u64 + 1,
    };
    fill(input, &mut suffix, limit)?;
    if suffix.len() > MAX_WAV_EXTRA || data_end + suffix.len() as u64 > MAX_WAV_BYTES {
        return Err(Error::UnsupportedWav(format!(
            "more than {MAX_WAV_EXTRA} bytes of chunks after the samples"
        )));
    }
    if (suffix.len() as u64) < limit && total.is_some() {
        return Err(Error::TruncatedWav(
            "the input ends before its trailing chunks".into(),
        ));
    }
    wav_crc.update(&suffix);
    o.put(&(suffix.len() as u32).to_le_bytes())?;
    o.put(&suffix)?;
    o.put(&wav_crc.finalize().to_le_bytes())?;
    let crc = o.crc.clone().finalize();
    o.put(&crc.to_le_bytes())?;
    o.w.flush()
        .map_err(|e| io_err("cannot write the output", e))?;
    if raw_blocks == blocks {
        stats.mode = Mode::Raw16;
    }
    stats.wav_bytes = data_end + suffix.len() as u64;
    stats.nrc_bytes = o.bytes;
    Ok(stats)
}

// ---- decompression ---------------------------------------------------------------------

/// Writes `n` zero bytes through `put` in pieces of at most 1 MiB.
fn put_zeros(n: u64, put: &mut impl FnMut(&[u8]) -> Result<(), Error>) -> Result<(), Error> {
    let zeros = vec![0u8; n.min(1 << 20) as usize];
    let mut left = n;
    while left > 0 {
        let k = left.min(zeros.len() as u64) as usize;
        put(&zeros[..k])?;
        left -= k as u64;
    }
    Ok(())
}

/// Decodes a streamed container whose first bytes (magic, version, flags) are `start`, the
/// rest read from `input`, into `out`, block by block in bounded memory: damage to a block
/// loses only that block, every other block is still decoded and checked, and the report
/// lists what was lost. `Err` means nothing could be decoded: a damaged header, an I/O error.
pub(crate) fn decompress(
    input: &mut dyn Read,
    start: &[u8],
    out: &mut dyn Write,
    opts: DecodeOptions,
) -> Result<DecodeReport, Error> {
    let mut r = In {
        r: input,
        crc: crc32fast::Hasher::new(),
        pos: 6,
    };
    r.crc.update(start);
    let h = read_stream_header(&mut r, start)?;
    let chans = h.channels as usize;
    let mut written = 0u64;
    let mut writing = !opts.check_only;
    let mut put = |b: &[u8], writing: bool| -> Result<(), Error> {
        if writing {
            out.write_all(b)
                .map_err(|e| io_err("cannot write the output", e))?;
            written += b.len() as u64;
        }
        Ok(())
    };
    let prefix = h.wav_prefix();
    let mut wav_crc = crc32fast::Hasher::new();
    wav_crc.update(&prefix);
    put(&prefix, writing)?;
    let mut lost: Vec<LostBlock> = Vec::new();
    let mut problems = Vec::new();
    // Framing damage (a block header that cannot be right, or the stream ending) ends the
    // reading: the blocks after it cannot be found.
    let mut framing: Option<(u32, String)> = None;
    let mut next = 0u32;
    let mut first_frame = 0u64;
    let lose = |k: u32, first: u64, reason: String| LostBlock {
        block: k,
        blocks: 1,
        first_frame: first,
        frames: h.frames_of(k) as u64,
        samples: h.frames_of(k) as u64 * chans as u64,
        reason,
    };
    pipeline(
        workers(opts.threads),
        || {
            if framing.is_some() || next == h.blocks {
                return Ok(None);
            }
            let k = next;
            let want = h.frames_of(k);
            let head = match r.take(12, "block header") {
                Ok(b) => b,
                Err(Error::Corrupt(e)) => {
                    framing = Some((k, e));
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            let le = |at: usize| u32::from_le_bytes(head[at..at + 4].try_into().expect("4"));
            let (frames, len, crc) = (le(0), le(4), le(8));
            let bound = max_block_bytes(&h.coder, want as u64 * chans as u64);
            if frames != want || len as u64 > bound {
                framing = Some((
                    k,
                    format!(
                        "block header damaged at byte {} ({frames} frames of {want} expected, {len} bytes of at most {bound})",
                        r.pos - 12
                    ),
                ));
                return Ok(None);
            }
            let data = match r.take(len as u64, "block") {
                Ok(b) => b,
                Err(Error::Corrupt(e)) => {
                    framing = Some((k, e));
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            next += 1;
            Ok(Some(((k, frames, crc, data), len as usize)))
        },
        |(k, frames, crc, data): (u32, u32, u32, Vec<u8>)| {
            let r = if crc32fast::hash(&data) != crc {
                Err("fails its CRC-32".to_string())
            } else if opts.check_only {
                Ok(Vec::new())
            } else {
                decode_block(&h.coder, chans, frames, &data).map_err(|e| e.to_string())
            };
            (k, frames, r)
        },
        |(k, frames, res)| {
            match res {
                Ok(pcm) => {
                    wav_crc.update(&pcm);
                    put(&pcm, writing)?;
                }
                Err(reason) => {
                    push_lost(&mut lost, lose(k, first_frame, reason));
                    if opts.recover && writing {
                        let zeros = vec![0u8; 2 * frames as usize * chans];
                        wav_crc.update(&zeros);
                        put(&zeros, writing)?;
                    } else {
                        writing = false;
                    }
                }
            }
            first_frame += frames as u64;
            Ok(())
        },
    )?;
    if let Some((k, reason)) = framing {
        // every block from k on is lost (one run); zeros for them when recovering
        let frames = h.frames as u64 - first_frame;
        push_lost(
            &mut lost,
            LostBlock {
                block: k,
                blocks: h.blocks - k,
                first_frame,
                frames,
                samples: frames * chans as u64,
                reason: if k + 1 < h.blocks {
                    format!("{reason}; the blocks after it cannot be found")
                } else {
                    reason
                },
            },
        );
        if opts.recover && writing {
            put_zeros(2 * frames * chans as u64, &mut |b| put(b, true))?;
        }
        return Ok(DecodeReport {
            header: h.header(0),
            blocks: h.blocks,
            lost,
            problems: vec!["the WAV's trailing chunks and CRC-32 are lost with the blocks".into()],
            written,
        });
    }
    // the trailer: trailing chunks, the WAV's CRC-32, the container CRC-32
    let mut stored_wav_crc = 0;
    let trailer = (|| -> Result<(), Error> {
        let n = r.u32("trailer")? as u64;
        if n > MAX_WAV_EXTRA as u64
            || 8 + h.wav_prefix().len() as u64 + h.data_len() + n > MAX_WAV_BYTES
        {
            return Err(Error::Corrupt(format!("trailing WAV chunks of {n} bytes")));
        }
        let suffix = r.take(n, "trailer")?;
        stored_wav_crc = r.u32("trailer")?;
        let computed = r.crc.clone().finalize();
        let stored = r.u32("container CRC-32")?;
        let mut extra = [0u8; 1];
        if read_full(r.r, &mut extra).map_err(|e| io_err("cannot read the input", e))? != 0 {
            return Err(Error::Corrupt("bytes after the container CRC-32".into()));
        }
        if stored != computed {
            return Err(Error::Checksum { stored, computed });
        }
        wav_crc.update(&suffix);
        put(&suffix, writing)?;
        Ok(())
    })();
    match trailer {
        Ok(()) => {
            let c = wav_crc.finalize();
            if lost.is_empty() && !opts.check_only && c != stored_wav_crc {
                problems.push(format!(
                    "decoded WAV checksum {c:#010x} differs from the original's {stored_wav_crc:#010x}"
                ));
            }
        }
        Err(Error::Io(e)) => return Err(Error::Io(e)),
        // implied by the lost blocks
        Err(Error::Checksum { .. }) if !lost.is_empty() => {}
        Err(Error::Checksum { stored, computed }) => problems.push(format!(
            "container checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
        )),
        Err(Error::Corrupt(e)) => problems.push(e),
        Err(e) => problems.push(e.to_string()),
    }
    out.flush()
        .map_err(|e| io_err("cannot write the output", e))?;
    Ok(DecodeReport {
        header: h.header(stored_wav_crc),
        blocks: h.blocks,
        lost,
        problems,
        written,
    })
}
