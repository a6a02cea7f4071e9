//! The streamable HTTP client transport on 2026-07-28, against scripted servers on
//! 127.0.0.1: the request-metadata headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`,
//! `Mcp-Param-*`), tools with invalid `x-mcp-header` annotations dropped, no session, no GET
//! and no DELETE, cancellation by closing the stream, the `-32022` retry, and the
//! re-listing after a `-32020`.

#[path = "support/http_mock.rs"]
mod http_mock;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use http_mock::{serve, Recorded, Reply, Step};
use serde_json::{json, Value};
use turret::client::{Client, Era};
use turret::transport::StreamableHttpClient;
use turret::types::{ContentBlock, ProtocolVersion};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A stamped 2026-07-28 result.
fn stamped(mut result: Value) -> Value {
    result["resultType"] = json!("complete");
    result
}

fn discover(r: &Recorded) -> Reply {
    Reply::result(
        &r.rpc_id(),
        stamped(json!({
            "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}, "resources": {}, "prompts": {}},
            "ttlMs": 0, "cacheScope": "private"
        })),
    )
}

fn annotated_tools() -> Value {
    json!({"tools": [
        {"name": "query", "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "limits": {"type": "object", "properties": {
                "rows": {"type": "integer", "x-mcp-header": "Rows"}
            }},
            "sql": {"type": "string"}
        }}},
        {"name": "broken", "inputSchema": {"type": "object", "properties": {
            "data": {"type": "object", "x-mcp-header": "Data"}
        }}},
        {"name": "naïve tool", "inputSchema": {"type": "object"}}
    ], "ttlMs": 0, "cacheScope": "private"})
}

fn text(message: &str) -> Value {
    stamped(json!({"content": [{"type": "text", "text": message}]}))
}

async fn connect(url: &str) -> Client {
    let transport = StreamableHttpClient::new(url).connect().unwrap();
    tokio::time::timeout(
        TIMEOUT,
        Client::builder().era(Era::Sessionless).connect(transport),
    )
    .await
    .expect("connected in time")
    .expect("connected")
}

#[tokio::test]
async fn mirrors_the_body_into_headers_and_keeps_no_session() {
    let (url, log) = serve(|r| {
        let reply = match r.rpc_method() {
            "server/discover" => discover(r),
            "tools/list" => Reply::result(&r.rpc_id(), stamped(annotated_tools())),
            "tools/call" => Reply::result(&r.rpc_id(), text("done")),
            "resources/read" => Reply::result(
                &r.rpc_id(),
                stamped(json!({"contents": [], "ttlMs": 0, "cacheScope": "private"})),
            ),
            "prompts/get" => Reply::result(&r.rpc_id(), stamped(json!({"messages": []}))),
            _ => return Reply::Status(StatusCode::METHOD_NOT_ALLOWED, ""),
        };
        // A session id the client must ignore on this revision.
        reply.with_header("mcp-session-id", "ignored")
    })
    .await;
    let client = connect(&url).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    let names: Vec<_> = client
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names,
        ["query", "naïve tool"],
        "the invalid tool is dropped"
    );
    client
        .call_tool(
            "query",
            json!({"region": " eu-west ", "limits": {"rows": 42}, "sql": "SELECT 1"}),
        )
        .await
        .unwrap();
    client.call_tool("naïve tool", json!({})).await.unwrap();
    client.read_resource("file:///tmp/a b.txt").await.unwrap();
    client.get_prompt("greet", Value::Null).await.unwrap();
    client.close().await.unwrap();

    let all = log.all();
    assert!(
        all.iter().all(|r| r.method == Method::POST),
        "no GET, no DELETE"
    );
    for r in &all {
        assert_eq!(r.header("mcp-session-id"), "", "{}", r.rpc_method());
        assert_eq!(r.header("mcp-protocol-version"), "2026-07-28");
        assert_eq!(r.header("mcp-method"), r.rpc_method());
        let meta = &r.body.as_ref().unwrap()["params"]["_meta"];
        assert_eq!(
            meta["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
    }
    let calls = log.posts("tools/call");
    assert_eq!(calls[0].header("mcp-name"), "query");
    assert_eq!(
        calls[0].header("mcp-param-region"),
        "=?base64?IGV1LXdlc3Qg?="
    );
    assert_eq!(calls[0].header("mcp-param-rows"), "42");
    assert_eq!(calls[1].header("mcp-name"), "=?base64?bmHDr3ZlIHRvb2w=?=");
    assert!(!calls[1]
        .headers
        .keys()
        .any(|k| k.as_str().starts_with("mcp-param-")));
    assert_eq!(
        log.posts("resources/read")[0].header("mcp-name"),
        "file:///tmp/a b.txt"
    );
    assert_eq!(log.posts("prompts/get")[0].header("mcp-name"), "greet");
}

#[tokio::test]
async fn cancelling_closes_the_stream_instead_of_notifying() {
    let (url, log) = serve(|r| match r.rpc_method() {
        "server/discover" => discover(r),
        "tools/call" => Reply::Sse(vec![Step::Hang], Vec::new()),
        _ => Reply::accepted(),
    })
    .await;
    let client = connect(&url).await;
    let call = client.call_tool("slow", json!({}));
    assert!(tokio::time::timeout(Duration::from_millis(200), call)
        .await
        .is_err());
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while log.hung_up() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream was closed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    client.close().await.unwrap();
    assert!(log.posts("notifications/cancelled").is_empty());
}

#[tokio::test]
async fn retries_the_probe_after_unsupported_version_even_with_the_same_version() {
    let refused = Arc::new(AtomicUsize::new(0));
    let counter = refused.clone();
    let (url, log) = serve(move |r| match r.rpc_method() {
        "server/discover" if counter.fetch_add(1, Ordering::SeqCst) == 0 => Reply::Json(
            StatusCode::BAD_REQUEST,
            json!({"jsonrpc": "2.0", "id": r.rpc_id(), "error": {
                "code": -32022, "message": "Unsupported protocol version",
                "data": {"supported": ["2026-07-28"], "requested": "2026-07-28"}}}),
            Vec::new(),
        ),
        "server/discover" => discover(r),
        _ => Reply::accepted(),
    })
    .await;
    let client = connect(&url).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    client.close().await.unwrap();
    let probes = log.posts("server/discover");
    assert_eq!(probes.len(), 2);
    assert_ne!(
        probes[0].rpc_id(),
        probes[1].rpc_id(),
        "a new id for the retry"
    );
}

#[tokio::test]
async fn lists_the_tools_again_after_a_header_mismatch() {
    let listings = Arc::new(AtomicUsize::new(0));
    let counter = listings.clone();
    let (url, log) = serve(move |r| match r.rpc_method() {
        "server/discover" => discover(r),
        // The first listing has no annotation; the tool gained one since.
        "tools/list" => {
            let annotated = counter.fetch_add(1, Ordering::SeqCst) > 0;
            let region = if annotated {
                json!({"type": "string", "x-mcp-header": "Region"})
            } else {
                json!({"type": "string"})
            };
            Reply::result(
                &r.rpc_id(),
                stamped(json!({"tools": [{"name": "query", "inputSchema": {
                    "type": "object", "properties": {"region": region}}}],
                    "ttlMs": 0, "cacheScope": "private"})),
            )
        }
        "tools/call" if r.header("mcp-param-region") != "us-west1" => Reply::Json(
            StatusCode::BAD_REQUEST,
            json!({"jsonrpc": "2.0", "id": r.rpc_id(), "error": {
                "code": -32020, "message": "Mcp-Param-Region header missing"}}),
            Vec::new(),
        ),
        "tools/call" => Reply::result(&r.rpc_id(), text("routed")),
        _ => Reply::accepted(),
    })
    .await;
    let client = connect(&url).await;
    client.list_tools().await.unwrap();
    let result = client
        .call_tool("query", json!({"region": "us-west1"}))
        .await
        .unwrap();
    let text: String = result
        .content
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect();
    assert_eq!(text, "routed");
    client.close().await.unwrap();
    assert_eq!(log.posts("tools/list").len(), 2);
    let calls = log.posts("tools/call");
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].rpc_id(),
        calls[1].rpc_id(),
        "the same request, sent again"
    );
}
