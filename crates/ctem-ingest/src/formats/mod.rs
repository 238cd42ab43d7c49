//! One module per report format; each exposes a `FORMAT` registry entry.

pub(crate) mod nessus;
pub(crate) mod sarif;
pub(crate) mod trivy;
// ingest-a: dependency-scanner and SBOM formats
pub(crate) mod cyclonedx;
pub(crate) mod grype;
pub(crate) mod npm_audit;
pub(crate) mod osv;
pub(crate) mod snyk;

// ingest-b: DAST, network, code and CSV formats.
pub(crate) mod burp;
pub(crate) mod nessus_csv;
pub(crate) mod nmap;
pub(crate) mod nuclei;
pub(crate) mod openvas;
pub(crate) mod qualys;
pub(crate) mod semgrep;
pub(crate) mod zap;

// ingest-c: cloud, IaC, secrets and generic formats.
pub(crate) mod asff;
pub(crate) mod checkov;
pub(crate) mod generic;
pub(crate) mod gitleaks;
pub(crate) mod kics;
pub(crate) mod prowler;
pub(crate) mod records;
pub(crate) mod trufflehog;

// issue 3: remaining SBOM and dependency formats.
pub(crate) mod dependency_check;
pub(crate) mod spdx;

/// Implements the `Visitor` methods for every non-object JSON value as "skip
/// it and return the default": a wrong-typed element is ignored, not fatal.
macro_rules! ignore_non_map {
    ($value:ty) => {
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<$value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<$value, E> {
            Ok(Default::default())
        }
    };
}
pub(crate) use ignore_non_map;
