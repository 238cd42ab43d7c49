//! Test support: a demo workspace prioritised through the engine, users and
//! tokens for every role, the server on 127.0.0.1:0, and a tiny HTTP/1.1
//! client (loopback only).

#![allow(dead_code, clippy::unwrap_used)]

pub mod schema;

use ctem_store::testing::TestSchema;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;

/// An answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): status {} {}", self.status, self.text()))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request; `addr` must be a loopback address.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    assert!(addr.ip().is_loopback(), "tests talk to loopback only");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .ok();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("write");
    s.write_all(body).expect("write body");
    // Read to the end of the body: by Content-Length when given (some
    // servers keep the connection open despite `Connection: close`), else
    // until the peer closes.
    let mut buf = Vec::new();
    let mut tmp = [0u8; 64 * 1024];
    let mut want: Option<usize> = None;
    loop {
        if want.is_none()
            && let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n")
        {
            let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
            want = Some(
                head.lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .map_or(usize::MAX, |n| p + 4 + n),
            );
        }
        if want.is_some_and(|w| buf.len() >= w) {
            break;
        }
        let n = s.read(&mut tmp).expect("read");
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let headers: Vec<(String, String)> = headers;
    let raw = &buf[split + 4..];
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked { dechunk(raw) } else { raw.to_vec() };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&raw[..eol])
                .split(';')
                .next()
                .unwrap_or("")
                .trim(),
            16,
        )
        .unwrap_or(0);
        raw = &raw[eol + 2..];
        if size == 0 || raw.len() < size {
            break;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[(size + 2).min(raw.len())..];
    }
    out
}

pub fn get(addr: SocketAddr, path: &str, token: &str) -> Resp {
    let auth = format!("Bearer {token}");
    request(addr, "GET", path, &[("Authorization", &auth)], b"")
}

pub fn post_json(addr: SocketAddr, path: &str, token: &str, body: &serde_json::Value) -> Resp {
    let auth = format!("Bearer {token}");
    request(
        addr,
        "POST",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

/// A JSON request with any method and a bearer token.
pub fn send_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> Resp {
    let auth = format!("Bearer {token}");
    request(
        addr,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

/// A `multipart/form-data` body of text fields then one file, and its
/// content type.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let b = "----ctemTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, filename, data)) = file {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

/// A form post with a session cookie.
pub fn post_form(addr: SocketAddr, path: &str, cookie: &str, form: &str) -> Resp {
    request(
        addr,
        "POST",
        path,
        &[
            ("Cookie", cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
}

/// The CSRF token of a session.
pub fn csrf_of(addr: SocketAddr, cookie: &str) -> String {
    request(addr, "GET", "/api/v1/me", &[("Cookie", cookie)], b"").json()["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string()
}

/// A running server over a demo workspace.
pub struct Server {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub tokens: std::collections::HashMap<&'static str, String>,
    pub owned_service: String,
    pub state: Arc<ctem_server::AppState>,
    /// The store's location when not `ctem.db` (PostgreSQL runs).
    pub database: Option<String>,
    _rt: tokio::runtime::Runtime,
    _schema: Option<TestSchema>,
}

impl Server {
    /// A connection to the server's store, whichever the backend.
    pub fn store(&self) -> Result<ctem_store::Store, ctem_store::StoreError> {
        match &self.database {
            Some(db) => ctem_store::Store::open_location(db),
            None => ctem_store::Store::open(&self.dir.path().join("ctem.db")),
        }
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Which database a test binary runs its servers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static BACKEND: std::sync::OnceLock<Backend> = std::sync::OnceLock::new();

/// Records the binary's backend; false (after saying so) when a
/// PostgreSQL test cannot run because no database is configured.
pub fn set_backend(backend: Backend, test: &str) -> bool {
    *BACKEND.get_or_init(|| backend) == Backend::Sqlite
        || ctem_store::testing::postgres_url(test).is_some()
}

/// For a PostgreSQL binary: a database URL in a schema of its own, and
/// the guard that drops the schema. Schemas left by killed test runs (or
/// held by the shared server's static) are dropped first.
fn test_database() -> Option<(String, TestSchema)> {
    if BACKEND.get() != Some(&Backend::Postgres) {
        return None;
    }
    let url = ctem_store::testing::postgres_url("the test server")?;
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    TestSchema::drop_stale(&url, "ctemsrv");
    let schema = TestSchema::new(
        &url,
        &format!(
            "ctemsrv_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ),
    );
    Some((schema.location(), schema))
}

/// The demo estate, ingested and prioritised through the engine.
pub fn demo_workspace(dir: &Path, findings: usize) {
    demo_workspace_in(&ctem_engine::Workspace::new(dir), findings)
}

/// The demo estate in a workspace whose store may be elsewhere.
pub fn demo_workspace_in(ws: &ctem_engine::Workspace, findings: usize) {
    let dir = ws.dir.as_path();
    let input = dir.join("input");
    let m = ctem_demo::generate(
        &ctem_demo::DemoOptions {
            findings,
            ..ctem_demo::DemoOptions::default()
        },
        &input,
    )
    .expect("generate");
    std::fs::copy(&m.scope, dir.join("ctem.toml")).expect("scope");
    let scope = ws.load_scope().expect("scope");
    let mut store = ws.open_store().expect("store");
    for r in &m.reports {
        ctem_engine::ingest_file(&mut store, r, "test", ctem_engine::Progress::None)
            .expect("ingest");
    }
    ctem_engine::load_feed(&mut store, &m.kev, "test").expect("kev");
    ctem_engine::load_feed(&mut store, &m.epss, "test").expect("epss");
    for v in &m.validations {
        ctem_engine::import_validations(&mut store, v, "red team", "red_team", "test")
            .expect("validations");
    }
    ctem_engine::prioritise(&mut store, &scope, "test").expect("prioritise");
}

/// Starts a server over a fresh demo workspace, with a token and a user per
/// role (the service owner owns `claims`).
pub fn start(findings: usize) -> Server {
    start_with(findings, |_| {})
}

pub fn start_with(findings: usize, tweak: impl FnOnce(&mut ctem_server::ServeConfig)) -> Server {
    // Deterministic "today" of the demo estate.
    let dir = tempfile::tempdir().expect("dir");
    let (database, schema) = match test_database() {
        Some((db, guard)) => (Some(db), Some(guard)),
        None => (None, None),
    };
    let ws = ctem_engine::Workspace::new(dir.path()).with_database(database.clone());
    demo_workspace_in(&ws, findings);
    let owned = "claims".to_string();
    let mut tokens = std::collections::HashMap::new();
    {
        let mut store = ws.open_store().expect("store");
        let hash = ctem_server::auth::hash_password(PASSWORD).expect("hash");
        for (role, svcs) in [
            ("admin", vec![]),
            ("analyst", vec![]),
            ("service_owner", vec![owned.clone()]),
            ("auditor", vec![]),
        ] {
            let t = ctem_server::auth::new_token().expect("token");
            store
                .create_token(
                    &ctem_server::auth::sha256_hex(&t),
                    role,
                    role,
                    &svcs,
                    None,
                    "test",
                )
                .expect("token");
            tokens.insert(role, t);
            store
                .upsert_user(role, &hash, role, &svcs, "test")
                .expect("user");
        }
    }
    let mut cfg = ctem_server::ServeConfig::new(dir.path().to_path_buf());
    cfg.database = database.clone();
    cfg.pool_size = 4;
    tweak(&mut cfg);
    let state = ctem_server::AppState::open(cfg).expect("open");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(ctem_server::bind("127.0.0.1:0".parse().expect("addr")))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let st = state.clone();
    rt.spawn(async move {
        let _ = ctem_server::run(listener, st).await;
    });
    Server {
        addr,
        dir,
        tokens,
        owned_service: owned,
        state,
        database,
        _rt: rt,
        _schema: schema,
    }
}

/// Signs in through the form; returns the session cookie (`name=value`).
pub fn login(addr: SocketAddr, user: &str, password: &str) -> Resp {
    let body = format!(
        "username={}&password={}&next=%2F",
        user,
        password.replace(' ', "+")
    );
    request(
        addr,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
}

pub fn session_cookie(r: &Resp) -> String {
    let c = r.header("set-cookie").expect("set-cookie");
    c.split(';').next().expect("cookie").to_string()
}
