//! # The USB-UART byte protocol (host side)
//!
//! 8N1 at the configured baud rate (default 1 Mbaud). No flow control in either direction.
//!
//! **Throughput**: a sample costs 2 bytes = 20 bit times host → board, so the link carries
//! `baud / 20` samples/s (50 000 at 1 Mbaud: two channels at 19.5 kHz in real time); the core
//! (one sample per clock) is never the limit. A word back costs 40 bit times, so the board
//! keeps up while the code averages at most 16 bits per sample (measured in the tests: 4.1 to 6.2
//! bits for a neural-like signal). Beyond that the out FIFO (16 words) fills, the core stalls,
//! the in FIFO (16 values) fills and further samples are dropped: LED 5 lights and the decoded
//! stream is wrong.
//!
//! **Host → board**: a stream of 16-bit little-endian values (low byte first):
//!
//! | value | meaning |
//! |---|---|
//! | `0x0000..=0x03FF` | one 10-bit sample; its channel is counted on the board, round-robin `0..channels` |
//! | `0x8000 \| (n-1)`, `n` in `1..=1024` | set the channel count to `n` and restart the channel count at 0 |
//! | `0xFFFF` | flush: the core emits the zero-padded last word, then the board sends the trailer |
//! | `0xFFFE` | clear: start a new stream — the core drops bits not yet flushed, every channel's coder state returns to the initial state (1024 clocks) and the channel count restarts at 0; nothing is sent back |
//! | anything else | ignored; lights the error LED |
//!
//! The channel count at power-up and after the reset button is the build parameter
//! `default_channels`. Values are paired from the first byte after power-up/reset; a lost
//! byte shifts the pairing until the next reset.
//!
//! **Board → host** (coder lite): every 32-bit word of the core, as 4 bytes big-endian
//! (the core's bit stream is MSB first, so the bytes in arrival order ARE the bit stream).
//! After a flush, one more word, the trailer: the number of data words sent since the previous trailer (or reset).
//! A host that knows the samples it sent can tell the trailer apart by the count; the golden
//! model's `Encoder` gives the expected word count.
//!
//! Segments: a flush ends a bit-stream segment (packer emptied, like `Encoder::flush`) but
//! the per-channel coder state and the channel counter carry on into the next segment, as in
//! one golden-model `Encoder` that is flushed and then fed on.
//!
//! **Coder max: tagged records** (the board built with `--coder max`, [`crate::CuTopMax`]).
//! The max core's words each carry one of a block's two substreams (FORMAT.md §10.10), in an
//! interleaving of the core's own, so the board sends every word as a **record of 5 bytes**:
//! a tag byte, then the word as 4 bytes big-endian (as above). The tag:
//!
//! | tag | record |
//! |---|---|
//! | `0101 s l bb` = `0x50..=0x5F` | a data word: `s` its substream (0 the token substream, the range coder's bytes; 1 the raw substream), `l` the last word of its substream in the block (`out_last`), `bb` its valid bytes − 1 (`out_bytes`, from the first byte on; `11` = 4 on every word but a last one; the bytes after them are zero) |
//! | `0x60` | the trailer of a flush: the word is the number of data records sent since the previous trailer (or reset) |
//! | `0x61` | the trailer of a clear: the same count; those records belong to the block the clear dropped (unfinished, not decodable) |
//! | anything else | never sent: a host that reads one has lost a byte (the stream is misaligned) |
//!
//! A flush ends the block: the two substreams' last words (marked `l`) come before the
//! trailer; the words of each substream come in order, the two substreams' interleave. The
//! host rebuilds the block (FORMAT.md §10.6: `L_T`, the token substream, the raw substream)
//! from the records ([`records_from_bytes`], [`max_segments`]) and from it the decoded samples
//! ([`MaxSegment::decode`]) or the `.nrc` the golden model writes for the same samples
//! ([`max_nrc`]); the trailer is found by its tag, without knowing the samples. A flush with no
//! sample since the last one sends only a trailer of 0 (no block). The max core restarts after
//! every flush (and on clear): every segment is a block that decodes on its own (its first
//! frame raw, FORMAT.md §10.6); a segment must be whole frames of the channel count. The max
//! core codes losslessly (no maximum error yet: [`crate::MAX_NEAR_NO_BOARD`]). A clear in the
//! middle of a block drops the core's unsent words; the records of that block already queued
//! on the board still arrive, followed by the clear's trailer (`0x61`), and [`max_segments`]
//! drops them (a clear sends that trailer whatever came before it: a count of 0 after a
//! flush). The 5-byte
//! record costs 50 bit times per word: the board keeps up while the code averages at most
//! 12.8 bits per sample (measured through the board's Verilog: 4.57 bits per sample, words
//! and padding, on 24 recordings × 20 000 samples).
//!
//! **Coder state is reset only by the clear command** ([`CMD_CLEAR`]) or by configuring the
//! FPGA: neither the reset button nor a set-channel-count command clears it. A segment
//! decodes on its own ([`decode_words`]) when it is the first after configuration or after a
//! clear; otherwise it needs the state the earlier segments left (keep one `Encoder` for the
//! session on the host). Changing the channel count mid-session without a clear maps channel
//! `c` onto the state channel `c` left.

/// Largest 10-bit sample value.
pub const SAMPLE_MAX: u16 = 0x03FF;
/// The flush command.
pub const CMD_FLUSH: u16 = 0xFFFF;
/// The clear command: a new, independently decodable stream starts.
pub const CMD_CLEAR: u16 = 0xFFFE;
/// The set-channel-count command base (`| (n - 1)`).
pub const CMD_SET_CHANNELS: u16 = 0x8000;

/// The command word that sets the channel count to `n` (1..=1024).
pub fn set_channels(n: usize) -> anyhow::Result<u16> {
    if !(1..=neurice_hdl::MAX_CHANNELS).contains(&n) {
        anyhow::bail!(
            "channel count {n} out of range 1..={}",
            neurice_hdl::MAX_CHANNELS
        );
    }
    Ok(CMD_SET_CHANNELS | (n as u16 - 1))
}

/// Appends one 16-bit protocol value, little-endian.
pub fn push_value(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The bytes a host sends for one stream: set the channel count, all samples, then a flush.
pub fn stream_bytes(channels: usize, samples: &[u16]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(samples.len() * 2 + 4);
    push_value(&mut out, set_channels(channels)?);
    for (i, &x) in samples.iter().enumerate() {
        if x > SAMPLE_MAX {
            anyhow::bail!("sample {i} = {x} does not fit in 10 bits");
        }
        push_value(&mut out, x);
    }
    push_value(&mut out, CMD_FLUSH);
    Ok(out)
}

/// Splits received bytes into big-endian words (the length must be a multiple of 4).
pub fn words_from_bytes(bytes: &[u8]) -> anyhow::Result<Vec<u32>> {
    if !bytes.len().is_multiple_of(4) {
        anyhow::bail!(
            "received {} bytes, not a whole number of 4-byte words",
            bytes.len()
        );
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Checks and strips the trailer of one flushed segment: returns the data words.
pub fn split_trailer(words: &[u32]) -> anyhow::Result<&[u32]> {
    let Some((&trailer, data)) = words.split_last() else {
        anyhow::bail!("no words received (a flushed segment ends with a trailer word)");
    };
    if trailer as usize != data.len() {
        anyhow::bail!(
            "trailer says {trailer} data words, received {} before it",
            data.len()
        );
    }
    Ok(data)
}

/// The golden model's data words of one flushed segment of `samples` (`channels`
/// interleaved, coded from the initial state) for the core of `coder`: coder v1's bit stream
/// (the last word zero-padded) or coder max's block
/// as its token substream's words then its raw substream's (`max::Block::words`; the board
/// interleaves them in records: [`max_segments`] and [`MaxSegment::words`] put them in this
/// order).
pub fn segment_words(
    coder: &neurice_model::CoderSpec,
    channels: usize,
    samples: &[u16],
) -> anyhow::Result<Vec<u32>> {
    use neurice_model::CoderSpec;
    let x: Vec<u32> = samples.iter().map(|&v| v as u32).collect();
    Ok(match coder {
        CoderSpec::Lite(p) => neurice_model::lite::encode_all(p, channels, &x)?.0,
        CoderSpec::Max(s) => {
            let [tokens, raw] = max_block(s, channels, samples)?.words();
            tokens.words.into_iter().chain(raw.words).collect()
        }
        CoderSpec::V2(_) => anyhow::bail!("{}", neurice_hdl::v2::CORE_RETIRED),
    })
}

/// Decodes a flushed segment's data words back to `count` samples with the golden model of
/// `coder` ([`decode_words`] for coder v1; coder v2 has no board, its core is retired). Coder max's
/// words alone do not say where the substreams end: its segments are decoded from their
/// records ([`max_segments`], [`MaxSegment::decode`]).
pub fn decode_segment(
    coder: &neurice_model::CoderSpec,
    channels: usize,
    count: usize,
    words: &[u32],
) -> anyhow::Result<Vec<u16>> {
    match coder {
        neurice_model::CoderSpec::Lite(p) => decode_words(p, channels, count, words),
        neurice_model::CoderSpec::Max(_) => anyhow::bail!(
            "a coder-max segment is decoded from its tagged records (protocol::max_segments, \
             MaxSegment::decode): its words alone do not say where the substreams end"
        ),
        neurice_model::CoderSpec::V2(_) => anyhow::bail!("{}", neurice_hdl::v2::CORE_RETIRED),
    }
}

/// Decodes a flushed segment's data words back to `count` samples with the golden model.
///
/// Only for a segment the core coded from the initial per-channel state: the first segment
/// after the FPGA was configured (the core keeps its state across resets and flushes, see the
/// module docs). The last word is zero-padded and the stream does not say how many bits are
/// padding: `neurice_model::lite::decode_words` finds the one bit length the golden model
/// decodes exactly (up to 32 decodes). With a maximum error (`params.max_error`) the samples
/// are the decoder's reconstructions.
pub fn decode_words(
    params: &neurice_model::CodecParams,
    channels: usize,
    count: usize,
    words: &[u32],
) -> anyhow::Result<Vec<u16>> {
    let out = neurice_model::lite::decode_words(params, channels, count, words)?;
    Ok(out.into_iter().map(|x| x as u16).collect())
}

// ---- coder max: tagged records ----------------------------------------------------------

/// Bytes per record of the tagged format (coder max): the tag, then the word big-endian.
pub const RECORD_BYTES: usize = 5;
/// The tag of a data record, before its marks (`0101 s l bb`).
pub const TAG_WORD: u8 = 0x50;
/// The tag bit of the raw substream (clear: the token substream).
pub const TAG_RAW: u8 = 0x08;
/// The tag bit of a substream's last word in the block.
pub const TAG_LAST: u8 = 0x04;
/// The tag of the trailer record of a flush.
pub const TAG_TRAILER: u8 = 0x60;
/// The tag of the trailer record of a clear (the records since the previous trailer belong to
/// the dropped block).
pub const TAG_CLEARED: u8 = 0x61;

/// One record of the tagged format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// A data word of the max core with its marks.
    Word {
        stream: neurice_model::max::Substream,
        last: bool,
        /// Valid bytes from bits 31..24 down (1..=4; 4 unless `last`).
        bytes: u32,
        word: u32,
    },
    /// The trailer of a flush: data records since the previous trailer.
    Trailer(u32),
    /// The trailer of a clear: data records since the previous trailer, all of the block
    /// the clear dropped.
    Cleared(u32),
}

impl Record {
    /// The record's 5 bytes on the wire.
    pub fn to_bytes(&self) -> [u8; RECORD_BYTES] {
        use neurice_model::max::Substream;
        let (tag, w) = match *self {
            Record::Word {
                stream,
                last,
                bytes,
                word,
            } => {
                let s = if stream == Substream::Raw { TAG_RAW } else { 0 };
                let l = if last { TAG_LAST } else { 0 };
                (TAG_WORD | s | l | ((bytes as u8).wrapping_sub(1) & 3), word)
            }
            Record::Trailer(n) => (TAG_TRAILER, n),
            Record::Cleared(n) => (TAG_CLEARED, n),
        };
        let b = w.to_be_bytes();
        [tag, b[0], b[1], b[2], b[3]]
    }
}

/// Splits received bytes into records (the length must be a multiple of [`RECORD_BYTES`],
/// every tag one the board sends, a word of fewer than 4 bytes only on a last word).
pub fn records_from_bytes(bytes: &[u8]) -> anyhow::Result<Vec<Record>> {
    use neurice_model::max::Substream;
    if !bytes.len().is_multiple_of(RECORD_BYTES) {
        anyhow::bail!(
            "received {} bytes, not a whole number of {RECORD_BYTES}-byte records",
            bytes.len()
        );
    }
    bytes
        .chunks_exact(RECORD_BYTES)
        .enumerate()
        .map(|(i, c)| {
            let word = u32::from_be_bytes([c[1], c[2], c[3], c[4]]);
            let tag = c[0];
            if tag == TAG_TRAILER {
                return Ok(Record::Trailer(word));
            }
            if tag == TAG_CLEARED {
                return Ok(Record::Cleared(word));
            }
            if tag & 0xF0 != TAG_WORD {
                anyhow::bail!(
                    "record {i}: tag {tag:#04x} is neither a data record (0x50..=0x5f) nor a \
                     trailer (0x60, 0x61): a byte was lost or the board is not the coder-max board"
                );
            }
            let last = tag & TAG_LAST != 0;
            let bytes = (tag & 3) as u32 + 1;
            if !last && bytes != 4 {
                anyhow::bail!("record {i}: a word of {bytes} bytes that is not a last word");
            }
            let stream = if tag & TAG_RAW != 0 {
                Substream::Raw
            } else {
                Substream::Tokens
            };
            Ok(Record::Word {
                stream,
                last,
                bytes,
                word,
            })
        })
        .collect()
}

/// One flushed segment of the coder-max board: the block's two substreams as received
/// (FORMAT.md §10.6). Both empty: a flush with no samples (no block).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaxSegment {
    /// The token substream (the range coder's bytes).
    pub tokens: Vec<u8>,
    /// The raw substream.
    pub raw: Vec<u8>,
}

impl MaxSegment {
    /// The block of `frames` frames.
    pub fn block(&self, frames: u32) -> neurice_model::max::Block {
        neurice_model::max::Block {
            frames,
            tokens: self.tokens.clone(),
            raw: self.raw.clone(),
        }
    }

    /// The substreams as the core's words: the token substream's, then the raw substream's
    /// (the order of [`segment_words`] and `neurice_sim`'s golden words).
    pub fn words(&self) -> Vec<u32> {
        let b = self.block(0);
        let [t, r] = b.words();
        t.words.into_iter().chain(r.words).collect()
    }

    /// Decodes the segment back to `count` samples (`channels` interleaved, whole frames)
    /// with the golden model of `spec`; every byte of both substreams must be used.
    pub fn decode(
        &self,
        spec: &neurice_model::max::MaxSpec,
        channels: usize,
        count: usize,
    ) -> anyhow::Result<Vec<u16>> {
        if channels == 0 || !count.is_multiple_of(channels) || count == 0 {
            anyhow::bail!(
                "{count} samples is not a positive whole number of frames of {channels} channels"
            );
        }
        let mut out = Vec::with_capacity(count);
        neurice_model::max::decode_block(
            &spec.params,
            &spec.table.table(),
            channels,
            (count / channels) as u32,
            &self.tokens,
            &self.raw,
            &mut out,
        )
        .map_err(|e| anyhow::anyhow!("golden-model max decode of the segment: {e}"))?;
        Ok(out.into_iter().map(|x| x as u16).collect())
    }
}

/// The segments of a received record sequence, one per flush's trailer (the records before a
/// clear's trailer are dropped: an unfinished block): each substream's words in order, cut to
/// their valid bytes. Checks what the board guarantees: every trailer counts the data records
/// before it, each substream of a non-empty segment has exactly one last
/// word and it is its final word, a last word's padding bytes are zero, and no record
/// follows the last trailer.
pub fn max_segments(records: &[Record]) -> anyhow::Result<Vec<MaxSegment>> {
    use neurice_model::max::Substream;
    let mut out = Vec::new();
    let mut seg = MaxSegment::default();
    let mut ended = [false; 2];
    let mut count = 0u32;
    for (i, r) in records.iter().enumerate() {
        match *r {
            Record::Word {
                stream,
                last,
                bytes,
                word,
            } => {
                let s = stream as usize;
                let name = ["token", "raw"][s];
                if ended[s] {
                    anyhow::bail!("record {i}: a {name} word after its substream's last word");
                }
                let b = word.to_be_bytes();
                if b[bytes as usize..].iter().any(|&x| x != 0) {
                    anyhow::bail!("record {i}: the {name} word's padding bytes are not zero");
                }
                let dst = match stream {
                    Substream::Tokens => &mut seg.tokens,
                    Substream::Raw => &mut seg.raw,
                };
                dst.extend_from_slice(&b[..bytes as usize]);
                ended[s] = last;
                count += 1;
            }
            Record::Trailer(n) => {
                if n != count {
                    anyhow::bail!(
                        "record {i}: the trailer says {n} data records, {count} came before it"
                    );
                }
                if count > 0 && ended != [true, true] {
                    anyhow::bail!(
                        "record {i}: a segment ends without the last word of its {} substream",
                        if ended[0] { "raw" } else { "token" }
                    );
                }
                out.push(std::mem::take(&mut seg));
                ended = [false; 2];
                count = 0;
            }
            Record::Cleared(n) => {
                if n != count {
                    anyhow::bail!(
                        "record {i}: the clear's trailer says {n} data records, {count} came \
                         before it"
                    );
                }
                seg = MaxSegment::default();
                ended = [false; 2];
                count = 0;
            }
        }
    }
    if count > 0 {
        anyhow::bail!("{count} data records after the last trailer (a segment not flushed)");
    }
    Ok(out)
}

/// The golden model's block of one flushed segment of `samples` (`channels` interleaved,
/// whole frames) for coder max `spec`: what the board's segment must equal.
pub fn max_block(
    spec: &neurice_model::max::MaxSpec,
    channels: usize,
    samples: &[u16],
) -> anyhow::Result<neurice_model::max::Block> {
    let x: Vec<u32> = samples.iter().map(|&v| v as u32).collect();
    neurice_model::max::encode_block(
        &spec.params,
        &spec.table.table(),
        channels,
        &x,
        &mut Default::default(),
    )
    .map_err(|e| anyhow::anyhow!("golden-model max block: {e}"))
}

/// The `.nrc` (container version 3, FORMAT.md §10.7) of the samples the board coded, built
/// from its segments: exactly what the golden model writes (`neurice compress --coder max`)
/// for a WAV of these samples (`channels` channels at `sample_rate`, the grid values of the
/// 10-bit samples, the canonical WAV header). `segments` are the board's segments with their
/// frame counts, in order; they must cut the frames as the model does
/// (`neurice_model::stream::block_frames(channels)` frames per block, the rest in the last).
/// Each segment is decoded once (for the WAV's CRC-32 in the trailer, and as a check).
pub fn max_nrc(
    spec: &neurice_model::max::MaxSpec,
    channels: u16,
    sample_rate: u32,
    segments: &[(u32, &MaxSegment)],
) -> anyhow::Result<Vec<u8>> {
    use neurice_model::{grid, stream, wav};
    if spec.params.max_error > 0 {
        anyhow::bail!("{}", crate::MAX_NEAR_NO_BOARD);
    }
    let fb = stream::block_frames(channels);
    let frames: u64 = segments.iter().map(|&(f, _)| f as u64).sum();
    for (k, &(f, _)) in segments.iter().enumerate() {
        let want = if k + 1 < segments.len() {
            fb
        } else {
            (frames - k as u64 * fb as u64) as u32
        };
        if f != want || f == 0 {
            anyhow::bail!(
                "segment {k} has {f} frames; the model's container cuts {frames} frames of \
                 {channels} channels into blocks of {fb} (this one: {want})"
            );
        }
    }
    let data_len = 2 * channels as u64 * frames;
    if data_len > u32::MAX as u64 - 36 {
        anyhow::bail!("{frames} frames of {channels} channels do not fit in a WAV");
    }
    let header = stream::StreamHeader {
        coder: neurice_model::CoderSpec::Max(*spec),
        block_frames: fb,
        channels,
        sample_rate,
        frames: frames as u32,
        blocks: segments.len() as u32,
        prefix: None,
    };
    let mut nrc = header.to_bytes();
    let mut wav_crc = crc32fast::Hasher::new();
    wav_crc.update(&wav::canonical_header(
        channels,
        sample_rate,
        data_len as u32,
    ));
    let values = grid::value_table();
    for &(f, seg) in segments {
        let x = seg.decode(spec, channels as usize, f as usize * channels as usize)?;
        for k in x {
            wav_crc.update(&values[k as usize].to_le_bytes());
        }
        // the block record (FORMAT.md §10.7): frames, length, CRC-32, then grid mode, no
        // exceptions (the board's samples are grid indices) and the coded samples
        let mut body = vec![0u8];
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&seg.block(f).coded_bytes());
        nrc.extend_from_slice(&f.to_le_bytes());
        nrc.extend_from_slice(&(body.len() as u32).to_le_bytes());
        nrc.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        nrc.extend_from_slice(&body);
    }
    // the trailer: no WAV bytes after the samples, the WAV's CRC-32; then the file's CRC-32
    nrc.extend_from_slice(&0u32.to_le_bytes());
    nrc.extend_from_slice(&wav_crc.finalize().to_le_bytes());
    let crc = crc32fast::hash(&nrc);
    nrc.extend_from_slice(&crc.to_le_bytes());
    Ok(nrc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_layout() {
        let b = stream_bytes(3, &[0x3FF, 1]).unwrap();
        assert_eq!(b, [0x02, 0x80, 0xFF, 0x03, 0x01, 0x00, 0xFF, 0xFF]);
        assert!(stream_bytes(3, &[1024]).is_err());
        assert!(stream_bytes(0, &[1]).is_err());
        assert!(set_channels(1025).is_err());
    }

    #[test]
    fn words_and_trailer() {
        let w = words_from_bytes(&[1, 2, 3, 4, 0, 0, 0, 1]).unwrap();
        assert_eq!(w, [0x0102_0304, 1]);
        assert_eq!(split_trailer(&w).unwrap(), &[0x0102_0304]);
        assert!(split_trailer(&[5]).is_err());
        assert!(words_from_bytes(&[1, 2, 3]).is_err());
    }

    #[test]
    fn decode_roundtrips_the_golden_encoder() {
        let samples: Vec<u16> = (0..500u32).map(|i| ((i * 37) % 1024) as u16).collect();
        let x: Vec<u32> = samples.iter().map(|&s| s as u32).collect();
        let (words, _, _) =
            neurice_model::lite::encode_all(&neurice_model::CodecParams::HARDWARE, 2, &x).unwrap();
        let p = neurice_model::CodecParams::HARDWARE;
        assert_eq!(decode_words(&p, 2, samples.len(), &words).unwrap(), samples);
    }

    /// The golden block of `samples` as the board would send it: its substreams' words as
    /// tagged records, interleaved by `pick` (true: the next raw word), then the trailer.
    fn records_of(block: &neurice_model::max::Block, pick: impl Fn(usize) -> bool) -> Vec<u8> {
        use neurice_model::max::Substream;
        let [t, r] = block.words();
        let (mut i, mut j, mut out, mut n) = (0, 0, Vec::new(), 0);
        while i < t.words.len() || j < r.words.len() {
            let raw = j < r.words.len() && (i == t.words.len() || pick(n));
            let (sw, k) = if raw { (&r, &mut j) } else { (&t, &mut i) };
            let last = *k + 1 == sw.words.len();
            let rec = Record::Word {
                stream: if raw {
                    Substream::Raw
                } else {
                    Substream::Tokens
                },
                last,
                bytes: if last { sw.last_bytes } else { 4 },
                word: sw.words[*k],
            };
            out.extend(rec.to_bytes());
            *k += 1;
            n += 1;
        }
        out.extend(Record::Trailer(n as u32).to_bytes());
        out
    }

    #[test]
    fn max_records_rebuild_the_golden_block() {
        use neurice_model::max::MaxSpec;
        let spec = MaxSpec::HARDWARE;
        for (ch, n) in [(1, 7), (2, 500), (3, 603)] {
            let x: Vec<u16> = (0..n as u32)
                .map(|i| ((i * 37 + i / 7) % 1024) as u16)
                .collect();
            let block = max_block(&spec, ch, &x).unwrap();
            for pick in [|k: usize| k % 3 == 1, |k: usize| k < 5, |_| false] {
                let bytes = records_of(&block, pick);
                let segs = max_segments(&records_from_bytes(&bytes).unwrap()).unwrap();
                assert_eq!(segs.len(), 1);
                assert_eq!(segs[0].block(block.frames), block, "{ch} ch, {n}");
                assert_eq!(
                    segs[0].words(),
                    segment_words(&spec.into(), ch, &x).unwrap()
                );
                assert_eq!(segs[0].decode(&spec, ch, n).unwrap(), x);
            }
            let bytes = records_of(&block, |k| k % 2 == 0);
            // a lost byte misaligns the records; a wrong count, a missing end and an
            // unflushed segment are errors, never a wrong block
            assert!(records_from_bytes(&bytes[1..]).is_err());
            let recs = records_from_bytes(&bytes).unwrap();
            let (trailer, data) = recs.split_last().unwrap();
            let Record::Trailer(k) = *trailer else {
                panic!("no trailer")
            };
            let mut bad = data.to_vec();
            bad.push(Record::Trailer(k + 1));
            assert!(max_segments(&bad).is_err());
            let mut no_end = data[..data.len() - 1].to_vec();
            no_end.push(Record::Trailer(k - 1));
            assert!(max_segments(&no_end).is_err());
            assert!(max_segments(data).is_err());
        }
        // a flush without samples: a trailer of 0, an empty segment
        let segs = max_segments(&[Record::Trailer(0)]).unwrap();
        assert_eq!(segs, [MaxSegment::default()]);
        // a clear's trailer drops the records before it (an unfinished block)
        let x: Vec<u16> = (0..300u32).map(|i| ((i * 13) % 1024) as u16).collect();
        let block = max_block(&spec, 3, &x).unwrap();
        let recs = records_from_bytes(&records_of(&block, |k| k % 2 == 0)).unwrap();
        let mut cleared = recs[..4].to_vec();
        cleared.push(Record::Cleared(4));
        cleared.extend(&recs);
        let segs = max_segments(
            &records_from_bytes(
                &cleared
                    .iter()
                    .flat_map(|r| r.to_bytes())
                    .collect::<Vec<u8>>(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].block(block.frames), block);
        cleared[4] = Record::Cleared(3);
        assert!(max_segments(&cleared).is_err());
        // not whole frames
        assert!(max_block(&spec, 2, &[1, 2, 3]).is_err());
        assert!(decode_segment(&spec.into(), 2, 4, &[0]).is_err());
    }

    /// The `.nrc` rebuilt from the board's segments equals the golden model's container of
    /// the same samples, byte for byte, and decompresses to the WAV: the known-answer inputs
    /// `multi` (3 channels) and `mono`, and a short spiky signal on 5 channels.
    #[test]
    fn max_nrc_is_the_models_container() {
        use neurice_model::max::MaxSpec;
        let spec = MaxSpec::HARDWARE;
        let mut cases: Vec<(u16, Vec<u16>)> = ["multi", "mono"]
            .iter()
            .map(|name| {
                let i = neurice_testkit::vectors::input(name);
                let (g, _) = neurice_model::grid::to_grid(&i.wav_samples);
                (i.channels, g.into_iter().map(|v| v as u16).collect())
            })
            .collect();
        cases.push((5, neurice_testkit::spiky_walk(500, 3)));
        for (ch, x) in cases {
            let wav = neurice_testkit::grid_wav(ch, &x);
            let (want, _) =
                neurice_model::compress_wav_with(&wav, neurice_model::CoderSpec::Max(spec))
                    .unwrap();
            let block = max_block(&spec, ch as usize, &x).unwrap();
            let bytes = records_of(&block, |k| k % 4 == 3);
            let seg = max_segments(&records_from_bytes(&bytes).unwrap())
                .unwrap()
                .remove(0);
            let frames = (x.len() / ch as usize) as u32;
            let nrc = max_nrc(&spec, ch, neurice_testkit::SAMPLE_RATE, &[(frames, &seg)]).unwrap();
            assert_eq!(nrc, want, "{ch} channels: not the model's .nrc");
            assert_eq!(neurice_model::decompress(&nrc).unwrap(), wav);
            // the frames must be cut as the model cuts them
            assert!(max_nrc(
                &spec,
                ch,
                neurice_testkit::SAMPLE_RATE,
                &[(frames - 1, &seg)]
            )
            .is_err());
        }
    }
}
