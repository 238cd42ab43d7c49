//! Versioned schema migrations, applied in order, each in its own
//! transaction, and recorded in `schema_migrations`.

use crate::{Result, Store, StoreError};

/// `(version, name, sql)`, in order. Append; never edit a released one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "import_snapshots",
        include_str!("../migrations/sqlite/0002_import_snapshots.sql"),
    ),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 2;

pub(crate) fn migrate(store: &mut Store) -> Result<()> {
    store
        .conn
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at INTEGER NOT NULL
            )",
        )
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
    for (version, name, sql) in MIGRATIONS {
        if *version <= current {
            continue;
        }
        let path = store.path.clone();
        let tx = store
            .conn
            .transaction()
            .map_err(|e| crate::sqlite_err(&path, e))?;
        tx.execute_batch(sql)
            .map_err(|e| crate::sqlite_err(&path, e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, ctem_model::now()],
        )
        .map_err(|e| crate::sqlite_err(&path, e))?;
        tx.commit().map_err(|e| crate::sqlite_err(&path, e))?;
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
