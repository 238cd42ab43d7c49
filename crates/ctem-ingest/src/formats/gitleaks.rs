//! Gitleaks JSON reports: an array of leaks (`null` or `[]` when none).
//! Version 8 writes `RuleID`, `Description`, `File`, `StartLine`, `Commit`,
//! `Fingerprint`, `Secret`, `Match`; version 7 writes `rule`, `file`,
//! `lineNumber`, `commit`, `repo`, `repoURL`, `tags`, `offender`, `line`.
//!
//! Streaming: the array is read one leak at a time.
//!
//! The secret itself is never kept: `Secret`, `Match`, `offender` and the
//! v7 `line` (the source line holding the secret) are not even read into
//! memory (serde skips them).
//!
//! Mapping (tool `gitleaks`):
//! - asset: the `code_repository` of `repoURL`, else `repo` (unless `.`),
//!   else named after the report file; recorded as scanned even when the
//!   report is empty.
//! - weakness: `exposed_secret` with id `RuleID` / `rule` and CWE-798;
//!   severity high.
//! - title: `Description` (v8), else `Hard Coded <rule>` (v7, as DefectDojo
//!   writes it); location `File:StartLine` (`File` when the line is unknown);
//!   description: the commit, author e-mail and tags. The same leak seen in
//!   several commits is one finding per commit, and one exposure (same
//!   fingerprint) in the store.

use super::records::{self, ArrayDoc, file_line, finding, repository, run_json};
use crate::json::{LNum, LStr};
use crate::registry::{first_significant, has_json_key};
use crate::text::file_stem;
use crate::{Ctx, Format, IngestError};
use ctem_model::Severity;
use serde::Deserialize;
use serde::de::DeserializeSeed;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "gitleaks",
    description: "Gitleaks JSON report (v8 and v7)",
    sniff,
    parse,
};

const TOOL: &str = "gitleaks";

fn sniff(head: &[u8]) -> bool {
    first_significant(head) == Some(b'[')
        && ((has_json_key(head, "RuleID")
            && (has_json_key(head, "StartLine") || has_json_key(head, "Fingerprint")))
            || (has_json_key(head, "rule")
                && has_json_key(head, "offender")
                && has_json_key(head, "commit")))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool(TOOL);
    let mut seen_repo: Option<String> = None;
    run_json(input, ctx, |ctx, de| {
        ArrayDoc {
            ctx,
            keys: &[],
            name: "leaks",
            elem: &mut records::each(|ctx, l: Leak| leak(ctx, &mut seen_repo, l)),
        }
        .deserialize(de)
    })?;
    if seen_repo.is_none() {
        ctx.scanned(&repository(file_stem(&ctx.file)));
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Leak {
    #[serde(rename = "RuleID")]
    rule_id: LStr,
    #[serde(rename = "Description")]
    description: LStr,
    #[serde(rename = "File")]
    file_v8: LStr,
    #[serde(rename = "StartLine")]
    start_line: LNum,
    #[serde(rename = "Commit")]
    commit_v8: LStr,
    #[serde(rename = "Email")]
    email_v8: LStr,
    #[serde(rename = "Tags")]
    tags_v8: crate::json::LList<LStr>,
    rule: LStr,
    file: LStr,
    #[serde(rename = "lineNumber")]
    line_number: LNum,
    commit: LStr,
    repo: LStr,
    #[serde(rename = "repoURL")]
    repo_url: LStr,
    email: LStr,
    tags: LStr,
}

fn leak(ctx: &mut Ctx<'_>, seen_repo: &mut Option<String>, l: Leak) -> Result<(), IngestError> {
    let repo = l
        .repo_url
        .owned()
        .or_else(|| l.repo.owned().filter(|r| r != "."))
        .unwrap_or_else(|| file_stem(&ctx.file));
    let asset = repository(repo.clone());
    ctx.scanned(&asset);
    *seen_repo = Some(repo);
    let v8 = l.rule_id.get().is_some();
    let Some(rule) = l.rule_id.owned().or_else(|| l.rule.owned()) else {
        ctx.skip();
        return Ok(());
    };
    let title = match l.description.owned() {
        Some(d) if v8 => d,
        _ => format!("Hard Coded {rule}"),
    };
    let mut f = finding(
        TOOL,
        &asset,
        records::secret_weakness(&rule),
        title,
        Severity::High,
    );
    let file = l.file_v8.get().or(l.file.get());
    let line = l.start_line.0.or(l.line_number.0);
    f.location = file.map(|p| file_line(p, line));
    f.rule_id = Some(rule);
    let commit = l
        .commit_v8
        .get()
        .or(l.commit.get())
        .map(|c| format!("commit: {c}"));
    let email = l
        .email_v8
        .get()
        .or(l.email.get())
        .map(|e| format!("author: {e}"));
    let tags = if l.tags_v8.0.is_empty() {
        l.tags.owned()
    } else {
        let t: Vec<&str> = l.tags_v8.0.iter().filter_map(LStr::get).collect();
        Some(t.join(", "))
    }
    .map(|t| format!("tags: {t}"));
    let lines: Vec<String> = [commit, email, tags].into_iter().flatten().collect();
    f.description = (!lines.is_empty()).then(|| lines.join("\n"));
    ctx.emit(f)
}
