//! The word index behind the exposure list's text search (migration 0008).
//!
//! A prioritised exposure's title, weakness id and asset name are split into
//! lower-case words at every character that is not a letter or digit
//! (`CVE-2021-44228` → `cve`, `2021`, `44228`; `log4j-core` → `log4j`,
//! `core`). A search matches an exposure when each of its words begins one
//! of the exposure's words, so `q=log4` finds Log4Shell and
//! `q=portal api` finds `portal-api-01`. Each word is one exact range on the
//! index `(term, exposure_id)`, the same on SQLite and PostgreSQL, instead of
//! a `LIKE '%…%'` scan over a million rows.

use crate::db::{Db, DbResult, OwnedValue};
use std::collections::{BTreeSet, HashSet};

/// Longest word kept (longer ones are cut: a search word still matches
/// their beginning).
const MAX_TERM: usize = 48;
/// Words kept per exposure.
const MAX_TERMS: usize = 40;
/// Words of a search used (more only narrow further).
pub(crate) const MAX_QUERY_TERMS: usize = 8;

/// The distinct words of some texts, lower-case.
pub(crate) fn terms<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in texts {
        for w in t.split(|c: char| !c.is_alphanumeric()) {
            if w.is_empty() {
                continue;
            }
            let w: String = w.to_lowercase().chars().take(MAX_TERM).collect();
            out.insert(w);
            if out.len() >= MAX_TERMS {
                return out;
            }
        }
    }
    out
}

/// The words of a search, in order, without repeats.
pub(crate) fn query_terms(q: &str) -> Vec<String> {
    terms([q]).into_iter().take(MAX_QUERY_TERMS).collect()
}

/// Above this many exposures to index, their texts are read in one pass
/// over all exposures instead of one lookup each.
const BULK: usize = 5_000;

/// Indexes the words of these exposures (idempotent).
pub(crate) fn index(db: &Db, ids: &[String]) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut texts: Vec<(String, String, String, String)> = Vec::new();
    const ONE: &str = "SELECT e.id, e.title, e.weakness_id, a.name
         FROM exposures e JOIN assets a ON a.id = e.asset_id";
    if ids.len() <= BULK {
        let sql = format!("{ONE} WHERE e.id = ?1");
        for id in ids {
            db.query_each(&sql, [id], |r| {
                texts.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
                Ok(())
            })?;
        }
    } else {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        db.query_each(ONE, [], |r| {
            let id: String = r.get(0)?;
            if wanted.contains(id.as_str()) {
                texts.push((id, r.get(1)?, r.get(2)?, r.get(3)?));
            }
            Ok(())
        })?;
    }
    let mut rows: Vec<Vec<OwnedValue>> = Vec::with_capacity(4096);
    for (id, title, weakness, asset) in &texts {
        for t in terms([title.as_str(), weakness.as_str(), asset.as_str()]) {
            rows.push(vec![OwnedValue::Text(t), OwnedValue::Text(id.clone())]);
        }
        if rows.len() >= 4000 {
            flush(db, &mut rows)?;
        }
    }
    flush(db, &mut rows)
}

fn flush(db: &Db, rows: &mut Vec<Vec<OwnedValue>>) -> DbResult<()> {
    db.insert_rows(
        "INSERT INTO exposure_terms (term, exposure_id)",
        2,
        rows,
        "ON CONFLICT DO NOTHING",
    )?;
    rows.clear();
    Ok(())
}

/// Removes the words of an exposure that left the list.
pub(crate) fn forget(db: &Db, id: &str) -> DbResult<()> {
    db.execute("DELETE FROM exposure_terms WHERE exposure_id = ?1", [id])?;
    Ok(())
}

/// True once the index holds anything (a store upgraded from before
/// schema 8 fills it at its next prioritisation; until then searches scan).
pub(crate) fn ready(db: &Db) -> DbResult<bool> {
    use crate::db::OptionalExtension;
    Ok(db
        .query_row("SELECT 1 FROM exposure_terms LIMIT 1", [], |_| Ok(()))
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_lowered_and_deduplicated() {
        let t = terms([
            "Log4Shell in log4j-core",
            "CVE-2021-44228",
            "portal-api-01.corp.example",
        ]);
        let v: Vec<&str> = t.iter().map(String::as_str).collect();
        assert_eq!(
            v,
            [
                "01",
                "2021",
                "44228",
                "api",
                "core",
                "corp",
                "cve",
                "example",
                "in",
                "log4j",
                "log4shell",
                "portal"
            ]
        );
        assert_eq!(query_terms("  Portal  API portal "), vec!["api", "portal"]);
        assert_eq!(query_terms("a b c d e f g h i j").len(), MAX_QUERY_TERMS);
        assert!(query_terms("-- %% __").is_empty());
        assert!(terms(["ÄRZTE-Portal"]).contains("ärzte"));
    }
}
