//! `examples/layers.rs` as a program: over stdio (cache, filter, timeout and invalidation
//! seen by a client) and over `--http` (tower-http's request id on the MCP endpoint).

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use client::{start_child, stop_child, text, tool_names};
use fixture::example;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use turret::client::Client;
use turret::transport::ChildProcess;
use turret::types::{ErrorCode, ResourceContents};

fn news(contents: &[ResourceContents]) -> String {
    match &contents[0] {
        ResourceContents::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_example_serves_its_layers_over_stdio() {
    let server = ChildProcess::new(example("layers")).env("RUST_LOG", "off");
    let (client, child) = start_child(server, Client::builder(), "examples/layers").await;

    assert_eq!(tool_names(&client).await, ["search", "publish", "slow"]);
    let hidden = client.call_tool("reindex", json!({})).await.unwrap_err();
    assert_eq!(hidden.code(), ErrorCode::INVALID_PARAMS);

    let first = client
        .call_tool("search", json!({"query": "tower"}))
        .await
        .unwrap();
    let second = client
        .call_tool("search", json!({"query": "tower"}))
        .await
        .unwrap();
    assert_eq!(
        text(&first.content),
        text(&second.content),
        "served from the cache"
    );

    let before = client.read_resource("news://latest").await.unwrap();
    assert_eq!(news(&before.contents), "nothing yet");
    client
        .call_tool("publish", json!({"text": "layers landed"}))
        .await
        .unwrap();
    let after = client.read_resource("news://latest").await.unwrap();
    assert_eq!(
        news(&after.contents),
        "layers landed",
        "the update invalidated the read"
    );

    let started = Instant::now();
    let timeout = client
        .call_tool("slow", json!({"seconds": 10}))
        .await
        .unwrap_err();
    assert_eq!(timeout.code(), ErrorCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(8));

    assert!(stop_child(client, child).await.success());
}

#[tokio::test]
async fn the_example_serves_http_with_tower_http_layers() {
    let mut child = Command::new(example("layers"))
        .args(["--http", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the example");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let url = stderr
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("MCP at ").map(str::to_owned))
        .expect("the example prints its address");

    let http = HttpClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    });
    let request = http::Request::post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), http.request(request))
        .await
        .expect("an answer in time")
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
    assert!(response.headers().contains_key("mcp-session-id"));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["result"]["serverInfo"]["name"], "layers-example");

    let _ = child.kill();
    let _ = child.wait();
}
