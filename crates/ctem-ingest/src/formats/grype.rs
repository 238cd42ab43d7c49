//! Anchore Grype JSON reports (`grype -o json`), current and early schemas.
//!
//! Streaming: `matches[]` is read one match at a time. Grype writes `source`
//! (the scanned image or directory) after `matches`, so findings are queued
//! (bounded, see `spool`) until the asset is known, then emitted in order.
//!
//! Mapping:
//! - asset from `source`: `image` → `container_image` (`target.userInput`
//!   or first tag, without tag; digest from `repoDigests`, else
//!   `manifestDigest`); `directory`/`file`/`sbom` → `code_repository` named
//!   by the target path; no source → named after the file. It is `scanned`
//!   even with zero matches.
//! - one finding per match: weakness `vulnerability.id` with the ids of
//!   `relatedVulnerabilities` (CVE primary, GHSA alias); component
//!   `artifact.name`/`version`/`purl`, fixed version `fix.versions[0]`.
//! - severity: `vulnerability.severity` (`Negligible` → info); `Unknown`
//!   falls back to the CVSS base score, else info.
//! - CVSS: the newest `vulnerability.cvss[]` entry (v3.x before v2) or the
//!   early `cvssV3`/`cvssV2` objects, else the same from the related NVD
//!   record; vector and score as given.
//! - location: the first `artifact.locations[].path` for language packages;
//!   none for OS packages (deb, rpm, apk: the path is the package database),
//!   as for Trivy. Grype repeats a match per path where a library is found:
//!   each is its own finding (DefectDojo merges them by default).
//! - tool: `descriptor.name` (else `grype`).

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
    name: "grype",
    description: "Anchore Grype JSON report (image, directory or SBOM scans)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    first_significant(head) == Some(b'{')
        && has_json_key(head, "matches")
        && (has_json_key(head, "vulnerability") || has_json_key(head, "artifact"))
        || (first_significant(head) == Some(b'{')
            && has_json_key(head, "matches")
            && has_json_key(head, "descriptor"))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let mut st = State::default();
    let result = Root {
        ctx: &mut *ctx,
        st: &mut st,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))?;
    if !st.matches_seen {
        return Err(IngestError::Invalid {
            file: ctx.file.clone(),
            message: "no `matches`: not a grype report".to_string(),
        });
    }
    let tool = st.tool.clone().unwrap_or_else(|| "grype".to_string());
    ctx.tool(&tool);
    let asset = st
        .asset
        .clone()
        .unwrap_or_else(|| deps::repository(None, &ctx.file));
    ctx.scanned(&asset);
    let file = ctx.file.clone();
    st.spool.drain(&file, |mut f| {
        f.tool = tool.clone();
        f.asset = asset.clone();
        ctx.emit(f)
    })
}

#[derive(Default)]
struct State {
    tool: Option<String>,
    asset: Option<AssetIdentity>,
    matches_seen: bool,
    spool: Spool<Finding>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Descriptor {
    name: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Source {
    #[serde(rename = "type")]
    kind: LStr,
    target: serde_json::Value,
}

impl Source {
    fn asset(&self, file: &str) -> AssetIdentity {
        let t = &self.target;
        let s = |v: Option<&serde_json::Value>| {
            v.and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        match self.kind.get() {
            Some("image") => {
                let reference = s(t.get("userInput"))
                    .or_else(|| s(t.get("tags").and_then(|a| a.get(0))))
                    .or_else(|| s(t.get("imageID")));
                let digest = s(t.get("repoDigests").and_then(|a| a.get(0)))
                    .and_then(|d| d.split_once('@').map(|(_, d)| d.to_string()))
                    .or_else(|| s(t.get("manifestDigest")));
                match reference {
                    Some(r) => deps::image(&r, digest.as_deref()),
                    None => deps::repository(None, file),
                }
            }
            _ => {
                let path = s(Some(t))
                    .or_else(|| s(t.get("path")))
                    .or_else(|| s(t.get("userInput")));
                deps::repository(path.as_deref(), file)
            }
        }
    }
}

struct Root<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    st: &'x mut State,
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
        f.write_str("a grype report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "matches" => {
                    self.st.matches_seen = true;
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "matches",
                        elem: &mut MatchElem {
                            spool: &mut self.st.spool,
                        },
                    })?;
                }
                "source" => {
                    let s = map.next_value::<LObj<Source>>()?.0.unwrap_or_default();
                    self.st.asset = Some(s.asset(&self.ctx.file));
                }
                "descriptor" => {
                    let d = map.next_value::<LObj<Descriptor>>()?;
                    self.st.tool = d.get().and_then(|d| d.name.owned());
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
struct Match {
    vulnerability: LObj<Vuln>,
    #[serde(rename = "relatedVulnerabilities")]
    related: LList<LObj<Vuln>>,
    artifact: LObj<Artifact>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vuln {
    id: LStr,
    severity: LStr,
    description: LStr,
    namespace: LStr,
    cvss: LList<LObj<Cvss>>,
    #[serde(rename = "cvssV3")]
    cvss_v3: LObj<OldCvss>,
    #[serde(rename = "cvssV2")]
    cvss_v2: LObj<OldCvss>,
    fix: LObj<Fix>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cvss {
    version: LStr,
    vector: LStr,
    metrics: LObj<Metrics>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metrics {
    #[serde(rename = "baseScore")]
    base_score: LNum,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OldCvss {
    #[serde(rename = "baseScore")]
    base_score: LNum,
    vector: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Fix {
    versions: LList<LStr>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Artifact {
    name: LStr,
    version: LStr,
    #[serde(rename = "type")]
    kind: LStr,
    purl: LStr,
    locations: LList<LObj<Location>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Location {
    path: LStr,
}

impl Vuln {
    /// The newest CVSS vector with its score.
    fn cvss(&self) -> Option<(Option<String>, Option<f64>)> {
        let mut best: Option<(u8, Option<String>, Option<f64>)> = None;
        for c in self.cvss.0.iter().filter_map(LObj::get) {
            let rank = match c.version.get() {
                Some(v) if v.starts_with('4') => 2,
                Some(v) if v.starts_with('3') => 3,
                _ => 1,
            };
            let score = c.metrics.get().and_then(|m| m.base_score.0);
            if c.vector.get().is_none() && score.is_none() {
                continue;
            }
            if best.as_ref().is_none_or(|b| rank > b.0) {
                best = Some((rank, c.vector.owned(), score));
            }
        }
        if let Some((_, v, s)) = best {
            return Some((v, s));
        }
        [&self.cvss_v3, &self.cvss_v2]
            .into_iter()
            .filter_map(LObj::get)
            .find(|c| c.vector.get().is_some() || c.base_score.0.is_some())
            .map(|c| (c.vector.owned(), c.base_score.0))
    }
}

struct MatchElem<'x> {
    spool: &'x mut Spool<Finding>,
}

impl Element for MatchElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let Some(m) = LObj::<Match>::deserialize(d)?.0 else {
            ctx.skip();
            return Ok(());
        };
        match finding(m) {
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

fn finding(m: Match) -> Option<Finding> {
    let v = m.vulnerability.0?;
    let id = v.id.owned()?;
    let related: Vec<&Vuln> = m.related.0.iter().filter_map(LObj::get).collect();
    let mut ids = vec![id.clone()];
    ids.extend(related.iter().filter_map(|r| r.id.owned()));
    let weakness = Weakness::from_ids(&ids, WeaknessKind::Vendor)?;
    let cvss = v.cvss().or_else(|| {
        // Prefer the NVD record among the related ones.
        let mut rel = related.clone();
        rel.sort_by_key(|r| {
            r.namespace.get() != Some("nvd:cpe") && r.namespace.get() != Some("nvd")
        });
        rel.iter().find_map(|r| r.cvss())
    });
    let severity = severity_word(v.severity.get())
        .or_else(|| cvss.as_ref().and_then(|c| c.1).map(Severity::from_cvss))
        .or_else(|| v.severity.get().and_then(Severity::parse_loose))
        .unwrap_or(Severity::Info);
    let artifact = m.artifact.0.unwrap_or_default();
    let component = artifact.name.owned().map(|name| Component {
        name,
        version: artifact.version.owned(),
        purl: artifact.purl.owned(),
        fixed_version: v
            .fix
            .get()
            .and_then(|f| f.versions.0.iter().find_map(LStr::owned)),
    });
    let title = deps::default_title(&id, component.as_ref());
    let mut f = deps::finding(
        "grype",
        &AssetIdentity::default(),
        weakness,
        title,
        severity,
    );
    if let Some((vector, score)) = cvss {
        f.cvss_vector = vector;
        f.cvss_score = score;
    }
    let os_package = matches!(
        artifact.kind.get().map(str::to_ascii_lowercase).as_deref(),
        Some("deb" | "rpm" | "apk" | "alpm" | "portage")
    );
    if !os_package {
        f.location = artifact
            .locations
            .0
            .iter()
            .find_map(|l| l.get()?.path.owned());
    }
    f.component = component;
    f.rule_id = Some(id);
    f.description = v
        .description
        .owned()
        .or_else(|| related.iter().find_map(|r| r.description.owned()));
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_is_specific() {
        assert!(sniff(
            br#"{"matches": [{"vulnerability": {"id": "CVE-1"}}]}"#
        ));
        assert!(sniff(
            br#"{"matches": [], "source": {}, "descriptor": {"name": "grype"}}"#
        ));
        assert!(!sniff(br#"{"runs": [], "matches": 1}"#));
    }
}
