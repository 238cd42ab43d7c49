//! PortSwigger Burp Suite XML issue export (`issues/issue`, Burp 1.x and
//! 2.x, Burp Enterprise's XML report of the same shape).
//!
//! Streaming: quick-xml events, one `issue` at a time. The base64
//! `requestresponse` bodies are cut by the reader and never copied.
//!
//! Mapping:
//! - `host` (a base URL) with `host/@ip` → a `WebApplication` asset: `url`,
//!   `fqdn` from the URL, `ip`. Every host is in `scanned_assets`.
//! - one finding per issue: weakness `burp:<type>` (vendor kind), CWEs from
//!   `vulnerabilityClassifications`, title `name`, location = `path` (the
//!   same issue type on two paths is two exposures). DefectDojo groups issues
//!   by type with the paths as endpoints, so its counts are lower.
//! - severity `High`/`Medium`/`Low` as given; `Information` issues are
//!   skipped (counted), and so are issues of confidence `False positive`.
//! - description: `issueDetail`, else `issueBackground`, then
//!   `remediationDetail`/`remediationBackground` (HTML kept as text, cut).

use super::zap::{url_host, web_asset};
use crate::registry::find;
use crate::text::{normalise_cwe, push_unique, truncate};
use crate::xml::{self, Elem, Handler, Node};
use crate::{Ctx, Format, IngestError};
use ctem_model::{Finding, Severity, Weakness, WeaknessKind};
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "burp",
    description: "Burp Suite XML issue export",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    find(head, b"<issues").is_some()
        && (find(head, b"burpVersion").is_some() || find(head, b"<serialNumber>").is_some())
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("burp");
    xml::stream(input, ctx, &["issues"], "Burp XML", &mut BurpHandler)
}

struct BurpHandler;

/// Every `CWE-n` in a text, in order.
pub(crate) fn cwes_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    for (i, _) in lower.match_indices("cwe-") {
        if let Some(c) = normalise_cwe(&lower[i..]) {
            push_unique(&mut out, c);
        }
    }
    out
}

impl Handler for BurpHandler {
    fn open(&mut self, _: &mut Ctx<'_>, path: &[Elem]) -> Result<bool, IngestError> {
        Ok(path.len() == 2 && path.last().is_some_and(|e| e.name == "issue"))
    }

    fn record(&mut self, ctx: &mut Ctx<'_>, _: &[Elem], node: Node) -> Result<(), IngestError> {
        let Some(host) = node.child("host") else {
            ctx.skip();
            return Ok(());
        };
        let url = host.text().unwrap_or("");
        let mut asset = web_asset(url, url_host(url).as_deref());
        if let Some(ip) = host.attr("ip").filter(|ip| crate::text::is_ip(ip)) {
            asset.ip = Some(ip.to_string());
        }
        ctx.scanned(&asset);
        let severity = node.get("severity").and_then(Severity::parse_loose);
        let false_positive = node
            .get("confidence")
            .is_some_and(|c| c.eq_ignore_ascii_case("false positive"));
        let Some(severity) = severity.filter(|s| *s != Severity::Info && !false_positive) else {
            ctx.skip();
            return Ok(());
        };
        let Some(kind) = node.get("type").or_else(|| node.get("name")) else {
            ctx.skip();
            return Ok(());
        };
        let cwes = node
            .get("vulnerabilityClassifications")
            .map(cwes_in)
            .unwrap_or_default();
        let mut description = Vec::new();
        if let Some(d) = node
            .get("issueDetail")
            .or_else(|| node.get("issueBackground"))
        {
            description.push(truncate(d, 4000));
        }
        if let Some(r) = node
            .get("remediationDetail")
            .or_else(|| node.get("remediationBackground"))
        {
            description.push(format!("Remediation: {}", truncate(r, 2000)));
        }
        if let Some(l) = node.get("location") {
            description.push(format!("Location: {l}"));
        }
        ctx.emit(Finding {
            tool: "burp".to_string(),
            asset,
            weakness: Weakness {
                kind: WeaknessKind::Vendor,
                id: format!("burp:{kind}"),
                aliases: Vec::new(),
                cwes,
            },
            component: None,
            title: node.get("name").unwrap_or(kind).to_string(),
            severity,
            cvss_vector: None,
            cvss_score: None,
            port: None,
            protocol: None,
            location: node.get("path").map(str::to_string),
            rule_id: Some(kind.to_string()),
            description: (!description.is_empty()).then(|| description.join("\n\n")),
        })
    }
}
