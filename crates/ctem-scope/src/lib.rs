//! The scope file, `ctem.toml`: what the programme protects and how it decides.
//!
//! It declares business services with their owners and supporting assets
//! (by selector), crown jewels, the network topology used for reachability,
//! compensating controls, risk thresholds, the prioritisation policy, SLA
//! rules, and the allow-list of addresses that active probes may contact.
//! `docs/scope.md` documents every key.
//!
//! Parsing never panics: every mistake becomes a [`Diagnostic`] naming the
//! line, the column and the problem, and all mistakes are reported at once.

#![forbid(unsafe_code)]

mod escalation;
pub mod feeds;
pub mod predicate;
pub mod selector;
pub mod topology_file;
pub use escalation::Escalation;

use ctem_model::{AssetIdentity, Owner, Service, Tier};
use predicate::{Condition, Predicate};
use selector::{Selector, SelectorSpec};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// One problem in a scope file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending source line, for display.
    pub source_line: String,
}

/// Every problem found in a scope file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeError {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}", self.file, d.line, d.column, d.message)?;
            if !d.source_line.trim().is_empty() {
                write!(f, "\n  {:>4} | {}", d.line, d.source_line)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ScopeError {}

// ---------------------------------------------------------------------------
// The file as written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    organisation: Option<RawOrganisation>,
    #[serde(default)]
    owners: BTreeMap<String, RawOwner>,
    #[serde(default)]
    services: Vec<Spanned<RawService>>,
    #[serde(default)]
    thresholds: RawThresholds,
    #[serde(default)]
    topology: Option<RawTopology>,
    #[serde(default)]
    controls: Vec<Spanned<RawControl>>,
    #[serde(default)]
    policy: Option<RawPolicy>,
    #[serde(default)]
    sla: Vec<Spanned<RawSla>>,
    #[serde(default)]
    probes: Option<RawProbes>,
    #[serde(default)]
    escalation: Vec<Spanned<escalation::RawEscalation>>,
    /// Read and checked by `ctem-ticket`.
    #[serde(default)]
    #[allow(dead_code)]
    trackers: Vec<toml::Value>,
    feeds: Option<feeds::RawFeeds>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganisation {
    name: String,
    #[serde(default)]
    sector: Option<String>,
    #[serde(default)]
    frameworks: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOwner {
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    team: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: Spanned<String>,
    name: String,
    owner: Spanned<String>,
    criticality: Spanned<i64>,
    #[serde(default)]
    crown_jewel: bool,
    #[serde(default)]
    regulated_data: Vec<String>,
    #[serde(default)]
    sla_bound: bool,
    #[serde(default)]
    reporting_obligations: Vec<String>,
    #[serde(default)]
    annual_revenue_eur: Option<u64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    assets: Vec<Spanned<SelectorSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    #[serde(default = "default_epss")]
    epss: Spanned<f64>,
    #[serde(default = "default_cvss_high")]
    cvss_high: Spanned<f64>,
    #[serde(default = "default_feed_max_age")]
    feed_max_age_days: u32,
    #[serde(default = "default_ssvc_poc_epss")]
    ssvc_poc_epss: Spanned<f64>,
}

fn default_epss() -> Spanned<f64> {
    Spanned::new(0..0, 0.5)
}
fn default_cvss_high() -> Spanned<f64> {
    Spanned::new(0..0, 7.0)
}
fn default_feed_max_age() -> u32 {
    7
}
fn default_ssvc_poc_epss() -> Spanned<f64> {
    Spanned::new(0..0, 0.1)
}

impl Default for RawThresholds {
    fn default() -> Self {
        RawThresholds {
            epss: default_epss(),
            cvss_high: default_cvss_high(),
            feed_max_age_days: default_feed_max_age(),
            ssvc_poc_epss: default_ssvc_poc_epss(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopology {
    /// Topology files (firewall rules, security groups), relative to the
    /// workspace; see [`topology_file`].
    #[serde(default)]
    files: Vec<Spanned<String>>,
    #[serde(default)]
    assumed_breach: Vec<Spanned<String>>,
    #[serde(default)]
    zones: Vec<Spanned<RawZone>>,
    #[serde(default)]
    flows: Vec<Spanned<RawFlow>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    id: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    members: SelectorSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    from: Spanned<String>,
    to: Spanned<String>,
    #[serde(default)]
    ports: Vec<u16>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    kind: String,
    #[serde(default)]
    description: Option<String>,
    applies_to: SelectorSpec,
    mitigates: Spanned<RawMitigates>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMitigates {
    #[serde(default)]
    attack_vector: Vec<Spanned<String>>,
    #[serde(default)]
    cwe: Vec<String>,
    #[serde(default)]
    weaknesses: Vec<String>,
    #[serde(default)]
    weakness_kinds: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: String,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    tier: Spanned<String>,
    #[serde(default)]
    all: Vec<Spanned<String>>,
    #[serde(default)]
    any: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    name: String,
    #[serde(default)]
    tier: Vec<Spanned<String>>,
    #[serde(default)]
    when: Vec<Spanned<String>>,
    days: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbes {
    #[serde(default)]
    allow: SelectorSpec,
    #[serde(default)]
    deny: SelectorSpec,
    #[serde(default = "default_rate")]
    rate_per_second: u32,
    #[serde(default = "default_timeout")]
    timeout_ms: u64,
}

fn default_rate() -> u32 {
    5
}
fn default_timeout() -> u64 {
    3000
}

// ---------------------------------------------------------------------------
// The compiled scope.

/// A service in scope with its compiled asset selectors.
#[derive(Debug, Clone)]
pub struct ScopedService {
    pub service: Service,
    pub owner: Owner,
    pub description: Option<String>,
    selectors: Vec<Selector>,
}

impl ScopedService {
    pub fn covers(&self, id: &AssetIdentity) -> bool {
        self.selectors.iter().any(|s| s.matches(id))
    }
}

/// A network zone.
#[derive(Debug, Clone)]
pub struct Zone {
    pub id: String,
    pub description: Option<String>,
    members: Selector,
    /// Cloud resource ids (a security group's attachments), matched exactly.
    cloud_ids: Vec<String>,
}

impl Zone {
    pub fn contains(&self, id: &AssetIdentity) -> bool {
        self.members.matches(id)
            || id
                .cloud_id
                .as_ref()
                .is_some_and(|c| self.cloud_ids.iter().any(|x| x == c))
    }

    /// Whether the zone's `cidr` members include the whole network.
    pub fn covers_net(&self, net: &ipnet::IpNet) -> bool {
        self.members.covers_net(net)
    }
}

/// An allowed network flow between zones; no ports means any port, and
/// `except` ports (from deny rules of topology files) are refused even then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub ports: Vec<u16>,
    pub except: Vec<u16>,
    pub description: Option<String>,
}

impl Flow {
    pub fn allows(&self, port: Option<u16>) -> bool {
        match port {
            Some(p) => {
                (self.ports.is_empty() || self.ports.contains(&p)) && !self.except.contains(&p)
            }
            None => true,
        }
    }
}

/// The network topology used for reachability. The zone `internet` is
/// implicit: flows from it make a zone internet-facing.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub zones: Vec<Zone>,
    pub flows: Vec<Flow>,
    pub assumed_breach: Vec<String>,
    /// `[topology] files`, as written (relative to the workspace), with the
    /// 1-based line and column of each in `ctem.toml`; merged by
    /// [`Topology::apply_files`].
    pub files: Vec<(String, usize, usize)>,
}

impl Topology {
    /// The first declared zone that contains the asset.
    pub fn zone_of(&self, id: &AssetIdentity) -> Option<&Zone> {
        self.zones.iter().find(|z| z.contains(id))
    }
}

/// What a compensating control mitigates.
#[derive(Debug, Clone, Default)]
pub struct Mitigates {
    /// `network`, `adjacent`, `local`, `physical`.
    pub attack_vectors: Vec<String>,
    pub cwes: Vec<String>,
    pub weaknesses: Vec<String>,
    pub weakness_kinds: Vec<String>,
}

/// A declared compensating control (WAF, segmentation, EDR, MFA, …).
#[derive(Debug, Clone)]
pub struct Control {
    pub id: String,
    pub kind: String,
    pub description: Option<String>,
    pub mitigates: Mitigates,
    applies_to: Selector,
}

impl Control {
    pub fn applies_to(&self, id: &AssetIdentity) -> bool {
        self.applies_to.matches(id)
    }
}

/// A prioritisation rule: the first rule whose conditions hold sets the tier.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub tier: Tier,
    /// Every one of these must hold.
    pub all: Vec<Condition>,
    /// At least one of these must hold (when not empty).
    pub any: Vec<Condition>,
}

/// The versioned prioritisation policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub version: String,
    pub rules: Vec<Rule>,
    /// The tier when no rule matches.
    pub default_tier: Tier,
}

/// An SLA rule: the first rule that matches an exposure's tier and
/// conditions gives its days to remediate.
#[derive(Debug, Clone)]
pub struct SlaRule {
    pub name: String,
    /// Empty means every tier.
    pub tiers: Vec<Tier>,
    pub when: Vec<Condition>,
    pub days: u32,
}

/// Risk thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub epss: f64,
    pub cvss_high: f64,
    pub feed_max_age_days: u32,
    /// EPSS at or above which SSVC counts a public proof of concept.
    pub ssvc_poc_epss: f64,
}

impl Default for Thresholds {
    /// The documented defaults (`docs/scope.md`).
    fn default() -> Self {
        Thresholds {
            epss: 0.5,
            cvss_high: 7.0,
            feed_max_age_days: 7,
            ssvc_poc_epss: 0.1,
        }
    }
}

/// The allow-list for active probes.
#[derive(Debug, Clone, Default)]
pub struct Probes {
    allow: Selector,
    deny: Selector,
    pub rate_per_second: u32,
    pub timeout_ms: u64,
}

impl Probes {
    /// Whether an active probe may contact this address. Deny wins over
    /// allow; an empty allow-list permits nothing.
    pub fn permits(&self, address: &str) -> bool {
        !self.deny.matches_address(address) && self.allow.matches_address(address)
    }
}

/// The whole, validated scope.
#[derive(Debug, Clone)]
pub struct Scope {
    pub organisation: String,
    pub sector: Option<String>,
    pub frameworks: Vec<String>,
    pub owners: BTreeMap<String, Owner>,
    pub services: Vec<ScopedService>,
    pub thresholds: Thresholds,
    pub topology: Topology,
    pub controls: Vec<Control>,
    pub policy: Policy,
    pub sla: Vec<SlaRule>,
    pub probes: Probes,
    /// Escalation levels for overdue work (`[[escalation]]`); empty means
    /// ctem's defaults (`ctem_mobilise::ageing::default_levels`).
    pub escalation: Vec<Escalation>,
    /// Where and how `ctem feeds update` downloads the threat feeds.
    pub feeds: feeds::Feeds,
}

impl Scope {
    /// Parses and validates a scope file; `file` names it in diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<Scope, ScopeError> {
        let mut cx = Checker {
            text,
            diagnostics: Vec::new(),
        };
        let raw: RawScope = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                cx.error(span, e.message().trim().to_string());
                return Err(cx.finish(file));
            }
        };
        let scope = cx.compile(raw);
        if cx.diagnostics.is_empty() {
            Ok(scope)
        } else {
            Err(cx.finish(file))
        }
    }

    /// The services an asset supports, most critical first.
    pub fn services_for(&self, id: &AssetIdentity) -> Vec<&ScopedService> {
        let mut v: Vec<&ScopedService> = self.services.iter().filter(|s| s.covers(id)).collect();
        v.sort_by(|a, b| {
            (b.service.crown_jewel, b.service.criticality)
                .cmp(&(a.service.crown_jewel, a.service.criticality))
                .then_with(|| a.service.id.cmp(&b.service.id))
        });
        v
    }

    pub fn service(&self, id: &str) -> Option<&ScopedService> {
        self.services.iter().find(|s| s.service.id == id)
    }

    /// The controls that apply to an asset.
    pub fn controls_for(&self, id: &AssetIdentity) -> Vec<&Control> {
        self.controls.iter().filter(|c| c.applies_to(id)).collect()
    }
}

pub(crate) struct Checker<'a> {
    pub(crate) text: &'a str,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// The 1-based line and column of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let start = offset.min(self.text.len());
        let before = self.text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before
            .get(line_start..)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, column)
    }

    pub(crate) fn error(&mut self, span: Range<usize>, message: String) {
        let start = span.start.min(self.text.len());
        let before = self.text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before
            .get(line_start..)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        let source_line = self
            .text
            .get(line_start..)
            .and_then(|s| s.lines().next())
            .unwrap_or("")
            .to_string();
        self.diagnostics.push(Diagnostic {
            line,
            column,
            message,
            source_line,
        });
    }

    pub(crate) fn finish(mut self, file: &str) -> ScopeError {
        self.diagnostics.sort_by_key(|d| (d.line, d.column));
        ScopeError {
            file: file.to_string(),
            diagnostics: self.diagnostics,
        }
    }

    pub(crate) fn selector(
        &mut self,
        spec: &SelectorSpec,
        span: Range<usize>,
        what: &str,
    ) -> Selector {
        match Selector::compile(spec) {
            Ok(s) => {
                if s.is_empty() {
                    self.error(span, format!("{what} selects nothing: give at least one of tags, cidr, hostname, cloud_account, repository, image, url"));
                }
                s
            }
            Err((sp, msg)) => {
                self.error(sp, msg);
                Selector::default()
            }
        }
    }

    fn conditions(&mut self, list: &[Spanned<String>]) -> Vec<Condition> {
        let mut out = Vec::new();
        for c in list {
            match Condition::parse(c.get_ref()) {
                Ok(cond) => out.push(cond),
                Err(msg) => self.error(c.span(), msg),
            }
        }
        out
    }

    fn tier(&mut self, t: &Spanned<String>) -> Tier {
        match Tier::parse(t.get_ref()) {
            Some(t) => t,
            None => {
                self.error(
                    t.span(),
                    format!(
                        "unknown tier `{}`; tiers are P1, P2, P3 and P4",
                        t.get_ref()
                    ),
                );
                Tier::P4
            }
        }
    }

    fn compile(&mut self, raw: RawScope) -> Scope {
        let owners: BTreeMap<String, Owner> = raw
            .owners
            .into_iter()
            .map(|(k, o)| {
                (
                    k,
                    Owner {
                        name: o.name,
                        email: o.email,
                        team: o.team,
                    },
                )
            })
            .collect();

        let mut services = Vec::new();
        let mut seen = HashSet::new();
        for s in raw.services {
            let span = s.span();
            let s = s.into_inner();
            if !seen.insert(s.id.get_ref().clone()) {
                self.error(
                    s.id.span(),
                    format!("service `{}` is declared twice", s.id.get_ref()),
                );
            }
            let owner = match owners.get(s.owner.get_ref()) {
                Some(o) => o.clone(),
                None => {
                    self.error(
                        s.owner.span(),
                        format!(
                            "owner `{}` of service `{}` is not defined in [owners]",
                            s.owner.get_ref(),
                            s.id.get_ref()
                        ),
                    );
                    Owner {
                        name: s.owner.get_ref().clone(),
                        email: None,
                        team: None,
                    }
                }
            };
            let crit = *s.criticality.get_ref();
            if !(1..=5).contains(&crit) {
                self.error(
                    s.criticality.span(),
                    format!("criticality must be from 1 (lowest) to 5 (highest), not {crit}"),
                );
            }
            if s.assets.is_empty() {
                self.error(
                    span.clone(),
                    format!(
                        "service `{}` has no supporting assets: add a [[services.assets]] selector",
                        s.id.get_ref()
                    ),
                );
            }
            let selectors = s
                .assets
                .iter()
                .map(|a| self.selector(a.get_ref(), a.span(), "this asset selector"))
                .collect();
            services.push(ScopedService {
                service: Service {
                    id: s.id.get_ref().clone(),
                    name: s.name,
                    owner: s.owner.get_ref().clone(),
                    criticality: crit.clamp(1, 5) as u8,
                    crown_jewel: s.crown_jewel,
                    regulated_data: s.regulated_data,
                    sla_bound: s.sla_bound,
                    reporting_obligations: s.reporting_obligations,
                    annual_revenue_eur: s.annual_revenue_eur,
                },
                owner,
                description: s.description,
                selectors,
            });
        }
        if services.is_empty() {
            self.error(
                0..0,
                "no services are declared: add at least one [[services]] table".into(),
            );
        }

        let epss = *raw.thresholds.epss.get_ref();
        if !(0.0..=1.0).contains(&epss) {
            self.error(
                raw.thresholds.epss.span(),
                format!("thresholds.epss is a probability from 0 to 1, not {epss}"),
            );
        }
        let cvss_high = *raw.thresholds.cvss_high.get_ref();
        if !(0.0..=10.0).contains(&cvss_high) {
            self.error(
                raw.thresholds.cvss_high.span(),
                format!("thresholds.cvss_high is a CVSS score from 0 to 10, not {cvss_high}"),
            );
        }
        let ssvc_poc_epss = *raw.thresholds.ssvc_poc_epss.get_ref();
        if !(0.0..=1.0).contains(&ssvc_poc_epss) {
            self.error(
                raw.thresholds.ssvc_poc_epss.span(),
                format!(
                    "thresholds.ssvc_poc_epss is a probability from 0 to 1, not {ssvc_poc_epss}"
                ),
            );
        }
        let thresholds = Thresholds {
            epss,
            cvss_high,
            feed_max_age_days: raw.thresholds.feed_max_age_days,
            ssvc_poc_epss,
        };

        let topology = match raw.topology {
            Some(t) => self.topology(t),
            None => Topology::default(),
        };

        let mut controls = Vec::new();
        for c in raw.controls {
            let span = c.span();
            let c = c.into_inner();
            let applies_to = self.selector(
                &c.applies_to,
                span.clone(),
                &format!("control `{}` applies_to", c.id.get_ref()),
            );
            let m = c.mitigates.get_ref();
            for av in &m.attack_vector {
                if !["network", "adjacent", "local", "physical"].contains(&av.get_ref().as_str()) {
                    self.error(
                        av.span(),
                        format!(
                            "unknown attack vector `{}`; use network, adjacent, local or physical",
                            av.get_ref()
                        ),
                    );
                }
            }
            for k in &m.weakness_kinds {
                if ctem_model::WeaknessKind::parse(k.get_ref()).is_none() {
                    self.error(k.span(), format!("unknown weakness kind `{}`; use cve, ghsa, cwe, misconfiguration, exposed_secret, identity_risk or vendor", k.get_ref()));
                }
            }
            if m.attack_vector.is_empty()
                && m.cwe.is_empty()
                && m.weaknesses.is_empty()
                && m.weakness_kinds.is_empty()
            {
                self.error(
                    c.mitigates.span(),
                    format!(
                        "control `{}` mitigates nothing: list attack_vector, cwe, weaknesses or weakness_kinds",
                        c.id.get_ref()
                    ),
                );
            }
            controls.push(Control {
                id: c.id.get_ref().clone(),
                kind: c.kind,
                description: c.description,
                mitigates: Mitigates {
                    attack_vectors: m
                        .attack_vector
                        .iter()
                        .map(|s| s.get_ref().clone())
                        .collect(),
                    cwes: m.cwe.iter().map(|s| s.to_ascii_uppercase()).collect(),
                    weaknesses: m
                        .weaknesses
                        .iter()
                        .map(|s| s.to_ascii_uppercase())
                        .collect(),
                    weakness_kinds: m
                        .weakness_kinds
                        .iter()
                        .map(|s| s.get_ref().clone())
                        .collect(),
                },
                applies_to,
            });
        }

        let policy = match raw.policy {
            None => default_policy(),
            Some(p) => {
                let mut rules = Vec::new();
                for r in p.rules {
                    let r = r.into_inner();
                    let tier = self.tier(&r.tier);
                    let all = self.conditions(&r.all);
                    let any = self.conditions(&r.any);
                    rules.push(Rule {
                        name: r.name,
                        tier,
                        all,
                        any,
                    });
                }
                Policy {
                    version: p.version,
                    rules,
                    default_tier: Tier::P4,
                }
            }
        };

        let sla = if raw.sla.is_empty() {
            default_sla()
        } else {
            let mut rules = Vec::new();
            let mut first_span = None;
            for s in raw.sla {
                let span = s.span();
                first_span.get_or_insert(span);
                let s = s.into_inner();
                let tiers = s.tier.iter().map(|t| self.tier(t)).collect();
                let when = self.conditions(&s.when);
                let days = *s.days.get_ref();
                if !(1..=3650).contains(&days) {
                    self.error(
                        s.days.span(),
                        format!("sla days must be from 1 to 3650, not {days}"),
                    );
                }
                rules.push(SlaRule {
                    name: s.name,
                    tiers,
                    when,
                    days: days.clamp(1, 3650) as u32,
                });
            }
            for t in Tier::ALL {
                let covered = rules
                    .iter()
                    .any(|r| r.when.is_empty() && (r.tiers.is_empty() || r.tiers.contains(&t)));
                if !covered {
                    self.error(
                        first_span.clone().unwrap_or(0..0),
                        format!("no [[sla]] rule without conditions covers tier {t}: every tier needs a default SLA"),
                    );
                }
            }
            rules
        };

        let escalation = self.escalation(raw.escalation, &owners);

        let probes = match raw.probes {
            None => Probes {
                rate_per_second: default_rate(),
                timeout_ms: default_timeout(),
                ..Default::default()
            },
            Some(p) => {
                let allow = Selector::compile(&p.allow).unwrap_or_else(|(sp, msg)| {
                    self.error(sp, msg);
                    Selector::default()
                });
                let deny = Selector::compile(&p.deny).unwrap_or_else(|(sp, msg)| {
                    self.error(sp, msg);
                    Selector::default()
                });
                Probes {
                    allow,
                    deny,
                    rate_per_second: p.rate_per_second.max(1),
                    timeout_ms: p.timeout_ms.max(1),
                }
            }
        };

        let feeds = feeds::compile(raw.feeds, &mut |span, msg| self.error(span, msg));

        let (organisation, sector, frameworks) = match raw.organisation {
            Some(o) => (o.name, o.sector, o.frameworks),
            None => ("unnamed organisation".to_string(), None, Vec::new()),
        };

        Scope {
            organisation,
            sector,
            frameworks,
            owners,
            services,
            thresholds,
            topology,
            controls,
            policy,
            sla,
            probes,
            escalation,
            feeds,
        }
    }

    fn topology(&mut self, t: RawTopology) -> Topology {
        let mut zones = Vec::new();
        let mut ids: HashMap<String, ()> = HashMap::new();
        ids.insert("internet".into(), ());
        for z in t.zones {
            let span = z.span();
            let z = z.into_inner();
            if ids.insert(z.id.get_ref().clone(), ()).is_some() {
                self.error(
                    z.id.span(),
                    format!(
                        "zone `{}` is declared twice (`internet` is built in)",
                        z.id.get_ref()
                    ),
                );
            }
            let members = self.selector(&z.members, span, &format!("zone `{}`", z.id.get_ref()));
            zones.push(Zone {
                id: z.id.get_ref().clone(),
                description: z.description,
                members,
                cloud_ids: Vec::new(),
            });
        }
        let mut flows = Vec::new();
        for f in t.flows {
            let f = f.into_inner();
            for end in [&f.from, &f.to] {
                if !ids.contains_key(end.get_ref()) {
                    self.error(
                        end.span(),
                        format!(
                            "flow names zone `{}`, which is not declared in [[topology.zones]]",
                            end.get_ref()
                        ),
                    );
                }
            }
            if f.to.get_ref() == "internet" {
                self.error(
                    f.to.span(),
                    "flows into `internet` are not modelled: reachability starts from the internet"
                        .into(),
                );
            }
            flows.push(Flow {
                from: f.from.get_ref().clone(),
                to: f.to.get_ref().clone(),
                ports: f.ports,
                except: Vec::new(),
                description: f.description,
            });
        }
        let mut assumed_breach = Vec::new();
        for z in t.assumed_breach {
            if !ids.contains_key(z.get_ref()) {
                self.error(
                    z.span(),
                    format!(
                        "assumed_breach names zone `{}`, which is not declared",
                        z.get_ref()
                    ),
                );
            }
            assumed_breach.push(z.get_ref().clone());
        }
        let mut files = Vec::new();
        for f in t.files {
            let (line, column) = self.position(f.span().start);
            if f.get_ref().trim().is_empty() {
                self.error(f.span(), "topology file path is empty".into());
            }
            files.push((f.get_ref().clone(), line, column));
        }
        Topology {
            zones,
            flows,
            assumed_breach,
            files,
        }
    }
}

fn conds(list: &[&str]) -> Vec<Condition> {
    list.iter()
        .filter_map(|c| Condition::parse(c).ok())
        .collect()
}

/// The policy used when `ctem.toml` has no `[policy]`: documented in
/// `docs/scope.md`, version `default-1`.
pub fn default_policy() -> Policy {
    let rule = |name: &str, tier: Tier, all: &[&str], any: &[&str]| Rule {
        name: name.to_string(),
        tier,
        all: conds(all),
        any: conds(any),
    };
    Policy {
        version: "default-1".into(),
        rules: vec![
            rule("out of scope", Tier::P4, &["!in_scope"], &[]),
            rule(
                "validated exploitable on a crown jewel",
                Tier::P1,
                &["validated", "crown_jewel"],
                &[],
            ),
            rule(
                "known exploited and reachable on a crown jewel",
                Tier::P1,
                &["kev", "reachable", "crown_jewel", "!mitigated", "!refuted"],
                &[],
            ),
            rule("validated exploitable", Tier::P2, &["validated"], &[]),
            rule(
                "exploitation likely and reachable",
                Tier::P2,
                &["exploitable_intel", "reachable", "!mitigated", "!refuted"],
                &[],
            ),
            rule(
                "exposed secret on a crown jewel",
                Tier::P2,
                &["secret", "crown_jewel"],
                &[],
            ),
            rule(
                "exploitation likely but blocked, mitigated or unreachable",
                Tier::P3,
                &["exploitable_intel"],
                &[],
            ),
            rule(
                "high severity on an internet-facing or crown-jewel asset",
                Tier::P3,
                &["cvss_high", "!refuted"],
                &["internet_facing", "crown_jewel"],
            ),
        ],
        default_tier: Tier::P4,
    }
}

/// The SLA rules used when `ctem.toml` has no `[[sla]]`.
pub fn default_sla() -> Vec<SlaRule> {
    let rule = |name: &str, tiers: &[Tier], when: &[&str], days: u32| SlaRule {
        name: name.to_string(),
        tiers: tiers.to_vec(),
        when: conds(when),
        days,
    };
    vec![
        rule(
            "validated critical on a crown jewel",
            &[Tier::P1],
            &["validated", "crown_jewel"],
            7,
        ),
        rule("P1", &[Tier::P1], &[], 14),
        rule("P2", &[Tier::P2], &[], 30),
        rule("P3", &[Tier::P3], &[], 90),
        rule("P4", &[Tier::P4], &[], 180),
    ]
}

/// Every predicate name, for documentation and `--help`.
pub fn predicate_names() -> Vec<&'static str> {
    Predicate::ALL.iter().map(|p| p.name()).collect()
}
