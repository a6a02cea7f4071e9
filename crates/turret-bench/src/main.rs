//! The benchmark server of `bench/compare.sh`: one `echo` tool over streamable HTTP.
//!
//! ```text
//! cargo run --release -p turret-bench -- --addr 127.0.0.1:3000 --mode axum
//! cargo run --release -p turret-bench -- --mode hyper --response sse
//! cargo run --release -p turret-bench -- --mode fixed            # the ceiling
//! cargo run --release -p turret-bench -- --proxy http://127.0.0.1:3001/mcp
//! cargo run --release -p turret-bench -- --redis redis://127.0.0.1:6379
//! ```
//!
//! Modes: `axum` nests the MCP endpoint at `/mcp` in an axum router; `hyper` serves it on a
//! bare hyper server (every path); `fixed` is no MCP at all but a bare hyper server answering
//! every request with the fixed JSON-RPC body an `echo` of `hello` returns (the ceiling any
//! server on this machine could reach). With `--proxy URL` the endpoint is a Turret proxy of
//! the MCP server at URL instead of the local `echo` tool. With `--redis URL` it is one of
//! several replicas sharing sessions through that Redis (`bench/scaling.sh`).
//!
//! Runs on one runtime thread: the comparison pins each server to one CPU.

use std::convert::Infallible;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::Full;
use schemars::JsonSchema;
use serde::Deserialize;
use turret_core::{tool_fn, Args, McpService, Router};
use turret_proxy::{Backend, Proxy};
use turret_transport::streamable_http::{
    serve, ResponseMode, StreamableHttpConfig, StreamableHttpService,
};

/// What `echo` takes.
#[derive(Deserialize, JsonSchema)]
struct Echo {
    /// The text to send back.
    text: String,
}

async fn echo(Args(Echo { text }): Args<Echo>) -> String {
    text
}

/// The answer of the `fixed` mode: what `echo` of `hello` returns.
const FIXED: &[u8] =
    br#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello"}]}}"#;

struct Options {
    addr: String,
    mode: String,
    response: ResponseMode,
    proxy: Option<String>,
    redis: Option<String>,
}

const USAGE: &str = "usage: turret-echo [--addr 127.0.0.1:3000] [--mode axum|hyper|fixed] \
                     [--response auto|json|sse] [--proxy URL] [--redis URL]";

fn options() -> Result<Options, String> {
    let mut options = Options {
        addr: "127.0.0.1:3000".into(),
        mode: "axum".into(),
        response: ResponseMode::Auto,
        proxy: None,
        redis: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => options.addr = value()?,
            "--mode" => match value()?.as_str() {
                m @ ("axum" | "hyper" | "fixed") => options.mode = m.into(),
                other => return Err(format!("unknown mode {other:?}")),
            },
            "--response" => {
                options.response = match value()?.as_str() {
                    "auto" => ResponseMode::Auto,
                    "json" => ResponseMode::Json,
                    "sse" => ResponseMode::Sse,
                    other => return Err(format!("unknown response mode {other:?}")),
                }
            }
            "--proxy" => options.proxy = Some(value()?),
            "--redis" => options.redis = Some(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

async fn serve_mcp<S>(service: S, options: &Options) -> std::io::Result<()>
where
    StreamableHttpService<S>: Clone,
    S: McpService,
{
    let mut config = StreamableHttpConfig::new().response_mode(options.response);
    if let Some(url) = &options.redis {
        // One replica of several: sessions and stream events in Redis.
        let store = turret_redis::RedisStore::connect(url.as_str())
            .await
            .map_err(std::io::Error::other)?;
        config = config.replicated(store);
    }
    let mcp = StreamableHttpService::with_config(service, config);
    let listener = tokio::net::TcpListener::bind(&options.addr).await?;
    let addr = listener.local_addr()?;
    let stop = mcp.clone();
    let shutdown = async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.shutdown();
    };
    if options.mode == "hyper" {
        eprintln!("turret-echo: http://{addr}/mcp (bare hyper)");
        serve(listener, mcp, shutdown).await
    } else {
        eprintln!("turret-echo: http://{addr}/mcp (axum)");
        let app = axum::Router::new().nest_service("/mcp", mcp);
        serve(listener, app, shutdown).await
    }
}

async fn serve_fixed(options: &Options) -> std::io::Result<()> {
    let service = tower::service_fn(|_: http::Request<hyper::body::Incoming>| async {
        let mut response = http::Response::new(Full::new(Bytes::from_static(FIXED)));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Ok::<_, Infallible>(response)
    });
    let listener = tokio::net::TcpListener::bind(&options.addr).await?;
    eprintln!(
        "turret-echo: http://{}/mcp (fixed body)",
        listener.local_addr()?
    );
    serve(listener, service, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

async fn run(options: Options) -> std::io::Result<()> {
    if options.mode == "fixed" {
        return serve_fixed(&options).await;
    }
    match &options.proxy {
        Some(url) => {
            let proxy = Proxy::builder("echo-proxy", Backend::url(url.clone())).build();
            serve_mcp(proxy, &options).await
        }
        None => {
            let router = Router::new().name("turret-echo").tool(
                "echo",
                tool_fn(echo).description("Answers with the text it is given"),
            );
            serve_mcp(router, &options).await
        }
    }
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("turret-echo: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("turret-echo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turret-echo: {e}");
            ExitCode::FAILURE
        }
    }
}
