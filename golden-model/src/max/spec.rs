//! Coder max as a value: its parameters and the probability table it codes with — what
//! [`crate::CoderSpec::Max`] holds and a container version 3 header stores (FORMAT.md §10.7).
//!
//! The table is named, not held by reference: [`TableSpec::Builtin`] is built-in table 1, and
//! [`TableSpec::Embedded`] holds another table's 512 frequencies **by value** (1 KiB), checked
//! when it is made. So a coder value stays `Copy + Eq + Hash` with no registry or global
//! state, and a decoder that reads a hostile table allocates nothing that outlives the
//! stream. What the coder derives from a table (the intervals and the decoder's lookup,
//! 66 KiB) is built when a block is coded ([`TableSpec::table`]; the built-in table's once per
//! process).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::table::{builtin_id_for, Table, BUILTIN_ID, BUILTIN_LAST_ID, CONTEXTS, TOKENS};
use super::MaxParams;
use crate::Error;

/// The container's table id of an embedded table (FORMAT.md §10.7).
pub const EMBEDDED_ID: u8 = 0;

/// A table's frequencies, context by context (FORMAT.md §10.4).
pub type Freqs = [[u16; TOKENS]; CONTEXTS];

/// An embedded table as a value: its frequencies (valid: every one at least 1, each context
/// summing to 4096) and their CRC-32.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmbeddedTable {
    freq: Freqs,
    crc: u32,
}

impl EmbeddedTable {
    /// The frequencies.
    pub fn freqs(&self) -> &Freqs {
        &self.freq
    }
}

/// One of the built-in tables after table 1: 2 or 3, trained for the maximum errors 1 and 2
/// (FORMAT.md §10.11). Made by [`TableSpec::for_max_error`] or read from a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NearTableId(u8);

impl NearTableId {
    /// The container's table id (2 or 3).
    pub fn id(self) -> u8 {
        self.0
    }
}

/// Which probability table a coder max stream uses (FORMAT.md §10.7): the container's table
/// id 1 (built in), 2 or 3 (built in, for a maximum error, §10.11) or 0 (embedded, its bytes
/// in the header).
// By value on purpose: `CoderSpec` is `Copy` and names its table (about 1 KiB embedded).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "TableJson", into = "TableJson")]
pub enum TableSpec {
    /// Built-in table 1 (`golden-model/tables/max_default.txt`, FORMAT.md §10.4).
    Builtin,
    /// Built-in table 2 or 3 (`golden-model/tables/max_near1.txt`, `max_near2.txt`: trained
    /// on the bounded-error coder's tokens at `δ = 1`, `2`; FORMAT.md §10.11).
    BuiltinNear(NearTableId),
    /// A table carried in the container (another implant's, from `train_max_table`).
    Embedded(EmbeddedTable),
}

impl fmt::Debug for TableSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for TableSpec {
    /// `table 1 (built in, CRC-32 5612b1c2)` or `embedded table (CRC-32 …)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableSpec::Builtin | TableSpec::BuiltinNear(_) => write!(
                f,
                "table {} (built in, CRC-32 {:08x})",
                self.id(),
                self.crc()
            ),
            TableSpec::Embedded(_) => write!(f, "embedded table (CRC-32 {:08x})", self.crc()),
        }
    }
}

impl TableSpec {
    /// `table` carried in the container (id 0), whatever its frequencies.
    pub fn embedded(table: &Table) -> TableSpec {
        TableSpec::Embedded(EmbeddedTable {
            freq: *table.freqs(),
            crc: table.crc(),
        })
    }

    /// The built-in table an encoder uses for the maximum error `δ` by default (FORMAT.md
    /// §10.11): table 1 for `δ = 0`, 2 for `δ = 1`, 3 for `δ ≥ 2`.
    pub fn for_max_error(max_error: u32) -> TableSpec {
        match builtin_id_for(max_error) {
            BUILTIN_ID => TableSpec::Builtin,
            id => TableSpec::BuiltinNear(NearTableId(id)),
        }
    }

    /// Whether this is one of the built-in tables (any id but 0).
    pub fn is_builtin(&self) -> bool {
        !matches!(self, TableSpec::Embedded(_))
    }

    /// The container's table id: 1, 2 or 3 built in, 0 embedded.
    pub fn id(&self) -> u8 {
        match self {
            TableSpec::Builtin => BUILTIN_ID,
            TableSpec::BuiltinNear(n) => n.0,
            TableSpec::Embedded(_) => EMBEDDED_ID,
        }
    }

    /// The CRC-32 of the table's canonical bytes (what the header stores with the id).
    pub fn crc(&self) -> u32 {
        match self {
            TableSpec::Builtin | TableSpec::BuiltinNear(_) => self.table().crc(),
            TableSpec::Embedded(e) => e.crc,
        }
    }

    /// The table the coder uses: a built-in one, or the embedded one built from its
    /// frequencies (its intervals and lookup, about 66 KiB, built on each call).
    pub fn table(&self) -> Cow<'static, Table> {
        match self {
            TableSpec::Builtin => Cow::Borrowed(Table::builtin()),
            TableSpec::BuiltinNear(n) => {
                Cow::Borrowed(Table::builtin_by_id(n.0).expect("a built-in table's id"))
            }
            TableSpec::Embedded(e) => {
                Cow::Owned(Table::new(e.freq).expect("an EmbeddedTable is valid when made"))
            }
        }
    }

    /// The table a header names (FORMAT.md §10.7): id 1, 2 or 3 with that built-in table's
    /// CRC-32, or id 0 with `embedded` (the header's 1024 bytes), valid and with that CRC-32.
    /// Anything else is a corrupt stream.
    pub fn from_header(id: u8, crc: u32, embedded: Option<&[u8]>) -> Result<TableSpec, Error> {
        match (id, embedded) {
            (BUILTIN_ID..=BUILTIN_LAST_ID, None) => {
                let spec = match id {
                    BUILTIN_ID => TableSpec::Builtin,
                    _ => TableSpec::BuiltinNear(NearTableId(id)),
                };
                let ours = spec.crc();
                if crc != ours {
                    return Err(Error::Corrupt(format!(
                        "made with another table {id} (CRC-32 {crc:08x}; this build's is {ours:08x})"
                    )));
                }
                Ok(spec)
            }
            (EMBEDDED_ID, Some(bytes)) => {
                let computed = crc32fast::hash(bytes);
                if computed != crc {
                    return Err(Error::Corrupt(format!(
                        "the embedded table fails its CRC-32 (stored {crc:08x}, computed {computed:08x})"
                    )));
                }
                let t = Table::from_bytes(bytes).map_err(|e| Error::Corrupt(e.to_string()))?;
                Ok(TableSpec::embedded(&t))
            }
            _ => Err(Error::Corrupt(format!(
                "table id {id} (1, 2, 3: built in, 0: embedded; the others are reserved)"
            ))),
        }
    }
}

/// The JSON form of a [`TableSpec`]: `{"id": 1, "crc32": "5612b1c2"}`, or for an embedded
/// table `{"id": 0, "crc32": "…", "frequencies": [[…32…], …16…]}`.
#[derive(Serialize, Deserialize)]
struct TableJson {
    id: u8,
    crc32: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frequencies: Option<Vec<Vec<u16>>>,
}

impl From<TableSpec> for TableJson {
    fn from(t: TableSpec) -> Self {
        TableJson {
            id: t.id(),
            crc32: format!("{:08x}", t.crc()),
            frequencies: match t {
                TableSpec::Builtin | TableSpec::BuiltinNear(_) => None,
                TableSpec::Embedded(e) => Some(e.freq.iter().map(|r| r.to_vec()).collect()),
            },
        }
    }
}

impl TryFrom<TableJson> for TableSpec {
    type Error = String;
    fn try_from(j: TableJson) -> Result<Self, String> {
        let crc = u32::from_str_radix(&j.crc32, 16)
            .map_err(|_| format!("table crc32 `{}` is not 8 hex digits", j.crc32))?;
        let bytes: Option<Vec<u8>> = match &j.frequencies {
            None => None,
            Some(rows) => {
                if rows.len() != CONTEXTS || rows.iter().any(|r| r.len() != TOKENS) {
                    return Err(format!(
                        "table frequencies: {CONTEXTS} rows of {TOKENS} expected"
                    ));
                }
                Some(
                    rows.iter()
                        .flatten()
                        .flat_map(|f| f.to_le_bytes())
                        .collect(),
                )
            }
        };
        TableSpec::from_header(j.id, crc, bytes.as_deref()).map_err(|e| e.to_string())
    }
}

/// Coder max with its parameters and its table: [`crate::CoderSpec::Max`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaxSpec {
    /// The parameters (FORMAT.md §10.1), flattened into the JSON object.
    #[serde(flatten)]
    pub params: MaxParams,
    /// The probability table (JSON: `"table": {"id": …, "crc32": …}`).
    pub table: TableSpec,
}

impl MaxSpec {
    /// The hardware's parameters with built-in table 1.
    pub const HARDWARE: MaxSpec = MaxSpec {
        params: MaxParams::HARDWARE,
        table: TableSpec::Builtin,
    };

    /// The same coder on another sample width ([`MaxParams::with_sample_bits`]; the table
    /// does not change).
    pub fn with_sample_bits(self, w: u32) -> MaxSpec {
        MaxSpec {
            params: self.params.with_sample_bits(w),
            ..self
        }
    }

    /// The same coder with `block_frames` frames per block.
    pub fn with_block_frames(self, block_frames: u32) -> MaxSpec {
        MaxSpec {
            params: MaxParams {
                block_frames,
                ..self.params
            },
            ..self
        }
    }

    /// The same coder with the maximum error `δ` grid steps (FORMAT.md §10.11; not yet
    /// validated): a built-in table becomes the one for `δ` ([`TableSpec::for_max_error`]),
    /// an embedded one stays.
    pub fn with_max_error(self, max_error: u32) -> MaxSpec {
        MaxSpec {
            params: self.params.with_max_error(max_error),
            table: if self.table.is_builtin() {
                TableSpec::for_max_error(max_error)
            } else {
                self.table
            },
        }
    }

    /// Checks the parameters (the table is valid when made).
    pub fn validate(&self) -> Result<(), Error> {
        self.params.validate()
    }
}

impl From<MaxParams> for MaxSpec {
    /// These parameters with built-in table 1.
    fn from(params: MaxParams) -> Self {
        MaxSpec {
            params,
            table: TableSpec::Builtin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other_table() -> Table {
        let mut f = *Table::builtin().freqs();
        f[4][3] += 5;
        f[4][9] -= 5;
        Table::new(f).unwrap()
    }

    #[test]
    fn the_header_names_a_table_by_id_and_crc() {
        let b = Table::builtin();
        assert_eq!(
            TableSpec::from_header(1, b.crc(), None).unwrap(),
            TableSpec::Builtin
        );
        let e = TableSpec::from_header(1, b.crc() ^ 1, None).unwrap_err();
        assert!(e.to_string().contains("another table 1"), "{e}");
        let t = other_table();
        let spec = TableSpec::from_header(0, t.crc(), Some(&t.to_bytes())).unwrap();
        assert_eq!(spec, TableSpec::embedded(&t));
        assert_eq!((spec.id(), spec.crc()), (0, t.crc()));
        assert_eq!(*spec.table(), t);
        assert!(TableSpec::from_header(0, t.crc() ^ 1, Some(&t.to_bytes())).is_err());
        let mut bad = t.to_bytes();
        bad[0] = 0;
        bad[1] = 0;
        let crc = crc32fast::hash(&bad);
        assert!(TableSpec::from_header(0, crc, Some(&bad)).is_err());
        assert!(TableSpec::from_header(2, b.crc(), None).is_err());
        // the built-in table embedded is another value (id 0), with the same table
        assert_ne!(TableSpec::embedded(b), TableSpec::Builtin);
        assert_eq!(*TableSpec::embedded(b).table(), *b);
    }

    #[test]
    fn json_names_the_table() {
        let j = serde_json::to_value(MaxSpec::HARDWARE).unwrap();
        assert_eq!(j["taps"], 4);
        assert_eq!(j["table"]["id"], 1);
        assert_eq!(j["table"]["crc32"], "5612b1c2");
        assert!(j["table"].get("frequencies").is_none());
        let back: MaxSpec = serde_json::from_value(j.clone()).unwrap();
        assert_eq!(back, MaxSpec::HARDWARE);
        let emb = MaxSpec {
            table: TableSpec::embedded(&other_table()),
            ..MaxSpec::HARDWARE
        };
        let j = serde_json::to_value(emb).unwrap();
        assert_eq!(j["table"]["frequencies"][4][3], other_table().freq(4, 3));
        assert_eq!(serde_json::from_value::<MaxSpec>(j.clone()).unwrap(), emb);
        let mut bad = j;
        bad["table"]["crc32"] = "00000000".into();
        assert!(serde_json::from_value::<MaxSpec>(bad).is_err());
    }
}
