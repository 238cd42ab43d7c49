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
use ctem_model::fmt_date;
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
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("patch", "/api/v1/users/{name}"),
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
        .route("/api/v1/tokens", get(tokens).post(create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/api/v1/users", get(users).post(create_user))
        .route("/api/v1/users/{name}", axum::routing::patch(update_user))
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
    /// The service it belongs to: its decision's, or (when it has none,
    /// e.g. while its risk is accepted) the scope's most critical service
    /// covering its asset, as prioritisation would choose.
    pub service: Option<String>,
    pub acceptances: Vec<ctem_store::AcceptanceRecord>,
    pub path: Vec<Hop>,
}

/// The service of an exposure: its decision's, else the scope's choice for
/// its asset.
pub fn service_of(
    scope: &ctem_scope::Scope,
    decision: Option<&ctem_model::Decision>,
    asset: &ctem_model::Asset,
) -> Option<String> {
    match decision {
        Some(d) => d.service_id.clone(),
        None => scope
            .services_for(&asset.identity)
            .first()
            .map(|s| s.service.id.clone()),
    }
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
    let service = service_of(&state.scope(), decision.as_ref(), &row.asset);
    if !p.sees(service.as_deref()) {
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
        service,
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

/// Body of a risk acceptance: the same rules as `ctem accept`.
#[derive(Debug, Default, Deserialize)]
pub struct AcceptBody {
    /// Why the risk is accepted (at least 10 characters).
    pub justification: Option<String>,
    /// `YYYY-MM-DD`: the acceptance ends at the start of that day (UTC),
    /// in the future and within three years.
    pub expires: Option<String>,
    /// Instead of `expires`: days from now.
    pub days: Option<i64>,
    /// The person who accepts the risk; a signed-in user by default. A
    /// token is not a person, so token callers must name one.
    pub approver: Option<String>,
    /// The compensating control relied on, if any.
    pub control: Option<String>,
}

fn unprocessable(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("{field}: {message}"),
    )
}

/// Turns a body into the engine's request for `p`, checked by the same
/// rules as `ctem accept` ([`ctem_engine::mobilisation::check_accept`]);
/// errors name the field.
pub fn accept_request(
    p: &Principal,
    exposure: &str,
    body: AcceptBody,
    now: i64,
) -> Result<ctem_engine::mobilisation::AcceptRequest, ApiError> {
    let clean = |s: Option<String>| s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    let expires = match (clean(body.expires), body.days) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "expires, days: give one of them, not both",
            ));
        }
        (Some(e), None) => e,
        (None, Some(d)) => {
            let max = ctem_engine::mobilisation::MAX_ACCEPTANCE / ctem_model::DAY;
            if !(1..=max).contains(&d) {
                return Err(unprocessable(
                    "days",
                    format!("{d} is out of range: an acceptance lasts 1 to {max} days"),
                ));
            }
            fmt_date(now + d * ctem_model::DAY)
        }
        (None, None) => {
            return Err(unprocessable(
                "expires",
                "say when the acceptance ends (YYYY-MM-DD, or `days`): an acceptance must end",
            ));
        }
    };
    let approver = match (clean(body.approver), &p.via) {
        (Some(a), _) => a,
        (None, crate::auth::Via::Session { .. }) => p.name.clone(),
        (None, crate::auth::Via::Token) => {
            return Err(unprocessable(
                "approver",
                "name the person who accepts the risk (a token is not a person)",
            ));
        }
    };
    let req = ctem_engine::mobilisation::AcceptRequest {
        exposure: exposure.to_string(),
        approver,
        justification: body.justification.unwrap_or_default(),
        control: clean(body.control),
        expires,
    };
    ctem_engine::mobilisation::check_accept(&req, now)
        .map_err(|pr| unprocessable(pr.field.as_str(), pr.message))?;
    Ok(req)
}

/// Records a risk acceptance for `p` through the engine, like `ctem
/// accept`: the exposure leaves the queue until the acceptance expires
/// (then it reopens with a new SLA) or is revoked. The same checks from the
/// API and the dashboard.
pub async fn do_accept(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: AcceptBody,
) -> Result<ctem_store::AcceptanceRecord, ApiError> {
    let d = load_detail(state, p, id).await?;
    if !p.can_accept_risk(d.service.as_deref()) {
        return Err(ApiError::forbidden("accept risk"));
    }
    let req = accept_request(p, &d.row.exposure.id, body, ctem_model::now())?;
    let actor = p.actor.clone();
    let rec = state
        .db(move |s| {
            let (id, _) = ctem_engine::mobilisation::accept(s, &req, &actor)?;
            let rec = s
                .risk_acceptances(Some(&req.exposure), 50)?
                .into_iter()
                .find(|a| a.id == id);
            Ok(rec)
        })
        .await?
        .ok_or_else(|| ApiError::internal("a recorded acceptance is missing"))?;
    state.invalidate().await;
    Ok(rec)
}

/// A JSON body, with axum's rejections answered as `{"error"}` JSON.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(e) => Err(ApiError::new(e.status(), e.body_text())),
        }
    }
}

async fn accept_risk(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AcceptBody>,
) -> Result<Response, ApiError> {
    let rec = do_accept(&state, &p, &id, body).await?;
    Ok((StatusCode::CREATED, Json(rec)).into_response())
}

/// The risk acceptances `p` may see (a service owner: those of their
/// services), newest first.
pub async fn visible_acceptances(
    state: &AppState,
    p: &Principal,
) -> Result<Vec<ctem_store::AcceptanceRecord>, ApiError> {
    let filter = p.service_filter();
    let scope = state.scope();
    state
        .db(move |s| {
            let all = s.risk_acceptances(None, 500)?;
            let Some(svcs) = filter else { return Ok(all) };
            let mut out = Vec::new();
            for a in all {
                let id = &a.acceptance.exposure_id;
                // Accepted exposures have no decision: ask the scope.
                let svc = match s.exposure_service(id)? {
                    Some(svc) => svc,
                    None => s
                        .exposure(id)?
                        .and_then(|row| service_of(&scope, None, &row.asset)),
                };
                if svc.is_some_and(|x| svcs.contains(&x)) {
                    out.push(a);
                }
            }
            Ok(out)
        })
        .await
}

async fn acceptances(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let list = visible_acceptances(&state, &p).await?;
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

/// An upload being written to `uploads/` in the workspace: a hidden
/// `.part` file until it is complete.
pub struct Upload {
    pub part: std::path::PathBuf,
    pub final_path: std::path::PathBuf,
    pub file: tokio::fs::File,
    pub bytes: u64,
    pub max: u64,
}

impl Upload {
    /// Starts an upload named after the client's file name (made safe).
    pub async fn start(state: &AppState, filename: Option<&str>) -> Result<Upload, ApiError> {
        let dir = state.ws.dir.join("uploads");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(ApiError::internal)?;
        let stamp = ctem_model::fmt_time(ctem_model::now()).replace([':', '-'], "");
        let rand = crate::auth::random_hex(4).map_err(ApiError::internal)?;
        let name = format!("{stamp}-{rand}-{}", safe_name(filename.unwrap_or("report")));
        let final_path = dir.join(&name);
        let part = dir.join(format!(".{name}.part"));
        let file = tokio::fs::File::create(&part)
            .await
            .map_err(ApiError::internal)?;
        Ok(Upload {
            part,
            final_path,
            file,
            bytes: 0,
            max: state.config.max_upload_bytes,
        })
    }

    /// Appends bytes; 413 past the server's limit.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), ApiError> {
        use tokio::io::AsyncWriteExt;
        self.bytes += data.len() as u64;
        if self.bytes > self.max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the report is larger than the server's limit of {} bytes (--max-upload-mb)",
                    self.max
                ),
            ));
        }
        self.file.write_all(data).await.map_err(ApiError::internal)
    }

    /// Removes the partial file (after an error).
    pub async fn discard(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.part).await;
    }

    /// Imports the complete file in one transaction like `ctem ingest`,
    /// then re-prioritises when asked. A malformed report changes nothing
    /// (422) and its file is removed; an imported one is kept as evidence.
    pub async fn import(
        mut self,
        state: &AppState,
        p: &Principal,
        prioritise: bool,
    ) -> Result<Value, ApiError> {
        use tokio::io::AsyncWriteExt;
        if let Err(e) = self.file.flush().await {
            self.discard().await;
            return Err(ApiError::internal(e));
        }
        if self.bytes == 0 {
            self.discard().await;
            return Err(ApiError::bad_request(
                "the report is empty: send the report file",
            ));
        }
        let Upload {
            part,
            final_path,
            file,
            ..
        } = self;
        drop(file);
        tokio::fs::rename(&part, &final_path)
            .await
            .map_err(ApiError::internal)?;
        let actor = p.actor.clone();
        let path = final_path.clone();
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
                Ok(json!({
                    "import": r,
                    "prioritised": pr.map(|p| json!({"exposures": p.exposures, "tiers": p.tiers, "changes": p.changes.len()})),
                }))
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&final_path).await;
                Err(e)
            }
        }
    }
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
    if !p.can_import() {
        return Err(ApiError::forbidden("import reports"));
    }
    let mut up = Upload::start(&state, q.filename.as_deref()).await?;
    let mut body = body;
    let res: Result<(), ApiError> = async {
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?;
            if let Ok(data) = frame.into_data() {
                up.write(&data).await?;
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = res {
        up.discard().await;
        return Err(e);
    }
    if up.bytes == 0 {
        up.discard().await;
        return Err(ApiError::bad_request(
            "the request body is empty: send the report file as the body",
        ));
    }
    let v = up.import(&state, &p, q.prioritise.unwrap_or(true)).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
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

fn admin(p: &Principal) -> Result<(), ApiError> {
    if p.can_manage_access() {
        Ok(())
    } else {
        Err(ApiError::forbidden("manage access"))
    }
}

async fn tokens(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    admin(&p)?;
    let t = state.db(|s| Ok(s.tokens()?)).await?;
    Ok(Json(json!({"tokens": t})))
}

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Default, Deserialize)]
pub struct TokenBody {
    /// Who uses it (e.g. the pipeline).
    pub name: Option<String>,
    pub role: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    /// Days until it expires (default: never).
    pub expires_days: Option<i64>,
}

/// A role and its services, checked like `ctem token create` and `ctem
/// user add`: a service owner owns at least one service of the scope; the
/// other roles own none.
pub fn check_role(
    scope: &ctem_scope::Scope,
    role: Option<&str>,
    services: &[String],
) -> Result<(Role, Vec<String>), ApiError> {
    let role = role.map(str::trim).unwrap_or("");
    let r = Role::parse(role).ok_or_else(|| {
        unprocessable(
            "role",
            format!("unknown role `{role}`: use admin, analyst, service_owner or auditor"),
        )
    })?;
    let services: Vec<String> = services
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if r == Role::ServiceOwner && services.is_empty() {
        return Err(unprocessable(
            "services",
            "a service owner needs at least one service",
        ));
    }
    if r != Role::ServiceOwner && !services.is_empty() {
        return Err(unprocessable(
            "services",
            "services apply to the service_owner role only",
        ));
    }
    for s in &services {
        if scope.service(s).is_none() {
            return Err(unprocessable(
                "services",
                format!("no service `{s}` in the scope"),
            ));
        }
    }
    Ok((r, services))
}

/// A new token, returned once with its value.
pub struct NewToken {
    pub token: String,
    pub record: ctem_store::TokenRecord,
}

/// Creates a token for an admin; its value is returned once and only its
/// SHA-256 is stored.
pub async fn do_create_token(
    state: &AppState,
    p: &Principal,
    body: TokenBody,
) -> Result<NewToken, ApiError> {
    admin(p)?;
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| unprocessable("name", "say who uses the token (e.g. the pipeline)"))?
        .to_string();
    if name.chars().count() > 64 {
        return Err(unprocessable("name", "use at most 64 characters"));
    }
    let (role, services) = check_role(&state.scope(), body.role.as_deref(), &body.services)?;
    let expires_at = match body.expires_days {
        None => None,
        Some(d) if (1..=3660).contains(&d) => Some(ctem_model::now() + d * ctem_model::DAY),
        Some(d) => {
            return Err(unprocessable(
                "expires_days",
                format!(
                    "{d} is out of range: use 1 to 3660 days, or none for a token that does not expire"
                ),
            ));
        }
    };
    let token = crate::auth::new_token().map_err(ApiError::internal)?;
    let digest = crate::auth::sha256_hex(&token);
    let actor = p.actor.clone();
    let record = state
        .db(move |s| {
            let id =
                s.create_token(&digest, &name, role.as_str(), &services, expires_at, &actor)?;
            Ok(s.tokens()?.into_iter().find(|t| t.id == id))
        })
        .await?
        .ok_or_else(|| ApiError::internal("a created token is missing"))?;
    Ok(NewToken { token, record })
}

async fn create_token(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response, ApiError> {
    admin(&p)?;
    let t = do_create_token(&state, &p, body).await?;
    let mut v = serde_json::to_value(&t.record).map_err(ApiError::internal)?;
    v["token"] = json!(t.token);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(v),
    )
        .into_response())
}

/// Revokes a live token for an admin.
pub async fn do_revoke_token(state: &AppState, p: &Principal, id: &str) -> Result<(), ApiError> {
    admin(p)?;
    let n: i64 = id
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request(format!("id: `{id}` is not a token id")))?;
    let actor = p.actor.clone();
    if state.db(move |s| Ok(s.revoke_token(n, &actor)?)).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no live token {n}")))
    }
}

async fn revoke_token(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    do_revoke_token(&state, &p, &id).await?;
    Ok(Json(
        json!({"revoked": true, "id": id.trim().parse::<i64>().unwrap_or_default()}),
    ))
}

async fn users(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
) -> Result<Json<Value>, ApiError> {
    admin(&p)?;
    let u = state.db(|s| Ok(s.users()?)).await?;
    Ok(Json(json!({"users": u})))
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Default, Deserialize)]
pub struct UserBody {
    pub username: Option<String>,
    pub password: Option<String>,
    pub role: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
}

/// The shortest password accepted (as `ctem user add`).
pub const MIN_PASSWORD: usize = 12;

fn check_password(pw: Option<&str>) -> Result<String, ApiError> {
    match pw {
        Some(p) if p.chars().count() >= MIN_PASSWORD => Ok(p.to_string()),
        _ => Err(unprocessable(
            "password",
            format!("use at least {MIN_PASSWORD} characters"),
        )),
    }
}

fn check_username(u: Option<&str>) -> Result<String, ApiError> {
    let u = u.map(str::trim).unwrap_or("");
    if u.is_empty()
        || u.len() > 64
        || !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c))
    {
        return Err(unprocessable(
            "username",
            "use 1-64 letters, digits, `.`, `_`, `@` or `-`",
        ));
    }
    Ok(u.to_string())
}

async fn hash(password: String) -> Result<String, ApiError> {
    // argon2id takes tens of milliseconds: off the async workers.
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Creates a dashboard user for an admin; 409 when the name is taken.
pub async fn do_create_user(
    state: &AppState,
    p: &Principal,
    body: UserBody,
) -> Result<ctem_store::UserRecord, ApiError> {
    admin(p)?;
    let username = check_username(body.username.as_deref())?;
    let (role, services) = check_role(&state.scope(), body.role.as_deref(), &body.services)?;
    let password = check_password(body.password.as_deref())?;
    let phc = hash(password).await?;
    let actor = p.actor.clone();
    let u2 = username.clone();
    state
        .db(
            move |s| match s.create_user(&u2, &phc, role.as_str(), &services, &actor)? {
                Some(_) => Ok(s.user(&u2)?),
                None => Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("username: `{u2}` is taken"),
                )),
            },
        )
        .await?
        .ok_or_else(|| ApiError::internal("a created user is missing"))
}

async fn create_user(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    JsonBody(body): JsonBody<UserBody>,
) -> Result<Response, ApiError> {
    admin(&p)?;
    let u = do_create_user(&state, &p, body).await?;
    Ok((StatusCode::CREATED, Json(u)).into_response())
}

/// Body of `PATCH /api/v1/users/{name}`.
#[derive(Debug, Default, Deserialize)]
pub struct UserChange {
    /// Disable (ends their sessions) or enable the user.
    pub disabled: Option<bool>,
    /// A new password (ends their sessions).
    pub password: Option<String>,
}

/// Disables, enables or resets the password of a user, for an admin.
pub async fn do_update_user(
    state: &AppState,
    p: &Principal,
    name: &str,
    change: UserChange,
) -> Result<ctem_store::UserRecord, ApiError> {
    admin(p)?;
    if change.disabled.is_none() && change.password.is_none() {
        return Err(unprocessable(
            "disabled, password",
            "say what to change: `disabled` (true or false) or a new `password`",
        ));
    }
    if change.disabled == Some(true)
        && matches!(p.via, crate::auth::Via::Session { .. })
        && p.name == name
    {
        return Err(unprocessable(
            "disabled",
            "you cannot disable your own account: ask another admin",
        ));
    }
    let phc = match change.password.as_deref() {
        Some(pw) => Some(hash(check_password(Some(pw))?).await?),
        None => None,
    };
    let actor = p.actor.clone();
    let n = name.to_string();
    state
        .db(move |s| {
            let mut found = true;
            if let Some(d) = change.disabled {
                found &= s.set_user_disabled(&n, d, &actor)?;
            }
            if let Some(h) = &phc
                && found
            {
                found &= s.set_user_password(&n, h, &actor)?;
            }
            Ok(if found { s.user(&n)? } else { None })
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no user `{name}`")))
}

async fn update_user(
    State(state): State<Arc<AppState>>,
    ApiUser(p): ApiUser,
    Path(name): Path<String>,
    JsonBody(change): JsonBody<UserChange>,
) -> Result<Json<ctem_store::UserRecord>, ApiError> {
    admin(&p)?;
    Ok(Json(do_update_user(&state, &p, &name, change).await?))
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
