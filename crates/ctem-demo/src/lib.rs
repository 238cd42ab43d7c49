//! Deterministic generator of a realistic demo estate, modelled on a
//! regulated European insurer, "Atlantica Seguros".
//!
//! [`generate`] writes, under a directory:
//!
//! ```text
//! ctem.toml                                   the scope (services, topology, controls, SLA)
//! reports/nessus/<scan>.nessus                Nessus v2, one file per scan
//! reports/trivy/<image>.json                  Trivy JSON, one file per container image
//! reports/trivy/vm-<host>.json                Trivy VM scans duplicating some Nessus findings
//! reports/sarif/<owner>_<repo>.sarif          SARIF 2.1.0: CodeQL or Semgrep, plus Trivy dependencies
//! intel/known_exploited_vulnerabilities.json  CISA KEV (JSON feed)
//! intel/epss_scores-YYYY-MM-DD.csv            FIRST EPSS daily file
//! validation/red-team-exercise.json           red-team results (ctem-validation/1)
//! ```
//!
//! Every file is in the real tool's format. The same seed and options give
//! byte-identical files: randomness comes from a built-in SplitMix64 (see
//! `rng.rs`), dates from [`DemoOptions::now`], never from the clock.
//!
//! The estate is shaped so that ctem's funnel tells a story (see `estate.rs`
//! and [`Funnel`]): with the default 1,400 findings about 320 are on assets
//! in scope, about 47 of those have exploitation intel (KEV or EPSS ≥ 0.5),
//! 12 are reachable by an attacker from the internet or the corporate LAN,
//! and the red team confirmed 8.
//!
//! [`write_trivy_report`], [`write_sarif_report`] and [`write_nessus_report`]
//! stream one large single-file report of exactly `n` findings, for
//! benchmarks; memory use does not grow with `n`.

#![forbid(unsafe_code)]

mod catalog;
mod dates;
mod estate;
mod intel;
mod nessus;
mod rng;
mod sarif;
mod scope_toml;
mod trivy;
mod util;
mod validation;

pub use estate::Funnel;

use estate::{Asset, Host, HostItem, Image, Ledger, Repo, SEGMENTS, Scan, SegmentGen, Zone};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// 2025-09-01T09:00:00Z, the default "today" of the estate.
pub const DEFAULT_NOW: i64 = 1_756_717_200;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub seed: u64,
    /// Findings to write across all reports (default 1,400). The hand-written
    /// core of the estate (75 findings) is always written, so smaller
    /// values give the core alone.
    pub findings: usize,
    /// The "today" of the estate, Unix seconds: scan times, the KEV release
    /// and the EPSS score date derive from it. KEV entries added after this
    /// day are left out. The CVE catalogue is as of 2025; use a date from
    /// 2025 on for the designed funnel.
    pub now: i64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 20_250_901,
            findings: 1_400,
            now: DEFAULT_NOW,
        }
    }
}

/// How many of each kind of thing the estate has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    pub hosts: usize,
    pub images: usize,
    pub repositories: usize,
    pub nessus_findings: usize,
    pub trivy_findings: usize,
    pub sarif_findings: usize,
    /// Findings that repeat another tool's finding on the same host and CVE
    /// (Trivy VM scans of hosts Nessus also scanned).
    pub duplicate_findings: usize,
    pub kev_entries: usize,
    pub epss_rows: usize,
    pub validation_results: usize,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoManifest {
    pub scope: PathBuf,
    pub reports: Vec<PathBuf>,
    pub kev: PathBuf,
    pub epss: PathBuf,
    pub validations: Vec<PathBuf>,
    pub findings_written: usize,
    pub assets: usize,
    /// The funnel the data was designed to produce (recomputed from what was
    /// written with the reachability rules of `docs/scope.md`).
    pub expected: Funnel,
    pub shape: Shape,
}

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(1 << 16, File::create(path)?))
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Everything the generation loop keeps while it streams.
struct Run<'a> {
    dir: &'a Path,
    now: i64,
    nessus: Vec<(Scan, nessus::NessusWriter<BufWriter<File>>)>,
    reports: Vec<PathBuf>,
    ledger: Ledger,
    shape: Shape,
    next_asset: u32,
    /// (asset identifier, CVE) the red team confirmed exploitable.
    validated: HashSet<(String, String)>,
}

impl Run<'_> {
    fn host(&mut self, h: &Host) -> io::Result<()> {
        let id = self.next_asset;
        self.next_asset += 1;
        self.shape.hosts += 1;
        let start = self.now - self.now.rem_euclid(dates::DAY) - dates::DAY
            + 19 * 3600
            + i64::from(id % 20_000) * 7 % 14_400;
        if let Some((_, w)) = self.nessus.iter_mut().find(|(s, _)| *s == h.scan) {
            w.host(h, start)?;
        }
        let names: Vec<String> = [Some(&h.short), h.fqdn.as_ref(), Some(&h.ip)]
            .into_iter()
            .flatten()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        for item in &h.items {
            self.shape.nessus_findings += 1;
            let (intel, network, validated) = match item {
                HostItem::Cve { cve, .. } => (
                    cve.exploitable_intel(),
                    cve.network(),
                    names
                        .iter()
                        .any(|n| self.validated.contains(&(n.clone(), cve.id.to_string()))),
                ),
                HostItem::Plugin { .. } => (false, false, false),
            };
            self.ledger.add(
                id,
                h.zone,
                h.service.is_some(),
                item.port(),
                intel,
                network,
                validated,
            );
        }
        if h.trivy_vm {
            let name = h.fqdn.clone().unwrap_or_else(|| h.short.clone());
            let path = self
                .dir
                .join("reports/trivy")
                .join(format!("vm-{}.json", slug(&name)));
            let mut out = create(&path)?;
            trivy::write_vm(h, self.now - 5 * 3600, &mut out)?;
            out.flush()?;
            self.reports.push(path);
            for c in h.vm_packages() {
                self.shape.trivy_findings += 1;
                self.shape.duplicate_findings += 1;
                self.ledger.add(
                    id,
                    h.zone,
                    h.service.is_some(),
                    None,
                    c.exploitable_intel(),
                    c.network(),
                    false,
                );
            }
        }
        Ok(())
    }

    fn image(&mut self, img: &Image) -> io::Result<()> {
        let id = self.next_asset;
        self.next_asset += 1;
        self.shape.images += 1;
        let path = self.dir.join("reports/trivy").join(format!(
            "{}_{}.json",
            slug(&img.name),
            slug(&img.tag)
        ));
        let mut out = create(&path)?;
        trivy::write_image(img, self.now - 8 * 3600 + i64::from(id % 3600), &mut out)?;
        out.flush()?;
        self.reports.push(path);
        let name = img.name.to_ascii_lowercase();
        for c in &img.vulns {
            self.shape.trivy_findings += 1;
            let validated = self.validated.contains(&(name.clone(), c.id.to_string()));
            self.ledger.add(
                id,
                img.zone,
                img.service.is_some(),
                None,
                c.exploitable_intel(),
                c.network(),
                validated,
            );
        }
        Ok(())
    }

    fn repo(&mut self, r: &Repo) -> io::Result<()> {
        let id = self.next_asset;
        self.next_asset += 1;
        self.shape.repositories += 1;
        let owner_repo = r.url.trim_start_matches("https://github.com/");
        let path = self
            .dir
            .join("reports/sarif")
            .join(format!("{}.sarif", slug(owner_repo)));
        let mut out = create(&path)?;
        sarif::write_repo(r, self.now - 30 * 3600 + i64::from(id % 3600), &mut out)?;
        out.flush()?;
        self.reports.push(path);
        for _ in &r.code {
            self.shape.sarif_findings += 1;
            self.ledger
                .add(id, None, r.service.is_some(), None, false, false, false);
        }
        for c in &r.deps {
            self.shape.sarif_findings += 1;
            self.ledger.add(
                id,
                None,
                r.service.is_some(),
                None,
                c.exploitable_intel(),
                c.network(),
                false,
            );
        }
        Ok(())
    }
}

/// Writes the whole demo estate under `dir` (created if missing).
pub fn generate(opts: &DemoOptions, dir: &Path) -> io::Result<DemoManifest> {
    for sub in [
        "reports/nessus",
        "reports/trivy",
        "reports/sarif",
        "intel",
        "validation",
    ] {
        fs::create_dir_all(dir.join(sub))?;
    }
    let scope = dir.join("ctem.toml");
    fs::write(&scope, scope_toml::SCOPE)?;

    let core = estate::core();
    let validated: HashSet<(String, String)> = core
        .validations
        .iter()
        .filter(|v| v.result == "exploitable")
        .map(|v| (v.asset.to_ascii_lowercase(), v.weakness.to_string()))
        .collect();

    let mut nessus = Vec::new();
    let mut reports = Vec::new();
    let today = dates::date(opts.now);
    for scan in Scan::ALL {
        let path = dir
            .join("reports/nessus")
            .join(format!("{}.nessus", scan.file()));
        let w = nessus::NessusWriter::begin(
            create(&path)?,
            &format!("{} {}", scan.file(), today),
            scan.policy(),
            scan.targets(),
        )?;
        nessus.push((scan, w));
        reports.push(path);
    }
    let mut run = Run {
        dir,
        now: opts.now,
        nessus,
        reports,
        ledger: Ledger::default(),
        shape: Shape::default(),
        next_asset: 0,
        validated,
    };

    let core_findings: usize = core
        .hosts
        .iter()
        .map(|h| Asset::Host(h.clone()).findings())
        .chain(core.images.iter().map(|i| i.vulns.len()))
        .sum();
    for h in &core.hosts {
        run.host(h)?;
    }
    for i in &core.images {
        run.image(i)?;
    }

    let bulk = opts.findings.saturating_sub(core_findings);
    for (seg, quota) in SEGMENTS.iter().zip(estate::quotas(bulk)) {
        let mut g = SegmentGen::new(opts.seed, seg, quota);
        while let Some(asset) = g.next_asset() {
            match &asset {
                Asset::Host(h) => run.host(h)?,
                Asset::Image(i) => run.image(i)?,
                Asset::Repo(r) => run.repo(r)?,
            }
        }
    }
    for (_, w) in run.nessus.drain(..) {
        w.finish()?;
    }

    let kev = dir.join("intel/known_exploited_vulnerabilities.json");
    let mut out = create(&kev)?;
    run.shape.kev_entries = intel::write_kev(opts.now, &mut out)?;
    out.flush()?;
    let epss = dir.join(format!("intel/epss_scores-{today}.csv"));
    let mut out = create(&epss)?;
    run.shape.epss_rows = intel::write_epss(opts.now, &mut out)?;
    out.flush()?;
    let val = dir.join("validation/red-team-exercise.json");
    let mut out = create(&val)?;
    validation::write(opts.now, &core.validations, &mut out)?;
    out.flush()?;
    run.shape.validation_results = core.validations.len();

    let expected = run.ledger.funnel();
    let shape = run.shape;
    Ok(DemoManifest {
        scope,
        reports: run.reports,
        kev,
        epss,
        validations: vec![val],
        findings_written: run.ledger.findings,
        assets: shape.hosts + shape.images + shape.repositories,
        expected,
        shape,
    })
}

/// Streams one Trivy JSON report (a single container image) with exactly
/// `n` vulnerabilities.
pub fn write_trivy_report(seed: u64, n: usize, out: &mut impl Write) -> io::Result<()> {
    trivy::write_big(seed, n, out)
}

/// Streams one SARIF 2.1.0 log with exactly `n` results (code scanning and
/// dependency scanning runs).
pub fn write_sarif_report(seed: u64, n: usize, out: &mut impl Write) -> io::Result<()> {
    sarif::write_big(seed, n, out)
}

/// Streams one Nessus v2 report with exactly `n` report items over about
/// `n / 8` hosts.
pub fn write_nessus_report(seed: u64, n: usize, out: &mut impl Write) -> io::Result<()> {
    nessus::write_big(seed, n, out)
}

#[doc(hidden)]
pub mod internals {
    //! Ground-truth accessors for this crate's tests; not a stable API.

    pub(crate) fn zone_id(z: Option<super::Zone>) -> Option<&'static str> {
        use super::Zone::*;
        z.map(|z| match z {
            Internet => "internet",
            Dmz => "dmz",
            App => "app",
            Data => "data",
            CorpLan => "corp-lan",
            Mgmt => "mgmt",
            K8s => "k8s",
        })
    }

    /// One asset of the estate as the generator placed it.
    #[derive(Debug, Clone)]
    pub struct AssetInfo {
        pub kind: &'static str,
        pub short: Option<String>,
        pub fqdn: Option<String>,
        pub ip: Option<String>,
        pub image: Option<String>,
        pub repository: Option<String>,
        pub zone: Option<&'static str>,
        pub service: Option<&'static str>,
    }

    /// Every asset `generate` would write for these options, without writing.
    pub fn assets(opts: &crate::DemoOptions) -> Vec<AssetInfo> {
        use crate::estate::{self, Asset, SEGMENTS, SegmentGen};
        let core = estate::core();
        let mut all: Vec<Asset> = core.hosts.into_iter().map(Asset::Host).collect();
        all.extend(core.images.into_iter().map(Asset::Image));
        let core_findings: usize = all.iter().map(Asset::findings).sum();
        let bulk = opts.findings.saturating_sub(core_findings);
        for (seg, quota) in SEGMENTS.iter().zip(estate::quotas(bulk)) {
            let mut g = SegmentGen::new(opts.seed, seg, quota);
            while let Some(a) = g.next_asset() {
                all.push(a);
            }
        }
        all.into_iter()
            .map(|a| match a {
                Asset::Host(h) => AssetInfo {
                    kind: "host",
                    short: Some(h.short),
                    fqdn: h.fqdn,
                    ip: Some(h.ip),
                    image: None,
                    repository: None,
                    zone: zone_id(h.zone),
                    service: h.service,
                },
                Asset::Image(i) => AssetInfo {
                    kind: "container_image",
                    short: None,
                    fqdn: None,
                    ip: None,
                    image: Some(i.name),
                    repository: None,
                    zone: zone_id(i.zone),
                    service: i.service,
                },
                Asset::Repo(r) => AssetInfo {
                    kind: "code_repository",
                    short: None,
                    fqdn: None,
                    ip: None,
                    image: None,
                    repository: Some(r.url),
                    zone: None,
                    service: r.service,
                },
            })
            .collect()
    }

    /// The flows the ledger uses, as (from, to, ports).
    pub fn flows() -> Vec<(&'static str, &'static str, Vec<u16>)> {
        crate::estate::FLOWS
            .iter()
            .map(|(f, t, p)| {
                (
                    zone_id(Some(*f)).unwrap_or(""),
                    zone_id(Some(*t)).unwrap_or(""),
                    p.to_vec(),
                )
            })
            .collect()
    }
}
