use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tower::{ServiceBuilder, ServiceExt as _};
use turret_core::types::{
    CallToolRequestParams, ClientRequest, Meta, PaginatedRequestParams, ReadResourceRequestParams,
    ToolAnnotations,
};
use turret_core::{resource_fn, tool_fn, Args, Identity, Request, Router, State};

use super::*;

type Calls = Arc<AtomicUsize>;

async fn count(State(calls): State<Calls>) -> String {
    (calls.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

async fn failing(State(calls): State<Calls>) -> Result<String, String> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err("nope".into())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Id {
    id: String,
}

async fn item(State(calls): State<Calls>, Args(Id { id }): Args<Id>) -> String {
    calls.fetch_add(1, Ordering::SeqCst);
    format!("item {id} ")
}

fn read_only() -> ToolAnnotations {
    ToolAnnotations {
        read_only_hint: Some(true),
        ..Default::default()
    }
}

fn router(calls: &Calls) -> Router<Calls> {
    Router::with_state(calls.clone())
        .resource("mem://count", resource_fn(count))
        .resource_template("mem://items/{id}", resource_fn(item))
        .tool("lookup", tool_fn(count).annotations(read_only()))
        .tool("bump", tool_fn(count))
        .tool("named", tool_fn(count))
        .tool("failing", tool_fn(failing).annotations(read_only()))
}

fn read(uri: &str) -> Request {
    Request::new(ClientRequest::ReadResource(ReadResourceRequestParams {
        uri: uri.into(),
        ..Default::default()
    }))
}

fn call(name: &str, args: serde_json::Value) -> Request {
    Request::new(ClientRequest::CallTool(CallToolRequestParams {
        name: name.into(),
        arguments: args.as_object().cloned(),
        ..Default::default()
    }))
}

fn as_caller(mut req: Request, subject: &str) -> Request {
    req.extensions_mut().insert(Identity::new(subject));
    req
}

#[tokio::test]
async fn a_second_read_is_served_from_the_cache_until_the_resource_changes() {
    let calls = Calls::default();
    let router = router(&calls);
    let service = ServiceBuilder::new()
        .layer(CacheLayer::new().invalidate_on(router.notifier().subscribe()))
        .service(router.clone());
    for _ in 0..3 {
        service.clone().oneshot(read("mem://count")).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Parameters' `_meta` (a progress token here) is not part of the key.
    let mut with_meta = read("mem://count");
    let mut meta = Meta::new();
    meta.insert("progressToken", json!("p-1"));
    *with_meta.message_mut().meta_mut().unwrap() = Some(meta);
    service.clone().oneshot(with_meta).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Another caller has an entry of its own.
    service
        .clone()
        .oneshot(as_caller(read("mem://count"), "bob"))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    router.notifier().resource_updated("mem://other").await;
    service.clone().oneshot(read("mem://count")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "another URI's update");
    router.notifier().resource_updated("mem://count").await;
    service.clone().oneshot(read("mem://count")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3, "this URI's update");

    // Templated reads are keyed by their URI.
    service
        .clone()
        .oneshot(read("mem://items/1"))
        .await
        .unwrap();
    service
        .clone()
        .oneshot(read("mem://items/1"))
        .await
        .unwrap();
    service
        .clone()
        .oneshot(read("mem://items/2"))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn tools_are_cached_when_annotated_or_named_and_never_when_they_fail() {
    let calls = Calls::default();
    let router = router(&calls);
    let cache = CacheLayer::new()
        .tools(["named"])
        .invalidate_on(router.notifier().subscribe());
    let service = ServiceBuilder::new().layer(cache).service(router.clone());
    let mut expected = 0;
    for (tool, cached) in [
        ("lookup", true),
        ("named", true),
        ("bump", false),
        ("failing", false),
    ] {
        for _ in 0..2 {
            service
                .clone()
                .oneshot(call(tool, json!({"x": 1})))
                .await
                .unwrap();
        }
        expected += if cached { 1 } else { 2 };
        assert_eq!(calls.load(Ordering::SeqCst), expected, "{tool}");
    }
    // Other arguments, another entry.
    service
        .clone()
        .oneshot(call("lookup", json!({"x": 2})))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), expected + 1);
    // A tool list change drops tool results.
    router.notifier().tools_changed().await;
    service
        .clone()
        .oneshot(call("lookup", json!({"x": 2})))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), expected + 2);
}

#[tokio::test]
async fn lists_are_cached_and_dropped_on_list_changed() {
    let calls = Calls::default();
    let router = router(&calls);
    let cache = CacheLayer::new().invalidate_on(router.notifier().subscribe());
    let reached = Calls::default();
    let counter = reached.clone();
    let service = ServiceBuilder::new()
        .layer(cache)
        .map_request(move |r: Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            r
        })
        .service(router.clone());
    let list = || Request::new(ClientRequest::ListTools(PaginatedRequestParams::default()));
    let names = |r: ServerResult| match r {
        ServerResult::ListTools(l) => l.tools.into_iter().map(|t| t.name).collect::<Vec<_>>(),
        _ => panic!("{r:?}"),
    };
    let before = names(service.clone().oneshot(list()).await.unwrap());
    assert_eq!(
        before,
        names(service.clone().oneshot(list()).await.unwrap())
    );
    assert_eq!(reached.load(Ordering::SeqCst), 1);
    router.add_tool("late", tool_fn(count));
    // The router announces from a task; a cached list stays until the announcement lands.
    tokio::task::yield_now().await;
    let after = names(service.clone().oneshot(list()).await.unwrap());
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert_eq!(reached.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn entries_expire_and_bounds_hold() {
    let calls = Calls::default();
    let router = router(&calls);
    let cache = CacheLayer::new()
        .ttl(Duration::from_millis(50))
        .max_entries(3);
    let handle = cache.handle();
    let service = ServiceBuilder::new().layer(cache).service(router.clone());
    service.clone().oneshot(read("mem://count")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    service.clone().oneshot(read("mem://count")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "expired");

    for i in 0..20 {
        service
            .clone()
            .oneshot(read(&format!("mem://items/{i}")))
            .await
            .unwrap();
    }
    assert!(handle.entry_count() <= 3, "{}", handle.entry_count());

    // An answer bigger than the whole budget is not stored.
    let tiny = CacheLayer::new().max_bytes(10);
    let tiny_handle = tiny.handle();
    let service = ServiceBuilder::new().layer(tiny).service(router);
    service.oneshot(read("mem://count")).await.unwrap();
    assert_eq!(tiny_handle.entry_count(), 0);
}

#[tokio::test]
async fn handles_invalidate_by_hand() {
    let calls = Calls::default();
    let cache = CacheLayer::new();
    let handle = cache.handle();
    let service = ServiceBuilder::new().layer(cache).service(router(&calls));
    service.clone().oneshot(read("mem://count")).await.unwrap();
    service.clone().oneshot(read("mem://count")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    handle.invalidate(&Change::ResourceUpdated("mem://count".into()));
    service.clone().oneshot(read("mem://count")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    handle.invalidate_all();
    service.clone().oneshot(read("mem://count")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}
