//! The static probability table of coder max (FORMAT.md §10.4): for each of 16 contexts, a
//! 12-bit frequency for each of 32 tokens (each at least 1, summing to `2^12`).
//!
//! The table is data, trained on a documented subset of the recordings
//! (`golden-model/tables/max_default.txt`, made by `cargo run --release -p neurice-model
//! --example train_max_table`) and built in as table 1; a container may embed another one.
//! From the frequencies alone follow each token's interval (the tiling of §10.4: tokens in
//! order, the context's **top** token — its first most frequent — moved to the end), the
//! table's canonical bytes and its CRC-32.

use std::sync::OnceLock;

use super::range::{Interval, PROB_BITS};
use crate::Error;

/// Contexts ([`super::context`]).
pub const CONTEXTS: usize = 16;
/// Tokens per context (the last one is the escape).
pub const TOKENS: usize = 32;
/// A context's frequencies sum to this.
pub const TOTAL: u32 = 1 << PROB_BITS;
/// Bytes of a table's canonical form: each frequency as a little-endian u16, contexts in
/// order, tokens in order.
pub const TABLE_BYTES: usize = CONTEXTS * TOKENS * 2;
/// The id of the built-in default table in the container (§10.7).
pub const BUILTIN_ID: u8 = 1;

/// The built-in table's text (`golden-model/tables/max_default.txt`).
const BUILTIN_TEXT: &str = include_str!("../../tables/max_default.txt");

/// The highest id of a built-in table: tables 2 and 3 are trained on the tokens of the
/// bounded-error coder at `δ = 1` and `δ = 2` (FORMAT.md §10.11;
/// `golden-model/tables/max_near1.txt`, `max_near2.txt`).
pub const BUILTIN_LAST_ID: u8 = 3;

/// The texts of built-in tables 2 and 3.
const NEAR_TEXT: [&str; 2] = [
    include_str!("../../tables/max_near1.txt"),
    include_str!("../../tables/max_near2.txt"),
];

/// The built-in table an encoder uses by default for the maximum error `δ` (FORMAT.md
/// §10.11): table 1 for `δ = 0`, 2 for `δ = 1`, 3 for `δ ≥ 2`.
pub fn builtin_id_for(max_error: u32) -> u8 {
    BUILTIN_ID + max_error.min(2) as u8
}

/// A validated table with what the coder derives from it.
#[derive(Clone)]
pub struct Table {
    freq: [[u16; TOKENS]; CONTEXTS],
    /// each token's interval, packed: `cum | freq << 13 | top << 26`
    packed: [[u32; TOKENS]; CONTEXTS],
    top: [u8; CONTEXTS],
    /// decoder: the token whose interval holds each target value `0..2^12`
    lut: Box<[[u8; TOTAL as usize]; CONTEXTS]>,
    crc: u32,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Table {{ crc: {:#010x}, top: {:?} }}",
            self.crc, self.top
        )
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.freq == other.freq
    }
}

impl Eq for Table {}

impl Table {
    /// A table from its frequencies: each in `1..2^12`, each context summing to `2^12`.
    pub fn new(freq: [[u16; TOKENS]; CONTEXTS]) -> Result<Table, Error> {
        for (c, f) in freq.iter().enumerate() {
            if let Some(t) = f.iter().position(|&x| x == 0) {
                return Err(Error::BadParams(format!(
                    "probability table: context {c}, token {t} has frequency 0"
                )));
            }
            let sum: u32 = f.iter().map(|&x| x as u32).sum();
            if sum != TOTAL {
                return Err(Error::BadParams(format!(
                    "probability table: context {c} sums to {sum}, not {TOTAL}"
                )));
            }
        }
        let mut packed = [[0u32; TOKENS]; CONTEXTS];
        let mut top = [0u8; CONTEXTS];
        let mut lut = Box::new([[0u8; TOTAL as usize]; CONTEXTS]);
        for c in 0..CONTEXTS {
            let f = &freq[c];
            // the first most frequent token takes the end of the interval and the rest
            let t_top = (0..TOKENS).fold(0, |b, t| if f[t] > f[b] { t } else { b });
            top[c] = t_top as u8;
            let mut cum = 0u32;
            for t in (0..TOKENS).filter(|&t| t != t_top).chain([t_top]) {
                let fr = f[t] as u32;
                packed[c][t] = cum | fr << 13 | ((t == t_top) as u32) << 26;
                lut[c][cum as usize..(cum + fr) as usize].fill(t as u8);
                cum += fr;
            }
        }
        let mut t = Table {
            freq,
            packed,
            top,
            lut,
            crc: 0,
        };
        t.crc = crc32fast::hash(&t.to_bytes());
        Ok(t)
    }

    /// The built-in default table (id [`BUILTIN_ID`]).
    pub fn builtin() -> &'static Table {
        static T: OnceLock<Table> = OnceLock::new();
        T.get_or_init(|| {
            Table::parse_text(BUILTIN_TEXT).expect("the built-in table is valid (a test checks)")
        })
    }

    /// Built-in table `id` (1 ..= [`BUILTIN_LAST_ID`]), or `None` for another id.
    pub fn builtin_by_id(id: u8) -> Option<&'static Table> {
        static T: [OnceLock<Table>; 2] = [OnceLock::new(), OnceLock::new()];
        match id {
            BUILTIN_ID => Some(Table::builtin()),
            2..=BUILTIN_LAST_ID => {
                let i = (id - 2) as usize;
                Some(T[i].get_or_init(|| {
                    Table::parse_text(NEAR_TEXT[i])
                        .expect("the built-in tables are valid (a test checks)")
                }))
            }
            _ => None,
        }
    }

    /// The frequency of token `t` in context `c`.
    pub fn freq(&self, c: usize, t: usize) -> u32 {
        self.freq[c][t] as u32
    }

    /// All frequencies.
    pub fn freqs(&self) -> &[[u16; TOKENS]; CONTEXTS] {
        &self.freq
    }

    /// The context's top token (its first most frequent; its interval is last).
    pub fn top(&self, c: usize) -> usize {
        self.top[c] as usize
    }

    /// Token `t`'s interval in context `c`, packed: `cum | freq << 13 | top << 26` ([`unpack`]).
    #[inline(always)]
    pub(crate) fn packed(&self, c: usize, t: usize) -> u32 {
        self.packed[c][t]
    }

    /// Token `t`'s interval in context `c`.
    #[inline(always)]
    pub fn interval(&self, c: usize, t: usize) -> Interval {
        unpack(self.packed[c][t])
    }

    /// The token of context `c` whose interval holds the decoder's `target` (any value; from
    /// `2^12` on it is the top token's), with its interval.
    #[inline(always)]
    pub fn lookup(&self, c: usize, target: u32) -> (usize, Interval) {
        let t = self.lut[c][target.min(TOTAL - 1) as usize] as usize;
        (t, unpack(self.packed[c][t]))
    }

    /// The canonical bytes (§10.4): [`TABLE_BYTES`] bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.freq
            .iter()
            .flatten()
            .flat_map(|f| f.to_le_bytes())
            .collect()
    }

    /// A table from its canonical bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Table, Error> {
        if b.len() != TABLE_BYTES {
            return Err(Error::BadParams(format!(
                "probability table of {} bytes, not {TABLE_BYTES}",
                b.len()
            )));
        }
        let mut freq = [[0u16; TOKENS]; CONTEXTS];
        for (i, f) in freq.iter_mut().flatten().enumerate() {
            *f = u16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
        }
        Table::new(freq)
    }

    /// CRC-32 (IEEE) of the canonical bytes: how a container names the table.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// The text form: `#` comment lines, then one line of 32 frequencies per context.
    pub fn parse_text(text: &str) -> Result<Table, Error> {
        let rows: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if rows.len() != CONTEXTS {
            return Err(Error::BadParams(format!(
                "probability table text has {} rows, not {CONTEXTS}",
                rows.len()
            )));
        }
        let mut freq = [[0u16; TOKENS]; CONTEXTS];
        for (c, row) in rows.iter().enumerate() {
            let vals: Vec<&str> = row.split_whitespace().collect();
            if vals.len() != TOKENS {
                return Err(Error::BadParams(format!(
                    "probability table text: context {c} has {} values, not {TOKENS}",
                    vals.len()
                )));
            }
            for (t, v) in vals.iter().enumerate() {
                freq[c][t] = v.parse().map_err(|_| {
                    Error::BadParams(format!(
                        "probability table text: context {c}, token {t}: `{v}` is not a frequency"
                    ))
                })?;
            }
        }
        Table::new(freq)
    }

    /// The text form's rows (without comments): one line per context.
    pub fn to_text_rows(&self) -> String {
        let mut s = String::new();
        for f in &self.freq {
            let row: Vec<String> = f.iter().map(|x| x.to_string()).collect();
            s.push_str(&row.join(" "));
            s.push('\n');
        }
        s
    }

    /// The table that codes `counts` (tokens seen per context) shortest: [`quantise`] per
    /// context.
    pub fn train(counts: &[[u64; TOKENS]; CONTEXTS]) -> Table {
        let mut freq = [[0u16; TOKENS]; CONTEXTS];
        for (f, c) in freq.iter_mut().zip(counts) {
            for (x, q) in f.iter_mut().zip(quantise(c, PROB_BITS)) {
                *x = q as u16;
            }
        }
        Table::new(freq).expect("quantise gives valid frequencies")
    }
}

/// The interval of a packed entry ([`Table::packed`]).
#[inline(always)]
pub(crate) fn unpack(e: u32) -> Interval {
    Interval {
        cum: e & 0x1FFF,
        freq: (e >> 13) & 0x1FFF,
        top: e >> 26 != 0,
    }
}

/// Integer frequencies, each at least 1 and summing to `2^bits`, that minimise the code
/// length of `counts` (`Σ −counts[t] · log2(freq[t] / 2^bits)`), with one count added to
/// every token (so a token never seen still gets a frequency, and a context never seen gets
/// a uniform one). Greedy: from all ones, each of the remaining units goes to the token whose
/// code length it shortens most — optimal, since each term is concave in its frequency. Ties
/// go to the lower token.
pub fn quantise(counts: &[u64], bits: u32) -> Vec<u32> {
    let n = counts.len();
    let total = 1u32 << bits;
    assert!(n >= 1 && n as u32 <= total, "{n} tokens in {total}");
    let mut f = vec![1u32; n];
    let gain = |t: usize, f: u32| (counts[t] + 1) as f64 * (1.0 + 1.0 / f as f64).ln();
    let mut g: Vec<f64> = (0..n).map(|t| gain(t, 1)).collect();
    for _ in n as u32..total {
        let best = (0..n).fold(0, |b, t| if g[t] > g[b] { t } else { b });
        f[best] += 1;
        g[best] = gain(best, f[best]);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_tables_are_valid_and_round_trip() {
        for id in BUILTIN_ID..=BUILTIN_LAST_ID {
            let t = Table::builtin_by_id(id).unwrap();
            assert_eq!(Table::from_bytes(&t.to_bytes()).unwrap(), *t);
            assert_eq!(Table::parse_text(&t.to_text_rows()).unwrap(), *t);
            assert_eq!(t.to_bytes().len(), TABLE_BYTES);
            // each file names its own id and CRC-32 in its comment
            let text = if id == 1 {
                BUILTIN_TEXT
            } else {
                NEAR_TEXT[id as usize - 2]
            };
            assert!(
                text.contains(&format!("probability table {id} (")),
                "table {id}"
            );
            assert!(text.contains(&format!("CRC-32 of the canonical bytes: {:08x}", t.crc())));
        }
        assert!(Table::builtin_by_id(0).is_none() && Table::builtin_by_id(4).is_none());
        assert_eq!(Table::builtin_by_id(1).unwrap(), Table::builtin());
        assert_eq!([0, 1, 2, 3, 255].map(builtin_id_for), [1, 2, 3, 3, 3]);
    }

    #[test]
    fn intervals_tile_the_total_with_the_top_token_last() {
        let t = Table::builtin();
        for c in 0..CONTEXTS {
            let mut ivs: Vec<(usize, Interval)> =
                (0..TOKENS).map(|k| (k, t.interval(c, k))).collect();
            ivs.sort_by_key(|(_, iv)| iv.cum);
            let mut cum = 0;
            for (k, iv) in &ivs {
                assert_eq!(iv.cum, cum, "context {c} token {k}");
                assert_eq!(iv.freq, t.freq(c, *k));
                cum += iv.freq;
                for v in iv.cum..iv.cum + iv.freq {
                    assert_eq!(t.lookup(c, v).0, *k);
                }
            }
            assert_eq!(cum, TOTAL);
            let (last, iv) = ivs[TOKENS - 1];
            assert!(iv.top && last == t.top(c));
            assert_eq!(ivs.iter().filter(|(_, iv)| iv.top).count(), 1);
            assert!((0..TOKENS).all(|k| t.freq(c, k) <= t.freq(c, last)));
            assert_eq!(t.lookup(c, TOTAL + 31).0, last);
        }
    }

    #[test]
    fn bad_tables_are_refused() {
        let mut f = *Table::builtin().freqs();
        f[3][7] = 0;
        f[3][8] += 1;
        assert!(Table::new(f).is_err());
        let mut f = *Table::builtin().freqs();
        f[15][0] += 1;
        assert!(Table::new(f).is_err());
        assert!(Table::from_bytes(&[1; TABLE_BYTES - 2]).is_err());
        assert!(Table::parse_text("1 2 3").is_err());
        let mut text = Table::builtin().to_text_rows();
        text = text.replacen(' ', " x", 1);
        assert!(Table::parse_text(&text).is_err());
    }

    #[test]
    fn quantise_follows_the_counts() {
        let f = quantise(&[0, 0, 0, 0], 4);
        assert_eq!(f, [4, 4, 4, 4]);
        let f = quantise(&[1000, 0, 3000, 0], 12);
        assert_eq!(f.iter().sum::<u32>(), 4096);
        assert!(f[1] >= 1 && f[3] >= 1 && f[2] > 2 * f[0]);
        // the greedy optimum against every other split of 8 units over 2 tokens
        let counts = [7u64, 2];
        let cost = |f: &[u32]| -> f64 {
            (0..2)
                .map(|t| -((counts[t] + 1) as f64) * (f[t] as f64 / 8.0).ln())
                .sum()
        };
        let best = quantise(&counts, 3);
        for a in 1..8 {
            assert!(cost(&best) <= cost(&[a, 8 - a]) + 1e-12);
        }
    }
}
