//! Event mode (`neurice_model::events`, FORMAT.md §12): the stream decodes to exactly what
//! the detector found, on generated signals and the recordings, for many parameter sets;
//! the decoder refuses broken streams; a received prefix delivers exact whole frames; the
//! packets lose only the segments they belong to; the descriptor round-trips and refuses bad
//! parameters; the latency rule holds; and a frozen known answer pins the format.

use neurice_model::events::params::{power_code, power_decode, power_interval};
use neurice_model::events::{
    decode, decode_segment, depacketise, encode, packetise, Encoder, EventParams, Features,
    Segment, LOST_CODE,
};
use neurice_model::Error;
use neurice_testkit::{spiky_walk, trace, XorShift64};

/// `frames` frames of `channels` generated channels: spiky walks and traces mixed.
fn signal(channels: usize, frames: usize, seed: u64) -> Vec<u32> {
    let chans: Vec<Vec<u16>> = (0..channels)
        .map(|c| {
            if c % 2 == 0 {
                spiky_walk(frames, seed + c as u64)
            } else {
                trace(frames, seed + c as u64)
            }
        })
        .collect();
    (0..frames * channels)
        .map(|i| chans[i % channels][i / channels] as u32)
        .collect()
}

fn variants(channels: u32) -> Vec<EventParams> {
    let base = EventParams::new(channels);
    let two = EventParams {
        section_count: 2,
        sections: neurice_model::events::params::BUTTERWORTH2_300_3000.0,
        gain_q24: neurice_model::events::params::BUTTERWORTH2_300_3000.1,
        ..base
    };
    vec![
        base,
        two,
        EventParams {
            bin_frames: 37,
            segment_bins: 3,
            latency_frames: 1,
            power_mantissa: 2,
            ..base
        },
        EventParams {
            bin_frames: 64,
            latency_frames: 0,
            power_mantissa: 8,
            power_shift: 0,
            refractory_frames: 1,
            k_q8: 512,
            noise_period_log2: 4,
            noise_sub_log2: 0,
            noise_fast_log2: 0,
            noise_slow_log2: 2,
            ..base
        },
    ]
}

#[test]
fn streams_decode_to_what_the_detector_found() {
    for channels in [1u32, 2, 3, 7, 64] {
        for (vi, p) in variants(channels).into_iter().enumerate() {
            let frames = 3000 + 17 * vi;
            let xs = signal(channels as usize, frames, 11 + vi as u64);
            let (segs, f) = encode(&p, &xs).unwrap();
            let back = decode(&p, frames as u64, &segs).unwrap();
            assert_eq!(back, f, "C={channels} variant {vi}");
            assert_eq!(f.bins(), frames / p.bin_frames as usize);
            assert!(
                !f.events.is_empty(),
                "no events in C={channels} variant {vi}: the test shows nothing"
            );
        }
    }
}

#[test]
fn recordings_round_trip_and_have_events() {
    let Some(dir) = neurice_testkit::data_or_skip("event mode on recordings") else {
        return;
    };
    let files: Vec<_> = neurice_testkit::wavs(&dir)
        .into_iter()
        .step_by(60)
        .collect();
    let recs: Vec<Vec<u32>> = files
        .iter()
        .map(|f| {
            let w = neurice_model::wav::parse_wav(&std::fs::read(f).unwrap()).unwrap();
            neurice_model::grid::to_grid(&w.samples).0
        })
        .collect();
    let frames = recs.iter().map(Vec::len).min().unwrap().min(40_000);
    let c = recs.len();
    let xs: Vec<u32> = (0..frames * c).map(|i| recs[i % c][i / c]).collect();
    let p = EventParams::new(c as u32);
    let (segs, f) = encode(&p, &xs).unwrap();
    assert_eq!(decode(&p, frames as u64, &segs).unwrap(), f);
    let rate = f.events.len() as f64 / (frames as f64 / 19531.0) / c as f64;
    eprintln!("{c} recordings, {frames} frames: {rate:.2} events/s/channel");
    assert!((1.0..30.0).contains(&rate), "{rate} events/s/channel");
}

fn one_segment(p: &EventParams, frames: usize) -> (Segment, Features) {
    let xs = signal(p.channels as usize, frames, 5);
    let (segs, f) = encode(p, &xs).unwrap();
    (segs[0].clone(), f)
}

#[test]
fn the_decoder_refuses_broken_segments() {
    let p = EventParams {
        bin_frames: 50,
        segment_bins: 4,
        ..EventParams::new(5)
    };
    let (s, _) = one_segment(&p, 200);
    let ok = decode_segment(&p, 0, 200, &s.words, true).unwrap();
    assert_eq!(ok.frames, 200);
    // a word more, a word less
    let mut more = s.words.clone();
    more.push(0);
    let e = decode_segment(&p, 0, 200, &more, true).unwrap_err();
    assert!(e.to_string().contains("left over"), "{e}");
    let e = decode_segment(&p, 0, 200, &s.words[..s.words.len() - 1], true).unwrap_err();
    assert!(matches!(e, Error::Corrupt(_)), "{e}");
    // the padding of the last word is not zero
    let mut pad = s.words.clone();
    *pad.last_mut().unwrap() |= 1;
    assert!(decode_segment(&p, 0, 200, &pad, true).is_err());
    // an event on a channel the stream does not have: C = 5 codes channels in 3 bits; a
    // frame starting "1 111" names channel 7
    let bad = [0b1111u32 << 28];
    let e = decode_segment(&p, 0, 1, &bad, true).unwrap_err();
    assert!(e.to_string().contains("channel 7"), "{e}");
    // channels out of order: "1 011" (3) then "1 001" (1)
    let bad = [0b1011_1001u32 << 24];
    let e = decode_segment(&p, 0, 1, &bad, true).unwrap_err();
    assert!(e.to_string().contains("increasing"), "{e}");
    // the last channel's event must end the frame: "1 100" then "1"
    let bad = [0b11001u32 << 27];
    let e = decode_segment(&p, 0, 1, &bad, true).unwrap_err();
    assert!(e.to_string().contains("does not end"), "{e}");
}

#[test]
fn a_received_prefix_delivers_exact_whole_frames() {
    let p = EventParams {
        bin_frames: 40,
        segment_bins: 3,
        latency_frames: 4,
        ..EventParams::new(6)
    };
    let (s, _) = one_segment(&p, 120);
    let full = decode_segment(&p, 0, 120, &s.words, true).unwrap();
    let mut last = 0;
    for n in 0..=s.words.len() {
        let d = decode_segment(&p, 0, 120, &s.words[..n], false).unwrap();
        assert!(d.frames >= last, "prefix {n}");
        last = d.frames;
        let t_end = d.frames as u64;
        let want: Vec<_> = full
            .events
            .iter()
            .filter(|e| e.frame < t_end)
            .copied()
            .collect();
        assert_eq!(d.events, want, "prefix of {n} words");
        assert!(full.power.starts_with(&d.power));
    }
    assert_eq!(last, 120);
}

#[test]
fn packets_lose_only_their_own_segment() {
    let p = EventParams {
        bin_frames: 60,
        packet_bytes: 24,
        ..EventParams::new(8)
    };
    let frames = 600u64;
    let xs = signal(8, frames as usize, 9);
    let (segs, f) = encode(&p, &xs).unwrap();
    let packets = packetise(&p, &segs).unwrap();
    assert!(packets.iter().all(|b| b.len() <= 24));
    assert!(
        packets.len() > segs.len(),
        "segments of one packet test nothing"
    );
    let rx = depacketise(&p, frames, packets.iter().map(|b| &b[..])).unwrap();
    assert_eq!(rx.features, f);
    assert!(rx.lost_frames.is_empty());
    let r = p.segment_frames() as u64;
    for drop in 0..packets.len() {
        let rx = depacketise(
            &p,
            frames,
            packets
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, b)| &b[..]),
        )
        .unwrap();
        assert_eq!(rx.lost_frames.len(), 1, "packet {drop}");
        let (a, b) = rx.lost_frames[0];
        assert!(a / r == (b - 1) / r, "loss {a}..{b} spans segments");
        // everything outside the loss is exact; inside, nothing is guessed
        let kept: Vec<_> = f
            .events
            .iter()
            .filter(|e| e.frame < a || e.frame >= b)
            .copied()
            .collect();
        assert_eq!(rx.features.events, kept, "packet {drop}");
        for bin in 0..f.bins() {
            let end_frame = (bin as u64 + 1) * p.bin_frames as u64 - 1;
            for c in 0..8 {
                let got = rx.features.code(bin, c);
                if (a..b).contains(&end_frame) {
                    assert_eq!(got, LOST_CODE);
                } else {
                    assert_eq!(got, f.code(bin, c));
                }
            }
        }
    }
}

#[test]
fn a_corrupt_packet_is_refused_not_decoded() {
    let p = EventParams::new(4);
    let xs = signal(4, 800, 3);
    let (segs, f) = encode(&p, &xs).unwrap();
    let mut packets = packetise(&p, &segs).unwrap();
    let mut rng = XorShift64::new(3);
    let i = (rng.next_u64() as usize) % packets.len();
    let len = packets[i].len();
    packets[i][len / 2] ^= 0x10;
    let rx = depacketise(&p, 800, packets.iter().map(|b| &b[..])).unwrap();
    assert_eq!(rx.packets_refused, 1);
    for e in &rx.features.events {
        assert!(f.events.contains(e), "an event that was never there: {e:?}");
    }
}

/// The word holding an event's code leaves at most `L − 1` frames after the event's frame
/// (at the end of that frame).
#[test]
fn the_latency_rule_holds() {
    for l in [1u8, 3, 16] {
        let p = EventParams {
            latency_frames: l,
            ..EventParams::new(3).with_k(2.5).unwrap()
        };
        let xs = signal(3, 12_000, 21);
        let mut e = Encoder::new(&p).unwrap();
        // bits after each event's code, and bits at the end of every frame
        let mut pending: Vec<(u64, u64)> = Vec::new();
        let mut worst = 0u64;
        let mut events = 0;
        for (i, &x) in xs.iter().enumerate() {
            let t = (i / 3) as u64;
            if e.push(x).unwrap().event {
                pending.push((t, e.bits()));
                events += 1;
            }
            if i % 3 == 2 {
                // words out so far: everything below the last word boundary
                let out = e.bits() / 32 * 32;
                pending.retain(|&(te, end)| {
                    if end <= out {
                        worst = worst.max(t - te);
                        false
                    } else {
                        // still in the partial word: younger than the rule allows
                        assert!(t - te + 1 < l as u64, "L = {l}: event of frame {te} late");
                        true
                    }
                });
            }
        }
        assert!(events > 50, "{events} events test little");
        assert!(
            worst < l as u64,
            "L = {l}: an event's word left {worst} frames after it"
        );
        eprintln!("L = {l}: latest event word {worst} frames after the event");
    }
}

#[test]
fn power_codes_are_a_log_quantiser() {
    for m in 1..=8u32 {
        let mut last = 0;
        for v in 0..=u16::MAX as u32 {
            let c = power_code(v, m);
            assert!(c >= last, "monotone");
            last = c;
            let (lo, hi) = power_interval(c, m);
            assert!(lo <= v && v <= hi, "v {v} code {c} [{lo}, {hi}]");
            let mid = power_decode(c, m);
            assert!((mid - v as f64).abs() <= (hi - lo) as f64 / 2.0 + 0.5);
            if v >= 1 << m {
                assert!((hi - lo) as f64 / (lo as f64) < 1.0 / (1u32 << m) as f64 + 1e-9);
            }
        }
    }
    assert_eq!(power_code(0, 4), 0);
    assert_eq!(power_code(15, 4), 15);
    assert_eq!(power_code(16, 4), 16);
    assert_eq!(power_code(31, 4), 31);
    assert_eq!(power_code(32, 4), 32);
    assert_eq!(power_code(u16::MAX as u32, 4), 207);
    assert_eq!(EventParams::new(1).power_code_bits(), 8);
}

#[test]
fn the_descriptor_round_trips_and_refuses_damage() {
    for p in variants(1024).into_iter().chain(variants(3)) {
        let b = p.to_bytes();
        assert_eq!(EventParams::from_bytes(&b).unwrap(), p);
        for i in 0..b.len() {
            let mut c = b;
            c[i] ^= 0x04;
            assert!(EventParams::from_bytes(&c).is_err(), "byte {i}");
        }
        assert!(EventParams::from_bytes(&b[..47]).is_err());
    }
}

/// Version 1 (before the rail rule) reads as `H = 0`, `Q = 0`; version 2 (before the
/// saturation rule) as `Q = 0`; their reserved bytes must be zero; `H` above 63, `Q` above 8
/// and `Q > 0` without the rail rule are refused.
#[test]
fn the_descriptor_carries_the_rail_and_saturation_rules() {
    let p = EventParams::new(64);
    assert_eq!(p.to_bytes()[4], 3);
    assert_eq!(p.to_bytes()[41], p.rail_frames);
    assert_eq!(p.to_bytes()[42], p.sat_epoch_log2);
    assert_eq!(p.sat_epoch_log2, 5);
    // a function, not a closure over `p`: rustc 1.95 fails on the closure (broken MIR)
    fn old(p: &EventParams, version: u8, b41: u8, b42: u8) -> Result<EventParams, Error> {
        let mut b = p.to_bytes();
        b[4] = version;
        b[41] = b41;
        b[42] = b42;
        let crc = crc32fast::hash(&b[..44]);
        b[44..].copy_from_slice(&crc.to_le_bytes());
        EventParams::from_bytes(&b)
    }
    let v1 = old(&p, 1, 0, 0).unwrap();
    assert_eq!((v1.rail_frames, v1.sat_epoch_log2), (0, 0));
    assert!(old(&p, 1, 5, 0)
        .unwrap_err()
        .to_string()
        .contains("reserved"));
    let v2 = old(&p, 2, 63, 0).unwrap();
    assert_eq!((v2.rail_frames, v2.sat_epoch_log2), (63, 0));
    assert!(old(&p, 2, 63, 5)
        .unwrap_err()
        .to_string()
        .contains("reserved"));
    assert_eq!(old(&p, 3, 63, 7).unwrap().sat_epoch_log2, 7);
    let e = EventParams {
        rail_frames: 64,
        ..p
    }
    .validate()
    .unwrap_err();
    assert!(e.to_string().contains("rail hold-off"), "{e}");
    let e = old(&p, 3, 63, 9).unwrap_err();
    assert!(e.to_string().contains("saturation epoch"), "{e}");
    let e = old(&p, 3, 0, 5).unwrap_err();
    assert!(e.to_string().contains("needs the rail rule"), "{e}");
}

/// The saturation rule (FORMAT.md §12.3): a channel that sits on a rail for stretches is
/// rejected (no events, also in the clean frames between and after the stretches) until
/// three epochs pass without a railed period end; a channel that touches the rail twice is
/// not; the filter, the estimate and the power go on, so outside the rejection the events are
/// those of the detector without the rule.
#[test]
fn the_saturation_rule_quiets_a_railing_channel_and_releases_it() {
    use neurice_model::events::{detect::step, ChannelState, FrameInfo};
    let on = EventParams::new(1);
    let off = EventParams {
        sat_epoch_log2: 0,
        ..on
    };
    let frames = 100_000;
    // stationary noise (uniform ±20 grid steps) with a 3-sample spike of −150 every 331 frames
    let mut r = XorShift64::new(5);
    let clean: Vec<u32> = (0..frames)
        .map(|t| {
            let spike = if t % 331 < 3 { 150 } else { 0 };
            (512 + (r.next_u64() % 41) as i64 - 20 - spike) as u32
        })
        .collect();
    // on the upper rail for 1000 frames of every 1200 in frames 20 000 … 30 000
    let mut railing = clean.clone();
    for (t, x) in railing.iter_mut().enumerate() {
        if (20_000..30_000).contains(&t) && t % 1200 < 1000 {
            *x = 1023;
        }
    }
    // two samples on a rail, far apart
    let mut blips = clean.clone();
    blips[40_000] = 0;
    blips[70_000] = 1023;
    let run = |p: &EventParams, x: &[u32]| {
        let mut st = ChannelState::default();
        let mut events = Vec::new();
        let mut rejected = Vec::new();
        for (t, &v) in x.iter().enumerate() {
            rejected.push(st.rejected);
            if step(p, &mut st, v, &FrameInfo::of(p, t as u64)).event {
                events.push(t);
            }
        }
        (events, rejected)
    };
    let (ev_on, rej) = run(&on, &railing);
    let (ev_off, rej_off) = run(&off, &railing);
    assert!(rej_off.iter().all(|&r| !r), "no rule, no rejection");
    let first = rej
        .iter()
        .position(|&r| r)
        .expect("the railing channel is rejected");
    let last = rej.iter().rposition(|&r| r).unwrap();
    // rejected after the third railed period end of the first stretch (frames 20 000 …
    // 20 999: period ends 20 223, 20 479, 20 735)
    assert_eq!(first, 20_736, "rejected at {first}");
    assert!(
        rej[first..=last].iter().all(|&r| r),
        "one rejection, no gap"
    );
    // released after 3 epochs (2^5 periods of 256 frames) without a railed period end: the
    // last railed period end is 29 951 (the last stretch is 29 600 … 29 999); epochs end at
    // 32 767, 40 959, 49 151
    let epoch = 32 * 256;
    assert_eq!(last + 1, 49_152);
    assert!(
        (29_951 + 2 * epoch..29_951 + 3 * epoch).contains(&(last + 1)),
        "released at {}",
        last + 1
    );
    let quiet = |e: &[usize], a: usize, b: usize| e.iter().filter(|&&t| t >= a && t < b).count();
    assert_eq!(
        quiet(&ev_on, first, last + 1),
        0,
        "a rejected channel has no events"
    );
    let clean_after = quiet(&ev_off, 30_100, last + 1);
    assert!(
        clean_after > 20,
        "the clean frames after the stretches have events: {clean_after}"
    );
    // outside the rejection (and the refractory period after it) the events are the same
    let outside = |e: &[usize]| -> Vec<usize> {
        e.iter()
            .copied()
            .filter(|&t| t < first || t > last + 64)
            .collect()
    };
    assert_eq!(outside(&ev_on), outside(&ev_off));
    assert!(
        quiet(&ev_on, last + 1, frames) > 20,
        "events after the release"
    );
    // two rail samples: no rejection, the same events as without the rule
    let (ev_blips, rej_blips) = run(&on, &blips);
    assert!(rej_blips.iter().all(|&r| !r));
    assert_eq!(ev_blips, run(&off, &blips).0);
}

#[test]
fn bad_parameters_get_clear_errors() {
    let p = EventParams::new(16);
    for k in [0.0, -1.0, f64::NAN, f64::INFINITY, 256.0] {
        let e = p.with_k(k).unwrap_err();
        assert!(e.to_string().contains("threshold factor k"), "{e}");
    }
    assert_eq!(p.with_k(4.5).unwrap().k_q8, 1152);
    let cases: Vec<(EventParams, &str)> = vec![
        (EventParams { k_q8: 0, ..p }, "threshold factor k"),
        (EventParams { channels: 0, ..p }, "channels"),
        (
            EventParams {
                channels: 1025,
                ..p
            },
            "channels",
        ),
        (EventParams { bin_frames: 1, ..p }, "power bin"),
        (EventParams { bin_frames: 0, ..p }, "power bin"),
        (
            EventParams {
                segment_bins: 0,
                ..p
            },
            "segment",
        ),
        (
            EventParams {
                refractory_frames: 0,
                ..p
            },
            "refractory",
        ),
        (
            EventParams {
                refractory_frames: 65,
                ..p
            },
            "refractory",
        ),
        (
            EventParams {
                section_count: 0,
                ..p
            },
            "sections",
        ),
        (
            EventParams {
                section_count: 3,
                ..p
            },
            "sections",
        ),
        (EventParams { frac_bits: 6, ..p }, "frac_bits"),
        (
            EventParams {
                noise_period_log2: 3,
                ..p
            },
            "noise period",
        ),
        (
            EventParams {
                noise_period_log2: 12,
                noise_sub_log2: 0,
                ..p
            },
            "subsampling",
        ),
        (
            EventParams {
                power_mantissa: 0,
                ..p
            },
            "mantissa",
        ),
        (
            EventParams {
                power_shift: 9,
                ..p
            },
            "power shift",
        ),
        (
            EventParams {
                packet_bytes: 19,
                ..p
            },
            "packet size",
        ),
        (
            EventParams {
                sample_rate_hz: 0,
                ..p
            },
            "sample rate",
        ),
        (EventParams { gain_q24: 0, ..p }, "gain"),
    ];
    for (q, want) in cases {
        let e = q.validate().unwrap_err();
        assert!(e.to_string().contains(want), "{q:?}: {e}");
        assert!(encode(&q, &[]).is_err());
    }
    let mut unstable = p;
    unstable.sections[0].a2 = 16384;
    assert!(unstable
        .validate()
        .unwrap_err()
        .to_string()
        .contains("stable"));
    unstable.sections[0] = neurice_model::events::Section {
        a1: -30000,
        a2: 10000,
    };
    assert!(unstable.validate().is_err());
    // samples that are not 10-bit grid indices, and a stream that ends inside a frame
    assert!(encode(&p, &[1024; 16])
        .unwrap_err()
        .to_string()
        .contains("10-bit"));
    assert!(encode(&p, &[0; 15])
        .unwrap_err()
        .to_string()
        .contains("whole frames"));
    let mut e = Encoder::new(&p).unwrap();
    e.push(3).unwrap();
    assert!(e.finish().unwrap_err().to_string().contains("inside frame"));
}

/// The known-answer stream: 3 channels × 360 frames of generated signals, bins of 40 frames,
/// segments of 3 bins, `k = 1.5`, noise periods of 32 frames sampled every second frame, the
/// power sum over every fourth frame, latency rule 4 frames. A change of these words is a
/// change of the format (FORMAT.md §12); the hardware tests check the core against them too.
pub fn kat_params() -> EventParams {
    EventParams {
        bin_frames: 40,
        segment_bins: 3,
        latency_frames: 4,
        noise_period_log2: 5,
        noise_sub_log2: 1,
        ..EventParams::new(3).with_k(1.5).unwrap()
    }
}

pub fn kat_samples() -> Vec<u32> {
    signal(3, 360, 77)
}

const KAT_WORDS: &str = "00000000 0038364b c0000000 00000800 0c000000 01a18086 00100000 \
                         00050000 00846a23 00000000 | 80000000 00000040 00e2751e 80000000 \
                         00361907 08000000 00000000 0fa65238 | 06000000 00000010 11cea780 \
                         00000000 04d348ea 00000000 00000003 00000000 120c0440";

/// FNV-1a 64 over `(y as u16, thr)` of every sample of the known answer.
const KAT_TRACE_HASH: u64 = 0xcbd1_c813_addb_d177;

#[test]
fn known_answer_stream() {
    let (segs, f) = encode(&kat_params(), &kat_samples()).unwrap();
    let words: Vec<String> = segs
        .iter()
        .map(|s| {
            s.words
                .iter()
                .map(|w| format!("{w:08x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let got = words.join(" | ");
    eprintln!("{} events, {} bins; words: {got}", f.events.len(), f.bins());
    assert!(f.events.len() >= 10, "the known answer should carry events");
    let want = KAT_WORDS.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(got, want);
    assert_eq!(decode(&kat_params(), 360, &segs).unwrap(), f);
    // and every sample's band-passed value and threshold (a change of the detector's
    // arithmetic that happens to move no event still fails here)
    let mut e = Encoder::new(&kat_params()).unwrap();
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &x in &kat_samples() {
        let o = e.push(x).unwrap();
        for v in [o.y as u16 as u64, o.thr as u64] {
            h = (h ^ v).wrapping_mul(0x100_0000_01b3);
        }
    }
    assert_eq!(
        h, KAT_TRACE_HASH,
        "the detector's y and thr moved: {h:#018x}"
    );
}
