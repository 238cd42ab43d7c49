//! Tenable Nessus v2 XML (`.nessus`), including Nessus WAS exports of the
//! same shape.
//!
//! Streaming: quick-xml events are read one at a time; only the current
//! `ReportHost`'s properties and the current `ReportItem` are held.
//!
//! Mapping:
//! - `ReportHost` → a `Host` asset: `host-ip`, `host-fqdn`, host name from
//!   `netbios-name` or the FQDN's first label, `operating-system` and
//!   `mac-address` as tags. A WAS target (`http://…`) is a `WebApplication`
//!   with its URL. Every host is in `scanned_assets`, findings or not.
//! - `ReportItem` → one finding per `<cve>` (the plugin id `nessus:<id>` as
//!   alias), or one `Vendor` finding `nessus:<pluginID>` when it has no CVE.
//!   Items of severity 0 (informational) without a CVE are skipped.
//! - severity: the CVSS v3 base score when present (Nessus rates by CVSS v3
//!   since it became available), else `@severity` 0–4, else `risk_factor`.
//! - component: product and version from `<cpe>`, when present.
//! - port and protocol from the item; port 0 (host-level) is none.

use crate::lines::LineTracker;
use crate::registry::find;
use crate::text::{cpe_product, is_ip, normalise_cwe, push_unique, truncate};
use crate::{Ctx, Format, IngestError, Position};
use ctem_model::{AssetIdentity, AssetKind, Component, Finding, Severity, Weakness, WeaknessKind};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "nessus",
    description: "Tenable Nessus v2 XML (.nessus), including Nessus WAS exports",
    sniff,
    parse,
};

/// Longest text kept per element; longer text (huge plugin outputs) is cut.
const MAX_TEXT: usize = 64 * 1024;
/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 256;

fn sniff(head: &[u8]) -> bool {
    find(head, b"<NessusClientData_v2").is_some()
}

/// Text elements of a `ReportItem` that ctem reads.
const ITEM_FIELDS: &[&str] = &[
    "cve",
    "cwe",
    "xref",
    "cpe",
    "cvss3_vector",
    "cvss3_base_score",
    "cvss_vector",
    "cvss_base_score",
    "cvssv3",
    "cvss",
    "synopsis",
    "description",
    "plugin_output",
    "solution",
    "risk_factor",
    "plugin_name",
];

/// Host properties ctem reads.
const HOST_TAGS: &[&str] = &[
    "host-ip",
    "host-fqdn",
    "netbios-name",
    "operating-system",
    "mac-address",
];

#[derive(Default)]
struct Host {
    name: Option<String>,
    tags: Vec<(String, String)>,
    asset: Option<AssetIdentity>,
}

impl Host {
    fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn asset(&mut self) -> AssetIdentity {
        if let Some(a) = &self.asset {
            return a.clone();
        }
        let name = self.name.as_deref().filter(|n| !n.is_empty());
        let ip = self
            .tag("host-ip")
            .or(name.filter(|n| is_ip(n)))
            .map(str::to_string);
        let mut a = AssetIdentity {
            kind: Some(AssetKind::Host),
            ip,
            ..AssetIdentity::default()
        };
        let fqdn = self.tag("host-fqdn").or(name.filter(|n| !is_ip(n)));
        match fqdn {
            Some(f) if f.contains("://") => {
                a.kind = Some(AssetKind::WebApplication);
                a.url = Some(f.to_string());
                let host = f
                    .split_once("://")
                    .map(|(_, rest)| rest)
                    .unwrap_or(f)
                    .split(['/', ':', '?', '#'])
                    .next()
                    .unwrap_or("");
                if !host.is_empty() && !is_ip(host) {
                    a.fqdn = Some(host.to_string());
                }
            }
            Some(f) if f.contains('.') && !is_ip(f) => a.fqdn = Some(f.to_string()),
            Some(f) if !is_ip(f) => a.hostname = Some(f.to_string()),
            _ => {}
        }
        if a.kind == Some(AssetKind::Host) {
            if let Some(nb) = self.tag("netbios-name") {
                a.hostname = Some(nb.to_string());
            } else if a.hostname.is_none() {
                a.hostname = a
                    .fqdn
                    .as_deref()
                    .and_then(|f| f.split('.').next())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
            }
        }
        if let Some(os) = self.tag("operating-system") {
            a.tags.push(format!("os:{}", crate::text::first_line(os)));
        }
        if let Some(mac) = self.tag("mac-address") {
            a.tags.push(format!("mac:{}", crate::text::first_line(mac)));
        }
        self.asset = Some(a.clone());
        a
    }
}

#[derive(Default)]
struct Item {
    port: Option<String>,
    protocol: Option<String>,
    severity: Option<String>,
    plugin_id: Option<String>,
    plugin_name: Option<String>,
    fields: Vec<(&'static str, String)>,
}

impl Item {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, v)| *k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| *k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn number(&self, name: &str) -> Option<f64> {
        self.field(name)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    }

    /// The findings of this item (none when it is informational without a CVE).
    fn findings(&self, asset: &AssetIdentity) -> Vec<Finding> {
        let level = self
            .severity
            .as_deref()
            .and_then(|s| s.trim().parse::<u8>().ok());
        let mut cves: Vec<String> = Vec::new();
        for c in self.all("cve") {
            if let Some(c) = crate::text::find_cve(c) {
                push_unique(&mut cves, c);
            }
        }
        if level == Some(0) && cves.is_empty() {
            return Vec::new();
        }
        let Some(plugin) = self.plugin_id.as_deref().filter(|p| !p.is_empty()) else {
            return Vec::new();
        };
        let vendor_id = format!("nessus:{plugin}");
        let mut cwes = Vec::new();
        for c in self.all("cwe") {
            let c = if c.chars().all(|ch| ch.is_ascii_digit()) {
                format!("CWE-{c}")
            } else {
                c.to_string()
            };
            if let Some(c) = normalise_cwe(&c) {
                push_unique(&mut cwes, c);
            }
        }
        for x in self.all("xref") {
            if x.to_ascii_uppercase().starts_with("CWE:")
                && let Some(c) = normalise_cwe(x)
            {
                push_unique(&mut cwes, c);
            }
        }
        let v3_score = self
            .number("cvss3_base_score")
            .or_else(|| self.number("cvssv3"));
        let v2_score = self
            .number("cvss_base_score")
            .or_else(|| self.number("cvss"));
        let severity = v3_score
            .map(Severity::from_cvss)
            .or(match level {
                Some(0) => Some(Severity::Info),
                Some(1) => Some(Severity::Low),
                Some(2) => Some(Severity::Medium),
                Some(3) => Some(Severity::High),
                Some(4) => Some(Severity::Critical),
                _ => None,
            })
            .or_else(|| self.field("risk_factor").and_then(Severity::parse_loose))
            .unwrap_or(Severity::Info);
        let (cvss_vector, cvss_score) =
            match (self.field("cvss3_vector"), self.field("cvss_vector")) {
                (Some(v3), _) => (Some(v3.to_string()), v3_score),
                (None, Some(v2)) => (Some(v2.to_string()), v2_score),
                (None, None) => (None, v3_score.or(v2_score)),
            };
        let component = self
            .field("cpe")
            .and_then(cpe_product)
            .map(|(name, version)| Component {
                name,
                version,
                purl: None,
                fixed_version: None,
            });
        let title = self
            .plugin_name
            .clone()
            .or_else(|| self.field("plugin_name").map(str::to_string))
            .unwrap_or_else(|| vendor_id.clone());
        let mut description = Vec::new();
        if let Some(s) = self.field("synopsis").or_else(|| self.field("description")) {
            description.push(s.to_string());
        }
        if let Some(s) = self.field("solution") {
            description.push(format!("Solution: {s}"));
        }
        if let Some(s) = self.field("plugin_output") {
            description.push(format!("Output:\n{}", truncate(s, 2000)));
        }
        let port = self
            .port
            .as_deref()
            .and_then(|p| p.trim().parse::<u16>().ok())
            .filter(|p| *p != 0);
        let base = Finding {
            tool: "nessus".to_string(),
            asset: asset.clone(),
            weakness: Weakness {
                kind: WeaknessKind::Vendor,
                id: vendor_id.clone(),
                aliases: Vec::new(),
                cwes,
            },
            component,
            title,
            severity,
            cvss_vector,
            cvss_score,
            port,
            protocol: self
                .protocol
                .as_deref()
                .map(|p| p.trim().to_ascii_lowercase())
                .filter(|p| !p.is_empty()),
            location: None,
            rule_id: Some(plugin.to_string()),
            description: (!description.is_empty()).then(|| description.join("\n\n")),
        };
        if cves.is_empty() {
            return vec![base];
        }
        cves.into_iter()
            .map(|cve| {
                let mut f = base.clone();
                f.weakness.kind = WeaknessKind::Cve;
                f.weakness.id = cve;
                f.weakness.aliases = vec![vendor_id.clone()];
                f
            })
            .collect()
    }
}

/// Which text is being collected.
enum Capture {
    HostTag(String),
    ItemField(&'static str),
}

struct State {
    stack: Vec<String>,
    root_seen: bool,
    host: Option<Host>,
    item: Option<Item>,
    capture: Option<(Capture, String, usize)>,
    hosts: u64,
    items: u64,
}

impl State {
    fn record(&self) -> Option<String> {
        match (&self.host, &self.item) {
            (Some(_), Some(_)) => Some(format!(
                "ReportHost {}, ReportItem {}",
                self.hosts, self.items
            )),
            (Some(_), None) => Some(format!("ReportHost {}", self.hosts)),
            _ => None,
        }
    }

    fn append(&mut self, s: &str) {
        if let Some((_, text, _)) = &mut self.capture
            && text.len() < MAX_TEXT
        {
            let room = MAX_TEXT - text.len();
            if s.len() <= room {
                text.push_str(s);
            } else {
                let mut cut = room;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.push_str(&s[..cut]);
            }
        }
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("nessus");
    let mut reader = Reader::from_reader(LineTracker::new(input));
    let mut buf = Vec::new();
    let mut st = State {
        stack: Vec::new(),
        root_seen: false,
        host: None,
        item: None,
        capture: None,
        hosts: 0,
        items: 0,
    };
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let at = reader.error_position();
                let (line, column) = reader.get_ref().line_col(at);
                return Err(syntax(ctx, &st, line, column, e.to_string()));
            }
        };
        let fail = |ctx: &Ctx<'_>, st: &State, message: String| {
            let (line, column) = reader.get_ref().line_col(start);
            syntax(ctx, st, line, column, message)
        };
        match event {
            Event::Start(e) => {
                let name = on_start(&mut st, ctx, &e).map_err(|m| fail(ctx, &st, m))?;
                if st.stack.len() >= MAX_DEPTH {
                    return Err(fail(
                        ctx,
                        &st,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                st.stack.push(name);
            }
            Event::Empty(e) => {
                let name = on_start(&mut st, ctx, &e).map_err(|m| fail(ctx, &st, m))?;
                on_end(&mut st, ctx, &name)?;
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                st.stack.pop();
                on_end(&mut st, ctx, &name)?;
            }
            Event::Text(t) if st.capture.is_some() => {
                st.append(&t.xml10_content());
            }
            Event::CData(t) if st.capture.is_some() => {
                st.append(&t.xml10_content());
            }
            Event::GeneralRef(r) if st.capture.is_some() => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match r.as_ref() {
                        "amp" => "&".to_string(),
                        "lt" => "<".to_string(),
                        "gt" => ">".to_string(),
                        "quot" => "\"".to_string(),
                        "apos" => "'".to_string(),
                        other => format!("&{other};"),
                    },
                    Err(e) => return Err(fail(ctx, &st, e.to_string())),
                };
                st.append(&resolved);
            }
            Event::Eof => {
                if let Some(open) = st.stack.last() {
                    let message =
                        format!("unexpected end of file inside <{open}> (the report is truncated)");
                    let end = reader.buffer_position();
                    let (line, column) = reader.get_ref().line_col(end);
                    return Err(syntax(ctx, &st, line, column, message));
                }
                if !st.root_seen {
                    return Err(IngestError::Invalid {
                        file: ctx.file.clone(),
                        message: "no <NessusClientData_v2> element: not a nessus v2 report"
                            .to_string(),
                    });
                }
                return Ok(());
            }
            _ => {}
        }
        buf.clear();
        let done = reader.buffer_position();
        reader.get_mut().forget_before(start.min(done));
    }
}

fn syntax(ctx: &Ctx<'_>, st: &State, line: u64, column: u64, message: String) -> IngestError {
    IngestError::Syntax {
        file: ctx.file.clone(),
        position: Position {
            line,
            column,
            record: st.record(),
        },
        message,
    }
}

fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| err.to_string())?;
        if a.key.as_ref() == key {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| err.to_string())?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

/// Handles a start tag; returns the element name.
fn on_start(st: &mut State, _ctx: &mut Ctx<'_>, e: &BytesStart<'_>) -> Result<String, String> {
    let name = e.name().as_ref().to_string();
    let parent = st.stack.last().map(String::as_str);
    if !st.root_seen {
        if name != "NessusClientData_v2" {
            return Err(format!(
                "expected <NessusClientData_v2> as the root element, found <{name}>"
            ));
        }
        st.root_seen = true;
        return Ok(name);
    }
    match (name.as_str(), parent) {
        ("ReportHost", Some("Report")) => {
            st.hosts += 1;
            st.items = 0;
            st.host = Some(Host {
                name: attr(e, "name")?,
                ..Host::default()
            });
        }
        ("tag", Some("HostProperties")) if st.host.is_some() => {
            if let Some(tag) = attr(e, "name")?
                && HOST_TAGS.contains(&tag.as_str())
            {
                st.capture = Some((Capture::HostTag(tag), String::new(), st.stack.len()));
            }
        }
        ("ReportItem", Some("ReportHost")) if st.host.is_some() => {
            st.items += 1;
            st.item = Some(Item {
                port: attr(e, "port")?,
                protocol: attr(e, "protocol")?,
                severity: attr(e, "severity")?,
                plugin_id: attr(e, "pluginID")?,
                plugin_name: attr(e, "pluginName")?.filter(|n| !n.is_empty()),
                fields: Vec::new(),
            });
        }
        (field, Some("ReportItem")) if st.item.is_some() => {
            if let Some(f) = ITEM_FIELDS.iter().find(|f| **f == field) {
                st.capture = Some((Capture::ItemField(f), String::new(), st.stack.len()));
            }
        }
        _ => {}
    }
    Ok(name)
}

/// Handles an end tag (or the end of an empty element).
fn on_end(st: &mut State, ctx: &mut Ctx<'_>, name: &str) -> Result<(), IngestError> {
    if st
        .capture
        .as_ref()
        .is_some_and(|(_, _, depth)| *depth == st.stack.len())
    {
        if let Some((what, text, _)) = st.capture.take() {
            match what {
                Capture::HostTag(tag) => {
                    if let Some(h) = &mut st.host {
                        h.tags.push((tag, text.trim().to_string()));
                    }
                }
                Capture::ItemField(field) => {
                    if let Some(i) = &mut st.item {
                        i.fields.push((field, text));
                    }
                }
            }
        }
        return Ok(());
    }
    match name {
        "HostProperties" => {
            if let Some(h) = &mut st.host {
                let asset = h.asset();
                ctx.scanned(&asset);
            }
        }
        "ReportItem" if st.stack.last().map(String::as_str) == Some("ReportHost") => {
            if let (Some(item), Some(host)) = (st.item.take(), st.host.as_mut()) {
                let asset = host.asset();
                let findings = item.findings(&asset);
                if findings.is_empty() {
                    ctx.skip();
                }
                for f in findings {
                    ctx.emit(f)?;
                }
            }
        }
        "ReportHost" if st.stack.last().map(String::as_str) == Some("Report") => {
            if let Some(mut h) = st.host.take() {
                let asset = h.asset();
                ctx.scanned(&asset);
            }
        }
        _ => {}
    }
    Ok(())
}
