//! Printing what a prioritisation changed: the policy change since the
//! last run and the exposures whose tier moved, with the reason.

use crate::engine::{PolicyChange, PrioritiseOutcome};

/// Prints the policy change since the last run.
pub fn print_policy_change(p: &PolicyChange) {
    if p.old_version == p.new_version {
        println!(
            "policy {} changed since the last run (content {} → {}):",
            p.new_version,
            &p.old_hash[..p.old_hash.len().min(12)],
            &p.new_hash[..p.new_hash.len().min(12)]
        );
    } else {
        println!(
            "policy changed since the last run: {} → {}",
            p.old_version, p.new_version
        );
    }
    for c in &p.changes {
        println!("  {c}");
    }
}

/// Prints the exposures whose tier changed (at most 50; JSON lists all).
pub fn print_tier_changes(o: &PrioritiseOutcome) {
    let moved: Vec<_> = o
        .changes
        .iter()
        .filter(|c| c.old_tier.is_some() && c.old_tier != Some(c.new_tier))
        .collect();
    if moved.is_empty() {
        println!("no exposure changed tier");
        return;
    }
    println!("{} exposures changed tier:", moved.len());
    for c in moved.iter().take(50) {
        match &c.reason {
            Some(r) => println!("  {r}"),
            None => println!(
                "  {}: {} → {}",
                c.exposure_id,
                c.old_tier.map(|t| t.as_str()).unwrap_or("-"),
                c.new_tier
            ),
        }
    }
    if moved.len() > 50 {
        println!(
            "  … and {} more (`--output json` lists all)",
            moved.len() - 50
        );
    }
}
