//! Validation: is an exposure really exploitable here?
//!
//! This crate reads validation results that red teams, breach-and-attack
//! simulation tools and analysts produce, in ctem's documented generic
//! format (`docs/validation.md`), JSON or CSV, and matches each result to
//! the exposure it is about. It does no I/O of its own beyond the reader it
//! is given, and never contacts a target.

#![forbid(unsafe_code)]

pub mod tools;

use ctem_model::{ValidationRecord, ValidationState, normalise_host, parse_time};
use serde::Deserialize;
use std::collections::HashMap;

/// A malformed validation file; names the file, the record and the cause.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("{file}: line {line}, column {column}: {cause}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        cause: String,
    },
    #[error("{file}: record {record}: {cause}")]
    Record {
        file: String,
        record: usize,
        cause: String,
    },
    #[error("{file}: {cause}")]
    File { file: String, cause: String },
}

/// One result as written in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationResult {
    /// Any identifier of the asset: FQDN, host name, IP, image or repository.
    pub asset: String,
    /// CVE, GHSA or the scanner's id.
    pub weakness: String,
    pub state: ValidationState,
    pub control: Option<String>,
    pub reason: Option<String>,
    pub evidence: Option<String>,
    pub at: i64,
}

/// A whole validation file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationFile {
    pub tool: String,
    /// `red_team`, `bas`, `analyst` or `probe`.
    pub method: String,
    pub results: Vec<ValidationResult>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: String,
    tool: String,
    method: String,
    results: Vec<RawResult>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResult {
    asset: String,
    weakness: String,
    result: String,
    #[serde(default)]
    control: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    evidence: Option<String>,
    at: String,
}

const METHODS: [&str; 4] = ["red_team", "bas", "analyst", "probe"];

fn convert(r: RawResult, file: &str, record: usize) -> Result<ValidationResult, ValidateError> {
    let err = |cause: String| ValidateError::Record {
        file: file.to_string(),
        record,
        cause,
    };
    let state = ValidationState::parse(&r.result).ok_or_else(|| {
        err(format!(
            "result `{}` is not one of exploitable, not_exploitable, blocked_by_control",
            r.result
        ))
    })?;
    if state == ValidationState::NotValidated {
        return Err(err(
            "result `not_validated` records nothing: leave the row out".into(),
        ));
    }
    if state == ValidationState::BlockedByControl && r.control.as_deref().unwrap_or("").is_empty() {
        return Err(err(
            "result blocked_by_control needs the `control` that blocked it".into(),
        ));
    }
    if state == ValidationState::NotExploitable && r.reason.as_deref().unwrap_or("").is_empty() {
        return Err(err("result not_exploitable needs a `reason`".into()));
    }
    if r.asset.trim().is_empty() || r.weakness.trim().is_empty() {
        return Err(err("`asset` and `weakness` must not be empty".into()));
    }
    let at = parse_time(&r.at).ok_or_else(|| {
        err(format!(
            "`at` is not an RFC 3339 time or a date: `{}`",
            r.at
        ))
    })?;
    let blank = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    Ok(ValidationResult {
        asset: r.asset.trim().to_string(),
        weakness: r.weakness.trim().to_string(),
        state,
        control: blank(r.control),
        reason: blank(r.reason),
        evidence: blank(r.evidence),
        at,
    })
}

/// Parses a validation file, JSON or CSV (told apart by the first
/// non-blank byte). For CSV, `tool` and `method` come from the caller.
pub fn parse(
    bytes: &[u8],
    file: &str,
    csv_tool: &str,
    csv_method: &str,
) -> Result<ValidationFile, ValidateError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') | Some(b'[') => {
            // ctem's own format names itself; Caldera's report and event
            // logs are told apart by their keys.
            let v: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|e| json_err(&e, file))?;
            if v.get("format").is_some() {
                return parse_json(bytes, file);
            }
            if v.get("steps").is_some() && v.get("host_group").is_some() {
                return tools::parse_caldera_report(&v, file);
            }
            if let Some(list) = v.as_array()
                && list.iter().any(|e| e.get("agent_metadata").is_some())
            {
                return tools::parse_caldera_events(list, file);
            }
            Err(ValidateError::File {
                file: file.to_string(),
                cause:
                    "not a ctem-validation/1 file, a Caldera operation report or Caldera event logs"
                        .into(),
            })
        }
        _ if tools::is_atomic_csv(&String::from_utf8_lossy(&bytes[..bytes.len().min(4096)])) => {
            tools::parse_atomic_csv(bytes, file)
        }
        _ => parse_csv(bytes, file, csv_tool, csv_method),
    }
}

fn json_err(e: &serde_json::Error, file: &str) -> ValidateError {
    ValidateError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        cause: e
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// An analyst's verdict on one exposure, with evidence: the same checks as
/// a result in a file (a reason for not_exploitable, a control for
/// blocked_by_control).
pub fn verdict(
    exposure_id: &str,
    result: &str,
    control: Option<String>,
    reason: Option<String>,
    evidence: Option<String>,
    analyst: &str,
    at: i64,
) -> Result<ValidationRecord, ValidateError> {
    let r = convert(
        RawResult {
            asset: "-".into(),
            weakness: "-".into(),
            result: result.to_string(),
            control,
            reason,
            evidence,
            at: ctem_model::fmt_time(at),
        },
        "verdict",
        1,
    )?;
    Ok(ValidationRecord {
        exposure_id: exposure_id.to_string(),
        state: r.state,
        method: "analyst".into(),
        tool: analyst.to_string(),
        control: r.control,
        reason: r.reason,
        evidence: r.evidence,
        validated_at: r.at,
    })
}

fn parse_json(bytes: &[u8], file: &str) -> Result<ValidationFile, ValidateError> {
    let raw: RawFile = serde_json::from_slice(bytes).map_err(|e| json_err(&e, file))?;
    if raw.format != "ctem-validation/1" {
        return Err(ValidateError::File {
            file: file.to_string(),
            cause: format!(
                "format `{}` is not supported; expected `ctem-validation/1`",
                raw.format
            ),
        });
    }
    check_method(&raw.method, file)?;
    let results = raw
        .results
        .into_iter()
        .enumerate()
        .map(|(i, r)| convert(r, file, i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ValidationFile {
        tool: raw.tool,
        method: raw.method,
        results,
    })
}

fn check_method(m: &str, file: &str) -> Result<(), ValidateError> {
    if METHODS.contains(&m) {
        Ok(())
    } else {
        Err(ValidateError::File {
            file: file.to_string(),
            cause: format!("method `{m}` is not one of {}", METHODS.join(", ")),
        })
    }
}

fn parse_csv(
    bytes: &[u8],
    file: &str,
    tool: &str,
    method: &str,
) -> Result<ValidationFile, ValidateError> {
    check_method(method, file)?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut results = Vec::new();
    for (i, row) in rdr.deserialize::<RawResult>().enumerate() {
        let row = row.map_err(|e| ValidateError::Record {
            file: file.to_string(),
            record: i + 1,
            cause: match e.position() {
                Some(p) => format!("line {}: {}", p.line(), e),
                None => e.to_string(),
            },
        })?;
        results.push(convert(row, file, i + 1)?);
    }
    if results.is_empty() {
        return Err(ValidateError::File {
            file: file.to_string(),
            cause: "no results: expected a header `asset,weakness,result,control,reason,evidence,at` and rows".into(),
        });
    }
    Ok(ValidationFile {
        tool: tool.to_string(),
        method: method.to_string(),
        results,
    })
}

/// An exposure as the matcher sees it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub exposure_id: &'a str,
    /// The asset's identifiers: names, IPs, image, repository.
    pub asset_names: Vec<String>,
    /// The weakness id and its aliases.
    pub weakness_ids: Vec<String>,
}

/// Results matched to exposures, and those that matched none.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    pub records: Vec<ValidationRecord>,
    pub unmatched: Vec<ValidationResult>,
}

fn norm(s: &str) -> String {
    normalise_host(s)
}

/// Matches each result to every exposure on the named asset with the named
/// weakness (by id or alias, case-insensitive).
pub fn match_results(file: &ValidationFile, candidates: &[Candidate<'_>]) -> Matched {
    let mut index: HashMap<(String, String), Vec<&str>> = HashMap::new();
    for c in candidates {
        for a in &c.asset_names {
            for w in &c.weakness_ids {
                let v = index.entry((norm(a), w.to_ascii_uppercase())).or_default();
                if !v.contains(&c.exposure_id) {
                    v.push(c.exposure_id);
                }
            }
        }
    }
    let mut out = Matched::default();
    for r in &file.results {
        match index.get(&(norm(&r.asset), r.weakness.to_ascii_uppercase())) {
            Some(ids) => {
                for id in ids {
                    out.records.push(ValidationRecord {
                        exposure_id: id.to_string(),
                        state: r.state,
                        method: file.method.clone(),
                        tool: file.tool.clone(),
                        control: r.control.clone(),
                        reason: r.reason.clone(),
                        evidence: r.evidence.clone(),
                        validated_at: r.at,
                    });
                }
            }
            None => out.unmatched.push(r.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{
  "format": "ctem-validation/1",
  "tool": "red team",
  "method": "red_team",
  "results": [
    {"asset": "WEB-01.corp.example", "weakness": "cve-2023-4966", "result": "exploitable",
     "evidence": "session token read from memory", "at": "2026-11-20T10:00:00Z"},
    {"asset": "10.0.0.5", "weakness": "CVE-2021-44228", "result": "blocked_by_control",
     "control": "edge-waf", "at": "2026-11-20"}
  ]
}"#;

    #[test]
    fn json_results_match_by_any_asset_name_and_alias() {
        let f = parse(JSON.as_bytes(), "rt.json", "", "").expect("valid file");
        assert_eq!(f.results.len(), 2);
        let cands = vec![
            Candidate {
                exposure_id: "e1",
                asset_names: vec!["web-01.corp.example".into(), "10.0.0.4".into()],
                weakness_ids: vec!["CVE-2023-4966".into()],
            },
            Candidate {
                exposure_id: "e2",
                asset_names: vec!["app-01".into(), "10.0.0.5".into()],
                weakness_ids: vec!["GHSA-jfh8-c2jp-5v3q".into(), "CVE-2021-44228".into()],
            },
        ];
        let m = match_results(&f, &cands);
        assert_eq!(m.records.len(), 2);
        assert_eq!(m.records[0].exposure_id, "e1");
        assert_eq!(m.records[0].state, ValidationState::Exploitable);
        assert_eq!(m.records[1].control.as_deref(), Some("edge-waf"));
        assert!(m.unmatched.is_empty());
    }

    #[test]
    fn csv_results() {
        let csv = "asset,weakness,result,control,reason,evidence,at\n\
                   web-01,CVE-2023-4966,not_exploitable,,patched appliance build,,2026-11-20\n";
        let f = parse(csv.as_bytes(), "bas.csv", "safebreach", "bas").expect("valid csv");
        assert_eq!(f.results[0].state, ValidationState::NotExploitable);
        assert_eq!(f.tool, "safebreach");
    }

    #[test]
    fn mistakes_are_named() {
        let bad = JSON.replace("\"exploitable\"", "\"pwned\"");
        let e = parse(bad.as_bytes(), "rt.json", "", "").expect_err("bad result");
        assert_eq!(
            e.to_string(),
            "rt.json: record 1: result `pwned` is not one of exploitable, not_exploitable, blocked_by_control"
        );
        let bad = JSON.replace("\"control\": \"edge-waf\", ", "");
        let e = parse(bad.as_bytes(), "rt.json", "", "").expect_err("no control");
        assert!(e.to_string().contains("record 2") && e.to_string().contains("control"));
        let e = parse(&JSON.as_bytes()[..100], "rt.json", "", "").expect_err("truncated");
        assert!(e.to_string().starts_with("rt.json: line "), "{e}");
        let e = parse(b"asset,weakness\n", "x.csv", "t", "bas").expect_err("no rows");
        assert!(e.to_string().contains("no results"));
    }
}
