//! # neurice-model — the golden model
//!
//! The reference codec of neurice, in plain Rust with no HDL dependency: the hardware core must
//! match it bit for bit. Per channel, each 10-bit sample is predicted by the channel's previous
//! sample; the error is zigzag-mapped and coded with a Golomb code whose parameter
//! `m ∈ {1, 2, 3, 4, 6, 8, 12, …}` adapts from two counters (`A`, `N`, as in LOCO-I/JPEG-LS),
//! with a capped unary part and an escape. Codes are packed MSB-first into 32-bit words.
//!
//! * [`coders`]: the coder as a value — [`Coder`] (which one: `lite`, `max`) and [`CoderSpec`]
//!   (which one with its parameters), taken by every layer below and by the other crates.
//! * [`lite`]: coder v1 (`lite`), the datapath the hardware implements, streaming [`Encoder`]
//!   and decoder.
//! * [`v2`]: coder v2 (`max`): sign-sign LMS + context-adaptive binary range coder.
//! * [`container`]: the `.nrc` file's front door (compress, decompress, read the header),
//!   which picks the layout: [`single`] (one container, FORMAT.md §4 and §7.7) or [`stream`];
//!   the definitions both share (magic, versions, flags, [`format::Header`]) are in [`format`],
//!   what they report in [`report`].
//! * [`max`]: coder max (container version 3): coder v2's front end and one multi-symbol
//!   range-coder step per sample over a static trained table (FORMAT.md §10).
//! * [`packet`]: the packet stream for a lossy radio link — segments from restart points,
//!   bounded packets with sync, sequence number, first-sample index and CRC-32, and a
//!   receiver that delivers exact samples or reports them lost (FORMAT.md §9).
//! * [`stream`]: recordings of any length: the streamed layout (independent blocks, either
//!   coder), compressed and decompressed incrementally on several threads in bounded memory.
//! * [`events`]: event mode — spike events and spike-band power per channel (FORMAT.md §12),
//!   the integer detector the core implements, its stream and packets.
//! * [`near`]: bounded-error (near-lossless) coding: the quantiser of the maximum error δ,
//!   coder v1's lattice (FORMAT.md §11) and coder max's residual form (§10.11).
//! * [`fidelity`]: what a lossy decode costs: max and RMS error, error power against the
//!   recording's noise floor, and the standard threshold spike detector with event matching.
//! * [`wav`], [`grid`]: WAV parsing (a RIFF chunk walker that checks the header first) and the Neuralink 10-bit grid.
//!
//! The bitstream and container are specified in `golden-model/FORMAT.md`.

pub mod coders;
pub mod container;
/// The fuzz contract, shared by `fuzz/` and `tests/fuzz_regression.rs` (not a codec API).
#[doc(hidden)]
pub mod contract;
mod error;
pub mod events;
pub mod fidelity;
pub mod format;
pub mod grid;
mod io;
pub mod lite;
pub mod max;
pub mod near;
pub mod packet;
pub mod packet_bound;
mod params;
pub mod report;
pub mod single;
pub mod stream;
pub mod v2;
pub mod wav;

pub use coders::{Coder, CoderSpec};
pub use container::{compress_wav, compress_wav_with, decompress};
pub use error::Error;
pub use format::Mode;
pub use lite::{ChannelState, Code, Coded, Encoder};
pub use params::CodecParams;
pub use report::CompressStats;
