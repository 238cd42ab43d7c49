//! Stable keys: asset keys and exposure fingerprints.
//!
//! An exposure's fingerprint is the same across rescans and across scanners.
//! For a CVE or GHSA it hashes the resolved asset and the weakness id only:
//! a network scanner that names no package (Nessus) and a package scanner
//! (Trivy, Grype) then agree, and a CVE fixed by one upgrade is one exposure
//! even when several subpackages carry it. For other weaknesses (scanner
//! rules, misconfigurations, secrets) it also hashes the component name (not
//! its version: an upgrade that leaves the weakness in place is the same
//! exposure) and the location (file and line, URL path).

use crate::AssetIdentity;
use sha2::{Digest, Sha256};

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Host names compare case-insensitively and without a trailing dot.
pub fn normalise_host(h: &str) -> String {
    h.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `registry.example/claims/api:1.4@sha256:…` → `registry.example/claims/api`.
pub fn normalise_image(i: &str) -> String {
    let i = i.trim();
    let i = i.split('@').next().unwrap_or(i);
    // A tag follows the last ':' only when that ':' comes after the last '/'
    // (a registry port also uses ':').
    let i = match (i.rfind(':'), i.rfind('/')) {
        (Some(c), Some(s)) if c > s => &i[..c],
        (Some(c), None) => &i[..c],
        _ => i,
    };
    i.to_ascii_lowercase()
}

/// `https://github.com/Org/Repo.git` → `github.com/org/repo`.
pub fn normalise_repo(r: &str) -> String {
    let r = r.trim().trim_end_matches('/');
    let r = r.strip_suffix(".git").unwrap_or(r);
    let r = r
        .strip_prefix("https://")
        .or_else(|| r.strip_prefix("http://"))
        .or_else(|| r.strip_prefix("ssh://"))
        .unwrap_or(r);
    match r.strip_prefix("git@") {
        Some(rest) => rest.replacen(':', "/", 1).to_ascii_lowercase(),
        None => r.to_ascii_lowercase(),
    }
}

/// The key an asset is stored under, from its strongest identifier:
/// cloud resource id > image name > repository > URL > FQDN > host name > IP.
pub fn asset_key(id: &AssetIdentity) -> String {
    if let Some(v) = &id.cloud_id {
        return format!("cloud:{}", v.to_ascii_lowercase());
    }
    if let Some(v) = &id.image {
        return format!("image:{}", normalise_image(v));
    }
    if let Some(v) = &id.repository {
        return format!("repo:{}", normalise_repo(v));
    }
    if let Some(v) = &id.url {
        return format!("url:{}", v.trim_end_matches('/').to_ascii_lowercase());
    }
    if let Some(v) = id.fqdn.as_ref().or(id.hostname.as_ref()) {
        return format!("host:{}", normalise_host(v));
    }
    if let Some(v) = &id.ip {
        return format!("ip:{}", v.trim());
    }
    if let Some(v) = &id.image_digest {
        return format!("digest:{}", v.to_ascii_lowercase());
    }
    "unknown:".to_string()
}

/// The exposure fingerprint: 32 hex characters of SHA-256. Callers pass the
/// component and location only for weaknesses that need them (see the
/// module docs and [`crate::Finding::fingerprint_on`]).
pub fn exposure_fingerprint(
    asset_id: &str,
    weakness_id: &str,
    component: Option<&str>,
    location: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    for part in [
        asset_id,
        &weakness_id.to_ascii_uppercase(),
        &component.unwrap_or("").to_ascii_lowercase(),
        location.unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags_and_digests_are_dropped_but_registry_ports_kept() {
        assert_eq!(
            normalise_image("Reg.example:5000/claims/api:1.4"),
            "reg.example:5000/claims/api"
        );
        assert_eq!(normalise_image("nginx@sha256:abc"), "nginx");
        assert_eq!(normalise_image("nginx:1.25"), "nginx");
    }

    #[test]
    fn repository_urls_normalise() {
        assert_eq!(
            normalise_repo("https://github.com/Org/Repo.git"),
            "github.com/org/repo"
        );
        assert_eq!(
            normalise_repo("git@github.com:Org/Repo.git"),
            "github.com/org/repo"
        );
    }

    #[test]
    fn fingerprint_ignores_version_and_case_of_ids() {
        let a = exposure_fingerprint("host:a", "cve-2021-44228", Some("log4j-core"), None);
        let b = exposure_fingerprint("host:a", "CVE-2021-44228", Some("Log4j-Core"), None);
        let c = exposure_fingerprint("host:b", "CVE-2021-44228", Some("log4j-core"), None);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn asset_key_precedence() {
        let id = AssetIdentity {
            fqdn: Some("Web-01.Corp.Example.".into()),
            ip: Some("10.0.0.1".into()),
            ..Default::default()
        };
        assert_eq!(asset_key(&id), "host:web-01.corp.example");
        let id = AssetIdentity {
            ip: Some("10.0.0.1".into()),
            ..Default::default()
        };
        assert_eq!(asset_key(&id), "ip:10.0.0.1");
    }
}
