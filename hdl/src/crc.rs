//! CRC-32 (IEEE 802.3, as zlib: reflected polynomial `0xEDB88320`) over one 32-bit word per
//! clock: a leaf block whose Verilog is the XOR network of the 32 word steps, generated from
//! the same matrix as the simulation model.
//!
//! The packet format sends words big-endian (FORMAT.md §9.3), and zlib's CRC takes bytes
//! least significant bit first: one word is the four byte steps, which together are
//! `T(crc ^ bswap(word))` with `T` 32 shifts of the register without input (linear over
//! GF(2)). The register starts at `0xFFFF_FFFF`; the CRC sent is its complement.

use rust_hdl::prelude::*;

const POLY: u32 = 0xEDB8_8320;

/// 32 shifts of the reflected CRC register with no input.
fn shift32(mut v: u32) -> u32 {
    for _ in 0..32 {
        v = if v & 1 == 1 { (v >> 1) ^ POLY } else { v >> 1 };
    }
    v
}

/// The register after one big-endian word (the model of the block).
pub fn crc32_word(crc: u32, word: u32) -> u32 {
    shift32(crc ^ word.swap_bytes())
}

/// `result = crc32_word(crc_in, word)`, combinational.
#[derive(LogicBlock, Default)]
pub struct Crc32Word {
    pub crc_in: Signal<In, Bits<32>>,
    pub word: Signal<In, Bits<32>>,
    pub result: Signal<Out, Bits<32>>,
}

/// The Verilog of the XOR network: bit `i` of the result is the XOR of the bits `j` of
/// `crc_in ^ bswap(word)` whose column `T(1 << j)` has bit `i` set.
pub fn crc32_word_verilog() -> String {
    let cols: Vec<u32> = (0..32).map(|j| shift32(1 << j)).collect();
    let bits: Vec<String> = (0..32)
        .rev()
        .map(|i| {
            let terms: Vec<String> = (0..32)
                .filter(|&j| cols[j] >> i & 1 == 1)
                .map(|j| format!("crc_in[{j}] ^ word[{}]", (3 - j / 8) * 8 + j % 8))
                .collect();
            format!("({})", terms.join(" ^ "))
        })
        .collect();
    format!(
        "always @(*) begin\n   result = {{{}}};\nend\n",
        bits.join(",\n      ")
    )
}

impl Logic for Crc32Word {
    fn update(&mut self) {
        self.result.next =
            (crc32_word(self.crc_in.val().to_u32(), self.word.val().to_u32()) as u64).into();
    }

    fn connect(&mut self) {
        self.result.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(crc32_word_verilog())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_steps_equal_zlib() {
        let words = [0xEB90_C0FCu32, 0x0001_0000, 0x1234_5678, 0, 0xFFFF_FFFF];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let reg = words.iter().fold(0xFFFF_FFFF, |c, &w| crc32_word(c, w));
        assert_eq!(!reg, crc32fast::hash(&bytes));
        // the Verilog's columns are the model's matrix: every bit has terms
        let v = crc32_word_verilog();
        assert_eq!(v.matches("crc_in[").count(), v.matches("word[").count());
        assert!(!v.contains("()"));
    }
}
