//! Tenable Nessus `.nessus` (NessusClientData_v2) writer.
//!
//! Streams: the policy header, then one `ReportHost` at a time, then the
//! closing tags. The layout follows what Nessus exports: `HostProperties`
//! tags (`host-ip`, `host-fqdn`, `netbios-name`, `operating-system`,
//! `HOST_START`…), and `ReportItem`s with `port`, `svc_name`, `protocol`,
//! `severity`, `pluginID`, `pluginName`, `pluginFamily` attributes and the
//! usual child elements (`cve`, `cvss3_vector` with the `CVSS:3.0/` prefix
//! Nessus uses, `plugin_output`, `xref` `CISA-KNOWN-EXPLOITED:` for KEV…).

use crate::catalog::{self, Cve, Eco, Plugin};
use crate::dates;
use crate::estate::{Host, HostItem, Os};
use crate::util::{fnv, xml};
use std::io::{self, Write};

pub(crate) struct NessusWriter<W: Write> {
    out: W,
}

impl<W: Write> NessusWriter<W> {
    pub(crate) fn begin(mut out: W, report: &str, policy: &str, targets: &str) -> io::Result<Self> {
        write!(
            out,
            "<?xml version=\"1.0\" ?>\n<NessusClientData_v2>\n<Policy><policyName>{}</policyName>\n\
<Preferences><ServerPreferences>\n\
<preference><name>plugin_set</name><value>202503140512</value></preference>\n\
<preference><name>TARGET</name><value>{}</value></preference>\n\
<preference><name>port_range</name><value>default</value></preference>\n\
<preference><name>safe_checks</name><value>yes</value></preference>\n\
<preference><name>max_hosts</name><value>30</value></preference>\n\
</ServerPreferences>\n<PluginsPreferences></PluginsPreferences>\n</Preferences>\n\
<FamilySelection></FamilySelection>\n<IndividualPluginSelection></IndividualPluginSelection>\n</Policy>\n\
<Report name=\"{}\" xmlns:cm=\"http://www.nessus.org/cm\">\n",
            xml(policy),
            xml(targets),
            xml(report)
        )?;
        Ok(NessusWriter { out })
    }

    /// Writes one host; `start` is when its scan began (Unix seconds).
    pub(crate) fn host(&mut self, h: &Host, start: i64) -> io::Result<()> {
        let end = start + 240 + (fnv(&[&h.ip]) % 900) as i64;
        let o = &mut self.out;
        writeln!(o, "<ReportHost name=\"{}\"><HostProperties>", xml(&h.ip))?;
        tag(o, "HOST_END_TIMESTAMP", &end.to_string())?;
        tag(o, "HOST_END", &dates::ctime(end))?;
        let credentialed = !matches!(h.os, Os::NetScaler | Os::PaloAlto)
            && h.items
                .iter()
                .any(|i| i.port().is_none() || i.port() == Some(445));
        if credentialed {
            tag(o, "Credentialed_Scan", "true")?;
        }
        tag(o, "operating-system", h.os.nessus_name())?;
        tag(o, "os", h.os.family())?;
        let system = match h.os {
            Os::NetScaler => "load-balancer",
            Os::PaloAlto => "firewall",
            _ => "general-purpose",
        };
        tag(o, "system-type", system)?;
        tag(o, "host-ip", &h.ip)?;
        if let Some(f) = &h.fqdn {
            tag(o, "host-fqdn", f)?;
            tag(o, "host-rdns", f)?;
        }
        if h.os.is_windows() {
            tag(o, "netbios-name", &h.short.to_ascii_uppercase())?;
        }
        tag(o, "HOST_START_TIMESTAMP", &start.to_string())?;
        tag(o, "HOST_START", &dates::ctime(start))?;
        o.write_all(b"</HostProperties>\n")?;
        for item in &h.items {
            match item {
                HostItem::Cve { cve, port } => cve_item(o, h, cve, *port)?,
                HostItem::Plugin { plugin, port } => plugin_item(o, h, plugin, *port)?,
            }
        }
        o.write_all(b"</ReportHost>\n")
    }

    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"</Report>\n</NessusClientData_v2>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn tag(o: &mut impl Write, name: &str, value: &str) -> io::Result<()> {
    writeln!(o, "<tag name=\"{}\">{}</tag>", name, xml(value))
}

fn el(o: &mut impl Write, name: &str, value: &str) -> io::Result<()> {
    writeln!(o, "<{name}>{}</{name}>", xml(value))
}

fn svc(port: u16) -> (&'static str, &'static str) {
    match port {
        0 => ("general", "tcp"),
        22 => ("ssh", "tcp"),
        80 | 443 | 8080 | 8443 => ("www", "tcp"),
        445 => ("cifs", "tcp"),
        3389 => ("msrdp", "tcp"),
        161 => ("snmp", "udp"),
        61616 => ("activemq", "tcp"),
        _ => ("unknown", "tcp"),
    }
}

fn risk_factor(sev: u8) -> &'static str {
    match sev {
        4 => "Critical",
        3 => "High",
        2 => "Medium",
        1 => "Low",
        _ => "None",
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Plugin metadata for a CVE on a platform.
struct Meta {
    id: u32,
    name: String,
    family: &'static str,
    fname: String,
    local: bool,
    output: String,
}

fn meta(h: &Host, c: &Cve, port: u16) -> Meta {
    let published = dates::parse_date(c.published);
    let year = &c.published[..4];
    let month = c.published[5..7].parse::<usize>().unwrap_or(1);
    let n = fnv(&[c.id, c.pkg]);
    let host = h.fqdn.as_deref().unwrap_or(&h.ip);
    let _ = published;
    match c.eco {
        Eco::Rpm8 | Eco::Rpm9 | Eco::Rpm6 => {
            let adv = format!("{}:{}", year, 100 + n % 7900);
            let (name, family, fname) = if c.eco == Eco::Rpm6 {
                (
                    format!("CentOS 6 : {} (CESA-{})", c.pkg, adv),
                    "CentOS Local Security Checks",
                    format!("centos_RHSA-{}.nasl", adv.replace(':', "-")),
                )
            } else {
                let rel = if c.eco == Eco::Rpm8 { 8 } else { 9 };
                (
                    format!(
                        "RHEL {rel} : {} (RHSA-{})",
                        c.pkg.trim_end_matches("-libs").trim_end_matches("-server"),
                        adv
                    ),
                    "Red Hat Local Security Checks",
                    format!("redhat-RHSA-{}.nasl", adv.replace(':', "-")),
                )
            };
            let strip = |v: &str| {
                v.split_once(':')
                    .map(|(_, r)| r.to_string())
                    .unwrap_or(v.to_string())
            };
            Meta {
                id: 150_000 + (n % 60_000) as u32,
                name,
                family,
                fname,
                local: true,
                output: format!(
                    "\n  Remote package installed : {}-{}\n  Should be                : {}-{}\n",
                    c.pkg,
                    strip(c.vulnerable),
                    c.pkg,
                    strip(c.fixed)
                ),
            }
        }
        Eco::Deb => {
            let dsa = 5000 + n % 900;
            Meta {
                id: 180_000 + (n % 30_000) as u32,
                name: format!("Debian dsa-{dsa} : {} - security update", c.pkg),
                family: "Debian Local Security Checks",
                fname: format!("debian_DSA-{dsa}.nasl"),
                local: true,
                output: if c.fixed.is_empty() {
                    format!(
                        "\n  Remote package installed : {}_{}\n  Fixed package            : (none)\n",
                        c.pkg, c.vulnerable
                    )
                } else {
                    format!(
                        "\n  Remote package installed : {}_{}\n  Should be                : {}_{}\n",
                        c.pkg, c.vulnerable, c.pkg, c.fixed
                    )
                },
            }
        }
        Eco::Win => {
            let kb = c.pkg.trim_start_matches("KB");
            let ws = if h.os == Os::Win2019 {
                "Windows Server 2019"
            } else {
                "Windows 10 / Windows 11"
            };
            Meta {
                id: 170_000 + (n % 40_000) as u32,
                name: format!(
                    "{}: {} Security Update ({} {})",
                    c.pkg,
                    ws,
                    MONTHS[month.saturating_sub(1) % 12],
                    year
                ),
                family: "Windows : Microsoft Bulletins",
                fname: format!("smb_nt_ms{}_{}.nasl", &year[2..], kb),
                local: true,
                output: format!(
                    "\nThe remote host is missing one of the following rollup KBs :\n  - {}\n\n  - C:\\Windows\\system32\\ntoskrnl.exe has not been patched.\n    Remote version : {}\n    Should be      : {}\n",
                    kb, c.vulnerable, c.fixed
                ),
            }
        }
        Eco::WinApp => {
            let path = match c.pkg {
                "Google Chrome" => "C:\\Program Files\\Google\\Chrome\\Application",
                "WinRAR" => "C:\\Program Files\\WinRAR",
                "7-Zip" => "C:\\Program Files\\7-Zip",
                _ => "C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat",
            };
            Meta {
                id: 180_000 + (n % 30_000) as u32,
                name: format!("{} < {} Vulnerability", c.pkg, c.fixed),
                family: "Windows",
                fname: format!(
                    "{}_{}.nasl",
                    c.pkg.to_ascii_lowercase().replace([' ', '-'], "_"),
                    c.fixed.replace('.', "_")
                ),
                local: true,
                output: format!(
                    "\n  Path              : {path}\n  Installed version : {}\n  Fixed version     : {}\n",
                    c.vulnerable, c.fixed
                ),
            }
        }
        _ => {
            let known = match c.id {
                "CVE-2017-0144" => Some(97833),
                "CVE-2019-0708" => Some(125313),
                "CVE-2020-1472" => Some(140657),
                "CVE-2014-0160" => Some(73412),
                _ => None,
            };
            let family = match port {
                445 | 3389 => "Windows",
                22 | 61616 => "Misc.",
                _ => "CGI abuses",
            };
            let scheme = if port == 80 { "http" } else { "https" };
            let output = match port {
                22 | 445 | 3389 | 61616 => format!(
                    "\n  Port              : {port}/tcp\n  Installed version : {}\n  Fixed version     : {}\n",
                    c.vulnerable, c.fixed
                ),
                _ => format!(
                    "\n  URL               : {scheme}://{host}/\n  Installed version : {}\n  Fixed version     : {}\n",
                    c.vulnerable, c.fixed
                ),
            };
            Meta {
                id: known.unwrap_or(100_000 + (n % 110_000) as u32),
                name: if c.product.starts_with(c.vendor) {
                    format!("{} < {} {} ({})", c.product, c.fixed, c.title, c.id)
                } else {
                    format!(
                        "{} {} < {} {} ({})",
                        c.vendor, c.product, c.fixed, c.title, c.id
                    )
                },
                family,
                fname: format!(
                    "{}_{}.nasl",
                    c.pkg.replace('-', "_"),
                    c.id.to_ascii_lowercase().replace('-', "_")
                ),
                local: false,
                output,
            }
        }
    }
}

fn cve_item(o: &mut impl Write, h: &Host, c: &Cve, port: u16) -> io::Result<()> {
    let m = meta(h, c, port);
    let score = c.score();
    let sev = catalog::nessus_severity(score);
    let (svc_name, proto) = svc(port);
    writeln!(
        o,
        "<ReportItem port=\"{port}\" svc_name=\"{svc_name}\" protocol=\"{proto}\" severity=\"{sev}\" pluginID=\"{}\" pluginName=\"{}\" pluginFamily=\"{}\">",
        m.id,
        xml(&m.name),
        xml(m.family)
    )?;
    el(
        o,
        "agent",
        if h.os.is_windows() { "windows" } else { "unix" },
    )?;
    el(o, "cpe", &cpe(h, c))?;
    el(o, "cve", c.id)?;
    el(o, "cvss3_base_score", &format!("{score:.1}"))?;
    el(o, "cvss3_vector", &format!("CVSS:3.0/{}", c.vector))?;
    el(
        o,
        "description",
        &format!(
            "The version of {} installed on the remote host is affected by a vulnerability. {}",
            c.product,
            c.sentence()
        ),
    )?;
    let exploit = c.exploitable_intel() || c.epss >= 0.1;
    el(
        o,
        "exploit_available",
        if exploit { "true" } else { "false" },
    )?;
    if exploit {
        el(o, "exploitability_ease", "Exploits are available")?;
    }
    el(o, "fname", &m.fname)?;
    if c.is_kev() {
        el(o, "in_the_news", "true")?;
    }
    let published = dates::parse_date(c.published);
    el(o, "patch_publication_date", &dates::date_slash(published))?;
    el(
        o,
        "plugin_modification_date",
        &dates::date_slash(published + 180 * dates::DAY),
    )?;
    el(o, "plugin_name", &m.name)?;
    el(
        o,
        "plugin_publication_date",
        &dates::date_slash(published + 2 * dates::DAY),
    )?;
    el(o, "plugin_type", if m.local { "local" } else { "remote" })?;
    el(o, "risk_factor", risk_factor(sev))?;
    el(o, "script_version", "1.12")?;
    el(
        o,
        "see_also",
        &format!("https://nvd.nist.gov/vuln/detail/{}", c.id),
    )?;
    let solution = if c.fixed.is_empty() {
        "There is no known solution at this time.".to_string()
    } else {
        format!("Upgrade {} to version {} or later.", c.pkg, c.fixed)
    };
    el(o, "solution", &solution)?;
    el(
        o,
        "synopsis",
        &format!("The remote host is affected by {}.", c.title),
    )?;
    el(o, "vuln_publication_date", &dates::date_slash(published))?;
    el(
        o,
        "xref",
        &format!("CWE:{}", c.cwe.trim_start_matches("CWE-")),
    )?;
    if c.is_kev() {
        el(
            o,
            "xref",
            &format!("CISA-KNOWN-EXPLOITED:{}", dates::date_slash(kev_due(c))),
        )?;
    }
    el(o, "plugin_output", &m.output)?;
    o.write_all(b"</ReportItem>\n")
}

/// The `<cpe>` Nessus gives a plugin: `p-cpe` package lines then the OS for
/// local package checks, the product's CPE for remote and application checks.
fn cpe(h: &Host, c: &Cve) -> String {
    match c.eco {
        Eco::Rpm8 | Eco::Rpm9 => format!(
            "p-cpe:/a:redhat:enterprise_linux:{}\ncpe:/o:redhat:enterprise_linux:{}",
            c.pkg,
            if c.eco == Eco::Rpm8 { 8 } else { 9 }
        ),
        Eco::Rpm6 => format!("p-cpe:/a:centos:centos:{}\ncpe:/o:centos:centos:6", c.pkg),
        Eco::Deb => format!(
            "p-cpe:/a:debian:debian_linux:{}\ncpe:/o:debian:debian_linux:{}",
            c.pkg,
            if h.os == Os::Debian11 { "11.0" } else { "12.0" }
        ),
        Eco::Win => "cpe:/o:microsoft:windows".to_string(),
        _ => match c.pkg {
            "netscaler" => "cpe:/a:citrix:netscaler_application_delivery_controller",
            "pan-os" => "cpe:/o:paloaltonetworks:pan-os",
            "moveit-transfer" => "cpe:/a:progress:moveit_transfer",
            "exchange" => "cpe:/a:microsoft:exchange_server",
            "nginx" => "cpe:/a:f5:nginx",
            "spring-framework" => "cpe:/a:vmware:spring_framework",
            "activemq" => "cpe:/a:apache:activemq",
            "httpd" => "cpe:/a:apache:http_server",
            "confluence" => "cpe:/a:atlassian:confluence_server",
            "openssl" => "cpe:/a:openssl:openssl",
            "openssh" => "cpe:/a:openbsd:openssh",
            "Google Chrome" => "cpe:/a:google:chrome",
            "WinRAR" => "cpe:/a:rarlab:winrar",
            "7-Zip" => "cpe:/a:7-zip:7-zip",
            "Adobe Acrobat Reader DC" => "cpe:/a:adobe:acrobat_reader_dc",
            _ => "cpe:/o:microsoft:windows",
        }
        .to_string(),
    }
}

/// KEV `dueDate` as CISA sets it: three weeks after `dateAdded`, except the
/// first batch of 3 November 2021 (two weeks for 2021 CVEs, six months for
/// older ones).
pub(crate) fn kev_due(c: &Cve) -> i64 {
    let added = dates::parse_date(c.kev);
    if c.kev == "2021-11-03" {
        if c.id.starts_with("CVE-2021-") {
            dates::parse_date("2021-11-17")
        } else {
            dates::parse_date("2022-05-03")
        }
    } else {
        added + 21 * dates::DAY
    }
}

fn plugin_item(o: &mut impl Write, h: &Host, p: &Plugin, port: u16) -> io::Result<()> {
    let score = catalog::cvss31_base(p.vector);
    let sev = catalog::nessus_severity(score);
    let (svc_name, proto) = svc(port);
    writeln!(
        o,
        "<ReportItem port=\"{port}\" svc_name=\"{svc_name}\" protocol=\"{proto}\" severity=\"{sev}\" pluginID=\"{}\" pluginName=\"{}\" pluginFamily=\"{}\">",
        p.id,
        xml(p.name),
        xml(p.family)
    )?;
    el(o, "agent", "all")?;
    el(o, "cvss3_base_score", &format!("{score:.1}"))?;
    el(o, "cvss3_vector", &format!("CVSS:3.0/{}", p.vector))?;
    el(o, "description", p.synopsis)?;
    el(o, "fname", p.fname)?;
    el(o, "plugin_modification_date", "2024/06/05")?;
    el(o, "plugin_name", p.name)?;
    el(o, "plugin_publication_date", "2012/01/17")?;
    el(
        o,
        "plugin_type",
        if port == 0 { "combined" } else { "remote" },
    )?;
    el(o, "risk_factor", risk_factor(sev))?;
    el(o, "script_version", "1.24")?;
    el(o, "solution", p.solution)?;
    el(o, "synopsis", p.synopsis)?;
    let host = h.fqdn.as_deref().unwrap_or(&h.ip);
    let output = match p.id {
        57582 | 51192 => format!("\nThe following certificate was at the top of the certificate\nchain sent by the remote host, but it is signed by an unknown\ncertificate authority :\n\n|-Subject : CN={host}\n|-Issuer  : CN={host}\n"),
        104743 | 157288 => "\nTLSv1 is enabled and the server supports at least one cipher.\n".to_string(),
        90317 => "\nThe following weak server-to-client encryption algorithms are supported : \n\n  arcfour\n  arcfour128\n  arcfour256\n".to_string(),
        11213 => "\nTo disable these methods, add the following lines for each virtual\nhost in your configuration file :\n\n    RewriteEngine on\n    RewriteCond %{REQUEST_METHOD} ^(TRACE|TRACK)\n    RewriteRule .* - [F]\n".to_string(),
        _ => String::new(),
    };
    if !output.is_empty() {
        el(o, "plugin_output", &output)?;
    }
    o.write_all(b"</ReportItem>\n")
}

/// Writes one `.nessus` report of `n` findings over `n / 8` hosts, for
/// benchmarks.
pub(crate) fn write_big(seed: u64, n: usize, out: &mut impl Write) -> io::Result<()> {
    use crate::estate::{Scan, Zone};
    use crate::rng::Rng;
    let mut rng = Rng::derive(seed, "nessus-big");
    let mut w = NessusWriter::begin(
        out,
        "benchmark",
        "Atlantica - Internal Servers (credentialed)",
        "10.0.0.0/8",
    )?;
    let pools: Vec<(Os, Vec<HostItem>)> =
        [Os::Rhel8, Os::Rhel9, Os::Debian12, Os::Win2019, Os::Win10]
            .into_iter()
            .map(|os| (os, crate::estate::host_items_for(os)))
            .collect();
    let mut written = 0;
    let mut i = 0usize;
    let start = 1_741_939_200; // 2025-03-14
    while written < n {
        let (os, pool) = &pools[i % pools.len()];
        let k = rng.range(4, 12).min(n - written).min(pool.len());
        let mut items = Vec::with_capacity(k);
        let offset = rng.below(pool.len());
        for j in 0..k {
            items.push(pool[(offset + j) % pool.len()]);
        }
        let ip = crate::estate::ip_at([10, 100, 0, 0], i);
        let short = format!("bench-{i:07}");
        let h = Host {
            fqdn: Some(format!("{short}.bench.atlantica.example")),
            short,
            ip,
            os: *os,
            zone: Some(Zone::App),
            service: None,
            scan: Scan::DatacenterServers,
            items,
            trivy_vm: false,
        };
        w.host(&h, start + (i as i64 % 3600))?;
        written += k;
        i += 1;
    }
    w.finish()?;
    Ok(())
}
