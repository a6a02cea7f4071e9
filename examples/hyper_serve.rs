//! MCP on a bare hyper server, no axum: the endpoint answers on every path.
//!
//! `cargo run --example hyper_serve -- 127.0.0.1:3000`.

use turret::transport::streamable_http::{serve, StreamableHttpConfig, StreamableHttpService};
use turret::{tool_fn, Router};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let router = Router::new().name("hyper-serve").tool(
        "ping",
        tool_fn(|| async { "pong" }).description("Answers pong"),
    );
    let mcp = StreamableHttpService::with_config(router, StreamableHttpConfig::new());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("MCP at http://{}/", listener.local_addr()?);
    let stop = mcp.clone();
    serve(listener, mcp, async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.shutdown();
    })
    .await
}
