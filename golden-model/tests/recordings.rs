//! The golden model on the real Neuralink recordings: lossless on every file, and a guard
//! against compression-ratio regressions. A `neurice_testkit::skip` when the recordings are
//! absent (`testkit::recordings`: exactly the 603, never another folder of WAVs): the ratio
//! guards hold on the 603 only, and are never relaxed.

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
    assert_eq!(
        files.len(),
        neurice_testkit::RECORDINGS,
        "{}",
        dir.display()
    );
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
    // The target on the full challenge set (lite: measured 3.3727 when written).
    assert!(
        ratio >= want,
        "coder {coder}: ratio {ratio:.4} fell below {want}"
    );
}

/// The multi-coder draft (FORMAT.md §7.10) on real data: 64 recordings as 64 channels, 8
/// coders; lossless, no flush forced by the 64-word buffer, and within 0.2 % of one §7.5 coder
/// (measured 0.05 % on all 603).
#[test]
fn the_multi_coder_stream_is_lossless_on_recordings_and_costs_little() {
    use neurice_model::v2::{self, multi, V2Params};
    let Some(dir) =
        neurice_testkit::data_or_skip("the_multi_coder_stream_is_lossless_on_recordings")
    else {
        return;
    };
    let files: Vec<PathBuf> = neurice_testkit::wavs(&dir).into_iter().take(64).collect();
    let chans: Vec<Vec<u32>> = files
        .iter()
        .map(|f| {
            let wav = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
            neurice_model::grid::to_grid(&wav.samples).0
        })
        .collect();
    let (c, frames) = (
        chans.len(),
        chans.iter().map(Vec::len).min().unwrap().min(20_000),
    );
    let s: Vec<u32> = (0..frames)
        .flat_map(|f| chans.iter().map(move |ch| ch[f]))
        .collect();
    let p = V2Params::HARDWARE;
    let k = 8.min(c);
    let mut st = multi::Stats::default();
    let bytes = multi::encode_block(&p, k, c, &s, &mut st).unwrap();
    assert_eq!(st.forced, 0, "{st:?}");
    assert_eq!(
        multi::decode_block(&p, k, c, frames as u32, &bytes).unwrap(),
        s
    );
    let single = v2::encode_block(&p, c, &s, &mut v2::EncodeStats::default()).len();
    let cost = bytes.len() as f64 / single as f64 - 1.0;
    eprintln!(
        "{c} channels x {frames} frames, K = {k}: {} bytes against {single} ({:+.3} %), most waiting {}",
        bytes.len(),
        cost * 100.0,
        st.most_waiting
    );
    assert!(cost < 0.002, "multi-coder cost {:.3} %", cost * 100.0);
}
