//! `ctem scope check` names the line and the problem, with exit code 3.

mod common;
use common::*;

const GOOD: &str = r#"[organisation]
name = "Test"

[owners.ops]
name = "Ops"

[[services]]
id = "web"
name = "Web"
owner = "ops"
criticality = 4
crown_jewel = true

[[services.assets]]
hostname = ["web-*"]
cidr = ["10.0.0.0/24"]

[[topology.zones]]
id = "dmz"
members = { cidr = ["10.0.0.0/24"] }

[[topology.flows]]
from = "internet"
to = "dmz"
ports = [443]
"#;

fn check(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("ctem.toml"), text).expect("write scope");
    let o = ctem(dir.path(), &["scope", "check"]);
    (o.status.code().unwrap_or(-1), stderr(&o) + &stdout(&o))
}

#[test]
fn valid_scope_passes() {
    let (code, out) = check(GOOD);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("valid"), "{out}");
}

fn assert_names(from: &str, to: &str, line: usize, words: &[&str]) {
    let (code, out) = check(&GOOD.replacen(from, to, 1));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(&format!("ctem.toml:{line}:")),
        "line {line} named: {out}"
    );
    for w in words {
        assert!(out.contains(w), "{w:?} in {out}");
    }
}

#[test]
fn five_kinds_of_mistake_are_named_with_their_line() {
    assert_names("criticality = 4", "criticality = 4 4", 11, &[]);
    assert_names(
        "owner = \"ops\"",
        "owner = \"dev\"",
        10,
        &["owner `dev`", "not defined"],
    );
    assert_names(
        "cidr = [\"10.0.0.0/24\"]\n",
        "cidr = [\"10.0.0.300/24\"]\n",
        16,
        &["10.0.0.300/24"],
    );
    assert_names(
        "criticality = 4",
        "criticality = 8",
        11,
        &["criticality", "8"],
    );
    assert_names("to = \"dmz\"", "to = \"dnz\"", 24, &["zone `dnz`"]);
    assert_names(
        "crown_jewel = true",
        "crown_jewels = true",
        12,
        &["crown_jewels"],
    );
}

#[test]
fn missing_workspace_is_exit_code_4() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = ctem(dir.path(), &["prioritise"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("ctem init"));
}
