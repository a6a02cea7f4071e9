//! In-process `tools/call` through the Router: the cost of dispatch, argument extraction and
//! result conversion, with no transport. A `tools/list` and a raw `service_fn` echo give the
//! baseline measured in the same run.

#[path = "../tests/support/tools.rs"]
mod tools;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tower::{service_fn, ServiceExt as _};
use turret::types::ServerResult;
use turret::{tool_fn, Request, Router};

use tools::add;

fn call_request() -> Request {
    tools::call("add", json!({"a": 2, "b": 3}))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut router = Router::new().tool("add", tool_fn(add));
    // 1,000 more tools: lookup must not depend on how many there are.
    for i in 0..1000 {
        router = router.tool(format!("noop_{i}"), tool_fn(|| async { "" }));
    }
    let mut group = c.benchmark_group("router");
    group.bench_function("tools_call_add", |b| {
        b.to_async(&rt)
            .iter(|| router.clone().oneshot(call_request()))
    });
    let baseline = service_fn(|_: Request| async {
        Ok::<_, std::convert::Infallible>(ServerResult::Other(json!({})))
    });
    group.bench_function("baseline_service_fn", |b| {
        b.to_async(&rt).iter(|| baseline.oneshot(call_request()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
