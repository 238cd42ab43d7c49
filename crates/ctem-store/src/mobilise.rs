//! Mobilisation state: tickets synced to trackers, risk acceptances and
//! their lifecycle, fix-pending marks from trackers, and the exposure
//! history that KPIs and evidence packs are computed from. Every change is
//! audited in the transaction that makes it.

use crate::audit::AuditWriter;
use crate::db::{OptionalExtension, params};
use crate::{Result, Store, StoreError, db_err};
use ctem_model::{RiskAcceptance, Tier, ValidationState};
use serde::Serialize;
use std::collections::HashMap;

/// One action's ticket in one tracker, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketRow {
    pub action_id: String,
    /// The tracker's configured name.
    pub tracker: String,
    pub key: String,
    pub url: Option<String>,
    pub title: String,
    pub status: String,
    pub closed: bool,
    pub content_hash: String,
    pub remote_closed_at: Option<i64>,
    pub closed_by_ctem: bool,
    pub updated_at: i64,
}

/// A risk acceptance with its lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcceptanceRow {
    pub id: i64,
    #[serde(flatten)]
    pub acceptance: RiskAcceptance,
    pub created_by: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub expired_at: Option<i64>,
}

impl AcceptanceRow {
    /// `active`, `expired` or `revoked` at `now`.
    pub fn state(&self, now: i64) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expired_at.is_some() || self.acceptance.expires_at <= now {
            "expired"
        } else {
            "active"
        }
    }
}

/// What the store knows of one exposure's life, for KPIs and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureHistory {
    pub exposure_id: String,
    pub asset_id: String,
    pub asset_name: String,
    pub weakness_id: String,
    pub cve: Option<String>,
    pub first_seen: i64,
    /// The asset's first sighting by any source.
    pub asset_first_seen: i64,
    /// `open`, `resolved`, `fix_pending`, `accepted`.
    pub status: String,
    /// When a rescan last resolved it (none while active).
    pub resolved_at: Option<i64>,
    /// CISA KEV dateAdded, from the newest KEV snapshot.
    pub kev_date_added: Option<i64>,
    /// Every tier decision in order: (time, tier, due).
    pub tiers: Vec<(i64, Tier, Option<i64>)>,
    /// Every validation in order: (time validated, outcome).
    pub validations: Vec<(i64, ValidationState)>,
    /// Current decision, when the exposure is active.
    pub service_id: Option<String>,
    pub due: Option<i64>,
    pub tier_since: Option<i64>,
}

fn ticket_row(r: &crate::db::Row<'_>) -> crate::db::DbResult<TicketRow> {
    Ok(TicketRow {
        action_id: r.get(0)?,
        tracker: r.get(1)?,
        key: r.get(2)?,
        url: r.get(3)?,
        status: r.get(4)?,
        updated_at: r.get(5)?,
        title: r.get(6)?,
        closed: r.get(7)?,
        content_hash: r.get(8)?,
        remote_closed_at: r.get(9)?,
        closed_by_ctem: r.get(10)?,
    })
}

impl Store {
    /// The tickets of one tracker (or all), by action id.
    pub fn tickets(&self, tracker: Option<&str>) -> Result<Vec<TicketRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT action_id, system, external_key, url, status, updated_at, title, closed,
                        content_hash, remote_closed_at, closed_by_ctem
                 FROM tickets WHERE CAST(?1 AS TEXT) IS NULL OR system = ?1 ORDER BY system, action_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([tracker], ticket_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Records one ticket change (upsert) and audits it with `op`.
    pub fn save_ticket(&mut self, t: &TicketRow, op: &str, actor: &str) -> Result<()> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "INSERT INTO tickets (action_id, system, external_key, url, status, updated_at, title, closed,
                                  content_hash, remote_closed_at, closed_by_ctem)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (action_id, system) DO UPDATE SET
                external_key = excluded.external_key, url = excluded.url, status = excluded.status,
                updated_at = excluded.updated_at, title = excluded.title, closed = excluded.closed,
                content_hash = excluded.content_hash, remote_closed_at = excluded.remote_closed_at,
                closed_by_ctem = excluded.closed_by_ctem",
            params![
                t.action_id,
                t.tracker,
                t.key,
                t.url,
                t.status,
                t.updated_at,
                t.title,
                t.closed,
                t.content_hash,
                t.remote_closed_at,
                t.closed_by_ctem
            ],
        )
        .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                t.updated_at,
                "ticket",
                &t.action_id,
                &serde_json::json!({"tracker": t.tracker, "key": t.key, "op": op, "status": t.status, "closed": t.closed}),
            )
            .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Sets exposures' status (`fix_pending` when a tracker says fixed,
    /// `open` when a scan disproves it) and audits each with the reason.
    /// Only active exposures change.
    pub fn set_exposure_status(
        &mut self,
        ids: &[String],
        status: ctem_model::ExposureStatus,
        reason: &str,
        at: i64,
        actor: &str,
    ) -> Result<usize> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        let mut n = 0;
        for id in ids {
            let changed = tx
                .execute(
                    "UPDATE exposures SET status = ?2, status_changed_at = ?3
                     WHERE id = ?1 AND status IN ('open', 'fix_pending') AND status <> ?2",
                    params![id, status.as_str(), at],
                )
                .map_err(e)?;
            if changed > 0 {
                n += 1;
                audit
                    .append(
                        &tx,
                        at,
                        &format!("exposure.{}", status.as_str()),
                        id,
                        &serde_json::json!({"reason": reason}),
                    )
                    .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        Ok(n)
    }

    /// Records a risk acceptance: the exposure leaves the queue (status
    /// `accepted`, its decision removed) until the acceptance expires or is
    /// revoked. Only an active exposure can be accepted.
    pub fn accept_risk(&mut self, a: &RiskAcceptance, actor: &str) -> Result<i64> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM exposures WHERE id = ?1",
                [&a.exposure_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        match status.as_deref() {
            None => {
                return Err(StoreError::Other(format!(
                    "exposure {} does not exist",
                    a.exposure_id
                )));
            }
            Some("open") | Some("fix_pending") => {}
            Some(s) => {
                return Err(StoreError::Other(format!(
                    "exposure {} is {s}: only an open exposure can be accepted",
                    a.exposure_id
                )));
            }
        }
        let id = tx.insert(
            "INSERT INTO risk_acceptances (exposure_id, approver, justification, control, expires_at, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![a.exposure_id, a.approver, a.justification, a.control, a.expires_at, a.created_at, actor],
        )
        .map_err(e)?;
        tx.execute(
            "UPDATE exposures SET status = 'accepted', status_changed_at = ?2 WHERE id = ?1",
            params![a.exposure_id, a.created_at],
        )
        .map_err(e)?;
        tx.execute(
            "DELETE FROM decisions WHERE exposure_id = ?1",
            [&a.exposure_id],
        )
        .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                a.created_at,
                "acceptance.granted",
                &a.exposure_id,
                &serde_json::json!({
                    "acceptance": id,
                    "approver": a.approver,
                    "justification": a.justification,
                    "control": a.control,
                    "expires": ctem_model::fmt_date(a.expires_at),
                }),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Every acceptance, newest first.
    pub fn acceptances(&self) -> Result<Vec<AcceptanceRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, exposure_id, approver, justification, control, expires_at, created_at,
                        created_by, revoked_at, revoked_by, revoke_reason, expired_at
                 FROM risk_acceptances ORDER BY id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AcceptanceRow {
                    id: r.get(0)?,
                    acceptance: RiskAcceptance {
                        exposure_id: r.get(1)?,
                        approver: r.get(2)?,
                        justification: r.get(3)?,
                        control: r.get(4)?,
                        expires_at: r.get(5)?,
                        created_at: r.get(6)?,
                    },
                    created_by: r.get(7)?,
                    revoked_at: r.get(8)?,
                    revoked_by: r.get(9)?,
                    revoke_reason: r.get(10)?,
                    expired_at: r.get(11)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    fn end_acceptance(
        &mut self,
        id: i64,
        at: i64,
        actor: &str,
        revoke: Option<&str>,
    ) -> Result<Option<String>> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let exposure: Option<(String, i64, String)> = tx
            .query_row(
                "SELECT exposure_id, expires_at, approver FROM risk_acceptances
                 WHERE id = ?1 AND revoked_at IS NULL AND expired_at IS NULL",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(e)?;
        let Some((exposure, expires_at, approver)) = exposure else {
            return Ok(None);
        };
        match revoke {
            Some(reason) => tx.execute(
                "UPDATE risk_acceptances SET revoked_at = ?2, revoked_by = ?3, revoke_reason = ?4 WHERE id = ?1",
                params![id, at, actor, reason],
            ),
            None => tx.execute(
                "UPDATE risk_acceptances SET expired_at = ?2 WHERE id = ?1",
                params![id, at],
            ),
        }
        .map_err(e)?;
        // Reopen, unless another acceptance of the same exposure is in force.
        let other: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM risk_acceptances WHERE exposure_id = ?1 AND id <> ?2
                   AND revoked_at IS NULL AND expired_at IS NULL AND expires_at > ?3",
                params![exposure, id, at],
                |r| r.get(0),
            )
            .map_err(e)?;
        if other == 0 {
            tx.execute(
                "UPDATE exposures SET status = 'open', status_changed_at = ?2 WHERE id = ?1 AND status = 'accepted'",
                params![exposure, at],
            )
            .map_err(e)?;
            // No previous decision: the next prioritisation starts a new SLA clock.
            tx.execute("DELETE FROM decisions WHERE exposure_id = ?1", [&exposure])
                .map_err(e)?;
        }
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        let (action, detail) = match revoke {
            Some(reason) => (
                "acceptance.revoked",
                serde_json::json!({"acceptance": id, "approver": approver, "reason": reason, "reopened": other == 0}),
            ),
            None => (
                "acceptance.expired",
                serde_json::json!({"acceptance": id, "approver": approver, "expired": ctem_model::fmt_date(expires_at), "reopened": other == 0, "sla": "restarts at the next prioritisation"}),
            ),
        };
        audit
            .append(&tx, at, action, &exposure, &detail)
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Some(exposure))
    }

    /// Revokes an acceptance in force; the exposure reopens. `None` when no
    /// such acceptance is in force.
    pub fn revoke_acceptance(
        &mut self,
        id: i64,
        reason: &str,
        at: i64,
        actor: &str,
    ) -> Result<Option<String>> {
        self.end_acceptance(id, at, actor, Some(reason))
    }

    /// Processes every acceptance that expired by `now`: its exposure
    /// reopens and its SLA restarts. Returns the reopened exposures.
    pub fn expire_acceptances(&mut self, now: i64, actor: &str) -> Result<Vec<String>> {
        let due: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT id FROM risk_acceptances
                     WHERE revoked_at IS NULL AND expired_at IS NULL AND expires_at <= ?1 ORDER BY id",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([now], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            rows.collect::<crate::db::DbResult<Vec<i64>>>()
                .map_err(|e| self.err(e))?
        };
        let mut out = Vec::new();
        for id in due {
            if let Some(x) = self.end_acceptance(id, now, actor, None)? {
                out.push(x);
            }
        }
        Ok(out)
    }

    /// The life of every exposure: sightings, decisions, validations,
    /// resolution and KEV date, for KPIs and evidence. Reads the audit log
    /// for the tier history.
    pub fn exposure_history(&self) -> Result<Vec<ExposureHistory>> {
        let kev: HashMap<String, i64> = match self.latest_feed("kev")? {
            Some(s) => self
                .kev_entries(s.id)?
                .into_iter()
                .map(|(k, v)| (k, v.date_added))
                .collect(),
            None => HashMap::new(),
        };
        let mut tiers: HashMap<String, Vec<(i64, Tier, Option<i64>)>> = HashMap::new();
        let mut resolved: HashMap<String, i64> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT at, action, subject, detail FROM audit_log
                     WHERE action IN ('decision', 'exposure.resolved') ORDER BY seq",
                )
                .map_err(|e| self.err(e))?;
            stmt.query_each([], |r| {
                let at: i64 = r.get(0)?;
                let action: String = r.get(1)?;
                let subject: String = r.get(2)?;
                if action == "exposure.resolved" {
                    resolved.insert(subject, at);
                    return Ok(());
                }
                let detail: String = r.get(3)?;
                let v: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
                let Some(tier) = v["tier"].as_str().and_then(Tier::parse) else {
                    return Ok(());
                };
                let due = v["due"].as_str().and_then(ctem_model::parse_date);
                let list = tiers.entry(subject).or_default();
                if list.last().is_none_or(|l| l.1 != tier || l.2 != due) {
                    list.push((at, tier, due));
                }
                Ok(())
            })
            .map_err(|e| self.err(e))?;
        }
        let mut validations: HashMap<String, Vec<(i64, ValidationState)>> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT exposure_id, validated_at, state FROM validations ORDER BY validated_at, id")
                .map_err(|e| self.err(e))?;
            stmt.query_each([], |r| {
                let id: String = r.get(0)?;
                let at: i64 = r.get(1)?;
                let st: String = r.get(2)?;
                if let Some(s) = ValidationState::parse(&st) {
                    validations.entry(id).or_default().push((at, s));
                }
                Ok(())
            })
            .map_err(|e| self.err(e))?;
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.id, e.asset_id, a.name, e.weakness, e.first_seen, a.first_seen, e.status,
                        e.status_changed_at, d.service_id, d.due, d.tier_since
                 FROM exposures e JOIN assets a ON a.id = e.asset_id
                 LEFT JOIN decisions d ON d.exposure_id = e.id ORDER BY e.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let w: String = r.get(3)?;
                let status: String = r.get(6)?;
                let changed: i64 = r.get(7)?;
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    w,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    status,
                    changed,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                    r.get::<_, Option<i64>>(10)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                asset_id,
                asset_name,
                w,
                first_seen,
                asset_first,
                status,
                changed,
                svc,
                due,
                since,
            ) = row.map_err(|e| self.err(e))?;
            let weakness: ctem_model::Weakness = serde_json::from_str(&w)
                .map_err(|e| self.corrupt("exposures.weakness", e.to_string()))?;
            let cve = weakness.cve().map(str::to_ascii_uppercase);
            out.push(ExposureHistory {
                kev_date_added: cve.as_ref().and_then(|c| kev.get(c).copied()),
                cve,
                weakness_id: weakness.id.clone(),
                resolved_at: (status == "resolved")
                    .then(|| resolved.get(&id).copied().unwrap_or(changed)),
                tiers: tiers.remove(&id).unwrap_or_default(),
                validations: validations.remove(&id).unwrap_or_default(),
                exposure_id: id,
                asset_id,
                asset_name,
                first_seen,
                asset_first_seen: asset_first,
                status,
                service_id: svc,
                due,
                tier_since: since,
            });
        }
        Ok(out)
    }

    /// Every asset, by id.
    pub fn assets(&self) -> Result<Vec<ctem_model::Asset>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, kind, name, identity, first_seen, last_seen FROM assets ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let kind: String = r.get(1)?;
                let identity: String = r.get(3)?;
                Ok((
                    r.get::<_, String>(0)?,
                    kind,
                    r.get::<_, String>(2)?,
                    identity,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, name, identity, first_seen, last_seen) = row.map_err(|e| self.err(e))?;
            out.push(ctem_model::Asset {
                kind: ctem_model::AssetKind::parse(&kind).ok_or_else(|| {
                    self.corrupt("assets.kind", format!("unknown kind `{kind}` of {id}"))
                })?,
                identity: serde_json::from_str(&identity)
                    .map_err(|e| self.corrupt("assets.identity", e.to_string()))?,
                id,
                name,
                first_seen,
                last_seen,
            });
        }
        Ok(out)
    }

    /// Every validation record, oldest first.
    pub fn validations(&self) -> Result<Vec<ctem_model::ValidationRecord>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT exposure_id, state, method, tool, control, reason, evidence, validated_at
                 FROM validations ORDER BY validated_at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (exposure_id, state, method, tool, control, reason, evidence, validated_at) =
                row.map_err(|e| self.err(e))?;
            out.push(ctem_model::ValidationRecord {
                state: ValidationState::parse(&state).ok_or_else(|| {
                    self.corrupt("validations.state", format!("unknown state `{state}`"))
                })?,
                exposure_id,
                method,
                tool,
                control,
                reason,
                evidence,
                validated_at,
            });
        }
        Ok(out)
    }
}
