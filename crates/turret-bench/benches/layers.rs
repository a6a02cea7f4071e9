//! In-process `tools/call` through a Router with trace + filter + cache in front of it, against
//! the bare Router in the same run. Every call has new arguments, so the cache takes its miss
//! path (key, lookup, call, store); the hit path is measured beside it. No subscriber is
//! installed: spans are as cheap as a disabled `INFO` span is.

#[path = "../../../tests/support/tools.rs"]
mod tools;

use std::sync::atomic::{AtomicI64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt as _};
use turret_core::{tool_fn, Request, Router};
use turret_layers::{CacheLayer, FilterLayer, TraceLayer};
use turret_types::ToolAnnotations;

use tools::add;

fn call_request(a: i64) -> Request {
    tools::call("add", json!({"a": a, "b": 3}))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let read_only = ToolAnnotations {
        read_only_hint: Some(true),
        ..Default::default()
    };
    let router = Router::new()
        .tool("add", tool_fn(add).annotations(read_only).tags(["public"]))
        .tool("reindex", tool_fn(|| async { "" }).tags(["admin"]));
    let layered = ServiceBuilder::new()
        .layer(TraceLayer::new())
        .layer(FilterLayer::new().exclude_tags(["admin"]))
        .layer(CacheLayer::new())
        .service(router.clone());
    let next = AtomicI64::new(0);
    let fresh = || call_request(next.fetch_add(1, Ordering::Relaxed));

    let mut group = c.benchmark_group("layers");
    group.bench_function("bare_router", |b| {
        b.to_async(&rt).iter(|| router.clone().oneshot(fresh()))
    });
    group.bench_function("trace_filter_cache_miss", |b| {
        b.to_async(&rt).iter(|| layered.clone().oneshot(fresh()))
    });
    group.bench_function("trace_filter_cache_hit", |b| {
        b.to_async(&rt)
            .iter(|| layered.clone().oneshot(call_request(-1)))
    });
    let trace = ServiceBuilder::new()
        .layer(TraceLayer::new())
        .service(router.clone());
    group.bench_function("trace", |b| {
        b.to_async(&rt).iter(|| trace.clone().oneshot(fresh()))
    });
    let filter = ServiceBuilder::new()
        .layer(FilterLayer::new().exclude_tags(["admin"]))
        .service(router.clone());
    group.bench_function("filter", |b| {
        b.to_async(&rt).iter(|| filter.clone().oneshot(fresh()))
    });
    let cache = ServiceBuilder::new()
        .layer(CacheLayer::new())
        .service(router.clone());
    group.bench_function("cache_miss", |b| {
        b.to_async(&rt).iter(|| cache.clone().oneshot(fresh()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
