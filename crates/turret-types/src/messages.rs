//! The method-tagged messages of each direction, and the results that answer them.
//!
//! Each enum has a variant per method this version models plus `Other`, which keeps an unknown
//! method's name and raw parameters so a proxy can forward what it does not understand.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::capabilities::{DiscoverResult, InitializeRequestParams, InitializeResult};
use crate::client_features::{
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ListRootsResult,
};
use crate::completion::{CompleteRequestParams, CompleteResult};
use crate::logging::{LoggingMessageNotificationParams, SetLevelRequestParams};
use crate::meta::Meta;
use crate::mrtr::{InputRequiredResult, RESULT_TYPE_INPUT_REQUIRED, RESULT_TYPE_KEY};
use crate::notifications::{
    CancelledNotificationParams, EmptyParams, EmptyResult, ProgressNotificationParams,
    SubscriptionsListenParams,
};
use crate::pagination::PaginatedRequestParams;
use crate::prompts::{GetPromptRequestParams, GetPromptResult, ListPromptsResult};
use crate::resources::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceRequestParams,
    ReadResourceResult, ResourceUriParams,
};
use crate::tools::{CallToolRequestParams, CallToolResult, ListToolsResult};
use crate::JsonObject;

/// A message whose method this version does not model, kept raw.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomMessage {
    /// The method name.
    pub method: String,
    /// The parameters as sent.
    pub params: Option<Value>,
}

/// Why typed parameters could not be read from a message.
#[derive(Debug)]
pub struct InvalidParams {
    method: String,
    source: serde_json::Error,
}

impl InvalidParams {
    /// The method whose parameters were wrong.
    pub fn method(&self) -> &str {
        &self.method
    }
}

impl std::fmt::Display for InvalidParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid params for {}: {}", self.method, self.source)
    }
}

impl std::error::Error for InvalidParams {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Reads typed params; a missing `params` reads as an empty object so optional-only
/// parameter types accept it and required fields are reported by name.
fn read_params<P: serde::de::DeserializeOwned>(
    method: &str,
    params: Option<Value>,
) -> Result<P, InvalidParams> {
    let value = params.unwrap_or_else(|| Value::Object(JsonObject::new()));
    serde_json::from_value(value).map_err(|source| InvalidParams {
        method: method.to_owned(),
        source,
    })
}

/// Writes typed params; an empty object is left out, as JSON-RPC allows.
fn write_params<P: Serialize>(params: &P) -> Option<Value> {
    match serde_json::to_value(params) {
        Ok(Value::Object(o)) if o.is_empty() => None,
        Ok(v) => Some(v),
        Err(_) => None,
    }
}

macro_rules! method_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident($wire:literal, $params:ty)),* $(,)? }) => {
        $(#[$doc])*
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $($(#[$vdoc])* $variant($params),)*
            /// A method this version does not model.
            Other(CustomMessage),
        }

        impl $name {
            /// The wire method name.
            pub fn method(&self) -> &str {
                match self {
                    $(Self::$variant(_) => $wire,)*
                    Self::Other(m) => &m.method,
                }
            }

            /// Builds the typed message from a method name and raw parameters. Unknown methods
            /// become `Other`; known ones with parameters of the wrong shape are an error.
            pub fn from_parts(method: &str, params: Option<Value>) -> Result<Self, InvalidParams> {
                Ok(match method {
                    $($wire => Self::$variant(read_params(method, params)?),)*
                    _ => Self::Other(CustomMessage { method: method.to_owned(), params }),
                })
            }

            /// The parameters as JSON (`None` when there are none to send).
            pub fn params_value(&self) -> Option<Value> {
                match self {
                    $(Self::$variant(p) => write_params(p),)*
                    Self::Other(m) => m.params.clone(),
                }
            }

            /// The `_meta` of the parameters, if any.
            pub fn meta(&self) -> Option<&Meta> {
                match self {
                    $(Self::$variant(p) => p.meta.as_ref(),)*
                    Self::Other(_) => None,
                }
            }

            /// The `_meta` slot of the parameters, to set or change it (`None` for `Other`).
            pub fn meta_mut(&mut self) -> Option<&mut Option<Meta>> {
                match self {
                    $(Self::$variant(p) => Some(&mut p.meta),)*
                    Self::Other(_) => None,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("method", self.method())?;
                if let Some(p) = self.params_value() {
                    map.serialize_entry("params", &p)?;
                }
                map.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                struct Parts {
                    method: String,
                    params: Option<Value>,
                }
                let parts = Parts::deserialize(d)?;
                Self::from_parts(&parts.method, parts.params).map_err(D::Error::custom)
            }
        }
    };
}

method_enum! {
    /// A request from client to server.
    ClientRequest {
        /// `initialize` (handshake era).
        Initialize("initialize", InitializeRequestParams),
        /// `server/discover` (2026-07-28).
        Discover("server/discover", EmptyParams),
        /// `ping` (handshake era).
        Ping("ping", EmptyParams),
        /// `tools/list`.
        ListTools("tools/list", PaginatedRequestParams),
        /// `tools/call`.
        CallTool("tools/call", CallToolRequestParams),
        /// `resources/list`.
        ListResources("resources/list", PaginatedRequestParams),
        /// `resources/templates/list`.
        ListResourceTemplates("resources/templates/list", PaginatedRequestParams),
        /// `resources/read`.
        ReadResource("resources/read", ReadResourceRequestParams),
        /// `resources/subscribe` (handshake era).
        Subscribe("resources/subscribe", ResourceUriParams),
        /// `resources/unsubscribe` (handshake era).
        Unsubscribe("resources/unsubscribe", ResourceUriParams),
        /// `prompts/list`.
        ListPrompts("prompts/list", PaginatedRequestParams),
        /// `prompts/get`.
        GetPrompt("prompts/get", GetPromptRequestParams),
        /// `completion/complete`.
        Complete("completion/complete", CompleteRequestParams),
        /// `logging/setLevel` (handshake era).
        SetLevel("logging/setLevel", SetLevelRequestParams),
        /// `subscriptions/listen` (2026-07-28).
        SubscriptionsListen("subscriptions/listen", SubscriptionsListenParams),
    }
}

method_enum! {
    /// A request from server to client (handshake era), or the request of one entry of an
    /// `input_required` result's `inputRequests` (2026-07-28; see [`crate::InputRequest`]).
    ServerRequest {
        /// `ping`.
        Ping("ping", EmptyParams),
        /// `sampling/createMessage`.
        CreateMessage("sampling/createMessage", CreateMessageRequestParams),
        /// `roots/list`.
        ListRoots("roots/list", EmptyParams),
        /// `elicitation/create`.
        Elicit("elicitation/create", ElicitRequestParams),
    }
}

method_enum! {
    /// A notification from client to server.
    ClientNotification {
        /// `notifications/initialized` (handshake era).
        Initialized("notifications/initialized", EmptyParams),
        /// `notifications/cancelled`.
        Cancelled("notifications/cancelled", CancelledNotificationParams),
        /// `notifications/progress`.
        Progress("notifications/progress", ProgressNotificationParams),
        /// `notifications/roots/list_changed` (handshake era).
        RootsListChanged("notifications/roots/list_changed", EmptyParams),
    }
}

method_enum! {
    /// A notification from server to client.
    ServerNotification {
        /// `notifications/cancelled`.
        Cancelled("notifications/cancelled", CancelledNotificationParams),
        /// `notifications/progress`.
        Progress("notifications/progress", ProgressNotificationParams),
        /// `notifications/message`.
        LoggingMessage("notifications/message", LoggingMessageNotificationParams),
        /// `notifications/resources/updated`.
        ResourceUpdated("notifications/resources/updated", ResourceUriParams),
        /// `notifications/resources/list_changed`.
        ResourceListChanged("notifications/resources/list_changed", EmptyParams),
        /// `notifications/tools/list_changed`.
        ToolListChanged("notifications/tools/list_changed", EmptyParams),
        /// `notifications/prompts/list_changed`.
        PromptListChanged("notifications/prompts/list_changed", EmptyParams),
        /// `notifications/subscriptions/acknowledged` (2026-07-28).
        SubscriptionsAcknowledged("notifications/subscriptions/acknowledged", SubscriptionsListenParams),
    }
}

/// Defines a result enum (serialized untagged) with access to every variant's `_meta` and
/// unmodelled fields.
macro_rules! result_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident($ty:ty)),* $(,)? }) => {
        $(#[$doc])*
        // A result is built once and moved into its response; boxing the larger results
        // would only add an allocation and make matching clumsier.
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum $name {
            $($(#[$vdoc])* $variant($ty),)*
            /// A result of a method this version does not model, kept raw.
            Other(Value),
        }

        impl $name {
            /// The `_meta` slot, to read or set (`None` for a raw result that is not an object).
            pub fn meta_mut(&mut self) -> Option<&mut Option<Meta>> {
                match self {
                    $(Self::$variant(r) => Some(&mut r.meta),)*
                    Self::Other(_) => None,
                }
            }

            /// The unmodelled members (`None` for a raw result that is not an object).
            pub fn extra_mut(&mut self) -> Option<&mut JsonObject> {
                match self {
                    $(Self::$variant(r) => Some(&mut r.extra),)*
                    Self::Other(Value::Object(o)) => Some(o),
                    Self::Other(_) => None,
                }
            }

            /// Serializes the result to a JSON value.
            pub fn to_value(&self) -> Value {
                serde_json::to_value(self).unwrap_or(Value::Null)
            }
        }
    };
}

result_enum! {
    /// A server's answer to a [`ClientRequest`].
    ServerResult {
        /// To `initialize`.
        Initialize(InitializeResult),
        /// To `server/discover`.
        Discover(DiscoverResult),
        /// To `tools/list`.
        ListTools(ListToolsResult),
        /// To `tools/call`.
        CallTool(CallToolResult),
        /// To `resources/list`.
        ListResources(ListResourcesResult),
        /// To `resources/templates/list`.
        ListResourceTemplates(ListResourceTemplatesResult),
        /// To `resources/read`.
        ReadResource(ReadResourceResult),
        /// To `prompts/list`.
        ListPrompts(ListPromptsResult),
        /// To `prompts/get`.
        GetPrompt(GetPromptResult),
        /// To `completion/complete`.
        Complete(CompleteResult),
        /// An interim `input_required` result (2026-07-28).
        InputRequired(InputRequiredResult),
        /// To `ping`, `resources/subscribe`, `logging/setLevel`, `subscriptions/listen`…
        Empty(EmptyResult),
    }
}

result_enum! {
    /// A client's answer to a [`ServerRequest`].
    ClientResult {
        /// To `sampling/createMessage`.
        CreateMessage(CreateMessageResult),
        /// To `roots/list`.
        ListRoots(ListRootsResult),
        /// To `elicitation/create`.
        Elicit(ElicitResult),
        /// To `ping`.
        Empty(EmptyResult),
    }
}

fn read<T: serde::de::DeserializeOwned>(method: &str, value: Value) -> Result<T, InvalidParams> {
    serde_json::from_value(value).map_err(|source| InvalidParams {
        method: method.to_owned(),
        source,
    })
}

/// Whether `value` is a `CreateTaskResult` (tasks, 2025-11-25): a task-augmented request
/// (`tools/call`, `sampling/createMessage`, `elicitation/create` with `params.task`) is
/// answered with the task it created instead of the method's own result. It stays raw, as
/// the results of the `tasks/*` methods do, so relays pass it on unchanged.
fn created_task(value: &Value) -> bool {
    value.get("task").is_some_and(Value::is_object)
        && value.get("content").is_none()
        && value.get("action").is_none()
}

impl ServerResult {
    /// Reads the result of a request of `method`. A 2026-07-28 `input_required` result is
    /// recognised for every method; results of unknown methods stay raw.
    pub fn from_value(method: &str, value: Value) -> Result<Self, InvalidParams> {
        if value.get(RESULT_TYPE_KEY).and_then(Value::as_str) == Some(RESULT_TYPE_INPUT_REQUIRED) {
            return read(method, value).map(Self::InputRequired);
        }
        if created_task(&value) {
            return Ok(Self::Other(value));
        }
        Ok(match method {
            "initialize" => Self::Initialize(read(method, value)?),
            "server/discover" => Self::Discover(read(method, value)?),
            "tools/list" => Self::ListTools(read(method, value)?),
            "tools/call" => Self::CallTool(read(method, value)?),
            "resources/list" => Self::ListResources(read(method, value)?),
            "resources/templates/list" => Self::ListResourceTemplates(read(method, value)?),
            "resources/read" => Self::ReadResource(read(method, value)?),
            "prompts/list" => Self::ListPrompts(read(method, value)?),
            "prompts/get" => Self::GetPrompt(read(method, value)?),
            "completion/complete" => Self::Complete(read(method, value)?),
            "ping"
            | "resources/subscribe"
            | "resources/unsubscribe"
            | "logging/setLevel"
            | "subscriptions/listen" => Self::Empty(read(method, value)?),
            _ => Self::Other(value),
        })
    }
}

impl ClientResult {
    /// Reads the result of a server request of `method`.
    pub fn from_value(method: &str, value: Value) -> Result<Self, InvalidParams> {
        if created_task(&value) {
            return Ok(Self::Other(value));
        }
        Ok(match method {
            "sampling/createMessage" => Self::CreateMessage(read(method, value)?),
            "roots/list" => Self::ListRoots(read(method, value)?),
            "elicitation/create" => Self::Elicit(read(method, value)?),
            "ping" => Self::Empty(read(method, value)?),
            _ => Self::Other(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_created_task_is_kept_raw_for_every_task_augmented_method() {
        let created = json!({"task": {"taskId": "t1", "status": "working", "ttl": 60000,
            "createdAt": "2026-12-04T00:00:00Z", "lastUpdatedAt": "2026-12-04T00:00:00Z"}});
        let result = ServerResult::from_value("tools/call", created.clone()).unwrap();
        assert_eq!(result, ServerResult::Other(created.clone()));
        for method in ["sampling/createMessage", "elicitation/create"] {
            let result = ClientResult::from_value(method, created.clone()).unwrap();
            assert_eq!(result, ClientResult::Other(created.clone()));
        }
        // A tool result that merely has a `task` field in it is still a tool result.
        let tool = json!({"content": [], "task": {"taskId": "x"}});
        assert!(matches!(
            ServerResult::from_value("tools/call", tool),
            Ok(ServerResult::CallTool(_))
        ));
    }

    #[test]
    fn unknown_methods_and_fields_survive_a_round_trip() {
        let raw = json!({"method": "vendor/thing", "params": {"a": [1, 2], "_meta": {"k": 1}}});
        let req: ClientRequest = serde_json::from_value(raw.clone()).unwrap();
        assert!(matches!(req, ClientRequest::Other(_)));
        assert_eq!(serde_json::to_value(&req).unwrap(), raw);

        let raw = json!({"method": "tools/call", "params": {"name": "t", "future": {"x": true}}});
        let req: ClientRequest = serde_json::from_value(raw.clone()).unwrap();
        assert!(matches!(req, ClientRequest::CallTool(ref p) if p.extra.contains_key("future")));
        assert_eq!(serde_json::to_value(&req).unwrap(), raw);
    }

    #[test]
    fn wrong_params_name_the_method() {
        let err = ClientRequest::from_parts("tools/call", Some(json!({"name": 5}))).unwrap_err();
        assert_eq!(err.method(), "tools/call");
        assert!(err.to_string().contains("invalid params for tools/call"));
        assert!(ClientRequest::from_parts("tools/call", None).is_err());
        assert!(ClientRequest::from_parts("tools/list", None).is_ok());
    }

    #[test]
    fn input_required_is_recognised_for_any_method() {
        let v = json!({"resultType": "input_required", "requestState": "s"});
        let r = ServerResult::from_value("tools/call", v.clone()).unwrap();
        assert!(matches!(r, ServerResult::InputRequired(_)));
        assert_eq!(r.to_value(), v);
    }
}
