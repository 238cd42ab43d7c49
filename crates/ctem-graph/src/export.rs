//! Pictures of the attack paths: Graphviz DOT for analysts' own tools and
//! a self-contained SVG (no scripts, no fonts to fetch) for the HTML
//! report.
//!
//! Both show the *attack subgraph*: the nodes and edges of the shortest and
//! most likely paths to every crown jewel, then other nodes on shortest
//! attack paths, up to a limit, so a picture of a large estate stays
//! readable. Choke points are drawn in red.

use crate::analysis::NONE;
use crate::estate::EstateAnalysis;
use crate::graph::{EdgeKind, NodeId, NodeKind};
use std::collections::{BTreeSet, HashSet};
use std::fmt::Write;

/// The nodes and edges to draw.
#[derive(Debug, Clone, Default)]
pub struct Subgraph {
    pub nodes: Vec<NodeId>,
    pub edges: Vec<u32>,
}

/// Picks at most `max_nodes` nodes: crown-jewel paths first.
pub fn subgraph(a: &EstateAnalysis, max_nodes: usize) -> Subgraph {
    let g = &a.built.graph;
    let mut nodes: Vec<NodeId> = Vec::new();
    let mut have: HashSet<NodeId> = HashSet::new();
    let mut path_edges: BTreeSet<u32> = BTreeSet::new();
    let mut add = |n: NodeId, nodes: &mut Vec<NodeId>| {
        if have.insert(n) {
            nodes.push(n);
        }
    };
    for &j in &a.built.jewels {
        for path in [a.combined.path(g, j), a.likely.path(g, j)]
            .into_iter()
            .flatten()
        {
            if nodes.len() >= max_nodes {
                break;
            }
            for &e in &path {
                let edge = &g.edges[e as usize];
                add(edge.from, &mut nodes);
                add(edge.to, &mut nodes);
                path_edges.insert(e);
            }
        }
    }
    for &n in &a.combined.order {
        if nodes.len() >= max_nodes {
            break;
        }
        if a.on_paths.get(n as usize).copied().unwrap_or(false) {
            add(n, &mut nodes);
        }
    }
    nodes.truncate(max_nodes.max(1));
    let keep: HashSet<NodeId> = nodes.iter().copied().collect();
    let mut edges: Vec<u32> = Vec::new();
    for &n in &nodes {
        for &e in g.out(n) {
            let edge = &g.edges[e as usize];
            if !keep.contains(&edge.to) {
                continue;
            }
            let (df, dt) = (
                a.combined.dist[edge.from as usize],
                a.combined.dist[edge.to as usize],
            );
            if path_edges.contains(&e) || (df != NONE && dt == df + 1) {
                edges.push(e);
            }
        }
    }
    Subgraph { nodes, edges }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn shape(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Internet => "doublecircle",
        NodeKind::Zone => "folder",
        NodeKind::Asset => "box",
        NodeKind::Service => "ellipse",
        NodeKind::Human | NodeKind::NonHuman => "oval",
        NodeKind::Group | NodeKind::Domain => "hexagon",
        NodeKind::CrownJewel => "star",
    }
}

/// Graphviz DOT of the attack subgraph.
pub fn to_dot(a: &EstateAnalysis, max_nodes: usize) -> String {
    let g = &a.built.graph;
    let sub = subgraph(a, max_nodes);
    let chokes: HashSet<&str> = a.chokes.iter().map(|c| c.node.as_str()).collect();
    let mut out = String::from(
        "digraph attack_paths {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n",
    );
    for &n in &sub.nodes {
        let node = &g.nodes[n as usize];
        let colour = if node.kind == NodeKind::CrownJewel {
            ", style=filled, fillcolor=\"#f6d365\""
        } else if chokes.contains(node.name.as_str()) {
            ", color=\"#b3261e\", penwidth=2"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  n{n} [label=\"{}\\n({})\", shape={}{colour}];",
            dot_escape(&node.name),
            node.kind.as_str(),
            shape(node.kind)
        );
    }
    for &e in &sub.edges {
        let edge = &g.edges[e as usize];
        let label = g.label(edge);
        let style = match edge.kind {
            EdgeKind::Exploit => ", color=\"#b3261e\"",
            EdgeKind::Credential | EdgeKind::Privilege | EdgeKind::Membership => {
                ", color=\"#6a3d9a\""
            }
            EdgeKind::Trust => ", color=\"#6a3d9a\", style=dashed",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  n{} -> n{} [label=\"{}{}\"{style}];",
            edge.from,
            edge.to,
            edge.kind.as_str(),
            if label.is_empty() {
                String::new()
            } else {
                format!(": {}", dot_escape(label))
            }
        );
    }
    out.push_str("}\n");
    out
}

fn xml(s: &str) -> String {
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

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A layered SVG of the attack subgraph: one column per step from the
/// entries, crown jewels on the right.
pub fn to_svg(a: &EstateAnalysis, max_nodes: usize) -> String {
    let g = &a.built.graph;
    let sub = subgraph(a, max_nodes);
    let chokes: HashSet<&str> = a.chokes.iter().map(|c| c.node.as_str()).collect();
    // Column = BFS distance (crown jewels in a last column of their own).
    let max_d = sub
        .nodes
        .iter()
        .filter_map(|&n| a.combined.dist.get(n as usize).copied())
        .filter(|&d| d != NONE)
        .max()
        .unwrap_or(0) as usize;
    let mut columns: Vec<Vec<NodeId>> = vec![Vec::new(); max_d + 2];
    for &n in &sub.nodes {
        let d = a.combined.dist.get(n as usize).copied().unwrap_or(NONE);
        let col = if g.nodes[n as usize].kind == NodeKind::CrownJewel {
            max_d + 1
        } else if d == NONE {
            0
        } else {
            d as usize
        };
        columns[col].push(n);
    }
    columns.retain(|c| !c.is_empty());
    let (w, h, gap_x, gap_y) = (150.0f64, 34.0f64, 46.0f64, 14.0f64);
    let rows = columns.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let width = columns.len() as f64 * (w + gap_x) + gap_x;
    let height = rows as f64 * (h + gap_y) + gap_y + 20.0;
    let mut pos = std::collections::HashMap::new();
    for (ci, col) in columns.iter().enumerate() {
        let offset = (rows - col.len()) as f64 * (h + gap_y) / 2.0;
        for (ri, &n) in col.iter().enumerate() {
            let x = gap_x + ci as f64 * (w + gap_x);
            let y = gap_y + offset + ri as f64 * (h + gap_y);
            pos.insert(n, (x, y));
        }
    }
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"100%\" role=\"img\" aria-label=\"attack paths to crown jewels\" font-family=\"system-ui,sans-serif\" font-size=\"10\">\
         <defs><marker id=\"arr\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>"
    );
    for &e in &sub.edges {
        let edge = &g.edges[e as usize];
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(&edge.from), pos.get(&edge.to)) else {
            continue;
        };
        let colour = match edge.kind {
            EdgeKind::Exploit => "#b3261e",
            EdgeKind::Credential | EdgeKind::Privilege | EdgeKind::Membership | EdgeKind::Trust => {
                "#6a3d9a"
            }
            _ => "#8a94a6",
        };
        let (sx, ex) = if x2 >= x1 { (x1 + w, x2) } else { (x1, x2 + w) };
        let label = g.label(edge);
        let _ = write!(
            s,
            "<line x1=\"{sx:.1}\" y1=\"{:.1}\" x2=\"{ex:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"1.2\" marker-end=\"url(#arr)\"><title>{}: {}</title></line>",
            y1 + h / 2.0,
            y2 + h / 2.0,
            edge.kind.as_str(),
            xml(label)
        );
    }
    for (&n, &(x, y)) in &pos {
        let node = &g.nodes[n as usize];
        let (fill, stroke) = match node.kind {
            NodeKind::CrownJewel => ("#f6d365", "#b58100"),
            NodeKind::Internet => ("#13233f", "#13233f"),
            _ if chokes.contains(node.name.as_str()) => ("#fde8e7", "#b3261e"),
            NodeKind::Zone => ("#e8eefc", "#2f6fde"),
            k if k.is_identity() => ("#efe7f7", "#6a3d9a"),
            _ => ("#ffffff", "#8a94a6"),
        };
        let text = if node.kind == NodeKind::Internet {
            "#ffffff"
        } else {
            "#1d2433"
        };
        let _ = write!(
            s,
            "<g><title>{} ({})</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w}\" height=\"{h}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{text}\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{text}\" opacity=\"0.7\">{}</text></g>",
            xml(&node.name),
            node.kind.as_str(),
            x + 6.0,
            y + 14.0,
            xml(&short(&node.name, 26)),
            x + 6.0,
            y + 27.0,
            node.kind.as_str().replace('_', " ")
        );
    }
    s.push_str("</svg>");
    s
}
