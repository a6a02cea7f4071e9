//! The reference server `mcp-server-everything` behind a gateway (a router mounting a
//! proxy of it) against the same server connected directly:
//!
//! * every URI it sends comes out as the mounted URI and reads back through the gateway:
//!   resource links in tool results, resources embedded in prompt messages, and
//!   `notifications/resources/updated` for a subscription;
//! * a client sees through the gateway the tools it sees directly, with or without
//!   sampling, elicitation (form and URL) and roots: the backend session declares what the
//!   client declared;
//! * the roots the server asks for in a tool call are the client's (roots asked outside any
//!   request are `gateway_filesystem.rs`'s: this server asks again in the call, so it would
//!   pass without them);
//! * form and URL elicitation, progress and log messages reach the client.
//!
//! Needs the external harness (`../shared/harness/setup.sh`), which CI installs.

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;

use std::collections::BTreeSet;

use std::time::Duration;

use client::{accept, canned_sample, start_child, stop_child, text, tool_names};
use serde_json::json;
use turret::client::{Client, ClientBuilder, Era};
use turret::proxy::{Backend, Proxy};
use turret::transport::{memory_pair, ChildProcess};
use turret::types::{
    ClientCapabilities, ClientRequest, ContentBlock, ListRootsResult, ProtocolVersion,
    ResourceContents, ResourceUriParams, Root, ServerNotification,
};
use turret::Router;

/// Where the mounted server's URIs live: `demo://…` becomes `demo://ev/…`.
const MOUNTED: &str = "demo://ev/";

/// The client's one root, as the server should report it.
const ROOT: &str = "file:///tmp/turret-gateway-root";

fn program() -> String {
    let program = fixture::harness_program("npm/node_modules/.bin/mcp-server-everything");
    program.display().to_string()
}

fn path_env() -> String {
    fixture::harness_path_env().to_string_lossy().into_owned()
}

/// A gateway (a router mounting a proxy of the server under `ev`) and `builder` connected
/// to it.
async fn gateway_with(builder: ClientBuilder) -> Client {
    let backend = Backend::command(program()).env("PATH", path_env());
    let router = Router::new().mount("ev", Proxy::new("everything", backend));
    let (server, client) = memory_pair();
    tokio::spawn(turret::serve(router, server));
    builder.connect(client).await.unwrap()
}

async fn gateway(era: Era) -> Client {
    gateway_with(Client::builder().era(era)).await
}

/// A handshake-era client that declares and answers sampling, form and URL elicitation
/// and roots (`full`), or declares nothing.
fn frontend(full: bool) -> ClientBuilder {
    let builder = Client::builder().era(Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE));
    if !full {
        return builder;
    }
    let mut elicitation = turret::types::JsonObject::new();
    elicitation.insert("form".into(), json!({}));
    elicitation.insert("url".into(), json!({}));
    builder
        .capabilities(ClientCapabilities {
            elicitation: Some(elicitation),
            ..Default::default()
        })
        .on_sampling(|_| async { Ok(canned_sample("sampled")) })
        .on_elicitation(|_| async { Ok(accept("Ada")) })
        .on_roots(|| async {
            Ok(ListRootsResult {
                roots: vec![Root {
                    uri: ROOT.into(),
                    name: Some("gateway test".into()),
                    meta: None,
                }],
                meta: None,
                extra: Default::default(),
            })
        })
}

/// The tools a client made by `builder` sees connected to the server directly.
async fn direct_tools(builder: ClientBuilder) -> BTreeSet<String> {
    let server = ChildProcess::new(program()).env("PATH", path_env());
    let (client, child) = start_child(server, builder, "mcp-server-everything").await;
    let names = tool_names(&client).await.into_iter().collect();
    stop_child(client, child).await;
    names
}

/// The tools the same client sees through the gateway, the namespace taken off.
async fn gateway_tools(client: &Client) -> BTreeSet<String> {
    tool_names(client)
        .await
        .into_iter()
        .filter_map(|n| n.strip_prefix("ev_").map(str::to_owned))
        .collect()
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

#[tokio::test]
async fn a_client_sees_through_the_gateway_what_it_sees_directly() {
    let bare_direct = direct_tools(frontend(false)).await;
    let full_direct = direct_tools(frontend(true)).await;
    // The server offers more to a client that can answer it: what this test compares.
    assert!(
        full_direct.contains("trigger-url-elicitation"),
        "{full_direct:?}"
    );
    assert!(
        !bare_direct.contains("trigger-sampling-request"),
        "{bare_direct:?}"
    );

    let bare = gateway_with(frontend(false)).await;
    assert_eq!(
        gateway_tools(&bare).await,
        bare_direct,
        "a client without capabilities"
    );
    let full = gateway_with(frontend(true)).await;
    assert_eq!(
        gateway_tools(&full).await,
        full_direct,
        "a client with every capability"
    );

    let sampled = full
        .call_tool("ev_trigger-sampling-request", json!({"prompt": "hello"}))
        .await
        .unwrap();
    assert!(text(&sampled.content).contains("sampled"), "{sampled:?}");
}

#[tokio::test]
async fn roots_asked_in_a_tool_call_are_the_clients() {
    let client = gateway_with(frontend(true)).await;
    let roots = client
        .call_tool("ev_get-roots-list", json!({}))
        .await
        .unwrap();
    assert!(text(&roots.content).contains(ROOT), "{roots:?}");
}

#[tokio::test]
async fn elicitation_progress_and_logs_cross_the_gateway() {
    use turret::types::{CallToolRequestParams, LoggingLevel, Meta, ProgressToken};

    let client = gateway_with(frontend(true)).await;
    let form = client
        .call_tool("ev_trigger-elicitation-request", json!({}))
        .await
        .unwrap();
    assert!(text(&form.content).contains("Ada"), "{form:?}");
    let url = client
        .call_tool(
            "ev_trigger-url-elicitation",
            json!({"url": "https://example.com/sign-in", "message": "Sign in"}),
        )
        .await
        .unwrap();
    assert!(
        text(&url.content).contains("completed the URL elicitation"),
        "{url:?}"
    );

    client.set_log_level(LoggingLevel::Debug).await.unwrap();
    let mut notifications = client.notifications();
    let mut meta = Meta::new();
    meta.insert("progressToken", "long");
    let mut arguments = turret::types::JsonObject::new();
    arguments.insert("duration".into(), json!(1));
    arguments.insert("steps".into(), json!(3));
    client
        .request(ClientRequest::CallTool(CallToolRequestParams {
            name: "ev_trigger-long-running-operation".into(),
            arguments: Some(arguments),
            meta: Some(meta),
            ..Default::default()
        }))
        .await
        .unwrap();
    let mut progress = Vec::new();
    while let Ok(n) = notifications.try_recv() {
        if let ServerNotification::Progress(p) = n {
            assert_eq!(p.progress_token, ProgressToken::String("long".into()));
            progress.push(p.progress);
        }
    }
    assert_eq!(
        progress,
        [1.0, 2.0, 3.0],
        "the operation's progress, in order"
    );

    client
        .call_tool("ev_toggle-simulated-logging", json!({}))
        .await
        .unwrap();
    let logged = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let ServerNotification::LoggingMessage(m) = notifications.recv().await.unwrap() {
                return m;
            }
        }
    })
    .await
    .expect("no log message within 30 s");
    assert!(!logged.data.is_null());
}
