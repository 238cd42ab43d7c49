//! Tenable Nessus / Tenable.sc / Tenable.io CSV exports.
//!
//! Three header families are read (columns are found by name, in any
//! order): the Nessus scan export (`Plugin ID,CVE,CVSS,Risk,Host,Protocol,
//! Port,Name,…`, also Nessus WAS), the Tenable.sc vulnerability export
//! (`Plugin,Plugin Name,Family,Severity,IP Address,…,DNS Name,NetBIOS
//! Name,…`) and the Tenable.io export (`;`-separated, `asset.*` and
//! `definition.*` columns).
//!
//! Streaming: the `csv` crate reads one record at a time; each row becomes
//! findings and is dropped. A row with fewer or more fields than the header
//! is an error (a truncated export), naming the line and the record.
//!
//! Mapping:
//! - host → a `Host` asset: `ip` (`Host` when an address, `IP Address`,
//!   `asset.display_ipv4_address`), `fqdn` (`DNS Name`, `Host` when a name,
//!   `asset.display_fqdn`), `hostname` (`NetBIOS Name` without its domain,
//!   `asset.host_name`). Nessus WAS rows (`Protocol` http/https, no port) are
//!   a `WebApplication` with URL `<protocol>://<host>`. Every host is in
//!   `scanned_assets`.
//! - one finding per CVE of the row (`CVE`, `definition.cve`; the classic
//!   export repeats the row per CVE), alias `nessus:<plugin>`; a row without
//!   CVE is one vendor finding `nessus:<plugin>`: the same weakness ids as the
//!   `.nessus` XML parser, so both exports of one scan are the same exposures.
//! - severity: the row's own rating (`Risk`, `Severity`, `definition.severity`)
//!   as given, else from the CVSS v3 score. Informational rows (`None`, 0)
//!   without a CVE are skipped (counted), and so are Tenable.io rows whose
//!   `state` is `FIXED`.
//! - CVSS v3 vector and score (else v2), as given; component from `CPE`.

use crate::registry::{find, first_significant};
use crate::text::{cpe_product, find_cve, is_ip, normalise_cwe, push_unique, truncate};
use crate::{Ctx, Format, IngestError, Position};
use ctem_model::{AssetIdentity, AssetKind, Component, Finding, Severity, Weakness, WeaknessKind};
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "nessus-csv",
    description: "Tenable Nessus / Tenable.sc / Tenable.io CSV export",
    sniff,
    parse,
};

/// The header line (first line, BOM stripped), lower-cased.
fn header_line(head: &[u8]) -> String {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
    String::from_utf8_lossy(&head[..end]).to_ascii_lowercase()
}

fn sniff(head: &[u8]) -> bool {
    if matches!(first_significant(head), Some(b'{' | b'[' | b'<') | None) {
        return false;
    }
    let h = header_line(head);
    let has = |c: &str| find(h.as_bytes(), c.as_bytes()).is_some();
    (has("plugin id") && has("risk") && has("host"))
        || (has("plugin") && has("plugin name") && has("ip address"))
        || (has("definition.id") && has("asset."))
}

/// Column indexes by (lower-cased, trimmed) header name.
struct Columns(Vec<String>);

impl Columns {
    fn idx(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.0.iter().position(|h| h == n))
    }
}

struct Cols {
    plugin: Option<usize>,
    name: Option<usize>,
    risk: Option<usize>,
    host: Option<usize>,
    ip: Option<usize>,
    fqdn: Option<usize>,
    netbios: Option<usize>,
    hostname: Option<usize>,
    protocol: Option<usize>,
    port: Option<usize>,
    cve: Option<usize>,
    v3_score: Option<usize>,
    v3_vector: Option<usize>,
    v2_score: Option<usize>,
    v2_vector: Option<usize>,
    cpe: Option<usize>,
    cwe: Option<usize>,
    xref: Option<usize>,
    synopsis: Option<usize>,
    solution: Option<usize>,
    output: Option<usize>,
    state: Option<usize>,
}

impl Cols {
    fn new(c: &Columns) -> Cols {
        Cols {
            plugin: c.idx(&["plugin id", "plugin", "definition.id"]),
            name: c.idx(&["name", "plugin name", "definition.name"]),
            risk: c.idx(&["risk", "severity", "definition.severity", "risk factor"]),
            host: c.idx(&["host"]),
            ip: c.idx(&[
                "ip address",
                "asset.display_ipv4_address",
                "asset.display_ipv6_address",
            ]),
            fqdn: c.idx(&["dns name", "asset.display_fqdn"]),
            netbios: c.idx(&["netbios name", "asset.netbios_name"]),
            hostname: c.idx(&["asset.host_name", "asset.name"]),
            protocol: c.idx(&["protocol"]),
            port: c.idx(&["port"]),
            cve: c.idx(&["cve", "definition.cve"]),
            v3_score: c.idx(&[
                "cvss v3 base score",
                "cvss v3.0 base score",
                "cvssv3",
                "definition.cvss3.base_score",
            ]),
            v3_vector: c.idx(&["cvss v3 vector", "definition.cvss3.base_vector"]),
            v2_score: c.idx(&["cvss v2 base score", "cvss", "definition.cvss2.base_score"]),
            v2_vector: c.idx(&["cvss v2 vector", "definition.cvss2.base_vector"]),
            cpe: c.idx(&["cpe", "definition.cpe"]),
            cwe: c.idx(&["definition.cwe"]),
            xref: c.idx(&["cross references", "xref"]),
            synopsis: c.idx(&["synopsis", "definition.synopsis"]),
            solution: c.idx(&["solution", "steps to remediate", "definition.solution"]),
            output: c.idx(&["plugin output", "plugin text", "output"]),
            state: c.idx(&["state"]),
        }
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool("nessus");
    let delimiter = match input.fill_buf() {
        Ok(b) => {
            let h = header_line(b);
            if h.matches(';').count() > h.matches(',').count() {
                b';'
            } else {
                b','
            }
        }
        Err(source) => {
            return Err(IngestError::Io {
                file: ctx.file.clone(),
                source,
            });
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = rdr.headers().map_err(|e| csv_error(ctx, e, 0))?;
    let columns = Columns(
        headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
    );
    let cols = Cols::new(&columns);
    if cols.plugin.is_none() || (cols.host.is_none() && cols.ip.is_none() && cols.fqdn.is_none()) {
        return Err(IngestError::Invalid {
            file: ctx.file.clone(),
            message: "no plugin or host column: not a Tenable CSV export".to_string(),
        });
    }
    let mut record = csv::StringRecord::new();
    let mut n = 0u64;
    loop {
        n += 1;
        match rdr.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(csv_error(ctx, e, n)),
        }
        row(ctx, &cols, &record)?;
    }
}

fn csv_error(ctx: &Ctx<'_>, e: csv::Error, n: u64) -> IngestError {
    let line = e.position().map(|p| p.line()).unwrap_or(1).max(1);
    let record = Some(format!("record {n}"));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "the row has {len} fields, the header {expected_len}: the report is truncated (unexpected end of file) or malformed"
        ),
        csv::ErrorKind::Io(_) => {
            return IngestError::Io {
                file: ctx.file.clone(),
                source: std::io::Error::other(e.to_string()),
            };
        }
        _ => e.to_string(),
    };
    IngestError::Syntax {
        file: ctx.file.clone(),
        position: Position {
            line,
            column: 1,
            record,
        },
        message,
    }
}

fn row(ctx: &mut Ctx<'_>, c: &Cols, r: &csv::StringRecord) -> Result<(), IngestError> {
    let get = |i: Option<usize>| {
        i.and_then(|i| r.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "N/A")
    };
    let host = get(c.host);
    let mut ip = get(c.ip).map(str::to_string);
    let mut fqdn = get(c.fqdn).map(str::to_ascii_lowercase);
    if let Some(h) = host {
        if is_ip(h) {
            ip.get_or_insert_with(|| h.to_string());
        } else {
            fqdn.get_or_insert_with(|| h.to_ascii_lowercase());
        }
    }
    let protocol = get(c.protocol).map(str::to_ascii_lowercase);
    let port = get(c.port)
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|p| *p != 0);
    let web = matches!(protocol.as_deref(), Some("http" | "https")) && port.is_none();
    let mut asset = AssetIdentity {
        kind: Some(AssetKind::Host),
        ip,
        ..AssetIdentity::default()
    };
    if web {
        asset.kind = Some(AssetKind::WebApplication);
        let h = fqdn.clone().or(asset.ip.clone()).unwrap_or_default();
        asset.url = Some(format!("{}://{h}", protocol.as_deref().unwrap_or("http")));
        asset.fqdn = fqdn;
    } else {
        let netbios = get(c.netbios).map(|n| n.rsplit('\\').next().unwrap_or(n).to_string());
        asset.hostname = netbios
            .or_else(|| get(c.hostname).map(str::to_string))
            .or_else(|| {
                fqdn.as_deref()
                    .and_then(|f| f.split('.').next())
                    .map(str::to_string)
            });
        asset.fqdn = fqdn.filter(|f| f.contains('.'));
    }
    if asset.ip.is_none() && asset.hostname.is_none() && asset.url.is_none() {
        ctx.skip();
        return Ok(());
    }
    ctx.scanned(&asset);
    if get(c.state).is_some_and(|s| s.eq_ignore_ascii_case("fixed")) {
        ctx.skip();
        return Ok(());
    }
    let Some(plugin) = get(c.plugin) else {
        ctx.skip();
        return Ok(());
    };
    let mut cves = Vec::new();
    for part in get(c.cve).unwrap_or("").split([',', ' ', '\n', ';']) {
        if let Some(id) = find_cve(part) {
            push_unique(&mut cves, id);
        }
    }
    let score = |i: Option<usize>| {
        get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let v3 = score(c.v3_score);
    let v2 = score(c.v2_score);
    let severity = get(c.risk)
        .and_then(Severity::parse_loose)
        .or(v3.map(Severity::from_cvss))
        .unwrap_or(Severity::Info);
    if severity == Severity::Info && cves.is_empty() {
        ctx.skip();
        return Ok(());
    }
    let (cvss_vector, cvss_score) = match (get(c.v3_vector), get(c.v2_vector)) {
        (Some(v), _) => (Some(v.to_string()), v3),
        (None, Some(v)) => (Some(v.to_string()), v2),
        (None, None) => (None, v3.or(v2)),
    };
    let mut cwes = Vec::new();
    for part in get(c.cwe).unwrap_or("").split([',', ' ', ';']) {
        let p = part.trim();
        if !p.is_empty() && p.chars().all(|ch| ch.is_ascii_digit()) {
            push_unique(&mut cwes, format!("CWE-{}", p.trim_start_matches('0')));
        }
    }
    for part in get(c.xref).unwrap_or("").split([',', '\n']) {
        let p = part.trim().replace(" #", ":");
        if p.to_ascii_uppercase().starts_with("CWE:")
            && let Some(cwe) = normalise_cwe(&p)
        {
            push_unique(&mut cwes, cwe);
        }
    }
    let component = get(c.cpe)
        .and_then(cpe_product)
        .map(|(name, version)| Component {
            name,
            version,
            ..Component::default()
        });
    let vendor = format!("nessus:{plugin}");
    let mut description = Vec::new();
    if let Some(s) = get(c.synopsis) {
        description.push(s.to_string());
    }
    if let Some(s) = get(c.solution) {
        description.push(format!("Solution: {s}"));
    }
    if let Some(s) = get(c.output) {
        description.push(format!("Output:\n{}", truncate(s, 2000)));
    }
    let base = Finding {
        tool: "nessus".to_string(),
        asset,
        weakness: Weakness {
            kind: WeaknessKind::Vendor,
            id: vendor.clone(),
            aliases: Vec::new(),
            cwes,
        },
        component,
        title: get(c.name).unwrap_or(&vendor).to_string(),
        severity,
        cvss_vector,
        cvss_score,
        port,
        protocol: if web { None } else { protocol },
        location: None,
        rule_id: Some(plugin.to_string()),
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
