//! [`Factors`]: the factors of a decision, kept as compact data until they
//! are read or stored.
//!
//! Prioritisation explains every decision with nine factors (value, source,
//! date). At a million exposures, formatting those strings for every
//! decision cost more than the decision itself. A freshly made decision
//! therefore holds [`CompactFactors`]: the numbers that are the exposure's
//! own (EPSS score and percentile, CVSS base score, KEV dates) and shared
//! [`Text`]s for everything that repeats (sources, feed dates, a service's
//! description, the SSVC line). The text is produced
//!
//! - when the decision is stored: serialising writes each factor's text
//!   straight into the JSON, without building strings first, and
//! - when code reads the factors (`Deref` to `[Factor]`): they are rendered
//!   once, on first use.
//!
//! The JSON is the same list of `{name, value, source, as_of}` objects as
//! before, byte for byte; decisions read back from the store hold that list
//! as it was stored ([`Factors::Rendered`]).

use crate::{Factor, Text};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::{self, Display};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// The factors of a decision: as stored text, or compact (fresh from
/// prioritisation). Derefs to `[Factor]`.
#[derive(Clone, Default)]
pub enum Factors {
    /// Factors as text: read back from the store, or built by hand.
    #[default]
    Empty,
    Rendered(Vec<Factor>),
    Compact(Compact),
}

/// Compact factors with their text, rendered on first read.
#[derive(Clone)]
pub struct Compact {
    pub data: CompactFactors,
    rendered: OnceLock<Vec<Factor>>,
}

impl Factors {
    pub fn compact(data: CompactFactors) -> Factors {
        Factors::Compact(Compact {
            data,
            rendered: OnceLock::new(),
        })
    }

    /// The factors as text (rendered on first use for compact factors).
    pub fn as_slice(&self) -> &[Factor] {
        match self {
            Factors::Empty => &[],
            Factors::Rendered(v) => v,
            Factors::Compact(c) => c.rendered.get_or_init(|| {
                let mut v = Vec::with_capacity(9);
                c.data.each(|name, value, source, as_of| {
                    v.push(Factor {
                        name: Text::Static(name),
                        value: value.text(),
                        source: source.text(),
                        as_of: as_of.map(|d| d.text()),
                    })
                });
                v
            }),
        }
    }
}

impl Deref for Factors {
    type Target = [Factor];
    fn deref(&self) -> &[Factor] {
        self.as_slice()
    }
}

impl<'a> IntoIterator for &'a Factors {
    type Item = &'a Factor;
    type IntoIter = std::slice::Iter<'a, Factor>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl From<Vec<Factor>> for Factors {
    fn from(v: Vec<Factor>) -> Factors {
        Factors::Rendered(v)
    }
}

impl fmt::Debug for Factors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl PartialEq for Factors {
    fn eq(&self, other: &Factors) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Serialize for Factors {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Factors::Compact(c) if c.rendered.get().is_none() => {
                let mut seq = s.serialize_seq(Some(9))?;
                let mut err = None;
                c.data.each(|name, value, source, as_of| {
                    if err.is_none() {
                        let f = Streamed {
                            name,
                            value,
                            source,
                            as_of,
                        };
                        if let Err(e) = seq.serialize_element(&f) {
                            err = Some(e);
                        }
                    }
                });
                match err {
                    Some(e) => Err(e),
                    None => seq.end(),
                }
            }
            other => other.as_slice().serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Factors {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Factors, D::Error> {
        Vec::<Factor>::deserialize(d).map(Factors::Rendered)
    }
}

/// One factor written straight into the serializer.
struct Streamed<'a> {
    name: &'static str,
    value: Piece<'a>,
    source: Piece<'a>,
    as_of: Option<Piece<'a>>,
}

impl Serialize for Streamed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Factor", 3 + usize::from(self.as_of.is_some()))?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("value", &self.value)?;
        st.serialize_field("source", &self.source)?;
        if let Some(d) = &self.as_of {
            st.serialize_field("as_of", d)?;
        }
        st.end()
    }
}

/// Part of a factor's text: shared text, or a value formatted when written.
#[derive(Clone, Copy)]
pub enum Piece<'a> {
    Text(&'a Text),
    Str(&'static str),
    Kev(&'a KevEntry),
    Epss {
        score: f64,
        percentile: f64,
        above: bool,
    },
    Cvss {
        base: f64,
        vector: Option<&'a Text>,
    },
    Prefixed(&'static str, &'a Text),
    Date(i64),
}

impl Piece<'_> {
    fn text(&self) -> Text {
        match self {
            Piece::Text(t) => (*t).clone(),
            Piece::Str(s) => Text::Static(s),
            other => Text::from(other.to_string()),
        }
    }
}

impl Display for Piece<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Piece::Text(t) => f.write_str(t),
            Piece::Str(s) => f.write_str(s),
            Piece::Kev(k) => {
                write!(f, "yes, added {}", Date(k.added))?;
                if let Some(d) = k.due {
                    write!(f, ", federal due date {}", Date(d))?;
                }
                if k.ransomware {
                    f.write_str(", known ransomware use")?;
                }
                Ok(())
            }
            Piece::Epss {
                score,
                percentile,
                above,
            } => {
                write!(
                    f,
                    "{} (percentile {}), {}",
                    Fixed(*score, 3),
                    Fixed(*percentile, 3),
                    if *above {
                        "at or above threshold"
                    } else {
                        "below threshold"
                    }
                )
            }
            Piece::Cvss { base, vector } => match vector {
                Some(v) => write!(f, "{} ({v})", Fixed(*base, 1)),
                None => write!(f, "{}", Fixed(*base, 1)),
            },
            Piece::Prefixed(p, t) => {
                f.write_str(p)?;
                f.write_str(t)
            }
            Piece::Date(t) => Date(*t).fmt(f),
        }
    }
}

impl Serialize for Piece<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Piece::Text(t) => s.serialize_str(t),
            Piece::Str(t) => s.serialize_str(t),
            other => s.collect_str(other),
        }
    }
}

/// A date (`YYYY-MM-DD`, as [`crate::fmt_date`]) written without a `String`.
#[derive(Clone, Copy)]
pub struct Date(pub i64);

impl Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(d) => {
                let d = d.date();
                write!(
                    f,
                    "{:04}-{:02}-{:02}",
                    d.year(),
                    u8::from(d.month()),
                    d.day()
                )
            }
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

/// `x` with `decimals` digits after the point, exactly as
/// `format!("{x:.decimals$}")`, without the float formatting machinery in
/// the common case.
#[derive(Clone, Copy)]
pub struct Fixed(pub f64, pub usize);

impl Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        push_fixed(f, self.0, self.1)
    }
}

/// Appends `x` with `decimals` digits after the point, exactly as
/// `format!("{x:.decimals$}")` does: directly for non-negative values below
/// 10^9 after scaling that are not within 10^-6 of a rounding tie, through
/// `format!` otherwise.
pub fn push_fixed(out: &mut impl fmt::Write, x: f64, decimals: usize) -> fmt::Result {
    const POW: [u64; 4] = [1, 10, 100, 1000];
    if decimals < POW.len() && x.is_finite() && x.is_sign_positive() {
        let p = POW[decimals];
        let m = x * p as f64;
        if m < 1e9 {
            let fl = m.floor();
            let frac = m - fl;
            // |exact − m| ≤ 2^-53·m < 1.2e-7 here, so away from a tie both
            // round the same way.
            if (frac - 0.5).abs() > 1e-6 {
                let n = fl as u64 + u64::from(frac > 0.5);
                let mut digits = [0u8; 24];
                let mut i = digits.len();
                let mut frac_part = n % p;
                for _ in 0..decimals {
                    i -= 1;
                    digits[i] = b'0' + (frac_part % 10) as u8;
                    frac_part /= 10;
                }
                if decimals > 0 {
                    i -= 1;
                    digits[i] = b'.';
                }
                let mut int = n / p;
                loop {
                    i -= 1;
                    digits[i] = b'0' + (int % 10) as u8;
                    int /= 10;
                    if int == 0 {
                        break;
                    }
                }
                return out.write_str(std::str::from_utf8(&digits[i..]).unwrap_or(""));
            }
        }
    }
    write!(out, "{x:.decimals$}")
}

/// A KEV entry of an exposure.
#[derive(Debug, Clone, PartialEq)]
pub struct KevEntry {
    pub added: i64,
    pub due: Option<i64>,
    pub ransomware: bool,
}

/// The KEV factor, without the exposure's own entry.
#[derive(Debug, Clone, PartialEq)]
pub enum KevNote {
    /// No KEV snapshot loaded.
    Unknown,
    /// Not in the catalogue (`source`: `CISA KEV <version>`).
    No { source: Text },
    /// In the catalogue: the entry is [`Own::kev`].
    Yes {
        source: Text,
        /// The catalogue's date.
        as_of: i64,
    },
}

/// The EPSS factor, without the exposure's own score.
#[derive(Debug, Clone, PartialEq)]
pub enum EpssNote {
    /// No EPSS snapshot loaded.
    Unknown,
    /// Loaded, but no score for the weakness (`source`: `FIRST EPSS <model>`).
    NoScore { source: Text },
    /// Scored: the score is [`CompactFactors::epss`].
    Score {
        source: Text,
        /// The score date.
        as_of: i64,
    },
}

/// The CVSS factor, without the exposure's own base score.
#[derive(Debug, Clone, PartialEq)]
pub struct CvssNote {
    pub vector: Option<Text>,
    pub source: Text,
}

/// What the factors of many exposures have in common: their service, the
/// feeds, the CVSS vector and source, the zone, the controls, SSVC. Shared
/// between exposures ([`Arc`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedFactors {
    /// The service's description (`Claims (crown jewel, criticality 5)`);
    /// `None` when no service in scope selects the asset.
    pub service: Option<Text>,
    pub kev: KevNote,
    pub epss: EpssNote,
    pub cvss: Option<CvssNote>,
    /// `yes (zone dmz)`, `no (zone app)` or `no (asset in no declared zone)`.
    pub internet_facing: Text,
    /// The controls that mitigate it, joined (`edge-waf (waf), …`).
    pub mitigated: Option<Text>,
    /// The SSVC line, its source and the date of the feed it used.
    pub ssvc: Text,
    pub ssvc_source: &'static str,
    pub ssvc_as_of: Option<i64>,
}

/// The EPSS score of an exposure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpssScore {
    pub score: f64,
    pub percentile: f64,
    /// At or above the policy's threshold.
    pub above: bool,
}

/// What few exposures have: a KEV entry, a validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Own {
    pub kev: Option<KevEntry>,
    /// The validation's description and date.
    pub validation: Option<(Text, i64)>,
}

/// Everything the nine factors of a decision say, compactly: the parts shared
/// with other exposures, and the exposure's own numbers and attack path.
/// [`CompactFactors::each`] gives each factor's name, value, source and date
/// in order.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactFactors {
    pub shared: Arc<SharedFactors>,
    /// When [`SharedFactors::epss`] is `Score`.
    pub epss: Option<EpssScore>,
    /// When [`SharedFactors::cvss`] is present.
    pub cvss_base: f64,
    /// The attack path, when reachable.
    pub reachable: Option<Text>,
    pub own: Option<Box<Own>>,
}

impl CompactFactors {
    /// Calls `f(name, value, source, as_of)` for each factor, in order.
    pub fn each<'a>(
        &'a self,
        mut f: impl FnMut(&'static str, Piece<'a>, Piece<'a>, Option<Piece<'a>>),
    ) {
        const SCOPE: Piece<'static> = Piece::Str("scope: ctem.toml");
        let sh = &*self.shared;
        let own = self.own.as_deref();
        match &sh.service {
            Some(s) => f("service", Piece::Text(s), SCOPE, None),
            None => f(
                "service",
                Piece::Str("none: no service in scope selects this asset"),
                SCOPE,
                None,
            ),
        }
        match (&sh.kev, own.and_then(|o| o.kev.as_ref())) {
            (KevNote::Yes { source, as_of }, Some(entry)) => f(
                "kev",
                Piece::Kev(entry),
                Piece::Text(source),
                Some(Piece::Date(*as_of)),
            ),
            (KevNote::Yes { source, .. } | KevNote::No { source }, _) => {
                f("kev", Piece::Str("no"), Piece::Text(source), None)
            }
            (KevNote::Unknown, _) => f(
                "kev",
                Piece::Str("unknown: no KEV feed loaded"),
                Piece::Str("CISA KEV"),
                None,
            ),
        }
        match (&sh.epss, &self.epss) {
            (EpssNote::Score { source, as_of }, Some(e)) => f(
                "epss",
                Piece::Epss {
                    score: e.score,
                    percentile: e.percentile,
                    above: e.above,
                },
                Piece::Text(source),
                Some(Piece::Date(*as_of)),
            ),
            (EpssNote::Score { source, .. } | EpssNote::NoScore { source }, _) => f(
                "epss",
                Piece::Str("no score for this weakness"),
                Piece::Text(source),
                None,
            ),
            (EpssNote::Unknown, _) => f(
                "epss",
                Piece::Str("unknown: no EPSS feed loaded"),
                Piece::Str("FIRST EPSS"),
                None,
            ),
        }
        match &sh.cvss {
            Some(c) => f(
                "cvss",
                Piece::Cvss {
                    base: self.cvss_base,
                    vector: c.vector.as_ref(),
                },
                Piece::Text(&c.source),
                None,
            ),
            None => f("cvss", Piece::Str("none"), Piece::Str("report"), None),
        }
        f(
            "reachable",
            match &self.reachable {
                Some(p) => Piece::Prefixed("yes: ", p),
                None => {
                    Piece::Str("no: no attack path from the internet or an assumed-breach zone")
                }
            },
            Piece::Str("attack graph: ctem.toml topology"),
            None,
        );
        f(
            "internet_facing",
            Piece::Text(&sh.internet_facing),
            Piece::Str("ctem.toml topology"),
            None,
        );
        match own.and_then(|o| o.validation.as_ref()) {
            Some((v, at)) => f(
                "validation",
                Piece::Text(v),
                Piece::Str("validation record"),
                Some(Piece::Date(*at)),
            ),
            None => f(
                "validation",
                Piece::Str("not validated"),
                Piece::Str("validation record"),
                None,
            ),
        }
        f(
            "mitigated",
            match &sh.mitigated {
                Some(m) => Piece::Prefixed("yes: ", m),
                None => Piece::Str("no declared control mitigates it"),
            },
            Piece::Str("ctem.toml controls"),
            None,
        );
        f(
            "ssvc",
            Piece::Text(&sh.ssvc),
            Piece::Str(sh.ssvc_source),
            sh.ssvc_as_of.map(Piece::Date),
        );
    }
}

/// The path through the policy: the rules tried, in order, ending with the
/// one that matched (or the default tier), then the SLA rule that applies.
/// The rule lines are shared by every exposure with the same outcome
/// ([`Arc`]), the SLA line by those with the same rule and start date. Reads
/// like a list of lines and is stored as a JSON list of strings.
#[derive(Clone, Default)]
pub struct PolicyPath {
    rules: Arc<[Text]>,
    sla: Option<Text>,
}

/// The lines of a [`PolicyPath`], in order.
pub type PathLines<'a> = std::iter::Chain<std::slice::Iter<'a, Text>, std::option::Iter<'a, Text>>;

impl PolicyPath {
    /// The rule lines, shared.
    pub fn new(rules: impl Into<Arc<[Text]>>) -> PolicyPath {
        PolicyPath {
            rules: rules.into(),
            sla: None,
        }
    }

    /// The same rule lines followed by the SLA rule's line.
    pub fn with_sla(&self, line: Text) -> PolicyPath {
        PolicyPath {
            rules: self.rules.clone(),
            sla: Some(line),
        }
    }

    /// The rule lines without the SLA line.
    pub fn rules(&self) -> &[Text] {
        &self.rules
    }

    pub fn iter(&self) -> PathLines<'_> {
        self.rules.iter().chain(self.sla.iter())
    }

    pub fn len(&self) -> usize {
        self.rules.len() + usize::from(self.sla.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn first(&self) -> Option<&Text> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&Text> {
        self.sla.as_ref().or(self.rules.last())
    }

    pub fn get(&self, i: usize) -> Option<&Text> {
        self.iter().nth(i)
    }
}

impl std::ops::Index<usize> for PolicyPath {
    type Output = Text;
    fn index(&self, i: usize) -> &Text {
        match self.get(i) {
            Some(t) => t,
            None => panic!("policy path line {i} of {}", self.len()),
        }
    }
}

impl<'a> IntoIterator for &'a PolicyPath {
    type Item = &'a Text;
    type IntoIter = PathLines<'a>;
    fn into_iter(self) -> PathLines<'a> {
        self.iter()
    }
}

impl From<Vec<Text>> for PolicyPath {
    fn from(v: Vec<Text>) -> PolicyPath {
        PolicyPath::new(v)
    }
}

impl From<Vec<String>> for PolicyPath {
    fn from(v: Vec<String>) -> PolicyPath {
        PolicyPath::new(v.into_iter().map(Text::from).collect::<Vec<_>>())
    }
}

impl PartialEq for PolicyPath {
    fn eq(&self, other: &PolicyPath) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for PolicyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for PolicyPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PolicyPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PolicyPath, D::Error> {
        Vec::<Text>::deserialize(d).map(PolicyPath::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CompactFactors {
        CompactFactors {
            shared: Arc::new(SharedFactors {
                service: Some(Text::from("Claims (crown jewel, criticality 5)")),
                kev: KevNote::Yes {
                    source: Text::from("CISA KEV 2026.11.26"),
                    as_of: 1_795_651_200,
                },
                epss: EpssNote::Score {
                    source: Text::from("FIRST EPSS v2025.03.14"),
                    as_of: 1_769_731_200,
                },
                cvss: Some(CvssNote {
                    vector: Some(Text::from("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")),
                    source: Text::from("CVSS v3.1 vector from trivy"),
                }),
                internet_facing: Text::Static("yes (zone dmz)"),
                mitigated: Some(Text::from("edge-waf (waf)")),
                ssvc: Text::from("Act (…)"),
                ssvc_source: "SSVC",
                ssvc_as_of: Some(1_795_651_200),
            }),
            epss: Some(EpssScore {
                score: 0.94321,
                percentile: 0.99,
                above: true,
            }),
            cvss_base: 9.8,
            reachable: Some(Text::from("internet → dmz: fw-01 (CVE-2024-3400)")),
            own: Some(Box::new(Own {
                kev: Some(KevEntry {
                    added: 1_712_880_000,
                    due: Some(1_714_000_000),
                    ransomware: true,
                }),
                validation: None,
            })),
        }
    }

    #[test]
    fn streamed_json_is_the_json_of_the_rendered_factors() {
        let f = Factors::compact(sample());
        let streamed = serde_json::to_string(&f).expect("json");
        let rendered: Vec<Factor> = f.as_slice().to_vec();
        assert_eq!(streamed, serde_json::to_string(&rendered).expect("json"));
        // Once rendered, the rendered list is what is written.
        assert_eq!(serde_json::to_string(&f).expect("json"), streamed);
        let back: Factors = serde_json::from_str(&streamed).expect("read back");
        assert_eq!(back, f);
        assert_eq!(f.len(), 9);
        assert_eq!(
            f[1].value,
            "yes, added 2024-04-12, federal due date 2024-04-24, known ransomware use"
        );
        assert_eq!(
            f[2].value,
            "0.943 (percentile 0.990), at or above threshold"
        );
        assert_eq!(
            f[3].value,
            "9.8 (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)"
        );
        assert_eq!(f[4].value, "yes: internet → dmz: fw-01 (CVE-2024-3400)");
        assert_eq!(f[7].value, "yes: edge-waf (waf)");
        assert!(streamed.contains("\"as_of\":\"2026-01-30\""), "{streamed}");
    }

    #[test]
    fn a_policy_path_reads_and_stores_as_a_list_of_lines() {
        let rules = PolicyPath::from(vec!["rule 1 → no".to_string(), "rule 2 → matched".into()]);
        let p = rules.with_sla(Text::from("SLA \"x\": 7 days from 2026-01-01"));
        assert_eq!(p.len(), 3);
        assert_eq!(
            p.last().map(Text::as_str),
            Some("SLA \"x\": 7 days from 2026-01-01")
        );
        assert_eq!(p[1], "rule 2 → matched");
        assert_eq!(
            p.iter().rev().nth(1).map(Text::as_str),
            Some("rule 2 → matched")
        );
        let json = serde_json::to_string(&p).expect("json");
        assert_eq!(
            json,
            r#"["rule 1 → no","rule 2 → matched","SLA \"x\": 7 days from 2026-01-01"]"#
        );
        let back: PolicyPath = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, p);
        assert_eq!(rules.last().map(Text::as_str), Some("rule 2 → matched"));
        assert!(PolicyPath::default().is_empty());
    }

    #[test]
    fn fixed_and_date_match_format() {
        for x in [
            0.0,
            0.0005,
            0.1235,
            0.9995,
            9.95,
            0.97,
            1e12,
            -1.5,
            123.456_789,
        ] {
            for d in 0..=3 {
                assert_eq!(Fixed(x, d).to_string(), format!("{x:.d$}"));
            }
        }
        for t in [0, 1_712_880_000, -86_400, i64::MAX] {
            assert_eq!(Date(t).to_string(), crate::fmt_date(t));
        }
    }
}
