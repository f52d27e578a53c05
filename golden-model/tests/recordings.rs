//! The golden model on the real Neuralink recordings: lossless on every file, and a guard
//! against compression-ratio regressions. Skips (with a notice) when the data is absent.

use std::path::PathBuf;

#[test]
fn every_recording_is_lossless_and_the_ratio_holds() {
    check_all(neurice_model::Coder::Lite, 3.37);
}

#[test]
fn every_recording_is_lossless_and_the_ratio_holds_with_coder_max() {
    // measured 3.4628 (container included) when coder v2 was written; the issue asks >= 3.44
    check_all(neurice_model::Coder::Max, 3.46);
}

fn check_all(coder: neurice_model::Coder, want: f64) {
    let Some(dir) = neurice_testkit::data_or_skip(&format!(
        "every_recording_is_lossless_and_the_ratio_holds (coder {coder})"
    )) else {
        return;
    };
    let files: Vec<PathBuf> = neurice_testkit::wavs(&dir);
    assert!(!files.is_empty(), "{} holds no .wav files", dir.display());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(threads)).collect();
    let totals: Vec<(u64, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    let (mut orig, mut comp) = (0u64, 0u64);
                    for f in *chunk {
                        let wav = std::fs::read(f).unwrap();
                        let (nrc, stats) = neurice_model::compress_wav_with(&wav, coder).unwrap();
                        assert_eq!(stats.mode, neurice_model::Mode::Grid10, "{}", f.display());
                        assert_eq!(stats.exceptions, 0, "{}", f.display());
                        let back = neurice_model::decompress(&nrc).unwrap();
                        assert!(back == wav, "{} is not restored byte for byte", f.display());
                        orig += wav.len() as u64;
                        comp += nrc.len() as u64;
                    }
                    (orig, comp)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let orig: u64 = totals.iter().map(|t| t.0).sum();
    let comp: u64 = totals.iter().map(|t| t.1).sum();
    let ratio = orig as f64 / comp as f64;
    eprintln!(
        "{} recordings, coder {coder}: {orig} -> {comp} bytes, ratio {ratio:.4}",
        files.len()
    );
    if files.len() == 603 {
        // The target on the full challenge set (lite: measured 3.3727 when written).
        assert!(
            ratio >= want,
            "coder {coder}: ratio {ratio:.4} fell below {want}"
        );
    } else {
        assert!(ratio >= 3.0, "ratio {ratio:.4} on {} files", files.len());
    }
}
