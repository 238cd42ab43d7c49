//! Change awareness: which policy is in force compared with the last run,
//! and why an exposure's tier changed, in words a person can act on
//! ("CVE-2024-3400 on fw-01: P3 → P1 because added to KEV on 2024-04-12").

use crate::error::Result;
use ctem_model::{Decision, Factor, Tier};
use ctem_prioritise::policy_digest::{self, PolicyContent, PolicyDigest};
use ctem_scope::Scope;
use ctem_store::{PolicyRecord, Store};
use serde::Serialize;

/// A policy different from the last run's.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyChange {
    pub old_version: String,
    pub new_version: String,
    pub old_hash: String,
    pub new_hash: String,
    /// One line per change: rules added, removed, edited or moved,
    /// thresholds, SLA rules.
    pub changes: Vec<String>,
}

impl PolicyChange {
    /// A short form for tier-change reasons.
    pub fn summary(&self) -> String {
        let mut s = if self.old_version == self.new_version {
            format!("policy {} edited", self.new_version)
        } else {
            format!("policy {} → {}", self.old_version, self.new_version)
        };
        let detail: Vec<&str> = self
            .changes
            .iter()
            .filter(|c| !c.starts_with("version "))
            .map(String::as_str)
            .collect();
        if !detail.is_empty() {
            s.push_str(" (");
            s.push_str(&detail[..detail.len().min(3)].join("; "));
            if detail.len() > 3 {
                s.push_str(&format!("; {} more", detail.len() - 3));
            }
            s.push(')');
        }
        s
    }
}

/// Compares the policy in force with the last run's and records it when
/// it differs (audit `policy.adopted` the first time, `policy.changed`
/// after). Returns the change, if there was one since the last run.
pub fn track_policy(
    store: &mut Store,
    scope: &Scope,
    actor: &str,
    now: i64,
) -> Result<Option<PolicyChange>> {
    let d: PolicyDigest = policy_digest::digest(&scope.policy, &scope.thresholds, &scope.sla);
    let content = serde_json::to_string(&d.content).unwrap_or_default();
    let rec = PolicyRecord {
        id: 0,
        version: d.version.clone(),
        hash: d.hash.clone(),
        content,
        first_used: now,
    };
    let last = store.latest_policy()?;
    let Some(last) = last else {
        store.record_policy(
            &rec,
            &serde_json::json!({"version": d.version, "hash": d.hash}),
            actor,
        )?;
        return Ok(None);
    };
    if last.hash == d.hash && last.version == d.version {
        return Ok(None);
    }
    let changes = match serde_json::from_str::<PolicyContent>(&last.content) {
        Ok(old) => policy_digest::diff(&old, &d.content),
        Err(_) => vec![format!(
            "the previous policy {} could not be read back; compared by hash only",
            last.version
        )],
    };
    let change = PolicyChange {
        old_version: last.version,
        new_version: d.version,
        old_hash: last.hash,
        new_hash: d.hash,
        changes,
    };
    store.record_policy(
        &rec,
        &serde_json::to_value(&change).unwrap_or_default(),
        actor,
    )?;
    Ok(Some(change))
}

fn first_word(s: &str) -> &str {
    s.split([' ', ',']).next().unwrap_or(s)
}

/// Why one factor's change matters, in words.
fn factor_change(before: &Factor, after: &Factor) -> String {
    let was_yes = before.value.starts_with("yes");
    let is_yes = after.value.starts_with("yes");
    match after.name.as_str() {
        "kev" if is_yes && !was_yes => {
            let date = after
                .value
                .strip_prefix("yes, added ")
                .map(|r| r.split(',').next().unwrap_or(r))
                .unwrap_or("?");
            format!("added to KEV on {date} ({})", after.source)
        }
        "kev" if was_yes && !is_yes => format!("no longer in KEV ({})", after.source),
        "epss" => format!(
            "EPSS {} → {} ({}{})",
            first_word(&before.value),
            first_word(&after.value),
            after.source,
            after
                .as_of
                .as_deref()
                .map(|d| format!(" of {d}"))
                .unwrap_or_default()
        ),
        "ssvc" => format!(
            "SSVC {} → {}",
            first_word(&before.value),
            first_word(&after.value)
        ),
        "reachable" | "mitigated" | "internet_facing" => format!(
            "{}: {} → {}",
            after.name,
            first_word(&before.value),
            after.value
        ),
        _ => format!("{}: {} → {}", after.name, before.value, after.value),
    }
}

/// Why a tier changed: the factors whose values changed (KEV and EPSS with
/// their feed), and the policy change since the last run. For example
/// `CVE-2024-3400 on fw-01: P3 → P1 because added to KEV on 2024-04-12
/// (CISA KEV 2026.08.07); SSVC Attend → Act`.
pub fn change_reason(
    weakness: &str,
    asset: &str,
    old: &Decision,
    tier: Tier,
    factors: &[Factor],
    policy: Option<&PolicyChange>,
) -> String {
    let mut why: Vec<String> = factors
        .iter()
        .filter_map(|f| {
            let before = old.factors.iter().find(|o| o.name == f.name)?;
            (before.value != f.value).then(|| factor_change(before, f))
        })
        .collect();
    if let Some(p) = policy {
        why.push(p.summary());
    }
    if why.is_empty() {
        why.push("policy rules re-evaluated".into());
    }
    format!(
        "{weakness} on {asset}: {} → {tier} because {}",
        old.tier,
        why.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, value: &str, source: &str) -> Factor {
        Factor {
            name: name.into(),
            value: value.into(),
            source: source.into(),
            as_of: None,
        }
    }

    fn old(tier: Tier, factors: Vec<Factor>) -> Decision {
        Decision {
            exposure_id: "e".into(),
            in_scope: true,
            service_id: None,
            tier,
            score: 0.0,
            exploitable_intel: false,
            reachable: true,
            validation: ctem_model::ValidationState::NotValidated,
            factors: factors.into(),
            policy_path: Default::default(),
            policy_version: "default-1".into(),
            owner: None,
            sla_days: None,
            due: None,
            tier_since: 0,
            decided_at: 0,
            feed_snapshots: vec![],
        }
    }

    #[test]
    fn kev_addition_is_named_with_its_date_and_catalogue() {
        let before = old(Tier::P3, vec![f("kev", "no", "CISA KEV 2024.04.11")]);
        let after = [f(
            "kev",
            "yes, added 2024-04-12, federal due date 2024-04-19",
            "CISA KEV 2024.04.12",
        )];
        let r = change_reason("CVE-2024-3400", "fw-01", &before, Tier::P1, &after, None);
        assert_eq!(
            r,
            "CVE-2024-3400 on fw-01: P3 → P1 because added to KEV on 2024-04-12 (CISA KEV 2024.04.12)"
        );
    }

    #[test]
    fn a_policy_change_is_named_as_the_reason() {
        let before = old(Tier::P3, vec![f("kev", "no", "CISA KEV x")]);
        let p = PolicyChange {
            old_version: "default-1".into(),
            new_version: "2026.1".into(),
            old_hash: "a".into(),
            new_hash: "b".into(),
            changes: vec![
                "version default-1 → 2026.1".into(),
                "thresholds.epss 0.5 → 0.3".into(),
            ],
        };
        let after = [f("kev", "no", "CISA KEV x")];
        let r = change_reason("CVE-1", "h", &before, Tier::P2, &after, Some(&p));
        assert_eq!(
            r,
            "CVE-1 on h: P3 → P2 because policy default-1 → 2026.1 (thresholds.epss 0.5 → 0.3)"
        );
    }
}
