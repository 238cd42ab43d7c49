//! Importing the same report twice: the second import is a new snapshot made
//! without parsing the file again, and changes nothing but the last-seen times.

mod common;
use common::*;

#[test]
fn an_unchanged_report_is_a_new_snapshot_without_reparsing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = dir.path();
    assert!(ctem(ws, &["init"]).status.success());
    let report = ws.join("scan.nessus");
    let mut f = std::fs::File::create(&report).expect("create report");
    ctem_demo::write_nessus_report(5, 300, &mut f).expect("write report");
    drop(f);
    let path = report.to_str().expect("utf-8");

    let first = json(&ctem(ws, &["ingest", path, "--output", "json"]));
    assert_eq!(first[0]["findings"].as_u64(), Some(300));
    assert!(first[0].get("reused_import").is_none());
    let new = first[0]["new"].as_u64().expect("new");
    assert!(new > 0);

    let second = json(&ctem(ws, &["ingest", path, "--output", "json"]));
    let s = &second[0];
    assert_eq!(s["reused_import"], first[0]["import_id"]);
    assert_eq!(s["findings"].as_u64(), Some(300));
    assert_eq!(s["new"].as_u64(), Some(0));
    assert_eq!(s["resolved"].as_u64(), Some(0));
    assert_eq!(s["unchanged"].as_u64(), Some(new));
    assert_eq!(s["format"], "nessus");

    let o = ctem(ws, &["audit", "verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}
