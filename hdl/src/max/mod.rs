//! The coder-max encoder core (issue 26): coder v2's LMS front end and one multi-symbol
//! range-coder step per sample over the static probability table (FORMAT.md §10), **one sample
//! per clock** for up to 1024 time-multiplexed channels, bit-exact with
//! `neurice_model::max::encode_block`: the two substreams of every block leave as 32-bit words
//! tagged with their substream (FORMAT.md §10.10, [`neurice_model::max::Block::words`]).
//!
//! **Bounded error** (issue 27, FORMAT.md §10.11): the maximum error `δ`
//! ([`MaxParams::max_error`], 0 ..= 255 grid steps) is a design parameter. `δ = 0` is the
//! lossless core, cycle for cycle and bit for bit, and its Verilog is the lossless core's
//! byte for byte: the `δ > 0` parts are [`near::Gated`] (in no probe's view at `δ = 0`: no
//! module, instance or net) and the core's statements are folded by
//! [`crate::lattice::fold_false_flag`] (the `δ > 0` branches and the statements that drive
//! the gated parts dropped). Leaving them to yosys behind a constant was not enough (4 689
//! LCs and 46.64 MHz instead of 4 655 and 52.06): even with the constant folded in the
//! Verilog, the unread instances left in changed the mapping (`synth_ice40`: 3 894 LUT4 and
//! 890 carries against 3 856 and 881, the same flip-flops). With `δ > 0` the residual is
//! quantised around the prediction in s3 ([`near::NearQuant`]: a constant reciprocal, as
//! coder v1's [`crate::lattice`]), the
//! reconstruction `clamp(pred + q·m)` is made in s4 ([`near::NearRecon`]) and is what `A`/`N`,
//! the LMS update and the state write see: the state is written at the edge leaving s4 (one
//! clock later than losslessly), and the same-channel rule waits for s4 too. The table ROM
//! holds the table the caller passes: the built-in table of `δ` (tables 2 and 3 for δ = 1,
//! ≥ 2, [`neurice_model::max::TableSpec::for_max_error`]) on every hardware path.
//!
//! # Ports (the contract of `neurice-sim`, [`crate::ports`], plus the word's marks)
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | the only clock; every register and RAM use its rising edge |
//! | `in_valid`, `in_ready`, `in_channel[C-1:0]`, `in_sample[9:0]` | in/out | sample stream, channels round robin from 0 (sample `i` on channel `i mod channels`); a sample is taken at an edge where `in_valid && in_ready` |
//! | `flush` | in | end of the block: while high no sample is taken; once every sample taken has reached the range coder's byte stage, the coder finishes (§10.5: five byte shifts), the two substreams' last words leave marked `out_last`, and the core restarts by itself: the next sample starts a new block (its first frame raw, §10.6). With no sample taken since the last restart it does nothing (no empty block). Hold it until `idle`; held longer it does nothing more |
//! | `clear` | in | restart without output: while high no sample is taken; everything in flight and every word not yet taken is dropped and the coder restarts (one clock; no memory is cleared); drop it once `idle` is back (not together with `flush`) |
//! | `idle` | out | no sample in flight, no open block (no sample taken since the last restart), no word waiting |
//! | `out_valid`, `out_ready`, `out_word[31:0]` | out/in | word stream; a word is taken at an edge where `out_valid && out_ready`; four bytes of one substream, the first in bits `[31:24]` |
//! | `out_stream` | out | the word's substream: 0 the token substream (the range coder's bytes), 1 the raw substream |
//! | `out_last`, `out_bytes[2:0]` | out | the word is the last of its substream in the block; its valid bytes (1 ..= 4, from bit 31 down, the rest zero); `out_bytes` is 4 on every other word |
//!
//! The words of each substream come in order; the two substreams' words interleave in an
//! order of the core's own (it depends on the data, not on the timing of the handshakes only
//! through the queue below): a host (or the packetiser) splits them by `out_stream`.
//! `in_ready` depends on registers and, through the output queue's room, on `out_ready` (as
//! coder lite's core: `(!out_valid || out_ready)`-like). There is no reset: registers start at
//! zero, which is the coder's restart state (the range `R` is stored inverted, the scale as
//! `12 − e`, `pending` as `pending − 1`); the state RAM's content does not matter (a block's
//! first frame writes every channel's state, FORMAT.md §10.6).
//!
//! # Stages
//!
//! Every stage register advances together on `adv` = the output queue has room for two words
//! after this edge's pop and no long release is being expanded (s10); otherwise the whole
//! pipeline holds, so no sample, byte or bit is lost. s11 moves at every edge with room
//! (with the pipeline, and while the expander sends the rest of a long release). The **back
//! end** (s6 … s9 and s10's intake of a record) advances only on `adv` with a coded sample
//! leaving s5, or while a block ends (`flush`, the finish's phases): on a clock without a
//! coded sample it holds, so a sample waits in its stage until the next coded sample pushes
//! it on (or the block's end drains it), and the range, scale and `low` steps are not
//! recomputed from their updated state on the gaps (12-07, issue 26's power: with the stages
//! advancing on every `adv`, each recurrence's logic switched a second time after every
//! sample, at the real-time duty cycle).
//!
//! | stage | work |
//! |-------|------|
//! | accept → s0 | take `(channel, x)` and whether it is in the block's first frame (from the block's first sample up to the next sample of channel 0); s0 holds it until its channel's last state write is done (same-channel rule, below) |
//! | s0 → s1 | the state read: three [`BankedWordRam`](crate::ram::BankedWordRam)s (1024 × 32 each, 24 block RAMs in banks of 256 channels: a read or write enables only its channel's bank, two block RAMs per RAM, so six reads per sample; a write writes only the block RAMs (16-bit halves of a word) whose content the sample changes, [`StateDiff`](leaves::StateDiff): at most six writes per sample), address s0's channel |
//! | s1 | unpack ([`StateUnpack`](leaves::StateUnpack)); the four products `w_i·d_i`; the tests of `s` ([`SThermo`](leaves::SThermo)); the sub-context bits ([`ContextBits`](leaves::ContextBits)) |
//! | s2 | the prediction (sum, round, `+ prev`, clamp, `crate::v2::lms::PredictSum`); `s`, the context and `σ` ([`CtxSigma`](leaves::CtxSigma)) |
//! | s3 | `u` (zigzag), the weight and delta update (`crate::v2::lms::LmsStep`, the error's sign from comparing `x` with `pred`), `A`/`N`; the new state (or the restart state in the first frame) is written at the edge leaving s3. `δ > 0`: `u` of the quantised residual ([`NearQuant`](near::NearQuant)) and the sign of `x̂ − pred` (it is the sign of the quantised residual) only |
//! | s4 | the token and the raw field ([`Tokenise`](leaves::Tokenise)); the table address `{ctx, token}`. `δ > 0`: the reconstruction ([`NearRecon`](near::NearRecon)), s3's update on it with s3's sign (no compare after the reconstruction), the state written at the edge leaving s4 |
//! | s5 | the table read ([`TableRom`](blocks::TableRom), 3 block RAMs of which a read enables 2, registered; enabled only for a sample that is coded, not in a block's first frame nor on a clock without a sample); the top flag (`token == top(ctx)`, 16 constants); the raw field into the raw packer ([`RawPack`](leaves::RawPack)) |
//! | s6 | `f` normalised to bit 12 ([`FNorm`](leaves::FNorm)) |
//! | s7 | the range recurrence ([`RangeStep`](leaves::RangeStep)): `R → r·F + rest → R >> j`, one 7 × 13 multiply, two adds and a 3-way choice; `r·cum` beside it |
//! | s8 | the scale `e` and the step's byte shifts (0, 1, 2); `r·cum·2^e` ([`EStep`](leaves::EStep)) |
//! | s9 | `low += …` and the byte shifts with the carry, `cache` and the pending `0xFF`s ([`LowStep`](leaves::LowStep)): the released bytes as a record (head, fills, tail) |
//! | s10 | up to four of the record's bytes per clock ([`ByteGroup`](leaves::ByteGroup)); a record of more than four bytes (pending `0xFF`s released at once) holds the pipeline while the rest goes out, four per clock |
//! | s11 | the group into the token packer ([`BytePack`](leaves::BytePack)), a full word into the queue (a register stage of its own since 12-07: the grouping and the packing in one clock were the lossless core's longest path) |
//! | queue | [`OutQueue`](blocks::OutQueue): four words, up to two pushed per clock (a token word, a raw word), the head on the output ports |
//!
//! **Throughput**: one sample per clock for 4 or more channels, whatever the data, unless
//! the output is blocked, the queue fills, or a release of more than four bytes is expanded
//! (pending `0xFF` bytes: none in 24 000 samples of 8 recordings as 8 channels, and no
//! stall in 100 frames of the recordings as 1024 channels, `sim/tests/max_core.rs`). A
//! sample adds at most 30 bits (12 token bits, 18 raw bits, §10.5), so one 32-bit word per
//! clock carries even a stream of escapes. **Latency**: a sample taken at edge 0 has its raw
//! bits in the raw packer after edge 6 and its token bytes in the token packer after edge 12.
//!
//! **Same-channel rule** (few channels): a channel's state is read at the edge a sample leaves
//! s0 and written at the edge it leaves s3, so a sample waits in s0 while s1, s2 or s3 holds
//! a sample of its channel (comparators on the channel numbers; no forwarding: the LMS
//! prediction needs the weights of the last sample, a loop of three clocks). Round-robin
//! channels: 4 or more run at one sample per clock; 3, 2 and 1 channels take 4/3, 2 and 4
//! clocks per sample. With `δ > 0` the write is at the edge leaving s4 and the rule waits
//! for s4 as well: 5 or more channels run at one sample per clock, 1 channel at 5 clocks.
//!
//! **Hazards**: the state read misses no write (the rule above); the table is read only; the
//! range, scale and `low` registers are each updated in one stage (s7, s8, s9), so their
//! recurrences close in one clock each; the queue pushes only with room for two.
//!
//! Writing rules as [`crate::core`] (see the rust-hdl field notes); the datapath is in leaf
//! blocks ([`leaves`]) whose Rust and Verilog say the same thing.

pub mod blocks;
pub mod core;
pub mod leaves;
pub mod near;
pub mod packets;

use neurice_model::max::{MaxParams, Table};

pub use self::core::{MaxCore, MemAccesses};
pub use self::packets::{max_packet_verilog, MaxPacketCore, MaxPacketCore1024};
use crate::HdlError;

/// The core for 1024 channels of state (10-bit channel address).
pub type MaxCore1024 = MaxCore<10>;

/// Checks that `p` is a parameter set the max core implements: the LMS datapath's widths
/// (`W` = 10, 4 taps, weights of 9 bits with 10 fraction bits, deltas of 7 bits), and `A` in
/// 16 and `N` in 6 bits (`window_log2` = 6).
pub fn check_max_params(p: &MaxParams) -> Result<(), HdlError> {
    p.validate().map_err(|e| HdlError::Params(e.to_string()))?;
    crate::v2::lms::check_lms_params(&p.front_end())?;
    near::NearConsts::new(p.max_error)?;
    if p.window_log2 != 6 {
        return Err(HdlError::Params(format!(
            "the max core keeps A in 16 and N in 6 bits (window_log2 = 6); parameters say \
             window_log2 = {}",
            p.window_log2
        )));
    }
    Ok(())
}

/// The max core's Verilog (top module `top`) for `channels` channels of state (1 ..= 1024)
/// and the probability table `table`.
pub fn max_verilog(p: &MaxParams, table: &Table, channels: usize) -> Result<String, HdlError> {
    with_address_bits!(crate::channel_bits(channels)?, C => {
        crate::emit_verilog(MaxCore::<C>::new(p, table)?)
    })
}

#[cfg(test)]
mod tests;
