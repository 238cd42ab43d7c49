//! OWASP Dependency-Check reports: XML (`dependency-check-report.xml`,
//! schemas 1.3 to 2.5 and later) and JSON (`dependency-check-report.json`,
//! `reportSchema` 1.x).
//!
//! Streaming: one `dependency` at a time (XML records through `xml::stream`,
//! JSON `dependencies[]` elements through a serde visitor); memory is bounded
//! by the size of one dependency.
//!
//! Mapping:
//! - asset: the scanned project, `projectInfo/name`, as a `code_repository`
//!   asset (named after the report file when the name is empty or comes
//!   after the dependencies). It is `scanned` even with zero findings.
//! - one finding per `vulnerability` of a dependency (suppressed
//!   vulnerabilities are skipped and counted): weakness `name` (a CVE, a
//!   GHSA, or a vendor id such as an npm advisory number, kept as
//!   `<source>:<name>`, e.g. `npm:1500`), CWEs from `cwes/cwe` or the early
//!   single `cwe` element.
//! - component: the dependency's package URL (`identifiers/package/id`,
//!   JSON `packages[].id`), else the early `identifiers/identifier` Maven
//!   coordinates `group:artifact:version`, else the file name; Maven names
//!   are `group:artifact` as DefectDojo and the other scanners write them.
//! - severity: `severity` as given (`Moderate` → medium), else the CVSS v3
//!   then v2 base score.
//! - CVSS: v3 vector rebuilt from its metric elements
//!   (`CVSS:3.1/AV:N/…`) with `baseScore`; else the v2 vector and score; else
//!   the early `cvssScore`.
//! - location: the dependency's `fileName` (for a dependency inside an
//!   archive, `archive.ear: inner.jar`).
//! - description: the vulnerability description, its source, and the file path.

use crate::deps::{self, component_from_purl, severity_word};
use crate::json::{self, Element, LList, LNum, LObj, LStr, Seq};
use crate::registry::{find, first_significant, has_json_key};
use crate::text::truncate;
use crate::xml::{self, Elem, Handler, Node};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Component, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "dependency_check",
    description: "OWASP Dependency-Check report (XML or JSON)",
    sniff,
    parse,
};

const TOOL: &str = "dependency-check";

fn sniff(head: &[u8]) -> bool {
    match first_significant(head) {
        Some(b'<') => {
            find(head, b"<analysis").is_some()
                && (find(head, b"DependencyCheck").is_some()
                    || find(head, b"dependency-check").is_some())
        }
        Some(b'{') => {
            has_json_key(head, "reportSchema")
                && (has_json_key(head, "dependencies") || has_json_key(head, "scanInfo"))
        }
        _ => false,
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool(TOOL);
    let head = input.fill_buf().map_err(|source| IngestError::Io {
        file: ctx.file.clone(),
        source,
    })?;
    let json = first_significant(head) == Some(b'{');
    let mut st = State::default();
    if json {
        let mut de = serde_json::Deserializer::from_reader(json::reader(input));
        let result = Root {
            ctx: &mut *ctx,
            st: &mut st,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        result.map_err(|e| json::convert(ctx, e))?;
    } else {
        xml::stream(
            input,
            ctx,
            &["analysis"],
            "Dependency-Check XML",
            &mut XmlHandler { st: &mut st },
        )?;
    }
    let asset = st.asset(&ctx.file);
    ctx.scanned(&asset);
    Ok(())
}

/// What a parse has learnt so far.
#[derive(Default)]
struct State {
    project: Option<String>,
    /// The project name was needed (a finding was emitted) before it was
    /// known; the asset is then named after the file for the whole report.
    asset_fixed: Option<AssetIdentity>,
}

impl State {
    fn asset(&mut self, file: &str) -> AssetIdentity {
        if let Some(a) = &self.asset_fixed {
            return a.clone();
        }
        let a = deps::repository(self.project.as_deref(), file);
        self.asset_fixed = Some(a.clone());
        a
    }
}

/// One vulnerability, whichever syntax it came from.
#[derive(Default)]
struct Vuln {
    source: Option<String>,
    name: Option<String>,
    severity: Option<String>,
    cvss3: Option<(String, Option<f64>)>,
    cvss2: Option<(String, Option<f64>)>,
    score: Option<f64>,
    cwes: Vec<String>,
    description: Option<String>,
}

/// One dependency: its component, file and vulnerabilities.
struct Dependency {
    component: Option<Component>,
    file_name: Option<String>,
    file_path: Option<String>,
}

fn emit(ctx: &mut Ctx<'_>, st: &mut State, dep: &Dependency, v: Vuln) -> Result<(), IngestError> {
    let Some(name) = v.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) else {
        ctx.skip();
        return Ok(());
    };
    let source = v.source.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let id = match ctem_model::WeaknessKind::classify(name) {
        WeaknessKind::Vendor => match source {
            Some(s) => format!("{}:{name}", s.to_ascii_lowercase()),
            None => format!("dependency-check:{name}"),
        },
        _ => name.to_string(),
    };
    let Some(mut weakness) = Weakness::from_ids(&[id], WeaknessKind::Vendor) else {
        ctx.skip();
        return Ok(());
    };
    weakness.cwes = deps::cwes(v.cwes.iter().map(String::as_str));
    let (vector, cvss_score) = match (&v.cvss3, &v.cvss2) {
        (Some((vec, s)), _) => (Some(vec.clone()), *s),
        (None, Some((vec, s))) => (Some(vec.clone()), *s),
        (None, None) => (None, v.score),
    };
    let severity = severity_word(v.severity.as_deref())
        .or_else(|| cvss_score.map(Severity::from_cvss))
        .unwrap_or(Severity::Info);
    let asset = st.asset(&ctx.file);
    let title = deps::default_title(&weakness.id, dep.component.as_ref());
    let mut description = Vec::new();
    if let Some(d) = &v.description {
        description.push(truncate(d, 4000));
    }
    if let Some(s) = source {
        description.push(format!("Source: {s}"));
    }
    if let Some(p) = &dep.file_path {
        description.push(format!("File: {p}"));
    }
    let mut f = deps::finding(TOOL, &asset, weakness, title, severity);
    f.component = dep.component.clone();
    f.cvss_vector = vector;
    f.cvss_score = cvss_score;
    f.location = dep.file_name.clone();
    f.rule_id = Some(name.to_string());
    f.description = (!description.is_empty()).then(|| description.join("\n\n"));
    ctx.emit(f)
}

/// `group:artifact:version` (early reports' Maven identifiers).
fn maven_coordinates(s: &str) -> Option<Component> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    match parts.as_slice() {
        [g, a, v] if !g.is_empty() && !a.is_empty() => Some(Component {
            name: format!("{g}:{a}"),
            version: (!v.is_empty()).then(|| v.to_string()),
            purl: Some(format!("pkg:maven/{g}/{a}@{v}")),
            fixed_version: None,
        }),
        _ => None,
    }
}

/// `name:version` of an npm or other package identifier without a purl.
fn name_version(s: &str) -> Component {
    match s.trim().rsplit_once(':') {
        Some((n, v)) if !n.is_empty() && !v.is_empty() && !v.contains('/') => Component {
            name: n.to_string(),
            version: Some(v.to_string()),
            purl: None,
            fixed_version: None,
        },
        _ => Component {
            name: s.trim().to_string(),
            version: None,
            purl: None,
            fixed_version: None,
        },
    }
}

/// A CVSS v3 vector from its metric words (`NETWORK`, `LOW`, …).
fn v3_vector(version: Option<&str>, metrics: [Option<&str>; 8]) -> Option<String> {
    let letter = |m: Option<&str>| -> Option<char> {
        let m = m?.trim();
        Some(match m.to_ascii_uppercase().as_str() {
            "ADJACENT_NETWORK" | "ADJACENT" => 'A',
            "PHYSICAL" => 'P',
            "NETWORK" => 'N',
            "LOCAL" => 'L',
            "HIGH" => 'H',
            "LOW" => 'L',
            "NONE" => 'N',
            "REQUIRED" => 'R',
            "UNCHANGED" => 'U',
            "CHANGED" => 'C',
            _ => return None,
        })
    };
    let names = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
    let mut parts = Vec::with_capacity(8);
    for (n, m) in names.iter().zip(metrics) {
        parts.push(format!("{n}:{}", letter(m)?));
    }
    let version = match version.map(str::trim) {
        Some("3.0") => "3.0",
        _ => "3.1",
    };
    Some(format!("CVSS:{version}/{}", parts.join("/")))
}

/// A CVSS v2 vector from its metric words.
fn v2_vector(metrics: [Option<&str>; 6]) -> Option<String> {
    let word = |m: Option<&str>| m.map(|m| m.trim().to_ascii_uppercase());
    let av = match word(metrics[0])?.as_str() {
        "NETWORK" => 'N',
        "ADJACENT_NETWORK" => 'A',
        "LOCAL" => 'L',
        _ => return None,
    };
    let ac = match word(metrics[1])?.as_str() {
        "LOW" => 'L',
        "MEDIUM" => 'M',
        "HIGH" => 'H',
        _ => return None,
    };
    let au = match word(metrics[2])?.as_str() {
        "NONE" => 'N',
        "SINGLE" | "SINGLE_INSTANCE" => 'S',
        "MULTIPLE" | "MULTIPLE_INSTANCES" => 'M',
        _ => return None,
    };
    let cia = |m: Option<&str>| -> Option<char> {
        Some(match word(m)?.as_str() {
            "NONE" => 'N',
            "PARTIAL" => 'P',
            "COMPLETE" => 'C',
            _ => return None,
        })
    };
    Some(format!(
        "AV:{av}/AC:{ac}/Au:{au}/C:{}/I:{}/A:{}",
        cia(metrics[3])?,
        cia(metrics[4])?,
        cia(metrics[5])?
    ))
}

// ------------------------------------------------------------------- XML

struct XmlHandler<'a> {
    st: &'a mut State,
}

impl Handler for XmlHandler<'_> {
    fn open(&mut self, _: &mut Ctx<'_>, path: &[Elem]) -> Result<bool, IngestError> {
        let last = path.last().map(|e| e.name.as_str());
        Ok(matches!(
            (path.len(), last),
            (2, Some("projectInfo")) | (3, Some("dependency"))
        ))
    }

    fn record(&mut self, ctx: &mut Ctx<'_>, _: &[Elem], node: Node) -> Result<(), IngestError> {
        if node.name == "projectInfo" {
            if self.st.asset_fixed.is_none() {
                self.st.project = node.get("name").map(str::to_string);
            }
            return Ok(());
        }
        let ids = node.child("identifiers");
        let purl = ids
            .into_iter()
            .flat_map(|i| i.children("package"))
            .filter_map(|p| p.get("id"))
            .find_map(component_from_purl);
        let component = purl
            .or_else(|| {
                ids.into_iter()
                    .flat_map(|i| i.children("identifier"))
                    .filter_map(|i| i.get("name"))
                    .find_map(maven_coordinates)
            })
            .or_else(|| {
                ids.into_iter()
                    .flat_map(|i| i.children("identifier"))
                    .filter_map(|i| i.get("name"))
                    .map(name_version)
                    .next()
            })
            .or_else(|| {
                node.get("fileName").map(|f| Component {
                    name: f.to_string(),
                    version: None,
                    purl: None,
                    fixed_version: None,
                })
            });
        let dep = Dependency {
            component,
            file_name: node.get("fileName").map(str::to_string),
            file_path: node.get("filePath").map(str::to_string),
        };
        if let Some(s) = node.child("vulnerabilities") {
            for _ in s.children("suppressedVulnerability") {
                ctx.skip();
            }
            for v in s.children("vulnerability") {
                emit(ctx, self.st, &dep, xml_vuln(v))?;
            }
        }
        if let Some(s) = node.child("suppressedVulnerabilities") {
            for _ in s.children("suppressedVulnerability") {
                ctx.skip();
            }
        }
        Ok(())
    }
}

fn xml_vuln(v: &Node) -> Vuln {
    let v3 = v.child("cvssV3").and_then(|c| {
        let vector = v3_vector(
            c.get("version"),
            [
                c.get("attackVector"),
                c.get("attackComplexity"),
                c.get("privilegesRequired"),
                c.get("userInteraction"),
                c.get("scope"),
                c.get("confidentialityImpact"),
                c.get("integrityImpact"),
                c.get("availabilityImpact"),
            ],
        )?;
        Some((vector, xml::float(c.get("baseScore"))))
    });
    let v2 = v.child("cvssV2").and_then(|c| {
        let vector = v2_vector([
            c.get("accessVector"),
            c.get("accessComplexity"),
            c.get("authenticationr").or_else(|| c.get("authentication")),
            c.get("confidentialImpact"),
            c.get("integrityImpact"),
            c.get("availabilityImpact"),
        ])?;
        Some((vector, xml::float(c.get("score"))))
    });
    // Schema 1.x: flat `cvss*` elements.
    let v2 = v2.or_else(|| {
        let vector = v2_vector([
            v.get("cvssAccessVector"),
            v.get("cvssAccessComplexity"),
            v.get("cvssAuthenticationr")
                .or_else(|| v.get("cvssAuthentication")),
            v.get("cvssConfidentialImpact"),
            v.get("cvssIntegrityImpact"),
            v.get("cvssAvailabilityImpact"),
        ])?;
        Some((vector, xml::float(v.get("cvssScore"))))
    });
    let mut cwes: Vec<String> = v
        .child("cwes")
        .into_iter()
        .flat_map(|c| c.children("cwe"))
        .filter_map(|c| c.text().map(str::to_string))
        .collect();
    if let Some(c) = v.get("cwe") {
        cwes.push(c.to_string());
    }
    Vuln {
        source: v.attr("source").map(str::to_string),
        name: v.get("name").map(str::to_string),
        severity: v.get("severity").map(str::to_string),
        cvss3: v3,
        cvss2: v2,
        score: xml::float(v.get("cvssScore")),
        cwes,
        description: v.get("description").map(str::to_string),
    }
}

// ------------------------------------------------------------------ JSON

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProjectInfo {
    name: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonDependency {
    file_name: LStr,
    file_path: LStr,
    packages: LList<LObj<JsonPackage>>,
    vulnerabilities: LList<LObj<JsonVuln>>,
    suppressed_vulnerabilities: LList<IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonPackage {
    id: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonVuln {
    source: LStr,
    name: LStr,
    severity: LStr,
    cvssv2: LObj<JsonCvss2>,
    cvssv3: LObj<JsonCvss3>,
    cwes: LList<LStr>,
    description: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonCvss2 {
    score: LNum,
    access_vector: LStr,
    access_complexity: LStr,
    authenticationr: LStr,
    authentication: LStr,
    confidential_impact: LStr,
    integrity_impact: LStr,
    availability_impact: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonCvss3 {
    base_score: LNum,
    attack_vector: LStr,
    attack_complexity: LStr,
    privileges_required: LStr,
    user_interaction: LStr,
    scope: LStr,
    confidentiality_impact: LStr,
    integrity_impact: LStr,
    availability_impact: LStr,
    version: LStr,
}

struct Root<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    st: &'x mut State,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Dependency-Check JSON report")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "projectInfo" => {
                    let p: LObj<ProjectInfo> = map.next_value()?;
                    if self.st.asset_fixed.is_none() {
                        self.st.project = p.0.and_then(|p| p.name.owned());
                    }
                }
                "dependencies" => {
                    let mut elem = DepElem { st: &mut *self.st };
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "dependencies",
                        elem: &mut elem,
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

struct DepElem<'a> {
    st: &'a mut State,
}

impl Element for DepElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let LObj(dep) = LObj::<JsonDependency>::deserialize(d)?;
        let Some(dep) = dep else {
            return Ok(());
        };
        let component = dep
            .packages
            .0
            .iter()
            .filter_map(|p| p.0.as_ref().and_then(|p| p.id.get()))
            .find_map(component_from_purl)
            .or_else(|| {
                dep.file_name.get().map(|f| Component {
                    name: f.to_string(),
                    version: None,
                    purl: None,
                    fixed_version: None,
                })
            });
        let d = Dependency {
            component,
            file_name: dep.file_name.owned(),
            file_path: dep.file_path.owned(),
        };
        for _ in &dep.suppressed_vulnerabilities.0 {
            ctx.skip();
        }
        for v in dep.vulnerabilities.0.into_iter().flat_map(|v| v.0) {
            let v3 = v.cvssv3.0.as_ref().and_then(|c| {
                let vector = v3_vector(
                    c.version.get(),
                    [
                        c.attack_vector.get(),
                        c.attack_complexity.get(),
                        c.privileges_required.get(),
                        c.user_interaction.get(),
                        c.scope.get(),
                        c.confidentiality_impact.get(),
                        c.integrity_impact.get(),
                        c.availability_impact.get(),
                    ],
                )?;
                Some((vector, c.base_score.0))
            });
            let v2 = v.cvssv2.0.as_ref().and_then(|c| {
                let vector = v2_vector([
                    c.access_vector.get(),
                    c.access_complexity.get(),
                    c.authenticationr.get().or(c.authentication.get()),
                    c.confidential_impact.get(),
                    c.integrity_impact.get(),
                    c.availability_impact.get(),
                ])?;
                Some((vector, c.score.0))
            });
            let vuln = Vuln {
                source: v.source.owned(),
                name: v.name.owned(),
                severity: v.severity.owned(),
                cvss3: v3,
                cvss2: v2,
                score: None,
                cwes: v.cwes.0.iter().filter_map(|c| c.owned()).collect(),
                description: v.description.owned(),
            };
            emit(ctx, self.st, &d, vuln).map_err(|e| json::abort(ctx, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_vectors_are_rebuilt_from_metric_words() {
        assert_eq!(
            v3_vector(
                Some("3.1"),
                [
                    Some("NETWORK"),
                    Some("HIGH"),
                    Some("NONE"),
                    Some("NONE"),
                    Some("UNCHANGED"),
                    Some("LOW"),
                    Some("NONE"),
                    Some("NONE")
                ]
            )
            .as_deref(),
            Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N")
        );
        assert_eq!(
            v2_vector([
                Some("NETWORK"),
                Some("LOW"),
                Some("NONE"),
                Some("PARTIAL"),
                Some("PARTIAL"),
                Some("PARTIAL")
            ])
            .as_deref(),
            Some("AV:N/AC:L/Au:N/C:P/I:P/A:P")
        );
        assert_eq!(
            v2_vector([Some("SPACE"), None, None, None, None, None]),
            None
        );
    }

    #[test]
    fn early_maven_identifiers() {
        let c = maven_coordinates("org.owasp:library:6.7.8").expect("coordinates");
        assert_eq!(c.name, "org.owasp:library");
        assert_eq!(c.version.as_deref(), Some("6.7.8"));
        assert_eq!(name_version("yargs-parser:5.0.0").name, "yargs-parser");
    }
}
