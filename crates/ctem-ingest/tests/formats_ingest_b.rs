//! Fixture tests of the Semgrep, ZAP, Burp, OpenVAS, Qualys, nmap, Nuclei
//! and Nessus CSV parsers (`tests/fixtures/<format>/`): exact findings for
//! the happy files, empty reports, malformed reports, detection and sink
//! errors. Truncation, garbage and the registry are covered for every
//! format by `tests/formats.rs`.

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

fn ids(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|x| x.weakness.id.as_str()).collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn host(ip: &str, hostname: Option<&str>, fqdn: Option<&str>) -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::Host),
        ip: s(ip),
        hostname: hostname.map(str::to_string),
        fqdn: fqdn.map(str::to_string),
        ..AssetIdentity::default()
    }
}

fn shop() -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::WebApplication),
        url: s("https://shop.example.com"),
        fqdn: s("shop.example.com"),
        ..AssetIdentity::default()
    }
}

#[test]
fn semgrep_happy() {
    let (f, summary) = ingest("semgrep/happy.json");
    assert_eq!(
        (summary.format, summary.tool.as_str()),
        ("semgrep", "semgrep")
    );
    assert_eq!(
        (summary.findings, summary.skipped),
        (3, 1),
        "nosemgrep result skipped"
    );
    let repo = AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: s("happy"),
        ..AssetIdentity::default()
    };
    assert_eq!(summary.scanned_assets, vec![repo.clone()]);
    assert!(f.iter().all(|x| x.asset == repo));
    let got: Vec<_> = f
        .iter()
        .map(|x| (x.severity, x.location.clone(), x.weakness.cwes.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Severity::High,
                s("app/db.py:42"),
                vec!["CWE-89".to_string()]
            ),
            (
                Severity::Medium,
                s("web/auth.js:7"),
                vec!["CWE-327".to_string()]
            ),
            (Severity::Low, s("Dockerfile:12"), vec![]),
        ]
    );
    assert_eq!(f[0].weakness.kind, WeaknessKind::Vendor);
    assert_eq!(
        f[0].weakness.id,
        "python.lang.security.audit.formatted-sql-query.formatted-sql-query"
    );
    assert_eq!(f[0].title, "Detected possible formatted SQL query.");
    let d = f[0].description.as_deref().unwrap_or("");
    assert!(d.contains("A03:2021"), "{d}");
    assert!(!d.contains("SELECT"), "matched lines are not kept: {d}");
    assert!(
        f[1].description
            .as_deref()
            .unwrap_or("")
            .contains("Fix: bcrypt")
    );
}

#[test]
fn semgrep_empty_still_covers_the_repository() {
    let (f, summary) = ingest("semgrep/empty.json");
    assert!(f.is_empty());
    assert_eq!(summary.scanned_assets.len(), 1);
}

#[test]
fn zap_xml_and_json() {
    let (f, summary) = ingest("zap/happy.xml");
    assert_eq!(summary.format, "zap");
    assert_eq!(
        (summary.findings, summary.skipped),
        (2, 1),
        "informational alert skipped"
    );
    let lab = AssetIdentity {
        kind: Some(AssetKind::WebApplication),
        url: s("http://10.0.0.8:8080"),
        ip: s("10.0.0.8"),
        ..AssetIdentity::default()
    };
    assert_eq!(
        summary.scanned_assets,
        vec![shop(), lab.clone()],
        "sites without alerts count"
    );
    assert_eq!(ids(&f), ["zap:40018", "zap:10020"]);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].weakness.cwes, vec!["CWE-89"]);
    assert_eq!(f[0].title, "SQL Injection");
    assert_eq!(f[0].location, None, "one finding per alert, not per URL");
    assert_eq!(f[0].asset, shop());
    let d = f[0].description.as_deref().unwrap_or("");
    assert!(d.contains("may be possible & exploitable"), "{d}");
    assert!(d.contains("https://shop.example.com/item?id=2"), "{d}");
    assert!(
        !d.contains("session=secret"),
        "request headers are not kept: {d}"
    );
    assert_eq!(f[1].severity, Severity::Medium);

    let (j, summary) = ingest("zap/happy.json");
    assert_eq!(summary.format, "zap");
    assert_eq!((summary.findings, summary.skipped), (1, 1));
    assert_eq!(summary.scanned_assets, vec![shop(), lab]);
    assert_eq!(ids(&j), ["zap:40018"]);
    assert_eq!(j[0].weakness.cwes, vec!["CWE-89"]);
}

#[test]
fn burp_happy() {
    let (f, summary) = ingest("burp/happy.xml");
    assert_eq!(
        (summary.format, summary.findings, summary.skipped),
        ("burp", 2, 1)
    );
    let mut app = shop();
    app.ip = s("192.0.2.10");
    assert_eq!(summary.scanned_assets, vec![app.clone()]);
    assert_eq!(ids(&f), ["burp:1049088", "burp:5244416"]);
    assert_eq!(f[0].asset, app);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].weakness.cwes, vec!["CWE-89", "CWE-94"]);
    assert_eq!(f[0].location.as_deref(), Some("/basket.jsp"));
    assert_eq!(f[0].title, "SQL injection");
    let d = f[0].description.as_deref().unwrap_or("");
    assert!(d.contains("cookie appears to be vulnerable"), "{d}");
    assert!(!d.contains("R0VU"), "base64 requests are not kept");
    assert_eq!(f[1].severity, Severity::Low);
}

#[test]
fn openvas_happy() {
    let (f, summary) = ingest("openvas/happy.xml");
    assert_eq!(
        (summary.format, summary.findings, summary.skipped),
        ("openvas", 3, 1)
    );
    let web = host("10.0.0.5", Some("web-01"), Some("web-01.corp.example"));
    assert_eq!(
        summary.scanned_assets,
        vec![
            web.clone(),
            host("10.0.0.5", None, None),
            host("10.0.0.6", None, None)
        ]
    );
    assert_eq!(
        ids(&f),
        [
            "CVE-2022-22720",
            "CVE-2022-23943",
            "openvas:1.3.6.1.4.1.25623.1.0.105611"
        ]
    );
    assert_eq!(f[0].asset, web);
    assert_eq!(
        f[0].weakness.aliases,
        vec!["openvas:1.3.6.1.4.1.25623.1.0.117000"]
    );
    assert_eq!(f[0].severity, Severity::High, "threat as given");
    assert_eq!(
        (f[0].port, f[0].protocol.as_deref()),
        (Some(443), Some("tcp"))
    );
    assert_eq!(f[0].cvss_score, Some(9.8));
    assert_eq!(
        f[0].cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(
        f[0].title,
        "Apache HTTP Server < 2.4.53 Multiple Vulnerabilities"
    );
    assert_eq!(f[2].weakness.kind, WeaknessKind::Vendor);
    assert_eq!(
        f[2].cvss_vector.as_deref(),
        Some("AV:N/AC:M/Au:N/C:P/I:N/A:N")
    );
    assert_eq!(f[2].port, Some(22));
}

#[test]
fn qualys_asset_data_report_joins_the_glossary() {
    let (f, summary) = ingest("qualys/happy.xml");
    assert_eq!(
        (summary.format, summary.findings, summary.skipped),
        ("qualys", 3, 1)
    );
    let mut web = host("10.0.0.5", Some("WEB-01"), Some("web-01.corp.example"));
    web.tags = vec!["os:Ubuntu 22.04".into()];
    assert_eq!(
        summary.scanned_assets,
        vec![web.clone(), host("10.0.0.6", None, None)]
    );
    assert_eq!(
        ids(&f),
        ["CVE-2022-22720", "CVE-2022-23943", "qualys:38170"]
    );
    assert_eq!(f[0].asset, web);
    assert_eq!(f[0].weakness.aliases, vec!["qualys:150001"]);
    assert_eq!(f[0].severity, Severity::Critical, "Qualys severity 5");
    assert_eq!(f[0].cvss_score, Some(9.1), "the detection's CVSS3_FINAL");
    assert_eq!(
        f[0].cvss_vector.as_deref(),
        Some("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(f[0].title, "Apache HTTP Server Multiple Vulnerabilities");
    assert_eq!((f[2].port, f[2].severity), (Some(22), Severity::Low));
}

#[test]
fn qualys_scan_report() {
    let (f, summary) = ingest("qualys/happy_scan.xml");
    assert_eq!((summary.findings, summary.skipped), (1, 1));
    let mail = host("198.51.100.7", Some("mail"), Some("mail.example.com"));
    assert_eq!(
        summary.scanned_assets,
        vec![mail.clone(), host("198.51.100.8", None, None)]
    );
    assert_eq!(ids(&f), ["CVE-2019-10149"]);
    assert_eq!(f[0].asset, mail);
    assert_eq!(
        (f[0].port, f[0].protocol.as_deref()),
        (Some(25), Some("tcp"))
    );
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].cvss_score, Some(9.8));
}

#[test]
fn nmap_happy() {
    let (f, summary) = ingest("nmap/happy.xml");
    assert_eq!(
        (summary.format, summary.findings, summary.skipped),
        ("nmap", 4, 2)
    );
    let mut web = host("10.0.0.5", Some("web-01"), Some("web-01.corp.example"));
    web.tags = vec!["mac:00:50:56:AA:BB:CC".into()];
    assert_eq!(
        summary.scanned_assets,
        vec![web.clone(), host("10.0.0.6", None, None)],
        "hosts without open ports count, hosts down do not"
    );
    assert_eq!(
        ids(&f),
        [
            "CVE-2023-38408",
            "EXPLOITPACK:98FE96309F9524B8C84C508837551A19",
            "open-port:22/tcp",
            "open-port:80/tcp"
        ]
    );
    let ssh = Some(Component {
        name: "openssh".into(),
        version: s("7.4"),
        ..Component::default()
    });
    assert_eq!(f[0].weakness.kind, WeaknessKind::Cve);
    assert_eq!(
        (f[0].severity, f[0].cvss_score),
        (Severity::Critical, Some(9.8))
    );
    assert_eq!(f[0].component, ssh);
    assert_eq!(f[1].weakness.kind, WeaknessKind::Vendor);
    assert_eq!(f[1].severity, Severity::Medium);
    assert_eq!(f[2].title, "Open port: 22/tcp (ssh OpenSSH 7.4)");
    assert_eq!(f[2].severity, Severity::Info);
    assert_eq!(
        (f[2].port, f[2].protocol.as_deref()),
        (Some(22), Some("tcp"))
    );
    assert_eq!(
        f[3].component.as_ref().map(|c| c.name.as_str()),
        Some("nginx")
    );
    assert!(f.iter().all(|x| x.asset == web));
}

#[test]
fn nuclei_jsonl_and_array() {
    for rel in ["nuclei/happy.jsonl", "nuclei/happy_array.json"] {
        let (f, summary) = ingest(rel);
        assert_eq!(summary.format, "nuclei", "{rel}");
        assert_eq!(summary.findings, 2, "{rel}");
        assert_eq!(
            ids(&f),
            [
                "CVE-2018-15473",
                "nuclei:http-missing-security-headers:content-security-policy"
            ],
            "{rel}"
        );
        let ssh = host("192.0.2.20", Some("ssh"), Some("ssh.example.com"));
        assert_eq!(f[0].asset, ssh);
        assert_eq!(f[0].weakness.aliases, vec!["nuclei:CVE-2018-15473"]);
        assert_eq!(f[0].weakness.cwes, vec!["CWE-362"]);
        assert_eq!((f[0].port, f[0].severity), (Some(22), Severity::Medium));
        assert_eq!(f[0].cvss_score, Some(5.3));
        let mut app = shop();
        app.ip = s("192.0.2.10");
        assert_eq!(f[1].asset, app);
        assert_eq!(f[1].location.as_deref(), Some("/login?next=/"));
        assert_eq!(f[1].severity, Severity::Low);
        let d = f[1].description.as_deref().unwrap_or("");
        assert!(!d.contains("session=secret"), "requests are not kept: {d}");
    }
    let (_, summary) = ingest("nuclei/happy.jsonl");
    assert_eq!(summary.skipped, 1, "the info tech-detect result");
}

#[test]
fn nuclei_empty_output_parses_when_named() {
    let nuclei = formats().iter().find(|f| f.name == "nuclei").copied();
    let nuclei = nuclei.expect("registered");
    let bytes = std::fs::read(fixture("nuclei/empty.jsonl")).expect("read");
    let s = parse(nuclei, &bytes[..], "empty.jsonl", &mut |_| Ok(())).expect("parses");
    assert_eq!((s.findings, s.skipped), (0, 0));
}

#[test]
fn nessus_csv_exports() {
    let (f, summary) = ingest("nessus-csv/happy.csv");
    assert_eq!(
        (summary.format, summary.tool.as_str()),
        ("nessus-csv", "nessus")
    );
    assert_eq!(
        (summary.findings, summary.skipped),
        (3, 2),
        "informational rows skipped"
    );
    assert_eq!(
        summary.scanned_assets.len(),
        3,
        "10.0.0.5, web-01, 10.0.0.6"
    );
    assert_eq!(
        ids(&f),
        ["CVE-2022-22720", "CVE-2022-23943", "nessus:57582"]
    );
    assert_eq!(f[0].weakness.aliases, vec!["nessus:158900"]);
    assert_eq!(f[0].weakness.cwes, vec!["CWE-787"]);
    assert_eq!(
        f[0].severity,
        Severity::Critical,
        "the Risk column as given"
    );
    assert_eq!((f[0].port, f[0].cvss_score), (Some(443), Some(9.8)));
    assert_eq!(f[0].asset, host("10.0.0.5", None, None));
    assert_eq!(f[2].asset, host_named("web-01", "web-01.corp.example"));

    let (f, summary) = ingest("nessus-csv/happy_sc.csv");
    assert_eq!((summary.findings, summary.skipped), (2, 0));
    let db = host("10.0.0.7", Some("DB-02"), Some("db-02.corp.example"));
    assert_eq!(summary.scanned_assets, vec![db.clone()]);
    assert_eq!(ids(&f), ["CVE-2016-2183", "nessus:73756"]);
    assert_eq!(f[0].asset, db);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].weakness.cwes, vec!["CWE-327"]);
    assert_eq!(
        f[0].cvss_vector.as_deref(),
        Some("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")
    );
    assert_eq!(
        f[0].component,
        Some(Component {
            name: "openssl".into(),
            version: s("1.0.2"),
            ..Component::default()
        })
    );
}

fn host_named(hostname: &str, fqdn: &str) -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::Host),
        hostname: s(hostname),
        fqdn: s(fqdn),
        ..AssetIdentity::default()
    }
}

#[test]
fn empty_reports_have_no_findings() {
    for rel in [
        "zap/empty.xml",
        "burp/empty.xml",
        "openvas/empty.xml",
        "qualys/empty.xml",
        "nmap/empty.xml",
        "nessus-csv/empty.csv",
    ] {
        let (f, summary) = ingest(rel);
        assert!(f.is_empty(), "{rel}");
        assert_eq!(summary.findings, 0, "{rel}");
    }
}

#[test]
fn malformed_files_name_file_line_column_and_record() {
    let cases = [
        (
            "semgrep/malformed.json",
            "malformed.json: line 6, column 7 (results[0]): expected `,` or `}`",
        ),
        (
            "zap/malformed.xml",
            "malformed.xml: line 7, column 29 (site[0].alerts[0].alertitem[0]): ill-formed document: expected `</alert>`, but `</name>` was found",
        ),
        (
            "burp/malformed.xml",
            "malformed.xml: line 8, column 19 (issue[0]): ill-formed document: expected `</severity>`, but `</confidence>` was found",
        ),
        (
            "openvas/malformed.xml",
            "malformed.xml: line 9, column 33 (report[0].results[0].result[0]): ill-formed document: expected `</name>`, but `</nvt>` was found",
        ),
        (
            "qualys/malformed.xml",
            "malformed.xml: line 9, column 9 (HOST_LIST[0].HOST[0]): ill-formed document: expected `</VULN_INFO>`, but `</VULN_INFO_LIST>` was found",
        ),
        (
            "nmap/malformed.xml",
            "malformed.xml: line 6, column 55 (host[0]): ill-formed document: expected `</port>`, but `</ports>` was found",
        ),
        (
            "nuclei/malformed.jsonl",
            "malformed.jsonl: line 3, column 1 (line[1]): control character (\\u0000-\\u001F) found while parsing a string",
        ),
        (
            "nessus-csv/malformed.csv",
            "malformed.csv: line 3, column 1 (record 2): the row has 5 fields, the header 15: the report is truncated (unexpected end of file) or malformed",
        ),
    ];
    for (rel, want) in cases {
        let e = parse_path(&fixture(rel), &mut |_| Ok(())).expect_err(rel);
        assert_eq!(e.to_string(), want);
    }
}

#[test]
fn detection_recognises_each_format_from_content() {
    for (rel, want) in [
        ("semgrep/happy.json", "semgrep"),
        ("semgrep/empty.json", "semgrep"),
        ("zap/happy.xml", "zap"),
        ("zap/happy.json", "zap"),
        ("zap/empty.xml", "zap"),
        ("burp/happy.xml", "burp"),
        ("burp/empty.xml", "burp"),
        ("openvas/happy.xml", "openvas"),
        ("openvas/empty.xml", "openvas"),
        ("qualys/happy.xml", "qualys"),
        ("qualys/happy_scan.xml", "qualys"),
        ("qualys/empty.xml", "qualys"),
        ("nmap/happy.xml", "nmap"),
        ("nmap/empty.xml", "nmap"),
        ("nuclei/happy.jsonl", "nuclei"),
        ("nuclei/happy_array.json", "nuclei"),
        ("nessus-csv/happy.csv", "nessus-csv"),
        ("nessus-csv/happy_sc.csv", "nessus-csv"),
        ("nessus-csv/empty.csv", "nessus-csv"),
    ] {
        let bytes = std::fs::read(fixture(rel)).expect("read");
        assert_eq!(detect(&bytes).map(|f| f.name).ok(), Some(want), "{rel}");
    }
    // A Tenable.io export: `;`-separated, dotted column names.
    let io =
        b"asset.display_fqdn;asset.display_ipv4_address;definition.id;definition.name;severity\n";
    assert_eq!(detect(io).map(|f| f.name).ok(), Some("nessus-csv"));
}

#[test]
fn large_qualys_report_streams_through_the_spool() {
    let n = 5000;
    let mut x = String::from("<ASSET_DATA_REPORT><HOST_LIST>");
    for i in 0..n {
        x.push_str(&format!(
            "<HOST><IP>10.1.{}.{}</IP><VULN_INFO_LIST><VULN_INFO><QID>{}</QID><TYPE>Vuln</TYPE></VULN_INFO></VULN_INFO_LIST></HOST>",
            i / 250,
            i % 250,
            i % 3
        ));
    }
    x.push_str("</HOST_LIST><GLOSSARY><VULN_DETAILS_LIST>");
    for q in 0..3 {
        x.push_str(&format!(
            "<VULN_DETAILS><QID>{q}</QID><TITLE>t{q}</TITLE><SEVERITY>{}</SEVERITY></VULN_DETAILS>",
            q + 2
        ));
    }
    x.push_str("</VULN_DETAILS_LIST></GLOSSARY></ASSET_DATA_REPORT>");
    let format = detect(x.as_bytes()).expect("qualys");
    let mut titles = Vec::new();
    let summary = parse(format, x.as_bytes(), "big.xml", &mut |f| {
        titles.push(f.title);
        Ok(())
    })
    .expect("parses");
    assert_eq!(summary.findings, n as u64);
    assert_eq!(summary.scanned_assets.len(), n);
    assert_eq!(titles.last().map(String::as_str), Some("t1"));
}
