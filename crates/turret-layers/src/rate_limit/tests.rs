use std::sync::Arc;

use tokio::sync::Notify;
use tower::{Service, ServiceBuilder, ServiceExt as _};
use turret_core::types::{CallToolRequestParams, ClientRequest};
use turret_core::{tool_fn, Identity, Router, State};

use super::*;

fn call(name: &str, subject: Option<&str>) -> Request {
    let mut req = Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        ..Default::default()
    }));
    if let Some(subject) = subject {
        req.extensions_mut().insert(Identity::new(subject));
    }
    req
}

fn retry_after(error: BoxError) -> u64 {
    let error = McpError::from_box_error(error);
    assert_eq!(error.code(), RATE_LIMITED);
    assert!(error.message().contains("retry in"), "{}", error.message());
    error.data().unwrap()["retryAfterMs"].as_u64().unwrap()
}

/// Calls tool `t` as `subject` through a clone of `service`, which must let it through.
async fn allowed<S>(service: &S, subject: Option<&str>)
where
    S: Service<Request, Response = ServerResult, Error = BoxError> + Clone,
{
    service.clone().oneshot(call("t", subject)).await.unwrap();
}

/// Calls tool `t` as `subject` through a clone of `service`, which must refuse it: the
/// retry hint, checked by [`retry_after`].
async fn refused<S>(service: &S, subject: Option<&str>) -> u64
where
    S: Service<Request, Response = ServerResult, Error = BoxError> + Clone,
{
    retry_after(
        service
            .clone()
            .oneshot(call("t", subject))
            .await
            .unwrap_err(),
    )
}

#[tokio::test(start_paused = true)]
async fn each_caller_has_its_own_budget_and_is_told_when_to_retry() {
    let router = Router::new().tool("t", tool_fn(|| async { "ok" }));
    // Two a second, in bursts of two.
    let service = ServiceBuilder::new()
        .layer(RateLimitLayer::new(2, Duration::from_secs(1)))
        .service(router);
    for _ in 0..2 {
        allowed(&service, Some("alice")).await;
    }
    let wait = refused(&service, Some("alice")).await;
    assert_eq!(wait, 500);
    // Bob and anonymous callers are not held up by Alice.
    allowed(&service, Some("bob")).await;
    allowed(&service, None).await;

    tokio::time::advance(Duration::from_millis(wait)).await;
    allowed(&service, Some("alice")).await;
    let wait = refused(&service, Some("alice")).await;
    assert_eq!(wait, 500);
}

#[tokio::test(start_paused = true)]
async fn bursts_and_methods_are_configurable() {
    let router = Router::new().tool("t", tool_fn(|| async { "ok" }));
    let service = ServiceBuilder::new()
        .layer(
            RateLimitLayer::new(10, Duration::from_secs(1))
                .burst(1)
                .methods(["tools/call"]),
        )
        .service(router);
    allowed(&service, None).await;
    let wait = refused(&service, None).await;
    assert_eq!(wait, 100);
    // Lists are not counted.
    let list = ClientRequest::from_parts("tools/list", None).unwrap();
    for _ in 0..5 {
        service
            .clone()
            .oneshot(Request::new(list.clone()))
            .await
            .unwrap();
    }
}

async fn wait(State(gate): State<Arc<Notify>>) -> &'static str {
    gate.notified().await;
    "done"
}

#[tokio::test]
async fn concurrency_is_limited_per_caller() {
    let gate = Arc::new(Notify::new());
    let router = Router::with_state(gate.clone()).tool("wait", tool_fn(wait));
    let service = ServiceBuilder::new()
        .layer(RateLimitLayer::concurrency(1))
        .service(router);
    let first = tokio::spawn(service.clone().oneshot(call("wait", Some("alice"))));
    tokio::task::yield_now().await;
    let error = service
        .clone()
        .oneshot(call("wait", Some("alice")))
        .await
        .unwrap_err();
    let error = McpError::from_box_error(error);
    assert_eq!(error.code(), RATE_LIMITED);
    assert_eq!(error.data().unwrap()["maxConcurrent"], 1);
    // Bob has a slot of his own.
    let second = tokio::spawn(service.clone().oneshot(call("wait", Some("bob"))));
    tokio::task::yield_now().await;
    gate.notify_waiters();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    // Alice's slot is free again.
    let third = tokio::spawn(service.clone().oneshot(call("wait", Some("alice"))));
    tokio::task::yield_now().await;
    gate.notify_waiters();
    third.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_filters_own_list_requests_are_not_counted() {
    let router = Router::new().tool("t", tool_fn(|| async { "ok" }).tags(["public"]));
    // The filter lists the tools to judge the call by its tags, through the limit.
    let service = ServiceBuilder::new()
        .layer(crate::FilterLayer::new().include_tags(["public"]))
        .layer(RateLimitLayer::new(1, Duration::from_secs(60)))
        .service(router);
    allowed(&service, None).await;
    let wait = refused(&service, None).await;
    assert!(wait > 59_000, "{wait}");
}
