//! A bounded load run over real loopback sockets: `tools/call` through the streamable HTTP
//! service nested in axum, answered as JSON and as SSE, at 1 and 32 concurrent connections,
//! beside a bare hyper server that returns a fixed body (the baseline, measured in the same
//! run). Prints requests per second and p50/p99 latency per case.
//!
//! `cargo bench --bench http_load` (about 5 s per case; `LOAD_SECONDS` changes that).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::net::TcpListener;
use turret::transport::streamable_http::{
    serve, ResponseMode, StreamableHttpConfig, StreamableHttpService,
};
use turret::{tool_fn, Args, Context, Router};

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

async fn add(Args(Add { a, b }): Args<Add>) -> String {
    (a + b).to_string()
}

/// The same sum after one progress notification, so the answer must stream.
async fn add_streamed(ctx: Context, Args(Add { a, b }): Args<Add>) -> String {
    ctx.progress(1.0, Some(1.0), None).await;
    (a + b).to_string()
}

const CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},"name":"add","arguments":{"a":2,"b":3}}}"#;
const STREAMED_CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"progressToken":"p"},"name":"add_streamed","arguments":{"a":2,"b":3}}}"#;

async fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, addr)
}

async fn mcp_server(mode: ResponseMode) -> SocketAddr {
    let router = Router::new()
        .tool("add", tool_fn(add))
        .tool("add_streamed", tool_fn(add_streamed));
    let config = StreamableHttpConfig::new().response_mode(mode);
    let app = axum::Router::new()
        .nest_service("/mcp", StreamableHttpService::with_config(router, config));
    let (listener, addr) = listen().await;
    tokio::spawn(serve(listener, app, std::future::pending()));
    addr
}

async fn fixed_server() -> SocketAddr {
    let body = Bytes::from_static(
        br#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"5"}]}}"#,
    );
    let service = tower::service_fn(move |_: Request<hyper::body::Incoming>| {
        let body = body.clone();
        async move { Ok::<_, Infallible>(Response::new(Full::new(body))) }
    });
    let (listener, addr) = listen().await;
    tokio::spawn(serve(listener, service, std::future::pending()));
    addr
}

/// One connection's loop: as many calls as fit in `duration`, each latency recorded.
async fn worker(
    addr: SocketAddr,
    path: &'static str,
    call: &'static str,
    duration: Duration,
) -> Vec<Duration> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    // One idle connection per worker: `concurrency` workers hold `concurrency` connections.
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build(connector);
    let uri: http::Uri = format!("http://{addr}{path}").parse().expect("uri");
    let mut latencies = Vec::new();
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let request = Request::post(uri.clone())
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header(
                "mcp-name",
                if call == CALL { "add" } else { "add_streamed" },
            )
            .body(Full::new(Bytes::from_static(call.as_bytes())))
            .expect("request");
        let start = Instant::now();
        let response = client.request(request).await.expect("response");
        assert!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        assert!(body.windows(3).any(|w| w == br#""5""#), "unexpected answer");
        latencies.push(start.elapsed());
    }
    latencies
}

async fn run(
    label: &str,
    addr: SocketAddr,
    path: &'static str,
    call: &'static str,
    concurrency: usize,
    duration: Duration,
) {
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(addr, path, call, duration)))
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker"));
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{label:<28} c={concurrency:<3} {:>9.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms   ({} calls)",
        all.len() as f64 / duration.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all.len()
    );
}

fn main() {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let duration = Duration::from_secs(seconds);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let fixed = fixed_server().await;
        let json = mcp_server(ResponseMode::Json).await;
        let sse = mcp_server(ResponseMode::Sse).await;
        let auto = mcp_server(ResponseMode::Auto).await;
        for c in [1, 32] {
            run("bare hyper, fixed body", fixed, "/", CALL, c, duration).await;
            run("turret axum /mcp, JSON", json, "/mcp", CALL, c, duration).await;
            run("turret axum /mcp, SSE", sse, "/mcp", CALL, c, duration).await;
            run(
                "turret /mcp, SSE streamed",
                auto,
                "/mcp",
                STREAMED_CALL,
                c,
                duration,
            )
            .await;
        }
    });
}
