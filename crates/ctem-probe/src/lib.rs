//! Safe active probes: is an exposed port reachable, what does TLS offer,
//! what product and version does an HTTP server announce?
//!
//! **Safety invariant:** nothing is contacted unless the scope's probe
//! allow-list permits it, and the check happens before any socket is
//! opened. A host name must be permitted *and* every address it resolves to
//! must be permitted (deny wins), so a name cannot smuggle a probe to an
//! address outside the allow-list. Probes are rate-limited (a pause between
//! connections) and every connect, read and write has a timeout. Probes
//! send only what a client normally sends (a TCP connect, a ClientHello, an
//! HTTP `HEAD /`), never an exploit.
//!
//! Network access goes through the [`Net`] trait, so tests can inject a
//! connector that records every attempt and prove that a refused target is
//! never contacted.

#![forbid(unsafe_code)]

pub mod http;
pub mod tls;

use serde::Serialize;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// A connection.
pub trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

/// How probes reach the network.
pub trait Net {
    /// Resolves a host name (or parses an address).
    fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
    /// Connects to one address, with timeouts on connect, read and write.
    fn connect(&self, addr: SocketAddr, timeout: Duration) -> std::io::Result<Box<dyn Conn>>;
}

/// The operating system's resolver and TCP stack.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemNet;

impl Net for SystemNet {
    fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        Ok((host, port).to_socket_addrs()?.collect())
    }

    fn connect(&self, addr: SocketAddr, timeout: Duration) -> std::io::Result<Box<dyn Conn>> {
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        Ok(Box::new(s))
    }
}

/// Why a target was not contacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum Refusal {
    #[error("{host} is not in the probe allow-list (or is denied) in ctem.toml [probes]")]
    HostNotAllowed { host: String },
    #[error("{host} resolves to {address}, which is not in the probe allow-list (or is denied)")]
    AddressNotAllowed { host: String, address: String },
    #[error("{host} could not be resolved: {cause}")]
    Unresolved { host: String, cause: String },
}

/// Checks a target against the allow-list before anything is sent: the
/// name (or address) first, then every resolved address. Resolution itself
/// happens only for a permitted name.
pub fn authorise(
    net: &dyn Net,
    permits: &dyn Fn(&str) -> bool,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, Refusal> {
    if !permits(host) {
        return Err(Refusal::HostNotAllowed {
            host: host.to_string(),
        });
    }
    let addrs = net.resolve(host, port).map_err(|e| Refusal::Unresolved {
        host: host.to_string(),
        cause: e.to_string(),
    })?;
    if addrs.is_empty() {
        return Err(Refusal::Unresolved {
            host: host.to_string(),
            cause: "no address".into(),
        });
    }
    for a in &addrs {
        if !permits(&a.ip().to_string()) {
            return Err(Refusal::AddressNotAllowed {
                host: host.to_string(),
                address: a.ip().to_string(),
            });
        }
    }
    Ok(addrs)
}

/// A pause between connections: at most `per_second` connections a second.
#[derive(Debug)]
pub struct Limiter {
    interval: Duration,
    last: Option<Instant>,
}

impl Limiter {
    pub fn new(per_second: u32) -> Limiter {
        Limiter {
            interval: Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))),
            last: None,
        }
    }

    /// Waits until the next connection is allowed.
    pub fn wait(&mut self) {
        if let Some(t) = self.last {
            let since = t.elapsed();
            if since < self.interval {
                std::thread::sleep(self.interval - since);
            }
        }
        self.last = Some(Instant::now());
    }
}

/// Which probes to run on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Tcp,
    Tls,
    Http,
}

/// What the target is expected to run (the vulnerable product from the
/// finding), for banner matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expect {
    pub product: String,
    /// The vulnerable version the finding names.
    pub version: Option<String>,
}

/// A target: a host (name or address) and port, and what to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub kinds: Vec<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// Probe settings from `ctem.toml` `[probes]`.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub timeout: Duration,
    pub rate_per_second: u32,
    /// Unix time now, for certificate expiry.
    pub now: i64,
}

/// TCP reachability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tcp {
    Open,
    Refused,
    Timeout,
    Error(String),
}

/// What TLS offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TlsFacts {
    /// Versions the server accepted.
    pub versions: Vec<String>,
    /// Accepted versions that are deprecated (SSL 3.0, TLS 1.0, TLS 1.1).
    pub weak_versions: Vec<String>,
    /// A weak cipher suite the server accepted when offered only weak ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak_cipher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<tls::Certificate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_expired: Option<bool>,
    /// Days until the certificate expires (negative when expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_days_left: Option<i64>,
    /// Whether the certificate names the host probed (when a name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_matches: Option<bool>,
}

/// The result of probing one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub host: String,
    pub port: u16,
    /// Why nothing was contacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<Tcp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<http::HttpFacts>,
}

fn random32(seed: u64) -> [u8; 32] {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    out
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match p.strip_prefix("*.") {
        Some(rest) => h.split_once('.').is_some_and(|(_, tail)| tail == rest),
        None => p == h,
    }
}

/// Probes one target: authorise (before any socket), then TCP, TLS and
/// HTTP as asked, each connection rate-limited and timed out.
pub fn probe(
    net: &dyn Net,
    permits: &dyn Fn(&str) -> bool,
    limiter: &mut Limiter,
    settings: &Settings,
    target: &Target,
) -> Outcome {
    let mut out = Outcome {
        host: target.host.clone(),
        port: target.port,
        refused: None,
        address: None,
        tcp: None,
        tls: None,
        http: None,
    };
    let addrs = match authorise(net, permits, &target.host, target.port) {
        Ok(a) => a,
        Err(r) => {
            out.refused = Some(r);
            return out;
        }
    };
    let addr = addrs[0];
    out.address = Some(addr.to_string());
    let connect = |limiter: &mut Limiter| {
        limiter.wait();
        net.connect(addr, settings.timeout)
    };
    match connect(limiter) {
        Ok(_) => out.tcp = Some(Tcp::Open),
        Err(e) => {
            out.tcp = Some(match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Tcp::Refused,
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Tcp::Timeout,
                _ => Tcp::Error(e.to_string()),
            });
            return out;
        }
    }
    let sni = Some(target.host.as_str());
    if target.kinds.contains(&Kind::Tls) {
        let mut facts = TlsFacts::default();
        let mut best: Option<tls::Version> = None;
        for (i, v) in tls::Version::ALL.iter().enumerate() {
            let Ok(mut c) = connect(limiter) else {
                continue;
            };
            if let Ok(tls::Answer::Accepted {
                version,
                certificate,
                ..
            }) = tls::hello(&mut c, *v, false, sni, random32(i as u64))
            {
                // A server may answer a lower version than offered.
                let got = tls::Version::ALL
                    .iter()
                    .find(|x| *x == v && version == wire(**x));
                if let Some(got) = got {
                    facts.versions.push(got.name().to_string());
                    if got.is_weak() {
                        facts.weak_versions.push(got.name().to_string());
                    }
                    if *got != tls::Version::Tls13 {
                        best = Some(*got);
                    }
                }
                if facts.certificate.is_none()
                    && let Some(cert) = certificate.as_deref().and_then(tls::parse_certificate)
                {
                    facts.certificate = Some(cert);
                }
            }
        }
        if let Some(v) = best
            && let Ok(mut c) = connect(limiter)
            && let Ok(tls::Answer::Accepted { cipher, .. }) =
                tls::hello(&mut c, v, true, sni, random32(99))
        {
            facts.weak_cipher = tls::weak_cipher_name(cipher).map(str::to_string);
        }
        if let Some(cert) = &facts.certificate {
            let left = (cert.not_after - settings.now).div_euclid(86_400);
            facts.certificate_days_left = Some(left);
            facts.certificate_expired = Some(cert.not_after < settings.now);
            if target.host.parse::<IpAddr>().is_err() {
                let names = cert.names.iter().chain(cert.subject_cn.iter());
                facts.name_matches = Some(names.clone().any(|n| host_matches(n, &target.host)));
            }
        }
        out.tls = Some(facts);
    }
    if target.kinds.contains(&Kind::Http)
        && let Ok(mut c) = connect(limiter)
    {
        // HTTPS on 443 or on a TLS service: the HEAD goes over TLS.
        out.http = if target.port == 443 || target.kinds.contains(&Kind::Tls) {
            http::head_tls(c, &target.host, target.expect.as_ref())
        } else {
            http::head(&mut c, &target.host, target.expect.as_ref())
        };
    }
    out
}

fn wire(v: tls::Version) -> u16 {
    match v {
        tls::Version::Ssl3 => 0x0300,
        tls::Version::Tls10 => 0x0301,
        tls::Version::Tls11 => 0x0302,
        tls::Version::Tls12 => 0x0303,
        tls::Version::Tls13 => 0x0304,
    }
}

/// One line of a dry run: what would be contacted, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    pub host: String,
    pub port: u16,
    pub kinds: Vec<Kind>,
    pub allowed: bool,
    pub note: String,
}

/// What a run would contact, without resolving or connecting anything.
pub fn plan(permits: &dyn Fn(&str) -> bool, targets: &[Target]) -> Vec<Planned> {
    targets
        .iter()
        .map(|t| {
            let allowed = permits(&t.host);
            let is_ip = t.host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok();
            Planned {
                host: t.host.clone(),
                port: t.port,
                kinds: t.kinds.clone(),
                allowed,
                note: match (allowed, is_ip) {
                    (false, _) => "not in the allow-list: will not be contacted".into(),
                    (true, true) => "allowed".into(),
                    (true, false) => {
                        "allowed by name; every address it resolves to is checked before connecting"
                            .into()
                    }
                },
            }
        })
        .collect()
}
