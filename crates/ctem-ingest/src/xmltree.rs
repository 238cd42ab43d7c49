//! Streaming XML by records: quick-xml events are read one at a time, and
//! only the elements a format asks for (a `<vulnerability>`, a
//! `<dependency>`) are gathered into a small [`Node`] tree, handed to the
//! format and dropped. Children a format excludes (a dependency's
//! `<vulnerabilities>`) are not gathered into their parent; records inside
//! them are gathered on their own. Memory is bounded by the size of one
//! record. Element names are local names (namespace prefixes dropped), so
//! `<v:vulnerability>` and `<vulnerability>` read the same.

use crate::lines::LineTracker;
use crate::{Ctx, IngestError, Position};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::io::BufRead;

/// Longest text kept per element; longer text is cut.
const MAX_TEXT: usize = 64 * 1024;
/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 256;
/// Most elements gathered into one record.
const MAX_NODES: usize = 200_000;

/// One gathered element: local name, attributes, text and children.
#[derive(Debug, Default, Clone)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of this element, when not empty.
    pub fn value(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// The trimmed text of the first child `name`.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name).and_then(Node::value)
    }

    /// Follows a path of child names: `node.at(&["source", "name"])`.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        let mut n = self;
        for p in path {
            n = n.child(p)?;
        }
        Some(n)
    }
}

/// What a format wants from the element stream.
pub(crate) trait Handler {
    /// Gather the element `name` (with ancestors `path`) as one record?
    fn want(&self, path: &[String], name: &str) -> bool;
    /// Leave the child `child` out of a gathered `root` (records inside it
    /// are still offered to [`Handler::want`]).
    fn exclude(&self, _root: &str, _child: &str) -> bool {
        false
    }
    /// A gathered record.
    fn node(&mut self, ctx: &mut Ctx<'_>, path: &[String], node: Node) -> Result<(), IngestError>;
    /// The end of an element that is not part of a record.
    fn end(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _path: &[String],
        _name: &str,
    ) -> Result<(), IngestError> {
        Ok(())
    }
}

struct Building {
    /// Depth of the record's root element (its index in the element stack).
    root_depth: usize,
    /// Open elements of the record, root first.
    open: Vec<Node>,
    /// Depth of an excluded child being skipped.
    suspended_at: Option<usize>,
    count: usize,
}

/// Reads `input` as XML whose root element is one of `roots`, handing the
/// records `handler` wants to it. A truncated document is an error naming the
/// open element; every error names the line, column and the current record.
pub(crate) fn read(
    input: &mut dyn BufRead,
    ctx: &mut Ctx<'_>,
    roots: &[&str],
    handler: &mut dyn Handler,
) -> Result<(), IngestError> {
    let mut reader = Reader::from_reader(LineTracker::new(input));
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut building: Vec<Building> = Vec::new();
    let mut counts: Vec<(String, u64)> = Vec::new();
    let mut record: Option<String> = None;
    let mut root_seen = false;
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let at = reader.error_position();
                let (line, column) = reader.get_ref().line_col(at);
                return Err(syntax(ctx, &record, line, column, e.to_string()));
            }
        };
        let fail = |ctx: &Ctx<'_>, record: &Option<String>, message: String| {
            let (line, column) = reader.get_ref().line_col(start);
            syntax(ctx, record, line, column, message)
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name().as_ref().to_string();
                if !root_seen {
                    if !roots.contains(&name.as_str()) {
                        return Err(fail(
                            ctx,
                            &record,
                            format!(
                                "expected <{}> as the root element, found <{name}>",
                                roots.join("> or <")
                            ),
                        ));
                    }
                    root_seen = true;
                }
                let depth = stack.len();
                if depth >= MAX_DEPTH {
                    return Err(fail(
                        ctx,
                        &record,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                let active = building.last().is_some_and(|b| b.suspended_at.is_none());
                if active {
                    if let Some(b) = building.last_mut() {
                        let root = b.open.first().map(|n| n.name.as_str()).unwrap_or("");
                        if depth == b.root_depth + 1 && handler.exclude(root, &name) {
                            b.suspended_at = Some(depth);
                        } else {
                            b.count += 1;
                            if b.count > MAX_NODES {
                                return Err(fail(
                                    ctx,
                                    &record,
                                    format!("record has more than {MAX_NODES} elements"),
                                ));
                            }
                            let attrs = attrs(e).map_err(|m| fail(ctx, &record, m))?;
                            b.open.push(Node {
                                name: name.clone(),
                                attrs,
                                ..Node::default()
                            });
                        }
                    }
                } else if handler.want(&stack, &name) {
                    let n = match counts.iter_mut().find(|(k, _)| *k == name) {
                        Some((_, c)) => {
                            *c += 1;
                            *c
                        }
                        None => {
                            counts.push((name.clone(), 1));
                            1
                        }
                    };
                    record = Some(format!("{name} {n}"));
                    let attrs = attrs(e).map_err(|m| fail(ctx, &record, m))?;
                    building.push(Building {
                        root_depth: depth,
                        open: vec![Node {
                            name: name.clone(),
                            attrs,
                            ..Node::default()
                        }],
                        suspended_at: None,
                        count: 1,
                    });
                }
                stack.push(name);
                if empty {
                    end(ctx, handler, &mut stack, &mut building)?;
                }
            }
            Event::End(_) => {
                end(ctx, handler, &mut stack, &mut building)?;
            }
            Event::Text(t) => append(&mut building, &t.xml10_content()),
            Event::CData(t) => append(&mut building, &t.xml10_content()),
            Event::GeneralRef(r) => {
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
                    Err(e) => return Err(fail(ctx, &record, e.to_string())),
                };
                append(&mut building, &resolved);
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    let message =
                        format!("unexpected end of file inside <{open}> (the report is truncated)");
                    let end = reader.buffer_position();
                    let (line, column) = reader.get_ref().line_col(end);
                    return Err(syntax(ctx, &record, line, column, message));
                }
                if !root_seen {
                    return Err(IngestError::Invalid {
                        file: ctx.file.clone(),
                        message: format!("no <{}> element", roots.join("> or <")),
                    });
                }
                return Ok(());
            }
            _ => {}
        }
        buf.clear();
        let done = reader.buffer_position();
        reader.get_mut().forget_before(start.min(done));
    }
}

fn end(
    ctx: &mut Ctx<'_>,
    handler: &mut dyn Handler,
    stack: &mut Vec<String>,
    building: &mut Vec<Building>,
) -> Result<(), IngestError> {
    let name = stack.pop().unwrap_or_default();
    let depth = stack.len();
    if let Some(b) = building.last_mut() {
        match b.suspended_at {
            Some(at) if at == depth => {
                b.suspended_at = None;
                return Ok(());
            }
            Some(_) => {}
            None => {
                if let Some(node) = b.open.pop() {
                    match b.open.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => {
                            building.pop();
                            return handler.node(ctx, stack, node);
                        }
                    }
                }
                return Ok(());
            }
        }
    }
    handler.end(ctx, stack, &name)
}

fn append(building: &mut [Building], s: &str) {
    let Some(b) = building.last_mut() else { return };
    if b.suspended_at.is_some() {
        return;
    }
    let Some(n) = b.open.last_mut() else { return };
    if n.text.len() >= MAX_TEXT {
        return;
    }
    let room = MAX_TEXT - n.text.len();
    if s.len() <= room {
        n.text.push_str(s);
    } else {
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        n.text.push_str(&s[..cut]);
    }
}

fn attrs(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| err.to_string())?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| err.to_string())?;
        out.push((a.key.local_name().as_ref().to_string(), v.to_string()));
    }
    Ok(out)
}

fn syntax(
    ctx: &Ctx<'_>,
    record: &Option<String>,
    line: u64,
    column: u64,
    message: String,
) -> IngestError {
    IngestError::Syntax {
        file: ctx.file.clone(),
        position: Position {
            line,
            column,
            record: record.clone(),
        },
        message,
    }
}
