//! The streamable HTTP server over real sockets: a Router served on `127.0.0.1:0` (with the
//! transport's `serve` helper, or nested in axum), spoken to by hyper-util's client, SSE
//! bodies read frame by frame. Both protocol eras, their status codes, JSON-RPC error codes
//! and headers, resumable streams, the standalone stream, elicitation, cancellation by
//! disconnect, and graceful shutdown.

#[path = "support/http.rs"]
mod http_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures_util::StreamExt as _;
use http::StatusCode;
use http_body_util::{BodyExt as _, StreamBody};
use http_support::{
    full, initialize_params, modern, modern_meta, modern_tool_call, notification, rpc,
    tool_call as call, within, Body, Event, Session, TestServer, MODERN,
};
use hyper::body::{Bytes, Frame};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Barrier, Notify};
use turret::transport::streamable_http::{PeerAddr, SseStream, StreamableHttpService};
use turret::types::{ElicitRequestParams, ServerResult};
use turret::{
    tool_fn, Args, BoxError, Context, Extension, Identity, McpError, RequestContext, Router,
};

const HANDSHAKE: &str = "2025-11-25";
const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Tools

#[derive(Deserialize, JsonSchema)]
struct Echo {
    text: String,
}

async fn echo(Args(Echo { text }): Args<Echo>) -> String {
    text
}

/// Three progress notifications and an `info` log message, then the answer.
async fn progress(ctx: Context) -> String {
    for step in 1..=3 {
        ctx.progress(f64::from(step), Some(3.0), Some(format!("step {step}")))
            .await;
    }
    ctx.info("progress done").await;
    "progressed".to_owned()
}

/// Asks the user's name (elicitation), then greets them.
async fn greet(ctx: Context) -> Result<String, McpError> {
    let schema = json!({
        "type": "object",
        "properties": { "name": { "type": "string" } },
        "required": ["name"],
    });
    let answer = ctx
        .elicit(ElicitRequestParams {
            message: "What is your name?".into(),
            requested_schema: schema.as_object().cloned(),
            ..Default::default()
        })
        .await?;
    let name = answer
        .content
        .as_ref()
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("nobody")
        .to_owned();
    Ok(format!("Hello, {name}"))
}

/// The request's `X-Echo` header and the client's address, as JSON text.
async fn whoami(Extension(parts): Extension<http::request::Parts>) -> String {
    let echo = parts
        .headers
        .get("x-echo")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let peer = parts.extensions.get::<PeerAddr>().map(|p| p.0.to_string());
    json!({ "echo": echo, "peer": peer }).to_string()
}

fn router() -> Router {
    Router::new()
        .name("http-test")
        .tool("echo", tool_fn(echo))
        .tool("progress", tool_fn(progress))
        .tool("greet", tool_fn(greet))
        .tool("whoami", tool_fn(whoami))
}

async fn start(router: Router) -> TestServer {
    TestServer::start(StreamableHttpService::new(router)).await
}

// ---------------------------------------------------------------------------------------
// Helpers

/// `echo` of "hi" with id 2: the request the header checks send.
fn echo_hi() -> Value {
    call(2, "echo", json!({ "text": "hi" }))
}

/// A server for `router` and a handshake-era session on it.
async fn start_session(router: Router) -> (TestServer, Session) {
    let server = start(router).await;
    let session = server.initialize(HANDSHAKE, json!({})).await;
    (server, session)
}

/// `echo_hi` in a new session with header `name` set to `value`; asserts `status`.
async fn echo_hi_with_header(name: &str, value: &str, status: StatusCode) {
    let (server, session) = start_session(router()).await;
    server
        .session_post(&session, &echo_hi())
        .header(name, value)
        .expect(status)
        .await;
}

fn call_with_progress(id: i64, name: &str, token: &str) -> Value {
    rpc(
        id,
        "tools/call",
        json!({ "name": name, "arguments": {}, "_meta": { "progressToken": token } }),
    )
}

/// The text of a tool result's first content block.
fn text_of(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text content in {result}"))
}

/// The messages (events with data) of `events`, as JSON.
fn messages(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.has_message())
        .map(Event::json)
        .collect()
}

fn method(m: &Value) -> &str {
    m["method"].as_str().unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Handshake era

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_answers_json_with_a_visible_ascii_session_id() {
    let server = start(router()).await;
    let reply = server
        .post(&rpc(
            1,
            "initialize",
            initialize_params(HANDSHAKE, json!({}), ("t", "1")),
        ))
        .expect(StatusCode::OK)
        .await;
    let id = reply
        .header("mcp-session-id")
        .expect("Mcp-Session-Id on the initialize response")
        .to_owned();
    assert!(
        id.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        "session id must be visible ASCII: {id:?}"
    );
    // At least 128 bits of randomness, as hex.
    assert!(
        id.chars().filter(char::is_ascii_hexdigit).count() >= 32,
        "session id too short for 128 bits: {id:?}"
    );
    let body = reply.json().await;
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], 1);
    assert_eq!(body["result"]["protocolVersion"], HANDSHAKE);
    assert_eq!(body["result"]["serverInfo"]["name"], "http-test");
    assert!(body["result"].get("resultType").is_none(), "{body}");

    // Every initialize starts a new session.
    let other = server.initialize(HANDSHAKE, json!({})).await;
    assert_ne!(other.id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_call_in_a_session_answers_json() {
    let (server, session) = start_session(router()).await;
    let reply = server
        .session_post(&session, &echo_hi())
        .expect(StatusCode::OK)
        .await;
    assert!(reply.header("mcp-session-id").is_none());
    let body = reply.json().await;
    assert_eq!(body["id"], 2);
    assert_eq!(text_of(&body["result"]), "hi");
    assert!(body["result"].get("resultType").is_none(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_without_session_id_is_400() {
    let server = start(router()).await;
    let _session = server.initialize(HANDSHAKE, json!({})).await;
    server
        .post(&echo_hi())
        .header("mcp-protocol-version", HANDSHAKE)
        .expect(StatusCode::BAD_REQUEST)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_session_id_is_404() {
    let server = start(router()).await;
    let _session = server.initialize(HANDSHAKE, json!({})).await;
    let unknown = Session {
        id: "0".repeat(64),
        version: HANDSHAKE.into(),
    };
    server
        .session_post(&unknown, &echo_hi())
        .expect(StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_ends_the_session() {
    let (server, session) = start_session(router()).await;
    let reply = server.delete().in_session(&session).send().await;
    assert!(reply.status.is_success(), "DELETE: {reply:?}");
    server
        .session_post(&session, &echo_hi())
        .expect(StatusCode::NOT_FOUND)
        .await;
    server
        .get()
        .in_session(&session)
        .expect(StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_post_is_202_without_body() {
    let (server, session) = start_session(router()).await;
    let reply = server
        .session_post(
            &session,
            &notification("notifications/roots/list_changed", json!({})),
        )
        .expect(StatusCode::ACCEPTED)
        .await;
    assert!(reply.bytes().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_protocol_version_header_is_400() {
    echo_hi_with_header("mcp-protocol-version", "garbage", StatusCode::BAD_REQUEST).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_415() {
    echo_hi_with_header(
        "content-type",
        "text/plain",
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_text_html_is_406() {
    echo_hi_with_header("accept", "text/html", StatusCode::NOT_ACCEPTABLE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_64_mib_content_length_is_413() {
    let server = start(router()).await;
    // A few bytes, then nothing: the server must answer from the declared length alone.
    let head = futures_util::stream::once(async {
        Ok::<_, BoxError>(Frame::data(Bytes::from_static(b"{\"jsonrpc\":\"2.0\",")))
    });
    let body: Body = StreamBody::new(head.chain(futures_util::stream::pending())).boxed_unsync();
    server
        .post(&json!({}))
        .header("content-length", &(64 * MIB).to_string())
        .body(body)
        .expect(StatusCode::PAYLOAD_TOO_LARGE)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_body_past_the_limit_is_413_before_it_is_all_sent() {
    let server = start(router()).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    // 64 chunks of 1 MiB, counted as hyper takes them; no Content-Length (chunked). A short
    // pause between chunks lets the client read an early answer before its next write: the
    // server drains at most 64 MiB of an oversized body before it closes the connection,
    // and a client still writing past that would see the reset (EPIPE) instead of the answer.
    let chunks = futures_util::stream::iter(0..64).then(move |_| {
        let counter = counter.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            counter.fetch_add(MIB, Ordering::SeqCst);
            Ok::<_, BoxError>(Frame::data(Bytes::from(vec![b' '; MIB])))
        }
    });
    let body: Body = StreamBody::new(chunks).boxed_unsync();
    let reply = server.post(&json!({})).body(body).send().await;
    let sent_when_answered = sent.load(Ordering::SeqCst);
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        sent_when_answered < 64 * MIB,
        "the server answered only after the client sent everything ({sent_when_answered} bytes)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_nested_1000_deep_is_400() {
    let (server, session) = start_session(router()).await;
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"x","deep":{}{}}}}}}}"#,
        "[".repeat(1000),
        "]".repeat(1000)
    );
    server
        .session_post(&session, &json!({}))
        .body(full(deep))
        .expect(StatusCode::BAD_REQUEST)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origin_and_host_are_403_localhost_passes() {
    let server = start(router()).await;
    let init = rpc(
        1,
        "initialize",
        initialize_params(HANDSHAKE, json!({}), ("t", "1")),
    );
    let evil_origin = ("origin", "http://evil.example.com");
    let evil_host = ("host", "evil.example.com");
    for (headers, what) in [
        (&[evil_origin][..], "foreign Origin"),
        (&[evil_host][..], "foreign Host"),
        (&[evil_host, evil_origin][..], "foreign Host and Origin"),
    ] {
        let mut request = server.post(&init);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let reply = request.send().await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}");
    }

    let port = server.addr.port();
    let local = server
        .post(&init)
        .header("host", &format!("localhost:{port}"))
        .header("origin", &format!("http://localhost:{port}"))
        .send()
        .await;
    assert_eq!(local.status, StatusCode::OK, "localhost");
    assert!(local.header("mcp-session-id").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_streamed_after_a_priming_event_then_the_result() {
    let (server, session) = start_session(router()).await;
    let reply = server
        .session_post(&session, &call_with_progress(7, "progress", "tok-1"))
        .expect(StatusCode::OK)
        .await;
    let events = reply.sse().rest().await;

    let priming = &events[0];
    assert!(
        priming.id.as_deref().is_some_and(|id| !id.is_empty()),
        "priming event needs an id: {events:?}"
    );
    assert_eq!(
        priming.data.as_deref(),
        Some(""),
        "priming data must be empty"
    );
    assert!(priming.retry.is_some(), "priming event should carry retry");

    // Every later event carries a message and an id (the stream is resumable).
    let rest = &events[1..];
    assert!(
        rest.iter().all(|e| e.has_message() && e.id.is_some()),
        "{events:?}"
    );
    let ms = messages(rest);
    assert_eq!(ms.len(), 5, "3 progress, 1 log, 1 result: {ms:#?}");
    for (i, m) in ms[..3].iter().enumerate() {
        assert_eq!(method(m), "notifications/progress");
        assert_eq!(m["params"]["progressToken"], "tok-1");
        assert_eq!(m["params"]["progress"].as_f64(), Some((i + 1) as f64));
    }
    assert_eq!(method(&ms[3]), "notifications/message");
    assert_eq!(ms[3]["params"]["level"], "info");
    assert_eq!(ms[4]["id"], 7);
    assert_eq!(text_of(&ms[4]["result"]), "progressed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_priming_event_before_2025_11_25() {
    let server = start(router()).await;
    let session = server.initialize("2025-06-18", json!({})).await;
    assert_eq!(session.version, "2025-06-18");
    let reply = server
        .session_post(&session, &call_with_progress(7, "progress", "tok-1"))
        .send()
        .await;
    let events = reply.sse().rest().await;
    assert!(
        events.iter().all(Event::has_message),
        "older clients choke on empty data: {events:?}"
    );
    let ms = messages(&events);
    assert_eq!(ms.last().unwrap()["id"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumption_replays_exactly_the_missed_events() {
    let gate = Arc::new(Notify::new());
    let release = gate.clone();
    let tool = move |ctx: Context, sse: Option<Extension<SseStream>>| {
        let gate = gate.clone();
        async move {
            ctx.progress(1.0, None, None).await;
            ctx.progress(2.0, None, None).await;
            let Some(Extension(sse)) = sse else {
                return "no SseStream extension".to_owned();
            };
            sse.close_connection().await;
            ctx.progress(3.0, None, None).await;
            ctx.progress(4.0, None, None).await;
            // Wait until the client has reconnected: the rest must arrive live.
            gate.notified().await;
            ctx.progress(5.0, None, None).await;
            "resumed".to_owned()
        }
    };
    let (server, session) = start_session(router().tool("reconnect", tool_fn(tool))).await;
    let reply = server
        .session_post(&session, &call_with_progress(9, "reconnect", "r"))
        .send()
        .await;
    let mut first = reply.sse();
    let before = first.rest().await;
    assert!(first.error.is_none(), "stream broke: {:?}", first.error);
    let seen: Vec<f64> = messages(&before)
        .iter()
        .map(|m| m["params"]["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(seen, [1.0, 2.0], "before the close: {before:?}");
    let last_id = before
        .iter()
        .rev()
        .find_map(|e| e.id.clone())
        .expect("events with ids");

    let resumed = server
        .get()
        .in_session(&session)
        .header("last-event-id", &last_id)
        .expect(StatusCode::OK)
        .await;
    let mut stream = resumed.sse();
    let mut after = Vec::new();
    // The two events sent while disconnected come back first.
    for _ in 0..2 {
        after.push(stream.next_event().await.expect("a replayed event"));
    }
    release.notify_one();
    after.extend(stream.rest().await);

    let ms = messages(&after);
    let progress: Vec<f64> = ms
        .iter()
        .filter(|m| method(m) == "notifications/progress")
        .map(|m| m["params"]["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(progress, [3.0, 4.0, 5.0], "after resuming: {after:#?}");
    assert_eq!(ms.len(), 4, "3 notifications and the result: {ms:#?}");
    assert_eq!(ms[3]["id"], 9);
    assert_eq!(text_of(&ms[3]["result"]), "resumed");
    // Ids are fresh: nothing seen before is repeated.
    let before_ids: Vec<_> = before.iter().filter_map(|e| e.id.clone()).collect();
    for e in &after {
        let id = e.id.as_ref().expect("replayed events keep their ids");
        assert!(!before_ids.contains(id), "duplicate event {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_concurrent_posts_in_one_session_all_succeed() {
    // Each call waits until all three are running: serialized calls would never finish.
    let barrier = Arc::new(Barrier::new(3));
    let tool = move |Args(Echo { text }): Args<Echo>| {
        let barrier = barrier.clone();
        async move {
            match tokio::time::timeout(Duration::from_secs(5), barrier.wait()).await {
                Ok(_) => text,
                Err(_) => "not concurrent".to_owned(),
            }
        }
    };
    let (server, session) = start_session(router().tool("together", tool_fn(tool))).await;
    let send = |id: i64| {
        server
            .session_post(
                &session,
                &call(id, "together", json!({ "text": format!("call {id}") })),
            )
            .send()
    };
    let (a, b, c) = tokio::join!(send(11), send(12), send(13));
    for (reply, id) in [(a, 11), (b, 12), (c, 13)] {
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json().await;
        assert_eq!(body["id"], id);
        assert_eq!(text_of(&body["result"]), format!("call {id}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_stream_receives_tools_list_changed() {
    let router = router();
    let server = start(router.clone()).await;
    let session = server.initialize(HANDSHAKE, json!({})).await;
    let reply = server
        .get()
        .in_session(&session)
        .expect(StatusCode::OK)
        .await;
    let mut stream = reply.sse();
    router.add_tool("late", tool_fn(echo));
    let (_, m) = stream.next_message().await.expect("a notification");
    assert_eq!(method(&m), "notifications/tools/list_changed");
    assert!(m.get("id").is_none(), "a notification: {m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elicitation_round_trip_on_the_handshake_era() {
    let server = start(router()).await;
    let session = server
        .initialize(HANDSHAKE, json!({ "elicitation": {} }))
        .await;
    let reply = server
        .session_post(&session, &call(21, "greet", json!({})))
        .expect(StatusCode::OK)
        .await;
    let mut stream = reply.sse();
    let (_, ask) = stream
        .next_message()
        .await
        .expect("the elicitation request");
    assert_eq!(method(&ask), "elicitation/create", "{ask}");
    assert_eq!(ask["params"]["message"], "What is your name?");
    let ask_id = ask["id"].clone();
    assert!(ask_id.is_string() || ask_id.is_number(), "{ask}");

    let answer = json!({
        "jsonrpc": "2.0",
        "id": ask_id,
        "result": { "action": "accept", "content": { "name": "Ada" } },
    });
    server
        .session_post(&session, &answer)
        .expect(StatusCode::ACCEPTED)
        .await;

    let (_, result) = stream.next_message().await.expect("the tool's result");
    assert_eq!(result["id"], 21);
    assert_eq!(text_of(&result["result"]), "Hello, Ada");
    assert!(
        stream.next_event().await.is_none(),
        "the stream ends after the result"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_session_call_ends_its_response() {
    let started = Arc::new(Notify::new());
    let signal = started.clone();
    let tool = move || {
        let started = signal.clone();
        async move {
            started.notify_one();
            tokio::time::sleep(Duration::from_secs(60)).await;
            "too late".to_owned()
        }
    };
    let (server, session) = start_session(router().tool("forever", tool_fn(tool))).await;
    let request = server.session_post(&session, &call(31, "forever", json!({})));
    let in_flight = tokio::spawn(async move {
        let reply = request.send().await;
        let status = reply.status;
        (status, reply.text().await)
    });
    within("the tool to start", started.notified()).await;
    let cancel = notification(
        "notifications/cancelled",
        json!({ "requestId": 31, "reason": "changed my mind" }),
    );
    server
        .session_post(&session, &cancel)
        .expect(StatusCode::ACCEPTED)
        .await;
    // No answer is due, but the POST must still end.
    let (status, body) = within("the cancelled call's POST to end", in_flight)
        .await
        .unwrap();
    assert!(status.is_success(), "{status}");
    assert!(
        !body.contains("too late"),
        "a cancelled call answered: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_see_request_parts_and_the_peer_address() {
    let (server, session) = start_session(router()).await;
    let reply = server
        .session_post(&session, &call(4, "whoami", json!({})))
        .header("x-echo", "mirror-42")
        .expect(StatusCode::OK)
        .await;
    let client_addr = reply.local_addr.expect("the client's local address");
    let body = reply.json().await;
    let seen: Value = serde_json::from_str(text_of(&body["result"])).unwrap();
    assert_eq!(seen["echo"], "mirror-42");
    assert_eq!(seen["peer"], client_addr.to_string());
}

/// The subject of the request's `Identity`, or "anonymous".
async fn subject(identity: Option<Extension<Identity>>) -> String {
    identity.map_or("anonymous".into(), |Extension(i)| i.subject().to_owned())
}

/// Where an auth layer would stand: the `X-User` header becomes the request's `Identity`.
fn identify(mut req: http::Request<hyper::body::Incoming>) -> http::Request<hyper::body::Incoming> {
    if let Some(user) = req.headers().get("x-user").and_then(|v| v.to_str().ok()) {
        let identity = Identity::new(user.to_owned());
        req.extensions_mut().insert(identity);
    }
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outer_identity_reaches_handlers_and_binds_the_session_to_its_subject() {
    let router = Router::new().tool("subject", tool_fn(subject));
    let server = TestServer::start_behind(StreamableHttpService::new(router), identify).await;
    let opened = server
        .post(&rpc(
            0,
            "initialize",
            initialize_params(HANDSHAKE, json!({}), ("http-test", "0.0.0")),
        ))
        .header("x-user", "alice")
        .expect(StatusCode::OK)
        .await;
    let session = Session {
        id: opened.header("mcp-session-id").unwrap().to_owned(),
        version: HANDSHAKE.to_owned(),
    };
    let ask = |user: Option<&str>| {
        let req = server.session_post(&session, &call(2, "subject", json!({})));
        match user {
            Some(user) => req.header("x-user", user),
            None => req,
        }
    };
    let body = ask(Some("alice")).expect(StatusCode::OK).await.json().await;
    assert_eq!(text_of(&body["result"]), "alice");
    // Another subject, or none, cannot use alice's session: it looks unknown.
    ask(Some("mallory")).expect(StatusCode::NOT_FOUND).await;
    ask(None).expect(StatusCode::NOT_FOUND).await;
    let standalone = server
        .get()
        .in_session(&session)
        .header("x-user", "mallory");
    standalone.expect(StatusCode::NOT_FOUND).await;
    // And the session still serves its owner.
    let body = ask(Some("alice")).expect(StatusCode::OK).await.json().await;
    assert_eq!(text_of(&body["result"]), "alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modern_request_carries_the_outer_identity() {
    let router = Router::new().tool("subject", tool_fn(subject));
    let server = TestServer::start_behind(StreamableHttpService::new(router), identify).await;
    let call = modern_tool_call(3, "subject", json!({}));
    let body = server
        .modern_post(&call)
        .header("x-user", "bob")
        .expect(StatusCode::OK)
        .await
        .json()
        .await;
    assert_eq!(text_of(&body["result"]), "bob");
}

// ---------------------------------------------------------------------------------------
// 2026-07-28

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_discover_answers_supported_versions() {
    let server = start(router()).await;
    let reply = server
        .modern_post(&modern(1, "server/discover", json!({})))
        .expect(StatusCode::OK)
        .await;
    assert!(reply.header("mcp-session-id").is_none());
    let body = reply.json().await;
    assert_eq!(body["id"], 1);
    let result = &body["result"];
    assert_eq!(result["resultType"], "complete", "{body}");
    let versions = result["supportedVersions"]
        .as_array()
        .expect("supportedVersions");
    assert!(versions.contains(&json!(MODERN)), "{body}");
    assert!(result["capabilities"]["tools"].is_object(), "{body}");
    assert!(result["ttlMs"].as_u64().is_some(), "ttlMs: {body}");
    assert!(
        matches!(result["cacheScope"].as_str(), Some("public" | "private")),
        "cacheScope: {body}"
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "http-test"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_tools_call_answers_json_with_result_type() {
    let server = start(router()).await;
    let reply = server
        .modern_post(&modern_tool_call(2, "echo", json!({ "text": "now" })))
        .expect(StatusCode::OK)
        .await;
    assert!(reply.header("mcp-session-id").is_none());
    let body = reply.json().await;
    assert_eq!(body["id"], 2);
    assert_eq!(body["result"]["resultType"], "complete");
    assert_eq!(text_of(&body["result"]), "now");
}

/// Asserts a JSON error response: HTTP `status`, JSON-RPC `code`, echoed `id`.
async fn assert_error(reply: http_support::Reply, status: StatusCode, code: i64, id: i64) -> Value {
    assert_eq!(reply.status, status, "{reply:?}");
    let body = reply.json().await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["id"], id, "the error must echo the request id: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_missing_protocol_version_header_is_400_32020() {
    let server = start(router()).await;
    let reply = server
        .modern_post(&modern(3, "tools/list", json!({})))
        .without("mcp-protocol-version")
        .send()
        .await;
    assert_error(reply, StatusCode::BAD_REQUEST, -32020, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_mcp_name_mismatch_is_400_32020() {
    let server = start(router()).await;
    let reply = server
        .modern_post(&modern_tool_call(4, "echo", json!({ "text": "x" })))
        .header("mcp-name", "progress")
        .send()
        .await;
    assert_error(reply, StatusCode::BAD_REQUEST, -32020, 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_unsupported_version_is_400_32022_with_supported_versions() {
    let server = start(router()).await;
    let body = modern(
        5,
        "server/discover",
        json!({ "_meta": { "io.modelcontextprotocol/protocolVersion": "v999.0.0" } }),
    );
    let reply = server.modern_post(&body).send().await;
    let error = assert_error(reply, StatusCode::BAD_REQUEST, -32022, 5).await;
    let data = &error["error"]["data"];
    let supported = data["supported"].as_array().expect("data.supported");
    assert!(supported.contains(&json!(MODERN)), "{error}");
    assert_eq!(data["requested"], "v999.0.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_ping_and_initialize_are_404_32601() {
    let server = start(router()).await;
    // As the conformance suite sends them: only `_meta`.
    for (id, method) in [(6, "ping"), (7, "initialize")] {
        let reply = server
            .modern_post(&modern(id, method, json!({})))
            .send()
            .await;
        assert_error(reply, StatusCode::NOT_FOUND, -32601, id).await;
    }
    // An initialize with the handshake-era params too.
    let reply = server
        .modern_post(&modern(
            8,
            "initialize",
            initialize_params(MODERN, json!({}), ("t", "1")),
        ))
        .send()
        .await;
    assert!(reply.header("mcp-session-id").is_none());
    assert_error(reply, StatusCode::NOT_FOUND, -32601, 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_unknown_method_is_404_32601() {
    let server = start(router()).await;
    let reply = server
        .modern_post(&modern(9, "unknown/method", json!({})))
        .send()
        .await;
    assert_error(reply, StatusCode::NOT_FOUND, -32601, 9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_get_and_delete_are_405() {
    let server = start(router()).await;
    server
        .get()
        .header("mcp-protocol-version", MODERN)
        .expect(StatusCode::METHOD_NOT_ALLOWED)
        .await;
    server
        .delete()
        .header("mcp-protocol-version", MODERN)
        .expect(StatusCode::METHOD_NOT_ALLOWED)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_elicitation_is_input_required_then_complete() {
    let server = start(router()).await;
    let caps = json!({ "elicitation": {} });
    let first = server
        .modern_post(&modern(
            10,
            "tools/call",
            json!({ "name": "greet", "arguments": {}, "_meta": modern_meta(caps.clone()) }),
        ))
        .expect(StatusCode::OK)
        .await;
    let body = first.json().await;
    let result = &body["result"];
    assert_eq!(result["resultType"], "input_required", "{body}");
    let requests = result["inputRequests"].as_object().expect("inputRequests");
    assert_eq!(requests.len(), 1, "{body}");
    let (key, request) = requests.iter().next().unwrap();
    assert_eq!(request["method"], "elicitation/create", "{body}");
    assert_eq!(request["params"]["message"], "What is your name?");
    let state = result["requestState"].as_str().expect("requestState");

    let retry = server
        .modern_post(&modern(
            11,
            "tools/call",
            json!({
                "name": "greet",
                "arguments": {},
                "_meta": modern_meta(caps),
                "inputResponses": { key: { "action": "accept", "content": { "name": "Ada" } } },
                "requestState": state,
            }),
        ))
        .expect(StatusCode::OK)
        .await;
    let body = retry.json().await;
    assert_eq!(body["id"], 11);
    assert_eq!(body["result"]["resultType"], "complete", "{body}");
    assert_eq!(text_of(&body["result"]), "Hello, Ada");
}

fn listen(id: i64) -> Value {
    modern(
        id,
        "subscriptions/listen",
        json!({ "notifications": { "toolsListChanged": true } }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_listen_acknowledges_then_notifies_list_changes() {
    let router = router();
    let server = start(router.clone()).await;
    let reply = server.modern_post(&listen(12)).expect(StatusCode::OK).await;
    let mut stream = reply.sse();
    let first = stream.next_event().await.expect("the acknowledgement");
    let ack = first.json();
    assert_eq!(
        method(&ack),
        "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        12
    );
    assert_eq!(ack["params"]["notifications"]["toolsListChanged"], true);

    router.add_tool("late", tool_fn(echo));
    let (_, changed) = stream.next_message().await.expect("a list change");
    assert_eq!(method(&changed), "notifications/tools/list_changed");
    assert_eq!(
        changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        12
    );
}

/// Passes requests to the router, handing the context of every `subscriptions/listen` to the
/// test so it can watch the subscription from the server side.
#[derive(Clone)]
struct ObserveListen {
    inner: Router,
    seen: mpsc::UnboundedSender<RequestContext>,
}

impl tower::Service<turret::Request> for ObserveListen {
    type Response = ServerResult;
    type Error = McpError;
    type Future = <Router as tower::Service<turret::Request>>::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: turret::Request) -> Self::Future {
        if req.method() == "subscriptions/listen" {
            let _ = self.seen.send(req.context());
        }
        self.inner.call(req)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_closing_a_listen_stream_cancels_it() {
    let router = router();
    let (seen, mut contexts) = mpsc::unbounded_channel();
    let service = ObserveListen {
        inner: router.clone(),
        seen,
    };
    let server = TestServer::start(StreamableHttpService::new(service)).await;
    let reply = server.modern_post(&listen(13)).send().await;
    let mut stream = reply.sse();
    let ack = stream
        .next_event()
        .await
        .expect("the acknowledgement")
        .json();
    assert_eq!(method(&ack), "notifications/subscriptions/acknowledged");
    let ctx = within("the listen request's context", contexts.recv())
        .await
        .unwrap();
    assert!(!ctx.cancellation().is_cancelled());
    assert!(!ctx.peer().is_closed());

    drop(stream);
    within(
        "the listen request to be cancelled after the client closed its stream",
        ctx.cancellation().cancelled(),
    )
    .await;
    // The stream's peer closes (right after the token trips), so the notifier drops the
    // subscription.
    within("the listen stream's peer to close", async {
        while !ctx.peer().is_closed() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    router.add_tool("late", tool_fn(echo));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_closing_an_sse_response_cancels_the_tool() {
    let (report, mut observed) = mpsc::unbounded_channel::<&'static str>();
    let tool = move |ctx: Context| {
        let report = report.clone();
        async move {
            // Stopping work may mean being dropped rather than seeing `cancelled()`.
            let mut dropped = DropReport(Some(report.clone()));
            ctx.progress(1.0, None, None).await;
            let outcome = tokio::select! {
                () = ctx.cancelled() => "observed ctx.cancelled()",
                () = tokio::time::sleep(Duration::from_secs(30)) => "not cancelled",
            };
            dropped.0 = None;
            let _ = report.send(outcome);
            outcome.to_owned()
        }
    };
    let server = start(router().tool("watch", tool_fn(tool))).await;
    let reply = server
        .modern_post(&modern(
            14,
            "tools/call",
            json!({ "name": "watch", "arguments": {}, "_meta": { "progressToken": "w" } }),
        ))
        .send()
        .await;
    let mut stream = reply.sse();
    let (_, first) = stream
        .next_message()
        .await
        .expect("the progress notification");
    assert_eq!(method(&first), "notifications/progress");
    drop(stream);
    let outcome = within("the tool to stop", observed.recv()).await;
    assert!(
        matches!(
            outcome,
            Some("observed ctx.cancelled()" | "dropped before finishing")
        ),
        "{outcome:?}"
    );
}

/// Reports "dropped before finishing" when dropped while still armed.
struct DropReport(Option<mpsc::UnboundedSender<&'static str>>);

impl Drop for DropReport {
    fn drop(&mut self) {
        if let Some(report) = self.0.take() {
            let _ = report.send("dropped before finishing");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_sse_response_carries_x_accel_buffering_no() {
    let server = start(router()).await;
    let mut meta = modern_meta(json!({}));
    meta["io.modelcontextprotocol/logLevel"] = json!("info");
    meta["progressToken"] = json!("p");
    let reply = server
        .modern_post(&modern(
            15,
            "tools/call",
            json!({ "name": "progress", "arguments": {}, "_meta": meta }),
        ))
        .expect(StatusCode::OK)
        .await;
    assert_eq!(reply.header("x-accel-buffering"), Some("no"));
    let events = reply.sse().rest().await;
    // No priming event on 2026-07-28: every event is a message.
    assert!(events.iter().all(Event::has_message), "{events:?}");
    let ms = messages(&events);
    let methods: Vec<&str> = ms.iter().map(method).collect();
    assert_eq!(
        methods,
        [
            "notifications/progress",
            "notifications/progress",
            "notifications/progress",
            "notifications/message",
            "",
        ]
    );
    assert_eq!(ms[4]["id"], 15);
    assert_eq!(ms[4]["result"]["resultType"], "complete");
    assert_eq!(text_of(&ms[4]["result"]), "progressed");
}

// ---------------------------------------------------------------------------------------
// Both eras, one endpoint

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_eras_are_served_by_one_instance() {
    // Nested in axum this time.
    let server = TestServer::start_axum(StreamableHttpService::new(router())).await;
    let session = server.initialize(HANDSHAKE, json!({})).await;

    let modern_call = |id: i64, text: &str| modern_tool_call(id, "echo", json!({ "text": text }));
    let legacy = server
        .session_post(&session, &call(1, "echo", json!({ "text": "legacy 1" })))
        .send()
        .await
        .json()
        .await;
    assert_eq!(text_of(&legacy["result"]), "legacy 1");
    assert!(legacy["result"].get("resultType").is_none(), "{legacy}");

    let new = server
        .modern_post(&modern_call(2, "modern 1"))
        .send()
        .await
        .json()
        .await;
    assert_eq!(text_of(&new["result"]), "modern 1");
    assert_eq!(new["result"]["resultType"], "complete");

    // A modern request that also names the session is still served statelessly.
    let reply = server
        .modern_post(&modern_call(3, "modern 2"))
        .header("mcp-session-id", &session.id)
        .expect(StatusCode::OK)
        .await;
    assert!(reply.header("mcp-session-id").is_none());
    let new = reply.json().await;
    assert_eq!(new["result"]["resultType"], "complete", "{new}");

    // The session is still there, with its own version.
    let (a, b) = tokio::join!(
        server
            .session_post(&session, &rpc(4, "tools/list", json!({})))
            .send(),
        server
            .modern_post(&modern(5, "server/discover", json!({})))
            .send(),
    );
    let list = a.json().await;
    assert!(
        list["result"]["tools"]
            .as_array()
            .is_some_and(|t| t.len() == 4),
        "{list}"
    );
    assert!(list["result"].get("resultType").is_none(), "{list}");
    let discover = b.json().await;
    assert_eq!(discover["result"]["resultType"], "complete");

    let ping = server
        .session_post(&session, &rpc(6, "ping", json!({})))
        .send()
        .await
        .json()
        .await;
    assert_eq!(
        ping["result"],
        json!({}),
        "legacy ping must be exactly {{}}"
    );
}

// ---------------------------------------------------------------------------------------
// Graceful shutdown

/// A router with `slow`: signals `started`, sleeps, answers.
fn slow_router(started: Arc<Notify>) -> Router {
    let tool = move || {
        let started = started.clone();
        async move {
            started.notify_one();
            tokio::time::sleep(Duration::from_millis(500)).await;
            "slow done".to_owned()
        }
    };
    router().tool("slow", tool_fn(tool))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_answers_an_in_flight_modern_call() {
    let started = Arc::new(Notify::new());
    let mut server = start(slow_router(started.clone())).await;
    let request = server.modern_post(&modern_tool_call(1, "slow", json!({})));
    let in_flight = tokio::spawn(async move {
        let reply = request.send().await;
        (reply.status, reply.json().await)
    });
    within("the slow tool to start", started.notified()).await;
    server.shutdown_service();
    let (served, answered) = tokio::join!(server.stop(), in_flight);
    let (status, body) = answered.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text_of(&body["result"]), "slow done", "{body}");
    served.expect("serve returns Ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_answers_an_in_flight_session_call() {
    let started = Arc::new(Notify::new());
    let mut server = start(slow_router(started.clone())).await;
    let session = server.initialize(HANDSHAKE, json!({})).await;
    let request = server.session_post(&session, &call(1, "slow", json!({})));
    let in_flight = tokio::spawn(async move {
        let reply = request.send().await;
        let status = reply.status;
        let content_type = reply.content_type().map(str::to_owned);
        (status, content_type, reply.text().await)
    });
    within("the slow tool to start", started.notified()).await;
    server.shutdown_service();
    let (served, answered) = tokio::join!(server.stop(), in_flight);
    let (status, content_type, body) = answered.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "the in-flight call lost its answer: body {body:?}"
    );
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(text_of(&body["result"]), "slow done", "{body}");
    served.expect("serve returns Ok");
}

// ---------------------------------------------------------------------------------------
// Limits

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_over_its_in_flight_limit_gets_429_and_recovers() {
    // `hold` waits for a permit; the test hands them out once the session is full.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let tool = {
        let gate = gate.clone();
        move || {
            let (gate, started_tx) = (gate.clone(), started_tx.clone());
            async move {
                let _ = started_tx.send(());
                let _permit = gate.acquire().await;
                "released".to_owned()
            }
        }
    };
    let config =
        turret::transport::streamable_http::StreamableHttpConfig::new().max_requests_in_flight(2);
    let router = router().tool("hold", tool_fn(tool));
    let server = TestServer::start(StreamableHttpService::with_config(router, config)).await;
    let session = server.initialize(HANDSHAKE, json!({})).await;
    let held: Vec<_> = (10..=11)
        .map(|id| {
            let request = server.session_post(&session, &call(id, "hold", json!({})));
            tokio::spawn(async move { request.send().await.text().await })
        })
        .collect();
    for _ in 0..2 {
        within("a held call to start", started.recv()).await;
    }
    let refused = server.session_post(&session, &echo_hi()).send().await;
    let body = assert_error(refused, StatusCode::TOO_MANY_REQUESTS, -32000, 2).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 2"),
        "{body}"
    );
    gate.add_permits(2);
    for call in held {
        let text = within("a held call to finish", call).await.unwrap();
        assert!(text.contains("released"), "{text}");
    }
    let reply = server
        .session_post(&session, &echo_hi())
        .expect(StatusCode::OK)
        .await;
    assert!(reply.text().await.contains("hi"));
}
