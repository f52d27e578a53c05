//! The coders side by side (`neurice flow --coder both`: every coder with a hardware core,
//! today lite and max): one [`crate::Flow`] per coder into `OUT/lite` and `OUT/max`, then
//! `OUT/report.json` and `OUT/index.html` with the numbers of each next to each other.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use neurice_model::Coder;
use neurice_synth::power::Band;

use crate::svg::hbars;
use crate::{CacheStatus, CacheUse, Flow, FlowConfig, FlowReport, Observer};
use neurice_sim::CoreDesign;

/// One mode's row of the side-by-side report (a coder, lossless or with a maximum error, or
/// event mode).
#[derive(Clone, Debug, Serialize)]
pub struct CoderSummary {
    /// The mode's short name ([`mode_name`]: `lite`, `max`, `v2`, `lite-d1`, `events`), also
    /// its report folder's.
    pub coder: String,
    /// What the mode is, in words ([`mode_label`]: "lossless, coder lite", …).
    pub mode: String,
    /// Its own flow report folder (`report.json`, `index.html`).
    pub report_dir: PathBuf,
    /// Compression ratio: the golden model's on the recordings (container included), event
    /// mode's eval's (the WAV's bits over the packets'), or, on a synthetic run, the core's
    /// payload ratio in the co-simulation.
    pub ratio: f64,
    pub ratio_source: String,
    /// Bits per sample of the same measurement as `ratio`.
    pub bits_per_sample: f64,
    /// Words of the co-simulation that differ from the golden model.
    pub mismatches: u64,
    pub lc_used: u64,
    pub bram_used: u64,
    pub fmax_mhz: Option<f64>,
    pub clock_mhz: f64,
    pub timing_met: bool,
    pub clocks_per_sample: f64,
    pub samples_per_s: f64,
    pub real_time_channels: f64,
    /// FPGA total power at `clock_mhz`, mW (low / typical / high).
    pub total_mw: Band,
    pub uw_per_channel: Band,
    pub nj_per_sample: Band,
    /// How the throughput and energy figures were obtained.
    pub method: String,
}

impl CoderSummary {
    /// The row of one coder's flow report `r`, written in `dir`.
    pub fn of(r: &FlowReport, dir: &Path) -> Self {
        let (ratio, bits_per_sample, ratio_source) = match (&r.eval, &r.event_eval) {
            (_, Some(e)) => (
                e.ratio_vs_wav,
                e.link_bits_per_sample(),
                format!(
                    "event mode's eval on every sample of {} recordings as {} channels (packets, \
                     framing included)",
                    e.files, e.rate_1024.channels
                ),
            ),
            (Some(e), None) => (
                e.ratio,
                e.bits_per_sample,
                format!(
                    "golden model on {} recordings (container included)",
                    e.files
                ),
            ),
            (None, None) => (
                r.simulation.ratio,
                32.0 * r.simulation.words as f64 / r.simulation.samples.max(1) as f64,
                if r.synthetic {
                    "the core's payload in the co-simulation (synthetic data)".to_string()
                } else {
                    format!(
                        "the core's words in the co-simulation ({} samples of {} channels; \
                         payload, no packet framing)",
                        r.simulation.samples, r.simulation.channels
                    )
                },
            ),
        };
        let t = &r.power.throughput;
        let y = &r.synthesis;
        CoderSummary {
            coder: mode_name(&r.design),
            mode: mode_label(&r.design),
            report_dir: dir.to_path_buf(),
            ratio,
            ratio_source,
            bits_per_sample,
            mismatches: r.simulation.mismatches,
            lc_used: y.lc_used,
            bram_used: y.bram_used,
            fmax_mhz: y.fmax_mhz,
            clock_mhz: y.target_mhz,
            timing_met: y.timing_met,
            clocks_per_sample: t.clocks_per_sample,
            samples_per_s: t.samples_per_s,
            real_time_channels: t.real_time_channels,
            total_mw: r.power.power.total_mw,
            uw_per_channel: t.uw_per_channel,
            nj_per_sample: t.nj_per_sample,
            method: t.method.clone(),
        }
    }
}

/// The side-by-side report (`OUT/report.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub neurice_version: &'static str,
    /// When the run started (UTC, ISO 8601).
    pub date_utc: String,
    /// Where it ran (CPU, cores, memory, OS, load at the start).
    pub machine: crate::machine::Machine,
    /// Wall-clock seconds of the whole run (every coder's stages and the peers).
    pub seconds: f64,
    pub data_source: String,
    /// What was run on how much: the coders, then what each coder's flow ran.
    pub scope: String,
    /// The coders with a core not run, and how to run them.
    pub not_run: Vec<String>,
    pub synthetic: bool,
    pub coders: Vec<CoderSummary>,
    /// Each coder's full flow report.
    pub reports: Vec<FlowReport>,
    /// FLAC and WavPack on the recordings of `peers_scope`, in the same run
    /// ([`crate::peers`]), or taken from the cache of an earlier run on the same recordings
    /// (`peers_cache`).
    pub peers: Vec<crate::peers::PeerResult>,
    pub peers_cache: CacheUse,
    /// The recordings the peers ran on: all with `--full`, else a subset
    /// ([`crate::peers::scope`]).
    pub peers_scope: crate::peers::PeerScope,
    /// Each coder's ratio on the same recordings as the peers.
    pub peers_ours: Vec<crate::peers::OursOnPeers>,
    /// Each mode against the radio and the power budget ([`crate::system_view`]).
    pub system: Vec<crate::system_view::SystemRow>,
    /// The modes of the system view this run did not measure (event mode unless it ran).
    pub system_not_measured: Vec<String>,
}

/// A mode's short name, the name of its report folder: the coder's (`lite`, `max`, `v2`),
/// `-dN` after it for a maximum error δ = N > 0 (`lite-d1`), or `events`.
pub fn mode_name(d: &CoreDesign) -> String {
    match (d.event_params(), d.coder().max_error()) {
        (Some(_), _) => d.name().to_string(),
        (None, 0) => d.kind().name().to_string(),
        (None, e) => format!("{}-d{e}", d.kind().name()),
    }
}

/// What a mode is, in words: "lossless, coder lite", "bounded error δ = 1, coder max",
/// "events (spikes and spike-band power)".
pub fn mode_label(d: &CoreDesign) -> String {
    match (d.event_params(), d.coder().max_error()) {
        (Some(_), _) => "events (spikes and spike-band power)".to_string(),
        (None, 0) => format!("lossless, coder {}", d.kind().name()),
        (None, e) => format!("bounded error δ = {e}, coder {}", d.kind().name()),
    }
}

/// The sub-folder of `out` for the flow of `design` ([`mode_name`]: `lite`, `max`,
/// `lite-d1`, `events`, …).
pub fn mode_dir(out: &Path, design: &CoreDesign) -> PathBuf {
    out.join(mode_name(design))
}

/// Runs the flows `cfgs` (one per coder, each into its own folder) side by side, with the
/// peers beside them, and writes the side-by-side `report.json` and `index.html` into `out`.
/// Every configuration is checked before the first stage runs.
/// `not_run`: the coders with a core left out of this run and how to run them (said in the
/// report). `all_peers`: the peers on every recording, else on a first look's subset
/// ([`crate::peers::scope`]).
pub fn run_coders(
    cfgs: Vec<FlowConfig>,
    out: &Path,
    not_run: Vec<String>,
    all_peers: bool,
    obs: &dyn Observer,
) -> Result<Comparison> {
    if cfgs.is_empty() {
        bail!("no coder to run");
    }
    for c in &cfgs {
        c.validate()?;
    }
    let mut names: Vec<_> = cfgs.iter().map(|c| mode_name(&c.design)).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        bail!("mode {} given twice", w[0]);
    }
    let (date_utc, machine, start) = (
        crate::machine::utc_now(),
        crate::machine::Machine::this(),
        std::time::Instant::now(),
    );
    neurice_files::create_out_dir(out)?;
    neurice_files::check_outputs(&[out.join("report.json"), out.join("index.html")], true)?;
    let (jobs, cache) = (cfgs[0].jobs, cfgs[0].cache.clone());
    let (files, peers_scope) = crate::peers::scope(&cfgs[0].files, all_peers);
    let flows = cfgs
        .into_iter()
        .map(|cfg| {
            let coder = mode_name(&cfg.design);
            obs.message(&format!(
                "== {} ({} MHz) → {}",
                mode_label(&cfg.design),
                cfg.freq_mhz,
                cfg.out.display()
            ));
            let dir = cfg.out.clone();
            Ok((coder, dir, Flow::new(cfg)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let (runs, peers) = std::thread::scope(|s| {
        let peers = s.spawn(|| run_peers(&files, jobs, &cache, obs, out));
        let runs: Vec<_> = flows
            .into_iter()
            .map(|(coder, dir, flow)| {
                let h = s.spawn(move || flow.run(obs));
                (coder, dir, h)
            })
            .collect();
        let runs: Vec<_> = runs
            .into_iter()
            .map(|(coder, dir, h)| {
                let r = h
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("its thread panicked")))
                    .with_context(|| format!("mode {coder}"));
                (dir, r)
            })
            .collect();
        (runs, peers.join())
    });
    let mut reports = Vec::new();
    let mut coders = Vec::new();
    for (dir, r) in runs {
        let r = r?;
        coders.push(CoderSummary::of(&r, &dir));
        reports.push(r);
    }
    let peers = peers.unwrap_or_else(|_| Err(anyhow::anyhow!("the peers' thread panicked")))?;
    // neurice's ratio on the peers' recordings: the lossless modes (the peers are lossless)
    let peers_ours = reports
        .iter()
        .filter(|r| r.design.event_params().is_none() && r.design.coder().max_error() == 0)
        .filter_map(|r| {
            let e = r.eval.as_ref()?;
            let per_file: Vec<_> = e
                .per_file
                .iter()
                .filter(|f| !f.input_error)
                .map(|f| (f.file.clone(), f.original_bytes, f.compressed_bytes))
                .collect();
            Some(crate::peers::OursOnPeers::of(
                r.design.kind().name(),
                &per_file,
                e.ratio,
                &peers_scope,
            ))
        })
        .collect();
    let c = Comparison {
        neurice_version: env!("CARGO_PKG_VERSION"),
        date_utc,
        machine,
        seconds: start.elapsed().as_secs_f64(),
        data_source: reports[0].data_source.clone(),
        scope: format!(
            "{}; {}",
            scope_of(&coders.iter().map(|c| c.coder.as_str()).collect::<Vec<_>>()),
            reports[0].scope
        ),
        not_run,
        synthetic: reports[0].synthetic,
        coders,
        system_not_measured: crate::system_view::not_measured(&crate::system_view::rows(&reports)),
        system: crate::system_view::rows(&reports),
        reports,
        peers: peers.0,
        peers_cache: peers.1,
        peers_scope,
        peers_ours,
    };
    write(&c, out)?;
    Ok(c)
}

/// "coder lite", "coders lite and max", "modes lite, max, lite-d1 and events": what ran.
fn scope_of(names: &[&str]) -> String {
    let coders_only = names
        .iter()
        .all(|n| Coder::ALL.iter().any(|c| c.name() == *n));
    let what = match (coders_only, names.len()) {
        (true, 1) => "coder",
        (true, _) => "coders",
        (false, 1) => "mode",
        (false, _) => "modes",
    };
    let list = match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    format!("{what} {list}")
}

/// The peers ([`crate::peers`]) on `files`, their logs in `out/peers`; cached by the
/// recordings' names and contents, the commands and the tools' versions.
fn run_peers(
    files: &[PathBuf],
    jobs: usize,
    cache: &crate::Cache,
    obs: &dyn Observer,
    out: &Path,
) -> Result<(Vec<crate::peers::PeerResult>, CacheUse)> {
    obs.message(&format!(
        "== peers: FLAC (flac -8) and WavPack (wavpack -hh -x6) on {} recordings",
        files.len()
    ));
    let dir = out.join("peers");
    let mut key = crate::cache::Key::new("peers");
    if cache.dir().is_some() {
        for p in crate::peers::PEERS {
            let version = neurice_synth::tools::find_tool(p.tool)
                .map(|e| neurice_synth::tools::tool_version(p.tool, &e))
                .unwrap_or_else(|_| "not installed".to_string());
            key = key
                .part("command", p.command().as_bytes())
                .part("version", version.as_bytes());
        }
        key = crate::cache::files_key(key, files)?;
    }
    let t = std::time::Instant::now();
    let r = cache.run_in_dir("peers", "peers", &key, &dir, || {
        neurice_files::create_out_dir(&dir)?;
        crate::peers::measure(files, jobs, &dir)
    })?;
    let how = match r.1.status {
        CacheStatus::Hit => "taken from the cache",
        _ => "measured",
    };
    obs.message(&format!(
        "== peers: {how} in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    Ok(r)
}

/// Writes `report.json` and `index.html` of the comparison into `out`.
pub fn write(c: &Comparison, out: &Path) -> Result<()> {
    let (json_path, html_path) = (out.join("report.json"), out.join("index.html"));
    neurice_files::check_outputs(&[&json_path, &html_path], true)?;
    let json = serde_json::to_string_pretty(c)? + "\n";
    neurice_files::write_output(&json_path, json.as_bytes(), true)?;
    neurice_files::write_output(&html_path, html(c).as_bytes(), true)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One line per measured figure, one column per coder.
fn table_rows(c: &Comparison) -> Vec<(String, Vec<String>)> {
    let col = |f: &dyn Fn(&CoderSummary) -> String| c.coders.iter().map(f).collect::<Vec<_>>();
    vec![
        (
            "compression ratio".into(),
            col(&|s| format!("{:.4}", s.ratio)),
        ),
        (
            "bits per sample".into(),
            col(&|s| format!("{:.3}", s.bits_per_sample)),
        ),
        ("ratio measured on".into(), col(&|s| s.ratio_source.clone())),
        (
            "co-simulation mismatches".into(),
            col(&|s| s.mismatches.to_string()),
        ),
        ("logic cells".into(), col(&|s| s.lc_used.to_string())),
        ("block RAM".into(), col(&|s| s.bram_used.to_string())),
        (
            "Fmax (MHz)".into(),
            col(&|s| s.fmax_mhz.map_or("?".into(), |f| format!("{f:.2}"))),
        ),
        (
            "clock (MHz)".into(),
            col(&|s| {
                format!(
                    "{} (timing {})",
                    s.clock_mhz,
                    if s.timing_met { "met" } else { "NOT met" }
                )
            }),
        ),
        (
            "clocks per sample".into(),
            col(&|s| format!("{:.3} (design figure)", s.clocks_per_sample)),
        ),
        (
            "samples/s".into(),
            col(&|s| format!("{:.3} M", s.samples_per_s / 1e6)),
        ),
        (
            "real-time channels (20 kHz)".into(),
            col(&|s| format!("{:.1}", s.real_time_channels)),
        ),
        (
            "FPGA power (mW, low / typical / high)".into(),
            col(&|s| {
                format!(
                    "{:.2} / {:.2} / {:.2}",
                    s.total_mw.low, s.total_mw.typical, s.total_mw.high
                )
            }),
        ),
        (
            "µW per channel (typical)".into(),
            col(&|s| format!("{:.2}", s.uw_per_channel.typical)),
        ),
        (
            "nJ per sample (typical)".into(),
            col(&|s| format!("{:.3}", s.nj_per_sample.typical)),
        ),
        ("method".into(), col(&|s| s.method.clone())),
    ]
}

/// The side-by-side page: a table and SVG charts.
pub fn html(c: &Comparison) -> String {
    let mut t = String::from("<table><tr><th></th>");
    for s in &c.coders {
        let _ = write!(
            t,
            "<th><a href=\"{0}/index.html\">{0}</a></th>",
            esc(&s.coder)
        );
    }
    t.push_str("</tr>");
    for (k, vals) in table_rows(c) {
        let _ = write!(t, "<tr><th>{}</th>", esc(&k));
        for v in vals {
            let _ = write!(t, "<td>{}</td>", esc(&v));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table>");
    let bars = |f: &dyn Fn(&CoderSummary) -> f64| -> Vec<(String, f64)> {
        c.coders.iter().map(|s| (s.coder.clone(), f(s))).collect()
    };
    let mut charts = vec![
        hbars("Compression ratio", "", &bars(&|s| s.ratio), None),
        hbars(
            "FPGA power (typical)",
            "mW",
            &bars(&|s| s.total_mw.typical),
            None,
        ),
        hbars(
            "Energy per sample (typical)",
            "nJ",
            &bars(&|s| s.nj_per_sample.typical),
            None,
        ),
        hbars(
            "Real-time channels at 20 kHz",
            "ch",
            &bars(&|s| s.real_time_channels),
            Some(("1024 channels", 1024.0)),
        ),
        hbars("Logic cells", "LCs", &bars(&|s| s.lc_used as f64), None),
    ];
    charts.extend(crate::sweep::flow_chart(
        c.reports.iter().filter_map(|r| r.eval.as_ref()),
    ));
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>neurice: coders side by \
         side</title><style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}\
         th{{text-align:left;padding-right:2em;vertical-align:top}}td{{padding-right:2em;\
         vertical-align:top}}svg{{display:block;margin:1.5em 0}}</style></head><body>\
         <h1>neurice: the coders side by side</h1>{}<p>{}</p><p>Run: {}</p>{t}{}<p>Machine-readable: <a \
         href=\"report.json\">report.json</a>; each coder's full report is in its folder.</p>\
         {}{}</body></html>\n",
        if c.synthetic {
            "<p><strong>SYNTHETIC DATA</strong>: no recordings were found; every number below \
             is for a generated signal.</p>"
        } else {
            ""
        },
        esc(&c.data_source),
        esc(&run_text(c).join("; ")),
        charts.join("\n"),
        crate::peers::html(&c.peers, &c.peers_scope, &c.peers_ours),
        crate::system_view::html(
            &c.system,
            &c.reports
                .first()
                .map(crate::system_view::nj_per_bit_note)
                .unwrap_or_default()
        )
    )
}

/// What was run on how much, what was not, each coder's stage times and cache uses.
fn run_text(c: &Comparison) -> Vec<String> {
    let mut v = vec![
        format!(
            "started {} on {}; {:.0} s in all",
            c.date_utc,
            c.machine.describe(),
            c.seconds
        ),
        format!("run: {}", c.scope),
    ];
    v.extend(c.not_run.iter().map(|n| format!("not run: {n}")));
    for r in &c.reports {
        for (k, x) in crate::report::run_lines(r) {
            v.push(format!("{} {k}: {x}", mode_name(&r.design)));
        }
        if let Some(e) = &r.event_eval {
            v.push(format!(
                "{} eval: {}",
                mode_name(&r.design),
                crate::event_eval::summary(e)
            ));
        }
    }
    v.push(format!(
        "peers: on {}; {}",
        c.peers_scope.text,
        match c.peers_cache.status {
            CacheStatus::Hit => "taken from the cache (an earlier run on the same recordings)",
            _ => "measured in this run",
        }
    ));
    v
}

/// The summary `neurice flow --coder both` prints.
pub fn render_text(c: &Comparison, out: &Path) -> String {
    let mut txt = format!("neurice flow — {}\n", c.data_source);
    for l in run_text(c) {
        let _ = writeln!(txt, "  {l}");
    }
    let rows = table_rows(c);
    let _ = write!(txt, "  {:<40}", "");
    for s in &c.coders {
        let _ = write!(txt, " {:>18}", s.coder);
    }
    txt.push('\n');
    for (k, vals) in rows
        .iter()
        .filter(|(k, _)| k != "method" && k != "ratio measured on")
    {
        let _ = write!(txt, "  {k:<40}");
        for v in vals {
            let short: String = v.split(" (").next().unwrap_or(v).to_string();
            let _ = write!(txt, " {short:>18}");
        }
        txt.push('\n');
    }
    for s in &c.coders {
        let _ = writeln!(txt, "  {}: {}", s.coder, s.method);
    }
    txt.push_str(&crate::peers::render_text(
        &c.peers,
        &c.peers_scope,
        &c.peers_ours,
    ));
    txt.push_str(&crate::system_view::render_text(&c.system));
    let _ = writeln!(txt, "  report     {}", out.join("index.html").display());
    txt
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::events::EventParams;
    use neurice_model::CoderSpec;
    use neurice_sim::Shape;

    fn design(c: Coder, max_error: u32) -> CoreDesign {
        let spec = CoderSpec::hardware(c).with_max_error(max_error).unwrap();
        CoreDesign::new(spec, 1024, Shape::OneLane).unwrap()
    }

    #[test]
    fn each_mode_has_its_own_name_folder_and_label() {
        let events = CoreDesign::events(EventParams::new(1024)).unwrap();
        let modes = [
            design(Coder::Lite, 0),
            design(Coder::Max, 0),
            design(Coder::Lite, 1),
            design(Coder::Max, 2),
            events,
        ];
        let names: Vec<_> = modes.iter().map(mode_name).collect();
        assert_eq!(names, ["lite", "max", "lite-d1", "max-d2", "events"]);
        let labels: Vec<_> = modes.iter().map(mode_label).collect();
        assert_eq!(
            labels,
            [
                "lossless, coder lite",
                "lossless, coder max",
                "bounded error δ = 1, coder lite",
                "bounded error δ = 2, coder max",
                "events (spikes and spike-band power)",
            ]
        );
        // the lossless coders keep the folders they had
        assert_eq!(mode_dir(Path::new("o"), &modes[0]), Path::new("o/lite"));
        assert_eq!(mode_dir(Path::new("o"), &modes[2]), Path::new("o/lite-d1"));
    }

    #[test]
    fn the_scope_names_coders_or_modes() {
        assert_eq!(scope_of(&["lite"]), "coder lite");
        assert_eq!(scope_of(&["lite", "max"]), "coders lite and max");
        assert_eq!(
            scope_of(&["lite", "max", "lite-d1", "events"]),
            "modes lite, max, lite-d1 and events"
        );
        assert_eq!(scope_of(&["events"]), "mode events");
    }
}
