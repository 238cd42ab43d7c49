//! nmap XML output (`nmap -oX`, `nmaprun/host`), including the `vulners`
//! NSE script and other `vuln` scripts that name CVEs.
//!
//! Streaming: quick-xml events, one `host` at a time.
//!
//! Mapping:
//! - `host` → a `Host` asset: `address[@addrtype=ipv4|ipv6]` as `ip`,
//!   `hostnames/hostname[@name]` (the `user` name first, then `PTR`) as
//!   `fqdn`/`hostname`, the MAC address as a tag. Every host that is not
//!   `down` is in `scanned_assets`, open ports or not (a host nmap could not
//!   reach says nothing about its exposures).
//! - every open port (`state/@state` = `open`) is an exposure: weakness
//!   `open-port:<proto>/<port>` (vendor kind), severity info, port and
//!   protocol set, title `Open port: 22/tcp (ssh OpenSSH 7.4)`, component
//!   from the service's CPE (else `product`) and `version`. Closed and
//!   filtered ports are skipped (counted).
//! - `vulners` script entries (`table/table` with `id`, `cvss`) → one finding
//!   per entry on that port: CVE ids as CVE weaknesses, other ids
//!   (`EXPLOITPACK:…`, `MSF:…`) as vendor weaknesses; severity from the
//!   entry's CVSS score, kept as the score. Other scripts whose output says
//!   `VULNERABLE` → one CVE finding per CVE id they name.
//! - findings of a port come before the port's own open-port finding.

use super::openvas::host_asset;
use crate::registry::find;
use crate::text::{cpe_product, find_cve, push_unique, truncate};
use crate::xml::{self, Elem, Handler, Node};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Component, Finding, Severity, Weakness, WeaknessKind};
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "nmap",
    description: "nmap XML output (-oX), with vulners and vuln script results",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    find(head, b"<nmaprun").is_some()
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("nmap");
    xml::stream(input, ctx, &["nmaprun"], "nmap XML", &mut NmapHandler)
}

struct NmapHandler;

impl Handler for NmapHandler {
    fn open(&mut self, _: &mut Ctx<'_>, path: &[Elem]) -> Result<bool, IngestError> {
        Ok(path.len() == 2 && path.last().is_some_and(|e| e.name == "host"))
    }

    fn record(&mut self, ctx: &mut Ctx<'_>, _: &[Elem], host: Node) -> Result<(), IngestError> {
        if host
            .child("status")
            .and_then(|s| s.attr("state"))
            .is_some_and(|s| s == "down")
        {
            ctx.skip();
            return Ok(());
        }
        let ip = host
            .children("address")
            .find(|a| matches!(a.attr("addrtype"), Some("ipv4") | Some("ipv6") | None))
            .and_then(|a| a.attr("addr"));
        let mut names: Vec<&Node> = Vec::new();
        if let Some(h) = host.child("hostnames") {
            names.extend(h.children("hostname"));
        }
        names.sort_by_key(|n| match n.attr("type") {
            Some("user") => 0,
            Some("PTR") => 1,
            _ => 2,
        });
        let name = names.iter().find_map(|n| n.attr("name"));
        let mut asset = host_asset(ip, name);
        if asset.ip.is_none() && asset.hostname.is_none() {
            ctx.skip();
            return Ok(());
        }
        if let Some(mac) = host
            .children("address")
            .find(|a| a.attr("addrtype") == Some("mac"))
            .and_then(|a| a.attr("addr"))
        {
            asset.tags.push(format!("mac:{mac}"));
        }
        ctx.scanned(&asset);
        let Some(ports) = host.child("ports") else {
            return Ok(());
        };
        for port in ports.children("port") {
            let open = port
                .child("state")
                .and_then(|s| s.attr("state"))
                .is_some_and(|s| s == "open");
            let number = xml::int::<u16>(port.attr("portid"));
            let proto = port.attr("protocol").unwrap_or("tcp").to_ascii_lowercase();
            let Some(number) = number.filter(|_| open) else {
                ctx.skip();
                continue;
            };
            emit_port(ctx, &asset, port, number, &proto)?;
        }
        Ok(())
    }
}

fn emit_port(
    ctx: &mut Ctx<'_>,
    asset: &AssetIdentity,
    port: &Node,
    number: u16,
    proto: &str,
) -> Result<(), IngestError> {
    let service = port.child("service");
    let svc = |k: &str| service.and_then(|s| s.attr(k));
    let component = service
        .and_then(|s| s.get("cpe"))
        .and_then(cpe_product)
        .map(|(name, version)| Component {
            name,
            version: version.or_else(|| svc("version").map(str::to_string)),
            ..Component::default()
        })
        .or_else(|| {
            svc("product").map(|p| Component {
                name: p.to_string(),
                version: svc("version").map(str::to_string),
                ..Component::default()
            })
        });
    let product = [svc("product"), svc("version")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let what = [
        svc("name"),
        Some(product.as_str()).filter(|p| !p.is_empty()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let place = format!("{number}/{proto}");
    let base = Finding {
        tool: "nmap".to_string(),
        asset: asset.clone(),
        weakness: Weakness {
            kind: WeaknessKind::Vendor,
            id: format!("open-port:{place}"),
            aliases: Vec::new(),
            cwes: Vec::new(),
        },
        component: component.clone(),
        title: if what.is_empty() {
            format!("Open port: {place}")
        } else {
            format!("Open port: {place} ({what})")
        },
        severity: Severity::Info,
        cvss_vector: None,
        cvss_score: None,
        port: Some(number),
        protocol: Some(proto.to_string()),
        location: None,
        rule_id: Some("open-port".to_string()),
        description: None,
    };
    for script in port.children("script") {
        let id = script.attr("id").unwrap_or("");
        if id == "vulners" {
            let mut entries = Vec::new();
            script.descendants("table", &mut entries);
            let mut any = false;
            for t in entries {
                let elem = |k: &str| {
                    t.children("elem")
                        .find(|e| e.attr("key") == Some(k))
                        .and_then(Node::text)
                };
                let Some(vid) = elem("id") else { continue };
                any = true;
                let score = xml::float(elem("cvss"));
                emit_vuln(ctx, &base, vid, score, id)?;
            }
            if !any {
                // Older vulners versions: only the output text,
                // `\tCVE-2018-15919\t5.0\thttps://…` per line.
                for line in script.attr("output").unwrap_or("").lines() {
                    let mut cols = line.split_whitespace();
                    if let (Some(vid), Some(score)) = (cols.next(), cols.next())
                        && find_cve(vid).is_some()
                    {
                        emit_vuln(ctx, &base, vid, xml::float(Some(score)), id)?;
                    }
                }
            }
        } else {
            let output = script.attr("output").unwrap_or("");
            if !output.contains("VULNERABLE") || output.contains("NOT VULNERABLE") {
                continue;
            }
            let mut cves = Vec::new();
            let mut rest = output;
            while let Some(c) = find_cve(rest) {
                let at = rest.to_ascii_uppercase().find(&c).unwrap_or(0) + c.len();
                rest = rest.get(at..).unwrap_or("");
                push_unique(&mut cves, c);
            }
            for c in cves {
                let mut f = base.clone();
                f.weakness = Weakness {
                    kind: WeaknessKind::Cve,
                    id: c.clone(),
                    aliases: vec![format!("nmap:{id}")],
                    cwes: Vec::new(),
                };
                f.title = format!("{c} on {place} ({id})");
                f.severity = Severity::Medium;
                f.rule_id = Some(id.to_string());
                f.description = Some(truncate(output.trim(), 2000));
                ctx.emit(f)?;
            }
        }
    }
    ctx.emit(base)
}

fn emit_vuln(
    ctx: &mut Ctx<'_>,
    base: &Finding,
    vid: &str,
    score: Option<f64>,
    script: &str,
) -> Result<(), IngestError> {
    let mut f = base.clone();
    let cve = find_cve(vid).filter(|c| c.eq_ignore_ascii_case(vid));
    f.weakness = Weakness {
        kind: if cve.is_some() {
            WeaknessKind::Cve
        } else {
            WeaknessKind::Vendor
        },
        id: cve.unwrap_or_else(|| vid.to_string()),
        aliases: Vec::new(),
        cwes: Vec::new(),
    };
    f.title = match &base.component {
        Some(c) => format!(
            "{vid} in {}{}",
            c.name,
            c.version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        ),
        None => vid.to_string(),
    };
    f.severity = score.map(Severity::from_cvss).unwrap_or(Severity::Medium);
    f.cvss_score = score;
    f.rule_id = Some(script.to_string());
    ctx.emit(f)
}
