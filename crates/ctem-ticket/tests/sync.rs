//! Ticket sync against local fake trackers (127.0.0.1 only) that implement
//! the endpoints ctem uses: idempotent create/update/close, two-way status,
//! and no duplicate and no lost update when a server fails or hangs
//! mid-sync.

mod common;
use common::*;
use ctem_model::Tier;
use ctem_ticket::{
    Credentials, Http, Known, Op, SyncReport, TicketSpec, TrackerConfig, connect, sync,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "s3cr3t-t0ken-do-not-log";

fn spec(n: usize, title: &str, last_seen: i64) -> TicketSpec {
    TicketSpec {
        action_id: format!("act-00000000000{n}"),
        title: title.to_string(),
        body: format!("Exposures: e{n}a, e{n}b\nOwner: Claims Engineering"),
        tier: Tier::P1,
        owner: Some("Claims Engineering".into()),
        due: Some("2026-12-01".into()),
        exposures: vec![format!("e{n}a"), format!("e{n}b")],
        assets: vec!["clm-app-01".into()],
        last_seen,
    }
}

struct Rig {
    world: Shared,
    _server: Server,
    cfg: TrackerConfig,
    known: Vec<Known>,
}

impl Rig {
    fn new(
        system: &str,
        auth_header: &'static str,
        expect_auth: String,
        routes: fn(&mut World, &Req) -> Resp,
        extra: &str,
    ) -> Rig {
        let world: Shared = Arc::new(Mutex::new(World {
            expect_auth,
            hang_for: Duration::from_millis(2500),
            ..World::default()
        }));
        let server = tracker(world.clone(), auth_header, routes);
        let toml = format!(
            "[[trackers]]\nname = \"t\"\nsystem = \"{system}\"\nurl = \"{}\"\n{extra}\n",
            server.url
        );
        let cfg = ctem_ticket::parse_trackers(&toml, "ctem.toml")
            .expect("config")
            .remove(0);
        Rig {
            world,
            _server: server,
            cfg,
            known: Vec::new(),
        }
    }

    fn run(&mut self, desired: &[TicketSpec], now: i64) -> SyncReport {
        let creds = Credentials {
            token: Some(TOKEN.into()),
            user: Some("ctem@atlantica.example".into()),
        };
        let http = Http {
            timeout: Duration::from_millis(1000),
            attempts: 2,
            backoff: Duration::from_millis(10),
        };
        let t = connect(&self.cfg, creds, http).expect("connect");
        let known = self.known.clone();
        let store = &mut self.known;
        let mut save = |k: &Known| -> Result<(), String> {
            store.retain(|x| x.action_id != k.action_id);
            store.push(k.clone());
            Ok(())
        };
        sync(t.as_ref(), desired, &known, now, &mut save).expect("sync")
    }

    fn issues(&self) -> Vec<Issue> {
        self.world.lock().expect("world").issues.clone()
    }

    fn writes(&self) -> usize {
        let w = self.world.lock().expect("world");
        w.log.iter().filter(|l| !l.starts_with("GET")).count()
    }
}

fn ops(r: &SyncReport) -> Vec<Op> {
    r.items.iter().map(|i| i.op.clone()).collect()
}

/// The whole life of two actions in one tracker.
fn exercise(mut rig: Rig) {
    let day = 86_400;
    let a = vec![
        spec(1, "Upgrade log4j-core to 2.17.1 on 2 assets", 10 * day),
        spec(2, "Rotate exposed AWS key", 10 * day),
    ];

    // First run creates one ticket per action.
    let r = rig.run(&a, 11 * day);
    assert_eq!(ops(&r), [Op::Created, Op::Created], "{r:?}");
    assert_eq!(rig.issues().len(), 2);

    // A rerun with nothing changed writes nothing and duplicates nothing.
    let before = rig.writes();
    let r = rig.run(&a, 11 * day);
    assert_eq!(ops(&r), [Op::Unchanged, Op::Unchanged], "{r:?}");
    assert_eq!(rig.writes(), before, "an unchanged rerun makes no write");
    assert_eq!(rig.issues().len(), 2);

    // A changed action is updated in place.
    let mut b = a.clone();
    b[0].title = "Upgrade log4j-core to 2.17.1 on 3 assets".into();
    let r = rig.run(&b, 12 * day);
    assert_eq!(ops(&r), [Op::Updated, Op::Unchanged], "{r:?}");
    assert_eq!(rig.issues()[0].title, b[0].title);

    // The server fails every write mid-sync: the update is reported failed,
    // not recorded, and the next run delivers it.
    let mut c = b.clone();
    c[1].title = "Rotate exposed AWS key and purge it from git history".into();
    rig.world
        .lock()
        .expect("world")
        .fail
        .push(("PUT".into(), "/".into(), 99));
    rig.world
        .lock()
        .expect("world")
        .fail
        .push(("PATCH".into(), "/".into(), 99));
    let r = rig.run(&c, 13 * day);
    assert_eq!(ops(&r), [Op::Unchanged, Op::Failed], "{r:?}");
    assert!(
        r.items[1]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{r:?}"
    );
    rig.world.lock().expect("world").fail.clear();
    let r = rig.run(&c, 13 * day);
    assert_eq!(
        ops(&r),
        [Op::Unchanged, Op::Updated],
        "no lost update: {r:?}"
    );
    assert_eq!(rig.issues()[1].title, c[1].title);

    // A new action whose create succeeds but whose answer never arrives
    // (the server hangs past the timeout): the rerun adopts, not duplicates.
    let mut d = c.clone();
    d.push(spec(3, "Disable TLS 1.0 on the broker gateway", 13 * day));
    rig.world
        .lock()
        .expect("world")
        .hang
        .push(("POST".into(), "/".into(), 1));
    let r = rig.run(&d, 14 * day);
    assert_eq!(r.items[2].op, Op::Failed, "{r:?}");
    assert_eq!(rig.issues().len(), 3, "the tracker did create it");
    let r = rig.run(&d, 14 * day);
    assert_eq!(r.items[2].op, Op::Adopted, "{r:?}");
    assert_eq!(rig.issues().len(), 3, "no duplicate after the retry");
    let r = rig.run(&d, 14 * day);
    assert_eq!(
        ops(&r),
        [Op::Unchanged, Op::Unchanged, Op::Unchanged],
        "{r:?}"
    );

    // IT closes ticket 1: ctem pulls the status back.
    rig.world.lock().expect("world").issues[0].closed = true;
    let r = rig.run(&d, 15 * day);
    assert_eq!(r.items[0].op, Op::ClosedRemotely, "{r:?}");
    let r = rig.run(&d, 15 * day);
    assert_eq!(
        r.items[0].op,
        Op::Unchanged,
        "still awaiting a rescan: {r:?}"
    );
    // A scan after the closure still shows the exposures: reopened.
    let mut e = d.clone();
    e[0].last_seen = 16 * day;
    let r = rig.run(&e, 16 * day);
    assert_eq!(r.items[0].op, Op::Reopened, "{r:?}");
    assert!(!rig.issues()[0].closed);
    assert!(
        rig.issues()[0]
            .comments
            .iter()
            .any(|c| c.contains("not verified")),
        "{:?}",
        rig.issues()[0]
    );

    // Action 2 is fixed (no active exposure left): ctem closes its ticket.
    let f = vec![e[0].clone(), e[2].clone()];
    let r = rig.run(&f, 17 * day);
    assert_eq!(
        r.items
            .iter()
            .find(|i| i.action_id == e[1].action_id)
            .map(|i| i.op.clone()),
        Some(Op::Closed),
        "{r:?}"
    );
    assert!(rig.issues()[1].closed);
    let r = rig.run(&f, 17 * day);
    assert!(r.items.iter().all(|i| i.op == Op::Unchanged), "{r:?}");
    assert_eq!(rig.issues().len(), 3, "one ticket per action, always");
}

#[test]
fn jira() {
    let auth = format!("Basic {}", b64("ctem@atlantica.example", TOKEN));
    exercise(Rig::new(
        "jira",
        "authorization",
        auth,
        jira_routes,
        "project = \"SEC\"",
    ));
}

#[test]
fn jira_cloud_search_endpoint() {
    let auth = format!("Basic {}", b64("ctem@atlantica.example", TOKEN));
    let mut rig = Rig::new(
        "jira",
        "authorization",
        auth,
        jira_routes,
        "project = \"SEC\"\njira_search = \"search/jql\"",
    );
    rig.run(&[spec(1, "x", 0)], 1);
    rig.known.clear();
    let r = rig.run(&[spec(1, "x", 0)], 1);
    assert_eq!(ops(&r), [Op::Adopted]);
    assert!(
        rig.world
            .lock()
            .expect("world")
            .log
            .iter()
            .any(|l| l.contains("/search/jql"))
    );
}

#[test]
fn github() {
    exercise(Rig::new(
        "github",
        "authorization",
        format!("Bearer {TOKEN}"),
        github_routes,
        "project = \"atlantica/claims\"",
    ));
}

#[test]
fn gitlab() {
    exercise(Rig::new(
        "gitlab",
        "private-token",
        TOKEN.to_string(),
        gitlab_routes,
        "project = \"atlantica/claims\"",
    ));
}

#[test]
fn servicenow() {
    let auth = format!("Basic {}", b64("ctem@atlantica.example", TOKEN));
    exercise(Rig::new(
        "servicenow",
        "authorization",
        auth,
        servicenow_routes,
        "",
    ));
}

#[test]
fn lost_record_is_adopted_not_duplicated() {
    // ctem's own record of the tickets is lost (a restored database): the
    // marker search finds every ticket again.
    let mut rig = Rig::new(
        "github",
        "authorization",
        format!("Bearer {TOKEN}"),
        github_routes,
        "project = \"atlantica/claims\"",
    );
    let a = vec![spec(1, "a", 0), spec(2, "b", 0)];
    rig.run(&a, 1);
    rig.known.clear();
    let r = rig.run(&a, 2);
    assert_eq!(ops(&r), [Op::Adopted, Op::Adopted]);
    assert_eq!(rig.issues().len(), 2);
}

#[test]
fn credentials_never_appear_in_errors() {
    let mut rig = Rig::new(
        "jira",
        "authorization",
        String::new(),
        jira_routes,
        "project = \"SEC\"",
    );
    rig.world.lock().expect("world").echo_auth_401 = true;
    let r = rig.run(&[spec(1, "a", 0)], 1);
    let e = r.items[0].error.clone().expect("an error");
    assert!(e.contains("401"), "{e}");
    assert!(
        e.contains("<redacted>"),
        "the echoed header is scrubbed: {e}"
    );
    assert!(!e.contains(TOKEN), "{e}");
    assert!(!e.contains(&b64("ctem@atlantica.example", TOKEN)), "{e}");
    let dbg = format!(
        "{:?}",
        Credentials {
            token: Some(TOKEN.into()),
            user: None
        }
    );
    assert!(!dbg.contains(TOKEN), "{dbg}");
}

#[test]
fn webhook_deliveries_are_signed_and_deduplicable() {
    let mut rig = Rig::new(
        "webhook",
        "authorization",
        String::new(),
        webhook_routes,
        "",
    );
    let a = vec![spec(1, "a", 0)];
    assert_eq!(ops(&rig.run(&a, 1)), [Op::Created]);
    assert_eq!(
        ops(&rig.run(&a, 2)),
        [Op::Unchanged],
        "no redelivery of an unchanged action"
    );
    let d = rig.world.lock().expect("world").deliveries.clone();
    assert_eq!(d.len(), 1);
    let (h, body) = &d[0];
    let ts: i64 = h["x-ctem-timestamp"].parse().expect("timestamp");
    assert_eq!(
        h["x-ctem-signature-256"],
        ctem_ticket::webhook_signature(TOKEN, ts, body)
    );
    assert_ne!(
        h["x-ctem-signature-256"],
        ctem_ticket::webhook_signature("wrong", ts, body)
    );
    assert!(h["x-ctem-delivery"].starts_with("act-000000000001:"));
    let v: serde_json::Value = serde_json::from_str(body).expect("json");
    assert_eq!(v["event"], "action.opened");
    assert_eq!(v["action"]["title"], "a");
    // A failed delivery is retried on the next run with the same id.
    rig.world
        .lock()
        .expect("world")
        .fail
        .push(("POST".into(), "/".into(), 1));
    let r = rig.run(&[], 3);
    assert_eq!(ops(&r), [Op::Failed]);
    let r = rig.run(&[], 4);
    assert_eq!(ops(&r), [Op::Closed]);
    let d = rig.world.lock().expect("world").deliveries.clone();
    assert_eq!(d.len(), 2);
    assert_eq!(d[1].0["x-ctem-event"], "action.closed");
}

#[test]
fn config_errors_name_file_and_line() {
    let e = ctem_ticket::parse_trackers(
        "[[trackers]]\nname = \"j\"\nsystem = \"jora\"\nurl = \"https://x\"\n",
        "ctem.toml",
    )
    .expect_err("unknown system");
    assert!(e.starts_with("ctem.toml:1:"), "{e}");
    assert!(e.contains("jora"), "{e}");
    let e = ctem_ticket::parse_trackers(
        "[[trackers]]\nname = \"j\"\nsystem = \"jira\"\nurl = \"ftp://x\"\nmin_tier = \"P9\"\n",
        "ctem.toml",
    )
    .expect_err("bad url and tier");
    assert!(
        e.contains("url must start with https://") && e.contains("min_tier"),
        "{e}"
    );
    let e = ctem_ticket::parse_trackers("[[trackers]\n", "ctem.toml").expect_err("broken toml");
    assert!(e.starts_with("ctem.toml:1:"), "{e}");
}

#[test]
fn credentials_from_env_then_secrets_file() {
    let cfg = ctem_ticket::parse_trackers("[[trackers]]\nname = \"jira-cloud\"\nsystem = \"jira\"\nurl = \"https://x\"\nproject = \"SEC\"\n", "f")
        .expect("config")
        .remove(0);
    assert_eq!(cfg.env_stem(), "CTEM_JIRA_CLOUD");
    let env = |k: &str| (k == "CTEM_JIRA_CLOUD_TOKEN").then(|| "from-env".to_string());
    let c = Credentials::resolve(&cfg, &env, None).expect("env");
    assert_eq!(c.token.as_deref(), Some("from-env"));
    let none = |_: &str| None;
    let e = Credentials::resolve(&cfg, &none, None).expect_err("none");
    assert!(e.to_string().contains("CTEM_JIRA_CLOUD_TOKEN"), "{e}");
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("ctem.secrets.toml");
    std::fs::write(
        &p,
        "[trackers.jira-cloud]\ntoken = \"from-file\"\nuser = \"me@x\"\n",
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = Credentials::resolve(&cfg, &none, Some(&p)).expect_err("world-readable");
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let c = Credentials::resolve(&cfg, &none, Some(&p)).expect("file");
    assert_eq!(
        (c.token.as_deref(), c.user.as_deref()),
        (Some("from-file"), Some("me@x"))
    );
    std::fs::write(&p, "[trackers.jira-cloud]\ntoken = \"leaky-secret\" oops\n").expect("write");
    let e = Credentials::resolve(&cfg, &none, Some(&p)).expect_err("broken");
    assert!(!e.to_string().contains("leaky-secret"), "{e}");
}

fn b64(user: &str, secret: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{secret}").into_bytes();
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
