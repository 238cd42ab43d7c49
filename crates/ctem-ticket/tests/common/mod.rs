//! Local fake trackers for the sync tests: a tiny HTTP/1.1 server on
//! 127.0.0.1 and, for each vendor, the endpoints ctem uses, written from the
//! vendors' API documentation, over one in-memory issue list. Faults make a
//! server answer 503 or hang (after doing the work) on chosen requests.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Req {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Req {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

pub struct Resp {
    pub status: u16,
    pub body: String,
}

pub fn resp(status: u16, v: Value) -> Resp {
    Resp {
        status,
        body: if v.is_null() {
            String::new()
        } else {
            v.to_string()
        },
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Handler = Arc<dyn Fn(&Req) -> Resp + Send + Sync>;

pub struct Server {
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

pub fn serve(handler: Handler) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if s2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(conn) = conn else { continue };
            let h = handler.clone();
            std::thread::spawn(move || handle(conn, h));
        }
    });
    Server {
        url: format!("http://{addr}"),
        stop,
    }
}

fn handle(conn: TcpStream, h: Handler) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    if r.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).is_err() {
            return;
        }
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if r.read_exact(&mut body).is_err() {
        return;
    }
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let req = Req {
        method,
        path: decode(path),
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let resp = h(&req);
    let reason = match resp.status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        404 => "Not Found",
        401 => "Unauthorized",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut conn = r.into_inner();
    let ctype = if resp.body.is_empty() {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {} {reason}\r\n{ctype}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        resp.status,
        resp.body.len(),
        resp.body
    );
    let _ = conn.flush();
}

/// One issue in the fake tracker.
#[derive(Debug, Clone, Default)]
pub struct Issue {
    pub key: String,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub correlation: String,
    pub closed: bool,
    pub comments: Vec<String>,
    pub due: Option<String>,
}

#[derive(Default)]
pub struct World {
    pub issues: Vec<Issue>,
    /// `(method, path fragment, times)`: answer 503 that many times.
    pub fail: Vec<(String, String, u32)>,
    /// `(method, path fragment, times)`: do the work, then hang.
    pub hang: Vec<(String, String, u32)>,
    pub hang_for: Duration,
    /// Every request as `METHOD path`.
    pub log: Vec<String>,
    /// The credential the fake expects, in its vendor's header.
    pub expect_auth: String,
    /// Answer 401 with the request's own Authorization header in the body
    /// (a hostile echo), to prove errors never show credentials.
    pub echo_auth_401: bool,
    pub deliveries: Vec<(HashMap<String, String>, String)>,
}

pub type Shared = Arc<Mutex<World>>;

fn take(rules: &mut [(String, String, u32)], req: &Req) -> bool {
    for r in rules.iter_mut() {
        if r.2 > 0 && r.0 == req.method && req.path.contains(&r.1) {
            r.2 -= 1;
            return true;
        }
    }
    false
}

/// Wraps a vendor's routes with the log, authentication and faults.
pub fn tracker(
    world: Shared,
    auth_header: &'static str,
    routes: fn(&mut World, &Req) -> Resp,
) -> Server {
    serve(Arc::new(move |req: &Req| {
        let (resp, hang) = {
            let mut w = world.lock().expect("world");
            w.log.push(format!("{} {}", req.method, req.path));
            let got = req.headers.get(auth_header).cloned().unwrap_or_default();
            if w.echo_auth_401 || got != w.expect_auth {
                return resp(401, json!({"message": format!("bad credentials: {got}")}));
            }
            if take(&mut w.fail, req) {
                return resp(503, json!({"message": "service unavailable"}));
            }
            let hang = take(&mut w.hang, req).then_some(w.hang_for);
            (routes(&mut w, req), hang)
        };
        if let Some(d) = hang {
            std::thread::sleep(d);
        }
        resp
    }))
}

fn label_in_jql(jql: &str) -> String {
    jql.split("labels = \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// Jira REST v2: /rest/api/2/{search,issue,issue/{key},issue/{key}/transitions,issue/{key}/comment}.
pub fn jira_routes(w: &mut World, req: &Req) -> Resp {
    let status = |i: &Issue| {
        if i.closed {
            json!({"name": "Done", "statusCategory": {"key": "done"}})
        } else {
            json!({"name": "To Do", "statusCategory": {"key": "new"}})
        }
    };
    let p: Vec<&str> = req
        .path
        .trim_start_matches("/rest/api/2/")
        .split('/')
        .collect();
    match (req.method.as_str(), p.as_slice()) {
        ("GET", ["search"]) | ("GET", ["search", "jql"]) => {
            let label = label_in_jql(req.query.get("jql").map(String::as_str).unwrap_or(""));
            let issues: Vec<Value> = w
                .issues
                .iter()
                .filter(|i| i.labels.contains(&label))
                .map(|i| json!({"id": "1", "key": i.key, "fields": {"status": status(i), "summary": i.title}}))
                .collect();
            resp(
                200,
                json!({"startAt": 0, "maxResults": 10, "total": issues.len(), "issues": issues}),
            )
        }
        ("POST", ["issue"]) => {
            let f = &req.json()["fields"];
            if f["project"]["key"].as_str().is_none() || f["issuetype"]["name"].as_str().is_none() {
                return resp(
                    400,
                    json!({"errorMessages": [], "errors": {"project": "project is required"}}),
                );
            }
            let key = format!("SEC-{}", w.issues.len() + 1);
            w.issues.push(Issue {
                key: key.clone(),
                title: f["summary"].as_str().unwrap_or("").into(),
                body: f["description"].as_str().unwrap_or("").into(),
                labels: f["labels"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|l| l.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
                due: f["duedate"].as_str().map(String::from),
                ..Issue::default()
            });
            resp(
                201,
                json!({"id": "10000", "key": key, "self": "http://jira/rest/api/2/issue/10000"}),
            )
        }
        (m, ["issue", key, rest @ ..]) => {
            let Some(i) = w.issues.iter_mut().find(|i| i.key == *key) else {
                return resp(
                    404,
                    json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}),
                );
            };
            match (m, rest) {
                ("GET", []) => resp(200, json!({"key": i.key, "fields": {"status": status(i)}})),
                ("PUT", []) => {
                    let f = &req.json()["fields"];
                    if let Some(s) = f["summary"].as_str() {
                        i.title = s.into();
                    }
                    if let Some(s) = f["description"].as_str() {
                        i.body = s.into();
                    }
                    if let Some(d) = f["duedate"].as_str() {
                        i.due = Some(d.into());
                    }
                    resp(204, Value::Null)
                }
                ("GET", ["transitions"]) => resp(
                    200,
                    json!({"transitions": [
                    {"id": "11", "name": "To Do", "to": {"name": "To Do", "statusCategory": {"key": "new"}}},
                    {"id": "21", "name": "In Progress", "to": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}},
                    {"id": "31", "name": "Done", "to": {"name": "Done", "statusCategory": {"key": "done"}}}]}),
                ),
                ("POST", ["transitions"]) => {
                    match req.json()["transition"]["id"].as_str() {
                        Some("31") => i.closed = true,
                        Some("11") | Some("21") => i.closed = false,
                        _ => {
                            return resp(400, json!({"errorMessages": ["transition id required"]}));
                        }
                    }
                    resp(204, Value::Null)
                }
                ("POST", ["comment"]) => {
                    i.comments
                        .push(req.json()["body"].as_str().unwrap_or("").into());
                    resp(201, json!({"id": "1"}))
                }
                _ => resp(405, json!({})),
            }
        }
        _ => resp(404, json!({})),
    }
}

fn gh_issue(i: &Issue) -> Value {
    let n: u64 = i.key.parse().unwrap_or(0);
    json!({"number": n, "html_url": format!("https://github.example/o/r/issues/{n}"),
           "state": if i.closed { "closed" } else { "open" }, "title": i.title,
           "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()})
}

/// GitHub REST: /repos/{o}/{r}/issues[/{n}[/comments]].
pub fn github_routes(w: &mut World, req: &Req) -> Resp {
    if req.headers.get("x-github-api-version").map(String::as_str) != Some("2022-11-28") {
        return resp(400, json!({"message": "missing API version"}));
    }
    let Some(rest) = req.path.strip_prefix("/repos/atlantica/claims/issues") else {
        return resp(404, json!({"message": "Not Found"}));
    };
    let p: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let set = |i: &mut Issue, b: &Value| {
        if let Some(s) = b["title"].as_str() {
            i.title = s.into();
        }
        if let Some(s) = b["body"].as_str() {
            i.body = s.into();
        }
        if let Some(a) = b["labels"].as_array() {
            i.labels = a
                .iter()
                .filter_map(|l| l.as_str().map(String::from))
                .collect();
        }
        match b["state"].as_str() {
            Some("closed") => i.closed = true,
            Some("open") => i.closed = false,
            _ => {}
        }
    };
    match (req.method.as_str(), p.as_slice()) {
        ("GET", []) => {
            let label = req.query.get("labels").cloned().unwrap_or_default();
            let v: Vec<Value> = w
                .issues
                .iter()
                .filter(|i| i.labels.contains(&label))
                .map(gh_issue)
                .collect();
            resp(200, json!(v))
        }
        ("POST", []) => {
            let mut i = Issue {
                key: (w.issues.len() + 1).to_string(),
                ..Issue::default()
            };
            set(&mut i, &req.json());
            let v = gh_issue(&i);
            w.issues.push(i);
            resp(201, v)
        }
        (m, [n, rest @ ..]) => {
            let Some(i) = w.issues.iter_mut().find(|i| i.key == *n) else {
                return resp(404, json!({"message": "Not Found"}));
            };
            match (m, rest) {
                ("GET", []) => resp(200, gh_issue(i)),
                ("PATCH", []) => {
                    set(i, &req.json());
                    resp(200, gh_issue(i))
                }
                ("POST", ["comments"]) => {
                    i.comments
                        .push(req.json()["body"].as_str().unwrap_or("").into());
                    resp(201, json!({"id": 1}))
                }
                _ => resp(404, json!({})),
            }
        }
        _ => resp(404, json!({})),
    }
}

fn gl_issue(i: &Issue) -> Value {
    let n: u64 = i.key.parse().unwrap_or(0);
    json!({"id": 1000 + n, "iid": n, "web_url": format!("https://gitlab.example/g/p/-/issues/{n}"),
           "state": if i.closed { "closed" } else { "opened" }, "title": i.title, "labels": i.labels, "due_date": i.due})
}

/// GitLab REST v4: /api/v4/projects/{id}/issues[/{iid}[/notes]].
pub fn gitlab_routes(w: &mut World, req: &Req) -> Resp {
    // The project path arrives URL-encoded as one segment, as GitLab requires.
    let Some(rest) = req
        .path
        .strip_prefix("/api/v4/projects/atlantica/claims/issues")
    else {
        return resp(404, json!({"message": "404 Project Not Found"}));
    };
    let p: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let set = |i: &mut Issue, b: &Value| {
        if let Some(s) = b["title"].as_str() {
            i.title = s.into();
        }
        if let Some(s) = b["description"].as_str() {
            i.body = s.into();
        }
        if let Some(s) = b["labels"].as_str() {
            i.labels = s.split(',').map(String::from).collect();
        }
        if let Some(s) = b["due_date"].as_str() {
            i.due = Some(s.into());
        }
        match b["state_event"].as_str() {
            Some("close") => i.closed = true,
            Some("reopen") => i.closed = false,
            _ => {}
        }
    };
    match (req.method.as_str(), p.as_slice()) {
        ("GET", []) => {
            let label = req.query.get("labels").cloned().unwrap_or_default();
            let v: Vec<Value> = w
                .issues
                .iter()
                .filter(|i| i.labels.contains(&label))
                .map(gl_issue)
                .collect();
            resp(200, json!(v))
        }
        ("POST", []) => {
            let mut i = Issue {
                key: (w.issues.len() + 1).to_string(),
                ..Issue::default()
            };
            set(&mut i, &req.json());
            let v = gl_issue(&i);
            w.issues.push(i);
            resp(201, v)
        }
        (m, [n, rest @ ..]) => {
            let Some(i) = w.issues.iter_mut().find(|i| i.key == *n) else {
                return resp(404, json!({"message": "404 Not found"}));
            };
            match (m, rest) {
                ("GET", []) => resp(200, gl_issue(i)),
                ("PUT", []) => {
                    set(i, &req.json());
                    resp(200, gl_issue(i))
                }
                ("POST", ["notes"]) => {
                    i.comments
                        .push(req.json()["body"].as_str().unwrap_or("").into());
                    resp(201, json!({"id": 1}))
                }
                _ => resp(404, json!({})),
            }
        }
        _ => resp(404, json!({})),
    }
}

fn sn_record(i: &Issue) -> Value {
    json!({"sys_id": i.key, "number": format!("INC00{}", i.key.trim_start_matches("sys")),
           "state": if i.closed { "6" } else { "1" }})
}

/// ServiceNow Table API: /api/now/table/incident[/{sys_id}].
pub fn servicenow_routes(w: &mut World, req: &Req) -> Resp {
    let Some(rest) = req.path.strip_prefix("/api/now/table/incident") else {
        return resp(
            400,
            json!({"error": {"message": "Invalid table"}, "status": "failure"}),
        );
    };
    let p: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let set = |i: &mut Issue, b: &Value| {
        if let Some(s) = b["short_description"].as_str() {
            i.title = s.into();
        }
        if let Some(s) = b["description"].as_str() {
            i.body = s.into();
        }
        if let Some(s) = b["correlation_id"].as_str() {
            i.correlation = s.into();
        }
        if let Some(s) = b["close_notes"].as_str() {
            i.comments.push(s.into());
        }
        if let Some(s) = b["work_notes"].as_str() {
            i.comments.push(s.into());
        }
        match b["state"].as_str() {
            Some("6") | Some("7") => i.closed = true,
            Some(_) => i.closed = false,
            None => {}
        }
    };
    match (req.method.as_str(), p.as_slice()) {
        ("GET", []) => {
            let q = req.query.get("sysparm_query").cloned().unwrap_or_default();
            let cid = q
                .strip_prefix("correlation_id=")
                .and_then(|s| s.split('^').next())
                .unwrap_or("");
            let v: Vec<Value> = w
                .issues
                .iter()
                .filter(|i| i.correlation == cid)
                .map(sn_record)
                .collect();
            resp(200, json!({"result": v}))
        }
        ("POST", []) => {
            let mut i = Issue {
                key: format!("sys{}", w.issues.len() + 1),
                ..Issue::default()
            };
            set(&mut i, &req.json());
            let v = sn_record(&i);
            w.issues.push(i);
            resp(201, json!({"result": v}))
        }
        (m, [id]) => {
            let Some(i) = w.issues.iter_mut().find(|i| i.key == *id) else {
                return resp(
                    404,
                    json!({"error": {"message": "No Record found"}, "status": "failure"}),
                );
            };
            match m {
                "GET" => resp(200, json!({"result": sn_record(i)})),
                "PATCH" | "PUT" => {
                    set(i, &req.json());
                    resp(200, json!({"result": sn_record(i)}))
                }
                _ => resp(405, json!({})),
            }
        }
        _ => resp(404, json!({})),
    }
}

/// A webhook receiver that keeps every delivery's headers and body.
pub fn webhook_routes(w: &mut World, req: &Req) -> Resp {
    w.deliveries.push((req.headers.clone(), req.body.clone()));
    resp(204, Value::Null)
}
