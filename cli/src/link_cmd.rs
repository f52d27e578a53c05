//! `link`: recordings coded into the packet stream, sent through a simulated lossy radio
//! link, decoded, and every delivered sample compared with the original
//! (`neurice_flow::link`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use neurice_flow::link::{run_link, LinkConfig, LinkModel};
use neurice_model::packet::{DEFAULT_PACKET_BYTES, DEFAULT_SEGMENT_FRAMES};

use crate::coder_args::CoderArgs;
use crate::hw_cmds::{inputs_or_default, progress_bar};

#[derive(Args)]
pub struct LinkArgs {
    /// Recordings: WAV files and/or folders of them (default: the Neuralink data folder).
    inputs: Vec<PathBuf>,
    /// Channels per run: 1 = one run per file; N = N files interleaved as N channels.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// The coder inside the packets (`lite`: v1, `max`: two substreams, FORMAT.md §10; `v2`),
    /// its parameters and `--max-error` (the packet stream of FORMAT.md §11.6).
    #[command(flatten)]
    coder: CoderArgs,
    /// Restart interval R: frames per segment (every channel restarts at each segment).
    #[arg(long, default_value_t = DEFAULT_SEGMENT_FRAMES)]
    segment_frames: u32,
    /// Largest packet, bytes, header and CRC included (at least 20).
    #[arg(long, default_value_t = DEFAULT_PACKET_BYTES)]
    packet_bytes: usize,
    /// Channels per separately decodable group (default: one group of all channels); a lost
    /// packet then costs only its group's channels.
    #[arg(long)]
    group_channels: Option<usize>,
    /// Long-run fraction of packets the link drops, in [0, 1].
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Packets dropped per loss event (1 = independent drops).
    #[arg(long, default_value_t = 1)]
    burst: u32,
    /// Bit-error rate on the packets that arrive, in [0, 1].
    #[arg(long, default_value_t = 0.0)]
    ber: f64,
    /// Seed of the link's losses and bit errors.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Samples per file (per channel) at most.
    #[arg(long)]
    max_samples: Option<usize>,
    /// Skip coding each run a second time as one unpacketised stream (no ratio cost).
    #[arg(long)]
    no_compare: bool,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

pub fn link(a: LinkArgs) -> Result<ExitCode> {
    let model = LinkModel {
        drop_rate: a.drop_rate,
        burst: a.burst,
        ber: a.ber,
        seed: a.seed,
    };
    let mut cfg = LinkConfig {
        coder: a.coder.spec()?,
        channels: a.channels,
        segment_frames: a.segment_frames,
        packet_bytes: a.packet_bytes,
        group_channels: a.group_channels,
        link: model,
        files: Vec::new(), // read after the arguments are checked
        max_samples: a.max_samples,
        compare_unpacketised: !a.no_compare,
    };
    cfg.validate()?;
    cfg.files = inputs_or_default(&a.inputs)?;
    let pb = progress_bar(0, "link", a.json);
    let r = run_link(&cfg, &|done, total| {
        pb.set_length(total);
        pb.set_position(done)
    })?;
    pb.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let pct = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{v:+.3} %"));
        println!(
            "link: coder {}, {} file(s), {} run(s) of {} channel(s) in {} group(s) of {}; segments \
             of {} frames ({:.1} ms), packets of at most {} bytes\n\
             link model: drop rate {}, burst {}, bit-error rate {}, seed {}\n\
             packets sent {}  lost {}  corrupt {}  (refused {}, intact but unusable {})\n\
             segments {}: complete {}  partial {}  lost {}  inconsistent {}\n\
             samples {}  delivered {}  lost {}  wrong {}{}\n\
             lost per lost/corrupt packet {:.0} samples; bound {} samples ({} per channel, {:.1} ms); \
             worst gap {} samples ({:.1} ms)\n\
             ratio {:.4} on the link (unpacketised {}; restart cost {}, total cost {})\n\
             {:.1} s",
            r.coder,
            r.files,
            r.runs,
            r.channels,
            r.groups,
            r.group_channels,
            r.segment_frames,
            r.loss_bound_ms,
            r.packet_bytes,
            r.link.drop_rate,
            r.link.burst,
            r.link.ber,
            r.link.seed,
            r.packets_sent,
            r.packets_lost,
            r.packets_corrupt,
            r.packets_refused,
            r.packets_unused,
            r.segments,
            r.segments_complete,
            r.segments_partial,
            r.segments_lost,
            r.segments_inconsistent,
            r.samples,
            r.samples_delivered,
            r.samples_lost,
            r.samples_wrong,
            if r.max_error > 0 {
                format!(
                    " (beyond the maximum error {}; largest error seen {})",
                    r.max_error, r.max_error_seen
                )
            } else {
                String::new()
            },
            r.samples_lost_per_bad_packet,
            r.loss_bound_samples,
            r.loss_bound_samples_per_channel,
            r.loss_bound_ms,
            r.worst_gap,
            r.worst_gap_ms,
            r.ratio,
            r.ratio_unpacketised
                .map_or("not measured".into(), |v| format!("{v:.4}")),
            pct(r.restart_cost_percent),
            pct(r.ratio_cost_percent),
            r.seconds
        );
        println!(
            "{}",
            match (r.samples_wrong, r.max_error) {
                (0, 0) => "no wrong sample: every delivered sample equals the original".into(),
                (0, d) => format!(
                    "no wrong sample: every delivered sample within {d} grid step(s) of the original"
                ),
                _ => "WRONG SAMPLES DELIVERED".to_string(),
            }
        );
    }
    Ok(if r.samples_wrong == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
