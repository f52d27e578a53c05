//! Deterministic fuzzing of the decoders, for machines without nightly Rust (`cargo fuzz` needs
//! it; see `fuzz/README.md`). The same checks as `fuzz/fuzz_targets/decode.rs`, run on thousands
//! of mutated valid streams (byte and bit changes, truncations, insertions, deletions, many of
//! them re-sealed with a fresh CRC so the parser behind the checksum is exercised) and on
//! random bytes, from a fixed-seed PRNG.
//!
//! The contract checked on every input is `neurice_model::contract` (the same functions the
//! cargo-fuzz targets call): no panic; `read_header` succeeds whenever `decompress` does and
//! agrees with it; and an `Ok` from `decompress` is a 16-bit PCM WAV the model parses, whose
//! CRC is the stored one and which round-trips through the codec byte for byte.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use neurice_model::contract::{check_stream, check_wav};
use neurice_model::format::{FLAG_CANONICAL, VERSION_LITE};
use neurice_model::wav::Wav;
use neurice_model::{compress_wav, compress_wav_with, decompress, grid, Coder, Error};

use neurice_testkit::alloc::{measure, PeakAlloc};

/// Counts what each thread allocates, so a test can check that a decoder does not reserve
/// memory a hostile header asks for.
#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// xorshift64*: small, fixed, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

fn grid_walk(n: usize, seed: u64, step: u32) -> Vec<i16> {
    let mut rng = Rng(seed);
    let mut x = 512i64;
    (0..n)
        .map(|_| {
            x = (x + (rng.below(2 * step as usize + 1) as i64) - step as i64).clamp(0, 1023);
            grid::grid_value(x as u32)
        })
        .collect()
}

fn canonical(channels: u16, samples: Vec<i16>) -> Vec<u8> {
    Wav::canonical(channels, 19531, samples)
        .expect("whole frames")
        .to_bytes()
}

/// Valid WAVs covering every container path: grid and raw mode, exceptions, several channels,
/// a stored (non-canonical) header with chunks before and after the data, an empty recording.
fn seed_wavs() -> Vec<(&'static str, Vec<u8>)> {
    let mut with_exceptions = grid_walk(1500, 3, 6);
    with_exceptions[10] = 7;
    with_exceptions[1400] = -5;
    let noise: Vec<i16> = Rng(11)
        .bytes(2400)
        .chunks(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut stored = canonical(1, grid_walk(700, 5, 3))[..36].to_vec();
    stored.extend_from_slice(b"LIST\x05\x00\x00\x00hello\x00");
    stored.extend_from_slice(&canonical(1, grid_walk(700, 5, 3))[36..]);
    stored.extend_from_slice(b"junk\x03\x00\x00\x00abc\x00");
    let riff = (stored.len() - 8) as u32;
    stored[4..8].copy_from_slice(&riff.to_le_bytes());
    vec![
        ("grid 1ch", canonical(1, grid_walk(2000, 1, 4))),
        ("grid 3ch", canonical(3, grid_walk(1500, 2, 40))),
        ("grid + exceptions", canonical(1, with_exceptions)),
        ("raw16 noise", canonical(1, noise)),
        ("stored header", stored),
        ("empty", canonical(2, Vec::new())),
    ]
}

/// Re-seals a container body (everything but the CRC) with a fresh CRC-32.
fn reseal(mut nrc: Vec<u8>) -> Vec<u8> {
    if nrc.len() >= 4 {
        nrc.truncate(nrc.len() - 4);
    }
    let crc = crc32fast::hash(&nrc);
    nrc.extend_from_slice(&crc.to_le_bytes());
    nrc
}

/// One random mutation of `b`: a byte set, a bit flip, a truncation, an insertion, a deletion,
/// a duplicated range, or a run of bytes overwritten with an interesting value.
fn mutate(rng: &mut Rng, b: &mut Vec<u8>) {
    let len = b.len();
    match rng.below(7) {
        0 if len > 0 => {
            let i = rng.below(len);
            b[i] = rng.byte();
        }
        1 if len > 0 => {
            let i = rng.below(len);
            b[i] ^= 1 << rng.below(8);
        }
        2 => b.truncate(rng.below(len + 1)),
        3 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let ins = rng.bytes(n);
            b.splice(at..at, ins);
        }
        4 if len > 0 => {
            let at = rng.below(len);
            let n = (1 + rng.below(16)).min(len - at);
            b.drain(at..at + n);
        }
        5 if len > 0 => {
            let at = rng.below(len);
            let n = (1 + rng.below(32)).min(len - at);
            let copy = b[at..at + n].to_vec();
            let to = rng.below(len + 1);
            b.splice(to..to, copy);
        }
        _ if len > 0 => {
            let at = rng.below(len);
            let n = (1 + rng.below(8)).min(len - at);
            let v = [0x00, 0xFF, 0x7F, 0x80, 0x01][rng.below(5)];
            b[at..at + n].fill(v);
        }
        _ => b.push(rng.byte()),
    }
}

/// Runs `f`, turning a panic into a test failure that names the case and keeps the input.
fn guarded<T>(what: &str, input: &[u8], f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        let hex: String = input.iter().take(256).map(|b| format!("{b:02x}")).collect();
        panic!("{what}: panicked on {} bytes: {hex}…", input.len());
    })
}

#[test]
fn mutated_streams_never_panic_and_ok_means_consistent() {
    let mut rng = Rng(0x6e65_7572_6963_6501);
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut cases = 0;
    for ((name, wav), coder) in seed_wavs()
        .into_iter()
        .flat_map(|s| Coder::ALL.map(|c| (s.clone(), c)))
    {
        let (nrc, _) = compress_wav_with(&wav, coder).expect("seed compresses");
        assert_eq!(
            check_stream(&nrc),
            Ok(()),
            "{name}: the unmutated seed must decode"
        );
        for i in 0..2000 {
            let mut m = nrc.clone();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut rng, &mut m);
            }
            // two cases in three keep their CRC valid, so the checks behind it are reached
            if i % 3 != 0 {
                m = reseal(m);
            }
            let kind = guarded(name, &m, || check_stream(&m)).err().unwrap_or("ok");
            *tally.entry(kind).or_default() += 1;
            cases += 1;
        }
    }
    eprintln!("{cases} mutated streams: {tally:?}");
    // The harness must really reach the parser behind the checksum and the decoder.
    assert!(
        tally.get("corrupt").copied().unwrap_or(0) > cases / 3,
        "{tally:?}"
    );
    assert!(
        tally.get("checksum").copied().unwrap_or(0) > cases / 10,
        "{tally:?}"
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut past_checksum = 0;
    for i in 0..10_000 {
        let n = rng.below(120);
        let mut b = rng.bytes(n);
        if i % 2 == 0 {
            // a plausible start: magic, this version, known flags, the hardware parameters
            let head = [
                b'N',
                b'R',
                b'I',
                b'C',
                VERSION_LITE,
                rng.byte() & 3,
                10,
                16,
                6,
                5,
                3,
            ];
            let keep = rng.below(head.len() + 1);
            b.splice(0..0, head[..keep].iter().copied());
            b = reseal(b);
        }
        let r = guarded("random stream", &b, || check_stream(&b));
        past_checksum += matches!(r, Err("corrupt") | Ok(())) as usize;
    }
    assert!(
        past_checksum > 2000,
        "only {past_checksum} random streams passed the checksum"
    );
}

#[test]
fn mutated_wavs_never_panic_and_ok_round_trips() {
    let mut rng = Rng(0xfeed_f00d_dead_beef);
    let mut ok = 0;
    let mut cases = 0;
    for (name, wav) in seed_wavs() {
        assert!(check_wav(&wav), "{name}");
        for _ in 0..1000 {
            let mut m = wav.clone();
            // keep most mutations in the header, where the parser's decisions are
            let header_only = rng.below(2) == 0 && m.len() > 48;
            if header_only {
                let i = rng.below(48);
                m[i] = rng.byte();
            } else {
                for _ in 0..1 + rng.below(3) {
                    mutate(&mut rng, &mut m);
                }
            }
            ok += guarded(name, &m, || check_wav(&m)) as usize;
            cases += 1;
        }
    }
    for _ in 0..5000 {
        let n = rng.below(100);
        let mut b = rng.bytes(n);
        b.splice(0..0, b"RIFF\x00\x00\x00\x00WAVEfmt ".iter().copied());
        guarded("random wav", &b, || check_wav(&b));
    }
    eprintln!("{cases} mutated WAVs, {ok} still accepted (each round-tripped)");
    assert!(ok > 0 && ok < cases, "{ok} of {cases}");
}

/// Header fields edited behind a fresh CRC, with the stored WAV CRC updated to the WAV that
/// the edited header describes: the decoder must then return exactly that WAV.
#[test]
fn resealed_header_edits_decode_to_the_edited_wav() {
    let samples = grid_walk(1000, 9, 5);
    let (nrc, _) = compress_wav(&canonical(1, samples.clone())).unwrap();
    assert_ne!(nrc[5] & FLAG_CANONICAL, 0);
    let mut edited = nrc.clone();
    edited[13..17].copy_from_slice(&44_100u32.to_le_bytes());
    let want = Wav::canonical(1, 44_100, samples).unwrap().to_bytes();
    edited[21..25].copy_from_slice(&crc32fast::hash(&want).to_le_bytes());
    let edited = reseal(edited);
    assert_eq!(decompress(&edited).unwrap(), want);
    assert_eq!(check_stream(&edited), Ok(()));
}

/// A tiny stream whose header claims two billion samples must be refused without reserving
/// memory for them (libFuzzer's malloc limit would flag that as a crash).
#[test]
fn huge_sample_count_with_a_tiny_payload_is_refused_cheaply() {
    let (nrc, _) = compress_wav(&canonical(1, grid_walk(8, 1, 1))).unwrap();
    let mut b = nrc.clone();
    b[17..21].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    let b = reseal(b);
    let (r, a) = measure(|| guarded("huge count", &b, || decompress(&b)));
    let largest = a.largest;
    assert!(matches!(r, Err(Error::Corrupt(_))), "{r:?}");
    assert!(
        largest < 1 << 20,
        "decoding a {}-byte stream reserved {largest} bytes at once",
        b.len()
    );
}

/// Decodes a hex literal (whitespace ignored).
fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// Found by `cargo fuzz run decode_resealed` (libFuzzer: out-of-memory): 2561 channels ×
/// 131073 frames and an exception count of 0xb9a30000 in a 219-byte stream made the decoder
/// reserve 2.7 GB for the exception table before reading it.
#[test]
fn fuzz_find_huge_exception_count_is_refused_cheaply() {
    let found = hex(
        "4e52494301010a10060503010a100605030100020000002c010000a3b905ed01000000070000000500ed060000000000
         00ffff0455d95a68c36b6a52aee32630e6c58951c742f3becb96aa09809116ec99d144f55cd76190d82e7d0c988c267b
         2ccd985164cabd10dd8a1b6e3e3bedcb0672a4b4e68483be38cf54651c409a4a72850263d79af08f09715e554b8e3828
         758bd1540bab2ab00343b08676e10df78431b301e7cf763c4dc11479a8c68792b6e07627cd5a0744d9419943cb1bc182
         7139a5cd01004b4c000000000000000000000000000000",
    );
    assert_eq!(found.len(), 215);
    // the decode_resealed target appends the CRC of its input
    let mut nrc = found.clone();
    nrc.extend_from_slice(&crc32fast::hash(&found).to_le_bytes());
    let (r, a) = measure(|| guarded("fuzz find", &nrc, || check_stream(&nrc)));
    let largest = a.largest;
    assert_eq!(r, Err("corrupt"));
    assert!(largest < 1 << 20, "reserved {largest} bytes at once");
}

/// Found by `cargo fuzz run decode_resealed` (panic in the Ok-consistency check): a raw-mode
/// stream with a stored, empty WAV prefix and suffix, zero frames and a stored WAV CRC of 0
/// (the CRC of no bytes) decoded "successfully" to a 0-byte file that is not a WAV.
#[test]
fn fuzz_find_empty_stored_header_is_not_a_wav() {
    let found = hex("4e524943 01 02 1001051000 8b00 00000000 00000000 00000000
                     00000000 00000000 00000000 0000000000000000");
    assert_eq!(found.len(), 45);
    let mut nrc = found.clone();
    nrc.extend_from_slice(&crc32fast::hash(&found).to_le_bytes());
    let r = guarded("fuzz find", &nrc, || check_stream(&nrc));
    assert_eq!(r, Err("corrupt"));
    // the same shape with a stored prefix that is a WAV header, but not for these samples
    let (good, _) = compress_wav(&canonical(1, grid_walk(10, 1, 1))).unwrap();
    let mut b = good[..25].to_vec();
    b[5] &= !FLAG_CANONICAL;
    let prefix = canonical(1, grid_walk(11, 1, 1))[..44].to_vec(); // claims 11 samples
    let mut want = prefix.clone();
    want.extend(grid_walk(10, 1, 1).iter().flat_map(|s| s.to_le_bytes()));
    b[21..25].copy_from_slice(&crc32fast::hash(&want).to_le_bytes());
    b.extend_from_slice(&(prefix.len() as u32).to_le_bytes());
    b.extend_from_slice(&prefix);
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&good[25..]);
    let b = reseal(b);
    let r = decompress(&b);
    assert!(
        matches!(&r, Err(Error::Corrupt(m)) if m.contains("not a valid WAV")),
        "{r:?}"
    );
}

/// Coder v2: a tiny stream whose header and block claim a billion frames must be refused
/// without reserving memory for them.
#[test]
fn v2_huge_frame_count_with_a_tiny_block_is_refused_cheaply() {
    let (nrc, _) = compress_wav_with(&canonical(1, grid_walk(8, 1, 1)), Coder::Max).unwrap();
    let mut b = nrc.clone();
    // FORMAT.md §7.7: frames at 39, the first block's frame count at 55 (4 taps, canonical)
    for at in [39, 55] {
        assert_eq!(b[at..at + 4], 8u32.to_le_bytes());
        b[at..at + 4].copy_from_slice(&0x3FFF_FFFFu32.to_le_bytes());
    }
    let b = reseal(b);
    let (r, a) = measure(|| guarded("v2 huge count", &b, || decompress(&b)));
    let largest = a.largest;
    assert!(matches!(r, Err(Error::Corrupt(_))), "{r:?}");
    assert!(
        largest < 1 << 20,
        "decoding a {}-byte stream reserved {largest} bytes at once",
        b.len()
    );
}
