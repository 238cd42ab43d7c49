//! Reads and writes other than imports: inventory, feeds, validations,
//! decisions, cycles.

use crate::audit::AuditWriter;
use crate::db::{OptionalExtension, OwnedValue, Row, params};
use crate::{Result, Store, db_err};
use ctem_model::{
    Asset, AssetIdentity, AssetKind, Component, Decision, Exposure, ExposureStatus, Severity, Tier,
    ValidationRecord, ValidationState, Weakness,
};
use serde::Serialize;
use std::collections::HashMap;

/// A feed snapshot as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedSnapshot {
    pub id: i64,
    /// `kev` or `epss`.
    pub feed: String,
    /// KEV catalogue version or EPSS model version.
    pub version: String,
    /// KEV release date or EPSS score date.
    pub data_date: i64,
    pub loaded_at: i64,
    pub source: String,
    pub sha256: String,
    pub rows: i64,
}

/// One KEV entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KevRow {
    pub cve: String,
    pub date_added: i64,
    pub due_date: Option<i64>,
    pub ransomware: bool,
    pub vendor: String,
    pub product: String,
    pub name: String,
}

/// One EPSS score as stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EpssRow<'a> {
    pub cve: &'a str,
    pub epss: f64,
    pub percentile: f64,
}

/// An exposure with the asset it is on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureRow {
    pub exposure: Exposure,
    pub asset: Asset,
}

/// An import as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub tool: String,
    pub format: String,
    pub file: String,
    pub started_at: i64,
    pub findings: i64,
    pub new: i64,
    pub resolved: i64,
}

/// A decision whose tier, due date or owner changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionChange {
    pub exposure_id: String,
    pub old_tier: Option<Tier>,
    pub new_tier: Tier,
    pub old_due: Option<i64>,
    pub new_due: Option<i64>,
    /// Why, as the caller explained it (for example the factors that changed).
    pub reason: Option<String>,
}

/// The columns of a decision that re-prioritisation compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionHead {
    pub tier: Tier,
    pub tier_since: i64,
    pub due: Option<i64>,
    pub owner: Option<String>,
    pub decided_at: i64,
    /// Hash of the stored form (`None` for rows written before schema 7).
    pub content_hash: Option<i64>,
}

/// Writes a decision's stored form (its JSON) with the given `decided_at`.
fn write_decision(out: &mut String, d: &Decision, decided_at: i64) {
    let s = if d.decided_at == decided_at {
        serde_json::to_string(d)
    } else {
        let mut d2 = d.clone();
        d2.decided_at = decided_at;
        serde_json::to_string(&d2)
    };
    out.push_str(&s.unwrap_or_else(|_| "{}".into()));
}

/// A stable 64-bit FNV-1a hash of a decision's stored form: equal forms,
/// equal hashes, on every platform and Rust version.
fn content_hash(s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// A completed cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleRecord {
    pub id: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub summary: serde_json::Value,
}

/// Row counts and the audit head: two equal digests mean two equal states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateDigest {
    pub counts: Vec<(String, i64)>,
    pub audit_head: String,
    pub exposures_hash: String,
}

pub(crate) const EXPOSURE_COLS: &str = "e.id, e.asset_id, e.weakness, e.component, e.title, e.severity,
    e.cvss_vector, e.cvss_score, e.port, e.location, e.first_seen, e.last_seen, e.status,
    (SELECT group_concat(tool, ',') FROM (SELECT tool FROM evidence v WHERE v.exposure_id = e.id ORDER BY tool) AS t),
    a.id, a.kind, a.name, a.identity, a.first_seen, a.last_seen";

fn json_err(e: serde_json::Error) -> crate::db::DbError {
    crate::db::DbError::conversion(0, e)
}

fn text_err(what: &str, v: &str) -> crate::db::DbError {
    crate::db::DbError::conversion(0, format!("unknown {what} `{v}`"))
}

pub(crate) fn exposure_row(r: &Row<'_>) -> crate::db::DbResult<ExposureRow> {
    let weakness: String = r.get(2)?;
    let weakness: Weakness = serde_json::from_str(&weakness).map_err(json_err)?;
    let component: Option<String> = r.get(3)?;
    let component: Option<Component> = match component {
        Some(c) => Some(serde_json::from_str(&c).map_err(json_err)?),
        None => None,
    };
    let severity: String = r.get(5)?;
    let status: String = r.get(12)?;
    let sources: Option<String> = r.get(13)?;
    let kind: String = r.get(15)?;
    let identity: String = r.get(17)?;
    let identity: AssetIdentity = serde_json::from_str(&identity).map_err(json_err)?;
    Ok(ExposureRow {
        exposure: Exposure {
            id: r.get(0)?,
            asset_id: r.get(1)?,
            weakness,
            component,
            title: r.get(4)?,
            severity: Severity::parse_loose(&severity)
                .ok_or_else(|| text_err("severity", &severity))?,
            cvss_vector: r.get(6)?,
            cvss_score: r.get(7)?,
            port: r.get(8)?,
            location: r.get(9)?,
            sources: sources
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            first_seen: r.get(10)?,
            last_seen: r.get(11)?,
            status: ExposureStatus::parse(&status).ok_or_else(|| text_err("status", &status))?,
        },
        asset: Asset {
            id: r.get(14)?,
            kind: AssetKind::parse(&kind).ok_or_else(|| text_err("asset kind", &kind))?,
            name: r.get(16)?,
            identity,
            first_seen: r.get(18)?,
            last_seen: r.get(19)?,
        },
    })
}

impl Store {
    /// Exposures with their assets; `active_only` keeps open and fix-pending
    /// ones. Ordered by id, so output is deterministic.
    pub fn exposures(&self, active_only: bool) -> Result<Vec<ExposureRow>> {
        let filter = if active_only {
            "WHERE e.status IN ('open', 'fix_pending')"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {EXPOSURE_COLS} FROM exposures e JOIN assets a ON a.id = e.asset_id {filter} ORDER BY e.id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], exposure_row).map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// One exposure by id or unique id prefix (at least 6 characters).
    pub fn exposure(&self, id_or_prefix: &str) -> Result<Option<ExposureRow>> {
        let sql = format!(
            "SELECT {EXPOSURE_COLS} FROM exposures e JOIN assets a ON a.id = e.asset_id
             WHERE e.id = ?1 OR (length(CAST(?1 AS TEXT)) >= 6 AND e.id LIKE CAST(?1 AS TEXT) || '%') LIMIT 2"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id_or_prefix.to_ascii_lowercase()], exposure_row)
            .map_err(|e| self.err(e))?;
        let mut v = rows
            .collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        if v.len() == 1 {
            Ok(v.pop())
        } else if v.is_empty() {
            Ok(None)
        } else {
            Err(crate::StoreError::Other(format!(
                "exposure id prefix `{id_or_prefix}` is ambiguous: give more characters"
            )))
        }
    }

    /// Number of assets in the inventory.
    pub fn asset_count(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM assets", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Records of past imports, newest first.
    pub fn imports(&self) -> Result<Vec<ImportRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, tool, format, file, started_at, findings, new, resolved FROM imports ORDER BY id DESC")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ImportRecord {
                    id: r.get(0)?,
                    tool: r.get(1)?,
                    format: r.get(2)?,
                    file: r.get(3)?,
                    started_at: r.get(4)?,
                    findings: r.get(5)?,
                    new: r.get(6)?,
                    resolved: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Stores a KEV snapshot; the previous one stays for history.
    pub fn save_kev(&mut self, snap: &FeedSnapshot, rows: &[KevRow], actor: &str) -> Result<i64> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let id = insert_snapshot(&tx, snap).map_err(e)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO kev_entries (snapshot_id, cve, date_added, due_date, ransomware, vendor, product, name)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (snapshot_id, cve) DO UPDATE SET date_added = excluded.date_added,
                        due_date = excluded.due_date, ransomware = excluded.ransomware,
                        vendor = excluded.vendor, product = excluded.product, name = excluded.name",
                )
                .map_err(e)?;
            for r in rows {
                stmt.execute(params![
                    id,
                    r.cve.to_ascii_uppercase(),
                    r.date_added,
                    r.due_date,
                    r.ransomware,
                    r.vendor,
                    r.product,
                    r.name
                ])
                .map_err(e)?;
            }
        }
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                snap.loaded_at,
                "feed.kev",
                &snap.version,
                &serde_json::to_value(snap).unwrap_or_default(),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Stores an EPSS snapshot; the previous one stays for history.
    pub fn save_epss<'a>(
        &mut self,
        snap: &FeedSnapshot,
        rows: impl Iterator<Item = EpssRow<'a>>,
        actor: &str,
    ) -> Result<i64> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let id = insert_snapshot(&tx, snap).map_err(e)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO epss_scores (snapshot_id, cve, epss, percentile) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (snapshot_id, cve) DO UPDATE SET epss = excluded.epss, percentile = excluded.percentile",
                )
                .map_err(e)?;
            for r in rows {
                stmt.execute(params![id, r.cve, r.epss, r.percentile])
                    .map_err(e)?;
            }
        }
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                snap.loaded_at,
                "feed.epss",
                &snap.version,
                &serde_json::to_value(snap).unwrap_or_default(),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// The newest snapshot of a feed (`kev` or `epss`).
    pub fn latest_feed(&self, feed: &str) -> Result<Option<FeedSnapshot>> {
        self.conn
            .query_row(
                "SELECT id, feed, version, data_date, loaded_at, source, sha256, rows FROM feed_snapshots
                 WHERE feed = ?1 ORDER BY id DESC LIMIT 1",
                [feed],
                |r| {
                    Ok(FeedSnapshot {
                        id: r.get(0)?,
                        feed: r.get(1)?,
                        version: r.get(2)?,
                        data_date: r.get(3)?,
                        loaded_at: r.get(4)?,
                        source: r.get(5)?,
                        sha256: r.get(6)?,
                        rows: r.get(7)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// KEV entries of a snapshot, by CVE.
    pub fn kev_entries(&self, snapshot_id: i64) -> Result<HashMap<String, KevRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT cve, date_added, due_date, ransomware, vendor, product, name FROM kev_entries WHERE snapshot_id = ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([snapshot_id], |r| {
                Ok(KevRow {
                    cve: r.get(0)?,
                    date_added: r.get(1)?,
                    due_date: r.get(2)?,
                    ransomware: r.get(3)?,
                    vendor: r.get(4)?,
                    product: r.get(5)?,
                    name: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for r in rows {
            let r = r.map_err(|e| self.err(e))?;
            out.insert(r.cve.clone(), r);
        }
        Ok(out)
    }

    /// EPSS scores of a snapshot for the CVEs that exposures mention.
    pub fn epss_scores_for_exposures(
        &self,
        snapshot_id: i64,
    ) -> Result<HashMap<String, (f64, f64)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.cve, s.epss, s.percentile FROM epss_scores s
                 WHERE s.snapshot_id = ?1 AND s.cve IN (SELECT weakness_id FROM exposures WHERE weakness_kind = 'cve')",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([snapshot_id], |r| {
                Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?)))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<HashMap<_, _>>>()
            .map_err(|e| self.err(e))
    }

    /// Records validation results and audits each one.
    pub fn add_validations(&mut self, records: &[ValidationRecord], actor: &str) -> Result<()> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        for v in records {
            tx.prepare_cached(
                "INSERT INTO validations (exposure_id, state, method, tool, control, reason, evidence, validated_at, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    v.exposure_id,
                    v.state.as_str(),
                    v.method,
                    v.tool,
                    v.control,
                    v.reason,
                    v.evidence,
                    v.validated_at,
                    now
                ])
            })
            .map_err(e)?;
            audit
                .append(
                    &tx,
                    now,
                    "validation",
                    &v.exposure_id,
                    &serde_json::json!({"state": v.state.as_str(), "method": v.method, "tool": v.tool, "control": v.control}),
                )
                .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    /// The latest validation of every exposure that has one.
    pub fn latest_validations(&self) -> Result<HashMap<String, ValidationRecord>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT exposure_id, state, method, tool, control, reason, evidence, validated_at FROM validations
                 ORDER BY exposure_id, validated_at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let state: String = r.get(1)?;
                Ok(ValidationRecord {
                    exposure_id: r.get(0)?,
                    state: ValidationState::parse(&state)
                        .ok_or_else(|| text_err("validation state", &state))?,
                    method: r.get(2)?,
                    tool: r.get(3)?,
                    control: r.get(4)?,
                    reason: r.get(5)?,
                    evidence: r.get(6)?,
                    validated_at: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for r in rows {
            let r = r.map_err(|e| self.err(e))?;
            out.insert(r.exposure_id.clone(), r);
        }
        Ok(out)
    }

    /// The current decision of every exposure that has one.
    pub fn decisions(&self) -> Result<Vec<Decision>> {
        let mut stmt = self
            .conn
            .prepare("SELECT decision FROM decisions ORDER BY tier, score DESC, exposure_id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let s: String = r.get(0)?;
                serde_json::from_str::<Decision>(&s).map_err(json_err)
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Tier, since when, due date and owner of every current decision,
    /// read from their columns (no explanation is parsed): what
    /// re-prioritisation compares against.
    pub fn decision_heads(&self) -> Result<HashMap<String, DecisionHead>> {
        let mut out = HashMap::new();
        self.conn
            .query_each(
                "SELECT exposure_id, tier, tier_since, due, owner, decided_at, content_hash FROM decisions",
                [],
                |r| {
                    let tier: String = r.get(1)?;
                    let tier = Tier::parse(&tier).ok_or_else(|| text_err("tier", &tier))?;
                    out.insert(
                        r.get::<_, String>(0)?,
                        DecisionHead {
                            tier,
                            tier_since: r.get(2)?,
                            due: r.get(3)?,
                            owner: r.get(4)?,
                            decided_at: r.get(5)?,
                            content_hash: r.get(6)?,
                        },
                    );
                    Ok(())
                },
            )
            .map_err(|e| self.err(e))?;
        Ok(out)
    }

    /// The current decision of one exposure.
    pub fn decision(&self, exposure_id: &str) -> Result<Option<Decision>> {
        let s: Option<String> = self
            .conn
            .query_row(
                "SELECT decision FROM decisions WHERE exposure_id = ?1",
                [exposure_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match s {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|e| self.corrupt("decisions", e.to_string())),
        }
    }

    /// Replaces the decisions with a new set, in one transaction, and audits
    /// every change of tier, due date or owner. Returns the changes.
    ///
    /// Only what changed is written: a decision whose stored form would be
    /// the same but for its `decided_at` (same tier, score, factors, feed
    /// dates, path, owner, due date) keeps its row and its `decided_at`,
    /// found by a hash of the stored form (`content_hash`); new and changed
    /// decisions are upserted, and decisions of exposures no longer active
    /// are deleted. At a million exposures an unchanged re-prioritisation
    /// writes almost nothing.
    pub fn save_decisions(
        &mut self,
        decisions: &[Decision],
        reasons: &HashMap<String, String>,
        actor: &str,
    ) -> Result<Vec<DecisionChange>> {
        let previous = self.decision_heads()?;
        self.save_decisions_over(decisions, previous, reasons, actor)
    }

    /// [`Store::save_decisions`] for a caller that has just read
    /// [`Store::decision_heads`] (prioritisation does, to date tier
    /// changes): the million rows are not read a second time.
    pub fn save_decisions_over(
        &mut self,
        decisions: &[Decision],
        mut previous: HashMap<String, DecisionHead>,
        reasons: &HashMap<String, String>,
        actor: &str,
    ) -> Result<Vec<DecisionChange>> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        // The search index: new exposures' words, or every exposure's once
        // after upgrading to schema 8.
        let index_all = !crate::search::ready(&tx).map_err(e)?;
        let mut to_index: Vec<String> = Vec::new();
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        let mut changes = Vec::new();
        const HEAD: &str = "INSERT INTO decisions (exposure_id, tier, score, in_scope, service_id, owner,
            exploitable_intel, reachable, validation, sla_days, due, tier_since, decided_at, policy_version,
            decision, content_hash)";
        const TAIL: &str = "ON CONFLICT (exposure_id) DO UPDATE SET tier = excluded.tier,
            score = excluded.score, in_scope = excluded.in_scope, service_id = excluded.service_id,
            owner = excluded.owner, exploitable_intel = excluded.exploitable_intel,
            reachable = excluded.reachable, validation = excluded.validation,
            sla_days = excluded.sla_days, due = excluded.due, tier_since = excluded.tier_since,
            decided_at = excluded.decided_at, policy_version = excluded.policy_version,
            decision = excluded.decision, content_hash = excluded.content_hash";
        let mut batch: Vec<Vec<OwnedValue>> = Vec::with_capacity(1000);
        let text = |s: &str| OwnedValue::Text(s.to_string());
        let opt_text = |s: &Option<String>| s.as_deref().map_or(OwnedValue::Null, text);
        let opt_int = |v: Option<i64>| v.map_or(OwnedValue::Null, OwnedValue::Int);
        let mut json = String::new();
        for d in decisions {
            let old = previous.remove(&d.exposure_id);
            if index_all || old.is_none() {
                to_index.push(d.exposure_id.clone());
            }
            // The stored form as it would read had it been decided when the
            // stored one was: equal hashes mean nothing but the time changed.
            if let Some(o) = &old
                && o.content_hash.is_some()
            {
                json.clear();
                write_decision(&mut json, d, o.decided_at);
                if Some(content_hash(&json)) == o.content_hash {
                    continue;
                }
            }
            json.clear();
            write_decision(&mut json, d, d.decided_at);
            let hash = content_hash(&json);
            batch.push(vec![
                text(&d.exposure_id),
                text(d.tier.as_str()),
                OwnedValue::Real(d.score),
                OwnedValue::Int(i64::from(d.in_scope)),
                opt_text(&d.service_id),
                opt_text(&d.owner),
                OwnedValue::Int(i64::from(d.exploitable_intel)),
                OwnedValue::Int(i64::from(d.reachable)),
                text(d.validation.as_str()),
                opt_int(d.sla_days.map(i64::from)),
                opt_int(d.due),
                OwnedValue::Int(d.tier_since),
                OwnedValue::Int(d.decided_at),
                text(&d.policy_version),
                OwnedValue::Text(std::mem::take(&mut json)),
                OwnedValue::Int(hash),
            ]);
            if batch.len() == 1000 {
                tx.insert_rows(HEAD, 16, &batch, TAIL).map_err(e)?;
                batch.clear();
            }
            let changed = match &old {
                None => true,
                Some(o) => o.tier != d.tier || o.due != d.due || o.owner != d.owner,
            };
            if changed {
                let rule = d.policy_path.last().cloned().unwrap_or_default();
                audit
                    .append(
                        &tx,
                        now,
                        "decision",
                        &d.exposure_id,
                        &serde_json::json!({
                            "old_tier": old.as_ref().map(|o| o.tier.as_str()),
                            "tier": d.tier.as_str(),
                            "old_due": old.as_ref().and_then(|o| o.due).map(ctem_model::fmt_date),
                            "due": d.due.map(ctem_model::fmt_date),
                            "owner": d.owner,
                            "rule": rule,
                            "policy_version": d.policy_version,
                            "reason": reasons.get(&d.exposure_id),
                        }),
                    )
                    .map_err(e)?;
                changes.push(DecisionChange {
                    exposure_id: d.exposure_id.clone(),
                    old_tier: old.as_ref().map(|o| o.tier),
                    new_tier: d.tier,
                    old_due: old.as_ref().and_then(|o| o.due),
                    new_due: d.due,
                    reason: reasons.get(&d.exposure_id).cloned(),
                });
            }
        }
        tx.insert_rows(HEAD, 16, &batch, TAIL).map_err(e)?;
        // Exposures no longer active (resolved, accepted) lose their decision.
        for id in previous.keys() {
            tx.execute("DELETE FROM decisions WHERE exposure_id = ?1", [id])
                .map_err(e)?;
            crate::search::forget(&tx, id).map_err(e)?;
        }
        crate::search::index(&tx, &to_index).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(changes)
    }

    /// Records a completed cycle.
    pub fn record_cycle(
        &mut self,
        started_at: i64,
        finished_at: i64,
        summary: &serde_json::Value,
        actor: &str,
    ) -> Result<i64> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let id = tx
            .insert(
                "INSERT INTO cycles (started_at, finished_at, summary) VALUES (?1, ?2, ?3)",
                params![started_at, finished_at, summary.to_string()],
            )
            .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(&tx, finished_at, "cycle", &id.to_string(), summary)
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Completed cycles, newest first.
    pub fn cycles(&self) -> Result<Vec<CycleRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, started_at, finished_at, summary FROM cycles ORDER BY id DESC")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let s: String = r.get(3)?;
                Ok(CycleRecord {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                    summary: serde_json::from_str(&s).unwrap_or_default(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// A digest of the whole state, to prove two states equal.
    pub fn state_digest(&self) -> Result<StateDigest> {
        let tables = [
            "imports",
            "assets",
            "asset_identifiers",
            "exposures",
            "evidence",
            "feed_snapshots",
            "kev_entries",
            "epss_scores",
            "validations",
            "decisions",
            "risk_acceptances",
            "cycles",
            "audit_log",
        ];
        let mut counts = Vec::new();
        for t in tables {
            let n: i64 = self
                .conn
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            counts.push((t.to_string(), n));
        }
        let audit_head: String = self
            .conn
            .query_row("SELECT COALESCE(MAX(hash), '') FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, status, last_seen FROM exposures ORDER BY id")
            .map_err(|e| self.err(e))?;
        let mut acc = String::new();
        stmt.query_each([], |r| {
            let id: String = r.get(0)?;
            let st: String = r.get(1)?;
            let ls: i64 = r.get(2)?;
            acc.push_str(&format!("{id}|{st}|{ls}\n"));
            Ok(())
        })
        .map_err(|e| self.err(e))?;
        let exposures_hash = ctem_model::exposure_fingerprint(&acc, "", None, None);
        Ok(StateDigest {
            counts,
            audit_head,
            exposures_hash,
        })
    }
}

fn insert_snapshot(tx: &crate::db::Tx<'_>, s: &FeedSnapshot) -> crate::db::DbResult<i64> {
    tx.insert(
        "INSERT INTO feed_snapshots (feed, version, data_date, loaded_at, source, sha256, rows)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            s.feed,
            s.version,
            s.data_date,
            s.loaded_at,
            s.source,
            s.sha256,
            s.rows
        ],
    )
}
