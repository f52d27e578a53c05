//! `link`: recordings coded into the packet stream, sent through a simulated lossy radio
//! link, decoded, and every delivered sample compared with the original
//! (`neurice_flow::link`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use neurice_flow::event_link::{run_event_link, EventLinkConfig};
use neurice_flow::link::{run_link, LinkConfig, LinkModel};
use neurice_model::events::EventParams;
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
    /// its parameters and `--max-error` (the packet stream of FORMAT.md §11.6); `events`:
    /// event mode's stream (FORMAT.md §12.8) of the recordings as --channels channels, one
    /// run, its data rate measured.
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
    if a.coder.events()? {
        return event_link(&a, model);
    }
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

/// `link --coder events`: the event stream of the recordings as `--channels` channels (one
/// run) through the link ([`neurice_flow::event_link`]).
fn event_link(a: &LinkArgs, model: LinkModel) -> Result<ExitCode> {
    if a.segment_frames != DEFAULT_SEGMENT_FRAMES || a.group_channels.is_some() || a.no_compare {
        bail!(
            "--segment-frames, --group-channels and --no-compare set the coders' packet \
             stream; event mode's segments are its power bins (FORMAT.md §12.1, §12.8)"
        );
    }
    neurice_flow::check_channels(a.channels)?;
    let params = EventParams {
        packet_bytes: u16::try_from(a.packet_bytes).unwrap_or(u16::MAX),
        ..EventParams::new(a.channels as u32)
    };
    params
        .validate()
        .map_err(|e| anyhow::anyhow!("--packet-bytes {}: {e}", a.packet_bytes))?;
    let cfg = EventLinkConfig {
        params,
        link: model,
        files: inputs_or_default(&a.inputs)?,
        max_samples: a.max_samples,
    };
    let r = run_event_link(&cfg)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let q = &r.rate;
        println!(
            "link: event mode (FORMAT.md §12), {} file(s) as {} channel(s), {} frames ({:.2} s)\n\
             events {} ({:.1} per second per channel), measured on these recordings\n\
             data rate {:.4} Mbit/s payload, {:.4} Mbit/s in packets (worst 100 ms {:.4}): {} \
             the {} Mbit/s radio\n\
             link model: drop rate {}, burst {}, bit-error rate {}, seed {}\n\
             packets sent {}  lost {}  corrupt {}  (refused {}, intact but unusable {})\n\
             segments {}: complete {}  partial {}  lost {}; frames lost {}\n\
             events sent {}  in the received frames {}  wrong {}\n\
             {:.1} s",
            r.files,
            r.channels,
            q.frames,
            q.seconds,
            q.events,
            q.events_per_s_per_channel,
            q.payload_mbit_s,
            q.link_mbit_s,
            q.worst_100ms_link_mbit_s,
            if r.fits_radio { "fits" } else { "OVER" },
            r.radio_mbps,
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
            r.frames_lost,
            r.events_sent,
            r.events_delivered,
            r.events_wrong,
            r.seconds
        );
        println!(
            "{}",
            if r.events_wrong == 0 {
                "no wrong event: every event of a received frame is the one sent"
            } else {
                "WRONG EVENTS DELIVERED"
            }
        );
    }
    Ok(if r.events_wrong == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
