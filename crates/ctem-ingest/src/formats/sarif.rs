//! SARIF 2.1.0 logs from any tool: code scanners, dependency scanners that
//! emit SARIF (Grype, OWASP Dependency-Check), secret scanners.
//!
//! Streaming: `runs[].results[]` is read one result at a time. A run's
//! context (the tool and its rules, `versionControlProvenance`,
//! `originalUriBaseIds`) may legally come after its results (Semgrep writes
//! `tool` last, some tools write `versionControlProvenance` last), so a
//! result is turned into findings at once only when the tool and the
//! repository are already known. Otherwise results are queued in a compact
//! form until the end of the run; past [`SPOOL_IN_MEMORY`] queued results the
//! queue moves to an anonymous temporary file, so memory stays bounded
//! whatever the number of results.
//!
//! Mapping:
//! - one finding per result location (`uri:line`), or one without location
//!   when the result has none; the fingerprint includes the location, so
//!   every place a problem occurs is tracked on its own;
//! - weakness: a CVE when the rule id or a tag carries one (kept as the
//!   primary id, rule id as alias), else the rule id as a `Vendor` weakness;
//!   CWE tags in any spelling (`CWE-79`, `external/cwe/cwe-079`) go to `cwes`;
//! - severity from `security-severity` (rule or result properties, a
//!   CVSS-like number) when present, else the level (result, else the rule's
//!   `defaultConfiguration`, else `warning`): error→high, warning→medium,
//!   note→low, none→info;
//! - asset: a `CodeRepository` named by `versionControlProvenance[0]`, else
//!   the resolved `SRCROOT` (or other `originalUriBaseIds`) URI, else the
//!   repository root of an `http(s)` artifact URI, else the file name;
//! - results that are suppressed (a suppression not `underReview` or
//!   `rejected`), `baselineState: absent`, or of kind `pass`/`notApplicable`
//!   are skipped: they are not open exposures.

use super::ignore_non_map;
use crate::json::{self, Element, LList, LNum, LObj, LStr, Seq};
use crate::registry::{first_significant, has_json_key, json_key_value};
use crate::text::{file_stem, find_cve, first_line, normalise_cwe, push_unique, truncate};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, Weakness, WeaknessKind};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

pub(crate) static FORMAT: Format = Format {
    name: "sarif",
    description: "SARIF 2.1.0 log from any tool (code, dependency and secret scanners)",
    sniff,
    parse,
};

/// Queued results kept in memory before the queue moves to a temporary file.
pub(crate) const SPOOL_IN_MEMORY: usize = 1024;

fn sniff(head: &[u8]) -> bool {
    if first_significant(head) != Some(b'{') {
        return false;
    }
    if let Some(v) = json_key_value(head, "$schema") {
        let s = v.strip_prefix(b"\"").unwrap_or(v);
        let end = s.iter().position(|b| *b == b'"').unwrap_or(s.len());
        if String::from_utf8_lossy(&s[..end])
            .to_ascii_lowercase()
            .contains("sarif")
        {
            return true;
        }
    }
    // `runs` may come first and fill the first KB: a run's `tool.driver` is
    // as telling as the version.
    has_json_key(head, "runs")
        && (json_key_value(head, "version").is_some_and(|v| v.starts_with(b"\"2.1.0\""))
            || has_json_key(head, "driver"))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let result = Log { ctx: &mut *ctx }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))?;
    if ctx.summary.tool.is_empty() {
        ctx.tool("sarif");
    }
    Ok(())
}

struct Log<'x, 's> {
    ctx: &'x mut Ctx<'s>,
}

impl<'de> DeserializeSeed<'de> for Log<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Log<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sarif log object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "runs" {
                map.next_value_seed(Seq {
                    ctx: &mut *self.ctx,
                    name: "runs",
                    elem: &mut RunElem,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Lenient shapes of the SARIF objects we read
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tool {
    driver: LObj<Driver>,
    extensions: LList<LObj<Driver>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Driver {
    name: LStr,
    rules: LList<LObj<RawRule>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRule {
    id: LStr,
    name: LStr,
    #[serde(rename = "shortDescription")]
    short_description: LObj<Message>,
    #[serde(rename = "fullDescription")]
    full_description: LObj<Message>,
    #[serde(rename = "defaultConfiguration")]
    default_configuration: LObj<Configuration>,
    properties: LObj<Properties>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Message {
    text: LStr,
    markdown: LStr,
}

impl Message {
    fn text(&self) -> Option<String> {
        self.text.owned().or_else(|| self.markdown.owned())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Configuration {
    level: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Properties {
    tags: LList<LStr>,
    #[serde(rename = "security-severity")]
    security_severity: LNum,
    #[serde(rename = "cvssv3_baseScore")]
    cvssv3_base_score: LNum,
    /// njsscan and mobsfscan put `CWE-327: Use of …` here.
    cwe: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Provenance {
    #[serde(rename = "repositoryUri")]
    repository_uri: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArtifactLocation {
    uri: LStr,
    #[serde(rename = "uriBaseId")]
    uri_base_id: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResult {
    #[serde(rename = "ruleId")]
    rule_id: LStr,
    #[serde(rename = "ruleIndex")]
    rule_index: LNum,
    rule: LObj<RuleRef>,
    kind: LStr,
    level: LStr,
    message: LObj<Message>,
    locations: LList<LObj<Location>>,
    properties: LObj<Properties>,
    suppressions: LList<LObj<Suppression>>,
    #[serde(rename = "baselineState")]
    baseline_state: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleRef {
    id: LStr,
    index: LNum,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Suppression {
    status: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Location {
    #[serde(rename = "physicalLocation")]
    physical_location: LObj<PhysicalLocation>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PhysicalLocation {
    #[serde(rename = "artifactLocation")]
    artifact_location: LObj<ArtifactLocation>,
    region: LObj<Region>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Region {
    #[serde(rename = "startLine")]
    start_line: LNum,
}

// ---------------------------------------------------------------------------
// Compact forms kept while reading a run
// ---------------------------------------------------------------------------

/// What ctem keeps of a rule.
#[derive(Default)]
struct Rule {
    id: Option<String>,
    short: Option<String>,
    full: Option<String>,
    level: Option<String>,
    cwes: Vec<String>,
    cve: Option<String>,
    security_severity: Option<f64>,
}

impl From<RawRule> for Rule {
    fn from(r: RawRule) -> Rule {
        let props = r.properties.0.unwrap_or_default();
        let mut cwes = Vec::new();
        let mut cve = None;
        for t in props
            .tags
            .0
            .iter()
            .chain([&props.cwe])
            .filter_map(LStr::get)
        {
            if let Some(c) = normalise_cwe(t) {
                push_unique(&mut cwes, c);
            }
            cve = cve.or_else(|| find_cve(t));
        }
        Rule {
            id: r.id.owned(),
            short: r
                .short_description
                .0
                .and_then(|m| m.text())
                .or_else(|| r.name.owned()),
            full: r.full_description.0.and_then(|m| m.text()),
            level: r.default_configuration.0.and_then(|c| c.level.owned()),
            cwes,
            cve,
            security_severity: props.security_severity.0,
        }
    }
}

/// What ctem keeps of a result until it can be turned into findings.
#[derive(Serialize, Deserialize, Default)]
struct Pending {
    rule_id: Option<String>,
    rule_index: Option<usize>,
    kind: Option<String>,
    level: Option<String>,
    message: Option<String>,
    locations: Vec<(String, Option<u64>)>,
    security_severity: Option<f64>,
    cvss_score: Option<f64>,
    tags: Vec<String>,
}

impl Pending {
    /// `None` when the result is not an open exposure (suppressed, absent
    /// from the baseline, a passed check).
    fn from_raw(r: RawResult) -> Option<Pending> {
        let suppressed = !r.suppressions.0.is_empty()
            && !r.suppressions.0.iter().any(|s| {
                s.get()
                    .and_then(|s| s.status.get())
                    .is_some_and(|st| st == "underReview" || st == "rejected")
            });
        let absent = r.baseline_state.get() == Some("absent");
        let passed = matches!(r.kind.get(), Some("pass" | "notApplicable"));
        if suppressed || absent || passed {
            return None;
        }
        let props = r.properties.0.unwrap_or_default();
        let index = |n: Option<f64>| {
            n.filter(|i| *i >= 0.0 && *i < u32::MAX as f64)
                .map(|i| i as usize)
        };
        let rule = r.rule.0.unwrap_or_default();
        let mut locations = Vec::new();
        for l in r.locations.0.iter().filter_map(LObj::get) {
            let Some(p) = l.physical_location.get() else {
                continue;
            };
            let Some(uri) = p.artifact_location.get().and_then(|a| a.uri.owned()) else {
                continue;
            };
            let line = p
                .region
                .get()
                .and_then(|r| r.start_line.0)
                .filter(|l| *l >= 1.0 && *l < 1e12)
                .map(|l| l as u64);
            if !locations.contains(&(uri.clone(), line)) {
                locations.push((uri, line));
            }
        }
        Some(Pending {
            rule_id: r.rule_id.owned().or_else(|| rule.id.owned()),
            rule_index: index(r.rule_index.0).or_else(|| index(rule.index.0)),
            kind: r.kind.owned(),
            level: r.level.owned(),
            message: r.message.0.and_then(|m| m.text()),
            locations,
            security_severity: props.security_severity.0,
            cvss_score: props.cvssv3_base_score.0,
            tags: props
                .tags
                .0
                .into_iter()
                .chain([props.cwe])
                .filter_map(|t| t.0)
                .collect(),
        })
    }
}

/// Queued results: in memory up to [`SPOOL_IN_MEMORY`], then in an anonymous
/// temporary file (deleted when dropped), one JSON line each.
#[derive(Default)]
struct Spool {
    memory: Vec<Pending>,
    file: Option<BufWriter<File>>,
}

fn spool_error(e: impl fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("temporary queue of sarif results: {e}"))
}

impl Spool {
    fn push(&mut self, p: Pending) -> std::io::Result<()> {
        if self.file.is_none() && self.memory.len() < SPOOL_IN_MEMORY {
            self.memory.push(p);
            return Ok(());
        }
        if self.file.is_none() {
            let mut w = BufWriter::new(tempfile::tempfile().map_err(spool_error)?);
            for m in self.memory.drain(..) {
                Self::write(&mut w, &m)?;
            }
            self.file = Some(w);
        }
        match self.file.as_mut() {
            Some(w) => Self::write(w, &p),
            None => Err(spool_error("not open")),
        }
    }

    fn write(w: &mut BufWriter<File>, p: &Pending) -> std::io::Result<()> {
        serde_json::to_writer(&mut *w, p).map_err(spool_error)?;
        w.write_all(b"\n").map_err(spool_error)
    }

    /// Hands every queued result to `f`, in order.
    fn drain(
        self,
        mut f: impl FnMut(Pending) -> Result<(), IngestError>,
        io: impl Fn(std::io::Error) -> IngestError,
    ) -> Result<(), IngestError> {
        for p in self.memory {
            f(p)?;
        }
        if let Some(w) = self.file {
            let mut file = w.into_inner().map_err(|e| io(spool_error(e.error())))?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| io(spool_error(e)))?;
            for line in BufReader::new(file).lines() {
                let line = line.map_err(|e| io(spool_error(e)))?;
                let p: Pending = serde_json::from_str(&line).map_err(|e| io(spool_error(e)))?;
                f(p)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Run {
    tool: Option<String>,
    tool_seen: bool,
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    vcp: Option<String>,
    vcp_seen: bool,
    /// `originalUriBaseIds`: name → (uri, parent base id).
    bases: BTreeMap<String, (Option<String>, Option<String>)>,
    first_uri: Option<String>,
    spool: Spool,
    asset: Option<AssetIdentity>,
}

impl Run {
    fn set_tool(&mut self, t: Tool) {
        self.tool_seen = true;
        let driver = t.driver.0.unwrap_or_default();
        self.tool = driver.name.owned();
        let extensions = t.extensions.0.into_iter().filter_map(|e| e.0);
        // ruleIndex refers to the driver's rules, which come first.
        for (i, raw) in driver
            .rules
            .0
            .into_iter()
            .chain(extensions.flat_map(|e| e.rules.0))
            .filter_map(|r| r.0)
            .enumerate()
        {
            let rule = Rule::from(raw);
            if let Some(id) = &rule.id {
                self.by_id.entry(id.clone()).or_insert(i);
            }
            self.rules.push(rule);
        }
    }

    fn tool_name(&self) -> String {
        self.tool
            .as_deref()
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| "sarif".to_string())
    }

    /// Resolves an `originalUriBaseIds` entry through its parents.
    fn base_uri(&self, name: &str) -> Option<String> {
        let mut parts = Vec::new();
        let mut next = Some(name.to_string());
        for _ in 0..8 {
            let Some(n) = next.take() else { break };
            let Some((uri, parent)) = self.bases.get(&n) else {
                break;
            };
            if let Some(u) = uri {
                parts.push(u.trim().to_string());
            }
            next = parent.clone();
        }
        parts.reverse();
        let joined = parts.concat();
        (joined.contains(':') || joined.starts_with('/')).then_some(joined)
    }

    fn asset(&mut self, file: &str) -> AssetIdentity {
        if let Some(a) = &self.asset {
            return a.clone();
        }
        let repo = self
            .vcp
            .clone()
            .or_else(|| self.base_uri("SRCROOT"))
            .or_else(|| self.base_uri("%SRCROOT%"))
            .or_else(|| {
                let names: Vec<String> = self.bases.keys().cloned().collect();
                names.iter().find_map(|n| self.base_uri(n))
            })
            .or_else(|| self.first_uri.as_deref().and_then(http_repo_root))
            .unwrap_or_else(|| file_stem(file));
        let a = AssetIdentity {
            kind: Some(AssetKind::CodeRepository),
            repository: Some(repo),
            ..AssetIdentity::default()
        };
        self.asset = Some(a.clone());
        a
    }

    fn rule(&self, p: &Pending) -> Option<&Rule> {
        p.rule_index
            .and_then(|i| self.rules.get(i))
            .filter(|r| p.rule_id.is_none() || r.id == p.rule_id)
            .or_else(|| {
                p.rule_id
                    .as_ref()
                    .and_then(|id| self.by_id.get(id))
                    .and_then(|i| self.rules.get(*i))
            })
    }

    /// The findings of one result: one per location.
    fn findings(&self, p: Pending, asset: &AssetIdentity) -> Vec<Finding> {
        let rule = self.rule(&p);
        let rule_id = p
            .rule_id
            .clone()
            .or_else(|| rule.and_then(|r| r.id.clone()));
        let message = p
            .message
            .clone()
            .or_else(|| rule.and_then(|r| r.short.clone()));
        let cve = rule_id
            .as_deref()
            .and_then(find_cve)
            .or_else(|| rule.and_then(|r| r.cve.clone()))
            .or_else(|| p.tags.iter().find_map(|t| find_cve(t)));
        let mut cwes = rule.map(|r| r.cwes.clone()).unwrap_or_default();
        for t in &p.tags {
            if let Some(c) = normalise_cwe(t) {
                push_unique(&mut cwes, c);
            }
        }
        let fallback_id = || {
            message
                .as_deref()
                .map(|m| truncate(first_line(m), 120))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "unnamed-result".to_string())
        };
        let weakness = match (&cve, &rule_id) {
            (Some(cve), rid) => Weakness {
                kind: WeaknessKind::Cve,
                id: cve.clone(),
                aliases: rid
                    .iter()
                    .filter(|r| !r.eq_ignore_ascii_case(cve))
                    .cloned()
                    .collect(),
                cwes,
            },
            (None, rid) => {
                let id = rid.clone().unwrap_or_else(fallback_id);
                let mut w = Weakness::from_ids(std::slice::from_ref(&id), WeaknessKind::Vendor)
                    .unwrap_or(Weakness {
                        kind: WeaknessKind::Vendor,
                        id,
                        aliases: Vec::new(),
                        cwes: Vec::new(),
                    });
                w.cwes = cwes;
                w
            }
        };
        let security_severity = p
            .security_severity
            .or_else(|| rule.and_then(|r| r.security_severity));
        let severity = match security_severity {
            Some(s) => Severity::from_cvss(s),
            None => {
                let level = p
                    .level
                    .as_deref()
                    .or_else(|| rule.and_then(|r| r.level.as_deref()))
                    .unwrap_or(match p.kind.as_deref() {
                        None | Some("fail") => "warning",
                        Some(_) => "none",
                    });
                level_severity(level)
            }
        };
        let cvss_score = if weakness.kind == WeaknessKind::Cve {
            p.cvss_score.or(security_severity)
        } else {
            None
        };
        let title = message
            .as_deref()
            .map(|m| truncate(first_line(m), 200))
            .filter(|t| !t.is_empty())
            .or_else(|| rule.and_then(|r| r.short.clone()))
            .unwrap_or_else(|| weakness.id.clone());
        let mut description: Vec<String> = Vec::new();
        if let Some(m) = &message
            && m.trim() != title
        {
            description.push(m.clone());
        }
        if let Some(full) = rule.and_then(|r| r.full.clone())
            && !description.contains(&full)
            && full != title
        {
            description.push(full);
        }
        let base = Finding {
            tool: self.tool_name(),
            asset: asset.clone(),
            weakness,
            component: None,
            title,
            severity,
            cvss_vector: None,
            cvss_score,
            port: None,
            protocol: None,
            location: None,
            rule_id,
            description: (!description.is_empty()).then(|| description.join("\n\n")),
        };
        if p.locations.is_empty() {
            return vec![base];
        }
        let n = p.locations.len();
        let mut out = Vec::with_capacity(n);
        for (i, (uri, line)) in p.locations.into_iter().enumerate() {
            let location = Some(match line {
                Some(l) => format!("{uri}:{l}"),
                None => uri,
            });
            if i + 1 == n {
                out.push(Finding { location, ..base });
                break;
            }
            out.push(Finding {
                location,
                ..base.clone()
            });
        }
        out
    }
}

fn level_severity(level: &str) -> Severity {
    match level {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        "note" => Severity::Low,
        "none" => Severity::Info,
        other => Severity::parse_loose(other).unwrap_or(Severity::Medium),
    }
}

/// `https://github.com/org/repo/blob/main/x.py` → `https://github.com/org/repo`.
fn http_repo_root(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let mut segs = rest.split('/').filter(|s| !s.is_empty());
    let host = segs.next()?;
    let owner = segs.next()?;
    let repo = segs.next()?;
    Some(format!("{scheme}://{host}/{owner}/{repo}"))
}

struct RunElem;

impl Element for RunElem {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(RunVisitor { ctx })
    }
}

struct RunVisitor<'x, 's> {
    ctx: &'x mut Ctx<'s>,
}

impl<'de> Visitor<'de> for RunVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sarif run object")
    }
    ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut run = Run::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "tool" => {
                    let t = map.next_value::<LObj<Tool>>()?;
                    run.set_tool(t.0.unwrap_or_default());
                }
                "versionControlProvenance" => {
                    let v = map.next_value::<LList<LObj<Provenance>>>()?;
                    run.vcp_seen = true;
                    run.vcp =
                        v.0.into_iter()
                            .find_map(|p| p.0.and_then(|p| p.repository_uri.0));
                }
                "originalUriBaseIds" => {
                    let v = map.next_value::<LObj<BTreeMap<String, LObj<ArtifactLocation>>>>()?;
                    for (k, loc) in v.0.unwrap_or_default() {
                        if let Some(loc) = loc.0 {
                            run.bases.insert(k, (loc.uri.0, loc.uri_base_id.0));
                        }
                    }
                }
                "results" => {
                    map.next_value_seed(Seq {
                        ctx: &mut *ctx,
                        name: "results",
                        elem: &mut ResultElem { run: &mut run },
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let asset = run.asset(&ctx.file);
        ctx.scanned(&asset);
        ctx.tool(&run.tool_name());
        let spool = std::mem::take(&mut run.spool);
        let file = ctx.file.clone();
        let io = |source| IngestError::Io {
            file: file.clone(),
            source,
        };
        let result = spool.drain(
            |p| {
                for f in run.findings(p, &asset) {
                    ctx.emit(f)?;
                }
                Ok(())
            },
            io,
        );
        result.map_err(|e| json::abort(ctx, e))
    }
}

struct ResultElem<'x> {
    run: &'x mut Run,
}

impl Element for ResultElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let raw = LObj::<RawResult>::deserialize(d)?;
        let Some(p) = raw.0.and_then(Pending::from_raw) else {
            ctx.skip();
            return Ok(());
        };
        if self.run.first_uri.is_none() {
            self.run.first_uri = p.locations.first().map(|(u, _)| u.clone());
        }
        if self.run.tool_seen && self.run.vcp_seen {
            let asset = self.run.asset(&ctx.file);
            for f in self.run.findings(p, &asset) {
                json::emit(ctx, f)?;
            }
            return Ok(());
        }
        self.run.spool.push(p).map_err(|source| {
            let file = ctx.file.clone();
            json::abort(ctx, IngestError::Io { file, source })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_roots_of_http_uris() {
        assert_eq!(
            http_repo_root("https://github.com/org/repo/blob/main/x.py").as_deref(),
            Some("https://github.com/org/repo")
        );
        assert_eq!(http_repo_root("file:///src/x.py"), None);
        assert_eq!(http_repo_root("https://github.com/org"), None);
    }

    #[test]
    fn spool_moves_to_a_file_and_keeps_order() {
        let mut s = Spool::default();
        let n = SPOOL_IN_MEMORY + 10;
        for i in 0..n {
            s.push(Pending {
                rule_id: Some(format!("r{i}")),
                ..Pending::default()
            })
            .expect("push");
        }
        assert!(s.file.is_some());
        assert!(s.memory.is_empty());
        let mut seen = Vec::new();
        s.drain(
            |p| {
                seen.push(p.rule_id.unwrap_or_default());
                Ok(())
            },
            |e| IngestError::Io {
                file: "t".into(),
                source: e,
            },
        )
        .expect("drain");
        assert_eq!(seen.len(), n);
        assert_eq!(seen[0], "r0");
        assert_eq!(seen[n - 1], format!("r{}", n - 1));
    }
}
