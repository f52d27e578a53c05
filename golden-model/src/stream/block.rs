//! One block of the streamed layout (FORMAT.md §7.9): its record (frames, length, CRC-32,
//! mode, exceptions, coded bytes), encoded from PCM bytes and decoded back to them.

use crate::format::Reader;
use crate::grid::{index_table, value_table, OFF_GRID};
use crate::{CoderSpec, Error};

/// What coding one block produced besides its bytes.
#[derive(Clone, Debug, Default)]
pub(super) struct BlockStats {
    pub(super) raw: bool,
    pub(super) exceptions: u64,
    pub(super) escapes: u64,
    pub(super) coded_bytes: u64,
    pub(super) s_histogram: Vec<u64>,
}

/// The coder of a block in grid mode (`raw == false`) or raw mode.
fn in_mode(coder: &CoderSpec, raw: bool) -> CoderSpec {
    if raw {
        coder.with_sample_bits(16)
    } else {
        *coder
    }
}

/// Encodes one block of whole frames given as 16-bit little-endian PCM bytes: the block's
/// record (frames, length, CRC-32, contents; FORMAT.md §7.9) and its statistics.
pub(super) fn encode_block(
    coder: &CoderSpec,
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
    let (mut coded, mut escapes, mut hist) = coder.encode_block(channels, &grid)?;
    let mut raw = false;
    if !exceptions.is_empty() {
        // the raw patterns of v1 (`v as u16`) and v2 (offset binary), as FORMAT.md §4, §7.7
        let flip = coder.raw_flip();
        drop(grid);
        let values: Vec<u32> = pcm
            .chunks_exact(2)
            .map(|c| (u16::from_le_bytes([c[0], c[1]]) ^ flip) as u32)
            .collect();
        let (rc, re, rh) = in_mode(coder, true).encode_block(channels, &values)?;
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
pub(super) fn decode_block(
    coder: &CoderSpec,
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
    let values = in_mode(coder, raw).decode_block(channels, frames, coded)?;
    let mut pcm = vec![0u8; 2 * values.len()];
    if raw {
        let flip = coder.raw_flip();
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
