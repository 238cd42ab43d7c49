//! `ctem-loadgen`: a small, bounded HTTP/1.1 load generator for `ctem serve`
//! benchmarks, loopback only. It first walks the exposure list to collect
//! page cursors and exposure ids, then keeps N keep-alive connections busy
//! for a fixed time (or request count) on a mix of list pages (first and
//! deep, by keyset cursor) and exposure pages (API JSON and dashboard HTML),
//! and prints p50/p90/p99/max latency per kind.
//!
//! ```text
//! ctem-loadgen --addr 127.0.0.1:8080 --token ctem_… --connections 64 --seconds 30
//! ```

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Opts {
    addr: SocketAddr,
    token: String,
    connections: usize,
    seconds: u64,
    max_requests: u64,
    warm_pages: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: ctem-loadgen --addr 127.0.0.1:PORT --token TOKEN [--connections 64] [--seconds 30] [--max-requests 2000000] [--warm-pages 200]"
    );
    std::process::exit(2)
}

fn parse_args() -> Opts {
    let mut o = Opts {
        addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
        token: String::new(),
        connections: 64,
        seconds: 30,
        max_requests: 2_000_000,
        warm_pages: 200,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--addr" => o.addr = v.parse().unwrap_or_else(|_| usage()),
            "--token" => o.token = v,
            "--connections" => o.connections = v.parse().unwrap_or_else(|_| usage()),
            "--seconds" => o.seconds = v.parse().unwrap_or_else(|_| usage()),
            "--max-requests" => o.max_requests = v.parse().unwrap_or_else(|_| usage()),
            "--warm-pages" => o.warm_pages = v.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
        i += 2;
    }
    if o.token.is_empty() {
        usage();
    }
    // Load is only ever sent to this machine.
    if !o.addr.ip().is_loopback() {
        eprintln!(
            "ctem-loadgen: {} is not a loopback address; refusing",
            o.addr
        );
        std::process::exit(2);
    }
    o
}

/// One keep-alive connection.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Conn {
            s,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// GET `path`; returns status and body.
    async fn get(
        &mut self,
        addr: SocketAddr,
        path: &str,
        token: &str,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let req =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
        self.s.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let mut tmp = [0u8; 16 * 1024];
        let header_end = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let n = self.s.read(&mut tmp).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            self.buf.extend_from_slice(&tmp[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).to_ascii_lowercase();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| std::io::Error::other("response without content-length"))?;
        while self.buf.len() < header_end + len {
            let n = self.s.read(&mut tmp).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            self.buf.extend_from_slice(&tmp[..n]);
        }
        Ok((status, self.buf[header_end..header_end + len].to_vec()))
    }
}

/// A small xorshift generator: no dependency for picking targets.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

const KINDS: [&str; 4] = [
    "list (first page)",
    "list (deep page)",
    "exposure API",
    "exposure page",
];

fn pct(v: &mut [Duration], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let o = Arc::new(parse_args());
    // Warm-up: walk the list to collect cursors and ids.
    let mut c = Conn::open(o.addr).await.unwrap_or_else(|e| {
        eprintln!("ctem-loadgen: connecting to {}: {e}", o.addr);
        std::process::exit(1)
    });
    let mut cursors: Vec<String> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    let t = Instant::now();
    for _ in 0..o.warm_pages {
        let path = match &after {
            Some(a) => format!("/api/v1/exposures?limit=50&after={}", encode(a)),
            None => "/api/v1/exposures?limit=50".to_string(),
        };
        let (st, body) = c.get(o.addr, &path, &o.token).await.unwrap_or_else(|e| {
            eprintln!("ctem-loadgen: {e}");
            std::process::exit(1)
        });
        if st != 200 {
            eprintln!(
                "ctem-loadgen: {path}: status {st}: {}",
                String::from_utf8_lossy(&body)
            );
            std::process::exit(1);
        }
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if let Some(rows) = v["exposures"].as_array() {
            ids.extend(
                rows.iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_string)),
            );
        }
        match v["next"].as_str() {
            Some(n) => {
                cursors.push(n.to_string());
                after = Some(n.to_string());
            }
            None => break,
        }
    }
    if ids.is_empty() || cursors.is_empty() {
        eprintln!("ctem-loadgen: the workspace has too few exposures to benchmark");
        std::process::exit(1);
    }
    eprintln!(
        "warm-up: {} cursors, {} ids in {:.1} s",
        cursors.len(),
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    let cursors = Arc::new(cursors);
    let ids = Arc::new(ids);
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let budget = Arc::new(std::sync::atomic::AtomicU64::new(o.max_requests));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..o.connections {
        let (o, cursors, ids, budget) = (o.clone(), cursors.clone(), ids.clone(), budget.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat: [Vec<Duration>; 4] = Default::default();
            let mut errors = 0u64;
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1));
            let Ok(mut c) = Conn::open(o.addr).await else {
                return (lat, 1);
            };
            while Instant::now() < deadline {
                if budget
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |b| b.checked_sub(1),
                    )
                    .is_err()
                {
                    break;
                }
                let k = (rng.next() % 4) as usize;
                let path = match k {
                    0 => "/api/v1/exposures?limit=50".to_string(),
                    1 => format!(
                        "/api/v1/exposures?limit=50&after={}",
                        encode(rng.pick(&cursors[..]).as_str())
                    ),
                    2 => format!("/api/v1/exposures/{}", rng.pick(&ids[..])),
                    _ => format!("/exposures/{}", rng.pick(&ids[..])),
                };
                let t = Instant::now();
                match c.get(o.addr, &path, &o.token).await {
                    Ok((200, _)) => lat[k].push(t.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match Conn::open(o.addr).await {
                            Ok(n) => c = n,
                            Err(_) => break,
                        }
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all: [Vec<Duration>; 4] = Default::default();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            for (a, l) in all.iter_mut().zip(lat) {
                a.extend(l);
            }
            errors += e;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let total: usize = all.iter().map(Vec::len).sum();
    println!(
        "connections {}  duration {secs:.1} s  requests {total}  errors {errors}  throughput {:.0} req/s",
        o.connections,
        total as f64 / secs
    );
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "kind", "requests", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    let mut every: Vec<Duration> = Vec::new();
    for (k, mut v) in all.into_iter().enumerate() {
        every.extend(&v);
        println!(
            "{:<20} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            KINDS[k],
            v.len(),
            pct(&mut v, 0.5),
            pct(&mut v, 0.9),
            pct(&mut v, 0.99),
            pct(&mut v, 1.0)
        );
    }
    println!(
        "{:<20} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
        "all",
        every.len(),
        pct(&mut every, 0.5),
        pct(&mut every, 0.9),
        pct(&mut every, 0.99),
        pct(&mut every, 1.0)
    );
}
