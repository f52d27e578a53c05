//! The defaults of `neurice flow` sized for a first look (issue 29): a subset of each
//! recording co-simulated and a shorter power trace, stated in the report (`scope`);
//! `--full` (or the per-stage options) runs everything.

use neurice_flow::DEFAULT_POWER_CYCLES;

/// Samples per recording co-simulated by default (0.26 s of each recording at 19.5 kHz).
pub const FIRST_LOOK_SAMPLES: usize = 5_000;

/// Clock cycles traced for power by default.
pub const FIRST_LOOK_POWER_CYCLES: u64 = 20_000;

/// `--max-samples` as given, else all with `--full`, else [`FIRST_LOOK_SAMPLES`].
pub fn max_samples(given: Option<usize>, full: bool) -> Option<usize> {
    match (given, full) {
        (Some(n), _) => Some(n),
        (None, true) => None,
        (None, false) => Some(FIRST_LOOK_SAMPLES),
    }
}

/// `--power-cycles` as given, else [`DEFAULT_POWER_CYCLES`] with `--full`, else
/// [`FIRST_LOOK_POWER_CYCLES`].
pub fn power_cycles(given: Option<u64>, full: bool) -> u64 {
    match (given, full) {
        (Some(n), _) => n,
        (None, true) => DEFAULT_POWER_CYCLES,
        (None, false) => FIRST_LOOK_POWER_CYCLES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_look_by_default_everything_with_full_and_the_options_win() {
        assert_eq!(max_samples(None, false), Some(FIRST_LOOK_SAMPLES));
        assert_eq!(max_samples(None, true), None);
        assert_eq!(max_samples(Some(7), true), Some(7));
        assert_eq!(max_samples(Some(7), false), Some(7));
        assert_eq!(power_cycles(None, false), FIRST_LOOK_POWER_CYCLES);
        assert_eq!(power_cycles(None, true), DEFAULT_POWER_CYCLES);
        assert_eq!(power_cycles(Some(3000), true), 3000);
        const { assert!(FIRST_LOOK_POWER_CYCLES < DEFAULT_POWER_CYCLES) };
    }
}
