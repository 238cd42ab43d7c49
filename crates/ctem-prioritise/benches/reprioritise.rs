//! Benchmark: re-prioritising N exposures (default 1,000,000) with every
//! factor present — service, KEV, EPSS, CVSS vector traits, reachability,
//! validation, controls, SSVC — through the policy and the SLA rules.
//!
//! This is the pure part of `ctem prioritise` (facts → policy → SLA → the
//! explanation of each decision); loading facts from SQLite is measured by
//! `cargo bench -p ctem-engine --bench assess`. Prints figures; asserts
//! nothing about time (see `docs/performance.md`).
//!
//! `cargo bench -p ctem-prioritise --bench reprioritise [-- N]`

use ctem_model::{Severity, Tier, ValidationState, WeaknessKind};
use ctem_prioritise::ssvc::{Exploitation, VectorTraits};
use ctem_prioritise::{
    CvssFact, EpssFact, Facts, KevFact, ServiceFact, ValidationFact, evaluate, sla_for,
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

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
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

    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1);
    println!("reprioritise: {n} exposures, every factor present, {threads} hardware threads");
    println!("  generating facts: {generating:.2} s (not part of the figure)");

    let run = |chunk: &[Facts]| -> [usize; 4] {
        let mut tiers = [0usize; 4];
        for f in chunk {
            let o = evaluate(&policy, &th, f);
            let s = sla_for(&sla, o.tier, f, &th);
            tiers[o.tier as usize] += 1;
            black_box((&o, s));
        }
        tiers
    };
    for round in 0..3 {
        let t = Instant::now();
        let tiers = run(&all);
        let one = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let per = n.div_ceil(threads.max(1));
        let _: Vec<[usize; 4]> = std::thread::scope(|s| {
            let hs: Vec<_> = all.chunks(per.max(1)).map(|c| s.spawn(|| run(c))).collect();
            hs.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        let par = t.elapsed().as_secs_f64();
        println!(
            "  round {}: 1 thread {one:.3} s ({:.0} ns/exposure); {threads} threads {par:.3} s; tiers P1–P4 {tiers:?}",
            round + 1,
            one * 1e9 / n as f64
        );
    }
    // Decisions only (tier and SLA, no explanation strings), for comparison.
    let t = Instant::now();
    let mut hits = 0usize;
    for f in &all {
        let tier = policy
            .rules
            .iter()
            .find(|r| {
                f.all(&r.all, &th)
                    && (r.any.is_empty()
                        || r.any.iter().any(|c| f.holds(c.predicate, &th) != c.negated))
            })
            .map(|r| r.tier)
            .unwrap_or(policy.default_tier);
        hits += usize::from(sla_for(&sla, tier, f, &th).is_some());
    }
    println!(
        "  tier + SLA only (no explanation): {:.3} s ({hits} with an SLA)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for f in &all {
        black_box(ctem_prioritise::factors(f, &th));
    }
    println!(
        "  of which the factors alone: {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for f in &all {
        black_box(ctem_prioritise::ssvc::derive(f, &th));
    }
    println!("  of which SSVC alone: {:.3} s", t.elapsed().as_secs_f64());
}
