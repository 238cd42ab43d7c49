//! Small helpers shared by the writers: escaping, stable hashes, indented JSON.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// FNV-1a, 64 bits: a stable hash for deriving ids (plugin numbers, line
/// hashes) from names, identical on every platform and release.
pub(crate) fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Lower-case hex SHA-256 of the parts (image digests, commit ids).
pub(crate) fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Escapes text for XML element content and attribute values.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes `value` as pretty JSON (two-space indent, like Trivy and most SARIF
/// producers) nested `level` levels deep, without a trailing newline.
pub(crate) fn json_at(
    out: &mut impl Write,
    value: &impl Serialize,
    level: usize,
) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    let pad = "  ".repeat(level);
    let mut first = true;
    for line in text.split('\n') {
        if !first {
            out.write_all(b"\n")?;
            out.write_all(pad.as_bytes())?;
        }
        first = false;
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// A JSON string literal.
pub(crate) fn js(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
