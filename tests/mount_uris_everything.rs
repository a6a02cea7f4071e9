//! Every URI the reference server `mcp-server-everything` sends comes out of a gateway as
//! the mounted URI, and reads back through it: resource links in tool results, resources
//! embedded in prompt messages, and `notifications/resources/updated` for a subscription.
//!
//! Needs the external harness (`../shared/harness/setup.sh`), which CI installs.

#[path = "support/fixture.rs"]
mod fixture;

use std::time::Duration;

use serde_json::json;
use turret::client::{Client, Era};
use turret::proxy::{Backend, Proxy};
use turret::transport::memory_pair;
use turret::types::{
    ClientRequest, ContentBlock, ProtocolVersion, ResourceContents, ResourceUriParams,
    ServerNotification,
};
use turret::Router;

/// Where the mounted server's URIs live: `demo://…` becomes `demo://ev/…`.
const MOUNTED: &str = "demo://ev/";

/// A gateway (a router mounting a proxy of the server under `ev`) and a client of it
/// speaking `era`.
async fn gateway(era: Era) -> Client {
    let program = fixture::harness_program("npm/node_modules/.bin/mcp-server-everything");
    let path = fixture::harness_path_env().to_string_lossy().into_owned();
    let backend = Backend::command(program.display().to_string()).env("PATH", path);
    let router = Router::new().mount("ev", Proxy::new("everything", backend));
    let (server, client) = memory_pair();
    tokio::spawn(turret::serve(router, server));
    Client::builder().era(era).connect(client).await.unwrap()
}

fn contents_uri(contents: &ResourceContents) -> &str {
    match contents {
        ResourceContents::Text(t) => &t.uri,
        ResourceContents::Blob(b) => &b.uri,
    }
}

/// Reads `uri` through the gateway and checks the answer names the same URI.
async fn reads_back(client: &Client, uri: &str) {
    let read = client
        .read_resource(uri)
        .await
        .unwrap_or_else(|e| panic!("reading {uri} through the gateway: {e}"));
    assert!(!read.contents.is_empty(), "{uri} read as nothing");
    for c in &read.contents {
        assert_eq!(contents_uri(c), uri, "a read of {uri} names another URI");
    }
}

#[tokio::test]
async fn prompt_and_tool_uris_read_back_through_the_gateway() {
    let client = gateway(Era::Auto).await;

    let prompt = client
        .get_prompt(
            "ev_resource-prompt",
            json!({"resourceType": "Text", "resourceId": "2"}),
        )
        .await
        .unwrap();
    let embedded: Vec<&str> = prompt
        .messages
        .iter()
        .filter_map(|m| match &m.content {
            ContentBlock::Resource(r) => Some(contents_uri(&r.resource)),
            _ => None,
        })
        .collect();
    assert!(
        !embedded.is_empty(),
        "the prompt embeds no resource: {prompt:?}"
    );
    for uri in embedded {
        assert!(
            uri.starts_with(MOUNTED),
            "prompt resource not mounted: {uri}"
        );
        reads_back(&client, uri).await;
    }

    let links = client
        .call_tool("ev_get-resource-links", json!({"count": 3}))
        .await
        .unwrap();
    let linked: Vec<&str> = links
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ResourceLink(l) => Some(l.uri.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(linked.len(), 3, "{links:?}");
    for uri in linked {
        assert!(uri.starts_with(MOUNTED), "resource link not mounted: {uri}");
        reads_back(&client, uri).await;
    }
}

#[tokio::test]
async fn resource_updates_carry_the_mounted_uri() {
    // `resources/subscribe` is a handshake-era method.
    let client = gateway(Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE)).await;
    let resource = client
        .list_resources()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.uri.starts_with(MOUNTED))
        .expect("the gateway lists the server's resources");
    let mut notifications = client.notifications();
    client
        .request(ClientRequest::Subscribe(ResourceUriParams {
            uri: resource.uri.clone(),
            meta: None,
            extra: Default::default(),
        }))
        .await
        .unwrap();
    // The server sends updates for its sessions' subscriptions every few seconds once asked.
    client
        .call_tool("ev_toggle-subscriber-updates", json!({}))
        .await
        .unwrap();
    let updated = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let ServerNotification::ResourceUpdated(p) = notifications.recv().await.unwrap() {
                return p.uri;
            }
        }
    })
    .await
    .expect("no resources/updated within 30 s");
    assert_eq!(updated, resource.uri);
}
