//! FIRST EPSS parsing: this crate's small fixtures (plain and gzip), broken
//! and truncated variants, and the real daily file under `CTEM_FIXTURES`.

mod common;

use common::{own_bytes, shared, shared_root};
use ctem_intel::{EpssSnapshot, IntelError, parse_epss};
use ctem_model::{fmt_time, parse_date};

fn parse_own(name: &str) -> Result<EpssSnapshot, IntelError> {
    parse_epss(own_bytes(name).as_slice(), name)
}

fn err_own(name: &str) -> String {
    match parse_own(name) {
        Ok(s) => panic!("{name} parsed with {} scores", s.scores.len()),
        Err(e) => e.to_string(),
    }
}

fn check_small(s: &EpssSnapshot) {
    assert_eq!(s.model_version, "v2025.03.14");
    assert_eq!(fmt_time(s.score_date), "2026-01-30T12:55:00Z");
    assert_eq!(s.scores.len(), 6);
    assert_eq!(s.scores[0].cve, "CVE-1999-0001");
    let log4j = s
        .scores
        .iter()
        .find(|x| x.cve == "CVE-2021-44228")
        .expect("log4shell");
    assert_eq!(log4j.epss, 0.94358);
    assert_eq!(log4j.percentile, 0.99959);
}

#[test]
fn small_plain_csv() {
    check_small(&parse_own("epss_small.csv").expect("plain"));
}

#[test]
fn small_gzip_matches_plain() {
    let gz = parse_own("epss_small.csv.gz").expect("gzip");
    check_small(&gz);
    assert_eq!(gz, parse_own("epss_small.csv").expect("plain"));
}

#[test]
fn truncated_gzip_is_an_error() {
    let msg = err_own("epss_truncated.csv.gz");
    eprintln!("{msg}");
    assert!(
        msg.starts_with("epss_truncated.csv.gz: line ") && msg.contains(": cannot read: "),
        "{msg}"
    );
}

/// No prefix of a gzip file is accepted as a shorter snapshot.
#[test]
fn every_cut_of_the_small_gzip_is_rejected() {
    let bytes = own_bytes("epss_small.csv.gz");
    for cut in 0..bytes.len() {
        if let Ok(s) = parse_epss(&bytes[..cut], "cut.csv.gz") {
            panic!(
                "cut at byte {cut} of {} parsed with {} scores",
                bytes.len(),
                s.scores.len()
            );
        }
    }
}

#[test]
fn corrupt_gzip_is_an_error() {
    // Garbage in the deflate data: whatever it decodes to, it is rejected.
    let mut bytes = own_bytes("epss_small.csv.gz");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    parse_epss(bytes.as_slice(), "corrupt.csv.gz").expect_err("corrupt deflate data");
    // A wrong CRC-32 in the trailer: the data decodes fine, the checksum does not match.
    let mut bytes = own_bytes("epss_small.csv.gz");
    let crc = bytes.len() - 8;
    bytes[crc] ^= 0xff;
    let e = parse_epss(bytes.as_slice(), "crc.csv.gz").expect_err("bad crc");
    assert!(e.to_string().starts_with("crc.csv.gz: line "), "{e}");
    assert!(e.to_string().contains(": cannot read: "), "{e}");
    // Not gzip at all after the magic bytes.
    let e = parse_epss(&[0x1f, 0x8b, 0, 0, 1, 2, 3][..], "bad.csv.gz").expect_err("bad header");
    assert!(e.to_string().contains(": cannot read: "), "{e}");
}

#[test]
fn row_with_a_missing_column_names_its_line() {
    assert_eq!(
        err_own("epss_missing_column.csv"),
        "epss_missing_column.csv: line 5: missing column percentile (2 of 3 fields present)"
    );
}

#[test]
fn out_of_range_score_is_an_error() {
    assert_eq!(
        err_own("epss_out_of_range.csv"),
        "epss_out_of_range.csv: line 4: invalid epss \"1.5\" (expected a number in [0, 1])"
    );
}

#[test]
fn bad_cve_is_an_error() {
    assert_eq!(
        err_own("epss_bad_cve.csv"),
        "epss_bad_cve.csv: line 4: invalid cve \"CVE-21-1\""
    );
}

#[test]
fn bad_numbers_are_errors() {
    let text = String::from_utf8(own_bytes("epss_small.csv")).expect("utf-8");
    for (from, to, cause) in [
        (",0.78086", ",abc", "invalid percentile \"abc\""),
        (",0.78086", ",", "invalid percentile \"\""),
        (",0.01151,", ",-0.01,", "invalid epss \"-0.01\""),
        (",0.01151,", ",NaN,", "invalid epss \"NaN\""),
    ] {
        let bad = text.replacen(from, to, 1);
        let e = parse_epss(bad.as_bytes(), "e.csv").expect_err(to);
        assert_eq!(
            e.to_string(),
            format!("e.csv: line 3: {cause} (expected a number in [0, 1])")
        );
    }
}

#[test]
fn header_and_metadata_errors() {
    let e = parse_epss(&b""[..], "empty.csv").expect_err("empty");
    assert_eq!(e.to_string(), "empty.csv: line 1: empty file");

    let only_header = "#model_version:v1,score_date:2026-01-30T00:00:00Z\ncve,epss,percentile\n";
    let e = parse_epss(only_header.as_bytes(), "h.csv").expect_err("no rows");
    assert_eq!(
        e.to_string(),
        "h.csv: file: no scores: the file has a header but no rows"
    );

    let wrong_header =
        "#model_version:v1,score_date:2026-01-30T00:00:00Z\ncve,score\nCVE-2021-44228,0.9\n";
    let e = parse_epss(wrong_header.as_bytes(), "w.csv").expect_err("no epss column");
    assert_eq!(
        e.to_string(),
        "w.csv: line 2: header \"cve,score\" has no column epss (expected cve,epss,percentile)"
    );

    let bad_date =
        "#model_version:v1,score_date:yesterday\ncve,epss,percentile\nCVE-2021-44228,0.9,0.9\n";
    let e = parse_epss(bad_date.as_bytes(), "d.csv").expect_err("bad date");
    assert_eq!(
        e.to_string(),
        "d.csv: line 1: invalid score_date \"yesterday\""
    );

    let no_comment = "cve,epss,percentile\nCVE-2021-44228,0.9,0.9\n";
    let e = parse_epss(no_comment.as_bytes(), "epss.csv").expect_err("no date");
    assert!(
        e.to_string().starts_with("epss.csv: line 1: no score date"),
        "{e}"
    );
}

/// Files before 2022 had no comment line; the date then comes from the name.
#[test]
fn file_without_comment_line_takes_the_date_from_its_name() {
    let no_comment = "cve,epss,percentile\r\ncve-2021-44228,0.9,0.99\r\n";
    let s = parse_epss(no_comment.as_bytes(), "/tmp/epss_scores-2021-12-20.csv").expect("valid");
    assert_eq!(s.model_version, "");
    assert_eq!(Some(s.score_date), parse_date("2021-12-20"));
    assert_eq!(s.scores[0].cve, "CVE-2021-44228");
}

/// The full daily file of 2026-01-30: 313,089 rows per the fixtures README
/// and SOURCE.txt.
#[test]
fn real_daily_file() {
    let Some(root) = shared_root() else { return };
    let path = shared(&root, "epss/epss_scores-2026-01-30.csv.gz");
    let bytes = std::fs::read(&path).expect("read epss");
    let started = std::time::Instant::now();
    let s = parse_epss(bytes.as_slice(), "epss_scores-2026-01-30.csv.gz").expect("real epss");
    eprintln!(
        "parsed {} EPSS rows in {:?} ({} build)",
        s.scores.len(),
        started.elapsed(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert_eq!(s.scores.len(), 313_089);
    assert_eq!(s.model_version, "v2025.03.14");
    assert_eq!(fmt_time(s.score_date), "2026-01-30T12:55:00Z");
    assert_eq!(s.scores[0].cve, "CVE-1999-0001");
    assert_eq!(s.scores[0].epss, 0.01151);
    assert_eq!(s.scores[0].percentile, 0.78086);
    let log4j = s
        .scores
        .iter()
        .find(|x| x.cve == "CVE-2021-44228")
        .expect("log4shell");
    assert_eq!(log4j.epss, 0.94358);
    let mut ids: Vec<&str> = s.scores.iter().map(|x| x.cve.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 313_089, "every CVE appears once");

    // Cut-off copies fail rather than yield a partial snapshot.
    for cut in [
        bytes.len() / 2,
        bytes.len() - 9,
        bytes.len() - 4,
        bytes.len() - 1,
    ] {
        let e = parse_epss(&bytes[..cut], "cut.csv.gz").expect_err("truncated real file");
        eprintln!("{e}");
        assert!(e.to_string().contains("cannot read"), "cut at {cut}: {e}");
    }
}
