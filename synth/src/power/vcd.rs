//! Toggle rates from a VCD trace (Verilator `--trace`, yosys `sim -vcd`, Icarus, …): 0↔1
//! transitions of every bit per rising clock edge, by signal class, and watched signals'
//! duty cycles.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use std::path::Path;

use super::Activity;

/// What [`activity_from_vcd`] should look at.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VcdOptions {
    /// Clock signal: full hierarchical name (`TOP.tb.clk`), a trailing part of it (`tb.clk`)
    /// or its last component (`clk`); the match nearest the top is used.
    /// `None`: the 1-bit signal named `clk`/`clock`/`*_clk`/`clk_*` nearest the top.
    pub clock: Option<String>,
    /// Only count signals inside this scope (e.g. `tb.dut` matches `TOP.tb.dut.*`).
    pub scope: Option<String>,
    /// Classes of signals: `(class, patterns)`; a signal belongs to the first class one of
    /// whose patterns matches its full name ([`pattern_matches`]: a substring, or a glob with
    /// `*`). For a Verilator trace of the flow's gate-level netlist (yosys names instances
    /// after their cell type) the outputs are `("ff", ["*SB_DFF*.Q"])`,
    /// `("lut", ["*SB_LUT4*.O"])`, `("carry", ["*SB_CARRY*.CO"])`; without `*` the cells'
    /// internal nets would be counted too.
    pub classes: Vec<(String, Vec<String>)>,
    /// Signals sampled just before every rising clock edge: the report gives the fraction of
    /// edges at which each was non-zero (e.g. a RAM read enable → reads per clock).
    pub watch: Vec<String>,
}

/// Toggle statistics of a group of signals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassActivity {
    pub signals: usize,
    pub bits: u64,
    pub toggles: u64,
    /// toggles / (bits × cycles).
    pub toggle_rate: f64,
}

/// Result of [`activity_from_vcd`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VcdActivity {
    pub source: String,
    /// Full name of the clock used.
    pub clock: String,
    /// Rising edges of the clock.
    pub clock_cycles: u64,
    pub timescale: String,
    /// Last timestamp seen.
    pub end_time: u64,
    /// Signals counted (distinct VCD identifiers; aliases count once; clocks, parameters and
    /// reals excluded).
    pub signals: usize,
    pub bits: u64,
    pub toggles: u64,
    /// toggles / (bits × cycles) over all counted bits.
    pub toggle_rate: f64,
    /// Bits that toggled at least once.
    pub toggling_bits: u64,
    /// toggles / (toggling_bits × cycles): excludes constant bits (which synthesis removes);
    /// the conservative figure used by [`VcdActivity::to_activity`].
    pub toggle_rate_toggling_bits: f64,
    pub classes: BTreeMap<String, ClassActivity>,
    /// Fraction of rising clock edges at which each watched signal was non-zero.
    pub watched: BTreeMap<String, f64>,
    /// The ten busiest signals, toggles per bit per clock.
    pub busiest: Vec<(String, f64)>,
}

impl VcdActivity {
    /// An [`Activity`]: class rates `ff`, `lut`, `carry` when those classes were given and
    /// non-empty, otherwise [`VcdActivity::toggle_rate_toggling_bits`] for all three.
    pub fn to_activity(&self, bram_reads_per_clock: f64, bram_writes_per_clock: f64) -> Activity {
        let overall = self.toggle_rate_toggling_bits;
        let class = |n: &str| {
            self.classes
                .get(n)
                .filter(|c| c.bits > 0)
                .map(|c| c.toggle_rate)
        };
        let mut a = Activity {
            ff_toggle_rate: class("ff").unwrap_or(overall),
            lut_toggle_rate: class("lut").unwrap_or(overall),
            carry_toggle_rate: class("carry").unwrap_or(overall),
            bram_reads_per_clock,
            bram_writes_per_clock,
            io_toggle_rate: 0.0,
            activity_source: String::new(),
        };
        a.activity_source = format!(
            "VCD {}: {} signals / {} bits ({} toggling) over {} cycles of {}; \
             {:.4} toggles per toggling bit per clock ({:.4} over all bits)",
            self.source,
            self.signals,
            self.bits,
            self.toggling_bits,
            self.clock_cycles,
            self.clock,
            self.toggle_rate_toggling_bits,
            self.toggle_rate
        );
        a
    }
}

/// Reads a VCD file and measures toggle rates per clock. See [`VcdOptions`].
pub fn activity_from_vcd(path: &Path, opts: &VcdOptions) -> Result<VcdActivity> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("opening VCD file {}", path.display()))?;
    let mut a = parse_vcd(std::io::BufReader::new(f), opts)
        .with_context(|| format!("reading VCD file {}", path.display()))?;
    a.source = path.display().to_string();
    Ok(a)
}

struct Var {
    width: usize,
    /// Offset of the first bit in the state vector.
    offset: usize,
    names: Vec<String>,
    counted: bool,
    real: bool,
    toggles: u64,
    rises: u64,
    bit_toggled: Vec<bool>,
}

const X: u8 = 2;

fn bit_of(v: vcd::Value) -> u8 {
    match v {
        vcd::Value::V0 => 0,
        vcd::Value::V1 => 1,
        vcd::Value::X | vcd::Value::Z => X,
    }
}

fn last_component(name: &str) -> &str {
    let base = name.rsplit('.').next().unwrap_or(name);
    // Drop a bit-select suffix: `clk [0]` is written as a separate token, but `q[3]` is not.
    base.split('[').next().unwrap_or(base)
}

/// A class pattern: without `*` a substring of the name; with `*` a glob (`*` = any run of
/// characters) that must match the whole name, e.g. `*SB_DFF*.Q`.
pub fn pattern_matches(name: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// `full` is `want`, ends with `.want`, or has `want` as its last component.
fn name_matches(full: &str, want: &str) -> bool {
    full == want
        || (full.len() > want.len()
            && full.ends_with(want)
            && full.as_bytes()[full.len() - want.len() - 1] == b'.')
        || last_component(full) == want
}

/// `full` lies in scope `p`: `p` occurs at the start or after a `.`, followed by `.` or the
/// end (so `TOP.tb.dut.x` is in `tb.dut` but `tb.dut2.x` is not).
fn in_scope_of(full: &str, p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    full.match_indices(p).any(|(i, _)| {
        let before_ok = i == 0 || full.as_bytes()[i - 1] == b'.';
        let end = i + p.len();
        let after_ok = end == full.len() || full.as_bytes()[end] == b'.';
        before_ok && after_ok
    })
}

fn looks_like_clock(name: &str) -> bool {
    let l = last_component(name).to_ascii_lowercase();
    l == "clk"
        || l == "clock"
        || l.ends_with("_clk")
        || l.starts_with("clk_")
        || l.ends_with("_clock")
        || l.starts_with("clock_")
}

/// Declares the variables of `items` (a scope's contents) with their full names.
fn declare(
    items: &[vcd::ScopeItem],
    scopes: &mut Vec<String>,
    vars: &mut Vec<Var>,
    by_code: &mut HashMap<vcd::IdCode, usize>,
    bits_total: &mut usize,
) {
    for item in items {
        match item {
            vcd::ScopeItem::Scope(s) => {
                scopes.push(s.identifier.clone());
                declare(&s.children, scopes, vars, by_code, bits_total);
                scopes.pop();
            }
            vcd::ScopeItem::Var(v) => {
                let mut name = scopes.clone();
                name.push(match &v.index {
                    Some(i) => format!("{}{i}", v.reference),
                    None => v.reference.clone(),
                });
                let full = name.join(".");
                if let Some(&i) = by_code.get(&v.code) {
                    vars[i].names.push(full);
                    continue;
                }
                use vcd::VarType as T;
                let real = matches!(v.var_type, T::Real);
                let width = if real { 0 } else { (v.size as usize).max(1) };
                by_code.insert(v.code, vars.len());
                vars.push(Var {
                    width,
                    offset: *bits_total,
                    names: vec![full],
                    counted: !(real || matches!(v.var_type, T::Parameter | T::Event)),
                    real,
                    toggles: 0,
                    rises: 0,
                    bit_toggled: vec![false; width],
                });
                *bits_total += width;
            }
            // comments inside scopes
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

/// Parses VCD text from a reader. See [`activity_from_vcd`].
///
/// Tokenising is the `vcd` crate's, the counting ours. Measured on a generated 50 MB trace
/// (3000 signals, 40 000 cycles): the same 4 202 514 toggles, 1.1 s against 3.6 s with the
/// hand-written tokeniser it replaced. Values are the four states `0 1 x z` (what Verilator,
/// Icarus and yosys write); a file with other letters is rejected.
pub fn parse_vcd<R: BufRead>(reader: R, opts: &VcdOptions) -> Result<VcdActivity> {
    let mut parser = vcd::Parser::new(reader);
    let header = parser
        .parse_header()
        .map_err(|e| anyhow::anyhow!("not a VCD header: {e}"))?;
    let mut vars: Vec<Var> = Vec::new();
    let mut by_code: HashMap<vcd::IdCode, usize> = HashMap::new();
    let mut bits_total = 0usize;
    declare(
        &header.items,
        &mut Vec::new(),
        &mut vars,
        &mut by_code,
        &mut bits_total,
    );
    let timescale = header
        .timescale
        .map(|(n, u)| format!("{n}{u}"))
        .unwrap_or_default();
    if vars.is_empty() {
        bail!("the VCD declares no signals");
    }

    // ---- which signal is the clock ----
    let matches = |v: &Var, want: &str| v.names.iter().any(|n| name_matches(n, want));
    let clock_idx = match &opts.clock {
        Some(c) => {
            let mut hits: Vec<usize> = (0..vars.len())
                .filter(|&i| vars[i].width == 1 && matches(&vars[i], c))
                .collect();
            hits.sort_by_key(|&i| vars[i].names[0].matches('.').count());
            *hits
                .first()
                .with_context(|| format!("no 1-bit signal named {c:?} in the VCD"))?
        }
        None => {
            let mut hits: Vec<usize> = (0..vars.len())
                .filter(|&i| {
                    vars[i].width == 1 && vars[i].names.iter().any(|n| looks_like_clock(n))
                })
                .collect();
            hits.sort_by_key(|&i| vars[i].names[0].matches('.').count());
            *hits.first().context(
                "no clock signal found (no 1-bit signal named clk/clock); name it in VcdOptions::clock",
            )?
        }
    };
    let mut watch_idx = Vec::new();
    for w in &opts.watch {
        let i = (0..vars.len())
            .find(|&i| !vars[i].real && matches(&vars[i], w))
            .with_context(|| format!("watched signal {w:?} is not in the VCD"))?;
        watch_idx.push((w.clone(), i));
    }

    // ---- value changes ----
    let mut state = vec![X; bits_total];
    // Watched values at the start of the current timestamp (pre-edge values).
    let mut snapshot: Vec<bool> = vec![false; watch_idx.len()];
    let mut watch_high = vec![0u64; watch_idx.len()];
    let nonzero = |state: &[u8], v: &Var| state[v.offset..v.offset + v.width].contains(&1);
    let mut end_time = 0u64;

    // Applies one change (bits most significant first, left-extended as VCD says: with `x`
    // or `z` when that is the first bit, else with 0); returns whether it was a rising edge
    // of a 1-bit signal.
    fn apply(state: &mut [u8], v: &mut Var, value: &[vcd::Value]) -> bool {
        let w = v.width;
        let pad = match value.first() {
            Some(&c) if bit_of(c) == X => X,
            _ => 0,
        };
        let mut rose = false;
        for k in 0..w {
            // Bit k counted from the most significant end of the declared width.
            let nb = match (k + value.len()).checked_sub(w) {
                Some(j) => bit_of(value[j]),
                None => pad,
            };
            let slot = &mut state[v.offset + k];
            let old = *slot;
            if old != X && nb != X && old != nb {
                v.toggles += 1;
                v.bit_toggled[k] = true;
                if nb == 1 && w == 1 {
                    v.rises += 1;
                    rose = true;
                }
            }
            *slot = nb;
        }
        rose
    }

    let undeclared = |c: &vcd::IdCode| anyhow::anyhow!("undeclared identifier {c} in the VCD");
    for cmd in parser {
        let cmd = cmd.map_err(|e| anyhow::anyhow!("bad VCD body after time {end_time}: {e}"))?;
        let (i, rose) = match &cmd {
            vcd::Command::Timestamp(t) => {
                end_time = *t;
                for (s, (_, i)) in snapshot.iter_mut().zip(&watch_idx) {
                    *s = nonzero(&state, &vars[*i]);
                }
                continue;
            }
            vcd::Command::ChangeScalar(c, v) => {
                let &i = by_code.get(c).ok_or_else(|| undeclared(c))?;
                (i, apply(&mut state, &mut vars[i], std::slice::from_ref(v)))
            }
            vcd::Command::ChangeVector(c, v) => {
                let &i = by_code.get(c).ok_or_else(|| undeclared(c))?;
                (i, apply(&mut state, &mut vars[i], v))
            }
            vcd::Command::ChangeReal(c, _) | vcd::Command::ChangeString(c, _) => {
                by_code.get(c).ok_or_else(|| undeclared(c))?;
                continue;
            }
            // $dumpvars, $dumpall, $dumpon, $dumpoff, $end, $comment: values follow as usual.
            _ => continue,
        };
        if rose && i == clock_idx {
            for (k, s) in snapshot.iter().enumerate() {
                watch_high[k] += u64::from(*s);
            }
        }
    }

    let cycles = vars[clock_idx].rises;
    let clock_name = vars[clock_idx].names[0].clone();
    if cycles == 0 {
        bail!("clock {clock_name} never rises in the VCD");
    }
    // Copies of the clock (same edges and toggles) are not data signals.
    let (ck_t, ck_r) = (vars[clock_idx].toggles, vars[clock_idx].rises);
    for v in vars.iter_mut() {
        if v.width == 1 && v.toggles == ck_t && v.rises == ck_r {
            v.counted = false;
        }
    }
    let in_scope = |v: &Var| match &opts.scope {
        Some(p) => v.names.iter().any(|n| in_scope_of(n, p)),
        None => true,
    };
    let mut out = VcdActivity {
        clock: clock_name,
        clock_cycles: cycles,
        timescale,
        end_time,
        ..VcdActivity::default()
    };
    let mut per_signal = Vec::new();
    for (name, _) in &opts.classes {
        out.classes.insert(name.clone(), ClassActivity::default());
    }
    for v in vars.iter().filter(|v| v.counted && in_scope(v)) {
        out.signals += 1;
        out.bits += v.width as u64;
        out.toggles += v.toggles;
        out.toggling_bits += v.bit_toggled.iter().filter(|&&b| b).count() as u64;
        per_signal.push((
            v.names[0].clone(),
            v.toggles as f64 / (v.width as f64 * cycles as f64),
        ));
        let class = opts.classes.iter().find(|(_, pats)| {
            pats.iter()
                .any(|p| v.names.iter().any(|n| pattern_matches(n, p)))
        });
        if let Some((cname, _)) = class {
            let c = out.classes.entry(cname.clone()).or_default();
            c.signals += 1;
            c.bits += v.width as u64;
            c.toggles += v.toggles;
        }
    }
    if out.bits == 0 {
        bail!(
            "no data signals to count in the VCD (scope {:?})",
            opts.scope
        );
    }
    let rate = |t: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            t as f64 / (b as f64 * cycles as f64)
        }
    };
    out.toggle_rate = rate(out.toggles, out.bits);
    out.toggle_rate_toggling_bits = rate(out.toggles, out.toggling_bits);
    for c in out.classes.values_mut() {
        c.toggle_rate = rate(c.toggles, c.bits);
    }
    for ((name, _), high) in watch_idx.iter().zip(&watch_high) {
        out.watched
            .insert(name.clone(), *high as f64 / cycles as f64);
    }
    per_signal.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    per_signal.truncate(10);
    out.busiest = per_signal;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    const VCD: &str = r#"$date today $end
$version test $end
$timescale 1ns $end
$scope module top $end
$var wire 1 ! clk $end
$var reg 4 " q [3:0] $end
$var wire 1 # en $end
$var parameter 8 $ WIDTH $end
$var real 64 % r $end
$scope module sub $end
$var wire 1 ! clk $end
$var wire 4 " qq [3:0] $end
$var wire 1 & zero $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
0!
b0 "
0#
b1000 $
r0.5 %
0&
$end
#5
1!
#10
0!
b1 "
1#
#15
1!
#20
0!
b10 "
0#
#25
1!
#30
0!
b11 "
r1.5 %
#35
1!
x#
#40
0!
b100 "
1#
"#;

    #[test]
    fn vcd_counts_toggles_per_clock() {
        let a = parse_vcd(VCD.as_bytes(), &VcdOptions::default()).unwrap();
        assert_eq!(a.clock, "top.clk");
        assert_eq!(a.clock_cycles, 4); // rises at 5, 15, 25, 35
        assert_eq!(a.timescale, "1ns");
        assert_eq!(a.end_time, 40);
        // q: 0→1 (1), 1→2 (2), 2→3 (1), 3→4 (3) = 7 toggles; en: 0→1, 1→0, (x), x→1 not
        // counted = 2; zero: 0. clk/alias, parameter and real excluded.
        assert_eq!(a.signals, 3);
        assert_eq!(a.bits, 6);
        assert_eq!(a.toggles, 9);
        assert!(close(a.toggle_rate, 9.0 / (6.0 * 4.0)));
        // q's 3 low bits toggled (bit 3 never), en toggled, zero not: 4 toggling bits.
        assert_eq!(a.toggling_bits, 4);
        assert!(close(a.toggle_rate_toggling_bits, 9.0 / (4.0 * 4.0)));
        assert_eq!(a.busiest[0].0, "top.en");
        let act = a.to_activity(0.5, 0.25);
        assert!(close(act.ff_toggle_rate, 9.0 / 16.0));
        assert!(act.activity_source.contains("4 cycles"));
    }

    #[test]
    fn vcd_classes_scope_and_watch() {
        let opts = VcdOptions {
            clock: Some("top.clk".into()),
            scope: Some("top.sub".into()),
            classes: vec![("ff".into(), vec!["qq".into()])],
            watch: vec!["en".into()],
        };
        let a = parse_vcd(VCD.as_bytes(), &opts).unwrap();
        // In scope top.sub: qq (alias of q, 4 bits) and zero.
        assert_eq!(a.signals, 2);
        assert_eq!(a.toggles, 7);
        assert_eq!(a.classes["ff"].toggles, 7);
        assert!(close(a.classes["ff"].toggle_rate, 7.0 / 16.0));
        // en before each rising edge (5, 15, 25, 35): 0, 1, 0, 0 → 1/4.
        assert!(close(a.watched["en"], 0.25));
        let act = a.to_activity(0.0, 0.0);
        assert!(close(act.ff_toggle_rate, 7.0 / 16.0));
    }

    #[test]
    fn glob_patterns() {
        assert!(pattern_matches("TOP.tb.dut.cnt_SB_DFF_Q_9.Q", "*SB_DFF*.Q"));
        assert!(!pattern_matches(
            "TOP.tb.dut.cnt_SB_DFF_Q_9.D",
            "*SB_DFF*.Q"
        ));
        assert!(pattern_matches("TOP.tb.dut.x_SB_LUT4_O.O", "*SB_LUT4*.O"));
        assert!(!pattern_matches(
            "TOP.tb.dut.x_SB_LUT4_O.s3[7:0]",
            "*SB_LUT4*.O"
        ));
        assert!(pattern_matches("a.SB_DFF.b", "SB_DFF"));
        assert!(pattern_matches("abc", "a*c") && !pattern_matches("ab", "ab*b"));
        assert!(pattern_matches("anything", "*"));
    }

    #[test]
    fn name_and_scope_matching() {
        assert!(name_matches("TOP.tb.clk", "tb.clk"));
        assert!(name_matches("TOP.tb.clk", "clk"));
        assert!(name_matches("TOP.tb.clk", "TOP.tb.clk"));
        assert!(!name_matches("TOP.tb.xclk", "clk"));
        assert!(!name_matches("TOP.tb.clk", "b.clk"));
        assert!(in_scope_of("TOP.tb.dut.q", "tb.dut"));
        assert!(in_scope_of("tb.dut.q", "tb.dut"));
        assert!(!in_scope_of("TOP.tb.dut2.q", "tb.dut"));
        assert!(!in_scope_of("TOP.xtb.dut.q", "tb.dut"));
    }

    #[test]
    fn vcd_errors() {
        let none = VcdOptions::default();
        assert!(parse_vcd("".as_bytes(), &none).is_err());
        assert!(parse_vcd("$enddefinitions $end".as_bytes(), &none).is_err());
        let no_clock = "$scope module t $end $var wire 1 ! a $end $upscope $end $enddefinitions $end #0 0! #1 1!";
        let e = parse_vcd(no_clock.as_bytes(), &none).unwrap_err();
        assert!(format!("{e:#}").contains("no clock"), "{e:#}");
        let opts = VcdOptions {
            clock: Some("a".into()),
            ..VcdOptions::default()
        };
        // `a` as clock: rises once but then there are no data signals.
        assert!(parse_vcd(no_clock.as_bytes(), &opts).is_err());
        let undeclared = "$var wire 1 ! clk $end $enddefinitions $end #0 0? ";
        assert!(parse_vcd(undeclared.as_bytes(), &none).is_err());
        let bad = "$var wire 1 ! clk $end $enddefinitions $end #0 b2 !";
        assert!(parse_vcd(bad.as_bytes(), &none).is_err());
        assert!(activity_from_vcd(Path::new("/nonexistent.vcd"), &none).is_err());
    }
}
