//! The `_meta` object and the keys MCP reserves in it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::capabilities::{ClientCapabilities, Implementation};
use crate::jsonrpc::ProgressToken;
use crate::logging::LoggingLevel;
use crate::JsonObject;

/// `_meta` key of the request's protocol version (2026-07-28).
pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key of the per-request client capabilities (2026-07-28).
pub const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key of the client's identity (2026-07-28).
pub const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
/// `_meta` key of the per-request log level (2026-07-28).
pub const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key of the server's identity on results (2026-07-28).
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// `_meta` key tagging notifications of a `subscriptions/listen` stream (2026-07-28).
pub const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";
/// `_meta` key of a request's progress token (every revision).
pub const PROGRESS_TOKEN_KEY: &str = "progressToken";

/// The `_meta` object: free-form metadata with a few reserved keys read by accessors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Meta(pub JsonObject);

impl Meta {
    /// An empty `_meta`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The raw value at `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.0.insert(key.into(), value.into());
    }

    /// The declared protocol version string (2026-07-28), unparsed.
    pub fn protocol_version(&self) -> Option<&str> {
        self.0.get(PROTOCOL_VERSION_KEY).and_then(Value::as_str)
    }

    /// The per-request client capabilities (2026-07-28), if present and well-formed.
    pub fn client_capabilities(&self) -> Option<ClientCapabilities> {
        self.typed(CLIENT_CAPABILITIES_KEY)
    }

    /// The client's self-reported identity (2026-07-28).
    pub fn client_info(&self) -> Option<Implementation> {
        self.typed(CLIENT_INFO_KEY)
    }

    /// The per-request log level (2026-07-28).
    pub fn log_level(&self) -> Option<LoggingLevel> {
        self.typed(LOG_LEVEL_KEY)
    }

    /// The request's progress token.
    pub fn progress_token(&self) -> Option<ProgressToken> {
        self.typed(PROGRESS_TOKEN_KEY)
    }

    fn typed<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.0.get(key).and_then(|v| T::deserialize(v).ok())
    }
}

impl From<JsonObject> for Meta {
    fn from(map: JsonObject) -> Self {
        Self(map)
    }
}
