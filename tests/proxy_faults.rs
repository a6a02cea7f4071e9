//! A proxy's backends failing: a backend process killed mid-call, and a gateway where one
//! backend cannot start.

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;

use std::time::{Duration, Instant};

use client::text;
use serde_json::json;
use tokio::sync::mpsc;
use turret::client::{Client, Era};
use turret::proxy::config::McpServers;
use turret::proxy::{Backend, Gateway, Proxy};
use turret::transport::memory_pair;
use turret::types::ProtocolVersion;

const TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_backend_killed_mid_call_fails_the_call_and_the_next_one_reconnects() {
    for back in [
        Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE),
        Era::Sessionless,
    ] {
        let dir = std::env::temp_dir().join(format!("turret-proxy-kill-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join(format!("{back:?}.pid").replace(['(', ')', ' '], "_"));
        // The shell records its pid, then becomes the fixture server.
        let script = format!(
            "echo $$ > '{}'; exec '{}'",
            pidfile.display(),
            fixture::fixture_server().display()
        );
        let backend = Backend::command("sh").args(["-c", &script]);
        let proxy = Proxy::builder("fixture", backend)
            .backend_era(back)
            .timeout(TIMEOUT)
            .build();

        // The frontend's user is asked a question and never answers: the call is in flight
        // when the backend dies.
        let (asked, mut was_asked) = mpsc::unbounded_channel();
        let (server, transport) = memory_pair();
        tokio::spawn(turret::serve(proxy, server));
        let client = Client::builder()
            .era(Era::Handshake(ProtocolVersion::LATEST_HANDSHAKE))
            .on_elicitation(move |_| {
                let _ = asked.send(());
                std::future::pending()
            })
            .connect(transport)
            .await
            .unwrap();
        let started = Instant::now();
        let call = tokio::spawn({
            let client = client.clone();
            async move {
                client
                    .call_tool("test_elicitation", json!({"message": "?"}))
                    .await
            }
        });
        was_asked.recv().await.unwrap();
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let killed = std::process::Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap();
        assert!(killed.success());

        let err = call.await.unwrap().unwrap_err();
        assert!(
            started.elapsed() < TIMEOUT,
            "{back:?}: took {:?}",
            started.elapsed()
        );
        assert!(
            err.message()
                .contains("backend fixture closed the connection"),
            "{back:?}: {}",
            err.message()
        );
        let again = client
            .call_tool("test_simple_text", json!({}))
            .await
            .unwrap();
        assert_eq!(
            text(&again.content),
            "This is a simple text response for testing."
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test]
async fn a_gateway_serves_the_backends_that_work() {
    let remote = fixture::HttpFixture::start();
    let config = json!({"mcpServers": {
        "local": {"command": fixture::fixture_server()},
        "remote": {"url": remote.url, "transport": "streamable-http"},
        "ghost": {"command": "/nonexistent/turret-ghost-server", "args": ["--stdio"]},
    }});
    let config = McpServers::from_json(&config.to_string()).unwrap();
    let router = Gateway::from_config(&config).unwrap().into_router();
    let (server, transport) = memory_pair();
    tokio::spawn(turret::serve(router, server));
    let client = Client::builder().connect(transport).await.unwrap();

    let names = client::tool_names(&client).await;
    for served in ["local_test_simple_text", "remote_test_simple_text"] {
        assert!(names.contains(&served.to_owned()), "{served} in {names:?}");
        let result = client.call_tool(served, json!({})).await.unwrap();
        assert_eq!(
            text(&result.content),
            "This is a simple text response for testing."
        );
    }
    assert!(
        !names.iter().any(|n| n.starts_with("ghost")),
        "the broken backend's tools are hidden: {names:?}"
    );
    let err = client
        .call_tool("ghost_anything", json!({}))
        .await
        .unwrap_err();
    assert!(
        err.message().contains("backend ghost is unavailable"),
        "{}",
        err.message()
    );

    let status = client
        .read_resource(turret::proxy::STATUS_URI)
        .await
        .unwrap();
    let status: serde_json::Value = match &status.contents[0] {
        turret::types::ResourceContents::Text(t) => serde_json::from_str(&t.text).unwrap(),
        other => panic!("the status is text: {other:?}"),
    };
    let state = |name: &str| {
        status
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {status}"))
            .clone()
    };
    assert_eq!(state("local")["state"], "up");
    assert_eq!(state("remote")["state"], "up");
    let ghost = state("ghost");
    assert_eq!(ghost["state"], "down");
    assert!(ghost["error"]
        .as_str()
        .unwrap()
        .contains("could not start /nonexistent/turret-ghost-server"));
    assert!(ghost["failures"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_mcp_servers_entries_are_explained() {
    let cases = [
        (
            r#"{"mcpServers": {"a": {}}}"#,
            "server \"a\": needs \"command\"",
        ),
        (
            r#"{"mcpServers": {"a": {"command": "x", "url": "http://h/"}}}"#,
            "has both",
        ),
        (
            r#"{"mcpServers": {"a": {"url": "ftp://h/"}}}"#,
            "must be an http:// or https:// URL",
        ),
        (
            r#"{"mcpServers": {"a": {"url": "http://h/", "transport": "carrier-pigeon"}}}"#,
            "unknown transport \"carrier-pigeon\"",
        ),
        (
            r#"{"mcpServers": {"a": {"command": "x", "comand": "y"}}}"#,
            "unknown field `comand`",
        ),
        (
            r#"{"mcpServers": {"a": {"url": "http://h/", "headers": {"bad header": "v"}}}}"#,
            "not a valid HTTP header name",
        ),
        ("{\"mcpServers\": {\n  \"a\": [}", "line 2, column"),
    ];
    for (text, expected) in cases {
        let err = McpServers::from_json(text).unwrap_err().to_string();
        assert!(err.contains(expected), "{text}: {err}");
    }
}
