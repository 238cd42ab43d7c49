//! The CISA Known Exploited Vulnerabilities (KEV) catalogue.
//!
//! CISA publishes the catalogue as JSON (`known_exploited_vulnerabilities.json`,
//! with `catalogVersion`, `dateReleased`, `count` and `vulnerabilities[]`) and
//! as CSV with the same per-entry columns. [`parse_kev`] reads either and
//! rejects anything broken: a truncated or malformed file, a `count` that
//! disagrees with the entries, a missing column, a bad date or CVE id, an
//! empty catalogue. A KEV file that is silently half-read would make exploited
//! vulnerabilities look unexploited, so nothing here is lenient about structure.

use crate::error::{IntelError, Position, lowercase_first};
use crate::is_cve_id;
use ctem_model::{fmt_date, parse_date, parse_time};
use serde::{Deserialize, Serialize};

/// A parsed KEV catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KevCatalog {
    /// `catalogVersion` of the JSON, for example `2025.08.25`. The CSV has no
    /// such field: for a CSV it is derived from the newest `dateAdded`, in the
    /// same `YYYY.MM.DD` form.
    pub catalog_version: String,
    /// `dateReleased` of the JSON (Unix seconds). For a CSV, the newest
    /// `dateAdded` (midnight UTC).
    pub date_released: i64,
    /// The entries in file order.
    pub entries: Vec<KevEntry>,
}

/// One known exploited vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// Upper-case CVE id, `CVE-2021-44228`.
    pub cve: String,
    /// `vendorProject`.
    pub vendor: String,
    pub product: String,
    /// `vulnerabilityName`.
    pub name: String,
    /// `dateAdded`, midnight UTC.
    pub date_added: i64,
    /// `dueDate` (the federal remediation deadline), midnight UTC; `None` when empty.
    pub due_date: Option<i64>,
    /// `knownRansomwareCampaignUse` is `Known`.
    pub ransomware: bool,
    pub short_description: String,
    pub required_action: String,
}

/// Parses a KEV catalogue, JSON or CSV, detected from the content: a file
/// whose first non-blank character is `{` is JSON, anything else CSV.
/// `file_name` is only used in error messages.
pub fn parse_kev(bytes: &[u8], file_name: &str) -> Result<KevCatalog, IntelError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(IntelError::invalid(file_name, Position::File, "empty file")),
        Some(b'{') => parse_kev_json(bytes, file_name),
        Some(_) => parse_kev_csv(bytes, file_name),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCatalog {
    catalog_version: String,
    date_released: String,
    count: u64,
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(rename = "vendorProject")]
    vendor_project: String,
    product: String,
    #[serde(rename = "vulnerabilityName")]
    vulnerability_name: String,
    #[serde(rename = "dateAdded")]
    date_added: String,
    #[serde(rename = "shortDescription")]
    short_description: String,
    #[serde(rename = "requiredAction")]
    required_action: String,
    #[serde(rename = "dueDate", default)]
    due_date: Option<String>,
    #[serde(rename = "knownRansomwareCampaignUse", default)]
    known_ransomware_campaign_use: Option<String>,
}

/// Parses the JSON form of the catalogue.
pub fn parse_kev_json(bytes: &[u8], file_name: &str) -> Result<KevCatalog, IntelError> {
    let raw: RawCatalog = serde_json::from_slice(bytes).map_err(|e| json_error(file_name, &e))?;
    let date_released = parse_time(&raw.date_released).ok_or_else(|| {
        IntelError::invalid(
            file_name,
            Position::File,
            format!("invalid dateReleased {:?}", raw.date_released),
        )
    })?;
    let catalog_version = raw.catalog_version.trim().to_string();
    if catalog_version.is_empty() {
        return Err(IntelError::invalid(
            file_name,
            Position::File,
            "empty catalogVersion",
        ));
    }
    if raw.vulnerabilities.is_empty() {
        return Err(IntelError::invalid(
            file_name,
            Position::File,
            "empty catalogue: no vulnerabilities",
        ));
    }
    if raw.count != raw.vulnerabilities.len() as u64 {
        return Err(IntelError::invalid(
            file_name,
            Position::File,
            format!(
                "count is {} but vulnerabilities has {} entries",
                raw.count,
                raw.vulnerabilities.len()
            ),
        ));
    }
    let entries = raw
        .vulnerabilities
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            let position = Position::Entry {
                index,
                cve: Some(r.cve_id.clone()),
            };
            build_entry(
                Fields {
                    cve: &r.cve_id,
                    vendor: &r.vendor_project,
                    product: &r.product,
                    name: &r.vulnerability_name,
                    date_added: &r.date_added,
                    due_date: r.due_date.as_deref().unwrap_or(""),
                    ransomware: r.known_ransomware_campaign_use.as_deref().unwrap_or(""),
                    short_description: &r.short_description,
                    required_action: &r.required_action,
                },
                file_name,
                position,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KevCatalog {
        catalog_version,
        date_released,
        entries,
    })
}

/// serde_json reports "EOF while parsing a list at line 9 column 0"; we put
/// the position first, in our own form, and keep the cause.
fn json_error(file_name: &str, e: &serde_json::Error) -> IntelError {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let cause = msg.strip_suffix(&suffix).unwrap_or(&msg);
    let cause = if e.is_eof() {
        format!("truncated json: {}", lowercase_first(cause))
    } else {
        format!("invalid json: {}", lowercase_first(cause))
    };
    IntelError::invalid(
        file_name,
        Position::LineColumn(e.line() as u64, e.column() as u64),
        cause,
    )
}

/// The CSV columns an entry needs; `knownRansomwareCampaignUse` is optional
/// because catalogues before October 2023 did not have it.
const REQUIRED_COLUMNS: [&str; 8] = [
    "cveID",
    "vendorProject",
    "product",
    "vulnerabilityName",
    "dateAdded",
    "shortDescription",
    "requiredAction",
    "dueDate",
];
const RANSOMWARE_COLUMN: &str = "knownRansomwareCampaignUse";

/// Parses the CSV form of the catalogue.
pub fn parse_kev_csv(bytes: &[u8], file_name: &str) -> Result<KevCatalog, IntelError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The csv crate ends an unterminated quoted field at end of input without
    // complaint, which would accept a file cut inside a quoted description.
    if let Some(line) = unterminated_quote_line(bytes) {
        return Err(IntelError::invalid(
            file_name,
            Position::Line(line),
            "unterminated quoted field (is the file truncated?)",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| csv_error(file_name, &e, 1))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let mut indices = [0usize; REQUIRED_COLUMNS.len()];
    for (slot, name) in indices.iter_mut().zip(REQUIRED_COLUMNS) {
        *slot = column(name).ok_or_else(|| {
            IntelError::invalid(
                file_name,
                Position::Line(1),
                format!("header has no column {name}"),
            )
        })?;
    }
    let ransomware_index = column(RANSOMWARE_COLUMN);

    let mut entries = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut last_line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file_name, &e, last_line + 1)),
        }
        let line = record.position().map_or(last_line + 1, |p| p.line());
        last_line = line;
        let position = Position::Record {
            record: entries.len() as u64 + 1,
            line,
        };
        // Every record of CISA's CSV has every column, including those we do
        // not keep (notes, cwes): a short record is a cut or broken line.
        if record.len() != headers.len() {
            let cause = match headers.get(record.len()) {
                Some(missing) => format!(
                    "missing column {missing} ({} of {} fields present)",
                    record.len(),
                    headers.len()
                ),
                None => format!(
                    "{} fields but the header has {} columns",
                    record.len(),
                    headers.len()
                ),
            };
            return Err(IntelError::invalid(file_name, position, cause));
        }
        let field = |i: usize| -> Result<&str, IntelError> {
            record
                .get(i)
                .ok_or_else(|| IntelError::invalid(file_name, position.clone(), "missing column"))
        };
        let [
            cve,
            vendor,
            product,
            name,
            date_added,
            short_description,
            required_action,
            due_date,
        ] = indices;
        let ransomware = match ransomware_index {
            Some(i) => field(i)?,
            None => "",
        };
        let fields = Fields {
            cve: field(cve)?,
            vendor: field(vendor)?,
            product: field(product)?,
            name: field(name)?,
            date_added: field(date_added)?,
            short_description: field(short_description)?,
            required_action: field(required_action)?,
            due_date: field(due_date)?,
            ransomware,
        };
        entries.push(build_entry(fields, file_name, position.clone())?);
    }
    let Some(newest) = entries.iter().map(|e| e.date_added).max() else {
        return Err(IntelError::invalid(
            file_name,
            Position::File,
            "empty catalogue: no vulnerabilities",
        ));
    };
    Ok(KevCatalog {
        catalog_version: fmt_date(newest).replace('-', "."),
        date_released: newest,
        entries,
    })
}

fn csv_error(file_name: &str, e: &csv::Error, fallback_line: u64) -> IntelError {
    let line = e.position().map_or(fallback_line, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Io(io) => IntelError::read(file_name, Position::Line(line), io),
        csv::ErrorKind::Utf8 { err, .. } => IntelError::invalid(
            file_name,
            Position::Line(line),
            format!("invalid utf-8: {}", lowercase_first(&err.to_string())),
        ),
        _ => IntelError::invalid(
            file_name,
            Position::Line(line),
            lowercase_first(&e.to_string()),
        ),
    }
}

/// The line on which a quoted field opens that is never closed, if any.
/// A doubled quote inside a quoted field toggles twice, so it cancels out.
fn unterminated_quote_line(bytes: &[u8]) -> Option<u64> {
    let mut line = 1u64;
    let mut open_at: Option<u64> = None;
    for &b in bytes {
        match b {
            b'"' => open_at = if open_at.is_some() { None } else { Some(line) },
            b'\n' => line += 1,
            _ => {}
        }
    }
    open_at
}

/// The raw text of one entry, whichever format it came from.
struct Fields<'a> {
    cve: &'a str,
    vendor: &'a str,
    product: &'a str,
    name: &'a str,
    date_added: &'a str,
    due_date: &'a str,
    ransomware: &'a str,
    short_description: &'a str,
    required_action: &'a str,
}

fn build_entry(f: Fields<'_>, file: &str, position: Position) -> Result<KevEntry, IntelError> {
    let bad = |cause: String| IntelError::invalid(file, position.clone(), cause);
    let cve = f.cve.trim();
    if !is_cve_id(cve.as_bytes()) {
        return Err(bad(format!("invalid cveID {cve:?}")));
    }
    let date_added = parse_date(f.date_added)
        .ok_or_else(|| bad(format!("invalid dateAdded {:?}", f.date_added)))?;
    let due_date = match f.due_date.trim() {
        "" => None,
        s => Some(parse_date(s).ok_or_else(|| bad(format!("invalid dueDate {s:?}")))?),
    };
    let ransomware = match f.ransomware.trim() {
        s if s.eq_ignore_ascii_case("known") => true,
        s if s.eq_ignore_ascii_case("unknown") || s.is_empty() => false,
        s => {
            return Err(bad(format!(
                "invalid knownRansomwareCampaignUse {s:?} (expected Known or Unknown)"
            )));
        }
    };
    Ok(KevEntry {
        cve: cve.to_ascii_uppercase(),
        vendor: f.vendor.trim().to_string(),
        product: f.product.trim().to_string(),
        name: f.name.trim().to_string(),
        date_added,
        due_date,
        ransomware,
        short_description: f.short_description.trim().to_string(),
        required_action: f.required_action.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unterminated_quotes() {
        assert_eq!(unterminated_quote_line(b"a,\"b\"\"c\"\n"), None);
        assert_eq!(unterminated_quote_line(b"a,b\nc,\"d\ne"), Some(2));
    }
}
