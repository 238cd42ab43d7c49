//! Semgrep JSON output (`semgrep --json`: `results[]`, `errors[]`,
//! `paths`, `version`).
//!
//! Streaming: `results[]` is read one element at a time; each result
//! becomes a finding and is dropped. `errors[]` (rules or files Semgrep
//! could not process) is ignored.
//!
//! Mapping:
//! - the asset is a `CodeRepository` named after the report's file (Semgrep
//!   JSON names no repository), in `scanned_assets` even with no results.
//! - `check_id` → weakness (vendor kind; a CVE id when the rule id or
//!   metadata carries one), `extra.metadata.cwe` (list or string) → CWEs,
//!   `owasp` categories kept in the description.
//! - `extra.severity`: ERROR → high, WARNING → medium, INFO → low (as
//!   Semgrep's own levels, and as SARIF `note`); the newer CRITICAL / HIGH /
//!   MEDIUM / LOW are read as written.
//! - location `path:start.line` (part of the exposure fingerprint).
//! - title: the first line of `extra.message`; description: the message,
//!   the fix (`extra.fix`) and the OWASP categories. The matched source
//!   lines are not kept (they can hold secrets).
//! - results with `extra.is_ignored` (`nosemgrep`) are skipped (counted).

use crate::json::{self, Element, LObj, LStr, Seq};
use crate::registry::{first_significant, has_json_key};
use crate::text::{file_stem, find_cve, first_line, normalise_cwe, push_unique, truncate};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "semgrep",
    description: "Semgrep JSON output (semgrep --json)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    first_significant(head) == Some(b'{')
        && has_json_key(head, "results")
        && !has_json_key(head, "runs")
        // Checkov reports also have `results` and `check_id`.
        && !has_json_key(head, "check_type")
        && (has_json_key(head, "check_id")
            || (has_json_key(head, "errors")
                && !has_json_key(head, "template-id")
                && !has_json_key(head, "site")))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("semgrep");
    let asset = AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: Some(file_stem(&ctx.file)),
        ..AssetIdentity::default()
    };
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let result = Doc {
        ctx: &mut *ctx,
        asset: &asset,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))?;
    ctx.scanned(&asset);
    Ok(())
}

struct Doc<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    asset: &'x AssetIdentity,
}

impl<'de> DeserializeSeed<'de> for Doc<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Doc<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a semgrep JSON report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "results" {
                map.next_value_seed(Seq {
                    ctx: &mut *self.ctx,
                    name: "results",
                    elem: &mut ResultElem { asset: self.asset },
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JResult {
    check_id: LStr,
    path: LStr,
    start: LObj<Pos>,
    extra: LObj<Extra>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Pos {
    line: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Extra {
    severity: LStr,
    message: LStr,
    fix: LStr,
    is_ignored: LStr,
    metadata: LObj<Meta>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Meta {
    cwe: OneOrMany,
    owasp: OneOrMany,
    cve: OneOrMany,
}

/// A string or a list of strings.
#[derive(Default)]
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let mut out = Vec::new();
        match v {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(a) => {
                for x in a {
                    if let serde_json::Value::String(s) = x {
                        out.push(s);
                    }
                }
            }
            _ => {}
        }
        Ok(OneOrMany(out))
    }
}

struct ResultElem<'a> {
    asset: &'a AssetIdentity,
}

fn severity(s: Option<&str>) -> Severity {
    match s.map(|s| s.trim().to_ascii_uppercase()).as_deref() {
        Some("ERROR") => Severity::High,
        Some("WARNING") => Severity::Medium,
        Some("INFO") => Severity::Low,
        Some(other) => Severity::parse_loose(other).unwrap_or(Severity::Low),
        None => Severity::Low,
    }
}

impl Element for ResultElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let Some(r) = LObj::<JResult>::deserialize(d)?.0 else {
            return Ok(());
        };
        let extra = r.extra.0.unwrap_or_default();
        if extra.is_ignored.get() == Some("true") {
            ctx.skip();
            return Ok(());
        }
        let Some(check) = r.check_id.owned() else {
            ctx.skip();
            return Ok(());
        };
        let meta = extra.metadata.0.unwrap_or_default();
        let mut cwes = Vec::new();
        for c in &meta.cwe.0 {
            if let Some(c) = normalise_cwe(c) {
                push_unique(&mut cwes, c);
            }
        }
        let mut ids = Vec::new();
        for c in meta
            .cve
            .0
            .iter()
            .map(String::as_str)
            .chain([check.as_str()])
        {
            if let Some(c) = find_cve(c) {
                push_unique(&mut ids, c);
            }
        }
        ids.push(check.clone());
        let mut weakness =
            Weakness::from_ids(&ids, WeaknessKind::Vendor).unwrap_or_else(|| Weakness {
                kind: WeaknessKind::Vendor,
                id: check.clone(),
                aliases: Vec::new(),
                cwes: Vec::new(),
            });
        weakness.cwes = cwes;
        let line = r.start.0.and_then(|p| p.line.owned());
        let location = r.path.owned().map(|p| match &line {
            Some(l) => format!("{p}:{l}"),
            None => p,
        });
        let message = extra.message.owned();
        let mut description = Vec::new();
        if let Some(m) = &message {
            description.push(truncate(m, 4000));
        }
        if let Some(f) = extra.fix.get() {
            description.push(format!("Fix: {}", truncate(f, 2000)));
        }
        if !meta.owasp.0.is_empty() {
            description.push(format!("OWASP: {}", meta.owasp.0.join(", ")));
        }
        let title = message
            .as_deref()
            .map(|m| truncate(first_line(m), 200))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| check.clone());
        let f = Finding {
            tool: "semgrep".to_string(),
            asset: self.asset.clone(),
            weakness,
            component: None,
            title,
            severity: severity(extra.severity.get()),
            cvss_vector: None,
            cvss_score: None,
            port: None,
            protocol: None,
            location,
            rule_id: Some(check),
            description: (!description.is_empty()).then(|| description.join("\n\n")),
        };
        json::emit(ctx, f)
    }
}
