//! # 8N1 UART receiver and transmitter
//!
//! Both blocks run from the core clock and take the baud divisor (core clock cycles per bit,
//! `>= 4`) as a construction parameter that becomes a Verilog constant.
//!
//! ```text
//!            +--------+                      +--------+
//!   rx ----->| UartRx |--> data[8], valid    | UartTx |--> tx
//!            |        |--> frame_error       |        |<-- data[8], start
//!            +--------+                      +--------+--> ready
//! ```
//! * `UartRx`: two-flop synchroniser on `rx`; a falling edge starts a frame, the start bit is
//!   re-checked half a bit later, data bits (LSB first) and the stop bit are sampled in the
//!   middle of each bit. `valid` (or `frame_error` when the stop bit is low) pulses for one
//!   cycle, about half a stop bit after the line's last edge. Latency: ~9.5 bit times from the
//!   start edge.
//! * `UartTx`: `ready` is high when idle; a byte is taken in the cycle `start && ready`, and
//!   sent as 1 start bit, 8 data bits LSB first, 1 stop bit (10 bit times, then ready again).
//!   Throughput: one byte per 10 bit times.
//!
//! Line levels are kept inverted in the flip-flops so that their power-up value (0) is the
//! idle line level (high).

use rust_hdl::prelude::*;

/// The smallest baud divisor the receiver supports (it samples at half a bit).
pub const MIN_DIVISOR: u32 = 4;

/// Receiver state.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum RxState {
    Idle,
    Start,
    Data,
    Stop,
}

/// 8N1 receiver; see the module docs.
#[derive(LogicBlock)]
pub struct UartRx {
    pub clock: Signal<In, Clock>,
    /// The (asynchronous) serial line, idle high.
    pub rx: Signal<In, Bit>,
    pub data: Signal<Out, Bits<8>>,
    /// One-cycle pulse: `data` holds a received byte.
    pub valid: Signal<Out, Bit>,
    /// One-cycle pulse: a frame ended with a low stop bit (byte dropped).
    pub frame_error: Signal<Out, Bit>,
    div_m1: Constant<Bits<16>>,
    half_m1: Constant<Bits<16>>,
    /// Synchroniser, storing the inverted line (0 = idle high).
    sync0_n: DFF<Bit>,
    sync1_n: DFF<Bit>,
    state: DFF<RxState>,
    count: DFF<Bits<16>>,
    bit_idx: DFF<Bits<4>>,
    shift: DFF<Bits<8>>,
    line: Signal<Local, Bit>,
    shifted: Signal<Local, Bits<8>>,
    msb: Signal<Local, Bits<8>>,
}

impl UartRx {
    /// `divisor`: core clock cycles per bit (`>= MIN_DIVISOR`, `< 65536`).
    pub fn new(divisor: u32) -> anyhow::Result<Self> {
        check_divisor(divisor)?;
        Ok(Self {
            clock: Default::default(),
            rx: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            frame_error: Default::default(),
            div_m1: Constant::new((divisor as u64 - 1).to_bits()),
            half_m1: Constant::new((divisor as u64 / 2 - 1).to_bits()),
            sync0_n: Default::default(),
            sync1_n: Default::default(),
            state: Default::default(),
            count: Default::default(),
            bit_idx: Default::default(),
            shift: Default::default(),
            line: Default::default(),
            shifted: Default::default(),
            msb: Default::default(),
        })
    }
}

pub(crate) fn check_divisor(divisor: u32) -> anyhow::Result<()> {
    if !(MIN_DIVISOR..65536).contains(&divisor) {
        anyhow::bail!(
            "UART baud divisor {divisor} out of range: need {MIN_DIVISOR} <= divisor < 65536 \
             core clock cycles per bit"
        );
    }
    Ok(())
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync0_n, sync1_n, state, count, bit_idx, shift);
        self.sync0_n.d.next = !self.rx.val();
        self.sync1_n.d.next = self.sync0_n.q.val();
        self.line.next = !self.sync1_n.q.val();
        self.shifted.next = self.shift.q.val() >> 1;
        self.msb.next = 0.into();
        if self.line.val() {
            self.msb.next = 128.into();
        }
        self.data.next = self.shift.q.val();
        self.valid.next = false;
        self.frame_error.next = false;
        self.count.d.next = self.count.q.val() + 1;
        match self.state.q.val() {
            RxState::Idle => {
                self.count.d.next = 0.into();
                if !self.line.val() {
                    self.state.d.next = RxState::Start;
                }
            }
            RxState::Start => {
                if self.count.q.val() == self.half_m1.val() {
                    self.count.d.next = 0.into();
                    self.bit_idx.d.next = 0.into();
                    if self.line.val() {
                        // a glitch, not a start bit
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.state.d.next = RxState::Data;
                    }
                }
            }
            RxState::Data => {
                if self.count.q.val() == self.div_m1.val() {
                    self.count.d.next = 0.into();
                    self.shift.d.next = self.shifted.val() | self.msb.val();
                    self.bit_idx.d.next = self.bit_idx.q.val() + 1;
                    if self.bit_idx.q.val() == 7 {
                        self.state.d.next = RxState::Stop;
                    }
                }
            }
            RxState::Stop => {
                if self.count.q.val() == self.div_m1.val() {
                    self.count.d.next = 0.into();
                    self.state.d.next = RxState::Idle;
                    if self.line.val() {
                        self.valid.next = true;
                    } else {
                        self.frame_error.next = true;
                    }
                }
            }
            _ => {
                self.state.d.next = RxState::Idle;
            }
        }
    }
}

/// 8N1 transmitter; see the module docs.
#[derive(LogicBlock)]
pub struct UartTx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    /// Take `data` when `start && ready`.
    pub start: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    /// The serial line, idle high.
    pub tx: Signal<Out, Bit>,
    div_m1: Constant<Bits<16>>,
    /// Frame bits still to send, LSB first: {stop, data[7:0], start}.
    shift: DFF<Bits<10>>,
    bits_left: DFF<Bits<4>>,
    count: DFF<Bits<16>>,
    /// The inverted line (0 = idle high).
    line_n: DFF<Bit>,
    frame: Signal<Local, Bits<10>>,
    data_wide: Signal<Local, Bits<10>>,
    shifted: Signal<Local, Bits<10>>,
    lsb: Signal<Local, Bits<10>>,
}

impl UartTx {
    /// `divisor`: core clock cycles per bit (`>= MIN_DIVISOR`, `< 65536`).
    pub fn new(divisor: u32) -> anyhow::Result<Self> {
        check_divisor(divisor)?;
        Ok(Self {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            ready: Default::default(),
            tx: Default::default(),
            div_m1: Constant::new((divisor as u64 - 1).to_bits()),
            shift: Default::default(),
            bits_left: Default::default(),
            count: Default::default(),
            line_n: Default::default(),
            frame: Default::default(),
            data_wide: Default::default(),
            shifted: Default::default(),
            lsb: Default::default(),
        })
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shift, bits_left, count, line_n);
        self.tx.next = !self.line_n.q.val();
        self.ready.next = self.bits_left.q.val() == 0;
        self.data_wide.next = bit_cast::<10, 8>(self.data.val());
        self.frame.next = (self.data_wide.val() << 1) | 512;
        self.shifted.next = self.shift.q.val() >> 1;
        self.lsb.next = self.shift.q.val() & 1;
        self.count.d.next = self.count.q.val() + 1;
        if self.bits_left.q.val() == 0 {
            self.count.d.next = 0.into();
            self.line_n.d.next = false;
            if self.start.val() {
                self.shift.d.next = self.frame.val();
                self.bits_left.d.next = 10.into();
            }
        } else {
            // the current bit is shift[0]; it stays on the line for div cycles
            self.line_n.d.next = self.lsb.val() == 0;
            if self.count.q.val() == self.div_m1.val() {
                self.count.d.next = 0.into();
                self.shift.d.next = self.shifted.val();
                self.bits_left.d.next = self.bits_left.q.val() - 1;
            }
        }
    }
}
