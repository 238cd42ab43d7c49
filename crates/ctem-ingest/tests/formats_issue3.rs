//! OWASP Dependency-Check (XML and JSON) and SPDX 2.3 JSON on the crate's
//! own fixtures: exact findings, empty and malformed reports, detection.

use ctem_ingest::{IngestError, ParseSummary, detect, parse_path};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, WeaknessKind};
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

fn project() -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: Some("claims-service".into()),
        ..AssetIdentity::default()
    }
}

/// The XML and the JSON report of the same scan give the same findings.
#[test]
fn dependency_check_happy_xml_and_json_agree() {
    let (xml, sx) = ingest("dependency_check/happy.xml");
    let (json, sj) = ingest("dependency_check/happy.json");
    for (f, s) in [(&xml, &sx), (&json, &sj)] {
        assert_eq!(s.format, "dependency_check");
        assert_eq!(s.tool, "dependency-check");
        assert_eq!(s.findings, 2);
        assert_eq!(s.skipped, 1, "the suppressed CVE-2021-45046");
        assert_eq!(s.scanned_assets, vec![project()]);
        assert!(f.iter().all(|x| x.asset == project()));

        let log4j = &f[0];
        assert_eq!(log4j.weakness.id, "CVE-2021-44228");
        assert_eq!(log4j.weakness.kind, WeaknessKind::Cve);
        assert_eq!(log4j.weakness.cwes, vec!["CWE-20", "CWE-917"]);
        assert_eq!(log4j.severity, Severity::Critical);
        assert_eq!(
            log4j.cvss_vector.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")
        );
        assert_eq!(log4j.cvss_score, Some(10.0));
        let c = log4j.component.as_ref().expect("component");
        assert_eq!(c.name, "org.apache.logging.log4j:log4j-core");
        assert_eq!(c.version.as_deref(), Some("2.14.1"));
        assert_eq!(log4j.location.as_deref(), Some("log4j-core-2.14.1.jar"));
        assert!(
            log4j
                .description
                .as_deref()
                .is_some_and(|d| d.contains("JNDI") && d.contains("Source: NVD"))
        );

        let npm = &f[1];
        assert_eq!(npm.weakness.id, "npm:1500");
        assert_eq!(npm.weakness.kind, WeaknessKind::Vendor);
        assert_eq!(npm.severity, Severity::Low);
        assert_eq!(npm.cvss_vector, None);
        let c = npm.component.as_ref().expect("component");
        assert_eq!(
            (c.name.as_str(), c.version.as_deref()),
            ("yargs-parser", Some("5.0.0"))
        );
    }
    // Same exposures whichever syntax the team exports.
    let ids = |f: &[Finding]| -> Vec<String> { f.iter().map(|x| x.fingerprint_on("a")).collect() };
    assert_eq!(ids(&xml), ids(&json));
}

#[test]
fn dependency_check_empty_report_covers_the_project() {
    let (f, s) = ingest("dependency_check/empty.xml");
    assert!(f.is_empty());
    assert_eq!(s.scanned_assets, vec![project()]);
}

#[test]
fn dependency_check_malformed_reports_name_line_and_column() {
    let e = ingest_err("dependency_check/malformed.xml").to_string();
    assert!(e.starts_with("malformed.xml: line 12, column"), "{e}");
    let e = ingest_err("dependency_check/malformed.json").to_string();
    assert!(e.starts_with("malformed.json: line 9, column"), "{e}");
    assert!(e.contains("dependencies[0]"), "{e}");
}

#[test]
fn spdx_gives_no_findings_and_the_described_image_as_scanned() {
    let (f, s) = ingest("spdx/happy.json");
    assert!(f.is_empty(), "an SBOM has no vulnerabilities");
    assert_eq!(s.format, "spdx");
    assert_eq!(s.tool, "syft");
    assert_eq!(s.skipped, 3, "three packages read");
    assert_eq!(
        s.scanned_assets,
        vec![AssetIdentity {
            kind: Some(AssetKind::ContainerImage),
            image: Some("registry.example/claims/api".into()),
            image_digest: Some(
                "sha256:2222222222222222222222222222222222222222222222222222222222222222".into()
            ),
            ..AssetIdentity::default()
        }]
    );
}

#[test]
fn spdx_without_packages_is_named_after_the_document() {
    let (f, s) = ingest("spdx/empty.json");
    assert!(f.is_empty());
    assert_eq!(
        s.scanned_assets[0].repository.as_deref(),
        Some("github.com/atlantica/claims")
    );
}

#[test]
fn spdx_malformed_names_the_package() {
    let e = ingest_err("spdx/malformed.json").to_string();
    assert!(e.starts_with("malformed.json: line 6, column"), "{e}");
    assert!(e.contains("packages[0]"), "{e}");
}

#[test]
fn detection_of_the_new_formats() {
    for (rel, want) in [
        ("dependency_check/happy.xml", "dependency_check"),
        ("dependency_check/happy.json", "dependency_check"),
        ("dependency_check/empty.xml", "dependency_check"),
        ("spdx/happy.json", "spdx"),
        ("spdx/empty.json", "spdx"),
        // Not taken from the older formats.
        ("cyclonedx/happy.json", "cyclonedx"),
        ("cyclonedx/happy.xml", "cyclonedx"),
        ("generic/happy.json", "generic"),
    ] {
        let bytes = std::fs::read(fixture(rel)).expect("read");
        assert_eq!(detect(&bytes).map(|f| f.name).ok(), Some(want), "{rel}");
    }
}
