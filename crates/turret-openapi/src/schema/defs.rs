//! Shared definitions: each component schema converted once per direction, and the set a
//! tool reaches, emitted as its `$defs` (never inlined per use).

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::convert::{defs_ref, Converter, Direction};
use crate::document::{pointer, Spec};
use crate::error::Error;

struct Converted {
    schema: Value,
    refs: Vec<String>,
    /// Serialized length, for budgets.
    size: usize,
}

/// The component schemas of one spec, converted on first use.
pub(crate) struct Definitions<'a> {
    spec: &'a Spec,
    converted: HashMap<(String, Direction), Converted>,
}

impl<'a> Definitions<'a> {
    pub(crate) fn new(spec: &'a Spec) -> Self {
        Self {
            spec,
            converted: HashMap::new(),
        }
    }

    pub(crate) fn spec(&self) -> &'a Spec {
        self.spec
    }

    fn convert(&mut self, name: &str, direction: Direction) -> Result<&Converted, Error> {
        let key = (name.to_owned(), direction);
        if !self.converted.contains_key(&key) {
            let schema = self
                .spec
                .root
                .get("components")
                .and_then(|c| c.get("schemas"))
                .and_then(|s| s.get(name))
                .ok_or_else(|| Error::BadRef {
                    reference: format!("#/components/schemas/{name}"),
                    reason: "no such schema".into(),
                })?;
            let mut converter = Converter::new(self.spec, direction);
            let schema = converter.convert(schema)?;
            let refs = converter.refs.into_iter().collect();
            let size = serde_json::to_vec(&schema).map_or(0, |v| v.len());
            let converted = Converted { schema, refs, size };
            self.converted.insert(key.clone(), converted);
        }
        Ok(&self.converted[&key])
    }

    /// The converted component `name` (for a root that is itself a reference).
    pub(crate) fn schema(
        &mut self,
        name: &str,
        direction: Direction,
    ) -> Result<(Value, Vec<String>), Error> {
        let c = self.convert(name, direction)?;
        Ok((c.schema.clone(), c.refs.clone()))
    }

    /// Every definition reachable from `roots`, by name.
    pub(crate) fn closure(
        &mut self,
        roots: impl IntoIterator<Item = String>,
        direction: Direction,
    ) -> Result<Map<String, Value>, Error> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut queue: Vec<String> = roots.into_iter().collect();
        let mut out = Map::new();
        while let Some(name) = queue.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let c = self.convert(&name, direction)?;
            queue.extend(c.refs.iter().filter(|r| !seen.contains(*r)).cloned());
            out.insert(name, c.schema.clone());
        }
        Ok(out)
    }

    /// The definitions reachable from `roots`, breadth first, while their total size stays
    /// within `budget` bytes; references to the ones left out become `{}` (any value) in
    /// `root` and in the kept definitions. Returns the kept definitions.
    pub(crate) fn bounded(
        &mut self,
        root: &mut Value,
        roots: Vec<String>,
        direction: Direction,
        budget: usize,
    ) -> Result<Map<String, Value>, Error> {
        let mut seen: BTreeSet<String> = roots.iter().cloned().collect();
        let mut queue: std::collections::VecDeque<String> = roots.into();
        let (mut kept, mut left_out, mut total) = (Vec::new(), BTreeSet::new(), 0);
        while let Some(name) = queue.pop_front() {
            let c = self.convert(&name, direction)?;
            if total + c.size > budget {
                left_out.insert(defs_ref(&name));
                continue;
            }
            total += c.size;
            for r in &c.refs {
                if seen.insert(r.clone()) {
                    queue.push_back(r.clone());
                }
            }
            kept.push(name);
        }
        let mut out = Map::new();
        for name in kept {
            let mut schema = self.converted[&(name.clone(), direction)].schema.clone();
            if !left_out.is_empty() {
                prune(&mut schema, &left_out);
            }
            out.insert(name, schema);
        }
        if !left_out.is_empty() {
            prune(root, &left_out);
        }
        Ok(out)
    }

    /// The component a schema's `$ref` names, if it is exactly a component reference.
    pub(crate) fn component_of(schema: &crate::document::node::Node) -> Option<String> {
        schema.str("$ref").and_then(pointer::schema_name)
    }
}

/// Replaces references to `left_out` definitions with `{}` (keeping a description).
fn prune(value: &mut Value, left_out: &BTreeSet<String>) {
    match value {
        Value::Object(o) => {
            if o.get("$ref")
                .and_then(Value::as_str)
                .is_some_and(|r| left_out.contains(r))
            {
                o.retain(|k, _| k == "description");
                return;
            }
            o.values_mut().for_each(|v| prune(v, left_out));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| prune(v, left_out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_is_transitive_and_survives_cycles() {
        let spec = Spec::parse(
            r##"{"openapi":"3.1.0","components":{"schemas":{
              "A":{"type":"object","properties":{"b":{"$ref":"#/components/schemas/B"}}},
              "B":{"type":"object","properties":{"a":{"$ref":"#/components/schemas/A"}}},
              "C":{"type":"string"}}}}"##,
        )
        .unwrap();
        let mut defs = Definitions::new(&spec);
        let all = defs.closure(["A".to_owned()], Direction::Input).unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(all["B"]["properties"]["a"]["$ref"], "#/$defs/A");
        // A budget that fits A but not B: B's uses become `{}`.
        let mut root = serde_json::json!({"$ref": "#/$defs/A"});
        let a_only = defs
            .bounded(&mut root, vec!["A".into()], Direction::Input, 80)
            .unwrap();
        assert_eq!(a_only.keys().collect::<Vec<_>>(), ["A"]);
        assert_eq!(a_only["A"]["properties"]["b"], serde_json::json!({}));
        assert_eq!(root["$ref"], "#/$defs/A");
    }
}
