//! Probes against servers this test starts on 127.0.0.1: a TLS server that
//! only speaks TLS 1.0 (hand-crafted ServerHello and Certificate) and an
//! HTTP server announcing a vulnerable Apache. And the safety rule: a
//! target outside the allow-list is refused before any connection is
//! attempted — proven with a connector that records every call.

use ctem_probe::{Conn, Expect, Kind, Limiter, Net, Refusal, Settings, SystemNet, Target, Tcp};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;
use std::time::Duration;

const CERT: &[u8] = include_bytes!("data/legacy-cert.der");
/// notAfter of `data/legacy-cert.der` (2036-11-24T22:39:43Z).
const NOT_AFTER: i64 = 2_111_179_183;

fn loopback_only(host: &str) -> bool {
    host.starts_with("127.")
}

fn settings() -> Settings {
    Settings {
        timeout: Duration::from_secs(3),
        rate_per_second: 50,
        now: 1_795_000_000, // 2026-11-18
    }
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![
        kind,
        (body.len() >> 16) as u8,
        (body.len() >> 8) as u8,
        body.len() as u8,
    ];
    v.extend_from_slice(body);
    v
}

fn record(kind: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&version.to_be_bytes());
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// Answers TLS 1.0 ClientHellos with ServerHello + Certificate +
/// ServerHelloDone (3DES when offered only weak suites), anything else with
/// a protocol_version alert.
fn legacy_tls_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s = s;
            let mut head = [0u8; 5];
            if s.read_exact(&mut head).is_err() {
                continue;
            }
            let len = u16::from_be_bytes([head[3], head[4]]) as usize;
            let mut hello = vec![0u8; len];
            if s.read_exact(&mut hello).is_err() {
                continue;
            }
            let version = u16::from_be_bytes([hello[4], hello[5]]);
            let has_supported_versions = hello.windows(2).any(|w| w == [0x00, 0x2b]);
            if version != 0x0301 || has_supported_versions {
                let _ = s.write_all(&record(21, 0x0301, &[2, 70]));
                continue;
            }
            // Offered suites: pick AES128-SHA, or 3DES from a weak-only list.
            let sid = hello[38] as usize;
            let n = u16::from_be_bytes([hello[39 + sid], hello[40 + sid]]) as usize;
            let suites: Vec<u16> = hello[41 + sid..41 + sid + n]
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            let cipher: u16 = if suites.contains(&0x002f) {
                0x002f
            } else {
                0x000a
            };
            let mut sh = vec![0x03, 0x01];
            sh.extend_from_slice(&[0x42; 32]);
            sh.push(0);
            sh.extend_from_slice(&cipher.to_be_bytes());
            sh.push(0);
            let mut certs = Vec::new();
            let l = CERT.len();
            let total = l + 3;
            certs.extend_from_slice(&[(total >> 16) as u8, (total >> 8) as u8, total as u8]);
            certs.extend_from_slice(&[(l >> 16) as u8, (l >> 8) as u8, l as u8]);
            certs.extend_from_slice(CERT);
            let mut flight = handshake(2, &sh);
            flight.extend_from_slice(&handshake(11, &certs));
            flight.extend_from_slice(&handshake(14, &[]));
            let _ = s.write_all(&record(22, 0x0301, &flight));
        }
    });
    addr
}

fn http_server(banner: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s = s;
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                format!("HTTP/1.1 200 OK\r\nServer: {banner}\r\nContent-Length: 0\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    addr
}

#[test]
fn tls_server_offering_only_tls_1_0() {
    let addr = legacy_tls_server();
    let t = Target {
        host: "127.0.0.1".into(),
        port: addr.port(),
        kinds: vec![Kind::Tcp, Kind::Tls],
        expect: None,
    };
    let mut lim = Limiter::new(50);
    let o = ctem_probe::probe(&SystemNet, &loopback_only, &mut lim, &settings(), &t);
    assert_eq!(o.refused, None);
    assert_eq!(o.tcp, Some(Tcp::Open));
    let tls = o.tls.expect("tls facts");
    assert_eq!(tls.versions, ["TLS 1.0"]);
    assert_eq!(tls.weak_versions, ["TLS 1.0"]);
    assert_eq!(
        tls.weak_cipher.as_deref(),
        Some("TLS_RSA_WITH_3DES_EDE_CBC_SHA")
    );
    let cert = tls.certificate.expect("certificate in the clear");
    assert_eq!(cert.subject_cn.as_deref(), Some("legacy.test.example"));
    assert_eq!(
        cert.names,
        ["legacy.test.example", "www.legacy.test.example"]
    );
    assert_eq!(cert.not_after, NOT_AFTER);
    assert_eq!(tls.certificate_expired, Some(false));
    assert_eq!(
        tls.certificate_days_left,
        Some((NOT_AFTER - 1_795_000_000) / 86_400)
    );
}

#[test]
fn http_server_announcing_a_vulnerable_version() {
    let addr = http_server("Apache/2.4.49 (Unix)");
    let mut t = Target {
        host: "127.0.0.1".into(),
        port: addr.port(),
        kinds: vec![Kind::Tcp, Kind::Http],
        expect: Some(Expect {
            product: "apache".into(),
            version: Some("2.4.49".into()),
        }),
    };
    let mut lim = Limiter::new(50);
    let o = ctem_probe::probe(&SystemNet, &loopback_only, &mut lim, &settings(), &t);
    let h = o.http.expect("http facts");
    assert_eq!(h.status, 200);
    assert_eq!(h.server.as_deref(), Some("Apache/2.4.49 (Unix)"));
    assert_eq!(h.product_version.as_deref(), Some("2.4.49"));
    assert_eq!(h.verdict.as_deref(), Some("vulnerable version announced"));
    // The fixed version no longer matches.
    t.expect = Some(Expect {
        product: "apache".into(),
        version: Some("2.4.48".into()),
    });
    let o = ctem_probe::probe(&SystemNet, &loopback_only, &mut lim, &settings(), &t);
    assert_eq!(
        o.http.and_then(|h| h.verdict).as_deref(),
        Some("other version announced")
    );
}

#[test]
fn a_closed_port_is_reported_refused() {
    // Bind then drop: the port is free and nothing listens.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let t = Target {
        host: "127.0.0.1".into(),
        port,
        kinds: vec![Kind::Tcp, Kind::Http],
        expect: None,
    };
    let o = ctem_probe::probe(
        &SystemNet,
        &loopback_only,
        &mut Limiter::new(50),
        &settings(),
        &t,
    );
    assert_eq!(o.tcp, Some(Tcp::Refused));
    assert!(o.http.is_none());
}

/// Records every resolution and connection; connects to nothing.
#[derive(Default)]
struct Recorder {
    resolved: Mutex<Vec<String>>,
    connected: Mutex<Vec<SocketAddr>>,
    answer: Vec<SocketAddr>,
}

impl Net for Recorder {
    fn resolve(&self, host: &str, _port: u16) -> std::io::Result<Vec<SocketAddr>> {
        self.resolved.lock().expect("lock").push(host.to_string());
        Ok(self.answer.clone())
    }
    fn connect(&self, addr: SocketAddr, _t: Duration) -> std::io::Result<Box<dyn Conn>> {
        self.connected.lock().expect("lock").push(addr);
        Err(std::io::Error::other("recorder connects nowhere"))
    }
}

#[test]
fn targets_outside_the_allow_list_are_refused_before_any_connection() {
    // Allow-list: loopback addresses and names under .lab.example.
    let permits = |h: &str| h.starts_with("127.") || h.ends_with(".lab.example");
    let net = Recorder {
        // The allowed name resolves to an address outside the allow-list.
        answer: vec!["10.1.2.3:443".parse().expect("addr")],
        ..Default::default()
    };
    let mut lim = Limiter::new(50);
    let outside = Target {
        host: "192.0.2.10".into(),
        port: 443,
        kinds: vec![Kind::Tcp, Kind::Tls, Kind::Http],
        expect: None,
    };
    let o = ctem_probe::probe(&net, &permits, &mut lim, &settings(), &outside);
    assert_eq!(
        o.refused,
        Some(Refusal::HostNotAllowed {
            host: "192.0.2.10".into()
        })
    );
    assert!(
        net.resolved.lock().expect("lock").is_empty(),
        "not even resolved"
    );
    let smuggled = Target {
        host: "web.lab.example".into(),
        ..outside.clone()
    };
    let o = ctem_probe::probe(&net, &permits, &mut lim, &settings(), &smuggled);
    assert_eq!(
        o.refused,
        Some(Refusal::AddressNotAllowed {
            host: "web.lab.example".into(),
            address: "10.1.2.3".into()
        })
    );
    assert_eq!(
        net.resolved.lock().expect("lock").as_slice(),
        ["web.lab.example"]
    );
    assert!(
        net.connected.lock().expect("lock").is_empty(),
        "no connection was attempted"
    );
    // A dry run contacts nothing and says why.
    let plan = ctem_probe::plan(&permits, &[outside, smuggled]);
    assert!(!plan[0].allowed && plan[1].allowed);
    assert!(plan[1].note.contains("every address"));
    assert!(net.connected.lock().expect("lock").is_empty());
}

const TLS_CERT: &[u8] = include_bytes!("data/selfsigned-cert.der");
const TLS_KEY: &[u8] = include_bytes!("data/selfsigned-key.pk8.der");

/// A rustls server on loopback with a self-signed certificate (made once
/// with `openssl req -x509 -newkey ec`, CN localhost) that answers an
/// HTTP request over TLS with an Apache banner.
fn https_server(banner: &'static str) -> SocketAddr {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(TLS_CERT.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(TLS_KEY.to_vec())),
        )
        .expect("certificate and key");
    let config = Arc::new(config);
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, s);
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            // Old-protocol hellos of the TLS probe fail here; go on.
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            if buf.starts_with(b"HEAD / ") {
                let answer =
                    format!("HTTP/1.1 200 OK\r\nServer: {banner}\r\nContent-Length: 0\r\n\r\n");
                let _ = tls.write_all(answer.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        }
    });
    addr
}

#[test]
fn https_banner_is_read_over_tls_with_a_self_signed_certificate() {
    let addr = https_server("Apache/2.4.49 (Unix)");
    let t = Target {
        host: "127.0.0.1".into(),
        port: addr.port(),
        kinds: vec![Kind::Tcp, Kind::Tls, Kind::Http],
        expect: Some(Expect {
            product: "apache".into(),
            version: Some("2.4.49".into()),
        }),
    };
    let mut lim = Limiter::new(50);
    let o = ctem_probe::probe(&SystemNet, &loopback_only, &mut lim, &settings(), &t);
    assert_eq!(o.tcp, Some(Tcp::Open));
    let h = o.http.expect("an HTTPS banner");
    assert_eq!(h.server.as_deref(), Some("Apache/2.4.49 (Unix)"));
    assert_eq!(h.verdict.as_deref(), Some("vulnerable version announced"));
    // The TLS probe saw TLS 1.2 and the certificate.
    let tls = o.tls.expect("TLS facts");
    assert!(tls.versions.iter().any(|v| v == "TLS 1.2"), "{tls:?}");

    // Still behind the allow-list: refused before any connection.
    let o = ctem_probe::probe(&SystemNet, &|_: &str| false, &mut lim, &settings(), &t);
    assert!(o.refused.is_some());
    assert!(o.http.is_none());
}
