//! The estate as ctem sees it — zones, flows, assets, listening services,
//! exposures, identities and crown jewels — turned into an
//! [`AttackGraph`] and analysed.
//!
//! How the estate becomes a graph (documented for users in `docs/graph.md`):
//!
//! - every zone is a node; `internet` is the outside attacker's entry and
//!   assumed-breach zones are the inside attacker's;
//! - every (asset, port) with a network exposure or an open port is a
//!   listening-service node. A zone reaches the services of its own members
//!   on any port, and the services of another zone through a flow whose
//!   ports allow the service's port (a service with no known port is
//!   reached by any flow);
//! - an exploitable exposure is an *exploit* edge to its asset: from the
//!   service (network vector), from the asset's zone (adjacent vector); a
//!   local or physical exposure needs the asset already held and adds no
//!   edge. Its likelihood is the exposure's (validated 1.0, KEV 0.9, else
//!   EPSS);
//! - a held asset puts the attacker on its zone (*pivot*); credentials on
//!   it lead to identities; identities hold privileges over assets and other
//!   identities; memberships and trusts are edges too;
//! - a crown jewel is a node reached from every asset (and identity) that
//!   supports it.
//!
//! An exposure is reachable when the node an attacker must stand on to use
//! it — the service, the zone, or the asset — is reached.

use crate::analysis::{self, Blast, Likelihood, Reachability};
use crate::graph::{AttackGraph, Builder, EdgeKind, NodeId, NodeKind};
use serde::Serialize;
use std::collections::HashMap;

/// The attack vector of an exposure (CVSS AV), or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vector {
    Network,
    Adjacent,
    Local,
    Physical,
    /// No vector known: treated as network when the exposure has a port,
    /// as local otherwise.
    Unknown,
}

/// An allowed flow between zones; no ports means any port, `except` ports
/// are denied even then.
#[derive(Debug, Clone, Default)]
pub struct Flow {
    pub from: usize,
    pub to: usize,
    pub ports: Vec<u16>,
    pub except: Vec<u16>,
    /// Where the flow comes from (a rule name), for paths.
    pub label: String,
}

impl Flow {
    pub fn allows(&self, port: Option<u16>) -> bool {
        match port {
            None => true,
            Some(p) => {
                (self.ports.is_empty() || self.ports.contains(&p)) && !self.except.contains(&p)
            }
        }
    }
}

/// An asset and the zone it sits in, if any.
#[derive(Debug, Clone)]
pub struct AssetNode {
    pub name: String,
    pub zone: Option<usize>,
}

/// An exposure as the graph sees it.
#[derive(Debug, Clone)]
pub struct ExposureNode {
    pub asset: usize,
    pub port: Option<u16>,
    pub vector: Vector,
    /// Likely exploitable (KEV, high EPSS, or validated) and not refuted:
    /// reaching it gives the attacker the asset.
    pub exploitable: bool,
    /// Likelihood that exploitation succeeds, in (0, 1].
    pub likelihood: f32,
    pub weakness: String,
}

/// An identity: a person, a non-human account, a group or a domain.
#[derive(Debug, Clone)]
pub struct IdentityNode {
    pub name: String,
    pub kind: NodeKind,
}

/// One end of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Asset(usize),
    Identity(usize),
}

/// A credential, privilege, membership or trust edge.
#[derive(Debug, Clone)]
pub struct Link {
    pub from: End,
    pub to: End,
    pub kind: EdgeKind,
    pub p: f32,
    /// The right or relation, e.g. `AdminTo`, `HasSession`, `GenericAll`.
    pub label: String,
}

/// A crown jewel and what holds it.
#[derive(Debug, Clone, Default)]
pub struct CrownJewel {
    /// The service id.
    pub name: String,
    pub assets: Vec<usize>,
    pub identities: Vec<usize>,
}

/// The whole input.
#[derive(Debug, Clone, Default)]
pub struct Estate {
    /// Zone names; the zone named `internet` is the outside entry.
    pub zones: Vec<String>,
    pub flows: Vec<Flow>,
    /// Zones where an attacker is assumed to be already.
    pub assumed_breach: Vec<usize>,
    pub assets: Vec<AssetNode>,
    /// Listening services known from port scans, besides exposures' ports.
    pub listening: Vec<(usize, u16)>,
    pub exposures: Vec<ExposureNode>,
    pub identities: Vec<IdentityNode>,
    pub links: Vec<Link>,
    pub crown_jewels: Vec<CrownJewel>,
}

/// An estate turned into a graph, with the nodes that matter.
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub graph: AttackGraph,
    pub internet: Vec<NodeId>,
    pub breach: Vec<NodeId>,
    /// Crown-jewel nodes, in `Estate::crown_jewels` order.
    pub jewels: Vec<NodeId>,
    /// Per exposure, the node an attacker must stand on to use it.
    pub approach: Vec<NodeId>,
    pub asset_nodes: Vec<NodeId>,
}

fn service_name(asset: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{asset}:{p}"),
        None => format!("{asset}:*"),
    }
}

/// The port an exposure is used on, when it is used over the network.
fn network_port(e: &ExposureNode) -> Option<Option<u16>> {
    match e.vector {
        Vector::Network => Some(e.port),
        Vector::Unknown if e.port.is_some() => Some(e.port),
        _ => None,
    }
}

/// Turns an estate into a graph.
pub fn build(est: &Estate) -> Built {
    let edges_hint = est.exposures.len() * 2 + est.links.len() + est.assets.len();
    let mut b = Builder::with_capacity(
        est.zones.len() + est.assets.len() * 2 + est.identities.len(),
        edges_hint,
    );
    let zone_nodes: Vec<NodeId> = est
        .zones
        .iter()
        .map(|z| {
            let kind = if z == "internet" {
                NodeKind::Internet
            } else {
                NodeKind::Zone
            };
            b.add_node(kind, z.clone(), None)
        })
        .collect();
    let zone_name = |z: Option<usize>| z.and_then(|z| est.zones.get(z)).cloned();
    let asset_nodes: Vec<NodeId> = est
        .assets
        .iter()
        .map(|a| b.add_node(NodeKind::Asset, a.name.clone(), zone_name(a.zone)))
        .collect();

    // Listening services, grouped by zone for the flows.
    let mut services: HashMap<(usize, Option<u16>), NodeId> = HashMap::new();
    let mut by_zone: Vec<Vec<(NodeId, Option<u16>)>> = vec![Vec::new(); est.zones.len()];
    let mut service = |b: &mut Builder, asset: usize, port: Option<u16>| -> Option<NodeId> {
        let a = est.assets.get(asset)?;
        if let Some(&s) = services.get(&(asset, port)) {
            return Some(s);
        }
        let s = b.add_node(
            NodeKind::Service,
            service_name(&a.name, port),
            zone_name(a.zone),
        );
        services.insert((asset, port), s);
        if let Some(z) = a.zone.filter(|z| *z < by_zone.len()) {
            by_zone[z].push((s, port));
        }
        Some(s)
    };
    for &(a, p) in &est.listening {
        service(&mut b, a, Some(p));
    }
    let mut approach = Vec::with_capacity(est.exposures.len());
    for e in &est.exposures {
        let Some(&asset_node) = asset_nodes.get(e.asset) else {
            approach.push(analysis::NONE);
            continue;
        };
        let zone = est.assets[e.asset]
            .zone
            .and_then(|z| zone_nodes.get(z).copied());
        let at = match (network_port(e), e.vector) {
            (Some(port), _) => service(&mut b, e.asset, port).unwrap_or(analysis::NONE),
            (None, Vector::Adjacent) => zone.unwrap_or(analysis::NONE),
            _ => asset_node,
        };
        if e.exploitable && at != analysis::NONE && at != asset_node {
            b.edge(at, asset_node, EdgeKind::Exploit, e.likelihood, &e.weakness);
        }
        approach.push(at);
    }

    // Network reachability: own zone on any port, and flows.
    for (z, list) in by_zone.iter().enumerate() {
        for &(s, _) in list {
            b.edge(zone_nodes[z], s, EdgeKind::Network, 1.0, "same zone");
        }
    }
    for f in &est.flows {
        let (Some(&from), Some(list)) = (zone_nodes.get(f.from), by_zone.get(f.to)) else {
            continue;
        };
        for &(s, port) in list {
            if f.allows(port) {
                let label = match port {
                    Some(p) if f.label.is_empty() => format!("tcp/{p}"),
                    Some(p) => format!("tcp/{p} ({})", f.label),
                    None if f.label.is_empty() => "any port".to_string(),
                    None => format!("any port ({})", f.label),
                };
                b.edge(from, s, EdgeKind::Network, 1.0, &label);
            }
        }
    }
    // A held asset puts the attacker on its zone's network.
    for (i, a) in est.assets.iter().enumerate() {
        if let Some(&z) = a.zone.and_then(|z| zone_nodes.get(z)) {
            b.edge(asset_nodes[i], z, EdgeKind::Pivot, 1.0, "");
        }
    }

    let identity_nodes: Vec<NodeId> = est
        .identities
        .iter()
        .map(|i| b.add_node(i.kind, i.name.clone(), None))
        .collect();
    let end = |e: End| match e {
        End::Asset(i) => asset_nodes.get(i).copied(),
        End::Identity(i) => identity_nodes.get(i).copied(),
    };
    for l in &est.links {
        if let (Some(f), Some(t)) = (end(l.from), end(l.to)) {
            b.edge(f, t, l.kind, l.p, &l.label);
        }
    }
    let mut jewels = Vec::with_capacity(est.crown_jewels.len());
    for cj in &est.crown_jewels {
        let j = b.add_node(NodeKind::CrownJewel, cj.name.clone(), None);
        for &a in &cj.assets {
            if let Some(&an) = asset_nodes.get(a) {
                b.edge(an, j, EdgeKind::Supports, 1.0, "supports");
            }
        }
        for &i in &cj.identities {
            if let Some(&inode) = identity_nodes.get(i) {
                b.edge(inode, j, EdgeKind::Supports, 1.0, "controls");
            }
        }
        jewels.push(j);
    }

    let internet = est
        .zones
        .iter()
        .position(|z| z == "internet")
        .map(|i| vec![zone_nodes[i]])
        .unwrap_or_default();
    let mut breach: Vec<NodeId> = est
        .assumed_breach
        .iter()
        .filter_map(|&z| zone_nodes.get(z).copied())
        .collect();
    breach.dedup();
    Built {
        graph: b.finish(),
        internet,
        breach,
        jewels,
        approach,
        asset_nodes,
    }
}

/// One step of an attack path: the edge taken and the node it leads to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub edge: EdgeKind,
    pub label: String,
    pub p: f32,
    pub kind: NodeKind,
    pub node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// An attack path from an entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Path {
    pub entry: String,
    pub steps: Vec<Step>,
    /// Product of the step likelihoods.
    pub likelihood: f64,
}

impl Path {
    fn from_edges(g: &AttackGraph, edges: &[u32], fallback_entry: NodeId) -> Path {
        let entry = edges
            .first()
            .map(|&e| g.edges[e as usize].from)
            .unwrap_or(fallback_entry);
        let mut likelihood = 1.0f64;
        let steps = edges
            .iter()
            .map(|&ei| {
                let e = &g.edges[ei as usize];
                likelihood *= f64::from(e.p);
                let n = &g.nodes[e.to as usize];
                Step {
                    edge: e.kind,
                    label: g.label(e).to_string(),
                    p: e.p,
                    kind: n.kind,
                    node: n.name.clone(),
                    zone: n.zone.clone(),
                }
            })
            .collect();
        Path {
            entry: g
                .nodes
                .get(entry as usize)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            steps,
            likelihood,
        }
    }

    /// For people: `internet → dmz: web-01 (CVE-2023-4966) → app: api-02
    /// (CVE-2021-44228) → svc-backup (HasSession) → crown jewel claims`.
    /// Network steps and zone pivots are folded into the `zone: asset` hops.
    pub fn describe(&self) -> String {
        let mut parts = vec![self.entry.clone()];
        for s in &self.steps {
            let label = if s.label.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.label)
            };
            match (s.edge, s.kind) {
                (EdgeKind::Network | EdgeKind::Pivot, _) => {}
                (_, NodeKind::CrownJewel) => parts.push(format!("crown jewel {}", s.node)),
                (_, NodeKind::Asset) => parts.push(match &s.zone {
                    Some(z) => format!("{z}: {}{label}", s.node),
                    None => format!("{}{label}", s.node),
                }),
                _ => parts.push(format!("{}{label}", s.node)),
            }
        }
        parts.join(" → ")
    }

    /// The path to an exposure: the path to where it is used, then the
    /// exposure on its asset.
    fn ending_at_exposure(mut self, e: &ExposureNode, asset: &AssetNode, est: &Estate) -> Path {
        let zone = asset.zone.and_then(|z| est.zones.get(z)).cloned();
        let last_is_asset = self
            .steps
            .last()
            .is_some_and(|s| s.kind == NodeKind::Asset && s.node == asset.name);
        if last_is_asset {
            if let Some(last) = self.steps.last_mut()
                && last.label != e.weakness
            {
                last.label = format!("{}, then {}", last.label, e.weakness);
            }
        } else {
            self.steps.push(Step {
                edge: EdgeKind::Exploit,
                label: e.weakness.clone(),
                p: e.likelihood,
                kind: NodeKind::Asset,
                node: asset.name.clone(),
                zone,
            });
        }
        self
    }
}

/// A path from the edges of a search (for paths from other starting
/// points than the analysis used).
pub fn path_from_edges(g: &AttackGraph, edges: &[u32], fallback_entry: NodeId) -> Path {
    Path::from_edges(g, edges, fallback_entry)
}

/// Whether and how an exposure is reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureReach {
    pub from_internet: bool,
    pub from_breach: bool,
}

impl ExposureReach {
    pub fn reachable(&self) -> bool {
        self.from_internet || self.from_breach
    }
}

/// Attack paths to one crown jewel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JewelPaths {
    pub crown_jewel: String,
    pub from_internet: bool,
    pub from_breach: bool,
    /// The number of distinct shortest attack paths.
    pub shortest_paths: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortest: Option<Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub most_likely: Option<Path>,
}

/// A node whose fix cuts attack paths to crown jewels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChokePoint {
    pub kind: NodeKind,
    pub node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Crown jewels every attack path to which passes here.
    pub cuts: Vec<String>,
    /// Share of the shortest attack paths to crown jewels through here,
    /// summed over crown jewels.
    pub share: f64,
    /// What fixing it means.
    pub fix: String,
}

/// An edge whose removal cuts attack paths to crown jewels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeChokePoint {
    pub from: String,
    pub to: String,
    pub edge: EdgeKind,
    pub label: String,
    pub share: f64,
}

/// Everything `ctem graph` shows.
#[derive(Debug, Clone, Default)]
pub struct EstateAnalysis {
    pub built: Built,
    /// Same order as `Estate::exposures`.
    pub exposures: Vec<ExposureReach>,
    pub jewels: Vec<JewelPaths>,
    pub chokes: Vec<ChokePoint>,
    pub edge_chokes: Vec<EdgeChokePoint>,
    /// Nodes on some shortest attack path to a crown jewel.
    pub on_paths: Vec<bool>,
    pub from_internet: Reachability,
    pub from_breach: Reachability,
    pub combined: Reachability,
    pub likely: Likelihood,
}

fn fix_for(g: &AttackGraph, n: NodeId) -> String {
    let node = &g.nodes[n as usize];
    match node.kind {
        NodeKind::Service => format!(
            "close or filter {} (firewall rule, security group) or fix its exposures",
            node.name
        ),
        NodeKind::Asset => {
            let mut ws: Vec<&str> = g
                .inc(n)
                .iter()
                .map(|&e| &g.edges[e as usize])
                .filter(|e| e.kind == EdgeKind::Exploit)
                .map(|e| g.label(e))
                .collect();
            ws.sort_unstable();
            ws.dedup();
            let creds: Vec<&str> = g
                .inc(n)
                .iter()
                .map(|&e| &g.edges[e as usize])
                .filter(|e| e.kind == EdgeKind::Privilege || e.kind == EdgeKind::Trust)
                .map(|e| g.nodes[e.from as usize].name.as_str())
                .take(3)
                .collect();
            let mut parts = Vec::new();
            if !ws.is_empty() {
                let more = if ws.len() > 5 {
                    format!(" and {} more", ws.len() - 5)
                } else {
                    String::new()
                };
                parts.push(format!(
                    "fix {} on {}{more}",
                    ws.iter().take(5).copied().collect::<Vec<_>>().join(", "),
                    node.name
                ));
            }
            if !creds.is_empty() {
                parts.push(format!("remove the privileges of {}", creds.join(", ")));
            }
            if parts.is_empty() {
                parts.push(format!("harden or isolate {}", node.name));
            }
            parts.join("; ")
        }
        NodeKind::Zone | NodeKind::Internet => {
            format!("segment zone {}: restrict the flows out of it", node.name)
        }
        NodeKind::Human | NodeKind::NonHuman => format!(
            "remove excess privileges of {} and protect its credentials (no sessions on exposed hosts, MFA, rotation)",
            node.name
        ),
        NodeKind::Group => format!(
            "remove the group {}'s excess privileges or members",
            node.name
        ),
        NodeKind::Domain => format!("review the trusts and ACLs of domain {}", node.name),
        NodeKind::CrownJewel => format!("isolate {}", node.name),
    }
}

/// Builds the graph and analyses it: reachability of every exposure from
/// the internet and from the assumed-breach zones, shortest and most likely
/// paths to every crown jewel, and the `top` best node and edge choke
/// points.
pub fn analyse(est: &Estate, top: usize) -> EstateAnalysis {
    let built = build(est);
    analyse_built(est, built, top)
}

/// As [`analyse`], over an already built graph.
pub fn analyse_built(est: &Estate, built: Built, top: usize) -> EstateAnalysis {
    let g = &built.graph;
    let from_internet = analysis::bfs(g, &built.internet);
    let from_breach = analysis::bfs(g, &built.breach);
    let mut all = built.internet.clone();
    all.extend(built.breach.iter().copied());
    let combined = analysis::bfs(g, &all);
    let likely = analysis::most_likely(g, &all);
    let fallback = all.first().copied().unwrap_or(0);

    let exposures = built
        .approach
        .iter()
        .map(|&at| ExposureReach {
            from_internet: at != analysis::NONE && from_internet.reached(at),
            from_breach: at != analysis::NONE && from_breach.reached(at),
        })
        .collect();

    let chokes_raw = analysis::choke_points(g, &combined, &all, &built.jewels, top);
    let jewels = est
        .crown_jewels
        .iter()
        .zip(&built.jewels)
        .enumerate()
        .map(|(i, (cj, &j))| JewelPaths {
            crown_jewel: cj.name.clone(),
            from_internet: from_internet.reached(j),
            from_breach: from_breach.reached(j),
            shortest_paths: chokes_raw.shortest_paths.get(i).copied().unwrap_or(0.0),
            shortest: combined
                .path(g, j)
                .map(|edges| Path::from_edges(g, &edges, fallback)),
            most_likely: likely
                .path(g, j)
                .map(|edges| Path::from_edges(g, &edges, fallback)),
        })
        .collect();
    let chokes = chokes_raw
        .nodes
        .iter()
        .map(|c| {
            let n = &g.nodes[c.node as usize];
            let cuts = c
                .cut_targets
                .iter()
                .filter_map(|&t| est.crown_jewels.get(t as usize))
                .map(|cj| cj.name.clone())
                .collect();
            ChokePoint {
                kind: n.kind,
                node: n.name.clone(),
                zone: n.zone.clone(),
                cuts,
                share: c.share,
                fix: fix_for(g, c.node),
            }
        })
        .collect();
    let edge_chokes = chokes_raw
        .edges
        .iter()
        .map(|c| {
            let e = &g.edges[c.edge as usize];
            EdgeChokePoint {
                from: g.nodes[e.from as usize].name.clone(),
                to: g.nodes[e.to as usize].name.clone(),
                edge: e.kind,
                label: g.label(e).to_string(),
                share: c.share,
            }
        })
        .collect();
    EstateAnalysis {
        exposures,
        jewels,
        chokes,
        edge_chokes,
        on_paths: chokes_raw.on_paths,
        from_internet,
        from_breach,
        combined,
        likely,
        built,
    }
}

impl EstateAnalysis {
    /// A shortest path from the internet or an assumed-breach zone to an
    /// exposure, or `None` when it is unreachable. Built on demand: paths
    /// for a million exposures are not needed at once.
    pub fn exposure_path(&self, est: &Estate, exposure: usize) -> Option<Path> {
        let e = est.exposures.get(exposure)?;
        let at = *self.built.approach.get(exposure)?;
        if at == analysis::NONE || !self.combined.reached(at) {
            return None;
        }
        let g = &self.built.graph;
        let fallback = self
            .built
            .internet
            .first()
            .or(self.built.breach.first())
            .copied()
            .unwrap_or(0);
        let edges = self.combined.path(g, at)?;
        Some(Path::from_edges(g, &edges, fallback).ending_at_exposure(
            e,
            est.assets.get(e.asset)?,
            est,
        ))
    }

    /// The blast radius of an exposure: what an attacker holds after
    /// exploiting it (as if its asset were compromised), or `None` for an
    /// unknown exposure.
    pub fn blast_radius(&self, est: &Estate, exposure: usize, budget: usize) -> Option<Blast> {
        let e = est.exposures.get(exposure)?;
        let start = *self.built.asset_nodes.get(e.asset)?;
        let mut seen = Vec::new();
        Some(analysis::blast_radius(
            &self.built.graph,
            start,
            budget,
            &mut seen,
        ))
    }
}
