//! `TransformLayer` over a real transport: a client calls a renamed tool without the hidden
//! argument, and the backend receives its fixed value under the backend's argument names.

#[path = "support/layers.rs"]
mod layers_support;

use std::sync::{Arc, Mutex};

use layers_support::{connect, proxy};
use serde_json::{json, Value};
use tower::ServiceBuilder;
use turret::layers::{ToolTransform, TransformLayer};
use turret::types::{ErrorCode, JsonObject};
use turret::{tool_fn, Args, Router, State};

type Received = Arc<Mutex<Vec<JsonObject>>>;

async fn create_issue(
    State(received): State<Received>,
    Args(args): Args<JsonObject>,
) -> &'static str {
    received.lock().unwrap().push(args);
    "created"
}

fn backend(received: &Received) -> Router<Received> {
    let schema = json!({
        "type": "object",
        "properties": {
            "project": {"type": "string"},
            "title": {"type": "string"},
            "labels": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["project", "title"],
    });
    Router::with_state(received.clone()).tool(
        "create_issue",
        tool_fn(create_issue).input_schema(schema.as_object().cloned().unwrap()),
    )
}

fn transform() -> TransformLayer {
    TransformLayer::new().tool(
        ToolTransform::new("create_issue")
            .rename("report_bug")
            .description("Reports a bug in Turret.")
            .hide_arg("project", json!("turret"))
            .rename_arg("title", "summary")
            .default_arg("labels", json!(["bug"])),
    )
}

async fn check<S>(service: S, received: &Received)
where
    S: tower::Service<turret::Request, Response = turret::types::ServerResult>
        + Clone
        + Send
        + 'static,
    S::Error: Into<turret::BoxError>,
    S::Future: Send + 'static,
{
    let client = connect(service).await;
    let tools = client.list_tools().await.unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0].name, "report_bug");
    let schema = Value::Object(JsonObject::clone(&tools[0].input_schema));
    assert_eq!(schema["required"], json!(["summary"]));
    assert!(schema["properties"].get("project").is_none(), "{schema}");
    assert_eq!(schema["properties"]["labels"]["default"], json!(["bug"]));

    client
        .call_tool("report_bug", json!({"summary": "it crashed"}))
        .await
        .unwrap();
    let got = received.lock().unwrap().pop().unwrap();
    assert_eq!(
        Value::Object(got),
        json!({"project": "turret", "title": "it crashed", "labels": ["bug"]})
    );

    let error = client
        .call_tool("create_issue", json!({"project": "x", "title": "y"}))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::INVALID_PARAMS);
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_renamed_tool_gets_its_hidden_argument_on_a_router() {
    let received = Received::default();
    let service = ServiceBuilder::new()
        .layer(transform())
        .service(backend(&received));
    check(service, &received).await;
}

#[tokio::test]
async fn a_renamed_tool_gets_its_hidden_argument_through_a_proxy() {
    let received = Received::default();
    let remote = connect(backend(&received)).await;
    let service = ServiceBuilder::new()
        .layer(transform())
        .service(proxy(remote));
    check(service, &received).await;
}
