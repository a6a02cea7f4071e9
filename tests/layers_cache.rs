//! `CacheLayer` over a real transport (a client and a served Router on `memory_pair()`): a
//! second identical read never reaches the Router, a change notification makes the next one
//! reach it again.

#[path = "support/layers.rs"]
mod layers_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use layers_support::connect;
use serde_json::json;
use tower::ServiceBuilder;
use turret::layers::CacheLayer;
use turret::types::{ResourceContents, ToolAnnotations};
use turret::{resource_fn, tool_fn, Router, State};

type Calls = Arc<AtomicUsize>;

async fn count(State(calls): State<Calls>) -> String {
    format!("answer #{}", calls.fetch_add(1, Ordering::SeqCst) + 1)
}

fn router(calls: &Calls) -> Router<Calls> {
    Router::with_state(calls.clone())
        .resource("news://latest", resource_fn(count))
        .tool(
            "lookup",
            tool_fn(count).annotations(ToolAnnotations {
                read_only_hint: Some(true),
                ..Default::default()
            }),
        )
}

fn text(contents: &[ResourceContents]) -> String {
    match &contents[0] {
        ResourceContents::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reads_and_read_only_calls_are_served_from_the_cache_until_a_change() {
    let calls = Calls::default();
    let router = router(&calls);
    let service = ServiceBuilder::new()
        .layer(CacheLayer::new().invalidate_on(router.notifier().subscribe()))
        .service(router.clone());
    let client = connect(service.clone()).await;

    let first = client.read_resource("news://latest").await.unwrap();
    let second = client.read_resource("news://latest").await.unwrap();
    assert_eq!(text(&first.contents), "answer #1");
    assert_eq!(text(&second.contents), "answer #1");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the second read stayed in the cache"
    );

    router.notifier().resource_updated("news://latest").await;
    let third = client.read_resource("news://latest").await.unwrap();
    assert_eq!(text(&third.contents), "answer #2");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the update invalidated the entry"
    );

    let args = json!({"q": "tower"});
    client.call_tool("lookup", args.clone()).await.unwrap();
    client.call_tool("lookup", args.clone()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    router.notifier().tools_changed().await;
    client.call_tool("lookup", args.clone()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);

    // Another connection is another caller, with entries of its own.
    let other = connect(service).await;
    other.read_resource("news://latest").await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    other.read_resource("news://latest").await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 5);
}
