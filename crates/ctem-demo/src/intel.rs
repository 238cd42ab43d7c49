//! Threat intelligence in the publishers' formats: the CISA KEV catalogue
//! (JSON feed, four-space indented like cisa.gov serves it) and the FIRST
//! EPSS daily CSV.

use crate::catalog::{CVES, Cve};
use crate::dates;
use crate::nessus::kev_due;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KevEntry {
    #[serde(rename = "cveID")]
    cve_id: &'static str,
    vendor_project: &'static str,
    product: &'static str,
    vulnerability_name: String,
    date_added: &'static str,
    short_description: String,
    required_action: &'static str,
    due_date: String,
    known_ransomware_campaign_use: &'static str,
    notes: String,
    cwes: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kev {
    title: &'static str,
    catalog_version: String,
    date_released: String,
    count: usize,
    vulnerabilities: Vec<KevEntry>,
}

/// One catalogue entry per CVE id (the first one listed).
pub(crate) fn unique_cves() -> Vec<&'static Cve> {
    let mut out: Vec<&'static Cve> = Vec::new();
    for c in CVES {
        if !out.iter().any(|o| o.id == c.id) {
            out.push(c);
        }
    }
    out
}

/// "Microsoft Exchange Server", but "OpenSSL" and "GNU C Library", as CISA
/// names products.
fn vendor_product(c: &Cve) -> String {
    if c.product.starts_with(c.vendor) {
        c.product.to_string()
    } else {
        format!("{} {}", c.vendor, c.product)
    }
}

/// Writes the KEV catalogue as released shortly before `now`: the catalogue
/// CVEs that are known exploited and were added on or before that day,
/// newest first. Returns the number of entries.
pub(crate) fn write_kev(now: i64, out: &mut impl Write) -> io::Result<usize> {
    let today = dates::date(now);
    let mut entries: Vec<&'static Cve> = unique_cves()
        .into_iter()
        .filter(|c| c.is_kev() && c.kev <= today.as_str())
        .collect();
    entries.sort_by(|a, b| b.kev.cmp(a.kev).then_with(|| b.id.cmp(a.id)));
    // Released a few hours before "now", on the same day when possible.
    let released = now - 2 * 3600 - 1181;
    let released_str = {
        let s = dates::rfc3339(released);
        format!("{}.{:04}Z", &s[..s.len() - 1], released.rem_euclid(10_000))
    };
    let vulnerabilities: Vec<KevEntry> = entries
        .iter()
        .map(|c| KevEntry {
            cve_id: c.id,
            vendor_project: c.vendor,
            product: c.product,
            vulnerability_name: format!("{} {}", vendor_product(c), c.name),
            date_added: c.kev,
            short_description: format!("{} contains {}.", vendor_product(c), c.desc),
            required_action: if c.kev >= "2024-01-01" {
                "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable."
            } else {
                "Apply updates per vendor instructions."
            },
            due_date: dates::date(kev_due(c)),
            known_ransomware_campaign_use: if c.ransomware { "Known" } else { "Unknown" },
            notes: format!("https://nvd.nist.gov/vuln/detail/{}", c.id),
            cwes: vec![c.cwe],
        })
        .collect();
    let kev = Kev {
        title: "CISA Catalog of Known Exploited Vulnerabilities",
        catalog_version: dates::date(released).replace('-', "."),
        date_released: released_str,
        count: vulnerabilities.len(),
        vulnerabilities,
    };
    let n = kev.count;
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, fmt);
    kev.serialize(&mut ser).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(n)
}

/// The EPSS percentile of a score: interpolated (in log space) on the shape
/// of the real distribution, where half of all CVEs score under 0.0015.
pub(crate) fn percentile(epss: f64) -> f64 {
    const KNOTS: [(f64, f64); 15] = [
        (0.00004, 0.0),
        (0.0004, 0.10),
        (0.0008, 0.33),
        (0.0015, 0.52),
        (0.003, 0.70),
        (0.006, 0.78),
        (0.01, 0.84),
        (0.03, 0.90),
        (0.1, 0.94),
        (0.3, 0.965),
        (0.5, 0.976),
        (0.8, 0.99),
        (0.9, 0.995),
        (0.95, 0.9985),
        (0.976, 1.0),
    ];
    if epss <= KNOTS[0].0 {
        return 0.0;
    }
    for w in KNOTS.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if epss <= x1 {
            let t = (epss.ln() - x0.ln()) / (x1.ln() - x0.ln());
            return y0 + t * (y1 - y0);
        }
    }
    1.0
}

/// Writes the EPSS file for the day of `now`, covering every catalogue CVE.
pub(crate) fn write_epss(now: i64, out: &mut impl Write) -> io::Result<usize> {
    writeln!(
        out,
        "#model_version:v2025.03.14,score_date:{}T00:00:00+0000",
        dates::date(now)
    )?;
    writeln!(out, "cve,epss,percentile")?;
    let mut all = unique_cves();
    all.sort_by(|a, b| a.id.cmp(b.id));
    for c in &all {
        writeln!(out, "{},{:.5},{:.5}", c.id, c.epss, percentile(c.epss))?;
    }
    out.flush()?;
    Ok(all.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_monotonic_and_bounded() {
        let mut last = -1.0;
        for e in [0.0, 0.0001, 0.001, 0.01, 0.1, 0.5, 0.9, 0.97, 1.0] {
            let p = percentile(e);
            assert!((0.0..=1.0).contains(&p));
            assert!(p >= last);
            last = p;
        }
    }
}
