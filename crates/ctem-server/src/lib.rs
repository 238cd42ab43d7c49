//! `ctem serve`: the REST API, the web dashboard, access control and
//! scheduled cycles over one ctem workspace.
//!
//! The server is a thin HTTP layer over `ctem-engine` (the same phases the
//! CLI runs) and `ctem-store` (through its model-typed API only, so nothing
//! here depends on SQLite). Handlers never block the async runtime: every
//! store call runs on the blocking pool with a pooled connection.
//!
//! - [`api`]: `/api/v1` (JSON), described by `openapi.json`.
//! - [`ui`]: the server-rendered dashboard (no scripts needed).
//! - [`auth`]: roles, API tokens, password sessions, CSRF, login limits.
//! - [`schedule`]: recorded runs (re-ingest watched folders, re-prioritise).
//! - [`metrics`]: Prometheus text format.
//!
//! **Architecture invariant:** the only crate (besides `ctem`) that knows
//! HTTP; it holds no SQL and no policy logic.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod error;
mod html;
pub mod metrics;
mod multipart;
mod pool;
pub mod schedule;
pub mod state;
pub mod ui;
mod ui_admin;

pub use error::ApiError;
pub use state::{AppState, ServeConfig};

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

/// The whole application: API, dashboard, health and metrics.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(api::router())
        .merge(ui::router())
        .route("/healthz", axum::routing::get(api::healthz))
        .route("/readyz", axum::routing::get(api::readyz))
        .route("/metrics", axum::routing::get(metrics::handler))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Binds the listener: separate from [`run`] so that tests (and callers who
/// pass port 0) learn the address before serving.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

/// Serves until Ctrl-C (or SIGTERM), running the schedule if configured.
pub async fn run(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    if let Some(every) = state.config.schedule {
        let s = state.clone();
        tokio::spawn(async move { schedule::every(s, every).await });
    }
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
