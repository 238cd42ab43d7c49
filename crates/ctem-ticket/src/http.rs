//! The HTTP layer shared by every tracker: timeouts, retries of idempotent
//! requests, JSON bodies, and error messages scrubbed of credentials.

use crate::{Result, TicketError};
use std::time::Duration;
use ureq::http;

/// Timeouts and retry policy. Trackers may override the timeout and the
/// attempts per `[[trackers]]` entry.
#[derive(Debug, Clone, Copy)]
pub struct Http {
    /// Whole-request timeout: a tracker that hangs fails the request.
    pub timeout: Duration,
    /// Attempts of an idempotent request (GET, PUT, PATCH) on a transport
    /// error, a 429 or a 5xx.
    pub attempts: u32,
    /// Pause before the second attempt; doubled before each later one.
    pub backoff: Duration,
}

impl Default for Http {
    fn default() -> Http {
        Http {
            timeout: Duration::from_secs(30),
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A client bound to one tracker: its name for messages, the secrets to
/// scrub, and the agent.
pub(crate) struct Client {
    agent: ureq::Agent,
    pub(crate) tracker: String,
    policy: Http,
    secrets: Vec<String>,
}

/// An answer: status and body text.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Percent-encodes a query or path component (RFC 3986 unreserved kept).
pub(crate) fn enc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

impl Client {
    pub(crate) fn new(
        tracker: &str,
        mut policy: Http,
        secrets: Vec<String>,
        cfg: &crate::TrackerConfig,
    ) -> Client {
        if let Some(t) = cfg.timeout_seconds {
            policy.timeout = Duration::from_secs(t.max(1));
        }
        if let Some(a) = cfg.attempts {
            policy.attempts = a.clamp(1, 10);
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(policy.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("ctem/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            agent,
            tracker: tracker.to_string(),
            policy,
            secrets: secrets.into_iter().filter(|s| s.len() >= 4).collect(),
        }
    }

    /// Removes every credential from a text that may be shown to people.
    pub(crate) fn scrub(&self, s: &str) -> String {
        let mut out = s.to_string();
        for sec in &self.secrets {
            out = out.replace(sec.as_str(), "<redacted>");
        }
        out
    }

    /// Sends one request. `headers` carry authentication; `body` is JSON
    /// text. Idempotent methods are retried per the policy.
    pub(crate) fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<Answer> {
        let idempotent = matches!(method, "GET" | "PUT" | "PATCH" | "DELETE");
        let attempts = if idempotent {
            self.policy.attempts.max(1)
        } else {
            1
        };
        let mut pause = self.policy.backoff;
        let mut last: Option<TicketError> = None;
        for attempt in 1..=attempts {
            if attempt > 1 {
                std::thread::sleep(pause);
                pause = pause.saturating_mul(2);
            }
            match self.once(method, url, headers, body) {
                Ok(a) if a.status == 429 || a.status >= 500 => {
                    last = Some(self.status_error(method, url, &a));
                }
                Ok(a) => return Ok(a),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| self.http_error(method, url, None, "no attempt made".into())))
    }

    fn once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<Answer> {
        let mut b = http::Request::builder().method(method).uri(url);
        b = b.header("Accept", "application/json");
        if body.is_some() {
            b = b.header("Content-Type", "application/json");
        }
        for (k, v) in headers {
            b = b.header(*k, v.as_str());
        }
        let req = b
            .body(body.unwrap_or("").as_bytes().to_vec())
            .map_err(|e| self.http_error(method, url, None, e.to_string()))?;
        let mut resp = self
            .agent
            .run(req)
            .map_err(|e| self.http_error(method, url, None, e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| self.http_error(method, url, Some(status), e.to_string()))?;
        Ok(Answer { status, body })
    }

    pub(crate) fn http_error(
        &self,
        method: &str,
        url: &str,
        status: Option<u16>,
        message: String,
    ) -> TicketError {
        TicketError::Http {
            tracker: self.tracker.clone(),
            method: method.to_string(),
            url: self.scrub(url),
            status,
            message: self.scrub(&message),
        }
    }

    /// An error for a non-success answer, with the start of its body.
    pub(crate) fn status_error(&self, method: &str, url: &str, a: &Answer) -> TicketError {
        let snippet: String = a.body.chars().take(300).collect();
        self.http_error(
            method,
            url,
            Some(a.status),
            format!("HTTP {}: {}", a.status, snippet.trim()),
        )
    }

    pub(crate) fn protocol(
        &self,
        method: &str,
        url: &str,
        message: impl Into<String>,
    ) -> TicketError {
        TicketError::Protocol {
            tracker: self.tracker.clone(),
            method: method.to_string(),
            url: self.scrub(url),
            message: self.scrub(&message.into()),
        }
    }

    /// Sends and requires a 2xx JSON answer.
    pub(crate) fn json(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let text = body.map(|b| b.to_string());
        let a = self.send(method, url, headers, text.as_deref())?;
        if !a.ok() {
            return Err(self.status_error(method, url, &a));
        }
        if a.body.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&a.body)
            .map_err(|e| self.protocol(method, url, format!("invalid JSON: {e}")))
    }
}

/// `Basic base64(user:secret)`.
pub(crate) fn basic(user: &str, secret: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{secret}");
    let bytes = input.as_bytes();
    let mut out = String::from("Basic ");
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_rfc7617() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", "b"), "Basic YTpi");
    }

    #[test]
    fn encoding_keeps_unreserved() {
        assert_eq!(
            enc("labels = \"ctem-act-1\""),
            "labels%20%3D%20%22ctem-act-1%22"
        );
        assert_eq!(enc("group/sub project"), "group%2Fsub%20project");
    }
}
