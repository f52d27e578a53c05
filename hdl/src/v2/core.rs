//! The first complete coder-v2 (`max`) encoder core (issue 12): the channel-state RAM, the
//! LMS prediction, the zigzag and `s` selection, the bin sequencer, the context table, one
//! §7.5 range encoder and the byte output, bit-exact with
//! `neurice_model::v2::encode_block(&V2Params::HARDWARE, channels, samples, ..)`: the words
//! carry exactly the block's bytes (FORMAT.md §7.5, §7.7). The range coder is the pipelined
//! [`RangeFastUnit`] (one operation per clock, no stall, 41.3 MHz alone on the HX8K,
//! FORMAT.md §7.8); its bytes leave through a record FIFO while the next operations are
//! coded, so the core codes one range-coder operation per clock.
//!
//! # Ports (the contract of `neurice-sim`, as [`crate::core`] plus `out_bytes`)
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | the only clock; every register and RAM use its rising edge |
//! | `in_valid`, `in_ready`, `in_channel[C-1:0]`, `in_sample[9:0]` | in/out | sample stream; a sample is taken at an edge where `in_valid && in_ready` |
//! | `flush` | in | end of the block: while high no sample is taken; once every sample taken has been coded the range coder finishes (§7.5 Finish), all bytes go out, the last word has `out_last`; then the core restarts all adaptive state by itself (below). With no sample taken since the last restart it does nothing (no empty block). Hold it until `idle`; held longer it does nothing more |
//! | `clear` | in | restart without output: while high no sample is taken; the samples in flight finish their state writes, their operations and every pending byte and word (also a word on `out_word` not yet taken) are dropped, then the restart walk runs; `idle` is low until it is done; drop `clear` once `idle` is back (not together with `flush`) |
//! | `idle` | out | no sample in flight, no open block (no sample taken since the last restart), no byte or word waiting, not restarting or clearing |
//! | `out_valid`, `out_ready`, `out_word[31:0]` | out/in | word stream; a word is taken at an edge where `out_valid && out_ready`; four consecutive block bytes, the first in bits `[31:24]` |
//! | `out_last`, `out_bytes[2:0]` | out | the word is the block's last; its valid bytes (1 ..= 4, from bit 31 down, the rest zero); `out_bytes` is 4 on every other word |
//!
//! `in_ready` is combinational: `!flush && !clear && (the core is coding, not finishing or
//! restarting) && (no sample in the front end) && (the handoff register is empty or the
//! sequencer takes it at this edge)`; the last term depends on the coder stage, so on
//! registers only (never on `in_valid` or `out_ready`). There is no reset: registers start
//! at zero and the RAMs at zero words, which is the restart state (every channel's state packs
//! to zero, FORMAT.md §7.2; a context is stored as `p XOR 2048`; the range encoder unit keeps
//! its restart values as zero registers: `range` is stored inverted). `out_valid` and `out_word` come from registers.
//!
//! **Restart** (after a flush's last word has been taken, and for `clear`): a walk of
//! `max(2^C, 256)` clocks writes zero words into the three state RAMs at every channel and
//! into the context table at every context, and holds the range encoder unit's `clear`; so
//! the next sample starts a new block from the restart values of every piece of adaptive
//! state (§7.7). A flush therefore takes: the operations still queued, three finish
//! operations, the unit's and the FIFO's latency, the bytes still queued, one clock for the
//! last word, the clocks until it is taken, one clock, then the walk: for a 1024-channel core
//! about 1 040 clocks plus the drain (measured under Verilator: 1 061 with no backpressure).
//!
//! # Stages
//!
//! | stage | registers | work |
//! |-------|-----------|------|
//! | accept | `fe_*` | take `(channel, x)`; the channel is the read address of the state RAMs (three [`WordRam`]s, the 96-bit word of §7.2 from the top), read only at the accept edge (`read_enable`; not banked: banks of 256 channels, as v1's state RAM, would enable 6 of the 24 block RAMs per access instead of all 24, but their read multiplexer lies on the front end's critical path: measured 22.75 MHz and 7 007 LCs banked against 26.28 MHz and 6 807 LCs, seed 1, `v2_blocks_synth … v2core`) |
//! | front end | `ho_*` | unpack (weights stored as `(w − ω) mod 2^9`), [`LmsUnit`] (`pred`, next deltas and weights), the zigzag `u` (§7.3), `s` from `A`, `N` ([`SelectS`], §3.3), the `A`/`N` update (§3.5); the new state is written back and `(u, s)` goes to the handoff register at the same edge |
//! | sequencer | [`BinSequencer`] | the sample's operations, one per clock while `op_ready`, with their context index |
//! | coder | `cs_*`, `fw_*` | the context table ([`SmallRam`], 256 × 12, `p XOR 2048`) is read at the edge an operation enters the stage; `p` = the last bin's new `p` when it had the same context (forwarding), else the table's word; held in `cs_p` while the operation waits; the operation leaves (into `u_*`) when the record FIFO has room for it (the credit, below); a bin writes `adapt(p, bin)` back and into `fw_*` as it leaves |
//! | unit input | `u_*` | the operation and its `p`, registered, so that the unit's bin step starts from a register |
//! | range encoder | [`RangeFastUnit`] | stages A, M1, M2, B; the operation's up to two run-length records on `rec_*` for one clock, [`LATENCY`] clocks after it was taken |
//! | record FIFO | `f_*` | `FIFO` = 16 entries (header byte present, byte, fill is `0x00`, fill count); both records of a clock are pushed at the edge that ends it (a record with nothing to send — the dropped first byte and no fills — is not stored) |
//! | expander | `e_*` | the record being sent, one byte per clock (`rec_skip` dropped the very first byte of the block); the next record is loaded from the FIFO when it is empty or sends its last byte |
//! | packer, output | `pk_*`, `out_*` | four bytes per word, first at `[31:24]`; a full word moves to the output register only when the next byte arrives or at the finish, so the last word can be marked |
//!
//! **Credit.** The unit cannot stall, so an operation leaves the coder stage only when the
//! FIFO can take the records of every operation in flight and its own: `infl` counts the
//! operations between the coder stage and the FIFO (`fl`, a delay line of `IN_FLIGHT` =
//! `LATENCY + 2` clocks: the unit's input register, the unit, the clock its records are
//! shown), each may release two records, so the condition is `f_n + 2·infl + 2 ≤ FIFO` (pops
//! are not counted). With 16 entries the coder stage runs at full rate while `f_n ≤ 4`.
//!
//! **Latency** (nothing waiting; read off a trace, `V2CORE_TRACE=1`): a sample taken at edge
//! `e` is in the handoff register after `e + 1`, in the sequencer after `e + 2`, its first
//! operation is on the sequencer's outputs after `e + 3`, enters the coder stage at `e + 4`
//! and leaves it at `e + 5` at the earliest (into the unit's input register); the unit takes
//! it at `e + 6`, its records are shown in the clock after `e + 9` and pushed into the FIFO at
//! `e + 10`, the first record is loaded into the expander at `e + 11` and its first byte
//! reaches the packer at `e + 12`.
//!
//! **Throughput**: the coder stage passes one operation per clock; bytes go out one per
//! clock in parallel (the blocks have about 0.6 bytes per sample, against 4.5 operations), so
//! the coder stage waits only when the FIFO is short of room (bursts of released records, or
//! `out_ready` low). While the front end keeps up, the clocks of a block are `ops + 3 +
//! single + walk` plus the pipeline fill, the end (the finish's records through the unit and
//! the FIFO, the queued bytes, the last word) and the waits for room; `single` are the samples
//! of one operation (a zero magnitude at `m = 1`), which cost two clocks as the front end
//! takes a sample every two clocks at most. Measured on recordings (3 recordings × 5 000
//! samples as 3 channels, no gaps, no backpressure,
//! `cargo test --release -p neurice-sim --test v2_core -- rusthdl_throughput --nocapture`):
//! 68 175 clocks for 67 898 operations (8 869 of them releasing 8 915 bytes), no samples of
//! one operation and a 256-clock walk — 18 clocks over `ops + 3 + walk`, within the bound the
//! test asserts (`ops + 3 + single + walk + 24`) — i.e. **4.545 clocks per sample** (4.53
//! operations per sample; 5.73 with the unpipelined `RangeEncoderUnit`, which waited for
//! every byte). The 1024-channel core runs at 26.28 MHz on the HX8K (6 807 LCs, 25 block
//! RAMs, FORMAT.md §7.8; before: 17.47 MHz, 4 900 LCs): about 5.8 M samples/s. The critical
//! path is now the front end (state RAM → unpack → LMS → pack → state RAM write).
//!
//! **Hazards, and why they are safe**:
//! * State RAM read-modify-write: a sample's state is read at its accept edge and written one
//!   edge later; the next sample is taken two edges after the last at the earliest (the front
//!   end holds `in_ready` low while it holds a sample), so its read sees the write, also for
//!   one channel back to back. No forwarding, no channel comparison.
//! * Context table: an operation's read at the edge it enters the stage misses the write of
//!   the operation leaving at that same edge (the RAM returns the old word); the forwarding
//!   register holds exactly that write. Older writes are in the RAM. The forwarded value is
//!   always the newest `p` of its context, so using it whenever the context matches is right.
//!   This holds at one operation per clock: two bins of one context back to back, the second
//!   enters as the first leaves and reads `fw_p`, the first's `adapt()` result; `p` is fixed
//!   at the stage's first clock (`cs_first`) and held while the operation waits, when no
//!   other operation can leave. `p` and the adaptation are taken before the unit's input
//!   register, so the unit's pipeline does not delay them.
//! * Records: the unit shows records for one clock and cannot be stopped; the credit
//!   reserves two FIFO entries for every operation from the edge it leaves the coder stage to
//!   the edge its records are pushed, so the FIFO never overflows and no record is lost.
//! * Finish: the three finish operations (op 2, op 2, op 3) go through the coder stage and the
//!   credit like any other; the last word is made only when the coder stage is empty, no
//!   operation is in flight (`infl = 0`), the FIFO and the expander are empty and the output
//!   register is free.
//! * `clear` and the walk: while draining and walking nothing leaves the coder stage, no
//!   record is pushed, and the FIFO, the expander and the packer are emptied; the operations
//!   still in the unit show their records within `IN_FLIGHT` clocks, inside the walk
//!   (≥ 256 clocks), and are dropped. The unit's `clear` is held through the walk, so the
//!   first operation after it starts from the restart state.
//! * Output: the expander moves a byte only when the packer can take it (`pk_cnt < 4`, or the
//!   output register is free or being taken), so `out_ready` low holds everything back (the
//!   FIFO fills, the credit stops the coder stage, the sequencer and the front end wait).
//!
//! Writing rules as [`crate::core`] (see the rust-hdl field notes): every intermediate value
//! in its own sized signal, sized constants, nested `if`s for compound conditions.

use neurice_model::lite::m_value;
use neurice_model::v2::V2Params;
use rust_hdl::prelude::*;

use super::binarise::{check_bin_params, BinSequencer, TAG_BITS};
use super::lms::{check_lms_params, LmsUnit, DELTA_BITS, TAPS, WEIGHT_BITS};
use super::range_fast::{RangeFastUnit, LATENCY, OP_BIN, OP_SHIFT1, OP_SHIFT2, SHIFTS};
use crate::prims::ShiftRight;
use crate::ram::WordRam;
use crate::HdlError;

/// Sample width `W`.
pub const W: usize = 10;

/// Checks that `p` is a parameter set the v2 core implements: the LMS datapath's widths
/// ([`check_lms_params`]), the sequencer's `W`, `Q` and context count ([`check_bin_params`]),
/// and the 32-bit `(prev, A, N)` word of v1 (`window_log2` = 6).
pub fn check_v2_params(p: &V2Params) -> Result<(), HdlError> {
    check_lms_params(p)?;
    check_bin_params(p)?;
    if p.golomb.window_log2 != 6 {
        return Err(HdlError::Params(format!(
            "the v2 core keeps A in 16 and N in 6 bits (window_log2 = 6); parameters say \
             window_log2 = {}",
            p.golomb.window_log2
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Leaf blocks
// ---------------------------------------------------------------------------------------

/// The 96-bit channel state (FORMAT.md §7.2) from the three RAM words (`hi` = bits 95..64):
/// `prev`, `A`, `N`, the deltas `d0..d3` and the weights `w0..w3` (stored offset by `ω`).
/// A leaf: the packing is wiring (and four 9-bit adds) in the Verilog.
#[derive(LogicBlock)]
pub struct StateUnpack {
    pub hi: Signal<In, Bits<32>>,
    pub mid: Signal<In, Bits<32>>,
    pub lo: Signal<In, Bits<32>>,
    pub prev: Signal<Out, Bits<10>>,
    pub a: Signal<Out, Bits<16>>,
    pub n: Signal<Out, Bits<6>>,
    pub d0: Signal<Out, Bits<DELTA_BITS>>,
    pub d1: Signal<Out, Bits<DELTA_BITS>>,
    pub d2: Signal<Out, Bits<DELTA_BITS>>,
    pub d3: Signal<Out, Bits<DELTA_BITS>>,
    pub w0: Signal<Out, Bits<WEIGHT_BITS>>,
    pub w1: Signal<Out, Bits<WEIGHT_BITS>>,
    pub w2: Signal<Out, Bits<WEIGHT_BITS>>,
    pub w3: Signal<Out, Bits<WEIGHT_BITS>>,
    _omega: [u64; TAPS],
}

fn omega_bits(p: &V2Params) -> [u64; TAPS] {
    std::array::from_fn(|i| (p.init_weights[i] as i64 as u64) & ((1 << WEIGHT_BITS) - 1))
}

impl StateUnpack {
    fn new(p: &V2Params) -> Self {
        StateUnpack {
            hi: Default::default(),
            mid: Default::default(),
            lo: Default::default(),
            prev: Default::default(),
            a: Default::default(),
            n: Default::default(),
            d0: Default::default(),
            d1: Default::default(),
            d2: Default::default(),
            d3: Default::default(),
            w0: Default::default(),
            w1: Default::default(),
            w2: Default::default(),
            w3: Default::default(),
            _omega: omega_bits(p),
        }
    }
}

impl Logic for StateUnpack {
    fn update(&mut self) {
        let hi = self.hi.val().to_u64();
        let mid = self.mid.val().to_u64();
        let lo = self.lo.val().to_u64();
        let m9 = (1u64 << WEIGHT_BITS) - 1;
        let m7 = (1u64 << DELTA_BITS) - 1;
        self.prev.next = (((hi >> 22) & 0x3FF) ^ 0x200).into();
        self.a.next = ((hi >> 6) & 0xFFFF).into();
        self.n.next = (hi & 0x3F).into();
        self.d0.next = ((mid >> 25) & m7).into();
        self.d1.next = ((mid >> 18) & m7).into();
        self.d2.next = ((mid >> 11) & m7).into();
        self.d3.next = ((mid >> 4) & m7).into();
        let s0 = ((mid & 0xF) << 5) | (lo >> 27);
        self.w0.next = ((s0 + self._omega[0]) & m9).into();
        self.w1.next = ((((lo >> 18) & m9) + self._omega[1]) & m9).into();
        self.w2.next = ((((lo >> 9) & m9) + self._omega[2]) & m9).into();
        self.w3.next = (((lo & m9) + self._omega[3]) & m9).into();
    }

    fn connect(&mut self) {
        self.prev.connect();
        self.a.connect();
        self.n.connect();
        self.d0.connect();
        self.d1.connect();
        self.d2.connect();
        self.d3.connect();
        self.w0.connect();
        self.w1.connect();
        self.w2.connect();
        self.w3.connect();
    }

    fn hdl(&self) -> Verilog {
        let o = self._omega;
        Verilog::Custom(format!(
            "always @(*) begin\n   prev = hi[31:22] ^ 10'h200;\n   a = hi[21:6];\n   n = hi[5:0];\n   \
             d0 = mid[31:25];\n   d1 = mid[24:18];\n   d2 = mid[17:11];\n   d3 = mid[10:4];\n   \
             w0 = {{mid[3:0], lo[31:27]}} + 9'd{};\n   w1 = lo[26:18] + 9'd{};\n   \
             w2 = lo[17:9] + 9'd{};\n   w3 = lo[8:0] + 9'd{};\nend\n",
            o[0], o[1], o[2], o[3]
        ))
    }
}

/// The inverse of [`StateUnpack`]: the three RAM words of a state.
#[derive(LogicBlock)]
pub struct StatePack {
    pub prev: Signal<In, Bits<10>>,
    pub a: Signal<In, Bits<16>>,
    pub n: Signal<In, Bits<6>>,
    pub d0: Signal<In, Bits<DELTA_BITS>>,
    pub d1: Signal<In, Bits<DELTA_BITS>>,
    pub d2: Signal<In, Bits<DELTA_BITS>>,
    pub d3: Signal<In, Bits<DELTA_BITS>>,
    pub w0: Signal<In, Bits<WEIGHT_BITS>>,
    pub w1: Signal<In, Bits<WEIGHT_BITS>>,
    pub w2: Signal<In, Bits<WEIGHT_BITS>>,
    pub w3: Signal<In, Bits<WEIGHT_BITS>>,
    pub hi: Signal<Out, Bits<32>>,
    pub mid: Signal<Out, Bits<32>>,
    pub lo: Signal<Out, Bits<32>>,
    _omega: [u64; TAPS],
}

impl StatePack {
    fn new(p: &V2Params) -> Self {
        StatePack {
            prev: Default::default(),
            a: Default::default(),
            n: Default::default(),
            d0: Default::default(),
            d1: Default::default(),
            d2: Default::default(),
            d3: Default::default(),
            w0: Default::default(),
            w1: Default::default(),
            w2: Default::default(),
            w3: Default::default(),
            hi: Default::default(),
            mid: Default::default(),
            lo: Default::default(),
            _omega: omega_bits(p),
        }
    }
}

impl Logic for StatePack {
    fn update(&mut self) {
        let m9 = (1u64 << WEIGHT_BITS) - 1;
        let off = |w: u64, o: u64| (w + (1 << WEIGHT_BITS) - o) & m9;
        let s0 = off(self.w0.val().to_u64(), self._omega[0]);
        let s1 = off(self.w1.val().to_u64(), self._omega[1]);
        let s2 = off(self.w2.val().to_u64(), self._omega[2]);
        let s3 = off(self.w3.val().to_u64(), self._omega[3]);
        let hi = ((self.prev.val().to_u64() ^ 0x200) << 22)
            | (self.a.val().to_u64() << 6)
            | self.n.val().to_u64();
        let mid = (self.d0.val().to_u64() << 25)
            | (self.d1.val().to_u64() << 18)
            | (self.d2.val().to_u64() << 11)
            | (self.d3.val().to_u64() << 4)
            | (s0 >> 5);
        let lo = ((s0 & 0x1F) << 27) | (s1 << 18) | (s2 << 9) | s3;
        self.hi.next = hi.into();
        self.mid.next = mid.into();
        self.lo.next = lo.into();
    }

    fn connect(&mut self) {
        self.hi.connect();
        self.mid.connect();
        self.lo.connect();
    }

    fn hdl(&self) -> Verilog {
        let o = self._omega;
        Verilog::Custom(format!(
            "reg [8:0] s0;\nreg [8:0] s1;\nreg [8:0] s2;\nreg [8:0] s3;\n\
             always @(*) begin\n   s0 = w0 - 9'd{};\n   s1 = w1 - 9'd{};\n   s2 = w2 - 9'd{};\n   \
             s3 = w3 - 9'd{};\n   hi = {{prev ^ 10'h200, a, n}};\n   mid = {{d0, d1, d2, d3, s0[8:5]}};\n   \
             lo = {{s0[4:0], s1, s2, s3}};\nend\n",
            o[0], o[1], o[2], o[3]
        ))
    }
}

/// The code index `s` of §3.3 from `A` (16 bits) and `N` (6 bits): the smallest `s` with
/// `N·m(s)·2^h ≥ c·A`, else `2W − 2`. A leaf: a chain of comparisons against constant
/// multiples, written the same way in the simulation and the Verilog (the unit test checks
/// the simulation against `neurice_model::lite::select_s` for every `A < 2^16`, `N < 64`;
/// the Verilog is checked through the core under Verilator).
#[derive(LogicBlock)]
pub struct SelectS {
    pub a: Signal<In, Bits<16>>,
    pub n: Signal<In, Bits<6>>,
    pub s: Signal<Out, Bits<5>>,
    _thr_num: u64,
    _scale: u64,
    _s_max: u32,
}

impl SelectS {
    /// The block for the threshold `thr_num / 2^thr_shift` of `p`.
    pub fn new(p: &V2Params) -> Self {
        SelectS {
            a: Default::default(),
            n: Default::default(),
            s: Default::default(),
            _thr_num: p.golomb.thr_num as u64,
            _scale: 1 << p.golomb.thr_shift,
            _s_max: p.golomb.s_max(),
        }
    }
}

impl Logic for SelectS {
    fn update(&mut self) {
        let t = self.a.val().to_u64() * self._thr_num;
        let b = self.n.val().to_u64() * self._scale;
        let mut s = self._s_max;
        for k in (0..self._s_max).rev() {
            if b * m_value(k) as u64 >= t {
                s = k;
            }
        }
        self.s.next = (s as u64).into();
    }

    fn connect(&mut self) {
        self.s.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut v = format!(
            "reg [31:0] t;\nreg [31:0] b;\nalways @(*) begin\n   t = {{16'd0, a}} * 32'd{};\n   \
             b = {{26'd0, n}} * 32'd{};\n   s = 5'd{};\n",
            self._thr_num, self._scale, self._s_max
        );
        for k in (0..self._s_max).rev() {
            v.push_str(&format!(
                "   if ((b * 32'd{}) >= t) s = 5'd{k};\n",
                m_value(k)
            ));
        }
        v.push_str("end\n");
        Verilog::Custom(v)
    }
}

/// A memory of `2^N` words of `D` bits: one read and one write port on one clock, the read
/// registered on every edge, zero-initialised, `(* no_rw_check *)` (the core never uses the
/// word read at an edge that writes the same address: it forwards). A read of the address
/// being written returns the old word.
#[derive(LogicBlock)]
pub struct SmallRam<const N: usize, const D: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<N>>,
    pub read_data: Signal<Out, Bits<D>>,
    pub write_address: Signal<In, Bits<N>>,
    pub write_data: Signal<In, Bits<D>>,
    pub write_enable: Signal<In, Bit>,
    _mem: Vec<u64>,
}

impl<const N: usize, const D: usize> Default for SmallRam<N, D> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            _mem: vec![0; 1 << N],
        }
    }
}

impl<const N: usize, const D: usize> SmallRam<N, D> {
    /// The word at `address` (for testbenches).
    pub fn peek(&self, address: usize) -> u64 {
        self._mem[address]
    }
}

impl<const N: usize, const D: usize> Logic for SmallRam<N, D> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.read_data.next = self._mem[self.read_address.val().index()].into();
            if self.write_enable.val() {
                self._mem[self.write_address.val().index()] = self.write_data.val().to_u64();
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        let last = (1usize << N) - 1;
        let msb = D - 1;
        Verilog::Custom(format!(
            "(* no_rw_check *)\nreg [{msb}:0] mem [0:{last}];\nreg [{msb}:0] word;\ninteger i;\n\
             initial begin\n   for (i = 0; i <= {last}; i = i + 1) mem[i] = {D}'d0;\n   word = {D}'d0;\nend\n\n\
             always @(posedge clock) begin\n   word <= mem[read_address];\n   \
             if (write_enable) mem[write_address] <= write_data;\nend\n\n\
             always @(*) read_data = word;\n"
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![]
    }
}

/// `word = {b0, b1, b2, b3}` (b0 in bits 31..24): a leaf, so the simulation needs no shifts.
#[derive(LogicBlock, Default)]
pub struct Concat4 {
    pub b0: Signal<In, Bits<8>>,
    pub b1: Signal<In, Bits<8>>,
    pub b2: Signal<In, Bits<8>>,
    pub b3: Signal<In, Bits<8>>,
    pub word: Signal<Out, Bits<32>>,
}

impl Logic for Concat4 {
    fn update(&mut self) {
        let w = (self.b0.val().to_u64() << 24)
            | (self.b1.val().to_u64() << 16)
            | (self.b2.val().to_u64() << 8)
            | self.b3.val().to_u64();
        self.word.next = w.into();
    }

    fn connect(&mut self) {
        self.word.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) begin\n   word = {b0, b1, b2, b3};\nend\n".into())
    }
}

// ---------------------------------------------------------------------------------------
// The core
// ---------------------------------------------------------------------------------------

/// Phases of the control (`ph`).
const PH_RUN: u64 = 0;
const PH_FIN2A: u64 = 1;
const PH_FIN2B: u64 = 2;
const PH_LAST: u64 = 3;
const PH_OUT: u64 = 4;
const PH_WALK: u64 = 5;
const PH_DRAIN: u64 = 6;
const PH_FIN1: u64 = 7;

/// Entries of the record FIFO between the range encoder unit and the byte expander.
const FIFO: usize = 16;
/// Operations in flight: from the edge an operation leaves the coder stage (into the unit's
/// input register) to the edge its records are pushed into the FIFO.
const IN_FLIGHT: usize = LATENCY + 2;
// the FIFO's 4-bit pointers and the five-stage delay line `fl` are written out for these
const _: () = assert!(FIFO == 16 && IN_FLIGHT == 5);

/// Width of the restart walk's counter (up to 1024 entries).
const WALK_BITS: usize = 10;

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

crate::core_struct! {
    /// The coder-v2 encoder core for `2^C` channels (see the module documentation).
    pub struct V2Core<const C: usize> {
        inputs: one_lane,
        pub out_last: Signal<Out, Bit>,
        pub out_bytes: Signal<Out, Bits<3>>,

        // ---- constants ----
        k_ph: [Constant<Bits<3>>; 8],
        k_zero3: Constant<Bits<3>>,
        k_one3: Constant<Bits<3>>,
        k_four3: Constant<Bits<3>>,
        k_idx3: [Constant<Bits<3>>; 4],
        k_zero8: Constant<Bits<8>>,
        k_zero10: Constant<Bits<10>>,
        k_ones10: Constant<Bits<10>>,
        k_zero12: Constant<Bits<12>>,
        k_p_flip: Constant<Bits<12>>,
        k_shift: Constant<Bits<4>>,
        k_one17: Constant<Bits<17>>,
        k_zero17: Constant<Bits<17>>,
        k_n_last: Constant<Bits<6>>,
        k_n_half: Constant<Bits<6>>,
        k_one6: Constant<Bits<6>>,
        k_zero32: Constant<Bits<32>>,
        k_one32: Constant<Bits<32>>,
        k_walk_one: Constant<Bits<WALK_BITS>>,
        k_walk_zero: Constant<Bits<WALK_BITS>>,
        k_walk_last: Constant<Bits<WALK_BITS>>,
        k_op_bin: Constant<Bits<2>>,
        k_op_shift1: Constant<Bits<2>>,
        k_idx4: [Constant<Bits<4>>; FIFO],
        k_one4: Constant<Bits<4>>,
        k_two4: Constant<Bits<4>>,
        k_zero4: Constant<Bits<4>>,
        k_zero5: Constant<Bits<5>>,
        k_one5: Constant<Bits<5>>,
        k_two5: Constant<Bits<5>>,
        k_one3i: Constant<Bits<3>>,
        k_room: Constant<Bits<6>>,
        k_ff8: Constant<Bits<8>>,
        k_op_shift2: Constant<Bits<2>>,

        // ---- control ----
        ph: DFF<Bits<3>>,
        open: DFF<Bit>,
        walk: DFF<Bits<WALK_BITS>>,
        clr_act: DFF<Bit>,
        clr_spent: DFF<Bit>,
        in_run: Signal<Local, Bit>,
        in_walk: Signal<Local, Bit>,
        in_drain: Signal<Local, Bit>,
        kill: Signal<Local, Bit>,
        upstream_busy: Signal<Local, Bit>,
        clr_new: Signal<Local, Bit>,
        accept: Signal<Local, Bit>,
        ho_room: Signal<Local, Bit>,
        walk_end: Signal<Local, Bit>,
        idle_core: Signal<Local, Bit>,

        // ---- accept and front end ----
        ram_hi: WordRam<C>,
        ram_mid: WordRam<C>,
        ram_lo: WordRam<C>,
        unpack: StateUnpack,
        pack: StatePack,
        lms: LmsUnit,
        sel: SelectS,
        fe_valid: DFF<Bit>,
        fe_ch: DFF<Bits<C>>,
        fe_x: DFF<Bits<10>>,
        fe_d: Signal<Local, Bits<10>>,
        fe_d2: Signal<Local, Bits<10>>,
        fe_sign: Signal<Local, Bits<10>>,
        fe_u: Signal<Local, Bits<10>>,
        fe_full: Signal<Local, Bit>,
        fe_round: Signal<Local, Bits<17>>,
        fe_asum: Signal<Local, Bits<17>>,
        fe_a_new: Signal<Local, Bits<16>>,
        fe_n_new: Signal<Local, Bits<6>>,

        // ---- handoff to the sequencer ----
        ho_valid: DFF<Bit>,
        ho_ch: DFF<Bits<C>>,
        ho_u: DFF<Bits<10>>,
        ho_s: DFF<Bits<5>>,
        seq: BinSequencer,

        // ---- coder stage ----
        ctx_ram: SmallRam<8, 12>,
        cs_valid: DFF<Bit>,
        cs_op: DFF<Bits<2>>,
        cs_ctx: DFF<Bits<8>>,
        cs_bin: DFF<Bit>,
        cs_v: DFF<Bits<16>>,
        cs_n: DFF<Bits<5>>,
        cs_first: DFF<Bit>,
        cs_p: DFF<Bits<12>>,
        fw_valid: DFF<Bit>,
        fw_ctx: DFF<Bits<8>>,
        fw_p: DFF<Bits<12>>,
        p_ram: Signal<Local, Bits<12>>,
        fw_hit: Signal<Local, Bit>,
        p_first: Signal<Local, Bits<12>>,
        p_use: Signal<Local, Bits<12>>,
        p_neg: Signal<Local, Bits<12>>,
        sh_down: ShiftRight<12, 4>,
        sh_up: ShiftRight<12, 4>,
        p_new: Signal<Local, Bits<12>>,
        cs_is_bin: Signal<Local, Bit>,
        cs_done: Signal<Local, Bit>,
        slot_free: Signal<Local, Bit>,
        take_seq: Signal<Local, Bit>,
        fin_issue: Signal<Local, Bit>,
        // credit: the FIFO has room for two records of every operation in flight and this one
        infl: DFF<Bits<3>>,
        fl: [DFF<Bit>; IN_FLIGHT],
        need_n: Signal<Local, Bits<6>>,
        need_i: Signal<Local, Bits<6>>,
        need: Signal<Local, Bits<6>>,
        room: Signal<Local, Bit>,

        // ---- the unit's input register and the unit ----
        u_valid: DFF<Bit>,
        u_op: DFF<Bits<2>>,
        u_p: DFF<Bits<12>>,
        u_bin: DFF<Bit>,
        u_v: DFF<Bits<16>>,
        u_n: DFF<Bits<5>>,
        unit: RangeFastUnit,

        // ---- record FIFO (byte, fill is 0x00, fill count, header byte present) ----
        f_hdr: [DFF<Bit>; FIFO],
        f_byte: [DFF<Bits<8>>; FIFO],
        f_fz: [DFF<Bit>; FIFO],
        f_cnt: [DFF<Bits<32>>; FIFO],
        f_wp: DFF<Bits<4>>,
        f_rp: DFF<Bits<4>>,
        f_n: DFF<Bits<5>>,
        r_hdr: [Signal<Local, Bit>; SHIFTS],
        r_fz: [Signal<Local, Bit>; SHIFTS],
        r_nz: [Signal<Local, Bit>; SHIFTS],
        r_push: [Signal<Local, Bit>; SHIFTS],
        wr_a: Signal<Local, Bit>,
        wr_b: Signal<Local, Bit>,
        a_hdr: Signal<Local, Bit>,
        a_byte: Signal<Local, Bits<8>>,
        a_fz: Signal<Local, Bit>,
        a_cnt: Signal<Local, Bits<32>>,
        f_wp1: Signal<Local, Bits<4>>,
        f_npush: Signal<Local, Bits<5>>,
        f_sum: Signal<Local, Bits<5>>,
        f_empty: Signal<Local, Bit>,
        f_pop: Signal<Local, Bit>,
        h_hdr: Signal<Local, Bit>,
        h_byte: Signal<Local, Bits<8>>,
        h_fz: Signal<Local, Bit>,
        h_cnt: Signal<Local, Bits<32>>,

        // ---- byte expander: the record being expanded ----
        e_hdr: DFF<Bit>,
        e_byte: DFF<Bits<8>>,
        e_fz: DFF<Bit>,
        e_cnt: DFF<Bits<32>>,
        e_cnt_nz: Signal<Local, Bit>,
        e_cnt_one: Signal<Local, Bit>,
        e_busy: Signal<Local, Bit>,
        e_last: Signal<Local, Bit>,
        exp_empty: Signal<Local, Bit>,
        e_out: Signal<Local, Bits<8>>,
        emit: Signal<Local, Bit>,

        // ---- packer and output register ----
        pk_b: [DFF<Bits<8>>; 4],
        pk_cnt: DFF<Bits<3>>,
        pk_full: Signal<Local, Bit>,
        pk_can: Signal<Local, Bit>,
        pk_word: Concat4,
        out_full: DFF<Bit>,
        out_w: DFF<Bits<32>>,
        out_l: DFF<Bit>,
        out_n: DFF<Bits<3>>,
        out_free: Signal<Local, Bit>,
        last_ok: Signal<Local, Bit>,
    }
}

impl<const C: usize> V2Core<C> {
    /// The core for the coder `p` ([`check_v2_params`]).
    pub fn new(p: &V2Params) -> Result<Self, HdlError> {
        check_v2_params(p)?;
        if !(1..=10).contains(&C) {
            return Err(HdlError::Channels(1 << C.min(20)));
        }
        let walk_last = (1u64 << C).max(256) - 1;
        Ok(crate::core_new! {
            inputs: one_lane,
            out_last: Default::default(),
            out_bytes: Default::default(),
            k_ph: std::array::from_fn(|i| k(i as u64)),
            k_zero3: k(0),
            k_one3: k(1),
            k_four3: k(4),
            k_idx3: std::array::from_fn(|i| k(i as u64)),
            k_zero8: k(0),
            k_zero10: k(0),
            k_ones10: k(0x3FF),
            k_zero12: k(0),
            k_p_flip: k(0x800),
            k_shift: k(p.prob_shift as u64),
            k_one17: k(1),
            k_zero17: k(0),
            k_n_last: k((1 << p.golomb.window_log2) - 1),
            k_n_half: k(1 << (p.golomb.window_log2 - 1)),
            k_one6: k(1),
            k_zero32: k(0),
            k_one32: k(1),
            k_walk_one: k(1),
            k_walk_zero: k(0),
            k_walk_last: k(walk_last),
            k_op_bin: k(OP_BIN),
            k_op_shift1: k(OP_SHIFT1),
            k_idx4: std::array::from_fn(|i| k(i as u64)),
            k_one4: k(1),
            k_two4: k(2),
            k_zero4: k(0),
            k_zero5: k(0),
            k_one5: k(1),
            k_two5: k(2),
            k_one3i: k(1),
            k_room: k((FIFO - 1) as u64),
            k_ff8: k(0xFF),
            k_op_shift2: k(OP_SHIFT2),
            ph: Default::default(),
            open: Default::default(),
            walk: Default::default(),
            clr_act: Default::default(),
            clr_spent: Default::default(),
            in_run: Default::default(),
            in_walk: Default::default(),
            in_drain: Default::default(),
            kill: Default::default(),
            upstream_busy: Default::default(),
            clr_new: Default::default(),
            accept: Default::default(),
            ho_room: Default::default(),
            walk_end: Default::default(),
            idle_core: Default::default(),
            ram_hi: Default::default(),
            ram_mid: Default::default(),
            ram_lo: Default::default(),
            unpack: StateUnpack::new(p),
            pack: StatePack::new(p),
            lms: LmsUnit::new(p)?,
            sel: SelectS::new(p),
            fe_valid: Default::default(),
            fe_ch: Default::default(),
            fe_x: Default::default(),
            fe_d: Default::default(),
            fe_d2: Default::default(),
            fe_sign: Default::default(),
            fe_u: Default::default(),
            fe_full: Default::default(),
            fe_round: Default::default(),
            fe_asum: Default::default(),
            fe_a_new: Default::default(),
            fe_n_new: Default::default(),
            ho_valid: Default::default(),
            ho_ch: Default::default(),
            ho_u: Default::default(),
            ho_s: Default::default(),
            seq: BinSequencer::new(p)?,
            ctx_ram: Default::default(),
            cs_valid: Default::default(),
            cs_op: Default::default(),
            cs_ctx: Default::default(),
            cs_bin: Default::default(),
            cs_v: Default::default(),
            cs_n: Default::default(),
            cs_first: Default::default(),
            cs_p: Default::default(),
            fw_valid: Default::default(),
            fw_ctx: Default::default(),
            fw_p: Default::default(),
            p_ram: Default::default(),
            fw_hit: Default::default(),
            p_first: Default::default(),
            p_use: Default::default(),
            p_neg: Default::default(),
            sh_down: Default::default(),
            sh_up: Default::default(),
            p_new: Default::default(),
            cs_is_bin: Default::default(),
            cs_done: Default::default(),
            slot_free: Default::default(),
            take_seq: Default::default(),
            fin_issue: Default::default(),
            infl: Default::default(),
            fl: Default::default(),
            need_n: Default::default(),
            need_i: Default::default(),
            need: Default::default(),
            room: Default::default(),
            u_valid: Default::default(),
            u_op: Default::default(),
            u_p: Default::default(),
            u_bin: Default::default(),
            u_v: Default::default(),
            u_n: Default::default(),
            unit: Default::default(),
            f_hdr: Default::default(),
            f_byte: Default::default(),
            f_fz: Default::default(),
            f_cnt: Default::default(),
            f_wp: Default::default(),
            f_rp: Default::default(),
            f_n: Default::default(),
            r_hdr: Default::default(),
            r_fz: Default::default(),
            r_nz: Default::default(),
            r_push: Default::default(),
            wr_a: Default::default(),
            wr_b: Default::default(),
            a_hdr: Default::default(),
            a_byte: Default::default(),
            a_fz: Default::default(),
            a_cnt: Default::default(),
            f_wp1: Default::default(),
            f_npush: Default::default(),
            f_sum: Default::default(),
            f_empty: Default::default(),
            f_pop: Default::default(),
            h_hdr: Default::default(),
            h_byte: Default::default(),
            h_fz: Default::default(),
            h_cnt: Default::default(),
            e_hdr: Default::default(),
            e_byte: Default::default(),
            e_fz: Default::default(),
            e_cnt: Default::default(),
            e_cnt_nz: Default::default(),
            e_cnt_one: Default::default(),
            e_busy: Default::default(),
            e_last: Default::default(),
            exp_empty: Default::default(),
            e_out: Default::default(),
            emit: Default::default(),
            pk_b: Default::default(),
            pk_cnt: Default::default(),
            pk_full: Default::default(),
            pk_can: Default::default(),
            pk_word: Default::default(),
            out_full: Default::default(),
            out_w: Default::default(),
            out_l: Default::default(),
            out_n: Default::default(),
            out_free: Default::default(),
            last_ok: Default::default(),
        })
    }

    /// The records in the FIFO now (at most 16; for testbenches).
    pub fn record_fifo_fill(&self) -> usize {
        self.f_n.q.val().to_u64() as usize
    }

    /// One line: what each stage holds (for mismatch reports).
    pub fn debug_state(&self) -> String {
        let bit = |b: bool| if b { '1' } else { '.' };
        let ph = match self.ph.q.val().to_u64() {
            PH_RUN => "run",
            PH_FIN2A => "finish-a",
            PH_FIN2B => "finish-b",
            PH_FIN1 => "finish-c",
            PH_LAST => "last-word",
            PH_OUT => "wait-out",
            PH_WALK => "restart-walk",
            PH_DRAIN => "clear-drain",
            _ => "?",
        };
        let rec = |hdr: bool, byte: u64, cnt: u64, fz: bool| {
            format!(
                "{}{:02x}+{}x{}",
                if hdr { "h" } else { "-" },
                byte,
                cnt,
                if fz { "00" } else { "ff" }
            )
        };
        let (n, rp) = (
            self.f_n.q.val().to_u64() as usize,
            self.f_rp.q.val().index(),
        );
        let mut exp = vec![rec(
            self.e_hdr.q.val(),
            self.e_byte.q.val().to_u64(),
            self.e_cnt.q.val().to_u64(),
            self.e_fz.q.val(),
        )];
        for j in 0..n {
            let i = (rp + j) % FIFO;
            exp.push(rec(
                self.f_hdr[i].q.val(),
                self.f_byte[i].q.val().to_u64(),
                self.f_cnt[i].q.val().to_u64(),
                self.f_fz[i].q.val(),
            ));
        }
        let fl: String = self.fl.iter().map(|f| bit(f.q.val())).collect();
        format!(
            "phase {ph} (walk {}), open {}, front end {} (ch {} x {}), handoff {} (u {} s {}), \
             sequencer busy {} op {}, coder {} (op {} ctx {} first {} p {:#05x}), fw {} (ctx {} \
             p {:#05x}), unit in {} (op {}), in flight {} [{}], expander and FIFO [{}], packer {} bytes {:#010x}, out {} {:#010x} last {} \
             bytes {}",
            self.walk.q.val().to_u64(),
            bit(self.open.q.val()),
            bit(self.fe_valid.q.val()),
            self.fe_ch.q.val().to_u64(),
            self.fe_x.q.val().to_u64(),
            bit(self.ho_valid.q.val()),
            self.ho_u.q.val().to_u64(),
            self.ho_s.q.val().to_u64(),
            bit(self.seq.busy.val()),
            bit(self.seq.op_valid.val()),
            bit(self.cs_valid.q.val()),
            self.cs_op.q.val().to_u64(),
            self.cs_ctx.q.val().to_u64(),
            bit(self.cs_first.q.val()),
            self.cs_p.q.val().to_u64(),
            bit(self.fw_valid.q.val()),
            self.fw_ctx.q.val().to_u64(),
            self.fw_p.q.val().to_u64(),
            bit(self.u_valid.q.val()),
            self.u_op.q.val().to_u64(),
            self.infl.q.val().to_u64(),
            fl,
            exp.join(" "),
            self.pk_cnt.q.val().to_u64(),
            (self.pk_b[0].q.val().to_u64() << 24)
                | (self.pk_b[1].q.val().to_u64() << 16)
                | (self.pk_b[2].q.val().to_u64() << 8)
                | self.pk_b[3].q.val().to_u64(),
            bit(self.out_full.q.val()),
            self.out_w.q.val().to_u64(),
            bit(self.out_l.q.val()),
            self.out_n.q.val().to_u64()
        )
    }
}

impl<const C: usize> Logic for V2Core<C> {
    // Nested `if`s instead of `a & (b == c)`: rust-hdl emits no parentheses.
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, ph, open, walk, clr_act, clr_spent, fe_valid, fe_ch, fe_x, ho_valid,
            ho_ch, ho_u, ho_s, cs_valid, cs_op, cs_ctx, cs_bin, cs_v, cs_n, cs_first, cs_p,
            fw_valid, fw_ctx, fw_p, infl, u_valid, u_op, u_p, u_bin, u_v, u_n, f_wp, f_rp, f_n,
            e_hdr, e_byte, e_fz, e_cnt, pk_cnt, out_full, out_w, out_l, out_n
        );
        clock!(self, clock, ram_hi, ram_mid, ram_lo, seq, ctx_ram, unit);
        for i in 0..FIFO {
            self.f_hdr[i].clock.next = self.clock.val();
            self.f_byte[i].clock.next = self.clock.val();
            self.f_fz[i].clock.next = self.clock.val();
            self.f_cnt[i].clock.next = self.clock.val();
            self.f_hdr[i].d.next = self.f_hdr[i].q.val();
            self.f_byte[i].d.next = self.f_byte[i].q.val();
            self.f_fz[i].d.next = self.f_fz[i].q.val();
            self.f_cnt[i].d.next = self.f_cnt[i].q.val();
        }
        for i in 0..IN_FLIGHT {
            self.fl[i].clock.next = self.clock.val();
        }
        for i in 0..4 {
            self.pk_b[i].clock.next = self.clock.val();
            self.pk_b[i].d.next = self.pk_b[i].q.val();
        }

        // ==== control: phase, restart walk, clear ==========================================
        self.in_run.next = self.ph.q.val() == self.k_ph[0].val();
        self.in_walk.next = self.ph.q.val() == self.k_ph[5].val();
        self.in_drain.next = self.ph.q.val() == self.k_ph[6].val();
        // while clearing (drain) and walking, nothing is coded and every byte is dropped
        self.kill.next = self.in_drain.val() | self.in_walk.val();
        self.upstream_busy.next =
            self.fe_valid.q.val() | self.ho_valid.q.val() | self.seq.busy.val();
        self.walk_end.next = self.walk.q.val() == self.k_walk_last.val();
        self.clr_new.next = self.clear.val() & (!self.clr_spent.q.val()) & (!self.clr_act.q.val());

        // ==== accept ========================================================================
        self.ho_room.next = (!self.ho_valid.q.val()) | self.seq.in_ready.val();
        self.in_ready.next = self.in_run.val()
            & (!self.flush.val())
            & (!self.clear.val())
            & (!self.fe_valid.q.val())
            & self.ho_room.val();
        self.accept.next = self.in_valid.val() & self.in_ready.val();
        self.ram_hi.read_address.next = self.in_channel.val();
        self.ram_mid.read_address.next = self.in_channel.val();
        self.ram_lo.read_address.next = self.in_channel.val();
        // read only at the accept edge (the word is used in the one clock after it): the 24
        // block RAMs spend read energy once per sample, not on every clock
        self.ram_hi.read_enable.next = self.accept.val();
        self.ram_mid.read_enable.next = self.accept.val();
        self.ram_lo.read_enable.next = self.accept.val();
        self.fe_valid.d.next = self.accept.val();
        if self.accept.val() {
            self.fe_ch.d.next = self.in_channel.val();
            self.fe_x.d.next = self.in_sample.val();
            self.open.d.next = true;
        }

        // ==== front end: state → pred, u, s, next state (written back at the next edge) ====
        self.unpack.hi.next = self.ram_hi.read_data.val();
        self.unpack.mid.next = self.ram_mid.read_data.val();
        self.unpack.lo.next = self.ram_lo.read_data.val();
        self.lms.prev.next = self.unpack.prev.val();
        self.lms.x.next = self.fe_x.q.val();
        self.lms.d[0].next = self.unpack.d0.val();
        self.lms.d[1].next = self.unpack.d1.val();
        self.lms.d[2].next = self.unpack.d2.val();
        self.lms.d[3].next = self.unpack.d3.val();
        self.lms.w[0].next = self.unpack.w0.val();
        self.lms.w[1].next = self.unpack.w1.val();
        self.lms.w[2].next = self.unpack.w2.val();
        self.lms.w[3].next = self.unpack.w3.val();
        // zigzag (§7.3, v1's): u = (d << 1), every bit inverted when d is negative
        self.fe_d.next = self.fe_x.q.val() - self.lms.pred.val();
        self.fe_d2.next = self.fe_d.val() + self.fe_d.val();
        self.fe_sign.next = self.k_zero10.val();
        if self.fe_d.val().get_bit(9) {
            self.fe_sign.next = self.k_ones10.val();
        }
        self.fe_u.next = self.fe_d2.val() ^ self.fe_sign.val();
        // s from the state before the sample (§3.3)
        self.sel.a.next = self.unpack.a.val();
        self.sel.n.next = self.unpack.n.val();
        // A, N (§3.5): A + u, N + 1; at the window's end (A + u + 1) / 2 and 2^(w-1)
        self.fe_full.next = self.unpack.n.val() == self.k_n_last.val();
        self.fe_round.next = self.k_zero17.val();
        if self.fe_full.val() {
            self.fe_round.next = self.k_one17.val();
        }
        self.fe_asum.next = bit_cast::<17, 16>(self.unpack.a.val())
            + bit_cast::<17, 10>(self.fe_u.val())
            + self.fe_round.val();
        self.fe_a_new.next = self.fe_asum.val().get_bits::<16>(0);
        self.fe_n_new.next = self.unpack.n.val() + self.k_one6.val();
        if self.fe_full.val() {
            self.fe_a_new.next = self.fe_asum.val().get_bits::<16>(1);
            self.fe_n_new.next = self.k_n_half.val();
        }
        self.pack.prev.next = self.fe_x.q.val();
        self.pack.a.next = self.fe_a_new.val();
        self.pack.n.next = self.fe_n_new.val();
        self.pack.d0.next = self.lms.d_next[0].val();
        self.pack.d1.next = self.lms.d_next[1].val();
        self.pack.d2.next = self.lms.d_next[2].val();
        self.pack.d3.next = self.lms.d_next[3].val();
        self.pack.w0.next = self.lms.w_next[0].val();
        self.pack.w1.next = self.lms.w_next[1].val();
        self.pack.w2.next = self.lms.w_next[2].val();
        self.pack.w3.next = self.lms.w_next[3].val();
        self.ram_hi.write_address.next = self.fe_ch.q.val();
        self.ram_mid.write_address.next = self.fe_ch.q.val();
        self.ram_lo.write_address.next = self.fe_ch.q.val();
        self.ram_hi.write_data.next = self.pack.hi.val();
        self.ram_mid.write_data.next = self.pack.mid.val();
        self.ram_lo.write_data.next = self.pack.lo.val();
        self.ram_hi.write_enable.next = self.fe_valid.q.val();
        self.ram_mid.write_enable.next = self.fe_valid.q.val();
        self.ram_lo.write_enable.next = self.fe_valid.q.val();
        if self.in_walk.val() {
            self.ram_hi.write_address.next = self.walk.q.val().get_bits::<C>(0);
            self.ram_mid.write_address.next = self.walk.q.val().get_bits::<C>(0);
            self.ram_lo.write_address.next = self.walk.q.val().get_bits::<C>(0);
            self.ram_hi.write_data.next = self.k_zero32.val();
            self.ram_mid.write_data.next = self.k_zero32.val();
            self.ram_lo.write_data.next = self.k_zero32.val();
            self.ram_hi.write_enable.next = true;
            self.ram_mid.write_enable.next = true;
            self.ram_lo.write_enable.next = true;
        }

        // ==== handoff register → bin sequencer ==============================================
        if self.ho_valid.q.val() & self.seq.in_ready.val() {
            self.ho_valid.d.next = false;
        }
        if self.fe_valid.q.val() {
            // (the accept rule guarantees the register is free at this edge)
            self.ho_valid.d.next = true;
            self.ho_ch.d.next = self.fe_ch.q.val();
            self.ho_u.d.next = self.fe_u.val();
            self.ho_s.d.next = self.sel.s.val();
        }
        self.seq.in_valid.next = self.ho_valid.q.val();
        self.seq.in_tag.next = bit_cast::<TAG_BITS, C>(self.ho_ch.q.val());
        self.seq.u.next = self.ho_u.q.val();
        self.seq.s.next = self.ho_s.q.val();

        // ==== byte expander: the record it holds (used by the finish and idle) ===========
        self.e_cnt_nz.next = self.e_cnt.q.val() != self.k_zero32.val();
        self.e_cnt_one.next = self.e_cnt.q.val() == self.k_one32.val();
        self.e_busy.next = self.e_hdr.q.val() | self.e_cnt_nz.val();
        self.exp_empty.next = !self.e_busy.val();
        // the byte sent now is the record's last
        self.e_last.next = self.e_cnt_one.val();
        if self.e_hdr.q.val() {
            self.e_last.next = !self.e_cnt_nz.val();
        }
        self.e_out.next = self.k_ff8.val();
        if self.e_fz.q.val() {
            self.e_out.next = self.k_zero8.val();
        }
        if self.e_hdr.q.val() {
            self.e_out.next = self.e_byte.q.val();
        }
        self.f_empty.next = self.f_n.q.val() == self.k_zero5.val();
        // ==== coder stage ===================================================================
        // credit: `f_n + 2·infl + 2 ≤ FIFO` (every operation in flight and this one may
        // release two records; pops are not counted)
        self.need_n.next = bit_cast::<6, 5>(self.f_n.q.val());
        self.need_i.next = bit_cast::<6, 3>(self.infl.q.val());
        self.need.next = self.need_n.val() + self.need_i.val() + self.need_i.val();
        self.room.next = self.need.val() < self.k_room.val();
        // the probability: forwarded from the last bin when it had this context, else the
        // table's word read at the edge the operation entered; held while it waits
        self.ctx_ram.read_address.next = self.seq.ctx.val();
        self.p_ram.next = self.ctx_ram.read_data.val() ^ self.k_p_flip.val();
        self.fw_hit.next = false;
        if self.fw_valid.q.val() {
            if self.fw_ctx.q.val() == self.cs_ctx.q.val() {
                self.fw_hit.next = true;
            }
        }
        self.p_first.next = self.p_ram.val();
        if self.fw_hit.val() {
            self.p_first.next = self.fw_p.q.val();
        }
        self.p_use.next = self.cs_p.q.val();
        if self.cs_first.q.val() {
            self.p_use.next = self.p_first.val();
        }
        self.cs_p.d.next = self.p_use.val();
        self.cs_first.d.next = false;
        // adaptation (§7.5): b = 0: p + ((4096 − p) >> a); b = 1: p − (p >> a)
        self.p_neg.next = self.k_zero12.val() - self.p_use.val();
        self.sh_down.data.next = self.p_use.val();
        self.sh_down.amount.next = self.k_shift.val();
        self.sh_up.data.next = self.p_neg.val();
        self.sh_up.amount.next = self.k_shift.val();
        self.p_new.next = self.p_use.val() + self.sh_up.result.val();
        if self.cs_bin.q.val() {
            self.p_new.next = self.p_use.val() - self.sh_down.result.val();
        }
        self.cs_is_bin.next = self.cs_op.q.val() == self.k_op_bin.val();
        // completion (into the unit's input register): the FIFO has room
        self.cs_done.next = self.cs_valid.q.val() & self.room.val() & (!self.kill.val());
        self.slot_free.next = (!self.cs_valid.q.val()) | self.cs_done.val();
        self.seq.op_ready.next = self.slot_free.val() | self.kill.val();
        self.take_seq.next = self.seq.op_valid.val() & self.slot_free.val() & (!self.kill.val());
        self.u_valid.d.next = self.cs_done.val();
        if self.cs_done.val() {
            self.u_op.d.next = self.cs_op.q.val();
            self.u_p.d.next = self.p_use.val();
            self.u_bin.d.next = self.cs_bin.q.val();
            self.u_v.d.next = self.cs_v.q.val();
            self.u_n.d.next = self.cs_n.q.val();
        }
        self.unit.in_valid.next = self.u_valid.q.val();
        self.unit.op.next = self.u_op.q.val();
        self.unit.p.next = self.u_p.q.val();
        self.unit.bin_value.next = self.u_bin.q.val();
        self.unit.v.next = self.u_v.q.val();
        self.unit.n.next = self.u_n.q.val();
        self.unit.clear.next = self.in_walk.val();
        // in flight: `fl[k]` = an operation left the coder stage `k + 1` edges ago; the
        // records of `fl[IN_FLIGHT − 1]` are on the unit's outputs now
        self.fl[0].d.next = self.cs_done.val();
        self.fl[1].d.next = self.fl[0].q.val();
        self.fl[2].d.next = self.fl[1].q.val();
        self.fl[3].d.next = self.fl[2].q.val();
        self.fl[4].d.next = self.fl[3].q.val();
        if self.cs_done.val() {
            if !self.fl[4].q.val() {
                self.infl.d.next = self.infl.q.val() + self.k_one3i.val();
            }
        } else {
            if self.fl[4].q.val() {
                self.infl.d.next = self.infl.q.val() - self.k_one3i.val();
            }
        }
        self.ctx_ram.write_address.next = self.cs_ctx.q.val();
        self.ctx_ram.write_data.next = self.p_new.val() ^ self.k_p_flip.val();
        self.ctx_ram.write_enable.next = false;
        if self.cs_done.val() {
            self.cs_valid.d.next = false;
            if self.cs_is_bin.val() {
                self.ctx_ram.write_enable.next = true;
                self.fw_valid.d.next = true;
                self.fw_ctx.d.next = self.cs_ctx.q.val();
                self.fw_p.d.next = self.p_new.val();
            }
        }
        if self.in_walk.val() {
            self.ctx_ram.write_address.next = self.walk.q.val().get_bits::<8>(0);
            self.ctx_ram.write_data.next = self.k_zero12.val();
            self.ctx_ram.write_enable.next = true;
            self.fw_valid.d.next = false;
        }
        // the flush's three finish operations (op 2, op 2, op 3: five byte shifts)
        self.fin_issue.next = false;
        if self.slot_free.val() & (!self.kill.val()) {
            if self.ph.q.val() == self.k_ph[1].val() {
                self.fin_issue.next = true;
                self.cs_op.d.next = self.k_op_shift2.val();
                self.ph.d.next = self.k_ph[2].val();
            } else if self.ph.q.val() == self.k_ph[2].val() {
                self.fin_issue.next = true;
                self.cs_op.d.next = self.k_op_shift2.val();
                self.ph.d.next = self.k_ph[7].val();
            } else if self.ph.q.val() == self.k_ph[7].val() {
                self.fin_issue.next = true;
                self.cs_op.d.next = self.k_op_shift1.val();
                self.ph.d.next = self.k_ph[3].val();
            }
        }
        if self.fin_issue.val() {
            self.cs_valid.d.next = true;
        }
        if self.take_seq.val() {
            self.cs_valid.d.next = true;
            self.cs_first.d.next = true;
            self.cs_op.d.next = self.seq.op.val();
            self.cs_ctx.d.next = self.seq.ctx.val();
            self.cs_bin.d.next = self.seq.bin_value.val();
            self.cs_v.d.next = self.seq.v.val();
            self.cs_n.d.next = self.seq.n.val();
        }
        if self.kill.val() {
            self.cs_valid.d.next = false;
        }

        // ==== byte expander: one byte per clock ============================================
        self.out_free.next = (!self.out_full.q.val()) | self.out_ready.val();
        self.pk_full.next = self.pk_cnt.q.val() == self.k_four3.val();
        self.pk_can.next = (!self.pk_full.val()) | self.out_free.val();
        self.emit.next = (!self.exp_empty.val()) & self.pk_can.val() & (!self.kill.val());
        if self.emit.val() {
            if self.e_hdr.q.val() {
                self.e_hdr.d.next = false;
            } else {
                self.e_cnt.d.next = self.e_cnt.q.val() - self.k_one32.val();
            }
        }
        // the next record from the FIFO: when the expander is empty or sends its last byte
        self.f_pop.next = false;
        if (!self.f_empty.val()) & (!self.kill.val()) {
            if self.exp_empty.val() {
                self.f_pop.next = true;
            }
            if self.emit.val() & self.e_last.val() {
                self.f_pop.next = true;
            }
        }
        self.h_hdr.next = self.f_hdr[0].q.val();
        self.h_byte.next = self.f_byte[0].q.val();
        self.h_fz.next = self.f_fz[0].q.val();
        self.h_cnt.next = self.f_cnt[0].q.val();
        for i in 0..FIFO {
            if self.f_rp.q.val() == self.k_idx4[i].val() {
                self.h_hdr.next = self.f_hdr[i].q.val();
                self.h_byte.next = self.f_byte[i].q.val();
                self.h_fz.next = self.f_fz[i].q.val();
                self.h_cnt.next = self.f_cnt[i].q.val();
            }
        }
        if self.f_pop.val() {
            self.e_hdr.d.next = self.h_hdr.val();
            self.e_byte.d.next = self.h_byte.val();
            self.e_fz.d.next = self.h_fz.val();
            self.e_cnt.d.next = self.h_cnt.val();
            self.f_rp.d.next = self.f_rp.q.val() + self.k_one4.val();
        }
        // the unit's records into the FIFO, the clock they are shown (a record with no byte
        // to send, the dropped first byte and no fills, is not stored)
        for i in 0..SHIFTS {
            self.r_hdr[i].next = !self.unit.rec_skip[i].val();
            self.r_fz[i].next = self.unit.rec_fill[i].val() == self.k_zero8.val();
            self.r_nz[i].next = self.unit.rec_fills[i].val() != self.k_zero32.val();
            self.r_push[i].next = false;
            if self.unit.rec_valid[i].val() & (!self.kill.val()) {
                self.r_push[i].next = self.r_hdr[i].val() | self.r_nz[i].val();
            }
        }
        self.wr_a.next = self.r_push[0].val() | self.r_push[1].val();
        self.wr_b.next = self.r_push[0].val() & self.r_push[1].val();
        self.a_hdr.next = self.r_hdr[1].val();
        self.a_byte.next = self.unit.rec_byte[1].val();
        self.a_fz.next = self.r_fz[1].val();
        self.a_cnt.next = self.unit.rec_fills[1].val();
        if self.r_push[0].val() {
            self.a_hdr.next = self.r_hdr[0].val();
            self.a_byte.next = self.unit.rec_byte[0].val();
            self.a_fz.next = self.r_fz[0].val();
            self.a_cnt.next = self.unit.rec_fills[0].val();
        }
        self.f_wp1.next = self.f_wp.q.val() + self.k_one4.val();
        for i in 0..FIFO {
            if self.wr_a.val() {
                if self.f_wp.q.val() == self.k_idx4[i].val() {
                    self.f_hdr[i].d.next = self.a_hdr.val();
                    self.f_byte[i].d.next = self.a_byte.val();
                    self.f_fz[i].d.next = self.a_fz.val();
                    self.f_cnt[i].d.next = self.a_cnt.val();
                }
            }
            if self.wr_b.val() {
                if self.f_wp1.val() == self.k_idx4[i].val() {
                    self.f_hdr[i].d.next = self.r_hdr[1].val();
                    self.f_byte[i].d.next = self.unit.rec_byte[1].val();
                    self.f_fz[i].d.next = self.r_fz[1].val();
                    self.f_cnt[i].d.next = self.unit.rec_fills[1].val();
                }
            }
        }
        self.f_npush.next = self.k_zero5.val();
        if self.wr_a.val() {
            self.f_npush.next = self.k_one5.val();
            self.f_wp.d.next = self.f_wp1.val();
        }
        if self.wr_b.val() {
            self.f_npush.next = self.k_two5.val();
            self.f_wp.d.next = self.f_wp.q.val() + self.k_two4.val();
        }
        self.f_sum.next = self.f_n.q.val() + self.f_npush.val();
        self.f_n.d.next = self.f_sum.val();
        if self.f_pop.val() {
            self.f_n.d.next = self.f_sum.val() - self.k_one5.val();
        }
        if self.kill.val() {
            self.e_hdr.d.next = false;
            self.e_cnt.d.next = self.k_zero32.val();
            self.f_n.d.next = self.k_zero5.val();
            self.f_wp.d.next = self.k_zero4.val();
            self.f_rp.d.next = self.k_zero4.val();
        }

        // ==== packer and output register ===================================================
        self.pk_word.b0.next = self.pk_b[0].q.val();
        self.pk_word.b1.next = self.pk_b[1].q.val();
        self.pk_word.b2.next = self.pk_b[2].q.val();
        self.pk_word.b3.next = self.pk_b[3].q.val();
        if self.out_full.q.val() & self.out_ready.val() {
            self.out_full.d.next = false;
        }
        if self.emit.val() {
            if self.pk_full.val() {
                // a fifth byte: the held word is not the block's last
                self.out_full.d.next = true;
                self.out_w.d.next = self.pk_word.word.val();
                self.out_l.d.next = false;
                self.out_n.d.next = self.k_four3.val();
                self.pk_b[0].d.next = self.e_out.val();
                self.pk_b[1].d.next = self.k_zero8.val();
                self.pk_b[2].d.next = self.k_zero8.val();
                self.pk_b[3].d.next = self.k_zero8.val();
                self.pk_cnt.d.next = self.k_one3.val();
            } else {
                for i in 0..4 {
                    if self.pk_cnt.q.val() == self.k_idx3[i].val() {
                        self.pk_b[i].d.next = self.e_out.val();
                    }
                }
                self.pk_cnt.d.next = self.pk_cnt.q.val() + self.k_one3.val();
            }
        }
        // the finish: every operation done and every byte in the packer: the last word
        self.last_ok.next = false;
        if self.infl.q.val() == self.k_zero3.val() {
            self.last_ok.next = (!self.cs_valid.q.val())
                & self.f_empty.val()
                & self.exp_empty.val()
                & self.out_free.val();
        }
        if self.ph.q.val() == self.k_ph[3].val() {
            if self.last_ok.val() {
                self.out_full.d.next = true;
                self.out_w.d.next = self.pk_word.word.val();
                self.out_l.d.next = true;
                self.out_n.d.next = self.pk_cnt.q.val();
                self.pk_cnt.d.next = self.k_zero3.val();
                for i in 0..4 {
                    self.pk_b[i].d.next = self.k_zero8.val();
                }
                self.ph.d.next = self.k_ph[4].val();
            }
        }
        if self.kill.val() {
            self.out_full.d.next = false;
            self.pk_cnt.d.next = self.k_zero3.val();
            for i in 0..4 {
                self.pk_b[i].d.next = self.k_zero8.val();
            }
        }
        self.out_valid.next = self.out_full.q.val();
        self.out_word.next = self.out_w.q.val();
        self.out_last.next = self.out_l.q.val();
        self.out_bytes.next = self.out_n.q.val();

        // ==== phase transitions =============================================================
        // flush: once every sample taken is in the coder stage or done
        if self.in_run.val() & self.flush.val() & self.open.q.val() & (!self.upstream_busy.val()) {
            self.ph.d.next = self.k_ph[1].val();
        }
        // the last word taken: the restart walk
        if self.ph.q.val() == self.k_ph[4].val() {
            if !self.out_full.q.val() {
                self.ph.d.next = self.k_ph[5].val();
                self.walk.d.next = self.k_walk_zero.val();
            }
        }
        if self.in_walk.val() {
            self.walk.d.next = self.walk.q.val() + self.k_walk_one.val();
            if self.walk_end.val() {
                self.ph.d.next = self.k_ph[0].val();
                self.open.d.next = false;
                if self.clr_act.q.val() {
                    self.clr_act.d.next = false;
                    self.clr_spent.d.next = true;
                }
            }
        }
        // clear: drain the front end and the sequencer (dropping their operations), then walk
        if !self.clear.val() {
            self.clr_spent.d.next = false;
        }
        if self.clr_new.val() {
            self.clr_act.d.next = true;
            self.ph.d.next = self.k_ph[6].val();
        }
        if self.in_drain.val() & (!self.upstream_busy.val()) {
            self.ph.d.next = self.k_ph[5].val();
            self.walk.d.next = self.k_walk_zero.val();
        }

        // ==== idle ==========================================================================
        self.idle_core.next = self.in_run.val()
            & (!self.open.q.val())
            & (!self.upstream_busy.val())
            & (!self.cs_valid.q.val())
            & self.f_empty.val()
            & self.exp_empty.val()
            & (!self.out_full.q.val());
        self.idle.next = false;
        if self.idle_core.val() & (!self.clr_new.val()) & (!self.clr_act.q.val()) {
            if self.pk_cnt.q.val() == self.k_zero3.val() {
                if self.infl.q.val() == self.k_zero3.val() {
                    self.idle.next = true;
                }
            }
        }
    }
}

/// The v2 core with 1024 channels of state (10-bit channel address).
pub type V2Core1024 = V2Core<10>;

/// The v2 core's Verilog (top module `top`) for `channels` channels of state (1 ..= 1024).
pub fn v2_verilog(p: &V2Params, channels: usize) -> Result<String, HdlError> {
    with_address_bits!(crate::channel_bits(channels)?, C => {
        crate::emit_verilog(V2Core::<C>::new(p)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurice_model::lite::select_s;
    use neurice_model::v2::State;
    use neurice_testkit::XorShift64;

    /// `SelectS` against the model's `select_s` for every `A < 2^16`, `N < 64`.
    #[test]
    fn select_s_matches_the_model_everywhere() {
        let p = V2Params::HARDWARE;
        let mut b = SelectS::new(&p);
        b.connect_all();
        let mut seen = [0u64; 19];
        for n in 0..64u32 {
            for a in 0..1u32 << 16 {
                b.a.next = (a as u64).into();
                b.n.next = (n as u64).into();
                assert!(simulate(&mut b, 10));
                let s = b.s.val().to_u64() as u32;
                assert_eq!(s, select_s(a, n, &p.golomb), "A {a} N {n}");
                seen[s as usize] += 1;
            }
        }
        // every index occurs, and every pair was checked
        assert!(seen.iter().all(|&c| c > 0), "{seen:?}");
        assert_eq!(seen.iter().sum::<u64>(), 64 << 16);
        let v = b.hdl();
        let Verilog::Custom(text) = v else {
            panic!("custom Verilog")
        };
        assert!(
            text.contains("s = 5'd0;") && text.contains("s = 5'd18;"),
            "{text}"
        );
    }

    /// Pack and unpack against `State::pack` on random states with extremes.
    #[test]
    fn state_words_are_the_models_packing() {
        let p = V2Params::HARDWARE;
        let mut up = StateUnpack::new(&p);
        let mut pk = StatePack::new(&p);
        up.connect_all();
        pk.connect_all();
        let mut rng = XorShift64::new(11);
        let (wm, dm) = (p.weight_max(), p.delta_max());
        for _ in 0..20_000 {
            let mut st = State::initial(&p);
            st.prev = (rng.next_u64() % 1024) as u32;
            st.a = (rng.next_u64() % 65536) as u32;
            st.n = (rng.next_u64() % 64) as u32;
            for t in 0..TAPS {
                st.d[t] = (rng.next_u64() % (2 * dm as u64 + 1)) as i32 - dm;
                st.w[t] = (rng.next_u64() % (2 * wm as u64 + 1)) as i32 - wm;
            }
            let word = st.pack(&p);
            pk.prev.next = (st.prev as u64).into();
            pk.a.next = (st.a as u64).into();
            pk.n.next = (st.n as u64).into();
            let d = |v: i32| super::super::lms::to_bits(v, DELTA_BITS).into();
            let w = |v: i32| super::super::lms::to_bits(v, WEIGHT_BITS).into();
            pk.d0.next = d(st.d[0]);
            pk.d1.next = d(st.d[1]);
            pk.d2.next = d(st.d[2]);
            pk.d3.next = d(st.d[3]);
            pk.w0.next = w(st.w[0]);
            pk.w1.next = w(st.w[1]);
            pk.w2.next = w(st.w[2]);
            pk.w3.next = w(st.w[3]);
            assert!(simulate(&mut pk, 10));
            let got = ((pk.hi.val().to_u64() as u128) << 64)
                | ((pk.mid.val().to_u64() as u128) << 32)
                | pk.lo.val().to_u64() as u128;
            assert_eq!(got, word, "{st:?}");
            up.hi.next = ((word >> 64) as u64).into();
            up.mid.next = (((word >> 32) as u64) & 0xFFFF_FFFF).into();
            up.lo.next = ((word as u64) & 0xFFFF_FFFF).into();
            assert!(simulate(&mut up, 10));
            assert_eq!(up.prev.val().to_u64() as u32, st.prev);
            assert_eq!(up.a.val().to_u64() as u32, st.a);
            assert_eq!(up.n.val().to_u64() as u32, st.n);
            let fd = |v: Bits<DELTA_BITS>| super::super::lms::from_bits(v.to_u64(), DELTA_BITS);
            let fw = |v: Bits<WEIGHT_BITS>| super::super::lms::from_bits(v.to_u64(), WEIGHT_BITS);
            assert_eq!(
                [
                    fd(up.d0.val()),
                    fd(up.d1.val()),
                    fd(up.d2.val()),
                    fd(up.d3.val())
                ],
                [st.d[0], st.d[1], st.d[2], st.d[3]]
            );
            assert_eq!(
                [
                    fw(up.w0.val()),
                    fw(up.w1.val()),
                    fw(up.w2.val()),
                    fw(up.w3.val())
                ],
                [st.w[0], st.w[1], st.w[2], st.w[3]]
            );
        }
        // the all-zero word is the restart state
        up.hi.next = 0u64.into();
        up.mid.next = 0u64.into();
        up.lo.next = 0u64.into();
        assert!(simulate(&mut up, 10));
        assert_eq!(up.prev.val().to_u64(), 512);
        assert_eq!(
            super::super::lms::from_bits(up.w0.val().to_u64(), WEIGHT_BITS),
            -175
        );
    }

    #[test]
    fn other_parameters_are_refused() {
        let mut p = V2Params::HARDWARE;
        p.golomb.window_log2 = 5;
        let e = check_v2_params(&p).unwrap_err().to_string();
        assert!(e.contains("window_log2"), "{e}");
        let mut p = V2Params::HARDWARE;
        p.delta_bits = 8;
        assert!(V2Core::<4>::new(&p).is_err());
        assert!(V2Core::<4>::new(&V2Params::HARDWARE).is_ok());
    }

    #[test]
    fn the_core_emits_verilog() {
        let v = v2_verilog(&V2Params::HARDWARE, 3).unwrap();
        assert!(v.contains("module top"), "no top module");
        assert!(v2_verilog(&V2Params::HARDWARE, 0).is_err());
    }
}
