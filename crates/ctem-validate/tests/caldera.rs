//! MITRE Caldera's documented operation report and event logs
//! (`$CTEM_FIXTURES/caldera/`), matched to exposures.

use ctem_model::ValidationState;
use ctem_validate::{Candidate, match_results, parse};
use std::path::PathBuf;

fn fixtures() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("CTEM_FIXTURES") else {
        println!("skipped: CTEM_FIXTURES not set");
        return None;
    };
    let dir = PathBuf::from(dir).join("caldera");
    assert!(
        dir.is_dir(),
        "CTEM_FIXTURES/caldera missing: {}",
        dir.display()
    );
    Some(dir)
}

#[test]
fn operation_report() {
    let Some(dir) = fixtures() else { return };
    let path = dir.join("sample_operation_report.json");
    let bytes = std::fs::read(&path).expect("read fixture");
    let f = parse(&bytes, "sample_operation_report.json", "", "").expect("valid report");
    assert_eq!(f.tool, "MITRE Caldera");
    assert_eq!(f.method, "bas");
    assert_eq!(f.results.len(), 11, "every finished step");
    assert!(f.results.iter().all(|r| r.asset == "TARGET-PC"));
    let failed: Vec<_> = f
        .results
        .iter()
        .filter(|r| r.state == ValidationState::NotExploitable)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].reason.as_deref(),
        Some("Caldera ability `Stage sensitive files` (T1074.001) failed")
    );
    assert_eq!(f.results[0].weakness, "T1074.001");
    // No step names a CVE: all are technique coverage, none matches a CVE
    // exposure on the host, and none leaks command output.
    let cands = [Candidate {
        exposure_id: "e1",
        asset_names: vec!["target-pc".into()],
        weakness_ids: vec!["CVE-2021-44228".into(), "T1005".into()],
    }];
    let m = match_results(&f, &cands);
    assert_eq!(
        m.records.len(),
        3,
        "the T1005 steps match an exposure that lists the technique"
    );
    assert!(f.results.iter().all(|r| {
        !r.evidence
            .as_deref()
            .unwrap_or("")
            .contains("credentials.yml")
    }));
}

#[test]
fn event_logs() {
    let Some(dir) = fixtures() else { return };
    let bytes = std::fs::read(dir.join("sample_operation_event_logs.json")).expect("read fixture");
    let f = parse(&bytes, "events.json", "", "").expect("valid logs");
    assert_eq!(f.results.len(), 5);
    assert!(
        f.results
            .iter()
            .all(|r| r.asset == "WORKSTATION1" && r.state == ValidationState::Exploitable)
    );
    assert_eq!(f.results[0].weakness, "T1005");
    assert_eq!(f.results[0].at, 1_614_081_014, "2021-02-23T11:50:14Z");
}

#[test]
fn broken_caldera_input_is_named() {
    let e = parse(b"{\"steps\": {\"x\": {\"steps\": [{\"status\": 0, \"run\": \"never\"}]}}, \"host_group\": []}", "op.json", "", "")
        .expect_err("bad time");
    assert!(e.to_string().starts_with("op.json: record 1:"), "{e}");
    let e = parse(b"{\"steps\": {}", "op.json", "", "").expect_err("truncated");
    assert!(e.to_string().starts_with("op.json: line 1"), "{e}");
    let e = parse(b"[{\"x\": 1}]", "list.json", "", "").expect_err("unknown list");
    assert!(
        e.to_string().contains("not a ctem-validation/1 file"),
        "{e}"
    );
}
