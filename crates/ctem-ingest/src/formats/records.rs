//! Helpers shared by the record-oriented formats (ASFF, Prowler, Checkov,
//! KICS, Gitleaks, TruffleHog, the generic formats): a JSON driver that
//! converts errors with line, column and record path; streaming of a bare
//! array, of an array under a named key, or of JSON lines; a CSV driver that
//! reads record by record and treats short records as truncation; and a
//! finding builder.

use crate::json::{self, Element, LObj, Seq};
use crate::{Ctx, IngestError, Position};
use ctem_model::{AssetIdentity, AssetKind, Finding, Severity, Weakness, WeaknessKind};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;
use std::marker::PhantomData;

pub(crate) type JsonDe<'r> = serde_json::Deserializer<serde_json::de::IoRead<json::JsonRead<'r>>>;

/// Runs `body` over a JSON deserializer of `input`, requires the end of the
/// input afterwards and converts every error to an [`IngestError`].
pub(crate) fn run_json<'r>(
    input: &'r mut dyn BufRead,
    ctx: &mut Ctx<'_>,
    body: impl FnOnce(&mut Ctx<'_>, &mut JsonDe<'r>) -> Result<(), serde_json::Error>,
) -> Result<(), IngestError> {
    let mut de = serde_json::Deserializer::from_reader(json::reader(input));
    let result = body(ctx, &mut de).and_then(|()| de.end());
    result.map_err(|e| json::convert(ctx, e))
}

/// Reads every top-level JSON value until the end of the input: objects are
/// records, arrays are lists of records (so JSON lines, a bare array and
/// `null` are all accepted).
pub(crate) fn each_value<E: Element>(
    ctx: &mut Ctx<'_>,
    de: &mut JsonDe<'_>,
    name: &'static str,
    elem: &mut E,
) -> Result<(), serde_json::Error> {
    let mut index = 0u64;
    while de.end().is_err() {
        TopValue {
            ctx: &mut *ctx,
            name,
            index: &mut index,
            elem: &mut *elem,
        }
        .deserialize(&mut *de)?;
    }
    Ok(())
}

struct TopValue<'x, 's, E> {
    ctx: &'x mut Ctx<'s>,
    name: &'static str,
    index: &'x mut u64,
    elem: &'x mut E,
}

impl<'de, E: Element> DeserializeSeed<'de> for TopValue<'_, '_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E: Element> Visitor<'de> for TopValue<'_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} object or an array of them", self.name)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.ctx.record.push((self.name, *self.index));
        self.elem.read(self.ctx, MapAccessDeserializer::new(map))?;
        self.ctx.record.pop();
        *self.index += 1;
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Seq {
            ctx: self.ctx,
            name: self.name,
            elem: self.elem,
        }
        .visit_seq(seq)
    }
    fn visit_unit<X: de::Error>(self) -> Result<(), X> {
        Ok(())
    }
}

/// A document that is a bare array of records, `null`, or an object holding
/// the array under one of `keys` (case-insensitive); other keys are skipped.
pub(crate) struct ArrayDoc<'x, 's, E> {
    pub ctx: &'x mut Ctx<'s>,
    pub keys: &'static [&'static str],
    pub name: &'static str,
    pub elem: &'x mut E,
}

impl<'de, E: Element> DeserializeSeed<'de> for ArrayDoc<'_, '_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E: Element> Visitor<'de> for ArrayDoc<'_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {} or an object holding one", self.name)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Seq {
            ctx: self.ctx,
            name: self.name,
            elem: self.elem,
        }
        .visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if self.keys.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
                map.next_value_seed(Seq {
                    ctx: &mut *self.ctx,
                    name: self.name,
                    elem: &mut *self.elem,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_unit<X: de::Error>(self) -> Result<(), X> {
        Ok(())
    }
}

/// An array element read into `T` (lenient fields) and handed to `f`;
/// elements that are not objects are ignored. An [`IngestError::Invalid`]
/// from `f` becomes a syntax error at the current position.
pub(crate) struct Each<T, F> {
    f: F,
    _t: PhantomData<fn() -> T>,
}

pub(crate) fn each<T, F>(f: F) -> Each<T, F>
where
    T: DeserializeOwned,
    F: FnMut(&mut Ctx<'_>, T) -> Result<(), IngestError>,
{
    Each { f, _t: PhantomData }
}

impl<T, F> Element for Each<T, F>
where
    T: DeserializeOwned,
    F: FnMut(&mut Ctx<'_>, T) -> Result<(), IngestError>,
{
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error> {
        match LObj::<T>::deserialize(d)?.0 {
            Some(v) => (self.f)(ctx, v).map_err(|e| match e {
                IngestError::Invalid { message, .. } => de::Error::custom(message),
                other => json::abort(ctx, other),
            }),
            None => Ok(()),
        }
    }
}

/// An error for a record that is well-formed JSON but not acceptable; the
/// JSON driver adds the line, column and record path.
pub(crate) fn invalid(ctx: &Ctx<'_>, message: impl Into<String>) -> IngestError {
    IngestError::Invalid {
        file: ctx.file.clone(),
        message: message.into(),
    }
}

/// Peeks at the first significant byte of the input without consuming it.
pub(crate) fn peek_first(input: &mut dyn BufRead) -> Option<u8> {
    let buf = input.fill_buf().ok()?;
    crate::registry::first_significant(buf)
}

/// The column separator of a CSV whose header is at the start of `input`:
/// `;` when the first line has more semicolons than commas, else `,`.
pub(crate) fn peek_delimiter(input: &mut dyn BufRead) -> u8 {
    let Ok(buf) = input.fill_buf() else {
        return b',';
    };
    let line = buf.split(|b| *b == b'\n').next().unwrap_or(buf);
    let count = |c: u8| line.iter().filter(|b| **b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// The header of a CSV report: lower-cased, trimmed column names.
pub(crate) struct CsvHeader {
    index: HashMap<String, usize>,
    pub len: usize,
}

impl CsvHeader {
    /// The first non-empty value among the named columns of `row`.
    pub fn get<'r>(&self, row: &'r csv::StringRecord, names: &[&str]) -> Option<&'r str> {
        names.iter().find_map(|n| {
            let i = *self.index.get(*n)?;
            row.get(i).map(str::trim).filter(|v| !v.is_empty())
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// Reads a CSV report record by record. A record with fewer fields than the
/// header is an error (a cut-off file ends in a short record).
pub(crate) fn run_csv(
    input: &mut dyn BufRead,
    ctx: &mut Ctx<'_>,
    delimiter: u8,
    mut row: impl FnMut(&mut Ctx<'_>, &CsvHeader, &csv::StringRecord) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let header = rdr.headers().map_err(|e| csv_error(ctx, e, 1))?;
    let header = CsvHeader {
        index: header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
            .collect(),
        len: header.len(),
    };
    let mut record = csv::StringRecord::new();
    let mut n = 0u64;
    loop {
        n += 1;
        match rdr.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(csv_error(ctx, e, n)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() < header.len {
            return Err(IngestError::Syntax {
                file: ctx.file.clone(),
                position: Position {
                    line,
                    column: 1,
                    record: Some(format!("record {n}")),
                },
                message: format!(
                    "record has {} fields, the header has {} (the report is truncated or a row is cut)",
                    record.len(),
                    header.len
                ),
            });
        }
        ctx.record = vec![("record", n)];
        row(ctx, &header, &record).map_err(|e| match e {
            IngestError::Invalid { file, message } => IngestError::Syntax {
                file,
                position: Position {
                    line,
                    column: 1,
                    record: Some(format!("record {n}")),
                },
                message,
            },
            other => other,
        })?;
        ctx.record.clear();
    }
}

fn csv_error(ctx: &Ctx<'_>, e: csv::Error, n: u64) -> IngestError {
    let line = e.position().map_or(1, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(source) => IngestError::Io {
            file: ctx.file.clone(),
            source,
        },
        kind => IngestError::Syntax {
            file: ctx.file.clone(),
            position: Position {
                line,
                column: 1,
                record: Some(format!("record {n}")),
            },
            message: match kind {
                csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8: {err}"),
                other => format!("{other:?}"),
            },
        },
    }
}

/// A finding with the fields every format sets; the rest left empty.
pub(crate) fn finding(
    tool: &str,
    asset: &AssetIdentity,
    weakness: Weakness,
    title: String,
    severity: Severity,
) -> Finding {
    Finding {
        tool: tool.to_string(),
        asset: asset.clone(),
        weakness,
        component: None,
        title,
        severity,
        cvss_vector: None,
        cvss_score: None,
        port: None,
        protocol: None,
        location: None,
        rule_id: None,
        description: None,
    }
}

/// A weakness of exactly `kind` with id `id`.
pub(crate) fn weakness(kind: WeaknessKind, id: &str) -> Weakness {
    Weakness {
        kind,
        id: id.to_string(),
        aliases: Vec::new(),
        cwes: Vec::new(),
    }
}

/// A leaked-credential weakness: CWE-798 (use of hard-coded credentials).
pub(crate) fn secret_weakness(id: &str) -> Weakness {
    let mut w = weakness(WeaknessKind::ExposedSecret, id);
    w.cwes.push("CWE-798".to_string());
    w
}

/// A code repository named `name`.
pub(crate) fn repository(name: String) -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::CodeRepository),
        repository: Some(name),
        ..AssetIdentity::default()
    }
}

/// A cloud resource `id` in `account`.
pub(crate) fn cloud(id: String, account: Option<String>) -> AssetIdentity {
    AssetIdentity {
        kind: Some(AssetKind::CloudResource),
        cloud_id: Some(id),
        cloud_account: account,
        ..AssetIdentity::default()
    }
}

/// The asset id of a whole AWS account, as Security Hub writes it.
pub(crate) fn aws_account_id(account: &str) -> String {
    format!("AWS::::Account:{account}")
}

/// `file:line`, or `file` when the line is unknown or not positive.
pub(crate) fn file_line(file: &str, line: Option<f64>) -> String {
    match line.filter(|l| *l >= 1.0 && *l < 1e12) {
        Some(l) => format!("{file}:{}", l as u64),
        None => file.to_string(),
    }
}

/// `a\n\nb` for the parts that are present.
pub(crate) fn join_text(parts: &[Option<&str>]) -> Option<String> {
    let parts: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// A CWE from `798`, `CWE-798` or `cwe-798`.
pub(crate) fn cwe(v: &str) -> Option<String> {
    let v = v.trim();
    if !v.is_empty() && v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        let n: u32 = v.parse().ok()?;
        return (n > 0).then(|| format!("CWE-{n}"));
    }
    crate::text::normalise_cwe(v)
}
