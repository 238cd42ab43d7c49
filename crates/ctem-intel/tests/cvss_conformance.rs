//! CVSS conformance against the Red Hat reference test vectors under
//! `$CTEM_FIXTURES/cvss/redhat_cvss_tests/` (see SOURCE.txt there): every
//! vector must give the base, temporal and environmental scores the file
//! expects. Vectors that cannot are listed in [`KNOWN_DEVIATIONS`] with the
//! reason; there are none today, and the list must stay exact (a listed
//! vector that starts matching fails the test too).

mod common;

use common::{shared, shared_root};
use ctem_intel::{CvssVersion, score};

/// Files and the version every vector in them must be recognised as.
const FILES: [(&str, CvssVersion); 8] = [
    ("vectors_simple2", CvssVersion::V2),
    ("vectors_calculator2", CvssVersion::V2),
    ("vectors_cvsslib2", CvssVersion::V2),
    ("vectors_simple3", CvssVersion::V3_0),
    ("vectors_calculator3", CvssVersion::V3_0),
    ("vectors_cvsslib3", CvssVersion::V3_0),
    ("vectors_simple31", CvssVersion::V3_1),
    ("vectors_simple4", CvssVersion::V4_0),
];

/// (file, vector, reason) of vectors known not to score as the file expects.
const KNOWN_DEVIATIONS: &[(&str, &str, &str)] = &[];

/// One line's expectation: `(base, temporal, environmental)`, `(base,)` or a
/// bare score. `None` inside a triple means the reference reports no score
/// for that group (v2 vectors without temporal or environmental metrics).
struct Expected {
    base: f64,
    temporal: Option<Option<f64>>,
    environmental: Option<Option<f64>>,
}

fn parse_expected(s: &str) -> Result<Expected, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(s);
    let parts: Vec<&str> = inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let num = |p: &str| -> Result<Option<f64>, String> {
        if p == "None" {
            Ok(None)
        } else {
            p.parse::<f64>()
                .map(Some)
                .map_err(|e| format!("{p:?}: {e}"))
        }
    };
    let base = match parts.first() {
        Some(p) => num(p)?.ok_or("base score is None")?,
        None => return Err("no score".to_string()),
    };
    let group = |i: usize| parts.get(i).map(|p| num(p)).transpose();
    Ok(Expected {
        base,
        temporal: group(1)?,
        environmental: group(2)?,
    })
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn redhat_reference_vectors() {
    let Some(root) = shared_root() else { return };
    let mut checked = 0usize;
    let mut matched = 0usize;
    let mut failures: Vec<(String, String, String)> = Vec::new();
    let mut summary = Vec::new();
    for (file, version) in FILES {
        let path = shared(&root, &format!("cvss/redhat_cvss_tests/{file}"));
        let text = std::fs::read_to_string(&path).expect("read vectors");
        let mut file_matched = 0usize;
        let mut file_total = 0usize;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let (vector, expected) = line
                .split_once(" - ")
                .unwrap_or_else(|| panic!("{file}:{}: no \" - \" in {line:?}", n + 1));
            let expected = parse_expected(expected)
                .unwrap_or_else(|e| panic!("{file}:{}: bad expectation: {e}", n + 1));
            file_total += 1;
            let problem = match score(vector) {
                Err(e) => Some(format!("does not parse: {e}")),
                Ok(got) => {
                    let mut p = Vec::new();
                    if got.version != version {
                        p.push(format!("version {:?}, expected {version:?}", got.version));
                    }
                    if !same(got.base, expected.base) {
                        p.push(format!("base {}, expected {}", got.base, expected.base));
                    }
                    if let Some(t) = expected.temporal {
                        if !option_same(got.temporal, t) {
                            p.push(format!("temporal {:?}, expected {t:?}", got.temporal));
                        }
                    }
                    if let Some(e) = expected.environmental {
                        if !option_same(got.environmental, e) {
                            p.push(format!(
                                "environmental {:?}, expected {e:?}",
                                got.environmental
                            ));
                        }
                    }
                    (!p.is_empty()).then(|| p.join("; "))
                }
            };
            match problem {
                None => file_matched += 1,
                Some(p) => failures.push((file.to_string(), vector.to_string(), p)),
            }
        }
        checked += file_total;
        matched += file_matched;
        summary.push(format!("{file}: {file_matched}/{file_total}"));
    }
    eprintln!(
        "cvss conformance: {matched}/{checked} vectors match ({})",
        summary.join(", ")
    );

    let unexpected: Vec<_> = failures
        .iter()
        .filter(|(f, v, _)| {
            !KNOWN_DEVIATIONS
                .iter()
                .any(|(kf, kv, _)| kf == f && kv == v)
        })
        .collect();
    let now_matching: Vec<_> = KNOWN_DEVIATIONS
        .iter()
        .filter(|(kf, kv, _)| !failures.iter().any(|(f, v, _)| f == kf && v == kv))
        .collect();
    for (f, v, p) in &unexpected {
        eprintln!("MISMATCH {f}: {v}: {p}");
    }
    assert!(
        unexpected.is_empty(),
        "{} vectors do not score as expected (listed above)",
        unexpected.len()
    );
    assert!(
        now_matching.is_empty(),
        "known deviations that now match, remove them from the list: {now_matching:?}"
    );
    assert_eq!(checked, 729 + 5 + 24 + 2592 + 2 + 29 + 2592 + 1058);
}

fn option_same(got: Option<f64>, want: Option<f64>) -> bool {
    match (got, want) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}
