//! The named conditions that policy rules and SLA rules are written in.
//!
//! Keeping them a closed, documented list (rather than an expression
//! language) is what makes every decision explainable: each condition has a
//! name a person can read in an explanation and a sentence in `docs/scope.md`.

use std::fmt;

/// One fact about an exposure that a rule can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Predicate {
    /// The CVE is in the CISA KEV catalogue.
    Kev,
    /// KEV says it is known to be used in ransomware campaigns.
    KevRansomware,
    /// The EPSS score is at or above `thresholds.epss`.
    EpssHigh,
    /// `kev` or `epss_high`.
    ExploitableIntel,
    /// An attacker can reach it from the internet or an assumed-breach zone.
    Reachable,
    /// Its asset sits in a zone the internet reaches directly.
    InternetFacing,
    /// Its asset supports a crown-jewel service.
    CrownJewel,
    /// Its service handles regulated data.
    RegulatedData,
    /// Its asset supports any service in scope.
    InScope,
    /// Validation confirmed it exploitable.
    Validated,
    /// Validation found it not exploitable, or blocked by a control.
    Refuted,
    /// A declared compensating control mitigates it.
    Mitigated,
    /// CVSS base score 9.0 or more.
    CvssCritical,
    /// CVSS base score at or above `thresholds.cvss_high`.
    CvssHigh,
    /// The weakness is an exposed secret.
    Secret,
    /// The weakness is a misconfiguration.
    Misconfiguration,
    /// The SSVC CISA Coordinator decision is Act.
    SsvcAct,
    /// The SSVC CISA Coordinator decision is Attend or Act.
    SsvcAttend,
    /// The SSVC Deployer decision is Immediate.
    SsvcImmediate,
    /// The SSVC Deployer decision is Out-of-Cycle or Immediate.
    SsvcOutOfCycle,
}

impl Predicate {
    pub const ALL: [Predicate; 20] = [
        Predicate::Kev,
        Predicate::KevRansomware,
        Predicate::EpssHigh,
        Predicate::ExploitableIntel,
        Predicate::Reachable,
        Predicate::InternetFacing,
        Predicate::CrownJewel,
        Predicate::RegulatedData,
        Predicate::InScope,
        Predicate::Validated,
        Predicate::Refuted,
        Predicate::Mitigated,
        Predicate::CvssCritical,
        Predicate::CvssHigh,
        Predicate::Secret,
        Predicate::Misconfiguration,
        Predicate::SsvcAct,
        Predicate::SsvcAttend,
        Predicate::SsvcImmediate,
        Predicate::SsvcOutOfCycle,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Predicate::Kev => "kev",
            Predicate::KevRansomware => "kev_ransomware",
            Predicate::EpssHigh => "epss_high",
            Predicate::ExploitableIntel => "exploitable_intel",
            Predicate::Reachable => "reachable",
            Predicate::InternetFacing => "internet_facing",
            Predicate::CrownJewel => "crown_jewel",
            Predicate::RegulatedData => "regulated_data",
            Predicate::InScope => "in_scope",
            Predicate::Validated => "validated",
            Predicate::Refuted => "refuted",
            Predicate::Mitigated => "mitigated",
            Predicate::CvssCritical => "cvss_critical",
            Predicate::CvssHigh => "cvss_high",
            Predicate::Secret => "secret",
            Predicate::Misconfiguration => "misconfiguration",
            Predicate::SsvcAct => "ssvc_act",
            Predicate::SsvcAttend => "ssvc_attend",
            Predicate::SsvcImmediate => "ssvc_immediate",
            Predicate::SsvcOutOfCycle => "ssvc_out_of_cycle",
        }
    }

    pub fn parse(s: &str) -> Option<Predicate> {
        Predicate::ALL.into_iter().find(|p| p.name() == s)
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A predicate, possibly negated (`!mitigated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    pub predicate: Predicate,
    pub negated: bool,
}

impl Condition {
    pub fn parse(s: &str) -> Result<Condition, String> {
        let t = s.trim();
        let (negated, name) = match t.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, t),
        };
        match Predicate::parse(name) {
            Some(predicate) => Ok(Condition { predicate, negated }),
            None => Err(format!(
                "unknown condition `{name}`; known conditions: {}",
                Predicate::ALL.map(|p| p.name()).join(", ")
            )),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            write!(f, "!{}", self.predicate)
        } else {
            write!(f, "{}", self.predicate)
        }
    }
}
