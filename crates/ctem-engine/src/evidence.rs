//! Compliance evidence packs: the registers an auditor asks for — scope,
//! assets, exposures with their prioritisation rationale, validation
//! records, remediation with SLA adherence and closure verification, risk
//! acceptances, the KPI trend and the verified audit log — each mapped to
//! the clauses of NIS2, DORA, the ENS or ISO/IEC 27001:2022 it evidences,
//! with an index page and a SHA-256 manifest, in one zip file. Also the
//! CSV exports behind `ctem export`.

use crate::error::{Error, Result};
use crate::mobilisation;
use ctem_model::{fmt_date, fmt_time};
use ctem_scope::Scope;
use ctem_store::Store;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;

/// The frameworks an evidence pack can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Nis2,
    Dora,
    Ens,
    Iso27001,
}

impl Framework {
    pub fn parse(s: &str) -> Option<Framework> {
        Some(match s.to_ascii_lowercase().as_str() {
            "nis2" => Framework::Nis2,
            "dora" => Framework::Dora,
            "ens" => Framework::Ens,
            "iso27001" | "iso-27001" | "iso" => Framework::Iso27001,
            _ => return None,
        })
    }

    pub fn title(self) -> &'static str {
        match self {
            Framework::Nis2 => {
                "NIS2 — Directive (EU) 2022/2555 and Implementing Regulation (EU) 2024/2690"
            }
            Framework::Dora => {
                "DORA — Regulation (EU) 2022/2554 and Delegated Regulation (EU) 2024/1774 (RTS-RMF)"
            }
            Framework::Ens => "ENS — Esquema Nacional de Seguridad, Real Decreto 311/2022",
            Framework::Iso27001 => "ISO/IEC 27001:2022",
        }
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// One artefact of the pack: its files, what it is and the clauses it
/// evidences per framework (NIS2, DORA, ENS, ISO 27001).
struct Artefact {
    key: &'static str,
    title: &'static str,
    what: &'static str,
    clauses: [&'static [&'static str]; 4],
}

const ARTEFACTS: &[Artefact] = &[
    Artefact {
        key: "scope",
        title: "Scope register",
        what: "The business services in scope, their accountable owners, criticality, crown-jewel status, regulated data and reporting obligations, as approved in ctem.toml.",
        clauses: [
            &["Art 20(1)", "Art 21(2)(a)", "CIR 2.1", "CIR 12.4.2(a)"],
            &["Art 6(8)(b)", "Art 8(1)", "Art 8(5)", "RTS-RMF Art 5"],
            &["op.pl.1", "Art 40 / Anexo I", "Art 28"],
            &["4.3", "6.1.2", "A.5.9"],
        ],
    },
    Artefact {
        key: "assets",
        title: "Asset inventory",
        what: "Every asset the scanners reported, merged across sources, with its identifiers, the service it supports and when it was first and last seen.",
        clauses: [
            &["Art 21(2)(i)", "CIR 12.4"],
            &["Art 8(4)", "Art 8(6)", "Art 8(7)", "RTS-RMF Art 4(2)(b)"],
            &["op.exp.1", "Art 21.1"],
            &["A.5.9", "A.8.9"],
        ],
    },
    Artefact {
        key: "exposures",
        title: "Exposure register with prioritisation rationale",
        what: "Every exposure with its tier, the policy rule that set it, and each factor (CISA KEV, FIRST EPSS, CVSS, reachability, compensating controls, validation) with its source and date.",
        clauses: [
            &["Art 21(2)(e)", "Art 21(3)", "CIR 6.10", "CIR 2.1.2(e)"],
            &[
                "Art 8(2)",
                "Art 9(4)(f)",
                "Art 13(1)",
                "RTS-RMF Art 10(2)(a),(b),(f),(h)",
            ],
            &["op.exp.3", "op.exp.4", "op.mon.3.r2", "Art 10", "Art 21.2"],
            &["A.5.7", "A.8.8", "6.1.2"],
        ],
    },
    Artefact {
        key: "validation",
        title: "Validation records",
        what: "Red-team, breach-and-attack-simulation, probe and analyst results: which exposures were proven exploitable, refuted, or blocked by a control, by whom and when.",
        clauses: [
            &["Art 21(2)(f)", "CIR 6.5.2", "CIR 7"],
            &[
                "Art 24(5)-(6)",
                "Art 25(1)",
                "Art 26(6)",
                "RTS-RMF Art 10(2)(g)",
                "RTS-RMF Art 16(3)",
            ],
            &["op.mon.3.r6", "mp.s.2", "mp.sw.2", "op.exp.4.r1"],
            &["A.8.8", "A.8.29", "9.1"],
        ],
    },
    Artefact {
        key: "remediation",
        title: "Remediation with SLA adherence and closure verification",
        what: "Remediation actions with owner, due date, days overdue and escalation level; their tickets; and every closed exposure with the rescan that verified it and whether it met its SLA.",
        clauses: [
            &["Art 21(4)", "CIR 6.4", "CIR 6.6.1(a)", "CIR 6.10.2(c)"],
            &[
                "Art 9(4)(e)-(f)",
                "Art 24(5)",
                "RTS-RMF Art 10(2)(g)",
                "RTS-RMF Art 10(4)(b),(d)",
                "RTS-RMF Art 17",
            ],
            &["op.exp.3", "op.exp.4.2", "op.exp.5"],
            &["A.8.8", "A.8.32", "10.2"],
        ],
    },
    Artefact {
        key: "acceptances",
        title: "Risk acceptances",
        what: "Every decision to live with an exposure: approver, justification, compensating control, expiry, and whether it is in force, expired (exposure reopened) or revoked.",
        clauses: [
            &[
                "CIR 2.1.2(j)",
                "CIR 2.3.3",
                "CIR 6.6.1(d)",
                "CIR 6.6.2",
                "CIR 6.10.3",
            ],
            &["Art 6(8)(b)", "RTS-RMF Art 3(d)"],
            &["op.pl.1.r2", "op.exp.5.4", "Art 28.3"],
            &["6.1.3(e)-(f)", "8.3"],
        ],
    },
    Artefact {
        key: "kpi",
        title: "KPI trend",
        what: "Time to detect, detection to validation, validation to remediation by tier, P1 exposures validated within SLA, validation effectiveness, exposures beyond SLA and crown-jewel exposures, now and at the end of the last four quarters.",
        clauses: [
            &["Art 20(1)", "Art 21(2)(f)", "CIR 2.2", "CIR 7.2"],
            &[
                "Art 6(8)(c)",
                "Art 13(4)-(5)",
                "RTS-RMF Art 2(2)(c)",
                "RTS-RMF Art 27",
            ],
            &["op.mon.2", "Art 10.3", "Art 32"],
            &["9.1", "9.3", "A.5.36"],
        ],
    },
    Artefact {
        key: "audit",
        title: "Tamper-evident audit log",
        what: "Every state change ctem made, hash-chained, and the result of verifying the chain when the pack was built.",
        clauses: [
            &["Art 32(2)", "Art 33", "CIR 12.4.1"],
            &["Art 6(6)", "Art 26(6)", "RTS-RMF Art 12"],
            &["op.exp.8", "op.exp.9", "Art 24", "Art 31"],
            &["7.5.3", "A.8.15", "A.5.28", "9.2"],
        ],
    },
];

fn csv_of(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(Error::failure)?;
    for r in rows {
        w.write_record(&r).map_err(Error::failure)?;
    }
    w.into_inner().map_err(|e| Error::failure(e.to_string()))
}

fn opt_date(t: Option<i64>) -> String {
    t.map(fmt_date).unwrap_or_default()
}

/// The scope register as CSV.
pub fn scope_csv(scope: &Scope) -> Result<Vec<u8>> {
    csv_of(
        &[
            "service",
            "name",
            "owner",
            "owner_email",
            "criticality",
            "crown_jewel",
            "regulated_data",
            "sla_bound",
            "reporting_obligations",
        ],
        scope
            .services
            .iter()
            .map(|s| {
                vec![
                    s.service.id.clone(),
                    s.service.name.clone(),
                    s.owner.name.clone(),
                    s.owner.email.clone().unwrap_or_default(),
                    s.service.criticality.to_string(),
                    s.service.crown_jewel.to_string(),
                    s.service.regulated_data.join("; "),
                    s.service.sla_bound.to_string(),
                    s.service.reporting_obligations.join("; "),
                ]
            })
            .collect(),
    )
}

/// The asset inventory as CSV.
pub fn assets_csv(store: &Store, scope: &Scope) -> Result<Vec<u8>> {
    let rows = store
        .assets()?
        .into_iter()
        .map(|a| {
            let svc = scope.services_for(&a.identity).into_iter().next();
            vec![
                a.id.clone(),
                a.kind.as_str().into(),
                a.name.clone(),
                a.identity.identifiers().join("; "),
                svc.map(|s| s.service.id.clone()).unwrap_or_default(),
                fmt_time(a.first_seen),
                fmt_time(a.last_seen),
            ]
        })
        .collect();
    csv_of(
        &[
            "asset",
            "kind",
            "name",
            "identifiers",
            "service",
            "first_seen",
            "last_seen",
        ],
        rows,
    )
}

/// The exposure register (every exposure, with its current decision and
/// rationale) as CSV.
pub fn exposures_csv(store: &Store) -> Result<Vec<u8>> {
    let decisions: std::collections::HashMap<String, ctem_model::Decision> = store
        .decisions()?
        .into_iter()
        .map(|d| (d.exposure_id.clone(), d))
        .collect();
    let rows = store
        .exposures(false)?
        .into_iter()
        .map(|r| {
            let e = &r.exposure;
            let d = decisions.get(&e.id);
            let f = |n: &str| {
                d.and_then(|d| d.factors.iter().find(|f| f.name == n))
                    .map(|f| f.value.to_string())
                    .unwrap_or_default()
            };
            vec![
                e.id.clone(),
                r.asset.name.clone(),
                e.weakness.id.clone(),
                e.title.clone(),
                e.severity.as_str().into(),
                e.status.as_str().into(),
                fmt_time(e.first_seen),
                fmt_time(e.last_seen),
                e.sources.join("; "),
                d.and_then(|d| d.service_id.clone()).unwrap_or_default(),
                d.map(|d| d.tier.as_str().to_string()).unwrap_or_default(),
                d.map(|d| format!("{:.1}", d.score)).unwrap_or_default(),
                d.and_then(|d| {
                    d.policy_path
                        .iter()
                        .find(|p| p.contains("→ matched") || p.starts_with("no rule matched"))
                        .map(|p| p.to_string())
                })
                .unwrap_or_default(),
                f("kev"),
                f("epss"),
                f("cvss"),
                f("reachable"),
                d.map(|d| d.validation.as_str().to_string())
                    .unwrap_or_default(),
                d.and_then(|d| d.owner.clone()).unwrap_or_default(),
                d.and_then(|d| d.sla_days)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                opt_date(d.and_then(|d| d.due)),
                d.map(|d| d.policy_version.clone()).unwrap_or_default(),
                d.map(|d| {
                    d.factors
                        .iter()
                        .map(|f| match &f.as_of {
                            Some(a) => format!("{}={} [{}, {a}]", f.name, f.value, f.source),
                            None => format!("{}={} [{}]", f.name, f.value, f.source),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            ]
        })
        .collect();
    csv_of(
        &[
            "exposure",
            "asset",
            "weakness",
            "title",
            "severity",
            "status",
            "first_seen",
            "last_seen",
            "sources",
            "service",
            "tier",
            "score",
            "policy_rule",
            "kev",
            "epss",
            "cvss",
            "reachable",
            "validation",
            "owner",
            "sla_days",
            "due",
            "policy_version",
            "factors",
        ],
        rows,
    )
}

/// Validation records as CSV.
pub fn validations_csv(store: &Store) -> Result<Vec<u8>> {
    let rows = store
        .validations()?
        .into_iter()
        .map(|v| {
            vec![
                v.exposure_id,
                v.state.as_str().into(),
                v.method,
                v.tool,
                v.control.unwrap_or_default(),
                v.reason.unwrap_or_default(),
                v.evidence.unwrap_or_default(),
                fmt_time(v.validated_at),
            ]
        })
        .collect();
    csv_of(
        &[
            "exposure",
            "outcome",
            "method",
            "tool",
            "control",
            "reason",
            "evidence",
            "validated_at",
        ],
        rows,
    )
}

/// Remediation actions with SLA adherence and their tickets, as CSV.
pub fn actions_csv(store: &Store, scope: &Scope) -> Result<Vec<u8>> {
    let tickets = store.tickets(None)?;
    let rows = mobilisation::actions(store, scope)?
        .into_iter()
        .map(|a| {
            let t: Vec<String> = tickets
                .iter()
                .filter(|t| t.action_id == a.action.id)
                .map(|t| format!("{} {} ({})", t.tracker, t.key, t.status))
                .collect();
            vec![
                a.action.id.clone(),
                a.action.title.clone(),
                a.action.tier.as_str().into(),
                a.action.owner.clone().unwrap_or_default(),
                a.due_date.clone().unwrap_or_default(),
                a.ageing
                    .as_ref()
                    .map(|g| g.days_overdue.to_string())
                    .unwrap_or_default(),
                a.ageing
                    .as_ref()
                    .and_then(|g| g.escalation.as_ref())
                    .map(|e| format!("{} ({})", e.level, e.name))
                    .unwrap_or_default(),
                a.action.exposures.len().to_string(),
                a.action.assets.join("; "),
                t.join("; "),
            ]
        })
        .collect();
    csv_of(
        &[
            "action",
            "fix",
            "tier",
            "owner",
            "due",
            "days_overdue",
            "escalation",
            "exposures",
            "assets",
            "tickets",
        ],
        rows,
    )
}

/// Closed exposures: when the fix was verified and whether it met its SLA.
pub fn closures_csv(store: &Store) -> Result<Vec<u8>> {
    let rows = store
        .exposure_history()?
        .into_iter()
        .filter_map(|h| {
            let r = h.resolved_at?;
            let last = h.tiers.iter().rev().find(|t| t.0 <= r).or(h.tiers.last());
            let due = last.and_then(|t| t.2);
            Some(vec![
                h.exposure_id,
                h.asset_name,
                h.weakness_id,
                last.map(|t| t.1.as_str().to_string()).unwrap_or_default(),
                fmt_time(h.first_seen),
                fmt_time(r),
                "absent from a complete rescan by every source that had reported it".into(),
                opt_date(due),
                match due {
                    Some(d) if r <= d => "met".into(),
                    Some(_) => "missed".into(),
                    None => "no SLA".into(),
                },
            ])
        })
        .collect();
    csv_of(
        &[
            "exposure",
            "asset",
            "weakness",
            "tier",
            "first_seen",
            "closed_at",
            "closure_verified_by",
            "due",
            "sla",
        ],
        rows,
    )
}

/// Tickets as CSV.
pub fn tickets_csv(store: &Store) -> Result<Vec<u8>> {
    let rows = store
        .tickets(None)?
        .into_iter()
        .map(|t| {
            vec![
                t.action_id,
                t.tracker,
                t.key,
                t.url.unwrap_or_default(),
                t.status,
                t.closed.to_string(),
                t.closed_by_ctem.to_string(),
                opt_date(t.remote_closed_at),
                fmt_time(t.updated_at),
            ]
        })
        .collect();
    csv_of(
        &[
            "action",
            "tracker",
            "key",
            "url",
            "status",
            "closed",
            "closed_by_ctem_after_rescan",
            "closed_in_tracker_on",
            "updated_at",
        ],
        rows,
    )
}

/// Risk acceptances as CSV.
pub fn acceptances_csv(store: &Store) -> Result<Vec<u8>> {
    let rows = mobilisation::acceptances(store)?
        .into_iter()
        .map(|a| {
            vec![
                a.row.id.to_string(),
                a.row.acceptance.exposure_id.clone(),
                a.asset.clone().unwrap_or_default(),
                a.weakness.clone().unwrap_or_default(),
                a.row.acceptance.approver.clone(),
                a.row.acceptance.justification.clone(),
                a.row.acceptance.control.clone().unwrap_or_default(),
                fmt_time(a.row.acceptance.created_at),
                a.expires.clone(),
                a.state.into(),
                opt_date(a.row.revoked_at),
                a.row.revoke_reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    csv_of(
        &[
            "id",
            "exposure",
            "asset",
            "weakness",
            "approver",
            "justification",
            "compensating_control",
            "granted_at",
            "expires",
            "state",
            "revoked_on",
            "revoke_reason",
        ],
        rows,
    )
}

/// The KPI trend as CSV: one row per quarter (overall) and per service now.
pub fn kpis_csv(k: &mobilisation::KpiReport) -> Result<Vec<u8>> {
    let row = |when: &str, k: &ctem_mobilise::kpi::Kpis| {
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        vec![
            when.to_string(),
            k.scope.clone(),
            k.population.to_string(),
            num(k.time_to_detect.median),
            num(k.detection_to_validation.median),
            k.validation_to_remediation
                .iter()
                .map(|(t, d)| format!("{t}={}", num(d.median)))
                .collect::<Vec<_>>()
                .join("; "),
            num(k.critical_validated_within_sla.percent),
            num(k.validation_effectiveness.percent),
            k.overdue.iter().map(|o| o.total).sum::<usize>().to_string(),
            k.overdue
                .iter()
                .map(|o| format!("{}={}", o.tier, o.total))
                .collect::<Vec<_>>()
                .join("; "),
            k.crown_jewel_by_quarter
                .last()
                .map(|q| q.1.to_string())
                .unwrap_or_default(),
        ]
    };
    let mut rows: Vec<Vec<String>> = k.trend.iter().map(|(q, x)| row(q, x)).collect();
    rows.extend(k.services.iter().map(|s| row("now", s)));
    csv_of(
        &[
            "period",
            "scope",
            "exposures_prioritised",
            "time_to_detect_median_days",
            "detection_to_validation_median_days",
            "validation_to_remediation_median_days_by_tier",
            "p1_validated_within_sla_percent",
            "validation_effectiveness_percent",
            "beyond_sla",
            "beyond_sla_by_tier",
            "crown_jewel_active",
        ],
        rows,
    )
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// What a pack holds.
#[derive(Debug, Clone, Serialize)]
pub struct PackSummary {
    pub framework: Framework,
    pub path: String,
    pub files: Vec<(String, String, usize)>,
    /// SHA-256 of `MANIFEST.sha256`: record it elsewhere to prove the pack
    /// unchanged.
    pub manifest_sha256: String,
    pub audit_entries: i64,
    pub audit_intact: bool,
}

/// Builds the evidence pack for `framework` and writes it to `out` (a zip).
pub fn write_pack(
    store: &Store,
    scope: &Scope,
    framework: Framework,
    out: &Path,
) -> Result<PackSummary> {
    let now = ctem_model::now();
    let k = mobilisation::kpis(store, scope)?;
    let verification = store.verify_audit()?;
    let mut audit = Vec::new();
    for e in store.audit_log(None)? {
        serde_json::to_writer(&mut audit, &e).map_err(Error::failure)?;
        audit.push(b'\n');
    }
    let mut files: Vec<(String, &'static str, Vec<u8>)> = vec![
        ("01-scope-register.csv".into(), "scope", scope_csv(scope)?),
        (
            "02-asset-inventory.csv".into(),
            "assets",
            assets_csv(store, scope)?,
        ),
        (
            "03-exposure-register.csv".into(),
            "exposures",
            exposures_csv(store)?,
        ),
        (
            "04-validation-records.csv".into(),
            "validation",
            validations_csv(store)?,
        ),
        (
            "05-remediation-actions.csv".into(),
            "remediation",
            actions_csv(store, scope)?,
        ),
        (
            "05-remediation-closures.csv".into(),
            "remediation",
            closures_csv(store)?,
        ),
        ("05-tickets.csv".into(), "remediation", tickets_csv(store)?),
        (
            "06-risk-acceptances.csv".into(),
            "acceptances",
            acceptances_csv(store)?,
        ),
        ("07-kpi-trend.csv".into(), "kpi", kpis_csv(&k)?),
        (
            "07-kpi.json".into(),
            "kpi",
            serde_json::to_vec_pretty(&k).map_err(Error::failure)?,
        ),
        ("08-audit-log.jsonl".into(), "audit", audit),
        (
            "08-audit-verification.json".into(),
            "audit",
            serde_json::to_vec_pretty(&serde_json::json!({
                "verified_at": fmt_time(now),
                "entries": verification.entries,
                "intact": verification.problem.is_none(),
                "problem": verification.problem,
            }))
            .map_err(Error::failure)?,
        ),
    ];
    let fi = framework.idx();
    let mut map_rows = Vec::new();
    for a in ARTEFACTS {
        let names: Vec<&str> = files
            .iter()
            .filter(|f| f.1 == a.key)
            .map(|f| f.0.as_str())
            .collect();
        for c in a.clauses[fi] {
            map_rows.push(vec![c.to_string(), a.title.to_string(), names.join("; ")]);
        }
    }
    files.push((
        "clause-map.csv".into(),
        "index",
        csv_of(&["clause", "artefact", "files"], map_rows)?,
    ));
    files.push((
        "index.html".into(),
        "index",
        index_html(scope, framework, &files, now, &verification).into_bytes(),
    ));
    let mut manifest = String::new();
    for (name, _, bytes) in &files {
        manifest.push_str(&format!("{}  {name}\n", sha256_hex(bytes)));
    }
    let manifest_sha256 = sha256_hex(manifest.as_bytes());
    files.push(("MANIFEST.sha256".into(), "index", manifest.into_bytes()));

    let tmp = out.with_extension("zip.partial");
    let write = || -> std::io::Result<()> {
        let f = std::fs::File::create(&tmp)?;
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, _, bytes) in &files {
            z.start_file(name.as_str(), opts)
                .map_err(std::io::Error::other)?;
            z.write_all(bytes)?;
        }
        z.finish().map_err(std::io::Error::other)?.sync_all()?;
        std::fs::rename(&tmp, out)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::failure(format!("writing {}: {e}", out.display()))
    })?;
    Ok(PackSummary {
        framework,
        path: out.display().to_string(),
        files: files
            .iter()
            .map(|(n, _, b)| (n.clone(), sha256_hex(b), b.len()))
            .collect(),
        manifest_sha256,
        audit_entries: verification.entries,
        audit_intact: verification.problem.is_none(),
    })
}

fn index_html(
    scope: &Scope,
    fw: Framework,
    files: &[(String, &'static str, Vec<u8>)],
    now: i64,
    v: &ctem_store::AuditVerification,
) -> String {
    use ctem_report::esc;
    let mut h = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evidence pack — {org} — {fw}</title>\
         <style>body{{font-family:\"DejaVu Sans\",Arial,sans-serif;margin:24px 32px;color:#1d2433;font-size:13px}}\
         h1{{font-size:20px}} h2{{font-size:15px;margin-top:22px;border-bottom:2px solid #13233f}}\
         table{{border-collapse:collapse;width:100%}} th,td{{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e8ec;vertical-align:top}}\
         th{{background:#f0f2f5}} code{{font-size:11.5px}} .ok{{color:#2e7d32}} .bad{{color:#b3261e;font-weight:bold}}</style></head><body>\
         <h1>Vulnerability and exposure management — evidence pack</h1>\
         <p><b>{org}</b> · mapped to <b>{fwt}</b> · built {now} by ctem {ver}</p>\
         <p>This pack holds the registers ctem keeps of the continuous threat exposure management programme. Each artefact below names the clauses it evidences. \
         <code>MANIFEST.sha256</code> lists the SHA-256 of every file (check with <code>sha256sum -c MANIFEST.sha256</code>); \
         the audit log's hash chain was verified when the pack was built: <span class=\"{cls}\">{verdict}</span>.</p>",
        org = esc(&scope.organisation),
        fw = esc(&format!("{fw:?}")),
        fwt = esc(fw.title()),
        now = esc(&fmt_time(now)),
        ver = env!("CARGO_PKG_VERSION"),
        cls = if v.problem.is_none() { "ok" } else { "bad" },
        verdict = match &v.problem {
            None => format!("intact, {} entries", v.entries),
            Some(p) => format!("BROKEN — {}", esc(p)),
        },
    );
    h.push_str("<h2>Artefacts and the clauses they evidence</h2><table><tr><th>Artefact</th><th>What it shows</th><th>Clauses</th><th>Files</th></tr>");
    for a in ARTEFACTS {
        let names: Vec<String> = files
            .iter()
            .filter(|f| f.1 == a.key)
            .map(|f| format!("<code>{}</code>", esc(&f.0)))
            .collect();
        h.push_str(&format!(
            "<tr><td><b>{}</b></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(a.title),
            esc(a.what),
            esc(&a.clauses[fw.idx()].join(", ")),
            names.join("<br>")
        ));
    }
    h.push_str("</table><h2>Notes for the auditor</h2><ul>\
        <li>SLA deadlines are set by the organisation's approved policy (ctem.toml, versioned); none of these frameworks fixes patch deadlines in days. Adherence and escalations are evidenced in the remediation files.</li>\
        <li>An exposure is closed only when a complete rescan by every source that reported it no longer shows it; a ticket closed in a tracker marks the fix as pending until then.</li>\
        <li>Clause identifiers are given for orientation; the texts here are ctem's own summaries, not the legal texts.</li></ul></body></html>");
    h
}

/// Checks a pack against its manifest: every listed file present with its
/// hash, and no file unlisted. Returns the problems (none: intact).
pub fn verify_pack(path: &Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path)
        .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    let mut z = zip::ZipArchive::new(f)
        .map_err(|e| Error::invalid(format!("{}: not a readable zip file: {e}", path.display())))?;
    let mut contents = std::collections::BTreeMap::new();
    for i in 0..z.len() {
        let mut entry = z
            .by_index(i)
            .map_err(|e| Error::invalid(format!("{}: entry {i}: {e}", path.display())))?;
        let mut b = Vec::new();
        entry
            .read_to_end(&mut b)
            .map_err(|e| Error::invalid(format!("{}: {}: {e}", path.display(), entry.name())))?;
        contents.insert(entry.name().to_string(), b);
    }
    let Some(manifest) = contents.get("MANIFEST.sha256") else {
        return Ok(vec!["MANIFEST.sha256 is missing".into()]);
    };
    let manifest = String::from_utf8_lossy(manifest).into_owned();
    let mut problems = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for (n, line) in manifest.lines().enumerate() {
        let Some((hash, name)) = line.split_once("  ") else {
            problems.push(format!(
                "MANIFEST.sha256 line {}: not `<sha256>  <file>`",
                n + 1
            ));
            continue;
        };
        listed.insert(name.to_string());
        match contents.get(name) {
            None => problems.push(format!("{name} is listed in the manifest but missing")),
            Some(b) if sha256_hex(b) != hash => problems.push(format!(
                "{name} was modified: its SHA-256 does not match the manifest"
            )),
            Some(_) => {}
        }
    }
    for name in contents.keys() {
        if name != "MANIFEST.sha256" && !listed.contains(name) {
            problems.push(format!("{name} is not listed in the manifest"));
        }
    }
    Ok(problems)
}
