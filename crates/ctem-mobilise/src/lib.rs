//! Mobilisation: every prioritised exposure gets a named owner and a due
//! date, and exposures are grouped into remediation actions — the unit IT
//! works on ("upgrade log4j-core to 2.17.1 on 14 assets").
//!
//! **Architecture invariant:** pure. SLA rule selection lives with the
//! policy (`ctem-prioritise`); this crate turns a tier, an SLA and history
//! into dates, and exposures into actions.

#![forbid(unsafe_code)]

pub mod ageing;
pub mod kpi;

use ctem_model::{Component, DAY, Tier, WeaknessKind, exposure_fingerprint};
use serde::Serialize;
use std::collections::BTreeMap;

/// When the SLA clock of an exposure started: it restarts when the tier
/// changes (the new due date is recorded with its reason by the store's
/// audit log), and otherwise keeps the date the exposure entered its tier.
pub fn tier_since(previous: Option<(Tier, i64)>, tier: Tier, now: i64) -> i64 {
    match previous {
        Some((t, since)) if t == tier => since,
        _ => now,
    }
}

/// The due date: the SLA clock start plus the SLA's days.
pub fn due_date(tier_since: i64, sla_days: u32) -> i64 {
    tier_since + i64::from(sla_days) * DAY
}

/// Days until due (negative when overdue).
pub fn days_left(due: i64, now: i64) -> i64 {
    (due - now).div_euclid(DAY)
}

/// One exposure as an action sees it.
#[derive(Debug, Clone)]
pub struct ActionInput<'a> {
    pub exposure_id: &'a str,
    pub asset: &'a str,
    pub weakness_id: &'a str,
    pub weakness_kind: WeaknessKind,
    pub title: &'a str,
    pub component: Option<&'a Component>,
    pub tier: Tier,
    pub owner: Option<&'a str>,
    pub due: Option<i64>,
}

/// A remediation action: one fix, many exposures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemediationAction {
    /// Stable id derived from the fix, so tickets stay one per action.
    pub id: String,
    pub title: String,
    pub tier: Tier,
    pub owner: Option<String>,
    pub due: Option<i64>,
    pub exposures: Vec<String>,
    pub assets: Vec<String>,
    pub weaknesses: Vec<String>,
}

fn fix_key(i: &ActionInput<'_>) -> (String, String) {
    match i.component {
        Some(c) => match &c.fixed_version {
            Some(fixed) => (
                format!("upgrade:{}:{}", c.name.to_ascii_lowercase(), fixed),
                format!("Upgrade {} to {}", c.name, fixed),
            ),
            None => (
                format!(
                    "component:{}:{}",
                    c.name.to_ascii_lowercase(),
                    i.weakness_id
                ),
                format!(
                    "Remediate {} in {} (no fixed version published)",
                    i.weakness_id, c.name
                ),
            ),
        },
        None => match i.weakness_kind {
            WeaknessKind::ExposedSecret => (
                format!("secret:{}:{}", i.weakness_id, i.asset),
                format!(
                    "Rotate and remove the exposed secret ({}) in {}",
                    i.weakness_id, i.asset
                ),
            ),
            _ => (
                format!("weakness:{}", i.weakness_id),
                format!("Fix {}: {}", i.weakness_id, i.title),
            ),
        },
    }
}

/// Groups exposures by fix. Actions come most urgent first (tier, then due
/// date, then size), and within one action exposures keep input order.
pub fn group_actions(inputs: &[ActionInput<'_>]) -> Vec<RemediationAction> {
    let mut by_key: BTreeMap<String, RemediationAction> = BTreeMap::new();
    for i in inputs {
        let (key, title) = fix_key(i);
        let a = by_key
            .entry(key.clone())
            .or_insert_with(|| RemediationAction {
                id: format!(
                    "act-{}",
                    &exposure_fingerprint("action", &key, None, None)[..12]
                ),
                title,
                tier: i.tier,
                owner: i.owner.map(str::to_string),
                due: i.due,
                exposures: Vec::new(),
                assets: Vec::new(),
                weaknesses: Vec::new(),
            });
        // The most urgent exposure decides the action's tier, owner and due date.
        let more_urgent = (i.tier, i.due.unwrap_or(i64::MAX)) < (a.tier, a.due.unwrap_or(i64::MAX));
        if more_urgent {
            a.tier = i.tier;
            a.due = i.due;
            if i.owner.is_some() {
                a.owner = i.owner.map(str::to_string);
            }
        }
        if a.owner.is_none() {
            a.owner = i.owner.map(str::to_string);
        }
        a.exposures.push(i.exposure_id.to_string());
        if !a.assets.iter().any(|x| x == i.asset) {
            a.assets.push(i.asset.to_string());
        }
        if !a.weaknesses.iter().any(|x| x == i.weakness_id) {
            a.weaknesses.push(i.weakness_id.to_string());
        }
    }
    let mut v: Vec<RemediationAction> = by_key.into_values().collect();
    v.sort_by(|a, b| {
        (
            a.tier,
            a.due.unwrap_or(i64::MAX),
            std::cmp::Reverse(a.exposures.len()),
            &a.id,
        )
            .cmp(&(
                b.tier,
                b.due.unwrap_or(i64::MAX),
                std::cmp::Reverse(b.exposures.len()),
                &b.id,
            ))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sla_clock_restarts_only_when_the_tier_changes() {
        let now = 100 * DAY;
        assert_eq!(
            tier_since(Some((Tier::P2, 10 * DAY)), Tier::P2, now),
            10 * DAY
        );
        assert_eq!(tier_since(Some((Tier::P2, 10 * DAY)), Tier::P1, now), now);
        assert_eq!(tier_since(None, Tier::P3, now), now);
        assert_eq!(due_date(10 * DAY, 7), 17 * DAY);
        assert_eq!(days_left(17 * DAY, 20 * DAY), -3);
        assert_eq!(days_left(17 * DAY, 10 * DAY + 1), 6);
    }

    #[test]
    fn same_upgrade_on_many_assets_is_one_action() {
        let log4j = Component {
            name: "log4j-core".into(),
            version: Some("2.14.1".into()),
            purl: None,
            fixed_version: Some("2.17.1".into()),
        };
        let mk = |id: &'static str, asset: &'static str, tier, due, owner| ActionInput {
            exposure_id: id,
            asset,
            weakness_id: "CVE-2021-44228",
            weakness_kind: WeaknessKind::Cve,
            title: "Log4Shell",
            component: Some(&log4j),
            tier,
            owner,
            due,
        };
        let inputs = vec![
            mk("e1", "app-01", Tier::P3, Some(90 * DAY), Some("ops")),
            mk("e2", "app-02", Tier::P1, Some(7 * DAY), Some("claims")),
            mk("e3", "app-02", Tier::P2, Some(30 * DAY), Some("ops")),
            ActionInput {
                exposure_id: "e4",
                asset: "web-01",
                weakness_id: "nessus:57582",
                weakness_kind: WeaknessKind::Vendor,
                title: "SSL Self-Signed Certificate",
                component: None,
                tier: Tier::P4,
                owner: None,
                due: None,
            },
        ];
        let actions = group_actions(&inputs);
        assert_eq!(actions.len(), 2);
        assert_eq!(actions[0].title, "Upgrade log4j-core to 2.17.1");
        assert_eq!(actions[0].tier, Tier::P1);
        assert_eq!(actions[0].owner.as_deref(), Some("claims"));
        assert_eq!(actions[0].due, Some(7 * DAY));
        assert_eq!(actions[0].exposures, vec!["e1", "e2", "e3"]);
        assert_eq!(actions[0].assets, vec!["app-01", "app-02"]);
        assert!(actions[1].title.starts_with("Fix nessus:57582"));
        // The id is stable across runs.
        assert_eq!(actions[0].id, group_actions(&inputs)[0].id);
    }
}
