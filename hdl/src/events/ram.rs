//! The event core's per-channel state: `2^N` channels × [`FIELDS`] fields of 16 bits, one
//! read and one write port on one clock, registered read, zero-initialised, banked by 256
//! channels (one `SB_RAM40_4K` in 256 × 16 mode per field and bank). The fields (FORMAT.md
//! §12.5, `neurice_model::events::detect::pack`): `s1`, `s2` (the filter), `est`,
//! `acc_noise`, `acc_power`, `ctl` (`refractory | below << 6 | rail << 7`).
//!
//! Enables per field group, so a block that is not needed spends no access energy: the read
//! enable `read_enable` reads `s1`, `s2` and `est` (every sample), `read_noise` the noise sum
//! (noise frames and a period's last frame), `read_pow` the power sum (the frames it takes
//! and a bin's last frame), `ctl_read` the control field at its own address `ctl_read_address`
//! (the core reads it one clock after the others, and only for a channel whose flag is set);
//! the write enables are `write_main` (`s1`, `s2`: every sample), `write_est` (a period's
//! last frame), `write_noise`, `write_pow` and `write_ctl` (only when the field changes to a
//! non-zero value).
//!
//! **Flags** (hardware only, not part of the model's state): one bit per channel, "`ctl` is
//! not zero", 16 channels to a word (channel `c`: word `c >> 4`, bit `c & 15`; one more
//! `SB_RAM40_4K`, of which 2^(N−4) words are used). `flag_read` reads the word of
//! `read_address`'s channel to `flag_rd`; `flag_write` writes the one bit `flag_wr` of
//! `write_address`'s channel (the block RAM's bit mask), the other 15 bits stay. A channel
//! whose flag is clear has `ctl = 0`, whatever the `ctl` field holds ([`EventRam::peek`]
//! reports the state so).
//!
//! Semantics (both models): at a rising edge an enabled read registers the field (otherwise
//! it holds its word), then enabled writes store; a read of the address being written
//! returns the old word. The core never reads a channel whose write is still in flight, nor a
//! flag word in the clock its bit is written (its interlock), so the Verilog carries
//! `(* no_rw_check *)`.

use rust_hdl::prelude::*;

/// Fields of a channel's state.
pub const FIELDS: usize = 6;
/// Field names, in RAM order.
pub const FIELD_NAMES: [&str; FIELDS] = ["s1", "s2", "est", "noise", "pow", "ctl"];
const NOISE: usize = 3;
const EST: usize = 2;
const POW: usize = 4;
const CTL: usize = 5;

/// Block-RAM accesses counted by the rust-hdl model ([`EventRam::accesses`]): per field in
/// RAM order, then the flag words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accesses {
    pub reads: [u64; FIELDS + 1],
    pub writes: [u64; FIELDS + 1],
}

impl Accesses {
    /// All reads (every field and the flags).
    pub fn total_reads(&self) -> u64 {
        self.reads.iter().sum()
    }
    /// All writes (every field and the flags).
    pub fn total_writes(&self) -> u64 {
        self.writes.iter().sum()
    }
}

#[derive(LogicBlock)]
pub struct EventRam<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<N>>,
    pub read_enable: Signal<In, Bit>,
    pub read_noise: Signal<In, Bit>,
    pub read_pow: Signal<In, Bit>,
    pub ctl_read: Signal<In, Bit>,
    pub ctl_read_address: Signal<In, Bits<N>>,
    pub flag_read: Signal<In, Bit>,
    pub rd_s1: Signal<Out, Bits<16>>,
    pub rd_s2: Signal<Out, Bits<16>>,
    pub rd_est: Signal<Out, Bits<16>>,
    pub rd_noise: Signal<Out, Bits<16>>,
    pub rd_pow: Signal<Out, Bits<16>>,
    pub rd_ctl: Signal<Out, Bits<16>>,
    pub flag_rd: Signal<Out, Bits<16>>,
    pub write_address: Signal<In, Bits<N>>,
    pub wr_s1: Signal<In, Bits<16>>,
    pub wr_s2: Signal<In, Bits<16>>,
    pub wr_est: Signal<In, Bits<16>>,
    pub wr_noise: Signal<In, Bits<16>>,
    pub wr_pow: Signal<In, Bits<16>>,
    pub wr_ctl: Signal<In, Bits<16>>,
    pub wr_flag: Signal<In, Bit>,
    pub write_main: Signal<In, Bit>,
    pub write_est: Signal<In, Bit>,
    pub write_noise: Signal<In, Bit>,
    pub write_pow: Signal<In, Bit>,
    pub write_ctl: Signal<In, Bit>,
    pub flag_write: Signal<In, Bit>,
    _mem: Vec<[u16; FIELDS]>,
    _word: [u16; FIELDS],
    _flags: Vec<u16>,
    _flag_word: u16,
    _count: Accesses,
}

impl<const N: usize> Default for EventRam<N> {
    fn default() -> Self {
        EventRam {
            clock: Default::default(),
            read_address: Default::default(),
            read_enable: Default::default(),
            read_noise: Default::default(),
            read_pow: Default::default(),
            ctl_read: Default::default(),
            ctl_read_address: Default::default(),
            flag_read: Default::default(),
            rd_s1: Default::default(),
            rd_s2: Default::default(),
            rd_est: Default::default(),
            rd_noise: Default::default(),
            rd_pow: Default::default(),
            rd_ctl: Default::default(),
            flag_rd: Default::default(),
            write_address: Default::default(),
            wr_s1: Default::default(),
            wr_s2: Default::default(),
            wr_est: Default::default(),
            wr_noise: Default::default(),
            wr_pow: Default::default(),
            wr_ctl: Default::default(),
            wr_flag: Default::default(),
            write_main: Default::default(),
            write_est: Default::default(),
            write_noise: Default::default(),
            write_pow: Default::default(),
            write_ctl: Default::default(),
            flag_write: Default::default(),
            _mem: vec![[0; FIELDS]; 1 << N],
            _word: [0; FIELDS],
            _flags: vec![0; flag_words(N)],
            _flag_word: 0,
            _count: Accesses::default(),
        }
    }
}

/// Words of the flag memory for `address_bits` channel-address bits.
fn flag_words(address_bits: usize) -> usize {
    1 << address_bits.saturating_sub(4)
}

impl<const N: usize> EventRam<N> {
    /// The fields of a channel as the model's state holds them (for testbenches and failure
    /// reports): `ctl` is 0 when the channel's flag is clear.
    pub fn peek(&self, channel: usize) -> [u16; FIELDS] {
        let mut f = self._mem[channel];
        if self._flags[channel >> 4] >> (channel & 15) & 1 == 0 {
            f[CTL] = 0;
        }
        f
    }

    /// The block-RAM accesses since the start (what the netlist's enables would count).
    pub fn accesses(&self) -> Accesses {
        self._count
    }
}

impl<const N: usize> Logic for EventRam<N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let ra = self.read_address.val().index();
            for f in 0..FIELDS {
                let (en, a) = match f {
                    NOISE => (self.read_noise.val(), ra),
                    POW => (self.read_pow.val(), ra),
                    CTL => (self.ctl_read.val(), self.ctl_read_address.val().index()),
                    _ => (self.read_enable.val(), ra),
                };
                if en {
                    self._word[f] = self._mem[a][f];
                    self._count.reads[f] += 1;
                }
            }
            if self.flag_read.val() {
                self._flag_word = self._flags[ra >> 4];
                self._count.reads[FIELDS] += 1;
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
                    self._count.writes[f] += 1;
                }
            }
            if self.flag_write.val() {
                let bit = 1u16 << (wa & 15);
                let w = &mut self._flags[wa >> 4];
                *w = (*w & !bit) | if self.wr_flag.val() { bit } else { 0 };
                self._count.writes[FIELDS] += 1;
            }
            let w = self._word;
            self.rd_s1.next = (w[0] as u64).into();
            self.rd_s2.next = (w[1] as u64).into();
            self.rd_est.next = (w[2] as u64).into();
            self.rd_noise.next = (w[3] as u64).into();
            self.rd_pow.next = (w[4] as u64).into();
            self.rd_ctl.next = (w[5] as u64).into();
            self.flag_rd.next = (self._flag_word as u64).into();
        }
    }

    fn connect(&mut self) {
        self.rd_s1.connect();
        self.rd_s2.connect();
        self.rd_est.connect();
        self.rd_noise.connect();
        self.rd_pow.connect();
        self.rd_ctl.connect();
        self.flag_rd.connect();
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
    let at = crate::ram::BankSlices::new(n);
    let mut v = String::new();
    for f in FIELD_NAMES {
        for b in 0..banks {
            let _ = writeln!(
                v,
                "(* no_rw_check *)\nreg [15:0] m_{f}_{b} [0:{last}];\nreg [15:0] w_{f}_{b};"
            );
        }
    }
    let fwords = flag_words(n);
    let _ = writeln!(
        v,
        "(* no_rw_check *)\nreg [15:0] m_flag [0:{}];\nreg [15:0] w_flag;",
        fwords - 1
    );
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "reg [{b}:0] read_bank;\nreg [{b}:0] noise_bank;\nreg [{b}:0] pow_bank;\n\
             reg [{b}:0] ctl_bank;",
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
    let _ = writeln!(
        v,
        "   for (i = 0; i <= {}; i = i + 1) m_flag[i] = 16'd0;\n   w_flag = 16'd0;",
        fwords - 1
    );
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "   read_bank = {bank_bits}'d0;\n   noise_bank = {bank_bits}'d0;\n   \
             pow_bank = {bank_bits}'d0;\n   ctl_bank = {bank_bits}'d0;"
        );
    }
    let _ = writeln!(v, "end\n\nalways @(posedge clock) begin");
    for f in FIELD_NAMES {
        let (ren, wen, ra) = match f {
            "noise" => ("read_noise", "write_noise", "read_address"),
            "pow" => ("read_pow", "write_pow", "read_address"),
            "ctl" => ("ctl_read", "write_ctl", "ctl_read_address"),
            "est" => ("read_enable", "write_est", "read_address"),
            _ => ("read_enable", "write_main", "read_address"),
        };
        for b in 0..banks {
            let (rs, ws) = (at.selects(ra, b), at.selects("write_address", b));
            let _ = writeln!(
                v,
                "   if ({ren}{rs}) w_{f}_{b} <= m_{f}_{b}[{}];\n   if ({wen}{ws}) m_{f}_{b}[{}] <= wr_{f};",
                at.word(ra),
                at.word("write_address")
            );
        }
    }
    // the flags: word c >> 4, bit c & 15 (one bit written, the block RAM's mask)
    let (fr, fw, fb) = if n > 4 {
        (
            format!("read_address[{}:4]", n - 1),
            format!("write_address[{}:4]", n - 1),
            "write_address[3:0]".to_string(),
        )
    } else {
        (
            "0".to_string(),
            "0".to_string(),
            "write_address".to_string(),
        )
    };
    let bw = n.min(4);
    let _ = writeln!(v, "   if (flag_read) w_flag <= m_flag[{fr}];");
    for k in 0..(1usize << n.min(4)) {
        let _ = writeln!(
            v,
            "   if (flag_write && {fb} == {bw}'d{k}) m_flag[{fw}][{k}] <= wr_flag;"
        );
    }
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "   if (read_enable) read_bank <= {a};\n   if (read_noise) noise_bank <= {a};\n   \
             if (read_pow) pow_bank <= {a};\n   if (ctl_read) ctl_bank <= {c};",
            a = at.bank("read_address"),
            c = at.bank("ctl_read_address")
        );
    }
    let _ = writeln!(v, "end\n\nalways @(*) begin");
    for f in FIELD_NAMES {
        let sel = match f {
            "noise" => "noise_bank",
            "pow" => "pow_bank",
            "ctl" => "ctl_bank",
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
    let _ = writeln!(v, "   flag_rd = w_flag;\nend");
    v
}
