//! The coder-max encoder core (see the module documentation of [`crate::max`] for the ports,
//! the stages, the word format and the hazards).

use neurice_model::max::{restart_state, MaxParams, Table, CONTEXTS};
use rust_hdl::prelude::*;

use super::blocks::{OutQueue, TableRom};
use super::check_max_params;
use super::leaves::{
    ByteGroup, BytePack, ContextBits, CtxSigma, EStep, FNorm, LowStep, RangeStep, RawPack, SThermo,
    StateDiff, StatePack, StateUnpack, Tokenise, DELTA_BITS, RANGE_BITS_U, RAW_LEN_BITS, SUB_S,
    S_TESTS, W, WEIGHT_BITS,
};
use super::near::{Gated, NearConsts, NearQuant, NearRecon};
use crate::lattice::fold_false_flag;
use crate::prims::ShiftLeft;
use crate::ram::BankedWordRam;
use crate::v2::lms::{to_bits, LmsStep, PredictSum, TapMul, SUM_BITS, TAPS};
use crate::HdlError;

/// Phases of the control (`ph`): coding, the finish's three byte-shift steps, waiting for their
/// bytes, the last words.
const PH_RUN: u64 = 0;
const PH_FIN: u64 = 1;
const PH_DRAIN: u64 = 2;
const PH_LAST: u64 = 3;

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

crate::core_struct! {
    /// The coder-max encoder core for `2^C` channels (see [`crate::max`]).
    pub struct MaxCore<const C: usize> {
        inputs: one_lane,
        /// The word's substream: 0 the range coder's bytes, 1 the raw bits.
        pub out_stream: Signal<Out, Bit>,
        /// The word is the last of its substream in the block.
        pub out_last: Signal<Out, Bit>,
        /// The word's valid bytes from bit 31 down: 4, or 1 ..= 4 on a last word.
        pub out_bytes: Signal<Out, Bits<3>>,

        // ---- constants ----
        k_ph: [Constant<Bits<2>>; 4],
        k_ch0: Constant<Bits<C>>,
        k_a0: Constant<Bits<16>>,
        k_n0: Constant<Bits<6>>,
        k_n_last: Constant<Bits<6>>,
        k_n_half: Constant<Bits<6>>,
        k_one6: Constant<Bits<6>>,
        k_seven6: Constant<Bits<6>>,
        k_zero6: Constant<Bits<6>>,
        k_one17: Constant<Bits<17>>,
        k_w0: [Constant<Bits<WEIGHT_BITS>>; TAPS],
        k_zero_d: Constant<Bits<DELTA_BITS>>,
        k_one1: Constant<Bits<1>>,
        k_zero10: Constant<Bits<10>>,
        k_ones10: Constant<Bits<10>>,
        k_top: [Constant<Bits<5>>; CONTEXTS],
        k_idx4: [Constant<Bits<4>>; CONTEXTS],
        k_zero2: Constant<Bits<2>>,
        k_one2: Constant<Bits<2>>,
        k_two2: Constant<Bits<2>>,
        k_zero3: Constant<Bits<3>>,
        k_four3: Constant<Bits<3>>,
        k_zero8: Constant<Bits<8>>,
        k_zero32: Constant<Bits<32>>,
        k_zero20: Constant<Bits<RANGE_BITS_U>>,
        /// `δ > 0`: the bounded-error design (quantiser in s3, state update and write in s4)
        k_near: Gated<Constant<Bit>>,

        // ---- control ----
        ph: DFF<Bits<2>>,
        fin_n: DFF<Bits<2>>,
        /// a sample was taken since the last restart (the block is open)
        open: DFF<Bit>,
        /// past the block's first frame
        coded: DFF<Bit>,
        adv: Signal<Local, Bit>,
        /// the back end (s6 … s10's intake) advances: `adv` with a coded sample leaving s5,
        /// or while a block ends (`flush`, or a phase other than RUN); else it holds
        bk: Signal<Local, Bit>,
        run: Signal<Local, Bit>,
        accept: Signal<Local, Bit>,
        is_ch0: Signal<Local, Bit>,
        first_in: Signal<Local, Bit>,
        fe_empty: Signal<Local, Bit>,
        be_empty: Signal<Local, Bit>,

        // ---- s0: the sample taken, waiting for its state read ----
        s0_v: DFF<Bit>,
        s0_ch: DFF<Bits<C>>,
        s0_x: DFF<Bits<W>>,
        s0_first: DFF<Bit>,
        h1: Signal<Local, Bit>,
        h2: Signal<Local, Bit>,
        h3: Signal<Local, Bit>,
        s0_go: Signal<Local, Bit>,

        // ---- the channel state: three words of 32 bits ----
        ram_hi: BankedWordRam<C>,
        ram_mid: BankedWordRam<C>,
        ram_lo: BankedWordRam<C>,

        // ---- s1: the state read; products, the tests for s, the sub-context bits ----
        s1_v: DFF<Bit>,
        s1_ch: DFF<Bits<C>>,
        s1_x: DFF<Bits<W>>,
        s1_first: DFF<Bit>,
        unpack: StateUnpack,
        mul: [TapMul; TAPS],
        thermo: SThermo,
        cbits: ContextBits,

        // ---- s2: the prediction; s, the context, sigma ----
        s2_v: DFF<Bit>,
        s2_ch: DFF<Bits<C>>,
        s2_x: DFF<Bits<W>>,
        s2_first: DFF<Bit>,
        s2_prev: DFF<Bits<W>>,
        s2_a: DFF<Bits<16>>,
        s2_n: DFF<Bits<6>>,
        s2_d: [DFF<Bits<DELTA_BITS>>; TAPS],
        s2_w: [DFF<Bits<WEIGHT_BITS>>; TAPS],
        s2_prod: [DFF<Bits<SUM_BITS>>; TAPS],
        s2_th: DFF<Bits<S_TESTS>>,
        s2_sub: DFF<Bits<SUB_S>>,
        s2_flat: DFF<Bit>,
        psum: PredictSum,
        ctxs: CtxSigma,

        // ---- s3: u, the state update and its write ----
        s3_v: DFF<Bit>,
        s3_ch: DFF<Bits<C>>,
        s3_x: DFF<Bits<W>>,
        s3_first: DFF<Bit>,
        s3_prev: DFF<Bits<W>>,
        s3_a: DFF<Bits<16>>,
        s3_n: DFF<Bits<6>>,
        s3_d: [DFF<Bits<DELTA_BITS>>; TAPS],
        s3_w: [DFF<Bits<WEIGHT_BITS>>; TAPS],
        s3_pred: DFF<Bits<W>>,
        s3_ctx: DFF<Bits<4>>,
        s3_sig: DFF<Bits<3>>,
        upd: LmsStep,
        s3_e: Signal<Local, Bits<W>>,
        s3_e2: ShiftLeft<W, 1>,
        s3_sign: Signal<Local, Bits<W>>,
        s3_u: Signal<Local, Bits<W>>,
        s3_u16: Signal<Local, Bits<16>>,
        s3_asum: Signal<Local, Bits<16>>,
        s3_around: Signal<Local, Bits<17>>,
        s3_a_new: Signal<Local, Bits<16>>,
        s3_n_new: Signal<Local, Bits<6>>,
        pack: StatePack,
        /// the state as read (the update's inputs), packed: a half the update leaves as it
        /// was is not written
        pack_old: StatePack,
        sdiff: StateDiff,
        /// `δ > 0`: the quantised residual (s3)
        nq: Gated<NearQuant>,
        /// the state update's inputs: s3's registers (`δ = 0`) or s4n's (`δ > 0`)
        w_first: Gated<Signal<Local, Bit>>,
        w_a: Gated<Signal<Local, Bits<16>>>,
        w_n: Gated<Signal<Local, Bits<6>>>,

        // ---- s4: the token and the raw field ----
        s4_v: DFF<Bit>,
        s4_first: DFF<Bit>,
        s4_x: DFF<Bits<W>>,
        s4_u: DFF<Bits<W>>,
        s4_sig: DFF<Bits<3>>,
        s4_ctx: DFF<Bits<4>>,
        tokz: Tokenise,
        /// `δ > 0`: what the state update and write need one stage later (s4n)
        s4n_v: Gated<DFF<Bit>>,
        s4n_ch: Gated<DFF<Bits<C>>>,
        s4n_prev: Gated<DFF<Bits<W>>>,
        s4n_a: Gated<DFF<Bits<16>>>,
        s4n_n: Gated<DFF<Bits<6>>>,
        s4n_d: [Gated<DFF<Bits<DELTA_BITS>>>; TAPS],
        s4n_w: [Gated<DFF<Bits<WEIGHT_BITS>>>; TAPS],
        s4n_pred: Gated<DFF<Bits<W>>>,
        s4n_qv: Gated<DFF<Bits<10>>>,
        s4n_neg: Gated<DFF<Bit>>,
        s4n_qzero: Gated<DFF<Bit>>,
        /// the error's sign for the LMS update, `sign(x̂ − pred) = sign(q)`, known in s3
        /// (`near::NearConsts::recon`): `q ≠ 0` and `q > 0`
        s4n_enz: Gated<DFF<Bit>>,
        s4n_epos: Gated<DFF<Bit>>,
        /// `δ > 0`: the reconstruction (s4)
        nr: Gated<NearRecon>,

        // ---- s5: the table read; the top flag; the raw packer ----
        s5_v: DFF<Bit>,
        s5_coded: DFF<Bit>,
        s5_addr: DFF<Bits<9>>,
        s5_rval: DFF<Bits<10>>,
        s5_rlen: DFF<Bits<RAW_LEN_BITS>>,
        /// the probability table (not `table`: a SystemVerilog keyword)
        prob: TableRom,
        s5_ctx: Signal<Local, Bits<4>>,
        s5_tok: Signal<Local, Bits<5>>,
        top_tok: Signal<Local, Bits<5>>,
        top_hit: Signal<Local, Bit>,
        racc: DFF<Bits<32>>,
        rnb: DFF<Bits<6>>,
        rpack: RawPack,
        rnb7: Signal<Local, Bits<6>>,

        // ---- s6: the frequency normalised ----
        s6_v: DFF<Bit>,
        s6_top: DFF<Bit>,
        fnrm: FNorm,

        // ---- s7: the range recurrence ----
        s7_v: DFF<Bit>,
        s7_fn: DFF<Bits<12>>,
        s7_s0: DFF<Bits<4>>,
        s7_top: DFF<Bit>,
        s7_cum: DFF<Bits<12>>,
        rn: DFF<Bits<RANGE_BITS_U>>,
        rstep: RangeStep,

        // ---- s8: the scale and the value added to low ----
        s8_v: DFF<Bit>,
        s8_n: DFF<Bits<4>>,
        s8_prod: DFF<Bits<20>>,
        eb: DFF<Bits<3>>,
        estep: EStep,

        // ---- s9: low and the byte shifts ----
        s9_v: DFF<Bit>,
        s9_addend: DFF<Bits<32>>,
        s9_sh: DFF<Bits<2>>,
        low: DFF<Bits<32>>,
        carry: DFF<Bit>,
        cache: DFF<Bits<8>>,
        pend: DFF<Bits<32>>,
        started: DFF<Bit>,
        lstep: LowStep,

        // ---- s10: the released bytes (a record), the expander, the grouping ----
        r_v: DFF<Bit>,
        r_hp: DFF<Bit>,
        r_head: DFF<Bits<8>>,
        r_n: DFF<Bits<32>>,
        r_fv: DFF<Bits<8>>,
        r_tp: DFF<Bit>,
        r_tail: DFF<Bits<8>>,
        ex_busy: DFF<Bit>,
        ex_n: DFF<Bits<32>>,
        ex_fv: DFF<Bits<8>>,
        ex_tp: DFF<Bit>,
        ex_tail: DFF<Bits<8>>,
        bgrp: ByteGroup,
        go10: Signal<Local, Bit>,

        // ---- s11: the group of bytes into the token packer ----
        g_v: DFF<Bit>,
        g_group: DFF<Bits<32>>,
        g_k: DFF<Bits<3>>,
        bpk: BytePack,
        tacc: DFF<Bits<32>>,
        tc: DFF<Bits<3>>,

        // ---- the output queue ----
        queue: OutQueue,
    }
}

impl<const C: usize> MaxCore<C> {
    /// The core for the coder `p` with the probability table `table` (see
    /// [`check_max_params`]; `p.block_frames` is the host's business: a block ends at a
    /// `flush`).
    pub fn new(p: &MaxParams, table: &Table) -> Result<Self, HdlError> {
        check_max_params(p)?;
        if !(1..=10).contains(&C) {
            return Err(HdlError::Channels(1 << C.min(20)));
        }
        let f = p.front_end();
        let rs = restart_state(0, p);
        let near = NearConsts::new(p.max_error)?;
        let on = p.max_error > 0;
        Ok(crate::core_new! {
            inputs: one_lane,
            out_stream: Default::default(),
            out_last: Default::default(),
            out_bytes: Default::default(),
            k_ph: [PH_RUN, PH_FIN, PH_DRAIN, PH_LAST].map(k),
            k_ch0: k(0),
            k_a0: k(rs.a as u64),
            k_n0: k(rs.n as u64),
            k_n_last: k((1u64 << p.window_log2) - 1),
            k_n_half: k(1u64 << (p.window_log2 - 1)),
            k_one6: k(1),
            k_seven6: k(7),
            k_zero6: k(0),
            k_one17: k(1),
            k_w0: std::array::from_fn(|i| k(to_bits(rs.w[i], WEIGHT_BITS))),
            k_zero_d: k(0),
            k_one1: k(1),
            k_zero10: k(0),
            k_ones10: k(0x3FF),
            k_top: std::array::from_fn(|c| k(table.top(c) as u64)),
            k_idx4: std::array::from_fn(|i| k(i as u64)),
            k_zero2: k(0),
            k_one2: k(1),
            k_two2: k(2),
            k_zero3: k(0),
            k_four3: k(4),
            k_zero8: k(0),
            k_zero32: k(0),
            k_zero20: k(0),
            k_near: Gated::new(Constant::new(on), on),
            ph: Default::default(),
            fin_n: Default::default(),
            open: Default::default(),
            coded: Default::default(),
            adv: Default::default(),
            bk: Default::default(),
            run: Default::default(),
            accept: Default::default(),
            is_ch0: Default::default(),
            first_in: Default::default(),
            fe_empty: Default::default(),
            be_empty: Default::default(),
            s0_v: Default::default(),
            s0_ch: Default::default(),
            s0_x: Default::default(),
            s0_first: Default::default(),
            h1: Default::default(),
            h2: Default::default(),
            h3: Default::default(),
            s0_go: Default::default(),
            ram_hi: Default::default(),
            ram_mid: Default::default(),
            ram_lo: Default::default(),
            s1_v: Default::default(),
            s1_ch: Default::default(),
            s1_x: Default::default(),
            s1_first: Default::default(),
            unpack: Default::default(),
            mul: Default::default(),
            thermo: SThermo::new(p.thr_num, p.thr_shift),
            cbits: Default::default(),
            s2_v: Default::default(),
            s2_ch: Default::default(),
            s2_x: Default::default(),
            s2_first: Default::default(),
            s2_prev: Default::default(),
            s2_a: Default::default(),
            s2_n: Default::default(),
            s2_d: Default::default(),
            s2_w: Default::default(),
            s2_prod: Default::default(),
            s2_th: Default::default(),
            s2_sub: Default::default(),
            s2_flat: Default::default(),
            psum: Default::default(),
            ctxs: Default::default(),
            s3_v: Default::default(),
            s3_ch: Default::default(),
            s3_x: Default::default(),
            s3_first: Default::default(),
            s3_prev: Default::default(),
            s3_a: Default::default(),
            s3_n: Default::default(),
            s3_d: Default::default(),
            s3_w: Default::default(),
            s3_pred: Default::default(),
            s3_ctx: Default::default(),
            s3_sig: Default::default(),
            upd: LmsStep::new(&f)?,
            s3_e: Default::default(),
            s3_e2: Default::default(),
            s3_sign: Default::default(),
            s3_u: Default::default(),
            s3_u16: Default::default(),
            s3_asum: Default::default(),
            s3_around: Default::default(),
            s3_a_new: Default::default(),
            s3_n_new: Default::default(),
            pack: Default::default(),
            pack_old: Default::default(),
            sdiff: Default::default(),
            nq: Gated::new(NearQuant::new(&near), on),
            w_first: Gated::default_if(on),
            w_a: Gated::default_if(on),
            w_n: Gated::default_if(on),
            s4_v: Default::default(),
            s4_first: Default::default(),
            s4_x: Default::default(),
            s4_u: Default::default(),
            s4_sig: Default::default(),
            s4_ctx: Default::default(),
            tokz: Default::default(),
            s4n_v: Gated::default_if(on),
            s4n_ch: Gated::default_if(on),
            s4n_prev: Gated::default_if(on),
            s4n_a: Gated::default_if(on),
            s4n_n: Gated::default_if(on),
            s4n_d: std::array::from_fn(|_| Gated::default_if(on)),
            s4n_w: std::array::from_fn(|_| Gated::default_if(on)),
            s4n_pred: Gated::default_if(on),
            s4n_qv: Gated::default_if(on),
            s4n_neg: Gated::default_if(on),
            s4n_qzero: Gated::default_if(on),
            s4n_enz: Gated::default_if(on),
            s4n_epos: Gated::default_if(on),
            nr: Gated::new(NearRecon::new(&near), on),
            s5_v: Default::default(),
            s5_coded: Default::default(),
            s5_addr: Default::default(),
            s5_rval: Default::default(),
            s5_rlen: Default::default(),
            prob: TableRom::new(table),
            s5_ctx: Default::default(),
            s5_tok: Default::default(),
            top_tok: Default::default(),
            top_hit: Default::default(),
            racc: Default::default(),
            rnb: Default::default(),
            rpack: Default::default(),
            rnb7: Default::default(),
            s6_v: Default::default(),
            s6_top: Default::default(),
            fnrm: Default::default(),
            s7_v: Default::default(),
            s7_fn: Default::default(),
            s7_s0: Default::default(),
            s7_top: Default::default(),
            s7_cum: Default::default(),
            rn: Default::default(),
            rstep: Default::default(),
            s8_v: Default::default(),
            s8_n: Default::default(),
            s8_prod: Default::default(),
            eb: Default::default(),
            estep: Default::default(),
            s9_v: Default::default(),
            s9_addend: Default::default(),
            s9_sh: Default::default(),
            low: Default::default(),
            carry: Default::default(),
            cache: Default::default(),
            pend: Default::default(),
            started: Default::default(),
            lstep: Default::default(),
            r_v: Default::default(),
            r_hp: Default::default(),
            r_head: Default::default(),
            r_n: Default::default(),
            r_fv: Default::default(),
            r_tp: Default::default(),
            r_tail: Default::default(),
            ex_busy: Default::default(),
            ex_n: Default::default(),
            ex_fv: Default::default(),
            ex_tp: Default::default(),
            ex_tail: Default::default(),
            bgrp: Default::default(),
            go10: Default::default(),
            g_v: Default::default(),
            g_group: Default::default(),
            g_k: Default::default(),
            bpk: Default::default(),
            tacc: Default::default(),
            tc: Default::default(),
            queue: Default::default(),
        })
    }

    /// One line of what each stage holds (for mismatch reports and traces).
    pub fn debug_state(&self) -> String {
        let v = |b: bool| if b { '1' } else { '.' };
        format!(
            "ph {} stages s0..s9,rec,group [{}{}{}{}{}{}{}{}{}{}{}{}] expander {} (rest {}), \
             token packer {} bytes, raw packer {} bits, queue {} words",
            self.ph.q.val().to_u64(),
            v(self.s0_v.q.val()),
            v(self.s1_v.q.val()),
            v(self.s2_v.q.val()),
            v(self.s3_v.q.val()),
            v(self.s4_v.q.val()),
            v(self.s5_v.q.val()),
            v(self.s6_v.q.val()),
            v(self.s7_v.q.val()),
            v(self.s8_v.q.val()),
            v(self.s9_v.q.val()),
            v(self.r_v.q.val()),
            v(self.g_v.q.val()),
            if self.ex_busy.q.val() { "busy" } else { "idle" },
            self.ex_n.q.val().to_u64(),
            self.tc.q.val().to_u64(),
            self.rnb.q.val().to_u64(),
            self.queue.fill(),
        )
    }

    /// Words in the output queue.
    pub fn queue_fill(&self) -> usize {
        self.queue.fill()
    }

    /// Whether the back end (s6 … s9, s10's intake) advances at the coming edge (with the
    /// clock low, after the inputs settled): with a coded sample leaving s5, or while a block
    /// ends; it holds on a clock without a coded sample (issue 26's power: no recomputation
    /// of the range, scale and `low` steps on the gaps).
    pub fn back_end_moves(&self) -> bool {
        self.bk.val()
    }

    /// Whether the expander is sending the rest of a long release (the pipeline holds).
    pub fn expanding(&self) -> bool {
        self.ex_busy.q.val()
    }

    /// The memory accesses of the coming edge (the enables as they stand with the clock low,
    /// after the inputs settled): the state read, the state write (both for the three state
    /// RAMs together) and the table read. For tests of the accesses per sample: a state read
    /// and a write per sample taken, a table read per sample coded after the block's first
    /// frame, none otherwise.
    pub fn accesses(&self) -> MemAccesses {
        MemAccesses {
            state_read: self.ram_hi.read_enable.val(),
            state_write: self.ram_hi.write_enable.val(),
            state_halves: if self.ram_hi.write_enable.val() {
                [&self.ram_hi, &self.ram_mid, &self.ram_lo]
                    .iter()
                    .map(|r| r.write_halves.val().to_u32().count_ones())
                    .sum()
            } else {
                0
            },
            table_read: self.prob.re.val(),
        }
    }
}

/// [`MaxCore::accesses`]: which memories the coming edge reads or writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemAccesses {
    /// The three state RAMs read (each enables one bank: two block RAMs in 256 × 16 mode).
    pub state_read: bool,
    /// The three state RAMs written (one bank each).
    pub state_write: bool,
    /// With `state_write`: the 16-bit halves (block RAMs) written, 0 ..= 6: only those the
    /// sample's update changes.
    pub state_halves: u32,
    /// The probability table read (two block RAMs: the 256 × 16 one of the context's half and
    /// the 512 × 8 one).
    pub table_read: bool,
}

impl<const C: usize> Logic for MaxCore<C> {
    fn update(&mut self) {
        self.kernel();
    }

    fn connect(&mut self) {
        MaxCore::connect(self); // the inherent one `hdl_gen` made from `kernel`
    }

    /// The kernel's Verilog; for `δ = 0` without the bounded-error logic, the lossless core's
    /// statements only: `k_near`'s branches folded away, the statements that drive the
    /// [`Gated`] parts dropped and the state update's inputs `w_*` replaced by what they
    /// carry ([`fold_false_flag`]); the gated parts are not in the design either
    /// ([`Gated`]'s `accept`). Yosys then sees the Verilog of the core before `δ` existed.
    fn hdl(&self) -> Verilog {
        let code = MaxCore::hdl(self); // the inherent one `hdl_gen` made from `kernel`
        if self.k_near.val() {
            code
        } else {
            fold_false_flag(
                code,
                "k_near",
                &["s4n_", "nq$", "nr$"],
                &["w_first", "w_a", "w_n"],
            )
        }
    }
}

impl<const C: usize> MaxCore<C> {
    // Nested `if`s instead of `a & (b == c)`: rust-hdl emits no parentheses, and Verilog's
    // `&` binds looser than `==`; a condition is one signal or one comparison.
    /// The core's logic; `#[hdl_gen]` makes from it the inherent `connect` and `hdl` that the
    /// `Logic` impl above calls.
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn kernel(&mut self) {
        dff_setup!(
            self, clock, ph, fin_n, open, coded, s0_v, s0_ch, s0_x, s0_first, s1_v, s1_ch, s1_x,
            s1_first, s2_v, s2_ch, s2_x, s2_first, s2_prev, s2_a, s2_n, s2_th, s2_sub, s2_flat,
            s3_v, s3_ch, s3_x, s3_first, s3_prev, s3_a, s3_n, s3_pred, s3_ctx, s3_sig, s4_v,
            s4_first, s4_x, s4_u, s4_sig, s4_ctx, s5_v, s5_coded, s5_addr, s5_rval, s5_rlen, racc,
            rnb, s6_v, s6_top, s7_v, s7_fn, s7_s0, s7_top, s7_cum, rn, s8_v, s8_n, s8_prod, eb,
            s9_v, s9_addend, s9_sh, low, carry, cache, pend, started, r_v, r_hp, r_head, r_n, r_fv,
            r_tp, r_tail, ex_busy, ex_n, ex_fv, ex_tp, ex_tail, g_v, g_group, g_k, tacc, tc, s4n_v,
            s4n_ch, s4n_prev, s4n_a, s4n_n, s4n_pred, s4n_qv, s4n_neg, s4n_qzero, s4n_enz,
            s4n_epos
        );
        for i in 0..TAPS {
            self.s2_d[i].clock.next = self.clock.val();
            self.s2_w[i].clock.next = self.clock.val();
            self.s2_prod[i].clock.next = self.clock.val();
            self.s3_d[i].clock.next = self.clock.val();
            self.s3_w[i].clock.next = self.clock.val();
            self.s2_d[i].d.next = self.s2_d[i].q.val();
            self.s2_w[i].d.next = self.s2_w[i].q.val();
            self.s2_prod[i].d.next = self.s2_prod[i].q.val();
            self.s3_d[i].d.next = self.s3_d[i].q.val();
            self.s3_w[i].d.next = self.s3_w[i].q.val();
            self.s4n_d[i].clock.next = self.clock.val();
            self.s4n_w[i].clock.next = self.clock.val();
            self.s4n_d[i].d.next = self.s4n_d[i].q.val();
            self.s4n_w[i].d.next = self.s4n_w[i].q.val();
        }
        clock!(self, clock, ram_hi, ram_mid, ram_lo, prob, queue);

        // ==== control: the whole pipeline advances on `adv` (room for two words in the
        // queue after this edge's pop, and no long release being expanded)
        self.adv.next = self.queue.room.val() & (!self.ex_busy.q.val());
        self.run.next = self.ph.q.val() == self.k_ph[0].val();
        self.bk.next =
            self.adv.val() & (self.s5_coded.q.val() | self.flush.val() | (!self.run.val()));
        self.fe_empty.next = !(self.s0_v.q.val()
            | self.s1_v.q.val()
            | self.s2_v.q.val()
            | self.s3_v.q.val()
            | self.s4_v.q.val()
            | self.s5_v.q.val()
            | self.s6_v.q.val()
            | self.s7_v.q.val()
            | self.s8_v.q.val());
        self.be_empty.next = (!self.s9_v.q.val())
            & (!self.r_v.q.val())
            & (!self.ex_busy.q.val())
            & (!self.g_v.q.val());

        // ==== s0: the same channel may be read only once its last sample's state is
        // written (at the edge leaving s3): wait while s1, s2 or s3 holds it
        self.h1.next = false;
        if self.s1_v.q.val() {
            if self.s1_ch.q.val() == self.s0_ch.q.val() {
                self.h1.next = true;
            }
        }
        self.h2.next = false;
        if self.s2_v.q.val() {
            if self.s2_ch.q.val() == self.s0_ch.q.val() {
                self.h2.next = true;
            }
        }
        self.h3.next = false;
        if self.s3_v.q.val() {
            if self.s3_ch.q.val() == self.s0_ch.q.val() {
                self.h3.next = true;
            }
        }
        self.s0_go.next =
            self.s0_v.q.val() & (!self.h1.val()) & (!self.h2.val()) & (!self.h3.val());
        // δ > 0: the state is written at the edge leaving s4 (s4n)
        if self.k_near.val() {
            if self.s4n_v.q.val() {
                if self.s4n_ch.q.val() == self.s0_ch.q.val() {
                    self.s0_go.next = false;
                }
            }
        }
        self.in_ready.next = self.adv.val()
            & self.run.val()
            & (!self.flush.val())
            & (!self.clear.val())
            & ((!self.s0_v.q.val()) | self.s0_go.val());
        self.accept.next = self.in_valid.val() & self.in_ready.val();
        // the block's first frame: from its first sample up to the next one of channel 0
        self.is_ch0.next = self.in_channel.val() == self.k_ch0.val();
        self.first_in.next = !self.coded.q.val();
        if self.open.q.val() {
            if self.is_ch0.val() {
                self.first_in.next = false;
            }
        }
        if self.accept.val() {
            self.open.d.next = true;
            if self.open.q.val() {
                if self.is_ch0.val() {
                    self.coded.d.next = true;
                }
            }
        }
        if self.adv.val() {
            if self.s0_go.val() {
                self.s0_v.d.next = false;
            }
        }
        if self.accept.val() {
            self.s0_v.d.next = true;
            self.s0_ch.d.next = self.in_channel.val();
            self.s0_x.d.next = self.in_sample.val();
            self.s0_first.d.next = self.first_in.val();
        }
        self.ram_hi.read_address.next = self.s0_ch.q.val();
        self.ram_mid.read_address.next = self.s0_ch.q.val();
        self.ram_lo.read_address.next = self.s0_ch.q.val();
        self.ram_hi.read_enable.next = self.s0_go.val() & self.adv.val();
        self.ram_mid.read_enable.next = self.s0_go.val() & self.adv.val();
        self.ram_lo.read_enable.next = self.s0_go.val() & self.adv.val();

        // ==== s1: the state from the RAM; the products, the tests for s, the sub-context bits
        if self.adv.val() {
            self.s1_v.d.next = self.s0_go.val();
            self.s1_ch.d.next = self.s0_ch.q.val();
            self.s1_x.d.next = self.s0_x.q.val();
            self.s1_first.d.next = self.s0_first.q.val();
        }
        self.unpack.hi.next = self.ram_hi.read_data.val();
        self.unpack.mid.next = self.ram_mid.read_data.val();
        self.unpack.lo.next = self.ram_lo.read_data.val();
        self.mul[0].a.next = self.unpack.w0.val();
        self.mul[0].b.next = self.unpack.d0.val();
        self.mul[1].a.next = self.unpack.w1.val();
        self.mul[1].b.next = self.unpack.d1.val();
        self.mul[2].a.next = self.unpack.w2.val();
        self.mul[2].b.next = self.unpack.d2.val();
        self.mul[3].a.next = self.unpack.w3.val();
        self.mul[3].b.next = self.unpack.d3.val();
        self.thermo.a.next = self.unpack.a.val();
        self.thermo.n.next = self.unpack.n.val();
        self.cbits.a.next = self.unpack.a.val();
        self.cbits.n.next = self.unpack.n.val();

        // ==== s2: the prediction; s, the context and sigma
        if self.adv.val() {
            self.s2_v.d.next = self.s1_v.q.val();
            self.s2_ch.d.next = self.s1_ch.q.val();
            self.s2_x.d.next = self.s1_x.q.val();
            self.s2_first.d.next = self.s1_first.q.val();
            self.s2_prev.d.next = self.unpack.prev.val();
            self.s2_a.d.next = self.unpack.a.val();
            self.s2_n.d.next = self.unpack.n.val();
            self.s2_d[0].d.next = self.unpack.d0.val();
            self.s2_d[1].d.next = self.unpack.d1.val();
            self.s2_d[2].d.next = self.unpack.d2.val();
            self.s2_d[3].d.next = self.unpack.d3.val();
            self.s2_w[0].d.next = self.unpack.w0.val();
            self.s2_w[1].d.next = self.unpack.w1.val();
            self.s2_w[2].d.next = self.unpack.w2.val();
            self.s2_w[3].d.next = self.unpack.w3.val();
            for i in 0..TAPS {
                self.s2_prod[i].d.next = self.mul[i].result.val();
            }
            self.s2_th.d.next = self.thermo.th.val();
            self.s2_sub.d.next = self.cbits.sub.val();
            self.s2_flat.d.next = self.cbits.flat.val();
        }
        self.psum.prev.next = self.s2_prev.q.val();
        for i in 0..TAPS {
            self.psum.prod[i].next = self.s2_prod[i].q.val();
        }
        self.ctxs.th.next = self.s2_th.q.val();
        self.ctxs.sub.next = self.s2_sub.q.val();
        self.ctxs.flat.next = self.s2_flat.q.val();

        // ==== s3: u, the channel's next state, written back at the edge leaving s3 (the
        // restart state in the block's first frame)
        if self.adv.val() {
            self.s3_v.d.next = self.s2_v.q.val();
            self.s3_ch.d.next = self.s2_ch.q.val();
            self.s3_x.d.next = self.s2_x.q.val();
            self.s3_first.d.next = self.s2_first.q.val();
            self.s3_prev.d.next = self.s2_prev.q.val();
            self.s3_a.d.next = self.s2_a.q.val();
            self.s3_n.d.next = self.s2_n.q.val();
            for i in 0..TAPS {
                self.s3_d[i].d.next = self.s2_d[i].q.val();
                self.s3_w[i].d.next = self.s2_w[i].q.val();
            }
            self.s3_pred.d.next = self.psum.pred.val();
            self.s3_ctx.d.next = self.ctxs.ctx.val();
            self.s3_sig.d.next = self.ctxs.sigma.val();
        }
        self.upd.x.next = self.s3_x.q.val();
        self.upd.err_nonzero.next = self.s3_x.q.val() != self.s3_pred.q.val();
        self.upd.err_positive.next = self.s3_x.q.val() > self.s3_pred.q.val();
        self.upd.prev.next = self.s3_prev.q.val();
        for i in 0..TAPS {
            self.upd.d[i].next = self.s3_d[i].q.val();
            self.upd.w[i].next = self.s3_w[i].q.val();
        }
        // u: zigzag of (x − pred) mod 2^W (§7.3)
        self.s3_e.next = self.s3_x.q.val() - self.s3_pred.q.val();
        self.s3_e2.data.next = self.s3_e.val();
        self.s3_e2.amount.next = self.k_one1.val();
        self.s3_sign.next = self.k_zero10.val();
        if self.s3_e.val().get_bit(9) {
            self.s3_sign.next = self.k_ones10.val();
        }
        self.s3_u.next = self.s3_e2.result.val() ^ self.s3_sign.val();
        // δ > 0 (§10.11): u of the quantised residual; the reconstruction, A/N, the LMS
        // update and the state write follow in s4 (s4n)
        self.nq.x.next = self.s3_x.q.val();
        self.nq.pred.next = self.s3_pred.q.val();
        if self.k_near.val() {
            self.s3_u.next = self.nq.u.val();
        }
        self.w_first.next = self.s3_first.q.val();
        self.w_a.next = self.s3_a.q.val();
        self.w_n.next = self.s3_n.q.val();
        self.s3_u16.next = bit_cast::<16, W>(self.s3_u.val());
        if self.k_near.val() {
            self.w_first.next = self.s4_first.q.val();
            self.w_a.next = self.s4n_a.q.val();
            self.w_n.next = self.s4n_n.q.val();
            self.s3_u16.next = bit_cast::<16, W>(self.s4_u.q.val());
        }
        // A, N (§3.5): halved when N reaches 2^w
        self.s3_asum.next = self.w_a.val() + self.s3_u16.val();
        self.s3_around.next = bit_cast::<17, 16>(self.s3_asum.val()) + self.k_one17.val();
        self.s3_a_new.next = self.s3_asum.val();
        self.s3_n_new.next = self.w_n.val() + self.k_one6.val();
        if self.w_n.val() == self.k_n_last.val() {
            self.s3_a_new.next = self.s3_around.val().get_bits::<16>(1);
            self.s3_n_new.next = self.k_n_half.val();
        }
        self.pack.prev.next = self.s3_x.q.val();
        if self.k_near.val() {
            // the sign from s3's quantiser, not from comparing x̂ (made this clock) with pred
            self.upd.x.next = self.nr.xr.val();
            self.upd.err_nonzero.next = self.s4n_enz.q.val();
            self.upd.err_positive.next = self.s4n_epos.q.val();
            self.upd.prev.next = self.s4n_prev.q.val();
            for i in 0..TAPS {
                self.upd.d[i].next = self.s4n_d[i].q.val();
                self.upd.w[i].next = self.s4n_w[i].q.val();
            }
            self.pack.prev.next = self.nr.xr.val();
            if self.s4_first.q.val() {
                self.pack.prev.next = self.s4_x.q.val();
            }
        }
        self.pack.a.next = self.s3_a_new.val();
        self.pack.n.next = self.s3_n_new.val();
        self.pack.d0.next = self.upd.d_next[0].val();
        self.pack.d1.next = self.upd.d_next[1].val();
        self.pack.d2.next = self.upd.d_next[2].val();
        self.pack.d3.next = self.upd.d_next[3].val();
        self.pack.w0.next = self.upd.w_next[0].val();
        self.pack.w1.next = self.upd.w_next[1].val();
        self.pack.w2.next = self.upd.w_next[2].val();
        self.pack.w3.next = self.upd.w_next[3].val();
        if self.w_first.val() {
            self.pack.a.next = self.k_a0.val();
            self.pack.n.next = self.k_n0.val();
            self.pack.d0.next = self.k_zero_d.val();
            self.pack.d1.next = self.k_zero_d.val();
            self.pack.d2.next = self.k_zero_d.val();
            self.pack.d3.next = self.k_zero_d.val();
            self.pack.w0.next = self.k_w0[0].val();
            self.pack.w1.next = self.k_w0[1].val();
            self.pack.w2.next = self.k_w0[2].val();
            self.pack.w3.next = self.k_w0[3].val();
        }
        // the state as read (the update's inputs), packed: a 16-bit half (one block RAM)
        // that the update leaves as it was is not written (the RAM holds what was read: the
        // same-channel rule lets no other write of the channel between the read and this
        // write)
        self.pack_old.prev.next = self.s3_prev.q.val();
        self.pack_old.d0.next = self.s3_d[0].q.val();
        self.pack_old.d1.next = self.s3_d[1].q.val();
        self.pack_old.d2.next = self.s3_d[2].q.val();
        self.pack_old.d3.next = self.s3_d[3].q.val();
        self.pack_old.w0.next = self.s3_w[0].q.val();
        self.pack_old.w1.next = self.s3_w[1].q.val();
        self.pack_old.w2.next = self.s3_w[2].q.val();
        self.pack_old.w3.next = self.s3_w[3].q.val();
        if self.k_near.val() {
            self.pack_old.prev.next = self.s4n_prev.q.val();
            self.pack_old.d0.next = self.s4n_d[0].q.val();
            self.pack_old.d1.next = self.s4n_d[1].q.val();
            self.pack_old.d2.next = self.s4n_d[2].q.val();
            self.pack_old.d3.next = self.s4n_d[3].q.val();
            self.pack_old.w0.next = self.s4n_w[0].q.val();
            self.pack_old.w1.next = self.s4n_w[1].q.val();
            self.pack_old.w2.next = self.s4n_w[2].q.val();
            self.pack_old.w3.next = self.s4n_w[3].q.val();
        }
        self.pack_old.a.next = self.w_a.val();
        self.pack_old.n.next = self.w_n.val();
        self.sdiff.hi.next = self.pack.hi.val();
        self.sdiff.mid.next = self.pack.mid.val();
        self.sdiff.lo.next = self.pack.lo.val();
        self.sdiff.old_hi.next = self.pack_old.hi.val();
        self.sdiff.old_mid.next = self.pack_old.mid.val();
        self.sdiff.old_lo.next = self.pack_old.lo.val();
        self.ram_hi.write_halves.next = self.sdiff.hi_halves.val();
        self.ram_mid.write_halves.next = self.sdiff.mid_halves.val();
        self.ram_lo.write_halves.next = self.sdiff.lo_halves.val();
        self.ram_hi.write_address.next = self.s3_ch.q.val();
        self.ram_mid.write_address.next = self.s3_ch.q.val();
        self.ram_lo.write_address.next = self.s3_ch.q.val();
        self.ram_hi.write_data.next = self.pack.hi.val();
        self.ram_mid.write_data.next = self.pack.mid.val();
        self.ram_lo.write_data.next = self.pack.lo.val();
        self.ram_hi.write_enable.next = self.s3_v.q.val() & self.adv.val();
        self.ram_mid.write_enable.next = self.s3_v.q.val() & self.adv.val();
        self.ram_lo.write_enable.next = self.s3_v.q.val() & self.adv.val();
        if self.k_near.val() {
            self.ram_hi.write_address.next = self.s4n_ch.q.val();
            self.ram_mid.write_address.next = self.s4n_ch.q.val();
            self.ram_lo.write_address.next = self.s4n_ch.q.val();
            self.ram_hi.write_enable.next = self.s4n_v.q.val() & self.adv.val();
            self.ram_mid.write_enable.next = self.s4n_v.q.val() & self.adv.val();
            self.ram_lo.write_enable.next = self.s4n_v.q.val() & self.adv.val();
        }

        // ==== s4: the token and the raw field
        if self.adv.val() {
            self.s4_v.d.next = self.s3_v.q.val();
            self.s4_first.d.next = self.s3_first.q.val();
            self.s4_x.d.next = self.s3_x.q.val();
            self.s4_u.d.next = self.s3_u.val();
            self.s4_sig.d.next = self.s3_sig.q.val();
            self.s4_ctx.d.next = self.s3_ctx.q.val();
            self.s4n_v.d.next = self.s3_v.q.val() & self.k_near.val();
            self.s4n_ch.d.next = self.s3_ch.q.val();
            self.s4n_prev.d.next = self.s3_prev.q.val();
            self.s4n_a.d.next = self.s3_a.q.val();
            self.s4n_n.d.next = self.s3_n.q.val();
            for i in 0..TAPS {
                self.s4n_d[i].d.next = self.s3_d[i].q.val();
                self.s4n_w[i].d.next = self.s3_w[i].q.val();
            }
            self.s4n_pred.d.next = self.s3_pred.q.val();
            self.s4n_qv.d.next = self.nq.qv.val();
            self.s4n_neg.d.next = self.nq.neg.val();
            self.s4n_qzero.d.next = self.nq.qzero.val();
            self.s4n_enz.d.next = !self.nq.qzero.val();
            self.s4n_epos.d.next = (!self.nq.neg.val()) & (!self.nq.qzero.val());
        }
        self.nr.pred.next = self.s4n_pred.q.val();
        self.nr.qv.next = self.s4n_qv.q.val();
        self.nr.neg.next = self.s4n_neg.q.val();
        self.nr.qzero.next = self.s4n_qzero.q.val();
        self.tokz.u.next = self.s4_u.q.val();
        self.tokz.sigma.next = self.s4_sig.q.val();
        self.tokz.first.next = self.s4_first.q.val();
        self.tokz.x.next = self.s4_x.q.val();
        self.tokz.ctx.next = self.s4_ctx.q.val();

        // ==== s5: the table read (registered, at the edge leaving s5); the top flag; the raw
        // field into the raw packer
        if self.adv.val() {
            self.s5_v.d.next = self.s4_v.q.val();
            self.s5_coded.d.next = self.s4_v.q.val() & (!self.s4_first.q.val());
            self.s5_addr.d.next = self.tokz.addr.val();
            self.s5_rval.d.next = self.tokz.raw_val.val();
            self.s5_rlen.d.next = self.tokz.raw_len.val();
        }
        self.prob.addr.next = self.s5_addr.q.val();
        self.prob.re.next = self.adv.val() & self.s5_coded.q.val();
        self.s5_ctx.next = self.s5_addr.q.val().get_bits::<4>(5);
        self.s5_tok.next = self.s5_addr.q.val().get_bits::<5>(0);
        self.top_tok.next = self.k_top[0].val();
        for i in 0..CONTEXTS {
            if self.s5_ctx.val() == self.k_idx4[i].val() {
                self.top_tok.next = self.k_top[i].val();
            }
        }
        self.top_hit.next = self.s5_tok.val() == self.top_tok.val();
        self.rpack.racc.next = self.racc.q.val();
        self.rpack.rnb.next = self.rnb.q.val();
        self.rpack.val.next = self.s5_rval.q.val();
        self.rpack.len.next = self.s5_rlen.q.val();
        self.rnb7.next = self.rnb.q.val() + self.k_seven6.val();
        self.queue.push_b.next = false;
        self.queue.word_b.next = self.rpack.word.val();
        self.queue.stream_b.next = true;
        self.queue.last_b.next = false;
        self.queue.bytes_b.next = self.k_four3.val();
        if self.adv.val() {
            if self.s5_v.q.val() {
                self.racc.d.next = self.rpack.racc_next.val();
                self.rnb.d.next = self.rpack.rnb_next.val();
                self.queue.push_b.next = self.rpack.emit.val();
            }
        }

        // ==== s6: f, cum from the table; f normalised
        if self.bk.val() {
            self.s6_v.d.next = self.s5_coded.q.val();
            self.s6_top.d.next = self.top_hit.val();
        }
        self.fnrm.f.next = self.prob.f.val();

        // ==== s7: the range recurrence (R stored inverted), and r·cum
        if self.bk.val() {
            self.s7_v.d.next = self.s6_v.q.val();
            self.s7_fn.d.next = self.fnrm.fnorm.val();
            self.s7_s0.d.next = self.fnrm.s0.val();
            self.s7_top.d.next = self.s6_top.q.val();
            self.s7_cum.d.next = self.prob.cum.val();
        }
        self.rstep.rn.next = self.rn.q.val();
        self.rstep.fnorm.next = self.s7_fn.q.val();
        self.rstep.s0.next = self.s7_s0.q.val();
        self.rstep.top.next = self.s7_top.q.val();
        self.rstep.cum.next = self.s7_cum.q.val();
        if self.bk.val() {
            if self.s7_v.q.val() {
                self.rn.d.next = self.rstep.rn_next.val();
            }
        }

        // ==== s8: the scale e (stored as 12 − e), the byte shifts, the value added to low
        if self.bk.val() {
            self.s8_v.d.next = self.s7_v.q.val();
            self.s8_n.d.next = self.rstep.n.val();
            self.s8_prod.d.next = self.rstep.prod.val();
        }
        self.estep.eb.next = self.eb.q.val();
        self.estep.n.next = self.s8_n.q.val();
        self.estep.prod.next = self.s8_prod.q.val();
        if self.bk.val() {
            if self.s8_v.q.val() {
                self.eb.d.next = self.estep.eb_next.val();
            }
        }

        // ==== s9: low and its byte shifts; the finish's three steps (2, 2, 1 shifts, nothing
        // added) enter here
        if self.bk.val() {
            self.s9_v.d.next = self.s8_v.q.val();
            self.s9_addend.d.next = self.estep.addend.val();
            self.s9_sh.d.next = self.estep.sh.val();
            if self.ph.q.val() == self.k_ph[1].val() {
                self.s9_v.d.next = true;
                self.s9_addend.d.next = self.k_zero32.val();
                self.s9_sh.d.next = self.k_two2.val();
                self.fin_n.d.next = self.fin_n.q.val() + self.k_one2.val();
                if self.fin_n.q.val() == self.k_two2.val() {
                    self.s9_sh.d.next = self.k_one2.val();
                    self.ph.d.next = self.k_ph[2].val();
                }
            }
        }
        self.lstep.valid.next = self.s9_v.q.val();
        self.lstep.low.next = self.low.q.val();
        self.lstep.carry.next = self.carry.q.val();
        self.lstep.cache.next = self.cache.q.val();
        self.lstep.pend.next = self.pend.q.val();
        self.lstep.started.next = self.started.q.val();
        self.lstep.addend.next = self.s9_addend.q.val();
        self.lstep.sh.next = self.s9_sh.q.val();
        if self.bk.val() {
            self.low.d.next = self.lstep.low_next.val();
            self.carry.d.next = self.lstep.carry_next.val();
            self.cache.d.next = self.lstep.cache_next.val();
            self.pend.d.next = self.lstep.pend_next.val();
            self.started.d.next = self.lstep.started_next.val();
            self.r_v.d.next = self.lstep.rel.val();
            self.r_hp.d.next = self.lstep.hp.val();
            self.r_head.d.next = self.lstep.head.val();
            self.r_n.d.next = self.lstep.nfill.val();
            self.r_fv.d.next = self.lstep.fv.val();
            self.r_tp.d.next = self.lstep.tp.val();
            self.r_tail.d.next = self.lstep.tail.val();
        }

        // ==== s10: the record's bytes (or the rest of a long one) grouped, up to four per
        // clock; a longer release holds the pipeline (`ex_busy`)
        self.bgrp.hp.next = self.r_hp.q.val();
        self.bgrp.head.next = self.r_head.q.val();
        self.bgrp.nfill.next = self.r_n.q.val();
        self.bgrp.fv.next = self.r_fv.q.val();
        self.bgrp.tp.next = self.r_tp.q.val();
        self.bgrp.tail.next = self.r_tail.q.val();
        self.go10.next = self.bk.val() & self.r_v.q.val();
        if self.ex_busy.q.val() {
            self.bgrp.hp.next = false;
            self.bgrp.nfill.next = self.ex_n.q.val();
            self.bgrp.fv.next = self.ex_fv.q.val();
            self.bgrp.tp.next = self.ex_tp.q.val();
            self.bgrp.tail.next = self.ex_tail.q.val();
            self.go10.next = self.queue.room.val();
        }
        if self.queue.room.val() {
            self.g_v.d.next = false;
        }
        if self.go10.val() {
            self.g_v.d.next = true;
            self.g_group.d.next = self.bgrp.group.val();
            self.g_k.d.next = self.bgrp.k.val();
            self.ex_busy.d.next = self.bgrp.over.val();
            self.ex_n.d.next = self.bgrp.rem.val();
            self.ex_fv.d.next = self.bgrp.fv.val();
            self.ex_tp.d.next = self.bgrp.tp.val();
            self.ex_tail.d.next = self.bgrp.tail.val();
        }

        // ==== s11: the group into the token packer; a full word into the queue. s11 moves at
        // every edge with room in the queue (with the pipeline, or while the expander runs)
        self.bpk.tacc.next = self.tacc.q.val();
        self.bpk.tc.next = self.tc.q.val();
        self.bpk.group.next = self.g_group.q.val();
        self.bpk.k.next = self.g_k.q.val();
        self.queue.push_a.next = false;
        self.queue.word_a.next = self.bpk.word.val();
        self.queue.stream_a.next = false;
        self.queue.last_a.next = false;
        self.queue.bytes_a.next = self.k_four3.val();
        if self.queue.room.val() {
            if self.g_v.q.val() {
                self.tacc.d.next = self.bpk.tacc_next.val();
                self.tc.d.next = self.bpk.tc_next.val();
                self.queue.push_a.next = self.bpk.emit.val();
            }
        }

        // ==== phases: a flush with an open block waits for every sample to reach s9, then the
        // finish's steps go in (FIN), their bytes through the packer (DRAIN), then the two
        // substreams' held words leave marked as last (LAST) and the coder restarts
        if self.run.val() & self.flush.val() & self.open.q.val() & self.fe_empty.val() {
            self.ph.d.next = self.k_ph[1].val();
            self.fin_n.d.next = self.k_zero2.val();
        }
        if self.ph.q.val() == self.k_ph[2].val() {
            if self.be_empty.val() {
                self.ph.d.next = self.k_ph[3].val();
            }
        }
        if self.ph.q.val() == self.k_ph[3].val() {
            if self.adv.val() {
                self.queue.push_a.next = true;
                self.queue.word_a.next = self.tacc.q.val();
                self.queue.last_a.next = true;
                self.queue.bytes_a.next = self.tc.q.val();
                self.queue.push_b.next = true;
                self.queue.word_b.next = self.racc.q.val();
                self.queue.last_b.next = true;
                self.queue.bytes_b.next = self.rnb7.val().get_bits::<3>(3);
                self.ph.d.next = self.k_ph[0].val();
                self.open.d.next = false;
                self.coded.d.next = false;
                self.rn.d.next = self.k_zero20.val();
                self.eb.d.next = self.k_zero3.val();
                self.low.d.next = self.k_zero32.val();
                self.carry.d.next = false;
                self.cache.d.next = self.k_zero8.val();
                self.pend.d.next = self.k_zero32.val();
                self.started.d.next = false;
                self.tacc.d.next = self.k_zero32.val();
                self.tc.d.next = self.k_zero3.val();
                self.racc.d.next = self.k_zero32.val();
                self.rnb.d.next = self.k_zero6.val();
            }
        }

        // ==== clear: everything in flight and every word not taken is dropped; the coder
        // restarts (no memory is cleared: a block's first frame writes every channel's state)
        self.queue.kill.next = self.clear.val();
        if self.clear.val() {
            self.ph.d.next = self.k_ph[0].val();
            self.fin_n.d.next = self.k_zero2.val();
            self.open.d.next = false;
            self.coded.d.next = false;
            self.s0_v.d.next = false;
            self.s1_v.d.next = false;
            self.s2_v.d.next = false;
            self.s3_v.d.next = false;
            self.s4_v.d.next = false;
            self.s4n_v.d.next = false;
            self.s5_v.d.next = false;
            self.s5_coded.d.next = false;
            self.s6_v.d.next = false;
            self.s7_v.d.next = false;
            self.s8_v.d.next = false;
            self.s9_v.d.next = false;
            self.r_v.d.next = false;
            self.ex_busy.d.next = false;
            self.g_v.d.next = false;
            self.rn.d.next = self.k_zero20.val();
            self.eb.d.next = self.k_zero3.val();
            self.low.d.next = self.k_zero32.val();
            self.carry.d.next = false;
            self.cache.d.next = self.k_zero8.val();
            self.pend.d.next = self.k_zero32.val();
            self.started.d.next = false;
            self.tacc.d.next = self.k_zero32.val();
            self.tc.d.next = self.k_zero3.val();
            self.racc.d.next = self.k_zero32.val();
            self.rnb.d.next = self.k_zero6.val();
        }

        // ==== outputs
        self.queue.ready.next = self.out_ready.val();
        self.out_valid.next = self.queue.valid.val();
        self.out_word.next = self.queue.word.val();
        self.out_stream.next = self.queue.stream.val();
        self.out_last.next = self.queue.last.val();
        self.out_bytes.next = self.queue.bytes.val();
        self.idle.next = self.run.val()
            & (!self.open.q.val())
            & self.fe_empty.val()
            & self.be_empty.val()
            & self.queue.empty.val();
    }
}
