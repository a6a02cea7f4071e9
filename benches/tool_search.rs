//! Tool search over the GitHub + Stripe catalog (~1,700 tools, see `tests/support/catalog.rs`;
//! without the specs the bench says so and measures nothing): building the index, one search
//! on the index, one `search_tools` call through the layer (a caller whose view is cached),
//! and, once, the memory an index takes.
//!
//! Memory: what [`ToolIndex::heap_bytes`] counts, and, in a fresh child process holding the
//! catalog, the resident set before and after building [`COPIES`] indexes, divided by their
//! number (many, so memory the allocator kept from building the catalog does not hide the
//! indexes' own; it still may, in part: read it as a floor).

#[path = "../tests/support/catalog.rs"]
mod catalog;

use std::sync::Arc;

use criterion::{criterion_group, Criterion};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt as _};
use turret::layers::tool_search::{Ranking, ToolIndex};
use turret::layers::ToolSearchLayer;
use turret::openapi::Naming;
use turret::types::{CallToolRequestParams, ClientRequest, Tool};
use turret::{Identity, Request};

/// Queries a search is measured on, one per iteration in turn.
const QUERIES: [&str; 8] = [
    "list the open pull requests of a repo",
    "refund a charge",
    "create a customer",
    "add labels to an issue",
    "cancel a subscription",
    "download the logs of a workflow run",
    "book a flight to Lisbon",
    "give a user write access to my repository",
];

/// Env var under which the bench re-runs itself to measure an index's memory alone.
const CHILD: &str = "TURRET_TOOL_SEARCH_BENCH_CHILD";
/// Indexes built to measure memory.
const COPIES: usize = 30;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time this process has used (user + system), in seconds (Linux; clock ticks of 10 ms).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (in parentheses, which may hold spaces): utime is the
    // 12th of them, stime the 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU time of one build, averaged over `n`: on a shared machine, wall time also counts the
/// waits for a core.
fn build_cpu_ms(tools: &[Arc<Tool>], n: usize) -> f64 {
    let start = cpu_seconds().unwrap_or(0.0);
    for _ in 0..n {
        drop(ToolIndex::new(tools.iter().cloned(), Ranking::default()));
    }
    (cpu_seconds().unwrap_or(0.0) - start) * 1000.0 / n as f64
}

fn tools(rt: &tokio::runtime::Runtime, texts: &[(&str, String)]) -> Vec<Arc<Tool>> {
    rt.block_on(catalog::list_tools(catalog::router(
        texts,
        Naming::Compatible,
    )))
}

/// In the child: the resident set one index adds, in MiB.
fn child(texts: &[(&str, String)]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tools = tools(&rt, texts);
    let before = rss_kib().unwrap_or(0);
    let indexes: Vec<ToolIndex> = (0..COPIES)
        .map(|_| ToolIndex::new(tools.iter().cloned(), Ranking::default()))
        .collect();
    let after = rss_kib().unwrap_or(0);
    println!(
        "{:.2}",
        after.saturating_sub(before) as f64 / COPIES as f64 / 1024.0
    );
    drop(indexes);
}

fn index_rss() -> String {
    let out = std::env::current_exe()
        .and_then(|exe| std::process::Command::new(exe).env(CHILD, "1").output());
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let texts = match catalog::spec_texts() {
        Ok(t) => t,
        Err(e) => return eprintln!("tool_search bench: {e}"),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tools = tools(&rt, &texts);
    let heap = ToolIndex::new(tools.iter().cloned(), Ranking::default()).heap_bytes();
    eprintln!(
        "tool_search: {} tools, index heap {:.2} MiB (counted), RSS {} MiB per index, \
         build CPU time {:.1} ms (mean of 40)",
        tools.len(),
        heap as f64 / (1 << 20) as f64,
        index_rss(),
        build_cpu_ms(&tools, 40)
    );
    let mut group = c.benchmark_group("tool_search");
    group.sample_size(20);
    group.bench_function("build", |b| {
        b.iter(|| ToolIndex::new(tools.iter().cloned(), Ranking::default()))
    });
    let index = ToolIndex::new(tools.iter().cloned(), Ranking::default());
    let mut i = 0;
    group.bench_function("search", |b| {
        b.iter(|| {
            i = (i + 1) % QUERIES.len();
            index.search(QUERIES[i], 5)
        })
    });
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new())
        .service(catalog::router(&texts, Naming::Compatible));
    // A caller with an identity, whose view is kept between searches.
    let call = |query: &str| {
        let mut req = Request::new(ClientRequest::CallTool(CallToolRequestParams {
            name: "search_tools".into(),
            arguments: json!({ "query": query }).as_object().cloned(),
            ..Default::default()
        }));
        req.extensions_mut().insert(Identity::new("bench"));
        req
    };
    // The first call lists the catalog and builds the caller's index.
    rt.block_on(service.clone().oneshot(call(QUERIES[0])))
        .unwrap();
    group.bench_function("layer/search_tools", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 1) % QUERIES.len();
            service.clone().oneshot(call(QUERIES[i]))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os(CHILD).is_some() {
        return child(&catalog::spec_texts().unwrap());
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
