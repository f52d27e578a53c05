//! # Event mode: spike events and spike-band power instead of the waveform
//!
//! The features brain–computer interfaces decode from, computed per channel with integer
//! arithmetic exactly as the core computes them (FORMAT.md §12):
//!
//! ```text
//!  x (10-bit) ─▶ band-pass (S biquads, TDF-II, Q14) ─▶ y ─┬─▶ y < −thr, crossing, refractory ─▶ event
//!                                                          ├─▶ Σ min(|y|, clip) per noise period ─▶ est ─▶ thr, clip
//!                                                          └─▶ Σ |y| per bin ─▶ log-quantised power code
//! ```
//!
//! * [`params`]: [`EventParams`] (every parameter, validated, and the 48-byte stream
//!   descriptor that carries them);
//! * [`detect`]: one channel's state and one sample's step (the hardware's datapath);
//! * [`code`]: the event stream — the [`Encoder`] (samples in, segments of 32-bit words
//!   out), [`decode_segment`] and [`decode`] back to events and power codes;
//! * [`file`]: the event-stream file (§12.11) of `neurice compress --coder events`;
//! * [`link`]: the stream in the packets of §9.3, and the receiver;
//! * [`rate`]: the stream's data rate on recordings (payload, framing, worst 100 ms);
//! * [`agreement`]: the agreement with the floating-point reference detector of
//!   `neurice_model::fidelity` (issue 27): precision and recall within ±0.5 ms, power r.
//!
//! `neurice eval --coder events` reports both; `examples/events_rate.rs` and
//! `examples/events_agree.rs` print them for FORMAT.md §12.9.

pub mod agreement;
pub mod code;
pub mod detect;
pub mod file;
pub mod link;
pub mod params;
pub mod rate;

pub use code::{
    decode, decode_segment, encode, stream_words, DecodedSegment, Encoder, Event, Features,
    Segment, LOST_CODE,
};
pub use detect::{ChannelState, FrameInfo, StepOut};
pub use file::EventFile;
pub use link::{depacketise, link_bytes, packetise, Reception};
pub use params::{EventParams, Section};
