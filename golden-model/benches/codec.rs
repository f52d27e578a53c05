//! Throughput of the golden model: the streaming encoder, the decoder, the byte coder of the
//! streamed container's blocks and the whole container; coder v2's and coder max's block
//! coders.
//!
//! Input: the first recording (sorted by name) of the data folder every test uses
//! (`neurice_testkit::data_dir`: `$NEURICE_DATA`, else `../shared/data/neuralink` beside the
//! workspace); without one, a deterministic synthetic grid signal (the bench says so). Throughput is in samples.
//!
//! ```text
//! cargo bench -p neurice-model --bench codec -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neurice_model::grid::to_grid;
use neurice_model::lite::{decode_all, decode_padded, encode_bytes};
use neurice_model::wav::parse_wav;
use neurice_model::{compress_wav, decompress, CodecParams, Encoder};

/// The first `.wav` (sorted) of the data folder, if there is one.
fn first_recording() -> Option<(PathBuf, Vec<u8>)> {
    let first = neurice_testkit::first_recording()?;
    let bytes =
        std::fs::read(&first).unwrap_or_else(|e| panic!("cannot read {}: {e}", first.display()));
    Some((first, bytes))
}

/// A deterministic 1-channel grid random walk as long as a typical recording (~5 s).
fn synthetic_wav() -> Vec<u8> {
    neurice_testkit::grid_wav(1, &neurice_testkit::walk(98_000, 0x2545_F491, 8))
}

fn codec(c: &mut Criterion) {
    let wav_bytes = match first_recording() {
        Some((path, bytes)) => {
            println!("input: {} ({} bytes)", path.display(), bytes.len());
            bytes
        }
        None => {
            println!("input: SYNTHETIC grid random walk (no recording found; set NEURICE_DATA)");
            synthetic_wav()
        }
    };
    let wav = parse_wav(&wav_bytes).expect("the input is a 16-bit PCM WAV");
    let channels = wav.channels as usize;
    let (grid_idx, exceptions) = to_grid(&wav.samples);
    println!(
        "{} channel(s), {} samples, {} off-grid",
        channels,
        wav.samples.len(),
        exceptions.len()
    );
    let samples = grid_idx.len() as u64;
    let p = CodecParams::HARDWARE;

    // The encoded payload, for the decoder (and a check that the bench decodes what it encodes).
    let mut enc = Encoder::new(p, channels).expect("encoder");
    let mut words = Vec::new();
    for &x in &grid_idx {
        if let (_, Some(w)) = enc.push(x) {
            words.push(w);
        }
    }
    words.extend(enc.flush());
    let bits = enc.total_bits();
    let payload: Vec<u8> = words
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .take(bits.div_ceil(8) as usize)
        .collect();
    assert_eq!(
        decode_all(&p, channels, grid_idx.len(), &payload, bits).expect("decode"),
        grid_idx
    );
    let (nrc, _) = compress_wav(&wav_bytes).expect("compress");
    assert_eq!(decompress(&nrc).expect("decompress"), wav_bytes);
    println!(
        "payload {:.3} bits/sample, container {} -> {} bytes (ratio {:.4})",
        bits as f64 / samples as f64,
        wav_bytes.len(),
        nrc.len(),
        wav_bytes.len() as f64 / nrc.len() as f64
    );

    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Elements(samples));
    g.bench_function("encode_push", |b| {
        b.iter(|| {
            let mut enc = Encoder::new(p, channels).expect("encoder");
            let mut acc = 0u32;
            for &x in black_box(&grid_idx) {
                if let (_, Some(w)) = enc.push(x) {
                    acc ^= w;
                }
            }
            (acc, enc.flush(), enc.total_bits())
        })
    });
    g.bench_function("decode_all", |b| {
        b.iter(|| {
            decode_all(&p, channels, grid_idx.len(), black_box(&payload), bits).expect("decode")
        })
    });
    // the byte coder of the streamed container's blocks (what `neurice compress` runs on a
    // long recording), on the same samples
    let (bytes, _) = encode_bytes(&p, channels, &grid_idx).expect("encode_bytes");
    assert_eq!(
        decode_padded(&p, channels, grid_idx.len(), &bytes).expect("decode_padded"),
        grid_idx
    );
    g.bench_function("encode_bytes", |b| {
        b.iter(|| encode_bytes(&p, channels, black_box(&grid_idx)).expect("encode"))
    });
    g.bench_function("decode_padded", |b| {
        b.iter(|| decode_padded(&p, channels, grid_idx.len(), black_box(&bytes)).expect("decode"))
    });
    g.bench_function("compress_wav", |b| {
        b.iter(|| compress_wav(black_box(&wav_bytes)).expect("compress"))
    });
    g.bench_function("decompress", |b| {
        b.iter(|| decompress(black_box(&nrc)).expect("decompress"))
    });
    // coder v2 ("max"): the block encoder and decoder on grid indices, and the container
    let p2 = neurice_model::v2::V2Params::HARDWARE;
    let (blocks, _) = neurice_model::v2::encode_all(&p2, channels, &grid_idx).expect("v2 encode");
    let refs: Vec<(u32, &[u8])> = blocks.iter().map(|b| (b.frames, &b.bytes[..])).collect();
    assert_eq!(
        neurice_model::v2::decode_all(&p2, channels, &refs).expect("v2 decode"),
        grid_idx
    );
    let (nrc2, _) =
        neurice_model::compress_wav_with(&wav_bytes, neurice_model::Coder::Max).expect("v2");
    assert_eq!(decompress(&nrc2).expect("v2 decompress"), wav_bytes);
    println!(
        "v2: container {} -> {} bytes (ratio {:.4})",
        wav_bytes.len(),
        nrc2.len(),
        wav_bytes.len() as f64 / nrc2.len() as f64
    );
    g.bench_function("v2_encode", |b| {
        b.iter(|| neurice_model::v2::encode_all(&p2, channels, black_box(&grid_idx)).expect("e"))
    });
    g.bench_function("v2_decode", |b| {
        b.iter(|| neurice_model::v2::decode_all(&p2, channels, black_box(&refs)).expect("d"))
    });
    g.bench_function("v2_compress_wav", |b| {
        b.iter(|| {
            neurice_model::compress_wav_with(black_box(&wav_bytes), neurice_model::Coder::Max)
                .expect("compress")
        })
    });
    g.bench_function("v2_decompress", |b| {
        b.iter(|| decompress(black_box(&nrc2)).expect("decompress"))
    });
    // coder max (container version 3): the block encoder and decoder on grid indices
    let pm = neurice_model::max::MaxParams::HARDWARE;
    let tm = neurice_model::max::Table::builtin();
    let (mblocks, _) =
        neurice_model::max::encode_all(&pm, tm, channels, &grid_idx).expect("max encode");
    let mrefs: Vec<(u32, &[u8], &[u8])> = mblocks
        .iter()
        .map(|b| (b.frames, &b.tokens[..], &b.raw[..]))
        .collect();
    assert_eq!(
        neurice_model::max::decode_all(&pm, tm, channels, &mrefs).expect("max decode"),
        grid_idx
    );
    let mbytes: usize = mblocks.iter().map(|b| b.tokens.len() + b.raw.len()).sum();
    println!(
        "max: payload {mbytes} bytes (ratio {:.4})",
        2.0 * grid_idx.len() as f64 / mbytes as f64
    );
    g.bench_function("max_encode", |b| {
        b.iter(|| {
            neurice_model::max::encode_all(&pm, tm, channels, black_box(&grid_idx)).expect("e")
        })
    });
    g.bench_function("max_decode", |b| {
        b.iter(|| neurice_model::max::decode_all(&pm, tm, channels, black_box(&mrefs)).expect("d"))
    });
    g.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
