//! The report's pages in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `scripts/install-tools.sh`; skipped through `neurice_testkit::skip` when absent) renders
//! them and `neurice_flow::browser::check_page` fails on a blank page, a missing asset or a
//! script error. Here on pages with each fault (each must fail) and on a page the report's
//! own SVG chart code draws (it must pass); the flow's real `index.html` pages are checked the
//! same way in `cli/tests/hw.rs` (`flow_both_coders_writes_the_side_by_side_report`).

use neurice_flow::browser::{check_page, chromium};

#[test]
fn chromium_fails_blank_pages_missing_assets_and_script_errors() {
    let exe = match chromium() {
        Ok(e) => e,
        Err(e) => {
            neurice_testkit::skip(
                "browser::chromium_fails_blank_pages_missing_assets_and_script_errors",
                &format!("{e:#} (Debian package `chromium`; scripts/install-tools.sh)"),
            );
            return;
        }
    };
    let d = tempfile::tempdir().unwrap();
    let page = |name: &str, body: &str| {
        let p = d.path().join(name);
        std::fs::write(
            &p,
            format!("<!doctype html><html><head><meta charset=\"utf-8\"><title>t</title></head><body>{body}</body></html>"),
        )
        .unwrap();
        p
    };
    let chart = neurice_flow::svg::hbars(
        "Compression ratio",
        "",
        &[("lite".to_string(), 3.37), ("v2".to_string(), 3.46)],
        None,
    );
    std::fs::write(d.path().join("report.json"), "{}").unwrap();
    let good = page(
        "good.html",
        &format!("<h1>neurice: the coders side by side</h1>{chart}<a href=\"report.json\">report.json</a><script>document.title = 'ok';</script>"),
    );
    let log = |n: &str| d.path().join(format!("{n}.log"));
    let ok = check_page(&exe, &good, &log("good")).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(ok.svgs, 1);
    assert_eq!(ok.assets.len(), 1);

    let text = "<p>a page with enough visible text to count as not blank at all</p>";
    for (name, body, want) in [
        (
            "blank",
            "<div style=\"height:100px\"></div>".to_string(),
            "blank page",
        ),
        // text written by a script counts: this one writes nothing
        (
            "blank_script",
            "<script>var x = 1;</script>".to_string(),
            "blank page",
        ),
        (
            "missing",
            format!("{text}<img src=\"chart.png\">"),
            "chart.png",
        ),
        (
            "missing_css",
            format!("{text}<link rel=\"stylesheet\" href=\"style.css\">"),
            "style.css",
        ),
        (
            "script",
            format!("{text}<script>undefinedFunction();</script>"),
            "script error",
        ),
    ] {
        let p = page(&format!("{name}.html"), &body);
        let e = check_page(&exe, &p, &log(name)).expect_err(name);
        let e = format!("{e:#}");
        assert!(e.contains(want), "{name}: {e}");
    }
}
