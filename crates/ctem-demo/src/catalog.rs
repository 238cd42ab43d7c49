//! The built-in catalogue: real CVEs, scanner plugins and code-scanning rules.
//!
//! Every CVE is real, with its real affected product or package, a plausible
//! vulnerable and fixed version for the platform it appears on, its NVD-style
//! CVSS v3.1 vector, its CWE, its CISA KEV membership (date added and
//! ransomware use, as in the real catalogue) and a plausible EPSS score:
//! known-exploited ones are mostly high, the rest mostly well under 0.05,
//! like the real distribution. The same CVE can appear twice for two
//! platforms (for example glibc on Debian and on RHEL).

/// Where a vulnerable component lives, which decides the scanner and the
/// package naming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Eco {
    /// Debian 12 package (images and Debian hosts).
    Deb,
    /// RHEL 8 package.
    Rpm8,
    /// RHEL 9 package.
    Rpm9,
    /// CentOS 6 package (legacy hosts).
    Rpm6,
    /// Alpine 3.18 package.
    Apk,
    Maven,
    Npm,
    Pip,
    Go,
    /// A Windows OS update (credentialed Nessus check, reported on 445/tcp).
    Win,
    /// A Windows desktop application (credentialed Nessus check).
    WinApp,
    /// A network service, found by a remote Nessus check on this port.
    Net(u16),
}

/// One CVE on one platform.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cve {
    pub id: &'static str,
    /// NVD publication date.
    pub published: &'static str,
    pub vendor: &'static str,
    pub product: &'static str,
    /// Package name (Maven `group:artifact`, npm, PyPI, Go module, Debian or
    /// RPM binary package), Windows KB, or the product's short name.
    pub pkg: &'static str,
    pub eco: Eco,
    pub vulnerable: &'static str,
    /// Empty when no fix exists yet.
    pub fixed: &'static str,
    /// CVSS v3.1 vector without the `CVSS:3.1/` prefix.
    pub vector: &'static str,
    pub cwe: &'static str,
    /// CISA KEV `dateAdded`, empty when not in KEV.
    pub kev: &'static str,
    pub ransomware: bool,
    pub epss: f64,
    /// KEV-style weakness name, e.g. `Path Traversal Vulnerability`.
    pub name: &'static str,
    /// Short title as vulnerability databases give it.
    pub title: &'static str,
    /// One-sentence description.
    pub desc: &'static str,
}

macro_rules! cve {
    ($id:expr, $pd:expr, $ven:expr, $prod:expr, $pkg:expr, $eco:expr, $vul:expr, $fix:expr,
     $vec:expr, $cwe:expr, $kev:expr, $rw:expr, $epss:expr, $name:expr, $title:expr, $desc:expr) => {
        Cve {
            id: $id,
            published: $pd,
            vendor: $ven,
            product: $prod,
            pkg: $pkg,
            eco: $eco,
            vulnerable: $vul,
            fixed: $fix,
            vector: $vec,
            cwe: $cwe,
            kev: $kev,
            ransomware: $rw,
            epss: $epss,
            name: $name,
            title: $title,
            desc: $desc,
        }
    };
}

const NCRIT: &str = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const NSCOPE: &str = "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H";
const NDOS: &str = "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";
const NCONF: &str = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
const LPE: &str = "AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H";
const LUI: &str = "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H";
const NUI: &str = "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H";

use Eco::*;

/// The CVE catalogue.
#[rustfmt::skip]
pub(crate) static CVES: &[Cve] = &[
    // ---- Edge and server products found by remote Nessus checks --------------
    cve!("CVE-2023-4966", "2023-10-10", "Citrix", "NetScaler ADC and NetScaler Gateway", "netscaler", Net(443),
        "13.1-48.47", "13.1-49.15", NCONF, "CWE-119", "2023-10-18", true, 0.94330,
        "Buffer Overflow Vulnerability", "Sensitive information disclosure (Citrix Bleed)",
        "a buffer overflow that leaks memory, including valid session tokens, when the appliance is configured as a Gateway or AAA virtual server"),
    cve!("CVE-2023-3519", "2023-07-19", "Citrix", "NetScaler ADC and NetScaler Gateway", "netscaler", Net(443),
        "13.1-48.47", "13.1-49.13", NCRIT, "CWE-94", "2023-07-19", false, 0.92684,
        "Code Injection Vulnerability", "Unauthenticated remote code execution",
        "a code injection flaw that allows unauthenticated remote code execution on appliances configured as a Gateway or AAA virtual server"),
    cve!("CVE-2024-3400", "2024-04-12", "Palo Alto Networks", "PAN-OS", "pan-os", Net(443),
        "10.2.8", "10.2.9-h1", NSCOPE, "CWE-77", "2024-04-12", false, 0.94328,
        "OS Command Injection Vulnerability", "OS command injection in GlobalProtect",
        "an OS command injection in the GlobalProtect feature that allows an unauthenticated attacker to run code with root privileges on the firewall"),
    cve!("CVE-2023-34362", "2023-06-02", "Progress", "MOVEit Transfer", "moveit-transfer", Net(443),
        "2023.0.1", "2023.0.2", NCRIT, "CWE-89", "2023-06-02", true, 0.94175,
        "SQL Injection Vulnerability", "SQL injection in the MOVEit Transfer web application",
        "a SQL injection in the web application that lets an unauthenticated attacker gain access to the database and execute code"),
    cve!("CVE-2021-26855", "2021-03-03", "Microsoft", "Exchange Server", "exchange", Net(443),
        "15.1.2176.2", "15.1.2176.9", NCRIT, "CWE-918", "2021-11-03", true, 0.97470,
        "Remote Code Execution Vulnerability", "Server-side request forgery (ProxyLogon)",
        "a server-side request forgery that lets an unauthenticated attacker authenticate as the Exchange server (ProxyLogon)"),
    cve!("CVE-2021-34473", "2021-07-14", "Microsoft", "Exchange Server", "exchange", Net(443),
        "15.1.2176.2", "15.1.2308.14", NCRIT, "CWE-918", "2021-11-03", true, 0.97370,
        "Remote Code Execution Vulnerability", "Remote code execution (ProxyShell)",
        "a path confusion in the Autodiscover service that leads to pre-authentication remote code execution (ProxyShell)"),
    cve!("CVE-2022-41082", "2022-10-03", "Microsoft", "Exchange Server", "exchange", Net(443),
        "15.1.2507.12", "15.1.2507.16", "AV:A/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CWE-502", "2022-09-30", true, 0.97160,
        "Remote Code Execution Vulnerability", "Remote code execution via PowerShell (ProxyNotShell)",
        "a deserialization flaw reachable through remote PowerShell that allows an authenticated attacker to execute code (ProxyNotShell)"),
    cve!("CVE-2023-44487", "2023-10-10", "IETF", "HTTP/2", "nginx", Net(443),
        "1.24.0", "1.25.3", NDOS, "CWE-400", "2023-10-10", false, 0.81630,
        "Denial-of-Service Vulnerability", "HTTP/2 rapid reset denial of service",
        "a protocol-level flaw where request cancellation can reset many streams quickly, exhausting server resources (Rapid Reset)"),
    cve!("CVE-2022-22965", "2022-04-01", "VMware", "Spring Framework", "spring-framework", Net(8443),
        "5.3.17", "5.3.18", NCRIT, "CWE-94", "2022-04-04", false, 0.97450,
        "Remote Code Execution Vulnerability", "Remote code execution via data binding (Spring4Shell)",
        "a data-binding flaw that allows remote code execution when the application runs on Tomcat as a WAR deployment (Spring4Shell)"),
    cve!("CVE-2023-46604", "2023-10-27", "Apache", "ActiveMQ", "activemq", Net(61616),
        "5.15.15", "5.15.16", NCRIT, "CWE-502", "2023-11-02", true, 0.97370,
        "Deserialization of Untrusted Data Vulnerability", "Remote code execution in the OpenWire protocol",
        "a deserialization flaw in the OpenWire protocol that lets a remote attacker run arbitrary shell commands"),
    cve!("CVE-2021-41773", "2021-10-05", "Apache", "HTTP Server", "httpd", Net(443),
        "2.4.49", "2.4.51", NCONF, "CWE-22", "2021-11-03", false, 0.97440,
        "Path Traversal Vulnerability", "Path traversal and file disclosure",
        "a path normalisation flaw that allows an attacker to map URLs to files outside the expected document root"),
    cve!("CVE-2021-42013", "2021-10-07", "Apache", "HTTP Server", "httpd", Net(443),
        "2.4.49", "2.4.51", NCRIT, "CWE-22", "2021-11-03", false, 0.97450,
        "Path Traversal Vulnerability", "Path traversal and remote code execution (incomplete fix of CVE-2021-41773)",
        "a path traversal that, with mod_cgi enabled, allows remote code execution; the fix for CVE-2021-41773 in 2.4.50 was insufficient"),
    cve!("CVE-2023-25690", "2023-03-07", "Apache", "HTTP Server", "httpd", Net(443),
        "2.4.49", "2.4.56", NCRIT, "CWE-444", "", false, 0.07211,
        "", "HTTP request splitting with mod_rewrite and mod_proxy",
        "some mod_proxy configurations with mod_rewrite allow HTTP request smuggling"),
    cve!("CVE-2022-26134", "2022-06-03", "Atlassian", "Confluence Server and Data Center", "confluence", Net(443),
        "7.13.6", "7.13.7", NCRIT, "CWE-917", "2022-06-02", true, 0.97440,
        "Remote Code Execution Vulnerability", "OGNL injection remote code execution",
        "an OGNL injection that allows an unauthenticated attacker to execute arbitrary code"),
    cve!("CVE-2020-1472", "2020-08-17", "Microsoft", "Netlogon", "netlogon", Net(445),
        "10.0.17763.1339", "10.0.17763.1397", "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "CWE-330", "2021-11-03", true, 0.97260,
        "Privilege Escalation Vulnerability", "Netlogon elevation of privilege (Zerologon)",
        "a cryptographic flaw in the Netlogon Remote Protocol that lets an attacker reset the domain controller's machine account password (Zerologon)"),
    cve!("CVE-2019-0708", "2019-05-16", "Microsoft", "Remote Desktop Services", "rdp", Net(3389),
        "6.1.7601.24000", "6.1.7601.24441", NCRIT, "CWE-416", "2021-11-03", false, 0.97510,
        "Remote Code Execution Vulnerability", "Remote Desktop Services remote code execution (BlueKeep)",
        "a use-after-free in Remote Desktop Services that allows unauthenticated remote code execution (BlueKeep)"),
    cve!("CVE-2017-0144", "2017-03-17", "Microsoft", "SMBv1", "smb", Net(445),
        "6.1.7601.23677", "6.1.7601.23689", "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "CWE-20", "2022-02-10", true, 0.97550,
        "Remote Code Execution Vulnerability", "SMBv1 remote code execution (EternalBlue)",
        "a flaw in how the SMBv1 server handles certain requests that allows remote code execution (EternalBlue, MS17-010)"),
    cve!("CVE-2021-34527", "2021-07-02", "Microsoft", "Windows Print Spooler", "spoolsv", Net(445),
        "10.0.17763.2028", "10.0.17763.2029", "AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CWE-269", "2021-11-03", true, 0.94400,
        "Remote Code Execution Vulnerability", "Print Spooler remote code execution (PrintNightmare)",
        "a flaw in the privileged file operations of the Print Spooler service that allows remote code execution as SYSTEM (PrintNightmare)"),
    cve!("CVE-2014-0160", "2014-04-07", "OpenSSL", "OpenSSL", "openssl", Net(443),
        "1.0.1e", "1.0.1g", NCONF, "CWE-125", "2022-05-04", false, 0.97450,
        "Information Disclosure Vulnerability", "TLS heartbeat read overrun (Heartbleed)",
        "an out-of-bounds read in the TLS heartbeat extension that discloses process memory, including private keys (Heartbleed)"),
    cve!("CVE-2024-6387", "2024-07-01", "OpenBSD", "OpenSSH", "openssh", Net(22),
        "9.2p1", "9.8p1", "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "CWE-362", "", false, 0.41320,
        "", "Signal handler race condition in sshd (regreSSHion)",
        "a signal handler race condition in sshd that may allow unauthenticated remote code execution as root on glibc-based Linux"),
    cve!("CVE-2024-38063", "2024-08-13", "Microsoft", "Windows TCP/IP", "tcpip", Net(445),
        "10.0.17763.6054", "10.0.17763.6189", NCRIT, "CWE-191", "", false, 0.05224,
        "", "Windows TCP/IP IPv6 remote code execution",
        "an integer underflow in IPv6 packet processing that may allow remote code execution"),
    cve!("CVE-2022-26923", "2022-05-10", "Microsoft", "Active Directory Certificate Services", "adcs", Net(445),
        "10.0.17763.2803", "10.0.17763.2928", "AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CWE-295", "2022-08-18", false, 0.06523,
        "Privilege Escalation Vulnerability", "Active Directory domain privilege escalation (Certifried)",
        "a flaw that lets an authenticated user obtain a certificate for a machine account and escalate to domain administrator (Certifried)"),
    // ---- Java (Maven) ------------------------------------------------------
    cve!("CVE-2021-44228", "2021-12-10", "Apache", "Log4j2", "org.apache.logging.log4j:log4j-core", Maven,
        "2.14.1", "2.17.1", NSCOPE, "CWE-917", "2021-12-10", true, 0.97560,
        "Remote Code Execution Vulnerability", "log4j-core: Remote code execution in Log4j 2.x when logs contain an attacker-controlled string value (Log4Shell)",
        "a flaw in JNDI lookups whereby attacker-controlled strings in log messages can load and run code from LDAP and other endpoints (Log4Shell)"),
    cve!("CVE-2021-45046", "2021-12-14", "Apache", "Log4j2", "org.apache.logging.log4j:log4j-core", Maven,
        "2.15.0", "2.17.1", "AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", "CWE-917", "2023-05-01", false, 0.97400,
        "Deserialization of Untrusted Data Vulnerability", "log4j-core: DoS in log4j 2.x with thread context message pattern and context lookup pattern",
        "an incomplete fix for CVE-2021-44228 that still allows remote code execution in certain non-default configurations"),
    cve!("CVE-2022-42889", "2022-10-13", "Apache", "Commons Text", "org.apache.commons:commons-text", Maven,
        "1.9", "1.10.0", NCRIT, "CWE-94", "", false, 0.96940,
        "", "apache-commons-text: variable interpolation RCE (Text4Shell)",
        "StringSubstitutor default interpolators include script, dns and url lookups that can execute code with untrusted input (Text4Shell)"),
    cve!("CVE-2022-22965", "2022-04-01", "VMware", "Spring Framework", "org.springframework:spring-beans", Maven,
        "5.3.17", "5.3.18", NCRIT, "CWE-94", "2022-04-04", false, 0.97450,
        "Remote Code Execution Vulnerability", "spring-framework: RCE via Data Binding on JDK 9+ (Spring4Shell)",
        "a Spring MVC or WebFlux application on JDK 9+ may be vulnerable to remote code execution via data binding"),
    cve!("CVE-2022-22963", "2022-04-01", "VMware", "Spring Cloud Function", "org.springframework.cloud:spring-cloud-function-context", Maven,
        "3.2.2", "3.2.3", NCRIT, "CWE-917", "2022-08-25", false, 0.97500,
        "Remote Code Execution Vulnerability", "spring-cloud-function: SpEL injection via the routing functionality",
        "a SpEL injection through the routing-expression header that allows remote code execution"),
    cve!("CVE-2017-5638", "2017-03-11", "Apache", "Struts", "org.apache.struts:struts2-core", Maven,
        "2.3.31", "2.3.32", "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "CWE-20", "2021-11-03", true, 0.97570,
        "Remote Code Execution Vulnerability", "struts2: Jakarta Multipart parser remote code execution",
        "an OGNL injection through the Content-Type header in the Jakarta Multipart parser"),
    cve!("CVE-2020-36518", "2022-03-11", "FasterXML", "jackson-databind", "com.fasterxml.jackson.core:jackson-databind", Maven,
        "2.12.6", "2.12.6.1", NDOS, "CWE-787", "", false, 0.00970,
        "", "jackson-databind: denial of service via a large depth of nested objects",
        "deeply nested objects cause a Java StackOverflow exception and denial of service"),
    cve!("CVE-2022-42003", "2022-10-02", "FasterXML", "jackson-databind", "com.fasterxml.jackson.core:jackson-databind", Maven,
        "2.13.3", "2.13.4.1", NDOS, "CWE-502", "", false, 0.00490,
        "", "jackson-databind: deep wrapper array nesting wrt UNWRAP_SINGLE_VALUE_ARRAYS",
        "resource exhaustion can occur because of a lack of a check in primitive value deserializers"),
    cve!("CVE-2022-1471", "2022-12-01", "SnakeYAML", "SnakeYAML", "org.yaml:snakeyaml", Maven,
        "1.33", "2.0", NCRIT, "CWE-502", "", false, 0.17350,
        "", "snakeyaml: Constructor Deserialization Remote Code Execution",
        "SnakeYAML's Constructor class does not restrict types that can be instantiated during deserialization"),
    cve!("CVE-2022-25857", "2022-08-30", "SnakeYAML", "SnakeYAML", "org.yaml:snakeyaml", Maven,
        "1.30", "1.31", NDOS, "CWE-776", "", false, 0.00520,
        "", "snakeyaml: Denial of Service due to missing nested depth limitation for collections",
        "missing nested depth limitation for collections allows denial of service"),
    cve!("CVE-2024-22243", "2024-02-23", "VMware", "Spring Framework", "org.springframework:spring-web", Maven,
        "5.3.31", "5.3.32", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N", "CWE-601", "", false, 0.00180,
        "", "springframework: URL Parsing with Host Validation",
        "applications that use UriComponentsBuilder to parse an externally provided URL may be vulnerable to open redirect or SSRF"),
    cve!("CVE-2023-34034", "2023-07-19", "VMware", "Spring Security", "org.springframework.security:spring-security-config", Maven,
        "5.8.4", "5.8.5", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", "CWE-281", "", false, 0.00370,
        "", "spring-security: Access Control Bypass with WebFlux",
        "using ** as a pattern in Spring Security configuration for WebFlux creates a mismatch in pattern matching"),
    cve!("CVE-2023-2976", "2023-06-14", "Google", "Guava", "com.google.guava:guava", Maven,
        "31.1-jre", "32.0.0-android", "AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N", "CWE-552", "", false, 0.00040,
        "", "guava: insecure temporary directory creation",
        "FileBackedOutputStream creates its temporary file in a directory readable by other local users"),
    cve!("CVE-2023-46589", "2023-11-28", "Apache", "Tomcat", "org.apache.tomcat.embed:tomcat-embed-core", Maven,
        "9.0.80", "9.0.83", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", "CWE-444", "", false, 0.00430,
        "", "tomcat: HTTP request smuggling via malformed trailer headers",
        "Tomcat did not correctly parse HTTP trailer headers, enabling request smuggling behind a reverse proxy"),
    cve!("CVE-2024-24549", "2024-03-13", "Apache", "Tomcat", "org.apache.tomcat.embed:tomcat-embed-core", Maven,
        "9.0.80", "9.0.86", NDOS, "CWE-20", "", false, 0.00110,
        "", "tomcat: HTTP/2 header handling DoS",
        "HTTP/2 requests exceeding header limits were not reset until all headers had been processed"),
    cve!("CVE-2023-6378", "2023-11-29", "QOS.ch", "logback", "ch.qos.logback:logback-classic", Maven,
        "1.2.12", "1.2.13", NDOS, "CWE-502", "", false, 0.00110,
        "", "logback: serialization vulnerability in logback receiver",
        "a serialization flaw in the logback receiver component allows a denial-of-service attack"),
    cve!("CVE-2024-1597", "2024-02-19", "PostgreSQL", "pgjdbc", "org.postgresql:postgresql", Maven,
        "42.5.4", "42.5.5", NCRIT, "CWE-89", "", false, 0.00780,
        "", "pgjdbc: SQL injection via line comment generation",
        "SQL injection is possible with PreferQueryMode=SIMPLE and a negative numeric placeholder followed by a string placeholder"),
    // ---- JavaScript (npm) ----------------------------------------------------
    cve!("CVE-2021-23337", "2021-02-15", "Lodash", "lodash", "lodash", Npm,
        "4.17.20", "4.17.21", "AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", "CWE-94", "", false, 0.01120,
        "", "nodejs-lodash: command injection via template",
        "lodash versions prior to 4.17.21 are vulnerable to command injection via the template function"),
    cve!("CVE-2020-8203", "2020-07-15", "Lodash", "lodash", "lodash", Npm,
        "4.17.15", "4.17.19", "AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", "CWE-1321", "", false, 0.01350,
        "", "nodejs-lodash: prototype pollution in zipObjectDeep function",
        "prototype pollution in zipObjectDeep allows modification of Object.prototype"),
    cve!("CVE-2022-25883", "2023-06-21", "npm", "semver", "semver", Npm,
        "7.5.1", "7.5.2", NDOS, "CWE-1333", "", false, 0.00210,
        "", "nodejs-semver: Regular expression denial of service",
        "the new Range function is vulnerable to ReDoS when untrusted user data is provided as a range"),
    cve!("CVE-2024-4068", "2024-05-14", "micromatch", "braces", "braces", Npm,
        "3.0.2", "3.0.3", NDOS, "CWE-1050", "", false, 0.00080,
        "", "braces: fails to limit the number of characters it can handle",
        "imbalanced braces in input can cause the parser to loop and exhaust memory"),
    cve!("CVE-2024-29041", "2024-03-25", "expressjs", "express", "express", Npm,
        "4.18.2", "4.19.2", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CWE-601", "", false, 0.00110,
        "", "express: cause malformed URLs to be evaluated",
        "malformed URLs passed to res.location() and res.redirect() can bypass allow-list based redirects"),
    cve!("CVE-2022-24999", "2022-11-26", "ljharb", "qs", "qs", Npm,
        "6.5.2", "6.5.3", NDOS, "CWE-1321", "", false, 0.00520,
        "", "express: prototype pollution via qs",
        "qs allows attackers to cause a Node process hang through prototype pollution in __proto__ keys"),
    cve!("CVE-2023-26136", "2023-07-01", "salesforce", "tough-cookie", "tough-cookie", Npm,
        "4.1.2", "4.1.3", "AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", "CWE-1321", "", false, 0.00230,
        "", "tough-cookie: prototype pollution in cookie memstore",
        "prototype pollution when using CookieJar in rejectPublicSuffixes=false mode"),
    cve!("CVE-2023-45133", "2023-10-12", "babel", "@babel/traverse", "@babel/traverse", Npm,
        "7.22.5", "7.23.2", NUI, "CWE-184", "", false, 0.00310,
        "", "babel: arbitrary code execution when compiling specifically crafted malicious code",
        "compiling crafted code with plugins that use path.evaluate() can execute arbitrary code"),
    cve!("CVE-2024-37890", "2024-06-17", "websockets", "ws", "ws", Npm,
        "8.13.0", "8.17.1", NDOS, "CWE-476", "", false, 0.00350,
        "", "nodejs-ws: denial of service when handling a request with many HTTP headers",
        "a request with a number of headers exceeding server.maxHeadersCount crashes a ws server"),
    cve!("CVE-2022-46175", "2022-12-24", "json5", "json5", "json5", Npm,
        "2.2.1", "2.2.2", "AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:L/A:H", "CWE-1321", "", false, 0.00170,
        "", "json5: prototype pollution in JSON5 via parse method",
        "the parse method does not restrict parsing of keys named __proto__"),
    cve!("CVE-2023-28155", "2023-03-16", "request", "request", "request", Npm,
        "2.88.2", "", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CWE-918", "", false, 0.00120,
        "", "request: server-side request forgery via cross-protocol redirect",
        "the request package allows a bypass of SSRF mitigations via a cross-protocol redirect; it is deprecated and will not be fixed"),
    cve!("CVE-2024-21538", "2024-11-08", "cross-spawn", "cross-spawn", "cross-spawn", Npm,
        "7.0.3", "7.0.5", NDOS, "CWE-1333", "", false, 0.00060,
        "", "cross-spawn: regular expression denial of service",
        "crafted large strings cause excessive CPU usage due to improper input sanitisation"),
    // ---- Python (PyPI) -------------------------------------------------------
    cve!("CVE-2023-32681", "2023-05-26", "Python", "requests", "requests", Pip,
        "2.28.2", "2.31.0", "AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", "CWE-200", "", false, 0.00630,
        "", "python-requests: unintended leak of Proxy-Authorization header",
        "requests leaks Proxy-Authorization headers to destination servers when redirected to an HTTPS endpoint"),
    cve!("CVE-2024-35195", "2024-05-20", "Python", "requests", "requests", Pip,
        "2.31.0", "2.32.0", "AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", "CWE-670", "", false, 0.00040,
        "", "requests: subsequent requests to the same host ignore cert verification",
        "when the first request in a Session is made with verify=False, later requests to the same host keep ignoring verification"),
    cve!("CVE-2023-43804", "2023-10-04", "urllib3", "urllib3", "urllib3", Pip,
        "1.26.16", "1.26.17", "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", "CWE-200", "", false, 0.00290,
        "", "python-urllib3: Cookie request header isn't stripped during cross-origin redirects",
        "urllib3 does not strip the Cookie header on cross-origin redirects"),
    cve!("CVE-2024-37891", "2024-06-17", "urllib3", "urllib3", "urllib3", Pip,
        "1.26.18", "1.26.19", "AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", "CWE-669", "", false, 0.00090,
        "", "urllib3: proxy-authorization request header is not stripped during cross-origin redirects",
        "the Proxy-Authorization header is kept on cross-origin redirects when set manually"),
    cve!("CVE-2024-22195", "2024-01-11", "Pallets", "Jinja", "jinja2", Pip,
        "3.1.2", "3.1.3", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CWE-79", "", false, 0.00110,
        "", "jinja2: HTML attribute injection when passing user input as keys to xmlattr filter",
        "the xmlattr filter allows keys containing spaces, enabling attribute injection"),
    cve!("CVE-2024-34064", "2024-05-06", "Pallets", "Jinja", "jinja2", Pip,
        "3.1.3", "3.1.4", "AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N", "CWE-79", "", false, 0.00060,
        "", "jinja2: accepts keys containing non-attribute characters",
        "the xmlattr filter accepts keys containing /, >, or = characters"),
    cve!("CVE-2023-50782", "2024-02-05", "Python Cryptographic Authority", "cryptography", "cryptography", Pip,
        "41.0.7", "42.0.0", NCONF, "CWE-203", "", false, 0.00250,
        "", "python-cryptography: Bleichenbacher timing oracle attack against RSA decryption",
        "a timing side channel in RSA decryption may allow decryption of captured messages"),
    cve!("CVE-2024-26130", "2024-02-21", "Python Cryptographic Authority", "cryptography", "cryptography", Pip,
        "41.0.7", "42.0.4", NDOS, "CWE-476", "", false, 0.00140,
        "", "cryptography: NULL pointer dereference with pkcs12.serialize_key_and_certificates",
        "a mismatched certificate and key in pkcs12.serialize_key_and_certificates crashes the process"),
    cve!("CVE-2023-30861", "2023-05-02", "Pallets", "Flask", "flask", Pip,
        "2.2.4", "2.2.5", NCONF, "CWE-539", "", false, 0.00380,
        "", "flask: possible disclosure of permanent session cookie due to missing Vary: Cookie header",
        "responses may be cached by a proxy and contain another client's session cookie"),
    cve!("CVE-2023-46136", "2023-10-25", "Pallets", "Werkzeug", "werkzeug", Pip,
        "2.3.7", "3.0.1", NDOS, "CWE-407", "", false, 0.00140,
        "", "python-werkzeug: high resource consumption leading to denial of service",
        "crafted multipart data can cause excessive CPU use when parsing"),
    cve!("CVE-2024-1135", "2024-04-16", "Benoit Chesneau", "Gunicorn", "gunicorn", Pip,
        "21.2.0", "22.0.0", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", "CWE-444", "", false, 0.00430,
        "", "python-gunicorn: HTTP request smuggling due to improper validation of Transfer-Encoding headers",
        "improper validation of Transfer-Encoding headers allows HTTP request smuggling"),
    cve!("CVE-2023-37920", "2023-07-25", "Kenneth Reitz", "certifi", "certifi", Pip,
        "2023.5.7", "2023.7.22", NCRIT, "CWE-345", "", false, 0.00210,
        "", "python-certifi: Removal of e-Tugra root certificate",
        "certifi still trusted e-Tugra root certificates after security issues were found in their systems"),
    // ---- Go ----------------------------------------------------------------------
    cve!("CVE-2023-45288", "2024-04-04", "Go", "golang.org/x/net", "golang.org/x/net", Go,
        "v0.17.0", "0.23.0", NDOS, "CWE-770", "", false, 0.01130,
        "", "golang: net/http, x/net/http2: unlimited number of CONTINUATION frames causes DoS",
        "an attacker can send an excessive number of CONTINUATION frames, exhausting CPU"),
    cve!("CVE-2023-39325", "2023-10-11", "Go", "golang.org/x/net", "golang.org/x/net", Go,
        "v0.15.0", "0.17.0", NDOS, "CWE-770", "", false, 0.03260,
        "", "golang: net/http, x/net/http2: rapid stream resets can cause excessive work (CVE-2023-44487)",
        "a malicious HTTP/2 client which rapidly creates requests and immediately resets them can cause excessive server resource consumption"),
    cve!("CVE-2024-24790", "2024-06-05", "Go", "Go standard library", "stdlib", Go,
        "v1.21.9", "1.21.11", NCRIT, "CWE-115", "", false, 0.00420,
        "", "golang: net/netip: Unexpected behavior from Is methods for IPv4-mapped IPv6 addresses",
        "the Is methods of netip.Addr do not behave as expected for IPv4-mapped IPv6 addresses"),
    cve!("CVE-2024-45337", "2024-12-12", "Go", "golang.org/x/crypto", "golang.org/x/crypto", Go,
        "v0.29.0", "0.31.0", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", "CWE-285", "", false, 0.04660,
        "", "golang.org/x/crypto/ssh: misuse of ServerConfig.PublicKeyCallback may cause authorization bypass",
        "applications misusing PublicKeyCallback may make authorization decisions on the wrong key"),
    cve!("CVE-2022-32149", "2022-10-14", "Go", "golang.org/x/text", "golang.org/x/text", Go,
        "v0.3.7", "0.3.8", NDOS, "CWE-772", "", false, 0.00210,
        "", "golang: golang.org/x/text/language: ParseAcceptLanguage takes a long time to parse complex tags",
        "a crafted Accept-Language header can cause a denial of service"),
    // ---- Debian 12 packages ----------------------------------------------------
    cve!("CVE-2023-4911", "2023-10-03", "GNU", "GNU C Library", "libc6", Deb,
        "2.36-9+deb12u1", "2.36-9+deb12u3", LPE, "CWE-122", "2023-11-21", false, 0.78350,
        "Buffer Overflow Vulnerability", "glibc: buffer overflow in ld.so leading to privilege escalation (Looney Tunables)",
        "a buffer overflow in the dynamic loader's processing of the GLIBC_TUNABLES environment variable that allows local privilege escalation"),
    cve!("CVE-2023-38545", "2023-10-18", "haxx", "curl", "libcurl4", Deb,
        "7.88.1-10+deb12u3", "7.88.1-10+deb12u4", NCRIT, "CWE-787", "", false, 0.29410,
        "", "curl: heap based buffer overflow in the SOCKS5 proxy handshake",
        "a heap-based buffer overflow in the SOCKS5 proxy handshake when the hostname is longer than 255 bytes"),
    cve!("CVE-2023-38546", "2023-10-18", "haxx", "curl", "libcurl4", Deb,
        "7.88.1-10+deb12u3", "7.88.1-10+deb12u4", "AV:L/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", "CWE-73", "", false, 0.00120,
        "", "curl: cookie injection with none file",
        "libcurl may load cookies from a file named none when duplicating easy handles"),
    cve!("CVE-2023-5678", "2023-11-06", "OpenSSL", "OpenSSL", "libssl3", Deb,
        "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "CWE-754", "", false, 0.00250,
        "", "openssl: Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow",
        "applications that use DH_generate_key() or DH_check_pub_key() on untrusted input may be vulnerable to denial of service"),
    cve!("CVE-2024-0727", "2024-01-26", "OpenSSL", "OpenSSL", "libssl3", Deb,
        "3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "CWE-476", "", false, 0.00110,
        "", "openssl: denial of service via null dereference",
        "processing a maliciously formatted PKCS12 file may crash OpenSSL"),
    cve!("CVE-2023-45853", "2023-10-14", "zlib", "zlib", "zlib1g", Deb,
        "1:1.2.13.dfsg-1", "", NCRIT, "CWE-190", "", false, 0.01380,
        "", "zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6",
        "MiniZip in zlib has an integer overflow via a long filename, comment or extra field"),
    cve!("CVE-2023-4863", "2023-09-12", "Google", "Chromium WebP", "libwebp7", Deb,
        "1.2.4-0.2", "1.2.4-0.2+deb12u1", NUI, "CWE-787", "2023-09-13", false, 0.41350,
        "Heap-Based Buffer Overflow Vulnerability", "libwebp: heap buffer overflow in WebP codec",
        "a heap buffer overflow in the WebP lossless decoder that allows a crafted image to write out of bounds"),
    cve!("CVE-2023-52425", "2024-02-04", "libexpat", "libexpat", "libexpat1", Deb,
        "2.5.0-1", "", NDOS, "CWE-400", "", false, 0.00210,
        "", "expat: parsing large tokens can trigger a denial of service",
        "libexpat allows a denial of service because many full reparsings are required for a large token"),
    cve!("CVE-2024-45490", "2024-08-30", "libexpat", "libexpat", "libexpat1", Deb,
        "2.5.0-1", "2.5.0-1+deb12u1", NCRIT, "CWE-611", "", false, 0.00210,
        "", "libexpat: Negative Length Parsing Vulnerability in libexpat",
        "XML_ParseBuffer accepts a negative length, which can corrupt memory"),
    cve!("CVE-2024-25062", "2024-02-04", "xmlsoft", "libxml2", "libxml2", Deb,
        "2.9.14+dfsg-1.3~deb12u1", "", NDOS, "CWE-416", "", false, 0.00080,
        "", "libxml2: use-after-free in XMLReader",
        "the xmlTextReader module has a use-after-free when XInclude and DTD validation are enabled"),
    cve!("CVE-2023-7104", "2023-12-29", "SQLite", "SQLite", "libsqlite3-0", Deb,
        "3.40.1-2", "", "AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", "CWE-122", "", false, 0.00310,
        "", "sqlite: heap-buffer-overflow at sessionfuzz",
        "a heap-based buffer overflow in the sessionReadRecord function of the session extension"),
    cve!("CVE-2023-29491", "2023-04-14", "GNU", "ncurses", "libncursesw6", Deb,
        "6.4-4", "6.4-4+deb12u1", LPE, "CWE-787", "", false, 0.00040,
        "", "ncurses: Local users can trigger security-relevant memory corruption via malformed data",
        "setuid applications can be attacked through malformed terminfo data"),
    cve!("CVE-2023-47038", "2023-12-18", "Perl", "Perl", "perl-base", Deb,
        "5.36.0-7", "5.36.0-7+deb12u1", LPE, "CWE-122", "", false, 0.00080,
        "", "perl: Write past buffer end via illegal user-defined Unicode property",
        "a crafted regular expression causes a one-byte heap overflow"),
    cve!("CVE-2022-0847", "2022-03-10", "Linux", "Kernel", "linux-image-amd64", Deb,
        "5.10.92-1", "5.10.103-1", LPE, "CWE-665", "2022-04-25", false, 0.59170,
        "Improper Initialization Vulnerability", "kernel: improper initialization of the pipe buffer flags (Dirty Pipe)",
        "a flaw in the handling of pipe buffer flags that allows an unprivileged local user to write to read-only files (Dirty Pipe)"),
    // ---- RHEL 8 packages ----------------------------------------------------------
    cve!("CVE-2021-4034", "2022-01-28", "Red Hat", "Polkit", "polkit", Rpm8,
        "0.115-11.el8", "0.115-13.el8_5.1", LPE, "CWE-787", "2022-06-27", false, 0.85120,
        "Out-of-Bounds Read and Write Vulnerability", "polkit: Local privilege escalation in pkexec due to incorrect handling of argument vector (PwnKit)",
        "an out-of-bounds write in pkexec, which mishandles its argument count, letting a local user gain root (PwnKit)"),
    cve!("CVE-2021-3156", "2021-01-26", "Sudo", "Sudo", "sudo", Rpm8,
        "1.8.29-6.el8", "1.8.29-6.el8_3.1", LPE, "CWE-193", "2022-04-06", false, 0.89330,
        "Heap-Based Buffer Overflow Vulnerability", "sudo: Heap buffer overflow in argument parsing (Baron Samedit)",
        "a heap-based buffer overflow in argument parsing when a command-line argument ends with a backslash (Baron Samedit)"),
    cve!("CVE-2023-0286", "2023-02-08", "OpenSSL", "OpenSSL", "openssl-libs", Rpm8,
        "1:1.1.1k-7.el8_6", "1:1.1.1k-9.el8_7", "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H", "CWE-843", "", false, 0.00820,
        "", "openssl: X.400 address type confusion in X.509 GeneralName",
        "a type confusion in X.400 address processing may allow reading memory contents or a denial of service"),
    cve!("CVE-2018-25032", "2022-03-25", "zlib", "zlib", "zlib", Rpm8,
        "1.2.11-17.el8", "1.2.11-18.el8_5", NDOS, "CWE-787", "", false, 0.00380,
        "", "zlib: A flaw found in zlib when compressing (not decompressing) certain inputs",
        "zlib allows memory corruption when deflating if the input has many distant matches"),
    cve!("CVE-2024-1086", "2024-01-31", "Linux", "Kernel", "kernel", Rpm8,
        "4.18.0-513.11.1.el8_9", "4.18.0-513.24.1.el8_9", LPE, "CWE-416", "2024-05-30", true, 0.01930,
        "Use-After-Free Vulnerability", "kernel: use-after-free in netfilter nf_tables",
        "a use-after-free in the netfilter nf_tables component that allows local privilege escalation"),
    cve!("CVE-2022-40674", "2022-09-14", "libexpat", "libexpat", "expat", Rpm8,
        "2.2.5-8.el8_6.2", "2.2.5-8.el8_6.3", NCRIT, "CWE-416", "", false, 0.00870,
        "", "expat: a use-after-free in the doContent function in xmlparse.c",
        "a use-after-free in the doContent function allows denial of service or code execution"),
    // ---- RHEL 9 packages ----------------------------------------------------------
    cve!("CVE-2023-4911", "2023-10-03", "GNU", "GNU C Library", "glibc", Rpm9,
        "2.34-60.el9", "2.34-60.el9_2.7", LPE, "CWE-122", "2023-11-21", false, 0.78350,
        "Buffer Overflow Vulnerability", "glibc: buffer overflow in ld.so leading to privilege escalation (Looney Tunables)",
        "a buffer overflow in the dynamic loader's processing of the GLIBC_TUNABLES environment variable that allows local privilege escalation"),
    cve!("CVE-2024-1086", "2024-01-31", "Linux", "Kernel", "kernel", Rpm9,
        "5.14.0-362.8.1.el9_3", "5.14.0-362.24.1.el9_3", LPE, "CWE-416", "2024-05-30", true, 0.01930,
        "Use-After-Free Vulnerability", "kernel: use-after-free in netfilter nf_tables",
        "a use-after-free in the netfilter nf_tables component that allows local privilege escalation"),
    cve!("CVE-2024-0727", "2024-01-26", "OpenSSL", "OpenSSL", "openssl-libs", Rpm9,
        "1:3.0.7-24.el9", "1:3.0.7-27.el9", "AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "CWE-476", "", false, 0.00110,
        "", "openssl: denial of service via null dereference",
        "processing a maliciously formatted PKCS12 file may crash OpenSSL"),
    cve!("CVE-2024-6387", "2024-07-01", "OpenBSD", "OpenSSH", "openssh-server", Rpm9,
        "8.7p1-34.el9", "8.7p1-38.el9_4.1", "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "CWE-362", "", false, 0.41320,
        "", "openssh: regreSSHion - race condition in SSH allows RCE/DoS",
        "a signal handler race condition in sshd that may allow unauthenticated remote code execution as root"),
    cve!("CVE-2023-22809", "2023-01-18", "Sudo", "Sudo", "sudo", Rpm9,
        "1.9.5p2-7.el9", "1.9.5p2-9.el9_1", LPE, "CWE-269", "", false, 0.00060,
        "", "sudo: arbitrary file write with privileges of the RunAs user",
        "sudoedit mishandles extra arguments in user-provided environment variables, allowing edits of arbitrary files"),
    cve!("CVE-2024-32487", "2024-04-13", "GNU", "less", "less", Rpm9,
        "590-2.el9_2", "590-4.el9_4", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "CWE-78", "", false, 0.00050,
        "", "less: OS command injection",
        "less mishandles newline characters in file names, allowing command injection via LESSOPEN"),
    cve!("CVE-2023-24329", "2023-02-17", "Python", "CPython", "python3", Rpm9,
        "3.9.16-1.el9", "3.9.18-1.el9_3", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", "CWE-20", "", false, 0.00410,
        "", "python: urllib.parse url blocklisting bypass",
        "urllib.parse allows attackers to bypass blocklisting by supplying a URL that starts with blank characters"),
    cve!("CVE-2023-50387", "2024-02-14", "ISC", "BIND", "bind-libs", Rpm9,
        "32:9.16.23-14.el9_3", "32:9.16.23-15.el9_3", NDOS, "CWE-770", "", false, 0.04890,
        "", "bind9: KeyTrap - Extreme CPU consumption in DNSSEC validator",
        "crafted DNSSEC-signed zones can make a validating resolver exhaust CPU (KeyTrap)"),
    // ---- CentOS 6 (legacy) -------------------------------------------------------
    cve!("CVE-2014-6271", "2014-09-24", "GNU", "GNU Bash", "bash", Rpm6,
        "4.1.2-15.el6_4", "4.1.2-15.el6_5.1", NCRIT, "CWE-78", "2022-01-28", false, 0.97560,
        "Arbitrary Code Execution Vulnerability", "bash: specially-crafted environment variables can be used to inject shell commands (Shellshock)",
        "a flaw in how bash processes trailing strings after function definitions in environment variables that allows command injection (Shellshock)"),
    cve!("CVE-2016-5195", "2016-11-10", "Linux", "Kernel", "kernel", Rpm6,
        "2.6.32-642.6.1.el6", "2.6.32-642.6.2.el6", "AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", "CWE-362", "2022-03-03", false, 0.57130,
        "Race Condition Vulnerability", "kernel: mm: privilege escalation via MAP_PRIVATE COW breakage (Dirty COW)",
        "a race condition in the memory subsystem's copy-on-write handling that allows local privilege escalation (Dirty COW)"),
    cve!("CVE-2014-0160", "2014-04-07", "OpenSSL", "OpenSSL", "openssl", Rpm6,
        "1.0.1e-15.el6", "1.0.1e-16.el6_5.7", NCONF, "CWE-125", "2022-05-04", false, 0.97450,
        "Information Disclosure Vulnerability", "openssl: information disclosure in handling of TLS heartbeat extension packets (Heartbleed)",
        "an out-of-bounds read in the TLS heartbeat extension that discloses process memory, including private keys (Heartbleed)"),
    // ---- Alpine 3.18 packages ------------------------------------------------------
    cve!("CVE-2023-5678", "2023-11-06", "OpenSSL", "OpenSSL", "libcrypto3", Apk,
        "3.1.3-r0", "3.1.4-r1", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "CWE-754", "", false, 0.00250,
        "", "openssl: Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow",
        "applications that use DH_generate_key() or DH_check_pub_key() on untrusted input may be vulnerable to denial of service"),
    cve!("CVE-2023-38545", "2023-10-18", "haxx", "curl", "curl", Apk,
        "8.3.0-r0", "8.4.0-r0", NCRIT, "CWE-787", "", false, 0.29410,
        "", "curl: heap based buffer overflow in the SOCKS5 proxy handshake",
        "a heap-based buffer overflow in the SOCKS5 proxy handshake when the hostname is longer than 255 bytes"),
    cve!("CVE-2022-37434", "2022-08-05", "zlib", "zlib", "zlib", Apk,
        "1.2.12-r1", "1.2.12-r2", NCRIT, "CWE-787", "", false, 0.01650,
        "", "zlib: heap-based buffer over-read and overflow in inflate() in inflate.c via a large gzip header extra field",
        "inflateGetHeader has a heap-based buffer over-read or overflow via a large gzip header extra field"),
    cve!("CVE-2023-42363", "2023-11-27", "BusyBox", "BusyBox", "busybox", Apk,
        "1.36.1-r2", "1.36.1-r5", "AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "CWE-416", "", false, 0.00050,
        "", "busybox: use-after-free in awk",
        "a use-after-free in the xasprintf function of awk"),
    cve!("CVE-2024-2511", "2024-04-08", "OpenSSL", "OpenSSL", "libssl3", Apk,
        "3.1.4-r1", "3.1.4-r6", NDOS, "CWE-1325", "", false, 0.00190,
        "", "openssl: Unbounded memory growth with session handling in TLSv1.3",
        "some non-default TLS server configurations can cause unbounded memory growth"),
    // ---- Windows OS updates (servers and workstations) -----------------------------
    cve!("CVE-2023-28252", "2023-04-11", "Microsoft", "Windows", "KB5025229", Win,
        "10.0.17763.4131", "10.0.17763.4252", LPE, "CWE-787", "2023-04-11", true, 0.05120,
        "Privilege Escalation Vulnerability", "Windows Common Log File System Driver elevation of privilege",
        "a flaw in the Common Log File System driver that lets a local attacker gain SYSTEM privileges"),
    cve!("CVE-2021-36934", "2021-07-22", "Microsoft", "Windows", "KB5005030", Win,
        "10.0.17763.2061", "10.0.17763.2114", LPE, "CWE-269", "2022-02-10", false, 0.25410,
        "Privilege Escalation Vulnerability", "Windows elevation of privilege via SAM ACLs (HiveNightmare)",
        "overly permissive ACLs on system files including the SAM database that allow local privilege escalation (HiveNightmare)"),
    cve!("CVE-2021-1732", "2021-02-25", "Microsoft", "Win32k", "KB4601345", Win,
        "10.0.17763.1697", "10.0.17763.1757", LPE, "CWE-269", "2021-11-03", true, 0.04630,
        "Privilege Escalation Vulnerability", "Windows Win32k elevation of privilege",
        "a flaw in the Win32k driver that allows a local attacker to gain SYSTEM privileges"),
    cve!("CVE-2022-30190", "2022-06-01", "Microsoft", "Windows", "KB5014692", Win,
        "10.0.17763.2928", "10.0.17763.3046", LUI, "CWE-610", "2022-06-14", true, 0.96050,
        "Remote Code Execution Vulnerability", "Microsoft Support Diagnostic Tool remote code execution (Follina)",
        "a flaw that lets the Support Diagnostic Tool be invoked through the URL protocol from applications such as Word, allowing code execution (Follina)"),
    cve!("CVE-2023-24932", "2023-05-09", "Microsoft", "Windows", "KB5026362", Win,
        "10.0.17763.4252", "10.0.17763.4377", "AV:P/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H", "CWE-287", "", false, 0.00210,
        "", "Secure Boot security feature bypass (BlackLotus)",
        "an attacker with physical access or administrative rights can bypass Secure Boot"),
    cve!("CVE-2024-38063", "2024-08-13", "Microsoft", "Windows TCP/IP", "KB5041578", Win,
        "10.0.17763.6054", "10.0.17763.6189", NCRIT, "CWE-191", "", false, 0.05224,
        "", "Windows TCP/IP IPv6 remote code execution",
        "an integer underflow in IPv6 packet processing that may allow remote code execution"),
    cve!("CVE-2024-43451", "2024-11-12", "Microsoft", "Windows", "KB5046615", Win,
        "10.0.17763.6414", "10.0.17763.6532", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N", "CWE-73", "2024-11-12", false, 0.02120,
        "NTLMv2 Hash Disclosure Spoofing Vulnerability", "NTLM hash disclosure spoofing",
        "a spoofing flaw whereby minimal interaction with a malicious file discloses the user's NTLMv2 hash"),
    cve!("CVE-2023-23397", "2023-03-14", "Microsoft", "Office Outlook", "KB5002254", Win,
        "16.0.5387.1000", "16.0.5387.1002", NCRIT, "CWE-294", "2023-03-14", false, 0.92240,
        "Privilege Escalation Vulnerability", "Microsoft Outlook elevation of privilege via NTLM relay",
        "a flaw whereby a crafted message with an extended MAPI property makes Outlook leak the user's Net-NTLMv2 hash"),
    // ---- Desktop applications (workstations) ------------------------------------------
    cve!("CVE-2023-4863", "2023-09-12", "Google", "Chromium WebP", "Google Chrome", WinApp,
        "116.0.5845.141", "116.0.5845.187", NUI, "CWE-787", "2023-09-13", false, 0.41350,
        "Heap-Based Buffer Overflow Vulnerability", "Google Chrome heap buffer overflow in WebP",
        "a heap buffer overflow in the WebP codec that allows a remote attacker to write out of bounds through a crafted HTML page"),
    cve!("CVE-2024-4671", "2024-05-14", "Google", "Chromium Visuals", "Google Chrome", WinApp,
        "124.0.6367.118", "124.0.6367.201", "AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", "CWE-416", "2024-05-13", false, 0.02430,
        "Use-After-Free Vulnerability", "Google Chrome use after free in Visuals",
        "a use-after-free in Visuals that allows a remote attacker who compromised the renderer to escape the sandbox"),
    cve!("CVE-2023-38831", "2023-08-23", "RARLAB", "WinRAR", "WinRAR", WinApp,
        "6.22", "6.23", LUI, "CWE-351", "2023-08-24", false, 0.68930,
        "Code Execution Vulnerability", "WinRAR code execution when opening a crafted archive",
        "a flaw that lets attackers execute code when a user opens a benign file inside a crafted ZIP archive"),
    cve!("CVE-2023-40477", "2023-08-17", "RARLAB", "WinRAR", "WinRAR", WinApp,
        "6.22", "6.23", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "CWE-129", "", false, 0.04120,
        "", "WinRAR recovery volume improper validation",
        "improper validation of array indices when processing recovery volumes allows code execution"),
    cve!("CVE-2024-11477", "2024-11-22", "Igor Pavlov", "7-Zip", "7-Zip", WinApp,
        "24.07", "24.08", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "CWE-191", "", false, 0.00320,
        "", "7-Zip Zstandard decompression integer underflow",
        "an integer underflow in Zstandard decompression allows code execution with a crafted archive"),
    cve!("CVE-2023-21608", "2023-01-18", "Adobe", "Acrobat and Reader", "Adobe Acrobat Reader DC", WinApp,
        "22.003.20282", "22.003.20310", LUI, "CWE-416", "2023-10-10", false, 0.62110,
        "Use-After-Free Vulnerability", "Adobe Acrobat Reader use-after-free",
        "a use-after-free in Acrobat Reader that could result in arbitrary code execution when opening a crafted file"),
    cve!("CVE-2024-21412", "2024-02-13", "Microsoft", "Windows", "KB5034768", Win,
        "10.0.17763.5329", "10.0.17763.5458", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "CWE-693", "2024-02-13", false, 0.05780,
        "Internet Shortcut Files Security Feature Bypass Vulnerability", "Internet Shortcut Files security feature bypass",
        "a flaw whereby a crafted Internet Shortcut file bypasses the Mark of the Web and SmartScreen warnings"),
];

/// Whether the CVSS vector has a network or adjacent attack vector.
pub(crate) fn network(vector: &str) -> bool {
    vector.contains("AV:N") || vector.contains("AV:A")
}

impl Cve {
    /// The description as a sentence.
    pub(crate) fn sentence(&self) -> String {
        let mut chars = self.desc.chars();
        match chars.next() {
            Some(f) => format!("{}{}.", f.to_ascii_uppercase(), chars.as_str()),
            None => String::new(),
        }
    }

    pub(crate) fn is_kev(&self) -> bool {
        !self.kev.is_empty()
    }

    /// KEV or EPSS at or above the default threshold (0.5).
    pub(crate) fn exploitable_intel(&self) -> bool {
        self.is_kev() || self.epss >= 0.5
    }

    pub(crate) fn network(&self) -> bool {
        network(self.vector)
    }

    pub(crate) fn score(&self) -> f64 {
        cvss31_base(self.vector)
    }

    pub(crate) fn vector31(&self) -> String {
        format!("CVSS:3.1/{}", self.vector)
    }

    /// The vulnerable component's display name for Trivy (`libc6`, `lodash`,
    /// `org.apache.logging.log4j:log4j-core`).
    pub(crate) fn purl(&self, distro: &str) -> String {
        let v = self.vulnerable;
        match self.eco {
            Eco::Deb => format!(
                "pkg:deb/debian/{}@{}?arch=amd64&distro={}",
                self.pkg,
                v.replace('+', "%2B").replace(':', "%3A"),
                distro
            ),
            Eco::Rpm8 | Eco::Rpm9 | Eco::Rpm6 => {
                let (epoch, ver) = match v.split_once(':') {
                    Some((e, r)) => (Some(e), r),
                    None => (None, v),
                };
                let mut s = format!("pkg:rpm/redhat/{}@{}?arch=x86_64", self.pkg, ver);
                if let Some(e) = epoch {
                    s.push_str("&epoch=");
                    s.push_str(e);
                }
                s.push_str("&distro=");
                s.push_str(distro);
                s
            }
            Eco::Apk => format!(
                "pkg:apk/alpine/{}@{}?arch=x86_64&distro={}",
                self.pkg, v, distro
            ),
            Eco::Maven => {
                let (g, a) = self.pkg.split_once(':').unwrap_or(("", self.pkg));
                format!("pkg:maven/{g}/{a}@{v}")
            }
            Eco::Npm => format!("pkg:npm/{}@{v}", self.pkg.replace('@', "%40")),
            Eco::Pip => format!("pkg:pypi/{}@{v}", self.pkg),
            Eco::Go => format!("pkg:golang/{}@{v}", self.pkg),
            Eco::Win | Eco::WinApp | Eco::Net(_) => String::new(),
        }
    }
}

/// The first catalogue entry for this CVE on this kind of platform.
pub(crate) fn find(id: &str, eco: fn(Eco) -> bool) -> &'static Cve {
    CVES.iter()
        .find(|c| c.id == id && eco(c.eco))
        .or_else(|| CVES.iter().find(|c| c.id == id))
        .unwrap_or(&CVES[0])
}

/// The CVSS v3.1 base score of a vector (`AV:N/AC:L/...`, with or without the
/// `CVSS:3.x/` prefix), per the FIRST specification, including its `Roundup`.
pub(crate) fn cvss31_base(vector: &str) -> f64 {
    let mut av = 0.85;
    let mut ac = 0.77;
    let mut pr = "N";
    let mut ui = 0.85;
    let mut changed = false;
    let (mut c, mut i, mut a) = (0.0, 0.0, 0.0);
    let cia = |v: &str| match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    };
    for part in vector.split('/') {
        let Some((k, v)) = part.split_once(':') else {
            continue;
        };
        match k {
            "AV" => {
                av = match v {
                    "N" => 0.85,
                    "A" => 0.62,
                    "L" => 0.55,
                    _ => 0.2,
                }
            }
            "AC" => ac = if v == "L" { 0.77 } else { 0.44 },
            "PR" => {
                pr = if v == "N" {
                    "N"
                } else if v == "L" {
                    "L"
                } else {
                    "H"
                }
            }
            "UI" => ui = if v == "N" { 0.85 } else { 0.62 },
            "S" => changed = v == "C",
            "C" => c = cia(v),
            "I" => i = cia(v),
            "A" => a = cia(v),
            _ => {}
        }
    }
    let pr = match (pr, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    };
    let iss: f64 = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return 0.0;
    }
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    roundup(raw)
}

fn roundup(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// Qualitative severity of a CVSS score, upper case as Trivy writes it.
pub(crate) fn severity_upper(score: f64) -> &'static str {
    if score >= 9.0 {
        "CRITICAL"
    } else if score >= 7.0 {
        "HIGH"
    } else if score >= 4.0 {
        "MEDIUM"
    } else if score > 0.0 {
        "LOW"
    } else {
        "UNKNOWN"
    }
}

/// Nessus severity 0–4 of a CVSS score.
pub(crate) fn nessus_severity(score: f64) -> u8 {
    if score >= 9.0 {
        4
    } else if score >= 7.0 {
        3
    } else if score >= 4.0 {
        2
    } else if score > 0.0 {
        1
    } else {
        0
    }
}

/// A Nessus plugin that reports a configuration weakness rather than a CVE.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plugin {
    pub id: u32,
    pub name: &'static str,
    pub family: &'static str,
    pub vector: &'static str,
    pub synopsis: &'static str,
    pub solution: &'static str,
    pub fname: &'static str,
}

#[rustfmt::skip]
pub(crate) static PLUGINS: &[Plugin] = &[
    Plugin { id: 57582, name: "SSL Self-Signed Certificate", family: "General",
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N",
        synopsis: "The SSL certificate chain for this service ends in an unrecognized self-signed certificate.",
        solution: "Purchase or generate a proper SSL certificate for this service.", fname: "ssl_self_signed.nasl" },
    Plugin { id: 51192, name: "SSL Certificate Cannot Be Trusted", family: "General",
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N",
        synopsis: "The SSL certificate for this service cannot be trusted.",
        solution: "Purchase or generate a proper SSL certificate for this service.", fname: "ssl_certificate_chain.nasl" },
    Plugin { id: 57608, name: "SMB Signing not required", family: "Misc.",
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N",
        synopsis: "Signing is not required on the remote SMB server.",
        solution: "Enforce message signing in the host's configuration ('Microsoft network server: Digitally sign communications (always)').", fname: "smb_signing_disabled.nasl" },
    Plugin { id: 104743, name: "TLS Version 1.0 Protocol Detection", family: "Service detection",
        vector: "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
        synopsis: "The remote service encrypts traffic using an older version of TLS.",
        solution: "Enable support for TLS 1.2 and 1.3, and disable support for TLS 1.0.", fname: "tls10_detection.nasl" },
    Plugin { id: 157288, name: "TLS Version 1.1 Deprecated Protocol", family: "Service detection",
        vector: "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
        synopsis: "The remote service encrypts traffic using an older version of TLS.",
        solution: "Enable support for TLS 1.2 and/or 1.3, and disable support for TLS 1.1.", fname: "tls11_detection.nasl" },
    Plugin { id: 42873, name: "SSL Medium Strength Cipher Suites Supported (SWEET32)", family: "General",
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        synopsis: "The remote service supports the use of medium strength SSL ciphers.",
        solution: "Reconfigure the affected application if possible to avoid use of medium strength ciphers.", fname: "ssl_medium_supported_ciphers.nasl" },
    Plugin { id: 90317, name: "SSH Weak Algorithms Supported", family: "Misc.",
        vector: "AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N",
        synopsis: "The remote SSH server is configured to allow weak encryption algorithms or no algorithm at all.",
        solution: "Contact the vendor or consult product documentation to remove the weak ciphers.", fname: "ssh_weak_algorithms.nasl" },
    Plugin { id: 70658, name: "SSH Server CBC Mode Ciphers Enabled", family: "Misc.",
        vector: "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
        synopsis: "The SSH server is configured to use Cipher Block Chaining.",
        solution: "Contact the vendor or consult product documentation to disable CBC mode cipher encryption, and enable CTR or GCM cipher mode encryption.", fname: "ssh_cbc_supported_ciphers.nasl" },
    Plugin { id: 58453, name: "Terminal Services Doesn't Use Network Level Authentication (NLA) Only", family: "Misc.",
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
        synopsis: "The remote Terminal Services doesn't use Network Level Authentication only.",
        solution: "Enable Network Level Authentication (NLA) on the remote RDP server.", fname: "rdp_nla_not_enabled.nasl" },
    Plugin { id: 18405, name: "Microsoft Windows Remote Desktop Protocol Server Man-in-the-Middle Weakness", family: "Windows",
        vector: "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:L/A:N",
        synopsis: "It may be possible to get access to the remote host.",
        solution: "Force the use of SSL as a transport layer for this service, or select 'Allow connections only from computers running Remote Desktop with Network Level Authentication'.", fname: "tssvc_mim.nasl" },
    Plugin { id: 11213, name: "HTTP TRACE / TRACK Methods Allowed", family: "Web Servers",
        vector: "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:N/A:N",
        synopsis: "Debugging functions are enabled on the remote web server.",
        solution: "Disable these HTTP methods.", fname: "xst.nasl" },
    Plugin { id: 15901, name: "SSL Certificate Expiry", family: "General",
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N",
        synopsis: "The remote server's SSL certificate has already expired.",
        solution: "Purchase or generate a new SSL certificate to replace the existing one.", fname: "ssl_certificate_expiry.nasl" },
    Plugin { id: 41028, name: "SNMP Agent Default Community Name (public)", family: "SNMP",
        vector: "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        synopsis: "The community name of the remote SNMP server can be guessed.",
        solution: "Disable the SNMP service on the remote host if you do not use it, or change the default community string.", fname: "snmp_default_communities.nasl" },
    Plugin { id: 108797, name: "Unsupported Windows OS (remote)", family: "Windows",
        vector: "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        synopsis: "The remote OS or service pack is no longer supported.",
        solution: "Upgrade to a supported service pack or operating system.", fname: "os_unsupported_windows_remote.nasl" },
    Plugin { id: 33850, name: "Unix Operating System Unsupported Version Detection", family: "General",
        vector: "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        synopsis: "The operating system running on the remote host is no longer supported.",
        solution: "Upgrade to a version of the Unix operating system that is currently supported.", fname: "unsupported_operating_system.nasl" },
];

pub(crate) fn plugin(id: u32) -> &'static Plugin {
    PLUGINS.iter().find(|p| p.id == id).unwrap_or(&PLUGINS[0])
}

/// A code-scanning rule (SARIF).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeRule {
    pub tool: CodeTool,
    pub id: &'static str,
    pub name: &'static str,
    pub cwe: &'static str,
    pub cwe_title: &'static str,
    pub security_severity: &'static str,
    pub level: &'static str,
    pub short: &'static str,
    pub message: &'static str,
    /// Languages the rule applies to.
    pub lang: Lang,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeTool {
    Semgrep,
    CodeQl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Java,
    TypeScript,
    Python,
    Go,
    Any,
}

macro_rules! rule {
    ($tool:expr, $lang:expr, $id:expr, $name:expr, $cwe:expr, $cwet:expr, $sev:expr, $lvl:expr, $short:expr, $msg:expr) => {
        CodeRule {
            tool: $tool,
            lang: $lang,
            id: $id,
            name: $name,
            cwe: $cwe,
            cwe_title: $cwet,
            security_severity: $sev,
            level: $lvl,
            short: $short,
            message: $msg,
        }
    };
}

const SQLI: &str =
    "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')";
const XSS: &str =
    "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')";
const SECRET: &str = "Use of Hard-coded Credentials";
const PATH: &str = "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')";

#[rustfmt::skip]
pub(crate) static CODE_RULES: &[CodeRule] = &[
    rule!(CodeTool::CodeQl, Lang::Java, "java/sql-injection", "SqlTainted", "CWE-89", SQLI, "8.8", "error",
        "Query built from user-controlled sources", "This query depends on a user-provided value."),
    rule!(CodeTool::CodeQl, Lang::Java, "java/path-injection", "TaintedPath", "CWE-22", PATH, "7.5", "error",
        "Uncontrolled data used in path expression", "This path depends on a user-provided value."),
    rule!(CodeTool::CodeQl, Lang::Java, "java/unsafe-deserialization", "UnsafeDeserialization", "CWE-502", "Deserialization of Untrusted Data", "9.8", "error",
        "Deserialization of user-controlled data", "Unsafe deserialization depends on a user-provided value."),
    rule!(CodeTool::CodeQl, Lang::Java, "java/ssrf", "RequestForgery", "CWE-918", "Server-Side Request Forgery (SSRF)", "9.1", "error",
        "Server-side request forgery", "Potential server-side request forgery due to a user-provided value."),
    rule!(CodeTool::CodeQl, Lang::Java, "java/hardcoded-credential-api-call", "HardcodedCredentialsApiCall", "CWE-798", SECRET, "9.8", "error",
        "Hard-coded credential in API call", "Hard-coded value flows to a sensitive API call."),
    rule!(CodeTool::CodeQl, Lang::Java, "java/xxe", "XXE", "CWE-611", "Improper Restriction of XML External Entity Reference", "9.1", "error",
        "Resolving XML external entity in user-controlled data", "XML parsing depends on a user-provided value without guarding against external entity expansion."),
    rule!(CodeTool::CodeQl, Lang::Java, "java/log-injection", "LogInjection", "CWE-117", "Improper Output Neutralization for Logs", "7.8", "error",
        "Log Injection", "This log entry depends on a user-provided value."),
    rule!(CodeTool::CodeQl, Lang::Java, "java/weak-cryptographic-algorithm", "BrokenCryptoAlgorithm", "CWE-327", "Use of a Broken or Risky Cryptographic Algorithm", "7.5", "warning",
        "Use of a broken or risky cryptographic algorithm", "Cryptographic algorithm DES is weak and should not be used."),
    rule!(CodeTool::Semgrep, Lang::TypeScript, "javascript.express.security.audit.xss.direct-response-write.direct-response-write", "javascript.express.security.audit.xss.direct-response-write.direct-response-write", "CWE-79", XSS, "6.1", "warning",
        "Semgrep Finding: javascript.express.security.audit.xss.direct-response-write.direct-response-write", "Detected directly writing to a Response object from user-defined input. This bypasses any HTML escaping and may expose your application to a Cross-Site-scripting (XSS) vulnerability."),
    rule!(CodeTool::Semgrep, Lang::TypeScript, "javascript.sequelize.security.audit.sequelize-injection-express.express-sequelize-injection", "javascript.sequelize.security.audit.sequelize-injection-express.express-sequelize-injection", "CWE-89", SQLI, "8.8", "error",
        "Semgrep Finding: javascript.sequelize.security.audit.sequelize-injection-express.express-sequelize-injection", "Detected a sequelize statement that is tainted by user-input. This could lead to SQL injection."),
    rule!(CodeTool::Semgrep, Lang::TypeScript, "javascript.jsonwebtoken.security.jwt-hardcode.hardcoded-jwt-secret", "javascript.jsonwebtoken.security.jwt-hardcode.hardcoded-jwt-secret", "CWE-798", SECRET, "7.5", "error",
        "Semgrep Finding: javascript.jsonwebtoken.security.jwt-hardcode.hardcoded-jwt-secret", "A hard-coded credential was detected. It is not recommended to store credentials in source-code, as this risks secrets being leaked and used by either an internal or external malicious adversary."),
    rule!(CodeTool::Semgrep, Lang::TypeScript, "javascript.express.security.audit.express-path-join-resolve-traversal.express-path-join-resolve-traversal", "javascript.express.security.audit.express-path-join-resolve-traversal.express-path-join-resolve-traversal", "CWE-22", PATH, "7.5", "warning",
        "Semgrep Finding: javascript.express.security.audit.express-path-join-resolve-traversal.express-path-join-resolve-traversal", "Possible writing outside of the destination, make sure that the target path is nested in the intended destination."),
    rule!(CodeTool::Semgrep, Lang::Python, "python.lang.security.audit.formatted-sql-query.formatted-sql-query", "python.lang.security.audit.formatted-sql-query.formatted-sql-query", "CWE-89", SQLI, "8.8", "warning",
        "Semgrep Finding: python.lang.security.audit.formatted-sql-query.formatted-sql-query", "Detected possible formatted SQL query. Use parameterized queries instead."),
    rule!(CodeTool::Semgrep, Lang::Python, "python.flask.security.injection.path-traversal-open.path-traversal-open", "python.flask.security.injection.path-traversal-open.path-traversal-open", "CWE-22", PATH, "7.5", "error",
        "Semgrep Finding: python.flask.security.injection.path-traversal-open.path-traversal-open", "Found request data in a call to 'open'. Ensure the request data is validated or sanitized, otherwise it could result in path traversal attacks."),
    rule!(CodeTool::Semgrep, Lang::Python, "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true", "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true", "CWE-78", "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')", "8.1", "error",
        "Semgrep Finding: python.lang.security.audit.subprocess-shell-true.subprocess-shell-true", "Found 'subprocess' function with 'shell=True'. This is dangerous because this call will spawn the command using a shell process."),
    rule!(CodeTool::Semgrep, Lang::Go, "go.lang.security.audit.database.string-formatted-query.string-formatted-query", "go.lang.security.audit.database.string-formatted-query.string-formatted-query", "CWE-89", SQLI, "8.8", "warning",
        "Semgrep Finding: go.lang.security.audit.database.string-formatted-query.string-formatted-query", "String-formatted SQL query detected. This could lead to SQL injection if the string is not sanitized properly."),
    rule!(CodeTool::Semgrep, Lang::Any, "generic.secrets.security.detected-aws-access-key-id-value.detected-aws-access-key-id-value", "generic.secrets.security.detected-aws-access-key-id-value.detected-aws-access-key-id-value", "CWE-798", SECRET, "7.5", "error",
        "Semgrep Finding: generic.secrets.security.detected-aws-access-key-id-value.detected-aws-access-key-id-value", "AWS Access Key ID Value detected. This is a sensitive credential and should not be hardcoded here."),
    rule!(CodeTool::Semgrep, Lang::Any, "generic.secrets.security.detected-generic-secret.detected-generic-secret", "generic.secrets.security.detected-generic-secret.detected-generic-secret", "CWE-798", SECRET, "7.5", "error",
        "Semgrep Finding: generic.secrets.security.detected-generic-secret.detected-generic-secret", "Generic Secret detected"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores_match_nvd() {
        assert_eq!(cvss31_base(NCRIT), 9.8);
        assert_eq!(cvss31_base(NSCOPE), 10.0);
        assert_eq!(cvss31_base(NCONF), 7.5);
        assert_eq!(cvss31_base(LPE), 7.8);
        assert_eq!(cvss31_base(NUI), 8.8);
        assert_eq!(cvss31_base("AV:A/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"), 8.0);
        assert_eq!(cvss31_base("AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H"), 9.0);
        assert_eq!(cvss31_base("AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
        assert_eq!(cvss31_base("AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
    }

    #[test]
    fn catalogue_is_well_formed() {
        assert!(CVES.len() >= 80, "{} entries", CVES.len());
        for c in CVES {
            assert!(c.id.starts_with("CVE-"), "{}", c.id);
            assert!(c.cwe.starts_with("CWE-"), "{}", c.id);
            assert!((0.0..=1.0).contains(&c.epss), "{}", c.id);
            assert!(c.score() > 0.0, "{}", c.id);
            if c.is_kev() {
                assert!(!c.name.is_empty(), "{} is in KEV but has no name", c.id);
            }
        }
        // The same CVE on two platforms carries the same intel.
        for a in CVES {
            for b in CVES.iter().filter(|b| b.id == a.id) {
                assert_eq!(
                    (a.kev, a.epss.to_bits()),
                    (b.kev, b.epss.to_bits()),
                    "{}",
                    a.id
                );
            }
        }
    }
}
