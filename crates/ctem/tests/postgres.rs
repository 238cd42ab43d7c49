//! Team deployments: the whole loop on PostgreSQL, and two `ctem serve`
//! processes sharing one database without losing each other's updates.
//!
//! These run when `CTEM_TEST_POSTGRES_URL` names a PostgreSQL database
//! (`.ci/run` sets it); without it they print that they were skipped. Each
//! test works in a schema of its own (`?schema=`), dropped at the end.

mod common;

use common::{ctem, json, stderr, stdout};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ctem_store::testing::{self, TestSchema};

/// The database URL in a fresh schema of this test's own (dropped with the
/// returned guard), or `None` (said) when PostgreSQL tests are not enabled.
fn postgres(test: &str) -> Option<(String, TestSchema)> {
    let url = testing::postgres_url(test)?;
    let schema = TestSchema::new(&url, &format!("ctem_{test}_{}", std::process::id()));
    Some((schema.location(), schema))
}

fn funnel(v: &serde_json::Value) -> Vec<(String, i64)> {
    v["funnel"]["stages"]
        .as_array()
        .or_else(|| v["funnel"].as_array())
        .expect("funnel stages")
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap_or_default().to_string(),
                s["count"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

#[test]
fn the_demo_on_postgresql_gives_the_same_answers_as_on_sqlite() {
    let Some((url, _schema)) = postgres("demo") else {
        return;
    };
    let lite = tempfile::tempdir().expect("dir");
    let pg = tempfile::tempdir().expect("dir");
    let on_sqlite = json(&ctem(lite.path(), &["--output", "json", "demo"]));
    let on_postgres = json(&ctem(
        pg.path(),
        &["--database", &url, "--output", "json", "demo"],
    ));
    assert_eq!(funnel(&on_postgres), funnel(&on_sqlite));
    assert_eq!(
        funnel(&on_postgres)
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>(),
        vec![1382, 294, 42, 12, 8]
    );
    let ids = |v: &serde_json::Value| -> Vec<String> {
        let list = v["final"]
            .as_array()
            .or_else(|| v["exposures"].as_array())
            .cloned()
            .unwrap_or_default();
        let mut ids: Vec<String> = list
            .iter()
            .map(|e| {
                e["exposure_id"]
                    .as_str()
                    .or_else(|| e["id"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&on_postgres), ids(&on_sqlite));
    assert_eq!(ids(&on_postgres).len(), 8);

    // The demo's workspace folder holds the scope; its store is PostgreSQL.
    let ws = on_postgres["workspace"]
        .as_str()
        .map(std::path::PathBuf::from)
        .expect("the demo names its workspace");
    let audit = json(&ctem(
        &ws,
        &["--database", &url, "--output", "json", "audit", "verify"],
    ));
    assert!(audit["problem"].is_null(), "{audit}");
    assert!(audit["entries"].as_i64().unwrap_or(0) > 100, "{audit}");
    let id = &ids(&on_postgres)[0];
    let explained = ctem(&ws, &["--database", &url, "explain", &id[..12]]);
    assert!(explained.status.success(), "{}", stderr(&explained));
    assert!(stdout(&explained).contains("P1") || stdout(&explained).contains("P2"));
    // Without --database the same folder has no data: nothing leaked into
    // a SQLite file on the way.
    assert!(!ws.join("ctem.db").exists());
}

/// A running `ctem serve`.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(ws: &Path, url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ctem"))
        .arg("--workspace")
        .arg(ws)
        .args(["--database", url, "serve", "--listen", "127.0.0.1:0"])
        .env_remove("CTEM_WORKSPACE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ctem serve starts");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("http://").nth(1) {
                let addr = rest.split('/').next().unwrap_or_default().to_string();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("ctem serve announces its address");
    Server {
        child,
        addr: addr.parse().expect("an address"),
    }
}

/// One HTTP/1.1 request; returns the status and body.
fn http(addr: SocketAddr, method: &str, path: &str, token: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(body).expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A report from scanner `i`: the shared host's Log4Shell, which every
/// scanner reports, and one finding of its own on its own host.
fn report(i: usize) -> String {
    serde_json::json!({
        "format": "ctem-findings/1",
        "tool": format!("scanner-{i:02}"),
        "findings": [
            {
                "asset": {"hostname": "shared-01", "fqdn": "shared-01.corp.example"},
                "weakness": "CVE-2021-44228", "kind": "cve",
                "title": "Log4Shell", "severity": "critical",
                "tool": format!("scanner-{i:02}")
            },
            {
                "asset": {"hostname": format!("own-{i:02}")},
                "weakness": format!("CVE-2020-{:04}", 1000 + i), "kind": "cve",
                "title": "own finding", "severity": "high",
                "tool": format!("scanner-{i:02}")
            }
        ]
    })
    .to_string()
}

#[test]
fn two_servers_on_one_database_lose_no_update() {
    let Some((url, _schema)) = postgres("two_serve") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let ws = dir.path();
    let init = ctem(ws, &["--database", &url, "init"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let created = json(&ctem(
        ws,
        &[
            "--database",
            &url,
            "--output",
            "json",
            "token",
            "create",
            "--role",
            "analyst",
            "--name",
            "pipeline",
        ],
    ));
    let token = created["token"].as_str().expect("a token").to_string();

    let a = serve(ws, &url);
    let b = serve(ws, &url);

    // 24 pipelines upload at once, half to each server; each upload is an
    // import plus a re-prioritisation, both read-modify-write.
    const N: usize = 24;
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let addr = if i % 2 == 0 { a.addr } else { b.addr };
            let token = token.clone();
            std::thread::spawn(move || {
                let path = format!("/api/v1/imports?filename=scan-{i:02}.json");
                http(addr, "POST", &path, &token, report(i).as_bytes())
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let (status, body) = h.join().expect("upload thread");
        assert_eq!(status, 201, "upload {i}: {body}");
    }

    // Every import is recorded, by either server.
    let (status, body) = http(a.addr, "GET", "/api/v1/imports", &token, b"");
    assert_eq!(status, 200, "{body}");
    let imports: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(imports["imports"].as_array().map(Vec::len), Some(N));

    // Nothing was lost: the shared exposure carries every scanner's
    // evidence, and every scanner's own finding is an exposure.
    drop(a);
    drop(b);
    let list = json(&ctem(
        ws,
        &[
            "--database",
            &url,
            "--output",
            "json",
            "report",
            "exposures",
        ],
    ));
    let rows = list["exposures"]
        .as_array()
        .or_else(|| list.as_array())
        .cloned()
        .expect("exposure list");
    assert_eq!(rows.len(), N + 1, "{list}");
    let shared = rows
        .iter()
        .find(|r| r.to_string().contains("CVE-2021-44228"))
        .expect("the shared exposure");
    let id = shared["exposure_id"]
        .as_str()
        .or_else(|| shared["id"].as_str())
        .expect("id");
    let explained = json(&ctem(
        ws,
        &["--database", &url, "--output", "json", "explain", id],
    ));
    let text = explained.to_string();
    for i in 0..N {
        assert!(
            text.contains(&format!("scanner-{i:02}")),
            "scanner-{i:02}'s evidence is missing from {text}"
        );
    }
    // And the audit chain is one unbroken chain: no fork, no gap.
    let audit = json(&ctem(
        ws,
        &["--database", &url, "--output", "json", "audit", "verify"],
    ));
    assert!(audit["problem"].is_null(), "{audit}");
    let log = json(&ctem(
        ws,
        &[
            "--database",
            &url,
            "--output",
            "json",
            "audit",
            "log",
            "--limit",
            "100000",
        ],
    ));
    let imports_audited = log
        .as_array()
        .or_else(|| log["entries"].as_array())
        .map(|l| l.iter().filter(|e| e["action"] == "import").count())
        .unwrap_or(0);
    assert_eq!(imports_audited, N, "one import entry per upload");
}
