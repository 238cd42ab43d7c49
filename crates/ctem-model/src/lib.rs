//! The CTEM domain model shared by every phase of the loop.
//!
//! Everything here is plain data: no I/O, no SQL, no HTTP. Parsers produce
//! [`Finding`]s; the store merges findings into [`Asset`]s and [`Exposure`]s;
//! prioritisation produces a [`Decision`] with its [`Factor`]s; validation
//! produces [`ValidationRecord`]s; mobilisation gives each decision an owner and
//! a due date; every state change is an [`AuditEvent`].
//!
//! Times are Unix seconds (`i64`, UTC) so that both SQLite and PostgreSQL store
//! them as plain integers; [`fmt_date`] and [`fmt_time`] render them.

#![forbid(unsafe_code)]

pub mod factors;
pub mod fingerprint;
mod text;
mod time_fmt;

use serde::{Deserialize, Serialize};
use std::fmt;

pub use factors::{CompactFactors, Factors, PolicyPath};
pub use fingerprint::{asset_key, exposure_fingerprint, normalise_host};
pub use text::Text;
pub use time_fmt::{DAY, fmt_date, fmt_time, now, parse_date, parse_time};

/// Severity as a source reported it. CVSS is severity, not risk: ctem keeps it
/// as one factor among several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Reads the many spellings scanners use ("CRITICAL", "error", "4", "moderate").
    pub fn parse_loose(s: &str) -> Option<Severity> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "critical" | "crit" | "4" | "urgent" => Severity::Critical,
            "high" | "error" | "3" | "important" | "serious" => Severity::High,
            "medium" | "moderate" | "warning" | "2" | "med" => Severity::Medium,
            "low" | "note" | "1" | "minor" => Severity::Low,
            "info" | "informational" | "none" | "0" | "negligible" | "unknown" => Severity::Info,
            _ => return None,
        })
    }

    /// The qualitative rating of a CVSS v3/v4 base score.
    pub fn from_cvss(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of thing an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    Host,
    ContainerImage,
    CloudResource,
    CodeRepository,
    Domain,
    Certificate,
    SaasTenant,
    HumanIdentity,
    ServiceAccount,
    WebApplication,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Host => "host",
            AssetKind::ContainerImage => "container_image",
            AssetKind::CloudResource => "cloud_resource",
            AssetKind::CodeRepository => "code_repository",
            AssetKind::Domain => "domain",
            AssetKind::Certificate => "certificate",
            AssetKind::SaasTenant => "saas_tenant",
            AssetKind::HumanIdentity => "human_identity",
            AssetKind::ServiceAccount => "service_account",
            AssetKind::WebApplication => "web_application",
        }
    }

    pub fn parse(s: &str) -> Option<AssetKind> {
        Some(match s {
            "host" => AssetKind::Host,
            "container_image" => AssetKind::ContainerImage,
            "cloud_resource" => AssetKind::CloudResource,
            "code_repository" => AssetKind::CodeRepository,
            "domain" => AssetKind::Domain,
            "certificate" => AssetKind::Certificate,
            "saas_tenant" => AssetKind::SaasTenant,
            "human_identity" => AssetKind::HumanIdentity,
            "service_account" => AssetKind::ServiceAccount,
            "web_application" => AssetKind::WebApplication,
            _ => return None,
        })
    }

    /// Identities are assets too: a compromised service account is a foothold.
    pub fn is_identity(self) -> bool {
        matches!(self, AssetKind::HumanIdentity | AssetKind::ServiceAccount)
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identifiers a source gave for an asset. Identity resolution merges
/// observations that share any strong identifier (see [`asset_key`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetIdentity {
    pub kind: Option<AssetKind>,
    /// Short hostname or NetBIOS name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Cloud resource id or ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_account: Option<String>,
    /// Image reference without tag, for example `registry.example/claims/api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    /// Repository URL or `owner/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Base URL of a web application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl AssetIdentity {
    /// A human-readable name: the best identifier this observation has.
    pub fn display_name(&self) -> String {
        self.fqdn
            .clone()
            .or_else(|| self.hostname.clone())
            .or_else(|| self.cloud_id.clone())
            .or_else(|| self.image.clone())
            .or_else(|| self.repository.clone())
            .or_else(|| self.url.clone())
            .or_else(|| self.ip.clone())
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// Every identifier, normalised and prefixed with its type, for matching.
    pub fn identifiers(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(v) = &self.cloud_id {
            out.push(format!("cloud:{}", v.to_ascii_lowercase()));
        }
        if let Some(v) = &self.image_digest {
            out.push(format!("digest:{}", v.to_ascii_lowercase()));
        }
        if let Some(v) = &self.image {
            out.push(format!("image:{}", fingerprint::normalise_image(v)));
        }
        if let Some(v) = &self.repository {
            out.push(format!("repo:{}", fingerprint::normalise_repo(v)));
        }
        if let Some(v) = &self.url {
            out.push(format!(
                "url:{}",
                v.trim_end_matches('/').to_ascii_lowercase()
            ));
        }
        for v in [&self.fqdn, &self.hostname].into_iter().flatten() {
            let h = normalise_host(v);
            if h.contains('.') {
                out.push(format!("host:{h}"));
            }
        }
        if let Some(v) = &self.ip {
            out.push(format!("ip:{}", v.trim()));
        }
        // The first label of a host name is the weakest identifier: it merges
        // `web-01` from one scanner with `web-01.corp.example` from another.
        for v in [&self.fqdn, &self.hostname].into_iter().flatten() {
            let h = normalise_host(v);
            if let Some(short) = h.split('.').next().filter(|s| !s.is_empty()) {
                out.push(format!("short:{short}"));
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|id| seen.insert(id.clone()));
        out
    }
}

/// An asset in the inventory, merged from every source that saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// Stable key, for example `host:web-01.corp.example`.
    pub id: String,
    pub kind: AssetKind,
    pub name: String,
    pub identity: AssetIdentity,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// The class of weakness an exposure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeaknessKind {
    Cve,
    Ghsa,
    Cwe,
    Misconfiguration,
    ExposedSecret,
    IdentityRisk,
    /// A scanner's own id (Nessus plugin, Semgrep rule, ...).
    Vendor,
}

impl WeaknessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WeaknessKind::Cve => "cve",
            WeaknessKind::Ghsa => "ghsa",
            WeaknessKind::Cwe => "cwe",
            WeaknessKind::Misconfiguration => "misconfiguration",
            WeaknessKind::ExposedSecret => "exposed_secret",
            WeaknessKind::IdentityRisk => "identity_risk",
            WeaknessKind::Vendor => "vendor",
        }
    }

    pub fn parse(s: &str) -> Option<WeaknessKind> {
        Some(match s {
            "cve" => WeaknessKind::Cve,
            "ghsa" => WeaknessKind::Ghsa,
            "cwe" => WeaknessKind::Cwe,
            "misconfiguration" => WeaknessKind::Misconfiguration,
            "exposed_secret" => WeaknessKind::ExposedSecret,
            "identity_risk" => WeaknessKind::IdentityRisk,
            "vendor" => WeaknessKind::Vendor,
            _ => return None,
        })
    }

    /// Classifies an identifier by its shape: `CVE-…`, `GHSA-…`, `CWE-…`.
    pub fn classify(id: &str) -> WeaknessKind {
        let up = id.to_ascii_uppercase();
        if up.starts_with("CVE-") {
            WeaknessKind::Cve
        } else if up.starts_with("GHSA-") {
            WeaknessKind::Ghsa
        } else if up.starts_with("CWE-") {
            WeaknessKind::Cwe
        } else {
            WeaknessKind::Vendor
        }
    }
}

/// What is wrong: a CVE, an advisory, a misconfiguration, a leaked secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weakness {
    pub kind: WeaknessKind,
    /// Primary id: a CVE when there is one, else GHSA, else the vendor's id.
    pub id: String,
    /// Other ids for the same weakness (GHSA for a CVE, the scanner's rule id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
}

impl Weakness {
    /// Builds a weakness from a list of ids, choosing the primary one
    /// (CVE > GHSA > other) and keeping the rest as aliases.
    pub fn from_ids(ids: &[String], fallback_kind: WeaknessKind) -> Option<Weakness> {
        let mut ids: Vec<String> = ids
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if ids.is_empty() {
            return None;
        }
        ids.dedup();
        let rank = |id: &str| match WeaknessKind::classify(id) {
            WeaknessKind::Cve => 0,
            WeaknessKind::Ghsa => 1,
            WeaknessKind::Cwe => 3,
            _ => 2,
        };
        let best = ids
            .iter()
            .enumerate()
            .min_by_key(|(i, id)| (rank(id), *i))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let primary = ids.remove(best);
        let kind = match WeaknessKind::classify(&primary) {
            WeaknessKind::Vendor => fallback_kind,
            k => k,
        };
        let primary = match kind {
            WeaknessKind::Cve | WeaknessKind::Ghsa | WeaknessKind::Cwe => {
                primary.to_ascii_uppercase()
            }
            _ => primary,
        };
        Some(Weakness {
            kind,
            id: primary,
            aliases: ids,
            cwes: Vec::new(),
        })
    }

    pub fn cve(&self) -> Option<&str> {
        if self.kind == WeaknessKind::Cve {
            Some(&self.id)
        } else {
            self.aliases
                .iter()
                .find(|a| a.to_ascii_uppercase().starts_with("CVE-"))
                .map(String::as_str)
        }
    }
}

/// A software component: a package, library or product at a version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The version that fixes the weakness, when the source knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
}

/// One observation from one scanner report, normalised. Parsers produce
/// these; they carry no ids of the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Tool that reported it (`trivy`, `nessus`, `semgrep`, …).
    pub tool: String,
    pub asset: AssetIdentity,
    pub weakness: Weakness,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    pub title: String,
    pub severity: Severity,
    /// The CVSS vector exactly as the source gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// File and line for code findings, URL path for web findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The tool's own rule or plugin id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Finding {
    /// The fingerprint of the exposure this finding is evidence of, once its
    /// asset has been resolved to `asset_id` (see [`asset_key`]).
    pub fn fingerprint_on(&self, asset_id: &str) -> String {
        if matches!(self.weakness.kind, WeaknessKind::Cve | WeaknessKind::Ghsa) {
            return exposure_fingerprint(asset_id, &self.weakness.id, None, None);
        }
        exposure_fingerprint(
            asset_id,
            &self.weakness.id,
            self.component.as_ref().map(|c| c.name.as_str()),
            self.location.as_deref(),
        )
    }
}

/// Lifecycle of an exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExposureStatus {
    /// Seen in the latest snapshot of a source.
    Open,
    /// Absent from a complete rescan by every source that reported it.
    Resolved,
    /// Marked fixed; closes only when a rescan or re-probe confirms it.
    FixPending,
    /// A risk acceptance is in force.
    Accepted,
}

impl ExposureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExposureStatus::Open => "open",
            ExposureStatus::Resolved => "resolved",
            ExposureStatus::FixPending => "fix_pending",
            ExposureStatus::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> Option<ExposureStatus> {
        Some(match s {
            "open" => ExposureStatus::Open,
            "resolved" => ExposureStatus::Resolved,
            "fix_pending" => ExposureStatus::FixPending,
            "accepted" => ExposureStatus::Accepted,
            _ => return None,
        })
    }

    pub fn is_active(self) -> bool {
        matches!(self, ExposureStatus::Open | ExposureStatus::FixPending)
    }
}

/// A weakness on an asset: the unit CTEM prioritises, validates and fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    /// The fingerprint: stable across rescans and scanners.
    pub id: String,
    pub asset_id: String,
    pub weakness: Weakness,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    pub title: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Tools whose reports are evidence of this exposure.
    pub sources: Vec<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub status: ExposureStatus,
}

/// One piece of evidence: a source saw the exposure in one import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub exposure_id: String,
    pub import_id: i64,
    pub tool: String,
    pub observed_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
}

/// The person or team accountable for remediation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

/// A business service in scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub owner: String,
    /// 1 (lowest) to 5 (highest).
    pub criticality: u8,
    pub crown_jewel: bool,
    #[serde(default)]
    pub regulated_data: Vec<String>,
    #[serde(default)]
    pub sla_bound: bool,
    #[serde(default)]
    pub reporting_obligations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_revenue_eur: Option<u64>,
}

/// Priority tier: P1 is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    P1,
    P2,
    P3,
    P4,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::P1, Tier::P2, Tier::P3, Tier::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::P1 => "P1",
            Tier::P2 => "P2",
            Tier::P3 => "P3",
            Tier::P4 => "P4",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "P1" => Tier::P1,
            "P2" => Tier::P2,
            "P3" => Tier::P3,
            "P4" => Tier::P4,
            _ => return None,
        })
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One input to a decision, with where it came from and how fresh it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
///
/// The texts are [`Text`]: the parts shared by many decisions (names,
/// sources, feed dates, a service's description) are one allocation per run,
/// not per exposure. They serialise as plain strings.
pub struct Factor {
    /// Stable name, for example `kev`, `epss`, `reachable`, `crown_jewel`.
    pub name: Text,
    /// The value as a person reads it (`true`, `0.94`, `internet → dmz → web-01`).
    pub value: Text,
    /// Where the value came from (`CISA KEV`, `FIRST EPSS`, `scope: claims`).
    pub source: Text,
    /// Date of the data the value came from, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Text>,
}

/// The prioritisation and mobilisation decision for one exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub exposure_id: String,
    pub in_scope: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    pub tier: Tier,
    /// 0–100, for ordering within a tier.
    pub score: f64,
    pub exploitable_intel: bool,
    pub reachable: bool,
    pub validation: ValidationState,
    /// Every factor with its value, source and date: compact when fresh from
    /// prioritisation, rendered on first read or straight into the stored
    /// JSON (a list of [`Factor`]s either way; see [`Factors`]).
    pub factors: Factors,
    /// The path through the policy: which rules were tried and which matched,
    /// then the SLA rule that applies. Shared between decisions with the same
    /// outcome ([`PolicyPath`]); a JSON list of strings.
    pub policy_path: PolicyPath,
    pub policy_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<i64>,
    /// When the exposure first entered its current tier (the SLA clock start).
    pub tier_since: i64,
    pub decided_at: i64,
    /// Ids of the threat-feed snapshots this decision used.
    #[serde(default)]
    pub feed_snapshots: Vec<i64>,
}

/// Outcome of validating an exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationState {
    NotValidated,
    Exploitable,
    NotExploitable,
    BlockedByControl,
}

impl ValidationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationState::NotValidated => "not_validated",
            ValidationState::Exploitable => "exploitable",
            ValidationState::NotExploitable => "not_exploitable",
            ValidationState::BlockedByControl => "blocked_by_control",
        }
    }

    pub fn parse(s: &str) -> Option<ValidationState> {
        Some(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace(['-', ' '], "_")
                .as_str()
            {
                "not_validated" | "untested" => ValidationState::NotValidated,
                "exploitable" | "success" | "succeeded" | "confirmed" | "vulnerable" => {
                    ValidationState::Exploitable
                }
                "not_exploitable" | "failed" | "not_vulnerable" | "false_positive" => {
                    ValidationState::NotExploitable
                }
                "blocked" | "blocked_by_control" | "prevented" | "detected_and_blocked" => {
                    ValidationState::BlockedByControl
                }
                _ => return None,
            },
        )
    }
}

impl fmt::Display for ValidationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validation result: from a probe, a BAS tool, a red team or an analyst.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationRecord {
    pub exposure_id: String,
    pub state: ValidationState,
    /// `probe`, `bas`, `red_team`, `analyst`.
    pub method: String,
    pub tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    pub validated_at: i64,
}

/// A ticket in an external tracker for a remediation action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemediationTicket {
    pub action_id: String,
    pub system: String,
    pub external_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub status: String,
    pub updated_at: i64,
}

/// A time-limited decision to live with an exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskAcceptance {
    pub exposure_id: String,
    pub approver: String,
    pub justification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

/// One entry of the append-only, hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    /// `import`, `exposure.new`, `exposure.resolved`, `decision.tier`, …
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEvent {
    /// The hash of an entry covers its content and the previous entry's hash,
    /// so editing, removing or reordering entries breaks the chain.
    pub fn compute_hash(
        prev_hash: &str,
        seq: i64,
        at: i64,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [
            prev_hash,
            &seq.to_string(),
            &at.to_string(),
            actor,
            action,
            subject,
            detail,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        fingerprint::hex(&h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weakness_prefers_cve_over_ghsa_and_vendor_ids() {
        let ids = vec![
            "GHSA-jfh8-c2jp-5v3q".to_string(),
            "cve-2021-44228".to_string(),
            "155999".to_string(),
        ];
        let w = Weakness::from_ids(&ids, WeaknessKind::Vendor).expect("ids given");
        assert_eq!(w.kind, WeaknessKind::Cve);
        assert_eq!(w.id, "CVE-2021-44228");
        assert_eq!(w.aliases, vec!["GHSA-jfh8-c2jp-5v3q", "155999"]);
        assert_eq!(w.cve(), Some("CVE-2021-44228"));
    }

    #[test]
    fn weakness_from_no_ids_is_none() {
        assert!(Weakness::from_ids(&[" ".to_string()], WeaknessKind::Vendor).is_none());
    }

    #[test]
    fn severity_spellings() {
        assert_eq!(Severity::parse_loose("CRITICAL"), Some(Severity::Critical));
        assert_eq!(Severity::parse_loose("error"), Some(Severity::High));
        assert_eq!(Severity::parse_loose("moderate"), Some(Severity::Medium));
        assert_eq!(Severity::parse_loose("bogus"), None);
        assert_eq!(Severity::from_cvss(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss(6.5), Severity::Medium);
    }

    #[test]
    fn audit_hash_depends_on_every_field() {
        let a = AuditEvent::compute_hash("0", 1, 10, "cli", "import", "x", "{}");
        let b = AuditEvent::compute_hash("0", 1, 10, "cli", "import", "y", "{}");
        let c = AuditEvent::compute_hash("1", 1, 10, "cli", "import", "x", "{}");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 64);
    }
}
