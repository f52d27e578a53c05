//! neurice-files: how every neurice command writes files.
//!
//! - [`output`]: the one safe-output rule — an output is a new name or a regular file, never
//!   written through a link, and complete or absent ([`write_output`], [`Output`] for one
//!   written piece by piece, such as a tool's log; [`check_output`] before any work;
//!   [`clear_tool_output`] for a file a tool writes itself). The CLI's named outputs, the
//!   tool runner's logs (`neurice_synth::tools::run_tool`), build scripts, reports and lint
//!   files all go through it.
//! - [`identity`]: files compared by device and inode ([`ensure_distinct`]: the output is
//!   never the input, also through standard input or a hard link).
//! - [`signals`]: temporary files and folders removed when a signal ends the process
//!   ([`Cleanup`]), and `SIGPIPE` ([`signals::default_sigpipe`]).

pub mod identity;
pub mod output;
pub mod signals;

pub use identity::{ensure_distinct, FileId};
pub use output::{
    check_output, check_outputs, check_stdout, clear_tool_output, create_out_dir, is_stdio, kind,
    output_name, set_sync, write_output, write_output_with, write_script, Output,
};
pub use signals::{with_signals_held, Cleanup};
