//! Event mode in hardware (FORMAT.md §12): [`core::EventCore`] runs the integer detector of
//! `neurice_model::events` for 1024 time-multiplexed channels at one sample per clock and
//! emits the event stream's words; [`ram::EventRam`] holds the per-channel state;
//! [`arith`] the arithmetic leaves. [`event_verilog`] emits the core.

pub mod arith;
pub mod core;
pub mod ram;

pub use self::core::{check_event_params, EventCore, EventCore1024};
use crate::HdlError;
use neurice_model::events::EventParams;
use rust_hdl::prelude::*;

fn verilog_of<const C: usize>(p: &EventParams) -> Result<String, HdlError> {
    let mut core = EventCore::<C>::new(p)?;
    core.connect_all();
    check_all(&core).map_err(|e| HdlError::Check(format!("{e:?}")))?;
    Ok(generate_verilog(&core))
}

/// The event core's Verilog (top module `top`) for the channels of `p`.
pub fn event_verilog(p: &EventParams) -> Result<String, HdlError> {
    match crate::channel_bits(p.channels as usize)? {
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
