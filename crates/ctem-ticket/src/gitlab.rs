//! GitLab Issues through REST API v4: create (`POST /projects/:id/issues`),
//! edit, close and reopen (`PUT /projects/:id/issues/:iid` with
//! `state_event`), read (`GET /projects/:id/issues/:iid`), notes, and find
//! by label (`GET /projects/:id/issues?labels=…&state=all`). The project is
//! its numeric id or its URL-encoded path. Authentication: `PRIVATE-TOKEN`.

use crate::http::{Client, enc};
use crate::{Credentials, RemoteTicket, Result, TicketSpec, Tracker, TrackerConfig};
use serde_json::{Value, json};

pub(crate) struct Gitlab {
    client: Client,
    project_url: String,
    token: String,
}

impl Gitlab {
    pub(crate) fn new(
        cfg: &TrackerConfig,
        creds: Credentials,
        http: crate::Http,
    ) -> Result<Gitlab> {
        let project = cfg.project()?;
        Ok(Gitlab {
            client: Client::new(&cfg.name, http, vec![creds.token().to_string()], cfg),
            project_url: format!(
                "{}/api/v4/projects/{}",
                cfg.url.trim_end_matches('/'),
                enc(project)
            ),
            token: creds.token().to_string(),
        })
    }

    fn h(&self) -> Vec<(&'static str, String)> {
        vec![("PRIVATE-TOKEN", self.token.clone())]
    }

    fn ticket(&self, v: &Value, method: &str, url: &str) -> Result<RemoteTicket> {
        let iid = v["iid"]
            .as_u64()
            .ok_or_else(|| self.client.protocol(method, url, "issue without an iid"))?;
        let state = v["state"].as_str().unwrap_or("unknown");
        Ok(RemoteTicket {
            key: iid.to_string(),
            url: v["web_url"].as_str().map(str::to_string),
            status: state.to_string(),
            closed: state == "closed",
        })
    }

    fn body(&self, spec: &TicketSpec) -> Value {
        let mut b = json!({
            "title": spec.title,
            "description": spec.body,
            "labels": format!("ctem,{},{}", spec.marker(), spec.priority_label()),
        });
        if let Some(d) = &spec.due {
            b["due_date"] = json!(d);
        }
        b
    }
}

impl Tracker for Gitlab {
    fn name(&self) -> &str {
        &self.client.tracker
    }

    fn find(&self, spec: &TicketSpec) -> Result<Option<RemoteTicket>> {
        let url = format!(
            "{}/issues?labels={}&state=all&order_by=created_at&sort=asc&per_page=10",
            self.project_url,
            enc(&spec.marker())
        );
        let v = self.client.json("GET", &url, &self.h(), None)?;
        let list = v.as_array().ok_or_else(|| {
            self.client
                .protocol("GET", &url, "expected a list of issues")
        })?;
        match list.first() {
            Some(i) => self.ticket(i, "GET", &url).map(Some),
            None => Ok(None),
        }
    }

    fn get(&self, key: &str) -> Result<Option<RemoteTicket>> {
        let url = format!("{}/issues/{}", self.project_url, enc(key));
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
        let url = format!("{}/issues", self.project_url);
        let v = self
            .client
            .json("POST", &url, &self.h(), Some(&self.body(spec)))?;
        self.ticket(&v, "POST", &url)
    }

    fn update(&self, key: &str, spec: &TicketSpec) -> Result<RemoteTicket> {
        let url = format!("{}/issues/{}", self.project_url, enc(key));
        let v = self
            .client
            .json("PUT", &url, &self.h(), Some(&self.body(spec)))?;
        self.ticket(&v, "PUT", &url)
    }

    fn set_closed(
        &self,
        key: &str,
        _spec: &TicketSpec,
        closed: bool,
        note: &str,
    ) -> Result<RemoteTicket> {
        let n = format!("{}/issues/{}/notes", self.project_url, enc(key));
        self.client
            .json("POST", &n, &self.h(), Some(&json!({ "body": note })))?;
        let url = format!("{}/issues/{}", self.project_url, enc(key));
        let event = if closed { "close" } else { "reopen" };
        let v = self.client.json(
            "PUT",
            &url,
            &self.h(),
            Some(&json!({ "state_event": event })),
        )?;
        self.ticket(&v, "PUT", &url)
    }
}
