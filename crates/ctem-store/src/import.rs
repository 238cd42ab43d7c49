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
//!
//! Speed (docs/performance.md): statements are prepared once and cached;
//! the asset of the previous finding, the identifiers already resolved and
//! the exposures already seen in this import are kept in memory (16 bytes
//! per exposure); an exposure's last-seen time is moved in one statement at
//! commit rather than per finding; and the audit log gets one `import` entry
//! carrying the counts and a digest of the new exposure ids instead of one
//! `exposure.new` entry per exposure (resolved and reopened exposures keep
//! one entry each). [`Store::reimport_unchanged`] records a new snapshot of
//! an identical file without parsing it again.

use crate::audit::AuditWriter;
use crate::db::{OptionalExtension, Tx as Transaction, params};
use crate::{Result, Store, db_err};
use ctem_model::{AssetIdentity, Finding, asset_key};
use serde::Serialize;
use sha2::{Digest, Sha256};
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
    /// Set when the file was identical to an earlier import's (same SHA-256
    /// and parser, still the latest snapshot of its tools): this import is
    /// a new snapshot made without parsing the file again, and this names
    /// the full import whose evidence and covered assets it repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused_import: Option<i64>,
}

/// An import in progress. Nothing is visible to others until
/// [`ImportTx::commit`]; dropping it rolls everything back.
pub struct ImportTx<'a> {
    tx: Transaction<'a>,
    path: PathBuf,
    meta: ImportMeta,
    audit: AuditWriter,
    asset_cache: HashMap<String, String>,
    /// The identity of the previous finding and its asset: consecutive
    /// findings are mostly on the same asset.
    last_asset: Option<(AssetIdentity, String)>,
    covered_assets: HashSet<String>,
    /// What the inventory knew of the exposures on the covered assets when
    /// they were first covered (binary fingerprints).
    known: HashMap<[u8; 16], Known>,
    /// Exposures already seen in this import (binary fingerprints).
    seen: HashSet<[u8; 16]>,
    /// Exposures this import created, for the digest in its audit entry.
    new_ids: Vec<[u8; 16]>,
    /// Tools whose evidence this import is a complete snapshot of.
    tools: HashSet<String>,
    skipped: u64,
    parser: Option<String>,
    summary: ImportSummary,
}

/// Identifiers kept in an import's asset cache before it is emptied.
const ASSET_CACHE_MAX: usize = 32_768;

/// What an import needs to know of an exposure already in the inventory.
#[derive(Debug, Clone, Copy)]
struct Known {
    resolved: bool,
    /// Marked fixed and awaiting confirmation (closure verification).
    fix_pending: bool,
    no_vector: bool,
    no_score: bool,
    no_port: bool,
}

/// The 16 bytes of a 32-hex-digit exposure fingerprint (any other string is
/// hashed, so the key stays unique per id).
fn id_key(id: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let b = id.as_bytes();
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if b.len() == 32 {
        let mut ok = true;
        for (i, o) in out.iter_mut().enumerate() {
            match (nibble(b[2 * i]), nibble(b[2 * i + 1])) {
                (Some(h), Some(l)) => *o = (h << 4) | l,
                _ => ok = false,
            }
        }
        if ok {
            return out;
        }
    }
    let h = Sha256::digest(b);
    out.copy_from_slice(&h[..16]);
    out
}

/// SHA-256 over the sorted ids, as lower-case hex: the digest of the
/// exposures an import created. Recompute it with
/// `SELECT exposure_id FROM evidence GROUP BY exposure_id HAVING MIN(first_import) = ?`.
fn ids_digest(ids: &mut [[u8; 16]]) -> String {
    ids.sort_unstable();
    let mut h = Sha256::new();
    for id in ids.iter() {
        h.update(ctem_model::fingerprint::hex(id).as_bytes());
        h.update(b"\n");
    }
    ctem_model::fingerprint::hex(&h.finalize())
}

impl Store {
    /// Starts an import; see [`ImportTx`].
    pub fn begin_import(&mut self, meta: ImportMeta) -> Result<ImportTx<'_>> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let import_id = tx.insert(
            "INSERT INTO imports (tool, format, file, sha256, started_at, finished_at, findings,
                exposures, assets, new, reopened, resolved, unchanged)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0, 0, 0, 0, 0, 0, 0)",
            params![meta.tool, meta.format, meta.file, meta.sha256, meta.at],
        )
        .map_err(e)?;
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
            last_asset: None,
            covered_assets: HashSet::new(),
            known: HashMap::new(),
            seen: HashSet::new(),
            new_ids: Vec::new(),
            tools: HashSet::new(),
            skipped: 0,
            parser: None,
            summary,
        })
    }
}

impl ImportTx<'_> {
    fn e(&self) -> impl Fn(crate::db::DbError) -> crate::StoreError + '_ {
        move |e| db_err(&self.path, e)
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

    /// Records how many input records the parser deliberately skipped.
    pub fn set_skipped(&mut self, skipped: u64) {
        self.skipped = skipped;
    }

    /// Records the parser (name and version) that read the file; an
    /// identical file is only re-used by [`Store::reimport_unchanged`] for
    /// the same parser.
    pub fn set_parser(&mut self, parser: &str) {
        self.parser = Some(parser.to_string());
    }

    /// Resolves (creating if needed) the asset for an identity, and marks it
    /// covered by this import.
    pub fn cover(&mut self, identity: &AssetIdentity) -> Result<String> {
        if let Some((last, id)) = &self.last_asset
            && last == identity
        {
            return Ok(id.clone());
        }
        let asset_id = self.resolve(identity)?;
        self.last_asset = Some((identity.clone(), asset_id.clone()));
        Ok(asset_id)
    }

    fn resolve(&mut self, identity: &AssetIdentity) -> Result<String> {
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
            self.load_known(&asset_id)?;
        }
        // The cache saves queries, not correctness (identifiers are inserted
        // idempotently), so it is bounded: a scan of 125,000 hosts would
        // otherwise hold half a million identifiers.
        if self.asset_cache.len() > ASSET_CACHE_MAX {
            self.asset_cache.clear();
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

    /// Loads what the inventory knows of the exposures on an asset, once per
    /// asset and import: a finding's exposure is always on its own asset, so
    /// one indexed query per asset replaces one query per finding.
    fn load_known(&mut self, asset_id: &str) -> Result<()> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT id, status = 'resolved', cvss_vector IS NULL, cvss_score IS NULL, port IS NULL,
                        status = 'fix_pending'
                 FROM exposures WHERE asset_id = ?1",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([asset_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Known {
                        resolved: r.get(1)?,
                        no_vector: r.get(2)?,
                        no_score: r.get(3)?,
                        no_port: r.get(4)?,
                        fix_pending: r.get(5)?,
                    },
                ))
            })
            .map_err(|e| db_err(&self.path, e))?;
        for row in rows {
            let (id, k) = row.map_err(|e| db_err(&self.path, e))?;
            self.known.insert(id_key(&id), k);
        }
        Ok(())
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
                "UPDATE assets SET identity = ?2, last_seen = CASE WHEN last_seen > ?3 THEN last_seen ELSE ?3 END WHERE id = ?1",
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
        let key = id_key(&id);
        if !self.seen.insert(key) {
            self.summary.duplicates += 1;
            return Ok(());
        }
        self.summary.exposures += 1;
        let known = self.known.get(&key).copied();
        match known {
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
                self.new_ids.push(key);
            }
            Some(Known {
                resolved: reopen,
                fix_pending,
                no_vector,
                no_score,
                no_port,
            }) => {
                if fix_pending {
                    // Closure verification: the rescan still shows it.
                    let reason = format!("still reported by {} in import {import_id}", f.tool);
                    self.summary.reopened += 1;
                    crate::graph_sources::settle_claim(&self.tx, &id, false, &reason, at)
                        .map_err(self.e())?;
                    self.tx
                        .prepare_cached(
                            "UPDATE exposures SET status = 'open', status_changed_at = ?2 WHERE id = ?1",
                        )
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
                } else if reopen {
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
                // lacked; what a source gave is never overwritten. The
                // last-seen time moves for all exposures at commit.
                let fills = (no_vector && f.cvss_vector.is_some())
                    || (no_score && f.cvss_score.is_some())
                    || (no_port && f.port.is_some());
                if reopen || fills {
                    self.tx
                        .prepare_cached(
                            "UPDATE exposures SET
                                status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END,
                                status_changed_at = CASE WHEN status = 'resolved' THEN ?2 ELSE status_changed_at END,
                                cvss_vector = COALESCE(cvss_vector, ?3),
                                cvss_score = COALESCE(cvss_score, ?4),
                                port = COALESCE(port, ?5)
                             WHERE id = ?1",
                        )
                        .and_then(|mut s| {
                            s.execute(params![id, at, f.cvss_vector, f.cvss_score, f.port])
                        })
                        .map_err(self.e())?;
                }
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
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        // The assets this report covered: recorded with the snapshot (for
        // the unchanged re-import) and joined below.
        self.tx
            .execute_batch("CREATE TEMP TABLE IF NOT EXISTS covered (asset_id TEXT PRIMARY KEY); DELETE FROM covered;")
            .map_err(e)?;
        {
            let mut cov = self
                .tx
                .prepare("INSERT OR IGNORE INTO covered (asset_id) VALUES (?1)")
                .map_err(e)?;
            let mut snap = self
                .tx
                .prepare(
                    "INSERT OR IGNORE INTO import_assets (import_id, asset_id) VALUES (?1, ?2)",
                )
                .map_err(e)?;
            for a in &self.covered_assets {
                cov.execute([a]).map_err(e)?;
                snap.execute(params![import_id, a]).map_err(e)?;
            }
        }
        let mut tools: Vec<&String> = self.tools.iter().collect();
        tools.sort();
        // Evidence this tool gave earlier on the covered assets and no
        // longer gives: the candidates for resolution.
        let mut candidates: Vec<String> = Vec::new();
        for tool in &tools {
            let mut stmt = self
                .tx
                .prepare_cached(
                    "UPDATE evidence SET active = 0
                     WHERE tool = ?1 AND active = 1 AND last_import < ?2
                       AND exposure_id IN (SELECT e.id FROM exposures e JOIN covered c ON c.asset_id = e.asset_id)
                     RETURNING exposure_id",
                )
                .map_err(e)?;
            let rows = stmt
                .query_map(params![tool, import_id], |r| r.get::<_, String>(0))
                .map_err(e)?;
            for r in rows {
                candidates.push(r.map_err(e)?);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut gone = Vec::new();
        for id in candidates {
            let resolved = self
                .tx
                .prepare_cached(
                    "UPDATE exposures SET status = 'resolved', status_changed_at = ?2
                     WHERE id = ?1 AND status IN ('open', 'fix_pending')
                       AND NOT EXISTS (SELECT 1 FROM evidence v WHERE v.exposure_id = ?1 AND v.active = 1)",
                )
                .and_then(|mut s| s.execute(params![id, at]))
                .map_err(e)?;
            if resolved > 0 {
                gone.push(id);
            }
        }
        for id in &gone {
            self.audit
                .append(
                    &self.tx,
                    at,
                    "exposure.resolved",
                    id,
                    &serde_json::json!({"reason": "absent from a complete rescan", "source": self.meta.tool, "import": import_id}),
                )
                .map_err(e)?;
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
            .map_err(e)?;
        }
        self.summary.resolved = gone.len() as u64;
        // Every exposure this report showed was seen now.
        for tool in &tools {
            self.tx
                .prepare_cached(
                    "UPDATE exposures SET last_seen = CASE WHEN last_seen > ?3 THEN last_seen ELSE ?3 END
                     WHERE id IN (SELECT exposure_id FROM evidence WHERE tool = ?1 AND last_import = ?2)",
                )
                .and_then(|mut s| s.execute(params![tool, import_id, at]))
                .map_err(e)?;
        }
        let evidence_tools = tools
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let s = &self.summary;
        self.tx
            .execute(
                "UPDATE imports SET finished_at = ?2, findings = ?3, exposures = ?4, assets = ?5,
                    new = ?6, reopened = ?7, resolved = ?8, unchanged = ?9, tool = ?10, format = ?11,
                    skipped = ?12, evidence_tools = ?13, parser = ?14
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
                    self.meta.format,
                    self.skipped as i64,
                    evidence_tools,
                    self.parser
                ],
            )
            .map_err(e)?;
        let mut detail = serde_json::to_value(&self.summary).unwrap_or_default();
        if let Some(obj) = detail.as_object_mut() {
            obj.insert(
                "new_exposures_sha256".into(),
                ids_digest(&mut self.new_ids).into(),
            );
        }
        self.audit
            .append(&self.tx, at, "import", &self.meta.file, &detail)
            .map_err(e)?;
        self.tx.execute_batch("DROP TABLE covered").map_err(e)?;
        let summary = self.summary.clone();
        self.tx.commit().map_err(e)?;
        Ok(summary)
    }
}

/// The earlier import an identical file may re-use.
struct Previous {
    id: i64,
    /// The full import whose snapshot `id` re-used, if it did.
    reused: Option<i64>,
    tool: String,
    format: String,
    findings: i64,
    exposures: i64,
    assets: i64,
    skipped: i64,
    evidence_tools: Vec<String>,
}

fn split_tools(s: &str) -> Vec<String> {
    s.split(", ")
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

impl Store {
    /// Records a new snapshot of a file identical to an earlier import's,
    /// without parsing it again, when that is exactly what a full import
    /// would do: the latest import with the same SHA-256 was read by the
    /// same `parser` and is still the latest snapshot of each of its tools.
    /// Its exposures and covered assets are then seen now, and nothing is
    /// new, reopened or resolved; `imports.reused_import` names the full
    /// import whose evidence and covered assets this snapshot repeats.
    ///
    /// Returns `None`, having written nothing, when the file must be
    /// imported in full; otherwise the summary (carrying `reused_import`)
    /// and the number of records the parser had skipped.
    pub fn reimport_unchanged(
        &mut self,
        meta: &ImportMeta,
        parser: &str,
    ) -> Result<Option<(ImportSummary, u64)>> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let prev: Option<Previous> = tx
            .query_row(
                "SELECT id, tool, format, findings, exposures, assets, skipped, evidence_tools,
                        reused_import
                 FROM imports WHERE sha256 = ?1 AND parser = ?2 AND evidence_tools IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                params![meta.sha256, parser],
                |r| {
                    Ok(Previous {
                        id: r.get(0)?,
                        tool: r.get(1)?,
                        format: r.get(2)?,
                        findings: r.get(3)?,
                        exposures: r.get(4)?,
                        assets: r.get(5)?,
                        skipped: r.get(6)?,
                        evidence_tools: split_tools(&r.get::<_, String>(7)?),
                        reused: r.get(8)?,
                    })
                },
            )
            .optional()
            .map_err(e)?;
        let Some(prev) = prev else {
            return Ok(None);
        };
        if prev.evidence_tools.is_empty() && prev.findings > 0 {
            return Ok(None);
        }
        // Still the latest snapshot of each of its tools?
        {
            let mut later = tx
                .prepare("SELECT tool, evidence_tools FROM imports WHERE id > ?1")
                .map_err(e)?;
            let rows = later
                .query_map([prev.id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .map_err(e)?;
            for row in rows {
                let (tool, ev) = row.map_err(e)?;
                let theirs = split_tools(ev.as_deref().unwrap_or(&tool));
                if theirs.iter().any(|t| prev.evidence_tools.contains(t)) {
                    return Ok(None);
                }
            }
        }
        // The full import whose evidence and covered assets this snapshot
        // repeats. Its evidence rows keep pointing at it (`last_import`,
        // `last_seen` of the evidence are those of the last full parse); the
        // exposures and assets are seen now.
        let root = prev.reused.unwrap_or(prev.id);
        let at = meta.at;
        let import_id = tx.insert(
            "INSERT INTO imports (tool, format, file, sha256, started_at, finished_at, findings,
                exposures, assets, new, reopened, resolved, unchanged, skipped, evidence_tools,
                parser, reused_import)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, 0, 0, ?8, ?10, ?11, ?12, ?13)",
            params![
                prev.tool,
                prev.format,
                meta.file,
                meta.sha256,
                at,
                ctem_model::now().max(at),
                prev.findings,
                prev.exposures,
                prev.assets,
                prev.skipped,
                prev.evidence_tools.join(", "),
                parser,
                root
            ],
        )
        .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, &meta.actor).map_err(e)?;
        // Nothing reopens: an exposure is only resolved once no evidence of
        // it is active, and only a later import of the same tool (excluded
        // above) deactivates this snapshot's evidence.
        for tool in &prev.evidence_tools {
            tx.execute(
                "UPDATE exposures SET last_seen = ?3
                 WHERE id IN (SELECT exposure_id FROM evidence WHERE tool = ?1 AND last_import = ?2)
                   AND last_seen < ?3",
                params![tool, root, at],
            )
            .map_err(e)?;
        }
        tx.execute(
            "UPDATE assets SET last_seen = ?2
             WHERE id IN (SELECT asset_id FROM import_assets WHERE import_id = ?1) AND last_seen < ?2",
            params![root, at],
        )
        .map_err(e)?;
        let summary = ImportSummary {
            import_id,
            tool: prev.tool,
            format: prev.format,
            file: meta.file.clone(),
            findings: prev.findings as u64,
            exposures: prev.exposures as u64,
            duplicates: (prev.findings - prev.exposures).max(0) as u64,
            assets: prev.assets as u64,
            new_assets: 0,
            new: 0,
            reopened: 0,
            unchanged: prev.exposures.max(0) as u64,
            resolved: 0,
            reused_import: Some(root),
        };
        let detail = serde_json::to_value(&summary).unwrap_or_default();
        audit
            .append(&tx, at, "import", &meta.file, &detail)
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Some((summary, prev.skipped.max(0) as u64)))
    }
}
