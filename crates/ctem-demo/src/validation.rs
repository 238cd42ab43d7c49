//! The red-team result file in ctem's generic validation format
//! (`ctem-validation/1`).

use crate::dates;
use crate::estate::Validation;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct ResultOut<'a> {
    asset: &'a str,
    weakness: &'a str,
    result: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    control: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    evidence: &'a str,
    at: String,
}

#[derive(Serialize)]
struct File<'a> {
    format: &'static str,
    tool: &'static str,
    method: &'static str,
    results: Vec<ResultOut<'a>>,
}

/// Writes the results; times are `now` minus each result's offset.
pub(crate) fn write(now: i64, results: &[Validation], out: &mut impl Write) -> io::Result<()> {
    let day0 = now - now.rem_euclid(dates::DAY);
    let file = File {
        format: "ctem-validation/1",
        tool: "atlantica-red-team",
        method: "red_team",
        results: results
            .iter()
            .map(|v| ResultOut {
                asset: &v.asset,
                weakness: v.weakness,
                result: v.result,
                control: v.control,
                reason: v.reason,
                evidence: v.evidence,
                at: dates::rfc3339(day0 - v.days_ago * dates::DAY + v.minute * 60),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &file).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}
