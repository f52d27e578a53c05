//! Known-answer vectors of coder max (`tests/vectors/NAME.max.txt`, described in
//! `neurice_testkit::vectors::MaxSpec`): the known-answer inputs with the frozen token and
//! raw substreams of every block. The encoder must produce them and the decoder must restore
//! the samples from them, so a change that keeps encoder and decoder consistent but changes
//! the format (or the built-in table) fails here. The hardware will be checked against the
//! same bytes.
//!
//! Regenerating them means the format or the built-in table changed (say so in
//! `golden-model/FORMAT.md` §10):
//! `cargo test --release -p neurice-model --test max_vectors -- --ignored regenerate`.

use neurice_model::max::{self, MaxParams, Table};
use neurice_testkit::vectors::{self, MaxSpec};

fn params(spec: &MaxSpec, raw16: bool) -> MaxParams {
    MaxParams {
        block_frames: spec.block_frames,
        ..if raw16 {
            MaxParams::RAW16
        } else {
            MaxParams::HARDWARE
        }
    }
}

#[test]
#[ignore = "rewrites the frozen vectors: only when the format or the table changes on purpose"]
fn regenerate() {
    for spec in vectors::max_specs() {
        let (samples, channels, raw16) = spec.samples();
        let (blocks, _) =
            max::encode_all(&params(&spec, raw16), Table::builtin(), channels, &samples).unwrap();
        let refs: Vec<(u32, &[u8], &[u8])> = blocks
            .iter()
            .map(|b| (b.frames, &b.tokens[..], &b.raw[..]))
            .collect();
        vectors::write_max(spec, Table::builtin().crc(), &refs).unwrap();
        eprintln!("wrote {} ({} blocks)", spec.name, blocks.len());
    }
}

fn all() -> Vec<vectors::MaxVector> {
    let v: Vec<_> = vectors::max_specs()
        .into_iter()
        .map(vectors::load_max)
        .collect();
    for x in &v {
        assert_eq!(
            x.table_crc,
            Table::builtin().crc(),
            "{}: made with table {:08x}, the built-in table is {:08x} (the table changed)",
            x.spec.name,
            x.table_crc,
            Table::builtin().crc()
        );
    }
    v
}

#[test]
fn the_model_encodes_the_frozen_substreams() {
    for v in all() {
        let p = params(&v.spec, v.raw16);
        let (blocks, _) = max::encode_all(&p, Table::builtin(), v.channels, &v.samples).unwrap();
        assert_eq!(blocks.len(), v.blocks.len(), "{}: block count", v.spec.name);
        for (i, (b, (frames, tokens, raw))) in blocks.iter().zip(&v.blocks).enumerate() {
            let name = v.spec.name;
            assert_eq!(b.frames, *frames, "{name}: block {i} frames");
            for (what, got, want) in [("token", &b.tokens, tokens), ("raw", &b.raw, raw)] {
                assert_eq!(got.len(), want.len(), "{name}: block {i} {what} bytes");
                if let Some(k) = (0..got.len()).find(|&k| got[k] != want[k]) {
                    panic!(
                        "{name}: block {i} {what} byte {k} is {:02x}, frozen {:02x} (the format \
                         changed)",
                        got[k], want[k]
                    );
                }
            }
        }
    }
}

#[test]
fn the_model_decodes_the_frozen_substreams() {
    for v in all() {
        let p = params(&v.spec, v.raw16);
        let refs: Vec<(u32, &[u8], &[u8])> = v
            .blocks
            .iter()
            .map(|(f, t, r)| (*f, &t[..], &r[..]))
            .collect();
        let got = max::decode_all(&p, Table::builtin(), v.channels, &refs)
            .unwrap_or_else(|e| panic!("{}: {e}", v.spec.name));
        assert!(got == v.samples, "{}: decoded samples differ", v.spec.name);
    }
}

#[test]
fn the_vectors_cover_the_edge_cases() {
    let v = all();
    let get = |n: &str| v.iter().find(|x| x.spec.name == n).unwrap();
    let multi = get("multi");
    let mut stats = max::EncodeStats::default();
    max::encode_block(
        &MaxParams::HARDWARE,
        Table::builtin(),
        3,
        &multi.samples,
        &mut stats,
    )
    .unwrap();
    assert!(stats.escapes > 0, "multi has escapes");
    // every context and the escape in the mono recording-like signal and multi together
    let mut counts = [[0u64; max::TOKENS]; max::CONTEXTS];
    max::token_counts(&MaxParams::HARDWARE, 3, &multi.samples, &mut counts).unwrap();
    max::token_counts(&MaxParams::HARDWARE, 1, &get("mono").samples, &mut counts).unwrap();
    let used = counts.iter().filter(|c| c.iter().any(|&n| n > 0)).count();
    assert!(used >= 14, "only {used} of the 16 contexts used");
    assert!(counts.iter().any(|c| c[max::ESCAPE as usize] > 0));
    assert!(
        get("multi-b64").blocks.len() == 4,
        "200 frames in blocks of 64"
    );
    assert!(get("raw").raw16);
}
