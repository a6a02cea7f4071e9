//! Composing servers: FastMCP's mount example, line for line. ServiceA and ServiceB, each a
//! tool and a resource, mounted under namespaces into MainApp.
//!
//! ServiceA keeps the default separators: `serviceA_process_a` and `a://serviceA/config`.
//! ServiceB uses `-` for tools and the older prefix form with `:` for resources:
//! `serviceB-process_b` and `serviceB:b://status`.
//!
//! `cargo run --example mount` serves stdio; `-- --http 127.0.0.1:3000` serves
//! `http://127.0.0.1:3000/mcp`. The builder form of the same composition is in the
//! `Router::mount` docs.

use turret::{resource, router::Mount, tool, Json, Router};

#[tool]
fn process_a(data: String) -> String {
    format!("A processed: {data}")
}

#[resource("a://config")]
fn config_a() -> Json<serde_json::Value> {
    Json(serde_json::json!({"a_ver": 1}))
}

#[tool]
fn process_b(data: i64) -> String {
    format!("B processed: {}", data * 2)
}

#[resource("b://status")]
fn status_b() -> &'static str {
    "B is running"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let service_a = Router::named("ServiceA").register((process_a, config_a));
    let service_b = Router::named("ServiceB").register((process_b, status_b));
    let b = Mount::new().tool_separator("-").resource_separator(":");
    let main_app = Router::named("MainApp").mount("serviceA", service_a);
    turret::run(main_app.mount_with("serviceB", service_b, b)).await
}
