//! End to end in headless Chromium, driven over WebDriver (chromedriver on
//! loopback, a few JSON calls, no client crate): sign in, open the funnel,
//! filter exposures, open one and see its explanation and attack path,
//! accept a risk, export evidence. Screenshots are kept under
//! `target/e2e/`. Skips with a message when Chromium is not installed
//! (`.ci/run` installs it).

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for d in std::env::split_paths(&path) {
        for n in names {
            let p = d.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn b64decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let Some(v) = val(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

struct Driver {
    addr: SocketAddr,
    child: Child,
    session: String,
    shots: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = request(
            self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            &[],
            b"",
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let p = format!("/session/{}{path}", self.session);
        let body = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let r = request(
            self.addr,
            method,
            &p,
            &[("Content-Type", "application/json")],
            &body,
        );
        let v = r.json();
        assert_eq!(r.status, 200, "webdriver {method} {p}: {v}");
        v["value"].clone()
    }
    fn go(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url}));
    }
    fn el(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap()
            .to_string()
    }
    fn els(&self, css: &str) -> usize {
        self.call(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        )
        .as_array()
        .unwrap()
        .len()
    }
    fn typ(&self, css: &str, text: &str) {
        let e = self.el(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        );
    }
    fn click(&self, css: &str) {
        let e = self.el(css);
        self.call("POST", &format!("/element/{e}/click"), json!({}));
    }
    /// Clicks something that navigates (a link, a submit button) and waits
    /// until the old page is gone and the new one has loaded: WebDriver's
    /// click returns before a form submission has finished navigating.
    fn click_nav(&self, css: &str) {
        let old = self.el("html");
        self.click(css);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let p = format!("/session/{}/element/{old}/name", self.session);
            let r = request(self.addr, "GET", &p, &[], b"");
            if r.status != 200 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "clicking {css} did not navigate"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        loop {
            let state = self.call(
                "POST",
                "/execute/sync",
                json!({"script": "return document.readyState", "args": []}),
            );
            if state == "complete" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the page after {css} did not finish loading"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    fn url(&self) -> String {
        self.call("GET", "/url", json!(null))
            .as_str()
            .unwrap()
            .to_string()
    }
    fn source(&self) -> String {
        self.call("GET", "/source", json!(null))
            .as_str()
            .unwrap()
            .to_string()
    }
    fn shot(&self, name: &str) {
        let png = b64decode(
            self.call("GET", "/screenshot", json!(null))
                .as_str()
                .unwrap(),
        );
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }
}

fn start_driver(chromium: &Path, chromedriver: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let t = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.to_str().unwrap(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1100", "--no-first-run", "--disable-extensions"]
        }
    }}});
    let r = request(
        addr,
        "POST",
        "/session",
        &[("Content-Type", "application/json")],
        caps.to_string().as_bytes(),
    );
    let v = r.json();
    assert_eq!(r.status, 200, "new session: {v}");
    let session = v["value"]["sessionId"].as_str().unwrap().to_string();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("e2e");
    std::fs::create_dir_all(&shots).unwrap();
    Driver {
        addr,
        child,
        session,
        shots,
    }
}

#[test]
fn analyst_walks_the_dashboard_in_chromium() {
    let (Some(chromium), Some(driver)) = (
        find(&["chromium", "chromium-browser", "google-chrome"]),
        find(&["chromedriver"]),
    ) else {
        println!(
            "skipped: chromium or chromedriver not installed (apt-get install -y chromium chromium-driver)"
        );
        return;
    };
    let s = start(400);
    let base = format!("http://{}", s.addr);
    let d = start_driver(&chromium, &driver);

    // Signing in: the dashboard sends an anonymous visitor to the login page.
    d.go(&format!("{base}/"));
    assert!(d.url().contains("/login"), "{}", d.url());
    d.shot("01-login");
    d.typ("#username", "analyst");
    d.typ("#password", PASSWORD);
    d.click_nav("#signin");
    assert!(
        d.source().contains("The exposure funnel"),
        "signed in to the funnel"
    );
    assert!(d.els("table.funnel .bar") == 5, "five funnel stages");
    d.shot("02-funnel");

    // Filtering exposures with the form.
    d.go(&format!("{base}/exposures"));
    d.click("#f-tier option[value=P1]");
    d.click("#f-validation option[value=exploitable]");
    d.click_nav("#apply");
    let url = d.url();
    assert!(
        url.contains("tier=P1") && url.contains("validation=exploitable"),
        "{url}"
    );
    let rows = d.els("#exposures tr") - 1;
    assert!(rows > 0, "validated P1 exposures are listed");
    assert_eq!(d.els("#exposures .tier.P1"), rows, "only P1 rows");
    d.shot("03-exposures-filtered");

    // An exposure: explanation and the picture of its attack path.
    d.click_nav("#exposures tr:nth-child(2) a");
    let src = d.source();
    assert!(src.contains("Why this tier") && src.contains("Path through the policy"));
    assert_eq!(d.els("#path svg"), 1, "the attack path is drawn");
    assert!(d.els("#path svg rect") >= 2);
    d.shot("04-exposure");

    // Accepting its risk.
    d.typ(
        "#justification",
        "isolated behind the edge WAF until the Q3 upgrade",
    );
    d.typ("#control", "edge-waf");
    d.click_nav("#accept");
    assert_eq!(
        d.els("#accepted"),
        1,
        "the acceptance is confirmed: {}",
        d.url()
    );
    assert!(d.source().contains("isolated behind the edge WAF"));
    d.shot("05-risk-accepted");

    // Other pages a newcomer finds from the navigation.
    for (path, text, name) in [
        ("/sla", "SLA board", "06-sla"),
        ("/services/claims", "Most urgent exposures", "07-service"),
        ("/actions", "Remediation actions", "08-actions"),
    ] {
        d.go(&format!("{base}{path}"));
        assert!(d.source().contains(text), "{path}");
        d.shot(name);
    }

    // Evidence export, fetched with the session like the download link.
    d.go(&format!("{base}/evidence"));
    assert_eq!(d.els("#audit-ok"), 1, "the audit chain verifies");
    assert_eq!(d.els("#download-evidence"), 1);
    d.shot("09-evidence");
    let v = d.call(
        "POST",
        "/execute/async",
        json!({"script": "const done = arguments[0]; fetch('/api/v1/evidence').then(r => r.json()).then(j => done(j.schema_version + ' ' + j.risk_acceptances.length)).catch(e => done('error ' + e));", "args": []}),
    );
    assert_eq!(v.as_str(), Some("ctem-evidence/1 1"), "{v}");
    println!("screenshots in {}", d.shots.display());
}
