//! The client against a Python FastMCP 4.2.3 server over stdio, in each era FastMCP speaks.
//!
//! FastMCP 4.2.3 (on the `mcp` 2.3 SDK) is dual-era on stdio: the first message fixes the
//! era of the process. A `server/discover` carrying 2026-07-28 makes it modern (it then
//! refuses `initialize` with -32022); an `initialize` makes it a handshake-era server.
//!
//! Needs the external harness (`../shared/harness/setup.sh`), which CI installs.

#[path = "support/client.rs"]
mod client;
#[path = "support/fixture.rs"]
mod fixture;

use std::path::PathBuf;
use std::time::Duration;

use client::{start_child, stop_child, text, tool_names};
use serde_json::json;
use turret::client::{Client, ClientBuilder, Era};
use turret::transport::{ChildHandle, ChildProcess};
use turret::types::{ElicitAction, ElicitResult, JsonObject, ProtocolVersion, ResourceContents};

/// A FastMCP server: a tool, a resource, and two tools that ask the user for a name, one
/// per era (`ctx.elicit` on the handshake era; the multi round-trip guard pattern, returning
/// an `InputRequiredResult`, on 2026-07-28).
const SERVER: &str = r#"
import mcp_types
from fastmcp import Context, FastMCP

mcp = FastMCP("fastmcp-fixture")


@mcp.tool
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@mcp.resource("data://greeting", mime_type="text/plain")
def greeting() -> str:
    return "hello from fastmcp"


@mcp.tool
async def ask_name_legacy(ctx: Context) -> str:
    """Asks the user's name with a server-initiated request (handshake era)."""
    answer = await ctx.elicit("What is your name?", response_type=str)
    if answer.action != "accept":
        return f"no name ({answer.action})"
    return f"hello {answer.data}"


@mcp.tool
async def ask_name_modern(ctx: Context):
    """Asks the user's name with an input_required round (2026-07-28)."""
    responses = ctx.input_responses or {}
    answer = responses.get("name")
    if answer is None:
        schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
        request = mcp_types.ElicitRequest(
            params=mcp_types.ElicitRequestFormParams(message="What is your name?", requested_schema=schema)
        )
        return mcp_types.InputRequiredResult(input_requests={"name": request}, request_state="round-1")
    return f"hello {answer.content['name']} (state {ctx.request_state})"


if __name__ == "__main__":
    mcp.run(show_banner=False)
"#;

fn script() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("client_fastmcp");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fastmcp_fixture.py");
    // Written to a new name and renamed, so tests running in parallel never see half a file.
    let partial = dir.join(format!(
        "fastmcp_fixture.{}.{:?}.tmp",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&partial, SERVER).unwrap();
    std::fs::rename(&partial, &path).unwrap();
    path
}

/// Fills every property of the requested schema with `name`, as a user would.
fn fill_form(schema: Option<&JsonObject>, name: &str) -> ElicitResult {
    let mut content = JsonObject::new();
    let properties = schema
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.as_object());
    for key in properties.into_iter().flat_map(|p| p.keys()) {
        content.insert(key.clone(), json!(name));
    }
    ElicitResult {
        action: ElicitAction::Accept,
        content: Some(content),
        meta: None,
        extra: Default::default(),
    }
}

fn builder(era: Era) -> ClientBuilder {
    Client::builder()
        .era(era)
        // Python takes a while to start; a slow start must not look like a legacy server.
        .probe_timeout(Duration::from_secs(20))
        .on_elicitation(
            |params| async move { Ok(fill_form(params.requested_schema.as_ref(), "Ada")) },
        )
}

async fn start(era: Era) -> (Client, ChildHandle) {
    let server = ChildProcess::new(fixture::harness_program("py/bin/python"))
        .arg(script())
        .env("FASTMCP_LOG_LEVEL", "WARNING");
    start_child(server, builder(era), "the FastMCP server").await
}

async fn stop(client: Client, child: ChildHandle) {
    let status = stop_child(client, child).await;
    assert!(
        status.success(),
        "FastMCP exited with {status} after its stdin closed"
    );
}

async fn list_call_read(client: &Client) {
    assert_eq!(client.server_info().name, "fastmcp-fixture");
    let tools = tool_names(client).await;
    assert!(tools.iter().any(|t| t == "add"), "{tools:?}");
    let result = client
        .call_tool("add", json!({"a": 19, "b": 23}))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(text(&result.content), "42");
    let resources = client.list_resources().await.unwrap();
    assert!(
        resources.iter().any(|r| r.uri == "data://greeting"),
        "{resources:?}"
    );
    let read = client.read_resource("data://greeting").await.unwrap();
    assert!(
        matches!(&read.contents[0], ResourceContents::Text(t) if t.text == "hello from fastmcp"),
        "{read:?}"
    );
}

#[tokio::test]
async fn handshake_era_lists_calls_reads_and_answers_elicitation() {
    for version in [ProtocolVersion::V2025_11_25, ProtocolVersion::V2025_06_18] {
        let (client, child) = start(Era::Handshake(version)).await;
        assert_eq!(client.protocol_version(), version);
        list_call_read(&client).await;
        client.ping().await.unwrap();
        let result = client
            .call_tool("ask_name_legacy", json!({}))
            .await
            .unwrap();
        assert_eq!(text(&result.content), "hello Ada", "{result:?}");
        stop(client, child).await;
    }
}

#[tokio::test]
async fn sessionless_era_lists_calls_reads_and_answers_input_required() {
    let (client, child) = start(Era::Sessionless).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    list_call_read(&client).await;
    // FastMCP's guard tool answers input_required; the client answers and retries on its own.
    let result = client
        .call_tool("ask_name_modern", json!({}))
        .await
        .unwrap();
    assert_eq!(
        text(&result.content),
        "hello Ada (state round-1)",
        "{result:?}"
    );
    stop(client, child).await;
}

#[tokio::test]
async fn auto_picks_the_sessionless_era() {
    let (client, child) = start(Era::Auto).await;
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    list_call_read(&client).await;
    stop(client, child).await;
}
