//! Helpers shared by the integration tests: this crate's own fixtures and the
//! real data under `CTEM_FIXTURES`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A file under `crates/ctem-intel/tests/fixtures/`.
pub fn own(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Reads one of this crate's fixtures.
pub fn own_bytes(name: &str) -> Vec<u8> {
    let path = own(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shared fixture root from `CTEM_FIXTURES`. Unset: prints
/// `skipped: CTEM_FIXTURES not set` and returns `None`. Set but missing:
/// panics, because a CI run that silently skips proves nothing. A relative
/// path is taken from the current directory, else from the workspace root
/// (cargo runs tests in the crate directory, `.ci/run` sets it relative to
/// the workspace).
pub fn shared_root() -> Option<PathBuf> {
    let Some(value) = std::env::var_os("CTEM_FIXTURES") else {
        eprintln!("skipped: CTEM_FIXTURES not set");
        return None;
    };
    let given = PathBuf::from(&value);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = if given.is_absolute() {
        vec![given.clone()]
    } else {
        vec![given.clone(), workspace.join(&given)]
    };
    match candidates.into_iter().find(|p| p.is_dir()) {
        Some(p) => Some(p),
        None => panic!(
            "CTEM_FIXTURES={} is set but is not a directory (also tried relative to {})",
            given.display(),
            workspace.display()
        ),
    }
}

/// A file under the shared fixture root; panics if it is missing.
pub fn shared(root: &Path, rel: &str) -> PathBuf {
    let path = root.join(rel);
    assert!(
        path.is_file(),
        "fixture {} is missing under CTEM_FIXTURES",
        path.display()
    );
    path
}
