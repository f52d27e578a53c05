//! The peers (FLAC `-8`, WavPack `-hh -x6`) measured on the same recordings: their ratio is
//! the WAV bytes over their output files' bytes; a peer that is not installed is skipped with
//! the reason, never guessed. The tools are installed by `scripts/install-tools.sh`; without
//! them their part is skipped through `neurice_testkit::skip`.

use neurice_flow::peers::{measure, PEERS};

#[test]
fn peers_are_measured_on_the_same_files_or_skipped_with_the_reason() {
    let d = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..5)
        .map(|i| {
            let p = d.path().join(format!("rec{i}.wav"));
            let wav = neurice_testkit::grid_wav(1, &neurice_testkit::spiky_walk(20_000, 7 + i));
            std::fs::write(&p, wav).unwrap();
            p
        })
        .collect();
    let wav_bytes: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    let r = measure(&files, 2, &d.path().join("peers")).unwrap();
    assert_eq!(r.len(), PEERS.len());
    for (p, codec) in r.iter().zip(PEERS) {
        assert_eq!(p.command, codec.command());
        assert_eq!(p.wav_bytes, wav_bytes);
        assert_eq!(p.files, 5);
        match &p.skipped {
            Some(why) => {
                assert!(p.ratio.is_none() && why.contains(codec.tool), "{p:?}");
                neurice_testkit::skip(&format!("peers::{} measured", codec.name), why);
            }
            None => {
                let ratio = p.ratio.unwrap();
                assert!(
                    p.compressed_bytes > 0 && p.compressed_bytes < wav_bytes,
                    "{p:?}"
                );
                assert!((ratio - wav_bytes as f64 / p.compressed_bytes as f64).abs() < 1e-12);
                // a spiky walk of 10-bit codes: lossless coders gain (FLAC 1.18x), not 10x
                assert!(ratio > 1.0 && ratio < 10.0, "{p:?}");
            }
        }
    }
    // a tool that is not there is skipped, with its name and the package in the reason
    std::env::set_var("NEURICE_WAVPACK", d.path().join("no-such-wavpack"));
    let r = measure(&files, 1, &d.path().join("peers2")).unwrap();
    std::env::remove_var("NEURICE_WAVPACK");
    let wv = r.iter().find(|p| p.name == "WavPack").unwrap();
    assert!(wv.ratio.is_none(), "{wv:?}");
    assert!(wv.skipped.as_deref().unwrap().contains("wavpack"), "{wv:?}");
    // no recordings (a synthetic run): nothing to measure, said so
    let r = measure(&[], 1, &d.path().join("peers3")).unwrap();
    assert!(r
        .iter()
        .all(|p| p.skipped.as_deref() == Some("no recordings (synthetic run)")));
}
