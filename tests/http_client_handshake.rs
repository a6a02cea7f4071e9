//! The streamable HTTP client transport on the handshake era (2025-03-26 … 2025-11-25),
//! against scripted servers on 127.0.0.1: session and version headers, the standalone
//! stream, `DELETE` on close, re-initialization after a `404`, resumption with
//! `Last-Event-ID`, HTTP errors, the era fallback of `Era::Auto`, and the old HTTP+SSE
//! transport (directly, and as the fallback of a refused `initialize`).

#[path = "support/http_mock.rs"]
mod http_mock;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use http_mock::{event, serve, Recorded, Reply, Step};
use serde_json::{json, Value};
use turret::client::{Client, Era};
use turret::transport::{LegacySseClient, StreamableHttpClient};
use turret::types::{ContentBlock, LoggingLevel, ProtocolVersion, ServerNotification};

const TIMEOUT: Duration = Duration::from_secs(10);

fn initialize_result(r: &Recorded) -> Value {
    let asked = r.body.as_ref().unwrap()["params"]["protocolVersion"].clone();
    json!({
        "protocolVersion": asked,
        "capabilities": {"tools": {}, "logging": {}},
        "serverInfo": {"name": "mock", "version": "1.0.0"}
    })
}

fn tools() -> Value {
    json!({"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]})
}

fn text(message: &str) -> Value {
    json!({"content": [{"type": "text", "text": message}]})
}

fn result_text(result: &turret::types::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect()
}

fn handshake() -> turret::client::ClientBuilder {
    Client::builder().era(Era::Handshake(ProtocolVersion::V2025_11_25))
}

async fn connect(url: &str, builder: turret::client::ClientBuilder) -> Client {
    let transport = StreamableHttpClient::new(url)
        .header("x-test", "yes")
        .connect()
        .unwrap();
    tokio::time::timeout(TIMEOUT, builder.connect(transport))
        .await
        .expect("connected in time")
        .expect("connected")
}

#[tokio::test]
async fn carries_the_session_opens_the_standalone_stream_and_deletes_the_session() {
    let (url, log) = serve(|r| match (r.method.clone(), r.rpc_method()) {
        (Method::POST, "initialize") => {
            Reply::result(&r.rpc_id(), initialize_result(r)).with_header("mcp-session-id", "s-1")
        }
        (Method::POST, "notifications/initialized") => Reply::accepted(),
        (Method::POST, "tools/list") => Reply::Sse(
            vec![
                Step::Send(event(
                    None,
                    &json!({"jsonrpc": "2.0", "method": "notifications/message",
                            "params": {"level": "info", "data": "listing"}}),
                )),
                Step::Send(event(
                    None,
                    &json!({"jsonrpc": "2.0", "id": r.rpc_id(), "result": tools()}),
                )),
            ],
            Vec::new(),
        ),
        (Method::GET, _) => Reply::Sse(
            vec![
                Step::Send(event(
                    Some("g-1"),
                    &json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}),
                )),
                Step::Hang,
            ],
            Vec::new(),
        ),
        (Method::DELETE, _) => Reply::Status(StatusCode::OK, ""),
        _ => Reply::Status(StatusCode::BAD_REQUEST, "unexpected"),
    })
    .await;
    let url = format!("{url}/mcp");
    let client = connect(&url, handshake()).await;
    let mut notifications = client.notifications();
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
    let listed = client.list_tools().await.unwrap();
    assert_eq!(listed[0].name, "echo");
    // Both the list's stream and the standalone stream deliver notifications.
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let n = tokio::time::timeout(TIMEOUT, notifications.recv())
            .await
            .expect("notifications in time")
            .unwrap();
        seen.push(matches!(n, ServerNotification::ToolListChanged(_)));
    }
    assert!(
        seen.contains(&true),
        "the standalone stream's notification came"
    );
    client.close().await.unwrap();

    let all = log.all();
    for r in &all {
        assert_eq!(
            r.header("x-test"),
            "yes",
            "custom header on {} {}",
            r.method,
            r.uri
        );
    }
    let initialize = &log.posts("initialize")[0];
    assert_eq!(initialize.header("mcp-session-id"), "");
    assert_eq!(initialize.header("mcp-protocol-version"), "");
    assert_eq!(initialize.header("content-type"), "application/json");
    assert_eq!(
        initialize.header("accept"),
        "application/json, text/event-stream"
    );
    for r in log
        .posts("notifications/initialized")
        .iter()
        .chain(&log.posts("tools/list"))
    {
        assert_eq!(r.header("mcp-session-id"), "s-1");
        assert_eq!(r.header("mcp-protocol-version"), "2025-11-25");
    }
    let gets = log.of(Method::GET);
    assert_eq!(gets.len(), 1, "one standalone stream: {gets:?}");
    let first_request = all.iter().position(|r| r.rpc_method() == "tools/list");
    let stream = all.iter().position(|r| r.method == Method::GET);
    assert!(
        stream < first_request,
        "the stream is open before the first request after the handshake"
    );
    assert_eq!(gets[0].header("accept"), "text/event-stream");
    assert_eq!(gets[0].header("mcp-session-id"), "s-1");
    let deletes = log.of(Method::DELETE);
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].header("mcp-session-id"), "s-1");
    // Nothing was sent after the DELETE.
    assert_eq!(all.last().unwrap().method, Method::DELETE);
}

/// A server that ends each session right after answering a `tools/list` in it.
fn expiring_server() -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    #[derive(Default)]
    struct Sessions {
        opened: usize,
        current: String,
    }
    let sessions = Arc::new(Mutex::new(Sessions::default()));
    move |r| {
        let mut s = sessions.lock().unwrap();
        match (r.method.clone(), r.rpc_method()) {
            (Method::POST, "initialize") => {
                s.opened += 1;
                s.current = format!("s-{}", s.opened);
                let id = s.current.clone();
                Reply::result(&r.rpc_id(), initialize_result(r)).with_header("mcp-session-id", id)
            }
            (_, _) if r.header("mcp-session-id") != s.current => {
                Reply::Status(StatusCode::NOT_FOUND, "Session not found")
            }
            (Method::GET, _) => Reply::Status(StatusCode::METHOD_NOT_ALLOWED, ""),
            (Method::DELETE, _) => Reply::Status(StatusCode::OK, ""),
            (Method::POST, method) if method.starts_with("notifications/") => Reply::accepted(),
            (Method::POST, "tools/list") => {
                s.current = "ended".into();
                Reply::result(&r.rpc_id(), tools())
            }
            (Method::POST, "tools/call") => Reply::result(&r.rpc_id(), text("called")),
            (Method::POST, _) => Reply::result(&r.rpc_id(), json!({})),
            _ => Reply::Status(StatusCode::BAD_REQUEST, "unexpected"),
        }
    }
}

#[tokio::test]
async fn reinitializes_once_after_the_session_expired() {
    let (url, log) = serve(expiring_server()).await;
    let builder = handshake().log_level(LoggingLevel::Info);
    let client = connect(&url, builder).await;
    // The list ends the session; the next requests find it gone, all three at once.
    client.list_tools().await.unwrap();
    let calls = (0..3).map(|_| client.call_tool("echo", json!({})));
    for result in futures_util::future::join_all(calls).await {
        assert_eq!(result_text(&result.unwrap()), "called");
    }
    client.close().await.unwrap();

    let initializes = log.posts("initialize");
    assert_eq!(
        initializes.len(),
        2,
        "one re-initialization for three requests"
    );
    let (first, second) = (&initializes[0], &initializes[1]);
    assert_eq!(
        second.header("mcp-session-id"),
        "",
        "re-initialized without the old id"
    );
    assert_eq!(
        first.body.as_ref().unwrap()["params"],
        second.body.as_ref().unwrap()["params"],
        "the same initialize, replayed"
    );
    assert_ne!(first.rpc_id(), second.rpc_id());
    let levels = log.posts("logging/setLevel");
    assert_eq!(levels.len(), 2, "the log level is set again");
    assert_eq!(levels[1].header("mcp-session-id"), "s-2");
    let initialized = log.posts("notifications/initialized");
    assert_eq!(initialized.len(), 2);
    assert_eq!(initialized[1].header("mcp-session-id"), "s-2");
    let calls = log.posts("tools/call");
    let retried: Vec<_> = calls
        .iter()
        .filter(|r| r.header("mcp-session-id") == "s-2")
        .collect();
    assert_eq!(
        retried.len(),
        3,
        "each call was sent again in the new session"
    );
    assert_eq!(log.of(Method::DELETE)[0].header("mcp-session-id"), "s-2");
}

#[tokio::test]
async fn resumes_a_broken_stream_with_last_event_id_after_the_retry_delay() {
    let (url, log) = serve(|r| match (r.method.clone(), r.rpc_method()) {
        (Method::POST, "initialize") => {
            Reply::result(&r.rpc_id(), initialize_result(r)).with_header("mcp-session-id", "s")
        }
        (Method::POST, "tools/call") => Reply::Sse(
            vec![
                Step::Send("id: e-1\nretry: 300\ndata: \n\n".into()),
                Step::Send(event(
                    Some("e-2"),
                    &json!({"jsonrpc": "2.0", "method": "notifications/progress",
                            "params": {"progressToken": "p", "progress": 1}}),
                )),
                Step::Wait(Duration::from_millis(20)),
            ],
            Vec::new(),
        ),
        (Method::GET, _) if r.header("last-event-id") == "e-2" => Reply::Sse(
            vec![
                Step::Send(event(
                    Some("e-3"),
                    &json!({"jsonrpc": "2.0", "id": 2, "result": text("resumed")}),
                )),
                Step::Hang,
            ],
            Vec::new(),
        ),
        (Method::GET, _) => Reply::Status(StatusCode::METHOD_NOT_ALLOWED, ""),
        (Method::POST, _) => Reply::accepted(),
        _ => Reply::Status(StatusCode::OK, ""),
    })
    .await;
    let client = connect(&url, handshake()).await;
    let mut notifications = client.notifications();
    let result = tokio::time::timeout(TIMEOUT, client.call_tool("slow", json!({})))
        .await
        .expect("the answer came")
        .unwrap();
    assert_eq!(result_text(&result), "resumed");
    let progress = notifications.try_recv().unwrap();
    assert!(matches!(progress, ServerNotification::Progress(_)));
    client.close().await.unwrap();

    let call = &log.posts("tools/call")[0];
    let resumed: Vec<_> = log
        .of(Method::GET)
        .into_iter()
        .filter(|r| r.header("last-event-id") == "e-2")
        .collect();
    assert_eq!(resumed.len(), 1);
    let waited = resumed[0].at - call.at;
    assert!(
        waited >= Duration::from_millis(300),
        "waited the server's retry delay ({waited:?})"
    );
    assert_eq!(resumed[0].header("mcp-session-id"), "s");
    assert_eq!(resumed[0].header("accept"), "text/event-stream");
}

#[tokio::test]
async fn http_errors_become_errors_of_the_request() {
    let (url, _log) = serve(|r| match (r.method.clone(), r.rpc_method()) {
        (Method::POST, "initialize") => Reply::result(&r.rpc_id(), initialize_result(r)),
        (Method::POST, "tools/call") => {
            let name = r.body.as_ref().unwrap()["params"]["name"].as_str().unwrap();
            if name == "boom" {
                Reply::Status(StatusCode::INTERNAL_SERVER_ERROR, "kaput")
            } else {
                Reply::Json(
                    StatusCode::BAD_REQUEST,
                    json!({"jsonrpc": "2.0", "id": null,
                           "error": {"code": -32602, "message": "bad arguments"}}),
                    Vec::new(),
                )
            }
        }
        (Method::POST, _) => Reply::accepted(),
        _ => Reply::Status(StatusCode::METHOD_NOT_ALLOWED, ""),
    })
    .await;
    let client = connect(&url, handshake()).await;
    let boom = client.call_tool("boom", json!({})).await.unwrap_err();
    assert!(
        boom.message()
            .contains("HTTP 500 Internal Server Error: kaput"),
        "{boom}"
    );
    assert_eq!(boom.data().unwrap()["httpStatus"], 500);
    let refused = client.call_tool("refused", json!({})).await.unwrap_err();
    assert_eq!(refused.code().0, -32602);
    assert_eq!(refused.message(), "bad arguments");
    client.close().await.unwrap();

    // Nobody listening: connecting fails with the reason.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/mcp", closed.local_addr().unwrap());
    drop(closed);
    let transport = StreamableHttpClient::new(&dead).connect().unwrap();
    let error = handshake().connect(transport).await.unwrap_err();
    assert!(
        error.message().contains("could not send initialize"),
        "{error}"
    );
}

#[tokio::test]
async fn auto_falls_back_to_initialize_after_a_plain_400() {
    let (url, log) = serve(|r| match (r.method.clone(), r.rpc_method()) {
        (Method::POST, "initialize") => Reply::result(&r.rpc_id(), initialize_result(r)),
        (Method::POST, "server/discover") => Reply::Json(
            StatusCode::BAD_REQUEST,
            json!({"jsonrpc": "2.0", "id": null,
                   "error": {"code": -32000, "message": "Bad Request: Unsupported protocol version"}}),
            Vec::new(),
        ),
        (Method::POST, "tools/list") => Reply::result(&r.rpc_id(), tools()),
        (Method::POST, _) => Reply::accepted(),
        _ => Reply::Status(StatusCode::METHOD_NOT_ALLOWED, ""),
    })
    .await;
    let client = connect(&url, Client::builder()).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
    assert_eq!(client.list_tools().await.unwrap().len(), 1);
    client.close().await.unwrap();
    let discover = &log.posts("server/discover")[0];
    assert_eq!(discover.header("mcp-protocol-version"), "2026-07-28");
    assert_eq!(discover.header("mcp-method"), "server/discover");
}

/// An HTTP+SSE server (2024-11-05): `GET /sse` opens the stream and names the endpoint;
/// POSTs to it are answered on the stream. POSTs to `/sse` itself are refused with 405.
fn legacy_server() -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let stream: Arc<Mutex<Option<tokio::sync::mpsc::UnboundedSender<String>>>> = Arc::default();
    move |r| match (r.method.clone(), r.uri.as_str()) {
        (Method::GET, "/sse") => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            *stream.lock().unwrap() = Some(tx);
            Reply::Sse(
                vec![
                    Step::Send("event: endpoint\ndata: /messages?sessionId=abc\n\n".into()),
                    Step::Forward(rx),
                ],
                Vec::new(),
            )
        }
        (Method::POST, "/messages?sessionId=abc") => {
            let answer = match r.rpc_method() {
                "initialize" => Some(initialize_result(r)),
                "tools/list" => Some(tools()),
                "tools/call" => Some(text("over sse")),
                _ => None,
            };
            if let Some(result) = answer {
                let message = json!({"jsonrpc": "2.0", "id": r.rpc_id(), "result": result});
                let tx = stream.lock().unwrap().clone().unwrap();
                tx.send(event(None, &message)).unwrap();
            }
            Reply::Status(StatusCode::ACCEPTED, "Accepted")
        }
        _ => Reply::Status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
    }
}

#[tokio::test]
async fn talks_to_an_http_sse_server() {
    let (url, log) = serve(legacy_server()).await;
    let transport = LegacySseClient::new(format!("{url}/sse"))
        .header("x-test", "yes")
        .connect()
        .await
        .unwrap();
    let client = Client::builder()
        .era(Era::Handshake(ProtocolVersion::V2024_11_05))
        .connect(transport)
        .await
        .unwrap();
    assert_eq!(client.protocol_version(), ProtocolVersion::V2024_11_05);
    let result = client.call_tool("echo", json!({})).await.unwrap();
    assert_eq!(result_text(&result), "over sse");
    client.close().await.unwrap();
    assert!(log.all().iter().all(|r| r.header("x-test") == "yes"));
    assert!(log.of(Method::DELETE).is_empty());
}

#[tokio::test]
async fn falls_back_to_http_sse_when_initialize_is_refused() {
    let (url, log) = serve(legacy_server()).await;
    let client = connect(&format!("{url}/sse"), Client::builder()).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
    assert_eq!(client.list_tools().await.unwrap()[0].name, "echo");
    client.close().await.unwrap();
    let refused: Vec<_> = log
        .all()
        .into_iter()
        .filter(|r| r.method == Method::POST && r.uri == "/sse")
        .map(|r| r.rpc_method().to_owned())
        .collect();
    assert_eq!(refused, ["server/discover", "initialize"]);
    assert_eq!(
        log.posts("initialize").len(),
        2,
        "refused, then sent to the endpoint"
    );
}

#[tokio::test]
async fn refuses_an_endpoint_of_another_origin() {
    let (url, _log) = serve(|r| match r.method {
        Method::GET => Reply::Sse(
            vec![
                Step::Send("event: endpoint\ndata: http://evil.example.com/messages\n\n".into()),
                Step::Hang,
            ],
            Vec::new(),
        ),
        _ => Reply::Status(StatusCode::METHOD_NOT_ALLOWED, ""),
    })
    .await;
    let error = LegacySseClient::new(&url).connect().await.unwrap_err();
    assert!(
        error.to_string().contains("not of the SSE URL's origin"),
        "{error}"
    );
}
