//! Conformance against other people's reports: the DefectDojo scanner samples
//! in `$CTEM_FIXTURES/defectdojo/` and DefectDojo's expected results
//! (`EXPECTED.tsv`).
//!
//! Every Trivy, SARIF and Nessus XML sample — and every CycloneDX, Grype,
//! OSV-Scanner, Snyk and npm audit sample (ingest-a) — must parse (or, when
//! it is genuinely not that format, fail detection with the documented
//! error, or be rejected as listed in [`EXPECTED_ERRORS`]). Its
//! finding count must equal DefectDojo's, and the per-finding assertions
//! ctem can express (severity, CVE id, CWE, component name and version, CVSS,
//! file and line) must hold, except where ctem counts or maps differently on
//! purpose: those cases are listed, with the reason, in
//! [`COUNT_DIFFERENCES`] and [`ASSERTION_DIFFERENCES`], and the test checks
//! that each listed difference is still real.
//!
//! Also (ingest-b) Semgrep, ZAP, Burp, OpenVAS XML, Qualys XML, nmap, Nuclei
//! and the Tenable CSV exports; (issue 3) OWASP Dependency-Check XML.
//!
//! Not covered yet (CSV exports without a parser in ctem-ingest so far):
//! - `openvas/*.csv` (OpenVAS CSV results)
//! - `qualys/*.csv` (Qualys CSV reports)

use ctem_ingest::{IngestError, formats, parse, parse_path};
use ctem_model::{Finding, WeaknessKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The DefectDojo folders whose samples ctem reads.
const FOLDERS: &[&str] = &[
    "trivy",
    "sarif",
    "tenable",
    // ingest-a: dependency-scanner and SBOM formats
    "cyclonedx",
    "anchore_grype",
    "osv_scanner",
    "snyk",
    "npm_audit",
    // ingest-b: code, web and infrastructure formats
    "semgrep",
    "zap",
    "burp",
    "openvas",
    "qualys",
    "nmap",
    "nuclei",
    // ingest-c: cloud, IaC and secrets formats
    "awssecurityhub",
    "aws_prowler",
    "aws_prowler_v3plus",
    "checkov",
    "kics",
    "gitleaks",
    "trufflehog",
    // issue 3: OWASP Dependency-Check
    "dependency_check",
];

/// Samples that must be rejected, with a text the error must contain
/// (DefectDojo rejects them too).
const EXPECTED_ERRORS: &[(&str, &str, &str)] = &[
    // ingest-a
    (
        "npm_audit/empty_with_error.json",
        "npm audit report contains errors: ENOAUDIT",
        "npm could not audit: an error report is not a clean result",
    ),
];

/// CSV exports not parsed yet (see the module documentation).
const CSV_NOT_YET: &[&str] = &[
    "openvas/many_vuln.csv",
    "openvas/no_vuln.csv",
    "openvas/one_vuln.csv",
    "openvas/report_using_CVE.csv",
    "openvas/report_using_openVAS.csv",
    "qualys/empty.csv",
    "qualys/monthly_pci_issue6932.csv",
];

/// Samples that are genuinely not recognisable as their format, with the
/// registry format they still parse as when named explicitly and the count.
const NOT_DETECTABLE: &[(&str, &str, u64, &str)] = &[
    // ingest-a
    (
        "osv_scanner/no_findings.json",
        "osv_scanner",
        0,
        "the file is empty (osv-scanner with nothing to report): no content to recognise; \
         parsed as osv_scanner when the caller names the format",
    ),
    (
        "trivy/legacy_no_vuln.json",
        "trivy",
        0,
        "the whole file is `null` (legacy Trivy with nothing found): no content to recognise; \
         parsed as trivy when the caller names the format",
    ),
    // ingest-b
    (
        "nuclei/empty.jsonl",
        "nuclei",
        0,
        "an empty file (Nuclei found nothing): parsed as nuclei when the caller names the format",
    ),
    (
        "nuclei/no_findings.json",
        "nuclei",
        0,
        "an empty file (Nuclei found nothing): parsed as nuclei when the caller names the format",
    ),
    // ingest-c: empty reports of the cloud and secrets formats.
    (
        "aws_prowler/no_vuln.json",
        "prowler",
        0,
        "an empty file (Prowler v2 JSON lines with nothing found)",
    ),
    (
        "aws_prowler_v3plus/no_vuln.json",
        "prowler",
        0,
        "the whole file is `[]`",
    ),
    (
        "aws_prowler_v3plus/no_vuln.ocsf.json",
        "prowler",
        0,
        "the whole file is `[]`",
    ),
    (
        "gitleaks/no_findings.json",
        "gitleaks",
        0,
        "the whole file is `null`",
    ),
];

/// Samples where ctem's finding count differs from DefectDojo's on purpose:
/// (sample, DefectDojo count, ctem findings, ctem skipped, why).
const COUNT_DIFFERENCES: &[(&str, u64, u64, u64, &str)] = &[
    // issue 3: Dependency-Check
    (
        "dependency_check/PR6439.xml",
        34,
        26,
        8,
        "suppressed vulnerabilities are the team's own decision that they do not apply: \
         ctem counts them as skipped; DefectDojo imports them as mitigated findings",
    ),
    (
        "dependency_check/multiple_vulnerabilities_has_multiple_findings.xml",
        9,
        7,
        2,
        "suppressed vulnerabilities are skipped (see PR6439.xml)",
    ),
    (
        "trivy/license_scheme.json",
        19,
        0,
        19,
        "licences are compliance data, not exposures: ctem counts them as skipped",
    ),
    (
        "sarif/SuppressionTestCurrent.sarif",
        4,
        1,
        3,
        "three results carry a suppression without status (= accepted): a suppressed result \
         is not an open exposure, so ctem skips it; DefectDojo imports it as a false positive",
    ),
    (
        "sarif/appendix_k4.sarif",
        1,
        0,
        1,
        "its only result is suppressed with status `accepted`",
    ),
    (
        "tenable/nessus/nessus_v_unknown.xml",
        32,
        30,
        266,
        "DefectDojo merges items by plugin across the 7 hosts and keeps informational ones; \
         ctem emits one finding per host and item and skips the 266 severity-0 items without a CVE",
    ),
    (
        "tenable/nessus/nessus_with_cvssv3.nessus",
        48,
        146,
        22,
        "ctem emits one finding per CVE (19 items carry 138 CVEs, + 8 items without CVE) and \
         skips 22 severity-0 items without a CVE; DefectDojo emits one finding per item",
    ),
    (
        "tenable/nessus_was/nessus_was_many_vuln.xml",
        5,
        4,
        1,
        "`SSL/TLS Certificate Information` is informational (severity 0, no CVE): skipped",
    ),
    // ingest-a: dependency-scanner and SBOM formats
    (
        "cyclonedx/issue_8022.json",
        1,
        0,
        1,
        "its only vulnerability has VEX `analysis.state: not_affected`: not an exposure, skipped",
    ),
    (
        "cyclonedx/valid-vulnerability-1.4.json",
        1,
        0,
        1,
        "its only vulnerability has VEX `analysis.state: not_affected`: not an exposure, skipped",
    ),
    (
        "anchore_grype/same_cve_different_paths.json",
        1,
        2,
        0,
        "the same CVE in the same library at two paths: ctem keeps one finding per path \
         (the path is the location); DefectDojo merges them by default (2 in its detailed mode)",
    ),
    (
        "snyk/all_projects_issue4277.json",
        82,
        81,
        1,
        "one entry is a licence issue (`type: license`): compliance data, not an exposure",
    ),
    // ingest-b
    (
        "burp/issue4399.xml",
        20,
        370,
        71,
        "DefectDojo groups the 441 issues by type (one finding, many endpoints); ctem emits one \
         finding per issue and path, and skips the 71 `Information` issues",
    ),
    (
        "burp/one_finding.xml",
        1,
        3,
        0,
        "one issue type on three paths: DefectDojo groups by type, ctem keeps one finding per path",
    ),
    (
        "nmap/issue12411.xml",
        2,
        4,
        3,
        "DefectDojo merges open ports 80 and 443 of both hosts by title; ctem has one exposure per \
         host and port, and skips the 3 filtered ports",
    ),
    (
        "nuclei/issue_14071.json",
        27,
        4,
        23,
        "23 results are severity `info` without a CVE (technology detection, missing headers, \
         fingerprints): skipped",
    ),
    (
        "nuclei/issue_9201.json",
        1,
        0,
        1,
        "its only result is the `info` favicon detection: skipped",
    ),
    (
        "nuclei/many_findings_third.json",
        2,
        0,
        2,
        "both results are severity `info` without a CVE: skipped",
    ),
    (
        "nuclei/multiple_matches.json",
        2,
        0,
        2,
        "both results are `info` technology detections: skipped",
    ),
    (
        "nuclei/multiple_v3.json",
        5,
        0,
        6,
        "all six results are `info` DNS/TLS fingerprints: skipped (DefectDojo also merges two)",
    ),
    (
        "openvas/many_vuln.xml",
        44,
        76,
        0,
        "one finding per CVE: the 44 results name 55 CVEs (and 21 results have none)",
    ),
    (
        "qualys/Qualys_Sample_Report.xml",
        301,
        144,
        209,
        "the 209 `Ig` (information gathered) detections are skipped; the 92 `Vuln`/`Practice` \
         detections give one finding per CVE of their QID",
    ),
    (
        "tenable/issue_11102.csv",
        2,
        3,
        0,
        "DefectDojo merges the rows of one plugin on one host (ports 443 and 8443); ctem keeps \
         one finding per row (host and port)",
    ),
    (
        "tenable/issue_9612.csv",
        2,
        3,
        0,
        "DefectDojo merges the rows of one plugin on one host (ports 1433 and 5555); ctem keeps \
         one finding per row (host and port)",
    ),
    (
        "tenable/nessus/nessus_many_vuln.csv",
        4,
        5,
        529,
        "one finding per CVE (plugin 65821 names two); the 529 other rows are informational \
         (`None`) or empty and are skipped",
    ),
    (
        "tenable/nessus/nessus_many_vuln2-all.csv",
        29,
        2,
        28,
        "28 rows are informational (`None`) without a CVE: skipped",
    ),
    (
        "tenable/nessus/nessus_new.csv",
        99,
        150,
        0,
        "one finding per CVE: the 99 rows name 150 CVEs or plugins",
    ),
    (
        "tenable/nessus_was/nessus_was_many_vuln.csv",
        5,
        4,
        25,
        "informational (`None`) rows skipped: the same 4 findings as the `.nessus` export of \
         this scan; DefectDojo keeps one informational row",
    ),
    (
        "zap/dvwa_baseline_dojo.xml",
        19,
        12,
        7,
        "7 informational alerts (riskcode 0) are skipped",
    ),
    (
        "zap/juicy2.xml",
        6,
        4,
        2,
        "2 informational alerts (riskcode 0) are skipped",
    ),
    (
        "zap/some_2.9.0.xml",
        7,
        6,
        1,
        "1 informational alert (riskcode 0) is skipped",
    ),
    (
        "zap/zap-results-first-scan.xml",
        15,
        11,
        4,
        "4 informational alerts (riskcode 0) are skipped",
    ),
    (
        "zap/zap_2.16.1_with_req_resp.xml",
        4,
        0,
        4,
        "all four alerts are informational (riskcode 0): skipped",
    ),
    // ingest-c: cloud and secrets formats.
    (
        "awssecurityhub/config_many_findings.json",
        3,
        0,
        3,
        "all three controls have `Compliance.Status` PASSED: not exposures (DefectDojo imports \
         them as mitigated)",
    ),
    (
        "awssecurityhub/config_one_finding.json",
        1,
        0,
        1,
        "its control has `Compliance.Status` PASSED (DefectDojo: mitigated, inactive)",
    ),
    (
        "aws_prowler/issue4450.csv",
        4,
        3,
        1,
        "one row is PASS: skipped (DefectDojo imports it as inactive)",
    ),
    (
        "gitleaks/version_7.5.0.json",
        4,
        8,
        0,
        "each leak appears in two commits: ctem emits one finding per commit (each is evidence), \
         which the store merges into 4 exposures (same rule, file and line); DefectDojo dedups \
         while parsing",
    ),
    (
        "trufflehog/v2_many_vulns.json",
        18,
        64,
        0,
        "one finding per commit; the store merges them into 18 exposures (same reason and \
         path); DefectDojo dedups while parsing",
    ),
    (
        "trufflehog/v3_git.json",
        3,
        4,
        0,
        "two lines are the same secret at the same place: one exposure in the store; DefectDojo \
         dedups while parsing",
    ),
];

/// Per-finding assertions of EXPECTED.tsv that ctem does not meet on purpose:
/// (sample, assertion as written in EXPECTED.tsv, why).
const ASSERTION_DIFFERENCES: &[(&str, &str, &str)] = &[
    // issue 3: Dependency-Check
    (
        "dependency_check/single_vuln.xml",
        "finding[0].cvssv3=None",
        "a schema 1.x report carries CVSS v2 only: ctem keeps the v2 vector and score as the \
         source gave them; DefectDojo keeps v3 only",
    ),
    (
        "dependency_check/single_vuln.xml",
        "finding[0].cvssv3_score=None",
        "see finding[0].cvssv3",
    ),
    (
        "trivy/kubernetes.json",
        "finding[0].file_path=gcr.io/google_samples/gb-redis-follower:v2 (debian 10.4)",
        "an OS package has no location in ctem: the image is the asset, and the location is \
         part of the exposure fingerprint",
    ),
    (
        "sarif/bash-report.sarif",
        "finding[6].severity=Info",
        "SARIF level `note` is low in ctem (DefectDojo: info)",
    ),
    (
        "sarif/dependency_check.sarif",
        "finding[6].title=CVE-2019-11358 - jQuery before 3.4.0, as used in Drupal, Backdrop CMS, and other products, mishandles jQuery.extend(true, {}, ...) because of [...]",
        "ctem cuts titles at 200 characters on the first line, DefectDojo at 150 with `[...]`",
    ), // ingest-b
    (
        "burp/seven_findings.xml",
        "finding[0].vuln_id_from_tool=5245344",
        "the counts agree by coincidence: DefectDojo groups the 16 issues into 7 types, its \
         finding[0] being the informational `Frameable response`; ctem's 7 are the 7 \
         non-informational issues, so its finding[0] is another issue",
    ),
    (
        "burp/seven_findings.xml",
        "finding[0].severity=Info",
        "the counts agree by coincidence: DefectDojo groups the 16 issues into 7 types, its \
         finding[0] being the informational `Frameable response`; ctem's 7 are the 7 \
         non-informational issues, so its finding[0] is another issue",
    ),
    (
        "burp/seven_findings.xml",
        "finding[0].title=Frameable response (potential Clickjacking)",
        "the counts agree by coincidence: DefectDojo groups the 16 issues into 7 types, its \
         finding[0] being the informational `Frameable response`; ctem's 7 are the 7 \
         non-informational issues, so its finding[0] is another issue",
    ),
    // ingest-a: dependency-scanner and SBOM formats
    (
        "cyclonedx/spec1.xml",
        "finding[0].cvssv3=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "the report gives `AV:N/…` without version prefix: ctem keeps vectors as given",
    ),
    (
        "cyclonedx/spec1_lowfirst.xml",
        "finding[0].cvssv3=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "the report gives `AV:N/…` without version prefix: ctem keeps vectors as given",
    ),
    (
        "osv_scanner/some_findings.json",
        "finding[0].severity=Low",
        "the record has no severity at all: ctem says info, DefectDojo defaults to low",
    ),
    (
        "npm_audit/cwe_null.json",
        "finding[0].cwe=1035",
        "`cwe` is null: ctem records no CWE; 1035 is DefectDojo's default",
    ),
    // ingest-c
    (
        "aws_prowler/many_vuln.csv",
        "finding[3].severity=Low",
        "Prowler says `Informational`: ctem keeps it (info); DefectDojo maps it to low",
    ),
    (
        "checkov/checkov-report-multiple-check_type.json",
        "finding[11].line=0",
        "a whole-file check (line range 0–0): ctem's location is the file alone, no line 0",
    ),
];

/// Attributes ctem maps differently for a whole tool: (tool folder,
/// attribute, why). Assertions on them are not compared.
const ATTRIBUTE_DIFFERENCES: &[(&str, &str, &str)] = &[
    // ingest-a: DefectDojo builds titles `<component>:<version> | <id>` (CycloneDX),
    // `<id>_<package>` (OSV) and `<package>@<version>: <title>` (Snyk); ctem keeps
    // the tool's title, else `<id> in <component> <version>`, and the parts in
    // their own fields.
    ("cyclonedx", "title", "see above"),
    ("osv_scanner", "title", "see above"),
    ("snyk", "title", "see above"),
    // issue 3: DefectDojo titles Dependency-Check findings `<component>:<version> | <id>`.
    ("dependency_check", "title", "see above"),
    (
        "snyk",
        "file_path",
        "DefectDojo's file path is the dependency path (`a > b > c`); ctem's location is the \
         manifest (`displayTargetFile`) and the path goes to the description",
    ),
    (
        "trivy",
        "title",
        "ctem keeps Trivy's own title (`Title` of the vulnerability or check); DefectDojo builds \
         `<id> <package> <version>` or `<check id> - <title>`, which ctem keeps in separate fields",
    ),
    // ingest-b
    (
        "nmap",
        "title",
        "ctem's titles name the service and product (`Open port: 22/tcp (ssh OpenSSH 7.4)`, \
         `CVE-… in openssh 7.4`); DefectDojo's are `Open port: 22/tcp` and the bare vulners id",
    ),
    // ingest-c
    (
        "aws_prowler",
        "title",
        "ctem's title is the check title (stable across resources); DefectDojo uses the \
         per-resource result text, which ctem keeps in the description",
    ),
    (
        "kics",
        "title",
        "ctem keeps KICS's `query_name`; DefectDojo prefixes the category",
    ),
    (
        "kics",
        "component_name",
        "KICS's platform (`Terraform`, `Common`) is not a software component",
    ),
    (
        "checkov",
        "component_name",
        "Checkov's resource (`aws_db_instance.default`) is not a software component: ctem \
         keeps it in the description",
    ),
    (
        "awssecurityhub",
        "title",
        "ctem keeps the ASFF `Title`; DefectDojo appends the image or resource to it, which \
         ctem has as the asset",
    ),
    (
        "aws_prowler_v3plus",
        "component_name",
        "DefectDojo's component is the resource ARN, which is ctem's asset (`cloud_id`)",
    ),
    (
        "awssecurityhub",
        "component_name",
        "DefectDojo names the component after the resource type (`AwsAccount`); ctem's \
         component is the vulnerable package, when there is one",
    ),
];

/// One row of EXPECTED.tsv.
struct Expected {
    count: Option<u64>,
    assertions: Vec<String>,
}

fn root() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("CTEM_FIXTURES") else {
        eprintln!("skipped: CTEM_FIXTURES not set");
        return None;
    };
    let dd = PathBuf::from(dir).join("defectdojo");
    assert!(
        dd.join("EXPECTED.tsv").is_file(),
        "CTEM_FIXTURES is set but {} has no EXPECTED.tsv",
        dd.display()
    );
    Some(dd)
}

/// EXPECTED.tsv rows of the trivy, sarif and tenable samples, by sample file.
fn expected(dd: &Path) -> BTreeMap<String, Vec<Expected>> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .has_headers(true)
        .flexible(true)
        .from_path(dd.join("EXPECTED.tsv"))
        .expect("EXPECTED.tsv opens");
    let mut out: BTreeMap<String, Vec<Expected>> = BTreeMap::new();
    for row in rdr.records() {
        let row = row.expect("EXPECTED.tsv row");
        let tool = row.get(0).unwrap_or("");
        if !FOLDERS.contains(&tool) {
            continue;
        }
        let file = row.get(1).unwrap_or("").to_string();
        let count = row.get(2).and_then(|c| c.trim().parse::<u64>().ok());
        // Quoting is off: a field that was quoted in the TSV keeps its quotes
        // and doubles inner quotes.
        let other = row.get(3).unwrap_or("");
        let other = match other.strip_prefix('"').and_then(|o| o.strip_suffix('"')) {
            Some(inner) => inner.replace("\"\"", "\""),
            None => other.to_string(),
        };
        let assertions = other
            .split("; ")
            .map(str::trim)
            .filter(|a| a.starts_with("finding["))
            .map(str::to_string)
            .collect();
        out.entry(file)
            .or_default()
            .push(Expected { count, assertions });
    }
    out
}

/// Every sample under the folders of the formats ctem reads.
fn samples(dd: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    for folder in FOLDERS {
        walk(&dd.join(folder), dd, &mut out);
    }
    // Notes next to the samples, not reports.
    out.retain(|rel| !rel.ends_with(".md"));
    out.sort();
    out
}

/// Checks one `finding[i].attr=value` (or `finding[i].attr is None`)
/// assertion; `None` when ctem has no equivalent of the attribute.
fn check(findings: &[Finding], assertion: &str) -> Option<Result<(), String>> {
    let rest = assertion.strip_prefix("finding[")?;
    let (index, rest) = rest.split_once("].")?;
    let index: i64 = index.parse().ok()?;
    let i = if index < 0 {
        findings.len().checked_sub(index.unsigned_abs() as usize)?
    } else {
        index as usize
    };
    let Some(f) = findings.get(i) else {
        return Some(Err(format!("ctem has no finding[{index}]")));
    };
    let fail = |got: String| Some(Err(format!("ctem has {got}")));
    if rest == "unsaved_vulnerability_ids is None" {
        return match f.weakness.kind {
            WeaknessKind::Cve | WeaknessKind::Ghsa => fail(f.weakness.id.clone()),
            _ => Some(Ok(())),
        };
    }
    let (attr, value) = rest.split_once('=')?;
    let ok = match attr {
        "severity" => f.severity.as_str().eq_ignore_ascii_case(value),
        "title" => f.title == value,
        "cvssv3" => f.cvss_vector.as_deref() == Some(value),
        "cvssv3_score" => {
            f.cvss_score.map(|s| format!("{s}"))
                == value.parse::<f64>().ok().map(|v| format!("{v}"))
        }
        "component_name" => f.component.as_ref().map(|c| c.name.as_str()) == Some(value),
        "component_version" => {
            f.component.as_ref().and_then(|c| c.version.as_deref()) == Some(value)
        }
        "mitigation" if f.tool == "trivy" && f.weakness.kind != WeaknessKind::Misconfiguration => {
            f.component
                .as_ref()
                .and_then(|c| c.fixed_version.as_deref())
                == Some(value)
        }
        // ingest-b: the scanner's own id (rule, plugin, issue type, vulners id).
        "vuln_id_from_tool" => {
            f.rule_id.as_deref() == Some(value)
                || f.weakness.id == value
                || f.weakness.aliases.iter().any(|a| a == value)
        }
        "unsaved_vulnerability_ids[0]" => {
            f.weakness.id == value || f.weakness.aliases.iter().any(|a| a == value)
        }
        "cwe" => match value {
            "0" | "None" => f.weakness.cwes.is_empty(),
            n => {
                let n = n.strip_prefix("CWE-").unwrap_or(n);
                f.weakness.cwes.first().map(String::as_str) == Some(&format!("CWE-{n}"))
            }
        },
        "file_path" => match &f.location {
            Some(l) => value.is_empty() || l == value || l.starts_with(&format!("{value}:")),
            None => value.is_empty(),
        },
        "line" => f
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with(&format!(":{value}"))),
        _ => return None,
    };
    if ok {
        Some(Ok(()))
    } else {
        fail(format!("{f:?}"))
    }
}

#[test]
fn defectdojo_samples() {
    let Some(dd) = root() else { return };
    let expected = expected(&dd);
    let mut checked_counts = 0;
    let mut checked_assertions = 0;
    let mut failures: Vec<String> = Vec::new();

    for rel in samples(&dd) {
        if CSV_NOT_YET.contains(&rel.as_str()) {
            eprintln!("not covered yet (CSV): {rel}");
            continue;
        }
        let path = dd.join(&rel);
        if let Some((_, text, why)) = EXPECTED_ERRORS.iter().find(|x| x.0 == rel) {
            match parse_path(&path, &mut |_| Ok(())) {
                Ok(s) => failures.push(format!("{rel}: expected an error ({why}), got {s:?}")),
                Err(e) if e.to_string().contains(text) => {}
                Err(e) => failures.push(format!("{rel}: expected `{text}`, got {e}")),
            }
            continue;
        }
        let mut findings = Vec::new();
        let result = parse_path(&path, &mut |f| {
            findings.push(f);
            Ok(())
        });
        let summary = match (result, NOT_DETECTABLE.iter().find(|n| n.0 == rel)) {
            (Ok(s), None) => s,
            (Err(e), None) => {
                failures.push(format!("{rel}: does not parse: {e}"));
                continue;
            }
            (Ok(_), Some(_)) => {
                failures.push(format!("{rel}: listed as not detectable but was detected"));
                continue;
            }
            (Err(e), Some((_, format, count, why))) => {
                assert!(matches!(e, IngestError::UnknownFormat { .. }), "{rel}: {e}");
                let f = formats().iter().find(|f| f.name == *format).copied();
                let f = f.unwrap_or_else(|| panic!("{rel}: format {format} not registered"));
                let bytes = std::fs::read(&path).expect("read");
                let s = parse(f, &bytes[..], &rel, &mut |_| Ok(()))
                    .unwrap_or_else(|e| panic!("{rel} as {format}: {e}"));
                assert_eq!(s.findings, *count, "{rel}");
                eprintln!("not detectable on purpose: {rel}: {why}");
                continue;
            }
        };
        assert_eq!(summary.findings, findings.len() as u64, "{rel}");

        let rows = expected.get(&rel).map(Vec::as_slice).unwrap_or_default();
        let dd_count = rows.iter().find_map(|r| r.count);
        let difference = COUNT_DIFFERENCES.iter().find(|d| d.0 == rel);
        match (dd_count, difference) {
            (Some(want), None) => {
                checked_counts += 1;
                if summary.findings != want {
                    failures.push(format!(
                        "{rel}: ctem {} findings, DefectDojo {want}",
                        summary.findings
                    ));
                }
            }
            (Some(want), Some((_, dd_n, ctem_n, skipped, why))) => {
                checked_counts += 1;
                assert_eq!(
                    want, *dd_n,
                    "{rel}: DefectDojo's count changed; update the table"
                );
                if (summary.findings, summary.skipped) != (*ctem_n, *skipped) {
                    failures.push(format!(
                        "{rel}: documented difference no longer holds: ctem {} findings {} skipped, \
                         table says {ctem_n} and {skipped} ({why})",
                        summary.findings, summary.skipped
                    ));
                }
            }
            (None, Some(_)) => {
                failures.push(format!("{rel}: count difference listed, no count expected"))
            }
            (None, None) => {}
        }

        // Finding indexes are comparable only when the counts agree.
        let comparable = dd_count.is_none_or(|n| n == summary.findings);
        for a in rows.iter().flat_map(|r| r.assertions.iter()) {
            let tool = rel.split('/').next().unwrap_or("");
            let attr = a
                .split_once("].")
                .map(|(_, r)| r.split(['=', ' ']).next().unwrap_or(""))
                .unwrap_or("");
            if ATTRIBUTE_DIFFERENCES
                .iter()
                .any(|d| d.0 == tool && d.1 == attr)
            {
                continue;
            }
            let documented = ASSERTION_DIFFERENCES
                .iter()
                .find(|d| d.0 == rel && d.1 == a.as_str());
            if !comparable {
                continue;
            }
            match (check(&findings, a), documented) {
                (None, None) => {}
                (Some(Ok(())), None) => checked_assertions += 1,
                (Some(Err(why)), None) => failures.push(format!("{rel}: {a}: {why}")),
                (Some(Ok(())), Some(_)) => {
                    failures.push(format!("{rel}: {a}: listed as a difference but holds"))
                }
                (Some(Err(_)), Some(_)) => checked_assertions += 1,
                (None, Some(_)) => failures.push(format!("{rel}: {a}: listed but not checkable")),
            }
        }
    }
    for (rel, ..) in COUNT_DIFFERENCES {
        assert!(dd.join(rel).is_file(), "{rel}: listed but missing");
    }
    eprintln!("checked {checked_counts} counts and {checked_assertions} finding assertions");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked_counts >= 25, "only {checked_counts} counts checked");
}
