//! The two memories-with-registers of coder max's core besides the state RAM: the probability
//! table in block RAM ([`TableRom`]) and the output queue ([`OutQueue`]).

use neurice_model::max::{Table, CONTEXTS, TOKENS};
use rust_hdl::prelude::*;

/// Entries of the table: `{ctx[3:0], token[4:0]}`.
pub const TABLE_ADDRESS_BITS: usize = 9;
const _: () = assert!(CONTEXTS * TOKENS == 1 << TABLE_ADDRESS_BITS);

/// The probability table (FORMAT.md §10.4) as a read-only block RAM: 512 entries of 24 bits,
/// `{cum[11:0], f[11:0]}` of token `t` in context `c` at address `c·32 + t`, in three
/// 512 × 8 memories (three `SB_RAM40_4K` in 512 × 8 mode on the iCE40), initialised from the
/// [`Table`]. The read is registered at an edge with `re` and held otherwise. (The top flag is
/// not stored: it is `t == top(c)`, from 16 constants in the core.)
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
        let mut v = String::new();
        for m in 0..3 {
            let _ = writeln!(v, "reg [7:0] m{m} [0:511];\nreg [7:0] q{m};");
        }
        v.push_str("initial begin\n");
        for (i, w) in self._words.iter().enumerate() {
            for m in 0..3 {
                let _ = writeln!(v, "   m{m}[{i}] = 8'h{:02x};", (w >> (8 * m)) & 0xFF);
            }
        }
        v.push_str(
            "   q0 = 8'd0;\n   q1 = 8'd0;\n   q2 = 8'd0;\nend\n\n\
             always @(posedge clock) begin\n   if (re) begin\n      q0 <= m0[addr];\n      \
             q1 <= m1[addr];\n      q2 <= m2[addr];\n   end\nend\n\n\
             always @(*) begin\n   f = {q1[3:0], q0};\n   cum = {q2, q1[7:4]};\nend\n",
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
