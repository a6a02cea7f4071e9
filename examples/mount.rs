//! Composing servers: two services mounted under namespaces, as FastMCP's `mount` example.
//!
//! ServiceA keeps the default tool separator (`_`) and namespaces its resources as
//! `serviceA+a://config`; ServiceB uses `-` for tools and `:` for resources. Listing shows
//! `serviceA_process_a`, `serviceB-process_b`, `serviceA+a://config` and
//! `serviceB:b://status`.
//!
//! `cargo run --example mount` serves stdio; `-- --http 127.0.0.1:3000` serves
//! `http://127.0.0.1:3000/mcp`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use turret::router::Mount;
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::{resource_fn, tool_fn, Args, Json, Router};

/// Data to process.
#[derive(Deserialize, JsonSchema)]
struct Text {
    /// The input.
    data: String,
}

/// A number to process.
#[derive(Deserialize, JsonSchema)]
struct Number {
    /// The input.
    data: i64,
}

#[derive(Serialize)]
struct ConfigA {
    a_ver: u32,
}

async fn process_a(Args(Text { data }): Args<Text>) -> String {
    format!("A processed: {data}")
}

async fn config_a() -> Json<ConfigA> {
    Json(ConfigA { a_ver: 1 })
}

async fn process_b(Args(Number { data }): Args<Number>) -> String {
    format!("B processed: {}", data * 2)
}

async fn status_b() -> &'static str {
    "B is running"
}

fn app() -> Router {
    let service_a = Router::new()
        .name("ServiceA")
        .tool(
            "process_a",
            tool_fn(process_a).description("Processes data in A"),
        )
        .resource(
            "a://config",
            resource_fn(config_a).mime_type("application/json"),
        );
    let service_b = Router::new()
        .name("ServiceB")
        .tool(
            "process_b",
            tool_fn(process_b).description("Doubles a number in B"),
        )
        .resource("b://status", resource_fn(status_b).mime_type("text/plain"));
    Router::new()
        .name("MainApp")
        .mount_with("serviceA", service_a, Mount::new().resource_separator("+"))
        .mount_with(
            "serviceB",
            service_b,
            Mount::new().tool_separator("-").resource_separator(":"),
        )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => turret::transport::serve_stdio(app()).await,
        [flag, addr] if flag == "--http" => {
            let mcp = StreamableHttpService::new(app());
            let listener = tokio::net::TcpListener::bind(addr).await?;
            eprintln!("mount: http://{}/mcp", listener.local_addr()?);
            let app = axum::Router::new().route_service("/mcp", mcp.clone());
            serve(listener, app, async move {
                let _ = tokio::signal::ctrl_c().await;
                mcp.shutdown();
            })
            .await
        }
        _ => {
            eprintln!("usage: mount [--http ADDR]");
            std::process::exit(2)
        }
    }
}
