//! The header of the streamed layout (FORMAT.md §7.9) and of container version 3 (§10.7, the
//! same layout with coder max's parameter block): written by the encoder, read back and
//! checked by the decoder.

use std::io::Read;

use super::{MAX_BLOCK_SAMPLES, MAX_WAV_EXTRA};
use crate::format::{
    check_flags, coder_flags, header_coder, read_stream_params, with_block_frames,
    write_stream_params, Header, Reader, FLAG_BOUNDED, FLAG_CANONICAL, FLAG_LITE, FLAG_STREAM,
    MAGIC, VERSION_MAX, VERSION_V2,
};
use crate::io::io_err;
use crate::v2;
use crate::wav::{canonical_header, scan, Scan};
use crate::{Coder, CoderSpec, Error};

/// The header of a streamed container (FORMAT.md §7.9, §10.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamHeader {
    /// The coder with its grid-mode parameters (raw blocks use them at 16 bits).
    pub coder: CoderSpec,
    pub block_frames: u32,
    pub channels: u16,
    pub sample_rate: u32,
    pub frames: u32,
    pub blocks: u32,
    /// The WAV header when it is not the canonical one.
    pub prefix: Option<Vec<u8>>,
}

impl StreamHeader {
    /// The container version: 2 for coders v1 and v2 (§7.9), 3 for coder max (§10.7).
    fn version(&self) -> u8 {
        match self.coder {
            CoderSpec::Lite(_) | CoderSpec::V2(_) => VERSION_V2,
            CoderSpec::Max(_) => VERSION_MAX,
        }
    }

    /// The flags: version 2's `STREAM` (and `LITE` for coder v1); version 3 has neither, its
    /// version says its layout and coder.
    fn flags(&self) -> u8 {
        let layout = match self.coder {
            CoderSpec::Lite(_) => FLAG_STREAM | FLAG_LITE,
            CoderSpec::V2(_) => FLAG_STREAM,
            CoderSpec::Max(_) => 0,
        };
        layout
            | coder_flags(&self.coder)
            | if self.prefix.is_none() {
                FLAG_CANONICAL
            } else {
                0
            }
    }

    /// The header's bytes, from the magic to the header CRC-32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC);
        out.push(self.version());
        out.push(self.flags());
        write_stream_params(&mut out, &self.coder, self.block_frames);
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
        Header {
            version: self.version(),
            flags: self.flags(),
            coder: with_block_frames(&self.coder, self.block_frames),
            channels: self.channels,
            sample_rate: self.sample_rate,
            frames: self.frames,
            wav_crc,
        }
    }
}

/// A reader of container bytes that hashes what it reads and names what ended early.
pub(super) struct In<'a> {
    pub(super) r: &'a mut dyn Read,
    pub(super) crc: crc32fast::Hasher,
    pub(super) pos: u64,
}

impl In<'_> {
    /// `n` bytes, or an error naming `what` if the stream ends first (memory grows only with
    /// the bytes actually there).
    pub(super) fn take(&mut self, n: u64, what: &str) -> Result<Vec<u8>, Error> {
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
    pub(super) fn u32(&mut self, what: &str) -> Result<u32, Error> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Parses and checks a streamed header; `start` holds its first bytes (magic, version, flags).
pub(super) fn read_stream_header(r: &mut In, start: &[u8]) -> Result<StreamHeader, Error> {
    let (version, flags) = (start[4], start[5]);
    check_flags(version, flags)?;
    let kind = header_coder(version, flags);
    // FORMAT.md §7.9: STREAM set, RAW16 clear, BOUNDED only with LITE (§11.5), no other bit;
    // §10.7: version 3 only CANONICAL and BOUNDED
    let known = match kind {
        Coder::Lite => FLAG_STREAM | FLAG_LITE | FLAG_CANONICAL | FLAG_BOUNDED,
        Coder::V2 => FLAG_STREAM | FLAG_CANONICAL,
        Coder::Max => FLAG_CANONICAL | FLAG_BOUNDED,
    };
    if flags & !known != 0 {
        return Err(Error::Corrupt(format!(
            "unknown flags {:#04x} in a streamed header",
            flags & !known
        )));
    }
    // the parameter block's length: fixed for coder v1 (and its δ byte), with the taps for
    // coders v2 and max (and max's table reference)
    let taps = |fixed: &[u8], at: usize| -> Result<u64, Error> {
        let taps = fixed[at] as u64;
        if taps > v2::MAX_TAPS as u64 {
            return Err(Error::Corrupt(format!(
                "{taps} LMS taps (at most {})",
                v2::MAX_TAPS
            )));
        }
        Ok(taps)
    };
    let mut fixed = start.to_vec();
    let bounded = (flags & FLAG_BOUNDED != 0) as u64;
    match kind {
        Coder::Lite => fixed.extend(r.take(9 + bounded, "header")?),
        Coder::V2 => {
            fixed.extend(r.take(11, "parameters")?);
            let t = taps(&fixed, 11)?;
            fixed.extend(r.take(3 * t + 4, "parameters")?);
        }
        Coder::Max => {
            // W w c h T f B_w B_d, steps, weights, δ with BOUNDED, table id and CRC-32 (§10.7)
            fixed.extend(r.take(8, "parameters")?);
            let t = taps(&fixed, 10)?;
            fixed.extend(r.take(3 * t + bounded + 5, "parameters")?);
            if fixed[fixed.len() - 5] == crate::max::spec::EMBEDDED_ID {
                fixed.extend(r.take(crate::max::table::TABLE_BYTES as u64, "embedded table")?);
            }
            fixed.extend(r.take(4, "parameters")?);
        }
    }
    let (coder, fb) = read_stream_params(&mut Reader { b: &fixed, pos: 6 }, kind, flags)?;
    coder
        .validate()
        .map_err(|e| Error::Corrupt(e.to_string()))?;
    if coder.sample_bits() != 10 {
        return Err(Error::Corrupt(format!(
            "sample_bits {} in a streamed header (its blocks are grid mode at 10 bits or raw at 16)",
            coder.sample_bits()
        )));
    }
    let rest = r.take(14, "header")?;
    let channels = u16::from_le_bytes([rest[0], rest[1]]);
    let le = |at: usize| u32::from_le_bytes(rest[at..at + 4].try_into().expect("4 bytes"));
    let (sample_rate, frames, reserved) = (le(2), le(6), le(10));
    let prefix = if flags & FLAG_CANONICAL == 0 {
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
