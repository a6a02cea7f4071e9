//! `turret inspect` and `turret call` against real servers: the fixture server over stdio
//! (`-- <fixture_server>`) and over streamable HTTP on a loopback port, the quickstart
//! example (tools only), and servers that are not there or never answer.

#[path = "support/fixture.rs"]
mod fixture;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use fixture::HttpFixture;
use serde_json::{json, Value};

/// Runs `turret ARGS…` to completion (at most a minute).
fn turret<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(fixture::binary("turret-cli", "turret"));
    command.args(args);
    fixture::run_with_timeout(&mut command, Duration::from_secs(60))
}

/// `turret ARGS… -- <fixture_server>`: the fixture server over stdio.
fn turret_stdio(args: &[&str]) -> Output {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    all.push("--".as_ref());
    all.push(fixture::fixture_server().as_os_str());
    turret(all)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Checks the exit code, showing both streams when it is not the expected one; a panic is
/// never an acceptable way to fail.
#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "--- stdout ---\n{}\n--- stderr ---\n{}",
        stdout(output),
        stderr(output)
    );
    assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
}

/// Checks the exit code and that stderr says `message`.
#[track_caller]
fn assert_fails_with(output: &Output, code: i32, message: &str) {
    assert_exit(output, code);
    let stderr = stderr(output);
    assert!(
        stderr.contains(message),
        "stderr lacks {message:?}:\n{stderr}"
    );
}

/// The `inspect` text with the fixture server's version (the workspace's) redacted, so the
/// snapshot survives version bumps.
fn redact_version(text: &str) -> String {
    text.replace(
        concat!("turret-fixture-server ", env!("CARGO_PKG_VERSION")),
        "turret-fixture-server [version]",
    )
}

#[test]
fn inspect_over_stdio_shows_every_kind_of_primitive() {
    let output = turret_stdio(&["inspect"]);
    assert_exit(&output, 0);
    insta::assert_snapshot!("inspect_fixture_stdio", redact_version(&stdout(&output)));
}

#[test]
fn inspect_is_the_same_over_http_and_stdio() {
    let server = HttpFixture::start();
    let http = turret(["inspect", &server.url]);
    assert_exit(&http, 0);
    let stdio = turret_stdio(&["inspect"]);
    assert_exit(&stdio, 0);
    assert_eq!(stdout(&http), stdout(&stdio));
    assert!(stdout(&http).contains("Tools (28):"), "{}", stdout(&http));
}

#[test]
fn inspect_json_has_the_full_definitions() {
    let server = HttpFixture::start();
    let output = turret(["inspect", "--json", &server.url]);
    assert_exit(&output, 0);
    let listing: Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON value");
    assert_eq!(listing["serverInfo"]["name"], "turret-fixture-server");
    assert_eq!(listing["protocolVersion"], "2026-07-28");
    assert_eq!(listing["instructions"], Value::Null);
    let tools = listing["tools"].as_array().expect("tools is an array");
    assert_eq!(tools.len(), 28);
    let schema_tool = tools
        .iter()
        .find(|t| t["name"] == "json_schema_2020_12_tool")
        .expect("json_schema_2020_12_tool is listed");
    // The whole input schema, not a summary of it.
    assert_eq!(
        schema_tool["inputSchema"]["$defs"]["address"]["$anchor"],
        "addressDef"
    );
    assert_eq!(listing["resources"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        listing["resourceTemplates"][0]["uriTemplate"],
        "test://template/{id}/data"
    );
    let prompt = listing["prompts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "test_prompt_with_arguments")
        .expect("test_prompt_with_arguments is listed");
    assert_eq!(prompt["arguments"][0]["required"], true);
}

#[test]
fn inspect_json_over_stdio_matches_http() {
    let server = HttpFixture::start();
    let http = turret(["inspect", "--json", &server.url]);
    let stdio = turret_stdio(&["inspect", "--json"]);
    assert_exit(&http, 0);
    assert_exit(&stdio, 0);
    let parse = |o: &Output| serde_json::from_slice::<Value>(&o.stdout).expect("JSON");
    assert_eq!(parse(&http), parse(&stdio));
}

fn quickstart() -> &'static Path {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| fixture::example("quickstart"))
}

#[test]
fn a_server_without_resources_or_prompts_shows_empty_sections() {
    let output = turret(["inspect".as_ref(), "--".as_ref(), quickstart().as_os_str()]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.starts_with("Server:    quickstart "), "{text}");
    assert!(
        text.contains("Tools (1):\n  NAME  DESCRIPTION\n  add   Adds two numbers\n"),
        "{text}"
    );
    assert!(text.contains("\nResources (0): none\n"), "{text}");
    assert!(text.contains("\nResource templates (0): none\n"), "{text}");
    assert!(text.contains("\nPrompts (0): none\n"), "{text}");

    let output = turret([
        "inspect".as_ref(),
        "--json".as_ref(),
        "--".as_ref(),
        quickstart().as_os_str(),
    ]);
    assert_exit(&output, 0);
    let listing: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(listing["prompts"], json!([]));
    assert_eq!(listing["resources"], json!([]));
    assert_eq!(listing["resourceTemplates"], json!([]));
}

#[test]
fn call_over_http_prints_the_text() {
    let server = HttpFixture::start();
    let output = turret(["call", &server.url, "test_simple_text"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "This is a simple text response for testing.\n"
    );
}

#[test]
fn call_numbers_from_key_values() {
    let output = turret([
        "call".as_ref(),
        "add".as_ref(),
        "a=1.5".as_ref(),
        "b=2".as_ref(),
        "--".as_ref(),
        quickstart().as_os_str(),
    ]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "3.5\n");
}

/// The arguments the fixture's `json_schema_2020_12_tool` received, from its echo.
fn echoed_arguments(output: &Output) -> Value {
    let text = stdout(output);
    let echoed = text
        .trim_end()
        .strip_prefix("Received arguments: ")
        .unwrap_or_else(|| panic!("not an echo: {text}"));
    serde_json::from_str(echoed).expect("the echo is JSON")
}

#[test]
fn key_values_are_json_when_they_parse_over_stdio() {
    let output = turret_stdio(&[
        "call",
        "json_schema_2020_12_tool",
        "name=Ada Lovelace",
        "phone=\"0123\"",
        "address={\"city\": \"London\"}",
        "contactMethod=phone",
    ]);
    assert_exit(&output, 0);
    assert_eq!(
        echoed_arguments(&output),
        json!({"name": "Ada Lovelace", "phone": "0123", "address": {"city": "London"},
               "contactMethod": "phone"})
    );
}

#[test]
fn json_arguments_over_http() {
    let server = HttpFixture::start();
    let arguments = json!({"name": "Ada", "address": {"street": "1 Main St"}, "n": [1, 2.5]});
    let output = turret([
        "call",
        &server.url,
        "json_schema_2020_12_tool",
        "--json",
        &arguments.to_string(),
    ]);
    assert_exit(&output, 0);
    assert_eq!(echoed_arguments(&output), arguments);
}

#[test]
fn a_tool_error_exits_1_over_both_transports() {
    let server = HttpFixture::start();
    for output in [
        turret(["call", &server.url, "test_error_handling"]),
        turret_stdio(&["call", "test_error_handling"]),
    ] {
        assert_fails_with(&output, 1, "test_error_handling reported an error");
        assert_eq!(
            stdout(&output),
            "This tool intentionally returns an error for testing\n"
        );
    }
}

#[test]
fn an_unknown_tool_exits_2_with_the_servers_message() {
    let server = HttpFixture::start();
    for output in [
        turret(["call", &server.url, "no_such_tool"]),
        turret_stdio(&["call", "no_such_tool", "x=1"]),
    ] {
        assert_fails_with(&output, 2, "turret call: calling no_such_tool on ");
        assert_fails_with(&output, 2, "unknown tool: no_such_tool (code -32602)");
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn other_blocks_are_summarized() {
    let output = turret_stdio(&["call", "test_multiple_content_types"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "Multiple content types test:\n[image image/png, 69 bytes]\n\
         [resource test://mixed-content-resource application/json]\n\
         {\"test\":\"data\",\"value\":123}\n"
    );
    let output = turret_stdio(&["call", "test_audio_content"]);
    assert_exit(&output, 0);
    // 800 samples of 16-bit mono PCM and the 44-byte header.
    assert_eq!(stdout(&output), "[audio audio/wav, 1644 bytes]\n");
}

#[test]
fn raw_prints_the_whole_result_as_json() {
    let server = HttpFixture::start();
    let output = turret(["call", "--raw", &server.url, "test_error_handling"]);
    assert_exit(&output, 1);
    let result: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(result["isError"], true);
    assert_eq!(
        result["content"],
        json!([{"type": "text", "text": "This tool intentionally returns an error for testing"}])
    );
}

/// A loopback URL where nothing listens (the port was just free).
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/mcp")
}

#[test]
fn unreachable_servers_exit_2_naming_them() {
    let url = dead_url();
    let output = turret(["inspect", &url]);
    assert_fails_with(
        &output,
        2,
        &format!("turret inspect: cannot connect to {url}"),
    );

    let output = turret(["call", &url, "test_simple_text"]);
    assert_fails_with(&output, 2, &format!("turret call: cannot connect to {url}"));

    let output = turret(["inspect", "--", "/nonexistent/mcp-server", "--stdio"]);
    assert_fails_with(&output, 2, "cannot start `/nonexistent/mcp-server --stdio`");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let output = turret([
        "inspect",
        "--connect-timeout",
        "0.5",
        "--",
        "sh",
        "-c",
        "cat >/dev/null",
    ]);
    assert_fails_with(
        &output,
        2,
        "no answer to the protocol negotiation within 0.5 s",
    );
}

#[test]
fn bad_command_lines_exit_2_before_connecting() {
    // Nothing listens at the URL: a connection attempt would fail with another message.
    let url = dead_url();
    let cases: &[(&[&str], &str)] = &[
        (&["inspect"], "no server given"),
        (&["inspect", &url, "--", "srv"], "not both"),
        (&["call", &url], "give the server's URL and the tool's name"),
        (&["call", &url, "t", "--", "srv"], "not both"),
        (
            &["call", &url, "t", "novalue"],
            "\"novalue\" is not KEY=VALUE",
        ),
        (&["call", &url, "t", "--json", "[1]"], "not an array"),
        (&["call", &url, "t", "a=1", "--json", "{}"], "not both"),
        (
            &["inspect", "--connect-timeout", "soon", &url],
            "not a number of seconds",
        ),
    ];
    for (args, expected) in cases {
        assert_fails_with(&turret(*args), 2, expected);
    }
}
