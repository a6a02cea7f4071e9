//! The tool-search example through the Python `mcp` client, over stdio and over streamable
//! HTTP: the list is the meta-tools and the pin, `search_tools` finds by what a tool does and
//! answers structured content, `call_tool` calls what it found, a query nothing serves gets
//! an empty list, bad arguments (empty or 105 KB query, limit 10,000) are tool errors, and
//! an unknown tool and the tool a filter hides are neither found nor callable (-32602).

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// Run in the harness venv against `sys.argv[1:]` (`--stdio PATH` or `--url URL`): prints
/// one JSON object of what the client saw.
const SCRIPT: &str = r#"
import asyncio, json, sys
from mcp import Client
from mcp.client.stdio import StdioServerParameters

def text(r):
    return r.content[0].text if r.content else ""

async def main(kind, where):
    target = where if kind == "--url" else StdioServerParameters(command=where, args=[])
    out = {}
    async with Client(target) as c:
        out["listed"] = [t.name for t in (await c.list_tools()).tools]
        r = await c.call_tool("search_tools", {"query": "get the weather forecast", "limit": 3})
        out["found"] = r.structured_content
        out["found_text"] = text(r)
        r = await c.call_tool("call_tool", {"name": "weather_forecast", "arguments": {"city": "Oslo"}})
        out["called"] = [text(r), bool(r.is_error)]
        r = await c.call_tool("search_tools", {"query": "book a flight to Lisbon"})
        out["none"] = [r.structured_content, text(r)]
        r = await c.call_tool("search_tools", {"query": "reset the database"})
        out["hidden_search"] = r.structured_content
        r = await c.call_tool("search_tools", {"query": ""})
        out["empty"] = [text(r), bool(r.is_error)]
        r = await c.call_tool("search_tools", {"query": "todo", "limit": 10000})
        out["limit"] = [text(r), bool(r.is_error)]
        r = await c.call_tool("search_tools", {"query": "weather " * 15000})
        out["long"] = [text(r), bool(r.is_error)]
        try:
            r = await c.call_tool("call_tool", {"name": "no_such_tool"})
            out["unknown_call"] = ["answered", text(r)]
        except Exception as e:
            out["unknown_call"] = ["refused", str(e)]
        try:
            r = await c.call_tool("call_tool", {"name": "admin_reset_database"})
            out["hidden_call"] = ["answered", text(r)]
        except Exception as e:
            out["hidden_call"] = ["refused", str(e)]
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"#;

fn seen(target: [&str; 2]) -> Value {
    let python = fixture::harness_program("py/bin/python");
    let output = fixture::run_with_timeout(
        Command::new(python).arg("-c").arg(SCRIPT).args(target),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn check(seen: &Value) {
    assert_eq!(
        seen["listed"],
        serde_json::json!(["search_tools", "call_tool", "todos_list"])
    );
    let found = seen["found"]["tools"].as_array().expect("structured tools");
    assert!(!found.is_empty() && found.len() <= 3, "{found:?}");
    assert_eq!(found[0]["name"], "weather_forecast", "{found:?}");
    assert!(found[0]["inputSchema"]["properties"]["city"].is_object());
    assert!(found[0]["score"].as_f64().unwrap() > 0.3);
    assert!(seen["found_text"]
        .as_str()
        .unwrap()
        .contains("- weather_forecast ("));
    assert_eq!(
        seen["called"],
        serde_json::json!(["Oslo: rain tomorrow", false])
    );
    assert_eq!(seen["none"][0]["tools"], serde_json::json!([]));
    assert!(seen["none"][1]
        .as_str()
        .unwrap()
        .starts_with("No tool fits"));
    let hidden = seen["hidden_search"]["tools"].as_array().unwrap();
    assert!(
        hidden.iter().all(|t| t["name"] != "admin_reset_database"),
        "{hidden:?}"
    );
    assert_eq!(seen["empty"][1], true, "{}", seen["empty"]);
    assert!(seen["empty"][0]
        .as_str()
        .unwrap()
        .contains("`query` is empty"));
    assert_eq!(seen["limit"][1], true, "{}", seen["limit"]);
    assert!(seen["limit"][0].as_str().unwrap().contains("from 1 to 50"));
    assert_eq!(seen["long"][1], true, "{}", seen["long"]);
    assert!(seen["long"][0].as_str().unwrap().contains("at most 4096"));
    assert_eq!(
        seen["unknown_call"][0], "refused",
        "{}",
        seen["unknown_call"]
    );
    assert!(seen["unknown_call"][1]
        .as_str()
        .unwrap()
        .contains("unknown tool: no_such_tool"));
    assert_eq!(seen["hidden_call"][0], "refused", "{}", seen["hidden_call"]);
    assert!(
        seen["hidden_call"][1]
            .as_str()
            .unwrap()
            .contains("unknown tool: admin_reset_database"),
        "{}",
        seen["hidden_call"]
    );
}

#[test]
fn the_python_client_searches_and_calls_over_stdio() {
    let example = fixture::example("tool_search");
    check(&seen(["--stdio", &example.display().to_string()]));
}

#[test]
fn the_python_client_searches_and_calls_over_http() {
    let server = fixture::HttpFixture::spawn(
        Command::new(fixture::example("tool_search")).args(["--http", "127.0.0.1:0"]),
        "serving ",
    );
    check(&seen(["--url", &server.url]));
}
