//! Runs the store's test suite on every backend: SQLite always, PostgreSQL
//! when `CTEM_TEST_POSTGRES_URL` is set (`.ci/run` sets it). Without it the
//! PostgreSQL variants print that they were skipped — never silently.
//!
//! Each PostgreSQL test works in a schema of its own, created for it and
//! dropped afterwards, so tests run in parallel on one database.

#![allow(dead_code)]

use ctem_store::Store;
use std::cell::RefCell;

#[derive(Clone)]
enum Current {
    Sqlite,
    Postgres { url: String, schema: String },
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// A fresh, empty store on the backend the current test runs on.
pub fn fresh() -> Store {
    let current = CURRENT.with(|c| c.borrow().clone());
    match current {
        None | Some(Current::Sqlite) => Store::open_in_memory().expect("in-memory store"),
        Some(Current::Postgres { url, schema }) => {
            Store::open_postgres(&url, Some(&schema)).expect("PostgreSQL store")
        }
    }
}

/// Another connection to the same database as the current test's store.
pub fn reconnect() -> Option<Store> {
    let current = CURRENT.with(|c| c.borrow().clone());
    match current {
        Some(Current::Postgres { url, schema }) => {
            Some(Store::open_postgres(&url, Some(&schema)).expect("PostgreSQL store"))
        }
        _ => None,
    }
}

/// True when the current test runs on PostgreSQL.
pub fn is_postgres() -> bool {
    CURRENT.with(|c| matches!(*c.borrow(), Some(Current::Postgres { .. })))
}

pub fn run_sqlite(test: fn()) {
    CURRENT.with(|c| *c.borrow_mut() = Some(Current::Sqlite));
    test();
}

/// A schema name unique to this test and process.
pub fn schema_for(test: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let short: String = test
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(36)
        .collect();
    format!(
        "t_{short}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn run_postgres(name: &str, test: fn()) {
    let Some(url) = ctem_store::testing::postgres_url(name) else {
        return;
    };
    let schema = schema_for(name);
    let _cleanup = ctem_store::testing::TestSchema::new(&url, &schema);
    CURRENT.with(|c| *c.borrow_mut() = Some(Current::Postgres { url, schema }));
    test();
}

/// Declares each listed test function once per backend:
/// `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::backend::run_sqlite(super::$name) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::backend::run_postgres(stringify!($name), super::$name) } )*
        }
    };
}
