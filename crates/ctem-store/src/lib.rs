//! Persistence for a ctem workspace.
//!
//! **Architecture invariant:** this is the only crate that knows SQL. Its
//! public API speaks in `ctem_model` types and small row structs of its own;
//! no `rusqlite` type crosses it, so a PostgreSQL backend can implement the
//! same API without the phases noticing.
//!
//! The embedded default is one SQLite file per workspace (`ctem.db`) in WAL
//! mode. Schema changes are numbered migrations applied in a transaction at
//! open. Every state change — an import, a new, resolved or reopened
//! exposure, a feed snapshot, a validation, a changed decision — is appended
//! to the hash-chained audit log in the same transaction as the change
//! itself, so the log and the state can never disagree.
//!
//! Imports are all-or-nothing: [`ImportTx`] holds one transaction from the
//! first finding to the commit; dropping it, an error, or a killed process
//! leaves the database exactly as before.

#![forbid(unsafe_code)]

mod audit;
pub mod db;
mod graph_sources;
mod import;
mod migrate;
mod mobilise;
mod policy;
mod queries;
mod search;
pub mod testing;
// ctem serve (issue 7): access control and the dashboard's read models.
mod access;
mod views;

pub use access::{AcceptanceRecord, SessionRecord, TokenRecord, UserRecord};
pub use audit::AuditVerification;
pub use graph_sources::{FixClaim, GraphSource};
pub use import::{ImportMeta, ImportSummary, ImportTx};
pub use migrate::SCHEMA_VERSION;
pub use mobilise::{AcceptanceRow, ExposureHistory, TicketRow};
pub use policy::{FeedCheck, PolicyRecord};
pub use queries::{
    CycleRecord, DecisionChange, DecisionHead, EpssRow, ExposureRow, FeedSnapshot, ImportRecord,
    KevRow, StateDigest,
};
pub use views::{ExposureListRow, ExposurePage, ExposureQuery, ExposureSort, FunnelCounts};

use db::Db;
use std::path::{Path, PathBuf};

/// Errors from the store; they name the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Database {
        path: String,
        #[source]
        source: db::DbError,
    },
    #[error(
        "database {path}: schema version {found} is newer than this ctem understands ({known}); upgrade ctem"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("database {path}: corrupt value in {what}: {detail}")]
    Corrupt {
        path: String,
        what: String,
        detail: String,
    },
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A workspace database.
pub struct Store {
    conn: Db,
    /// The SQLite file, or the PostgreSQL URL with any password removed:
    /// what errors and logs name.
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = rusqlite::Connection::open(path).map_err(|e| db_err(path, e.into()))?;
        let mut store = Store {
            conn: Db::sqlite(conn),
            path: path.to_path_buf(),
        };
        store.configure()?;
        migrate::migrate(&mut store)?;
        Ok(store)
    }

    /// An in-memory store, for tests and `ctem parse`-style dry runs.
    pub fn open_in_memory() -> Result<Store> {
        let path = PathBuf::from(":memory:");
        let conn = rusqlite::Connection::open_in_memory().map_err(|e| db_err(&path, e.into()))?;
        let mut store = Store {
            conn: Db::sqlite(conn),
            path,
        };
        store.configure()?;
        migrate::migrate(&mut store)?;
        Ok(store)
    }

    /// Opens a database by location: a `postgres://` or `postgresql://` URL
    /// (team deployments), or a SQLite file path.
    ///
    /// A `schema=NAME` parameter in the URL keeps everything in that
    /// PostgreSQL schema (created if missing), so several workspaces can
    /// share one database: `postgres://ctem@db:5432/ctem?schema=insurer`.
    pub fn open_location(location: &str) -> Result<Store> {
        if is_postgres_url(location) {
            let (url, schema) = split_schema(location);
            Store::open_postgres(&url, schema.as_deref())
        } else {
            Store::open(Path::new(location))
        }
    }

    /// Connects to PostgreSQL and brings its schema up to date. With
    /// `schema`, everything lives in that schema (created if missing), so
    /// several workspaces — or test runs — can share one database.
    pub fn open_postgres(url: &str, schema: Option<&str>) -> Result<Store> {
        let shown = redact_url(url);
        if let Some(s) = schema
            && (s.is_empty()
                || s.len() > 63
                || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || s.starts_with(|c: char| c.is_ascii_digit()))
        {
            return Err(StoreError::Other(format!(
                "database {shown}: schema name `{s}` must be 1 to 63 letters, digits or underscores, not starting with a digit"
            )));
        }
        let path = PathBuf::from(match schema {
            Some(s) => format!("{shown} (schema {s})"),
            None => shown,
        });
        let conn = Db::postgres(url, schema).map_err(|e| db_err(&path, e))?;
        let mut store = Store { conn, path };
        migrate::migrate(&mut store)?;
        Ok(store)
    }

    /// Runs `f` with every other writer of this database held off (on
    /// PostgreSQL, other `ctem serve` and CLI processes wait for it), for
    /// phases that read, decide and then write — prioritisation — so that
    /// they never write decisions computed from a state another process has
    /// changed meanwhile. On SQLite it simply runs `f`.
    pub fn exclusive<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.conn.lock_writers().map_err(|e| self.err(e))?;
        let out = f(self);
        let unlocked = self.conn.unlock_writers().map_err(|e| self.err(e));
        let out = out?;
        unlocked?;
        Ok(out)
    }

    /// True when the connection is gone (PostgreSQL closed it); a pool
    /// drops such a store instead of reusing it.
    pub fn is_broken(&self) -> bool {
        self.conn.is_closed()
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> db::Backend {
        self.conn.backend()
    }

    fn configure(&mut self) -> Result<()> {
        if self.conn.backend() != db::Backend::Sqlite {
            return Ok(());
        }
        // WAL keeps readers (the dashboard) unblocked during an import;
        // synchronous=NORMAL is durable across process crashes in WAL mode.
        // Reads go through a memory map of the file (up to SQLite's 2 GB
        // cap): a page already in the OS cache costs no read() and no copy
        // into each connection's own cache, which at millions of exposures
        // was a third of a served page's time.
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 10000;
                 PRAGMA cache_size = -65536;
                 PRAGMA mmap_size = 2147418112;",
            )
            .map_err(|e| self.err(e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: db::DbError) -> StoreError {
        db_err(&self.path, e)
    }

    fn corrupt(&self, what: &str, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.display().to_string(),
            what: what.to_string(),
            detail: detail.into(),
        }
    }
}

fn db_err(path: &Path, source: db::DbError) -> StoreError {
    StoreError::Database {
        path: path.display().to_string(),
        source,
    }
}

/// Removes a `schema=` parameter from a PostgreSQL URL, returning it.
fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.strip_prefix("schema=") {
            Some(v) => {
                schema = Some(v.to_string()).filter(|v| !v.is_empty());
                false
            }
            None => !kv.is_empty(),
        })
        .collect();
    if rest.is_empty() {
        (base.to_string(), schema)
    } else {
        (format!("{base}?{}", rest.join("&")), schema)
    }
}

/// True for a `postgres://` or `postgresql://` URL.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A database URL with its password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((creds, host)) => match creds.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{creds}@{host}"),
        },
        None => authority.to_string(),
    };
    // `?password=` in the query string, too.
    let tail = match tail.split_once('?') {
        Some((p, q)) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| {
                    if kv.to_ascii_lowercase().starts_with("password=") {
                        "password=***".to_string()
                    } else {
                        kv.to_string()
                    }
                })
                .collect();
            format!("{p}?{}", q.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(
            redact_url("postgres://ctem:s3cret@db:5432/ctem?schema=x"),
            "postgres://ctem:***@db:5432/ctem?schema=x"
        );
        assert_eq!(
            redact_url("postgresql://db/ctem?user=a&password=s3cret"),
            "postgresql://db/ctem?user=a&password=***"
        );
        assert_eq!(redact_url("postgres://ctem@db/x"), "postgres://ctem@db/x");
        assert_eq!(redact_url("/var/lib/ctem/ctem.db"), "/var/lib/ctem/ctem.db");
    }

    #[test]
    fn the_schema_parameter_is_ours_not_the_drivers() {
        assert_eq!(
            split_schema("postgres://db/ctem?schema=lab&sslmode=disable"),
            (
                "postgres://db/ctem?sslmode=disable".to_string(),
                Some("lab".to_string())
            )
        );
        assert_eq!(
            split_schema("postgres://db/ctem?schema=lab"),
            ("postgres://db/ctem".to_string(), Some("lab".to_string()))
        );
        assert_eq!(
            split_schema("postgres://db/ctem"),
            ("postgres://db/ctem".to_string(), None)
        );
        assert!(is_postgres_url("postgresql://x/y") && !is_postgres_url("ctem.db"));
    }

    #[test]
    fn bad_schema_names_are_refused_before_connecting() {
        let err = Store::open_postgres("postgres://nobody@127.0.0.1:1/x", Some("a;drop"))
            .expect_err("refused");
        assert!(err.to_string().contains("schema name `a;drop`"), "{err}");
    }
}
