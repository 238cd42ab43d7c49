//! The store code behind `ctem serve`: users, tokens and sessions stored
//! without secrets, risk acceptances, keyset pages that neither repeat nor
//! skip rows, funnel counts, and id-prefix lookups.

use ctem_model::{
    AssetIdentity, AssetKind, Decision, Finding, RiskAcceptance, Severity, Tier, ValidationState,
    Weakness, WeaknessKind,
};
use ctem_store::{ExposureQuery, ExposureSort, ImportMeta, Store};
use std::collections::HashMap;

mod backend;

on_every_backend!(
    keyset_pages_cover_every_row_once_in_order,
    funnel_counts_nest_and_add_up,
    lookups_by_prefix_use_the_key_and_refuse_ambiguity,
    access_records_hold_no_secrets_and_expire,
    re_prioritising_rewrites_only_what_changed,
    text_search_finds_words_by_their_beginning,
);

/// A store with `n` exposures on one host, each decided into a tier and
/// (every third) a service.
fn store_with(n: usize) -> Store {
    let mut s = backend::fresh();
    let mut tx = s
        .begin_import(ImportMeta {
            tool: "t".into(),
            format: "f".into(),
            file: "r.json".into(),
            sha256: "abc".into(),
            actor: "test".into(),
            at: 1_700_000_000,
        })
        .expect("import");
    for i in 0..n {
        tx.add(&Finding {
            tool: "t".into(),
            asset: AssetIdentity {
                kind: Some(AssetKind::Host),
                fqdn: Some("web-01.example".into()),
                ..Default::default()
            },
            weakness: Weakness::from_ids(
                &[format!("CVE-2024-{:05}", i + 1000)],
                WeaknessKind::Vendor,
            )
            .expect("id"),
            component: None,
            title: format!("issue number {i}"),
            severity: Severity::High,
            cvss_vector: None,
            cvss_score: None,
            port: None,
            protocol: None,
            location: None,
            rule_id: None,
            description: None,
        })
        .expect("add");
    }
    tx.commit().expect("commit");
    let rows = s.exposures(true).expect("rows");
    let decisions: Vec<Decision> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| Decision {
            exposure_id: r.exposure.id.clone(),
            in_scope: i % 3 == 0,
            service_id: (i % 3 == 0).then(|| "shop".to_string()),
            tier: Tier::ALL[i % 4],
            // Ties on purpose: the id breaks them.
            score: (i % 7) as f64 * 1.5,
            exploitable_intel: i % 2 == 0,
            reachable: i % 5 == 0,
            validation: if i % 6 == 0 {
                ValidationState::Exploitable
            } else {
                ValidationState::NotValidated
            },
            factors: Default::default(),
            policy_path: Default::default(),
            policy_version: "v1".into(),
            owner: None,
            sla_days: Some(30),
            due: Some(1_700_000_000 + (i as i64 % 11) * 86_400),
            tier_since: 1_700_000_000,
            decided_at: 1_700_000_000,
            feed_snapshots: vec![],
        })
        .collect();
    s.save_decisions(&decisions, &HashMap::new(), "test")
        .expect("decisions");
    s
}

fn walk(s: &Store, mut q: ExposureQuery) -> Vec<ctem_store::ExposureListRow> {
    let mut out = Vec::new();
    loop {
        let p = s.exposure_page(&q).expect("page");
        out.extend(p.rows);
        match p.next {
            Some(n) => q.after = Some(n),
            None => return out,
        }
    }
}

fn keyset_pages_cover_every_row_once_in_order() {
    let s = store_with(203);
    let all = walk(
        &s,
        ExposureQuery {
            limit: 10,
            ..Default::default()
        },
    );
    assert_eq!(all.len(), 203);
    let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    for w in all.windows(2) {
        let a = (&w[0].tier, -w[0].score, &w[0].id);
        let b = (&w[1].tier, -w[1].score, &w[1].id);
        assert!(a < b, "{a:?} then {b:?}");
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 203);

    let due = walk(
        &s,
        ExposureQuery {
            limit: 7,
            sort: ExposureSort::Due,
            ..Default::default()
        },
    );
    assert_eq!(due.len(), 203);
    assert!(
        due.windows(2)
            .all(|w| (w[0].due, &w[0].id) < (w[1].due, &w[1].id))
    );

    let svc = walk(
        &s,
        ExposureQuery {
            limit: 9,
            services: Some(vec!["shop".into()]),
            ..Default::default()
        },
    );
    assert_eq!(svc.len(), 68);
    assert!(svc.iter().all(|r| r.service_id.as_deref() == Some("shop")));
    let none = s
        .exposure_page(&ExposureQuery {
            services: Some(vec![]),
            limit: 5,
            ..Default::default()
        })
        .expect("page");
    assert!(none.rows.is_empty());

    let text = walk(
        &s,
        ExposureQuery {
            limit: 50,
            text: Some("NUMBER 10".into()),
            ..Default::default()
        },
    );
    assert_eq!(text.len(), 1 + 10, "issue number 10 and 100-109");
    let percent = walk(
        &s,
        ExposureQuery {
            limit: 50,
            text: Some("%".into()),
            ..Default::default()
        },
    );
    assert!(percent.is_empty(), "LIKE wildcards are escaped");

    for bad in ["P1", "P9~1~x", "P1~notanumber~x"] {
        let e = s.exposure_page(&ExposureQuery {
            after: Some(bad.into()),
            limit: 5,
            ..Default::default()
        });
        assert!(
            e.is_err_and(|e| e.to_string().contains("invalid cursor")),
            "{bad}"
        );
    }
}

fn funnel_counts_nest_and_add_up() {
    let s = store_with(120);
    let c = s.funnel_counts(1_700_000_000 + 5 * 86_400).expect("counts");
    let total: i64 = c.iter().map(|f| f.stages[0]).sum();
    assert_eq!(total, 120);
    for f in &c {
        assert!(f.stages.windows(2).all(|w| w[0] >= w[1]), "{f:?}");
        assert_eq!(f.tiers.iter().sum::<i64>(), f.stages[0]);
    }
    let shop = c
        .iter()
        .find(|f| f.service_id.as_deref() == Some("shop"))
        .expect("shop");
    assert_eq!(shop.stages[0], 40);
    let overdue: i64 = c.iter().map(|f| f.overdue).sum();
    // due offsets 0..=10 days, now at day 5: offsets 0-4 are overdue.
    assert_eq!(overdue, (0..120).filter(|i| i % 11 < 5).count() as i64);
}

fn lookups_by_prefix_use_the_key_and_refuse_ambiguity() {
    let s = store_with(50);
    let rows = s.exposures(true).expect("rows");
    let id = &rows[17].exposure.id;
    let full = s
        .exposure_by_id_or_prefix(id)
        .expect("lookup")
        .expect("found");
    assert_eq!(&full.exposure.id, id);
    // The detail lookup: the same row and the stored decision, in one query.
    let (row, decision) = s
        .exposure_detail(&id[..12])
        .expect("detail")
        .expect("found");
    assert_eq!(row.exposure.id, full.exposure.id);
    assert_eq!(row.exposure.sources, full.exposure.sources);
    assert_eq!(row.asset.id, full.asset.id);
    let stored = s.decision(id).expect("decision").expect("decided");
    assert_eq!(
        decision.map(|d| (d.exposure_id, d.tier)),
        Some((stored.exposure_id, stored.tier))
    );
    assert!(s.exposure_detail("zzzzzzzz").expect("detail").is_none());
    let pre = s
        .exposure_by_id_or_prefix(&id[..12].to_ascii_uppercase())
        .expect("lookup");
    assert_eq!(pre.map(|r| r.exposure.id), Some(id.clone()));
    assert!(
        s.exposure_by_id_or_prefix(&id[..3])
            .expect("lookup")
            .is_none(),
        "short prefixes are not searched"
    );
    assert!(
        s.exposure_by_id_or_prefix("zzzzzzzz")
            .expect("lookup")
            .is_none()
    );
    // The same answers as the original lookup.
    for r in rows.iter().take(10) {
        assert_eq!(
            s.exposure_by_id_or_prefix(&r.exposure.id[..10])
                .expect("a")
                .map(|x| x.exposure.id),
            s.exposure(&r.exposure.id[..10])
                .expect("b")
                .map(|x| x.exposure.id)
        );
    }
}

fn access_records_hold_no_secrets_and_expire() {
    let mut s = store_with(3);
    let uid = s
        .upsert_user("alice", "$argon2id$v=19$fake", "analyst", &[], "test")
        .expect("user");
    assert_eq!(
        s.upsert_user("alice", "$argon2id$v=19$new", "auditor", &[], "test")
            .expect("again"),
        uid
    );
    let u = s.user("alice").expect("get").expect("alice");
    assert_eq!(u.role, "auditor");
    assert!(
        !serde_json::to_string(&u).expect("json").contains("argon2"),
        "hash never serialised"
    );

    let id = s
        .create_token("d1g3st", "ci", "analyst", &[], Some(2_000), "test")
        .expect("token");
    assert!(s.token_by_hash("d1g3st", 1_000).expect("t").is_some());
    assert!(
        s.token_by_hash("d1g3st", 3_000).expect("t").is_none(),
        "expired"
    );
    assert!(s.revoke_token(id, "test").expect("revoke"));
    assert!(!s.revoke_token(id, "test").expect("revoke twice"));
    assert!(
        s.token_by_hash("d1g3st", 1_000).expect("t").is_none(),
        "revoked"
    );

    let now = ctem_model::now();
    s.create_session("sess", uid, "csrf", now + 60)
        .expect("session");
    assert_eq!(
        s.session("sess", now).expect("s").map(|x| x.csrf),
        Some("csrf".into())
    );
    assert!(s.session("sess", now + 61).expect("s").is_none());
    // Changing a user ends their sessions.
    s.upsert_user("alice", "$argon2id$v=19$newer", "auditor", &[], "test")
        .expect("reset");
    assert!(s.session("sess", now).expect("s").is_none());

    // Admins create, disable and reset users; a taken name changes nothing.
    assert!(
        s.create_user("alice", "$argon2id$x", "admin", &[], "user:root")
            .expect("create")
            .is_none()
    );
    assert_eq!(
        s.user("alice").expect("u").map(|u| u.role),
        Some("auditor".into())
    );
    let bid = s
        .create_user(
            "bob",
            "$argon2id$bob",
            "service_owner",
            &["claims".into()],
            "user:root",
        )
        .expect("create")
        .expect("new");
    s.create_session("bob-sess", bid, "csrf", now + 60)
        .expect("session");
    assert!(
        s.set_user_disabled("bob", true, "user:root")
            .expect("disable")
    );
    assert!(s.user("bob").expect("u").expect("bob").disabled);
    assert!(s.session("bob-sess", now).expect("s").is_none());
    s.create_session("bob-sess2", bid, "csrf", now + 60)
        .expect("session");
    assert!(
        s.session("bob-sess2", now).expect("s").is_none(),
        "a disabled user has no session"
    );
    assert!(
        s.set_user_disabled("bob", false, "user:root")
            .expect("enable")
    );
    assert!(s.session("bob-sess2", now).expect("s").is_some());
    assert!(
        s.set_user_password("bob", "$argon2id$new", "user:root")
            .expect("reset")
    );
    assert_eq!(
        s.user("bob").expect("u").expect("bob").password_hash,
        "$argon2id$new"
    );
    assert!(
        s.session("bob-sess2", now).expect("s").is_none(),
        "a new password ends the sessions"
    );
    assert!(!s.set_user_disabled("nobody", true, "x").expect("none"));
    assert!(!s.set_user_password("nobody", "h", "x").expect("none"));

    // Risk acceptances go through `accept_risk` (the CLI's path).
    let e = s.exposures(true).expect("rows")[0].exposure.id.clone();
    let a = RiskAcceptance {
        exposure_id: e.clone(),
        approver: "alice".into(),
        justification: "isolated".into(),
        control: None,
        expires_at: now + 86_400,
        created_at: now,
    };
    s.accept_risk(&a, "user:alice").expect("accept");
    assert!(
        s.accept_risk(
            &RiskAcceptance {
                exposure_id: "nope".into(),
                ..a
            },
            "x"
        )
        .is_err()
    );
    assert_eq!(s.risk_acceptances(Some(&e), 10).expect("list").len(), 1);
    assert_eq!(s.risk_acceptances(None, 10).expect("list").len(), 1);
    // Every change is in the intact audit chain.
    let log = s.audit_log(None).expect("log");
    for action in [
        "user.add",
        "user.update",
        "token.create",
        "token.revoke",
        "user.disable",
        "user.enable",
        "user.password",
        "acceptance.granted",
    ] {
        assert!(log.iter().any(|e| e.action == action), "{action} audited");
    }
    assert!(s.verify_audit().expect("verify").problem.is_none());
}

/// An unchanged re-prioritisation keeps every row (and its `decided_at`);
/// a changed decision is rewritten; a decision left out is deleted; tier
/// changes are audited either way.
fn re_prioritising_rewrites_only_what_changed() {
    let mut s = store_with(12);
    let mut decisions = s.decisions().expect("decisions");
    assert_eq!(decisions.len(), 12);
    let audit_before = s.audit_log(None).expect("audit").len();

    // Decided again a day later, nothing else different.
    for d in &mut decisions {
        d.decided_at += 86_400;
    }
    let changes = s
        .save_decisions(&decisions, &HashMap::new(), "test")
        .expect("save");
    assert!(changes.is_empty());
    assert_eq!(s.audit_log(None).expect("audit").len(), audit_before);
    let heads = s.decision_heads().expect("heads");
    assert!(
        heads.values().all(|h| h.decided_at == 1_700_000_000),
        "unchanged rows keep their row and decided_at"
    );

    // One score changes, one tier changes, one exposure leaves.
    decisions[0].score += 1.0;
    let moved = decisions[1].exposure_id.clone();
    decisions[1].tier = if decisions[1].tier == Tier::P1 {
        Tier::P2
    } else {
        Tier::P1
    };
    let gone = decisions.pop().expect("last").exposure_id;
    let changes = s
        .save_decisions(&decisions, &HashMap::new(), "test")
        .expect("save");
    assert_eq!(changes.len(), 1, "only the tier change is a change");
    assert_eq!(changes[0].exposure_id, moved);
    let heads = s.decision_heads().expect("heads");
    assert_eq!(heads.len(), 11);
    assert!(!heads.contains_key(&gone));
    let changed: Vec<&str> = heads
        .iter()
        .filter(|(_, h)| h.decided_at != 1_700_000_000)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    let stored = s
        .decision(&decisions[0].exposure_id)
        .expect("read")
        .expect("present");
    assert_eq!(stored.score, decisions[0].score);
    assert_eq!(stored.decided_at, decisions[0].decided_at);
    // The list reads the same as what was decided.
    let all = s.decisions().expect("decisions");
    assert_eq!(all.len(), 11);
}

/// The list's text search goes through the word index: each word of the
/// search begins a word of the title, weakness id or asset name, with any
/// case; exposures that leave the list leave the index.
fn text_search_finds_words_by_their_beginning() {
    let mut s = store_with(30);
    let search = |s: &Store, q: &str| -> Vec<String> {
        let mut ids: Vec<String> = walk(
            s,
            ExposureQuery {
                text: Some(q.to_string()),
                ..ExposureQuery::default()
            },
        )
        .into_iter()
        .map(|r| r.title)
        .collect();
        ids.sort();
        ids
    };
    // Titles are "issue number {i}", weakness ids CVE-2024-01000 + i, the
    // asset web-01.example.
    assert_eq!(search(&s, "Number 11"), vec!["issue number 11"]);
    // "1" begins "1" and "10"…"19", not "2024" or "01011".
    assert_eq!(search(&s, "number 1"), {
        let mut v: Vec<String> = std::iter::once(1)
            .chain(10..20)
            .map(|i| format!("issue number {i}"))
            .collect();
        v.sort();
        v
    });
    assert_eq!(search(&s, "cve-2024-01012"), vec!["issue number 12"]);
    assert_eq!(search(&s, "WEB-01").len(), 30);
    assert!(
        search(&s, "umber").is_empty(),
        "words match by their beginning"
    );
    assert!(search(&s, "number 99").is_empty());
    // A search without letters or digits falls back to a plain substring scan.
    assert_eq!(search(&s, "-").len(), 30);

    // An exposure whose decision goes leaves the search.
    let mut decisions = s.decisions().expect("decisions");
    decisions.retain(|d| {
        s.exposure(&d.exposure_id)
            .ok()
            .flatten()
            .is_none_or(|r| r.exposure.title != "issue number 11")
    });
    s.save_decisions(&decisions, &HashMap::new(), "test")
        .expect("save");
    assert!(search(&s, "number 11").is_empty());
}
