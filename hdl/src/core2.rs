//! The 2-lane encoder core: two samples per clock, a channel pair `(2i, 2i+1)` per input
//! transfer, the same coded bit stream as the 1-lane core and the golden model (sample `n`'s
//! code, then `n+1`'s).
//!
//! # Ports
//!
//! As [`crate::core::EncoderCore`]'s, except the input transfer:
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `in_valid`, `in_ready`, `in_pair[P-1:0]`, `in_sample0[9:0]`, `in_sample1[9:0]` | in/out | a channel pair: `in_sample0` is channel `2·in_pair` (lane 0), `in_sample1` channel `2·in_pair + 1` (lane 1); taken at an edge where `in_valid && in_ready` |
//!
//! `clock`, `flush`, `clear`, `idle`, `out_valid`, `out_ready`, `out_word[31:0]` mean what
//! they mean for the 1-lane core (`clear` walks the `2^P` pairs, one per clock). `in_ready`
//! is `fifo_count <= 2 && !flush && !clear` (and low while clearing): registered state only,
//! no combinational path from `out_ready`. The core is built for an even channel count
//! (`2^P` pairs of state); a stream of an odd channel count cannot be carried.
//!
//! # Pipeline
//!
//! Every stage register advances together on `adv = fifo_count <= 2`: the output FIFO (4
//! words) has room for the two words a clock can complete. Stages, each one clock:
//!
//! | stage | register | work |
//! |-------|----------|------|
//! | accept | `p1` (both lanes) | take the pair; one read of the pair's 64-bit state word starts (both lanes' state; one bank of four block RAMs) |
//! | s1 … s8 | `p1b`, `p2` … `p9` (per lane) | the 1-lane core's datapath ([`crate::lane::Lane`]), one copy per lane; the write-back of s1b writes both lanes' state in one 64-bit write |
//! | s9 `merge` | `p10` | lane 0's code, then lane 1's, left-aligned in 64 bits (`hi`, `lo`), length `L0 + L1 ≤ 2·(qmax + W)` |
//! | s10 `pack` | `acc`, FIFO | the merged code at bit `nb` of the accumulator: 0, 1 or 2 full words go into the FIFO, the rest stays in `acc` |
//!
//! **Throughput**: two samples per clock while the FIFO has room for two words. Coded at
//! 4.7 bits per sample the core completes about 0.3 words per clock, so on real data it never
//! stalls; in the worst case (every sample escaping, 2 × 26 bits per clock = 1.6 words per
//! clock) the output (one word per clock) limits it and `in_ready` drops: slower, never
//! lossy. **Latency**: a sample taken at edge 0 has its bits in the accumulator (or the FIFO)
//! after edge 11; a word it completes is on `out_word` after edge 11 when the FIFO was empty.
//!
//! **Read-modify-write hazard**: as in the 1-lane core, with the channel pair as the address:
//! the pair's state is read at acceptance and written two edges later; the pairs one and two
//! ahead are compared at acceptance and each lane forwards its own channel's state (so 2 or 4
//! channels back to back work at full rate). The two lanes never share a channel.
//!
//! **Block RAM**: the state of channel pair `i` is one 64-bit word, banks of 256 pairs
//! ([`crate::ram::banked_verilog_lanes`]): an access enables one bank's four 256 × 16 blocks,
//! i.e. 2 block-RAM reads and 2 writes per sample, as in the 1-lane core; 1024 channels take
//! 512 × 64 bits = the same eight blocks.

use neurice_model::CodecParams;
use rust_hdl::prelude::*;

use crate::core::{check_params, k, PipelineState, W};
use crate::lane::Lane;
use crate::prims::{ShiftLeft, ShiftRight};
use crate::ram::StateRam2;
use crate::HdlError;

crate::core_struct! {
    /// The 2-lane encoder core for `2^P` channel pairs (`in_pair` is `P` bits wide).
    pub struct EncoderCore2<const P: usize> {
        inputs: [
            pub in_pair: Signal<In, Bits<P>>,
            pub in_sample0: Signal<In, Bits<10>>,
            pub in_sample1: Signal<In, Bits<10>>,
        ],

        // ---- constants ----
        k_zero5: Constant<Bits<5>>,
        k_32_6: Constant<Bits<6>>,
        k_zero32: Constant<Bits<32>>,
        k_zero16: Constant<Bits<16>>,
        k_zero3: Constant<Bits<3>>,
        k_one3: Constant<Bits<3>>,
        k_two3: Constant<Bits<3>>,
        k_one2: Constant<Bits<2>>,
        k_slot: [Constant<Bits<2>>; 4],

        // ---- state clear ----
        k_ch_last: Constant<Bits<P>>,
        k_ch_zero: Constant<Bits<P>>,
        k_ch_one: Constant<Bits<P>>,
        k_prev_init: Constant<Bits<10>>,
        k_zero6: Constant<Bits<6>>,
        clr_busy: DFF<Bit>,
        clr_spent: DFF<Bit>,
        clr_addr: DFF<Bits<P>>,
        base_idle: Signal<Local, Bit>,

        // ---- handshake ----
        adv: Signal<Local, Bit>,
        accept: Signal<Local, Bit>,
        empty: Signal<Local, Bit>,

        // ---- state memory, pair addresses of p1 and p1b, the two lanes (s1 … s8) ----
        ram: StateRam2<P>,
        p1_ch: DFF<Bits<P>>,
        p1b_ch: DFF<Bits<P>>,
        hit1: Signal<Local, Bit>,
        hit2: Signal<Local, Bit>,
        lane0: Lane,
        lane1: Lane,

        // ---- s9 merge ----
        s9_tail: ShiftRight<32, 5>,
        s9_lo_shift: Signal<Local, Bits<6>>,
        s9_lo: ShiftLeft<32, 6>,
        s9_len: Signal<Local, Bits<6>>,
        p10_valid: DFF<Bit>,
        p10_hi: DFF<Bits<32>>,
        p10_lo: DFF<Bits<32>>,
        p10_len: DFF<Bits<6>>,

        // ---- s10 pack ----
        nb: DFF<Bits<5>>,
        acc: DFF<Bits<32>>,
        s10_total: Signal<Local, Bits<7>>,
        s10_left: Signal<Local, Bits<6>>,
        s10_hi_r: ShiftRight<32, 5>,
        s10_hi_l: ShiftLeft<32, 6>,
        s10_lo_r: ShiftRight<32, 5>,
        s10_lo_l: ShiftLeft<32, 6>,
        s10_w0: Signal<Local, Bits<32>>,
        s10_w1: Signal<Local, Bits<32>>,
        s10_w2: Signal<Local, Bits<32>>,
        push_a: Signal<Local, Bit>,
        push_b: Signal<Local, Bit>,
        word_a: Signal<Local, Bits<32>>,

        // ---- output FIFO: 4 words, circular ----
        fifo0: DFF<Bits<32>>,
        fifo1: DFF<Bits<32>>,
        fifo2: DFF<Bits<32>>,
        fifo3: DFF<Bits<32>>,
        rd_ptr: DFF<Bits<2>>,
        wr_ptr: DFF<Bits<2>>,
        count: DFF<Bits<3>>,
        wr_next: Signal<Local, Bits<2>>,
        pop: Signal<Local, Bit>,
        n_push: Signal<Local, Bits<3>>,
        n_push2: Signal<Local, Bits<2>>,
        count_up: Signal<Local, Bits<3>>,
        n_pop: Signal<Local, Bits<3>>,
    }
}

impl<const P: usize> EncoderCore2<P> {
    /// The core for the coder `p` (see [`check_params`]).
    pub fn new(p: &CodecParams) -> Result<Self, HdlError> {
        check_params(p)?;
        if !(1..=9).contains(&P) {
            return Err(HdlError::Channels(2 << P.min(20)));
        }
        Ok(crate::core_new! {
            inputs: [in_pair, in_sample0, in_sample1],
            k_zero5: k(0),
            k_32_6: k(32),
            k_zero32: k(0),
            k_zero16: k(0),
            k_zero3: k(0),
            k_one3: k(1),
            k_two3: k(2),
            k_one2: k(1),
            k_slot: std::array::from_fn(|i| k(i as u64)),
            k_ch_last: k((1u64 << P) - 1),
            k_ch_zero: k(0),
            k_ch_one: k(1),
            k_prev_init: k(1 << (W - 1)),
            k_zero6: k(0),
            clr_busy: Default::default(),
            clr_spent: Default::default(),
            clr_addr: Default::default(),
            base_idle: Default::default(),
            adv: Default::default(),
            accept: Default::default(),
            empty: Default::default(),
            ram: Default::default(),
            p1_ch: Default::default(),
            p1b_ch: Default::default(),
            hit1: Default::default(),
            hit2: Default::default(),
            lane0: Lane::new(p),
            lane1: Lane::new(p),
            s9_tail: Default::default(),
            s9_lo_shift: Default::default(),
            s9_lo: Default::default(),
            s9_len: Default::default(),
            p10_valid: Default::default(),
            p10_hi: Default::default(),
            p10_lo: Default::default(),
            p10_len: Default::default(),
            nb: Default::default(),
            acc: Default::default(),
            s10_total: Default::default(),
            s10_left: Default::default(),
            s10_hi_r: Default::default(),
            s10_hi_l: Default::default(),
            s10_lo_r: Default::default(),
            s10_lo_l: Default::default(),
            s10_w0: Default::default(),
            s10_w1: Default::default(),
            s10_w2: Default::default(),
            push_a: Default::default(),
            push_b: Default::default(),
            word_a: Default::default(),
            fifo0: Default::default(),
            fifo1: Default::default(),
            fifo2: Default::default(),
            fifo3: Default::default(),
            rd_ptr: Default::default(),
            wr_ptr: Default::default(),
            count: Default::default(),
            wr_next: Default::default(),
            pop: Default::default(),
            n_push: Default::default(),
            n_push2: Default::default(),
            count_up: Default::default(),
            n_pop: Default::default(),
        })
    }

    /// A snapshot of the pipeline registers (for mismatch reports): lane 0's stages, pending
    /// bits, the accumulator and the FIFO's head.
    pub fn pipeline_state(&self) -> PipelineState {
        let head = match self.rd_ptr.q.val().to_u32() {
            0 => &self.fifo0,
            1 => &self.fifo1,
            2 => &self.fifo2,
            _ => &self.fifo3,
        };
        PipelineState {
            stage_valid: self.lane0.stage_valid(),
            pending_bits: self.nb.q.val().to_u32(),
            accumulator: self.acc.q.val().to_u32(),
            out_valid: self.count.q.val().to_u32() != 0,
            out_word: head.q.val().to_u32(),
        }
    }

    /// Words waiting in the output FIFO.
    pub fn fifo_words(&self) -> u32 {
        self.count.q.val().to_u32()
    }

    /// The packed state word of a channel, as the RAM holds it.
    pub fn state_word(&self, channel: usize) -> u32 {
        self.ram.peek(channel / 2, channel % 2)
    }
}

impl<const P: usize> Logic for EncoderCore2<P> {
    // Nested `if`s instead of `a & (b == c)`: rust-hdl emits no parentheses, and Verilog's
    // `&` binds looser than `==`; a condition is either one signal or one comparison.
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, clr_busy, clr_spent, clr_addr, p1_ch, p1b_ch, p10_valid, p10_hi, p10_lo,
            p10_len, nb, acc, fifo0, fifo1, fifo2, fifo3, rd_ptr, wr_ptr, count
        );
        clock!(self, clock, ram, lane0, lane1);

        // ---- handshake: the pipeline advances while the FIFO has room for two words
        self.adv.next = false;
        if self.k_two3.val() >= self.count.q.val() {
            self.adv.next = true;
        }
        self.in_ready.next =
            self.adv.val() & (!self.flush.val()) & (!self.clear.val()) & (!self.clr_busy.q.val());
        self.accept.next = self.in_valid.val() & self.in_ready.val();
        self.empty.next = !(self.lane0.busy.val() | self.lane1.busy.val() | self.p10_valid.q.val());
        self.out_valid.next = false;
        if self.count.q.val() != self.k_zero3.val() {
            self.out_valid.next = true;
        }
        self.out_word.next = self.fifo0.q.val();
        if self.rd_ptr.q.val() == self.k_slot[1].val() {
            self.out_word.next = self.fifo1.q.val();
        }
        if self.rd_ptr.q.val() == self.k_slot[2].val() {
            self.out_word.next = self.fifo2.q.val();
        }
        if self.rd_ptr.q.val() == self.k_slot[3].val() {
            self.out_word.next = self.fifo3.q.val();
        }
        self.base_idle.next = false;
        if self.empty.val() & (!self.out_valid.val()) {
            if self.nb.q.val() == self.k_zero5.val() {
                self.base_idle.next = true;
            }
        }
        self.idle.next = self.base_idle.val()
            & (!self.clr_busy.q.val())
            & (!(self.clear.val() & (!self.clr_spent.q.val())));

        // ---- clear (as in the 1-lane core, one pair per clock)
        if !self.clear.val() {
            self.clr_spent.d.next = false;
        }
        if self.clr_busy.q.val() {
            self.clr_addr.d.next = self.clr_addr.q.val() + self.k_ch_one.val();
            if self.clr_addr.q.val() == self.k_ch_last.val() {
                self.clr_busy.d.next = false;
            }
        }

        // ---- accept: one read of the pair's state; the pairs ahead compared here
        self.ram.read_address.next = self.in_pair.val();
        self.ram.read_enable.next = self.accept.val();
        self.hit1.next = false;
        if self.lane0.v1.val() {
            if self.p1_ch.q.val() == self.in_pair.val() {
                self.hit1.next = true;
            }
        }
        self.hit2.next = false;
        if self.lane0.v1b.val() {
            if self.p1b_ch.q.val() == self.in_pair.val() {
                self.hit2.next = true;
            }
        }
        if self.adv.val() {
            self.p1_ch.d.next = self.in_pair.val();
            self.p1b_ch.d.next = self.p1_ch.q.val();
        }
        self.lane0.adv.next = self.adv.val();
        self.lane0.accept.next = self.accept.val();
        self.lane0.restart.next = false; // no restarts in the 2-lane core
        self.lane0.seg_end.next = false;
        self.lane0.x.next = self.in_sample0.val();
        self.lane0.hit1.next = self.hit1.val();
        self.lane0.hit2.next = self.hit2.val();
        self.lane0.ram_prev.next = self.ram.read_prev0.val();
        self.lane0.ram_a.next = self.ram.read_a0.val();
        self.lane0.ram_n.next = self.ram.read_n0.val();
        self.lane1.adv.next = self.adv.val();
        self.lane1.accept.next = self.accept.val();
        self.lane1.restart.next = false; // no restarts in the 2-lane core
        self.lane1.seg_end.next = false;
        self.lane1.x.next = self.in_sample1.val();
        self.lane1.hit1.next = self.hit1.val();
        self.lane1.hit2.next = self.hit2.val();
        self.lane1.ram_prev.next = self.ram.read_prev1.val();
        self.lane1.ram_a.next = self.ram.read_a1.val();
        self.lane1.ram_n.next = self.ram.read_n1.val();

        // ---- s1b write back of both lanes (or the clear's initial state)
        self.ram.write_address.next = self.p1b_ch.q.val();
        self.ram.write_prev0.next = self.lane0.wr_prev.val();
        self.ram.write_a0.next = self.lane0.wr_a.val();
        self.ram.write_n0.next = self.lane0.wr_n.val();
        self.ram.write_prev1.next = self.lane1.wr_prev.val();
        self.ram.write_a1.next = self.lane1.wr_a.val();
        self.ram.write_n1.next = self.lane1.wr_n.val();
        self.ram.write_enable.next = self.lane0.wr_en.val();
        if self.clr_busy.q.val() {
            self.ram.write_address.next = self.clr_addr.q.val();
            self.ram.write_prev0.next = self.k_prev_init.val();
            self.ram.write_a0.next = self.k_zero16.val();
            self.ram.write_n0.next = self.k_zero6.val();
            self.ram.write_prev1.next = self.k_prev_init.val();
            self.ram.write_a1.next = self.k_zero16.val();
            self.ram.write_n1.next = self.k_zero6.val();
            self.ram.write_enable.next = true;
        }

        // ---- s9 merge: lane 1's code right after lane 0's, in 64 bits (hi, lo)
        self.s9_tail.data.next = self.lane1.code.val();
        self.s9_tail.amount.next = self.lane0.code_len.val();
        self.s9_lo_shift.next = self.k_32_6.val() - bit_cast::<6, 5>(self.lane0.code_len.val());
        self.s9_lo.data.next = self.lane1.code.val();
        self.s9_lo.amount.next = self.s9_lo_shift.val();
        self.s9_len.next = bit_cast::<6, 5>(self.lane0.code_len.val())
            + bit_cast::<6, 5>(self.lane1.code_len.val());
        if self.adv.val() {
            self.p10_valid.d.next = self.lane0.code_valid.val();
            self.p10_hi.d.next = self.lane0.code.val() | self.s9_tail.result.val();
            self.p10_lo.d.next = self.s9_lo.result.val();
            self.p10_len.d.next = self.s9_len.val();
        }

        // ---- s10 pack: the 96-bit window acc | merged >> nb gives the words w0, w1 and the
        // new accumulator
        self.s10_total.next =
            bit_cast::<7, 5>(self.nb.q.val()) + bit_cast::<7, 6>(self.p10_len.q.val());
        self.s10_left.next = self.k_32_6.val() - bit_cast::<6, 5>(self.nb.q.val());
        self.s10_hi_r.data.next = self.p10_hi.q.val();
        self.s10_hi_r.amount.next = self.nb.q.val();
        self.s10_hi_l.data.next = self.p10_hi.q.val();
        self.s10_hi_l.amount.next = self.s10_left.val();
        self.s10_lo_r.data.next = self.p10_lo.q.val();
        self.s10_lo_r.amount.next = self.nb.q.val();
        self.s10_lo_l.data.next = self.p10_lo.q.val();
        self.s10_lo_l.amount.next = self.s10_left.val();
        self.s10_w0.next = self.acc.q.val() | self.s10_hi_r.result.val();
        self.s10_w1.next = self.s10_hi_l.result.val() | self.s10_lo_r.result.val();
        self.s10_w2.next = self.s10_lo_l.result.val();
        self.push_a.next = false;
        self.push_b.next = false;
        self.word_a.next = self.s10_w0.val();
        if self.adv.val() {
            if self.p10_valid.q.val() {
                self.nb.d.next = bit_cast::<5, 7>(self.s10_total.val());
                self.acc.d.next = self.s10_w0.val();
                if self.s10_total.val().get_bit(6) {
                    self.push_a.next = true;
                    self.push_b.next = true;
                    self.acc.d.next = self.s10_w2.val();
                } else {
                    if self.s10_total.val().get_bit(5) {
                        self.push_a.next = true;
                        self.acc.d.next = self.s10_w1.val();
                    }
                }
            } else if (self.flush.val() | self.clear.val()) & self.empty.val() {
                // end of stream: the partial word goes out (flush) or is dropped (clear)
                if self.nb.q.val() != self.k_zero5.val() {
                    if !self.clear.val() {
                        self.push_a.next = true;
                        self.word_a.next = self.acc.q.val();
                    }
                    self.acc.d.next = self.k_zero32.val();
                    self.nb.d.next = self.k_zero5.val();
                }
            }
        }

        // ---- FIFO: push w0 (and w1) at the write pointer, pop at the read pointer
        self.wr_next.next = self.wr_ptr.q.val() + self.k_one2.val();
        self.pop.next = self.out_valid.val() & self.out_ready.val();
        if self.push_a.val() {
            if self.wr_ptr.q.val() == self.k_slot[0].val() {
                self.fifo0.d.next = self.word_a.val();
            }
            if self.wr_ptr.q.val() == self.k_slot[1].val() {
                self.fifo1.d.next = self.word_a.val();
            }
            if self.wr_ptr.q.val() == self.k_slot[2].val() {
                self.fifo2.d.next = self.word_a.val();
            }
            if self.wr_ptr.q.val() == self.k_slot[3].val() {
                self.fifo3.d.next = self.word_a.val();
            }
        }
        if self.push_b.val() {
            if self.wr_next.val() == self.k_slot[0].val() {
                self.fifo0.d.next = self.s10_w1.val();
            }
            if self.wr_next.val() == self.k_slot[1].val() {
                self.fifo1.d.next = self.s10_w1.val();
            }
            if self.wr_next.val() == self.k_slot[2].val() {
                self.fifo2.d.next = self.s10_w1.val();
            }
            if self.wr_next.val() == self.k_slot[3].val() {
                self.fifo3.d.next = self.s10_w1.val();
            }
        }
        self.n_push.next = self.k_zero3.val();
        if self.push_a.val() {
            self.n_push.next = self.k_one3.val();
        }
        if self.push_b.val() {
            self.n_push.next = self.k_two3.val();
        }
        self.n_push2.next = bit_cast::<2, 3>(self.n_push.val());
        self.wr_ptr.d.next = self.wr_ptr.q.val() + self.n_push2.val();
        self.n_pop.next = self.k_zero3.val();
        if self.pop.val() {
            self.n_pop.next = self.k_one3.val();
            self.rd_ptr.d.next = self.rd_ptr.q.val() + self.k_one2.val();
        }
        self.count_up.next = self.count.q.val() + self.n_push.val();
        self.count.d.next = self.count_up.val() - self.n_pop.val();

        // clear starts once the pipeline has drained, its words were taken and unflushed bits
        // were dropped (above)
        if (!self.clr_busy.q.val()) & self.clear.val() & (!self.clr_spent.q.val()) {
            if self.base_idle.val() {
                self.clr_busy.d.next = true;
                self.clr_spent.d.next = true;
                self.clr_addr.d.next = self.k_ch_zero.val();
            }
        }
    }
}
