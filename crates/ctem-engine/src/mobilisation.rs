//! Mobilisation over a workspace: risk acceptances, remediation actions
//! with ageing and escalation, ticket sync with the configured trackers
//! (and the exposure status it pulls back), and KPIs from the history.

use crate::error::{Error, Result};
use ctem_mobilise::ageing::{self, Ageing, EscalationLevel};
use ctem_mobilise::kpi::{self, Kpis, Life};
use ctem_model::{DAY, ExposureStatus, RiskAcceptance, Tier, fmt_date};
use ctem_scope::Scope;
use ctem_store::{AcceptanceRow, Store, TicketRow};
use ctem_ticket::{Credentials, Http, Known, Op, SyncReport, TicketSpec};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// The secrets file in a workspace (overridden by `CTEM_SECRETS_FILE`).
pub const SECRETS_FILE: &str = "ctem.secrets.toml";

/// Processes expired risk acceptances: their exposures reopen and, having
/// no decision any more, get a new SLA clock at this prioritisation.
pub fn expire_acceptances(store: &mut Store, actor: &str) -> Result<Vec<String>> {
    Ok(store.expire_acceptances(ctem_model::now(), actor)?)
}

/// A request to accept the risk of one exposure.
#[derive(Debug, Clone)]
pub struct AcceptRequest {
    /// Exposure id or unique prefix.
    pub exposure: String,
    pub approver: String,
    pub justification: String,
    pub control: Option<String>,
    /// `YYYY-MM-DD`: the acceptance ends at the start of that day (UTC).
    pub expires: String,
}

/// The input of a risk acceptance that breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptField {
    Expires,
    Approver,
    Justification,
}

impl AcceptField {
    pub fn as_str(self) -> &'static str {
        match self {
            AcceptField::Expires => "expires",
            AcceptField::Approver => "approver",
            AcceptField::Justification => "justification",
        }
    }
}

/// Why a risk acceptance is refused: the input and a sentence that says
/// what to change (callers prefix it with their name for the field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptProblem {
    pub field: AcceptField,
    pub message: String,
}

/// The longest an acceptance may last: three years.
pub const MAX_ACCEPTANCE: i64 = 3 * 366 * DAY;

/// Checks a request against the rules every caller (CLI, API, dashboard)
/// shares: an expiry in the future but within three years, a named
/// approver, a real justification. Returns the expiry time.
pub fn check_accept(req: &AcceptRequest, now: i64) -> std::result::Result<i64, AcceptProblem> {
    let bad = |field, message: String| AcceptProblem { field, message };
    let expires_at = ctem_model::parse_date(req.expires.trim()).ok_or_else(|| {
        bad(
            AcceptField::Expires,
            format!("`{}` is not a date: give YYYY-MM-DD", req.expires),
        )
    })?;
    if expires_at <= now {
        return Err(bad(
            AcceptField::Expires,
            format!(
                "{} is not in the future: an acceptance must end",
                req.expires.trim()
            ),
        ));
    }
    if expires_at > now + MAX_ACCEPTANCE {
        return Err(bad(
            AcceptField::Expires,
            format!(
                "{} is more than three years away: accept for a reviewable period",
                req.expires.trim()
            ),
        ));
    }
    if req.approver.trim().is_empty() {
        return Err(bad(
            AcceptField::Approver,
            "must name the person who accepts the risk".into(),
        ));
    }
    if req.justification.trim().chars().count() < 10 {
        return Err(bad(
            AcceptField::Justification,
            "must say why the risk is accepted (at least 10 characters)".into(),
        ));
    }
    Ok(expires_at)
}

/// Records a risk acceptance after checking it ([`check_accept`]): the
/// exposure leaves the queue until the acceptance expires or is revoked.
/// Returns the acceptance id and the exposure id.
pub fn accept(store: &mut Store, req: &AcceptRequest, actor: &str) -> Result<(i64, String)> {
    let now = ctem_model::now();
    let expires_at = check_accept(req, now)
        .map_err(|p| Error::invalid(format!("--{} {}", p.field.as_str(), p.message)))?;
    let row = store
        .exposure(&req.exposure)?
        .ok_or_else(|| Error::invalid(format!("no exposure matches `{}`", req.exposure)))?;
    let a = RiskAcceptance {
        exposure_id: row.exposure.id.clone(),
        approver: req.approver.trim().to_string(),
        justification: req.justification.trim().to_string(),
        control: req
            .control
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        expires_at,
        created_at: now,
    };
    let id = store.accept_risk(&a, actor).map_err(|e| match e {
        // The exposure is not open (already accepted, resolved).
        ctem_store::StoreError::Other(m) => Error::invalid(m),
        e => Error::from(e),
    })?;
    Ok((id, a.exposure_id))
}

/// An acceptance as listed, with its state now.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptanceView {
    #[serde(flatten)]
    pub row: AcceptanceRow,
    pub state: &'static str,
    pub expires: String,
    pub asset: Option<String>,
    pub weakness: Option<String>,
}

/// Every acceptance with its state and exposure.
pub fn acceptances(store: &Store) -> Result<Vec<AcceptanceView>> {
    let now = ctem_model::now();
    let mut out = Vec::new();
    for row in store.acceptances()? {
        let e = store.exposure(&row.acceptance.exposure_id)?;
        out.push(AcceptanceView {
            state: row.state(now),
            expires: fmt_date(row.acceptance.expires_at),
            asset: e.as_ref().map(|e| e.asset.name.clone()),
            weakness: e.as_ref().map(|e| e.exposure.weakness.id.clone()),
            row,
        });
    }
    Ok(out)
}

/// The escalation levels of a scope (or ctem's defaults).
pub fn escalation_levels(scope: &Scope) -> Vec<EscalationLevel> {
    if scope.escalation.is_empty() {
        return ageing::default_levels();
    }
    scope
        .escalation
        .iter()
        .map(|e| EscalationLevel {
            level: e.level,
            name: e.name.clone(),
            after_days: e.after_days,
            notify: e
                .notify
                .iter()
                .map(|n| match scope.owners.get(n) {
                    Some(o) => match &o.email {
                        Some(m) => format!("{} <{m}>", o.name),
                        None => o.name.clone(),
                    },
                    None => n.clone(),
                })
                .collect(),
        })
        .collect()
}

/// A remediation action with everything mobilisation adds to it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    #[serde(flatten)]
    pub action: ctem_mobilise::RemediationAction,
    pub due_date: Option<String>,
    pub ageing: Option<Ageing>,
    /// The newest scan that showed any of its exposures.
    pub last_seen: i64,
    pub service: Option<String>,
    /// Per exposure: (id, asset, weakness, validation, path).
    pub details: Vec<(String, String, String, String, Option<String>)>,
}

/// Every remediation action of in-scope P1–P3 exposures, most urgent first,
/// with ageing and escalation.
pub fn actions(store: &Store, scope: &Scope) -> Result<Vec<ActionView>> {
    let now = ctem_model::now();
    let levels = escalation_levels(scope);
    let decisions = store.decisions()?;
    let rows: HashMap<String, ctem_store::ExposureRow> = store
        .exposures(true)?
        .into_iter()
        .map(|r| (r.exposure.id.clone(), r))
        .collect();
    let mut inputs = Vec::new();
    let mut by_id: HashMap<&str, (&ctem_model::Decision, &ctem_store::ExposureRow)> =
        HashMap::new();
    for d in &decisions {
        let Some(r) = rows.get(&d.exposure_id) else {
            continue;
        };
        if d.in_scope && d.tier <= Tier::P3 {
            by_id.insert(&d.exposure_id, (d, r));
            inputs.push(ctem_mobilise::ActionInput {
                exposure_id: &d.exposure_id,
                asset: &r.asset.name,
                weakness_id: &r.exposure.weakness.id,
                weakness_kind: r.exposure.weakness.kind,
                title: &r.exposure.title,
                component: r.exposure.component.as_ref(),
                tier: d.tier,
                owner: d.owner.as_deref(),
                due: d.due,
            });
        }
    }
    Ok(ctem_mobilise::group_actions(&inputs)
        .into_iter()
        .map(|a| {
            let mut last_seen = 0;
            let mut service = None;
            let details = a
                .exposures
                .iter()
                .filter_map(|id| by_id.get(id.as_str()))
                .map(|(d, r)| {
                    last_seen = last_seen.max(r.exposure.last_seen);
                    if service.is_none() {
                        service = d.service_id.clone();
                    }
                    (
                        d.exposure_id.clone(),
                        r.asset.name.clone(),
                        r.exposure.weakness.id.clone(),
                        d.validation.as_str().to_string(),
                        d.factors
                            .iter()
                            .find(|f| f.name == "reachable")
                            .and_then(|f| f.value.strip_prefix("yes: "))
                            .map(str::to_string),
                    )
                })
                .collect();
            ActionView {
                due_date: a.due.map(fmt_date),
                ageing: a.due.map(|d| ageing::ageing(&levels, d, now)),
                last_seen,
                service,
                details,
                action: a,
            }
        })
        .collect())
}

/// The ticket ctem wants for an action.
pub fn ticket_spec(a: &ActionView, scope: &Scope) -> TicketSpec {
    use std::fmt::Write;
    let n = a.action.exposures.len();
    let title = format!(
        "[ctem {}] {} ({} exposure{} on {} asset{})",
        a.action.tier,
        a.action.title,
        n,
        if n == 1 { "" } else { "s" },
        a.action.assets.len(),
        if a.action.assets.len() == 1 { "" } else { "s" }
    );
    let mut b = String::new();
    let _ = writeln!(b, "Remediation action {} from ctem.", a.action.id);
    let _ = writeln!(b);
    let _ = writeln!(b, "Fix: {}", a.action.title);
    let _ = writeln!(b, "Tier: {}", a.action.tier);
    if let Some(s) = &a.service {
        let name = scope
            .service(s)
            .map(|x| x.service.name.clone())
            .unwrap_or_else(|| s.clone());
        let _ = writeln!(b, "Service: {name}");
    }
    let _ = writeln!(
        b,
        "Owner: {}",
        a.action.owner.as_deref().unwrap_or("unassigned")
    );
    if let Some(d) = &a.due_date {
        let _ = writeln!(b, "Due: {d} (from the SLA of the most urgent exposure)");
    }
    let _ = writeln!(b);
    let _ = writeln!(b, "Exposures ({n}):");
    for (id, asset, weakness, validation, path) in a.details.iter().take(50) {
        let _ = write!(
            b,
            "- {weakness} on {asset} [{}] validation: {validation}",
            &id[..12.min(id.len())]
        );
        if let Some(p) = path {
            let _ = write!(b, "; reachable: {p}");
        }
        let _ = writeln!(b);
    }
    if a.details.len() > 50 {
        let _ = writeln!(
            b,
            "- … and {} more (ctem mobilise --output json)",
            a.details.len() - 50
        );
    }
    let _ = writeln!(b);
    let _ = writeln!(
        b,
        "Managed by ctem: closing this ticket marks the fix as pending; the next scan verifies it, and ctem reopens the ticket if the exposures are still seen."
    );
    TicketSpec {
        action_id: a.action.id.clone(),
        title,
        body: b,
        tier: a.action.tier,
        owner: a.action.owner.clone(),
        due: a.due_date.clone(),
        exposures: a.action.exposures.clone(),
        assets: a.action.assets.clone(),
        last_seen: a.last_seen,
    }
}

fn known_of(t: TicketRow) -> Known {
    Known {
        action_id: t.action_id,
        tracker: t.tracker,
        key: t.key,
        url: t.url,
        title: t.title,
        status: t.status,
        closed: t.closed,
        content_hash: t.content_hash,
        remote_closed_at: t.remote_closed_at,
        closed_by_ctem: t.closed_by_ctem,
        updated_at: t.updated_at,
    }
}

fn row_of(k: &Known) -> TicketRow {
    TicketRow {
        action_id: k.action_id.clone(),
        tracker: k.tracker.clone(),
        key: k.key.clone(),
        url: k.url.clone(),
        title: k.title.clone(),
        status: k.status.clone(),
        closed: k.closed,
        content_hash: k.content_hash.clone(),
        remote_closed_at: k.remote_closed_at,
        closed_by_ctem: k.closed_by_ctem,
        updated_at: k.updated_at,
    }
}

/// The trackers configured in a scope file.
pub fn trackers(scope_file: &Path) -> Result<Vec<ctem_ticket::TrackerConfig>> {
    let text = std::fs::read_to_string(scope_file)
        .map_err(|e| Error::failure(format!("{}: {e}", scope_file.display())))?;
    ctem_ticket::parse_trackers(&text, &scope_file.display().to_string()).map_err(Error::invalid)
}

/// What one tracker's sync did, and what it changed in ctem.
#[derive(Debug, Clone, Serialize)]
pub struct TrackerSync {
    #[serde(flatten)]
    pub report: SyncReport,
    /// Exposures marked fix-pending because their ticket was closed.
    pub fix_pending: usize,
    /// Exposures reopened because a scan after the closure still saw them.
    pub reopened: usize,
    /// Set when the tracker could not be used at all (credentials, config).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Syncs every configured tracker (or only `only`). Credentials come from
/// the environment (`CTEM_<NAME>_TOKEN`, `CTEM_<NAME>_USER`) or the secrets
/// file.
pub fn sync_tickets(
    store: &mut Store,
    scope: &Scope,
    configs: &[ctem_ticket::TrackerConfig],
    secrets_file: &Path,
    only: Option<&str>,
    http: Http,
    actor: &str,
) -> Result<Vec<TrackerSync>> {
    if let Some(o) = only
        && !configs.iter().any(|c| c.name == o)
    {
        return Err(Error::invalid(format!(
            "no [[trackers]] entry is named `{o}` in ctem.toml"
        )));
    }
    let views = actions(store, scope)?;
    let specs: Vec<TicketSpec> = views.iter().map(|a| ticket_spec(a, scope)).collect();
    let mut out = Vec::new();
    for cfg in configs.iter().filter(|c| only.is_none_or(|o| o == c.name)) {
        let empty = |error: String| TrackerSync {
            report: SyncReport {
                tracker: cfg.name.clone(),
                items: Vec::new(),
            },
            fix_pending: 0,
            reopened: 0,
            error: Some(error),
        };
        let creds = match Credentials::resolve(cfg, &|k| std::env::var(k).ok(), Some(secrets_file))
        {
            Ok(c) => c,
            Err(e) => {
                out.push(empty(e.to_string()));
                continue;
            }
        };
        let tracker = match ctem_ticket::connect(cfg, creds, http) {
            Ok(t) => t,
            Err(e) => {
                out.push(empty(e.to_string()));
                continue;
            }
        };
        let min = cfg.min_tier();
        let desired: Vec<TicketSpec> = specs.iter().filter(|s| s.tier <= min).cloned().collect();
        let known: Vec<Known> = store
            .tickets(Some(&cfg.name))?
            .into_iter()
            .map(known_of)
            .collect();
        let now = ctem_model::now();
        let report = {
            let mut save = |k: &Known| -> std::result::Result<(), String> {
                let op = if k.closed_by_ctem {
                    "closed"
                } else if k.closed {
                    "closed_remotely"
                } else {
                    "open"
                };
                store
                    .save_ticket(&row_of(k), op, actor)
                    .map_err(|e| e.to_string())
            };
            ctem_ticket::sync(tracker.as_ref(), &desired, &known, now, &mut save)
                .map_err(Error::failure)?
        };
        let exposures_of = |id: &str| -> Vec<String> {
            desired
                .iter()
                .find(|s| s.action_id == id)
                .map(|s| s.exposures.clone())
                .unwrap_or_default()
        };
        let (mut fix_pending, mut reopened) = (0, 0);
        for item in &report.items {
            let key = item.key.clone().unwrap_or_default();
            match item.op {
                Op::ClosedRemotely => {
                    fix_pending += store.set_exposure_status(
                        &exposures_of(&item.action_id),
                        ExposureStatus::FixPending,
                        &format!(
                            "{} ticket {key} closed: fix claimed, awaiting a rescan",
                            cfg.name
                        ),
                        now,
                        actor,
                    )?;
                }
                Op::Reopened => {
                    reopened += store.set_exposure_status(
                        &exposures_of(&item.action_id),
                        ExposureStatus::Open,
                        &format!("{} ticket {key} reopened: a scan after its closure still shows the exposure", cfg.name),
                        now,
                        actor,
                    )?;
                }
                _ => {}
            }
        }
        out.push(TrackerSync {
            report,
            fix_pending,
            reopened,
            error: None,
        });
    }
    Ok(out)
}

/// The life of every exposure, as the KPIs need it.
pub fn lives(store: &Store, scope: &Scope) -> Result<Vec<Life>> {
    let assets: HashMap<String, ctem_model::Asset> = store
        .assets()?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    Ok(store
        .exposure_history()?
        .into_iter()
        .map(|h| {
            let svc = assets
                .get(&h.asset_id)
                .and_then(|a| scope.services_for(&a.identity).into_iter().next())
                .map(|s| (s.service.id.clone(), s.service.crown_jewel));
            Life {
                emerged: h.kev_date_added.map(|k| k.max(h.asset_first_seen)),
                service: h
                    .service_id
                    .clone()
                    .or_else(|| svc.as_ref().map(|s| s.0.clone())),
                crown_jewel: svc.is_some_and(|s| s.1),
                first_seen: h.first_seen,
                tiers: h.tiers,
                validations: h.validations,
                resolved_at: h.resolved_at,
                active: matches!(h.status.as_str(), "open" | "fix_pending"),
                id: h.exposure_id,
            }
        })
        .collect())
}

/// KPIs now, overall and per service, and the overall KPIs at the end of
/// each of the last four quarters (the trend).
#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    pub generated_at: String,
    pub overall: Kpis,
    pub services: Vec<Kpis>,
    pub trend: Vec<(String, Kpis)>,
}

/// Computes the KPI report from the store's history.
pub fn kpis(store: &Store, scope: &Scope) -> Result<KpiReport> {
    let now = ctem_model::now();
    let lives = lives(store, scope)?;
    let (overall, services) = kpi::compute_all(&lives, now);
    let trend = kpi::trend(&lives, now, 4);
    Ok(KpiReport {
        generated_at: ctem_model::fmt_time(now),
        overall,
        services,
        trend,
    })
}
