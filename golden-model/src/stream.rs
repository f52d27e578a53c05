//! The streamed container (FORMAT.md §7.9): recordings of any length coded in independent
//! blocks, read and written incrementally, encoded and decoded on several threads with a
//! bounded amount of memory in flight.
//!
//! A streamed container is container version 2 with the `STREAM` flag: each block carries its
//! own mode (grid or raw) and exceptions, so nothing about the samples has to be known before
//! the first block is written; the WAV's trailing chunks and its CRC-32 follow the last block.
//! With the `LITE` flag the blocks are coded by coder v1, each block's bit stream padded to a
//! byte; without it by coder v2. Inputs of at most [`BLOCK_SAMPLES`] samples keep the single
//! stream layouts of §4 and §7.7 byte for byte (the known-answer vectors and every small file
//! compress exactly as before).

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Mutex};

use crate::coder::{decode_padded, encode_bytes};
use crate::container::{
    read_v1_params, read_v2_params, write_v2_params, CompressStats, Header, Mode, Reader, MAGIC,
    VERSION, VERSION_V2,
};
use crate::grid::{index_table, value_table, OFF_GRID};
use crate::v2::{self, V2Params};
use crate::wav::{canonical_header, scan, Scan};
use crate::{CodecParams, Coder, Error};

/// Flag (container version 2 only, with [`FLAG_STREAM`]): the blocks are coded by coder v1.
pub const FLAG_LITE: u8 = 1 << 2;
/// Flag (container version 2 only): the streamed layout of FORMAT.md §7.9.
pub const FLAG_STREAM: u8 = 1 << 3;
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
const MAX_WAV_BYTES: u64 = u32::MAX as u64 + 8;

/// The coder of a streamed container with its grid-mode (W = 10) parameters; a raw block uses
/// the same parameters with W = 16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockCoder {
    Lite(CodecParams),
    Max(V2Params),
}

impl BlockCoder {
    /// The default parameters of `coder`.
    pub fn of(coder: Coder) -> BlockCoder {
        match coder {
            Coder::Lite => BlockCoder::Lite(CodecParams::HARDWARE),
            Coder::Max => BlockCoder::Max(V2Params::HARDWARE),
        }
    }

    pub fn coder(&self) -> Coder {
        match self {
            BlockCoder::Lite(_) => Coder::Lite,
            BlockCoder::Max(_) => Coder::Max,
        }
    }

    fn golomb(&self) -> CodecParams {
        match self {
            BlockCoder::Lite(p) => *p,
            BlockCoder::Max(p) => p.golomb,
        }
    }

    /// The most bytes a block of `samples` samples can take (mode byte, exception count,
    /// exceptions, coded bytes in raw mode): what a decoder accepts as a block length.
    pub fn max_block_bytes(&self, samples: u64) -> u64 {
        let g = self.golomb();
        let coded = match self {
            BlockCoder::Lite(_) => (samples * (g.qmax + 16) as u64).div_ceil(8),
            // a context-coded bin costs at most 12 bits, a bypass bit one; 5 bytes of flush
            BlockCoder::Max(_) => {
                (samples * ((g.qmax + 2) as u64 * 12 + (g.qmax + 16) as u64)).div_ceil(8) + 5
            }
        };
        5 + 6 * samples + coded
    }
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

fn io_err(what: &str, e: std::io::Error) -> Error {
    Error::Io(format!("{what}: {e}"))
}

// ---- blocks ----------------------------------------------------------------------------

/// What coding one block produced besides its bytes.
#[derive(Clone, Debug, Default)]
struct BlockStats {
    raw: bool,
    exceptions: u64,
    escapes: u64,
    coded_bytes: u64,
    s_histogram: Vec<u64>,
}

/// Codes one block's coded bytes for `values` (already mapped) with `coder` at width `w`.
fn code_values(
    coder: &BlockCoder,
    raw: bool,
    channels: usize,
    values: &[u32],
) -> Result<(Vec<u8>, u64, Vec<u64>), Error> {
    match coder {
        BlockCoder::Lite(p) => {
            let p = if raw {
                CodecParams {
                    sample_bits: 16,
                    ..*p
                }
            } else {
                *p
            };
            let (bytes, st) = encode_bytes(&p, channels, values)?;
            Ok((bytes, st.escapes, st.s_histogram))
        }
        BlockCoder::Max(p) => {
            let p = p.with_sample_bits(if raw { 16 } else { 10 });
            let mut st = v2::EncodeStats::default();
            let bytes = v2::encode_block(&p, channels, values, &mut st);
            Ok((bytes, st.escapes, st.s_histogram))
        }
    }
}

/// Encodes one block of whole frames given as 16-bit little-endian PCM bytes: the block's
/// record (frames, length, CRC-32, contents; FORMAT.md §7.9) and its statistics.
fn encode_block(
    coder: &BlockCoder,
    channels: usize,
    pcm: &[u8],
) -> Result<(Vec<u8>, BlockStats), Error> {
    let table = index_table();
    let n = pcm.len() / 2;
    // one pass without branches for the grid indices (and whether any sample is off the
    // grid; in a closure, `off` would live in memory: one store-to-load wait per sample)
    let (mut grid, mut off) = (Vec::with_capacity(n), 0u16);
    for c in pcm.chunks_exact(2) {
        let e = table[u16::from_le_bytes([c[0], c[1]]) as usize];
        off |= e;
        grid.push((e & !OFF_GRID) as u32);
    }
    let mut exceptions: Vec<(u32, i16)> = Vec::new();
    if off & OFF_GRID != 0 {
        for (i, c) in pcm.chunks_exact(2).enumerate() {
            let v = u16::from_le_bytes([c[0], c[1]]);
            if table[v as usize] & OFF_GRID != 0 {
                exceptions.push((i as u32, v as i16));
            }
        }
    }
    let (mut coded, mut escapes, mut hist) = code_values(coder, false, channels, &grid)?;
    let mut raw = false;
    if !exceptions.is_empty() {
        // the raw patterns of v1 (`v as u16`) and v2 (offset binary), as FORMAT.md §4, §7.7
        let flip = if matches!(coder, BlockCoder::Max(_)) {
            0x8000
        } else {
            0
        };
        drop(grid);
        let values: Vec<u32> = pcm
            .chunks_exact(2)
            .map(|c| (u16::from_le_bytes([c[0], c[1]]) ^ flip) as u32)
            .collect();
        let (rc, re, rh) = code_values(coder, true, channels, &values)?;
        if rc.len() < coded.len() + 6 * exceptions.len() {
            (coded, escapes, hist, raw) = (rc, re, rh, true);
            exceptions.clear();
        }
    }
    let len = 5 + 6 * exceptions.len() + coded.len();
    let mut rec = Vec::with_capacity(12 + len);
    rec.extend_from_slice(&((n / channels) as u32).to_le_bytes());
    rec.extend_from_slice(&(len as u32).to_le_bytes());
    rec.extend_from_slice(&[0; 4]); // CRC-32, below
    rec.push(raw as u8);
    rec.extend_from_slice(&(exceptions.len() as u32).to_le_bytes());
    for (pos, v) in &exceptions {
        rec.extend_from_slice(&pos.to_le_bytes());
        rec.extend_from_slice(&v.to_le_bytes());
    }
    rec.extend_from_slice(&coded);
    let crc = crc32fast::hash(&rec[12..]);
    rec[8..12].copy_from_slice(&crc.to_le_bytes());
    let stats = BlockStats {
        raw,
        exceptions: exceptions.len() as u64,
        escapes,
        coded_bytes: coded.len() as u64,
        s_histogram: hist,
    };
    Ok((rec, stats))
}

/// Decodes the contents of one block (after its CRC has been checked) into 16-bit
/// little-endian PCM bytes.
fn decode_block(
    coder: &BlockCoder,
    channels: usize,
    frames: u32,
    data: &[u8],
) -> Result<Vec<u8>, Error> {
    let count = frames as usize * channels;
    let mut r = Reader { b: data, pos: 0 };
    let mode = r.u8("block mode")?;
    if mode > 1 {
        return Err(Error::Corrupt(format!("block mode {mode} (0 grid, 1 raw)")));
    }
    let raw = mode == 1;
    let n_exc = r.u32("block exception count")? as usize;
    if raw && n_exc != 0 {
        return Err(Error::Corrupt("exceptions in a raw-mode block".into()));
    }
    if n_exc as u64 * 6 > (data.len() - r.pos) as u64 {
        return Err(Error::Corrupt(format!(
            "{n_exc} exceptions do not fit in the block"
        )));
    }
    let mut exceptions = Vec::with_capacity(n_exc);
    let mut last: Option<u32> = None;
    for _ in 0..n_exc {
        let pos = r.u32("block exceptions")?;
        let v = r.u16("block exceptions")? as i16;
        if pos as usize >= count || last.is_some_and(|l| pos <= l) {
            return Err(Error::Corrupt(format!(
                "block exception at sample {pos}: beyond the block's {count} samples or out of order"
            )));
        }
        last = Some(pos);
        exceptions.push((pos, v));
    }
    let coded = &data[r.pos..];
    let values = match coder {
        BlockCoder::Lite(p) => {
            let p = if raw {
                CodecParams {
                    sample_bits: 16,
                    ..*p
                }
            } else {
                *p
            };
            decode_padded(&p, channels, count, coded)?
        }
        BlockCoder::Max(p) => {
            let p = p.with_sample_bits(if raw { 16 } else { 10 });
            let mut out = Vec::new();
            v2::decode_block(&p, channels, frames, coded, &mut out)?;
            out
        }
    };
    let mut pcm = vec![0u8; 2 * values.len()];
    if raw {
        let flip = if matches!(coder, BlockCoder::Max(_)) {
            0x8000
        } else {
            0
        };
        for (o, v) in pcm.chunks_exact_mut(2).zip(values) {
            o.copy_from_slice(&(v as u16 ^ flip).to_le_bytes());
        }
    } else {
        let t = value_table();
        for (o, k) in pcm.chunks_exact_mut(2).zip(values) {
            o.copy_from_slice(&t[k as usize & 1023].to_le_bytes());
        }
    }
    for (pos, v) in exceptions {
        let at = 2 * pos as usize;
        pcm[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    Ok(pcm)
}

// ---- the worker pipeline ---------------------------------------------------------------

/// Runs `work` on the jobs `produce` yields, on `workers` threads, and hands the results to
/// `consume` in the jobs' order. At most `workers + 2` jobs, and (beyond the first) at most
/// [`MAX_BYTES_IN_FLIGHT`] of their declared weight, are between `produce` and `consume` at
/// any time: what bounds the memory.
fn pipeline<J: Send, R: Send>(
    workers: usize,
    mut produce: impl FnMut() -> Result<Option<(J, usize)>, Error>,
    work: impl Fn(J) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), Error>,
) -> Result<(), Error> {
    if workers <= 1 {
        while let Some((job, _)) = produce()? {
            consume(work(job))?;
        }
        return Ok(());
    }
    let max_jobs = workers + 2;
    let (job_tx, job_rx) = mpsc::channel::<(usize, J)>();
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = mpsc::channel::<(usize, std::thread::Result<R>)>();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (job_rx, res_tx, work) = (&job_rx, res_tx.clone(), &work);
            s.spawn(move || loop {
                let next = job_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((i, job))) = next else { break };
                let r = catch_unwind(AssertUnwindSafe(|| work(job)));
                if res_tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(res_tx);
        let mut run = || -> Result<(), Error> {
            let mut pending = BTreeMap::new();
            let mut weights = VecDeque::new();
            let (mut sent, mut done, mut bytes, mut ended) = (0usize, 0usize, 0usize, false);
            loop {
                while !ended
                    && (sent == done || (sent - done < max_jobs && bytes < MAX_BYTES_IN_FLIGHT))
                {
                    match produce()? {
                        Some((job, w)) => {
                            job_tx
                                .send((sent, job))
                                .expect("the workers live as long as the jobs");
                            weights.push_back(w);
                            bytes += w;
                            sent += 1;
                        }
                        None => ended = true,
                    }
                }
                if done == sent {
                    return Ok(());
                }
                let (i, r) = res_rx.recv().expect("a worker answers every job");
                pending.insert(i, r);
                while let Some(r) = pending.remove(&done) {
                    bytes -= weights.pop_front().unwrap_or(0);
                    done += 1;
                    match r {
                        Ok(r) => consume(r)?,
                        Err(panic) => resume_unwind(panic),
                    }
                }
            }
        };
        let r = run();
        drop(job_tx);
        r
    })
}

// ---- compression -----------------------------------------------------------------------

/// Reads exactly `buf.len()` bytes unless the input ends first; returns how many were read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads on until `buf` holds `n` bytes or the input ends (never more than `n`).
fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, n: u64) -> Result<(), Error> {
    let have = buf.len() as u64;
    if n > have {
        r.take(n - have)
            .read_to_end(buf)
            .map_err(|e| io_err("cannot read the input", e))?;
    }
    Ok(())
}

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

/// Compresses a WAV read from `input` (a file of `total` bytes, or a pipe: `None`) into
/// `out`, header first: a WAV the codec does not take, or whose header declares more than the
/// file holds, is refused before anything is written. An input of at most [`BLOCK_SAMPLES`]
/// samples is read whole and coded exactly as [`crate::compress_wav_with`] codes it (the
/// single-stream layouts); a longer one is streamed (FORMAT.md §7.9) on [`workers`]`(threads)`
/// threads, in bounded memory. Nothing is read beyond `total` (a pipe: beyond the data chunk
/// and [`MAX_WAV_EXTRA`] bytes after it).
pub fn compress_stream(
    input: &mut dyn Read,
    total: Option<u64>,
    out: &mut dyn Write,
    coder: Coder,
    threads: usize,
) -> Result<CompressStats, Error> {
    let mut total = total;
    let mut buf = Vec::new();
    let first = total.map_or(64 << 10, |t| t.min(64 << 10));
    fill(input, &mut buf, first)?;
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
    if !is_streamed(samples) {
        // small: read whole, the single-stream layouts (byte for byte as before)
        match total {
            Some(t) => fill(input, &mut buf, t)?,
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
        let (nrc, stats) = crate::container::compress_single(&buf, coder)?;
        out.write_all(&nrc)
            .map_err(|e| io_err("cannot write the output", e))?;
        return Ok(stats);
    }
    let channels = layout.format.channels;
    let rate = layout.format.sample_rate;
    let frames = (samples / channels as u64) as u32;
    let fb = block_frames(channels);
    let blocks = frames.div_ceil(fb);
    let bc = BlockCoder::of(coder);
    let prefix = buf[..layout.data_start].to_vec();
    let canonical = prefix[..] == canonical_header(channels, rate, layout.data_len as u32)[..];
    let header = StreamHeader {
        coder: bc,
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
        coder,
        mode: Mode::Grid10,
        channels,
        samples,
        wav_bytes: 0,
        nrc_bytes: 0,
        payload_bits: 0,
        exceptions: 0,
        escapes: 0,
        s_histogram: vec![0; bc.golomb().s_max() as usize + 1],
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
        |pcm: Vec<u8>| encode_block(&bc, chans, &pcm),
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

// ---- the header ------------------------------------------------------------------------

/// The header of a streamed container (FORMAT.md §7.9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamHeader {
    pub coder: BlockCoder,
    pub block_frames: u32,
    pub channels: u16,
    pub sample_rate: u32,
    pub frames: u32,
    pub blocks: u32,
    /// The WAV header when it is not the canonical one.
    pub prefix: Option<Vec<u8>>,
}

impl StreamHeader {
    fn flags(&self) -> u8 {
        FLAG_STREAM
            | if self.prefix.is_none() {
                crate::container::FLAG_CANONICAL
            } else {
                0
            }
            | if matches!(self.coder, BlockCoder::Lite(_)) {
                FLAG_LITE
            } else {
                0
            }
    }

    /// The header's bytes, from the magic to the header CRC-32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION_V2);
        out.push(self.flags());
        match &self.coder {
            BlockCoder::Lite(p) => {
                for v in [p.sample_bits, p.qmax, p.window_log2, p.thr_num, p.thr_shift] {
                    out.push(v as u8);
                }
                out.extend_from_slice(&self.block_frames.to_le_bytes());
            }
            BlockCoder::Max(p) => write_v2_params(
                &mut out,
                &V2Params {
                    block_frames: self.block_frames,
                    ..*p
                },
            ),
        }
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&self.frames.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // the WAV's CRC-32 is in the trailer
        if let Some(p) = &self.prefix {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
            out.extend_from_slice(p);
        }
        out.extend_from_slice(&self.blocks.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// The WAV header: the stored one, or the canonical one.
    pub fn wav_prefix(&self) -> Vec<u8> {
        self.prefix.clone().unwrap_or_else(|| {
            canonical_header(self.channels, self.sample_rate, self.data_len() as u32).to_vec()
        })
    }

    /// Bytes of samples.
    pub fn data_len(&self) -> u64 {
        2 * self.channels as u64 * self.frames as u64
    }

    /// Frames of block `k`.
    pub fn frames_of(&self, k: u32) -> u32 {
        if k + 1 < self.blocks {
            self.block_frames
        } else {
            self.frames - (self.blocks - 1) * self.block_frames
        }
    }

    /// The container header of this stream, as [`crate::container::read_header`] gives it.
    pub fn header(&self, wav_crc: u32) -> Header {
        let (params, v2) = match self.coder {
            BlockCoder::Lite(p) => (p, None),
            BlockCoder::Max(p) => (
                p.golomb,
                Some(V2Params {
                    block_frames: self.block_frames,
                    ..p
                }),
            ),
        };
        Header {
            version: VERSION_V2,
            coder: self.coder.coder(),
            flags: self.flags(),
            params,
            v2,
            channels: self.channels,
            sample_rate: self.sample_rate,
            frames: self.frames,
            wav_crc,
        }
    }
}

/// A reader of container bytes that hashes what it reads and names what ended early.
struct In<'a> {
    r: &'a mut dyn Read,
    crc: crc32fast::Hasher,
    pos: u64,
}

impl In<'_> {
    /// `n` bytes, or an error naming `what` if the stream ends first (memory grows only with
    /// the bytes actually there).
    fn take(&mut self, n: u64, what: &str) -> Result<Vec<u8>, Error> {
        let mut buf = Vec::with_capacity(n.min(1 << 20) as usize);
        (&mut *self.r)
            .take(n)
            .read_to_end(&mut buf)
            .map_err(|e| io_err("cannot read the input", e))?;
        if (buf.len() as u64) < n {
            return Err(Error::Corrupt(format!("stream ends inside the {what}")));
        }
        self.crc.update(&buf);
        self.pos += n;
        Ok(buf)
    }
    fn u32(&mut self, what: &str) -> Result<u32, Error> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Parses and checks a streamed header; `start` holds its first bytes (magic, version, flags).
fn read_stream_header(r: &mut In, start: &[u8]) -> Result<StreamHeader, Error> {
    let flags = start[5];
    let lite = flags & FLAG_LITE != 0;
    let mut fixed = start.to_vec();
    let coder = if lite {
        fixed.extend(r.take(9, "header")?);
        let mut rd = Reader { b: &fixed, pos: 6 };
        let p = read_v1_params(&mut rd)?;
        p.validate().map_err(|e| Error::Corrupt(e.to_string()))?;
        BlockCoder::Lite(p)
    } else {
        fixed.extend(r.take(11, "parameters")?);
        let taps = fixed[11] as u64;
        if taps > v2::MAX_TAPS as u64 {
            return Err(Error::Corrupt(format!(
                "{taps} LMS taps (at most {})",
                v2::MAX_TAPS
            )));
        }
        fixed.extend(r.take(3 * taps + 4, "parameters")?);
        let mut rd = Reader { b: &fixed, pos: 6 };
        let p = read_v2_params(&mut rd)?;
        p.validate().map_err(|e| Error::Corrupt(e.to_string()))?;
        BlockCoder::Max(p)
    };
    let g = coder.golomb();
    if g.sample_bits != 10 {
        return Err(Error::Corrupt(format!(
            "sample_bits {} in a streamed header (its blocks are grid mode at 10 bits or raw at 16)",
            g.sample_bits
        )));
    }
    let fb = u32::from_le_bytes(fixed[fixed.len() - 4..].try_into().expect("4 bytes"));
    let rest = r.take(14, "header")?;
    let channels = u16::from_le_bytes([rest[0], rest[1]]);
    let le = |at: usize| u32::from_le_bytes(rest[at..at + 4].try_into().expect("4 bytes"));
    let (sample_rate, frames, reserved) = (le(2), le(6), le(10));
    let prefix = if flags & crate::container::FLAG_CANONICAL == 0 {
        let n = r.u32("stored WAV header")? as u64;
        if n > MAX_WAV_EXTRA as u64 {
            return Err(Error::Corrupt(format!(
                "a stored WAV header of {n} bytes (at most {MAX_WAV_EXTRA})"
            )));
        }
        Some(r.take(n, "stored WAV header")?)
    } else {
        None
    };
    let blocks = r.u32("block count")?;
    let computed = r.crc.clone().finalize();
    let stored = r.u32("header CRC-32")?;
    if stored != computed {
        return Err(Error::Corrupt(format!(
            "the header fails its CRC-32 (stored {stored:#010x}, computed {computed:#010x})"
        )));
    }
    if reserved != 0 {
        return Err(Error::Corrupt(
            "a WAV CRC-32 in a streamed header (it belongs in the trailer)".into(),
        ));
    }
    if channels == 0 {
        return Err(Error::Corrupt("zero channels".into()));
    }
    let samples = channels as u64 * frames as u64;
    if samples * 2 > u32::MAX as u64 {
        return Err(Error::Corrupt(format!(
            "{channels} channel(s) x {frames} frames are too many samples for a WAV (4 GiB)"
        )));
    }
    if fb == 0 || fb as u64 * channels as u64 > MAX_BLOCK_SAMPLES {
        return Err(Error::Corrupt(format!(
            "blocks of {fb} frames of {channels} channel(s) (1 to {MAX_BLOCK_SAMPLES} samples)"
        )));
    }
    if blocks != frames.div_ceil(fb) {
        return Err(Error::Corrupt(format!(
            "{blocks} blocks for {frames} frames in blocks of {fb}"
        )));
    }
    let h = StreamHeader {
        coder,
        block_frames: fb,
        channels,
        sample_rate,
        frames,
        blocks,
        prefix,
    };
    if let Some(p) = &h.prefix {
        // the stored header must be a WAV header that describes exactly these samples
        match scan(p, None) {
            Ok(Scan::Found(l))
                if l.data_start == p.len()
                    && l.data_len as u64 == h.data_len()
                    && l.format.channels == channels
                    && l.format.sample_rate == sample_rate => {}
            _ => {
                return Err(Error::Corrupt(
                    "the stored WAV header does not describe the coded samples".into(),
                ))
            }
        }
    }
    Ok(h)
}

// ---- decompression ---------------------------------------------------------------------

/// A run of consecutive blocks that could not be decoded, for the same reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LostBlock {
    /// The first block's index (0-based).
    pub block: u32,
    /// Blocks in the run.
    pub blocks: u32,
    /// The frames they held: `first_frame .. first_frame + frames`.
    pub first_frame: u64,
    pub frames: u64,
    /// Samples lost (frames × channels).
    pub samples: u64,
    pub reason: String,
}

/// The most runs of lost blocks a report lists one by one (a hostile stream of many tiny
/// damaged blocks would otherwise make the list grow with its length); the rest are counted
/// in the last run.
const MAX_LOST_RUNS: usize = 1000;

/// Adds a lost block to `lost`: to the last run when it follows it for the same reason (or
/// when the list is full).
fn push_lost(lost: &mut Vec<LostBlock>, l: LostBlock) {
    const FULL: &str = " (and later lost blocks, counted here: the list stops at 1000 runs)";
    let full = lost.len() >= MAX_LOST_RUNS;
    if let Some(last) = lost.last_mut() {
        let next = last.block + last.blocks == l.block;
        if (next && last.reason == l.reason) || full {
            if full && !last.reason.ends_with(FULL) {
                last.reason.push_str(FULL);
            }
            last.blocks += l.blocks;
            last.frames += l.frames;
            last.samples += l.samples;
            return;
        }
    }
    lost.push(l);
}

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

/// What decoding a stream found.
#[derive(Clone, Debug)]
pub struct DecodeReport {
    /// The container header (for a streamed container, `wav_crc` is the trailer's).
    pub header: Header,
    /// Blocks in the stream (1 for the single-stream layouts).
    pub blocks: u32,
    /// Blocks that could not be decoded, in order.
    pub lost: Vec<LostBlock>,
    /// Other damage: the trailer, the container CRC-32, the WAV CRC-32.
    pub problems: Vec<String>,
    /// Bytes written to the output.
    pub written: u64,
    /// Whether the decoded WAV's CRC-32 equals the original's: `None` when it was not
    /// compared (blocks lost, the trailer unreadable, or only checked). With no block lost,
    /// `Some(false)` means samples are wrong although every block passed its own CRC-32.
    pub wav_checksum: Option<bool>,
}

impl DecodeReport {
    /// Blocks lost.
    pub fn lost_blocks(&self) -> u64 {
        self.lost.iter().map(|l| l.blocks as u64).sum()
    }

    /// Whether the stream decoded completely and every check passed.
    pub fn is_clean(&self) -> bool {
        self.lost.is_empty() && self.problems.is_empty()
    }

    /// The damage in one line per item.
    pub fn damage(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .lost
            .iter()
            .map(|l| {
                format!(
                    "{} lost (frames {}..{}, {} samples): {}",
                    if l.blocks == 1 {
                        format!("block {}", l.block)
                    } else {
                        format!("blocks {}..={}", l.block, l.block + l.blocks - 1)
                    },
                    l.first_frame,
                    l.first_frame + l.frames,
                    l.samples,
                    l.reason
                )
            })
            .collect();
        v.extend(self.problems.iter().cloned());
        v
    }
}

/// How [`decompress_stream`] treats damage and how much work it does.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeOptions {
    /// Worker threads (0: all cores, at most [`MAX_WORKERS`]).
    pub threads: usize,
    /// Write every frame even after damage: lost frames as zero samples. Without it the
    /// output stops at the first lost block (the caller discards it).
    pub recover: bool,
    /// Only check the structure and the CRCs; decode nothing, write nothing.
    pub check_only: bool,
}

/// Decodes a `.nrc` stream read from `input` (a file of `total` bytes, or a pipe: `None`) into
/// `out`. A streamed container (FORMAT.md §7.9) is read and decoded block by block in bounded
/// memory; damage to a block loses only that block, and every other block is still decoded
/// and checked; the report lists what was lost. A single-stream container (§4, §7.7) is read
/// whole, as before (it is at most as large as a WAV of [`BLOCK_SAMPLES`] samples when this
/// build wrote it), and any damage refuses it whole. `Err` means nothing could be decoded: not
/// a stream, a damaged header, an I/O error.
pub fn decompress_stream(
    input: &mut dyn Read,
    total: Option<u64>,
    out: &mut dyn Write,
    opts: DecodeOptions,
) -> Result<DecodeReport, Error> {
    let mut start = Vec::new();
    fill(input, &mut start, 6)?;
    crate::container::check_signature(&start)?;
    if start.len() < 6 || start[4] == VERSION || start[5] & FLAG_STREAM == 0 {
        // single stream: whole, as before
        match total {
            Some(t) => fill(input, &mut start, t)?,
            None => {
                fill(input, &mut start, crate::container::MAX_HEADER_BYTES as u64)?;
                if start.len() == crate::container::MAX_HEADER_BYTES {
                    let limit = crate::container::check_header(&start)?.max_stream_bytes();
                    fill(input, &mut start, limit + 1)?;
                    if start.len() as u64 > limit {
                        return Err(Error::Corrupt(
                            "longer than any .nrc stream with its header".into(),
                        ));
                    }
                }
            }
        }
        if opts.check_only {
            let header = crate::container::read_header(&start)?;
            return Ok(DecodeReport {
                header,
                blocks: 1,
                lost: Vec::new(),
                problems: Vec::new(),
                written: 0,
                wav_checksum: None,
            });
        }
        let (header, wav) = crate::container::decompress_with_header(&start)?;
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
    let mut r = In {
        r: input,
        crc: crc32fast::Hasher::new(),
        pos: 6,
    };
    r.crc.update(&start);
    let h = read_stream_header(&mut r, &start)?;
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
            let bound = h.coder.max_block_bytes(want as u64 * chans as u64);
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
            wav_checksum: None,
        });
    }
    // the trailer: trailing chunks, the WAV's CRC-32, the container CRC-32
    let mut stored_wav_crc = 0;
    // the container CRC-32's verdict is kept until the WAV's own CRC-32 is compared too, so
    // that a report can say whether the samples are wrong or only the container is damaged
    let trailer = (|| -> Result<Option<(u32, u32)>, Error> {
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
        wav_crc.update(&suffix);
        put(&suffix, writing)?;
        Ok((stored != computed).then_some((stored, computed)))
    })();
    let mut wav_checksum = None;
    match trailer {
        Ok(container) => {
            let c = wav_crc.finalize();
            if lost.is_empty() && !opts.check_only {
                wav_checksum = Some(c == stored_wav_crc);
                if c != stored_wav_crc {
                    problems.push(format!(
                        "decoded WAV checksum {c:#010x} differs from the original's {stored_wav_crc:#010x}"
                    ));
                }
            }
            // (with blocks lost, implied by them)
            if let Some((stored, computed)) = container.filter(|_| lost.is_empty()) {
                problems.push(format!(
                    "container checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
                ));
            }
        }
        Err(Error::Io(e)) => return Err(Error::Io(e)),
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
        wav_checksum,
    })
}

/// Decodes a whole streamed container in memory (the [`crate::decompress`] of §7.9 streams):
/// any damage is an error.
pub(crate) fn decompress_bytes(nrc: &[u8], check_only: bool) -> Result<(Header, Vec<u8>), Error> {
    let mut out = Vec::new();
    let rep = decompress_stream(
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
