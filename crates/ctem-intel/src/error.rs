//! The one error type of this crate.
//!
//! Every message names what was being read (a file name or a CVSS vector),
//! where in it the problem is (line, column, record, entry) and why, in
//! lowercase and without a trailing period, so that it can be shown to an
//! operator as is: `kev.json: line 12, column 5: missing field \`cveID\``.

use std::fmt;

/// Where in a file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The file as a whole (empty, wrong format, count mismatch).
    File,
    /// A 1-based line, for line-oriented formats.
    Line(u64),
    /// A 1-based line and column, as serde_json reports them.
    LineColumn(u64, u64),
    /// A 1-based CSV data record (the header is not counted) and the 1-based
    /// line it starts on.
    Record { record: u64, line: u64 },
    /// A 0-based index into a JSON array and the CVE id of the entry, when known.
    Entry { index: usize, cve: Option<String> },
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::File => f.write_str("file"),
            Position::Line(line) => write!(f, "line {line}"),
            Position::LineColumn(line, column) => write!(f, "line {line}, column {column}"),
            Position::Record { record, line } => write!(f, "record {record} (line {line})"),
            Position::Entry {
                index,
                cve: Some(cve),
            } => write!(f, "vulnerabilities[{index}] ({cve})"),
            Position::Entry { index, cve: None } => write!(f, "vulnerabilities[{index}]"),
        }
    }
}

/// Everything that can go wrong while reading threat intelligence.
#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// The bytes could not be read: an I/O error, a corrupt or truncated gzip
    /// stream, invalid UTF-8.
    #[error("{file}: {position}: cannot read: {cause}")]
    Read {
        file: String,
        position: Position,
        cause: String,
    },
    /// The file is readable but its content is wrong: malformed JSON, a
    /// missing column, a value out of range, a count that does not add up.
    #[error("{file}: {position}: {cause}")]
    Invalid {
        file: String,
        position: Position,
        cause: String,
    },
    /// A CVSS vector that cannot be parsed or scored.
    #[error("cvss vector {vector:?}: {cause}")]
    Cvss { vector: String, cause: String },
}

impl IntelError {
    pub(crate) fn invalid(file: &str, position: Position, cause: impl Into<String>) -> Self {
        IntelError::Invalid {
            file: file.to_string(),
            position,
            cause: cause.into(),
        }
    }

    pub(crate) fn read(file: &str, position: Position, cause: impl fmt::Display) -> Self {
        IntelError::Read {
            file: file.to_string(),
            position,
            cause: lowercase_first(&cause.to_string()),
        }
    }

    /// The position the error refers to, if it is about a file.
    pub fn position(&self) -> Option<&Position> {
        match self {
            IntelError::Read { position, .. } | IntelError::Invalid { position, .. } => {
                Some(position)
            }
            IntelError::Cvss { .. } => None,
        }
    }
}

/// Library messages ("Invalid gzip header", "EOF while parsing") start with a
/// capital letter and sometimes end with a period; ours do neither.
pub(crate) fn lowercase_first(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        // Keep acronyms ("EOF", "UTF-8") as they are.
        Some(c) if c.is_uppercase() && !chars.next().is_some_and(char::is_uppercase) => {
            let mut out = c.to_lowercase().collect::<String>();
            out.push_str(&s[c.len_utf8()..]);
            out
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_library_messages_but_not_acronyms() {
        assert_eq!(
            lowercase_first("Invalid gzip header."),
            "invalid gzip header"
        );
        assert_eq!(
            lowercase_first("EOF while parsing a list"),
            "EOF while parsing a list"
        );
        assert_eq!(lowercase_first(""), "");
    }

    #[test]
    fn display_names_file_position_and_cause() {
        let e = IntelError::invalid(
            "kev.csv",
            Position::Record { record: 3, line: 4 },
            "missing column dueDate",
        );
        assert_eq!(
            e.to_string(),
            "kev.csv: record 3 (line 4): missing column dueDate"
        );
    }
}
