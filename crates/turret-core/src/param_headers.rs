//! `x-mcp-header` (2026-07-28): tool parameters a client mirrors into `Mcp-Param-{Name}`
//! HTTP headers, so gateways can route on them without reading bodies. The HTTP edge puts
//! the request's headers into [`ParamHeaders`]; the router checks them against the tool's
//! annotated parameters before calling it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use turret_types::{ErrorCode, JsonObject};

use crate::error::McpError;

/// The schema keyword that annotates a parameter.
pub const ANNOTATION: &str = "x-mcp-header";

/// The `Mcp-Param-*` headers of an HTTP request: the name after the prefix and the raw
/// value, as the edge received them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamHeaders(pub Vec<(String, String)>);

impl ParamHeaders {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

fn mismatch(message: String) -> McpError {
    McpError::new(ErrorCode::HEADER_MISMATCH, message)
}

/// Decodes a header value sent as `=?base64?…?=`; any other value is literal.
pub fn decode_header_value(value: &str) -> Result<String, McpError> {
    let Some(inner) = value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    else {
        return Ok(value.to_owned());
    };
    STANDARD
        .decode(inner)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| mismatch(format!("header value {value:?} is not valid base64 UTF-8")))
}

/// The annotated parameters of an input schema: each one's property path and header name.
/// Only chains of `properties` count, as the spec requires.
pub fn annotated(schema: &JsonObject) -> Vec<(Vec<String>, String)> {
    fn walk(schema: &JsonObject, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, property) in properties {
            let Some(property) = property.as_object() else {
                continue;
            };
            path.push(name.clone());
            if let Some(header) = property.get(ANNOTATION).and_then(Value::as_str) {
                out.push((path.clone(), header.to_owned()));
            }
            walk(property, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(schema, &mut Vec::new(), &mut out);
    out
}

/// Checks that every annotated parameter with a value arrived in its header with the same
/// value; `-32020` otherwise.
pub fn check(
    schema: &JsonObject,
    arguments: Option<&JsonObject>,
    headers: &ParamHeaders,
) -> Result<(), McpError> {
    for (path, name) in annotated(schema) {
        let mut value = arguments.and_then(|a| a.get(&path[0]));
        for key in &path[1..] {
            value = value.and_then(|v| v.get(key));
        }
        let Some(value) = value.filter(|v| !v.is_null()) else {
            continue;
        };
        let header = headers.get(&name).ok_or_else(|| {
            mismatch(format!(
                "missing Mcp-Param-{name} header for argument {}",
                path.join(".")
            ))
        })?;
        let header = decode_header_value(header)?;
        let agrees = match value {
            Value::String(s) => *s == header,
            Value::Bool(b) => header == if *b { "true" } else { "false" },
            Value::Number(n) => header
                .parse::<f64>()
                .ok()
                .zip(n.as_f64())
                .is_some_and(|(h, n)| h == n),
            _ => false,
        };
        if !agrees {
            return Err(mismatch(format!(
                "Mcp-Param-{name} header {header:?} does not match argument {}",
                path.join(".")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> JsonObject {
        json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "n": {"type": "integer", "x-mcp-header": "N"},
            "opts": {"type": "object", "properties": {"debug": {"type": "boolean", "x-mcp-header": "Debug"}}},
            "query": {"type": "string"}
        }})
        .as_object()
        .cloned()
        .unwrap()
    }

    fn verdict(args: serde_json::Value, headers: &[(&str, &str)]) -> Option<i32> {
        let h = ParamHeaders(
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        check(&schema(), args.as_object(), &h)
            .err()
            .map(|e| e.code().0)
    }

    #[test]
    fn headers_must_mirror_annotated_arguments() {
        assert_eq!(annotated(&schema()).len(), 3);
        assert_eq!(
            verdict(
                json!({"region": "Hello"}),
                &[("Region", "=?base64?SGVsbG8=?=")]
            ),
            None
        );
        assert_eq!(
            verdict(json!({"region": "Hello"}), &[("region", " Hello ")]),
            None
        );
        assert_eq!(
            verdict(
                json!({"region": "Hello"}),
                &[("Region", "=?base64?SGVsbG8?=")]
            ),
            Some(-32020)
        );
        assert_eq!(
            verdict(
                json!({"region": "Hello"}),
                &[("Region", "=?base64?SGVs!!!bG8=?=")]
            ),
            Some(-32020)
        );
        assert_eq!(
            verdict(json!({"region": "SGVsbG8="}), &[("Region", "SGVsbG8=")]),
            None
        );
        assert_eq!(
            verdict(
                json!({"region": "=?base64?SGVsbG8="}),
                &[("Region", "=?base64?SGVsbG8=")]
            ),
            None
        );
        assert_eq!(verdict(json!({"region": "Hello"}), &[]), Some(-32020));
        assert_eq!(verdict(json!({"region": null, "query": "q"}), &[]), None);
        assert_eq!(verdict(json!({"n": 42}), &[("N", "42.0")]), None);
        assert_eq!(
            verdict(json!({"opts": {"debug": true}}), &[("Debug", "true")]),
            None
        );
        assert_eq!(
            verdict(json!({"opts": {"debug": true}}), &[("Debug", "false")]),
            Some(-32020)
        );
    }
}
