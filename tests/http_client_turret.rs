//! Turret's HTTP client against Turret's own HTTP servers on 127.0.0.1: the streamable
//! endpoint in both eras (with the session ended by `DELETE` on close, and re-opened after
//! the server expired it), and the legacy HTTP+SSE endpoint, directly and as the fallback of
//! a client given its URL.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, Request};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use turret::client::{Client, Era};
use turret::transport::legacy_sse::LegacySseService;
use turret::transport::streamable_http::{serve, StreamableHttpConfig, StreamableHttpService};
use turret::transport::{LegacySseClient, StreamableHttpClient};
use turret::types::{ContentBlock, ProtocolVersion};
use turret::{tool_fn, Args, Router, Transport};

/// Two numbers.
#[derive(Deserialize, JsonSchema)]
struct Pair {
    /// The first.
    a: i64,
    /// The second.
    b: i64,
}

async fn add(Args(Pair { a, b }): Args<Pair>) -> String {
    (a + b).to_string()
}

/// What reached the server: method, path, and whether a session id came along.
type Seen = Arc<Mutex<Vec<(Method, String, bool)>>>;

/// Serves the router at `/mcp` (streamable) and `/sse` + `/messages` (legacy).
async fn start(config: StreamableHttpConfig) -> (String, Seen) {
    let router = Router::new()
        .name("turret-http")
        .tool("add", tool_fn(add).description("Adds two integers"));
    let legacy = LegacySseService::new(router.clone(), "/messages");
    let seen = Seen::default();
    let record = seen.clone();
    let app = axum::Router::new()
        .route_service("/mcp", StreamableHttpService::with_config(router, config))
        .route_service("/sse", legacy.clone())
        .route_service("/messages", legacy)
        .layer(tower::util::MapRequestLayer::new(
            move |request: Request<axum::body::Body>| {
                record.lock().unwrap().push((
                    request.method().clone(),
                    request.uri().path().to_owned(),
                    request.headers().contains_key("mcp-session-id"),
                ));
                request
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, app, std::future::pending()));
    (base, seen)
}

async fn connect(transport: Transport, era: Era) -> Client {
    tokio::time::timeout(
        Duration::from_secs(10),
        Client::builder().era(era).connect(transport),
    )
    .await
    .expect("connected in time")
    .expect("connected")
}

async fn sum(client: &Client) -> String {
    let result = client
        .call_tool("add", json!({"a": 2, "b": 3}))
        .await
        .unwrap();
    result
        .content
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect()
}

#[tokio::test]
async fn auto_speaks_2026_07_28_with_a_turret_server() {
    let (base, seen) = start(StreamableHttpConfig::default()).await;
    let transport = StreamableHttpClient::new(format!("{base}/mcp"))
        .connect()
        .unwrap();
    let client = connect(transport, Era::Auto).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    assert_eq!(client.server_info().name, "turret-http");
    assert_eq!(sum(&client).await, "5");
    client.close().await.unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen
        .iter()
        .all(|(m, _, session)| *m == Method::POST && !session));
}

#[tokio::test]
async fn handshake_era_session_ends_with_delete() {
    let (base, seen) = start(StreamableHttpConfig::default()).await;
    let transport = StreamableHttpClient::new(format!("{base}/mcp"))
        .connect()
        .unwrap();
    let client = connect(transport, Era::Handshake(ProtocolVersion::V2025_11_25)).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
    assert_eq!(sum(&client).await, "5");
    client.close().await.unwrap();
    let seen = seen.lock().unwrap();
    let (method, _, with_session) = seen.last().unwrap();
    assert_eq!(*method, Method::DELETE);
    assert!(with_session);
    assert!(
        seen.iter().any(|(m, _, s)| *m == Method::GET && *s),
        "the standalone stream"
    );
}

#[tokio::test]
async fn reopens_a_session_the_server_expired() {
    let config = StreamableHttpConfig::default().session_idle_timeout(Duration::from_millis(300));
    let (base, seen) = start(config).await;
    // Without the standalone stream the session really is idle between the calls.
    let transport = StreamableHttpClient::new(format!("{base}/mcp"))
        .standalone_stream(false)
        .connect()
        .unwrap();
    let client = connect(transport, Era::Handshake(ProtocolVersion::V2025_11_25)).await;
    assert_eq!(sum(&client).await, "5");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sum(&client).await, "5", "answered in a new session");
    client.close().await.unwrap();
    let sessionless_posts = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, _, s)| *m == Method::POST && !s)
        .count();
    assert_eq!(sessionless_posts, 2, "initialize, then initialize again");
}

#[tokio::test]
async fn legacy_sse_endpoint_directly_and_by_fallback() {
    let (base, _seen) = start(StreamableHttpConfig::default()).await;
    let url = format!("{base}/sse");
    let transport = LegacySseClient::new(&url).connect().await.unwrap();
    let client = connect(transport, Era::Handshake(ProtocolVersion::V2024_11_05)).await;
    assert_eq!(sum(&client).await, "5");
    client.close().await.unwrap();

    let transport = StreamableHttpClient::new(&url).connect().unwrap();
    let client = connect(transport, Era::Auto).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
    assert_eq!(sum(&client).await, "5");
    client.close().await.unwrap();
}
