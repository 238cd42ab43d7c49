//! End-to-end tests of the demo generator: determinism, valid formats,
//! finding counts, the scope, and the designed funnel.

use ctem_demo::{DemoOptions, generate, internals};
use ctem_model::AssetIdentity;
use ctem_scope::Scope;
use quick_xml::events::Event;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Counts the findings of one report file, checking its format on the way.
fn count_report(path: &Path) -> usize {
    let name = path.to_string_lossy().to_string();
    let bytes = fs::read(path).expect("read report");
    if name.ends_with(".nessus") {
        let mut reader = quick_xml::Reader::from_reader(bytes.as_slice());
        let mut buf = Vec::new();
        let mut items = 0;
        let mut root = false;
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e)) => {
                    if e.name().into_inner() == "NessusClientData_v2" {
                        root = true;
                    }
                    if e.name().into_inner() == "ReportItem" {
                        items += 1;
                    }
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{name}: invalid XML: {e}"),
            }
            buf.clear();
        }
        assert!(root, "{name}: no NessusClientData_v2 root");
        items
    } else if name.ends_with(".sarif") {
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v["version"], "2.1.0", "{name}");
        let mut n = 0;
        for run in v["runs"].as_array().expect("runs") {
            let uri = run["versionControlProvenance"][0]["repositoryUri"].as_str();
            assert!(
                uri.is_some_and(|u| u.starts_with("https://github.com/")),
                "{name}"
            );
            let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
            for r in rules {
                assert!(r["properties"]["security-severity"].is_string(), "{name}");
            }
            let ids: BTreeSet<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
            assert_eq!(ids.len(), rules.len(), "{name}: duplicate rule ids");
            for res in run["results"].as_array().expect("results") {
                let idx = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
                assert_eq!(rules[idx]["id"], res["ruleId"], "{name}");
                n += 1;
            }
        }
        n
    } else {
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v["SchemaVersion"], 2, "{name}");
        let kind = v["ArtifactType"].as_str().expect("ArtifactType");
        if kind == "container_image" {
            assert!(
                v["Metadata"]["RepoDigests"][0]
                    .as_str()
                    .is_some_and(|d| d.contains("@sha256:")),
                "{name}"
            );
        }
        let mut n = 0;
        for r in v["Results"].as_array().expect("Results") {
            for vuln in r["Vulnerabilities"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                assert!(
                    vuln["VulnerabilityID"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("CVE-"))
                );
                assert!(
                    vuln["PkgIdentifier"]["PURL"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("pkg:")),
                    "{name}"
                );
                assert!(
                    vuln["CVSS"]["nvd"]["V3Vector"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("CVSS:3.1/"))
                );
                n += 1;
            }
        }
        n
    }
}

#[test]
fn default_demo_is_valid_deterministic_and_shaped_as_designed() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let opts = DemoOptions::default();
    let m = generate(&opts, a.path()).expect("generate");
    let m2 = generate(&opts, b.path()).expect("generate again");

    // Determinism: byte-identical trees.
    let fa = files(a.path());
    let fb = files(b.path());
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(a.path()).ok(), y.strip_prefix(b.path()).ok());
        assert!(
            fs::read(x).ok() == fs::read(y).ok(),
            "{} differs",
            x.display()
        );
    }
    assert_eq!(m.expected, m2.expected);

    // Every report is valid and the counts add up.
    let mut by_ext: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for r in &m.reports {
        let n = count_report(r);
        total += n;
        let ext = r
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_string();
        *by_ext.entry(ext).or_default() += n;
    }
    assert_eq!(total, m.findings_written);
    assert_eq!(m.findings_written, 1400);
    assert_eq!(by_ext.get("nessus").copied(), Some(m.shape.nessus_findings));
    assert_eq!(by_ext.get("json").copied(), Some(m.shape.trivy_findings));
    assert_eq!(by_ext.get("sarif").copied(), Some(m.shape.sarif_findings));
    assert!((200..=600).contains(&m.assets), "{} assets", m.assets);
    assert!(m.shape.duplicate_findings > 0);

    // The designed funnel.
    let f = m.expected;
    eprintln!("{f:?}\n{:?}", m.shape);
    assert!((280..=360).contains(&f.in_scope), "{f:?}");
    assert!((38..=58).contains(&f.exploitable_intel), "{f:?}");
    assert_eq!(f.reachable, 12, "{f:?}");
    assert_eq!(f.validated, 8, "{f:?}");
}

#[test]
fn scope_parses_and_places_every_asset_where_the_generator_did() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = DemoOptions::default();
    let m = generate(&opts, dir.path()).expect("generate");
    let text = fs::read_to_string(&m.scope).expect("read scope");
    let scope = Scope::parse(&text, "ctem.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scope.services.len(), 8);
    assert_eq!(scope.thresholds.epss, 0.5);
    assert!(scope.probes.permits("203.0.113.10"));
    assert!(scope.probes.permits("portal-web-01.atlantica.example"));
    assert!(!scope.probes.permits("mail.atlantica.example"));
    assert!(!scope.probes.permits("10.48.1.1"));

    // The ledger's flows are the scope's flows.
    let mut declared: Vec<(String, String, Vec<u16>)> = scope
        .topology
        .flows
        .iter()
        .map(|f| (f.from.clone(), f.to.clone(), f.ports.clone()))
        .collect();
    let mut ours: Vec<(String, String, Vec<u16>)> = internals::flows()
        .into_iter()
        .map(|(f, t, p)| (f.to_string(), t.to_string(), p))
        .collect();
    declared.sort();
    ours.sort();
    assert_eq!(declared, ours);
    assert_eq!(scope.topology.assumed_breach, vec!["corp-lan".to_string()]);

    // Every asset gets, from the real scope, the zone and service the
    // generator designed for it (at two sizes, to cover scaled names).
    for findings in [1_400, 6_000] {
        let opts = DemoOptions {
            findings,
            ..DemoOptions::default()
        };
        for a in internals::assets(&opts) {
            let id = AssetIdentity {
                hostname: a.short.clone(),
                fqdn: a.fqdn.clone(),
                ip: a.ip.clone(),
                image: a.image.clone(),
                repository: a.repository.clone(),
                ..AssetIdentity::default()
            };
            let zone = scope.topology.zone_of(&id).map(|z| z.id.as_str());
            assert_eq!(zone, a.zone, "zone of {a:?}");
            let service = scope
                .services_for(&id)
                .first()
                .map(|s| s.service.id.as_str());
            assert_eq!(service, a.service, "service of {a:?}");
            // A host seen by name only (a Trivy VM scan) lands in the same zone.
            if a.kind == "host"
                && a.fqdn
                    .as_deref()
                    .is_some_and(|f| f.ends_with(".corp.atlantica.example"))
            {
                let by_name = AssetIdentity {
                    ip: None,
                    ..id.clone()
                };
                if let Some(z) = scope.topology.zone_of(&by_name) {
                    assert_eq!(Some(z.id.as_str()), a.zone, "zone by name of {a:?}");
                }
            }
        }
    }
}

#[test]
fn intel_covers_the_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = generate(&DemoOptions::default(), dir.path()).expect("generate");
    let kev: Value = serde_json::from_slice(&fs::read(&m.kev).expect("kev")).expect("kev json");
    let vulns = kev["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(kev["count"].as_u64(), Some(vulns.len() as u64));
    assert_eq!(
        kev["title"],
        "CISA Catalog of Known Exploited Vulnerabilities"
    );
    assert!(vulns.len() >= 30, "{} KEV entries", vulns.len());
    for v in vulns {
        for k in [
            "cveID",
            "vendorProject",
            "product",
            "vulnerabilityName",
            "dateAdded",
            "shortDescription",
            "requiredAction",
            "dueDate",
            "knownRansomwareCampaignUse",
            "notes",
        ] {
            assert!(v[k].is_string(), "{k} in {v}");
        }
        assert!(v["cwes"].is_array());
    }
    let kev_ids: BTreeSet<String> = vulns
        .iter()
        .filter_map(|v| v["cveID"].as_str().map(String::from))
        .collect();
    assert!(kev_ids.contains("CVE-2023-4966") && kev_ids.contains("CVE-2021-44228"));

    let epss = fs::read_to_string(&m.epss).expect("epss");
    let name = m.epss.file_name().and_then(|n| n.to_str()).unwrap_or("");
    assert_eq!(name, "epss_scores-2025-09-01.csv");
    let mut lines = epss.lines();
    assert_eq!(
        lines.next(),
        Some("#model_version:v2025.03.14,score_date:2025-09-01T00:00:00+0000")
    );
    assert_eq!(lines.next(), Some("cve,epss,percentile"));
    let mut scored = BTreeSet::new();
    let mut high = 0;
    let mut low = 0;
    for l in lines {
        let parts: Vec<&str> = l.split(',').collect();
        assert_eq!(parts.len(), 3, "{l}");
        assert_eq!(parts[1].split('.').nth(1).map(str::len), Some(5), "{l}");
        let e: f64 = parts[1].parse().expect("epss");
        if e >= 0.5 {
            high += 1;
        }
        if e < 0.05 {
            low += 1;
        }
        scored.insert(parts[0].to_string());
    }
    assert!((80..=120).contains(&scored.len()), "{} CVEs", scored.len());
    assert!(
        low > high,
        "EPSS should be skewed low: {low} low, {high} high"
    );

    // Every CVE in every report has an EPSS score.
    for r in &m.reports {
        let text = fs::read_to_string(r).expect("report");
        for (i, _) in text.match_indices("CVE-") {
            let id: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                scored.contains(&id),
                "{id} in {} has no EPSS score",
                r.display()
            );
        }
    }

    // The validation file.
    let val: Value =
        serde_json::from_slice(&fs::read(&m.validations[0]).expect("val")).expect("val json");
    assert_eq!(val["format"], "ctem-validation/1");
    assert_eq!(val["method"], "red_team");
    let results = val["results"].as_array().expect("results");
    let count = |r: &str| results.iter().filter(|x| x["result"] == r).count();
    assert_eq!(count("exploitable"), 9);
    assert_eq!(count("blocked_by_control"), 2);
    assert!(count("not_exploitable") >= 2);
    for x in results {
        assert!(
            x["at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z') && t.len() == 20)
        );
        if x["result"] == "blocked_by_control" {
            assert_eq!(x["control"], "edge-waf");
        }
        if x["result"] == "not_exploitable" {
            assert!(x["reason"].is_string());
        }
    }
}

#[test]
fn scales_linearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = DemoOptions {
        findings: 10_000,
        ..DemoOptions::default()
    };
    let m = generate(&opts, dir.path()).expect("generate");
    let counted: usize = m.reports.iter().map(|r| count_report(r)).sum();
    assert_eq!(counted, m.findings_written);
    assert!((9_900..=10_100).contains(&counted), "{counted}");
    let small = internals::assets(&DemoOptions::default()).len();
    assert!(m.assets > small * 5, "{} assets vs {small}", m.assets);
    let f = m.expected;
    assert_eq!(f.reachable, 12, "{f:?}");
    assert!((1_800..=2_600).contains(&f.in_scope), "{f:?}");
}

#[test]
fn small_estates_still_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = DemoOptions {
        findings: 10,
        ..DemoOptions::default()
    };
    let m = generate(&opts, dir.path()).expect("generate");
    let counted: usize = m.reports.iter().map(|r| count_report(r)).sum();
    assert_eq!(counted, m.findings_written);
    assert_eq!(m.expected.reachable, 12);
}

#[test]
fn big_single_file_writers_write_exactly_n() {
    for n in [0usize, 1, 7, 1_000, 25_003] {
        let mut t = Vec::new();
        ctem_demo::write_trivy_report(3, n, &mut t).expect("trivy");
        let mut s = Vec::new();
        ctem_demo::write_sarif_report(3, n, &mut s).expect("sarif");
        let mut x = Vec::new();
        ctem_demo::write_nessus_report(3, n, &mut x).expect("nessus");
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, bytes) in [("big.json", &t), ("big.sarif", &s), ("big.nessus", &x)] {
            let p = dir.path().join(name);
            fs::write(&p, bytes).expect("write");
            assert_eq!(count_report(&p), n, "{name} with n = {n}");
        }
    }
    // Same seed, same bytes.
    let mut a = Vec::new();
    let mut b = Vec::new();
    ctem_demo::write_nessus_report(9, 500, &mut a).expect("nessus");
    ctem_demo::write_nessus_report(9, 500, &mut b).expect("nessus");
    assert!(a == b);
}
