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
}
