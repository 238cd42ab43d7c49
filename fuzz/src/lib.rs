//! Shared body of the fuzz targets: feed arbitrary bytes to every parser of
//! one family (and to format detection), and require that nothing panics.
//! Errors are fine; a panic, an abort or a hang is a bug.

#![forbid(unsafe_code)]

/// Formats whose reports are JSON (or JSON lines).
pub const JSON: &[&str] = &[
    "trivy",
    "sarif",
    "cyclonedx",
    "grype",
    "osv_scanner",
    "snyk",
    "npm_audit",
    "semgrep",
    "zap",
    "nuclei",
    "asff",
    "prowler",
    "checkov",
    "kics",
    "gitleaks",
    "trufflehog",
    "generic",
    "spdx",
    "dependency_check",
];

/// Formats whose reports are XML.
pub const XML: &[&str] = &[
    "nessus",
    "cyclonedx",
    "zap",
    "burp",
    "openvas",
    "qualys",
    "nmap",
    "dependency_check",
];

/// Formats whose reports are CSV.
pub const CSV: &[&str] = &["nessus-csv", "prowler", "generic"];

/// Parses `data` as each named format, then as whatever `detect` says.
pub fn run(family: &[&str], data: &[u8]) {
    let mut sink = |f: ctem_model::Finding| {
        // Hashing the finding on an asset touches the fields identity and
        // fingerprints use, as the store would.
        let key = ctem_model::asset_key(&f.asset);
        let _ = f.fingerprint_on(&key);
        Ok(())
    };
    for format in ctem_ingest::formats() {
        if family.contains(&format.name) {
            let _ = ctem_ingest::parse(format, data, "fuzz", &mut sink);
        }
    }
    let _ = ctem_ingest::parse_reader(data, "fuzz", &mut sink);
}
