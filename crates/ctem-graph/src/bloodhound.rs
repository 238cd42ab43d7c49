//! SharpHound (BloodHound CE, collection `meta.version` 4–6) JSON files:
//! `computers`, `users`, `groups`, `domains`, `gpos`, `ous`, `containers`
//! and the AD CS object files, into a [`Directory`].
//!
//! What becomes an edge (the BloodHound edge name is kept as the label):
//!
//! | collection field | edge |
//! | --- | --- |
//! | computer `Sessions`, `PrivilegedSessions`, `RegistrySessions` | computer → user `HasSession` (credential) |
//! | computer `LocalGroups` Administrators (`-544`), Remote Desktop Users (`-555`), Distributed COM Users (`-562`), Remote Management Users (`-580`) | member → computer `AdminTo`, `CanRDP`, `ExecuteDCOM`, `CanPSRemote` (privilege) |
//! | `AllowedToDelegate` | principal → target `AllowedToDelegate` (trust) |
//! | computer `AllowedToAct` | principal → computer `AllowedToAct` (privilege) |
//! | `DumpSMSAPassword` | computer → service account `DumpSMSAPassword` (credential) |
//! | `PrimaryGroupSID`, group `Members` | member → group `MemberOf` (membership) |
//! | `Aces` with an abusable right | principal → object, the right (privilege) |
//! | domain `Trusts` | trusted domain → trusting domain `TrustedBy` (trust) |
//! | domain/OU `GPOChanges` `LocalAdmins` etc. | principal → affected computer (privilege) |
//!
//! High-value objects (`highvalue`, and the Tier Zero well-known groups:
//! Domain Admins, Enterprise Admins, Administrators, Domain Controllers, the
//! domain itself) are crown jewels. Principals referenced but not in the
//! collection are kept under their SID, named when the SID is well known.

use crate::graph::EdgeKind;
use crate::identity::{Directory, Object, ObjectKind, Relation, SourceError};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct RawCollection {
    data: Vec<Value>,
    meta: RawMeta,
}

#[derive(Deserialize)]
struct RawMeta {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    version: Option<i64>,
}

/// ACE rights that give control; others (read rights) are ignored.
const ABUSABLE: &[&str] = &[
    "GenericAll",
    "GenericWrite",
    "WriteDacl",
    "WriteOwner",
    "Owns",
    "AllExtendedRights",
    "ForceChangePassword",
    "AddMember",
    "AddSelf",
    "AddKeyCredentialLink",
    "AddAllowedToAct",
    "WriteAccountRestrictions",
    "WriteSPN",
    "ReadLAPSPassword",
    "ReadGMSAPassword",
    "SyncLAPSPassword",
    "GetChangesAll",
    "DCSync",
    "WriteGPLink",
    "ManageCA",
    "ManageCertificates",
    "Enroll",
];

/// Whether a SharpHound file: a JSON object with `data` and a `meta` that
/// names a collection type.
pub fn sniff(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 16)]);
    let tail_start = bytes.len().saturating_sub(4096);
    let tail = String::from_utf8_lossy(&bytes[tail_start..]);
    head.trim_start().starts_with('{')
        && head.contains("\"data\"")
        && (head.contains("\"meta\"") || tail.contains("\"meta\""))
        && (head.contains("ObjectIdentifier") || tail.contains("\"methods\""))
}

fn well_known(sid: &str) -> Option<(&'static str, ObjectKind, bool)> {
    // Local (BUILTIN) SIDs are written `DOMAIN-S-1-5-32-544` by SharpHound.
    let rid = sid.rsplit('-').next().unwrap_or("");
    if sid.ends_with("S-1-5-32-544") {
        return Some(("Administrators", ObjectKind::Group, true));
    }
    if sid.ends_with("S-1-5-9") {
        return Some(("Enterprise Domain Controllers", ObjectKind::Group, true));
    }
    if sid.ends_with("S-1-5-11") {
        return Some(("Authenticated Users", ObjectKind::Group, false));
    }
    if sid.ends_with("S-1-1-0") {
        return Some(("Everyone", ObjectKind::Group, false));
    }
    if !sid.contains("S-1-5-21-") {
        return None;
    }
    Some(match rid {
        "500" => ("Administrator", ObjectKind::Human, true),
        "502" => ("krbtgt", ObjectKind::NonHuman, true),
        "512" => ("Domain Admins", ObjectKind::Group, true),
        "513" => ("Domain Users", ObjectKind::Group, false),
        "515" => ("Domain Computers", ObjectKind::Group, false),
        "516" => ("Domain Controllers", ObjectKind::Group, true),
        "518" => ("Schema Admins", ObjectKind::Group, true),
        "519" => ("Enterprise Admins", ObjectKind::Group, true),
        "526" => ("Key Admins", ObjectKind::Group, true),
        "527" => ("Enterprise Key Admins", ObjectKind::Group, true),
        "498" => (
            "Enterprise Read-only Domain Controllers",
            ObjectKind::Group,
            false,
        ),
        _ => return None,
    })
}

fn kind_of_type(t: &str) -> ObjectKind {
    match t.to_ascii_lowercase().as_str() {
        "user" => ObjectKind::Human,
        "computer" => ObjectKind::Computer,
        "group" => ObjectKind::Group,
        "domain" => ObjectKind::Domain,
        _ => ObjectKind::Other,
    }
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `Results` of a collected block, or the array itself (older versions).
fn results<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    match v.get(k) {
        Some(Value::Array(a)) => a,
        Some(o @ Value::Object(_)) => arr(o, "Results"),
        _ => &[],
    }
}

struct Collector {
    d: Directory,
}

impl Collector {
    fn rel(&mut self, from: &str, to: &str, kind: EdgeKind, right: &str, p: f32) {
        if from.is_empty() || to.is_empty() || from == to {
            return;
        }
        self.d.relations.push(Relation {
            from: from.to_string(),
            to: to.to_string(),
            kind,
            right: right.to_string(),
            p,
        });
    }

    fn object(&mut self, id: &str, name: String, kind: ObjectKind, crown_jewel: bool) {
        self.d.objects.push(Object {
            id: id.to_string(),
            name,
            kind,
            crown_jewel,
        });
    }

    fn aces(&mut self, rec: &Value, id: &str) {
        for ace in arr(rec, "Aces") {
            let (Some(principal), Some(right)) = (s(ace, "PrincipalSID"), s(ace, "RightName"))
            else {
                continue;
            };
            if ABUSABLE.contains(&right) {
                self.rel(principal, id, EdgeKind::Privilege, right, 0.9);
            }
        }
    }

    fn record(&mut self, kind: &str, rec: &Value) -> Result<(), String> {
        let id = s(rec, "ObjectIdentifier")
            .ok_or("the object has no `ObjectIdentifier`")?
            .to_string();
        let props = rec.get("Properties").cloned().unwrap_or(Value::Null);
        let name = s(&props, "name").unwrap_or(&id).to_string();
        let high = props
            .get("highvalue")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || props
                .get("isTierZero")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let okind = match kind {
            "computers" => ObjectKind::Computer,
            "users" => {
                let spns = !arr(&props, "serviceprincipalnames").is_empty();
                let gmsa = props.get("gmsa").and_then(Value::as_bool).unwrap_or(false);
                if spns || gmsa || name.to_ascii_lowercase().starts_with("svc") {
                    ObjectKind::NonHuman
                } else {
                    ObjectKind::Human
                }
            }
            "groups" => ObjectKind::Group,
            "domains" => ObjectKind::Domain,
            _ => ObjectKind::Other,
        };
        let wk = well_known(&id).is_some_and(|w| w.2);
        self.object(&id, name, okind, high || wk || okind == ObjectKind::Domain);
        self.aces(rec, &id);
        if let Some(pg) = s(rec, "PrimaryGroupSID") {
            self.rel(&id, pg, EdgeKind::Membership, "MemberOf", 1.0);
        }
        for m in arr(rec, "Members") {
            if let Some(mid) = s(m, "ObjectIdentifier") {
                self.rel(mid, &id, EdgeKind::Membership, "MemberOf", 1.0);
            }
        }
        for t in arr(rec, "AllowedToDelegate") {
            if let Some(tid) = s(t, "ObjectIdentifier") {
                self.rel(&id, tid, EdgeKind::Trust, "AllowedToDelegate", 0.8);
            }
        }
        for t in arr(rec, "AllowedToAct") {
            if let Some(pid) = s(t, "ObjectIdentifier") {
                self.rel(pid, &id, EdgeKind::Privilege, "AllowedToAct", 0.8);
            }
        }
        for t in arr(rec, "DumpSMSAPassword") {
            if let Some(tid) = s(t, "ObjectIdentifier") {
                self.rel(&id, tid, EdgeKind::Credential, "DumpSMSAPassword", 0.9);
            }
        }
        for key in ["Sessions", "PrivilegedSessions", "RegistrySessions"] {
            for sess in results(rec, key) {
                if let Some(user) = s(sess, "UserSID") {
                    let computer = s(sess, "ComputerSID").unwrap_or(&id).to_string();
                    // Stealing a logged-on user's credentials needs local
                    // admin on the host, which holding it is taken to give.
                    self.rel(&computer, user, EdgeKind::Credential, "HasSession", 0.8);
                }
            }
        }
        for lg in arr(rec, "LocalGroups") {
            let gid = s(lg, "ObjectIdentifier").unwrap_or("");
            let right = if gid.ends_with("-544") {
                "AdminTo"
            } else if gid.ends_with("-555") {
                "CanRDP"
            } else if gid.ends_with("-562") {
                "ExecuteDCOM"
            } else if gid.ends_with("-580") {
                "CanPSRemote"
            } else {
                continue;
            };
            for m in arr(lg, "Results") {
                if let Some(mid) = s(m, "ObjectIdentifier") {
                    let p = if right == "AdminTo" { 1.0 } else { 0.7 };
                    self.rel(mid, &id, EdgeKind::Privilege, right, p);
                }
            }
        }
        for t in arr(rec, "Trusts") {
            if let Some(other) = s(t, "TargetDomainSid") {
                // Direction: 1 inbound, 2 outbound, 3 bidirectional. An
                // outbound trust means this domain trusts the other: the
                // other's principals reach in.
                let dir = t
                    .get("TrustDirection")
                    .and_then(|v| v.as_i64().or_else(|| v.as_str().map(dir_name)))
                    .unwrap_or(0);
                if dir == 2 || dir == 3 {
                    self.rel(other, &id, EdgeKind::Trust, "TrustedBy", 0.7);
                }
                if dir == 1 || dir == 3 {
                    self.rel(&id, other, EdgeKind::Trust, "TrustedBy", 0.7);
                }
            }
        }
        if let Some(gc) = rec.get("GPOChanges") {
            let affected: Vec<&str> = arr(gc, "AffectedComputers")
                .iter()
                .filter_map(|c| s(c, "ObjectIdentifier"))
                .collect();
            for (key, right) in [
                ("LocalAdmins", "AdminTo"),
                ("RemoteDesktopUsers", "CanRDP"),
                ("DcomUsers", "ExecuteDCOM"),
                ("PSRemoteUsers", "CanPSRemote"),
            ] {
                for p in arr(gc, key) {
                    if let Some(pid) = s(p, "ObjectIdentifier") {
                        for c in &affected {
                            self.rel(pid, c, EdgeKind::Privilege, right, 1.0);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds placeholder objects for principals referenced but not collected.
    fn complete(&mut self, types: &std::collections::HashMap<String, ObjectKind>) {
        let known: std::collections::HashSet<String> =
            self.d.objects.iter().map(|o| o.id.clone()).collect();
        let mut missing: Vec<String> = self
            .d
            .relations
            .iter()
            .flat_map(|r| [r.from.clone(), r.to.clone()])
            .filter(|id| !known.contains(id))
            .collect();
        missing.sort();
        missing.dedup();
        for id in missing {
            let (name, kind, cj) = match well_known(&id) {
                Some((n, k, cj)) => {
                    let domain = id.split("-S-1-").next().filter(|d| *d != id);
                    let n = match domain {
                        Some(d) => format!("{n}@{d}"),
                        None => n.to_string(),
                    };
                    (n, k, cj)
                }
                None => (
                    id.clone(),
                    types.get(&id).copied().unwrap_or(ObjectKind::Other),
                    false,
                ),
            };
            self.object(&id, name, kind, cj);
        }
    }
}

fn dir_name(s: &str) -> i64 {
    match s.to_ascii_lowercase().as_str() {
        "inbound" => 1,
        "outbound" => 2,
        "bidirectional" => 3,
        _ => 0,
    }
}

/// Parses one SharpHound JSON file.
pub fn parse(bytes: &[u8], file: &str) -> Result<Directory, SourceError> {
    let raw: RawCollection = serde_json::from_slice(bytes).map_err(|e| {
        let cause = e.to_string();
        let cause = cause
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_string();
        SourceError::new(
            file,
            format!("line {}, column {}: ", e.line(), e.column()),
            cause,
        )
    })?;
    if let Some(v) = raw.meta.version
        && !(3..=7).contains(&v)
    {
        return Err(SourceError::new(
            file,
            String::new(),
            format!("SharpHound collection version {v} is not supported (3 to 7 are)"),
        ));
    }
    let kind = raw.meta.kind.to_ascii_lowercase();
    let mut c = Collector {
        d: Directory::default(),
    };
    // Object types named by references, for placeholders.
    let mut types = std::collections::HashMap::new();
    for (i, rec) in raw.data.iter().enumerate() {
        c.record(&kind, rec)
            .map_err(|cause| SourceError::new(file, format!("data[{i}]: "), cause))?;
        for key in ["Aces"] {
            for a in arr(rec, key) {
                if let (Some(p), Some(t)) = (s(a, "PrincipalSID"), s(a, "PrincipalType")) {
                    types.insert(p.to_string(), kind_of_type(t));
                }
            }
        }
    }
    c.complete(&types);
    Ok(c.d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_and_foreign_input_is_named() {
        let e = parse(b"{\"data\": [", "c.json").expect_err("truncated");
        assert!(e.to_string().starts_with("c.json: line 1, column"), "{e}");
        let e = parse(
            b"{\"data\": [{}], \"meta\": {\"type\": \"users\", \"version\": 6}}",
            "u.json",
        )
        .expect_err("no id");
        assert_eq!(
            e.to_string(),
            "u.json: data[0]: the object has no `ObjectIdentifier`"
        );
        let e = parse(
            b"{\"data\": [], \"meta\": {\"type\": \"users\", \"version\": 99}}",
            "u.json",
        )
        .expect_err("version");
        assert!(e.to_string().contains("version 99"));
        assert!(!sniff(b"{\"format\": \"ctem-validation/1\"}"));
    }

    #[test]
    fn groups_users_and_sessions() {
        let users = br#"{"data": [{"ObjectIdentifier": "S-1-5-21-1-2-3-1104",
            "Properties": {"name": "ALICE@CORP.LOCAL", "highvalue": false},
            "PrimaryGroupSID": "S-1-5-21-1-2-3-513", "Aces": [
              {"PrincipalSID": "S-1-5-21-1-2-3-1105", "PrincipalType": "User", "RightName": "ForceChangePassword", "IsInherited": false},
              {"PrincipalSID": "S-1-5-21-1-2-3-1105", "PrincipalType": "User", "RightName": "ReadProperty", "IsInherited": false}]}],
            "meta": {"type": "users", "count": 1, "version": 5, "methods": 0}}"#;
        assert!(sniff(users));
        let d = parse(users, "users.json").expect("valid");
        let rights: Vec<&str> = d.relations.iter().map(|r| r.right.as_str()).collect();
        assert_eq!(rights, ["ForceChangePassword", "MemberOf"]);
        let du = d
            .objects
            .iter()
            .find(|o| o.id.ends_with("-513"))
            .expect("placeholder");
        assert_eq!(du.name, "Domain Users");
        assert!(!du.crown_jewel);
        let bob = d
            .objects
            .iter()
            .find(|o| o.id.ends_with("-1105"))
            .expect("placeholder");
        assert_eq!(bob.kind, ObjectKind::Human);
    }
}
