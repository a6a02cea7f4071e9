//! Protocol errors, and how any service error becomes one at the edge.

use std::fmt;

use serde_json::Value;
use turret_types::{ErrorCode, ErrorObject, ProtocolVersion};

/// The error type tower services use: anything that is `Send + Sync`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An MCP protocol error: a JSON-RPC error code, a message and optional data.
///
/// Services return it for requests that cannot be answered (unknown tool, bad params…). A tool
/// that *ran* and failed is not a protocol error: it answers with a result that has `isError`.
#[derive(Debug, Clone, PartialEq)]
pub struct McpError {
    object: ErrorObject,
}

impl McpError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            object: ErrorObject::new(code, message),
        }
    }

    /// Attaches structured data.
    pub fn with_data(mut self, data: Value) -> Self {
        self.object.data = Some(data);
        self
    }

    /// `-32602`: the parameters are wrong.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }

    /// `-32600`: the request is not acceptable here.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_REQUEST, message)
    }

    /// `-32601`: no such method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("method not found: {method}"),
        )
    }

    /// `-32000`: the session (or connection) already has `limit` requests in flight.
    pub fn too_many_requests(limit: usize) -> Self {
        Self::new(
            ErrorCode::TOO_MANY_REQUESTS,
            format!("too many requests in flight in this session (at most {limit}); retry when some finish"),
        )
    }

    /// `-32600`: a request reuses the id of one still in flight.
    pub fn duplicate_request_id(id: &impl fmt::Display) -> Self {
        Self::invalid_request(format!("request id {id} is already in flight"))
    }

    /// `-32603` with a message safe to show a client.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INTERNAL_ERROR, message)
    }

    /// Resource not found: `-32002` on the handshake era, `-32602` from 2026-07-28 on.
    pub fn resource_not_found(uri: &str, version: ProtocolVersion) -> Self {
        let code = if version.is_sessionless() {
            ErrorCode::INVALID_PARAMS
        } else {
            ErrorCode::RESOURCE_NOT_FOUND
        };
        Self::new(code, format!("resource not found: {uri}"))
            .with_data(serde_json::json!({ "uri": uri }))
    }

    /// `-32021`: the request needs a client capability that was not declared.
    pub fn missing_capability(capability: &str) -> Self {
        Self::new(
            ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
            format!("this request needs the client capability \"{capability}\", which the client did not declare"),
        )
        .with_data(serde_json::json!({ "requiredCapabilities": { capability: {} } }))
    }

    /// `-32022`: the requested protocol version is not supported.
    pub fn unsupported_version(requested: &str) -> Self {
        let supported: Vec<&str> = ProtocolVersion::ALL.iter().map(|v| v.as_str()).collect();
        Self::new(
            ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
        )
        .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        self.object.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.object.message
    }

    /// The data, if any.
    pub fn data(&self) -> Option<&Value> {
        self.object.data.as_ref()
    }

    /// The wire error object.
    pub fn into_object(self) -> ErrorObject {
        self.object
    }

    /// Turns any service error into a protocol error: an [`McpError`] keeps its code, tower's
    /// timeout becomes a clear timeout error, load shedding an "overloaded" one, and anything
    /// else `-32603` with a generic message (the cause is logged, never sent: it may hold
    /// internals).
    pub fn from_box_error(error: BoxError) -> Self {
        let error = match error.downcast::<McpError>() {
            Ok(e) => return *e,
            Err(e) => e,
        };
        if error.is::<tower::timeout::error::Elapsed>() {
            return Self::new(ErrorCode::REQUEST_TIMEOUT, "request timed out");
        }
        if error.is::<tower::load_shed::error::Overloaded>() {
            return Self::internal("server overloaded, try again later");
        }
        if let Some(e) = error.downcast_ref::<ErrorObject>() {
            return Self { object: e.clone() };
        }
        tracing::error!(error = %error, "service failed");
        Self::internal("internal error")
    }
}

impl From<ErrorObject> for McpError {
    fn from(object: ErrorObject) -> Self {
        Self { object }
    }
}

impl fmt::Display for McpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.object, f)
    }
}

impl std::error::Error for McpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_errors_map_to_codes_without_leaking() {
        let e = McpError::from_box_error(Box::new(McpError::invalid_params("x")));
        assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
        let e = McpError::from_box_error(Box::new(tower::timeout::error::Elapsed::new()));
        assert_eq!(e.code(), ErrorCode::REQUEST_TIMEOUT);
        let secret = std::io::Error::other("db password is hunter2");
        let e = McpError::from_box_error(Box::new(secret));
        assert_eq!(e.code(), ErrorCode::INTERNAL_ERROR);
        assert!(!e.message().contains("hunter2"));
    }
}
