// The API test suite, included by `api.rs` (SQLite) and `api_postgres.rs`
// (PostgreSQL): the same tests on both backends.
use common::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// One server for the read-mostly tests, with exposures picked before any
/// test changes anything: index 0 of each list is only ever read, and each
/// test that accepts a risk has its own exposure (an accepted exposure
/// leaves the queue), so the tests do not depend on each other's order.
struct Shared {
    server: Server,
    /// Exposures of `customer-portal` (not the service owner's).
    other: Vec<String>,
    /// Exposures of the service owner's service.
    mine: Vec<String>,
}

fn fixture() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let server = start(400);
        let admin = &server.tokens["admin"];
        let ids = |svc: &str| -> Vec<String> {
            let v = get(
                server.addr,
                &format!("/api/v1/exposures?service={svc}&limit=20"),
                admin,
            )
            .json();
            rows(&v)
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect()
        };
        let other = ids("customer-portal");
        let mine = ids(&server.owned_service);
        assert!(
            other.len() >= 5 && mine.len() >= 2,
            "the demo has enough exposures per service"
        );
        Shared {
            server,
            other,
            mine,
        }
    })
}

fn shared() -> &'static Server {
    &fixture().server
}

/// Exposures reserved for the tests that accept risk.
const OTHER_VALIDATED: usize = 1;
const OTHER_SESSION_API: usize = 2;
const OTHER_SESSION_FORM: usize = 3;
const MINE_OWNER: usize = 1;

fn rows(v: &Value) -> &Vec<Value> {
    v["exposures"].as_array().expect("exposures")
}

/// An exposure of a service other than the owner's, and one of theirs;
/// neither is ever accepted.
fn ids_for_owner(_s: &Server) -> (String, String) {
    let f = fixture();
    (f.other[0].clone(), f.mine[0].clone())
}

fn date_in(days: i64) -> String {
    ctem_model::fmt_date(ctem_model::now() + days * ctem_model::DAY)
}

#[test]
fn public_endpoints_answer_and_everything_else_needs_credentials() {
    if !backend_ready(stringify!(public_endpoints_answer_and_everything_else_needs_credentials)) {
        return;
    }
    let s = shared();
    for p in ["/healthz", "/readyz", "/api/v1/openapi.json"] {
        let r = request(s.addr, "GET", p, &[], b"");
        assert_eq!(r.status, 200, "{p}: {}", r.text());
    }
    for (m, p) in ctem_server::api::ROUTES {
        if ["/healthz", "/readyz", "/api/v1/openapi.json"].contains(p) {
            continue;
        }
        let path = p.replace("{id}", "claims").replace("{name}", "analyst");
        let r = request(s.addr, &m.to_uppercase(), &path, &[], b"");
        assert_eq!(
            r.status,
            401,
            "{m} {path} without credentials: {}",
            r.text()
        );
        let r = request(
            s.addr,
            &m.to_uppercase(),
            &path,
            &[("Authorization", "Bearer ctem_wrong")],
            b"",
        );
        assert_eq!(r.status, 401, "{m} {path} with a wrong token");
        assert!(r.json()["error"].as_str().unwrap().contains("token"));
    }
}

#[test]
fn openapi_document_is_valid_and_matches_the_routes() {
    if !backend_ready(stringify!(openapi_document_is_valid_and_matches_the_routes)) {
        return;
    }
    let doc: Value = serde_json::from_str(ctem_server::api::OPENAPI).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    // Every route documented, every documented operation routed.
    for (m, p) in ctem_server::api::ROUTES {
        assert!(
            paths.get(*p).and_then(|x| x.get(*m)).is_some(),
            "{m} {p} is not documented"
        );
    }
    let mut ops = std::collections::HashSet::new();
    for (p, item) in paths {
        for (m, op) in item.as_object().unwrap() {
            assert!(
                ctem_server::api::ROUTES.contains(&(m.as_str(), p.as_str())),
                "{m} {p} is documented but not routed"
            );
            assert!(
                ops.insert(op["operationId"].as_str().expect("operationId").to_string()),
                "duplicate operationId"
            );
            assert!(!op["responses"].as_object().expect("responses").is_empty());
            // Path parameters are declared.
            for seg in p.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(['{', '}']);
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|x| x["name"] == name && x["in"] == "path" && x["required"] == true)
                });
                assert!(declared, "{m} {p}: path parameter {name} not declared");
            }
        }
    }
    // Every $ref resolves inside the document.
    fn walk(v: &Value, doc: &Value) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    let ptr = r.strip_prefix('#').expect("local ref");
                    assert!(doc.pointer(ptr).is_some(), "unresolved $ref {r}");
                }
                m.values().for_each(|x| walk(x, doc));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, doc)),
            _ => {}
        }
    }
    walk(&doc, &doc);
    // The served document is the same.
    let s = shared();
    let served = request(s.addr, "GET", "/api/v1/openapi.json", &[], b"").json();
    assert_eq!(served, doc);
}

#[test]
fn exposures_filter_sort_and_page_by_keyset() {
    if !backend_ready(stringify!(exposures_filter_sort_and_page_by_keyset)) {
        return;
    }
    let s = shared();
    let t = &s.tokens["analyst"];
    let p1 = get(s.addr, "/api/v1/exposures?tier=P1&limit=500", t).json();
    assert!(!rows(&p1).is_empty(), "the demo has P1 exposures");
    assert!(rows(&p1).iter().all(|r| r["tier"] == "P1"));

    // Pages are disjoint, in priority order, and end.
    let mut seen = std::collections::HashSet::new();
    let mut last: Option<(String, f64)> = None;
    let mut url = "/api/v1/exposures?limit=37".to_string();
    let mut pages = 0;
    loop {
        let v = get(s.addr, &url, t).json();
        for r in rows(&v) {
            assert!(
                seen.insert(r["id"].as_str().unwrap().to_string()),
                "row repeated across pages"
            );
            let key = (
                r["tier"].as_str().unwrap().to_string(),
                r["score"].as_f64().unwrap(),
            );
            if let Some((lt, ls)) = &last {
                assert!(
                    lt < &key.0 || (lt == &key.0 && *ls >= key.1),
                    "out of order: {lt} {ls} then {key:?}"
                );
            }
            last = Some(key);
        }
        pages += 1;
        match v["next"].as_str() {
            Some(n) => url = format!("/api/v1/exposures?limit=37&after={}", n.replace('~', "%7E")),
            None => break,
        }
        assert!(pages < 1000);
    }
    let k = get(s.addr, "/api/v1/kpis", t).json();
    assert_eq!(seen.len() as i64, k["open_exposures"].as_i64().unwrap());
    assert!(pages > 1);

    let svc = get(s.addr, "/api/v1/exposures?service=claims&limit=500", t).json();
    assert!(rows(&svc).iter().all(|r| r["service_id"] == "claims"));
    let val = get(
        s.addr,
        "/api/v1/exposures?validation=exploitable&limit=500",
        t,
    )
    .json();
    assert!(!rows(&val).is_empty());
    assert!(rows(&val).iter().all(|r| r["validation"] == "exploitable"));
    let first = &rows(&p1)[0];
    let w = first["weakness"].as_str().unwrap();
    let text = get(
        s.addr,
        &format!("/api/v1/exposures?q={}", w.to_lowercase()),
        t,
    )
    .json();
    assert!(rows(&text).iter().any(|r| r["id"] == first["id"]));
    let due = get(s.addr, "/api/v1/exposures?sort=due&limit=100", t).json();
    let dues: Vec<&str> = rows(&due)
        .iter()
        .map(|r| r["due"].as_str().unwrap())
        .collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "due order");

    for bad in [
        "tier=P9",
        "validation=maybe",
        "sort=random",
        "after=garbage",
    ] {
        let r = get(s.addr, &format!("/api/v1/exposures?{bad}"), t);
        assert_eq!(r.status, 400, "{bad}");
        assert!(!r.json()["error"].as_str().unwrap().is_empty());
    }
}

#[test]
fn an_exposure_comes_with_its_explanation_and_attack_path() {
    if !backend_ready(stringify!(an_exposure_comes_with_its_explanation_and_attack_path)) {
        return;
    }
    let s = shared();
    let t = &s.tokens["analyst"];
    let v = get(
        s.addr,
        "/api/v1/exposures?validation=exploitable&limit=100",
        t,
    )
    .json();
    // One no test accepts (an accepted exposure has no decision).
    let f = fixture();
    let id = rows(&v)
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .find(|id| !f.other[1..].iter().chain(&f.mine[1..]).any(|x| x == id))
        .unwrap();
    let d = get(s.addr, &format!("/api/v1/exposures/{id}"), t);
    assert_eq!(d.status, 200);
    let d = d.json();
    assert_eq!(d["exposure"]["id"], id);
    assert!(!d["decision"]["factors"].as_array().unwrap().is_empty());
    assert!(!d["decision"]["policy_path"].as_array().unwrap().is_empty());
    let path = d["attack_path"].as_array().unwrap();
    assert!(
        path.len() >= 2,
        "a validated, reachable exposure has a path: {path:?}"
    );
    assert_eq!(path[0]["zone"], "internet");
    // A prefix works; an unknown id is 404.
    assert_eq!(
        get(s.addr, &format!("/api/v1/exposures/{}", &id[..10]), t).status,
        200
    );
    assert_eq!(
        get(s.addr, "/api/v1/exposures/ffffffffffffffff", t).status,
        404
    );
}

#[test]
fn service_owner_sees_and_acts_on_their_own_services_only() {
    if !backend_ready(stringify!(service_owner_sees_and_acts_on_their_own_services_only)) {
        return;
    }
    let s = shared();
    let t = &s.tokens["service_owner"];
    let (other, mine) = ids_for_owner(s);
    let accept_mine = fixture().mine[MINE_OWNER].clone();

    let list = get(s.addr, "/api/v1/exposures?limit=500", t).json();
    assert!(!rows(&list).is_empty());
    assert!(rows(&list).iter().all(|r| r["service_id"] == "claims"));
    // Asking for another service by filter gives nothing, not its rows.
    let l2 = get(s.addr, "/api/v1/exposures?service=customer-portal", t).json();
    assert!(rows(&l2).is_empty());

    // Another service's exposure by id: 404, like an unknown id.
    let r = get(s.addr, &format!("/api/v1/exposures/{other}"), t);
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        get(
            s.addr,
            &format!("/api/v1/exposures/{other}/risk-acceptances"),
            t
        )
        .status,
        404
    );
    assert_eq!(
        get(s.addr, &format!("/api/v1/exposures/{mine}"), t).status,
        200
    );

    // Acting: accept risk on their own, not on another's.
    let body = json!({"justification": "compensated by the claims WAF rule 9001", "days": 30, "approver": "Claire Owner"});
    assert_eq!(
        post_json(
            s.addr,
            &format!("/api/v1/exposures/{other}/risk-acceptances"),
            t,
            &body
        )
        .status,
        404
    );
    let r = post_json(
        s.addr,
        &format!("/api/v1/exposures/{accept_mine}/risk-acceptances"),
        t,
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["approver"], "Claire Owner");
    // The accepted exposure left the queue but is still theirs to see.
    let d = get(s.addr, &format!("/api/v1/exposures/{accept_mine}"), t);
    assert_eq!(d.status, 200, "{}", d.text());
    assert_eq!(d.json()["exposure"]["status"], "accepted");
    assert!(d.json()["decision"].is_null());
    let acc = get(s.addr, "/api/v1/risk-acceptances", t).json();
    assert!(
        acc["risk_acceptances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["exposure_id"] == accept_mine.as_str()),
        "{acc}"
    );

    let svcs = get(s.addr, "/api/v1/services", t).json();
    let ids: Vec<&str> = svcs["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["claims"]);
    assert_eq!(get(s.addr, "/api/v1/services/claims", t).status, 200);
    assert_eq!(
        get(s.addr, "/api/v1/services/customer-portal", t).status,
        404
    );
    let f = get(s.addr, "/api/v1/funnel", t).json();
    assert!(
        f["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["service"] == "claims")
    );
    let acc = get(s.addr, "/api/v1/risk-acceptances", t).json();
    assert!(
        acc["risk_acceptances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["exposure_id"] != other.as_str())
    );

    for (m, p) in [
        ("GET", "/api/v1/imports"),
        ("POST", "/api/v1/imports"),
        ("POST", "/api/v1/runs"),
        ("GET", "/api/v1/evidence"),
        ("GET", "/api/v1/tokens"),
        ("GET", "/api/v1/users"),
    ] {
        let auth = format!("Bearer {t}");
        let r = request(s.addr, m, p, &[("Authorization", &auth)], b"{}");
        assert_eq!(r.status, 403, "{m} {p}: {}", r.text());
    }
    // What they may read.
    for p in [
        "/api/v1/me",
        "/api/v1/kpis",
        "/api/v1/sla",
        "/api/v1/actions",
        "/api/v1/runs",
        "/metrics",
    ] {
        assert_eq!(get(s.addr, p, t).status, 200, "{p}");
    }
    let k_owner = get(s.addr, "/api/v1/kpis", t).json();
    let k_all = get(s.addr, "/api/v1/kpis", &s.tokens["admin"]).json();
    assert!(k_owner["open_exposures"].as_i64() < k_all["open_exposures"].as_i64());
}

#[test]
fn auditor_reads_everything_exports_evidence_and_changes_nothing() {
    if !backend_ready(stringify!(auditor_reads_everything_exports_evidence_and_changes_nothing)) {
        return;
    }
    let s = shared();
    let t = &s.tokens["auditor"];
    let (other, _) = ids_for_owner(s);
    for p in [
        "/api/v1/funnel",
        "/api/v1/kpis",
        "/api/v1/exposures",
        "/api/v1/services",
        "/api/v1/sla",
        "/api/v1/actions",
        "/api/v1/imports",
        "/api/v1/runs",
        "/api/v1/risk-acceptances",
    ] {
        assert_eq!(get(s.addr, p, t).status, 200, "{p}");
    }
    assert_eq!(
        get(s.addr, &format!("/api/v1/exposures/{other}"), t).status,
        200
    );
    let e = get(s.addr, "/api/v1/evidence", t);
    assert_eq!(e.status, 200);
    assert!(
        e.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    let e = e.json();
    assert_eq!(e["schema_version"], "ctem-evidence/1");
    assert_eq!(e["generated_by"], "token:auditor");
    assert!(
        e["audit"]["verification"]["problem"].is_null(),
        "{}",
        e["audit"]
    );
    assert!(!e["report"]["funnel"].as_array().unwrap().is_empty());

    let body = json!({"justification": "auditors never accept risk", "days": 30});
    assert_eq!(
        post_json(
            s.addr,
            &format!("/api/v1/exposures/{other}/risk-acceptances"),
            t,
            &body
        )
        .status,
        403
    );
    assert_eq!(post_json(s.addr, "/api/v1/runs", t, &json!({})).status, 403);
    let auth = format!("Bearer {t}");
    assert_eq!(
        request(
            s.addr,
            "POST",
            "/api/v1/imports",
            &[("Authorization", &auth)],
            b"{}"
        )
        .status,
        403
    );
    assert_eq!(get(s.addr, "/api/v1/tokens", t).status, 403);
}

#[test]
fn admin_lists_access_without_secrets() {
    if !backend_ready(stringify!(admin_lists_access_without_secrets)) {
        return;
    }
    let s = shared();
    let r = get(s.addr, "/api/v1/tokens", &s.tokens["admin"]);
    assert_eq!(r.status, 200);
    let u = get(s.addr, "/api/v1/users", &s.tokens["admin"]);
    assert_eq!(u.status, 200);
    for text in [r.text(), u.text()] {
        assert!(
            !text.contains("argon2")
                && !text.contains("sha256")
                && !text.contains(&s.tokens["admin"])
        );
    }
    assert!(r.json()["tokens"].as_array().unwrap().len() >= 4);
    let names: Vec<String> = u.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["username"].as_str().unwrap().to_string())
        .collect();
    for role in ["admin", "analyst", "service_owner", "auditor"] {
        assert!(names.iter().any(|n| n == role), "{names:?}");
    }
}

#[test]
fn only_admins_manage_access() {
    if !backend_ready(stringify!(only_admins_manage_access)) {
        return;
    }
    let s = shared();
    for role in ["analyst", "service_owner", "auditor"] {
        let t = &s.tokens[role];
        for (m, p, body) in [
            ("GET", "/api/v1/tokens", json!(null)),
            (
                "POST",
                "/api/v1/tokens",
                json!({"name": "x", "role": "admin"}),
            ),
            ("DELETE", "/api/v1/tokens/1", json!(null)),
            ("GET", "/api/v1/users", json!(null)),
            (
                "POST",
                "/api/v1/users",
                json!({"username": "mallory", "password": "a long password here", "role": "admin"}),
            ),
            ("PATCH", "/api/v1/users/admin", json!({"disabled": true})),
        ] {
            let r = send_json(s.addr, m, p, t, &body);
            assert_eq!(r.status, 403, "{role} {m} {p}: {}", r.text());
            assert!(
                r.json()["error"]
                    .as_str()
                    .unwrap()
                    .contains("manage access")
            );
        }
        // The pages too, and they are not in the navigation.
        let c = session_cookie(&login(s.addr, role, PASSWORD));
        for p in ["/admin/users", "/admin/tokens"] {
            let r = request(s.addr, "GET", p, &[("Cookie", &c)], b"");
            assert_eq!(r.status, 403, "{role} {p}");
        }
        let home = request(s.addr, "GET", "/", &[("Cookie", &c)], b"").text();
        assert!(!home.contains("/admin/users") && !home.contains("/admin/tokens"));
        assert_eq!(
            home.contains("href=\"/upload\""),
            role == "analyst",
            "{role}"
        );
    }
    // Nothing changed.
    let u = get(s.addr, "/api/v1/users", &s.tokens["admin"]).json();
    assert!(
        u["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["username"] != "mallory" && x["disabled"] == false)
    );
}

#[test]
fn risk_acceptance_follows_the_rules_of_ctem_accept() {
    if !backend_ready(stringify!(risk_acceptance_follows_the_rules_of_ctem_accept)) {
        return;
    }
    let s = shared();
    let t = &s.tokens["analyst"];
    let id = &fixture().other[OTHER_VALIDATED];
    let url = format!("/api/v1/exposures/{id}/risk-acceptances");
    let good = "decommissioned next sprint, isolated VLAN";
    // Each mistake names its field.
    for (body, status, field) in [
        (
            json!({"justification": "short", "days": 30, "approver": "Jane"}),
            422,
            "justification",
        ),
        (json!({"nothing": 1}), 422, "expires"),
        (
            json!({"justification": good, "approver": "Jane"}),
            422,
            "expires",
        ),
        (
            json!({"justification": good, "days": 5000, "approver": "Jane"}),
            422,
            "days",
        ),
        (
            json!({"justification": good, "days": 0, "approver": "Jane"}),
            422,
            "days",
        ),
        (
            json!({"justification": good, "expires": "2001-01-01", "approver": "Jane"}),
            422,
            "expires",
        ),
        (
            json!({"justification": good, "expires": date_in(4 * 366), "approver": "Jane"}),
            422,
            "expires",
        ),
        (
            json!({"justification": good, "expires": "next week", "approver": "Jane"}),
            422,
            "expires",
        ),
        (
            json!({"justification": good, "expires": date_in(30), "days": 30, "approver": "Jane"}),
            400,
            "expires, days",
        ),
        // A token is not a person: name the approver.
        (json!({"justification": good, "days": 30}), 422, "approver"),
        (
            json!({"justification": good, "days": 30, "approver": "  "}),
            422,
            "approver",
        ),
    ] {
        let r = post_json(s.addr, &url, t, &body);
        assert_eq!(r.status, status, "{body}: {}", r.text());
        let e = r.json()["error"].as_str().unwrap().to_string();
        assert!(e.starts_with(&format!("{field}:")), "{body}: {e}");
    }
    let r = request(
        s.addr,
        "POST",
        &url,
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Content-Type", "application/json"),
        ],
        b"{not json",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["error"].is_string());

    let r = post_json(
        s.addr,
        &url,
        t,
        &json!({"justification": good, "control": "edge-waf", "expires": date_in(60), "approver": "Jane Doe (CISO)"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let rec = r.json();
    assert_eq!(rec["approver"], "Jane Doe (CISO)");
    assert_eq!(rec["exposure_id"], id.as_str());
    let list = get(s.addr, &url, t).json();
    assert!(
        list["risk_acceptances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["control"] == "edge-waf")
    );
    // The exposure left the queue: accepted, no decision, not listed.
    let d = get(s.addr, &format!("/api/v1/exposures/{id}"), t).json();
    assert_eq!(d["exposure"]["status"], "accepted");
    assert!(d["decision"].is_null());
    assert!(!d["risk_acceptances"].as_array().unwrap().is_empty());
    let l = get(
        s.addr,
        "/api/v1/exposures?service=customer-portal&limit=500",
        t,
    )
    .json();
    assert!(rows(&l).iter().all(|r| r["id"] != id.as_str()));
    // Only an open exposure can be accepted.
    let again = post_json(
        s.addr,
        &url,
        t,
        &json!({"justification": good, "days": 30, "approver": "Jane"}),
    );
    assert_eq!(again.status, 422, "{}", again.text());
    assert!(
        again.json()["error"]
            .as_str()
            .unwrap()
            .contains("only an open exposure")
    );
    // The audit log has the grant, signed by the caller.
    let store = s.store().unwrap();
    let log = store.audit_log(None).unwrap();
    assert!(log.iter().any(|e| e.action == "acceptance.granted"
        && e.subject == id.as_str()
        && e.actor == "token:analyst"));
}

#[test]
fn an_accepted_exposure_reopens_when_the_acceptance_expires() {
    if !backend_ready(stringify!(an_accepted_exposure_reopens_when_the_acceptance_expires)) {
        return;
    }
    let s = start(100);
    let t = &s.tokens["analyst"];
    let v = get(s.addr, "/api/v1/exposures?limit=1", t).json();
    let id = rows(&v)[0]["id"].as_str().unwrap().to_string();
    let open_before = get(s.addr, "/api/v1/kpis", t).json()["open_exposures"]
        .as_i64()
        .unwrap();
    let r = post_json(
        s.addr,
        &format!("/api/v1/exposures/{id}/risk-acceptances"),
        t,
        &json!({"justification": "accepted for one day only", "days": 1, "approver": "Jane"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let k = get(s.addr, "/api/v1/kpis", t).json();
    assert_eq!(k["open_exposures"].as_i64().unwrap(), open_before - 1);
    // Two days later the next prioritisation (as a run does) reopens it.
    {
        let mut store = s.store().unwrap();
        let reopened = store
            .expire_acceptances(ctem_model::now() + 2 * ctem_model::DAY, "test")
            .unwrap();
        assert_eq!(reopened, vec![id.clone()]);
    }
    let r = post_json(s.addr, "/api/v1/runs", t, &json!({}));
    assert_eq!(r.status, 201, "{}", r.text());
    let d = get(s.addr, &format!("/api/v1/exposures/{id}"), t).json();
    assert_eq!(d["exposure"]["status"], "open");
    assert!(
        d["decision"].is_object(),
        "prioritised again with a new SLA"
    );
    let k = get(s.addr, "/api/v1/kpis", t).json();
    assert_eq!(k["open_exposures"].as_i64().unwrap(), open_before);
}

#[test]
fn admins_manage_tokens_and_users_over_the_api() {
    if !backend_ready(stringify!(admins_manage_tokens_and_users_over_the_api)) {
        return;
    }
    let s = start(60);
    let a = &s.tokens["admin"];
    // Tokens: create (shown once), use, revoke.
    for (body, field) in [
        (json!({"role": "analyst"}), "name"),
        (json!({"name": "ci", "role": "root"}), "role"),
        (json!({"name": "ci", "role": "service_owner"}), "services"),
        (
            json!({"name": "ci", "role": "analyst", "services": ["claims"]}),
            "services",
        ),
        (
            json!({"name": "ci", "role": "service_owner", "services": ["nope"]}),
            "services",
        ),
        (
            json!({"name": "ci", "role": "analyst", "expires_days": 0}),
            "expires_days",
        ),
    ] {
        let r = post_json(s.addr, "/api/v1/tokens", a, &body);
        assert_eq!(r.status, 422, "{body}: {}", r.text());
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}:"))
        );
    }
    let r = post_json(
        s.addr,
        "/api/v1/tokens",
        a,
        &json!({"name": "claims-ci", "role": "service_owner", "services": ["claims"], "expires_days": 30}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let created = r.json();
    let token = created["token"].as_str().unwrap().to_string();
    let tid = created["id"].as_i64().unwrap();
    assert!(token.starts_with("ctem_"));
    let me = get(s.addr, "/api/v1/me", &token).json();
    assert_eq!(me["role"], "service_owner");
    assert_eq!(me["services"], json!(["claims"]));
    let list = get(s.addr, "/api/v1/tokens", a).text();
    assert!(!list.contains(&token), "the value is shown once");
    assert!(list.contains("claims-ci"));
    let r = send_json(
        s.addr,
        "DELETE",
        &format!("/api/v1/tokens/{tid}"),
        a,
        &json!(null),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"revoked": true, "id": tid}));
    assert_eq!(get(s.addr, "/api/v1/me", &token).status, 401);
    let r = send_json(
        s.addr,
        "DELETE",
        &format!("/api/v1/tokens/{tid}"),
        a,
        &json!(null),
    );
    assert_eq!(r.status, 404);
    let r = send_json(s.addr, "DELETE", "/api/v1/tokens/abc", a, &json!(null));
    assert_eq!(r.status, 400);

    // Users: create, sign in, disable, enable, reset the password.
    for (body, field) in [
        (
            json!({"username": "bad name", "password": "long enough password", "role": "analyst"}),
            "username",
        ),
        (
            json!({"username": "carol", "password": "short", "role": "analyst"}),
            "password",
        ),
        (
            json!({"username": "carol", "password": "long enough password", "role": "boss"}),
            "role",
        ),
        (
            json!({"username": "carol", "password": "long enough password", "role": "service_owner"}),
            "services",
        ),
    ] {
        let r = post_json(s.addr, "/api/v1/users", a, &body);
        assert_eq!(r.status, 422, "{body}: {}", r.text());
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}:"))
        );
    }
    let pw = "carol's long password";
    let r = post_json(
        s.addr,
        "/api/v1/users",
        a,
        &json!({"username": "carol", "password": pw, "role": "service_owner", "services": ["claims"]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(!r.text().contains("argon2") && !r.text().contains(pw));
    assert_eq!(r.json()["services"], json!(["claims"]));
    let r = post_json(
        s.addr,
        "/api/v1/users",
        a,
        &json!({"username": "carol", "password": "another long one", "role": "admin"}),
    );
    assert_eq!(r.status, 409, "a taken name is not overwritten");
    let login_ok = |p: &str| login(s.addr, "carol", p).status == 303;
    let c = session_cookie(&login(s.addr, "carol", pw));
    assert_eq!(
        request(s.addr, "GET", "/api/v1/me", &[("Cookie", &c)], b"").status,
        200
    );
    let r = send_json(
        s.addr,
        "PATCH",
        "/api/v1/users/carol",
        a,
        &json!({"disabled": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["disabled"], true);
    assert_eq!(
        request(s.addr, "GET", "/api/v1/me", &[("Cookie", &c)], b"").status,
        401,
        "disabling ends the sessions"
    );
    assert!(!login_ok(pw));
    let r = send_json(
        s.addr,
        "PATCH",
        "/api/v1/users/carol",
        a,
        &json!({"disabled": false}),
    );
    assert_eq!(r.json()["disabled"], false);
    let new_pw = "a brand new passphrase";
    let r = send_json(
        s.addr,
        "PATCH",
        "/api/v1/users/carol",
        a,
        &json!({"password": "short"}),
    );
    assert_eq!(r.status, 422);
    let r = send_json(
        s.addr,
        "PATCH",
        "/api/v1/users/carol",
        a,
        &json!({"password": new_pw}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(login_ok(new_pw));
    assert_eq!(
        send_json(
            s.addr,
            "PATCH",
            "/api/v1/users/nobody",
            a,
            &json!({"disabled": true})
        )
        .status,
        404
    );
    assert_eq!(
        send_json(s.addr, "PATCH", "/api/v1/users/carol", a, &json!({})).status,
        422
    );
    // An admin signed in cannot lock themselves out.
    let ac = session_cookie(&login(s.addr, "admin", PASSWORD));
    let csrf = csrf_of(s.addr, &ac);
    let r = request(
        s.addr,
        "PATCH",
        "/api/v1/users/admin",
        &[
            ("Cookie", &ac),
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &csrf),
        ],
        br#"{"disabled": true}"#,
    );
    assert_eq!(r.status, 422, "{}", r.text());
    // Every change is audited, without secrets.
    let store = s.store().unwrap();
    let log = store.audit_log(None).unwrap();
    for action in [
        "token.create",
        "token.revoke",
        "user.add",
        "user.disable",
        "user.enable",
        "user.password",
    ] {
        assert!(log.iter().any(|e| e.action == action), "{action}");
    }
    let all = serde_json::to_string(&log).unwrap();
    assert!(!all.contains(&token) && !all.contains(pw) && !all.contains(new_pw));
}

/// The schema of a documented response, resolving `components/responses`.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> &'a Value {
    let mut r = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(!r.is_null(), "{method} {path} does not document {status}");
    if let Some(x) = r["$ref"].as_str() {
        r = doc.pointer(x.strip_prefix('#').unwrap()).unwrap();
    }
    &r["content"]["application/json"]["schema"]
}

#[test]
fn responses_match_the_openapi_document() {
    if !backend_ready(stringify!(responses_match_the_openapi_document)) {
        return;
    }
    let doc: Value = serde_json::from_str(ctem_server::api::OPENAPI).unwrap();
    let s = start(100);
    let a = s.tokens["admin"].clone();
    let mut checked = std::collections::BTreeSet::new();
    let mut check = |method: &str, path: &str, r: &Resp| {
        let schema = response_schema(&doc, method, path, r.status);
        assert!(
            schema.is_object(),
            "{method} {path} {}: no JSON schema",
            r.status
        );
        let errs = common::schema::validate(&doc, schema, &r.json());
        assert!(errs.is_empty(), "{method} {path} {}: {errs:#?}", r.status);
        checked.insert((method.to_string(), path.to_string()));
    };
    let owner = s.tokens["service_owner"].clone();
    for (p, t) in [
        ("/healthz", ""),
        ("/readyz", ""),
        ("/api/v1/openapi.json", ""),
        ("/api/v1/me", a.as_str()),
        ("/api/v1/funnel", a.as_str()),
        ("/api/v1/funnel", owner.as_str()),
        ("/api/v1/kpis", a.as_str()),
        ("/api/v1/kpis", owner.as_str()),
        ("/api/v1/exposures", a.as_str()),
        ("/api/v1/services", a.as_str()),
        ("/api/v1/sla", a.as_str()),
        ("/api/v1/actions", a.as_str()),
        ("/api/v1/imports", a.as_str()),
        ("/api/v1/runs", a.as_str()),
        ("/api/v1/evidence", a.as_str()),
        ("/api/v1/risk-acceptances", a.as_str()),
        ("/api/v1/tokens", a.as_str()),
        ("/api/v1/users", a.as_str()),
    ] {
        let r = if t.is_empty() {
            request(s.addr, "GET", p, &[], b"")
        } else {
            get(s.addr, p, t)
        };
        assert_eq!(r.status, 200, "{p}");
        check("get", p, &r);
    }
    let me = session_cookie(&login(s.addr, "admin", PASSWORD));
    check(
        "get",
        "/api/v1/me",
        &request(s.addr, "GET", "/api/v1/me", &[("Cookie", &me)], b""),
    );
    let r = get(s.addr, "/api/v1/services/claims", &a);
    check("get", "/api/v1/services/{id}", &r);
    let list = get(s.addr, "/api/v1/exposures?limit=3&tier=P1", &a);
    check("get", "/api/v1/exposures", &list);
    let ids: Vec<String> = rows(&list.json())
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    check(
        "get",
        "/api/v1/exposures/{id}",
        &get(s.addr, &format!("/api/v1/exposures/{}", ids[0]), &a),
    );
    check(
        "get",
        "/api/v1/exposures/{id}",
        &get(s.addr, "/api/v1/exposures/ffffffffffff", &a),
    );
    check(
        "get",
        "/api/v1/exposures",
        &get(s.addr, "/api/v1/exposures?tier=P9", &a),
    );
    let url = format!("/api/v1/exposures/{}/risk-acceptances", ids[1]);
    check(
        "post",
        "/api/v1/exposures/{id}/risk-acceptances",
        &post_json(
            s.addr,
            &url,
            &a,
            &json!({"justification": "short", "days": 3, "approver": "J"}),
        ),
    );
    let r = post_json(
        s.addr,
        &url,
        &a,
        &json!({"justification": "behind the VPN until Q3", "days": 30, "approver": "Jane", "control": "vpn"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    check("post", "/api/v1/exposures/{id}/risk-acceptances", &r);
    check(
        "get",
        "/api/v1/exposures/{id}/risk-acceptances",
        &get(s.addr, &url, &a),
    );
    check(
        "get",
        "/api/v1/exposures/{id}",
        &get(s.addr, &format!("/api/v1/exposures/{}", ids[1]), &a),
    );
    check(
        "get",
        "/api/v1/risk-acceptances",
        &get(s.addr, "/api/v1/risk-acceptances", &a),
    );
    // Imports and runs.
    let mut trivy = Vec::new();
    ctem_demo::write_trivy_report(7, 10, &mut trivy).unwrap();
    let auth = format!("Bearer {a}");
    let r = request(
        s.addr,
        "POST",
        "/api/v1/imports?filename=t.json",
        &[("Authorization", &auth)],
        &trivy,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    check("post", "/api/v1/imports", &r);
    let r = request(
        s.addr,
        "POST",
        "/api/v1/imports?filename=t2.json&prioritise=false",
        &[("Authorization", &auth)],
        &trivy,
    );
    check("post", "/api/v1/imports", &r);
    check(
        "post",
        "/api/v1/imports",
        &request(
            s.addr,
            "POST",
            "/api/v1/imports",
            &[("Authorization", &auth)],
            b"{\"SchemaVersion\": 2, \"Results\": [",
        ),
    );
    check(
        "get",
        "/api/v1/imports",
        &get(s.addr, "/api/v1/imports", &a),
    );
    let r = post_json(s.addr, "/api/v1/runs", &a, &json!({}));
    assert_eq!(r.status, 201, "{}", r.text());
    check("post", "/api/v1/runs", &r);
    check("get", "/api/v1/runs", &get(s.addr, "/api/v1/runs", &a));
    check(
        "get",
        "/api/v1/actions",
        &get(s.addr, "/api/v1/actions", &a),
    );
    check(
        "get",
        "/api/v1/evidence",
        &get(s.addr, "/api/v1/evidence", &a),
    );
    // Access.
    let r = post_json(
        s.addr,
        "/api/v1/tokens",
        &a,
        &json!({"name": "ci", "role": "analyst"}),
    );
    check("post", "/api/v1/tokens", &r);
    let tid = r.json()["id"].as_i64().unwrap();
    check(
        "post",
        "/api/v1/tokens",
        &post_json(s.addr, "/api/v1/tokens", &a, &json!({"name": "ci"})),
    );
    check("get", "/api/v1/tokens", &get(s.addr, "/api/v1/tokens", &a));
    check(
        "get",
        "/api/v1/tokens",
        &get(s.addr, "/api/v1/tokens", &s.tokens["analyst"]),
    );
    check(
        "delete",
        "/api/v1/tokens/{id}",
        &send_json(
            s.addr,
            "DELETE",
            &format!("/api/v1/tokens/{tid}"),
            &a,
            &json!(null),
        ),
    );
    check(
        "delete",
        "/api/v1/tokens/{id}",
        &send_json(
            s.addr,
            "DELETE",
            &format!("/api/v1/tokens/{tid}"),
            &a,
            &json!(null),
        ),
    );
    let r = post_json(
        s.addr,
        "/api/v1/users",
        &a,
        &json!({"username": "dave", "password": "dave's long password", "role": "auditor"}),
    );
    check("post", "/api/v1/users", &r);
    check(
        "post",
        "/api/v1/users",
        &post_json(
            s.addr,
            "/api/v1/users",
            &a,
            &json!({"username": "dave", "password": "dave's long password", "role": "auditor"}),
        ),
    );
    check("get", "/api/v1/users", &get(s.addr, "/api/v1/users", &a));
    check(
        "patch",
        "/api/v1/users/{name}",
        &send_json(
            s.addr,
            "PATCH",
            "/api/v1/users/dave",
            &a,
            &json!({"disabled": true}),
        ),
    );
    check(
        "patch",
        "/api/v1/users/{name}",
        &send_json(
            s.addr,
            "PATCH",
            "/api/v1/users/nobody",
            &a,
            &json!({"disabled": true}),
        ),
    );
    // Every JSON operation was checked at least once.
    for (m, p) in ctem_server::api::ROUTES {
        if *p == "/metrics" {
            continue;
        }
        assert!(
            checked.contains(&(m.to_string(), p.to_string())),
            "{m} {p} was not checked against the document"
        );
    }
}

#[test]
fn admin_pages_and_the_upload_form_work() {
    if !backend_ready(stringify!(admin_pages_and_the_upload_form_work)) {
        return;
    }
    let s = start(60);
    let c = session_cookie(&login(s.addr, "admin", PASSWORD));
    let csrf = csrf_of(s.addr, &c);
    let h = [("Cookie", c.as_str())];
    for (p, text) in [
        ("/admin/users", "Add a user"),
        ("/admin/tokens", "Create a token"),
        ("/upload", "Upload a scanner report"),
    ] {
        let r = request(s.addr, "GET", p, &h, b"");
        assert_eq!(r.status, 200, "{p}: {}", r.text());
        let page = r.text();
        assert!(page.contains(text), "{p}");
        for link in [
            "href=\"/admin/users\"",
            "href=\"/admin/tokens\"",
            "href=\"/upload\"",
        ] {
            assert!(page.contains(link), "{p} links {link}");
        }
        assert!(page.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    }

    // Tokens: a form without its CSRF token changes nothing.
    let form = "name=nightly-scan&role=analyst&services=&expires_days=30";
    assert_eq!(post_form(s.addr, "/admin/tokens", &c, form).status, 403);
    let bad = post_form(
        s.addr,
        "/admin/tokens",
        &c,
        &format!("name=x&role=service_owner&csrf={csrf}"),
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.text()
            .contains("services: a service owner needs at least one service")
    );
    let r = post_form(s.addr, "/admin/tokens", &c, &format!("{form}&csrf={csrf}"));
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let page = r.text();
    let start = page.find("<code id=\"new-token\">").unwrap() + "<code id=\"new-token\">".len();
    let token = page[start..start + 69].to_string();
    assert!(token.starts_with("ctem_"), "{token}");
    assert_eq!(
        get(s.addr, "/api/v1/me", &token).json()["name"],
        "nightly-scan"
    );
    let list = request(s.addr, "GET", "/admin/tokens", &h, b"").text();
    assert!(
        list.contains("nightly-scan") && !list.contains(&token),
        "shown once"
    );
    let tid = get(s.addr, "/api/v1/tokens", &s.tokens["admin"]).json()["tokens"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        post_form(s.addr, &format!("/admin/tokens/{tid}/revoke"), &c, "").status,
        403
    );
    let r = post_form(
        s.addr,
        &format!("/admin/tokens/{tid}/revoke"),
        &c,
        &format!("csrf={csrf}"),
    );
    assert_eq!(r.status, 303);
    assert_eq!(get(s.addr, "/api/v1/me", &token).status, 401);

    // Users: add, disable, enable, new password.
    let pw = "erin+has+a+long+password";
    assert_eq!(
        post_form(
            s.addr,
            "/admin/users",
            &c,
            &format!("username=erin&password={pw}&role=analyst")
        )
        .status,
        403
    );
    let r = post_form(
        s.addr,
        "/admin/users",
        &c,
        &format!("username=erin&password={pw}&role=service_owner&services=claims&csrf={csrf}"),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/admin/users?created=erin"));
    let page = request(s.addr, "GET", "/admin/users?created=erin", &h, b"").text();
    assert!(page.contains("User erin added.") && page.contains("id=\"disable-erin\""));
    let clear = pw.replace('+', " ");
    assert_eq!(login(s.addr, "erin", &clear).status, 303);
    let dup = post_form(
        s.addr,
        "/admin/users",
        &c,
        &format!("username=erin&password={pw}&role=analyst&csrf={csrf}"),
    );
    assert_eq!(dup.status, 409);
    assert!(dup.text().contains("username: `erin` is taken"));
    assert_eq!(
        post_form(
            s.addr,
            "/admin/users/erin/disable",
            &c,
            &format!("csrf={csrf}")
        )
        .status,
        303
    );
    assert_eq!(login(s.addr, "erin", &clear).status, 401);
    assert_eq!(
        post_form(
            s.addr,
            "/admin/users/erin/enable",
            &c,
            &format!("csrf={csrf}")
        )
        .status,
        303
    );
    let r = post_form(
        s.addr,
        "/admin/users/erin/password",
        &c,
        &format!("password=too+short&csrf={csrf}"),
    );
    assert_eq!(r.status, 422);
    let r = post_form(
        s.addr,
        "/admin/users/erin/password",
        &c,
        &format!("password=erin+new+passphrase&csrf={csrf}"),
    );
    assert_eq!(r.status, 303);
    assert_eq!(login(s.addr, "erin", "erin new passphrase").status, 303);
    assert_eq!(
        post_form(
            s.addr,
            "/admin/users/admin/disable",
            &c,
            &format!("csrf={csrf}")
        )
        .status,
        422
    );

    // Upload: the same import as the API, with its summary.
    let imports = || {
        get(s.addr, "/api/v1/imports", &s.tokens["admin"]).json()["imports"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = imports();
    let mut trivy = Vec::new();
    ctem_demo::write_trivy_report(11, 25, &mut trivy).unwrap();
    let post_upload = |cookie: &str, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>| {
        let (ct, body) = multipart(fields, file);
        request(
            s.addr,
            "POST",
            "/upload",
            &[("Cookie", cookie), ("Content-Type", &ct)],
            &body,
        )
    };
    // Without (or with a wrong) CSRF token: refused, nothing imported.
    let r = post_upload(&c, &[], Some(("report", "trivy.json", &trivy)));
    assert_eq!(r.status, 403, "{}", r.text());
    let r = post_upload(
        &c,
        &[("csrf", "wrong")],
        Some(("report", "trivy.json", &trivy)),
    );
    assert_eq!(r.status, 403);
    assert_eq!(imports(), before);
    let r = post_upload(&c, &[("csrf", &csrf)], None);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("choose a report file"));
    let r = post_upload(
        &c,
        &[("csrf", &csrf)],
        Some((
            "report",
            "broken.json",
            b"{\"SchemaVersion\": 2, \"Results\": [",
        )),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("nothing was imported"));
    assert_eq!(imports(), before);
    let r = post_upload(
        &c,
        &[("csrf", &csrf), ("prioritise", "true")],
        Some(("report", "ci/trivy-web.json", &trivy)),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let page = r.text();
    assert!(page.contains("id=\"import-summary\""), "{page}");
    assert!(page.contains("<td id=\"import-format\">trivy"), "{page}");
    assert!(page.contains("Re-prioritised"));
    assert!(!page.contains("<td id=\"import-findings\">0<"));
    assert_eq!(imports(), before + 1);
    let last = &get(s.addr, "/api/v1/imports", &s.tokens["admin"]).json()["imports"][0];
    assert!(last["file"].as_str().unwrap().ends_with("trivy-web.json"));
    assert!(last["findings"].as_u64().unwrap() > 0);
    // Roles that may not import.
    for role in ["auditor", "service_owner"] {
        let rc = session_cookie(&login(s.addr, role, PASSWORD));
        assert_eq!(
            request(s.addr, "GET", "/upload", &[("Cookie", &rc)], b"").status,
            403
        );
        let rcsrf = csrf_of(s.addr, &rc);
        let r = post_upload(&rc, &[("csrf", &rcsrf)], Some(("report", "t.json", &trivy)));
        assert_eq!(r.status, 403, "{role}");
    }
    assert_eq!(imports(), before + 1);
}

#[test]
fn uploads_import_all_or_nothing_and_runs_are_recorded() {
    if !backend_ready(stringify!(uploads_import_all_or_nothing_and_runs_are_recorded)) {
        return;
    }
    let watch = tempfile::tempdir().unwrap();
    let s = start_with(100, |c| {
        c.watch = vec![watch.path().to_path_buf()];
        c.max_upload_bytes = 4 << 20;
    });
    let t = &s.tokens["analyst"];
    let auth = format!("Bearer {t}");
    let before = get(s.addr, "/api/v1/imports", t).json()["imports"]
        .as_array()
        .unwrap()
        .len();

    // A malformed report: 422 naming the cause, nothing imported, no file kept.
    let r = request(s.addr, "POST", "/api/v1/imports?filename=broken.json", &[("Authorization", &auth)], br#"{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": "#);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("nothing was imported")
    );
    assert_eq!(
        get(s.addr, "/api/v1/imports", t).json()["imports"]
            .as_array()
            .unwrap()
            .len(),
        before
    );
    let kept: Vec<_> = std::fs::read_dir(s.dir.path().join("uploads"))
        .unwrap()
        .collect();
    assert!(kept.is_empty(), "a rejected upload is removed");
    // Empty and oversized bodies.
    assert_eq!(
        request(
            s.addr,
            "POST",
            "/api/v1/imports",
            &[("Authorization", &auth)],
            b""
        )
        .status,
        400
    );
    let big = vec![b' '; 5 << 20];
    assert_eq!(
        request(
            s.addr,
            "POST",
            "/api/v1/imports",
            &[("Authorization", &auth)],
            &big
        )
        .status,
        413
    );

    // A real Trivy report.
    let mut trivy = Vec::new();
    ctem_demo::write_trivy_report(99, 40, &mut trivy).unwrap();
    let r = request(
        s.addr,
        "POST",
        "/api/v1/imports?filename=trivy-ci.json",
        &[("Authorization", &auth)],
        &trivy,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert!(v["import"]["findings"].as_u64().unwrap() > 0);
    assert!(v["prioritised"]["exposures"].as_u64().unwrap() > 0);
    let list = get(s.addr, "/api/v1/imports", t).json();
    assert_eq!(list["imports"].as_array().unwrap().len(), before + 1);
    assert!(
        list["imports"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("trivy-ci.json")
    );

    // A run ingests the watched folder once; the next skips it.
    let mut nessus = Vec::new();
    ctem_demo::write_nessus_report(5, 30, &mut nessus).unwrap();
    std::fs::write(watch.path().join("weekly.nessus"), &nessus).unwrap();
    let r = post_json(s.addr, "/api/v1/runs", t, &json!({}));
    assert_eq!(r.status, 201, "{}", r.text());
    let run = r.json();
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["ingested"].as_array().unwrap().len(), 1);
    let again = post_json(s.addr, "/api/v1/runs", t, &json!({})).json();
    assert_eq!(again["ingested"].as_array().unwrap().len(), 0);
    assert_eq!(again["skipped"], 1);
    // A broken file in the folder makes the run partial, recorded as such.
    std::fs::write(
        watch.path().join("broken.json"),
        b"{\"SchemaVersion\": 2, \"Results\": [",
    )
    .unwrap();
    let partial = post_json(s.addr, "/api/v1/runs", t, &json!({})).json();
    assert_eq!(partial["status"], "partial");
    let runs = get(s.addr, "/api/v1/runs", &s.tokens["auditor"]).json();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0]["summary"]["status"], "partial");
    assert_eq!(runs[0]["summary"]["trigger"], "api");

    // Metrics counted them.
    let m = get(s.addr, "/metrics", t).text();
    assert!(m.contains("ctem_imports_total 1"), "{m}");
    assert!(m.contains("ctem_runs_total 3"));
    assert!(m.contains(
        "ctem_http_requests_total{method=\"POST\",route=\"/api/v1/imports\",status=\"201\"} 1"
    ));
    assert!(m.contains("ctem_http_request_duration_seconds_bucket"));
    assert_eq!(request(s.addr, "GET", "/metrics", &[], b"").status, 401);
}

#[test]
fn sessions_need_csrf_for_changes_and_logins_are_limited() {
    if !backend_ready(stringify!(sessions_need_csrf_for_changes_and_logins_are_limited)) {
        return;
    }
    let s = shared();
    // Wrong password: 401, no cookie.
    let r = login(s.addr, "analyst", "wrong password here");
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").is_none());
    // Right password: a hardened cookie and a redirect.
    let r = login(s.addr, "analyst", PASSWORD);
    assert_eq!(r.status, 303, "{}", r.text());
    let set = r.header("set-cookie").unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    let cookie = session_cookie(&r);
    let me = request(s.addr, "GET", "/api/v1/me", &[("Cookie", &cookie)], b"").json();
    assert_eq!(me["role"], "analyst");
    let csrf = me["csrf_token"].as_str().unwrap().to_string();

    let other = &fixture().other[OTHER_SESSION_API];
    let url = format!("/api/v1/exposures/{other}/risk-acceptances");
    let body =
        json!({"justification": "accepted from the dashboard session", "days": 20}).to_string();
    let r = request(
        s.addr,
        "POST",
        &url,
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403, "a cookie without CSRF token is refused");
    let r = request(
        s.addr,
        "POST",
        &url,
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", "nope"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    let r = request(
        s.addr,
        "POST",
        &url,
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &csrf),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["approver"], "analyst", "a signed-in user approves");
    // Dashboard forms too.
    let other = &fixture().other[OTHER_SESSION_FORM];
    let form = format!(
        "justification=accepted+via+the+form+today&expires={}",
        date_in(10)
    );
    let r = request(
        s.addr,
        "POST",
        &format!("/exposures/{other}/accept"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(r.status, 403);
    // A mistake is shown on a page naming the field.
    let r = post_form(
        s.addr,
        &format!("/exposures/{other}/accept"),
        &cookie,
        &format!("justification=accepted+via+the+form+today&expires=2001-01-01&csrf={csrf}"),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.text()
            .contains("expires: 2001-01-01 is not in the future")
    );
    let form = format!("{form}&csrf={csrf}");
    let r = request(
        s.addr,
        "POST",
        &format!("/exposures/{other}/accept"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(r.status, 303);

    // Cross-site login posts are refused.
    let r = request(
        s.addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "https://evil.example"),
        ],
        b"username=analyst&password=x",
    );
    assert_eq!(r.status, 403);

    // Logout ends the session.
    let r = request(
        s.addr,
        "POST",
        "/logout",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        request(s.addr, "GET", "/api/v1/me", &[("Cookie", &cookie)], b"").status,
        401
    );

    // Five failures lock the user name out, even with the right password.
    for _ in 0..ctem_server::auth::MAX_PER_USER {
        assert_eq!(
            login(s.addr, "auditor", "not the password at all").status,
            401
        );
    }
    let r = login(s.addr, "auditor", PASSWORD);
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
}

#[test]
fn dashboard_pages_render_for_every_role_and_respect_boundaries() {
    if !backend_ready(stringify!(dashboard_pages_render_for_every_role_and_respect_boundaries)) {
        return;
    }
    let s = shared();
    let (other, mine) = ids_for_owner(s);
    // Without a session: to the login page.
    let r = request(s.addr, "GET", "/exposures", &[], b"");
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/login?next="));
    for role in ["admin", "analyst", "service_owner"] {
        let c = session_cookie(&login(s.addr, role, PASSWORD));
        let h = [("Cookie", c.as_str())];
        let pages = [
            "/",
            "/exposures",
            "/exposures?tier=P1&q=cve",
            "/services",
            "/services/claims",
            "/sla",
            "/sla?overdue=true",
            "/actions",
            "/risk",
            "/runs",
        ];
        for p in pages {
            let r = request(s.addr, "GET", p, &h, b"");
            assert_eq!(r.status, 200, "{role} {p}: {}", r.text());
            assert!(r.text().contains("<nav>"), "{p}");
        }
        let r = request(s.addr, "GET", &format!("/exposures/{mine}"), &h, b"");
        assert_eq!(r.status, 200);
        let page = r.text();
        assert!(page.contains("Why this tier") && page.contains("Attack path"));
        let r = request(s.addr, "GET", &format!("/exposures/{other}"), &h, b"");
        assert_eq!(
            r.status,
            if role == "service_owner" { 404 } else { 200 },
            "{role}"
        );
        let ev = request(s.addr, "GET", "/evidence", &h, b"");
        assert_eq!(ev.status, if role == "service_owner" { 403 } else { 200 });
        let svc = request(s.addr, "GET", "/services/customer-portal", &h, b"");
        assert_eq!(svc.status, if role == "service_owner" { 404 } else { 200 });
    }
}
