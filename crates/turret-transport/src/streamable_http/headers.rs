//! The request-metadata headers of 2026-07-28 and their agreement with the body.

use http::HeaderMap;
use serde_json::Value;
use turret_core::param_headers::{decode_header_value, ParamHeaders};
use turret_core::types::meta::{CLIENT_CAPABILITIES_KEY, PROTOCOL_VERSION_KEY};
use turret_core::types::{ErrorCode, JsonRpcRequest, ProtocolVersion};
use turret_core::McpError;

/// `MCP-Protocol-Version`.
pub(crate) const PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// `Mcp-Method`.
pub(crate) const METHOD: &str = "mcp-method";
/// `Mcp-Name`.
pub(crate) const NAME: &str = "mcp-name";
/// `Mcp-Session-Id`.
pub(crate) const SESSION_ID: &str = "mcp-session-id";

fn mismatch(message: String) -> McpError {
    McpError::new(ErrorCode::HEADER_MISMATCH, message)
}

/// A header's value with surrounding whitespace trimmed (RFC 9110 §5.5).
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The request's `Mcp-Param-*` headers, for the router to check against the tool's
/// `x-mcp-header` parameters.
pub(crate) fn param_headers(headers: &HeaderMap) -> ParamHeaders {
    ParamHeaders(
        headers
            .iter()
            .filter_map(|(name, value)| {
                let suffix = name.as_str().strip_prefix("mcp-param-")?;
                Some((suffix.to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
    )
}

/// Checks a 2026-07-28 request against its headers, in the order clients can rely on:
/// version header present, `_meta` complete, header and `_meta` agree, version supported,
/// then `Mcp-Method` and `Mcp-Name`.
pub(crate) fn validate(headers: &HeaderMap, request: &JsonRpcRequest) -> Result<(), McpError> {
    let header_version = header(headers, PROTOCOL_VERSION).ok_or_else(|| {
        mismatch("missing MCP-Protocol-Version header: send the version of _meta".into())
    })?;
    let meta = request
        .params
        .as_ref()
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object);
    let meta_version = meta
        .and_then(|m| m.get(PROTOCOL_VERSION_KEY))
        .and_then(Value::as_str);
    let (Some(meta_version), Some(true)) = (
        meta_version,
        meta.map(|m| m.get(CLIENT_CAPABILITIES_KEY).is_some_and(Value::is_object)),
    ) else {
        return Err(McpError::invalid_params(format!(
            "params._meta must carry {PROTOCOL_VERSION_KEY} and {CLIENT_CAPABILITIES_KEY}"
        )));
    };
    if header_version != meta_version {
        return Err(mismatch(format!(
            "MCP-Protocol-Version header {header_version:?} does not match _meta version {meta_version:?}"
        )));
    }
    if !ProtocolVersion::parse(meta_version).is_some_and(ProtocolVersion::is_sessionless) {
        return Err(McpError::unsupported_version(meta_version));
    }
    let method =
        header(headers, METHOD).ok_or_else(|| mismatch("missing Mcp-Method header".into()))?;
    if method != request.method {
        return Err(mismatch(format!(
            "Mcp-Method header {method:?} does not match body method {:?}",
            request.method
        )));
    }
    let key = match request.method.as_str() {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return Ok(()),
    };
    let expected = request
        .params
        .as_ref()
        .and_then(|p| p.get(key))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = decode_header_value(
        header(headers, NAME).ok_or_else(|| mismatch("missing Mcp-Name header".into()))?,
    )?;
    if name != expected {
        return Err(mismatch(format!(
            "Mcp-Name header {name:?} does not match body {key} {expected:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use turret_core::types::RequestId;

    fn request(method: &str, params: Value) -> JsonRpcRequest {
        JsonRpcRequest {
            id: RequestId::Number(1),
            method: method.into(),
            params: Some(params),
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn meta(version: &str) -> Value {
        json!({ PROTOCOL_VERSION_KEY: version, CLIENT_CAPABILITIES_KEY: {} })
    }

    fn code(h: &[(&str, &str)], r: &JsonRpcRequest) -> Option<i32> {
        validate(&headers(h), r).err().map(|e| e.code().0)
    }

    #[test]
    fn validates_in_order() {
        let list = request("tools/list", json!({ "_meta": meta("2026-07-28") }));
        let ok = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
        ];
        assert_eq!(code(&ok, &list), None);
        assert_eq!(code(&ok[1..], &list), Some(-32020));
        assert_eq!(code(&ok, &request("tools/list", json!({}))), Some(-32602));
        let v999 = request("tools/list", json!({ "_meta": meta("v999.0.0") }));
        assert_eq!(code(&ok, &v999), Some(-32020));
        assert_eq!(
            code(&[("mcp-protocol-version", "v999.0.0"), ok[1]], &v999),
            Some(-32022)
        );
        assert_eq!(
            code(&[ok[0], ("mcp-method", "prompts/list")], &list),
            Some(-32020)
        );
        assert_eq!(
            code(&[ok[0], ("mcp-method", "TOOLS/LIST")], &list),
            Some(-32020)
        );
        assert_eq!(code(&ok[..1], &list), Some(-32020));
    }

    #[test]
    fn names_are_trimmed_and_may_be_base64() {
        let call = request(
            "tools/call",
            json!({ "_meta": meta("2026-07-28"), "name": "Hello" }),
        );
        let with = |name: &str| {
            code(
                &[
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "tools/call"),
                    ("mcp-name", name),
                ],
                &call,
            )
        };
        assert_eq!(with("  Hello  "), None);
        assert_eq!(with("=?base64?SGVsbG8=?="), None);
        assert_eq!(with("=?base64?SGVsbG8?="), Some(-32020));
        assert_eq!(with("=?base64?SGVs!!!bG8=?="), Some(-32020));
        assert_eq!(with("wrong"), Some(-32020));
    }
}
