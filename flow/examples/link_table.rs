//! The packet stream's trade-off table (FORMAT.md §9.5): ratio cost, loss per lost packet
//! and the loss bound against the restart interval R, the channels per group G and the
//! packet size P, for both coders, on all recordings interleaved as one stream of channels,
//! through `neurice_flow::link::run_link` (random drops at 0.1 %, seed 1).
//!
//! `cargo run --release -p neurice-flow --example link_table [DIR]`

use std::path::PathBuf;

use neurice_flow::link::{run_link, LinkConfig, LinkModel};
use neurice_model::Coder;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/neuralink".into());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "wav"));
    files.sort();
    let link = LinkModel {
        drop_rate: 0.001,
        ..LinkModel::PERFECT
    };
    println!(
        "{} recordings; link: random drops at {}, seed {}",
        files.len(),
        link.drop_rate,
        link.seed
    );
    println!("| coder | G | R frames (ms) | P bytes | restart cost | total cost | link ratio | samples lost per lost packet | bound R·G | worst gap (samples) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let channels = files.len().min(1024);
    let mut rows = Vec::new();
    for coder in [Coder::Lite, Coder::V2] {
        for g in [channels, 64, 8, 1] {
            for r in [256u32, 1024, 4096] {
                rows.push((coder, g, r, 1024usize));
            }
        }
        rows.push((coder, channels, 1024, 256));
        rows.push((coder, channels, 1024, 4096));
        rows.push((coder, 8, 1024, 256));
    }
    for (coder, g, r, p) in rows {
        let cfg = LinkConfig {
            coder: coder.into(),
            channels,
            segment_frames: r,
            packet_bytes: p,
            group_channels: Some(g),
            link,
            files: files.clone(),
            max_samples: None,
            compare_unpacketised: true,
        };
        let rep = run_link(&cfg, &|_, _| {})?;
        assert_eq!(rep.samples_wrong, 0);
        println!(
            "| {coder} | {g} | {r} ({:.1}) | {p} | {:+.3} % | {:+.3} % | {:.4} | {:.0} | {} | {} |",
            rep.loss_bound_ms,
            rep.restart_cost_percent.unwrap_or(f64::NAN),
            rep.ratio_cost_percent.unwrap_or(f64::NAN),
            rep.ratio,
            rep.samples_lost_per_bad_packet,
            rep.loss_bound_samples,
            rep.worst_gap
        );
    }
    Ok(())
}
