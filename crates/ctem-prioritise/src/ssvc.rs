//! SSVC (CERT/CC Stakeholder-Specific Vulnerability Categorization): the
//! CISA Coordinator decision (Track, Track*, Attend, Act) and the Deployer
//! Patch Application Priority (Defer, Scheduled, Out-of-Cycle, Immediate).
//!
//! The two decision tables are transcribed from CERT/CC's SSVC data
//! (`data/json/decision_tables/cisa/cisa_coordinator_2_0_3.json` and
//! `data/json/decision_tables/ssvc/deployer_patch_application_priority_1_0_0.json`)
//! as one outcome per input combination, in the tables' own row order; the
//! conformance test (`tests/ssvc_conformance.rs`) checks every row of both
//! tables, in their JSON and CSV forms, against [`cisa`] and [`deployer`].
//!
//! How ctem derives the decision points from what it knows about an
//! exposure is [`derive`]'s job and is documented in `docs/scope.md`
//! ("SSVC"). Every input carries the reason it was chosen, so the
//! explanation shows how the outcome came about.
//!
//! **Architecture invariant:** pure; no I/O.

use crate::Facts;
use ctem_scope::Thresholds;
use serde::Serialize;
use std::fmt;

/// Exploitation (`ssvc:E:1.1.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exploitation {
    None,
    PublicPoc,
    Active,
}

/// Technical Impact (`ssvc:TI:1.0.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TechnicalImpact {
    Partial,
    Total,
}

/// Mission and Well-Being Impact (`ssvc:MWI:1.0.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissionImpact {
    Low,
    Medium,
    High,
}

/// System Exposure (`ssvc:EXP:1.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemExposure {
    Small,
    Controlled,
    Open,
}

/// Human Impact (`ssvc:HI:2.0.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HumanImpact {
    Low,
    Medium,
    High,
    VeryHigh,
}

/// The CISA Levels outcome (`cisa:CISA:1.1.0`), in increasing urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CisaOutcome {
    Track,
    TrackStar,
    Attend,
    Act,
}

/// The Deployer outcome (`ssvc:DSOI:1.0.0`), in increasing urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployerOutcome {
    Defer,
    Scheduled,
    OutOfCycle,
    Immediate,
}

macro_rules! names {
    ($t:ty { $($v:ident => $name:literal, $key:literal;)* }) => {
        impl $t {
            /// Every value, in the order of the SSVC decision point.
            pub const ALL: &'static [$t] = &[$(<$t>::$v),*];
            /// The value's name as SSVC's CSV tables write it (lowercase).
            pub fn name(self) -> &'static str {
                match self { $(<$t>::$v => $name),* }
            }
            /// The value's key as SSVC's JSON tables write it.
            pub fn key(self) -> &'static str {
                match self { $(<$t>::$v => $key),* }
            }
            /// Parses a CSV name or a JSON key (case-insensitive names).
            pub fn parse(s: &str) -> Option<$t> {
                let t = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.key() == t || v.name().eq_ignore_ascii_case(t))
            }
            /// The value's position in the decision point (0-based).
            pub fn index(self) -> usize {
                self as usize
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

names!(Exploitation { None => "none", "N"; PublicPoc => "public poc", "P"; Active => "active", "A"; });
names!(TechnicalImpact { Partial => "partial", "P"; Total => "total", "T"; });
names!(MissionImpact { Low => "low", "L"; Medium => "medium", "M"; High => "high", "H"; });
names!(SystemExposure { Small => "small", "S"; Controlled => "controlled", "C"; Open => "open", "O"; });
names!(HumanImpact { Low => "low", "L"; Medium => "medium", "M"; High => "high", "H"; VeryHigh => "very high", "VH"; });
names!(CisaOutcome { Track => "track", "T"; TrackStar => "track*", "T*"; Attend => "attend", "AT"; Act => "act", "AC"; });
names!(DeployerOutcome { Defer => "defer", "D"; Scheduled => "scheduled", "S"; OutOfCycle => "out-of-cycle", "O"; Immediate => "immediate", "I"; });

impl CisaOutcome {
    /// The name as CISA writes it in prose (`Track*`, `Act`).
    pub fn title(self) -> &'static str {
        match self {
            CisaOutcome::Track => "Track",
            CisaOutcome::TrackStar => "Track*",
            CisaOutcome::Attend => "Attend",
            CisaOutcome::Act => "Act",
        }
    }
}

impl DeployerOutcome {
    /// The name as SSVC writes it in prose.
    pub fn title(self) -> &'static str {
        match self {
            DeployerOutcome::Defer => "Defer",
            DeployerOutcome::Scheduled => "Scheduled",
            DeployerOutcome::OutOfCycle => "Out-of-Cycle",
            DeployerOutcome::Immediate => "Immediate",
        }
    }
}

/// The table versions, for explanations and the policy digest.
pub const CISA_TABLE: &str = "CISA Coordinator 2.0.3";
pub const DEPLOYER_TABLE: &str = "SSVC Deployer Patch Application Priority 1.0.0";

use CisaOutcome::{Act as AC, Attend as AT, Track as T, TrackStar as TS};

/// CISA Coordinator 2.0.3, rows in table order: Exploitation (none, public
/// PoC, active) × Automatable (no, yes) × Technical Impact (partial, total)
/// × Mission and Well-Being (low, medium, high).
const CISA: [CisaOutcome; 36] = [
    T, T, T, T, T, TS, // none, no
    T, T, AT, T, T, AT, // none, yes
    T, T, TS, T, TS, AT, // public poc, no
    T, T, AT, T, TS, AT, // public poc, yes
    T, T, AT, T, AT, AC, // active, no
    AT, AT, AC, AT, AC, AC, // active, yes
];

use DeployerOutcome::{Defer as D, Immediate as I, OutOfCycle as O, Scheduled as S};

/// Deployer Patch Application Priority 1.0.0, rows in table order:
/// Exploitation (none, public PoC, active) × System Exposure (small,
/// controlled, open) × Automatable (no, yes) × Human Impact (low, medium,
/// high, very high).
const DEPLOYER: [DeployerOutcome; 72] = [
    D, D, S, S, D, S, S, S, // none, small
    D, S, S, S, S, S, S, S, // none, controlled
    D, S, S, S, S, S, S, O, // none, open
    D, S, S, S, S, S, S, S, // public poc, small
    D, S, S, S, S, S, S, O, // public poc, controlled
    S, S, S, O, S, S, O, O, // public poc, open
    S, S, O, O, S, O, O, O, // active, small
    S, S, O, O, O, O, O, O, // active, controlled
    S, O, O, I, O, O, I, I, // active, open
];

/// The CISA Coordinator decision.
pub fn cisa(
    e: Exploitation,
    automatable: bool,
    ti: TechnicalImpact,
    mwi: MissionImpact,
) -> CisaOutcome {
    CISA[e.index() * 12 + usize::from(automatable) * 6 + ti.index() * 3 + mwi.index()]
}

/// The Deployer Patch Application Priority decision.
pub fn deployer(
    e: Exploitation,
    exposure: SystemExposure,
    automatable: bool,
    hi: HumanImpact,
) -> DeployerOutcome {
    DEPLOYER[e.index() * 24 + exposure.index() * 8 + usize::from(automatable) * 4 + hi.index()]
}

/// What a CVSS vector says that SSVC needs; filled by the caller from the
/// finding's own vector (`ctem_intel::cvss_traits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VectorTraits {
    /// Network attack vector, low complexity, no privileges, no user
    /// interaction (v4: and no attack requirements; v2: no authentication).
    pub automatable: bool,
    /// Confidentiality and integrity impact both high (v2: complete; v4:
    /// the vulnerable system's VC and VI).
    pub total_impact: bool,
    /// Exploit maturity the vector reports (v3 `E:P/F/H`, v4 `E:P/A`,
    /// v2 `E:POC/F/H`): `None` when it reports none or unproven.
    pub exploit: Option<Exploitation>,
}

/// The SSVC inputs and outcomes of one exposure, with why each input has
/// its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ssvc {
    pub exploitation: Exploitation,
    pub exploitation_why: &'static str,
    pub automatable: bool,
    pub automatable_why: &'static str,
    pub technical_impact: TechnicalImpact,
    pub technical_impact_why: &'static str,
    pub mission_impact: MissionImpact,
    pub system_exposure: SystemExposure,
    pub human_impact: HumanImpact,
    pub cisa: CisaOutcome,
    pub deployer: DeployerOutcome,
}

/// Derives the SSVC decision points from the facts and evaluates both
/// tables. The rules are documented in `docs/scope.md` ("SSVC").
pub fn derive(f: &Facts, th: &Thresholds) -> Ssvc {
    let traits = f.cvss.as_ref().and_then(|c| c.traits);
    let reported = traits.and_then(|t| t.exploit);
    let validated = f
        .validation
        .as_ref()
        .is_some_and(|v| v.state == ctem_model::ValidationState::Exploitable);
    let epss_poc = f.epss.as_ref().is_some_and(|e| e.score >= th.ssvc_poc_epss);
    let (exploitation, exploitation_why) = if f.kev.is_some() {
        (Exploitation::Active, "in CISA KEV")
    } else if reported == Some(Exploitation::Active) {
        (
            Exploitation::Active,
            "CVSS vector reports active exploitation",
        )
    } else if reported == Some(Exploitation::PublicPoc) {
        (Exploitation::PublicPoc, "CVSS vector reports exploit code")
    } else if validated {
        (
            Exploitation::PublicPoc,
            "validation demonstrated an exploit",
        )
    } else if epss_poc {
        (
            Exploitation::PublicPoc,
            "EPSS at or above thresholds.ssvc_poc_epss",
        )
    } else {
        (
            Exploitation::None,
            "no KEV entry, exploit report or EPSS signal",
        )
    };
    let (automatable, automatable_why) = match traits {
        Some(t) if t.automatable => (
            true,
            "CVSS: network, low complexity, no privileges, no user interaction",
        ),
        Some(_) => (
            false,
            "CVSS: needs local/adjacent access, privileges, user interaction or high complexity",
        ),
        None if f.weakness_kind == ctem_model::WeaknessKind::ExposedSecret => {
            (true, "an exposed secret can be used by scripts")
        }
        None => (false, "no CVSS vector: assumed not automatable"),
    };
    let (technical_impact, technical_impact_why) = match traits {
        Some(t) if t.total_impact => (
            TechnicalImpact::Total,
            "CVSS: high confidentiality and integrity impact",
        ),
        Some(_) => (
            TechnicalImpact::Partial,
            "CVSS: confidentiality or integrity impact below high",
        ),
        None if f.weakness_kind == ctem_model::WeaknessKind::ExposedSecret => (
            TechnicalImpact::Total,
            "an exposed secret grants its holder's access",
        ),
        None => (TechnicalImpact::Partial, "no CVSS vector: assumed partial"),
    };
    let (mission_impact, human_impact) = match &f.service {
        None => (MissionImpact::Low, HumanImpact::Low),
        Some(s) => {
            let mission = if s.crown_jewel || s.criticality >= 4 {
                MissionImpact::High
            } else if s.criticality == 3 || s.regulated_data {
                MissionImpact::Medium
            } else {
                MissionImpact::Low
            };
            let human = if s.crown_jewel && s.criticality >= 5 {
                HumanImpact::VeryHigh
            } else if s.crown_jewel || s.criticality >= 4 {
                HumanImpact::High
            } else if s.criticality == 3 || s.regulated_data {
                HumanImpact::Medium
            } else {
                HumanImpact::Low
            };
            (mission, human)
        }
    };
    let system_exposure = if f.internet_facing && f.mitigated_by.is_empty() {
        SystemExposure::Open
    } else if f.internet_facing || f.reachable.is_some() {
        SystemExposure::Controlled
    } else {
        SystemExposure::Small
    };
    Ssvc {
        exploitation,
        exploitation_why,
        automatable,
        automatable_why,
        technical_impact,
        technical_impact_why,
        mission_impact,
        system_exposure,
        human_impact,
        cisa: cisa(exploitation, automatable, technical_impact, mission_impact),
        deployer: deployer(exploitation, system_exposure, automatable, human_impact),
    }
}

impl Ssvc {
    /// One line for the explanation.
    pub fn describe(&self) -> String {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let parts: [&str; 21] = [
            self.cisa.title(),
            " (exploitation ",
            self.exploitation.name(),
            ": ",
            self.exploitation_why,
            "; automatable ",
            yn(self.automatable),
            ": ",
            self.automatable_why,
            "; technical impact ",
            self.technical_impact.name(),
            ": ",
            self.technical_impact_why,
            "; mission & well-being ",
            self.mission_impact.name(),
            "); deployer ",
            self.deployer.title(),
            " (system exposure ",
            self.system_exposure.name(),
            ", human impact ",
            self.human_impact.name(),
        ];
        let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 1);
        for p in parts {
            s.push_str(p);
        }
        s.push(')');
        s
    }
}

/// The source named in the SSVC factor.
pub const SOURCE: &str =
    "SSVC CISA Coordinator 2.0.3 / SSVC Deployer Patch Application Priority 1.0.0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_checks_against_the_published_tables() {
        use Exploitation as E;
        use TechnicalImpact as Ti;
        assert_eq!(cisa(E::None, false, Ti::Total, MissionImpact::High), TS);
        assert_eq!(cisa(E::Active, true, Ti::Total, MissionImpact::High), AC);
        assert_eq!(
            cisa(E::PublicPoc, true, Ti::Partial, MissionImpact::High),
            AT
        );
        assert_eq!(
            deployer(
                E::Active,
                SystemExposure::Open,
                false,
                HumanImpact::VeryHigh
            ),
            I
        );
        assert_eq!(
            deployer(E::None, SystemExposure::Open, true, HumanImpact::VeryHigh),
            O
        );
        assert_eq!(
            deployer(E::None, SystemExposure::Small, false, HumanImpact::Low),
            D
        );
    }

    fn facts() -> Facts {
        Facts {
            weakness_id: "CVE-2024-3400".into(),
            weakness_kind: ctem_model::WeaknessKind::Cve,
            severity: ctem_model::Severity::Critical,
            service: Some(crate::ServiceFact {
                id: "claims".into(),
                name: "Claims".into(),
                crown_jewel: true,
                criticality: 5,
                regulated_data: true,
            }),
            kev: None,
            kev_loaded: Some("2026.08.07".into()),
            epss: None,
            epss_loaded: None,
            cvss: Some(crate::CvssFact {
                base: 10.0,
                vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into()),
                source: "vector".into(),
                traits: Some(VectorTraits {
                    automatable: true,
                    total_impact: true,
                    exploit: None,
                }),
            }),
            reachable: Some("internet → dmz".into()),
            internet_facing: true,
            zone: Some("dmz".into()),
            validation: None,
            mitigated_by: vec![],
        }
    }

    #[test]
    fn derives_inputs_from_feeds_vector_and_scope() {
        let th = Thresholds::default();
        let mut f = facts();
        let s = derive(&f, &th);
        assert_eq!(s.exploitation, Exploitation::None);
        assert_eq!(s.cisa, CisaOutcome::Attend);
        assert_eq!(s.deployer, DeployerOutcome::OutOfCycle);
        f.epss = Some(crate::EpssFact {
            score: 0.2,
            percentile: 0.9,
            model: "v2025.03.14".into(),
            score_date: 0,
        });
        assert_eq!(derive(&f, &th).exploitation, Exploitation::PublicPoc);
        f.kev = Some(crate::KevFact {
            date_added: 1712880000,
            ransomware: false,
            due_date: None,
            catalog: "2026.08.07".into(),
            catalog_date: 0,
        });
        let s = derive(&f, &th);
        assert_eq!(
            (s.cisa, s.deployer),
            (CisaOutcome::Act, DeployerOutcome::Immediate)
        );
        assert!(
            s.describe()
                .starts_with("Act (exploitation active: in CISA KEV")
        );
        // A WAF in front turns the open system into a controlled one.
        f.mitigated_by = vec!["edge-waf (waf)".into()];
        assert_eq!(derive(&f, &th).system_exposure, SystemExposure::Controlled);
        // Out of scope: low mission and human impact.
        f.service = None;
        let s = derive(&f, &th);
        assert_eq!(
            (s.mission_impact, s.human_impact),
            (MissionImpact::Low, HumanImpact::Low)
        );
        assert_eq!(s.cisa, CisaOutcome::Attend);
    }

    #[test]
    fn names_and_keys_round_trip() {
        for o in CisaOutcome::ALL {
            assert_eq!(CisaOutcome::parse(o.key()), Some(*o));
            assert_eq!(CisaOutcome::parse(o.name()), Some(*o));
        }
        assert_eq!(HumanImpact::parse("very high"), Some(HumanImpact::VeryHigh));
        assert_eq!(
            Exploitation::parse("public poc"),
            Some(Exploitation::PublicPoc)
        );
    }
}
