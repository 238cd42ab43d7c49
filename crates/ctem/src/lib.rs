//! The `ctem` command: a thin layer over the library crates.
//!
//! `cli` declares the command line and `commands` runs each subcommand by
//! calling `ctem-engine`, which wires the phases of the CTEM loop together
//! over the store.

#![forbid(unsafe_code)]

pub mod cli;
pub mod cmd_feeds;
pub mod cmd_graph;
pub mod cmd_mobilise;
pub mod cmd_prioritise;
pub mod cmd_progress;
pub mod cmd_server;
pub mod commands;
pub mod table;

/// The CLI's view of the engine: its errors carry exit codes.
pub mod error {
    pub use ctem_engine::{Error as CliError, ErrorKind as ExitCode, Result};
}
pub use ctem_engine as engine;
pub use ctem_engine::workspace;

use clap::Parser;

/// Parses the arguments, runs the command and returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                error::ExitCode::Usage as u8
            } else {
                0
            };
            let _ = e.print();
            return code;
        }
    };
    let progress = match cli.progress {
        cli::ProgressArg::Lines => engine::Progress::Lines,
        _ => engine::Progress::None,
    };
    let bar = match cli.progress {
        cli::ProgressArg::Bar => true,
        cli::ProgressArg::Auto => cmd_progress::stderr_is_terminal(),
        cli::ProgressArg::None | cli::ProgressArg::Lines => false,
    };
    let ctx = commands::Ctx {
        ws: workspace::Workspace::new(cli.workspace.clone()).with_database(cli.database.clone()),
        output: cli.output,
        progress,
        bar,
        actor: std::env::var("CTEM_ACTOR")
            .or_else(|_| std::env::var("USER"))
            .map(|u| format!("cli:{u}"))
            .unwrap_or_else(|_| "cli".to_string()),
    };
    match commands::run(&ctx, cli.command) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            e.code as u8
        }
    }
}
