//! `ctem scope check` behaviour: the documented example is valid, and each
//! kind of mistake is reported with its line and a message naming the problem.

use ctem_model::{AssetIdentity, Tier};
use ctem_scope::Scope;

fn doc_example() -> String {
    let doc = include_str!("../../../docs/scope.md");
    // The full example; smaller snippets earlier in the page are fragments.
    let doc = &doc[doc
        .find("## A full example")
        .expect("a full example section")..];
    let start = doc
        .find("```toml\n")
        .expect("docs/scope.md has a toml example")
        + 8;
    let end = doc[start..].find("```").expect("the example is closed") + start;
    doc[start..end].to_string()
}

#[test]
fn documented_example_is_valid() {
    let scope = Scope::parse(&doc_example(), "docs/scope.md").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scope.organisation, "Atlantica Seguros");
    assert_eq!(scope.services.len(), 3);
    assert_eq!(scope.policy.version, "2026.1");
    assert_eq!(scope.policy.rules.len(), 4);
    assert_eq!(scope.sla.len(), 2);
    let db = AssetIdentity {
        fqdn: Some("clm-db-01.corp.atlantica.example".into()),
        ip: Some("10.20.20.5".into()),
        ..Default::default()
    };
    let services = scope.services_for(&db);
    assert_eq!(services[0].service.id, "claims");
    assert_eq!(services[0].owner.name, "Jonas Weber");
    assert_eq!(
        scope.topology.zone_of(&db).map(|z| z.id.as_str()),
        Some("app")
    );
    assert!(scope.probes.permits("10.20.20.5"));
    assert!(!scope.probes.permits("mail.atlantica.example"));
    assert!(!scope.probes.permits("8.8.8.8"));
    assert_eq!(
        scope.feeds.kev_url.as_deref(),
        Some(ctem_scope::feeds::KEV_URL)
    );
    assert_eq!(scope.feeds.timeout_seconds, 300);
}

#[test]
fn feed_urls_must_be_https_unless_loopback() {
    let (line, msg, _) = broken(
        "epss_url = \"https://epss.empiricalsecurity.com/epss_scores-current.csv.gz\"",
        "epss_url = \"http://epss.example/x.csv.gz\"",
    );
    assert!(line > 1);
    assert!(
        msg.contains("feeds.epss_url") && msg.contains("https://"),
        "{msg}"
    );
}

/// Replaces the first occurrence of `from` in the example, checks that the
/// result is rejected, and returns `(line, message)` of the first diagnostic.
fn broken(from: &str, to: &str) -> (usize, String, String) {
    let text = doc_example();
    assert!(text.contains(from), "example contains {from:?}");
    let at = text.find(from).expect("example contains the text to break");
    let expected_line = text[..at].matches('\n').count() + 1;
    let text = text.replacen(from, to, 1);
    let err = Scope::parse(&text, "ctem.toml").expect_err("broken scope must be rejected");
    let d = &err.diagnostics[0];
    assert_eq!(d.line, expected_line, "line of {err}");
    (d.line, d.message.clone(), err.to_string())
}

#[test]
fn syntax_error_names_line() {
    let (_, msg, shown) = broken("criticality = 2", "criticality = = 2");
    assert!(shown.starts_with("ctem.toml:"), "{shown}");
    assert!(!msg.is_empty());
}

#[test]
fn unknown_key_is_named() {
    let (_, msg, _) = broken(
        "crown_jewel = true\nregulated_data = [\"personal\", \"health\"]",
        "crown_jewl = true\nregulated_data = [\"personal\", \"health\"]",
    );
    assert!(msg.contains("crown_jewl"), "{msg}");
}

#[test]
fn undefined_owner() {
    let (_, msg, _) = broken("owner = \"claims-engineering\"", "owner = \"claims-tem\"");
    assert!(
        msg.contains("owner `claims-tem`") && msg.contains("not defined"),
        "{msg}"
    );
}

#[test]
fn bad_cidr() {
    let (_, msg, _) = broken("\"10.20.20.0/24\"]\nimage", "\"10.20.20.0/33\"]\nimage");
    assert!(
        msg.contains("10.20.20.0/33") && msg.contains("CIDR"),
        "{msg}"
    );
}

#[test]
fn criticality_out_of_range() {
    let (_, msg, _) = broken("criticality = 2", "criticality = 9");
    assert!(msg.contains("criticality") && msg.contains('9'), "{msg}");
}

#[test]
fn duplicate_service() {
    let (_, msg, _) = broken("id = \"intranet\"", "id = \"claims\"");
    assert!(msg.contains("`claims` is declared twice"), "{msg}");
}

#[test]
fn unknown_tier_and_condition() {
    let (_, msg, _) = broken("tier = \"P3\"", "tier = \"P7\"");
    assert!(msg.contains("unknown tier `P7`"), "{msg}");
    let (_, msg, _) = broken("all = [\"cvss_high\"]", "all = [\"cvss_hihg\"]");
    assert!(msg.contains("unknown condition `cvss_hihg`"), "{msg}");
}

#[test]
fn flow_to_undeclared_zone() {
    let (_, msg, _) = broken("to = \"dmz\"", "to = \"dmzz\"");
    assert!(msg.contains("zone `dmzz`"), "{msg}");
}

#[test]
fn epss_threshold_out_of_range() {
    let (_, msg, _) = broken("epss = 0.5", "epss = 50");
    assert!(msg.contains("thresholds.epss"), "{msg}");
}

#[test]
fn sla_without_default_for_a_tier() {
    let text = doc_example().replace(
        "[[sla]]\nname = \"everything else\"\ndays = 30",
        "[[sla]]\nname = \"P1 to P3\"\ntier = [\"P1\", \"P2\", \"P3\"]\ndays = 30",
    );
    let err = Scope::parse(&text, "ctem.toml").expect_err("P4 has no SLA");
    assert!(err.to_string().contains("covers tier P4"), "{err}");
}

#[test]
fn several_mistakes_are_all_reported() {
    let text = doc_example()
        .replacen("owner = \"claims-engineering\"", "owner = \"nobody\"", 1)
        .replacen("criticality = 2", "criticality = 0", 1);
    let err = Scope::parse(&text, "ctem.toml").expect_err("two mistakes");
    assert_eq!(err.diagnostics.len(), 2, "{err}");
}

#[test]
fn default_policy_and_sla_apply_without_sections() {
    let text = r#"
[owners.ops]
name = "Ops"

[[services]]
id = "web"
name = "Web"
owner = "ops"
criticality = 3

[[services.assets]]
hostname = ["web-*"]
"#;
    let scope = Scope::parse(text, "ctem.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scope.policy.version, "default-1");
    assert_eq!(
        scope
            .sla
            .iter()
            .find(|r| r.tiers == vec![Tier::P2])
            .map(|r| r.days),
        Some(30)
    );
    // No [probes] section: nothing may be probed.
    assert!(!scope.probes.permits("127.0.0.1"));
}
