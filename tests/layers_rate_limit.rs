//! `RateLimitLayer` over a real transport: each connection is a caller with its own budget;
//! a caller over it gets `-32010` with a retry hint, and a concurrency limit per caller.

#[path = "support/layers.rs"]
mod layers_support;

use std::sync::Arc;
use std::time::Duration;

use layers_support::connect;
use serde_json::json;
use tokio::sync::Notify;
use tower::ServiceBuilder;
use turret::layers::{RateLimitLayer, RATE_LIMITED};
use turret::{tool_fn, Router, State};

async fn wait(State(gate): State<Arc<Notify>>) -> &'static str {
    gate.notified().await;
    "done"
}

fn router(gate: &Arc<Notify>) -> Router<Arc<Notify>> {
    Router::with_state(gate.clone())
        .tool("ping", tool_fn(|| async { "pong" }))
        .tool("wait", tool_fn(wait))
}

#[tokio::test]
async fn a_caller_over_its_rate_is_told_when_to_retry() {
    let limit = RateLimitLayer::new(3, Duration::from_secs(60)).methods(["tools/call"]);
    let service = ServiceBuilder::new()
        .layer(limit)
        .service(router(&Arc::default()));
    let alice = connect(service.clone()).await;
    for _ in 0..3 {
        alice.call_tool("ping", json!({})).await.unwrap();
    }
    let error = alice.call_tool("ping", json!({})).await.unwrap_err();
    assert_eq!(error.code(), RATE_LIMITED);
    let retry = error.data().unwrap()["retryAfterMs"].as_u64().unwrap();
    assert!((19_000..=20_000).contains(&retry), "{retry}");
    assert!(error.message().contains("retry in"), "{}", error.message());
    // Lists are not counted, and another connection has a budget of its own.
    alice.list_tools().await.unwrap();
    let bob = connect(service).await;
    bob.call_tool("ping", json!({})).await.unwrap();
}

#[tokio::test]
async fn a_caller_has_a_concurrency_limit_of_its_own() {
    let gate = Arc::new(Notify::new());
    let service = ServiceBuilder::new()
        .layer(RateLimitLayer::concurrency(1))
        .service(router(&gate));
    let alice = connect(service.clone()).await;
    let bob = connect(service).await;
    let busy = {
        let alice = alice.clone();
        tokio::spawn(async move { alice.call_tool("wait", json!({})).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let error = alice.call_tool("ping", json!({})).await.unwrap_err();
    assert_eq!(error.code(), RATE_LIMITED);
    assert_eq!(error.data().unwrap()["maxConcurrent"], 1);
    bob.call_tool("ping", json!({})).await.unwrap();
    gate.notify_waiters();
    busy.await.unwrap().unwrap();
    alice.call_tool("ping", json!({})).await.unwrap();
}
