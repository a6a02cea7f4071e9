//! The shortest useful server: one tool over stdio.
//!
//! Run it with `cargo run --example quickstart` (stdio; add `-- --http 127.0.0.1:8000` for
//! streamable HTTP), or point any MCP client at that command.
//! The same tool with the plain builder is `tool_fn(add)` on a handler taking `Args<Add>`
//! (see the README).

use turret::{tool, Router};

/// Adds two numbers
#[tool]
async fn add(
    /// The first addend.
    a: f64,
    /// The second addend.
    b: f64,
) -> String {
    (a + b).to_string()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    turret::run(Router::named("quickstart").register(add)).await
}
