//! The MCP request headers of the streamable HTTP transport: session and version headers,
//! and the body fields 2026-07-28 mirrors into `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*`
//! (with the `=?base64?…?=` sentinel for values a header cannot carry verbatim).

use base64::Engine as _;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use turret_core::types::meta::PROTOCOL_VERSION_KEY;
use turret_core::types::JsonRpcRequest;

use super::param_headers::ParamHeader;

pub(crate) const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub(crate) const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
pub(crate) const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
pub(crate) const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
pub(crate) const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// What `Accept` a POST carries.
pub(crate) const ACCEPT_POST: HeaderValue =
    HeaderValue::from_static("application/json, text/event-stream");
/// What `Accept` a GET carries.
pub(crate) const ACCEPT_SSE: HeaderValue = HeaderValue::from_static("text/event-stream");

/// The protocol version in a request's `_meta`: set only on 2026-07-28 requests.
pub(crate) fn modern_version(request: &JsonRpcRequest) -> Option<String> {
    request
        .params
        .as_ref()?
        .get("_meta")?
        .get(PROTOCOL_VERSION_KEY)?
        .as_str()
        .map(str::to_owned)
}

/// A header value for `text`: verbatim when it is plain visible ASCII (inner spaces allowed),
/// else the Base64 sentinel `=?base64?…?=`. Values that already look like the sentinel are
/// encoded too, so the server never decodes a literal.
pub(crate) fn encode_value(text: &str) -> HeaderValue {
    let visible = text.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let padded = text.starts_with(' ') || text.ends_with(' ');
    let sentinel = text.starts_with("=?base64?") && text.ends_with("?=");
    let plain = visible && !padded && !sentinel;
    let encoded;
    let value = if plain {
        text
    } else {
        encoded = format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        );
        &encoded
    };
    // Plain values and the sentinel are visible ASCII (and spaces): always valid.
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The header text of an annotated argument: strings as they are, integers in decimal,
/// booleans as `true`/`false`; `None` (no header) for null, absent or non-primitive values.
fn primitive_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i.to_string())
            } else if let Some(u) = n.as_u64() {
                Some(u.to_string())
            } else {
                // An integer written as a float (`42.0`) is still an integer.
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15)
                    .map(|f| format!("{}", f as i64))
            }
        }
        _ => None,
    }
}

/// Adds the 2026-07-28 request headers: `MCP-Protocol-Version` (equal to the `_meta`
/// version), `Mcp-Method`, `Mcp-Name` where the method has one, and `Mcp-Param-*` for the
/// annotated arguments of a `tools/call` (`params` are the tool's known annotations).
pub(crate) fn add_modern(
    headers: &mut HeaderMap,
    request: &JsonRpcRequest,
    version: &str,
    params: Option<&[ParamHeader]>,
) {
    if let Ok(v) = HeaderValue::from_str(version) {
        headers.insert(MCP_PROTOCOL_VERSION, v);
    }
    headers.insert(MCP_METHOD, encode_value(&request.method));
    let body = request.params.as_ref();
    let name_field = match request.method.as_str() {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(name) = name_field
        .and_then(|field| body?.get(field))
        .and_then(Value::as_str)
    {
        headers.insert(MCP_NAME, encode_value(name));
    }
    let (Some(params), Some(arguments)) = (params, body.and_then(|b| b.get("arguments"))) else {
        return;
    };
    for param in params {
        let Some(text) = param.value_in(arguments).and_then(primitive_text) else {
            continue;
        };
        if let Ok(name) = HeaderName::from_bytes(format!("mcp-param-{}", param.name).as_bytes()) {
            headers.insert(name, encode_value(&text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(value: &HeaderValue) -> String {
        let s = value.to_str().unwrap();
        let inner = s
            .strip_prefix("=?base64?")
            .and_then(|s| s.strip_suffix("?="))
            .expect("sentinel");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(inner)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn encodes_only_what_a_header_cannot_carry() {
        for plain in ["us-west1", "us west 1", "", "SELECT * FROM users", "a=?b"] {
            assert_eq!(encode_value(plain).to_str().unwrap(), plain);
        }
        for unsafe_ in [
            "Hello, 世界",
            " padded ",
            " lead",
            "trail ",
            "line1\nline2",
            "line1\r\nline2",
            "\tindented",
            "=?base64?literal?=",
        ] {
            assert_eq!(decoded(&encode_value(unsafe_)), unsafe_);
        }
        assert_eq!(
            encode_value("Hello, 世界").to_str().unwrap(),
            "=?base64?SGVsbG8sIOS4lueVjA==?="
        );
    }

    #[test]
    fn mirrors_method_name_and_annotated_arguments() {
        let request = JsonRpcRequest {
            id: 1.into(),
            method: "tools/call".into(),
            params: Some(json!({
                "name": "execute_sql",
                "arguments": {"region": "us-west1", "priority": 42, "verbose": false,
                              "nested": {"zone": "b"}, "gone": null, "float": 3.5}
            })),
        };
        let params = vec![
            ParamHeader::new("Region", &["region"]),
            ParamHeader::new("Priority", &["priority"]),
            ParamHeader::new("Verbose", &["verbose"]),
            ParamHeader::new("Zone", &["nested", "zone"]),
            ParamHeader::new("Gone", &["gone"]),
            ParamHeader::new("Missing", &["missing"]),
            ParamHeader::new("Float", &["float"]),
        ];
        let mut headers = HeaderMap::new();
        add_modern(&mut headers, &request, "2026-07-28", Some(&params));
        assert_eq!(headers["mcp-protocol-version"], "2026-07-28");
        assert_eq!(headers["mcp-method"], "tools/call");
        assert_eq!(headers["mcp-name"], "execute_sql");
        assert_eq!(headers["mcp-param-region"], "us-west1");
        assert_eq!(headers["mcp-param-priority"], "42");
        assert_eq!(headers["mcp-param-verbose"], "false");
        assert_eq!(headers["mcp-param-zone"], "b");
        for absent in ["mcp-param-gone", "mcp-param-missing", "mcp-param-float"] {
            assert!(!headers.contains_key(absent), "{absent}");
        }
    }

    #[test]
    fn names_resources_by_uri() {
        let request = JsonRpcRequest {
            id: 1.into(),
            method: "resources/read".into(),
            params: Some(json!({"uri": "file:///a b/ü.txt"})),
        };
        let mut headers = HeaderMap::new();
        add_modern(&mut headers, &request, "2026-07-28", None);
        assert_eq!(decoded(&headers["mcp-name"]), "file:///a b/ü.txt");
    }
}
