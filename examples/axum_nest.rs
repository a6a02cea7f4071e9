//! MCP inside an ordinary axum app: the streamable endpoint at `/mcp` and the legacy
//! HTTP+SSE pair at `/sse` + `/messages` beside a `/health` route, with tower-http layers
//! over all of them.
//!
//! `cargo run --example axum_nest -- 127.0.0.1:3000`, then point an MCP client at
//! `http://127.0.0.1:3000/mcp`.

use std::time::Duration;

use axum::routing::get;
use schemars::JsonSchema;
use serde::Deserialize;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use turret::transport::legacy_sse::LegacySseService;
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::{tool_fn, Args, Extension, Router};

/// Whom to greet.
#[derive(Deserialize, JsonSchema)]
struct Greet {
    /// A name.
    name: String,
}

async fn greet(Args(Greet { name }): Args<Greet>) -> String {
    format!("Hello, {name}!")
}

/// Tools see the HTTP request: here, the User-Agent the client sent.
async fn user_agent(Extension(parts): Extension<http::request::Parts>) -> String {
    parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .to_owned()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let router = Router::new()
        .name("axum-nest")
        .tool("greet", tool_fn(greet).description("Greets someone"))
        .tool(
            "user_agent",
            tool_fn(user_agent).description("Echoes the caller's User-Agent"),
        );
    let legacy = LegacySseService::new(router.clone(), "/messages");
    let mcp = StreamableHttpService::new(router);
    let app = axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest_service("/mcp", mcp.clone())
        .route_service("/sse", legacy.clone())
        .route_service("/messages", legacy)
        .layer(TraceLayer::new_for_http())
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(300),
        ));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("MCP at http://{}/mcp", listener.local_addr()?);
    serve(listener, app, async move {
        let _ = tokio::signal::ctrl_c().await;
        mcp.shutdown();
    })
    .await
}
