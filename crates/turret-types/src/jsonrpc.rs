//! The JSON-RPC 2.0 envelope MCP messages travel in.
//!
//! [`JsonRpcMessage::parse`] classifies one incoming message and reports malformed input as an
//! [`ErrorObject`] with the right code (`-32700` for invalid JSON, `-32600` for a valid JSON
//! value that is not a JSON-RPC message), recovering the request id where there is one so the
//! error can still be answered.

use std::fmt;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{ErrorCode, ErrorObject};

/// The only JSON-RPC version MCP speaks.
pub const JSONRPC_VERSION: &str = "2.0";

/// A JSON-RPC request id, or an MCP progress token: a string or an integer, never null.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

/// A progress token has the same shape as a request id.
pub type ProgressToken = RequestId;

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => f.write_str(s),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl From<String> for RequestId {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

/// A request: has an id and expects a response.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRpcRequest {
    /// The id the response will carry.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The parameters, if any (MCP always uses an object).
    pub params: Option<Value>,
}

/// A notification: no id, no response.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRpcNotification {
    /// The method name.
    pub method: String,
    /// The parameters, if any.
    pub params: Option<Value>,
}

/// A successful response.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRpcResponse {
    /// The id of the request this answers.
    pub id: RequestId,
    /// The result object.
    pub result: Value,
}

/// An error response. The id is absent only when the request's id could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRpcError {
    /// The id of the request this answers, if it could be read.
    pub id: Option<RequestId>,
    /// What went wrong.
    pub error: ErrorObject,
}

/// Any one JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonRpcMessage {
    /// A request.
    Request(JsonRpcRequest),
    /// A notification.
    Notification(JsonRpcNotification),
    /// A successful response.
    Response(JsonRpcResponse),
    /// An error response.
    Error(JsonRpcError),
}

/// A message that could not be classified, with whatever id could be recovered from it.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedMessage {
    /// The request id, when the input had a readable one.
    pub id: Option<RequestId>,
    /// The error to answer with.
    pub error: ErrorObject,
}

impl fmt::Display for MalformedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for MalformedMessage {}

/// Every member a JSON-RPC object may carry; classification happens after reading it.
#[derive(Deserialize)]
struct RawMessage {
    jsonrpc: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    method: Option<Value>,
    params: Option<Value>,
    result: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    error: Option<Value>,
}

/// Keeps `"id": null` apart from a missing id (serde folds both into `None` otherwise).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl JsonRpcMessage {
    /// Parses one message from bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, MalformedMessage> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| MalformedMessage {
            id: None,
            error: ErrorObject::new(ErrorCode::PARSE_ERROR, format!("invalid JSON: {e}")),
        })?;
        Self::from_value(value)
    }

    /// Classifies an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Self, MalformedMessage> {
        if value.is_array() {
            return Err(invalid(
                None,
                "JSON-RPC batches are not supported: send one message per line or request",
            ));
        }
        if !value.is_object() {
            return Err(invalid(None, "a JSON-RPC message must be a JSON object"));
        }
        let raw: RawMessage = serde_json::from_value(value)
            .map_err(|e| invalid(None, &format!("not a JSON-RPC message: {e}")))?;
        let id = match raw.id {
            None => None,
            // Only an error answering an unreadable request may carry a null id.
            Some(Value::Null) if raw.error.is_some() => None,
            Some(Value::Null) => return Err(invalid(None, "the request id must not be null")),
            Some(v) => Some(
                serde_json::from_value::<RequestId>(v)
                    .map_err(|_| invalid(None, "the request id must be a string or an integer"))?,
            ),
        };
        if raw.jsonrpc.as_ref().and_then(Value::as_str) != Some(JSONRPC_VERSION) {
            return Err(invalid(
                id,
                "the \"jsonrpc\" member must be exactly \"2.0\"",
            ));
        }
        if let Some(p) = &raw.params {
            if !p.is_object() && !p.is_array() {
                return Err(invalid(id, "\"params\" must be an object"));
            }
        }
        match (raw.method, raw.result, raw.error) {
            (Some(method), None, None) => {
                let Value::String(method) = method else {
                    return Err(invalid(id, "\"method\" must be a string"));
                };
                Ok(match id {
                    Some(id) => Self::Request(JsonRpcRequest {
                        id,
                        method,
                        params: raw.params,
                    }),
                    None => Self::Notification(JsonRpcNotification {
                        method,
                        params: raw.params,
                    }),
                })
            }
            (None, Some(result), None) => match id {
                Some(id) => Ok(Self::Response(JsonRpcResponse { id, result })),
                None => Err(invalid(None, "a response must carry the request id")),
            },
            (None, None, Some(error)) => {
                let error = serde_json::from_value::<ErrorObject>(error)
                    .map_err(|e| invalid(id.clone(), &format!("malformed error object: {e}")))?;
                Ok(Self::Error(JsonRpcError { id, error }))
            }
            _ => Err(invalid(
                id,
                "a message must have exactly one of \"method\", \"result\" or \"error\"",
            )),
        }
    }

    /// Serializes the message to compact JSON bytes (never fails for these types).
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

fn invalid(id: Option<RequestId>, message: &str) -> MalformedMessage {
    MalformedMessage {
        id,
        error: ErrorObject::new(ErrorCode::INVALID_REQUEST, message),
    }
}

impl Serialize for JsonRpcMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("jsonrpc", JSONRPC_VERSION)?;
        match self {
            Self::Request(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("method", &r.method)?;
                if let Some(p) = &r.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Self::Notification(n) => {
                map.serialize_entry("method", &n.method)?;
                if let Some(p) = &n.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Self::Response(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("result", &r.result)?;
            }
            Self::Error(e) => {
                // An unreadable id is left out (MCP 2025-11-25 on), rather than JSON-RPC's
                // `null`, which no MCP schema accepts.
                if let Some(id) = &e.id {
                    map.serialize_entry("id", id)?;
                }
                map.serialize_entry("error", &e.error)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for JsonRpcMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_value(value).map_err(|e| D::Error::custom(e.error.message))
    }
}

impl From<JsonRpcRequest> for JsonRpcMessage {
    fn from(r: JsonRpcRequest) -> Self {
        Self::Request(r)
    }
}

impl From<JsonRpcNotification> for JsonRpcMessage {
    fn from(n: JsonRpcNotification) -> Self {
        Self::Notification(n)
    }
}

impl From<JsonRpcResponse> for JsonRpcMessage {
    fn from(r: JsonRpcResponse) -> Self {
        Self::Response(r)
    }
}

impl From<JsonRpcError> for JsonRpcMessage {
    fn from(e: JsonRpcError) -> Self {
        Self::Error(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(input: &str) -> (Option<RequestId>, i32) {
        let e = JsonRpcMessage::parse(input.as_bytes()).unwrap_err();
        (e.id, e.error.code.0)
    }

    #[test]
    fn classifies_the_four_kinds() {
        let m = JsonRpcMessage::parse(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).unwrap();
        assert!(matches!(m, JsonRpcMessage::Request(ref r) if r.id == RequestId::Number(1)));
        let m = JsonRpcMessage::parse(br#"{"jsonrpc":"2.0","method":"x"}"#).unwrap();
        assert!(matches!(m, JsonRpcMessage::Notification(_)));
        let m = JsonRpcMessage::parse(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap();
        assert!(matches!(m, JsonRpcMessage::Response(_)));
        let m = JsonRpcMessage::parse(
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#,
        )
        .unwrap();
        assert!(matches!(
            m,
            JsonRpcMessage::Error(JsonRpcError { id: None, .. })
        ));
    }

    #[test]
    fn malformed_input_gets_the_right_code_and_keeps_the_id() {
        assert_eq!(code("{not json"), (None, -32700));
        assert_eq!(code("[]"), (None, -32600));
        assert_eq!(code("42"), (None, -32600));
        assert_eq!(
            code(r#"{"jsonrpc":"1.0","id":7,"method":"ping"}"#),
            (Some(RequestId::Number(7)), -32600)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#),
            (None, -32600)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#),
            (None, -32600)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":"q","method":3}"#),
            (Some(RequestId::from("q")), -32600)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":2,"method":"x","params":"s"}"#),
            (Some(RequestId::Number(2)), -32600)
        );
    }

    #[test]
    fn serializes_with_version_and_no_id_for_unreadable_requests() {
        let m = JsonRpcMessage::Error(JsonRpcError {
            id: None,
            error: ErrorObject::new(ErrorCode::PARSE_ERROR, "bad"),
        });
        let v: Value = serde_json::from_slice(&m.to_vec()).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert!(v.get("id").is_none());
        assert_eq!(v["error"]["code"], -32700);
    }
}
