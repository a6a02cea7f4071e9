//! Third-party clients against `fixture_server --http`: the Python `mcp` and `fastmcp`
//! clients (through `../shared/harness/pyclient_check.py`) in each protocol mode, and the
//! MCP Inspector CLI listing, calling, reading and getting.

#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/peers.rs"]
mod peers;

const FIXTURE_PROBE: peers::Probe<'static> = peers::Probe {
    tool: "test_simple_text",
    resource: "test://static-text",
    prompt: "test_simple_prompt",
};

fn pyclient_check(mode: &str) {
    let server = fixture::HttpFixture::start();
    peers::pyclient_check(&server.url, mode, &FIXTURE_PROBE);
}

#[test]
fn python_clients_pass_on_the_handshake_era_over_http() {
    pyclient_check("legacy");
}

#[test]
fn python_clients_pass_on_2026_07_28_over_http() {
    pyclient_check("2026-07-28");
}

#[test]
fn python_clients_pass_when_negotiating_over_http() {
    pyclient_check("auto");
}

fn inspect(server: &fixture::HttpFixture, args: &[&str]) -> serde_json::Value {
    peers::inspector(&server.url, args)
}

#[test]
fn the_inspector_lists_calls_reads_and_gets_over_http() {
    let server = fixture::HttpFixture::start();
    let tools = inspect(&server, &["--method", "tools/list"]);
    let names = peers::tool_names(&tools);
    assert!(
        names.iter().any(|n| n == "test_simple_text") && names.iter().any(|n| n == "test_sampling"),
        "{names:?}"
    );

    let call = inspect(
        &server,
        &["--method", "tools/call", "--tool-name", "test_simple_text"],
    );
    assert_eq!(call["content"][0]["type"], "text");
    assert!(call["content"][0]["text"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));

    let read = inspect(
        &server,
        &["--method", "resources/read", "--uri", "test://static-text"],
    );
    assert_eq!(read["contents"][0]["uri"], "test://static-text");
    assert_eq!(read["contents"][0]["mimeType"], "text/plain");

    let prompt = inspect(
        &server,
        &[
            "--method",
            "prompts/get",
            "--prompt-name",
            "test_prompt_with_arguments",
            "--prompt-args",
            "arg1=alpha",
            "arg2=beta",
        ],
    );
    let text = prompt["messages"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("alpha") && text.contains("beta"), "{prompt}");
}
