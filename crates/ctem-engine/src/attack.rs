//! The workspace's attack graph: the estate from the store and scope, the
//! identity sources imported with `ctem graph import`, and the analysis
//! that `ctem graph`, prioritisation, the report and the demo show.

use crate::error::{Error as CliError, Result};
use ctem_graph::bloodhound;
use ctem_graph::estate::{CrownJewel, End, Estate, EstateAnalysis, IdentityNode, Link};
use ctem_graph::identity::{self, Directory, ObjectKind};
use ctem_graph::{AssetNode, NodeKind};
use ctem_model::{AssetIdentity, normalise_host};
use ctem_scope::Scope;
use ctem_store::Store;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// The crown jewel that identity sources' Tier Zero objects (Domain Admins,
/// high-value objects, identities marked `crown_jewel`) make up.
pub const IDENTITY_JEWEL: &str = "identity tier zero";

/// How many choke points the analysis keeps.
pub const TOP_CHOKES: usize = 20;

/// Edge visits allowed for all blast-radius searches of one assessment;
/// past it, blast radius is left out rather than slowing prioritisation.
const BLAST_BUDGET: usize = 20_000_000;

/// The estate and its analysis.
#[derive(Debug, Clone, Default)]
pub struct Attack {
    pub estate: Estate,
    pub analysis: EstateAnalysis,
    /// Exposure ids, in `estate.exposures` order.
    pub exposure_ids: Vec<String>,
}

/// What an import of a graph source gave.
#[derive(Debug, Clone, Serialize)]
pub struct GraphImport {
    pub file: String,
    pub kind: String,
    pub objects: usize,
    pub relations: usize,
}

/// Imports a SharpHound JSON collection file or a `ctem-identities/1`
/// file into the workspace; a later import of the same file name replaces
/// it.
pub fn import_graph_source(store: &mut Store, path: &Path, actor: &str) -> Result<GraphImport> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| CliError::invalid(format!("{label}: {e}")))?;
    let sha = {
        let mut h = Sha256::new();
        h.update(&bytes);
        ctem_model::fingerprint::hex(&h.finalize())
    };
    let text_head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_string();
    let (kind, dir) = if bloodhound::sniff(&bytes) {
        (
            "bloodhound",
            bloodhound::parse(&bytes, &label).map_err(CliError::invalid)?,
        )
    } else if text_head.contains("ctem-identities/1") {
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| CliError::invalid(format!("{label}: not UTF-8 text: {e}")))?;
        (
            "identities",
            identity::parse_identity_file(text, &label).map_err(CliError::invalid)?,
        )
    } else {
        return Err(CliError::invalid(format!(
            "{label}: not recognised: expected a SharpHound JSON collection (users, groups, computers, domains, …) or a ctem-identities/1 file (docs/graph.md)"
        )));
    };
    let doc = serde_json::to_string(&dir).map_err(CliError::failure)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| label.clone());
    store.save_graph_source(
        &name,
        kind,
        &sha,
        dir.objects.len() as i64,
        dir.relations.len() as i64,
        &doc,
        actor,
    )?;
    Ok(GraphImport {
        file: label,
        kind: kind.into(),
        objects: dir.objects.len(),
        relations: dir.relations.len(),
    })
}

/// Adds what the store and scope know beyond zones and exposures: crown
/// jewels (from the scope's services) and identities (from imported
/// sources). `identities` are the assets' identities, in `est.assets` order.
pub(crate) fn complete_estate(
    store: &Store,
    scope: &Scope,
    est: &mut Estate,
    identities: &[AssetIdentity],
) -> Result<()> {
    for s in scope.services.iter().filter(|s| s.service.crown_jewel) {
        let assets: Vec<usize> = identities
            .iter()
            .enumerate()
            .filter(|(_, id)| s.covers(id))
            .map(|(i, _)| i)
            .collect();
        est.crown_jewels.push(CrownJewel {
            name: s.service.id.clone(),
            assets,
            identities: Vec::new(),
        });
    }

    let mut dir = Directory::default();
    for src in store.graph_sources()? {
        let d: Directory = serde_json::from_str(&src.document).map_err(|e| {
            CliError::failure(format!(
                "database: graph source {} is unreadable: {e}",
                src.label
            ))
        })?;
        dir.merge(d);
    }
    if dir.objects.is_empty() {
        return Ok(());
    }
    // Computers are assets: match them by any identifier the store knows.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, id) in identities.iter().enumerate() {
        for n in id.identifiers() {
            by_name.entry(normalise_host(&n)).or_insert(i);
        }
        for h in [&id.fqdn, &id.hostname].into_iter().flatten() {
            if let Some(short) = h.split('.').next() {
                by_name.entry(normalise_host(short)).or_insert(i);
            }
        }
        by_name
            .entry(normalise_host(&est.assets[i].name))
            .or_insert(i);
    }
    let mut ends: HashMap<&str, End> = HashMap::new();
    let mut tier_zero = Vec::new();
    for o in &dir.objects {
        let end = match o.kind {
            ObjectKind::Computer => {
                let full = normalise_host(&o.name);
                let short = full.split('.').next().unwrap_or(&full).to_string();
                let i = match by_name.get(&full).or_else(|| by_name.get(&short)) {
                    Some(&i) => i,
                    None => {
                        // Known only to the directory: an asset in no zone.
                        est.assets.push(AssetNode {
                            name: o.name.to_ascii_lowercase(),
                            zone: None,
                        });
                        by_name.insert(full, est.assets.len() - 1);
                        est.assets.len() - 1
                    }
                };
                End::Asset(i)
            }
            k => {
                est.identities.push(IdentityNode {
                    name: o.name.clone(),
                    kind: match k {
                        ObjectKind::Human => NodeKind::Human,
                        ObjectKind::NonHuman => NodeKind::NonHuman,
                        ObjectKind::Domain => NodeKind::Domain,
                        _ => NodeKind::Group,
                    },
                });
                let i = est.identities.len() - 1;
                if o.crown_jewel {
                    tier_zero.push(i);
                }
                End::Identity(i)
            }
        };
        ends.insert(o.id.as_str(), end);
    }
    for r in &dir.relations {
        if let (Some(&from), Some(&to)) = (ends.get(r.from.as_str()), ends.get(r.to.as_str())) {
            est.links.push(Link {
                from,
                to,
                kind: r.kind,
                p: r.p,
                label: r.right.clone(),
            });
        }
    }
    if !tier_zero.is_empty() {
        est.crown_jewels.push(CrownJewel {
            name: IDENTITY_JEWEL.into(),
            assets: Vec::new(),
            identities: tier_zero,
        });
    }
    Ok(())
}

/// The reachability explanation of one exposure: its path, where it is
/// reached from, and its blast radius when exploiting it gives the asset.
pub(crate) fn explain_reach(
    attack: &Attack,
    i: usize,
    blast_cache: &mut HashMap<usize, Option<String>>,
    budget: &mut usize,
) -> Option<String> {
    let r = attack.analysis.exposures.get(i)?;
    if !r.reachable() {
        return None;
    }
    let path = attack.analysis.exposure_path(&attack.estate, i)?;
    let mut s = path.describe();
    let from = match (r.from_internet, r.from_breach) {
        (true, true) => "from the internet and from the assumed breach",
        (true, false) => "from the internet",
        _ => "from the assumed breach only",
    };
    s.push_str(&format!(" [{from}]"));
    let e = &attack.estate.exposures[i];
    if e.exploitable {
        let asset = e.asset;
        let blast = blast_cache.entry(asset).or_insert_with(|| {
            if *budget == 0 {
                return None;
            }
            let b = attack
                .analysis
                .blast_radius(&attack.estate, i, (*budget).min(2_000_000))?;
            *budget = budget.saturating_sub(2_000_000);
            let g = &attack.analysis.built.graph;
            let jewels: Vec<&str> = b
                .crown_jewels
                .iter()
                .map(|&j| g.nodes[j as usize].name.as_str())
                .collect();
            Some(format!(
                "blast radius {}{} assets, {} identities{}",
                if b.complete { "" } else { "≥ " },
                b.assets,
                b.identities,
                if jewels.is_empty() {
                    String::new()
                } else {
                    format!(", crown jewels {}", jewels.join(", "))
                }
            ))
        });
        if let Some(b) = blast {
            s.push_str(&format!(" [{b}]"));
        }
        let name = &attack.estate.assets[asset].name;
        if let Some(c) = attack
            .analysis
            .chokes
            .iter()
            .find(|c| c.kind == NodeKind::Asset && &c.node == name && !c.cuts.is_empty())
        {
            s.push_str(&format!(
                " [choke point: fixing {name} cuts every path to {}]",
                c.cuts.join(", ")
            ));
        }
    }
    Some(s)
}

pub(crate) fn blast_budget() -> usize {
    BLAST_BUDGET
}

/// The graph summary `ctem graph` prints.
#[derive(Debug, Clone, Serialize)]
pub struct GraphSummary {
    pub nodes: usize,
    pub edges: usize,
    pub nodes_by_kind: Vec<(String, usize)>,
    pub edges_by_kind: Vec<(String, usize)>,
    pub exposures: usize,
    pub reachable_from_internet: usize,
    pub reachable_from_breach: usize,
    pub unreachable: usize,
    pub crown_jewels: Vec<ctem_graph::JewelPaths>,
    pub choke_points: Vec<ctem_graph::ChokePoint>,
    pub edge_choke_points: Vec<ctem_graph::EdgeChokePoint>,
    pub sources: Vec<ctem_store::GraphSource>,
}

/// Summarises an attack graph.
pub fn graph_summary(attack: &Attack, sources: Vec<ctem_store::GraphSource>) -> GraphSummary {
    let g = &attack.analysis.built.graph;
    let mut nk: std::collections::BTreeMap<&str, usize> = Default::default();
    for n in &g.nodes {
        *nk.entry(n.kind.as_str()).or_default() += 1;
    }
    let mut ek: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in &g.edges {
        *ek.entry(e.kind.as_str()).or_default() += 1;
    }
    let ex = &attack.analysis.exposures;
    GraphSummary {
        nodes: g.node_count(),
        edges: g.edge_count(),
        nodes_by_kind: nk.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        edges_by_kind: ek.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        exposures: ex.len(),
        reachable_from_internet: ex.iter().filter(|r| r.from_internet).count(),
        reachable_from_breach: ex.iter().filter(|r| r.from_breach).count(),
        unreachable: ex.iter().filter(|r| !r.reachable()).count(),
        crown_jewels: attack.analysis.jewels.clone(),
        choke_points: attack.analysis.chokes.clone(),
        edge_choke_points: attack.analysis.edge_chokes.clone(),
        sources,
    }
}

/// The attack graph of the workspace, from a fresh assessment.
pub fn attack_graph(
    store: &Store,
    scope: &Scope,
) -> Result<(Attack, Vec<ctem_store::GraphSource>)> {
    let a = crate::phases::assess(store, scope)?;
    Ok((a.attack, store.graph_sources()?))
}

/// The report's attack-path section.
pub fn report_section(attack: &Attack) -> ctem_report::AttackSection {
    let a = &attack.analysis;
    ctem_report::AttackSection {
        jewels: a
            .jewels
            .iter()
            .map(|j| ctem_report::JewelRow {
                crown_jewel: j.crown_jewel.clone(),
                reached_from: match (j.from_internet, j.from_breach) {
                    (true, true) => "the internet and the assumed breach",
                    (true, false) => "the internet",
                    (false, true) => "the assumed breach",
                    (false, false) => "nowhere: not reachable",
                }
                .into(),
                shortest: j.shortest.as_ref().map(|p| p.describe()),
                most_likely: j
                    .most_likely
                    .as_ref()
                    .filter(|p| Some(*p) != j.shortest.as_ref())
                    .map(|p| format!("{} (likelihood {:.2})", p.describe(), p.likelihood)),
            })
            .collect(),
        choke_points: a
            .chokes
            .iter()
            .take(10)
            .map(|c| ctem_report::ChokeRow {
                node: match &c.zone {
                    Some(z) => format!("{z}: {}", c.node),
                    None => c.node.clone(),
                },
                kind: c.kind.as_str().replace('_', " "),
                cuts: c.cuts.clone(),
                share: c.share,
                fix: c.fix.clone(),
            })
            .collect(),
        svg: ctem_graph::export::to_svg(a, 40),
    }
}
