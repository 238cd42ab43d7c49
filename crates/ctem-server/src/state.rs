//! The server's shared state: configuration, the store pool, the scope, a
//! short-lived cache of the dashboard's counts, and the run lock.

use crate::auth::LoginLimiter;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::pool::Pool;
use ctem_engine::Workspace;
use ctem_scope::Scope;
use ctem_store::{FunnelCounts, Store};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How `ctem serve` runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub workspace: PathBuf,
    /// The store when not the workspace's ctem.db: a `postgres://` URL for
    /// team deployments (several `ctem serve` on one database).
    pub database: Option<String>,
    /// Run a cycle this often (re-ingest watched folders, re-prioritise).
    pub schedule: Option<Duration>,
    /// Folders of scanner reports a run ingests (new files only, by SHA-256).
    pub watch: Vec<PathBuf>,
    /// Folders of KEV/EPSS files a run loads (new files only, by SHA-256).
    pub feeds: Vec<PathBuf>,
    /// Largest accepted report upload.
    pub max_upload_bytes: u64,
    /// Mark the session cookie `Secure` (set when TLS terminates in front).
    pub secure_cookies: bool,
    /// Store connections.
    pub pool_size: usize,
    /// How long cached dashboard counts may be served.
    pub cache_ttl: Duration,
}

impl ServeConfig {
    pub fn new(workspace: PathBuf) -> ServeConfig {
        ServeConfig {
            workspace,
            database: None,
            schedule: None,
            watch: Vec::new(),
            feeds: Vec::new(),
            max_upload_bytes: 1 << 30,
            secure_cookies: false,
            pool_size: 8,
            cache_ttl: Duration::from_secs(30),
        }
    }
}

/// Counts behind the funnel, KPIs and the SLA board, computed in one pass.
#[derive(Debug, Clone)]
pub struct Overview {
    pub counts: Vec<FunnelCounts>,
    pub computed_at: i64,
}

impl Overview {
    /// The counts summed over the services a caller may see (`None`: all).
    pub fn total(&self, services: Option<&[String]>) -> FunnelCounts {
        let mut t = FunnelCounts::default();
        for c in &self.counts {
            let visible = match services {
                None => true,
                Some(list) => c.service_id.as_ref().is_some_and(|s| list.contains(s)),
            };
            if !visible {
                continue;
            }
            for (a, b) in t.stages.iter_mut().zip(c.stages) {
                *a += b;
            }
            for (a, b) in t.tiers.iter_mut().zip(c.tiers) {
                *a += b;
            }
            t.overdue += c.overdue;
            t.due_7d += c.due_7d;
        }
        t
    }
}

/// Everything handlers share.
pub struct AppState {
    pub config: ServeConfig,
    pub ws: Workspace,
    pool: Arc<Pool>,
    scope: RwLock<Arc<Scope>>,
    overview: Mutex<Option<(Instant, Arc<Overview>)>>,
    report: tokio::sync::Mutex<Option<Arc<ctem_report::ReportData>>>,
    refreshing: std::sync::atomic::AtomicBool,
    pub run_lock: tokio::sync::Mutex<()>,
    pub limiter: LoginLimiter,
    pub metrics: Metrics,
    pub started: Instant,
    /// When this server last recorded each API token's use (token id →
    /// Unix seconds), so a busy client's reads stay reads: the store notes
    /// a use at most once a minute anyway, and asking it costs a write
    /// statement (on SQLite, the write lock) per request.
    touched: Mutex<std::collections::HashMap<i64, i64>>,
}

impl AppState {
    /// Opens the workspace: the scope must be valid and the store must open
    /// (and migrate) before the server answers anything.
    pub fn open(config: ServeConfig) -> Result<Arc<AppState>, ctem_engine::Error> {
        let ws = Workspace::new(&config.workspace).with_database(config.database.clone());
        let scope = ws.load_scope()?;
        drop(ws.open_store()?);
        Ok(Arc::new(AppState {
            pool: Arc::new(Pool::new(ws.db_location(), config.pool_size)),
            ws,
            scope: RwLock::new(Arc::new(scope)),
            overview: Mutex::new(None),
            report: tokio::sync::Mutex::new(None),
            refreshing: std::sync::atomic::AtomicBool::new(false),
            run_lock: tokio::sync::Mutex::new(()),
            limiter: LoginLimiter::default(),
            metrics: Metrics::default(),
            started: Instant::now(),
            touched: Mutex::new(std::collections::HashMap::new()),
            config,
        }))
    }

    /// Runs `f` with a store connection on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Whether token `id`'s use at `now` should be written to the store
    /// (not within a minute of this server's last write for it); records
    /// `now` when it says yes.
    pub fn should_touch_token(&self, id: i64, now: i64) -> bool {
        let Ok(mut m) = self.touched.lock() else {
            return true;
        };
        match m.get(&id) {
            Some(&t) if t >= now - 60 => false,
            _ => {
                if m.len() > 10_000 {
                    m.clear();
                }
                m.insert(id, now);
                true
            }
        }
    }

    /// The scope in force.
    pub fn scope(&self) -> Arc<Scope> {
        self.scope
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Replaces the scope (a run re-reads `ctem.toml`).
    pub fn set_scope(&self, scope: Scope) {
        match self.scope.write() {
            Ok(mut s) => *s = Arc::new(scope),
            Err(p) => *p.into_inner() = Arc::new(scope),
        }
    }

    /// Forgets cached counts and report data after a change.
    pub async fn invalidate(&self) {
        if let Ok(mut o) = self.overview.lock() {
            *o = None;
        }
        *self.report.lock().await = None;
    }

    /// Funnel, tier and SLA counts, cached for `cache_ttl`, so pages do not
    /// scan the decisions (a scan takes seconds at a million exposures).
    /// After a change made by this server the next request recomputes them;
    /// when they merely age past the TTL, the stale counts are served while
    /// one background task refreshes them, so no request waits for the scan.
    pub async fn overview(self: &Arc<Self>) -> Result<Arc<Overview>, ApiError> {
        let cached = self.overview.lock().ok().and_then(|o| o.clone());
        if let Some((at, v)) = cached {
            if at.elapsed() >= self.config.cache_ttl
                && !self
                    .refreshing
                    .swap(true, std::sync::atomic::Ordering::AcqRel)
            {
                let me = self.clone();
                tokio::spawn(async move {
                    let _ = me.compute_overview().await;
                    me.refreshing
                        .store(false, std::sync::atomic::Ordering::Release);
                });
            }
            return Ok(v);
        }
        self.compute_overview().await
    }

    async fn compute_overview(&self) -> Result<Arc<Overview>, ApiError> {
        let now = ctem_model::now();
        let counts = self.db(move |s| Ok(s.funnel_counts(now)?)).await?;
        let v = Arc::new(Overview {
            counts,
            computed_at: now,
        });
        if let Ok(mut o) = self.overview.lock() {
            *o = Some((Instant::now(), v.clone()));
        }
        Ok(v)
    }

    /// The engine's report data (remediation actions, feeds, warnings).
    /// Computed once per change: it reads every decision.
    pub async fn report(&self) -> Result<Arc<ctem_report::ReportData>, ApiError> {
        let mut g = self.report.lock().await;
        if let Some(r) = g.as_ref() {
            return Ok(r.clone());
        }
        let scope = self.scope();
        let data = self
            .db(move |s| Ok(ctem_engine::report_data(s, &scope)?))
            .await?;
        let data = Arc::new(data);
        *g = Some(data.clone());
        Ok(data)
    }
}
