//! Ticketing: ctem's remediation actions as tickets in the trackers IT
//! already uses — Jira, GitHub Issues, GitLab Issues, ServiceNow — or as
//! signed webhook deliveries to anything else.
//!
//! One ticket per remediation action, created, updated and closed
//! idempotently: the caller keeps each ticket's external key and content
//! hash, and before creating a ticket [`sync`] searches the tracker for the
//! action's stable marker (`ctem-act-…`, a label or a correlation id), so a
//! rerun after a crash, a timeout or a 5xx never makes a duplicate. Status is
//! pulled back: a ticket IT closes marks the action's fix as pending, and
//! ctem reopens it when a later scan still shows the exposures.
//!
//! Credentials come from the environment or a secrets file
//! ([`Credentials::resolve`]); they are sent only in request headers and are
//! scrubbed from every error message.
//!
//! **Architecture invariant:** this crate knows HTTP and the trackers' APIs,
//! nothing of the store or the command line; [`sync`] reports every change
//! through a callback so the caller persists it at once.

#![forbid(unsafe_code)]

mod config;
mod github;
mod gitlab;
mod http;
mod jira;
mod servicenow;
mod sync;
mod webhook;

pub use config::{Credentials, System, TrackerConfig, parse_trackers};
pub use http::Http;
pub use sync::{Known, Op, SyncItem, SyncReport, sync};
pub use webhook::signature as webhook_signature;

use ctem_model::Tier;
use serde::Serialize;

/// Errors talking to a tracker. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// The configuration is wrong (names the tracker and the field).
    #[error("tracker {tracker}: {message}")]
    Config { tracker: String, message: String },
    /// Credentials are missing or unreadable.
    #[error("tracker {tracker}: {message}")]
    Credentials { tracker: String, message: String },
    /// The tracker could not be reached, timed out or answered an error.
    #[error("tracker {tracker}: {method} {url}: {message}")]
    Http {
        tracker: String,
        method: String,
        url: String,
        /// HTTP status, when the tracker answered.
        status: Option<u16>,
        message: String,
    },
    /// The tracker answered something this client cannot read.
    #[error("tracker {tracker}: {method} {url}: unexpected answer: {message}")]
    Protocol {
        tracker: String,
        method: String,
        url: String,
        message: String,
    },
}

pub type Result<T> = std::result::Result<T, TicketError>;

/// What ctem wants a ticket to say: built from one remediation action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketSpec {
    /// The action's stable id (`act-…`).
    pub action_id: String,
    pub title: String,
    /// Plain text: the exposures, assets, SLA and why.
    pub body: String,
    pub tier: Tier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Due date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    pub exposures: Vec<String>,
    pub assets: Vec<String>,
    /// The newest time a scan showed any of the action's exposures; a
    /// ticket closed before it was not a verified fix.
    #[serde(skip)]
    pub last_seen: i64,
}

impl TicketSpec {
    /// The stable marker trackers are searched by: a label in Jira, GitHub
    /// and GitLab, the correlation id in ServiceNow.
    pub fn marker(&self) -> String {
        marker_of(&self.action_id)
    }

    /// A hash of everything the ticket shows, so an unchanged action makes
    /// no write on a rerun.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [
            self.title.as_str(),
            self.body.as_str(),
            self.tier.as_str(),
            self.owner.as_deref().unwrap_or(""),
            self.due.as_deref().unwrap_or(""),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The tier as the trackers' priority vocabularies read it.
    pub fn priority_label(&self) -> String {
        format!("ctem-{}", self.tier.as_str().to_ascii_lowercase())
    }
}

/// The marker of an action id.
pub fn marker_of(action_id: &str) -> String {
    format!("ctem-{action_id}")
}

/// A ticket as the tracker holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteTicket {
    /// Jira key, GitHub/GitLab issue number, ServiceNow sys_id, or the
    /// action id for webhooks.
    pub key: String,
    /// A link a person can open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The tracker's own status name (`In Progress`, `closed`, `6`).
    pub status: String,
    /// Whether the tracker considers it done.
    pub closed: bool,
}

/// One tracker's API, as the sync needs it. Implementations map each call
/// to the vendor's documented endpoints.
pub trait Tracker {
    /// The configured name of this tracker (`jira`, `gh-claims`).
    fn name(&self) -> &str;
    /// Whether the tracker can be searched and read back (webhooks cannot).
    fn two_way(&self) -> bool {
        true
    }
    /// Finds the ticket carrying this action's marker, open or closed.
    fn find(&self, spec: &TicketSpec) -> Result<Option<RemoteTicket>>;
    /// Reads one ticket; `None` when the tracker says it does not exist.
    fn get(&self, key: &str) -> Result<Option<RemoteTicket>>;
    fn create(&self, spec: &TicketSpec) -> Result<RemoteTicket>;
    /// Rewrites title, description, due date and labels.
    fn update(&self, key: &str, spec: &TicketSpec) -> Result<RemoteTicket>;
    /// Closes (`closed`) or reopens the ticket, leaving `note` as a comment
    /// or closing note.
    fn set_closed(
        &self,
        key: &str,
        spec: &TicketSpec,
        closed: bool,
        note: &str,
    ) -> Result<RemoteTicket>;
}

/// Builds the client for one configured tracker.
pub fn connect(config: &TrackerConfig, creds: Credentials, http: Http) -> Result<Box<dyn Tracker>> {
    Ok(match config.system {
        System::Jira => Box::new(jira::Jira::new(config, creds, http)?),
        System::Github => Box::new(github::Github::new(config, creds, http)?),
        System::Gitlab => Box::new(gitlab::Gitlab::new(config, creds, http)?),
        System::Servicenow => Box::new(servicenow::ServiceNow::new(config, creds, http)?),
        System::Webhook => Box::new(webhook::Webhook::new(config, creds, http)?),
    })
}
