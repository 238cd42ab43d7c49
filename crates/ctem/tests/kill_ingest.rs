//! Killing `ctem` with SIGKILL in the middle of an ingest leaves the
//! workspace exactly as it was before that ingest.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn sigkill_mid_ingest_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = dir.path();
    assert!(ctem(ws, &["init"]).status.success());

    // Some state before: a small report already ingested.
    let small = ws.join("small.json");
    let mut f = std::fs::File::create(&small).expect("create report");
    ctem_demo::write_trivy_report(1, 200, &mut f).expect("write small report");
    drop(f);
    let o = ctem(ws, &["ingest", small.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));

    let before = ctem_store::Store::open(&ws.join("ctem.db"))
        .and_then(|s| s.state_digest())
        .expect("digest before");

    // A report big enough that the ingest is still writing when killed.
    let big = ws.join("big.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).expect("create report"));
    ctem_demo::write_trivy_report(2, 200_000, &mut f).expect("write big report");
    drop(f);

    let mut child = Command::new(env!("CARGO_BIN_EXE_ctem"))
        .arg("--workspace")
        .arg(ws)
        .args(["--progress", "lines", "ingest"])
        .arg(&big)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn ctem");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    // Wait until it has written findings, then kill it mid-transaction.
    let mut saw_progress = false;
    for line in lines.by_ref() {
        let line = line.expect("stderr line");
        if line.contains("findings written") {
            saw_progress = true;
            break;
        }
    }
    assert!(saw_progress, "ingest reported progress before finishing");
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "the ingest was killed, not finished");

    let after = ctem_store::Store::open(&ws.join("ctem.db"))
        .and_then(|s| s.state_digest())
        .expect("digest after");
    assert_eq!(
        before, after,
        "the workspace is exactly as before the ingest"
    );
    let o = ctem(ws, &["audit", "verify"]);
    assert!(o.status.success(), "{}", stdout(&o));

    // And the same report ingests completely afterwards.
    let o = ctem(
        ws,
        &["ingest", big.to_str().expect("utf-8"), "--output", "json"],
    );
    let v = json(&o);
    assert_eq!(v[0]["findings"].as_u64(), Some(200_000));
}

#[test]
fn malformed_report_writes_nothing_and_names_the_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = dir.path();
    assert!(ctem(ws, &["init"]).status.success());
    let before = ctem_store::Store::open(&ws.join("ctem.db"))
        .and_then(|s| s.state_digest())
        .expect("digest");
    let mut buf = Vec::new();
    ctem_demo::write_trivy_report(3, 50, &mut buf).expect("write report");
    buf.truncate(buf.len() / 2);
    let bad = ws.join("cut.json");
    std::fs::write(&bad, &buf).expect("write truncated");
    let o = ctem(ws, &["ingest", bad.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(err.contains("cut.json") && err.contains("line"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let after = ctem_store::Store::open(&ws.join("ctem.db"))
        .and_then(|s| s.state_digest())
        .expect("digest");
    assert_eq!(before, after);
}
