//! Every example message shipped with the 2026-07-28 schema deserializes into the turret-types
//! type for its schema type and serializes back to the same JSON value.
//!
//! The examples live in `shared/mcp-schema/2026-07-28/examples/<SchemaType>/*.json`. Each
//! directory name is mapped to a [`Check`] below; a directory without an entry, an entry
//! without a directory, or an example that does not round-trip fails the test by name.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use turret_types::{
    BlobResourceContents, CallToolRequestParams, CancelledNotificationParams, ClientCapabilities,
    ClientNotification, ClientRequest, ClientResult, CompleteRequestParams, ContentBlock,
    CreateMessageRequestParams, ElicitRequestParams, ErrorObject, GetPromptRequestParams,
    InputRequest, InputRequests, InputResponses, JsonObject, JsonRpcMessage, JsonRpcNotification,
    JsonRpcRequest, JsonRpcResponse, LoggingMessageNotificationParams, PaginatedRequestParams,
    ProgressNotificationParams, Resource, ResourceUriParams, Root, SamplingMessage,
    ServerCapabilities, ServerNotification, ServerRequest, ServerResult, TextResourceContents,
    Tool,
};

/// How the examples of one schema type are read and written back.
#[derive(Clone, Copy)]
enum Check {
    /// Through one concrete type.
    Typed(fn(&Value) -> Result<Value, String>),
    /// A content block whose `type` tag is this; `typed` says whether turret-types models it
    /// with its own variant (rather than keeping it as `ContentBlock::Other`).
    Content { kind: &'static str, typed: bool },
    /// A client-to-server request: the JSON-RPC envelope when the example has `"jsonrpc"`,
    /// else the bare `{method, params}` object as a [`ClientRequest`].
    ClientRequest,
    /// A server-to-client request: the JSON-RPC envelope with a [`ServerRequest`] inside, or
    /// (without `"jsonrpc"`) a 2026-07-28 input request, [`InputRequest`].
    ServerRequest,
    /// A client-to-server notification.
    ClientNotification,
    /// A server-to-client notification.
    ServerNotification,
    /// The result object of a request of this method, through [`ServerResult::from_value`].
    ServerResult(&'static str),
    /// The result object of a server request of this method, through [`ClientResult::from_value`].
    ClientResult(&'static str),
    /// A JSON-RPC response whose result answers a request of this method.
    ServerResultResponse(&'static str),
    /// An error: a JSON-RPC error response when the example has `"jsonrpc"`, else the error
    /// object alone.
    Error,
}

/// The turret-types reading of every schema type that has examples.
const TABLE: &[(&str, Check)] = &[
    (
        "AudioContent",
        Check::Content {
            kind: "audio",
            typed: true,
        },
    ),
    (
        "BlobResourceContents",
        Check::Typed(typed::<BlobResourceContents>),
    ),
    // Elicitation's primitive schemas are kept as plain JSON objects by turret-types
    // (`ElicitRequestParams::requested_schema` is a `JsonObject`).
    ("BooleanSchema", Check::Typed(typed::<JsonObject>)),
    ("CallToolRequest", Check::ClientRequest),
    (
        "CallToolRequestParams",
        Check::Typed(typed::<CallToolRequestParams>),
    ),
    ("CallToolResult", Check::ServerResult("tools/call")),
    (
        "CallToolResultResponse",
        Check::ServerResultResponse("tools/call"),
    ),
    ("CancelledNotification", Check::ClientNotification),
    (
        "CancelledNotificationParams",
        Check::Typed(typed::<CancelledNotificationParams>),
    ),
    (
        "ClientCapabilities",
        Check::Typed(typed::<ClientCapabilities>),
    ),
    ("CompleteRequest", Check::ClientRequest),
    (
        "CompleteRequestParams",
        Check::Typed(typed::<CompleteRequestParams>),
    ),
    ("CompleteResult", Check::ServerResult("completion/complete")),
    (
        "CompleteResultResponse",
        Check::ServerResultResponse("completion/complete"),
    ),
    ("CreateMessageRequest", Check::ServerRequest),
    (
        "CreateMessageRequestParams",
        Check::Typed(typed::<CreateMessageRequestParams>),
    ),
    (
        "CreateMessageResult",
        Check::ClientResult("sampling/createMessage"),
    ),
    ("DiscoverRequest", Check::ClientRequest),
    ("DiscoverResult", Check::ServerResult("server/discover")),
    (
        "DiscoverResultResponse",
        Check::ServerResultResponse("server/discover"),
    ),
    ("ElicitRequest", Check::ServerRequest),
    (
        "ElicitRequestFormParams",
        Check::Typed(typed::<ElicitRequestParams>),
    ),
    (
        "ElicitRequestURLParams",
        Check::Typed(typed::<ElicitRequestParams>),
    ),
    ("ElicitResult", Check::ClientResult("elicitation/create")),
    (
        "EmbeddedResource",
        Check::Content {
            kind: "resource",
            typed: true,
        },
    ),
    ("GetPromptRequest", Check::ClientRequest),
    (
        "GetPromptRequestParams",
        Check::Typed(typed::<GetPromptRequestParams>),
    ),
    ("GetPromptResult", Check::ServerResult("prompts/get")),
    (
        "GetPromptResultResponse",
        Check::ServerResultResponse("prompts/get"),
    ),
    ("HeaderMismatchError", Check::Error),
    (
        "ImageContent",
        Check::Content {
            kind: "image",
            typed: true,
        },
    ),
    ("InputRequests", Check::Typed(typed::<InputRequests>)),
    // `input_required` is recognised whatever the method; `tools/call` is the usual one.
    ("InputRequiredResult", Check::ServerResult("tools/call")),
    ("InputResponses", Check::Typed(input_responses)),
    ("InternalError", Check::Error),
    ("InvalidParamsError", Check::Error),
    ("ListPromptsRequest", Check::ClientRequest),
    ("ListPromptsResult", Check::ServerResult("prompts/list")),
    (
        "ListPromptsResultResponse",
        Check::ServerResultResponse("prompts/list"),
    ),
    ("ListResourceTemplatesRequest", Check::ClientRequest),
    (
        "ListResourceTemplatesResult",
        Check::ServerResult("resources/templates/list"),
    ),
    (
        "ListResourceTemplatesResultResponse",
        Check::ServerResultResponse("resources/templates/list"),
    ),
    ("ListResourcesRequest", Check::ClientRequest),
    ("ListResourcesResult", Check::ServerResult("resources/list")),
    (
        "ListResourcesResultResponse",
        Check::ServerResultResponse("resources/list"),
    ),
    ("ListRootsRequest", Check::ServerRequest),
    ("ListRootsResult", Check::ClientResult("roots/list")),
    ("ListToolsRequest", Check::ClientRequest),
    ("ListToolsResult", Check::ServerResult("tools/list")),
    (
        "ListToolsResultResponse",
        Check::ServerResultResponse("tools/list"),
    ),
    ("LoggingMessageNotification", Check::ServerNotification),
    (
        "LoggingMessageNotificationParams",
        Check::Typed(typed::<LoggingMessageNotificationParams>),
    ),
    ("MethodNotFoundError", Check::Error),
    ("MissingRequiredClientCapabilityError", Check::Error),
    // Kept as sent: `CreateMessageRequestParams::model_preferences` is a `JsonObject`.
    ("ModelPreferences", Check::Typed(typed::<JsonObject>)),
    ("NumberSchema", Check::Typed(typed::<JsonObject>)),
    (
        "PaginatedRequestParams",
        Check::Typed(typed::<PaginatedRequestParams>),
    ),
    ("ParseError", Check::Error),
    ("ProgressNotification", Check::ServerNotification),
    (
        "ProgressNotificationParams",
        Check::Typed(typed::<ProgressNotificationParams>),
    ),
    ("PromptListChangedNotification", Check::ServerNotification),
    ("ReadResourceRequest", Check::ClientRequest),
    ("ReadResourceResult", Check::ServerResult("resources/read")),
    (
        "ReadResourceResultResponse",
        Check::ServerResultResponse("resources/read"),
    ),
    ("Resource", Check::Typed(typed::<Resource>)),
    (
        "ResourceLink",
        Check::Content {
            kind: "resource_link",
            typed: true,
        },
    ),
    ("ResourceListChangedNotification", Check::ServerNotification),
    ("ResourceUpdatedNotification", Check::ServerNotification),
    (
        "ResourceUpdatedNotificationParams",
        Check::Typed(typed::<ResourceUriParams>),
    ),
    ("Root", Check::Typed(typed::<Root>)),
    ("SamplingMessage", Check::Typed(typed::<SamplingMessage>)),
    (
        "ServerCapabilities",
        Check::Typed(typed::<ServerCapabilities>),
    ),
    ("StringSchema", Check::Typed(typed::<JsonObject>)),
    (
        "SubscriptionsAcknowledgedNotification",
        Check::ServerNotification,
    ),
    ("SubscriptionsListenRequest", Check::ClientRequest),
    (
        "SubscriptionsListenResult",
        Check::ServerResult("subscriptions/listen"),
    ),
    (
        "SubscriptionsListenResultResponse",
        Check::ServerResultResponse("subscriptions/listen"),
    ),
    (
        "TextContent",
        Check::Content {
            kind: "text",
            typed: true,
        },
    ),
    (
        "TextResourceContents",
        Check::Typed(typed::<TextResourceContents>),
    ),
    (
        "TitledMultiSelectEnumSchema",
        Check::Typed(typed::<JsonObject>),
    ),
    (
        "TitledSingleSelectEnumSchema",
        Check::Typed(typed::<JsonObject>),
    ),
    ("Tool", Check::Typed(typed::<Tool>)),
    ("ToolListChangedNotification", Check::ServerNotification),
    // Sampling's tool blocks have no variant of their own: `ContentBlock::Other` keeps them.
    (
        "ToolResultContent",
        Check::Content {
            kind: "tool_result",
            typed: false,
        },
    ),
    (
        "ToolUseContent",
        Check::Content {
            kind: "tool_use",
            typed: false,
        },
    ),
    ("UnsupportedProtocolVersionError", Check::Error),
    (
        "UntitledMultiSelectEnumSchema",
        Check::Typed(typed::<JsonObject>),
    ),
    (
        "UntitledSingleSelectEnumSchema",
        Check::Typed(typed::<JsonObject>),
    ),
];

fn examples_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/mcp-schema/2026-07-28/examples"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| {
            panic!(
                "no shared/mcp-schema/2026-07-28/examples above {}",
                manifest.display()
            )
        })
}

fn to_value<T: Serialize>(t: &T) -> Result<Value, String> {
    serde_json::to_value(t).map_err(|e| format!("serialize: {e}"))
}

fn typed<T: DeserializeOwned + Serialize>(v: &Value) -> Result<Value, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| format!("deserialize: {e}"))?;
    to_value(&t)
}

/// Each answer is read as the result of the request it answers (the keys say which).
fn input_responses(v: &Value) -> Result<Value, String> {
    let responses: InputResponses =
        serde_json::from_value(v.clone()).map_err(|e| format!("deserialize: {e}"))?;
    let mut out = BTreeMap::new();
    for (key, value) in responses {
        let method = match value {
            Value::Object(ref o) if o.contains_key("action") => "elicitation/create",
            Value::Object(ref o) if o.contains_key("model") => "sampling/createMessage",
            Value::Object(ref o) if o.contains_key("roots") => "roots/list",
            _ => return Err(format!("input response {key:?} answers no known request")),
        };
        out.insert(key, client_result(method, &value)?);
    }
    to_value(&out)
}

fn content(v: &Value, kind: &str, modelled: bool) -> Result<Value, String> {
    let block: ContentBlock =
        serde_json::from_value(v.clone()).map_err(|e| format!("deserialize: {e}"))?;
    if block.kind() != kind {
        return Err(format!(
            "read as a {:?} block, expected {kind:?}",
            block.kind()
        ));
    }
    if modelled == matches!(block, ContentBlock::Other(_)) {
        return Err(format!("{kind:?} block read as {block:?}"));
    }
    to_value(&block)
}

fn server_result(method: &str, v: &Value) -> Result<Value, String> {
    let r = ServerResult::from_value(method, v.clone()).map_err(|e| e.to_string())?;
    if matches!(r, ServerResult::Other(_)) {
        return Err(format!("the result of {method} was kept raw"));
    }
    to_value(&r)
}

fn client_result(method: &str, v: &Value) -> Result<Value, String> {
    let r = ClientResult::from_value(method, v.clone()).map_err(|e| e.to_string())?;
    if matches!(r, ClientResult::Other(_)) {
        return Err(format!("the result of {method} was kept raw"));
    }
    to_value(&r)
}

fn envelope(v: &Value) -> Result<JsonRpcMessage, String> {
    let m: JsonRpcMessage =
        serde_json::from_value(v.clone()).map_err(|e| format!("deserialize envelope: {e}"))?;
    // The envelope alone must round-trip too, before its contents are typed.
    let back = to_value(&m)?;
    if &back != v {
        return Err(format!("the envelope re-serialized as {back}"));
    }
    Ok(m)
}

/// Reads a method-tagged message, checks it is a modelled method, and writes it back.
macro_rules! tagged {
    ($ty:ident, $method:expr, $params:expr) => {{
        let typed = $ty::from_parts($method, $params).map_err(|e| e.to_string())?;
        if matches!(typed, $ty::Other(_)) {
            return Err(format!("{} is not a modelled {}", $method, stringify!($ty)));
        }
        typed
    }};
}

fn client_request(v: &Value) -> Result<Value, String> {
    if v.get("jsonrpc").is_none() {
        let r: ClientRequest = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        let r = tagged!(ClientRequest, r.method(), r.params_value());
        return to_value(&r);
    }
    let JsonRpcMessage::Request(req) = envelope(v)? else {
        return Err("not a request".into());
    };
    let typed = tagged!(ClientRequest, &req.method, req.params);
    to_value(&JsonRpcMessage::Request(JsonRpcRequest {
        id: req.id,
        method: typed.method().to_owned(),
        params: typed.params_value(),
    }))
}

fn server_request(v: &Value) -> Result<Value, String> {
    if v.get("jsonrpc").is_none() {
        let r: InputRequest = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        if matches!(r.request, ServerRequest::Other(_)) {
            return Err(format!(
                "{} is not a modelled ServerRequest",
                r.request.method()
            ));
        }
        return to_value(&r);
    }
    let JsonRpcMessage::Request(req) = envelope(v)? else {
        return Err("not a request".into());
    };
    let typed = tagged!(ServerRequest, &req.method, req.params);
    to_value(&JsonRpcMessage::Request(JsonRpcRequest {
        id: req.id,
        method: typed.method().to_owned(),
        params: typed.params_value(),
    }))
}

fn notification(v: &Value, from_client: bool) -> Result<Value, String> {
    let JsonRpcMessage::Notification(n) = envelope(v)? else {
        return Err("not a notification".into());
    };
    let (method, params) = if from_client {
        let typed = tagged!(ClientNotification, &n.method, n.params);
        (typed.method().to_owned(), typed.params_value())
    } else {
        let typed = tagged!(ServerNotification, &n.method, n.params);
        (typed.method().to_owned(), typed.params_value())
    };
    to_value(&JsonRpcMessage::Notification(JsonRpcNotification {
        method,
        params,
    }))
}

fn result_response(method: &str, v: &Value) -> Result<Value, String> {
    let JsonRpcMessage::Response(r) = envelope(v)? else {
        return Err("not a result response".into());
    };
    let result = server_result(method, &r.result)?;
    to_value(&JsonRpcMessage::Response(JsonRpcResponse {
        id: r.id,
        result,
    }))
}

fn error(v: &Value) -> Result<Value, String> {
    if v.get("jsonrpc").is_none() {
        return typed::<ErrorObject>(v);
    }
    match envelope(v)? {
        m @ JsonRpcMessage::Error(_) => to_value(&m),
        _ => Err("not an error response".into()),
    }
}

fn round_trip(check: Check, v: &Value) -> Result<Value, String> {
    match check {
        Check::Typed(f) => f(v),
        Check::Content { kind, typed } => content(v, kind, typed),
        Check::ClientRequest => client_request(v),
        Check::ServerRequest => server_request(v),
        Check::ClientNotification => notification(v, true),
        Check::ServerNotification => notification(v, false),
        Check::ServerResult(method) => server_result(method, v),
        Check::ClientResult(method) => client_result(method, v),
        Check::ServerResultResponse(method) => result_response(method, v),
        Check::Error => error(v),
    }
}

#[test]
fn every_example_round_trips() {
    let root = examples_dir();
    let table: BTreeMap<&str, Check> = TABLE.iter().copied().collect();
    assert_eq!(table.len(), TABLE.len(), "a schema type is listed twice");

    let mut failures = Vec::new();
    let mut present = 0usize;
    let mut checked = 0usize;
    let mut dirs_seen = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("read the examples directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !dir.is_dir() {
            failures.push(format!("{name}: not a directory of examples"));
            continue;
        }
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("read an example directory")
            .map(|e| e.expect("directory entry").path())
            .collect();
        files.sort();
        present += files.len();
        let Some(&check) = table.get(name.as_str()) else {
            failures.push(format!(
                "{name}: no Rust type is mapped to this schema type"
            ));
            continue;
        };
        dirs_seen.push(name.clone());
        for file in files {
            let shown = format!(
                "{name}/{}",
                file.file_name().unwrap_or_default().to_string_lossy()
            );
            let text = match fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{shown}: {e}"));
                    continue;
                }
            };
            let original: Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{shown}: not JSON: {e}"));
                    continue;
                }
            };
            match round_trip(check, &original) {
                Ok(back) if back == original => checked += 1,
                Ok(back) => failures.push(format!(
                    "{shown}: re-serialized differently\n  original: {original}\n  back:     {back}"
                )),
                Err(e) => failures.push(format!("{shown}: {e}")),
            }
        }
    }
    for (name, _) in TABLE {
        if !dirs_seen.iter().any(|d| d == name) {
            failures.push(format!("{name}: mapped but no examples directory exists"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(present > 0, "no examples found under {}", root.display());
    assert_eq!(checked, present, "every example file must be checked");
    assert_eq!(dirs_seen.len(), TABLE.len());
    println!(
        "{checked} examples in {} schema types round-tripped",
        dirs_seen.len()
    );
}
