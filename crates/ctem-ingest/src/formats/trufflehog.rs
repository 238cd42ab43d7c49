//! TruffleHog JSON output: v3 (`trufflehog … --json`, one JSON object per
//! line: `SourceMetadata.Data.<Source>.{file, line, repository, commit,
//! link}`, `DetectorName`, `Verified`, `Raw`, `Redacted`) and v2 (one object
//! per line: `path`, `reason`, `commitHash`, `branch`, `stringsFound`,
//! `diff`). A JSON array of such objects is read too.
//!
//! Streaming: one object at a time.
//!
//! The secret is never kept: `Raw`, `RawV2`, `Redacted`, `ExtraData`,
//! `stringsFound`, `diff` and `printDiff` are not read into memory.
//!
//! Mapping (tool `trufflehog`):
//! - asset: the `code_repository` of `repository` (v3 git and GitHub
//!   sources), else named after the report file; recorded as scanned.
//! - weakness: `exposed_secret` with id `DetectorName` (v3) or `reason`
//!   (v2), CWE-798; severity critical when TruffleHog verified the secret
//!   against its service, else high.
//! - location `file:line` (v2: `path`); description: the commit (and branch,
//!   source name). The same secret seen in several commits is one finding per
//!   commit, and one exposure (same fingerprint) in the store.

use super::records::{self, file_line, finding, repository, run_json};
use crate::json::{LNum, LObj, LStr};
use crate::registry::{first_significant, has_json_key};
use crate::text::file_stem;
use crate::{Ctx, Format, IngestError};
use ctem_model::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "trufflehog",
    description: "TruffleHog JSON lines (v3 and v2)",
    sniff,
    parse,
};

const TOOL: &str = "trufflehog";

fn sniff(head: &[u8]) -> bool {
    matches!(first_significant(head), Some(b'{' | b'['))
        && ((has_json_key(head, "SourceMetadata") && has_json_key(head, "DetectorName"))
            || (has_json_key(head, "stringsFound") && has_json_key(head, "reason")))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool(TOOL);
    let mut any = false;
    run_json(input, ctx, |ctx, de| {
        records::each_value(
            ctx,
            de,
            "secrets",
            &mut records::each(|ctx, s: Secret| {
                any = true;
                secret(ctx, s)
            }),
        )
    })?;
    if !any {
        ctx.scanned(&repository(file_stem(&ctx.file)));
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Secret {
    #[serde(rename = "SourceMetadata")]
    source: LObj<SourceMetadata>,
    #[serde(rename = "SourceName")]
    source_name: LStr,
    #[serde(rename = "DetectorName")]
    detector: LStr,
    #[serde(rename = "DecoderName")]
    decoder: LStr,
    #[serde(rename = "Verified")]
    verified: LStr,
    // v2
    path: LStr,
    reason: LStr,
    #[serde(rename = "commitHash")]
    commit_hash: LStr,
    branch: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SourceMetadata {
    #[serde(rename = "Data")]
    data: LObj<BTreeMap<String, LObj<SourceData>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SourceData {
    file: LStr,
    path: LStr,
    line: LNum,
    repository: LStr,
    commit: LStr,
    link: LStr,
}

fn secret(ctx: &mut Ctx<'_>, s: Secret) -> Result<(), IngestError> {
    let data: Option<&SourceData> = s
        .source
        .get()
        .and_then(|m| m.data.get())
        .and_then(|d| d.values().find_map(LObj::get));
    let repo = data
        .and_then(|d| d.repository.owned())
        .unwrap_or_else(|| file_stem(&ctx.file));
    let asset = repository(repo);
    ctx.scanned(&asset);
    let Some(id) = s.detector.owned().or_else(|| s.reason.owned()) else {
        ctx.skip();
        return Ok(());
    };
    let verified = s.verified.get() == Some("true");
    let severity = if verified {
        Severity::Critical
    } else {
        Severity::High
    };
    let title = if verified {
        format!("Verified {id} secret")
    } else {
        format!("{id} secret")
    };
    let mut f = finding(TOOL, &asset, records::secret_weakness(&id), title, severity);
    let file = data
        .and_then(|d| d.file.get().or(d.path.get()))
        .or(s.path.get());
    f.location = file.map(|p| file_line(p, data.and_then(|d| d.line.0)));
    f.rule_id = Some(id);
    let lines: Vec<String> = [
        data.and_then(|d| d.commit.get())
            .or(s.commit_hash.get())
            .map(|c| format!("commit: {c}")),
        s.branch.get().map(|b| format!("branch: {b}")),
        data.and_then(|d| d.link.get())
            .map(|l| format!("link: {l}")),
        s.source_name.get().map(|n| format!("source: {n}")),
        s.decoder.get().map(|n| format!("decoder: {n}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    f.description = (!lines.is_empty()).then(|| lines.join("\n"));
    ctx.emit(f)
}
