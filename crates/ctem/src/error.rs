//! The CLI's error type and its documented exit codes.

use std::fmt;

/// Exit codes, documented in `ctem --help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 1: an unexpected failure (I/O, database).
    Failure = 1,
    /// 2: the command line is wrong.
    Usage = 2,
    /// 3: an input file is invalid (scope, report, feed, validation file).
    Invalid = 3,
    /// 4: the workspace is missing or unusable.
    Workspace = 4,
    /// 5: `--fail-on` found exposures at or above the given tier.
    Gate = 5,
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    pub code: ExitCode,
    pub message: String,
}

impl CliError {
    pub fn new(code: ExitCode, message: impl Into<String>) -> CliError {
        CliError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl fmt::Display) -> CliError {
        CliError::new(ExitCode::Invalid, message.to_string())
    }

    pub fn failure(message: impl fmt::Display) -> CliError {
        CliError::new(ExitCode::Failure, message.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<ctem_store::StoreError> for CliError {
    fn from(e: ctem_store::StoreError) -> Self {
        CliError::failure(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::failure(e)
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
