//! The CTEM loop, phase by phase, over a workspace's store and scope.
//!
//! This is the one place that wires the pure crates together: it reads
//! from the store, gathers facts, calls the parsers, the attack graph, the
//! policy and mobilisation, and writes results back. The CLI (and later the
//! server) call these functions; they print nothing themselves except
//! progress lines on request.

use crate::changes::change_reason;
use crate::error::{Error as CliError, Result};
use ctem_graph::{AssetNode, Estate, ExposureNode, Flow, Vector};
use ctem_model::{DAY, Decision, Tier, ValidationState, fmt_date, fmt_time};
use ctem_prioritise::{CvssFact, EpssFact, Facts, KevFact, ServiceFact, ValidationFact};
use ctem_report::{Action, FeedInfo, ReportData, Row, ServiceFunnel, Stage};
use ctem_scope::Scope;
use ctem_store::{DecisionChange, ExposureRow, FeedSnapshot, ImportMeta, ImportSummary, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// How ingest reports progress on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    None,
    /// A line every 10,000 findings: for logs and tests.
    Lines,
}

/// What one ingested file gave.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    #[serde(flatten)]
    pub summary: ImportSummary,
    pub skipped: u64,
    pub seconds: f64,
}

fn file_label(path: &Path) -> String {
    path.display().to_string()
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| CliError::invalid(format!("{}: {e}", file_label(path))))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(ctem_model::fingerprint::hex(&h.finalize()))
}

/// Where an ingest is, for a progress display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestProgress {
    /// Bytes of the report read so far, and its size.
    pub bytes_read: u64,
    pub bytes_total: u64,
    /// Findings written to the import so far.
    pub findings: u64,
    /// True on the last call, once the import committed.
    pub done: bool,
}

/// Findings handed from the parsing thread to the writing thread at a time,
/// and batches in flight: memory stays flat (about 2,000 findings).
const BATCH: usize = 256;
const BATCHES_IN_FLIGHT: usize = 8;

/// Counts the bytes a parser has read, for the progress display.
struct Counted<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Ingests one scanner report in one transaction: all or nothing.
pub fn ingest_file(
    store: &mut Store,
    path: &Path,
    actor: &str,
    progress: Progress,
) -> Result<IngestReport> {
    ingest_file_observed(store, path, actor, progress, &mut |_| {})
}

/// [`ingest_file`], calling `observe` every few thousand findings and once
/// at the end (for a progress bar).
///
/// The parser runs on its own thread and hands findings over in small
/// batches through a bounded channel; this thread resolves assets and
/// writes them inside the one import transaction. Parsing and writing
/// overlap, and memory does not grow with the report. A store error stops
/// the parser; a parse error rolls the whole import back.
///
/// A file identical to the latest snapshot of its tools (same SHA-256, same
/// parsers) becomes a new snapshot without being parsed again
/// ([`Store::reimport_unchanged`]).
pub fn ingest_file_observed(
    store: &mut Store,
    path: &Path,
    actor: &str,
    progress: Progress,
    observe: &mut dyn FnMut(&IngestProgress),
) -> Result<IngestReport> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let started = Instant::now();
    let label = file_label(path);
    let bytes_total = std::fs::metadata(path)
        .map_err(|e| CliError::invalid(format!("{label}: {e}")))?
        .len();
    let sha = sha256_file(path)?;
    let meta = ImportMeta {
        tool: String::new(),
        format: String::new(),
        file: label.clone(),
        sha256: sha,
        actor: actor.to_string(),
        at: ctem_model::now(),
    };
    if let Some((s, skipped)) = store.reimport_unchanged(&meta, ctem_ingest::VERSION)? {
        observe(&IngestProgress {
            bytes_read: bytes_total,
            bytes_total,
            findings: s.findings,
            done: true,
        });
        return Ok(IngestReport {
            summary: s,
            skipped,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| CliError::invalid(format!("{label}: {e}")))?;
    let read = Arc::new(AtomicU64::new(0));
    let counted = Counted {
        inner: file,
        read: Arc::clone(&read),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| label.clone());
    // The tool is only known once the parser has read the header; findings
    // carry it, so the import records the first finding's tool.
    let mut tx = store.begin_import(meta)?;
    let mut store_err: Option<ctem_store::StoreError> = None;
    let mut n: u64 = 0;
    let (send, recv) = std::sync::mpsc::sync_channel::<Vec<ctem_model::Finding>>(BATCHES_IN_FLIGHT);
    let parsed = std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut sink = |f| {
                batch.push(f);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    send.send(full)
                        .map_err(|_| ctem_ingest::IngestError::rejected("the import stopped"))?;
                }
                Ok(())
            };
            let r = ctem_ingest::parse_reader(counted, &name, &mut sink);
            if r.is_ok() && !batch.is_empty() {
                // The writer only stops early on its own error, reported below.
                let _ = send.send(batch);
            }
            r
        });
        'batches: for batch in recv.iter() {
            for f in batch {
                if let Err(e) = tx.add(&f) {
                    store_err = Some(e);
                    break 'batches;
                }
                n += 1;
                if progress == Progress::Lines && n.is_multiple_of(10_000) {
                    eprintln!("ingest: {label}: {n} findings written");
                }
                if n.is_multiple_of(4096) {
                    observe(&IngestProgress {
                        bytes_read: read.load(Ordering::Relaxed),
                        bytes_total,
                        findings: n,
                        done: false,
                    });
                }
            }
        }
        // Unblocks a parser waiting to send after a store error.
        drop(recv);
        parser.join()
    });
    if let Some(e) = store_err {
        return Err(CliError::failure(e));
    }
    let result = parsed.map_err(|_| CliError::failure(format!("{label}: the parser failed")))?;
    let summary =
        result.map_err(|e| CliError::invalid(format!("{e}\nnothing was imported from {label}")))?;
    for a in &summary.scanned_assets {
        tx.cover(a)?;
    }
    tx.set_source(&summary.tool, summary.format);
    tx.set_skipped(summary.skipped);
    tx.set_parser(ctem_ingest::VERSION);
    let s = tx.commit()?;
    observe(&IngestProgress {
        bytes_read: bytes_total,
        bytes_total,
        findings: n,
        done: true,
    });
    Ok(IngestReport {
        summary: s,
        skipped: summary.skipped,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A loaded feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedLoaded {
    pub feed: String,
    pub version: String,
    pub date: String,
    pub rows: usize,
    pub snapshot_id: i64,
}

/// Loads a KEV (JSON or CSV) or EPSS (CSV or CSV.gz) file as a new snapshot.
/// A broken file is rejected and the previous snapshot stays in force.
pub fn load_feed(store: &mut Store, path: &Path, actor: &str) -> Result<FeedLoaded> {
    let label = file_label(path);
    let bytes = std::fs::read(path).map_err(|e| CliError::invalid(format!("{label}: {e}")))?;
    load_feed_bytes(store, &bytes, &label, None, actor)
}

/// SHA-256 (hex) of a feed's bytes, as stored with its snapshot.
pub fn feed_sha256(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    ctem_model::fingerprint::hex(&h.finalize())
}

/// Which feed a file holds, from its first bytes: `epss` (gzip, or the
/// EPSS CSV header) or `kev` (anything else; the KEV parsers then decide).
pub fn detect_feed(bytes: &[u8]) -> &'static str {
    let is_gzip = bytes.starts_with(&[0x1f, 0x8b]);
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    if is_gzip || head.starts_with("#model_version") || head.starts_with("cve,epss") {
        "epss"
    } else {
        "kev"
    }
}

/// Loads feed bytes as a new snapshot; `label` names the file or URL in
/// errors and in the snapshot. With `expect`, content of the other feed is
/// rejected. A broken feed is rejected and the previous snapshot stays.
pub fn load_feed_bytes(
    store: &mut Store,
    bytes: &[u8],
    label: &str,
    expect: Option<&str>,
    actor: &str,
) -> Result<FeedLoaded> {
    let sha = feed_sha256(bytes);
    let label = label.to_string();
    let now = ctem_model::now();
    let kind = detect_feed(bytes);
    let keep = |e: &dyn std::fmt::Display| {
        CliError::invalid(format!("{e}\nthe previous snapshot stays in force"))
    };
    if let Some(want) = expect.filter(|w| *w != kind) {
        return Err(keep(&format!(
            "{label}: expected a {} feed but the content looks like {}",
            want.to_uppercase(),
            kind.to_uppercase()
        )));
    }
    if kind == "epss" {
        let snap = ctem_intel::parse_epss(bytes, &label).map_err(|e| keep(&e))?;
        let meta = FeedSnapshot {
            id: 0,
            feed: "epss".into(),
            version: snap.model_version.clone(),
            data_date: snap.score_date,
            loaded_at: now,
            source: label,
            sha256: sha,
            rows: snap.scores.len() as i64,
        };
        let rows = snap.scores.iter().map(|s| ctem_store::EpssRow {
            cve: &s.cve,
            epss: f64::from(s.epss),
            percentile: f64::from(s.percentile),
        });
        let id = store.save_epss(&meta, rows, actor)?;
        Ok(FeedLoaded {
            feed: "epss".into(),
            version: snap.model_version,
            date: fmt_date(snap.score_date),
            rows: snap.scores.len(),
            snapshot_id: id,
        })
    } else {
        let cat = ctem_intel::parse_kev(bytes, &label).map_err(|e| keep(&e))?;
        let meta = FeedSnapshot {
            id: 0,
            feed: "kev".into(),
            version: cat.catalog_version.clone(),
            data_date: cat.date_released,
            loaded_at: now,
            source: label,
            sha256: sha,
            rows: cat.entries.len() as i64,
        };
        let rows: Vec<ctem_store::KevRow> = cat
            .entries
            .iter()
            .map(|e| ctem_store::KevRow {
                cve: e.cve.clone(),
                date_added: e.date_added,
                due_date: e.due_date,
                ransomware: e.ransomware,
                vendor: e.vendor.clone(),
                product: e.product.clone(),
                name: e.name.clone(),
            })
            .collect();
        let id = store.save_kev(&meta, &rows, actor)?;
        Ok(FeedLoaded {
            feed: "kev".into(),
            version: cat.catalog_version,
            date: fmt_date(cat.date_released),
            rows: rows.len(),
            snapshot_id: id,
        })
    }
}

/// What a validation import gave.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationImport {
    pub file: String,
    pub tool: String,
    pub results: usize,
    pub matched: usize,
    pub unmatched: Vec<String>,
}

/// Imports a validation file (ctem's generic format, JSON or CSV).
pub fn import_validations(
    store: &mut Store,
    path: &Path,
    tool: &str,
    method: &str,
    actor: &str,
) -> Result<ValidationImport> {
    let label = file_label(path);
    let bytes = std::fs::read(path).map_err(|e| CliError::invalid(format!("{label}: {e}")))?;
    let file = ctem_validate::parse(&bytes, &label, tool, method).map_err(CliError::invalid)?;
    let rows = store.exposures(false)?;
    let candidates: Vec<ctem_validate::Candidate<'_>> = rows
        .iter()
        .map(|r| {
            let id = &r.asset.identity;
            let mut names: Vec<String> = [
                &id.fqdn,
                &id.hostname,
                &id.ip,
                &id.image,
                &id.repository,
                &id.cloud_id,
                &id.url,
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
            if let Some(img) = &id.image {
                names.push(ctem_model::fingerprint::normalise_image(img));
            }
            if let Some(repo) = &id.repository {
                names.push(ctem_model::fingerprint::normalise_repo(repo));
            }
            names.push(r.asset.name.clone());
            let mut w = vec![r.exposure.weakness.id.clone()];
            w.extend(r.exposure.weakness.aliases.iter().cloned());
            ctem_validate::Candidate {
                exposure_id: &r.exposure.id,
                asset_names: names,
                weakness_ids: w,
            }
        })
        .collect();
    let m = ctem_validate::match_results(&file, &candidates);
    store.add_validations(&m.records, actor)?;
    Ok(ValidationImport {
        file: label,
        tool: file.tool,
        results: file.results.len(),
        matched: m.records.len(),
        unmatched: m
            .unmatched
            .iter()
            .map(|u| format!("{} on {}", u.weakness, u.asset))
            .collect(),
    })
}

/// The facts of every active exposure, with the graph analysis.
pub struct Assessment {
    pub rows: Vec<ExposureRow>,
    pub facts: Vec<Facts>,
    pub kev: Option<FeedSnapshot>,
    pub epss: Option<FeedSnapshot>,
    /// The attack graph and its analysis (`ctem graph`).
    pub attack: crate::attack::Attack,
}

fn vector_of(av: ctem_intel::AttackVector) -> Vector {
    match av {
        ctem_intel::AttackVector::Network => Vector::Network,
        ctem_intel::AttackVector::Adjacent => Vector::Adjacent,
        ctem_intel::AttackVector::Local => Vector::Local,
        ctem_intel::AttackVector::Physical => Vector::Physical,
    }
}

/// What SSVC needs from a scored vector.
fn vector_traits(s: &ctem_intel::CvssScore) -> ctem_prioritise::ssvc::VectorTraits {
    use ctem_intel::ExploitMaturity as M;
    use ctem_prioritise::ssvc::Exploitation;
    let t = ctem_intel::cvss_traits(s);
    ctem_prioritise::ssvc::VectorTraits {
        automatable: t.automatable,
        total_impact: t.total_impact,
        exploit: match t.exploit {
            M::NotReported | M::Unproven => None,
            M::ExploitCode => Some(Exploitation::PublicPoc),
            M::Attacked => Some(Exploitation::Active),
        },
    }
}

/// Gathers the facts for every active exposure: scope, feeds, CVSS,
/// validation, controls, and reachability from the attack graph.
pub fn assess(store: &Store, scope: &Scope) -> Result<Assessment> {
    let rows = store.exposures(true)?;
    let kev_snap = store.latest_feed("kev")?;
    let epss_snap = store.latest_feed("epss")?;
    let kev = match &kev_snap {
        Some(s) => store.kev_entries(s.id)?,
        None => HashMap::new(),
    };
    let epss = match &epss_snap {
        Some(s) => store.epss_scores_for_exposures(s.id)?,
        None => HashMap::new(),
    };
    let validations = store.latest_validations()?;
    let th = scope.thresholds;

    // Zones: index 0 is the built-in internet.
    let mut zones = vec!["internet".to_string()];
    zones.extend(scope.topology.zones.iter().map(|z| z.id.clone()));
    let zone_idx = |name: &str| zones.iter().position(|z| z == name);
    let flows: Vec<Flow> = scope
        .topology
        .flows
        .iter()
        .filter_map(|f| {
            Some(Flow {
                from: zone_idx(&f.from)?,
                to: zone_idx(&f.to)?,
                ports: f.ports.clone(),
                except: f.except.clone(),
                label: f.description.clone().unwrap_or_default(),
            })
        })
        .collect();
    let assumed_breach: Vec<usize> = scope
        .topology
        .assumed_breach
        .iter()
        .filter_map(|z| zone_idx(z))
        .collect();

    let mut asset_index: HashMap<String, usize> = HashMap::new();
    let mut assets = Vec::new();
    let mut asset_ids: Vec<ctem_model::AssetIdentity> = Vec::new();
    let mut facts = Vec::with_capacity(rows.len());
    let mut nodes = Vec::with_capacity(rows.len());
    for r in &rows {
        let e = &r.exposure;
        let id = &r.asset.identity;
        let zone = scope.topology.zone_of(id).map(|z| z.id.clone());
        let ai = *asset_index.entry(r.asset.id.clone()).or_insert_with(|| {
            assets.push(AssetNode {
                name: r.asset.name.clone(),
                zone: zone.as_deref().and_then(zone_idx),
            });
            asset_ids.push(id.clone());
            assets.len() - 1
        });
        let service = scope
            .services_for(id)
            .into_iter()
            .next()
            .map(|s| ServiceFact {
                id: s.service.id.clone(),
                name: s.service.name.clone(),
                crown_jewel: s.service.crown_jewel,
                criticality: s.service.criticality,
                regulated_data: !s.service.regulated_data.is_empty(),
            });
        let cve = e.weakness.cve().map(str::to_ascii_uppercase);
        let kev_fact = cve
            .as_ref()
            .and_then(|c| kev.get(c))
            .zip(kev_snap.as_ref())
            .map(|(k, s)| KevFact {
                date_added: k.date_added,
                ransomware: k.ransomware,
                due_date: k.due_date,
                catalog: s.version.clone(),
                catalog_date: s.data_date,
            });
        let epss_fact = cve
            .as_ref()
            .and_then(|c| epss.get(c))
            .zip(epss_snap.as_ref())
            .map(|(&(score, pct), s)| EpssFact {
                score,
                percentile: pct,
                model: s.version.clone(),
                score_date: s.data_date,
            });
        // A finding's own vector wins over a bare number, which wins over
        // the reported severity.
        let scored = e
            .cvss_vector
            .as_deref()
            .and_then(|v| ctem_intel::score(v).ok());
        let (cvss, vector) = match (&scored, e.cvss_score) {
            (Some(s), _) => (
                Some(CvssFact {
                    base: s.base,
                    vector: Some(s.vector.clone()),
                    source: format!(
                        "CVSS v{} vector from {}",
                        s.version.as_str(),
                        e.sources.join(", ")
                    ),
                    traits: Some(vector_traits(s)),
                }),
                vector_of(s.attack_vector),
            ),
            (None, Some(n)) => (
                Some(CvssFact {
                    base: n,
                    vector: None,
                    source: format!("score reported by {}", e.sources.join(", ")),
                    traits: None,
                }),
                Vector::Unknown,
            ),
            (None, None) => (
                Some(CvssFact {
                    base: match e.severity {
                        ctem_model::Severity::Critical => 9.0,
                        ctem_model::Severity::High => 7.0,
                        ctem_model::Severity::Medium => 4.0,
                        ctem_model::Severity::Low => 0.1,
                        ctem_model::Severity::Info => 0.0,
                    },
                    vector: None,
                    source: format!(
                        "lower bound of severity `{}` reported by {}",
                        e.severity,
                        e.sources.join(", ")
                    ),
                    traits: None,
                }),
                Vector::Unknown,
            ),
        };
        let av_name = match vector {
            Vector::Network => Some("network"),
            Vector::Adjacent => Some("adjacent"),
            Vector::Local => Some("local"),
            Vector::Physical => Some("physical"),
            Vector::Unknown => None,
        };
        let mitigated_by: Vec<String> = scope
            .controls_for(id)
            .into_iter()
            .filter(|c| {
                // Every list the control gives must match (one entry of it).
                let m = &c.mitigates;
                let av = m.attack_vectors.is_empty()
                    || av_name.is_some_and(|a| m.attack_vectors.iter().any(|x| x == a));
                let cwe = m.cwes.is_empty()
                    || e.weakness
                        .cwes
                        .iter()
                        .any(|w| m.cwes.contains(&w.to_ascii_uppercase()));
                let ids = m.weaknesses.is_empty()
                    || m.weaknesses.contains(&e.weakness.id.to_ascii_uppercase())
                    || e.weakness
                        .aliases
                        .iter()
                        .any(|a| m.weaknesses.contains(&a.to_ascii_uppercase()));
                let kinds = m.weakness_kinds.is_empty()
                    || m.weakness_kinds
                        .iter()
                        .any(|k| k == e.weakness.kind.as_str());
                av && cwe && ids && kinds
            })
            .map(|c| format!("{} ({})", c.id, c.kind))
            .collect();
        let validation = validations.get(&e.id).map(|v| ValidationFact {
            state: v.state,
            tool: v.tool.clone(),
            method: v.method.clone(),
            control: v.control.clone(),
            reason: v.reason.clone(),
            at: v.validated_at,
        });
        let f = Facts {
            weakness_id: e.weakness.id.clone(),
            weakness_kind: e.weakness.kind,
            severity: e.severity,
            service,
            kev: kev_fact,
            kev_loaded: kev_snap.as_ref().map(|s| s.version.clone()),
            epss: epss_fact,
            epss_loaded: epss_snap.as_ref().map(|s| s.version.clone()),
            cvss,
            reachable: None,
            internet_facing: false,
            zone,
            validation,
            mitigated_by,
        };
        let exploitable = (f.holds(ctem_scope::predicate::Predicate::ExploitableIntel, &th)
            || f.holds(ctem_scope::predicate::Predicate::Validated, &th))
            && !f.holds(ctem_scope::predicate::Predicate::Refuted, &th);
        // How likely exploitation succeeds, for the most likely paths:
        // validated 1.0, KEV 0.9, else the EPSS score.
        let likelihood = if f.holds(ctem_scope::predicate::Predicate::Validated, &th) {
            1.0
        } else if f.kev.is_some() {
            0.9
        } else {
            f.epss.as_ref().map(|e| e.score as f32).unwrap_or(0.5)
        };
        nodes.push(ExposureNode {
            asset: ai,
            port: e.port,
            vector,
            exploitable,
            likelihood,
            weakness: e.weakness.id.clone(),
        });
        facts.push(f);
    }
    let internet_zone = zones.iter().position(|z| z == "internet");
    let internet_facing_zones: Vec<bool> = (0..zones.len())
        .map(|z| {
            flows
                .iter()
                .any(|f| Some(f.from) == internet_zone && f.to == z)
        })
        .collect();
    let mut estate = Estate {
        zones,
        flows,
        assumed_breach,
        assets,
        exposures: nodes,
        ..Default::default()
    };
    crate::attack::complete_estate(store, scope, &mut estate, &asset_ids)?;
    let analysis = ctem_graph::analyse(&estate, crate::attack::TOP_CHOKES);
    let attack = crate::attack::Attack {
        exposure_ids: rows.iter().map(|r| r.exposure.id.clone()).collect(),
        analysis,
        estate,
    };
    let mut blast_cache = HashMap::new();
    let mut budget = crate::attack::blast_budget();
    for (i, f) in facts.iter_mut().enumerate() {
        f.reachable = crate::attack::explain_reach(&attack, i, &mut blast_cache, &mut budget);
        let asset = attack.estate.exposures[i].asset;
        f.internet_facing = attack.estate.assets[asset]
            .zone
            .is_some_and(|z| internet_facing_zones.get(z).copied().unwrap_or(false));
    }
    Ok(Assessment {
        rows,
        facts,
        kev: kev_snap,
        epss: epss_snap,
        attack,
    })
}

/// What prioritisation changed.
#[derive(Debug, Clone, Serialize)]
pub struct PrioritiseOutcome {
    pub exposures: usize,
    pub tiers: Vec<(String, usize)>,
    pub changes: Vec<DecisionChange>,
    pub policy_version: String,
    /// The policy differs from the last run's: what changed.
    pub policy_change: Option<crate::changes::PolicyChange>,
    pub seconds: f64,
    /// Where the time went: reading the facts (`assess`: exposures, scope,
    /// feeds, validations, attack graph), deciding (policy, SLA,
    /// explanations, owners) and storing the decisions with their audit.
    pub phase_seconds: PrioritisePhases,
}

/// Seconds per phase of a prioritisation.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PrioritisePhases {
    pub assess: f64,
    pub decide: f64,
    pub store: f64,
}

/// Prioritises every active exposure and mobilises it: tier, score,
/// explanation, owner, SLA and due date. Stores the decisions and audits
/// every change.
pub fn prioritise(store: &mut Store, scope: &Scope, actor: &str) -> Result<PrioritiseOutcome> {
    // Read facts, decide and write decisions as one unit against other
    // processes sharing a PostgreSQL database (two `ctem serve`).
    store.exclusive(|store| prioritise_exclusive(store, scope, actor))
}

fn prioritise_exclusive(
    store: &mut Store,
    scope: &Scope,
    actor: &str,
) -> Result<PrioritiseOutcome> {
    let started = Instant::now();
    let now = ctem_model::now();
    // Expired risk acceptances reopen their exposures first, so they are
    // prioritised now with a new SLA clock.
    crate::mobilisation::expire_acceptances(store, actor)?;
    let policy_change = crate::changes::track_policy(store, scope, actor, now)?;
    let a = assess(store, scope)?;
    let assessed = Instant::now();
    // The previous tiers from their columns; a previous explanation is read
    // only for an exposure whose tier changes (to say why).
    let previous = store.decision_heads()?;
    let mut reasons = HashMap::new();
    let th = scope.thresholds;
    let snapshots: Vec<i64> = a.kev.iter().chain(a.epss.iter()).map(|s| s.id).collect();
    // Tier, score, SLA rule and the full explanation of every exposure, on
    // every core; the explanation's repeated parts are shared, not copied.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let outcomes = ctem_prioritise::evaluate_all(&scope.policy, &th, &scope.sla, &a.facts, threads);
    let mut explainer = ctem_prioritise::Explainer::new(&scope.policy, &th, &scope.sla);
    let mut owners: HashMap<&str, Option<String>> = HashMap::new();
    let mut decisions = Vec::with_capacity(a.rows.len());
    let mut tiers: HashMap<Tier, usize> = HashMap::new();
    for ((r, f), o) in a
        .rows
        .iter()
        .zip(&a.facts)
        .zip(outcomes.into_iter().flatten())
    {
        let sla = o.sla.map(|i| &scope.sla[i]);
        let prev = previous.get(&r.exposure.id);
        let since = ctem_mobilise::tier_since(prev.map(|p| (p.tier, p.tier_since)), o.tier, now);
        if prev.is_some_and(|p| p.tier != o.tier)
            && let Some(p) = store.decision(&r.exposure.id)?
        {
            reasons.insert(
                r.exposure.id.clone(),
                change_reason(
                    &r.exposure.weakness.id,
                    &r.asset.name,
                    &p,
                    o.tier,
                    &o.factors,
                    policy_change.as_ref(),
                ),
            );
        }
        let owner = match &f.service {
            None => None,
            Some(s) => owners
                .entry(s.id.as_str())
                .or_insert_with(|| {
                    scope.service(&s.id).map(|s| match &s.owner.email {
                        Some(e) => format!("{} <{e}>", s.owner.name),
                        None => s.owner.name.clone(),
                    })
                })
                .clone(),
        };
        let path = explainer.with_sla(&o.policy_path, o.sla, since);
        *tiers.entry(o.tier).or_default() += 1;
        decisions.push(Decision {
            exposure_id: r.exposure.id.clone(),
            in_scope: f.service.is_some(),
            service_id: f.service.as_ref().map(|s| s.id.clone()),
            tier: o.tier,
            score: o.score,
            exploitable_intel: o.exploitable_intel,
            reachable: f.reachable.is_some(),
            validation: f
                .validation
                .as_ref()
                .map(|v| v.state)
                .unwrap_or(ValidationState::NotValidated),
            factors: o.factors,
            policy_path: path,
            policy_version: scope.policy.version.clone(),
            owner,
            sla_days: sla.map(|s| s.days),
            due: sla.map(|s| ctem_mobilise::due_date(since, s.days)),
            tier_since: since,
            decided_at: now,
            feed_snapshots: snapshots.clone(),
        });
    }
    let decided = Instant::now();
    let changes = store.save_decisions_over(&decisions, previous, &reasons, actor)?;
    let stored = Instant::now();
    Ok(PrioritiseOutcome {
        exposures: decisions.len(),
        tiers: Tier::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), tiers.get(t).copied().unwrap_or(0)))
            .collect(),
        changes,
        policy_version: scope.policy.version.clone(),
        policy_change,
        seconds: started.elapsed().as_secs_f64(),
        phase_seconds: PrioritisePhases {
            assess: (assessed - started).as_secs_f64(),
            decide: (decided - assessed).as_secs_f64(),
            store: (stored - decided).as_secs_f64(),
        },
    })
}

/// The stage labels of the funnel, in order.
pub const STAGES: [(&str, &str); 5] = [
    ("all", "All open exposures"),
    ("in_scope", "In scope"),
    ("exploitable", "KEV or EPSS above threshold"),
    ("reachable", "Reachable"),
    ("validated", "Validated exploitable"),
];

fn stage_of(d: &Decision) -> usize {
    if !d.in_scope {
        0
    } else if !d.exploitable_intel {
        1
    } else if !d.reachable {
        2
    } else if d.validation != ValidationState::Exploitable {
        3
    } else {
        4
    }
}

/// The funnel overall and per service, from the stored decisions.
pub fn funnel(scope: &Scope, decisions: &[Decision]) -> (Vec<Stage>, Vec<ServiceFunnel>) {
    let mut counts = [0usize; 5];
    let mut per: HashMap<&str, [usize; 5]> = HashMap::new();
    for d in decisions {
        let s = stage_of(d);
        for c in counts.iter_mut().take(s + 1) {
            *c += 1;
        }
        if let Some(svc) = &d.service_id {
            let p = per.entry(svc.as_str()).or_default();
            for c in p.iter_mut().take(s + 1) {
                *c += 1;
            }
        }
    }
    let stages = STAGES
        .iter()
        .zip(counts)
        .map(|((stage, label), count)| Stage {
            stage: stage.to_string(),
            label: label.to_string(),
            count,
        })
        .collect();
    let mut services: Vec<ServiceFunnel> = scope
        .services
        .iter()
        .map(|s| ServiceFunnel {
            service: s.service.id.clone(),
            name: s.service.name.clone(),
            crown_jewel: s.service.crown_jewel,
            owner: s.owner.name.clone(),
            counts: per.get(s.service.id.as_str()).copied().unwrap_or_default()[1..].to_vec(),
        })
        .collect();
    services.sort_by(|a, b| (b.crown_jewel, &b.counts).cmp(&(a.crown_jewel, &a.counts)));
    (stages, services)
}

/// One row of a list, from a decision and its exposure.
pub fn row(d: &Decision, r: &ExposureRow, scope: &Scope, now: i64) -> Row {
    let factor = |n: &str| d.factors.iter().find(|f| f.name == n);
    Row {
        exposure_id: d.exposure_id.clone(),
        asset: r.asset.name.clone(),
        weakness: r.exposure.weakness.id.clone(),
        title: r.exposure.title.clone(),
        tier: d.tier.as_str().to_string(),
        score: d.score,
        service: d.service_id.as_ref().map(|s| {
            scope
                .service(s)
                .map(|x| x.service.name.clone())
                .unwrap_or_else(|| s.clone())
        }),
        owner: d.owner.clone(),
        due: d.due.map(fmt_date),
        days_left: d.due.map(|due| ctem_mobilise::days_left(due, now)),
        sla: d.sla_days.map(|n| format!("{n} days")),
        path: factor("reachable")
            .and_then(|f| f.value.strip_prefix("yes: "))
            .map(str::to_string),
        validation: d.validation.as_str().to_string(),
        kev: factor("kev").is_some_and(|f| f.value.starts_with("yes")),
        epss: factor("epss").and_then(|f| f.value.split_whitespace().next()?.parse().ok()),
        rule: d
            .policy_path
            .iter()
            .rev()
            .find(|p| p.contains("→ matched") || p.starts_with("no rule matched"))
            .map(|p| p.to_string())
            .unwrap_or_default(),
        factors: d
            .factors
            .iter()
            .map(|f| {
                (
                    f.name.to_string(),
                    f.value.to_string(),
                    match &f.as_of {
                        Some(d) => format!("{} ({d})", f.source),
                        None => f.source.to_string(),
                    },
                )
            })
            .collect(),
    }
}

/// Everything a report shows, from the store's current state.
pub fn report_data(store: &Store, scope: &Scope) -> Result<ReportData> {
    let now = ctem_model::now();
    let decisions = store.decisions()?;
    let rows: HashMap<String, ExposureRow> = store
        .exposures(true)?
        .into_iter()
        .map(|r| (r.exposure.id.clone(), r))
        .collect();
    let (stages, services) = funnel(scope, &decisions);
    let mut tiers: HashMap<Tier, usize> = HashMap::new();
    let mut final_list = Vec::new();
    let mut queue = Vec::new();
    let mut action_inputs = Vec::new();
    for d in &decisions {
        let Some(r) = rows.get(&d.exposure_id) else {
            continue;
        };
        *tiers.entry(d.tier).or_default() += 1;
        if stage_of(d) == 4 {
            final_list.push(row(d, r, scope, now));
        }
        if d.tier <= Tier::P2 && queue.len() < 50 {
            queue.push(row(d, r, scope, now));
        }
        if d.in_scope && d.tier <= Tier::P3 {
            action_inputs.push(ctem_mobilise::ActionInput {
                exposure_id: &d.exposure_id,
                asset: &r.asset.name,
                weakness_id: &r.exposure.weakness.id,
                weakness_kind: r.exposure.weakness.kind,
                title: &r.exposure.title,
                component: r.exposure.component.as_ref(),
                tier: d.tier,
                owner: d.owner.as_deref(),
                due: d.due,
            });
        }
    }
    let actions = ctem_mobilise::group_actions(&action_inputs)
        .into_iter()
        .take(15)
        .map(|a| Action {
            id: a.id,
            title: a.title,
            tier: a.tier.as_str().to_string(),
            owner: a.owner,
            due: a.due.map(fmt_date),
            exposures: a.exposures.len(),
            assets: a.assets,
        })
        .collect();
    let mut feeds = Vec::new();
    let mut warnings = Vec::new();
    for name in ["kev", "epss"] {
        match store.latest_feed(name)? {
            Some(s) => {
                let age = (now - s.data_date).div_euclid(DAY);
                let stale = age > i64::from(scope.thresholds.feed_max_age_days);
                if stale {
                    warnings.push(format!(
                        "the {} snapshot is {age} days old (data of {}), older than thresholds.feed_max_age_days = {}: run `ctem feeds update`",
                        name.to_uppercase(),
                        fmt_date(s.data_date),
                        scope.thresholds.feed_max_age_days
                    ));
                }
                feeds.push(FeedInfo {
                    feed: if name == "kev" { "CISA KEV".into() } else { "FIRST EPSS".into() },
                    version: s.version,
                    date: fmt_date(s.data_date),
                    age_days: age,
                    stale,
                });
            }
            None => warnings.push(format!(
                "no {} feed is loaded: exploitability is unknown; run `ctem feeds update --from FILE`",
                name.to_uppercase()
            )),
        }
    }
    let findings_imported = store
        .imports()?
        .iter()
        .map(|i| i.findings.max(0) as u64)
        .sum();
    Ok(ReportData {
        schema_version: ctem_report::SCHEMA_VERSION.into(),
        organisation: scope.organisation.clone(),
        generated_at: fmt_time(now),
        policy_version: scope.policy.version.clone(),
        findings_imported,
        assets: store.asset_count()?,
        funnel: stages,
        services,
        tiers: Tier::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), tiers.get(t).copied().unwrap_or(0)))
            .collect(),
        final_list,
        queue,
        actions,
        feeds,
        warnings,
        attack: Some(crate::attack::report_section(&assess(store, scope)?.attack)),
    })
}
