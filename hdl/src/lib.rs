//! # neurice-hdl — the neurice encoder core in rust-hdl
//!
//! [`EncoderCore`] implements, bit for bit, the golden model's encoder
//! (`neurice_model::Encoder`, spec in `golden-model/FORMAT.md`) for up to 1024
//! time-multiplexed channels at one sample per clock. See [`core`] for the ports, the
//! pipeline, its latency and throughput.
//!
//! [`EncoderCore2`] ([`core2`]) is the same coder with two lanes: a channel pair per clock,
//! two samples coded per clock, the same bit stream; both cores share the per-sample datapath
//! ([`lane::Lane`]).
//!
//! [`PacketCore`] ([`packetiser`]) is the 1-lane core built with restarts
//! ([`EncoderCore::with_restart`]) followed by the packetiser: the packet stream of
//! `golden-model/FORMAT.md` §9 (one group), bit-exact with `neurice_model::packet::packetise`;
//! [`packet_verilog`] emits it.
//!
//! [`events::EventCore`] ([`events`]) is event mode: the integer spike detector and
//! spike-band power of `neurice_model::events` (FORMAT.md §12) for 1024 channels, its stream
//! of 32-bit words through the same ports.
//!
//! **Bounded error** (FORMAT.md §11): the coder's maximum error `δ`
//! (`CodecParams::max_error`) is a build-time constant of every v1 core (the 1-lane, 2-lane
//! and packet cores): each sample is coded as its lattice index ([`lattice`]), so every
//! decoded sample is within `δ` of its input; for `δ = 0` the cores and their Verilog are the
//! lossless ones, byte for byte.
//!
//! [`verilog`] emits the core's Verilog for any channel count, [`verilog_lanes`] for either
//! lane count; `neurice-sim` simulates the cores (rust-hdl and Verilator) against the golden
//! model.

#[macro_use]
pub mod ports;
pub mod core;
pub mod core2;
pub mod crc;
pub mod events;
pub mod lane;
pub mod lattice;
pub mod max;
pub mod packetiser;
pub mod prims;
pub mod ram;
pub mod third;
pub mod v2;

pub use crate::core::{check_params, EncoderCore, PipelineState, Restart};
pub use crate::core2::EncoderCore2;
pub use crate::packetiser::{packet_verilog, PacketCore, PacketCore1024, PacketParams};
use neurice_model::CodecParams;
pub use ports::emit_verilog;

/// The most channels a core keeps state for (a 10-bit channel address).
pub const MAX_CHANNELS: usize = 1024;

/// The core with 1024 channels of state (10-bit channel address).
pub type Core1024 = EncoderCore<10>;

/// The 2-lane core with 1024 channels of state (512 pairs, 9-bit pair address).
pub type Core2x512 = EncoderCore2<9>;

/// Why a core cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HdlError {
    /// Valid coder parameters that this core does not implement, or invalid ones.
    #[error("{0}")]
    Params(String),
    /// A channel count outside `1..=MAX_CHANNELS`, or channel-address bits outside 1..=10.
    #[error("channel count {0} not in 1..={MAX_CHANNELS}")]
    Channels(usize),
    /// A lane count other than 1 or 2, or a channel count the 2-lane core cannot carry.
    #[error("{0}")]
    Lanes(String),
    /// A restart interval or packet size the hardware cannot carry.
    #[error("{0}")]
    Packets(String),
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

/// The core's Verilog (top module `top`) for `channels` channels of state.
pub fn verilog(p: &CodecParams, channels: usize) -> Result<String, HdlError> {
    with_address_bits!(channel_bits(channels)?, C => emit_verilog(EncoderCore::<C>::new(p)?))
}

/// Checks a lane count and the channel count it needs: `lanes` ∈ {1, 2}; with 2 lanes an
/// even channel count (every input transfer is a channel pair `(2i, 2i+1)`).
pub fn check_lanes(channels: usize, lanes: usize) -> Result<(), HdlError> {
    match lanes {
        1 => Ok(()),
        2 if channels.is_multiple_of(2) && channels >= 2 => Ok(()),
        2 => Err(HdlError::Lanes(format!(
            "the 2-lane core takes a channel pair per transfer and needs an even channel \
             count (at least 2), got {channels}"
        ))),
        _ => Err(HdlError::Lanes(format!(
            "lanes must be 1 or 2, got {lanes}"
        ))),
    }
}

/// The Verilog (top module `top`) of the core with `lanes` lanes for `channels` channels of
/// state ([`check_lanes`]); `lanes == 1` is [`verilog`].
pub fn verilog_lanes(p: &CodecParams, channels: usize, lanes: usize) -> Result<String, HdlError> {
    channel_bits(channels)?;
    check_lanes(channels, lanes)?;
    if lanes == 1 {
        return verilog(p, channels);
    }
    with_address_bits!(channel_bits(channels / 2)?, P => {
        emit_verilog(EncoderCore2::<P>::new(p)?)
    })
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
