//! Programme KPIs computed from the history of every exposure — the
//! measures an auditor and a CISO ask for, not vanity counts. Every KPI
//! states its population so a reader can judge it; definitions are in
//! `docs/mobilisation.md`.
//!
//! **Architecture invariant:** pure: a list of [`Life`]s and a clock in,
//! [`Kpis`] out.

use ctem_model::{DAY, Tier, ValidationState};
use serde::Serialize;
use std::collections::BTreeMap;

/// One exposure's life, as the store's history and the scope describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Life {
    pub id: String,
    pub service: Option<String>,
    pub crown_jewel: bool,
    /// When the exposure became a known-exploited risk: the later of the
    /// CVE's CISA KEV dateAdded and the asset's first sighting. `None` when
    /// the weakness is not in KEV.
    pub emerged: Option<i64>,
    pub first_seen: i64,
    /// Every tier decision in order: (time, tier, due). The first is when
    /// the exposure entered the prioritised queue.
    pub tiers: Vec<(i64, Tier, Option<i64>)>,
    /// Every validation in order: (time, outcome).
    pub validations: Vec<(i64, ValidationState)>,
    /// When a rescan confirmed the fix.
    pub resolved_at: Option<i64>,
    /// Open or fix-pending now (not resolved, not risk-accepted).
    pub active: bool,
}

/// Days: how many observations, their median and 90th percentile.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Days {
    pub n: usize,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl Days {
    fn of(mut v: Vec<f64>) -> Days {
        v.sort_by(f64::total_cmp);
        let pick = |q: f64| -> Option<f64> {
            if v.is_empty() {
                return None;
            }
            // Nearest rank.
            let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
            Some((v[rank - 1] * 10.0).round() / 10.0)
        };
        Days {
            n: v.len(),
            median: pick(0.5),
            p90: pick(0.9),
        }
    }
}

/// A share: numerator of denominator, and the percentage when defined.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Share {
    pub numerator: usize,
    pub denominator: usize,
    pub percent: Option<f64>,
}

impl Share {
    fn of(numerator: usize, denominator: usize) -> Share {
        Share {
            numerator,
            denominator,
            percent: (denominator > 0)
                .then(|| (numerator as f64 * 1000.0 / denominator as f64).round() / 10.0),
        }
    }
}

/// Active exposures past their due date, by how long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Overdue {
    pub tier: String,
    pub days_1_7: usize,
    pub days_8_30: usize,
    pub days_31_90: usize,
    pub over_90: usize,
    pub total: usize,
}

/// The KPIs of one population: overall or one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// `overall` or a service id.
    pub scope: String,
    /// Exposures ever prioritised in this population (the denominator of
    /// everything below).
    pub population: usize,
    /// Emergence (KEV dateAdded, or the asset's first sighting if later) →
    /// entry into the prioritised queue.
    pub time_to_detect: Days,
    /// First sighting → first validation.
    pub detection_to_validation: Days,
    /// First validation as exploitable → fix verified by a rescan, by the
    /// tier the exposure had when fixed.
    pub validation_to_remediation: Vec<(String, Days)>,
    /// P1 exposures validated (any outcome) by their P1 due date, of those
    /// whose due date has passed or that were validated.
    pub critical_validated_within_sla: Share,
    /// Validated exposures found not exploitable or blocked by a control:
    /// the noise validation removed from the queue.
    pub validation_effectiveness: Share,
    /// Active exposures beyond their SLA, by tier and age.
    pub overdue: Vec<Overdue>,
    /// Active exposures on crown-jewel services at the end of each of the
    /// last four quarters (the current one up to now).
    pub crown_jewel_by_quarter: Vec<(String, usize)>,
}

fn days(a: i64, b: i64) -> f64 {
    ((b - a).max(0)) as f64 / DAY as f64
}

/// The quarter label and end (exclusive) of a time, and the previous ones.
fn quarters(now: i64, n: usize) -> Vec<(String, i64)> {
    let d =
        time::OffsetDateTime::from_unix_timestamp(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut year = d.year();
    let mut q = (u8::from(d.month()) - 1) / 3;
    let mut out = Vec::new();
    for i in 0..n {
        let (ey, eq) = if q == 3 { (year + 1, 0) } else { (year, q + 1) };
        let month = time::Month::try_from(eq * 3 + 1).unwrap_or(time::Month::January);
        let end = time::Date::from_calendar_date(ey, month, 1)
            .map(|d| d.midnight().assume_utc().unix_timestamp())
            .unwrap_or(now);
        out.push((
            format!("{year}-Q{}", q + 1),
            if i == 0 { now } else { end - 1 },
        ));
        if q == 0 {
            year -= 1;
            q = 3;
        } else {
            q -= 1;
        }
    }
    out.reverse();
    out
}

/// Computes the KPIs of `lives` at `now`, labelled `scope`.
pub fn compute(scope: &str, lives: &[&Life], now: i64) -> Kpis {
    let mut ttd = Vec::new();
    let mut d2v = Vec::new();
    let mut v2r: BTreeMap<Tier, Vec<f64>> = BTreeMap::new();
    let (mut crit_ok, mut crit_all) = (0, 0);
    let (mut refuted, mut validated) = (0, 0);
    let mut overdue: BTreeMap<Tier, Overdue> = BTreeMap::new();
    let mut population = 0;
    for l in lives {
        let Some(&(queued, _, _)) = l.tiers.first() else {
            continue;
        };
        population += 1;
        if let Some(e) = l.emerged {
            ttd.push(days(e, queued));
        }
        if let Some(&(v, _)) = l.validations.first() {
            d2v.push(days(l.first_seen, v));
        }
        if let (Some(r), Some(&(v, _))) = (
            l.resolved_at,
            l.validations
                .iter()
                .find(|(_, s)| *s == ValidationState::Exploitable),
        ) {
            let tier = l
                .tiers
                .iter()
                .rev()
                .find(|(at, _, _)| *at <= r)
                .map(|t| t.1)
                .unwrap_or(l.tiers[0].1);
            v2r.entry(tier).or_default().push(days(v, r));
        }
        if let Some(&(_, _, Some(due))) = l.tiers.iter().find(|t| t.1 == Tier::P1) {
            let on_time = l.validations.iter().any(|(at, _)| *at <= due);
            if on_time {
                crit_ok += 1;
                crit_all += 1;
            } else if due <= now {
                crit_all += 1;
            }
        }
        if let Some(&(_, s)) = l.validations.last() {
            validated += 1;
            if matches!(
                s,
                ValidationState::NotExploitable | ValidationState::BlockedByControl
            ) {
                refuted += 1;
            }
        }
        if l.active
            && let Some(&(_, tier, Some(due))) = l.tiers.last()
            && due < now
        {
            let late = (now - due).div_euclid(DAY) + 1;
            let o = overdue.entry(tier).or_insert_with(|| Overdue {
                tier: tier.as_str().into(),
                ..Overdue::default()
            });
            match late {
                ..=7 => o.days_1_7 += 1,
                8..=30 => o.days_8_30 += 1,
                31..=90 => o.days_31_90 += 1,
                _ => o.over_90 += 1,
            }
            o.total += 1;
        }
    }
    let crown_jewel_by_quarter = quarters(now, 4)
        .into_iter()
        .map(|(label, end)| {
            let n = lives
                .iter()
                .filter(|l| l.crown_jewel && l.first_seen <= end)
                .filter(|l| match l.resolved_at {
                    Some(r) => r > end,
                    // Risk-accepted exposures are not active now.
                    None => l.active || end < now,
                })
                .count();
            (label, n)
        })
        .collect();
    Kpis {
        scope: scope.to_string(),
        population,
        time_to_detect: Days::of(ttd),
        detection_to_validation: Days::of(d2v),
        validation_to_remediation: v2r
            .into_iter()
            .map(|(t, v)| (t.as_str().to_string(), Days::of(v)))
            .collect(),
        critical_validated_within_sla: Share::of(crit_ok, crit_all),
        validation_effectiveness: Share::of(refuted, validated),
        overdue: overdue.into_values().collect(),
        crown_jewel_by_quarter,
    }
}

/// The KPIs overall and for each service that has exposures.
pub fn compute_all(lives: &[Life], now: i64) -> (Kpis, Vec<Kpis>) {
    let all: Vec<&Life> = lives.iter().collect();
    let overall = compute("overall", &all, now);
    let mut by: BTreeMap<&str, Vec<&Life>> = BTreeMap::new();
    for l in lives {
        if let Some(s) = &l.service {
            by.entry(s.as_str()).or_default().push(l);
        }
    }
    let per = by
        .into_iter()
        .map(|(s, v)| compute(s, &v, now))
        .filter(|k| k.population > 0)
        .collect();
    (overall, per)
}

/// The history as it stood at `t`: later decisions, validations and
/// resolutions removed; exposures first seen after `t` dropped.
pub fn as_of(lives: &[Life], t: i64) -> Vec<Life> {
    lives
        .iter()
        .filter(|l| l.first_seen <= t)
        .map(|l| {
            let resolved_at = l.resolved_at.filter(|r| *r <= t);
            Life {
                tiers: l.tiers.iter().filter(|x| x.0 <= t).cloned().collect(),
                validations: l.validations.iter().filter(|x| x.0 <= t).cloned().collect(),
                emerged: l.emerged.filter(|e| *e <= t),
                active: resolved_at.is_none() && (l.active || l.resolved_at.is_some()),
                resolved_at,
                ..l.clone()
            }
        })
        .collect()
}

/// The overall KPIs at the end of each of the last `n` quarters (the
/// current one up to `now`), oldest first.
pub fn trend(lives: &[Life], now: i64, n: usize) -> Vec<(String, Kpis)> {
    quarters(now, n)
        .into_iter()
        .map(|(label, end)| {
            let past = as_of(lives, end);
            let refs: Vec<&Life> = past.iter().collect();
            let k = compute("overall", &refs, end);
            (label, k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ValidationState::*;

    fn at(date: &str) -> i64 {
        ctem_model::parse_date(date).expect("date")
    }

    /// A history with known answers, worked by hand:
    /// a: KEV 01-01, asset seen 01-03, queued 01-05 as P1 due 01-12,
    ///    validated exploitable 01-08, fixed 01-18 → TTD 2, D→V 5, V→R 10 (P1), P1 on time.
    /// b: not in KEV, first seen 01-02, queued 01-02 as P1 due 01-09, never
    ///    validated, still open at 02-01 → P1 missed; overdue 24 days (8–30).
    /// c: KEV 01-10 (after asset 01-01), queued 01-14 as P2 due 02-13,
    ///    validated not exploitable 01-20, open → TTD 4, D→V 19.
    /// d: crown jewel, KEV 2025-12-01, asset 2025-11-01, queued 12-03 as P3,
    ///    then P1 on 01-20 due 01-27; blocked by a control 01-25; open, due
    ///    passed → TTD 2, D→V 55, P1 on time; overdue 6 days (1–7) as P1.
    /// e: crown jewel, first seen 2025-10-15, resolved 2025-12-20, never
    ///    prioritised → outside the population, but counted by quarter.
    fn history() -> Vec<Life> {
        let l = |id: &str, svc: &str, cj, emerged, seen, tiers, vals, resolved, active| Life {
            id: id.into(),
            service: Some(svc.into()),
            crown_jewel: cj,
            emerged,
            first_seen: seen,
            tiers,
            validations: vals,
            resolved_at: resolved,
            active,
        };
        vec![
            l(
                "a",
                "claims",
                false,
                Some(at("2026-01-03")),
                at("2026-01-03"),
                vec![(at("2026-01-05"), Tier::P1, Some(at("2026-01-12")))],
                vec![(at("2026-01-08"), Exploitable)],
                Some(at("2026-01-18")),
                false,
            ),
            l(
                "b",
                "claims",
                false,
                None,
                at("2026-01-02"),
                vec![(at("2026-01-02"), Tier::P1, Some(at("2026-01-09")))],
                vec![],
                None,
                true,
            ),
            l(
                "c",
                "portal",
                false,
                Some(at("2026-01-10")),
                at("2026-01-01"),
                vec![(at("2026-01-14"), Tier::P2, Some(at("2026-02-13")))],
                vec![(at("2026-01-20"), NotExploitable)],
                None,
                true,
            ),
            l(
                "d",
                "policy",
                true,
                Some(at("2025-12-01")),
                at("2025-12-01"),
                vec![
                    (at("2025-12-03"), Tier::P3, Some(at("2026-03-03"))),
                    (at("2026-01-20"), Tier::P1, Some(at("2026-01-27"))),
                ],
                vec![(at("2026-01-25"), BlockedByControl)],
                None,
                true,
            ),
            l(
                "e",
                "policy",
                true,
                None,
                at("2025-10-15"),
                vec![],
                vec![],
                Some(at("2025-12-20")),
                false,
            ),
        ]
    }

    #[test]
    fn each_kpi_has_its_known_answer() {
        let now = at("2026-02-02");
        let (k, per) = compute_all(&history(), now);
        assert_eq!(k.population, 4);
        assert_eq!(
            k.time_to_detect,
            Days {
                n: 3,
                median: Some(2.0),
                p90: Some(4.0)
            }
        );
        assert_eq!(k.detection_to_validation.n, 3);
        assert_eq!(k.detection_to_validation.median, Some(19.0));
        assert_eq!(k.detection_to_validation.p90, Some(55.0));
        assert_eq!(
            k.validation_to_remediation,
            vec![(
                "P1".to_string(),
                Days {
                    n: 1,
                    median: Some(10.0),
                    p90: Some(10.0)
                }
            )]
        );
        assert_eq!(
            k.critical_validated_within_sla,
            Share {
                numerator: 2,
                denominator: 3,
                percent: Some(66.7)
            }
        );
        assert_eq!(
            k.validation_effectiveness,
            Share {
                numerator: 2,
                denominator: 3,
                percent: Some(66.7)
            }
        );
        assert_eq!(
            k.overdue,
            vec![Overdue {
                tier: "P1".into(),
                days_1_7: 1,
                days_8_30: 1,
                days_31_90: 0,
                over_90: 0,
                total: 2
            }]
        );
        // Crown jewels: 2025-Q2 none; Q3 none; Q4 d (e resolved 12-20 < 12-31); Q1 (to now) d.
        assert_eq!(
            k.crown_jewel_by_quarter,
            vec![
                ("2025-Q2".to_string(), 0),
                ("2025-Q3".to_string(), 0),
                ("2025-Q4".to_string(), 1),
                ("2026-Q1".to_string(), 1)
            ]
        );
        let claims = per.iter().find(|p| p.scope == "claims").expect("claims");
        assert_eq!(claims.population, 2);
        assert_eq!(claims.critical_validated_within_sla.percent, Some(50.0));
        assert_eq!(
            per.iter().map(|p| p.scope.as_str()).collect::<Vec<_>>(),
            ["claims", "policy", "portal"]
        );
    }

    #[test]
    fn empty_history_has_no_percentages() {
        let (k, per) = compute_all(&[], at("2026-02-02"));
        assert_eq!(k.population, 0);
        assert_eq!(k.critical_validated_within_sla.percent, None);
        assert_eq!(k.time_to_detect.median, None);
        assert!(per.is_empty());
    }

    #[test]
    fn trend_sees_only_the_past() {
        let now = at("2026-02-02");
        let t = trend(&history(), now, 4);
        assert_eq!(t.len(), 4);
        // At the end of 2025-Q4 only d was prioritised (as P3) and nothing
        // was validated yet.
        let (label, q4) = &t[2];
        assert_eq!(label, "2025-Q4");
        assert_eq!(q4.population, 1);
        assert_eq!(q4.validation_effectiveness.denominator, 0);
        assert_eq!(t[3].1, compute_all(&history(), now).0);
    }
}
