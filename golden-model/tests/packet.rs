//! The packet stream (FORMAT.md §9) under loss: no loss gives the samples back bit for bit
//! (and the same payload as the unpacketised coders where they coincide); random drops,
//! bursts, bit errors, truncated, garbage, repeated and forged packets never give a wrong
//! sample; lost samples are exactly a suffix of the segments that lost a packet, so a lost
//! packet costs at most R frames of the channels of its group. Every coder (coder max with
//! its two substreams per segment, FORMAT.md §10.8), one group of all channels and several
//! groups.

use neurice_model::packet::{
    self, depacketise, packetise, parse_packet, write_packet, Header, Reception, StreamConfig,
    FLAG_FIRST, FLAG_LAST, LOST,
};
use neurice_model::{max, v2, Coder};
use neurice_testkit::{spiky_walk, trace, XorShift64};

/// `channels` generated signals interleaved frame by frame, `frames` each.
fn signals(channels: usize, frames: usize, seed: u64) -> Vec<u32> {
    let per: Vec<Vec<u16>> = (0..channels)
        .map(|c| {
            if c % 2 == 0 {
                spiky_walk(frames, seed + c as u64)
            } else {
                trace(frames, seed + c as u64)
            }
        })
        .collect();
    (0..frames * channels)
        .map(|i| per[i % channels][i / channels] as u32)
        .collect()
}

fn cfg(coder: Coder, channels: usize, r: u32, p: usize) -> StreamConfig {
    StreamConfig {
        segment_frames: r,
        packet_bytes: p,
        ..StreamConfig::new(coder, channels)
    }
}

fn grouped(coder: Coder, (channels, group, r, p): (usize, usize, u32, usize)) -> StreamConfig {
    cfg(coder, channels, r, p).with_groups(group)
}

/// Sends the stream's packets through `link` (which may drop, damage or add packets) and
/// checks the reception: no wrong sample, and in every segment the delivered samples are a
/// prefix and the rest is lost; a segment none of whose packets was touched is whole.
fn check(c: &StreamConfig, xs: &[u32], link: impl FnOnce(&[Vec<u8>]) -> Delivered) -> Reception {
    let frames = (xs.len() / c.channels) as u64;
    let sent = packetise(c, xs).unwrap();
    // the segment (its start field) each sent packet belongs to
    let seg_of: Vec<u32> = sent
        .packets
        .iter()
        .map(|b| {
            parse_packet(b, packet::substreams(&c.coder))
                .unwrap()
                .0
                .start
        })
        .collect();
    let (received, touched) = link(&sent.packets);
    let rx = depacketise(c, frames, received.iter().map(|b| &b[..])).unwrap();
    let hit: std::collections::HashSet<u32> = touched
        .iter()
        .zip(&seg_of)
        .filter(|(t, _)| **t)
        .map(|(_, s)| *s)
        .collect();
    let r = c.segment_frames as usize;
    for k in 0..c.segments(frames) as usize {
        for g in 0..c.groups() {
            let chans = c.group_range(g);
            // the segment's samples in its own (group) order
            let idx: Vec<usize> = (k * r..((k + 1) * r).min(frames as usize))
                .flat_map(|f| chans.clone().map(move |ch| f * c.channels + ch))
                .collect();
            let got = idx.iter().take_while(|&&i| rx.samples[i] != LOST).count();
            for &i in &idx[..got] {
                assert_eq!(
                    rx.samples[i], xs[i],
                    "segment {k} group {g}: a wrong sample"
                );
            }
            assert!(
                idx[got..].iter().all(|&i| rx.samples[i] == LOST),
                "segment {k} group {g}: a sample delivered after a lost one"
            );
            let start = (k * r * c.channels + chans.start) as u32;
            if !hit.contains(&start) {
                assert_eq!(
                    got,
                    idx.len(),
                    "segment {k} group {g} lost samples, no packet"
                );
            }
        }
    }
    assert_eq!(
        rx.delivered,
        rx.samples.iter().filter(|&&x| x != LOST).count() as u64
    );
    rx
}

/// What the link delivered, and for each sent packet whether the link touched it.
type Delivered = (Vec<Vec<u8>>, Vec<bool>);

/// Drops the packets `drop` selects.
fn dropping(drop: impl Fn(usize) -> bool) -> impl FnOnce(&[Vec<u8>]) -> Delivered {
    move |ps| {
        let touched: Vec<bool> = (0..ps.len()).map(&drop).collect();
        let kept = ps
            .iter()
            .zip(&touched)
            .filter(|(_, t)| !**t)
            .map(|(p, _)| p.clone())
            .collect();
        (kept, touched)
    }
}

/// Longest run of lost samples of one channel.
fn worst_gap(rx: &Reception, channels: usize) -> usize {
    let mut gap = vec![0; channels];
    let mut worst = 0;
    for (i, &x) in rx.samples.iter().enumerate() {
        let g = &mut gap[i % channels];
        *g = if x == LOST { *g + 1 } else { 0 };
        worst = worst.max(*g);
    }
    worst
}

/// (channels, channels per group, R, P)
const SETUPS: [(usize, usize, u32, usize); 5] = [
    (1, 1, 1024, 1024),
    (5, 5, 256, 256),
    (5, 2, 256, 256),
    (16, 16, 64, 1024),
    (16, 4, 64, 256),
];

#[test]
fn no_loss_gives_every_sample_back_for_every_coder() {
    for coder in Coder::ALL {
        for setup in SETUPS {
            let channels = setup.0;
            let xs = signals(channels, 5000, 1);
            let c = grouped(coder, setup);
            let rx = check(&c, &xs, dropping(|_| false));
            assert_eq!(rx.samples, xs, "{coder} C={channels}");
            assert_eq!(rx.segments_complete, rx.segments);
            assert_eq!(rx.packets_refused + rx.packets_unused, 0);
        }
    }
}

#[test]
fn a_v2_segment_is_a_v2_block_and_a_v1_segment_is_v1_after_its_raw_first_frame() {
    let (channels, r) = (4, 300);
    let xs = signals(channels, 1000, 2);
    // v2: the segments' bytes are the container's blocks of R frames, word-padded
    let c = cfg(Coder::V2, channels, r, 1024);
    let (blocks, _) = v2::encode_all(
        &v2::V2Params {
            block_frames: r,
            ..v2::V2Params::HARDWARE
        },
        channels,
        &xs,
    )
    .unwrap();
    let per = c.segment_samples() as usize;
    for (k, b) in blocks.iter().enumerate() {
        let seg = packet::encode_segment(
            &c.coder,
            channels,
            &xs[k * per..((k + 1) * per).min(xs.len())],
        )
        .unwrap();
        let [seg] = &seg[..] else {
            panic!("one substream")
        };
        assert_eq!(
            &seg.bytes[..seg.bytes.len() - seg.pad as usize],
            &b.bytes[..]
        );
    }
    // v1 with one channel: the first sample raw (W bits), then the codes from the restart
    // state, which decode_all's stream after a sample equal to the first reproduces
    let c1 = cfg(Coder::Lite, 1, 1000, 1024);
    let one: Vec<u32> = (0..1000).map(|i| xs[i * channels]).collect();
    let seg = packet::encode_segment(&c1.coder, 1, &one)
        .unwrap()
        .remove(0);
    assert_eq!(
        seg.bytes[0] as u32,
        one[0] >> 2,
        "first sample raw, MSB first"
    );
    let mut back = Vec::new();
    packet::decode_segment(&c1.coder, 1, 1000, &[&seg.bytes], true, &mut back).unwrap();
    assert_eq!(back, one);
}

#[test]
fn a_max_segment_is_a_block_in_two_substreams_that_may_interleave_in_any_order() {
    let (channels, r) = (4, 300);
    let xs = signals(channels, 1000, 2);
    let c = cfg(Coder::Max, channels, r, 64);
    let p = max::MaxParams {
        block_frames: r,
        ..max::MaxParams::HARDWARE
    };
    let (blocks, _) = max::encode_all(&p, max::Table::builtin(), channels, &xs).unwrap();
    let per = c.segment_samples() as usize;
    for (k, b) in blocks.iter().enumerate() {
        let subs = packet::encode_segment(
            &c.coder,
            channels,
            &xs[k * per..((k + 1) * per).min(xs.len())],
        )
        .unwrap();
        let [tokens, raw] = &subs[..] else {
            panic!("two substreams")
        };
        assert_eq!(
            &tokens.bytes[..tokens.bytes.len() - tokens.pad as usize],
            &b.tokens[..]
        );
        assert_eq!(&raw.bytes[..raw.bytes.len() - raw.pad as usize], &b.raw[..]);
        assert!(tokens.bytes.len() % 4 == 0 && raw.bytes.len() % 4 == 0);
    }
    // the raw substream's packets carry bit 15 of PART; the substreams' packets may come in
    // any interleaving (each in its own order) and still give every sample back
    let sent = packetise(&c, &xs).unwrap();
    let subs: Vec<u8> = sent
        .packets
        .iter()
        .map(|b| parse_packet(b, 2).unwrap().0.sub)
        .collect();
    assert!(subs.contains(&0) && subs.contains(&1));
    assert!(sent
        .packets
        .iter()
        .zip(&subs)
        .all(|(b, &s)| (b[6] >> 7) == s));
    let mut rng = XorShift64::new(5);
    for _ in 0..5 {
        let (mut t, mut rw): (Vec<&Vec<u8>>, Vec<&Vec<u8>>) = (Vec::new(), Vec::new());
        for (b, &s) in sent.packets.iter().zip(&subs) {
            if s == 0 {
                t.push(b)
            } else {
                rw.push(b)
            }
        }
        // merge the two in a random interleaving, segment by segment (START order kept)
        let mut order = Vec::new();
        let (mut i, mut j) = (0, 0);
        let start = |b: &Vec<u8>| parse_packet(b, 2).unwrap().0.start;
        while i < t.len() || j < rw.len() {
            let take_t = j == rw.len()
                || (i < t.len()
                    && (start(t[i]) < start(rw[j])
                        || (start(t[i]) == start(rw[j]) && rng.next_u64().is_multiple_of(2))));
            if take_t {
                order.push(t[i]);
                i += 1;
            } else {
                order.push(rw[j]);
                j += 1;
            }
        }
        let rx = depacketise(&c, 1000, order.iter().map(|b| &b[..])).unwrap();
        assert_eq!(rx.samples, xs);
        assert_eq!(rx.segments_complete, rx.segments);
    }
    // the wrong number of substreams is refused
    let mut back = Vec::new();
    assert!(packet::decode_segment(&c.coder, 1, 10, &[&[0u8; 8]], true, &mut back).is_err());
}

#[test]
fn random_drops_lose_only_suffixes_of_hit_segments() {
    for coder in Coder::ALL {
        for setup in SETUPS {
            let channels = setup.0;
            let xs = signals(channels, 6000, 3);
            let c = grouped(coder, setup);
            for (rate, seed) in [(0.02, 1u64), (0.2, 2), (0.6, 3)] {
                let mut rng = XorShift64::new(seed);
                let n = packetise(&c, &xs).unwrap().packets.len();
                let drops: Vec<bool> = (0..n)
                    .map(|_| (rng.next_u64() % 10_000) as f64 / 1e4 < rate)
                    .collect();
                let rx = check(&c, &xs, dropping(|i| drops[i]));
                if drops.iter().any(|d| *d) {
                    assert!(rx.delivered < xs.len() as u64);
                }
            }
        }
    }
}

#[test]
fn a_single_lost_packet_costs_at_most_r_frames_of_each_channel() {
    for coder in Coder::ALL {
        for setup in SETUPS {
            let (channels, group, r, _) = setup;
            let xs = signals(channels, 6000, 4);
            let c = grouped(coder, setup);
            let sent = packetise(&c, &xs).unwrap();
            // every packet of the stream, dropped alone (a sample of them for long streams)
            let n = sent.packets.len();
            for i in (0..n).step_by(n.div_ceil(40)) {
                let rx = check(&c, &xs, dropping(|j| j == i));
                assert!(
                    rx.delivered < xs.len() as u64,
                    "packet {i} carried nothing?"
                );
                let gap = worst_gap(&rx, channels);
                assert!(
                    gap <= r as usize,
                    "{coder} C={channels}: gap {gap} > R = {r}"
                );
                let lost = xs.len() as u64 - rx.delivered;
                assert!(lost <= r as u64 * group as u64, "lost {lost} > R·G");
            }
        }
    }
}

#[test]
fn bursts_lose_whole_runs_and_nothing_wrong() {
    for coder in Coder::ALL {
        let (channels, r, p) = (5, 256, 256);
        let xs = signals(channels, 6000, 5);
        for group in [5, 2] {
            let c = cfg(coder, channels, r, p).with_groups(group);
            for (start, len) in [(0usize, 1usize), (3, 7), (10, 40), (1, 1000)] {
                let rx = check(&c, &xs, dropping(|i| i >= start && i < start + len));
                if len == 1000 && group == 5 {
                    // only what the first packet carries
                    assert!(rx.delivered < c.segment_samples() && rx.segments_partial == 1);
                }
            }
        }
    }
}

#[test]
fn bit_errors_are_caught_by_the_crc() {
    for coder in Coder::ALL {
        let (channels, r, p) = (16, 64, 1024);
        let xs = signals(channels, 4000, 6);
        let c = cfg(coder, channels, r, p).with_groups(4);
        let mut rng = XorShift64::new(9);
        let mut damaged = 0;
        let rx = check(&c, &xs, |ps| {
            let mut out = Vec::new();
            let mut touched = Vec::new();
            for p in ps {
                let mut p = p.clone();
                let hit = rng.next_u64().is_multiple_of(4);
                if hit {
                    // one to three flipped bits anywhere, header and CRC included
                    for _ in 0..1 + rng.next_u64() % 3 {
                        let bit = (rng.next_u64() % (p.len() as u64 * 8)) as usize;
                        p[bit / 8] ^= 1 << (bit % 8);
                    }
                    damaged += 1;
                }
                touched.push(hit);
                out.push(p);
            }
            (out, touched)
        });
        assert!(damaged > 0);
        assert_eq!(
            rx.packets_refused, damaged,
            "{coder}: the CRC let a damaged packet in"
        );
    }
}

#[test]
fn truncated_garbage_repeated_and_forged_packets_are_refused_or_unused() {
    for coder in Coder::ALL {
        let (channels, r, p) = (5, 256, 256);
        let xs = signals(channels, 3000, 7);
        let c = cfg(coder, channels, r, p);
        let mut rng = XorShift64::new(11);
        let rx = check(&c, &xs, |ps| {
            let mut out = Vec::new();
            let mut touched = Vec::new();
            for (i, p) in ps.iter().enumerate() {
                match i % 9 {
                    // truncated in the middle
                    3 => {
                        out.push(p[..p.len() / 2].to_vec());
                        touched.push(true);
                    }
                    // the packet, then garbage of the same length
                    5 => {
                        out.push(p.clone());
                        out.push((0..p.len()).map(|_| rng.next_u64() as u8).collect());
                        touched.push(false);
                    }
                    // the packet twice
                    7 => {
                        out.push(p.clone());
                        out.push(p.clone());
                        touched.push(false);
                    }
                    _ => {
                        out.push(p.clone());
                        touched.push(false);
                    }
                }
            }
            // a well-formed packet (valid CRC) claiming a segment that does not exist, and
            // one claiming a start that is not a segment boundary
            for start in [u32::MAX - 7, 3] {
                out.push(write_packet(
                    &Header {
                        flags: FLAG_FIRST | FLAG_LAST,
                        pad: 0,
                        words: 1,
                        seq: 0,
                        part: 0,
                        sub: 0,
                        start,
                    },
                    &[0xFF; 4],
                ));
            }
            (out, touched)
        });
        assert!(rx.packets_refused > 0 && rx.packets_unused > 0);
        // an empty or header-only input refuses cleanly
        let none = depacketise(&c, 3000, std::iter::empty()).unwrap();
        assert_eq!(none.delivered, 0);
        assert_eq!(none.segments_lost, none.segments);
    }
}

#[test]
fn bad_configurations_are_refused() {
    let xs = signals(2, 100, 8);
    assert!(packetise(&cfg(Coder::Lite, 2, 0, 1024), &xs).is_err());
    assert!(packetise(&cfg(Coder::Lite, 2, 16, 19), &xs).is_err());
    assert!(packetise(&cfg(Coder::Lite, 3, 16, 1024), &xs[..100]).is_err());
    assert!(packetise(&cfg(Coder::Lite, 0, 16, 1024), &xs).is_err());
    assert!(packetise(&cfg(Coder::V2, 2, 16, 1024), &[5000, 1]).is_err());
    // the largest packet a 12-bit length allows
    let big = cfg(Coder::Lite, 2, 16, 1 << 20);
    assert_eq!(big.payload_words(), packet::MAX_PAYLOAD_WORDS);
    assert!(packetise(&cfg(Coder::Lite, 2, 16, 1024).with_groups(3), &xs).is_err());
    assert!(packetise(&cfg(Coder::Lite, 2, 16, 1024).with_groups(0), &xs).is_err());
    let _ = FLAG_LAST;
}

/// Known answer: the packets of a fixed input, frozen (CRC-32 of all packet bytes and the
/// packet count). A change here is a change of the packet format (FORMAT.md §9).
#[test]
fn packets_are_the_frozen_bytes() {
    let xs = signals(6, 3000, 42);
    let got: Vec<(u32, usize)> = [
        (Coder::Lite, 6),
        (Coder::Lite, 2),
        (Coder::V2, 6),
        (Coder::Max, 6),
        (Coder::Max, 2),
    ]
    .into_iter()
    .map(|(coder, group)| {
        let p = packetise(&cfg(coder, 6, 512, 256).with_groups(group), &xs).unwrap();
        (crc32fast::hash(&p.packets.concat()), p.packets.len())
    })
    .collect();
    assert_eq!(got, WANT);
}

/// Lite (one group, three groups), v2, max (one group, three groups; frozen 2026-12-06 when
/// the max packet stream was made, FORMAT.md §10.8).
const WANT: [(u32, usize); 5] = [
    (1461347687, 41),
    (3288866267, 51),
    (3250129964, 43),
    (3343051782, 47),
    (2850625561, 69),
];
