//! `ctem feeds update` over HTTP against a local server on 127.0.0.1 that
//! serves the real KEV and EPSS copies of `$CTEM_FIXTURES`: a first
//! download (200), a conditional one (304), truncated and broken bodies
//! (rejected, the previous snapshot in force), and re-prioritisation when a
//! new KEV snapshot moves an exposure ("added to KEV on …: P4 → P1").

mod common;
use common::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
enum Route {
    /// A complete 200 with this body and ETag (304 when the ETag matches).
    Ok { body: Vec<u8>, etag: String },
    /// Declares the whole length but sends only the first `sent` bytes,
    /// then closes the connection.
    Cut { body: Vec<u8>, sent: usize },
}

type Routes = Arc<Mutex<HashMap<String, Route>>>;

/// A minimal HTTP/1.1 server on 127.0.0.1; one request per connection.
fn serve(routes: Routes) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut inm = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("if-none-match")
                {
                    inm = Some(v.trim().to_string());
                }
            }
            let route = routes.lock().map(|r| r.get(&path).cloned()).ok().flatten();
            let _ = match route {
                None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                Some(Route::Ok { etag, .. }) if inm.as_deref() == Some(etag.as_str()) => stream.write_all(
                    format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n").as_bytes(),
                ),
                Some(Route::Ok { body, etag }) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nLast-Modified: Thu, 07 Aug 2026 16:45:47 GMT\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(&body)),
                Some(Route::Cut { body, sent }) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"cut\"\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(&body[..sent])),
            };
            let _ = stream.flush();
        }
    });
    port
}

fn fixtures() -> Option<PathBuf> {
    let Some(v) = std::env::var_os("CTEM_FIXTURES") else {
        eprintln!("skipped: CTEM_FIXTURES not set");
        return None;
    };
    let given = PathBuf::from(v);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = [given.clone(), root.join(&given)]
        .into_iter()
        .find(|p| p.is_dir());
    match found {
        Some(p) => Some(p),
        None => panic!("CTEM_FIXTURES={} is not a directory", given.display()),
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn workspace(port: u16) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = ctem(dir.path(), &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scope = dir.path().join("ctem.toml");
    let mut text = std::fs::read_to_string(&scope).expect("scope");
    text.push_str(&format!(
        "\n[feeds]\nkev_url = \"http://127.0.0.1:{port}/kev.json\"\nepss_url = \"http://127.0.0.1:{port}/epss.csv.gz\"\ntimeout_seconds = 30\n"
    ));
    std::fs::write(&scope, text).expect("write scope");
    dir
}

fn status(ws: &Path) -> serde_json::Value {
    json(&ctem(ws, &["feeds", "status", "--output", "json"]))
}

#[test]
fn downloads_then_not_modified_then_rejects_truncated_and_broken_feeds() {
    let Some(fx) = fixtures() else { return };
    let kev = read(&fx.join("kev/known_exploited_vulnerabilities.json"));
    let epss = read(&fx.join("epss/epss_scores-2026-01-30.csv.gz"));
    let routes: Routes = Arc::default();
    {
        let mut r = routes.lock().expect("lock");
        r.insert(
            "/kev.json".into(),
            Route::Ok {
                body: kev.clone(),
                etag: "\"kev-1\"".into(),
            },
        );
        r.insert(
            "/epss.csv.gz".into(),
            Route::Ok {
                body: epss.clone(),
                etag: "\"epss-1\"".into(),
            },
        );
    }
    let port = serve(routes.clone());
    let ws = workspace(port);

    // 200: both feeds become snapshots and are cached in feeds/.
    let first = json(&ctem(ws.path(), &["feeds", "update", "--output", "json"]));
    let d = first["downloads"].as_array().expect("downloads");
    assert_eq!(d.len(), 2);
    for x in d {
        assert_eq!(x["outcome"], "new snapshot", "{x}");
        assert_eq!(x["http_status"], 200);
    }
    assert_eq!(d[0]["loaded"]["version"], "2026.08.07");
    assert_eq!(d[0]["loaded"]["rows"], 1662);
    assert_eq!(d[1]["loaded"]["version"], "v2025.03.14");
    assert_eq!(d[1]["loaded"]["rows"], 313_089);
    assert_eq!(read(&ws.path().join("feeds/kev.json")), kev);
    assert_eq!(read(&ws.path().join("feeds/epss.csv.gz")), epss);
    let s = status(ws.path());
    let kev_snapshot = s[0]["snapshot"]["id"].clone();
    let epss_snapshot = s[1]["snapshot"]["id"].clone();

    // 304: the conditional request keeps the snapshots and records the check.
    let second = json(&ctem(ws.path(), &["feeds", "update", "--output", "json"]));
    for x in second["downloads"].as_array().expect("downloads") {
        assert_eq!(x["outcome"], "not modified", "{x}");
        assert_eq!(x["http_status"], 304);
    }
    let s = status(ws.path());
    assert_eq!(s[0]["snapshot"]["id"], kev_snapshot);
    assert_eq!(s[0]["last_check"]["outcome"], "not modified");
    assert_eq!(s[0]["last_check"]["http_status"], 304);

    // A body cut short (Content-Length not reached), a complete response
    // whose JSON is truncated, and a truncated gzip: all rejected, exit 3,
    // the previous snapshots and the cache stay.
    {
        let mut r = routes.lock().expect("lock");
        r.insert(
            "/kev.json".into(),
            Route::Cut {
                body: kev.clone(),
                sent: kev.len() / 2,
            },
        );
        r.insert(
            "/epss.csv.gz".into(),
            Route::Ok {
                body: epss[..epss.len() / 3].to_vec(),
                etag: "\"epss-2\"".into(),
            },
        );
    }
    let o = ctem(ws.path(), &["feeds", "update"]);
    assert_eq!(o.status.code(), Some(3), "{}\n{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("2 of 2 feed downloads rejected"), "{err}");
    assert!(err.contains("truncated"), "{err}");
    assert!(
        err.contains("the previous snapshot stays in force"),
        "{err}"
    );
    let s = status(ws.path());
    assert_eq!(s[0]["snapshot"]["id"], kev_snapshot);
    assert_eq!(s[1]["snapshot"]["id"], epss_snapshot);
    assert_eq!(s[0]["last_check"]["outcome"], "rejected");
    assert_eq!(read(&ws.path().join("feeds/kev.json")), kev);
    assert!(!ws.path().join("feeds/epss.csv.gz.part").exists());

    {
        let mut r = routes.lock().expect("lock");
        r.insert(
            "/kev.json".into(),
            Route::Ok {
                body: kev[..kev.len() - 200].to_vec(),
                etag: "\"kev-2\"".into(),
            },
        );
    }
    let o = ctem(ws.path(), &["feeds", "update"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("http://127.0.0.1"), "{}", stderr(&o));
    assert_eq!(status(ws.path())[0]["snapshot"]["id"], kev_snapshot);
}

#[test]
fn a_new_kev_snapshot_reprioritises_and_names_the_addition() {
    let Some(fx) = fixtures() else { return };
    let old = fx.join("kev/official_cisagov_kev-data/known_exploited_vulnerabilities.json");
    let new = read(&fx.join("kev/known_exploited_vulnerabilities.json"));
    let routes: Routes = Arc::default();
    routes.lock().expect("lock").insert(
        "/kev.json".into(),
        Route::Ok {
            body: new,
            etag: "\"2026\"".into(),
        },
    );
    let port = serve(routes);
    let ws = workspace(port);
    // Only KEV is downloaded here.
    let scope = ws.path().join("ctem.toml");
    let text = std::fs::read_to_string(&scope).expect("scope");
    std::fs::write(
        &scope,
        text.replace(
            &format!("epss_url = \"http://127.0.0.1:{port}/epss.csv.gz\""),
            "epss_url = \"\"",
        ),
    )
    .expect("write");

    // CVE-2025-54068 joined KEV on 2026-03-20: absent from the 2025-08-25
    // catalogue, present in the 2026-08-07 one.
    let report = ws.path().join("findings.csv");
    std::fs::write(
        &report,
        "tool,asset_hostname,asset_ip,weakness,title,severity,cvss_vector,port\n\
         acme,shop-01.example.com,10.0.10.5,CVE-2025-54068,Livewire remote code execution,medium,CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N,443\n",
    )
    .expect("report");
    let o = ctem(ws.path(), &["ingest", report.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ctem(
        ws.path(),
        &["feeds", "update", "--from", old.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let p = json(&ctem(ws.path(), &["prioritise", "--output", "json"]));
    assert_eq!(p["tiers"][3], serde_json::json!(["P4", 1]), "{p}");

    let o = ctem(ws.path(), &["feeds", "update"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("KEV snapshot 2026.08.07"), "{out}");
    assert!(out.contains("1 exposures changed tier"), "{out}");
    assert!(
        out.contains("CVE-2025-54068 on shop-01.example.com: P4 → P1 because added to KEV on 2026-03-20 (CISA KEV 2026.08.07)"),
        "{out}"
    );

    // The audit log records the check and the decision with its reason.
    let log = json(&ctem(ws.path(), &["audit", "log", "--output", "json"]));
    let entries = log.as_array().expect("log");
    assert!(entries.iter().any(|e| e["action"] == "feed.checked"));
    assert!(entries.iter().any(|e| {
        e["action"] == "decision"
            && e["detail"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("added to KEV on 2026-03-20"))
    }));
}

#[test]
fn a_changed_policy_is_audited_and_named_as_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(ctem(dir.path(), &["init"]).status.success());
    let report = dir.path().join("findings.csv");
    std::fs::write(
        &report,
        "tool,asset_hostname,asset_ip,weakness,title,severity,cvss_vector,port\n\
         acme,shop-01.example.com,10.0.10.5,CVE-2024-0001,Remote flaw,high,CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H,443\n",
    )
    .expect("report");
    assert!(
        ctem(dir.path(), &["ingest", report.to_str().expect("utf-8")])
            .status
            .success()
    );
    let first = json(&ctem(dir.path(), &["prioritise", "--output", "json"]));
    assert!(first["policy_change"].is_null());
    // A policy that sends SSVC Attend or higher to P2.
    let scope = dir.path().join("ctem.toml");
    let mut text = std::fs::read_to_string(&scope).expect("scope");
    text.push_str(
        "\n[policy]\nversion = \"2026.1\"\n\n[[policy.rules]]\nname = \"ssvc attend\"\ntier = \"P2\"\nall = [\"ssvc_attend\"]\n",
    );
    std::fs::write(&scope, text).expect("write");
    let o = ctem(dir.path(), &["prioritise"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("policy changed since the last run: default-1 → 2026.1"),
        "{out}"
    );
    assert!(
        out.contains("rule added: \"ssvc attend\" at position 1"),
        "{out}"
    );
    assert!(
        out.contains("P3 → P2 because policy default-1 → 2026.1"),
        "{out}"
    );
    let log = json(&ctem(dir.path(), &["audit", "log", "--output", "json"]));
    let changed = log
        .as_array()
        .expect("log")
        .iter()
        .find(|e| e["action"] == "policy.changed")
        .expect("policy.changed entry");
    assert_eq!(changed["detail"]["old_version"], "default-1");
    assert_eq!(changed["detail"]["new_version"], "2026.1");
}
