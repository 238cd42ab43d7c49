//! Results of breach-and-attack-simulation tools in their own formats:
//! MITRE Caldera operation reports and event logs (JSON), and Atomic Red
//! Team execution logs (Invoke-AtomicRedTeam's CSV logger).
//!
//! Each executed step becomes a [`ValidationResult`] on the host it ran on.
//! The weakness is the first CVE or GHSA id the step names (in its ability
//! or test name, or description), so an exploit ability validates the
//! exposure it exploits; otherwise it is the ATT&CK technique id (such as
//! `T1005`), which matches no exposure and is listed as technique coverage.
//! Command output is never copied into the evidence: it can hold secrets.

use crate::{ValidateError, ValidationFile, ValidationResult};
use ctem_model::{ValidationState, parse_time};
use serde_json::Value;

/// The first CVE or GHSA id in `text`.
pub fn weakness_in(text: &str) -> Option<String> {
    let up = text.to_ascii_uppercase();
    for prefix in ["CVE-", "GHSA-"] {
        let mut from = 0;
        while let Some(i) = up[from..].find(prefix) {
            let start = from + i;
            let id: String = up[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let body = &id[prefix.len()..];
            let ok = if prefix == "CVE-" {
                body.split_once('-').is_some_and(|(y, n)| {
                    y.len() == 4
                        && y.chars().all(|c| c.is_ascii_digit())
                        && n.len() >= 4
                        && n.chars().all(|c| c.is_ascii_digit())
                })
            } else {
                body.len() == 14
            };
            if ok {
                return Some(if prefix == "GHSA-" {
                    format!("GHSA-{}", body.to_ascii_lowercase())
                } else {
                    id
                });
            }
            from = start + prefix.len();
        }
    }
    None
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Caldera link status: 0 success, 1 error, 124 timeout; others (queued,
/// discarded, collected, untrusted) are not results.
fn caldera_state(
    status: i64,
    ability: &str,
    technique: &str,
) -> Option<(ValidationState, Option<String>)> {
    match status {
        0 => Some((ValidationState::Exploitable, None)),
        1 => Some((
            ValidationState::NotExploitable,
            Some(format!("Caldera ability `{ability}` ({technique}) failed")),
        )),
        124 => Some((
            ValidationState::NotExploitable,
            Some(format!(
                "Caldera ability `{ability}` ({technique}) timed out"
            )),
        )),
        _ => None,
    }
}

/// One executed Caldera step, as both formats give it.
struct StepView<'a> {
    host: &'a str,
    ability: &'a str,
    description: &'a str,
    technique: &'a str,
    status: i64,
    at: &'a str,
    operation: &'a str,
}

fn step_result(
    file: &str,
    record: usize,
    st: StepView<'_>,
) -> Result<Option<ValidationResult>, ValidateError> {
    let StepView {
        host,
        ability,
        description,
        technique,
        status,
        at,
        operation,
    } = st;
    let Some((state, reason)) = caldera_state(status, ability, technique) else {
        return Ok(None);
    };
    if host.trim().is_empty() {
        return Err(ValidateError::Record {
            file: file.into(),
            record,
            cause: "the step names no host".into(),
        });
    }
    let at = parse_time(at).ok_or_else(|| ValidateError::Record {
        file: file.into(),
        record,
        cause: format!("time `{at}` is not RFC 3339"),
    })?;
    let weakness = weakness_in(&format!("{ability} {description}")).unwrap_or_else(|| {
        if technique.is_empty() {
            "unknown technique".into()
        } else {
            technique.to_string()
        }
    });
    Ok(Some(ValidationResult {
        asset: host.trim().to_string(),
        weakness,
        state,
        control: None,
        reason,
        evidence: Some(format!(
            "Caldera operation `{operation}`: ability `{ability}` ({technique}), status {status}"
        )),
        at,
    }))
}

/// A Caldera operation report (`GET /api/v2/operations/{id}/report`).
pub fn parse_caldera_report(v: &Value, file: &str) -> Result<ValidationFile, ValidateError> {
    let operation = s(v, "name");
    let hosts: std::collections::HashMap<&str, &str> = v
        .get("host_group")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|h| (s(h, "paw"), s(h, "host"))).collect())
        .unwrap_or_default();
    let steps = v
        .get("steps")
        .and_then(Value::as_object)
        .ok_or_else(|| ValidateError::File {
            file: file.into(),
            cause: "a Caldera report needs `steps` (per agent)".into(),
        })?;
    let mut results = Vec::new();
    let mut n = 0;
    for (paw, agent) in steps {
        let host = hosts.get(paw.as_str()).copied().unwrap_or(paw.as_str());
        for step in agent
            .get("steps")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            n += 1;
            let attack = step.get("attack").cloned().unwrap_or(Value::Null);
            let status = step.get("status").and_then(Value::as_i64).unwrap_or(-1);
            let at = [
                s(step, "finish"),
                s(step, "run"),
                s(step, "agent_reported_time"),
            ]
            .into_iter()
            .find(|t| !t.is_empty())
            .unwrap_or("");
            if let Some(r) = step_result(
                file,
                n,
                StepView {
                    host,
                    ability: s(step, "name"),
                    description: s(step, "description"),
                    technique: s(&attack, "technique_id"),
                    status,
                    at,
                    operation,
                },
            )? {
                results.push(r);
            }
        }
    }
    Ok(ValidationFile {
        tool: "MITRE Caldera".into(),
        method: "bas".into(),
        results,
    })
}

/// Caldera event logs (`GET /api/v2/operations/{id}/event-logs`): a list
/// of executed links.
pub fn parse_caldera_events(list: &[Value], file: &str) -> Result<ValidationFile, ValidateError> {
    let mut results = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let agent = e.get("agent_metadata").cloned().unwrap_or(Value::Null);
        let ability = e.get("ability_metadata").cloned().unwrap_or(Value::Null);
        let attack = e.get("attack_metadata").cloned().unwrap_or(Value::Null);
        let op = e.get("operation_metadata").cloned().unwrap_or(Value::Null);
        let status = e.get("status").and_then(Value::as_i64).unwrap_or(-1);
        let at = [
            s(e, "finished_timestamp"),
            s(e, "agent_reported_time"),
            s(e, "collected_timestamp"),
        ]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or("");
        if let Some(r) = step_result(
            file,
            i + 1,
            StepView {
                host: s(&agent, "host"),
                ability: s(&ability, "ability_name"),
                description: s(&ability, "ability_description"),
                technique: s(&attack, "technique_id"),
                status,
                at,
                operation: s(&op, "operation_name"),
            },
        )? {
            results.push(r);
        }
    }
    Ok(ValidationFile {
        tool: "MITRE Caldera".into(),
        method: "bas".into(),
        results,
    })
}

/// Whether CSV text is an Atomic Red Team execution log.
pub fn is_atomic_csv(head: &str) -> bool {
    let first = head.lines().next().unwrap_or("").to_ascii_lowercase();
    first.contains("technique") && first.contains("test name") && first.contains("hostname")
}

/// An Invoke-AtomicRedTeam CSV execution log: `Execution Time (UTC)`,
/// `Technique`, `Test Number`, `Test Name`, `Hostname`, `IP Address`,
/// `Username`, `GUID`, `ProcessId`, `ExitCode`. Exit code 0 is a success
/// (the technique worked: exploitable), anything else a failure.
pub fn parse_atomic_csv(bytes: &[u8], file: &str) -> Result<ValidationFile, ValidateError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| ValidateError::File {
            file: file.into(),
            cause: e.to_string(),
        })?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| ValidateError::File {
            file: file.into(),
            cause: format!("the Atomic Red Team log has no `{name}` column"),
        })
    };
    let (time, technique, test, host) = (
        need("execution time (utc)")?,
        need("technique")?,
        need("test name")?,
        need("hostname")?,
    );
    let exit = col("exitcode");
    let ip = col("ip address");
    let mut results = Vec::new();
    for (i, row) in rdr.records().enumerate() {
        let row = row.map_err(|e| ValidateError::Record {
            file: file.into(),
            record: i + 1,
            cause: e.to_string(),
        })?;
        let get = |c: usize| row.get(c).unwrap_or("").trim();
        let at_text = get(time);
        let at = parse_time(at_text)
            .or_else(|| parse_time(&at_text.replacen(' ', "T", 1)))
            .or_else(|| parse_time(&format!("{}Z", at_text.replacen(' ', "T", 1))))
            .ok_or_else(|| ValidateError::Record {
                file: file.into(),
                record: i + 1,
                cause: format!("execution time `{at_text}` is not a date and time"),
            })?;
        let code: Option<i64> = exit.and_then(|c| get(c).parse().ok());
        let (state, reason) = match code {
            Some(0) | None => (ValidationState::Exploitable, None),
            Some(c) => (
                ValidationState::NotExploitable,
                Some(format!("atomic test `{}` exited with code {c}", get(test))),
            ),
        };
        let asset = match (get(host), ip.map(get)) {
            ("", Some(ip)) => ip.to_string(),
            (h, _) => h.to_string(),
        };
        let weakness = weakness_in(get(test)).unwrap_or_else(|| get(technique).to_string());
        results.push(ValidationResult {
            asset,
            weakness,
            state,
            control: None,
            reason,
            evidence: Some(format!(
                "Atomic Red Team {} `{}`",
                get(technique),
                get(test)
            )),
            at,
        });
    }
    if results.is_empty() {
        return Err(ValidateError::File {
            file: file.into(),
            cause: "the Atomic Red Team log has no executions".into(),
        });
    }
    Ok(ValidationFile {
        tool: "Atomic Red Team".into(),
        method: "bas".into(),
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weakness_ids_in_text() {
        assert_eq!(
            weakness_in("Exploit cve-2021-44228 (Log4Shell)").as_deref(),
            Some("CVE-2021-44228")
        );
        assert_eq!(
            weakness_in("CVE-21-1 then CVE-2023-4966").as_deref(),
            Some("CVE-2023-4966")
        );
        assert_eq!(weakness_in("Find files"), None);
        assert_eq!(
            weakness_in("GHSA-JFH8-C2JP-5V3Q").as_deref(),
            Some("GHSA-jfh8-c2jp-5v3q")
        );
    }

    #[test]
    fn atomic_red_team_csv() {
        let csv = "Execution Time (UTC),Execution Time (Local),Technique,Test Number,Test Name,Hostname,IP Address,Username,GUID,ProcessId,ExitCode\n\
                   2026-11-20 10:00:00,2026-11-20 11:00:00,T1190,1,Exploit CVE-2021-44228 against app,APP-01,10.20.10.15,red,abc,123,0\n\
                   2026-11-20 10:05:00,2026-11-20 11:05:00,T1003.001,2,Dump LSASS,WS-7,10.50.1.7,red,def,124,1\n";
        assert!(is_atomic_csv(csv));
        let f = parse_atomic_csv(csv.as_bytes(), "art.csv").expect("valid log");
        assert_eq!(f.results.len(), 2);
        assert_eq!(f.results[0].weakness, "CVE-2021-44228");
        assert_eq!(f.results[0].state, ValidationState::Exploitable);
        assert_eq!(f.results[1].weakness, "T1003.001");
        assert_eq!(f.results[1].state, ValidationState::NotExploitable);
        let bad = csv.replace("2026-11-20 10:05:00", "yesterday");
        let e = parse_atomic_csv(bad.as_bytes(), "art.csv").expect_err("bad time");
        assert_eq!(
            e.to_string(),
            "art.csv: record 2: execution time `yesterday` is not a date and time"
        );
    }
}
