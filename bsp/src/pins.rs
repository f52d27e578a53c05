//! # Alchitry Cu pin table — the ONE place the board's pins are written down
//!
//! iCE40HX8K-CB132 ball names. `dir` is seen from the FPGA.
//!
//! Sources (read 2026-11-23 through the project's code-search tool, stored copies of the
//! public repositories):
//! * Alchitry Labs V2 (the board vendor's IDE), `src/main/kotlin/com/alchitry/labs2/hardware/
//!   pinout/CuPin.kt`: `CLOCK P7`, `RESET P8`, `LED0..LED7 = J11 K11 K12 K14 L12 L14 M12 N14`,
//!   `USB_RX P14`, `USB_TX M9`. Its constraint file `library/components/Constraints/
//!   alchitry.acf` binds the top ports `usb_rx -> USB_RX` and `usb_tx -> USB_TX`.
//! * Alchitry's Lucid tutorial "ROMs and FSMs" (for the Cu) declares those ports in the
//!   base project's `cu_top` as `input usb_rx // USB->Serial input` and
//!   `output usb_tx // USB->Serial output`, and `input rst_n // reset button (active low)`.
//! * wmarone/alchitry_cu_icestorm `cu.pcf` (an icestorm flow for the Cu): `usb_rx P14`,
//!   `usb_tx M9`, `clk P7`, `rst_n P8`, the same LEDs, with `input usb_rx` in `basic/cu.v`.
//! * The rust-hdl board crate (`pins::clock`, `pins::leds`) agrees on P7 and the LEDs (checked
//!   by a test below).
//!
//! So the FTDI's TX reaches the FPGA on P14 (our input `usb_rx`) and the FPGA transmits to the
//! FTDI's RX on M9 (our output `usb_tx`). Not checked on a board: see the crate docs.

/// Direction of a top-level port, seen from the FPGA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    In,
    Out,
}

/// One top-level port bit and its ball.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    /// Port name in the top module (`name[index]` for buses).
    pub port: &'static str,
    pub index: Option<u8>,
    pub ball: &'static str,
    pub dir: Dir,
    pub what: &'static str,
}

const fn pin(port: &'static str, ball: &'static str, dir: Dir, what: &'static str) -> Pin {
    Pin {
        port,
        index: None,
        ball,
        dir,
        what,
    }
}

const fn led(i: u8, ball: &'static str) -> Pin {
    Pin {
        port: "led",
        index: Some(i),
        ball,
        dir: Dir::Out,
        what: "user LED (active high)",
    }
}

/// Every pin `CuTop` uses.
pub const CU_PINS: &[Pin] = &[
    pin("clk", "P7", Dir::In, "100 MHz oscillator"),
    pin("rst_n", "P8", Dir::In, "reset button, active low"),
    pin(
        "usb_rx",
        "P14",
        Dir::In,
        "FTDI UART TXD -> FPGA (USB->serial)",
    ),
    pin(
        "usb_tx",
        "M9",
        Dir::Out,
        "FPGA -> FTDI UART RXD (serial->USB)",
    ),
    led(0, "J11"),
    led(1, "K11"),
    led(2, "K12"),
    led(3, "K14"),
    led(4, "L12"),
    led(5, "L14"),
    led(6, "M12"),
    led(7, "N14"),
];

/// The PCF (nextpnr-ice40 `--pcf`) for [`CU_PINS`].
pub fn pcf() -> String {
    let mut s =
        String::from("# Alchitry Cu (iCE40HX8K-CB132), generated from neurice-bsp pins.rs\n");
    for p in CU_PINS {
        let name = match p.index {
            Some(i) => format!("{}[{}]", p.port, i),
            None => p.port.to_string(),
        };
        s += &format!("set_io {name} {}  # {:?}: {}\n", p.ball, p.dir, p.what);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balls_are_unique_and_agree_with_the_board_crate() {
        let mut balls: Vec<&str> = CU_PINS.iter().map(|p| p.ball).collect();
        balls.sort();
        balls.dedup();
        assert_eq!(balls.len(), CU_PINS.len(), "a ball is used twice");
        // the rust-hdl board crate's own clock and LED locations
        use rust_hdl::core::prelude::*;
        let clk = rust_hdl_bsp_alchitry_cu::pins::clock();
        let clk_ball = match &clk.constraints()[0].constraint {
            Constraint::Location(l) => l.clone(),
            c => panic!("unexpected {c:?}"),
        };
        assert_eq!(clk_ball, "P7");
        let leds = rust_hdl_bsp_alchitry_cu::pins::leds();
        for c in leds.constraints() {
            let Constraint::Location(l) = &c.constraint else {
                panic!("unexpected {c:?}")
            };
            let ours = CU_PINS
                .iter()
                .find(|p| p.port == "led" && p.index == Some(c.index as u8))
                .expect("led bit");
            assert_eq!(ours.ball, l, "led[{}]", c.index);
        }
    }

    #[test]
    fn pcf_lists_every_pin() {
        let p = pcf();
        assert!(p.contains("set_io clk P7"));
        assert!(p.contains("set_io usb_rx P14"));
        assert!(p.contains("set_io usb_tx M9"));
        assert!(p.contains("set_io led[7] N14"));
        assert_eq!(p.matches("set_io").count(), CU_PINS.len());
    }
}
