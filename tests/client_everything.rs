//! The client against the reference server `mcp-server-everything` over stdio.
//!
//! That server speaks the handshake era only (it answers `server/discover` with -32601), so
//! this also checks `Era::Auto`'s fallback against a real legacy server.
//!
//! Needs the external harness (`../shared/harness/setup.sh`), which CI installs.

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;

use std::time::Duration;

use client::{start_child, stop_child, text_joined, tool_names};
use serde_json::json;
use turret::client::{Client, Era};
use turret::transport::{ChildHandle, ChildProcess};
use turret::types::{
    ClientRequest, ContentBlock, CreateMessageResult, ElicitAction, ElicitResult, JsonObject,
    ProtocolVersion, ResourceContents, Role, SamplingContent, ServerNotification, ServerResult,
};

const SAMPLED: &str = "turret sampled this text";

/// The server's launcher, run with a PATH that has the harness's node 22 first (the launcher
/// runs `node`).
fn everything() -> ChildProcess {
    let program = fixture::harness_program("npm/node_modules/.bin/mcp-server-everything");
    // Only checked: the launcher finds it through the PATH.
    fixture::harness_program("bin/node");
    ChildProcess::new(program).env("PATH", fixture::harness_path_env())
}

async fn start(era: Era) -> (Client, ChildHandle) {
    let builder = Client::builder()
        .era(era)
        .on_sampling(|params| async move {
            assert!(!params.messages.is_empty());
            Ok(CreateMessageResult {
                role: Role::Assistant,
                content: SamplingContent::One(ContentBlock::text(SAMPLED)),
                model: "turret-test".into(),
                stop_reason: Some("endTurn".into()),
                meta: None,
                extra: Default::default(),
            })
        })
        .on_elicitation(|params| async move {
            // Accept with each property's default, or a plain value of its type.
            let mut content = JsonObject::new();
            let schema = params.requested_schema.unwrap_or_default();
            for (key, prop) in schema
                .get("properties")
                .and_then(|p| p.as_object())
                .into_iter()
                .flatten()
            {
                let value = prop.get("default").cloned().unwrap_or_else(|| {
                    match prop.get("type").and_then(|t| t.as_str()) {
                        Some("boolean") => json!(true),
                        Some("number") | Some("integer") => json!(1),
                        _ => match prop.get("enum").and_then(|e| e.get(0)) {
                            Some(first) => first.clone(),
                            None => json!("turret"),
                        },
                    }
                });
                content.insert(key.clone(), value);
            }
            Ok(ElicitResult {
                action: ElicitAction::Accept,
                content: Some(content),
                meta: None,
                extra: Default::default(),
            })
        });
    start_child(everything(), builder, "mcp-server-everything").await
}

fn text(content: &[ContentBlock]) -> String {
    text_joined(content, "\n")
}

/// The tool names, once the tools that depend on the client's capabilities are registered
/// (the server adds them just after `notifications/initialized`).
async fn tools_once_listed(client: &Client, wanted: &str) -> Vec<String> {
    for _ in 0..50 {
        let names = tool_names(client).await;
        if names.iter().any(|n| n == wanted) {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never listed {wanted}");
}

#[tokio::test]
async fn auto_falls_back_to_the_handshake_and_everything_works() {
    let (client, child) = start(Era::Auto).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
    assert_eq!(client.server_info().name, "mcp-servers/everything");
    assert!(client.instructions().is_some());

    let tools = tools_once_listed(&client, "trigger-sampling-request").await;
    assert!(tools.iter().any(|t| t == "echo"), "{tools:?}");

    let echoed = client
        .call_tool("echo", json!({"message": "hello everything"}))
        .await
        .unwrap();
    assert_ne!(echoed.is_error, Some(true), "{echoed:?}");
    assert!(
        text(&echoed.content).contains("hello everything"),
        "{echoed:?}"
    );

    // The tool sends sampling/createMessage to the client; the callback's text comes back.
    let sampled = client
        .call_tool(
            "trigger-sampling-request",
            json!({"prompt": "Say something", "maxTokens": 20}),
        )
        .await
        .unwrap();
    assert_ne!(sampled.is_error, Some(true), "{sampled:?}");
    assert!(text(&sampled.content).contains(SAMPLED), "{sampled:?}");

    client.ping().await.unwrap();
    stop(client, child).await;
}

#[tokio::test]
async fn handshake_elicitation_resources_and_progress() {
    let (client, child) = start(Era::Handshake(ProtocolVersion::V2025_06_18)).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_06_18);

    tools_once_listed(&client, "trigger-elicitation-request").await;
    let elicited = client
        .call_tool("trigger-elicitation-request", json!({}))
        .await
        .unwrap();
    assert_ne!(elicited.is_error, Some(true), "{elicited:?}");
    assert!(
        text(&elicited.content).to_lowercase().contains("accept"),
        "{elicited:?}"
    );

    let resources = client.list_resources().await.unwrap();
    let first = resources.first().expect("the server lists resources");
    let read = client.read_resource(first.uri.clone()).await.unwrap();
    assert_eq!(read.contents[0].uri(), first.uri);
    assert!(matches!(
        read.contents[0],
        ResourceContents::Text(_) | ResourceContents::Blob(_)
    ));
    assert!(!client.list_prompts().await.unwrap().is_empty());
    assert!(!client.list_resource_templates().await.unwrap().is_empty());

    // Progress notifications reach subscribers when the request carries a token.
    let mut notifications = client.notifications();
    let request = ClientRequest::from_parts(
        "tools/call",
        Some(json!({
            "name": "trigger-long-running-operation",
            "arguments": {"duration": 1, "steps": 2},
            "_meta": {"progressToken": "turret-progress"}
        })),
    )
    .unwrap();
    let result = client.request(request).await.unwrap();
    assert!(
        matches!(result, ServerResult::CallTool(ref r) if r.is_error != Some(true)),
        "{result:?}"
    );
    let mut progress = 0;
    while let Ok(n) = notifications.try_recv() {
        if let ServerNotification::Progress(p) = n {
            assert_eq!(p.progress_token, "turret-progress".into());
            progress += 1;
        }
    }
    assert!(progress >= 2, "saw {progress} progress notifications");

    stop(client, child).await;
}

async fn stop(client: Client, child: ChildHandle) {
    // The server exits on its own once its stdin closes: no signal needed.
    let status = stop_child(client, child).await;
    assert!(
        status.code().is_some(),
        "the server had to be killed: {status}"
    );
}
