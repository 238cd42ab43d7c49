//! The explanation as it was rendered before the [`crate::Explainer`]
//! shared its parts: every string formatted afresh for every exposure. The
//! tests check that the explainer renders exactly the same text.

use crate::{Facts, Values, holds_in, ssvc};
use ctem_model::fmt_date;
use ctem_scope::predicate::{Condition, Predicate};
use ctem_scope::{Policy, Thresholds};
use std::fmt::Write as _;

/// `(name, value, source, as_of)`.
pub type Plain = (String, String, String, Option<String>);

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
pub fn evaluate(policy: &Policy, th: &Thresholds, f: &Facts) -> (Vec<Plain>, Vec<String>) {
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
    let _ = tier;
    (factors_with(f, th, &ssvc), path)
}

fn factor(name: &str, value: String, source: &str, as_of: Option<i64>) -> Plain {
    (
        name.to_string(),
        value,
        source.to_string(),
        as_of.map(fmt_date),
    )
}

fn factors_with(f: &Facts, th: &Thresholds, s: &ssvc::Ssvc) -> Vec<Plain> {
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
