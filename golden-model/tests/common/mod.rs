//! What the bounded-error tests of both coders share (`near.rs`, `near_max.rs`).

use neurice_testkit::{extremes, flat, noise, spiky_walk, trace, walk};

/// Generated 10-bit signals that stress a maximum error: full-scale noise, alternating
/// extremes, both ends of the grid held and swept, flat runs, a spiky walk on 5 channels, a
/// walk near the ends, a trace on 64 channels — as `(what, channels, samples)`.
pub fn near_signals() -> Vec<(&'static str, usize, Vec<u32>)> {
    let w = |v: Vec<u16>| v.into_iter().map(u32::from).collect::<Vec<u32>>();
    let ends: Vec<u32> = (0..6000u32)
        .map(|i| match (i / 500) % 4 {
            0 => 0,
            1 => (i % 500) * 1023 / 499,
            2 => 1023,
            _ => 1023 - (i % 500) * 1023 / 499,
        })
        .collect();
    vec![
        ("full-scale noise", 1, w(noise(20_000, 1))),
        ("alternating extremes", 2, w(extremes(8_000))),
        ("the grid's ends, held and swept", 3, ends),
        ("flat runs", 1, w(flat(12_000))),
        ("spiky walk, 5 channels", 5, w(spiky_walk(25_000, 9))),
        ("walk near the ends", 1, w(walk(20_000, 3, 300))),
        ("trace, 64 channels", 64, w(trace(64 * 300, 4))),
    ]
}
