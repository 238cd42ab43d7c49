//! The API test suite of `api.rs` on PostgreSQL: every endpoint and role
//! with the store in PostgreSQL (`CTEM_TEST_POSTGRES_URL`; each server in a
//! schema of its own). Without the variable each test prints that it was
//! skipped.

#![allow(clippy::unwrap_used)]

mod common;

/// The backend this binary tests.
const BACKEND: common::Backend = common::Backend::Postgres;

fn backend_ready(test: &str) -> bool {
    common::set_backend(BACKEND, test)
}

include!("api_suite/tests.rs");
