//! Streaming XML helper for the record-shaped XML reports (ZAP, Burp,
//! OpenVAS, Qualys, nmap).
//!
//! quick-xml events are read one at a time. Outside records only the open
//! elements (name, attributes, sibling index) are held; a handler chooses
//! which elements are records (`alertitem`, `issue`, `result`, `host`, …),
//! and each record is read whole into a small [`Node`] tree, handed to the
//! handler and dropped. Memory is bounded by the largest record (text is cut
//! at [`MAX_TEXT`] per element, and at [`MAX_NODES`] elements per record).
//!
//! Errors name the file, the line and column (tracked by [`LineTracker`]),
//! and the record path (`site[0].alerts[0].alertitem[3]`). A file that ends
//! inside an element is an error, never a partial success.

use crate::lines::LineTracker;
use crate::{Ctx, IngestError, Position};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::io::BufRead;

/// Longest text kept per element; longer text (base64 bodies, huge plugin
/// outputs) is cut.
pub(crate) const MAX_TEXT: usize = 64 * 1024;
/// Most elements kept per record; further ones are read and dropped.
pub(crate) const MAX_NODES: usize = 200_000;
/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 256;

/// One element of a record, with its text and children.
#[derive(Debug, Default, Clone)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// An attribute, trimmed; empty reads as absent.
    pub fn attr(&self, key: &str) -> Option<&str> {
        attr_of(&self.attrs, key)
    }

    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element's own text, trimmed; empty reads as absent.
    pub fn text(&self) -> Option<&str> {
        let t = self.text.trim();
        (!t.is_empty()).then_some(t)
    }

    /// The text of the first descendant at `path` (`a/b/c`).
    pub fn get(&self, path: &str) -> Option<&str> {
        let mut node = self;
        for part in path.split('/') {
            node = node.child(part)?;
        }
        node.text()
    }

    /// Every descendant called `name`, depth first.
    pub fn descendants<'a>(&'a self, name: &str, out: &mut Vec<&'a Node>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.descendants(name, out);
        }
    }
}

/// An attribute from a list, trimmed; empty reads as absent.
pub(crate) fn attr_of<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// An open element outside a record.
#[derive(Debug, Default)]
pub(crate) struct Elem {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Index among the parent's children of the same name.
    pub index: u64,
    counts: Vec<(String, u64)>,
}

impl Elem {
    pub fn attr(&self, key: &str) -> Option<&str> {
        attr_of(&self.attrs, key)
    }
}

/// What a format does with the elements.
pub(crate) trait Handler {
    /// An element opened outside a record; `path` ends with it. Returns true
    /// when the element is a record, to be read whole and handed to
    /// [`Handler::record`].
    fn open(&mut self, ctx: &mut Ctx<'_>, path: &[Elem]) -> Result<bool, IngestError>;
    /// A complete record; `path` ends with the record element itself.
    fn record(&mut self, ctx: &mut Ctx<'_>, path: &[Elem], node: Node) -> Result<(), IngestError>;
    /// An element outside a record closes; `path` still ends with it.
    fn close(&mut self, _ctx: &mut Ctx<'_>, _path: &[Elem]) -> Result<(), IngestError> {
        Ok(())
    }
}

/// The record path of the open elements, without the root:
/// `site[0].alerts[0].alertitem[3]`.
fn record_path(path: &[Elem]) -> Option<String> {
    let parts: Vec<String> = path
        .iter()
        .skip(1)
        .map(|e| format!("{}[{}]", e.name, e.index))
        .collect();
    (!parts.is_empty()).then(|| parts.join("."))
}

/// Streams `input` through `handler`. The root element must be one of
/// `roots`; `what` names the format in errors.
pub(crate) fn stream(
    input: &mut dyn BufRead,
    ctx: &mut Ctx<'_>,
    roots: &[&str],
    what: &str,
    handler: &mut dyn Handler,
) -> Result<(), IngestError> {
    let mut reader = Reader::from_reader(LineTracker::new(input));
    let mut buf = Vec::new();
    let mut path: Vec<Elem> = Vec::new();
    let mut root_seen = false;
    // The record being read: its open nodes (the first is the record).
    let mut rec: Vec<Node> = Vec::new();
    let mut rec_nodes = 0usize;
    // Elements dropped inside a record (beyond MAX_NODES), still open.
    let mut dropped_depth = 0usize;
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let at = reader.error_position();
                let (line, column) = reader.get_ref().line_col(at);
                let mut message = e.to_string();
                if message.contains("end of input") {
                    message.push_str(" (unexpected end of file: the report is truncated)");
                }
                return Err(syntax(ctx, &path, line, column, message));
            }
        };
        let at = |reader: &Reader<LineTracker<&mut dyn BufRead>>| reader.get_ref().line_col(start);
        macro_rules! fail {
            ($msg:expr) => {{
                let (line, column) = at(&reader);
                return Err(syntax(ctx, &path, line, column, $msg));
            }};
        }
        let (is_start, is_empty) = match &event {
            Event::Start(_) => (true, false),
            Event::Empty(_) => (true, true),
            _ => (false, false),
        };
        if is_start {
            let (Event::Start(e) | Event::Empty(e)) = &event else {
                unreachable!("checked above")
            };
            let (name, attrs) = match read_start(e) {
                Ok(v) => v,
                Err(m) => fail!(m),
            };
            if path.len() + rec.len() + dropped_depth >= MAX_DEPTH {
                fail!(format!("elements nested deeper than {MAX_DEPTH}"));
            }
            if !root_seen {
                if !roots.contains(&name.as_str()) {
                    fail!(format!(
                        "expected <{}> as the root element, found <{name}>",
                        roots.join("> or <")
                    ));
                }
                root_seen = true;
            }
            if !rec.is_empty() {
                if dropped_depth > 0 || rec_nodes >= MAX_NODES {
                    if !is_empty {
                        dropped_depth += 1;
                    }
                } else {
                    rec_nodes += 1;
                    let node = Node {
                        name,
                        attrs,
                        ..Node::default()
                    };
                    if is_empty {
                        if let Some(parent) = rec.last_mut() {
                            parent.children.push(node);
                        }
                    } else {
                        rec.push(node);
                    }
                }
            } else {
                let index = match path.last_mut() {
                    Some(parent) => match parent.counts.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, c)) => {
                            *c += 1;
                            *c - 1
                        }
                        None => {
                            parent.counts.push((name.clone(), 1));
                            0
                        }
                    },
                    None => 0,
                };
                path.push(Elem {
                    name: name.clone(),
                    attrs: attrs.clone(),
                    index,
                    counts: Vec::new(),
                });
                if handler.open(ctx, &path)? {
                    rec_nodes = 1;
                    rec.push(Node {
                        name,
                        attrs,
                        ..Node::default()
                    });
                    if is_empty {
                        if let Some(node) = rec.pop() {
                            handler.record(ctx, &path, node)?;
                        }
                        path.pop();
                    }
                } else if is_empty {
                    handler.close(ctx, &path)?;
                    path.pop();
                }
            }
        } else {
            match event {
                Event::End(_) => {
                    if dropped_depth > 0 {
                        dropped_depth -= 1;
                    } else if let Some(node) = rec.pop() {
                        match rec.last_mut() {
                            Some(parent) => parent.children.push(node),
                            None => {
                                handler.record(ctx, &path, node)?;
                                path.pop();
                            }
                        }
                    } else {
                        handler.close(ctx, &path)?;
                        path.pop();
                    }
                }
                Event::Text(t) => {
                    if dropped_depth == 0
                        && let Some(node) = rec.last_mut()
                    {
                        append(&mut node.text, &t.xml10_content());
                    }
                }
                Event::CData(t) => {
                    if dropped_depth == 0
                        && let Some(node) = rec.last_mut()
                    {
                        append(&mut node.text, &t.xml10_content());
                    }
                }
                Event::GeneralRef(r) if dropped_depth == 0 && !rec.is_empty() => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => match r.as_ref() {
                            "amp" => "&".to_string(),
                            "lt" => "<".to_string(),
                            "gt" => ">".to_string(),
                            "quot" => "\"".to_string(),
                            "apos" => "'".to_string(),
                            other => format!("&{other};"),
                        },
                        Err(e) => fail!(e.to_string()),
                    };
                    if let Some(node) = rec.last_mut() {
                        append(&mut node.text, &resolved);
                    }
                }
                Event::Eof => {
                    let open = rec
                        .last()
                        .map(|n| n.name.clone())
                        .or_else(|| path.last().map(|e| e.name.clone()));
                    if let Some(open) = open {
                        let end = reader.buffer_position();
                        let (line, column) = reader.get_ref().line_col(end);
                        return Err(syntax(
                            ctx,
                            &path,
                            line,
                            column,
                            format!(
                                "unexpected end of file inside <{open}> (the report is truncated)"
                            ),
                        ));
                    }
                    if !root_seen {
                        return Err(IngestError::Invalid {
                            file: ctx.file.clone(),
                            message: format!(
                                "no <{}> element: not a {what} report",
                                roots.join("> or <")
                            ),
                        });
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
        buf.clear();
        let done = reader.buffer_position();
        reader.get_mut().forget_before(start.min(done));
    }
}

fn append(text: &mut String, s: &str) {
    if text.len() >= MAX_TEXT {
        return;
    }
    let room = MAX_TEXT - text.len();
    if s.len() <= room {
        text.push_str(s);
    } else {
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        text.push_str(&s[..cut]);
    }
}

fn read_start(e: &BytesStart<'_>) -> Result<(String, Vec<(String, String)>), String> {
    let name = e.name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| err.to_string())?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| err.to_string())?;
        attrs.push((a.key.as_ref().to_string(), v.into_owned()));
    }
    Ok((name, attrs))
}

fn syntax(ctx: &Ctx<'_>, path: &[Elem], line: u64, column: u64, message: String) -> IngestError {
    IngestError::Syntax {
        file: ctx.file.clone(),
        position: Position {
            line,
            column,
            record: record_path(path),
        },
        message,
    }
}

/// Integer text, leniently (`"443"`, `" 3 "`).
pub(crate) fn int<T: std::str::FromStr>(s: Option<&str>) -> Option<T> {
    s.and_then(|v| v.trim().parse::<T>().ok())
}

/// A finite non-negative number from text, leniently (`"7.5"`, `"9.0 (AV:N/…)"`).
pub(crate) fn float(s: Option<&str>) -> Option<f64> {
    s.and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
}
