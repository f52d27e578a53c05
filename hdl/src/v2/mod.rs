//! Coder v2 (`max`) in hardware: the building blocks of the v2 core (issue 12), each checked
//! against the golden model's `neurice_model::v2` in rust-hdl's simulator and as Verilog
//! under Verilator (`sim/tests/v2_lms.rs`, `sim/tests/v2_range.rs`). So far: the LMS stage
//! ([`lms`], combinational; [`lms_pipe`], the same as a 3-stage pipeline, one sample per
//! clock), the binarisation as a bin sequencer ([`binarise`]: one range-coder operation per
//! clock, with context indices), one range encoder ([`range`]), the same pipelined in four
//! stages ([`range_fast`], one operation per clock at 2.6 times the speed; not yet in the
//! core) and the carry-less range encoder of the multi-coder draft ([`carryless`], FORMAT.md
//! §7.10), and the first complete core built from them ([`core`]: channel-state RAM, context
//! table, one range coder, about one operation per clock; bit-exact with `v2::encode_block`,
//! `sim/tests/v2_core.rs`). FORMAT.md §7.8 has the measured limits that a real-time core must
//! meet.

pub mod binarise;
pub mod carryless;
pub mod core;
pub mod lms;
pub mod lms_pipe;
pub mod range;
pub mod range_fast;
