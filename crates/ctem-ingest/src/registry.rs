//! The explicit registry of formats, one line per format, and content-based
//! format detection.

use crate::formats::{burp, nessus_csv, nmap, nuclei, openvas, qualys, semgrep, zap}; // ingest-b
use crate::formats::{nessus, sarif, trivy};
// ingest-a: dependency-scanner and SBOM formats
use crate::formats::{cyclonedx, grype, npm_audit, osv, snyk};
use crate::{Ctx, IngestError};
use std::io::BufRead;

/// How many bytes of the start of a file [`detect`] looks at.
pub const SNIFF_LEN: usize = 8 * 1024;

/// A registered report format.
pub struct Format {
    /// Stable short name (`trivy`, `sarif`, `nessus`); also the fixture folder.
    pub name: &'static str,
    /// One line for `--help` and error messages.
    pub description: &'static str,
    /// True when the first [`SNIFF_LEN`] bytes look like this format.
    pub(crate) sniff: fn(&[u8]) -> bool,
    /// Streams the report into the context's sink.
    pub(crate) parse: fn(&mut dyn BufRead, &mut Ctx<'_>) -> Result<(), IngestError>,
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Format").field("name", &self.name).finish()
    }
}

/// The registry: detection tries the formats in this order.
static FORMATS: &[&Format] = &[
    &trivy::FORMAT,
    &sarif::FORMAT,
    &nessus::FORMAT,
    // ingest-a: dependency-scanner and SBOM formats
    &cyclonedx::FORMAT,
    &grype::FORMAT,
    &osv::FORMAT,
    &snyk::FORMAT,
    &npm_audit::FORMAT,
    // ingest-b
    &semgrep::FORMAT,
    &zap::FORMAT,
    &burp::FORMAT,
    &openvas::FORMAT,
    &qualys::FORMAT,
    &nmap::FORMAT,
    &nuclei::FORMAT,
    &nessus_csv::FORMAT,
    // ingest-c: cloud, IaC, secrets and generic formats.
    &crate::formats::asff::FORMAT,
    &crate::formats::prowler::FORMAT,
    &crate::formats::checkov::FORMAT,
    &crate::formats::kics::FORMAT,
    &crate::formats::gitleaks::FORMAT,
    &crate::formats::trufflehog::FORMAT,
    &crate::formats::generic::FORMAT,
    // issue 3: remaining SBOM and dependency formats.
    &crate::formats::dependency_check::FORMAT,
    &crate::formats::spdx::FORMAT,
];

/// Every registered format.
pub fn formats() -> &'static [&'static Format] {
    FORMATS
}

/// Recognises the format of a report from its first bytes (pass at least the
/// first [`SNIFF_LEN`] bytes, or the whole file if shorter).
pub fn detect(head: &[u8]) -> Result<&'static Format, IngestError> {
    FORMATS
        .iter()
        .copied()
        .find(|f| (f.sniff)(head))
        .ok_or_else(|| IngestError::UnknownFormat {
            file: "input".to_string(),
            tried: FORMATS.iter().map(|f| f.name).collect(),
        })
}

/// The first byte that is not whitespace or a UTF-8 byte order mark.
pub(crate) fn first_significant(head: &[u8]) -> Option<u8> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// True when `head` holds `"key"` as a JSON object key: an unescaped quoted
/// string followed by `:`. Text inside string values (`\"key\"`) does not count.
pub(crate) fn has_json_key(head: &[u8], key: &str) -> bool {
    json_key_value(head, key).is_some()
}

/// The bytes that follow `"key":` (after whitespace), for the first
/// occurrence of `key` as a JSON object key.
pub(crate) fn json_key_value<'h>(head: &'h [u8], key: &str) -> Option<&'h [u8]> {
    let needle = format!("\"{key}\"");
    let needle = needle.as_bytes();
    let mut from = 0;
    while let Some(i) = find(&head[from..], needle) {
        let start = from + i;
        let end = start + needle.len();
        from = end;
        if start > 0 && head[start - 1] == b'\\' {
            continue;
        }
        let rest = &head[end..];
        let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if rest.get(skip) == Some(&b':') {
            let value = &rest[skip + 1..];
            let ws = value.iter().take_while(|b| b.is_ascii_whitespace()).count();
            return Some(&value[ws..]);
        }
    }
    None
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_inside_strings_do_not_count() {
        assert!(has_json_key(br#"{ "runs" : []}"#, "runs"));
        assert!(!has_json_key(br#"{"a": "say \"runs\": yes"}"#, "runs"));
        assert!(!has_json_key(br#"{"a": "runs"}"#, "runs"));
        assert_eq!(
            json_key_value(br#"{"version":  "2.1.0"}"#, "version"),
            Some(&br#""2.1.0"}"#[..])
        );
    }

    #[test]
    fn registry_order_is_detection_order() {
        let names: Vec<_> = formats().iter().map(|f| f.name).collect();
        assert_eq!(names[..3], ["trivy", "sarif", "nessus"]);
        // ingest-a: dependency-scanner and SBOM formats
        assert!(names.contains(&"cyclonedx"));
        // ingest-b
        for n in [
            "semgrep",
            "zap",
            "burp",
            "openvas",
            "qualys",
            "nmap",
            "nuclei",
            "nessus-csv",
        ] {
            assert!(names.contains(&n), "{n} registered");
        }
        // ingest-c block, in order.
        let c = [
            "asff",
            "prowler",
            "checkov",
            "kics",
            "gitleaks",
            "trufflehog",
            "generic",
        ];
        let at = names
            .iter()
            .position(|n| *n == "asff")
            .expect("asff registered");
        assert_eq!(names.get(at..at + c.len()), Some(&c[..]));
    }
}
