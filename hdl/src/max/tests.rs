//! The max core's arithmetic against the golden model: each leaf's function on its own, and
//! the whole byte and bit path of the core (range step, scale, `low`, the byte groups and the
//! packers, as the core chains them) on sample sequences, word for word against
//! `max::encode_block`'s substreams. (The core itself, in rust-hdl, Verilator and the
//! gate-level netlist, is compared with the model in `neurice-sim`'s tests.)

use neurice_model::lite::select_s;
use neurice_model::max::range::{self, Interval};
use neurice_model::max::{
    code_sample, context, encode_block, restart_state, token_shift, tokenise, Block, MaxParams,
    Table, ESCAPE,
};
use neurice_testkit::XorShift64;

use super::leaves::*;
use super::*;

const P: MaxParams = MaxParams::HARDWARE;

/// `RangeStep` with `FNorm` is the model's `range::step`: every `R` for a spread of
/// intervals, every frequency and both top flags for a spread of `R`.
#[test]
fn the_range_step_is_the_models() {
    let check = |range: u32, iv: Interval| {
        let (fnorm, s0) = fnorm_of(iv.freq);
        let (next, n, prod) = range_step(range, fnorm, s0, iv.top, iv.cum);
        assert_eq!(
            (next, n),
            range::step(range, iv),
            "R {range:#x}, interval {iv:?}"
        );
        assert_eq!(prod, (range >> 12) * iv.cum);
    };
    let t = Table::builtin();
    let mut rng = XorShift64::new(3);
    for c in 0..16 {
        for k in 0..32 {
            let iv = t.interval(c, k);
            for _ in 0..64 {
                check((1 << 19) | (rng.next_u64() as u32 & 0x7FFFF), iv);
            }
        }
    }
    // every R for the extremes: the smallest frequency, a top token of the least frequency
    // a top can have (128), the largest
    for iv in [
        Interval {
            cum: 5,
            freq: 1,
            top: false,
        },
        Interval {
            cum: 3968,
            freq: 128,
            top: true,
        },
        Interval {
            cum: 31,
            freq: 4065,
            top: true,
        },
    ] {
        for range in 1 << 19..1 << 20 {
            check(range, iv);
        }
    }
    // every frequency, top or not (a top one is at least 128), at a few ranges
    for freq in 1..4096 {
        for range in [1 << 19, (1 << 20) - 1, 0xA_5A5A, 0xC_0001] {
            check(
                range,
                Interval {
                    cum: 0,
                    freq,
                    top: false,
                },
            );
            if freq >= 128 {
                check(
                    range,
                    Interval {
                        cum: 4096 - freq,
                        freq,
                        top: true,
                    },
                );
            }
        }
    }
}

/// `SThermo`, `ContextBits` and `CtxSigma` are the model's `select_s`, `context` and
/// `token_shift` for every `N` and a dense spread of `A`.
#[test]
fn s_context_and_sigma_are_the_models() {
    let g = P.front_end().golomb;
    let mut th_block = SThermo::new(P.thr_num, P.thr_shift);
    let mut cb = ContextBits::default();
    let mut cs = CtxSigma::default();
    use rust_hdl::prelude::*;
    th_block.connect_all();
    cb.connect_all();
    cs.connect_all();
    for n in 0..64u32 {
        for a in (0..1u32 << 16).step_by(3).chain([65535]) {
            th_block.a.next = (a as u64).into();
            th_block.n.next = (n as u64).into();
            cb.a.next = (a as u64).into();
            cb.n.next = (n as u64).into();
            assert!(simulate(&mut th_block, 10));
            assert!(simulate(&mut cb, 10));
            cs.th.next = th_block.th.val();
            cs.sub.next = cb.sub.val();
            cs.flat.next = cb.flat.val();
            assert!(simulate(&mut cs, 10));
            let s = select_s(a, n, &g);
            assert_eq!(s_of(th_block.th.val().to_u64()), s, "A {a} N {n}");
            assert_eq!(
                cs.ctx.val().to_u64() as u32,
                context(a, n, s),
                "A {a} N {n}"
            );
            assert_eq!(
                cs.sigma.val().to_u64() as u32,
                token_shift(s),
                "A {a} N {n}"
            );
        }
    }
}

/// `Tokenise` is the model's `tokenise` for every `u` and `s`, and the first frame's raw
/// sample.
#[test]
fn tokens_and_raw_fields_are_the_models() {
    use rust_hdl::prelude::*;
    let mut t = Tokenise::default();
    t.connect_all();
    for s in 0..=18u32 {
        for u in 0..1024u32 {
            t.u.next = (u as u64).into();
            t.sigma.next = (token_shift(s) as u64).into();
            t.first.next = false;
            t.ctx.next = 9u64.into();
            assert!(simulate(&mut t, 10));
            let want = tokenise(u, s);
            assert_eq!(t.tok.val().to_u64() as u32, want.token, "u {u} s {s}");
            assert_eq!(t.raw_val.val().to_u64() as u32, want.raw, "u {u} s {s}");
            assert_eq!(t.raw_len.val().to_u64() as u32, want.raw_len, "u {u} s {s}");
            assert_eq!(t.addr.val().to_u64() as u32, 9 << 5 | want.token);
        }
    }
    t.first.next = true;
    t.x.next = 777u64.into();
    assert!(simulate(&mut t, 10));
    assert_eq!(
        (t.raw_val.val().to_u64(), t.raw_len.val().to_u64()),
        (777, 10)
    );
}

/// The core's byte and bit path as plain functions, chained as the stages chain them: the
/// words of each substream.
fn hardware_words(table: &Table, channels: usize, xs: &[u32]) -> [Vec<u32>; 2] {
    let mut states = Vec::new();
    // range side
    let mut rn_range = (1u32 << 20) - 1;
    let mut eb = 0u32;
    let mut low = LowState::default();
    let (mut tacc, mut tc) = (0u32, 0u32);
    let mut tok_words = Vec::new();
    let mut raw_words = Vec::new();
    let (mut racc, mut rnb) = (0u32, 0u32);
    let pack_bytes = |rel: Release, tacc: &mut u32, tc: &mut u32, out: &mut Vec<u32>| {
        if !rel.rel {
            return;
        }
        let (mut hp, mut n) = (rel.hp, rel.nfill);
        loop {
            let (g, k, over, rem) = byte_group(hp, rel.head, n, rel.fv, rel.tp, rel.tail);
            let (w, e, a, c) = byte_pack(*tacc, *tc, g, k);
            if e {
                out.push(w);
            }
            (*tacc, *tc) = (a, c);
            if !over {
                break;
            }
            hp = false;
            n = rem;
        }
    };
    let mut step = |sh: u32, addend: u32, low: &mut LowState, tacc: &mut u32, tc: &mut u32| {
        let (next, rel) = low_step(*low, true, addend, sh);
        *low = next;
        pack_bytes(rel, tacc, tc, &mut tok_words);
    };
    for (i, &x) in xs.iter().enumerate() {
        let (val, len) = if i < channels {
            states.push(restart_state(x, &P));
            (x, 10)
        } else {
            let c = code_sample(&states[i % channels], x, &P);
            states[i % channels] = c.next;
            let iv = table.interval(c.ctx as usize, c.token.token as usize);
            let (fnorm, s0) = fnorm_of(iv.freq);
            let (next, n, prod) = range_step(rn_range, fnorm, s0, iv.top, iv.cum);
            rn_range = next;
            let (e2, sh, addend) = e_step(eb, n, prod);
            eb = e2;
            step(sh, addend, &mut low, &mut tacc, &mut tc);
            // the raw field's value has 10 bits, its length up to 18
            let val = if c.token.token == ESCAPE {
                c.u - (29 << token_shift(c.s))
            } else {
                c.token.raw
            };
            assert_eq!(val, c.token.raw);
            (val, c.token.raw_len)
        };
        let (w, e, a, n) = raw_pack(racc, rnb, val, len);
        if e {
            raw_words.push(w);
        }
        (racc, rnb) = (a, n);
    }
    for sh in [2, 2, 1] {
        step(sh, 0, &mut low, &mut tacc, &mut tc);
    }
    tok_words.push(tacc);
    raw_words.push(racc);
    [tok_words, raw_words]
}

fn model_words(channels: usize, xs: &[u32]) -> [Vec<u32>; 2] {
    let b: Block =
        encode_block(&P, Table::builtin(), channels, xs, &mut Default::default()).unwrap();
    b.words().map(|s| s.words)
}

/// The byte and bit path of the core on a random walk, noise, extremes (every sample
/// escaping) and a signal that makes long runs of pending `0xFF` bytes likely (the token
/// of the smallest frequency over and over).
#[test]
fn the_cores_byte_and_bit_path_gives_the_models_words() {
    let mut rng = XorShift64::new(17);
    let walk: Vec<u32> = {
        let mut x = 512i32;
        (0..30_000)
            .map(|_| {
                x = (x + (rng.next_u64() % 9) as i32 - 4).clamp(0, 1023);
                x as u32
            })
            .collect()
    };
    let noise: Vec<u32> = (0..20_000)
        .map(|_| (rng.next_u64() % 1024) as u32)
        .collect();
    let extremes: Vec<u32> = (0..20_000)
        .map(|i| if i % 2 == 0 { 0 } else { 1023 })
        .collect();
    for (name, channels, xs) in [
        ("walk", 3, &walk),
        ("walk, 1 channel", 1, &walk),
        ("noise", 4, &noise),
        ("extremes", 2, &extremes),
    ] {
        assert_eq!(
            hardware_words(Table::builtin(), channels, xs),
            model_words(channels, xs),
            "{name}"
        );
    }
}

#[test]
fn other_parameters_are_refused() {
    let mut p = P;
    p.window_log2 = 5;
    assert!(check_max_params(&p)
        .unwrap_err()
        .to_string()
        .contains("window_log2"));
    let mut p = P;
    p.delta_bits = 8;
    assert!(MaxCore::<4>::new(&p, Table::builtin()).is_err());
    assert!(MaxCore::<4>::new(&P, Table::builtin()).is_ok());
    assert!(max_verilog(&P, Table::builtin(), 0).is_err());
}

#[test]
fn the_core_emits_verilog_with_the_table_in_block_ram() {
    let v = max_verilog(&P, Table::builtin(), 3).unwrap();
    assert!(v.contains("module top"), "no top module");
    // the table's 1536 bytes are initialised in the ROM: the low 16 bits of an entry in one
    // 256 × 16 memory per context half, the top 8 in one 512 × 8 memory
    assert!(v.contains("reg [7:0] mtop [0:511];") && v.contains("mtop[511] = 8'h"));
    assert!(v.contains("reg [15:0] mhi [0:255];") && v.contains("mhi[255] = 16'h"));
    assert!(v.contains("reg [15:0] mlo [0:255];") && v.contains("mlo[255] = 16'h"));
    // a read enables the 256 × 16 memory of its half only (two block RAMs per read)
    assert!(v.contains("if (re && !addr[8]) qlo <= mlo[addr[7:0]];"));
    assert!(v.contains("if (re && addr[8]) qhi <= mhi[addr[7:0]];"));
}

/// The three state RAMs of the 1024-channel core are banked (issue 26's power): each of the
/// four banks of 256 words is read and written only when the channel's top bits select it,
/// so an access enables two block RAMs (256 × 16 mode) per RAM, not all eight; and a write
/// writes only the halves (block RAMs) its sample changes.
#[test]
fn the_state_rams_are_banked() {
    let v = max_verilog(&P, Table::builtin(), 1024).unwrap();
    for b in 0..4 {
        let read = format!("if (read_enable && read_address[9:8] == 2'd{b}) begin");
        assert_eq!(v.matches(&read).count(), 3, "{read}");
        for (h, bit) in [("h", 1), ("l", 0)] {
            let write = format!(
                "if (write_enable && write_halves[{bit}] && write_address[9:8] == 2'd{b}) \
                 mem{h}{b}["
            );
            assert_eq!(v.matches(&write).count(), 3, "{write}");
            assert_eq!(
                v.matches(&format!("reg [15:0] mem{h}{b} [0:255];")).count(),
                3
            );
        }
    }
    assert!(!v.contains("memh4"));
    for w in ["hi", "mid", "lo"] {
        assert!(v.contains(&format!("ram_{w}$write_halves = sdiff$")), "{w}");
    }
}

/// `δ = 0` is the lossless core in the Verilog too: no bounded-error net, module or constant
/// (`near::Gated`, `crate::lattice::fold_false_flag`), so yosys synthesises the core it had
/// before `δ`; `δ = 1` has them.
#[test]
fn the_lossless_verilog_has_no_bounded_error_logic() {
    let near = [
        "k_near",
        "s4n_",
        "nq$",
        "nr$",
        " w_first =",
        " w_a =",
        " w_n =",
    ];
    let v = max_verilog(&P, Table::builtin(), 1024).unwrap();
    for n in near {
        assert!(!v.contains(n), "δ = 0 Verilog names {n}");
    }
    let p1 = MaxParams { max_error: 1, ..P };
    let v = max_verilog(&p1, Table::builtin(), 1024).unwrap();
    for n in near {
        assert!(v.contains(n), "δ = 1 Verilog lacks {n}");
    }
}
