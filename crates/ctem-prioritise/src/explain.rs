//! The explanation of a decision, built cheaply enough for a million
//! exposures per run.
//!
//! Most of an explanation is the same for many exposures: factor names and
//! sources, the feed versions and dates, a service's description, the SSVC
//! line, the path through the policy (it depends only on which predicates
//! held) and the SLA line. An [`Explainer`] makes each of those once per run
//! and shares it ([`Text`], [`PolicyPath`], one [`SharedFactors`] per distinct
//! combination); per exposure it keeps only what is the exposure's own — the
//! EPSS and CVSS numbers, the attack path, a KEV entry, a validation — as
//! [`CompactFactors`]. Their text is written when the decision is stored or
//! read ([`Factors`]), and is exactly what rendering every string afresh gives
//! (`reference.rs` and the tests), so the stored decisions, `ctem explain` and
//! the API are unchanged.
//!
//! An explainer's caches are its own: give each thread its own explainer.

use crate::ssvc::{self, Ssvc};
use crate::{Facts, Outcome, ServiceFact, Values, holds_in, score_with};
use ctem_model::factors::{
    CompactFactors, CvssNote, EpssNote, EpssScore, Factors, KevEntry, KevNote, Own, SharedFactors,
};
use ctem_model::{DAY, PolicyPath, Text, Tier, fmt_date};
use ctem_scope::predicate::{Condition, Predicate};
use ctem_scope::{Policy, SlaRule, Thresholds};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

// The path cache keys on the predicate values as bits of a `u32`.
const _: () = assert!(Predicate::ALL.len() <= 32);

/// Rules with more conditions than this render their path line each time
/// instead of caching the 2^n possible lines.
const MAX_CACHED_CONDITIONS: usize = 10;
/// Bound on each per-run cache of the explainer (sources, paths, SLA lines),
/// so an adversarial input cannot grow it without limit; it is cleared when
/// full.
const CACHE_LIMIT: usize = 65_536;

/// Evaluates the policy and builds each decision's explanation, sharing the
/// parts that repeat between exposures. One per thread.
pub struct Explainer<'a> {
    policy: &'a Policy,
    th: &'a Thresholds,
    sla: &'a [SlaRule],
    /// Per rule: its path line for each combination of condition outcomes.
    rule_lines: Vec<Vec<Option<Text>>>,
    default_line: Text,
    services: Map<String, (ServiceFact, Text)>,
    kev_sources: Map<String, Text>,
    epss_sources: Map<String, Text>,
    cvss_sources: Map<String, Text>,
    vectors: Map<String, Text>,
    mitigations: Map<String, Text>,
    zones: Map<String, [Option<Text>; 2]>,
    ssvc: Map<[u64; 4], Text>,
    sla_lines: Map<(usize, i64), Text>,
    paths: Map<u32, (Tier, PolicyPath)>,
    shared: Map<SharedKey, Arc<SharedFactors>>,
    buf: String,
}

impl<'a> Explainer<'a> {
    /// An explainer for one policy, its thresholds and the SLA rules (give
    /// `&[]` when no SLA rule should be chosen).
    pub fn new(policy: &'a Policy, th: &'a Thresholds, sla: &'a [SlaRule]) -> Explainer<'a> {
        Explainer {
            policy,
            th,
            sla,
            rule_lines: vec![Vec::new(); policy.rules.len()],
            default_line: Text::from(format!("no rule matched → default {}", policy.default_tier)),
            services: Map::default(),
            kev_sources: Map::default(),
            epss_sources: Map::default(),
            cvss_sources: Map::default(),
            vectors: Map::default(),
            mitigations: Map::default(),
            zones: Map::default(),
            ssvc: Map::default(),
            sla_lines: Map::default(),
            paths: Map::default(),
            shared: Map::default(),
            buf: String::with_capacity(256),
        }
    }

    /// The SLA rules this explainer chooses from.
    pub fn sla_rules(&self) -> &'a [SlaRule] {
        self.sla
    }

    /// Evaluates the policy on one exposure: tier, score, SLA rule, every
    /// factor with its source and date, and the path through the policy.
    pub fn evaluate(&mut self, f: &Facts) -> Outcome {
        let s = ssvc::derive(f, self.th);
        let v: Values = Predicate::ALL.map(|p| f.holds_with(p, self.th, &s));
        // The path depends only on the predicate values: one per distinct
        // combination, shared by every exposure with it.
        let key = v
            .iter()
            .enumerate()
            .fold(0u32, |k, (i, &b)| k | (u32::from(b) << i));
        let (tier, path) = match self.paths.get(&key) {
            Some((t, p)) => (*t, p.clone()),
            None => {
                let (t, p) = self.walk(&v);
                bounded(&mut self.paths);
                self.paths.insert(key, (t, p.clone()));
                (t, p)
            }
        };
        let sla = self
            .sla
            .iter()
            .position(|r| (r.tiers.is_empty() || r.tiers.contains(&tier)) && all_hold(&v, &r.when));
        Outcome {
            tier,
            score: score_with(f, &v),
            factors: self.factors_with(f, &s),
            policy_path: path,
            exploitable_intel: v[Predicate::ExploitableIntel as usize],
            sla,
        }
    }

    /// Tries the rules in order: the tier and the path.
    fn walk(&mut self, v: &Values) -> (Tier, PolicyPath) {
        let mut path = Vec::with_capacity(self.policy.rules.len() + 1);
        for i in 0..self.policy.rules.len() {
            let (line, matched) = self.rule_line(i, v);
            path.push(line);
            if matched {
                return (self.policy.rules[i].tier, PolicyPath::new(path));
            }
        }
        path.push(self.default_line.clone());
        (self.policy.default_tier, PolicyPath::new(path))
    }

    /// `path` followed by the line of SLA rule `sla` (an index into
    /// [`Self::sla_rules`]) with its clock started at `since`.
    pub fn with_sla(&mut self, path: &PolicyPath, sla: Option<usize>, since: i64) -> PolicyPath {
        match sla {
            Some(rule) => path.with_sla(self.sla_line(rule, since)),
            None => path.clone(),
        }
    }

    /// The tier and the SLA rule only, without the explanation.
    pub fn decide(&self, f: &Facts) -> (Tier, Option<usize>) {
        let s = ssvc::derive(f, self.th);
        let v: Values = Predicate::ALL.map(|p| f.holds_with(p, self.th, &s));
        let tier = self
            .policy
            .rules
            .iter()
            .find(|r| {
                all_hold(&v, &r.all) && (r.any.is_empty() || r.any.iter().any(|c| holds_in(&v, c)))
            })
            .map(|r| r.tier)
            .unwrap_or(self.policy.default_tier);
        let sla = self
            .sla
            .iter()
            .position(|r| (r.tiers.is_empty() || r.tiers.contains(&tier)) && all_hold(&v, &r.when));
        (tier, sla)
    }

    /// The path line of an SLA rule (an index into [`Self::sla_rules`]):
    /// `SLA "name": N days from YYYY-MM-DD`, with `since` the start of the
    /// clock.
    pub fn sla_line(&mut self, rule: usize, since: i64) -> Text {
        let sla = self.sla;
        let key = (rule, since.div_euclid(DAY));
        cached(&mut self.sla_lines, key, || {
            let r = &sla[rule];
            Text::from(format!(
                "SLA \"{}\": {} days from {}",
                r.name,
                r.days,
                fmt_date(since)
            ))
        })
    }

    /// Every factor with its value, its source and the date of its data.
    pub fn factors(&mut self, f: &Facts) -> Factors {
        let s = ssvc::derive(f, self.th);
        self.factors_with(f, &s)
    }

    /// Rule `i`'s line in the path and whether it matched.
    fn rule_line(&mut self, i: usize, v: &Values) -> (Text, bool) {
        let r = &self.policy.rules[i];
        let n = r.all.len() + r.any.len();
        let mut bits = 0u32;
        let mut all_ok = true;
        let mut any_ok = r.any.is_empty();
        for (j, c) in r.all.iter().chain(&r.any).enumerate() {
            let h = holds_in(v, c);
            if j < 32 && h {
                bits |= 1 << j;
            }
            if j < r.all.len() {
                all_ok &= h;
            } else {
                any_ok |= h;
            }
        }
        let matched = all_ok && any_ok;
        if n > MAX_CACHED_CONDITIONS {
            return (
                Text::from(render_rule_line(i, self.policy, v, matched)),
                matched,
            );
        }
        let lines = &mut self.rule_lines[i];
        if lines.is_empty() {
            lines.resize(1 << n, None);
        }
        let line = lines[bits as usize]
            .get_or_insert_with(|| Text::from(render_rule_line(i, self.policy, v, matched)))
            .clone();
        (line, matched)
    }

    fn factors_with(&mut self, f: &Facts, s: &Ssvc) -> Factors {
        Factors::compact(self.compact(f, s))
    }

    /// The factors as compact data: the exposure's own numbers, shared texts
    /// for the rest.
    fn compact(&mut self, f: &Facts, s: &Ssvc) -> CompactFactors {
        let service = f
            .service
            .as_ref()
            .map(|svc| match self.services.get(&svc.id) {
                Some((known, text)) if known == svc => text.clone(),
                _ => {
                    let text = Text::from(format!(
                        "{} ({}criticality {}{})",
                        svc.name,
                        if svc.crown_jewel { "crown jewel, " } else { "" },
                        svc.criticality,
                        if svc.regulated_data {
                            ", regulated data"
                        } else {
                            ""
                        }
                    ));
                    bounded(&mut self.services);
                    self.services
                        .insert(svc.id.clone(), (svc.clone(), text.clone()));
                    text
                }
            });
        let (kev, kev_entry) = match (&f.kev, &f.kev_loaded) {
            (Some(k), _) => (
                KevNote::Yes {
                    source: cached_str(&mut self.kev_sources, &k.catalog, "CISA KEV "),
                    as_of: k.catalog_date,
                },
                Some(KevEntry {
                    added: k.date_added,
                    due: k.due_date,
                    ransomware: k.ransomware,
                }),
            ),
            (None, Some(cat)) => (
                KevNote::No {
                    source: cached_str(&mut self.kev_sources, cat, "CISA KEV "),
                },
                None,
            ),
            (None, None) => (KevNote::Unknown, None),
        };
        let (epss, epss_score) = match (&f.epss, &f.epss_loaded) {
            (Some(e), _) => (
                EpssNote::Score {
                    source: cached_str(&mut self.epss_sources, &e.model, "FIRST EPSS "),
                    as_of: e.score_date,
                },
                Some(EpssScore {
                    score: e.score,
                    percentile: e.percentile,
                    above: e.score >= self.th.epss,
                }),
            ),
            (None, Some(m)) => (
                EpssNote::NoScore {
                    source: cached_str(&mut self.epss_sources, m, "FIRST EPSS "),
                },
                None,
            ),
            (None, None) => (EpssNote::Unknown, None),
        };
        let cvss = f.cvss.as_ref().map(|c| CvssNote {
            vector: c
                .vector
                .as_ref()
                .map(|v| cached_str(&mut self.vectors, v, "")),
            source: cached_str(&mut self.cvss_sources, &c.source, ""),
        });
        let internet_facing = match &f.zone {
            Some(z) => {
                let i = usize::from(f.internet_facing);
                match self.zones.get(z.as_str()).and_then(|s| s[i].clone()) {
                    Some(t) => t,
                    None => {
                        let t = Text::from(if f.internet_facing {
                            format!("yes (zone {z})")
                        } else {
                            format!("no (zone {z})")
                        });
                        bounded(&mut self.zones);
                        self.zones.entry(z.clone()).or_default()[i] = Some(t.clone());
                        t
                    }
                }
            }
            None => Text::Static("no (asset in no declared zone)"),
        };
        let validation = f.validation.as_ref().map(|val| {
            let b = &mut self.buf;
            b.clear();
            let _ = write!(b, "{} by {} ({})", val.state, val.tool, val.method);
            if let Some(c) = &val.control {
                b.push_str(", control ");
                b.push_str(c);
            }
            if let Some(r) = &val.reason {
                b.push_str(": ");
                b.push_str(r);
            }
            (Text::from(b.as_str()), val.at)
        });
        let mitigated = (!f.mitigated_by.is_empty()).then(|| {
            let b = &mut self.buf;
            b.clear();
            for (i, m) in f.mitigated_by.iter().enumerate() {
                if i > 0 {
                    b.push_str(", ");
                }
                b.push_str(m);
            }
            cached_str(&mut self.mitigations, b, "")
        });
        // The SSVC line is a function of the decision points and the
        // (static) reasons for them: key on their values and addresses.
        let ssvc_key = [
            (s.exploitation as u64)
                | (u64::from(s.automatable) << 8)
                | ((s.technical_impact as u64) << 16)
                | ((s.mission_impact as u64) << 24)
                | ((s.system_exposure as u64) << 32)
                | ((s.human_impact as u64) << 40)
                | ((s.cisa as u64) << 48)
                | ((s.deployer as u64) << 56),
            s.exploitation_why.as_ptr() as u64 ^ ((s.exploitation_why.len() as u64) << 48),
            s.automatable_why.as_ptr() as u64 ^ ((s.automatable_why.len() as u64) << 48),
            s.technical_impact_why.as_ptr() as u64 ^ ((s.technical_impact_why.len() as u64) << 48),
        ];
        let ssvc = cached(&mut self.ssvc, ssvc_key, || Text::from(s.describe()));
        let ssvc_as_of = f
            .kev
            .as_ref()
            .map(|k| k.catalog_date)
            .or(f.epss.as_ref().map(|e| e.score_date));
        let shared = SharedFactors {
            service,
            kev,
            epss,
            cvss,
            internet_facing,
            mitigated,
            ssvc,
            ssvc_source: ssvc::SOURCE,
            ssvc_as_of,
        };
        // Every text above comes from this explainer's caches, so equal
        // parts are the same allocations: the key is their addresses.
        let key = shared_key(&shared);
        let shared = match self.shared.get(&key) {
            Some(a) => a.clone(),
            None => {
                let a = Arc::new(shared);
                bounded(&mut self.shared);
                self.shared.insert(key, a.clone());
                a
            }
        };
        CompactFactors {
            shared,
            epss: epss_score,
            cvss_base: f.cvss.as_ref().map(|c| c.base).unwrap_or(0.0),
            reachable: f.reachable.as_deref().map(Text::from),
            own: (kev_entry.is_some() || validation.is_some()).then(|| {
                Box::new(Own {
                    kev: kev_entry,
                    validation,
                })
            }),
        }
    }
}

/// Evaluates every exposure ([`Explainer::evaluate`]), on up to `threads`
/// threads (each with its own explainer, over consecutive chunks, the calling
/// thread taking the last one). Returns one list per chunk, in the order of
/// `facts` (`.into_iter().flatten()` gives one outcome per fact), so the
/// outcomes are not copied into one list. Small inputs use one thread.
pub fn evaluate_all(
    policy: &Policy,
    th: &Thresholds,
    sla: &[SlaRule],
    facts: &[Facts],
    threads: usize,
) -> Vec<Vec<Outcome>> {
    const MIN_PER_THREAD: usize = 16_384;
    let threads = threads.clamp(1, facts.len().div_ceil(MIN_PER_THREAD).max(1));
    let run = |chunk: &[Facts]| {
        let mut ex = Explainer::new(policy, th, sla);
        chunk.iter().map(|f| ex.evaluate(f)).collect::<Vec<_>>()
    };
    if threads == 1 {
        return vec![run(facts)];
    }
    let per = facts.len().div_ceil(threads);
    let mut chunks: Vec<&[Facts]> = facts.chunks(per).collect();
    let last = chunks.pop().unwrap_or_default();
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || run(chunk)))
            .collect();
        let mine = run(last);
        let mut parts: Vec<Vec<Outcome>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        parts.push(mine);
        parts
    })
}

/// The identity of shared factors: the addresses of their texts (all from
/// one explainer's caches, kept alive by the cached value) and their dates.
type SharedKey = [u64; 16];

fn shared_key(s: &SharedFactors) -> SharedKey {
    let t = |t: &Text| t.as_ptr() as u64 ^ ((t.len() as u64) << 48);
    let o = |x: Option<&Text>| x.map(t).unwrap_or(0);
    let (kev_tag, kev_src, kev_date) = match &s.kev {
        KevNote::Unknown => (0, 0, 0),
        KevNote::No { source } => (1, t(source), 0),
        KevNote::Yes { source, as_of } => (2, t(source), *as_of as u64),
    };
    let (epss_tag, epss_src, epss_date) = match &s.epss {
        EpssNote::Unknown => (0, 0, 0),
        EpssNote::NoScore { source } => (1, t(source), 0),
        EpssNote::Score { source, as_of } => (2, t(source), *as_of as u64),
    };
    let (cvss_tag, vector, cvss_src) = match &s.cvss {
        None => (0, 0, 0),
        Some(c) => (1, o(c.vector.as_ref()), t(&c.source)),
    };
    [
        o(s.service.as_ref()),
        kev_tag,
        kev_src,
        kev_date,
        epss_tag,
        epss_src,
        epss_date,
        cvss_tag,
        vector,
        cvss_src,
        t(&s.internet_facing),
        o(s.mitigated.as_ref()),
        t(&s.ssvc),
        s.ssvc_source.as_ptr() as u64,
        u64::from(s.ssvc_as_of.is_some()),
        s.ssvc_as_of.unwrap_or(0) as u64,
    ]
}

fn all_hold(v: &Values, conds: &[Condition]) -> bool {
    conds.iter().all(|c| holds_in(v, c))
}

/// `rule N "name" (tier): cond=value, …; any of [cond=value, …] → matched|no`.
fn render_rule_line(i: usize, policy: &Policy, v: &Values, matched: bool) -> String {
    let r = &policy.rules[i];
    let mut text = String::with_capacity(48 + r.name.len() + 24 * (r.all.len() + r.any.len()));
    let _ = write!(text, "rule {} \"{}\" ({}): ", i + 1, r.name, r.tier);
    push_conds(&mut text, &r.all, v);
    if !r.any.is_empty() {
        if !r.all.is_empty() {
            text.push_str("; ");
        }
        text.push_str("any of [");
        push_conds(&mut text, &r.any, v);
        text.push(']');
    }
    text.push_str(if matched { " → matched" } else { " → no" });
    text
}

/// Appends `name=value, …` to the path text.
fn push_conds(text: &mut String, conds: &[Condition], v: &Values) {
    for (i, c) in conds.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        if c.negated {
            text.push('!');
        }
        text.push_str(c.predicate.name());
        text.push_str(if holds_in(v, c) { "=true" } else { "=false" });
    }
}

/// FxHash (rustc's hasher): the caches' keys are small and not chosen by an
/// attacker in a way that matters (the caches are bounded).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
}

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type Map<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

fn bounded<K, V>(m: &mut Map<K, V>) {
    if m.len() >= CACHE_LIMIT {
        m.clear();
    }
}

fn cached<K: std::hash::Hash + Eq>(
    m: &mut Map<K, Text>,
    k: K,
    make: impl FnOnce() -> Text,
) -> Text {
    if let Some(t) = m.get(&k) {
        return t.clone();
    }
    let t = make();
    bounded(m);
    m.insert(k, t.clone());
    t
}

/// `prefix + s`, shared.
fn cached_str(m: &mut Map<String, Text>, s: &str, prefix: &str) -> Text {
    if let Some(t) = m.get(s) {
        return t.clone();
    }
    let t = Text::from(format!("{prefix}{s}"));
    bounded(m);
    m.insert(s.to_string(), t.clone());
    t
}

#[cfg(test)]
mod tests {
    #[test]
    fn push_fixed_matches_format() {
        let mut r = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            r ^= r >> 12;
            r ^= r << 25;
            r ^= r >> 27;
            r.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let mut xs: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            0.0005,
            0.0015,
            0.1235,
            0.9995,
            9.95,
            0.05,
            0.25,
            10.0,
            9.8,
            0.97,
            1e8,
            999_999.999_5,
            1e12,
            -1.5,
            f64::NAN,
            f64::INFINITY,
            0.000_499_999_9,
        ];
        for _ in 0..200_000 {
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            xs.push(u);
            xs.push(u.powi(4));
            xs.push((next() % 101) as f64 / 10.0);
            xs.push((next() % 100_001) as f64 / 100_000.0);
            xs.push(u * 1e6);
        }
        for x in xs {
            for d in 0..=4 {
                let mut s = String::new();
                let _ = ctem_model::factors::push_fixed(&mut s, x, d);
                assert_eq!(s, format!("{x:.d$}"), "{x} with {d} decimals");
            }
        }
    }
}
