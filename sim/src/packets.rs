//! # The packet stream in hardware against the golden model (FORMAT.md §9)
//!
//! The expected output of a core built with restarts (the concatenation of
//! `neurice_model::packet::encode_segment_v1` segments) and of the packet core
//! (`neurice_model::packet::packetise`, one group), as 32-bit words with the index of each
//! segment's or packet's last word: what the cores' end flags must mark.

use anyhow::{anyhow, bail, Result};
use neurice_hdl::PacketParams;
use neurice_model::packet::{encode_segment_v1, StreamConfig};
use neurice_model::{CodecParams, CoderSpec};
use serde::Serialize;

use crate::{CoreDesign, Engine, RunOptions, Shape, Stimulus};

/// Big-endian 32-bit words of a byte string whose length is a multiple of 4.
fn be_words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The words of a v1 stream with restarts every `segment_frames` frames of `channels`
/// channels (the last segment may be shorter), and the index of each segment's last word.
pub fn segment_words(
    params: &CodecParams,
    channels: usize,
    segment_frames: u32,
    samples: &[u16],
) -> (Vec<u32>, Vec<usize>) {
    let per = segment_frames as usize * channels;
    let (mut words, mut ends) = (Vec::new(), Vec::new());
    for seg in samples.chunks(per) {
        let xs: Vec<u32> = seg.iter().map(|&x| x as u32).collect();
        words.extend(be_words(&encode_segment_v1(params, channels, &xs)));
        ends.push(words.len() - 1);
    }
    (words, ends)
}

/// The stream descriptor of a one-group packet stream of coder v1 with `params`.
pub fn stream_config(
    params: &CodecParams,
    channels: usize,
    segment_frames: u32,
    packet_bytes: usize,
) -> StreamConfig {
    StreamConfig {
        coder: CoderSpec::Lite(*params),
        channels,
        segment_frames,
        packet_bytes,
        group_channels: channels,
    }
}

/// The packet stream `packetise` sends for `samples` (whole frames), as words, with the index
/// of each packet's last word.
pub fn packet_words(cfg: &StreamConfig, samples: &[u16]) -> Result<(Vec<u32>, Vec<usize>)> {
    let xs: Vec<u32> = samples.iter().map(|&x| x as u32).collect();
    let p = neurice_model::packet::packetise(cfg, &xs)
        .map_err(|e| anyhow!("the golden model's packetiser: {e}"))?;
    let (mut words, mut ends) = (Vec::new(), Vec::new());
    for b in &p.packets {
        words.extend(be_words(b));
        ends.push(words.len() - 1);
    }
    Ok((words, ends))
}

/// Cuts a word stream at the packet ends the hardware flagged (the words after the last flag
/// form one more, unterminated, packet) into packets of bytes.
pub fn cut_packets(words: &[u32], ends: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(ends.len() + 1);
    let mut from = 0;
    for &e in ends
        .iter()
        .chain(std::iter::once(&(words.len().wrapping_sub(1))))
    {
        if e.wrapping_add(1) > from && e < words.len() {
            out.push(
                words[from..=e]
                    .iter()
                    .flat_map(|w| w.to_be_bytes())
                    .collect(),
            );
            from = e + 1;
        }
    }
    out
}

/// What one run of the packet core gave, against the golden model.
#[derive(Clone, Debug, Serialize)]
pub struct PacketReport {
    pub engine: Engine,
    pub label: String,
    pub channels: usize,
    pub samples: u64,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub words: u64,
    pub expected_words: u64,
    pub packets: u64,
    pub expected_packets: u64,
    /// Words that differ from `packetise`'s, plus packet ends flagged elsewhere than its
    /// packets end.
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    /// Samples the golden model's receiver (`depacketise`) decoded from the hardware's
    /// packets, and how many of them differ from the input (must be 0).
    pub samples_delivered: u64,
    pub samples_wrong: u64,
    pub seconds: f64,
}

impl PacketReport {
    /// Byte-exact packets, every sample delivered and right.
    pub fn passed(&self) -> bool {
        self.mismatches == 0 && self.samples_wrong == 0 && self.samples_delivered == self.samples
    }
}

/// The packet core's coder (lite or max, with its parameters) and packet stream, or why
/// `design` is not one.
fn packet_core(design: &CoreDesign) -> Result<(CoderSpec, PacketParams)> {
    match (design.coder(), design.shape()) {
        (c @ (CoderSpec::Lite(_) | CoderSpec::Max(_)), Shape::Packets(pk)) => Ok((*c, pk)),
        _ => bail!("the design has no packetiser (Shape::Packets of coder lite or max)"),
    }
}

/// The stream descriptor of a packet design for `channels` channels (one group).
pub fn design_config(design: &CoreDesign, channels: usize) -> Result<StreamConfig> {
    let (coder, pk) = packet_core(design)?;
    Ok(StreamConfig {
        coder,
        channels,
        segment_frames: pk.segment_frames,
        packet_bytes: pk.packet_bytes,
        group_channels: channels,
    })
}

/// What an engine produced for one stimulus on the packet core.
pub struct PacketRun<'a> {
    pub words: &'a [u32],
    pub ends: &'a [usize],
    pub samples_taken: u64,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub seconds: f64,
}

/// Compares the packet core's output with `packetise` word for word and packet end for packet
/// end, and decodes it with `depacketise`.
pub fn compare(
    engine: Engine,
    cfg: &StreamConfig,
    stim: &Stimulus,
    (want, want_ends): (&[u32], &[usize]),
    run: &PacketRun,
) -> Result<PacketReport> {
    if let CoderSpec::Max(_) = cfg.coder {
        let (words, ends, first_mismatch) = max_in_model_order(engine, (want, want_ends), run);
        let reordered = PacketRun {
            words: &words,
            ends: &ends,
            ..*run
        };
        let mut r = compare_words(engine, cfg, stim, (want, want_ends), &reordered)?;
        // the receiver gets the packets in the hardware's order, with its SEQ
        let frames = (stim.samples.len() / stim.channels) as u64;
        let (delivered, wrong) = receive(cfg, frames, stim, run)?;
        r.samples_delivered = delivered;
        r.samples_wrong = wrong;
        if let Some(m) = first_mismatch {
            r.mismatches += 1;
            r.first_mismatch.get_or_insert(m);
        }
        return Ok(r);
    }
    compare_words(engine, cfg, stim, (want, want_ends), run)
}

/// Coder max: the hardware's packets put in the model's order (FORMAT.md §10.8 lets the two
/// substreams' packets interleave in any order; each substream's must be in order): the
/// `i`-th packet of substream `s` (bit 15 of `PART`) takes the place of `packetise`'s `i`-th
/// packet of substream `s`, with that packet's `SEQ` and the CRC-32 recomputed. Checked on
/// the hardware's own order before: `SEQ` counts 0, 1, 2, … per packet sent and every CRC-32
/// is right. Returns the words and packet ends in the model's order (what
/// [`compare_words`] compares with `packetise`'s), and the first `SEQ` or CRC error.
fn max_in_model_order(
    engine: Engine,
    (want, want_ends): (&[u32], &[usize]),
    run: &PacketRun,
) -> (Vec<u32>, Vec<usize>, Option<String>) {
    let hw = cut_packets(run.words, run.ends);
    let model = cut_packets(want, want_ends);
    let sub = |p: &[u8]| p.len() > 6 && p[6] & 0x80 != 0;
    let mut err = None;
    let mut hw_by_sub: [std::collections::VecDeque<&Vec<u8>>; 2] = Default::default();
    for (i, p) in hw.iter().enumerate() {
        let ok_len = p.len() >= 20;
        let seq_ok = ok_len && u16::from_be_bytes([p[4], p[5]]) == i as u16;
        let crc_ok = ok_len && {
            let (body, crc) = p.split_at(p.len() - 4);
            crc32fast::hash(body).to_be_bytes() == crc
        };
        if !(seq_ok && crc_ok) && err.is_none() {
            err = Some(format!(
                "{engine}: packet {i} of the hardware's ({} bytes): SEQ {}, CRC {}",
                p.len(),
                if seq_ok { "right" } else { "wrong" },
                if crc_ok { "right" } else { "wrong" }
            ));
        }
        hw_by_sub[sub(p) as usize].push_back(p);
    }
    let (mut words, mut ends) = (Vec::new(), Vec::new());
    let mut emit = |bytes: &[u8]| {
        words.extend(be_words(bytes));
        ends.push(words.len() - 1);
    };
    for m in &model {
        let Some(h) = hw_by_sub[sub(m) as usize].pop_front() else {
            continue;
        };
        let mut p = h.clone();
        if p.len() >= 20 {
            p[4..6].copy_from_slice(&m[4..6]);
            let n = p.len() - 4;
            let crc = crc32fast::hash(&p[..n]);
            p[n..].copy_from_slice(&crc.to_be_bytes());
        }
        emit(&p);
    }
    // packets beyond the model's count in either substream, as they came
    for rest in hw_by_sub.iter_mut() {
        for p in rest.drain(..) {
            emit(p);
        }
    }
    (words, ends, err)
}

/// `depacketise` of the hardware's packets as they left: samples delivered and samples wrong.
fn receive(
    cfg: &StreamConfig,
    frames: u64,
    stim: &Stimulus,
    run: &PacketRun,
) -> Result<(u64, u64)> {
    let packets = cut_packets(run.words, run.ends);
    let rx = neurice_model::packet::depacketise(cfg, frames, packets.iter().map(|b| b.as_slice()))
        .map_err(|e| anyhow!("depacketise: {e}"))?;
    let wrong = rx
        .samples
        .iter()
        .zip(&stim.samples)
        .filter(|(&got, &x)| got != neurice_model::packet::LOST && got != x as u32)
        .count() as u64;
    Ok((rx.delivered, wrong))
}

/// [`compare`] in the model's order: word for word, packet end for packet end.
fn compare_words(
    engine: Engine,
    cfg: &StreamConfig,
    stim: &Stimulus,
    (want, want_ends): (&[u32], &[usize]),
    run: &PacketRun,
) -> Result<PacketReport> {
    let n = want.len().max(run.words.len());
    let bad_words: Vec<usize> = (0..n)
        .filter(|&i| want.get(i) != run.words.get(i))
        .collect();
    let bad_ends = want_ends.len().max(run.ends.len())
        - want_ends
            .iter()
            .zip(run.ends)
            .take_while(|(a, b)| a == b)
            .count();
    let first_mismatch = match (bad_words.first(), bad_ends) {
        (Some(&i), _) => Some(format!(
            "{engine}: word {i} is {:08x?}, packetise says {:08x?} ({} of {} words taken, \
             {} cycles)",
            run.words.get(i),
            want.get(i),
            run.words.len(),
            want.len(),
            run.cycles
        )),
        (None, 0) => None,
        (None, _) => Some(format!(
            "{engine}: the words agree but the packet ends differ ({} flagged, {} packets)",
            run.ends.len(),
            want_ends.len()
        )),
    };
    let frames = (stim.samples.len() / stim.channels) as u64;
    let (delivered, wrong) = receive(cfg, frames, stim, run)?;
    Ok(PacketReport {
        engine,
        label: stim.label.clone(),
        channels: stim.channels,
        samples: run.samples_taken,
        cycles: run.cycles,
        stall_cycles: run.stall_cycles,
        words: run.words.len() as u64,
        expected_words: want.len() as u64,
        packets: run.ends.len() as u64,
        expected_packets: want_ends.len() as u64,
        mismatches: bad_words.len() as u64 + bad_ends as u64,
        first_mismatch,
        samples_delivered: delivered,
        samples_wrong: wrong,
        seconds: run.seconds,
    })
}

/// Totals of one [`run`].
#[derive(Clone, Debug, Serialize)]
pub struct PacketSummary {
    pub engine: Engine,
    pub design: CoreDesign,
    pub channels: usize,
    pub runs: usize,
    pub samples: u64,
    pub cycles: u64,
    pub stall_cycles: u64,
    pub words: u64,
    pub expected_words: u64,
    pub packets: u64,
    pub expected_packets: u64,
    pub mismatches: u64,
    pub failed_runs: usize,
    pub samples_delivered: u64,
    pub samples_wrong: u64,
    pub seconds: f64,
    pub first_failure: Option<String>,
}

impl PacketSummary {
    /// Bit-exact packets, every sample delivered and right, something compared.
    pub fn passed(&self) -> bool {
        self.mismatches == 0
            && self.samples_wrong == 0
            && self.samples_delivered == self.samples
            && self.samples > 0
    }
}

/// Simulates `stims` on the packet core of `design` ([`Shape::Packets`]; every stimulus of
/// the design's channels, whole frames) with `engine` (rust-hdl or Verilator) and
/// compares the packets with the golden model's.
pub fn run(
    engine: Engine,
    design: &CoreDesign,
    stims: &[Stimulus],
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(PacketSummary, Vec<PacketReport>)> {
    let (coder, pk) = packet_core(design)?;
    if stims.is_empty() {
        bail!("nothing to simulate: no stimuli");
    }
    for s in stims {
        design.check(s)?;
        if s.channels != design.channels() {
            bail!(
                "{}: {} channels; the packet core was built for frames of {}",
                s.label,
                s.channels,
                design.channels()
            );
        }
        if !s.samples.len().is_multiple_of(s.channels) {
            bail!("{}: not a whole number of frames", s.label);
        }
    }
    let cfg = design_config(design, design.channels())?;
    let t0 = std::time::Instant::now();
    let reports: Vec<PacketReport> = match engine {
        Engine::Rusthdl => {
            use rayon::prelude::*;
            let done = std::sync::atomic::AtomicU64::new(0);
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(opts.jobs.max(1))
                .build()?;
            pool.install(|| {
                stims
                    .par_iter()
                    .map(|s| {
                        let want = packet_words(&cfg, &s.samples)?;
                        let mut last = 0u64;
                        let mut tick = |n: u64| {
                            let before =
                                done.fetch_add(n - last, std::sync::atomic::Ordering::Relaxed);
                            progress(before + n - last);
                            last = n;
                        };
                        let r = match &coder {
                            CoderSpec::Max(spec) => {
                                let core =
                                    neurice_hdl::max::MaxPacketCore1024::new(spec, s.channels, &pk)
                                        .map_err(|e| anyhow!("max packet core: {e}"))?;
                                crate::rusthdl::run_flagged(Box::new(core), s, &want.0, &mut tick)?
                            }
                            CoderSpec::Lite(params) => {
                                let core =
                                    neurice_hdl::PacketCore1024::new(params, s.channels, &pk)
                                        .map_err(|e| anyhow!("packet core: {e}"))?;
                                crate::rusthdl::run_flagged(Box::new(core), s, &want.0, &mut tick)?
                            }
                            CoderSpec::V2(_) => bail!("{}", neurice_hdl::v2::CORE_RETIRED),
                        };
                        let run = PacketRun {
                            words: &r.words,
                            ends: &r.ends,
                            samples_taken: r.samples_taken,
                            cycles: r.cycles,
                            stall_cycles: r.stall_cycles,
                            seconds: r.seconds,
                        };
                        compare(engine, &cfg, s, (&want.0, &want.1), &run)
                    })
                    .collect::<Result<Vec<_>>>()
            })?
        }
        Engine::Verilator | Engine::Gatelevel => {
            if opts.verbose {
                eprintln!(
                    "building the {} model of the packet core (cached in {})…",
                    engine,
                    opts.build_dir.display()
                );
            }
            let bin = if engine == Engine::Verilator {
                crate::verilator::build(&design.verilog()?, "top", &opts.build_dir)?
            } else {
                // the iCE40 netlist of yosys' synth_ice40 with the cell models
                let net = match &opts.netlist {
                    Some(n) => n.clone(),
                    None => crate::gatelevel::netlist(
                        &design.verilog()?,
                        "top",
                        &opts.build_dir.join("gatelevel"),
                    )?,
                };
                crate::gatelevel::build(&net, "top", &opts.build_dir)?
            };
            let refs: Vec<&Stimulus> = stims.iter().collect();
            let raws = crate::verilator::run_raw(&refs, &bin, opts.jobs, &mut |n| progress(n))?;
            stims
                .iter()
                .zip(&raws)
                .map(|(s, raw)| {
                    raw.check(s)?;
                    let want = packet_words(&cfg, &s.samples)?;
                    let run = PacketRun {
                        words: &raw.words,
                        ends: &raw.ends,
                        samples_taken: raw.samples_taken,
                        cycles: raw.cycles,
                        stall_cycles: raw.stall_cycles,
                        seconds: raw.seconds,
                    };
                    compare(engine, &cfg, s, (&want.0, &want.1), &run)
                })
                .collect::<Result<Vec<_>>>()?
        }
    };
    let sum = |f: fn(&PacketReport) -> u64| reports.iter().map(f).sum::<u64>();
    let summary = PacketSummary {
        engine,
        design: *design,
        channels: design.channels(),
        runs: reports.len(),
        samples: sum(|r| r.samples),
        cycles: sum(|r| r.cycles),
        stall_cycles: sum(|r| r.stall_cycles),
        words: sum(|r| r.words),
        expected_words: sum(|r| r.expected_words),
        packets: sum(|r| r.packets),
        expected_packets: sum(|r| r.expected_packets),
        mismatches: sum(|r| r.mismatches),
        failed_runs: reports.iter().filter(|r| !r.passed()).count(),
        samples_delivered: sum(|r| r.samples_delivered),
        samples_wrong: sum(|r| r.samples_wrong),
        seconds: t0.elapsed().as_secs_f64(),
        first_failure: reports.iter().find(|r| !r.passed()).map(|r| {
            format!(
                "{}: {}",
                r.label,
                r.first_mismatch.clone().unwrap_or_else(|| format!(
                    "{} of {} samples delivered, {} wrong",
                    r.samples_delivered, r.samples, r.samples_wrong
                ))
            )
        }),
    };
    Ok((summary, reports))
}
