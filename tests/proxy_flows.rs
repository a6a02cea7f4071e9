//! A proxy in the middle of real flows: the backend's sampling and elicitation reach the
//! frontend client across protocol eras, cancellation reaches the backend, and errors pass
//! through unchanged.

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::time::Duration;

use client::{accept, canned_sample, text};
use serde_json::json;
use tokio::sync::Notify;
use turret::client::{Client, ClientBuilder, Era};
use turret::proxy::{Backend, Proxy, SessionPolicy};
use turret::transport::memory_pair;
use turret::types::{ErrorCode, ProtocolVersion};
use turret::{tool_fn, Router};

const HANDSHAKE: Era = Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE);

/// A frontend client of `proxy` (served in process) speaking `era`.
async fn frontend(proxy: Proxy, era: Era, builder: ClientBuilder) -> Client {
    let (server, client) = memory_pair();
    tokio::spawn(turret::serve(proxy, server));
    builder.era(era).connect(client).await.unwrap()
}

/// A proxy of the fixture server run as a child process, speaking `era` with it.
fn fixture_proxy(era: Era) -> Proxy {
    let backend = Backend::command(fixture::fixture_server().display().to_string());
    Proxy::builder("fixture", backend)
        .backend_era(era)
        .timeout(Duration::from_secs(30))
        .build()
}

/// A client that answers sampling and elicitation.
fn answering_client() -> ClientBuilder {
    Client::builder()
        .on_sampling(|params| async move {
            let asked = params.messages[0]
                .content
                .first_text()
                .unwrap_or_default()
                .to_owned();
            Ok(canned_sample(&format!("answer to {asked}")))
        })
        .on_elicitation(|_| async move { Ok(accept("Ada")) })
}

#[tokio::test]
async fn sampling_and_elicitation_cross_every_pair_of_eras() {
    let pairs = [
        (Era::Sessionless, HANDSHAKE),
        (HANDSHAKE, Era::Sessionless),
        (HANDSHAKE, HANDSHAKE),
        (Era::Sessionless, Era::Sessionless),
    ];
    for (front, back) in pairs {
        let client = frontend(fixture_proxy(back), front, answering_client()).await;
        let sampled = client
            .call_tool("test_sampling", json!({"prompt": "2+2?"}))
            .await
            .unwrap();
        assert_eq!(
            text(&sampled.content),
            "LLM response: answer to 2+2?",
            "sampling, frontend {front:?}, backend {back:?}"
        );
        let elicited = client
            .call_tool("test_elicitation", json!({"message": "Who?"}))
            .await
            .unwrap();
        let elicited = text(&elicited.content);
        assert!(
            elicited.starts_with("User response: action=accept") && elicited.contains("Ada"),
            "elicitation, frontend {front:?}, backend {back:?}: {elicited}"
        );
        client.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_frontend_without_the_capability_gets_the_backends_error() {
    let client = frontend(
        fixture_proxy(HANDSHAKE),
        Era::Sessionless,
        Client::builder(),
    )
    .await;
    let err = client
        .call_tool("test_sampling", json!({"prompt": "2+2?"}))
        .await
        .map(|r| r.is_error)
        .expect_err("a client without sampling cannot answer");
    assert_eq!(err.code(), ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY);
}

#[tokio::test]
async fn progress_and_logs_reach_the_frontend_request() {
    for back in [HANDSHAKE, Era::Sessionless] {
        let client = frontend(fixture_proxy(back), HANDSHAKE, Client::builder()).await;
        client
            .set_log_level(turret::types::LoggingLevel::Debug)
            .await
            .unwrap();
        let mut notifications = client.notifications();
        client
            .call_tool("test_tool_with_logging", json!({}))
            .await
            .unwrap();
        let mut logs = 0;
        while let Ok(n) = notifications.try_recv() {
            logs += usize::from(n.method() == "notifications/message");
        }
        assert!(logs >= 3, "backend {back:?}: {logs} log messages relayed");
    }
}

/// Tells whoever waits when dropped.
struct NotifyOnDrop(Arc<Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

/// A router whose `wait` tool reports its cancellation, and whose `fail` tool fails.
fn observed_router(cancelled: Arc<Notify>) -> Router {
    Router::new()
        .tool(
            "wait",
            tool_fn(move || {
                // The backend's session drops a cancelled call; the guard sees that happen.
                let guard = NotifyOnDrop(cancelled.clone());
                async move {
                    std::future::pending::<()>().await;
                    drop(guard);
                    String::new()
                }
            }),
        )
        .tool(
            "fail",
            tool_fn(|| async { Err::<String, String>("the disk is full".into()) }),
        )
        .resource(
            "config://app",
            turret::resource_fn(|| async { String::from("{}") }),
        )
}

/// [`observed_router`] as a backend in this process.
fn observed_backend(cancelled: Arc<Notify>) -> Backend {
    let router = observed_router(cancelled);
    Backend::transport(move || {
        let (server, client) = memory_pair();
        tokio::spawn(turret::serve(router.clone(), server));
        async move { Ok(client) }
    })
}

#[tokio::test]
async fn cancellation_reaches_the_backend() {
    for front in [HANDSHAKE, Era::Sessionless] {
        let cancelled = Arc::new(Notify::new());
        let proxy = Proxy::new("observed", observed_backend(cancelled.clone()));
        let client = frontend(proxy, front, Client::builder()).await;
        let call = client.call_tool("wait", json!({}));
        // Dropping the call cancels it at the proxy, which cancels it at the backend.
        assert!(tokio::time::timeout(Duration::from_millis(300), call)
            .await
            .is_err());
        tokio::time::timeout(Duration::from_secs(10), cancelled.notified())
            .await
            .unwrap_or_else(|_| panic!("the backend never saw the cancellation ({front:?})"));
    }
}

#[tokio::test]
async fn errors_and_tool_failures_pass_through_unchanged() {
    for policy in [
        SessionPolicy::PerSession,
        SessionPolicy::Shared,
        SessionPolicy::PerRequest,
    ] {
        let proxy = Proxy::builder("observed", observed_backend(Arc::default()))
            .session_policy(policy)
            .build();
        let proxied = frontend(proxy, HANDSHAKE, Client::builder()).await;
        let (server, transport) = memory_pair();
        tokio::spawn(turret::serve(observed_router(Arc::default()), server));
        // The same era as the proxy's own client (Auto): some codes differ between eras.
        let direct = Client::builder().connect(transport).await.unwrap();
        for uri in ["config://missing", "not a uri"] {
            let want = direct.read_resource(uri).await.unwrap_err().into_object();
            let got = proxied.read_resource(uri).await.unwrap_err().into_object();
            assert_eq!(got, want, "{policy:?}: resources/read {uri}");
        }
        let want = direct.get_prompt("nope", json!(null)).await.unwrap_err();
        let got = proxied.get_prompt("nope", json!(null)).await.unwrap_err();
        assert_eq!(got.into_object(), want.into_object(), "{policy:?}");
        let failed = proxied.call_tool("fail", json!({})).await.unwrap();
        assert_eq!(failed.is_error, Some(true));
        assert_eq!(text(&failed.content), "the disk is full");
        let unknown = proxied.call_tool("nope", json!({})).await.unwrap_err();
        assert_eq!(unknown.code(), ErrorCode::INVALID_PARAMS);
    }
}

#[tokio::test]
async fn a_backend_that_cannot_start_gives_an_error_naming_it() {
    let proxy = Proxy::new("ghost", Backend::command("/nonexistent/turret-test-server"));
    let (server, transport) = memory_pair();
    tokio::spawn(turret::serve(proxy, server));
    let err = Client::builder()
        .era(HANDSHAKE)
        .connect(transport)
        .await
        .unwrap_err();
    assert!(
        err.message().contains("backend ghost is unavailable")
            && err
                .message()
                .contains("could not start /nonexistent/turret-test-server"),
        "{}",
        err.message()
    );
}

/// Two frontend sessions use the same progress token at once over one shared backend
/// connection: each gets its own progress, under its own token.
#[tokio::test]
async fn progress_reaches_the_request_that_asked_for_it() {
    use turret::types::{
        CallToolRequestParams, ClientRequest, Meta, ProgressToken, ServerNotification,
    };

    let backend = Backend::command(fixture::fixture_server().display().to_string());
    let proxy = Proxy::builder("fixture", backend)
        .session_policy(SessionPolicy::Shared)
        .build();
    let mut calls = Vec::new();
    for _ in 0..2 {
        let client = frontend(proxy.clone(), HANDSHAKE, Client::builder()).await;
        let mut meta = Meta::new();
        meta.insert("progressToken", "mine");
        let request = ClientRequest::CallTool(CallToolRequestParams {
            name: "test_tool_with_progress".into(),
            meta: Some(meta),
            ..Default::default()
        });
        let notifications = client.notifications();
        calls.push((
            client.clone(),
            notifications,
            tokio::spawn(async move { client.request(request).await }),
        ));
    }
    for (client, mut notifications, call) in calls {
        call.await.unwrap().unwrap();
        let mut seen = Vec::new();
        while let Ok(n) = notifications.try_recv() {
            if let ServerNotification::Progress(p) = n {
                assert_eq!(p.progress_token, ProgressToken::String("mine".into()));
                seen.push(p.progress);
            }
        }
        assert_eq!(seen, [0.0, 50.0, 100.0], "one request's progress, in order");
        client.close().await.unwrap();
    }
}

/// With `cache_lists`, a second `tools/list` is answered without the backend, until the
/// backend announces that its tools changed.
#[tokio::test]
async fn cached_lists_hold_until_the_backend_announces_a_change() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let lists = Arc::new(AtomicUsize::new(0));
    let router = Router::new().tool("a", tool_fn(|| async { String::from("a") }));
    let counted = {
        let lists = lists.clone();
        tower::ServiceBuilder::new()
            .map_request(move |req: turret::Request| {
                if req.method() == "tools/list" {
                    lists.fetch_add(1, Ordering::SeqCst);
                }
                req
            })
            .service(router.clone())
    };
    let backend = Backend::transport(move || {
        let (server, client) = memory_pair();
        tokio::spawn(turret::serve(counted.clone(), server));
        async move { Ok(client) }
    });
    let proxy = Proxy::builder("cached", backend)
        .backend_era(HANDSHAKE)
        .cache_lists(true)
        .build();
    let client = frontend(proxy, HANDSHAKE, Client::builder()).await;
    let mut notifications = client.notifications();

    assert_eq!(client::tool_names(&client).await, ["a"]);
    assert_eq!(client::tool_names(&client).await, ["a"]);
    assert_eq!(
        lists.load(Ordering::SeqCst),
        1,
        "the second list came from the cache"
    );

    router.add_tool("b", tool_fn(|| async { String::from("b") }));
    let changed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if notifications.recv().await.unwrap().method() == "notifications/tools/list_changed" {
                break;
            }
        }
    });
    changed
        .await
        .expect("the backend's list_changed reaches the frontend");
    assert_eq!(client::tool_names(&client).await, ["a", "b"]);
    assert_eq!(lists.load(Ordering::SeqCst), 2);
}
