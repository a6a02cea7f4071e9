//! One OpenAPI schema object into JSON Schema 2020-12.
//!
//! References to `#/components/schemas/X` become `#/$defs/X` and are recorded, so the tool
//! can carry each shared definition once; other local references (into `#/paths/…`, into a
//! property of a component) are inlined, with a cycle cut to `{}`. OpenAPI 3.0's
//! `nullable` becomes a type array (or an `anyOf` with null), its boolean
//! `exclusiveMinimum`/`exclusiveMaximum` the numeric form; a `discriminator` becomes a
//! `const` (or `enum`) of the tag property in each branch it names; vendor extensions and
//! OpenAPI-only annotations (`xml`, the `discriminator` keyword, `externalDocs`) are
//! dropped.

use std::collections::BTreeSet;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Map, Value};

use crate::document::node::{Node, Object};
use crate::document::{pointer, Spec, Version};
use crate::error::Error;

/// How deep references that are inlined may nest before the cycle is cut.
const MAX_INLINE_DEPTH: usize = 16;

/// Keywords whose value is one schema.
const SCHEMA_KEYWORDS: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
];
/// Keywords whose value is an array of schemas.
const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];
/// OpenAPI annotations with no meaning to a JSON Schema consumer.
const DROPPED: &[&str] = &["xml", "discriminator", "externalDocs", "nullable"];

/// Characters escaped in a `$defs` name inside a `$ref` fragment.
const FRAGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'%')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']');

/// The `$ref` that names definition `name` in a tool's `$defs`.
pub(crate) fn defs_ref(name: &str) -> String {
    let escaped = name.replace('~', "~0").replace('/', "~1");
    format!("#/$defs/{}", utf8_percent_encode(&escaped, FRAGMENT))
}

/// Whether properties marked `readOnly` are dropped (input) or kept (output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    Input,
    Output,
}

/// Converts schemas of one spec, collecting the component definitions they use.
pub(crate) struct Converter<'a> {
    spec: &'a Spec,
    direction: Direction,
    /// Component schemas referenced so far.
    pub(crate) refs: BTreeSet<String>,
    inlining: Vec<String>,
}

impl<'a> Converter<'a> {
    pub(crate) fn new(spec: &'a Spec, direction: Direction) -> Self {
        Self {
            spec,
            direction,
            refs: BTreeSet::new(),
            inlining: Vec::new(),
        }
    }

    /// The JSON Schema for `schema`.
    pub(crate) fn convert(&mut self, schema: &Node) -> Result<Value, Error> {
        let object = match schema {
            Node::Object(o) => o,
            // 3.1 boolean schemas (`true`, `false`) stay as they are.
            other => return Ok(other.to_json()),
        };
        if let Some(reference) = object.get("$ref").and_then(Node::as_str) {
            return self.reference(reference, object);
        }
        self.object(object)
    }

    fn reference(&mut self, reference: &str, object: &Object) -> Result<Value, Error> {
        let mut out = if let Some(name) = pointer::schema_name(reference) {
            // Existence is checked here, so a dangling reference fails the build clearly.
            pointer::resolve(&self.spec.root, reference)?;
            let r = defs_ref(&name);
            self.refs.insert(name);
            json!({ "$ref": r })
        } else if self.inlining.iter().any(|r| r == reference)
            || self.inlining.len() >= MAX_INLINE_DEPTH
        {
            json!({})
        } else {
            let target = pointer::resolve(&self.spec.root, reference)?;
            self.inlining.push(reference.to_owned());
            let converted = self.convert(target);
            self.inlining.pop();
            converted?
        };
        // Siblings of `$ref` (3.1 allows them; 3.0 specs use them for descriptions) stay.
        let siblings = object.iter().filter(|(k, _)| &***k != "$ref");
        let mut extra = Object::new();
        extra.extend(siblings.map(|(k, v)| (k.clone(), v.clone())));
        if !extra.is_empty() {
            if let (Value::Object(out), Value::Object(more)) = (&mut out, self.object(&extra)?) {
                for (k, v) in more {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(out)
    }

    fn object(&mut self, object: &Object) -> Result<Value, Error> {
        let mut out = Map::new();
        // `readOnly` properties are the server's to set, `writeOnly` ones never come back:
        // left out of request and response schemas.
        let hidden = match self.direction {
            Direction::Input => "readOnly",
            Direction::Output => "writeOnly",
        };
        let hidden = |n: &Node| n.get(hidden).and_then(Node::as_bool) == Some(true);
        let mut dropped: Vec<&str> = Vec::new();
        for (key, value) in object {
            let key: &str = key;
            if key.starts_with("x-") || DROPPED.contains(&key) {
                continue;
            }
            let converted = if SCHEMA_KEYWORDS.contains(&key) {
                self.convert(value)?
            } else if SCHEMA_LIST_KEYWORDS.contains(&key) {
                match value {
                    Node::Array(items) => Value::Array(
                        items
                            .iter()
                            .map(|s| self.convert(s))
                            .collect::<Result<_, _>>()?,
                    ),
                    other => other.to_json(),
                }
            } else if SCHEMA_MAP_KEYWORDS.contains(&key) {
                match value {
                    Node::Object(members) => {
                        let mut map = Map::new();
                        for (name, s) in members.iter() {
                            if key == "properties" && hidden(s) {
                                dropped.push(name);
                                continue;
                            }
                            map.insert(name.to_string(), self.convert(s)?);
                        }
                        Value::Object(map)
                    }
                    other => other.to_json(),
                }
            } else if key == "example" && value.get("$ref").is_some() {
                // An `example` written as a reference to an Example Object (GitHub does
                // this) is left out: an annotation, and no `$ref` may stay outside `#/$defs`.
                continue;
            } else {
                value.to_json()
            };
            out.insert(key.to_owned(), converted);
        }
        discriminate(&mut out, object);
        if !dropped.is_empty() {
            if let Some(Value::Array(required)) = out.get_mut("required") {
                required.retain(|r| !r.as_str().is_some_and(|r| dropped.contains(&r)));
            }
        }
        if self.spec.version() == Version::V3_0 {
            exclusive_bounds(&mut out);
            if object.get("nullable").and_then(Node::as_bool) == Some(true) {
                return Ok(nullable(out));
            }
        }
        Ok(Value::Object(out))
    }
}

/// A discriminator in JSON Schema's terms (the keyword itself means nothing to a JSON
/// Schema client): each `oneOf`/`anyOf` branch it names requires the tag property to hold
/// its mapped value(s), or, unmapped, the schema's name, so a client and a model can tell
/// the variants apart.
fn discriminate(out: &mut Map<String, Value>, object: &Object) {
    let Some(d) = object.get("discriminator") else {
        return;
    };
    let Some(tag) = d.str("propertyName") else {
        return;
    };
    let mapping: Vec<(&str, &str)> = d
        .get("mapping")
        .and_then(Node::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(value, target)| Some((&**value, target.as_str()?)))
        .collect();
    for key in ["oneOf", "anyOf"] {
        let (Some(Node::Array(branches)), Some(Value::Array(converted))) =
            (object.get(key), out.get_mut(key))
        else {
            continue;
        };
        for (branch, slot) in branches.iter().zip(converted.iter_mut()) {
            let Some(reference) = branch.str("$ref") else {
                continue;
            };
            let name = pointer::schema_name(reference);
            let mut values: Vec<&str> = mapping
                .iter()
                .filter(|(_, target)| *target == reference || Some(*target) == name.as_deref())
                .map(|(value, _)| *value)
                .collect();
            match &name {
                Some(name) if values.is_empty() => values.push(name),
                _ if values.is_empty() => continue,
                _ => {}
            }
            let allowed = match values.as_slice() {
                [one] => json!({ "const": one }),
                many => json!({ "enum": many }),
            };
            let branch = slot.take();
            *slot = json!({"allOf": [branch, {"properties": {tag: allowed}, "required": [tag]}]});
        }
    }
}

/// 3.0's `exclusiveMinimum: true` beside `minimum` is 2020-12's `exclusiveMinimum: n`.
fn exclusive_bounds(out: &mut Map<String, Value>) {
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(exclusive)) = out.get(flag).cloned() {
            out.remove(flag);
            if exclusive {
                if let Some(n) = out.remove(bound) {
                    out.insert(flag.to_owned(), n);
                }
            }
        }
    }
}

/// A 3.0 `nullable: true` schema as 2020-12: `null` joins the type (and the enum), or the
/// schema becomes one branch of an `anyOf` beside `{"type": "null"}`.
fn nullable(mut out: Map<String, Value>) -> Value {
    if let Some(Value::Array(values)) = out.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    match out.get("type").cloned() {
        Some(Value::String(t)) => {
            out.insert("type".into(), json!([t, "null"]));
            Value::Object(out)
        }
        Some(Value::Array(mut types)) => {
            if !types.contains(&json!("null")) {
                types.push(json!("null"));
            }
            out.insert("type".into(), Value::Array(types));
            Value::Object(out)
        }
        _ => json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(version: &str, schemas: &str) -> Spec {
        Spec::parse(&format!(
            r#"{{"openapi":"{version}","components":{{"schemas":{schemas}}}}}"#
        ))
        .unwrap()
    }

    fn node(text: &str) -> Node {
        serde_json::from_str(text).unwrap()
    }

    fn convert(spec: &Spec, dir: Direction, schema: &str) -> (Value, BTreeSet<String>) {
        let node = node(schema);
        let mut c = Converter::new(spec, dir);
        let v = c.convert(&node).unwrap();
        (v, c.refs)
    }

    #[test]
    fn nullable_and_bounds_in_3_0() {
        let s = spec("3.0.3", "{}");
        let (v, _) = convert(
            &s,
            Direction::Input,
            r#"{"type":"integer","nullable":true,"minimum":1,"exclusiveMinimum":true,"x-go":1}"#,
        );
        assert_eq!(
            v,
            json!({"type": ["integer", "null"], "exclusiveMinimum": 1})
        );
        let (v, _) = convert(
            &s,
            Direction::Input,
            r#"{"enum":["a"],"nullable":true,"allOf":[{}]}"#,
        );
        assert_eq!(
            v,
            json!({"anyOf": [{"enum": ["a", null], "allOf": [{}]}, {"type": "null"}]})
        );
    }

    #[test]
    fn component_refs_become_defs_and_property_named_ref_is_a_property() {
        let s = spec(
            "3.1.0",
            r#"{"a/b":{"type":"string"},"P":{"type":"object"}}"#,
        );
        let (v, refs) = convert(
            &s,
            Direction::Input,
            r##"{"type":"object","properties":{"$ref":{"$ref":"#/components/schemas/a~1b","description":"d"},"p":{"$ref":"#/components/schemas/P"}}}"##,
        );
        assert_eq!(
            v["properties"]["$ref"],
            json!({"$ref": "#/$defs/a~1b", "description": "d"})
        );
        assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["P", "a/b"]);
    }

    #[test]
    fn read_only_dropped_from_input_write_only_from_output() {
        let s = spec("3.1.0", "{}");
        let schema = r#"{"type":"object","required":["id","n","pw"],"properties":{"id":{"type":"string","readOnly":true},"n":{"type":"string"},"pw":{"type":"string","writeOnly":true}}}"#;
        let (v, _) = convert(&s, Direction::Input, schema);
        assert_eq!(v["required"], json!(["n", "pw"]));
        assert!(v["properties"].get("id").is_none());
        let (v, _) = convert(&s, Direction::Output, schema);
        assert_eq!(v["required"], json!(["id", "n"]));
        assert!(v["properties"].get("id").is_some());
        assert!(v["properties"].get("pw").is_none());
    }

    #[test]
    fn inlined_ref_cycles_are_cut() {
        let s = Spec::parse(
            r##"{"openapi":"3.1.0","paths":{"/a":{"x":{"type":"object","properties":{"self":{"$ref":"#/paths/~1a/x"}}}}}}"##,
        )
        .unwrap();
        let (v, _) = convert(&s, Direction::Input, r##"{"$ref":"#/paths/~1a/x"}"##);
        assert_eq!(v["type"], "object");
        assert_eq!(v["properties"]["self"], json!({}));
    }

    #[test]
    fn discriminators_become_tag_constants_in_their_branches() {
        let s = spec(
            "3.1.0",
            r#"{"Cat":{"type":"object"},"Dog":{"type":"object"},"Fox":{"type":"object"}}"#,
        );
        let (v, _) = convert(
            &s,
            Direction::Input,
            r##"{"oneOf":[{"$ref":"#/components/schemas/Cat"},{"$ref":"#/components/schemas/Dog"},{"$ref":"#/components/schemas/Fox"}],
                "discriminator":{"propertyName":"kind","mapping":{"cat":"#/components/schemas/Cat","kitty":"Cat","dog":"#/components/schemas/Dog"}}}"##,
        );
        let tag = |i: usize| v["oneOf"][i]["allOf"][1]["properties"]["kind"].clone();
        assert_eq!(tag(0), json!({"enum": ["cat", "kitty"]}));
        assert_eq!(tag(1), json!({"const": "dog"}));
        assert_eq!(
            tag(2),
            json!({"const": "Fox"}),
            "unmapped: the schema's name"
        );
        assert_eq!(v["oneOf"][1]["allOf"][0], json!({"$ref": "#/$defs/Dog"}));
        assert_eq!(v["oneOf"][1]["allOf"][1]["required"], json!(["kind"]));
        assert!(v.get("discriminator").is_none());
    }

    #[test]
    fn boolean_schemas_and_bad_refs() {
        let s = spec("3.1.0", "{}");
        assert_eq!(convert(&s, Direction::Input, "false").0, json!(false));
        let node = node(r##"{"$ref":"#/components/schemas/Nope"}"##);
        let e = Converter::new(&s, Direction::Input)
            .convert(&node)
            .unwrap_err();
        assert!(e.to_string().contains("#/components/schemas/Nope"), "{e}");
    }
}
