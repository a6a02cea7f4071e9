//! `ToolSearchLayer` over a real transport (a memory pair and Turret's client) in front of a
//! gateway Router with a mounted child: the meta-tools are listed, and a tool the child adds
//! while running is found once the change reaches the layer (no TTL wait).

#[path = "support/client.rs"]
mod client;
#[path = "support/layers.rs"]
mod layers_support;

use std::time::Duration;

use serde_json::json;
use tower::ServiceBuilder;
use turret::client::Client;
use turret::layers::ToolSearchLayer;
use turret::{tool_fn, Router};

async fn found(client: &Client, query: &str) -> Vec<String> {
    let result = client
        .call_tool("search_tools", json!({ "query": query }))
        .await
        .unwrap();
    result.structured_content.unwrap()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_tool_a_mounted_child_adds_is_found_after_its_list_changed() {
    let child = Router::new().tool(
        "forecast",
        tool_fn(|| async { "rain" }).description("Gets the weather forecast."),
    );
    let gateway = Router::new().mount("weather", child.clone());
    let service = ServiceBuilder::new()
        .layer(ToolSearchLayer::new().refresh_on(gateway.notifier().subscribe()))
        .service(gateway);
    let client = layers_support::connect(service).await;
    assert_eq!(
        client::tool_names(&client).await,
        ["search_tools", "call_tool"]
    );
    assert_eq!(
        found(&client, "weather forecast").await[0],
        "weather_forecast"
    );
    assert!(found(&client, "air quality index").await.is_empty());

    child.add_tool(
        "air_quality",
        tool_fn(|| async { "good" }).description("Gets the air quality index of a city."),
    );
    let mut names = Vec::new();
    for _ in 0..50 {
        names = found(&client, "air quality index").await;
        if !names.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        names.first().map(String::as_str),
        Some("weather_air_quality"),
        "{names:?}"
    );
    let called = client
        .call_tool("call_tool", json!({"name": "weather_air_quality"}))
        .await
        .unwrap();
    assert_eq!(client::text(&called.content), "good");
}
