//! Prioritisation: from the facts about an exposure to a tier, a score and
//! an explanation an auditor can follow.
//!
//! **Architecture invariant:** pure. The caller gathers [`Facts`] (from the
//! scope, the threat feeds, the attack graph and validation); this crate
//! evaluates the versioned policy of `ctem.toml` on them. The same facts and
//! policy always give the same decision.
//!
//! The tier comes from the first policy rule whose conditions hold (see
//! `docs/scope.md`). The score (0–100) only orders exposures within a tier:
//!
//! ```text
//! score = 30 × criticality/5 (in scope only) + 25 × EPSS + 15 × KEV
//!       + 15 × reachable + 10 × CVSS/10 + 5 × validated
//!       − 10 × mitigated − 20 × refuted, clamped to 0–100
//! ```

#![forbid(unsafe_code)]

pub mod policy_digest;
pub mod ssvc;

use ctem_model::{Factor, Severity, Tier, ValidationState, WeaknessKind, fmt_date};
use ctem_scope::predicate::{Condition, Predicate};
use ctem_scope::{Policy, SlaRule, Thresholds};
use serde::Serialize;
use std::fmt::Write as _;

/// The service an exposure's asset supports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceFact {
    pub id: String,
    pub name: String,
    pub crown_jewel: bool,
    pub criticality: u8,
    pub regulated_data: bool,
}

/// KEV membership.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KevFact {
    pub date_added: i64,
    pub ransomware: bool,
    pub due_date: Option<i64>,
    /// Catalogue version and date, for the explanation.
    pub catalog: String,
    pub catalog_date: i64,
}

/// EPSS score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpssFact {
    pub score: f64,
    pub percentile: f64,
    pub model: String,
    pub score_date: i64,
}

/// CVSS, as scored from the finding's own vector or as a bare number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvssFact {
    pub base: f64,
    pub vector: Option<String>,
    /// `vector`, `reported score` or `reported severity`.
    pub source: String,
    /// What the vector says about automation, impact and exploit maturity
    /// (for SSVC); `None` without a vector.
    pub traits: Option<ssvc::VectorTraits>,
}

/// Validation outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationFact {
    pub state: ValidationState,
    pub tool: String,
    pub method: String,
    pub control: Option<String>,
    pub reason: Option<String>,
    pub at: i64,
}

/// Everything prioritisation knows about one exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    pub weakness_id: String,
    pub weakness_kind: WeaknessKind,
    pub severity: Severity,
    pub service: Option<ServiceFact>,
    pub kev: Option<KevFact>,
    /// Whether a KEV snapshot was loaded at all (so "not in KEV" means something).
    pub kev_loaded: Option<String>,
    pub epss: Option<EpssFact>,
    pub epss_loaded: Option<String>,
    pub cvss: Option<CvssFact>,
    /// The attack path when reachable.
    pub reachable: Option<String>,
    pub internet_facing: bool,
    pub zone: Option<String>,
    pub validation: Option<ValidationFact>,
    /// Controls that mitigate it: `id (kind)`.
    pub mitigated_by: Vec<String>,
}

impl Facts {
    /// Whether a named condition holds.
    pub fn holds(&self, p: Predicate, th: &Thresholds) -> bool {
        match p {
            Predicate::SsvcAct
            | Predicate::SsvcAttend
            | Predicate::SsvcImmediate
            | Predicate::SsvcOutOfCycle => self.holds_with(p, th, &ssvc::derive(self, th)),
            _ => self.holds_with(p, th, &NO_SSVC),
        }
    }

    /// The value of every predicate, indexed by `Predicate as usize`, with
    /// SSVC derived once: what [`evaluate`] tests rules against.
    pub fn predicate_values(&self, th: &Thresholds) -> [bool; Predicate::ALL.len()] {
        let s = ssvc::derive(self, th);
        Predicate::ALL.map(|p| self.holds_with(p, th, &s))
    }

    fn holds_with(&self, p: Predicate, th: &Thresholds, s: &ssvc::Ssvc) -> bool {
        let epss_high = self.epss.as_ref().is_some_and(|e| e.score >= th.epss);
        let cvss = self.cvss.as_ref().map(|c| c.base).unwrap_or(0.0);
        match p {
            Predicate::Kev => self.kev.is_some(),
            Predicate::KevRansomware => self.kev.as_ref().is_some_and(|k| k.ransomware),
            Predicate::EpssHigh => epss_high,
            Predicate::ExploitableIntel => self.kev.is_some() || epss_high,
            Predicate::Reachable => self.reachable.is_some(),
            Predicate::InternetFacing => self.internet_facing,
            Predicate::CrownJewel => self.service.as_ref().is_some_and(|s| s.crown_jewel),
            Predicate::RegulatedData => self.service.as_ref().is_some_and(|s| s.regulated_data),
            Predicate::InScope => self.service.is_some(),
            Predicate::Validated => self
                .validation
                .as_ref()
                .is_some_and(|v| v.state == ValidationState::Exploitable),
            Predicate::Refuted => self.validation.as_ref().is_some_and(|v| {
                matches!(
                    v.state,
                    ValidationState::NotExploitable | ValidationState::BlockedByControl
                )
            }),
            Predicate::Mitigated => !self.mitigated_by.is_empty(),
            Predicate::CvssCritical => cvss >= 9.0,
            Predicate::CvssHigh => cvss >= th.cvss_high,
            Predicate::Secret => self.weakness_kind == WeaknessKind::ExposedSecret,
            Predicate::Misconfiguration => self.weakness_kind == WeaknessKind::Misconfiguration,
            Predicate::SsvcAct => s.cisa == ssvc::CisaOutcome::Act,
            Predicate::SsvcAttend => s.cisa >= ssvc::CisaOutcome::Attend,
            Predicate::SsvcImmediate => s.deployer == ssvc::DeployerOutcome::Immediate,
            Predicate::SsvcOutOfCycle => s.deployer >= ssvc::DeployerOutcome::OutOfCycle,
        }
    }

    fn cond(&self, c: &Condition, th: &Thresholds) -> bool {
        self.holds(c.predicate, th) != c.negated
    }

    /// Whether every condition holds.
    pub fn all(&self, conds: &[Condition], th: &Thresholds) -> bool {
        conds.iter().all(|c| self.cond(c, th))
    }
}

/// Placeholder for predicates that do not look at SSVC.
const NO_SSVC: ssvc::Ssvc = ssvc::Ssvc {
    exploitation: ssvc::Exploitation::None,
    exploitation_why: "",
    automatable: false,
    automatable_why: "",
    technical_impact: ssvc::TechnicalImpact::Partial,
    technical_impact_why: "",
    mission_impact: ssvc::MissionImpact::Low,
    system_exposure: ssvc::SystemExposure::Small,
    human_impact: ssvc::HumanImpact::Low,
    cisa: ssvc::CisaOutcome::Track,
    deployer: ssvc::DeployerOutcome::Defer,
};

/// The result of evaluating the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub tier: Tier,
    pub score: f64,
    pub factors: Vec<Factor>,
    pub policy_path: Vec<String>,
    pub exploitable_intel: bool,
}

type Values = [bool; Predicate::ALL.len()];

fn holds_in(v: &Values, c: &Condition) -> bool {
    v[c.predicate as usize] != c.negated
}

/// Appends `name=value, …` to the path text without intermediate strings.
fn push_conds(text: &mut String, conds: &[Condition], v: &Values) {
    for (i, c) in conds.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        if c.negated {
            text.push('!');
        }
        text.push_str(c.predicate.name());
        text.push_str(if holds_in(v, c) { "=true" } else { "=false" });
    }
}

/// Evaluates the policy on the facts of one exposure.
pub fn evaluate(policy: &Policy, th: &Thresholds, f: &Facts) -> Outcome {
    let ssvc = ssvc::derive(f, th);
    let v: Values = Predicate::ALL.map(|p| f.holds_with(p, th, &ssvc));
    let mut path = Vec::with_capacity(policy.rules.len() + 2);
    let mut tier = None;
    for (i, r) in policy.rules.iter().enumerate() {
        let all_ok = r.all.iter().all(|c| holds_in(&v, c));
        let any_ok = r.any.is_empty() || r.any.iter().any(|c| holds_in(&v, c));
        let mut text = String::with_capacity(48 + r.name.len() + 24 * (r.all.len() + r.any.len()));
        let _ = write!(text, "rule {} \"{}\" ({}): ", i + 1, r.name, r.tier);
        push_conds(&mut text, &r.all, &v);
        if !r.any.is_empty() {
            if !r.all.is_empty() {
                text.push_str("; ");
            }
            text.push_str("any of [");
            push_conds(&mut text, &r.any, &v);
            text.push(']');
        }
        if all_ok && any_ok {
            text.push_str(" → matched");
            path.push(text);
            tier = Some(r.tier);
            break;
        }
        text.push_str(" → no");
        path.push(text);
    }
    let tier = match tier {
        Some(t) => t,
        None => {
            path.push(format!("no rule matched → default {}", policy.default_tier));
            policy.default_tier
        }
    };
    Outcome {
        tier,
        score: score_with(f, &v),
        factors: factors_with(f, th, &ssvc),
        policy_path: path,
        exploitable_intel: v[Predicate::ExploitableIntel as usize],
    }
}

/// The ordering score within a tier (see the crate docs for the formula).
pub fn score(f: &Facts, th: &Thresholds) -> f64 {
    score_with(f, &f.predicate_values(th))
}

fn score_with(f: &Facts, v: &Values) -> f64 {
    let crit = f
        .service
        .as_ref()
        .map(|s| f64::from(s.criticality) / 5.0)
        .unwrap_or(0.0);
    let epss = f.epss.as_ref().map(|e| e.score).unwrap_or(0.0);
    let b = |p: Predicate| if v[p as usize] { 1.0 } else { 0.0 };
    let cvss = f.cvss.as_ref().map(|c| c.base).unwrap_or(0.0);
    let s = 30.0 * crit
        + 25.0 * epss
        + 15.0 * b(Predicate::Kev)
        + 15.0 * b(Predicate::Reachable)
        + cvss
        + 5.0 * b(Predicate::Validated)
        - 10.0 * b(Predicate::Mitigated)
        - 20.0 * b(Predicate::Refuted);
    (s.clamp(0.0, 100.0) * 10.0).round() / 10.0
}

fn factor(name: &str, value: String, source: &str, as_of: Option<i64>) -> Factor {
    Factor {
        name: name.to_string(),
        value,
        source: source.to_string(),
        as_of: as_of.map(fmt_date),
    }
}

/// Every factor with its value, its source and the date of its data.
pub fn factors(f: &Facts, th: &Thresholds) -> Vec<Factor> {
    factors_with(f, th, &ssvc::derive(f, th))
}

fn factors_with(f: &Facts, th: &Thresholds, s: &ssvc::Ssvc) -> Vec<Factor> {
    let mut v = Vec::with_capacity(9);
    v.push(match &f.service {
        Some(s) => factor(
            "service",
            format!(
                "{} ({}criticality {}{})",
                s.name,
                if s.crown_jewel { "crown jewel, " } else { "" },
                s.criticality,
                if s.regulated_data {
                    ", regulated data"
                } else {
                    ""
                }
            ),
            "scope: ctem.toml",
            None,
        ),
        None => factor(
            "service",
            "none: no service in scope selects this asset".into(),
            "scope: ctem.toml",
            None,
        ),
    });
    v.push(match (&f.kev, &f.kev_loaded) {
        (Some(k), _) => factor(
            "kev",
            format!(
                "yes, added {}{}{}",
                fmt_date(k.date_added),
                k.due_date
                    .map(|d| format!(", federal due date {}", fmt_date(d)))
                    .unwrap_or_default(),
                if k.ransomware {
                    ", known ransomware use"
                } else {
                    ""
                }
            ),
            &format!("CISA KEV {}", k.catalog),
            Some(k.catalog_date),
        ),
        (None, Some(cat)) => factor("kev", "no".into(), &format!("CISA KEV {cat}"), None),
        (None, None) => factor(
            "kev",
            "unknown: no KEV feed loaded".into(),
            "CISA KEV",
            None,
        ),
    });
    v.push(match (&f.epss, &f.epss_loaded) {
        (Some(e), _) => factor(
            "epss",
            format!(
                "{:.3} (percentile {:.3}){}",
                e.score,
                e.percentile,
                if e.score >= th.epss {
                    ", at or above threshold"
                } else {
                    ", below threshold"
                }
            ),
            &format!("FIRST EPSS {}", e.model),
            Some(e.score_date),
        ),
        (None, Some(m)) => factor(
            "epss",
            "no score for this weakness".into(),
            &format!("FIRST EPSS {m}"),
            None,
        ),
        (None, None) => factor(
            "epss",
            "unknown: no EPSS feed loaded".into(),
            "FIRST EPSS",
            None,
        ),
    });
    v.push(match &f.cvss {
        Some(c) => factor(
            "cvss",
            match &c.vector {
                Some(vec) => format!("{:.1} ({vec})", c.base),
                None => format!("{:.1}", c.base),
            },
            &c.source,
            None,
        ),
        None => factor("cvss", "none".into(), "report", None),
    });
    v.push(factor(
        "reachable",
        match &f.reachable {
            Some(p) => format!("yes: {p}"),
            None => "no: no attack path from the internet or an assumed-breach zone".into(),
        },
        "attack graph: ctem.toml topology",
        None,
    ));
    v.push(factor(
        "internet_facing",
        match (&f.zone, f.internet_facing) {
            (Some(z), true) => format!("yes (zone {z})"),
            (Some(z), false) => format!("no (zone {z})"),
            (None, _) => "no (asset in no declared zone)".into(),
        },
        "ctem.toml topology",
        None,
    ));
    v.push(match &f.validation {
        Some(val) => factor(
            "validation",
            format!(
                "{} by {} ({}){}{}",
                val.state,
                val.tool,
                val.method,
                val.control
                    .as_ref()
                    .map(|c| format!(", control {c}"))
                    .unwrap_or_default(),
                val.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            "validation record",
            Some(val.at),
        ),
        None => factor(
            "validation",
            "not validated".into(),
            "validation record",
            None,
        ),
    });
    v.push(factor(
        "mitigated",
        if f.mitigated_by.is_empty() {
            "no declared control mitigates it".into()
        } else {
            format!("yes: {}", f.mitigated_by.join(", "))
        },
        "ctem.toml controls",
        None,
    ));
    v.push(factor(
        "ssvc",
        s.describe(),
        ssvc::SOURCE,
        f.kev
            .as_ref()
            .map(|k| k.catalog_date)
            .or(f.epss.as_ref().map(|e| e.score_date)),
    ));
    v
}

/// The SLA rule that applies: `(rule name, days)`.
pub fn sla_for<'a>(
    rules: &'a [SlaRule],
    tier: Tier,
    f: &Facts,
    th: &Thresholds,
) -> Option<&'a SlaRule> {
    rules
        .iter()
        .find(|r| (r.tiers.is_empty() || r.tiers.contains(&tier)) && f.all(&r.when, th))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ctem_scope::{default_policy, default_sla};

    fn th() -> Thresholds {
        Thresholds::default()
    }

    fn base() -> Facts {
        Facts {
            weakness_id: "CVE-2024-3400".into(),
            weakness_kind: WeaknessKind::Cve,
            severity: Severity::Critical,
            service: Some(ServiceFact {
                id: "claims".into(),
                name: "Claims".into(),
                crown_jewel: true,
                criticality: 5,
                regulated_data: true,
            }),
            kev: None,
            kev_loaded: Some("2026.11.26".into()),
            epss: None,
            epss_loaded: Some("v2025.03.14".into()),
            cvss: Some(CvssFact {
                base: 6.5,
                vector: None,
                source: "reported score".into(),
                traits: None,
            }),
            reachable: None,
            internet_facing: true,
            zone: Some("dmz".into()),
            validation: None,
            mitigated_by: vec![],
        }
    }

    fn kev() -> Option<KevFact> {
        Some(KevFact {
            date_added: 1712880000,
            ransomware: false,
            due_date: None,
            catalog: "2026.11.26".into(),
            catalog_date: 0,
        })
    }

    #[test]
    fn reachable_kev_on_crown_jewel_is_p1_and_explained() {
        let mut f = base();
        f.kev = kev();
        f.reachable = Some("internet → dmz: fw-01 (CVE-2024-3400)".into());
        let o = evaluate(&default_policy(), &th(), &f);
        assert_eq!(o.tier, Tier::P1);
        let last = o.policy_path.last().expect("a path");
        assert!(
            last.contains("known exploited and reachable on a crown jewel"),
            "{last}"
        );
        assert!(
            last.contains("kev=true") && last.contains("reachable=true"),
            "{last}"
        );
        let names: Vec<&str> = o.factors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "service",
                "kev",
                "epss",
                "cvss",
                "reachable",
                "internet_facing",
                "validation",
                "mitigated",
                "ssvc"
            ]
        );
        assert!(o.factors[1].value.starts_with("yes, added 2024-04-12"));
    }

    #[test]
    fn cvss_is_severity_not_risk() {
        // A 6.5 that is exploited and reachable on a crown jewel outranks a
        // 9.8 on an isolated asset that no service in scope depends on.
        let mut crown = base();
        crown.kev = kev();
        crown.reachable = Some("internet → dmz".into());
        let mut isolated = base();
        isolated.service = None;
        isolated.internet_facing = false;
        isolated.cvss = Some(CvssFact {
            base: 9.8,
            vector: None,
            source: "vector".into(),
            traits: None,
        });
        let a = evaluate(&default_policy(), &th(), &crown);
        let b = evaluate(&default_policy(), &th(), &isolated);
        assert!(a.tier < b.tier, "{:?} vs {:?}", a.tier, b.tier);
        assert_eq!(b.tier, Tier::P4);
        assert!(b.policy_path[0].contains("out of scope"));
    }

    #[test]
    fn controls_and_refutation_lower_the_tier() {
        let mut f = base();
        f.epss = Some(EpssFact {
            score: 0.9,
            percentile: 0.99,
            model: "m".into(),
            score_date: 0,
        });
        f.reachable = Some("internet → dmz".into());
        if let Some(s) = f.service.as_mut() {
            s.crown_jewel = false;
        }
        assert_eq!(evaluate(&default_policy(), &th(), &f).tier, Tier::P2);
        f.mitigated_by = vec!["edge-waf (waf)".into()];
        assert_eq!(evaluate(&default_policy(), &th(), &f).tier, Tier::P3);
        f.mitigated_by.clear();
        f.validation = Some(ValidationFact {
            state: ValidationState::BlockedByControl,
            tool: "bas".into(),
            method: "bas".into(),
            control: Some("edge-waf".into()),
            reason: None,
            at: 0,
        });
        assert_eq!(evaluate(&default_policy(), &th(), &f).tier, Tier::P3);
    }

    #[test]
    fn sla_rules_pick_validated_crown_jewels_first() {
        let mut f = base();
        f.validation = Some(ValidationFact {
            state: ValidationState::Exploitable,
            tool: "red team".into(),
            method: "red_team".into(),
            control: None,
            reason: None,
            at: 0,
        });
        let o = evaluate(&default_policy(), &th(), &f);
        assert_eq!(o.tier, Tier::P1);
        let sla = default_sla();
        assert_eq!(sla_for(&sla, Tier::P1, &f, &th()).map(|r| r.days), Some(7));
        f.validation = None;
        assert_eq!(sla_for(&sla, Tier::P1, &f, &th()).map(|r| r.days), Some(14));
        assert_eq!(
            sla_for(&sla, Tier::P4, &f, &th()).map(|r| r.days),
            Some(180)
        );
    }

    #[test]
    fn score_is_bounded_and_monotonic_in_epss() {
        let mut f = base();
        let low = score(&f, &th());
        f.epss = Some(EpssFact {
            score: 0.97,
            percentile: 1.0,
            model: "m".into(),
            score_date: 0,
        });
        let high = score(&f, &th());
        assert!(high > low);
        assert!((0.0..=100.0).contains(&high));
    }
}
