//! CVSS scoring: the spellings scanners use, the score groups of each
//! version, and errors.

use ctem_intel::{AttackVector, CvssVersion, IntelError, score};
use ctem_model::Severity;

fn ok(v: &str) -> ctem_intel::CvssScore {
    score(v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

#[test]
fn v2_spellings_score_the_same() {
    let plain = ok("AV:N/AC:L/Au:N/C:P/I:P/A:P");
    assert_eq!(plain.version, CvssVersion::V2);
    assert_eq!(plain.base, 7.5);
    assert_eq!(plain.temporal, None);
    assert_eq!(plain.environmental, None);
    assert_eq!(plain.severity, Severity::High);
    assert_eq!(plain.attack_vector, AttackVector::Network);
    assert_eq!(plain.vector, "AV:N/AC:L/Au:N/C:P/I:P/A:P");
    for spelling in [
        "(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
        " ( AV:N/AC:L/Au:N/C:P/I:P/A:P ) ",
        "CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/",
    ] {
        assert_eq!(ok(spelling), plain, "{spelling}");
    }
}

#[test]
fn v2_groups_and_ratings() {
    let t = ok("AV:N/AC:L/Au:S/C:C/I:C/A:C/E:U/RL:U/RC:C");
    assert_eq!(
        (t.base, t.temporal, t.environmental),
        (9.0, Some(7.7), None)
    );
    // v2 has no Critical: NVD rates 10.0 High.
    assert_eq!(ok("AV:N/AC:L/Au:N/C:C/I:C/A:C").severity, Severity::High);
    assert_eq!(
        ok("AV:A/AC:M/Au:S/C:N/I:N/A:P").attack_vector,
        AttackVector::Adjacent
    );
    let zero = ok("AV:L/AC:H/Au:M/C:N/I:N/A:N");
    assert_eq!(zero.base, 0.0);
    assert!(zero.base.is_sign_positive());
    assert_eq!(zero.severity, Severity::Info);
    assert_eq!(ok("(AV:L/AC:H/Au:M/C:N/I:N/A:C)").severity, Severity::Low); // 3.7
    assert_eq!(ok("AV:N/AC:M/Au:N/C:P/I:N/A:N").base, 4.3);
    assert_eq!(ok("AV:N/AC:M/Au:N/C:P/I:N/A:N").severity, Severity::Medium);
}

#[test]
fn v3_scores() {
    let log4shell = ok("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H");
    assert_eq!(log4shell.version, CvssVersion::V3_1);
    assert_eq!(log4shell.base, 10.0);
    assert_eq!(log4shell.severity, Severity::Critical);
    assert_eq!(log4shell.attack_vector, AttackVector::Network);
    // Roundup(9.8 × 0.94 × 0.95 × 1) = Roundup(8.7514) = 8.8
    let t = ok("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C");
    assert_eq!((t.base, t.temporal), (9.8, Some(8.8)));
    assert_eq!(t.environmental, Some(8.8));
    assert_eq!(t.effective(), 8.8);
    let physical = ok("CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(physical.version, CvssVersion::V3_0);
    assert_eq!((physical.base, physical.severity), (6.8, Severity::Medium));
    assert_eq!(physical.attack_vector, AttackVector::Physical);
    let none = ok("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N");
    assert_eq!((none.base, none.severity), (0.0, Severity::Info));
    // Prefix and metrics in any case; metrics in any order.
    let loose = ok("cvss:3.1/s:c/av:n/ac:l/pr:n/ui:n/c:h/i:h/a:h");
    assert_eq!(loose.base, 10.0);
    assert_eq!(loose.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H");
}

#[test]
fn v4_groups() {
    let base = ok("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N");
    assert_eq!(base.version, CvssVersion::V4_0);
    assert_eq!(
        (base.base, base.temporal, base.environmental),
        (8.7, None, None)
    );
    assert_eq!(base.severity, Severity::High);
    // CVE-2025-47273 as published: threat metric set, every other metric X.
    // The cvss crate's own regression test expects 7.7 for the whole vector.
    let threat = ok(concat!(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N",
        "/E:P/CR:X/IR:X/AR:X",
        "/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X",
        "/S:X/AU:X/R:X/V:X/RE:X/U:X",
    ));
    assert_eq!(
        (threat.base, threat.temporal, threat.environmental),
        (8.7, Some(7.7), None)
    );
    assert_eq!(threat.severity, Severity::High);
    // An environmental metric lowers the full score; the base is untouched.
    let env = ok("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N/E:P/MAV:L");
    assert_eq!(env.base, 8.7);
    assert_eq!(env.temporal, Some(7.7));
    let e = env.environmental.expect("environmental score");
    assert!(e < 7.7, "{e}");
    assert_eq!(env.effective(), e);
    let physical = ok("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
    assert_eq!(physical.attack_vector, AttackVector::Physical);
}

#[test]
fn errors_name_the_vector_and_cause() {
    let msg = |v: &str| match score(v) {
        Ok(s) => panic!("{v} scored {}", s.base),
        Err(e @ IntelError::Cvss { .. }) => e.to_string(),
        Err(e) => panic!("{v}: wrong error kind {e:?}"),
    };
    assert_eq!(msg(""), "cvss vector \"\": empty vector");
    assert_eq!(msg("()"), "cvss vector \"()\": empty vector");
    assert_eq!(
        msg("CVSS:3.1/AV:N/AC:L"),
        "cvss vector \"CVSS:3.1/AV:N/AC:L\": missing mandatory metric PR"
    );
    for bad in [
        "garbage",
        "CVSS:5.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
        "CVSS:3.1/AV:Z/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
        "AV:N/AC:L/Au:N/C:P/I:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/A:P",
        "CVSS:4.0/AV:N/AC:L",
    ] {
        let m = msg(bad);
        assert!(m.starts_with(&format!("cvss vector {bad:?}: ")), "{m}");
        assert!(!m.ends_with('.'), "{m}");
    }
}

/// Damaged vectors (every single character dropped, or replaced by a few
/// troublemakers) give an error or a score, never a panic.
#[test]
fn damaged_vectors_never_panic() {
    let vectors = [
        "AV:N/AC:L/Au:S/C:C/I:C/A:C/E:U/RL:U/RC:C/CDP:LM/TD:M/CR:M/IR:L/AR:L",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N/E:H/RL:O/RC:C/CR:H/MAV:N/MS:C/MA:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N/E:P/MAV:L/S:P/AU:Y",
    ];
    for v in vectors {
        let chars: Vec<char> = v.chars().collect();
        for i in 0..chars.len() {
            let dropped: String = chars
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, c)| c)
                .collect();
            let _ = score(&dropped);
            for r in ['/', ':', 'X', 'é', ' ', '('] {
                let replaced: String = chars
                    .iter()
                    .enumerate()
                    .map(|(j, &c)| if j == i { r } else { c })
                    .collect();
                let _ = score(&replaced);
            }
        }
    }
}
