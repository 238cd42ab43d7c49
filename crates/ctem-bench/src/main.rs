//! `ctem-bench`: the import benchmark of `docs/performance.md`.
//!
//! It generates Trivy JSON, SARIF 2.1.0 and Nessus v2 reports with the demo
//! generator's streaming writers (10k, 100k and 1M findings by default) and,
//! for each report, measures in a fresh child process:
//!
//! - **parse**: the parser alone (`ctem parse` without printing): MB/s and
//!   findings/s;
//! - **import**: `ctem ingest` into a fresh SQLite workspace, end to end
//!   (hashing, parsing, identity resolution, fingerprints, diff, commit);
//! - **re-import**: the same, unchanged report into the same workspace.
//!
//! Each measurement runs in its own child process (this binary re-executed
//! as `ctem-bench child ...`), which reports its own peak resident set
//! (`VmHWM` from `/proc/self/status`), so one measurement's allocations never
//! inflate another's figure.
//!
//! `--dojo DIR` also runs the files `../shared/bench/gen_reports.py` writes
//! (`trivy_N.json`, `sarif_N.sarif`, `nessus_N.nessus`), the very files
//! DefectDojo was timed on, and prints ctem's figures beside DefectDojo's as
//! ratios.
//!
//! Build it in release mode: `cargo run --release -p ctem-bench -- --help`.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const USAGE: &str = "\
usage: ctem-bench [--dir DIR] [--sizes N,N,...] [--formats trivy,sarif,nessus]
                  [--dojo DIR] [--json FILE] [--keep]

  --dir DIR      where reports are generated and workspaces created
                 (default: ./ctem-bench-data); existing reports are reused
  --sizes        findings per report (default 10000,100000,1000000)
  --formats      which generated formats to run (default trivy,sarif,nessus)
  --dojo DIR     also run the files gen_reports.py wrote into DIR and compare
                 with DefectDojo's figures (../shared/bench/README.md)
  --json FILE    also write every figure as JSON
  --keep         keep the workspaces (default: removed after each report)";

/// What one child measurement reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Measure {
    /// Wall-clock seconds of the measured work.
    seconds: f64,
    /// CPU seconds (user + system) of the whole child: on a shared machine
    /// this is the steadier figure.
    cpu_seconds: f64,
    bytes: u64,
    findings: u64,
    exposures: u64,
    new: u64,
    unchanged: u64,
    resolved: u64,
    /// Peak resident set of the child, KiB (`VmHWM`); 0 where unknown.
    peak_rss_kib: u64,
}

/// The three measurements of one report.
#[derive(Debug, Clone, Serialize)]
struct Case {
    file: String,
    format: String,
    bytes: u64,
    parse: Measure,
    import: Measure,
    reimport: Measure,
}

/// DefectDojo 3.2.0 on the gen_reports.py files (../shared/bench/README.md):
/// (file, parse-only seconds, peak RSS MB).
const DOJO_PARSE: &[(&str, f64, f64)] = &[
    ("trivy_10000.json", 1.68, 265.0),
    ("sarif_10000.sarif", 1.81, 220.0),
    ("nessus_10000.nessus", 1.91, 273.0),
    ("trivy_100000.json", 20.2, 1372.0),
    ("sarif_100000.sarif", 20.3, 933.0),
    ("nessus_100000.nessus", 19.6, 1436.0),
];
/// DefectDojo's import-scan API on trivy_10000.json: 58–84 s (plus 24–33 s
/// of search indexing); re-import of the same file: 100 s.
const DOJO_IMPORT_TRIVY_10K: (f64, f64) = (58.0, 84.0);
const DOJO_REIMPORT_TRIVY_10K: f64 = 100.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("child") {
        child(&args[1..])
    } else {
        parent(&args)
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------- the child

fn child(args: &[String]) -> Result<(), String> {
    let m = match args {
        [what, file] if what == "parse" => child_parse(Path::new(file))?,
        [what, db, file] if what == "import" => child_import(Path::new(db), Path::new(file))?,
        _ => return Err(format!("bad child arguments: {args:?}")),
    };
    let line = serde_json::to_string(&m).map_err(|e| e.to_string())?;
    println!("{line}");
    Ok(())
}

fn child_parse(file: &Path) -> Result<Measure, String> {
    let bytes = file_size(file)?;
    let started = Instant::now();
    let mut n = 0u64;
    let s = ctem_ingest::parse_path(file, &mut |f| {
        // Touch the finding so the optimiser cannot drop the work.
        n += u64::from(!f.weakness.id.is_empty());
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    if n != s.findings {
        return Err(format!("{} findings have no weakness id", s.findings - n));
    }
    Ok(Measure {
        seconds,
        bytes,
        findings: s.findings,
        peak_rss_kib: peak_rss_kib(),
        cpu_seconds: cpu_seconds(),
        ..Measure::default()
    })
}

fn child_import(db: &Path, file: &Path) -> Result<Measure, String> {
    let bytes = file_size(file)?;
    let mut store = ctem_store::Store::open(db).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let r = ctem_engine::ingest_file(&mut store, file, "bench", ctem_engine::Progress::None)
        .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    drop(store);
    let s = r.summary;
    Ok(Measure {
        seconds,
        bytes,
        findings: s.findings,
        exposures: s.exposures,
        new: s.new,
        unchanged: s.unchanged,
        resolved: s.resolved,
        peak_rss_kib: peak_rss_kib(),
        cpu_seconds: cpu_seconds(),
    })
}

fn file_size(file: &Path) -> Result<u64, String> {
    std::fs::metadata(file)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`,
/// in USER_HZ = 100 ticks a second); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (tick(11) + tick(12)) as f64 / 100.0
}

/// `VmHWM` of this process, KiB (Linux); 0 elsewhere.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------- the parent

struct Opts {
    dir: PathBuf,
    sizes: Vec<usize>,
    formats: Vec<String>,
    dojo: Option<PathBuf>,
    json: Option<PathBuf>,
    keep: bool,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        dir: PathBuf::from("ctem-bench-data"),
        sizes: vec![10_000, 100_000, 1_000_000],
        formats: vec!["trivy".into(), "sarif".into(), "nessus".into()],
        dojo: None,
        json: None,
        keep: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--dir" => o.dir = PathBuf::from(value()?),
            "--sizes" => {
                o.sizes = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.replace('_', "")
                            .parse()
                            .map_err(|_| format!("--sizes: {s} is not a number"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--formats" => {
                o.formats = value()?.split(',').map(str::to_string).collect();
                if let Some(f) = o
                    .formats
                    .iter()
                    .find(|f| !["trivy", "sarif", "nessus"].contains(&f.as_str()))
                {
                    return Err(format!("--formats: unknown format {f}"));
                }
            }
            "--dojo" => o.dojo = Some(PathBuf::from(value()?)),
            "--json" => o.json = Some(PathBuf::from(value()?)),
            "--keep" => o.keep = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(o)
}

fn parent(args: &[String]) -> Result<(), String> {
    let o = parse_opts(args)?;
    std::fs::create_dir_all(&o.dir).map_err(|e| format!("{}: {e}", o.dir.display()))?;
    let mut cases = Vec::new();
    println!("{}", header());
    for n in &o.sizes {
        for fmt in &o.formats {
            let path = generate(&o.dir, fmt, *n)?;
            let c = run_case(&o, &path, fmt)?;
            println!("{}", row(&c));
            cases.push(c);
        }
    }
    let mut dojo_cases = Vec::new();
    if let Some(d) = &o.dojo {
        println!("\nDefectDojo's benchmark files ({}):", d.display());
        println!("{}", header());
        for (name, _, _) in DOJO_PARSE {
            let path = d.join(name);
            if !path.exists() {
                eprintln!("note: {} not found, skipped", path.display());
                continue;
            }
            let fmt = name.split('_').next().unwrap_or("?");
            let c = run_case(&o, &path, fmt)?;
            println!("{}", row(&c));
            dojo_cases.push(c);
        }
        if !dojo_cases.is_empty() {
            println!("\n{}", dojo_comparison(&dojo_cases));
        }
    }
    if let Some(j) = &o.json {
        let v = serde_json::json!({"generated": cases, "defectdojo_files": dojo_cases});
        let s = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
        std::fs::write(j, s).map_err(|e| format!("{}: {e}", j.display()))?;
    }
    Ok(())
}

/// Writes `ctem-<fmt>-<n>.<ext>` with the demo writers unless it exists.
fn generate(dir: &Path, fmt: &str, n: usize) -> Result<PathBuf, String> {
    let ext = match fmt {
        "trivy" => "json",
        "sarif" => "sarif",
        _ => "nessus",
    };
    let path = dir.join(format!("ctem-{fmt}-{n}.{ext}"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = dir.join(format!(".ctem-{fmt}-{n}.{ext}.part"));
    let started = Instant::now();
    let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let seed = 7;
    match fmt {
        "trivy" => ctem_demo::write_trivy_report(seed, n, &mut w),
        "sarif" => ctem_demo::write_sarif_report(seed, n, &mut w),
        _ => ctem_demo::write_nessus_report(seed, n, &mut w),
    }
    .and_then(|()| w.flush())
    .map_err(|e| format!("{}: {e}", tmp.display()))?;
    drop(w);
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "generated {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(path)
}

fn run_case(o: &Opts, path: &Path, fmt: &str) -> Result<Case, String> {
    let stem = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ws = o.dir.join(format!("ws-{stem}"));
    if ws.exists() {
        std::fs::remove_dir_all(&ws).map_err(|e| format!("{}: {e}", ws.display()))?;
    }
    std::fs::create_dir_all(&ws).map_err(|e| format!("{}: {e}", ws.display()))?;
    let db = ws.join("ctem.db");
    let file = path.to_string_lossy().into_owned();
    let db_s = db.to_string_lossy().into_owned();
    let parse = spawn(&["parse", &file])?;
    let import = spawn(&["import", &db_s, &file])?;
    let reimport = spawn(&["import", &db_s, &file])?;
    if reimport.new != 0 || reimport.resolved != 0 || reimport.unchanged != import.exposures {
        eprintln!(
            "warning: re-import of {stem} was not a no-op: {} new, {} resolved, {} unchanged of {}",
            reimport.new, reimport.resolved, reimport.unchanged, import.exposures
        );
    }
    if !o.keep {
        std::fs::remove_dir_all(&ws).map_err(|e| format!("{}: {e}", ws.display()))?;
    }
    Ok(Case {
        file: stem,
        format: fmt.to_string(),
        bytes: parse.bytes,
        parse,
        import,
        reimport,
    })
}

fn spawn(args: &[&str]) -> Result<Measure, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .arg("child")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run the child: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "child {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(line.trim()).map_err(|e| format!("child {args:?} said {line:?}: {e}"))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn per_s(n: u64, s: f64) -> f64 {
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

fn header() -> String {
    format!(
        "{:<26} {:>7} {:>8} {:>8} | {:>6} {:>9} {:>9} {:>4} | {:>7} {:>9} {:>9} {:>4} | {:>6} {:>6} {:>4}\n{:<26} {:>7} {:>8} {:>8} | {:>6} {:>9} {:>9} {:>4} | {:>7} {:>9} {:>9} {:>4} | {:>6} {:>6} {:>4}",
        "",
        "",
        "",
        "",
        "parse",
        "",
        "",
        "",
        "import",
        "",
        "",
        "",
        "re-imp",
        "",
        "",
        "file",
        "MB",
        "findings",
        "exposure",
        "MB/s",
        "find./s",
        "/cpu s",
        "RSS",
        "s",
        "find./s",
        "/cpu s",
        "RSS",
        "s",
        "cpu s",
        "RSS",
    )
}

fn row(c: &Case) -> String {
    let rss = |m: &Measure| m.peak_rss_kib as f64 / 1024.0;
    format!(
        "{:<26} {:>7.1} {:>8} {:>8} | {:>6.1} {:>9.0} {:>9.0} {:>4.0} | {:>7.2} {:>9.0} {:>9.0} {:>4.0} | {:>6.2} {:>6.2} {:>4.0}",
        c.file,
        mb(c.bytes),
        c.parse.findings,
        c.import.exposures,
        mb(c.bytes) / c.parse.seconds.max(1e-9),
        per_s(c.parse.findings, c.parse.seconds),
        per_s(c.parse.findings, c.parse.cpu_seconds),
        rss(&c.parse),
        c.import.seconds,
        per_s(c.import.findings, c.import.seconds),
        per_s(c.import.findings, c.import.cpu_seconds),
        rss(&c.import),
        c.reimport.seconds,
        c.reimport.cpu_seconds,
        rss(&c.reimport),
    )
}

fn dojo_comparison(cases: &[Case]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<22} {:>12} {:>12} {:>8} | {:>10} {:>10} {:>8}",
        "file", "dojo parse s", "ctem parse s", "speed ×", "dojo RSS", "ctem RSS", "RSS ÷"
    );
    for c in cases {
        let Some((_, dojo_s, dojo_rss)) = DOJO_PARSE.iter().find(|(n, _, _)| *n == c.file) else {
            continue;
        };
        let rss = c.parse.peak_rss_kib as f64 / 1024.0;
        let _ = writeln!(
            s,
            "{:<22} {:>12.2} {:>12.3} {:>8.0} | {:>10.0} {:>10.0} {:>8.1}",
            c.file,
            dojo_s,
            c.parse.seconds,
            dojo_s / c.parse.seconds.max(1e-9),
            dojo_rss,
            rss,
            dojo_rss / rss.max(1e-9),
        );
    }
    if let Some(c) = cases.iter().find(|c| c.file == "trivy_10000.json") {
        let (lo, hi) = DOJO_IMPORT_TRIVY_10K;
        let _ = writeln!(
            s,
            "trivy_10000.json import: DefectDojo {lo:.0}–{hi:.0} s, ctem {:.3} s: {:.0}–{:.0}× faster \
             (DefectDojo also spends 24–33 s indexing afterwards)",
            c.import.seconds,
            lo / c.import.seconds.max(1e-9),
            hi / c.import.seconds.max(1e-9),
        );
        let _ = writeln!(
            s,
            "trivy_10000.json re-import: DefectDojo {DOJO_REIMPORT_TRIVY_10K:.0} s, ctem {:.3} s: {:.0}× faster",
            c.reimport.seconds,
            DOJO_REIMPORT_TRIVY_10K / c.reimport.seconds.max(1e-9),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_reject_unknown_formats() {
        let args: Vec<String> = ["--sizes", "10_000,2000", "--formats", "sarif", "--keep"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = parse_opts(&args).expect("options");
        assert_eq!(o.sizes, vec![10_000, 2_000]);
        assert_eq!(o.formats, vec!["sarif"]);
        assert!(o.keep);
        let bad: Vec<String> = ["--formats", "xlsx"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(parse_opts(&bad).is_err_and(|e| e.contains("unknown format xlsx")));
    }

    #[test]
    fn this_process_reports_its_memory_and_cpu() {
        if Path::new("/proc/self/status").exists() {
            assert!(peak_rss_kib() > 0);
        }
        assert!(cpu_seconds() >= 0.0);
    }

    #[test]
    fn generated_reports_are_reused() {
        let dir = tempfile_dir();
        let a = generate(&dir, "nessus", 20).expect("generate");
        let modified = std::fs::metadata(&a).and_then(|m| m.modified()).ok();
        let b = generate(&dir, "nessus", 20).expect("reuse");
        assert_eq!(a, b);
        assert_eq!(
            std::fs::metadata(&b).and_then(|m| m.modified()).ok(),
            modified
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("ctem-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }
}
