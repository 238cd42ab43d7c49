//! Continuous operation: a *run* re-reads the scope, loads new feed files,
//! ingests new reports from the watched folders (each in its own all-or-
//! nothing transaction; files already imported, by SHA-256, are skipped),
//! re-prioritises, and records itself — success or failure — in the store's
//! cycle log, visible at `/runs` and `GET /api/v1/runs`. One run at a time.

use crate::state::AppState;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What one run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub id: i64,
    pub trigger: String,
    pub status: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub ingested: Vec<serde_json::Value>,
    pub feeds: Vec<serde_json::Value>,
    pub failed: Vec<serde_json::Value>,
    pub skipped: usize,
    pub tiers: Vec<(String, usize)>,
    pub error: Option<String>,
}

/// Parses `90s`, `30m`, `24h`, `7d` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration `{s}`: use e.g. 90s, 30m, 24h or 7d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "invalid duration `{s}`: use e.g. 90s, 30m, 24h or 7d"
            ));
        }
    };
    if n == 0 {
        return Err(format!("invalid duration `{s}`: must be more than zero"));
    }
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}

/// Runs a cycle every `every`, the first one at once.
pub async fn every(state: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run(&state, "schedule", "ctem-serve:schedule").await {
            Ok(r) => eprintln!(
                "ctem serve: run {} {}: {} reports, {} feeds, {} failed",
                r.id,
                r.status,
                r.ingested.len(),
                r.feeds.len(),
                r.failed.len()
            ),
            Err(e) => eprintln!("ctem serve: scheduled run not started: {e}"),
        }
    }
}

fn files_in(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Hidden and partial files are still being written.
        if name.starts_with('.') || name.ends_with(".part") {
            continue;
        }
        if p.is_dir() {
            files_in(&p, out)?;
        } else if p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(ctem_model::fingerprint::hex(&h.finalize()))
}

/// One run now. `Err` only when another run is in progress.
pub async fn run(state: &Arc<AppState>, trigger: &str, actor: &str) -> Result<RunSummary, String> {
    let _guard = state
        .run_lock
        .try_lock()
        .map_err(|_| "a run is already in progress".to_string())?;
    let st = state.clone();
    let trigger = trigger.to_string();
    let actor = actor.to_string();
    let summary = tokio::task::spawn_blocking(move || run_blocking(&st, &trigger, &actor))
        .await
        .map_err(|e| format!("run task failed: {e}"))?;
    state.metrics.runs.fetch_add(1, Ordering::Relaxed);
    state.invalidate().await;
    Ok(summary)
}

/// Loads new feed files, ingests new reports and re-prioritises.
fn run_phases(
    state: &AppState,
    store: &mut ctem_store::Store,
    scope: &ctem_scope::Scope,
    actor: &str,
    s: &mut RunSummary,
) -> Result<(), String> {
    let mut feed_files = Vec::new();
    for d in &state.config.feeds {
        files_in(d, &mut feed_files).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    feed_files.sort();
    for f in feed_files {
        let sha = sha256_file(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        if store.feed_loaded_sha256(&sha).map_err(|e| e.to_string())? {
            s.skipped += 1;
            continue;
        }
        match ctem_engine::load_feed(store, &f, actor) {
            Ok(l) => s.feeds.push(serde_json::to_value(&l).unwrap_or_default()),
            Err(e) => s
                .failed
                .push(serde_json::json!({"file": f.display().to_string(), "error": e.message})),
        }
    }
    let mut reports = Vec::new();
    for d in &state.config.watch {
        files_in(d, &mut reports).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    reports.sort();
    for f in reports {
        let sha = sha256_file(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        if store.imported_sha256(&sha).map_err(|e| e.to_string())? {
            s.skipped += 1;
            continue;
        }
        match ctem_engine::ingest_file(store, &f, actor, ctem_engine::Progress::None) {
            Ok(r) => s.ingested.push(serde_json::json!({
                "file": f.display().to_string(),
                "tool": r.summary.tool,
                "findings": r.summary.findings,
                "new": r.summary.new,
                "resolved": r.summary.resolved,
            })),
            Err(e) => s
                .failed
                .push(serde_json::json!({"file": f.display().to_string(), "error": e.message})),
        }
    }
    let p = ctem_engine::prioritise(store, scope, actor).map_err(|e| e.to_string())?;
    s.tiers = p.tiers;
    Ok(())
}

fn run_blocking(state: &AppState, trigger: &str, actor: &str) -> RunSummary {
    let started_at = ctem_model::now();
    let mut s = RunSummary {
        id: 0,
        trigger: trigger.to_string(),
        status: "ok".into(),
        started_at,
        finished_at: started_at,
        ingested: Vec::new(),
        feeds: Vec::new(),
        failed: Vec::new(),
        skipped: 0,
        tiers: Vec::new(),
        error: None,
    };
    let result = (|| -> Result<(), String> {
        let scope = state.ws.load_scope().map_err(|e| e.to_string())?;
        state.set_scope(scope.clone());
        let mut store = state.ws.open_store().map_err(|e| e.to_string())?;
        // With several `ctem serve` on one PostgreSQL database, one run at a
        // time across all of them: the next waits, then skips what this one
        // loaded (files are recognised by SHA-256).
        store
            .exclusive(|store| {
                Ok::<_, ctem_store::StoreError>(run_phases(state, store, &scope, actor, &mut s))
            })
            .map_err(|e| e.to_string())?
    })();
    if let Err(e) = result {
        s.status = "failed".into();
        s.error = Some(e);
    } else if !s.failed.is_empty() {
        s.status = "partial".into();
    }
    s.finished_at = ctem_model::now();
    let detail = serde_json::json!({
        "trigger": s.trigger,
        "status": s.status,
        "ingested": s.ingested,
        "feeds": s.feeds,
        "failed": s.failed,
        "skipped": s.skipped,
        "tiers": s.tiers,
        "error": s.error,
    });
    match state
        .ws
        .open_store()
        .map_err(|e| e.to_string())
        .and_then(|mut st| {
            st.record_cycle(started_at, s.finished_at, &detail, actor)
                .map_err(|e| e.to_string())
        }) {
        Ok(id) => s.id = id,
        Err(e) => eprintln!("ctem serve: could not record run: {e}"),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }
}
