//! The report checked in a real browser (issue 29): headless Chromium (Debian's `chromium`,
//! through the project's tool runner) loads a page from disk, runs its scripts and dumps the
//! DOM it rendered; [`check_page`] fails on a blank page (no visible text), a missing asset (a
//! local `src`/`href` that does not exist) or a script error (an uncaught error on the
//! console).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// What the browser saw of a page that passed.
#[derive(Clone, Debug)]
pub struct PageCheck {
    /// Characters of visible text (tags, scripts and styles removed).
    pub text_chars: usize,
    /// Local assets referenced (`src`, `href`), every one present.
    pub assets: Vec<PathBuf>,
    /// `<svg>` elements in the rendered DOM.
    pub svgs: usize,
}

/// Least visible text for a page not to count as blank.
pub const MIN_TEXT_CHARS: usize = 40;

/// The Chromium executable (`chromium`, or `$NEURICE_CHROMIUM`).
pub fn chromium() -> Result<PathBuf> {
    neurice_synth::tools::find_tool("chromium")
}

/// Loads `page` in headless Chromium (`exe`), log in `log`, and checks what it rendered.
pub fn check_page(exe: &Path, page: &Path, log: &Path) -> Result<PageCheck> {
    let page = page
        .canonicalize()
        .with_context(|| format!("{}", page.display()))?;
    let profile = tempfile::tempdir().context("a browser profile folder")?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg("--dump-dom")
    .arg(format!("file://{}", page.display()));
    let out = neurice_synth::tools::run_tool(&mut cmd, log)
        .with_context(|| format!("chromium on {}", page.display()))?
        .output;
    check_output(&out, page.parent().unwrap_or(Path::new("."))).with_context(|| {
        format!(
            "{} in headless Chromium (log {})",
            page.display(),
            log.display()
        )
    })
}

/// A line of Chromium's own log (`[pid:tid:MMDD/hhmmss.uuuuuu:LEVEL:…]`) or of its wrapper
/// script, not of the dumped DOM.
fn is_log_line(l: &str) -> bool {
    let b = l.as_bytes();
    (b.first() == Some(&b'[') && b.get(1).is_some_and(|c| c.is_ascii_digit()) && l.contains("]"))
        || l.starts_with("/usr/bin/chromium")
}

/// Checks Chromium's output (`--dump-dom` and its log) for a page in `dir`.
pub fn check_output(out: &str, dir: &Path) -> Result<PageCheck> {
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| is_log_line(l) && l.contains(":CONSOLE") && l.contains("Uncaught"))
        .collect();
    if !errors.is_empty() {
        bail!("script error(s) on the page:\n{}", errors.join("\n"));
    }
    let dom: String = out
        .lines()
        .filter(|l| !is_log_line(l))
        .collect::<Vec<_>>()
        .join("\n");
    if !dom.to_ascii_lowercase().contains("<body") {
        bail!("no rendered page (no <body> in the DOM Chromium dumped)");
    }
    let text = visible_text(&dom);
    if text.chars().count() < MIN_TEXT_CHARS {
        bail!(
            "blank page: {} characters of visible text (at least {MIN_TEXT_CHARS} expected): {text:?}",
            text.chars().count()
        );
    }
    let mut assets = Vec::new();
    let mut missing = Vec::new();
    for url in attributes(&dom, &["src", "href"]) {
        let lower = url.to_ascii_lowercase();
        if url.is_empty()
            || url.starts_with('#')
            || ["http:", "https:", "data:", "mailto:", "javascript:"]
                .iter()
                .any(|p| lower.starts_with(p))
        {
            continue;
        }
        let local = url
            .strip_prefix("file://")
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join(url.split(['#', '?']).next().unwrap_or(&url)));
        if local.exists() {
            assets.push(local);
        } else {
            missing.push(url);
        }
    }
    if !missing.is_empty() {
        bail!("missing asset(s): {}", missing.join(", "));
    }
    Ok(PageCheck {
        text_chars: text.chars().count(),
        assets,
        svgs: dom.matches("<svg").count(),
    })
}

/// The text of `html` outside tags, `<script>` and `<style>`, whitespace collapsed.
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for tag in ["script", "style", "head"] {
        while let Some(a) = s.find(&format!("<{tag}")) {
            let close = format!("</{tag}>");
            let b = s[a..].find(&close).map_or(s.len(), |b| a + b + close.len());
            s.replace_range(a..b, " ");
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The values of the attributes `names` (double-quoted, as Chromium serialises them).
fn attributes(html: &str, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for n in names {
        let pat = format!(" {n}=\"");
        let mut rest = html;
        while let Some(i) = rest.find(&pat) {
            rest = &rest[i + pat.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            out.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_without_a_browser() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.png"), b"x").unwrap();
        let body = "<p>a page with enough visible text to count as not blank at all</p>";
        let ok = format!("<html><head></head><body>{body}<img src=\"a.png\"></body></html>");
        assert!(check_output(&ok, d.path()).is_ok());
        let blank = "<html><head><title>t</title></head><body><div></div></body></html>";
        assert!(format!("{:#}", check_output(blank, d.path()).unwrap_err()).contains("blank"));
        let missing = format!("<html><body>{body}<img src=\"b.png\"></body></html>");
        assert!(format!("{:#}", check_output(&missing, d.path()).unwrap_err()).contains("b.png"));
        let err = format!(
            "[1:1:1206/232019.519957:INFO:CONSOLE:1] \"Uncaught ReferenceError: f\", source: x (1)\n{ok}"
        );
        assert!(format!("{:#}", check_output(&err, d.path()).unwrap_err()).contains("script"));
    }
}
