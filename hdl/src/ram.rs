//! The per-channel state memory: `2^N` words of 32 bits, one read and one write port on
//! one clock, registered read, zero-initialised. A word holds the three fields of a channel's
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
        Verilog::Custom(format!(
            "\
(* no_rw_check *)
reg [{msb}:0] mem [0:{last}];
reg [{msb}:0] read_word;
integer i;
initial begin
   for (i = 0; i <= {last}; i = i + 1) mem[i] = {width}'d0;
   read_word = {width}'d0;
end

always @(posedge clock) begin
   if (read_enable) begin
      read_word <= mem[read_address];
   end
   if (write_enable) begin
      mem[write_address] <= {{write_prev ^ {pw}'h{flip:x}, write_a, write_n}};
   end
end

always @(*) begin
   read_prev = read_word[{msb}:{ps}] ^ {pw}'h{flip:x};
   read_a = read_word[{am}:{ash}];
   read_n = read_word[{nm}:0];
end
",
            msb = WORD_BITS - 1,
            last = (1usize << N) - 1,
            width = WORD_BITS,
            ps = PREV_SHIFT,
            am = PREV_SHIFT - 1,
            ash = A_SHIFT,
            nm = A_SHIFT - 1,
            pw = PREV_BITS,
            flip = PREV_FLIP,
        ))
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
