//! The defaults of `neurice flow` sized for a first look (issue 29): a subset of each
//! recording co-simulated and a shorter power trace, stated in the report (`scope`);
//! `--full` (or the per-stage options) runs everything.

use neurice_flow::DEFAULT_POWER_CYCLES;
use neurice_model::Coder;
use neurice_sim::CoreDesign;

/// Coders with a core that a newer coder supersedes, each with its successor: left out of the
/// first look (`--coder <name>`, `--coder both` or `--full` runs them). None today: coder v2,
/// superseded by coder max (LMS + multi-symbol range coding, FORMAT.md §10: a better ratio
/// from a core that runs the 1024 channels in real time), no longer has a core (retired,
/// issue 26; `neurice_hdl::v2::CORE_RETIRED`).
pub const SUPERSEDED: &[(Coder, Coder)] = &[];

/// Every coder with a hardware core ([`CoreDesign::has_core`]), superseded ones included.
fn all_with_core() -> Vec<Coder> {
    Coder::ALL
        .into_iter()
        .filter(|&c| CoreDesign::has_core(c))
        .collect()
}

/// The coders `neurice flow` runs without `--coder`: every coder with a hardware core but
/// the superseded ones (today lite and max, [`CoreDesign::coders_with_core`]), or all of
/// them with `--full`.
pub fn default_coders(full: bool) -> Vec<Coder> {
    all_with_core()
        .into_iter()
        .filter(|c| full || !SUPERSEDED.iter().any(|(old, _)| old == c))
        .collect()
}

/// What the first look leaves out and how to run it (one line per coder left out).
pub fn left_out(full: bool) -> Vec<String> {
    let run = default_coders(full);
    all_with_core()
        .into_iter()
        .filter(|c| !run.contains(c))
        .map(|c| {
            let by = SUPERSEDED
                .iter()
                .find(|(old, _)| *old == c)
                .map_or(String::new(), |(_, new)| {
                    format!(" (superseded by coder {})", new.name())
                });
            format!(
                "coder {}{by}: not run in the first look; --coder {} or --full runs it",
                c.name(),
                c.name()
            )
        })
        .collect()
}

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

    #[test]
    fn the_first_look_leaves_out_the_superseded_coders_and_says_so() {
        let all = all_with_core();
        let first = default_coders(false);
        assert_eq!(first, CoreDesign::coders_with_core());
        assert!(first.contains(&Coder::Lite) && first.contains(&Coder::Max));
        assert!(!first.contains(&Coder::V2), "{first:?}");
        assert_eq!(default_coders(true), all);
        // every coder with a core is either run or named with the way to run it
        let notes = left_out(false);
        assert_eq!(first.len() + notes.len(), all.len());
        for c in all.iter().filter(|c| !first.contains(c)) {
            assert!(
                notes
                    .iter()
                    .any(|n| n.contains(&format!("--coder {}", c.name()))),
                "{notes:?}"
            );
        }
        assert!(left_out(true).is_empty());
    }
}
