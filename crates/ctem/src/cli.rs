//! The command line: one subcommand per CTEM phase.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
The CTEM loop, in order:
  ctem init                      create a workspace (ctem.toml + ctem.db) here
  ctem scope check               validate ctem.toml (scoping)
  ctem ingest REPORT...          import scanner reports (discovery)
  ctem feeds update --from FILE  load CISA KEV / FIRST EPSS snapshots
  ctem validate --import FILE    record red-team / BAS / analyst results (validation)
  ctem prioritise                tier every exposure, with its explanation
  ctem mobilise                  owners, due dates and remediation actions
  ctem report                    the funnel; `ctem report html --out FILE` for the page
  ctem cycle                     all of the above in order
  ctem demo                      the whole loop on a generated insurer estate

Exit codes:
  0  success
  1  unexpected failure (I/O, database)
  2  wrong command line
  3  invalid input file (scope, report, feed or validation file); nothing was written
  4  missing or unusable workspace
  5  --fail-on found exposures at or above the given tier";

/// ctem — Continuous Threat Exposure Management from the scanners you
/// already run: scope, discover, prioritise, validate, mobilise.
#[derive(Debug, Parser)]
#[command(name = "ctem", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The workspace directory (holds ctem.toml and ctem.db).
    #[arg(long, global = true, env = "CTEM_WORKSPACE", default_value = ".")]
    pub workspace: PathBuf,

    /// Output for people (human) or machines (json).
    #[arg(long, global = true, value_enum, default_value_t = Output::Human)]
    pub output: Output,

    /// Progress on stderr during imports: auto (a bar on a terminal for
    /// imports that take more than a second), bar, none, or lines (a line
    /// every 10,000 findings, for logs).
    #[arg(long, global = true, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Human,
    Json,
    /// One JSON object per line (only `ctem parse`).
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    Auto,
    Bar,
    None,
    Lines,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace: a starter ctem.toml and an empty database.
    Init {
        /// Overwrite an existing ctem.toml.
        #[arg(long)]
        force: bool,
    },
    /// Scoping: check the scope file.
    #[command(subcommand)]
    Scope(ScopeCmd),
    /// Discovery: import scanner reports (Trivy JSON, SARIF 2.1.0, Nessus XML),
    /// each in one all-or-nothing transaction; formats are recognised from
    /// the content.
    Ingest {
        /// Report files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the normalised findings of a report without storing them.
    Parse { file: PathBuf },
    /// Threat intelligence feeds (CISA KEV, FIRST EPSS).
    #[command(subcommand)]
    Feeds(FeedsCmd),
    /// Prioritisation: tier every open exposure from business context,
    /// exploitability, reachability and controls; store the explanation.
    #[command(alias = "prioritize")]
    Prioritise(GateArgs),
    /// Explain one exposure's tier: every factor, its source and date, and
    /// the path through the policy.
    Explain {
        /// Exposure id (or a unique prefix of at least 6 characters).
        id: String,
    },
    /// Validation: import red-team, BAS or analyst results in ctem's generic
    /// format (docs/validation.md).
    Validate(ValidateArgs),
    /// Mobilisation: the owned, dated work — remediation actions and due dates.
    #[command(alias = "mobilize")]
    Mobilise {
        /// Only this owner's work (substring of name or email).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Reports: the funnel (default), the exposure list, or the HTML page.
    Report {
        #[arg(value_enum, default_value_t = ReportKind::Funnel)]
        kind: ReportKind,
        /// Where to write the HTML report.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only exposures at or above this tier (exposures list).
        #[arg(long)]
        tier: Option<String>,
    },
    /// Run every phase in order: scope check, ingest, feeds, validation,
    /// prioritisation and mobilisation, report.
    Cycle(CycleArgs),
    /// Generate a realistic insurer estate and run the whole loop on it.
    Demo(DemoArgs),
    /// Score CVSS vectors (v2, v3.0, v3.1, v4.0) by hand: base, temporal or
    /// threat, environmental, and severity.
    Cvss {
        /// Vectors, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
        #[arg(required = true)]
        vectors: Vec<String>,
    },
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Debug, Subcommand)]
pub enum ScopeCmd {
    /// Validate ctem.toml; names the line and the problem of every mistake.
    Check {
        /// A scope file other than the workspace's ctem.toml.
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FeedsCmd {
    /// Load feed files as new snapshots (KEV JSON/CSV, EPSS CSV/CSV.gz,
    /// recognised from the content). A broken file is rejected and the
    /// previous snapshot stays in force.
    Update {
        /// Feed files to load.
        #[arg(long = "from", required = true)]
        from: Vec<PathBuf>,
    },
    /// Show the snapshots in force and their age.
    Status,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// Exit with code 5 when any exposure is at or above this tier (P1–P4),
    /// for CI pipelines.
    #[arg(long)]
    pub fail_on: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A validation results file (JSON or CSV).
    #[arg(long = "import", required = true)]
    pub import: Vec<PathBuf>,
    /// Tool name for CSV files (JSON files name their tool).
    #[arg(long, default_value = "csv import")]
    pub tool: String,
    /// Method for CSV files: red_team, bas, analyst or probe.
    #[arg(long, default_value = "analyst")]
    pub method: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKind {
    Funnel,
    Exposures,
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct CycleArgs {
    /// Ingest every report in this folder first.
    #[arg(long)]
    pub reports: Option<PathBuf>,
    /// Load every feed file in this folder first.
    #[arg(long)]
    pub feeds: Option<PathBuf>,
    /// Import every validation file in this folder.
    #[arg(long)]
    pub validations: Option<PathBuf>,
    /// Write the HTML report here (default: report.html in the workspace).
    #[arg(long)]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Create the workspace here (default: a new temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Seed of the generator: the same seed gives the same estate and result.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of findings to generate.
    #[arg(long, default_value_t = 1400)]
    pub findings: usize,
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Check the hash chain; names the first edited, removed or reordered entry.
    Verify,
    /// Show the newest entries.
    Log {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}
