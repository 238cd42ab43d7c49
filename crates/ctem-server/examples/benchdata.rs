//! Builds a benchmark workspace with millions of exposures for
//! `docs/performance.md`: the demo estate (scope, feeds, red-team results)
//! ingested normally, then N more exposures added through the store's
//! import transaction, each a copy of a real demo exposure at a new location
//! (so tiers, paths and owners follow the same distribution), then
//! prioritised by the engine. No scanner is run and nothing leaves the
//! machine.
//!
//! ```text
//! cargo run --release -p ctem-server --example benchdata -- DIR 1000000
//! cargo run --release -p ctem-server --example benchdata -- DIR 1000000 \
//!     --database 'postgres://postgres@127.0.0.1:5432/test?schema=bench'
//! ```
//!
//! `--database URL` (or `CTEM_DATABASE`) puts the store in PostgreSQL, as
//! `ctem --database` does; serve it with `ctem serve --database URL`.

use ctem_model::Finding;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const USAGE: &str = "usage: benchdata DIR N [--database URL]";
    let mut database = std::env::var("CTEM_DATABASE").ok();
    let mut pos = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--database" {
            database = Some(args.next().ok_or(USAGE)?);
        } else if let Some(d) = a.strip_prefix("--database=") {
            database = Some(d.to_string());
        } else {
            pos.push(a);
        }
    }
    let [dir, n] = <[String; 2]>::try_from(pos).map_err(|_| USAGE)?;
    let dir = PathBuf::from(dir);
    let n: usize = n.parse()?;
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("input");
    let m = ctem_demo::generate(&ctem_demo::DemoOptions::default(), &input)?;
    std::fs::copy(&m.scope, dir.join("ctem.toml"))?;
    let ws = ctem_engine::Workspace::new(&dir).with_database(database);
    eprintln!("store: {}", ws.db_display());
    let scope = ws.load_scope()?;
    let mut store = ws.open_store()?;
    let t = Instant::now();
    for r in &m.reports {
        ctem_engine::ingest_file(&mut store, r, "bench", ctem_engine::Progress::None)?;
    }
    ctem_engine::load_feed(&mut store, &m.kev, "bench")?;
    ctem_engine::load_feed(&mut store, &m.epss, "bench")?;
    for v in &m.validations {
        ctem_engine::import_validations(&mut store, v, "red team", "red_team", "bench")?;
    }
    let base = store.exposures(true)?;
    eprintln!(
        "demo estate: {} exposures in {:.1} s",
        base.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let mut tx = store.begin_import(ctem_store::ImportMeta {
        tool: "bench".into(),
        format: "synthetic".into(),
        file: "benchdata".into(),
        sha256: format!("benchdata-{n}"),
        actor: "bench".into(),
        at: ctem_model::now(),
    })?;
    for i in 0..n {
        let r = &base[i % base.len()];
        let e = &r.exposure;
        tx.add(&Finding {
            tool: e.sources.first().cloned().unwrap_or_else(|| "bench".into()),
            asset: r.asset.identity.clone(),
            weakness: e.weakness.clone(),
            component: e.component.clone(),
            title: e.title.clone(),
            severity: e.severity,
            cvss_vector: e.cvss_vector.clone(),
            cvss_score: e.cvss_score,
            port: e.port,
            protocol: None,
            location: Some(format!("{}#bench-{i}", e.location.as_deref().unwrap_or(""))),
            rule_id: None,
            description: None,
        })?;
        if (i + 1) % 200_000 == 0 {
            eprintln!("{} findings added", i + 1);
        }
    }
    tx.commit()?;
    eprintln!(
        "{n} synthetic exposures in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let o = ctem_engine::prioritise(&mut store, &scope, "bench")?;
    eprintln!(
        "prioritised {} exposures in {:.1} s: {:?}",
        o.exposures,
        t.elapsed().as_secs_f64(),
        o.tiers
    );
    Ok(())
}
