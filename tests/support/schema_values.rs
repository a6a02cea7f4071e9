//! A small schema-driven value generator: one valid instance of a JSON Schema (2020-12, as
//! the generated tools' input schemas are written), for tests that call tools with
//! arguments they did not write by hand.
//!
//! It follows `$ref`s into the root's `$defs`, merges `allOf`, takes the first branch of
//! `oneOf`/`anyOf` that yields a value, honours `const`, `enum`, the numeric bounds,
//! `multipleOf`, string lengths, the common `format`s and `pattern` (from a list of
//! candidates, the schema's own examples first), and fills required properties always and
//! optional ones near the top (so optional query arrays, deep objects and nested form
//! fields are sent too). Where it cannot find a value it returns `None` and the caller
//! leaves the argument out.
//!
//! Include with `#[path = "support/schema_values.rs"] mod schema_values;`.
#![allow(dead_code, unreachable_pub)]

use regex::Regex;
use serde_json::{json, Map, Value};

/// How deep optional properties are still filled (0 = the tool's own arguments).
const OPTIONAL_DEPTH: usize = 2;
/// How deep the generator goes at all (recursive schemas stop here).
const MAX_DEPTH: usize = 10;

/// A valid instance of `schema`, whose `$ref`s point into `root` (`#/$defs/…`).
pub fn instance(schema: &Value, root: &Value) -> Option<Value> {
    Generator { root }.value(schema, 0)
}

struct Generator<'a> {
    root: &'a Value,
}

impl Generator<'_> {
    fn value(&self, schema: &Value, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let object = match schema {
            Value::Bool(true) => return Some(json!("x")),
            Value::Object(o) => o,
            _ => return None,
        };
        if let Some(r) = object.get("$ref").and_then(Value::as_str) {
            let target = self.resolve(r)?;
            let mut merged = target.as_object().cloned().unwrap_or_default();
            for (k, v) in object.iter().filter(|(k, _)| *k != "$ref") {
                merged.entry(k.clone()).or_insert(v.clone());
            }
            return self.value(&Value::Object(merged), depth + 1);
        }
        if let Some(c) = object.get("const") {
            return Some(c.clone());
        }
        if let Some(Value::Array(values)) = object.get("enum") {
            return values
                .iter()
                .find(|v| !v.is_null())
                .or(values.first())
                .cloned();
        }
        if let Some(Value::Array(all)) = object.get("allOf") {
            let mut merged = object.clone();
            merged.remove("allOf");
            for member in all {
                let member = self.flatten(member);
                merge_into(&mut merged, &member);
            }
            return self.value(&Value::Object(merged), depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = object.get(key) {
                let mut base = object.clone();
                base.remove(key);
                let mut ordered: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
                ordered.extend(branches.iter().filter(|b| is_null(b)));
                let candidate = |branch: &Value, depth: usize| {
                    let mut merged = base.clone();
                    merge_into(&mut merged, &self.flatten(branch));
                    self.value(&Value::Object(merged), depth + 1)
                };
                if key == "anyOf" {
                    return ordered.iter().find_map(|b| candidate(b, depth));
                }
                // `oneOf`: a value that matches exactly one branch, if one is found; with
                // required properties only as the second try (optional ones may belong
                // to the other branches).
                let sparse = depth.max(OPTIONAL_DEPTH + 1);
                let candidates: Vec<Value> = [depth, sparse]
                    .iter()
                    .flat_map(|d| {
                        ordered
                            .iter()
                            .filter_map(|b| candidate(b, *d))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                let exclusive = candidates
                    .iter()
                    .find(|c| branches.iter().filter(|b| self.valid(b, c)).count() == 1);
                return exclusive.or(candidates.first()).cloned();
            }
        }
        let ty = match object.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if object.contains_key("properties") => "object",
            _ if object.contains_key("items") => "array",
            _ => "string",
        };
        if let Some(example) = self.example(object, ty) {
            return Some(example);
        }
        match ty {
            "null" => Some(Value::Null),
            "boolean" => Some(json!(true)),
            "integer" => Some(json!(number(object, true) as i64)),
            "number" => Some(json!(number(object, false))),
            "string" => string(object),
            "array" => {
                let items = object.get("items").cloned().unwrap_or(json!({}));
                let count = object
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .max(1);
                let first = self.value(&items, depth + 1)?;
                Some(Value::Array(vec![first; count as usize]))
            }
            "object" => self.object(object, depth),
            _ => None,
        }
    }

    /// The schema's own example when it is a scalar of the right type and matches the
    /// pattern (examples of objects are often partial, so objects are built).
    fn example(&self, object: &Map<String, Value>, ty: &str) -> Option<Value> {
        let candidates = ["default", "example"]
            .iter()
            .filter_map(|k| object.get(*k))
            .chain(
                object
                    .get("examples")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        for candidate in candidates {
            let ok = match (ty, candidate) {
                // Examples of formatted strings are often not in the format (a uuid with a
                // digit short): the generator's own value is.
                ("string", Value::String(_)) if object.contains_key("format") => false,
                ("string", Value::String(s)) => {
                    matches_pattern(object, s) && s.len() as u64 >= min_length(object)
                }
                ("boolean", Value::Bool(_)) => true,
                _ => false,
            };
            if ok {
                return Some(candidate.clone());
            }
        }
        None
    }

    fn object(&self, object: &Map<String, Value>, depth: usize) -> Option<Value> {
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        if let Some(Value::Object(props)) = object.get("properties") {
            for (name, schema) in props {
                let needed = required.contains(&name.as_str());
                if !needed && depth > OPTIONAL_DEPTH {
                    continue;
                }
                match self.value(schema, depth + 1) {
                    Some(v) => {
                        out.insert(name.clone(), v);
                    }
                    None if needed => return None,
                    None => {}
                }
            }
        }
        // A map (`additionalProperties` with a schema, no named properties): one entry,
        // so nested form fields and deep objects are exercised.
        if out.is_empty() && depth <= OPTIONAL_DEPTH {
            if let Some(extra @ Value::Object(_)) = object.get("additionalProperties") {
                if let Some(v) = self.value(extra, depth + 1) {
                    out.insert("key".into(), v);
                }
            }
        }
        Some(Value::Object(out))
    }

    /// Whether `value` is valid against `schema` (its `$ref`s into the root's `$defs`).
    fn valid(&self, schema: &Value, value: &Value) -> bool {
        let mut document = json!({ "allOf": [schema] });
        if let Some(defs) = self.root.get("$defs") {
            document["$defs"] = defs.clone();
        }
        jsonschema::validator_for(&document).is_ok_and(|v| v.is_valid(value))
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        let decoded = percent_decode(pointer);
        self.root.pointer(&decoded)
    }

    /// `schema` with a top-level `$ref` replaced by its target (for merging).
    fn flatten(&self, schema: &Value) -> Value {
        let mut current = schema.clone();
        for _ in 0..8 {
            let Some(r) = current.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(target) = self.resolve(r) else { break };
            let mut merged = target.as_object().cloned().unwrap_or_default();
            if let Value::Object(o) = &current {
                for (k, v) in o.iter().filter(|(k, _)| *k != "$ref") {
                    merged.entry(k.clone()).or_insert(v.clone());
                }
            }
            current = Value::Object(merged);
        }
        current
    }
}

fn is_null(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Adds `member`'s keywords to `into`: properties and required are unioned, the rest kept
/// from the first schema that has them.
fn merge_into(into: &mut Map<String, Value>, member: &Value) {
    let Value::Object(member) = member else {
        return;
    };
    for (k, v) in member {
        match (k.as_str(), into.get_mut(k), v) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, s) in theirs {
                    mine.entry(name.clone()).or_insert(s.clone());
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for r in theirs {
                    if !mine.contains(r) {
                        mine.push(r.clone());
                    }
                }
            }
            (_, None, _) => {
                into.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            if let Ok(b) = u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A number inside the bounds (1 when they allow it), a multiple of `multipleOf`.
fn number(object: &Map<String, Value>, integer: bool) -> f64 {
    let get = |k: &str| object.get(k).and_then(Value::as_f64);
    let mut low = get("minimum").unwrap_or(f64::MIN);
    if let Some(x) = get("exclusiveMinimum") {
        low = low.max(if integer { x.floor() + 1.0 } else { x + 0.5 });
    }
    let mut high = get("maximum").unwrap_or(f64::MAX);
    if let Some(x) = get("exclusiveMaximum") {
        high = high.min(if integer { x.ceil() - 1.0 } else { x - 0.5 });
    }
    let mut v = 1.0_f64.clamp(low.min(high), high.max(low));
    if integer {
        v = v.ceil();
    }
    if let Some(m) = get("multipleOf").filter(|m| *m > 0.0) {
        v = (v / m).ceil() * m;
    }
    v
}

fn min_length(object: &Map<String, Value>) -> u64 {
    object.get("minLength").and_then(Value::as_u64).unwrap_or(0)
}

fn matches_pattern(object: &Map<String, Value>, s: &str) -> bool {
    match object.get("pattern").and_then(Value::as_str) {
        Some(p) => Regex::new(p).map(|re| re.is_match(s)).unwrap_or(true),
        None => true,
    }
}

fn string(object: &Map<String, Value>) -> Option<Value> {
    let by_format = match object.get("format").and_then(Value::as_str) {
        Some("date-time") => "2024-01-02T03:04:05Z",
        Some("date") => "2024-01-02",
        Some("time") => "03:04:05Z",
        Some("email") => "user@example.com",
        Some("uri" | "url" | "uri-reference" | "iri") => "https://example.com/x",
        Some("uuid") => "123e4567-e89b-12d3-a456-426614174000",
        Some("ipv4") => "127.0.0.1",
        Some("ipv6") => "::1",
        Some("hostname") => "example.com",
        Some("byte") => "aGVsbG8=",
        Some("duration") => "P1D",
        _ => "x",
    };
    let min = min_length(object) as usize;
    let max = object
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|m| m as usize);
    let candidates = [
        by_format,
        "x",
        "abc",
        "a1",
        "1",
        "123",
        "abc-123",
        "A",
        "2024-01-02",
        "x@y.io",
        "https://example.com",
        "v1.0.0",
        "ab12cd34",
    ];
    candidates
        .iter()
        .map(|c| {
            let mut s = (*c).to_owned();
            while s.len() < min {
                s.push_str(c);
            }
            if let Some(max) = max {
                s.truncate(max);
            }
            s
        })
        .find(|s| s.len() >= min && matches_pattern(object, s))
        .map(Value::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_what_the_schema_asks() {
        let root = json!({"$defs": {"P": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 5, "multipleOf": 3}}}}});
        let schema = json!({"type": "object", "required": ["p", "s"], "properties": {
            "p": {"$ref": "#/$defs/P"},
            "s": {"type": "string", "pattern": "^[0-9]+$", "minLength": 2},
            "e": {"enum": ["b", "c"]},
            "a": {"type": "array", "items": {"type": ["null", "boolean"]}, "minItems": 2},
            "o": {"oneOf": [{"type": "null"}, {"type": "string", "format": "date"}]}
        }});
        assert_eq!(
            instance(&schema, &root),
            Some(json!({"p": {"n": 6}, "s": "11", "e": "b", "a": [true, true], "o": "2024-01-02"}))
        );
    }
}
