//! Mobilisation state in the store: risk acceptances (grant, expiry,
//! revocation) reopen exposures and restart their SLA, tickets are upserted
//! and audited, and the exposure history carries what KPIs need.

use ctem_model::{
    AssetIdentity, AssetKind, DAY, ExposureStatus, Finding, RiskAcceptance, Severity, Weakness,
    WeaknessKind,
};
use ctem_store::{ImportMeta, Store, TicketRow};

mod backend;

on_every_backend!(
    acceptance_removes_from_queue_until_expiry_then_reopens,
    revocation_reopens_and_is_audited,
    tickets_upsert_and_fix_pending,
);

fn store_with_two_exposures() -> (Store, Vec<String>) {
    let mut s = backend::fresh();
    let mut tx = s
        .begin_import(ImportMeta {
            tool: "trivy".into(),
            format: "trivy".into(),
            file: "scan.json".into(),
            sha256: "x".into(),
            actor: "test".into(),
            at: 10 * DAY,
        })
        .expect("import");
    for cve in ["CVE-2021-44228", "CVE-2024-3400"] {
        tx.add(&Finding {
            tool: "trivy".into(),
            asset: AssetIdentity {
                kind: Some(AssetKind::Host),
                fqdn: Some("clm-app-01.corp.example".into()),
                ..Default::default()
            },
            weakness: Weakness::from_ids(&[cve.to_string()], WeaknessKind::Cve).expect("id"),
            component: None,
            title: cve.into(),
            severity: Severity::Critical,
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
    let ids = s
        .exposures(true)
        .expect("exposures")
        .into_iter()
        .map(|r| r.exposure.id)
        .collect();
    (s, ids)
}

fn status(s: &Store, id: &str) -> ExposureStatus {
    s.exposure(id)
        .expect("read")
        .expect("exists")
        .exposure
        .status
}

fn acceptance_removes_from_queue_until_expiry_then_reopens() {
    let (mut s, ids) = store_with_two_exposures();
    let a = RiskAcceptance {
        exposure_id: ids[0].clone(),
        approver: "CISO <ciso@atlantica.example>".into(),
        justification: "legacy claims batch host, decommissioned in Q1".into(),
        control: Some("host isolated in a VLAN without internet egress".into()),
        expires_at: 40 * DAY,
        created_at: 20 * DAY,
    };
    let id = s.accept_risk(&a, "cli:test").expect("accept");
    assert_eq!(status(&s, &ids[0]), ExposureStatus::Accepted);
    assert_eq!(
        s.exposures(true).expect("active").len(),
        1,
        "left the queue"
    );
    // Accepting it twice is refused: it is no longer open.
    let e = s.accept_risk(&a, "cli:test").expect_err("already accepted");
    assert!(e.to_string().contains("accepted"), "{e}");

    assert!(
        s.expire_acceptances(39 * DAY, "engine")
            .expect("early")
            .is_empty()
    );
    assert_eq!(s.acceptances().expect("list")[0].state(39 * DAY), "active");
    let reopened = s.expire_acceptances(40 * DAY, "engine").expect("expire");
    assert_eq!(reopened, vec![ids[0].clone()]);
    assert_eq!(status(&s, &ids[0]), ExposureStatus::Open);
    let row = &s.acceptances().expect("list")[0];
    assert_eq!(
        (row.id, row.expired_at, row.state(41 * DAY)),
        (id, Some(40 * DAY), "expired")
    );
    // Processing is once only.
    assert!(
        s.expire_acceptances(50 * DAY, "engine")
            .expect("again")
            .is_empty()
    );
    let log = s.audit_log(None).expect("log");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"acceptance.granted") && actions.contains(&"acceptance.expired"),
        "{actions:?}"
    );
    assert!(s.verify_audit().expect("verify").problem.is_none());
}

fn revocation_reopens_and_is_audited() {
    let (mut s, ids) = store_with_two_exposures();
    let id = s
        .accept_risk(
            &RiskAcceptance {
                exposure_id: ids[1].clone(),
                approver: "CISO".into(),
                justification: "vendor patch pending".into(),
                control: None,
                expires_at: 90 * DAY,
                created_at: 20 * DAY,
            },
            "cli:test",
        )
        .expect("accept");
    assert_eq!(
        s.revoke_acceptance(id, "patch released", 25 * DAY, "cli:ciso")
            .expect("revoke"),
        Some(ids[1].clone())
    );
    assert_eq!(status(&s, &ids[1]), ExposureStatus::Open);
    assert_eq!(
        s.revoke_acceptance(id, "again", 26 * DAY, "cli:ciso")
            .expect("no-op"),
        None
    );
    assert_eq!(s.acceptances().expect("list")[0].state(30 * DAY), "revoked");
}

fn tickets_upsert_and_fix_pending() {
    let (mut s, ids) = store_with_two_exposures();
    let mut t = TicketRow {
        action_id: "act-1".into(),
        tracker: "jira".into(),
        key: "SEC-1".into(),
        url: Some("https://jira/browse/SEC-1".into()),
        title: "Upgrade".into(),
        status: "To Do".into(),
        closed: false,
        content_hash: "h1".into(),
        remote_closed_at: None,
        closed_by_ctem: false,
        updated_at: 11 * DAY,
    };
    s.save_ticket(&t, "created", "engine").expect("save");
    t.status = "Done".into();
    t.closed = true;
    t.remote_closed_at = Some(12 * DAY);
    s.save_ticket(&t, "closed_remotely", "engine")
        .expect("save");
    assert_eq!(s.tickets(Some("jira")).expect("list"), vec![t.clone()]);
    assert!(s.tickets(Some("github")).expect("list").is_empty());
    let n = s
        .set_exposure_status(
            &ids,
            ExposureStatus::FixPending,
            "jira SEC-1 closed",
            12 * DAY,
            "engine",
        )
        .expect("pending");
    assert_eq!(n, 2);
    assert_eq!(status(&s, &ids[0]), ExposureStatus::FixPending);
    let h = s.exposure_history().expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].first_seen, 10 * DAY);
    assert_eq!(h[0].status, "fix_pending");
    assert!(s.verify_audit().expect("verify").problem.is_none());
}
