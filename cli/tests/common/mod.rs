//! Shared by the binary's tests (`cli.rs`, `hw.rs`); the workspace-wide helpers are in
//! `neurice-testkit`.

use std::process::{Command, Output};

/// Runs the `neurice` binary built for these tests.
pub fn neurice(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurice"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .expect("run the neurice binary")
}
