//! Pure, streaming parsers: scanner report bytes → normalised
//! [`ctem_model::Finding`]s.
//!
//! No database and no network: a parser reads a [`BufRead`] and hands each
//! finding to a sink as soon as it is complete, so memory does not grow with
//! the number of findings. The formats are listed in one explicit registry
//! ([`formats`]); [`detect`] recognises a format from the first few KB of
//! content (never from the file extension).
//!
//! ```no_run
//! let mut n = 0;
//! let summary = ctem_ingest::parse_path(std::path::Path::new("scan.nessus"), &mut |f| {
//!     n += 1;
//!     println!("{} {} on {}", f.severity, f.weakness.id, f.asset.display_name());
//!     Ok(())
//! })?;
//! println!("{} findings from {} ({} skipped)", summary.findings, summary.tool, summary.skipped);
//! # Ok::<(), ctem_ingest::IngestError>(())
//! ```
//!
//! Input data never causes a panic: malformed, truncated or hostile reports
//! produce an [`IngestError`] naming the file, the line and column, and the
//! cause.

#![forbid(unsafe_code)]

mod error;
mod formats;
mod json;
mod lines;
mod registry;
mod text;
// ingest-a: dependency-scanner and SBOM formats
mod deps;
mod spool;
mod xml;
mod xmltree;

use ctem_model::{AssetIdentity, Finding};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

pub use error::{IngestError, Position};
pub use registry::{Format, SNIFF_LEN, detect, formats};

/// What a parse produced, besides the findings themselves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseSummary {
    /// Registry name of the format (`trivy`, `sarif`, `nessus`).
    pub format: &'static str,
    /// The tool that wrote the report (`trivy`, `nessus`, the SARIF driver
    /// names joined with `, `).
    pub tool: String,
    /// Findings handed to the sink.
    pub findings: u64,
    /// Records deliberately not turned into findings (informational items
    /// without a CVE, passed checks, suppressed results, licences).
    pub skipped: u64,
    /// Every asset the report covered, even those with zero findings: a
    /// complete rescan resolves the exposures it no longer reports on them.
    pub scanned_assets: Vec<AssetIdentity>,
}

/// The sink a parser hands findings to.
pub type Sink<'a> = dyn FnMut(Finding) -> Result<(), IngestError> + 'a;

/// Parses `input` as `format`, handing each finding to `sink` as soon as it
/// is complete. `file_name` is used in error messages and, for SARIF reports
/// that name no repository, as the repository name.
///
/// The first error (from the input or from the sink) stops the parse; a
/// truncated report is an error, never a partial success.
pub fn parse(
    format: &Format,
    mut input: impl BufRead,
    file_name: &str,
    sink: &mut Sink<'_>,
) -> Result<ParseSummary, IngestError> {
    let mut ctx = Ctx::new(format.name, file_name, sink);
    (format.parse)(&mut input, &mut ctx)?;
    Ok(ctx.summary)
}

/// The version of these parsers; recorded with each import so that an
/// unchanged file is only re-used when the same parsers would read it.
pub const VERSION: &str = concat!("ctem-ingest ", env!("CARGO_PKG_VERSION"));

/// Opens `path`, detects its format from the content and parses it.
pub fn parse_path(path: &Path, sink: &mut Sink<'_>) -> Result<ParseSummary, IngestError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let file = File::open(path).map_err(|source| IngestError::Io {
        file: name.clone(),
        source,
    })?;
    parse_reader(file, &name, sink)
}

/// Detects the format of `reader`'s content and parses it; `name` names
/// the input in error messages.
pub fn parse_reader(
    reader: impl Read,
    name: &str,
    sink: &mut Sink<'_>,
) -> Result<ParseSummary, IngestError> {
    let io = |source| IngestError::Io {
        file: name.to_string(),
        source,
    };
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut reader)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let format = detect(&head).map_err(|e| e.with_file(name))?;
    // The chain is read in large blocks: every parser buffers it again.
    parse(format, std::io::Cursor::new(head).chain(reader), name, sink)
}

/// State shared by a parse: the file name, the sink and the summary.
pub(crate) struct Ctx<'s> {
    pub file: String,
    sink: &'s mut Sink<'s>,
    pub summary: ParseSummary,
    seen_assets: HashSet<String>,
    /// An error from the sink, kept while a serde visitor unwinds.
    pub aborted: Option<IngestError>,
    /// Where the parser is, for error messages: `("Results", 0)`, ….
    pub record: Vec<(&'static str, u64)>,
}

impl<'s> Ctx<'s> {
    fn new(format: &'static str, file: &str, sink: &'s mut Sink<'s>) -> Self {
        Ctx {
            file: file.to_string(),
            sink,
            summary: ParseSummary {
                format,
                ..ParseSummary::default()
            },
            seen_assets: HashSet::new(),
            aborted: None,
            record: Vec::new(),
        }
    }

    /// Hands a finding to the sink.
    pub fn emit(&mut self, finding: Finding) -> Result<(), IngestError> {
        self.summary.findings += 1;
        (self.sink)(finding)
    }

    /// Records that one input record was deliberately not turned into a finding.
    pub fn skip(&mut self) {
        self.summary.skipped += 1;
    }

    /// Records that the report covered `asset` (once per asset).
    pub fn scanned(&mut self, asset: &AssetIdentity) {
        let key = ctem_model::asset_key(asset);
        if self.seen_assets.insert(key) {
            self.summary.scanned_assets.push(asset.clone());
        }
    }

    /// Adds a tool name to the summary (once each).
    pub fn tool(&mut self, name: &str) {
        if name.is_empty() || self.summary.tool.split(", ").any(|t| t == name) {
            return;
        }
        if !self.summary.tool.is_empty() {
            self.summary.tool.push_str(", ");
        }
        self.summary.tool.push_str(name);
    }

    /// The current record path, `Results[0].Vulnerabilities[3]`.
    pub fn record_path(&self) -> Option<String> {
        if self.record.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .record
            .iter()
            .map(|(name, i)| format!("{name}[{i}]"))
            .collect();
        Some(parts.join("."))
    }
}
