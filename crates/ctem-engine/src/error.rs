//! The engine's error type. Its kinds map to the CLI's documented exit
//! codes (the discriminants) and to HTTP statuses in the server.

use std::fmt;

/// What went wrong; the discriminant is the CLI exit code, documented in
/// `ctem --help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
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
pub struct Error {
    pub code: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Invalid, message.to_string())
    }

    pub fn failure(message: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Failure, message.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<ctem_store::StoreError> for Error {
    fn from(e: ctem_store::StoreError) -> Self {
        Error::failure(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::failure(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;
