//! The client over HTTP against a Python FastMCP 4.2.3 server on 127.0.0.1: its streamable
//! HTTP endpoint in both eras (FastMCP serves the handshake era and 2026-07-28 on one
//! endpoint), and its old HTTP+SSE endpoint, both directly and as the fallback of a client
//! that was given the SSE URL.
//!
//! Needs the external harness (`../shared/harness/setup.sh`), which CI installs.

#[path = "support/fixture.rs"]
mod fixture;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use turret::client::{Client, ClientBuilder, Era};
use turret::transport::{LegacySseClient, StreamableHttpClient};
use turret::types::{ContentBlock, ElicitAction, ElicitResult, JsonObject, ProtocolVersion};
use turret::Transport;

/// A FastMCP server with a tool, a resource, a prompt, and a tool that asks the user for a
/// name (a server request on the handshake era; an `input_required` round on 2026-07-28).
/// It binds 127.0.0.1 on a free port, prints the port, then serves the transport named by
/// its first argument (`http` or `sse`).
const SERVER: &str = r#"
import socket
import sys

import mcp_types
from fastmcp import Context, FastMCP

mcp = FastMCP("fastmcp-http-fixture")


@mcp.tool
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@mcp.resource("data://greeting", mime_type="text/plain")
def greeting() -> str:
    return "hello over http"


@mcp.prompt
def greet(name: str) -> str:
    """Greets someone."""
    return f"Please greet {name}."


@mcp.tool
async def ask_name(ctx: Context):
    """Asks the user's name, the way the session's era allows."""
    if ctx.input_responses is not None or ctx.request_state is not None:
        answer = (ctx.input_responses or {}).get("name")
        return f"hello {answer.content['name']} (state {ctx.request_state})"
    try:
        answer = await ctx.elicit("What is your name?", response_type=str)
    except Exception:
        schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
        request = mcp_types.ElicitRequest(
            params=mcp_types.ElicitRequestFormParams(message="What is your name?", requested_schema=schema)
        )
        return mcp_types.InputRequiredResult(input_requests={"name": request}, request_state="round-1")
    return f"hello {answer.data}" if answer.action == "accept" else f"no name ({answer.action})"


if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    print(sock.getsockname()[1], flush=True)
    mcp.run(transport=sys.argv[1], show_banner=False, log_level="warning", sockets=[sock])
"#;

fn script() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("http_client_fastmcp");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fastmcp_http_fixture.py");
    // Written to a new name and renamed, so tests running in parallel never see half a file.
    let partial = dir.join(format!(
        "fastmcp_http_fixture.{}.{:?}.tmp",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&partial, SERVER).unwrap();
    std::fs::rename(&partial, &path).unwrap();
    path
}

/// The running server; killed when dropped.
struct Server {
    child: Child,
    /// Kept open, so the server never writes to a closed pipe.
    _stdout: BufReader<tokio::process::ChildStdout>,
    base: String,
}

/// Starts the server with `transport` (`http` or `sse`) and waits until it listens.
async fn start(transport: &str) -> Server {
    let mut child = Command::new(fixture::harness_program("py/bin/python"))
        .arg(script())
        .arg(transport)
        .env("FASTMCP_LOG_LEVEL", "WARNING")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("run the FastMCP server");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(60), stdout.read_line(&mut line))
        .await
        .expect("the FastMCP server started within a minute")
        .expect("read the FastMCP server's port");
    let port: u16 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the FastMCP server printed {line:?}, not its port"));
    Server {
        child,
        _stdout: stdout,
        base: format!("http://127.0.0.1:{port}"),
    }
}

impl Server {
    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn builder(era: Era) -> ClientBuilder {
    Client::builder()
        .era(era)
        .probe_timeout(Duration::from_secs(20))
        .on_elicitation(|params| async move {
            let mut content = JsonObject::new();
            let properties = params
                .requested_schema
                .as_ref()
                .and_then(|s| s.get("properties"))
                .and_then(|p| p.as_object());
            for key in properties.into_iter().flat_map(|p| p.keys()) {
                content.insert(key.clone(), json!("Ada"));
            }
            Ok(ElicitResult {
                action: ElicitAction::Accept,
                content: Some(content),
                meta: None,
                extra: Default::default(),
            })
        })
}

async fn connect(transport: Transport, era: Era) -> Client {
    tokio::time::timeout(Duration::from_secs(60), builder(era).connect(transport))
        .await
        .expect("connected within a minute")
        .expect("connected to FastMCP")
}

fn text(content: &[ContentBlock]) -> String {
    content.iter().filter_map(ContentBlock::as_text).collect()
}

/// Lists, calls, reads, gets a prompt and answers an elicitation (a server request on the
/// handshake era, an `input_required` round on 2026-07-28).
async fn exercise(client: &Client) {
    let mut names: Vec<_> = client
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    assert_eq!(names, ["add", "ask_name"]);
    let sum = client
        .call_tool("add", json!({"a": 2, "b": 3}))
        .await
        .unwrap();
    assert_eq!(text(&sum.content), "5");
    let read = client.read_resource("data://greeting").await.unwrap();
    let body = serde_json::to_value(&read.contents[0]).unwrap();
    assert_eq!(body["text"], "hello over http");
    let prompt = client
        .get_prompt("greet", json!({"name": "Grace"}))
        .await
        .unwrap();
    let message = serde_json::to_value(&prompt.messages[0]).unwrap();
    assert!(
        message.to_string().contains("Please greet Grace."),
        "{message}"
    );
    let asked = client.call_tool("ask_name", json!({})).await.unwrap();
    let expected = if client.protocol_version().is_sessionless() {
        "hello Ada (state round-1)"
    } else {
        "hello Ada"
    };
    assert_eq!(text(&asked.content), expected);
}

#[tokio::test]
async fn handshake_era_over_streamable_http() {
    let server = start("http").await;
    let transport = StreamableHttpClient::new(format!("{}/mcp", server.base))
        .connect()
        .unwrap();
    let client = connect(transport, Era::Handshake(ProtocolVersion::V2025_11_25)).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2025_11_25);
    exercise(&client).await;
    client.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn sessionless_era_over_streamable_http() {
    let server = start("http").await;
    let transport = StreamableHttpClient::new(format!("{}/mcp", server.base))
        .connect()
        .unwrap();
    let client = connect(transport, Era::Sessionless).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    assert_eq!(client.server_info().name, "fastmcp-http-fixture");
    exercise(&client).await;
    client.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn auto_picks_2026_07_28() {
    let server = start("http").await;
    let transport = StreamableHttpClient::new(format!("{}/mcp", server.base))
        .connect()
        .unwrap();
    let client = connect(transport, Era::Auto).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    client.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn old_http_sse_transport() {
    let server = start("sse").await;
    let url = format!("{}/sse", server.base);

    let transport = LegacySseClient::new(&url).connect().await.unwrap();
    let client = connect(transport, Era::Handshake(ProtocolVersion::V2025_11_25)).await;
    exercise(&client).await;
    client.close().await.unwrap();

    // Given the SSE URL, the streamable client finds out on its own.
    let transport = StreamableHttpClient::new(&url).connect().unwrap();
    let client = connect(transport, Era::Auto).await;
    assert!(!client.protocol_version().is_sessionless());
    exercise(&client).await;
    client.close().await.unwrap();
    server.stop().await;
}
