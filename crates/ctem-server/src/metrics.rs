//! Prometheus metrics in the text exposition format, written by hand (a
//! handful of counters and one histogram need no exporter crate):
//! requests by route, method and status, request latency, login failures,
//! and the exposure counts of the dashboard's cache. `/metrics` requires a
//! token (any role), since counts per tier are not public.

use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    pub login_failures: AtomicU64,
    pub imports: AtomicU64,
    pub runs: AtomicU64,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            let s = m
                .entry((method.to_string(), route.to_string(), status))
                .or_default();
            s.count += 1;
            s.sum += seconds;
            for (b, le) in s.buckets.iter_mut().zip(BUCKETS) {
                if seconds <= le {
                    *b += 1;
                }
            }
        }
    }
}

/// Middleware: times every request under its route template (never the raw
/// path, so ids do not explode the label set).
pub async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let t = Instant::now();
    let resp = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        resp.status().as_u16(),
        t.elapsed().as_secs_f64(),
    );
    resp
}

fn esc_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn handler(
    State(state): State<Arc<AppState>>,
    ApiUser(_p): ApiUser,
) -> Result<Response, ApiError> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP ctem_http_requests_total HTTP requests answered."
    );
    let _ = writeln!(out, "# TYPE ctem_http_requests_total counter");
    let mut hist = String::new();
    let _ = writeln!(
        hist,
        "# HELP ctem_http_request_duration_seconds Time to answer a request."
    );
    let _ = writeln!(hist, "# TYPE ctem_http_request_duration_seconds histogram");
    if let Ok(m) = state.metrics.requests.lock() {
        for ((method, route, status), s) in m.iter() {
            let labels = format!(
                "method=\"{}\",route=\"{}\",status=\"{status}\"",
                esc_label(method),
                esc_label(route)
            );
            let _ = writeln!(out, "ctem_http_requests_total{{{labels}}} {}", s.count);
            for (b, le) in s.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    hist,
                    "ctem_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {b}"
                );
            }
            let _ = writeln!(
                hist,
                "ctem_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                hist,
                "ctem_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                hist,
                "ctem_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
    }
    out.push_str(&hist);
    for (name, help, v) in [
        (
            "ctem_login_failures_total",
            "Failed dashboard logins.",
            &state.metrics.login_failures,
        ),
        (
            "ctem_imports_total",
            "Reports imported through the API.",
            &state.metrics.imports,
        ),
        (
            "ctem_runs_total",
            "Runs (scheduled or on demand) completed.",
            &state.metrics.runs,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            v.load(Ordering::Relaxed)
        );
    }
    let o = state.overview().await?;
    let t = o.total(None);
    let _ = writeln!(
        out,
        "# HELP ctem_exposures Open exposures with a decision, by tier.\n# TYPE ctem_exposures gauge"
    );
    for (i, n) in t.tiers.iter().enumerate() {
        let _ = writeln!(out, "ctem_exposures{{tier=\"P{}\"}} {n}", i + 1);
    }
    let _ = writeln!(
        out,
        "# HELP ctem_exposures_overdue Exposures past their due date.\n# TYPE ctem_exposures_overdue gauge\nctem_exposures_overdue {}",
        t.overdue
    );
    let _ = writeln!(
        out,
        "# HELP ctem_uptime_seconds Seconds since the server started.\n# TYPE ctem_uptime_seconds gauge\nctem_uptime_seconds {}",
        state.started.elapsed().as_secs()
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}
