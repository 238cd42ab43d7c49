//! Topology files: network facts exported from firewalls and clouds
//! (`[topology] files = ["topology.toml"]` in `ctem.toml`), compiled into the
//! same zones and flows the attack graph uses. `docs/scope.md` documents the
//! format and the exact semantics of security groups and deny rules.
//!
//! - `[[firewall_rules]]`: `from` / `to` (a zone id, `internet`, a security
//!   group id or a CIDR), `ports`, `action` (`allow` or `deny`), `name`.
//! - `[[security_groups]]`: `id`, `account`, attached resources (`attached`
//!   selector and/or `resources` cloud ids), an optional `zone` they
//!   otherwise sit in, and `[[security_groups.ingress]]` rules (`source`,
//!   `ports`). Each group becomes a zone, checked before the declared ones.
//!
//! Mistakes are reported like `ctem.toml`'s: file, line, column and problem,
//! all of them at once.

use crate::selector::{SelectorSpec, parse_net};
use crate::{Checker, Flow, ScopeError, Topology, Zone};
use ipnet::IpNet;
use serde::Deserialize;
use std::collections::HashSet;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    firewall_rules: Vec<RawRule>,
    #[serde(default)]
    security_groups: Vec<RawGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    name: Option<String>,
    from: Spanned<String>,
    to: Spanned<String>,
    #[serde(default)]
    ports: Vec<u16>,
    action: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    zone: Option<Spanned<String>>,
    #[serde(default)]
    attached: Option<Spanned<SelectorSpec>>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    ingress: Vec<RawIngress>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIngress {
    source: Spanned<String>,
    #[serde(default)]
    ports: Vec<u16>,
    #[serde(default)]
    description: Option<String>,
}

/// A deny rule, applied after every allow of every file.
struct Deny {
    from: String,
    to: String,
    ports: Vec<u16>,
}

fn is_anywhere(net: &IpNet) -> bool {
    net.prefix_len() == 0
}

/// Resolves a rule end (zone id, security group id, `internet` or CIDR) to a
/// zone id, or reports the problem at its span.
fn resolve(
    cx: &mut Checker<'_>,
    end: &Spanned<String>,
    known: &HashSet<String>,
    zones: &[Zone],
    what: &str,
) -> Option<String> {
    let name = end.get_ref().trim();
    if known.contains(name) {
        return Some(name.to_string());
    }
    if name.contains('/') || name.parse::<std::net::IpAddr>().is_ok() {
        return match parse_net(name) {
            Ok(net) if is_anywhere(&net) => Some("internet".into()),
            Ok(net) => match zones.iter().find(|z| z.covers_net(&net)) {
                Some(z) => Some(z.id.clone()),
                None => {
                    cx.error(
                        end.span(),
                        format!(
                            "{what} `{name}` is in no declared zone: declare a zone whose `cidr` members include it (rules apply per zone)"
                        ),
                    );
                    None
                }
            },
            Err(e) => {
                cx.error(end.span(), e);
                None
            }
        };
    }
    cx.error(
        end.span(),
        format!(
            "{what} `{name}` is neither a declared zone, `internet`, a security group nor a CIDR"
        ),
    );
    None
}

impl Topology {
    /// Compiles topology files (`(name, text)`, in `[topology] files` order)
    /// into this topology's zones and flows. Every mistake of every file is
    /// returned, one [`ScopeError`] per file with mistakes; on error the
    /// topology is left unchanged.
    pub fn apply_files(&mut self, files: &[(String, String)]) -> Result<(), Vec<ScopeError>> {
        let mut errors = Vec::new();
        // Pass 1: parse every file and learn the security group ids, so a
        // rule may name a group of another file.
        let mut parsed = Vec::new();
        let mut known: HashSet<String> = self.zones.iter().map(|z| z.id.clone()).collect();
        known.insert("internet".into());
        let declared = known.clone();
        let mut group_ids: HashSet<String> = HashSet::new();
        for (name, text) in files {
            let mut cx = Checker {
                text,
                diagnostics: Vec::new(),
            };
            match toml::from_str::<RawFile>(text) {
                Ok(raw) => {
                    for g in &raw.security_groups {
                        let id = g.id.get_ref().trim().to_string();
                        if id.is_empty() {
                            cx.error(g.id.span(), "security group id is empty".into());
                        } else if declared.contains(&id) {
                            cx.error(
                                g.id.span(),
                                format!("security group `{id}` has the id of a zone of ctem.toml"),
                            );
                        } else if !group_ids.insert(id.clone()) {
                            cx.error(
                                g.id.span(),
                                format!("security group `{id}` is declared twice"),
                            );
                        }
                        known.insert(id);
                    }
                    parsed.push((name, text, cx.diagnostics, Some(raw)));
                }
                Err(e) => {
                    cx.error(e.span().unwrap_or(0..0), e.message().trim().to_string());
                    parsed.push((name, text, cx.diagnostics, None));
                }
            }
        }

        // Pass 2: compile.
        let mut group_zones: Vec<Zone> = Vec::new();
        let mut flows: Vec<Flow> = Vec::new();
        let mut denies: Vec<Deny> = Vec::new();
        let mut inside: Vec<(String, String)> = Vec::new(); // (group, zone)
        for (name, text, diagnostics, raw) in parsed {
            let mut cx = Checker { text, diagnostics };
            let Some(raw) = raw else {
                errors.push(cx.finish(name));
                continue;
            };
            for g in &raw.security_groups {
                let id = g.id.get_ref().trim().to_string();
                let members = match &g.attached {
                    Some(a) => cx.selector(
                        a.get_ref(),
                        a.span(),
                        &format!("security group `{id}` attached"),
                    ),
                    None => {
                        if g.resources.is_empty() {
                            cx.error(
                                g.id.span(),
                                format!("security group `{id}` is attached to nothing: give `attached` (a selector) or `resources` (cloud ids)"),
                            );
                        }
                        Default::default()
                    }
                };
                if let Some(z) = &g.zone {
                    if declared.contains(z.get_ref()) && z.get_ref() != "internet" {
                        inside.push((id.clone(), z.get_ref().clone()));
                    } else {
                        cx.error(
                            z.span(),
                            format!(
                                "security group `{id}` names zone `{}`, which is not declared in ctem.toml",
                                z.get_ref()
                            ),
                        );
                    }
                }
                let mut description = format!("security group {id}");
                if let Some(a) = &g.account {
                    description.push_str(&format!(" (account {a})"));
                }
                if let Some(d) = &g.description {
                    description.push_str(&format!(": {d}"));
                }
                group_zones.push(Zone {
                    id: id.clone(),
                    description: Some(description),
                    members,
                    cloud_ids: g.resources.iter().map(|r| r.trim().to_string()).collect(),
                });
            }
            for g in &raw.security_groups {
                let id = g.id.get_ref().trim().to_string();
                for r in &g.ingress {
                    if let Some(from) = resolve(&mut cx, &r.source, &known, &self.zones, "source") {
                        flows.push(Flow {
                            from,
                            to: id.clone(),
                            ports: r.ports.clone(),
                            except: Vec::new(),
                            description: Some(
                                r.description
                                    .clone()
                                    .unwrap_or_else(|| format!("{id} ingress")),
                            ),
                        });
                    }
                }
            }
            for r in &raw.firewall_rules {
                let from = resolve(&mut cx, &r.from, &known, &self.zones, "from");
                let to = resolve(&mut cx, &r.to, &known, &self.zones, "to");
                if to.as_deref() == Some("internet") {
                    cx.error(
                        r.to.span(),
                        "rules into `internet` are not modelled: reachability starts from the internet".into(),
                    );
                    continue;
                }
                let allow = match r.action.get_ref().as_str() {
                    "allow" => true,
                    "deny" => false,
                    other => {
                        cx.error(
                            r.action.span(),
                            format!("unknown action `{other}`; actions are `allow` and `deny`"),
                        );
                        continue;
                    }
                };
                let (Some(from), Some(to)) = (from, to) else {
                    continue;
                };
                if allow {
                    flows.push(Flow {
                        from,
                        to,
                        ports: r.ports.clone(),
                        except: Vec::new(),
                        description: r.name.clone(),
                    });
                } else {
                    denies.push(Deny {
                        from,
                        to,
                        ports: r.ports.clone(),
                    });
                }
            }
            if !cx.diagnostics.is_empty() {
                errors.push(cx.finish(name));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        // A group inside a zone keeps that zone's outbound flows and reaches
        // the zone's members on any port; inbound, only its ingress rules.
        let mut all: Vec<Flow> = self.flows.drain(..).chain(flows).collect();
        for (g, z) in &inside {
            let outbound: Vec<Flow> = all
                .iter()
                .filter(|f| &f.from == z)
                .map(|f| Flow {
                    from: g.clone(),
                    ..f.clone()
                })
                .collect();
            all.extend(outbound);
            all.push(Flow {
                from: g.clone(),
                to: z.clone(),
                ports: Vec::new(),
                except: Vec::new(),
                description: Some(format!("{g} inside {z}")),
            });
        }
        // Deny wins over allow, whatever the order: a deny between A and B
        // (each also covering the groups inside it) removes the flow or, with
        // ports, refuses those ports on it.
        let covers = |end: &str, name: &str| {
            end == name || inside.iter().any(|(g, z)| g == name && z == end)
        };
        for d in &denies {
            all.retain_mut(|f| {
                if !(covers(&d.from, &f.from) && covers(&d.to, &f.to)) {
                    return true;
                }
                if d.ports.is_empty() {
                    return false;
                }
                if f.ports.is_empty() {
                    for p in &d.ports {
                        if !f.except.contains(p) {
                            f.except.push(*p);
                        }
                    }
                    true
                } else {
                    f.ports.retain(|p| !d.ports.contains(p));
                    !f.ports.is_empty()
                }
            });
        }
        self.flows = all;
        group_zones.append(&mut self.zones);
        self.zones = group_zones;
        Ok(())
    }
}
