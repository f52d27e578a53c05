//! The event core's per-channel state: `2^N` channels × [`FIELDS`] fields of 16 bits, one
//! read and one write port on one clock, registered read, zero-initialised, banked by 256
//! channels (one `SB_RAM40_4K` in 256 × 16 mode per field and bank). The fields (FORMAT.md
//! §12.5, `neurice_model::events::detect::pack`): `s1`, `s2` (the filter), `est`,
//! `acc_noise`, `acc_power`, `ctl` (`refractory | below << 6 | rail << 7`).
//!
//! Enables per field group, so a block that is not needed spends no access energy: the read
//! enable `read_enable` reads `s1`, `s2`, `est` and `ctl` (every sample), `read_noise` the
//! noise sum (noise frames and a period's last frame), `read_pow` the power sum (the frames
//! it takes and a bin's last frame); the write enables are `write_main` (`s1`, `s2`: every
//! sample), `write_est` (a period's last frame), `write_noise`, `write_pow` and `write_ctl`
//! (only when the field changes: while the refractory count runs, when `below` flips).
//! Semantics (both models): at a rising edge an enabled read registers the field (otherwise
//! it holds its word), then enabled writes store; a read of the address being written
//! returns the old word. The core never reads a channel whose write is still in flight (its
//! interlock), so the Verilog carries `(* no_rw_check *)`.

use rust_hdl::prelude::*;

/// Fields of a channel's state.
pub const FIELDS: usize = 6;
/// Field names, in RAM order.
pub const FIELD_NAMES: [&str; FIELDS] = ["s1", "s2", "est", "noise", "pow", "ctl"];
const NOISE: usize = 3;
const EST: usize = 2;
const POW: usize = 4;
const CTL: usize = 5;

#[derive(LogicBlock)]
pub struct EventRam<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<N>>,
    pub read_enable: Signal<In, Bit>,
    pub read_noise: Signal<In, Bit>,
    pub read_pow: Signal<In, Bit>,
    pub rd_s1: Signal<Out, Bits<16>>,
    pub rd_s2: Signal<Out, Bits<16>>,
    pub rd_est: Signal<Out, Bits<16>>,
    pub rd_noise: Signal<Out, Bits<16>>,
    pub rd_pow: Signal<Out, Bits<16>>,
    pub rd_ctl: Signal<Out, Bits<16>>,
    pub write_address: Signal<In, Bits<N>>,
    pub wr_s1: Signal<In, Bits<16>>,
    pub wr_s2: Signal<In, Bits<16>>,
    pub wr_est: Signal<In, Bits<16>>,
    pub wr_noise: Signal<In, Bits<16>>,
    pub wr_pow: Signal<In, Bits<16>>,
    pub wr_ctl: Signal<In, Bits<16>>,
    pub write_main: Signal<In, Bit>,
    pub write_est: Signal<In, Bit>,
    pub write_noise: Signal<In, Bit>,
    pub write_pow: Signal<In, Bit>,
    pub write_ctl: Signal<In, Bit>,
    _mem: Vec<[u16; FIELDS]>,
    _word: [u16; FIELDS],
}

impl<const N: usize> Default for EventRam<N> {
    fn default() -> Self {
        EventRam {
            clock: Default::default(),
            read_address: Default::default(),
            read_enable: Default::default(),
            read_noise: Default::default(),
            read_pow: Default::default(),
            rd_s1: Default::default(),
            rd_s2: Default::default(),
            rd_est: Default::default(),
            rd_noise: Default::default(),
            rd_pow: Default::default(),
            rd_ctl: Default::default(),
            write_address: Default::default(),
            wr_s1: Default::default(),
            wr_s2: Default::default(),
            wr_est: Default::default(),
            wr_noise: Default::default(),
            wr_pow: Default::default(),
            wr_ctl: Default::default(),
            write_main: Default::default(),
            write_est: Default::default(),
            write_noise: Default::default(),
            write_pow: Default::default(),
            write_ctl: Default::default(),
            _mem: vec![[0; FIELDS]; 1 << N],
            _word: [0; FIELDS],
        }
    }
}

impl<const N: usize> EventRam<N> {
    /// The fields of a channel (for testbenches and failure reports).
    pub fn peek(&self, channel: usize) -> [u16; FIELDS] {
        self._mem[channel]
    }
}

impl<const N: usize> Logic for EventRam<N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let ra = self.read_address.val().index();
            for f in 0..FIELDS {
                let en = match f {
                    NOISE => self.read_noise.val(),
                    POW => self.read_pow.val(),
                    _ => self.read_enable.val(),
                };
                if en {
                    self._word[f] = self._mem[ra][f];
                }
            }
            let wa = self.write_address.val().index();
            let data = [
                self.wr_s1.val().to_u64() as u16,
                self.wr_s2.val().to_u64() as u16,
                self.wr_est.val().to_u64() as u16,
                self.wr_noise.val().to_u64() as u16,
                self.wr_pow.val().to_u64() as u16,
                self.wr_ctl.val().to_u64() as u16,
            ];
            for (f, &d) in data.iter().enumerate() {
                let en = match f {
                    EST => self.write_est.val(),
                    NOISE => self.write_noise.val(),
                    POW => self.write_pow.val(),
                    CTL => self.write_ctl.val(),
                    _ => self.write_main.val(),
                };
                if en {
                    self._mem[wa][f] = d;
                }
            }
            let w = self._word;
            self.rd_s1.next = (w[0] as u64).into();
            self.rd_s2.next = (w[1] as u64).into();
            self.rd_est.next = (w[2] as u64).into();
            self.rd_noise.next = (w[3] as u64).into();
            self.rd_pow.next = (w[4] as u64).into();
            self.rd_ctl.next = (w[5] as u64).into();
        }
    }

    fn connect(&mut self) {
        self.rd_s1.connect();
        self.rd_s2.connect();
        self.rd_est.connect();
        self.rd_noise.connect();
        self.rd_pow.connect();
        self.rd_ctl.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(event_ram_verilog(N))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![]
    }
}

/// The banked Verilog of [`EventRam`] for `address_bits` channel-address bits.
pub fn event_ram_verilog(address_bits: usize) -> String {
    use std::fmt::Write as _;
    let n = address_bits;
    let bank_bits = n.saturating_sub(crate::ram::BANK_ADDRESS_BITS);
    let inner = n.min(crate::ram::BANK_ADDRESS_BITS);
    let banks = 1usize << bank_bits;
    let last = (1usize << inner) - 1;
    let lo = |a: &str| {
        if n == 1 {
            a.to_string()
        } else {
            format!("{a}[{}:0]", inner - 1)
        }
    };
    let mut v = String::new();
    for f in FIELD_NAMES {
        for b in 0..banks {
            let _ = writeln!(
                v,
                "(* no_rw_check *)\nreg [15:0] m_{f}_{b} [0:{last}];\nreg [15:0] w_{f}_{b};"
            );
        }
    }
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "reg [{b}:0] read_bank;\nreg [{b}:0] noise_bank;\nreg [{b}:0] pow_bank;",
            b = bank_bits - 1
        );
    }
    let _ = writeln!(v, "integer i;\ninitial begin");
    for f in FIELD_NAMES {
        for b in 0..banks {
            let _ = writeln!(
                v,
                "   for (i = 0; i <= {last}; i = i + 1) m_{f}_{b}[i] = 16'd0;\n   w_{f}_{b} = 16'd0;"
            );
        }
    }
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "   read_bank = {bank_bits}'d0;\n   noise_bank = {bank_bits}'d0;\n   pow_bank = {bank_bits}'d0;"
        );
    }
    let _ = writeln!(v, "end\n\nalways @(posedge clock) begin");
    let hi = |a: &str| format!("{a}[{}:{}]", n - 1, crate::ram::BANK_ADDRESS_BITS);
    for f in FIELD_NAMES {
        let (ren, wen) = match f {
            "noise" => ("read_noise", "write_noise"),
            "pow" => ("read_pow", "write_pow"),
            "ctl" => ("read_enable", "write_ctl"),
            "est" => ("read_enable", "write_est"),
            _ => ("read_enable", "write_main"),
        };
        for b in 0..banks {
            let (rs, ws) = if bank_bits == 0 {
                (String::new(), String::new())
            } else {
                (
                    format!(" && {} == {bank_bits}'d{b}", hi("read_address")),
                    format!(" && {} == {bank_bits}'d{b}", hi("write_address")),
                )
            };
            let _ = writeln!(
                v,
                "   if ({ren}{rs}) w_{f}_{b} <= m_{f}_{b}[{}];\n   if ({wen}{ws}) m_{f}_{b}[{}] <= wr_{f};",
                lo("read_address"),
                lo("write_address")
            );
        }
    }
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "   if (read_enable) read_bank <= {a};\n   if (read_noise) noise_bank <= {a};\n   \
             if (read_pow) pow_bank <= {a};",
            a = hi("read_address")
        );
    }
    let _ = writeln!(v, "end\n\nalways @(*) begin");
    for f in FIELD_NAMES {
        let sel = match f {
            "noise" => "noise_bank",
            "pow" => "pow_bank",
            _ => "read_bank",
        };
        if banks == 1 {
            let _ = writeln!(v, "   rd_{f} = w_{f}_0;");
        } else {
            let _ = writeln!(v, "   case ({sel})");
            for b in 0..banks {
                let _ = writeln!(v, "      {bank_bits}'d{b}: rd_{f} = w_{f}_{b};");
            }
            let _ = writeln!(v, "      default: rd_{f} = w_{f}_0;\n   endcase");
        }
    }
    let _ = writeln!(v, "end");
    v
}
