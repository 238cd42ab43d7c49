//! The `[feeds]` section of `ctem.toml`: where `ctem feeds update`
//! downloads CISA KEV and FIRST EPSS, with its timeout and size limit.
//!
//! Downloads use HTTPS. Plain `http://` is accepted only for loopback
//! hosts (127.0.0.0/8, `::1`, `localhost`), so tests and air-gapped
//! mirrors on the same machine work while nothing crosses a network in
//! clear text.

use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// The official CISA KEV JSON feed.
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// The official FIRST EPSS daily scores (gzip-compressed CSV).
pub const EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFeeds {
    #[serde(default)]
    kev_url: Option<Spanned<String>>,
    #[serde(default)]
    epss_url: Option<Spanned<String>>,
    #[serde(default)]
    timeout_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    max_mib: Option<Spanned<i64>>,
}

/// Download settings; see `docs/scope.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feeds {
    /// `None`: KEV is not downloaded (`kev_url = ""`).
    pub kev_url: Option<String>,
    /// `None`: EPSS is not downloaded (`epss_url = ""`).
    pub epss_url: Option<String>,
    /// Whole-download timeout.
    pub timeout_seconds: u64,
    /// The largest body accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for Feeds {
    fn default() -> Self {
        Feeds {
            kev_url: Some(KEV_URL.into()),
            epss_url: Some(EPSS_URL.into()),
            timeout_seconds: 300,
            max_bytes: 256 << 20,
        }
    }
}

/// Whether a host name or address is on the loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The host of an `http(s)://host[:port]/…` URL, without the port.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next();
    }
    authority.split(':').next().filter(|h| !h.is_empty())
}

/// Checks a feed URL: HTTPS, or HTTP to a loopback host.
pub fn check_url(url: &str) -> Result<(), String> {
    let Some(host) = url_host(url) else {
        return Err(format!("`{url}` is not an http(s) URL with a host"));
    };
    if url.starts_with("https://") || is_loopback_host(host) {
        Ok(())
    } else {
        Err(format!(
            "`{url}` must use https:// (plain http is allowed only for loopback hosts)"
        ))
    }
}

pub(crate) fn compile(raw: Option<RawFeeds>, error: &mut dyn FnMut(Range<usize>, String)) -> Feeds {
    let mut f = Feeds::default();
    let Some(raw) = raw else { return f };
    let mut url = |v: Option<Spanned<String>>, default: Option<String>, key: &str| match v {
        None => default,
        Some(u) if u.get_ref().trim().is_empty() => None,
        Some(u) => {
            let s = u.get_ref().trim().to_string();
            if let Err(e) = check_url(&s) {
                error(u.span(), format!("feeds.{key}: {e}"));
            }
            Some(s)
        }
    };
    f.kev_url = url(raw.kev_url, f.kev_url, "kev_url");
    f.epss_url = url(raw.epss_url, f.epss_url, "epss_url");
    if let Some(t) = raw.timeout_seconds {
        let v = *t.get_ref();
        if !(1..=3600).contains(&v) {
            error(
                t.span(),
                format!("feeds.timeout_seconds must be from 1 to 3600, not {v}"),
            );
        }
        f.timeout_seconds = v.clamp(1, 3600) as u64;
    }
    if let Some(m) = raw.max_mib {
        let v = *m.get_ref();
        if !(1..=4096).contains(&v) {
            error(
                m.span(),
                format!("feeds.max_mib must be from 1 to 4096, not {v}"),
            );
        }
        f.max_bytes = (v.clamp(1, 4096) as u64) << 20;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_unless_loopback() {
        assert!(check_url(KEV_URL).is_ok());
        assert!(check_url("http://127.0.0.1:8080/kev.json").is_ok());
        assert!(check_url("http://127.3.2.1/kev.json").is_ok());
        assert!(check_url("http://[::1]:9000/x").is_ok());
        assert!(check_url("http://localhost/x").is_ok());
        assert!(check_url("http://www.cisa.gov/x").is_err());
        assert!(check_url("http://10.0.0.1/x").is_err());
        assert!(check_url("ftp://127.0.0.1/x").is_err());
        assert_eq!(url_host("https://user@h.example:443/p"), Some("h.example"));
    }
}
