//! Benchmark: re-prioritising N exposures (default 1,000,000) with every
//! factor present — service, KEV, EPSS, CVSS vector traits, reachability,
//! validation, controls, SSVC — through the policy and the SLA rules.
//!
//! This is the pure part of `ctem prioritise` (facts → policy → SLA → the
//! explanation of each decision in the form handed to the store: nine
//! factors from which value, source and date are written, the path through
//! the policy and the SLA line), done as `ctem-engine::prioritise` does it.
//! It then writes every explanation as the JSON the store keeps and renders
//! every factor as text (what a reader of all decisions pays), as separate
//! figures. Loading facts from SQLite and the SQL writes are not included.
//! Prints wall and CPU time per phase and the load average; asserts nothing
//! about time (see `docs/performance.md`).
//!
//! `cargo bench -p ctem-prioritise --bench reprioritise [-- N [ROUNDS]]`

use ctem_model::{Severity, Tier, ValidationState, WeaknessKind};
use ctem_prioritise::ssvc::{Exploitation, VectorTraits};
use ctem_prioritise::{
    CvssFact, EpssFact, Explainer, Facts, KevFact, Outcome, ServiceFact, ValidationFact,
    evaluate_all,
};
use ctem_scope::predicate::Condition;
use ctem_scope::{Rule, Thresholds, default_policy, default_sla};
use std::hint::black_box;
use std::time::Instant;

/// A small deterministic PRNG (xorshift64*), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn facts(n: usize) -> Vec<Facts> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let services: Vec<ServiceFact> = (0..20)
        .map(|i| ServiceFact {
            id: format!("svc-{i}"),
            name: format!("Service {i}"),
            crown_jewel: i < 4,
            criticality: (i % 5 + 1) as u8,
            regulated_data: i % 3 == 0,
        })
        .collect();
    (0..n)
        .map(|i| {
            let kev = r.below(100) < 3;
            let cve = format!("CVE-20{:02}-{:05}", 10 + r.below(16), r.below(60_000));
            Facts {
                weakness_id: cve,
                weakness_kind: WeaknessKind::Cve,
                severity: Severity::High,
                service: (r.below(10) < 8).then(|| services[r.below(20) as usize].clone()),
                kev: kev.then(|| KevFact {
                    date_added: 1_700_000_000 + r.below(40_000_000) as i64,
                    ransomware: r.below(4) == 0,
                    due_date: Some(1_760_000_000),
                    catalog: "2026.08.07".into(),
                    catalog_date: 1_786_000_000,
                }),
                kev_loaded: Some("2026.08.07".into()),
                epss: Some(EpssFact {
                    score: r.unit().powi(4),
                    percentile: r.unit(),
                    model: "v2025.03.14".into(),
                    score_date: 1_769_731_200,
                }),
                epss_loaded: Some("v2025.03.14".into()),
                cvss: Some(CvssFact {
                    base: (r.below(100) as f64) / 10.0,
                    vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                    source: "CVSS v3.1 vector from trivy".into(),
                    traits: Some(VectorTraits {
                        automatable: r.below(2) == 0,
                        total_impact: r.below(3) == 0,
                        exploit: (r.below(10) == 0).then_some(Exploitation::PublicPoc),
                    }),
                }),
                reachable: (r.below(5) < 2).then(|| {
                    format!(
                        "internet → dmz: web-{:03} (CVE-2023-4966) → app: api-{i}",
                        i % 500
                    )
                }),
                internet_facing: r.below(4) == 0,
                zone: Some(["dmz", "app", "corp-lan", "data"][r.below(4) as usize].into()),
                validation: (r.below(100) < 2).then(|| ValidationFact {
                    state: if r.below(2) == 0 {
                        ValidationState::Exploitable
                    } else {
                        ValidationState::BlockedByControl
                    },
                    tool: "red team".into(),
                    method: "red_team".into(),
                    control: None,
                    reason: None,
                    at: 1_780_000_000,
                }),
                mitigated_by: if r.below(10) == 0 {
                    vec!["edge-waf (waf)".into()]
                } else {
                    vec![]
                },
            }
        })
        .collect()
}

/// CPU seconds: of the calling thread from `/proc/thread-self/schedstat`
/// (nanoseconds, exact), and of the whole process, every thread, from
/// `/proc/self/stat` (clock ticks of 10 ms, and the kernel's split of them
/// can lag by a few ticks between two readings).
fn cpu() -> (f64, f64) {
    let thread = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e9)
        .unwrap_or(0.0);
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces), 1-based 14 and 15.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (thread, (ticks(11) + ticks(12)) / 100.0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Times `f` on this thread: (wall seconds, CPU seconds of this thread).
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c, t) = (cpu().0, Instant::now());
    let r = f();
    (r, t.elapsed().as_secs_f64(), cpu().0 - c)
}

/// Times `f` that runs threads: (wall seconds, CPU seconds of the process).
fn timed_threads<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c, t) = (cpu().1, Instant::now());
    let r = f();
    (r, t.elapsed().as_secs_f64(), cpu().1 - c)
}

fn line(what: &str, n: usize, wall: f64, cpu: f64) {
    println!(
        "  {what:<58} {wall:>7.3} s wall {cpu:>7.2} s CPU  {:>5.0} ns/exposure",
        wall * 1e9 / n as f64
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1_000_000);
    let rounds = args.get(1).copied().unwrap_or(3);
    let th = Thresholds::default();
    // The default policy plus two SSVC rules, so every condition family runs.
    let mut policy = default_policy();
    let cond = |s: &str| Condition::parse(s).unwrap_or_else(|e| panic!("{e}"));
    policy.rules.insert(
        3,
        Rule {
            name: "SSVC act on a reachable asset".into(),
            tier: Tier::P1,
            all: vec![cond("ssvc_act"), cond("reachable")],
            any: vec![],
        },
    );
    policy.rules.push(Rule {
        name: "SSVC out-of-cycle".into(),
        tier: Tier::P3,
        all: vec![cond("ssvc_out_of_cycle")],
        any: vec![],
    });
    let sla = default_sla();

    let t = Instant::now();
    let all = facts(n);
    let generating = t.elapsed().as_secs_f64();
    // When each exposure entered its tier (the SLA clock), as the engine
    // gets it from the previous decision: spread over a year.
    let since: Vec<i64> = (0..n)
        .map(|i| 1_760_000_000 + 86_400 * (i as i64 * 7919 % 365))
        .collect();

    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1);
    println!(
        "reprioritise: {n} exposures, every factor present, {} rules, {} SLA rules, {threads} hardware threads",
        policy.rules.len(),
        sla.len()
    );
    println!("  generating facts: {generating:.2} s (not part of the figures)");

    // The explanation as the engine completes it: the SLA line after the
    // rules, with the date the clock started.
    let finish = |ex: &mut Explainer, o: &mut Outcome, since: i64| {
        o.policy_path = ex.with_sla(&o.policy_path, o.sla, since);
    };
    for round in 1..=rounds {
        println!("round {round} (load average {})", loadavg());
        let (tiers, wall, c) = timed(|| {
            let ex = Explainer::new(&policy, &th, &sla);
            let mut tiers = [0usize; 4];
            let mut with_sla = 0usize;
            for f in &all {
                let (t, s) = ex.decide(f);
                tiers[t as usize] += 1;
                with_sla += usize::from(s.is_some());
            }
            (tiers, with_sla)
        });
        line("decision only (tier + SLA rule), 1 thread", n, wall, c);

        // The full re-prioritisation on one thread, every outcome kept (as
        // the engine keeps them until they are stored).
        let (kept, wall, c) = timed(|| {
            let mut ex = Explainer::new(&policy, &th, &sla);
            let mut out = Vec::with_capacity(n);
            for (f, &s) in all.iter().zip(&since) {
                let mut o = ex.evaluate(f);
                finish(&mut ex, &mut o, s);
                out.push(o);
            }
            out
        });
        line(
            "full: decision + score + 9 factors + path + SLA, 1 thread",
            n,
            wall,
            c,
        );
        let ((), wall, c) = timed(|| drop(kept));
        line("  freeing those outcomes", n, wall, c);

        // The same work with each outcome dropped at once: the cost of the
        // work itself, without holding a million explanations in memory.
        let (sum, wall, c) = timed(|| {
            let mut ex = Explainer::new(&policy, &th, &sla);
            let mut sum = 0usize;
            for (f, &s) in all.iter().zip(&since) {
                let mut o = ex.evaluate(f);
                finish(&mut ex, &mut o, s);
                sum += o.policy_path.len();
                black_box(&o);
            }
            sum
        });
        black_box(sum);
        line(
            "  the same, each outcome dropped at once (streamed)",
            n,
            wall,
            c,
        );

        // The same as `ctem-engine::prioritise` does it: every core.
        let (kept, wall, c) = timed_threads(|| {
            let mut out = evaluate_all(&policy, &th, &sla, &all, threads);
            let mut ex = Explainer::new(&policy, &th, &sla);
            for (o, &s) in out.iter_mut().flatten().zip(&since) {
                finish(&mut ex, o, s);
            }
            out
        });
        line(
            &format!("full, {threads} threads (evaluate_all, as the engine runs it)"),
            n,
            wall,
            c,
        );
        let count = |o: &[Outcome]| {
            let mut t = [0usize; 4];
            for x in o {
                t[x.tier as usize] += 1;
            }
            t
        };
        let kept: Vec<Outcome> = kept.into_iter().flatten().collect();
        assert_eq!(count(&kept), tiers.0, "the same tiers on every path");
        let path_lines: usize = kept.iter().map(|o| o.policy_path.len()).sum();

        // What the store does next with each explanation: write it as the
        // JSON of the `decisions.decision` column — the factors' text is
        // written straight from the compact form, every string in full.
        let (bytes, wall, c) = timed(|| {
            let mut buf = Vec::with_capacity(4096);
            let mut bytes = 0usize;
            for o in &kept {
                buf.clear();
                let _ = serde_json::to_writer(&mut buf, &(&o.factors, &o.policy_path));
                bytes += buf.len();
            }
            bytes
        });
        line(
            "stored form: JSON of the 9 factors + path, 1 thread",
            n,
            wall,
            c,
        );
        let (bytes2, wall, c) = timed_threads(|| {
            let per = n.div_ceil(threads);
            std::thread::scope(|s| {
                let hs: Vec<_> = kept
                    .chunks(per.max(1))
                    .map(|chunk| {
                        s.spawn(move || {
                            let mut buf = Vec::with_capacity(4096);
                            let mut bytes = 0usize;
                            for o in chunk {
                                buf.clear();
                                let _ =
                                    serde_json::to_writer(&mut buf, &(&o.factors, &o.policy_path));
                                bytes += buf.len();
                            }
                            bytes
                        })
                    })
                    .collect();
                hs.into_iter().filter_map(|h| h.join().ok()).sum::<usize>()
            })
        });
        assert_eq!(bytes, bytes2);
        line(
            &format!("stored form: the same, {threads} threads"),
            n,
            wall,
            c,
        );
        // What a reader pays to see every explanation as text (a report over
        // all exposures; `ctem explain` renders one).
        let (rendered, wall, c) = timed(|| kept.iter().map(|o| o.factors.len()).sum::<usize>());
        line(
            "rendering every factor as text (readers), 1 thread",
            n,
            wall,
            c,
        );
        let ((), wall, c) = timed(|| drop(kept));
        line("  freeing those outcomes", n, wall, c);
        println!(
            "  tiers P1–P4 {:?}, {} with an SLA rule, {rendered} factors, {path_lines} path lines, {:.0} MB of explanation JSON; load average {}",
            tiers.0,
            tiers.1,
            bytes as f64 / 1e6,
            loadavg()
        );
    }
    let ((), wall, c) = timed(|| {
        for f in &all {
            black_box(ctem_prioritise::ssvc::derive(f, &th));
        }
    });
    line("SSVC alone (derive the inputs, both tables)", n, wall, c);
}
