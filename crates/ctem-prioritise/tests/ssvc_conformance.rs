//! Conformance: ctem's SSVC evaluation gives the published outcome for every
//! row of CERT/CC's CISA Coordinator 2.0.3 and Deployer Patch Application
//! Priority 1.0.0 decision tables, in both their JSON and CSV forms
//! (`$CTEM_FIXTURES/ssvc/`).

use ctem_prioritise::ssvc::{
    self, CisaOutcome, DeployerOutcome, Exploitation, HumanImpact, MissionImpact, SystemExposure,
    TechnicalImpact,
};
use std::path::{Path, PathBuf};

fn shared_root() -> Option<PathBuf> {
    let Some(value) = std::env::var_os("CTEM_FIXTURES") else {
        eprintln!("skipped: CTEM_FIXTURES not set");
        return None;
    };
    let given = PathBuf::from(&value);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = [given.clone(), workspace.join(&given)]
        .into_iter()
        .find(|p| p.is_dir());
    match found {
        Some(p) => Some(p),
        None => panic!("CTEM_FIXTURES={} is not a directory", given.display()),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse<T>(p: Option<T>, what: &str, v: &str, row: usize) -> T {
    p.unwrap_or_else(|| panic!("row {row}: unknown {what} value `{v}`"))
}

fn yes_no(v: &str, row: usize) -> bool {
    match v.trim() {
        "Y" | "yes" => true,
        "N" | "no" => false,
        other => panic!("row {row}: unknown automatable value `{other}`"),
    }
}

/// Data rows of a decision-table CSV, after checking its header.
fn csv_rows(path: &Path, header_starts: &[&str]) -> Vec<Vec<String>> {
    let text = read(path);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    for h in header_starts {
        assert!(
            header.contains(h),
            "{}: header lacks {h}: {header}",
            path.display()
        );
    }
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
        .collect()
}

fn json_mapping(path: &Path) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let v: serde_json::Value =
        serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    v["mapping"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no mapping array", path.display()))
        .iter()
        .map(|r| r.as_object().cloned().unwrap_or_default())
        .collect()
}

fn key<'a>(row: &'a serde_json::Map<String, serde_json::Value>, k: &str, i: usize) -> &'a str {
    row.get(k)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("row {i}: no {k}"))
}

#[test]
fn cisa_coordinator_csv_every_row() {
    let Some(root) = shared_root() else { return };
    let rows = csv_rows(
        &root.join("ssvc/csv/cisa/cisa_coordinator_2_0_3.csv"),
        &[
            "Exploitation",
            "Automatable",
            "Technical Impact",
            "Mission and Well-Being",
            "CISA Levels",
        ],
    );
    assert_eq!(rows.len(), 36);
    for (i, r) in rows.iter().enumerate() {
        let e = parse(Exploitation::parse(&r[1]), "exploitation", &r[1], i);
        let a = yes_no(&r[2], i);
        let ti = parse(TechnicalImpact::parse(&r[3]), "technical impact", &r[3], i);
        let m = parse(MissionImpact::parse(&r[4]), "mission impact", &r[4], i);
        let want = parse(CisaOutcome::parse(&r[5]), "outcome", &r[5], i);
        assert_eq!(ssvc::cisa(e, a, ti, m), want, "csv row {i}: {r:?}");
    }
}

#[test]
fn cisa_coordinator_json_every_row() {
    let Some(root) = shared_root() else { return };
    let rows =
        json_mapping(&root.join("ssvc/json/decision_tables/cisa/cisa_coordinator_2_0_3.json"));
    assert_eq!(rows.len(), 36);
    for (i, r) in rows.iter().enumerate() {
        let v = |k| key(r, k, i);
        let e = parse(
            Exploitation::parse(v("ssvc:E:1.1.0")),
            "E",
            v("ssvc:E:1.1.0"),
            i,
        );
        let a = yes_no(v("ssvc:A:2.0.0"), i);
        let ti = parse(
            TechnicalImpact::parse(v("ssvc:TI:1.0.0")),
            "TI",
            v("ssvc:TI:1.0.0"),
            i,
        );
        let m = parse(
            MissionImpact::parse(v("ssvc:MWI:1.0.0")),
            "MWI",
            v("ssvc:MWI:1.0.0"),
            i,
        );
        let want = parse(
            CisaOutcome::parse(v("cisa:CISA:1.1.0")),
            "CISA",
            v("cisa:CISA:1.1.0"),
            i,
        );
        assert_eq!(ssvc::cisa(e, a, ti, m), want, "json row {i}: {r:?}");
    }
}

#[test]
fn deployer_csv_every_row() {
    let Some(root) = shared_root() else { return };
    let rows = csv_rows(
        &root.join("ssvc/csv/ssvc/deployer_patch_application_priority_1_0_0.csv"),
        &[
            "Exploitation",
            "System Exposure",
            "Automatable",
            "Human Impact",
        ],
    );
    assert_eq!(rows.len(), 72);
    for (i, r) in rows.iter().enumerate() {
        // The outcome header is quoted and holds commas; data cells do not.
        let e = parse(Exploitation::parse(&r[1]), "exploitation", &r[1], i);
        let x = parse(SystemExposure::parse(&r[2]), "system exposure", &r[2], i);
        let a = yes_no(&r[3], i);
        let h = parse(HumanImpact::parse(&r[4]), "human impact", &r[4], i);
        let want = parse(DeployerOutcome::parse(&r[5]), "outcome", &r[5], i);
        assert_eq!(ssvc::deployer(e, x, a, h), want, "csv row {i}: {r:?}");
    }
}

#[test]
fn deployer_json_every_row() {
    let Some(root) = shared_root() else { return };
    let rows = json_mapping(
        &root.join("ssvc/json/decision_tables/ssvc/deployer_patch_application_priority_1_0_0.json"),
    );
    assert_eq!(rows.len(), 72);
    for (i, r) in rows.iter().enumerate() {
        let v = |k| key(r, k, i);
        let e = parse(
            Exploitation::parse(v("ssvc:E:1.1.0")),
            "E",
            v("ssvc:E:1.1.0"),
            i,
        );
        let x = parse(
            SystemExposure::parse(v("ssvc:EXP:1.0.1")),
            "EXP",
            v("ssvc:EXP:1.0.1"),
            i,
        );
        let a = yes_no(v("ssvc:A:2.0.0"), i);
        let h = parse(
            HumanImpact::parse(v("ssvc:HI:2.0.2")),
            "HI",
            v("ssvc:HI:2.0.2"),
            i,
        );
        let want = parse(
            DeployerOutcome::parse(v("ssvc:DSOI:1.0.0")),
            "DSOI",
            v("ssvc:DSOI:1.0.0"),
            i,
        );
        assert_eq!(ssvc::deployer(e, x, a, h), want, "json row {i}: {r:?}");
    }
}

/// Every combination of inputs is covered by the tables (no row missing).
#[test]
fn tables_cover_every_combination() {
    let mut n = 0;
    for e in Exploitation::ALL {
        for a in [false, true] {
            for ti in TechnicalImpact::ALL {
                for m in MissionImpact::ALL {
                    let _ = ssvc::cisa(*e, a, *ti, *m);
                    n += 1;
                }
            }
            for x in SystemExposure::ALL {
                for h in HumanImpact::ALL {
                    let _ = ssvc::deployer(*e, *x, a, *h);
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n, 36 + 72);
}
