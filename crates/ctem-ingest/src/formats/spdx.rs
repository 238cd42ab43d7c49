//! SPDX 2.2 and 2.3 JSON documents (`spdxVersion` `SPDX-2.x`), as written by
//! Syft, Trivy, GitHub's dependency graph export and the SPDX tools.
//!
//! An SBOM lists components, not vulnerabilities: an SPDX document gives
//! **zero findings**. What it gives is coverage: the described package
//! (`documentDescribes`, else the first package, else the document `name`) is
//! a scanned asset, so the inventory knows the asset exists and when it was
//! last inventoried, and every package with a package URL is counted (as
//! skipped records) so the summary says how many components were read.
//!
//! Streaming: `packages[]` is read one package at a time; memory is bounded
//! by the largest package, whatever the document's size (Dependency-Track
//! runs out of memory on 300,000-component SBOMs; this reader does not hold
//! them).
//!
//! Mapping of the described package to an asset:
//! - a `pkg:oci/…` or `pkg:docker/…` package URL, or a package whose
//!   `primaryPackagePurpose` is `CONTAINER` → a `container_image` asset
//!   named after the image (digest from the purl's version when it is one);
//! - otherwise a `code_repository` asset named after the package's
//!   `downloadLocation` when it is a URL, else its name, else the document
//!   name, else the file.

use crate::deps;
use crate::json::{self, Element, LList, LObj, LStr, Seq};
use crate::registry::{first_significant, json_key_value};
use crate::{Ctx, Format, IngestError};
use ctem_model::AssetIdentity;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "spdx",
    description: "SPDX 2.2/2.3 JSON SBOM (inventory: packages, no findings)",
    sniff,
    parse,
};

fn sniff(head: &[u8]) -> bool {
    first_significant(head) == Some(b'{')
        && json_key_value(head, "spdxVersion").is_some_and(|v| v.starts_with(b"\"SPDX-2."))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let mut st = State::default();
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let result = Root {
        ctx: &mut *ctx,
        st: &mut st,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))?;
    let Some(version) = st.version.as_deref() else {
        return Err(IngestError::Invalid {
            file: ctx.file.clone(),
            message: "no `spdxVersion`: not an SPDX JSON document".to_string(),
        });
    };
    if !version.starts_with("SPDX-2.") {
        return Err(IngestError::Invalid {
            file: ctx.file.clone(),
            message: format!("spdxVersion {version} is not supported (SPDX 2.x JSON is)"),
        });
    }
    ctx.tool(st.creator.as_deref().unwrap_or("spdx"));
    let asset = st.asset(&ctx.file);
    ctx.scanned(&asset);
    Ok(())
}

#[derive(Default)]
struct State {
    version: Option<String>,
    name: Option<String>,
    creator: Option<String>,
    describes: Vec<String>,
    /// The described package, once seen (or the first package, until then).
    described: Option<Package>,
    first: Option<Package>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: LStr,
    name: LStr,
    version_info: LStr,
    download_location: LStr,
    primary_package_purpose: LStr,
    external_refs: LList<LObj<ExternalRef>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default, rename_all = "camelCase")]
struct ExternalRef {
    reference_type: LStr,
    reference_locator: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreationInfo {
    creators: LList<LStr>,
}

impl Package {
    fn purl(&self) -> Option<&str> {
        self.external_refs
            .0
            .iter()
            .filter_map(|r| r.0.as_ref())
            .find(|r| r.reference_type.get() == Some("purl"))
            .and_then(|r| r.reference_locator.get())
    }
}

impl State {
    fn asset(&self, file: &str) -> AssetIdentity {
        let Some(p) = self.described.as_ref().or(self.first.as_ref()) else {
            return deps::repository(self.name.as_deref(), file);
        };
        let purl = p.purl().unwrap_or("");
        let container = purl.starts_with("pkg:oci/")
            || purl.starts_with("pkg:docker/")
            || p.primary_package_purpose
                .get()
                .is_some_and(|s| s.eq_ignore_ascii_case("container"));
        if container {
            let name = p.name.get().or(self.name.as_deref()).unwrap_or("");
            let digest = deps::purl_name_version(purl)
                .and_then(|(_, v)| v)
                .map(|v| v.replace("%3A", ":").replace("%3a", ":"))
                .filter(|v| v.starts_with("sha256:"));
            if !name.is_empty() {
                return deps::image(name, digest.as_deref());
            }
        }
        let location = p
            .download_location
            .get()
            .filter(|l| l.contains("://") || l.starts_with("git@"))
            .map(|l| l.strip_prefix("git+").unwrap_or(l));
        deps::repository(location.or(p.name.get()).or(self.name.as_deref()), file)
    }
}

struct Root<'x, 's> {
    ctx: &'x mut Ctx<'s>,
    st: &'x mut State,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an SPDX JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "spdxVersion" => self.st.version = map.next_value::<LStr>()?.owned(),
                "name" => self.st.name = map.next_value::<LStr>()?.owned(),
                "creationInfo" => {
                    let c: LObj<CreationInfo> = map.next_value()?;
                    // `Tool: syft-1.4.1` → `syft`.
                    self.st.creator = c.0.and_then(|c| {
                        c.creators.0.iter().filter_map(|s| s.get()).find_map(|s| {
                            let t = s.strip_prefix("Tool:")?.trim();
                            let name = t.split([' ', '-']).next()?.to_ascii_lowercase();
                            (!name.is_empty()).then_some(name)
                        })
                    });
                }
                "documentDescribes" => {
                    let d: LList<LStr> = map.next_value()?;
                    self.st.describes = d.0.iter().filter_map(|s| s.owned()).collect();
                }
                "packages" => {
                    let mut elem = PackageElem { st: &mut *self.st };
                    map.next_value_seed(Seq {
                        ctx: &mut *self.ctx,
                        name: "packages",
                        elem: &mut elem,
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

struct PackageElem<'a> {
    st: &'a mut State,
}

impl Element for PackageElem<'_> {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        let LObj(p) = LObj::<Package>::deserialize(d)?;
        let Some(p) = p else {
            return Ok(());
        };
        // A component read, not a finding.
        ctx.skip();
        let described = p
            .spdx_id
            .get()
            .is_some_and(|id| self.st.describes.iter().any(|d| d == id));
        if described && self.st.described.is_none() {
            self.st.described = Some(p);
        } else if self.st.first.is_none() {
            self.st.first = Some(p);
        }
        Ok(())
    }
}
