//! # neurice-hdl — the neurice encoder core in rust-hdl
//!
//! [`EncoderCore`] implements, bit for bit, the golden model's encoder
//! (`neurice_model::Encoder`, spec in `golden-model/FORMAT.md`) for up to 1024
//! time-multiplexed channels at one sample per clock. See [`core`] for the ports, the
//! pipeline, its latency and throughput.
//!
//! [`verilog`] emits the core's Verilog for any channel count; `neurice-sim` simulates the
//! core (rust-hdl and Verilator) against the golden model.

pub mod core;
pub mod prims;
pub mod ram;
pub mod third;
pub mod v2;

pub use crate::core::{check_params, EncoderCore, PipelineState};
use neurice_model::CodecParams;
use rust_hdl::prelude::*;

/// The most channels a core keeps state for (a 10-bit channel address).
pub const MAX_CHANNELS: usize = 1024;

/// The core with 1024 channels of state (10-bit channel address).
pub type Core1024 = EncoderCore<10>;

/// Why a core cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HdlError {
    /// Valid coder parameters that this core does not implement, or invalid ones.
    #[error("{0}")]
    Params(String),
    /// A channel count outside `1..=MAX_CHANNELS`, or channel-address bits outside 1..=10.
    #[error("channel count {0} not in 1..={MAX_CHANNELS}")]
    Channels(usize),
    /// rust-hdl's structural check of the generated circuit failed.
    #[error("rust-hdl check failed: {0}")]
    Check(String),
}

/// Channel-address bits for `channels` channels (at least 1).
pub fn channel_bits(channels: usize) -> Result<usize, HdlError> {
    if !(1..=MAX_CHANNELS).contains(&channels) {
        return Err(HdlError::Channels(channels));
    }
    Ok((usize::BITS - (channels - 1).leading_zeros()).max(1) as usize)
}

fn verilog_of<const C: usize>(p: &CodecParams) -> Result<String, HdlError> {
    let mut core = EncoderCore::<C>::new(p)?;
    core.connect_all();
    check_all(&core).map_err(|e| HdlError::Check(format!("{e:?}")))?;
    Ok(generate_verilog(&core))
}

/// The core's Verilog (top module `top`) for `channels` channels of state.
pub fn verilog(p: &CodecParams, channels: usize) -> Result<String, HdlError> {
    match channel_bits(channels)? {
        1 => verilog_of::<1>(p),
        2 => verilog_of::<2>(p),
        3 => verilog_of::<3>(p),
        4 => verilog_of::<4>(p),
        5 => verilog_of::<5>(p),
        6 => verilog_of::<6>(p),
        7 => verilog_of::<7>(p),
        8 => verilog_of::<8>(p),
        9 => verilog_of::<9>(p),
        _ => verilog_of::<10>(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_bits_cover_the_range() {
        assert_eq!(channel_bits(1), Ok(1));
        assert_eq!(channel_bits(2), Ok(1));
        assert_eq!(channel_bits(3), Ok(2));
        assert_eq!(channel_bits(16), Ok(4));
        assert_eq!(channel_bits(17), Ok(5));
        assert_eq!(channel_bits(1024), Ok(10));
        assert!(channel_bits(0).is_err());
        assert!(channel_bits(1025).is_err());
    }
}
