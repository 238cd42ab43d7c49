//! The executive report: one printable page set (HTML, and PDF through a
//! headless browser) for a CISO, a board or an auditor — the funnel, the KPI
//! trend, ageing beyond SLA, the top remediation actions, attack paths to
//! crown jewels and risk acceptances. Charts are inline SVG drawn here: no
//! scripts, no fonts or files fetched, so the page opens offline and prints
//! the same everywhere.

use crate::{Stage, esc};
use ctem_mobilise::kpi::{Days, Kpis, Share};
use serde::Serialize;
use std::fmt::Write;

/// One remediation action as the executive report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecAction {
    pub title: String,
    pub tier: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub exposures: usize,
    pub assets: usize,
    pub days_overdue: i64,
    pub escalation: Option<String>,
    pub ticket: Option<String>,
}

/// One attack path to a crown jewel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecPath {
    pub service: String,
    pub asset: String,
    pub weakness: String,
    pub tier: String,
    pub path: String,
    pub validation: String,
}

/// Everything the executive report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecData {
    pub schema_version: String,
    pub organisation: String,
    pub generated_at: String,
    pub policy_version: String,
    pub funnel: Vec<Stage>,
    pub kpis: Kpis,
    pub services: Vec<(String, Kpis)>,
    pub trend: Vec<(String, Kpis)>,
    pub actions: Vec<ExecAction>,
    pub actions_total: usize,
    pub paths: Vec<ExecPath>,
    pub acceptances_active: usize,
    pub acceptances_expiring_30d: usize,
    pub warnings: Vec<String>,
}

const CSS: &str = r#"
@page{size:A4;margin:14mm}
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:0;color:#1d2433;font-size:12.5px}
header{background:#13233f;color:#fff;padding:18px 26px}
header h1{margin:0;font-size:20px} header p{margin:4px 0 0;color:#b8c4da;font-size:12px}
main{padding:14px 26px}
section{margin:0 0 16px;page-break-inside:avoid;break-inside:avoid}
h2{font-size:15px;margin:10px 0 6px;border-bottom:2px solid #13233f;padding-bottom:3px}
p.lead{margin:4px 0 8px;color:#374151}
.cards{display:flex;gap:10px;flex-wrap:wrap}
.card{flex:1 1 150px;border:1px solid #d9dde4;border-radius:6px;padding:8px 10px}
.card .v{font-size:22px;font-weight:700} .card .l{font-size:11px;color:#4b5563}
.card .d{font-size:10.5px;color:#6b7280;margin-top:3px}
table{border-collapse:collapse;width:100%;font-size:11.5px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e6e8ec;vertical-align:top}
th{background:#f0f2f5}
.tier{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-weight:600;font-size:10.5px}
.P1{background:#b3261e}.P2{background:#d9730d}.P3{background:#b59a00}.P4{background:#6b7280}
.late{color:#b3261e;font-weight:600} .muted{color:#6b7280}
.warn{background:#fff4e5;border-left:4px solid #d9730d;padding:6px 10px;margin:4px 0}
.two{display:flex;gap:16px} .two>div{flex:1}
svg text{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif}
"#;

fn days_text(d: &Days) -> String {
    match (d.median, d.p90) {
        (Some(m), Some(p)) => format!("{m} d median · {p} d p90 · n={}", d.n),
        _ => "no data yet".into(),
    }
}

fn pct(s: &Share) -> String {
    match s.percent {
        Some(p) => format!("{p}%"),
        None => "–".into(),
    }
}

/// Horizontal bars: `(label, value)`.
pub fn svg_hbars(items: &[(String, f64, &str)], width: u32, unit: &str) -> String {
    let row = 24u32;
    let label_w = 330u32;
    let h = row * items.len() as u32 + 6;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{h}\" viewBox=\"0 0 {width} {h}\" role=\"img\">"
    );
    let bar_w = f64::from(width - label_w - 70);
    for (i, (label, v, color)) in items.iter().enumerate() {
        let y = i as u32 * row + 3;
        let w = (v / max * bar_w).max(if *v > 0.0 { 2.0 } else { 0.0 });
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"11\" text-anchor=\"end\" fill=\"#1d2433\">{l}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" rx=\"3\" fill=\"{color}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"11\" fill=\"#1d2433\">{val}{unit}</text>",
            lx = label_w - 8,
            ty = y + 13,
            l = esc(&truncate(label, 52)),
            bx = label_w,
            vx = f64::from(label_w) + w + 5.0,
            val = fmt_num(*v),
        );
    }
    s.push_str("</svg>");
    s
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}

/// Columns with a label under each: one series, optional values.
pub fn svg_columns(
    title: &str,
    points: &[(String, Option<f64>)],
    max: Option<f64>,
    unit: &str,
    color: &str,
) -> String {
    let (w, h) = (300u32, 170u32);
    let (top, bottom, left) = (24.0, 30.0, 10.0);
    let plot_h = f64::from(h) - top - bottom;
    let max = max
        .unwrap_or_else(|| points.iter().filter_map(|p| p.1).fold(0.0, f64::max))
        .max(1.0);
    let n = points.len().max(1) as f64;
    let slot = (f64::from(w) - 2.0 * left) / n;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">\
         <text x=\"4\" y=\"14\" font-size=\"12\" font-weight=\"bold\" fill=\"#1d2433\">{}</text>\
         <line x1=\"{left}\" y1=\"{base}\" x2=\"{x2}\" y2=\"{base}\" stroke=\"#9ca3af\"/>",
        esc(title),
        base = top + plot_h,
        x2 = f64::from(w) - left,
    );
    for (i, (label, v)) in points.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        let _ = write!(
            s,
            "<text x=\"{cx:.1}\" y=\"{ly:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#4b5563\">{}</text>",
            esc(label),
            ly = f64::from(h) - 10.0
        );
        match v {
            Some(v) => {
                let bh = (v / max * plot_h).max(if *v > 0.0 { 1.5 } else { 0.0 });
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" rx=\"2\" fill=\"{color}\"/>\
                     <text x=\"{cx:.1}\" y=\"{ty:.1}\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"#1d2433\">{val}{unit}</text>",
                    x = cx - slot * 0.3,
                    y = top + plot_h - bh,
                    bw = slot * 0.6,
                    ty = top + plot_h - bh - 3.0,
                    val = fmt_num(*v),
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<text x=\"{cx:.1}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#9ca3af\">no data</text>",
                    ty = top + plot_h - 4.0
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// Stacked horizontal bars of overdue exposures per tier by age bucket.
pub fn svg_ageing(k: &Kpis) -> String {
    let buckets = [
        ("1–7 d", "#f2b84b"),
        ("8–30 d", "#e07b28"),
        ("31–90 d", "#c0392b"),
        ("> 90 d", "#7b1d1d"),
    ];
    let rows: Vec<(&str, [usize; 4])> = ["P1", "P2", "P3", "P4"]
        .iter()
        .map(|t| {
            let o = k.overdue.iter().find(|o| o.tier == *t);
            (
                *t,
                o.map(|o| [o.days_1_7, o.days_8_30, o.days_31_90, o.over_90])
                    .unwrap_or_default(),
            )
        })
        .collect();
    let max = rows
        .iter()
        .map(|r| r.1.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (w, row) = (640u32, 26u32);
    let h = row * 4 + 30;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">"
    );
    let bar_w = f64::from(w) - 110.0;
    for (i, (tier, counts)) in rows.iter().enumerate() {
        let y = i as u32 * row + 2;
        let _ = write!(
            s,
            "<text x=\"30\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#1d2433\">{tier}</text>",
            y + 14
        );
        let mut x = 40.0;
        for (c, (_, color)) in counts.iter().zip(buckets.iter()) {
            if *c == 0 {
                continue;
            }
            let bw = *c as f64 / max * bar_w;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{bw:.1}\" height=\"18\" fill=\"{color}\"/>"
            );
            if bw > 18.0 {
                let _ = write!(
                    s,
                    "<text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#fff\">{c}</text>",
                    tx = x + bw / 2.0,
                    ty = y + 13
                );
            }
            x += bw;
        }
        let total: usize = counts.iter().sum();
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#1d2433\">{total}</text>",
            x + 5.0,
            y + 14
        );
    }
    let ly = row * 4 + 16;
    for (i, (label, color)) in buckets.iter().enumerate() {
        let x = 40 + i as u32 * 110;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" font-size=\"10.5\" fill=\"#1d2433\">{label} overdue</text>",
            ly - 10,
            x + 16,
            ly
        );
    }
    s.push_str("</svg>");
    s
}

/// Renders the executive report.
pub fn render_exec_html(d: &ExecData) -> String {
    let k = &d.kpis;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Exposure management — executive report — {org}</title>\
         <style>{CSS}</style></head><body><header><h1>Exposure management — executive report</h1>\
         <p>{org} · generated {gen} · prioritisation policy {pol}</p></header><main>",
        org = esc(&d.organisation),
        gen = esc(&d.generated_at),
        pol = esc(&d.policy_version)
    );
    for w in &d.warnings {
        let _ = write!(h, "<div class=\"warn\">{}</div>", esc(w));
    }
    let overdue: usize = k.overdue.iter().map(|o| o.total).sum();
    let overdue_p1 = k
        .overdue
        .iter()
        .find(|o| o.tier == "P1")
        .map(|o| o.total)
        .unwrap_or(0);
    let cj_now = k.crown_jewel_by_quarter.last().map(|q| q.1).unwrap_or(0);
    let cj_prev = k.crown_jewel_by_quarter.iter().rev().nth(1).map(|q| q.1);
    let validated = d.funnel.last().map(|s| s.count).unwrap_or(0);
    h.push_str("<section><h2>At a glance</h2><div class=\"cards\">");
    let card = |h: &mut String, v: String, l: &str, det: String| {
        let _ = write!(
            h,
            "<div class=\"card\"><div class=\"v\">{}</div><div class=\"l\">{}</div><div class=\"d\">{}</div></div>",
            esc(&v),
            esc(l),
            esc(&det)
        );
    };
    card(
        &mut h,
        validated.to_string(),
        "validated exploitable exposures",
        format!(
            "of {} open findings in the funnel",
            d.funnel.first().map(|s| s.count).unwrap_or(0)
        ),
    );
    card(
        &mut h,
        pct(&k.critical_validated_within_sla),
        "P1 exposures validated within SLA",
        format!(
            "{} of {} with a due date passed or met",
            k.critical_validated_within_sla.numerator, k.critical_validated_within_sla.denominator
        ),
    );
    card(
        &mut h,
        overdue.to_string(),
        "exposures beyond SLA",
        format!("{overdue_p1} of them P1"),
    );
    card(
        &mut h,
        cj_now.to_string(),
        "active exposures on crown jewels",
        match cj_prev {
            Some(p) => format!("{p} at the end of last quarter"),
            None => "no previous quarter".into(),
        },
    );
    card(
        &mut h,
        pct(&k.validation_effectiveness),
        "validation effectiveness",
        "validated exposures found not exploitable or blocked".into(),
    );
    h.push_str("</div></section>");

    // Funnel.
    h.push_str("<section><h2>From findings to validated work</h2><p class=\"lead\">Each stage keeps only what the one before found relevant: in scope, known exploited or likely (KEV, EPSS), reachable by an attacker, and proven exploitable.</p>");
    let items: Vec<(String, f64, &str)> = d
        .funnel
        .iter()
        .map(|s| (s.label.clone(), s.count as f64, "#2f6fde"))
        .collect();
    h.push_str(&svg_hbars(&items, 680, ""));
    h.push_str("</section>");

    // KPI trend.
    h.push_str("<section><h2>KPI trend by quarter</h2><div class=\"two\">");
    let series = |f: &dyn Fn(&Kpis) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        d.trend.iter().map(|(q, k)| (q.clone(), f(k))).collect()
    };
    let _ = write!(
        h,
        "<div>{}</div><div>{}</div></div><div class=\"two\"><div>{}</div><div>{}</div>",
        svg_columns(
            "P1 validated within SLA (%)",
            &series(&|k| k.critical_validated_within_sla.percent),
            Some(100.0),
            "%",
            "#2e7d32"
        ),
        svg_columns(
            "Exposures beyond SLA",
            &series(&|k| Some(k.overdue.iter().map(|o| o.total).sum::<usize>() as f64)),
            None,
            "",
            "#b3261e"
        ),
        svg_columns(
            "Active exposures on crown jewels",
            &k.crown_jewel_by_quarter
                .iter()
                .map(|(q, n)| (q.clone(), Some(*n as f64)))
                .collect::<Vec<_>>(),
            None,
            "",
            "#13233f"
        ),
        svg_columns(
            "Detection → validation (median days)",
            &series(&|k| k.detection_to_validation.median),
            None,
            "",
            "#6a4c93"
        ),
    );
    h.push_str(
        "</div><table><tr><th>KPI (overall, now)</th><th>Value</th><th>Definition</th></tr>",
    );
    let mut kpi_row = |name: &str, v: String, def: &str| {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"muted\">{}</td></tr>",
            esc(name),
            esc(&v),
            esc(def)
        );
    };
    kpi_row(
        "Time to detect",
        days_text(&k.time_to_detect),
        "CISA KEV listing (or the asset's first sighting, if later) → entry into the prioritised queue",
    );
    kpi_row(
        "Detection → validation",
        days_text(&k.detection_to_validation),
        "first sighting → first validation result",
    );
    for (t, dd) in &k.validation_to_remediation {
        kpi_row(
            &format!("Validation → remediation, {t}"),
            days_text(dd),
            "validated exploitable → fix verified by a rescan",
        );
    }
    kpi_row(
        "P1 validated within SLA",
        format!(
            "{} ({} of {})",
            pct(&k.critical_validated_within_sla),
            k.critical_validated_within_sla.numerator,
            k.critical_validated_within_sla.denominator
        ),
        "P1 exposures validated by their due date",
    );
    kpi_row(
        "Validation effectiveness",
        format!(
            "{} ({} of {})",
            pct(&k.validation_effectiveness),
            k.validation_effectiveness.numerator,
            k.validation_effectiveness.denominator
        ),
        "validated exposures found not exploitable or blocked by a control",
    );
    h.push_str("</table></section>");

    // Ageing.
    h.push_str("<section><h2>Ageing beyond SLA</h2><p class=\"lead\">Active exposures past their due date, by tier and by how long. Escalation follows the levels in ctem.toml.</p>");
    if k.overdue.is_empty() {
        h.push_str("<p><b>No active exposure is beyond its SLA.</b></p>");
    } else {
        h.push_str(&svg_ageing(k));
    }
    h.push_str("</section>");

    // Per service.
    if !d.services.is_empty() {
        h.push_str("<section><h2>By service</h2><table><tr><th>Service</th><th>Exposures prioritised</th><th>P1 validated within SLA</th><th>Beyond SLA</th><th>Detection → validation</th><th>Validation effectiveness</th></tr>");
        for (name, s) in &d.services {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                s.population,
                pct(&s.critical_validated_within_sla),
                s.overdue.iter().map(|o| o.total).sum::<usize>(),
                esc(&days_text(&s.detection_to_validation)),
                pct(&s.validation_effectiveness)
            );
        }
        h.push_str("</table></section>");
    }

    // Top remediation actions.
    let _ = write!(
        h,
        "<section><h2>Top remediation actions</h2><p class=\"lead\">Exposures grouped by fix — the unit IT works on. {} actions in total; the most urgent:</p>",
        d.actions_total
    );
    let bars: Vec<(String, f64, &str)> = d
        .actions
        .iter()
        .take(8)
        .map(|a| {
            let color = match a.tier.as_str() {
                "P1" => "#b3261e",
                "P2" => "#d9730d",
                "P3" => "#b59a00",
                _ => "#6b7280",
            };
            (a.title.clone(), a.exposures as f64, color)
        })
        .collect();
    h.push_str(&svg_hbars(&bars, 680, " exp."));
    h.push_str("<table><tr><th>Tier</th><th>Action</th><th>Owner</th><th>Due</th><th>Exposures</th><th>Ticket</th></tr>");
    for a in d.actions.iter().take(12) {
        let due = match (&a.due, a.days_overdue) {
            (Some(d), n) if n > 0 => format!(
                "<span class=\"late\">{} ({n} d overdue{})</span>",
                esc(d),
                a.escalation
                    .as_ref()
                    .map(|e| format!(", escalated to {}", esc(e)))
                    .unwrap_or_default()
            ),
            (Some(d), _) => esc(d),
            _ => "–".into(),
        };
        let _ = write!(
            h,
            "<tr><td><span class=\"tier {t}\">{t}</span></td><td>{}</td><td>{}</td><td>{due}</td><td>{} on {} assets</td><td>{}</td></tr>",
            esc(&a.title),
            esc(a.owner.as_deref().unwrap_or("unassigned")),
            a.exposures,
            a.assets,
            esc(a.ticket.as_deref().unwrap_or("–")),
            t = esc(&a.tier)
        );
    }
    h.push_str("</table></section>");

    // Attack paths.
    h.push_str("<section><h2>Attack paths to crown jewels</h2>");
    if d.paths.is_empty() {
        h.push_str("<p class=\"lead\">No exploitable exposure on a crown-jewel service is reachable from the internet or an assumed-breach zone.</p>");
    } else {
        h.push_str("<p class=\"lead\">Shortest paths an attacker can take from the internet or an assumed-breach zone to an exploitable exposure on a crown-jewel service.</p><table><tr><th>Service</th><th>Tier</th><th>Exposure</th><th>Path</th><th>Validation</th></tr>");
        for p in d.paths.iter().take(12) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td><span class=\"tier {t}\">{t}</span></td><td>{} on {}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.service),
                esc(&p.weakness),
                esc(&p.asset),
                esc(&p.path),
                esc(&p.validation),
                t = esc(&p.tier)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
    let _ = write!(
        h,
        "<section><h2>Risk acceptances</h2><p class=\"lead\">{} acceptances in force; {} expire within 30 days, after which their exposures reopen with a new SLA.</p></section>",
        d.acceptances_active, d.acceptances_expiring_30d
    );
    h.push_str("<p class=\"muted\">Produced by ctem. Definitions of every KPI: docs/mobilisation.md. The evidence pack (ctem evidence) holds the underlying registers with a SHA-256 manifest.</p></main></body></html>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_self_contained_svg_and_escape_labels() {
        let s = svg_hbars(&[("<script>".into(), 3.0, "#000")], 400, "");
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("&lt;script&gt;") && !s.contains("<script>"));
        let c = svg_columns(
            "t",
            &[("Q1".into(), None), ("Q2".into(), Some(50.0))],
            Some(100.0),
            "%",
            "#000",
        );
        assert!(c.contains("no data") && c.contains("50%"));
    }
}
