//! A generic signed webhook for any other system: one JSON `POST` per
//! change of an action (`action.opened`, `action.updated`, `action.closed`,
//! `action.reopened`). Each delivery carries
//! `X-Ctem-Delivery` (the action id and content hash: the same change always
//! has the same id, so a receiver drops a redelivery), `X-Ctem-Timestamp`
//! (Unix seconds) and `X-Ctem-Signature-256: sha256=<hex>`, the HMAC-SHA256
//! of `"{timestamp}.{body}"` under the shared secret. Webhooks are one-way:
//! no search and no status pull.

use crate::http::Client;
use crate::{Credentials, RemoteTicket, Result, TicketSpec, Tracker, TrackerConfig};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

pub(crate) struct Webhook {
    client: Client,
    url: String,
    secret: String,
}

/// The signature header value of a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length; the error branch cannot happen.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

impl Webhook {
    pub(crate) fn new(
        cfg: &TrackerConfig,
        creds: Credentials,
        http: crate::Http,
    ) -> Result<Webhook> {
        Ok(Webhook {
            client: Client::new(&cfg.name, http, vec![creds.token().to_string()], cfg),
            url: cfg.url.clone(),
            secret: creds.token().to_string(),
        })
    }

    fn deliver(&self, event: &str, spec: &TicketSpec, note: Option<&str>) -> Result<RemoteTicket> {
        let delivery = format!("{}:{}:{event}", spec.action_id, spec.content_hash());
        let now = ctem_model::now();
        let body = json!({
            "schema": "ctem-webhook/1",
            "event": event,
            "delivery": delivery,
            "sent_at": ctem_model::fmt_time(now),
            "action": spec,
            "marker": spec.marker(),
            "note": note,
        })
        .to_string();
        let headers = vec![
            ("X-Ctem-Event", event.to_string()),
            ("X-Ctem-Delivery", delivery),
            ("X-Ctem-Timestamp", now.to_string()),
            ("X-Ctem-Signature-256", signature(&self.secret, now, &body)),
        ];
        let a = self.client.send("POST", &self.url, &headers, Some(&body))?;
        if !a.ok() {
            return Err(self.client.status_error("POST", &self.url, &a));
        }
        Ok(RemoteTicket {
            key: spec.action_id.clone(),
            url: None,
            status: event.to_string(),
            closed: event == "action.closed",
        })
    }
}

impl Tracker for Webhook {
    fn name(&self) -> &str {
        &self.client.tracker
    }

    fn two_way(&self) -> bool {
        false
    }

    fn find(&self, _spec: &TicketSpec) -> Result<Option<RemoteTicket>> {
        Ok(None)
    }

    fn get(&self, _key: &str) -> Result<Option<RemoteTicket>> {
        Ok(None)
    }

    fn create(&self, spec: &TicketSpec) -> Result<RemoteTicket> {
        self.deliver("action.opened", spec, None)
    }

    fn update(&self, _key: &str, spec: &TicketSpec) -> Result<RemoteTicket> {
        self.deliver("action.updated", spec, None)
    }

    fn set_closed(
        &self,
        _key: &str,
        spec: &TicketSpec,
        closed: bool,
        note: &str,
    ) -> Result<RemoteTicket> {
        let event = if closed {
            "action.closed"
        } else {
            "action.reopened"
        };
        self.deliver(event, spec, Some(note))
    }
}
