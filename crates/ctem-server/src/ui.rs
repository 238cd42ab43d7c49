//! The web dashboard, rendered on the server: the funnel, exposures with
//! filters, an exposure's explanation and attack path, services, the SLA
//! board, remediation actions, risk acceptances, runs and evidence export.
//! Each page says in a sentence what it shows, so a newcomer needs no manual.
//! Forms carry the session's CSRF token; lists page by keyset.

use crate::api::{self, AcceptBody, ListQuery};
use crate::auth::{self, Principal, SESSION_COOKIE, SESSION_SECONDS, WebUser};
use crate::error::ApiError;
use crate::html::{self, esc, tier, url_encode};
use crate::state::AppState;
use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ctem_model::fmt_date;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/", get(home))
        .route("/exposures", get(exposures))
        .route("/exposures/{id}", get(exposure))
        .route("/exposures/{id}/accept", post(accept))
        .route("/services", get(services))
        .route("/services/{id}", get(service))
        .route("/sla", get(sla))
        .route("/actions", get(actions))
        .route("/risk", get(risk))
        .route("/runs", get(runs).post(start_run))
        .route("/evidence", get(evidence))
        .merge(crate::ui_admin::router())
}

/// An error as a page (the dashboard never shows raw JSON).
pub(crate) struct PageError(pub(crate) ApiError, pub(crate) Option<Box<Principal>>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!(
            "<section><h1>{}</h1><div class=\"err\">{}</div><p><a href=\"/\">Back to the funnel</a></p></section>",
            self.0.status.canonical_reason().unwrap_or("Error"),
            esc(&self.0.message)
        );
        let page = match &self.1 {
            Some(p) => html::page("Error", p, "", &body),
            None => html::bare("Error", &body),
        };
        (self.0.status, Html(page)).into_response()
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

pub(crate) fn ok(p: &Principal, title: &str, active: &str, body: &str) -> PageResult {
    Ok(Html(html::page(title, p, active, body)).into_response())
}

pub(crate) trait Ctx<T> {
    fn ctx(self, p: &Principal) -> Result<T, PageError>;
}

impl<T> Ctx<T> for Result<T, ApiError> {
    fn ctx(self, p: &Principal) -> Result<T, PageError> {
        self.map_err(|e| PageError(e, Some(Box::new(p.clone()))))
    }
}

/// The client's address, when the server was started with connect info.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(auth::client_ip(addr)))
    }
}

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

fn login_form(next: &str, error: Option<&str>) -> String {
    html::bare(
        "Sign in",
        &format!(
            "<section class=\"login\"><h1>Sign in to ctem</h1>\
<p class=\"help\">Continuous Threat Exposure Management: the exposures that matter, who owns them and when they are due.</p>{err}\
<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label for=\"username\">User name</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<p><button class=\"primary\" type=\"submit\" id=\"signin\">Sign in</button></p></form>\
<p class=\"muted\" style=\"font-size:12px\">An administrator creates accounts with <code>ctem user add</code>.</p></section>",
            err = error
                .map(|e| format!("<div class=\"err\">{}</div>", esc(e)))
                .unwrap_or_default(),
            next = esc(next),
        ),
    )
}

async fn login_page(Query(q): Query<LoginQuery>) -> Html<String> {
    Html(login_form(&safe_next(q.next.as_deref()), None))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// Rejects a cross-site form post: when the browser says where the form
/// came from, it must be this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .map(|(_, h)| h.trim_end_matches('/'))
        .is_some_and(|h| h == host)
}

async fn login(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    if !same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            Html(login_form(
                &next,
                Some("this form was sent from another site"),
            )),
        )
            .into_response();
    }
    let user = f.username.trim().to_string();
    if let Err(secs) = state.limiter.check(&ip, &user) {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            Html(login_form(
                &next,
                Some(&format!(
                    "too many failed sign-ins: try again in {} minutes",
                    secs.div_ceil(60)
                )),
            )),
        )
            .into_response();
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let u2 = user.clone();
    let password = f.password;
    let found = state
        .db(move |s| {
            let u = s.user(&u2)?;
            // Verify against a dummy hash for unknown users: same cost.
            let phc = u
                .as_ref()
                .map(|u| u.password_hash.clone())
                .unwrap_or_else(|| auth::dummy_hash().to_string());
            let good = auth::verify_password(&password, &phc);
            Ok(u.filter(|u| good && !u.disabled))
        })
        .await;
    let user_rec = match found {
        Ok(Some(u)) => u,
        Ok(None) => {
            state.limiter.failed(&ip, &user);
            state.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
            return (
                StatusCode::UNAUTHORIZED,
                Html(login_form(&next, Some("wrong user name or password"))),
            )
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    state.limiter.succeeded(&user);
    let (Ok(cookie), Ok(csrf)) = (auth::random_hex(32), auth::random_hex(16)) else {
        return ApiError::internal("no randomness for a session").into_response();
    };
    let digest = auth::sha256_hex(&cookie);
    let expires = ctem_model::now() + SESSION_SECONDS;
    let uid = user_rec.id;
    if let Err(e) = state
        .db(move |s| Ok(s.create_session(&digest, uid, &csrf, expires)?))
        .await
    {
        return e.into_response();
    }
    let set = format!(
        "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    ([(header::SET_COOKIE, set)], Redirect::to(&next)).into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: Option<String>,
}

async fn logout(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    p.check_csrf(f.csrf.as_deref()).ctx(&p)?;
    if let auth::Via::Session { id_sha256, .. } = &p.via {
        let d = id_sha256.clone();
        state.db(move |s| Ok(s.delete_session(&d)?)).await.ctx(&p)?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

fn service_name(state: &AppState, id: Option<&str>) -> String {
    match id {
        None => "<span class=\"muted\">outside every service</span>".into(),
        Some(id) => {
            let scope = state.scope();
            let name = scope
                .service(id)
                .map(|s| s.service.name.clone())
                .unwrap_or_else(|| id.to_string());
            format!(
                "<a href=\"/services/{}\">{}</a>",
                url_encode(id),
                esc(&name)
            )
        }
    }
}

fn card(n: impl std::fmt::Display, label: &str, class: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"n {class}\">{n}</div><div class=\"l\">{}</div></div>",
        esc(label)
    )
}

async fn home(State(state): State<Arc<AppState>>, WebUser(p): WebUser) -> PageResult {
    let o = state.overview().await.ctx(&p)?;
    let t = o.total(p.service_filter().as_deref());
    let last = state
        .db(|s| Ok(s.cycles()?.into_iter().next()))
        .await
        .ctx(&p)?;
    let mut b = String::from("<h1>The exposure funnel</h1>");
    b.push_str("<p class=\"help\">From every open finding down to the validated exposures that need fixing first. Each stage keeps only the exposures that pass it: in the scope of a business service, exploitable by threat intelligence (CISA KEV or EPSS), reachable by an attacker, and confirmed exploitable by validation.</p>");
    b.push_str("<div class=\"cards\">");
    b.push_str(&card(t.tiers.iter().sum::<i64>(), "open exposures", ""));
    b.push_str(&card(t.tiers[0], "P1 — fix now", "bad"));
    b.push_str(&card(t.stages[4], "validated exploitable", "bad"));
    b.push_str(&card(
        t.overdue,
        "past their due date",
        if t.overdue > 0 { "bad" } else { "ok" },
    ));
    b.push_str(&card(t.due_7d, "due within 7 days", ""));
    b.push_str("</div><section style=\"margin-top:16px\"><h2>Funnel</h2>");
    b.push_str(&html::funnel_bars(t.stages));
    b.push_str("</section><section><h2>By tier</h2><p class=\"help\">Click a tier to list its exposures.</p><table><tr>");
    for (i, n) in t.tiers.iter().enumerate() {
        let tn = format!("P{}", i + 1);
        b.push_str(&format!(
            "<td><a href=\"/exposures?tier={tn}\">{}</a> {n}</td>",
            tier(&tn)
        ));
    }
    b.push_str("</tr></table></section><section><h2>Services</h2><table><tr><th>Service</th><th>In scope</th><th>Exploitable</th><th>Reachable</th><th>Validated</th><th>P1</th><th>Overdue</th></tr>");
    for c in o
        .counts
        .iter()
        .filter(|c| c.service_id.is_some() && p.sees(c.service_id.as_deref()))
    {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>",
            service_name(&state, c.service_id.as_deref()),
            c.stages[1], c.stages[2], c.stages[3], c.stages[4], c.tiers[0],
            if c.overdue > 0 { " class=\"bad\"" } else { "" },
            c.overdue
        ));
    }
    b.push_str("</table></section>");
    match last {
        Some(c) => b.push_str(&format!(
            "<p class=\"muted\">Counts as of {}. Last run finished {} (<a href=\"/runs\">runs</a>).</p>",
            ctem_model::fmt_time(o.computed_at),
            ctem_model::fmt_time(c.finished_at)
        )),
        None => b.push_str(&format!("<p class=\"muted\">Counts as of {}.</p>", ctem_model::fmt_time(o.computed_at))),
    }
    ok(&p, "Funnel", "/", &b)
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[(String, String)]) -> String {
    let mut s = format!(
        "<label>{label}<select name=\"{name}\" id=\"f-{name}\"><option value=\"\">any</option>"
    );
    for (v, l) in options {
        s.push_str(&format!(
            "<option value=\"{}\"{}>{}</option>",
            esc(v),
            if current == Some(v.as_str()) {
                " selected"
            } else {
                ""
            },
            esc(l)
        ));
    }
    s.push_str("</select></label>");
    s
}

fn list_table(state: &AppState, rows: &[ctem_store::ExposureListRow], now: i64) -> String {
    if rows.is_empty() {
        return "<p class=\"note\">No exposures match. Clear a filter to see more.</p>".into();
    }
    let mut b = String::from(
        "<table id=\"exposures\"><tr><th>Tier</th><th>Score</th><th>Weakness</th><th>Asset</th><th>Service</th><th>Owner</th><th>Due</th><th>Validation</th></tr>",
    );
    for r in rows {
        let due = match r.due {
            Some(d) if d < now => format!("<span class=\"bad\">{} (overdue)</span>", fmt_date(d)),
            Some(d) => fmt_date(d),
            None => "-".into(),
        };
        b.push_str(&format!(
            "<tr><td>{}</td><td>{:.1}</td><td><a href=\"/exposures/{}\">{}</a><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{due}</td><td>{}</td></tr>",
            tier(&r.tier),
            r.score,
            url_encode(&r.id),
            esc(&r.weakness),
            esc(&r.title),
            esc(&r.asset),
            service_name(state, r.service_id.as_deref()),
            esc(r.owner.as_deref().unwrap_or("-")),
            esc(&r.validation.replace('_', " ")),
        ));
    }
    b.push_str("</table>");
    b
}

fn query_string(q: &ListQuery, after: &str) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("tier", &q.tier),
        ("service", &q.service),
        ("validation", &q.validation),
        ("status", &q.status),
        ("q", &q.q),
        ("sort", &q.sort),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", url_encode(v)));
        }
    }
    if q.overdue == Some(true) {
        parts.push("overdue=true".into());
    }
    parts.push(format!("after={}", url_encode(after)));
    parts.join("&")
}

async fn exposures(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sq = api::store_query(&p, &q).ctx(&p)?;
    let page = state.db(move |s| Ok(s.exposure_page(&sq)?)).await.ctx(&p)?;
    let scope = state.scope();
    let services: Vec<(String, String)> = scope
        .services
        .iter()
        .filter(|s| p.sees(Some(&s.service.id)))
        .map(|s| (s.service.id.clone(), s.service.name.clone()))
        .collect();
    let tiers: Vec<(String, String)> = ["P1", "P2", "P3", "P4"]
        .iter()
        .map(|t| (t.to_string(), t.to_string()))
        .collect();
    let vals: Vec<(String, String)> = [
        "not_validated",
        "exploitable",
        "not_exploitable",
        "blocked_by_control",
    ]
    .iter()
    .map(|v| (v.to_string(), v.replace('_', " ")))
    .collect();
    let sorts = vec![
        ("priority".to_string(), "priority (tier, score)".to_string()),
        ("due".to_string(), "due date".to_string()),
    ];
    let mut b = String::from(
        "<h1>Exposures</h1><p class=\"help\">Every open exposure with its tier, owner and due date, most urgent first. Narrow the list with the filters; open an exposure to see why it has its tier and how an attacker reaches it.</p>",
    );
    b.push_str("<section><form class=\"filters\" method=\"get\" action=\"/exposures\">");
    b.push_str(&select("tier", "Tier", q.tier.as_deref(), &tiers));
    b.push_str(&select(
        "service",
        "Service",
        q.service.as_deref(),
        &services,
    ));
    b.push_str(&select(
        "validation",
        "Validation",
        q.validation.as_deref(),
        &vals,
    ));
    b.push_str(&format!(
        "<label>Search<input name=\"q\" id=\"f-q\" value=\"{}\" placeholder=\"CVE, title or asset\"></label>",
        esc(q.q.as_deref().unwrap_or(""))
    ));
    b.push_str(&select("sort", "Order", q.sort.as_deref(), &sorts));
    b.push_str("<button class=\"primary\" type=\"submit\" id=\"apply\">Apply</button> <a href=\"/exposures\">clear</a></form></section><section>");
    b.push_str(&list_table(&state, &page.rows, ctem_model::now()));
    if let Some(n) = &page.next {
        b.push_str(&format!(
            "<p><a id=\"next\" href=\"/exposures?{}\">Next page →</a></p>",
            esc(&query_string(&q, n))
        ));
    }
    b.push_str("</section>");
    ok(&p, "Exposures", "/exposures", &b)
}

#[derive(Debug, Default, Deserialize)]
struct Flash {
    accepted: Option<String>,
}

async fn exposure(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> PageResult {
    let d = api::load_detail(&state, &p, &id).await.ctx(&p)?;
    let e = &d.row.exposure;
    let now = ctem_model::now();
    let mut b = format!(
        "<h1>{} on {}</h1><p class=\"help\">{}</p>",
        esc(&e.weakness.id),
        esc(&d.row.asset.name),
        esc(&e.title)
    );
    if flash.accepted.is_some() {
        b.push_str(
            "<div class=\"note\" id=\"accepted\">Risk acceptance recorded in the audit log.</div>",
        );
    }
    b.push_str("<section><h2>Summary</h2><table>");
    let mut row = |k: &str, v: String| {
        b.push_str(&format!(
            "<tr><th style=\"width:180px\">{k}</th><td>{v}</td></tr>"
        ))
    };
    match &d.decision {
        Some(dec) => {
            row(
                "Tier",
                format!(
                    "{} score {:.1} under policy {}",
                    tier(dec.tier.as_str()),
                    dec.score,
                    esc(&dec.policy_version)
                ),
            );
            row("Service", service_name(&state, dec.service_id.as_deref()));
            row(
                "Owner",
                esc(dec.owner.as_deref().unwrap_or("none (out of scope)")),
            );
            row(
                "Due",
                match dec.due {
                    Some(due) => {
                        let left = ctem_mobilise_days_left(due, now);
                        format!(
                            "{} ({}){}",
                            fmt_date(due),
                            if left < 0 {
                                format!("<span class=\"bad\">{} days overdue</span>", -left)
                            } else {
                                format!("{left} days left")
                            },
                            dec.sla_days
                                .map(|s| format!(", {s}-day SLA"))
                                .unwrap_or_default()
                        )
                    }
                    None => "-".into(),
                },
            );
            row(
                "Validation",
                esc(&dec.validation.as_str().replace('_', " ")),
            );
        }
        None if e.status == ctem_model::ExposureStatus::Accepted => row(
            "Tier",
            "none: its risk is accepted, so it is out of the queue until the acceptance ends"
                .into(),
        ),
        None => row("Tier", "not prioritised yet: run a cycle".into()),
    }
    row("Status", esc(e.status.as_str()));
    row("Sources", esc(&e.sources.join(", ")));
    row(
        "Seen",
        format!(
            "first {}, last {}",
            fmt_date(e.first_seen),
            fmt_date(e.last_seen)
        ),
    );
    if let Some(c) = &e.component {
        row(
            "Component",
            format!(
                "{} {}{}",
                esc(&c.name),
                esc(c.version.as_deref().unwrap_or("")),
                c.fixed_version
                    .as_deref()
                    .map(|f| format!(" — fixed in {}", esc(f)))
                    .unwrap_or_default()
            ),
        );
    }
    row("Exposure id", format!("<code>{}</code>", esc(&e.id)));
    b.push_str("</table></section>");
    b.push_str("<section id=\"path\"><h2>Attack path</h2>");
    if d.path.is_empty() {
        b.push_str("<p class=\"help\">No path reaches this exposure from the internet or an assumed-breach zone in the declared topology.</p>");
    } else {
        b.push_str("<p class=\"help\">The shortest way an attacker gets here: each box is a network zone, with the asset held and the weakness used to move on.</p>");
        b.push_str(&html::path_svg(&d.path));
    }
    b.push_str("</section>");
    if let Some(dec) = &d.decision {
        b.push_str("<section id=\"explanation\"><h2>Why this tier</h2><p class=\"help\">Every fact the policy used, with its source and date, then the rules it tried in order.</p><table><tr><th>Factor</th><th>Value</th><th>Source</th><th>As of</th></tr>");
        for f in &dec.factors {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.name),
                esc(&f.value),
                esc(&f.source),
                esc(f.as_of.as_deref().unwrap_or(""))
            ));
        }
        b.push_str("</table><h2 style=\"margin-top:14px\">Path through the policy</h2><ol>");
        for s in &dec.policy_path {
            b.push_str(&format!("<li>{}</li>", esc(s)));
        }
        b.push_str("</ol></section>");
    }
    b.push_str("<section id=\"risk\"><h2>Risk acceptances</h2>");
    if d.acceptances.is_empty() {
        b.push_str("<p class=\"help\">None.</p>");
    } else {
        b.push_str(
            "<table><tr><th>By</th><th>Justification</th><th>Control</th><th>Until</th></tr>",
        );
        for a in &d.acceptances {
            let a = &a.acceptance;
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                esc(&a.approver),
                esc(&a.justification),
                esc(a.control.as_deref().unwrap_or("-")),
                fmt_date(a.expires_at),
                if a.expires_at < now {
                    " <span class=\"bad\">(expired)</span>"
                } else {
                    ""
                }
            ));
        }
        b.push_str("</table>");
    }
    let open = matches!(
        e.status,
        ctem_model::ExposureStatus::Open | ctem_model::ExposureStatus::FixPending
    );
    if open && p.can_accept_risk(d.service.as_deref()) {
        b.push_str(&format!(
            "<h2 style=\"margin-top:14px\">Accept this risk</h2><p class=\"help\">Record a time-limited decision to live with this exposure: it leaves the queue until the date you give (at most three years away), then reopens with a new SLA. It is signed with your name in the audit log.</p>\
<form method=\"post\" action=\"/exposures/{}/accept\" class=\"filters\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<label>Justification<textarea name=\"justification\" id=\"justification\" rows=\"2\" cols=\"50\" required minlength=\"10\"></textarea></label>\
<label>Compensating control<input name=\"control\" id=\"control\"></label>\
<label>Until<input name=\"expires\" id=\"expires\" type=\"date\" required value=\"{}\" min=\"{}\" max=\"{}\"></label>\
<button class=\"primary\" type=\"submit\" id=\"accept\">Accept risk</button></form>",
            url_encode(&e.id),
            esc(p.csrf()),
            fmt_date(now + 90 * ctem_model::DAY),
            fmt_date(now + ctem_model::DAY),
            fmt_date(now + ctem_engine::mobilisation::MAX_ACCEPTANCE),
        ));
    }
    b.push_str("</section>");
    ok(
        &p,
        &format!("{} on {}", e.weakness.id, d.row.asset.name),
        "/exposures",
        &b,
    )
}

fn ctem_mobilise_days_left(due: i64, now: i64) -> i64 {
    (due - now).div_euclid(ctem_model::DAY)
}

#[derive(Debug, Deserialize)]
struct AcceptForm {
    csrf: Option<String>,
    justification: Option<String>,
    control: Option<String>,
    expires: Option<String>,
}

async fn accept(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Path(id): Path<String>,
    Form(f): Form<AcceptForm>,
) -> PageResult {
    p.check_csrf(f.csrf.as_deref()).ctx(&p)?;
    let rec = api::do_accept(
        &state,
        &p,
        &id,
        AcceptBody {
            justification: f.justification,
            expires: f.expires,
            days: None,
            approver: None,
            control: f.control,
        },
    )
    .await
    .ctx(&p)?;
    Ok(Redirect::to(&format!(
        "/exposures/{}?accepted=1#risk",
        url_encode(&rec.acceptance.exposure_id)
    ))
    .into_response())
}

async fn services(State(state): State<Arc<AppState>>, WebUser(p): WebUser) -> PageResult {
    let o = state.overview().await.ctx(&p)?;
    let scope = state.scope();
    let mut b = String::from(
        "<h1>Services</h1><p class=\"help\">The business services in scope, their owners and how exposed each one is. Crown jewels are marked ★.</p><section><table><tr><th>Service</th><th>Owner</th><th>Criticality</th><th>Open</th><th>P1</th><th>P2</th><th>Validated</th><th>Overdue</th></tr>",
    );
    for s in scope
        .services
        .iter()
        .filter(|s| p.sees(Some(&s.service.id)))
    {
        let c = o
            .counts
            .iter()
            .find(|c| c.service_id.as_deref() == Some(&s.service.id))
            .cloned()
            .unwrap_or_default();
        b.push_str(&format!(
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>",
            if s.service.crown_jewel { "<span class=\"cj\">★</span> " } else { "" },
            service_name(&state, Some(&s.service.id)),
            esc(&s.owner.name),
            s.service.criticality,
            c.stages[0], c.tiers[0], c.tiers[1], c.stages[4],
            if c.overdue > 0 { " class=\"bad\"" } else { "" },
            c.overdue
        ));
    }
    b.push_str("</table></section>");
    ok(&p, "Services", "/services", &b)
}

async fn service(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Path(id): Path<String>,
) -> PageResult {
    let scope = state.scope();
    let svc = scope
        .service(&id)
        .filter(|_| p.sees(Some(&id)))
        .ok_or_else(|| ApiError::not_found(format!("no service `{id}`")))
        .ctx(&p)?;
    let o = state.overview().await.ctx(&p)?;
    let c = o
        .counts
        .iter()
        .find(|c| c.service_id.as_deref() == Some(&id))
        .cloned()
        .unwrap_or_default();
    let q = ListQuery {
        service: Some(id.clone()),
        ..ListQuery::default()
    };
    let sq = api::store_query(&p, &q).ctx(&p)?;
    let page = state.db(move |s| Ok(s.exposure_page(&sq)?)).await.ctx(&p)?;
    let mut b = format!(
        "<h1>{}{}</h1><p class=\"help\">Owned by {}{}. Criticality {} of 5.</p><div class=\"cards\">{}{}{}{}</div>",
        if svc.service.crown_jewel {
            "<span class=\"cj\">★</span> "
        } else {
            ""
        },
        esc(&svc.service.name),
        esc(&svc.owner.name),
        svc.owner
            .email
            .as_deref()
            .map(|e| format!(" ({})", esc(e)))
            .unwrap_or_default(),
        svc.service.criticality,
        card(c.stages[0], "open exposures", ""),
        card(c.tiers[0], "P1", "bad"),
        card(c.stages[4], "validated exploitable", "bad"),
        card(
            c.overdue,
            "overdue",
            if c.overdue > 0 { "bad" } else { "ok" }
        ),
    );
    b.push_str("<section style=\"margin-top:16px\"><h2>Funnel</h2>");
    b.push_str(&html::funnel_bars(c.stages));
    b.push_str(&format!(
        "</section><section><h2>Most urgent exposures</h2>{}<p><a href=\"/exposures?service={}\">All exposures of this service →</a></p></section>",
        list_table(&state, &page.rows, ctem_model::now()),
        url_encode(&id)
    ));
    ok(&p, &svc.service.name, "/services", &b)
}

async fn sla(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let o = state.overview().await.ctx(&p)?;
    let t = o.total(p.service_filter().as_deref());
    let mut lq = q;
    lq.sort = Some("due".into());
    let sq = api::store_query(&p, &lq).ctx(&p)?;
    let page = state.db(move |s| Ok(s.exposure_page(&sq)?)).await.ctx(&p)?;
    let mut b = String::from(
        "<h1>SLA board</h1><p class=\"help\">Work in due-date order: the overdue first, then what falls due soonest. Due dates come from the SLA rules of the scope and restart when an exposure's tier changes.</p><div class=\"cards\">",
    );
    b.push_str(&card(
        t.overdue,
        "overdue",
        if t.overdue > 0 { "bad" } else { "ok" },
    ));
    b.push_str(&card(t.due_7d, "due within 7 days", ""));
    b.push_str("</div><section style=\"margin-top:16px\">");
    b.push_str(if lq.overdue == Some(true) {
        "<p><a href=\"/sla\">Show everything with a due date</a></p>"
    } else {
        "<p><a href=\"/sla?overdue=true\" id=\"only-overdue\">Show only the overdue</a></p>"
    });
    b.push_str(&list_table(&state, &page.rows, ctem_model::now()));
    if let Some(n) = &page.next {
        b.push_str(&format!(
            "<p><a href=\"/sla?{}\">Next page →</a></p>",
            esc(&query_string(&lq, n))
        ));
    }
    b.push_str("</section>");
    ok(&p, "SLA board", "/sla", &b)
}

async fn actions(State(state): State<Arc<AppState>>, WebUser(p): WebUser) -> PageResult {
    let r = state.report().await.ctx(&p)?;
    let scope = state.scope();
    let owners: Option<Vec<String>> = p.service_filter().map(|svcs| {
        svcs.iter()
            .filter_map(|s| scope.service(s))
            .map(|s| s.owner.name.clone())
            .collect()
    });
    let mut b = String::from(
        "<h1>Remediation actions</h1><p class=\"help\">Exposures grouped by the fix that closes them (one upgrade, one patch, one configuration change), largest and most urgent first: each row is one ticket's worth of work.</p><section><table><tr><th>Action</th><th>Tier</th><th>Owner</th><th>Due</th><th>Exposures</th><th>Assets</th></tr>",
    );
    for a in r.actions.iter().filter(|a| match &owners {
        None => true,
        Some(o) => a
            .owner
            .as_deref()
            .is_some_and(|x| o.iter().any(|n| x.starts_with(n.as_str()))),
    }) {
        b.push_str(&format!(
            "<tr><td>{}<br><code class=\"muted\">{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.title), esc(&a.id), tier(&a.tier), esc(a.owner.as_deref().unwrap_or("-")),
            esc(a.due.as_deref().unwrap_or("-")), a.exposures,
            esc(&a.assets.iter().take(5).cloned().collect::<Vec<_>>().join(", "))
        ));
    }
    b.push_str(&format!(
        "</table><p class=\"muted\">Computed {}.</p></section>",
        esc(&r.generated_at)
    ));
    for w in &r.warnings {
        b.push_str(&format!("<div class=\"warn\">{}</div>", esc(w)));
    }
    ok(&p, "Remediation", "/actions", &b)
}

async fn risk(State(state): State<Arc<AppState>>, WebUser(p): WebUser) -> PageResult {
    let filter = p.service_filter();
    let list = state
        .db(move |s| {
            let all = s.risk_acceptances(None, 500)?;
            let Some(svcs) = filter else { return Ok(all) };
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
        .await
        .ctx(&p)?;
    let now = ctem_model::now();
    let mut b = String::from(
        "<h1>Risk acceptances</h1><p class=\"help\">Time-limited decisions to live with an exposure, newest first. Accept a risk from the exposure's page.</p><section>",
    );
    if list.is_empty() {
        b.push_str("<p class=\"help\">None yet.</p>");
    } else {
        b.push_str("<table><tr><th>Exposure</th><th>By</th><th>Justification</th><th>Control</th><th>Recorded</th><th>Until</th></tr>");
        for a in &list {
            let x = &a.acceptance;
            b.push_str(&format!(
                "<tr><td><a href=\"/exposures/{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                url_encode(&x.exposure_id), esc(&x.exposure_id.chars().take(12).collect::<String>()), esc(&x.approver),
                esc(&x.justification), esc(x.control.as_deref().unwrap_or("-")), fmt_date(x.created_at), fmt_date(x.expires_at),
                if x.expires_at < now { " <span class=\"bad\">(expired)</span>" } else { "" }
            ));
        }
        b.push_str("</table>");
    }
    b.push_str("</section>");
    ok(&p, "Risk acceptances", "/risk", &b)
}

async fn runs(State(state): State<Arc<AppState>>, WebUser(p): WebUser) -> PageResult {
    let list = state
        .db(|s| Ok(s.cycles()?.into_iter().take(100).collect::<Vec<_>>()))
        .await
        .ctx(&p)?;
    let mut b = String::from(
        "<h1>Runs</h1><p class=\"help\">Every cycle of the loop, scheduled or started by hand: which reports and feeds it brought in, what failed, and the tiers it left.</p>",
    );
    if p.can_run() {
        b.push_str(&format!(
            "<section><form method=\"post\" action=\"/runs\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"primary\" type=\"submit\" id=\"run-now\">Run now</button> <span class=\"help\">re-ingests the watched folders and re-prioritises</span></form></section>",
            esc(p.csrf())
        ));
    }
    b.push_str("<section><table><tr><th>#</th><th>Finished</th><th>Trigger</th><th>Status</th><th>Detail</th></tr>");
    for c in &list {
        let s = &c.summary;
        let status = s["status"].as_str().unwrap_or("ok");
        let mut detail = Vec::new();
        if let Some(a) = s["ingested"].as_array() {
            detail.push(format!("{} reports", a.len()));
        }
        if let Some(a) = s["feeds"].as_array() {
            detail.push(format!("{} feeds", a.len()));
        }
        if let Some(a) = s["failed"].as_array().filter(|a| !a.is_empty()) {
            detail.push(format!(
                "failed: {}",
                a.iter()
                    .map(|f| format!(
                        "{} — {}",
                        f["file"].as_str().unwrap_or(""),
                        f["error"].as_str().unwrap_or("")
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        if let Some(e) = s["error"].as_str() {
            detail.push(format!("error: {e}"));
        }
        if let Some(t) = s["tiers"].as_array() {
            detail.push(
                t.iter()
                    .filter_map(|x| Some(format!("{} {}", x[0].as_str()?, x[1])))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if let Some(f) = s["funnel"].as_array() {
            detail.push(format!(
                "funnel {}",
                f.iter()
                    .filter_map(|x| x[1].as_i64())
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
        }
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            c.id,
            ctem_model::fmt_time(c.finished_at),
            esc(s["trigger"].as_str().unwrap_or("cli")),
            if status == "ok" { "ok" } else { "bad" },
            esc(status),
            esc(&detail.join(" · "))
        ));
    }
    b.push_str("</table></section>");
    ok(&p, "Runs", "/runs", &b)
}

async fn start_run(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    p.check_csrf(f.csrf.as_deref()).ctx(&p)?;
    if !p.can_run() {
        return Err(PageError(
            ApiError::forbidden("start runs"),
            Some(Box::new(p)),
        ));
    }
    crate::schedule::run(&state, "dashboard", &p.actor)
        .await
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, e))
        .ctx(&p)?;
    Ok(Redirect::to("/runs").into_response())
}

async fn evidence(State(state): State<Arc<AppState>>, WebUser(p): WebUser) -> PageResult {
    if !p.can_export_evidence() {
        return Err(PageError(
            ApiError::forbidden("export evidence"),
            Some(Box::new(p)),
        ));
    }
    let v = state.db(|s| Ok(s.verify_audit()?)).await.ctx(&p)?;
    let mut b = String::from(
        "<h1>Evidence export</h1><p class=\"help\">One JSON file for auditors: the funnel and decisions report, the verification of the hash-chained audit log, every import, run and risk acceptance, stamped with who exported it and when.</p><section>",
    );
    b.push_str(&match &v.problem {
        None => format!("<p class=\"ok\" id=\"audit-ok\">The audit log is intact: {} entries, hash chain verified.</p>", v.entries),
        Some(pr) => format!("<div class=\"err\">The audit log is broken: {}</div>", esc(pr)),
    });
    b.push_str("<p><a class=\"primary\" id=\"download-evidence\" href=\"/api/v1/evidence\" download>Download the evidence bundle (JSON)</a></p></section>");
    ok(&p, "Evidence", "/evidence", &b)
}
