//! Snyk Open Source / Snyk Container JSON (`snyk test --json`,
//! `snyk container test --json`): one project object, or an array of them
//! (`--all-projects`). Snyk Code writes SARIF, read by the `sarif` format.
//!
//! Streaming: the projects and each project's `vulnerabilities[]` are read
//! one element at a time. Snyk writes `projectName` and `displayTargetFile`
//! after the vulnerabilities, so a project's findings are queued (bounded,
//! see `spool`) until the end of the project object.
//!
//! Mapping:
//! - asset per project: `projectName` `docker-image|<image>` (Snyk
//!   Container) → `container_image`; else a `code_repository` named by
//!   `projectName` (else the file name). Every project is `scanned`, with or
//!   without vulnerabilities.
//! - one finding per vulnerability entry. Snyk repeats an issue once per
//!   dependency path (`from`); the entries share a fingerprint and merge
//!   into one exposure in the store. The path is kept in the description.
//! - weakness: `id` (SNYK-…) with `identifiers.CVE`/`GHSA` (CVE primary);
//!   `identifiers.CWE` → CWEs.
//! - component: `packageName`, `version`, fixed version `fixedIn[0]`.
//! - severity: `severity` (`severityWithCritical` on old reports); CVSS:
//!   `CVSSv3` vector and `cvssScore` as given.
//! - location: `displayTargetFile` (the manifest), so the same package in
//!   two manifests is two exposures.
//! - licence issues (`type: license`) are skipped; an error report
//!   (`ok: false` with `error`) is an error.

use crate::deps::{self, severity_word};
use crate::json::{self, Element, LList, LNum, LObj, LStr, Seq};
use crate::registry::{first_significant, has_json_key};
use crate::spool::Spool;
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Component, Finding, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "snyk",
    description: "Snyk Open Source / Container JSON (snyk test --json, single or all projects)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    matches!(first_significant(head), Some(b'{' | b'['))
        && has_json_key(head, "vulnerabilities")
        && !has_json_key(head, "bomFormat")
        && !has_json_key(head, "auditReportVersion")
        && [
            "dependencyCount",
            "isUpgradable",
            "packageManager",
            "uniqueCount",
        ]
        .iter()
        .any(|k| has_json_key(head, k))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("snyk");
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let result = Root { ctx: &mut *ctx }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))
}

struct Root<'x, 's> {
    ctx: &'x mut Ctx<'s>,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a snyk project object or an array of them")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Seq {
            ctx: &mut *self.ctx,
            name: "projects",
            elem: &mut ProjectElem,
        }
        .visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        ProjectVisitor { ctx: self.ctx }.visit_map(map)
    }
}

struct ProjectElem;

impl Element for ProjectElem {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(ProjectVisitor { ctx })
    }
}

struct ProjectVisitor<'x, 's> {
    ctx: &'x mut Ctx<'s>,
}

impl<'de> Visitor<'de> for ProjectVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a snyk project object")
    }
    super::ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut spool: Spool<Finding> = Spool::default();
        let (mut name, mut target, mut error) = (None, None, None);
        let mut vulns_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "vulnerabilities" => {
                    vulns_seen = true;
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "vulnerabilities",
                        elem: &mut VulnElem { spool: &mut spool },
                    })?;
                }
                "projectName" => name = map.next_value::<LStr>()?.0,
                "displayTargetFile" => target = map.next_value::<LStr>()?.0,
                "targetFile" if target.is_none() => target = map.next_value::<LStr>()?.0,
                "error" => error = map.next_value::<LStr>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let (Some(e), false) = (&error, vulns_seen) {
            let e = IngestError::Invalid {
                file: self.ctx.file.clone(),
                message: format!("snyk reported an error: {e}"),
            };
            return Err(json::abort(self.ctx, e));
        }
        let asset = match name.as_deref() {
            Some(n) if n.starts_with("docker-image|") => {
                deps::image(n.trim_start_matches("docker-image|"), None)
            }
            other => deps::repository(other, &self.ctx.file),
        };
        self.ctx.scanned(&asset);
        let file = self.ctx.file.clone();
        let ctx = &mut *self.ctx;
        let r = spool.drain(&file, |mut f| {
            f.asset = asset.clone();
            f.location = target.clone();
            ctx.emit(f)
        });
        r.map_err(|e| json::abort(self.ctx, e))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vuln {
    id: LStr,
    #[serde(rename = "type")]
    kind: LStr,
    title: LStr,
    identifiers: LObj<Identifiers>,
    #[serde(rename = "packageName")]
    package_name: LStr,
    version: LStr,
    #[serde(rename = "fixedIn")]
    fixed_in: LList<LStr>,
    severity: LStr,
    #[serde(rename = "severityWithCritical")]
    severity_with_critical: LStr,
    #[serde(rename = "CVSSv3")]
    cvss_v3: LStr,
    #[serde(rename = "cvssScore")]
    cvss_score: LNum,
    from: LList<LStr>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Identifiers {
    #[serde(rename = "CVE")]
    cve: LList<LStr>,
    #[serde(rename = "GHSA")]
    ghsa: LList<LStr>,
    #[serde(rename = "CWE")]
    cwe: LList<LStr>,
}

struct VulnElem<'x> {
    spool: &'x mut Spool<Finding>,
}

impl Element for VulnElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let f = LObj::<Vuln>::deserialize(d)?.0.and_then(finding);
        match f {
            Some(f) => self.spool.push(f).map_err(|source| {
                json::abort(
                    ctx,
                    IngestError::Io {
                        file: ctx.file.clone(),
                        source,
                    },
                )
            }),
            None => {
                ctx.skip();
                Ok(())
            }
        }
    }
}

fn finding(v: Vuln) -> Option<Finding> {
    if v.kind.get() == Some("license") {
        return None;
    }
    let id = v.id.owned()?;
    let idents = v.identifiers.0.unwrap_or_default();
    let mut ids: Vec<String> = idents.cve.0.iter().filter_map(LStr::owned).collect();
    ids.push(id.clone());
    ids.extend(idents.ghsa.0.iter().filter_map(LStr::owned));
    let mut weakness = Weakness::from_ids(&ids, WeaknessKind::Vendor)?;
    weakness.cwes = deps::cwes(idents.cwe.0.iter().filter_map(LStr::get));
    let severity = severity_word(v.severity.get())
        .or_else(|| severity_word(v.severity_with_critical.get()))
        .or_else(|| v.cvss_score.0.map(Severity::from_cvss))
        .unwrap_or(Severity::Info);
    let component = v.package_name.owned().map(|name| Component {
        name,
        version: v.version.owned(),
        purl: None,
        fixed_version: v.fixed_in.0.iter().find_map(LStr::owned),
    });
    let title = v
        .title
        .owned()
        .unwrap_or_else(|| deps::default_title(&id, component.as_ref()));
    let mut f = deps::finding("snyk", &AssetIdentity::default(), weakness, title, severity);
    f.component = component;
    f.cvss_vector = v.cvss_v3.owned();
    f.cvss_score = v.cvss_score.0;
    f.rule_id = Some(id);
    let path: Vec<String> = v.from.0.iter().filter_map(LStr::owned).collect();
    if !path.is_empty() {
        f.description = Some(format!("Introduced through: {}", path.join(" > ")));
    }
    Some(f)
}
