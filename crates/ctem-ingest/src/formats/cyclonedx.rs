//! CycloneDX SBOM / VEX / VDR documents, JSON and XML (spec 1.0–1.6, as
//! Trivy, Syft, Grype, cdxgen, Snyk and jake emit them), including the 1.0
//! vulnerability extension of XML 1.1–1.3 (`v:vulnerabilities` nested in a
//! component).
//!
//! Streaming: JSON `components[]` and `vulnerabilities[]` are read one
//! element at a time; XML is read by records (`metadata`, each `component`,
//! each `vulnerability`). The component inventory (`bom-ref` → name,
//! version, purl) is kept, since vulnerabilities point into it; it grows with
//! the SBOM, never with the findings. A vulnerability read before the
//! metadata and the components (any order is legal) is queued (bounded, see
//! `spool`) until the end of the document.
//!
//! Mapping:
//! - asset: `metadata.component` — `container` → `container_image` (name
//!   without tag, digest from the version or purl when it is `sha256:`),
//!   `device` → `host`, anything else (application, library, file, …) →
//!   `code_repository` named `group/name`; no metadata component → a code
//!   repository named after the file. The asset is `scanned` even when the
//!   document has no vulnerabilities (a plain SBOM yields zero findings).
//! - one finding per vulnerability and affected component (`affects[].ref`
//!   resolved through the inventory; a ref that is itself a purl, or a
//!   `urn:cdx:…#pkg:…` ref into another BOM, gives the component directly);
//!   a vulnerability without `affects` gives one finding without component.
//! - weakness: `id` plus `references[].id`; a CVE is the primary id, the
//!   others (GHSA, SNYK-…, the tool's id) are aliases. `cwes` → CWEs.
//! - CVSS: the rating with method CVSSv31, else CVSSv3, CVSSv4, CVSSv2 — its
//!   `vector` and `score` as given (no `CVSS:3.x/` prefix is added).
//!   Severity: that rating's `severity`, else the first rating with a
//!   severity (Grype writes its own first, without method), else from the
//!   CVSS score, else info.
//! - VEX `analysis.state`: `not_affected`, `false_positive`, `resolved`,
//!   `resolved_with_pedigree` → skipped (counted); `exploitable`,
//!   `in_triage` (and no analysis) → finding, the state and justification in
//!   the description.
//! - tool: `metadata.tools` names (1.4 list or 1.5 `components`), else
//!   `cyclonedx`.

use crate::deps::{self, component_from_purl, cwes, severity_word};
use crate::json::{self, Element, LList, LNum, LObj, LStr, Seq};
use crate::registry::{find, first_significant, json_key_value};
use crate::spool::Spool;
use crate::xmltree::{self, Handler, Node};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Component, Finding, Severity, Weakness, WeaknessKind};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "cyclonedx",
    description: "CycloneDX SBOM/VEX JSON or XML (spec 1.0-1.6; Trivy, Syft, Grype, cdxgen, Snyk)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    match first_significant(head) {
        Some(b'{') => {
            json_key_value(head, "bomFormat").is_some_and(|v| v.starts_with(b"\"CycloneDX\""))
        }
        Some(b'<') => {
            find(head, b"<bom").is_some() && find(head, b"cyclonedx.org/schema/bom").is_some()
        }
        _ => false,
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let first = input
        .fill_buf()
        .map_err(|source| IngestError::Io {
            file: ctx.file.clone(),
            source,
        })?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    let mut doc = Doc::default();
    if first == Some(b'<') {
        xmltree::read(input, ctx, &["bom"], &mut doc)?;
    } else {
        let mut de = serde_json::Deserializer::from_reader(json::reader(input));
        let result = Root {
            ctx: &mut *ctx,
            doc: &mut doc,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        result.map_err(|e| json::convert(ctx, e))?;
        if !doc.is_cyclonedx {
            return Err(IngestError::Invalid {
                file: ctx.file.clone(),
                message: "no `bomFormat: CycloneDX`: not a CycloneDX document".to_string(),
            });
        }
    }
    doc.finish(ctx)
}

// ---------------------------------------------------------------------------
// Format-neutral document state
// ---------------------------------------------------------------------------

/// A vulnerability, read from JSON or XML.
#[derive(Default)]
struct Vuln {
    id: Option<String>,
    aliases: Vec<String>,
    ratings: Vec<Rating>,
    cwes: Vec<String>,
    description: Option<String>,
    recommendation: Option<String>,
    state: Option<String>,
    justification: Option<String>,
    refs: Vec<String>,
}

#[derive(Default)]
struct Rating {
    severity: Option<String>,
    score: Option<f64>,
    method: Option<String>,
    vector: Option<String>,
}

/// A finding waiting for its component and asset.
#[derive(Serialize, Deserialize)]
struct Pending {
    finding: Finding,
    refs: Vec<String>,
}

#[derive(Default)]
struct Doc {
    is_cyclonedx: bool,
    components: HashMap<String, Component>,
    asset: Option<AssetIdentity>,
    metadata_seen: bool,
    components_seen: bool,
    tools: Vec<String>,
    spool: Spool<Pending>,
}

impl Doc {
    fn asset(&self, file: &str) -> AssetIdentity {
        self.asset
            .clone()
            .unwrap_or_else(|| deps::repository(None, file))
    }

    fn add_component(&mut self, c: &RawComponent) {
        let Some(name) = c.name.clone().or_else(|| {
            c.purl
                .as_deref()
                .and_then(deps::purl_name_version)
                .map(|(n, _)| n)
        }) else {
            return;
        };
        let comp = Component {
            name,
            version: c.version.clone(),
            purl: c.purl.clone(),
            fixed_version: None,
        };
        if let Some(r) = &c.bom_ref {
            self.components.insert(r.clone(), comp.clone());
        }
        if let Some(p) = &c.purl {
            self.components.entry(p.clone()).or_insert(comp);
        }
    }

    fn set_metadata(&mut self, c: Option<RawComponent>, file: &str) {
        self.metadata_seen = true;
        let Some(c) = c else { return };
        let name = match (&c.group, &c.name) {
            (Some(g), Some(n)) => Some(format!("{g}/{n}")),
            (None, Some(n)) => Some(n.clone()),
            _ => None,
        };
        let asset = match c.kind.as_deref() {
            Some("container") => {
                let reference = c.name.clone().or_else(|| c.purl.clone());
                let digest = [c.version.as_deref(), c.purl.as_deref()]
                    .into_iter()
                    .flatten()
                    .find_map(|v| v.find("sha256:").map(|i| v[i..].to_string()))
                    .map(|d| {
                        d.split(['?', '&', '#'])
                            .next()
                            .unwrap_or(&d)
                            .replace("%3A", ":")
                            .replace("%3a", ":")
                    });
                match reference {
                    Some(r) => deps::image(&r, digest.as_deref()),
                    None => deps::repository(None, file),
                }
            }
            Some("device") => match &c.name {
                Some(n) => deps::host(n),
                None => deps::repository(None, file),
            },
            _ => deps::repository(name.as_deref().or(c.purl.as_deref()), file),
        };
        self.asset = Some(asset);
    }

    /// Turns a vulnerability into a pending finding, or skips it (VEX).
    fn vulnerability(&mut self, ctx: &mut Ctx<'_>, v: Vuln) -> Result<(), IngestError> {
        let state = v.state.as_deref().map(str::to_ascii_lowercase);
        if matches!(
            state.as_deref(),
            Some("not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree")
        ) {
            ctx.skip();
            return Ok(());
        }
        let Some(id) = v.id.clone() else {
            ctx.skip();
            return Ok(());
        };
        let mut ids = vec![id.clone()];
        ids.extend(v.aliases.iter().cloned());
        let Some(mut weakness) = Weakness::from_ids(&ids, WeaknessKind::Vendor) else {
            ctx.skip();
            return Ok(());
        };
        weakness.cwes = v.cwes.clone();
        let rank = |m: Option<&str>| match m.map(str::to_ascii_lowercase).as_deref() {
            Some("cvssv31") => 0,
            Some("cvssv3") => 1,
            Some("cvssv4") | Some("cvssv40") => 2,
            Some("cvssv2") => 3,
            _ => 9,
        };
        let best = v
            .ratings
            .iter()
            .filter(|r| rank(r.method.as_deref()) < 9 && (r.vector.is_some() || r.score.is_some()))
            .min_by_key(|r| rank(r.method.as_deref()));
        let severity = best
            .and_then(|r| severity_word(r.severity.as_deref()))
            .or_else(|| {
                v.ratings
                    .iter()
                    .find_map(|r| severity_word(r.severity.as_deref()))
            })
            .or_else(|| best.and_then(|r| r.score).map(Severity::from_cvss))
            .unwrap_or(Severity::Info);
        let mut f = deps::finding(
            "",
            &AssetIdentity::default(),
            weakness,
            id.clone(),
            severity,
        );
        if let Some(r) = best {
            f.cvss_vector = r.vector.clone();
            f.cvss_score = r.score;
        }
        f.rule_id = Some(id);
        let mut description = Vec::new();
        if let Some(d) = &v.description {
            description.push(d.clone());
        }
        if let Some(r) = &v.recommendation {
            description.push(format!("Recommendation: {r}"));
        }
        if let Some(s) = &state {
            let mut line = format!("VEX analysis state: {s}");
            if let Some(j) = &v.justification {
                line.push_str(&format!(" ({j})"));
            }
            description.push(line);
        }
        f.description = (!description.is_empty()).then(|| description.join("\n\n"));
        let p = Pending {
            finding: f,
            refs: v.refs,
        };
        if self.metadata_seen && self.components_seen {
            let asset = self.asset(&ctx.file);
            ctx.scanned(&asset);
            self.emit(ctx, &asset, p)
        } else {
            self.spool.push(p).map_err(|source| IngestError::Io {
                file: ctx.file.clone(),
                source,
            })
        }
    }

    fn component_for(&self, r: &str) -> Option<Component> {
        if let Some(c) = self.components.get(r) {
            return Some(c.clone());
        }
        let purl = match r.find("pkg:") {
            Some(i) => &r[i..],
            None => return None,
        };
        self.components
            .get(purl)
            .cloned()
            .or_else(|| component_from_purl(purl))
    }

    fn emit(
        &self,
        ctx: &mut Ctx<'_>,
        asset: &AssetIdentity,
        p: Pending,
    ) -> Result<(), IngestError> {
        let tool = self.tool_name();
        let mut base = p.finding;
        base.tool = tool;
        base.asset = asset.clone();
        let mut refs = p.refs;
        refs.dedup();
        if refs.is_empty() {
            base.title = deps::default_title(&base.title, None);
            return ctx.emit(base);
        }
        for r in refs {
            let mut f = base.clone();
            f.component = self.component_for(&r);
            f.title = deps::default_title(&base.title, f.component.as_ref());
            if f.component.is_none() {
                f.location = Some(r);
            }
            ctx.emit(f)?;
        }
        Ok(())
    }

    fn tool_name(&self) -> String {
        if self.tools.is_empty() {
            "cyclonedx".to_string()
        } else {
            self.tools.join(", ")
        }
    }

    fn finish(mut self, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
        for t in self.tools.clone() {
            ctx.tool(&t);
        }
        if self.tools.is_empty() {
            ctx.tool("cyclonedx");
        }
        let asset = self.asset(&ctx.file);
        ctx.scanned(&asset);
        let mut spool = std::mem::take(&mut self.spool);
        let file = ctx.file.clone();
        spool.drain(&file, |p| self.emit(ctx, &asset, p))
    }
}

/// A component as read, before it joins the inventory.
#[derive(Default)]
struct RawComponent {
    bom_ref: Option<String>,
    kind: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct JComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: LStr,
    #[serde(rename = "type")]
    kind: LStr,
    group: LStr,
    name: LStr,
    version: LStr,
    purl: LStr,
    components: LList<LObj<JComponent>>,
}

impl JComponent {
    fn raw(&self) -> RawComponent {
        RawComponent {
            bom_ref: self.bom_ref.owned(),
            kind: self.kind.owned(),
            group: self.group.owned(),
            name: self.name.owned(),
            version: self.version.owned(),
            purl: self.purl.owned(),
        }
    }

    fn add_all(&self, doc: &mut Doc) {
        doc.add_component(&self.raw());
        for c in self.components.0.iter().filter_map(LObj::get) {
            c.add_all(doc);
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JMetadata {
    component: LObj<JComponent>,
    tools: serde_json::Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JVuln {
    id: LStr,
    references: LList<LObj<JRef>>,
    ratings: LList<LObj<JRating>>,
    cwes: LList<LStr>,
    description: LStr,
    detail: LStr,
    recommendation: LStr,
    analysis: LObj<JAnalysis>,
    affects: LList<LObj<JAffect>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JRef {
    id: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JRating {
    score: LNum,
    severity: LStr,
    method: LStr,
    vector: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JAnalysis {
    state: LStr,
    justification: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JAffect {
    #[serde(rename = "ref")]
    r: LStr,
}

impl JVuln {
    fn neutral(self) -> Vuln {
        let analysis = self.analysis.0.unwrap_or_default();
        Vuln {
            id: self.id.owned(),
            aliases: self
                .references
                .0
                .iter()
                .filter_map(|r| r.get()?.id.owned())
                .collect(),
            ratings: self
                .ratings
                .0
                .iter()
                .filter_map(LObj::get)
                .map(|r| Rating {
                    severity: r.severity.owned(),
                    score: r.score.0,
                    method: r.method.owned(),
                    vector: r.vector.owned(),
                })
                .collect(),
            cwes: cwes(self.cwes.0.iter().filter_map(LStr::get)),
            description: self.description.owned().or(self.detail.owned()),
            recommendation: self.recommendation.owned(),
            state: analysis.state.owned(),
            justification: analysis.justification.owned(),
            refs: self
                .affects
                .0
                .iter()
                .filter_map(|a| a.get()?.r.owned())
                .collect(),
        }
    }
}

/// Tool names of `metadata.tools`: a list of tools (≤ 1.4) or an object
/// with `components` and `services` (1.5+).
fn tool_names(v: &serde_json::Value) -> Vec<String> {
    let list = match v {
        serde_json::Value::Array(a) => a.iter().collect::<Vec<_>>(),
        serde_json::Value::Object(o) => ["components", "services"]
            .iter()
            .filter_map(|k| o.get(*k)?.as_array())
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    list.iter()
        .filter_map(|t| t.get("name")?.as_str())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

struct Root<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    doc: &'x mut Doc,
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
        f.write_str("a CycloneDX document object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "bomFormat" => {
                    let v = map.next_value::<LStr>()?;
                    self.doc.is_cyclonedx = v.get() == Some("CycloneDX");
                }
                "metadata" => {
                    let m = map.next_value::<LObj<JMetadata>>()?.0.unwrap_or_default();
                    self.doc.tools = tool_names(&m.tools);
                    let c = m.component.0;
                    if let Some(c) = &c {
                        // Nested components of the described one are part
                        // of the inventory.
                        for n in c.components.0.iter().filter_map(LObj::get) {
                            n.add_all(self.doc);
                        }
                    }
                    let file = self.ctx.file.clone();
                    self.doc.set_metadata(c.map(|c| c.raw()), &file);
                }
                "components" => {
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "components",
                        elem: &mut ComponentElem { doc: self.doc },
                    })?;
                    self.doc.components_seen = true;
                }
                "vulnerabilities" => {
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "vulnerabilities",
                        elem: &mut VulnElem { doc: self.doc },
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

struct ComponentElem<'x> {
    doc: &'x mut Doc,
}

impl Element for ComponentElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, _: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        if let Some(c) = LObj::<JComponent>::deserialize(d)?.0 {
            c.add_all(self.doc);
        }
        Ok(())
    }
}

struct VulnElem<'x> {
    doc: &'x mut Doc,
}

impl Element for VulnElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        match LObj::<JVuln>::deserialize(d)?.0 {
            Some(v) => self
                .doc
                .vulnerability(ctx, v.neutral())
                .map_err(|e| json::abort(ctx, e)),
            None => {
                ctx.skip();
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------

fn xml_component(n: &Node) -> RawComponent {
    RawComponent {
        bom_ref: n.attr("bom-ref").map(str::to_string),
        kind: n.attr("type").map(str::to_string),
        group: n.text_of("group"),
        name: n.text_of("name"),
        version: n.text_of("version"),
        purl: n.text_of("purl"),
    }
}

fn xml_vuln(n: &Node) -> Vuln {
    let ratings = n
        .child("ratings")
        .map(|r| {
            r.all("rating")
                .map(|r| Rating {
                    severity: r.text_of("severity"),
                    score: r
                        .child("score")
                        .and_then(|s| s.text_of("base").or_else(|| s.value()))
                        .and_then(|s| s.parse::<f64>().ok())
                        .filter(|s| s.is_finite()),
                    method: r.text_of("method"),
                    vector: r.text_of("vector"),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut refs: Vec<String> = n.attr("ref").map(str::to_string).into_iter().collect();
    if let Some(a) = n.child("affects") {
        for t in a.all("target") {
            if let Some(r) = t.text_of("ref") {
                refs.push(r);
            }
        }
    }
    let recommendation = n.text_of("recommendation").or_else(|| {
        n.child("recommendations")
            .and_then(|r| r.text_of("recommendation"))
    });
    Vuln {
        id: n.text_of("id"),
        aliases: n
            .child("references")
            .map(|r| r.all("reference").filter_map(|r| r.text_of("id")).collect())
            .unwrap_or_default(),
        ratings,
        cwes: n
            .child("cwes")
            .map(|c| {
                let texts: Vec<String> = c.all("cwe").filter_map(Node::value).collect();
                cwes(texts.iter().map(String::as_str))
            })
            .unwrap_or_default(),
        description: n.text_of("description").or_else(|| n.text_of("detail")),
        recommendation,
        state: n.at(&["analysis", "state"]).and_then(Node::value),
        justification: n.at(&["analysis", "justification"]).and_then(Node::value),
        refs,
    }
}

fn add_xml_components(doc: &mut Doc, n: &Node) {
    doc.add_component(&xml_component(n));
    if let Some(cs) = n.child("components") {
        for c in cs.all("component") {
            add_xml_components(doc, c);
        }
    }
}

impl Handler for Doc {
    fn want(&self, path: &[String], name: &str) -> bool {
        let parent = path.last().map(String::as_str);
        match name {
            "metadata" => path.len() == 1,
            "component" => parent == Some("components"),
            "vulnerability" => parent == Some("vulnerabilities"),
            _ => false,
        }
    }

    fn exclude(&self, root: &str, child: &str) -> bool {
        root == "component" && matches!(child, "components" | "vulnerabilities")
    }

    fn node(&mut self, ctx: &mut Ctx<'_>, _path: &[String], node: Node) -> Result<(), IngestError> {
        match node.name.as_str() {
            "metadata" => {
                if let Some(tools) = node.child("tools") {
                    let mut names: Vec<String> = tools
                        .all("tool")
                        .filter_map(|t| t.text_of("name"))
                        .collect();
                    for k in ["components", "services"] {
                        if let Some(list) = tools.child(k) {
                            names.extend(list.children.iter().filter_map(|t| t.text_of("name")));
                        }
                    }
                    self.tools = names;
                }
                let c = node.child("component");
                if let Some(nested) = c.and_then(|c| c.child("components")) {
                    for n in nested.all("component") {
                        add_xml_components(self, n);
                    }
                }
                let file = ctx.file.clone();
                self.set_metadata(c.map(xml_component), &file);
                Ok(())
            }
            "component" => {
                self.add_component(&xml_component(&node));
                Ok(())
            }
            "vulnerability" => self.vulnerability(ctx, xml_vuln(&node)),
            _ => Ok(()),
        }
    }

    fn end(&mut self, _ctx: &mut Ctx<'_>, path: &[String], name: &str) -> Result<(), IngestError> {
        if path.len() == 1 && name == "components" {
            self.components_seen = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ctem_model::AssetKind;

    #[test]
    fn sniffs_json_and_xml_but_not_other_json() {
        assert!(sniff(
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.5"}"#
        ));
        assert!(sniff(
            br#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4">"#
        ));
        assert!(!sniff(br#"{"spdxVersion": "SPDX-2.3"}"#));
        assert!(!sniff(br#"{"a": "bomFormat: CycloneDX"}"#));
    }

    #[test]
    fn kinds_of_metadata_component() {
        let mut d = Doc::default();
        d.set_metadata(
            Some(RawComponent {
                kind: Some("container".into()),
                name: Some("registry.example/app:1.2".into()),
                version: Some("sha256:abc".into()),
                ..RawComponent::default()
            }),
            "x.json",
        );
        let a = d.asset("x.json");
        assert_eq!(a.kind, Some(AssetKind::ContainerImage));
        assert_eq!(a.image.as_deref(), Some("registry.example/app"));
        assert_eq!(a.image_digest.as_deref(), Some("sha256:abc"));
    }
}
