//! # `CuTop`: the Alchitry Cu top level
//!
//! ```text
//!  clk (P7, 100 MHz) --> Pll (SB_PLL40_CORE) --clock_out/locked--> board logic + core
//!  rst_n (P8) ---------------------------------------------------->  (reset sync)
//!  usb_rx (P14) -------------------------------------------------->  UART RX
//!  usb_tx (M9)  <--------------------------------------------------  UART TX
//!  led[7:0]     <--------------------------------------------------  status
//! ```
//! The top holds no logic of its own: only the PLL and the wiring. It is built for Verilog
//! only; it is not simulated in Rust: the PLL is a vendor primitive, and a clock taken from a
//! sub-block's output gives rust-hdl's simulator zero register delay (see the rust-hdl field
//! notes). The tests simulate [`BoardSystem`] (everything below the PLL) instead, in rust-hdl
//! and, as emitted Verilog, in Verilator.

use rust_hdl::prelude::*;

use crate::pll::{Pll, PllSetting};
use crate::system::SystemConfig;
use crate::system::{BoardSystem, BoardSystemMax};

/// The top around one board system type (the same PLL and wiring for either coder's core).
macro_rules! cu_top {
    ($(#[$doc:meta])* $name:ident, $system:ty) => {
        $(#[$doc])*
        #[derive(LogicBlock)]
        pub struct $name {
            pub clk: Signal<In, Clock>,
            pub rst_n: Signal<In, Bit>,
            pub usb_rx: Signal<In, Bit>,
            pub usb_tx: Signal<Out, Bit>,
            pub led: Signal<Out, Bits<8>>,
            pub pll: Pll,
            pub system: $system,
        }

        impl $name {
            pub fn new(pll: PllSetting, cfg: &SystemConfig) -> anyhow::Result<Self> {
                Ok(Self {
                    clk: Default::default(),
                    rst_n: Default::default(),
                    usb_rx: Default::default(),
                    usb_tx: Default::default(),
                    led: Default::default(),
                    pll: Pll::new(pll),
                    system: <$system>::new(cfg)?,
                })
            }
        }

        impl Logic for $name {
            #[hdl_gen]
            fn update(&mut self) {
                self.pll.clock_in.next = self.clk.val();
                self.system.clock.next = self.pll.clock_out.val();
                self.system.pll_locked.next = self.pll.locked.val();
                self.system.reset_btn_n.next = self.rst_n.val();
                self.system.uart_rx.next = self.usb_rx.val();
                self.usb_tx.next = self.system.uart_tx.val();
                self.led.next = self.system.leds.val();
            }
        }
    };
}

cu_top!(
    /// The Alchitry Cu top with the coder-v1 core ([`BoardSystem`]).
    CuTop,
    BoardSystem
);

cu_top!(
    /// The Alchitry Cu top with the coder-max core ([`BoardSystemMax`]: tagged records on the
    /// UART, see [`crate::protocol`]).
    CuTopMax,
    BoardSystemMax
);
