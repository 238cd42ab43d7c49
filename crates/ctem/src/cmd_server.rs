//! `ctem serve`, `ctem token` and `ctem user`: the server and its access
//! control, from the command line. The server itself lives in `ctem-server`.

use crate::cli::Output;
use crate::commands::Ctx;
use crate::error::{CliError, ExitCode, Result};
use clap::{Args, Subcommand};
use ctem_server::auth::{self, Role};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `ctem serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Put a TLS-terminating proxy in front
    /// for anything but loopback.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Run the loop on a schedule (e.g. 24h, 30m): re-ingest the watched
    /// folders, load new feed files, re-prioritise; every run is recorded.
    #[arg(long, value_name = "EVERY")]
    pub schedule: Option<String>,
    /// A folder of scanner reports that each run ingests (new files only).
    #[arg(long)]
    pub watch: Vec<PathBuf>,
    /// A folder of KEV/EPSS files that each run loads (new files only).
    #[arg(long)]
    pub feeds: Vec<PathBuf>,
    /// Largest report upload accepted by POST /api/v1/imports, in MiB.
    #[arg(long, default_value_t = 1024)]
    pub max_upload_mb: u64,
    /// Mark the session cookie Secure (when TLS terminates in front).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Store connections the server keeps open (each request holds one for
    /// its queries).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub pool_size: u16,
}

/// `ctem token`.
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create an API token; it is shown once and only its SHA-256 is stored.
    Create {
        /// admin, analyst, service_owner or auditor.
        #[arg(long)]
        role: String,
        /// A name saying who uses it (e.g. the pipeline).
        #[arg(long, default_value = "api")]
        name: String,
        /// A service the token may see (service owners; repeatable).
        #[arg(long = "service")]
        services: Vec<String>,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_days: Option<i64>,
    },
    /// List tokens (never their values).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

/// `ctem user`.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a dashboard user, or reset an existing one's password and role.
    /// The password is read from CTEM_PASSWORD or the first line of stdin.
    Add {
        username: String,
        /// admin, analyst, service_owner or auditor.
        #[arg(long)]
        role: String,
        /// A service the user owns (service owners; repeatable).
        #[arg(long = "service")]
        services: Vec<String>,
    },
    /// List users.
    List,
}

fn role_and_services(ctx: &Ctx, role: &str, services: &[String]) -> Result<Role> {
    let r = Role::parse(role).ok_or_else(|| {
        CliError::new(
            ExitCode::Usage,
            format!("unknown role `{role}`: use admin, analyst, service_owner or auditor"),
        )
    })?;
    if r == Role::ServiceOwner && services.is_empty() {
        return Err(CliError::new(
            ExitCode::Usage,
            "a service owner needs at least one --service ID",
        ));
    }
    if r != Role::ServiceOwner && !services.is_empty() {
        return Err(CliError::new(
            ExitCode::Usage,
            "--service applies to the service_owner role only",
        ));
    }
    let scope = ctx.ws.load_scope()?;
    for s in services {
        if scope.service(s).is_none() {
            return Err(CliError::invalid(format!(
                "no service `{s}` in {}",
                ctx.ws.scope_path().display()
            )));
        }
    }
    Ok(r)
}

pub fn serve(ctx: &Ctx, args: ServeArgs) -> Result<()> {
    let mut cfg = ctem_server::ServeConfig::new(ctx.ws.dir.clone());
    cfg.database = ctx.ws.database.clone();
    cfg.schedule = args
        .schedule
        .as_deref()
        .map(ctem_server::schedule::parse_duration)
        .transpose()
        .map_err(|e| CliError::new(ExitCode::Usage, e))?;
    for d in args.watch.iter().chain(&args.feeds) {
        if !d.is_dir() {
            return Err(CliError::invalid(format!("{}: not a folder", d.display())));
        }
    }
    cfg.watch = args.watch;
    cfg.feeds = args.feeds;
    cfg.max_upload_bytes = args.max_upload_mb.saturating_mul(1 << 20);
    cfg.secure_cookies = args.secure_cookies;
    cfg.pool_size = usize::from(args.pool_size);
    let state = ctem_server::AppState::open(cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    rt.block_on(async {
        let listener = ctem_server::bind(args.listen)
            .await
            .map_err(|e| CliError::failure(format!("listening on {}: {e}", args.listen)))?;
        let addr = listener.local_addr().map_err(CliError::failure)?;
        eprintln!(
            "ctem serve: workspace {}, database {}, dashboard and API on http://{addr}/ (API under /api/v1, OpenAPI at /api/v1/openapi.json); Ctrl-C stops",
            ctx.ws.dir.display(),
            ctx.ws.db_display()
        );
        ctem_server::run(listener, state)
            .await
            .map_err(CliError::failure)
    })
}

pub fn token(ctx: &Ctx, cmd: TokenCmd) -> Result<()> {
    match cmd {
        TokenCmd::Create {
            role,
            name,
            services,
            expires_days,
        } => {
            let r = role_and_services(ctx, &role, &services)?;
            if let Some(d) = expires_days.filter(|d| *d < 1) {
                return Err(CliError::new(
                    ExitCode::Usage,
                    format!("--expires-days {d}: must be at least 1"),
                ));
            }
            let token = auth::new_token().map_err(CliError::failure)?;
            let expires = expires_days.map(|d| ctem_model::now() + d * ctem_model::DAY);
            let mut store = ctx.ws.open_store()?;
            let id = store.create_token(
                &auth::sha256_hex(&token),
                &name,
                r.as_str(),
                &services,
                expires,
                &ctx.actor,
            )?;
            if ctx.output == Output::Json {
                println!(
                    "{}",
                    serde_json::json!({"id": id, "name": name, "role": r.as_str(), "token": token})
                );
            } else {
                println!("{token}");
                eprintln!(
                    "token {id} ({name}, {}) created: it is shown only now; send it as `Authorization: Bearer <token>`",
                    r.as_str()
                );
            }
            Ok(())
        }
        TokenCmd::List => {
            let store = ctx.ws.open_store()?;
            let list = store.tokens()?;
            if ctx.output == Output::Json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(CliError::failure)?
                );
            } else {
                for t in list {
                    println!(
                        "{:>4}  {:<20} {:<14} {}{}",
                        t.id,
                        t.name,
                        t.role,
                        t.services.join(","),
                        if t.revoked_at.is_some() {
                            "  (revoked)"
                        } else {
                            ""
                        }
                    );
                }
            }
            Ok(())
        }
        TokenCmd::Revoke { id } => {
            let mut store = ctx.ws.open_store()?;
            if store.revoke_token(id, &ctx.actor)? {
                println!("token {id} revoked");
                Ok(())
            } else {
                Err(CliError::invalid(format!(
                    "no live token {id}: see `ctem token list`"
                )))
            }
        }
    }
}

fn read_password() -> Result<String> {
    let p = match std::env::var("CTEM_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(CliError::failure)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if p.chars().count() < 12 {
        return Err(CliError::invalid(
            "the password must have at least 12 characters (from CTEM_PASSWORD or stdin)",
        ));
    }
    Ok(p)
}

pub fn user(ctx: &Ctx, cmd: UserCmd) -> Result<()> {
    match cmd {
        UserCmd::Add {
            username,
            role,
            services,
        } => {
            let r = role_and_services(ctx, &role, &services)?;
            if username.is_empty()
                || username.len() > 64
                || !username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c))
            {
                return Err(CliError::new(
                    ExitCode::Usage,
                    format!(
                        "user name `{username}`: use 1-64 letters, digits, `.`, `_`, `@` or `-`"
                    ),
                ));
            }
            let password = read_password()?;
            let hash = auth::hash_password(&password).map_err(CliError::failure)?;
            let mut store = ctx.ws.open_store()?;
            store.upsert_user(&username, &hash, r.as_str(), &services, &ctx.actor)?;
            println!("user {username} ({}) saved", r.as_str());
            Ok(())
        }
        UserCmd::List => {
            let store = ctx.ws.open_store()?;
            let list = store.users()?;
            if ctx.output == Output::Json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(CliError::failure)?
                );
            } else {
                for u in list {
                    println!("{:<24} {:<14} {}", u.username, u.role, u.services.join(","));
                }
            }
            Ok(())
        }
    }
}
