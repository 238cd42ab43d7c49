//! Helpers shared by the dependency-scanner and SBOM formats (CycloneDX,
//! SPDX, OSV-Scanner, Grype, Snyk, Dependency-Check, npm audit): package
//! URLs, severity and CVSS choices, assets named after a project or image,
//! and a finding skeleton.

use crate::text::{file_stem, normalise_cwe, push_unique, strip_image_tag};
use ctem_model::{AssetIdentity, AssetKind, Component, Finding, Severity, Weakness};

/// A finding with only the mandatory fields set.
pub(crate) fn finding(
    tool: &str,
    asset: &AssetIdentity,
    weakness: Weakness,
    title: String,
    severity: Severity,
) -> Finding {
    Finding {
        tool: tool.to_string(),
        asset: asset.clone(),
        weakness,
        component: None,
        title,
        severity,
        cvss_vector: None,
        cvss_score: None,
        port: None,
        protocol: None,
        location: None,
        rule_id: None,
        description: None,
    }
}

/// Name and version of a package URL:
/// `pkg:maven/org.apache/log4j-core@2.13.2?type=jar` → (`log4j-core`, `2.13.2`).
/// Percent-escapes are decoded; the namespace is not part of the name.
pub(crate) fn purl_name_version(purl: &str) -> Option<(String, Option<String>)> {
    let rest = purl.trim().strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (path, version) = match rest.rfind('@') {
        // `@` of a scoped npm name is escaped as %40, so the last `@` is the
        // version separator.
        Some(i) if rest[..i].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    // `type/namespace…/name`: Maven names are `group:artifact` and npm, Go,
    // Composer and GitHub names keep their namespace, as the scanners
    // themselves (Trivy, Snyk, npm) name these packages.
    let (kind, path) = path.split_once('/')?;
    let (namespace, name) = match path.rfind('/') {
        Some(i) => (Some(&path[..i]), &path[i + 1..]),
        None => (None, path),
    };
    if name.is_empty() {
        return None;
    }
    let name = match (kind.to_ascii_lowercase().as_str(), namespace) {
        ("maven", Some(ns)) => format!("{}:{}", percent_decode(ns), percent_decode(name)),
        ("npm" | "golang" | "composer" | "github" | "swift", Some(ns)) => {
            format!("{}/{}", percent_decode(ns), percent_decode(name))
        }
        _ => percent_decode(name),
    };
    let version = version.map(percent_decode).filter(|v| !v.trim().is_empty());
    Some((name, version))
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| (*c as char).to_digit(16)),
                b.get(i + 2).and_then(|c| (*c as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A component from a package URL alone.
pub(crate) fn component_from_purl(purl: &str) -> Option<Component> {
    let (name, version) = purl_name_version(purl)?;
    Some(Component {
        name,
        version,
        purl: Some(purl.trim().to_string()),
        fixed_version: None,
    })
}

/// A code repository asset named `name` (a URL, `owner/name` or a project
/// name), or after the file when there is none.
pub(crate) fn repository(name: Option<&str>, file: &str) -> AssetIdentity {
    let name = name.map(str::trim).filter(|n| !n.is_empty() && *n != ".");
    AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: Some(name.map(str::to_string).unwrap_or_else(|| file_stem(file))),
        ..AssetIdentity::default()
    }
}

/// A container image asset from a reference (`reg/app:1.2@sha256:…`); the
/// digest is kept when the reference has one.
pub(crate) fn image(reference: &str, digest: Option<&str>) -> AssetIdentity {
    let image = strip_image_tag(reference);
    let digest = digest.map(str::to_string).or_else(|| {
        reference
            .split_once('@')
            .map(|(_, d)| d.trim().to_string())
            .filter(|d| d.starts_with("sha256:"))
    });
    AssetIdentity {
        kind: Some(AssetKind::ContainerImage),
        image: (!image.is_empty()).then(|| image.to_string()),
        image_digest: digest.filter(|d| !d.is_empty()),
        ..AssetIdentity::default()
    }
}

/// A host asset from a host name, FQDN or IP address.
pub(crate) fn host(name: &str) -> AssetIdentity {
    let name = name.trim();
    let mut a = AssetIdentity {
        kind: Some(AssetKind::Host),
        ..AssetIdentity::default()
    };
    if crate::text::is_ip(name) {
        a.ip = Some(name.to_string());
    } else if name.contains('.') {
        a.hostname = name.split('.').next().map(str::to_string);
        a.fqdn = Some(name.to_string());
    } else {
        a.hostname = Some(name.to_string());
    }
    a
}

/// Severity from a scanner's word, ignoring `unknown`/`none` (which say
/// nothing) so that a CVSS score can speak instead.
pub(crate) fn severity_word(s: Option<&str>) -> Option<Severity> {
    let s = s?.trim();
    if s.eq_ignore_ascii_case("unknown") || s.eq_ignore_ascii_case("none") || s.is_empty() {
        return None;
    }
    Severity::parse_loose(s)
}

/// CWE ids in any spelling (`79`, `CWE-79`, `CWE-79: name`), normalised and
/// deduplicated in order.
pub(crate) fn cwes<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for v in values {
        let v = v.trim();
        let c = if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
            normalise_cwe(&format!("CWE-{v}"))
        } else {
            normalise_cwe(v)
        };
        if let Some(c) = c {
            push_unique(&mut out, c);
        }
    }
    out
}

/// `"{id} in {name} {version}"`, the title of a finding whose source gives none.
pub(crate) fn default_title(id: &str, component: Option<&Component>) -> String {
    match component {
        Some(c) => match &c.version {
            Some(v) => format!("{id} in {} {v}", c.name),
            None => format!("{id} in {}", c.name),
        },
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls() {
        assert_eq!(
            purl_name_version("pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2?type=jar"),
            Some((
                "org.apache.logging.log4j:log4j-core".into(),
                Some("2.13.2".into())
            ))
        );
        assert_eq!(
            purl_name_version("pkg:npm/%40angular/core@12.0.0"),
            Some(("@angular/core".into(), Some("12.0.0".into())))
        );
        assert_eq!(
            purl_name_version("pkg:deb/debian/libc6@2.28-10%2Bdeb10u1?arch=amd64"),
            Some(("libc6".into(), Some("2.28-10+deb10u1".into())))
        );
        assert_eq!(
            purl_name_version("pkg:pypi/django"),
            Some(("django".into(), None))
        );
        assert_eq!(purl_name_version("urn:uuid:1"), None);
        assert_eq!(
            cwes(["79", "CWE-89: SQL", "x", "79"]),
            vec!["CWE-79", "CWE-89"]
        );
        assert_eq!(severity_word(Some("Unknown")), None);
        assert_eq!(severity_word(Some("moderate")), Some(Severity::Medium));
    }
}
