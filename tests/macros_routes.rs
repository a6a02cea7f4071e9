//! What `#[tool]`, `#[resource]` and `#[prompt]` register, driven through the Router with
//! `oneshot`: names, descriptions, annotations, tags, extractors, defaults, output schemas,
//! template variables and prompt arguments.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use tower::ServiceExt as _;
use turret::types::{
    CallToolRequestParams, ClientRequest, GetPromptRequestParams, ReadResourceRequestParams,
};
use turret::{prompt, resource, tool, Context, Json, Request, Router, State};

type Counter = Arc<AtomicUsize>;

/// Counts calls and echoes the text.
///
/// Second paragraph.
#[tool(
    name = "count",
    title = "Counter",
    read_only,
    destructive = false,
    tags("stats", "demo")
)]
async fn count_calls(
    State(calls): State<Counter>,
    /// What to echo.
    text: String,
    ctx: Context,
    #[arg(description = "How many times.", default = 1)] times: usize,
) -> String {
    let _ = ctx.request_id();
    let n = calls.fetch_add(1, Ordering::Relaxed) + 1;
    format!("{n}: {}", text.repeat(times))
}

#[derive(Serialize, JsonSchema)]
struct Sum {
    sum: i64,
}

/// Adds.
#[tool(idempotent, open_world)]
fn add(a: i64, b: Option<i64>) -> Json<Sum> {
    Json(Sum {
        sum: a + b.unwrap_or(0),
    })
}

/// One item.
#[resource(
    "items://{id}/detail{?verbose}",
    name = "item",
    mime_type = "text/plain"
)]
async fn item(id: u32, verbose: Option<bool>) -> String {
    format!("item {} verbose={verbose:?}", id + 1)
}

#[resource("docs://readme", title = "Read me")]
fn readme() -> &'static str {
    "# Hello"
}

/// Writes an essay.
#[prompt(tags("writing"))]
fn essay(
    /// What to write about.
    topic: String,
    /// How many words.
    words: Option<u32>,
) -> String {
    format!("Write {} words about {topic}", words.unwrap_or(100))
}

fn router() -> Router<Counter> {
    Router::with_state(Counter::default())
        .register(count_calls)
        .register(add)
        .register(item)
        .register(readme)
        .register(essay)
}

async fn send(message: ClientRequest) -> Value {
    router()
        .oneshot(Request::new(message))
        .await
        .unwrap()
        .to_value()
}

async fn list(method: &str) -> Value {
    send(ClientRequest::from_parts(method, None).unwrap()).await
}

async fn call(name: &str, arguments: Value) -> Value {
    send(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        arguments: arguments.as_object().cloned(),
        ..Default::default()
    }))
    .await
}

#[tokio::test]
async fn tools_are_listed_with_their_metadata() {
    let tools = list("tools/list").await;
    let count = &tools["tools"][0];
    assert_eq!(count["name"], "count");
    assert_eq!(count["title"], "Counter");
    assert_eq!(
        count["description"],
        "Counts calls and echoes the text.\n\nSecond paragraph."
    );
    assert_eq!(
        count["annotations"],
        json!({"readOnlyHint": true, "destructiveHint": false})
    );
    assert_eq!(count["_meta"]["turret/tags"], json!(["stats", "demo"]));
    let schema = &count["inputSchema"];
    assert_eq!(schema["title"], "CountCalls");
    assert_eq!(schema["required"], json!(["text"]));
    assert_eq!(schema["properties"]["text"]["description"], "What to echo.");
    assert_eq!(
        schema["properties"]["times"]["description"],
        "How many times."
    );
    assert_eq!(schema["properties"]["times"]["default"], 1);
    assert_eq!(schema["properties"].as_object().unwrap().len(), 2);

    let sum = &tools["tools"][1];
    assert_eq!(sum["name"], "add");
    assert_eq!(
        sum["annotations"],
        json!({"idempotentHint": true, "openWorldHint": true})
    );
    assert_eq!(sum["inputSchema"]["required"], json!(["a"]));
    assert_eq!(sum["outputSchema"]["properties"]["sum"]["type"], "integer");
}

#[tokio::test]
async fn tools_run_with_extractors_defaults_and_options() {
    let once = call("count", json!({"text": "ab"})).await;
    assert_eq!(once["content"][0]["text"], "1: ab");
    let twice = call("count", json!({"text": "ab", "times": 2})).await;
    assert_eq!(twice["content"][0]["text"], "1: abab");
    let sum = call("add", json!({"a": 2})).await;
    assert_eq!(sum["structuredContent"], json!({"sum": 2}));
    let bad = call("add", json!({"a": "two"})).await;
    assert_eq!(bad["isError"], true);
}

#[tokio::test]
async fn resources_and_templates_bind_their_uri() {
    let resources = list("resources/list").await;
    assert_eq!(
        resources["resources"][0],
        json!({"uri": "docs://readme", "name": "readme", "title": "Read me"})
    );
    let templates = list("resources/templates/list").await;
    assert_eq!(
        templates["resourceTemplates"][0],
        json!({
            "uriTemplate": "items://{id}/detail{?verbose}",
            "name": "item",
            "description": "One item.",
            "mimeType": "text/plain",
        })
    );
    let read = |uri: &str| {
        send(ClientRequest::ReadResource(ReadResourceRequestParams {
            uri: uri.into(),
            ..Default::default()
        }))
    };
    let detail = read("items://41/detail?verbose=true").await;
    assert_eq!(detail["contents"][0]["text"], "item 42 verbose=Some(true)");
    let plain = read("items://1/detail").await;
    assert_eq!(plain["contents"][0]["text"], "item 2 verbose=None");
    assert_eq!(
        read("docs://readme").await["contents"][0]["text"],
        "# Hello"
    );
}

#[tokio::test]
async fn prompts_list_their_parameters_as_arguments() {
    let prompts = list("prompts/list").await;
    let listed = &prompts["prompts"][0];
    assert_eq!(listed["name"], "essay");
    assert_eq!(listed["description"], "Writes an essay.");
    assert_eq!(
        listed["arguments"],
        json!([
            {"name": "topic", "description": "What to write about.", "required": true},
            {"name": "words", "description": "How many words.", "required": false},
        ])
    );
    let get = send(ClientRequest::GetPrompt(GetPromptRequestParams {
        name: "essay".into(),
        arguments: Some(
            [
                ("topic".into(), "tower".into()),
                ("words".into(), "50".into()),
            ]
            .into(),
        ),
        ..Default::default()
    }))
    .await;
    assert_eq!(
        get["messages"][0]["content"]["text"],
        "Write 50 words about tower"
    );
}

#[tokio::test]
async fn the_fn_stays_callable() {
    assert_eq!(essay::call("x".into(), None), "Write 100 words about x");
    assert_eq!(item::call(1, None).await, "item 2 verbose=None");
}
