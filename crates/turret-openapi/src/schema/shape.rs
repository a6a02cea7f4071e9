//! How a tool's schemas carry shared definitions: [`SchemaShape`].

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use turret_types::JsonObject;

use super::convert::defs_ref;

/// How the input and output schemas of generated tools carry the definitions they share.
///
/// Clients disagree on what they accept: most JSON Schema validators (and the MCP SDKs,
/// Claude and OpenAI's function calling) follow `$ref`s into `$defs` at the schema root,
/// which is the default; some only read self-contained schemas.
///
/// ```
/// use turret_openapi::{OpenApi, SchemaShape, Spec};
///
/// let spec = Spec::parse(r##"{"openapi": "3.1.0", "paths": {"/n": {"post": {"operationId": "add",
///     "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}},
///     "components": {"schemas": {"Node": {"type": "object", "properties": {
///         "name": {"type": "string"}, "next": {"$ref": "#/components/schemas/Node"}}}}}}"##)?;
/// let tools = OpenApi::new(spec).schema_shape(SchemaShape::Inline).components()?.tools;
/// let schema = serde_json::Value::Object((*tools[0].input_schema).clone());
/// assert!(!schema.to_string().contains("$ref") && schema.get("$defs").is_none());
/// assert_eq!(schema["properties"]["next"]["properties"]["name"]["type"], "string");
/// # Ok::<(), turret_openapi::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SchemaShape {
    /// Each shared definition once, in `$defs` at the schema root; every `$ref` points
    /// there (`#/$defs/Name`), never elsewhere. The default.
    #[default]
    Defs,
    /// Self-contained: every `$ref` replaced by its definition, [`INLINE_DEPTH`] levels
    /// deep at most; a recursive definition is cut where it recurs, and anything past the
    /// bound, with `{"description": …}` (any value) saying so.
    Inline,
}

/// How many definitions deep [`SchemaShape::Inline`] goes.
pub const INLINE_DEPTH: usize = 8;
/// How many references one schema may inline in all (shared definitions repeat).
const INLINE_BUDGET: usize = 4_000;

/// `schema` in `shape`.
pub(crate) fn shaped(schema: JsonObject, shape: SchemaShape) -> JsonObject {
    match shape {
        SchemaShape::Defs => schema,
        SchemaShape::Inline => inline(schema),
    }
}

fn inline(mut schema: JsonObject) -> JsonObject {
    let defs = match schema.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => return schema,
    };
    let by_ref = defs
        .iter()
        .map(|(name, def)| (defs_ref(name), (name.as_str(), def)))
        .collect();
    let mut inliner = Inliner {
        defs: by_ref,
        stack: Vec::new(),
        budget: INLINE_BUDGET,
    };
    let mut root = Value::Object(schema);
    inliner.walk(&mut root);
    match root {
        Value::Object(o) => o,
        _ => JsonObject::new(),
    }
}

struct Inliner<'a> {
    /// `#/$defs/Name` → (name, definition).
    defs: HashMap<String, (&'a str, &'a Value)>,
    /// The definitions being inlined, outermost first.
    stack: Vec<&'a str>,
    budget: usize,
}

impl<'a> Inliner<'a> {
    fn walk(&mut self, value: &mut Value) {
        match value {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    let r = r.clone();
                    if let Some(replacement) = self.expand(&r) {
                        o.remove("$ref");
                        merge(o, replacement);
                    }
                }
                for v in o.values_mut() {
                    self.walk(v);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.walk(v)),
            _ => {}
        }
    }

    /// The definition `reference` names, inlined, or the described cut.
    fn expand(&mut self, reference: &str) -> Option<Map<String, Value>> {
        let (name, def) = *self.defs.get(reference)?;
        let cut = |why: String| {
            let mut o = Map::new();
            o.insert("description".into(), json!(format!("{name}: {why}")));
            o
        };
        if self.stack.contains(&name) {
            return Some(cut("recursive, cut here (any value)".into()));
        }
        if self.stack.len() >= INLINE_DEPTH || self.budget == 0 {
            return Some(cut(format!(
                "nested too deep to inline (past {INLINE_DEPTH} levels; any value)"
            )));
        }
        self.budget -= 1;
        self.stack.push(name);
        let mut copy = def.clone();
        self.walk(&mut copy);
        self.stack.pop();
        match copy {
            Value::Object(o) => Some(o),
            // A boolean schema: `true` accepts anything, `false` nothing.
            Value::Bool(false) => Some(Map::from_iter([("not".into(), json!({}))])),
            _ => Some(Map::new()),
        }
    }
}

/// The definition's keywords join the referring object's (its own, like a `description`
/// beside the `$ref`, win).
fn merge(into: &mut Map<String, Value>, def: Map<String, Value>) {
    for (k, v) in def {
        into.entry(k).or_insert(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlines_defs_and_cuts_cycles_with_a_description() {
        let schema = json!({
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Tree", "description": "the root"}},
            "$defs": {
                "Tree": {"type": "object", "properties": {
                    "leaf": {"$ref": "#/$defs/Leaf"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}}},
                "Leaf": {"type": "string"}
            }
        });
        let Value::Object(schema) = schema else {
            unreachable!()
        };
        let out = Value::Object(shaped(schema.clone(), SchemaShape::Inline));
        assert!(!out.to_string().contains("$ref"), "{out}");
        assert!(out.get("$defs").is_none());
        let tree = &out["properties"]["tree"];
        assert_eq!(tree["description"], "the root");
        assert_eq!(tree["properties"]["leaf"], json!({"type": "string"}));
        let cut = &tree["properties"]["children"]["items"];
        assert!(
            cut["description"]
                .as_str()
                .unwrap()
                .contains("Tree: recursive"),
            "{cut}"
        );
        assert_eq!(
            Value::Object(shaped(schema.clone(), SchemaShape::Defs)),
            Value::Object(schema)
        );
    }
}
