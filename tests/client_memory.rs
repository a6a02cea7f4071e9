//! The client against a Turret Router served in-process over `memory_pair()`, in every era.

#[path = "support/client.rs"]
mod client;
#[path = "support/tools.rs"]
mod tools;

use std::sync::Arc;
use std::time::Duration;

use client::{accept, canned_sample, text, tool_names};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Notify;
use tools::add;
use tower::ServiceExt as _;
use turret::client::{Client, ClientHandler, Era};
use turret::transport::memory_pair;
use turret::types::{
    ClientCapabilities, ClientRequest, CompletionReference, ContentBlock,
    CreateMessageRequestParams, ElicitRequestParams, ElicitResult, ErrorCode, LoggingLevel,
    ProtocolVersion, ResourceContents, SamplingMessage, ServerNotification, ServerResult,
};
use turret::{
    prompt_fn, resource_fn, serve, tool_fn, Args, BoxError, Context, McpError, Request, Router,
    State,
};

async fn echo(Args(Echo { text }): Args<Echo>) -> String {
    text
}

#[derive(Deserialize, JsonSchema)]
struct Echo {
    text: String,
}

/// Asks the user for a name and greets them.
async fn greet_user(ctx: Context) -> Result<String, McpError> {
    let mut schema = turret::types::JsonObject::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), json!({"name": {"type": "string"}}));
    let answer = ctx
        .elicit(ElicitRequestParams {
            message: "What is your name?".into(),
            requested_schema: Some(schema),
            ..Default::default()
        })
        .await?;
    let name = answer
        .content
        .as_ref()
        .and_then(|c| c.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("nobody")
        .to_owned();
    Ok(format!("hello {name} ({:?})", answer.action))
}

/// Asks the client's LLM, then the user: two questions, so two rounds on 2026-07-28.
async fn ask_twice(ctx: Context) -> Result<String, McpError> {
    let sampled = ctx
        .sample(CreateMessageRequestParams::new(
            vec![SamplingMessage::user_text("2+2?")],
            10,
        ))
        .await?;
    let text = sampled.content.first_text().unwrap_or_default().to_owned();
    let confirmed = ctx
        .elicit(ElicitRequestParams {
            message: format!("The model said {text}. Keep it?"),
            ..Default::default()
        })
        .await?;
    Ok(format!("model: {text}, user: {:?}", confirmed.action))
}

async fn chatty(ctx: Context) -> &'static str {
    ctx.info("working").await;
    ctx.debug("details").await;
    "done"
}

/// Signals when the handler stops, whether it returns or the server drops it on cancellation.
struct SignalOnDrop(Arc<Notify>);

impl Drop for SignalOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

async fn wait_for_cancel(State(cancelled): State<Arc<Notify>>, ctx: Context) -> &'static str {
    let _signal = SignalOnDrop(cancelled);
    ctx.cancelled().await;
    "cancelled"
}

async fn greeting() -> &'static str {
    "hello from memory"
}

#[derive(Deserialize, JsonSchema)]
struct Item {
    id: String,
}

async fn item(Args(Item { id }): Args<Item>) -> String {
    format!("item {id}")
}

#[derive(Deserialize, JsonSchema)]
struct Topic {
    /// What to write about.
    topic: String,
}

async fn essay(Args(Topic { topic }): Args<Topic>) -> String {
    format!("Write an essay about {topic}.")
}

fn router(cancelled: Arc<Notify>) -> Router<Arc<Notify>> {
    Router::with_state(cancelled)
        .name("memory-server")
        .version("1.2.3")
        .page_size(2)
        .tool("add", tool_fn(add).description("Adds two integers"))
        .tool("echo", tool_fn(echo))
        .tool("greet_user", tool_fn(greet_user))
        .tool("ask_twice", tool_fn(ask_twice))
        .tool("chatty", tool_fn(chatty))
        .tool("wait_for_cancel", tool_fn(wait_for_cancel))
        .resource(
            "mem://greeting",
            resource_fn(greeting).mime_type("text/plain"),
        )
        .resource_template("mem://items/{id}", resource_fn(item).name("item"))
        .prompt("essay", prompt_fn(essay))
        .completions(|p| async move {
            turret::types::Completion {
                values: vec![format!("{}-completed", p.argument.value)],
                ..Default::default()
            }
        })
}

/// Serves a fresh router on one end of a memory pair and connects a client on the other.
async fn connect_with(
    era: Era,
    builder: turret::ClientBuilder,
) -> (
    Client,
    Arc<Notify>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let (server_end, client_end) = memory_pair();
    let cancelled = Arc::new(Notify::new());
    let server = tokio::spawn(serve(router(cancelled.clone()), server_end));
    let client = builder.era(era).connect(client_end).await.expect("connect");
    (client, cancelled, server)
}

async fn connect(era: Era) -> Client {
    connect_with(era, Client::builder()).await.0
}

const ERAS: [(Era, ProtocolVersion); 3] = [
    (
        Era::Handshake(ProtocolVersion::V2025_06_18),
        ProtocolVersion::V2025_06_18,
    ),
    (Era::Sessionless, ProtocolVersion::V2026_07_28),
    (Era::Auto, ProtocolVersion::V2026_07_28),
];

#[tokio::test]
async fn every_era_lists_calls_reads_and_gets() {
    for (era, expected) in ERAS {
        let client = connect(era).await;
        assert_eq!(client.protocol_version(), expected, "{era:?}");
        assert_eq!(client.server_info().name, "memory-server", "{era:?}");
        assert!(client.server_capabilities().tools.is_some());

        // Six tools at two per page: the client follows the cursors.
        let tools = tool_names(&client).await;
        assert_eq!(
            tools,
            [
                "add",
                "echo",
                "greet_user",
                "ask_twice",
                "chatty",
                "wait_for_cancel"
            ],
            "{era:?}"
        );

        let result = client
            .call_tool("add", json!({"a": 2, "b": 40}))
            .await
            .unwrap();
        assert_eq!(text(&result.content), "42", "{era:?}");
        let bad = client.call_tool("add", json!({"a": "x"})).await;
        assert!(
            bad.is_err() || bad.unwrap().is_error == Some(true),
            "{era:?}"
        );
        let unknown = client.call_tool("nope", json!(null)).await.unwrap_err();
        assert_eq!(unknown.code(), ErrorCode::INVALID_PARAMS);

        let resources = client.list_resources().await.unwrap();
        assert_eq!(resources[0].uri, "mem://greeting");
        let read = client.read_resource("mem://greeting").await.unwrap();
        assert!(
            matches!(&read.contents[0], ResourceContents::Text(t) if t.text == "hello from memory")
        );
        let templates = client.list_resource_templates().await.unwrap();
        assert_eq!(templates[0].uri_template, "mem://items/{id}");
        let read = client.read_resource("mem://items/7").await.unwrap();
        assert!(matches!(&read.contents[0], ResourceContents::Text(t) if t.text == "item 7"));

        let prompts = client.list_prompts().await.unwrap();
        assert_eq!(prompts[0].name, "essay");
        let prompt = client
            .get_prompt("essay", json!({"topic": "tower"}))
            .await
            .unwrap();
        assert!(
            matches!(&prompt.messages[0].content, ContentBlock::Text(t) if t.text.contains("tower"))
        );

        let completion = client
            .complete(
                CompletionReference::Prompt {
                    name: "essay".into(),
                },
                "topic",
                "tow",
            )
            .await
            .unwrap();
        assert_eq!(completion.values, ["tow-completed"]);

        if expected.is_sessionless() {
            assert!(client.ping().await.is_err(), "no ping on 2026-07-28");
        } else {
            client.ping().await.unwrap();
        }
        client.close().await.unwrap();
    }
}

#[tokio::test]
async fn the_client_is_a_tower_service() {
    let client = connect(Era::Auto).await;
    let request = ClientRequest::from_parts(
        "tools/call",
        Some(json!({"name": "echo", "arguments": {"text": "via tower"}})),
    )
    .unwrap();
    let result = tower::ServiceBuilder::new()
        .timeout(Duration::from_secs(5))
        .service(client.clone())
        .oneshot(request)
        .await
        .unwrap();
    let ServerResult::CallTool(result) = result else {
        panic!("{result:?}")
    };
    assert_eq!(text(&result.content), "via tower");
}

/// Elicitation and sampling are answered by the callbacks: as server→client requests on the
/// handshake era, and as `input_required` rounds on 2026-07-28, invisible to the caller.
#[tokio::test]
async fn server_requests_are_answered_by_callbacks_in_both_eras() {
    for (era, _) in ERAS {
        let builder = Client::builder()
            .on_elicitation(|params| async move {
                assert!(params.message.contains('?'));
                Ok(accept("Ada"))
            })
            .on_sampling(|params| async move {
                assert_eq!(params.messages[0].content.first_text(), Some("2+2?"));
                Ok(canned_sample("4"))
            });
        let (client, _, _) = connect_with(era, builder).await;
        let result = client.call_tool("greet_user", json!({})).await.unwrap();
        assert_eq!(text(&result.content), "hello Ada (Accept)", "{era:?}");
        let result = client.call_tool("ask_twice", json!(null)).await.unwrap();
        assert_eq!(text(&result.content), "model: 4, user: Accept", "{era:?}");
    }
}

/// The same flow through a `ClientHandler` implementation instead of closures.
#[tokio::test]
async fn a_client_handler_answers_too() {
    struct Robot;

    impl ClientHandler for Robot {
        async fn elicit(&self, _params: ElicitRequestParams) -> Result<ElicitResult, McpError> {
            Ok(accept("Robot"))
        }
    }

    let capabilities = ClientCapabilities {
        elicitation: Some(Default::default()),
        ..Default::default()
    };
    for (era, _) in ERAS {
        let builder = Client::builder()
            .capabilities(capabilities.clone())
            .handler(Robot);
        let (client, _, _) = connect_with(era, builder).await;
        let result = client.call_tool("greet_user", json!({})).await.unwrap();
        assert_eq!(text(&result.content), "hello Robot (Accept)", "{era:?}");
    }
}

#[tokio::test]
async fn a_request_without_a_callback_is_declined() {
    // Handshake: the capability is declared but nothing answers, so the server's request gets
    // -32601 and the tool reports the failure.
    let capabilities = ClientCapabilities {
        elicitation: Some(Default::default()),
        ..Default::default()
    };
    let builder = Client::builder().capabilities(capabilities.clone());
    let (client, _, _) = connect_with(Era::Handshake(ProtocolVersion::V2025_11_25), builder).await;
    let result = client.call_tool("greet_user", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result.content).contains("does not handle elicitation/create"),
        "{result:?}"
    );

    // Sessionless: the client's input round fails with the handler's error.
    let builder = Client::builder().capabilities(capabilities);
    let (client, _, _) = connect_with(Era::Sessionless, builder).await;
    let error = client.call_tool("greet_user", json!({})).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::METHOD_NOT_FOUND);
    assert!(error.message().contains("elicitation/create"), "{error}");

    // Sessionless without the capability: the server refuses with -32021.
    let (client, _, _) = connect_with(Era::Sessionless, Client::builder()).await;
    let result = client.call_tool("greet_user", json!({})).await;
    let refused = match result {
        Err(e) => e.code() == ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
        Ok(r) => r.is_error == Some(true) && text(&r.content).contains("elicitation"),
    };
    assert!(refused);
}

#[tokio::test]
async fn zero_input_rounds_returns_input_required_to_the_caller() {
    let builder = Client::builder()
        .input_rounds(0)
        .on_elicitation(|_| async { Ok(accept("x")) });
    let (client, _, _) = connect_with(Era::Sessionless, builder).await;
    let request =
        ClientRequest::from_parts("tools/call", Some(json!({"name": "greet_user"}))).unwrap();
    let result = client.request(request).await.unwrap();
    let ServerResult::InputRequired(input) = result else {
        panic!("{result:?}")
    };
    assert!(input.request_state.is_some());
    assert_eq!(input.input_requests.unwrap().len(), 1);
}

#[tokio::test]
async fn notifications_reach_subscribers_in_both_eras() {
    for (era, _) in ERAS {
        let builder = Client::builder().log_level(LoggingLevel::Info);
        let (client, _, _) = connect_with(era, builder).await;
        let mut notifications = client.notifications();
        let result = client.call_tool("chatty", json!({})).await.unwrap();
        assert_eq!(text(&result.content), "done");
        let n = tokio::time::timeout(Duration::from_secs(5), notifications.recv())
            .await
            .unwrap()
            .unwrap();
        let ServerNotification::LoggingMessage(m) = n else {
            panic!("{n:?}")
        };
        assert_eq!(m.level, LoggingLevel::Info, "{era:?}");
        assert_eq!(m.data, json!("working"));
        // The debug message is below the level asked for.
        assert!(notifications.try_recv().is_err(), "{era:?}");
    }
}

#[tokio::test]
async fn dropping_a_request_cancels_it_on_the_server() {
    for (era, _) in ERAS {
        let (client, cancelled, _) = connect_with(era, Client::builder()).await;
        let call = client.call_tool("wait_for_cancel", json!({}));
        assert!(tokio::time::timeout(Duration::from_millis(100), call)
            .await
            .is_err());
        tokio::time::timeout(Duration::from_secs(5), cancelled.notified())
            .await
            .unwrap_or_else(|_| panic!("{era:?}: the server never saw the cancellation"));
        // The connection is still fine.
        let result = client
            .call_tool("echo", json!({"text": "still here"}))
            .await
            .unwrap();
        assert_eq!(text(&result.content), "still here");
    }
}

#[tokio::test]
async fn close_ends_the_connection_for_every_clone() {
    let (client, _, server) = connect_with(Era::Auto, Client::builder()).await;
    let clone = client.clone();
    client.close().await.unwrap();
    // The server sees the stream end and stops serving.
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(clone.is_closed());
    let error = clone.list_tools().await.unwrap_err();
    assert!(error.message().contains("closed"), "{error}");
    clone.close().await.unwrap();
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection() {
    let (client, _, server) = connect_with(
        Era::Handshake(ProtocolVersion::V2025_11_25),
        Client::builder(),
    )
    .await;
    drop(client);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// A real Turret server whose `server/discover` answer is replaced, to see how `Era::Auto`
/// reads each kind of answer.
async fn auto_against(
    discover: impl Fn() -> DiscoverAnswer + Send + Sync + Clone + 'static,
    era: Era,
) -> Result<Client, McpError> {
    modern_only_against(discover, false, era).await
}

/// Like [`auto_against`]; with `modern_only` the server also refuses `initialize` the way a
/// server fixed on 2026-07-28 does (-32022 listing only 2026-07-28).
async fn modern_only_against(
    discover: impl Fn() -> DiscoverAnswer + Send + Sync + Clone + 'static,
    modern_only: bool,
    era: Era,
) -> Result<Client, McpError> {
    let (server_end, client_end) = memory_pair();
    let router = router(Arc::new(Notify::new()));
    let service = tower::service_fn(move |req: Request| {
        let router = router.clone();
        let discover = discover.clone();
        async move {
            match req.message() {
                ClientRequest::Discover(_) => match discover() {
                    DiscoverAnswer::Result(v) => return Ok::<_, BoxError>(ServerResult::Other(v)),
                    DiscoverAnswer::Error(e) => return Err(e.into()),
                    DiscoverAnswer::Silence => std::future::pending::<()>().await,
                    DiscoverAnswer::Late(delay) => tokio::time::sleep(delay).await,
                },
                ClientRequest::Initialize(_) if modern_only => {
                    let refusal = McpError::new(
                        ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                        "this server speaks 2026-07-28 only",
                    )
                    .with_data(json!({"supported": ["2026-07-28"], "requested": "2025-11-25"}));
                    return Err(refusal.into());
                }
                _ => {}
            }
            router.oneshot(req).await.map_err(BoxError::from)
        }
    });
    tokio::spawn(serve(service, server_end));
    Client::builder()
        .era(era)
        .probe_timeout(Duration::from_millis(200))
        .connect(client_end)
        .await
}

#[derive(Clone)]
enum DiscoverAnswer {
    Result(serde_json::Value),
    Error(McpError),
    Silence,
    /// The real answer, after a delay longer than the probe timeout.
    Late(Duration),
}

#[tokio::test]
async fn auto_recovers_when_a_slow_modern_server_answers_the_probe_late() {
    let late = || DiscoverAnswer::Late(Duration::from_millis(400));
    let client = modern_only_against(late, true, Era::Auto).await.unwrap();
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    let result = client
        .call_tool("add", json!({"a": 20, "b": 22}))
        .await
        .unwrap();
    assert_eq!(text(&result.content), "42");
    // A legacy-speaking server that is merely slow still gets the handshake.
    let client = auto_against(late, Era::Auto).await.unwrap();
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
}

#[tokio::test]
async fn auto_falls_back_to_initialize_for_anything_but_a_modern_answer() {
    let legacy_answers = [
        DiscoverAnswer::Result(json!({})),
        DiscoverAnswer::Result(json!({"supportedVersions": "2026-07-28"})),
        DiscoverAnswer::Error(McpError::method_not_found("server/discover")),
        DiscoverAnswer::Error(McpError::invalid_params("who are you?")),
        DiscoverAnswer::Silence,
    ];
    for answer in legacy_answers {
        let client = auto_against(move || answer.clone(), Era::Auto)
            .await
            .unwrap();
        assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
        assert_eq!(client.server_info().name, "memory-server");
        let result = client
            .call_tool("add", json!({"a": 1, "b": 1}))
            .await
            .unwrap();
        assert_eq!(text(&result.content), "2");
    }
}

#[tokio::test]
async fn auto_follows_the_versions_a_modern_server_lists() {
    // A modern error listing only a handshake revision: use it (through initialize).
    let unsupported = || {
        DiscoverAnswer::Error(
            McpError::new(
                ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
            )
            .with_data(json!({"supported": ["2025-06-18"], "requested": "2026-07-28"})),
        )
    };
    let client = auto_against(unsupported, Era::Auto).await.unwrap();
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_06_18);
    // Sessionless refuses instead.
    let error = auto_against(unsupported, Era::Sessionless)
        .await
        .unwrap_err();
    assert!(error.message().contains("2025-06-18"), "{error}");

    // Nothing in common: a clear error naming both sides.
    let alien = || {
        DiscoverAnswer::Error(
            McpError::new(
                ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
            )
            .with_data(json!({"supported": ["2099-01-01"]})),
        )
    };
    let error = auto_against(alien, Era::Auto).await.unwrap_err();
    assert!(
        error.message().contains("2099-01-01") && error.message().contains("2026-07-28"),
        "{error}"
    );

    // A DiscoverResult naming no version we speak does not count: fall back.
    let result =
        || DiscoverAnswer::Result(json!({"supportedVersions": ["2099-01-01"], "capabilities": {}}));
    let client = auto_against(result, Era::Auto).await.unwrap();
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);

    // A DiscoverResult naming only a handshake revision: initialize with it.
    let result =
        || DiscoverAnswer::Result(json!({"supportedVersions": ["2025-03-26"], "capabilities": {}}));
    let client = auto_against(result, Era::Auto).await.unwrap();
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_03_26);
}

#[tokio::test]
async fn sessionless_fails_clearly_against_a_legacy_server() {
    let error = auto_against(|| DiscoverAnswer::Silence, Era::Sessionless)
        .await
        .unwrap_err();
    assert!(
        error.message().contains("does not speak MCP 2026-07-28"),
        "{error}"
    );
}

#[tokio::test]
async fn handshake_rejects_a_sessionless_revision() {
    let (_server_end, client_end) = memory_pair();
    let error = Client::builder()
        .era(Era::Handshake(ProtocolVersion::V2026_07_28))
        .connect(client_end)
        .await
        .unwrap_err();
    assert!(error.message().contains("Era::Sessionless"), "{error}");
}
