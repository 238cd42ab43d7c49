//! The executive report's data, and HTML → PDF through a headless Chromium
//! when one is installed.

use crate::error::{Error, Result};
use crate::mobilisation;
use ctem_model::{DAY, ValidationState};
use ctem_report::{ExecAction, ExecData, ExecPath};
use ctem_scope::Scope;
use ctem_store::Store;
use std::path::{Path, PathBuf};

/// Gathers the executive report from the store and the scope.
pub fn exec_data(store: &Store, scope: &Scope) -> Result<ExecData> {
    let now = ctem_model::now();
    let base = crate::report_data(store, scope)?;
    let k = mobilisation::kpis(store, scope)?;
    let actions = mobilisation::actions(store, scope)?;
    let tickets = store.tickets(None)?;
    let exec_actions: Vec<ExecAction> = actions
        .iter()
        .take(15)
        .map(|a| ExecAction {
            title: a.action.title.clone(),
            tier: a.action.tier.as_str().into(),
            owner: a.action.owner.clone(),
            due: a.due_date.clone(),
            exposures: a.action.exposures.len(),
            assets: a.action.assets.len(),
            days_overdue: a.ageing.as_ref().map(|g| g.days_overdue).unwrap_or(0),
            escalation: a
                .ageing
                .as_ref()
                .and_then(|g| g.escalation.as_ref())
                .map(|e| e.name.clone()),
            ticket: tickets
                .iter()
                .find(|t| t.action_id == a.action.id)
                .map(|t| format!("{} {} ({})", t.tracker, t.key, t.status)),
        })
        .collect();
    let mut paths = Vec::new();
    let rows: std::collections::HashMap<String, ctem_store::ExposureRow> = store
        .exposures(true)?
        .into_iter()
        .map(|r| (r.exposure.id.clone(), r))
        .collect();
    for d in store.decisions()? {
        let Some(svc) = d.service_id.as_deref().and_then(|s| scope.service(s)) else {
            continue;
        };
        if !svc.service.crown_jewel || !d.reachable || !d.exploitable_intel {
            continue;
        }
        if matches!(
            d.validation,
            ValidationState::NotExploitable | ValidationState::BlockedByControl
        ) {
            continue;
        }
        let Some(r) = rows.get(&d.exposure_id) else {
            continue;
        };
        let path = d
            .factors
            .iter()
            .find(|f| f.name == "reachable")
            .and_then(|f| f.value.strip_prefix("yes: "))
            .unwrap_or("reachable")
            .to_string();
        paths.push(ExecPath {
            service: svc.service.name.clone(),
            asset: r.asset.name.clone(),
            weakness: r.exposure.weakness.id.clone(),
            tier: d.tier.as_str().into(),
            path,
            validation: d.validation.as_str().into(),
        });
    }
    let acc = store.acceptances()?;
    let active: Vec<_> = acc.iter().filter(|a| a.state(now) == "active").collect();
    Ok(ExecData {
        schema_version: "ctem-exec-report/1".into(),
        organisation: scope.organisation.clone(),
        generated_at: ctem_model::fmt_time(now),
        policy_version: scope.policy.version.clone(),
        funnel: base.funnel,
        services: k
            .services
            .iter()
            .map(|s| {
                (
                    scope
                        .service(&s.scope)
                        .map(|x| x.service.name.clone())
                        .unwrap_or_else(|| s.scope.clone()),
                    s.clone(),
                )
            })
            .collect(),
        kpis: k.overall,
        trend: k.trend,
        actions_total: actions.len(),
        actions: exec_actions,
        paths,
        acceptances_active: active.len(),
        acceptances_expiring_30d: active
            .iter()
            .filter(|a| a.acceptance.expires_at <= now + 30 * DAY)
            .count(),
        warnings: base.warnings,
    })
}

/// Finds a headless-capable Chromium: `CTEM_CHROMIUM`, else `chromium`,
/// `chromium-browser`, `google-chrome` on the `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CTEM_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Prints an HTML file to PDF with headless Chromium. Fails with a clear
/// message when no Chromium is installed.
pub fn html_to_pdf(html: &Path, pdf: &Path) -> Result<()> {
    let Some(chromium) = find_chromium() else {
        return Err(Error::failure(
            "no Chromium found for the PDF: install it (Debian: apt-get install chromium) or set CTEM_CHROMIUM; the HTML report was written",
        ));
    };
    let html = std::fs::canonicalize(html)
        .map_err(|e| Error::failure(format!("{}: {e}", html.display())))?;
    let profile = tempfile_dir()?;
    let out = std::process::Command::new(&chromium)
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .map_err(|e| Error::failure(format!("running {}: {e}", chromium.display())));
    let _ = std::fs::remove_dir_all(&profile);
    let out = out?;
    let ok = std::fs::metadata(pdf).map(|m| m.len() > 0).unwrap_or(false);
    if !out.status.success() || !ok {
        let err = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = err.lines().rev().take(3).collect();
        return Err(Error::failure(format!(
            "{} could not print {} to PDF ({}): {}",
            chromium.display(),
            html.display(),
            out.status,
            last.join(" | ")
        )));
    }
    Ok(())
}

fn tempfile_dir() -> Result<PathBuf> {
    let d = std::env::temp_dir().join(format!(
        "ctem-chromium-{}-{}",
        std::process::id(),
        ctem_model::now()
    ));
    std::fs::create_dir_all(&d).map_err(|e| Error::failure(format!("{}: {e}", d.display())))?;
    Ok(d)
}
