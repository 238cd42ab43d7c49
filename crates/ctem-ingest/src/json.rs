//! Streaming JSON helpers: lenient field types, sink errors carried through
//! serde visitors, and serde_json errors turned into [`IngestError`]s with a
//! line, a column and a record path.
//!
//! Lenient types never reject a document because an optional field has an
//! unexpected type: a number where a string was expected is read as its
//! text, an object where a string was expected is skipped and reads as
//! absent. Only malformed JSON (and truncation) is an error.

use crate::{Ctx, IngestError, Position};
use ctem_model::Finding;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// The reader serde_json parses from.
///
/// serde_json's `IoRead` pulls one byte at a time. Through a `&mut dyn
/// BufRead` every byte would be a dynamic call (44% of the parse time of a
/// Trivy report, measured); a concrete `BufReader` on top lets the standard
/// library serve those bytes from its buffer inline, and reaches the
/// underlying reader once per 64 KiB.
pub(crate) type JsonRead<'r> = std::io::BufReader<&'r mut dyn std::io::BufRead>;

/// Wraps a parser's input for serde_json; see [`JsonRead`].
pub(crate) fn reader(input: &mut dyn std::io::BufRead) -> JsonRead<'_> {
    std::io::BufReader::with_capacity(64 * 1024, input)
}

/// Converts a serde_json error, preferring an error the sink raised.
pub(crate) fn convert(ctx: &mut Ctx<'_>, e: serde_json::Error) -> IngestError {
    if let Some(a) = ctx.aborted.take() {
        return a;
    }
    if e.is_io() {
        return IngestError::Io {
            file: ctx.file.clone(),
            source: std::io::Error::from(e),
        };
    }
    let message = if e.is_eof() {
        "unexpected end of file (the report is truncated)".to_string()
    } else {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        full.strip_suffix(&suffix).unwrap_or(&full).to_string()
    };
    IngestError::Syntax {
        file: ctx.file.clone(),
        position: Position {
            line: e.line() as u64,
            column: (e.column() as u64).max(1),
            record: ctx.record_path(),
        },
        message,
    }
}

/// Hands a finding to the sink from inside a visitor; a sink error is kept in
/// the context and the parse unwinds with a placeholder serde error.
pub(crate) fn emit<E: de::Error>(ctx: &mut Ctx<'_>, f: Finding) -> Result<(), E> {
    ctx.emit(f).map_err(|e| abort(ctx, e))
}

/// Keeps `e` in the context and returns a serde error that unwinds the parse.
pub(crate) fn abort<E: de::Error>(ctx: &mut Ctx<'_>, e: IngestError) -> E {
    ctx.aborted = Some(e);
    E::custom("parse aborted")
}

/// One element of a streamed JSON array: read, turned into findings, dropped.
pub(crate) trait Element {
    fn read<'de, D: Deserializer<'de>>(&mut self, ctx: &mut Ctx<'_>, d: D) -> Result<(), D::Error>;
}

/// Streams a JSON array element by element into an [`Element`], tracking the
/// record path as `name[i]`. `null` and non-array values read as empty.
pub(crate) struct Seq<'x, 's, E> {
    pub ctx: &'x mut Ctx<'s>,
    pub name: &'static str,
    pub elem: &'x mut E,
}

impl<'de, E: Element> DeserializeSeed<'de> for Seq<'_, '_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E: Element> Visitor<'de> for Seq<'_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array for {}", self.name)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0u64;
        loop {
            self.ctx.record.push((self.name, i));
            let one = One {
                ctx: &mut *self.ctx,
                elem: &mut *self.elem,
            };
            if seq.next_element_seed(one)?.is_none() {
                self.ctx.record.pop();
                return Ok(());
            }
            self.ctx.record.pop();
            i += 1;
        }
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_unit<X: de::Error>(self) -> Result<(), X> {
        Ok(())
    }
    fn visit_none<X: de::Error>(self) -> Result<(), X> {
        Ok(())
    }
    fn visit_str<X: de::Error>(self, _: &str) -> Result<(), X> {
        Ok(())
    }
    fn visit_bool<X: de::Error>(self, _: bool) -> Result<(), X> {
        Ok(())
    }
    fn visit_i64<X: de::Error>(self, _: i64) -> Result<(), X> {
        Ok(())
    }
    fn visit_u64<X: de::Error>(self, _: u64) -> Result<(), X> {
        Ok(())
    }
    fn visit_f64<X: de::Error>(self, _: f64) -> Result<(), X> {
        Ok(())
    }
}

struct One<'x, 's, E> {
    ctx: &'x mut Ctx<'s>,
    elem: &'x mut E,
}

impl<'de, E: Element> DeserializeSeed<'de> for One<'_, '_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.elem.read(self.ctx, d)
    }
}

// ---------------------------------------------------------------------------
// Lenient field types
// ---------------------------------------------------------------------------

/// A string that also accepts numbers and booleans; empty strings, `null`,
/// arrays and objects read as absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct LStr(#[serde(deserialize_with = "lstr")] pub Option<String>);

impl LStr {
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
    pub fn owned(&self) -> Option<String> {
        self.0.clone()
    }
}

fn lstr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            Ok((!t.is_empty()).then(|| t.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            if v.trim().len() == v.len() {
                Ok((!v.is_empty()).then_some(v))
            } else {
                self.visit_str(&v)
            }
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// A number that also accepts numeric strings; anything else reads as absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct LNum(#[serde(deserialize_with = "lnum")] pub Option<f64>);

fn lnum<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(lstr(d)?
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|v| v.is_finite()))
}

/// An array whose elements are read leniently; any other value reads as empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct LList<T>(pub Vec<T>);

impl<T> Default for LList<T> {
    fn default() -> Self {
        LList(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LList<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(LList)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LList::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LList::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LList::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LList::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LList::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LList::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LList::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LList::default())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// An object read into `T`; any other value reads as absent. `T`'s own
/// fields should be lenient too.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct LObj<T>(pub Option<T>);

impl<T> Default for LObj<T> {
    fn default() -> Self {
        LObj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LObj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LObj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| LObj(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LObj(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<T> LObj<T> {
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Probe {
        name: LStr,
        score: LNum,
        tags: LList<LStr>,
        nested: LObj<Inner>,
    }

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Inner {
        v: LStr,
    }

    #[test]
    fn wrong_types_read_as_absent_instead_of_failing() {
        let p: Probe = serde_json::from_str(
            r#"{"name": {"x": 1}, "score": "7.5", "tags": "CWE-79", "nested": [1], "other": 3}"#,
        )
        .expect("lenient");
        assert_eq!(p.name.0, None);
        assert_eq!(p.score.0, Some(7.5));
        assert!(p.tags.0.is_empty());
        assert!(p.nested.0.is_none());
        let p: Probe =
            serde_json::from_str(r#"{"name": 42, "tags": ["a", 1, null], "nested": {"v": true}}"#)
                .expect("lenient");
        assert_eq!(p.name.0.as_deref(), Some("42"));
        assert_eq!(
            p.tags.0,
            vec![LStr(Some("a".into())), LStr(Some("1".into())), LStr(None)]
        );
        assert_eq!(p.nested.0.map(|i| i.v.0), Some(Some("true".into())));
    }
}
