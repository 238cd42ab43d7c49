//! `ctem tickets sync` through the real binary against a local fake GitHub
//! (127.0.0.1): one issue per action, nothing new on a rerun, an issue IT
//! closes marks its exposures fix-pending, and the token never shows.

mod common;
#[allow(dead_code, clippy::all)]
#[path = "../../ctem-ticket/tests/common/mod.rs"]
mod fakes;
use common::*;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "ghp_fake_but_secret_0123456789";

fn run(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ctem"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env("CTEM_NOW", "2026-11-27T12:00:00Z")
        .env("CTEM_CHROMIUM", "/nonexistent/chromium")
        .env("CTEM_GH_CLAIMS_TOKEN", TOKEN)
        .env_remove("CTEM_WORKSPACE")
        .env_remove("CTEM_SECRETS_FILE")
        .output()
        .expect("the ctem binary runs")
}

#[test]
fn tickets_sync_is_idempotent_and_two_way() {
    let d = tempfile::tempdir().expect("dir");
    let ws = d.path();
    json(&run(
        ws,
        &[
            "demo",
            "--dir",
            ws.to_str().expect("utf-8"),
            "--seed",
            "3",
            "--output",
            "json",
        ],
    ));
    let world: fakes::Shared = Arc::new(Mutex::new(fakes::World {
        expect_auth: format!("Bearer {TOKEN}"),
        ..fakes::World::default()
    }));
    let server = fakes::tracker(world.clone(), "authorization", fakes::github_routes);
    let mut scope = std::fs::read_to_string(ws.join("ctem.toml")).expect("scope");
    scope.push_str(&format!(
        "\n[[trackers]]\nname = \"gh-claims\"\nsystem = \"github\"\nurl = \"{}\"\nproject = \"atlantica/claims\"\nmin_tier = \"P2\"\n",
        server.url
    ));
    std::fs::write(ws.join("ctem.toml"), scope).expect("write scope");

    let first = json(&run(ws, &["tickets", "sync", "--output", "json"]));
    let items = first[0]["items"].as_array().expect("items").clone();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["op"] == "created"), "{first}");
    let created = world.lock().expect("world").issues.len();
    assert_eq!(created, items.len(), "one issue per P1/P2 action");

    let again = json(&run(ws, &["tickets", "sync", "--output", "json"]));
    assert!(
        again[0]["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["op"] == "unchanged"),
        "{again}"
    );
    assert_eq!(
        world.lock().expect("world").issues.len(),
        created,
        "no duplicate on rerun"
    );

    world.lock().expect("world").issues[0].closed = true;
    let o = run(ws, &["tickets", "sync", "--output", "json"]);
    let third = json(&o);
    assert_eq!(third[0]["items"][0]["op"], "closed_remotely", "{third}");
    assert!(
        third[0]["fix_pending"].as_u64().is_some_and(|n| n > 0),
        "{third}"
    );
    let list = json(&run(ws, &["tickets", "list", "--output", "json"]));
    assert_eq!(list.as_array().map(Vec::len), Some(created));
    let log = stdout(&run(ws, &["audit", "log", "--limit", "100000"]));
    assert!(log.contains("exposure.fix_pending"), "audited");
    assert!(run(ws, &["audit", "verify"]).status.success());

    // A tracker without credentials is reported, and no output shows a token.
    let o = Command::new(env!("CARGO_BIN_EXE_ctem"))
        .args([
            "--workspace",
            ws.to_str().expect("utf-8"),
            "tickets",
            "sync",
        ])
        .env_remove("CTEM_GH_CLAIMS_TOKEN")
        .env("CTEM_SECRETS_FILE", ws.join("none.toml"))
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("CTEM_GH_CLAIMS_TOKEN"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains(TOKEN) && !stderr(&o).contains(TOKEN));
}
