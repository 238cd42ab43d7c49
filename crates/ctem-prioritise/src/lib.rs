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

mod explain;
pub mod policy_digest;
#[cfg(test)]
mod reference;
pub mod ssvc;

pub use ctem_model::factors::push_fixed;
pub use explain::{Explainer, evaluate_all};

#[cfg(test)]
use ctem_model::Text;
use ctem_model::{Factors, PolicyPath, Severity, Tier, ValidationState, WeaknessKind};
use ctem_scope::predicate::{Condition, Predicate};
use ctem_scope::{Policy, SlaRule, Thresholds};
use serde::Serialize;

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

    pub(crate) fn holds_with(&self, p: Predicate, th: &Thresholds, s: &ssvc::Ssvc) -> bool {
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
    /// Every factor, compact until read or stored ([`Factors`]).
    pub factors: Factors,
    /// The rules tried, in order, ending with the one that matched (or the
    /// default tier), shared between exposures with the same outcome. The SLA
    /// line is added by the caller, who knows when the clock started
    /// ([`Explainer::with_sla`]).
    pub policy_path: PolicyPath,
    pub exploitable_intel: bool,
    /// The SLA rule that applies, as an index into the explainer's SLA rules
    /// (`None` when none applies or the explainer was given none).
    pub sla: Option<usize>,
}

/// The value of every predicate, indexed by `Predicate as usize`.
pub(crate) type Values = [bool; Predicate::ALL.len()];

pub(crate) fn holds_in(v: &Values, c: &Condition) -> bool {
    v[c.predicate as usize] != c.negated
}

/// Evaluates the policy on the facts of one exposure (no SLA rule chosen).
/// For many exposures use one [`Explainer`] per thread: it shares the parts
/// of the explanation that repeat between exposures.
pub fn evaluate(policy: &Policy, th: &Thresholds, f: &Facts) -> Outcome {
    Explainer::new(policy, th, &[]).evaluate(f)
}

/// The ordering score within a tier (see the crate docs for the formula).
pub fn score(f: &Facts, th: &Thresholds) -> f64 {
    score_with(f, &f.predicate_values(th))
}

pub(crate) fn score_with(f: &Facts, v: &Values) -> f64 {
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

/// Every factor with its value, its source and the date of its data.
pub fn factors(f: &Facts, th: &Thresholds) -> Factors {
    let policy = Policy {
        version: String::new(),
        rules: Vec::new(),
        default_tier: Tier::P4,
    };
    Explainer::new(&policy, th, &[]).factors(f)
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

    /// Varied facts: every factor present, absent and in each of its forms.
    fn varied(n: usize) -> Vec<Facts> {
        let mut r = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: u64| {
            r ^= r >> 12;
            r ^= r << 25;
            r ^= r >> 27;
            r.wrapping_mul(0x2545_f491_4f6c_dd1d) % m
        };
        (0..n)
            .map(|i| {
                let mut f = base();
                f.service = match next(4) {
                    0 => None,
                    k => Some(ServiceFact {
                        id: format!("svc-{k}"),
                        name: format!("Service {k}"),
                        crown_jewel: k == 1,
                        criticality: k as u8,
                        regulated_data: k == 2,
                    }),
                };
                f.kev_loaded = (next(5) > 0).then(|| format!("2026.0{}.01", next(3) + 1));
                f.kev = (f.kev_loaded.is_some() && next(3) == 0).then(|| KevFact {
                    date_added: 1_700_000_000 + next(40_000_000) as i64,
                    ransomware: next(2) == 0,
                    due_date: (next(2) == 0).then_some(1_760_000_000),
                    catalog: f.kev_loaded.clone().unwrap_or_default(),
                    catalog_date: 1_786_000_000 + 86_400 * next(3) as i64,
                });
                f.epss_loaded = (next(5) > 0).then(|| "v2025.03.14".to_string());
                f.epss = (f.epss_loaded.is_some() && next(4) > 0).then(|| EpssFact {
                    score: [0.0005, 0.1, 0.0015, 1.0][next(4) as usize]
                        * (next(1_000_001) as f64 / 1e6),
                    percentile: next(100_001) as f64 / 1e5,
                    model: "v2025.03.14".into(),
                    score_date: 1_769_731_200,
                });
                f.cvss = match next(4) {
                    0 => None,
                    1 => Some(CvssFact {
                        base: next(101) as f64 / 10.0,
                        vector: None,
                        source: "score reported by trivy".into(),
                        traits: None,
                    }),
                    _ => Some(CvssFact {
                        base: next(101) as f64 / 10.0,
                        vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                        source: "CVSS v3.1 vector from trivy, grype".into(),
                        traits: Some(ssvc::VectorTraits {
                            automatable: next(2) == 0,
                            total_impact: next(2) == 0,
                            exploit: (next(3) == 0).then_some(ssvc::Exploitation::PublicPoc),
                        }),
                    }),
                };
                f.reachable = (next(2) == 0).then(|| format!("internet → dmz: web-{i}"));
                f.internet_facing = next(2) == 0;
                f.zone = (next(5) > 0).then(|| ["dmz", "app", "data"][next(3) as usize].into());
                f.validation = (next(4) == 0).then(|| ValidationFact {
                    state: [
                        ValidationState::Exploitable,
                        ValidationState::NotExploitable,
                        ValidationState::BlockedByControl,
                    ][next(3) as usize],
                    tool: "caldera".into(),
                    method: "bas".into(),
                    control: (next(2) == 0).then(|| "edge-waf".into()),
                    reason: (next(2) == 0).then(|| "blocked at the WAF".into()),
                    at: 1_780_000_000 + next(1000) as i64,
                });
                f.mitigated_by = (0..next(3)).map(|k| format!("ctl-{k} (waf)")).collect();
                f
            })
            .collect()
    }

    #[test]
    fn explainer_renders_exactly_what_rendering_afresh_gives() {
        let mut policy = default_policy();
        let cond = |s: &str| Condition::parse(s).expect("condition");
        policy.rules.push(ctem_scope::Rule {
            name: "SSVC out-of-cycle".into(),
            tier: Tier::P3,
            all: vec![cond("ssvc_out_of_cycle"), cond("!mitigated")],
            any: vec![cond("kev"), cond("epss_high"), cond("validated")],
        });
        let sla = default_sla();
        let th = th();
        // One explainer for all, so shared parts come from its caches.
        let mut ex = Explainer::new(&policy, &th, &sla);
        for f in varied(20_000) {
            let o = ex.evaluate(&f);
            let (factors, path) = reference::evaluate(&policy, &th, &f);
            // Stored form first (streamed from the compact factors), then
            // the rendered factors.
            let reference_factors: Vec<ctem_model::Factor> = factors
                .iter()
                .map(|(n, v, s, d)| ctem_model::Factor {
                    name: n.as_str().into(),
                    value: v.as_str().into(),
                    source: s.as_str().into(),
                    as_of: d.as_deref().map(Text::from),
                })
                .collect();
            assert_eq!(
                serde_json::to_string(&o.factors).expect("json"),
                serde_json::to_string(&reference_factors).expect("json"),
                "{f:?}"
            );
            let got: Vec<reference::Plain> = o
                .factors
                .iter()
                .map(|x| {
                    (
                        x.name.to_string(),
                        x.value.to_string(),
                        x.source.to_string(),
                        x.as_of.as_ref().map(|d| d.to_string()),
                    )
                })
                .collect();
            assert_eq!(got, factors, "{f:?}");
            let got: Vec<String> = o.policy_path.iter().map(|p| p.to_string()).collect();
            assert_eq!(got, path, "{f:?}");
            assert_eq!(
                o.sla.map(|i| &sla[i].name),
                sla_for(&sla, o.tier, &f, &th).map(|r| &r.name)
            );
            assert_eq!(ex.decide(&f), (o.tier, o.sla));
            if let Some(i) = o.sla {
                let since = 1_780_000_000 + 3_600 * (f.mitigated_by.len() as i64);
                let full = ex.with_sla(&o.policy_path, o.sla, since);
                assert_eq!(full.len(), path.len() + 1);
                assert!(full.iter().take(path.len()).eq(o.policy_path.iter()));
                assert_eq!(
                    ex.sla_line(i, since),
                    format!(
                        "SLA \"{}\": {} days from {}",
                        sla[i].name,
                        sla[i].days,
                        ctem_model::fmt_date(since)
                    )
                );
            }
        }
    }

    #[test]
    fn evaluate_all_on_threads_gives_the_outcomes_in_order() {
        let policy = default_policy();
        let sla = default_sla();
        let th = th();
        let facts = varied(40_000);
        let parts = evaluate_all(&policy, &th, &sla, &facts, 2);
        assert_eq!(parts.len(), 2, "two chunks on two threads");
        let all: Vec<Outcome> = parts.into_iter().flatten().collect();
        assert_eq!(all.len(), facts.len());
        let mut ex = Explainer::new(&policy, &th, &sla);
        for (o, f) in all.iter().zip(&facts).step_by(97) {
            assert_eq!(o, &ex.evaluate(f));
        }
    }

    #[test]
    fn the_explanation_carries_every_factor_with_value_source_date_and_the_rule() {
        let mut f = base();
        f.kev = kev();
        f.epss = Some(EpssFact {
            score: 0.9432,
            percentile: 0.99,
            model: "v2025.03.14".into(),
            score_date: 1_769_731_200,
        });
        f.reachable = Some("internet → dmz: fw-01 (CVE-2024-3400)".into());
        f.validation = Some(ValidationFact {
            state: ValidationState::Exploitable,
            tool: "red team".into(),
            method: "red_team".into(),
            control: None,
            reason: None,
            at: 1_780_000_000,
        });
        f.mitigated_by = vec!["edge-waf (waf)".into()];
        let policy = default_policy();
        let sla = default_sla();
        let th = th();
        let mut ex = Explainer::new(&policy, &th, &sla);
        let o = ex.evaluate(&f);
        let get = |n: &str| {
            o.factors
                .iter()
                .find(|x| x.name == n)
                .unwrap_or_else(|| panic!("factor {n}"))
        };
        let (kev, epss) = (get("kev"), get("epss"));
        assert_eq!(kev.value, "yes, added 2024-04-12");
        assert_eq!(kev.source, "CISA KEV 2026.11.26");
        assert_eq!(kev.as_of.as_deref(), Some("1970-01-01"));
        assert_eq!(
            epss.value,
            "0.943 (percentile 0.990), at or above threshold"
        );
        assert_eq!(epss.source, "FIRST EPSS v2025.03.14");
        assert_eq!(epss.as_of.as_deref(), Some("2026-01-30"));
        assert_eq!(
            get("service").value,
            "Claims (crown jewel, criticality 5, regulated data)"
        );
        assert_eq!(get("service").source, "scope: ctem.toml");
        assert_eq!(get("cvss").value, "6.5");
        assert_eq!(get("cvss").source, "reported score");
        assert_eq!(
            get("reachable").value,
            "yes: internet → dmz: fw-01 (CVE-2024-3400)"
        );
        assert_eq!(get("internet_facing").value, "yes (zone dmz)");
        assert_eq!(
            get("validation").value,
            "exploitable by red team (red_team)"
        );
        assert_eq!(get("validation").as_of.as_deref(), Some("2026-05-28"));
        assert_eq!(get("mitigated").value, "yes: edge-waf (waf)");
        assert!(
            get("ssvc")
                .value
                .starts_with("Attend (exploitation active: in CISA KEV"),
            "{}",
            get("ssvc").value
        );
        assert_eq!(get("ssvc").source, ssvc::SOURCE);
        assert_eq!(o.factors.len(), 9);
        let last = o.policy_path.last().expect("path");
        assert_eq!(
            last,
            "rule 2 \"validated exploitable on a crown jewel\" (P1): validated=true, crown_jewel=true → matched"
        );
        assert!(o.policy_path[0].ends_with("→ no"), "{:?}", o.policy_path);
        let i = o.sla.expect("an SLA rule");
        let line = ex.sla_line(i, 1_780_000_000);
        assert_eq!(
            line,
            format!("SLA \"{}\": 7 days from 2026-05-28", sla[i].name)
        );
        // Stored as plain strings: the JSON is what it was with `String`.
        let json = serde_json::to_value(&o.factors[1]).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "name": "kev",
                "value": "yes, added 2024-04-12",
                "source": "CISA KEV 2026.11.26",
                "as_of": "1970-01-01"
            })
        );
    }
}
