//! KICS (Keeping Infrastructure as Code Secure) JSON reports: `queries[]`,
//! each with `query_id`, `query_name`, `severity`, `platform`, `cwe`,
//! `category`, `description` and `files[]` (`file_name`, `line`,
//! `issue_type`, `expected_value`, `actual_value`, `similarity_id`).
//!
//! Streaming: queries and, inside each query, its `files[]` are read one at
//! a time; one finding per file entry. A query's fields written after its
//! `files` (older KICS versions put `category` and `description` last) are
//! not known yet when its findings are emitted: those findings carry what
//! was read before `files`.
//!
//! Mapping (tool `kics`):
//! - asset: a `code_repository` named after the report file (KICS records
//!   no repository); recorded as scanned even with zero findings.
//! - weakness: `misconfiguration` with id `query_id`, CWE from `cwe`;
//!   title `query_name`; severity as given (`TRACE` → info).
//! - location `file_name:line`; description: the query description,
//!   platform, category, issue type, expected and actual values.

use super::ignore_non_map;
use super::records::{self, cwe, file_line, finding, join_text, repository, run_json};
use crate::json::{Element, LNum, LStr, Seq};
use crate::registry::{first_significant, has_json_key};
use crate::text::file_stem;
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Severity, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "kics",
    description: "KICS JSON report (Terraform, CloudFormation, Kubernetes, Dockerfile, Ansible, …)",
    sniff,
    parse,
};

const TOOL: &str = "kics";

fn sniff(head: &[u8]) -> bool {
    first_significant(head) == Some(b'{')
        && has_json_key(head, "queries")
        && [
            "kics_version",
            "files_scanned",
            "queries_total",
            "total_counter",
        ]
        .iter()
        .any(|k| has_json_key(head, k))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool(TOOL);
    let asset = repository(file_stem(&ctx.file));
    ctx.scanned(&asset);
    run_json(input, ctx, |ctx, de| {
        Doc { ctx, asset: &asset }.deserialize(de)
    })
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
        f.write_str("a KICS report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "queries" {
                map.next_value_seed(Seq {
                    ctx: &mut *self.ctx,
                    name: "queries",
                    elem: &mut QueryElem { asset: self.asset },
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct QueryElem<'x> {
    asset: &'x AssetIdentity,
}

impl Element for QueryElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(QueryVisitor {
            ctx,
            asset: self.asset,
        })
    }
}

/// What a query says about its findings.
#[derive(Default)]
struct Query {
    id: Option<String>,
    name: Option<String>,
    severity: Option<String>,
    platform: Option<String>,
    cwe: Option<String>,
    category: Option<String>,
    description: Option<String>,
}

struct QueryVisitor<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    asset: &'x AssetIdentity,
}

impl<'de> Visitor<'de> for QueryVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a query object")
    }
    ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut q = Query::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "query_id" => q.id = map.next_value::<LStr>()?.0,
                "query_name" => q.name = map.next_value::<LStr>()?.0,
                "severity" => q.severity = map.next_value::<LStr>()?.0,
                "platform" => q.platform = map.next_value::<LStr>()?.0,
                "cwe" => q.cwe = map.next_value::<LStr>()?.0,
                "category" => q.category = map.next_value::<LStr>()?.0,
                "description" => q.description = map.next_value::<LStr>()?.0,
                "files" => {
                    let asset = self.asset;
                    let q = &q;
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "files",
                        elem: &mut records::each(move |ctx, f: KFile| file(ctx, asset, q, f)),
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KFile {
    file_name: LStr,
    line: LNum,
    issue_type: LStr,
    expected_value: LStr,
    actual_value: LStr,
}

fn file(ctx: &mut Ctx<'_>, asset: &AssetIdentity, q: &Query, k: KFile) -> Result<(), IngestError> {
    let Some(id) = q.id.clone().or_else(|| q.name.clone()) else {
        ctx.skip();
        return Ok(());
    };
    let mut w = records::weakness(WeaknessKind::Misconfiguration, &id);
    if let Some(c) = q.cwe.as_deref().and_then(cwe) {
        w.cwes.push(c);
    }
    let severity = q
        .severity
        .as_deref()
        .and_then(Severity::parse_loose)
        .unwrap_or(Severity::Info);
    let title = q.name.clone().unwrap_or_else(|| id.clone());
    let mut f = finding(TOOL, asset, w, title, severity);
    f.location = k.file_name.get().map(|n| file_line(n, k.line.0));
    f.rule_id = Some(id);
    let labelled = |label: &str, v: Option<&str>| v.map(|v| format!("{label}: {v}"));
    let details = [
        labelled("platform", q.platform.as_deref()),
        labelled("category", q.category.as_deref()),
        labelled("issue type", k.issue_type.get()),
        labelled("expected", k.expected_value.get()),
        labelled("actual", k.actual_value.get()),
    ];
    let details: Vec<String> = details.into_iter().flatten().collect();
    let details = (!details.is_empty()).then(|| details.join("\n"));
    f.description = join_text(&[q.description.as_deref(), details.as_deref()]);
    ctx.emit(f)
}
