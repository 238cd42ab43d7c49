//! The policy's identity: its content in a canonical form, the SHA-256 of
//! that form, and the differences between two versions for the audit log.
//!
//! Everything that can change a tier or a due date is part of the content:
//! the rules in order, the default tier, the thresholds, the SLA rules and
//! the SSVC decision tables ctem evaluates. Two policies with the same hash
//! give the same decisions on the same facts.
//!
//! **Architecture invariant:** pure; the caller stores the content and
//! compares it with the last run's.

use crate::ssvc;
use ctem_scope::predicate::Condition;
use ctem_scope::{Policy, SlaRule, Thresholds};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleContent {
    pub name: String,
    pub tier: String,
    pub all: Vec<String>,
    pub any: Vec<String>,
}

/// One SLA rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaContent {
    pub name: String,
    pub tiers: Vec<String>,
    pub when: Vec<String>,
    pub days: u32,
}

/// The thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdsContent {
    pub epss: f64,
    pub cvss_high: f64,
    pub ssvc_poc_epss: f64,
    pub feed_max_age_days: u32,
}

/// The canonical content of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyContent {
    pub version: String,
    pub default_tier: String,
    pub rules: Vec<RuleContent>,
    pub thresholds: ThresholdsContent,
    pub sla: Vec<SlaContent>,
    pub ssvc_tables: Vec<String>,
}

/// A policy's version label, content hash and content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDigest {
    pub version: String,
    /// SHA-256 (hex) of the canonical JSON of `content`.
    pub hash: String,
    pub content: PolicyContent,
}

fn conds(c: &[Condition]) -> Vec<String> {
    c.iter().map(ToString::to_string).collect()
}

/// The digest of the policy in force.
pub fn digest(policy: &Policy, th: &Thresholds, sla: &[SlaRule]) -> PolicyDigest {
    let content = PolicyContent {
        version: policy.version.clone(),
        default_tier: policy.default_tier.to_string(),
        rules: policy
            .rules
            .iter()
            .map(|r| RuleContent {
                name: r.name.clone(),
                tier: r.tier.to_string(),
                all: conds(&r.all),
                any: conds(&r.any),
            })
            .collect(),
        thresholds: ThresholdsContent {
            epss: th.epss,
            cvss_high: th.cvss_high,
            ssvc_poc_epss: th.ssvc_poc_epss,
            feed_max_age_days: th.feed_max_age_days,
        },
        sla: sla
            .iter()
            .map(|s| SlaContent {
                name: s.name.clone(),
                tiers: s.tiers.iter().map(ToString::to_string).collect(),
                when: conds(&s.when),
                days: s.days,
            })
            .collect(),
        ssvc_tables: vec![ssvc::CISA_TABLE.into(), ssvc::DEPLOYER_TABLE.into()],
    };
    PolicyDigest {
        version: policy.version.clone(),
        hash: hash(&content),
        content,
    }
}

/// SHA-256 of the canonical JSON form (the version label excluded, so a
/// renamed but otherwise identical policy keeps its hash).
pub fn hash(content: &PolicyContent) -> String {
    let mut c = content.clone();
    c.version.clear();
    let json = serde_json::to_string(&c).unwrap_or_default();
    let d = Sha256::digest(json.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn rule_text(r: &RuleContent) -> String {
    let mut s = format!("{}: all [{}]", r.tier, r.all.join(", "));
    if !r.any.is_empty() {
        s.push_str(&format!(" any [{}]", r.any.join(", ")));
    }
    s
}

fn sla_text(r: &SlaContent) -> String {
    format!(
        "{} days for [{}] when [{}]",
        r.days,
        r.tiers.join(", "),
        r.when.join(", ")
    )
}

/// Compares two ordered, named lists: added, removed, edited and moved.
fn diff_named<T: PartialEq>(
    what: &str,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> &str,
    text: impl Fn(&T) -> String,
    out: &mut Vec<String>,
) {
    for (i, o) in old.iter().enumerate() {
        match new.iter().position(|n| name(n) == name(o)) {
            None => out.push(format!("{what} removed: \"{}\" ({})", name(o), text(o))),
            Some(j) => {
                let n = &new[j];
                if text(n) != text(o) {
                    out.push(format!(
                        "{what} edited: \"{}\" ({} → {})",
                        name(o),
                        text(o),
                        text(n)
                    ));
                }
                if i != j {
                    out.push(format!(
                        "{what} moved: \"{}\" from position {} to {}",
                        name(o),
                        i + 1,
                        j + 1
                    ));
                }
            }
        }
    }
    for (j, n) in new.iter().enumerate() {
        if !old.iter().any(|o| name(o) == name(n)) {
            out.push(format!(
                "{what} added: \"{}\" at position {} ({})",
                name(n),
                j + 1,
                text(n)
            ));
        }
    }
}

/// What changed from `old` to `new`, one line per change, for people and
/// the audit log. Empty when nothing did.
pub fn diff(old: &PolicyContent, new: &PolicyContent) -> Vec<String> {
    let mut out = Vec::new();
    if old.version != new.version {
        out.push(format!("version {} → {}", old.version, new.version));
    }
    if old.default_tier != new.default_tier {
        out.push(format!(
            "default tier {} → {}",
            old.default_tier, new.default_tier
        ));
    }
    diff_named(
        "rule",
        &old.rules,
        &new.rules,
        |r| r.name.as_str(),
        rule_text,
        &mut out,
    );
    let (a, b) = (&old.thresholds, &new.thresholds);
    for (name, x, y) in [
        ("epss", a.epss, b.epss),
        ("cvss_high", a.cvss_high, b.cvss_high),
        ("ssvc_poc_epss", a.ssvc_poc_epss, b.ssvc_poc_epss),
        (
            "feed_max_age_days",
            f64::from(a.feed_max_age_days),
            f64::from(b.feed_max_age_days),
        ),
    ] {
        if x != y {
            out.push(format!("thresholds.{name} {x} → {y}"));
        }
    }
    diff_named(
        "sla rule",
        &old.sla,
        &new.sla,
        |r| r.name.as_str(),
        sla_text,
        &mut out,
    );
    if old.ssvc_tables != new.ssvc_tables {
        out.push(format!(
            "SSVC tables [{}] → [{}]",
            old.ssvc_tables.join(", "),
            new.ssvc_tables.join(", ")
        ));
    }
    let content_changed = hash(old) != hash(new);
    if content_changed && old.version == new.version {
        out.push(format!(
            "the content changed but the version stayed {}: give the policy a new version",
            new.version
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ctem_scope::{default_policy, default_sla};

    #[test]
    fn same_policy_same_hash_and_no_diff() {
        let a = digest(&default_policy(), &Thresholds::default(), &default_sla());
        let b = digest(&default_policy(), &Thresholds::default(), &default_sla());
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.hash.len(), 64);
        assert!(diff(&a.content, &b.content).is_empty());
    }

    #[test]
    fn names_added_removed_edited_rules_and_thresholds() {
        let old = digest(&default_policy(), &Thresholds::default(), &default_sla());
        let mut p = default_policy();
        p.version = "2026.2".into();
        p.rules.remove(5); // exposed secret on a crown jewel
        p.rules[1].tier = ctem_model::Tier::P2;
        p.rules.push(ctem_scope::Rule {
            name: "ssvc act".into(),
            tier: ctem_model::Tier::P2,
            all: vec![Condition::parse("ssvc_act").unwrap_or_else(|e| panic!("{e}"))],
            any: vec![],
        });
        let th = Thresholds {
            epss: 0.3,
            ..Thresholds::default()
        };
        let new = digest(&p, &th, &default_sla());
        assert_ne!(old.hash, new.hash);
        let d = diff(&old.content, &new.content);
        let all = d.join("\n");
        assert!(all.contains("version default-1 → 2026.2"), "{all}");
        assert!(
            all.contains("rule removed: \"exposed secret on a crown jewel\""),
            "{all}"
        );
        assert!(
            all.contains("rule edited: \"validated exploitable on a crown jewel\" (P1: all [validated, crown_jewel] → P2: all [validated, crown_jewel])"),
            "{all}"
        );
        assert!(
            all.contains("rule added: \"ssvc act\" at position 8"),
            "{all}"
        );
        assert!(all.contains("thresholds.epss 0.5 → 0.3"), "{all}");
        assert!(!all.contains("content changed but"), "{all}");
    }

    #[test]
    fn a_changed_content_under_the_same_version_is_called_out() {
        let old = digest(&default_policy(), &Thresholds::default(), &default_sla());
        let mut sla = default_sla();
        sla[1].days = 10;
        let new = digest(&default_policy(), &Thresholds::default(), &sla);
        let all = diff(&old.content, &new.content).join("\n");
        assert!(all.contains("sla rule edited: \"P1\" (14 days"), "{all}");
        assert!(all.contains("the version stayed default-1"), "{all}");
    }
}
