//! Mobilisation commands: owned and dated work with ageing and escalation,
//! risk acceptances, ticket sync, KPIs, the executive report, exports and
//! compliance evidence packs.

use crate::commands::Ctx;
use crate::engine::{evidence, exec_report, mobilisation};
use crate::error::{CliError, Result};
use crate::table::Table;
use clap::{Args, Subcommand, ValueEnum};
use ctem_model::fmt_date;
use serde::Serialize;
use std::path::{Path, PathBuf};

use crate::cli::Output;

/// `ctem accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Exposure id (or a unique prefix of at least 6 characters).
    pub id: String,
    /// Who accepts the risk (a person with the authority to).
    #[arg(long)]
    pub approver: String,
    /// Why the risk is accepted.
    #[arg(long)]
    pub justification: String,
    /// The compensating control in place meanwhile.
    #[arg(long)]
    pub control: Option<String>,
    /// When the acceptance ends (YYYY-MM-DD): the exposure then reopens and
    /// its SLA restarts.
    #[arg(long)]
    pub expires: String,
}

/// `ctem acceptances`.
#[derive(Debug, Subcommand)]
pub enum AcceptancesCmd {
    /// Every acceptance: in force, expired or revoked.
    List,
    /// End an acceptance now; the exposure reopens.
    Revoke {
        /// Acceptance number (from `ctem acceptances list`).
        id: i64,
        #[arg(long)]
        reason: String,
    },
}

/// `ctem tickets`.
#[derive(Debug, Subcommand)]
pub enum TicketsCmd {
    /// Create, update, close and read back one ticket per remediation action
    /// in every `[[trackers]]` of ctem.toml (idempotent: safe to rerun).
    Sync {
        /// Only this tracker (its `name`).
        #[arg(long)]
        tracker: Option<String>,
    },
    /// The tickets ctem knows, with their last status.
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportWhat {
    Scope,
    Assets,
    Exposures,
    Validations,
    Actions,
    Closures,
    Tickets,
    Acceptances,
    Kpis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// `ctem export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_enum)]
    pub what: ExportWhat,
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `ctem evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// nis2, dora, ens or iso27001.
    #[arg(long, required_unless_present = "verify")]
    pub framework: Option<String>,
    /// Where to write the zip.
    #[arg(long, required_unless_present = "verify")]
    pub out: Option<PathBuf>,
    /// Check an existing pack against its SHA-256 manifest instead.
    #[arg(long, conflicts_with_all = ["framework", "out"])]
    pub verify: Option<PathBuf>,
}

/// `ctem executive`.
#[derive(Debug, Args)]
pub struct ExecutiveArgs {
    /// The HTML file (default: executive-report.html in the workspace).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The PDF file (default: the HTML file's name with .pdf). Needs Chromium.
    #[arg(long)]
    pub pdf: Option<PathBuf>,
    /// HTML only.
    #[arg(long)]
    pub no_pdf: bool,
}

fn print_json<T: Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(CliError::failure)?;
    println!("{s}");
    Ok(())
}

fn secrets_file(ctx: &Ctx) -> PathBuf {
    std::env::var_os("CTEM_SECRETS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| ctx.ws.dir.join(mobilisation::SECRETS_FILE))
}

/// `ctem mobilise`: the validated work, remediation actions with ageing and
/// escalation, and recent due-date changes with their reasons.
pub fn mobilise(ctx: &Ctx, owner: Option<&str>) -> Result<()> {
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let data = crate::engine::report_data(&store, &scope)?;
    let keep = |o: &Option<String>| match owner {
        None => true,
        Some(q) => o
            .as_deref()
            .is_some_and(|x| x.to_lowercase().contains(&q.to_lowercase())),
    };
    let actions: Vec<_> = mobilisation::actions(&store, &scope)?
        .into_iter()
        .filter(|a| keep(&a.action.owner))
        .collect();
    let final_list: Vec<_> = data.final_list.iter().filter(|r| keep(&r.owner)).collect();
    // Due dates that moved because the tier changed, newest first.
    let changes: Vec<serde_json::Value> = store
        .audit_log(Some(2000))?
        .into_iter()
        .rev()
        .filter(|e| e.action == "decision" && !e.detail["old_tier"].is_null() && e.detail["old_due"] != e.detail["due"])
        .take(20)
        .map(|e| {
            serde_json::json!({
                "exposure": e.subject, "at": ctem_model::fmt_time(e.at),
                "old_tier": e.detail["old_tier"], "tier": e.detail["tier"],
                "old_due": e.detail["old_due"], "due": e.detail["due"], "reason": e.detail["reason"],
            })
        })
        .collect();
    if ctx.output == Output::Json {
        return print_json(
            &serde_json::json!({"validated": final_list, "actions": actions, "due_date_changes": changes}),
        );
    }
    println!("Validated exposures — each with an owner and a due date:");
    crate::commands::print_rows(&final_list);
    println!();
    println!("Remediation actions (grouped by fix), most urgent first:");
    let mut t = Table::new(&[
        "tier",
        "action",
        "exposures",
        "owner",
        "due",
        "overdue",
        "escalated to",
    ]);
    for a in actions.iter().take(40) {
        let g = a.ageing.as_ref();
        t.row(vec![
            a.action.tier.as_str().into(),
            a.action.title.clone(),
            a.action.exposures.len().to_string(),
            a.action.owner.clone().unwrap_or_default(),
            a.due_date.clone().unwrap_or_default(),
            g.filter(|g| g.escalation.is_some())
                .map(|g| format!("{} d", g.days_overdue))
                .unwrap_or_default(),
            g.and_then(|g| g.escalation.as_ref())
                .map(|e| {
                    if e.notify.is_empty() {
                        format!("{}: {}", e.level, e.name)
                    } else {
                        format!("{}: {} ({})", e.level, e.name, e.notify.join(", "))
                    }
                })
                .unwrap_or_default(),
        ]);
    }
    t.print();
    if actions.len() > 40 {
        println!("… and {} more (--output json)", actions.len() - 40);
    }
    if !changes.is_empty() {
        println!();
        println!("Due dates changed by a tier change (newest first):");
        for c in &changes {
            println!(
                "  {} {}: {} → {}, due {} → {}{}",
                c["at"].as_str().unwrap_or(""),
                &c["exposure"].as_str().unwrap_or("")
                    [..12.min(c["exposure"].as_str().unwrap_or("").len())],
                c["old_tier"].as_str().unwrap_or("-"),
                c["tier"].as_str().unwrap_or("-"),
                c["old_due"].as_str().unwrap_or("-"),
                c["due"].as_str().unwrap_or("-"),
                c["reason"]
                    .as_str()
                    .map(|r| format!(" — {r}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

pub fn accept(ctx: &Ctx, a: AcceptArgs) -> Result<()> {
    let mut store = ctx.ws.open_store()?;
    let (id, exposure) = mobilisation::accept(
        &mut store,
        &mobilisation::AcceptRequest {
            exposure: a.id,
            approver: a.approver,
            justification: a.justification,
            control: a.control,
            expires: a.expires.clone(),
        },
        &ctx.actor,
    )?;
    if ctx.output == Output::Json {
        return print_json(
            &serde_json::json!({"acceptance": id, "exposure": exposure, "expires": a.expires}),
        );
    }
    println!(
        "acceptance {id}: exposure {exposure} is accepted until {}; it has left the queue and reopens with a new SLA when the acceptance expires",
        a.expires
    );
    Ok(())
}

pub fn acceptances(ctx: &Ctx, cmd: AcceptancesCmd) -> Result<()> {
    let mut store = ctx.ws.open_store()?;
    match cmd {
        AcceptancesCmd::List => {
            let list = mobilisation::acceptances(&store)?;
            if ctx.output == Output::Json {
                return print_json(&list);
            }
            let mut t = Table::new(&[
                "#", "state", "exposure", "weakness", "asset", "approver", "expires", "control",
            ]);
            for a in &list {
                t.row(vec![
                    a.row.id.to_string(),
                    a.state.into(),
                    a.row.acceptance.exposure_id[..12.min(a.row.acceptance.exposure_id.len())]
                        .to_string(),
                    a.weakness.clone().unwrap_or_default(),
                    a.asset.clone().unwrap_or_default(),
                    a.row.acceptance.approver.clone(),
                    a.expires.clone(),
                    a.row.acceptance.control.clone().unwrap_or_default(),
                ]);
            }
            t.print();
            Ok(())
        }
        AcceptancesCmd::Revoke { id, reason } => {
            match store.revoke_acceptance(id, &reason, ctem_model::now(), &ctx.actor)? {
                Some(x) => {
                    if ctx.output == Output::Json {
                        return print_json(&serde_json::json!({"revoked": id, "exposure": x}));
                    }
                    println!("acceptance {id} revoked; exposure {x} is open again");
                    Ok(())
                }
                None => Err(CliError::invalid(format!("no acceptance {id} is in force"))),
            }
        }
    }
}

pub fn tickets(ctx: &Ctx, cmd: TicketsCmd) -> Result<()> {
    let mut store = ctx.ws.open_store()?;
    match cmd {
        TicketsCmd::List => {
            let list = store.tickets(None)?;
            if ctx.output == Output::Json {
                return print_json(&list);
            }
            let mut t = Table::new(&["tracker", "action", "key", "status", "updated", "url"]);
            for k in &list {
                t.row(vec![
                    k.tracker.clone(),
                    k.action_id.clone(),
                    k.key.clone(),
                    k.status.clone(),
                    fmt_date(k.updated_at),
                    k.url.clone().unwrap_or_default(),
                ]);
            }
            t.print();
            Ok(())
        }
        TicketsCmd::Sync { tracker } => {
            let scope = ctx.ws.load_scope()?;
            let configs = mobilisation::trackers(&ctx.ws.scope_path())?;
            if configs.is_empty() {
                return Err(CliError::invalid(format!(
                    "{} has no [[trackers]]: see docs/mobilisation.md",
                    ctx.ws.scope_path().display()
                )));
            }
            let out = mobilisation::sync_tickets(
                &mut store,
                &scope,
                &configs,
                &secrets_file(ctx),
                tracker.as_deref(),
                ctem_ticket::Http::default(),
                &ctx.actor,
            )?;
            let failed = out
                .iter()
                .any(|s| s.error.is_some() || s.report.failed() > 0);
            if ctx.output == Output::Json {
                print_json(&out)?;
            } else {
                for s in &out {
                    if let Some(e) = &s.error {
                        println!("{}: not synced: {e}", s.report.tracker);
                        continue;
                    }
                    use ctem_ticket::Op;
                    let r = &s.report;
                    println!(
                        "{}: {} created, {} adopted, {} updated, {} unchanged, {} closed by IT (fix pending on {} exposures), {} closed after rescan, {} reopened, {} failed",
                        r.tracker,
                        r.count(&Op::Created),
                        r.count(&Op::Adopted),
                        r.count(&Op::Updated),
                        r.count(&Op::Unchanged),
                        r.count(&Op::ClosedRemotely),
                        s.fix_pending,
                        r.count(&Op::Closed),
                        r.count(&Op::Reopened),
                        r.failed()
                    );
                    for i in r.items.iter().filter(|i| i.error.is_some()) {
                        println!("  {}: {}", i.action_id, i.error.as_deref().unwrap_or(""));
                    }
                }
            }
            if failed {
                Err(CliError::failure(
                    "some tickets were not synced; rerun `ctem tickets sync` — it is safe to repeat",
                ))
            } else {
                Ok(())
            }
        }
    }
}

pub fn kpi(ctx: &Ctx) -> Result<()> {
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let k = mobilisation::kpis(&store, &scope)?;
    if ctx.output == Output::Json {
        return print_json(&k);
    }
    let days = |d: &ctem_mobilise::kpi::Days| match (d.median, d.p90) {
        (Some(m), Some(p)) => format!("{m} d (p90 {p} d, n={})", d.n),
        _ => "no data".into(),
    };
    let share = |s: &ctem_mobilise::kpi::Share| match s.percent {
        Some(p) => format!("{p}% ({}/{})", s.numerator, s.denominator),
        None => "no data".into(),
    };
    let mut t = Table::new(&[
        "scope",
        "prioritised",
        "time to detect",
        "detection → validation",
        "P1 validated in SLA",
        "validation effectiveness",
        "beyond SLA",
    ]);
    for x in std::iter::once(&k.overall).chain(k.services.iter()) {
        t.row(vec![
            x.scope.clone(),
            x.population.to_string(),
            days(&x.time_to_detect),
            days(&x.detection_to_validation),
            share(&x.critical_validated_within_sla),
            share(&x.validation_effectiveness),
            x.overdue
                .iter()
                .map(|o| format!("{} {}", o.tier, o.total))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    t.print();
    println!();
    for (tier, d) in &k.overall.validation_to_remediation {
        println!("validation → remediation, {tier}: {}", days(d));
    }
    println!(
        "active exposures on crown jewels by quarter: {}",
        k.overall
            .crown_jewel_by_quarter
            .iter()
            .map(|(q, n)| format!("{q} {n}"))
            .collect::<Vec<_>>()
            .join(" · ")
    );
    Ok(())
}

/// What `executive` wrote.
#[derive(Debug, Serialize)]
pub struct ExecutiveOutput {
    pub html: PathBuf,
    pub pdf: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdf_skipped: Option<String>,
}

/// Writes the executive report (and its PDF when Chromium is available).
pub fn write_executive(ctx: &Ctx, html: &Path, pdf: Option<&Path>) -> Result<ExecutiveOutput> {
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let data = exec_report::exec_data(&store, &scope)?;
    std::fs::write(html, ctem_report::render_exec_html(&data))
        .map_err(|e| CliError::failure(format!("{}: {e}", html.display())))?;
    let mut out = ExecutiveOutput {
        html: html.to_path_buf(),
        pdf: None,
        pdf_skipped: None,
    };
    if let Some(pdf) = pdf {
        match exec_report::html_to_pdf(html, pdf) {
            Ok(()) => out.pdf = Some(pdf.to_path_buf()),
            Err(e) => out.pdf_skipped = Some(e.to_string()),
        }
    }
    Ok(out)
}

pub fn executive(ctx: &Ctx, a: ExecutiveArgs) -> Result<()> {
    let html = a
        .out
        .unwrap_or_else(|| ctx.ws.dir.join("executive-report.html"));
    let pdf = (!a.no_pdf).then(|| a.pdf.clone().unwrap_or_else(|| html.with_extension("pdf")));
    let o = write_executive(ctx, &html, pdf.as_deref())?;
    if ctx.output == Output::Json {
        return print_json(&o);
    }
    println!("wrote {}", o.html.display());
    match (&o.pdf, &o.pdf_skipped) {
        (Some(p), _) => println!("wrote {}", p.display()),
        (None, Some(why)) => println!("PDF not written: {why}"),
        _ => {}
    }
    Ok(())
}

pub fn export(ctx: &Ctx, a: ExportArgs) -> Result<()> {
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let bytes: Vec<u8> = match (a.what, a.format) {
        (ExportWhat::Scope, ExportFormat::Csv) => evidence::scope_csv(&scope)?,
        (ExportWhat::Assets, ExportFormat::Csv) => evidence::assets_csv(&store, &scope)?,
        (ExportWhat::Exposures, ExportFormat::Csv) => evidence::exposures_csv(&store)?,
        (ExportWhat::Validations, ExportFormat::Csv) => evidence::validations_csv(&store)?,
        (ExportWhat::Actions, ExportFormat::Csv) => evidence::actions_csv(&store, &scope)?,
        (ExportWhat::Closures, ExportFormat::Csv) => evidence::closures_csv(&store)?,
        (ExportWhat::Tickets, ExportFormat::Csv) => evidence::tickets_csv(&store)?,
        (ExportWhat::Acceptances, ExportFormat::Csv) => evidence::acceptances_csv(&store)?,
        (ExportWhat::Kpis, ExportFormat::Csv) => {
            evidence::kpis_csv(&mobilisation::kpis(&store, &scope)?)?
        }
        (w, ExportFormat::Json) => {
            let v = match w {
                ExportWhat::Scope => serde_json::to_value(
                    scope
                        .services
                        .iter()
                        .map(|s| &s.service)
                        .collect::<Vec<_>>(),
                ),
                ExportWhat::Assets => serde_json::to_value(store.assets()?),
                ExportWhat::Exposures => serde_json::to_value(serde_json::json!({
                    "exposures": store.exposures(false)?, "decisions": store.decisions()?})),
                ExportWhat::Validations => serde_json::to_value(store.validations()?),
                ExportWhat::Actions => serde_json::to_value(mobilisation::actions(&store, &scope)?),
                ExportWhat::Closures => serde_json::to_value(
                    store
                        .exposure_history()?
                        .into_iter()
                        .filter(|h| h.resolved_at.is_some())
                        .collect::<Vec<_>>(),
                ),
                ExportWhat::Tickets => serde_json::to_value(store.tickets(None)?),
                ExportWhat::Acceptances => serde_json::to_value(mobilisation::acceptances(&store)?),
                ExportWhat::Kpis => serde_json::to_value(mobilisation::kpis(&store, &scope)?),
            }
            .map_err(CliError::failure)?;
            let mut b = serde_json::to_vec_pretty(&v).map_err(CliError::failure)?;
            b.push(b'\n');
            b
        }
    };
    match a.out {
        Some(p) => {
            std::fs::write(&p, &bytes)
                .map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?;
            if ctx.output == Output::Json {
                print_json(&serde_json::json!({"written": p, "bytes": bytes.len()}))
            } else {
                println!("wrote {} ({} bytes)", p.display(), bytes.len());
                Ok(())
            }
        }
        None => {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error.
            let _ = o.write_all(&bytes);
            Ok(())
        }
    }
}

pub fn evidence_cmd(ctx: &Ctx, a: EvidenceArgs) -> Result<()> {
    if let Some(p) = a.verify {
        let problems = evidence::verify_pack(&p)?;
        if ctx.output == Output::Json {
            print_json(
                &serde_json::json!({"pack": p, "intact": problems.is_empty(), "problems": problems}),
            )?;
        } else if problems.is_empty() {
            println!(
                "{}: intact — every file matches MANIFEST.sha256",
                p.display()
            );
        } else {
            for x in &problems {
                println!("{}: {x}", p.display());
            }
        }
        return if problems.is_empty() {
            Ok(())
        } else {
            Err(CliError::invalid(format!(
                "{}: the pack does not match its manifest",
                p.display()
            )))
        };
    }
    let fw_text = a.framework.unwrap_or_default();
    let fw = evidence::Framework::parse(&fw_text).ok_or_else(|| {
        CliError::new(
            crate::error::ExitCode::Usage,
            format!("--framework `{fw_text}` is not one of nis2, dora, ens, iso27001"),
        )
    })?;
    let out = a.out.unwrap_or_else(|| PathBuf::from("evidence.zip"));
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let s = evidence::write_pack(&store, &scope, fw, &out)?;
    if ctx.output == Output::Json {
        return print_json(&s);
    }
    println!(
        "wrote {} ({:?}, {} files)",
        s.path,
        s.framework,
        s.files.len()
    );
    println!(
        "manifest SHA-256: {} (record it to prove the pack unchanged)",
        s.manifest_sha256
    );
    println!(
        "audit log: {} entries, {}",
        s.audit_entries,
        if s.audit_intact {
            "chain intact"
        } else {
            "CHAIN BROKEN — see 08-audit-verification.json"
        }
    );
    Ok(())
}

/// What the demo adds: a risk acceptance, the executive report and an
/// evidence pack.
#[derive(Debug, Serialize)]
pub struct DemoMobilisation {
    pub acceptance: Option<i64>,
    pub executive: ExecutiveOutput,
    pub evidence_pack: PathBuf,
    pub evidence_manifest_sha256: String,
}

/// Runs the mobilisation outputs of `ctem demo` in its workspace.
pub fn demo_outputs(ctx: &Ctx) -> Result<DemoMobilisation> {
    let dir = ctx.ws.dir.clone();
    // A realistic acceptance: the lowest-priority in-scope exposure, for 90
    // days, with a compensating control.
    let acceptance = {
        let mut store = ctx.ws.open_store()?;
        let pick = store
            .decisions()?
            .into_iter()
            .rfind(|d| d.in_scope)
            .map(|d| d.exposure_id);
        match pick {
            Some(id) => Some(
                mobilisation::accept(
                    &mut store,
                    &mobilisation::AcceptRequest {
                        exposure: id,
                        approver: "Head of IT Risk (demo)".into(),
                        justification: "legacy component scheduled for replacement in the next release; no exploit path from the internet".into(),
                        control: Some("WAF virtual patch and network segmentation".into()),
                        expires: fmt_date(ctem_model::now() + 90 * ctem_model::DAY),
                    },
                    &ctx.actor,
                )?
                .0,
            ),
            None => None,
        }
    };
    let html = dir.join("executive-report.html");
    let executive = write_executive(ctx, &html, Some(&html.with_extension("pdf")))?;
    let store = ctx.ws.open_store()?;
    let scope = ctx.ws.load_scope()?;
    let pack = dir.join("evidence-dora.zip");
    let s = evidence::write_pack(&store, &scope, evidence::Framework::Dora, &pack)?;
    Ok(DemoMobilisation {
        acceptance,
        executive,
        evidence_pack: pack,
        evidence_manifest_sha256: s.manifest_sha256,
    })
}
