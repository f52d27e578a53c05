//! The Neuralink 10-bit grid: 1024 ADC codes stored as 16-bit PCM values.
//!
//! For `k` in 512..1024: `v_k = floor((k - 511.5) · 65535 / 1023 - 0.5)`, and for `k` in 0..512
//! `v_k = -1 - v_(1023-k)` (see `../shared/data/neuralink/SOURCE.txt`). The codec codes `k`.

/// Number of grid levels (10-bit ADC).
pub const LEVELS: u32 = 1024;

/// The 16-bit PCM value of grid index `k` (`k < 1024`).
pub const fn grid_value(k: u32) -> i16 {
    if k >= 512 {
        // floor(((2k - 1023) · 65535 - 1023) / 2046), numerator positive for k >= 512
        (((2 * k as i64 - 1023) * 65535 - 1023) / 2046) as i16
    } else {
        -1 - grid_value(1023 - k)
    }
}

/// The grid index of a 16-bit PCM value, or `None` if the value is off the grid.
#[inline]
pub fn grid_index(v: i16) -> Option<u32> {
    let k = nearest_index(v);
    (grid_value(k) == v).then_some(k)
}

/// The grid index whose value is nearest to `v` (ties to the lower index).
#[inline]
pub fn nearest_index(v: i16) -> u32 {
    // v_k ≈ (k - 511.5) · 64.06, so k ≈ (v + 32768) · 1023 / 65535; check the neighbours.
    let guess = (((v as i64 + 32768) * 1023 + 32767) / 65535) as u32;
    let lo = guess.saturating_sub(1);
    let hi = (guess + 1).min(LEVELS - 1);
    (lo..=hi)
        .min_by_key(|&k| (grid_value(k) as i32 - v as i32).abs())
        .unwrap_or(guess)
}

/// Flag in a [`index_table`] entry: the value is off the grid (the entry is its nearest level).
pub const OFF_GRID: u16 = 1 << 15;

/// [`nearest_index`] of every 16-bit value (indexed by `v as u16`), with [`OFF_GRID`] set for
/// the values [`grid_index`] refuses: one lookup per sample instead of a division. Built at
/// compile time: building it at run time (65 536 searches) took as long as coding a whole
/// recording, in a one-file `neurice compress` (issue 29).
pub fn index_table() -> &'static [u16] {
    static TABLE: [u16; 1 << 16] = {
        let mut t = [0u16; 1 << 16];
        let mut u = 0usize;
        while u < (1 << 16) {
            let v = u as u16 as i16;
            let k = nearest_index_const(v);
            t[u] = if grid_value(k as u32) == v {
                k
            } else {
                k | OFF_GRID
            };
            u += 1;
        }
        t
    };
    &TABLE
}

/// [`nearest_index`] as a `const fn` (the same candidates, the first nearest on a tie).
const fn nearest_index_const(v: i16) -> u16 {
    let guess = (((v as i64 + 32768) * 1023 + 32767) / 65535) as u32;
    let lo = guess.saturating_sub(1);
    let hi = if guess + 1 < LEVELS {
        guess + 1
    } else {
        LEVELS - 1
    };
    let mut best = lo;
    let mut best_d = (grid_value(lo) as i32 - v as i32).abs();
    let mut k = lo + 1;
    while k <= hi {
        let d = (grid_value(k) as i32 - v as i32).abs();
        if d < best_d {
            best = k;
            best_d = d;
        }
        k += 1;
    }
    best as u16
}

/// [`grid_value`] of every index, as a table.
pub fn value_table() -> &'static [i16; LEVELS as usize] {
    static TABLE: [i16; LEVELS as usize] = {
        let mut t = [0i16; LEVELS as usize];
        let mut k = 0;
        while k < LEVELS {
            t[k as usize] = grid_value(k);
            k += 1;
        }
        t
    };
    &TABLE
}

/// Maps 16-bit samples to grid indices; off-grid samples become (position, value) exceptions
/// coded as their nearest level.
pub fn to_grid(samples: &[i16]) -> (Vec<u32>, Vec<(u32, i16)>) {
    let table = index_table();
    let mut exceptions = Vec::new();
    let idx = samples
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let e = table[v as u16 as usize];
            if e & OFF_GRID != 0 {
                exceptions.push((i as u32, v));
            }
            (e & !OFF_GRID) as u32
        })
        .collect();
    (idx, exceptions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_matches_the_published_levels() {
        assert_eq!(grid_value(512), 31);
        assert_eq!(grid_value(513), 95);
        assert_eq!(grid_value(514), 159);
        assert_eq!(grid_value(1023), 32767);
        assert_eq!(grid_value(511), -32);
        assert_eq!(grid_value(0), -32768);
        for k in 0..LEVELS {
            assert_eq!(
                grid_value(k),
                -1 - grid_value(1023 - k),
                "mirror symmetry at {k}"
            );
            assert_eq!(grid_index(grid_value(k)), Some(k));
        }
    }

    #[test]
    fn every_16_bit_value_maps_to_its_nearest_level() {
        let mut on_grid = 0;
        for v in i16::MIN..=i16::MAX {
            let k = nearest_index(v);
            let d = (grid_value(k) as i32 - v as i32).abs();
            for j in [k.saturating_sub(1), (k + 1).min(LEVELS - 1)] {
                assert!(d <= (grid_value(j) as i32 - v as i32).abs());
            }
            if grid_index(v).is_some() {
                on_grid += 1;
            }
        }
        assert_eq!(on_grid, 1024);
    }

    #[test]
    fn tables_equal_the_functions() {
        let t = index_table();
        for v in i16::MIN..=i16::MAX {
            let e = t[v as u16 as usize];
            assert_eq!((e & !OFF_GRID) as u32, nearest_index(v));
            assert_eq!(e & OFF_GRID == 0, grid_index(v).is_some());
        }
        for k in 0..LEVELS {
            assert_eq!(value_table()[k as usize], grid_value(k));
        }
    }
}
