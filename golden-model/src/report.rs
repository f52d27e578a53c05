//! What compressing and decompressing report, whatever the layout: [`CompressStats`],
//! [`DecodeReport`] with its [`LostBlock`]s, and the [`DecodeOptions`] a decoder takes.

use crate::format::{Header, Mode};
use crate::Coder;

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
pub(crate) fn push_lost(lost: &mut Vec<LostBlock>, l: LostBlock) {
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

/// How [`crate::container::decompress_reader`] treats damage and how much work it does.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeOptions {
    /// Worker threads (0: all cores, at most [`crate::stream::MAX_WORKERS`]).
    pub threads: usize,
    /// Write every frame even after damage: lost frames as zero samples. Without it the
    /// output stops at the first lost block (the caller discards it).
    pub recover: bool,
    /// Only check the structure and the CRCs; decode nothing, write nothing.
    pub check_only: bool,
}
