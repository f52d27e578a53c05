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
}

/// The packetiser with a ring of `2^B` words (module docs).
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

    // ---- constants ----
    k_pw: Constant<Bits<12>>,
    k_cap: Constant<Bits<12>>,
    k_rc: Constant<Bits<32>>,
    k_sync: Constant<Bits<32>>,
    k_first: Constant<Bits<32>>,
    k_lastf: Constant<Bits<32>>,
    k_seq_inc: Constant<Bits<32>>,
    k_ones32: Constant<Bits<32>>,
    k_zero32: Constant<Bits<32>>,
    k_zero16: Constant<Bits<16>>,
    k_one16: Constant<Bits<16>>,
    k_zero12: Constant<Bits<12>>,
    k_one12: Constant<Bits<12>>,
    k_one_b: Constant<Bits<B>>,
    k_st_idle: Constant<Bits<3>>,
    k_st_h0: Constant<Bits<3>>,
    k_st_h1: Constant<Bits<3>>,
    k_st_h2: Constant<Bits<3>>,
    k_st_pay: Constant<Bits<3>>,
    k_st_crc: Constant<Bits<3>>,

    // ---- ring buffer ----
    ram: WordRam<B>,
    wr_ptr: DFF<Bits<B>>,
    rd_ptr: DFF<Bits<B>>,
    used: DFF<Bits<12>>,
    rd_next: Signal<Local, Bits<B>>,

    // ---- fill: the open packet ----
    count: DFF<Bits<12>>,
    fill_part: DFF<Bits<16>>,
    fill_start: DFF<Bits<32>>,
    fill_done: DFF<Bit>,
    f_full: Signal<Local, Bit>,
    f_ring_full: Signal<Local, Bit>,
    f_block: Signal<Local, Bit>,
    f_ready: Signal<Local, Bit>,
    f_accept: Signal<Local, Bit>,
    f_empty: Signal<Local, Bit>,

    // ---- the pending descriptor ----
    pend_valid: DFF<Bit>,
    pend_len: DFF<Bits<12>>,
    pend_last: DFF<Bit>,
    pend_part: DFF<Bits<16>>,
    pend_start: DFF<Bits<32>>,

    // ---- send ----
    state: DFF<Bits<3>>,
    snd_len: DFF<Bits<12>>,
    snd_last: DFF<Bit>,
    snd_part: DFF<Bits<16>>,
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
    h0_word: Signal<Local, Bits<32>>,
    h1_word: Signal<Local, Bits<32>>,
    o_can: Signal<Local, Bit>,
    emit: Signal<Local, Bit>,
    s_rd: Signal<Local, Bit>,
    o_next: Signal<Local, Bits<32>>,

    // ---- output register ----
    o_full: DFF<Bit>,
    o_word: DFF<Bits<32>>,
    o_end: DFF<Bit>,
}

impl<const B: usize> Packetiser<B> {
    /// The packetiser for `channels` channels per frame and the packet stream `pk`
    /// ([`PacketParams::check`]; the payload must fit the ring).
    pub fn new(channels: usize, pk: &PacketParams) -> Result<Self, HdlError> {
        pk.check()?;
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
            eos: Default::default(),
            clear: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_word: Default::default(),
            out_end: Default::default(),
            idle: Default::default(),
            k_pw: k(pw as u64),
            k_cap: k(1 << B),
            k_rc: k(rc),
            k_sync: k((neurice_model::packet::SYNC as u64) << 16),
            k_first: k(1 << 15),
            k_lastf: k(1 << 14),
            k_seq_inc: k(1 << 16),
            k_ones32: k(0xFFFF_FFFF),
            k_zero32: k(0),
            k_zero16: k(0),
            k_one16: k(1),
            k_zero12: k(0),
            k_one12: k(1),
            k_one_b: k(1),
            k_st_idle: k(0),
            k_st_h0: k(1),
            k_st_h1: k(2),
            k_st_h2: k(3),
            k_st_pay: k(4),
            k_st_crc: k(5),
            ram: Default::default(),
            wr_ptr: Default::default(),
            rd_ptr: Default::default(),
            used: Default::default(),
            rd_next: Default::default(),
            count: Default::default(),
            fill_part: Default::default(),
            fill_start: Default::default(),
            fill_done: Default::default(),
            f_full: Default::default(),
            f_ring_full: Default::default(),
            f_block: Default::default(),
            f_ready: Default::default(),
            f_accept: Default::default(),
            f_empty: Default::default(),
            pend_valid: Default::default(),
            pend_len: Default::default(),
            pend_last: Default::default(),
            pend_part: Default::default(),
            pend_start: Default::default(),
            state: Default::default(),
            snd_len: Default::default(),
            snd_last: Default::default(),
            snd_part: Default::default(),
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
            h0_word: Default::default(),
            h1_word: Default::default(),
            o_can: Default::default(),
            emit: Default::default(),
            s_rd: Default::default(),
            o_next: Default::default(),
            o_full: Default::default(),
            o_word: Default::default(),
            o_end: Default::default(),
        })
    }
}

impl<const B: usize> Logic for Packetiser<B> {
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, wr_ptr, rd_ptr, used, count, fill_part, fill_start, fill_done, pend_valid,
            pend_len, pend_last, pend_part, pend_start, state, snd_len, snd_last, snd_part,
            snd_start, left, seq, crc, o_full, o_word, o_end
        );
        clock!(self, clock, ram);

        // ---- sender state, decoded
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

        // ---- fill: a word is taken unless the ring is full, the open packet waits to be
        // closed as LAST, or a full packet would be closed while the pending slot is taken
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
                self.pend_part.d.next = self.fill_part.q.val();
                self.pend_start.d.next = self.fill_start.q.val();
                self.count.d.next = self.k_one12.val();
                self.fill_part.d.next = self.fill_part.q.val() + self.k_one16.val();
            }
            if self.in_last.val() {
                self.fill_done.d.next = true;
            }
        } else if self.fill_done.q.val() & (!self.pend_valid.q.val()) {
            // the segment's last packet
            self.pend_valid.d.next = true;
            self.pend_len.d.next = self.count.q.val();
            self.pend_last.d.next = true;
            self.pend_part.d.next = self.fill_part.q.val();
            self.pend_start.d.next = self.fill_start.q.val();
            self.count.d.next = self.k_zero12.val();
            self.fill_part.d.next = self.k_zero16.val();
            self.fill_start.d.next = self.fill_start.q.val() + self.k_rc.val();
            self.fill_done.d.next = false;
        } else if self.eos.val() & (!self.f_empty.val()) {
            // end of stream: the open packet is its (shorter) segment's last
            self.fill_done.d.next = true;
        }

        // ---- send: header, payload, CRC, one word per clock while the output is free
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
        self.h0_word.next = self.k_sync.val()
            | self.h0_first.val()
            | self.h0_last.val()
            | bit_cast::<32, 12>(self.snd_len.q.val());
        self.h1_word.next = self.seq.q.val() | bit_cast::<32, 16>(self.snd_part.q.val());
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
            self.o_next.next = self.ram.read_data.val();
        }
        self.crc_net.crc_in.next = self.crc.q.val();
        if self.s_h0.val() {
            self.crc_net.crc_in.next = self.k_ones32.val();
        }
        self.crc_net.word.next = self.o_next.val();
        // the ring is read one clock ahead: the address of the word the payload sends next
        self.s_rd.next = self.emit.val() & self.s_pay.val();
        self.rd_next.next = self.rd_ptr.q.val();
        if self.s_rd.val() {
            self.rd_next.next = self.rd_ptr.q.val() + self.k_one_b.val();
        }
        self.ram.read_address.next = self.rd_next.val();
        self.ram.read_enable.next = true;
        self.rd_ptr.d.next = self.rd_next.val();
        if self.f_accept.val() & (!self.s_rd.val()) {
            self.used.d.next = self.used.q.val() + self.k_one12.val();
        }
        if self.s_rd.val() & (!self.f_accept.val()) {
            self.used.d.next = self.used.q.val() - self.k_one12.val();
        }
        if self.s_idle.val() & self.pend_valid.q.val() {
            self.pend_valid.d.next = false;
            self.snd_len.d.next = self.pend_len.q.val();
            self.snd_last.d.next = self.pend_last.q.val();
            self.snd_part.d.next = self.pend_part.q.val();
            self.snd_start.d.next = self.pend_start.q.val();
            self.left.d.next = self.pend_len.q.val();
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

        // ---- idle, and a new stream's SEQ and START
        self.idle.next = false;
        if self.f_empty.val() & self.s_idle.val() {
            self.idle.next =
                (!self.pend_valid.q.val()) & (!self.fill_done.q.val()) & (!self.o_full.q.val());
        }
        if self.clear.val() & self.idle.val() {
            self.seq.d.next = self.k_zero32.val();
            self.fill_start.d.next = self.k_zero32.val();
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
        pk.check()?;
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
