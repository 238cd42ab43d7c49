//! One import of one scanner report, as one transaction.
//!
//! Asset identity resolution happens here because it needs the inventory:
//! a finding's identifiers ([`ctem_model::AssetIdentity::identifiers`]) are
//! tried strongest first (cloud id, image digest, image, repository, URL,
//! FQDN, IP, short host name); the first one already known names the asset,
//! otherwise a new asset is created under [`ctem_model::asset_key`]. Every
//! identifier seen is then recorded for that asset, so the same host seen by
//! Nessus (IP and FQDN) and by Trivy (host name) becomes one asset.
//!
//! The cycle diff is computed at commit: an exposure previously reported by
//! this tool on an asset this report covered, and absent from it, loses
//! this tool's evidence; with no active evidence left it is resolved.

use crate::audit::AuditWriter;
use crate::{Result, Store, sqlite_err};
use ctem_model::{AssetIdentity, ExposureStatus, Finding, asset_key};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// What is being imported.
#[derive(Debug, Clone)]
pub struct ImportMeta {
    pub tool: String,
    pub format: String,
    pub file: String,
    pub sha256: String,
    pub actor: String,
    pub at: i64,
}

/// The result of an import: the cycle diff for this source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub import_id: i64,
    pub tool: String,
    pub format: String,
    pub file: String,
    pub findings: u64,
    /// Distinct exposures in this report.
    pub exposures: u64,
    /// Findings that repeated an exposure already in this report.
    pub duplicates: u64,
    pub assets: u64,
    pub new_assets: u64,
    pub new: u64,
    pub reopened: u64,
    pub unchanged: u64,
    pub resolved: u64,
}

/// An import in progress. Nothing is visible to others until
/// [`ImportTx::commit`]; dropping it rolls everything back.
pub struct ImportTx<'a> {
    tx: Transaction<'a>,
    path: PathBuf,
    meta: ImportMeta,
    audit: AuditWriter,
    asset_cache: HashMap<String, String>,
    covered_assets: HashSet<String>,
    seen: HashSet<String>,
    /// Tools whose evidence this import is a complete snapshot of.
    tools: HashSet<String>,
    summary: ImportSummary,
}

impl Store {
    /// Starts an import; see [`ImportTx`].
    pub fn begin_import(&mut self, meta: ImportMeta) -> Result<ImportTx<'_>> {
        let path = self.path.clone();
        let e = |e| sqlite_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "INSERT INTO imports (tool, format, file, sha256, started_at, finished_at, findings,
                exposures, assets, new, reopened, resolved, unchanged)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0, 0, 0, 0, 0, 0, 0)",
            params![meta.tool, meta.format, meta.file, meta.sha256, meta.at],
        )
        .map_err(e)?;
        let import_id = tx.last_insert_rowid();
        let audit = AuditWriter::new(&tx, &meta.actor).map_err(e)?;
        let summary = ImportSummary {
            import_id,
            tool: meta.tool.clone(),
            format: meta.format.clone(),
            file: meta.file.clone(),
            ..Default::default()
        };
        Ok(ImportTx {
            tx,
            path,
            meta,
            audit,
            asset_cache: HashMap::new(),
            covered_assets: HashSet::new(),
            seen: HashSet::new(),
            tools: HashSet::new(),
            summary,
        })
    }
}

impl ImportTx<'_> {
    fn e(&self) -> impl Fn(rusqlite::Error) -> crate::StoreError + '_ {
        move |e| sqlite_err(&self.path, e)
    }

    /// Names the tool(s) and format of the report once the parser knows
    /// them. Several tools (a SARIF file with several runs) are separated by
    /// `, `.
    pub fn set_source(&mut self, tool: &str, format: &str) {
        for t in tool.split(", ").filter(|t| !t.is_empty()) {
            self.tools.insert(t.to_string());
        }
        self.meta.tool = tool.to_string();
        self.meta.format = format.to_string();
        self.summary.tool = tool.to_string();
        self.summary.format = format.to_string();
    }

    /// Resolves (creating if needed) the asset for an identity, and marks it
    /// covered by this import.
    pub fn cover(&mut self, identity: &AssetIdentity) -> Result<String> {
        let identifiers = identity.identifiers();
        let mut found = None;
        for id in &identifiers {
            if let Some(a) = self.asset_cache.get(id) {
                found = Some(a.clone());
                break;
            }
        }
        if found.is_none() {
            for id in &identifiers {
                let hit: Option<String> = self
                    .tx
                    .prepare_cached("SELECT asset_id FROM asset_identifiers WHERE identifier = ?1")
                    .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
                    .map_err(self.e())?;
                if hit.is_some() {
                    found = hit;
                    break;
                }
            }
        }
        let at = self.meta.at;
        let asset_id = match found {
            Some(a) => a,
            None => {
                let key = asset_key(identity);
                let exists: Option<String> = self
                    .tx
                    .prepare_cached("SELECT id FROM assets WHERE id = ?1")
                    .and_then(|mut s| s.query_row([&key], |r| r.get(0)).optional())
                    .map_err(self.e())?;
                if exists.is_none() {
                    let kind = identity.kind.unwrap_or(ctem_model::AssetKind::Host);
                    let json = serde_json::to_string(identity).unwrap_or_else(|_| "{}".into());
                    self.tx
                        .prepare_cached(
                            "INSERT INTO assets (id, kind, name, identity, first_seen, last_seen)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![
                                key,
                                kind.as_str(),
                                identity.display_name(),
                                json,
                                at
                            ])
                        })
                        .map_err(self.e())?;
                    self.summary.new_assets += 1;
                    self.audit
                        .append(
                            &self.tx,
                            at,
                            "asset.new",
                            &key,
                            &serde_json::json!({"kind": kind.as_str(), "source": self.meta.tool}),
                        )
                        .map_err(self.e())?;
                }
                key
            }
        };
        if self.covered_assets.insert(asset_id.clone()) {
            self.summary.assets += 1;
            self.merge_identity(&asset_id, identity)?;
        }
        for id in identifiers {
            if !self.asset_cache.contains_key(&id) {
                self.tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO asset_identifiers (identifier, asset_id) VALUES (?1, ?2)",
                    )
                    .and_then(|mut s| s.execute(params![id, asset_id]))
                    .map_err(self.e())?;
                self.asset_cache.insert(id, asset_id.clone());
            }
        }
        Ok(asset_id)
    }

    /// Adds what this observation knows about the asset to what the
    /// inventory knew, and moves its last-seen time.
    fn merge_identity(&mut self, asset_id: &str, identity: &AssetIdentity) -> Result<()> {
        let stored: Option<String> = self
            .tx
            .prepare_cached("SELECT identity FROM assets WHERE id = ?1")
            .and_then(|mut s| s.query_row([asset_id], |r| r.get(0)).optional())
            .map_err(self.e())?;
        let mut merged: AssetIdentity = stored
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let fill = |dst: &mut Option<String>, src: &Option<String>| {
            if dst.is_none() {
                dst.clone_from(src);
            }
        };
        fill(&mut merged.hostname, &identity.hostname);
        fill(&mut merged.fqdn, &identity.fqdn);
        fill(&mut merged.ip, &identity.ip);
        fill(&mut merged.cloud_id, &identity.cloud_id);
        fill(&mut merged.cloud_account, &identity.cloud_account);
        fill(&mut merged.image, &identity.image);
        fill(&mut merged.image_digest, &identity.image_digest);
        fill(&mut merged.repository, &identity.repository);
        fill(&mut merged.url, &identity.url);
        if merged.kind.is_none() {
            merged.kind = identity.kind;
        }
        for t in &identity.tags {
            if !merged.tags.contains(t) {
                merged.tags.push(t.clone());
            }
        }
        let json = serde_json::to_string(&merged).unwrap_or_else(|_| "{}".into());
        self.tx
            .prepare_cached(
                "UPDATE assets SET identity = ?2, last_seen = MAX(last_seen, ?3) WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![asset_id, json, self.meta.at]))
            .map_err(self.e())?;
        Ok(())
    }

    /// Adds one finding: resolves its asset, merges it into its exposure and
    /// records this tool's evidence.
    pub fn add(&mut self, f: &Finding) -> Result<()> {
        self.summary.findings += 1;
        if !self.tools.contains(&f.tool) {
            self.tools.insert(f.tool.clone());
        }
        let asset_id = self.cover(&f.asset)?;
        let id = f.fingerprint_on(&asset_id);
        let at = self.meta.at;
        let import_id = self.summary.import_id;
        if !self.seen.insert(id.clone()) {
            self.summary.duplicates += 1;
            return Ok(());
        }
        self.summary.exposures += 1;
        let status: Option<String> = self
            .tx
            .prepare_cached("SELECT status FROM exposures WHERE id = ?1")
            .and_then(|mut s| s.query_row([&id], |r| r.get(0)).optional())
            .map_err(self.e())?;
        match status.as_deref().and_then(ExposureStatus::parse) {
            None => {
                let weakness = serde_json::to_string(&f.weakness).unwrap_or_else(|_| "{}".into());
                let component = f
                    .component
                    .as_ref()
                    .and_then(|c| serde_json::to_string(c).ok());
                self.tx
                    .prepare_cached(
                        "INSERT INTO exposures (id, asset_id, weakness_kind, weakness_id, weakness,
                            component, title, severity, cvss_vector, cvss_score, port, location,
                            first_seen, last_seen, status, status_changed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, 'open', ?13)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            asset_id,
                            f.weakness.kind.as_str(),
                            f.weakness.id,
                            weakness,
                            component,
                            f.title,
                            f.severity.as_str(),
                            f.cvss_vector,
                            f.cvss_score,
                            f.port,
                            f.location,
                            at
                        ])
                    })
                    .map_err(self.e())?;
                self.summary.new += 1;
                self.audit
                    .append(
                        &self.tx,
                        at,
                        "exposure.new",
                        &id,
                        &serde_json::json!({"weakness": f.weakness.id, "asset": asset_id, "source": f.tool}),
                    )
                    .map_err(self.e())?;
            }
            Some(old) => {
                if old == ExposureStatus::FixPending {
                    // Closure verification: the rescan still shows it.
                    let reason = format!("still reported by {} in import {import_id}", f.tool);
                    self.summary.reopened += 1;
                    crate::graph_sources::settle_claim(&self.tx, &id, false, &reason, at)
                        .map_err(self.e())?;
                    self.tx
                        .prepare_cached("UPDATE exposures SET status = 'open', status_changed_at = ?2 WHERE id = ?1")
                        .and_then(|mut s| s.execute(params![id, at]))
                        .map_err(self.e())?;
                    self.audit
                        .append(
                            &self.tx,
                            at,
                            "exposure.fix_failed",
                            &id,
                            &serde_json::json!({"reason": reason, "source": f.tool, "import": import_id}),
                        )
                        .map_err(self.e())?;
                } else if old == ExposureStatus::Resolved {
                    self.summary.reopened += 1;
                    self.audit
                        .append(
                            &self.tx,
                            at,
                            "exposure.reopened",
                            &id,
                            &serde_json::json!({"source": f.tool, "import": import_id}),
                        )
                        .map_err(self.e())?;
                } else {
                    self.summary.unchanged += 1;
                }
                // A later report may know the vector or score the first one
                // lacked; what a source gave is never overwritten.
                self.tx
                    .prepare_cached(
                        "UPDATE exposures SET last_seen = MAX(last_seen, ?2),
                            status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END,
                            status_changed_at = CASE WHEN status = 'resolved' THEN ?2 ELSE status_changed_at END,
                            cvss_vector = COALESCE(cvss_vector, ?3),
                            cvss_score = COALESCE(cvss_score, ?4),
                            port = COALESCE(port, ?5)
                         WHERE id = ?1",
                    )
                    .and_then(|mut s| s.execute(params![id, at, f.cvss_vector, f.cvss_score, f.port]))
                    .map_err(self.e())?;
            }
        }
        self.tx
            .prepare_cached(
                "INSERT INTO evidence (exposure_id, tool, first_import, last_import, first_seen, last_seen, active, rule_id)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?4, 1, ?5)
                 ON CONFLICT (exposure_id, tool) DO UPDATE SET
                    last_import = excluded.last_import, last_seen = excluded.last_seen, active = 1",
            )
            .and_then(|mut s| s.execute(params![id, f.tool, import_id, at, f.rule_id]))
            .map_err(self.e())?;
        Ok(())
    }

    /// Computes the cycle diff, records the import and commits.
    pub fn commit(mut self) -> Result<ImportSummary> {
        let at = self.meta.at;
        let import_id = self.summary.import_id;
        // Exposures this tool reported earlier on the assets this report
        // covered, and that it no longer reports.
        self.tx
            .execute_batch("CREATE TEMP TABLE IF NOT EXISTS covered (asset_id TEXT PRIMARY KEY); DELETE FROM covered;")
            .map_err(self.e())?;
        for a in &self.covered_assets {
            self.tx
                .prepare_cached("INSERT OR IGNORE INTO covered (asset_id) VALUES (?1)")
                .and_then(|mut s| s.execute([a]))
                .map_err(|e| sqlite_err(&self.path, e))?;
        }
        let mut tools: Vec<&String> = self.tools.iter().collect();
        tools.sort();
        for tool in tools {
            self.tx
                .execute(
                    "UPDATE evidence SET active = 0
                     WHERE tool = ?1 AND active = 1 AND last_import < ?2
                       AND exposure_id IN (SELECT e.id FROM exposures e JOIN covered c ON c.asset_id = e.asset_id)",
                    params![tool, import_id],
                )
                .map_err(|e| sqlite_err(&self.path, e))?;
        }
        let gone: Vec<String> = {
            let mut stmt = self
                .tx
                .prepare(
                    "SELECT e.id FROM exposures e JOIN covered c ON c.asset_id = e.asset_id
                     WHERE e.status IN ('open', 'fix_pending')
                       AND NOT EXISTS (SELECT 1 FROM evidence v WHERE v.exposure_id = e.id AND v.active = 1)",
                )
                .map_err(self.e())?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(self.e())?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
                .map_err(self.e())?
        };
        for id in &gone {
            self.tx
                .prepare_cached("UPDATE exposures SET status = 'resolved', status_changed_at = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute(params![id, at]))
                .map_err(|e| sqlite_err(&self.path, e))?;
            // A pending fix claim is verified by the complete rescan.
            crate::graph_sources::settle_claim(
                &self.tx,
                id,
                true,
                &format!(
                    "absent from a complete rescan by {} (import {import_id})",
                    self.meta.tool
                ),
                at,
            )
            .map_err(|e| sqlite_err(&self.path, e))?;
            self.audit
                .append(
                    &self.tx,
                    at,
                    "exposure.resolved",
                    id,
                    &serde_json::json!({"reason": "absent from a complete rescan", "source": self.meta.tool, "import": import_id}),
                )
                .map_err(|e| sqlite_err(&self.path, e))?;
        }
        self.summary.resolved = gone.len() as u64;
        let s = &self.summary;
        self.tx
            .execute(
                "UPDATE imports SET finished_at = ?2, findings = ?3, exposures = ?4, assets = ?5,
                    new = ?6, reopened = ?7, resolved = ?8, unchanged = ?9, tool = ?10, format = ?11
                 WHERE id = ?1",
                params![
                    import_id,
                    ctem_model::now().max(at),
                    s.findings as i64,
                    s.exposures as i64,
                    s.assets as i64,
                    s.new as i64,
                    s.reopened as i64,
                    s.resolved as i64,
                    s.unchanged as i64,
                    self.meta.tool,
                    self.meta.format
                ],
            )
            .map_err(self.e())?;
        let detail = serde_json::to_value(&self.summary).unwrap_or_default();
        self.audit
            .append(&self.tx, at, "import", &self.meta.file, &detail)
            .map_err(|e| sqlite_err(&self.path, e))?;
        self.tx
            .execute_batch("DROP TABLE covered")
            .map_err(self.e())?;
        let path = self.path.clone();
        let summary = self.summary.clone();
        self.tx.commit().map_err(|e| sqlite_err(&path, e))?;
        Ok(summary)
    }
}
