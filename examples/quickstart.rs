//! The shortest useful server: one tool over stdio.
//!
//! Run it with `cargo run --example quickstart`, or point any MCP client at that command.

use schemars::JsonSchema;
use serde::Deserialize;
use turret::{tool_fn, Args, Router};

/// Two numbers to add.
#[derive(Deserialize, JsonSchema)]
struct Add {
    /// The first addend.
    a: f64,
    /// The second addend.
    b: f64,
}

async fn add(Args(Add { a, b }): Args<Add>) -> String {
    (a + b).to_string()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let router = Router::new()
        .name("quickstart")
        .tool("add", tool_fn(add).description("Adds two numbers"));
    turret::transport::serve_stdio(router).await
}
