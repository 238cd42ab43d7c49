//! Mobilisation through the real binary: risk acceptance and its expiry
//! (moving the clock with `CTEM_NOW`), KPIs, exports, the executive report
//! and the evidence pack with its SHA-256 manifest, including tampering.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

fn ctem_at(ws: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ctem"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env("CTEM_NOW", now)
        // Tests do not depend on a browser being installed.
        .env("CTEM_CHROMIUM", "/nonexistent/chromium")
        .env_remove("CTEM_WORKSPACE")
        .output()
        .expect("the ctem binary runs")
}

fn demo(dir: &Path) -> serde_json::Value {
    json(&ctem_at(
        dir,
        "2026-11-27T12:00:00Z",
        &[
            "demo",
            "--dir",
            dir.to_str().expect("utf-8"),
            "--seed",
            "3",
            "--output",
            "json",
        ],
    ))
}

#[test]
fn acceptance_leaves_the_queue_and_expiry_reopens_with_a_new_sla() {
    let d = tempfile::tempdir().expect("dir");
    let ws = d.path();
    demo(ws);
    let now = "2026-11-27T12:00:00Z";
    let m = json(&ctem_at(ws, now, &["mobilise", "--output", "json"]));
    let id = m["validated"][0]["exposure_id"]
        .as_str()
        .expect("a validated exposure")
        .to_string();

    // Bad input is refused with a clear message and exit code 3.
    let o = ctem_at(
        ws,
        now,
        &[
            "accept",
            &id,
            "--approver",
            "CISO",
            "--justification",
            "vendor fix due next sprint",
            "--expires",
            "2026-11-01",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("not in the future"), "{}", stderr(&o));
    let o = ctem_at(
        ws,
        now,
        &[
            "accept",
            &id,
            "--approver",
            "CISO",
            "--justification",
            "vendor fix due next sprint",
            "--expires",
            "next week",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("YYYY-MM-DD"), "{}", stderr(&o));

    let a = json(&ctem_at(
        ws,
        now,
        &[
            "accept",
            &id[..10],
            "--approver",
            "CISO <ciso@atlantica.example>",
            "--justification",
            "vendor fix due next sprint",
            "--control",
            "WAF rule 9431",
            "--expires",
            "2026-12-27",
            "--output",
            "json",
        ],
    ));
    assert_eq!(a["exposure"], id.as_str());
    json(&ctem_at(
        ws,
        "2026-12-01T00:00:00Z",
        &["prioritise", "--output", "json"],
    ));
    let m = json(&ctem_at(
        ws,
        "2026-12-01T00:00:00Z",
        &["mobilise", "--output", "json"],
    ));
    assert!(
        m["validated"]
            .as_array()
            .expect("list")
            .iter()
            .all(|r| r["exposure_id"] != id.as_str()),
        "an accepted exposure is not in the queue"
    );
    let l = json(&ctem_at(
        ws,
        "2026-12-01T00:00:00Z",
        &["acceptances", "list", "--output", "json"],
    ));
    let mine = l
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["exposure_id"] == id.as_str())
        .expect("listed")
        .clone();
    assert_eq!(mine["state"], "active");
    assert_eq!(mine["control"], "WAF rule 9431");

    // After expiry the next prioritisation reopens it with a new SLA clock.
    let later = "2026-12-28T09:00:00Z";
    json(&ctem_at(ws, later, &["prioritise", "--output", "json"]));
    let e = json(&ctem_at(ws, later, &["explain", &id, "--output", "json"]));
    assert_eq!(e["exposure"]["status"], "open");
    let since = e["decision"]["tier_since"].as_i64().expect("tier_since");
    assert_eq!(
        since,
        ctem_model::parse_time(later).expect("time"),
        "the SLA restarted at the expiry"
    );
    let sla = e["decision"]["sla_days"].as_i64().expect("sla");
    assert_eq!(e["decision"]["due"].as_i64(), Some(since + sla * 86_400));
    let l = json(&ctem_at(
        ws,
        later,
        &["acceptances", "list", "--output", "json"],
    ));
    let mine = l
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["exposure_id"] == id.as_str())
        .expect("listed")
        .clone();
    assert_eq!(mine["state"], "expired");
    let log = stdout(&ctem_at(ws, later, &["audit", "log", "--limit", "5000"]));
    assert!(log.contains("acceptance.expired"), "audited");
    assert!(ctem_at(ws, later, &["audit", "verify"]).status.success());

    // KPIs and exports read the same history.
    let k = json(&ctem_at(ws, later, &["kpi", "--output", "json"]));
    assert!(
        k["overall"]["population"].as_u64().is_some_and(|n| n > 0),
        "{k}"
    );
    assert_eq!(k["trend"].as_array().map(Vec::len), Some(4));
    let csv = stdout(&ctem_at(ws, later, &["export", "acceptances"]));
    assert!(
        csv.starts_with("id,exposure,asset,weakness,approver"),
        "{csv}"
    );
    assert!(csv.contains("expired"), "{csv}");
}

/// Maps each entry's name and bytes to its new bytes, or `None` to drop it.
type Change<'a> = &'a dyn Fn(&str, Vec<u8>) -> Option<Vec<u8>>;

fn rewrite_zip(src: &Path, dst: &Path, change: Change<'_>) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(src).expect("open")).expect("zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).expect("create"));
    for i in 0..z.len() {
        let mut f = z.by_index(i).expect("entry");
        let name = f.name().to_string();
        let mut b = Vec::new();
        f.read_to_end(&mut b).expect("read");
        if let Some(b) = change(&name, b) {
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(&b).expect("write");
        }
    }
    w.finish().expect("finish");
}

#[test]
fn demo_writes_readable_reports_and_a_verifiable_evidence_pack() {
    let d = tempfile::tempdir().expect("dir");
    let ws = d.path();
    let out = demo(ws);
    let mob = &out["mobilisation"];
    let html = std::fs::read_to_string(mob["executive"]["html"].as_str().expect("html"))
        .expect("read html");
    for part in [
        "At a glance",
        "KPI trend by quarter",
        "Ageing beyond SLA",
        "Top remediation actions",
        "Attack paths to crown jewels",
        "<svg",
    ] {
        assert!(html.contains(part), "executive report has {part}");
    }
    assert!(!html.contains("<script"), "no scripts in the report");
    assert!(
        mob["executive"]["pdf_skipped"]
            .as_str()
            .is_some_and(|s| s.contains("Chromium")),
        "{mob}"
    );

    let now = "2026-11-27T12:00:00Z";
    for fw in ["nis2", "dora", "ens", "iso27001"] {
        let pack = ws.join(format!("{fw}.zip"));
        let s = json(&ctem_at(
            ws,
            now,
            &[
                "evidence",
                "--framework",
                fw,
                "--out",
                pack.to_str().expect("utf-8"),
                "--output",
                "json",
            ],
        ));
        assert_eq!(s["audit_intact"], true);
        let v = json(&ctem_at(
            ws,
            now,
            &[
                "evidence",
                "--verify",
                pack.to_str().expect("utf-8"),
                "--output",
                "json",
            ],
        ));
        assert_eq!(v["intact"], true, "{v}");
    }
    // The manifest: every file but itself, with its SHA-256; the clause map
    // names each framework's own clauses.
    let pack = ws.join("dora.zip");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&pack).expect("open")).expect("zip");
    let mut manifest = String::new();
    z.by_name("MANIFEST.sha256")
        .expect("manifest")
        .read_to_string(&mut manifest)
        .expect("read");
    let names: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.split_once("  ").map(|x| x.1))
        .collect();
    assert_eq!(names.len(), z.len() - 1);
    for n in &names {
        let mut b = Vec::new();
        z.by_name(n)
            .expect("listed file")
            .read_to_end(&mut b)
            .expect("read");
        let hex: String = <sha2::Sha256 as sha2::Digest>::digest(&b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect();
        assert!(manifest.contains(&format!("{hex}  {n}")), "{n}");
    }
    let mut map = String::new();
    z.by_name("clause-map.csv")
        .expect("map")
        .read_to_string(&mut map)
        .expect("read");
    assert!(
        map.contains("RTS-RMF Art 10(2)(a),(b),(f),(h)")
            && map.contains("03-exposure-register.csv"),
        "{map}"
    );
    let mut reg = String::new();
    z.by_name("03-exposure-register.csv")
        .expect("register")
        .read_to_string(&mut reg)
        .expect("read");
    assert!(
        reg.lines()
            .next()
            .is_some_and(|h| h.contains("policy_rule") && h.contains("factors"))
    );

    // Tampering: an edited file, a removed file and an added file are named.
    let edited = ws.join("edited.zip");
    rewrite_zip(&pack, &edited, &|n, b| {
        Some(if n == "06-risk-acceptances.csv" {
            b"id\n".to_vec()
        } else {
            b
        })
    });
    let o = ctem_at(
        ws,
        now,
        &["evidence", "--verify", edited.to_str().expect("utf-8")],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stdout(&o).contains("06-risk-acceptances.csv was modified"),
        "{}",
        stdout(&o)
    );
    let removed = ws.join("removed.zip");
    rewrite_zip(&pack, &removed, &|n, b| {
        (n != "08-audit-log.jsonl").then_some(b)
    });
    let o = ctem_at(
        ws,
        now,
        &["evidence", "--verify", removed.to_str().expect("utf-8")],
    );
    assert!(
        stdout(&o).contains("08-audit-log.jsonl is listed in the manifest but missing"),
        "{}",
        stdout(&o)
    );
    let o = ctem_at(
        ws,
        now,
        &[
            "evidence",
            "--verify",
            ws.join("ctem.toml").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("not a readable zip file"),
        "{}",
        stderr(&o)
    );
    let o = ctem_at(
        ws,
        now,
        &["evidence", "--framework", "sox", "--out", "x.zip"],
    );
    assert_eq!(o.status.code(), Some(2));
}
