//! Aqua Trivy JSON report writer (`SchemaVersion` 2).
//!
//! Streams: the artifact header (`ArtifactName`, `ArtifactType`, `Metadata`
//! with `RepoTags`/`RepoDigests` for images), then `Results[]` one at a time
//! and, inside each, `Vulnerabilities[]` one at a time, each serialised from
//! a small struct in Trivy's field order (`VulnerabilityID`, `PkgID`,
//! `PkgName`, `PkgPath`, `PkgIdentifier.PURL`, `InstalledVersion`,
//! `FixedVersion`, `Status`, `Layer`, `SeveritySource`, `PrimaryURL`,
//! `DataSource`, `Title`, `Description`, `Severity`, `CweIDs`,
//! `VendorSeverity`, `CVSS`, `References`, `PublishedDate`,
//! `LastModifiedDate`).

use crate::catalog::{self, Cve, Eco, Lang};
use crate::dates;
use crate::estate::{Base, Host, Image};
use crate::util::{fnv, js, json_at, sha256_hex};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

#[derive(Serialize)]
struct PkgIdentifier {
    #[serde(rename = "PURL")]
    purl: String,
    #[serde(rename = "UID")]
    uid: String,
}

#[derive(Serialize)]
struct Layer {
    #[serde(rename = "Digest")]
    digest: String,
    #[serde(rename = "DiffID")]
    diff_id: String,
}

#[derive(Serialize)]
struct DataSource {
    #[serde(rename = "ID")]
    id: &'static str,
    #[serde(rename = "Name")]
    name: &'static str,
    #[serde(rename = "URL")]
    url: &'static str,
}

#[derive(Serialize)]
struct CvssV3 {
    #[serde(rename = "V3Vector")]
    vector: String,
    #[serde(rename = "V3Score")]
    score: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Vuln {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: &'static str,
    #[serde(rename = "PkgID")]
    pkg_id: String,
    pkg_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pkg_path: Option<String>,
    pkg_identifier: PkgIdentifier,
    installed_version: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    fixed_version: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<Layer>,
    severity_source: &'static str,
    #[serde(rename = "PrimaryURL")]
    primary_url: String,
    data_source: DataSource,
    title: &'static str,
    description: String,
    severity: &'static str,
    #[serde(rename = "CweIDs")]
    cwe_ids: [&'static str; 1],
    vendor_severity: BTreeMap<&'static str, u8>,
    #[serde(rename = "CVSS")]
    cvss: BTreeMap<&'static str, CvssV3>,
    references: Vec<String>,
    published_date: String,
    last_modified_date: String,
}

fn data_source(eco: Eco, distro: &str) -> DataSource {
    match eco {
        Eco::Deb => DataSource {
            id: "debian",
            name: "Debian Security Tracker",
            url: "https://salsa.debian.org/security-tracker-team/security-tracker",
        },
        Eco::Apk => DataSource {
            id: "alpine",
            name: "Alpine Secdb",
            url: "https://secdb.alpinelinux.org/",
        },
        Eco::Rpm6 | Eco::Rpm8 | Eco::Rpm9 if distro.starts_with("centos") => DataSource {
            id: "centos",
            name: "CentOS CVE Data",
            url: "https://www.redhat.com/security/data/metrics/",
        },
        Eco::Rpm6 | Eco::Rpm8 | Eco::Rpm9 => DataSource {
            id: "redhat",
            name: "Red Hat OVAL v2",
            url: "https://www.redhat.com/security/data/oval/v2/",
        },
        Eco::Maven => DataSource {
            id: "ghsa",
            name: "GitHub Security Advisory Maven",
            url: "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Amaven",
        },
        Eco::Npm => DataSource {
            id: "ghsa",
            name: "GitHub Security Advisory npm",
            url: "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Anpm",
        },
        Eco::Pip => DataSource {
            id: "ghsa",
            name: "GitHub Security Advisory pip",
            url: "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip",
        },
        _ => DataSource {
            id: "govulndb",
            name: "The Go Vulnerability Database",
            url: "https://pkg.go.dev/vuln/",
        },
    }
}

fn sev_num(score: f64) -> u8 {
    catalog::nessus_severity(score)
}

/// Builds the Trivy record of one vulnerable package.
fn vuln(
    c: &'static Cve,
    distro: &str,
    pkg_path: Option<String>,
    layer: Option<&(String, String)>,
) -> Vuln {
    let score = c.score();
    let pkg_id = match c.eco {
        Eco::Maven => format!("{}:{}", c.pkg, c.vulnerable),
        Eco::Rpm6 | Eco::Rpm8 | Eco::Rpm9 => {
            let v = c
                .vulnerable
                .split_once(':')
                .map(|(_, r)| r)
                .unwrap_or(c.vulnerable);
            format!("{}@{}.x86_64", c.pkg, v)
        }
        _ => format!("{}@{}", c.pkg, c.vulnerable),
    };
    let purl = c.purl(distro);
    let uid = format!("{:016x}", fnv(&[&purl, pkg_path.as_deref().unwrap_or("")]));
    let ds = data_source(c.eco, distro);
    let mut vendor_severity = BTreeMap::new();
    vendor_severity.insert("nvd", sev_num(score));
    vendor_severity.insert(ds.id, sev_num(score));
    let mut cvss = BTreeMap::new();
    cvss.insert(
        "nvd",
        CvssV3 {
            vector: c.vector31(),
            score,
        },
    );
    let published = dates::parse_date(c.published);
    let modified = published + (30 + (fnv(&[c.id]) % 400) as i64) * dates::DAY;
    let status = if c.fixed.is_empty() {
        if c.eco == Eco::Deb {
            "will_not_fix"
        } else {
            "affected"
        }
    } else {
        "fixed"
    };
    Vuln {
        vulnerability_id: c.id,
        pkg_id,
        pkg_name: c.pkg,
        pkg_path,
        pkg_identifier: PkgIdentifier { purl, uid },
        installed_version: c.vulnerable,
        fixed_version: c.fixed,
        status,
        layer: layer.map(|(d, diff)| Layer {
            digest: d.clone(),
            diff_id: diff.clone(),
        }),
        severity_source: "nvd",
        primary_url: format!("https://avd.aquasec.com/nvd/{}", c.id.to_ascii_lowercase()),
        data_source: ds,
        title: c.title,
        description: c.sentence(),
        severity: catalog::severity_upper(score),
        cwe_ids: [c.cwe],
        vendor_severity,
        cvss,
        references: vec![
            format!("https://nvd.nist.gov/vuln/detail/{}", c.id),
            format!("https://www.cve.org/CVERecord?id={}", c.id),
        ],
        published_date: format!("{}T15:15:00.000Z", dates::date(published)),
        last_modified_date: format!("{}T18:30:00.000Z", dates::date(modified)),
    }
}

#[derive(Serialize)]
struct OsInfo {
    #[serde(rename = "Family")]
    family: &'static str,
    #[serde(rename = "Name")]
    name: &'static str,
}

#[derive(Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: Vec<String>,
}

#[derive(Serialize)]
struct ImageConfigInner {
    #[serde(rename = "Env")]
    env: Vec<&'static str>,
    #[serde(rename = "WorkingDir")]
    working_dir: &'static str,
}

#[derive(Serialize)]
struct ImageConfig {
    architecture: &'static str,
    created: String,
    os: &'static str,
    rootfs: RootFs,
    config: ImageConfigInner,
}

#[derive(Serialize)]
struct ImageMetadata {
    #[serde(rename = "Size")]
    size: u64,
    #[serde(rename = "OS")]
    os: OsInfo,
    #[serde(rename = "ImageID")]
    image_id: String,
    #[serde(rename = "DiffIDs")]
    diff_ids: Vec<String>,
    #[serde(rename = "RepoTags")]
    repo_tags: Vec<String>,
    #[serde(rename = "RepoDigests")]
    repo_digests: Vec<String>,
    #[serde(rename = "ImageConfig")]
    image_config: ImageConfig,
}

#[derive(Serialize)]
struct VmMetadata {
    #[serde(rename = "OS")]
    os: OsInfo,
}

/// Streaming writer of one Trivy report.
struct Writer<'w, W: Write> {
    out: &'w mut W,
    results: usize,
    vulns: usize,
}

impl<'w, W: Write> Writer<'w, W> {
    fn begin(
        out: &'w mut W,
        created: i64,
        name: &str,
        kind: &str,
        metadata: &impl Serialize,
    ) -> io::Result<Self> {
        write!(
            out,
            "{{\n  \"SchemaVersion\": 2,\n  \"CreatedAt\": {},\n  \"ArtifactName\": {},\n  \"ArtifactType\": {},\n  \"Metadata\": ",
            js(&dates::rfc3339_frac(
                created,
                (fnv(&[name]) % 1_000_000) as u32
            )),
            js(name),
            js(kind)
        )?;
        json_at(out, metadata, 1)?;
        out.write_all(b",\n  \"Results\": [")?;
        Ok(Writer {
            out,
            results: 0,
            vulns: 0,
        })
    }

    fn result(&mut self, target: &str, class: &str, kind: &str) -> io::Result<()> {
        if self.results > 0 {
            self.out.write_all(b"\n      ]\n    },")?;
        }
        self.results += 1;
        self.vulns = 0;
        write!(
            self.out,
            "\n    {{\n      \"Target\": {},\n      \"Class\": {},\n      \"Type\": {},\n      \"Vulnerabilities\": [",
            js(target),
            js(class),
            js(kind)
        )
    }

    fn vuln(&mut self, v: &Vuln) -> io::Result<()> {
        if self.vulns > 0 {
            self.out.write_all(b",")?;
        }
        self.vulns += 1;
        self.out.write_all(b"\n        ")?;
        json_at(self.out, v, 4)
    }

    fn finish(self) -> io::Result<()> {
        if self.results > 0 {
            self.out.write_all(b"\n      ]\n    }\n  ")?;
        }
        self.out.write_all(b"]\n}\n")?;
        self.out.flush()
    }
}

fn lang_result(lang: Lang, app: &str) -> (String, &'static str) {
    match lang {
        Lang::Java => ("Java".to_string(), "jar"),
        Lang::TypeScript => ("Node.js".to_string(), "node-pkg"),
        Lang::Python => ("Python".to_string(), "python-pkg"),
        _ => (app.to_string(), "gobinary"),
    }
}

fn lang_path(c: &Cve, lang: Lang, app: &str) -> String {
    match lang {
        Lang::Java => app.to_string(),
        Lang::TypeScript => format!("{app}/node_modules/{}/package.json", c.pkg),
        Lang::Python => format!(
            "usr/local/lib/python3.11/site-packages/{}-{}.dist-info/METADATA",
            c.pkg, c.vulnerable
        ),
        _ => app.to_string(),
    }
}

fn distro(base: Base) -> String {
    match base {
        Base::Debian12 => "debian-12.5".into(),
        Base::Alpine318 => "3.18.4".into(),
        Base::Ubi9 => "redhat-9.3".into(),
    }
}

/// The image's digest, layers and identifiers, derived from its name and tag.
pub(crate) fn image_digest(name: &str, tag: &str) -> String {
    format!("sha256:{}", sha256_hex(&["manifest", name, tag]))
}

/// Writes the Trivy report of one container image.
pub(crate) fn write_image(img: &Image, created: i64, out: &mut impl Write) -> io::Result<()> {
    let (family, ver) = img.base.os();
    let layers: Vec<(String, String)> = (0..4)
        .map(|i| {
            let l = i.to_string();
            (
                format!("sha256:{}", sha256_hex(&["layer", &img.name, &img.tag, &l])),
                format!("sha256:{}", sha256_hex(&["diff", &img.name, &img.tag, &l])),
            )
        })
        .collect();
    let diff_ids: Vec<String> = layers.iter().map(|l| l.1.clone()).collect();
    let full = format!("{}:{}", img.name, img.tag);
    let meta = ImageMetadata {
        size: 80_000_000 + fnv(&[&full]) % 400_000_000,
        os: OsInfo { family, name: ver },
        image_id: format!("sha256:{}", sha256_hex(&["config", &img.name, &img.tag])),
        diff_ids: diff_ids.clone(),
        repo_tags: vec![full.clone()],
        repo_digests: vec![format!(
            "{}@{}",
            img.name,
            image_digest(&img.name, &img.tag)
        )],
        image_config: ImageConfig {
            architecture: "amd64",
            created: dates::rfc3339(created - 6 * dates::DAY),
            os: "linux",
            rootfs: RootFs {
                kind: "layers",
                diff_ids,
            },
            config: ImageConfigInner {
                env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                working_dir: "/app",
            },
        },
    };
    let mut w = Writer::begin(out, created, &full, "container_image", &meta)?;
    let dist = distro(img.base);
    let os_eco = match img.base {
        Base::Debian12 => Eco::Deb,
        Base::Alpine318 => Eco::Apk,
        Base::Ubi9 => Eco::Rpm9,
    };
    let os_vulns: Vec<&'static Cve> = img
        .vulns
        .iter()
        .copied()
        .filter(|c| c.eco == os_eco)
        .collect();
    let lang_vulns: Vec<&'static Cve> = img
        .vulns
        .iter()
        .copied()
        .filter(|c| c.eco != os_eco)
        .collect();
    // The OS result is written even when it has no vulnerabilities (with an
    // empty list), as for an image whose OS packages are all up to date.
    w.result(&format!("{full} ({family} {ver})"), "os-pkgs", family)?;
    for c in os_vulns {
        w.vuln(&vuln(c, &dist, None, Some(&layers[0])))?;
    }
    if !lang_vulns.is_empty() {
        let (target, kind) = lang_result(img.lang, &img.app);
        w.result(&target, "lang-pkgs", kind)?;
        for c in lang_vulns {
            w.vuln(&vuln(
                c,
                &dist,
                Some(lang_path(c, img.lang, &img.app)),
                Some(&layers[3]),
            ))?;
        }
    }
    w.finish()
}

/// Writes a Trivy VM scan of a host: its OS packages only.
pub(crate) fn write_vm(h: &Host, created: i64, out: &mut impl Write) -> io::Result<()> {
    let (family, ver) = h.os.trivy_os();
    let name = h.fqdn.clone().unwrap_or_else(|| h.short.clone());
    let meta = VmMetadata {
        os: OsInfo { family, name: ver },
    };
    let mut w = Writer::begin(out, created, &name, "vm", &meta)?;
    let dist = format!("{family}-{ver}");
    w.result(&format!("{name} ({family} {ver})"), "os-pkgs", family)?;
    for c in h.vm_packages() {
        w.vuln(&vuln(c, &dist, None, None))?;
    }
    w.finish()
}

/// One container image with exactly `n` vulnerabilities, for benchmarks:
/// an OS result, then one result per language whose packages repeat under
/// different paths (a fat image with many bundled applications).
pub(crate) fn write_big(seed: u64, n: usize, out: &mut impl Write) -> io::Result<()> {
    let name = "registry.atlantica.example/bench/monolith";
    let tag = format!("1.0.{}", seed % 1000);
    let full = format!("{name}:{tag}");
    let created = 1_741_939_200;
    let diff = format!("sha256:{}", sha256_hex(&["diff", name, &tag]));
    let layer = (
        format!("sha256:{}", sha256_hex(&["layer", name, &tag])),
        diff.clone(),
    );
    let meta = ImageMetadata {
        size: 1_200_000_000,
        os: OsInfo {
            family: "debian",
            name: "12.5",
        },
        image_id: format!("sha256:{}", sha256_hex(&["config", name, &tag])),
        diff_ids: vec![diff.clone()],
        repo_tags: vec![full.clone()],
        repo_digests: vec![format!("{name}@{}", image_digest(name, &tag))],
        image_config: ImageConfig {
            architecture: "amd64",
            created: dates::rfc3339(created),
            os: "linux",
            rootfs: RootFs {
                kind: "layers",
                diff_ids: vec![diff],
            },
            config: ImageConfigInner {
                env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                working_dir: "/app",
            },
        },
    };
    let mut w = Writer::begin(out, created, &full, "container_image", &meta)?;
    let pool = |eco: Eco| -> Vec<&'static Cve> {
        catalog::CVES
            .iter()
            .filter(|c| c.eco == eco && !c.pkg.starts_with("linux-"))
            .collect()
    };
    let os = pool(Eco::Deb);
    let n_os = os.len().min(n);
    w.result(&format!("{full} (debian 12.5)"), "os-pkgs", "debian")?;
    for c in &os[..n_os] {
        w.vuln(&vuln(c, "debian-12.5", None, Some(&layer)))?;
    }
    let langs = [Lang::Java, Lang::TypeScript, Lang::Python, Lang::Go];
    let rest = n - n_os;
    for (li, lang) in langs.iter().enumerate() {
        let count = rest / 4 + usize::from(li < rest % 4);
        if count == 0 {
            continue;
        }
        let eco = match lang {
            Lang::Java => Eco::Maven,
            Lang::TypeScript => Eco::Npm,
            Lang::Python => Eco::Pip,
            _ => Eco::Go,
        };
        let p = pool(eco);
        let (target, kind) = lang_result(*lang, "srv/bin/app-0");
        w.result(&target, "lang-pkgs", kind)?;
        for j in 0..count {
            let c = p[j % p.len()];
            let round = j / p.len();
            let app = match lang {
                Lang::Java => format!(
                    "srv/app-{round}/lib/{}-{}.jar",
                    c.pkg.rsplit(':').next().unwrap_or(c.pkg),
                    c.vulnerable
                ),
                Lang::TypeScript => format!("srv/app-{round}"),
                Lang::Go => format!("srv/bin/app-{round}"),
                _ => String::new(),
            };
            let path = match lang {
                Lang::Python => format!(
                    "srv/venv-{round}/lib/python3.11/site-packages/{}-{}.dist-info/METADATA",
                    c.pkg, c.vulnerable
                ),
                _ => lang_path(c, *lang, &app),
            };
            w.vuln(&vuln(c, "debian-12.5", Some(path), Some(&layer)))?;
        }
    }
    w.finish()
}
