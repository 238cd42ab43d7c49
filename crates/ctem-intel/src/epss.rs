//! The FIRST Exploit Prediction Scoring System (EPSS) daily file.
//!
//! FIRST publishes one CSV a day, usually gzip-compressed, with a score for
//! every published CVE (about 313,000 rows in 2026):
//!
//! ```text
//! #model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z
//! cve,epss,percentile
//! CVE-1999-0001,0.01151,0.78086
//! ```
//!
//! [`parse_epss`] streams it through a [`csv::Reader`] reusing one
//! [`csv::ByteRecord`], so the whole file parses in a fraction of a second in
//! a release build. A gzip stream is recognised by its magic bytes; a
//! truncated or corrupt one is an error, never a partial snapshot, because a
//! missing CVE would silently read as "no EPSS score".

use crate::error::{IntelError, Position, lowercase_first};
use crate::is_cve_id;
use ctem_model::{parse_date, parse_time};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Cursor, Read};

/// One day of EPSS scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssSnapshot {
    /// `model_version` from the comment line, for example `v2025.03.14`; empty
    /// when the file has no comment line (files before 2022).
    pub model_version: String,
    /// `score_date` from the comment line (Unix seconds). Without a comment
    /// line, the `YYYY-MM-DD` date in the file name, at midnight UTC.
    pub score_date: i64,
    /// The rows in file order.
    pub scores: Vec<EpssScore>,
}

/// The EPSS score of one CVE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Upper-case CVE id.
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, in [0, 1].
    pub epss: f32,
    /// Rank of this score among all scores of the day, in [0, 1].
    pub percentile: f32,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BUFFER: usize = 1 << 16;

/// Parses an EPSS daily file, plain CSV or gzip-compressed. `file_name` is
/// used in error messages and, for files without the comment line, to find
/// the score date.
pub fn parse_epss(reader: impl Read, file_name: &str) -> Result<EpssSnapshot, IntelError> {
    let mut input = BufReader::with_capacity(BUFFER, reader);
    let head = input
        .fill_buf()
        .map_err(|e| IntelError::read(file_name, Position::Line(1), e))?;
    if head.starts_with(&GZIP_MAGIC) {
        // MultiGzDecoder also reads files made by concatenating gzip members.
        // flate2 reports a stream that ends before its trailer as an
        // UnexpectedEof error, so a cut-off file fails instead of parsing as
        // a shorter one (see the truncation tests).
        let gz = flate2::bufread::MultiGzDecoder::new(input);
        parse_text(BufReader::with_capacity(BUFFER, gz), file_name)
    } else {
        parse_text(input, file_name)
    }
}

fn parse_text<R: BufRead>(mut input: R, file_name: &str) -> Result<EpssSnapshot, IntelError> {
    let mut first = Vec::new();
    input
        .read_until(b'\n', &mut first)
        .map_err(|e| IntelError::read(file_name, Position::Line(1), e))?;
    let first_line = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&first);
    if first_line.trim_ascii().is_empty() {
        return Err(IntelError::invalid(
            file_name,
            Position::Line(1),
            "empty file",
        ));
    }

    // The comment line is consumed here; otherwise the first line is the
    // header and goes back in front of the stream for the CSV reader.
    let (model_version, score_date, pending, line_offset) = if first_line.starts_with(b"#") {
        let (model, date) = parse_comment(first_line, file_name)?;
        (model, date, Vec::new(), 1)
    } else {
        (String::new(), None, first_line.to_vec(), 0)
    };
    let score_date = match score_date.or_else(|| date_in_file_name(file_name)) {
        Some(d) => d,
        None => {
            return Err(IntelError::invalid(
                file_name,
                Position::Line(1),
                "no score date: the file has no #model_version/score_date comment line and its name has no YYYY-MM-DD date",
            ));
        }
    };

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(BUFFER)
        .from_reader(Cursor::new(pending).chain(input));
    let header_line = line_offset + 1;
    let headers = reader
        .byte_headers()
        .map_err(|e| csv_error(file_name, &e, header_line, line_offset))?
        .clone();
    let column = |name: &str| -> Result<usize, IntelError> {
        headers
            .iter()
            .position(|h| h.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
            .ok_or_else(|| {
                IntelError::invalid(
                    file_name,
                    Position::Line(header_line),
                    format!(
                        "header {:?} has no column {name} (expected cve,epss,percentile)",
                        headers
                            .iter()
                            .map(String::from_utf8_lossy)
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                )
            })
    };
    let (cve_i, epss_i, percentile_i) = (column("cve")?, column("epss")?, column("percentile")?);
    let names = [
        (cve_i, "cve"),
        (epss_i, "epss"),
        (percentile_i, "percentile"),
    ];

    let mut scores = Vec::with_capacity(BUFFER);
    let mut record = csv::ByteRecord::new();
    let mut line = header_line;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file_name, &e, line + 1, line_offset)),
        }
        line = record
            .position()
            .map_or(line + 1, |p| p.line() + line_offset);
        let position = || Position::Line(line);
        if let Some((_, name)) = names.iter().find(|(i, _)| *i >= record.len()) {
            return Err(IntelError::invalid(
                file_name,
                position(),
                format!(
                    "missing column {name} ({} of {} fields present)",
                    record.len(),
                    headers.len()
                ),
            ));
        }
        let cve = record[cve_i].trim_ascii();
        if !is_cve_id(cve) {
            return Err(IntelError::invalid(
                file_name,
                position(),
                format!("invalid cve {:?}", String::from_utf8_lossy(cve)),
            ));
        }
        let epss = unit(&record[epss_i])
            .ok_or_else(|| out_of_range(file_name, line, "epss", &record[epss_i]))?;
        let percentile = unit(&record[percentile_i])
            .ok_or_else(|| out_of_range(file_name, line, "percentile", &record[percentile_i]))?;
        scores.push(EpssScore {
            // is_cve_id accepted only ASCII, so this is lossless.
            cve: cve
                .iter()
                .map(|&b| char::from(b.to_ascii_uppercase()))
                .collect(),
            epss,
            percentile,
        });
    }
    if scores.is_empty() {
        return Err(IntelError::invalid(
            file_name,
            Position::File,
            "no scores: the file has a header but no rows",
        ));
    }
    Ok(EpssSnapshot {
        model_version,
        score_date,
        scores,
    })
}

/// Reads `#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z`.
fn parse_comment(line: &[u8], file_name: &str) -> Result<(String, Option<i64>), IntelError> {
    let text = String::from_utf8_lossy(line);
    let text = text.trim().trim_start_matches('#');
    let mut model_version = String::new();
    let mut score_date = None;
    for part in text.split(',') {
        let Some((key, value)) = part.split_once(':') else {
            continue;
        };
        match key.trim() {
            "model_version" => model_version = value.trim().to_string(),
            "score_date" => {
                let value = value.trim();
                score_date = Some(parse_time(value).ok_or_else(|| {
                    IntelError::invalid(
                        file_name,
                        Position::Line(1),
                        format!("invalid score_date {value:?}"),
                    )
                })?);
            }
            _ => {}
        }
    }
    Ok((model_version, score_date))
}

/// `epss_scores-2026-01-30.csv.gz` → 2026-01-30.
fn date_in_file_name(file_name: &str) -> Option<i64> {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = name.get(i..i + 10)?;
        let b = candidate.as_bytes();
        let shaped = b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(j, c)| j == 4 || j == 7 || c.is_ascii_digit());
        if shaped { parse_date(candidate) } else { None }
    })
}

/// A number in [0, 1].
fn unit(field: &[u8]) -> Option<f32> {
    std::str::from_utf8(field.trim_ascii())
        .ok()?
        .parse::<f32>()
        .ok()
        .filter(|v| (0.0..=1.0).contains(v))
}

fn out_of_range(file_name: &str, line: u64, column: &str, field: &[u8]) -> IntelError {
    IntelError::invalid(
        file_name,
        Position::Line(line),
        format!(
            "invalid {column} {:?} (expected a number in [0, 1])",
            String::from_utf8_lossy(field)
        ),
    )
}

/// `line_offset` is the number of lines (the comment) consumed before the
/// CSV reader started counting.
fn csv_error(file_name: &str, e: &csv::Error, fallback_line: u64, line_offset: u64) -> IntelError {
    match e.kind() {
        // A gzip error surfaces here; csv does not know the position, but we do.
        csv::ErrorKind::Io(io) => IntelError::read(file_name, Position::Line(fallback_line), io),
        _ => {
            let line = e
                .position()
                .map_or(fallback_line, |p| p.line() + line_offset);
            IntelError::invalid(
                file_name,
                Position::Line(line),
                lowercase_first(&e.to_string()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_date_in_a_file_name() {
        assert_eq!(
            date_in_file_name("/x/epss_scores-2026-01-30.csv.gz"),
            parse_date("2026-01-30")
        );
        assert_eq!(date_in_file_name("epss.csv"), None);
        assert_eq!(date_in_file_name("2026-13-01.csv"), None);
    }

    #[test]
    fn unit_rejects_out_of_range_and_garbage() {
        assert_eq!(unit(b"0.5"), Some(0.5));
        assert_eq!(unit(b" 1 "), Some(1.0));
        assert_eq!(unit(b"1.01"), None);
        assert_eq!(unit(b"-0.1"), None);
        assert_eq!(unit(b"NaN"), None);
        assert_eq!(unit(b""), None);
    }
}
