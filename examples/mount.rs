//! Composing servers: FastMCP's mount example. ServiceA and ServiceB, each a tool and a
//! resource, mounted under namespaces into MainApp.
//!
//! ServiceA keeps the default tool separator (`_`) and namespaces its resources as
//! `serviceA+a://config`; ServiceB uses `-` for tools and `:` for resources. Listing shows
//! `serviceA_process_a`, `serviceB-process_b`, `serviceA+a://config` and
//! `serviceB:b://status`.
//!
//! `cargo run --example mount` serves stdio; `-- --http 127.0.0.1:3000` serves
//! `http://127.0.0.1:3000/mcp`.

use serde_json::{json, Value};
use turret::router::Mount;
use turret::transport::streamable_http::{serve, StreamableHttpService};
use turret::{resource, tool, Json, Router};

/// Processes data in A
#[tool]
fn process_a(data: String) -> String {
    format!("A processed: {data}")
}

#[resource("a://config", mime_type = "application/json")]
fn config_a() -> Json<Value> {
    Json(json!({"a_ver": 1}))
}

/// Doubles a number in B
#[tool]
fn process_b(data: i64) -> String {
    format!("B processed: {}", data * 2)
}

#[resource("b://status", mime_type = "text/plain")]
fn status_b() -> &'static str {
    "B is running"
}

fn app() -> Router {
    let service_a = Router::new()
        .name("ServiceA")
        .register((process_a, config_a));
    let service_b = Router::new()
        .name("ServiceB")
        .register((process_b, status_b));
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
