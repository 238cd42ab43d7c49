//! The REST API under `/api/v1`, described by `openapi.json` (OpenAPI 3.1,
//! served at `/api/v1/openapi.json`; a test checks that every route is
//! documented and every documented path is routed).
//!
//! Lists are paginated by keyset: each page returns `next`, passed back as
//! `after`. Callers authenticate with `Authorization: Bearer <token>` or the
//! dashboard's session cookie (then state changes need `X-CSRF-Token`).

use crate::auth::{ApiUser, Principal, Role};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ctem_model::{RiskAcceptance, fmt_date};
use ctem_store::{ExposureQuery, ExposureSort};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The OpenAPI 3.1 document.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every API route as `(method, path)`, in the document's path syntax.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/funnel"),
    ("get", "/api/v1/kpis"),
    ("get", "/api/v1/exposures"),
    ("get", "/api/v1/exposures/{id}"),
    ("get", "/api/v1/exposures/{id}/risk-acceptances"),
    ("post", "/api/v1/exposures/{id}/risk-acceptances"),
    ("get", "/api/v1/risk-acceptances"),
    ("get", "/api/v1/services"),
    ("get", "/api/v1/services/{id}"),
    ("get", "/api/v1/sla"),
    ("get", "/api/v1/actions"),
    ("get", "/api/v1/imports"),
    ("post", "/api/v1/imports"),
    ("get", "/api/v1/runs"),
    ("post", "/api/v1/runs"),
    ("get", "/api/v1/evidence"),
    ("get", "/api/v1/tokens"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/funnel", get(funnel))
        .route("/api/v1/kpis", get(kpis))
        .route("/api/v1/exposures", get(exposures))
        .route("/api/v1/exposures/{id}", get(exposure))
        .route(
            "/api/v1/exposures/{id}/risk-acceptances",
            get(exposure_acceptances).post(accept_risk),
        )
        .route("/api/v1/risk-acceptances", get(acceptances))
        .route("/api/v1/services", get(services))
        .route("/api/v1/services/{id}", get(service))
        .route("/api/v1/sla", get(sla))
        .route("/api/v1/actions", get(actions))
        .route("/api/v1/imports", get(imports).post(upload))
        .route("/api/v1/runs", get(runs).post(start_run))
        .route("/api/v1/evidence", get(evidence))
        .route("/api/v1/tokens", get(tokens))
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the store answers and its schema is current.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match state.db(|s| Ok(s.schema_version()?)).await {
        Ok(v) if v >= ctem_store::SCHEMA_VERSION => {
            Json(json!({"status": "ready"})).into_response()
        }
        Ok(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "schema out of date"})),
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "store unavailable"})),
        )
            .into_response(),
    }
}

async fn me(ApiUser(p): ApiUser) -> Json<Value> {
    Json(json!({
        "name": p.name,
        "role": p.role,
        "services": p.services,
        "csrf_token": match &p.via { crate::auth::Via::Session { csrf, .. } => Some(csrf.clone()), _ => None },
    }))
}

fn stage_json(stages: [i64; 5]) -> Vec<Value> {
    ctem_engine::STAGES
        .iter()
        .zip(stages)
        .map(|((s, l), n)| json!({"stage": s, "label": l, "count": n}))
        .collect()
}

async fn funnel(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let o = state.overview().await?;
    let filter = p.service_filter();
    let t = o.total(filter.as_deref());
    let scope = state.scope();
    let services: Vec<Value> = o
        .counts
        .iter()
        .filter(|c| p.sees(c.service_id.as_deref()) && c.service_id.is_some())
        .map(|c| {
            let name = c
                .service_id
                .as_deref()
                .and_then(|s| scope.service(s))
                .map(|s| s.service.name.clone());
            json!({"service": c.service_id, "name": name, "funnel": stage_json(c.stages)})
        })
        .collect();
    Ok(Json(json!({
        "computed_at": ctem_model::fmt_time(o.computed_at),
        "funnel": stage_json(t.stages),
        "services": services,
    })))
}

async fn kpis(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let o = state.overview().await?;
    let t = o.total(p.service_filter().as_deref());
    let total: i64 = t.tiers.iter().sum();
    Ok(Json(json!({
        "computed_at": ctem_model::fmt_time(o.computed_at),
        "open_exposures": total,
        "tiers": {"P1": t.tiers[0], "P2": t.tiers[1], "P3": t.tiers[2], "P4": t.tiers[3]},
        "validated_exploitable": t.stages[4],
        "overdue": t.overdue,
        "due_within_7_days": t.due_7d,
        "sla_compliance": if total > 0 { Some(1.0 - t.overdue as f64 / total as f64) } else { None },
    })))
}

/// Query of `GET /api/v1/exposures`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub tier: Option<String>,
    pub service: Option<String>,
    pub validation: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
    pub limit: Option<usize>,
    pub overdue: Option<bool>,
}

fn none_if_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Turns a list query into a store query limited to what `p` may see.
pub fn store_query(p: &Principal, q: &ListQuery) -> Result<ExposureQuery, ApiError> {
    let tier = none_if_empty(&q.tier)
        .map(|t| {
            ctem_model::Tier::parse(&t)
                .map(|t| t.as_str().to_string())
                .ok_or_else(|| {
                    ApiError::bad_request(format!("unknown tier `{t}`: use P1, P2, P3 or P4"))
                })
        })
        .transpose()?;
    let validation = none_if_empty(&q.validation)
        .map(|v| {
            ctem_model::ValidationState::parse(&v)
                .map(|v| v.as_str().to_string())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "unknown validation `{v}`: use not_validated, exploitable, not_exploitable or blocked_by_control"
                    ))
                })
        })
        .transpose()?;
    let sort = match none_if_empty(&q.sort).as_deref() {
        None | Some("priority") => ExposureSort::Priority,
        Some("due") => ExposureSort::Due,
        Some(o) => {
            return Err(ApiError::bad_request(format!(
                "unknown sort `{o}`: use priority or due"
            )));
        }
    };
    Ok(ExposureQuery {
        tier,
        services: p.service_filter(),
        service: none_if_empty(&q.service),
        validation,
        status: none_if_empty(&q.status),
        text: none_if_empty(&q.q),
        due_before: q.overdue.unwrap_or(false).then(ctem_model::now),
        sort,
        after: none_if_empty(&q.after),
        limit: q.limit.unwrap_or(50).clamp(1, 500),
    })
}

/// One list row as the API shows it: the store's row with the due date
/// written as a date. Serialised straight to the response body (no
/// intermediate `serde_json::Value` per row).
#[derive(Serialize)]
struct ListRowJson<'a> {
    id: &'a str,
    tier: &'a str,
    score: f64,
    weakness: &'a str,
    title: &'a str,
    asset: &'a str,
    service_id: Option<&'a str>,
    owner: Option<&'a str>,
    due: Option<String>,
    validation: &'a str,
    status: &'a str,
    reachable: bool,
    exploitable_intel: bool,
}

/// A page of the exposure list as the API shows it.
pub struct ListJson(pub ctem_store::ExposurePage);

impl Serialize for ListJson {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Rows<'a>(&'a [ctem_store::ExposureListRow]);
        impl Serialize for Rows<'_> {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.collect_seq(self.0.iter().map(|r| ListRowJson {
                    id: &r.id,
                    tier: &r.tier,
                    score: r.score,
                    weakness: &r.weakness,
                    title: &r.title,
                    asset: &r.asset,
                    service_id: r.service_id.as_deref(),
                    owner: r.owner.as_deref(),
                    due: r.due.map(fmt_date),
                    validation: &r.validation,
                    status: &r.status,
                    reachable: r.reachable,
                    exploitable_intel: r.exploitable_intel,
                }))
            }
        }
        let mut st = ser.serialize_struct("ExposureList", 2)?;
        st.serialize_field("exposures", &Rows(&self.0.rows))?;
        st.serialize_field("next", &self.0.next)?;
        st.end()
    }
}

fn list_json(page: ctem_store::ExposurePage) -> ListJson {
    ListJson(page)
}

async fn exposures(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListJson>, ApiError> {
    let sq = store_query(&p, &q)?;
    let page = state.db(move |s| Ok(s.exposure_page(&sq)?)).await?;
    Ok(Json(list_json(page)))
}

/// One hop of an attack path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub zone: String,
    pub asset: Option<String>,
    pub weakness: Option<String>,
}

/// Parses the engine's path description
/// (`internet → dmz: web-01 (CVE-…) → app: db-01`) into hops.
pub fn parse_path(s: &str) -> Vec<Hop> {
    s.split(" → ")
        .map(|part| match part.split_once(": ") {
            Some((zone, rest)) => {
                let (asset, weakness) = match rest.rsplit_once(" (") {
                    Some((a, w)) if w.ends_with(')') => {
                        (a.to_string(), Some(w.trim_end_matches(')').to_string()))
                    }
                    _ => (rest.to_string(), None),
                };
                Hop {
                    zone: zone.to_string(),
                    asset: Some(asset),
                    weakness,
                }
            }
            None => Hop {
                zone: part.to_string(),
                asset: None,
                weakness: None,
            },
        })
        .collect()
}

/// An exposure with everything its page shows, if `p` may see it.
pub struct Detail {
    pub row: ctem_store::ExposureRow,
    pub decision: Option<ctem_model::Decision>,
    pub acceptances: Vec<ctem_store::AcceptanceRecord>,
    pub path: Vec<Hop>,
}

/// Loads an exposure for `p`; another service's exposure is "not found".
pub async fn load_detail(state: &AppState, p: &Principal, id: &str) -> Result<Detail, ApiError> {
    let id2 = id.to_string();
    let (row, decision, acceptances) = state
        .db(move |s| {
            let Some((row, d)) = s.exposure_detail(&id2)? else {
                return Ok(None);
            };
            let a = s.risk_acceptances(Some(&row.exposure.id), 50)?;
            Ok(Some((row, d, a)))
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no exposure `{id}`")))?;
    let service = decision.as_ref().and_then(|d| d.service_id.clone());
    if p.role == Role::ServiceOwner && (decision.is_none() || !p.sees(service.as_deref())) {
        return Err(ApiError::not_found(format!("no exposure `{id}`")));
    }
    let path = decision
        .as_ref()
        .and_then(|d| d.factors.iter().find(|f| f.name == "reachable"))
        .and_then(|f| f.value.strip_prefix("yes: "))
        .map(parse_path)
        .unwrap_or_default();
    Ok(Detail {
        row,
        decision,
        acceptances,
        path,
    })
}

async fn exposure(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ExposureJson>, ApiError> {
    let d = load_detail(&state, &p, &id).await?;
    Ok(Json(ExposureJson(d)))
}

/// An exposure as the API shows it, serialised straight from the loaded
/// detail (no intermediate `serde_json::Value`).
pub struct ExposureJson(Detail);

impl Serialize for ExposureJson {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let d = &self.0;
        let mut st = ser.serialize_struct("Exposure", 6)?;
        st.serialize_field("exposure", &d.row.exposure)?;
        st.serialize_field("asset", &d.row.asset)?;
        st.serialize_field("decision", &d.decision)?;
        st.serialize_field(
            "due",
            &d.decision.as_ref().and_then(|x| x.due).map(fmt_date),
        )?;
        st.serialize_field("attack_path", &d.path)?;
        st.serialize_field("risk_acceptances", &d.acceptances)?;
        st.end()
    }
}

async fn exposure_acceptances(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = load_detail(&state, &p, &id).await?;
    Ok(Json(json!({"risk_acceptances": d.acceptances})))
}

/// Body of a risk acceptance.
#[derive(Debug, Deserialize)]
pub struct AcceptBody {
    pub justification: String,
    /// Days until the acceptance expires (1–365).
    pub days: Option<i64>,
    /// The compensating control relied on, if any.
    pub control: Option<String>,
}

/// Records a risk acceptance for `p`, with the same checks from the API and
/// the dashboard.
pub async fn do_accept(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: AcceptBody,
) -> Result<ctem_store::AcceptanceRecord, ApiError> {
    let d = load_detail(state, p, id).await?;
    let service = d.decision.as_ref().and_then(|x| x.service_id.clone());
    if !p.can_accept_risk(service.as_deref()) {
        return Err(ApiError::forbidden("accept risk"));
    }
    let justification = body.justification.trim().to_string();
    if justification.len() < 10 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "justification: say why the risk is accepted (at least 10 characters)",
        ));
    }
    let days = body.days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("days: {days} is out of range: an acceptance lasts 1 to 365 days"),
        ));
    }
    let now = ctem_model::now();
    let a = RiskAcceptance {
        exposure_id: d.row.exposure.id.clone(),
        approver: p.actor.clone(),
        justification,
        control: body
            .control
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty()),
        expires_at: now + days * ctem_model::DAY,
        created_at: now,
    };
    let actor = p.actor.clone();
    let a2 = a.clone();
    let id = state
        .db(move |s| Ok(s.add_risk_acceptance(&a2, &actor)?))
        .await?;
    state.invalidate().await;
    Ok(ctem_store::AcceptanceRecord { id, acceptance: a })
}

async fn accept_risk(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
    Json(body): Json<AcceptBody>,
) -> Result<Response, ApiError> {
    let rec = do_accept(&state, &p, &id, body).await?;
    Ok((StatusCode::CREATED, Json(rec)).into_response())
}

async fn acceptances(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let filter = p.service_filter();
    let list = state
        .db(move |s| {
            let all = s.risk_acceptances(None, 500)?;
            let Some(svcs) = filter else { return Ok(all) };
            // A service owner sees the acceptances of their services only.
            let mut out = Vec::new();
            for a in all {
                if let Some(Some(svc)) = s.exposure_service(&a.acceptance.exposure_id)?
                    && svcs.contains(&svc)
                {
                    out.push(a);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(json!({"risk_acceptances": list})))
}

fn service_json(state: &AppState, o: &crate::state::Overview, id: &str) -> Option<Value> {
    let scope = state.scope();
    let s = scope.service(id)?;
    let c = o
        .counts
        .iter()
        .find(|c| c.service_id.as_deref() == Some(id))
        .cloned()
        .unwrap_or_default();
    Some(json!({
        "id": s.service.id,
        "name": s.service.name,
        "crown_jewel": s.service.crown_jewel,
        "criticality": s.service.criticality,
        "owner": s.owner.name,
        "owner_email": s.owner.email,
        "funnel": stage_json(c.stages),
        "tiers": {"P1": c.tiers[0], "P2": c.tiers[1], "P3": c.tiers[2], "P4": c.tiers[3]},
        "overdue": c.overdue,
        "due_within_7_days": c.due_7d,
    }))
}

async fn services(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let o = state.overview().await?;
    let scope = state.scope();
    let list: Vec<Value> = scope
        .services
        .iter()
        .filter(|s| p.sees(Some(&s.service.id)))
        .filter_map(|s| service_json(&state, &o, &s.service.id))
        .collect();
    Ok(Json(json!({"services": list})))
}

async fn service(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !p.sees(Some(&id)) {
        return Err(ApiError::not_found(format!("no service `{id}`")));
    }
    let o = state.overview().await?;
    service_json(&state, &o, &id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no service `{id}`")))
}

async fn sla(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let o = state.overview().await?;
    let t = o.total(p.service_filter().as_deref());
    let mut sq = store_query(&p, &q)?;
    sq.sort = ExposureSort::Due;
    let page = state.db(move |s| Ok(s.exposure_page(&sq)?)).await?;
    Ok(Json(json!({
        "now": fmt_date(ctem_model::now()),
        "overdue": t.overdue,
        "due_within_7_days": t.due_7d,
        "by_due_date": list_json(page),
    })))
}

async fn actions(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let r = state.report().await?;
    let scope = state.scope();
    // A service owner sees the actions owned by their services' owners.
    let owners: Option<Vec<String>> = p.service_filter().map(|svcs| {
        svcs.iter()
            .filter_map(|s| scope.service(s))
            .map(|s| s.owner.name.clone())
            .collect()
    });
    let list: Vec<&ctem_report::Action> = r
        .actions
        .iter()
        .filter(|a| match &owners {
            None => true,
            Some(o) => a
                .owner
                .as_deref()
                .is_some_and(|x| o.iter().any(|n| x.starts_with(n.as_str()))),
        })
        .collect();
    Ok(Json(
        json!({"actions": list, "generated_at": r.generated_at}),
    ))
}

async fn imports(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    if p.role == Role::ServiceOwner {
        return Err(ApiError::forbidden("list imports"));
    }
    let list = state.db(|s| Ok(s.imports()?)).await?;
    Ok(Json(
        json!({"imports": list.into_iter().take(500).collect::<Vec<_>>()}),
    ))
}

/// Query of `POST /api/v1/imports`.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// The report's file name (kept in the import record).
    pub filename: Option<String>,
    /// Re-prioritise after the import (default true).
    pub prioritise: Option<bool>,
}

fn safe_name(s: &str) -> String {
    let base = s.rsplit(['/', '\\']).next().unwrap_or("");
    let mut n: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    n = n.trim_start_matches('.').to_string();
    if n.is_empty() { "report".into() } else { n }
}

/// `POST /api/v1/imports`: the body (any supported format, detected from its
/// content) is streamed to `uploads/` in the workspace, then imported in one
/// transaction like `ctem ingest`. A malformed report changes nothing (422)
/// and its file is removed; an imported one is kept as evidence.
async fn upload(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    use http_body_util::BodyExt;
    use tokio::io::AsyncWriteExt;
    if !p.can_import() {
        return Err(ApiError::forbidden("import reports"));
    }
    let dir = state.ws.dir.join("uploads");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    let stamp = ctem_model::fmt_time(ctem_model::now()).replace([':', '-'], "");
    let rand = crate::auth::random_hex(4).map_err(ApiError::internal)?;
    let name = format!(
        "{stamp}-{rand}-{}",
        safe_name(q.filename.as_deref().unwrap_or("report"))
    );
    let final_path = dir.join(&name);
    let part = dir.join(format!(".{name}.part"));
    let mut f = tokio::fs::File::create(&part)
        .await
        .map_err(ApiError::internal)?;
    let mut body = body;
    let mut total: u64 = 0;
    let max = state.config.max_upload_bytes;
    let res: Result<(), ApiError> = async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?;
            if let Ok(data) = frame.into_data() {
                total += data.len() as u64;
                if total > max {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("the report is larger than the server's limit of {max} bytes (--max-upload-mb)"),
                    ));
                }
                f.write_all(&data).await.map_err(ApiError::internal)?;
            }
        }
        f.flush().await.map_err(ApiError::internal)?;
        if total == 0 {
            return Err(ApiError::bad_request("the request body is empty: send the report file as the body"));
        }
        Ok(())
    }
    .await;
    drop(f);
    if let Err(e) = res {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(e);
    }
    tokio::fs::rename(&part, &final_path)
        .await
        .map_err(ApiError::internal)?;
    let actor = p.actor.clone();
    let path = final_path.clone();
    let prioritise = q.prioritise.unwrap_or(true);
    let scope = state.scope();
    let result = state
        .db(move |s| {
            let r = ctem_engine::ingest_file(s, &path, &actor, ctem_engine::Progress::None)?;
            let pr = if prioritise {
                Some(ctem_engine::prioritise(s, &scope, &actor)?)
            } else {
                None
            };
            Ok((r, pr))
        })
        .await;
    match result {
        Ok((r, pr)) => {
            state.metrics.imports.fetch_add(1, Ordering::Relaxed);
            state.invalidate().await;
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "import": r,
                    "prioritised": pr.map(|p| json!({"exposures": p.exposures, "tiers": p.tiers, "changes": p.changes.len()})),
                })),
            )
                .into_response())
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&final_path).await;
            Err(e)
        }
    }
}

async fn runs(
    State(state): State<Arc<AppState>>,
    ApiUser(_p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let list = state.db(|s| Ok(s.cycles()?)).await?;
    let list: Vec<Value> = list
        .into_iter()
        .take(200)
        .map(|c| {
            json!({
                "id": c.id,
                "started_at": ctem_model::fmt_time(c.started_at),
                "finished_at": ctem_model::fmt_time(c.finished_at),
                "seconds": c.finished_at - c.started_at,
                "summary": c.summary,
            })
        })
        .collect();
    Ok(Json(json!({"runs": list})))
}

async fn start_run(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Response, ApiError> {
    if !p.can_run() {
        return Err(ApiError::forbidden("start runs"));
    }
    let r = crate::schedule::run(&state, "api", &p.actor)
        .await
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, e))?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// The evidence bundle: the report data, the audit log's verification and
/// head, imports, runs and risk acceptances, with when it was produced.
pub async fn evidence_bundle(state: &AppState, p: &Principal) -> Result<Value, ApiError> {
    if !p.can_export_evidence() {
        return Err(ApiError::forbidden("export evidence"));
    }
    let report = state.report().await?;
    let (verify, digest, imports, cycles, acc) = state
        .db(|s| {
            Ok((
                s.verify_audit()?,
                s.state_digest()?,
                s.imports()?,
                s.cycles()?,
                s.risk_acceptances(None, 10_000)?,
            ))
        })
        .await?;
    Ok(json!({
        "schema_version": "ctem-evidence/1",
        "generated_at": ctem_model::fmt_time(ctem_model::now()),
        "generated_by": p.actor,
        "audit": {"verification": verify, "state": digest},
        "report": *report,
        "imports": imports,
        "runs": cycles,
        "risk_acceptances": acc,
    }))
}

async fn evidence(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Response, ApiError> {
    let v = evidence_bundle(&state, &p).await?;
    let name = format!("ctem-evidence-{}.json", fmt_date(ctem_model::now()));
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        serde_json::to_string_pretty(&v).unwrap_or_default(),
    )
        .into_response())
}

async fn tokens(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    if !p.can_manage_access() {
        return Err(ApiError::forbidden("manage access"));
    }
    let (t, u) = state.db(|s| Ok((s.tokens()?, s.users()?))).await?;
    Ok(Json(json!({"tokens": t, "users": u})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_hops() {
        let h = parse_path("internet → dmz: web-01 (CVE-2024-1) → core: db-01");
        assert_eq!(h.len(), 3);
        assert_eq!(
            h[0],
            Hop {
                zone: "internet".into(),
                asset: None,
                weakness: None
            }
        );
        assert_eq!(h[1].asset.as_deref(), Some("web-01"));
        assert_eq!(h[1].weakness.as_deref(), Some("CVE-2024-1"));
        assert_eq!(h[2].weakness, None);
    }

    #[test]
    fn upload_names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("..."), "report");
        assert_eq!(safe_name("trivy report.json"), "trivy_report.json");
    }
}
