//! Attack paths: what an attacker can really reach.
//!
//! **Architecture invariant:** pure computation over plain data — no store,
//! no scope parsing, no network — so it is easy to test with graphs whose
//! answers are known, and to benchmark. The identity parsers
//! ([`bloodhound`], [`identity`]) read bytes they are given and return plain
//! data.
//!
//! - [`graph`]: the exposure graph — typed nodes (internet, zones, assets,
//!   listening services, identities, crown jewels) and edges (network,
//!   exploit, pivot, credential, privilege, membership, trust, supports);
//! - [`analysis`]: reachability, shortest and most likely paths, choke
//!   points (dominators and shortest-path share) and blast radius;
//! - [`estate`]: how ctem's estate (zones, flows, assets, exposures,
//!   identities, crown jewels) becomes a graph, and the analysis `ctem
//!   graph` and prioritisation use;
//! - [`export`]: Graphviz DOT and SVG pictures of the attack paths.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod bloodhound;
pub mod estate;
pub mod export;
pub mod graph;
pub mod identity;

pub use estate::{
    AssetNode, ChokePoint, CrownJewel, EdgeChokePoint, End, Estate, EstateAnalysis, ExposureNode,
    ExposureReach, Flow, IdentityNode, JewelPaths, Link, Path, Step, Vector, analyse,
};
pub use graph::{AttackGraph, Builder, Edge, EdgeKind, Node, NodeId, NodeKind};

#[cfg(test)]
mod tests;
