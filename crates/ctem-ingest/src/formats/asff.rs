//! AWS Security Hub findings in the AWS Security Finding Format (ASFF):
//! `{"Findings": [...]}` (any case of the key, as `aws securityhub
//! get-findings` and exports write it) or a bare array of findings.
//!
//! Streaming: the findings array is read one finding at a time.
//!
//! Mapping (tool `aws-securityhub`):
//! - asset: one finding per entry of `Resources[]`, a `cloud_resource` with
//!   `cloud_id` = the resource `Id` (an ARN, or `AWS::::Account:<id>` for
//!   account-level checks) and `cloud_account` = `AwsAccountId`; a finding
//!   without resources is about the account itself. Every resource of every
//!   finding (skipped ones too) is recorded as scanned.
//! - weakness: `Vulnerabilities[].Id` (CVE first, GHSA and vendor ids as
//!   aliases), component from the first `VulnerablePackages` entry
//!   (`Name`, `Version`-`Release`, `FixedInVersion`), CVSS `BaseVector` and
//!   `BaseScore` of the first `Cvss` entry, as given. Without
//!   vulnerabilities, a control finding (`Compliance` present, or a
//!   `Compliance.SecurityControlId` / `ProductFields.ControlId` /
//!   standards `GeneratorId`) is a `misconfiguration` whose id is the
//!   control id (`IAM.5`) with the `GeneratorId` as alias; a CVE in the
//!   title (Inspector findings without `Vulnerabilities`) is used as a CVE;
//!   anything else (GuardDuty, Macie, partners) is a vendor weakness named
//!   by the `GeneratorId`, or the last part of `Types[0]` when the generator
//!   is an ARN (a GuardDuty detector).
//! - severity: `Severity.Label`, else `Severity.Normalized` by ASFF's ranges.
//! - skipped (counted): `RecordState` ARCHIVED, `Workflow.Status` (or the
//!   legacy `WorkflowState`) SUPPRESSED or RESOLVED, `Compliance.Status`
//!   PASSED or NOT_AVAILABLE: none of them is an open exposure.

use super::records::{self, ArrayDoc, aws_account_id, cloud, finding, run_json, weakness};
use crate::json::{LList, LNum, LObj, LStr};
use crate::registry::{first_significant, has_json_key, json_key_value};
use crate::text::find_cve;
use crate::{Ctx, Format, IngestError};
use ctem_model::{AssetIdentity, Component, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::DeserializeSeed;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "asff",
    description: "AWS Security Hub findings (ASFF JSON: Security Hub controls, Inspector, GuardDuty, partners)",
    sniff,
    parse,
};

const TOOL: &str = "aws-securityhub";

fn sniff(head: &[u8]) -> bool {
    if !matches!(first_significant(head), Some(b'{' | b'[')) {
        return false;
    }
    let schema = json_key_value(head, "SchemaVersion").is_some_and(|v| v.starts_with(b"\"20"));
    schema
        || (has_json_key(head, "ProductArn")
            && (has_json_key(head, "GeneratorId") || has_json_key(head, "AwsAccountId")))
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool(TOOL);
    run_json(input, ctx, |ctx, de| {
        ArrayDoc {
            ctx,
            keys: &["Findings"],
            name: "Findings",
            elem: &mut records::each(one),
        }
        .deserialize(de)
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Asff {
    #[serde(rename = "GeneratorId")]
    generator_id: LStr,
    #[serde(rename = "AwsAccountId")]
    account: LStr,
    #[serde(rename = "Types")]
    types: LList<LStr>,
    #[serde(rename = "Title")]
    title: LStr,
    #[serde(rename = "Description")]
    description: LStr,
    #[serde(rename = "Severity")]
    severity: LObj<AsffSeverity>,
    #[serde(rename = "Resources")]
    resources: LList<LObj<Resource>>,
    #[serde(rename = "Compliance")]
    compliance: LObj<Compliance>,
    #[serde(rename = "ProductFields")]
    product_fields: LObj<ProductFields>,
    #[serde(rename = "Vulnerabilities")]
    vulnerabilities: LList<LObj<Vulnerability>>,
    #[serde(rename = "RecordState")]
    record_state: LStr,
    #[serde(rename = "Workflow")]
    workflow: LObj<Workflow>,
    #[serde(rename = "WorkflowState")]
    workflow_state: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AsffSeverity {
    #[serde(rename = "Label")]
    label: LStr,
    #[serde(rename = "Normalized")]
    normalized: LNum,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    #[serde(rename = "Id")]
    id: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Compliance {
    #[serde(rename = "Status")]
    status: LStr,
    #[serde(rename = "SecurityControlId")]
    control_id: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProductFields {
    #[serde(rename = "ControlId")]
    control_id: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Workflow {
    #[serde(rename = "Status")]
    status: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vulnerability {
    #[serde(rename = "Id")]
    id: LStr,
    #[serde(rename = "VulnerablePackages")]
    packages: LList<LObj<Package>>,
    #[serde(rename = "Cvss")]
    cvss: LList<LObj<Cvss>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Package {
    #[serde(rename = "Name")]
    name: LStr,
    #[serde(rename = "Version")]
    version: LStr,
    #[serde(rename = "Release")]
    release: LStr,
    #[serde(rename = "FixedInVersion")]
    fixed: LStr,
    #[serde(rename = "FilePath")]
    file_path: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cvss {
    #[serde(rename = "BaseVector")]
    vector: LStr,
    #[serde(rename = "BaseScore")]
    score: LNum,
}

fn is(v: &LStr, values: &[&str]) -> bool {
    v.get()
        .is_some_and(|s| values.iter().any(|x| s.eq_ignore_ascii_case(x)))
}

/// ASFF's documented ranges for `Severity.Normalized` (0–100).
fn from_normalized(n: f64) -> Severity {
    match n {
        n if n >= 90.0 => Severity::Critical,
        n if n >= 70.0 => Severity::High,
        n if n >= 40.0 => Severity::Medium,
        n if n >= 1.0 => Severity::Low,
        _ => Severity::Info,
    }
}

fn one(ctx: &mut Ctx<'_>, a: Asff) -> Result<(), IngestError> {
    let account = a.account.owned();
    let mut assets: Vec<AssetIdentity> = a
        .resources
        .0
        .iter()
        .filter_map(|r| r.get()?.id.owned())
        .map(|id| cloud(id, account.clone()))
        .collect();
    if assets.is_empty() {
        let id = account
            .as_deref()
            .map(aws_account_id)
            .unwrap_or_else(|| crate::text::file_stem(&ctx.file));
        assets.push(cloud(id, account.clone()));
    }
    for asset in &assets {
        ctx.scanned(asset);
    }
    let compliance = a.compliance.get();
    let inactive = is(&a.record_state, &["ARCHIVED"])
        || a.workflow
            .get()
            .is_some_and(|w| is(&w.status, &["SUPPRESSED", "RESOLVED"]))
        || is(&a.workflow_state, &["RESOLVED"])
        || compliance.is_some_and(|c| is(&c.status, &["PASSED", "NOT_AVAILABLE"]));
    if inactive {
        ctx.skip();
        return Ok(());
    }

    let generator = a.generator_id.owned();
    let vulns: Vec<&Vulnerability> = a.vulnerabilities.0.iter().filter_map(LObj::get).collect();
    let vuln_ids: Vec<String> = vulns.iter().filter_map(|v| v.id.owned()).collect();
    let control = compliance
        .and_then(|c| c.control_id.owned())
        .or_else(|| a.product_fields.get().and_then(|p| p.control_id.owned()))
        .or_else(|| {
            let g = generator.as_deref()?;
            (g.contains("/v/") || g.starts_with("arn:aws:securityhub"))
                .then(|| g.rsplit('/').next().map(str::to_string))
                .flatten()
        });
    let title_cve = a.title.get().and_then(find_cve);
    let mut w: Weakness = if let Some(w) = Weakness::from_ids(&vuln_ids, WeaknessKind::Vendor) {
        w
    } else if let Some(c) = control.filter(|_| title_cve.is_none()) {
        let mut w = weakness(WeaknessKind::Misconfiguration, &c);
        if let Some(g) = generator.as_ref().filter(|g| **g != c) {
            w.aliases.push(g.clone());
        }
        w
    } else if let Some(cve) = title_cve {
        weakness(WeaknessKind::Cve, &cve)
    } else {
        let id = generator
            .clone()
            .filter(|g| !g.starts_with("arn:"))
            .or_else(|| {
                a.types
                    .0
                    .iter()
                    .find_map(LStr::get)
                    .and_then(|t| t.rsplit('/').next())
                    .map(str::to_string)
            })
            .or_else(|| generator.clone())
            .or_else(|| a.title.owned());
        let Some(id) = id else {
            ctx.skip();
            return Ok(());
        };
        weakness(WeaknessKind::Vendor, &id)
    };
    if let Some(g) = generator
        .as_ref()
        .filter(|g| w.kind == WeaknessKind::Vendor && **g != w.id && !w.aliases.contains(g))
    {
        w.aliases.push(g.clone());
    }

    let sev = a.severity.get();
    let severity = sev
        .and_then(|s| s.label.get())
        .and_then(Severity::parse_loose)
        .or_else(|| sev.and_then(|s| s.normalized.0).map(from_normalized))
        .unwrap_or(Severity::Info);
    let title = a.title.owned().unwrap_or_else(|| w.id.clone());
    let package = vulns
        .iter()
        .find_map(|v| v.packages.0.iter().find_map(LObj::get));
    let component = package.and_then(|p| {
        Some(Component {
            name: p.name.owned()?,
            version: match (p.version.get(), p.release.get()) {
                (Some(v), Some(r)) => Some(format!("{v}-{r}")),
                (v, _) => v.map(str::to_string),
            },
            purl: None,
            fixed_version: p.fixed.owned(),
        })
    });
    let location = package.and_then(|p| p.file_path.owned());
    let cvss = vulns
        .iter()
        .flat_map(|v| v.cvss.0.iter().filter_map(LObj::get))
        .find(|c| c.vector.get().is_some());

    for asset in &assets {
        let mut f = finding(TOOL, asset, w.clone(), title.clone(), severity);
        f.component = component.clone();
        f.location = location.clone();
        if let Some(c) = cvss {
            f.cvss_vector = c.vector.owned();
            f.cvss_score = c.score.0;
        }
        f.rule_id = generator.clone();
        f.description = a.description.owned();
        ctx.emit(f)?;
    }
    Ok(())
}
