//! `FilterLayer` over a real transport, around a local Router and around a proxy of a remote
//! one (whose tools carry their tags in `_meta`): a hidden tool is not listed and cannot be
//! called.

#[path = "support/client.rs"]
mod client;
#[path = "support/layers.rs"]
mod layers_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use client::tool_names;
use layers_support::{connect, proxy};
use serde_json::json;
use tower::ServiceBuilder;
use turret::layers::FilterLayer;
use turret::types::ErrorCode;
use turret::{tool_fn, Router, State};

type Calls = Arc<AtomicUsize>;

async fn drop_tables(State(calls): State<Calls>) -> &'static str {
    calls.fetch_add(1, Ordering::SeqCst);
    "dropped"
}

fn router(calls: &Calls) -> Router<Calls> {
    Router::with_state(calls.clone())
        .tool("search", tool_fn(|| async { "found" }).tags(["public"]))
        .tool("drop_tables", tool_fn(drop_tables).tags(["admin"]))
        .tool("internal_stats", tool_fn(|| async { "stats" }))
}

fn filter() -> FilterLayer {
    FilterLayer::new()
        .exclude_tags(["admin"])
        .exclude_names(["internal_*"])
}

#[tokio::test]
async fn a_hidden_tool_cannot_be_called_on_a_router() {
    let calls = Calls::default();
    let service = ServiceBuilder::new()
        .layer(filter())
        .service(router(&calls));
    let client = connect(service).await;
    assert_eq!(tool_names(&client).await, ["search"]);
    client.call_tool("search", json!({})).await.unwrap();
    for hidden in ["drop_tables", "internal_stats"] {
        let error = client.call_tool(hidden, json!({})).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::INVALID_PARAMS, "{hidden}");
        assert_eq!(error.message(), format!("unknown tool: {hidden}"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_hidden_tool_cannot_be_called_through_a_proxy() {
    let calls = Calls::default();
    let backend = connect(router(&calls)).await;
    let service = ServiceBuilder::new()
        .layer(filter())
        .service(proxy(backend));
    let client = connect(service).await;
    assert_eq!(tool_names(&client).await, ["search"]);
    let error = client
        .call_tool("drop_tables", json!({}))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::INVALID_PARAMS);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the backend never saw the call"
    );
}
