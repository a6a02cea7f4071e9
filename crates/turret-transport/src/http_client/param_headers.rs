//! `x-mcp-header` (2026-07-28): tool parameters a server asks clients to mirror into
//! `Mcp-Param-{Name}` headers. The transport learns them from the `tools/list` results that
//! flow through it, and drops tools whose annotations break the rules (as the HTTP transport
//! of 2026-07-28 requires), so the caller never sees, nor calls, an invalid tool.

use std::collections::HashSet;

use serde_json::{Map, Value};

/// The annotation keyword.
const KEYWORD: &str = "x-mcp-header";

/// One annotated parameter: its header name and where its value sits in the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamHeader {
    /// The `{Name}` of `Mcp-Param-{Name}`.
    pub(crate) name: String,
    /// The chain of `properties` keys from the schema root to the parameter.
    path: Vec<String>,
}

impl ParamHeader {
    #[cfg(test)]
    pub(crate) fn new(name: &str, path: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            path: path.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The argument value at this parameter's path, if present.
    pub(crate) fn value_in<'a>(&self, arguments: &'a Value) -> Option<&'a Value> {
        self.path
            .iter()
            .try_fold(arguments, |value, key| value.as_object()?.get(key))
    }
}

/// An RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Keywords whose value is an instance, not a schema: an `x-mcp-header` key inside them is
/// data, not an annotation.
const INSTANCE_KEYWORDS: [&str; 4] = ["const", "default", "enum", "examples"];

/// The annotated parameters of a tool's `inputSchema`, or why the tool is invalid.
pub(crate) fn parse(input_schema: &Value) -> Result<Vec<ParamHeader>, String> {
    let mut found = Vec::new();
    let mut path = Vec::new();
    walk(input_schema, &mut path, true, &mut found)?;
    let mut seen = HashSet::new();
    for param in &found {
        if !seen.insert(param.name.to_ascii_lowercase()) {
            return Err(format!(
                "x-mcp-header {:?} is used twice (names are compared case-insensitively)",
                param.name
            ));
        }
    }
    Ok(found)
}

/// Visits the schema at `path`; `reachable` says whether the path is a chain of `properties`
/// keys only (where annotations may sit).
fn walk(
    schema: &Value,
    path: &mut Vec<String>,
    reachable: bool,
    found: &mut Vec<ParamHeader>,
) -> Result<(), String> {
    match schema {
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| walk(item, path, false, found)),
        Value::Object(object) => {
            if let Some(annotation) = object.get(KEYWORD) {
                found.push(annotated(object, annotation, path, reachable)?);
            }
            for (key, value) in object {
                if key == KEYWORD || INSTANCE_KEYWORDS.contains(&key.as_str()) {
                    continue;
                }
                if key == "properties" {
                    if let Value::Object(properties) = value {
                        for (name, property) in properties {
                            path.push(name.clone());
                            walk(property, path, reachable, found)?;
                            path.pop();
                        }
                        continue;
                    }
                }
                // Any other keyword (items, anyOf, $defs, if/then/else, …) leaves the chain.
                walk(value, path, false, found)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks one annotation where it sits.
fn annotated(
    property: &Map<String, Value>,
    annotation: &Value,
    path: &[String],
    reachable: bool,
) -> Result<ParamHeader, String> {
    let at = if path.is_empty() {
        "the schema root".to_owned()
    } else {
        format!("property {:?}", path.join("."))
    };
    if !reachable || path.is_empty() {
        return Err(format!(
            "x-mcp-header at {at} is not reachable from the schema root through `properties` alone"
        ));
    }
    let Value::String(name) = annotation else {
        return Err(format!("x-mcp-header of {at} is not a string"));
    };
    if name.is_empty() {
        return Err(format!("x-mcp-header of {at} is empty"));
    }
    if !name.chars().all(is_tchar) {
        return Err(format!(
            "x-mcp-header {name:?} of {at} is not an HTTP header-name token"
        ));
    }
    let primitive = |t: &Value| matches!(t.as_str(), Some("string" | "integer" | "boolean"));
    let typed_ok = match property.get("type") {
        None => true,
        Some(Value::Array(types)) => !types.is_empty() && types.iter().all(primitive),
        Some(t) => primitive(t),
    };
    if !typed_ok {
        return Err(format!(
            "x-mcp-header {name:?} of {at} is on a parameter whose type is not string, integer or boolean"
        ));
    }
    Ok(ParamHeader {
        name: name.clone(),
        path: path.to_vec(),
    })
}

/// What a `tools/list` result taught: each valid tool's annotated parameters. Invalid tools
/// are removed from `result` (with a warning naming the tool and the reason).
pub(crate) fn learn(result: &mut Value) -> Vec<(String, Vec<ParamHeader>)> {
    let Some(tools) = result.get_mut("tools").and_then(Value::as_array_mut) else {
        return Vec::new();
    };
    let mut learned = Vec::new();
    tools.retain(|tool| {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
        let schema = tool.get("inputSchema").unwrap_or(&Value::Null);
        match parse(schema) {
            Ok(params) => {
                learned.push((name.to_owned(), params));
                true
            }
            Err(reason) => {
                tracing::warn!(tool = name, %reason, "tools/list: dropped a tool with an invalid x-mcp-header annotation");
                false
            }
        }
    });
    learned
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(properties: Value) -> Value {
        json!({"type": "object", "properties": properties})
    }

    #[test]
    fn finds_top_level_and_nested_annotations() {
        let params = parse(&schema(json!({
            "region": {"type": "string", "x-mcp-header": "Region"},
            "query": {"type": "string"},
            "opts": {"type": "object", "properties": {
                "zone": {"type": ["string"], "x-mcp-header": "Zone"}
            }}
        })))
        .unwrap();
        let zone = ParamHeader::new("Zone", &["opts", "zone"]);
        let region = ParamHeader::new("Region", &["region"]);
        assert_eq!(params.len(), 2);
        assert!(params.contains(&zone) && params.contains(&region));
        let args = json!({"opts": {"zone": "b"}});
        assert_eq!(zone.value_in(&args), Some(&json!("b")));
        assert_eq!(region.value_in(&args), None);
    }

    #[test]
    fn rejects_every_invalid_annotation() {
        let cases = [
            json!({"v": {"type": "string", "x-mcp-header": ""}}),
            json!({"v": {"type": "object", "x-mcp-header": "Data"}}),
            json!({"v": {"type": "array", "items": {"type": "string"}, "x-mcp-header": "Items"}}),
            json!({"v": {"type": "null", "x-mcp-header": "Nil"}}),
            json!({"v": {"type": "number", "x-mcp-header": "Num"}}),
            json!({"a": {"type": "string", "x-mcp-header": "Region"},
                   "b": {"type": "string", "x-mcp-header": "Region"}}),
            json!({"a": {"type": "string", "x-mcp-header": "MyField"},
                   "b": {"type": "string", "x-mcp-header": "myfield"}}),
            json!({"v": {"type": "string", "x-mcp-header": "My Region"}}),
            json!({"v": {"type": "string", "x-mcp-header": "Region:Primary"}}),
            json!({"v": {"type": "string", "x-mcp-header": "Région"}}),
            json!({"v": {"type": "string", "x-mcp-header": "Region\t1"}}),
            json!({"v": {"type": "string", "x-mcp-header": 7}}),
            json!({"v": {"type": "array", "items": {"type": "string", "x-mcp-header": "Deep"}}}),
            json!({"v": {"anyOf": [{"type": "string", "x-mcp-header": "Any"}]}}),
        ];
        for properties in cases {
            assert!(parse(&schema(properties.clone())).is_err(), "{properties}");
        }
        let in_defs =
            json!({"type": "object", "$defs": {"d": {"type": "string", "x-mcp-header": "D"}}});
        assert!(parse(&in_defs).is_err());
        let data_only = schema(json!({"v": {"type": "object", "default": {"x-mcp-header": 1}}}));
        assert_eq!(parse(&data_only).unwrap(), []);
    }

    #[test]
    fn drops_invalid_tools_from_a_listing() {
        let mut result = json!({"tools": [
            {"name": "ok", "inputSchema": schema(json!({"r": {"type": "string", "x-mcp-header": "Region"}}))},
            {"name": "bad", "inputSchema": schema(json!({"r": {"type": "object", "x-mcp-header": "Region"}}))},
            {"name": "plain", "inputSchema": {"type": "object"}}
        ]});
        let learned = learn(&mut result);
        let names: Vec<_> = result["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ok", "plain"]);
        assert_eq!(learned.len(), 2);
        assert_eq!(learned[0].1, [ParamHeader::new("Region", &["r"])]);
    }
}
