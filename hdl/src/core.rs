//! The encoder core: delta prediction, adaptive half-step Golomb coding and MSB-first word
//! packing for many time-multiplexed channels, one sample per clock. (The per-sample stages
//! s1 … s8 are one [`crate::lane::Lane`], shared with the 2-lane core of [`crate::core2`],
//! which codes two samples per clock.)
//!
//! # Ports (the contract of `neurice-sim`)
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | the only clock; every register and the state RAM use its rising edge |
//! | `in_valid`, `in_ready`, `in_channel[C-1:0]`, `in_sample[9:0]` | in/out | sample stream; a sample is taken at an edge where `in_valid && in_ready` |
//! | `flush` | in | end of stream: while high no sample is taken; once the pipeline is empty the partial last word (zero-padded, as `BitPacker::flush`) is emitted |
//! | `clear` | in | start a new stream: while high no sample is taken; once the pipeline has drained and its words were taken, pending bits are dropped and every channel's state is reset (one channel per clock, `2^C` clocks, `idle` low meanwhile); drop it once `idle` is back (not together with `flush`) |
//! | `idle` | out | no sample in flight, no pending bits, no word waiting |
//! | `out_valid`, `out_ready`, `out_word[31:0]` | out/in | word stream; a word is taken at an edge where `out_valid && out_ready` |
//! | `out_last` | out | with restarts: the word on `out_word` is the last of its segment (also the final word a `flush` emits); low without restarts |
//!
//! `in_ready` is combinational: `(!out_valid || out_ready) && !flush && !clear` (and low while
//! clearing). There is no reset: the registers start at zero and the state RAM at all-zero
//! words (= every channel's initial state), as after FPGA configuration; `clear` returns an
//! idle core to that state.
//!
//! # Pipeline
//!
//! Every stage register advances together on `adv = !out_valid || out_ready`; when the
//! output word register is full and not taken, the whole pipeline holds (no sample or bit
//! can be lost) and `in_ready` drops. Stages, each one clock:
//!
//! | stage | register | work |
//! |-------|----------|------|
//! | accept | `p1` | take `(channel, x)`; the state RAM read starts (registered read, enabled only for a sample taken) |
//! | s1 `zigzag` | `p1b` | previous sample of the channel (RAM word, or forwarded, see below); `u = zigzag(x - prev)`; `A`, `N` from the RAM or the last write |
//! | s1b `adapt` | `p2` | `A`, `N` (forwarded from the last write when the sample ahead was the same channel); new `A`, `N`; write back |
//! | s2 `scale` | `p3` | `t = thr_num·A`, `B = N·2^thr_shift`, `B3 = 3B` |
//! | s3 `compare` | `p4` | thermometer of the tests `B·m(s) >= t`, `s = 0..2W-3` (bit `2W-2` forced) |
//! | s4 `select` | `p5` | first true test → shift `sh` and half-step flag (masks derived from `golomb_m`) |
//! | s5 `split` | `p6` | `v = u >> sh`, `low = u mod 2^sh` |
//! | s6 `quotient` | `p7` | quotient `q` (for `m = 3·2^(k-1)`: `v / 3` by table), escape test, truncated-binary prefix |
//! | s7 `shape` | `p8` | prefix length `Q'`, payload `P`, payload length, total length `L` |
//! | s8 `align` | `p9` | the code left-aligned in 32 bits |
//! | s9 `pack` | `acc`, `out` | append at bit `nb` of the accumulator; a full word goes to the output register |
//!
//! **Throughput**: one sample per clock while the output is not blocked; a code is at most
//! `qmax + W` = 26 bits, so a sample completes at most one word and the packer never needs
//! two cycles. **Latency**: a sample taken at edge 0 has its bits in the accumulator after
//! edge 10 and, when they complete a word, that word on `out_word` after edge 10 (`out_valid`
//! high in the cycle after edge 10), when the output is never blocked: 0.17 µs at 60 MHz.
//!
//! **Read-modify-write hazard**: the state of a channel is read when its sample is accepted
//! and written two edges later (end of s1b). A read misses the writes of the two samples
//! ahead of it: the one in `p1b` (writing on the acceptance edge; its state is in `fwd` during
//! s1) and the one in `p1` (writing one edge later; its `x` is `p1b_x` during s1 and its
//! `A`, `N` are in `fwd` during s1b). Both channel comparisons are made at acceptance
//! (`p1_hit1`, `p1_hit2`) so no comparator sits in the s1b loop (`fwd_a → add → fwd_a`), and
//! the same channel on consecutive cycles (1 or 2 channels) works at full rate. The RAM's
//! read data is never used when it collides with a write.
//!
//! # Restarts (the packet stream, FORMAT.md §9.2)
//!
//! Built with a [`Restart`] (`channels` per frame, `R` frames per segment), the core counts
//! frames (a frame ends with the sample of channel `channels − 1`): in frames `t ≡ 0 (mod R)`
//! every sample is coded raw (W bits) and restarts its channel (`prev = x`, `A = A0`,
//! `N = N0`, `neurice_model::packet::v1_restart_state`); after the code of the last sample
//! of frame `t ≡ R − 1` the packer emits its partial word zero-padded, with `out_last` high
//! (when that code ends past a word boundary, the partial word follows one clock later; the
//! pipeline holds for that clock). So the word stream is the concatenation of
//! `neurice_model::packet::encode_segment_v1` segments. `clear` also restarts the frame
//! count. Without restarts (`EncoderCore::new`) the restart logic is tied off by constants:
//! the same words in the same cycles as before.
//!
//! # Writing rules (see the rust-hdl field notes)
//! Every intermediate value has its own `Signal<Local>` of the right width, every operator
//! sees operands of the target's width, literals come from sized `Constant`s (so the Verilog
//! has no 32-bit literals), casts are applied to plain signals only, and comparisons compare
//! two signals.

use neurice_model::CodecParams;
use rust_hdl::prelude::*;

use crate::lane::Lane;
pub use crate::lane::{S_COUNT, T_BITS, W};
use crate::prims::{ShiftLeft, ShiftRight};
use crate::ram::{StateRam, A_BITS, N_BITS};
use crate::HdlError;

/// Checks that `p` is a coder this core implements (widths are fixed at compile time, the
/// constants come from `p`).
pub fn check_params(p: &CodecParams) -> Result<(), HdlError> {
    p.validate().map_err(|e| HdlError::Params(e.to_string()))?;
    if p.sample_bits as usize != W {
        return Err(HdlError::Params(format!(
            "the core codes {W}-bit samples; parameters say {}",
            p.sample_bits
        )));
    }
    if p.a_bits() as usize > A_BITS || p.n_bits() as usize > N_BITS {
        return Err(HdlError::Params(format!(
            "window 2^{} needs A: {} bits and N: {} bits; the core keeps {A_BITS} and {N_BITS}",
            p.window_log2,
            p.a_bits(),
            p.n_bits()
        )));
    }
    if p.qmax > 16 {
        return Err(HdlError::Params(format!(
            "qmax {} > 16 is not supported by the core",
            p.qmax
        )));
    }
    let t_max = p.thr_num as u64 * ((1u64 << A_BITS) - 1);
    let b_max = ((((1u64 << p.window_log2) - 1) << p.thr_shift) * 3) << (W - 2);
    if t_max >= 1 << T_BITS
        || b_max >= 1 << T_BITS
        || ((1u64 << p.window_log2) << p.thr_shift) * 3 >= 1 << 16
    {
        return Err(HdlError::Params(
            "threshold constants overflow the compare stage".into(),
        ));
    }
    Ok(())
}

/// One snapshot of the pipeline, for mismatch reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineState {
    /// Valid bits of the stage registers `p1, p1b, p2..p9`.
    pub stage_valid: [bool; 10],
    /// Bits waiting in the accumulator.
    pub pending_bits: u32,
    pub accumulator: u32,
    pub out_valid: bool,
    pub out_word: u32,
}

impl std::fmt::Display for PipelineState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v: String = self
            .stage_valid
            .iter()
            .map(|&b| if b { '1' } else { '.' })
            .collect();
        write!(
            f,
            "stages p1,p1b,p2..p9 [{v}], pending bits {}, accumulator {:#010x}, out {} {:#010x}",
            self.pending_bits,
            self.accumulator,
            if self.out_valid { "valid" } else { "empty" },
            self.out_word
        )
    }
}

crate::core_struct! {
    /// The encoder core for `2^C` channels (`in_channel` is `C` bits wide).
    pub struct EncoderCore<const C: usize> {
        inputs: one_lane,
        pub out_last: Signal<Out, Bit>,

        // ---- constants ----
        k_zero5: Constant<Bits<5>>,
        k_32_6: Constant<Bits<6>>,
        k_zero32: Constant<Bits<32>>,
        k_zero16: Constant<Bits<16>>,

        // ---- state clear ----
        k_ch_last: Constant<Bits<C>>,
        k_ch_zero: Constant<Bits<C>>,
        k_ch_one: Constant<Bits<C>>,
        k_prev_init: Constant<Bits<10>>,
        k_zero6: Constant<Bits<6>>,
        clr_busy: DFF<Bit>,
        clr_spent: DFF<Bit>,
        clr_addr: DFF<Bits<C>>,
        base_idle: Signal<Local, Bit>,

        // ---- restarts: frame count, segment flags of the sample taken ----
        k_rst_on: Constant<Bit>,
        k_last_ch: Constant<Bits<C>>,
        k_r_last: Constant<Bits<16>>,
        k_one16: Constant<Bits<16>>,
        frame: DFF<Bits<16>>,
        s0_lastch: Signal<Local, Bit>,
        s0_first: Signal<Local, Bit>,
        s0_end: Signal<Local, Bit>,
        /// The segment's last code left a partial word: emit it before anything moves.
        sflush: DFF<Bit>,
        sflush_on: Signal<Local, Bit>,
        out_lreg: DFF<Bit>,

        // ---- handshake ----
        adv_out: Signal<Local, Bit>,
        adv: Signal<Local, Bit>,
        accept: Signal<Local, Bit>,
        empty: Signal<Local, Bit>,

        // ---- state memory, channel addresses of p1 and p1b, the lane (s1 … s8) ----
        ram: StateRam<C>,
        p1_ch: DFF<Bits<C>>,
        p1b_ch: DFF<Bits<C>>,
        hit1: Signal<Local, Bit>,
        hit2: Signal<Local, Bit>,
        lane: Lane,

        // ---- s9 pack ----
        nb: DFF<Bits<5>>,
        acc: DFF<Bits<32>>,
        s9_total: Signal<Local, Bits<6>>,
        s9_rem: Signal<Local, Bits<5>>,
        s9_tail: ShiftRight<32, 5>,
        s9_hi: Signal<Local, Bits<32>>,
        s9_lo_shift: Signal<Local, Bits<6>>,
        s9_lo: ShiftLeft<32, 6>,

        // ---- output register ----
        out_full: DFF<Bit>,
        out_reg: DFF<Bits<32>>,
    }
}

pub(crate) fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

/// The most frames per segment the core's frame counter holds (16 bits).
pub const MAX_SEGMENT_FRAMES: u32 = 1 << 16;

/// Restart mode: the frame's channel count and the restart interval `R` (frames per
/// segment); see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Restart {
    pub channels: usize,
    pub segment_frames: u32,
}

impl Restart {
    /// Checks the channel count against the core's `2^address_bits` channels and `R`.
    pub fn check(&self, address_bits: usize) -> Result<(), HdlError> {
        if self.channels == 0 || self.channels > 1 << address_bits {
            return Err(HdlError::Channels(self.channels));
        }
        if !(1..=MAX_SEGMENT_FRAMES).contains(&self.segment_frames) {
            return Err(HdlError::Packets(format!(
                "the core restarts every 1..={MAX_SEGMENT_FRAMES} frames (a 16-bit frame \
                 counter), got {}",
                self.segment_frames
            )));
        }
        Ok(())
    }
}

impl<const C: usize> EncoderCore<C> {
    /// The core for the coder `p` (see [`check_params`]), without restarts.
    pub fn new(p: &CodecParams) -> Result<Self, HdlError> {
        Self::with_restart(p, None)
    }

    /// The core for the coder `p`, with restarts when `restart` is given (module docs).
    pub fn with_restart(p: &CodecParams, restart: Option<Restart>) -> Result<Self, HdlError> {
        check_params(p)?;
        if !(1..=10).contains(&C) {
            return Err(HdlError::Channels(1 << C.min(20)));
        }
        if let Some(r) = &restart {
            r.check(C)?;
        }
        let (rst_on, last_ch, r_last) = match restart {
            Some(r) => (true, r.channels as u64 - 1, r.segment_frames as u64 - 1),
            None => (false, 0, 0),
        };
        Ok(crate::core_new! {
            inputs: one_lane,
            out_last: Default::default(),
            k_zero5: k(0),
            k_32_6: k(32),
            k_zero32: k(0),
            k_zero16: k(0),
            k_ch_last: k((1u64 << C) - 1),
            k_ch_zero: k(0),
            k_ch_one: k(1),
            k_prev_init: k(1 << (W - 1)),
            k_zero6: k(0),
            clr_busy: Default::default(),
            clr_spent: Default::default(),
            clr_addr: Default::default(),
            base_idle: Default::default(),
            k_rst_on: Constant::new(rst_on),
            k_last_ch: k(last_ch),
            k_r_last: k(r_last),
            k_one16: k(1),
            frame: Default::default(),
            s0_lastch: Default::default(),
            s0_first: Default::default(),
            s0_end: Default::default(),
            sflush: Default::default(),
            sflush_on: Default::default(),
            out_lreg: Default::default(),
            adv_out: Default::default(),
            adv: Default::default(),
            accept: Default::default(),
            empty: Default::default(),
            ram: Default::default(),
            p1_ch: Default::default(),
            p1b_ch: Default::default(),
            hit1: Default::default(),
            hit2: Default::default(),
            lane: Lane::new(p),
            nb: Default::default(),
            acc: Default::default(),
            s9_total: Default::default(),
            s9_rem: Default::default(),
            s9_tail: Default::default(),
            s9_hi: Default::default(),
            s9_lo_shift: Default::default(),
            s9_lo: Default::default(),
            out_full: Default::default(),
            out_reg: Default::default(),
        })
    }

    /// A snapshot of the pipeline registers (for mismatch reports).
    pub fn pipeline_state(&self) -> PipelineState {
        PipelineState {
            stage_valid: self.lane.stage_valid(),
            pending_bits: self.nb.q.val().to_u32(),
            accumulator: self.acc.q.val().to_u32(),
            out_valid: self.out_full.q.val(),
            out_word: self.out_reg.q.val().to_u32(),
        }
    }

    /// The packed state word of a channel, as the RAM holds it.
    pub fn state_word(&self, channel: usize) -> u32 {
        self.ram.peek(channel)
    }
}

impl<const C: usize> Logic for EncoderCore<C> {
    // Nested `if`s instead of `a & (b == c)`: rust-hdl emits no parentheses, and Verilog's
    // `&` binds looser than `==`; a condition is either one signal or one comparison.
    #[allow(clippy::collapsible_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, clr_busy, clr_spent, clr_addr, p1_ch, p1b_ch, nb, acc, out_full, out_reg,
            frame, sflush, out_lreg
        );
        clock!(self, clock, ram, lane);

        // ---- handshake: the whole pipeline advances when the output register can take a word
        // (and not while a segment's partial word waits to be emitted)
        self.adv_out.next = (!self.out_full.q.val()) | self.out_ready.val();
        // (every use of the restart registers goes through `k_rst_on`, so that yosys removes
        // them, and the logic they feed, in a core built without restarts)
        self.sflush_on.next = self.sflush.q.val() & self.k_rst_on.val();
        self.adv.next = self.adv_out.val() & (!self.sflush_on.val());
        self.in_ready.next =
            self.adv.val() & (!self.flush.val()) & (!self.clear.val()) & (!self.clr_busy.q.val());
        self.accept.next = self.in_valid.val() & self.in_ready.val();
        self.empty.next = !self.lane.busy.val();
        self.out_valid.next = self.out_full.q.val();
        self.out_word.next = self.out_reg.q.val();
        self.out_last.next = self.out_lreg.q.val() & self.k_rst_on.val();
        self.base_idle.next = false;
        if self.empty.val() & (!self.out_full.q.val()) {
            if self.nb.q.val() == self.k_zero5.val() {
                self.base_idle.next = true;
            }
        }
        self.idle.next = self.base_idle.val()
            & (!self.clr_busy.q.val())
            & (!(self.clear.val() & (!self.clr_spent.q.val())));

        // ---- clear: with `clear` high (no sample taken) the pipeline drains; then any
        // pending bits are dropped and every channel's state is rewritten to the initial state,
        // one channel per clock; `idle` returns when done, and `clear` must drop before it can
        // start again
        if !self.clear.val() {
            self.clr_spent.d.next = false;
        }
        if self.clr_busy.q.val() {
            self.clr_addr.d.next = self.clr_addr.q.val() + self.k_ch_one.val();
            if self.clr_addr.q.val() == self.k_ch_last.val() {
                self.clr_busy.d.next = false;
            }
        }

        // ---- accept: read the channel's state only for a sample taken (the RAM holds its
        // read word otherwise, also while the pipeline is stalled). The read started on this
        // edge misses the writes of the two samples ahead (the one in p1 writes two edges
        // later, the one in p1b on this edge): note here, at acceptance, whether they are the
        // same channel, so no comparator sits in s1.
        self.ram.read_address.next = self.in_channel.val();
        self.ram.read_enable.next = self.accept.val();
        self.hit1.next = false;
        if self.lane.v1.val() {
            if self.p1_ch.q.val() == self.in_channel.val() {
                self.hit1.next = true;
            }
        }
        self.hit2.next = false;
        if self.lane.v1b.val() {
            if self.p1b_ch.q.val() == self.in_channel.val() {
                self.hit2.next = true;
            }
        }
        // ---- restarts: the frame count and the flags of the sample taken now (all constant
        // low without restarts)
        self.s0_lastch.next = false;
        if self.k_rst_on.val() {
            if self.in_channel.val() == self.k_last_ch.val() {
                self.s0_lastch.next = true;
            }
        }
        self.s0_first.next = false;
        if self.k_rst_on.val() {
            if self.frame.q.val() == self.k_zero16.val() {
                self.s0_first.next = true;
            }
        }
        self.s0_end.next = false;
        if self.s0_lastch.val() {
            if self.frame.q.val() == self.k_r_last.val() {
                self.s0_end.next = true;
            }
        }
        if self.accept.val() & self.s0_lastch.val() {
            self.frame.d.next = self.frame.q.val() + self.k_one16.val();
            if self.s0_end.val() {
                self.frame.d.next = self.k_zero16.val();
            }
        }
        self.lane.restart.next = self.s0_first.val();
        self.lane.seg_end.next = self.s0_end.val();
        if self.adv.val() {
            self.p1_ch.d.next = self.in_channel.val();
            self.p1b_ch.d.next = self.p1_ch.q.val();
        }
        self.lane.adv.next = self.adv.val();
        self.lane.accept.next = self.accept.val();
        self.lane.x.next = self.in_sample.val();
        self.lane.hit1.next = self.hit1.val();
        self.lane.hit2.next = self.hit2.val();
        self.lane.ram_prev.next = self.ram.read_prev.val();
        self.lane.ram_a.next = self.ram.read_a.val();
        self.lane.ram_n.next = self.ram.read_n.val();

        // ---- s1b write back (or the clear's initial state)
        self.ram.write_address.next = self.p1b_ch.q.val();
        self.ram.write_prev.next = self.lane.wr_prev.val();
        self.ram.write_a.next = self.lane.wr_a.val();
        self.ram.write_n.next = self.lane.wr_n.val();
        self.ram.write_enable.next = self.lane.wr_en.val();
        if self.clr_busy.q.val() {
            self.ram.write_address.next = self.clr_addr.q.val();
            self.ram.write_prev.next = self.k_prev_init.val();
            self.ram.write_a.next = self.k_zero16.val();
            self.ram.write_n.next = self.k_zero6.val();
            self.ram.write_enable.next = true;
        }

        // ---- s9 pack: the code lands at bit nb of the accumulator; bits past 32 start the
        // next accumulator and the full word goes to the output register
        self.s9_total.next =
            bit_cast::<6, 5>(self.nb.q.val()) + bit_cast::<6, 5>(self.lane.code_len.val());
        self.s9_rem.next = bit_cast::<5, 6>(self.s9_total.val());
        self.s9_tail.data.next = self.lane.code.val();
        self.s9_tail.amount.next = self.nb.q.val();
        self.s9_hi.next = self.acc.q.val() | self.s9_tail.result.val();
        self.s9_lo_shift.next = self.k_32_6.val() - bit_cast::<6, 5>(self.nb.q.val());
        self.s9_lo.data.next = self.lane.code.val();
        self.s9_lo.amount.next = self.s9_lo_shift.val();
        if self.out_full.q.val() & self.out_ready.val() {
            self.out_full.d.next = false;
        }
        // a segment's partial word, zero-padded, once the output register is free
        if self.sflush_on.val() & self.adv_out.val() {
            self.out_full.d.next = true;
            self.out_reg.d.next = self.acc.q.val();
            self.out_lreg.d.next = true;
            self.acc.d.next = self.k_zero32.val();
            self.nb.d.next = self.k_zero5.val();
            self.sflush.d.next = false;
        }
        if self.adv.val() {
            if self.lane.code_valid.val() {
                self.nb.d.next = bit_cast::<5, 6>(self.s9_total.val());
                self.acc.d.next = self.s9_hi.val();
                if self.s9_total.val().get_bit(5) {
                    self.acc.d.next = self.s9_lo.result.val();
                    self.out_full.d.next = true;
                    self.out_reg.d.next = self.s9_hi.val();
                    self.out_lreg.d.next = false;
                }
                // the segment's last code: a word ending exactly here is its last word;
                // bits left over are emitted on their own (sflush)
                if self.lane.code_last.val() {
                    if self.s9_rem.val() == self.k_zero5.val() {
                        self.out_lreg.d.next = true;
                    } else {
                        self.sflush.d.next = true;
                    }
                }
            } else if (self.flush.val() | self.clear.val()) & self.empty.val() {
                // end of stream: the partial word goes out (flush) or is dropped (clear)
                if self.nb.q.val() != self.k_zero5.val() {
                    if !self.clear.val() {
                        self.out_full.d.next = true;
                        self.out_reg.d.next = self.acc.q.val();
                        self.out_lreg.d.next = self.k_rst_on.val();
                    }
                    self.acc.d.next = self.k_zero32.val();
                    self.nb.d.next = self.k_zero5.val();
                }
            }
        }
        // clear starts once the pipeline has drained, its words were taken and unflushed bits
        // were dropped (above)
        if (!self.clr_busy.q.val()) & self.clear.val() & (!self.clr_spent.q.val()) {
            if self.base_idle.val() {
                self.clr_busy.d.next = true;
                self.clr_spent.d.next = true;
                self.clr_addr.d.next = self.k_ch_zero.val();
                self.frame.d.next = self.k_zero16.val();
            }
        }
    }
}
