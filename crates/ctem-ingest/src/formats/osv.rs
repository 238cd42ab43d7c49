//! OSV-Scanner JSON reports (`osv-scanner --format json`).
//!
//! Streaming: `results[]`, each result's `packages[]` and each package's
//! `vulnerabilities[]` are read one element at a time. A package whose
//! `vulnerabilities` come before its `package` object, or a result whose
//! `source` comes after its `packages`, has its findings queued (bounded,
//! see `spool`) until the end of that package or result.
//!
//! Mapping:
//! - asset: OSV-Scanner scans a project directory; the report does not name
//!   it, so the asset is a `code_repository` named after the report file.
//!   It is `scanned` even when nothing was found (an empty file is a scan
//!   with no results, as `osv-scanner` writes nothing when clean in some
//!   modes).
//! - one finding per package and vulnerability (OSV-Scanner's `groups` only
//!   say which records are aliases of each other: a CVE shared by a GHSA and
//!   a PYSEC record is the same exposure through the fingerprint);
//!   location = `source.path` (the lockfile or directory).
//! - weakness: `id` with `aliases` (CVE primary; GHSA, PYSEC, MAL, … as
//!   aliases); CWEs from `database_specific.cwe_ids`, else the package's
//!   `affected[].database_specific.cwes[].cweId` (malicious packages).
//! - component: `package.name`, `version`, a purl when the record's
//!   `affected[]` entry for the package has one (with the version), fixed
//!   version = the first `fixed` event of that entry's ranges.
//! - severity: `database_specific.severity` (GHSA's word), else the group's
//!   `max_severity` (a CVSS base score), else info; CVSS vector = the
//!   `severity[]` entry of type `CVSS_V3`, else `CVSS_V4`, else `CVSS_V2`, as
//!   given.
//! - `experimental_config`, licences: ignored.

use crate::deps::{self, severity_word};
use crate::json::{self, Element, LList, LNum, LObj, LStr, Seq};
use crate::registry::{first_significant, has_json_key};
use crate::spool::Spool;
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Component, Finding, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "osv_scanner",
    description: "OSV-Scanner JSON report (lockfiles, SBOMs, git directories)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    first_significant(head) == Some(b'{')
        && has_json_key(head, "results")
        && ["packages", "source", "experimental_config"]
            .iter()
            .any(|k| has_json_key(head, k))
        && !has_json_key(head, "runs")
        // Semgrep results carry `source` in rule metadata.
        && !has_json_key(head, "check_id")
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("osv-scanner");
    let asset = deps::repository(None, &ctx.file);
    ctx.scanned(&asset);
    // osv-scanner writes an empty file when there is nothing to report.
    let empty = input
        .fill_buf()
        .map_err(|source| IngestError::Io {
            file: ctx.file.clone(),
            source,
        })?
        .is_empty();
    if empty {
        return Ok(());
    }
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let result = Root {
        ctx: &mut *ctx,
        asset: &asset,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))
}

struct Root<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    asset: &'x AssetIdentity,
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
        f.write_str("an osv-scanner report object")
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

/// Findings of one result or package, held until their context is known.
struct Held<'x> {
    spool: &'x mut Spool<Finding>,
    /// Emit at once (the context is known) instead of queueing.
    direct: bool,
}

impl Held<'_> {
    fn put<E: serde::de::Error>(&mut self, ctx: &mut Ctx<'_>, f: Finding) -> Result<(), E> {
        if self.direct {
            return json::emit(ctx, f);
        }
        self.spool.push(f).map_err(|source| {
            json::abort(
                ctx,
                IngestError::Io {
                    file: ctx.file.clone(),
                    source,
                },
            )
        })
    }
}

fn drain<E: serde::de::Error>(
    ctx: &mut Ctx<'_>,
    spool: &mut Spool<Finding>,
    mut fix: impl FnMut(&mut Finding),
) -> Result<(), E> {
    let file = ctx.file.clone();
    let r = spool.drain(&file, |mut f| {
        fix(&mut f);
        ctx.emit(f)
    });
    r.map_err(|e| json::abort(ctx, e))
}

struct ResultElem<'x> {
    asset: &'x AssetIdentity,
}

impl Element for ResultElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(ResultVisitor {
            ctx,
            asset: self.asset,
        })
    }
}

struct ResultVisitor<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    asset: &'x AssetIdentity,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Source {
    path: LStr,
}

impl<'de> Visitor<'de> for ResultVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result object")
    }
    super::ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut source: Option<Option<String>> = None;
        let mut spool = Spool::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "source" => {
                    let s = map.next_value::<LObj<Source>>()?;
                    source = Some(s.get().and_then(|s| s.path.owned()));
                }
                "packages" => {
                    let mut elem = PackageElem {
                        asset: self.asset,
                        location: source.clone().flatten(),
                        held: Held {
                            spool: &mut spool,
                            direct: source.is_some(),
                        },
                    };
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "packages",
                        elem: &mut elem,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let location = source.flatten();
        drain(self.ctx, &mut spool, |f| f.location = location.clone())
    }
}

struct PackageElem<'x> {
    asset: &'x AssetIdentity,
    location: Option<String>,
    held: Held<'x>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct Package {
    name: LStr,
    version: LStr,
    ecosystem: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Group {
    ids: LList<LStr>,
    max_severity: LNum,
}

impl Element for PackageElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(PackageVisitor { ctx, elem: self })
    }
}

struct PackageVisitor<'x, 'y, 's> {
    ctx: &'x mut Ctx<'s>,
    elem: &'x mut PackageElem<'y>,
}

impl<'de> Visitor<'de> for PackageVisitor<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a package object")
    }
    super::ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut package: Option<Package> = None;
        let mut groups: Vec<Group> = Vec::new();
        let mut local: Spool<Finding> = Spool::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "package" => {
                    package = Some(map.next_value::<LObj<Package>>()?.0.unwrap_or_default())
                }
                "groups" => {
                    groups = map
                        .next_value::<LList<LObj<Group>>>()?
                        .0
                        .into_iter()
                        .filter_map(|g| g.0)
                        .collect()
                }
                "vulnerabilities" => {
                    // Known package and groups: findings go on; else they
                    // wait for the end of the package.
                    let ready = package.is_some() && !groups.is_empty();
                    let mut v = VulnElem {
                        asset: self.elem.asset,
                        location: self.elem.location.clone(),
                        package: package.clone().unwrap_or_default(),
                        groups: &groups,
                        held: if ready {
                            Held {
                                spool: &mut *self.elem.held.spool,
                                direct: self.elem.held.direct,
                            }
                        } else {
                            Held {
                                spool: &mut local,
                                direct: false,
                            }
                        },
                    };
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "vulnerabilities",
                        elem: &mut v,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // Findings queued before the package or its groups were known.
        let package = package.unwrap_or_default();
        let file = self.ctx.file.clone();
        let mut fixed = Vec::new();
        let r = local.drain(&file, |mut f| {
            complete(&mut f, &package, &groups);
            fixed.push(f);
            Ok(())
        });
        r.map_err(|e| json::abort(self.ctx, e))?;
        for f in fixed {
            self.elem.held.put(self.ctx, f)?;
        }
        Ok(())
    }
}

/// Fills in what the package and its groups say, for a queued finding.
fn complete(f: &mut Finding, package: &Package, groups: &[Group]) {
    if let Some(c) = &mut f.component {
        if c.name.is_empty()
            && let Some(n) = package.name.owned()
        {
            c.name = n;
        }
        if c.version.is_none() {
            c.version = package.version.owned();
        }
    }
    if let Some(s) = group_score(groups, &f.rule_id) {
        if f.severity == Severity::Info {
            f.severity = Severity::from_cvss(s);
        }
        f.cvss_score = f.cvss_score.or(Some(s));
    }
    f.title = deps::default_title(
        f.rule_id.as_deref().unwrap_or(&f.weakness.id),
        f.component.as_ref(),
    );
}

fn group_score(groups: &[Group], id: &Option<String>) -> Option<f64> {
    let id = id.as_deref()?;
    groups
        .iter()
        .find(|g| g.ids.0.iter().any(|i| i.get() == Some(id)))
        .and_then(|g| g.max_severity.0)
}

struct VulnElem<'x, 'g> {
    asset: &'x AssetIdentity,
    location: Option<String>,
    package: Package,
    groups: &'g [Group],
    held: Held<'x>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vuln {
    id: LStr,
    aliases: LList<LStr>,
    summary: LStr,
    details: LStr,
    severity: LList<LObj<OsvSeverity>>,
    database_specific: LObj<DatabaseSpecific>,
    affected: LList<LObj<Affected>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: LStr,
    score: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DatabaseSpecific {
    severity: LStr,
    cwe_ids: LList<LStr>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Affected {
    package: LObj<AffectedPackage>,
    ranges: LList<LObj<Range>>,
    database_specific: LObj<AffectedDb>,
}

/// `affected[].database_specific` of malicious-package records.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AffectedDb {
    cwes: LList<LObj<CweEntry>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CweEntry {
    #[serde(rename = "cweId")]
    cwe_id: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AffectedPackage {
    name: LStr,
    purl: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Range {
    events: LList<LObj<Event>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Event {
    fixed: LStr,
}

impl Element for VulnElem<'_, '_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let Some(v) = LObj::<Vuln>::deserialize(d)?.0 else {
            ctx.skip();
            return Ok(());
        };
        let Some(f) = self.finding(v) else {
            ctx.skip();
            return Ok(());
        };
        self.held.put(ctx, f)
    }
}

impl VulnElem<'_, '_> {
    fn finding(&self, v: Vuln) -> Option<Finding> {
        let id = v.id.owned()?;
        let mut ids = vec![id.clone()];
        ids.extend(v.aliases.0.iter().filter_map(LStr::owned));
        let mut weakness = Weakness::from_ids(&ids, WeaknessKind::Vendor)?;
        let db = v.database_specific.0.unwrap_or_default();
        weakness.cwes = deps::cwes(db.cwe_ids.0.iter().filter_map(LStr::get));
        let vector = ["CVSS_V3", "CVSS_V4", "CVSS_V2"].iter().find_map(|t| {
            v.severity
                .0
                .iter()
                .filter_map(LObj::get)
                .find(|s| s.kind.get() == Some(t))
                .and_then(|s| s.score.owned())
        });
        let group = group_score(self.groups, &Some(id.clone()));
        let severity = severity_word(db.severity.get())
            .or_else(|| group.map(Severity::from_cvss))
            .unwrap_or(Severity::Info);
        let name = self.package.name.owned();
        let affected = v.affected.0.iter().filter_map(LObj::get).find(|a| {
            a.package
                .get()
                .and_then(|p| p.name.get())
                .is_some_and(|n| Some(n) == name.as_deref())
        });
        let fixed = affected.and_then(|a| {
            a.ranges.0.iter().filter_map(LObj::get).find_map(|r| {
                r.events
                    .0
                    .iter()
                    .filter_map(LObj::get)
                    .find_map(|e| e.fixed.owned())
            })
        });
        if weakness.cwes.is_empty()
            && let Some(db) = affected.and_then(|a| a.database_specific.get())
        {
            weakness.cwes = deps::cwes(db.cwes.0.iter().filter_map(|c| c.get()?.cwe_id.get()));
        }
        let version = self.package.version.owned();
        let purl = affected
            .and_then(|a| a.package.get()?.purl.owned())
            .map(|p| match &version {
                Some(v) if !p.contains('@') => format!("{p}@{v}"),
                _ => p,
            });
        let component = Component {
            name: name.unwrap_or_default(),
            version,
            purl,
            fixed_version: fixed,
        };
        let title = deps::default_title(&id, Some(&component));
        let mut f = deps::finding("osv-scanner", self.asset, weakness, title, severity);
        f.cvss_vector = vector;
        f.cvss_score = group;
        f.component = Some(component);
        f.location = self.location.clone();
        f.rule_id = Some(id);
        let mut d = Vec::new();
        if let Some(s) = v.summary.owned() {
            d.push(s);
        }
        if let Some(s) = v.details.owned() {
            d.push(crate::text::truncate(&s, 4000));
        }
        if let Some(e) = self.package.ecosystem.get() {
            d.push(format!("Ecosystem: {e}"));
        }
        f.description = (!d.is_empty()).then(|| d.join("\n\n"));
        Some(f)
    }
}
