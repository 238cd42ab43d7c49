//! One function per subcommand: call the engine, print for people or for
//! machines.

use crate::cli::{AuditCmd, Command, CycleArgs, DemoArgs, FeedsCmd, Output, ReportKind, ScopeCmd};
use crate::engine::{self, Progress};
use crate::error::{CliError, ExitCode, Result};
use crate::table::Table;
use crate::workspace::{self, STARTER_SCOPE, Workspace};
use ctem_model::{Tier, fmt_date};
use ctem_scope::Scope;
use ctem_store::Store;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Global settings every command sees.
pub struct Ctx {
    pub ws: Workspace,
    pub output: Output,
    pub progress: Progress,
    /// Draw a progress bar on stderr for imports longer than a second.
    pub bar: bool,
    pub actor: String,
}

fn print_json<T: Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(CliError::failure)?;
    println!("{s}");
    Ok(())
}

/// Runs one command.
pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    match cmd {
        Command::Init { force } => init(ctx, force),
        Command::Scope(ScopeCmd::Check { file }) => scope_check(ctx, file),
        Command::Ingest { files } => ingest(ctx, &files),
        Command::Parse { file } => parse(ctx, &file),
        Command::Feeds(FeedsCmd::Update {
            from,
            no_prioritise,
        }) => crate::cmd_feeds::update(ctx, &from, no_prioritise),
        Command::Feeds(FeedsCmd::Status) => crate::cmd_feeds::status(ctx),
        Command::Prioritise(g) => {
            let scope = ctx.ws.load_scope()?;
            let mut store = ctx.ws.open_store()?;
            let o = engine::prioritise(&mut store, &scope, &ctx.actor)?;
            if ctx.output == Output::Json {
                print_json(&o)?;
            } else {
                print_prioritise(&o);
            }
            gate(&store, g.fail_on.as_deref())
        }
        Command::Explain { id } => explain(ctx, &id),
        Command::Validate(v) if v.probe || v.verdict.is_some() => {
            crate::cmd_graph::validate(ctx, v)
        }
        Command::Validate(v) => {
            let mut store = ctx.ws.open_store()?;
            let mut out = Vec::new();
            for f in &v.import {
                out.push(engine::import_validations(
                    &mut store, f, &v.tool, &v.method, &ctx.actor,
                )?);
            }
            if ctx.output == Output::Json {
                print_json(&out)
            } else {
                for r in &out {
                    println!(
                        "{}: {} results from {}, {} exposures validated",
                        r.file, r.results, r.tool, r.matched
                    );
                    for u in &r.unmatched {
                        println!("  no exposure matches {u}");
                    }
                }
                println!("Run `ctem prioritise` to apply the results to the tiers.");
                Ok(())
            }
        }
        Command::Mobilise { owner } => crate::cmd_mobilise::mobilise(ctx, owner.as_deref()),
        Command::Report { kind, out, tier } => report(ctx, kind, out, tier.as_deref()),
        Command::Cycle(args) => cycle(ctx, args),
        Command::Serve(a) => crate::cmd_server::serve(ctx, a),
        Command::Token(c) => crate::cmd_server::token(ctx, c),
        Command::User(c) => crate::cmd_server::user(ctx, c),
        Command::Demo(args) => demo(ctx, args),
        Command::Cvss { vectors } => cvss(ctx, &vectors),
        Command::Graph(args) => crate::cmd_graph::run(ctx, args),
        Command::Fixed(args) => crate::cmd_graph::fixed(ctx, args),
        Command::Audit(AuditCmd::Verify) => {
            let store = ctx.ws.open_store()?;
            let v = store.verify_audit()?;
            if ctx.output == Output::Json {
                print_json(&v)?;
            } else if let Some(p) = &v.problem {
                println!("audit log BROKEN after checking {} entries: {p}", v.entries);
            } else {
                println!(
                    "audit log intact: {} entries, hash chain verified",
                    v.entries
                );
            }
            match v.problem {
                Some(p) => Err(CliError::new(
                    ExitCode::Invalid,
                    format!("audit log tampered with: {p}"),
                )),
                None => Ok(()),
            }
        }
        Command::Accept(a) => crate::cmd_mobilise::accept(ctx, a),
        Command::Acceptances(c) => crate::cmd_mobilise::acceptances(ctx, c),
        Command::Tickets(c) => crate::cmd_mobilise::tickets(ctx, c),
        Command::Kpi => crate::cmd_mobilise::kpi(ctx),
        Command::Executive(a) => crate::cmd_mobilise::executive(ctx, a),
        Command::Export(a) => crate::cmd_mobilise::export(ctx, a),
        Command::Evidence(a) => crate::cmd_mobilise::evidence_cmd(ctx, a),
        Command::Audit(AuditCmd::Log { limit }) => {
            let store = ctx.ws.open_store()?;
            let log = store.audit_log(Some(limit))?;
            if ctx.output == Output::Json {
                return print_json(&log);
            }
            let mut t = Table::new(&["#", "time", "actor", "action", "subject"]);
            for e in &log {
                t.row(vec![
                    e.seq.to_string(),
                    ctem_model::fmt_time(e.at),
                    e.actor.clone(),
                    e.action.clone(),
                    e.subject.clone(),
                ]);
            }
            t.print();
            Ok(())
        }
    }
}

fn init(ctx: &Ctx, force: bool) -> Result<()> {
    std::fs::create_dir_all(&ctx.ws.dir)?;
    let scope = ctx.ws.scope_path();
    let wrote = if scope.exists() && !force {
        false
    } else {
        std::fs::write(&scope, STARTER_SCOPE)?;
        true
    };
    let store = Store::open_location(&ctx.ws.db_location())?;
    let v = store.schema_version()?;
    if ctx.output == Output::Json {
        return print_json(&serde_json::json!({
            "workspace": ctx.ws.dir, "scope": scope, "scope_written": wrote,
            "database": ctx.ws.db_display(), "schema_version": v
        }));
    }
    if wrote {
        println!(
            "wrote {} — edit it, then run `ctem scope check`",
            scope.display()
        );
    } else {
        println!(
            "kept existing {} (use --force to overwrite)",
            scope.display()
        );
    }
    println!("database {} at schema version {v}", ctx.ws.db_display());
    Ok(())
}

fn scope_check(ctx: &Ctx, file: Option<PathBuf>) -> Result<()> {
    let path = file.unwrap_or_else(|| ctx.ws.scope_path());
    let scope = workspace::load_scope_file(&path)?;
    if ctx.output == Output::Json {
        return print_json(&serde_json::json!({
            "file": path, "valid": true,
            "services": scope.services.len(),
            "crown_jewels": scope.services.iter().filter(|s| s.service.crown_jewel).count(),
            "zones": scope.topology.zones.len(), "controls": scope.controls.len(),
            "policy_version": scope.policy.version, "sla_rules": scope.sla.len(),
        }));
    }
    println!(
        "{}: valid — {} services ({} crown jewels), {} zones, {} flows, {} controls, policy {}, {} SLA rules",
        path.display(),
        scope.services.len(),
        scope
            .services
            .iter()
            .filter(|s| s.service.crown_jewel)
            .count(),
        scope.topology.zones.len(),
        scope.topology.flows.len(),
        scope.controls.len(),
        scope.policy.version,
        scope.sla.len()
    );
    Ok(())
}

/// Ingests each file in its own transaction. A file that fails (invalid
/// input) is reported and skipped; the others still land. Store failures
/// stop everything.
fn ingest_all(
    ctx: &Ctx,
    store: &mut Store,
    files: &[PathBuf],
) -> Result<(Vec<engine::IngestReport>, Vec<CliError>)> {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for f in files {
        match crate::cmd_progress::ingest_file(ctx, store, f) {
            Ok(r) => out.push(r),
            Err(e) if e.code == ExitCode::Invalid => failed.push(e),
            Err(e) => return Err(e),
        }
    }
    Ok((out, failed))
}

fn print_ingest(reports: &[engine::IngestReport]) {
    let mut t = Table::new(&[
        "file",
        "format",
        "findings",
        "exposures",
        "assets",
        "new",
        "reopened",
        "resolved",
        "seconds",
    ]);
    for r in reports {
        let s = &r.summary;
        t.row(vec![
            Path::new(&s.file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| s.file.clone()),
            s.format.clone(),
            s.findings.to_string(),
            s.exposures.to_string(),
            s.assets.to_string(),
            s.new.to_string(),
            s.reopened.to_string(),
            s.resolved.to_string(),
            format!("{:.2}", r.seconds),
        ]);
    }
    t.print();
}

fn ingest(ctx: &Ctx, files: &[PathBuf]) -> Result<()> {
    let mut store = ctx.ws.open_store()?;
    let (reports, failed) = ingest_all(ctx, &mut store, files)?;
    if ctx.output == Output::Json {
        print_json(&reports)?;
    } else if !reports.is_empty() {
        print_ingest(&reports);
    }
    match failed.len() {
        0 => Ok(()),
        1 => Err(failed
            .into_iter()
            .next()
            .unwrap_or_else(|| CliError::invalid("ingest failed"))),
        n => Err(CliError::invalid(format!(
            "{n} files were not imported:\n{}",
            failed
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("\n")
        ))),
    }
}

fn parse(ctx: &Ctx, file: &Path) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write_err = None;
    let summary = ctem_ingest::parse_path(file, &mut |f| {
        let line = serde_json::to_string(&f).unwrap_or_default();
        if let Err(e) = writeln!(out, "{line}") {
            write_err = Some(e);
            return Err(ctem_ingest::IngestError::rejected("output closed"));
        }
        Ok(())
    });
    if let Some(e) = write_err {
        // A closed pipe (`ctem parse x | head`) is not a failure.
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(());
        }
        return Err(e.into());
    }
    let summary = summary.map_err(CliError::invalid)?;
    out.flush()?;
    if ctx.output == Output::Human {
        eprintln!(
            "{}: {} findings from {} ({}), {} skipped",
            file.display(),
            summary.findings,
            summary.tool,
            summary.format,
            summary.skipped
        );
    }
    Ok(())
}

fn print_prioritise(o: &engine::PrioritiseOutcome) {
    println!(
        "prioritised {} open exposures with policy {} in {:.2} s (reading facts {:.2} s, deciding {:.2} s, storing {:.2} s)",
        o.exposures,
        o.policy_version,
        o.seconds,
        o.phase_seconds.assess,
        o.phase_seconds.decide,
        o.phase_seconds.store
    );
    for (t, n) in &o.tiers {
        println!("  {t}: {n}");
    }
    if let Some(p) = &o.policy_change {
        crate::cmd_prioritise::print_policy_change(p);
    }
    if o.changes
        .iter()
        .any(|c| c.old_tier.is_some() && c.old_tier != Some(c.new_tier))
    {
        crate::cmd_prioritise::print_tier_changes(o);
    }
}

fn gate(store: &Store, fail_on: Option<&str>) -> Result<()> {
    let Some(t) = fail_on else { return Ok(()) };
    let tier = Tier::parse(t).ok_or_else(|| {
        CliError::new(
            ExitCode::Usage,
            format!("--fail-on: `{t}` is not a tier (P1–P4)"),
        )
    })?;
    let n = store.decisions()?.iter().filter(|d| d.tier <= tier).count();
    if n > 0 {
        return Err(CliError::new(
            ExitCode::Gate,
            format!("{n} exposures at {tier} or above"),
        ));
    }
    Ok(())
}

fn explain(ctx: &Ctx, id: &str) -> Result<()> {
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let row = store.exposure(id)?.ok_or_else(|| {
        CliError::invalid(format!(
            "no exposure `{id}`: ids are listed by `ctem report exposures`"
        ))
    })?;
    let decision = store.decision(&row.exposure.id)?.ok_or_else(|| {
        CliError::invalid(format!(
            "exposure {} has no decision yet: run `ctem prioritise`",
            row.exposure.id
        ))
    })?;
    if ctx.output == Output::Json {
        return print_json(
            &serde_json::json!({"exposure": row.exposure, "asset": row.asset, "decision": decision}),
        );
    }
    let e = &row.exposure;
    println!("{} — {} on {}", e.id, e.weakness.id, row.asset.name);
    println!("  {}", e.title);
    if let Some(c) = &e.component {
        println!(
            "  component: {} {}{}",
            c.name,
            c.version.as_deref().unwrap_or(""),
            c.fixed_version
                .as_deref()
                .map(|f| format!(" (fixed in {f})"))
                .unwrap_or_default()
        );
    }
    println!(
        "  status {}, first seen {}, last seen {}, sources: {}",
        e.status.as_str(),
        fmt_date(e.first_seen),
        fmt_date(e.last_seen),
        e.sources.join(", ")
    );
    println!();
    println!(
        "Tier {} (score {:.1}) under policy {}",
        decision.tier, decision.score, decision.policy_version
    );
    let svc = decision
        .service_id
        .as_deref()
        .and_then(|s| scope.service(s));
    println!(
        "Owner: {}   Due: {}{}",
        decision.owner.as_deref().unwrap_or("none (out of scope)"),
        decision.due.map(fmt_date).unwrap_or_else(|| "-".into()),
        decision
            .sla_days
            .map(|d| format!(" ({d}-day SLA)"))
            .unwrap_or_default()
    );
    if let Some(s) = svc {
        println!("Service: {} ({})", s.service.name, s.service.id);
    }
    println!();
    println!("Factors:");
    let mut t = Table::new(&["factor", "value", "source", "as of"]);
    for f in &decision.factors {
        t.row(vec![
            f.name.to_string(),
            f.value.to_string(),
            f.source.to_string(),
            f.as_of.as_deref().unwrap_or_default().to_string(),
        ]);
    }
    t.print_indented(2);
    println!();
    println!("Path through the policy:");
    for p in &decision.policy_path {
        println!("  {p}");
    }
    Ok(())
}

pub(crate) fn print_rows(rows: &[&ctem_report::Row]) {
    let mut t = Table::new(&[
        "tier", "exposure", "weakness", "asset", "owner", "due", "why",
    ]);
    for r in rows {
        t.row(vec![
            r.tier.clone(),
            r.exposure_id[..12.min(r.exposure_id.len())].to_string(),
            r.weakness.clone(),
            r.asset.clone(),
            r.owner.clone().unwrap_or_else(|| "-".into()),
            match (&r.due, r.days_left) {
                (Some(d), Some(n)) if n < 0 => format!("{d} (overdue)"),
                (Some(d), _) => d.clone(),
                _ => "-".into(),
            },
            rule_name(&r.rule),
        ]);
    }
    t.print();
}

/// `rule 3 "known exploited…" (P1): … → matched` → `known exploited…`.
fn rule_name(rule: &str) -> String {
    rule.split('"').nth(1).unwrap_or(rule).to_string()
}

fn print_funnel(data: &ctem_report::ReportData) {
    let max = data.funnel.first().map(|s| s.count).unwrap_or(0).max(1);
    for s in &data.funnel {
        let width = (s.count * 40).div_ceil(max);
        println!("  {:<30} {:>8}  {}", s.label, s.count, "█".repeat(width));
    }
}

fn report(ctx: &Ctx, kind: ReportKind, out: Option<PathBuf>, tier: Option<&str>) -> Result<()> {
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let data = engine::report_data(&store, &scope)?;
    match kind {
        ReportKind::Html => {
            let path = out.unwrap_or_else(|| ctx.ws.dir.join("report.html"));
            std::fs::write(&path, ctem_report::render_html(&data))?;
            if ctx.output == Output::Json {
                print_json(&serde_json::json!({"html": path}))
            } else {
                println!("wrote {}", path.display());
                Ok(())
            }
        }
        ReportKind::Json => print_json(&data),
        ReportKind::Funnel => {
            if ctx.output == Output::Json {
                return print_json(
                    &serde_json::json!({"funnel": data.funnel, "services": data.services}),
                );
            }
            println!("{} — funnel", data.organisation);
            print_funnel(&data);
            println!();
            let mut t = Table::new(&[
                "service",
                "owner",
                "in scope",
                "exploitable",
                "reachable",
                "validated",
            ]);
            for s in &data.services {
                let mut row = vec![
                    format!("{}{}", s.name, if s.crown_jewel { " ★" } else { "" }),
                    s.owner.clone(),
                ];
                row.extend(s.counts.iter().map(|c| c.to_string()));
                t.row(row);
            }
            t.print();
            for w in &data.warnings {
                println!("warning: {w}");
            }
            Ok(())
        }
        ReportKind::Exposures => {
            let max_tier = match tier {
                Some(t) => Tier::parse(t).ok_or_else(|| {
                    CliError::new(
                        ExitCode::Usage,
                        format!("--tier: `{t}` is not a tier (P1–P4)"),
                    )
                })?,
                None => Tier::P4,
            };
            let decisions = store.decisions()?;
            let rows: std::collections::HashMap<_, _> = store
                .exposures(true)?
                .into_iter()
                .map(|r| (r.exposure.id.clone(), r))
                .collect();
            let now = ctem_model::now();
            let list: Vec<ctem_report::Row> = decisions
                .iter()
                .filter(|d| d.tier <= max_tier)
                .filter_map(|d| {
                    rows.get(&d.exposure_id)
                        .map(|r| engine::row(d, r, &scope, now))
                })
                .collect();
            if ctx.output == Output::Json {
                return print_json(&list);
            }
            print_rows(&list.iter().collect::<Vec<_>>());
            Ok(())
        }
    }
}

/// Every file under `dir`, recursively, in a stable order.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| CliError::invalid(format!("{}: {e}", d.display())))?;
        for e in entries {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What a cycle did, phase by phase.
#[derive(Debug, Serialize)]
pub struct CycleOutcome {
    pub phases: Vec<PhaseTiming>,
    pub ingested: Vec<engine::IngestReport>,
    pub feeds: Vec<engine::FeedLoaded>,
    pub validations: Vec<engine::ValidationImport>,
    pub prioritised: engine::PrioritiseOutcome,
    pub html: PathBuf,
    pub report: ctem_report::ReportData,
}

#[derive(Debug, Serialize)]
pub struct PhaseTiming {
    pub phase: String,
    pub seconds: f64,
    pub detail: String,
}

fn timed<T>(
    phases: &mut Vec<PhaseTiming>,
    phase: &str,
    f: impl FnOnce() -> Result<(T, String)>,
) -> Result<T> {
    let t = std::time::Instant::now();
    let (v, detail) = f()?;
    phases.push(PhaseTiming {
        phase: phase.to_string(),
        seconds: t.elapsed().as_secs_f64(),
        detail,
    });
    Ok(v)
}

/// Runs every phase in order and records the cycle.
pub fn run_cycle(ctx: &Ctx, args: &CycleArgs) -> Result<CycleOutcome> {
    let started = ctem_model::now();
    let mut phases = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let scope: Scope = timed(&mut phases, "scoping", || {
        let s = ctx.ws.load_scope()?;
        let d = format!(
            "{} services, {} crown jewels",
            s.services.len(),
            s.services.iter().filter(|x| x.service.crown_jewel).count()
        );
        Ok((s, d))
    })?;
    let mut store = ctx.ws.open_store()?;
    let ingested = timed(&mut phases, "discovery", || {
        let files = match &args.reports {
            Some(d) => files_in(d)?,
            None => Vec::new(),
        };
        let (r, failed) = ingest_all(ctx, &mut store, &files)?;
        for e in failed {
            warnings.push(e.message);
        }
        let findings: u64 = r.iter().map(|x| x.summary.findings).sum();
        let exposures: u64 = r.iter().map(|x| x.summary.exposures).sum();
        let d = format!(
            "{} reports, {findings} findings, {exposures} exposures",
            r.len()
        );
        Ok((r, d))
    })?;
    let feeds = timed(&mut phases, "threat intel", || {
        let files = match &args.feeds {
            Some(d) => files_in(d)?,
            None => Vec::new(),
        };
        let mut v = Vec::new();
        for f in &files {
            v.push(engine::load_feed(&mut store, f, &ctx.actor)?);
        }
        let d = v
            .iter()
            .map(|l| {
                format!(
                    "{} {} ({} entries)",
                    l.feed.to_uppercase(),
                    l.version,
                    l.rows
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        Ok((v, d))
    })?;
    let validations = timed(&mut phases, "validation", || {
        let files = match &args.validations {
            Some(d) => files_in(d)?,
            None => Vec::new(),
        };
        let mut v = Vec::new();
        for f in &files {
            v.push(engine::import_validations(
                &mut store,
                f,
                "csv import",
                "analyst",
                &ctx.actor,
            )?);
        }
        let d = format!(
            "{} results, {} exposures validated",
            v.iter().map(|x| x.results).sum::<usize>(),
            v.iter().map(|x| x.matched).sum::<usize>()
        );
        Ok((v, d))
    })?;
    let prioritised = timed(&mut phases, "prioritisation + mobilisation", || {
        let o = engine::prioritise(&mut store, &scope, &ctx.actor)?;
        let d = format!(
            "{} exposures: {}",
            o.exposures,
            o.tiers
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok((o, d))
    })?;
    let html = args
        .html
        .clone()
        .unwrap_or_else(|| ctx.ws.dir.join("report.html"));
    let report = timed(&mut phases, "report", || {
        let mut data = engine::report_data(&store, &scope)?;
        data.warnings
            .extend(warnings.iter().map(|w| format!("not imported: {w}")));
        std::fs::write(&html, ctem_report::render_html(&data))?;
        Ok((data, html.display().to_string()))
    })?;
    let summary = serde_json::json!({
        "funnel": report.funnel.iter().map(|s| (s.stage.clone(), s.count)).collect::<Vec<_>>(),
        "phases": phases.iter().map(|p| (p.phase.clone(), p.seconds)).collect::<Vec<_>>(),
        "policy_version": scope.policy.version,
    });
    store.record_cycle(started, ctem_model::now(), &summary, &ctx.actor)?;
    Ok(CycleOutcome {
        phases,
        ingested,
        feeds,
        validations,
        prioritised,
        html,
        report,
    })
}

fn print_cycle(o: &CycleOutcome) {
    println!("Phases:");
    for p in &o.phases {
        println!("  {:<30} {:>7.3} s  {}", p.phase, p.seconds, p.detail);
    }
    println!();
    println!("Funnel:");
    print_funnel(&o.report);
    println!();
    println!("Validated exposures — each with an owner and a due date:");
    print_rows(&o.report.final_list.iter().collect::<Vec<_>>());
    for w in &o.report.warnings {
        println!("warning: {w}");
    }
    println!();
    println!("HTML report: {}", o.html.display());
}

fn cycle(ctx: &Ctx, args: CycleArgs) -> Result<()> {
    let o = run_cycle(ctx, &args)?;
    if ctx.output == Output::Json {
        print_json(&o)?;
    } else {
        print_cycle(&o);
    }
    let store = ctx.ws.open_store()?;
    gate(&store, args.gate.fail_on.as_deref())
}

/// The demo's JSON output.
#[derive(Debug, Serialize)]
struct DemoOutput<'a> {
    workspace: &'a Path,
    seed: u64,
    findings_generated: usize,
    funnel: &'a [ctem_report::Stage],
    phases: &'a [PhaseTiming],
    #[serde(rename = "final")]
    final_list: &'a [ctem_report::Row],
    actions: &'a [ctem_report::Action],
    html: &'a Path,
    mobilisation: &'a crate::cmd_mobilise::DemoMobilisation,
    attack: Option<&'a ctem_report::AttackSection>,
}

fn demo(ctx: &Ctx, args: DemoArgs) -> Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            let d = std::env::temp_dir().join(format!(
                "ctem-demo-{}-{}",
                args.seed,
                std::process::id()
            ));
            if d.exists() {
                std::fs::remove_dir_all(&d)?;
            }
            d
        }
    };
    if dir.join(workspace::DB_FILE).exists() {
        return Err(CliError::new(
            ExitCode::Workspace,
            format!(
                "{} already holds a ctem workspace: give an empty --dir",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("input");
    let t = std::time::Instant::now();
    let now = ctem_model::now();
    let manifest = ctem_demo::generate(
        &ctem_demo::DemoOptions {
            seed: args.seed,
            findings: args.findings,
            now,
        },
        &input,
    )
    .map_err(|e| {
        CliError::failure(format!(
            "generating the demo estate in {}: {e}",
            input.display()
        ))
    })?;
    let generated = t.elapsed().as_secs_f64();
    std::fs::copy(&manifest.scope, dir.join(workspace::SCOPE_FILE))?;
    let sub = Ctx {
        ws: Workspace::new(&dir).with_database(ctx.ws.database.clone()),
        output: ctx.output,
        progress: ctx.progress,
        bar: ctx.bar,
        actor: ctx.actor.clone(),
    };
    let feeds_dir = manifest
        .kev
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| input.clone());
    let validations_dir = manifest
        .validations
        .first()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf);
    let reports_dir = Some(input.join("reports"));
    let mut o = run_cycle(
        &sub,
        &CycleArgs {
            reports: reports_dir,
            feeds: Some(feeds_dir),
            validations: validations_dir,
            html: Some(dir.join("report.html")),
            gate: crate::cli::GateArgs { fail_on: None },
        },
    )?;
    o.phases.insert(
        0,
        PhaseTiming {
            phase: "generate estate".into(),
            seconds: generated,
            detail: format!(
                "{} findings on {} assets",
                manifest.findings_written, manifest.assets
            ),
        },
    );
    let mobilisation = crate::cmd_mobilise::demo_outputs(&sub)?;
    if ctx.output == Output::Json {
        return print_json(&DemoOutput {
            workspace: &dir,
            seed: args.seed,
            findings_generated: manifest.findings_written,
            funnel: &o.report.funnel,
            phases: &o.phases,
            final_list: &o.report.final_list,
            actions: &o.report.actions,
            html: &o.html,
            mobilisation: &mobilisation,
            attack: o.report.attack.as_ref(),
        });
    }
    println!(
        "ctem demo — {} (seed {}, {} findings generated)",
        o.report.organisation, args.seed, manifest.findings_written
    );
    println!("workspace: {}", dir.display());
    println!();
    print_cycle(&o);
    println!(
        "Executive report: {}{}",
        mobilisation.executive.html.display(),
        match (
            &mobilisation.executive.pdf,
            &mobilisation.executive.pdf_skipped
        ) {
            (Some(p), _) => format!(" and {}", p.display()),
            (None, Some(why)) => format!(" (PDF skipped: {why})"),
            _ => String::new(),
        }
    );
    println!(
        "DORA evidence pack: {} (manifest SHA-256 {})",
        mobilisation.evidence_pack.display(),
        mobilisation.evidence_manifest_sha256
    );
    println!();
    crate::cmd_graph::print_attack_section(o.report.attack.as_ref());
    let database = match &ctx.ws.database {
        Some(_) => format!(" --database '{}'", ctx.ws.db_display()),
        None => String::new(),
    };
    println!(
        "Explore: ctem --workspace {}{database} explain <exposure>   |   report exposures --tier P2   |   mobilise",
        dir.display()
    );
    Ok(())
}

fn cvss(ctx: &Ctx, vectors: &[String]) -> Result<()> {
    let mut scores = Vec::new();
    let mut errors = Vec::new();
    for v in vectors {
        match ctem_intel::score(v) {
            Ok(s) => scores.push(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if ctx.output == Output::Json {
        print_json(&serde_json::json!({"scores": scores, "errors": errors}))?;
    } else {
        let mut t = Table::new(&[
            "version",
            "base",
            "temporal/threat",
            "environmental",
            "severity",
            "vector",
        ]);
        let opt = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
        for s in &scores {
            t.row(vec![
                s.version.as_str().to_string(),
                format!("{:.1}", s.base),
                opt(s.temporal),
                opt(s.environmental),
                s.severity.to_string(),
                s.vector.clone(),
            ]);
        }
        if !scores.is_empty() {
            t.print();
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::invalid(errors.join("\n")))
    }
}
