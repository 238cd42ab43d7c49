//! Behaviour of each format on the crate's own fixtures (`tests/fixtures/<format>/`):
//! exact findings for the happy files, empty reports, malformed and truncated
//! reports, detection, the registry, and errors raised by the sink.

use ctem_ingest::{IngestError, ParseSummary, detect, formats, parse, parse_path};
use ctem_model::{AssetIdentity, AssetKind, Component, Finding, Severity, WeaknessKind};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn ingest(rel: &str) -> (Vec<Finding>, ParseSummary) {
    let mut out = Vec::new();
    let summary = parse_path(&fixture(rel), &mut |f| {
        out.push(f);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{rel}: {e}"));
    (out, summary)
}

fn ingest_err(rel: &str) -> IngestError {
    match parse_path(&fixture(rel), &mut |_| Ok(())) {
        Ok(s) => panic!("{rel}: expected an error, got {s:?}"),
        Err(e) => e,
    }
}

/// (weakness id, severity, location) of each finding, in order.
fn brief(findings: &[Finding]) -> Vec<(String, Severity, Option<String>)> {
    findings
        .iter()
        .map(|f| (f.weakness.id.clone(), f.severity, f.location.clone()))
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn trivy_happy() {
    let (f, summary) = ingest("trivy/happy.json");
    assert_eq!(summary.format, "trivy");
    assert_eq!(summary.tool, "trivy");
    assert_eq!(summary.findings, 5);
    assert_eq!(summary.skipped, 1, "the PASS misconfiguration");
    let image = AssetIdentity {
        kind: Some(AssetKind::ContainerImage),
        image: s("registry.example:5000/claims/api"),
        image_digest: s("sha256:2222222222222222222222222222222222222222222222222222222222222222"),
        ..AssetIdentity::default()
    };
    assert_eq!(summary.scanned_assets, vec![image.clone()]);
    assert!(f.iter().all(|x| x.asset == image && x.tool == "trivy"));
    assert_eq!(
        brief(&f),
        vec![
            ("CVE-2024-0001".into(), Severity::High, None),
            ("CVE-2024-0002".into(), Severity::Low, None),
            (
                "GHSA-35JH-R3H4-6JHM".into(),
                Severity::High,
                s("app/package-lock.json")
            ),
            ("DS002".into(), Severity::High, s("Dockerfile:12")),
            (
                "aws-access-key-id".into(),
                Severity::Critical,
                s("config/.env:3")
            ),
        ]
    );
    // Vulnerability: everything carried over; the vector is the one of the
    // severity source when it has one, else nvd (ghsa comes first in the file).
    let v = &f[0];
    assert_eq!(v.weakness.kind, WeaknessKind::Cve);
    assert_eq!(v.weakness.aliases, vec!["DSA-5600-1"]);
    assert_eq!(v.weakness.cwes, vec!["CWE-787"]);
    assert_eq!(
        v.component,
        Some(Component {
            name: "openssl".into(),
            version: s("3.0.11-1"),
            purl: s("pkg:deb/debian/openssl@3.0.11-1?distro=debian-12.5"),
            fixed_version: s("3.0.13-1"),
        })
    );
    assert_eq!(v.title, "openssl: example flaw");
    assert_eq!(
        v.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(v.cvss_score, Some(9.8));
    assert_eq!(v.rule_id.as_deref(), Some("CVE-2024-0001"));
    assert_eq!(
        v.description.as_deref(),
        Some("An example flaw in openssl.")
    );
    // Wrong-typed fields: a numeric version is read as text, a CweIDs string
    // is ignored; SeveritySource ghsa picks the ghsa vector.
    let w = &f[1];
    assert_eq!(
        w.component.as_ref().and_then(|c| c.version.as_deref()),
        Some("1.2")
    );
    assert!(w.weakness.cwes.is_empty());
    assert_eq!(w.cvss_score, Some(3.3));
    assert_eq!(w.title, "CVE-2024-0002 in zlib1g 1.2");
    // UNKNOWN severity falls back to the CVSS score.
    assert_eq!(f[2].weakness.kind, WeaknessKind::Ghsa);
    assert_eq!(f[2].cvss_score, Some(7.2));
    // Misconfiguration and secret.
    assert_eq!(f[3].weakness.kind, WeaknessKind::Misconfiguration);
    assert_eq!(f[3].weakness.aliases, vec!["AVD-DS-0002"]);
    assert_eq!(f[4].weakness.kind, WeaknessKind::ExposedSecret);
    assert!(
        !f[4]
            .description
            .as_deref()
            .unwrap_or("")
            .contains("AWS_ACCESS_KEY_ID"),
        "the matched secret text is never copied"
    );
}

#[test]
fn trivy_empty_still_reports_the_scanned_asset() {
    let (f, summary) = ingest("trivy/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.findings, 0);
    assert_eq!(
        summary.scanned_assets,
        vec![AssetIdentity {
            kind: Some(AssetKind::CodeRepository),
            repository: s("https://github.com/example-org/claims-api"),
            ..AssetIdentity::default()
        }]
    );
}

#[test]
fn sarif_happy() {
    let (f, summary) = ingest("sarif/happy.sarif");
    assert_eq!(summary.format, "sarif");
    assert_eq!(summary.tool, "codeql");
    assert_eq!(summary.findings, 4);
    assert_eq!(
        summary.skipped, 2,
        "one suppressed result, one passed check"
    );
    let repo = AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: s("https://github.com/example-org/claims-api"),
        ..AssetIdentity::default()
    };
    // versionControlProvenance comes after the results in this file.
    assert_eq!(summary.scanned_assets, vec![repo.clone()]);
    assert!(f.iter().all(|x| x.asset == repo && x.tool == "codeql"));
    assert_eq!(
        brief(&f),
        vec![
            ("py/sql-injection".into(), Severity::High, s("app/db.py:42")),
            (
                "py/sql-injection".into(),
                Severity::High,
                s("app/views.py:7")
            ),
            ("js/weak-hash".into(), Severity::Low, s("web/auth.js")),
            (
                "CVE-2021-23337".into(),
                Severity::High,
                s("package-lock.json:1")
            ),
        ]
    );
    assert_eq!(f[0].weakness.kind, WeaknessKind::Vendor);
    assert_eq!(f[0].weakness.cwes, vec!["CWE-89"]);
    assert_eq!(f[0].title, "This query depends on a user-provided value.");
    assert_eq!(
        f[0].cvss_score, None,
        "security-severity of a code rule is not CVSS"
    );
    assert_eq!(f[2].weakness.cwes, vec!["CWE-327", "CWE-328"]);
    assert_eq!(f[3].weakness.kind, WeaknessKind::Cve);
    assert_eq!(f[3].weakness.aliases, vec!["CVE-2021-23337-lodash"]);
    assert_eq!(f[3].cvss_score, Some(7.2));
    assert_eq!(f[3].rule_id.as_deref(), Some("CVE-2021-23337-lodash"));
}

#[test]
fn sarif_empty_uses_srcroot_as_repository() {
    let (f, summary) = ingest("sarif/empty.sarif");
    assert!(f.is_empty());
    assert_eq!(summary.tool, "semgrep oss");
    assert_eq!(
        summary.scanned_assets[0].repository.as_deref(),
        Some("file:///builds/claims-api/")
    );
}

#[test]
fn sarif_without_repository_is_named_after_the_file() {
    let log = br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[
        {"ruleId":"r1","level":"warning","message":{"text":"m"}}]}]}"#;
    let sarif = formats().iter().find(|f| f.name == "sarif").copied();
    let sarif = sarif.expect("sarif registered");
    let mut got = Vec::new();
    let summary = parse(sarif, &log[..], "reports/api-scan.sarif", &mut |f| {
        got.push(f);
        Ok(())
    })
    .expect("parses");
    assert_eq!(
        summary.scanned_assets[0].repository.as_deref(),
        Some("api-scan")
    );
    assert_eq!(got[0].severity, Severity::Medium);
    assert_eq!(got[0].location, None);
}

#[test]
fn nessus_happy() {
    let (f, summary) = ingest("nessus/happy.nessus");
    assert_eq!(summary.format, "nessus");
    assert_eq!(summary.tool, "nessus");
    assert_eq!(summary.findings, 4);
    assert_eq!(summary.skipped, 2, "two informational items without CVE");
    let web = AssetIdentity {
        kind: Some(AssetKind::Host),
        hostname: s("web-01"),
        fqdn: s("web-01.corp.example"),
        ip: s("10.0.0.5"),
        tags: vec![
            "os:Linux Kernel 5.15".into(),
            "mac:00:50:56:aa:bb:cc".into(),
        ],
        ..AssetIdentity::default()
    };
    let db = AssetIdentity {
        kind: Some(AssetKind::Host),
        hostname: s("DB-02"),
        ip: s("10.0.0.6"),
        ..AssetIdentity::default()
    };
    assert_eq!(
        summary.scanned_assets,
        vec![web.clone(), db],
        "hosts without findings count"
    );
    assert!(f.iter().all(|x| x.asset == web));
    // One finding per CVE, each with the plugin as alias.
    let ids: Vec<_> = f.iter().map(|x| x.weakness.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CVE-2022-22719",
            "CVE-2022-22720",
            "CVE-2022-23943",
            "nessus:57582"
        ]
    );
    for x in &f[..3] {
        assert_eq!(x.weakness.kind, WeaknessKind::Cve);
        assert_eq!(x.weakness.aliases, vec!["nessus:158900"]);
        assert_eq!(x.weakness.cwes, vec!["CWE-787"]);
        assert_eq!(x.severity, Severity::Critical, "from the CVSS v3 score 9.8");
        assert_eq!(x.port, Some(443));
        assert_eq!(x.protocol.as_deref(), Some("tcp"));
        assert_eq!(x.rule_id.as_deref(), Some("158900"));
        assert_eq!(x.title, "Apache 2.4.x < 2.4.53 Multiple Vulnerabilities");
        assert_eq!(
            x.cvss_vector.as_deref(),
            Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        );
        assert_eq!(x.cvss_score, Some(9.8));
        assert_eq!(
            x.component,
            Some(Component {
                name: "http_server".into(),
                version: s("2.4.52"),
                ..Component::default()
            })
        );
        let d = x.description.as_deref().unwrap_or("");
        assert!(
            d.contains("vulnerabilities & more"),
            "entities decoded: {d}"
        );
        assert!(d.contains("2.4.52 <detected>"), "CDATA read: {d}");
    }
    let v = &f[3];
    assert_eq!(v.weakness.kind, WeaknessKind::Vendor);
    assert_eq!(v.severity, Severity::Medium);
    assert_eq!(v.port, None, "port 0 is host-level");
    assert_eq!(v.component, None);
}

#[test]
fn nessus_empty() {
    let (f, summary) = ingest("nessus/empty.nessus");
    assert!(f.is_empty());
    assert!(summary.scanned_assets.is_empty());
}

#[test]
fn malformed_files_name_file_line_column_and_record() {
    let cases = [
        (
            "trivy/malformed.json",
            "malformed.json: line 9, column 64 (Results[0].Vulnerabilities[0]): expected `,` or `}`",
        ),
        (
            "sarif/malformed.sarif",
            "malformed.sarif: line 9, column 1 (runs[0].results[1]): control character (\\u0000-\\u001F) found while parsing a string",
        ),
        (
            "nessus/malformed.nessus",
            "malformed.nessus: line 9, column 15 (ReportHost 1, ReportItem 1): ill-formed document: expected `</synopsis>`, but `</solution>` was found",
        ),
    ];
    for (rel, want) in cases {
        assert_eq!(ingest_err(rel).to_string(), want);
    }
}

/// Every happy fixture cut in half is an error that names a line, never a
/// partial success.
#[test]
fn truncated_happy_fixtures_are_errors_naming_a_line() {
    for format in formats() {
        let dir = fixture(format.name);
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("fixture folder") {
            let path = entry.expect("entry").path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if !name.starts_with("happy") {
                continue;
            }
            seen += 1;
            let bytes = std::fs::read(&path).expect("read");
            let half = &bytes[..bytes.len() / 2];
            let got = parse(format, half, &name, &mut |_| Ok(()));
            match got {
                Ok(s) => panic!("{name} cut in half parsed: {s:?}"),
                Err(e) => {
                    let line = e.line().unwrap_or(0);
                    assert!(line > 1, "{name}: {e}");
                    let msg = e.to_string();
                    assert!(
                        msg.starts_with(&format!("{name}: line {line}, column ")),
                        "{msg}"
                    );
                    assert!(
                        msg.contains("end of file") || msg.contains("truncated"),
                        "{msg}"
                    );
                }
            }
        }
        assert!(seen > 0, "no happy fixture for {}", format.name);
    }
}

#[test]
fn truncated_nessus_names_the_open_element() {
    let bytes = std::fs::read(fixture("nessus/happy.nessus")).expect("read");
    let text = String::from_utf8(bytes).expect("utf8");
    let cut = text.find("<solution>").expect("marker");
    let nessus = detect(text.as_bytes()).expect("detect");
    let e = parse(nessus, &text.as_bytes()[..cut], "scan.nessus", &mut |_| {
        Ok(())
    })
    .expect_err("truncated");
    assert_eq!(
        e.to_string(),
        "scan.nessus: line 28, column 1 (ReportHost 1, ReportItem 2): unexpected end of file inside <ReportItem> (the report is truncated)"
    );
}

#[test]
fn detection_recognises_each_format_from_content() {
    for (rel, want) in [
        ("trivy/happy.json", "trivy"),
        ("trivy/empty.json", "trivy"),
        ("sarif/happy.sarif", "sarif"),
        ("sarif/empty.sarif", "sarif"),
        ("nessus/happy.nessus", "nessus"),
        ("nessus/empty.nessus", "nessus"),
    ] {
        let bytes = std::fs::read(fixture(rel)).expect("read");
        assert_eq!(detect(&bytes).map(|f| f.name).ok(), Some(want), "{rel}");
    }
    // Legacy Trivy: a bare list of results.
    let legacy =
        br#"[{"Target": "alpine:3.9 (alpine 3.9.4)", "Type": "alpine", "Vulnerabilities": null}]"#;
    assert_eq!(detect(legacy).map(|f| f.name).ok(), Some("trivy"));
    // SARIF whose first KB are results (the version comes last).
    let sarif =
        br#"{"runs": [{"tool": {"driver": {"name": "x"}}, "results": []}], "version": "2.1.0"}"#;
    assert_eq!(detect(sarif).map(|f| f.name).ok(), Some("sarif"));
}

/// The registry names, in detection order.
fn tried() -> String {
    let names: Vec<&str> = formats().iter().map(|f| f.name).collect();
    names.join(", ")
}

#[test]
fn unknown_content_lists_the_formats_tried() {
    let tried = tried();
    assert!(tried.starts_with("trivy, sarif, nessus"), "{tried}");
    for head in [
        &b"host,port,cve\n10.0.0.1,22,CVE-2024-0001\n"[..],
        b"",
        b"{\"hello\": 1}",
    ] {
        let e = detect(head).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            format!("input: unrecognised report format (tried {tried})")
        );
    }
    let dir = std::env::temp_dir().join(format!("ctem-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("report.csv");
    std::fs::write(&path, "host,port\n").expect("write");
    let e = parse_path(&path, &mut |_| Ok(())).expect_err("unknown");
    assert_eq!(
        e.to_string(),
        format!("report.csv: unrecognised report format (tried {tried})")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn registry_names_are_unique_and_have_fixture_folders() {
    let names: Vec<&str> = formats().iter().map(|f| f.name).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "duplicate names in {names:?}");
    for f in formats() {
        assert!(!f.description.is_empty());
        let dir = fixture(f.name);
        assert!(dir.is_dir(), "no fixture folder {}", dir.display());
        for kind in ["happy", "empty", "malformed"] {
            let found = std::fs::read_dir(&dir)
                .expect("read dir")
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with(kind));
            assert!(found, "{}: no {kind} fixture", f.name);
        }
    }
}

#[test]
fn a_sink_error_stops_the_parse_and_is_returned_unchanged() {
    // One happy fixture per parser (two where a format has two encodings).
    for rel in [
        "trivy/happy.json",
        "sarif/happy.sarif",
        "nessus/happy.nessus",
        "cyclonedx/happy.json",
        "grype/happy.json",
        "osv_scanner/happy.json",
        "snyk/happy.json",
        "semgrep/happy.json",
        "zap/happy.xml",
        "burp/happy.xml",
        "openvas/happy.xml",
        "qualys/happy.xml",
        "nmap/happy.xml",
        "nuclei/happy.jsonl",
        "nuclei/happy_array.json",
        "nessus-csv/happy.csv",
        "asff/happy.json",
        "prowler/happy_v2.csv",
        "checkov/happy.json",
        "kics/happy.json",
        "gitleaks/happy.json",
        "trufflehog/happy.json",
        "generic/happy.json",
        "generic/happy.csv",
    ] {
        let mut n = 0;
        let e = parse_path(&fixture(rel), &mut |_| {
            n += 1;
            if n == 2 {
                Err(IngestError::rejected("store is full"))
            } else {
                Ok(())
            }
        })
        .expect_err("sink error");
        assert_eq!(e.to_string(), "store is full", "{rel}");
        assert_eq!(n, 2, "{rel}: parsing stopped at the refusal");
    }
}

#[test]
fn garbage_never_panics() {
    // Cheap fuzzing: every prefix of every fixture, and byte flips, for every format.
    for format in formats() {
        for entry in std::fs::read_dir(fixture(format.name)).expect("dir") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            for cut in (0..bytes.len()).step_by(97) {
                let _ = parse(format, &bytes[..cut], "x", &mut |_| Ok(()));
                let mut flipped = bytes.clone();
                flipped[cut] = flipped[cut].wrapping_add(0x5b);
                let _ = parse(format, &flipped[..], "x", &mut |_| Ok(()));
            }
        }
    }
}

#[test]
fn large_sarif_streams_through_the_spool_in_order() {
    // Results before the tool: every result is queued, beyond the in-memory
    // limit, then emitted in order once the run is complete.
    let n = 3000;
    let mut log = String::from(r#"{"version": "2.1.0", "runs": [{"results": ["#);
    for i in 0..n {
        if i > 0 {
            log.push(',');
        }
        log.push_str(&format!(
            r#"{{"ruleId": "r{i}", "message": {{"text": "m{i}"}}, "locations": [{{"physicalLocation": {{"artifactLocation": {{"uri": "f.py"}}, "region": {{"startLine": {}}}}}}}]}}"#,
            i + 1
        ));
    }
    log.push_str(r#"], "tool": {"driver": {"name": "Big", "rules": [{"id": "r0", "defaultConfiguration": {"level": "error"}}]}}}]}"#);
    let format = detect(log.as_bytes()).expect("sarif");
    let mut ids = Vec::new();
    let mut first_severity = None;
    let summary = parse(format, log.as_bytes(), "big.sarif", &mut |f| {
        first_severity.get_or_insert(f.severity);
        ids.push(f.weakness.id);
        Ok(())
    })
    .expect("parses");
    assert_eq!(summary.findings, n as u64);
    assert_eq!(ids.first().map(String::as_str), Some("r0"));
    assert_eq!(ids.last().cloned(), Some(format!("r{}", n - 1)));
    assert_eq!(
        first_severity,
        Some(Severity::High),
        "rule known only after the results"
    );
}

// ---------------------------------------------------------------------------
// ingest-a: dependency-scanner and SBOM formats
// ---------------------------------------------------------------------------

fn repo(name: &str) -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: s(name),
        ..AssetIdentity::default()
    }
}

#[test]
fn cyclonedx_json_happy_with_vex() {
    let (f, summary) = ingest("cyclonedx/happy.json");
    assert_eq!(summary.format, "cyclonedx");
    assert_eq!(summary.tool, "cdxgen");
    assert_eq!(summary.findings, 3);
    assert_eq!(summary.skipped, 2, "not_affected and resolved");
    let image = AssetIdentity {
        kind: Some(AssetKind::ContainerImage),
        image: s("registry.example/claims/api"),
        image_digest: s("sha256:1111111111111111111111111111111111111111111111111111111111111111"),
        ..AssetIdentity::default()
    };
    assert_eq!(summary.scanned_assets, vec![image.clone()]);
    assert!(f.iter().all(|x| x.asset == image && x.tool == "cdxgen"));
    let v = &f[0];
    assert_eq!(v.weakness.id, "CVE-2021-44228");
    assert_eq!(v.weakness.aliases, vec!["GHSA-jfh8-c2jp-5v3q"]);
    assert_eq!(v.weakness.cwes, vec!["CWE-502", "CWE-400"]);
    assert_eq!(
        v.severity,
        Severity::Critical,
        "the CVSS rating, not `other`"
    );
    assert_eq!(
        v.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")
    );
    assert_eq!(v.cvss_score, Some(10.0));
    assert_eq!(
        v.component,
        Some(Component {
            name: "log4j-core".into(),
            version: s("2.14.1"),
            purl: s("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            fixed_version: None,
        })
    );
    let d = v.description.as_deref().unwrap_or("");
    assert!(
        d.contains("VEX analysis state: exploitable (requires_environment)"),
        "{d}"
    );
    // One vulnerability affecting two components: two findings; a nested
    // component is in the inventory; a numeric version is read as text.
    let names: Vec<_> = f[1..]
        .iter()
        .map(|x| {
            x.component
                .as_ref()
                .map(|c| (c.name.clone(), c.version.clone()))
        })
        .collect();
    assert_eq!(
        names,
        vec![
            Some(("lodash".to_string(), s("4.17"))),
            Some(("inner-lib".to_string(), s("1.0.0")))
        ]
    );
    assert_eq!(f[1].severity, Severity::High, "from the score 7.2");
    assert_eq!(
        f[1].cvss_vector.as_deref(),
        Some("AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"),
        "kept as given"
    );
}

#[test]
fn cyclonedx_xml_happy_metadata_after_vulnerabilities() {
    let (f, summary) = ingest("cyclonedx/happy.xml");
    assert_eq!(summary.tool, "grype");
    assert_eq!((summary.findings, summary.skipped), (1, 1));
    let asset = repo("example-org/claims-api");
    assert_eq!(summary.scanned_assets, vec![asset.clone()]);
    let v = &f[0];
    assert_eq!(v.asset, asset);
    assert_eq!(v.weakness.id, "CVE-2018-7489");
    assert_eq!(v.weakness.aliases, vec!["SNYK-JAVA-1"]);
    assert_eq!(v.weakness.cwes, vec!["CWE-184", "CWE-502"]);
    assert_eq!(v.severity, Severity::Critical);
    assert_eq!(v.cvss_score, Some(9.8));
    assert_eq!(
        v.component.as_ref().map(|c| c.name.as_str()),
        Some("jackson-databind")
    );
    let d = v.description.as_deref().unwrap_or("");
    assert!(d.starts_with("jackson & friends"), "{d}");
    assert!(d.contains("in_triage"), "{d}");
}

#[test]
fn cyclonedx_sbom_without_vulnerabilities_scans_its_asset() {
    let (f, summary) = ingest("cyclonedx/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.tool, "cyclonedx");
    assert_eq!(summary.scanned_assets, vec![repo("claims-web")]);
}

#[test]
fn grype_happy_source_after_matches() {
    let (f, summary) = ingest("grype/happy.json");
    assert_eq!(summary.format, "grype");
    assert_eq!(summary.tool, "grype");
    assert_eq!(summary.findings, 3);
    let image = AssetIdentity {
        kind: Some(AssetKind::ContainerImage),
        image: s("registry.example/claims/api"),
        image_digest: s("sha256:3333333333333333333333333333333333333333333333333333333333333333"),
        ..AssetIdentity::default()
    };
    assert_eq!(summary.scanned_assets, vec![image.clone()]);
    assert!(f.iter().all(|x| x.asset == image));
    assert_eq!(
        brief(&f),
        vec![
            (
                "CVE-2021-44420".into(),
                Severity::High,
                s("/usr/local/lib/python3.8/site-packages/Django-3.2.9.dist-info/METADATA")
            ),
            ("CVE-2019-9192".into(), Severity::Medium, None),
            ("CVE-2011-3389".into(), Severity::Info, None),
        ]
    );
    let d = &f[0];
    assert_eq!(d.weakness.aliases, vec!["GHSA-v6rh-hp5x-86rv"]);
    assert_eq!(d.rule_id.as_deref(), Some("GHSA-v6rh-hp5x-86rv"));
    assert_eq!(
        d.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L"),
        "v3.1 of the related NVD record"
    );
    assert_eq!(
        d.component,
        Some(Component {
            name: "Django".into(),
            version: s("3.2.9"),
            purl: s("pkg:pypi/django@3.2.9"),
            fixed_version: s("3.2.10"),
        })
    );
    assert_eq!(f[1].cvss_score, Some(5.3), "Unknown severity → CVSS score");
    assert_eq!(
        f[2].cvss_vector.as_deref(),
        Some("AV:N/AC:M/Au:N/C:P/I:N/A:N")
    );
    assert_eq!(
        f[2].component.as_ref().and_then(|c| c.version.as_deref()),
        Some("3.6")
    );
}

#[test]
fn grype_empty_directory_scan() {
    let (f, summary) = ingest("grype/empty.json");
    assert!(f.is_empty());
    assert_eq!(
        summary.scanned_assets,
        vec![repo("/builds/example-org/claims-api")]
    );
}

#[test]
fn osv_scanner_happy() {
    let (f, summary) = ingest("osv_scanner/happy.json");
    assert_eq!(summary.format, "osv_scanner");
    assert_eq!(summary.tool, "osv-scanner");
    assert_eq!(summary.scanned_assets, vec![repo("happy")]);
    assert_eq!(
        brief(&f),
        vec![
            (
                "CVE-2022-34265".into(),
                Severity::Critical,
                s("/builds/claims-api/requirements.txt")
            ),
            (
                "CVE-2022-34265".into(),
                Severity::Critical,
                s("/builds/claims-api/requirements.txt")
            ),
            (
                "MAL-2023-1035".into(),
                Severity::Info,
                s("/builds/claims-api/web/yarn.lock")
            ),
        ]
    );
    let g = &f[0];
    assert_eq!(g.weakness.aliases, vec!["GHSA-53qw-q765-4fww"]);
    assert_eq!(g.weakness.cwes, vec!["CWE-89"]);
    assert_eq!(
        g.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(g.cvss_score, Some(9.8), "the group's max_severity");
    assert_eq!(
        g.component,
        Some(Component {
            name: "django".into(),
            version: s("3.2.9"),
            purl: s("pkg:pypi/django@3.2.9"),
            fixed_version: s("3.2.14"),
        })
    );
    assert_eq!(f[1].rule_id.as_deref(), Some("PYSEC-2022-213"));
    assert_eq!(f[1].severity, Severity::Critical, "from the group score");
    assert_eq!(f[2].weakness.kind, WeaknessKind::Vendor);
    assert_eq!(f[2].weakness.cwes, vec!["CWE-506"]);
}

#[test]
fn osv_scanner_empty() {
    let (f, summary) = ingest("osv_scanner/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets, vec![repo("empty")]);
}

#[test]
fn snyk_happy_all_projects() {
    let (f, summary) = ingest("snyk/happy.json");
    assert_eq!(summary.format, "snyk");
    assert_eq!(summary.tool, "snyk");
    assert_eq!(
        (summary.findings, summary.skipped),
        (2, 1),
        "licence skipped"
    );
    let image = AssetIdentity {
        kind: Some(AssetKind::ContainerImage),
        image: s("registry.example/claims/api"),
        ..AssetIdentity::default()
    };
    assert_eq!(
        summary.scanned_assets,
        vec![repo("com.test:myframework"), image.clone()]
    );
    let v = &f[0];
    assert_eq!(v.asset, repo("com.test:myframework"));
    assert_eq!(v.weakness.id, "CVE-2019-12400");
    assert_eq!(
        v.weakness.aliases,
        vec!["SNYK-JAVA-ORGAPACHESANTUARIO-460281", "GHSA-xxxx-yyyy-zzzz"]
    );
    assert_eq!(v.weakness.cwes, vec!["CWE-611"]);
    assert_eq!(v.severity, Severity::Medium);
    assert_eq!(v.cvss_score, Some(6.5));
    assert_eq!(v.location.as_deref(), Some("pom.xml"));
    assert_eq!(v.title, "XML External Entity (XXE) Injection");
    assert_eq!(
        v.component,
        Some(Component {
            name: "org.apache.santuario:xmlsec".into(),
            version: s("2.1.1"),
            purl: None,
            fixed_version: s("2.1.4"),
        })
    );
    assert!(
        v.description
            .as_deref()
            .unwrap_or("")
            .contains("com.test:myframework@1.0.0 > org.apache.santuario:xmlsec@2.1.1")
    );
    let c = &f[1];
    assert_eq!(c.asset, image);
    assert_eq!(c.severity, Severity::Low, "severityWithCritical");
    assert_eq!(c.cvss_score, Some(4.8));
    assert_eq!(c.location, None);
}

#[test]
fn snyk_empty_project() {
    let (f, summary) = ingest("snyk/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets, vec![repo("claims-web")]);
}

#[test]
fn npm_audit_v2_and_v1() {
    let (f, summary) = ingest("npm_audit/happy.json");
    assert_eq!(summary.format, "npm_audit");
    assert_eq!(summary.tool, "npm audit");
    assert_eq!(
        (summary.findings, summary.skipped),
        (1, 1),
        "via a package name"
    );
    assert_eq!(summary.scanned_assets, vec![repo("happy")]);
    let v = &f[0];
    assert_eq!(v.weakness.id, "GHSA-35JH-R3H4-6JHM");
    assert_eq!(v.weakness.aliases, vec!["npm:1067342"]);
    assert_eq!(v.weakness.cwes, vec!["CWE-77", "CWE-94"]);
    assert_eq!(v.severity, Severity::High);
    assert_eq!(
        v.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(
        v.component.as_ref().map(|c| c.name.as_str()),
        Some("lodash")
    );

    let (f, summary) = ingest("npm_audit/happy_v1.json");
    assert_eq!(summary.findings, 2);
    assert_eq!(summary.scanned_assets, vec![repo("happy_v1")]);
    assert_eq!(
        brief(&f),
        vec![
            ("CVE-2017-16042".into(), Severity::Critical, None),
            ("npm:1500".into(), Severity::Medium, None),
        ]
    );
    assert_eq!(
        f[0].weakness.aliases,
        vec!["GHSA-qh2h-chj9-jffq", "npm:146"]
    );
    assert_eq!(f[0].weakness.cwes, vec!["CWE-94"]);
    assert_eq!(
        f[0].component,
        Some(Component {
            name: "growl".into(),
            version: s("1.9.2"),
            ..Component::default()
        })
    );
    assert!(f[1].weakness.cwes.is_empty(), "cwe null");
}

#[test]
fn npm_audit_empty_and_error_reports() {
    let (f, summary) = ingest("npm_audit/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets, vec![repo("empty")]);
    let e = br#"{"error": {"code": "ENOAUDIT", "summary": "registry does not support audit"}}"#;
    let format = detect(e).expect("npm error report detected");
    assert_eq!(format.name, "npm_audit");
    let err = parse(format, &e[..], "audit.json", &mut |_| Ok(())).expect_err("error report");
    assert_eq!(
        err.to_string(),
        "audit.json: npm audit report contains errors: ENOAUDIT: registry does not support audit"
    );
}

#[test]
fn dependency_formats_malformed_files_name_file_line_column_and_record() {
    let cases = [
        (
            "cyclonedx/malformed.json",
            "malformed.json: line 6, column 29 (vulnerabilities[1]): expected `,` or `}`",
        ),
        (
            "cyclonedx/malformed.xml",
            "malformed.xml: line 6, column 26 (vulnerability 1): ill-formed document: expected `</description>`, but `</descr>` was found",
        ),
        (
            "grype/malformed.json",
            "malformed.json: line 7, column 5 (matches[0]): key must be a string",
        ),
        (
            "osv_scanner/malformed.json",
            "malformed.json: line 6, column 110 (results[0].packages[0].vulnerabilities[0]): trailing comma",
        ),
        (
            "snyk/malformed.json",
            "malformed.json: line 8, column 7 (vulnerabilities[0]): expected `,` or `}`",
        ),
        (
            "npm_audit/malformed.json",
            "malformed.json: line 6, column 75 (vulnerabilities[0]): expected `,` or `}`",
        ),
    ];
    let mut got = Vec::new();
    for (rel, want) in cases {
        let e = ingest_err(rel).to_string();
        if e != want {
            got.push(format!("{rel}: {e}"));
        }
    }
    assert!(got.is_empty(), "{}", got.join("\n"));
}

#[test]
fn dependency_formats_are_detected_from_content() {
    for (rel, want) in [
        ("cyclonedx/happy.json", "cyclonedx"),
        ("cyclonedx/happy.xml", "cyclonedx"),
        ("cyclonedx/empty.json", "cyclonedx"),
        ("grype/happy.json", "grype"),
        ("grype/empty.json", "grype"),
        ("osv_scanner/happy.json", "osv_scanner"),
        ("osv_scanner/empty.json", "osv_scanner"),
        ("snyk/happy.json", "snyk"),
        ("snyk/empty.json", "snyk"),
        ("npm_audit/happy.json", "npm_audit"),
        ("npm_audit/happy_v1.json", "npm_audit"),
        ("npm_audit/empty.json", "npm_audit"),
    ] {
        let bytes = std::fs::read(fixture(rel)).expect("read");
        assert_eq!(detect(&bytes).map(|f| f.name).ok(), Some(want), "{rel}");
    }
    // The older formats' fixtures are not taken by the new ones.
    for (rel, want) in [
        ("trivy/happy.json", "trivy"),
        ("sarif/happy.sarif", "sarif"),
        ("nessus/happy.nessus", "nessus"),
    ] {
        let bytes = std::fs::read(fixture(rel)).expect("read");
        assert_eq!(detect(&bytes).map(|f| f.name).ok(), Some(want), "{rel}");
    }
}

#[test]
fn large_grype_report_spools_and_keeps_order() {
    let n = 3000;
    let mut doc = String::from(r#"{"matches": ["#);
    for i in 0..n {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!(
            r#"{{"vulnerability": {{"id": "CVE-2024-{:05}", "severity": "High"}}, "artifact": {{"name": "p{i}", "version": "1", "type": "deb"}}}}"#,
            i + 10000
        ));
    }
    doc.push_str(r#"], "source": {"type": "image", "target": {"userInput": "app:1"}}}"#);
    let format = detect(doc.as_bytes()).expect("grype");
    let mut ids = Vec::new();
    let summary = parse(format, doc.as_bytes(), "big.json", &mut |f| {
        assert_eq!(f.asset.image.as_deref(), Some("app"));
        ids.push(f.weakness.id);
        Ok(())
    })
    .expect("parses");
    assert_eq!(summary.findings, n as u64);
    assert_eq!(ids.first().map(String::as_str), Some("CVE-2024-10000"));
    assert_eq!(ids.last().map(String::as_str), Some("CVE-2024-12999"));
}
