//! Aqua Trivy JSON reports.
//!
//! Reads the current form (`SchemaVersion` 2: `ArtifactName`, `ArtifactType`,
//! `Metadata`, `Results[]`), the Kubernetes forms (`ClusterName` with
//! `Resources[]`, or with `Vulnerabilities[]`/`Misconfigurations[]` of
//! resources) and the legacy form (a bare array of results, or `null`).
//!
//! Streaming: `Results[]` and, inside each result, `Vulnerabilities[]`,
//! `Misconfigurations[]` and `Secrets[]` are read one element at a time; each
//! element becomes a finding and is dropped. Trivy writes the artifact header
//! before `Results`; a report that puts `Results` first gets the asset the
//! header had given so far (or one named after the file).
//!
//! Mapping:
//! - vulnerability → weakness from `VulnerabilityID` (+ `VendorIDs` as
//!   aliases, `CweIDs`), component `PkgName`@`InstalledVersion` with the PURL
//!   and `FixedVersion`; severity is Trivy's `Severity`; the CVSS vector and
//!   score come from the `SeveritySource` entry when it has one (so vector and
//!   severity agree), else `nvd`, `ghsa`, `redhat`, else the first source.
//! - misconfiguration → `Misconfiguration` weakness (`ID`, alias `AVDID`);
//!   only `Status` `FAIL` (or no status) counts, the others are skipped.
//! - secret → `ExposedSecret` weakness `RuleID` at `Target:StartLine`; the
//!   matched text is never copied.
//! - licences are not exposures: counted as skipped.

use super::ignore_non_map;
use crate::json::{self, Element, LList, LNum, LObj, LStr, Seq};
use crate::registry::{first_significant, has_json_key, json_key_value};
use crate::text::{file_stem, strip_image_tag};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Component, Finding, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "trivy",
    description: "Aqua Trivy JSON report (image, filesystem, repository, VM, Kubernetes; legacy list form)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    match first_significant(head) {
        // Trivy's SchemaVersion is a number; AWS ASFF's is a date string.
        Some(b'{') => {
            json_key_value(head, "SchemaVersion")
                .is_some_and(|v| v.first().is_some_and(u8::is_ascii_digit))
                || ["ArtifactName", "ClusterName"]
                    .iter()
                    .any(|k| has_json_key(head, k))
        }
        Some(b'[') => {
            has_json_key(head, "Target")
                && (has_json_key(head, "Vulnerabilities") || has_json_key(head, "Type"))
        }
        _ => false,
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("trivy");
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let result = Doc { ctx: &mut *ctx }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))
}

/// The asset findings are attributed to, while reading one artifact or resource.
struct Scope {
    asset: AssetIdentity,
    /// The image name is still unknown: take it from the first OS-package
    /// target (`repo/app:1.2 (debian 10.13)`).
    name_from_target: bool,
}

impl Scope {
    /// Fills in the image name from an OS-package target when still unknown.
    fn learn_from_target(&mut self, target: Option<&str>, class: Option<&str>) {
        if !self.name_from_target {
            return;
        }
        let Some(t) = target else { return };
        let os_like = class == Some("os-pkgs") || (class.is_none() && t.ends_with(')'));
        if let (true, Some(i)) = (os_like, t.rfind(" (")) {
            let image = strip_image_tag(&t[..i]);
            if !image.is_empty() {
                self.asset.kind = Some(AssetKind::ContainerImage);
                self.asset.image = Some(image.to_string());
                self.asset.repository = None;
                self.name_from_target = false;
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    #[serde(rename = "RepoDigests")]
    repo_digests: LList<LStr>,
    #[serde(rename = "RepoTags")]
    repo_tags: LList<LStr>,
    #[serde(rename = "RepoURL")]
    repo_url: LStr,
}

#[derive(Default)]
struct Header {
    name: Option<String>,
    kind: Option<String>,
    meta: Option<Metadata>,
}

impl Header {
    /// The asset a single-artifact report is about.
    fn scope(&self, file: &str) -> Scope {
        let name = self.name.as_deref().filter(|n| !n.is_empty());
        let meta = self.meta.as_ref();
        let mut asset = AssetIdentity::default();
        let mut name_from_target = false;
        match self.kind.as_deref() {
            Some("container_image") => {
                asset.kind = Some(AssetKind::ContainerImage);
                let tag = meta.and_then(|m| m.repo_tags.0.iter().find_map(|t| t.owned()));
                asset.image = name
                    .map(str::to_string)
                    .or(tag)
                    .map(|n| strip_image_tag(&n).to_string())
                    .filter(|n| !n.is_empty());
                asset.image_digest = meta.and_then(|m| {
                    m.repo_digests.0.iter().find_map(|d| {
                        d.get()
                            .and_then(|d| d.split_once('@'))
                            .map(|(_, digest)| digest.to_string())
                    })
                });
                if asset.image.is_none() {
                    name_from_target = true;
                    if asset.image_digest.is_none() {
                        asset.image = Some(file_stem(file));
                    }
                }
            }
            Some("vm") | Some("host") => {
                asset.kind = Some(AssetKind::Host);
                let n = name.unwrap_or(file).to_string();
                if n.contains('.') && !crate::text::is_ip(&n) && !n.contains('/') {
                    asset.hostname = n.split('.').next().map(str::to_string);
                    asset.fqdn = Some(n);
                } else {
                    asset.hostname = Some(n);
                }
            }
            other => {
                // repository, filesystem, SBOMs (cyclonedx, spdx) and reports
                // without an artifact type are code.
                asset.kind = Some(AssetKind::CodeRepository);
                let repo = meta
                    .and_then(|m| m.repo_url.owned())
                    .or_else(|| name.filter(|n| *n != ".").map(str::to_string))
                    .unwrap_or_else(|| file_stem(file));
                asset.repository = Some(repo);
                if other.is_none() {
                    name_from_target = true;
                }
            }
        }
        Scope {
            asset,
            name_from_target,
        }
    }
}

struct Doc<'x, 's> {
    ctx: &'x mut Ctx<'s>,
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
        f.write_str("a trivy report object")
    }

    /// `null`: a legacy report with nothing found.
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    /// The legacy form: a bare array of results.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let mut scope = Header::default().scope(&self.ctx.file);
        let mut elem = ResultElem { scope: &mut scope };
        Seq {
            ctx: &mut *self.ctx,
            name: "Results",
            elem: &mut elem,
        }
        .visit_seq(seq)?;
        self.ctx.scanned(&scope.asset);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut header = Header::default();
        let mut cluster: Option<String> = None;
        let mut artifact_done = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "ArtifactName" => header.name = map.next_value::<LStr>()?.0,
                "ArtifactType" => header.kind = map.next_value::<LStr>()?.0,
                "Metadata" => header.meta = map.next_value::<LObj<Metadata>>()?.0,
                "ClusterName" => cluster = map.next_value::<LStr>()?.0,
                "Results" => {
                    let mut scope = header.scope(&ctx.file);
                    map.next_value_seed(Seq {
                        ctx: &mut *ctx,
                        name: "Results",
                        elem: &mut ResultElem { scope: &mut scope },
                    })?;
                    ctx.scanned(&scope.asset);
                    artifact_done = true;
                }
                k @ ("Resources" | "Vulnerabilities" | "Misconfigurations") => {
                    let name = match k {
                        "Resources" => "Resources",
                        "Vulnerabilities" => "Vulnerabilities",
                        _ => "Misconfigurations",
                    };
                    let cluster = cluster.clone().unwrap_or_else(|| file_stem(&ctx.file));
                    map.next_value_seed(Seq {
                        ctx: &mut *ctx,
                        name,
                        elem: &mut ResourceElem { cluster },
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // A report with no Results still covered its artifact.
        if !artifact_done && (header.name.is_some() || header.kind.is_some()) {
            let scope = header.scope(&ctx.file);
            ctx.scanned(&scope.asset);
        }
        Ok(())
    }
}

/// One Kubernetes resource: `{Namespace, Kind, Name, Results}`.
struct ResourceElem {
    cluster: String,
}

impl Element for ResourceElem {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(ResourceVisitor {
            ctx,
            cluster: &self.cluster,
        })
    }
}

struct ResourceVisitor<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    cluster: &'x str,
}

impl ResourceVisitor<'_, '_> {
    fn scope(&self, ns: &Option<String>, kind: &Option<String>, name: &Option<String>) -> Scope {
        let part = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
        Scope {
            asset: AssetIdentity {
                kind: Some(AssetKind::CloudResource),
                cloud_id: Some(format!(
                    "k8s:{}/{}/{}/{}",
                    self.cluster,
                    part(ns),
                    part(kind),
                    part(name)
                )),
                cloud_account: Some(self.cluster.to_string()),
                ..AssetIdentity::default()
            },
            name_from_target: false,
        }
    }
}

impl<'de> Visitor<'de> for ResourceVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kubernetes resource object")
    }
    ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut ns, mut kind, mut name) = (None, None, None);
        let mut scope: Option<Scope> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Namespace" => ns = map.next_value::<LStr>()?.0,
                "Kind" => kind = map.next_value::<LStr>()?.0,
                "Name" => name = map.next_value::<LStr>()?.0,
                "Results" => {
                    let mut s = self.scope(&ns, &kind, &name);
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "Results",
                        elem: &mut ResultElem { scope: &mut s },
                    })?;
                    scope = Some(s);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let scope = scope.unwrap_or_else(|| self.scope(&ns, &kind, &name));
        self.ctx.scanned(&scope.asset);
        Ok(())
    }
}

/// One element of `Results[]`.
struct ResultElem<'x> {
    scope: &'x mut Scope,
}

impl Element for ResultElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(ResultVisitor {
            ctx,
            scope: &mut *self.scope,
        })
    }
}

struct ResultVisitor<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    scope: &'x mut Scope,
}

/// What a result says about the findings inside it.
#[derive(Default)]
struct Target {
    target: Option<String>,
    class: Option<String>,
}

impl<'de> Visitor<'de> for ResultVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result object")
    }
    ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut t = Target::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Target" => t.target = map.next_value::<LStr>()?.0,
                "Class" => t.class = map.next_value::<LStr>()?.0,
                "Vulnerabilities" | "Misconfigurations" | "Secrets" | "Licenses" => {
                    self.scope
                        .learn_from_target(t.target.as_deref(), t.class.as_deref());
                    let mut elem = ItemElem {
                        asset: &self.scope.asset,
                        target: &t,
                        kind: match key.as_str() {
                            "Vulnerabilities" => ItemKind::Vulnerability,
                            "Misconfigurations" => ItemKind::Misconfiguration,
                            "Secrets" => ItemKind::Secret,
                            _ => ItemKind::Licence,
                        },
                    };
                    let name = elem.kind.name();
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name,
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

#[derive(Clone, Copy)]
enum ItemKind {
    Vulnerability,
    Misconfiguration,
    Secret,
    Licence,
}

impl ItemKind {
    fn name(self) -> &'static str {
        match self {
            ItemKind::Vulnerability => "Vulnerabilities",
            ItemKind::Misconfiguration => "Misconfigurations",
            ItemKind::Secret => "Secrets",
            ItemKind::Licence => "Licenses",
        }
    }
}

/// One vulnerability, misconfiguration, secret or licence.
struct ItemElem<'x> {
    asset: &'x AssetIdentity,
    target: &'x Target,
    kind: ItemKind,
}

impl Element for ItemElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let finding = match self.kind {
            ItemKind::Vulnerability => {
                let v = LObj::<Vuln>::deserialize(d)?;
                v.0.and_then(|v| self.vulnerability(v))
            }
            ItemKind::Misconfiguration => {
                let m = LObj::<Misconf>::deserialize(d)?;
                m.0.and_then(|m| self.misconfiguration(m))
            }
            ItemKind::Secret => {
                let s = LObj::<Secret>::deserialize(d)?;
                s.0.and_then(|s| self.secret(s))
            }
            ItemKind::Licence => {
                IgnoredAny::deserialize(d)?;
                None
            }
        };
        match finding {
            Some(f) => json::emit(ctx, f),
            None => {
                ctx.skip();
                Ok(())
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vuln {
    #[serde(rename = "VulnerabilityID")]
    id: LStr,
    #[serde(rename = "VendorIDs")]
    vendor_ids: LList<LStr>,
    #[serde(rename = "PkgName")]
    pkg_name: LStr,
    #[serde(rename = "PkgPath")]
    pkg_path: LStr,
    #[serde(rename = "PkgIdentifier")]
    pkg_identifier: LObj<PkgIdentifier>,
    #[serde(rename = "InstalledVersion")]
    installed_version: LStr,
    #[serde(rename = "FixedVersion")]
    fixed_version: LStr,
    #[serde(rename = "SeveritySource")]
    severity_source: LStr,
    #[serde(rename = "Severity")]
    severity: LStr,
    #[serde(rename = "Title")]
    title: LStr,
    #[serde(rename = "Description")]
    description: LStr,
    #[serde(rename = "CweIDs")]
    cwe_ids: LList<LStr>,
    #[serde(rename = "CVSS")]
    cvss: Cvss,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PkgIdentifier {
    #[serde(rename = "PURL")]
    purl: LStr,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CvssEntry {
    #[serde(rename = "V3Vector")]
    v3_vector: LStr,
    #[serde(rename = "V3Score")]
    v3_score: LNum,
    #[serde(rename = "V40Vector")]
    v40_vector: LStr,
    #[serde(rename = "V40Score")]
    v40_score: LNum,
    #[serde(rename = "V2Vector")]
    v2_vector: LStr,
    #[serde(rename = "V2Score")]
    v2_score: LNum,
}

impl CvssEntry {
    /// The newest vector this source gives, with its score: v3, else v4, else v2.
    fn best(&self) -> Option<(String, Option<f64>)> {
        [
            (&self.v3_vector, self.v3_score),
            (&self.v40_vector, self.v40_score),
            (&self.v2_vector, self.v2_score),
        ]
        .into_iter()
        .find_map(|(v, s)| v.owned().map(|v| (v, s.0)))
    }
}

/// `CVSS` keyed by source, in document order.
#[derive(Default)]
struct Cvss(Vec<(String, CvssEntry)>);

impl<'de> Deserialize<'de> for Cvss {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cvss;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CVSS object keyed by source")
            }
            ignore_non_map!(Cvss);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cvss, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, LObj<CvssEntry>>()? {
                    if let Some(v) = v.0 {
                        out.push((k, v));
                    }
                }
                Ok(Cvss(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl Cvss {
    /// The vector of the preferred source and its score.
    fn pick(&self, severity_source: Option<&str>) -> Option<(String, Option<f64>)> {
        let by = |src: &str| {
            self.0
                .iter()
                .find(|(k, _)| k == src)
                .and_then(|(_, e)| e.best())
        };
        severity_source
            .and_then(by)
            .or_else(|| by("nvd"))
            .or_else(|| by("ghsa"))
            .or_else(|| by("redhat"))
            .or_else(|| self.0.iter().find_map(|(_, e)| e.best()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Misconf {
    #[serde(rename = "ID")]
    id: LStr,
    #[serde(rename = "AVDID")]
    avd_id: LStr,
    #[serde(rename = "Title")]
    title: LStr,
    #[serde(rename = "Description")]
    description: LStr,
    #[serde(rename = "Message")]
    message: LStr,
    #[serde(rename = "Severity")]
    severity: LStr,
    #[serde(rename = "Status")]
    status: LStr,
    #[serde(rename = "CauseMetadata")]
    cause: LObj<Cause>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cause {
    #[serde(rename = "StartLine")]
    start_line: LNum,
    #[serde(rename = "Code")]
    code: LObj<Code>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Code {
    #[serde(rename = "Lines")]
    lines: LList<LObj<CodeLine>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeLine {
    #[serde(rename = "Number")]
    number: LNum,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Secret {
    #[serde(rename = "RuleID")]
    rule_id: LStr,
    #[serde(rename = "Category")]
    category: LStr,
    #[serde(rename = "Severity")]
    severity: LStr,
    #[serde(rename = "Title")]
    title: LStr,
    #[serde(rename = "StartLine")]
    start_line: LNum,
}

/// `target:line`, or `target` when the line is unknown.
fn at_line(target: Option<&str>, line: Option<f64>) -> Option<String> {
    let t = target?;
    match line.filter(|l| *l >= 1.0 && *l < 1e12) {
        Some(l) => Some(format!("{t}:{}", l as u64)),
        None => Some(t.to_string()),
    }
}

fn severity(s: &LStr) -> Option<Severity> {
    s.get().and_then(Severity::parse_loose)
}

impl ItemElem<'_> {
    fn base(&self, weakness: Weakness, title: String, severity: Severity) -> Finding {
        Finding {
            tool: "trivy".to_string(),
            asset: self.asset.clone(),
            weakness,
            component: None,
            title,
            severity,
            cvss_vector: None,
            cvss_score: None,
            port: None,
            protocol: None,
            location: None,
            rule_id: None,
            description: None,
        }
    }

    fn vulnerability(&self, v: Vuln) -> Option<Finding> {
        let id = v.id.owned()?;
        let mut ids = vec![id.clone()];
        ids.extend(v.vendor_ids.0.iter().filter_map(LStr::owned));
        let mut weakness = Weakness::from_ids(&ids, WeaknessKind::Vendor)?;
        for c in v.cwe_ids.0.iter().filter_map(LStr::get) {
            if let Some(c) = crate::text::normalise_cwe(c) {
                crate::text::push_unique(&mut weakness.cwes, c);
            }
        }
        let cvss = v.cvss.pick(v.severity_source.get());
        // Trivy says UNKNOWN when no source rated the issue: a CVSS score,
        // when there is one, says more.
        let sev = severity(&v.severity)
            .filter(|_| {
                !v.severity
                    .get()
                    .is_some_and(|s| s.eq_ignore_ascii_case("unknown"))
            })
            .or_else(|| cvss.as_ref().and_then(|(_, s)| *s).map(Severity::from_cvss))
            .unwrap_or(Severity::Info);
        let pkg = v.pkg_name.owned();
        let title = v
            .title
            .owned()
            .unwrap_or_else(|| match (&pkg, v.installed_version.get()) {
                (Some(p), Some(ver)) => format!("{id} in {p} {ver}"),
                (Some(p), None) => format!("{id} in {p}"),
                _ => id.clone(),
            });
        let mut f = self.base(weakness, title, sev);
        f.component = pkg.map(|name| Component {
            name,
            version: v.installed_version.owned(),
            purl: v.pkg_identifier.get().and_then(|p| p.purl.owned()),
            fixed_version: v.fixed_version.owned(),
        });
        if let Some((vector, score)) = cvss {
            f.cvss_vector = Some(vector);
            f.cvss_score = score;
        }
        f.location = v.pkg_path.owned().or_else(|| {
            (self.target.class.as_deref() == Some("lang-pkgs"))
                .then(|| self.target.target.clone())
                .flatten()
        });
        f.rule_id = Some(id);
        f.description = v.description.owned();
        Some(f)
    }

    fn misconfiguration(&self, m: Misconf) -> Option<Finding> {
        if m.status
            .get()
            .is_some_and(|s| !s.eq_ignore_ascii_case("FAIL"))
        {
            return None;
        }
        let ids: Vec<String> = [m.id.owned(), m.avd_id.owned()]
            .into_iter()
            .flatten()
            .collect();
        let weakness = Weakness::from_ids(&ids, WeaknessKind::Misconfiguration)?;
        let title = m.title.owned().unwrap_or_else(|| weakness.id.clone());
        let rule = weakness.id.clone();
        let mut f = self.base(
            weakness,
            title,
            severity(&m.severity).unwrap_or(Severity::Info),
        );
        let line = m.cause.get().and_then(|c| {
            c.start_line.0.or_else(|| {
                c.code
                    .get()
                    .and_then(|code| code.lines.0.iter().find_map(|l| l.get()?.number.0))
            })
        });
        f.location = at_line(self.target.target.as_deref(), line);
        f.rule_id = Some(rule);
        f.description = match (m.message.owned(), m.description.owned()) {
            (Some(msg), Some(d)) => Some(format!("{msg}\n\n{d}")),
            (a, b) => a.or(b),
        };
        Some(f)
    }

    fn secret(&self, s: Secret) -> Option<Finding> {
        let id = s.rule_id.owned()?;
        let weakness = Weakness {
            kind: WeaknessKind::ExposedSecret,
            id: id.clone(),
            aliases: Vec::new(),
            cwes: Vec::new(),
        };
        let title = s.title.owned().unwrap_or_else(|| format!("secret {id}"));
        let mut f = self.base(
            weakness,
            title,
            severity(&s.severity).unwrap_or(Severity::High),
        );
        f.location = at_line(self.target.target.as_deref(), s.start_line.0);
        f.rule_id = Some(id);
        f.description = s.category.owned().map(|c| format!("secret category: {c}"));
        Some(f)
    }
}
