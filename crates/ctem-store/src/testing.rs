//! Support for test suites that run on PostgreSQL (the store's, the
//! server's, the binary's): the database they may use, the message when
//! they cannot, and a schema of their own that is dropped afterwards.

/// The variable naming the PostgreSQL database tests may use.
pub const POSTGRES_URL_VAR: &str = "CTEM_TEST_POSTGRES_URL";

/// The PostgreSQL URL tests may use, or `None` after writing that `test`
/// is skipped — straight to stderr, past the test harness's capture, so a
/// skip is never silent.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr(),
                format_args!("skipped {test} on PostgreSQL: {POSTGRES_URL_VAR} is not set\n"),
            );
            None
        }
    }
}

/// A test's own PostgreSQL schema, dropped (with everything in it) when
/// this value is, whether the test passed or failed.
pub struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    /// A schema `name` in the database at `url` (created on first use, by
    /// [`crate::Store::open_location`] with [`TestSchema::location`]).
    pub fn new(url: &str, name: &str) -> TestSchema {
        TestSchema {
            url: url.to_string(),
            name: name.to_string(),
        }
    }

    /// The database URL with `schema=` naming this schema.
    pub fn location(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}schema={}", self.url, self.name)
    }

    /// Drops schemas starting with `prefix_` whose name carries the id of
    /// a process that is gone (`prefix_PID_…`): what killed test runs, or
    /// schemas held by statics, left behind.
    pub fn drop_stale(url: &str, prefix: &str) {
        let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) else {
            return;
        };
        let names: Vec<String> = c
            .query(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
                &[&format!("{prefix}_")],
            )
            .map(|rows| rows.iter().map(|r| r.get::<_, String>(0)).collect())
            .unwrap_or_default();
        for name in names {
            let pid = name[prefix.len() + 1..]
                .split('_')
                .next()
                .unwrap_or_default();
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
            }
        }
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}
