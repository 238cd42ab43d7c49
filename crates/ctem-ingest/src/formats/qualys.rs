//! Qualys VM XML reports: the scan report (`SCAN/IP/VULNS/CAT/VULN`, with
//! `PRACTICES`/`INFOS` alongside) and the asset data report
//! (`ASSET_DATA_REPORT`: `HOST_LIST/HOST/VULN_INFO_LIST/VULN_INFO` that name a
//! QID, and a `GLOSSARY` of `VULN_DETAILS` at the end).
//!
//! Streaming: quick-xml events, one host or vulnerability at a time. The
//! asset data report describes each QID only after all hosts, so its
//! detections are spooled to a temporary file (one small JSON line each)
//! and joined with the glossary at the end; memory holds only the glossary
//! (one entry per distinct QID), never the detections.
//!
//! Mapping:
//! - `IP` (`@value`, `@name`) or `HOST` (`IP`, `DNS`, `NETBIOS`) → a `Host`
//!   asset with `ip`, `fqdn`, `hostname`, the OS as a tag. Every host is in
//!   `scanned_assets`.
//! - one finding per CVE of the QID (`CVE_ID_LIST/CVE_ID/ID`), each with
//!   alias `qualys:<qid>`; a QID without CVE is one vendor finding
//!   `qualys:<qid>`.
//! - severity 1–5 → info, low, medium, high, critical (Qualys' own rating,
//!   as DefectDojo's default mapping).
//! - CVSS v3: the detection's `CVSS3_FINAL` score, else the QID's
//!   `CVSS3_BASE`; the vector is the one inside `CVSS3_BASE` (`9.0 (AV:…)`),
//!   as given.
//! - port and protocol from `CAT/@port`/`@protocol` or `PORT`/`PROTOCOL`.
//! - information gathered (`INFOS`, type `Ig`) is skipped (counted);
//!   `Vuln` and `Practice` (potential) items are findings.

use crate::registry::find;
use crate::text::{find_cve, push_unique, truncate};
use crate::xml::{self, Elem, Handler, Node};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, Weakness, WeaknessKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

pub(crate) static FORMAT: Format = Format {
    name: "qualys",
    description: "Qualys VM XML (scan report, asset data report)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    find(head, b"<ASSET_DATA_REPORT").is_some()
        || (find(head, b"<SCAN ").is_some() && find(head, b"<HEADER").is_some())
        || find(head, b"scan-1.dtd").is_some()
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("qualys");
    let mut h = QualysHandler::default();
    xml::stream(
        input,
        ctx,
        &["ASSET_DATA_REPORT", "SCAN"],
        "Qualys XML",
        &mut h,
    )?;
    h.finish(ctx)
}

/// One detection of the asset data report, waiting for its QID's details.
#[derive(Serialize, Deserialize)]
struct Pending {
    asset: AssetIdentity,
    qid: String,
    port: Option<u16>,
    protocol: Option<String>,
    cvss3: Option<f64>,
    result: Option<String>,
}

/// What the glossary says about a QID.
#[derive(Default, Clone)]
struct Details {
    title: Option<String>,
    severity: Option<String>,
    cves: Vec<String>,
    cvss3: Option<String>,
    solution: Option<String>,
}

impl Details {
    fn from_node(n: &Node) -> Details {
        let mut cves = Vec::new();
        if let Some(list) = n.child("CVE_ID_LIST") {
            for c in list.children("CVE_ID") {
                if let Some(id) = c.get("ID").or_else(|| c.text()).and_then(find_cve) {
                    push_unique(&mut cves, id);
                }
            }
        }
        Details {
            title: n.get("TITLE").map(str::to_string),
            severity: n
                .attr("severity")
                .or_else(|| n.get("SEVERITY"))
                .map(str::to_string),
            cves,
            cvss3: n
                .get("CVSS3_BASE")
                .or_else(|| n.get("CVSS3_SCORE/CVSS3_BASE"))
                .map(str::to_string),
            solution: n.get("SOLUTION").map(str::to_string),
        }
    }
}

#[derive(Default)]
struct QualysHandler {
    glossary: HashMap<String, Details>,
    spool: Option<BufWriter<File>>,
    spooled: u64,
    ip: Option<AssetIdentity>,
}

fn spool_err(file: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError::Io {
        file: file.to_string(),
        source: std::io::Error::other(format!("temporary spool: {e}")),
    }
}

fn level(s: Option<&str>) -> Severity {
    match s.map(str::trim) {
        Some("1") => Severity::Info,
        Some("2") => Severity::Low,
        Some("3") => Severity::Medium,
        Some("4") => Severity::High,
        Some("5") => Severity::Critical,
        Some(other) => Severity::parse_loose(other).unwrap_or(Severity::Info),
        None => Severity::Info,
    }
}

/// `9.0 (AV:N/AC:H/…)` → the vector inside the parentheses.
fn vector_of(s: &str) -> Option<String> {
    let (_, rest) = s.split_once('(')?;
    let v = rest.trim_end().trim_end_matches(')').trim();
    (!v.is_empty()).then(|| v.to_string())
}

#[allow(clippy::too_many_arguments)]
fn emit(
    ctx: &mut Ctx<'_>,
    asset: &AssetIdentity,
    qid: &str,
    d: &Details,
    port: Option<u16>,
    protocol: Option<String>,
    cvss3: Option<f64>,
    result: Option<&str>,
) -> Result<(), IngestError> {
    let vendor = format!("qualys:{qid}");
    let mut description = Vec::new();
    if let Some(r) = result {
        description.push(format!("Result:\n{}", truncate(r, 2000)));
    }
    if let Some(s) = &d.solution {
        description.push(format!("Solution: {}", truncate(s, 2000)));
    }
    let base = Finding {
        tool: "qualys".to_string(),
        asset: asset.clone(),
        weakness: Weakness {
            kind: WeaknessKind::Vendor,
            id: vendor.clone(),
            aliases: Vec::new(),
            cwes: Vec::new(),
        },
        component: None,
        title: d.title.clone().unwrap_or_else(|| vendor.clone()),
        severity: level(d.severity.as_deref()),
        cvss_vector: d.cvss3.as_deref().and_then(vector_of),
        cvss_score: cvss3.or_else(|| xml::float(d.cvss3.as_deref())),
        port,
        protocol,
        location: None,
        rule_id: Some(qid.to_string()),
        description: (!description.is_empty()).then(|| description.join("\n\n")),
    };
    if d.cves.is_empty() {
        return ctx.emit(base);
    }
    for cve in &d.cves {
        let mut f = base.clone();
        f.weakness.kind = WeaknessKind::Cve;
        f.weakness.id = cve.clone();
        f.weakness.aliases = vec![vendor.clone()];
        ctx.emit(f)?;
    }
    Ok(())
}

fn host_of(
    ip: Option<&str>,
    dns: Option<&str>,
    netbios: Option<&str>,
    os: Option<&str>,
) -> AssetIdentity {
    let mut a = super::openvas::host_asset(ip, dns);
    if let Some(nb) = netbios {
        a.hostname = Some(nb.to_string());
    }
    if let Some(os) = os {
        a.tags.push(format!("os:{os}"));
    }
    a.kind = Some(AssetKind::Host);
    a
}

impl QualysHandler {
    fn push(&mut self, ctx: &Ctx<'_>, p: &Pending) -> Result<(), IngestError> {
        if self.spool.is_none() {
            let f = tempfile::tempfile().map_err(|e| spool_err(&ctx.file, e))?;
            self.spool = Some(BufWriter::new(f));
        }
        if let Some(w) = &mut self.spool {
            serde_json::to_writer(&mut *w, p).map_err(|e| spool_err(&ctx.file, e))?;
            w.write_all(b"\n").map_err(|e| spool_err(&ctx.file, e))?;
            self.spooled += 1;
        }
        Ok(())
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
        let Some(w) = self.spool.take() else {
            return Ok(());
        };
        let mut file = w
            .into_inner()
            .map_err(|e| spool_err(&ctx.file, e.error()))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| spool_err(&ctx.file, e))?;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| spool_err(&ctx.file, e))?;
            let p: Pending = serde_json::from_str(&line).map_err(|e| spool_err(&ctx.file, e))?;
            let d = self.glossary.get(&p.qid).cloned().unwrap_or_default();
            emit(
                ctx,
                &p.asset,
                &p.qid,
                &d,
                p.port,
                p.protocol,
                p.cvss3,
                p.result.as_deref(),
            )?;
        }
        Ok(())
    }
}

impl Handler for QualysHandler {
    fn open(&mut self, ctx: &mut Ctx<'_>, path: &[Elem]) -> Result<bool, IngestError> {
        let Some(el) = path.last() else {
            return Ok(false);
        };
        let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
        let parent = parent.map(|e| e.name.as_str());
        Ok(match (el.name.as_str(), parent) {
            // Scan report.
            ("IP", Some("SCAN")) => {
                let a = host_of(el.attr("value"), el.attr("name"), None, None);
                ctx.scanned(&a);
                self.ip = Some(a);
                false
            }
            ("VULN" | "PRACTICE" | "INFO", Some("CAT")) => self.ip.is_some(),
            // Asset data report.
            ("HOST", Some("HOST_LIST")) => true,
            ("VULN_DETAILS", Some("VULN_DETAILS_LIST")) => true,
            _ => false,
        })
    }

    fn record(&mut self, ctx: &mut Ctx<'_>, path: &[Elem], node: Node) -> Result<(), IngestError> {
        match node.name.as_str() {
            "INFO" => {
                ctx.skip();
                Ok(())
            }
            "VULN" | "PRACTICE" => {
                let Some(asset) = self.ip.clone() else {
                    return Ok(());
                };
                let cat = path.len().checked_sub(2).and_then(|i| path.get(i));
                let qid = node.attr("number").unwrap_or("unknown").to_string();
                let d = Details::from_node(&node);
                let port = xml::int::<u16>(cat.and_then(|c| c.attr("port"))).filter(|p| *p != 0);
                let protocol = cat
                    .and_then(|c| c.attr("protocol"))
                    .map(str::to_ascii_lowercase);
                let result = node.get("RESULT").map(str::to_string);
                emit(
                    ctx,
                    &asset,
                    &qid,
                    &d,
                    port,
                    protocol,
                    None,
                    result.as_deref(),
                )
            }
            "HOST" => {
                let asset = host_of(
                    node.get("IP"),
                    node.get("DNS").or_else(|| node.get("FQDN")),
                    node.get("NETBIOS"),
                    node.get("OPERATING_SYSTEM"),
                );
                ctx.scanned(&asset);
                let Some(list) = node.child("VULN_INFO_LIST") else {
                    return Ok(());
                };
                for v in list.children("VULN_INFO") {
                    if v.get("TYPE").is_some_and(|t| t.eq_ignore_ascii_case("ig")) {
                        ctx.skip();
                        continue;
                    }
                    let Some(qid) = v.get("QID") else {
                        ctx.skip();
                        continue;
                    };
                    let p = Pending {
                        asset: asset.clone(),
                        qid: qid.to_string(),
                        port: xml::int::<u16>(v.get("PORT")).filter(|p| *p != 0),
                        protocol: v.get("PROTOCOL").map(str::to_ascii_lowercase),
                        cvss3: xml::float(v.get("CVSS3_FINAL")),
                        result: v.get("RESULT").map(|r| truncate(r, 2000)),
                    };
                    self.push(ctx, &p)?;
                }
                Ok(())
            }
            "VULN_DETAILS" => {
                if let Some(qid) = node.get("QID") {
                    self.glossary
                        .insert(qid.to_string(), Details::from_node(&node));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn close(&mut self, _: &mut Ctx<'_>, path: &[Elem]) -> Result<(), IngestError> {
        if path.last().is_some_and(|e| e.name == "IP") {
            self.ip = None;
        }
        Ok(())
    }
}
