//! Who is asking, and what they may do.
//!
//! - **API tokens** (`Authorization: Bearer ctem_…`): 32 random bytes shown
//!   once at creation; only their SHA-256 is stored.
//! - **Users** sign in to the dashboard with a password (argon2id) and get a
//!   session cookie (`HttpOnly`, `SameSite=Strict`; only the SHA-256 of its
//!   value is stored). Every state change made with a cookie must carry the
//!   session's CSRF token (form field `csrf` or header `X-CSRF-Token`).
//! - **Roles**: `admin` (everything, including access), `analyst` (read all,
//!   import, run, accept risk), `service_owner` (reads and acts on the
//!   services listed for them only), `auditor` (read-only, evidence export).
//!   A service owner asking for another service's exposure gets 404, the same
//!   answer as for an id that does not exist, so ids cannot be probed.
//! - **Login attempts** are limited per client address and per user name.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ctem_session";
/// How long a dashboard session lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// What a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Analyst,
    ServiceOwner,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Analyst,
        Role::ServiceOwner,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::ServiceOwner => "service_owner",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "service_owner" | "owner" => Some(Role::ServiceOwner),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Token,
    /// A session cookie, with the session's CSRF token and cookie digest.
    Session {
        csrf: String,
        id_sha256: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// For the audit log: `user:alice` or `token:ci-pipeline`.
    pub actor: String,
    pub name: String,
    pub role: Role,
    /// A service owner's services.
    pub services: Vec<String>,
    pub via: Via,
}

impl Principal {
    /// The services this caller is limited to (`None`: every service).
    pub fn service_filter(&self) -> Option<Vec<String>> {
        (self.role == Role::ServiceOwner).then(|| self.services.clone())
    }

    /// Whether this caller may see an exposure decided into `service`.
    pub fn sees(&self, service: Option<&str>) -> bool {
        match self.role {
            Role::ServiceOwner => service.is_some_and(|s| self.services.iter().any(|x| x == s)),
            _ => true,
        }
    }

    pub fn can_import(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Analyst)
    }

    pub fn can_run(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Analyst)
    }

    /// Risk is accepted by analysts and admins, and by a service owner for
    /// their own services (they own that risk); auditors never change state.
    pub fn can_accept_risk(&self, service: Option<&str>) -> bool {
        match self.role {
            Role::Admin | Role::Analyst => true,
            Role::ServiceOwner => self.sees(service),
            Role::Auditor => false,
        }
    }

    pub fn can_export_evidence(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Analyst | Role::Auditor)
    }

    pub fn can_manage_access(&self) -> bool {
        self.role == Role::Admin
    }

    /// The CSRF token a form must carry (sessions only).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => "",
        }
    }

    /// Checks a state-changing request made with a cookie carries the
    /// session's CSRF token; token-authenticated requests need none.
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), ApiError> {
        match &self.via {
            Via::Token => Ok(()),
            Via::Session { csrf, .. } => {
                if given.is_some_and(|g| constant_time_eq(g.as_bytes(), csrf.as_bytes())) {
                    Ok(())
                } else {
                    Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "missing or wrong CSRF token: reload the page and try again",
                    ))
                }
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lowercase hex SHA-256 of a secret.
pub fn sha256_hex(s: &str) -> String {
    ctem_model::fingerprint::hex(&Sha256::digest(s.as_bytes()))
}

/// `n` random bytes as lowercase hex, from the operating system.
pub fn random_hex(n: usize) -> Result<String, String> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness from the operating system: {e}"))?;
    Ok(ctem_model::fingerprint::hex(&b))
}

/// A new API token: `ctem_` and 64 hex characters (256 bits).
pub fn new_token() -> Result<String, String> {
    Ok(format!("ctem_{}", random_hex(32)?))
}

/// An argon2id PHC string for a password (default parameters: 19 MiB,
/// 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| format!("no randomness from the operating system: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| format!("salt: {e}"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` matches the stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that a wrong
/// user name costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Finds the principal of a request: a bearer token first, else the session
/// cookie. `Ok(None)` when neither is present or valid.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Option<Principal>, ApiError> {
    let now = ctem_model::now();
    if let Some(token) = bearer(parts) {
        let digest = sha256_hex(token);
        let rec = state
            .db(move |s| Ok(s.token_by_hash(&digest, now)?))
            .await?;
        if let Some(t) = &rec
            && state.should_touch_token(t.id, now)
        {
            let id = t.id;
            state.db(move |s| Ok(s.touch_token(id, now)?)).await?;
        }
        // A wrong token is an error, not an anonymous request.
        let rec = rec.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unknown, revoked or expired API token",
            )
        })?;
        let role =
            Role::parse(&rec.role).ok_or_else(|| ApiError::internal("token with unknown role"))?;
        return Ok(Some(Principal {
            actor: format!("token:{}", rec.name),
            name: rec.name,
            role,
            services: rec.services,
            via: Via::Token,
        }));
    }
    if let Some(cookie) = cookie_value(parts, SESSION_COOKIE) {
        let digest = sha256_hex(cookie);
        let d2 = digest.clone();
        let sess = state.db(move |s| Ok(s.session(&d2, now)?)).await?;
        if let Some(sess) = sess {
            let role = Role::parse(&sess.user.role)
                .ok_or_else(|| ApiError::internal("user with unknown role"))?;
            return Ok(Some(Principal {
                actor: format!("user:{}", sess.user.username),
                name: sess.user.username,
                role,
                services: sess.user.services,
                via: Via::Session {
                    csrf: sess.csrf,
                    id_sha256: digest,
                },
            }));
        }
    }
    Ok(None)
}

/// An API caller: 401 without credentials; state-changing requests made
/// with a cookie must send `X-CSRF-Token`.
pub struct ApiUser(pub Principal);

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let p = authenticate(state, parts)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let given = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            p.check_csrf(given)?;
        }
        Ok(ApiUser(p))
    }
}

/// A dashboard visitor: without a session they are sent to the login page.
/// Forms check their `csrf` field themselves.
pub struct WebUser(pub Principal);

impl FromRequestParts<Arc<AppState>> for WebUser {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, axum::response::Response> {
        use axum::response::IntoResponse;
        match authenticate(state, parts).await {
            Ok(Some(p)) => Ok(WebUser(p)),
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = format!("/login?next={}", crate::html::url_encode(next));
                Err(axum::response::Redirect::to(&to).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Where a request comes from (for login limits).
pub fn client_ip(parts_addr: Option<SocketAddr>) -> String {
    parts_addr
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Failed logins per key (client address, user name) in a sliding window.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Failures allowed per client address in [`WINDOW`].
pub const MAX_PER_IP: u32 = 20;
/// Failures allowed per user name in [`WINDOW`].
pub const MAX_PER_USER: u32 = 5;
/// The window of the login limits.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginLimiter {
    /// `Err(seconds)` when a key is over its limit.
    pub fn check(&self, ip: &str, user: &str) -> Result<(), u64> {
        let Ok(mut m) = self.failures.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        m.retain(|_, (_, at)| now.duration_since(*at) < WINDOW);
        for (key, max) in [
            (format!("ip:{ip}"), MAX_PER_IP),
            (format!("user:{user}"), MAX_PER_USER),
        ] {
            if let Some((n, at)) = m.get(&key)
                && *n >= max
            {
                let left = WINDOW.saturating_sub(now.duration_since(*at));
                return Err(left.as_secs().max(1));
            }
        }
        Ok(())
    }

    pub fn failed(&self, ip: &str, user: &str) {
        if let Ok(mut m) = self.failures.lock() {
            let now = Instant::now();
            for key in [format!("ip:{ip}"), format!("user:{user}")] {
                let e = m.entry(key).or_insert((0, now));
                e.0 += 1;
            }
        }
    }

    pub fn succeeded(&self, user: &str) {
        if let Ok(mut m) = self.failures.lock() {
            m.remove(&format!("user:{user}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_wrong_ones_do_not() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn tokens_are_random_and_long() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 5 + 64);
        assert_eq!(sha256_hex(&a).len(), 64);
    }

    #[test]
    fn limiter_blocks_after_the_user_limit_and_success_resets() {
        let l = LoginLimiter::default();
        for _ in 0..MAX_PER_USER {
            assert!(l.check("127.0.0.1", "alice").is_ok());
            l.failed("127.0.0.1", "alice");
        }
        assert!(l.check("127.0.0.1", "alice").is_err());
        assert!(l.check("127.0.0.1", "bob").is_ok());
        l.succeeded("alice");
        assert!(l.check("127.0.0.1", "alice").is_ok());
    }

    #[test]
    fn roles_parse() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("service-owner"), Some(Role::ServiceOwner));
        assert_eq!(Role::parse("root"), None);
    }
}
