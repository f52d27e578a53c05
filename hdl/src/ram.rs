//! The per-channel state memory: `2^N` words of 32 bits, one read and one write port on
//! one clock, registered read, zero-initialised, in banks of 256 words ([`banked_verilog`]:
//! an access enables only the two block RAMs of its bank). A word holds the three fields of a channel's
//! state, `{prev ^ 2^(W-1) [10], A [16], N [6]}` from the top, the layout of
//! `neurice_model::ChannelState::pack`, so the all-zero word is the initial state; the ports
//! carry the fields separately, `prev` as the true sample value (in Verilog the packing is
//! wiring and one inverter; in the simulation it keeps rust-hdl's slow shifts out of the
//! core).
//!
//! A hand-written block instead of rust-hdl's `RAM` for three reasons:
//! * its Verilog initialises the memory with a loop (rust-hdl's `RAM` writes one `initial`
//!   line per entry) and carries `(* no_rw_check *)`: the core never uses the read data of a
//!   cycle in which the same address is written (see the forwarding in [`crate::core`]), so
//!   yosys need not build collision logic;
//! * the simulation model is a flat vector, not a `BTreeMap`, which matters at millions of
//!   cycles;
//! * it is zero-initialised in both the simulation and the Verilog, so the two agree from
//!   the first cycle (an all-zero word is the initial channel state, see
//!   `neurice_model::ChannelState::pack`).
//!
//! Semantics (both models): on a rising clock edge, if `read_enable`, the read port
//! registers `mem[read_address]` (otherwise it holds its word); then, if `write_enable`,
//! `mem[write_address]` takes the write fields. A read of the address being written returns
//! the old word. (The read enable maps to the `RE` pin of `SB_RAM40_4K`: a block that does not
//! read does not spend read energy.)

use rust_hdl::prelude::*;

/// Width of a state word.
pub const WORD_BITS: usize = 32;
/// Width of the stored previous sample (`W`).
pub const PREV_BITS: usize = 10;
/// Width of the magnitude sum `A`.
pub const A_BITS: usize = 16;
/// Width of the count `N`.
pub const N_BITS: usize = 6;

const A_SHIFT: u32 = N_BITS as u32;
const PREV_SHIFT: u32 = (A_BITS + N_BITS) as u32;
const PREV_FLIP: u32 = 1 << (PREV_BITS - 1);

#[derive(LogicBlock)]
pub struct StateRam<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<N>>,
    pub read_enable: Signal<In, Bit>,
    pub read_prev: Signal<Out, Bits<PREV_BITS>>,
    pub read_a: Signal<Out, Bits<A_BITS>>,
    pub read_n: Signal<Out, Bits<N_BITS>>,
    pub write_address: Signal<In, Bits<N>>,
    pub write_prev: Signal<In, Bits<PREV_BITS>>,
    pub write_a: Signal<In, Bits<A_BITS>>,
    pub write_n: Signal<In, Bits<N_BITS>>,
    pub write_enable: Signal<In, Bit>,
    _mem: Vec<u32>,
}

impl<const N: usize> Default for StateRam<N> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            read_address: Default::default(),
            read_enable: Default::default(),
            read_prev: Default::default(),
            read_a: Default::default(),
            read_n: Default::default(),
            write_address: Default::default(),
            write_prev: Default::default(),
            write_a: Default::default(),
            write_n: Default::default(),
            write_enable: Default::default(),
            _mem: vec![0; 1 << N],
        }
    }
}

impl<const N: usize> StateRam<N> {
    /// The word at `address` (for testbenches and failure reports).
    pub fn peek(&self, address: usize) -> u32 {
        self._mem[address]
    }
}

/// Address bits of one bank: 256 words of 32 bits, which yosys maps onto two
/// `SB_RAM40_4K` in 256 × 16 mode.
pub const BANK_ADDRESS_BITS: usize = 8;

/// Banks of a state RAM with `address_bits` address bits (1 up to 256 words, then one per
/// 256 words).
pub fn banks(address_bits: usize) -> usize {
    1 << address_bits.saturating_sub(BANK_ADDRESS_BITS)
}

/// The slices of an address of a banked RAM with `address_bits` bits, as the banked Verilog
/// ([`banked_verilog_lanes`], [`banked_word_verilog`], the event RAM's) writes them: the bits
/// within a bank (the low [`BANK_ADDRESS_BITS`]) and the bank's (the bits above).
pub(crate) struct BankSlices {
    address_bits: usize,
}

impl BankSlices {
    pub(crate) fn new(address_bits: usize) -> Self {
        Self { address_bits }
    }

    /// `a`'s word within its bank; a 1-bit address is a scalar port in rust-hdl's Verilog:
    /// no bit select on it.
    pub(crate) fn word(&self, a: &str) -> String {
        let n = self.address_bits;
        if n == 1 {
            a.to_string()
        } else {
            format!("{a}[{}:0]", n.min(BANK_ADDRESS_BITS) - 1)
        }
    }

    /// `a`'s bank (only where there is more than one).
    pub(crate) fn bank(&self, a: &str) -> String {
        format!("{a}[{}:{BANK_ADDRESS_BITS}]", self.address_bits - 1)
    }

    /// ` && <a's bank> == <bank b>`, the condition that `a` selects bank `b`; empty where
    /// there is one bank.
    pub(crate) fn selects(&self, a: &str, b: usize) -> String {
        let bank_bits = self.address_bits.saturating_sub(BANK_ADDRESS_BITS);
        if bank_bits == 0 {
            String::new()
        } else {
            format!(" && {} == {bank_bits}'d{b}", self.bank(a))
        }
    }
}

/// The Verilog of the state RAM, banked: one memory of up to 256 × 32 bits per bank, a
/// bank read or written only when the address selects it, the read word chosen by the bank
/// of the last read. yosys gives every bank its own two block RAMs in 256 × 16 mode, so an
/// access enables two blocks whatever the channel count (an unbanked 1024 × 32 memory maps
/// onto eight blocks in 1024 × 4 mode, all eight enabled by every access). Semantics as the
/// simulation model's (registered read held while not enabled, old data on a same-address
/// read and write, zero-initialised).
pub fn banked_verilog(address_bits: usize) -> String {
    banked_verilog_lanes(address_bits, 1)
}

/// [`banked_verilog`] for a RAM of `lanes` state words per address (1 or 2): a word of
/// `32 · lanes` bits, lane `l`'s state in bits `32l + 31 … 32l`, ports `read_prev<l>`,
/// `write_a<l>`, … (for one lane the names carry no number, as [`StateRam`]'s). With two
/// lanes a bank is 256 × 64 bits, four block RAMs in 256 × 16 mode, all four enabled by an
/// access (one access per pair of samples: two block-RAM reads per sample, as one lane).
pub fn banked_verilog_lanes(address_bits: usize, lanes: usize) -> String {
    use std::fmt::Write as _;
    let n = address_bits;
    let bank_bits = n.saturating_sub(BANK_ADDRESS_BITS);
    let inner = n.min(BANK_ADDRESS_BITS);
    let nb = banks(n);
    let width = WORD_BITS * lanes;
    let msb = width - 1;
    let last = (1usize << inner) - 1;
    let at = BankSlices::new(n);
    let suffix = |l: usize| {
        if lanes == 1 {
            String::new()
        } else {
            l.to_string()
        }
    };
    let mut v = String::new();
    for b in 0..nb {
        let _ = writeln!(v, "(* no_rw_check *)\nreg [{msb}:0] mem{b} [0:{last}];");
        let _ = writeln!(v, "reg [{msb}:0] word{b};");
    }
    // the bank of the last read, only where there are banks to choose from
    if bank_bits > 0 {
        let _ = writeln!(v, "reg [{}:0] read_bank;", bank_bits - 1);
    }
    let _ = writeln!(v, "reg [{msb}:0] read_word;");
    let _ = writeln!(v, "integer i;\ninitial begin");
    for b in 0..nb {
        let _ = writeln!(
            v,
            "   for (i = 0; i <= {last}; i = i + 1) mem{b}[i] = {width}'d0;\n   word{b} = {width}'d0;"
        );
    }
    if bank_bits > 0 {
        let _ = writeln!(v, "   read_bank = {bank_bits}'d0;");
    }
    let _ = writeln!(v, "end\n");
    let _ = writeln!(v, "always @(posedge clock) begin");
    let fields: Vec<String> = (0..lanes)
        .rev()
        .map(|l| {
            let s = suffix(l);
            format!("write_prev{s} ^ {PREV_BITS}'h{PREV_FLIP:x}, write_a{s}, write_n{s}")
        })
        .collect();
    let write_word = format!("{{{}}}", fields.join(", "));
    for b in 0..nb {
        let (rsel, wsel) = (
            at.selects("read_address", b),
            at.selects("write_address", b),
        );
        let _ = writeln!(
            v,
            "   if (read_enable{rsel}) word{b} <= mem{b}[{}];\n   if (write_enable{wsel}) mem{b}[{}] <= {write_word};",
            at.word("read_address"),
            at.word("write_address")
        );
    }
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "   if (read_enable) read_bank <= {};",
            at.bank("read_address")
        );
    }
    let _ = writeln!(v, "end\n\nalways @(*) begin");
    if nb == 1 {
        let _ = writeln!(v, "   read_word = word0;");
    } else {
        let _ = writeln!(v, "   case (read_bank)");
        for b in 0..nb {
            let _ = writeln!(v, "      {bank_bits}'d{b}: read_word = word{b};");
        }
        let _ = writeln!(v, "      default: read_word = word0;\n   endcase");
    }
    for l in 0..lanes {
        let s = suffix(l);
        let base = WORD_BITS as u32 * l as u32;
        let _ = writeln!(
            v,
            "   read_prev{s} = read_word[{}:{}] ^ {PREV_BITS}'h{PREV_FLIP:x};\n   read_a{s} = read_word[{}:{}];\n   read_n{s} = read_word[{}:{base}];",
            base + WORD_BITS as u32 - 1,
            base + PREV_SHIFT,
            base + PREV_SHIFT - 1,
            base + A_SHIFT,
            base + A_SHIFT - 1
        );
    }
    let _ = writeln!(v, "end");
    v
}

/// The state RAM of the 2-lane core: `2^N` addresses (channel pairs), each holding the state
/// words of lane 0 (the even channel) and lane 1 (the odd one); otherwise as [`StateRam`]
/// (same semantics, Verilog from [`banked_verilog_lanes`]).
#[derive(LogicBlock)]
pub struct StateRam2<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<N>>,
    pub read_enable: Signal<In, Bit>,
    pub read_prev0: Signal<Out, Bits<PREV_BITS>>,
    pub read_a0: Signal<Out, Bits<A_BITS>>,
    pub read_n0: Signal<Out, Bits<N_BITS>>,
    pub read_prev1: Signal<Out, Bits<PREV_BITS>>,
    pub read_a1: Signal<Out, Bits<A_BITS>>,
    pub read_n1: Signal<Out, Bits<N_BITS>>,
    pub write_address: Signal<In, Bits<N>>,
    pub write_prev0: Signal<In, Bits<PREV_BITS>>,
    pub write_a0: Signal<In, Bits<A_BITS>>,
    pub write_n0: Signal<In, Bits<N_BITS>>,
    pub write_prev1: Signal<In, Bits<PREV_BITS>>,
    pub write_a1: Signal<In, Bits<A_BITS>>,
    pub write_n1: Signal<In, Bits<N_BITS>>,
    pub write_enable: Signal<In, Bit>,
    _mem: Vec<[u32; 2]>,
}

impl<const N: usize> Default for StateRam2<N> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            read_address: Default::default(),
            read_enable: Default::default(),
            read_prev0: Default::default(),
            read_a0: Default::default(),
            read_n0: Default::default(),
            read_prev1: Default::default(),
            read_a1: Default::default(),
            read_n1: Default::default(),
            write_address: Default::default(),
            write_prev0: Default::default(),
            write_a0: Default::default(),
            write_n0: Default::default(),
            write_prev1: Default::default(),
            write_a1: Default::default(),
            write_n1: Default::default(),
            write_enable: Default::default(),
            _mem: vec![[0; 2]; 1 << N],
        }
    }
}

impl<const N: usize> StateRam2<N> {
    /// The state word of `lane` at `address` (for testbenches and failure reports).
    pub fn peek(&self, address: usize, lane: usize) -> u32 {
        self._mem[address][lane]
    }
}

fn unpack(word: u32) -> (u64, u64, u64) {
    (
        ((word >> PREV_SHIFT) ^ PREV_FLIP) as u64,
        ((word >> A_SHIFT) & ((1 << A_BITS) - 1)) as u64,
        (word & ((1 << N_BITS) - 1)) as u64,
    )
}

fn pack(prev: u32, a: u32, n: u32) -> u32 {
    ((prev ^ PREV_FLIP) << PREV_SHIFT) | (a << A_SHIFT) | n
}

impl<const N: usize> Logic for StateRam2<N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            if self.read_enable.val() {
                let [w0, w1] = self._mem[self.read_address.val().index()];
                let (p, a, n) = unpack(w0);
                self.read_prev0.next = p.into();
                self.read_a0.next = a.into();
                self.read_n0.next = n.into();
                let (p, a, n) = unpack(w1);
                self.read_prev1.next = p.into();
                self.read_a1.next = a.into();
                self.read_n1.next = n.into();
            }
            if self.write_enable.val() {
                self._mem[self.write_address.val().index()] = [
                    pack(
                        self.write_prev0.val().to_u32(),
                        self.write_a0.val().to_u32(),
                        self.write_n0.val().to_u32(),
                    ),
                    pack(
                        self.write_prev1.val().to_u32(),
                        self.write_a1.val().to_u32(),
                        self.write_n1.val().to_u32(),
                    ),
                ];
            }
        }
    }

    fn connect(&mut self) {
        self.read_prev0.connect();
        self.read_a0.connect();
        self.read_n0.connect();
        self.read_prev1.connect();
        self.read_a1.connect();
        self.read_n1.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(banked_verilog_lanes(N, 2))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![]
    }
}

impl<const N: usize> Logic for StateRam<N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            if self.read_enable.val() {
                let word = self._mem[self.read_address.val().index()];
                self.read_prev.next = (((word >> PREV_SHIFT) ^ PREV_FLIP) as u64).into();
                self.read_a.next = (((word >> A_SHIFT) & ((1 << A_BITS) - 1)) as u64).into();
                self.read_n.next = ((word & ((1 << N_BITS) - 1)) as u64).into();
            }
            if self.write_enable.val() {
                self._mem[self.write_address.val().index()] =
                    ((self.write_prev.val().to_u32() ^ PREV_FLIP) << PREV_SHIFT)
                        | (self.write_a.val().to_u32() << A_SHIFT)
                        | self.write_n.val().to_u32();
            }
        }
    }

    fn connect(&mut self) {
        self.read_prev.connect();
        self.read_a.connect();
        self.read_n.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(banked_verilog(N))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![
            TimingInfo {
                name: "state_ram_read".into(),
                clock: "clock".into(),
                inputs: vec!["read_address".into(), "read_enable".into()],
                outputs: vec!["read_prev".into(), "read_a".into(), "read_n".into()],
            },
            TimingInfo {
                name: "state_ram_write".into(),
                clock: "clock".into(),
                inputs: vec![
                    "write_address".into(),
                    "write_prev".into(),
                    "write_a".into(),
                    "write_n".into(),
                    "write_enable".into(),
                ],
                outputs: vec![],
            },
        ]
    }
}

/// A plain word memory: `2^N` words of 32 bits, one read and one write port on one clock,
/// the read registered at an edge with `read_enable` (held otherwise; the enable maps to the
/// `RE` pin of `SB_RAM40_4K`, so a clock without a read spends no read energy),
/// zero-initialised, `(* no_rw_check *)`
/// (its user never uses the word read in the cycle the same address is written: the
/// packetiser reads only words of closed packets). yosys maps 256 words onto two
/// `SB_RAM40_4K` in 256 × 16 mode. A read of the address being written returns the old word
/// in the simulation.
#[derive(LogicBlock)]
pub struct WordRam<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<N>>,
    pub read_enable: Signal<In, Bit>,
    pub read_data: Signal<Out, Bits<32>>,
    pub write_address: Signal<In, Bits<N>>,
    pub write_data: Signal<In, Bits<32>>,
    pub write_enable: Signal<In, Bit>,
    _mem: Vec<u32>,
}

impl<const N: usize> Default for WordRam<N> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            read_address: Default::default(),
            read_enable: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            _mem: vec![0; 1 << N],
        }
    }
}

impl<const N: usize> Logic for WordRam<N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            if self.read_enable.val() {
                self.read_data.next = (self._mem[self.read_address.val().index()] as u64).into();
            }
            if self.write_enable.val() {
                self._mem[self.write_address.val().index()] = self.write_data.val().to_u32();
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        let last = (1usize << N) - 1;
        Verilog::Custom(format!(
            "(* no_rw_check *)\nreg [31:0] mem [0:{last}];\nreg [31:0] word;\ninteger i;\n\
             initial begin\n   for (i = 0; i <= {last}; i = i + 1) mem[i] = 32'd0;\n   word = 32'd0;\nend\n\n\
             always @(posedge clock) begin\n   if (read_enable) word <= mem[read_address];\n   \
             if (write_enable) mem[write_address] <= write_data;\nend\n\n\
             always @(*) read_data = word;\n"
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![]
    }
}

/// [`WordRam`] in banks of 256 words ([`banked_word_verilog`]): the same ports and semantics
/// (and the same simulation model), but an access enables only the two block RAMs (256 × 16
/// mode) of the addressed bank, where a `WordRam` of 1024 words maps onto eight blocks in
/// 1024 × 4 mode, all enabled by every access. The price is a registered-select read
/// multiplexer between the blocks and the reader (one per 32-bit word: ~2 LUTs a bit for four
/// banks). Used by coder max's state RAM.
///
/// A write writes only the halves of the word that `write_halves` selects (bit 1: bits
/// 31–16, bit 0: bits 15–0; each half is one block RAM of the bank, so an unselected half
/// costs no block-RAM write); the other half keeps its content. With `write_halves = 3`
/// the semantics are [`WordRam`]'s.
#[derive(LogicBlock)]
pub struct BankedWordRam<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub read_address: Signal<In, Bits<N>>,
    pub read_enable: Signal<In, Bit>,
    pub read_data: Signal<Out, Bits<32>>,
    pub write_address: Signal<In, Bits<N>>,
    pub write_data: Signal<In, Bits<32>>,
    pub write_enable: Signal<In, Bit>,
    /// The halves a write writes: bit 1 bits 31–16, bit 0 bits 15–0.
    pub write_halves: Signal<In, Bits<2>>,
    _mem: Vec<u32>,
}

impl<const N: usize> Default for BankedWordRam<N> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            read_address: Default::default(),
            read_enable: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            write_halves: Default::default(),
            _mem: vec![0; 1 << N],
        }
    }
}

impl<const N: usize> Logic for BankedWordRam<N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            if self.read_enable.val() {
                self.read_data.next = (self._mem[self.read_address.val().index()] as u64).into();
            }
            if self.write_enable.val() {
                let halves = self.write_halves.val().to_u32();
                let mask = (if halves & 2 != 0 { 0xFFFF_0000 } else { 0 })
                    | (if halves & 1 != 0 { 0xFFFF } else { 0 });
                let m = &mut self._mem[self.write_address.val().index()];
                *m = (*m & !mask) | (self.write_data.val().to_u32() & mask);
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(banked_word_verilog(N))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![]
    }
}

/// The Verilog of [`BankedWordRam`]: two `(* no_rw_check *)` memories of up to 256 × 16 bits
/// per bank (the word's upper half `memh`, its lower half `meml`: one block RAM each), read
/// (`read_enable`) or written (`write_enable`, each half only with its bit of
/// `write_halves`) only when the address's top bits select the bank, the read word chosen by
/// the bank of the last read (a register). Semantics as [`WordRam`]'s (registered read held
/// while not enabled, old data on a same-address read and write, zero-initialised).
pub fn banked_word_verilog(address_bits: usize) -> String {
    use std::fmt::Write as _;
    let n = address_bits;
    let bank_bits = n.saturating_sub(BANK_ADDRESS_BITS);
    let inner = n.min(BANK_ADDRESS_BITS);
    let nb = banks(n);
    let last = (1usize << inner) - 1;
    let at = BankSlices::new(n);
    let mut v = String::new();
    for b in 0..nb {
        for h in ["h", "l"] {
            let _ = writeln!(
                v,
                "(* no_rw_check *)\nreg [15:0] mem{h}{b} [0:{last}];\nreg [15:0] word{h}{b};"
            );
        }
    }
    if bank_bits > 0 {
        let _ = writeln!(v, "reg [{}:0] read_bank;", bank_bits - 1);
    }
    let _ = writeln!(v, "integer i;\ninitial begin");
    for b in 0..nb {
        let _ = writeln!(
            v,
            "   for (i = 0; i <= {last}; i = i + 1) begin\n      memh{b}[i] = 16'd0;\n      \
             meml{b}[i] = 16'd0;\n   end\n   wordh{b} = 16'd0;\n   wordl{b} = 16'd0;"
        );
    }
    if bank_bits > 0 {
        let _ = writeln!(v, "   read_bank = {bank_bits}'d0;");
    }
    let _ = writeln!(v, "end\n\nalways @(posedge clock) begin");
    for b in 0..nb {
        let (rsel, wsel) = (
            at.selects("read_address", b),
            at.selects("write_address", b),
        );
        let (ra, wa) = (at.word("read_address"), at.word("write_address"));
        let _ = writeln!(
            v,
            "   if (read_enable{rsel}) begin\n      wordh{b} <= memh{b}[{ra}];\n      \
             wordl{b} <= meml{b}[{ra}];\n   end\n   \
             if (write_enable && write_halves[1]{wsel}) memh{b}[{wa}] <= write_data[31:16];\n   \
             if (write_enable && write_halves[0]{wsel}) meml{b}[{wa}] <= write_data[15:0];"
        );
    }
    if bank_bits > 0 {
        let _ = writeln!(
            v,
            "   if (read_enable) read_bank <= {};",
            at.bank("read_address")
        );
    }
    let _ = writeln!(v, "end\n\nalways @(*) begin");
    if nb == 1 {
        let _ = writeln!(v, "   read_data = {{wordh0, wordl0}};");
    } else {
        let _ = writeln!(v, "   case (read_bank)");
        for b in 0..nb {
            let _ = writeln!(
                v,
                "      {bank_bits}'d{b}: read_data = {{wordh{b}, wordl{b}}};"
            );
        }
        let _ = writeln!(
            v,
            "      default: read_data = {{wordh0, wordl0}};\n   endcase"
        );
    }
    let _ = writeln!(v, "end");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banks_of_256_words() {
        assert_eq!(banks(1), 1);
        assert_eq!(banks(8), 1);
        assert_eq!(banks(9), 2);
        assert_eq!(banks(10), 4);
        let v = banked_verilog(10);
        for b in 0..4 {
            assert!(v.contains(&format!("reg [31:0] mem{b} [0:255];")), "{v}");
            assert!(v.contains(&format!("read_address[9:8] == 2'd{b}) word{b} <=")));
            assert!(v.contains(&format!("write_address[9:8] == 2'd{b}) mem{b}[")));
        }
        assert!(!v.contains("mem4"));
        let w = banked_word_verilog(10);
        for b in 0..4 {
            for h in ["h", "l"] {
                assert!(w.contains(&format!("reg [15:0] mem{h}{b} [0:255];")), "{w}");
                assert!(w.contains(&format!("word{h}{b} <= mem{h}{b}[read_address[7:0]]")));
            }
            assert!(w.contains(&format!("read_address[9:8] == 2'd{b}) begin")));
            assert!(w.contains(&format!(
                "write_halves[1] && write_address[9:8] == 2'd{b}) memh{b}[write_address[7:0]] \
                 <= write_data[31:16];"
            )));
            assert!(w.contains(&format!(
                "write_halves[0] && write_address[9:8] == 2'd{b}) meml{b}[write_address[7:0]] \
                 <= write_data[15:0];"
            )));
            assert!(w.contains(&format!("2'd{b}: read_data = {{wordh{b}, wordl{b}}};")));
        }
        let w = banked_word_verilog(3);
        assert!(w.contains("reg [15:0] memh0 [0:7];") && !w.contains("case"));
        assert!(!w.contains("memh1") && w.contains("meml0[read_address[2:0]]"));
        let one = banked_verilog(1);
        assert!(one.contains("reg [31:0] mem0 [0:1];") && !one.contains("case"));
    }
}
