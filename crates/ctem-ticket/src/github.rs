//! GitHub Issues through the REST API (version 2022-11-28): create
//! (`POST /repos/{owner}/{repo}/issues`), edit, close and reopen
//! (`PATCH /repos/{owner}/{repo}/issues/{number}`), read
//! (`GET …/issues/{number}`), comments, and find by label
//! (`GET …/issues?labels=…&state=all`). The issue list is used rather than
//! the search API because search is eventually consistent: a ticket
//! created a second ago might not be found, and the rerun would duplicate it.

use crate::http::{Client, enc};
use crate::{Credentials, RemoteTicket, Result, TicketSpec, Tracker, TrackerConfig};
use serde_json::{Value, json};

pub(crate) struct Github {
    client: Client,
    repo_url: String,
    auth: String,
}

impl Github {
    pub(crate) fn new(
        cfg: &TrackerConfig,
        creds: Credentials,
        http: crate::Http,
    ) -> Result<Github> {
        let project = cfg.project()?;
        let Some((owner, repo)) = project.split_once('/') else {
            return Err(crate::TicketError::Config {
                tracker: cfg.name.clone(),
                message: format!("project must be `owner/repo`, not `{project}`"),
            });
        };
        let auth = format!("Bearer {}", creds.token());
        Ok(Github {
            client: Client::new(
                &cfg.name,
                http,
                vec![creds.token().to_string(), auth.clone()],
                cfg,
            ),
            repo_url: format!(
                "{}/repos/{}/{}",
                cfg.url.trim_end_matches('/'),
                enc(owner),
                enc(repo)
            ),
            auth,
        })
    }

    fn h(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Authorization", self.auth.clone()),
            ("Accept", "application/vnd.github+json".into()),
            ("X-GitHub-Api-Version", "2022-11-28".into()),
        ]
    }

    fn ticket(&self, v: &Value, method: &str, url: &str) -> Result<RemoteTicket> {
        let n = v["number"]
            .as_u64()
            .ok_or_else(|| self.client.protocol(method, url, "issue without a number"))?;
        let state = v["state"].as_str().unwrap_or("unknown");
        Ok(RemoteTicket {
            key: n.to_string(),
            url: v["html_url"].as_str().map(str::to_string),
            status: state.to_string(),
            closed: state == "closed",
        })
    }

    fn body(&self, spec: &TicketSpec) -> Value {
        json!({
            "title": spec.title,
            "body": spec.body,
            "labels": ["ctem", spec.marker(), spec.priority_label()],
        })
    }
}

impl Tracker for Github {
    fn name(&self) -> &str {
        &self.client.tracker
    }

    fn find(&self, spec: &TicketSpec) -> Result<Option<RemoteTicket>> {
        let url = format!(
            "{}/issues?labels={}&state=all&sort=created&direction=asc&per_page=10",
            self.repo_url,
            enc(&spec.marker())
        );
        let v = self.client.json("GET", &url, &self.h(), None)?;
        let list = v.as_array().ok_or_else(|| {
            self.client
                .protocol("GET", &url, "expected a list of issues")
        })?;
        // Pull requests share the issue list; a marker on one is not ours.
        match list.iter().find(|i| i.get("pull_request").is_none()) {
            Some(i) => self.ticket(i, "GET", &url).map(Some),
            None => Ok(None),
        }
    }

    fn get(&self, key: &str) -> Result<Option<RemoteTicket>> {
        let url = format!("{}/issues/{}", self.repo_url, enc(key));
        let a = self.client.send("GET", &url, &self.h(), None)?;
        if a.status == 404 || a.status == 410 {
            return Ok(None);
        }
        if !a.ok() {
            return Err(self.client.status_error("GET", &url, &a));
        }
        let v: Value = serde_json::from_str(&a.body).map_err(|e| {
            self.client
                .protocol("GET", &url, format!("invalid JSON: {e}"))
        })?;
        self.ticket(&v, "GET", &url).map(Some)
    }

    fn create(&self, spec: &TicketSpec) -> Result<RemoteTicket> {
        let url = format!("{}/issues", self.repo_url);
        let v = self
            .client
            .json("POST", &url, &self.h(), Some(&self.body(spec)))?;
        self.ticket(&v, "POST", &url)
    }

    fn update(&self, key: &str, spec: &TicketSpec) -> Result<RemoteTicket> {
        let url = format!("{}/issues/{}", self.repo_url, enc(key));
        let v = self
            .client
            .json("PATCH", &url, &self.h(), Some(&self.body(spec)))?;
        self.ticket(&v, "PATCH", &url)
    }

    fn set_closed(
        &self,
        key: &str,
        _spec: &TicketSpec,
        closed: bool,
        note: &str,
    ) -> Result<RemoteTicket> {
        let c = format!("{}/issues/{}/comments", self.repo_url, enc(key));
        self.client
            .json("POST", &c, &self.h(), Some(&json!({ "body": note })))?;
        let url = format!("{}/issues/{}", self.repo_url, enc(key));
        let body = if closed {
            json!({ "state": "closed", "state_reason": "completed" })
        } else {
            json!({ "state": "open" })
        };
        let v = self.client.json("PATCH", &url, &self.h(), Some(&body))?;
        self.ticket(&v, "PATCH", &url)
    }
}
