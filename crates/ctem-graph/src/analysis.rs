//! Attack-path analysis over an [`AttackGraph`]: reachability, shortest and
//! most likely paths, choke points and blast radius.
//!
//! Every algorithm is linear or near-linear in the size of the graph, so a
//! graph of a million nodes and five million edges is analysed in about a
//! second (see `docs/performance.md`):
//!
//! - **reachability** — breadth-first search from the entry nodes, once from
//!   the internet, once from the assumed-breach zones and once from both; the
//!   parent edges give a shortest path (fewest steps) to every node;
//! - **most likely paths** — Dijkstra over `−ln p`, so the path with the
//!   greatest product of step likelihoods wins;
//! - **choke points** — two measures, both to crown jewels only:
//!   *cuts*: the nodes that dominate a crown jewel (every path from any
//!   entry to it passes through them, so fixing one cuts all of them; exact,
//!   by the Cooper–Harvey–Kennedy dominator algorithm), and *path share*:
//!   the fraction of the shortest attack paths to each crown jewel that pass
//!   through a node or an edge, summed over crown jewels (betweenness
//!   restricted to entry→crown-jewel pairs, by Brandes' accumulation). Nodes
//!   rank by cuts, then share; edges by share;
//! - **blast radius** — what an attacker holds after compromising one node:
//!   a bounded breadth-first search that counts assets, identities and
//!   crown jewels.

use crate::graph::{AttackGraph, NodeId, NodeKind};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// No distance, no parent.
pub const NONE: u32 = u32::MAX;

/// Breadth-first distances and parent edges from a set of sources.
#[derive(Debug, Clone, Default)]
pub struct Reachability {
    /// Steps from the nearest source; [`NONE`] when unreachable.
    pub dist: Vec<u32>,
    /// The edge used to arrive on a shortest path; [`NONE`] for sources.
    pub parent: Vec<u32>,
    /// Nodes in the order they were reached.
    pub order: Vec<NodeId>,
}

impl Reachability {
    pub fn reached(&self, n: NodeId) -> bool {
        self.dist.get(n as usize).is_some_and(|&d| d != NONE)
    }

    /// The edges of a shortest path from a source to `n`, in order.
    pub fn path(&self, g: &AttackGraph, n: NodeId) -> Option<Vec<u32>> {
        edges_back(g, &self.parent, n, self.reached(n))
    }
}

fn edges_back(g: &AttackGraph, parent: &[u32], n: NodeId, reached: bool) -> Option<Vec<u32>> {
    if !reached {
        return None;
    }
    let mut out = Vec::new();
    let mut cur = n;
    while let Some(&e) = parent.get(cur as usize) {
        if e == NONE || out.len() > g.node_count() {
            break;
        }
        out.push(e);
        cur = g.edges[e as usize].from;
    }
    out.reverse();
    Some(out)
}

/// Breadth-first search from `sources`.
pub fn bfs(g: &AttackGraph, sources: &[NodeId]) -> Reachability {
    let n = g.node_count();
    let mut dist = vec![NONE; n];
    let mut parent = vec![NONE; n];
    let mut order = Vec::new();
    for &s in sources {
        if (s as usize) < n && dist[s as usize] == NONE {
            dist[s as usize] = 0;
            order.push(s);
        }
    }
    let mut head = 0;
    while head < order.len() {
        let v = order[head];
        head += 1;
        let dv = dist[v as usize];
        for &ei in g.out(v) {
            let w = g.edges[ei as usize].to as usize;
            if dist[w] == NONE {
                dist[w] = dv + 1;
                parent[w] = ei;
                order.push(w as NodeId);
            }
        }
    }
    Reachability {
        dist,
        parent,
        order,
    }
}

/// Most likely paths: Dijkstra over `−ln p` from `sources`.
#[derive(Debug, Clone, Default)]
pub struct Likelihood {
    /// `−ln` of the best path likelihood; infinite when unreachable.
    pub cost: Vec<f64>,
    pub parent: Vec<u32>,
}

impl Likelihood {
    /// The likelihood of the most likely path to `n` (0 when unreachable).
    pub fn p(&self, n: NodeId) -> f64 {
        self.cost
            .get(n as usize)
            .map(|c| (-c).exp())
            .unwrap_or(0.0)
    }

    pub fn path(&self, g: &AttackGraph, n: NodeId) -> Option<Vec<u32>> {
        let reached = self.cost.get(n as usize).is_some_and(|c| c.is_finite());
        edges_back(g, &self.parent, n, reached)
    }
}

/// Dijkstra from `sources` with edge weight `−ln p`.
pub fn most_likely(g: &AttackGraph, sources: &[NodeId]) -> Likelihood {
    let n = g.node_count();
    let mut cost = vec![f64::INFINITY; n];
    let mut parent = vec![NONE; n];
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    for &s in sources {
        if (s as usize) < n && cost[s as usize] > 0.0 {
            cost[s as usize] = 0.0;
            heap.push(Reverse((0u64, s)));
        }
    }
    // Costs are non-negative, so their bit patterns order like the numbers.
    while let Some(Reverse((_, v))) = heap.pop() {
        if std::mem::replace(&mut done[v as usize], true) {
            continue;
        }
        let cv = cost[v as usize];
        for &ei in g.out(v) {
            let e = &g.edges[ei as usize];
            let w = e.to as usize;
            let c = cv - f64::from(e.p).ln().min(0.0);
            if c < cost[w] {
                cost[w] = c;
                parent[w] = ei;
                heap.push(Reverse((c.to_bits(), e.to)));
            }
        }
    }
    Likelihood { cost, parent }
}

/// A node whose fix cuts attack paths to crown jewels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeChoke {
    pub node: NodeId,
    /// Crown jewels that every attack path reaches through this node:
    /// fixing it cuts them off entirely.
    pub cuts: u32,
    /// Share of the shortest attack paths to the crown jewels through this
    /// node, summed over crown jewels (so at most the number of crown jewels).
    pub share: f64,
    /// The targets it cuts off, as indices into the targets given.
    pub cut_targets: Vec<u32>,
}

/// An edge whose removal cuts attack paths to crown jewels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeChoke {
    pub edge: u32,
    pub share: f64,
}

/// Choke points, best first.
#[derive(Debug, Clone, Default)]
pub struct Chokes {
    pub nodes: Vec<NodeChoke>,
    pub edges: Vec<EdgeChoke>,
    /// Number of shortest attack paths to each target (same order as the
    /// targets given), as a float since counts grow exponentially.
    pub shortest_paths: Vec<f64>,
    /// Nodes on at least one shortest attack path to a target (targets
    /// reached and the entries they are reached from included).
    pub on_paths: Vec<bool>,
}

/// Choke points between `r` (a breadth-first search from the entries) and
/// `targets`; keeps the `k` best nodes and edges. Entries and targets
/// themselves are never choke points.
pub fn choke_points(
    g: &AttackGraph,
    r: &Reachability,
    sources: &[NodeId],
    targets: &[NodeId],
    k: usize,
) -> Chokes {
    let n = g.node_count();
    let mut is_target = vec![false; n];
    for &t in targets {
        if let Some(x) = is_target.get_mut(t as usize) {
            *x = true;
        }
    }
    let mut is_source = vec![false; n];
    for &s in sources {
        if let Some(x) = is_source.get_mut(s as usize) {
            *x = true;
        }
    }

    // Brandes: count shortest paths forward, accumulate dependencies back.
    let mut sigma = vec![0f64; n];
    for &v in &r.order {
        if is_source[v as usize] {
            sigma[v as usize] = 1.0;
        }
    }
    let on_dag = |ei: u32| {
        let e = &g.edges[ei as usize];
        let (df, dt) = (r.dist[e.from as usize], r.dist[e.to as usize]);
        df != NONE && dt == df + 1
    };
    for &v in &r.order {
        let sv = sigma[v as usize];
        for &ei in g.out(v) {
            if on_dag(ei) {
                sigma[g.edges[ei as usize].to as usize] += sv;
            }
        }
    }
    let mut delta = vec![0f64; n];
    let mut edge_share: Vec<(u32, f64)> = Vec::new();
    for &v in r.order.iter().rev() {
        let mut acc = 0.0;
        for &ei in g.out(v) {
            if !on_dag(ei) {
                continue;
            }
            let w = g.edges[ei as usize].to as usize;
            let weight = if is_target[w] { 1.0 } else { 0.0 } + delta[w];
            if weight > 0.0 && sigma[w] > 0.0 {
                let c = sigma[v as usize] / sigma[w] * weight;
                acc += c;
                edge_share.push((ei, c));
            }
        }
        delta[v as usize] = acc;
    }

    // Dominators: a node on every path from the entries to a crown jewel.
    let (cuts, idom) = dominator_cuts(g, r, sources, targets, &is_source);

    let mut nodes: Vec<NodeChoke> = (0..n)
        .filter(|&v| !is_source[v] && !is_target[v] && (delta[v] > 0.0 || cuts[v] > 0))
        .map(|v| NodeChoke {
            node: v as NodeId,
            cuts: cuts[v],
            share: delta[v],
            cut_targets: Vec::new(),
        })
        .collect();
    let node_order = |a: &NodeChoke, b: &NodeChoke| {
        b.cuts
            .cmp(&a.cuts)
            .then(b.share.total_cmp(&a.share))
            .then(a.node.cmp(&b.node))
    };
    top_k(&mut nodes, k, node_order);
    // Name the targets each kept node cuts off, walking each target's
    // dominator chain once.
    let kept: std::collections::HashMap<u32, usize> = nodes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.cuts > 0)
        .map(|(i, c)| (c.node, i))
        .collect();
    if !kept.is_empty() {
        for (ti, &t) in targets.iter().enumerate() {
            let mut x = idom.get(t as usize).copied().unwrap_or(NONE);
            let mut guard = 0;
            while x != NONE && (x as usize) < n && guard <= n {
                if let Some(&i) = kept.get(&x) {
                    nodes[i].cut_targets.push(ti as u32);
                }
                x = idom[x as usize];
                guard += 1;
            }
        }
    }
    let mut edges: Vec<EdgeChoke> = edge_share
        .into_iter()
        .map(|(edge, share)| EdgeChoke { edge, share })
        .collect();
    top_k(&mut edges, k, |a, b| {
        b.share.total_cmp(&a.share).then(a.edge.cmp(&b.edge))
    });
    let on_paths = (0..n)
        .map(|v| delta[v] > 0.0 || (is_target[v] && r.dist[v] != NONE))
        .collect();
    Chokes {
        nodes,
        edges,
        on_paths,
        shortest_paths: targets
            .iter()
            .map(|&t| sigma.get(t as usize).copied().unwrap_or(0.0))
            .collect(),
    }
}

fn top_k<T>(v: &mut Vec<T>, k: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if v.len() > k && k > 0 {
        v.select_nth_unstable_by(k - 1, &cmp);
        v.truncate(k);
    } else if k == 0 {
        v.clear();
    }
    v.sort_by(cmp);
}

/// For every node, how many targets it dominates (from a virtual root above
/// the sources). Cooper, Harvey and Kennedy, "A Simple, Fast Dominance
/// Algorithm" (2001), over the nodes the search reached.
fn dominator_cuts(
    g: &AttackGraph,
    r: &Reachability,
    sources: &[NodeId],
    targets: &[NodeId],
    is_source: &[bool],
) -> (Vec<u32>, Vec<u32>) {
    let n = g.node_count();
    let root = n as u32;
    // Postorder numbers by an iterative depth-first search from the root.
    let mut post = vec![NONE; n + 1];
    let mut rpo: Vec<u32> = Vec::with_capacity(r.order.len() + 1);
    let mut seen = vec![false; n + 1];
    let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
    seen[n] = true;
    let mut counter = 0u32;
    while let Some(top) = stack.last_mut() {
        let (v, i) = *top;
        top.1 += 1;
        let next = if v == root {
            sources.get(i).copied()
        } else {
            g.out(v).get(i).map(|&ei| g.edges[ei as usize].to)
        };
        match next {
            Some(w) => {
                if (w as usize) < n && !seen[w as usize] {
                    seen[w as usize] = true;
                    stack.push((w, 0));
                }
            }
            None => {
                post[v as usize] = counter;
                counter += 1;
                rpo.push(v);
                stack.pop();
            }
        }
    }
    rpo.reverse();
    let mut idom = vec![NONE; n + 1];
    idom[n] = root;
    let intersect = |idom: &[u32], mut a: u32, mut b: u32| {
        while a != b {
            while post[a as usize] < post[b as usize] {
                a = idom[a as usize];
            }
            while post[b as usize] < post[a as usize] {
                b = idom[b as usize];
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &b in rpo.iter().skip(1) {
            let mut new = if is_source[b as usize] { root } else { NONE };
            for &ei in g.inc(b) {
                let p = g.edges[ei as usize].from;
                if idom[p as usize] == NONE {
                    continue;
                }
                new = if new == NONE {
                    p
                } else {
                    intersect(&idom, p, new)
                };
            }
            if new != NONE && idom[b as usize] != new {
                idom[b as usize] = new;
                changed = true;
            }
        }
    }
    let mut cuts = vec![0u32; n];
    for &t in targets {
        if (t as usize) >= n || idom[t as usize] == NONE {
            continue;
        }
        let mut x = idom[t as usize];
        let mut guard = 0;
        while x != root && x != NONE && guard <= n {
            cuts[x as usize] += 1;
            x = idom[x as usize];
            guard += 1;
        }
    }
    (cuts, idom)
}

/// What an attacker holds after compromising one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Blast {
    pub assets: u32,
    pub identities: u32,
    /// Crown-jewel nodes reached.
    pub crown_jewels: Vec<NodeId>,
    /// False when the search stopped at its budget: the counts are then
    /// lower bounds.
    pub complete: bool,
}

/// Blast radius of `start`: a breadth-first search that stops after
/// visiting `budget` edges. `seen` is scratch space of the graph's size,
/// reused across calls (it is left cleared).
pub fn blast_radius(g: &AttackGraph, start: NodeId, budget: usize, seen: &mut Vec<bool>) -> Blast {
    let n = g.node_count();
    if seen.len() != n {
        *seen = vec![false; n];
    }
    let mut out = Blast {
        complete: true,
        ..Default::default()
    };
    if (start as usize) >= n {
        return out;
    }
    let mut queue = vec![start];
    seen[start as usize] = true;
    let mut head = 0;
    let mut visited = 0usize;
    'search: while head < queue.len() {
        let v = queue[head];
        head += 1;
        for &ei in g.out(v) {
            visited += 1;
            if visited > budget {
                out.complete = false;
                break 'search;
            }
            let w = g.edges[ei as usize].to;
            if !seen[w as usize] {
                seen[w as usize] = true;
                queue.push(w);
            }
        }
    }
    for &v in &queue {
        seen[v as usize] = false;
        if v == start {
            continue;
        }
        let k = g.nodes[v as usize].kind;
        if k == NodeKind::Asset {
            out.assets += 1;
        } else if k.is_identity() {
            out.identities += 1;
        } else if k == NodeKind::CrownJewel {
            out.crown_jewels.push(v);
        }
    }
    out.crown_jewels.sort_unstable();
    out
}
