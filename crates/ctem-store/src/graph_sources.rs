//! Attack-graph sources (SharpHound collections, identity and topology
//! files) and closure verification of exposures marked fixed.
//!
//! A fix claim moves an open exposure to `fix_pending`; it closes
//! (`resolved`) only when a complete rescan no longer shows it or a
//! re-probe shows the weakness gone, and reopens (`open`) with the reason
//! when a rescan or re-probe still finds it. Every step is audited in the
//! same transaction.

use crate::audit::AuditWriter;
use crate::db::{OptionalExtension, Tx as Transaction, params};
use crate::{Result, Store, db_err};
use serde::Serialize;

/// A stored graph source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphSource {
    pub label: String,
    /// `bloodhound`, `identities` or `topology`.
    pub kind: String,
    pub sha256: String,
    pub loaded_at: i64,
    pub actor: String,
    pub objects: i64,
    pub relations: i64,
    /// The parsed content, as JSON.
    #[serde(skip)]
    pub document: String,
}

/// A fix claim and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixClaim {
    pub exposure_id: String,
    pub claimed_at: i64,
    pub actor: String,
    pub note: Option<String>,
    /// `pending`, `verified` or `failed`.
    pub outcome: String,
    pub outcome_at: Option<i64>,
    pub reason: Option<String>,
}

/// Records the outcome of the pending claim of `id`, in `tx`; used by
/// imports too.
pub(crate) fn settle_claim(
    tx: &Transaction<'_>,
    id: &str,
    verified: bool,
    reason: &str,
    at: i64,
) -> crate::db::DbResult<()> {
    tx.prepare_cached(
        "UPDATE fix_claims SET outcome = ?2, outcome_at = ?3, reason = ?4
         WHERE exposure_id = ?1 AND outcome = 'pending'",
    )?
    .execute(params![
        id,
        if verified { "verified" } else { "failed" },
        at,
        reason
    ])?;
    Ok(())
}

impl Store {
    /// Stores a graph source, replacing an earlier one of the same label.
    #[allow(clippy::too_many_arguments)]
    pub fn save_graph_source(
        &mut self,
        label: &str,
        kind: &str,
        sha256: &str,
        objects: i64,
        relations: i64,
        document: &str,
        actor: &str,
    ) -> Result<()> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        tx.execute(
            "INSERT INTO graph_sources (label, kind, sha256, loaded_at, actor, objects, relations, document)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (label) DO UPDATE SET kind = excluded.kind, sha256 = excluded.sha256,
               loaded_at = excluded.loaded_at, actor = excluded.actor, objects = excluded.objects,
               relations = excluded.relations, document = excluded.document",
            params![label, kind, sha256, now, actor, objects, relations, document],
        )
        .map_err(e)?;
        audit
            .append(
                &tx,
                now,
                "graph.source",
                label,
                &serde_json::json!({"kind": kind, "sha256": sha256, "objects": objects, "relations": relations}),
            )
            .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Every stored graph source, by label.
    pub fn graph_sources(&self) -> Result<Vec<GraphSource>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT label, kind, sha256, loaded_at, actor, objects, relations, document
                 FROM graph_sources ORDER BY label",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(GraphSource {
                    label: r.get(0)?,
                    kind: r.get(1)?,
                    sha256: r.get(2)?,
                    loaded_at: r.get(3)?,
                    actor: r.get(4)?,
                    objects: r.get(5)?,
                    relations: r.get(6)?,
                    document: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Marks an open exposure fixed: it becomes `fix_pending` until a
    /// rescan or re-probe confirms it. Returns the status it had; only an
    /// `open` exposure changes.
    pub fn mark_fixed(
        &mut self,
        exposure_id: &str,
        note: Option<&str>,
        actor: &str,
    ) -> Result<Option<String>> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM exposures WHERE id = ?1",
                [exposure_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        if status.as_deref() != Some("open") {
            return Ok(status);
        }
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        tx.execute(
            "UPDATE exposures SET status = 'fix_pending', status_changed_at = ?2 WHERE id = ?1",
            params![exposure_id, now],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT INTO fix_claims (exposure_id, claimed_at, actor, note, outcome) VALUES (?1, ?2, ?3, ?4, 'pending')",
            params![exposure_id, now, actor, note],
        )
        .map_err(e)?;
        audit
            .append(
                &tx,
                now,
                "exposure.fix_claimed",
                exposure_id,
                &serde_json::json!({"note": note}),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(status)
    }

    /// Settles a `fix_pending` exposure after a re-test: `verified` closes
    /// it (`resolved`), otherwise it reopens; `reason` says what the re-test
    /// saw. Returns false when the exposure was not `fix_pending`.
    pub fn settle_fix(
        &mut self,
        exposure_id: &str,
        verified: bool,
        reason: &str,
        actor: &str,
    ) -> Result<bool> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM exposures WHERE id = ?1",
                [exposure_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        if status.as_deref() != Some("fix_pending") {
            return Ok(false);
        }
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        tx.execute(
            "UPDATE exposures SET status = ?3, status_changed_at = ?2 WHERE id = ?1",
            params![exposure_id, now, if verified { "resolved" } else { "open" }],
        )
        .map_err(e)?;
        settle_claim(&tx, exposure_id, verified, reason, now).map_err(e)?;
        audit
            .append(
                &tx,
                now,
                if verified {
                    "exposure.fix_verified"
                } else {
                    "exposure.fix_failed"
                },
                exposure_id,
                &serde_json::json!({"reason": reason}),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(true)
    }

    /// Fix claims, newest first.
    pub fn fix_claims(&self) -> Result<Vec<FixClaim>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT exposure_id, claimed_at, actor, note, outcome, outcome_at, reason
                 FROM fix_claims ORDER BY claimed_at DESC, id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FixClaim {
                    exposure_id: r.get(0)?,
                    claimed_at: r.get(1)?,
                    actor: r.get(2)?,
                    note: r.get(3)?,
                    outcome: r.get(4)?,
                    outcome_at: r.get(5)?,
                    reason: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}
