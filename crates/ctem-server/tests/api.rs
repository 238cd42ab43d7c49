//! The API against a running server on 127.0.0.1:0 over a demo workspace:
//! every endpoint, every role's boundaries (including a service owner
//! asking for another service's exposure by id), uploads, runs, sessions,
//! CSRF, login limits, metrics and the OpenAPI document.

#![allow(clippy::unwrap_used)]

mod common;

/// The backend this binary tests.
const BACKEND: common::Backend = common::Backend::Sqlite;

fn backend_ready(_test: &str) -> bool {
    common::set_backend(BACKEND, _test)
}

include!("api_suite/tests.rs");
