//! npm audit JSON (`npm audit --json`): report version 1 (npm ≤ 6,
//! `advisories{}`) and version 2+ (npm ≥ 7, `auditReportVersion`,
//! `vulnerabilities{}` keyed by package).
//!
//! Streaming: the `advisories` and `vulnerabilities` objects are read one
//! entry at a time.
//!
//! Mapping:
//! - asset: npm audits the project in the current directory and the report
//!   does not name it, so the asset is a `code_repository` named after the
//!   report file (the caller's file name). It is `scanned` even when nothing
//!   was found.
//! - v1: one finding per advisory: weakness from `cves` (CVE primary), the
//!   GHSA id of `github_advisory_id`/`url`, alias `npm:<id>`; component
//!   `module_name` at the first `findings[].version`; `cwe` (string or list)
//!   → CWEs; `severity` as given (`moderate` → medium).
//! - v2+: one finding per advisory object in a package's `via[]`: weakness
//!   the GHSA id from `url` (alias `npm:<source>`), `cwe[]`, CVSS
//!   `cvss.vectorString`/`score`; component the package name (v2 reports no
//!   installed version; the vulnerable `range` is in the description).
//!   `via` entries that are package names (vulnerable only through another
//!   package) are skipped: the advisory is reported on that package.
//! - a report with an `error` object (`ENOAUDIT`, `EAUDITNOLOCK`, …) is an
//!   error: npm could not audit, which is not a clean result.

use crate::deps::{self, severity_word};
use crate::json::{self, LList, LNum, LObj, LStr};
use crate::registry::{first_significant, has_json_key, json_key_value};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Component, Finding, Severity, Weakness, WeaknessKind};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, de};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "npm_audit",
    description: "npm audit JSON (report version 1 `advisories`, version 2+ `vulnerabilities`)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    if first_significant(head) != Some(b'{') {
        return false;
    }
    if has_json_key(head, "auditReportVersion") {
        return true;
    }
    if has_json_key(head, "advisories")
        && ["actions", "muted", "runId"]
            .iter()
            .any(|k| has_json_key(head, k))
    {
        return true;
    }
    // v1 with a long `actions` list first: the advisories are past the head.
    if json_key_value(head, "actions").is_some_and(|v| v.starts_with(b"["))
        && has_json_key(head, "resolves")
        && has_json_key(head, "isMajor")
    {
        return true;
    }
    // npm's error report: {"error": {"code": "ENOAUDIT", ...}}
    has_json_key(head, "error")
        && json_key_value(head, "code")
            .is_some_and(|v| v.starts_with(b"\"EAUDIT") || v.starts_with(b"\"ENOAUDIT"))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("npm audit");
    let asset = deps::repository(None, &ctx.file);
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let mut error = None;
    let result = Root {
        ctx: &mut *ctx,
        asset: &asset,
        error: &mut error,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))?;
    if let Some(e) = error {
        return Err(IngestError::Invalid {
            file: ctx.file.clone(),
            message: format!("npm audit report contains errors: {e}"),
        });
    }
    ctx.scanned(&asset);
    Ok(())
}

struct Root<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    asset: &'x AssetIdentity,
    error: &'x mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NpmError {
    code: LStr,
    summary: LStr,
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an npm audit report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "advisories" => map.next_value_seed(Entries {
                    ctx: &mut *self.ctx,
                    asset: self.asset,
                    v2: false,
                })?,
                "vulnerabilities" => map.next_value_seed(Entries {
                    ctx: &mut *self.ctx,
                    asset: self.asset,
                    v2: true,
                })?,
                "error" => {
                    let e = map.next_value::<LObj<NpmError>>()?.0.unwrap_or_default();
                    let text = [e.code.owned(), e.summary.owned()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ");
                    *self.error = Some(if text.is_empty() {
                        "unknown error".to_string()
                    } else {
                        text
                    });
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `advisories` (v1) or `vulnerabilities` (v2) object, entry by entry.
struct Entries<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    asset: &'x AssetIdentity,
    v2: bool,
}

impl<'de> DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of advisories")
    }
    super::ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let name = if self.v2 {
            "vulnerabilities"
        } else {
            "advisories"
        };
        let mut i = 0u64;
        while let Some(_key) = map.next_key::<IgnoredAny>()? {
            self.ctx.record.push((name, i));
            if self.v2 {
                let p = map.next_value::<LObj<Package>>()?;
                match p.0 {
                    Some(p) => v2_findings(self.ctx, self.asset, p)?,
                    None => self.ctx.skip(),
                }
            } else {
                let a = map.next_value::<LObj<Advisory>>()?;
                match a.0.and_then(|a| v1_finding(self.asset, a)) {
                    Some(f) => json::emit(self.ctx, f)?,
                    None => self.ctx.skip(),
                }
            }
            self.ctx.record.pop();
            i += 1;
        }
        Ok(())
    }
}

/// `cwe`: a string, a list of strings, or null.
#[derive(Default)]
struct Cwes(Vec<String>);

impl<'de> Deserialize<'de> for Cwes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let texts: Vec<&str> = match &v {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
            _ => Vec::new(),
        };
        Ok(Cwes(deps::cwes(texts)))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Advisory {
    id: LStr,
    module_name: LStr,
    title: LStr,
    severity: LStr,
    url: LStr,
    github_advisory_id: LStr,
    cves: LList<LStr>,
    cwe: Cwes,
    findings: LList<LObj<AdvisoryFinding>>,
    overview: LStr,
    recommendation: LStr,
    vulnerable_versions: LStr,
    patched_versions: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AdvisoryFinding {
    version: LStr,
}

fn ghsa_in(url: Option<&str>) -> Option<String> {
    let url = url?;
    let i = url.find("GHSA-")?;
    Some(url[i..].split(['/', '?', '#']).next()?.to_string())
}

fn v1_finding(asset: &AssetIdentity, a: Advisory) -> Option<Finding> {
    let mut ids: Vec<String> = a.cves.0.iter().filter_map(LStr::owned).collect();
    if let Some(g) = a
        .github_advisory_id
        .owned()
        .or_else(|| ghsa_in(a.url.get()))
    {
        ids.push(g);
    }
    let npm_id = a.id.owned().map(|i| format!("npm:{i}"));
    ids.extend(npm_id.clone());
    let mut weakness = Weakness::from_ids(&ids, WeaknessKind::Vendor)?;
    weakness.cwes = a.cwe.0;
    let severity = severity_word(a.severity.get()).unwrap_or(Severity::Info);
    let component = a.module_name.owned().map(|name| Component {
        name,
        version: a
            .findings
            .0
            .iter()
            .find_map(|f| f.get().and_then(|f| f.version.owned())),
        purl: None,
        fixed_version: None,
    });
    let title = a
        .title
        .owned()
        .unwrap_or_else(|| deps::default_title(&weakness.id, component.as_ref()));
    let mut f = deps::finding("npm audit", asset, weakness, title, severity);
    f.component = component;
    f.rule_id = npm_id;
    let mut d = Vec::new();
    if let Some(o) = a.overview.owned() {
        d.push(o);
    }
    if let Some(v) = a.vulnerable_versions.owned() {
        d.push(format!("Vulnerable versions: {v}"));
    }
    if let Some(v) = a.patched_versions.owned() {
        d.push(format!("Patched versions: {v}"));
    }
    if let Some(r) = a.recommendation.owned() {
        d.push(format!("Recommendation: {r}"));
    }
    f.description = (!d.is_empty()).then(|| d.join("\n\n"));
    Some(f)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Package {
    name: LStr,
    via: LList<Via>,
}

/// A `via` entry: an advisory object, or the name of a package.
#[derive(Default)]
struct Via(Option<ViaAdvisory>);

impl<'de> Deserialize<'de> for Via {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Via(LObj::<ViaAdvisory>::deserialize(d)?.0))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ViaAdvisory {
    source: LStr,
    name: LStr,
    title: LStr,
    url: LStr,
    severity: LStr,
    cwe: Cwes,
    cvss: LObj<ViaCvss>,
    range: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ViaCvss {
    score: LNum,
    #[serde(rename = "vectorString")]
    vector: LStr,
}

fn v2_findings<E: de::Error>(
    ctx: &mut Ctx<'_>,
    asset: &AssetIdentity,
    p: Package,
) -> Result<(), E> {
    let package = p.name.owned();
    for via in p.via.0 {
        let Some(a) = via.0 else {
            ctx.skip();
            continue;
        };
        let mut ids: Vec<String> = ghsa_in(a.url.get()).into_iter().collect();
        let npm_id = a.source.owned().map(|s| format!("npm:{s}"));
        ids.extend(npm_id.clone());
        if ids.is_empty() {
            ids.extend(a.url.owned());
        }
        let Some(mut weakness) = Weakness::from_ids(&ids, WeaknessKind::Vendor) else {
            ctx.skip();
            continue;
        };
        weakness.cwes = a.cwe.0;
        let cvss = a.cvss.0.unwrap_or_default();
        let severity = severity_word(a.severity.get())
            .or_else(|| cvss.score.0.map(Severity::from_cvss))
            .unwrap_or(Severity::Info);
        let component = a
            .name
            .owned()
            .or_else(|| package.clone())
            .map(|name| Component {
                name,
                ..Component::default()
            });
        let title = a
            .title
            .owned()
            .unwrap_or_else(|| deps::default_title(&weakness.id, component.as_ref()));
        let mut f = deps::finding("npm audit", asset, weakness, title, severity);
        f.component = component;
        f.cvss_vector = cvss.vector.owned();
        f.cvss_score = cvss.score.0.filter(|s| *s > 0.0);
        f.rule_id = npm_id.or_else(|| a.url.owned());
        let mut d = Vec::new();
        if let Some(r) = a.range.owned() {
            d.push(format!("Vulnerable versions: {r}"));
        }
        if let Some(u) = a.url.owned() {
            d.push(u);
        }
        f.description = (!d.is_empty()).then(|| d.join("\n\n"));
        json::emit(ctx, f)?;
    }
    Ok(())
}
