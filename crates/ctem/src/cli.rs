//! The command line: one subcommand per CTEM phase.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
The CTEM loop, in order:
  ctem init                      create a workspace (ctem.toml + ctem.db) here
  ctem scope check               validate ctem.toml (scoping)
  ctem ingest REPORT...          import scanner reports (discovery)
  ctem feeds update              download CISA KEV / FIRST EPSS (or --from FILE)
  ctem validate --import FILE    record red-team / BAS / analyst results (validation)
  ctem prioritise                tier every exposure, with its explanation
  ctem graph                     attack paths, crown jewels and choke points
  ctem mobilise                  owners, due dates and remediation actions
  ctem report                    the funnel; `ctem report html --out FILE` for the page
  ctem cycle                     all of the above in order
  ctem tickets sync              one ticket per action in Jira/GitHub/GitLab/ServiceNow
  ctem executive | kpi           the executive report (HTML, PDF) and KPIs
  ctem evidence --framework F    a compliance evidence pack (nis2, dora, ens, iso27001)
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

    /// The store, when not the workspace's ctem.db: a PostgreSQL URL
    /// (postgres://user@host:5432/db) for team deployments, where several
    /// `ctem serve` and CLI runs share one database.
    #[arg(long, global = true, env = "CTEM_DATABASE", value_name = "URL")]
    pub database: Option<String>,

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
    // --- Mobilisation, KPIs and evidence (crate::cmd_mobilise) ---
    /// Accept the risk of one exposure until a date: it leaves the queue,
    /// and reopens with a new SLA when the acceptance expires.
    Accept(crate::cmd_mobilise::AcceptArgs),
    /// Risk acceptances: list them, or revoke one.
    #[command(subcommand)]
    Acceptances(crate::cmd_mobilise::AcceptancesCmd),
    /// Tickets: one per remediation action in Jira, GitHub, GitLab,
    /// ServiceNow or a signed webhook, synced both ways.
    #[command(subcommand)]
    Tickets(crate::cmd_mobilise::TicketsCmd),
    /// Programme KPIs from the history, overall and per service.
    Kpi,
    /// The executive report: HTML with charts, and PDF (needs Chromium).
    Executive(crate::cmd_mobilise::ExecutiveArgs),
    /// Export a register as CSV or JSON.
    Export(crate::cmd_mobilise::ExportArgs),
    /// A compliance evidence pack (zip with index and SHA-256 manifest)
    /// mapped to NIS2, DORA, ENS or ISO 27001; or verify one.
    Evidence(crate::cmd_mobilise::EvidenceArgs),
    /// Attack paths: what an attacker can reach from the internet or an
    /// assumed breach, the paths to each crown jewel, choke points; exports
    /// (DOT, JSON, SVG) and identity imports (SharpHound, identity files).
    Graph(crate::cmd_graph::GraphArgs),
    /// Closure verification: mark exposures fixed; each closes only when a
    /// rescan or a re-probe confirms it, and reopens with the reason if not.
    Fixed(crate::cmd_graph::FixedArgs),
    // ctem serve (issue 7): handlers in cmd_server.rs.
    /// Serve the dashboard and the REST API over this workspace; optionally
    /// run the loop on a schedule.
    Serve(crate::cmd_server::ServeArgs),
    /// API tokens for pipelines and tools (shown once, stored hashed).
    #[command(subcommand)]
    Token(crate::cmd_server::TokenCmd),
    /// Dashboard users and their roles.
    #[command(subcommand)]
    User(crate::cmd_server::UserCmd),
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
    /// Download CISA KEV and FIRST EPSS (URLs in `[feeds]` of ctem.toml;
    /// conditional requests, cached in the workspace's feeds/ folder), or
    /// load files with --from (KEV JSON/CSV, EPSS CSV/CSV.gz, recognised
    /// from the content). A broken or truncated feed is rejected and the
    /// previous snapshot stays in force. A workspace that was prioritised
    /// before is re-prioritised and the tier changes are listed.
    Update {
        /// Load these feed files instead of downloading.
        #[arg(long = "from")]
        from: Vec<PathBuf>,
        /// Only load the snapshots; `ctem prioritise` applies them later.
        #[arg(long)]
        no_prioritise: bool,
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
    /// A validation results file: ctem's generic JSON or CSV, a MITRE
    /// Caldera operation report or event logs, an Atomic Red Team CSV log.
    #[arg(long = "import", required_unless_present_any = ["probe", "verdict"])]
    pub import: Vec<PathBuf>,
    /// Safe active probes of the exposed ports the [probes] allow-list
    /// permits: TCP, TLS facts, HTTP banners (docs/validation.md).
    #[arg(long)]
    pub probe: bool,
    /// With --probe: print what would be contacted, contact nothing.
    #[arg(long, requires = "probe")]
    pub dry_run: bool,
    /// An analyst's verdict on --exposure: exploitable, not_exploitable
    /// (with --reason) or blocked_by_control (with --control).
    #[arg(long, requires = "exposure", value_name = "RESULT")]
    pub verdict: Option<String>,
    /// The exposure id (or unique prefix) of --verdict.
    #[arg(long)]
    pub exposure: Option<String>,
    /// Why it is not exploitable (--verdict not_exploitable).
    #[arg(long)]
    pub reason: Option<String>,
    /// The control that blocked it (--verdict blocked_by_control).
    #[arg(long)]
    pub control: Option<String>,
    /// What was done, briefly (--verdict).
    #[arg(long)]
    pub evidence: Option<String>,
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
