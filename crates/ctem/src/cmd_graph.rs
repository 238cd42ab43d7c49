//! `ctem graph` (attack paths, choke points, exports, identity imports) and
//! `ctem fixed` (closure verification).

use crate::cli::Output;
use crate::commands::Ctx;
use crate::engine::attack::{self, Attack};
use crate::error::{CliError, ExitCode, Result};
use crate::table::Table;
use clap::{Args, Subcommand, ValueEnum};
use ctem_graph::analysis;
use ctem_graph::estate::{Path, Step};
use ctem_graph::{EdgeKind, NodeKind};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(subcommand)]
    pub cmd: Option<GraphCmd>,
}

#[derive(Debug, Subcommand)]
pub enum GraphCmd {
    /// Reachability, crown jewels, choke points (the default).
    Summary,
    /// Attack paths to a crown jewel, step by step: the shortest and the
    /// most likely.
    Paths {
        /// A crown jewel: service id, service name, or `identity tier zero`
        /// (default: every crown jewel).
        #[arg(long)]
        to: Option<String>,
        /// Where the attacker starts.
        #[arg(long, value_enum, default_value_t = Start::Any)]
        from: Start,
    },
    /// Export the attack subgraph (DOT, SVG) or the analysis (JSON).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Dot)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// At most this many nodes in a picture.
        #[arg(long, default_value_t = 80)]
        max_nodes: usize,
    },
    /// Import identity sources: SharpHound JSON collections (BloodHound CE)
    /// and ctem-identities/1 files (docs/graph.md).
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Start {
    Any,
    Internet,
    Breach,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Dot,
    Json,
    Svg,
}

#[derive(Debug, Args)]
pub struct FixedArgs {
    /// Exposure ids (or unique prefixes of at least 6 characters).
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// What was done (patched, reconfigured, …).
    #[arg(long)]
    pub note: Option<String>,
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(CliError::failure)?;
    println!("{s}");
    Ok(())
}

fn load(ctx: &Ctx) -> Result<(Attack, Vec<ctem_store::GraphSource>)> {
    let scope = ctx.ws.load_scope()?;
    let store = ctx.ws.open_store()?;
    attack::attack_graph(&store, &scope)
}

/// Runs `ctem graph`.
pub fn run(ctx: &Ctx, args: GraphArgs) -> Result<()> {
    match args.cmd.unwrap_or(GraphCmd::Summary) {
        GraphCmd::Summary => {
            let (a, sources) = load(ctx)?;
            let s = attack::graph_summary(&a, sources);
            if ctx.output == Output::Json {
                return print_json(&s);
            }
            println!(
                "attack graph: {} nodes, {} edges ({})",
                s.nodes,
                s.edges,
                s.nodes_by_kind
                    .iter()
                    .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for src in &s.sources {
                println!(
                    "  identity source {} ({}): {} objects, {} relations",
                    src.label, src.kind, src.objects, src.relations
                );
            }
            println!(
                "exposures: {} — {} reachable from the internet, {} from the assumed breach, {} unreachable",
                s.exposures, s.reachable_from_internet, s.reachable_from_breach, s.unreachable
            );
            println!();
            print_jewels(&a);
            println!();
            print_chokes(&a, 10);
            println!();
            println!(
                "Follow a path: ctem graph paths --to <crown jewel>   |   picture: ctem graph export --format svg --out graph.svg"
            );
            Ok(())
        }
        GraphCmd::Paths { to, from } => paths(ctx, to.as_deref(), from),
        GraphCmd::Export {
            format,
            out,
            max_nodes,
        } => {
            let (a, sources) = load(ctx)?;
            let text = match format {
                ExportFormat::Dot => ctem_graph::export::to_dot(&a.analysis, max_nodes),
                ExportFormat::Svg => ctem_graph::export::to_svg(&a.analysis, max_nodes),
                ExportFormat::Json => {
                    serde_json::to_string_pretty(&attack::graph_summary(&a, sources))
                        .map_err(CliError::failure)?
                }
            };
            match out {
                Some(p) => {
                    std::fs::write(&p, text)
                        .map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?;
                    if ctx.output == Output::Human {
                        println!("wrote {}", p.display());
                    }
                    Ok(())
                }
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }
        GraphCmd::Import { files } => {
            let mut store = ctx.ws.open_store()?;
            let mut out = Vec::new();
            for f in &files {
                out.push(attack::import_graph_source(&mut store, f, &ctx.actor)?);
            }
            if ctx.output == Output::Json {
                return print_json(&out);
            }
            for r in &out {
                println!(
                    "{}: {} source, {} objects, {} relations",
                    r.file, r.kind, r.objects, r.relations
                );
            }
            println!("Run `ctem graph` to see the paths, `ctem prioritise` to apply them.");
            Ok(())
        }
    }
}

/// The crown jewels and how they are reached, for people.
pub fn print_jewels(a: &Attack) {
    if a.analysis.jewels.is_empty() {
        println!("crown jewels: none declared (mark services `crown_jewel = true` in ctem.toml)");
        return;
    }
    println!("Attack paths to crown jewels:");
    for j in &a.analysis.jewels {
        let from = match (j.from_internet, j.from_breach) {
            (true, true) => "reachable from the internet and the assumed breach",
            (true, false) => "reachable from the internet",
            (false, true) => "reachable from the assumed breach",
            (false, false) => "not reachable",
        };
        println!(
            "  ★ {} — {from}{}",
            j.crown_jewel,
            if j.shortest_paths > 0.0 {
                format!(", {} shortest paths", fmt_count(j.shortest_paths))
            } else {
                String::new()
            }
        );
        if let Some(p) = &j.shortest {
            println!("      shortest:    {}", p.describe());
        }
        if let Some(p) = &j.most_likely
            && Some(p) != j.shortest.as_ref()
        {
            println!(
                "      most likely: {} (likelihood {:.2})",
                p.describe(),
                p.likelihood
            );
        }
    }
}

fn fmt_count(x: f64) -> String {
    if x < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2e}")
    }
}

/// The top choke points, for people.
pub fn print_chokes(a: &Attack, n: usize) {
    let chokes: Vec<_> = a.analysis.chokes.iter().take(n).collect();
    if chokes.is_empty() {
        println!("choke points: none (no attack path reaches a crown jewel)");
        return;
    }
    println!("Choke points (fixing one cuts every path to the crown jewels it names):");
    let mut t = Table::new(&[
        "#",
        "node",
        "kind",
        "cuts all paths to",
        "path share",
        "fix",
    ]);
    for (i, c) in chokes.iter().enumerate() {
        t.row(vec![
            (i + 1).to_string(),
            match &c.zone {
                Some(z) => format!("{z}: {}", c.node),
                None => c.node.clone(),
            },
            c.kind.as_str().replace('_', " "),
            if c.cuts.is_empty() {
                "-".into()
            } else {
                c.cuts.join(", ")
            },
            format!("{:.2}", c.share),
            c.fix.clone(),
        ]);
    }
    t.print();
}

fn step_line(i: usize, s: &Step) -> String {
    let node = match &s.zone {
        Some(z) if s.kind == NodeKind::Asset || s.kind == NodeKind::Service => {
            format!("{z}: {}", s.node)
        }
        _ => s.node.clone(),
    };
    let how = match s.edge {
        EdgeKind::Network => format!("reach {} over {}", s.kind.as_str(), s.label),
        EdgeKind::Exploit => format!("exploit {}", s.label),
        EdgeKind::Pivot => "pivot onto the zone's network".to_string(),
        EdgeKind::Credential => format!("take credentials ({})", s.label),
        EdgeKind::Privilege => format!("use privilege {}", s.label),
        EdgeKind::Membership => "member of".to_string(),
        EdgeKind::Trust => format!("abuse trust ({})", s.label),
        EdgeKind::Supports => "holds the crown jewel".to_string(),
    };
    format!(
        "  {:>2}. {node:<48} {how}{}",
        i + 1,
        if s.p < 1.0 {
            format!(" (p {:.2})", s.p)
        } else {
            String::new()
        }
    )
}

fn print_path(title: &str, p: &Path) {
    println!(
        "{title} ({} steps, likelihood {:.2}):",
        p.steps.len(),
        p.likelihood
    );
    println!("   0. {} (start)", p.entry);
    for (i, s) in p.steps.iter().enumerate() {
        println!("{}", step_line(i, s));
    }
}

fn paths(ctx: &Ctx, to: Option<&str>, from: Start) -> Result<()> {
    let (a, _) = load(ctx)?;
    let g = &a.analysis.built.graph;
    let want = to.map(str::to_ascii_lowercase);
    let scope = ctx.ws.load_scope()?;
    let matches = |name: &str| match &want {
        None => true,
        Some(w) => {
            name.to_ascii_lowercase() == *w
                || scope
                    .service(name)
                    .is_some_and(|s| s.service.name.to_ascii_lowercase().contains(w.as_str()))
        }
    };
    let picked: Vec<usize> = a
        .estate
        .crown_jewels
        .iter()
        .enumerate()
        .filter(|(_, j)| matches(&j.name))
        .map(|(i, _)| i)
        .collect();
    if picked.is_empty() {
        return Err(CliError::new(
            ExitCode::Usage,
            format!(
                "no crown jewel matches `{}`; crown jewels: {}",
                to.unwrap_or(""),
                a.estate
                    .crown_jewels
                    .iter()
                    .map(|j| j.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let sources: Vec<u32> = match from {
        Start::Any => a
            .analysis
            .built
            .internet
            .iter()
            .chain(&a.analysis.built.breach)
            .copied()
            .collect(),
        Start::Internet => a.analysis.built.internet.clone(),
        Start::Breach => a.analysis.built.breach.clone(),
    };
    let reach = match from {
        Start::Any => a.analysis.combined.clone(),
        Start::Internet => a.analysis.from_internet.clone(),
        Start::Breach => a.analysis.from_breach.clone(),
    };
    let likely = if from == Start::Any {
        a.analysis.likely.clone()
    } else {
        analysis::most_likely(g, &sources)
    };
    let fallback = sources.first().copied().unwrap_or(0);
    let mut out = Vec::new();
    for i in picked {
        let j = a.analysis.built.jewels[i];
        let name = &a.estate.crown_jewels[i].name;
        let shortest = reach
            .path(g, j)
            .map(|e| ctem_graph::estate::path_from_edges(g, &e, fallback));
        let most_likely = likely
            .path(g, j)
            .map(|e| ctem_graph::estate::path_from_edges(g, &e, fallback));
        out.push(serde_json::json!({
            "crown_jewel": name, "from": format!("{from:?}").to_ascii_lowercase(),
            "shortest": shortest, "most_likely": most_likely,
        }));
        if ctx.output == Output::Json {
            continue;
        }
        println!("★ {name}");
        match (&shortest, &most_likely) {
            (None, _) => println!("  no attack path from {}", start_name(from)),
            (Some(s), l) => {
                println!("  {}", s.describe());
                print_path("Shortest path", s);
                if let Some(l) = l.as_ref().filter(|l| *l != s) {
                    println!("  {}", l.describe());
                    print_path("Most likely path", l);
                } else {
                    println!("The shortest path is also the most likely.");
                }
            }
        }
        println!();
    }
    if ctx.output == Output::Json {
        return print_json(&out);
    }
    print_chokes(&a, 5);
    Ok(())
}

fn start_name(s: Start) -> &'static str {
    match s {
        Start::Any => "the internet or the assumed breach",
        Start::Internet => "the internet",
        Start::Breach => "the assumed breach",
    }
}

/// Runs `ctem fixed`: marks exposures fixed pending a re-test.
pub fn fixed(ctx: &Ctx, args: FixedArgs) -> Result<()> {
    let mut store = ctx.ws.open_store()?;
    let mut out = Vec::new();
    for id in &args.ids {
        let row = store
            .exposure(id)?
            .ok_or_else(|| CliError::new(ExitCode::Usage, format!("no exposure `{id}`")))?;
        let before = store.mark_fixed(&row.exposure.id, args.note.as_deref(), &ctx.actor)?;
        let status = before.unwrap_or_default();
        let changed = status == "open";
        out.push(serde_json::json!({
            "exposure_id": row.exposure.id, "was": status,
            "status": if changed { "fix_pending" } else { status.as_str() },
        }));
        if ctx.output == Output::Human {
            if changed {
                println!(
                    "{} ({} on {}): fix_pending — closes when a rescan or `ctem validate --probe` confirms it",
                    row.exposure.id, row.exposure.weakness.id, row.asset.name
                );
            } else {
                println!(
                    "{}: unchanged, status is {status} (only open exposures can be marked fixed)",
                    row.exposure.id
                );
            }
        }
    }
    if ctx.output == Output::Json {
        print_json(&out)?;
    }
    Ok(())
}

/// `ctem validate --probe [--dry-run]` and `ctem validate --verdict`.
pub fn validate(ctx: &Ctx, v: crate::cli::ValidateArgs) -> Result<()> {
    let mut store = ctx.ws.open_store()?;
    if let Some(result) = &v.verdict {
        let id = v.exposure.as_deref().unwrap_or_default();
        let rec = crate::engine::probe::record_verdict(
            &mut store,
            id,
            result,
            v.control.clone(),
            v.reason.clone(),
            v.evidence.clone(),
            &ctx.actor,
        )?;
        if ctx.output == Output::Json {
            print_json(&rec)?;
        } else {
            println!(
                "{}: {} (analyst verdict by {}){}",
                rec.exposure_id,
                rec.state,
                rec.tool,
                rec.reason
                    .as_ref()
                    .or(rec.control.as_ref())
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
        }
        if !v.probe {
            println!("Run `ctem prioritise` to apply it to the tiers.");
            return Ok(());
        }
    }
    let scope = ctx.ws.load_scope()?;
    let run = crate::engine::probe::run_probes(
        &mut store,
        &scope,
        &ctem_probe::SystemNet,
        v.dry_run,
        &ctx.actor,
    )?;
    if ctx.output == Output::Json {
        return print_json(&run);
    }
    if run.dry_run {
        println!(
            "dry run: {} endpoints; nothing is contacted (rate {} per second, timeout {} ms)",
            run.plan.len(),
            scope.probes.rate_per_second,
            scope.probes.timeout_ms
        );
        let mut t = Table::new(&["target", "probes", "decision"]);
        for p in &run.plan {
            t.row(vec![
                format!("{}:{}", p.host, p.port),
                p.kinds
                    .iter()
                    .map(|k| format!("{k:?}").to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join("+"),
                p.note.clone(),
            ]);
        }
        t.print();
        return Ok(());
    }
    let contacted = run.outcomes.iter().filter(|o| o.refused.is_none()).count();
    println!(
        "probed {contacted} of {} endpoints (the others are outside the allow-list)",
        run.outcomes.len()
    );
    let mut t = Table::new(&[
        "exposure", "weakness", "target", "observed", "recorded", "closure",
    ]);
    for f in run
        .findings
        .iter()
        .filter(|f| !f.observed.starts_with("not contacted"))
    {
        t.row(vec![
            f.exposure_id.chars().take(12).collect(),
            f.weakness.clone(),
            f.target.clone(),
            f.observed.clone(),
            f.recorded
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            f.closure.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t.print();
    println!("Run `ctem prioritise` to apply the results to the tiers.");
    Ok(())
}

/// The demo's attack-path section: crown jewels and choke points.
pub fn print_attack_section(a: Option<&ctem_report::AttackSection>) {
    let Some(a) = a else { return };
    println!("Attack paths to crown jewels:");
    for j in &a.jewels {
        println!("  ★ {} — reached from {}", j.crown_jewel, j.reached_from);
        if let Some(p) = &j.shortest {
            println!("      shortest:    {p}");
        }
        if let Some(p) = &j.most_likely {
            println!("      most likely: {p}");
        }
    }
    if !a.choke_points.is_empty() {
        println!("Choke points (fix one to cut every path to the crown jewels named):");
        for (i, c) in a.choke_points.iter().take(5).enumerate() {
            println!(
                "  {}. {} ({}){} — {}",
                i + 1,
                c.node,
                c.kind,
                if c.cuts.is_empty() {
                    format!(", path share {:.2}", c.share)
                } else {
                    format!(", cuts {}", c.cuts.join(", "))
                },
                c.fix
            );
        }
    }
    println!("  (ctem graph paths --to <crown jewel> follows a path step by step)");
    println!();
}
