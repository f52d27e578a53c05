//! The results table (README, `docs/results.md`) written from a `report.json` of
//! `neurice flow` (the side-by-side report of lite and max), so that it is regenerated from a
//! run instead of kept by hand: `neurice results-table build/report/report.json [--into
//! FILE]`. The table names the run's date, machine and scope; with `--into`, the block between
//! [`BEGIN`] and [`END`] in the file is replaced and the rest of the file kept.

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The line that opens the generated block in a Markdown file.
pub const BEGIN: &str =
    "<!-- results-table: begin (written by `neurice results-table`; edit the report, not this) -->";
/// The line that closes it.
pub const END: &str = "<!-- results-table: end -->";

/// 1024 channels × 20 kHz: samples per second the implant makes.
const SAMPLES_PER_S_1024: f64 = 1024.0 * 20_000.0;

fn at<'a>(v: &'a Value, path: &str) -> Result<&'a Value> {
    path.split('.').try_fold(v, |v, k| {
        let next = match k.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(k),
        };
        next.with_context(|| format!("report.json has no `{path}` (not a report of `neurice flow` with two or more coders?)"))
    })
}

fn num(v: &Value, path: &str) -> Result<f64> {
    at(v, path)?
        .as_f64()
        .with_context(|| format!("report.json: `{path}` is not a number"))
}

fn text<'a>(v: &'a Value, path: &str) -> Result<&'a str> {
    at(v, path)?
        .as_str()
        .with_context(|| format!("report.json: `{path}` is not text"))
}

/// `1711` → `1 711` (the README's grouping).
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// `168.2` s → `2 min 48 s`.
fn minutes(s: f64) -> String {
    let s = s.round() as u64;
    match s / 60 {
        0 => format!("{s} s"),
        m => format!("{m} min {:02} s", s % 60),
    }
}

/// The Markdown block (between [`BEGIN`] and [`END`]) for the side-by-side `report` of
/// `neurice flow`: what ran, when, where, then one row per coder and one per peer.
pub fn markdown(report: &Value) -> Result<String> {
    let coders = at(report, "coders")?
        .as_array()
        .context("report.json: `coders` is not a list")?;
    if coders.is_empty() {
        bail!("report.json: no coders");
    }
    let m = at(report, "machine")?;
    let mut s = format!("{BEGIN}\n\n");
    s.push_str(&format!(
        "`neurice flow` (neurice {}) of {}, on {} cores ({}), {:.0} GiB, {}, load average {:.1} \
         at the start; {} in all. {}{}: {}.\n\n",
        text(report, "neurice_version")?,
        text(report, "date_utc")?,
        num(m, "cores")?,
        text(m, "cpu")?,
        num(m, "memory_gib")?,
        text(m, "os")?,
        num(m, "load_average.0")?,
        minutes(num(report, "seconds")?),
        if at(report, "synthetic")?.as_bool() == Some(true) {
            "**SYNTHETIC DATA** "
        } else {
            ""
        },
        text(report, "data_source")?,
        text(report, "scope")?,
    ));
    s.push_str(
        "| mode | ratio | Mbit/s, 1024 ch | core | Fmax | LCs | BRAM | power | µW/channel |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for (i, c) in coders.iter().enumerate() {
        let row = coder_row(report, i, c).with_context(|| format!("coders.{i}"))?;
        s.push_str(&row);
    }
    let scope = text(report, "peers_scope.text")?;
    // on a subset, neurice's ratio on the peers' recordings (on all, the rows above are it)
    let subset = num(report, "peers_scope.stride")? as u64 != 1;
    for o in at(report, "peers_ours")?.as_array().into_iter().flatten() {
        if let Some(r) = o.get("ratio").and_then(Value::as_f64).filter(|_| subset) {
            s.push_str(&format!(
                "| coder {}, on the peers' recordings | {r:.4} | {:.1} | model | | | | | |\n",
                text(o, "coder")?,
                16.0 / r * SAMPLES_PER_S_1024 / 1e6
            ));
        }
    }
    for p in at(report, "peers")?.as_array().into_iter().flatten() {
        let (name, command) = (text(p, "name")?, text(p, "command")?);
        match p.get("ratio").and_then(Value::as_f64) {
            Some(r) if p.get("skipped").is_none_or(Value::is_null) => s.push_str(&format!(
                "| peer: {name} `{command}` | {r:.4} | {:.1} | software | | | | | |\n",
                16.0 / r * SAMPLES_PER_S_1024 / 1e6
            )),
            _ => s.push_str(&format!(
                "| peer: {name} `{command}` | skipped: {} | | | | | | | |\n",
                p.get("skipped")
                    .and_then(Value::as_str)
                    .unwrap_or("not measured")
                    .replace('|', "/")
            )),
        }
    }
    let mut sources = String::new();
    for (i, c) in coders.iter().enumerate() {
        if let Some(e) = report
            .pointer(&format!("/reports/{i}/event_eval"))
            .filter(|e| !e.is_null())
        {
            sources.push_str(&format!(
                " The {} row: {}",
                c.get("mode")
                    .and_then(Value::as_str)
                    .unwrap_or(text(c, "coder")?),
                event_note(e).with_context(|| format!("reports.{i}.event_eval"))?
            ));
        }
        if let Some(src) = from_cosim(report, i, c) {
            sources.push_str(&format!(
                " The {} row's ratio and rate: {src}.",
                c.get("mode")
                    .and_then(Value::as_str)
                    .unwrap_or(text(c, "coder")?)
            ));
        }
    }
    s.push_str(&format!(
        "\nRatio = WAV bytes / coded bytes (container included); Mbit/s = 1024 channels × \
         20 kHz × coded bits per sample (the rows on the peers' recordings: 16 bits / ratio); power: the iCE40 power model \
         on measured switching activity, typical.{sources} Peers on {scope}.\n\n{END}\n"
    ));
    Ok(s)
}

/// Where coder `i`'s ratio comes from when no eval measured it (a synthetic run, or a report
/// of event mode from before the flow ran its eval: the co-simulation's words, its
/// `ratio_source`).
fn from_cosim<'a>(report: &Value, i: usize, c: &'a Value) -> Option<&'a str> {
    let none = |k: &str| {
        report
            .pointer(&format!("/reports/{i}/{k}"))
            .is_none_or(Value::is_null)
    };
    let no_eval = none("eval") && none("event_eval");
    c.get("ratio_source")
        .and_then(Value::as_str)
        .filter(|_| no_eval)
}

/// Event mode's eval (`event_eval` of its flow report) in a sentence: its rate and agreement.
fn event_note(e: &Value) -> Result<String> {
    let pct = |k: &str| {
        e.get(k)
            .and_then(Value::as_f64)
            .map_or("n/a".to_string(), |v| format!("{:.1} %", 100.0 * v))
    };
    let r = at(e, "rate_1024")?;
    Ok(format!(
        "event mode's eval on every sample of {} recordings as {} channels at {} Hz: ratio = the \
         16-bit WAV's bits / the packets' bits; {:.4} Mbit/s with packet framing (payload \
         {:.4}), worst 100 ms {:.4} Mbit/s, {:.2} events/s/channel; agreement with the float \
         reference detector (not ground truth): precision {}, recall {}, power r {}{}.",
        num(e, "files")?,
        num(r, "channels")?,
        num(e, "sample_rate_hz")?,
        num(r, "link_mbit_s")?,
        num(r, "payload_mbit_s")?,
        num(r, "worst_100ms_link_mbit_s")?,
        num(r, "events_per_s_per_channel")?,
        pct("precision"),
        pct("recall"),
        e.get("power_r")
            .and_then(Value::as_f64)
            .map_or("n/a".to_string(), |v| format!("{v:.4}")),
        // reports from before the reference with channel rejection have no such figures
        if e.get("precision_rejecting").is_some() || e.get("recall_rejecting").is_some() {
            format!(
                "; against the reference with channel rejection (a recording with ≥ 1 % of its \
                 samples at a rail left out): precision {}, recall {}",
                pct("precision_rejecting"),
                pct("recall_rejecting")
            )
        } else {
            String::new()
        },
    ))
}

/// The row of coder `i` (`c`, from `coders`) of `report`.
fn coder_row(report: &Value, i: usize, c: &Value) -> Result<String> {
    let coder = text(c, "coder")?;
    let device = text(report, &format!("reports.{i}.synthesis.target"))?;
    let fmax = at(c, "fmax_mhz")?
        .as_f64()
        .map_or("?".to_string(), |f| format!("{f:.1} MHz"));
    let timing = if at(c, "timing_met")?.as_bool() == Some(true) {
        ""
    } else {
        " (timing NOT met)"
    };
    // reports before modes were named were of lossless coders only
    let mode = match c.get("mode").and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None => format!("lossless, coder {coder}"),
    };
    let ratio = num(c, "ratio")?;
    let ratio = match from_cosim(report, i, c) {
        Some(_) => format!("{ratio:.1} (co-simulation, see below)"),
        // event mode's hundreds: the fourth decimal is noise
        None if ratio >= 100.0 => format!("{ratio:.1}"),
        None => format!("{ratio:.4}"),
    };
    let mbps = num(report, &format!("system.{i}.mbps_1024"))?;
    let mbps = if mbps < 10.0 {
        format!("{mbps:.2}")
    } else {
        format!("{mbps:.1}")
    };
    Ok(format!(
            "| {mode} | {ratio} | {mbps} | {} | {fmax} | {} | {} | {:.2} mW at {} MHz{timing} | {:.1} |\n",
            device.to_uppercase(),
            grouped(num(c, "lc_used")? as u64),
            num(c, "bram_used")?,
            num(c, "total_mw.typical")?,
            num(c, "clock_mhz")?,
            num(c, "uw_per_channel.typical")?,
        ))
}

/// `doc` with its block between [`BEGIN`] and [`END`] replaced by `block` (from
/// [`markdown`]); an error when `doc` has no such block or more than one.
pub fn replace_block(doc: &str, block: &str) -> Result<String> {
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        bail!("no results-table block: the file needs the lines\n{BEGIN}\n{END}");
    };
    if e < b || doc.matches(BEGIN).count() != 1 || doc.matches(END).count() != 1 {
        bail!("the results-table block must appear once, {BEGIN} before {END}");
    }
    let after = &doc[e + END.len()..];
    let after = after.strip_prefix('\n').unwrap_or(after);
    Ok(format!("{}{block}{after}", &doc[..b]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Value {
        serde_json::json!({
            "neurice_version": "0.1.0",
            "date_utc": "2026-12-07T06:01:02Z",
            "machine": {"cpu": "Some CPU", "cores": 2, "memory_gib": 23.5,
                        "os": "Debian GNU/Linux 12 (bookworm)", "load_average": [0.5, 1.0, 2.0]},
            "seconds": 168.4,
            "synthetic": false,
            "data_source": "recordings: /d (603 files)",
            "scope": "coders lite and max; eval on all 603 recordings",
            "coders": [
                {"coder": "lite", "ratio": 3.37271, "lc_used": 1711, "bram_used": 8,
                 "ratio_source": "golden model on 603 recordings (container included)",
                 "fmax_mhz": 100.93, "clock_mhz": 60.0, "timing_met": true,
                 "total_mw": {"typical": 5.951}, "uw_per_channel": {"typical": 5.81}},
                {"coder": "max", "ratio": 3.46494, "lc_used": 4655, "bram_used": 27,
                 "fmax_mhz": 52.06, "clock_mhz": 50.0, "timing_met": false,
                 "total_mw": {"typical": 15.5}, "uw_per_channel": {"typical": 15.13}},
                {"coder": "lite-d1", "mode": "bounded error δ = 1, coder lite",
                 "ratio": 4.99144, "lc_used": 1858, "bram_used": 8,
                 "fmax_mhz": 94.8, "clock_mhz": 60.0, "timing_met": true,
                 "total_mw": {"typical": 5.94}, "uw_per_channel": {"typical": 5.8}},
                {"coder": "events", "mode": "events (spikes and spike-band power)",
                 "ratio": 636.8159, "ratio_source": "the core's words in the co-simulation",
                 "lc_used": 3288, "bram_used": 24,
                 "fmax_mhz": 63.71, "clock_mhz": 25.0, "timing_met": true,
                 "total_mw": {"typical": 4.75}, "uw_per_channel": {"typical": 4.64}}
            ],
            "reports": [{"synthesis": {"target": "hx8k"}, "eval": {"ratio": 3.37271}},
                        {"synthesis": {"target": "up5k"}, "eval": {"ratio": 3.46494}},
                        {"synthesis": {"target": "hx8k"}, "eval": {"ratio": 4.99144}},
                        {"synthesis": {"target": "hx8k"}, "eval": null}],
            "system": [{"mbps_1024": 97.16}, {"mbps_1024": 94.58}, {"mbps_1024": 65.64},
                       {"mbps_1024": 0.515}],
            "peers": [
                {"name": "FLAC", "command": "flac -8", "ratio": 1.4036},
                {"name": "WavPack", "command": "wavpack -hh -x6", "ratio": null,
                 "skipped": "wavpack is not installed"}
            ],
            "peers_scope": {"text": "151 of the 603 recordings", "stride": 4},
            "peers_ours": [{"coder": "lite", "ratio": 3.3801, "ratio_all": 3.37271},
                           {"coder": "max", "ratio": null, "ratio_all": 3.46494}]
        })
    }

    #[test]
    fn the_table_is_the_reports_numbers_with_its_date_and_machine() {
        let t = markdown(&report()).unwrap();
        assert!(
            t.starts_with(BEGIN) && t.ends_with(&format!("{END}\n")),
            "{t}"
        );
        assert!(
            t.contains("of 2026-12-07T06:01:02Z, on 2 cores (Some CPU), 24 GiB, Debian GNU/Linux 12 (bookworm), load average 0.5 at the start; 2 min 48 s in all."),
            "{t}"
        );
        let rows: Vec<&str> = t.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(
            rows,
            [
                "| mode | ratio | Mbit/s, 1024 ch | core | Fmax | LCs | BRAM | power | µW/channel |",
                "| lossless, coder lite | 3.3727 | 97.2 | HX8K | 100.9 MHz | 1 711 | 8 | 5.95 mW at 60 MHz | 5.8 |",
                "| lossless, coder max | 3.4649 | 94.6 | UP5K | 52.1 MHz | 4 655 | 27 | 15.50 mW at 50 MHz (timing NOT met) | 15.1 |",
                "| bounded error δ = 1, coder lite | 4.9914 | 65.6 | HX8K | 94.8 MHz | 1 858 | 8 | 5.94 mW at 60 MHz | 5.8 |",
                "| events (spikes and spike-band power) | 636.8 (co-simulation, see below) | 0.52 | HX8K | 63.7 MHz | 3 288 | 24 | 4.75 mW at 25 MHz | 4.6 |",
                "| coder lite, on the peers' recordings | 3.3801 | 96.9 | model | | | | | |",
                "| peer: FLAC `flac -8` | 1.4036 | 233.5 | software | | | | | |",
                "| peer: WavPack `wavpack -hh -x6` | skipped: wavpack is not installed | | | | | | | |",
            ]
        );
        assert!(t.contains("Peers on 151 of the 603 recordings."), "{t}");
        assert!(
            t.contains("The events (spikes and spike-band power) row's ratio and rate: the core's words in the co-simulation."),
            "{t}"
        );
        assert_eq!(t.matches("row's ratio and rate").count(), 1, "{t}");
        // a report whose flow ran event mode's eval: its figures in the row and a note, no
        // co-simulation mark (the mark stays for a report without it, as above)
        let mut r = report();
        r["coders"][3]["ratio"] = serde_json::json!(576.9489773753587);
        r["system"][3]["mbps_1024"] = serde_json::json!(0.5546346670995362);
        r["reports"][3]["event_eval"] = serde_json::json!({
            "files": 603, "sample_rate_hz": 19531, "precision": 0.8714269046785673,
            "recall": 0.841956938338406, "power_r": 0.9947573038714855,
            "rate_1024": {"channels": 1024, "link_mbit_s": 0.5546346670995362,
                          "payload_mbit_s": 0.5418262845780027,
                          "worst_100ms_link_mbit_s": 0.6722044173067077,
                          "events_per_s_per_channel": 5.390672140365183}});
        let t = markdown(&r).unwrap();
        assert!(
            t.contains("| events (spikes and spike-band power) | 576.9 | 0.55 | HX8K |"),
            "{t}"
        );
        assert!(
            t.contains(
                "The events (spikes and spike-band power) row: event mode's eval on every sample \
                 of 603 recordings as 1024 channels at 19531 Hz: ratio = the 16-bit WAV's bits / \
                 the packets' bits; 0.5546 Mbit/s with packet framing (payload 0.5418), worst \
                 100 ms 0.6722 Mbit/s, 5.39 events/s/channel; agreement with the float reference \
                 detector (not ground truth): precision 87.1 %, recall 84.2 %, power r 0.9948."
            ),
            "{t}"
        );
        assert!(!t.contains("row's ratio and rate"), "{t}");
        // with the figures against the reference with channel rejection: both references
        r["reports"][3]["event_eval"]["precision_rejecting"] =
            serde_json::json!(0.9468360080753029);
        r["reports"][3]["event_eval"]["recall_rejecting"] = serde_json::json!(0.9401852846401719);
        let t = markdown(&r).unwrap();
        assert!(
            t.contains(
                "power r 0.9948; against the reference with channel rejection (a recording with \
                 ≥ 1 % of its samples at a rail left out): precision 94.7 %, recall 94.0 %."
            ),
            "{t}"
        );
        // a report without what the table needs: said, not a table of blanks
        let mut r = report();
        r["coders"][1].as_object_mut().unwrap().remove("lc_used");
        let e = format!("{:#}", markdown(&r).unwrap_err());
        assert!(e.contains("coders.1") && e.contains("`lc_used`"), "{e}");
        let e = format!(
            "{:#}",
            markdown(&serde_json::json!({"coders": []})).unwrap_err()
        );
        assert!(e.contains("no coders"), "{e}");
    }

    #[test]
    fn the_block_is_replaced_and_the_rest_of_the_file_kept() {
        let doc = format!("# Results\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n");
        let block = format!("{BEGIN}\nnew\n{END}\n");
        assert_eq!(
            replace_block(&doc, &block).unwrap(),
            format!("# Results\n\nbefore\n{BEGIN}\nnew\n{END}\nafter\n")
        );
        // idempotent
        let once = replace_block(&doc, &block).unwrap();
        assert_eq!(replace_block(&once, &block).unwrap(), once);
        assert!(replace_block("no block here", &block).is_err());
        assert!(replace_block(&format!("{END}\n{BEGIN}\n"), &block).is_err());
        assert!(replace_block(&format!("{doc}{doc}"), &block).is_err());
    }
}
