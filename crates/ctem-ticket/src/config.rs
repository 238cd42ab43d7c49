//! Tracker configuration (`[[trackers]]` in `ctem.toml`) and credentials
//! (environment variables or a secrets file, never the scope file).

use crate::{Result, TicketError};
use ctem_model::Tier;
use serde::Deserialize;
use std::path::Path;

/// The tracker products ctem speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum System {
    Jira,
    Github,
    Gitlab,
    Servicenow,
    Webhook,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            System::Jira => "jira",
            System::Github => "github",
            System::Gitlab => "gitlab",
            System::Servicenow => "servicenow",
            System::Webhook => "webhook",
        }
    }
}

/// One `[[trackers]]` entry of `ctem.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    /// A name of your choice; it names the credentials (`CTEM_<NAME>_TOKEN`).
    pub name: String,
    pub system: System,
    /// Base URL: `https://acme.atlassian.net`, `https://api.github.com`,
    /// `https://gitlab.example`, `https://acme.service-now.com`, or the
    /// webhook's endpoint.
    pub url: String,
    /// Jira project key, GitHub `owner/repo`, GitLab project id or path.
    #[serde(default)]
    pub project: Option<String>,
    /// Jira issue type (default `Task`).
    #[serde(default)]
    pub issue_type: Option<String>,
    /// Jira search endpoint: `search` (Server/Data Center, and Cloud until
    /// its removal) or `search/jql` (Cloud's current endpoint).
    #[serde(default)]
    pub jira_search: Option<String>,
    /// ServiceNow table (default `incident`).
    #[serde(default)]
    pub table: Option<String>,
    /// ServiceNow `assignment_group` sys_id or name.
    #[serde(default)]
    pub assignment_group: Option<String>,
    /// ServiceNow state values that mean done (default `6`, `7`: Resolved,
    /// Closed) and the state ctem sets to close (default `6`).
    #[serde(default)]
    pub closed_states: Option<Vec<String>>,
    #[serde(default)]
    pub close_state: Option<String>,
    /// Sync only actions at or above this tier (default `P2`).
    #[serde(default)]
    pub min_tier: Option<String>,
    /// Request timeout in seconds (default 30).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// Attempts of idempotent requests (GET, PUT, PATCH) on a 5xx, 429 or
    /// transport error (default 3). Creates are never retried blindly: the
    /// next sync finds a ticket that was created before an answer was lost.
    #[serde(default)]
    pub attempts: Option<u32>,
}

impl TrackerConfig {
    /// The lowest tier this tracker receives.
    pub fn min_tier(&self) -> Tier {
        self.min_tier
            .as_deref()
            .and_then(Tier::parse)
            .unwrap_or(Tier::P2)
    }

    pub(crate) fn project(&self) -> Result<&str> {
        self.project.as_deref().ok_or_else(|| TicketError::Config {
            tracker: self.name.clone(),
            message: format!("`project` is required for {}", self.system.as_str()),
        })
    }

    /// The environment-variable stem of this tracker's credentials.
    pub fn env_stem(&self) -> String {
        let n: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("CTEM_{n}")
    }
}

#[derive(Deserialize)]
struct TrackersOnly {
    #[serde(default)]
    trackers: Vec<toml::Spanned<toml::Value>>,
}

/// Reads the `[[trackers]]` entries of a scope file. Errors name the file,
/// line and column.
pub fn parse_trackers(text: &str, file: &str) -> std::result::Result<Vec<TrackerConfig>, String> {
    let pos = |offset: usize| {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        (line, col)
    };
    let raw: TrackersOnly = toml::from_str(text).map_err(|e| {
        let (l, c) = pos(e.span().map(|s| s.start).unwrap_or(0));
        format!("{file}:{l}:{c}: {}", e.message())
    })?;
    let mut out: Vec<TrackerConfig> = Vec::new();
    let mut errors = Vec::new();
    for t in raw.trackers {
        let (l, c) = pos(t.span().start);
        let v = t.into_inner();
        match TrackerConfig::deserialize(v) {
            Ok(cfg) => {
                if cfg
                    .min_tier
                    .as_deref()
                    .is_some_and(|m| Tier::parse(m).is_none())
                {
                    errors.push(format!(
                        "{file}:{l}:{c}: tracker {}: min_tier must be P1, P2, P3 or P4",
                        cfg.name
                    ));
                }
                if !(cfg.url.starts_with("https://") || cfg.url.starts_with("http://")) {
                    errors.push(format!(
                        "{file}:{l}:{c}: tracker {}: url must start with https:// (or http:// for a local test server)",
                        cfg.name
                    ));
                }
                if out.iter().any(|o| o.name == cfg.name) {
                    errors.push(format!(
                        "{file}:{l}:{c}: tracker name `{}` is used twice",
                        cfg.name
                    ));
                }
                out.push(cfg);
            }
            Err(e) => errors.push(format!("{file}:{l}:{c}: [[trackers]]: {}", e.message())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("\n"))
    }
}

/// A tracker's secret and, where the product needs one, its user. `Debug`
/// never shows the secret.
#[derive(Clone, Default)]
pub struct Credentials {
    /// API token, personal access token, password or webhook signing key.
    pub token: Option<String>,
    /// Jira Cloud account email, ServiceNow user.
    pub user: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("user", &self.user)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsFile {
    #[serde(default)]
    trackers: std::collections::BTreeMap<String, SecretEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretEntry {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    user: Option<String>,
}

impl Credentials {
    /// Resolves a tracker's credentials: the environment variables
    /// `CTEM_<NAME>_TOKEN` and `CTEM_<NAME>_USER` win; otherwise the
    /// `[trackers.<name>]` table of the secrets file, which must not be
    /// readable by group or others. `env` is passed in so tests need not
    /// touch the process environment.
    pub fn resolve(
        config: &TrackerConfig,
        env: &dyn Fn(&str) -> Option<String>,
        secrets_file: Option<&Path>,
    ) -> Result<Credentials> {
        let stem = config.env_stem();
        let mut c = Credentials {
            token: env(&format!("{stem}_TOKEN")).filter(|s| !s.is_empty()),
            user: env(&format!("{stem}_USER")).filter(|s| !s.is_empty()),
        };
        if c.token.is_none()
            && let Some(path) = secrets_file.filter(|p| p.exists())
        {
            let err = |message: String| TicketError::Credentials {
                tracker: config.name.clone(),
                message,
            };
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)
                    .map_err(|e| err(format!("secrets file {}: {e}", path.display())))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(err(format!(
                        "secrets file {} is readable by others (mode {:o}): run `chmod 600 {}`",
                        path.display(),
                        mode & 0o777,
                        path.display()
                    )));
                }
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| err(format!("secrets file {}: {e}", path.display())))?;
            // The parser's message may quote the offending line, which could
            // hold a secret: report the position only.
            let file: SecretsFile = toml::from_str(&text).map_err(|e| {
                let at = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
                let line = text[..at].matches('\n').count() + 1;
                err(format!(
                    "secrets file {}: line {line} is not valid (expected [trackers.NAME] with token and user)",
                    path.display()
                ))
            })?;
            if let Some(s) = file.trackers.get(&config.name) {
                c.token = s.token.clone().filter(|s| !s.is_empty());
                if c.user.is_none() {
                    c.user = s.user.clone();
                }
            }
        }
        if c.token.is_none() {
            return Err(TicketError::Credentials {
                tracker: config.name.clone(),
                message: format!(
                    "no credentials: set {stem}_TOKEN (and {stem}_USER where the tracker needs one) or add [trackers.{}] to the secrets file",
                    config.name
                ),
            });
        }
        Ok(c)
    }

    pub(crate) fn token(&self) -> &str {
        self.token.as_deref().unwrap_or("")
    }
}
