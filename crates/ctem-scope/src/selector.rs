//! Asset selectors: which assets a service, zone or control covers.
//!
//! A selector matches an asset when any of its lists matches (an empty
//! selector matches nothing). Host names, repositories and images are
//! case-insensitive globs (`*` and `?`).

use ctem_model::{AssetIdentity, normalise_host};
use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;
use toml::Spanned;
use wildmatch::WildMatch;

/// The selector as written in `ctem.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorSpec {
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub cidr: Vec<Spanned<String>>,
    #[serde(default)]
    pub hostname: Vec<String>,
    #[serde(default)]
    pub cloud_account: Vec<String>,
    #[serde(default)]
    pub repository: Vec<String>,
    #[serde(default)]
    pub image: Vec<String>,
    #[serde(default)]
    pub url: Vec<String>,
}

/// A compiled selector.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    tags: Vec<String>,
    cidrs: Vec<IpNet>,
    hostnames: Vec<WildMatch>,
    cloud_accounts: Vec<String>,
    repositories: Vec<WildMatch>,
    images: Vec<WildMatch>,
    urls: Vec<WildMatch>,
}

fn glob(p: &str) -> WildMatch {
    WildMatch::new(&p.trim().to_ascii_lowercase())
}

impl Selector {
    /// Compiles a selector; the error names the bad CIDR and where it is.
    pub fn compile(spec: &SelectorSpec) -> Result<Selector, (std::ops::Range<usize>, String)> {
        let mut cidrs = Vec::new();
        for c in &spec.cidr {
            cidrs.push(parse_net(c.get_ref()).map_err(|e| (c.span(), e))?);
        }
        Ok(Selector {
            tags: spec.tags.iter().map(|t| t.to_ascii_lowercase()).collect(),
            cidrs,
            hostnames: spec.hostname.iter().map(|h| glob(h)).collect(),
            cloud_accounts: spec.cloud_account.clone(),
            repositories: spec.repository.iter().map(|r| glob(r)).collect(),
            images: spec.image.iter().map(|i| glob(i)).collect(),
            urls: spec.url.iter().map(|u| glob(u)).collect(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
            && self.cidrs.is_empty()
            && self.hostnames.is_empty()
            && self.cloud_accounts.is_empty()
            && self.repositories.is_empty()
            && self.images.is_empty()
            && self.urls.is_empty()
    }

    /// Whether the asset with this identity is selected.
    pub fn matches(&self, id: &AssetIdentity) -> bool {
        let tag = || {
            id.tags
                .iter()
                .any(|t| self.tags.contains(&t.to_ascii_lowercase()))
        };
        let cidr = || {
            id.ip
                .as_deref()
                .and_then(|s| s.trim().parse::<IpAddr>().ok())
                .is_some_and(|ip| self.cidrs.iter().any(|n| n.contains(&ip)))
        };
        let host = || {
            [&id.fqdn, &id.hostname]
                .into_iter()
                .flatten()
                .map(|h| normalise_host(h))
                .any(|h| self.hostnames.iter().any(|g| g.matches(&h)))
        };
        let account = || {
            id.cloud_account
                .as_ref()
                .is_some_and(|a| self.cloud_accounts.contains(a))
        };
        let repo = || {
            id.repository.as_deref().is_some_and(|r| {
                let r = ctem_model::fingerprint::normalise_repo(r);
                self.repositories.iter().any(|g| g.matches(&r))
            })
        };
        let image = || {
            id.image.as_deref().is_some_and(|i| {
                let i = ctem_model::fingerprint::normalise_image(i);
                self.images.iter().any(|g| g.matches(&i))
            })
        };
        let url = || {
            id.url.as_deref().is_some_and(|u| {
                let u = u.to_ascii_lowercase();
                self.urls.iter().any(|g| g.matches(&u))
            })
        };
        tag() || cidr() || host() || account() || repo() || image() || url()
    }

    /// Whether one of the `cidr` networks includes the whole of `net`.
    pub fn covers_net(&self, net: &IpNet) -> bool {
        self.cidrs.iter().any(|n| n.contains(net))
    }

    /// Whether an address (IP or host name) is selected, for the probe
    /// allow-list, where only `cidr` and `hostname` apply.
    pub fn matches_address(&self, host: &str) -> bool {
        if let Ok(ip) = host.trim().trim_matches(['[', ']']).parse::<IpAddr>() {
            return self.cidrs.iter().any(|n| n.contains(&ip));
        }
        let h = normalise_host(host);
        self.hostnames.iter().any(|g| g.matches(&h))
    }
}

/// Parses `10.0.0.0/8` or a bare address (a /32 or /128).
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<IpNet>() {
        return Ok(n);
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    Err(format!("`{s}` is not a CIDR block or IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(spec: SelectorSpec) -> Selector {
        Selector::compile(&spec).expect("valid selector")
    }

    #[test]
    fn matches_by_each_kind_of_selector() {
        let s = sel(SelectorSpec {
            hostname: vec!["claims-*.corp.example".into()],
            cidr: vec![Spanned::new(0..0, "10.20.0.0/24".into())],
            image: vec!["registry.example/claims/*".into()],
            repository: vec!["github.com/insurer/claims-*".into()],
            ..Default::default()
        });
        let host = AssetIdentity {
            fqdn: Some("CLAIMS-DB-01.corp.example".into()),
            ..Default::default()
        };
        assert!(s.matches(&host));
        let ip = AssetIdentity {
            ip: Some("10.20.0.7".into()),
            ..Default::default()
        };
        assert!(s.matches(&ip));
        let other_ip = AssetIdentity {
            ip: Some("10.21.0.7".into()),
            ..Default::default()
        };
        assert!(!s.matches(&other_ip));
        let img = AssetIdentity {
            image: Some("registry.example/claims/api:2.1".into()),
            ..Default::default()
        };
        assert!(s.matches(&img));
        let repo = AssetIdentity {
            repository: Some("https://github.com/insurer/claims-portal.git".into()),
            ..Default::default()
        };
        assert!(s.matches(&repo));
        assert!(!s.matches(&AssetIdentity::default()));
    }

    #[test]
    fn probe_addresses() {
        let s = sel(SelectorSpec {
            hostname: vec!["*.dmz.example".into()],
            cidr: vec![Spanned::new(0..0, "127.0.0.0/8".into())],
            ..Default::default()
        });
        assert!(s.matches_address("127.0.0.1"));
        assert!(s.matches_address("www.dmz.example"));
        assert!(!s.matches_address("8.8.8.8"));
        assert!(!s.matches_address("www.example"));
    }

    #[test]
    fn bad_cidr_is_named() {
        let err = parse_net("10.0.0.0/33").expect_err("invalid prefix");
        assert!(err.contains("10.0.0.0/33"));
    }
}
