//! SARIF 2.1.0 writer: code scanning (CodeQL, Semgrep) and dependency
//! scanning (Trivy's SARIF output, whose rule ids are CVEs).
//!
//! Streams: the log header, then per run the driver with its rules, the
//! `versionControlProvenance`, and `results[]` one at a time. Rules carry the
//! CWE tags (`external/cwe/cwe-089` for CodeQL, `CWE-89: …` for Semgrep) and
//! a `security-severity` property, as GitHub code scanning expects.

use crate::catalog::{self, CODE_RULES, CodeRule, CodeTool, Cve, Eco};
use crate::dates;
use crate::estate::{CodeFinding, Repo};
use crate::util::{fnv, js, json_at, sha256_hex};
use serde::Serialize;
use std::io::{self, Write};

/// The three scanners this estate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scanner {
    CodeQl,
    Semgrep,
    Trivy,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Config {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProps {
    #[serde(skip_serializing_if = "Option::is_none", rename = "kind")]
    kind: Option<&'static str>,
    precision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none", rename = "problem.severity")]
    problem_severity: Option<&'static str>,
    #[serde(rename = "security-severity")]
    security_severity: String,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    default_configuration: Config,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Text,
    properties: RuleProps,
}

fn code_rule(r: &CodeRule) -> Rule {
    let num = r.cwe.trim_start_matches("CWE-");
    let (tags, props_kind, problem) = match r.tool {
        CodeTool::CodeQl => (
            vec![
                "security".to_string(),
                format!("external/cwe/cwe-{num:0>3}"),
            ],
            Some("path-problem"),
            Some(if r.level == "error" {
                "error"
            } else {
                "warning"
            }),
        ),
        CodeTool::Semgrep => (
            vec![
                format!("{}: {}", r.cwe, r.cwe_title),
                "HIGH CONFIDENCE".to_string(),
                "security".to_string(),
            ],
            None,
            None,
        ),
    };
    let help_uri = match r.tool {
        CodeTool::Semgrep => Some(format!("https://semgrep.dev/r/{}", r.id)),
        CodeTool::CodeQl => None,
    };
    Rule {
        id: r.id.to_string(),
        name: r.name.to_string(),
        short_description: Text {
            text: r.short.to_string(),
        },
        full_description: Text {
            text: r.message.to_string(),
        },
        default_configuration: Config { level: r.level },
        help_uri,
        help: Text {
            text: format!("{}\n\nSee {} ({}).", r.message, r.cwe, r.cwe_title),
        },
        properties: RuleProps {
            kind: props_kind,
            precision: "high",
            problem_severity: problem,
            security_severity: r.security_severity.to_string(),
            tags,
        },
    }
}

fn cve_rule(c: &Cve) -> Rule {
    let score = c.score();
    let sev = catalog::severity_upper(score);
    let pkg = c.pkg;
    Rule {
        id: c.id.to_string(),
        name: "LanguageSpecificPackageVulnerability".to_string(),
        short_description: Text {
            text: c.title.to_string(),
        },
        full_description: Text { text: c.sentence() },
        default_configuration: Config {
            level: if score >= 7.0 {
                "error"
            } else if score >= 4.0 {
                "warning"
            } else {
                "note"
            },
        },
        help_uri: Some(format!(
            "https://avd.aquasec.com/nvd/{}",
            c.id.to_ascii_lowercase()
        )),
        help: Text {
            text: format!(
                "Vulnerability {}\nSeverity: {sev}\nPackage: {pkg}\nFixed Version: {}\nLink: [{}](https://avd.aquasec.com/nvd/{})\n{}",
                c.id,
                c.fixed,
                c.id,
                c.id.to_ascii_lowercase(),
                c.sentence()
            ),
        },
        properties: RuleProps {
            kind: None,
            precision: "very-high",
            problem_severity: None,
            security_severity: format!("{score:.1}"),
            tags: vec!["vulnerability".into(), "security".into(), sev.to_string()],
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact<'a> {
    uri: &'a str,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Artifact<'a>,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: Physical<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints {
    primary_location_line_hash: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'a str,
    message: Text,
    locations: [Location<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_fingerprints: Option<Fingerprints>,
}

/// Streaming writer of one SARIF log.
pub(crate) struct SarifWriter<'w, W: Write> {
    out: &'w mut W,
    runs: usize,
    results: usize,
    scanner: Scanner,
    rule_ids: Vec<String>,
}

impl<'w, W: Write> SarifWriter<'w, W> {
    pub(crate) fn begin(out: &'w mut W) -> io::Result<Self> {
        out.write_all(
            b"{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [",
        )?;
        Ok(SarifWriter {
            out,
            runs: 0,
            results: 0,
            scanner: Scanner::Semgrep,
            rule_ids: Vec::new(),
        })
    }

    fn end_run(&mut self) -> io::Result<()> {
        if self.runs > 0 {
            self.out.write_all(b"\n      ]\n    },")?;
        }
        Ok(())
    }

    /// Starts a run: driver, rules, provenance; then `results` can follow.
    pub(crate) fn run(
        &mut self,
        scanner: Scanner,
        code_rules: &[&CodeRule],
        cves: &[&Cve],
        repo_uri: &str,
        revision: &str,
        when: i64,
    ) -> io::Result<()> {
        self.end_run()?;
        self.runs += 1;
        self.results = 0;
        self.scanner = scanner;
        let mut rules: Vec<Rule> = code_rules.iter().map(|r| code_rule(r)).collect();
        rules.extend(cves.iter().map(|c| cve_rule(c)));
        self.rule_ids = rules.iter().map(|r| r.id.clone()).collect();
        let (name, full, version_key, version, uri) = match scanner {
            Scanner::CodeQl => (
                "CodeQL",
                "CodeQL",
                "semanticVersion",
                "2.16.4",
                "https://codeql.github.com",
            ),
            Scanner::Semgrep => (
                "Semgrep OSS",
                "Semgrep OSS",
                "semanticVersion",
                "1.95.0",
                "https://semgrep.dev",
            ),
            Scanner::Trivy => (
                "Trivy",
                "Trivy Vulnerability Scanner",
                "version",
                "0.50.1",
                "https://github.com/aquasecurity/trivy",
            ),
        };
        write!(
            self.out,
            "\n    {{\n      \"tool\": {{\n        \"driver\": {{\n          \"name\": {},\n          \"fullName\": {},\n          \"informationUri\": {},\n          {}: {},\n          \"rules\": ",
            js(name),
            js(full),
            js(uri),
            js(version_key),
            js(version)
        )?;
        json_at(self.out, &rules, 5)?;
        let base = match scanner {
            Scanner::Trivy => "ROOTPATH",
            _ => "%SRCROOT%",
        };
        let repo_name = repo_uri.rsplit('/').next().unwrap_or(repo_uri);
        write!(
            self.out,
            "\n        }}\n      }},\n      \"automationDetails\": {{\n        \"id\": {}\n      }},\n      \"versionControlProvenance\": [\n        {{\n          \"repositoryUri\": {},\n          \"revisionId\": {},\n          \"branch\": \"refs/heads/main\"\n        }}\n      ],\n      \"originalUriBaseIds\": {{\n        {}: {{\n          \"uri\": {}\n        }}\n      }},\n      \"invocations\": [\n        {{\n          \"executionSuccessful\": true,\n          \"endTimeUtc\": {}\n        }}\n      ],\n      \"columnKind\": \"utf16CodeUnits\",\n      \"results\": [",
            js(&format!(
                "{}/{}/",
                name.to_ascii_lowercase().replace(' ', "-"),
                repo_name
            )),
            js(repo_uri),
            js(revision),
            js(base),
            js(&format!(
                "file:///home/runner/work/{repo_name}/{repo_name}/"
            )),
            js(&dates::rfc3339(when)),
        )
    }

    fn result(&mut self, v: &SResult<'_>) -> io::Result<()> {
        if self.results > 0 {
            self.out.write_all(b",")?;
        }
        self.results += 1;
        self.out.write_all(b"\n        ")?;
        json_at(self.out, v, 4)
    }

    /// A code-scanning result.
    pub(crate) fn code(&mut self, f: &CodeFinding) -> io::Result<()> {
        let index = self
            .rule_ids
            .iter()
            .position(|r| r == f.rule.id)
            .unwrap_or(0);
        let hash = format!("{:016x}:1", fnv(&[f.rule.id, &f.file, &f.line.to_string()]));
        self.result(&SResult {
            rule_id: f.rule.id,
            rule_index: index,
            level: f.rule.level,
            message: Text {
                text: f.rule.message.to_string(),
            },
            locations: [Location {
                physical_location: Physical {
                    artifact_location: Artifact {
                        uri: &f.file,
                        uri_base_id: "%SRCROOT%",
                    },
                    region: Region {
                        start_line: f.line,
                        start_column: 9,
                        end_line: f.line,
                        end_column: 61,
                    },
                },
                message: None,
            }],
            partial_fingerprints: Some(Fingerprints {
                primary_location_line_hash: hash,
            }),
        })
    }

    /// A dependency-scanning result (Trivy SARIF), at the manifest.
    pub(crate) fn dependency(&mut self, c: &Cve, manifest: &str) -> io::Result<()> {
        let index = self.rule_ids.iter().position(|r| r == c.id).unwrap_or(0);
        let score = c.score();
        let sev = catalog::severity_upper(score);
        let level = if score >= 7.0 {
            "error"
        } else if score >= 4.0 {
            "warning"
        } else {
            "note"
        };
        self.result(&SResult {
            rule_id: c.id,
            rule_index: index,
            level,
            message: Text {
                text: format!(
                    "Package: {}\nInstalled Version: {}\nVulnerability {}\nSeverity: {}\nFixed Version: {}\nLink: [{}](https://avd.aquasec.com/nvd/{})",
                    c.pkg, c.vulnerable, c.id, sev, c.fixed, c.id, c.id.to_ascii_lowercase()
                ),
            },
            locations: [Location {
                physical_location: Physical {
                    artifact_location: Artifact { uri: manifest, uri_base_id: "ROOTPATH" },
                    region: Region { start_line: 1, start_column: 1, end_line: 1, end_column: 1 },
                },
                message: Some(Text { text: format!("{}: {}@{}", manifest, c.pkg, c.vulnerable) }),
            }],
            partial_fingerprints: None,
        })
    }

    pub(crate) fn finish(self) -> io::Result<()> {
        if self.runs > 0 {
            self.out.write_all(b"\n      ]\n    }\n  ")?;
        }
        self.out.write_all(b"]\n}\n")?;
        self.out.flush()
    }
}

/// The manifest a dependency scanner reports a package in.
pub(crate) fn manifest(eco: Eco) -> &'static str {
    match eco {
        Eco::Maven => "pom.xml",
        Eco::Npm => "package-lock.json",
        Eco::Pip => "requirements.txt",
        _ => "go.mod",
    }
}

/// Writes one repository's SARIF: a code-scanning run and, when it has
/// vulnerable dependencies, a Trivy run.
pub(crate) fn write_repo(repo: &Repo, when: i64, out: &mut impl Write) -> io::Result<()> {
    let revision = sha256_hex(&["commit", &repo.url])[..40].to_string();
    let mut w = SarifWriter::begin(out)?;
    let code_scanner = if repo.code.iter().any(|f| f.rule.tool == CodeTool::CodeQl) {
        Scanner::CodeQl
    } else {
        Scanner::Semgrep
    };
    // CodeQL and Semgrep rules never share a run: split by tool.
    for (scanner, tool) in [
        (Scanner::CodeQl, CodeTool::CodeQl),
        (Scanner::Semgrep, CodeTool::Semgrep),
    ] {
        let findings: Vec<&CodeFinding> =
            repo.code.iter().filter(|f| f.rule.tool == tool).collect();
        if findings.is_empty() && !(scanner == code_scanner && repo.code.is_empty()) {
            continue;
        }
        let mut rules: Vec<&CodeRule> = Vec::new();
        for f in &findings {
            if !rules.iter().any(|r| r.id == f.rule.id) {
                rules.push(f.rule);
            }
        }
        w.run(scanner, &rules, &[], &repo.url, &revision, when)?;
        for f in findings {
            w.code(f)?;
        }
    }
    if !repo.deps.is_empty() {
        let mut rules: Vec<&Cve> = Vec::new();
        for c in &repo.deps {
            if !rules.iter().any(|r| r.id == c.id) {
                rules.push(c);
            }
        }
        w.run(
            Scanner::Trivy,
            &[],
            &rules,
            &repo.url,
            &revision,
            when + 120,
        )?;
        for c in &repo.deps {
            w.dependency(c, manifest(c.eco))?;
        }
    }
    w.finish()
}

/// One SARIF log with exactly `n` results, for benchmarks: a Semgrep run
/// with two thirds of them, a Trivy run with the rest.
pub(crate) fn write_big(seed: u64, n: usize, out: &mut impl Write) -> io::Result<()> {
    use crate::rng::Rng;
    let mut rng = Rng::derive(seed, "sarif-big");
    let repo = "https://github.com/atlantica/monorepo";
    let revision = sha256_hex(&["commit", repo, &seed.to_string()])[..40].to_string();
    let when = 1_741_939_200;
    let code_n = n - n / 3;
    let dep_n = n / 3;
    let mut w = SarifWriter::begin(out)?;
    let rules: Vec<&CodeRule> = CODE_RULES
        .iter()
        .filter(|r| r.tool == CodeTool::Semgrep)
        .collect();
    w.run(Scanner::Semgrep, &rules, &[], repo, &revision, when)?;
    for i in 0..code_n {
        let rule = rules[i % rules.len()];
        let f = CodeFinding {
            rule,
            file: format!("services/svc-{:05}/src/{}.py", i / 40, i % 40),
            line: rng.range(1, 900) as u32,
        };
        w.code(&f)?;
    }
    let cves: Vec<&Cve> = catalog::CVES
        .iter()
        .filter(|c| matches!(c.eco, Eco::Maven | Eco::Npm | Eco::Pip | Eco::Go))
        .collect();
    if dep_n > 0 {
        // Rule ids must be unique in a run.
        let mut unique: Vec<&Cve> = Vec::new();
        for c in &cves {
            if !unique.iter().any(|u| u.id == c.id) {
                unique.push(c);
            }
        }
        w.run(Scanner::Trivy, &[], &unique, repo, &revision, when + 300)?;
        for i in 0..dep_n {
            let c = cves[i % cves.len()];
            let m = format!("services/svc-{:05}/{}", i / cves.len(), manifest(c.eco));
            w.dependency(c, &m)?;
        }
    }
    w.finish()
}
