//! The sync: desired actions and known tickets in, one ticket per action
//! out — without duplicates, without lost updates, with status pulled back.
//!
//! For each action: read the known ticket (or, when ctem knows none, search
//! the tracker for the action's marker — a ticket created by a run whose
//! answer was lost is adopted, not duplicated); create when none exists;
//! rewrite it when its content hash differs from the one last written (a
//! failed update leaves the old hash, so the next run retries it); and
//! compare states. A ticket IT closed is a fix claimed: the caller marks
//! the exposures fix-pending, and when a scan after the closure still shows
//! them the ticket is reopened with a note. Known tickets whose actions no
//! longer have active exposures are closed with a note: the rescan verified
//! the fix. Every change is handed to `save` at once, so a crash mid-sync
//! loses nothing that reached the tracker.

use crate::{RemoteTicket, TicketSpec, Tracker};
use serde::Serialize;

/// What ctem last knew of one action's ticket in one tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Known {
    pub action_id: String,
    pub tracker: String,
    pub key: String,
    pub url: Option<String>,
    pub title: String,
    /// The tracker's status name as last read.
    pub status: String,
    pub closed: bool,
    /// Hash of the content last written (see [`TicketSpec::content_hash`]).
    pub content_hash: String,
    /// When ctem first saw the ticket closed by someone else.
    pub remote_closed_at: Option<i64>,
    /// Whether ctem closed it (the fix was verified by a rescan).
    pub closed_by_ctem: bool,
    pub updated_at: i64,
}

/// What the sync did to one action's ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Created,
    /// Found by its marker although ctem had not recorded it (an earlier run
    /// created it and lost the answer, or its record was lost).
    Adopted,
    Updated,
    Unchanged,
    /// Closed by IT: the fix is claimed, awaiting a rescan.
    ClosedRemotely,
    /// Closed by ctem: no active exposure is left.
    Closed,
    /// Reopened by ctem: the exposures came back, or a scan after the
    /// closure still shows them.
    Reopened,
    Failed,
}

/// One line of the sync report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncItem {
    pub action_id: String,
    pub op: Op,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The outcome of syncing one tracker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub tracker: String,
    pub items: Vec<SyncItem>,
}

impl SyncReport {
    pub fn count(&self, op: &Op) -> usize {
        self.items.iter().filter(|i| &i.op == op).count()
    }
    pub fn failed(&self) -> usize {
        self.count(&Op::Failed)
    }
}

fn record(
    k: Option<&Known>,
    tracker: &str,
    spec: &TicketSpec,
    r: &RemoteTicket,
    hash: String,
    now: i64,
) -> Known {
    Known {
        action_id: spec.action_id.clone(),
        tracker: tracker.to_string(),
        key: r.key.clone(),
        url: r.url.clone().or_else(|| k.and_then(|k| k.url.clone())),
        title: spec.title.clone(),
        status: r.status.clone(),
        closed: r.closed,
        content_hash: hash,
        remote_closed_at: k.and_then(|k| k.remote_closed_at),
        closed_by_ctem: false,
        updated_at: now,
    }
}

/// Syncs `desired` actions into `tracker`. `known` is what the caller
/// stored for this tracker; `save` persists one change (an error from it
/// stops the sync, since continuing could create what cannot be recorded).
pub fn sync(
    tracker: &dyn Tracker,
    desired: &[TicketSpec],
    known: &[Known],
    now: i64,
    save: &mut dyn FnMut(&Known) -> Result<(), String>,
) -> Result<SyncReport, String> {
    let mut report = SyncReport {
        tracker: tracker.name().to_string(),
        items: Vec::new(),
    };
    let by_id: std::collections::HashMap<&str, &Known> =
        known.iter().map(|k| (k.action_id.as_str(), k)).collect();
    for spec in desired {
        let k = by_id.get(spec.action_id.as_str()).copied();
        let item = match one(tracker, spec, k, now, save) {
            Ok(Some(item)) => item,
            Ok(None) => continue,
            Err(Failure::Tracker(e)) => SyncItem {
                action_id: spec.action_id.clone(),
                op: Op::Failed,
                key: k.map(|k| k.key.clone()),
                url: k.and_then(|k| k.url.clone()),
                status: k.map(|k| k.status.clone()).unwrap_or_default(),
                error: Some(e),
            },
            Err(Failure::Save(e)) => return Err(e),
        };
        report.items.push(item);
    }
    let wanted: std::collections::HashSet<&str> =
        desired.iter().map(|s| s.action_id.as_str()).collect();
    for k in known
        .iter()
        .filter(|k| !wanted.contains(k.action_id.as_str()))
    {
        if k.closed_by_ctem {
            continue;
        }
        let spec = TicketSpec {
            action_id: k.action_id.clone(),
            title: k.title.clone(),
            body: String::new(),
            tier: ctem_model::Tier::P4,
            owner: None,
            due: None,
            exposures: Vec::new(),
            assets: Vec::new(),
            last_seen: 0,
        };
        let note = "ctem: no exposure of this action is active any more — the fix was verified by a rescan; closing.";
        let res = (|| -> Result<SyncItem, Failure> {
            let current = if tracker.two_way() {
                tracker
                    .get(&k.key)
                    .map_err(|e| Failure::Tracker(e.to_string()))?
            } else {
                None
            };
            let r = match current {
                Some(r) if r.closed => r,
                None if tracker.two_way() => RemoteTicket {
                    key: k.key.clone(),
                    url: k.url.clone(),
                    status: "deleted".into(),
                    closed: true,
                },
                _ => tracker
                    .set_closed(&k.key, &spec, true, note)
                    .map_err(|e| Failure::Tracker(e.to_string()))?,
            };
            let mut n = k.clone();
            n.status = r.status.clone();
            n.closed = true;
            n.closed_by_ctem = true;
            n.updated_at = now;
            save(&n).map_err(Failure::Save)?;
            Ok(SyncItem {
                action_id: k.action_id.clone(),
                op: Op::Closed,
                key: Some(k.key.clone()),
                url: k.url.clone(),
                status: r.status,
                error: None,
            })
        })();
        match res {
            Ok(i) => report.items.push(i),
            Err(Failure::Tracker(e)) => report.items.push(SyncItem {
                action_id: k.action_id.clone(),
                op: Op::Failed,
                key: Some(k.key.clone()),
                url: k.url.clone(),
                status: k.status.clone(),
                error: Some(e),
            }),
            Err(Failure::Save(e)) => return Err(e),
        }
    }
    Ok(report)
}

enum Failure {
    Tracker(String),
    Save(String),
}

fn one(
    tracker: &dyn Tracker,
    spec: &TicketSpec,
    k: Option<&Known>,
    now: i64,
    save: &mut dyn FnMut(&Known) -> Result<(), String>,
) -> Result<Option<SyncItem>, Failure> {
    let t = |e: crate::TicketError| Failure::Tracker(e.to_string());
    let name = tracker.name();
    let hash = spec.content_hash();
    let item = |op: Op, r: &RemoteTicket| SyncItem {
        action_id: spec.action_id.clone(),
        op,
        key: Some(r.key.clone()),
        url: r.url.clone(),
        status: r.status.clone(),
        error: None,
    };
    // The ticket as the tracker holds it now.
    let (remote, adopted) = if !tracker.two_way() {
        match k {
            Some(k) => (
                Some(RemoteTicket {
                    key: k.key.clone(),
                    url: k.url.clone(),
                    status: k.status.clone(),
                    closed: k.closed,
                }),
                false,
            ),
            None => (None, false),
        }
    } else {
        let by_key = match k {
            Some(k) => tracker.get(&k.key).map_err(t)?,
            None => None,
        };
        match by_key {
            Some(r) => (Some(r), false),
            None => {
                let found = tracker.find(spec).map_err(t)?;
                let adopted = found.is_some();
                (found, adopted)
            }
        }
    };
    let Some(r) = remote else {
        let r = tracker.create(spec).map_err(t)?;
        save(&record(k, name, spec, &r, hash, now)).map_err(Failure::Save)?;
        return Ok(Some(item(Op::Created, &r)));
    };
    if r.closed {
        let was_ours = k.is_some_and(|k| k.closed_by_ctem);
        let closed_at = k.and_then(|k| k.remote_closed_at);
        let unverified = closed_at.is_some_and(|at| spec.last_seen > at);
        if was_ours || unverified || (!tracker.two_way() && k.is_some_and(|k| k.closed)) {
            let note = if was_ours || !tracker.two_way() {
                "ctem: exposures of this action are active again; reopening.".to_string()
            } else {
                format!(
                    "ctem: the fix is not verified — a scan on {} still shows {} exposure(s) of this action; reopening.",
                    ctem_model::fmt_date(spec.last_seen),
                    spec.exposures.len()
                )
            };
            let r2 = tracker.set_closed(&r.key, spec, false, &note).map_err(t)?;
            let mut n = record(k, name, spec, &r2, String::new(), now);
            n.remote_closed_at = None;
            // Content is rewritten right after, so the ticket shows today's
            // exposures; an empty hash makes the next run retry if it fails.
            save(&n).map_err(Failure::Save)?;
            let r3 = tracker.update(&r2.key, spec).map_err(t)?;
            let mut n = record(Some(&n), name, spec, &r3, hash, now);
            n.remote_closed_at = None;
            save(&n).map_err(Failure::Save)?;
            return Ok(Some(item(Op::Reopened, &r3)));
        }
        let mut n = record(
            k,
            name,
            spec,
            &r,
            k.map(|k| k.content_hash.clone()).unwrap_or_default(),
            now,
        );
        let first = closed_at.is_none();
        n.remote_closed_at = Some(closed_at.unwrap_or(now));
        save(&n).map_err(Failure::Save)?;
        return Ok(Some(if first || adopted {
            item(Op::ClosedRemotely, &r)
        } else {
            // Still awaiting the rescan that verifies it.
            item(Op::Unchanged, &r)
        }));
    }
    let stale = adopted || k.is_none_or(|k| k.content_hash != hash || k.key != r.key);
    if stale {
        let r2 = tracker.update(&r.key, spec).map_err(t)?;
        let mut n = record(k, name, spec, &r2, hash, now);
        n.remote_closed_at = None;
        save(&n).map_err(Failure::Save)?;
        return Ok(Some(item(
            if adopted { Op::Adopted } else { Op::Updated },
            &r2,
        )));
    }
    let mut n = record(k, name, spec, &r, hash, now);
    n.remote_closed_at = None;
    if k.is_some_and(|k| k.status != n.status || k.remote_closed_at.is_some()) {
        save(&n).map_err(Failure::Save)?;
    }
    Ok(Some(item(Op::Unchanged, &r)))
}
