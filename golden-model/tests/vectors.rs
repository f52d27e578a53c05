//! Known-answer vectors (`tests/vectors/`, described in `neurice_testkit::vectors`): fixed
//! inputs with frozen payload words and `.nrc` bytes. The encoder must produce them and the
//! decoder must restore the inputs from them, so a change that keeps encoder and decoder
//! consistent but changes the format fails here. The same words are checked against the
//! rust-hdl core (`sim/tests/rusthdl.rs`) and the Verilated core (`sim/tests/verilator.rs`).
//!
//! Regenerating the files means the format changed (bump the version in `format.rs`, update
//! FORMAT.md): `cargo test --release -p neurice-model --test vectors -- --ignored regenerate`.

use neurice_model::lite::decode_all;
use neurice_model::{compress_wav, decompress, CodecParams, Encoder, Mode};
use neurice_testkit::vectors;

fn model_words(channels: usize, indices: &[u16]) -> (Vec<u32>, Encoder) {
    let mut enc = Encoder::new(CodecParams::HARDWARE, channels).unwrap();
    let mut words: Vec<u32> = indices
        .iter()
        .filter_map(|&x| enc.push(x as u32).1)
        .collect();
    words.extend(enc.flush());
    (words, enc)
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Grid10 => "grid10",
        Mode::Raw16 => "raw16",
    }
}

#[test]
#[ignore = "rewrites the frozen vectors: only when the format changes on purpose"]
fn regenerate() {
    for input in vectors::inputs() {
        let wav = neurice_model::wav::Wav::canonical(
            input.channels,
            neurice_testkit::SAMPLE_RATE,
            input.wav_samples.clone(),
        )
        .unwrap()
        .to_bytes();
        let (nrc, stats) = compress_wav(&wav).unwrap();
        let (idx, _) = neurice_model::grid::to_grid(&input.wav_samples);
        let idx: Vec<u16> = idx.into_iter().map(|k| k as u16).collect();
        let (words, enc) = model_words(input.channels as usize, &idx);
        let bits = enc.total_bits();
        vectors::write(&input, mode_name(stats.mode), (&words, bits), &nrc).unwrap();
        eprintln!(
            "wrote {} ({} words, {} bytes)",
            input.name,
            words.len(),
            nrc.len()
        );
    }
}

#[test]
fn the_model_encodes_the_frozen_words() {
    for v in vectors::all().iter().filter(|v| v.mode == "grid10") {
        let (words, enc) = model_words(v.channels, &v.indices);
        assert_eq!(enc.total_bits(), v.payload_bits, "{}: payload bits", v.name);
        assert_eq!(words.len(), v.words.len(), "{}: word count", v.name);
        if let Some(i) = (0..words.len()).find(|&i| words[i] != v.words[i]) {
            panic!(
                "{}: word {i} is {:08x}, frozen {:08x} (the bitstream format changed)",
                v.name, words[i], v.words[i]
            );
        }
    }
}

#[test]
fn the_model_decodes_the_frozen_words() {
    for v in vectors::all().iter().filter(|v| v.mode == "grid10") {
        let bytes: Vec<u8> = v.words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let got = decode_all(
            &CodecParams::HARDWARE,
            v.channels,
            v.indices.len(),
            &bytes,
            v.payload_bits,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let want: Vec<u32> = v.indices.iter().map(|&k| k as u32).collect();
        assert!(got == want, "{}: decoded samples differ", v.name);
    }
}

#[test]
fn the_container_bytes_are_frozen() {
    for v in vectors::all() {
        let wav = v.wav();
        let (nrc, stats) = compress_wav(&wav).unwrap();
        assert_eq!(mode_name(stats.mode), v.mode, "{}", v.name);
        assert_eq!(nrc.len(), v.nrc.len(), "{}: .nrc size", v.name);
        if let Some(i) = (0..nrc.len()).find(|&i| nrc[i] != v.nrc[i]) {
            panic!(
                "{}: .nrc byte {i} is {:02x}, frozen {:02x} (the container format changed)",
                v.name, nrc[i], v.nrc[i]
            );
        }
        assert!(
            decompress(&v.nrc).unwrap() == wav,
            "{}: the frozen .nrc does not restore the WAV",
            v.name
        );
    }
}

#[test]
fn the_vectors_cover_the_edge_cases() {
    let all = vectors::all();
    let get = |n: &str| all.iter().find(|v| v.name == n).unwrap();
    let multi = get("multi");
    let (_, enc) = model_words(multi.channels, &multi.indices);
    assert!(enc.escapes > 0, "multi has escapes");
    assert!(
        enc.s_histogram[0] > 0,
        "multi reaches the smallest code (flat runs)"
    );
    assert!(
        multi
            .indices
            .windows(4)
            .any(|w| w[0].abs_diff(w[3]) == 1023),
        "multi has full-scale steps"
    );
    let mono = get("mono");
    let (_, stats) = compress_wav(&mono.wav()).unwrap();
    assert_eq!(stats.exceptions, 3, "mono has off-grid samples");
    assert_eq!(mono.indices.len(), 19_531);
    assert_eq!(get("raw").mode, "raw16");
}
