//! OpenVAS / Greenbone XML reports (GMP `get_reports` XML, OpenVAS 8 to
//! GVM 22: `report/report/results/result`).
//!
//! Streaming: quick-xml events, one `result` at a time, and the report's
//! `host` summaries for the scanned hosts.
//!
//! Mapping:
//! - `result/host` (text: the address, with `hostname` inside) → a `Host`
//!   asset with `ip` (or `fqdn`/`hostname` when the text is a name) and the
//!   host name. The report's `host/ip` summaries and every result's host are
//!   in `scanned_assets`.
//! - one finding per CVE of the NVT (`refs/ref[@type=cve]/@id`, or the older
//!   `nvt/cve` list), each with alias `openvas:<oid>`; an NVT without CVE is
//!   one vendor finding `openvas:<oid>`.
//! - `port` `443/tcp` → port 443 and protocol tcp; `general/tcp` → protocol
//!   only.
//! - severity: `threat` as given (High, Medium, Low); when empty, from the
//!   numeric `severity`. `Log`/`Debug` results without a CVE are
//!   informational and skipped (counted), and so are `False Positive`s.
//! - CVSS: the result's `severity` (else `nvt/cvss_base`) as score; the
//!   vector from `nvt/severities/severity/value`, else the
//!   `cvss_base_vector=` tag, as given.

use crate::registry::find;
use crate::text::{find_cve, is_ip, push_unique, truncate};
use crate::xml::{self, Elem, Handler, Node};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, Weakness, WeaknessKind};
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "openvas",
    description: "OpenVAS / Greenbone (GVM) XML report",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    (find(head, b"<report").is_some() || find(head, b"<get_reports_response").is_some())
        && (find(head, b"<gmp>").is_some()
            || find(head, b"<omp>").is_some()
            || find(head, b"<nvt oid").is_some()
            || find(head, b"<scan_run_status>").is_some())
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("openvas");
    xml::stream(
        input,
        ctx,
        &["report", "get_reports_response"],
        "OpenVAS XML",
        &mut OpenvasHandler,
    )
}

struct OpenvasHandler;

/// A host asset from an address or name, and an optional host name.
pub(crate) fn host_asset(addr: Option<&str>, name: Option<&str>) -> AssetIdentity {
    let mut a = AssetIdentity {
        kind: Some(AssetKind::Host),
        ..AssetIdentity::default()
    };
    for v in [addr, name].into_iter().flatten() {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        if is_ip(v) {
            a.ip.get_or_insert_with(|| v.to_string());
        } else if v.contains('.') {
            if a.fqdn.is_none() {
                a.fqdn = Some(v.to_ascii_lowercase());
                a.hostname
                    .get_or_insert_with(|| v.split('.').next().unwrap_or(v).to_string());
            }
        } else {
            a.hostname.get_or_insert_with(|| v.to_string());
        }
    }
    a
}

/// `443/tcp` → (Some(443), Some("tcp")); `general/tcp` → (None, Some("tcp")).
pub(crate) fn port_proto(s: Option<&str>) -> (Option<u16>, Option<String>) {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return (None, None);
    };
    let (p, proto) = s.split_once('/').unwrap_or((s, ""));
    let port = p.trim().parse::<u16>().ok().filter(|p| *p != 0);
    let proto = proto.trim().to_ascii_lowercase();
    let proto =
        (!proto.is_empty() && proto.chars().all(|c| c.is_ascii_alphabetic())).then_some(proto);
    (port, proto)
}

impl Handler for OpenvasHandler {
    fn open(&mut self, _: &mut Ctx<'_>, path: &[Elem]) -> Result<bool, IngestError> {
        let name = path.last().map(|e| e.name.as_str());
        let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
        let parent = parent.map(|e| e.name.as_str());
        Ok(matches!(
            (name, parent),
            (Some("result"), Some("results")) | (Some("host"), Some("report"))
        ))
    }

    fn record(&mut self, ctx: &mut Ctx<'_>, _: &[Elem], node: Node) -> Result<(), IngestError> {
        if node.name == "host" {
            if let Some(ip) = node.get("ip") {
                ctx.scanned(&host_asset(Some(ip), None));
            }
            return Ok(());
        }
        let host = node.child("host");
        let asset = host_asset(
            host.and_then(Node::text),
            host.and_then(|h| h.get("hostname")),
        );
        if asset.ip.is_none() && asset.hostname.is_none() {
            ctx.skip();
            return Ok(());
        }
        ctx.scanned(&asset);
        let Some(nvt) = node.child("nvt") else {
            ctx.skip();
            return Ok(());
        };
        let mut cves = Vec::new();
        if let Some(refs) = nvt.child("refs") {
            for r in refs.children("ref") {
                if r.attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("cve"))
                    && let Some(c) = r.attr("id").and_then(find_cve)
                {
                    push_unique(&mut cves, c);
                }
            }
        }
        if let Some(list) = nvt.get("cve") {
            for part in list.split([',', ' ', '\n']) {
                if let Some(c) = find_cve(part) {
                    push_unique(&mut cves, c);
                }
            }
        }
        let score = xml::float(node.get("severity")).or_else(|| xml::float(nvt.get("cvss_base")));
        let threat = node.get("threat").map(str::to_ascii_lowercase);
        let severity = match threat.as_deref() {
            Some("false positive") => {
                ctx.skip();
                return Ok(());
            }
            Some("log") | Some("debug") => Severity::Info,
            Some(t) => Severity::parse_loose(t)
                .unwrap_or_else(|| score.map(Severity::from_cvss).unwrap_or(Severity::Info)),
            None => score.map(Severity::from_cvss).unwrap_or(Severity::Info),
        };
        if severity == Severity::Info && cves.is_empty() {
            ctx.skip();
            return Ok(());
        }
        let tags = nvt.get("tags").unwrap_or("");
        let tag = |key: &str| {
            tags.split('|').find_map(|t| {
                t.trim()
                    .strip_prefix(key)
                    .and_then(|v| v.strip_prefix('='))
                    .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|v| !v.is_empty())
            })
        };
        let vector = nvt
            .child("severities")
            .and_then(|s| s.child("severity"))
            .and_then(|s| s.get("value"))
            .map(str::to_string)
            .or_else(|| tag("cvss_base_vector"));
        let oid = nvt.attr("oid").unwrap_or("unknown");
        let vendor = format!("openvas:{oid}");
        let (port, protocol) = port_proto(node.get("port"));
        let mut description = Vec::new();
        if let Some(s) = tag("summary") {
            description.push(s);
        }
        if let Some(d) = node.get("description") {
            description.push(format!("Detection:\n{}", truncate(d, 2000)));
        }
        if let Some(s) = tag("solution") {
            description.push(format!("Solution: {s}"));
        }
        let base = Finding {
            tool: "openvas".to_string(),
            asset,
            weakness: Weakness {
                kind: WeaknessKind::Vendor,
                id: vendor.clone(),
                aliases: Vec::new(),
                cwes: Vec::new(),
            },
            component: None,
            title: nvt
                .get("name")
                .or_else(|| node.get("name"))
                .unwrap_or(&vendor)
                .to_string(),
            severity,
            cvss_vector: vector,
            cvss_score: score,
            port,
            protocol,
            location: None,
            rule_id: Some(oid.to_string()),
            description: (!description.is_empty()).then(|| description.join("\n\n")),
        };
        if cves.is_empty() {
            return ctx.emit(base);
        }
        for cve in cves {
            let mut f = base.clone();
            f.weakness.kind = WeaknessKind::Cve;
            f.weakness.id = cve;
            f.weakness.aliases = vec![vendor.clone()];
            ctx.emit(f)?;
        }
        Ok(())
    }
}
