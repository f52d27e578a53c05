//! The port contract every core shares, declared once: the ports `neurice-sim`'s engines and
//! harnesses drive (see the table in `neurice_sim`'s crate docs), the one channel-address
//! dispatch (`channel_bits` → a const generic) and the one way a core becomes Verilog.
//!
//! [`core_struct!`] declares a core's struct with the contract's ports in their fixed order —
//! `clock`, `in_valid`, `in_ready`, the core's own input ports (a channel and a sample, or a
//! channel pair and two samples), `flush`, `clear`, `idle`, `out_valid`, `out_ready`,
//! `out_word` — followed by the core's own fields (its end marks, sub-blocks and registers).
//! The order is the order of the ports in the emitted Verilog.

use rust_hdl::prelude::*;

use crate::HdlError;

/// Declares a core's struct (`#[derive(LogicBlock)]`) with the port contract's ports, the
/// core's own input ports in their place, then its other fields. The input ports are either
/// listed (`inputs: [pub in_pair: …, …]`) or `inputs: one_lane`: `in_channel` (`C` bits,
/// `C` the struct's const parameter) and `in_sample` (10 bits).
#[macro_export]
macro_rules! core_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<const $c:ident: usize> {
            inputs: one_lane,
            $($rest:tt)*
        }
    ) => {
        $crate::core_struct! {
            $(#[$meta])*
            pub struct $name<const $c: usize> {
                inputs: [
                    pub in_channel: Signal<In, Bits<$c>>,
                    pub in_sample: Signal<In, Bits<10>>,
                ],
                $($rest)*
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident<const $c:ident: usize> {
            inputs: [$($(#[$im:meta])* pub $inp:ident: $inty:ty),* $(,)?],
            $($rest:tt)*
        }
    ) => {
        $(#[$meta])*
        #[derive(LogicBlock)]
        pub struct $name<const $c: usize> {
            pub clock: Signal<In, Clock>,
            pub in_valid: Signal<In, Bit>,
            pub in_ready: Signal<Out, Bit>,
            $($(#[$im])* pub $inp: $inty,)*
            pub flush: Signal<In, Bit>,
            pub clear: Signal<In, Bit>,
            pub idle: Signal<Out, Bit>,
            pub out_valid: Signal<Out, Bit>,
            pub out_ready: Signal<In, Bit>,
            pub out_word: Signal<Out, Bits<32>>,
            $($rest)*
        }
    };
}

/// A core's `Self { … }` with the port contract's ports (and the listed input ports, or
/// `one_lane`'s) at their defaults, then the given fields: the constructor's half of
/// [`core_struct!`].
#[macro_export]
macro_rules! core_new {
    (inputs: one_lane, $($rest:tt)*) => {
        $crate::core_new!(inputs: [in_channel, in_sample], $($rest)*)
    };
    (inputs: [$($inp:ident),* $(,)?], $($rest:tt)*) => {
        Self {
            clock: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            $($inp: Default::default(),)*
            flush: Default::default(),
            clear: Default::default(),
            idle: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_word: Default::default(),
            $($rest)*
        }
    };
}

/// Runs `$body` with `$n` bound (as a `const usize`) to the channel-address bits `$bits`
/// (1..=10): the one dispatch from a run-time channel count to a core's const generic.
#[macro_export]
macro_rules! with_address_bits {
    ($bits:expr, $n:ident => $body:expr) => {
        match $bits {
            1 => {
                const $n: usize = 1;
                $body
            }
            2 => {
                const $n: usize = 2;
                $body
            }
            3 => {
                const $n: usize = 3;
                $body
            }
            4 => {
                const $n: usize = 4;
                $body
            }
            5 => {
                const $n: usize = 5;
                $body
            }
            6 => {
                const $n: usize = 6;
                $body
            }
            7 => {
                const $n: usize = 7;
                $body
            }
            8 => {
                const $n: usize = 8;
                $body
            }
            9 => {
                const $n: usize = 9;
                $body
            }
            _ => {
                const $n: usize = 10;
                $body
            }
        }
    };
}

/// A core (any block) connected, checked by rust-hdl and emitted as Verilog (top module
/// `top`).
pub fn emit_verilog<B: Block>(mut core: B) -> Result<String, HdlError> {
    core.connect_all();
    check_all(&core).map_err(|e| HdlError::Check(format!("{e:?}")))?;
    Ok(generate_verilog(&core))
}
