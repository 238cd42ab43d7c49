//! Topology files: the documented example compiles, known answers through
//! the attack graph (a security group opening 443 to the internet makes an
//! exposure reachable; a deny rule removes a path), and mistakes named with
//! file, line and column, all at once.

use ctem_graph::estate::{self, AssetNode, Estate, ExposureNode, Flow as GFlow, Vector};
use ctem_model::AssetIdentity;
use ctem_scope::{Scope, ScopeError};

/// The two toml blocks of docs/scope.md's "Topology files" section.
fn doc_blocks() -> (String, String) {
    let doc = include_str!("../../../docs/scope.md");
    let start = doc.find("### Topology files").expect("the section exists");
    let mut rest = &doc[start..];
    let mut blocks = Vec::new();
    while blocks.len() < 2 {
        let s = rest.find("```toml\n").expect("a toml block") + 8;
        let e = rest[s..].find("```").expect("closed") + s;
        blocks.push(rest[s..e].to_string());
        rest = &rest[e + 3..];
    }
    (blocks[0].clone(), blocks[1].clone())
}

const SERVICES: &str = r#"
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

const BASE: &str = r#"
[organisation]
name = "Test"

[topology]
files = ["topology.toml"]

[[topology.zones]]
id = "dmz"
members = { cidr = ["203.0.113.0/24"] }

[[topology.zones]]
id = "app"
members = { cidr = ["10.20.0.0/16"] }
"#;

fn scope_with(topology: &str) -> Result<Scope, Vec<ScopeError>> {
    let text = format!("{BASE}{SERVICES}");
    let mut scope = Scope::parse(&text, "ctem.toml").unwrap_or_else(|e| panic!("{e}"));
    scope
        .topology
        .apply_files(&[("topology.toml".into(), topology.into())])?;
    Ok(scope)
}

fn host(ip: &str, cloud_id: Option<&str>, tags: &[&str]) -> AssetIdentity {
    AssetIdentity {
        ip: Some(ip.into()),
        cloud_id: cloud_id.map(String::from),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    }
}

/// Whether an exploitable network exposure on `port` of the asset is
/// reachable from the internet, as the engine builds the estate.
fn reachable(scope: &Scope, asset: &AssetIdentity, port: u16) -> bool {
    let mut zones = vec!["internet".to_string()];
    zones.extend(scope.topology.zones.iter().map(|z| z.id.clone()));
    let idx = |n: &str| zones.iter().position(|z| z == n);
    let flows = scope
        .topology
        .flows
        .iter()
        .filter_map(|f| {
            Some(GFlow {
                from: idx(&f.from)?,
                to: idx(&f.to)?,
                ports: f.ports.clone(),
                except: f.except.clone(),
                label: f.description.clone().unwrap_or_default(),
            })
        })
        .collect();
    let zone = scope.topology.zone_of(asset).and_then(|z| idx(&z.id));
    let est = Estate {
        zones: zones.clone(),
        flows,
        assets: vec![AssetNode {
            name: "target".into(),
            zone,
        }],
        exposures: vec![ExposureNode {
            asset: 0,
            port: Some(port),
            vector: Vector::Network,
            exploitable: true,
            likelihood: 0.9,
            weakness: "CVE-2024-0001".into(),
        }],
        ..Default::default()
    };
    estate::analyse(&est, 5).exposures[0].from_internet
}

#[test]
fn documented_example_compiles() {
    let (ctem_toml, topo) = doc_blocks();
    let text = format!("[organisation]\nname = \"Doc\"\n{ctem_toml}{SERVICES}");
    let mut scope = Scope::parse(&text, "ctem.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scope.topology.files.len(), 1);
    assert_eq!(scope.topology.files[0].0, "topology.toml");
    scope
        .topology
        .apply_files(&[("topology.toml".into(), topo)])
        .unwrap_or_else(|e| panic!("{}", e[0]));
    // The security group comes first and holds its tagged resources.
    assert_eq!(scope.topology.zones[0].id, "sg-0a1b2c3d");
    let lb = host("10.20.10.7", None, &["claims-lb"]);
    assert_eq!(
        scope.topology.zone_of(&lb).map(|z| z.id.as_str()),
        Some("sg-0a1b2c3d")
    );
    assert!(reachable(&scope, &lb, 443));
    assert!(!reachable(&scope, &lb, 8443));
    // dmz → app is any port except 22 and 3389 (the deny rule).
    let f = scope
        .topology
        .flows
        .iter()
        .find(|f| f.from == "dmz" && f.to == "app")
        .expect("dmz → app");
    assert!(f.allows(Some(8080)));
    assert!(!f.allows(Some(3389)));
    // The group inside `app` keeps app's outbound flows and reaches app.
    assert!(
        scope
            .topology
            .flows
            .iter()
            .any(|f| f.from == "sg-0a1b2c3d" && f.to == "app")
    );
}

#[test]
fn security_group_open_to_the_internet_makes_exposure_reachable() {
    let api = host("10.20.1.5", Some("i-0abc"), &[]);
    // Without a topology file, app is not internet-facing.
    let closed = scope_with("").unwrap_or_else(|e| panic!("{}", e[0]));
    assert!(!reachable(&closed, &api, 443));

    let open = scope_with(
        r#"
[[security_groups]]
id = "sg-api"
account = "123456789012"
resources = ["i-0abc"]

[[security_groups.ingress]]
source = "0.0.0.0/0"
ports = [443]
"#,
    )
    .unwrap_or_else(|e| panic!("{}", e[0]));
    assert!(reachable(&open, &api, 443));
    assert!(!reachable(&open, &api, 22), "only 443 is open");
    // Not attached: still not reachable.
    let other = host("10.20.1.6", Some("i-0def"), &[]);
    assert!(!reachable(&open, &other, 443));
}

#[test]
fn deny_rule_removes_a_path() {
    let web = host("203.0.113.10", None, &[]);
    let allow = r#"
[[firewall_rules]]
name = "web in"
from = "0.0.0.0/0"
to = "203.0.113.0/24"
action = "allow"
"#;
    let s = scope_with(allow).unwrap_or_else(|e| panic!("{}", e[0]));
    assert!(reachable(&s, &web, 443));
    assert!(reachable(&s, &web, 8080));

    // A deny on 8080, written before the allow: the allow stays for 443.
    let partial = format!(
        "{}{allow}",
        r#"
[[firewall_rules]]
name = "no admin port"
from = "internet"
to = "dmz"
ports = [8080]
action = "deny"
"#
    );
    let s = scope_with(&partial).unwrap_or_else(|e| panic!("{}", e[0]));
    assert!(reachable(&s, &web, 443));
    assert!(!reachable(&s, &web, 8080));

    // A deny without ports removes the flow altogether.
    let full = format!(
        "{allow}{}",
        r#"
[[firewall_rules]]
name = "cut"
from = "internet"
to = "dmz"
action = "deny"
"#
    );
    let s = scope_with(&full).unwrap_or_else(|e| panic!("{}", e[0]));
    assert!(!reachable(&s, &web, 443));
}

#[test]
fn mistakes_are_named_with_line_and_column_all_at_once() {
    let text = r#"[[firewall_rules]]
name = "one"
from = "internet"
to = "10.99.0.0/16"
action = "allow"

[[firewall_rules]]
name = "two"
from = "nowhere"
to = "app"
action = "block"

[[security_groups]]
id = "sg-x"

[[security_groups.ingress]]
source = "10.20.0.300/32"
ports = [443]
"#;
    let errors = scope_with(text).expect_err("mistakes");
    assert_eq!(errors.len(), 1);
    let e = &errors[0];
    assert_eq!(e.file, "topology.toml");
    let found: Vec<(usize, usize, &str)> = e
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    let has = |line: usize, col: usize, needle: &str| {
        found
            .iter()
            .any(|(l, c, m)| *l == line && *c == col && m.contains(needle))
    };
    assert!(has(4, 6, "in no declared zone"), "{found:?}");
    assert!(has(9, 8, "neither a declared zone"), "{found:?}");
    assert!(has(11, 10, "unknown action `block`"), "{found:?}");
    assert!(has(14, 6, "attached to nothing"), "{found:?}");
    assert!(has(17, 10, "10.20.0.300/32"), "{found:?}");
    let shown = e.to_string();
    assert!(
        shown.contains("topology.toml:11:10: unknown action"),
        "{shown}"
    );
}

#[test]
fn syntax_and_type_mistakes_are_located() {
    let errors = scope_with(
        "[[firewall_rules]]\nfrom = \"dmz\"\nto = \"app\"\nports = [70000]\naction = \"allow\"\n",
    )
    .expect_err("a bad port");
    let d = &errors[0].diagnostics[0];
    assert_eq!(d.line, 4, "{d:?}");

    let errors =
        scope_with("[[firewall_rules]]\nfrom = \"dmz\"\nto = \"app\"\nactoin = \"allow\"\n")
            .expect_err("an unknown key");
    let d = &errors[0].diagnostics[0];
    assert_eq!(d.line, 4, "{d:?}");
    assert!(d.message.contains("actoin"), "{d:?}");

    // A security group with a zone's id.
    let errors = scope_with("[[security_groups]]\nid = \"app\"\nresources = [\"i-1\"]\n")
        .expect_err("a clash");
    assert_eq!(errors[0].diagnostics[0].line, 2);
}
