//! Shared by the board tests.

/// A neural-like 10-bit test signal: a slow random walk with occasional spikes (xorshift64).
pub fn signal(n: usize, seed: u64) -> Vec<u16> {
    let mut s = seed | 1;
    let mut x: i32 = 512;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            x += (s % 9) as i32 - 4;
            if s.is_multiple_of(97) {
                x += ((s >> 20) % 400) as i32 - 200; // a spike
            }
            x = x.clamp(0, 1023);
            x as u16
        })
        .collect()
}
