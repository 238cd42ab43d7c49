//! A workspace: a directory holding `ctem.toml` (the scope) and `ctem.db`
//! (the store) — or, for team deployments, the scope here and the store in
//! PostgreSQL (`--database postgres://…`, or `CTEM_DATABASE`).

use crate::error::{Error as CliError, ErrorKind as ExitCode};
use ctem_scope::Scope;
use ctem_store::Store;
use std::path::{Path, PathBuf};

pub const SCOPE_FILE: &str = "ctem.toml";
pub const DB_FILE: &str = "ctem.db";

/// A workspace directory.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub dir: PathBuf,
    /// Where the store lives when it is not `ctem.db` in the directory: a
    /// `postgres://` URL or another SQLite file.
    pub database: Option<String>,
}

impl Workspace {
    pub fn new(dir: impl Into<PathBuf>) -> Workspace {
        Workspace {
            dir: dir.into(),
            database: None,
        }
    }

    /// The same workspace with its store elsewhere (`None` keeps `ctem.db`).
    pub fn with_database(mut self, database: Option<String>) -> Workspace {
        self.database = database.filter(|d| !d.trim().is_empty());
        self
    }

    /// The store's location: the database URL or file path.
    pub fn db_location(&self) -> String {
        match &self.database {
            Some(d) => d.clone(),
            None => self.db_path().display().to_string(),
        }
    }

    /// The store's location as shown to people (passwords removed).
    pub fn db_display(&self) -> String {
        ctem_store::redact_url(&self.db_location())
    }

    /// True when the store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database
            .as_deref()
            .is_some_and(ctem_store::is_postgres_url)
    }

    pub fn scope_path(&self) -> PathBuf {
        self.dir.join(SCOPE_FILE)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join(DB_FILE)
    }

    /// Reads and validates `ctem.toml`; mistakes exit with code 3.
    pub fn load_scope(&self) -> Result<Scope, CliError> {
        if !self.scope_path().exists() {
            return Err(self.not_a_workspace());
        }
        load_scope_file(&self.scope_path())
    }

    fn not_a_workspace(&self) -> CliError {
        CliError::new(
            ExitCode::Workspace,
            format!(
                "{} is not a ctem workspace (no {SCOPE_FILE}): run `ctem init` there, or pass --workspace DIR",
                self.dir.display()
            ),
        )
    }

    /// Opens the store; a directory that is not a workspace exits with code 4.
    pub fn open_store(&self) -> Result<Store, CliError> {
        if let Some(db) = &self.database {
            if !self.scope_path().exists() {
                return Err(self.not_a_workspace());
            }
            return Store::open_location(db)
                .map_err(|e| CliError::new(ExitCode::Workspace, e.to_string()));
        }
        if !self.scope_path().exists() && !self.db_path().exists() {
            return Err(self.not_a_workspace());
        }
        Store::open(&self.db_path()).map_err(|e| CliError::new(ExitCode::Workspace, e.to_string()))
    }
}

/// Reads and validates a scope file; mistakes exit with code 3.
pub fn load_scope_file(path: &Path) -> Result<Scope, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            if e.kind() == std::io::ErrorKind::NotFound {
                ExitCode::Workspace
            } else {
                ExitCode::Invalid
            },
            format!("{}: {e}", path.display()),
        )
    })?;
    let mut scope = Scope::parse(&text, &path.display().to_string())
        .map_err(|e| CliError::new(ExitCode::Invalid, e.to_string()))?;
    load_topology_files(path, &mut scope)?;
    Ok(scope)
}

/// Reads the `[topology] files` of a scope (relative to the scope file's
/// folder, the workspace) and merges them into its topology; every mistake
/// of every file is reported at once.
fn load_topology_files(scope_path: &Path, scope: &mut Scope) -> Result<(), CliError> {
    if scope.topology.files.is_empty() {
        return Ok(());
    }
    let base = scope_path.parent().unwrap_or_else(|| Path::new("."));
    let mut texts = Vec::new();
    let mut problems = Vec::new();
    for (file, line, column) in &scope.topology.files {
        let p = base.join(file);
        match std::fs::read_to_string(&p) {
            Ok(t) => texts.push((p.display().to_string(), t)),
            Err(e) => problems.push(format!(
                "{}:{line}:{column}: topology file {}: {e}",
                scope_path.display(),
                p.display()
            )),
        }
    }
    if let Err(errors) = scope.topology.apply_files(&texts) {
        problems.extend(errors.iter().map(|e| e.to_string()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(ExitCode::Invalid, problems.join("\n")))
    }
}

/// The scope `ctem init` writes: a small, valid, commented starting point.
pub const STARTER_SCOPE: &str = r#"# ctem.toml — the scope of this CTEM programme. Every key is documented in
# docs/scope.md; `ctem scope check` validates this file.

[organisation]
name = "Example Ltd"
frameworks = ["ISO27001"]

[owners.platform]
name = "Platform Team"
email = "platform@example.com"

# A business service, its owner and the assets that support it.
[[services]]
id = "web-shop"
name = "Web shop"
owner = "platform"
criticality = 5          # 1 (lowest) to 5 (highest)
crown_jewel = true
regulated_data = ["personal", "payment"]

[[services.assets]]
hostname = ["shop-*.example.com"]
cidr = ["10.0.10.0/24"]

[thresholds]
epss = 0.5
cvss_high = 7.0

[topology]
assumed_breach = []

[[topology.zones]]
id = "dmz"
members = { cidr = ["10.0.10.0/24"] }

[[topology.flows]]
from = "internet"
to = "dmz"
ports = [443]

# What active probes may contact. Nothing outside this list is ever touched.
[probes]
allow = { cidr = ["10.0.10.0/24"] }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: &str = r#"
[organisation]
name = "Test"

[owners.ops]
name = "Ops"

[[services]]
id = "web"
name = "Web"
owner = "ops"
criticality = 3

[[services.assets]]
hostname = ["web-*"]

[topology]
files = ["topology.toml", "missing.toml"]

[[topology.zones]]
id = "app"
members = { cidr = ["10.20.0.0/16"] }
"#;

    #[test]
    fn topology_files_are_read_and_checked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let scope_path = dir.path().join("ctem.toml");
        std::fs::write(&scope_path, SCOPE).expect("write");
        std::fs::write(
            dir.path().join("topology.toml"),
            "[[firewall_rules]]\nfrom = \"internet\"\nto = \"app\"\nports = [443]\naction = \"allow\"\n",
        )
        .expect("write");
        // The missing file is named with its line in ctem.toml.
        let err = load_scope_file(&scope_path).expect_err("missing file");
        let shown = err.to_string();
        assert!(shown.contains("ctem.toml:18:27: topology file"), "{shown}");

        std::fs::write(&scope_path, SCOPE.replace(", \"missing.toml\"", "")).expect("write");
        let scope = load_scope_file(&scope_path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            scope
                .topology
                .flows
                .iter()
                .any(|f| f.from == "internet" && f.to == "app" && f.ports == vec![443])
        );

        std::fs::write(
            dir.path().join("topology.toml"),
            "[[firewall_rules]]\nfrom = \"internet\"\nto = \"app\"\naction = \"maybe\"\n",
        )
        .expect("write");
        let err = load_scope_file(&scope_path).expect_err("bad action");
        assert!(
            err.to_string()
                .contains("topology.toml:4:10: unknown action"),
            "{err}"
        );
    }
}
