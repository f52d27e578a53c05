//! The board logic's EMITTED Verilog (module `top` = `BoardSystem`, below the PLL) in
//! Verilator, against the same golden-model words as `board_sim.rs`: rust-hdl's simulation and
//! its Verilog can disagree silently (see the rust-hdl field notes), so the Verilog is run too.
//!
//! The testbench `bsp/harness/board_tb.v` is the FTDI's UART (8N1, back-to-back bytes) at a
//! reduced divisor of 8 core clocks per bit. The Verilator build (a minute or two on two
//! cores) is cached under Cargo's test temp folder, keyed by a hash of the Verilog, the
//! testbench and the flags. Skips with a notice when `verilator` is not on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use neurice_bsp::protocol;
use neurice_bsp::SystemConfig;
use neurice_model::{Coder, CoderSpec};

use neurice_testkit::spiky_walk as signal;

const TB: &str = include_str!("../harness/board_tb.v");
const DIVISOR: u32 = 8;

fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in parts {
        for &b in p.iter() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Through the project's one tool runner: log kept, exit code checked, the tail in errors.
fn run_logged(mut cmd: Command, log: &Path, what: &str) -> Result<()> {
    neurice_synth::tools::run_tool(&mut cmd, log).with_context(|| format!("{what} failed"))?;
    Ok(())
}

/// Builds (or reuses) the Verilator testbench of the board logic with the core of `coder`;
/// returns the executable.
fn build(coder: CoderSpec) -> Result<PathBuf> {
    // tests of one coder share the build folder: one build at a time
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let cfg = SystemConfig {
        coder,
        baud_divisor: DIVISOR,
        default_channels: 1,
        heartbeat_half_period: 1000,
    };
    let verilog = neurice_bsp::system_verilog(&cfg)?;
    let flags = [
        "--binary",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "-O2",
        "--top-module",
        "board_tb",
    ];
    let key = fnv1a(&[
        verilog.as_bytes(),
        TB.as_bytes(),
        flags.join(" ").as_bytes(),
    ]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("board-vl-{key:016x}"));
    let bin = dir.join("obj").join("board_tb");
    if bin.is_file() {
        return Ok(bin);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("top.v"), &verilog)?;
    std::fs::write(dir.join("board_tb.v"), TB)?;
    let mut cmd = Command::new(neurice_synth::tools::find_tool("verilator")?);
    cmd.current_dir(&dir)
        .args(flags)
        .arg(format!("-GDIV={DIVISOR}"))
        .args([
            "-j",
            "2",
            "--Mdir",
            "obj",
            "-o",
            "board_tb",
            "board_tb.v",
            "top.v",
        ]);
    run_logged(
        cmd,
        &dir.join("build.log"),
        "verilator build of the board testbench",
    )?;
    if !bin.is_file() {
        bail!(
            "verilator reported success but {} is missing",
            bin.display()
        );
    }
    Ok(bin)
}

/// The testbench of the board with the core of `spec`, built (or reused); `None` (a skip
/// notice given) without Verilator.
fn built(spec: CoderSpec) -> Result<Option<PathBuf>> {
    let coder = spec.kind();
    if let Err(e) = neurice_synth::tools::find_tool("verilator") {
        let why = format!("{e:#}; the {coder} board Verilog was not simulated");
        neurice_testkit::skip("board_verilog_sim", &why);
        return Ok(None);
    }
    let t0 = std::time::Instant::now();
    let bin = build(spec)?;
    eprintln!(
        "verilator build ({coder}): {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(Some(bin))
}

struct Run {
    bytes: Vec<u8>,
    cycles: u64,
    framing_errors: u64,
    leds: u8,
}

fn run(bin: &Path, dir: &Path, input: &[u8], bytes_out: usize) -> Result<Run> {
    std::fs::create_dir_all(dir)?;
    let hex: String = input.iter().map(|b| format!("{b:02x}\n")).collect();
    let (inp, outp) = (dir.join("in.hex"), dir.join("out.hex"));
    std::fs::write(&inp, hex)?;
    let max_cycles = (input.len() + bytes_out + 64) as u64 * 10 * DIVISOR as u64 * 2;
    let mut cmd = Command::new(bin);
    cmd.arg(format!("+in={}", inp.display()))
        .arg(format!("+out={}", outp.display()))
        .arg(format!("+bytes_in={}", input.len()))
        .arg(format!("+bytes_out={bytes_out}"))
        .arg(format!("+max_cycles={max_cycles}"));
    run_logged(cmd, &dir.join("run.log"), "board testbench")?;
    let text = std::fs::read_to_string(&outp)?;
    let mut bytes = Vec::new();
    for line in text.lines() {
        if let Some(end) = line.strip_prefix("end ") {
            let f: Vec<&str> = end.split_whitespace().collect();
            if f.len() != 3 {
                bail!("bad end line {line:?}");
            }
            return Ok(Run {
                bytes,
                cycles: f[0].parse()?,
                framing_errors: f[1].parse()?,
                leds: u8::from_str_radix(f[2], 16)?,
            });
        }
        bytes.push(u8::from_str_radix(line.trim(), 16).with_context(|| format!("{line:?}"))?);
    }
    bail!("the testbench output has no end line")
}

/// Builds the board Verilog with the coder-v1 core of `spec` and sends each `(channels,
/// samples, seed)` stream through its UART: the words that come back are the golden model's
/// plus the trailer, and decode back to the samples with its decoder; no framing errors, no
/// overflow/error LED.
fn round_trips(spec: CoderSpec, streams: &[(usize, usize, u64)]) -> Result<()> {
    let coder = spec.kind();
    let Some(bin) = built(spec)? else {
        return Ok(());
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("board-vl-{coder}-runs"));
    for &(channels, n, seed) in streams {
        let samples = signal(n, seed);
        let expected = protocol::segment_words(&spec, channels, &samples)?;
        let input = protocol::stream_bytes(channels, &samples)?;
        let r = run(
            &bin,
            &work.join(format!("{channels}ch")),
            &input,
            4 * (expected.len() + 1),
        )?;
        assert_eq!(
            r.framing_errors, 0,
            "{coder}, {channels} ch: framing errors"
        );
        let words = protocol::words_from_bytes(&r.bytes)?;
        let data = protocol::split_trailer(&words)?;
        assert_eq!(data, &expected[..], "{coder}, {channels} ch: words differ");
        let decoded = protocol::decode_segment(&spec, channels, n, data)?;
        assert_eq!(
            decoded, samples,
            "{coder}, {channels} ch: decoded samples differ"
        );
        assert_eq!(
            r.leds & 0b0110_0000,
            0,
            "{coder}, {channels} ch: overflow/error LEDs: {:08b}",
            r.leds
        );
        eprintln!(
            "verilator ({coder}): {channels} ch, {n} samples: {} words + trailer in {} cycles",
            data.len(),
            r.cycles
        );
    }
    Ok(())
}

#[test]
fn emitted_verilog_round_trips_through_the_uart() -> Result<()> {
    round_trips(
        CoderSpec::hardware(Coder::Lite),
        &[(1, 400, 11), (2, 300, 12), (5, 300, 13)],
    )
}

/// The board Verilog with the coder-max core: each stream (set channel count, samples,
/// flush) comes back as tagged records that rebuild, byte for byte, `want` (the frozen
/// known-answer block, or the golden model's `max::encode_block`) and decode to the samples;
/// the `.nrc` the host builds from them is the golden model's container of the same samples
/// (`compress_wav_with`), byte for byte. No framing errors, no overflow/error LED.
fn max_round_trips(
    cases: &[(String, usize, Vec<u16>, Option<neurice_model::max::Block>)],
) -> Result<()> {
    use neurice_model::max::MaxSpec;
    let spec = MaxSpec::HARDWARE;
    let Some(bin) = built(spec.into())? else {
        return Ok(());
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("board-vl-max-runs");
    for (label, channels, samples, frozen) in cases {
        let (channels, n) = (*channels, samples.len());
        let model = protocol::max_block(&spec, channels, samples)?;
        if let Some(f) = frozen {
            assert_eq!(&model, f, "{label}: the model is not the frozen vector");
        }
        let [t, r] = model.words();
        let records = t.words.len() + r.words.len() + 1;
        let input = protocol::stream_bytes(channels, samples)?;
        let out = run(
            &bin,
            &work.join(label),
            &input,
            protocol::RECORD_BYTES * records,
        )?;
        assert_eq!(out.framing_errors, 0, "{label}: framing errors");
        let segs = protocol::max_segments(&protocol::records_from_bytes(&out.bytes)?)?;
        assert_eq!(segs.len(), 1, "{label}: one segment");
        assert_eq!(
            segs[0].block(model.frames),
            model,
            "{label}: substreams differ"
        );
        assert_eq!(
            &segs[0].decode(&spec, channels, n)?,
            samples,
            "{label}: decoded samples differ"
        );
        let nrc = protocol::max_nrc(
            &spec,
            channels as u16,
            neurice_testkit::SAMPLE_RATE,
            &[(model.frames, &segs[0])],
        )?;
        let wav = neurice_testkit::grid_wav(channels as u16, samples);
        let (want, _) = neurice_model::compress_wav_with(&wav, CoderSpec::Max(spec))?;
        assert!(nrc == want, "{label}: the rebuilt .nrc is not the model's");
        assert_eq!(
            out.leds & 0b0110_0000,
            0,
            "{label}: overflow/error LEDs: {:08b}",
            out.leds
        );
        eprintln!(
            "verilator (max): {label}: {channels} ch, {n} samples: {} records + trailer in {} cycles, .nrc of {} bytes",
            records - 1,
            out.cycles,
            nrc.len()
        );
    }
    Ok(())
}

/// Coder max's known-answer vectors (`multi`: 3 channels of edge cases, `mono`) and a spiky
/// signal on 5 channels through the board Verilog.
#[test]
fn emitted_max_verilog_round_trips_the_vectors() -> Result<()> {
    use neurice_testkit::vectors;
    let mut cases = Vec::new();
    for name in ["multi", "mono"] {
        let spec = vectors::max_specs()
            .into_iter()
            .find(|s| s.name == name)
            .expect("a coder-max vector");
        let v = vectors::load_max(spec);
        assert_eq!(v.blocks.len(), 1, "{name}: one block");
        let (frames, tokens, raw) = v.blocks[0].clone();
        let x: Vec<u16> = v.samples.iter().map(|&s| s as u16).collect();
        cases.push((
            name.to_string(),
            v.channels,
            x,
            Some(neurice_model::max::Block {
                frames,
                tokens,
                raw,
            }),
        ));
    }
    cases.push(("spiky-5ch".into(), 5, signal(500, 31), None));
    max_round_trips(&cases)
}

/// Recordings through the board Verilog with the coder-max core (sampled: the first 5 000
/// samples of 6 recordings as 6 channels, and of the first as 1 channel).
#[test]
fn emitted_max_verilog_round_trips_recordings() -> Result<()> {
    recordings(5_000, 6)
}

/// More of the recordings: the first 20 000 samples of 24 recordings as 24 channels (480 000
/// samples, about 77 M clocks).
#[test]
#[ignore = "longer: cargo test --release -p neurice-bsp --test board_verilog_sim -- --ignored"]
fn emitted_max_verilog_round_trips_more_recordings() -> Result<()> {
    recordings(20_000, 24)
}

fn recordings(frames: usize, files: usize) -> Result<()> {
    let Some(dir) = neurice_testkit::data_or_skip("emitted_max_verilog_round_trips_recordings")
    else {
        return Ok(());
    };
    let grid = |p: &Path| -> Result<Vec<u16>> {
        let w = neurice_model::wav::parse_wav(&std::fs::read(p)?)?;
        let (g, exceptions) =
            neurice_model::grid::to_grid(&w.samples[..frames.min(w.samples.len())]);
        assert!(exceptions.is_empty(), "{}: off-grid samples", p.display());
        Ok(g.into_iter().map(|v| v as u16).collect())
    };
    let wavs = neurice_testkit::wavs(&dir);
    let chans: Vec<Vec<u16>> = wavs
        .iter()
        .take(files)
        .map(|p| grid(p))
        .collect::<Result<_>>()?;
    let len = chans.iter().map(Vec::len).min().unwrap_or(0);
    let mut mixed = Vec::with_capacity(len * chans.len());
    for t in 0..len {
        mixed.extend(chans.iter().map(|c| c[t]));
    }
    max_round_trips(&[
        (
            format!("{} recordings", chans.len()),
            chans.len(),
            mixed,
            None,
        ),
        ("1 recording".into(), 1, chans[0].clone(), None),
    ])
}
