//! Coder max's packet core (the max core in blocks of `R` frames + the two-substream
//! packetiser, FORMAT.md §10.8, §9.6) against the golden model's `packetise` for coder max,
//! in rust-hdl's simulator and in Verilator on the emitted Verilog (and, `#[ignore]`d, on
//! the iCE40 netlist).
//!
//! What is compared (`neurice_sim::packets::compare`): the two substreams' packets may
//! interleave in any order (§10.8), so the hardware's packets are first checked in the order
//! they left (`SEQ` = 0, 1, 2, … and every CRC-32 right), then the `i`-th packet of each
//! substream is put in the place of `packetise`'s `i`-th packet of that substream with the
//! model's `SEQ` (CRC recomputed) and the whole stream compared word for word and packet end
//! for packet end; and `depacketise` of the hardware's packets as they left delivers every
//! sample. The known-answer test assembles the hardware's packets into each segment's two
//! substreams and compares them with the frozen vector `multi-b64` (blocks of 64 frames).

mod common;

use std::path::PathBuf;

use common::*;
use neurice_hdl::max::MaxPacketCore1024;
use neurice_model::max::MaxSpec;
use neurice_model::packet::parse_packet;
use neurice_model::CoderSpec;
use neurice_sim::packets::{self, cut_packets, PacketSummary};
use neurice_sim::{interleave, load_indices, rusthdl, verilator, CoreDesign, Engine, Shape};
use neurice_sim::{PacketParams, RunOptions, Stimulus};
use neurice_testkit::vectors::{load_max, max_specs};

fn coder() -> CoderSpec {
    CoderSpec::Max(MaxSpec::HARDWARE)
}

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator-max-packets")
}

fn opts() -> RunOptions {
    RunOptions {
        jobs: 2,
        build_dir: build_dir(),
        netlist: None,
        verbose: false,
    }
}

fn pk(r: u32, p: usize) -> PacketParams {
    PacketParams {
        segment_frames: r,
        packet_bytes: p,
    }
}

fn design(channels: usize, r: u32, p: usize) -> CoreDesign {
    CoreDesign::new(coder(), channels, Shape::Packets(pk(r, p))).unwrap()
}

fn max_stim(channels: usize, samples: Vec<u16>, gap: u32, bp: u32, label: &str) -> Stimulus {
    stim(channels, samples, gap, bp, label).for_coder(&coder())
}

/// Every sample escaping: the extremes 0 / 1023 alternating by frame.
fn escaping(channels: usize, frames: usize) -> Vec<u16> {
    signal(2, channels, frames, 1)
        .into_iter()
        .map(|x| x as u16)
        .collect()
}

fn check(engine: Engine, d: &CoreDesign, stims: &[Stimulus]) -> PacketSummary {
    check_packets(engine, d, stims, &opts())
}

/// Generated signals: 1, 3 and 16 channels, several R and P (1-word packets up to the
/// largest the ring takes), gaps and backpressure, every sample escaping.
fn synthetic() -> Vec<(CoreDesign, Vec<Stimulus>)> {
    vec![
        (
            design(1, 64, 64),
            vec![max_stim(1, trace(64 * 9 + 5, 1), 0, 0, "1 ch")],
        ),
        (
            design(1, 1, 20),
            vec![max_stim(1, noise(150, 2), 300, 300, "1 ch, R 1, P 20")],
        ),
        (
            design(3, 40, 100),
            vec![
                max_stim(3, trace(3 * 40 * 5, 3), 200, 200, "3 ch"),
                max_stim(3, noise(3 * 40 * 3, 4), 0, 600, "3 ch noise"),
            ],
        ),
        (
            design(16, 100, 1036),
            vec![
                max_stim(
                    16,
                    trace(16 * 100 * 2 + 16 * 7, 5),
                    100,
                    100,
                    "16 ch, P 1036",
                ),
                max_stim(16, escaping(16, 150), 0, 500, "16 ch escaping, 500‰"),
            ],
        ),
    ]
}

#[test]
fn rusthdl_max_packets_equal_the_model_on_generated_signals() {
    for (d, stims) in synthetic() {
        let s = check(Engine::Rusthdl, &d, &stims);
        assert!(s.packets > 3, "{} packets", s.packets);
    }
}

/// Known answer: the frozen vector `multi-b64` (coder max's substreams of each block of 64
/// frames) is what the hardware's packets carry, segment by segment (R = 64), once the
/// packets of each substream are joined and their padding dropped.
#[test]
fn rusthdl_max_packets_carry_the_frozen_vector() {
    let spec = max_specs()
        .into_iter()
        .find(|s| s.name == "multi-b64")
        .expect("the vector multi-b64");
    let v = load_max(spec);
    assert!(!v.raw16 && v.blocks.len() > 1);
    let samples: Vec<u16> = v.samples.iter().map(|&x| x as u16).collect();
    let s = max_stim(v.channels, samples, 300, 300, "multi-b64");
    let core = MaxPacketCore1024::new(&MaxSpec::HARDWARE, v.channels, &pk(64, 64)).unwrap();
    let r = rusthdl::run_flagged(Box::new(core), &s, &[], &mut |_| {}).unwrap();
    // per segment (START) and substream, the payloads joined in PART order
    let mut got: Vec<[Vec<u8>; 2]> = vec![Default::default(); v.blocks.len()];
    let per = 64 * v.channels as u32;
    for p in cut_packets(&r.words, &r.ends) {
        let (h, payload) = parse_packet(&p, 2).expect("a valid packet");
        let seg = &mut got[(h.start / per) as usize][h.sub as usize];
        seg.extend_from_slice(payload);
        if h.last() {
            seg.truncate(seg.len() - h.pad as usize);
        }
    }
    for (k, (_, tokens, raw)) in v.blocks.iter().enumerate() {
        assert_eq!(&got[k][0], tokens, "segment {k}: the token substream");
        assert_eq!(&got[k][1], raw, "segment {k}: the raw substream");
    }
}

/// The order rule of §10.8: every packet of a segment leaves before any packet of the next
/// segment, although the two substreams' packets otherwise interleave freely. Its corner: a
/// substream whose segment ends in fewer packets than the other's would, taking its turn,
/// send the next segment's `FIRST` packet while the other's packets of this segment are
/// still to come. One-frame segments (`R` = 1) of every sample escaping (raw substream
/// longer than the token one), 1-word packets (`P` = 20) and heavy backpressure (the rings
/// fill, so both substreams have packets waiting) make that happen at nearly every segment
/// end; the packet core must hold the `FIRST` packet (`MaxPacketiser`'s `tok_hold` /
/// `raw_hold`). Checked on the packets in the order they left, then against the model
/// (`depacketise` delivers every sample).
#[test]
fn rusthdl_max_packets_keep_the_segment_order() {
    let (channels, r, p) = (4, 1, 20);
    let s = max_stim(
        channels,
        escaping(channels, 40),
        0,
        700,
        "R 1, P 20, escaping",
    );
    let core = MaxPacketCore1024::new(&MaxSpec::HARDWARE, channels, &pk(r, p)).unwrap();
    let run = rusthdl::run_flagged(Box::new(core), &s, &[], &mut |_| {}).unwrap();
    // per substream: the segment (START) of its packets so far and whether its LAST left
    let per = r * channels as u32;
    let mut seg = [0u32; 2];
    let mut closed = [false; 2];
    let mut boundaries = 0;
    let mut count = [0usize; 2];
    let packets = cut_packets(&run.words, &run.ends);
    for (i, pw) in packets.iter().enumerate() {
        let (h, _) = parse_packet(pw, 2).expect("a valid packet");
        let (x, k) = (h.sub as usize, h.start / per);
        if k != seg[x] {
            assert_eq!(k, seg[x] + 1, "packet {i}: substream {x} skips a segment");
            assert!(
                closed[x],
                "packet {i}: substream {x} starts segment {k} unfinished"
            );
            let y = 1 - x;
            assert!(
                seg[y] == k || (seg[y] + 1 == k && closed[y]),
                "packet {i}: substream {x}'s segment {k} starts before substream {y}'s segment \
                 {} ended (§10.8's order)",
                seg[y]
            );
            // the first of the two to start segment k
            boundaries += (seg[y] + 1 == k) as u32;
            seg[x] = k;
            closed[x] = false;
        }
        closed[x] = h.last();
        count[x] += 1;
    }
    assert_eq!(seg, [39, 39], "every segment sent");
    assert_eq!(boundaries, 39, "segment boundaries");
    // and the packets are the model's, every sample delivered
    let d = design(channels, r, p);
    let sum = check(Engine::Rusthdl, &d, &[s]);
    assert_eq!(sum.packets, packets.len() as u64);
    // the corner's premise: the raw substream's segments take more packets than the token
    // substream's (here 2 against 1)
    assert!(count[1] > count[0], "{count:?} packets per substream");
}

#[test]
fn bad_max_packet_designs_are_refused() {
    for (r, p) in [(0, 1024), (1 << 17, 1024), (1024, 19), (1024, 4096)] {
        let e = CoreDesign::new(coder(), 8, Shape::Packets(pk(r, p))).unwrap_err();
        assert!(e.to_string().contains("packet core cannot be built"), "{e}");
    }
    // the bounded-error max core has no packet core
    let mut near = MaxSpec::HARDWARE;
    near.params.max_error = 1;
    let e = CoreDesign::new(CoderSpec::Max(near), 8, Shape::Packets(pk(64, 1024))).unwrap_err();
    assert!(e.to_string().contains("lossless only"), "{e}");
    // a stimulus of fewer channels than the frames the core counts
    let d = design(4, 8, 64);
    let s = max_stim(3, trace(30, 1), 0, 0, "3 channels on a 4-channel design");
    assert!(packets::run(Engine::Rusthdl, &d, &[s], &opts(), &|_| {}).is_err());
}

#[test]
fn verilator_max_packets_equal_the_model_and_lint_clean() {
    if !verilator_or_skip("max_packets: verilator_max_packets_equal_the_model_and_lint_clean") {
        return;
    }
    for (d, stims) in synthetic() {
        verilator::lint(&d.verilog().unwrap(), "top", &build_dir().join("lint"))
            .expect("lint-clean Verilog");
        let v = check(Engine::Verilator, &d, &stims);
        // cycle for cycle the same as rust-hdl's simulation
        let r = check(Engine::Rusthdl, &d, &stims);
        assert_eq!((v.cycles, v.stall_cycles), (r.cycles, r.stall_cycles));
    }
}

/// The packet core's iCE40 netlist (yosys' `synth_ice40`, verilated with the cell models)
/// on the 16-channel generated signals (gaps, backpressure, every sample escaping): the same
/// packets as the model's. Minutes (a synthesis and a netlist build): `-- --ignored`.
#[test]
#[ignore = "gate level: a synthesis and a netlist build (minutes); -- --ignored"]
fn gatelevel_max_packets_equal_the_model() {
    if !verilator_or_skip("max_packets: gatelevel_max_packets_equal_the_model") {
        return;
    }
    let (d, stims) = synthetic().pop().expect("the 16-channel design");
    let g = check(Engine::Gatelevel, &d, &stims);
    assert!(g.packets > 3, "{} packets", g.packets);
    eprintln!(
        "gate level: {} runs, {} samples, {} / {} packets, {} mismatches, {} cycles",
        g.runs, g.samples, g.packets, g.expected_packets, g.mismatches, g.cycles
    );
}

#[test]
fn verilator_max_packets_on_recordings() {
    if !verilator_or_skip("max_packets: verilator_max_packets_on_recordings") {
        return;
    }
    let Some(dir) = data_or_skip("max_packets: verilator_max_packets_on_recordings") else {
        return;
    };
    // four recordings, one per run (default R and P: several segments each)
    let stims: Vec<Stimulus> = four_recordings(&dir)
        .iter()
        .map(|f| {
            max_stim(
                1,
                load_indices(f).unwrap(),
                100,
                100,
                &f.display().to_string(),
            )
        })
        .collect();
    let s = check(Engine::Verilator, &design(1, 1024, 1024), &stims);
    assert!(s.packets > 100, "{} packets", s.packets);
    eprintln!(
        "max packets, 4 recordings: {} samples, {} packets, {} words, {} cycles, {} stalls",
        s.samples, s.packets, s.words, s.cycles, s.stall_cycles
    );
    // a subset interleaved as 1024 channels, 300 frames, R = 64: several segments
    let loaded: Vec<Vec<u16>> = wavs(&dir)
        .iter()
        .take(64)
        .map(|f| load_indices(f).unwrap())
        .collect();
    let cols: Vec<Vec<u16>> = (0..1024)
        .map(|i| loaded[i % loaded.len()][(i / loaded.len()) * 300..].to_vec())
        .collect();
    let x = interleave(&cols, Some(300));
    let s1024 = max_stim(1024, x, 100, 100, "64 recordings as 1024 channels");
    let s = check(Engine::Verilator, &design(1024, 64, 1024), &[s1024]);
    assert!(s.packets > 50, "{} packets", s.packets);
    eprintln!(
        "max packets, 1024 channels: {} samples, {} packets, {} words, {} cycles, {} stalls",
        s.samples, s.packets, s.words, s.cycles, s.stall_cycles
    );
}
