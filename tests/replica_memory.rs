//! Two endpoints of one process as replicas of each other through
//! [`MemoryReplicas`]: the same moves as `tests/replica.rs` (which uses Redis and nginx),
//! with each request sent to the replica the test chooses. Fast, and a model for users who
//! test their own replicated deployments.

#[path = "support/http.rs"]
mod http_support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::StatusCode;
use http_support::{tool_call, Session, Sse, TestServer};
use serde_json::{json, Value};
use tokio::sync::Notify;
use turret::transport::streamable_http::replicas::MemoryReplicas;
use turret::transport::streamable_http::{SseStream, StreamableHttpConfig, StreamableHttpService};
use turret::types::ElicitRequestParams;
use turret::{tool_fn, Context, Extension, McpError, Notifier, Router};

const LATEST: &str = "2025-11-25";

async fn ask_name(ctx: Context) -> Result<String, McpError> {
    let answer = ctx
        .elicit(ElicitRequestParams {
            message: "Name?".into(),
            requested_schema: json!({"type": "object", "properties": {"name": {"type": "string"}}})
                .as_object()
                .cloned(),
            ..Default::default()
        })
        .await?;
    let content = answer.content.unwrap_or_default();
    Ok(format!(
        "Hello, {}",
        content["name"].as_str().unwrap_or("nobody")
    ))
}

/// Two replicas of one router; `gate` releases the `resumable` tool's answer.
async fn replicas(gate: Arc<Notify>) -> (TestServer, TestServer) {
    let resumable = move |ctx: Context, sse: Option<Extension<SseStream>>| {
        let gate = gate.clone();
        async move {
            ctx.progress(1.0, None, None).await;
            if let Some(Extension(sse)) = sse {
                sse.close_connection().await;
            }
            ctx.progress(2.0, None, None).await;
            gate.notified().await;
            "resumed".to_owned()
        }
    };
    // Each replica its own router, as in separate processes (clones would share a notifier).
    let router = || {
        let notifier: Arc<OnceLock<Notifier>> = Arc::default();
        let cell = notifier.clone();
        let change_tools = move || {
            let notifier = cell.get().cloned();
            async move {
                if let Some(n) = notifier {
                    n.tools_changed().await;
                }
                "changed"
            }
        };
        let router = Router::new()
            .tool("hello", tool_fn(|| async { "hello" }))
            .tool("ask_name", tool_fn(ask_name))
            .tool("resumable", tool_fn(resumable.clone()))
            .tool("change_tools", tool_fn(change_tools));
        let _ = notifier.set(router.notifier());
        router
    };
    let set = MemoryReplicas::new();
    let serve = |router: Router| {
        let config = set.join(StreamableHttpConfig::new());
        TestServer::start(StreamableHttpService::with_config(router, config))
    };
    (serve(router()).await, serve(router()).await)
}

async fn answer(sse: &mut Sse, id: i64) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    while let Some((_, m)) = sse.next_message().await {
        if m.get("method").is_none() && m["id"] == id {
            return (m, before);
        }
        before.push(m);
    }
    panic!("no answer to {id}; before it: {before:?}");
}

async fn hello(server: &TestServer, session: &Session, id: i64) -> StatusCode {
    server
        .session_post(session, &tool_call(id, "hello", json!({})))
        .send()
        .await
        .status
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_in_memory_takes_up_a_session_and_its_end() {
    let (a, b) = replicas(Arc::default()).await;
    let session = a.initialize(LATEST, json!({})).await;
    assert_eq!(hello(&b, &session, 1).await, StatusCode::OK);
    assert_eq!(hello(&a, &session, 2).await, StatusCode::OK);
    let deleted = b.delete().in_session(&session).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(hello(&a, &session, 3).await, StatusCode::NOT_FOUND);
    assert_eq!(hello(&b, &session, 4).await, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_in_memory_relays_an_answer_to_the_replica_that_asked() {
    let (a, b) = replicas(Arc::default()).await;
    let session = a.initialize(LATEST, json!({"elicitation": {}})).await;
    let reply = b
        .session_post(&session, &tool_call(1, "ask_name", json!({})))
        .send()
        .await;
    let mut sse = reply.sse();
    let (_, request) = sse.next_message().await.expect("the elicitation");
    assert_eq!(request["method"], "elicitation/create");
    // The request id names the replica that asked, which is not `a`.
    assert!(request["id"].is_string(), "{request}");
    let posted = a
        .session_post(
            &session,
            &json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "accept", "content": {"name": "Ada"}}}),
        )
        .send()
        .await;
    assert_eq!(posted.status, StatusCode::ACCEPTED);
    let (result, _) = answer(&mut sse, 1).await;
    assert_eq!(result["result"]["content"][0]["text"], "Hello, Ada");
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_in_memory_resumes_a_live_stream_of_the_other() {
    let gate = Arc::new(Notify::new());
    let (a, b) = replicas(gate.clone()).await;
    let session = a.initialize(LATEST, json!({})).await;
    let call = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "resumable", "arguments": {}, "_meta": {"progressToken": "p"}},
    });
    let reply = a.session_post(&session, &call).send().await;
    let before = reply.sse().rest().await;
    let last = before
        .iter()
        .rev()
        .find_map(|e| e.id.clone())
        .expect("events with ids");
    // Resumed on `b` while `a` still runs the call: the missed event, then the live answer.
    let resumed = b
        .get()
        .in_session(&session)
        .header("last-event-id", &last)
        .send()
        .await;
    assert_eq!(resumed.status, StatusCode::OK);
    let mut sse = resumed.sse();
    let (_, missed) = sse.next_message().await.expect("the missed progress");
    assert_eq!(missed["params"]["progress"], 2.0, "{missed}");
    gate.notify_one();
    let (result, _) = answer(&mut sse, 7).await;
    assert_eq!(result["result"]["content"][0]["text"], "resumed");
}

#[tokio::test(flavor = "multi_thread")]
async fn replica_in_memory_sends_a_list_change_to_the_stream_the_other_holds() {
    let (a, b) = replicas(Arc::default()).await;
    let session = a.initialize(LATEST, json!({})).await;
    // The client's GET stream is held by `a`; the change happens on `b`, which has served
    // the session once (and so knows it as its opener does).
    let get = a.get().in_session(&session).send().await;
    assert_eq!(get.status, StatusCode::OK);
    let mut standalone = get.sse();
    let changed = b
        .session_post(&session, &tool_call(1, "change_tools", json!({})))
        .send()
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let (_, message) = standalone.next_message().await.expect("the list change");
    assert_eq!(message["method"], "notifications/tools/list_changed");
    // Ended through `b`, the session's stream on `a` ends too (within a liveness check).
    let deleted = b.delete().in_session(&session).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let ended = standalone.next_event_within(Duration::from_secs(5)).await;
    assert_eq!(
        ended,
        Ok(None),
        "the stream went on after the session ended"
    );
}
