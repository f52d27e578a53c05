//! What a v1 restart point costs, by what the segment sends for each channel's first sample
//! (FORMAT.md §9.2): all recordings interleaved as channels (truncated to the shortest), the
//! stream cut into segments of R frames, each segment padded to a 32-bit word; payload bits
//! against the one unpacketised stream. The chosen variant is checked against the library's
//! `packet::encode_segment_v1`.
//!
//! `cargo run --release -p neurice-model --example packet_restarts [DIR]`

use std::path::PathBuf;

use neurice_model::lite::{code_sample, ChannelState};
use neurice_model::packet::{encode_segment_v1, v1_restart_state};
use neurice_model::{grid::to_grid, wav::parse_wav, CodecParams};

const P: CodecParams = CodecParams::HARDWARE;

/// What the first frame of a segment sends and leaves in the state.
#[derive(Clone, Copy)]
enum Restart {
    /// Nothing: the channel restarts from the initial state (prev = 512, A = N = 0).
    Naive,
    /// The sample raw (W bits); then prev = x, A = N = 0.
    RawEmpty,
    /// The sample raw; then prev = x, A = a, N = n.
    Raw(u32, u32),
    /// The channel's whole 32-bit state word, then the sample coded as usual (the codes are
    /// exactly the unpacketised stream's).
    StateWord,
}

/// Payload bits of the segment of frames `t0 .. t0 + r`, padded to a 32-bit word. `lens`
/// holds the code length of every sample in the unpacketised stream (the state word's codes).
fn segment_bits(chans: &[Vec<u32>], lens: &[Vec<u8>], t0: usize, r: usize, how: Restart) -> u64 {
    let mut bits = 0u64;
    for (ch, len) in chans.iter().zip(lens) {
        let end = (t0 + r).min(ch.len());
        if let Restart::StateWord = how {
            bits += P.state_bits() as u64 + len[t0..end].iter().map(|&l| l as u64).sum::<u64>();
            continue;
        }
        let mut st = ChannelState::initial(&P);
        for (i, &x) in ch[t0..end].iter().enumerate() {
            if i == 0 {
                match how {
                    Restart::RawEmpty => {
                        st = ChannelState {
                            prev: x,
                            a: 0,
                            n: 0,
                        };
                        bits += P.sample_bits as u64;
                        continue;
                    }
                    Restart::Raw(a, n) => {
                        st = ChannelState { prev: x, a, n };
                        bits += P.sample_bits as u64;
                        continue;
                    }
                    Restart::Naive | Restart::StateWord => {}
                }
            }
            let c = code_sample(&st, x, &P);
            bits += c.code.len as u64;
            st = c.next;
        }
    }
    bits.div_ceil(32) * 32
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/neuralink".into());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("a folder of recordings")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    files.sort();
    let chans: Vec<Vec<u32>> = files
        .iter()
        .map(|f| {
            to_grid(
                &parse_wav(&std::fs::read(f).expect("readable"))
                    .expect("a WAV")
                    .samples,
            )
            .0
        })
        .collect();
    let frames = chans.iter().map(|c| c.len()).min().expect("recordings");
    let chans: Vec<Vec<u32>> = chans
        .into_iter()
        .map(|mut c| {
            c.truncate(frames);
            c
        })
        .collect();
    let lens: Vec<Vec<u8>> = chans
        .iter()
        .map(|ch| {
            let mut st = ChannelState::initial(&P);
            ch.iter()
                .map(|&x| {
                    let c = code_sample(&st, x, &P);
                    st = c.next;
                    c.code.len as u8
                })
                .collect()
        })
        .collect();
    let c = chans.len();
    let base = segment_bits(&chans, &lens, 0, frames, Restart::Naive) as f64;
    println!(
        "{c} channels x {frames} frames; unpacketised v1 payload {:.4} (ratio)",
        16.0 * (c * frames) as f64 / base
    );
    let variants: [(&str, Restart); 7] = [
        ("naive (initial state)", Restart::Naive),
        ("first sample raw, A = N = 0", Restart::RawEmpty),
        ("first sample raw, A = 8, N = 1", Restart::Raw(8, 1)),
        (
            "first sample raw, A = 32, N = 4 (chosen)",
            Restart::Raw(32, 4),
        ),
        ("first sample raw, A = 128, N = 16", Restart::Raw(128, 16)),
        ("first sample raw, A = 256, N = 32", Restart::Raw(256, 32)),
        ("state word (32 bits) + the usual code", Restart::StateWord),
    ];
    let rs = [256usize, 1024, 4096];
    println!(
        "| first frame of a segment | R = {} | R = {} | R = {} |",
        rs[0], rs[1], rs[2]
    );
    println!("|---|---|---|---|");
    for (name, how) in variants {
        let costs: Vec<String> = rs
            .iter()
            .map(|&r| {
                let bits: u64 = (0..frames)
                    .step_by(r)
                    .map(|t0| segment_bits(&chans, &lens, t0, r, how))
                    .sum();
                format!("{:+.3} %", 100.0 * (bits as f64 / base - 1.0))
            })
            .collect();
        println!("| {name} | {} |", costs.join(" | "));
    }
    // the chosen row is the library's segment coder (per channel, one segment)
    let r = 1024;
    let one: Vec<u32> = chans[0][..r].to_vec();
    let lib = encode_segment_v1(&P, 1, &one);
    assert_eq!(
        v1_restart_state(one[0], &P),
        ChannelState {
            prev: one[0],
            a: 32,
            n: 4
        }
    );
    assert_eq!(
        lib.len() as u64 * 8,
        segment_bits(&chans[..1], &lens[..1], 0, r, Restart::Raw(32, 4))
    );
}
