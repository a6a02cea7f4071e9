use serde_json::{json, Value};
use tower::{ServiceBuilder, ServiceExt as _};
use turret_core::types::{CallToolRequestParams, ErrorCode, JsonObject, PaginatedRequestParams};
use turret_core::{tool_fn, Args, Router};

use super::*;

/// Echoes the arguments it received, as JSON text.
async fn echo(Args(args): Args<JsonObject>) -> String {
    Value::Object(args).to_string()
}

fn schema() -> JsonObject {
    json!({
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "query"},
            "index": {"type": "string"},
            "limit": {"type": "integer"},
        },
        "required": ["q", "index", "limit"],
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn service() -> Transform<Router> {
    let router = Router::new()
        .tool("search_v2", tool_fn(echo).input_schema(schema()))
        .tool("find", tool_fn(|| async { "the backend's own find" }))
        .tool("other", tool_fn(echo));
    let layer = TransformLayer::new().tool(
        ToolTransform::new("search_v2")
            .rename("find")
            .description("Finds documents.")
            .rename_arg("q", "query")
            .describe_arg("q", "What to look for")
            .hide_arg("index", json!("docs"))
            .default_arg("limit", json!(10))
            .derive_output("length", json!({"type": "integer"}), |r| {
                Some(json!(r.content[0].as_text()?.len()))
            }),
    );
    ServiceBuilder::new().layer(layer).service(router)
}

fn call(name: &str, args: Value) -> Request {
    Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        arguments: args.as_object().cloned(),
        ..Default::default()
    }))
}

async fn received(name: &str, args: Value) -> (Value, turret_core::types::CallToolResult) {
    let Ok(ServerResult::CallTool(result)) = service().oneshot(call(name, args)).await else {
        panic!("call {name}")
    };
    let text = result.content[0].as_text().unwrap();
    (serde_json::from_str(text).unwrap(), result.clone())
}

#[tokio::test]
async fn the_listing_shows_what_the_layer_accepts() {
    let list = Request::new(ClientRequest::ListTools(PaginatedRequestParams::default()));
    let Ok(ServerResult::ListTools(list)) = service().oneshot(list).await else {
        panic!()
    };
    let names: Vec<_> = list.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["find", "other"],
        "the shadowed backend tool is gone"
    );
    let find = &list.tools[0];
    assert_eq!(find.description.as_deref(), Some("Finds documents."));
    assert_eq!(
        Value::Object(JsonObject::clone(&find.input_schema)),
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to look for"},
                "limit": {"type": "integer", "default": 10},
            },
            "required": ["query"],
        })
    );
    let output = find.output_schema.as_deref().unwrap();
    assert_eq!(output["properties"]["length"], json!({"type": "integer"}));
}

#[tokio::test]
async fn calls_map_back_to_the_backend() {
    let (args, result) = received("find", json!({"query": "tower"})).await;
    assert_eq!(args, json!({"q": "tower", "index": "docs", "limit": 10}));
    let length = args.to_string().len();
    assert_eq!(result.structured_content, Some(json!({ "length": length })));

    // A sent hidden argument is dropped; a sent default wins; other arguments pass.
    let (args, _) = received(
        "find",
        json!({"query": "x", "index": "secrets", "limit": 3, "extra": true}),
    )
    .await;
    assert_eq!(
        args,
        json!({"q": "x", "index": "docs", "limit": 3, "extra": true})
    );

    // Untransformed tools pass through untouched.
    let (args, result) = received("other", json!({"q": 1})).await;
    assert_eq!(args, json!({"q": 1}));
    assert_eq!(result.structured_content, None);
}

#[tokio::test]
async fn the_old_name_is_gone() {
    let error = service()
        .oneshot(call("search_v2", json!({"q": "x"})))
        .await
        .unwrap_err();
    let error = McpError::from_box_error(error);
    assert_eq!(error.code(), ErrorCode::INVALID_PARAMS);
    assert_eq!(error.message(), "unknown tool: search_v2");
}

#[test]
#[should_panic(expected = "transformed twice")]
fn one_transform_per_tool() {
    let _ = TransformLayer::new()
        .tool(ToolTransform::new("a").rename("b"))
        .tool(ToolTransform::new("a").rename("c"));
}
