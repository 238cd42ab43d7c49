//! Threat intelligence for ctem: which vulnerabilities are exploited (CISA
//! KEV), how likely exploitation is (FIRST EPSS), and how severe they are
//! (CVSS v2, v3.0, v3.1, v4.0).
//!
//! This crate only parses and scores: it does no I/O beyond the readers it is
//! handed, no network and no database. Downloading the feeds and storing them
//! belong elsewhere. Every parser rejects broken input with an [`IntelError`]
//! that names the file, the position and the cause; nothing panics on input.
//!
//! [`Intel`] puts a KEV catalogue and an EPSS snapshot behind lookups by CVE id.

#![forbid(unsafe_code)]

pub mod cvss;
pub mod cvss_traits;
pub mod epss;
pub mod error;
pub mod kev;

pub use cvss::{AttackVector, CvssScore, CvssVersion, score};
pub use cvss_traits::{CvssTraits, ExploitMaturity, cvss_traits};
pub use epss::{EpssScore, EpssSnapshot, parse_epss};
pub use error::{IntelError, Position};
pub use kev::{KevCatalog, KevEntry, parse_kev, parse_kev_csv, parse_kev_json};

use std::collections::HashMap;

/// KEV and EPSS data indexed by upper-case CVE id.
#[derive(Debug, Clone, Default)]
pub struct Intel {
    kev: HashMap<String, KevEntry>,
    epss: HashMap<String, EpssScore>,
    kev_version: Option<String>,
    kev_released: Option<i64>,
    epss_model_version: Option<String>,
    epss_score_date: Option<i64>,
}

impl Intel {
    /// Indexes whichever sources are available. If a CVE appears twice in a
    /// source, the later entry wins.
    pub fn new(kev: Option<&KevCatalog>, epss: Option<&EpssSnapshot>) -> Intel {
        let mut intel = Intel::default();
        if let Some(catalog) = kev {
            intel.kev = catalog
                .entries
                .iter()
                .map(|e| (e.cve.to_ascii_uppercase(), e.clone()))
                .collect();
            intel.kev_version = Some(catalog.catalog_version.clone());
            intel.kev_released = Some(catalog.date_released);
        }
        if let Some(snapshot) = epss {
            intel.epss = snapshot
                .scores
                .iter()
                .map(|s| (s.cve.to_ascii_uppercase(), s.clone()))
                .collect();
            intel.epss_model_version = Some(snapshot.model_version.clone());
            intel.epss_score_date = Some(snapshot.score_date);
        }
        intel
    }

    /// The KEV entry of a CVE (any case, surrounding blanks ignored).
    pub fn kev(&self, cve: &str) -> Option<&KevEntry> {
        self.kev.get(&cve.trim().to_ascii_uppercase())
    }

    /// The EPSS score of a CVE (any case, surrounding blanks ignored).
    pub fn epss(&self, cve: &str) -> Option<&EpssScore> {
        self.epss.get(&cve.trim().to_ascii_uppercase())
    }

    /// `catalogVersion` of the KEV catalogue, if one was given.
    pub fn kev_version(&self) -> Option<&str> {
        self.kev_version.as_deref()
    }

    /// `dateReleased` of the KEV catalogue, if one was given.
    pub fn kev_released(&self) -> Option<i64> {
        self.kev_released
    }

    /// Model version of the EPSS snapshot, if one was given.
    pub fn epss_model_version(&self) -> Option<&str> {
        self.epss_model_version.as_deref()
    }

    /// Score date of the EPSS snapshot, if one was given.
    pub fn epss_score_date(&self) -> Option<i64> {
        self.epss_score_date
    }

    /// Number of distinct CVEs in KEV.
    pub fn kev_len(&self) -> usize {
        self.kev.len()
    }

    /// Number of distinct CVEs with an EPSS score.
    pub fn epss_len(&self) -> usize {
        self.epss.len()
    }
}

/// `CVE-YYYY-NNNN…`: a four-digit year and at least four digits (at most 19,
/// as in CISA's schema), in any case.
pub fn is_cve_id(id: &[u8]) -> bool {
    let Some(rest) = id
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case(b"CVE-"))
        .and_then(|_| id.get(4..))
    else {
        return false;
    };
    let Some((year, number)) = rest.split_first_chunk::<5>() else {
        return false;
    };
    year[..4].iter().all(u8::is_ascii_digit)
        && year[4] == b'-'
        && (4..=19).contains(&number.len())
        && number.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_shape() {
        assert!(is_cve_id(b"CVE-2021-44228"));
        assert!(is_cve_id(b"cve-1999-0001"));
        assert!(is_cve_id(b"CVE-2024-1234567"));
        assert!(!is_cve_id(b"CVE-2021-442"));
        assert!(!is_cve_id(b"CVE-21-44228"));
        assert!(!is_cve_id(b"GHSA-2021-44228"));
        assert!(!is_cve_id(b"CVE-2021-44228 "));
        assert!(!is_cve_id(b"CVE-2021-4422x"));
        assert!(!is_cve_id(b""));
    }
}
