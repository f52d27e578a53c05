//! Errors of the codec and its file formats. Every bad input maps to one of these; none panics.

/// What went wrong, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a WAV file: {0}")]
    NotWav(String),
    #[error("unsupported WAV: {0}")]
    UnsupportedWav(String),
    #[error("truncated WAV: {0}")]
    TruncatedWav(String),
    #[error("not a neurice stream (bad magic); expected a .nrc file")]
    NotNrc,
    #[error("unsupported .nrc version {found} (this build reads versions 1 to {supported})")]
    UnsupportedVersion { found: u8, supported: u8 },
    #[error("corrupt .nrc stream: {0}")]
    Corrupt(String),
    #[error(
        "corrupt .nrc stream: checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
    )]
    Checksum { stored: u32, computed: u32 },
    #[error("invalid codec parameters: {0}")]
    BadParams(String),
    /// Reading the input or writing the output failed (streaming only).
    #[error("{0}")]
    Io(String),
}
