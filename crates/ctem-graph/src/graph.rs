//! The exposure graph: typed nodes and edges in compact arrays.
//!
//! Nodes are the internet, network zones, assets, listening services,
//! identities (people, service accounts, groups, domains) and crown jewels.
//! An edge `a → b` reads "an attacker who controls or stands at `a` can
//! reach or act as `b`", with the likelihood that the step succeeds. Labels
//! (a port, a CVE, an Active Directory right) are interned, so a graph of
//! millions of edges stays a few arrays of integers.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Index of a node in [`AttackGraph::nodes`].
pub type NodeId = u32;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The internet: the outside attacker's starting point.
    Internet,
    /// A network zone (or a security group): holding it means standing on
    /// its network.
    Zone,
    /// A host, container, cloud resource or application: holding it means
    /// running code on it.
    Asset,
    /// A listening service (`asset:port`, or `asset:*` when the port is
    /// unknown): reaching it means being able to send it packets.
    Service,
    /// A person's account.
    Human,
    /// A service account, machine account, API key or workload identity.
    NonHuman,
    /// A group or role: holding it means holding its privileges.
    Group,
    /// A directory domain (Active Directory) or tenant.
    Domain,
    /// A crown-jewel business service: the attacker's objective.
    CrownJewel,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Internet => "internet",
            NodeKind::Zone => "zone",
            NodeKind::Asset => "asset",
            NodeKind::Service => "service",
            NodeKind::Human => "human",
            NodeKind::NonHuman => "non_human",
            NodeKind::Group => "group",
            NodeKind::Domain => "domain",
            NodeKind::CrownJewel => "crown_jewel",
        }
    }

    /// People, machines, groups and domains.
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            NodeKind::Human | NodeKind::NonHuman | NodeKind::Group | NodeKind::Domain
        )
    }
}

/// What an edge stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Network reachability: a zone reaches a listening service (a flow, a
    /// firewall rule, a security group, or the zone's own network).
    Network,
    /// Exploitation: an exposure on the target lets the attacker act as or
    /// through it.
    Exploit,
    /// A compromised asset puts the attacker on its zone's network.
    Pivot,
    /// Credentials obtainable on an asset (a logged-on session, a stored
    /// secret, a key): asset → identity.
    Credential,
    /// A privilege: identity → asset (local admin, RDP, SSH) or identity →
    /// identity (an ACL right such as GenericAll).
    Privilege,
    /// Group membership: member → group.
    Membership,
    /// A trust: trusted side → trusting side (domain trust, delegation, an
    /// SSH key another host accepts).
    Trust,
    /// Holding the source gives the crown jewel: asset or identity →
    /// crown jewel.
    Supports,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Network => "network",
            EdgeKind::Exploit => "exploit",
            EdgeKind::Pivot => "pivot",
            EdgeKind::Credential => "credential",
            EdgeKind::Privilege => "privilege",
            EdgeKind::Membership => "membership",
            EdgeKind::Trust => "trust",
            EdgeKind::Supports => "supports",
        }
    }
}

/// A node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub name: String,
    /// The zone an asset or service sits in, for readable paths.
    pub zone: Option<String>,
}

/// An edge; `label` indexes [`AttackGraph::labels`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    /// Likelihood that the step succeeds, in (0, 1].
    pub p: f32,
    pub label: u32,
}

/// The whole graph, with forward and backward adjacency (compressed sparse
/// rows) built once by [`Builder::finish`].
#[derive(Debug, Clone, Default)]
pub struct AttackGraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub labels: Vec<String>,
    out_start: Vec<u32>,
    out_edges: Vec<u32>,
    /// Target of each entry of `out_edges`, contiguous for fast searches.
    out_to: Vec<u32>,
    /// `−ln p` of each entry of `out_edges`, for most-likely paths.
    out_cost: Vec<f32>,
    in_start: Vec<u32>,
    in_edges: Vec<u32>,
    /// Source of each entry of `in_edges`.
    in_from: Vec<u32>,
}

impl AttackGraph {
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Indices of the edges leaving `n`.
    pub fn out(&self, n: NodeId) -> &[u32] {
        let n = n as usize;
        match (self.out_start.get(n), self.out_start.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.out_edges[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Targets of the edges leaving `n`, in the order of [`Self::out`].
    pub fn out_targets(&self, n: NodeId) -> &[u32] {
        let n = n as usize;
        match (self.out_start.get(n), self.out_start.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.out_to[a as usize..b as usize],
            _ => &[],
        }
    }

    /// `−ln p` of the edges leaving `n`, in the order of [`Self::out`].
    pub fn out_costs(&self, n: NodeId) -> &[f32] {
        let n = n as usize;
        match (self.out_start.get(n), self.out_start.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.out_cost[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Sources of the edges entering `n`, in the order of [`Self::inc`].
    pub fn in_sources(&self, n: NodeId) -> &[u32] {
        let n = n as usize;
        match (self.in_start.get(n), self.in_start.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.in_from[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Indices of the edges entering `n`.
    pub fn inc(&self, n: NodeId) -> &[u32] {
        let n = n as usize;
        match (self.in_start.get(n), self.in_start.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.in_edges[a as usize..b as usize],
            _ => &[],
        }
    }

    pub fn label(&self, e: &Edge) -> &str {
        self.labels
            .get(e.label as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The first node of this kind and name.
    pub fn find(&self, kind: NodeKind, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.kind == kind && n.name == name)
            .map(|i| i as NodeId)
    }
}

/// Builds an [`AttackGraph`]; nodes are unique by kind and name.
#[derive(Debug, Default)]
pub struct Builder {
    g: AttackGraph,
    index: HashMap<(NodeKind, String), NodeId>,
    label_index: HashMap<String, u32>,
    last_label: Option<(String, u32)>,
}

impl Builder {
    pub fn new() -> Builder {
        let mut b = Builder::default();
        b.label_index.insert(String::new(), 0);
        b.g.labels.push(String::new());
        b
    }

    pub fn with_capacity(nodes: usize, edges: usize) -> Builder {
        let mut b = Builder::new();
        b.g.nodes.reserve(nodes);
        b.g.edges.reserve(edges);
        b.index.reserve(nodes);
        b
    }

    /// The node of this kind and name, created on first use.
    pub fn node(&mut self, kind: NodeKind, name: &str) -> NodeId {
        if let Some(&id) = self.index.get(&(kind, name.to_string())) {
            return id;
        }
        let id = self.add_node(kind, name.to_string(), None);
        self.index.insert((kind, name.to_string()), id);
        id
    }

    /// Creates a node without checking for duplicates and without indexing
    /// it for [`Self::node`] (for graphs whose names are unique by
    /// construction, which keeps large builds fast); `zone` is for display.
    pub fn add_node(&mut self, kind: NodeKind, name: String, zone: Option<String>) -> NodeId {
        let id = self.g.nodes.len() as NodeId;
        self.g.nodes.push(Node { kind, name, zone });
        id
    }

    /// Sets the display zone of a node.
    pub fn set_zone(&mut self, n: NodeId, zone: Option<String>) {
        if let Some(node) = self.g.nodes.get_mut(n as usize) {
            node.zone = zone;
        }
    }

    pub fn lookup(&self, kind: NodeKind, name: &str) -> Option<NodeId> {
        self.index.get(&(kind, name.to_string())).copied()
    }

    fn intern(&mut self, label: &str) -> u32 {
        // Edges come in runs with the same label: skip the hash then.
        if let Some((l, i)) = &self.last_label
            && l == label
        {
            return *i;
        }
        if let Some(&i) = self.label_index.get(label) {
            self.last_label = Some((label.to_string(), i));
            return i;
        }
        let i = self.g.labels.len() as u32;
        self.g.labels.push(label.to_string());
        self.label_index.insert(label.to_string(), i);
        i
    }

    /// Adds an edge; the likelihood is clamped into (0, 1]. Self-loops and
    /// edges naming unknown nodes are ignored.
    pub fn edge(&mut self, from: NodeId, to: NodeId, kind: EdgeKind, p: f32, label: &str) {
        let n = self.g.nodes.len() as NodeId;
        if from == to || from >= n || to >= n {
            return;
        }
        let p = if p.is_finite() {
            p.clamp(0.001, 1.0)
        } else {
            0.5
        };
        let label = self.intern(label);
        self.g.edges.push(Edge {
            from,
            to,
            kind,
            p,
            label,
        });
    }

    pub fn node_count(&self) -> usize {
        self.g.nodes.len()
    }

    pub fn nodes(&self) -> &[Node] {
        &self.g.nodes
    }

    /// Freezes the graph and builds its adjacency.
    pub fn finish(mut self) -> AttackGraph {
        let n = self.g.nodes.len();
        let (os, oe) = csr(n, self.g.edges.iter().map(|e| e.from));
        let (is, ie) = csr(n, self.g.edges.iter().map(|e| e.to));
        self.g.out_to = oe.iter().map(|&e| self.g.edges[e as usize].to).collect();
        self.g.out_cost = oe
            .iter()
            .map(|&e| -self.g.edges[e as usize].p.ln().min(0.0))
            .collect();
        self.g.in_from = ie.iter().map(|&e| self.g.edges[e as usize].from).collect();
        self.g.out_start = os;
        self.g.out_edges = oe;
        self.g.in_start = is;
        self.g.in_edges = ie;
        self.g
    }
}

/// Counting sort of edge indices by an endpoint: stable, so adjacency keeps
/// insertion order and results are deterministic.
fn csr(n: usize, keys: impl Iterator<Item = NodeId> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for k in keys.clone() {
        start[k as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut list = vec![0u32; start[n] as usize];
    for (i, k) in keys.enumerate() {
        let slot = &mut fill[k as usize];
        list[*slot as usize] = i as u32;
        *slot += 1;
    }
    (start, list)
}
