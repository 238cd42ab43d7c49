//! Reports: data in, documents out.
//!
//! **Architecture invariant:** rendering only. The caller computes a
//! [`ReportData`]; this crate turns it into a self-contained HTML page (no
//! scripts, no external assets: it opens offline and prints well) or plain
//! text. The JSON form is `ReportData`'s serde form, versioned by
//! [`SCHEMA_VERSION`].

#![forbid(unsafe_code)]

mod exec;
pub use exec::{
    ExecAction, ExecData, ExecPath, render_exec_html, svg_ageing, svg_columns, svg_hbars,
};

use serde::Serialize;
use std::fmt::Write;

/// Version of the JSON report shape.
pub const SCHEMA_VERSION: &str = "ctem-report/1";

/// One stage of the CTEM funnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    /// `all`, `in_scope`, `exploitable`, `reachable`, `validated`.
    pub stage: String,
    pub label: String,
    pub count: usize,
}

/// The funnel of one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceFunnel {
    pub service: String,
    pub name: String,
    pub crown_jewel: bool,
    pub owner: String,
    /// Counts in the order of the overall funnel's stages, from `in_scope`.
    pub counts: Vec<usize>,
}

/// One exposure in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub exposure_id: String,
    pub asset: String,
    pub weakness: String,
    pub title: String,
    pub tier: String,
    pub score: f64,
    pub service: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub days_left: Option<i64>,
    pub sla: Option<String>,
    pub path: Option<String>,
    pub validation: String,
    pub kev: bool,
    pub epss: Option<f64>,
    /// The matched policy rule.
    pub rule: String,
    /// `name: value` of every factor, for the explanation.
    pub factors: Vec<(String, String, String)>,
}

/// One remediation action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub id: String,
    pub title: String,
    pub tier: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub exposures: usize,
    pub assets: Vec<String>,
}

/// Freshness of a threat feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedInfo {
    pub feed: String,
    pub version: String,
    pub date: String,
    pub age_days: i64,
    pub stale: bool,
}

/// The attack-path section: crown jewels, choke points and a picture.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AttackSection {
    /// Per crown jewel: name, where it is reached from, the shortest and
    /// the most likely path (as people read them).
    pub jewels: Vec<JewelRow>,
    pub choke_points: Vec<ChokeRow>,
    /// A self-contained SVG of the attack subgraph (no scripts, no external
    /// references); not in the JSON report.
    #[serde(skip)]
    pub svg: String,
}

/// A crown jewel's attack paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JewelRow {
    pub crown_jewel: String,
    pub reached_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub most_likely: Option<String>,
}

/// A choke point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChokeRow {
    pub node: String,
    pub kind: String,
    pub cuts: Vec<String>,
    pub share: f64,
    pub fix: String,
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportData {
    pub schema_version: String,
    pub organisation: String,
    pub generated_at: String,
    pub policy_version: String,
    pub findings_imported: u64,
    pub assets: i64,
    pub funnel: Vec<Stage>,
    pub services: Vec<ServiceFunnel>,
    pub tiers: Vec<(String, usize)>,
    /// The validated exposures: the work that must happen, each with an owner.
    pub final_list: Vec<Row>,
    /// The most urgent exposures of the queue (P1 and P2), validated or not.
    pub queue: Vec<Row>,
    pub actions: Vec<Action>,
    pub feeds: Vec<FeedInfo>,
    pub warnings: Vec<String>,
    /// Attack paths to crown jewels and choke points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<AttackSection>,
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#13233f;color:#fff;padding:20px 32px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;color:#b8c4da;font-size:13px}
main{padding:24px 32px;max-width:1200px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:20px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:17px;margin:0 0 12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e8ec;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
.tier{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.P1{background:#b3261e}.P2{background:#d9730d}.P3{background:#b59a00}.P4{background:#6b7280}
.bar{height:26px;background:#2f6fde;border-radius:4px;color:#fff;font-size:12px;line-height:26px;padding-left:8px;white-space:nowrap;min-width:40px}
.funnel td{border:none;padding:4px 8px}
.warn{background:#fff4e5;border-left:4px solid #d9730d;padding:8px 12px;margin:6px 0;font-size:13px}
.muted{color:#6b7280} .cj{color:#b3261e;font-weight:600}
details summary{cursor:pointer;color:#2f6fde}
code{font-size:12px}
"#;

fn tier_badge(t: &str) -> String {
    format!("<span class=\"tier {0}\">{0}</span>", esc(t))
}

fn attack_section(h: &mut String, a: &AttackSection) {
    h.push_str("<section><h2>Attack paths to crown jewels</h2>");
    if a.jewels.is_empty() {
        h.push_str("<p class=\"muted\">No crown jewels are declared.</p>");
    }
    h.push_str("<table><tr><th>Crown jewel</th><th>Reached from</th><th>Shortest path</th><th>Most likely path</th></tr>");
    for j in &a.jewels {
        let _ = write!(
            h,
            "<tr><td class=\"cj\">★ {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&j.crown_jewel),
            esc(&j.reached_from),
            esc(j.shortest.as_deref().unwrap_or("—")),
            esc(j.most_likely.as_deref().unwrap_or("—"))
        );
    }
    h.push_str("</table>");
    if !a.svg.is_empty() {
        // The SVG is generated by ctem from escaped names: no script, no
        // external reference.
        let _ = write!(
            h,
            "<div style=\"margin-top:12px;overflow-x:auto\">{}</div>",
            a.svg
        );
    }
    if !a.choke_points.is_empty() {
        h.push_str("<h2 style=\"margin-top:16px\">Choke points</h2><p class=\"muted\">Fixing one of these cuts every attack path to the crown jewels it names (dominators of the attack graph); path share is the share of shortest attack paths through it.</p><table><tr><th>Node</th><th>Kind</th><th>Cuts all paths to</th><th>Path share</th><th>Fix</th></tr>");
        for c in &a.choke_points {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td></tr>",
                esc(&c.node),
                esc(&c.kind),
                esc(&if c.cuts.is_empty() {
                    "—".to_string()
                } else {
                    c.cuts.join(", ")
                }),
                c.share,
                esc(&c.fix)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
}

/// Renders the whole report as one HTML page.
pub fn render_html(d: &ReportData) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CTEM report — {org}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{CSS}</style></head><body>\
         <header><h1>Continuous Threat Exposure Management — {org}</h1>\
         <p>Generated {gen} · policy {pol} · {findings} findings imported on {assets} assets</p></header><main>",
        org = esc(&d.organisation),
        gen = esc(&d.generated_at),
        pol = esc(&d.policy_version),
        findings = d.findings_imported,
        assets = d.assets,
    );
    if !d.warnings.is_empty() {
        h.push_str("<section><h2>Warnings</h2>");
        for w in &d.warnings {
            let _ = write!(h, "<div class=\"warn\">{}</div>", esc(w));
        }
        h.push_str("</section>");
    }

    // Funnel
    h.push_str("<section><h2>Funnel</h2><table class=\"funnel\">");
    let max = d.funnel.first().map(|s| s.count).unwrap_or(0).max(1);
    for s in &d.funnel {
        let pct = (s.count as f64 / max as f64 * 100.0).max(0.5);
        let _ = write!(
            h,
            "<tr><td style=\"width:260px\">{}</td><td><div class=\"bar\" style=\"width:{pct:.1}%\">{}</div></td></tr>",
            esc(&s.label),
            s.count
        );
    }
    h.push_str("</table>");
    if !d.services.is_empty() {
        h.push_str("<h2 style=\"margin-top:16px\">By service</h2><table><tr><th>Service</th><th>Owner</th>");
        for s in d.funnel.iter().skip(1) {
            let _ = write!(h, "<th>{}</th>", esc(&s.label));
        }
        h.push_str("</tr>");
        for s in &d.services {
            let _ = write!(
                h,
                "<tr><td>{}{}</td><td>{}</td>",
                esc(&s.name),
                if s.crown_jewel {
                    " <span class=\"cj\">★ crown jewel</span>"
                } else {
                    ""
                },
                esc(&s.owner)
            );
            for c in &s.counts {
                let _ = write!(h, "<td>{c}</td>");
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");

    // Final list
    let _ = write!(
        h,
        "<section><h2>Validated exposures — owned and dated ({})</h2>",
        d.final_list.len()
    );
    rows_table(&mut h, &d.final_list, true);
    h.push_str("</section>");

    // Tiers and queue
    h.push_str("<section><h2>Prioritised queue</h2><p>");
    for (t, n) in &d.tiers {
        let _ = write!(h, "{} {n} &nbsp; ", tier_badge(t));
    }
    h.push_str("</p>");
    rows_table(&mut h, &d.queue, false);
    h.push_str("</section>");

    if let Some(a) = &d.attack {
        attack_section(&mut h, a);
    }

    // Actions
    if !d.actions.is_empty() {
        h.push_str("<section><h2>Top remediation actions</h2><table><tr><th>Tier</th><th>Action</th><th>Exposures</th><th>Assets</th><th>Owner</th><th>Due</th></tr>");
        for a in &d.actions {
            let assets = if a.assets.len() > 4 {
                format!(
                    "{} and {} more",
                    a.assets[..4].join(", "),
                    a.assets.len() - 4
                )
            } else {
                a.assets.join(", ")
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                tier_badge(&a.tier),
                esc(&a.title),
                a.exposures,
                esc(&assets),
                esc(a.owner.as_deref().unwrap_or("—")),
                esc(a.due.as_deref().unwrap_or("—"))
            );
        }
        h.push_str("</table></section>");
    }

    // Feeds
    h.push_str("<section><h2>Threat intelligence</h2><table><tr><th>Feed</th><th>Version</th><th>Data date</th><th>Age</th></tr>");
    for f in &d.feeds {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} day(s){}</td></tr>",
            esc(&f.feed),
            esc(&f.version),
            esc(&f.date),
            f.age_days,
            if f.stale { " — <b>stale</b>" } else { "" }
        );
    }
    if d.feeds.is_empty() {
        h.push_str("<tr><td colspan=\"4\">No feed loaded: exploitability is unknown.</td></tr>");
    }
    h.push_str("</table></section>");
    h.push_str("<p class=\"muted\">Every tier above is explained factor by factor: run <code>ctem explain ID</code>.</p></main></body></html>\n");
    h
}

fn rows_table(h: &mut String, rows: &[Row], with_path: bool) {
    if rows.is_empty() {
        h.push_str("<p class=\"muted\">None.</p>");
        return;
    }
    h.push_str("<table><tr><th>Tier</th><th>Exposure</th><th>Asset</th><th>Service</th><th>Owner</th><th>Due</th><th>Why</th></tr>");
    for r in rows {
        let due = match (&r.due, r.days_left) {
            (Some(d), Some(n)) if n < 0 => format!("{d} <b>(overdue {} d)</b>", -n),
            (Some(d), Some(n)) => format!("{d} ({n} d)"),
            (Some(d), None) => d.clone(),
            _ => "—".into(),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td><b>{}</b><br><span class=\"muted\">{}</span><br><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}",
            tier_badge(&r.tier),
            esc(&r.weakness),
            esc(&r.title),
            esc(&r.exposure_id),
            esc(&r.asset),
            esc(r.service.as_deref().unwrap_or("—")),
            esc(r.owner.as_deref().unwrap_or("—")),
            due,
            esc(&r.rule),
        );
        if let Some(p) = r.path.as_ref().filter(|_| with_path) {
            let _ = write!(h, "<br><span class=\"muted\">path: {}</span>", esc(p));
        }
        h.push_str("<details><summary>factors</summary><table>");
        for (n, v, s) in &r.factors {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"muted\">{}</td></tr>",
                esc(n),
                esc(v),
                esc(s)
            );
        }
        h.push_str("</table></details></td></tr>");
    }
    h.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_everything_from_data() {
        let d = ReportData {
            schema_version: SCHEMA_VERSION.into(),
            organisation: "<script>alert(1)</script>".into(),
            generated_at: "2026-11-27".into(),
            policy_version: "default-1".into(),
            findings_imported: 3,
            assets: 1,
            funnel: vec![Stage {
                stage: "all".into(),
                label: "All".into(),
                count: 3,
            }],
            services: vec![],
            tiers: vec![("P1".into(), 1)],
            final_list: vec![],
            queue: vec![],
            actions: vec![],
            feeds: vec![],
            warnings: vec!["KEV is \"stale\"".into()],
            attack: Some(AttackSection {
                jewels: vec![JewelRow {
                    crown_jewel: "<b>claims</b>".into(),
                    reached_from: "the internet".into(),
                    shortest: Some("internet → dmz: web (CVE-1)".into()),
                    most_likely: None,
                }],
                choke_points: vec![],
                svg: "<svg></svg>".into(),
            }),
        };
        let html = render_html(&d);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("KEV is &quot;stale&quot;"));
        assert!(html.contains("&lt;b&gt;claims&lt;/b&gt;") && html.contains("<svg></svg>"));
        assert!(html.ends_with("</html>\n"));
    }
}
