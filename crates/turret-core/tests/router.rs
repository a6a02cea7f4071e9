//! The Router as a plain `tower::Service`: every test drives it with `oneshot`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower::{Layer as _, ServiceExt as _};
use turret_core::types::{
    CallToolRequestParams, ClientCapabilities, ClientRequest, ElicitAction, ElicitRequestParams,
    ErrorCode, GetPromptRequestParams, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ServerResult,
};
use turret_core::{
    prompt_fn, resource_fn, tool_fn, Args, Context, Extension, InputRequiredLayer, Json, McpError,
    Peer, Request, RequestContext, Router, State,
};

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

#[derive(Serialize, JsonSchema)]
struct Sum {
    sum: i64,
}

#[derive(Deserialize, JsonSchema)]
struct Item {
    id: String,
}

#[derive(Deserialize, JsonSchema)]
struct Topic {
    /// What to write about.
    topic: String,
}

async fn add(Args(Add { a, b }): Args<Add>) -> String {
    (a + b).to_string()
}

async fn add_json(Args(Add { a, b }): Args<Add>) -> Json<Sum> {
    Json(Sum { sum: a + b })
}

async fn count(State(calls): State<Arc<AtomicUsize>>) -> String {
    (calls.fetch_add(1, Ordering::Relaxed) + 1).to_string()
}

async fn item(Args(Item { id }): Args<Item>) -> String {
    format!("item {id}")
}

async fn essay(Args(Topic { topic }): Args<Topic>) -> String {
    format!("Write about {topic}")
}

async fn ask_name(ctx: Context) -> Result<String, McpError> {
    let answer = ctx
        .elicit(ElicitRequestParams {
            message: "Your name?".into(),
            requested_schema: json!({"type": "object", "properties": {"name": {"type": "string"}}})
                .as_object()
                .cloned(),
            ..Default::default()
        })
        .await?;
    let name = answer
        .content
        .and_then(|c| c.get("name").cloned())
        .unwrap_or(Value::Null);
    Ok(format!("hello {}", name.as_str().unwrap_or("?")))
}

#[derive(Clone)]
struct Caller(&'static str);

async fn whoami(Extension(Caller(name)): Extension<Caller>) -> String {
    name.to_owned()
}

fn router() -> Router<Arc<AtomicUsize>> {
    Router::with_state(Arc::new(AtomicUsize::new(0)))
        .name("test")
        .tool("add", tool_fn(add).description("Adds"))
        .tool("add_json", tool_fn(add_json))
        .tool("count", tool_fn(count))
        .tool("ask_name", tool_fn(ask_name))
        .tool("whoami", tool_fn(whoami))
        .resource(
            "test://static",
            resource_fn(|| async { "static" }).mime_type("text/plain"),
        )
        .resource_template("test://items/{id}", resource_fn(item))
        .prompt("essay", prompt_fn(essay))
}

fn call(name: &str, args: Value) -> Request {
    Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        arguments: args.as_object().cloned(),
        ..Default::default()
    }))
}

fn with_version(mut req: Request, version: ProtocolVersion, caps: ClientCapabilities) -> Request {
    let ctx = RequestContext::new(version, Peer::detached()).with_capabilities(Arc::new(caps));
    req.extensions_mut().insert(ctx);
    req
}

async fn result(req: Request) -> Value {
    router().oneshot(req).await.unwrap().to_value()
}

async fn error(req: Request) -> McpError {
    router().oneshot(req).await.unwrap_err()
}

#[tokio::test]
async fn calls_a_tool_with_typed_arguments() {
    let v = result(call("add", json!({"a": 2, "b": 3}))).await;
    assert_eq!(v["content"][0]["text"], "5");
    assert!(v.get("isError").is_none());
}

#[tokio::test]
async fn bad_arguments_are_a_tool_error_the_model_can_read() {
    let v = result(call("add", json!({"a": "x"}))).await;
    assert_eq!(v["isError"], true);
    assert!(v["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("invalid arguments"));
}

#[tokio::test]
async fn unknown_tool_is_invalid_params() {
    let e = error(call("nope", json!({}))).await;
    assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
    assert!(e.message().contains("nope"));
}

#[tokio::test]
async fn json_output_is_structured_with_an_output_schema() {
    let v = result(call("add_json", json!({"a": 1, "b": 1}))).await;
    assert_eq!(v["structuredContent"], json!({"sum": 2}));
    let list = result(Request::new(ClientRequest::ListTools(Default::default()))).await;
    let tool = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "add_json")
        .unwrap();
    assert_eq!(tool["outputSchema"]["properties"]["sum"]["type"], "integer");
    let add = &list["tools"][0];
    assert_eq!(add["name"], "add");
    assert_eq!(add["inputSchema"]["required"], json!(["a", "b"]));
}

#[tokio::test]
async fn state_is_shared_across_calls() {
    let r = router();
    for expected in ["1", "2"] {
        let v = r
            .clone()
            .oneshot(call("count", json!({})))
            .await
            .unwrap()
            .to_value();
        assert_eq!(v["content"][0]["text"], expected);
    }
}

#[tokio::test]
async fn a_missing_extension_is_an_internal_error_naming_it() {
    let e = error(call("whoami", json!({}))).await;
    assert_eq!(e.code(), ErrorCode::INTERNAL_ERROR);
    assert!(e.message().contains("Caller"));
    let mut req = call("whoami", json!({}));
    req.extensions_mut().insert(Caller("alice"));
    assert_eq!(result(req).await["content"][0]["text"], "alice");
}

#[tokio::test]
async fn reads_static_resources_and_templates() {
    let read = |uri: &str| {
        Request::new(ClientRequest::ReadResource(ReadResourceRequestParams {
            uri: uri.into(),
            ..Default::default()
        }))
    };
    let v = result(read("test://static")).await;
    assert_eq!(v["contents"][0]["text"], "static");
    assert_eq!(v["contents"][0]["mimeType"], "text/plain");
    let v = result(read("test://items/42")).await;
    assert_eq!(v["contents"][0]["text"], "item 42");
    assert_eq!(v["contents"][0]["uri"], "test://items/42");
    let e = error(read("test://missing")).await;
    assert_eq!(e.code(), ErrorCode::RESOURCE_NOT_FOUND);
    let modern = with_version(
        read("test://missing"),
        ProtocolVersion::V2026_07_28,
        Default::default(),
    );
    assert_eq!(error(modern).await.code(), ErrorCode::INVALID_PARAMS);
}

#[tokio::test]
async fn prompts_list_arguments_and_require_them() {
    let list = result(Request::new(ClientRequest::ListPrompts(Default::default()))).await;
    let arg = &list["prompts"][0]["arguments"][0];
    assert_eq!(arg["name"], "topic");
    assert_eq!(arg["required"], true);
    assert_eq!(arg["description"], "What to write about.");
    let get = |args: Value| {
        Request::new(ClientRequest::GetPrompt(GetPromptRequestParams {
            name: "essay".into(),
            arguments: serde_json::from_value(args).unwrap(),
            ..Default::default()
        }))
    };
    let v = result(get(json!({"topic": "tower"}))).await;
    assert_eq!(v["messages"][0]["content"]["text"], "Write about tower");
    assert_eq!(
        error(get(json!({}))).await.code(),
        ErrorCode::INVALID_PARAMS
    );
}

#[tokio::test]
async fn pages_with_opaque_cursors() {
    let r = router().page_size(2);
    let list = |cursor: Option<String>| {
        Request::new(ClientRequest::ListTools(PaginatedRequestParams {
            cursor,
            ..Default::default()
        }))
    };
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let v = r.clone().oneshot(list(cursor)).await.unwrap().to_value();
        names.extend(
            v["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].clone()),
        );
        match v.get("nextCursor") {
            Some(c) => cursor = c.as_str().map(str::to_owned),
            None => break,
        }
    }
    assert_eq!(names, ["add", "add_json", "count", "ask_name", "whoami"]);
    let e = r.oneshot(list(Some("garbage".into()))).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
}

fn elicitation_caps() -> ClientCapabilities {
    ClientCapabilities {
        elicitation: Some(Default::default()),
        ..Default::default()
    }
}

#[tokio::test]
async fn asking_the_user_round_trips_on_the_sessionless_era() {
    let service = InputRequiredLayer::new().layer(router());
    let first = with_version(
        call("ask_name", json!({})),
        ProtocolVersion::V2026_07_28,
        elicitation_caps(),
    );
    let ServerResult::InputRequired(ir) = service.clone().oneshot(first).await.unwrap() else {
        panic!("expected input_required");
    };
    let requests = ir.input_requests.unwrap();
    let (key, request) = requests.iter().next().unwrap();
    assert_eq!(request.request.method(), "elicitation/create");
    let state = ir.request_state.unwrap();

    let mut retry = CallToolRequestParams {
        name: "ask_name".into(),
        arguments: Some(Default::default()),
        request_state: Some(state.clone()),
        ..Default::default()
    };
    let answer = serde_json::to_value(turret_core::types::ElicitResult {
        action: ElicitAction::Accept,
        content: json!({"name": "Ada"}).as_object().cloned(),
        meta: None,
        extra: Default::default(),
    })
    .unwrap();
    retry.input_responses = Some([(key.clone(), answer)].into());
    let req = with_version(
        Request::new(ClientRequest::CallTool(retry.clone())),
        ProtocolVersion::V2026_07_28,
        elicitation_caps(),
    );
    let done = service.clone().oneshot(req).await.unwrap().to_value();
    assert_eq!(done["content"][0]["text"], "hello Ada");

    // A tampered state is refused, and so is a state replayed on different arguments.
    let mut tampered = retry.clone();
    tampered.request_state = Some(format!("x{state}"));
    let req = with_version(
        Request::new(ClientRequest::CallTool(tampered)),
        ProtocolVersion::V2026_07_28,
        elicitation_caps(),
    );
    let e = McpError::from_box_error(service.clone().oneshot(req).await.unwrap_err());
    assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
    let mut other = retry;
    other.arguments = json!({"x": 1}).as_object().cloned();
    let req = with_version(
        Request::new(ClientRequest::CallTool(other)),
        ProtocolVersion::V2026_07_28,
        elicitation_caps(),
    );
    let e = McpError::from_box_error(service.oneshot(req).await.unwrap_err());
    assert!(e.message().contains("different request"));
}

#[tokio::test]
async fn asking_without_the_capability_is_rejected_with_32021() {
    let service = InputRequiredLayer::new().layer(router());
    let req = with_version(
        call("ask_name", json!({})),
        ProtocolVersion::V2026_07_28,
        Default::default(),
    );
    let e = McpError::from_box_error(service.oneshot(req).await.unwrap_err());
    assert_eq!(e.code(), ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY);
}

#[tokio::test]
async fn tools_added_at_run_time_are_listed_and_removable() {
    let r = router();
    r.add_tool("late", tool_fn(|| async { "late" }));
    let v = result_of(&r, call("late", json!({}))).await;
    assert_eq!(v["content"][0]["text"], "late");
    assert!(r.remove_tool("late"));
    assert!(!r.remove_tool("late"));
    let e = r.oneshot(call("late", json!({}))).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
}

async fn result_of(r: &Router<Arc<AtomicUsize>>, req: Request) -> Value {
    r.clone().oneshot(req).await.unwrap().to_value()
}
