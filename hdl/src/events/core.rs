//! The event core: the integer detector of `neurice_model::events` (FORMAT.md §12) for many
//! time-multiplexed channels at one sample per clock, its events and power codes packed MSB
//! first into 32-bit words, segment by segment, with the latency rule.
//!
//! # Ports (the contract of the coder cores, `crate::core`)
//!
//! | port | dir | meaning |
//! |------|-----|---------|
//! | `clock` | in | the only clock |
//! | `in_valid`, `in_ready`, `in_channel[C-1:0]`, `in_sample[9:0]` | in/out | sample stream, in stream order (channel `0 … channels−1`, frame after frame); a sample is taken at an edge where `in_valid && in_ready` |
//! | `flush` | in | end of stream: no sample is taken; once the pipeline is empty the partial last word is emitted, zero-padded, with `out_last` |
//! | `clear` | in | start a new stream: no sample is taken; once the pipeline has drained and its words were taken, pending bits are dropped, the frame count restarts and every channel's state is zeroed (one channel per clock, `2^C` clocks, `idle` low meanwhile); drop it once `idle` is back |
//! | `idle` | out | no sample in flight, no pending bits, no word waiting |
//! | `out_valid`, `out_ready`, `out_word[31:0]` | out/in | word stream; a word is taken at an edge where `out_valid && out_ready` |
//! | `out_last` | out | the word on `out_word` is the last of its segment (also the final word a `flush` emits) |
//!
//! `in_ready` is `(!out_valid || out_ready) && !flush && !clear`, low while clearing or while
//! a latency or segment pad word is being emitted, and low when `in_channel` is a channel
//! whose state is still being computed (in `p1`, `p2`, `p3` or `q`): with 5 or more channels
//! in stream order that never happens, so the core takes one sample per clock; with 1 to 4
//! channels it waits (every sample is exact, at a lower rate).
//!
//! # Pipeline
//!
//! Every stage register advances together on `adv = (!out_valid || out_ready) && !pad`.
//!
//! | stage | register | work |
//! |-------|----------|------|
//! | accept | `p1` | take `(channel, x)`; the frame's facts (power frame, noise frame, period end, warm-up, update shift, segment end) from the frame counters; the state read starts |
//! | s1 | `p2` | `x' = (x − 512)·2^F`, `y = sat(x' + s1)`; `thr`, `clip` from `est` |
//! | s2 | `p3` | `a1·y`, `a2·y` rounded (Q14); `|y|`, below, event, refractory; the noise and power terms |
//! | s3 | `q` | `s1' = sat(s2 − p1)`, `s2' = sat(−x' − p2)`; the noise and power sums (saturating) |
//! | s3b | `p4` | the estimate's update; **state written**; the power code |
//! | s4 | `p5` | the sample's code (event, end of frame, or flag + power code) and its length |
//! | s5 | `p6` | the code left-aligned in 32 bits |
//! | s6 | `acc`, `out` | append at bit `nb`; a full word goes out; at a frame's end the latency rule and the segment's end pad the partial word out |
//!
//! **Throughput** one sample per clock (5 or more channels), plus one clock per pad word
//! that coincides with a full word (at most one per frame). **Latency** a code is in the
//! accumulator 8 edges after its sample was taken; an event's word leaves at the end of the
//! frame `L − 1` frames after the event at the latest (FORMAT.md §12.6).
//!
//! **State**: [`crate::events::ram::EventRam`], 6 fields of 16 bits per channel (96 bits:
//! the model's `EventParams::state_bits`, 95 for the defaults, in 16-bit blocks), read at acceptance and
//! written at the end of s3b, and one flag bit per channel, "`ctl` ≠ 0" (16 to a word, held
//! in `fw` while the channels of its word come in): `ctl` is read in p1, only when the flag is
//! set, and written only when it changes to a non-zero value; the flag bit when `ctl` turns
//! zero or non-zero. Block-RAM accesses per sample: `s1`, `s2`, `est` read, `s1`, `s2`
//! written; the noise sum read and written on noise frames (and a period's end), the power
//! sum on its frames (and a bin's end), `est` written at a period's end; `ctl` and the flag
//! words as above (one flag word per 16 channels in stream order). A flag word is never read
//! in the clock one of its bits is written (`hazard`: with 17 to 20 channels a word can be
//! left and read again within the pipeline's depth).

use neurice_model::events::params::{RAIL_HIGH, SAT_COUNT};
use neurice_model::events::EventParams;

/// The rail rule's hold-off count sits in bits 7 … 12 of the `ctl` field (FORMAT.md §12.5).
const RAIL_SHIFT: u32 = 7;
/// The saturation rule's rejected flag is bit 13 of `ctl`, its count bits 14 … 15 (§12.5).
const REJ_BIT: u32 = 13;
const SAT_SHIFT: u32 = 14;
use rust_hdl::prelude::*;

use super::arith::{Ashr18, Log2Floor, MulQ14, MulShr, PowerCode, SatLin};
use super::ram::EventRam;
use crate::prims::{ShiftLeft, ShiftRight};
use crate::HdlError;

/// Checks that the core can be built for `p` with `address_bits` channel-address bits.
pub fn check_event_params(p: &EventParams, address_bits: usize) -> Result<(), HdlError> {
    p.validate().map_err(|e| HdlError::Params(e.to_string()))?;
    if !(1..=10).contains(&address_bits) {
        return Err(HdlError::Channels(1 << address_bits.min(20)));
    }
    if p.channels as usize > 1 << address_bits {
        return Err(HdlError::Channels(p.channels as usize));
    }
    if p.section_count != 1 {
        return Err(HdlError::Params(format!(
            "the event core is built for a band-pass of one biquad section; the parameters \
             have {} (the model runs two; the core would need 8 state fields per channel, 32 \
             block RAMs for 1024 channels)",
            p.section_count
        )));
    }
    if p.thr_mult() >= 1 << 16 {
        return Err(HdlError::Params(format!(
            "the event core takes k below 183.5 (a 16-bit threshold multiplier); k = {}",
            p.k()
        )));
    }
    Ok(())
}

pub(crate) fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

/// The event core for `2^C` channels of state.
#[derive(LogicBlock)]
pub struct EventCore<const C: usize> {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_channel: Signal<In, Bits<C>>,
    pub in_sample: Signal<In, Bits<10>>,
    pub flush: Signal<In, Bit>,
    pub clear: Signal<In, Bit>,
    pub idle: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_word: Signal<Out, Bits<32>>,
    pub out_last: Signal<Out, Bit>,

    // ---- constants
    k_last_ch: Constant<Bits<C>>,
    k_ch_last: Constant<Bits<C>>,
    k_ch_one: Constant<Bits<C>>,
    k_ch_zero: Constant<Bits<C>>,
    k_b_last: Constant<Bits<16>>,
    k_one16: Constant<Bits<16>>,
    k_zero16: Constant<Bits<16>>,
    k_ones16: Constant<Bits<16>>,
    k_bins_last: Constant<Bits<8>>,
    k_one8: Constant<Bits<8>>,
    k_zero8: Constant<Bits<8>>,
    k_nmask: Constant<Bits<12>>,
    k_umask: Constant<Bits<12>>,
    k_one12: Constant<Bits<12>>,
    k_zero12: Constant<Bits<12>>,
    k_fast: Constant<Bits<16>>,
    k_c5: Constant<Bits<5>>,
    k_j5: Constant<Bits<5>>,
    k_512: Constant<Bits<16>>,
    k_frac: Constant<Bits<3>>,
    k_ones20: Constant<Bits<20>>,
    k_ref_init: Constant<Bits<16>>,
    k_ref_mask: Constant<Bits<16>>,
    k_below_bit: Constant<Bits<16>>,
    k_one17: Constant<Bits<17>>,
    k_one4: Constant<Bits<4>>,
    k_zero4: Constant<Bits<4>>,
    k_round17: Constant<Bits<17>>,
    k_ps: Constant<Bits<4>>,
    k_nu: Constant<Bits<4>>,
    k_four: Constant<Bits<5>>,
    k_ones_est: Constant<Bits<20>>,
    k_evbit: Constant<Bits<16>>,
    k_evbit_last: Constant<Bits<16>>,
    k_flagbit: Constant<Bits<16>>,
    k_len_ev: Constant<Bits<5>>,
    k_len_ev_last: Constant<Bits<5>>,
    k_len_power: Constant<Bits<5>>,
    k_one5: Constant<Bits<5>>,
    k_zero5: Constant<Bits<5>>,
    k_32_6: Constant<Bits<6>>,
    k_zero32: Constant<Bits<32>>,
    k_lat_on: Constant<Bit>,
    k_lat_m1: Constant<Bits<8>>,
    k_age_max: Constant<Bits<8>>,
    k_one1: Constant<Bits<1>>,
    k_vmask: Constant<Bits<16>>,
    k_rail_on: Constant<Bit>,
    k_rail_hi: Constant<Bits<10>>,
    k_zero10: Constant<Bits<10>>,
    k_rail_init: Constant<Bits<16>>,
    k_rail_mask: Constant<Bits<16>>,
    k_rail_one: Constant<Bits<16>>,
    k_sat_on: Constant<Bit>,
    k_emask: Constant<Bits<8>>,
    k_sat_mask: Constant<Bits<16>>,
    k_sat_one: Constant<Bits<16>>,
    k_sat_full: Constant<Bits<16>>,
    k_rej_bit: Constant<Bits<16>>,
    k_grp_mask: Constant<Bits<C>>,

    // ---- clear
    clr_busy: DFF<Bit>,
    clr_spent: DFF<Bit>,
    clr_addr: DFF<Bits<C>>,
    base_idle: Signal<Local, Bit>,

    // ---- frame counters and the facts of the frame being taken
    bin_pos: DFF<Bits<16>>,
    seg_bin: DFF<Bits<8>>,
    nframe: DFF<Bits<12>>,
    period: DFF<Bits<16>>,
    epoch: DFF<Bits<8>>,
    lg: Log2Floor,
    a_lastch: Signal<Local, Bit>,
    a_power: Signal<Local, Bit>,
    a_nacc: Signal<Local, Bit>,
    a_pend: Signal<Local, Bit>,
    a_warm: Signal<Local, Bit>,
    a_segend: Signal<Local, Bit>,
    a_lgc: Signal<Local, Bits<5>>,
    a_shift: Signal<Local, Bits<5>>,
    a_ulow: Signal<Local, Bits<12>>,
    a_nnext: Signal<Local, Bits<12>>,
    a_bmod: Signal<Local, Bits<16>>,
    a_pacc: Signal<Local, Bit>,
    a_emod: Signal<Local, Bits<8>>,
    a_eend: Signal<Local, Bit>,

    // ---- handshake
    adv_out: Signal<Local, Bit>,
    adv: Signal<Local, Bit>,
    accept: Signal<Local, Bit>,
    hazard: Signal<Local, Bit>,
    empty: Signal<Local, Bit>,

    // ---- state memory
    ram: EventRam<C>,
    // the flag word of 16 channels ("ctl is not zero") last read, kept up to date
    fw: DFF<Bits<16>>,
    fw_tag: DFF<Bits<C>>,
    fw_ok: DFF<Bit>,
    a_grp: Signal<Local, Bits<C>>,
    a_hit: Signal<Local, Bit>,
    q_grp: Signal<Local, Bits<C>>,
    q_bidx: Signal<Local, Bits<4>>,
    s3_fbit: ShiftLeft<16, 4>,
    fw_next: Signal<Local, Bits<16>>,
    s3_fwr: Signal<Local, Bit>,

    // ---- p1 (accept → s1)
    p1_valid: DFF<Bit>,
    p1_ch: DFF<Bits<C>>,
    p1_x: DFF<Bits<10>>,
    p1_power: DFF<Bit>,
    p1_nacc: DFF<Bit>,
    p1_pend: DFF<Bit>,
    p1_warm: DFF<Bit>,
    p1_shift: DFF<Bits<4>>,
    p1_last: DFF<Bit>,
    p1_segend: DFF<Bit>,
    p1_pacc: DFF<Bit>,
    p1_eend: DFF<Bit>,
    p1_fmiss: DFF<Bit>,
    p1_bidx: Signal<Local, Bits<4>>,
    p1_fword: Signal<Local, Bits<16>>,
    s1_fmask: ShiftLeft<16, 4>,
    p1_flag: Signal<Local, Bit>,

    // ---- s1
    s1_x16: Signal<Local, Bits<16>>,
    s1_xin: ShiftLeft<16, 3>,
    s1_y: SatLin<16>,
    s1_thr: MulShr,
    s1_clipm: MulShr,
    s1_clip: Signal<Local, Bits<20>>,
    s1_atrail: Signal<Local, Bit>,
    p2_valid: DFF<Bit>,
    p2_ch: DFF<Bits<C>>,
    p2_y: DFF<Bits<16>>,
    p2_xin: DFF<Bits<16>>,
    p2_s2: DFF<Bits<16>>,
    p2_est: DFF<Bits<16>>,
    p2_noise: DFF<Bits<16>>,
    p2_pow: DFF<Bits<16>>,
    p2_ctl: Signal<Local, Bits<16>>,
    p2_flag: DFF<Bit>,
    p2_thr: DFF<Bits<20>>,
    p2_clip: DFF<Bits<20>>,
    p2_power: DFF<Bit>,
    p2_nacc: DFF<Bit>,
    p2_pend: DFF<Bit>,
    p2_warm: DFF<Bit>,
    p2_shift: DFF<Bits<4>>,
    p2_last: DFF<Bit>,
    p2_segend: DFF<Bit>,
    p2_pacc: DFF<Bit>,
    p2_atrail: DFF<Bit>,
    p2_eend: DFF<Bit>,

    // ---- s2
    s2_m1: MulQ14,
    s2_m2: MulQ14,
    s2_ny: Signal<Local, Bits<16>>,
    s2_abs: Signal<Local, Bits<17>>,
    s2_abs20: Signal<Local, Bits<20>>,
    s2_below: Signal<Local, Bit>,
    s2_ref: Signal<Local, Bits<16>>,
    s2_blocked: Signal<Local, Bit>,
    s2_prev_below: Signal<Local, Bit>,
    s2_event: Signal<Local, Bit>,
    s2_ref_next: Signal<Local, Bits<16>>,
    s2_ctl: Signal<Local, Bits<16>>,
    s2_term: Signal<Local, Bits<20>>,
    s2_pterm: ShiftRight<17, 4>,
    s2_halfs: ShiftLeft<16, 4>,
    s2_half: Signal<Local, Bits<16>>,
    s2_estmh: Signal<Local, Bits<18>>,
    s2_ctlw: Signal<Local, Bit>,
    s2_nz: Signal<Local, Bit>,
    s2_rail: Signal<Local, Bits<16>>,
    s2_quiet: Signal<Local, Bit>,
    s2_rail_next: Signal<Local, Bits<16>>,
    s2_rej: Signal<Local, Bit>,
    s2_scnt: Signal<Local, Bits<16>>,
    s2_scntp: Signal<Local, Bits<16>>,
    s2_sat: Signal<Local, Bits<16>>,
    s2_qhi: Signal<Local, Bits<16>>,
    s2_qterm: Signal<Local, Bits<16>>,
    p3_valid: DFF<Bit>,
    p3_ch: DFF<Bits<C>>,
    p3_r1: DFF<Bits<18>>,
    p3_r2: DFF<Bits<18>>,
    p3_xin: DFF<Bits<16>>,
    p3_s2: DFF<Bits<16>>,
    p3_est: DFF<Bits<16>>,
    p3_noise: DFF<Bits<16>>,
    p3_pow: DFF<Bits<16>>,
    p3_ctl: DFF<Bits<16>>,
    p3_term: DFF<Bits<20>>,
    p3_pterm: DFF<Bits<17>>,
    p3_event: DFF<Bit>,
    p3_power: DFF<Bit>,
    p3_nacc: DFF<Bit>,
    p3_pend: DFF<Bit>,
    p3_shift: DFF<Bits<4>>,
    p3_last: DFF<Bit>,
    p3_segend: DFF<Bit>,
    p3_pacc: DFF<Bit>,
    p3_estmh: DFF<Bits<18>>,
    p3_ctlw: DFF<Bit>,
    p3_flag: DFF<Bit>,
    p3_nz: DFF<Bit>,

    // ---- s3
    // ---- s3 sums, then q (s3b)
    s3_nsum: Signal<Local, Bits<20>>,
    s3_noise: Signal<Local, Bits<16>>,
    s3_psum: Signal<Local, Bits<18>>,
    s3_pow: Signal<Local, Bits<16>>,
    s3_pover: Signal<Local, Bit>,
    q_valid: DFF<Bit>,
    q_ch: DFF<Bits<C>>,
    q_s1: DFF<Bits<16>>,
    q_s2: DFF<Bits<16>>,
    q_est: DFF<Bits<16>>,
    q_noise: DFF<Bits<16>>,
    q_pow: DFF<Bits<16>>,
    q_ctl: DFF<Bits<16>>,
    q_event: DFF<Bit>,
    q_power: DFF<Bit>,
    q_nacc: DFF<Bit>,
    q_pend: DFF<Bit>,
    q_shift: DFF<Bits<4>>,
    q_last: DFF<Bit>,
    q_segend: DFF<Bit>,
    q_powrw: DFF<Bit>,
    q_estmh: DFF<Bits<18>>,
    q_ctlw: DFF<Bit>,
    q_fw: DFF<Bit>,
    q_nz: DFF<Bit>,
    s3_s1: SatLin<18>,
    s3_s2: SatLin<18>,
    s3_shl: ShiftLeft<20, 5>,
    s3_tgt: ShiftRight<20, 4>,
    s3_target: Signal<Local, Bits<16>>,
    s3_diff: Signal<Local, Bits<18>>,
    s3_step: Ashr18,
    s3_est18: Signal<Local, Bits<18>>,
    s3_est: Signal<Local, Bits<16>>,
    s3_pcode: PowerCode,
    p4_valid: DFF<Bit>,
    p4_ch: DFF<Bits<C>>,
    p4_event: DFF<Bit>,
    p4_power: DFF<Bit>,
    p4_last: DFF<Bit>,
    p4_segend: DFF<Bit>,
    p4_pcode: DFF<Bits<16>>,

    // ---- s4
    s4_ch16: Signal<Local, Bits<16>>,
    s4_ch2: ShiftLeft<16, 1>,
    s4_code: Signal<Local, Bits<16>>,
    s4_len: Signal<Local, Bits<5>>,
    p5_valid: DFF<Bit>,
    p5_code: DFF<Bits<16>>,
    p5_len: DFF<Bits<5>>,
    p5_event: DFF<Bit>,
    p5_last: DFF<Bit>,
    p5_segend: DFF<Bit>,

    // ---- s5
    s5_gap: Signal<Local, Bits<6>>,
    s5_placed: ShiftLeft<32, 6>,
    p6_valid: DFF<Bit>,
    p6_code: DFF<Bits<32>>,
    p6_len: DFF<Bits<5>>,
    p6_event: DFF<Bit>,
    p6_last: DFF<Bit>,
    p6_segend: DFF<Bit>,

    // ---- s6 pack, latency rule, output
    nb: DFF<Bits<5>>,
    acc: DFF<Bits<32>>,
    pend: DFF<Bit>,
    age: DFF<Bits<8>>,
    sflush: DFF<Bit>,
    sflush_last: DFF<Bit>,
    s6_total: Signal<Local, Bits<6>>,
    s6_rem: Signal<Local, Bits<5>>,
    s6_tail: ShiftRight<32, 5>,
    s6_hi: Signal<Local, Bits<32>>,
    s6_lo_shift: Signal<Local, Bits<6>>,
    s6_lo: ShiftLeft<32, 6>,
    s6_emitted: Signal<Local, Bit>,
    s6_partial: Signal<Local, Bit>,
    s6_evpart: Signal<Local, Bit>,
    s6_pend: Signal<Local, Bit>,
    s6_age: Signal<Local, Bits<8>>,
    s6_due: Signal<Local, Bit>,
    s6_pad: Signal<Local, Bit>,
    s6_why: Signal<Local, Bit>,
    s3_nwrite: Signal<Local, Bit>,
    out_full: DFF<Bit>,
    out_reg: DFF<Bits<32>>,
    out_lreg: DFF<Bit>,
}

/// The event core with 1024 channels of state.
pub type EventCore1024 = EventCore<10>;

impl<const C: usize> EventCore<C> {
    /// The core for the event parameters `p` ([`check_event_params`]).
    pub fn new(p: &EventParams) -> Result<Self, HdlError> {
        check_event_params(p, C)?;
        let sec = p.sections[0];
        let cb = p.channel_bits();
        let pb = p.power_code_bits();
        let n = p.noise_period_log2 as u64;
        let u = p.noise_sub_log2 as u64;
        let lat = p.latency_frames as u64;
        let ps = p.power_shift as u64;
        Ok(EventCore {
            clock: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_channel: Default::default(),
            in_sample: Default::default(),
            flush: Default::default(),
            clear: Default::default(),
            idle: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_word: Default::default(),
            out_last: Default::default(),
            k_last_ch: k(p.channels as u64 - 1),
            k_ch_last: k((1u64 << C) - 1),
            k_ch_one: k(1),
            k_ch_zero: k(0),
            k_b_last: k(p.bin_frames as u64 - 1),
            k_one16: k(1),
            k_zero16: k(0),
            k_ones16: k(0xFFFF),
            k_bins_last: k(p.segment_bins as u64 - 1),
            k_one8: k(1),
            k_zero8: k(0),
            k_nmask: k((1 << n) - 1),
            k_umask: k((1 << u) - 1),
            k_one12: k(1),
            k_zero12: k(0),
            k_fast: k(1 << p.noise_fast_log2),
            k_c5: k(p.noise_fast_log2 as u64),
            k_j5: k(p.noise_slow_log2 as u64),
            k_512: k(512),
            k_frac: k(p.frac_bits as u64),
            k_ones20: k(0xF_FFFF),
            k_ref_init: k(p.refractory_frames as u64 - 1),
            k_ref_mask: k(0x3F),
            k_rail_on: Constant::new(p.rail_frames > 0),
            k_rail_hi: k(RAIL_HIGH as u64),
            k_zero10: k(0),
            k_rail_init: k((p.rail_frames.max(1) as u64 - 1) << RAIL_SHIFT),
            k_rail_mask: k(0x3F << RAIL_SHIFT),
            k_rail_one: k(1 << RAIL_SHIFT),
            k_sat_on: Constant::new(p.sat_epoch_log2 > 0),
            k_emask: k((1 << p.sat_epoch_log2) - 1),
            k_sat_mask: k(3 << SAT_SHIFT),
            k_sat_one: k(1 << SAT_SHIFT),
            k_sat_full: k((SAT_COUNT as u64) << SAT_SHIFT),
            k_rej_bit: k(1 << REJ_BIT),
            k_grp_mask: k(((1u64 << C) - 1) & !15),
            k_below_bit: k(0x40),
            k_one17: k(1),
            k_one4: k(1),
            k_zero4: k(0),
            k_round17: k((1 << ps) >> 1),
            k_ps: k(ps),
            k_nu: k(n - u),
            k_four: k(4),
            k_ones_est: k(0xFFFF),
            k_evbit: k(1 << cb),
            k_evbit_last: k(2 << cb),
            k_flagbit: k(1 << pb),
            k_len_ev: k(1 + cb as u64),
            k_len_ev_last: k(2 + cb as u64),
            k_len_power: k(1 + pb as u64),
            k_one5: k(1),
            k_zero5: k(0),
            k_32_6: k(32),
            k_zero32: k(0),
            k_lat_on: Constant::new(lat > 0),
            k_lat_m1: k(lat.saturating_sub(1)),
            k_age_max: k(255),
            k_one1: k(1),
            k_vmask: k((1u64 << p.power_sub_log2) - 1),
            clr_busy: Default::default(),
            clr_spent: Default::default(),
            clr_addr: Default::default(),
            base_idle: Default::default(),
            bin_pos: Default::default(),
            seg_bin: Default::default(),
            nframe: Default::default(),
            period: Default::default(),
            epoch: Default::default(),
            lg: Default::default(),
            a_lastch: Default::default(),
            a_power: Default::default(),
            a_nacc: Default::default(),
            a_pend: Default::default(),
            a_warm: Default::default(),
            a_segend: Default::default(),
            a_lgc: Default::default(),
            a_shift: Default::default(),
            a_ulow: Default::default(),
            a_nnext: Default::default(),
            a_bmod: Default::default(),
            a_pacc: Default::default(),
            a_emod: Default::default(),
            a_eend: Default::default(),
            adv_out: Default::default(),
            adv: Default::default(),
            accept: Default::default(),
            hazard: Default::default(),
            empty: Default::default(),
            ram: Default::default(),
            p1_valid: Default::default(),
            p1_ch: Default::default(),
            p1_x: Default::default(),
            p1_power: Default::default(),
            p1_nacc: Default::default(),
            p1_pend: Default::default(),
            p1_warm: Default::default(),
            p1_shift: Default::default(),
            p1_last: Default::default(),
            p1_segend: Default::default(),
            p1_pacc: Default::default(),
            p1_eend: Default::default(),
            s1_x16: Default::default(),
            s1_xin: Default::default(),
            s1_y: SatLin::new(false, false),
            s1_thr: MulShr::new(p.thr_mult(), 12),
            s1_clipm: MulShr::new(neurice_model::events::params::CLIP_Q8, 12),
            s1_clip: Default::default(),
            s1_atrail: Default::default(),
            p2_valid: Default::default(),
            p2_ch: Default::default(),
            p2_y: Default::default(),
            p2_xin: Default::default(),
            p2_s2: Default::default(),
            p2_est: Default::default(),
            p2_noise: Default::default(),
            p2_pow: Default::default(),
            p2_ctl: Default::default(),
            p2_flag: Default::default(),
            p2_thr: Default::default(),
            p2_clip: Default::default(),
            p2_power: Default::default(),
            p2_nacc: Default::default(),
            p2_pend: Default::default(),
            p2_warm: Default::default(),
            p2_shift: Default::default(),
            p2_last: Default::default(),
            p2_segend: Default::default(),
            p2_pacc: Default::default(),
            p2_atrail: Default::default(),
            p2_eend: Default::default(),
            s2_m1: MulQ14::new(sec.a1),
            s2_m2: MulQ14::new(sec.a2),
            s2_ny: Default::default(),
            s2_abs: Default::default(),
            s2_abs20: Default::default(),
            s2_below: Default::default(),
            s2_ref: Default::default(),
            s2_blocked: Default::default(),
            s2_prev_below: Default::default(),
            s2_event: Default::default(),
            s2_ref_next: Default::default(),
            s2_ctl: Default::default(),
            s2_term: Default::default(),
            s2_pterm: Default::default(),
            s2_halfs: Default::default(),
            s2_half: Default::default(),
            s2_estmh: Default::default(),
            s2_ctlw: Default::default(),
            s2_nz: Default::default(),
            fw: Default::default(),
            fw_tag: Default::default(),
            fw_ok: Default::default(),
            a_grp: Default::default(),
            a_hit: Default::default(),
            q_grp: Default::default(),
            q_bidx: Default::default(),
            s3_fbit: Default::default(),
            fw_next: Default::default(),
            s3_fwr: Default::default(),
            p1_fmiss: Default::default(),
            p1_bidx: Default::default(),
            p1_fword: Default::default(),
            s1_fmask: Default::default(),
            p1_flag: Default::default(),
            p3_flag: Default::default(),
            p3_nz: Default::default(),
            q_fw: Default::default(),
            q_nz: Default::default(),
            s2_rail: Default::default(),
            s2_quiet: Default::default(),
            s2_rail_next: Default::default(),
            s2_rej: Default::default(),
            s2_scnt: Default::default(),
            s2_scntp: Default::default(),
            s2_sat: Default::default(),
            s2_qhi: Default::default(),
            s2_qterm: Default::default(),
            p3_valid: Default::default(),
            p3_ch: Default::default(),
            p3_r1: Default::default(),
            p3_r2: Default::default(),
            p3_xin: Default::default(),
            p3_s2: Default::default(),
            p3_est: Default::default(),
            p3_noise: Default::default(),
            p3_pow: Default::default(),
            p3_ctl: Default::default(),
            p3_term: Default::default(),
            p3_pterm: Default::default(),
            p3_event: Default::default(),
            p3_power: Default::default(),
            p3_nacc: Default::default(),
            p3_pend: Default::default(),
            p3_shift: Default::default(),
            p3_last: Default::default(),
            p3_segend: Default::default(),
            p3_pacc: Default::default(),
            p3_estmh: Default::default(),
            p3_ctlw: Default::default(),
            s3_nsum: Default::default(),
            s3_noise: Default::default(),
            s3_psum: Default::default(),
            s3_pow: Default::default(),
            s3_pover: Default::default(),
            q_valid: Default::default(),
            q_ch: Default::default(),
            q_s1: Default::default(),
            q_s2: Default::default(),
            q_est: Default::default(),
            q_noise: Default::default(),
            q_pow: Default::default(),
            q_ctl: Default::default(),
            q_event: Default::default(),
            q_power: Default::default(),
            q_nacc: Default::default(),
            q_pend: Default::default(),
            q_shift: Default::default(),
            q_last: Default::default(),
            q_segend: Default::default(),
            q_powrw: Default::default(),
            q_estmh: Default::default(),
            q_ctlw: Default::default(),
            s3_s1: SatLin::new(false, true),
            s3_s2: SatLin::new(true, true),
            s3_shl: Default::default(),
            s3_tgt: Default::default(),
            s3_target: Default::default(),
            s3_diff: Default::default(),
            s3_step: Default::default(),
            s3_est18: Default::default(),
            s3_est: Default::default(),
            s3_pcode: PowerCode::new(p.power_mantissa as u32),
            p4_valid: Default::default(),
            p4_ch: Default::default(),
            p4_event: Default::default(),
            p4_power: Default::default(),
            p4_last: Default::default(),
            p4_segend: Default::default(),
            p4_pcode: Default::default(),
            s4_ch16: Default::default(),
            s4_ch2: Default::default(),
            s4_code: Default::default(),
            s4_len: Default::default(),
            p5_valid: Default::default(),
            p5_code: Default::default(),
            p5_len: Default::default(),
            p5_event: Default::default(),
            p5_last: Default::default(),
            p5_segend: Default::default(),
            s5_gap: Default::default(),
            s5_placed: Default::default(),
            p6_valid: Default::default(),
            p6_code: Default::default(),
            p6_len: Default::default(),
            p6_event: Default::default(),
            p6_last: Default::default(),
            p6_segend: Default::default(),
            nb: Default::default(),
            acc: Default::default(),
            pend: Default::default(),
            age: Default::default(),
            sflush: Default::default(),
            sflush_last: Default::default(),
            s6_total: Default::default(),
            s6_rem: Default::default(),
            s6_tail: Default::default(),
            s6_hi: Default::default(),
            s6_lo_shift: Default::default(),
            s6_lo: Default::default(),
            s6_emitted: Default::default(),
            s6_partial: Default::default(),
            s6_evpart: Default::default(),
            s6_pend: Default::default(),
            s6_age: Default::default(),
            s6_due: Default::default(),
            s6_pad: Default::default(),
            s6_why: Default::default(),
            s3_nwrite: Default::default(),
            out_full: Default::default(),
            out_reg: Default::default(),
            out_lreg: Default::default(),
        })
    }

    /// The state fields of a channel as the RAM holds them (`s1, s2, est, noise, pow, ctl`).
    pub fn state_fields(&self, channel: usize) -> [u16; super::ram::FIELDS] {
        self.ram.peek(channel)
    }

    /// The state RAM's block-RAM accesses so far, per field and the flag words (rust-hdl's
    /// simulation only).
    pub fn state_accesses(&self) -> super::ram::Accesses {
        self.ram.accesses()
    }

    /// One line on what each stage holds (for mismatch reports).
    pub fn debug_state(&self) -> String {
        format!(
            "valid p1..p6 [{}{}{}{}{}{}], nb {}, acc {:#010x}, pend {} age {}, out {} {:#010x}",
            self.p1_valid.q.val() as u8,
            self.p2_valid.q.val() as u8,
            self.p3_valid.q.val() as u8,
            self.p4_valid.q.val() as u8,
            self.p5_valid.q.val() as u8,
            self.p6_valid.q.val() as u8,
            self.nb.q.val().to_u32(),
            self.acc.q.val().to_u32(),
            self.pend.q.val() as u8,
            self.age.q.val().to_u32(),
            self.out_full.q.val() as u8,
            self.out_reg.q.val().to_u32()
        )
    }
}

impl<const C: usize> Logic for EventCore<C> {
    // Nested `if`s instead of `a & (b == c)`: rust-hdl emits no parentheses.
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            clr_busy,
            clr_spent,
            clr_addr,
            bin_pos,
            seg_bin,
            nframe,
            period,
            epoch,
            p1_valid,
            p1_ch,
            p1_x,
            p1_power,
            p1_nacc,
            p1_pend,
            p1_warm,
            p1_shift,
            p1_last,
            p1_segend,
            p2_valid,
            p2_ch,
            p2_y,
            p2_xin,
            p2_s2,
            p2_est,
            p2_noise,
            p2_pow,
            p2_flag,
            p2_thr,
            p2_clip,
            p2_power,
            p2_nacc,
            p2_pend,
            p2_warm,
            p2_shift,
            p2_last,
            p2_segend,
            p3_valid,
            p3_ch,
            p3_r1,
            p3_r2,
            p3_xin,
            p3_s2,
            p3_est,
            p3_noise,
            p3_pow,
            p3_ctl,
            p3_event,
            p3_power,
            p3_nacc,
            p3_pend,
            p3_shift,
            p3_last,
            p3_segend,
            p4_valid,
            p4_ch,
            p4_event,
            p4_power,
            p4_last,
            p4_segend,
            p4_pcode,
            p5_valid,
            p5_code,
            p5_len,
            p5_event,
            p5_last,
            p5_segend,
            p6_valid,
            p6_code,
            p6_len,
            p6_event,
            p6_last,
            p6_segend,
            nb,
            acc,
            pend,
            age,
            sflush,
            sflush_last,
            out_full,
            out_reg,
            out_lreg,
            p3_term,
            p3_pterm,
            q_valid,
            q_ch,
            q_s1,
            q_s2,
            q_est,
            q_noise,
            q_pow,
            q_ctl,
            q_event,
            q_power,
            q_nacc,
            q_pend,
            q_shift,
            q_last,
            q_segend,
            q_powrw,
            q_estmh,
            q_ctlw,
            p1_pacc,
            p1_eend,
            p2_pacc,
            p2_atrail,
            p2_eend,
            p3_pacc,
            p3_estmh,
            p3_ctlw,
            p3_flag,
            p3_nz,
            q_fw,
            q_nz,
            p1_fmiss,
            fw,
            fw_tag,
            fw_ok
        );
        clock!(self, clock, ram);

        // ---- handshake
        self.adv_out.next = (!self.out_full.q.val()) | self.out_ready.val();
        self.adv.next = self.adv_out.val() & (!self.sflush.q.val());
        // the interlock: the channel's state is still being computed ahead
        self.hazard.next = false;
        if self.p1_valid.q.val() {
            if self.p1_ch.q.val() == self.in_channel.val() {
                self.hazard.next = true;
            }
        }
        if self.p2_valid.q.val() {
            if self.p2_ch.q.val() == self.in_channel.val() {
                self.hazard.next = true;
            }
        }
        if self.p3_valid.q.val() {
            if self.p3_ch.q.val() == self.in_channel.val() {
                self.hazard.next = true;
            }
        }
        if self.q_valid.q.val() {
            if self.q_ch.q.val() == self.in_channel.val() {
                self.hazard.next = true;
            }
        }
        // the flags: a channel whose flag word is not held is read from the flag RAM, never
        // in the clock a bit of the same word is written
        self.a_grp.next = self.in_channel.val() & self.k_grp_mask.val();
        self.q_grp.next = self.q_ch.q.val() & self.k_grp_mask.val();
        self.a_hit.next = false;
        if self.fw_ok.q.val() {
            if self.a_grp.val() == self.fw_tag.q.val() {
                self.a_hit.next = true;
            }
        }
        if self.q_valid.q.val() & self.q_fw.q.val() & (!self.a_hit.val()) {
            if self.q_grp.val() == self.a_grp.val() {
                self.hazard.next = true;
            }
        }
        self.in_ready.next = self.adv.val()
            & (!self.flush.val())
            & (!self.clear.val())
            & (!self.clr_busy.q.val())
            & (!self.hazard.val());
        self.accept.next = self.in_valid.val() & self.in_ready.val();
        self.empty.next = !(self.p1_valid.q.val()
            | self.p2_valid.q.val()
            | self.p3_valid.q.val()
            | self.q_valid.q.val()
            | self.p4_valid.q.val()
            | self.p5_valid.q.val()
            | self.p6_valid.q.val());
        self.out_valid.next = self.out_full.q.val();
        self.out_word.next = self.out_reg.q.val();
        self.out_last.next = self.out_lreg.q.val();
        self.base_idle.next = false;
        if self.empty.val() & (!self.out_full.q.val()) & (!self.sflush.q.val()) {
            if self.nb.q.val() == self.k_zero5.val() {
                self.base_idle.next = true;
            }
        }
        self.idle.next = self.base_idle.val()
            & (!self.clr_busy.q.val())
            & (!(self.clear.val() & (!self.clr_spent.q.val())));

        // ---- clear: the walk over every channel
        if !self.clear.val() {
            self.clr_spent.d.next = false;
        }
        if self.clr_busy.q.val() {
            self.clr_addr.d.next = self.clr_addr.q.val() + self.k_ch_one.val();
            if self.clr_addr.q.val() == self.k_ch_last.val() {
                self.clr_busy.d.next = false;
            }
        }

        // ---- accept: the frame's facts, the frame counters, the state read
        self.a_lastch.next = false;
        if self.in_channel.val() == self.k_last_ch.val() {
            self.a_lastch.next = true;
        }
        self.a_power.next = false;
        if self.bin_pos.q.val() == self.k_b_last.val() {
            self.a_power.next = true;
        }
        self.a_nacc.next = false;
        self.a_ulow.next = self.nframe.q.val() & self.k_umask.val();
        if self.a_ulow.val() == self.k_zero12.val() {
            self.a_nacc.next = true;
        }
        self.a_pend.next = false;
        if self.nframe.q.val() == self.k_nmask.val() {
            self.a_pend.next = true;
        }
        self.a_warm.next = false;
        if self.period.q.val() == self.k_zero16.val() {
            self.a_warm.next = true;
        }
        self.a_segend.next = false;
        if self.a_power.val() & self.a_lastch.val() {
            if self.seg_bin.q.val() == self.k_bins_last.val() {
                self.a_segend.next = true;
            }
        }
        // the update shift: 0 for the first 2^c periods, then min(J, ⌊log2 period⌋ − c)
        self.lg.v.next = self.period.q.val();
        self.a_lgc.next = self.lg.result.val() - self.k_c5.val();
        self.a_shift.next = self.a_lgc.val();
        if self.a_lgc.val() > self.k_j5.val() {
            self.a_shift.next = self.k_j5.val();
        }
        if self.period.q.val() < self.k_fast.val() {
            self.a_shift.next = self.k_zero5.val();
        }
        self.a_nnext.next = self.nframe.q.val() + self.k_one12.val();
        // the power sum takes the frames at a multiple of 2^v into the bin
        self.a_bmod.next = self.bin_pos.q.val() & self.k_vmask.val();
        self.a_pacc.next = false;
        if self.a_bmod.val() == self.k_zero16.val() {
            self.a_pacc.next = true;
        }
        // the saturation rule's epoch: the last period of 2^Q (a wrapping count of periods)
        self.a_emod.next = self.epoch.q.val() & self.k_emask.val();
        self.a_eend.next = false;
        if self.k_sat_on.val() & self.a_pend.val() {
            if self.a_emod.val() == self.k_emask.val() {
                self.a_eend.next = true;
            }
        }
        if self.accept.val() & self.a_lastch.val() {
            self.bin_pos.d.next = self.bin_pos.q.val() + self.k_one16.val();
            if self.a_power.val() {
                self.bin_pos.d.next = self.k_zero16.val();
                self.seg_bin.d.next = self.seg_bin.q.val() + self.k_one8.val();
                if self.seg_bin.q.val() == self.k_bins_last.val() {
                    self.seg_bin.d.next = self.k_zero8.val();
                }
            }
            self.nframe.d.next = self.a_nnext.val() & self.k_nmask.val();
            if self.a_pend.val() {
                self.epoch.d.next = self.epoch.q.val() + self.k_one8.val();
                if self.period.q.val() != self.k_ones16.val() {
                    self.period.d.next = self.period.q.val() + self.k_one16.val();
                }
            }
        }
        self.ram.read_address.next = self.in_channel.val();
        self.ram.read_enable.next = self.accept.val();
        self.ram.read_noise.next = false;
        if self.accept.val() {
            if self.a_nacc.val() | self.a_pend.val() {
                self.ram.read_noise.next = true;
            }
        }
        self.ram.read_pow.next = self.accept.val() & (self.a_pacc.val() | self.a_power.val());
        self.ram.flag_read.next = self.accept.val() & (!self.a_hit.val());
        if self.accept.val() & (!self.a_hit.val()) {
            self.fw_tag.d.next = self.a_grp.val();
            self.fw_ok.d.next = true;
        }
        if self.clr_busy.q.val() {
            self.fw_ok.d.next = false;
        }
        if self.adv.val() {
            self.p1_valid.d.next = self.accept.val();
            self.p1_fmiss.d.next = self.accept.val() & (!self.a_hit.val());
            self.p1_ch.d.next = self.in_channel.val();
            self.p1_x.d.next = self.in_sample.val();
            self.p1_power.d.next = self.a_power.val();
            self.p1_nacc.d.next = self.a_nacc.val();
            self.p1_pend.d.next = self.a_pend.val();
            self.p1_warm.d.next = self.a_warm.val();
            self.p1_shift.d.next = bit_cast::<4, 5>(self.a_shift.val());
            self.p1_last.d.next = self.a_lastch.val();
            self.p1_segend.d.next = self.a_segend.val();
            self.p1_pacc.d.next = self.a_pacc.val();
            self.p1_eend.d.next = self.a_eend.val();
        }

        // ---- p1: the channel's flag (from the word just read, or the one held); `ctl` is read
        // now, only when the flag is set (it is 0 otherwise)
        self.p1_fword.next = self.fw.q.val();
        if self.p1_fmiss.q.val() {
            self.p1_fword.next = self.ram.flag_rd.val();
        }
        self.p1_bidx.next = bit_cast::<4, C>(self.p1_ch.q.val());
        self.s1_fmask.data.next = self.k_one16.val();
        self.s1_fmask.amount.next = self.p1_bidx.val();
        self.p1_flag.next = false;
        if (self.p1_fword.val() & self.s1_fmask.result.val()) != self.k_zero16.val() {
            self.p1_flag.next = true;
        }
        self.ram.ctl_read_address.next = self.p1_ch.q.val();
        self.ram.ctl_read.next = self.p1_valid.q.val() & self.adv.val() & self.p1_flag.val();
        // the word held follows the flag writes of its channels
        self.q_bidx.next = bit_cast::<4, C>(self.q_ch.q.val());
        self.s3_fbit.data.next = self.k_one16.val();
        self.s3_fbit.amount.next = self.q_bidx.val();
        self.s3_fwr.next = self.q_valid.q.val() & self.adv.val() & self.q_fw.q.val();
        self.fw_next.next = self.p1_fword.val();
        if self.s3_fwr.val() {
            if self.q_grp.val() == self.fw_tag.q.val() {
                if self.q_nz.q.val() {
                    self.fw_next.next = self.p1_fword.val() | self.s3_fbit.result.val();
                } else {
                    self.fw_next.next = self.p1_fword.val() & (!self.s3_fbit.result.val());
                }
            }
        }
        self.fw.d.next = self.fw_next.val();

        // ---- s1: y = sat(x' + s1); threshold and clip from the estimate
        self.s1_x16.next = bit_cast::<16, 10>(self.p1_x.q.val()) - self.k_512.val();
        self.s1_xin.data.next = self.s1_x16.val();
        self.s1_xin.amount.next = self.k_frac.val();
        self.s1_y.a.next = self.s1_xin.result.val();
        self.s1_y.b.next = self.ram.rd_s1.val();
        self.s1_thr.a.next = self.ram.rd_est.val();
        self.s1_clipm.a.next = self.ram.rd_est.val();
        self.s1_clip.next = self.s1_clipm.result.val();
        if self.p1_warm.q.val() {
            self.s1_clip.next = self.k_ones20.val();
        }
        // the rail rule (FORMAT.md §12.3): the sample is at 0 or 1023
        self.s1_atrail.next = false;
        if self.k_rail_on.val() {
            if self.p1_x.q.val() == self.k_zero10.val() {
                self.s1_atrail.next = true;
            }
            if self.p1_x.q.val() == self.k_rail_hi.val() {
                self.s1_atrail.next = true;
            }
        }
        if self.adv.val() {
            self.p2_valid.d.next = self.p1_valid.q.val();
            self.p2_ch.d.next = self.p1_ch.q.val();
            self.p2_y.d.next = self.s1_y.result.val();
            self.p2_xin.d.next = self.s1_xin.result.val();
            self.p2_s2.d.next = self.ram.rd_s2.val();
            self.p2_est.d.next = self.ram.rd_est.val();
            self.p2_noise.d.next = self.ram.rd_noise.val();
            self.p2_pow.d.next = self.ram.rd_pow.val();
            self.p2_flag.d.next = self.p1_flag.val();
            self.p2_thr.d.next = self.s1_thr.result.val();
            self.p2_clip.d.next = self.s1_clip.val();
            self.p2_power.d.next = self.p1_power.q.val();
            self.p2_nacc.d.next = self.p1_nacc.q.val();
            self.p2_pend.d.next = self.p1_pend.q.val();
            self.p2_warm.d.next = self.p1_warm.q.val();
            self.p2_shift.d.next = self.p1_shift.q.val();
            self.p2_last.d.next = self.p1_last.q.val();
            self.p2_segend.d.next = self.p1_segend.q.val();
            self.p2_pacc.d.next = self.p1_pacc.q.val();
            self.p2_atrail.d.next = self.s1_atrail.val();
            self.p2_eend.d.next = self.p1_eend.q.val();
        }

        // ---- s2: rounded products; |y|, below, event, refractory; the sums' terms
        self.p2_ctl.next = self.k_zero16.val();
        if self.p2_flag.q.val() {
            self.p2_ctl.next = self.ram.rd_ctl.val();
        }
        self.s2_m1.y.next = self.p2_y.q.val();
        self.s2_m2.y.next = self.p2_y.q.val();
        self.s2_ny.next = !self.p2_y.q.val();
        self.s2_abs.next = bit_cast::<17, 16>(self.p2_y.q.val());
        if self.p2_y.q.val().get_bit(15) {
            self.s2_abs.next = bit_cast::<17, 16>(self.s2_ny.val()) + self.k_one17.val();
        }
        self.s2_abs20.next = bit_cast::<20, 17>(self.s2_abs.val());
        self.s2_below.next = false;
        if self.p2_y.q.val().get_bit(15) {
            if self.s2_abs20.val() > self.p2_thr.q.val() {
                self.s2_below.next = true;
            }
        }
        self.s2_ref.next = self.p2_ctl.val() & self.k_ref_mask.val();
        self.s2_blocked.next = false;
        if self.s2_ref.val() != self.k_zero16.val() {
            self.s2_blocked.next = true;
        }
        self.s2_prev_below.next = self.p2_ctl.val().get_bit(6);
        // the rail rule: quiet at a rail and while the hold-off count (ctl bits 7..12) runs
        self.s2_rail.next = self.p2_ctl.val() & self.k_rail_mask.val();
        self.s2_quiet.next = self.p2_atrail.q.val();
        if self.s2_rail.val() != self.k_zero16.val() {
            self.s2_quiet.next = true;
        }
        self.s2_rail_next.next = self.k_zero16.val();
        if self.s2_rail.val() != self.k_zero16.val() {
            self.s2_rail_next.next = self.s2_rail.val() - self.k_rail_one.val();
        }
        if self.p2_atrail.q.val() {
            self.s2_rail_next.next = self.k_rail_init.val();
        }
        // the saturation rule (FORMAT.md §12.3): ctl bit 13 = rejected, bits 14..15 = count;
        // at a period's end a quiet sample counts towards rejection (3 in a row), and for a
        // rejected channel an epoch's end without one counts towards release (3 epochs)
        self.s2_rej.next = self.p2_ctl.val().get_bit(13);
        self.s2_scnt.next = self.p2_ctl.val() & self.k_sat_mask.val();
        self.s2_scntp.next = self.s2_scnt.val() + self.k_sat_one.val();
        self.s2_sat.next = self.s2_scnt.val();
        if self.s2_rej.val() {
            self.s2_sat.next = self.s2_scnt.val() | self.k_rej_bit.val();
        }
        if self.k_sat_on.val() & self.p2_pend.q.val() {
            if !self.s2_rej.val() {
                self.s2_sat.next = self.k_zero16.val();
                if self.s2_quiet.val() {
                    self.s2_sat.next = self.s2_scntp.val();
                    if self.s2_scntp.val() == self.k_sat_full.val() {
                        self.s2_sat.next = self.k_rej_bit.val();
                    }
                }
            } else {
                if self.s2_quiet.val() {
                    self.s2_sat.next = self.k_rej_bit.val();
                } else {
                    if self.p2_eend.q.val() {
                        self.s2_sat.next = self.s2_scntp.val() | self.k_rej_bit.val();
                        if self.s2_scntp.val() == self.k_sat_full.val() {
                            self.s2_sat.next = self.k_zero16.val();
                        }
                    }
                }
            }
        }
        self.s2_event.next = self.s2_below.val()
            & (!self.s2_prev_below.val())
            & (!self.s2_blocked.val())
            & (!self.p2_warm.q.val())
            & (!self.s2_quiet.val())
            & (!self.s2_rej.val());
        self.s2_ref_next.next = self.k_zero16.val();
        if self.s2_blocked.val() {
            self.s2_ref_next.next = self.s2_ref.val() - self.k_one16.val();
        }
        if self.s2_event.val() {
            self.s2_ref_next.next = self.k_ref_init.val();
        }
        self.s2_ctl.next = (self.s2_ref_next.val() | self.s2_rail_next.val()) | self.s2_sat.val();
        if self.s2_below.val() {
            self.s2_ctl.next = ((self.s2_ref_next.val() | self.s2_rail_next.val())
                | self.s2_sat.val())
                | self.k_below_bit.val();
        }
        // the noise term: min(|y|, clip), or the estimate's mean (est + 8) >> 4 when quiet,
        // as (est >> 4) + est[3]
        self.s2_qhi.next = bit_cast::<16, 12>(self.p2_est.q.val().get_bits::<12>(4));
        self.s2_qterm.next = self.s2_qhi.val();
        if self.p2_est.q.val().get_bit(3) {
            self.s2_qterm.next = self.s2_qhi.val() + self.k_one16.val();
        }
        self.s2_term.next = self.s2_abs20.val();
        if self.s2_abs20.val() > self.p2_clip.q.val() {
            self.s2_term.next = self.p2_clip.q.val();
        }
        if self.s2_quiet.val() {
            self.s2_term.next = bit_cast::<20, 16>(self.s2_qterm.val());
        }
        self.s2_pterm.data.next = self.s2_abs.val() + self.k_round17.val();
        self.s2_pterm.amount.next = self.k_ps.val();
        // est − 2^(sh−1): the estimate's update rounds to nearest (FORMAT.md §12.3)
        // 2^(sh−1) as (sh ≠ 0) << (sh − 1): no bit of the shifter is left unused
        self.s2_halfs.data.next = self.k_zero16.val();
        if self.p2_shift.q.val() != self.k_zero4.val() {
            self.s2_halfs.data.next = self.k_one16.val();
        }
        self.s2_halfs.amount.next = self.p2_shift.q.val() - self.k_one4.val();
        self.s2_half.next = self.s2_halfs.result.val();
        self.s2_estmh.next =
            bit_cast::<18, 16>(self.p2_est.q.val()) - bit_cast::<18, 16>(self.s2_half.val());
        // the control field is written only when it changes to a non-zero value; its flag
        // when it turns zero or non-zero
        self.s2_nz.next = false;
        if self.s2_ctl.val() != self.k_zero16.val() {
            self.s2_nz.next = true;
        }
        // (the two are combined a stage later, off stage s2's longest path)
        self.s2_ctlw.next = false;
        if self.s2_ctl.val() != self.p2_ctl.val() {
            self.s2_ctlw.next = true;
        }
        if self.adv.val() {
            self.p3_valid.d.next = self.p2_valid.q.val();
            self.p3_ch.d.next = self.p2_ch.q.val();
            self.p3_r1.d.next = self.s2_m1.result.val();
            self.p3_r2.d.next = self.s2_m2.result.val();
            self.p3_xin.d.next = self.p2_xin.q.val();
            self.p3_s2.d.next = self.p2_s2.q.val();
            self.p3_est.d.next = self.p2_est.q.val();
            self.p3_noise.d.next = self.p2_noise.q.val();
            self.p3_pow.d.next = self.p2_pow.q.val();
            self.p3_term.d.next = self.s2_term.val();
            self.p3_pterm.d.next = self.s2_pterm.result.val();
            self.p3_ctl.d.next = self.s2_ctl.val();
            self.p3_event.d.next = self.s2_event.val();
            self.p3_power.d.next = self.p2_power.q.val();
            self.p3_nacc.d.next = self.p2_nacc.q.val();
            self.p3_pend.d.next = self.p2_pend.q.val();
            self.p3_shift.d.next = self.p2_shift.q.val();
            self.p3_last.d.next = self.p2_last.q.val();
            self.p3_segend.d.next = self.p2_segend.q.val();
            self.p3_pacc.d.next = self.p2_pacc.q.val();
            self.p3_estmh.d.next = self.s2_estmh.val();
            self.p3_ctlw.d.next = self.s2_ctlw.val();
            self.p3_flag.d.next = self.p2_flag.q.val();
            self.p3_nz.d.next = self.s2_nz.val();
        }

        // ---- s3: the new filter states; the noise and power sums (saturating)
        self.s3_s1.a.next = self.p3_s2.q.val();
        self.s3_s1.b.next = self.p3_r1.q.val();
        self.s3_s2.a.next = self.p3_xin.q.val();
        self.s3_s2.b.next = self.p3_r2.q.val();
        self.s3_nsum.next = bit_cast::<20, 16>(self.p3_noise.q.val()) + self.p3_term.q.val();
        self.s3_noise.next = self.p3_noise.q.val();
        if self.p3_nacc.q.val() {
            self.s3_noise.next = bit_cast::<16, 20>(self.s3_nsum.val());
            if self.s3_nsum.val() > self.k_ones_est.val() {
                self.s3_noise.next = self.k_ones16.val();
            }
        }
        self.s3_psum.next = bit_cast::<18, 16>(self.p3_pow.q.val());
        if self.p3_pacc.q.val() {
            self.s3_psum.next =
                bit_cast::<18, 16>(self.p3_pow.q.val()) + bit_cast::<18, 17>(self.p3_pterm.q.val());
        }
        self.s3_pow.next = bit_cast::<16, 18>(self.s3_psum.val());
        self.s3_pover.next = self.s3_psum.val().get_bit(16) | self.s3_psum.val().get_bit(17);
        if self.s3_pover.val() {
            self.s3_pow.next = self.k_ones16.val();
        }
        if self.adv.val() {
            self.q_valid.d.next = self.p3_valid.q.val();
            self.q_ch.d.next = self.p3_ch.q.val();
            self.q_s1.d.next = self.s3_s1.result.val();
            self.q_s2.d.next = self.s3_s2.result.val();
            self.q_est.d.next = self.p3_est.q.val();
            self.q_noise.d.next = self.s3_noise.val();
            self.q_pow.d.next = self.s3_pow.val();
            self.q_ctl.d.next = self.p3_ctl.q.val();
            self.q_event.d.next = self.p3_event.q.val();
            self.q_power.d.next = self.p3_power.q.val();
            self.q_nacc.d.next = self.p3_nacc.q.val();
            self.q_pend.d.next = self.p3_pend.q.val();
            self.q_shift.d.next = self.p3_shift.q.val();
            self.q_last.d.next = self.p3_last.q.val();
            self.q_segend.d.next = self.p3_segend.q.val();
            self.q_powrw.d.next = self.p3_pacc.q.val() | self.p3_power.q.val();
            self.q_estmh.d.next = self.p3_estmh.q.val();
            self.q_ctlw.d.next = self.p3_ctlw.q.val() & self.p3_nz.q.val();
            self.q_fw.d.next = self.p3_nz.q.val() ^ self.p3_flag.q.val();
            self.q_nz.d.next = self.p3_nz.q.val();
        }

        // ---- s3b (register q): the estimate's update, the write-back, the power code
        // target = min(65535, (noise << 4) >> (n − u))
        self.s3_shl.data.next = bit_cast::<20, 16>(self.q_noise.q.val());
        self.s3_shl.amount.next = self.k_four.val();
        self.s3_tgt.data.next = self.s3_shl.result.val();
        self.s3_tgt.amount.next = self.k_nu.val();
        self.s3_target.next = bit_cast::<16, 20>(self.s3_tgt.result.val());
        if self.s3_tgt.result.val() > self.k_ones_est.val() {
            self.s3_target.next = self.k_ones16.val();
        }
        self.s3_diff.next = bit_cast::<18, 16>(self.s3_target.val()) - self.q_estmh.q.val();
        self.s3_step.d.next = self.s3_diff.val();
        self.s3_step.s.next = self.q_shift.q.val();
        self.s3_est18.next = bit_cast::<18, 16>(self.q_est.q.val()) + self.s3_step.result.val();
        self.s3_est.next = bit_cast::<16, 18>(self.s3_est18.val());
        self.s3_pcode.v.next = self.q_pow.q.val();

        self.ram.write_address.next = self.q_ch.q.val();
        self.ram.wr_s1.next = self.q_s1.q.val();
        self.ram.wr_s2.next = self.q_s2.q.val();
        self.ram.wr_est.next = self.s3_est.val();
        self.ram.wr_noise.next = self.q_noise.q.val();
        if self.q_pend.q.val() {
            self.ram.wr_noise.next = self.k_zero16.val();
        }
        self.ram.wr_pow.next = self.q_pow.q.val();
        if self.q_power.q.val() {
            self.ram.wr_pow.next = self.k_zero16.val();
        }
        self.ram.wr_ctl.next = self.q_ctl.q.val();
        self.ram.write_main.next = self.q_valid.q.val() & self.adv.val();
        self.ram.write_est.next = self.q_valid.q.val() & self.adv.val() & self.q_pend.q.val();
        self.s3_nwrite.next = self.q_nacc.q.val() | self.q_pend.q.val();
        self.ram.write_noise.next = self.q_valid.q.val() & self.adv.val() & self.s3_nwrite.val();
        self.ram.write_pow.next = self.q_valid.q.val() & self.adv.val() & self.q_powrw.q.val();
        self.ram.write_ctl.next = self.q_valid.q.val() & self.adv.val() & self.q_ctlw.q.val();
        self.ram.wr_flag.next = self.q_nz.q.val();
        self.ram.flag_write.next = self.s3_fwr.val();
        if self.clr_busy.q.val() {
            self.ram.write_address.next = self.clr_addr.q.val();
            self.ram.wr_s1.next = self.k_zero16.val();
            self.ram.wr_s2.next = self.k_zero16.val();
            self.ram.wr_est.next = self.k_zero16.val();
            self.ram.wr_noise.next = self.k_zero16.val();
            self.ram.wr_pow.next = self.k_zero16.val();
            self.ram.wr_ctl.next = self.k_zero16.val();
            self.ram.write_main.next = true;
            self.ram.write_est.next = true;
            self.ram.write_noise.next = true;
            self.ram.write_pow.next = true;
            self.ram.write_ctl.next = true;
            self.ram.wr_flag.next = false;
            self.ram.flag_write.next = true;
        }
        if self.adv.val() {
            self.p4_valid.d.next = self.q_valid.q.val();
            self.p4_ch.d.next = self.q_ch.q.val();
            self.p4_event.d.next = self.q_event.q.val();
            self.p4_power.d.next = self.q_power.q.val();
            self.p4_last.d.next = self.q_last.q.val();
            self.p4_segend.d.next = self.q_segend.q.val();
            self.p4_pcode.d.next = self.s3_pcode.code.val();
        }

        // ---- s4: the sample's code and its length (FORMAT.md §12.6)
        self.s4_ch16.next = bit_cast::<16, C>(self.p4_ch.q.val());
        self.s4_ch2.data.next = self.s4_ch16.val();
        self.s4_ch2.amount.next = self.k_one1.val();
        self.s4_code.next = self.k_zero16.val();
        self.s4_len.next = self.k_zero5.val();
        if self.p4_power.q.val() {
            self.s4_code.next = self.p4_pcode.q.val();
            if self.p4_event.q.val() {
                self.s4_code.next = self.p4_pcode.q.val() | self.k_flagbit.val();
            }
            self.s4_len.next = self.k_len_power.val();
        } else {
            if self.p4_event.q.val() {
                if self.p4_last.q.val() {
                    self.s4_code.next = self.k_evbit_last.val() | self.s4_ch2.result.val();
                    self.s4_len.next = self.k_len_ev_last.val();
                } else {
                    self.s4_code.next = self.k_evbit.val() | self.s4_ch16.val();
                    self.s4_len.next = self.k_len_ev.val();
                }
            } else {
                if self.p4_last.q.val() {
                    self.s4_len.next = self.k_one5.val();
                }
            }
        }
        if self.adv.val() {
            self.p5_valid.d.next = false;
            if self.p4_valid.q.val() {
                if self.s4_len.val() != self.k_zero5.val() {
                    self.p5_valid.d.next = true;
                }
            }
            self.p5_code.d.next = self.s4_code.val();
            self.p5_len.d.next = self.s4_len.val();
            self.p5_event.d.next = self.p4_event.q.val();
            self.p5_last.d.next = self.p4_last.q.val();
            self.p5_segend.d.next = self.p4_segend.q.val();
        }

        // ---- s5: left-align the code in 32 bits
        self.s5_gap.next = self.k_32_6.val() - bit_cast::<6, 5>(self.p5_len.q.val());
        self.s5_placed.data.next = bit_cast::<32, 16>(self.p5_code.q.val());
        self.s5_placed.amount.next = self.s5_gap.val();
        if self.adv.val() {
            self.p6_valid.d.next = self.p5_valid.q.val();
            self.p6_code.d.next = self.s5_placed.result.val();
            self.p6_len.d.next = self.p5_len.q.val();
            self.p6_event.d.next = self.p5_event.q.val();
            self.p6_last.d.next = self.p5_last.q.val();
            self.p6_segend.d.next = self.p5_segend.q.val();
        }

        // ---- s6: pack at bit nb; the latency rule and the segment's end at a frame's end
        self.s6_total.next =
            bit_cast::<6, 5>(self.nb.q.val()) + bit_cast::<6, 5>(self.p6_len.q.val());
        self.s6_rem.next = bit_cast::<5, 6>(self.s6_total.val());
        self.s6_tail.data.next = self.p6_code.q.val();
        self.s6_tail.amount.next = self.nb.q.val();
        self.s6_hi.next = self.acc.q.val() | self.s6_tail.result.val();
        self.s6_lo_shift.next = self.k_32_6.val() - bit_cast::<6, 5>(self.nb.q.val());
        self.s6_lo.data.next = self.p6_code.q.val();
        self.s6_lo.amount.next = self.s6_lo_shift.val();
        self.s6_emitted.next = self.s6_total.val().get_bit(5);
        self.s6_partial.next = false;
        if self.s6_rem.val() != self.k_zero5.val() {
            self.s6_partial.next = true;
        }
        self.s6_evpart.next = self.p6_event.q.val() & self.s6_partial.val();
        // the oldest event with bits in the partial word, and its age in frames
        self.s6_pend.next = self.pend.q.val() | self.s6_evpart.val();
        self.s6_age.next = self.age.q.val();
        if !self.pend.q.val() {
            self.s6_age.next = self.k_zero8.val();
        }
        if self.s6_emitted.val() {
            self.s6_pend.next = self.s6_evpart.val();
            self.s6_age.next = self.k_zero8.val();
        }
        self.s6_due.next = false;
        if self.s6_pend.val() & self.k_lat_on.val() {
            if self.s6_age.val() >= self.k_lat_m1.val() {
                self.s6_due.next = true;
            }
        }
        self.s6_why.next = self.s6_due.val() | self.p6_segend.q.val();
        self.s6_pad.next = self.p6_last.q.val() & self.s6_partial.val() & self.s6_why.val();

        if self.out_full.q.val() & self.out_ready.val() {
            self.out_full.d.next = false;
        }
        // a pad word that waited one clock behind a full word
        if self.sflush.q.val() & self.adv_out.val() {
            self.out_full.d.next = true;
            self.out_reg.d.next = self.acc.q.val();
            self.out_lreg.d.next = self.sflush_last.q.val();
            self.acc.d.next = self.k_zero32.val();
            self.nb.d.next = self.k_zero5.val();
            self.sflush.d.next = false;
        }
        if self.adv.val() {
            if self.p6_valid.q.val() {
                self.nb.d.next = self.s6_rem.val();
                self.acc.d.next = self.s6_hi.val();
                self.pend.d.next = self.s6_pend.val();
                self.age.d.next = self.s6_age.val();
                if self.s6_emitted.val() {
                    self.acc.d.next = self.s6_lo.result.val();
                    self.out_full.d.next = true;
                    self.out_reg.d.next = self.s6_hi.val();
                    // a word ending exactly at the segment's end is its last
                    self.out_lreg.d.next = self.p6_segend.q.val() & (!self.s6_partial.val());
                }
                if self.p6_last.q.val() {
                    if self.s6_pad.val() {
                        self.pend.d.next = false;
                        self.age.d.next = self.k_zero8.val();
                        if self.s6_emitted.val() {
                            // the partial word follows one clock later
                            self.sflush.d.next = true;
                            self.sflush_last.d.next = self.p6_segend.q.val();
                        } else {
                            self.out_full.d.next = true;
                            self.out_reg.d.next = self.s6_hi.val();
                            self.out_lreg.d.next = self.p6_segend.q.val();
                            self.acc.d.next = self.k_zero32.val();
                            self.nb.d.next = self.k_zero5.val();
                        }
                    } else {
                        if self.s6_pend.val() {
                            if self.s6_age.val() != self.k_age_max.val() {
                                self.age.d.next = self.s6_age.val() + self.k_one8.val();
                            }
                        }
                    }
                }
            } else if (self.flush.val() | self.clear.val()) & self.empty.val() {
                // end of stream: the partial word goes out (flush) or is dropped (clear)
                if self.nb.q.val() != self.k_zero5.val() {
                    if !self.clear.val() {
                        self.out_full.d.next = true;
                        self.out_reg.d.next = self.acc.q.val();
                        self.out_lreg.d.next = true;
                    }
                    self.acc.d.next = self.k_zero32.val();
                    self.nb.d.next = self.k_zero5.val();
                }
                self.pend.d.next = false;
                self.age.d.next = self.k_zero8.val();
            }
        }
        // clear starts once the pipeline has drained and its words were taken
        if (!self.clr_busy.q.val()) & self.clear.val() & (!self.clr_spent.q.val()) {
            if self.base_idle.val() {
                self.clr_busy.d.next = true;
                self.clr_spent.d.next = true;
                self.clr_addr.d.next = self.k_ch_zero.val();
                self.bin_pos.d.next = self.k_zero16.val();
                self.seg_bin.d.next = self.k_zero8.val();
                self.nframe.d.next = self.k_zero12.val();
                self.period.d.next = self.k_zero16.val();
                self.epoch.d.next = self.k_zero8.val();
            }
        }
    }
}
