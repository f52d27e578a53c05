//! Coder v2 (`max`) in hardware: the v2 core ([`core`]: channel-state RAM, context table,
//! one range coder, about one operation per clock; bit-exact with `v2::encode_block`,
//! `sim/tests/v2_core.rs`) and the blocks it is built from, each checked against the golden
//! model's `neurice_model::v2` in rust-hdl's simulator and as Verilog under Verilator
//! (`sim/tests/v2_lms.rs`, `v2_binarise.rs`, `v2_range.rs`): the LMS stage ([`lms`],
//! combinational; [`lms_pipe`], the same as a 3-stage pipeline, one sample per clock), the
//! binarisation as a bin sequencer ([`binarise`]: one range-coder operation per clock, with
//! context indices) and the range encoder in four stages ([`range_fast`], one operation per
//! clock). FORMAT.md §7.8 has the measured limits that a real-time core must meet. (Two
//! units that only tests used are gone: the unpipelined range encoder, measured in §7.8, and
//! the carry-less encoder of the multi-coder draft, §7.10; both are in the history before
//! 2026-12-06.)

pub mod binarise;
pub mod core;
pub mod lms;
pub mod lms_pipe;
pub mod range_fast;
