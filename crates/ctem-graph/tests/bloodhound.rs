//! SharpHound v6 collection files from BloodHound CE's own test fixtures
//! (`$CTEM_FIXTURES/bloodhound/`): the ESC1.LOCAL lab domain.

use ctem_graph::EdgeKind;
use ctem_graph::bloodhound;
use ctem_graph::identity::{Directory, ObjectKind};
use std::path::PathBuf;

fn dir() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("CTEM_FIXTURES") else {
        println!("skipped: CTEM_FIXTURES not set");
        return None;
    };
    let d = PathBuf::from(root).join("bloodhound/specterops_bloodhound_fixtures_v6_all");
    assert!(
        d.is_dir(),
        "CTEM_FIXTURES/bloodhound missing: {}",
        d.display()
    );
    Some(d)
}

fn load(d: &std::path::Path, name: &str) -> Directory {
    let bytes = std::fs::read(d.join(name)).expect("read fixture");
    assert!(bloodhound::sniff(&bytes), "{name} is recognised");
    bloodhound::parse(&bytes, name).expect("valid collection")
}

const DOMAIN: &str = "S-1-5-21-909015691-3030120388-2582151266";

fn has(d: &Directory, from: &str, to: &str, right: &str) -> bool {
    d.relations
        .iter()
        .any(|r| r.from == from && r.to == to && r.right == right)
}

#[test]
fn computers_and_domains() {
    let Some(d) = dir() else { return };
    let mut all = load(&d, "computers.json");
    let computers: Vec<&str> = all
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Computer)
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(computers, ["ESC1-DC.ESC1.LOCAL", "ESC1-SERVER.ESC1.LOCAL"]);
    let dc = format!("{DOMAIN}-1000");
    let admin = format!("{DOMAIN}-500");
    // The built-in Administrator has a privileged session on the DC: whoever
    // holds the DC can take its credentials.
    assert!(has(&all, &dc, &admin, "HasSession"));
    // Local Administrators of the DC: Administrator, Domain Admins,
    // Enterprise Admins.
    assert!(has(&all, &admin, &dc, "AdminTo"));
    assert!(has(&all, &format!("{DOMAIN}-512"), &dc, "AdminTo"));
    assert!(has(&all, &format!("{DOMAIN}-519"), &dc, "AdminTo"));
    // ACEs: Domain Admins own the DC; Key Admins can add key credentials.
    assert!(has(&all, &format!("{DOMAIN}-512"), &dc, "Owns"));
    assert!(has(
        &all,
        &format!("{DOMAIN}-526"),
        &dc,
        "AddKeyCredentialLink"
    ));
    let da = all
        .objects
        .iter()
        .find(|o| o.id == format!("{DOMAIN}-512"))
        .expect("Domain Admins placeholder");
    assert_eq!(da.name, "Domain Admins");
    assert!(da.crown_jewel, "Tier Zero");
    assert!(all.relations.iter().all(|r| r.kind != EdgeKind::Supports));

    let domains = load(&d, "domains.json");
    assert!(has(
        &domains,
        &format!("{DOMAIN}-519"),
        DOMAIN,
        "GenericAll"
    ));
    assert!(has(
        &domains,
        "ESC1.LOCAL-S-1-5-32-544",
        DOMAIN,
        "GetChangesAll"
    ));
    // The domain's GPO makes nobody local admin: no AdminTo from GPOChanges.
    assert!(!domains.relations.iter().any(|r| r.right == "AdminTo"));
    all.merge(domains);
    let domain = all.objects.iter().find(|o| o.id == DOMAIN).expect("domain");
    assert_eq!(
        domain.name, "ESC1.LOCAL",
        "the placeholder yields to the record"
    );
    assert!(domain.crown_jewel);
}
