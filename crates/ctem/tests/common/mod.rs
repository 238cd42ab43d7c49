//! Helpers shared by the binary's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real `ctem` binary with a fixed clock and no PDF rendering
/// (Chromium takes tens of seconds per PDF; `ctem_pdf` keeps it).
pub fn ctem(ws: &Path, args: &[&str]) -> Output {
    command(ws, args)
        .env("CTEM_CHROMIUM", "/nonexistent/chromium")
        .output()
        .expect("the ctem binary runs")
}

/// Like [`ctem`], rendering PDFs with Chromium where it is installed.
pub fn ctem_pdf(ws: &Path, args: &[&str]) -> Output {
    command(ws, args).output().expect("the ctem binary runs")
}

fn command(ws: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ctem"));
    c.arg("--workspace")
        .arg(ws)
        .args(args)
        .env("CTEM_NOW", "2026-11-27T12:00:00Z")
        .env_remove("CTEM_WORKSPACE");
    c
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "ctem failed: {}\n{}",
        stderr(o),
        stdout(o)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}
