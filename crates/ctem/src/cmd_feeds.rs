//! `ctem feeds update` and `ctem feeds status`.
//!
//! Update downloads the feeds (or loads `--from` files), then, when the
//! workspace has been prioritised before, re-prioritises at once so a new
//! KEV entry or EPSS score changes tiers without waiting for the next
//! `ctem prioritise`, and lists the exposures whose tier changed and why
//! (`docs/scope.md`, "Threat feeds").

use crate::cli::Output;
use crate::commands::Ctx;
use crate::engine::{self, FeedDownload, FeedLoaded, PrioritiseOutcome};
use crate::error::{CliError, Result};
use ctem_model::{DAY, fmt_date, fmt_time};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Serialize)]
struct UpdateOutput {
    /// Files loaded with `--from`.
    loaded: Vec<FeedLoaded>,
    /// Downloads (without `--from`).
    downloads: Vec<FeedDownload>,
    /// The re-prioritisation, when one ran.
    prioritised: Option<PrioritiseOutcome>,
}

/// `ctem feeds update [--from FILE…] [--no-prioritise]`.
pub fn update(ctx: &Ctx, from: &[PathBuf], no_prioritise: bool) -> Result<()> {
    let mut store = ctx.ws.open_store()?;
    let mut out = UpdateOutput {
        loaded: Vec::new(),
        downloads: Vec::new(),
        prioritised: None,
    };
    let mut scope = None;
    if from.is_empty() {
        let s = ctx.ws.load_scope()?;
        out.downloads =
            engine::download_feeds(&mut store, &s, &ctx.ws.dir.join("feeds"), &ctx.actor)?;
        scope = Some(s);
    } else {
        for f in from {
            out.loaded
                .push(engine::load_feed(&mut store, f, &ctx.actor)?);
        }
    }
    let new_snapshots = !out.loaded.is_empty() || out.downloads.iter().any(|d| d.loaded.is_some());
    if new_snapshots && !no_prioritise && !store.decisions()?.is_empty() {
        let s = match scope {
            Some(s) => s,
            None => ctx.ws.load_scope()?,
        };
        out.prioritised = Some(engine::prioritise(&mut store, &s, &ctx.actor)?);
    }
    let rejected: Vec<&FeedDownload> = out
        .downloads
        .iter()
        .filter(|d| d.outcome == "rejected")
        .collect();
    let failure = (!rejected.is_empty()).then(|| {
        CliError::invalid(format!(
            "{} of {} feed downloads rejected: {}",
            rejected.len(),
            out.downloads.len(),
            rejected
                .iter()
                .map(|d| d.error.clone().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        ))
    });
    if ctx.output == Output::Json {
        let s = serde_json::to_string_pretty(&out).map_err(CliError::failure)?;
        println!("{s}");
    } else {
        for l in &out.loaded {
            print_loaded(l);
        }
        for d in &out.downloads {
            match (&d.loaded, d.outcome.as_str()) {
                (Some(l), _) => print_loaded(l),
                (None, "rejected") => println!(
                    "{}: download rejected, the previous snapshot stays in force",
                    d.feed.to_uppercase()
                ),
                (None, outcome) => println!(
                    "{}: {outcome} ({}), the snapshot in force stays",
                    d.feed.to_uppercase(),
                    d.http_status
                        .map(|s| format!("HTTP {s}"))
                        .unwrap_or_default()
                ),
            }
        }
        match &out.prioritised {
            Some(p) => {
                println!(
                    "re-prioritised {} open exposures with the new snapshots:",
                    p.exposures
                );
                if let Some(pc) = &p.policy_change {
                    crate::cmd_prioritise::print_policy_change(pc);
                }
                crate::cmd_prioritise::print_tier_changes(p);
            }
            None if new_snapshots && no_prioritise => {
                println!("run `ctem prioritise` to apply the new snapshots to the tiers")
            }
            None => {}
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn print_loaded(l: &FeedLoaded) {
    println!(
        "{} snapshot {} ({}): {} entries",
        l.feed.to_uppercase(),
        l.version,
        l.date,
        l.rows
    );
}

#[derive(Serialize)]
struct FeedStatus {
    feed: String,
    snapshot: Option<ctem_store::FeedSnapshot>,
    last_check: Option<ctem_store::FeedCheck>,
}

/// `ctem feeds status`: the snapshots in force, their age and the last
/// download check.
pub fn status(ctx: &Ctx) -> Result<()> {
    let store = ctx.ws.open_store()?;
    let mut all = Vec::new();
    for f in ["kev", "epss"] {
        all.push(FeedStatus {
            feed: f.into(),
            snapshot: store.latest_feed(f)?,
            last_check: store.last_feed_check(f)?,
        });
    }
    if ctx.output == Output::Json {
        let s = serde_json::to_string_pretty(&all).map_err(CliError::failure)?;
        println!("{s}");
        return Ok(());
    }
    let now = ctem_model::now();
    for st in &all {
        let name = st.feed.to_uppercase();
        match &st.snapshot {
            Some(s) => println!(
                "{name}: {} of {}, {} entries, {} days old, from {}",
                s.version,
                fmt_date(s.data_date),
                s.rows,
                (now - s.data_date).div_euclid(DAY),
                s.source
            ),
            None => println!("{name}: not loaded — `ctem feeds update` (or --from FILE)"),
        }
        if let Some(c) = &st.last_check {
            println!(
                "  last download check {}: {}{}",
                fmt_time(c.checked_at),
                c.outcome,
                c.http_status
                    .map(|s| format!(" (HTTP {s})"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}
