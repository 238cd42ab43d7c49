//! `ctem feeds update` without `--from`: downloads CISA KEV and FIRST EPSS
//! from the URLs of `[feeds]` in `ctem.toml`, with conditional requests and
//! a cache in the workspace's `feeds/` folder.
//!
//! For each feed:
//!
//! 1. The cache (`feeds/kev.json` or `feeds/epss.csv.gz`) and its metadata
//!    (`feeds/<file>.meta.json`: URL, ETag, Last-Modified, SHA-256, time)
//!    give `If-None-Match` and `If-Modified-Since`.
//! 2. `304 Not Modified` keeps the snapshot in force and records the check.
//!    (When the database has no snapshot of the cached file, for example a
//!    fresh database in an old workspace, the cached file is loaded.)
//! 3. `200 OK` is read up to `feeds.max_mib`, within
//!    `feeds.timeout_seconds`, into `feeds/<file>.part`, then parsed in
//!    full. A body identical to the snapshot in force is recorded as
//!    `unchanged`; a broken or truncated one is rejected: the `.part` file is
//!    removed and the cache, its metadata and the snapshot in force stay
//!    as they were. Only a feed that parsed replaces the cache.
//!
//! Every check is recorded (`feed_checks`, audit `feed.checked`), including
//! rejected ones. Downloads use HTTPS with rustls and the webpki roots;
//! plain HTTP only to loopback hosts (tests, local mirrors). Proxies come
//! from `HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`, never for loopback.

use crate::error::{Error, Result};
use crate::phases::{FeedLoaded, feed_sha256, load_feed_bytes};
use ctem_scope::Scope;
use ctem_scope::feeds::{check_url, is_loopback_host, url_host};
use ctem_store::{FeedCheck, Store};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the cache remembers about a download.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CacheMeta {
    url: String,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    sha256: String,
    fetched_at: String,
}

/// The outcome of downloading one feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedDownload {
    pub feed: String,
    pub url: String,
    /// `new snapshot`, `not modified`, `unchanged` or `rejected`.
    pub outcome: String,
    pub http_status: Option<u16>,
    /// The snapshot loaded, when there is a new one.
    pub loaded: Option<FeedLoaded>,
    /// For `rejected`: why; the previous snapshot stays in force.
    pub error: Option<String>,
    /// Bytes received (0 for 304).
    pub bytes: usize,
}

enum Fetched {
    NotModified,
    Body {
        status: u16,
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// The cache file of a feed inside `feeds/`.
fn cache_name(feed: &str) -> &'static str {
    if feed == "kev" {
        "kev.json"
    } else {
        "epss.csv.gz"
    }
}

fn agent(url: &str, timeout: Duration) -> ureq::Agent {
    let loopback = url_host(url).is_some_and(is_loopback_host);
    let proxy = if loopback {
        None
    } else {
        ureq::Proxy::try_from_env()
    };
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(Duration::from_secs(15).min(timeout)))
        .http_status_as_error(false)
        .https_only(!loopback)
        .max_redirects(5)
        .proxy(proxy)
        .user_agent(concat!(
            "ctem/",
            env!("CARGO_PKG_VERSION"),
            " (+https://github.com/ctem-project/ctem)"
        ))
        .build();
    ureq::Agent::new_with_config(config)
}

/// One conditional GET. Errors name the URL and the cause; they never
/// contain credentials (a URL with user information is refused earlier).
fn fetch(
    url: &str,
    meta: Option<&CacheMeta>,
    timeout: Duration,
    max_bytes: u64,
) -> std::result::Result<Fetched, String> {
    let agent = agent(url, timeout);
    let mut req = agent.get(url).header("Accept", "*/*");
    if let Some(m) = meta {
        if let Some(e) = &m.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(l) = &m.last_modified {
            req = req.header("If-Modified-Since", l);
        }
    }
    let mut resp = req.call().map_err(|e| describe(url, &e, max_bytes))?;
    let status = resp.status().as_u16();
    if status == 304 {
        return Ok(Fetched::NotModified);
    }
    if status != 200 {
        return Err(format!(
            "{url}: HTTP {status} {}",
            resp.status().canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_string());
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(|e| describe(url, &e, max_bytes))?;
    Ok(Fetched::Body {
        status,
        bytes,
        etag,
        last_modified,
    })
}

fn describe(url: &str, e: &ureq::Error, max_bytes: u64) -> String {
    match e {
        ureq::Error::BodyExceedsLimit(_) => format!(
            "{url}: the response is larger than feeds.max_mib ({} MiB)",
            max_bytes >> 20
        ),
        ureq::Error::Timeout(t) => format!("{url}: timed out ({t}); see feeds.timeout_seconds"),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!(
                "{url}: the download was truncated: the connection closed before the whole body arrived"
            )
        }
        other => {
            let msg = other.to_string();
            if msg.to_ascii_lowercase().contains("eof") || msg.contains("closed") {
                format!("{url}: the download was truncated ({msg})")
            } else {
                format!("{url}: {msg}")
            }
        }
    }
}

fn read_meta(path: &Path) -> Option<CacheMeta> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Downloads every feed that has a URL in `[feeds]`, loading new snapshots.
/// A feed that fails does not stop the others; its outcome is `rejected`.
pub fn download_feeds(
    store: &mut Store,
    scope: &Scope,
    feeds_dir: &Path,
    actor: &str,
) -> Result<Vec<FeedDownload>> {
    std::fs::create_dir_all(feeds_dir)
        .map_err(|e| Error::failure(format!("{}: {e}", feeds_dir.display())))?;
    let mut out = Vec::new();
    for (feed, url) in [
        ("kev", scope.feeds.kev_url.as_deref()),
        ("epss", scope.feeds.epss_url.as_deref()),
    ] {
        let Some(url) = url else { continue };
        out.push(download_one(store, scope, feeds_dir, feed, url, actor)?);
    }
    Ok(out)
}

fn download_one(
    store: &mut Store,
    scope: &Scope,
    dir: &Path,
    feed: &str,
    url: &str,
    actor: &str,
) -> Result<FeedDownload> {
    let cache: PathBuf = dir.join(cache_name(feed));
    let meta_path = dir.join(format!("{}.meta.json", cache_name(feed)));
    let part = dir.join(format!("{}.part", cache_name(feed)));
    let now = ctem_model::now();
    let in_force = store.latest_feed(feed)?;
    // Conditional headers only when the cache holds what they describe.
    let meta = read_meta(&meta_path)
        .filter(|m| m.url == url && cache.is_file())
        .filter(|m| {
            std::fs::read(&cache)
                .map(|b| feed_sha256(&b) == m.sha256)
                .unwrap_or(false)
        });
    let mut result = FeedDownload {
        feed: feed.into(),
        url: url.into(),
        outcome: String::new(),
        http_status: None,
        loaded: None,
        error: None,
        bytes: 0,
    };
    let fetched = match check_url(url) {
        Err(e) => Err(e),
        Ok(()) => fetch(
            url,
            meta.as_ref(),
            Duration::from_secs(scope.feeds.timeout_seconds),
            scope.feeds.max_bytes,
        ),
    };
    let reject = |store: &mut Store, mut r: FeedDownload, why: String| -> Result<FeedDownload> {
        let _ = std::fs::remove_file(&part);
        let why = format!("{why}\nthe previous snapshot stays in force");
        r.outcome = "rejected".into();
        r.error = Some(why.clone());
        store.record_feed_check(
            &FeedCheck {
                feed: feed.into(),
                url: url.into(),
                checked_at: now,
                outcome: r.outcome.clone(),
                http_status: r.http_status,
                snapshot_id: store.latest_feed(feed)?.map(|s| s.id),
                detail: why,
            },
            actor,
        )?;
        Ok(r)
    };
    match fetched {
        Err(e) => reject(store, result, e),
        Ok(Fetched::NotModified) => {
            result.http_status = Some(304);
            let cached_sha = meta.as_ref().map(|m| m.sha256.clone()).unwrap_or_default();
            if in_force.as_ref().is_some_and(|s| s.sha256 == cached_sha) {
                result.outcome = "not modified".into();
            } else {
                // The server says our cache is current but the database does
                // not hold it: load the cached copy.
                let bytes = std::fs::read(&cache)?;
                match load_feed_bytes(store, &bytes, url, Some(feed), actor) {
                    Ok(l) => {
                        result.outcome = "new snapshot".into();
                        result.loaded = Some(l);
                    }
                    Err(e) => return reject(store, result, e.message),
                }
            }
            store.record_feed_check(
                &FeedCheck {
                    feed: feed.into(),
                    url: url.into(),
                    checked_at: now,
                    outcome: result.outcome.clone(),
                    http_status: Some(304),
                    snapshot_id: store.latest_feed(feed)?.map(|s| s.id),
                    detail: "304 Not Modified: the cached copy is current".into(),
                },
                actor,
            )?;
            Ok(result)
        }
        Ok(Fetched::Body {
            status,
            bytes,
            etag,
            last_modified,
        }) => {
            result.http_status = Some(status);
            result.bytes = bytes.len();
            let sha = feed_sha256(&bytes);
            if in_force.as_ref().is_some_and(|s| s.sha256 == sha) {
                result.outcome = "unchanged".into();
            } else {
                std::fs::write(&part, &bytes)
                    .map_err(|e| Error::failure(format!("{}: {e}", part.display())))?;
                match load_feed_bytes(store, &bytes, url, Some(feed), actor) {
                    Ok(l) => {
                        result.outcome = "new snapshot".into();
                        result.loaded = Some(l);
                    }
                    Err(e) => return reject(store, result, e.message),
                }
            }
            if part.exists() {
                std::fs::rename(&part, &cache)
                    .map_err(|e| Error::failure(format!("{}: {e}", cache.display())))?;
            } else if !cache.is_file() || meta.is_none() {
                std::fs::write(&cache, &bytes)
                    .map_err(|e| Error::failure(format!("{}: {e}", cache.display())))?;
            }
            let m = CacheMeta {
                url: url.into(),
                etag,
                last_modified,
                sha256: sha,
                fetched_at: ctem_model::fmt_time(now),
            };
            std::fs::write(
                &meta_path,
                serde_json::to_string_pretty(&m).unwrap_or_default(),
            )
            .map_err(|e| Error::failure(format!("{}: {e}", meta_path.display())))?;
            store.record_feed_check(
                &FeedCheck {
                    feed: feed.into(),
                    url: url.into(),
                    checked_at: now,
                    outcome: result.outcome.clone(),
                    http_status: Some(status),
                    snapshot_id: store.latest_feed(feed)?.map(|s| s.id),
                    detail: format!("{} bytes", bytes.len()),
                },
                actor,
            )?;
            Ok(result)
        }
    }
}
