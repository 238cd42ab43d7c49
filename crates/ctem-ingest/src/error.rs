//! The one error type of the crate: every error names the file, the position
//! (line and column, plus a record path where one makes sense) and the cause.

use std::fmt;

/// Why a report could not be ingested.
///
/// A truncated or malformed report is always an error: a parser never returns
/// a partial success, because a partial import would mark the missing
/// exposures resolved.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },

    /// The content is malformed or truncated at a known position.
    #[error("{file}: {position}: {message}")]
    Syntax {
        file: String,
        position: Position,
        message: String,
    },

    /// The content is well-formed but is not a report of the expected shape.
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },

    /// No registered format recognised the content.
    #[error("{file}: unrecognised report format (tried {})", .tried.join(", "))]
    UnknownFormat {
        file: String,
        tried: Vec<&'static str>,
    },

    /// The consumer of the findings refused one (for example a store error).
    /// Parsing stops at the first refusal.
    #[error("{0}")]
    Rejected(String),
}

impl IngestError {
    /// An error for a sink to return when it cannot accept a finding.
    pub fn rejected(message: impl Into<String>) -> IngestError {
        IngestError::Rejected(message.into())
    }

    /// The line the error is on, when it has a position.
    pub fn line(&self) -> Option<u64> {
        match self {
            IngestError::Syntax { position, .. } => Some(position.line),
            _ => None,
        }
    }

    /// Replaces the file name (used when detection ran before a name was known).
    pub(crate) fn with_file(mut self, name: &str) -> IngestError {
        match &mut self {
            IngestError::Io { file, .. }
            | IngestError::Syntax { file, .. }
            | IngestError::Invalid { file, .. }
            | IngestError::UnknownFormat { file, .. } => *file = name.to_string(),
            IngestError::Rejected(_) => {}
        }
        self
    }
}

/// Where in a file an error is: 1-based line and column, and the record being
/// read (`Results[0].Vulnerabilities[3]`, `ReportHost 2, ReportItem 17`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub line: u64,
    pub column: u64,
    pub record: Option<String>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)?;
        if let Some(r) = &self.record {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_well_on_a_terminal() {
        let e = IngestError::Syntax {
            file: "trivy.json".into(),
            position: Position {
                line: 42,
                column: 7,
                record: Some("Results[0].Vulnerabilities[3]".into()),
            },
            message: "unexpected end of file".into(),
        };
        assert_eq!(
            e.to_string(),
            "trivy.json: line 42, column 7 (Results[0].Vulnerabilities[3]): unexpected end of file"
        );
        let e = IngestError::UnknownFormat {
            file: "x.txt".into(),
            tried: vec!["trivy", "sarif"],
        };
        assert_eq!(
            e.to_string(),
            "x.txt: unrecognised report format (tried trivy, sarif)"
        );
    }
}
