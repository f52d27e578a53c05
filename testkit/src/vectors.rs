//! Known-answer vectors: fixed inputs with their frozen payload words and `.nrc` bytes,
//! checked into `golden-model/tests/vectors/` and tested against the golden model
//! (`golden-model/tests/vectors.rs`), the rust-hdl core (`sim/tests/rusthdl.rs`) and the
//! Verilated core (`sim/tests/verilator.rs`).
//!
//! Files per vector `NAME`:
//! * `NAME.txt`: `channels`, `mode`, how the input is given (`input inline`: the WAV sample
//!   values are in the `[wav_samples]` section; `input generated`: [`inputs`] builds them, and
//!   `input_fnv1a64` pins them), the sample count, and `[words]`: the golden model's payload
//!   words of the grid indices (what the core emits, the last word zero-padded, `payload_bits`
//!   of codes), 8 per line; grid vectors only.
//! * `NAME.nrc.hex`: the `.nrc` file `compress_wav` makes of the canonical WAV of the input,
//!   as hex, 32 bytes per line (not `.nrc`: a house check flags container files in git).
//!
//! * `NAME.max.txt`: coder max's substreams of the same inputs ([`MaxSpec`], [`load_max`]),
//!   tested in `golden-model/tests/max_vectors.rs`.
//!
//! **Regenerating** them means the bitstream or container format changed (bump the container
//! version and say so in `golden-model/FORMAT.md`):
//! `cargo test --release -p neurice-model --test vectors -- --ignored regenerate` (coder max:
//! `--test max_vectors`).

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::{grid_samples, spiky_walk, walk, XorShift64};

/// The folder of the frozen vectors.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../golden-model/tests/vectors")
}

/// One input of the known-answer set.
#[derive(Clone, Debug)]
pub struct Input {
    pub name: &'static str,
    pub channels: u16,
    /// The WAV's 16-bit sample values, interleaved.
    pub wav_samples: Vec<i16>,
    /// Stored in the `.txt` (small) or rebuilt from the generator (pinned by a hash).
    pub inline: bool,
    /// Grid vectors have frozen hardware words; raw-mode ones only container bytes.
    pub grid: bool,
}

/// The known-answer inputs. Never change one: add a new vector instead.
pub fn inputs() -> Vec<Input> {
    // `multi`: 3 channels × 200 frames of edge cases. Channel 0: a flat run at mid-scale, then
    // full-scale steps 0 ↔ 1023, a walk, a flat run at full scale. Channel 1: full-scale noise
    // (escapes), then a flat run at zero. Channel 2: a walk with a full-scale pulse.
    let mut r = XorShift64::new(0x4E52_4943);
    let w0 = walk(200, 11, 6);
    let w2 = walk(200, 12, 3);
    let mut multi = Vec::with_capacity(600);
    for t in 0..200 {
        let c0 = match t {
            0..=59 => 512,
            60..=79 if t % 2 == 0 => 0,
            60..=79 => 1023,
            80..=149 => w0[t],
            _ => 1023,
        };
        let c1 = if t < 120 {
            (r.next_u64() % 1024) as u16
        } else {
            0
        };
        let c2 = match t {
            100..=103 => 1023,
            104..=107 => 0,
            _ => w2[t],
        };
        multi.extend([c0, c1, c2]);
    }
    // `mono`: one second of a one-channel recording (spiky random walk), with three off-grid
    // samples (container exceptions).
    let mut mono = grid_samples(&spiky_walk(19_531, 0x4D4F_4E4F));
    mono[10] = 7;
    mono[5_000] = -5;
    mono[19_530] = 1;
    // `raw`: 2 channels × 150 frames of 16-bit noise: raw mode.
    let mut r = XorShift64::new(0x5241_5731);
    let raw = (0..300).map(|_| r.next_u64() as i16).collect();
    vec![
        Input {
            name: "multi",
            channels: 3,
            wav_samples: grid_samples(&multi),
            inline: true,
            grid: true,
        },
        Input {
            name: "mono",
            channels: 1,
            wav_samples: mono,
            inline: false,
            grid: true,
        },
        Input {
            name: "raw",
            channels: 2,
            wav_samples: raw,
            inline: true,
            grid: false,
        },
    ]
}

/// The known-answer input called `name`.
pub fn input(name: &str) -> Input {
    inputs()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no known-answer input {name}"))
}

/// A frozen vector as read from its files.
#[derive(Clone, Debug)]
pub struct Vector {
    pub name: String,
    pub channels: usize,
    pub mode: String,
    pub wav_samples: Vec<i16>,
    /// The grid indices the core is fed (`grid::to_grid` of the samples).
    pub indices: Vec<u16>,
    /// Frozen payload words (grid vectors; empty otherwise).
    pub words: Vec<u32>,
    /// Bits of codes in `words` (the rest of the last word is padding); 0 when no words.
    pub payload_bits: u64,
    /// Frozen `.nrc` bytes.
    pub nrc: Vec<u8>,
}

impl Vector {
    /// The canonical WAV of the input (what `compress_wav` was given).
    pub fn wav(&self) -> Vec<u8> {
        neurice_model::wav::Wav::canonical(
            self.channels as u16,
            crate::SAMPLE_RATE,
            self.wav_samples.clone(),
        )
        .expect("whole frames")
        .to_bytes()
    }
}

/// FNV-1a (64 bit) of the samples' little-endian bytes.
pub fn fnv1a64(samples: &[i16]) -> u64 {
    fnv1a64_bytes(samples.iter().flat_map(|s| s.to_le_bytes()))
}

/// FNV-1a (64 bit) of bytes. (Not a CRC-32 of a `.nrc`: a CRC over a message followed by its
/// own CRC is the same constant for every message.)
pub fn fnv1a64_bytes(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The keys (`key value` lines before the first section) and `[sections]` (their
/// whitespace-separated words) of a vector's `.txt` file; `#` lines are comments.
type Parsed = (
    std::collections::BTreeMap<String, String>,
    std::collections::BTreeMap<String, Vec<String>>,
);

fn parse_txt(txt_path: &std::path::Path) -> Parsed {
    let txt =
        std::fs::read_to_string(txt_path).unwrap_or_else(|e| panic!("{}: {e}", txt_path.display()));
    let mut keys = std::collections::BTreeMap::new();
    let mut sections: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut section: Option<String> = None;
    for line in txt.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(s.to_string());
            sections.entry(s.to_string()).or_default();
        } else if let Some(s) = &section {
            let v = sections.get_mut(s).expect("section exists");
            v.extend(line.split_whitespace().map(String::from));
        } else {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            keys.insert(k.to_string(), v.trim().to_string());
        }
    }
    (keys, sections)
}

/// Reads a frozen vector (panics with the file name on any problem).
pub fn load(name: &str) -> Vector {
    let txt_path = dir().join(format!("{name}.txt"));
    let (keys, sections) = parse_txt(&txt_path);
    let key = |k: &str| {
        keys.get(k)
            .unwrap_or_else(|| panic!("{}: no `{k}`", txt_path.display()))
            .clone()
    };
    let channels: usize = key("channels").parse().expect("channels");
    let count: usize = key("samples").parse().expect("samples");
    let wav_samples: Vec<i16> = match key("input").as_str() {
        "inline" => sections
            .get("wav_samples")
            .expect("[wav_samples]")
            .iter()
            .map(|s| s.parse().expect("sample value"))
            .collect(),
        "generated" => input(name).wav_samples,
        other => panic!("{}: input {other:?}", txt_path.display()),
    };
    assert_eq!(wav_samples.len(), count, "{name}: sample count");
    let fnv = u64::from_str_radix(&key("input_fnv1a64"), 16).expect("hash");
    assert_eq!(
        fnv1a64(&wav_samples),
        fnv,
        "{name}: the input is not the one the vector was made from (generator changed?)"
    );
    let words = sections
        .get("words")
        .map(|v| {
            v.iter()
                .map(|w| u32::from_str_radix(w, 16).expect("hex word"))
                .collect()
        })
        .unwrap_or_default();
    let nrc_path = dir().join(format!("{name}.nrc.hex"));
    let hex: String = std::fs::read_to_string(&nrc_path)
        .unwrap_or_else(|e| panic!("{}: {e}", nrc_path.display()))
        .split_whitespace()
        .collect();
    let nrc = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex byte"))
        .collect();
    let (idx, _) = neurice_model::grid::to_grid(&wav_samples);
    Vector {
        name: name.to_string(),
        channels,
        mode: key("mode"),
        wav_samples,
        indices: idx.into_iter().map(|k| k as u16).collect(),
        words,
        payload_bits: keys
            .get("payload_bits")
            .map_or(0, |b| b.parse().expect("payload_bits")),
        nrc,
    }
}

/// Every frozen vector.
pub fn all() -> Vec<Vector> {
    inputs().iter().map(|i| load(i.name)).collect()
}

/// Writes the files of one vector (used only by the `#[ignore]`d regenerating test).
pub fn write(
    input: &Input,
    mode: &str,
    (words, payload_bits): (&[u32], u64),
    nrc: &[u8],
) -> std::io::Result<()> {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# neurice known-answer vector `{}` (neurice_testkit::vectors; see there).\n\
         # Frozen: regenerating means the format changed:\n\
         # cargo test --release -p neurice-model --test vectors -- --ignored regenerate",
        input.name
    );
    let _ = writeln!(t, "channels {}", input.channels);
    let _ = writeln!(t, "mode {mode}");
    let _ = writeln!(
        t,
        "input {}",
        if input.inline { "inline" } else { "generated" }
    );
    let _ = writeln!(t, "input_fnv1a64 {:016x}", fnv1a64(&input.wav_samples));
    let _ = writeln!(t, "samples {}", input.wav_samples.len());
    if input.grid {
        let _ = writeln!(t, "payload_bits {payload_bits}");
    }
    if input.inline {
        let _ = writeln!(t, "[wav_samples]");
        for frame in input.wav_samples.chunks(12) {
            let line: Vec<String> = frame.iter().map(|s| s.to_string()).collect();
            let _ = writeln!(t, "{}", line.join(" "));
        }
    }
    if input.grid {
        let _ = writeln!(t, "[words]");
        for chunk in words.chunks(8) {
            let line: Vec<String> = chunk.iter().map(|w| format!("{w:08x}")).collect();
            let _ = writeln!(t, "{}", line.join(" "));
        }
    }
    std::fs::create_dir_all(dir())?;
    std::fs::write(dir().join(format!("{}.txt", input.name)), t)?;
    let mut h = String::new();
    for chunk in nrc.chunks(32) {
        for b in chunk {
            let _ = write!(h, "{b:02x}");
        }
        h.push('\n');
    }
    std::fs::write(dir().join(format!("{}.nrc.hex", input.name)), h)
}

// ---------------------------------------------------------------------------------------
// Coder max (FORMAT.md §10): the substreams of the same inputs
// ---------------------------------------------------------------------------------------

/// One coder max vector: a known-answer input, its mode and its block length. The file
/// `NAME.max.txt` holds the built-in table's CRC-32 it was made with, the coded samples'
/// count, and per block its frames, token substream and raw substream (hex bytes, 32 per
/// line). Grid inputs are coded as their grid indices with `MaxParams::HARDWARE`, raw ones
/// as `v XOR 0x8000` with `MaxParams::RAW16`.
#[derive(Clone, Copy, Debug)]
pub struct MaxSpec {
    pub name: &'static str,
    /// the [`Input`] it codes
    pub input: &'static str,
    pub block_frames: u32,
}

/// The coder max vectors. Never change one: add a new one instead.
pub fn max_specs() -> Vec<MaxSpec> {
    let spec = |name, input, block_frames| MaxSpec {
        name,
        input,
        block_frames,
    };
    vec![
        spec("multi", "multi", 0),
        spec("multi-b64", "multi", 64),
        spec("mono", "mono", 0),
        spec("raw", "raw", 0),
    ]
}

/// A frozen coder max vector as read from its file.
#[derive(Clone, Debug)]
pub struct MaxVector {
    pub spec: MaxSpec,
    pub channels: usize,
    /// raw mode (W = 16), else grid (W = 10)
    pub raw16: bool,
    /// CRC-32 of the built-in table the vector was made with
    pub table_crc: u32,
    /// the samples the coder is given (grid indices, or `v XOR 0x8000` in raw mode)
    pub samples: Vec<u32>,
    /// per block: frames, token substream, raw substream
    pub blocks: Vec<(u32, Vec<u8>, Vec<u8>)>,
}

impl MaxSpec {
    /// The samples the coder is given, the channel count and whether it is raw mode.
    pub fn samples(&self) -> (Vec<u32>, usize, bool) {
        let i = input(self.input);
        let samples = if i.grid {
            neurice_model::grid::to_grid(&i.wav_samples).0
        } else {
            i.wav_samples
                .iter()
                .map(|&v| (v as u16 ^ 0x8000) as u32)
                .collect()
        };
        (samples, i.channels as usize, !i.grid)
    }
}

fn hex_bytes(words: &[String]) -> Vec<u8> {
    let hex: String = words.concat();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex byte"))
        .collect()
}

/// Reads a frozen coder max vector (panics with the file name on any problem).
pub fn load_max(spec: MaxSpec) -> MaxVector {
    let path = dir().join(format!("{}.max.txt", spec.name));
    let (keys, sections) = parse_txt(&path);
    let key = |k: &str| {
        keys.get(k)
            .unwrap_or_else(|| panic!("{}: no `{k}`", path.display()))
            .clone()
    };
    let (samples, channels, raw16) = spec.samples();
    assert_eq!(
        key("samples").parse::<usize>().expect("samples"),
        samples.len(),
        "{}: sample count",
        spec.name
    );
    assert_eq!(key("block_frames"), spec.block_frames.to_string());
    let blocks = (0..key("blocks").parse::<usize>().expect("blocks"))
        .map(|b| {
            let sec = |s: &str| {
                sections
                    .get(&format!("{s} {b}"))
                    .unwrap_or_else(|| panic!("{}: no [{s} {b}]", path.display()))
            };
            let frames = sec("frames")[0].parse().expect("frames");
            (frames, hex_bytes(sec("tokens")), hex_bytes(sec("raw")))
        })
        .collect();
    MaxVector {
        spec,
        channels,
        raw16,
        table_crc: u32::from_str_radix(&key("table_crc32"), 16).expect("crc"),
        samples,
        blocks,
    }
}

/// Writes a coder max vector's file (used only by the `#[ignore]`d regenerating test).
pub fn write_max(
    spec: MaxSpec,
    table_crc: u32,
    blocks: &[(u32, &[u8], &[u8])],
) -> std::io::Result<()> {
    let (samples, channels, raw16) = spec.samples();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# neurice known-answer vector `{}` of coder max (FORMAT.md §10; see\n\
         # neurice_testkit::vectors::MaxSpec): input `{}`, the substreams of every block.\n\
         # Frozen: regenerating means the format or the built-in table changed:\n\
         # cargo test --release -p neurice-model --test max_vectors -- --ignored regenerate",
        spec.name, spec.input
    );
    let _ = writeln!(t, "channels {channels}");
    let _ = writeln!(t, "mode {}", if raw16 { "raw16" } else { "grid10" });
    let _ = writeln!(t, "block_frames {}", spec.block_frames);
    let _ = writeln!(t, "table_crc32 {table_crc:08x}");
    let _ = writeln!(t, "samples {}", samples.len());
    let _ = writeln!(t, "blocks {}", blocks.len());
    for (b, (frames, tokens, raw)) in blocks.iter().enumerate() {
        let _ = writeln!(t, "[frames {b}]\n{frames}");
        for (name, bytes) in [("tokens", tokens), ("raw", raw)] {
            let _ = writeln!(t, "[{name} {b}]");
            for chunk in bytes.chunks(32) {
                let line: String = chunk.iter().map(|x| format!("{x:02x}")).collect();
                let _ = writeln!(t, "{line}");
            }
        }
    }
    std::fs::write(dir().join(format!("{}.max.txt", spec.name)), t)
}
