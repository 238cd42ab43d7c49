//! A small JSON Schema validator for the subset `openapi.json` uses:
//! `type` (one or a list, with `null`), `properties`, `required`,
//! `additionalProperties` (false or a schema), `items`, local `$ref`,
//! `enum`, `const`, `oneOf`/`anyOf`/`allOf`, `minimum`/`maximum`,
//! `minLength`/`maxLength` and `pattern` (`^…$` with character classes and
//! `{n}`/`{m,n}` counts only). Unknown keywords are an error, so the
//! document cannot drift into keywords this does not check.

#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;

const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "default",
    "format",
    "examples",
    "contentMediaType",
];

/// Validates `v` against `schema` (resolving `$ref`s in `doc`); the errors
/// name the JSON path.
pub fn validate(doc: &Value, schema: &Value, v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    check(doc, schema, v, "$", &mut errs);
    errs
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type `{other}` in the schema"),
    }
}

fn check(doc: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errs.push(format!("{at}: not allowed"));
        }
        return;
    };
    for (k, kw) in s {
        match k.as_str() {
            "$ref" => {
                let r = kw.as_str().unwrap();
                let target = doc
                    .pointer(r.strip_prefix('#').unwrap())
                    .unwrap_or_else(|| panic!("unresolved $ref {r}"));
                check(doc, target, v, at, errs);
            }
            "type" => {
                let ok = match kw {
                    Value::String(t) => type_ok(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
                    _ => panic!("bad type keyword at {at}"),
                };
                if !ok {
                    errs.push(format!("{at}: expected type {kw}, found {}", short(v)));
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in kw.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            check(doc, sub, x, &format!("{at}.{name}"), errs);
                        }
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for name in kw.as_array().unwrap() {
                        let name = name.as_str().unwrap();
                        if !o.contains_key(name) {
                            errs.push(format!("{at}: missing required `{name}`"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let known = s.get("properties").and_then(Value::as_object);
                    for (name, x) in o {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        match kw {
                            Value::Bool(true) => {}
                            Value::Bool(false) => {
                                errs.push(format!("{at}: undocumented property `{name}`"))
                            }
                            sub => check(doc, sub, x, &format!("{at}.{name}"), errs),
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(doc, kw, x, &format!("{at}[{i}]"), errs);
                    }
                }
            }
            "enum" => {
                if !kw.as_array().unwrap().contains(v) {
                    errs.push(format!("{at}: {} is not one of {kw}", short(v)));
                }
            }
            "const" => {
                if kw != v {
                    errs.push(format!("{at}: {} is not {kw}", short(v)));
                }
            }
            "oneOf" | "anyOf" => {
                let passing = kw
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|sub| validate(doc, sub, v).is_empty())
                    .count();
                let ok = if k == "oneOf" {
                    passing == 1
                } else {
                    passing >= 1
                };
                if !ok {
                    errs.push(format!("{at}: {passing} alternatives of {k} match"));
                }
            }
            "allOf" => {
                for sub in kw.as_array().unwrap() {
                    check(doc, sub, v, at, errs);
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(lim)) = (v.as_f64(), kw.as_f64())
                    && ((k == "minimum" && x < lim) || (k == "maximum" && x > lim))
                {
                    errs.push(format!("{at}: {x} breaks {k} {lim}"));
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(x), Some(lim)) = (v.as_str(), kw.as_u64()) {
                    let n = x.chars().count() as u64;
                    if (k == "minLength" && n < lim) || (k == "maxLength" && n > lim) {
                        errs.push(format!("{at}: length {n} breaks {k} {lim}"));
                    }
                }
            }
            "pattern" => {
                if let Some(x) = v.as_str()
                    && !pattern_matches(kw.as_str().unwrap(), x)
                {
                    errs.push(format!("{at}: `{x}` does not match {kw}"));
                }
            }
            a if ANNOTATIONS.contains(&a) => {}
            other => {
                panic!("schema keyword `{other}` at {at} is not supported by the test validator")
            }
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(80).map_or(s.len(), |c| c.0)]
        )
    } else {
        s
    }
}

/// A pattern atom: which characters it takes, at least and at most how many.
type Atom = (Box<dyn Fn(char) -> bool>, usize, usize);

/// `^` then a sequence of atoms (a literal, `\\d`, or `[…]` with ranges),
/// each optionally counted `{n}` / `{m,n}`, then `$`.
fn pattern_matches(p: &str, s: &str) -> bool {
    let p = p
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .expect("anchored pattern");
    let pc: Vec<char> = p.chars().collect();
    let mut atoms: Vec<Atom> = Vec::new();
    let mut i = 0;
    while i < pc.len() {
        let pred: Box<dyn Fn(char) -> bool> = match pc[i] {
            '[' => {
                let end = i + pc[i..].iter().position(|&c| c == ']').expect("]");
                let set: Vec<char> = pc[i + 1..end].to_vec();
                i = end + 1;
                Box::new(move |c| {
                    let mut j = 0;
                    while j < set.len() {
                        if j + 2 < set.len() && set[j + 1] == '-' {
                            if (set[j]..=set[j + 2]).contains(&c) {
                                return true;
                            }
                            j += 3;
                        } else {
                            if set[j] == c {
                                return true;
                            }
                            j += 1;
                        }
                    }
                    false
                })
            }
            '\\' => {
                let c = pc[i + 1];
                i += 2;
                if c == 'd' {
                    Box::new(|x: char| x.is_ascii_digit())
                } else {
                    Box::new(move |x| x == c)
                }
            }
            c => {
                i += 1;
                Box::new(move |x| x == c)
            }
        };
        let (mut lo, mut hi) = (1, 1);
        if i < pc.len() && pc[i] == '{' {
            let end = i + pc[i..].iter().position(|&c| c == '}').expect("}");
            let inner: String = pc[i + 1..end].iter().collect();
            match inner.split_once(',') {
                Some((a, b)) => {
                    lo = a.parse().unwrap();
                    hi = b.parse().unwrap();
                }
                None => {
                    lo = inner.parse().unwrap();
                    hi = lo;
                }
            }
            i = end + 1;
        }
        atoms.push((pred, lo, hi));
    }
    // Greedy is enough for these patterns (no atom overlaps the next).
    let sc: Vec<char> = s.chars().collect();
    let mut pos = 0;
    for (pred, lo, hi) in &atoms {
        let mut n = 0;
        while n < *hi && pos < sc.len() && pred(sc[pos]) {
            n += 1;
            pos += 1;
        }
        if n < *lo {
            return false;
        }
    }
    pos == sc.len()
}

#[test]
fn the_validator_checks_what_it_claims() {
    let doc = serde_json::json!({"components": {"schemas": {"N": {"type": ["integer", "null"]}}}});
    let s = serde_json::json!({
        "type": "object",
        "properties": {"a": {"$ref": "#/components/schemas/N"}, "b": {"type": "array", "items": {"type": "string", "pattern": "^ctem_[0-9a-f]{4}$"}}},
        "required": ["a"],
        "additionalProperties": false
    });
    assert!(
        validate(
            &doc,
            &s,
            &serde_json::json!({"a": null, "b": ["ctem_00af"]})
        )
        .is_empty()
    );
    assert_eq!(validate(&doc, &s, &serde_json::json!({"b": []})).len(), 1);
    assert_eq!(validate(&doc, &s, &serde_json::json!({"a": 1.5})).len(), 1);
    assert_eq!(
        validate(&doc, &s, &serde_json::json!({"a": 1, "c": 1})).len(),
        1
    );
    assert_eq!(
        validate(&doc, &s, &serde_json::json!({"a": 1, "b": ["ctem_00ag"]})).len(),
        1
    );
    let one = serde_json::json!({"oneOf": [{"type": "null"}, {"type": "object"}]});
    assert!(validate(&doc, &one, &Value::Null).is_empty());
    assert_eq!(validate(&doc, &one, &serde_json::json!(1)).len(), 1);
}
