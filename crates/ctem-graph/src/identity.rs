//! Identities and their relations — the common shape of a SharpHound
//! collection ([`crate::bloodhound`]) and of ctem's own identity file
//! (`ctem-identities/1`, TOML, documented in `docs/graph.md`).
//!
//! A [`Directory`] holds objects (people, non-human accounts, groups,
//! domains, computers) and edges between them by object id. Computers are
//! matched to assets by the engine; everything else becomes an identity
//! node of the exposure graph.

use crate::graph::EdgeKind;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a directory object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Human,
    NonHuman,
    Group,
    Domain,
    /// A host: matched to an asset by name.
    Computer,
    /// GPOs, OUs, containers, certificate templates and the like: they
    /// carry edges (an ACL on a GPO is a path) but are not accounts.
    Other,
}

/// A directory object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Stable id: a SID, an object GUID, or the identity file's `id`.
    pub id: String,
    pub name: String,
    pub kind: ObjectKind,
    /// Tier Zero / high value: holding it is a crown jewel.
    pub crown_jewel: bool,
}

/// A relation between two objects (by id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// The right or relation as the source names it (`AdminTo`,
    /// `HasSession`, `GenericAll`, `MemberOf`, …).
    pub right: String,
    /// Likelihood that an attacker can use it, in (0, 1].
    pub p: f32,
}

/// Objects and relations from one or more sources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    pub objects: Vec<Object>,
    pub relations: Vec<Relation>,
}

impl Directory {
    /// Adds another directory; an object seen twice keeps its first record
    /// but becomes a crown jewel when either says so.
    pub fn merge(&mut self, other: Directory) {
        let mut index: HashMap<String, usize> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i))
            .collect();
        for o in other.objects {
            match index.get(&o.id) {
                Some(&i) => {
                    let mine = &mut self.objects[i];
                    mine.crown_jewel |= o.crown_jewel;
                    // A placeholder (named by its id) yields to a real record.
                    if mine.name == mine.id && o.name != o.id {
                        mine.name = o.name;
                        mine.kind = o.kind;
                    }
                }
                None => {
                    index.insert(o.id.clone(), self.objects.len());
                    self.objects.push(o);
                }
            }
        }
        let mut seen: HashSet<(String, String, String)> = self
            .relations
            .iter()
            .map(|r| (r.from.clone(), r.to.clone(), r.right.clone()))
            .collect();
        for r in other.relations {
            if seen.insert((r.from.clone(), r.to.clone(), r.right.clone())) {
                self.relations.push(r);
            }
        }
    }
}

/// A malformed identity or collection file; names the file, the position
/// and the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {position}{cause}")]
pub struct SourceError {
    pub file: String,
    /// `line L, column C: ` or `record N: ` or empty.
    pub position: String,
    pub cause: String,
}

impl SourceError {
    pub(crate) fn new(file: &str, position: String, cause: impl Into<String>) -> SourceError {
        SourceError {
            file: file.to_string(),
            position,
            cause: cause.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: String,
    #[serde(default)]
    identities: Vec<RawIdentity>,
    #[serde(default)]
    credentials: Vec<RawCredential>,
    #[serde(default)]
    privileges: Vec<RawPrivilege>,
    #[serde(default)]
    memberships: Vec<RawMembership>,
    #[serde(default)]
    trusts: Vec<RawTrust>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    id: String,
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    crown_jewel: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    asset: String,
    identity: String,
    #[serde(default)]
    how: Option<String>,
    #[serde(default)]
    likelihood: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrivilege {
    identity: String,
    #[serde(default)]
    asset: Option<String>,
    #[serde(default)]
    over: Option<String>,
    right: String,
    #[serde(default)]
    likelihood: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMembership {
    member: String,
    group: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrust {
    #[serde(default)]
    from_asset: Option<String>,
    #[serde(default)]
    from_identity: Option<String>,
    #[serde(default)]
    to_asset: Option<String>,
    #[serde(default)]
    to_identity: Option<String>,
    kind: String,
}

/// Prefix of computer (asset) ids in a [`Directory`] built from the
/// identity file: assets are named by any identifier the store knows.
pub const ASSET_PREFIX: &str = "asset:";

fn line_col(text: &str, offset: usize) -> String {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    format!("line {line}, column {col}: ")
}

/// Parses ctem's identity file (`format = "ctem-identities/1"`).
pub fn parse_identity_file(text: &str, file: &str) -> Result<Directory, SourceError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let pos = e
            .span()
            .map(|s| line_col(text, s.start))
            .unwrap_or_default();
        SourceError::new(file, pos, e.message().trim().to_string())
    })?;
    if raw.format != "ctem-identities/1" {
        return Err(SourceError::new(
            file,
            String::new(),
            format!(
                "format `{}` is not supported; expected `ctem-identities/1`",
                raw.format
            ),
        ));
    }
    let mut d = Directory::default();
    let mut ids = HashSet::new();
    for (i, r) in raw.identities.iter().enumerate() {
        let pos = || format!("identities[{}]: ", i + 1);
        let kind = match r.kind.as_str() {
            "human" => ObjectKind::Human,
            "non_human" | "service_account" | "workload" => ObjectKind::NonHuman,
            "group" | "role" => ObjectKind::Group,
            "domain" | "tenant" => ObjectKind::Domain,
            other => {
                return Err(SourceError::new(
                    file,
                    pos(),
                    format!("kind `{other}` is not one of human, non_human, group, domain"),
                ));
            }
        };
        if r.id.trim().is_empty() {
            return Err(SourceError::new(file, pos(), "`id` must not be empty"));
        }
        if !ids.insert(r.id.clone()) {
            return Err(SourceError::new(
                file,
                pos(),
                format!("identity `{}` is declared twice", r.id),
            ));
        }
        d.objects.push(Object {
            id: r.id.clone(),
            name: r.name.clone().unwrap_or_else(|| r.id.clone()),
            kind,
            crown_jewel: r.crown_jewel,
        });
    }
    let known = |id: &str, what: String| -> Result<(), SourceError> {
        if ids.contains(id) {
            Ok(())
        } else {
            Err(SourceError::new(
                file,
                what,
                format!("identity `{id}` is not declared in [[identities]]"),
            ))
        }
    };
    let mut assets: HashSet<String> = HashSet::new();
    let p = |x: Option<f32>| x.unwrap_or(0.9).clamp(0.001, 1.0);
    for (i, c) in raw.credentials.iter().enumerate() {
        known(&c.identity, format!("credentials[{}]: ", i + 1))?;
        let a = format!("{ASSET_PREFIX}{}", c.asset);
        assets.insert(c.asset.clone());
        d.relations.push(Relation {
            from: a,
            to: c.identity.clone(),
            kind: EdgeKind::Credential,
            right: c.how.clone().unwrap_or_else(|| "credentials".into()),
            p: p(c.likelihood),
        });
    }
    for (i, r) in raw.privileges.iter().enumerate() {
        let pos = || format!("privileges[{}]: ", i + 1);
        known(&r.identity, pos())?;
        let to = match (&r.asset, &r.over) {
            (Some(a), None) => {
                assets.insert(a.clone());
                format!("{ASSET_PREFIX}{a}")
            }
            (None, Some(o)) => {
                known(o, pos())?;
                o.clone()
            }
            _ => {
                return Err(SourceError::new(
                    file,
                    pos(),
                    "give exactly one of `asset` (identity → asset) or `over` (identity → identity)",
                ));
            }
        };
        d.relations.push(Relation {
            from: r.identity.clone(),
            to,
            kind: EdgeKind::Privilege,
            right: r.right.clone(),
            p: p(r.likelihood),
        });
    }
    for (i, m) in raw.memberships.iter().enumerate() {
        known(&m.member, format!("memberships[{}]: ", i + 1))?;
        known(&m.group, format!("memberships[{}]: ", i + 1))?;
        d.relations.push(Relation {
            from: m.member.clone(),
            to: m.group.clone(),
            kind: EdgeKind::Membership,
            right: "MemberOf".into(),
            p: 1.0,
        });
    }
    for (i, t) in raw.trusts.iter().enumerate() {
        let pos = || format!("trusts[{}]: ", i + 1);
        let mut end = |a: &Option<String>, id: &Option<String>| match (a, id) {
            (Some(a), None) => {
                assets.insert(a.clone());
                Ok(format!("{ASSET_PREFIX}{a}"))
            }
            (None, Some(id)) => known(id, pos()).map(|_| id.clone()),
            _ => Err(SourceError::new(
                file,
                pos(),
                "each side of a trust is exactly one of an asset or an identity",
            )),
        };
        let from = end(&t.from_asset, &t.from_identity)?;
        let to = end(&t.to_asset, &t.to_identity)?;
        d.relations.push(Relation {
            from,
            to,
            kind: EdgeKind::Trust,
            right: t.kind.clone(),
            p: 0.9,
        });
    }
    let mut assets: Vec<String> = assets.into_iter().collect();
    assets.sort();
    for a in assets {
        d.objects.push(Object {
            id: format!("{ASSET_PREFIX}{a}"),
            name: a,
            kind: ObjectKind::Computer,
            crown_jewel: false,
        });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
format = "ctem-identities/1"

[[identities]]
id = "svc-claims"
kind = "non_human"
name = "claims service account"

[[identities]]
id = "dba"
kind = "group"
crown_jewel = true

[[credentials]]
asset = "claims-api-01.corp.example"
identity = "svc-claims"
how = "database password in the environment"

[[memberships]]
member = "svc-claims"
group = "dba"

[[privileges]]
identity = "dba"
asset = "claims-db-01"
right = "db_owner"

[[trusts]]
from_asset = "jump-01"
to_asset = "claims-db-01"
kind = "ssh key"
"#;

    #[test]
    fn identity_file() {
        let d = parse_identity_file(FILE, "ids.toml").expect("valid file");
        assert_eq!(d.relations.len(), 4);
        assert_eq!(d.relations[0].from, "asset:claims-api-01.corp.example");
        assert_eq!(d.relations[0].kind, EdgeKind::Credential);
        assert_eq!(d.relations[1].right, "db_owner");
        assert!(d.objects.iter().any(|o| o.id == "dba" && o.crown_jewel));
        let computers: Vec<&str> = d
            .objects
            .iter()
            .filter(|o| o.kind == ObjectKind::Computer)
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(
            computers,
            ["claims-api-01.corp.example", "claims-db-01", "jump-01"]
        );
    }

    #[test]
    fn identity_file_mistakes_are_named() {
        let e = parse_identity_file(
            &FILE.replace("group = \"dba\"", "group = \"dbas\""),
            "ids.toml",
        )
        .expect_err("unknown group");
        assert_eq!(
            e.to_string(),
            "ids.toml: memberships[1]: identity `dbas` is not declared in [[identities]]"
        );
        let e = parse_identity_file(
            &FILE.replace("kind = \"group\"", "kind = \"gang\""),
            "ids.toml",
        )
        .expect_err("bad kind");
        assert!(e.to_string().contains("identities[2]: kind `gang`"), "{e}");
        let e = parse_identity_file(
            "format = \"ctem-identities/1\"\n[[identities]\n",
            "ids.toml",
        )
        .expect_err("broken toml");
        assert!(e.to_string().starts_with("ids.toml: line 2, column"), "{e}");
        let e = parse_identity_file("format = \"x\"", "ids.toml").expect_err("wrong format");
        assert!(e.to_string().contains("ctem-identities/1"));
    }
}
