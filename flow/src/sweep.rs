//! `eval --max-error-sweep`: the bounded-error coders (FORMAT.md §11, §10.11) measured at
//! several maximum errors `δ` on the same recordings, one [`run_eval`] per coder and `δ`, and
//! the plot of the ratio against `δ` with the fidelity beside it (RMS error, in-band error
//! power against the noise floor, spike-detection precision and recall).

use std::path::PathBuf;

use anyhow::{bail, Result};
use neurice_model::{Coder, CoderSpec};
use serde::Serialize;

use crate::bounded::BoundedSummary;
use crate::eval::{run_eval, EvalReport};
use crate::svg::{panels, Panel, Series};

/// Checks a list of maximum errors for a sweep: not empty, every `δ` at most
/// [`neurice_model::near::MAX_ERROR_LIMIT`], strictly increasing (no repeats).
pub fn check_deltas(deltas: &[u32]) -> Result<()> {
    let limit = neurice_model::near::MAX_ERROR_LIMIT;
    if deltas.is_empty() {
        bail!("the sweep's list of maximum errors is empty: give δ values, e.g. 0,1,2,3,4");
    }
    if let Some(d) = deltas.iter().find(|&&d| d > limit) {
        bail!(
            "maximum error {d}: a δ is a whole number of grid steps, 0..={limit} (one byte in \
             the container, FORMAT.md §11)"
        );
    }
    if let Some(w) = deltas.windows(2).find(|w| w[1] <= w[0]) {
        bail!(
            "the sweep's maximum errors must be in increasing order without repeats ({} then {})",
            w[0],
            w[1]
        );
    }
    Ok(())
}

/// Parses a sweep's list, `"0,1,2"` (spaces allowed), and [`check_deltas`] it.
pub fn parse_deltas(s: &str) -> Result<Vec<u32>> {
    if s.trim().is_empty() {
        return check_deltas(&[]).map(|_| Vec::new());
    }
    let limit = neurice_model::near::MAX_ERROR_LIMIT;
    let v = s
        .split(',')
        .map(|p| {
            let p = p.trim();
            p.parse::<u32>().map_err(|_| {
                anyhow::anyhow!(
                    "`{p}` in `{s}`: a maximum error is a whole number of grid steps, \
                     0..={limit} (a list: 0,1,2)"
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    check_deltas(&v)?;
    Ok(v)
}

/// One coder at one maximum error: the figures of its [`EvalReport`].
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SweepPoint {
    pub coder: Coder,
    pub max_error: u32,
    pub ratio: f64,
    pub bits_per_sample: f64,
    pub original_bytes: u64,
    pub compressed_bytes: u64,
    /// Every file decoded to the original byte for byte (`δ = 0`).
    pub lossless: bool,
    /// Every file passed its check (lossless, or within `δ`).
    pub passed: bool,
    /// With `δ > 0`: the error and the fidelity ([`BoundedSummary`]).
    pub bounded: Option<BoundedSummary>,
}

impl SweepPoint {
    /// The point of one `eval`.
    pub fn of(e: &EvalReport) -> Self {
        SweepPoint {
            coder: e.coder,
            max_error: e.parameters.max_error(),
            ratio: e.ratio,
            bits_per_sample: e.bits_per_sample,
            original_bytes: e.original_bytes,
            compressed_bytes: e.compressed_bytes,
            lossless: e.lossless,
            passed: e.passed,
            bounded: e.bounded.clone(),
        }
    }

    /// A lossless point's fidelity is exact (the decoded recording is the original): this
    /// value for it, the measured one (`f` of the summary) otherwise.
    fn fidelity(&self, exact: f64, f: impl Fn(&BoundedSummary) -> Option<f64>) -> Option<f64> {
        match &self.bounded {
            Some(b) => f(b),
            None => self.lossless.then_some(exact),
        }
    }
}

/// A whole sweep: every coder at every `δ`, on the same files.
#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    pub files: usize,
    pub max_errors: Vec<u32>,
    pub points: Vec<SweepPoint>,
    pub seconds: f64,
    /// Every point passed its check.
    pub passed: bool,
}

/// Evaluates every coder of `coders` (their parameters, `δ` replaced) at every maximum error
/// of `deltas` ([`check_deltas`]) on `files`; every coder's parameters are checked at every `δ`
/// before the first evaluation. `progress(point, files done)`.
pub fn run_sweep(
    files: &[PathBuf],
    coders: &[CoderSpec],
    deltas: &[u32],
    threads: Option<usize>,
    progress: &(dyn Fn(usize, u64) + Sync),
) -> Result<(SweepReport, Vec<EvalReport>)> {
    check_deltas(deltas)?;
    let start = std::time::Instant::now();
    let mut specs = Vec::new();
    for c in coders {
        if c.kind() == Coder::V2 && deltas.iter().any(|&d| d > 0) {
            bail!(
                "coder v2 is lossless only (FORMAT.md §11.7): a sweep is for coders lite and max"
            );
        }
        for &d in deltas {
            let s = c.with_max_error(d)?;
            s.quantiser()?;
            s.validate()?;
            specs.push(s);
        }
    }
    let mut points = Vec::new();
    let mut reports = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let e = run_eval(files, s, threads, &|n| progress(i, n))?;
        points.push(SweepPoint::of(&e));
        reports.push(e);
    }
    let files = reports.first().map_or(0, |e| e.files - e.input_errors);
    Ok((
        SweepReport {
            files,
            max_errors: deltas.to_vec(),
            passed: points.iter().all(|p| p.passed),
            points,
            seconds: start.elapsed().as_secs_f64(),
        },
        reports,
    ))
}

/// The colour of a coder's lines.
fn color(c: Coder) -> &'static str {
    match c {
        Coder::Lite => "#1f77b4",
        Coder::Max => "#d62728",
        Coder::V2 => "#2ca02c",
    }
}

/// The plot: the ratio against `δ` for each coder, with the fidelity beside it (RMS and
/// maximum error, in-band error against the noise floor, spike precision and recall). At
/// `δ = 0` (lossless) the error is 0 and the detections agree exactly; the error power is
/// −∞ dB there and not drawn. `note`: a line under the title (the recordings, the command).
pub fn plot(points: &[SweepPoint], note: &str) -> String {
    let mut coders: Vec<Coder> = points.iter().map(|p| p.coder).collect();
    coders.dedup();
    let line =
        |name: String, c: Coder, dashed: bool, f: &dyn Fn(&SweepPoint) -> Option<f64>| Series {
            name,
            color: color(c),
            dashed,
            points: points
                .iter()
                .filter(|p| p.coder == c)
                .map(|p| (p.max_error as f64, f(p)))
                .collect(),
        };
    let per_coder = |f: &dyn Fn(Coder) -> Vec<Series>| coders.iter().flat_map(|&c| f(c)).collect();
    let pct = |x: Option<f64>| x.map(|v| 100.0 * v);
    let panels_ = [
        Panel {
            title: "Compression ratio (container included)".into(),
            unit: "grid steps".into(),
            series: per_coder(&|c| {
                vec![line(format!("coder {c}"), c, false, &|p| {
                    (p.passed && p.ratio > 0.0).then_some(p.ratio)
                })]
            }),
        },
        Panel {
            title: "Error, grid steps (RMS solid, max dashed)".into(),
            unit: "grid steps".into(),
            series: per_coder(&|c| {
                vec![
                    line(format!("{c} RMS"), c, false, &|p| {
                        p.fidelity(0.0, |b| Some(b.rms_error_steps))
                    }),
                    line(format!("{c} max"), c, true, &|p| {
                        p.fidelity(0.0, |b| Some(b.max_error_steps))
                    }),
                ]
            }),
        },
        Panel {
            title: "In-band error power / noise floor, dB".into(),
            unit: "grid steps".into(),
            series: per_coder(&|c| {
                vec![line(format!("coder {c}"), c, false, &|p| {
                    p.bounded.as_ref().and_then(|b| b.error_to_noise_db)
                })]
            }),
        },
        Panel {
            title: "Spike detections, % (precision solid, recall dashed)".into(),
            unit: "grid steps".into(),
            series: per_coder(&|c| {
                vec![
                    line(format!("{c} precision"), c, false, &|p| {
                        pct(p.fidelity(1.0, |b| b.spike_precision))
                    }),
                    line(format!("{c} recall"), c, true, &|p| {
                        pct(p.fidelity(1.0, |b| b.spike_recall))
                    }),
                ]
            }),
        },
    ];
    panels(
        "Bounded error: ratio against the maximum error δ, with the fidelity",
        note,
        "maximum error δ",
        &panels_,
        false,
    )
}

/// The plot in a flow's report when it ran bounded error: the points its evaluations measured
/// (one `δ` per coder, or δ = 0, 1, 2 with `--every-mode`), with the command that measures
/// the whole curve; `None` when no evaluation was bounded.
pub fn flow_chart<'a>(evals: impl IntoIterator<Item = &'a EvalReport>) -> Option<String> {
    let points: Vec<SweepPoint> = evals.into_iter().map(SweepPoint::of).collect();
    points.iter().any(|p| p.bounded.is_some()).then(|| {
        plot(
            &points,
            "the points this flow measured; the whole curve: neurice eval --coder both \
             --max-error-sweep 0,1,2,3,4 --plot FILE.svg",
        )
    })
}

/// The sweep as text: one line per coder and `δ`.
pub fn render_text(r: &SweepReport) -> String {
    let pct = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{:.2} %", 100.0 * v));
    let mut s = format!(
        "{} files; coder, δ: ratio, bits/sample, max / RMS error (grid steps), in-band error \
         vs noise floor, spike precision / recall\n",
        r.files
    );
    for p in &r.points {
        let fid = match &p.bounded {
            Some(b) => format!(
                "max {:.3} / RMS {:.3}{}, {}, {} / {}",
                b.max_error_steps,
                b.rms_error_steps,
                if b.violations > 0 {
                    format!(" ({} samples BEYOND δ)", b.violations)
                } else {
                    String::new()
                },
                b.error_to_noise_db
                    .map_or("n/a".into(), |db| format!("{db:.1} dB")),
                pct(b.spike_precision),
                pct(b.spike_recall)
            ),
            None if p.lossless => "lossless (every file byte for byte)".into(),
            None => "NOT lossless".into(),
        };
        s += &format!(
            "  {:<4} δ = {:>3}: {:.4}, {:.3} bits/sample, {}\n",
            p.coder.name(),
            p.max_error,
            p.ratio,
            p.bits_per_sample,
            fid
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::CodecParams;

    #[test]
    fn a_bad_list_is_refused_clearly() {
        assert_eq!(parse_deltas("0, 1,2,4").unwrap(), vec![0, 1, 2, 4]);
        for (bad, want) in [
            ("", "empty"),
            (" ", "empty"),
            ("1,x", "`x`"),
            ("1,-2", "`-2`"),
            ("0,256", "maximum error 256"),
            ("2,1", "increasing"),
            ("0,1,1", "increasing"),
            ("0,,1", "``"),
        ] {
            let e = parse_deltas(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    /// Three generated recordings in a temporary folder.
    fn recordings() -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let files = (0..3u64)
            .map(|k| {
                let p = dir.path().join(format!("r{k}.wav"));
                let w =
                    neurice_testkit::grid_wav(1, &neurice_testkit::spiky_walk(20_000, 2 * k + 1));
                std::fs::write(&p, w).unwrap();
                p
            })
            .collect();
        (dir, files)
    }

    #[test]
    fn the_sweep_measures_what_single_evals_measure_and_plots_it() {
        let (_dir, files) = recordings();
        let coders = [
            CoderSpec::Lite(CodecParams::HARDWARE),
            CoderSpec::hardware(Coder::Max),
        ];
        let deltas = [0, 1, 2];
        let (r, evals) = run_sweep(&files, &coders, &deltas, Some(1), &|_, _| {}).unwrap();
        assert_eq!((r.files, r.points.len(), r.passed), (3, 6, true));
        for (p, (c, d)) in r.points.iter().zip(
            coders
                .iter()
                .flat_map(|c| deltas.iter().map(move |d| (c, *d))),
        ) {
            let single = run_eval(&files, &c.with_max_error(d).unwrap(), Some(1), &|_| {}).unwrap();
            assert_eq!(*p, SweepPoint::of(&single), "coder {} δ {d}", c.kind());
            assert_eq!((p.coder, p.max_error), (c.kind(), d));
            assert_eq!(p.bounded.is_some(), d > 0);
        }
        // the ratio rises with δ for both coders
        for c in [Coder::Lite, Coder::Max] {
            let ratios: Vec<f64> = r
                .points
                .iter()
                .filter(|p| p.coder == c)
                .map(|p| p.ratio)
                .collect();
            assert!(ratios.windows(2).all(|w| w[1] > w[0]), "{c}: {ratios:?}");
        }
        let svg = plot(&r.points, "3 generated recordings");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // 4 panels: ratio 2×3 points, error 4×3, dB 2×2 (none at δ = 0), spikes 4×3
        assert_eq!(svg.matches("<circle").count(), 6 + 12 + 4 + 12, "{svg}");
        let lite1 = &r.points[1];
        assert!(svg.contains(&format!(">{:.2}<", lite1.ratio)), "{svg}");
        // the flow's report: the plot only when it ran bounded error
        assert!(flow_chart(evals.iter().filter(|e| e.bounded.is_none())).is_none());
        let one = flow_chart(&evals[1..2]).unwrap();
        assert!(one.contains("the whole curve"), "{one}");
        assert_eq!(one.matches("<circle").count(), 1 + 2 + 1 + 2, "{one}");
        let text = render_text(&r);
        assert!(
            text.contains("lossless") && text.contains("δ =   2"),
            "{text}"
        );
    }
}
