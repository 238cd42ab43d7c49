//! ctem's own generic findings format, for tools without a parser: JSON
//! (`{"format": "ctem-findings/1", "tool": …, "assets": […], "findings":
//! […]}`) or CSV (a header naming the columns, any order). Documented with
//! examples in `docs/formats.md` ("Generic findings").
//!
//! Streaming: `findings[]` one finding at a time; CSV record by record.
//!
//! This is a format ctem defines, so it is strict where third-party formats
//! are lenient: a finding without an asset identifier, without a weakness
//! id, with an unknown severity or kind, a bad port or a non-numeric
//! `cvss_score` is an error naming the line and the record, not a silent
//! skip. Unknown extra fields and columns are ignored.
//!
//! Mapping:
//! - `asset`: `hostname`, `fqdn`, `ip`, `image`, `image_digest`,
//!   `repository`, `cloud_id`, `cloud_account`, `url` and optional `kind`;
//!   without `kind`: `cloud_id` → cloud_resource, `image` → container_image,
//!   `repository` → code_repository, `url` → web_application, else host.
//!   Every asset is recorded as scanned; `assets[]` (JSON) and CSV rows with
//!   an empty `weakness` list assets that were covered with no findings.
//! - `weakness` (+ `aliases`): CVE first, then GHSA, then any id, whose kind
//!   is `kind` (default `vendor`); `cwes` (JSON) or `cwe` (CSV).
//! - `severity` as given; missing → from `cvss_score`.
//! - `tool`: per finding (CSV column, JSON field), else the document's
//!   `tool`, else `generic`.

use super::records::{self, peek_delimiter, peek_first, run_csv, run_json};
use crate::json::{LList, LObj, LStr, Seq};
use crate::registry::{first_significant, json_key_value};
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, AssetKind, Component, Finding, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "generic",
    description: "ctem generic findings (JSON `ctem-findings/1` or CSV with a `weakness` column)",
    sniff,
    parse,
};

/// The value of `format` in a JSON document.
pub(crate) const FORMAT_TAG: &str = "ctem-findings/1";

fn sniff(head: &[u8]) -> bool {
    match first_significant(head) {
        Some(b'{') => {
            json_key_value(head, "format").is_some_and(|v| v.starts_with(b"\"ctem-findings/"))
        }
        Some(_) => {
            let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
            let line = String::from_utf8_lossy(line).to_ascii_lowercase();
            let cols: Vec<&str> = line.split([',', ';']).map(str::trim).collect();
            cols.contains(&"weakness") && cols.iter().any(|c| c.starts_with("asset_"))
        }
        None => false,
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    parse_any(input, ctx)?;
    if ctx.summary.tool.is_empty() {
        ctx.tool("generic");
    }
    Ok(())
}

fn parse_any(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    match peek_first(input) {
        Some(b'{') => run_json(input, ctx, |ctx, de| Doc { ctx }.deserialize(de)),
        None => Ok(()),
        Some(_) => {
            let delimiter = peek_delimiter(input);
            run_csv(input, ctx, delimiter, |ctx, h, row| {
                let get = |n: &str| h.get(row, &[n]).map(str::to_string);
                let asset = Asset {
                    kind: LStr(get("asset_kind")),
                    hostname: LStr(get("asset_hostname")),
                    fqdn: LStr(get("asset_fqdn")),
                    ip: LStr(get("asset_ip")),
                    image: LStr(get("asset_image")),
                    image_digest: LStr(get("asset_image_digest")),
                    repository: LStr(get("asset_repository")),
                    cloud_id: LStr(get("asset_cloud_id")),
                    cloud_account: LStr(get("asset_cloud_account")),
                    url: LStr(get("asset_url")),
                };
                let split = |v: Option<String>| {
                    LList(
                        v.map(|v| {
                            v.split([' ', ';', '|'])
                                .filter(|s| !s.is_empty())
                                .map(|s| LStr(Some(s.to_string())))
                                .collect()
                        })
                        .unwrap_or_default(),
                    )
                };
                let component = get("component").map(|name| Comp {
                    name: LStr(Some(name)),
                    version: LStr(get("version")),
                    purl: LStr(get("purl")),
                    fixed_version: LStr(get("fixed_version")),
                });
                let g = Generic {
                    tool: LStr(get("tool")),
                    asset: LObj(Some(asset)),
                    weakness: LStr(get("weakness")),
                    aliases: split(get("aliases")),
                    cwes: split(get("cwe").or(get("cwes"))),
                    kind: LStr(get("kind")),
                    title: LStr(get("title")),
                    severity: LStr(get("severity")),
                    cvss_vector: LStr(get("cvss_vector")),
                    cvss_score: LStr(get("cvss_score")),
                    component: LObj(component),
                    port: LStr(get("port")),
                    protocol: LStr(get("protocol")),
                    location: LStr(get("location")),
                    rule_id: LStr(get("rule_id")),
                    description: LStr(get("description")),
                };
                one(ctx, None, g)
            })
        }
    }
}

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
        f.write_str("a ctem-findings/1 object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut tool: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let f = map.next_value::<LStr>()?.0.unwrap_or_default();
                    if f != FORMAT_TAG {
                        return Err(serde::de::Error::custom(format!(
                            "unsupported format `{f}` (this version reads `{FORMAT_TAG}`)"
                        )));
                    }
                }
                "tool" => {
                    tool = map.next_value::<LStr>()?.0;
                    if let Some(t) = &tool {
                        self.ctx.tool(t);
                    }
                }
                "assets" => {
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "assets",
                        elem: &mut records::each(|ctx, a: Asset| {
                            let asset = a.identity(ctx)?;
                            ctx.scanned(&asset);
                            Ok(())
                        }),
                    })?;
                }
                "findings" => {
                    let tool = tool.as_deref();
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "findings",
                        elem: &mut records::each(|ctx, g: Generic| one(ctx, tool, g)),
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct Asset {
    kind: LStr,
    hostname: LStr,
    fqdn: LStr,
    ip: LStr,
    image: LStr,
    image_digest: LStr,
    repository: LStr,
    cloud_id: LStr,
    cloud_account: LStr,
    url: LStr,
}

impl Asset {
    fn identity(self, ctx: &Ctx<'_>) -> Result<AssetIdentity, IngestError> {
        let kind = match self.kind.get() {
            Some(k) => Some(
                AssetKind::parse(k)
                    .ok_or_else(|| records::invalid(ctx, format!("unknown asset kind `{k}`")))?,
            ),
            None => None,
        };
        let a = AssetIdentity {
            kind,
            hostname: self.hostname.0,
            fqdn: self.fqdn.0,
            ip: self.ip.0,
            cloud_id: self.cloud_id.0,
            cloud_account: self.cloud_account.0,
            image: self.image.0,
            image_digest: self.image_digest.0,
            repository: self.repository.0,
            url: self.url.0,
            tags: Vec::new(),
        };
        let kind = a.kind.or(if a.cloud_id.is_some() {
            Some(AssetKind::CloudResource)
        } else if a.image.is_some() || a.image_digest.is_some() {
            Some(AssetKind::ContainerImage)
        } else if a.repository.is_some() {
            Some(AssetKind::CodeRepository)
        } else if a.url.is_some() {
            Some(AssetKind::WebApplication)
        } else if a.hostname.is_some() || a.fqdn.is_some() || a.ip.is_some() {
            Some(AssetKind::Host)
        } else {
            None
        });
        if kind.is_none() || a.identifiers().is_empty() {
            return Err(records::invalid(
                ctx,
                "the asset has no identifier (hostname, fqdn, ip, image, repository, cloud_id or url)",
            ));
        }
        Ok(AssetIdentity { kind, ..a })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Comp {
    name: LStr,
    version: LStr,
    purl: LStr,
    fixed_version: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Generic {
    tool: LStr,
    asset: LObj<Asset>,
    weakness: LStr,
    aliases: LList<LStr>,
    cwes: LList<LStr>,
    kind: LStr,
    title: LStr,
    severity: LStr,
    cvss_vector: LStr,
    /// Read as text so that a non-numeric score is reported, not ignored.
    cvss_score: LStr,
    component: LObj<Comp>,
    port: LStr,
    protocol: LStr,
    location: LStr,
    rule_id: LStr,
    description: LStr,
}

fn one(ctx: &mut Ctx<'_>, doc_tool: Option<&str>, g: Generic) -> Result<(), IngestError> {
    let Some(asset) = g.asset.0 else {
        return Err(records::invalid(ctx, "the finding has no `asset`"));
    };
    let asset = asset.identity(ctx)?;
    ctx.scanned(&asset);
    let tool = g
        .tool
        .owned()
        .or_else(|| doc_tool.map(str::to_string))
        .unwrap_or_else(|| "generic".to_string());
    ctx.tool(&tool);
    let Some(id) = g.weakness.owned() else {
        // CSV: a row without weakness lists a covered asset.
        if g.title.get().is_some() || g.severity.get().is_some() {
            return Err(records::invalid(ctx, "the finding has no `weakness` id"));
        }
        return Ok(());
    };
    let kind = match g.kind.get() {
        Some(k) => WeaknessKind::parse(&k.to_ascii_lowercase())
            .ok_or_else(|| records::invalid(ctx, format!("unknown weakness kind `{k}`")))?,
        None => WeaknessKind::Vendor,
    };
    let mut ids = vec![id];
    ids.extend(g.aliases.0.iter().filter_map(LStr::owned));
    let mut weakness: Weakness = Weakness::from_ids(&ids, kind)
        .ok_or_else(|| records::invalid(ctx, "the finding has no `weakness` id"))?;
    for c in g.cwes.0.iter().filter_map(LStr::get) {
        if let Some(c) = records::cwe(c) {
            crate::text::push_unique(&mut weakness.cwes, c);
        }
    }
    let score = match g.cvss_score.get() {
        Some(s) => Some(
            s.parse::<f64>()
                .ok()
                .filter(|v| (0.0..=10.0).contains(v))
                .ok_or_else(|| {
                    records::invalid(
                        ctx,
                        format!("`cvss_score` `{s}` is not a score from 0 to 10"),
                    )
                })?,
        ),
        None => None,
    };
    let severity = match g.severity.get() {
        Some(s) => Severity::parse_loose(s)
            .ok_or_else(|| records::invalid(ctx, format!("unknown severity `{s}`")))?,
        None => score.map(Severity::from_cvss).ok_or_else(|| {
            records::invalid(ctx, "the finding has neither `severity` nor `cvss_score`")
        })?,
    };
    let port = match g.port.get() {
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| records::invalid(ctx, format!("`port` `{p}` is not a port number")))?,
        ),
        None => None,
    };
    let title = g.title.owned().unwrap_or_else(|| weakness.id.clone());
    let mut f: Finding = records::finding(&tool, &asset, weakness, title, severity);
    f.component = g.component.0.and_then(|c| {
        Some(Component {
            name: c.name.owned()?,
            version: c.version.owned(),
            purl: c.purl.owned(),
            fixed_version: c.fixed_version.owned(),
        })
    });
    f.cvss_vector = g.cvss_vector.owned();
    f.cvss_score = score;
    f.port = port.filter(|p| *p != 0);
    f.protocol = g.protocol.owned();
    f.location = g.location.owned();
    f.rule_id = g.rule_id.owned();
    f.description = g.description.owned();
    ctx.emit(f)
}
