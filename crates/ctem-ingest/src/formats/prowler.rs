//! Prowler cloud security checks, in every output form seen in the wild:
//! - CSV v2 (`PROFILE,ACCOUNT_NUM,REGION,TITLE_ID,CHECK_RESULT,…`, comma
//!   separated) and v3/v4 (`;` separated, `CHECK_ID`, `STATUS`, `SEVERITY`,
//!   `RESOURCE_ARN`/`RESOURCE_UID`, `MUTED`); the separator is taken from
//!   the header line, columns are found by name;
//! - JSON v2 (JSON lines: `Account Number`, `Control`, `Control ID`,
//!   `Status`, `Resource ID`), v3 native JSON (array: `CheckID`,
//!   `CheckTitle`, `Status`, `ResourceArn`, `AccountId`) and v3/v4 OCSF
//!   (`*.ocsf.json`, array of detection findings: `status_code`,
//!   `finding_info.uid/title`, `severity`, `resources[].uid`,
//!   `cloud.account.uid`, `metadata.event_code`).
//!
//! Streaming: CSV record by record; JSON arrays element by element; JSON
//! lines value by value.
//!
//! Mapping (tool `prowler`):
//! - status FAIL → a `misconfiguration` weakness whose id is the check id
//!   (`iam_root_mfa_enabled`, v2 `check114` with the CIS number `1.14` as
//!   alias); PASS, MANUAL, INFO and muted or suppressed results are skipped
//!   (counted).
//! - asset: a `cloud_resource` with `cloud_id` = the resource ARN/uid and
//!   `cloud_account` = the account; when the resource has no ARN (v2 reports,
//!   account-level checks) the asset is the account (`AWS::::Account:<id>`,
//!   as Security Hub names it) and the location is `region:resource` (v2
//!   CSV: `region:` + the result text, the only thing that tells resources
//!   apart there). Every asset of every row is recorded as scanned.
//! - title: the check title (v2: the control text without `[checkNN]`);
//!   description: the result text (`StatusExtended`, `Message`) and the risk.
//! - severity: as given (`critical` … `informational`).

use super::records::{
    self, aws_account_id, cloud, finding, join_text, peek_delimiter, peek_first, run_csv, run_json,
};
use crate::json::{LList, LObj, LStr};
use crate::registry::{first_significant, has_json_key};
use crate::{Ctx, Format, IngestError};
use ctem_model::{Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use std::io::BufRead;

pub(crate) static FORMAT: Format = Format {
    name: "prowler",
    description: "Prowler checks (CSV v2/v3/v4, JSON v2 lines, v3 JSON, v3/v4 OCSF JSON)",
    sniff,
    parse,
};

const TOOL: &str = "prowler";

fn sniff(head: &[u8]) -> bool {
    match first_significant(head) {
        Some(b'{' | b'[') => {
            (has_json_key(head, "Account Number") && has_json_key(head, "Control ID"))
                || (has_json_key(head, "FindingUniqueId") && has_json_key(head, "CheckID"))
                || (has_json_key(head, "status_code")
                    && has_json_key(head, "finding_info")
                    && String::from_utf8_lossy(head)
                        .to_ascii_lowercase()
                        .contains("prowler"))
        }
        Some(_) => {
            let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
            let line = String::from_utf8_lossy(line).to_ascii_uppercase();
            let cols: Vec<&str> = line.split([',', ';']).map(str::trim).collect();
            let has = |c: &str| cols.contains(&c);
            (has("TITLE_ID") && has("CHECK_RESULT"))
                || (has("CHECK_ID") && has("STATUS") && has("SEVERITY") && has("PROVIDER"))
        }
        None => false,
    }
}

fn parse(input: &mut dyn BufRead, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    ctx.tool(TOOL);
    match peek_first(input) {
        Some(b'{' | b'[') | None => run_json(input, ctx, |ctx, de| {
            records::each_value(ctx, de, "findings", &mut records::each(json_record))
        }),
        Some(_) => {
            let delimiter = peek_delimiter(input);
            run_csv(input, ctx, delimiter, |ctx, h, row| {
                let get = |names: &[&str]| h.get(row, names).map(str::to_string);
                let v2_title = get(&["title_text"]);
                let (v2_check, v2_text) = split_v2_title(v2_title.as_deref());
                let check = Check {
                    account: get(&["account_uid", "account_id", "account_num"]),
                    region: get(&["region"]),
                    check_id: get(&["check_id"]).or(v2_check),
                    alias: get(&["title_id"]),
                    title: get(&["check_title"]).or(v2_text),
                    status: get(&["status", "check_result"]),
                    muted: get(&["muted"]).is_some_and(|m| m.eq_ignore_ascii_case("true")),
                    severity: get(&["severity", "check_severity"]),
                    resource_arn: get(&["resource_arn", "resource_uid"]),
                    resource: get(&["resource_id", "resource_name"]),
                    text: get(&["status_extended", "check_result_extended"]),
                    risk: get(&["risk", "check_risk"]),
                    provider: get(&["provider"]),
                    v2_csv: h.has("check_result"),
                };
                check.emit(ctx)
            })
        }
    }
}

/// `[check114] Ensure hardware MFA …` → (`check114`, `Ensure hardware MFA …`).
fn split_v2_title(t: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(t) = t else { return (None, None) };
    if let Some((id, title)) = t.strip_prefix('[').and_then(|r| r.split_once(']')) {
        return (Some(id.trim().to_string()), Some(title.trim().to_string()));
    }
    (None, Some(t.to_string()))
}

/// One check result, whatever form it came in.
struct Check {
    account: Option<String>,
    region: Option<String>,
    check_id: Option<String>,
    alias: Option<String>,
    title: Option<String>,
    status: Option<String>,
    muted: bool,
    severity: Option<String>,
    resource_arn: Option<String>,
    resource: Option<String>,
    text: Option<String>,
    risk: Option<String>,
    provider: Option<String>,
    v2_csv: bool,
}

impl Check {
    fn emit(self, ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
        let account_asset = || {
            let id = match (self.account.as_deref(), self.provider.as_deref()) {
                (Some(a), None) => aws_account_id(a),
                (Some(a), Some(p)) if p.eq_ignore_ascii_case("aws") => aws_account_id(a),
                (Some(a), Some(p)) => format!("{p}:account:{a}"),
                (None, _) => crate::text::file_stem(&ctx.file),
            };
            cloud(id, self.account.clone())
        };
        let arn = self
            .resource_arn
            .clone()
            .or_else(|| self.resource.clone().filter(|r| r.starts_with("arn:")));
        let (asset, location) = match arn {
            Some(arn) => (cloud(arn, self.account.clone()), None),
            None => {
                let what = if self.v2_csv {
                    self.text.clone()
                } else {
                    self.resource.clone()
                };
                let location = what.map(|w| match &self.region {
                    Some(r) if !w.starts_with(&format!("{r}:")) => format!("{r}:{w}"),
                    _ => w,
                });
                (account_asset(), location)
            }
        };
        ctx.scanned(&asset);
        let failed = self
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("fail"));
        if !failed || self.muted {
            ctx.skip();
            return Ok(());
        }
        let ids: Vec<String> = [self.check_id.clone(), self.alias.clone()]
            .into_iter()
            .flatten()
            .collect();
        let Some(weakness) = Weakness::from_ids(&ids, WeaknessKind::Misconfiguration) else {
            ctx.skip();
            return Ok(());
        };
        let severity = self
            .severity
            .as_deref()
            .and_then(Severity::parse_loose)
            .unwrap_or(Severity::Medium);
        let title = self.title.clone().unwrap_or_else(|| weakness.id.clone());
        let rule = weakness.id.clone();
        let mut f = finding(TOOL, &asset, weakness, title, severity);
        f.location = location;
        f.rule_id = Some(rule);
        f.description = join_text(&[self.text.as_deref(), self.risk.as_deref()]);
        ctx.emit(f)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonRecord {
    // v2 (JSON lines)
    #[serde(rename = "Account Number")]
    account_number: LStr,
    #[serde(rename = "Control")]
    control: LStr,
    #[serde(rename = "Control ID")]
    control_id: LStr,
    #[serde(rename = "Message")]
    message: LStr,
    #[serde(rename = "Resource ID")]
    resource_id_v2: LStr,
    #[serde(rename = "Risk")]
    risk: LStr,
    // v2 and v3
    #[serde(rename = "Status")]
    status: LStr,
    #[serde(rename = "Severity")]
    severity: LStr,
    #[serde(rename = "Region")]
    region: LStr,
    // v3
    #[serde(rename = "CheckID")]
    check_id: LStr,
    #[serde(rename = "CheckTitle")]
    check_title: LStr,
    #[serde(rename = "StatusExtended")]
    status_extended: LStr,
    #[serde(rename = "ResourceId")]
    resource_id: LStr,
    #[serde(rename = "ResourceArn")]
    resource_arn: LStr,
    #[serde(rename = "AccountId")]
    account_id: LStr,
    #[serde(rename = "Provider")]
    provider: LStr,
    #[serde(rename = "Muted")]
    muted: LStr,
    // OCSF
    status_code: LStr,
    #[serde(rename = "status")]
    ocsf_status: LStr,
    status_detail: LStr,
    #[serde(rename = "severity")]
    ocsf_severity: LStr,
    finding_info: LObj<FindingInfo>,
    resources: LList<LObj<OcsfResource>>,
    cloud: LObj<Cloud>,
    metadata: LObj<Metadata>,
    risk_details: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FindingInfo {
    title: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OcsfResource {
    uid: LStr,
    name: LStr,
    region: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cloud {
    account: LObj<Account>,
    provider: LStr,
    region: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Account {
    uid: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    event_code: LStr,
}

fn json_record(ctx: &mut Ctx<'_>, r: JsonRecord) -> Result<(), IngestError> {
    let check = if r.status_code.get().is_some() || r.finding_info.get().is_some() {
        // OCSF: one finding per resource (Prowler writes one).
        let cloud_info = r.cloud.get();
        let resource = r.resources.0.iter().find_map(LObj::get);
        let suppressed = r
            .ocsf_status
            .get()
            .is_some_and(|s| s.eq_ignore_ascii_case("suppressed"));
        Check {
            account: cloud_info.and_then(|c| c.account.get()?.uid.owned()),
            region: resource
                .and_then(|x| x.region.owned())
                .or_else(|| cloud_info.and_then(|c| c.region.owned())),
            check_id: r.metadata.get().and_then(|m| m.event_code.owned()),
            alias: None,
            title: r.finding_info.get().and_then(|f| f.title.owned()),
            status: r.status_code.owned(),
            muted: suppressed,
            severity: r.ocsf_severity.owned(),
            resource_arn: resource.and_then(|x| x.uid.owned()),
            resource: resource.and_then(|x| x.name.owned()),
            text: r.status_detail.owned(),
            risk: r.risk_details.owned(),
            provider: cloud_info.and_then(|c| c.provider.owned()),
            v2_csv: false,
        }
    } else if r.check_id.get().is_some() {
        Check {
            account: r.account_id.owned(),
            region: r.region.owned(),
            check_id: r.check_id.owned(),
            alias: None,
            title: r.check_title.owned(),
            status: r.status.owned(),
            muted: r
                .muted
                .get()
                .is_some_and(|m| m.eq_ignore_ascii_case("true")),
            severity: r.severity.owned(),
            resource_arn: r.resource_arn.owned(),
            resource: r.resource_id.owned(),
            text: r.status_extended.owned(),
            risk: r.risk.owned(),
            provider: r.provider.owned(),
            v2_csv: false,
        }
    } else {
        let (check, title) = split_v2_title(r.control.get());
        Check {
            account: r.account_number.owned(),
            region: r.region.owned(),
            check_id: check,
            alias: r.control_id.owned(),
            title,
            status: r.status.owned(),
            muted: false,
            severity: r.severity.owned(),
            resource_arn: None,
            resource: r.resource_id_v2.owned(),
            text: r.message.owned(),
            risk: r.risk.owned(),
            provider: None,
            v2_csv: false,
        }
    };
    check.emit(ctx)
}
