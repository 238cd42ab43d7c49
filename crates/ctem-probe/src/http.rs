//! HTTP banner: one `HEAD /` request, the status line and the `Server` and
//! `X-Powered-By` headers, matched against the product and vulnerable
//! version a finding names.

use crate::Expect;
use serde::Serialize;

/// What an HTTP server announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpFacts {
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub powered_by: Option<String>,
    /// The version the banner gives for the expected product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_version: Option<String>,
    /// `vulnerable version announced`, `other version announced`,
    /// `product not announced` (when a product was expected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

/// The version after `product/` (or `product ` ) in a banner.
pub fn version_in(banner: &str, product: &str) -> Option<String> {
    let b = banner.to_ascii_lowercase();
    let p = product.to_ascii_lowercase();
    let at = b.find(&p)?;
    let rest = banner.get(at + p.len()..)?;
    let rest = rest.trim_start_matches(['/', ' ', '-', '_']);
    let v: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_')
        .collect();
    (!v.is_empty() && v.chars().next().is_some_and(|c| c.is_ascii_digit())).then_some(v)
}

/// Sends `HEAD /` and reads the head of the answer (at most 16 KiB).
pub fn head(conn: &mut dyn crate::Conn, host: &str, expect: Option<&Expect>) -> Option<HttpFacts> {
    let req = format!(
        "HEAD / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ctem-probe/1 (safe banner check)\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(req.as_bytes()).ok()?;
    conn.flush().ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while buf.len() < 16 * 1024 {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    parse_head(&String::from_utf8_lossy(&buf), expect)
}

/// Sends `HEAD /` over TLS 1.2 or 1.3 (rustls, ring provider) and reads
/// the head of the answer, as [`head`]. `conn` is a connection the caller
/// opened after the allow-list check.
///
/// **The server's certificate is not verified**: any certificate is
/// accepted, because this connection only reads a banner (no credential,
/// cookie or data is sent, and nothing read is trusted beyond being
/// reported as what the server announced). Certificate facts come from the
/// TLS probe, never from this connection.
pub fn head_tls(
    conn: Box<dyn crate::Conn>,
    host: &str,
    expect: Option<&Expect>,
) -> Option<HttpFacts> {
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    let name =
        rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_string()).ok()?;
    let client = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let mut stream = rustls::StreamOwned::new(client, conn);
    head(&mut stream, host, expect)
}

/// Accepts any server certificate (still checking that the handshake is
/// signed by the certificate's key). Dangerous in general; used only by
/// [`head_tls`] to read a banner.
#[derive(Debug)]
struct AcceptAnyCertificate(std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Parses a response head.
pub fn parse_head(text: &str, expect: Option<&Expect>) -> Option<HttpFacts> {
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let mut server = None;
    let mut powered_by = None;
    for l in lines {
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "server" => server = Some(v.trim().to_string()),
                "x-powered-by" => powered_by = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut facts = HttpFacts {
        status,
        server,
        powered_by,
        product_version: None,
        verdict: None,
    };
    if let Some(e) = expect {
        let found = [&facts.server, &facts.powered_by]
            .into_iter()
            .flatten()
            .find_map(|b| version_in(b, &e.product));
        facts.verdict = Some(
            match (&found, &e.version) {
                (Some(v), Some(want)) if v == want => "vulnerable version announced",
                (Some(_), Some(_)) => "other version announced",
                (Some(_), None) => "product announced",
                (None, _) => "product not announced",
            }
            .to_string(),
        );
        facts.product_version = found;
    }
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        assert_eq!(
            version_in("Apache/2.4.49 (Unix)", "apache").as_deref(),
            Some("2.4.49")
        );
        assert_eq!(
            version_in("nginx/1.18.0", "NGINX").as_deref(),
            Some("1.18.0")
        );
        assert_eq!(
            version_in("Microsoft-IIS/10.0", "microsoft-iis").as_deref(),
            Some("10.0")
        );
        assert_eq!(version_in("nginx", "nginx"), None);
        assert!(parse_head("garbage", None).is_none());
        assert!(parse_head("HTTP/1.1 abc\r\n", None).is_none());
        let e = Expect {
            product: "apache".into(),
            version: Some("2.4.49".into()),
        };
        let f =
            parse_head("HTTP/1.1 200 OK\r\nServer: Apache/2.4.51\r\n\r\n", Some(&e)).expect("head");
        assert_eq!(f.verdict.as_deref(), Some("other version announced"));
    }
}
