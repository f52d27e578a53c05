//! Small self-contained SVG bar charts for the HTML report (no plotting dependency).

use std::fmt::Write as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart: one labelled bar per value, with an optional reference line
/// (e.g. a target) drawn across.
pub fn hbars(
    title: &str,
    unit: &str,
    rows: &[(String, f64)],
    reference: Option<(&str, f64)>,
) -> String {
    let w = 720.0;
    let label_w = 220.0;
    let bar_h = 18.0;
    let h = 40.0 + rows.len() as f64 * (bar_h + 6.0) + 24.0;
    let max = rows
        .iter()
        .map(|r| r.1)
        .chain(reference.map(|r| r.1))
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let scale = (w - label_w - 110.0) / max;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12"><text x="4" y="18" font-size="14" font-weight="bold">{}</text>"#,
        esc(title)
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 32.0 + i as f64 * (bar_h + 6.0);
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{label_w}" y="{y}" width="{:.1}" height="{bar_h}" fill="#4a7ab5"/><text x="{:.1}" y="{}">{} {}</text>"##,
            label_w - 6.0,
            y + 13.0,
            esc(label),
            (v * scale).max(0.5),
            label_w + v * scale + 4.0,
            y + 13.0,
            fmt_num(*v),
            esc(unit)
        );
    }
    if let Some((name, v)) = reference {
        let x = label_w + v * scale;
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="26" x2="{x:.1}" y2="{:.1}" stroke="#c0392b" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" fill="#c0392b">{} {} {}</text>"##,
            h - 20.0,
            x + 3.0,
            h - 6.0,
            esc(name),
            fmt_num(v),
            esc(unit)
        );
    }
    s.push_str("</svg>");
    s
}

/// A column chart of many values (e.g. one per recording), sorted as given, with the mean.
pub fn columns(title: &str, unit: &str, values: &[f64]) -> String {
    let w = 720.0;
    let h = 220.0;
    let (x0, y0, plot_h) = (50.0, 30.0, 160.0);
    let max = values.iter().copied().fold(0.0f64, f64::max).max(1e-12);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let bw = (w - x0 - 10.0) / values.len().max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12"><text x="4" y="18" font-size="14" font-weight="bold">{} (min {}, mean {}, max {} {})</text>"#,
        esc(title),
        fmt_num(min),
        fmt_num(mean),
        fmt_num(max),
        esc(unit)
    );
    for (i, v) in values.iter().enumerate() {
        let bh = v / max * plot_h;
        let _ = write!(
            s,
            r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="#4a7ab5"/>"##,
            x0 + i as f64 * bw,
            y0 + plot_h - bh,
            bw.max(0.5),
            bh
        );
    }
    let my = y0 + plot_h - mean / max * plot_h;
    let _ = write!(
        s,
        r##"<line x1="{x0}" y1="{my:.1}" x2="{:.1}" y2="{my:.1}" stroke="#c0392b"/><text x="4" y="{:.1}">{}</text><text x="4" y="{:.1}">0</text></svg>"##,
        w - 10.0,
        y0 + 10.0,
        fmt_num(max),
        y0 + plot_h
    );
    s
}

/// One line of a [`panels`] chart: a name for the legend, a colour, dashed or solid, and its
/// points (`None`: no value there, e.g. −∞ dB; the line breaks).
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub dashed: bool,
    pub points: Vec<(f64, Option<f64>)>,
}

/// One panel of a [`panels`] chart: its title, the unit of its y axis and its lines.
pub struct Panel {
    pub title: String,
    pub unit: String,
    pub series: Vec<Series>,
}

/// Line charts side by side (two per row) sharing one x axis (`x_label`), each with its own
/// y range (from the values, 0 included when `y_from_zero`), the values written at the
/// points, and a legend of the series under each panel.
pub fn panels(
    title: &str,
    note: &str,
    x_label: &str,
    panels: &[Panel],
    y_from_zero: bool,
) -> String {
    let (pw, ph) = (480.0, 250.0);
    let (ml, mr, mt, mb) = (58.0, 44.0, 28.0, 62.0);
    let cols = 2usize;
    let rows = panels.len().div_ceil(cols);
    let w = pw * cols as f64;
    let h = 44.0 + ph * rows as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11"><text x="6" y="18" font-size="14" font-weight="bold">{}</text><text x="6" y="34" font-size="10" fill="#555">{}</text>"##,
        esc(title),
        esc(note)
    );
    for (i, p) in panels.iter().enumerate() {
        let (ox, oy) = ((i % cols) as f64 * pw, 44.0 + (i / cols) as f64 * ph);
        let (x0, x1, y0, y1) = (ox + ml, ox + pw - mr, oy + mt, oy + ph - mb);
        let pts = || p.series.iter().flat_map(|s| s.points.iter());
        let xs = pts().map(|q| q.0);
        let (xmin, xmax) = xs
            .clone()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
        let ys = pts().filter_map(|q| q.1).filter(|y| y.is_finite());
        let (mut ymin, mut ymax) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        if !ymin.is_finite() {
            (ymin, ymax) = (0.0, 1.0);
        }
        if y_from_zero {
            ymin = ymin.min(0.0);
            ymax = ymax.max(0.0);
        }
        let pad = ((ymax - ymin) * 0.08).max(1e-9);
        let (ymin, ymax) = (
            ymin - if y_from_zero && ymin == 0.0 { 0.0 } else { pad },
            ymax + pad,
        );
        let (xmin, xmax) = if xmin.is_finite() && xmax > xmin {
            (xmin, xmax)
        } else if xmin.is_finite() {
            (xmin - 1.0, xmin + 1.0)
        } else {
            (0.0, 1.0)
        };
        let sx = |x: f64| x0 + (x - xmin) / (xmax - xmin) * (x1 - x0);
        let sy = |y: f64| y1 - (y - ymin) / (ymax - ymin) * (y1 - y0);
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" font-weight="bold">{}</text><rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#888"/>"##,
            ox + 8.0,
            oy + 16.0,
            esc(&p.title),
            x1 - x0,
            y1 - y0
        );
        // y axis: three ticks; x axis: a tick per distinct x
        for k in 0..3 {
            let y = ymin + (ymax - ymin) * k as f64 / 2.0;
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><line x1="{x0:.1}" y1="{:.1}" x2="{x1:.1}" y2="{:.1}" stroke="#ddd"/>"##,
                x0 - 4.0,
                sy(y) + 4.0,
                fmt_tick(y),
                sy(y),
                sy(y)
            );
        }
        let mut ticks: Vec<f64> = pts().map(|q| q.0).collect();
        ticks.sort_by(f64::total_cmp);
        ticks.dedup();
        for x in ticks {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                sx(x),
                y1 + 14.0,
                fmt_tick(x)
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{} ({})</text>"#,
            (x0 + x1) / 2.0,
            y1 + 28.0,
            esc(x_label),
            esc(&p.unit)
        );
        for (j, se) in p.series.iter().enumerate() {
            let dash = if se.dashed {
                r#" stroke-dasharray="5 3""#
            } else {
                ""
            };
            // the line, broken where a value is missing
            let mut run: Vec<String> = Vec::new();
            let flush = |run: &mut Vec<String>, s: &mut String| {
                if run.len() > 1 {
                    let _ = write!(
                        s,
                        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                        run.join(" "),
                        se.color
                    );
                }
                run.clear();
            };
            for &(x, y) in &se.points {
                match y.filter(|y| y.is_finite()) {
                    Some(y) => run.push(format!("{:.1},{:.1}", sx(x), sy(y))),
                    None => flush(&mut run, &mut s),
                }
            }
            flush(&mut run, &mut s);
            for &(x, y) in &se.points {
                if let Some(y) = y.filter(|y| y.is_finite()) {
                    let _ = write!(
                        s,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/><text x="{:.1}" y="{:.1}" fill="{}" font-size="9">{}</text>"#,
                        sx(x),
                        sy(y),
                        se.color,
                        sx(x) + 4.0,
                        sy(y) - 5.0 + 12.0 * (j % 2) as f64,
                        se.color,
                        fmt_num(y)
                    );
                }
            }
            let lx = x0 + (j % 2) as f64 * (x1 - x0) / 2.0;
            let ly = y1 + 42.0 + (j / 2) as f64 * 13.0;
            let _ = write!(
                s,
                r#"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="2"{dash}/><text x="{:.1}" y="{ly:.1}">{}</text>"#,
                ly - 4.0,
                lx + 18.0,
                ly - 4.0,
                se.color,
                lx + 22.0,
                esc(&se.name)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// An axis label: whole numbers without decimals, others with two.
fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_well_formed_and_escape_labels() {
        let s = hbars(
            "a<b",
            "mW",
            &[("x&y".into(), 2.0), ("z".into(), 0.0)],
            Some(("target", 3.0)),
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("a&lt;b") && s.contains("x&amp;y"));
        assert_eq!(s.matches("<rect").count(), 2);
        let c = columns("ratio", "", &[1.0, 3.0, 2.0]);
        assert_eq!(c.matches("<rect").count(), 3);
        assert!(c.contains("mean 2.00"));
    }

    #[test]
    fn panels_draw_every_point_and_break_lines_at_missing_values() {
        let series = |name: &str, pts: Vec<(f64, Option<f64>)>| Series {
            name: name.into(),
            color: "#123456",
            dashed: false,
            points: pts,
        };
        let p = [
            Panel {
                title: "ratio".into(),
                unit: "×".into(),
                series: vec![series("a<b", vec![(0.0, Some(3.0)), (1.0, Some(5.0))])],
            },
            Panel {
                title: "dB".into(),
                unit: "dB".into(),
                series: vec![series(
                    "c",
                    vec![(0.0, None), (1.0, Some(-24.0)), (2.0, Some(-19.0))],
                )],
            },
        ];
        let s = panels("t", "n", "δ", &p, false);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("a&lt;b"));
        assert_eq!(s.matches("<circle").count(), 4, "{s}");
        assert_eq!(s.matches("<polyline").count(), 2, "{s}");
        assert!(s.contains(">5.00<") && s.contains(">-24.00<"), "{s}");
    }
}
