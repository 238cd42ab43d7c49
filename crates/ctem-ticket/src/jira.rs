//! Jira (Cloud, Server and Data Center) through REST API v2: create
//! (`POST /rest/api/2/issue`), edit (`PUT /rest/api/2/issue/{key}`), read
//! (`GET /rest/api/2/issue/{key}?fields=status`), transitions
//! (`GET`/`POST /rest/api/2/issue/{key}/transitions`), comments and JQL
//! search by label (`/rest/api/2/search` or, on Cloud, `/rest/api/2/search/jql`).
//! Authentication: Basic with the account email and an API token (Cloud)
//! when a user is set, otherwise Bearer with a personal access token.

use crate::http::{Client, basic, enc};
use crate::{Credentials, RemoteTicket, Result, TicketSpec, Tracker, TrackerConfig};
use serde_json::{Value, json};

pub(crate) struct Jira {
    client: Client,
    base: String,
    project: String,
    issue_type: String,
    search: String,
    auth: String,
}

impl Jira {
    pub(crate) fn new(cfg: &TrackerConfig, creds: Credentials, http: crate::Http) -> Result<Jira> {
        let auth = match &creds.user {
            Some(u) => basic(u, creds.token()),
            None => format!("Bearer {}", creds.token()),
        };
        let secrets = vec![creds.token().to_string(), auth.clone()];
        Ok(Jira {
            client: Client::new(&cfg.name, http, secrets, cfg),
            base: cfg.url.trim_end_matches('/').to_string(),
            project: cfg.project()?.to_string(),
            issue_type: cfg.issue_type.clone().unwrap_or_else(|| "Task".into()),
            search: cfg.jira_search.clone().unwrap_or_else(|| "search".into()),
            auth,
        })
    }

    fn h(&self) -> Vec<(&'static str, String)> {
        vec![("Authorization", self.auth.clone())]
    }

    fn browse(&self, key: &str) -> String {
        format!("{}/browse/{key}", self.base)
    }

    fn ticket(&self, issue: &Value, method: &str, url: &str) -> Result<RemoteTicket> {
        let key = issue["key"]
            .as_str()
            .ok_or_else(|| self.client.protocol(method, url, "issue without a key"))?;
        let status = &issue["fields"]["status"];
        Ok(RemoteTicket {
            key: key.to_string(),
            url: Some(self.browse(key)),
            status: status["name"].as_str().unwrap_or("unknown").to_string(),
            closed: status["statusCategory"]["key"].as_str() == Some("done"),
        })
    }

    fn fields(&self, spec: &TicketSpec) -> Value {
        let mut f = json!({
            "summary": spec.title,
            "description": spec.body,
            "labels": ["ctem", spec.marker(), spec.priority_label()],
        });
        if let Some(d) = &spec.due {
            f["duedate"] = json!(d);
        }
        f
    }

    fn comment(&self, key: &str, note: &str) -> Result<()> {
        let url = format!("{}/rest/api/2/issue/{}/comment", self.base, enc(key));
        self.client
            .json("POST", &url, &self.h(), Some(&json!({ "body": note })))
            .map(|_| ())
    }
}

impl Tracker for Jira {
    fn name(&self) -> &str {
        &self.client.tracker
    }

    fn find(&self, spec: &TicketSpec) -> Result<Option<RemoteTicket>> {
        let jql = format!(
            "project = \"{}\" AND labels = \"{}\" ORDER BY created ASC",
            self.project,
            spec.marker()
        );
        let url = format!(
            "{}/rest/api/2/{}?jql={}&fields=status,summary&maxResults=10",
            self.base,
            self.search,
            enc(&jql)
        );
        let v = self.client.json("GET", &url, &self.h(), None)?;
        let issues = v["issues"].as_array().ok_or_else(|| {
            self.client
                .protocol("GET", &url, "search answer without `issues`")
        })?;
        // The oldest wins should a person have copied the label by hand.
        match issues.first() {
            Some(i) => self.ticket(i, "GET", &url).map(Some),
            None => Ok(None),
        }
    }

    fn get(&self, key: &str) -> Result<Option<RemoteTicket>> {
        let url = format!("{}/rest/api/2/issue/{}?fields=status", self.base, enc(key));
        let a = self.client.send("GET", &url, &self.h(), None)?;
        if a.status == 404 {
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
        let url = format!("{}/rest/api/2/issue", self.base);
        let mut fields = self.fields(spec);
        fields["project"] = json!({ "key": self.project });
        fields["issuetype"] = json!({ "name": self.issue_type });
        let v = self
            .client
            .json("POST", &url, &self.h(), Some(&json!({ "fields": fields })))?;
        let key = v["key"].as_str().ok_or_else(|| {
            self.client
                .protocol("POST", &url, "created issue without a key")
        })?;
        Ok(RemoteTicket {
            key: key.to_string(),
            url: Some(self.browse(key)),
            status: "created".into(),
            closed: false,
        })
    }

    fn update(&self, key: &str, spec: &TicketSpec) -> Result<RemoteTicket> {
        let url = format!("{}/rest/api/2/issue/{}", self.base, enc(key));
        self.client.json(
            "PUT",
            &url,
            &self.h(),
            Some(&json!({ "fields": self.fields(spec) })),
        )?;
        self.get(key)?.ok_or_else(|| {
            self.client
                .protocol("GET", &url, "issue vanished after its update")
        })
    }

    fn set_closed(
        &self,
        key: &str,
        _spec: &TicketSpec,
        closed: bool,
        note: &str,
    ) -> Result<RemoteTicket> {
        let url = format!("{}/rest/api/2/issue/{}/transitions", self.base, enc(key));
        let v = self.client.json("GET", &url, &self.h(), None)?;
        let want = if closed { "done" } else { "new" };
        let transitions = v["transitions"].as_array().cloned().unwrap_or_default();
        let pick = transitions
            .iter()
            .find(|t| t["to"]["statusCategory"]["key"].as_str() == Some(want))
            .or_else(|| {
                // Workflows without a "new" category transition reopen into
                // "In Progress".
                (!closed).then(|| {
                    transitions.iter().find(|t| {
                        t["to"]["statusCategory"]["key"].as_str() == Some("indeterminate")
                    })
                })?
            });
        let Some(t) = pick else {
            return Err(self.client.protocol(
                "GET",
                &url,
                format!(
                    "no transition of {key} leads to a `{want}` status: allow one in the workflow"
                ),
            ));
        };
        let id = t["id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| t["id"].to_string());
        self.comment(key, note)?;
        self.client.json(
            "POST",
            &url,
            &self.h(),
            Some(&json!({ "transition": { "id": id } })),
        )?;
        self.get(key)?.ok_or_else(|| {
            self.client
                .protocol("GET", &url, "issue vanished after its transition")
        })
    }
}
