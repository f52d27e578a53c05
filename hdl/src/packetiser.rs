//! The packetiser (FORMAT.md §9.3, §9.6): after the core's word output, it cuts the word
//! stream of a core built with restarts into packets of the one-group packet stream —
//! header, payload, CRC-32 — bit-exact with `neurice_model::packet::packetise`.
//!
//! ```text
//!  core ─ word, last ─▶ fill ─▶ ring buffer (2^B words, block RAM) ─▶ send ─▶ out_word, out_end
//!                         └─▶ descriptor (LEN, LAST, PART, START) ─┘   (header, payload, ~CRC)
//! ```
//!
//! # Ports
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `in_valid`, `in_ready`, `in_word[31:0]`, `in_last` | in/out | the core's words; `in_last`: the segment's last word |
//! | `eos` | in | end of stream: nothing more will come; the open packet is sent as its segment's last |
//! | `clear` | in | while idle: `SEQ` and `START` return to 0 (a new stream) |
//! | `out_valid`, `out_ready`, `out_word[31:0]`, `out_end` | out/in | packet words, big-endian fields; `out_end` on each packet's CRC word |
//! | `idle` | out | nothing buffered, nothing being sent |
//!
//! # How it works
//!
//! **Fill.** Words go into a ring buffer of `2^B` words (`B = 8`: 256 words, two block RAMs)
//! and are counted into the open packet. A packet is closed — its descriptor (`LEN`, `LAST`,
//! `PART`, `START`) moves to the one pending slot — when its segment's last word arrives
//! (`LAST`), when the word after a full packet (`⌊(P − 16)/4⌋` words) arrives (not `LAST`:
//! only then is it known that more of the segment follows), or at `eos`. A full packet whose
//! follower arrives while the pending slot is taken, or a word when the ring is full, waits
//! (`in_ready` low): no word is lost. After a `LAST` packet `PART` returns to 0 and `START`
//! advances by `R·C`.
//!
//! **Send.** The sender takes the pending descriptor and emits, one word per clock while the
//! output is free: the header's three words, the payload from the ring (registered read,
//! addressed one clock ahead), and the complement of the CRC-32 register, which took every
//! word as it left ([`crate::crc`]); `SEQ` advances after each packet.
//!
//! **Throughput**: one word per clock in and out; a packet of `n` payload words takes
//! `n + 4` output clocks. **Latency**: the header leaves 3 clocks after the packet closes.
//!
//! Writing rules as in [`crate::core`].

use rust_hdl::prelude::*;

use crate::core::k;
use crate::crc::Crc32Word;
use crate::ram::WordRam;
use crate::HdlError;

/// Address bits of the ring buffer.
pub const RING_BITS: usize = 8;
/// The largest payload (words) the ring can carry: one word more must fit while a full packet
/// waits to be closed.
pub const MAX_HW_PAYLOAD_WORDS: usize = (1 << RING_BITS) - 1;

/// The packet stream the packet core sends (one group of all channels): the restart
/// interval `R` (frames per segment) and the packet bound `P` (bytes, header and CRC
/// included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct PacketParams {
    pub segment_frames: u32,
    pub packet_bytes: usize,
}

impl PacketParams {
    /// FORMAT.md §9.1's defaults: R = 1024, P = 1024.
    pub const DEFAULT: PacketParams = PacketParams {
        segment_frames: neurice_model::packet::DEFAULT_SEGMENT_FRAMES,
        packet_bytes: neurice_model::packet::DEFAULT_PACKET_BYTES,
    };

    /// Payload words of a full packet.
    pub fn payload_words(&self) -> usize {
        (self
            .packet_bytes
            .saturating_sub(neurice_model::packet::OVERHEAD_BYTES)
            / 4)
        .min(neurice_model::packet::MAX_PAYLOAD_WORDS)
    }

    /// Checks `R` (the core's frame counter) and `P` (at least one payload word, at most
    /// [`MAX_HW_PAYLOAD_WORDS`]).
    pub fn check(&self) -> Result<(), HdlError> {
        crate::core::Restart {
            channels: 1,
            segment_frames: self.segment_frames,
        }
        .check(1)?;
        let min = neurice_model::packet::OVERHEAD_BYTES + 4;
        let max = neurice_model::packet::OVERHEAD_BYTES + 4 * MAX_HW_PAYLOAD_WORDS + 3;
        if !(min..=max).contains(&self.packet_bytes) {
            return Err(HdlError::Packets(format!(
                "the hardware packetiser takes packets of {min}..={max} bytes (a payload of 1 to \
                 {MAX_HW_PAYLOAD_WORDS} words in its {}-word buffer), got {}",
                1 << RING_BITS,
                self.packet_bytes
            )));
        }
        Ok(())
    }

    /// [`PacketParams::check`] for `coder` on `channels` channels per frame, and that every
    /// segment's packets can be numbered by the 16-bit `PART` register: the model's bound
    /// (`neurice_model::packet_bound`), the same rule as `packetise`'s.
    pub fn check_for(
        &self,
        coder: &neurice_model::CoderSpec,
        channels: usize,
    ) -> Result<(), HdlError> {
        self.check()?;
        let cfg = neurice_model::packet::StreamConfig {
            coder: *coder,
            channels: channels.max(1),
            segment_frames: self.segment_frames,
            packet_bytes: self.packet_bytes,
            group_channels: channels.max(1),
        };
        neurice_model::packet_bound::check_numbering(&cfg)
            .map_err(|e| HdlError::Packets(e.to_string()))
    }
}

/// The fill half of a packetiser (one substream): the ring buffer of `2^B` words, the open
/// packet's count, `PART` and `START`, and the one pending packet descriptor (module docs).
/// The sender takes the descriptor (`take`) and the payload words from the ring's head
/// (`head`, one per `pop`).
#[derive(LogicBlock)]
pub struct PacketFill<const B: usize> {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_word: Signal<In, Bits<32>>,
    /// The word is its segment's (substream's) last.
    pub in_last: Signal<In, Bit>,
    /// With `in_last`: padding bytes at the end of the word (0 ..= 3), the `PAD` field.
    pub in_pad: Signal<In, Bits<2>>,
    /// End of stream: the open packet is its segment's last.
    pub eos: Signal<In, Bit>,
    /// `START` returns to 0 (a new stream; the caller asserts it only while idle).
    pub restart: Signal<In, Bit>,
    /// The sender takes the pending descriptor at this edge.
    pub take: Signal<In, Bit>,
    /// The sender takes the ring's head word at this edge.
    pub pop: Signal<In, Bit>,
    /// The ring's head word (registered read, addressed one clock ahead).
    pub head: Signal<Out, Bits<32>>,
    /// The pending descriptor: `LEN`, `LAST`, `PAD`, `PART` (the index), `START`.
    pub d_valid: Signal<Out, Bit>,
    pub d_len: Signal<Out, Bits<12>>,
    pub d_last: Signal<Out, Bit>,
    pub d_pad: Signal<Out, Bits<2>>,
    pub d_part: Signal<Out, Bits<16>>,
    pub d_start: Signal<Out, Bits<32>>,
    /// Nothing buffered, no packet open or pending.
    pub empty: Signal<Out, Bit>,

    k_pw: Constant<Bits<12>>,
    k_cap: Constant<Bits<12>>,
    k_rc: Constant<Bits<32>>,
    k_zero32: Constant<Bits<32>>,
    k_zero16: Constant<Bits<16>>,
    k_one16: Constant<Bits<16>>,
    k_zero12: Constant<Bits<12>>,
    k_one12: Constant<Bits<12>>,
    k_zero2: Constant<Bits<2>>,
    k_one_b: Constant<Bits<B>>,

    ram: WordRam<B>,
    wr_ptr: DFF<Bits<B>>,
    rd_ptr: DFF<Bits<B>>,
    used: DFF<Bits<12>>,
    rd_next: Signal<Local, Bits<B>>,

    count: DFF<Bits<12>>,
    fill_part: DFF<Bits<16>>,
    fill_start: DFF<Bits<32>>,
    fill_done: DFF<Bit>,
    fill_pad: DFF<Bits<2>>,
    f_full: Signal<Local, Bit>,
    f_ring_full: Signal<Local, Bit>,
    f_block: Signal<Local, Bit>,
    f_ready: Signal<Local, Bit>,
    f_accept: Signal<Local, Bit>,
    f_empty: Signal<Local, Bit>,

    pend_valid: DFF<Bit>,
    pend_len: DFF<Bits<12>>,
    pend_last: DFF<Bit>,
    pend_pad: DFF<Bits<2>>,
    pend_part: DFF<Bits<16>>,
    pend_start: DFF<Bits<32>>,
}

impl<const B: usize> PacketFill<B> {
    /// The fill for `channels` channels per frame and the packet stream `pk` (checked by the
    /// caller: the payload must fit the ring).
    fn new(channels: usize, pk: &PacketParams) -> Result<Self, HdlError> {
        let pw = pk.payload_words();
        if pw >= 1 << B {
            return Err(HdlError::Packets(format!(
                "{pw} payload words do not fit a ring of {} words",
                1 << B
            )));
        }
        let rc = (pk.segment_frames as u64 * channels as u64) & 0xFFFF_FFFF;
        Ok(Self {
            clock: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_word: Default::default(),
            in_last: Default::default(),
            in_pad: Default::default(),
            eos: Default::default(),
            restart: Default::default(),
            take: Default::default(),
            pop: Default::default(),
            head: Default::default(),
            d_valid: Default::default(),
            d_len: Default::default(),
            d_last: Default::default(),
            d_pad: Default::default(),
            d_part: Default::default(),
            d_start: Default::default(),
            empty: Default::default(),
            k_pw: k(pw as u64),
            k_cap: k(1 << B),
            k_rc: k(rc),
            k_zero32: k(0),
            k_zero16: k(0),
            k_one16: k(1),
            k_zero12: k(0),
            k_one12: k(1),
            k_zero2: k(0),
            k_one_b: k(1),
            ram: Default::default(),
            wr_ptr: Default::default(),
            rd_ptr: Default::default(),
            used: Default::default(),
            rd_next: Default::default(),
            count: Default::default(),
            fill_part: Default::default(),
            fill_start: Default::default(),
            fill_done: Default::default(),
            fill_pad: Default::default(),
            f_full: Default::default(),
            f_ring_full: Default::default(),
            f_block: Default::default(),
            f_ready: Default::default(),
            f_accept: Default::default(),
            f_empty: Default::default(),
            pend_valid: Default::default(),
            pend_len: Default::default(),
            pend_last: Default::default(),
            pend_pad: Default::default(),
            pend_part: Default::default(),
            pend_start: Default::default(),
        })
    }
}

impl<const B: usize> Logic for PacketFill<B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, wr_ptr, rd_ptr, used, count, fill_part, fill_start, fill_done, fill_pad,
            pend_valid, pend_len, pend_last, pend_pad, pend_part, pend_start
        );
        clock!(self, clock, ram);

        // a word is taken unless the ring is full, the open packet waits to be closed as
        // LAST, or a full packet would be closed while the pending slot is taken
        self.f_full.next = false;
        if self.count.q.val() == self.k_pw.val() {
            self.f_full.next = true;
        }
        self.f_ring_full.next = false;
        if self.used.q.val() == self.k_cap.val() {
            self.f_ring_full.next = true;
        }
        self.f_block.next = self.f_full.val() & self.pend_valid.q.val();
        self.f_ready.next =
            (!self.f_ring_full.val()) & (!self.fill_done.q.val()) & (!self.f_block.val());
        self.in_ready.next = self.f_ready.val();
        self.f_accept.next = self.in_valid.val() & self.f_ready.val();
        self.ram.write_address.next = self.wr_ptr.q.val();
        self.ram.write_data.next = self.in_word.val();
        self.ram.write_enable.next = self.f_accept.val();
        self.f_empty.next = false;
        if self.count.q.val() == self.k_zero12.val() {
            self.f_empty.next = true;
        }
        if self.f_accept.val() {
            self.wr_ptr.d.next = self.wr_ptr.q.val() + self.k_one_b.val();
            self.count.d.next = self.count.q.val() + self.k_one12.val();
            if self.f_full.val() {
                // the word after a full packet: that packet is not its segment's last
                self.pend_valid.d.next = true;
                self.pend_len.d.next = self.count.q.val();
                self.pend_last.d.next = false;
                self.pend_pad.d.next = self.k_zero2.val();
                self.pend_part.d.next = self.fill_part.q.val();
                self.pend_start.d.next = self.fill_start.q.val();
                self.count.d.next = self.k_one12.val();
                self.fill_part.d.next = self.fill_part.q.val() + self.k_one16.val();
            }
            if self.in_last.val() {
                self.fill_done.d.next = true;
                self.fill_pad.d.next = self.in_pad.val();
            }
        } else if self.fill_done.q.val() & (!self.pend_valid.q.val()) {
            // the segment's last packet
            self.pend_valid.d.next = true;
            self.pend_len.d.next = self.count.q.val();
            self.pend_last.d.next = true;
            self.pend_pad.d.next = self.fill_pad.q.val();
            self.pend_part.d.next = self.fill_part.q.val();
            self.pend_start.d.next = self.fill_start.q.val();
            self.count.d.next = self.k_zero12.val();
            self.fill_part.d.next = self.k_zero16.val();
            self.fill_start.d.next = self.fill_start.q.val() + self.k_rc.val();
            self.fill_done.d.next = false;
            self.fill_pad.d.next = self.k_zero2.val();
        } else if self.eos.val() & (!self.f_empty.val()) {
            // end of stream: the open packet is its (shorter) segment's last
            self.fill_done.d.next = true;
        }
        if self.take.val() {
            self.pend_valid.d.next = false;
        }
        self.d_valid.next = self.pend_valid.q.val();
        self.d_len.next = self.pend_len.q.val();
        self.d_last.next = self.pend_last.q.val();
        self.d_pad.next = self.pend_pad.q.val();
        self.d_part.next = self.pend_part.q.val();
        self.d_start.next = self.pend_start.q.val();

        // the ring is read one clock ahead: the address of the word the sender takes next
        self.rd_next.next = self.rd_ptr.q.val();
        if self.pop.val() {
            self.rd_next.next = self.rd_ptr.q.val() + self.k_one_b.val();
        }
        self.ram.read_address.next = self.rd_next.val();
        self.ram.read_enable.next = true;
        self.rd_ptr.d.next = self.rd_next.val();
        self.head.next = self.ram.read_data.val();
        if self.f_accept.val() & (!self.pop.val()) {
            self.used.d.next = self.used.q.val() + self.k_one12.val();
        }
        if self.pop.val() & (!self.f_accept.val()) {
            self.used.d.next = self.used.q.val() - self.k_one12.val();
        }

        self.empty.next = false;
        if self.f_empty.val() {
            self.empty.next = (!self.pend_valid.q.val()) & (!self.fill_done.q.val());
        }
        if self.restart.val() {
            self.fill_start.d.next = self.k_zero32.val();
        }
    }
}

/// The send half of a packetiser: takes a closed packet's descriptor (`take` while idle and
/// `d_valid`) and emits, one word per clock while the output is free, the header's three
/// words (`SEQ` its own, `PART` bit 15 = `d_sub`), the payload (`pop`: one word from the
/// ring's `data`) and the complement of the CRC-32 register; `SEQ` advances per packet.
#[derive(LogicBlock)]
pub struct PacketSend {
    pub clock: Signal<In, Clock>,
    pub d_valid: Signal<In, Bit>,
    pub d_len: Signal<In, Bits<12>>,
    pub d_last: Signal<In, Bit>,
    pub d_pad: Signal<In, Bits<2>>,
    pub d_part: Signal<In, Bits<16>>,
    /// Coder max: the substream, bit 15 of `PART` (0 for coder lite).
    pub d_sub: Signal<In, Bit>,
    pub d_start: Signal<In, Bits<32>>,
    pub take: Signal<Out, Bit>,
    pub data: Signal<In, Bits<32>>,
    pub pop: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_word: Signal<Out, Bits<32>>,
    pub out_end: Signal<Out, Bit>,
    /// `SEQ` returns to 0 (a new stream; the caller asserts it only while idle).
    pub restart: Signal<In, Bit>,
    /// Nothing being sent, the output register empty.
    pub idle: Signal<Out, Bit>,

    k_sync: Constant<Bits<32>>,
    k_first: Constant<Bits<32>>,
    k_lastf: Constant<Bits<32>>,
    k_pad: [Constant<Bits<32>>; 4],
    k_pad_v: [Constant<Bits<2>>; 4],
    k_sub: Constant<Bits<32>>,
    k_seq_inc: Constant<Bits<32>>,
    k_ones32: Constant<Bits<32>>,
    k_zero32: Constant<Bits<32>>,
    k_zero16: Constant<Bits<16>>,
    k_one12: Constant<Bits<12>>,
    k_st_idle: Constant<Bits<3>>,
    k_st_h0: Constant<Bits<3>>,
    k_st_h1: Constant<Bits<3>>,
    k_st_h2: Constant<Bits<3>>,
    k_st_pay: Constant<Bits<3>>,
    k_st_crc: Constant<Bits<3>>,

    state: DFF<Bits<3>>,
    snd_len: DFF<Bits<12>>,
    snd_last: DFF<Bit>,
    snd_pad: DFF<Bits<2>>,
    snd_part: DFF<Bits<16>>,
    snd_sub: DFF<Bit>,
    snd_start: DFF<Bits<32>>,
    left: DFF<Bits<12>>,
    seq: DFF<Bits<32>>,
    crc: DFF<Bits<32>>,
    crc_net: Crc32Word,
    s_idle: Signal<Local, Bit>,
    s_h0: Signal<Local, Bit>,
    s_h1: Signal<Local, Bit>,
    s_h2: Signal<Local, Bit>,
    s_pay: Signal<Local, Bit>,
    s_crc: Signal<Local, Bit>,
    s_one_left: Signal<Local, Bit>,
    h0_first: Signal<Local, Bits<32>>,
    h0_last: Signal<Local, Bits<32>>,
    h0_pad: Signal<Local, Bits<32>>,
    h0_word: Signal<Local, Bits<32>>,
    h1_sub: Signal<Local, Bits<32>>,
    h1_word: Signal<Local, Bits<32>>,
    o_can: Signal<Local, Bit>,
    emit: Signal<Local, Bit>,
    s_rd: Signal<Local, Bit>,
    o_next: Signal<Local, Bits<32>>,

    o_full: DFF<Bit>,
    o_word: DFF<Bits<32>>,
    o_end: DFF<Bit>,
}

impl Default for PacketSend {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            d_valid: Default::default(),
            d_len: Default::default(),
            d_last: Default::default(),
            d_pad: Default::default(),
            d_part: Default::default(),
            d_sub: Default::default(),
            d_start: Default::default(),
            take: Default::default(),
            data: Default::default(),
            pop: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_word: Default::default(),
            out_end: Default::default(),
            restart: Default::default(),
            idle: Default::default(),
            k_sync: k((neurice_model::packet::SYNC as u64) << 16),
            k_first: k(1 << 15),
            k_lastf: k(1 << 14),
            k_pad: [0, 1, 2, 3].map(|p| k(p << 12)),
            k_pad_v: [0, 1, 2, 3].map(k),
            k_sub: k(neurice_model::packet::PART_SUB as u64),
            k_seq_inc: k(1 << 16),
            k_ones32: k(0xFFFF_FFFF),
            k_zero32: k(0),
            k_zero16: k(0),
            k_one12: k(1),
            k_st_idle: k(0),
            k_st_h0: k(1),
            k_st_h1: k(2),
            k_st_h2: k(3),
            k_st_pay: k(4),
            k_st_crc: k(5),
            state: Default::default(),
            snd_len: Default::default(),
            snd_last: Default::default(),
            snd_pad: Default::default(),
            snd_part: Default::default(),
            snd_sub: Default::default(),
            snd_start: Default::default(),
            left: Default::default(),
            seq: Default::default(),
            crc: Default::default(),
            crc_net: Default::default(),
            s_idle: Default::default(),
            s_h0: Default::default(),
            s_h1: Default::default(),
            s_h2: Default::default(),
            s_pay: Default::default(),
            s_crc: Default::default(),
            s_one_left: Default::default(),
            h0_first: Default::default(),
            h0_last: Default::default(),
            h0_pad: Default::default(),
            h0_word: Default::default(),
            h1_sub: Default::default(),
            h1_word: Default::default(),
            o_can: Default::default(),
            emit: Default::default(),
            s_rd: Default::default(),
            o_next: Default::default(),
            o_full: Default::default(),
            o_word: Default::default(),
            o_end: Default::default(),
        }
    }
}

impl Logic for PacketSend {
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, snd_len, snd_last, snd_pad, snd_part, snd_sub, snd_start, left,
            seq, crc, o_full, o_word, o_end
        );

        // ---- the state, decoded
        self.s_idle.next = false;
        self.s_h0.next = false;
        self.s_h1.next = false;
        self.s_h2.next = false;
        self.s_pay.next = false;
        self.s_crc.next = false;
        if self.state.q.val() == self.k_st_idle.val() {
            self.s_idle.next = true;
        }
        if self.state.q.val() == self.k_st_h0.val() {
            self.s_h0.next = true;
        }
        if self.state.q.val() == self.k_st_h1.val() {
            self.s_h1.next = true;
        }
        if self.state.q.val() == self.k_st_h2.val() {
            self.s_h2.next = true;
        }
        if self.state.q.val() == self.k_st_pay.val() {
            self.s_pay.next = true;
        }
        if self.state.q.val() == self.k_st_crc.val() {
            self.s_crc.next = true;
        }
        self.s_one_left.next = false;
        if self.left.q.val() == self.k_one12.val() {
            self.s_one_left.next = true;
        }

        // ---- header, payload, CRC, one word per clock while the output is free
        self.o_can.next = (!self.o_full.q.val()) | self.out_ready.val();
        self.emit.next = self.o_can.val() & (!self.s_idle.val());
        self.h0_first.next = self.k_zero32.val();
        if self.snd_part.q.val() == self.k_zero16.val() {
            self.h0_first.next = self.k_first.val();
        }
        self.h0_last.next = self.k_zero32.val();
        if self.snd_last.q.val() {
            self.h0_last.next = self.k_lastf.val();
        }
        self.h0_pad.next = self.k_zero32.val();
        for i in 0..4 {
            if self.snd_pad.q.val() == self.k_pad_v[i].val() {
                self.h0_pad.next = self.k_pad[i].val();
            }
        }
        self.h0_word.next = self.k_sync.val()
            | self.h0_first.val()
            | self.h0_last.val()
            | self.h0_pad.val()
            | bit_cast::<32, 12>(self.snd_len.q.val());
        self.h1_sub.next = self.k_zero32.val();
        if self.snd_sub.q.val() {
            self.h1_sub.next = self.k_sub.val();
        }
        self.h1_word.next =
            self.seq.q.val() | self.h1_sub.val() | bit_cast::<32, 16>(self.snd_part.q.val());
        self.o_next.next = !self.crc.q.val();
        if self.s_h0.val() {
            self.o_next.next = self.h0_word.val();
        }
        if self.s_h1.val() {
            self.o_next.next = self.h1_word.val();
        }
        if self.s_h2.val() {
            self.o_next.next = self.snd_start.q.val();
        }
        if self.s_pay.val() {
            self.o_next.next = self.data.val();
        }
        self.crc_net.crc_in.next = self.crc.q.val();
        if self.s_h0.val() {
            self.crc_net.crc_in.next = self.k_ones32.val();
        }
        self.crc_net.word.next = self.o_next.val();
        self.s_rd.next = self.emit.val() & self.s_pay.val();
        self.pop.next = self.s_rd.val();
        self.take.next = self.s_idle.val() & self.d_valid.val();
        if self.take.val() {
            self.snd_len.d.next = self.d_len.val();
            self.snd_last.d.next = self.d_last.val();
            self.snd_pad.d.next = self.d_pad.val();
            self.snd_part.d.next = self.d_part.val();
            self.snd_sub.d.next = self.d_sub.val();
            self.snd_start.d.next = self.d_start.val();
            self.left.d.next = self.d_len.val();
            self.state.d.next = self.k_st_h0.val();
        }
        if self.o_full.q.val() & self.out_ready.val() {
            self.o_full.d.next = false;
        }
        if self.emit.val() {
            self.o_full.d.next = true;
            self.o_word.d.next = self.o_next.val();
            self.o_end.d.next = self.s_crc.val();
            self.crc.d.next = self.crc_net.result.val();
            if self.s_h0.val() {
                self.state.d.next = self.k_st_h1.val();
            }
            if self.s_h1.val() {
                self.state.d.next = self.k_st_h2.val();
            }
            if self.s_h2.val() {
                self.state.d.next = self.k_st_pay.val();
            }
            if self.s_pay.val() {
                self.left.d.next = self.left.q.val() - self.k_one12.val();
                if self.s_one_left.val() {
                    self.state.d.next = self.k_st_crc.val();
                }
            }
            if self.s_crc.val() {
                self.state.d.next = self.k_st_idle.val();
                self.seq.d.next = self.seq.q.val() + self.k_seq_inc.val();
            }
        }
        self.out_valid.next = self.o_full.q.val();
        self.out_word.next = self.o_word.q.val();
        self.out_end.next = self.o_end.q.val();
        self.idle.next = self.s_idle.val() & (!self.o_full.q.val());
        if self.restart.val() {
            self.seq.d.next = self.k_zero32.val();
        }
    }
}

/// The packetiser of one word stream with a ring of `2^B` words (module docs): a
/// [`PacketFill`] and a [`PacketSend`].
#[derive(LogicBlock)]
pub struct Packetiser<const B: usize> {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_word: Signal<In, Bits<32>>,
    pub in_last: Signal<In, Bit>,
    pub eos: Signal<In, Bit>,
    pub clear: Signal<In, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_word: Signal<Out, Bits<32>>,
    pub out_end: Signal<Out, Bit>,
    pub idle: Signal<Out, Bit>,
    k_zero2: Constant<Bits<2>>,
    fill: PacketFill<B>,
    send: PacketSend,
}

impl<const B: usize> Packetiser<B> {
    /// The packetiser for `channels` channels per frame and the packet stream `pk`
    /// ([`PacketParams::check`]; the payload must fit the ring).
    pub fn new(channels: usize, pk: &PacketParams) -> Result<Self, HdlError> {
        pk.check()?;
        Ok(Self {
            clock: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_word: Default::default(),
            in_last: Default::default(),
            eos: Default::default(),
            clear: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_word: Default::default(),
            out_end: Default::default(),
            idle: Default::default(),
            k_zero2: k(0),
            fill: PacketFill::new(channels, pk)?,
            send: Default::default(),
        })
    }
}

impl<const B: usize> Logic for Packetiser<B> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, fill, send);
        self.fill.in_valid.next = self.in_valid.val();
        self.fill.in_word.next = self.in_word.val();
        self.fill.in_last.next = self.in_last.val();
        self.fill.in_pad.next = self.k_zero2.val();
        self.fill.eos.next = self.eos.val();
        self.in_ready.next = self.fill.in_ready.val();
        self.send.d_valid.next = self.fill.d_valid.val();
        self.send.d_len.next = self.fill.d_len.val();
        self.send.d_last.next = self.fill.d_last.val();
        self.send.d_pad.next = self.fill.d_pad.val();
        self.send.d_part.next = self.fill.d_part.val();
        self.send.d_sub.next = false;
        self.send.d_start.next = self.fill.d_start.val();
        self.fill.take.next = self.send.take.val();
        self.fill.pop.next = self.send.pop.val();
        self.send.data.next = self.fill.head.val();
        self.send.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.send.out_valid.val();
        self.out_word.next = self.send.out_word.val();
        self.out_end.next = self.send.out_end.val();
        self.idle.next = self.fill.empty.val() & self.send.idle.val();
        // a new stream's SEQ and START
        self.fill.restart.next = self.clear.val() & self.idle.val();
        self.send.restart.next = self.clear.val() & self.idle.val();
    }
}

/// Coder max's packetiser (FORMAT.md §10.8): the core's two tagged substreams, each into its
/// own [`PacketFill`] (ring of `2^B` words, `PART` counted per substream), and one
/// [`PacketSend`] for both that takes the closed packets in turn (the other substream first
/// when both wait) and numbers them with one `SEQ`. A substream's `FIRST` packet of the next
/// segment waits until the other substream's `LAST` packet of this segment has been taken,
/// so a segment's packets all leave before the next segment's (what `depacketise`, §9.4,
/// assembles: a `FIRST` closes the group's open segment).
///
/// | port | dir | meaning |
/// |------|-----|---------|
/// | `in_valid`, `in_ready`, `in_word[31:0]`, `in_stream`, `in_last`, `in_bytes[2:0]` | in/out | the max core's words and their marks (FORMAT.md §10.10) |
/// | `clear` | in | while idle: `SEQ` and `START` return to 0 |
/// | `out_valid`, `out_ready`, `out_word[31:0]`, `out_end` | out/in | packet words; `out_end` on each CRC word |
/// | `idle` | out | nothing buffered, nothing being sent |
#[derive(LogicBlock)]
pub struct MaxPacketiser<const B: usize> {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_word: Signal<In, Bits<32>>,
    pub in_stream: Signal<In, Bit>,
    pub in_last: Signal<In, Bit>,
    pub in_bytes: Signal<In, Bits<3>>,
    pub clear: Signal<In, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_word: Signal<Out, Bits<32>>,
    pub out_end: Signal<Out, Bit>,
    pub idle: Signal<Out, Bit>,

    k_zero2: Constant<Bits<2>>,
    k_zero16: Constant<Bits<16>>,
    /// the token substream's packets, and the raw substream's
    tok: PacketFill<B>,
    raw: PacketFill<B>,
    send: PacketSend,
    /// the last word's valid bytes mod 4, and its padding bytes (4 − valid, mod 4)
    bytes2: Signal<Local, Bits<2>>,
    pad2: Signal<Local, Bits<2>>,
    /// the ring the packet being sent comes from (1: raw)
    sel: DFF<Bit>,
    /// the raw substream goes first when both have a packet waiting
    prefer_raw: DFF<Bit>,
    /// the substream's LAST packet of a segment was taken, the other's not yet
    ahead_tok: DFF<Bit>,
    ahead_raw: DFF<Bit>,
    tok_first: Signal<Local, Bit>,
    raw_first: Signal<Local, Bit>,
    /// a FIRST packet waiting for the other substream's LAST
    tok_hold: Signal<Local, Bit>,
    raw_hold: Signal<Local, Bit>,
    ok_tok: Signal<Local, Bit>,
    ok_raw: Signal<Local, Bit>,
    pick_raw: Signal<Local, Bit>,
    restart: Signal<Local, Bit>,
}

impl<const B: usize> MaxPacketiser<B> {
    /// The packetiser for `channels` channels per frame and the packet stream `pk`
    /// ([`PacketParams::check`]; the payload must fit the ring).
    pub fn new(channels: usize, pk: &PacketParams) -> Result<Self, HdlError> {
        pk.check()?;
        Ok(Self {
            clock: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_word: Default::default(),
            in_stream: Default::default(),
            in_last: Default::default(),
            in_bytes: Default::default(),
            clear: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_word: Default::default(),
            out_end: Default::default(),
            idle: Default::default(),
            k_zero2: k(0),
            k_zero16: k(0),
            tok: PacketFill::new(channels, pk)?,
            raw: PacketFill::new(channels, pk)?,
            send: Default::default(),
            bytes2: Default::default(),
            pad2: Default::default(),
            sel: Default::default(),
            prefer_raw: Default::default(),
            ahead_tok: Default::default(),
            ahead_raw: Default::default(),
            tok_first: Default::default(),
            raw_first: Default::default(),
            tok_hold: Default::default(),
            raw_hold: Default::default(),
            ok_tok: Default::default(),
            ok_raw: Default::default(),
            pick_raw: Default::default(),
            restart: Default::default(),
        })
    }
}

impl<const B: usize> Logic for MaxPacketiser<B> {
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sel, prefer_raw, ahead_tok, ahead_raw);
        clock!(self, clock, tok, raw, send);

        // ---- the words, split by substream; the last word's padding bytes
        self.bytes2.next = bit_cast::<2, 3>(self.in_bytes.val());
        self.pad2.next = self.k_zero2.val() - self.bytes2.val();
        self.tok.in_valid.next = self.in_valid.val() & (!self.in_stream.val());
        self.raw.in_valid.next = self.in_valid.val() & self.in_stream.val();
        self.tok.in_word.next = self.in_word.val();
        self.raw.in_word.next = self.in_word.val();
        self.tok.in_last.next = self.in_last.val();
        self.raw.in_last.next = self.in_last.val();
        self.tok.in_pad.next = self.pad2.val();
        self.raw.in_pad.next = self.pad2.val();
        self.tok.eos.next = false;
        self.raw.eos.next = false;
        self.in_ready.next = self.tok.in_ready.val();
        if self.in_stream.val() {
            self.in_ready.next = self.raw.in_ready.val();
        }

        // ---- which closed packet goes next
        self.tok_first.next = false;
        if self.tok.d_part.val() == self.k_zero16.val() {
            self.tok_first.next = true;
        }
        self.raw_first.next = false;
        if self.raw.d_part.val() == self.k_zero16.val() {
            self.raw_first.next = true;
        }
        self.tok_hold.next = self.ahead_tok.q.val() & self.tok_first.val();
        self.raw_hold.next = self.ahead_raw.q.val() & self.raw_first.val();
        self.ok_tok.next = self.tok.d_valid.val() & (!self.tok_hold.val());
        self.ok_raw.next = self.raw.d_valid.val() & (!self.raw_hold.val());
        self.pick_raw.next = self.ok_raw.val() & ((!self.ok_tok.val()) | self.prefer_raw.q.val());
        self.send.d_valid.next = self.ok_tok.val() | self.ok_raw.val();
        self.send.d_len.next = self.tok.d_len.val();
        self.send.d_last.next = self.tok.d_last.val();
        self.send.d_pad.next = self.tok.d_pad.val();
        self.send.d_part.next = self.tok.d_part.val();
        self.send.d_start.next = self.tok.d_start.val();
        if self.pick_raw.val() {
            self.send.d_len.next = self.raw.d_len.val();
            self.send.d_last.next = self.raw.d_last.val();
            self.send.d_pad.next = self.raw.d_pad.val();
            self.send.d_part.next = self.raw.d_part.val();
            self.send.d_start.next = self.raw.d_start.val();
        }
        self.send.d_sub.next = self.pick_raw.val();
        self.tok.take.next = self.send.take.val() & (!self.pick_raw.val());
        self.raw.take.next = self.send.take.val() & self.pick_raw.val();
        if self.send.take.val() {
            self.sel.d.next = self.pick_raw.val();
            self.prefer_raw.d.next = !self.pick_raw.val();
            if self.pick_raw.val() {
                if self.raw.d_last.val() {
                    if self.ahead_tok.q.val() {
                        self.ahead_tok.d.next = false;
                    } else {
                        self.ahead_raw.d.next = true;
                    }
                }
            } else {
                if self.tok.d_last.val() {
                    if self.ahead_raw.q.val() {
                        self.ahead_raw.d.next = false;
                    } else {
                        self.ahead_tok.d.next = true;
                    }
                }
            }
        }

        // ---- the payload from the ring of the packet being sent
        self.tok.pop.next = self.send.pop.val() & (!self.sel.q.val());
        self.raw.pop.next = self.send.pop.val() & self.sel.q.val();
        self.send.data.next = self.tok.head.val();
        if self.sel.q.val() {
            self.send.data.next = self.raw.head.val();
        }
        self.send.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.send.out_valid.val();
        self.out_word.next = self.send.out_word.val();
        self.out_end.next = self.send.out_end.val();

        // ---- idle, and a new stream's SEQ and START
        self.idle.next = self.tok.empty.val() & self.raw.empty.val() & self.send.idle.val();
        self.restart.next = self.clear.val() & self.idle.val();
        self.tok.restart.next = self.restart.val();
        self.raw.restart.next = self.restart.val();
        self.send.restart.next = self.restart.val();
        if self.restart.val() {
            self.ahead_tok.d.next = false;
            self.ahead_raw.d.next = false;
            self.prefer_raw.d.next = false;
        }
    }
}

crate::core_struct! {
    /// The packet core: [`crate::EncoderCore`] built with restarts every `R` frames, its words
    /// into a [`Packetiser`] (ring of [`RING_BITS`] address bits). The same in-port as the core
    /// (`in_valid`, `in_ready`, `in_channel`, `in_sample`, `flush`, `clear`, `idle`); out: the
    /// packet stream's words (`out_valid`, `out_ready`, `out_word`) and `out_end` on each
    /// packet's last word. `flush` ends the stream: the core emits its last partial word, then
    /// the packetiser sends the open packet as its segment's last; `idle` comes back when
    /// everything has left. `clear` (as the core's) also restarts `SEQ` and `START`.
    pub struct PacketCore<const C: usize> {
        inputs: one_lane,
        pub out_end: Signal<Out, Bit>,
        pub core: crate::EncoderCore<C>,
        pub pk: Packetiser<RING_BITS>,
    }
}

impl<const C: usize> PacketCore<C> {
    /// The packet core for the coder `p` on `channels` channels per frame (at most `2^C`).
    pub fn new(
        p: &neurice_model::CodecParams,
        channels: usize,
        pk: &PacketParams,
    ) -> Result<Self, HdlError> {
        pk.check_for(&neurice_model::CoderSpec::Lite(*p), channels)?;
        let restart = crate::Restart {
            channels,
            segment_frames: pk.segment_frames,
        };
        Ok(crate::core_new! {
            inputs: one_lane,
            out_end: Default::default(),
            core: crate::EncoderCore::with_restart(p, Some(restart))?,
            pk: Packetiser::new(channels, pk)?,
        })
    }
}

impl<const C: usize> Logic for PacketCore<C> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, core, pk);
        self.core.in_valid.next = self.in_valid.val();
        self.core.in_channel.next = self.in_channel.val();
        self.core.in_sample.next = self.in_sample.val();
        self.core.flush.next = self.flush.val();
        self.core.clear.next = self.clear.val();
        self.in_ready.next = self.core.in_ready.val();
        self.core.out_ready.next = self.pk.in_ready.val();
        self.pk.in_valid.next = self.core.out_valid.val();
        self.pk.in_word.next = self.core.out_word.val();
        self.pk.in_last.next = self.core.out_last.val();
        self.pk.eos.next = self.flush.val() & self.core.idle.val();
        self.pk.clear.next = self.clear.val();
        self.pk.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.pk.out_valid.val();
        self.out_word.next = self.pk.out_word.val();
        self.out_end.next = self.pk.out_end.val();
        self.idle.next = self.core.idle.val() & self.pk.idle.val();
    }
}

/// The packet core's Verilog (top module `top`) for `channels` channels.
pub fn packet_verilog(
    p: &neurice_model::CodecParams,
    channels: usize,
    pk: &PacketParams,
) -> Result<String, HdlError> {
    with_address_bits!(crate::channel_bits(channels)?, C => {
        crate::emit_verilog(PacketCore::<C>::new(p, channels, pk)?)
    })
}

/// The packet core with 1024 channels of state.
pub type PacketCore1024 = PacketCore<10>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment of more than 65 536 packets would wrap the 16-bit `PART` register (issue 25:
    /// 8 channels, R = 65 536, P = 20 lost 85 985 samples in Verilator): refused.
    #[test]
    fn segments_part_cannot_number_are_refused() {
        let p = neurice_model::CodecParams::HARDWARE;
        let pk = PacketParams {
            segment_frames: 65_536,
            packet_bytes: 20,
        };
        pk.check().unwrap(); // the frame counter and the ring take it
        let e = PacketCore::<3>::new(&p, 8, &pk).err().unwrap().to_string();
        assert!(e.contains("PART"), "{e}");
        assert!(packet_verilog(&p, 8, &pk).is_err());
        // the defaults are fine for 1024 channels, and so is the largest R the bound allows
        PacketParams::DEFAULT
            .check_for(&neurice_model::CoderSpec::Lite(p), 1024)
            .unwrap();
        let cfg = neurice_model::packet::StreamConfig {
            segment_frames: 65_536,
            packet_bytes: 20,
            ..neurice_model::packet::StreamConfig::new(neurice_model::Coder::Lite, 8)
        };
        let r = neurice_model::packet_bound::max_segment_frames(&cfg);
        assert!(PacketParams {
            segment_frames: r,
            packet_bytes: 20
        }
        .check_for(&neurice_model::CoderSpec::Lite(p), 8)
        .is_ok());
    }
}
