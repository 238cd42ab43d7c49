//! The store's behaviour: identity resolution across scanners, dedup into
//! one exposure with several pieces of evidence, the cycle diff, rollback,
//! and tamper detection in the audit log.

use ctem_model::{
    AssetIdentity, AssetKind, Component, ExposureStatus, Finding, Severity, Weakness, WeaknessKind,
};
use ctem_store::{ImportMeta, Store};

mod backend;

on_every_backend!(
    same_cve_same_package_same_host_from_two_scanners_is_one_exposure,
    rescan_resolves_then_reopens,
    a_scanned_host_with_no_findings_resolves_its_exposures,
    evidence_from_another_tool_keeps_an_exposure_open,
    dropped_import_leaves_nothing,
    a_fixed_exposure_closes_only_when_a_rescan_confirms_it,
    unchanged_file_is_a_new_snapshot_without_parsing,
    a_full_import_after_a_reused_snapshot_still_resolves,
    the_import_entry_digests_the_new_exposures,
);

fn finding(tool: &str, asset: AssetIdentity, cve: &str, pkg: &str) -> Finding {
    Finding {
        tool: tool.into(),
        asset,
        weakness: Weakness::from_ids(&[cve.to_string()], WeaknessKind::Vendor).expect("id"),
        component: Some(Component {
            name: pkg.into(),
            version: Some("1.0".into()),
            purl: None,
            fixed_version: None,
        }),
        title: format!("{cve} in {pkg}"),
        severity: Severity::High,
        cvss_vector: None,
        cvss_score: None,
        port: None,
        protocol: None,
        location: None,
        rule_id: None,
        description: None,
    }
}

fn host_by_fqdn() -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::Host),
        fqdn: Some("web-01.corp.example".into()),
        ip: Some("10.0.0.1".into()),
        ..Default::default()
    }
}

fn host_by_name() -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::Host),
        hostname: Some("WEB-01".into()),
        ..Default::default()
    }
}

fn other_host() -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::Host),
        fqdn: Some("db-01.corp.example".into()),
        ..Default::default()
    }
}

fn meta(tool: &str, at: i64) -> ImportMeta {
    ImportMeta {
        tool: tool.into(),
        format: tool.into(),
        file: format!("{tool}.json"),
        sha256: "x".into(),
        actor: "test".into(),
        at,
    }
}

fn import(
    store: &mut Store,
    tool: &str,
    at: i64,
    findings: &[Finding],
    covered: &[AssetIdentity],
) -> ctem_store::ImportSummary {
    let mut tx = store.begin_import(meta(tool, at)).expect("begin");
    tx.set_source(tool, tool);
    for f in findings {
        tx.add(f).expect("add");
    }
    for a in covered {
        tx.cover(a).expect("cover");
    }
    tx.commit().expect("commit")
}

fn same_cve_same_package_same_host_from_two_scanners_is_one_exposure() {
    let mut s = backend::fresh();
    let a = import(
        &mut s,
        "nessus",
        100,
        &[finding(
            "nessus",
            host_by_fqdn(),
            "CVE-2024-6387",
            "openssh",
        )],
        &[],
    );
    assert_eq!((a.new, a.new_assets), (1, 1));
    let b = import(
        &mut s,
        "trivy",
        200,
        &[finding("trivy", host_by_name(), "cve-2024-6387", "OpenSSH")],
        &[],
    );
    assert_eq!(
        (b.new, b.unchanged, b.new_assets),
        (0, 1, 0),
        "merged into the existing asset and exposure"
    );
    let rows = s.exposures(true).expect("exposures");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].exposure.sources, vec!["nessus", "trivy"]);
    assert_eq!(rows[0].exposure.first_seen, 100);
    assert_eq!(rows[0].exposure.last_seen, 200);
    assert_eq!(s.asset_count().expect("count"), 1);
}

fn rescan_resolves_then_reopens() {
    let mut s = backend::fresh();
    let f1 = finding("trivy", host_by_fqdn(), "CVE-1", "a");
    let f2 = finding("trivy", host_by_fqdn(), "CVE-2", "b");
    import(&mut s, "trivy", 100, &[f1.clone(), f2.clone()], &[]);
    // A complete rescan of the same host without CVE-2.
    let r = import(&mut s, "trivy", 200, std::slice::from_ref(&f1), &[]);
    assert_eq!((r.unchanged, r.resolved), (1, 1));
    let all = s.exposures(false).expect("all");
    let resolved: Vec<_> = all
        .iter()
        .filter(|r| r.exposure.status == ExposureStatus::Resolved)
        .collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].exposure.weakness.id, "CVE-2");
    // A rescan of a different host resolves nothing here.
    let other = AssetIdentity {
        fqdn: Some("db-01.corp.example".into()),
        ..Default::default()
    };
    let r = import(&mut s, "trivy", 250, &[], &[other]);
    assert_eq!(r.resolved, 0);
    // It comes back.
    let r = import(&mut s, "trivy", 300, &[f1, f2], &[]);
    assert_eq!((r.reopened, r.unchanged, r.new), (1, 1, 0));
    assert_eq!(s.exposures(true).expect("active").len(), 2);
}

fn a_scanned_host_with_no_findings_resolves_its_exposures() {
    let mut s = backend::fresh();
    import(
        &mut s,
        "nessus",
        100,
        &[finding("nessus", host_by_fqdn(), "CVE-1", "a")],
        &[],
    );
    let r = import(&mut s, "nessus", 200, &[], &[host_by_fqdn()]);
    assert_eq!(r.resolved, 1);
}

fn evidence_from_another_tool_keeps_an_exposure_open() {
    let mut s = backend::fresh();
    import(
        &mut s,
        "nessus",
        100,
        &[finding("nessus", host_by_fqdn(), "CVE-1", "a")],
        &[],
    );
    import(
        &mut s,
        "trivy",
        150,
        &[finding("trivy", host_by_fqdn(), "CVE-1", "a")],
        &[],
    );
    let r = import(&mut s, "nessus", 200, &[], &[host_by_fqdn()]);
    assert_eq!(r.resolved, 0, "trivy still sees it");
}

fn dropped_import_leaves_nothing() {
    let mut s = backend::fresh();
    let before = s.state_digest().expect("digest");
    {
        let mut tx = s.begin_import(meta("trivy", 100)).expect("begin");
        tx.add(&finding("trivy", host_by_fqdn(), "CVE-1", "a"))
            .expect("add");
        // dropped without commit: an error or a crash
    }
    assert_eq!(before, s.state_digest().expect("digest"));
}

#[test]
fn audit_log_detects_edits_removals_and_reordering() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ctem.db");
    {
        let mut s = Store::open(&path).expect("store");
        import(
            &mut s,
            "trivy",
            100,
            &[
                finding("trivy", host_by_fqdn(), "CVE-1", "a"),
                finding("trivy", host_by_fqdn(), "CVE-2", "b"),
                finding("trivy", other_host(), "CVE-2", "b"),
            ],
            &[],
        );
        let v = s.verify_audit().expect("verify");
        assert_eq!(v.problem, None);
        // Two `asset.new` entries and one `import` entry (new exposures are
        // counted and digested in the import entry, not logged one by one).
        assert_eq!(v.entries, 3);
    }
    let conn = rusqlite::Connection::open(&path).expect("raw connection");
    conn.execute("UPDATE audit_log SET subject = 'forged' WHERE seq = 2", [])
        .expect("edit");
    let v = Store::open(&path)
        .and_then(|s| s.verify_audit())
        .expect("verify");
    assert!(
        v.problem
            .as_deref()
            .is_some_and(|p| p.contains("entry 2") && p.contains("edited")),
        "{v:?}"
    );

    conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
        .expect("remove");
    let v = Store::open(&path)
        .and_then(|s| s.verify_audit())
        .expect("verify");
    assert!(
        v.problem
            .as_deref()
            .is_some_and(|p| p.contains("entry 2 is missing")),
        "{v:?}"
    );
}

#[test]
fn schema_is_versioned_and_reopening_is_idempotent() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ctem.db");
    let v1 = Store::open(&path)
        .and_then(|s| s.schema_version())
        .expect("open");
    let v2 = Store::open(&path)
        .and_then(|s| s.schema_version())
        .expect("reopen");
    assert_eq!(v1, ctem_store::SCHEMA_VERSION);
    assert_eq!(v1, v2);
}

/// Closure verification: a fix claim closes only when a complete rescan no
/// longer shows the exposure; a rescan that still shows it reopens it and
/// records why; a re-probe settles it the same way.
fn a_fixed_exposure_closes_only_when_a_rescan_confirms_it() {
    let mut s = backend::fresh();
    let f1 = finding("nessus", host_by_fqdn(), "CVE-2024-6387", "openssh");
    let f2 = finding("nessus", host_by_fqdn(), "CVE-2023-38408", "openssh");
    import(
        &mut s,
        "nessus",
        100,
        &[f1.clone(), f2.clone()],
        &[host_by_fqdn()],
    );
    let ids: Vec<String> = s
        .exposures(true)
        .expect("rows")
        .iter()
        .map(|r| r.exposure.id.clone())
        .collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        assert_eq!(
            s.mark_fixed(id, Some("patched"), "alice")
                .expect("mark")
                .as_deref(),
            Some("open")
        );
    }
    // Marking twice changes nothing.
    assert_eq!(
        s.mark_fixed(&ids[0], None, "alice")
            .expect("mark")
            .as_deref(),
        Some("fix_pending")
    );
    let status = |s: &Store, id: &str| s.exposure(id).expect("q").expect("row").exposure.status;
    assert_eq!(status(&s, &ids[0]), ExposureStatus::FixPending);

    // The rescan still shows CVE-2024-6387 but not CVE-2023-38408.
    import(
        &mut s,
        "nessus",
        200,
        std::slice::from_ref(&f1),
        &[host_by_fqdn()],
    );
    let still = s
        .exposures(false)
        .expect("rows")
        .into_iter()
        .find(|r| r.exposure.weakness.id == "CVE-2024-6387")
        .expect("row");
    assert_eq!(still.exposure.status, ExposureStatus::Open, "reopened");
    let gone = s
        .exposures(false)
        .expect("rows")
        .into_iter()
        .find(|r| r.exposure.weakness.id == "CVE-2023-38408")
        .expect("row");
    assert_eq!(gone.exposure.status, ExposureStatus::Resolved, "closed");
    let claims = s.fix_claims().expect("claims");
    let of = |id: &str| claims.iter().find(|c| c.exposure_id == id).expect("claim");
    assert_eq!(of(&still.exposure.id).outcome, "failed");
    assert_eq!(
        of(&still.exposure.id).reason.as_deref(),
        Some("still reported by nessus in import 2")
    );
    assert_eq!(of(&gone.exposure.id).outcome, "verified");
    let log = s.audit_log(None).expect("log");
    assert!(
        log.iter()
            .any(|e| e.action == "exposure.fix_failed" && e.subject == still.exposure.id)
    );

    // A re-probe settles a claim too.
    s.mark_fixed(&still.exposure.id, None, "alice")
        .expect("mark");
    assert!(
        !s.settle_fix(&gone.exposure.id, true, "x", "probe")
            .expect("not pending")
    );
    assert!(
        s.settle_fix(
            &still.exposure.id,
            false,
            "banner still shows OpenSSH 8.9p1",
            "probe"
        )
        .expect("settle")
    );
    assert_eq!(status(&s, &still.exposure.id), ExposureStatus::Open);
    assert!(s.verify_audit().expect("verify").problem.is_none());
}

fn meta_sha(tool: &str, at: i64, sha: &str) -> ImportMeta {
    ImportMeta {
        sha256: sha.into(),
        ..meta(tool, at)
    }
}

fn import_sha(store: &mut Store, tool: &str, at: i64, sha: &str, findings: &[Finding]) {
    let mut tx = store.begin_import(meta_sha(tool, at, sha)).expect("begin");
    tx.set_source(tool, tool);
    tx.set_parser("parser 1");
    tx.set_skipped(2);
    for f in findings {
        tx.add(f).expect("add");
    }
    tx.commit().expect("commit");
}

fn unchanged_file_is_a_new_snapshot_without_parsing() {
    let mut s = backend::fresh();
    let f1 = finding("trivy", host_by_fqdn(), "CVE-1", "a");
    let f2 = finding("trivy", other_host(), "CVE-2", "b");
    // Never seen: the file must be imported in full.
    assert!(
        s.reimport_unchanged(&meta_sha("", 100, "aaa"), "parser 1")
            .expect("lookup")
            .is_none()
    );
    import_sha(
        &mut s,
        "trivy",
        100,
        "aaa",
        &[f1.clone(), f2.clone(), f1.clone()],
    );
    // Another parser version reads the file again.
    assert!(
        s.reimport_unchanged(&meta_sha("", 200, "aaa"), "parser 2")
            .expect("lookup")
            .is_none()
    );
    let (r, skipped) = s
        .reimport_unchanged(&meta_sha("", 200, "aaa"), "parser 1")
        .expect("reimport")
        .expect("re-used");
    assert_eq!(skipped, 2);
    assert_eq!(
        (r.findings, r.exposures, r.duplicates, r.assets),
        (3, 2, 1, 2)
    );
    assert_eq!((r.new, r.unchanged, r.resolved, r.reopened), (0, 2, 0, 0));
    assert_eq!(r.tool, "trivy");
    let first = r.reused_import.expect("names the full import");
    // Every exposure was seen now; nothing changed status.
    let rows = s.exposures(false).expect("exposures");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|e| e.exposure.last_seen == 200));
    // Chained: a third identical file re-uses the same full import.
    let (r3, _) = s
        .reimport_unchanged(&meta_sha("", 300, "aaa"), "parser 1")
        .expect("reimport")
        .expect("re-used");
    assert_eq!(r3.reused_import, Some(first));
    assert!(
        s.exposures(false)
            .expect("exposures")
            .iter()
            .all(|e| e.exposure.last_seen == 300)
    );
    // A different report of the same tool since then: the identical file
    // is no longer the latest snapshot of trivy and is read in full.
    import_sha(&mut s, "trivy", 400, "bbb", std::slice::from_ref(&f1));
    assert!(
        s.reimport_unchanged(&meta_sha("", 500, "aaa"), "parser 1")
            .expect("lookup")
            .is_none()
    );
    assert_eq!(s.verify_audit().expect("verify").problem, None);
}

fn a_full_import_after_a_reused_snapshot_still_resolves() {
    let mut s = backend::fresh();
    let f1 = finding("trivy", host_by_fqdn(), "CVE-1", "a");
    let f2 = finding("trivy", host_by_fqdn(), "CVE-2", "b");
    import_sha(&mut s, "trivy", 100, "aaa", &[f1.clone(), f2.clone()]);
    s.reimport_unchanged(&meta_sha("", 200, "aaa"), "parser 1")
        .expect("reimport")
        .expect("re-used");
    let mut tx = s
        .begin_import(meta_sha("trivy", 300, "ccc"))
        .expect("begin");
    tx.set_source("trivy", "trivy");
    tx.add(&f1).expect("add");
    let r = tx.commit().expect("commit");
    assert_eq!((r.new, r.unchanged, r.resolved), (0, 1, 1));
}

fn the_import_entry_digests_the_new_exposures() {
    let mut s = backend::fresh();
    import_sha(
        &mut s,
        "trivy",
        100,
        "aaa",
        &[
            finding("trivy", host_by_fqdn(), "CVE-1", "a"),
            finding("trivy", host_by_fqdn(), "CVE-2", "b"),
        ],
    );
    let log = s.audit_log(None).expect("log");
    assert!(log.iter().all(|e| e.action != "exposure.new"));
    let import = log
        .iter()
        .find(|e| e.action == "import")
        .expect("import entry");
    assert_eq!(import.detail["new"], 2);
    // SHA-256 over the sorted new exposure ids, one per line.
    let mut ids: Vec<String> = s
        .exposures(false)
        .expect("exposures")
        .iter()
        .map(|e| e.exposure.id.clone())
        .collect();
    ids.sort();
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    for id in &ids {
        sha2::Digest::update(&mut h, format!("{id}\n").as_bytes());
    }
    let want = ctem_model::fingerprint::hex(&sha2::Digest::finalize(h));
    assert_eq!(import.detail["new_exposures_sha256"], want.as_str());
}
