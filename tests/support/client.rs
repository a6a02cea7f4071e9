//! Client-side helpers the `client_*` tests share: reading a result's text, listing tool
//! names, and starting and stopping a server run as a child process.
//!
//! Include with `#[path = "support/client.rs"] mod client;`.
// Each test binary that includes this file uses only some of it; the rest would warn.
#![allow(dead_code, unreachable_pub)]

use std::process::ExitStatus;
use std::time::Duration;

use turret::client::{Client, ClientBuilder};
use turret::transport::{ChildHandle, ChildProcess};
use turret::types::{
    ContentBlock, CreateMessageResult, ElicitAction, ElicitResult, Role, SamplingContent,
};

/// The text blocks of `content`, concatenated.
pub fn text(content: &[ContentBlock]) -> String {
    text_joined(content, "")
}

/// The text blocks of `content`, joined with `separator`.
pub fn text_joined(content: &[ContentBlock], separator: &str) -> String {
    content
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect::<Vec<_>>()
        .join(separator)
}

/// The names of every tool the server lists.
pub async fn tool_names(client: &Client) -> Vec<String> {
    client
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

/// Spawns `server` and connects `builder` to it, failing the test (naming the server as
/// `name`) if either fails or the connection takes more than a minute.
pub async fn start_child(
    server: ChildProcess,
    builder: ClientBuilder,
    name: &str,
) -> (Client, ChildHandle) {
    let (transport, child) = server
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {name}: {e:?}"));
    let client = tokio::time::timeout(Duration::from_secs(60), builder.connect(transport))
        .await
        .unwrap_or_else(|_| panic!("{name} answered within a minute"))
        .unwrap_or_else(|e| panic!("connect to {name}: {e:?}"));
    (client, child)
}

/// Closes the client, then shuts the server down (five seconds' grace per step); returns
/// how the server exited.
pub async fn stop_child(client: Client, child: ChildHandle) -> ExitStatus {
    client.close().await.unwrap();
    child.shutdown(Duration::from_secs(5)).await.unwrap()
}

/// A sampling answer from a pretend model.
pub fn canned_sample(text: &str) -> CreateMessageResult {
    CreateMessageResult {
        role: Role::Assistant,
        content: SamplingContent::One(ContentBlock::text(text)),
        model: "test-model".into(),
        stop_reason: Some("endTurn".into()),
        meta: None,
        extra: Default::default(),
    }
}

/// An elicitation answer accepting with `{"name": name}`.
pub fn accept(name: &str) -> ElicitResult {
    let mut content = turret::types::JsonObject::new();
    content.insert("name".into(), serde_json::json!(name));
    ElicitResult {
        action: ElicitAction::Accept,
        content: Some(content),
        meta: None,
        extra: Default::default(),
    }
}
