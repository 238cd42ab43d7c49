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
        for (&ei, &w) in g.out(v).iter().zip(g.out_targets(v)) {
            let w = w as usize;
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
        self.cost.get(n as usize).map(|c| (-c).exp()).unwrap_or(0.0)
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
        let targets = g.out_targets(v);
        let costs = g.out_costs(v);
        for (i, &ei) in g.out(v).iter().enumerate() {
            let to = targets[i];
            let w = to as usize;
            if done[w] {
                continue;
            }
            let c = cv + f64::from(costs[i]);
            if c < cost[w] {
                cost[w] = c;
                parent[w] = ei;
                heap.push(Reverse((c.to_bits(), to)));
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
    for &v in &r.order {
        let sv = sigma[v as usize];
        let dv = r.dist[v as usize];
        for &w in g.out_targets(v) {
            if r.dist[w as usize] == dv + 1 {
                sigma[w as usize] += sv;
            }
        }
    }
    let mut delta = vec![0f64; n];
    // The k best edges so far, worst on top. Shares are non-negative, so
    // their bit patterns order like the numbers.
    let mut best_edges: BinaryHeap<Reverse<(u64, Reverse<u32>)>> = BinaryHeap::new();
    for &v in r.order.iter().rev() {
        let mut acc = 0.0;
        let dv = r.dist[v as usize];
        for (&ei, &w) in g.out(v).iter().zip(g.out_targets(v)) {
            let w = w as usize;
            if r.dist[w] != dv + 1 {
                continue;
            }
            let weight = if is_target[w] { 1.0 } else { 0.0 } + delta[w];
            if weight > 0.0 && sigma[w] > 0.0 {
                let c = sigma[v as usize] / sigma[w] * weight;
                acc += c;
                if k > 0 {
                    let key = Reverse((c.to_bits(), Reverse(ei)));
                    if best_edges.len() < k {
                        best_edges.push(key);
                    } else if best_edges.peek().is_some_and(|top| key < *top) {
                        best_edges.pop();
                        best_edges.push(key);
                    }
                }
            }
        }
        delta[v as usize] = acc;
    }

    // Dominators: a node on every path from the entries to a crown jewel.
    let (cuts, idom) = dominator_cuts(g, r, sources, targets, &is_source);

    let mut best_nodes: BinaryHeap<Reverse<(u32, u64, Reverse<u32>)>> = BinaryHeap::new();
    for v in 0..n {
        if is_source[v] || is_target[v] || (delta[v] <= 0.0 && cuts[v] == 0) || k == 0 {
            continue;
        }
        let key = Reverse((cuts[v], delta[v].to_bits(), Reverse(v as u32)));
        if best_nodes.len() < k {
            best_nodes.push(key);
        } else if best_nodes.peek().is_some_and(|top| key < *top) {
            best_nodes.pop();
            best_nodes.push(key);
        }
    }
    let mut nodes: Vec<NodeChoke> = best_nodes
        .into_iter()
        .map(|Reverse((cuts, share, Reverse(node)))| NodeChoke {
            node,
            cuts,
            share: f64::from_bits(share),
            cut_targets: Vec::new(),
        })
        .collect();
    nodes.sort_by(|a, b| {
        b.cuts
            .cmp(&a.cuts)
            .then(b.share.total_cmp(&a.share))
            .then(a.node.cmp(&b.node))
    });
    let mut edges: Vec<EdgeChoke> = best_edges
        .into_iter()
        .map(|Reverse((share, Reverse(edge)))| EdgeChoke {
            edge,
            share: f64::from_bits(share),
        })
        .collect();
    edges.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.edge.cmp(&b.edge)));
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

/// For every node, how many targets it dominates (from a virtual root above
/// the sources), and the immediate dominator of every node ([`NONE`] when
/// unreached; the root is index `n`). Semi-NCA: Lengauer–Tarjan
/// semidominators with path compression, then nearest common ancestors in
/// the depth-first tree (Georgiadis, Tarjan and Werneck 2006), all
/// iterative so deep graphs cannot overflow the stack.
fn dominator_cuts(
    g: &AttackGraph,
    r: &Reachability,
    sources: &[NodeId],
    targets: &[NodeId],
    is_source: &[bool],
) -> (Vec<u32>, Vec<u32>) {
    let n = g.node_count();
    let root = n as u32;
    // Preorder numbers by an iterative depth-first search from the root.
    let mut pre = vec![NONE; n + 1];
    let mut vertex: Vec<u32> = Vec::with_capacity(r.order.len() + 1);
    let mut parent: Vec<u32> = Vec::with_capacity(r.order.len() + 1);
    let mut stack: Vec<(u32, u32)> = vec![(root, 0)];
    pre[n] = 0;
    vertex.push(root);
    parent.push(NONE);
    while let Some(top) = stack.last_mut() {
        let (v, i) = *top;
        top.1 += 1;
        let next = if v == root {
            sources.get(i as usize).copied()
        } else {
            g.out_targets(v).get(i as usize).copied()
        };
        match next {
            Some(w) if (w as usize) < n && pre[w as usize] == NONE => {
                pre[w as usize] = vertex.len() as u32;
                parent.push(pre[v as usize]);
                vertex.push(w);
                stack.push((w, 0));
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    let m = vertex.len();
    // Everything below works on preorder numbers.
    let mut semi: Vec<u32> = (0..m as u32).collect();
    let mut label: Vec<u32> = (0..m as u32).collect();
    let mut ancestor = vec![NONE; m];
    let mut path: Vec<u32> = Vec::new();
    for w in (1..m).rev() {
        let node = vertex[w];
        let mut best = semi[w];
        let preds = g.in_sources(node).iter().map(|&p| pre[p as usize]);
        let root_pred = is_source[node as usize].then_some(0u32);
        for v in preds.chain(root_pred) {
            if v == NONE {
                continue;
            }
            // eval(v): the vertex of least semidominator on v's path in
            // the forest, compressing the path on the way.
            let u = if ancestor[v as usize] == NONE {
                v
            } else {
                let mut x = v;
                while ancestor[ancestor[x as usize] as usize] != NONE {
                    path.push(x);
                    x = ancestor[x as usize];
                }
                while let Some(y) = path.pop() {
                    let a = ancestor[y as usize];
                    if semi[label[a as usize] as usize] < semi[label[y as usize] as usize] {
                        label[y as usize] = label[a as usize];
                    }
                    ancestor[y as usize] = ancestor[a as usize];
                }
                label[v as usize]
            };
            best = best.min(semi[u as usize]);
        }
        semi[w] = best;
        ancestor[w] = parent[w];
    }
    let mut idom_pre = vec![0u32; m];
    for w in 1..m {
        let mut d = parent[w];
        while d > semi[w] {
            d = idom_pre[d as usize];
        }
        idom_pre[w] = d;
    }
    let mut idom = vec![NONE; n + 1];
    idom[n] = root;
    for w in 1..m {
        idom[vertex[w] as usize] = vertex[idom_pre[w] as usize];
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
