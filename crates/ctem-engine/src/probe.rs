//! `ctem validate --probe`: safe active probes of the workspace's exposed
//! ports, their validation records, and closure verification of exposures
//! marked fixed.
//!
//! Probes confirm what they can observe and never claim more: a closed
//! port, a banner with a version other than the vulnerable one, or a TLS
//! weakness no longer offered records `not_exploitable` (with the reason);
//! a probe never records `exploitable` — only exploitation shows that — but
//! a weakness still observed on an exposure marked fixed reopens it.

use crate::error::Result;
use ctem_model::{ExposureStatus, ValidationRecord, ValidationState};
use ctem_probe::{Expect, Kind, Limiter, Net, Outcome, Planned, Settings, Target, Tcp};
use ctem_scope::Scope;
use ctem_store::{ExposureRow, Store};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What one probe said about one exposure.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeFinding {
    pub exposure_id: String,
    pub asset: String,
    pub weakness: String,
    pub target: String,
    /// What the probe observed, for people.
    pub observed: String,
    /// The validation recorded, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<ValidationState>,
    /// Closure verification of a `fix_pending` exposure: `closed` or
    /// `reopened`, with the reason in `observed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closure: Option<String>,
}

/// A probe run.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeRun {
    pub dry_run: bool,
    pub plan: Vec<Planned>,
    pub outcomes: Vec<Outcome>,
    pub findings: Vec<ProbeFinding>,
}

fn kinds_for(port: u16) -> Vec<Kind> {
    match port {
        443 | 8443 | 9443 | 4443 => vec![Kind::Tcp, Kind::Tls, Kind::Http],
        465 | 636 | 993 | 995 | 5986 | 6443 | 3389 => vec![Kind::Tcp, Kind::Tls],
        80 | 8080 | 8000 | 8008 | 8888 | 9080 => vec![Kind::Tcp, Kind::Http],
        _ => vec![Kind::Tcp],
    }
}

/// The host to contact for an asset: its IP address, else its FQDN, else
/// its host name.
fn host_of(r: &ExposureRow) -> Option<String> {
    let id = &r.asset.identity;
    id.ip
        .clone()
        .or_else(|| id.fqdn.clone())
        .or_else(|| id.hostname.clone())
        .filter(|h| !h.trim().is_empty())
}

/// Whether the finding names a web server or web application product.
fn web_product(r: &ExposureRow) -> bool {
    let c = r
        .exposure
        .component
        .as_ref()
        .map(|c| c.name.to_ascii_lowercase())
        .unwrap_or_default();
    let t = format!("{c} {}", r.exposure.title.to_ascii_lowercase());
    [
        "apache",
        "httpd",
        "nginx",
        "tomcat",
        "iis",
        "jetty",
        "lighttpd",
        "caddy",
        "openresty",
        "weblogic",
        "websphere",
        "jboss",
        "wildfly",
        "confluence",
        "jira",
        "gitlab",
        "jenkins",
        "http",
    ]
    .iter()
    .any(|k| t.contains(k))
}

fn tls_weakness(r: &ExposureRow) -> bool {
    let t = format!("{} {}", r.exposure.weakness.id, r.exposure.title).to_ascii_lowercase();
    [
        "tls 1.0",
        "tls 1.1",
        "tlsv1.0",
        "tlsv1.1",
        "sslv3",
        "ssl 3",
        "weak cipher",
        "rc4",
        "3des",
        "sweet32",
        "deprecated tls",
        "poodle",
    ]
    .iter()
    .any(|k| t.contains(k))
}

/// Endpoints (host, port) and what to probe there, with the exposures the
/// probe speaks to.
pub type Endpoints = BTreeMap<(String, u16), (Target, Vec<ExposureRow>)>;

/// The exposures a probe can check, grouped by endpoint.
pub fn probe_targets(store: &Store) -> Result<Endpoints> {
    let mut out: Endpoints = BTreeMap::new();
    for r in store.exposures(true)? {
        let (Some(port), Some(host)) = (r.exposure.port, host_of(&r)) else {
            continue;
        };
        let expect = r.exposure.component.as_ref().map(|c| Expect {
            product: c
                .name
                .split_whitespace()
                .next()
                .unwrap_or(&c.name)
                .to_string(),
            version: c.version.clone(),
        });
        let entry = out.entry((host.clone(), port)).or_insert_with(|| {
            (
                Target {
                    host,
                    port,
                    kinds: kinds_for(port),
                    expect: None,
                },
                Vec::new(),
            )
        });
        if entry.0.expect.is_none() {
            entry.0.expect = expect;
        }
        // A web product on an unusual port still gets a banner check.
        if web_product(&r) && !entry.0.kinds.contains(&Kind::Http) {
            entry.0.kinds.push(Kind::Http);
        }
        entry.1.push(r);
    }
    Ok(out)
}

/// What an outcome says about one exposure: (observed, state to record,
/// closure verdict: Some(true) gone, Some(false) still there).
fn judge(
    o: &Outcome,
    r: &ExposureRow,
) -> (String, Option<(ValidationState, String)>, Option<bool>) {
    if let Some(refusal) = &o.refused {
        return (format!("not contacted: {refusal}"), None, None);
    }
    let port = format!("tcp/{}", o.port);
    match &o.tcp {
        Some(Tcp::Refused) => {
            let why = format!("{port} closed (connection refused) from the probe point");
            return (
                why.clone(),
                Some((ValidationState::NotExploitable, why)),
                Some(true),
            );
        }
        Some(Tcp::Timeout) => {
            let why = format!("{port} did not answer from the probe point (filtered)");
            return (
                why.clone(),
                Some((ValidationState::NotExploitable, why)),
                Some(true),
            );
        }
        Some(Tcp::Error(e)) => return (format!("{port}: {e}"), None, None),
        _ => {}
    }
    if tls_weakness(r)
        && let Some(t) = &o.tls
    {
        let weak = !t.weak_versions.is_empty() || t.weak_cipher.is_some();
        let seen = format!(
            "TLS offers {}{}",
            if t.versions.is_empty() {
                "nothing".to_string()
            } else {
                t.versions.join(", ")
            },
            t.weak_cipher
                .as_ref()
                .map(|c| format!("; accepts {c}"))
                .unwrap_or_default()
        );
        return if weak {
            (seen, None, Some(false))
        } else {
            let why = format!("{seen}: no deprecated protocol or weak cipher accepted");
            (
                why.clone(),
                Some((ValidationState::NotExploitable, why)),
                Some(true),
            )
        };
    }
    if let Some(h) = &o.http
        && let Some(verdict) = &h.verdict
    {
        let banner = h
            .server
            .clone()
            .or_else(|| h.powered_by.clone())
            .unwrap_or_default();
        let version = r
            .exposure
            .component
            .as_ref()
            .and_then(|c| c.version.clone())
            .unwrap_or_default();
        return match verdict.as_str() {
            "vulnerable version announced" => (
                format!("banner `{banner}` announces the vulnerable version {version}"),
                None,
                Some(false),
            ),
            "other version announced" => {
                let why = format!(
                    "banner `{banner}` announces {}, not the vulnerable {version}",
                    h.product_version.clone().unwrap_or_default()
                );
                (
                    why.clone(),
                    Some((ValidationState::NotExploitable, why)),
                    Some(true),
                )
            }
            _ => (
                format!("{port} open; banner `{banner}` ({verdict})"),
                None,
                None,
            ),
        };
    }
    (format!("{port} open"), None, None)
}

/// Probes every endpoint the allow-list permits (or, with `dry_run`, only
/// lists what would be contacted), records what the probes show, and
/// settles exposures marked fixed.
pub fn run_probes(
    store: &mut Store,
    scope: &Scope,
    net: &dyn Net,
    dry_run: bool,
    actor: &str,
) -> Result<ProbeRun> {
    let targets = probe_targets(store)?;
    let permits = |h: &str| scope.probes.permits(h);
    let list: Vec<Target> = targets.values().map(|(t, _)| t.clone()).collect();
    let plan = ctem_probe::plan(&permits, &list);
    if dry_run {
        return Ok(ProbeRun {
            dry_run,
            plan,
            outcomes: Vec::new(),
            findings: Vec::new(),
        });
    }
    let settings = Settings {
        timeout: Duration::from_millis(scope.probes.timeout_ms),
        rate_per_second: scope.probes.rate_per_second,
        now: ctem_model::now(),
    };
    let mut limiter = Limiter::new(settings.rate_per_second);
    let mut outcomes = Vec::new();
    let mut findings = Vec::new();
    let mut records = Vec::new();
    let mut settle = Vec::new();
    for (t, rows) in targets.values() {
        let o = ctem_probe::probe(net, &permits, &mut limiter, &settings, t);
        for r in rows {
            let (observed, record, gone) = judge(&o, r);
            if let Some((state, reason)) = &record {
                records.push(ValidationRecord {
                    exposure_id: r.exposure.id.clone(),
                    state: *state,
                    method: "probe".into(),
                    tool: "ctem-probe".into(),
                    control: None,
                    reason: Some(reason.clone()),
                    evidence: Some(format!("probe of {}:{}", t.host, t.port)),
                    validated_at: settings.now,
                });
            }
            let closure = match (r.exposure.status, gone) {
                (ExposureStatus::FixPending, Some(g)) => {
                    settle.push((r.exposure.id.clone(), g, format!("re-probe: {observed}")));
                    Some(if g { "closed" } else { "reopened" }.to_string())
                }
                _ => None,
            };
            findings.push(ProbeFinding {
                exposure_id: r.exposure.id.clone(),
                asset: r.asset.name.clone(),
                weakness: r.exposure.weakness.id.clone(),
                target: format!("{}:{}", t.host, t.port),
                observed,
                recorded: record.map(|(s, _)| s),
                closure,
            });
        }
        outcomes.push(o);
    }
    store.add_validations(&records, actor)?;
    for (id, gone, why) in settle {
        store.settle_fix(&id, gone, &why, actor)?;
    }
    Ok(ProbeRun {
        dry_run,
        plan,
        outcomes,
        findings,
    })
}

/// Records an analyst's verdict on one exposure.
pub fn record_verdict(
    store: &mut Store,
    exposure: &str,
    result: &str,
    control: Option<String>,
    reason: Option<String>,
    evidence: Option<String>,
    actor: &str,
) -> Result<ValidationRecord> {
    let row = store.exposure(exposure)?.ok_or_else(|| {
        crate::Error::new(crate::ErrorKind::Usage, format!("no exposure `{exposure}`"))
    })?;
    let rec = ctem_validate::verdict(
        &row.exposure.id,
        result,
        control,
        reason,
        evidence,
        actor,
        ctem_model::now(),
    )
    .map_err(crate::Error::invalid)?;
    store.add_validations(std::slice::from_ref(&rec), actor)?;
    Ok(rec)
}
