//! What a CVSS vector says about automation, impact and exploit maturity:
//! the inputs SSVC needs (see `docs/scope.md`, "SSVC").
//!
//! Read from the canonical vector that [`crate::score`] returns, so every
//! spelling scanners use is already normalised.

use crate::cvss::{CvssScore, CvssVersion};
use serde::Serialize;

/// Exploit maturity as the vector reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExploitMaturity {
    /// Not given, or Not Defined (`X`/`ND`).
    NotReported,
    /// Unproven (`U`).
    Unproven,
    /// Proof of concept, functional or high (v2 `POC/F/H`, v3 `P/F/H`, v4 `P`).
    ExploitCode,
    /// v4 `E:A`: attacks have been reported.
    Attacked,
}

/// SSVC-relevant traits of one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CvssTraits {
    /// Network attack vector, low attack complexity, no privileges and no
    /// user interaction (v4 also no attack requirements; v2: network, low
    /// complexity, no authentication). A v4 supplemental `AU:Y`/`AU:N`
    /// overrides the derivation.
    pub automatable: bool,
    /// Confidentiality and integrity impact both high (v2 complete; v4 the
    /// vulnerable system's `VC` and `VI`).
    pub total_impact: bool,
    pub exploit: ExploitMaturity,
}

/// Reads the traits from a scored vector.
pub fn cvss_traits(s: &CvssScore) -> CvssTraits {
    let metrics: Vec<(&str, &str)> = s
        .vector
        .split('/')
        .filter_map(|m| m.split_once(':'))
        .filter(|(k, _)| *k != "CVSS")
        .collect();
    let get = |k: &str| metrics.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let is = |k: &str, v: &str| get(k) == Some(v);
    let (automatable, total_impact) = match s.version {
        CvssVersion::V2 => (
            is("AV", "N") && is("AC", "L") && is("Au", "N"),
            is("C", "C") && is("I", "C"),
        ),
        CvssVersion::V3_0 | CvssVersion::V3_1 => (
            is("AV", "N") && is("AC", "L") && is("PR", "N") && is("UI", "N"),
            is("C", "H") && is("I", "H"),
        ),
        CvssVersion::V4_0 => (
            match get("AU") {
                Some("Y") => true,
                Some("N") => false,
                _ => {
                    is("AV", "N")
                        && is("AC", "L")
                        && is("AT", "N")
                        && is("PR", "N")
                        && is("UI", "N")
                }
            },
            is("VC", "H") && is("VI", "H"),
        ),
    };
    let exploit = match (s.version, get("E")) {
        (_, None | Some("X") | Some("ND")) => ExploitMaturity::NotReported,
        (_, Some("U")) => ExploitMaturity::Unproven,
        (CvssVersion::V4_0, Some("A")) => ExploitMaturity::Attacked,
        (_, Some("P" | "POC" | "F" | "H")) => ExploitMaturity::ExploitCode,
        _ => ExploitMaturity::NotReported,
    };
    CvssTraits {
        automatable,
        total_impact,
        exploit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &str) -> CvssTraits {
        match crate::score(v) {
            Ok(s) => cvss_traits(&s),
            Err(e) => panic!("{v}: {e}"),
        }
    }

    #[test]
    fn traits_of_each_version() {
        let rce = t("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert!(rce.automatable && rce.total_impact);
        assert_eq!(rce.exploit, ExploitMaturity::NotReported);
        let xss = t("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/E:F");
        assert!(!xss.automatable && !xss.total_impact);
        assert_eq!(xss.exploit, ExploitMaturity::ExploitCode);
        let v4 = t("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A");
        assert!(v4.automatable && v4.total_impact);
        assert_eq!(v4.exploit, ExploitMaturity::Attacked);
        let v4_au = t("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:H/SC:N/SI:N/SA:N/AU:Y");
        assert!(v4_au.automatable && !v4_au.total_impact);
        let v2 = t("AV:N/AC:L/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C");
        assert!(v2.automatable && v2.total_impact);
        assert_eq!(v2.exploit, ExploitMaturity::ExploitCode);
        let local = t("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:U");
        assert!(!local.automatable && local.total_impact);
        assert_eq!(local.exploit, ExploitMaturity::Unproven);
    }
}
