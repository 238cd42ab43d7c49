//! The append-only, hash-chained audit log.
//!
//! Each entry's hash covers its content and the previous entry's hash
//! ([`ctem_model::AuditEvent::compute_hash`]), so an edited, removed or
//! reordered entry breaks the chain at a place [`Store::verify_audit`] names.

use crate::db::{Tx as Transaction, params};
use crate::{Result, Store};
use ctem_model::AuditEvent;

/// Appends entries inside a caller's transaction, keeping the chain head in
/// memory so that bulk changes do not re-read it.
pub(crate) struct AuditWriter {
    next_seq: i64,
    prev_hash: String,
    actor: String,
}

pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditWriter {
    pub(crate) fn new(tx: &Transaction<'_>, actor: &str) -> crate::db::DbResult<AuditWriter> {
        let head: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                crate::db::DbError::NoRows => Ok(None),
                e => Err(e),
            })?;
        let (next_seq, prev_hash) = match head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS.to_string()),
        };
        Ok(AuditWriter {
            next_seq,
            prev_hash,
            actor: actor.to_string(),
        })
    }

    pub(crate) fn append(
        &mut self,
        tx: &Transaction<'_>,
        at: i64,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
    ) -> crate::db::DbResult<()> {
        let detail = detail.to_string();
        let hash = AuditEvent::compute_hash(
            &self.prev_hash,
            self.next_seq,
            at,
            &self.actor,
            action,
            subject,
            &detail,
        );
        tx.prepare_cached(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            self.next_seq,
            at,
            self.actor,
            action,
            subject,
            detail,
            self.prev_hash,
            hash
        ])?;
        self.next_seq += 1;
        self.prev_hash = hash;
        Ok(())
    }
}

/// The outcome of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditVerification {
    pub entries: i64,
    /// The first problem found, naming the entry.
    pub problem: Option<String>,
}

impl Store {
    /// Appends one audit entry in its own transaction.
    pub fn audit(
        &mut self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let path = self.path.clone();
        let e = |e| crate::db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let mut w = AuditWriter::new(&tx, actor).map_err(e)?;
        w.append(&tx, ctem_model::now(), action, subject, &detail)
            .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Audit entries, oldest first; `limit` keeps the newest ones.
    pub fn audit_log(&self, limit: Option<usize>) -> Result<Vec<AuditEvent>> {
        let sql = "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log
                   ORDER BY seq DESC LIMIT ?1";
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let lim = limit.map(|l| l as i64).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map([lim], |r| {
                let detail: String = r.get(5)?;
                Ok(AuditEvent {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    detail: serde_json::from_str(&detail)
                        .unwrap_or(serde_json::Value::String(detail)),
                    prev_hash: r.get(6)?,
                    hash: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut out = rows
            .collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        out.reverse();
        Ok(out)
    }

    /// Walks the chain and names the first entry that was edited, removed
    /// or reordered.
    pub fn verify_audit(&self) -> Result<AuditVerification> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let mut prev = GENESIS.to_string();
        let mut expected_seq = 1i64;
        let mut entries = 0;
        let mut found: Option<String> = None;
        stmt.query_each([], |r| {
            if found.is_some() {
                return Ok(());
            }
            let get = |i| -> crate::db::DbResult<String> { r.get(i) };
            let seq: i64 = r.get(0)?;
            let at: i64 = r.get(1)?;
            let (actor, action, subject, detail, prev_hash, hash) = (
                get(2)?,
                get(3)?,
                get(4)?,
                get(5)?,
                get(6)?,
                get(7)?,
            );
            entries += 1;
            let problem = if seq != expected_seq {
                Some(format!(
                    "entry {expected_seq} is missing (next entry is {seq}): entries were removed or reordered"
                ))
            } else if prev_hash != prev {
                Some(format!(
                    "entry {seq} does not follow entry {}: an entry before it was removed, edited or reordered",
                    seq - 1
                ))
            } else if AuditEvent::compute_hash(
                &prev_hash, seq, at, &actor, &action, &subject, &detail,
            ) != hash
            {
                Some(format!(
                    "entry {seq} ({action} {subject}) was edited: its hash does not match its content"
                ))
            } else {
                None
            };
            if problem.is_some() {
                found = problem;
                return Ok(());
            }
            prev = hash;
            expected_seq += 1;
            Ok(())
        })
        .map_err(|e| self.err(e))?;
        Ok(AuditVerification {
            entries,
            problem: found,
        })
    }
}
