//! Lookups by CVE id over a KEV catalogue and an EPSS snapshot.

mod common;

use common::own_bytes;
use ctem_intel::{Intel, parse_epss, parse_kev};
use ctem_model::{fmt_date, parse_date};

#[test]
fn lookups_ignore_case_and_blanks() {
    let kev = parse_kev(&own_bytes("kev_small.json"), "kev_small.json").expect("kev");
    let epss = parse_epss(
        own_bytes("epss_small.csv.gz").as_slice(),
        "epss_small.csv.gz",
    )
    .expect("epss");
    let intel = Intel::new(Some(&kev), Some(&epss));
    let entry = intel.kev(" cve-2021-44228 ").expect("log4shell in kev");
    assert_eq!(fmt_date(entry.date_added), "2021-12-10");
    assert_eq!(intel.epss("Cve-2021-44228").map(|s| s.epss), Some(0.94358));
    assert!(intel.kev("CVE-1999-0001").is_none());
    assert!(intel.epss("CVE-1999-0001").is_some());
    assert!(intel.kev("not a cve").is_none());
    assert_eq!((intel.kev_len(), intel.epss_len()), (4, 6));
    assert_eq!(intel.kev_version(), Some("2025.08.25"));
    assert_eq!(intel.epss_model_version(), Some("v2025.03.14"));
    assert!(intel.epss_score_date() > parse_date("2026-01-29"));
    assert!(intel.kev_released().is_some());
}

#[test]
fn missing_sources_give_no_answers() {
    let intel = Intel::new(None, None);
    assert!(intel.kev("CVE-2021-44228").is_none());
    assert!(intel.epss("CVE-2021-44228").is_none());
    assert_eq!(intel.kev_version(), None);
    assert_eq!(intel.epss_score_date(), None);
}
