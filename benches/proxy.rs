//! `tools/call` latency through one proxy hop, against the same call made directly, in the
//! same run: a backend Router served over streamable HTTP on loopback, a [`Proxy`] of it served
//! on another port, and a Turret client on each. Both eras: a handshake-era session end to end
//! (frontend and backend), and 2026-07-28 sessionless end to end.
//!
//! Before anything is timed, the setup asserts that the backend session is reused: the
//! connections opened at the backend (`initialize` and `server/discover` requests it received)
//! do not grow over many proxied calls, while every call reaches it. The check runs again
//! after the timed runs.
//!
//! `cargo bench --bench proxy`. With `PROXY_LOAD_SECONDS=N` it also prints calls per second
//! and p50/p99 at 1 and 16 concurrent callers (one shared client each way) for N seconds per
//! case.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use turret::client::{ClientBuilder, Era};
use turret::proxy::{Backend, Proxy};
use turret::transport::http_client::StreamableHttpClient;
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::types::{ClientCapabilities, ProtocolVersion};
use turret::{tool_fn, Client, Request, Router};

#[path = "../tests/support/tools.rs"]
mod tools;

/// What reached the backend: sessions opened (`initialize`, `server/discover`) and calls.
#[derive(Default)]
struct Seen {
    connects: AtomicUsize,
    calls: AtomicUsize,
}

impl Seen {
    fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Serves `service` at `http://127.0.0.1:PORT/mcp` and returns that URL.
async fn serve_mcp<S>(service: S) -> String
where
    StreamableHttpService<S>: Clone,
    S: turret::McpService,
{
    let app = axum::Router::new().route_service("/mcp", StreamableHttpService::new(service));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve(listener, app, std::future::pending()));
    format!("http://{addr}/mcp")
}

/// The backend: `add`, behind a layer counting what arrives.
async fn backend(seen: Arc<Seen>) -> String {
    let router = Router::new()
        .name("bench-backend")
        .tool("add", tool_fn(tools::add));
    let counted = ServiceBuilder::new()
        .map_request(move |req: Request| {
            match req.method() {
                "initialize" | "server/discover" => seen.connects.fetch_add(1, Ordering::SeqCst),
                "tools/call" => seen.calls.fetch_add(1, Ordering::SeqCst),
                _ => 0,
            };
            req
        })
        .service(router);
    serve_mcp(counted).await
}

/// A proxy of `backend_url` whose own client speaks `era` to the backend.
async fn proxy(backend_url: &str, era: Era) -> String {
    let client = ClientBuilder::new()
        .era(era)
        .capabilities(ClientCapabilities {
            sampling: Some(Default::default()),
            elicitation: Some(Default::default()),
            roots: Some(Default::default()),
            ..Default::default()
        });
    let proxy = Proxy::builder("bench", Backend::url(backend_url))
        .client(client)
        .build();
    serve_mcp(proxy).await
}

async fn connect(url: &str, era: Era) -> Client {
    let transport = StreamableHttpClient::new(url).connect().expect("transport");
    let client = Client::builder()
        .era(era)
        .connect(transport)
        .await
        .expect("connect");
    match era {
        Era::Handshake(_) => assert!(!client.protocol_version().is_sessionless()),
        _ => assert!(client.protocol_version().is_sessionless()),
    }
    client
}

async fn add(client: &Client) {
    let result = client
        .call_tool("add", json!({"a": 2, "b": 3}))
        .await
        .expect("tools/call");
    debug_assert_eq!(result.content.len(), 1);
}

/// One era's pair of clients, with the backend counters they share.
struct Case {
    label: &'static str,
    direct: Client,
    proxied: Client,
    seen: Arc<Seen>,
    /// Backend connections once the proxied client had made its first call.
    connects: usize,
}

const REUSE_CALLS: usize = 200;

/// Starts a backend and a proxy speaking `era` on both hops, connects a client to each, and
/// asserts that the proxied calls reuse one backend session.
async fn case(label: &'static str, era: Era) -> Case {
    let seen = Arc::new(Seen::default());
    let backend_url = backend(seen.clone()).await;
    let proxy_url = proxy(&backend_url, era).await;
    let direct = connect(&backend_url, era).await;
    let proxied = connect(&proxy_url, era).await;
    add(&proxied).await;
    let connects = seen.connects();
    // The direct client's connection and the proxy's one backend connection.
    assert_eq!(
        connects, 2,
        "{label}: connections at the backend after setup"
    );
    let calls = seen.calls();
    for _ in 0..REUSE_CALLS {
        add(&proxied).await;
    }
    assert_eq!(
        seen.calls(),
        calls + REUSE_CALLS,
        "{label}: calls reaching the backend"
    );
    assert_eq!(
        seen.connects(),
        connects,
        "{label}: the proxy opened backend connections per call"
    );
    println!(
        "{label}: backend connections {connects} before and {} after {REUSE_CALLS} proxied calls (session reused)",
        seen.connects()
    );
    Case {
        label,
        direct,
        proxied,
        seen,
        connects,
    }
}

/// `iters` sequential calls, timed on a runtime worker (as a served client's calls run)
/// rather than on the thread blocking on the runtime.
async fn timed(client: &Client, iters: u64) -> Duration {
    let client = client.clone();
    tokio::spawn(async move {
        let start = Instant::now();
        for _ in 0..iters {
            add(&client).await;
        }
        start.elapsed()
    })
    .await
    .expect("timed calls")
}

const INTERLEAVED_CALLS: usize = 2000;

/// Calls in a row on one path before switching to the other.
const BLOCK: usize = 100;

/// Per-call medians of direct and proxied calls made in alternating blocks, so both see the
/// same machine load, and their ratio. Blocks rather than single calls: right after a
/// proxied call the runtime's other worker thread is often still awake, and a direct call
/// made then skips the thread wake-ups it pays in steady state (57 µs instead of the 77–90
/// µs of a run of direct calls, on two cores), which credits the direct path with the
/// proxied call's tail.
async fn interleaved(case: &Case) {
    let (direct, proxied) = (case.direct.clone(), case.proxied.clone());
    let (mut d, mut p) = tokio::spawn(async move {
        let mut d = Vec::with_capacity(INTERLEAVED_CALLS);
        let mut p = Vec::with_capacity(INTERLEAVED_CALLS);
        for _ in 0..INTERLEAVED_CALLS / BLOCK {
            for (client, times) in [(&direct, &mut d), (&proxied, &mut p)] {
                for _ in 0..BLOCK {
                    let start = Instant::now();
                    add(client).await;
                    times.push(start.elapsed());
                }
            }
        }
        (d, p)
    })
    .await
    .expect("interleaved calls");
    d.sort();
    p.sort();
    let (d, p) = (d[d.len() / 2], p[p.len() / 2]);
    println!(
        "{}: per-call median of {INTERLEAVED_CALLS} calls in alternating blocks of {BLOCK}: direct {:.1} µs, proxied {:.1} µs, ratio {:.2}",
        case.label,
        d.as_secs_f64() * 1e6,
        p.as_secs_f64() * 1e6,
        p.as_secs_f64() / d.as_secs_f64()
    );
}

/// Calls per second and p50/p99 with `concurrency` callers sharing `client`.
async fn load(label: &str, client: &Client, concurrency: usize, duration: Duration) {
    let end = Instant::now() + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < end {
                    let start = Instant::now();
                    add(&client).await;
                    latencies.push(start.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker"));
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{label:<28} c={concurrency:<3} {:>8.0} calls/s   p50 {:>7.3} ms   p99 {:>7.3} ms",
        all.len() as f64 / duration.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cases = rt.block_on(async {
        vec![
            case(
                "handshake",
                Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE),
            )
            .await,
            case("sessionless", Era::Sessionless).await,
        ]
    });

    rt.block_on(async {
        for case in &cases {
            interleaved(case).await;
        }
    });

    let mut group = c.benchmark_group("proxy_tools_call");
    for case in &cases {
        group.bench_function(format!("{}_direct", case.label), |b| {
            b.iter_custom(|iters| rt.block_on(timed(&case.direct, iters)))
        });
        group.bench_function(format!("{}_proxied", case.label), |b| {
            b.iter_custom(|iters| rt.block_on(timed(&case.proxied, iters)))
        });
    }
    group.finish();

    for case in &cases {
        assert_eq!(
            case.seen.connects(),
            case.connects,
            "{}: backend connections grew during the timed calls",
            case.label
        );
    }

    let seconds = std::env::var("PROXY_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    if let Some(seconds) = seconds {
        let duration = Duration::from_secs(seconds);
        rt.block_on(async {
            for case in &cases {
                for concurrency in [1, 16] {
                    let direct = format!("{} direct", case.label);
                    load(&direct, &case.direct, concurrency, duration).await;
                    let proxied = format!("{} proxied", case.label);
                    load(&proxied, &case.proxied, concurrency, duration).await;
                }
            }
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
