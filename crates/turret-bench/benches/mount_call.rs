//! `tools/call` routed to one mounted child, with 1 and with 1,000 mounted children: the
//! cost of a mount must not grow with the number of children.

#[path = "../../../tests/support/tools.rs"]
mod tools;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tower::ServiceExt as _;
use turret_core::{tool_fn, Request, Router};

fn child() -> Router {
    Router::new().tool("work", tool_fn(|| async { "done" }))
}

fn parent(children: usize) -> Router {
    (0..children).fold(Router::new(), |router, i| {
        router.mount(format!("child{i}"), child())
    })
}

fn call(name: &str) -> Request {
    tools::call(name, json!({}))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("mount");
    for children in [1, 1000] {
        let router = parent(children);
        // The last child: a scan would pay for every one before it.
        let name = format!("child{}_work", children - 1);
        group.bench_function(format!("tools_call_{children}_children"), |b| {
            b.to_async(&rt).iter(|| router.clone().oneshot(call(&name)))
        });
    }
    let direct = child();
    group.bench_function("tools_call_unmounted", |b| {
        b.to_async(&rt)
            .iter(|| direct.clone().oneshot(call("work")))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
