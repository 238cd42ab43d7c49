//! The API against a running server on 127.0.0.1:0 over a demo workspace:
//! every endpoint, every role's boundaries (including a service owner
//! asking for another service's exposure by id), uploads, runs, sessions,
//! CSRF, login limits, metrics and the OpenAPI document.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// One server for the read-mostly tests (they may add risk acceptances).
fn shared() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| start(400))
}

fn rows(v: &Value) -> &Vec<Value> {
    v["exposures"].as_array().expect("exposures")
}

/// An exposure of a service other than the owner's, and one of theirs.
fn ids_for_owner(s: &Server) -> (String, String) {
    let admin = &s.tokens["admin"];
    let other = get(
        s.addr,
        "/api/v1/exposures?service=customer-portal&limit=1",
        admin,
    )
    .json();
    let mine = get(
        s.addr,
        &format!("/api/v1/exposures?service={}&limit=1", s.owned_service),
        admin,
    )
    .json();
    (
        rows(&other)[0]["id"].as_str().unwrap().to_string(),
        rows(&mine)[0]["id"].as_str().unwrap().to_string(),
    )
}

#[test]
fn public_endpoints_answer_and_everything_else_needs_credentials() {
    let s = shared();
    for p in ["/healthz", "/readyz", "/api/v1/openapi.json"] {
        let r = request(s.addr, "GET", p, &[], b"");
        assert_eq!(r.status, 200, "{p}: {}", r.text());
    }
    for (m, p) in ctem_server::api::ROUTES {
        if ["/healthz", "/readyz", "/api/v1/openapi.json"].contains(p) {
            continue;
        }
        let path = p.replace("{id}", "claims");
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
    let s = shared();
    let t = &s.tokens["analyst"];
    let v = get(
        s.addr,
        "/api/v1/exposures?validation=exploitable&limit=1",
        t,
    )
    .json();
    let id = rows(&v)[0]["id"].as_str().unwrap();
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
    let s = shared();
    let t = &s.tokens["service_owner"];
    let (other, mine) = ids_for_owner(s);

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
    let body = json!({"justification": "compensated by the claims WAF rule 9001", "days": 30});
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
        &format!("/api/v1/exposures/{mine}/risk-acceptances"),
        t,
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["approver"], "token:service_owner");

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
    let s = shared();
    let r = get(s.addr, "/api/v1/tokens", &s.tokens["admin"]);
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(
        !text.contains("argon2") && !text.contains("sha256") && !text.contains(&s.tokens["admin"])
    );
    assert_eq!(r.json()["users"].as_array().unwrap().len(), 4);
    assert_eq!(
        get(s.addr, "/api/v1/tokens", &s.tokens["analyst"]).status,
        403
    );
}

#[test]
fn risk_acceptance_is_validated_and_listed() {
    let s = shared();
    let t = &s.tokens["analyst"];
    let (other, _) = ids_for_owner(s);
    let url = format!("/api/v1/exposures/{other}/risk-acceptances");
    assert_eq!(
        post_json(s.addr, &url, t, &json!({"justification": "short"})).status,
        422
    );
    assert_eq!(
        post_json(
            s.addr,
            &url,
            t,
            &json!({"justification": "long enough reason", "days": 999})
        )
        .status,
        422
    );
    assert_eq!(
        post_json(s.addr, &url, t, &json!({"nothing": 1})).status,
        422
    );
    let r = post_json(
        s.addr,
        &url,
        t,
        &json!({"justification": "decommissioned next sprint, isolated VLAN", "control": "edge-waf"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let list = get(s.addr, &url, t).json();
    assert!(
        list["risk_acceptances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["control"] == "edge-waf")
    );
    let d = get(s.addr, &format!("/api/v1/exposures/{other}"), t).json();
    assert!(!d["risk_acceptances"].as_array().unwrap().is_empty());
}

#[test]
fn uploads_import_all_or_nothing_and_runs_are_recorded() {
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

    let (other, _) = ids_for_owner(s);
    let url = format!("/api/v1/exposures/{other}/risk-acceptances");
    let body = json!({"justification": "accepted from the dashboard session"}).to_string();
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
    // Dashboard forms too.
    let form = "justification=accepted+via+the+form+today&days=10";
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
