//! Coder v2's LMS front end in hardware ([`lms`]: the prediction sum and the weight and delta
//! update, combinational, bit-exact with `neurice_model::v2::predict` and `update`;
//! `sim/tests/v2_lms.rs` checks them as Verilog under Verilator). Coder max's core
//! (`crate::max`) is built on these blocks.
//!
//! Coder v2's own hardware core is retired (issue 26, 12-07): coder max's real-time core
//! supersedes it ([`CORE_RETIRED`]). The v2 core (`core.rs`: channel-state RAM, context table,
//! one range coder, one operation per clock, a sample every ~4.4-4.6 clocks) and the blocks only it used (the
//! bin sequencer `binarise.rs`, the 4-stage range encoder `range_fast.rs`, the 3-stage LMS
//! pipeline `lms_pipe.rs`) are in the history before the commit that retired them; FORMAT.md
//! §7.8 keeps their measured limits. Coder v2's model (`neurice_model::v2`) stays: its
//! streams keep decoding.

pub mod lms;

/// Why a hardware command refuses coder v2 (`--coder v2` on `sim`, `verilog`, `synth`,
/// `power`, `bitstream`, `flow`): its core is retired and coder max's is its successor.
pub const CORE_RETIRED: &str = "coder v2's hardware core is retired (issue 26): coder max \
     (--coder max) is its successor, the real-time core on the board; coder v2's model stays \
     for its streams (`neurice compress|eval|decompress --coder v2`)";
