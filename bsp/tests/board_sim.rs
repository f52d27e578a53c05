//! The board logic with the real encoder core (everything of `CuTop` below the PLL), in
//! rust-hdl's simulator driven directly, talked to through a model of the FTDI's UART.
//!
//! The PLL is not simulated: `SB_PLL40_CORE` is a vendor primitive, and a clock routed through
//! a sub-block's output gives rust-hdl zero register delay. The bench drives
//! [`BoardSystem`]'s clock, `pll_locked` and the reset button itself.
//!
//! Each cycle: inputs (the host's TX line) set with the clock low, settle, clock high, settle,
//! then the host's receiver samples the board's TX line. Most tests run the UART at a reduced
//! divisor (8 core clocks per bit instead of 50 on the board) so that a few hundred samples
//! simulate in seconds; one test uses the board's real divisor.

use std::collections::VecDeque;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use neurice_bsp::protocol::{self, CMD_FLUSH};
use neurice_bsp::{BoardParams, BoardSystem, BoardSystemMax, SystemConfig};
use neurice_model::lite::Encoder;
use neurice_model::CodecParams;
use rust_hdl::prelude::*;

use neurice_testkit::spiky_walk as signal;

/// Settling iterations allowed per half cycle.
const SETTLE: usize = 200;

/// The FTDI side of the serial link: an 8N1 transmitter and receiver at `divisor` core clock
/// cycles per bit, sampling the board's line once per core clock.
struct HostUart {
    divisor: u32,
    /// Idle bit times between transmitted bytes.
    gap_bits: u32,
    to_send: VecDeque<u8>,
    /// Line levels of the byte being sent, one per core clock, in order.
    tx_bits: VecDeque<bool>,
    rx: RxState,
    received: Vec<u8>,
    framing_errors: usize,
}

#[derive(Clone, Copy)]
enum RxState {
    Idle,
    /// Counting down to the middle of the start bit.
    Start(u32),
    /// Counting down to the middle of data bit `bit`, byte so far.
    Data {
        left: u32,
        bit: u32,
        byte: u8,
    },
    Stop {
        left: u32,
        byte: u8,
    },
}

impl HostUart {
    fn new(divisor: u32, gap_bits: u32) -> Self {
        HostUart {
            divisor,
            gap_bits,
            to_send: VecDeque::new(),
            tx_bits: VecDeque::new(),
            rx: RxState::Idle,
            received: Vec::new(),
            framing_errors: 0,
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.to_send.extend(bytes);
    }

    fn sending(&self) -> bool {
        !self.to_send.is_empty() || !self.tx_bits.is_empty()
    }

    /// The host's TX line for the next core clock.
    fn tx_line(&mut self) -> bool {
        if self.tx_bits.is_empty() {
            if let Some(b) = self.to_send.pop_front() {
                let d = self.divisor as usize;
                let mut level = |v: bool, n: usize| {
                    for _ in 0..n {
                        self.tx_bits.push_back(v);
                    }
                };
                level(false, d);
                for i in 0..8 {
                    level((b >> i) & 1 == 1, d);
                }
                level(true, d);
                level(true, d * self.gap_bits as usize);
            }
        }
        self.tx_bits.pop_front().unwrap_or(true)
    }

    /// Samples the board's TX line (once per core clock).
    fn rx_sample(&mut self, line: bool) {
        let d = self.divisor;
        self.rx = match self.rx {
            RxState::Idle if !line => RxState::Start(d / 2 - 1),
            RxState::Idle => RxState::Idle,
            RxState::Start(0) if line => RxState::Idle, // a glitch
            RxState::Start(0) => RxState::Data {
                left: d - 1,
                bit: 0,
                byte: 0,
            },
            RxState::Start(n) => RxState::Start(n - 1),
            RxState::Data { left: 0, bit, byte } => {
                let byte = byte | ((line as u8) << bit);
                if bit == 7 {
                    RxState::Stop { left: d - 1, byte }
                } else {
                    RxState::Data {
                        left: d - 1,
                        bit: bit + 1,
                        byte,
                    }
                }
            }
            RxState::Data { left, bit, byte } => RxState::Data {
                left: left - 1,
                bit,
                byte,
            },
            RxState::Stop { left: 0, byte } => {
                if line {
                    self.received.push(byte);
                } else {
                    self.framing_errors += 1;
                }
                RxState::Idle
            }
            RxState::Stop { left, byte } => RxState::Stop {
                left: left - 1,
                byte,
            },
        };
    }
}

/// A board system the bench drives: [`BoardSystem`] (coder v1) or [`BoardSystemMax`].
trait Board: Block + Sized {
    fn build(cfg: &SystemConfig) -> Result<Self>;
    /// Sets the clock, and the inputs (PLL locked, button released, the host's TX line).
    fn drive(&mut self, clock_high: bool, line: bool);
    fn uart_tx(&self) -> bool;
    fn leds(&self) -> u8;
    fn core_state(&self) -> String;
}

macro_rules! board {
    ($t:ty, $state:ident) => {
        impl Board for $t {
            fn build(cfg: &SystemConfig) -> Result<Self> {
                <$t>::new(cfg)
            }
            fn drive(&mut self, clock_high: bool, line: bool) {
                self.clock.next = Clock::from(clock_high);
                self.pll_locked.next = true;
                self.reset_btn_n.next = true;
                self.uart_rx.next = line;
            }
            fn uart_tx(&self) -> bool {
                self.uart_tx.val()
            }
            fn leds(&self) -> u8 {
                self.leds.val().to_u32() as u8
            }
            fn core_state(&self) -> String {
                format!("{}", self.core.$state())
            }
        }
    };
}

board!(BoardSystem, pipeline_state);
board!(BoardSystemMax, debug_state);

/// The board logic under test, its clock and the host.
struct Bench<S: Board> {
    sys: Box<S>,
    host: HostUart,
    cycles: u64,
}

impl<S: Board> Bench<S> {
    fn new(cfg: &SystemConfig, gap_bits: u32) -> Result<Self> {
        let mut sys = Box::new(S::build(cfg)?);
        sys.connect_all();
        if let Err(e) = check_all(sys.as_ref()) {
            bail!("rust-hdl check of the board system failed: {e:?}");
        }
        let mut b = Bench {
            sys,
            host: HostUart::new(cfg.baud_divisor, gap_bits),
            cycles: 0,
        };
        // power-up: PLL locked, button released; the reset synchroniser needs two edges
        for _ in 0..4 {
            b.cycle()?;
        }
        Ok(b)
    }

    fn settle(&mut self) -> Result<()> {
        if !simulate(self.sys.as_mut(), SETTLE) {
            bail!("the board logic did not settle within {SETTLE} iterations");
        }
        Ok(())
    }

    fn cycle(&mut self) -> Result<()> {
        let line = self.host.tx_line();
        self.sys.drive(false, line);
        self.settle()?;
        self.sys.drive(true, line);
        self.settle()?;
        let tx = self.sys.uart_tx();
        self.host.rx_sample(tx);
        self.cycles += 1;
        Ok(())
    }

    fn leds(&self) -> u8 {
        self.sys.leds()
    }

    /// Runs until the host has sent everything and received `bytes` bytes, then a further
    /// two byte times (to catch bytes that should not be there).
    fn run_until_received(&mut self, bytes: usize) -> Result<()> {
        let byte_cycles = 10 * self.host.divisor as u64;
        let cap = self.cycles
            + (self.host.to_send.len() as u64 * (10 + self.host.gap_bits as u64) + 16)
                * self.host.divisor as u64
            + (bytes as u64 + 16) * byte_cycles;
        while self.host.sending() || self.host.received.len() < bytes {
            self.cycle()?;
            if self.cycles > cap {
                bail!(
                    "stuck: after {} cycles received {} of {bytes} bytes; LEDs {:08b}; core {}",
                    self.cycles,
                    self.host.received.len(),
                    self.leds(),
                    self.sys.core_state()
                );
            }
        }
        for _ in 0..2 * byte_cycles {
            self.cycle()?;
        }
        Ok(())
    }
}

fn cfg(divisor: u32, default_channels: u16) -> SystemConfig {
    SystemConfig {
        coder: CodecParams::HARDWARE.into(),
        baud_divisor: divisor,
        default_channels,
        heartbeat_half_period: 1000,
    }
}

/// Golden-model words of consecutive segments of one session (flushed after each).
fn golden_segments(channels: usize, segments: &[&[u16]]) -> Vec<Vec<u32>> {
    let mut enc = Encoder::new(CodecParams::HARDWARE, channels).unwrap();
    segments
        .iter()
        .map(|seg| {
            let mut words: Vec<u32> = seg.iter().filter_map(|&x| enc.push(x as u32).1).collect();
            words.extend(enc.flush());
            words
        })
        .collect()
}

/// Sends one stream (set channel count, samples, flush) to a fresh board and checks the
/// received words against the golden model, bit for bit, and the decoded samples against the
/// input.
fn round_trip(divisor: u32, channels: usize, samples: &[u16]) -> Result<()> {
    let t0 = Instant::now();
    let mut b = Bench::<BoardSystem>::new(&cfg(divisor, 1), 0)?;
    b.host.send(&protocol::stream_bytes(channels, samples)?);
    let expected = golden_segments(channels, &[samples]).remove(0);
    b.run_until_received(4 * (expected.len() + 1))
        .with_context(|| format!("{channels} channels, {} samples", samples.len()))?;
    let words = protocol::words_from_bytes(&b.host.received)?;
    let data = protocol::split_trailer(&words)?;
    assert_eq!(
        b.host.framing_errors, 0,
        "framing errors on the board's TX line"
    );
    assert_eq!(
        data,
        &expected[..],
        "{channels} ch: words differ from the golden model"
    );
    let decoded = protocol::decode_words(&CodecParams::HARDWARE, channels, samples.len(), data)?;
    assert_eq!(decoded, samples, "{channels} ch: decoded samples differ");
    let leds = b.leds();
    assert_eq!(leds & 0b0110_0000, 0, "overflow/error LEDs lit: {leds:08b}");
    assert_eq!(
        leds & 0b0000_0110,
        0b110,
        "running and idle LEDs: {leds:08b}"
    );
    eprintln!(
        "{channels} ch, {} samples, divisor {divisor}: {} words + trailer, {} cycles, {:.1} s",
        samples.len(),
        data.len(),
        b.cycles,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

#[test]
fn one_channel_round_trip() -> Result<()> {
    round_trip(8, 1, &signal(400, 1))
}

#[test]
fn two_channels_round_trip() -> Result<()> {
    round_trip(8, 2, &signal(300, 2))
}

#[test]
fn five_channels_round_trip_odd_divisor() -> Result<()> {
    // 5 channels: the channel counter wraps at a value that is not a power of two;
    // divisor 7: odd, so the half-bit sampling point is not exactly in the middle
    round_trip(7, 5, &signal(300, 3))
}

#[test]
fn board_divisor_round_trip() -> Result<()> {
    // the divisor the default bitstream uses (core clock / 1 Mbaud)
    let (_, c) = BoardParams::default().resolve()?;
    round_trip(c.baud_divisor, 3, &signal(60, 4))
}

#[test]
fn segments_carry_state_and_default_channel_count() -> Result<()> {
    // no set-channel command: the build's default channel count (2) applies; two flushed
    // segments; the second is coded from the state the first left
    let mut b = Bench::<BoardSystem>::new(&cfg(8, 2), 1)?;
    let a = signal(150, 5);
    let c = signal(101, 6);
    let expected = golden_segments(2, &[&a, &c]);
    let mut bytes = Vec::new();
    for seg in [&a, &c] {
        for &x in seg.iter() {
            protocol::push_value(&mut bytes, x);
        }
        protocol::push_value(&mut bytes, CMD_FLUSH);
    }
    b.host.send(&bytes);
    b.run_until_received(4 * (expected[0].len() + expected[1].len() + 2))?;
    let words = protocol::words_from_bytes(&b.host.received)?;
    let (first, second) = words.split_at(expected[0].len() + 1);
    assert_eq!(protocol::split_trailer(first)?, &expected[0][..]);
    assert_eq!(protocol::split_trailer(second)?, &expected[1][..]);
    assert_eq!(
        protocol::decode_words(&CodecParams::HARDWARE, 2, a.len(), &expected[0])?,
        a
    );
    assert_eq!(b.leds() & 0b0110_0000, 0);
    Ok(())
}

#[test]
fn clear_starts_an_independent_stream() -> Result<()> {
    // segment, flush, clear, segment, flush: the second segment is what a fresh encoder gives
    // and decodes on its own
    let mut b = Bench::<BoardSystem>::new(&cfg(8, 2), 1)?;
    let a = signal(120, 7);
    let c = signal(90, 8);
    let first = golden_segments(2, &[&a]).remove(0);
    let second = golden_segments(2, &[&c]).remove(0);
    let mut bytes = Vec::new();
    for &x in &a {
        protocol::push_value(&mut bytes, x);
    }
    protocol::push_value(&mut bytes, CMD_FLUSH);
    protocol::push_value(&mut bytes, protocol::CMD_CLEAR);
    for &x in &c {
        protocol::push_value(&mut bytes, x);
    }
    protocol::push_value(&mut bytes, CMD_FLUSH);
    b.host.send(&bytes);
    b.run_until_received(4 * (first.len() + second.len() + 2))?;
    let words = protocol::words_from_bytes(&b.host.received)?;
    let (w1, w2) = words.split_at(first.len() + 1);
    assert_eq!(protocol::split_trailer(w1)?, &first[..]);
    assert_eq!(protocol::split_trailer(w2)?, &second[..]);
    assert_eq!(
        protocol::decode_words(&CodecParams::HARDWARE, 2, c.len(), &second)?,
        c
    );
    assert_eq!(b.leds() & 0b0110_0000, 0);
    Ok(())
}

#[test]
fn clear_without_flush_drops_the_unfinished_word() -> Result<()> {
    // segment, clear (no flush), segment, flush: the first segment's complete words arrive,
    // its partial word is dropped, and the second segment is a fresh stream
    let mut b = Bench::<BoardSystem>::new(&cfg(8, 1), 0)?;
    let a = signal(100, 9);
    let c = signal(80, 10);
    let mut enc = Encoder::new(CodecParams::HARDWARE, 1).unwrap();
    let first: Vec<u32> = a.iter().filter_map(|&x| enc.push(x as u32).1).collect();
    assert!(
        enc.flush().is_some(),
        "the first segment must leave a partial word"
    );
    let second = golden_segments(1, &[&c]).remove(0);
    let mut bytes = Vec::new();
    for &x in &a {
        protocol::push_value(&mut bytes, x);
    }
    protocol::push_value(&mut bytes, protocol::CMD_CLEAR);
    for &x in &c {
        protocol::push_value(&mut bytes, x);
    }
    protocol::push_value(&mut bytes, CMD_FLUSH);
    b.host.send(&bytes);
    b.run_until_received(4 * (first.len() + second.len() + 1))?;
    let words = protocol::words_from_bytes(&b.host.received)?;
    let data = protocol::split_trailer(&words)?;
    assert_eq!(&data[..first.len()], &first[..]);
    assert_eq!(&data[first.len()..], &second[..]);
    Ok(())
}

#[test]
fn unknown_command_lights_the_error_led_and_is_skipped() -> Result<()> {
    let mut b = Bench::<BoardSystem>::new(&cfg(8, 1), 0)?;
    let samples = signal(40, 7);
    let mut bytes = Vec::new();
    protocol::push_value(&mut bytes, protocol::set_channels(1)?);
    protocol::push_value(&mut bytes, 0x4000); // not a command
    bytes.extend(protocol::stream_bytes(1, &samples)?[2..].iter());
    b.host.send(&bytes);
    let expected = golden_segments(1, &[&samples]).remove(0);
    b.run_until_received(4 * (expected.len() + 1))?;
    let words = protocol::words_from_bytes(&b.host.received)?;
    assert_eq!(protocol::split_trailer(&words)?, &expected[..]);
    assert_eq!(b.leds() & 0b0100_0000, 0b0100_0000, "error LED");
    Ok(())
}

/// The board with the coder-max core: two streams (set channel count, samples, flush) and an
/// empty flush come back as tagged records (5 bytes each) whose segments are, byte for byte,
/// the blocks of `max::encode_block` (each segment a block of its own: the core restarts
/// after a flush), then a trailer of 0; each decodes to its samples.
#[test]
fn max_board_round_trips_tagged_blocks() -> Result<()> {
    use neurice_model::max::MaxSpec;
    let spec = MaxSpec::HARDWARE;
    let cfg = SystemConfig {
        coder: spec.into(),
        ..cfg(8, 1)
    };
    let mut b = Bench::<BoardSystemMax>::new(&cfg, 0)?;
    let a = signal(160, 13);
    let c = signal(90, 14);
    let first = protocol::max_block(&spec, 2, &a)?;
    let second = protocol::max_block(&spec, 3, &c)?;
    let words = |k: &neurice_model::max::Block| {
        let [t, r] = k.words();
        t.words.len() + r.words.len()
    };
    let mut bytes = protocol::stream_bytes(2, &a)?;
    bytes.extend(protocol::stream_bytes(3, &c)?);
    protocol::push_value(&mut bytes, CMD_FLUSH);
    b.host.send(&bytes);
    let records = words(&first) + words(&second) + 3;
    b.run_until_received(protocol::RECORD_BYTES * records)?;
    assert_eq!(b.host.framing_errors, 0);
    let recs = protocol::records_from_bytes(&b.host.received)?;
    // the core's interleaving: both substreams' words before each trailer
    let segs = protocol::max_segments(&recs)?;
    assert_eq!(segs.len(), 3);
    assert_eq!(segs[0].block(first.frames), first, "first block");
    assert_eq!(segs[1].block(second.frames), second, "second block");
    assert_eq!(
        segs[2],
        Default::default(),
        "an empty flush: a trailer of 0"
    );
    assert_eq!(segs[0].decode(&spec, 2, a.len())?, a);
    assert_eq!(segs[1].decode(&spec, 3, c.len())?, c);
    let leds = b.leds();
    assert_eq!(leds & 0b0110_0000, 0, "overflow/error LEDs lit: {leds:08b}");
    eprintln!("max board: {} records in {} cycles", recs.len(), b.cycles);
    Ok(())
}

/// The max board's clear in the middle of a block: the records of the dropped block already
/// queued arrive, then the clear's trailer (`0x61`); `max_segments` drops them, and the block
/// after the clear is the golden model's, coded from a restart.
#[test]
fn max_board_clear_drops_the_unfinished_block() -> Result<()> {
    use neurice_model::max::MaxSpec;
    let spec = MaxSpec::HARDWARE;
    let cfg = SystemConfig {
        coder: spec.into(),
        ..cfg(8, 2)
    };
    let mut b = Bench::<BoardSystemMax>::new(&cfg, 0)?;
    let a = signal(200, 17);
    let c = signal(80, 18);
    let second = protocol::max_block(&spec, 2, &c)?;
    let [t, r] = second.words();
    let mut bytes = Vec::new();
    for &x in &a {
        protocol::push_value(&mut bytes, x);
    }
    protocol::push_value(&mut bytes, protocol::CMD_CLEAR);
    for &x in &c {
        protocol::push_value(&mut bytes, x);
    }
    protocol::push_value(&mut bytes, CMD_FLUSH);
    b.host.send(&bytes);
    // at least the clear's trailer, the second block and its trailer; then until a flush's
    // trailer ends the bytes
    b.run_until_received(protocol::RECORD_BYTES * (t.words.len() + r.words.len() + 2))?;
    let done = |v: &[u8]| {
        v.len().is_multiple_of(5) && v.len() >= 5 && v[v.len() - 5] == protocol::TAG_TRAILER
    };
    let mut left = 100_000;
    while !done(&b.host.received) && left > 0 {
        b.cycle()?;
        left -= 1;
    }
    let recs = protocol::records_from_bytes(&b.host.received)?;
    let clears: Vec<&protocol::Record> = recs
        .iter()
        .filter(|r| matches!(r, protocol::Record::Cleared(_)))
        .collect();
    assert_eq!(clears.len(), 1, "one clear's trailer: {clears:?}");
    assert!(
        !matches!(recs[0], protocol::Record::Cleared(_)),
        "records of the dropped block come first"
    );
    let segs = protocol::max_segments(&recs)?;
    assert_eq!(segs.len(), 1);
    assert_eq!(
        segs[0].block(second.frames),
        second,
        "the block after the clear"
    );
    assert_eq!(segs[0].decode(&spec, 2, c.len())?, c);
    assert_eq!(b.leds() & 0b0110_0000, 0);
    Ok(())
}
