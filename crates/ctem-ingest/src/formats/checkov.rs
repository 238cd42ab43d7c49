//! Checkov infrastructure-as-code reports (`checkov -o json`): one object per
//! check type (`check_type`, `results.failed_checks[]`,
//! `results.passed_checks[]`, `results.skipped_checks[]`, `summary`), or an
//! array of them when several frameworks ran; a run that scanned nothing
//! writes only the summary (`checkov_version`).
//!
//! Streaming: check-type objects and, inside them, each checks array are
//! read one check at a time.
//!
//! Mapping (tool `checkov`):
//! - asset: the `code_repository` named by `repo_id` when the report has one
//!   before its results, else named after the report file (Checkov does not
//!   record the repository); recorded as scanned even with zero findings.
//! - failed check → `misconfiguration` weakness `check_id` (alias
//!   `bc_check_id`), title `check_name`, location `file_path:first line`
//!   (`file_path` alone when the range starts at 0, as for whole-file checks);
//!   the resource, check type and guideline go to the description.
//! - severity: `severity` when Checkov gives one (with a platform API key);
//!   otherwise `medium`, as DefectDojo does.
//! - passed and skipped checks: counted as skipped.

use super::ignore_non_map;
use super::records::{self, file_line, finding, join_text, repository, run_json};
use crate::json::{Element, LList, LNum, LStr, Seq};
use crate::registry::{first_significant, has_json_key};
use crate::text::file_stem;
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Severity, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "checkov",
    description: "Checkov JSON report (Terraform, CloudFormation, Kubernetes, Dockerfile, …)",
    sniff,
    parse,
};

const TOOL: &str = "checkov";

fn sniff(head: &[u8]) -> bool {
    matches!(first_significant(head), Some(b'{' | b'['))
        && ((has_json_key(head, "check_type")
            && (has_json_key(head, "results") || has_json_key(head, "summary")))
            || has_json_key(head, "checkov_version"))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool(TOOL);
    run_json(input, ctx, |ctx, de| {
        let mut repo = None;
        Doc {
            ctx: &mut *ctx,
            repo: &mut repo,
        }
        .deserialize(&mut *de)?;
        let asset = repository(repo.unwrap_or_else(|| file_stem(&ctx.file)));
        ctx.scanned(&asset);
        Ok(())
    })
}

/// The whole report: one check-type object, or an array of them.
struct Doc<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    repo: &'x mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Doc<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Doc<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a checkov report")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let mut elem = CheckTypeElem { repo: self.repo };
        Seq {
            ctx: self.ctx,
            name: "check_types",
            elem: &mut elem,
        }
        .visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        CheckType {
            ctx: self.ctx,
            repo: self.repo,
        }
        .visit_map(map)
    }
}

struct CheckTypeElem<'x> {
    repo: &'x mut Option<String>,
}

impl Element for CheckTypeElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(CheckType {
            ctx,
            repo: &mut *self.repo,
        })
    }
}

/// One check-type object: `check_type`, `results`, `summary`.
struct CheckType<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    repo: &'x mut Option<String>,
}

impl<'de> Visitor<'de> for CheckType<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a check type object")
    }
    ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut check_type: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "check_type" => check_type = map.next_value::<LStr>()?.0,
                "repo_id" | "url" => {
                    if let Some(r) = map.next_value::<LStr>()?.0 {
                        self.repo.get_or_insert(r);
                    }
                }
                "results" => {
                    let asset = repository(
                        self.repo
                            .clone()
                            .unwrap_or_else(|| file_stem(&self.ctx.file)),
                    );
                    map.next_value_seed(Results {
                        ctx: &mut *self.ctx,
                        asset: &asset,
                        check_type: check_type.as_deref(),
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

/// `results`: the checks arrays.
struct Results<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    asset: &'x AssetIdentity,
    check_type: Option<&'x str>,
}

impl<'de> DeserializeSeed<'de> for Results<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Results<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a results object")
    }
    ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "failed_checks" => {
                    let asset = self.asset;
                    let check_type = self.check_type;
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "failed_checks",
                        elem: &mut records::each(move |ctx, c: Failed| {
                            failed(ctx, asset, check_type, c)
                        }),
                    })?;
                }
                k @ ("passed_checks" | "skipped_checks") => {
                    let name = if k == "passed_checks" {
                        "passed_checks"
                    } else {
                        "skipped_checks"
                    };
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name,
                        elem: &mut SkipElem,
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

/// A passed or skipped check: counted, not read.
struct SkipElem;

impl Element for SkipElem {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        IgnoredAny::deserialize(d)?;
        ctx.skip();
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Failed {
    check_id: LStr,
    bc_check_id: LStr,
    check_name: LStr,
    file_path: LStr,
    repo_file_path: LStr,
    file_line_range: LList<LNum>,
    resource: LStr,
    severity: LStr,
    guideline: LStr,
}

fn failed(
    ctx: &mut Ctx<'_>,
    asset: &AssetIdentity,
    check_type: Option<&str>,
    c: Failed,
) -> Result<(), IngestError> {
    let ids: Vec<String> = [c.check_id.owned(), c.bc_check_id.owned()]
        .into_iter()
        .flatten()
        .collect();
    let Some(weakness) = ctem_model::Weakness::from_ids(&ids, WeaknessKind::Misconfiguration)
    else {
        ctx.skip();
        return Ok(());
    };
    let severity = c
        .severity
        .get()
        .and_then(Severity::parse_loose)
        .unwrap_or(Severity::Medium);
    let title = c.check_name.owned().unwrap_or_else(|| weakness.id.clone());
    let rule = weakness.id.clone();
    let mut f = finding(TOOL, asset, weakness, title, severity);
    let line = c.file_line_range.0.first().and_then(|l| l.0);
    f.location = c
        .file_path
        .get()
        .or(c.repo_file_path.get())
        .map(|p| file_line(p, line));
    f.rule_id = Some(rule);
    let resource = c.resource.get().map(|r| format!("resource: {r}"));
    let kind = check_type.map(|t| format!("check type: {t}"));
    let guide = c.guideline.get().map(|g| format!("guideline: {g}"));
    f.description = join_text(&[kind.as_deref(), resource.as_deref(), guide.as_deref()]);
    ctx.emit(f)
}
