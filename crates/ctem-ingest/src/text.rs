//! Small text helpers shared by the parsers: identifiers found in free text
//! (CVE, CWE, CPE), image references, file names, truncation.

use std::net::IpAddr;

/// The file name without directories and without its last extension:
/// `reports/bash-report.sarif` → `bash-report`.
pub(crate) fn file_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    };
    if stem.is_empty() {
        "unknown".to_string()
    } else {
        stem.to_string()
    }
}

/// An image reference without tag or digest, case preserved:
/// `reg:5000/claims/api:1.4@sha256:…` → `reg:5000/claims/api`.
pub(crate) fn strip_image_tag(reference: &str) -> &str {
    let r = reference.trim();
    let r = r.split('@').next().unwrap_or(r);
    match (r.rfind(':'), r.rfind('/')) {
        (Some(c), Some(s)) if c > s => &r[..c],
        (Some(c), None) => &r[..c],
        _ => r,
    }
}

/// At most `max` characters of `s`, cut on a character boundary, with `…`
/// appended when something was cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => {
            let mut t = s[..i].trim_end().to_string();
            t.push('…');
            t
        }
    }
}

/// The first non-empty line of `s`, trimmed.
pub(crate) fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// The first `CVE-YYYY-NNNN…` id inside `s` (case-insensitive), upper-cased:
/// `CVE-2008-0732-geronimo` → `CVE-2008-0732`.
pub(crate) fn find_cve(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        if b[i..i + 4].eq_ignore_ascii_case(b"cve-")
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        {
            let year = &b[i + 4..];
            let y = year.iter().take_while(|c| c.is_ascii_digit()).count();
            if y == 4 && year.get(4) == Some(&b'-') {
                let num = &year[5..];
                let n = num.iter().take_while(|c| c.is_ascii_digit()).count();
                if n >= 4 {
                    let end = i + 4 + 5 + n;
                    return Some(s[i..end].to_ascii_uppercase());
                }
            }
        }
        i += 1;
    }
    None
}

/// A CWE id in any of the spellings scanners use (`CWE-79`, `cwe-079`,
/// `external/cwe/cwe-079`, `CWE:79`) → `CWE-79`.
pub(crate) fn normalise_cwe(tag: &str) -> Option<String> {
    let lower = tag.trim().to_ascii_lowercase();
    lower.match_indices("cwe").find_map(|(pos, _)| {
        let rest = lower[pos + 3..].trim_start_matches(['-', ':', '_', ' ']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || digits.len() > 6 {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        Some(format!("CWE-{n}"))
    })
}

/// Pushes `v` unless already present.
pub(crate) fn push_unique(list: &mut Vec<String>, v: String) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// Product name and version from a CPE 2.2 URI (`cpe:/a:php:php:5.1.6`) or a
/// CPE 2.3 string (`cpe:2.3:a:php:php:5.1.6:*:…`). Only the first CPE of a
/// multi-line value is read.
pub(crate) fn cpe_product(cpe: &str) -> Option<(String, Option<String>)> {
    let cpe = first_line(cpe);
    let cpe = cpe.split_whitespace().next()?;
    let parts: Vec<&str> = if let Some(rest) = cpe.strip_prefix("cpe:2.3:") {
        rest.split(':').collect()
    } else if let Some(rest) = cpe.strip_prefix("cpe:/") {
        rest.split(':').collect()
    } else {
        return None;
    };
    // parts: part, vendor, product, version, …
    let product = parts
        .get(2)
        .map(|p| p.trim())
        .filter(|p| !p.is_empty() && *p != "*" && *p != "-")?;
    let version = parts
        .get(3)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && *v != "*" && *v != "-")
        .map(str::to_string);
    Some((product.replace("\\", ""), version))
}

/// True when `s` is an IPv4 or IPv6 address.
pub(crate) fn is_ip(s: &str) -> bool {
    s.trim().parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_free_text() {
        assert_eq!(
            find_cve("CVE-2008-0732-geronimo-j2ee").as_deref(),
            Some("CVE-2008-0732")
        );
        assert_eq!(
            find_cve("see cve-2021-44228.").as_deref(),
            Some("CVE-2021-44228")
        );
        assert_eq!(find_cve("XCVE-2021-44228"), None);
        assert_eq!(find_cve("CVE-21-1"), None);
        assert_eq!(
            normalise_cwe("external/cwe/cwe-079").as_deref(),
            Some("CWE-79")
        );
        assert_eq!(normalise_cwe("CWE:94").as_deref(), Some("CWE-94"));
        assert_eq!(normalise_cwe("security"), None);
        assert_eq!(
            normalise_cwe("CWE-327: Use of a Broken or Risky Cryptographic Algorithm").as_deref(),
            Some("CWE-327")
        );
    }

    #[test]
    fn cpes_images_and_names() {
        assert_eq!(
            cpe_product("cpe:/a:php:php:5.1.6"),
            Some(("php".into(), Some("5.1.6".into())))
        );
        assert_eq!(cpe_product("cpe:/a:php:php"), Some(("php".into(), None)));
        assert_eq!(
            cpe_product("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"),
            Some(("log4j".into(), Some("2.14.1".into())))
        );
        assert_eq!(
            cpe_product("cpe:/o:microsoft:windows\ncpe:/a:x:y"),
            Some(("windows".into(), None))
        );
        assert_eq!(cpe_product("nonsense"), None);
        assert_eq!(
            strip_image_tag("Reg:5000/claims/API:1.4@sha256:ab"),
            "Reg:5000/claims/API"
        );
        assert_eq!(file_stem("a/b/bash-report.sarif"), "bash-report");
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("é", 3), "é");
    }
}
