//! Third-party clients against `fixture_server --http`: the Python `mcp` and `fastmcp`
//! clients (through `../shared/harness/pyclient_check.py`) in each protocol mode, and the
//! MCP Inspector CLI listing, calling, reading and getting.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

fn pyclient_check(mode: &str) {
    let server = fixture::HttpFixture::start();
    let python = fixture::harness_program("py/bin/python");
    let script = fixture::shared_dir().join("harness/pyclient_check.py");
    let output = fixture::run_with_timeout(
        Command::new(python).arg(script).args([
            "--url",
            &server.url,
            "--mode",
            mode,
            "--tool",
            "test_simple_text",
            "--resource",
            "test://static-text",
            "--prompt",
            "test_simple_prompt",
        ]),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        output.status.success() && last.starts_with("pyclient: ") && last.ends_with(" 0 failed"),
        "pyclient_check.py --mode {mode}: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
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

/// `inspector --cli --format json URL <args>`, parsed.
fn inspect(server: &fixture::HttpFixture, args: &[&str]) -> Value {
    let inspector = fixture::harness_program("npm/node_modules/.bin/inspector");
    let output = fixture::run_with_timeout(
        Command::new(inspector)
            .args(["--cli", "--format", "json", &server.url])
            .args(args)
            .env("PATH", fixture::harness_path_env()),
        Duration::from_secs(120),
    );
    let report = format!(
        "inspector {args:?}: {}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    let value: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {report}"));
    // `--format json` wraps the MCP result in {"result": …}.
    value.get("result").cloned().unwrap_or(value)
}

#[test]
fn the_inspector_lists_calls_reads_and_gets_over_http() {
    let server = fixture::HttpFixture::start();
    let tools = inspect(&server, &["--method", "tools/list"]);
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .expect("a tools array")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"test_simple_text") && names.contains(&"test_sampling"),
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
