//! Graphs with known answers: reachability, paths, choke points and blast
//! radius.

use crate::analysis::{self, NONE};
use crate::estate::*;
use crate::graph::{Builder, EdgeKind, NodeKind};

/// internet → dmz (443) → app (8080) → data (5432); corp is an island.
fn estate() -> Estate {
    let zones = ["internet", "dmz", "app", "data", "corp"];
    let flow = |from, to, ports: &[u16]| Flow {
        from,
        to,
        ports: ports.to_vec(),
        ..Default::default()
    };
    Estate {
        zones: zones.iter().map(|s| s.to_string()).collect(),
        flows: vec![flow(0, 1, &[443]), flow(1, 2, &[8080]), flow(2, 3, &[5432])],
        assets: ["web", "api", "db", "laptop"]
            .iter()
            .zip([1, 2, 3, 4])
            .map(|(n, z)| AssetNode {
                name: n.to_string(),
                zone: Some(z),
            })
            .collect(),
        ..Default::default()
    }
}

fn exp(
    asset: usize,
    port: Option<u16>,
    vector: Vector,
    exploitable: bool,
    w: &str,
) -> ExposureNode {
    ExposureNode {
        asset,
        port,
        vector,
        exploitable,
        likelihood: 0.9,
        weakness: w.into(),
    }
}

fn describe(a: &EstateAnalysis, est: &Estate, i: usize) -> String {
    a.exposure_path(est, i)
        .map(|p| p.describe())
        .unwrap_or_default()
}

#[test]
fn chain_of_footholds_reaches_the_database() {
    let mut g = estate();
    g.exposures = vec![
        exp(0, Some(443), Vector::Network, true, "CVE-WEB"),
        exp(1, Some(8080), Vector::Network, true, "CVE-API"),
        exp(2, Some(5432), Vector::Network, false, "CVE-DB"),
        exp(3, None, Vector::Network, true, "CVE-LAPTOP"),
    ];
    let a = analyse(&g, 20);
    assert!(a.exposures[0].from_internet);
    assert_eq!(describe(&a, &g, 0), "internet → dmz: web (CVE-WEB)");
    assert!(a.exposures[2].reachable());
    assert_eq!(
        describe(&a, &g, 2),
        "internet → dmz: web (CVE-WEB) → app: api (CVE-API) → data: db (CVE-DB)"
    );
    assert!(
        !a.exposures[3].reachable(),
        "corp has no flow from anywhere"
    );
    assert!(!a.exposures[0].from_breach, "no assumed breach declared");
}

#[test]
fn wrong_port_or_no_foothold_stops_the_path() {
    let mut g = estate();
    g.exposures = vec![
        exp(0, Some(22), Vector::Network, true, "CVE-SSH"), // 22 not allowed from internet
        exp(1, Some(8080), Vector::Network, true, "CVE-API"),
    ];
    let a = analyse(&g, 20);
    assert!(!a.exposures[0].reachable());
    assert!(!a.exposures[1].reachable(), "no foothold in dmz");
    // Not exploitable on the web tier: the app tier stays out of reach.
    g.exposures = vec![
        exp(0, Some(443), Vector::Network, false, "CVE-WEB-LOW"),
        exp(1, Some(8080), Vector::Network, true, "CVE-API"),
    ];
    let a = analyse(&g, 20);
    assert!(a.exposures[0].reachable());
    assert!(!a.exposures[1].reachable());
    // A flow that allows any port except 443 (a deny rule) stops it too.
    g.flows[0].ports.clear();
    g.flows[0].except = vec![443];
    let a = analyse(&g, 20);
    assert!(!a.exposures[0].reachable());
}

#[test]
fn local_exposures_need_a_foothold_and_assumed_breach_is_an_entry() {
    let mut g = estate();
    g.exposures = vec![
        exp(0, Some(443), Vector::Network, true, "CVE-WEB"),
        exp(0, None, Vector::Local, false, "CVE-SUDO"),
        exp(3, None, Vector::Local, false, "CVE-LAPTOP-LPE"),
        exp(3, Some(445), Vector::Network, true, "CVE-SMB"),
        exp(1, None, Vector::Adjacent, true, "CVE-ARP"),
    ];
    let a = analyse(&g, 20);
    assert!(a.exposures[1].reachable(), "local on a foothold");
    assert_eq!(
        describe(&a, &g, 1),
        "internet → dmz: web (CVE-WEB, then CVE-SUDO)"
    );
    assert!(!a.exposures[2].reachable());
    assert!(!a.exposures[4].reachable(), "adjacent needs the app zone");
    g.assumed_breach.push(4);
    let a = analyse(&g, 20);
    assert!(a.exposures[3].from_breach && !a.exposures[3].from_internet);
    assert_eq!(
        a.exposure_path(&g, 3).map(|p| p.entry),
        Some("corp".to_string())
    );
    assert!(a.exposures[2].reachable(), "laptop became a foothold");
    assert!(a.exposures[0].from_internet && !a.exposures[0].from_breach);
}

/// Two web servers in front of one API in front of the claims database:
/// everything behind the web tier is a choke point, each web server carries
/// half of the shortest paths.
#[test]
fn choke_points_are_the_dominators_then_the_path_share() {
    let mut g = estate();
    g.assets.push(AssetNode {
        name: "web2".into(),
        zone: Some(1),
    });
    g.exposures = vec![
        exp(0, Some(443), Vector::Network, true, "CVE-WEB"),
        exp(4, Some(443), Vector::Network, true, "CVE-WEB"),
        exp(1, Some(8080), Vector::Network, true, "CVE-API"),
        exp(2, Some(5432), Vector::Network, true, "CVE-DB"),
    ];
    g.crown_jewels = vec![CrownJewel {
        name: "claims".into(),
        assets: vec![2],
        identities: vec![],
    }];
    let a = analyse(&g, 20);
    let j = &a.jewels[0];
    assert!(j.from_internet && !j.from_breach);
    assert_eq!(j.shortest_paths, 2.0);
    assert_eq!(
        j.shortest.as_ref().map(Path::describe).as_deref(),
        Some(
            "internet → dmz: web (CVE-WEB) → app: api (CVE-API) → data: db (CVE-DB) → crown jewel claims"
        )
    );
    let cutters: Vec<&str> = a
        .chokes
        .iter()
        .filter(|c| c.cuts == ["claims"])
        .map(|c| c.node.as_str())
        .collect();
    assert_eq!(
        cutters,
        ["dmz", "app", "api", "db", "api:8080", "db:5432"],
        "every node behind the web tier cuts all paths"
    );
    for c in a.chokes.iter().filter(|c| !c.cuts.is_empty()) {
        assert!((c.share - 1.0).abs() < 1e-9, "{c:?}");
    }
    let web: Vec<(&str, f64)> = a
        .chokes
        .iter()
        .filter(|c| c.cuts.is_empty() && c.kind == NodeKind::Asset)
        .map(|c| (c.node.as_str(), c.share))
        .collect();
    assert_eq!(web, [("web", 0.5), ("web2", 0.5)]);
    assert!(a.chokes[2].fix.contains("CVE-API"), "{}", a.chokes[2].fix);
    // The best edge choke points carry every path.
    assert!((a.edge_chokes[0].share - 1.0).abs() < 1e-9);
}

/// A short unlikely path and a longer likely one to the same crown jewel.
#[test]
fn shortest_and_most_likely_paths_differ() {
    let mut g = estate();
    g.flows.push(Flow {
        from: 0,
        to: 3,
        ports: vec![5432],
        ..Default::default()
    });
    let mut unlikely = exp(2, Some(5432), Vector::Network, true, "CVE-DB-HARD");
    unlikely.likelihood = 0.05;
    g.exposures = vec![
        unlikely,
        exp(0, Some(443), Vector::Network, true, "CVE-WEB"),
        exp(1, Some(8080), Vector::Network, true, "CVE-API"),
        exp(1, None, Vector::Local, false, "CVE-LPE"),
    ];
    g.identities = vec![IdentityNode {
        name: "svc-claims".into(),
        kind: NodeKind::NonHuman,
    }];
    g.links = vec![
        Link {
            from: End::Asset(1),
            to: End::Identity(0),
            kind: EdgeKind::Credential,
            p: 0.9,
            label: "stored secret".into(),
        },
        Link {
            from: End::Identity(0),
            to: End::Asset(2),
            kind: EdgeKind::Privilege,
            p: 1.0,
            label: "db owner".into(),
        },
    ];
    g.crown_jewels = vec![CrownJewel {
        name: "claims".into(),
        assets: vec![2],
        identities: vec![],
    }];
    let a = analyse(&g, 20);
    let j = &a.jewels[0];
    assert_eq!(
        j.shortest.as_ref().map(Path::describe).as_deref(),
        Some("internet → data: db (CVE-DB-HARD) → crown jewel claims")
    );
    let likely = j.most_likely.as_ref().expect("a likely path");
    assert_eq!(
        likely.describe(),
        "internet → dmz: web (CVE-WEB) → app: api (CVE-API) → svc-claims (stored secret) → data: db (db owner) → crown jewel claims"
    );
    assert!((likely.likelihood - 0.9 * 0.9 * 0.9).abs() < 1e-6);
    // Two independent routes: nothing but the db itself cuts everything.
    assert!(a.chokes.iter().all(|c| c.cuts.is_empty() || c.node == "db"));
}

#[test]
fn identity_paths_from_an_assumed_breach_and_blast_radius() {
    let mut g = estate();
    g.assumed_breach = vec![4];
    g.exposures = vec![
        exp(3, Some(445), Vector::Network, true, "CVE-SMB"),
        exp(2, Some(5432), Vector::Network, false, "CVE-DB"),
    ];
    g.identities = vec![
        IdentityNode {
            name: "alice@corp".into(),
            kind: NodeKind::Human,
        },
        IdentityNode {
            name: "dba".into(),
            kind: NodeKind::Group,
        },
    ];
    let link = |from, to, kind, label: &str| Link {
        from,
        to,
        kind,
        p: 1.0,
        label: label.into(),
    };
    g.links = vec![
        link(
            End::Asset(3),
            End::Identity(0),
            EdgeKind::Credential,
            "HasSession",
        ),
        link(
            End::Identity(0),
            End::Identity(1),
            EdgeKind::Membership,
            "MemberOf",
        ),
        link(
            End::Identity(1),
            End::Asset(2),
            EdgeKind::Privilege,
            "AdminTo",
        ),
    ];
    g.crown_jewels = vec![CrownJewel {
        name: "claims".into(),
        assets: vec![2],
        identities: vec![],
    }];
    let a = analyse(&g, 20);
    let j = &a.jewels[0];
    assert!(j.from_breach && !j.from_internet);
    assert_eq!(
        j.shortest.as_ref().map(Path::describe).as_deref(),
        Some(
            "corp → corp: laptop (CVE-SMB) → alice@corp (HasSession) → dba (MemberOf) → data: db (AdminTo) → crown jewel claims"
        )
    );
    // The database's own exposure is reached through the identity path:
    // holding db puts the attacker in the data zone.
    assert!(a.exposures[1].from_breach);
    let cut: Vec<&str> = a
        .chokes
        .iter()
        .filter(|c| !c.cuts.is_empty())
        .map(|c| c.node.as_str())
        .collect();
    assert_eq!(cut, ["db", "laptop", "laptop:445", "alice@corp", "dba"]);
    let alice = a.chokes.iter().find(|c| c.node == "alice@corp");
    assert!(
        alice.is_some_and(|c| c.fix.contains("credentials")),
        "{alice:?}"
    );

    let blast = a.blast_radius(&g, 0, 1_000_000).expect("known exposure");
    assert!(blast.complete);
    assert_eq!(blast.assets, 1, "db");
    assert_eq!(blast.identities, 2);
    assert_eq!(blast.crown_jewels.len(), 1);
    let small = a.blast_radius(&g, 0, 2).expect("known exposure");
    assert!(!small.complete, "stopped at the budget");
}

#[test]
fn dominators_on_a_hand_built_graph() {
    // s → a → c → t, s → b → c, s → d (dead end), and c → e → t.
    let mut b = Builder::new();
    let [s, a, bb, c, d, e, t] =
        ["s", "a", "b", "c", "d", "e", "t"].map(|n| b.node(NodeKind::Asset, n));
    for (x, y) in [
        (s, a),
        (s, bb),
        (a, c),
        (bb, c),
        (s, d),
        (c, t),
        (c, e),
        (e, t),
    ] {
        b.edge(x, y, EdgeKind::Privilege, 1.0, "");
    }
    b.edge(s, s, EdgeKind::Privilege, 1.0, "self-loops are ignored");
    let g = b.finish();
    assert_eq!(g.edge_count(), 8);
    let r = analysis::bfs(&g, &[s]);
    assert_eq!(r.dist[t as usize], 3);
    assert_eq!(r.dist[d as usize], 1);
    let ch = analysis::choke_points(&g, &r, &[s], &[t], 10);
    assert_eq!(ch.shortest_paths, vec![2.0]);
    assert_eq!(ch.nodes[0].node, c);
    assert_eq!(ch.nodes[0].cuts, 1);
    assert_eq!(ch.nodes[0].cut_targets, vec![0]);
    let rest: Vec<(u32, u32, f64)> = ch.nodes[1..]
        .iter()
        .map(|n| (n.node, n.cuts, n.share))
        .collect();
    assert_eq!(
        rest,
        vec![(a, 0, 0.5), (bb, 0, 0.5)],
        "e is on no shortest path"
    );
    assert!(!ch.on_paths[d as usize] && ch.on_paths[c as usize]);
    let none = analysis::bfs(&g, &[t]);
    assert_eq!(none.dist[s as usize], NONE);
    assert!(none.path(&g, s).is_none());
}
