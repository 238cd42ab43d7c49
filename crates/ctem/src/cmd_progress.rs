//! The ingest progress bar: bytes read and findings written, drawn on
//! stderr only when it is a terminal and only once an import has taken more
//! than a second (short imports print just the summary table).

use crate::commands::Ctx;
use crate::engine::{self, IngestProgress, IngestReport};
use crate::error::Result;
use ctem_store::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

/// Imports shorter than this draw no bar.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// True when stderr is a terminal (`--progress auto` draws a bar then).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Ingests one file through the engine, with a bar when `ctx.bar`.
pub fn ingest_file(ctx: &Ctx, store: &mut Store, path: &Path) -> Result<IngestReport> {
    if !ctx.bar {
        return engine::ingest_file(store, path, &ctx.actor, ctx.progress);
    }
    let bar = Bar::new(path);
    let mut observe = |p: &IngestProgress| bar.update(p);
    let r = engine::ingest_file_observed(store, path, &ctx.actor, ctx.progress, &mut observe);
    bar.finish();
    r
}

struct Bar {
    bar: ProgressBar,
    started: Instant,
}

impl Bar {
    fn new(path: &Path) -> Bar {
        // Hidden until the import has run for a second.
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} · {msg} · {elapsed}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        bar.set_prefix(name);
        Bar {
            bar,
            started: Instant::now(),
        }
    }

    fn update(&self, p: &IngestProgress) {
        if self.bar.is_hidden() && !p.done && self.started.elapsed() >= QUIET_FOR {
            self.bar
                .set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        }
        self.bar.set_length(p.bytes_total);
        self.bar.set_position(p.bytes_read.min(p.bytes_total));
        self.bar.set_message(format!("{} findings", p.findings));
    }

    fn finish(&self) {
        // The summary table follows; leave no half-drawn bar behind.
        self.bar.finish_and_clear();
    }
}
