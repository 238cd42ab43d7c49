//! Closure verification end to end, on loopback only: an exposure marked
//! fixed reopens when a re-probe still sees the vulnerable version, and
//! closes when the banner shows the fixed one.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const SCOPE: &str = r#"
[organisation]
name = "Probe test"

[owners.ops]
name = "Ops"

[[services]]
id = "web"
name = "Web"
owner = "ops"
criticality = 3
crown_jewel = true
[[services.assets]]
cidr = ["127.0.0.0/8"]

[probes]
allow = { cidr = ["127.0.0.0/8"] }
rate_per_second = 50
timeout_ms = 2000
"#;

fn server(banner: Arc<Mutex<&'static str>>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s = s;
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let b = *banner.lock().expect("lock");
            let _ = s.write_all(
                format!("HTTP/1.1 200 OK\r\nServer: {b}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
            );
        }
    });
    port
}

fn status(ws: &std::path::Path) -> String {
    let store = ctem_store::Store::open(&ws.join("ctem.db")).expect("store");
    let rows = store.exposures(false).expect("rows");
    assert_eq!(rows.len(), 1);
    rows[0].exposure.status.as_str().to_string()
}

#[test]
fn re_probe_reopens_then_closes_a_fixed_exposure() {
    let banner = Arc::new(Mutex::new("Apache/2.4.49 (Unix)"));
    let port = server(banner.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = dir.path();
    std::fs::write(ws.join("ctem.toml"), SCOPE).expect("scope");
    let findings = format!(
        r#"{{"format": "ctem-findings/1", "tool": "scanner",
  "findings": [{{"asset": {{"hostname": "web-01", "ip": "127.0.0.1"}},
    "weakness": "CVE-2021-41773", "kind": "cve", "title": "Apache path traversal",
    "severity": "critical", "component": {{"name": "apache httpd", "version": "2.4.49"}},
    "port": {port}, "protocol": "tcp"}}]}}"#
    );
    std::fs::write(ws.join("findings.json"), findings).expect("findings");
    let o = ctem(
        ws,
        &["ingest", ws.join("findings.json").to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // A dry run lists the endpoint and contacts nothing.
    let plan = json(&ctem(
        ws,
        &["validate", "--probe", "--dry-run", "--output", "json"],
    ));
    assert_eq!(plan["plan"][0]["host"], "127.0.0.1");
    assert_eq!(plan["plan"][0]["allowed"], true);
    assert!(plan["outcomes"].as_array().is_some_and(Vec::is_empty));

    let id = {
        let store = ctem_store::Store::open(&ws.join("ctem.db")).expect("store");
        store.exposures(true).expect("rows")[0].exposure.id.clone()
    };
    let o = ctem(ws, &["fixed", &id, "--note", "upgraded httpd"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(status(ws), "fix_pending");

    // The server still announces the vulnerable version: reopened.
    let run = json(&ctem(ws, &["validate", "--probe", "--output", "json"]));
    assert_eq!(run["findings"][0]["closure"], "reopened", "{run}");
    assert_eq!(status(ws), "open");
    let store = ctem_store::Store::open(&ws.join("ctem.db")).expect("store");
    let claims = store.fix_claims().expect("claims");
    assert_eq!(claims[0].outcome, "failed");
    assert!(
        claims[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("announces the vulnerable version 2.4.49")),
        "{claims:?}"
    );
    drop(store);

    // Patched: the banner shows 2.4.51, the claim is verified and closed.
    *banner.lock().expect("lock") = "Apache/2.4.51 (Unix)";
    assert!(ctem(ws, &["fixed", &id]).status.success());
    let run = json(&ctem(ws, &["validate", "--probe", "--output", "json"]));
    assert_eq!(run["findings"][0]["closure"], "closed", "{run}");
    assert_eq!(run["findings"][0]["recorded"], "not_exploitable");
    assert_eq!(status(ws), "resolved");
    let o = ctem(ws, &["audit", "verify"]);
    assert!(o.status.success(), "{}", stdout(&o));
}
