//! # The board logic in the core clock domain (everything of `CuTop` but the PLL)
//!
//! ```text
//!  uart_rx -> UartRx -> byte pairing -> in_fifo (16 x 16b) -> command decode --> core
//!                                                    channel counter ---------^  |
//!  uart_tx <- UartTx <- 4-byte serialiser (MSB first) <- out_fifo (16 x 32b) <---+ + trailer
//!            (coder max: a tag byte first)  <- tags (16 x 5b flip-flops, TagQueue) <-+ (marks)
//! ```
//! The coder-max board ([`BoardSystemMax`]) is the same logic with the tagged records of
//! [`crate::protocol`]: a [`TagQueue`] beside the out FIFO keeps each entry's tag (the core's
//! `out_stream`, `out_last`, `out_bytes`, or the trailer's), sent before the word's 4 bytes.
//! The lite board's logic (and Verilog) is untouched by it.
//! * Reset: the (asynchronous, active-low) button and the PLL lock go through two flip-flops;
//!   while reset is active the FIFOs are drained, the channel counter, byte pairing, flags and
//!   word counter cleared and the channel count restored to its default. The core has no reset
//!   port: reset leaves its per-channel state alone. That state returns to the initial state
//!   on the clear command (`0xFFFE`, [`crate::protocol::CMD_CLEAR`]: the core's `clear` is held
//!   high until it is idle again, ~1024 clocks, dropping unflushed bits; the channel counter
//!   restarts at 0) or when the FPGA is configured.
//! * Commands: see [`crate::protocol`]. A sample is handed to the core when `in_ready`; a
//!   flush holds the core's `flush` high for at least 3 cycles and until `idle && !out_valid`,
//!   then pushes the trailer word (data words since the last trailer) into the out FIFO.
//! * LEDs: 0 heartbeat (1 Hz), 1 running (PLL locked, out of reset), 2 core idle, 3 flush in
//!   progress, 4 core output back-pressure seen (out FIFO full), 5 input overflow seen (a sample
//!   pair arrived with the in FIFO full: data lost), 6 protocol error seen (UART framing error
//!   or unknown command), 7 toggles per received byte. 4–6 are sticky until reset.

use rust_hdl::prelude::*;

use neurice_hdl::max::MaxCore1024;
use neurice_hdl::Core1024;
use neurice_model::CoderSpec;

use crate::uart::{UartRx, UartTx};

declare_sync_fifo!(InFifo, Bits<16>, 16, 1);
declare_sync_fifo!(OutFifo, Bits<32>, 16, 1);
/// Entries of the tag queue: the out FIFO's depth (`OutFifo`, 16).
const TAG_SLOTS: usize = 16;

/// The tags of the coder-max board's records ([`crate::protocol`]'s tagged format): a queue
/// written and read together with the out FIFO (same depth, so the same fill), one tag per
/// entry, made from the core's word marks (`out_stream`, `out_last`, `out_bytes`) or, for a
/// trailer, [`crate::protocol::TAG_TRAILER`] (a flush's) or [`crate::protocol::TAG_CLEARED`]
/// (a clear's). `tag` is the head's tag byte.
///
/// It is held in flip-flops, not block RAM: 16 slots of 5 bits (trailer, then `s l bb` or, for
/// a trailer, `000c` with `c` = cleared; the tag byte's constant bits are added on the way out), its own write and read pointers (the
/// board writes and reads it exactly when it writes and reads the out FIFO, never a full or an
/// empty one, so both wrap together). As a `declare_sync_fifo!` (16 x 8) it took one of the
/// HX8K's 32 block RAMs.
#[derive(LogicBlock)]
pub struct TagQueue {
    pub clock: Signal<In, Clock>,
    pub stream: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub bytes: Signal<In, Bits<3>>,
    pub trailer: Signal<In, Bit>,
    /// with `trailer`: the trailer of a clear
    pub cleared: Signal<In, Bit>,
    pub write: Signal<In, Bit>,
    pub read: Signal<In, Bit>,
    pub tag: Signal<Out, Bits<8>>,
    slot: [DFF<Bits<5>>; TAG_SLOTS],
    k_idx: [Constant<Bits<4>>; TAG_SLOTS],
    wp: DFF<Bits<4>>,
    rp: DFF<Bits<4>>,
    t_stream: Signal<Local, Bits<5>>,
    t_last: Signal<Local, Bits<5>>,
    t_bytes: Signal<Local, Bits<5>>,
    t_in: Signal<Local, Bits<5>>,
    head: Signal<Local, Bits<5>>,
    head_bits: Signal<Local, Bits<4>>,
    head_low: Signal<Local, Bits<8>>,
    /// a data record's tag with `s l bb` = 0
    k_data: Constant<Bits<8>>,
    k_trailer: Constant<Bits<8>>,
}

impl Default for TagQueue {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            stream: Default::default(),
            last: Default::default(),
            bytes: Default::default(),
            trailer: Default::default(),
            cleared: Default::default(),
            write: Default::default(),
            read: Default::default(),
            tag: Default::default(),
            slot: std::array::from_fn(|_| Default::default()),
            k_idx: std::array::from_fn(|i| Constant::new((i as u64).to_bits())),
            wp: Default::default(),
            rp: Default::default(),
            t_stream: Default::default(),
            t_last: Default::default(),
            t_bytes: Default::default(),
            t_in: Default::default(),
            head: Default::default(),
            head_bits: Default::default(),
            head_low: Default::default(),
            k_data: Constant::new((crate::protocol::TAG_WORD as u64).to_bits()),
            k_trailer: Constant::new((crate::protocol::TAG_TRAILER as u64).to_bits()),
        }
    }
}

impl Logic for TagQueue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wp, rp);
        for i in 0..TAG_SLOTS {
            self.slot[i].clock.next = self.clock.val();
            self.slot[i].d.next = self.slot[i].q.val();
        }
        // entry: t s l bb; a data record's tag is 0101 s l bb (bb = valid bytes - 1; 4 unless
        // `last`), the trailer's 0x60 (t = 1), a clear's trailer 0x61 (t = 1, c = 1)
        self.t_stream.next = 0.into();
        if self.stream.val() {
            self.t_stream.next = 8.into();
        }
        self.t_last.next = 0.into();
        if self.last.val() {
            self.t_last.next = 4.into();
        }
        self.t_bytes.next = 3.into();
        match self.bytes.val().index() {
            1 => {
                self.t_bytes.next = 0.into();
            }
            2 => {
                self.t_bytes.next = 1.into();
            }
            3 => {
                self.t_bytes.next = 2.into();
            }
            _ => {}
        }
        self.t_in.next = (self.t_stream.val() | self.t_last.val()) | self.t_bytes.val();
        if self.trailer.val() {
            self.t_in.next = 16.into();
            if self.cleared.val() {
                self.t_in.next = 17.into();
            }
        }
        if self.write.val() {
            for i in 0..TAG_SLOTS {
                if self.wp.q.val() == self.k_idx[i].val() {
                    self.slot[i].d.next = self.t_in.val();
                }
            }
            self.wp.d.next = self.wp.q.val() + 1;
        }
        if self.read.val() {
            self.rp.d.next = self.rp.q.val() + 1;
        }
        // the head (first-word fall-through, like the out FIFO's `data_out`)
        self.head.next = 0.into();
        for i in 0..TAG_SLOTS {
            if self.rp.q.val() == self.k_idx[i].val() {
                self.head.next = self.slot[i].q.val();
            }
        }
        self.head_bits.next = self.head.val().get_bits::<4>(0);
        self.head_low.next = bit_cast::<8, 4>(self.head_bits.val());
        self.tag.next = self.head_low.val() | self.k_data.val();
        if self.head.val().get_bit(4) {
            self.tag.next = self.head_low.val() | self.k_trailer.val();
        }
    }
}

/// Build-time settings of the board logic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SystemConfig {
    /// The coder of the core, with its parameters (the host decodes with the same value):
    /// coder v1 is carried by [`BoardSystem`], coder max by [`BoardSystemMax`]; coder v2 is
    /// refused (its core is retired, `neurice_hdl::v2::CORE_RETIRED`).
    pub coder: CoderSpec,
    /// Core clock cycles per UART bit.
    pub baud_divisor: u32,
    /// Channel count at power-up and after reset (1..=1024).
    pub default_channels: u16,
    /// Core clock cycles per heartbeat LED half period.
    pub heartbeat_half_period: u32,
}

impl SystemConfig {
    pub fn check(&self) -> anyhow::Result<()> {
        match &self.coder {
            CoderSpec::Max(s) => {
                if s.params.max_error > 0 {
                    anyhow::bail!("{}", crate::MAX_NEAR_NO_BOARD);
                }
                neurice_hdl::max::check_max_params(&s.params)
                    .map_err(|e| anyhow::anyhow!("max encoder core: {e}"))?
            }
            CoderSpec::V2(_) => anyhow::bail!("{}", neurice_hdl::v2::CORE_RETIRED),
            CoderSpec::Lite(p) => {
                neurice_hdl::check_params(p).map_err(|e| anyhow::anyhow!("encoder core: {e}"))?
            }
        }
        crate::uart::check_divisor(self.baud_divisor)?;
        if !(1..=neurice_hdl::MAX_CHANNELS).contains(&(self.default_channels as usize)) {
            anyhow::bail!(
                "default channel count {} out of range 1..={}",
                self.default_channels,
                neurice_hdl::MAX_CHANNELS
            );
        }
        if self.heartbeat_half_period == 0 {
            anyhow::bail!("heartbeat half period must be at least one cycle");
        }
        Ok(())
    }
}

/// The board system around one core type: the same struct, constructor and logic for
/// every coder's core (`$make` builds the core from the [`SystemConfig`]; the cores have the
/// same port contract, `neurice_sim`'s). With `tagged: <tag queue field>, <flag field>` (the
/// max core, whose words carry `out_stream`, `out_last`, `out_bytes`) the board adds a
/// [`TagQueue`] and sends a tag byte before each word; without it the expansion is the
/// lite board's, unchanged (its emitted Verilog is byte for byte what it was).
macro_rules! board_system {
    ($(#[$doc:meta])* $name:ident, $core:ty, $make:path $(, tagged: $tags:ident, $tag_sent:ident)?) => {
        $(#[$doc])*
        #[derive(LogicBlock)]
        pub struct $name {
            pub clock: Signal<In, Clock>,
            /// The reset button, active low, asynchronous.
            pub reset_btn_n: Signal<In, Bit>,
            pub pll_locked: Signal<In, Bit>,
            pub uart_rx: Signal<In, Bit>,
            pub uart_tx: Signal<Out, Bit>,
            pub leds: Signal<Out, Bits<8>>,
            pub core: $core,
            rx: UartRx,
            tx: UartTx,
            in_fifo: InFifo,
            out_fifo: OutFifo,
            ch_default_m1: Constant<Bits<10>>,
            hb_half_m1: Constant<Bits<32>>,
            rst_ok0: DFF<Bit>,
            rst_ok1: DFF<Bit>,
            have_lo: DFF<Bit>,
            lo_byte: DFF<Bits<8>>,
            ch_cnt: DFF<Bits<10>>,
            ch_last: DFFWithInit<Bits<10>>,
            flush_age: DFF<Bits<2>>,
            word_count: DFF<Bits<32>>,
            byte_idx: DFF<Bits<2>>,
            hb_count: DFF<Bits<32>>,
            hb_led: DFF<Bit>,
            seen_backpressure: DFF<Bit>,
            seen_overflow: DFF<Bit>,
            seen_error: DFF<Bit>,
            rx_toggle: DFF<Bit>,
            reset: Signal<Local, Bit>,
            lo_wide: Signal<Local, Bits<16>>,
            hi_wide: Signal<Local, Bits<16>>,
            head: Signal<Local, Bits<16>>,
            head_hi: Signal<Local, Bits<6>>,
            head_arg: Signal<Local, Bits<10>>,
            is_sample: Signal<Local, Bit>,
            is_setch: Signal<Local, Bit>,
            is_flush: Signal<Local, Bit>,
            is_clear: Signal<Local, Bit>,
            flush_aged: Signal<Local, Bit>,
            flush_done: Signal<Local, Bit>,
            ch_wrap: Signal<Local, Bit>,
            trailer: Signal<Local, Bit>,
            out_head: Signal<Local, Bits<32>>,
            flushing: Signal<Local, Bit>,
            led0: Signal<Local, Bits<8>>,
            led1: Signal<Local, Bits<8>>,
            led2: Signal<Local, Bits<8>>,
            led3: Signal<Local, Bits<8>>,
            led4: Signal<Local, Bits<8>>,
            led5: Signal<Local, Bits<8>>,
            led6: Signal<Local, Bits<8>>,
            led7: Signal<Local, Bits<8>>,
            $(
            /// the tag of each out-FIFO entry ([`TagQueue`], read and written with it)
            $tags: TagQueue,
            /// the record's tag byte has been sent; its word's 4 bytes follow
            $tag_sent: DFF<Bit>,
            )?
        }

        impl $name {
            /// The board logic around a new core for the coder of `cfg`.
            pub fn new(cfg: &SystemConfig) -> anyhow::Result<Self> {
                cfg.check()?;
                let core = $make(cfg)?;
                let ch_m1 = (cfg.default_channels - 1) as u64;
                Ok(Self {
                    clock: Default::default(),
                    reset_btn_n: Default::default(),
                    pll_locked: Default::default(),
                    uart_rx: Default::default(),
                    uart_tx: Default::default(),
                    leds: Default::default(),
                    core,
                    rx: UartRx::new(cfg.baud_divisor)?,
                    tx: UartTx::new(cfg.baud_divisor)?,
                    in_fifo: Default::default(),
                    out_fifo: Default::default(),
                    ch_default_m1: Constant::new(ch_m1.to_bits()),
                    hb_half_m1: Constant::new(((cfg.heartbeat_half_period - 1) as u64).to_bits()),
                    rst_ok0: Default::default(),
                    rst_ok1: Default::default(),
                    have_lo: Default::default(),
                    lo_byte: Default::default(),
                    ch_cnt: Default::default(),
                    ch_last: DFFWithInit::new(ch_m1.to_bits()),
                    flush_age: Default::default(),
                    word_count: Default::default(),
                    byte_idx: Default::default(),
                    hb_count: Default::default(),
                    hb_led: Default::default(),
                    seen_backpressure: Default::default(),
                    seen_overflow: Default::default(),
                    seen_error: Default::default(),
                    rx_toggle: Default::default(),
                    reset: Default::default(),
                    lo_wide: Default::default(),
                    hi_wide: Default::default(),
                    head: Default::default(),
                    head_hi: Default::default(),
                    head_arg: Default::default(),
                    is_sample: Default::default(),
                    is_setch: Default::default(),
                    is_flush: Default::default(),
                    is_clear: Default::default(),
                    flush_aged: Default::default(),
                    flush_done: Default::default(),
                    ch_wrap: Default::default(),
                    trailer: Default::default(),
                    out_head: Default::default(),
                    flushing: Default::default(),
                    led0: Default::default(),
                    led1: Default::default(),
                    led2: Default::default(),
                    led3: Default::default(),
                    led4: Default::default(),
                    led5: Default::default(),
                    led6: Default::default(),
                    led7: Default::default(),
                    $(
                    $tags: Default::default(),
                    $tag_sent: Default::default(),
                    )?
                })
            }
        }

        impl Logic for $name {
            #[hdl_gen]
            fn update(&mut self) {
                dff_setup!(
                    self,
                    clock,
                    rst_ok0,
                    rst_ok1,
                    have_lo,
                    lo_byte,
                    ch_cnt,
                    ch_last,
                    flush_age,
                    word_count,
                    byte_idx,
                    hb_count,
                    hb_led,
                    seen_backpressure,
                    seen_overflow,
                    seen_error,
                    rx_toggle
                    $(, $tag_sent)?
                );
                clock!(self, clock, rx, tx, in_fifo, out_fifo, core $(, $tags)?);

                // ---- reset: button and PLL lock, two flip-flops --------------------------
                self.rst_ok0.d.next = self.reset_btn_n.val() & self.pll_locked.val();
                self.rst_ok1.d.next = self.rst_ok0.q.val();
                self.reset.next = !self.rst_ok1.q.val();

                // ---- heartbeat ------------------------------------------------------------
                self.hb_count.d.next = self.hb_count.q.val() + 1;
                if self.hb_count.q.val() == self.hb_half_m1.val() {
                    self.hb_count.d.next = 0.into();
                    self.hb_led.d.next = !self.hb_led.q.val();
                }

                // ---- UART bytes -> 16-bit values (low byte first) -> in FIFO ---------------
                self.rx.rx.next = self.uart_rx.val();
                self.lo_wide.next = bit_cast::<16, 8>(self.lo_byte.q.val());
                self.hi_wide.next = bit_cast::<16, 8>(self.rx.data.val());
                self.in_fifo.data_in.next = (self.hi_wide.val() << 8) | self.lo_wide.val();
                self.in_fifo.write.next = false;
                if self.rx.valid.val() {
                    self.rx_toggle.d.next = !self.rx_toggle.q.val();
                    if self.have_lo.q.val() {
                        self.have_lo.d.next = false;
                        if self.in_fifo.full.val() {
                            self.seen_overflow.d.next = true;
                        } else {
                            self.in_fifo.write.next = true;
                        }
                    } else {
                        self.have_lo.d.next = true;
                        self.lo_byte.d.next = self.rx.data.val();
                    }
                }
                if self.rx.frame_error.val() {
                    self.seen_error.d.next = true;
                }

                // ---- command decode -> core input ------------------------------------------
                self.head.next = self.in_fifo.data_out.val();
                self.head_hi.next = self.head.val().get_bits::<6>(10);
                self.head_arg.next = self.head.val().get_bits::<10>(0);
                self.is_sample.next = self.head_hi.val() == 0;
                self.is_setch.next = self.head_hi.val() == 32;
                self.is_flush.next = self.head.val() == 0xFFFF;
                self.is_clear.next = self.head.val() == 0xFFFE;
                self.flush_aged.next = self.flush_age.q.val() == 3;
                self.flush_done.next = self.flush_aged.val()
                    & self.core.idle.val()
                    & !self.core.out_valid.val()
                    & !self.out_fifo.full.val();
                self.ch_wrap.next = self.ch_cnt.q.val() == self.ch_last.q.val();
                self.core.in_channel.next = self.ch_cnt.q.val();
                self.core.in_sample.next = self.head_arg.val();
                self.core.in_valid.next = false;
                self.core.flush.next = false;
                self.core.clear.next = false;
                self.in_fifo.read.next = false;
                self.trailer.next = false;
                $(self.$tags.cleared.next = false;)?
                self.flushing.next = false;
                self.flush_age.d.next = 0.into();
                if !self.in_fifo.empty.val() {
                    if self.is_sample.val() {
                        self.core.in_valid.next = true;
                        if self.core.in_ready.val() {
                            self.in_fifo.read.next = true;
                            if self.ch_wrap.val() {
                                self.ch_cnt.d.next = 0.into();
                            } else {
                                self.ch_cnt.d.next = self.ch_cnt.q.val() + 1;
                            }
                        }
                    } else if self.is_flush.val() {
                        self.core.flush.next = true;
                        self.flushing.next = true;
                        if self.flush_aged.val() {
                            self.flush_age.d.next = self.flush_age.q.val();
                        } else {
                            self.flush_age.d.next = self.flush_age.q.val() + 1;
                        }
                        if self.flush_done.val() {
                            self.trailer.next = true;
                            self.in_fifo.read.next = true;
                        }
                    } else if self.is_clear.val() {
                        // new stream: the core drops pending bits and resets every channel's state;
                        // the command completes when the core is idle again
                        self.core.clear.next = true;
                        if self.core.idle.val() {
                            self.in_fifo.read.next = true;
                            self.ch_cnt.d.next = 0.into();
                            // tagged: the clear's trailer, so the host can drop the records of
                            // the dropped block; the command waits for room for it
                            $(
                            if self.out_fifo.full.val() {
                                self.in_fifo.read.next = false;
                                self.ch_cnt.d.next = self.ch_cnt.q.val();
                            } else {
                                self.trailer.next = true;
                                self.$tags.cleared.next = true;
                            }
                            )?
                        }
                    } else if self.is_setch.val() {
                        self.ch_last.d.next = self.head_arg.val();
                        self.ch_cnt.d.next = 0.into();
                        self.in_fifo.read.next = true;
                    } else {
                        self.seen_error.d.next = true;
                        self.in_fifo.read.next = true;
                    }
                }

                // ---- core output (+ trailer) -> out FIFO ------------------------------------
                self.core.out_ready.next = !self.out_fifo.full.val();
                self.out_fifo.data_in.next = self.core.out_word.val();
                self.out_fifo.write.next = false;
                $(
                self.$tags.stream.next = self.core.out_stream.val();
                self.$tags.last.next = self.core.out_last.val();
                self.$tags.bytes.next = self.core.out_bytes.val();
                self.$tags.trailer.next = self.trailer.val();
                self.$tags.write.next = false;
                )?
                if self.trailer.val() {
                    self.out_fifo.write.next = true;
                    $(self.$tags.write.next = true;)?
                    self.out_fifo.data_in.next = self.word_count.q.val();
                    self.word_count.d.next = 0.into();
                } else if self.core.out_valid.val() & !self.out_fifo.full.val() {
                    self.out_fifo.write.next = true;
                    $(self.$tags.write.next = true;)?
                    self.word_count.d.next = self.word_count.q.val() + 1;
                }
                if self.core.out_valid.val() & self.out_fifo.full.val() {
                    self.seen_backpressure.d.next = true;
                }

                // ---- out FIFO -> 4 bytes, most significant first -> UART TX ---------------
                self.out_head.next = self.out_fifo.data_out.val();
                self.tx.data.next = self.out_head.val().get_bits::<8>(24);
                match self.byte_idx.q.val().index() {
                    1 => {
                        self.tx.data.next = self.out_head.val().get_bits::<8>(16);
                    }
                    2 => {
                        self.tx.data.next = self.out_head.val().get_bits::<8>(8);
                    }
                    3 => {
                        self.tx.data.next = self.out_head.val().get_bits::<8>(0);
                    }
                    _ => {}
                }
                self.tx.start.next = false;
                self.out_fifo.read.next = false;
                if !self.out_fifo.empty.val() & self.tx.ready.val() {
                    self.tx.start.next = true;
                    self.byte_idx.d.next = self.byte_idx.q.val() + 1;
                    if self.byte_idx.q.val() == 3 {
                        self.out_fifo.read.next = true;
                    }
                }
                // tagged records (coder max): the tag byte, then the word's 4 bytes
                $(
                if !self.$tag_sent.q.val() {
                    self.tx.data.next = self.$tags.tag.val();
                }
                self.byte_idx.d.next = self.byte_idx.q.val();
                self.out_fifo.read.next = false;
                self.$tags.read.next = false;
                if !self.out_fifo.empty.val() & self.tx.ready.val() {
                    if self.$tag_sent.q.val() {
                        self.byte_idx.d.next = self.byte_idx.q.val() + 1;
                        if self.byte_idx.q.val() == 3 {
                            self.out_fifo.read.next = true;
                            self.$tags.read.next = true;
                            self.$tag_sent.d.next = false;
                        }
                    } else {
                        self.$tag_sent.d.next = true;
                    }
                }
                )?
                self.uart_tx.next = self.tx.tx.val();

                // ---- reset overrides ----------------------------------------------------
                if self.reset.val() {
                    self.have_lo.d.next = false;
                    self.ch_cnt.d.next = 0.into();
                    self.ch_last.d.next = self.ch_default_m1.val();
                    self.flush_age.d.next = 0.into();
                    self.word_count.d.next = 0.into();
                    self.byte_idx.d.next = 0.into();
                    self.seen_backpressure.d.next = false;
                    self.seen_overflow.d.next = false;
                    self.seen_error.d.next = false;
                    self.core.in_valid.next = false;
                    self.core.flush.next = false;
                    self.core.out_ready.next = true;
                    self.in_fifo.write.next = false;
                    self.out_fifo.write.next = false;
                    self.tx.start.next = false;
                    self.in_fifo.read.next = !self.in_fifo.empty.val();
                    self.out_fifo.read.next = !self.out_fifo.empty.val();
                    $(
                    self.$tags.write.next = false;
                    self.$tags.read.next = !self.out_fifo.empty.val();
                    self.$tag_sent.d.next = false;
                    )?
                }

                // ---- LEDs --------------------------------------------------------------
                self.led0.next = 0.into();
                self.led1.next = 0.into();
                self.led2.next = 0.into();
                self.led3.next = 0.into();
                self.led4.next = 0.into();
                self.led5.next = 0.into();
                self.led6.next = 0.into();
                self.led7.next = 0.into();
                if self.hb_led.q.val() {
                    self.led0.next = 1.into();
                }
                if !self.reset.val() {
                    self.led1.next = 2.into();
                }
                if self.core.idle.val() {
                    self.led2.next = 4.into();
                }
                if self.flushing.val() {
                    self.led3.next = 8.into();
                }
                if self.seen_backpressure.q.val() {
                    self.led4.next = 16.into();
                }
                if self.seen_overflow.q.val() {
                    self.led5.next = 32.into();
                }
                if self.seen_error.q.val() {
                    self.led6.next = 64.into();
                }
                if self.rx_toggle.q.val() {
                    self.led7.next = 128.into();
                }
                self.leds.next = self.led0.val()
                    | self.led1.val()
                    | self.led2.val()
                    | self.led3.val()
                    | self.led4.val()
                    | self.led5.val()
                    | self.led6.val()
                    | self.led7.val();
            }
        }
    };
}

fn v1_core(cfg: &SystemConfig) -> anyhow::Result<Core1024> {
    let CoderSpec::Lite(p) = &cfg.coder else {
        anyhow::bail!("BoardSystem carries the coder-v1 core; coder max is BoardSystemMax");
    };
    Core1024::new(p).map_err(|e| anyhow::anyhow!("encoder core: {e}"))
}

board_system!(
    /// The board logic and the coder-v1 encoder core (1024 channels of state), in the core
    /// clock domain.
    BoardSystem,
    Core1024,
    v1_core
);

fn max_core(cfg: &SystemConfig) -> anyhow::Result<MaxCore1024> {
    let CoderSpec::Max(s) = &cfg.coder else {
        anyhow::bail!("BoardSystemMax carries the coder-max core");
    };
    MaxCore1024::new(&s.params, &s.table.table())
        .map_err(|e| anyhow::anyhow!("max encoder core: {e}"))
}

board_system!(
    /// The board logic and the coder-max encoder core ([`MaxCore1024`], 1024 channels of
    /// state), in the core clock domain: the logic of [`BoardSystem`] with the tagged records
    /// of [`crate::protocol`] on the way out (a tag byte per word from [`TagQueue`], then the
    /// word's 4 bytes).
    BoardSystemMax,
    MaxCore1024,
    max_core,
    tagged: tags,
    tag_sent
);
