//! The CTEM loop wired together over a workspace.
//!
//! This is the one crate that calls the pure crates (parsers, intel, graph,
//! policy, mobilisation, report) and the store together. The `ctem` binary
//! and the server call the same functions, so a phase behaves the same from
//! the command line, an API call or a scheduled cycle. Nothing here prints,
//! except ingest progress lines on request.

#![forbid(unsafe_code)]

pub mod attack;
pub mod changes;
pub mod download;
pub mod error;
pub mod evidence;
pub mod exec_report;
pub mod mobilisation;
mod phases;
pub mod probe;
pub mod workspace;

pub use changes::{PolicyChange, change_reason};
pub use download::{FeedDownload, download_feeds};
pub use error::{Error, ErrorKind, Result};
pub use phases::*;
pub use workspace::{DB_FILE, SCOPE_FILE, STARTER_SCOPE, Workspace, load_scope_file};
