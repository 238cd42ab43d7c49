//! OWASP ZAP reports, XML (`OWASPZAPReport/site/alerts/alertitem`, the
//! "traditional" and "XML plus" reports) and JSON (`site[].alerts[]`, the
//! traditional JSON report).
//!
//! Streaming: XML through quick-xml events, one `alertitem` at a time; JSON
//! with `site[]` and each site's `alerts[]` read one element at a time.
//!
//! Mapping:
//! - `site` → a `WebApplication` asset: `url` = `@name` (the site's base
//!   URL), `fqdn` = `@host` (or `ip` when the host is an address). Every site
//!   is in `scanned_assets`, alerts or not.
//! - one finding per alert (not per instance): weakness `zap:<pluginid>`
//!   (vendor kind), `cweid` as CWE, title `alert` (else `name`). The instance
//!   URIs are listed in the description (the first 20); location stays empty,
//!   so the exposure is "this site has this alert" and does not multiply
//!   with every URL ZAP crawled. This matches DefectDojo's one finding per
//!   alert with its instances as endpoints.
//! - severity from `riskcode` 0–3 (info, low, medium, high), else `riskdesc`.
//! - informational alerts (`riskcode` 0) are skipped (counted).
//! - request and response headers and bodies are never kept.

use crate::json::{self, Element, LList, LObj, LStr, Seq};
use crate::registry::{find, first_significant, has_json_key};
use crate::text::{file_stem, is_ip, normalise_cwe, truncate};
use crate::xml::{self, Elem, Handler, Node};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "zap",
    description: "OWASP ZAP report, XML (traditional and XML plus) or JSON",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    match first_significant(head) {
        Some(b'<') => find(head, b"<OWASPZAPReport").is_some(),
        Some(b'{') => {
            has_json_key(head, "site")
                && (has_json_key(head, "@generated")
                    || has_json_key(head, "@programName")
                    || has_json_key(head, "alerts"))
        }
        _ => false,
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("zap");
    let json = match input.fill_buf() {
        Ok(b) => first_significant(b) == Some(b'{'),
        Err(source) => {
            return Err(IngestError::Io {
                file: ctx.file.clone(),
                source,
            });
        }
    };
    if json {
        let mut de = serde_json::Deserializer::from_reader(json::reader(input));
        let result = Doc { ctx: &mut *ctx }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        return result.map_err(|e| json::convert(ctx, e));
    }
    xml::stream(
        input,
        ctx,
        &["OWASPZAPReport"],
        "OWASP ZAP XML",
        &mut XmlHandler::default(),
    )
}

/// The asset of a web site or URL: `url` and the host as `fqdn` or `ip`.
pub(crate) fn web_asset(url: &str, host: Option<&str>) -> AssetIdentity {
    let url = url.trim();
    let host = host
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .or_else(|| url_host(url));
    let mut a = AssetIdentity {
        kind: Some(AssetKind::WebApplication),
        url: (!url.is_empty()).then(|| url.trim_end_matches('/').to_string()),
        ..AssetIdentity::default()
    };
    if let Some(h) = host {
        let bare = h.trim_start_matches('[').trim_end_matches(']');
        if is_ip(bare) {
            a.ip = Some(bare.to_string());
        } else {
            a.fqdn = Some(h.to_ascii_lowercase());
        }
    }
    a
}

/// The host of `scheme://host:port/path`.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = hostport.rsplit('@').next().unwrap_or(hostport);
    let host = if hostport.starts_with('[') {
        hostport
            .split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
    } else {
        hostport.split(':').next()
    };
    host.filter(|h| !h.is_empty()).map(str::to_string)
}

/// The path (and query) of a URL: `https://a.example/x/y?q` → `/x/y?q`.
pub(crate) fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match rest.find('/') {
        Some(i) => rest[i..].to_string(),
        None => "/".to_string(),
    }
}

/// One alert, from XML or JSON.
#[derive(Default)]
struct Alert {
    plugin: Option<String>,
    alert: Option<String>,
    name: Option<String>,
    riskcode: Option<String>,
    riskdesc: Option<String>,
    cweid: Option<String>,
    desc: Option<String>,
    solution: Option<String>,
    uris: Vec<String>,
}

impl Alert {
    fn finding(self, asset: &AssetIdentity) -> Option<Finding> {
        let severity = match self.riskcode.as_deref().map(str::trim) {
            Some("0") => Severity::Info,
            Some("1") => Severity::Low,
            Some("2") => Severity::Medium,
            Some("3") => Severity::High,
            _ => self
                .riskdesc
                .as_deref()
                .and_then(|d| d.split(['(', ' ']).next())
                .and_then(Severity::parse_loose)
                .unwrap_or(Severity::Info),
        };
        if severity == Severity::Info {
            return None;
        }
        let plugin = self.plugin.clone().or_else(|| self.name.clone())?;
        let cwes = self
            .cweid
            .as_deref()
            .filter(|c| c.trim() != "0" && c.trim() != "-1")
            .and_then(|c| normalise_cwe(&format!("CWE-{}", c.trim())))
            .into_iter()
            .collect();
        let mut description = Vec::new();
        if let Some(d) = &self.desc {
            description.push(truncate(d, 4000));
        }
        if let Some(s) = &self.solution {
            description.push(format!("Solution: {}", truncate(s, 2000)));
        }
        if !self.uris.is_empty() {
            let mut list: Vec<&str> = Vec::new();
            for u in &self.uris {
                if !list.contains(&u.as_str()) {
                    list.push(u);
                }
            }
            let more = list.len().saturating_sub(20);
            let mut s = format!("Instances:\n{}", list[..list.len().min(20)].join("\n"));
            if more > 0 {
                s.push_str(&format!("\n… and {more} more"));
            }
            description.push(s);
        }
        Some(Finding {
            tool: "zap".to_string(),
            asset: asset.clone(),
            weakness: Weakness {
                kind: WeaknessKind::Vendor,
                id: format!("zap:{plugin}"),
                aliases: Vec::new(),
                cwes,
            },
            component: None,
            title: self
                .alert
                .or(self.name)
                .unwrap_or_else(|| format!("zap:{plugin}")),
            severity,
            cvss_vector: None,
            cvss_score: None,
            port: None,
            protocol: None,
            location: None,
            rule_id: Some(plugin),
            description: (!description.is_empty()).then(|| description.join("\n\n")),
        })
    }
}

fn emit_alert(ctx: &mut Ctx<'_>, alert: Alert, asset: &AssetIdentity) -> Result<(), IngestError> {
    match alert.finding(asset) {
        Some(f) => ctx.emit(f),
        None => {
            ctx.skip();
            Ok(())
        }
    }
}

fn site_asset(site: &Elem, file: &str) -> AssetIdentity {
    match site.attr("name") {
        Some(name) => web_asset(name, site.attr("host")),
        None => web_asset(
            &site
                .attr("host")
                .map(str::to_string)
                .unwrap_or_else(|| file_stem(file)),
            site.attr("host"),
        ),
    }
}

#[derive(Default)]
struct XmlHandler {
    site: Option<AssetIdentity>,
}

impl Handler for XmlHandler {
    fn open(&mut self, ctx: &mut Ctx<'_>, path: &[Elem]) -> Result<bool, IngestError> {
        let Some(el) = path.last() else {
            return Ok(false);
        };
        let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
        match (el.name.as_str(), parent.map(|p| p.name.as_str())) {
            ("site", Some("OWASPZAPReport")) => {
                let asset = site_asset(el, &ctx.file);
                ctx.scanned(&asset);
                self.site = Some(asset);
                Ok(false)
            }
            ("alertitem", Some("alerts")) => Ok(self.site.is_some()),
            _ => Ok(false),
        }
    }

    fn record(&mut self, ctx: &mut Ctx<'_>, _: &[Elem], node: Node) -> Result<(), IngestError> {
        let Some(site) = &self.site else {
            return Ok(());
        };
        let text = |name: &str| node.get(name).map(str::to_string);
        let mut uris = Vec::new();
        if let Some(instances) = node.child("instances") {
            for i in instances.children("instance") {
                if let Some(u) = i.get("uri") {
                    uris.push(u.to_string());
                }
            }
        }
        let alert = Alert {
            plugin: text("pluginid"),
            alert: text("alert"),
            name: text("name"),
            riskcode: text("riskcode"),
            riskdesc: text("riskdesc"),
            cweid: text("cweid"),
            desc: text("desc"),
            solution: text("solution"),
            uris,
        };
        emit_alert(ctx, alert, site)
    }

    fn close(&mut self, _: &mut Ctx<'_>, path: &[Elem]) -> Result<(), IngestError> {
        if path.last().is_some_and(|e| e.name == "site") {
            self.site = None;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

struct Doc<'x, 's> {
    ctx: &'x mut Ctx<'s>,
}

impl<'de> DeserializeSeed<'de> for Doc<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Doc<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a ZAP JSON report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "site" {
                map.next_value_seed(Seq {
                    ctx: &mut *self.ctx,
                    name: "site",
                    elem: &mut SiteElem,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct SiteElem;

impl Element for SiteElem {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        d.deserialize_any(SiteVisitor { ctx })
    }
}

struct SiteVisitor<'x, 's> {
    ctx: &'x mut Ctx<'s>,
}

impl<'de> Visitor<'de> for SiteVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a site object")
    }
    super::ignore_non_map!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut site = Elem::default();
        let mut asset: Option<AssetIdentity> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "@name" | "@host" | "@port" => {
                    if let Some(v) = map.next_value::<LStr>()?.0 {
                        site.attrs.push((key[1..].to_string(), v));
                    }
                }
                "alerts" => {
                    let a = asset.get_or_insert_with(|| site_asset(&site, &self.ctx.file));
                    self.ctx.scanned(a);
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "alerts",
                        elem: &mut AlertElem { asset: a },
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if asset.is_none() {
            self.ctx.scanned(&site_asset(&site, &self.ctx.file));
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JAlert {
    pluginid: LStr,
    alert: LStr,
    name: LStr,
    riskcode: LStr,
    riskdesc: LStr,
    cweid: LStr,
    desc: LStr,
    solution: LStr,
    instances: LList<LObj<JInstance>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JInstance {
    uri: LStr,
}

struct AlertElem<'a> {
    asset: &'a AssetIdentity,
}

impl Element for AlertElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let a = LObj::<JAlert>::deserialize(d)?;
        let Some(a) = a.0 else { return Ok(()) };
        let alert = Alert {
            plugin: a.pluginid.0,
            alert: a.alert.0,
            name: a.name.0,
            riskcode: a.riskcode.0,
            riskdesc: a.riskdesc.0,
            cweid: a.cweid.0,
            desc: a.desc.0,
            solution: a.solution.0,
            uris: a
                .instances
                .0
                .into_iter()
                .filter_map(|i| i.0.and_then(|i| i.uri.0))
                .collect(),
        };
        emit_alert(ctx, alert, self.asset).map_err(|e| json::abort(ctx, e))
    }
}
