//! Fixture tests of the cloud, IaC, secrets and generic formats (ASFF,
//! Prowler, Checkov, KICS, Gitleaks, TruffleHog, ctem generic). Truncation,
//! fuzzing and registry checks over every format live in `formats.rs`.

use ctem_ingest::{ParseSummary, detect, formats, parse, parse_path};
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

/// Parses with a named format (for files with no content to recognise).
fn ingest_as(format: &str, rel: &str) -> (Vec<Finding>, ParseSummary) {
    let f = formats().iter().find(|f| f.name == format).copied();
    let f = f.expect("registered");
    let bytes = std::fs::read(fixture(rel)).expect("read");
    let mut out = Vec::new();
    let summary = parse(f, &bytes[..], rel, &mut |x| {
        out.push(x);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{rel}: {e}"));
    (out, summary)
}

fn err(rel: &str) -> String {
    match parse_path(&fixture(rel), &mut |_| Ok(())) {
        Ok(s) => panic!("{rel}: expected an error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn brief(findings: &[Finding]) -> Vec<(String, Severity, Option<String>)> {
    findings
        .iter()
        .map(|f| (f.weakness.id.clone(), f.severity, f.location.clone()))
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn cloud(id: &str, account: &str) -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::CloudResource),
        cloud_id: s(id),
        cloud_account: s(account),
        ..AssetIdentity::default()
    }
}

fn repo(name: &str) -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: s(name),
        ..AssetIdentity::default()
    }
}

#[test]
fn asff_happy() {
    let (f, summary) = ingest("asff/happy.json");
    assert_eq!(summary.format, "asff");
    assert_eq!(summary.tool, "aws-securityhub");
    assert_eq!(
        (summary.findings, summary.skipped),
        (3, 3),
        "PASSED, SUPPRESSED and ARCHIVED are skipped"
    );
    assert_eq!(
        summary.scanned_assets.len(),
        5,
        "skipped records' resources too"
    );
    let ec2 = cloud(
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
        "111122223333",
    );
    assert_eq!(
        brief(&f),
        vec![
            ("CVE-2024-1111".into(), Severity::High, None),
            ("S3.8".into(), Severity::Critical, None),
            (
                "Recon:EC2-PortProbeUnprotectedPort".into(),
                Severity::Medium,
                None
            ),
        ]
    );
    let v = &f[0];
    assert_eq!(v.asset, ec2);
    assert_eq!(v.weakness.kind, WeaknessKind::Cve);
    assert_eq!(v.weakness.aliases, vec!["GHSA-aaaa-bbbb-cccc"]);
    assert_eq!(
        v.component,
        Some(Component {
            name: "openssl".into(),
            version: s("3.0.11-1.amzn2023"),
            purl: None,
            fixed_version: s("3.0.13-1.amzn2023"),
        })
    );
    assert_eq!(
        v.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")
    );
    assert_eq!(v.cvss_score, Some(7.5));
    assert_eq!(f[1].weakness.kind, WeaknessKind::Misconfiguration);
    assert_eq!(f[1].weakness.aliases, vec!["security-control/S3.8"]);
    assert_eq!(
        f[1].asset,
        cloud("arn:aws:s3:::claims-exports", "111122223333")
    );
    assert_eq!(f[2].weakness.kind, WeaknessKind::Vendor);
    assert_eq!(f[2].asset, ec2);
}

#[test]
fn asff_empty() {
    let (f, summary) = ingest("asff/empty.json");
    assert!(f.is_empty());
    assert_eq!((summary.findings, summary.skipped), (0, 0));
}

#[test]
fn prowler_ocsf_csv_v2_and_v4() {
    let (f, summary) = ingest("prowler/happy.ocsf.json");
    assert_eq!(summary.format, "prowler");
    assert_eq!(
        (summary.findings, summary.skipped),
        (1, 2),
        "PASS and suppressed"
    );
    assert_eq!(summary.scanned_assets.len(), 3);
    assert_eq!(
        brief(&f),
        vec![("s3_bucket_public_access".into(), Severity::Critical, None)]
    );
    assert_eq!(
        f[0].asset,
        cloud("arn:aws:s3:::claims-exports", "111122223333")
    );
    assert_eq!(f[0].weakness.kind, WeaknessKind::Misconfiguration);
    assert_eq!(
        f[0].title,
        "Ensure there are no S3 buckets open to Everyone or Any AWS user."
    );

    let (f, summary) = ingest("prowler/happy_v2.csv");
    assert_eq!((summary.findings, summary.skipped), (2, 1));
    let account = cloud("AWS::::Account:111122223333", "111122223333");
    assert_eq!(summary.scanned_assets, vec![account.clone()]);
    assert!(
        f.iter()
            .all(|x| x.asset == account && x.weakness.id == "check12")
    );
    assert_eq!(f[0].weakness.aliases, vec!["1.2"]);
    assert_eq!(
        f[0].location.as_deref(),
        Some("eu-west-1:User alice has Password enabled but MFA disabled"),
        "v2 names no resource: the result text tells users apart"
    );
    assert_ne!(f[0].location, f[1].location);

    let (f, summary) = ingest("prowler/happy_v4.csv");
    assert_eq!((summary.findings, summary.skipped), (1, 1), "a muted FAIL");
    assert_eq!(f[0].weakness.id, "ec2_ebs_default_encryption");
    assert_eq!(f[0].severity, Severity::Medium);

    let (f, summary) = ingest("prowler/empty.csv");
    assert!(f.is_empty());
    assert_eq!(summary.skipped, 0);
}

#[test]
fn checkov_happy() {
    let (f, summary) = ingest("checkov/happy.json");
    assert_eq!(summary.format, "checkov");
    assert_eq!(
        (summary.findings, summary.skipped),
        (3, 1),
        "one passed check"
    );
    assert_eq!(summary.scanned_assets, vec![repo("happy")]);
    assert_eq!(
        brief(&f),
        vec![
            ("CKV_AWS_18".into(), Severity::Low, s("/s3.tf:1")),
            ("CKV_AWS_16".into(), Severity::Medium, s("/db.tf:12")),
            ("CKV_DOCKER_2".into(), Severity::Medium, s("/Dockerfile")),
        ]
    );
    assert_eq!(f[0].weakness.aliases, vec!["BC_AWS_S3_13"]);
    assert!(
        f[0].description
            .as_deref()
            .is_some_and(|d| d.contains("aws_s3_bucket.exports"))
    );
    let (f, summary) = ingest("checkov/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets, vec![repo("empty")]);
}

#[test]
fn kics_happy() {
    let (f, summary) = ingest("kics/happy.json");
    assert_eq!(summary.format, "kics");
    assert_eq!(summary.findings, 3);
    assert_eq!(
        brief(&f),
        vec![
            (
                "487f4be7-3fd9-4506-a07a-eae252180c08".into(),
                Severity::High,
                s("terraform/main.tf:25")
            ),
            (
                "487f4be7-3fd9-4506-a07a-eae252180c08".into(),
                Severity::High,
                s("helm/values.yaml:7")
            ),
            (
                "6726dcc0-5ff5-459d-b473-a780bef7665c".into(),
                Severity::Medium,
                s("terraform/s3.tf:5")
            ),
        ]
    );
    assert_eq!(f[0].weakness.cwes, vec!["CWE-798"]);
    assert_eq!(f[0].title, "Passwords And Secrets - Generic Password");
    assert!(
        f[0].description
            .as_deref()
            .is_some_and(|d| d.contains("Secret Management"))
    );
    let (f, summary) = ingest("kics/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets, vec![repo("empty")]);
}

#[test]
fn gitleaks_happy_never_keeps_the_secret() {
    let (f, summary) = ingest("gitleaks/happy.json");
    assert_eq!(summary.format, "gitleaks");
    assert_eq!(summary.scanned_assets, vec![repo("happy")]);
    assert_eq!(
        brief(&f),
        vec![
            (
                "aws-access-token".into(),
                Severity::High,
                s("config/settings.py:3")
            ),
            ("private-key".into(), Severity::High, s("deploy/id_rsa:1")),
        ]
    );
    assert_eq!(f[0].weakness.kind, WeaknessKind::ExposedSecret);
    assert_eq!(f[0].weakness.cwes, vec!["CWE-798"]);
    assert_eq!(f[0].title, "AWS Access Key");
    for x in &f {
        let all = serde_json::to_string(x).expect("json");
        assert!(!all.contains("AKIAEXAMPLE"), "secret leaked: {all}");
        assert!(!all.contains("BEGIN PRIVATE"), "secret leaked: {all}");
    }
    let (f, summary) = ingest_as("gitleaks", "gitleaks/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets, vec![repo("empty")]);
}

#[test]
fn trufflehog_happy_never_keeps_the_secret() {
    let (f, summary) = ingest("trufflehog/happy.json");
    assert_eq!(summary.format, "trufflehog");
    assert_eq!(
        brief(&f),
        vec![
            ("AWS".into(), Severity::Critical, s("config/keys.env:4")),
            ("URI".into(), Severity::High, s("README.md:12")),
            ("Slack".into(), Severity::High, s("/srv/app/.env:2")),
        ]
    );
    assert_eq!(
        f[0].asset,
        repo("https://github.com/example-org/claims-api")
    );
    assert_eq!(f[2].asset, repo("happy"));
    for x in &f {
        let all = serde_json::to_string(x).expect("json");
        for secret in ["QUtJQUVYQU1QTEU", "AKIAEXAMPLE", "u:****", "eG94Yi0xMjM"] {
            assert!(!all.contains(secret), "secret leaked: {all}");
        }
    }
    let (f, summary) = ingest_as("trufflehog", "trufflehog/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets.len(), 1);
}

#[test]
fn generic_json_and_csv() {
    let (f, summary) = ingest("generic/happy.json");
    assert_eq!(summary.format, "generic");
    assert_eq!(summary.tool, "acme-scanner, bucket-audit");
    assert_eq!(
        summary.scanned_assets.len(),
        4,
        "the listed asset and three more"
    );
    assert_eq!(
        brief(&f),
        vec![
            ("CVE-2021-44228".into(), Severity::Critical, None),
            ("public-bucket".into(), Severity::Medium, None),
            ("xss-reflected".into(), Severity::Medium, s("/search?q=")),
        ]
    );
    let l = &f[0];
    assert_eq!(l.tool, "acme-scanner");
    assert_eq!(l.weakness.aliases, vec!["GHSA-jfh8-c2jp-5v3q"]);
    assert_eq!(l.weakness.cwes, vec!["CWE-502", "CWE-917"]);
    assert_eq!(l.asset.kind, Some(AssetKind::Host));
    assert_eq!(l.port, Some(8443));
    assert_eq!(l.cvss_score, Some(10.0));
    assert_eq!(
        l.component
            .as_ref()
            .and_then(|c| c.fixed_version.as_deref()),
        Some("2.17.1")
    );
    assert_eq!(f[1].tool, "bucket-audit");
    assert_eq!(f[1].weakness.kind, WeaknessKind::Misconfiguration);
    assert_eq!(f[1].asset.kind, Some(AssetKind::CloudResource));
    assert_eq!(f[2].asset.kind, Some(AssetKind::WebApplication));

    let (f, summary) = ingest("generic/happy.csv");
    assert_eq!(summary.tool, "acme");
    assert_eq!(
        summary.scanned_assets.len(),
        4,
        "the row without weakness too"
    );
    assert_eq!(
        brief(&f),
        vec![
            ("CVE-2024-0001".into(), Severity::High, None),
            (
                "GHSA-35JH-R3H4-6JHM".into(),
                Severity::High,
                s("app/package-lock.json")
            ),
            (
                "hardcoded-token".into(),
                Severity::High,
                s("src/config.py:3")
            ),
        ]
    );
    assert_eq!(f[0].port, Some(22));
    assert_eq!(f[1].asset.kind, Some(AssetKind::ContainerImage));
    assert_eq!(f[2].weakness.kind, WeaknessKind::ExposedSecret);

    let (f, summary) = ingest("generic/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets.len(), 1);
    let (f, _) = ingest("generic/empty.csv");
    assert!(f.is_empty());
}

#[test]
fn malformed_files_name_file_line_column_and_record() {
    let cases = [
        (
            "asff/malformed.json",
            "malformed.json: line 9, column 7 (Findings[0]): expected `,` or `}`",
        ),
        (
            "prowler/malformed.json",
            "malformed.json: line 6, column 17 (findings[0]): expected value",
        ),
        (
            "checkov/malformed.json",
            "malformed.json: line 6, column 33 (failed_checks[1]): expected `,` or `}`",
        ),
        (
            "kics/malformed.json",
            "malformed.json: line 8, column 60 (queries[0].files[0]): trailing comma",
        ),
        (
            "trufflehog/malformed.json",
            "malformed.json: line 2, column 121 (secrets[1]): trailing comma",
        ),
        (
            "generic/malformed.json",
            "malformed.json: line 7, column 3 (findings[1]): unknown severity `bad`",
        ),
        (
            "generic/malformed.csv",
            "malformed.csv: line 3, column 1 (record 2): `port` `99999` is not a port number",
        ),
    ];
    for (rel, want) in cases {
        assert_eq!(err(rel), want, "{rel}");
    }
    // Gitleaks: a raw newline inside a string.
    assert!(
        err("gitleaks/malformed.json").starts_with("malformed.json: line 8, column 1 (leaks[0]): ")
    );
}

#[test]
fn truncated_csv_is_an_error() {
    let bytes = std::fs::read(fixture("prowler/happy_v2.csv")).expect("read");
    let text = String::from_utf8(bytes).expect("utf8");
    let cut = text.find("MFA disabled,Software").expect("marker");
    let f = detect(text.as_bytes()).expect("prowler");
    let e = parse(f, &text.as_bytes()[..cut], "p.csv", &mut |_| Ok(())).expect_err("cut");
    assert!(
        e.to_string()
            .starts_with("p.csv: line 3, column 1 (record 2): record has 9 fields"),
        "{e}"
    );
}

#[test]
fn detection_of_each_format() {
    for (rel, want) in [
        ("asff/happy.json", "asff"),
        ("asff/empty.json", "asff"),
        ("prowler/happy.ocsf.json", "prowler"),
        ("prowler/happy_v2.csv", "prowler"),
        ("prowler/happy_v4.csv", "prowler"),
        ("prowler/empty.csv", "prowler"),
        ("checkov/happy.json", "checkov"),
        ("checkov/empty.json", "checkov"),
        ("kics/happy.json", "kics"),
        ("kics/empty.json", "kics"),
        ("gitleaks/happy.json", "gitleaks"),
        ("trufflehog/happy.json", "trufflehog"),
        ("generic/happy.json", "generic"),
        ("generic/empty.json", "generic"),
        ("generic/happy.csv", "generic"),
        ("generic/empty.csv", "generic"),
        // The existing formats are still theirs.
        ("trivy/happy.json", "trivy"),
        ("sarif/happy.sarif", "sarif"),
    ] {
        let bytes = std::fs::read(fixture(rel)).expect("read");
        assert_eq!(detect(&bytes).map(|f| f.name).ok(), Some(want), "{rel}");
    }
    // Gitleaks v7 and TruffleHog v2.
    let v7 = br#"[{"line": "x", "offender": "y", "commit": "c", "rule": "AWS", "file": "a"}]"#;
    assert_eq!(detect(v7).map(|f| f.name).ok(), Some("gitleaks"));
    let v2 =
        br#"{"branch": "main", "path": "a.py", "reason": "RSA private key", "stringsFound": []}"#;
    assert_eq!(detect(v2).map(|f| f.name).ok(), Some("trufflehog"));
}

#[test]
fn large_reports_stream() {
    // 20 000 Gitleaks leaks: parsed one by one, the sink sees them in order.
    let mut doc = String::from("[\n");
    for i in 0..20_000 {
        if i > 0 {
            doc.push_str(",\n");
        }
        doc.push_str(&format!(
            r#"{{"RuleID": "r{i}", "File": "f{i}.py", "StartLine": 1, "Secret": "s", "Fingerprint": "x"}}"#
        ));
    }
    doc.push_str("\n]\n");
    let f = detect(doc.as_bytes()).expect("gitleaks");
    let mut n = 0;
    let s = parse(f, doc.as_bytes(), "big.json", &mut |x| {
        assert_eq!(x.weakness.id, format!("r{n}"));
        n += 1;
        Ok(())
    })
    .expect("parse");
    assert_eq!(s.findings, 20_000);
}
