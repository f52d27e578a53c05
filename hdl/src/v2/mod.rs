//! Coder v2 (`max`) in hardware: the building blocks of the v2 core (issue 12), each checked
//! against the golden model's `neurice_model::v2`. Only the LMS stage exists so far; the
//! range coder's design is open (see FORMAT.md §7.8: one coder cannot reach the throughput).

pub mod lms;
