//! Versioned schema migrations, applied in order, each in its own
//! transaction, and recorded in `schema_migrations`.

use crate::db::Backend;
use crate::{Result, Store, StoreError};

/// One entry per schema version, in order: the same file name under
/// `migrations/sqlite/` and `migrations/postgres/` (the same tables, columns
/// and indexes in each backend's spelling, so every query runs on both).
/// Append; never edit a released one.
macro_rules! migrations {
    ($(($version:literal, $name:literal, $file:literal)),* $(,)?) => {
        const MIGRATIONS: &[(i64, &str, &str)] = &[
            $(($version, $name, include_str!(concat!("../migrations/sqlite/", $file)))),*
        ];
        const PG_MIGRATIONS: &[(i64, &str, &str)] = &[
            $(($version, $name, include_str!(concat!("../migrations/postgres/", $file)))),*
        ];
    };
}

migrations!(
    (1, "initial", "0001_initial.sql"),
    (2, "import_snapshots", "0002_import_snapshots.sql"),
    (
        3,
        "policy versions and feed checks",
        "0003_policy_and_feed_checks.sql"
    ),
    (
        4,
        "attack graph sources and closure verification",
        "0004_attack_graph_and_closure.sql"
    ),
    (5, "mobilisation", "0005_mobilisation.sql"),
    (6, "server", "0006_server.sql"),
    (7, "decision content hash", "0007_decision_hash.sql"),
    (8, "exposure search terms", "0008_exposure_terms.sql"),
);

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 8;

/// Advisory lock held while a PostgreSQL schema is migrated, so that two
/// `ctem serve` starting together do not both apply the same migration.
use crate::db::PG_MIGRATION_LOCK;

pub(crate) fn migrate(store: &mut Store) -> Result<()> {
    let postgres = store.conn.backend() == Backend::Postgres;
    if postgres {
        store
            .conn
            .execute_batch(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))
            .map_err(|e| store.err(e))?;
    }
    let result = migrate_locked(store, postgres);
    if postgres {
        let unlock = store
            .conn
            .execute_batch(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))
            .map_err(|e| store.err(e));
        result?;
        unlock?;
        return Ok(());
    }
    result
}

fn migrate_locked(store: &mut Store, postgres: bool) -> Result<()> {
    store
        .conn
        .execute_batch(if postgres {
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )"
        } else {
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at INTEGER NOT NULL
            )"
        })
        .map_err(|e| store.err(e))?;
    let current: i64 = store
        .conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(|e| store.err(e))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: store.path.display().to_string(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    // Apply every known migration not yet recorded, in order, rather than
    // only those above the highest recorded: migrations developed on
    // parallel branches land with interleaved numbers.
    let applied: std::collections::HashSet<i64> = {
        let mut stmt = store
            .conn
            .prepare("SELECT version FROM schema_migrations")
            .map_err(|e| store.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, i64>(0))
            .map_err(|e| store.err(e))?;
        rows.collect::<crate::db::DbResult<_>>()
            .map_err(|e| store.err(e))?
    };
    let migrations = if postgres { PG_MIGRATIONS } else { MIGRATIONS };
    for (version, name, sql) in migrations {
        if applied.contains(version) {
            continue;
        }
        let path = store.path.clone();
        let tx = store
            .conn
            .transaction()
            .map_err(|e| crate::db_err(&path, e))?;
        tx.execute_batch(sql).map_err(|e| crate::db_err(&path, e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            crate::db::params![version, name, ctem_model::now()],
        )
        .map_err(|e| crate::db_err(&path, e))?;
        tx.commit().map_err(|e| crate::db_err(&path, e))?;
    }
    Ok(())
}

impl Store {
    /// The schema version of this database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }
}
