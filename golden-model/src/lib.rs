//! # neurice-model — the golden model
//!
//! The reference codec of neurice, in plain Rust with no HDL dependency: the hardware core must
//! match it bit for bit. Per channel, each 10-bit sample is predicted by the channel's previous
//! sample; the error is zigzag-mapped and coded with a Golomb code whose parameter
//! `m ∈ {1, 2, 3, 4, 6, 8, 12, …}` adapts from two counters (`A`, `N`, as in LOCO-I/JPEG-LS),
//! with a capped unary part and an escape. Codes are packed MSB-first into 32-bit words.
//!
//! * [`coder`]: the datapath (what the hardware does), streaming [`Encoder`] and decoder.
//! * [`container`]: the `.nrc` file (header, exceptions, payload, CRC-32), byte-exact WAV restore.
//! * [`v2`]: coder v2 (`max` in container version 2): sign-sign LMS + context-adaptive binary
//!   range coder; [`Coder`] chooses between the coders.
//! * [`max`]: coder max (container version 3): coder v2's front end and one multi-symbol
//!   range-coder step per sample over a static trained table (FORMAT.md §10).
//! * [`packet`]: the packet stream for a lossy radio link — segments from restart points,
//!   bounded packets with sync, sequence number, first-sample index and CRC-32, and a
//!   receiver that delivers exact samples or reports them lost (FORMAT.md §9).
//! * [`stream`]: recordings of any length: the streamed container (independent blocks, either
//!   coder), compressed and decompressed incrementally on several threads in bounded memory.
//! * [`wav`], [`grid`]: WAV parsing (a RIFF chunk walker that checks the header first) and the Neuralink 10-bit grid.
//!
//! The bitstream and container are specified in `golden-model/FORMAT.md`.

pub mod coder;
mod coder_kind;
pub mod container;
/// The fuzz contract, shared by `fuzz/` and `tests/fuzz_regression.rs` (not a codec API).
#[doc(hidden)]
pub mod contract;
mod error;
pub mod grid;
pub mod max;
pub mod packet;
mod params;
pub mod stream;
pub mod v2;
pub mod wav;

pub use coder::{ChannelState, Code, Coded, Encoder};
pub use coder_kind::Coder;
pub use container::{compress_wav, compress_wav_with, decompress, CompressStats, Mode};
pub use error::Error;
pub use params::CodecParams;
