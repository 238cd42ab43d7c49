//! Read models for the dashboard and the API: one page of exposures by
//! keyset, funnel and SLA counts, without loading every decision.
//!
//! Every query here is shaped to walk an index (migration 0006) so a page
//! costs the same at a thousand exposures as at millions: the list is keyed
//! on `(tier, -score, exposure_id)` and a page asks for the rows after the
//! last one shown, never for an offset.

use crate::db::OwnedValue as Value;
use crate::{Result, Store};
use serde::Serialize;

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExposureSort {
    /// Tier, then highest score first, then id: the work queue.
    #[default]
    Priority,
    /// Earliest due date first (exposures without a due date are left out).
    Due,
}

/// What to list: every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct ExposureQuery {
    pub tier: Option<String>,
    /// Only these services (a service owner's); `None` means every service
    /// and exposures outside any service too.
    pub services: Option<Vec<String>>,
    /// One service asked for by the caller.
    pub service: Option<String>,
    /// `not_validated`, `exploitable`, `not_exploitable`, `blocked_by_control`.
    pub validation: Option<String>,
    /// Exposure status: `open`, `fix_pending`, …
    pub status: Option<String>,
    /// Words of the title, weakness id or asset name: each word of the
    /// search must begin one of them, case-insensitively (`log4` finds
    /// `log4j-core`, `cve 2021` finds `CVE-2021-44228`).
    pub text: Option<String>,
    /// Only exposures whose due date is before this time (overdue lists).
    pub due_before: Option<i64>,
    pub sort: ExposureSort,
    /// The cursor of the last row of the previous page.
    pub after: Option<String>,
    pub limit: usize,
}

/// One row of the exposure list, from indexed columns only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureListRow {
    pub id: String,
    pub tier: String,
    pub score: f64,
    pub weakness: String,
    pub title: String,
    pub asset: String,
    pub service_id: Option<String>,
    pub owner: Option<String>,
    pub due: Option<i64>,
    pub validation: String,
    pub status: String,
    pub reachable: bool,
    pub exploitable_intel: bool,
}

/// One page and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposurePage {
    pub rows: Vec<ExposureListRow>,
    pub next: Option<String>,
}

/// Funnel counts of one service (`None`: outside every service).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FunnelCounts {
    pub service_id: Option<String>,
    /// all, in scope, exploitable, reachable, validated — each a subset of
    /// the one before.
    pub stages: [i64; 5],
    /// P1..P4.
    pub tiers: [i64; 4],
    pub overdue: i64,
    pub due_7d: i64,
}

/// Why a cursor was rejected.
fn bad_cursor(c: &str) -> crate::StoreError {
    crate::StoreError::Other(format!(
        "invalid cursor `{c}`: pass the `next` value of the previous page unchanged"
    ))
}

fn tier_rank(t: &str) -> Option<usize> {
    ["P1", "P2", "P3", "P4"].iter().position(|x| *x == t)
}

impl Store {
    /// One page of exposures with a decision, in the asked order.
    pub fn exposure_page(&self, q: &ExposureQuery) -> Result<ExposurePage> {
        let limit = q.limit.clamp(1, 500);
        let mut wh: Vec<String> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        let arg = |v: Value, args: &mut Vec<Value>| {
            args.push(v);
            format!("?{}", args.len())
        };
        if let Some(t) = &q.tier {
            let p = arg(Value::Text(t.clone()), &mut args);
            wh.push(format!("d.tier = {p}"));
        }
        if let Some(s) = &q.service {
            let p = arg(Value::Text(s.clone()), &mut args);
            wh.push(format!("d.service_id = {p}"));
        }
        if let Some(list) = &q.services {
            if list.is_empty() {
                return Ok(ExposurePage {
                    rows: Vec::new(),
                    next: None,
                });
            }
            let ps: Vec<String> = list
                .iter()
                .map(|s| arg(Value::Text(s.clone()), &mut args))
                .collect();
            wh.push(format!("d.service_id IN ({})", ps.join(", ")));
        }
        if let Some(v) = &q.validation {
            let p = arg(Value::Text(v.clone()), &mut args);
            wh.push(format!("d.validation = {p}"));
        }
        if let Some(s) = &q.status {
            let p = arg(Value::Text(s.clone()), &mut args);
            wh.push(format!("e.status = {p}"));
        }
        let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let words = text.map(crate::search::query_terms).unwrap_or_default();
        let indexed =
            !words.is_empty() && crate::search::ready(&self.conn).map_err(|e| self.err(e))?;
        if indexed {
            // Each word begins a word of the exposure: one index range each.
            for w in &words {
                let lo = arg(Value::Text(w.clone()), &mut args);
                let hi = arg(Value::Text(format!("{w}\u{10FFFF}")), &mut args);
                wh.push(format!(
                    "d.exposure_id IN (SELECT exposure_id FROM exposure_terms WHERE term >= {lo} AND term < {hi})"
                ));
            }
        } else if let Some(t) = text {
            // No index yet (a store upgraded from before schema 8, until its
            // next prioritisation), or a search without letters or digits.
            let escaped = t
                .to_ascii_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = arg(Value::Text(format!("%{escaped}%")), &mut args);
            wh.push(format!(
                "(lower(e.title) LIKE {p} ESCAPE '\\' OR lower(e.weakness_id) LIKE {p} ESCAPE '\\' OR lower(a.name) LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(t) = q.due_before {
            let p = arg(Value::Int(t), &mut args);
            wh.push(format!("d.due < {p}"));
        }
        // The keyset: rows after the cursor, in index order. A single
        // row-value comparison `(tier, -score, id) > (…)` is only a range on
        // its first column for SQLite, so a deep page would walk every row of
        // its tier before the cursor (and a score is shared by up to 20% of
        // the rows). Instead the rest of the list is read as consecutive
        // ranges, each an exact index seek, until the page is full:
        // same tier and score with a greater id, then a lower score in the
        // same tier, then the later tiers.
        let mut ranges: Vec<(Vec<String>, Vec<Value>, &str)> = Vec::new();
        match q.sort {
            ExposureSort::Priority => {
                const ORDER: &str = "d.tier, -d.score, d.exposure_id";
                match &q.after {
                    None => ranges.push((Vec::new(), Vec::new(), ORDER)),
                    Some(c) => {
                        let mut it = c.splitn(3, '~');
                        let (t, s, id) = (it.next(), it.next(), it.next());
                        let (Some(t), Some(s), Some(id)) = (t, s, id) else {
                            return Err(bad_cursor(c));
                        };
                        let score: f64 = s.parse().map_err(|_| bad_cursor(c))?;
                        if tier_rank(t).is_none() {
                            return Err(bad_cursor(c));
                        }
                        let (t, neg, id) = (
                            Value::Text(t.to_string()),
                            Value::Real(-score),
                            Value::Text(id.to_string()),
                        );
                        ranges.push((
                            vec![
                                "d.tier = ?".into(),
                                "-d.score = ?".into(),
                                "d.exposure_id > ?".into(),
                            ],
                            vec![t.clone(), neg.clone(), id],
                            "d.exposure_id",
                        ));
                        ranges.push((
                            vec!["d.tier = ?".into(), "-d.score > ?".into()],
                            vec![t.clone(), neg],
                            "-d.score, d.exposure_id",
                        ));
                        ranges.push((vec!["d.tier > ?".into()], vec![t], ORDER));
                    }
                }
            }
            ExposureSort::Due => {
                const ORDER: &str = "d.due, d.exposure_id";
                wh.push("d.due IS NOT NULL".into());
                match &q.after {
                    None => ranges.push((Vec::new(), Vec::new(), ORDER)),
                    Some(c) => {
                        let (due, id) = c.split_once('~').ok_or_else(|| bad_cursor(c))?;
                        let due: i64 = due.parse().map_err(|_| bad_cursor(c))?;
                        ranges.push((
                            vec!["d.due = ?".into(), "d.exposure_id > ?".into()],
                            vec![Value::Int(due), Value::Text(id.to_string())],
                            "d.exposure_id",
                        ));
                        ranges.push((vec!["d.due > ?".into()], vec![Value::Int(due)], ORDER));
                    }
                }
            }
        }
        let mut rows: Vec<ExposureListRow> = Vec::new();
        for (conds, values, order) in ranges {
            let mut args = args.clone();
            let mut wh = wh.clone();
            for (c, v) in conds.into_iter().zip(values) {
                let p = arg(v, &mut args);
                wh.push(c.replace('?', &p));
            }
            let pl = arg(Value::Int((limit + 1 - rows.len()) as i64), &mut args);
            let sql = format!(
                "SELECT d.exposure_id, d.tier, d.score, e.weakness_id, e.title, a.name, d.service_id, d.owner, d.due,
                        d.validation, e.status, d.reachable, d.exploitable_intel
                 FROM decisions d JOIN exposures e ON e.id = d.exposure_id JOIN assets a ON a.id = e.asset_id
                 {} ORDER BY {order} LIMIT {pl}",
                if wh.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", wh.join(" AND "))
                }
            );
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
            stmt.query_each(&args, |r| {
                rows.push(ExposureListRow {
                    id: r.get(0)?,
                    tier: r.get(1)?,
                    score: r.get(2)?,
                    weakness: r.get(3)?,
                    title: r.get(4)?,
                    asset: r.get(5)?,
                    service_id: r.get(6)?,
                    owner: r.get(7)?,
                    due: r.get(8)?,
                    validation: r.get(9)?,
                    status: r.get(10)?,
                    reachable: r.get(11)?,
                    exploitable_intel: r.get(12)?,
                });
                Ok(())
            })
            .map_err(|e| self.err(e))?;
            if rows.len() > limit {
                break;
            }
        }
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| match q.sort {
                ExposureSort::Priority => format!("{}~{}~{}", r.tier, r.score, r.id),
                ExposureSort::Due => format!("{}~{}", r.due.unwrap_or_default(), r.id),
            })
        } else {
            None
        };
        Ok(ExposurePage { rows, next })
    }

    /// The service an exposure's decision puts it in, if it has a decision:
    /// `Some(None)` means decided but outside every service.
    pub fn exposure_service(&self, exposure_id: &str) -> Result<Option<Option<String>>> {
        use crate::db::OptionalExtension;
        self.conn
            .query_row(
                "SELECT service_id FROM decisions WHERE exposure_id = ?1",
                [exposure_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Funnel, tier and SLA counts per service, in one pass over the
    /// decisions' columns (no JSON is parsed).
    pub fn funnel_counts(&self, now: i64) -> Result<Vec<FunnelCounts>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT service_id, in_scope, exploitable_intel, reachable, validation = 'exploitable', tier,
                        SUM(CASE WHEN due < ?1 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN due >= ?1 AND due < ?1 + 7 * 86400 THEN 1 ELSE 0 END),
                        COUNT(*)
                 FROM decisions GROUP BY 1, 2, 3, 4, 5, 6",
            )
            .map_err(|e| self.err(e))?;
        let mut by: Vec<FunnelCounts> = Vec::new();
        stmt.query_each([now], |r| {
            let svc: Option<String> = r.get(0)?;
            let in_scope: bool = r.get(1)?;
            let intel: bool = r.get(2)?;
            let reach: bool = r.get(3)?;
            let valid: bool = r.get(4)?;
            let tier: String = r.get(5)?;
            let overdue: i64 = r.get(6)?;
            let due_7d: i64 = r.get(7)?;
            let n: i64 = r.get(8)?;
            let i = match by.iter().position(|f| f.service_id == svc) {
                Some(i) => i,
                None => {
                    by.push(FunnelCounts {
                        service_id: svc,
                        ..FunnelCounts::default()
                    });
                    by.len() - 1
                }
            };
            let f = &mut by[i];
            // The same stages as the engine's funnel: each a subset of the
            // one before.
            let stage = if !in_scope {
                0
            } else if !intel {
                1
            } else if !reach {
                2
            } else if !valid {
                3
            } else {
                4
            };
            for c in f.stages.iter_mut().take(stage + 1) {
                *c += n;
            }
            if let Some(t) = tier_rank(&tier) {
                f.tiers[t] += n;
            }
            f.overdue += overdue;
            f.due_7d += due_7d;
            Ok(())
        })
        .map_err(|e| self.err(e))?;
        by.sort_by(|a, b| a.service_id.cmp(&b.service_id));
        Ok(by)
    }
}

impl Store {
    /// One exposure by id or unique id prefix (at least 6 characters), by a
    /// range on the primary key: the same answers as [`Store::exposure`]
    /// without scanning the table (its `LIKE` cannot use the index).
    pub fn exposure_by_id_or_prefix(
        &self,
        id_or_prefix: &str,
    ) -> Result<Option<crate::ExposureRow>> {
        Ok(self
            .lookup_exposure(id_or_prefix, false)?
            .map(|(row, _)| row))
    }

    /// [`Store::exposure_by_id_or_prefix`] and the exposure's decision, in
    /// one statement (an exposure's page shows both).
    pub fn exposure_detail(
        &self,
        id_or_prefix: &str,
    ) -> Result<Option<(crate::ExposureRow, Option<ctem_model::Decision>)>> {
        let Some((row, decision)) = self.lookup_exposure(id_or_prefix, true)? else {
            return Ok(None);
        };
        let decision = match decision {
            None => None,
            Some(s) => Some(
                serde_json::from_str(&s).map_err(|e| self.corrupt("decisions", e.to_string()))?,
            ),
        };
        Ok(Some((row, decision)))
    }

    fn lookup_exposure(
        &self,
        id_or_prefix: &str,
        with_decision: bool,
    ) -> Result<Option<(crate::ExposureRow, Option<String>)>> {
        let key = id_or_prefix.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Ok(None);
        }
        let decision = if with_decision {
            ", (SELECT dd.decision FROM decisions dd WHERE dd.exposure_id = e.id)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {}{decision} FROM exposures e JOIN assets a ON a.id = e.asset_id
             WHERE e.id >= ?1 AND e.id < ?2 ORDER BY e.id LIMIT 2",
            crate::queries::EXPOSURE_COLS
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        // Every id with this prefix sorts below prefix + U+10FFFF (byte
        // order: SQLite's and PostgreSQL's "C" collation).
        let upper = format!("{key}\u{10FFFF}");
        let rows = stmt
            .query_map([&key, &upper], |r| {
                let row = crate::queries::exposure_row(r)?;
                let d: Option<String> = if with_decision { r.get(20)? } else { None };
                Ok((row, d))
            })
            .map_err(|e| self.err(e))?;
        let mut v = rows
            .collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        if let Some(i) = v.iter().position(|r| r.0.exposure.id == key) {
            return Ok(Some(v.swap_remove(i)));
        }
        if key.chars().count() < 6 {
            return Ok(None);
        }
        match v.len() {
            0 => Ok(None),
            1 => Ok(v.pop()),
            _ => Err(crate::StoreError::Other(format!(
                "exposure id prefix `{id_or_prefix}` is ambiguous: give more characters"
            ))),
        }
    }
}
