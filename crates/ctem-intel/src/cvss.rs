//! CVSS vectors (v2, v3.0, v3.1, v4.0) to scores, through the RustSec `cvss` crate.
//!
//! CVSS measures severity, not risk; ctem keeps it as one factor among
//! several. [`score`] accepts the spellings scanners use:
//!
//! - v2 without prefix (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, as NVD writes it), in
//!   parentheses (`(AV:N/...)`), with Nessus' `CVSS2#` or a `CVSS:2.0/` prefix;
//! - v3.0, v3.1 and v4.0 with their `CVSS:x.y/` prefix (any case).
//!
//! Which scores are filled in:
//!
//! - v2: `temporal` when the vector carries a temporal metric (E, RL, RC),
//!   `environmental` when it carries an environmental one (CDP, TD, CR, IR, AR),
//!   as NVD and the Red Hat reference implementation report them.
//! - v3.x: always both: the specification defines them for every vector
//!   (unset metrics count as Not Defined), and for v3.1 scope-changed vectors
//!   the environmental score differs from the base score even then.
//!   The crate computes the temporal score itself (`Vector::temporal_score`,
//!   Roundup(Base × E × RL × RC)), so nothing is re-implemented here.
//! - v4.0: the crate scores a vector with all the metrics it carries. `base`
//!   is the score of the base metrics alone (CVSS-B), `temporal` the
//!   threat-adjusted score (CVSS-BT) when `E` is set, `environmental` the
//!   score with every metric (CVSS-BE or CVSS-BTE) when an environmental
//!   metric is set. Metrics set to `X` (Not Defined) count as unset.
//!
//! `severity` is always the rating of the base score: NVD's Low/Medium/High
//! ranges for v2 (which has no Critical), the qualitative scale for v3/v4.

use crate::error::IntelError;
use ctem_model::Severity;
use cvss::Cvss;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The CVSS version of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    V2,
    V3_0,
    V3_1,
    V4_0,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

/// The base Attack Vector (v3/v4) or Access Vector (v2) metric. v2 has no
/// Physical; its Adjacent Network maps to Adjacent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AttackVector {
    Network,
    Adjacent,
    Local,
    Physical,
}

/// The scores of one CVSS vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    pub version: CvssVersion,
    /// The vector in the crate's canonical form: v2 without prefix or
    /// parentheses, v3/v4 with `CVSS:x.y/` and metrics in specification order.
    pub vector: String,
    pub base: f64,
    /// v2/v3 temporal score, or v4 threat-adjusted (CVSS-BT) score; see the
    /// module documentation for when it is present.
    pub temporal: Option<f64>,
    /// Environmental score (v4: CVSS-BE or CVSS-BTE).
    pub environmental: Option<f64>,
    /// Rating of the base score.
    pub severity: Severity,
    pub attack_vector: AttackVector,
}

impl CvssScore {
    /// The most specific score the vector carries: environmental, else
    /// temporal, else base.
    pub fn effective(&self) -> f64 {
        self.environmental.or(self.temporal).unwrap_or(self.base)
    }
}

/// Parses and scores a CVSS vector.
pub fn score(vector: &str) -> Result<CvssScore, IntelError> {
    let err = |cause: String| IntelError::Cvss {
        vector: vector.to_string(),
        cause,
    };
    let normalised = normalise(vector);
    if normalised.is_empty() {
        return Err(err("empty vector".to_string()));
    }
    let parsed = Cvss::from_str(&normalised).map_err(|e| err(crate_error(&e)))?;
    match parsed {
        Cvss::CvssV20(v) => {
            let base = non_negative(v.score().value());
            let has_temporal = v.e.is_some() || v.rl.is_some() || v.rc.is_some();
            let has_environmental = v.cdp.is_some()
                || v.td.is_some()
                || v.cr.is_some()
                || v.ir.is_some()
                || v.ar.is_some();
            use cvss::v2::metric::base::AccessVector as Av2;
            let attack_vector = match v.av {
                Some(Av2::Network) => AttackVector::Network,
                Some(Av2::AdjacentNetwork) => AttackVector::Adjacent,
                Some(Av2::Local) => AttackVector::Local,
                // The v2 parser rejects vectors without AV.
                None => return Err(err("missing mandatory metric AV".to_string())),
            };
            Ok(CvssScore {
                version: CvssVersion::V2,
                vector: v.to_string(),
                base,
                temporal: has_temporal.then(|| non_negative(v.temporal_score().value())),
                environmental: has_environmental
                    .then(|| non_negative(v.environmental_score().value())),
                severity: v2_severity(base),
                attack_vector,
            })
        }
        Cvss::CvssV30(v) | Cvss::CvssV31(v) => {
            // Unlike v2 and v4, the crate's v3 parser accepts vectors that
            // lack base metrics and scores them as if they were zero.
            let missing = [
                ("AV", v.av.is_none()),
                ("AC", v.ac.is_none()),
                ("PR", v.pr.is_none()),
                ("UI", v.ui.is_none()),
                ("S", v.s.is_none()),
                ("C", v.c.is_none()),
                ("I", v.i.is_none()),
                ("A", v.a.is_none()),
            ];
            if let Some((name, _)) = missing.iter().find(|(_, m)| *m) {
                return Err(err(format!("missing mandatory metric {name}")));
            }
            use cvss::v3::metric::base::AttackVector as Av3;
            let attack_vector = match v.av {
                Some(Av3::Network) => AttackVector::Network,
                Some(Av3::Adjacent) => AttackVector::Adjacent,
                Some(Av3::Local) => AttackVector::Local,
                Some(Av3::Physical) | None => AttackVector::Physical,
            };
            let base = v.base_score().value();
            Ok(CvssScore {
                version: if v.minor_version == 0 {
                    CvssVersion::V3_0
                } else {
                    CvssVersion::V3_1
                },
                vector: v.to_string(),
                base,
                temporal: Some(v.temporal_score().value()),
                environmental: Some(v.environmental_score().value()),
                severity: Severity::from_cvss(base),
                attack_vector,
            })
        }
        Cvss::CvssV40(v) => score_v4(&v, &err),
        // `Cvss` is non-exhaustive; a future version is not supported yet.
        other => Err(err(format!("unsupported cvss version in {other}"))),
    }
}

const V4_BASE: [&str; 11] = [
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];
const V4_THREAT: [&str; 1] = ["E"];
const V4_ENVIRONMENTAL: [&str; 14] = [
    "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA",
];

fn score_v4(
    v: &cvss::v4::Vector,
    err: &dyn Fn(String) -> IntelError,
) -> Result<CvssScore, IntelError> {
    // The crate keeps the v4 metrics private, so the groups are read from
    // its canonical rendering.
    let canonical = v.to_string();
    let metrics: Vec<(&str, &str)> = canonical
        .split('/')
        .skip(1)
        .filter_map(|c| c.split_once(':'))
        .collect();
    let set = |names: &[&str]| {
        metrics
            .iter()
            .any(|(k, val)| names.contains(k) && !val.eq_ignore_ascii_case("X"))
    };
    let score_of = |groups: &[&[&str]]| -> Result<f64, IntelError> {
        let mut s = String::from("CVSS:4.0");
        for (k, val) in &metrics {
            if groups.iter().any(|g| g.contains(k)) {
                s.push('/');
                s.push_str(k);
                s.push(':');
                s.push_str(val);
            }
        }
        let sub = cvss::v4::Vector::from_str(&s).map_err(|e| err(crate_error(&e)))?;
        Ok(sub.score().value())
    };
    let base = score_of(&[&V4_BASE])?;
    let temporal = if set(&V4_THREAT) {
        Some(score_of(&[&V4_BASE, &V4_THREAT])?)
    } else {
        None
    };
    let environmental = if set(&V4_ENVIRONMENTAL) {
        Some(score_of(&[&V4_BASE, &V4_THREAT, &V4_ENVIRONMENTAL])?)
    } else {
        None
    };
    let attack_vector = match metrics.iter().find(|(k, _)| *k == "AV").map(|(_, v)| *v) {
        Some("N") => AttackVector::Network,
        Some("A") => AttackVector::Adjacent,
        Some("L") => AttackVector::Local,
        Some("P") => AttackVector::Physical,
        other => return Err(err(format!("invalid attack vector {other:?}"))),
    };
    Ok(CvssScore {
        version: CvssVersion::V4_0,
        vector: canonical,
        base,
        temporal,
        environmental,
        severity: Severity::from_cvss(base),
        attack_vector,
    })
}

/// Trims, drops the parentheses NVD's v2 display uses, Nessus' `CVSS2#` and
/// a `CVSS:2.0/` prefix (v2 has no official prefix), and fixes the case of
/// the `CVSS:` prefix.
fn normalise(vector: &str) -> String {
    let mut s = vector.trim();
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        s = inner.trim();
    }
    s = s.trim_end_matches('/');
    // `get` rather than indexing: the input may hold non-ASCII bytes, and
    // slicing inside a character would panic.
    let strip = |s: &str, prefix: &str| {
        s.get(..prefix.len())
            .filter(|head| head.eq_ignore_ascii_case(prefix))
            .and_then(|_| s.get(prefix.len()..))
            .map(str::to_string)
    };
    for prefix in ["CVSS2#", "CVSS:2.0/", "CVSS:2/"] {
        if let Some(rest) = strip(s, prefix) {
            return rest;
        }
    }
    if let Some(rest) = strip(s, "CVSS:") {
        return format!("CVSS:{rest}");
    }
    s.to_string()
}

/// The v2 reference implementation prints a zero base score as `-0.0`.
fn non_negative(x: f64) -> f64 {
    if x <= 0.0 { 0.0 } else { x }
}

/// NVD's CVSS v2 ratings: Low 0.0–3.9, Medium 4.0–6.9, High 7.0–10.0. A
/// zero score (no impact) is Info, as for v3.
fn v2_severity(base: f64) -> Severity {
    if base >= 7.0 {
        Severity::High
    } else if base >= 4.0 {
        Severity::Medium
    } else if base > 0.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

fn crate_error(e: &cvss::Error) -> String {
    crate::error::lowercase_first(&e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_spellings() {
        assert_eq!(normalise(" (AV:N/AC:L) "), "AV:N/AC:L");
        assert_eq!(normalise("CVSS2#AV:N/AC:L"), "AV:N/AC:L");
        assert_eq!(normalise("cvss:3.1/AV:N/"), "CVSS:3.1/AV:N");
        // Non-ASCII where a prefix would end must not panic.
        assert_eq!(normalise("CVSSé#AV:N"), "CVSSé#AV:N");
        assert_eq!(normalise("CVSé"), "CVSé");
    }

    #[test]
    fn garbage_never_panics() {
        for v in [
            "é",
            "CVSS:",
            "CVSS:4.0/",
            "CVSS:3.1/AV:N/AV:N",
            "(",
            ")",
            "/",
            ":",
            "AV:",
            "CVSS:é/x",
        ] {
            assert!(score(v).is_err(), "{v}");
        }
    }
}
