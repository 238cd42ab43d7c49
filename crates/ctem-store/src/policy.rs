//! Policy versions and feed download checks (migration 0003).
//!
//! `ctem prioritise` records the policy it used whenever its version or
//! content differs from the last run's, with an audit entry naming what
//! changed; `ctem feeds update` records every download check, including
//! the ones that found nothing new or were rejected.

use crate::audit::AuditWriter;
use crate::db::{OptionalExtension, params};
use crate::{Result, Store, db_err};
use serde::Serialize;

/// A policy as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyRecord {
    pub id: i64,
    pub version: String,
    /// SHA-256 of the canonical content.
    pub hash: String,
    /// The canonical content, JSON.
    pub content: String,
    pub first_used: i64,
}

/// One download check of a feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedCheck {
    pub feed: String,
    pub url: String,
    pub checked_at: i64,
    /// `new snapshot`, `not modified`, `unchanged` or `rejected`.
    pub outcome: String,
    pub http_status: Option<u16>,
    /// The snapshot in force after the check.
    pub snapshot_id: Option<i64>,
    pub detail: String,
}

impl Store {
    /// The policy of the last prioritisation, if any.
    pub fn latest_policy(&self) -> Result<Option<PolicyRecord>> {
        self.conn
            .query_row(
                "SELECT id, version, hash, content, first_used FROM policy_versions ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(PolicyRecord {
                        id: r.get(0)?,
                        version: r.get(1)?,
                        hash: r.get(2)?,
                        content: r.get(3)?,
                        first_used: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Records a policy now in force and audits it in the same transaction:
    /// `policy.adopted` for the first one, `policy.changed` (with `detail`:
    /// old and new version and hash, and what changed) afterwards.
    pub fn record_policy(
        &mut self,
        rec: &PolicyRecord,
        detail: &serde_json::Value,
        actor: &str,
    ) -> Result<i64> {
        let first = self.latest_policy()?.is_none();
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let id = tx.insert(
            "INSERT INTO policy_versions (version, hash, content, first_used) VALUES (?1, ?2, ?3, ?4)",
            params![rec.version, rec.hash, rec.content, rec.first_used],
        )
        .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        let action = if first {
            "policy.adopted"
        } else {
            "policy.changed"
        };
        audit
            .append(&tx, rec.first_used, action, &rec.version, detail)
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Records a feed download check and audits it (`feed.checked`).
    pub fn record_feed_check(&mut self, check: &FeedCheck, actor: &str) -> Result<()> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "INSERT INTO feed_checks (feed, url, checked_at, outcome, http_status, snapshot_id, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                check.feed,
                check.url,
                check.checked_at,
                check.outcome,
                check.http_status,
                check.snapshot_id,
                check.detail
            ],
        )
        .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                check.checked_at,
                "feed.checked",
                &check.feed,
                &serde_json::to_value(check).unwrap_or_default(),
            )
            .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// The newest download check of a feed.
    pub fn last_feed_check(&self, feed: &str) -> Result<Option<FeedCheck>> {
        self.conn
            .query_row(
                "SELECT feed, url, checked_at, outcome, http_status, snapshot_id, detail
                 FROM feed_checks WHERE feed = ?1 ORDER BY id DESC LIMIT 1",
                [feed],
                |r| {
                    Ok(FeedCheck {
                        feed: r.get(0)?,
                        url: r.get(1)?,
                        checked_at: r.get(2)?,
                        outcome: r.get(3)?,
                        http_status: r.get(4)?,
                        snapshot_id: r.get(5)?,
                        detail: r.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}
