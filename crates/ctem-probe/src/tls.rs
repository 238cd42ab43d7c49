//! TLS facts from hand-built ClientHellos: which protocol versions a server
//! accepts (SSL 3.0 to TLS 1.3, including the old ones that modern TLS
//! libraries refuse to speak), whether it accepts weak cipher suites, and
//! its certificate (subject, names, expiry) when the handshake sends it in
//! the clear (TLS 1.2 and older).
//!
//! The probe never completes a handshake: it reads the server's first
//! flight and closes the connection. Nothing is sent but a ClientHello.

use serde::Serialize;
use std::io::{Read, Write};

/// A protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Version {
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl Version {
    pub const ALL: [Version; 5] = [
        Version::Ssl3,
        Version::Tls10,
        Version::Tls11,
        Version::Tls12,
        Version::Tls13,
    ];

    fn wire(self) -> u16 {
        match self {
            Version::Ssl3 => 0x0300,
            Version::Tls10 => 0x0301,
            Version::Tls11 => 0x0302,
            Version::Tls12 => 0x0303,
            Version::Tls13 => 0x0304,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Version::Ssl3 => "SSL 3.0",
            Version::Tls10 => "TLS 1.0",
            Version::Tls11 => "TLS 1.1",
            Version::Tls12 => "TLS 1.2",
            Version::Tls13 => "TLS 1.3",
        }
    }

    /// Deprecated by RFC 7568 (SSL 3.0) and RFC 8996 (TLS 1.0, 1.1).
    pub fn is_weak(self) -> bool {
        matches!(self, Version::Ssl3 | Version::Tls10 | Version::Tls11)
    }
}

/// Cipher suites offered for TLS ≤ 1.2: strong ones first, then the weak
/// ones, so a server that picks by its own preference still shows whether
/// it accepts them in the weak-only hello.
const STRONG: &[u16] = &[
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e, 0x009f, 0xc013, 0xc014, 0xc009, 0xc00a,
    0x002f, 0x0035, 0x009c, 0x009d,
];

/// Weak suites: RC4, 3DES, DES, export, NULL and anonymous.
const WEAK: &[(u16, &str)] = &[
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
];

/// The name of a weak cipher suite, if it is one.
pub fn weak_cipher_name(id: u16) -> Option<&'static str> {
    WEAK.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

fn u16be(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}

fn u24be(v: &mut Vec<u8>, x: usize) {
    v.extend_from_slice(&[(x >> 16) as u8, (x >> 8) as u8, x as u8]);
}

fn ext(v: &mut Vec<u8>, kind: u16, body: &[u8]) {
    u16be(v, kind);
    u16be(v, body.len() as u16);
    v.extend_from_slice(body);
}

/// A ClientHello record for `version`; `weak_only` offers only weak suites;
/// `sni` is sent when it is a host name. `random` fills the client random
/// and, for TLS 1.3, the key share (the handshake is never completed, so
/// the key share need not be a real key).
pub fn client_hello(
    version: Version,
    weak_only: bool,
    sni: Option<&str>,
    random: [u8; 32],
) -> Vec<u8> {
    let mut body = Vec::new();
    let legacy = if version == Version::Tls13 {
        0x0303
    } else {
        version.wire()
    };
    u16be(&mut body, legacy);
    body.extend_from_slice(&random);
    body.push(0); // no session id
    let mut suites: Vec<u16> = if version == Version::Tls13 {
        vec![0x1301, 0x1302, 0x1303]
    } else if weak_only {
        WEAK.iter().map(|(i, _)| *i).collect()
    } else {
        STRONG
            .iter()
            .copied()
            .chain(WEAK.iter().map(|(i, _)| *i))
            .collect()
    };
    suites.push(0x00ff); // renegotiation SCSV
    u16be(&mut body, (suites.len() * 2) as u16);
    for s in suites {
        u16be(&mut body, s);
    }
    body.extend_from_slice(&[1, 0]); // null compression
    let mut exts = Vec::new();
    if version != Version::Ssl3 {
        if let Some(name) = sni.filter(|n| n.parse::<std::net::IpAddr>().is_err()) {
            let n = name.as_bytes();
            let mut b = Vec::new();
            u16be(&mut b, (n.len() + 3) as u16);
            b.push(0);
            u16be(&mut b, n.len() as u16);
            b.extend_from_slice(n);
            ext(&mut exts, 0x0000, &b);
        }
        // supported_groups: x25519, secp256r1, secp384r1
        ext(&mut exts, 0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
        ext(&mut exts, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
        // signature_algorithms
        ext(
            &mut exts,
            0x000d,
            &[0, 12, 4, 3, 5, 3, 8, 4, 8, 5, 4, 1, 5, 1],
        );
        if version == Version::Tls13 {
            ext(&mut exts, 0x002b, &[2, 3, 4]); // supported_versions: TLS 1.3
            let mut ks = Vec::new();
            u16be(&mut ks, 36);
            u16be(&mut ks, 0x001d);
            u16be(&mut ks, 32);
            ks.extend_from_slice(&random);
            ext(&mut exts, 0x0033, &ks);
        }
        u16be(&mut body, exts.len() as u16);
        body.extend_from_slice(&exts);
    }
    let mut hs = vec![1u8]; // client_hello
    u24be(&mut hs, body.len());
    hs.extend_from_slice(&body);
    let mut rec = vec![22u8];
    // The record layer says TLS 1.0 for compatibility, as browsers do.
    u16be(
        &mut rec,
        if version == Version::Ssl3 {
            0x0300
        } else {
            0x0301
        },
    );
    u16be(&mut rec, hs.len() as u16);
    rec.extend_from_slice(&hs);
    rec
}

/// What a server answered to one ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It accepted: the negotiated version and cipher suite, and the leaf
    /// certificate when it came in the clear.
    Accepted {
        version: u16,
        cipher: u16,
        certificate: Option<Vec<u8>>,
    },
    /// It refused with an alert (description code).
    Alert(u8),
    /// It closed the connection or sent something else.
    Closed,
}

/// Reads the server's first flight (at most 64 KiB).
pub fn read_answer(stream: &mut dyn Read) -> Answer {
    let mut hs: Vec<u8> = Vec::new();
    let mut accepted: Option<(u16, u16)> = None;
    let mut total = 0usize;
    loop {
        let mut head = [0u8; 5];
        if stream.read_exact(&mut head).is_err() {
            break;
        }
        let len = u16::from_be_bytes([head[3], head[4]]) as usize;
        total += len + 5;
        if total > 65_536 {
            break;
        }
        let mut body = vec![0u8; len];
        if stream.read_exact(&mut body).is_err() {
            break;
        }
        match head[0] {
            21 => {
                if accepted.is_none() {
                    return Answer::Alert(body.get(1).copied().unwrap_or(0));
                }
                break;
            }
            22 => hs.extend_from_slice(&body),
            // Change cipher spec or encrypted data: the clear part is over.
            _ => break,
        }
        // Walk complete handshake messages.
        let mut off = 0;
        let mut done = false;
        let mut cert = None;
        while off + 4 <= hs.len() {
            let t = hs[off];
            let l = ((hs[off + 1] as usize) << 16)
                | ((hs[off + 2] as usize) << 8)
                | hs[off + 3] as usize;
            if off + 4 + l > hs.len() {
                break;
            }
            let m = &hs[off + 4..off + 4 + l];
            match t {
                2 => accepted = parse_server_hello(m),
                11 => cert = first_certificate(m),
                14 => done = true,
                _ => {}
            }
            off += 4 + l;
        }
        if let Some((v, c)) = accepted {
            // TLS 1.3 sends the certificate encrypted: stop at the hello.
            if v == 0x0304 || done || cert.is_some() {
                return Answer::Accepted {
                    version: v,
                    cipher: c,
                    certificate: cert,
                };
            }
        }
    }
    match accepted {
        Some((version, cipher)) => Answer::Accepted {
            version,
            cipher,
            certificate: None,
        },
        None => Answer::Closed,
    }
}

/// The negotiated version (from supported_versions when present) and
/// cipher of a ServerHello body.
fn parse_server_hello(m: &[u8]) -> Option<(u16, u16)> {
    let legacy = u16::from_be_bytes([*m.first()?, *m.get(1)?]);
    let sid_len = *m.get(34)? as usize;
    let p = 35 + sid_len;
    let cipher = u16::from_be_bytes([*m.get(p)?, *m.get(p + 1)?]);
    let mut version = legacy;
    let mut q = p + 3;
    if let (Some(&a), Some(&b)) = (m.get(q), m.get(q + 1)) {
        let end = (q + 2 + u16::from_be_bytes([a, b]) as usize).min(m.len());
        q += 2;
        while q + 4 <= end {
            let kind = u16::from_be_bytes([m[q], m[q + 1]]);
            let len = u16::from_be_bytes([m[q + 2], m[q + 3]]) as usize;
            if kind == 0x002b && len == 2 && q + 6 <= end {
                version = u16::from_be_bytes([m[q + 4], m[q + 5]]);
            }
            q += 4 + len;
        }
    }
    Some((version, cipher))
}

fn first_certificate(m: &[u8]) -> Option<Vec<u8>> {
    // certificate_list<3>, then cert<3> entries.
    let l = ((*m.get(3)? as usize) << 16) | ((*m.get(4)? as usize) << 8) | *m.get(5)? as usize;
    m.get(6..6 + l).map(<[u8]>::to_vec)
}

/// Certificate facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub subject_cn: Option<String>,
    /// DNS names of the subjectAltName extension.
    pub names: Vec<String>,
    /// notAfter, Unix seconds.
    pub not_after: i64,
}

/// One DER element: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let content = b.get(hdr..hdr + len)?;
    Some((tag, content, &b[hdr + len..]))
}

fn time(tag: u8, c: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(c).ok()?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = s.get(0..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(0..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let n = |a: usize| -> Option<i64> { rest.get(a..a + 2)?.parse().ok() };
    let (mo, d, h, mi, se) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8).unwrap_or(0));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

fn common_name(name: &[u8]) -> Option<String> {
    // Name ::= SEQUENCE OF SET OF SEQUENCE { OID, value }
    let mut rdns = name;
    while let Some((_, set, rest)) = tlv(rdns) {
        rdns = rest;
        let mut atvs = set;
        while let Some((_, atv, more)) = tlv(atvs) {
            atvs = more;
            let (_, oid, after) = tlv(atv)?;
            if oid == [0x55, 0x04, 0x03] {
                let (_, v, _) = tlv(after)?;
                return Some(String::from_utf8_lossy(v).to_string());
            }
        }
    }
    None
}

/// Parses the facts ctem needs from a DER certificate.
pub fn parse_certificate(der: &[u8]) -> Option<Certificate> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r; // explicit version
    }
    let (_, _, r) = tlv(rest)?; // serial
    let (_, _, r) = tlv(r)?; // signature algorithm
    let (_, _, r) = tlv(r)?; // issuer
    let (_, validity, r) = tlv(r)?;
    let (_, subject, r) = tlv(r)?;
    let (_, _, mut r) = tlv(r)?; // subject public key info
    let (nb_tag, _, v) = tlv(validity)?;
    let _ = nb_tag;
    let (na_tag, na, _) = tlv(v)?;
    let not_after = time(na_tag, na)?;
    let mut names = Vec::new();
    while let Some((tag, content, more)) = tlv(r) {
        r = more;
        if tag != 0xa3 {
            continue;
        }
        let (_, mut exts, _) = tlv(content)?;
        while let Some((_, e, more)) = tlv(exts) {
            exts = more;
            let (_, oid, after) = tlv(e)?;
            if oid != [0x55, 0x1d, 0x11] {
                continue;
            }
            let mut after = after;
            let (mut t, mut val, mut rest2) = tlv(after)?;
            if t == 0x01 {
                // critical flag
                after = rest2;
                (t, val, rest2) = tlv(after)?;
            }
            let _ = (t, rest2);
            let (_, mut gns, _) = tlv(val)?;
            while let Some((gt, g, more)) = tlv(gns) {
                gns = more;
                if gt == 0x82 {
                    names.push(String::from_utf8_lossy(g).to_string());
                }
            }
        }
    }
    Some(Certificate {
        subject_cn: common_name(subject),
        names,
        not_after,
    })
}

/// Sends one ClientHello and reads the answer.
pub fn hello(
    stream: &mut dyn ReadWrite,
    version: Version,
    weak_only: bool,
    sni: Option<&str>,
    random: [u8; 32],
) -> std::io::Result<Answer> {
    stream.write_all(&client_hello(version, weak_only, sni, random))?;
    stream.flush()?;
    Ok(read_answer(stream))
}

/// A connection the probes read and write.
pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellos_are_well_formed() {
        let h = client_hello(Version::Tls10, false, Some("www.example"), [7; 32]);
        assert_eq!(&h[..3], &[22, 3, 1]);
        assert_eq!(u16::from_be_bytes([h[3], h[4]]) as usize, h.len() - 5);
        assert_eq!(h[5], 1, "client_hello");
        assert_eq!(&h[9..11], &[3, 1], "TLS 1.0 in the hello");
        let h13 = client_hello(Version::Tls13, false, None, [7; 32]);
        assert_eq!(&h13[9..11], &[3, 3], "legacy version");
        assert!(h13.windows(3).any(|w| w == [2, 3, 4]), "supported_versions");
    }

    #[test]
    fn garbage_answers_do_not_panic() {
        assert_eq!(read_answer(&mut &b""[..]), Answer::Closed);
        assert_eq!(
            read_answer(&mut &[21u8, 3, 1, 0, 2, 2, 70][..]),
            Answer::Alert(70)
        );
        assert_eq!(
            read_answer(&mut &[22u8, 3, 1, 0, 4, 2, 0, 0, 9][..]),
            Answer::Closed
        );
        assert!(parse_certificate(&[0x30, 0x82, 0xff]).is_none());
        assert!(parse_certificate(b"").is_none());
    }

    #[test]
    fn utc_and_generalized_times() {
        assert_eq!(time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(time(0x18, b"20361124223943Z"), Some(2_111_179_183));
    }
}
