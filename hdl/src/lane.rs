//! One lane of the encoder: the per-sample datapath of the core, from the accepted sample to
//! its code left-aligned in 32 bits (stages s1 … s8 of [`crate::core`]). The 1-lane core
//! ([`crate::core::EncoderCore`]) has one, the 2-lane core ([`crate::core2::EncoderCore2`])
//! two; the cores keep the channel addresses, the state RAM, the forwarding decisions and the
//! packing.
//!
//! Every stage register advances on `adv`. The core feeds, in the cycle a sample is taken:
//! `accept` (high for a sample taken), `x` (the sample), `hit1`/`hit2` (the sample one / two
//! ahead, in `p1` / `p1b`, is the same channel: see the read-modify-write hazard in
//! [`crate::core`]); one clock later the state RAM's read word (`ram_prev`, `ram_a`, `ram_n`).
//! The lane gives back the write of the adapted state (`wr_*`, `wr_en` in s1b) and, in `p9`,
//! the code (`code`, `code_len`, `code_valid`).
//!
//! **Restarts** (the packet stream, FORMAT.md §9.2): a sample taken with `restart` high is
//! coded raw (its `W` bits, no prefix) and writes the restart state `(x, A0, N0)` back (also
//! into the forwarding registers); `seg_end` marks the last sample of a segment and comes
//! out with its code as `code_last`. The core ties both low when it is built without
//! restarts, and the lane is then the unchanged coder.
//!
//! Writing rules as in [`crate::core`] (see the rust-hdl field notes).

use neurice_model::lite::golomb_m;
use neurice_model::CodecParams;
use rust_hdl::prelude::*;

use crate::prims::{ShiftLeft, ShiftRight};
use crate::third::ThirdTable;

/// Coded sample width `W` (the hardware codes the 10-bit grid).
pub const W: usize = crate::ram::PREV_BITS;
/// Width of the threshold products in the `compare` stage.
pub const T_BITS: usize = 32;
/// Number of code indices `s` (`0..=2W-2`).
pub const S_COUNT: usize = 2 * W - 1;

/// The per-sample datapath, stages s1 (zigzag) to s8 (align).
#[derive(LogicBlock)]
pub struct Lane {
    pub clock: Signal<In, Clock>,
    pub adv: Signal<In, Bit>,
    pub accept: Signal<In, Bit>,
    pub x: Signal<In, Bits<10>>,
    pub hit1: Signal<In, Bit>,
    pub hit2: Signal<In, Bit>,
    pub ram_prev: Signal<In, Bits<10>>,
    pub ram_a: Signal<In, Bits<16>>,
    pub ram_n: Signal<In, Bits<6>>,
    /// The sample taken now is coded raw and restarts its channel (with `accept`).
    pub restart: Signal<In, Bit>,
    /// The sample taken now is the last of its segment (with `accept`).
    pub seg_end: Signal<In, Bit>,
    /// `p1` / `p1b` hold a sample (for the core's channel comparisons).
    pub v1: Signal<Out, Bit>,
    pub v1b: Signal<Out, Bit>,
    /// Some stage `p1 … p9` holds a sample.
    pub busy: Signal<Out, Bit>,
    pub wr_prev: Signal<Out, Bits<10>>,
    pub wr_a: Signal<Out, Bits<16>>,
    pub wr_n: Signal<Out, Bits<6>>,
    pub wr_en: Signal<Out, Bit>,
    pub code_valid: Signal<Out, Bit>,
    pub code: Signal<Out, Bits<32>>,
    pub code_len: Signal<Out, Bits<5>>,
    /// The code in `p9` is the last of its segment.
    pub code_last: Signal<Out, Bit>,

    // ---- constants (from CodecParams and the coder's tables) ----
    k_one1: Constant<Bits<1>>,
    k_zero10: Constant<Bits<10>>,
    k_ones10: Constant<Bits<10>>,
    k_one6: Constant<Bits<6>>,
    k_n_last: Constant<Bits<6>>,
    k_n_before_last: Constant<Bits<6>>,
    k_n_half: Constant<Bits<6>>,
    k_zero16: Constant<Bits<16>>,
    k_one16: Constant<Bits<16>>,
    k_thr: Constant<Bits<16>>,
    k_scale: Constant<Bits<16>>,
    k_scale3: Constant<Bits<16>>,
    k_pow2: [Constant<Bits<16>>; W],
    k_bit: [Constant<Bits<S_COUNT>>; S_COUNT],
    k_zero_s: Constant<Bits<S_COUNT>>,
    k_sh_mask: [Constant<Bits<S_COUNT>>; 4],
    k_half_mask: Constant<Bits<S_COUNT>>,
    k_pow4: [Constant<Bits<4>>; 4],
    k_zero4: Constant<Bits<4>>,
    k_qmax10: Constant<Bits<10>>,
    k_v_big: Constant<Bits<10>>,
    k_qmax5: Constant<Bits<5>>,
    k_one5: Constant<Bits<5>>,
    k_zero5: Constant<Bits<5>>,
    k_w5: Constant<Bits<5>>,
    k_32_6: Constant<Bits<6>>,
    k_ones32: Constant<Bits<32>>,
    // the restart state (FORMAT.md §9.2) and whether its N is the window's last count
    k_a0: Constant<Bits<16>>,
    k_n0: Constant<Bits<6>>,
    k_full0: Constant<Bit>,

    // ---- forwarding registers (the state written on the last edge) ----
    fwd_prev: DFF<Bits<10>>,
    fwd_a: DFF<Bits<16>>,
    fwd_n: DFF<Bits<6>>,
    fwd_full: DFF<Bit>,

    // ---- p1: accepted sample; s1 zigzag ----
    pub(crate) p1_valid: DFF<Bit>,
    p1_x: DFF<Bits<10>>,
    p1_hit1: DFF<Bit>,
    p1_hit2: DFF<Bit>,
    p1_rst: DFF<Bit>,
    p1_end: DFF<Bit>,
    s1_prev: Signal<Local, Bits<10>>,
    s1_a: Signal<Local, Bits<16>>,
    s1_n: Signal<Local, Bits<6>>,
    s1_d: Signal<Local, Bits<10>>,
    s1_d2: ShiftLeft<10, 1>,
    s1_sign: Signal<Local, Bits<10>>,
    s1_u: Signal<Local, Bits<10>>,

    // ---- p1b: zigzagged sample; s1b adapt ----
    pub(crate) p1b_valid: DFF<Bit>,
    p1b_x: DFF<Bits<10>>,
    p1b_u: DFF<Bits<10>>,
    p1b_a: DFF<Bits<16>>,
    p1b_n: DFF<Bits<6>>,
    p1b_hit1: DFF<Bit>,
    p1b_full: DFF<Bit>,
    p1b_rst: DFF<Bit>,
    p1b_end: DFF<Bit>,
    s1b_full: Signal<Local, Bit>,
    s1b_a: Signal<Local, Bits<16>>,
    s1b_n: Signal<Local, Bits<6>>,
    s1b_round: Signal<Local, Bits<16>>,
    s1b_sum: Signal<Local, Bits<16>>,
    s1b_halve: ShiftRight<16, 1>,
    s1b_a_new: Signal<Local, Bits<16>>,
    s1b_n_new: Signal<Local, Bits<6>>,

    // ---- p2; s2 scale ----
    pub(crate) p2_valid: DFF<Bit>,
    p2_end: DFF<Bit>,
    p2_rst: DFF<Bit>,
    p2_u: DFF<Bits<10>>,
    p2_a: DFF<Bits<16>>,
    p2_n: DFF<Bits<6>>,
    s2_t: Signal<Local, Bits<32>>,
    s2_b: Signal<Local, Bits<32>>,
    s2_b3: Signal<Local, Bits<32>>,

    // ---- p3; s3 compare ----
    pub(crate) p3_valid: DFF<Bit>,
    p3_end: DFF<Bit>,
    p3_rst: DFF<Bit>,
    p3_u: DFF<Bits<10>>,
    p3_t: DFF<Bits<T_BITS>>,
    p3_b: DFF<Bits<16>>,
    p3_b3: DFF<Bits<16>>,
    s3_prod: [Signal<Local, Bits<32>>; S_COUNT - 1],
    s3_term: [Signal<Local, Bits<S_COUNT>>; S_COUNT],
    s3_therm: Signal<Local, Bits<S_COUNT>>,

    // ---- p4; s4 select ----
    pub(crate) p4_valid: DFF<Bit>,
    p4_end: DFF<Bit>,
    p4_rst: DFF<Bit>,
    p4_u: DFF<Bits<10>>,
    p4_therm: DFF<Bits<S_COUNT>>,
    s4_lower: ShiftLeft<S_COUNT, 1>,
    s4_onehot: Signal<Local, Bits<S_COUNT>>,
    s4_hit: [Signal<Local, Bits<S_COUNT>>; 4],
    s4_half_hit: Signal<Local, Bits<S_COUNT>>,
    s4_sh_bit: [Signal<Local, Bits<4>>; 4],
    s4_sh: Signal<Local, Bits<4>>,

    // ---- p5; s5 split ----
    pub(crate) p5_valid: DFF<Bit>,
    p5_end: DFF<Bit>,
    p5_rst: DFF<Bit>,
    p5_u: DFF<Bits<10>>,
    p5_sh: DFF<Bits<4>>,
    p5_half: DFF<Bit>,
    s5_v: ShiftRight<10, 4>,
    s5_high: ShiftLeft<10, 4>,

    // ---- p6; s6 quotient ----
    pub(crate) p6_valid: DFF<Bit>,
    p6_end: DFF<Bit>,
    p6_rst: DFF<Bit>,
    p6_u: DFF<Bits<10>>,
    p6_v: DFF<Bits<10>>,
    p6_low: DFF<Bits<10>>,
    p6_sh: DFF<Bits<4>>,
    p6_half: DFF<Bit>,
    third: ThirdTable,
    s6_esc: Signal<Local, Bit>,
    s6_q: Signal<Local, Bits<5>>,
    s6_rh: Signal<Local, Bits<2>>,
    s6_rw: Signal<Local, Bits<2>>,

    // ---- p7; s7 shape ----
    pub(crate) p7_valid: DFF<Bit>,
    p7_end: DFF<Bit>,
    p7_rst: DFF<Bit>,
    p7_u: DFF<Bits<10>>,
    p7_low: DFF<Bits<10>>,
    p7_sh: DFF<Bits<4>>,
    p7_esc: DFF<Bit>,
    p7_q: DFF<Bits<5>>,
    p7_rh: DFF<Bits<2>>,
    p7_rw: DFF<Bits<2>>,
    s7_rh_placed: ShiftLeft<16, 4>,
    s7_prefix: Signal<Local, Bits<5>>,
    s7_payload: Signal<Local, Bits<16>>,
    s7_plen: Signal<Local, Bits<5>>,
    s7_len: Signal<Local, Bits<5>>,

    // ---- p8; s8 align ----
    pub(crate) p8_valid: DFF<Bit>,
    p8_end: DFF<Bit>,
    p8_prefix: DFF<Bits<5>>,
    p8_payload: DFF<Bits<16>>,
    p8_len: DFF<Bits<5>>,
    s8_ones_tail: ShiftRight<32, 5>,
    s8_gap: Signal<Local, Bits<6>>,
    s8_placed: ShiftLeft<32, 6>,

    // ---- p9: the aligned code ----
    pub(crate) p9_valid: DFF<Bit>,
    p9_end: DFF<Bit>,
    p9_code: DFF<Bits<32>>,
    p9_len: DFF<Bits<5>>,
}

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

impl Lane {
    /// A lane for the coder `p` (checked by the core: [`crate::check_params`]).
    pub fn new(p: &CodecParams) -> Self {
        // Which code indices s have bit b of the shift `sh` set, and which are half steps.
        let mut sh_masks = [0u64; 4];
        let mut half_mask = 0u64;
        for s in 0..S_COUNT as u32 {
            let (kk, half) = golomb_m(s);
            let sh = if half { kk - 1 } else { kk };
            for (b, m) in sh_masks.iter_mut().enumerate() {
                if (sh >> b) & 1 == 1 {
                    *m |= 1 << s;
                }
            }
            if half {
                half_mask |= 1 << s;
            }
        }
        let window = 1u64 << p.window_log2;
        let restart = neurice_model::packet::v1_restart_state(0, p);
        let (a0, n0) = (restart.a, restart.n);
        Self {
            clock: Default::default(),
            adv: Default::default(),
            accept: Default::default(),
            x: Default::default(),
            hit1: Default::default(),
            hit2: Default::default(),
            ram_prev: Default::default(),
            ram_a: Default::default(),
            ram_n: Default::default(),
            restart: Default::default(),
            seg_end: Default::default(),
            v1: Default::default(),
            v1b: Default::default(),
            busy: Default::default(),
            wr_prev: Default::default(),
            wr_a: Default::default(),
            wr_n: Default::default(),
            wr_en: Default::default(),
            code_valid: Default::default(),
            code: Default::default(),
            code_len: Default::default(),
            code_last: Default::default(),
            k_one1: k(1),
            k_zero10: k(0),
            k_ones10: k((1 << W) - 1),
            k_one6: k(1),
            k_n_last: k(window - 1),
            k_n_before_last: k(window - 2),
            k_n_half: k(window / 2),
            k_zero16: k(0),
            k_one16: k(1),
            k_thr: k(p.thr_num as u64),
            k_scale: k(1 << p.thr_shift),
            k_scale3: k(3 << p.thr_shift),
            k_pow2: std::array::from_fn(|j| k(1 << j)),
            k_bit: std::array::from_fn(|s| k(1 << s)),
            k_zero_s: k(0),
            k_sh_mask: sh_masks.map(k),
            k_half_mask: k(half_mask),
            k_pow4: std::array::from_fn(|b| k(1 << b)),
            k_zero4: k(0),
            k_qmax10: k(p.qmax as u64),
            k_v_big: k(64),
            k_qmax5: k(p.qmax as u64),
            k_one5: k(1),
            k_zero5: k(0),
            k_w5: k(W as u64),
            k_32_6: k(32),
            k_ones32: k(0xFFFF_FFFF),
            k_a0: k(a0 as u64),
            k_n0: k(n0 as u64),
            k_full0: Constant::new(n0 as u64 == window - 1),
            fwd_prev: Default::default(),
            fwd_a: Default::default(),
            fwd_n: Default::default(),
            fwd_full: Default::default(),
            p1_valid: Default::default(),
            p1_x: Default::default(),
            p1_hit1: Default::default(),
            p1_hit2: Default::default(),
            p1_rst: Default::default(),
            p1_end: Default::default(),
            s1_prev: Default::default(),
            s1_a: Default::default(),
            s1_n: Default::default(),
            s1_d: Default::default(),
            s1_d2: Default::default(),
            s1_sign: Default::default(),
            s1_u: Default::default(),
            p1b_valid: Default::default(),
            p1b_x: Default::default(),
            p1b_u: Default::default(),
            p1b_a: Default::default(),
            p1b_n: Default::default(),
            p1b_hit1: Default::default(),
            p1b_full: Default::default(),
            p1b_rst: Default::default(),
            p1b_end: Default::default(),
            s1b_full: Default::default(),
            s1b_a: Default::default(),
            s1b_n: Default::default(),
            s1b_round: Default::default(),
            s1b_sum: Default::default(),
            s1b_halve: Default::default(),
            s1b_a_new: Default::default(),
            s1b_n_new: Default::default(),
            p2_valid: Default::default(),
            p2_end: Default::default(),
            p2_rst: Default::default(),
            p2_u: Default::default(),
            p2_a: Default::default(),
            p2_n: Default::default(),
            s2_t: Default::default(),
            s2_b: Default::default(),
            s2_b3: Default::default(),
            p3_valid: Default::default(),
            p3_end: Default::default(),
            p3_rst: Default::default(),
            p3_u: Default::default(),
            p3_t: Default::default(),
            p3_b: Default::default(),
            p3_b3: Default::default(),
            s3_prod: Default::default(),
            s3_term: Default::default(),
            s3_therm: Default::default(),
            p4_valid: Default::default(),
            p4_end: Default::default(),
            p4_rst: Default::default(),
            p4_u: Default::default(),
            p4_therm: Default::default(),
            s4_lower: Default::default(),
            s4_onehot: Default::default(),
            s4_hit: Default::default(),
            s4_half_hit: Default::default(),
            s4_sh_bit: Default::default(),
            s4_sh: Default::default(),
            p5_valid: Default::default(),
            p5_end: Default::default(),
            p5_rst: Default::default(),
            p5_u: Default::default(),
            p5_sh: Default::default(),
            p5_half: Default::default(),
            s5_v: Default::default(),
            s5_high: Default::default(),
            p6_valid: Default::default(),
            p6_end: Default::default(),
            p6_rst: Default::default(),
            p6_u: Default::default(),
            p6_v: Default::default(),
            p6_low: Default::default(),
            p6_sh: Default::default(),
            p6_half: Default::default(),
            third: Default::default(),
            s6_esc: Default::default(),
            s6_q: Default::default(),
            s6_rh: Default::default(),
            s6_rw: Default::default(),
            p7_valid: Default::default(),
            p7_end: Default::default(),
            p7_rst: Default::default(),
            p7_u: Default::default(),
            p7_low: Default::default(),
            p7_sh: Default::default(),
            p7_esc: Default::default(),
            p7_q: Default::default(),
            p7_rh: Default::default(),
            p7_rw: Default::default(),
            s7_rh_placed: Default::default(),
            s7_prefix: Default::default(),
            s7_payload: Default::default(),
            s7_plen: Default::default(),
            s7_len: Default::default(),
            p8_valid: Default::default(),
            p8_end: Default::default(),
            p8_prefix: Default::default(),
            p8_payload: Default::default(),
            p8_len: Default::default(),
            s8_ones_tail: Default::default(),
            s8_gap: Default::default(),
            s8_placed: Default::default(),
            p9_valid: Default::default(),
            p9_end: Default::default(),
            p9_code: Default::default(),
            p9_len: Default::default(),
        }
    }

    /// Valid bits of the stage registers `p1, p1b, p2..p9`.
    pub fn stage_valid(&self) -> [bool; 10] {
        [
            self.p1_valid.q.val(),
            self.p1b_valid.q.val(),
            self.p2_valid.q.val(),
            self.p3_valid.q.val(),
            self.p4_valid.q.val(),
            self.p5_valid.q.val(),
            self.p6_valid.q.val(),
            self.p7_valid.q.val(),
            self.p8_valid.q.val(),
            self.p9_valid.q.val(),
        ]
    }
}

impl Logic for Lane {
    // Nested `if`s instead of `a & (b == c)`: rust-hdl emits no parentheses, and Verilog's
    // `&` binds looser than `==`; a condition is either one signal or one comparison.
    #[allow(clippy::collapsible_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, p1_hit1, p1_hit2, p1b_valid, p1b_x, p1b_u, p1b_a, p1b_n, p1b_hit1,
            p1b_full, fwd_full, fwd_prev, fwd_a, fwd_n, p1_valid, p1_x, p2_valid, p2_u, p2_a, p2_n,
            p3_valid, p3_u, p3_t, p3_b, p3_b3, p4_valid, p4_u, p4_therm, p5_valid, p5_u, p5_sh,
            p5_half, p6_valid, p6_u, p6_v, p6_low, p6_sh, p6_half, p7_valid, p7_u, p7_low, p7_sh,
            p7_esc, p7_q, p7_rh, p7_rw, p8_valid, p8_prefix, p8_payload, p8_len, p9_valid, p9_code,
            p9_len, p1_rst, p1_end, p1b_rst, p1b_end, p2_rst, p2_end, p3_rst, p3_end, p4_rst,
            p4_end, p5_rst, p5_end, p6_rst, p6_end, p7_rst, p7_end, p8_end, p9_end
        );
        self.v1.next = self.p1_valid.q.val();
        self.v1b.next = self.p1b_valid.q.val();
        self.busy.next = self.p1_valid.q.val()
            | self.p1b_valid.q.val()
            | self.p2_valid.q.val()
            | self.p3_valid.q.val()
            | self.p4_valid.q.val()
            | self.p5_valid.q.val()
            | self.p6_valid.q.val()
            | self.p7_valid.q.val()
            | self.p8_valid.q.val()
            | self.p9_valid.q.val();
        self.code_valid.next = self.p9_valid.q.val();
        self.code.next = self.p9_code.q.val();
        self.code_len.next = self.p9_len.q.val();
        self.code_last.next = self.p9_end.q.val();

        // ---- accept (the core starts the state read and compares the channels)
        if self.adv.val() {
            self.p1_valid.d.next = self.accept.val();
            self.p1_x.d.next = self.x.val();
            self.p1_hit1.d.next = self.hit1.val();
            self.p1_hit2.d.next = self.hit2.val();
            self.p1_rst.d.next = self.restart.val();
            self.p1_end.d.next = self.seg_end.val();
        }

        // ---- s1 zigzag: the previous sample of the channel (RAM, or forwarded from the
        // sample one ahead in p1b, or from the state written on the last edge) and the
        // zigzag magnitude. A and N are taken from the RAM or the last write here; the
        // sample one ahead is still adapting them and is forwarded in s1b.
        self.s1_prev.next = self.ram_prev.val();
        self.s1_a.next = self.ram_a.val();
        self.s1_n.next = self.ram_n.val();
        if self.p1_hit2.q.val() {
            self.s1_prev.next = self.fwd_prev.q.val();
            self.s1_a.next = self.fwd_a.q.val();
            self.s1_n.next = self.fwd_n.q.val();
        }
        if self.p1_hit1.q.val() {
            self.s1_prev.next = self.p1b_x.q.val();
        }
        // e = x - prev as a W-bit two's complement number; u = 2e (e >= 0) or -2e-1 (e < 0),
        // i.e. (d << 1) with every bit inverted when d is negative.
        self.s1_d.next = self.p1_x.q.val() - self.s1_prev.val();
        self.s1_d2.data.next = self.s1_d.val();
        self.s1_d2.amount.next = self.k_one1.val();
        self.s1_sign.next = self.k_zero10.val();
        if self.s1_d.val().get_bit(9) {
            self.s1_sign.next = self.k_ones10.val();
        }
        self.s1_u.next = self.s1_d2.result.val() ^ self.s1_sign.val();
        // a restart codes the sample itself (raw, in s7): it travels as `u`
        if self.p1_rst.q.val() {
            self.s1_u.next = self.p1_x.q.val();
        }
        if self.adv.val() {
            self.p1b_valid.d.next = self.p1_valid.q.val();
            self.p1b_x.d.next = self.p1_x.q.val();
            self.p1b_u.d.next = self.s1_u.val();
            self.p1b_a.d.next = self.s1_a.val();
            self.p1b_n.d.next = self.s1_n.val();
            self.p1b_hit1.d.next = self.p1_hit1.q.val();
            self.p1b_rst.d.next = self.p1_rst.q.val();
            self.p1b_end.d.next = self.p1_end.q.val();
            self.p1b_full.d.next = false;
            if self.s1_n.val() == self.k_n_last.val() {
                self.p1b_full.d.next = true;
            }
        }

        // ---- s1b adapt: A and N (forwarded from the write of the last edge when the sample
        // ahead was the same channel), the new A and N, write back
        // (`full` = N is at the window's last count, precomputed one stage early so the
        // comparator is not in the loop through A)
        self.s1b_a.next = self.p1b_a.q.val();
        self.s1b_n.next = self.p1b_n.q.val();
        self.s1b_full.next = self.p1b_full.q.val();
        if self.p1b_hit1.q.val() {
            self.s1b_a.next = self.fwd_a.q.val();
            self.s1b_n.next = self.fwd_n.q.val();
            self.s1b_full.next = self.fwd_full.q.val();
        }
        self.s1b_round.next = self.k_zero16.val();
        if self.s1b_full.val() {
            self.s1b_round.next = self.k_one16.val();
        }
        self.s1b_sum.next =
            self.s1b_a.val() + bit_cast::<16, 10>(self.p1b_u.q.val()) + self.s1b_round.val();
        self.s1b_halve.data.next = self.s1b_sum.val();
        self.s1b_halve.amount.next = self.k_one1.val();
        self.s1b_a_new.next = self.s1b_sum.val();
        self.s1b_n_new.next = self.s1b_n.val() + self.k_one6.val();
        if self.s1b_full.val() {
            self.s1b_a_new.next = self.s1b_halve.result.val();
            self.s1b_n_new.next = self.k_n_half.val();
        }
        // a restart writes the restart state (x, A0, N0)
        if self.p1b_rst.q.val() {
            self.s1b_a_new.next = self.k_a0.val();
            self.s1b_n_new.next = self.k_n0.val();
        }
        self.wr_prev.next = self.p1b_x.q.val();
        self.wr_a.next = self.s1b_a_new.val();
        self.wr_n.next = self.s1b_n_new.val();
        self.wr_en.next = self.p1b_valid.q.val() & self.adv.val();
        if self.adv.val() {
            self.fwd_prev.d.next = self.p1b_x.q.val();
            self.fwd_a.d.next = self.s1b_a_new.val();
            self.fwd_n.d.next = self.s1b_n_new.val();
            // the new N is the last count exactly when N was one below it
            self.fwd_full.d.next = false;
            if self.s1b_n.val() == self.k_n_before_last.val() {
                self.fwd_full.d.next = true;
            }
            if self.p1b_rst.q.val() {
                self.fwd_full.d.next = self.k_full0.val();
            }
            self.p2_valid.d.next = self.p1b_valid.q.val();
            self.p2_rst.d.next = self.p1b_rst.q.val();
            self.p2_end.d.next = self.p1b_end.q.val();
            self.p2_u.d.next = self.p1b_u.q.val();
            self.p2_a.d.next = self.s1b_a.val();
            self.p2_n.d.next = self.s1b_n.val();
        }

        // ---- s2 scale: t = thr·A, B = N·2^shift, B3 = 3·B
        self.s2_t.next = self.p2_a.q.val() * self.k_thr.val();
        self.s2_b.next = bit_cast::<16, 6>(self.p2_n.q.val()) * self.k_scale.val();
        self.s2_b3.next = bit_cast::<16, 6>(self.p2_n.q.val()) * self.k_scale3.val();
        if self.adv.val() {
            self.p3_valid.d.next = self.p2_valid.q.val();
            self.p3_rst.d.next = self.p2_rst.q.val();
            self.p3_end.d.next = self.p2_end.q.val();
            self.p3_u.d.next = self.p2_u.q.val();
            self.p3_t.d.next = self.s2_t.val();
            self.p3_b.d.next = bit_cast::<16, 32>(self.s2_b.val());
            self.p3_b3.d.next = bit_cast::<16, 32>(self.s2_b3.val());
        }

        // ---- s3 compare: bit s of the thermometer = (B·m(s) >= t); m(0) = 1,
        // m(2j-1) = 2^j, m(2j) = 3·2^(j-1); the last index always passes
        self.s3_prod[0].next = self.p3_b.q.val() * self.k_pow2[0].val();
        for j in 1..W {
            self.s3_prod[2 * j - 1].next = self.p3_b.q.val() * self.k_pow2[j].val();
        }
        for j in 1..(W - 1) {
            self.s3_prod[2 * j].next = self.p3_b3.q.val() * self.k_pow2[j - 1].val();
        }
        for s in 0..(S_COUNT - 1) {
            self.s3_term[s].next = self.k_zero_s.val();
            if self.s3_prod[s].val() >= self.p3_t.q.val() {
                self.s3_term[s].next = self.k_bit[s].val();
            }
        }
        self.s3_term[18].next = self.k_bit[18].val(); // 18 = S_COUNT - 1 (index expressions must be literal)
        self.s3_therm.next = self.s3_term[0].val()
            | self.s3_term[1].val()
            | self.s3_term[2].val()
            | self.s3_term[3].val()
            | self.s3_term[4].val()
            | self.s3_term[5].val()
            | self.s3_term[6].val()
            | self.s3_term[7].val()
            | self.s3_term[8].val()
            | self.s3_term[9].val()
            | self.s3_term[10].val()
            | self.s3_term[11].val()
            | self.s3_term[12].val()
            | self.s3_term[13].val()
            | self.s3_term[14].val()
            | self.s3_term[15].val()
            | self.s3_term[16].val()
            | self.s3_term[17].val()
            | self.s3_term[18].val();
        if self.adv.val() {
            self.p4_valid.d.next = self.p3_valid.q.val();
            self.p4_rst.d.next = self.p3_rst.q.val();
            self.p4_end.d.next = self.p3_end.q.val();
            self.p4_u.d.next = self.p3_u.q.val();
            self.p4_therm.d.next = self.s3_therm.val();
        }

        // ---- s4 select: the first passing index, one-hot, mapped to the shift and the
        // half-step flag through constant masks
        self.s4_lower.data.next = self.p4_therm.q.val();
        self.s4_lower.amount.next = self.k_one1.val();
        self.s4_onehot.next = self.p4_therm.q.val() & (!self.s4_lower.result.val());
        for b in 0..4 {
            self.s4_hit[b].next = self.s4_onehot.val() & self.k_sh_mask[b].val();
            self.s4_sh_bit[b].next = self.k_zero4.val();
            if self.s4_hit[b].val().any() {
                self.s4_sh_bit[b].next = self.k_pow4[b].val();
            }
        }
        self.s4_sh.next = self.s4_sh_bit[0].val()
            | self.s4_sh_bit[1].val()
            | self.s4_sh_bit[2].val()
            | self.s4_sh_bit[3].val();
        self.s4_half_hit.next = self.s4_onehot.val() & self.k_half_mask.val();
        if self.adv.val() {
            self.p5_valid.d.next = self.p4_valid.q.val();
            self.p5_rst.d.next = self.p4_rst.q.val();
            self.p5_end.d.next = self.p4_end.q.val();
            self.p5_u.d.next = self.p4_u.q.val();
            self.p5_sh.d.next = self.s4_sh.val();
            self.p5_half.d.next = self.s4_half_hit.val().any();
        }

        // ---- s5 split: v = u >> sh, low = u mod 2^sh
        self.s5_v.data.next = self.p5_u.q.val();
        self.s5_v.amount.next = self.p5_sh.q.val();
        self.s5_high.data.next = self.k_ones10.val();
        self.s5_high.amount.next = self.p5_sh.q.val();
        if self.adv.val() {
            self.p6_valid.d.next = self.p5_valid.q.val();
            self.p6_rst.d.next = self.p5_rst.q.val();
            self.p6_end.d.next = self.p5_end.q.val();
            self.p6_u.d.next = self.p5_u.q.val();
            self.p6_v.d.next = self.s5_v.result.val();
            self.p6_low.d.next = self.p5_u.q.val() & (!self.s5_high.result.val());
            self.p6_sh.d.next = self.p5_sh.q.val();
            self.p6_half.d.next = self.p5_half.q.val();
        }

        // ---- s6 quotient: q, escape test and the remainder's truncated-binary prefix
        self.third.v.next = bit_cast::<6, 10>(self.p6_v.q.val());
        self.s6_q.next = bit_cast::<5, 10>(self.p6_v.q.val());
        self.s6_rh.next = self.third.rh.val();
        self.s6_rw.next = self.third.rw.val();
        self.s6_esc.next = false;
        if self.p6_half.q.val() {
            self.s6_q.next = self.third.q.val();
            if self.p6_v.q.val() >= self.k_v_big.val() {
                self.s6_esc.next = true;
            }
            if self.third.q.val() >= self.k_qmax5.val() {
                self.s6_esc.next = true;
            }
        } else {
            self.s6_rh.next = bit_cast::<2, 5>(self.k_zero5.val());
            self.s6_rw.next = bit_cast::<2, 5>(self.k_zero5.val());
            if self.p6_v.q.val() >= self.k_qmax10.val() {
                self.s6_esc.next = true;
            }
        }
        if self.adv.val() {
            self.p7_valid.d.next = self.p6_valid.q.val();
            self.p7_rst.d.next = self.p6_rst.q.val();
            self.p7_end.d.next = self.p6_end.q.val();
            self.p7_u.d.next = self.p6_u.q.val();
            self.p7_low.d.next = self.p6_low.q.val();
            self.p7_sh.d.next = self.p6_sh.q.val();
            self.p7_esc.d.next = self.s6_esc.val();
            self.p7_q.d.next = self.s6_q.val();
            self.p7_rh.d.next = self.s6_rh.val();
            self.p7_rw.d.next = self.s6_rw.val();
        }

        // ---- s7 shape: Q' one-bits, then the payload P: a zero and the remainder
        // (rh above the sh low bits), or, for an escape, u in W bits
        self.s7_rh_placed.data.next = bit_cast::<16, 2>(self.p7_rh.q.val());
        self.s7_rh_placed.amount.next = self.p7_sh.q.val();
        self.s7_prefix.next = self.p7_q.q.val();
        self.s7_payload.next =
            self.s7_rh_placed.result.val() | bit_cast::<16, 10>(self.p7_low.q.val());
        self.s7_plen.next = bit_cast::<5, 4>(self.p7_sh.q.val())
            + bit_cast::<5, 2>(self.p7_rw.q.val())
            + self.k_one5.val();
        if self.p7_esc.q.val() {
            self.s7_prefix.next = self.k_qmax5.val();
            self.s7_payload.next = bit_cast::<16, 10>(self.p7_u.q.val());
            self.s7_plen.next = self.k_w5.val();
        }
        // a restart: the sample raw, W bits, no prefix
        if self.p7_rst.q.val() {
            self.s7_prefix.next = self.k_zero5.val();
            self.s7_payload.next = bit_cast::<16, 10>(self.p7_u.q.val());
            self.s7_plen.next = self.k_w5.val();
        }
        self.s7_len.next = self.s7_prefix.val() + self.s7_plen.val();
        if self.adv.val() {
            self.p8_valid.d.next = self.p7_valid.q.val();
            self.p8_end.d.next = self.p7_end.q.val();
            self.p8_prefix.d.next = self.s7_prefix.val();
            self.p8_payload.d.next = self.s7_payload.val();
            self.p8_len.d.next = self.s7_len.val();
        }

        // ---- s8 align: ones(Q') | P << (32 - L): the code left-aligned in 32 bits
        self.s8_ones_tail.data.next = self.k_ones32.val();
        self.s8_ones_tail.amount.next = self.p8_prefix.q.val();
        self.s8_gap.next = self.k_32_6.val() - bit_cast::<6, 5>(self.p8_len.q.val());
        self.s8_placed.data.next = bit_cast::<32, 16>(self.p8_payload.q.val());
        self.s8_placed.amount.next = self.s8_gap.val();
        if self.adv.val() {
            self.p9_valid.d.next = self.p8_valid.q.val();
            self.p9_end.d.next = self.p8_end.q.val();
            self.p9_code.d.next = (!self.s8_ones_tail.result.val()) | self.s8_placed.result.val();
            self.p9_len.d.next = self.p8_len.q.val();
        }
    }
}
