//! Tool search: a server whose tools are found with `search_tools` and called with
//! `call_tool` instead of being listed, the way a gateway over thousands of tools would
//! offer them. An admin tool is hidden by a filter inside the search, so it is never found
//! and `call_tool` refuses it as unknown.
//!
//! ```text
//! cargo run --example tool_search                          # stdio
//! cargo run --example tool_search -- --http 127.0.0.1:3000 # streamable HTTP at /mcp
//! ```
//!
//! Try it: `search_tools` with `{"query": "weather forecast"}`, then `call_tool` with
//! `{"name": "weather_forecast", "arguments": {"city": "Oslo"}}`; `search_tools` with
//! `{"query": "book a flight"}` answers that no tool fits.

use schemars::JsonSchema;
use serde::Deserialize;
use tower::ServiceBuilder;
use turret::layers::{FilterLayer, ToolSearchLayer};
use turret::{tool_fn, Args, Router};

/// A city.
#[derive(Deserialize, JsonSchema)]
struct City {
    /// The city's name.
    city: String,
}

/// A to-do item.
#[derive(Deserialize, JsonSchema)]
struct Todo {
    /// What to do.
    title: String,
}

fn router() -> Router {
    Router::new()
        .tool(
            "weather_forecast",
            tool_fn(|Args(c): Args<City>| async move { format!("{}: rain tomorrow", c.city) })
                .description("Gets the weather forecast of a city for the next days."),
        )
        .tool(
            "weather_current",
            tool_fn(|Args(c): Args<City>| async move { format!("{}: 12°C, cloudy", c.city) })
                .description("Gets the current temperature and conditions in a city."),
        )
        .tool(
            "todos_add",
            tool_fn(|Args(t): Args<Todo>| async move { format!("added: {}", t.title) })
                .description("Adds an item to the to-do list."),
        )
        .tool(
            "todos_list",
            tool_fn(|| async { "1. water the plants" }).description("Lists the to-do items."),
        )
        .tool(
            "todos_clear",
            tool_fn(|| async { "cleared" }).description("Removes every item from the to-do list."),
        )
        .tool(
            "admin_reset_database",
            tool_fn(|| async { "reset" })
                .description("Deletes all data and resets the database.")
                .tags(["admin"]),
        )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let router = router();
    let service = ServiceBuilder::new()
        .layer(
            ToolSearchLayer::new()
                .pin(["todos_list"])
                .refresh_on(router.notifier().subscribe()),
        )
        .layer(FilterLayer::new().exclude_tags(["admin"]))
        .service(router);
    turret::run(service).await
}
