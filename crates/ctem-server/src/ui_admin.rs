//! Dashboard pages for administrators — users (create, disable, enable,
//! reset a password) and API tokens (create, shown once; revoke) — and the
//! report upload page for analysts and admins. Every form carries the
//! session's CSRF token and goes through the same functions as the API.

use crate::api::{self, TokenBody, UserBody, UserChange};
use crate::auth::{Principal, WebUser};
use crate::error::ApiError;
use crate::html::{esc, url_encode};
use crate::multipart::{self, Multipart};
use crate::state::AppState;
use crate::ui::{Ctx, PageError, PageResult, ok};
use axum::Router;
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use ctem_model::{fmt_date, fmt_time};
use serde::Deserialize;
use std::sync::Arc;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{name}/disable", post(disable_user))
        .route("/admin/users/{name}/enable", post(enable_user))
        .route("/admin/users/{name}/password", post(reset_password))
        .route("/admin/tokens", get(tokens).post(create_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
        .route("/upload", get(upload_page).post(upload))
}

fn forbid(p: Principal, what: &str) -> PageError {
    PageError(ApiError::forbidden(what), Some(Box::new(p)))
}

fn page_with(
    p: &Principal,
    status: StatusCode,
    title: &str,
    active: &str,
    body: &str,
) -> PageResult {
    let mut r = ok(p, title, active, body)?;
    *r.status_mut() = status;
    Ok(r)
}

fn role_select(id: &str) -> String {
    let mut s = format!("<label>Role<select name=\"role\" id=\"{id}\">");
    for r in crate::auth::Role::ALL {
        s.push_str(&format!(
            "<option value=\"{0}\"{1}>{2}</option>",
            r.as_str(),
            if r == crate::auth::Role::Analyst {
                " selected"
            } else {
                ""
            },
            r.as_str().replace('_', " ")
        ));
    }
    s.push_str("</select></label>");
    s
}

fn services_help(state: &AppState) -> String {
    let scope = state.scope();
    let ids: Vec<String> = scope
        .services
        .iter()
        .map(|s| format!("<code>{}</code>", esc(&s.service.id)))
        .collect();
    format!(
        "<p class=\"help\">Services (service owners only, comma-separated): {}</p>",
        ids.join(", ")
    )
}

fn split_services(s: Option<&str>) -> Vec<String> {
    s.unwrap_or("")
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn note(kind: &str, id: &str, text: &str) -> String {
    format!("<div class=\"{kind}\" id=\"{id}\">{}</div>", esc(text))
}

// ---- users ----

#[derive(Debug, Default, Deserialize)]
struct UsersFlash {
    created: Option<String>,
    disabled: Option<String>,
    enabled: Option<String>,
    reset: Option<String>,
}

async fn users_body(state: &AppState, p: &Principal, message: &str) -> Result<String, ApiError> {
    let list = state.db(|s| Ok(s.users()?)).await?;
    let csrf = esc(p.csrf());
    let mut b = String::from(
        "<h1>Users</h1><p class=\"help\">The people who sign in to this dashboard, their role and (for service owners) their services. Disabling a user or giving them a new password ends their sessions at once; every change is in the audit log.</p>",
    );
    b.push_str(message);
    b.push_str("<section><table id=\"users\"><tr><th>User</th><th>Role</th><th>Services</th><th>Created</th><th>State</th><th>Actions</th></tr>");
    for u in &list {
        let name = url_encode(&u.username);
        let toggle = if u.disabled {
            format!(
                "<form method=\"post\" action=\"/admin/users/{name}/enable\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" id=\"enable-{id}\">Enable</button></form>",
                id = esc(&u.username)
            )
        } else if u.username == p.name {
            "<span class=\"muted\">(you)</span>".to_string()
        } else {
            format!(
                "<form method=\"post\" action=\"/admin/users/{name}/disable\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" id=\"disable-{id}\">Disable</button></form>",
                id = esc(&u.username)
            )
        };
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{toggle}\
<form method=\"post\" action=\"/admin/users/{name}/password\" class=\"filters\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"{min}\" required placeholder=\"new password\" aria-label=\"new password for {user}\">\
<button type=\"submit\">Set password</button></form></td></tr>",
            esc(&u.username),
            esc(&u.role.replace('_', " ")),
            esc(&u.services.join(", ")),
            fmt_date(u.created_at),
            if u.disabled { "bad" } else { "ok" },
            if u.disabled { "disabled" } else { "active" },
            min = api::MIN_PASSWORD,
            user = esc(&u.username),
        ));
    }
    b.push_str("</table></section>");
    b.push_str(&format!(
        "<section><h2>Add a user</h2><p class=\"help\">The password must have at least {min} characters; give it to the person over a separate channel.</p>\
<form method=\"post\" action=\"/admin/users\" class=\"filters\" id=\"add-user\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label>User name<input name=\"username\" id=\"new-username\" required maxlength=\"64\" autocomplete=\"off\"></label>\
<label>Password<input name=\"password\" id=\"new-password\" type=\"password\" required minlength=\"{min}\" autocomplete=\"new-password\"></label>\
{role}<label>Services<input name=\"services\" id=\"new-user-services\" placeholder=\"claims, payments\"></label>\
<button class=\"primary\" type=\"submit\" id=\"create-user\">Add user</button></form>{help}</section>",
        min = api::MIN_PASSWORD,
        role = role_select("new-user-role"),
        help = services_help(state),
    ));
    Ok(b)
}

async fn users(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Query(f): Query<UsersFlash>,
) -> PageResult {
    if !p.can_manage_access() {
        return Err(forbid(p, "manage access"));
    }
    let msg = if let Some(u) = &f.created {
        note("note", "done", &format!("User {u} added."))
    } else if let Some(u) = &f.disabled {
        note(
            "note",
            "done",
            &format!("User {u} disabled; their sessions ended."),
        )
    } else if let Some(u) = &f.enabled {
        note("note", "done", &format!("User {u} enabled."))
    } else if let Some(u) = &f.reset {
        note(
            "note",
            "done",
            &format!("New password set for {u}; their sessions ended."),
        )
    } else {
        String::new()
    };
    let b = users_body(&state, &p, &msg).await.ctx(&p)?;
    ok(&p, "Users", "/admin/users", &b)
}

#[derive(Debug, Deserialize)]
struct UserForm {
    csrf: Option<String>,
    username: Option<String>,
    password: Option<String>,
    role: Option<String>,
    services: Option<String>,
}

async fn create_user(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Form(f): Form<UserForm>,
) -> PageResult {
    p.check_csrf(f.csrf.as_deref()).ctx(&p)?;
    if !p.can_manage_access() {
        return Err(forbid(p, "manage access"));
    }
    let body = UserBody {
        username: f.username,
        password: f.password,
        role: f.role,
        services: split_services(f.services.as_deref()),
    };
    match api::do_create_user(&state, &p, body).await {
        Ok(u) => Ok(
            Redirect::to(&format!("/admin/users?created={}", url_encode(&u.username)))
                .into_response(),
        ),
        Err(e) if e.status.is_client_error() => {
            let b = users_body(&state, &p, &note("err", "error", &e.message))
                .await
                .ctx(&p)?;
            page_with(&p, e.status, "Users", "/admin/users", &b)
        }
        Err(e) => Err(PageError(e, Some(Box::new(p)))),
    }
}

async fn change_user(
    state: &AppState,
    p: Principal,
    name: &str,
    csrf: Option<&str>,
    change: UserChange,
    flash: &str,
) -> PageResult {
    p.check_csrf(csrf).ctx(&p)?;
    if !p.can_manage_access() {
        return Err(forbid(p, "manage access"));
    }
    match api::do_update_user(state, &p, name, change).await {
        Ok(u) => Ok(
            Redirect::to(&format!("/admin/users?{flash}={}", url_encode(&u.username)))
                .into_response(),
        ),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let b = users_body(state, &p, &note("err", "error", &e.message))
                .await
                .ctx(&p)?;
            page_with(&p, e.status, "Users", "/admin/users", &b)
        }
        Err(e) => Err(PageError(e, Some(Box::new(p)))),
    }
}

async fn disable_user(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Path(name): Path<String>,
    Form(f): Form<crate::ui::CsrfForm>,
) -> PageResult {
    let change = UserChange {
        disabled: Some(true),
        password: None,
    };
    change_user(&state, p, &name, f.csrf.as_deref(), change, "disabled").await
}

async fn enable_user(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Path(name): Path<String>,
    Form(f): Form<crate::ui::CsrfForm>,
) -> PageResult {
    let change = UserChange {
        disabled: Some(false),
        password: None,
    };
    change_user(&state, p, &name, f.csrf.as_deref(), change, "enabled").await
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    csrf: Option<String>,
    password: Option<String>,
}

async fn reset_password(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Path(name): Path<String>,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let change = UserChange {
        disabled: None,
        password: Some(f.password.unwrap_or_default()),
    };
    change_user(&state, p, &name, f.csrf.as_deref(), change, "reset").await
}

// ---- tokens ----

#[derive(Debug, Default, Deserialize)]
struct TokensFlash {
    revoked: Option<i64>,
}

async fn tokens_body(state: &AppState, p: &Principal, message: &str) -> Result<String, ApiError> {
    let list = state.db(|s| Ok(s.tokens()?)).await?;
    let now = ctem_model::now();
    let csrf = esc(p.csrf());
    let mut b = String::from(
        "<h1>API tokens</h1><p class=\"help\">Tokens let pipelines and scripts call the API (<code>Authorization: Bearer …</code>). A token is shown once, when it is created; only its SHA-256 is kept. Revoke a token that is no longer used or may have leaked.</p>",
    );
    b.push_str(message);
    b.push_str("<section><table id=\"tokens\"><tr><th>#</th><th>Name</th><th>Role</th><th>Services</th><th>Created</th><th>Expires</th><th>Last used</th><th>State</th><th></th></tr>");
    for t in &list {
        let state_txt = if t.revoked_at.is_some() {
            "revoked"
        } else if t.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "live"
        };
        let action = if state_txt == "live" {
            format!(
                "<form method=\"post\" action=\"/admin/tokens/{id}/revoke\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" id=\"revoke-{id}\">Revoke</button></form>",
                id = t.id
            )
        } else {
            String::new()
        };
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{state_txt}</td><td>{action}</td></tr>",
            t.id,
            esc(&t.name),
            esc(&t.role.replace('_', " ")),
            esc(&t.services.join(", ")),
            fmt_date(t.created_at),
            t.expires_at.map(fmt_date).unwrap_or_else(|| "never".into()),
            t.last_used_at.map(fmt_time).unwrap_or_else(|| "-".into()),
            if state_txt == "live" { "ok" } else { "muted" },
        ));
    }
    b.push_str("</table></section>");
    b.push_str(&format!(
        "<section><h2>Create a token</h2>\
<form method=\"post\" action=\"/admin/tokens\" class=\"filters\" id=\"add-token\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label>Name<input name=\"name\" id=\"token-name\" required maxlength=\"64\" placeholder=\"ci-pipeline\"></label>\
{role}<label>Services<input name=\"services\" id=\"token-services\" placeholder=\"claims\"></label>\
<label>Expires after (days)<input name=\"expires_days\" id=\"token-days\" type=\"number\" min=\"1\" max=\"3660\" placeholder=\"never\"></label>\
<button class=\"primary\" type=\"submit\" id=\"create-token\">Create token</button></form>{help}</section>",
        role = role_select("token-role"),
        help = services_help(state),
    ));
    Ok(b)
}

async fn tokens(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Query(f): Query<TokensFlash>,
) -> PageResult {
    if !p.can_manage_access() {
        return Err(forbid(p, "manage access"));
    }
    let msg = f
        .revoked
        .map(|id| note("note", "done", &format!("Token {id} revoked.")))
        .unwrap_or_default();
    let b = tokens_body(&state, &p, &msg).await.ctx(&p)?;
    ok(&p, "API tokens", "/admin/tokens", &b)
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    csrf: Option<String>,
    name: Option<String>,
    role: Option<String>,
    services: Option<String>,
    expires_days: Option<String>,
}

async fn create_token(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Form(f): Form<TokenForm>,
) -> PageResult {
    p.check_csrf(f.csrf.as_deref()).ctx(&p)?;
    if !p.can_manage_access() {
        return Err(forbid(p, "manage access"));
    }
    let days = match f.expires_days.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(d) => d.parse::<i64>().map(Some).map_err(|_| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("expires_days: `{d}` is not a number of days"),
            )
        }),
    };
    let res = match days {
        Ok(expires_days) => {
            api::do_create_token(
                &state,
                &p,
                TokenBody {
                    name: f.name,
                    role: f.role,
                    services: split_services(f.services.as_deref()),
                    expires_days,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match res {
        Ok(t) => {
            // Shown once, in this answer only: never in a URL, never cached.
            let msg = format!(
                "<section class=\"note\" id=\"new-token-box\"><h2>Token {id} created</h2><p>Copy it now: it is shown only once and cannot be recovered.</p><p><code id=\"new-token\">{tok}</code></p></section>",
                id = t.record.id,
                tok = esc(&t.token)
            );
            let b = tokens_body(&state, &p, &msg).await.ctx(&p)?;
            let mut r = page_with(&p, StatusCode::CREATED, "API tokens", "/admin/tokens", &b)?;
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            Ok(r)
        }
        Err(e) if e.status.is_client_error() => {
            let b = tokens_body(&state, &p, &note("err", "error", &e.message))
                .await
                .ctx(&p)?;
            page_with(&p, e.status, "API tokens", "/admin/tokens", &b)
        }
        Err(e) => Err(PageError(e, Some(Box::new(p)))),
    }
}

async fn revoke_token(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    Path(id): Path<String>,
    Form(f): Form<crate::ui::CsrfForm>,
) -> PageResult {
    p.check_csrf(f.csrf.as_deref()).ctx(&p)?;
    api::do_revoke_token(&state, &p, &id).await.ctx(&p)?;
    Ok(Redirect::to(&format!("/admin/tokens?revoked={}", url_encode(id.trim()))).into_response())
}

// ---- upload ----

fn upload_form(p: &Principal, state: &AppState, message: &str) -> String {
    format!(
        "<h1>Upload a scanner report</h1><p class=\"help\">Import a report (Nessus, Trivy, SARIF, … — the format is recognised from the content) exactly like <code>ctem ingest</code>: in one transaction, so a malformed file imports nothing. The exposures are re-prioritised afterwards. Largest accepted file: {mb} MiB.</p>{message}\
<section><form method=\"post\" action=\"/upload\" enctype=\"multipart/form-data\" class=\"filters\" id=\"upload-form\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label><span><input type=\"checkbox\" name=\"prioritise\" value=\"true\" checked> re-prioritise after the import</span></label>\
<label>Report file<input type=\"file\" name=\"report\" id=\"report\" required></label>\
<button class=\"primary\" type=\"submit\" id=\"upload\">Import</button></form></section>",
        mb = state.config.max_upload_bytes / (1024 * 1024),
        csrf = esc(p.csrf()),
    )
}

async fn upload_page(State(state): State<Arc<AppState>>, WebUser(p): WebUser) -> PageResult {
    if !p.can_import() {
        return Err(forbid(p, "import reports"));
    }
    ok(&p, "Upload", "/upload", &upload_form(&p, &state, ""))
}

/// What the form sent, read in order: the CSRF token must come before the
/// file, so that nothing is written for a forged post.
async fn receive(
    state: &AppState,
    p: &Principal,
    headers: &HeaderMap,
    body: Body,
) -> Result<serde_json::Value, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multipart::boundary(ct).ok_or_else(|| {
        ApiError::bad_request("send the form as multipart/form-data (the upload form does)")
    })?;
    // The file plus a little room for the form's other fields.
    let mut m = Multipart::new(body, &boundary, state.config.max_upload_bytes + 64 * 1024);
    // A bearer token needs no CSRF token; a session does.
    let mut csrf_ok = matches!(p.via, crate::auth::Via::Token);
    let mut prioritise = false;
    let mut upload: Option<api::Upload> = None;
    let res: Result<(), ApiError> = async {
        while let Some(part) = m.next_part().await? {
            match part.name.as_str() {
                "csrf" => {
                    let v = m.text(256).await?;
                    p.check_csrf(Some(v.trim()))?;
                    csrf_ok = true;
                }
                _ if !csrf_ok => {
                    return p.check_csrf(None);
                }
                "prioritise" => prioritise = m.text(16).await?.trim() == "true",
                "report" if upload.is_none() => {
                    let mut up = api::Upload::start(state, part.filename.as_deref()).await?;
                    let r: Result<(), ApiError> = async {
                        while let Some(d) = m.data().await? {
                            up.write(&d).await?;
                        }
                        Ok(())
                    }
                    .await;
                    if let Err(e) = r {
                        up.discard().await;
                        return Err(e);
                    }
                    upload = Some(up);
                }
                _ => {}
            }
        }
        if !csrf_ok {
            p.check_csrf(None)?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = res {
        if let Some(up) = upload {
            up.discard().await;
        }
        return Err(e);
    }
    let up = upload.ok_or_else(|| ApiError::bad_request("choose a report file to import"))?;
    up.import(state, p, prioritise).await
}

async fn upload(
    State(state): State<Arc<AppState>>,
    WebUser(p): WebUser,
    headers: HeaderMap,
    body: Body,
) -> PageResult {
    if !p.can_import() {
        return Err(forbid(p, "import reports"));
    }
    match receive(&state, &p, &headers, body).await {
        Ok(v) => {
            let i = &v["import"];
            let n = |k: &str| i[k].as_u64().unwrap_or(0);
            let file = i["file"].as_str().unwrap_or("");
            let file = file.rsplit(['/', '\\']).next().unwrap_or(file);
            let mut msg = format!(
                "<section class=\"note\" id=\"import-summary\"><h2>Imported</h2><table>\
<tr><th>File</th><td>{}</td></tr><tr><th>Format</th><td id=\"import-format\">{}</td></tr><tr><th>Findings</th><td id=\"import-findings\">{}</td></tr>\
<tr><th>New</th><td id=\"import-new\">{}</td></tr><tr><th>Reopened</th><td id=\"import-reopened\">{}</td></tr><tr><th>Resolved</th><td id=\"import-resolved\">{}</td></tr>\
<tr><th>Unchanged</th><td>{}</td></tr><tr><th>Assets</th><td>{} ({} new)</td></tr></table>",
                esc(file),
                esc(i["format"].as_str().unwrap_or("")),
                n("findings"),
                n("new"),
                n("reopened"),
                n("resolved"),
                n("unchanged"),
                n("assets"),
                n("new_assets"),
            );
            if let Some(pr) = v["prioritised"].as_object() {
                msg.push_str(&format!(
                    "<p>Re-prioritised {} exposures ({} changed tier or due date). <a href=\"/exposures\">See the exposures →</a></p>",
                    pr.get("exposures").and_then(|x| x.as_u64()).unwrap_or(0),
                    pr.get("changes").and_then(|x| x.as_u64()).unwrap_or(0),
                ));
            }
            msg.push_str("</section>");
            let mut r = ok(&p, "Upload", "/upload", &upload_form(&p, &state, &msg))?;
            *r.status_mut() = StatusCode::CREATED;
            Ok(r)
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let msg = note("err", "error", &e.message);
            let mut r = ok(&p, "Upload", "/upload", &upload_form(&p, &state, &msg))?;
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(PageError(e, Some(Box::new(p)))),
    }
}
