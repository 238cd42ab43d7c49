//! ServiceNow through the Table API: create (`POST /api/now/table/{table}`),
//! read (`GET /api/now/table/{table}/{sys_id}`), update, close and reopen
//! (`PATCH /api/now/table/{table}/{sys_id}`), and find by correlation id
//! (`GET /api/now/table/{table}?sysparm_query=correlation_id=…`). The table
//! defaults to `incident`; the tier maps to urgency and impact (1 high,
//! 3 low). Authentication: Basic with a user and password when a user is
//! set, otherwise Bearer with an OAuth access token.

use crate::http::{Client, basic, enc};
use crate::{Credentials, RemoteTicket, Result, TicketSpec, Tracker, TrackerConfig};
use ctem_model::Tier;
use serde_json::{Value, json};

const FIELDS: &str = "sys_id,number,state";

pub(crate) struct ServiceNow {
    client: Client,
    base: String,
    table_url: String,
    auth: String,
    assignment_group: Option<String>,
    closed_states: Vec<String>,
    close_state: String,
}

impl ServiceNow {
    pub(crate) fn new(
        cfg: &TrackerConfig,
        creds: Credentials,
        http: crate::Http,
    ) -> Result<ServiceNow> {
        let auth = match &creds.user {
            Some(u) => basic(u, creds.token()),
            None => format!("Bearer {}", creds.token()),
        };
        let base = cfg.url.trim_end_matches('/').to_string();
        let table = cfg.table.clone().unwrap_or_else(|| "incident".into());
        Ok(ServiceNow {
            client: Client::new(
                &cfg.name,
                http,
                vec![creds.token().to_string(), auth.clone()],
                cfg,
            ),
            table_url: format!("{base}/api/now/table/{}", enc(&table)),
            base,
            auth,
            assignment_group: cfg.assignment_group.clone(),
            closed_states: cfg
                .closed_states
                .clone()
                .unwrap_or_else(|| vec!["6".into(), "7".into()]),
            close_state: cfg.close_state.clone().unwrap_or_else(|| "6".into()),
        })
    }

    fn h(&self) -> Vec<(&'static str, String)> {
        vec![("Authorization", self.auth.clone())]
    }

    fn ticket(&self, v: &Value, method: &str, url: &str) -> Result<RemoteTicket> {
        let id = v["sys_id"]
            .as_str()
            .ok_or_else(|| self.client.protocol(method, url, "record without a sys_id"))?;
        let state = match &v["state"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => "unknown".into(),
        };
        let number = v["number"].as_str().unwrap_or(id);
        Ok(RemoteTicket {
            key: id.to_string(),
            url: Some(format!(
                "{}/nav_to.do?uri=incident.do?sys_id={id}&number={number}",
                self.base
            )),
            closed: self.closed_states.contains(&state),
            status: state,
        })
    }

    fn record(&self, spec: &TicketSpec) -> Value {
        let (urgency, impact) = match spec.tier {
            Tier::P1 => ("1", "1"),
            Tier::P2 => ("2", "1"),
            Tier::P3 => ("2", "2"),
            Tier::P4 => ("3", "3"),
        };
        let mut r = json!({
            "short_description": spec.title,
            "description": spec.body,
            "correlation_id": spec.marker(),
            "correlation_display": "ctem",
            "urgency": urgency,
            "impact": impact,
        });
        if let Some(d) = &spec.due {
            r["due_date"] = json!(format!("{d} 23:59:59"));
        }
        if let Some(g) = &self.assignment_group {
            r["assignment_group"] = json!(g);
        }
        r
    }

    fn result(&self, v: Value, method: &str, url: &str) -> Result<RemoteTicket> {
        self.ticket(&v["result"], method, url)
    }
}

impl Tracker for ServiceNow {
    fn name(&self) -> &str {
        &self.client.tracker
    }

    fn find(&self, spec: &TicketSpec) -> Result<Option<RemoteTicket>> {
        let q = format!("correlation_id={}^ORDERBYsys_created_on", spec.marker());
        let url = format!(
            "{}?sysparm_query={}&sysparm_fields={FIELDS}&sysparm_limit=10",
            self.table_url,
            enc(&q)
        );
        let v = self.client.json("GET", &url, &self.h(), None)?;
        let list = v["result"].as_array().ok_or_else(|| {
            self.client
                .protocol("GET", &url, "answer without a `result` list")
        })?;
        match list.first() {
            Some(r) => self.ticket(r, "GET", &url).map(Some),
            None => Ok(None),
        }
    }

    fn get(&self, key: &str) -> Result<Option<RemoteTicket>> {
        let url = format!("{}/{}?sysparm_fields={FIELDS}", self.table_url, enc(key));
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
        self.result(v, "GET", &url).map(Some)
    }

    fn create(&self, spec: &TicketSpec) -> Result<RemoteTicket> {
        let url = format!("{}?sysparm_fields={FIELDS}", self.table_url);
        let v = self
            .client
            .json("POST", &url, &self.h(), Some(&self.record(spec)))?;
        self.result(v, "POST", &url)
    }

    fn update(&self, key: &str, spec: &TicketSpec) -> Result<RemoteTicket> {
        let url = format!("{}/{}?sysparm_fields={FIELDS}", self.table_url, enc(key));
        let v = self
            .client
            .json("PATCH", &url, &self.h(), Some(&self.record(spec)))?;
        self.result(v, "PATCH", &url)
    }

    fn set_closed(
        &self,
        key: &str,
        _spec: &TicketSpec,
        closed: bool,
        note: &str,
    ) -> Result<RemoteTicket> {
        let url = format!("{}/{}?sysparm_fields={FIELDS}", self.table_url, enc(key));
        let body = if closed {
            json!({
                "state": self.close_state,
                "close_code": "Solved (Permanently)",
                "close_notes": note,
            })
        } else {
            json!({ "state": "2", "work_notes": note })
        };
        let v = self.client.json("PATCH", &url, &self.h(), Some(&body))?;
        self.result(v, "PATCH", &url)
    }
}
