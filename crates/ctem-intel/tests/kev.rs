//! CISA KEV parsing: this crate's small fixtures, their broken variants, and
//! the real catalogues under `CTEM_FIXTURES`.

mod common;

use common::{own_bytes, shared, shared_root};
use ctem_intel::{IntelError, KevCatalog, Position, parse_kev};
use ctem_model::{fmt_date, fmt_time, parse_date};

fn parse_own(name: &str) -> Result<KevCatalog, IntelError> {
    parse_kev(&own_bytes(name), name)
}

fn err_own(name: &str) -> IntelError {
    match parse_own(name) {
        Ok(c) => panic!("{name} parsed with {} entries", c.entries.len()),
        Err(e) => e,
    }
}

fn check_small(c: &KevCatalog) {
    assert_eq!(c.entries.len(), 4);
    let log4j = c
        .entries
        .iter()
        .find(|e| e.cve == "CVE-2021-44228")
        .expect("log4shell in the small catalogue");
    assert_eq!(log4j.vendor, "Apache");
    assert_eq!(log4j.product, "Log4j2");
    assert_eq!(
        log4j.name,
        "Apache Log4j2 Remote Code Execution Vulnerability"
    );
    assert_eq!(fmt_date(log4j.date_added), "2021-12-10");
    assert_eq!(log4j.due_date.map(fmt_date).as_deref(), Some("2021-12-24"));
    assert!(log4j.ransomware);
    assert!(
        log4j
            .short_description
            .starts_with("Apache Log4j2 contains")
    );
    assert!(log4j.required_action.starts_with("For all affected"));
    let git = &c.entries[0];
    assert_eq!(git.cve, "CVE-2025-48384");
    assert!(!git.ransomware);
    // The Unicode apostrophe survives both formats.
    assert!(git.short_description.contains("Git’s"));
}

#[test]
fn small_json() {
    let c = parse_own("kev_small.json").expect("valid json");
    check_small(&c);
    assert_eq!(c.catalog_version, "2025.08.25");
    assert_eq!(fmt_time(c.date_released), "2025-08-25T17:04:19Z");
}

#[test]
fn small_csv_matches_json() {
    let csv = parse_own("kev_small.csv").expect("valid csv");
    check_small(&csv);
    let json = parse_own("kev_small.json").expect("valid json");
    assert_eq!(csv.entries, json.entries);
    // The CSV has no header metadata: version and release come from the newest dateAdded.
    assert_eq!(csv.catalog_version, "2025.08.25");
    assert_eq!(Some(csv.date_released), parse_date("2025-08-25"));
}

#[test]
fn utf8_bom_and_leading_blanks_are_accepted() {
    let mut bytes = b"\xEF\xBB\xBF\n  ".to_vec();
    bytes.extend(own_bytes("kev_small.json"));
    assert_eq!(parse_kev(&bytes, "bom.json").expect("bom").entries.len(), 4);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(own_bytes("kev_small.csv"));
    assert_eq!(parse_kev(&bytes, "bom.csv").expect("bom").entries.len(), 4);
}

#[test]
fn truncated_json_names_line_and_column() {
    let e = err_own("kev_truncated.json");
    let msg = e.to_string();
    assert!(
        matches!(e.position(), Some(Position::LineColumn(..))),
        "{msg}"
    );
    assert!(msg.starts_with("kev_truncated.json: line "), "{msg}");
    assert!(msg.contains("truncated json: EOF while parsing"), "{msg}");
}

#[test]
fn count_mismatch_is_an_error() {
    let msg = err_own("kev_count_mismatch.json").to_string();
    assert_eq!(
        msg,
        "kev_count_mismatch.json: file: count is 5 but vulnerabilities has 4 entries"
    );
}

#[test]
fn empty_catalogue_is_an_error() {
    let msg = err_own("kev_empty.json").to_string();
    assert_eq!(
        msg,
        "kev_empty.json: file: empty catalogue: no vulnerabilities"
    );
    let e = parse_kev(b"  \n", "blank.json").expect_err("blank");
    assert_eq!(e.to_string(), "blank.json: file: empty file");
    let header_only = own_bytes("kev_small.csv");
    let first_line = header_only
        .split(|&b| b == b'\n')
        .next()
        .expect("a header line");
    let e = parse_kev(first_line, "header.csv").expect_err("header only");
    assert_eq!(
        e.to_string(),
        "header.csv: file: empty catalogue: no vulnerabilities"
    );
}

#[test]
fn truncated_csv_is_an_error() {
    let msg = err_own("kev_truncated.csv").to_string();
    assert_eq!(
        msg,
        "kev_truncated.csv: line 5: unterminated quoted field (is the file truncated?)"
    );
}

#[test]
fn csv_row_missing_columns_names_record_line_and_column() {
    let msg = err_own("kev_missing_column.csv").to_string();
    assert_eq!(
        msg,
        "kev_missing_column.csv: record 2 (line 3): missing column knownRansomwareCampaignUse (8 of 11 fields present)"
    );
}

#[test]
fn json_entry_errors_name_the_entry() {
    let text = String::from_utf8(own_bytes("kev_small.json")).expect("utf-8");
    let bad_date = text.replacen("\"2021-12-10\"", "\"2021-13-10\"", 1);
    let e = parse_kev(bad_date.as_bytes(), "k.json").expect_err("bad date");
    assert_eq!(
        e.to_string(),
        "k.json: vulnerabilities[3] (CVE-2021-44228): invalid dateAdded \"2021-13-10\""
    );
    let bad_cve = text.replacen("\"CVE-2024-8068\"", "\"CVE-24-8068\"", 1);
    let e = parse_kev(bad_cve.as_bytes(), "k.json").expect_err("bad cve");
    assert_eq!(
        e.to_string(),
        "k.json: vulnerabilities[1] (CVE-24-8068): invalid cveID \"CVE-24-8068\""
    );
    let bad_flag = text.replacen("\"Known\"", "\"Maybe\"", 1);
    let e = parse_kev(bad_flag.as_bytes(), "k.json").expect_err("bad flag");
    assert!(
        e.to_string()
            .ends_with("invalid knownRansomwareCampaignUse \"Maybe\" (expected Known or Unknown)"),
        "{e}"
    );
    let missing = text.replacen("\"cveID\": \"CVE-2024-8068\",", "", 1);
    let e = parse_kev(missing.as_bytes(), "k.json").expect_err("missing field");
    assert!(
        e.to_string()
            .contains("invalid json: missing field `cveID`"),
        "{e}"
    );
}

#[test]
fn csv_header_without_a_column_is_an_error() {
    let text = String::from_utf8(own_bytes("kev_small.csv")).expect("utf-8");
    let renamed = text.replacen("dateAdded", "added", 1);
    let e = parse_kev(renamed.as_bytes(), "k.csv").expect_err("no dateAdded");
    assert_eq!(
        e.to_string(),
        "k.csv: line 1: header has no column dateAdded"
    );
}

#[test]
fn csv_bad_due_date_names_record() {
    let text = String::from_utf8(own_bytes("kev_small.csv")).expect("utf-8");
    let bad = text.replacen(",2021-12-24,", ",24/12/2021,", 1);
    let e = parse_kev(bad.as_bytes(), "k.csv").expect_err("bad due date");
    assert_eq!(
        e.to_string(),
        "k.csv: record 4 (line 5): invalid dueDate \"24/12/2021\""
    );
}

/// The newest catalogue (a mirror of CISA's JSON, 2026-08-07) and the
/// official 2025-08-25 JSON and CSV from cisagov/kev-data.
#[test]
fn real_catalogues() {
    let Some(root) = shared_root() else { return };
    let newest_path = shared(&root, "kev/known_exploited_vulnerabilities.json");
    let bytes = std::fs::read(&newest_path).expect("read newest kev");
    let newest = parse_kev(&bytes, "known_exploited_vulnerabilities.json").expect("newest kev");
    let count = serde_json::from_slice::<serde_json::Value>(&bytes).expect("json")["count"]
        .as_u64()
        .expect("count");
    assert_eq!(newest.entries.len() as u64, count);
    assert_eq!(newest.entries.len(), 1662);
    assert_eq!(newest.catalog_version, "2026.08.07");
    assert_eq!(fmt_time(newest.date_released), "2026-08-07T16:45:47Z");
    let log4j = newest
        .entries
        .iter()
        .find(|e| e.cve == "CVE-2021-44228")
        .expect("log4shell in kev");
    assert_eq!(fmt_date(log4j.date_added), "2021-12-10");
    assert!(log4j.ransomware);
    assert_eq!(newest.entries.iter().filter(|e| e.ransomware).count(), 338);
    assert!(newest.entries.iter().all(|e| e.due_date.is_some()));

    let official_json = parse_kev(
        &std::fs::read(shared(
            &root,
            "kev/official_cisagov_kev-data/known_exploited_vulnerabilities.json",
        ))
        .expect("read"),
        "official.json",
    )
    .expect("official json");
    let official_csv = parse_kev(
        &std::fs::read(shared(
            &root,
            "kev/official_cisagov_kev-data/known_exploited_vulnerabilities.csv",
        ))
        .expect("read"),
        "official.csv",
    )
    .expect("official csv");
    assert_eq!(official_json.entries.len(), 1404);
    assert_eq!(official_json.catalog_version, "2025.08.25");
    assert_eq!(official_csv.catalog_version, "2025.08.25");
    assert_eq!(official_json.entries.len(), official_csv.entries.len());
    assert_eq!(
        official_json
            .entries
            .iter()
            .filter(|e| e.ransomware)
            .count(),
        293
    );
    // Same rows in the same order, field for field, from the two formats.
    for (j, c) in official_json.entries.iter().zip(&official_csv.entries) {
        assert_eq!(j, c);
    }
}

/// Every prefix of the small files is rejected, never read as a shorter
/// catalogue, except where the CSV format itself cannot tell: a cut just
/// after a complete record, or inside the last field of a record (`cwes`,
/// which may legitimately be empty or shorter).
#[test]
fn every_cut_of_the_small_files_is_rejected() {
    for name in ["kev_small.json", "kev_small.csv"] {
        let bytes = own_bytes(name);
        let is_csv = name.ends_with(".csv");
        for cut in 1..bytes.len() - 1 {
            let Ok(c) = parse_kev(&bytes[..cut], name) else {
                continue;
            };
            assert!(
                is_csv && (bytes[cut - 1] == b'\n' || in_last_csv_field(&bytes, cut)),
                "{name} cut at byte {cut} parsed with {} entries",
                c.entries.len()
            );
        }
    }
}

/// Whether no field separator follows `cut` before the end of its record.
fn in_last_csv_field(bytes: &[u8], cut: usize) -> bool {
    let mut quoted = bytes[..cut].iter().filter(|&&b| b == b'"').count() % 2 == 1;
    for &b in &bytes[cut..] {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => return false,
            b'\n' if !quoted => return true,
            _ => {}
        }
    }
    true
}
