//! The two memories-with-registers of coder max's core besides the state RAM: the probability
//! table in block RAM ([`TableRom`]) and the output queue ([`OutQueue`]).

use neurice_model::max::{Table, CONTEXTS, TOKENS};
use rust_hdl::prelude::*;

/// Entries of the table: `{ctx[3:0], token[4:0]}`.
pub const TABLE_ADDRESS_BITS: usize = 9;
const _: () = assert!(CONTEXTS * TOKENS == 1 << TABLE_ADDRESS_BITS);

/// The probability table (FORMAT.md §10.4) as a read-only block RAM: 512 entries of 24 bits,
/// `{cum[11:0], f[11:0]}` of token `t` in context `c` at address `c·32 + t`, initialised from
/// the [`Table`], in three memories that map onto three `SB_RAM40_4K`: `{cum[3:0], f}` of
/// contexts 0–7 (`lo`) and of contexts 8–15 (`hi`), 256 × 16 each, and `cum[11:4]` of all
/// contexts, 512 × 8 (`top`). A read enables `top` and the one 256 × 16 memory of its context
/// half (`addr[8]`): **two block-RAM reads per coded sample**, not three (12-07: three
/// 512 × 8 memories, all three enabled by every read); the price is a 16-bit 2:1 multiplexer
/// after the block RAMs, selected by a register (the half of the last read). The read is
/// registered at an edge with `re` and held otherwise. (The top flag is not stored: it is
/// `t == top(c)`, from 16 constants in the core.)
#[derive(LogicBlock)]
pub struct TableRom {
    pub clock: Signal<In, Clock>,
    pub addr: Signal<In, Bits<TABLE_ADDRESS_BITS>>,
    pub re: Signal<In, Bit>,
    pub f: Signal<Out, Bits<12>>,
    pub cum: Signal<Out, Bits<12>>,
    _words: Vec<u32>,
}

/// The table's words as the ROM holds them: `cum << 12 | f`, context by context.
pub fn table_words(t: &Table) -> Vec<u32> {
    (0..CONTEXTS)
        .flat_map(|c| (0..TOKENS).map(move |k| (c, k)))
        .map(|(c, k)| {
            let iv = t.interval(c, k);
            (iv.cum << 12) | iv.freq
        })
        .collect()
}

impl TableRom {
    pub fn new(t: &Table) -> Self {
        TableRom {
            clock: Default::default(),
            addr: Default::default(),
            re: Default::default(),
            f: Default::default(),
            cum: Default::default(),
            _words: table_words(t),
        }
    }
}

impl Logic for TableRom {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.re.val() {
            let w = self._words[self.addr.val().index()] as u64;
            self.f.next = (w & 0xFFF).into();
            self.cum.next = (w >> 12).into();
        }
    }

    fn connect(&mut self) {
        self.f.connect();
        self.cum.connect();
    }

    fn hdl(&self) -> Verilog {
        use std::fmt::Write as _;
        let mut v = String::from(
            "reg [15:0] mlo [0:255];\nreg [15:0] mhi [0:255];\nreg [7:0] mtop [0:511];\n\
             reg [15:0] qlo;\nreg [15:0] qhi;\nreg [7:0] qtop;\nreg sel;\ninitial begin\n",
        );
        for (i, w) in self._words.iter().enumerate() {
            let half = if i < 256 { "mlo" } else { "mhi" };
            let _ = writeln!(v, "   {half}[{}] = 16'h{:04x};", i & 255, w & 0xFFFF);
            let _ = writeln!(v, "   mtop[{i}] = 8'h{:02x};", (w >> 16) & 0xFF);
        }
        v.push_str(
            "   qlo = 16'd0;\n   qhi = 16'd0;\n   qtop = 8'd0;\n   sel = 1'b0;\nend\n\n\
             always @(posedge clock) begin\n   if (re && !addr[8]) qlo <= mlo[addr[7:0]];\n   \
             if (re && addr[8]) qhi <= mhi[addr[7:0]];\n   if (re) begin\n      \
             qtop <= mtop[addr];\n      sel <= addr[8];\n   end\nend\n\n\
             always @(*) begin\n   f = sel ? qhi[11:0] : qlo[11:0];\n   \
             cum = {qtop, sel ? qhi[15:12] : qlo[15:12]};\nend\n",
        );
        Verilog::Custom(v)
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![]
    }
}

/// Entries of the output queue (the head drives the core's output ports).
pub const QUEUE: usize = 4;
const QUEUE_M1: usize = QUEUE - 1;

/// The output queue: [`QUEUE`] words with their marks (`stream`, `last`, `bytes`), the head on
/// `word`, `stream`, `last`, `bytes` (registers) with `valid`; up to two pushes per clock (`a`
/// before `b`), one pop (`valid && ready`). `room` (combinational, from the count and `ready`):
/// after this edge's pop two more words fit. `kill` empties it. A push without room is lost
/// (the core pushes only with `room`).
#[derive(LogicBlock)]
pub struct OutQueue {
    pub clock: Signal<In, Clock>,
    pub kill: Signal<In, Bit>,
    pub ready: Signal<In, Bit>,
    pub push_a: Signal<In, Bit>,
    pub word_a: Signal<In, Bits<32>>,
    pub stream_a: Signal<In, Bit>,
    pub last_a: Signal<In, Bit>,
    pub bytes_a: Signal<In, Bits<3>>,
    pub push_b: Signal<In, Bit>,
    pub word_b: Signal<In, Bits<32>>,
    pub stream_b: Signal<In, Bit>,
    pub last_b: Signal<In, Bit>,
    pub bytes_b: Signal<In, Bits<3>>,
    pub valid: Signal<Out, Bit>,
    pub word: Signal<Out, Bits<32>>,
    pub stream: Signal<Out, Bit>,
    pub last: Signal<Out, Bit>,
    pub bytes: Signal<Out, Bits<3>>,
    pub room: Signal<Out, Bit>,
    pub empty: Signal<Out, Bit>,
    q_word: [DFF<Bits<32>>; QUEUE],
    q_stream: [DFF<Bit>; QUEUE],
    q_last: [DFF<Bit>; QUEUE],
    q_bytes: [DFF<Bits<3>>; QUEUE],
    count: DFF<Bits<3>>,
    pop: Signal<Local, Bit>,
    base: Signal<Local, Bits<3>>,
    slot_b: Signal<Local, Bits<3>>,
    n_a: Signal<Local, Bits<3>>,
    n_b: Signal<Local, Bits<3>>,
    k_idx: [Constant<Bits<3>>; QUEUE],
    k_zero3: Constant<Bits<3>>,
    k_one3: Constant<Bits<3>>,
    k_room: Constant<Bits<3>>,
}

impl Default for OutQueue {
    fn default() -> Self {
        OutQueue {
            clock: Default::default(),
            kill: Default::default(),
            ready: Default::default(),
            push_a: Default::default(),
            word_a: Default::default(),
            stream_a: Default::default(),
            last_a: Default::default(),
            bytes_a: Default::default(),
            push_b: Default::default(),
            word_b: Default::default(),
            stream_b: Default::default(),
            last_b: Default::default(),
            bytes_b: Default::default(),
            valid: Default::default(),
            word: Default::default(),
            stream: Default::default(),
            last: Default::default(),
            bytes: Default::default(),
            room: Default::default(),
            empty: Default::default(),
            q_word: Default::default(),
            q_stream: Default::default(),
            q_last: Default::default(),
            q_bytes: Default::default(),
            count: Default::default(),
            pop: Default::default(),
            base: Default::default(),
            slot_b: Default::default(),
            n_a: Default::default(),
            n_b: Default::default(),
            k_idx: std::array::from_fn(|i| Constant::new((i as u64).into())),
            k_zero3: Constant::new(0u64.into()),
            k_one3: Constant::new(1u64.into()),
            k_room: Constant::new(((QUEUE - 2) as u64).into()),
        }
    }
}

impl OutQueue {
    /// Words held.
    pub fn fill(&self) -> usize {
        self.count.q.val().index()
    }
}

impl Logic for OutQueue {
    // Nested `if`s: rust-hdl emits no parentheses (see the core's `update`).
    #[allow(clippy::collapsible_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count);
        for i in 0..QUEUE {
            self.q_word[i].clock.next = self.clock.val();
            self.q_stream[i].clock.next = self.clock.val();
            self.q_last[i].clock.next = self.clock.val();
            self.q_bytes[i].clock.next = self.clock.val();
            self.q_word[i].d.next = self.q_word[i].q.val();
            self.q_stream[i].d.next = self.q_stream[i].q.val();
            self.q_last[i].d.next = self.q_last[i].q.val();
            self.q_bytes[i].d.next = self.q_bytes[i].q.val();
        }
        self.valid.next = self.count.q.val() != self.k_zero3.val();
        self.empty.next = self.count.q.val() == self.k_zero3.val();
        self.word.next = self.q_word[0].q.val();
        self.stream.next = self.q_stream[0].q.val();
        self.last.next = self.q_last[0].q.val();
        self.bytes.next = self.q_bytes[0].q.val();
        self.pop.next = self.valid.val() & self.ready.val();
        self.base.next = self.count.q.val();
        if self.pop.val() {
            self.base.next = self.count.q.val() - self.k_one3.val();
        }
        self.room.next = self.base.val() <= self.k_room.val();
        self.n_a.next = self.k_zero3.val();
        if self.push_a.val() {
            self.n_a.next = self.k_one3.val();
        }
        self.n_b.next = self.k_zero3.val();
        if self.push_b.val() {
            self.n_b.next = self.k_one3.val();
        }
        self.slot_b.next = self.base.val() + self.n_a.val();
        if self.pop.val() {
            for i in 0..QUEUE_M1 {
                self.q_word[i].d.next = self.q_word[i + 1].q.val();
                self.q_stream[i].d.next = self.q_stream[i + 1].q.val();
                self.q_last[i].d.next = self.q_last[i + 1].q.val();
                self.q_bytes[i].d.next = self.q_bytes[i + 1].q.val();
            }
        }
        for i in 0..QUEUE {
            if self.push_a.val() {
                if self.base.val() == self.k_idx[i].val() {
                    self.q_word[i].d.next = self.word_a.val();
                    self.q_stream[i].d.next = self.stream_a.val();
                    self.q_last[i].d.next = self.last_a.val();
                    self.q_bytes[i].d.next = self.bytes_a.val();
                }
            }
            if self.push_b.val() {
                if self.slot_b.val() == self.k_idx[i].val() {
                    self.q_word[i].d.next = self.word_b.val();
                    self.q_stream[i].d.next = self.stream_b.val();
                    self.q_last[i].d.next = self.last_b.val();
                    self.q_bytes[i].d.next = self.bytes_b.val();
                }
            }
        }
        self.count.d.next = self.slot_b.val() + self.n_b.val();
        if self.kill.val() {
            self.count.d.next = self.k_zero3.val();
        }
    }
}
