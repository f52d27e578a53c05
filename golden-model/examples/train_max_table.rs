//! Trains coder max's built-in probability table (FORMAT.md §10.4) and reports it.
//!
//! `cargo run --release -p neurice-model --example train_max_table -- [DIR] [--out FILE] [--check]
//! [--max-error δ]`
//!
//! **Training subset**: the recordings of DIR (default `$NEURICE_DATA`, else
//! `../shared/data/neuralink`) sorted by file name, the even indices (0, 2, 4, …: 302 of the
//! 603). Each file is one channel coded from the restart state; the table is the 12-bit
//! quantisation ([`neurice_model::max::table::quantise`]) of the tokens counted per context.
//! Writes the table to FILE (default `golden-model/tables/max_default.txt`); `--check`
//! writes nothing and exits 1 if the stored table differs from the one trained.
//!
//! With `--max-error δ` (1 or 2) the tokens are those of the bounded-error coder
//! (FORMAT.md §10.11) and the table is built-in table `δ + 1`
//! (`golden-model/tables/max_near{δ}.txt`); the report is then the bounded-error one:
//! container ratios (§10.7's bytes, the δ byte included) with built-in table 1 and with the
//! trained one on the train half, the test half and all, every block decoded and checked
//! within δ.
//!
//! Then reports, payload only (16 × samples / payload bits), coder max with that table against
//! coder v2 (`V2Params::HARDWARE`): per file on the train half, the test half (odd indices)
//! and all; the table trained on the other half ("swap"); the 603 recordings as 603 channels
//! of one block (cut to the shortest) and in blocks of 1024 frames (the packet segments of
//! §9); 1024 channels (the 603, and 421 of them again 1000 frames later) in the streamed
//! container's blocks of 2048 frames. "Container" adds §10.7's bytes per file: 90 for a
//! canonical one-block file (computed from the layout; the container is not wired yet).
//! Every block is decoded and compared.

use std::path::PathBuf;

use neurice_model::max::{self, MaxParams, Table, CONTEXTS, TOKENS};
use neurice_model::v2::{self, V2Params};
use neurice_model::{grid::to_grid, wav::parse_wav};

/// §10.7: header 57 + block record 12 + mode 1 + exception count 4 + substream length 4 +
/// trailer 8 + container CRC 4, for a canonical WAV with T = 4 and the built-in table.
const CONTAINER_BYTES_ONE_BLOCK: u64 = 57 + 12 + 1 + 4 + 4 + 8 + 4;

type Counts = [[u64; TOKENS]; CONTEXTS];

fn counts_of(recs: &[Vec<u32>], delta: u32, pick: impl Fn(usize) -> bool) -> Counts {
    let mut c = [[0u64; TOKENS]; CONTEXTS];
    let p = MaxParams::HARDWARE.with_max_error(delta);
    for (i, r) in recs.iter().enumerate().filter(|(i, _)| pick(*i)) {
        max::token_counts(&p, 1, r, &mut c).unwrap_or_else(|e| panic!("recording {i}: {e}"));
    }
    c
}

/// Coder max's payload bytes of `samples` (`channels` interleaved, blocks of `block_frames`),
/// decoded back and compared.
fn max_bytes(t: &Table, channels: usize, samples: &[u32], block_frames: u32) -> u64 {
    let p = MaxParams {
        block_frames,
        ..MaxParams::HARDWARE
    };
    let (blocks, _) = max::encode_all(&p, t, channels, samples).expect("encode");
    let refs: Vec<(u32, &[u8], &[u8])> = blocks
        .iter()
        .map(|b| (b.frames, &b.tokens[..], &b.raw[..]))
        .collect();
    assert!(
        max::decode_all(&p, t, channels, &refs).expect("decode") == samples,
        "coder max is not lossless"
    );
    blocks
        .iter()
        .map(|b| (b.tokens.len() + b.raw.len()) as u64)
        .sum()
}

fn v2_bytes(channels: usize, samples: &[u32], block_frames: u32) -> u64 {
    let p = V2Params {
        block_frames,
        ..V2Params::HARDWARE
    };
    let (blocks, _) = v2::encode_all(&p, channels, samples).expect("v2 encode");
    blocks.iter().map(|b| b.bytes.len() as u64).sum()
}

fn ratio(samples: u64, bytes: u64) -> f64 {
    2.0 * samples as f64 / bytes as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = std::env::var_os("NEURICE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/neuralink"));
    let mut out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tables/max_default.txt");
    let mut check = false;
    let mut delta = 0u32;
    let mut out_given = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => {
                out = args.next().ok_or("--out needs a file")?.into();
                out_given = true;
            }
            "--max-error" => {
                delta = args.next().ok_or("--max-error needs δ")?.parse()?;
                if max::table::builtin_id_for(delta) != delta as u8 + 1 {
                    return Err(
                        format!("--max-error {delta}: tables are trained for 1 and 2").into(),
                    );
                }
            }
            "--check" => check = true,
            _ if a.starts_with("--") => return Err(format!("unknown option {a}").into()),
            _ => dir = a.into(),
        }
    }
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()).into());
    }
    let files = neurice_testkit::wavs(&dir);
    if files.is_empty() {
        return Err(format!("no .wav files in {}", dir.display()).into());
    }
    let recs: Vec<Vec<u32>> = files
        .iter()
        .map(|f| {
            let w = parse_wav(&std::fs::read(f)?)?;
            if w.channels != 1 {
                return Err(format!("{}: {} channels, not 1", f.display(), w.channels).into());
            }
            let (idx, exc) = to_grid(&w.samples);
            if !exc.is_empty() {
                return Err(format!("{}: {} samples off the grid", f.display(), exc.len()).into());
            }
            Ok(idx)
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let even = |i: usize| i.is_multiple_of(2);
    let odd = |i: usize| i % 2 == 1;
    let train_samples: usize = recs.iter().step_by(2).map(Vec::len).sum();
    if delta > 0 && !out_given {
        out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tables/max_near{delta}.txt"));
    }
    let table = Table::train(&counts_of(&recs, delta, even));
    let swap = Table::train(&counts_of(&recs, delta, odd));

    let name = |i: usize| files[i].file_name().unwrap_or_default().to_string_lossy();
    let what = match delta {
        0 => "the built-in default".to_string(),
        d => format!("for the maximum error {d}, §10.11"),
    };
    let tokens_of = match delta {
        0 => String::new(),
        d => format!(" (the tokens of the bounded-error coder at δ = {d})"),
    };
    let regen = match delta {
        0 => String::new(),
        d => format!(" -- --max-error {d}"),
    };
    let text = format!(
        "# neurice coder max: probability table {id} ({what}), FORMAT.md §10.4.\n\
         # 16 contexts (rows, max::context) x 32 tokens (columns; 31 = escape),\n\
         # 12-bit frequencies: each >= 1, each row sums to 4096. CRC-32 of the canonical bytes: {crc:08x}\n\
         # Trained on the even-index files of the {n} recordings of the Neuralink\n\
         # compression-challenge set sorted by name: {k} files, {train_samples} samples, each one\n\
         # channel in one block{tokens_of}; index 0 = {first},\n\
         # the last = {last}.\n\
         # Regenerate: cargo run --release -p neurice-model --example train_max_table{regen}\n",
        id = max::table::builtin_id_for(delta),
        crc = table.crc(),
        n = files.len(),
        k = files.len().div_ceil(2),
        first = name(0),
        last = name((files.len() - 1) & !1),
    ) + &table.to_text_rows();
    if check {
        let stored = Table::parse_text(&std::fs::read_to_string(&out)?)?;
        if stored != table {
            eprintln!(
                "{}: differs from the table trained now (stored crc {:08x}, trained {:08x})",
                out.display(),
                stored.crc(),
                table.crc()
            );
            std::process::exit(1);
        }
        println!(
            "{}: equal to the table trained now ({:08x})",
            out.display(),
            table.crc()
        );
        return Ok(());
    } else {
        std::fs::write(&out, text)?;
        println!("wrote {} (crc {:08x})", out.display(), table.crc());
    }
    if delta > 0 {
        return bounded_report(&recs, delta, &table, &swap);
    }

    // per file
    let (mut n, mut mx, mut sw, mut v2b) = ([0u64; 2], [0u64; 2], [0u64; 2], [0u64; 2]);
    for (i, r) in recs.iter().enumerate() {
        let h = i % 2;
        n[h] += r.len() as u64;
        mx[h] += max_bytes(&table, 1, r, 0);
        sw[h] += max_bytes(&swap, 1, r, 0);
        v2b[h] += v2_bytes(1, r, 0);
    }
    let all = |v: [u64; 2]| v[0] + v[1];
    let files_n = recs.len() as u64;
    let wav_bytes = 2 * all(n) + 44 * files_n;
    println!("\nper file, payload (max: both substreams; v2: its block bytes)");
    println!("| | train (even) | test (odd) | all | all, table fitted on odd |");
    println!("|---|---|---|---|---|");
    println!(
        "| max | {:.4} | {:.4} | {:.4} | {:.4} |",
        ratio(n[0], mx[0]),
        ratio(n[1], mx[1]),
        ratio(all(n), all(mx)),
        ratio(all(n), all(sw))
    );
    println!(
        "| v2 | {:.4} | {:.4} | {:.4} | |",
        ratio(n[0], v2b[0]),
        ratio(n[1], v2b[1]),
        ratio(all(n), all(v2b))
    );
    println!(
        "max with the container of §10.7 ({CONTAINER_BYTES_ONE_BLOCK} bytes per file): {:.4}",
        wav_bytes as f64 / (all(mx) + CONTAINER_BYTES_ONE_BLOCK * files_n) as f64
    );

    // interleaved
    let shortest = recs.iter().map(Vec::len).min().unwrap_or(0);
    let c = recs.len();
    let inter: Vec<u32> = (0..shortest)
        .flat_map(|f| recs.iter().map(move |r| r[f]))
        .collect();
    let frames = shortest.saturating_sub(1000);
    let wide: Vec<u32> = (0..frames)
        .flat_map(|f| (0..1024).map(move |ch| (ch % c, f + 1000 * (ch / c))))
        .map(|(ch, f)| recs[ch][f])
        .collect();
    println!("\ninterleaved, payload");
    println!("| input | block frames | max | v2 |");
    println!("|---|---|---|---|");
    for (label, ch, s, bf) in [
        ("603 channels", c, &inter, 0u32),
        ("603 channels", c, &inter, 1024),
        ("1024 channels", 1024, &wide, 0),
        ("1024 channels", 1024, &wide, 2048),
    ] {
        let ns = s.len() as u64;
        println!(
            "| {label} x {} frames | {} | {:.4} | {:.4} |",
            s.len() / ch,
            if bf == 0 {
                "one block".to_string()
            } else {
                bf.to_string()
            },
            ratio(ns, max_bytes(&table, ch, s, bf)),
            ratio(ns, v2_bytes(ch, s, bf))
        );
    }
    println!("\nall blocks decoded back to their samples");
    Ok(())
}

/// Coder max's payload bytes of one recording at the maximum error `delta` with table `t`,
/// decoded back and checked within `delta` of every sample.
fn near_bytes(t: &Table, delta: u32, samples: &[u32]) -> u64 {
    let p = MaxParams::HARDWARE.with_max_error(delta);
    let (blocks, _) = max::encode_all(&p, t, 1, samples).expect("encode");
    let refs: Vec<(u32, &[u8], &[u8])> = blocks
        .iter()
        .map(|b| (b.frames, &b.tokens[..], &b.raw[..]))
        .collect();
    let back = max::decode_all(&p, t, 1, &refs).expect("decode");
    assert!(
        back.len() == samples.len()
            && back
                .iter()
                .zip(samples)
                .all(|(a, b)| a.abs_diff(*b) <= delta),
        "an error above {delta}"
    );
    blocks
        .iter()
        .map(|b| (b.tokens.len() + b.raw.len()) as u64)
        .sum()
}

/// The bounded-error report: container ratios with table 1 and the trained table.
fn bounded_report(
    recs: &[Vec<u32>],
    delta: u32,
    table: &Table,
    swap: &Table,
) -> Result<(), Box<dyn std::error::Error>> {
    // the container of a one-block file, with the δ byte of §10.7
    let extra = CONTAINER_BYTES_ONE_BLOCK + 1;
    let (mut n, mut files) = ([0u64; 2], [0u64; 2]);
    let (mut b1, mut bt, mut bs) = ([0u64; 2], [0u64; 2], [0u64; 2]);
    for (i, r) in recs.iter().enumerate() {
        let h = i % 2;
        n[h] += r.len() as u64;
        files[h] += 1;
        b1[h] += near_bytes(Table::builtin(), delta, r);
        bt[h] += near_bytes(table, delta, r);
        bs[h] += near_bytes(swap, delta, r);
    }
    let c = |n: u64, files: u64, b: u64| (2 * n + 44 * files) as f64 / (b + extra * files) as f64;
    let all = |v: [u64; 2]| v[0] + v[1];
    println!("\nmaximum error {delta}: per file, container ({extra} bytes per file beside the substreams)");
    println!("| table | train (even) | test (odd) | all |");
    println!("|---|---|---|---|");
    for (label, b) in [
        ("built-in table 1", b1),
        ("trained on even", bt),
        ("trained on odd", bs),
    ] {
        println!(
            "| {label} | {:.4} | {:.4} | {:.4} |",
            c(n[0], files[0], b[0]),
            c(n[1], files[1], b[1]),
            c(all(n), all(files), all(b))
        );
    }
    println!("\nevery recording decoded within {delta} of every sample");
    Ok(())
}
