//! Attack-path reachability.
//!
//! **Architecture invariant:** pure computation over plain data — no store,
//! no scope parsing, no I/O — so it is easy to test with graphs whose
//! answers are known, and to benchmark.
//!
//! The model: an attacker holds *zones*. It starts in the entry zones
//! (`internet` and any assumed-breach zones). From a held zone it reaches
//! the assets of that zone (any port) and of every zone a flow leads to (on
//! the flow's ports). An exposure is reachable when its asset is reached on
//! the exposure's port (any port when unknown) and its attack vector is
//! network or adjacent (adjacent only inside a held zone). A reachable
//! exposure that is likely exploitable makes its asset a *foothold*: the
//! attacker then holds the asset's zone too, and local-vector exposures on
//! the foothold become reachable. Zones are taken breadth-first, so each
//! path is a shortest one in hops; ties break by input order, so the result
//! is deterministic.

#![forbid(unsafe_code)]

use serde::Serialize;
use std::collections::VecDeque;

/// The attack vector of an exposure (CVSS AV), or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Vector {
    Network,
    Adjacent,
    Local,
    Physical,
    /// No vector known: treated as network when the exposure has a port,
    /// as local otherwise.
    Unknown,
}

/// An allowed flow between zones; no ports means any port.
#[derive(Debug, Clone)]
pub struct Flow {
    pub from: usize,
    pub to: usize,
    pub ports: Vec<u16>,
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
    /// Likely exploitable (KEV, high EPSS, or validated): reaching it gives
    /// the attacker a foothold.
    pub exploitable: bool,
    pub weakness: String,
}

/// The whole input.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Zone names; index 0 should be `internet`.
    pub zones: Vec<String>,
    pub flows: Vec<Flow>,
    /// Zones the attacker starts in.
    pub entries: Vec<usize>,
    pub assets: Vec<AssetNode>,
    pub exposures: Vec<ExposureNode>,
}

/// One step of an attack path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub zone: String,
    /// The foothold asset and the weakness used on it, for every hop but the
    /// entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weakness: Option<String>,
}

/// Whether and how an exposure is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub reachable: bool,
    /// The entry zone the path starts from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The zones and footholds from the entry to the exposure's asset.
    pub path: Vec<Hop>,
}

impl Reach {
    fn unreachable() -> Reach {
        Reach {
            reachable: false,
            entry: None,
            path: Vec::new(),
        }
    }

    /// `internet → dmz: web-01 (CVE-2023-4966) → app: api-02`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for h in &self.path {
            parts.push(match (&h.asset, &h.weakness) {
                (Some(a), Some(w)) => format!("{}: {a} ({w})", h.zone),
                (Some(a), None) => format!("{}: {a}", h.zone),
                _ => h.zone.clone(),
            });
        }
        parts.join(" → ")
    }
}

/// The result for every exposure and asset.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Same order as `Graph::exposures`.
    pub exposures: Vec<Reach>,
    /// Zones the attacker ends up holding.
    pub held_zones: Vec<bool>,
    /// Assets that became footholds.
    pub footholds: Vec<bool>,
    /// Zones that a flow from an entry zone named `internet` reaches.
    pub internet_facing_zones: Vec<bool>,
}

/// How the attacker came to hold a zone.
#[derive(Clone)]
enum Via {
    Entry,
    /// From zone, through foothold asset, using exposure.
    Foothold {
        from: usize,
        asset: usize,
        exposure: usize,
    },
}

fn port_ok(ports: &[u16], port: Option<u16>) -> bool {
    match port {
        None => true,
        Some(p) => ports.is_empty() || ports.contains(&p),
    }
}

/// Computes reachability for every exposure.
pub fn analyse(g: &Graph) -> Analysis {
    let nz = g.zones.len();
    let mut by_zone: Vec<Vec<usize>> = vec![Vec::new(); nz];
    for (i, a) in g.assets.iter().enumerate() {
        if let Some(z) = a.zone.filter(|z| *z < nz) {
            by_zone[z].push(i);
        }
    }
    let mut exposures_of: Vec<Vec<usize>> = vec![Vec::new(); g.assets.len()];
    for (i, e) in g.exposures.iter().enumerate() {
        if e.asset < g.assets.len() {
            exposures_of[e.asset].push(i);
        }
    }
    let mut out_flows: Vec<Vec<&Flow>> = vec![Vec::new(); nz];
    for f in &g.flows {
        if f.from < nz && f.to < nz {
            out_flows[f.from].push(f);
        }
    }

    let mut held: Vec<Option<Via>> = vec![None; nz];
    let mut queue = VecDeque::new();
    for &z in &g.entries {
        if z < nz && held[z].is_none() {
            held[z] = Some(Via::Entry);
            queue.push_back(z);
        }
    }
    // For each exposure, the held zone it was first reached from.
    let mut reached_from: Vec<Option<usize>> = vec![None; g.exposures.len()];
    let mut foothold: Vec<Option<usize>> = vec![None; g.assets.len()];

    while let Some(z) = queue.pop_front() {
        // Targets: own zone on any port, plus flows out of it.
        let mut targets: Vec<(usize, Option<&[u16]>)> = vec![(z, None)];
        for f in &out_flows[z] {
            targets.push((f.to, Some(&f.ports)));
        }
        for (tz, ports) in targets {
            for &a in &by_zone[tz] {
                for &ei in &exposures_of[a] {
                    if reached_from[ei].is_some() {
                        continue;
                    }
                    let e = &g.exposures[ei];
                    let vector_ok = match e.vector {
                        Vector::Network => true,
                        Vector::Adjacent => tz == z,
                        Vector::Unknown => e.port.is_some(),
                        Vector::Local | Vector::Physical => false,
                    };
                    let ports_ok = match ports {
                        None => true,
                        Some(p) => port_ok(p, e.port),
                    };
                    if !(vector_ok && ports_ok) {
                        continue;
                    }
                    reached_from[ei] = Some(z);
                    if e.exploitable && foothold[a].is_none() {
                        foothold[a] = Some(ei);
                        if held[tz].is_none() {
                            held[tz] = Some(Via::Foothold {
                                from: z,
                                asset: a,
                                exposure: ei,
                            });
                            queue.push_back(tz);
                        }
                    }
                }
            }
        }
    }

    let path_to_zone = |z: usize| -> (Option<String>, Vec<Hop>) {
        let mut hops = Vec::new();
        let mut cur = z;
        let mut guard = 0;
        loop {
            guard += 1;
            match held[cur].clone() {
                Some(Via::Entry) | None => {
                    hops.push(Hop {
                        zone: g.zones[cur].clone(),
                        asset: None,
                        weakness: None,
                    });
                    break;
                }
                Some(Via::Foothold {
                    from,
                    asset,
                    exposure,
                }) => {
                    hops.push(Hop {
                        zone: g.zones[cur].clone(),
                        asset: Some(g.assets[asset].name.clone()),
                        weakness: Some(g.exposures[exposure].weakness.clone()),
                    });
                    if guard > nz {
                        break;
                    }
                    cur = from;
                }
            }
        }
        hops.reverse();
        let entry = hops.first().map(|h| h.zone.clone());
        (entry, hops)
    };

    let mut result = Vec::with_capacity(g.exposures.len());
    for (ei, e) in g.exposures.iter().enumerate() {
        let asset = &g.assets[e.asset.min(g.assets.len().saturating_sub(1))];
        let from = match reached_from[ei] {
            Some(z) => Some(z),
            // Local exposures are reachable on a foothold.
            None if foothold.get(e.asset).is_some_and(|f| f.is_some()) => asset.zone,
            None => None,
        };
        match from {
            None => result.push(Reach::unreachable()),
            Some(z) => {
                let (entry, mut path) = path_to_zone(z);
                let tz = asset.zone.unwrap_or(z);
                let is_foothold_here = foothold[e.asset] == Some(ei) && held_by_this(&held, tz, ei);
                let last_is_asset = path
                    .last()
                    .is_some_and(|h| h.asset.as_deref() == Some(asset.name.as_str()));
                if !last_is_asset || !is_foothold_here {
                    if !last_is_asset {
                        path.push(Hop {
                            zone: g.zones.get(tz).cloned().unwrap_or_default(),
                            asset: Some(asset.name.clone()),
                            weakness: Some(e.weakness.clone()),
                        });
                    } else if let Some(last) = path.last_mut() {
                        last.weakness = Some(e.weakness.clone());
                    }
                }
                result.push(Reach {
                    reachable: true,
                    entry,
                    path,
                });
            }
        }
    }

    let internet = g.zones.iter().position(|z| z == "internet");
    let mut internet_facing_zones = vec![false; nz];
    if let Some(i) = internet {
        for f in &out_flows[i] {
            internet_facing_zones[f.to] = true;
        }
    }
    Analysis {
        exposures: result,
        held_zones: held.iter().map(Option::is_some).collect(),
        footholds: foothold.iter().map(Option::is_some).collect(),
        internet_facing_zones,
    }
}

fn held_by_this(held: &[Option<Via>], zone: usize, exposure: usize) -> bool {
    matches!(held.get(zone), Some(Some(Via::Foothold { exposure: e, .. })) if *e == exposure)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// internet → dmz (443) → app (8080) → data (5432); corp is an island.
    fn estate() -> Graph {
        let zones = ["internet", "dmz", "app", "data", "corp"];
        Graph {
            zones: zones.iter().map(|s| s.to_string()).collect(),
            flows: vec![
                Flow {
                    from: 0,
                    to: 1,
                    ports: vec![443],
                },
                Flow {
                    from: 1,
                    to: 2,
                    ports: vec![8080],
                },
                Flow {
                    from: 2,
                    to: 3,
                    ports: vec![5432],
                },
            ],
            entries: vec![0],
            assets: vec![
                AssetNode {
                    name: "web".into(),
                    zone: Some(1),
                },
                AssetNode {
                    name: "api".into(),
                    zone: Some(2),
                },
                AssetNode {
                    name: "db".into(),
                    zone: Some(3),
                },
                AssetNode {
                    name: "laptop".into(),
                    zone: Some(4),
                },
            ],
            exposures: vec![],
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
            weakness: w.into(),
        }
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
        let a = analyse(&g);
        assert!(a.exposures[0].reachable);
        assert_eq!(a.exposures[0].describe(), "internet → dmz: web (CVE-WEB)");
        assert!(a.exposures[2].reachable);
        assert_eq!(
            a.exposures[2].describe(),
            "internet → dmz: web (CVE-WEB) → app: api (CVE-API) → data: db (CVE-DB)"
        );
        assert!(!a.exposures[3].reachable, "corp has no flow from anywhere");
        assert_eq!(a.footholds, vec![true, true, false, false]);
        assert_eq!(
            a.internet_facing_zones,
            vec![false, true, false, false, false]
        );
    }

    #[test]
    fn wrong_port_or_no_foothold_stops_the_path() {
        let mut g = estate();
        g.exposures = vec![
            exp(0, Some(22), Vector::Network, true, "CVE-SSH"), // 22 not allowed from internet
            exp(1, Some(8080), Vector::Network, true, "CVE-API"),
        ];
        let a = analyse(&g);
        assert!(!a.exposures[0].reachable);
        assert!(!a.exposures[1].reachable, "no foothold in dmz");
        // Not exploitable on the web tier: the app tier stays out of reach.
        g.exposures = vec![
            exp(0, Some(443), Vector::Network, false, "CVE-WEB-LOW"),
            exp(1, Some(8080), Vector::Network, true, "CVE-API"),
        ];
        let a = analyse(&g);
        assert!(a.exposures[0].reachable);
        assert!(!a.exposures[1].reachable);
    }

    #[test]
    fn local_exposures_need_a_foothold_and_assumed_breach_is_an_entry() {
        let mut g = estate();
        g.exposures = vec![
            exp(0, Some(443), Vector::Network, true, "CVE-WEB"),
            exp(0, None, Vector::Local, false, "CVE-SUDO"),
            exp(3, None, Vector::Local, false, "CVE-LAPTOP-LPE"),
            exp(3, Some(445), Vector::Network, true, "CVE-SMB"),
        ];
        let a = analyse(&g);
        assert!(a.exposures[1].reachable, "local on a foothold");
        assert!(!a.exposures[2].reachable);
        g.entries.push(4);
        let a = analyse(&g);
        assert!(a.exposures[3].reachable);
        assert_eq!(a.exposures[3].entry.as_deref(), Some("corp"));
        assert!(a.exposures[2].reachable, "laptop became a foothold");
    }
}
