//! HTML helpers for the dashboard: the page frame with its navigation,
//! badges, the funnel bars and the attack-path picture (inline SVG). Every
//! value is escaped; pages need no script.

use crate::api::Hop;
use crate::auth::Principal;
pub(crate) use ctem_report::esc;

const CSS: &str = r#"
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#13233f;color:#fff;padding:10px 24px;display:flex;align-items:center;gap:24px;flex-wrap:wrap}
header .brand{font-weight:700;font-size:18px;color:#fff;text-decoration:none}
nav a{color:#c9d4ea;text-decoration:none;margin-right:14px;font-size:14px}
nav a.on,nav a:hover{color:#fff;border-bottom:2px solid #6ea0ff}
header .who{margin-left:auto;font-size:13px;color:#b8c4da}
header form{display:inline}
header button{background:none;border:1px solid #6b7a99;color:#fff;border-radius:4px;padding:3px 8px;cursor:pointer}
main{padding:20px 24px;max-width:1280px}
section{background:#fff;border-radius:8px;padding:14px 18px;margin-bottom:18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h1{font-size:20px;margin:0 0 14px} h2{font-size:16px;margin:0 0 10px}
p.help{color:#4b5565;font-size:13px;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e8ec;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
tr:hover td{background:#fafbfd}
a{color:#1f5fd1}
.tier{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.P1{background:#b3261e}.P2{background:#d9730d}.P3{background:#b59a00}.P4{background:#6b7280}
.bar{height:24px;background:#2f6fde;border-radius:4px;color:#fff;font-size:12px;line-height:24px;padding-left:8px;white-space:nowrap;min-width:48px}
.funnel td{border:none;padding:3px 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1;min-width:150px;background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .n{font-size:26px;font-weight:700} .card .l{font-size:12px;color:#6b7280}
.bad{color:#b3261e} .ok{color:#137333}
.warn{background:#fff4e5;border-left:4px solid #d9730d;padding:8px 12px;margin:6px 0;font-size:13px}
.err{background:#fdecea;border-left:4px solid #b3261e;padding:8px 12px;margin:6px 0;font-size:13px}
.note{background:#e8f0fe;border-left:4px solid #1f5fd1;padding:8px 12px;margin:6px 0;font-size:13px}
.muted{color:#6b7280} .cj{color:#b3261e;font-weight:600}
form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end;font-size:13px}
form.filters label{display:flex;flex-direction:column;gap:2px}
input,select,textarea{font:inherit;padding:4px 6px;border:1px solid #c5cad3;border-radius:4px}
button.primary{background:#1f5fd1;color:#fff;border:none;border-radius:4px;padding:6px 14px;cursor:pointer;font:inherit}
code{font-size:12px}
.login{max-width:360px;margin:80px auto}
.login label{display:block;margin:10px 0 4px}
.login input{width:100%}
"#;

/// The navigation: (path, label).
const NAV: [(&str, &str); 7] = [
    ("/", "Funnel"),
    ("/exposures", "Exposures"),
    ("/services", "Services"),
    ("/sla", "SLA board"),
    ("/actions", "Remediation"),
    ("/risk", "Risk acceptances"),
    ("/runs", "Runs"),
];

/// A whole page with navigation for a signed-in user.
pub(crate) fn page(title: &str, p: &Principal, active: &str, body: &str) -> String {
    let mut nav = String::new();
    for (href, label) in NAV {
        nav.push_str(&format!(
            "<a href=\"{href}\"{}>{label}</a>",
            if href == active { " class=\"on\"" } else { "" }
        ));
    }
    let mut extra: Vec<(&str, &str)> = Vec::new();
    if p.can_export_evidence() {
        extra.push(("/evidence", "Evidence"));
    }
    if p.can_import() {
        extra.push(("/upload", "Upload"));
    }
    if p.can_manage_access() {
        extra.push(("/admin/users", "Users"));
        extra.push(("/admin/tokens", "Tokens"));
    }
    for (href, label) in extra {
        nav.push_str(&format!(
            "<a href=\"{href}\"{}>{label}</a>",
            if href == active { " class=\"on\"" } else { "" }
        ));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{t} · ctem</title><style>{CSS}</style></head><body>\
<header><a class=\"brand\" href=\"/\">ctem</a><nav>{nav}</nav>\
<span class=\"who\">{who} ({role}) <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">Sign out</button></form></span></header>\
<main>{body}</main></body></html>",
        t = esc(title),
        who = esc(&p.name),
        role = p.role.as_str().replace('_', " "),
        csrf = esc(p.csrf()),
    )
}

/// A page without navigation (the login page).
pub(crate) fn bare(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{} · ctem</title><style>{CSS}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

pub(crate) fn tier(t: &str) -> String {
    format!("<span class=\"tier {0}\">{0}</span>", esc(t))
}

/// Percent-encodes a query value.
pub(crate) fn url_encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// The funnel as horizontal bars, widths relative to the first stage.
pub(crate) fn funnel_bars(stages: [i64; 5]) -> String {
    let max = stages[0].max(1) as f64;
    let mut o = String::from("<table class=\"funnel\">");
    for ((_, label), n) in ctem_engine::STAGES.iter().zip(stages) {
        let w = ((n as f64 / max) * 100.0).max(1.0);
        o.push_str(&format!(
            "<tr><td style=\"width:230px\">{}</td><td><div class=\"bar\" style=\"width:{w:.1}%\">{n}</div></td></tr>",
            esc(label)
        ));
    }
    o.push_str("</table>");
    o
}

/// The attack path as boxes and arrows: zone above, asset and the weakness
/// used to move on below.
pub(crate) fn path_svg(hops: &[Hop]) -> String {
    if hops.is_empty() {
        return String::new();
    }
    let (bw, bh, gap) = (170, 64, 44);
    let width = hops.len() * (bw + gap) - gap + 20;
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"attack path\" width=\"{width}\" height=\"{h}\" viewBox=\"0 0 {width} {h}\" style=\"max-width:100%\">\
<defs><marker id=\"arr\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#b3261e\"/></marker></defs>",
        h = bh + 20
    );
    for (i, hop) in hops.iter().enumerate() {
        let x = 10 + i * (bw + gap);
        let last = i + 1 == hops.len();
        let (fill, stroke) = if i == 0 {
            ("#fdecea", "#b3261e")
        } else if last {
            ("#fff4e5", "#d9730d")
        } else {
            ("#eef2f8", "#5a6b8c")
        };
        // The full names on hover, since boxes clip long ones.
        let full = [
            Some(hop.zone.as_str()),
            hop.asset.as_deref(),
            hop.weakness.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        o.push_str(&format!("<g><title>{}</title>", esc(&full)));
        o.push_str(&format!(
            "<rect x=\"{x}\" y=\"10\" width=\"{bw}\" height=\"{bh}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
<text x=\"{tx}\" y=\"30\" font-size=\"12\" font-weight=\"600\" text-anchor=\"middle\" fill=\"#1d2433\">{zone}</text>",
            tx = x + bw / 2,
            zone = esc(&clip(&hop.zone, 24)),
        ));
        if let Some(a) = &hop.asset {
            o.push_str(&format!(
                "<text x=\"{tx}\" y=\"48\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1d2433\">{}</text>",
                esc(&clip(a, 26)),
                tx = x + bw / 2
            ));
        }
        if let Some(w) = &hop.weakness {
            o.push_str(&format!(
                "<text x=\"{tx}\" y=\"64\" font-size=\"10\" text-anchor=\"middle\" fill=\"#b3261e\">via {}</text>",
                esc(&clip(w, 24)),
                tx = x + bw / 2
            ));
        }
        o.push_str("</g>");
        if !last {
            let x1 = x + bw;
            o.push_str(&format!(
                "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#b3261e\" stroke-width=\"2\" marker-end=\"url(#arr)\"/>",
                x2 = x1 + gap - 2,
                y = 10 + bh / 2
            ));
        }
    }
    o.push_str("</svg>");
    o
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_escapes_and_draws_every_hop() {
        let hops = crate::api::parse_path("internet → dmz: <web> (CVE-1) → core: db");
        let s = path_svg(&hops);
        assert_eq!(s.matches("<rect").count(), 3);
        assert_eq!(s.matches("<line").count(), 2);
        assert!(s.contains("&lt;web&gt;"));
        assert!(!s.contains("<web>"));
    }

    #[test]
    fn url_encoding() {
        assert_eq!(
            url_encode("/exposures?tier=P1&q=a b"),
            "%2Fexposures%3Ftier%3DP1%26q%3Da%20b"
        );
    }
}
