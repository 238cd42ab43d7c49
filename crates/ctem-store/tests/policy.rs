//! Policy versions and feed checks: recorded, audited, and read back.

use ctem_store::{FeedCheck, PolicyRecord};

mod backend;

on_every_backend!(
    policies_are_recorded_with_adopted_then_changed_audit_entries,
    feed_checks_are_recorded_and_audited,
);

fn policies_are_recorded_with_adopted_then_changed_audit_entries() {
    let mut s = backend::fresh();
    assert!(s.latest_policy().expect("latest").is_none());
    let rec = |v: &str, h: &str| PolicyRecord {
        id: 0,
        version: v.into(),
        hash: h.into(),
        content: "{}".into(),
        first_used: 1_700_000_000,
    };
    s.record_policy(&rec("default-1", "aa"), &serde_json::json!({}), "tester")
        .expect("first");
    s.record_policy(
        &rec("2026.1", "bb"),
        &serde_json::json!({"changes": ["version default-1 → 2026.1"]}),
        "tester",
    )
    .expect("second");
    let latest = s.latest_policy().expect("latest").expect("some");
    assert_eq!(
        (latest.version.as_str(), latest.hash.as_str()),
        ("2026.1", "bb")
    );
    let log = s.audit_log(None).expect("log");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["policy.adopted", "policy.changed"]);
    assert_eq!(log[1].detail["changes"][0], "version default-1 → 2026.1");
    assert!(s.verify_audit().expect("verify").problem.is_none());
}

fn feed_checks_are_recorded_and_audited() {
    let mut s = backend::fresh();
    assert!(s.last_feed_check("kev").expect("none").is_none());
    let c = FeedCheck {
        feed: "kev".into(),
        url: "https://www.cisa.gov/feed.json".into(),
        checked_at: 1_700_000_000,
        outcome: "not modified".into(),
        http_status: Some(304),
        snapshot_id: None,
        detail: "304 Not Modified".into(),
    };
    s.record_feed_check(&c, "tester").expect("record");
    assert_eq!(s.last_feed_check("kev").expect("read"), Some(c));
    let log = s.audit_log(None).expect("log");
    assert_eq!(log[0].action, "feed.checked");
}
