//! An axum app documented with utoipa, served as an MCP server in-process: the tools call
//! the app's Router directly, no socket (FastMCP's `from_fastapi`).
//!
//! ```text
//! cargo run --example from_axum            # MCP over stdio
//! cargo run --example from_axum -- --dump  # the generated tools as JSON
//! ```

use axum::extract::Path;
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};
use turret::openapi::{from_axum, OpenApi as Generator, Spec};
use utoipa::{OpenApi, ToSchema};

/// An item of data.
#[derive(Serialize, Deserialize, ToSchema)]
struct Item {
    /// Its name.
    name: String,
    /// Its price.
    price: f64,
}

/// The item `item_id`.
#[utoipa::path(get, path = "/data/{item_id}", operation_id = "get_item",
    params(("item_id" = u32, Path, description = "Which item")),
    responses((status = 200, body = Item)))]
async fn get_item(Path(item_id): Path<u32>) -> Json<Item> {
    Json(Item {
        name: format!("item {item_id}"),
        price: 9.99,
    })
}

/// Stores an item and returns it.
#[utoipa::path(post, path = "/data", operation_id = "create_item",
    request_body = Item, responses((status = 200, body = Item)))]
async fn create_item(Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Data API", version = "1.0.0"),
    paths(get_item, create_item)
)]
struct Api;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = axum::Router::new()
        .route("/data/{item_id}", get(get_item))
        .route("/data", post(create_item));
    let spec = Spec::parse(&Api::openapi().to_json()?)?;
    if std::env::args().any(|a| a == "--dump") {
        let components = Generator::new(spec).components()?;
        println!("{}", serde_json::to_string_pretty(&components)?);
        return Ok(());
    }
    turret::transport::serve_stdio(from_axum(app, spec)?).await?;
    Ok(())
}
