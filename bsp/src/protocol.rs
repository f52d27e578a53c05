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
//! **Board → host**: every 32-bit word of the core, as 4 bytes big-endian (the core's bit
//! stream is MSB first, so the bytes in arrival order ARE the bit stream). After a flush, one
//! more word, the trailer: the number of data words sent since the previous trailer (or reset).
//! A host that knows the samples it sent can tell the trailer apart by the count; the golden
//! model's `Encoder` gives the expected word count.
//!
//! Segments: a flush ends a bit-stream segment (packer emptied, like `Encoder::flush`) but
//! the per-channel coder state and the channel counter carry on into the next segment, as in
//! one golden-model `Encoder` that is flushed and then fed on.
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
/// (the last word zero-padded), or coder v2's block as big-endian words.
pub fn segment_words(
    coder: &neurice_model::CoderSpec,
    channels: usize,
    samples: &[u16],
) -> anyhow::Result<Vec<u32>> {
    use neurice_model::{v2, CoderSpec};
    let x: Vec<u32> = samples.iter().map(|&v| v as u32).collect();
    Ok(match coder {
        CoderSpec::Lite(p) => neurice_model::lite::encode_all(p, channels, &x)?.0,
        CoderSpec::Max(_) => anyhow::bail!("{}", crate::MAX_BOARD_MISSING),
        CoderSpec::V2(p) => {
            v2::block_words(&v2::encode_block(p, channels, &x, &mut Default::default()))
        }
    })
}

/// Decodes a flushed segment's data words back to `count` samples with the golden model of
/// `coder` ([`decode_words`] for coder v1, [`decode_v2_words`] for coder v2).
pub fn decode_segment(
    coder: &neurice_model::CoderSpec,
    channels: usize,
    count: usize,
    words: &[u32],
) -> anyhow::Result<Vec<u16>> {
    match coder {
        neurice_model::CoderSpec::Lite(p) => decode_words(p, channels, count, words),
        neurice_model::CoderSpec::Max(_) => anyhow::bail!("{}", crate::MAX_BOARD_MISSING),
        neurice_model::CoderSpec::V2(p) => decode_v2_words(p, channels, count, words),
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

/// Decodes a flushed segment of the coder-v2 core (one v2 block, FORMAT.md §7.5) back to
/// `count` samples with the golden model. The board sends whole words; the block's last word
/// is zero-padded (the core marks its valid bytes with `out_bytes`, which the UART protocol
/// does not carry), so the block is the one of the four lengths (the words' bytes minus 0..=3
/// zero bytes) that `v2::decode_block` accepts and that re-encodes to exactly those bytes.
/// Every v2 segment decodes on its own: the v2 core restarts all its state after a flush.
pub fn decode_v2_words(
    p: &neurice_model::v2::V2Params,
    channels: usize,
    count: usize,
    words: &[u32],
) -> anyhow::Result<Vec<u16>> {
    use neurice_model::v2;
    if channels == 0 || !count.is_multiple_of(channels) {
        anyhow::bail!("{count} samples is not a whole number of frames of {channels} channels");
    }
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let frames = (count / channels) as u32;
    for pad in 0..4.min(bytes.len() + 1) {
        let (block, padding) = bytes.split_at(bytes.len() - pad);
        if padding.iter().any(|&b| b != 0) {
            break;
        }
        let mut out = Vec::with_capacity(count);
        if v2::decode_block(p, channels, frames, block, &mut out).is_err() || out.len() != count {
            continue;
        }
        if v2::encode_block(p, channels, &out, &mut Default::default()) == block {
            return Ok(out.into_iter().map(|x| x as u16).collect());
        }
    }
    anyhow::bail!(
        "golden-model v2 decode of {count} samples from {} words failed for every padding length",
        words.len()
    )
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

    #[test]
    fn v2_decode_roundtrips_the_golden_encoder() {
        use neurice_model::v2::{self, encode_block, V2Params};
        let p = V2Params::HARDWARE;
        for n in [6, 500, 502, 504, 506] {
            let x: Vec<u32> = (0..n as u32).map(|i| (i * 37 + i / 7) % 1024).collect();
            let bytes = encode_block(&p, 2, &x, &mut Default::default());
            let words = v2::block_words(&bytes);
            let back = decode_v2_words(&p, 2, n, &words).unwrap();
            assert!(back.iter().map(|&v| v as u32).eq(x.iter().copied()), "{n}");
        }
        assert!(decode_v2_words(&p, 2, 3, &[0]).is_err());
    }
}
