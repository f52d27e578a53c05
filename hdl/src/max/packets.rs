//! Coder max's packet core (FORMAT.md §10.8, §9.6): the max core coding blocks of `R` frames
//! (the segments), its two tagged substreams into a [`MaxPacketiser`] — a ring buffer and a
//! packet descriptor per substream, one sender numbering both substreams' packets — so the
//! packet stream of `neurice_model::packet::packetise` for coder max leaves the chip, packet
//! for packet (the order across the two substreams is the hardware's own, §10.8).
//!
//! **Segments.** The core ends a block at its `flush` (FORMAT.md §10.10). The packet core
//! counts frames (a frame ends with the sample of channel `channels − 1`); after the last
//! sample of frame `R − 1` of a segment it takes no sample (`in_ready` low) and holds the
//! core's `flush` until the core is idle: the block's last words have left the core marked
//! `out_last`, and the next sample starts the next block from its restart (§10.6). That costs
//! the pipeline's drain once per segment (measured by the tests as stall cycles). The
//! caller's `flush` ends the stream: the open (shorter) segment is finished the same way.
//!
//! Ports: the max core's in-port (`in_valid`, `in_ready`, `in_channel`, `in_sample`, `flush`,
//! `clear`, `idle`), out: the packet words (`out_valid`, `out_ready`, `out_word`) and `out_end`
//! on each packet's last (CRC) word. `clear` as the max core's (while idle, it also returns
//! `SEQ`, `START` and the frame count to 0: a new stream).

use neurice_model::max::MaxSpec;
use neurice_model::CoderSpec;
use rust_hdl::prelude::*;

use super::MaxCore;
use crate::packetiser::{MaxPacketiser, PacketParams, RING_BITS};
use crate::HdlError;

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

crate::core_struct! {
    /// Coder max's packet core for `2^C` channels of state (module docs).
    pub struct MaxPacketCore<const C: usize> {
        inputs: one_lane,
        pub out_end: Signal<Out, Bit>,
        pub core: MaxCore<C>,
        pub pk: MaxPacketiser<RING_BITS>,
        k_ch_last: Constant<Bits<C>>,
        k_fr_last: Constant<Bits<16>>,
        k_zero16: Constant<Bits<16>>,
        k_one16: Constant<Bits<16>>,
        /// the frame of the segment being taken
        frame: DFF<Bits<16>>,
        /// the segment's last sample was taken: the core finishes the block
        seg_end: DFF<Bit>,
        take: Signal<Local, Bit>,
    }
}

impl<const C: usize> MaxPacketCore<C> {
    /// The packet core for coder max `spec` on `channels` channels per frame (at most `2^C`)
    /// and the packet stream `pk` ([`PacketParams::check_for`]).
    pub fn new(spec: &MaxSpec, channels: usize, pk: &PacketParams) -> Result<Self, HdlError> {
        pk.check_for(&CoderSpec::Max(*spec), channels)?;
        if channels == 0 || channels > 1 << C {
            return Err(HdlError::Channels(channels));
        }
        Ok(crate::core_new! {
            inputs: one_lane,
            out_end: Default::default(),
            core: MaxCore::new(&spec.params, &spec.table.table())?,
            pk: MaxPacketiser::new(channels, pk)?,
            k_ch_last: k(channels as u64 - 1),
            k_fr_last: k(pk.segment_frames as u64 - 1),
            k_zero16: k(0),
            k_one16: k(1),
            frame: Default::default(),
            seg_end: Default::default(),
            take: Default::default(),
        })
    }
}

impl<const C: usize> Logic for MaxPacketCore<C> {
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, frame, seg_end);
        clock!(self, clock, core, pk);

        // ---- samples, and the segment's end
        self.core.in_valid.next = self.in_valid.val() & (!self.seg_end.q.val());
        self.in_ready.next = self.core.in_ready.val() & (!self.seg_end.q.val());
        self.take.next = self.in_valid.val() & self.in_ready.val();
        self.core.in_channel.next = self.in_channel.val();
        self.core.in_sample.next = self.in_sample.val();
        self.core.flush.next = self.flush.val() | self.seg_end.q.val();
        self.core.clear.next = self.clear.val();
        if self.take.val() {
            if self.in_channel.val() == self.k_ch_last.val() {
                if self.frame.q.val() == self.k_fr_last.val() {
                    self.frame.d.next = self.k_zero16.val();
                    self.seg_end.d.next = true;
                } else {
                    self.frame.d.next = self.frame.q.val() + self.k_one16.val();
                }
            }
        }
        if self.seg_end.q.val() & self.core.idle.val() {
            self.seg_end.d.next = false;
        }
        if self.clear.val() {
            self.frame.d.next = self.k_zero16.val();
            self.seg_end.d.next = false;
        }

        // ---- the core's tagged words into the packetiser
        self.core.out_ready.next = self.pk.in_ready.val();
        self.pk.in_valid.next = self.core.out_valid.val();
        self.pk.in_word.next = self.core.out_word.val();
        self.pk.in_stream.next = self.core.out_stream.val();
        self.pk.in_last.next = self.core.out_last.val();
        self.pk.in_bytes.next = self.core.out_bytes.val();
        self.pk.clear.next = self.clear.val();
        self.pk.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.pk.out_valid.val();
        self.out_word.next = self.pk.out_word.val();
        self.out_end.next = self.pk.out_end.val();
        self.idle.next = self.core.idle.val() & self.pk.idle.val() & (!self.seg_end.q.val());
    }
}

/// The max packet core's Verilog (top module `top`) for `channels` channels.
pub fn max_packet_verilog(
    spec: &MaxSpec,
    channels: usize,
    pk: &PacketParams,
) -> Result<String, HdlError> {
    with_address_bits!(crate::channel_bits(channels)?, C => {
        crate::emit_verilog(MaxPacketCore::<C>::new(spec, channels, pk)?)
    })
}

/// The max packet core with 1024 channels of state.
pub type MaxPacketCore1024 = MaxPacketCore<10>;
