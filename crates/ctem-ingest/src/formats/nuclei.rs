//! ProjectDiscovery Nuclei JSON output: JSON Lines (`-jsonl`, one result
//! object per line; also the older `-json`) or a JSON array (`-je`).
//!
//! Streaming: JSON Lines are read one value at a time; a JSON array element
//! by element. Each result becomes findings and is dropped.
//!
//! Mapping:
//! - asset: HTTP results (`type` `http`, or a `matched-at` URL) → a
//!   `WebApplication` with the base URL of `host` (else `matched-at`) and its
//!   host as `fqdn`/`ip` (`ip` kept too); other results (network, dns, ssl,
//!   tcp) → a `Host` with the host name and `ip`, and the port of
//!   `matched-at`/`port`. Every asset is in `scanned_assets`.
//! - weakness: one finding per CVE of `info.classification.cve-id` (alias
//!   `nuclei:<template-id>`); else vendor `nuclei:<template-id>`, with
//!   `:<matcher-name>` when the template matched by name (for example each
//!   missing security header). CWEs from `cwe-id`.
//! - severity `info.severity` as given; `info` results without a CVE
//!   (technology detection, fingerprints) are skipped (counted).
//! - CVSS from `cvss-metrics` and `cvss-score`, as given.
//! - location: the path of `matched-at` for web results.
//! - requests, responses and curl commands are never kept.

use super::zap::{url_host, url_path, web_asset};
use crate::json::{self, Element, LNum, LObj, LStr, Seq};
use crate::registry::{first_significant, has_json_key};
use crate::text::{find_cve, is_ip, normalise_cwe, push_unique, truncate};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, Weakness, WeaknessKind};
use serde::de::Deserializer;
use serde::{Deserialize, de::DeserializeSeed};
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "nuclei",
    description: "Nuclei JSON Lines or JSON array output",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    matches!(first_significant(head), Some(b'{') | Some(b'['))
        && (has_json_key(head, "template-id") || has_json_key(head, "templateID"))
        && (has_json_key(head, "matched-at") || has_json_key(head, "host"))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("nuclei");
    let array = match input.fill_buf() {
        Ok(b) => first_significant(b) == Some(b'['),
        Err(source) => {
            return Err(IngestError::Io {
                file: ctx.file.clone(),
                source,
            });
        }
    };
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    if array {
        let result = Seq {
            ctx: &mut *ctx,
            name: "results",
            elem: &mut ResultElem,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        return result.map_err(|e| json::convert(ctx, e));
    }
    let mut stream = de.into_iter::<LObj<Item>>();
    let mut i = 0u64;
    loop {
        ctx.record.push(("line", i));
        let next = stream.next();
        match next {
            None => {
                ctx.record.pop();
                return Ok(());
            }
            Some(Err(e)) => return Err(json::convert(ctx, e)),
            Some(Ok(item)) => {
                if let Some(item) = item.0 {
                    item.emit(ctx)?;
                }
            }
        }
        ctx.record.pop();
        i += 1;
    }
}

struct ResultElem;

impl Element for ResultElem {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        if let Some(item) = LObj::<Item>::deserialize(d)?.0 {
            item.emit(ctx).map_err(|e| json::abort(ctx, e))?;
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Item {
    #[serde(rename = "template-id", alias = "templateID")]
    template_id: LStr,
    info: LObj<Info>,
    #[serde(rename = "type")]
    kind: LStr,
    host: LStr,
    #[serde(rename = "matched-at", alias = "matched")]
    matched_at: LStr,
    ip: LStr,
    port: LStr,
    #[serde(rename = "matcher-name", alias = "matcher_name")]
    matcher_name: LStr,
    #[serde(rename = "matcher-status")]
    matcher_status: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Info {
    name: LStr,
    severity: LStr,
    description: LStr,
    remediation: LStr,
    classification: LObj<Classification>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Classification {
    #[serde(rename = "cve-id")]
    cve_id: Ids,
    #[serde(rename = "cwe-id")]
    cwe_id: Ids,
    #[serde(rename = "cvss-metrics")]
    cvss_metrics: LStr,
    #[serde(rename = "cvss-score")]
    cvss_score: LNum,
}

/// A list of ids, or one id as a string; `null` reads as empty.
#[derive(Default)]
struct Ids(Vec<String>);

impl<'de> Deserialize<'de> for Ids {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s),
            _ => None,
        };
        Ok(Ids(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Array(a) => a.into_iter().filter_map(text).collect(),
            v => text(v).into_iter().collect(),
        }))
    }
}

impl Item {
    fn asset(&self, file: &str) -> AssetIdentity {
        let host = self.host.get().or(self.matched_at.get());
        let web = self
            .kind
            .get()
            .is_some_and(|k| k.eq_ignore_ascii_case("http"))
            || (self.kind.get().is_none()
                && self.matched_at.get().is_some_and(|m| m.contains("://")));
        let ip = self.ip.get().filter(|ip| is_ip(ip));
        if web && let Some(h) = host {
            let base = match h.split_once("://") {
                Some((scheme, rest)) => {
                    format!(
                        "{scheme}://{}",
                        rest.split(['/', '?', '#']).next().unwrap_or("")
                    )
                }
                None => format!("http://{}", h.split(['/', '?', '#']).next().unwrap_or("")),
            };
            let mut a = web_asset(&base, None);
            if a.ip.is_none() {
                a.ip = ip.map(str::to_string);
            }
            return a;
        }
        let name = host
            .and_then(url_host)
            .unwrap_or_else(|| crate::text::file_stem(file));
        let mut a = super::openvas::host_asset(ip, Some(&name));
        a.kind = Some(AssetKind::Host);
        a
    }

    fn port(&self) -> Option<u16> {
        if let Some(p) = self.port.get().and_then(|p| p.parse::<u16>().ok()) {
            return Some(p);
        }
        let m = self.matched_at.get()?;
        if m.contains("://") {
            return None;
        }
        m.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok())
    }

    fn emit(self, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
        if self.matcher_status.get() == Some("false") {
            ctx.skip();
            return Ok(());
        }
        let asset = self.asset(&ctx.file);
        ctx.scanned(&asset);
        let Some(template) = self.template_id.owned() else {
            ctx.skip();
            return Ok(());
        };
        let info = self.info.get();
        let class = info.and_then(|i| i.classification.get());
        let mut cves = Vec::new();
        for c in class.map(|c| c.cve_id.0.as_slice()).unwrap_or_default() {
            if let Some(c) = find_cve(c) {
                push_unique(&mut cves, c);
            }
        }
        let severity = info
            .and_then(|i| i.severity.get())
            .and_then(Severity::parse_loose)
            .unwrap_or(Severity::Info);
        if severity == Severity::Info && cves.is_empty() {
            ctx.skip();
            return Ok(());
        }
        let mut cwes = Vec::new();
        for c in class.map(|c| c.cwe_id.0.as_slice()).unwrap_or_default() {
            if let Some(c) = normalise_cwe(c) {
                push_unique(&mut cwes, c);
            }
        }
        let matcher = self.matcher_name.get();
        let vendor = match matcher {
            Some(m) => format!("nuclei:{template}:{m}"),
            None => format!("nuclei:{template}"),
        };
        let name = info.and_then(|i| i.name.get()).unwrap_or(&template);
        let title = match matcher {
            Some(m) => format!("{name} ({m})"),
            None => name.to_string(),
        };
        let web = asset.kind == Some(AssetKind::WebApplication);
        let mut description = Vec::new();
        if let Some(d) = info.and_then(|i| i.description.get()) {
            description.push(truncate(d, 4000));
        }
        if let Some(r) = info.and_then(|i| i.remediation.get()) {
            description.push(format!("Remediation: {}", truncate(r, 2000)));
        }
        if let Some(m) = self.matched_at.get() {
            description.push(format!("Matched at: {m}"));
        }
        let base = Finding {
            tool: "nuclei".to_string(),
            asset,
            weakness: Weakness {
                kind: WeaknessKind::Vendor,
                id: vendor.clone(),
                aliases: Vec::new(),
                cwes,
            },
            component: None,
            title,
            severity,
            cvss_vector: class.and_then(|c| c.cvss_metrics.owned()),
            cvss_score: class.and_then(|c| c.cvss_score.0),
            port: if web { None } else { self.port() },
            protocol: None,
            location: if web {
                self.matched_at.get().map(url_path)
            } else {
                None
            },
            rule_id: Some(template.clone()),
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
