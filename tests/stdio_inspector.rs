//! The MCP Inspector CLI against the fixture server over stdio: list, call, read and get,
//! asserting on the JSON it prints.
//!
//! Needs the external harness (`../shared/harness/setup.sh`); CI installs it.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};

/// Runs `inspector --cli <args> -- <fixture server>`.
fn inspector(args: &[&str]) -> Output {
    let inspector = fixture::harness_program("npm/node_modules/.bin/inspector");
    fixture::run_with_timeout(
        Command::new(inspector)
            .arg("--cli")
            .args(args)
            .arg("--")
            .arg(fixture::fixture_server())
            .env("PATH", fixture::harness_path_env()),
        Duration::from_secs(120),
    )
}

fn describe(args: &[&str], output: &Output) -> String {
    format!(
        "inspector --cli {} exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs the inspector, expects exit code `code`, and parses the JSON it printed.
fn inspect_with_code(args: &[&str], code: i32) -> Value {
    let output = inspector(args);
    let report = describe(args, &output);
    assert_eq!(output.status.code(), Some(code), "{report}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the output is not one JSON document ({e})\n{report}"))
}

fn inspect(args: &[&str]) -> Value {
    inspect_with_code(args, 0)
}

fn names<'a>(list: &'a Value, key: &str, field: &str) -> Vec<&'a str> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} array in {list}"))
        .iter()
        .filter_map(|item| item[field].as_str())
        .collect()
}

#[test]
fn tools_list_shows_every_fixture_tool() {
    let list = inspect(&["--method", "tools/list"]);
    let tools = names(&list, "tools", "name");
    for expected in [
        "test_simple_text",
        "test_image_content",
        "test_audio_content",
        "test_embedded_resource",
        "test_multiple_content_types",
        "test_tool_with_logging",
        "test_tool_with_progress",
        "test_error_handling",
        "test_sampling",
        "test_elicitation",
        "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums",
        "json_schema_2020_12_tool",
        "test_reconnection",
        "test_missing_capability",
        "test_logging_tool",
        "test_streaming_elicitation",
        "test_trigger_tool_change",
        "test_trigger_prompt_change",
        "test_input_required_result_elicitation",
    ] {
        assert!(
            tools.contains(&expected),
            "{expected} missing from {tools:?}"
        );
    }
    for tool in list["tools"].as_array().into_iter().flatten() {
        assert!(tool["description"].is_string(), "no description: {tool}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
    }
    let schema = list["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == "json_schema_2020_12_tool")
        .map(|t| &t["inputSchema"])
        .expect("json_schema_2020_12_tool is listed");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["$defs"]["address"]["$anchor"], "addressDef");
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn tools_call_returns_the_fixture_text() {
    let result = inspect(&["--method", "tools/call", "--tool-name", "test_simple_text"]);
    assert_eq!(
        result["content"],
        json!([{ "type": "text", "text": "This is a simple text response for testing." }])
    );
    assert_ne!(result["isError"], true);
}

#[test]
fn tools_call_returns_media_and_embedded_resources() {
    let result = inspect(&[
        "--method",
        "tools/call",
        "--tool-name",
        "test_multiple_content_types",
    ]);
    let kinds: Vec<&str> = result["content"]
        .as_array()
        .expect("a content array")
        .iter()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(kinds, ["text", "image", "resource"], "{result}");
    assert_eq!(result["content"][1]["mimeType"], "image/png");
    assert_eq!(
        result["content"][2]["resource"]["uri"],
        "test://mixed-content-resource"
    );
}

#[test]
fn a_failing_tool_exits_with_the_tool_error_code() {
    // The Inspector exits 5 when a tool answers `isError: true`.
    let result = inspect_with_code(
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "test_error_handling",
        ],
        5,
    );
    assert_eq!(result["isError"], true);
    assert_eq!(
        result["content"][0]["text"],
        "This tool intentionally returns an error for testing"
    );
}

#[test]
fn resources_list_and_read() {
    let list = inspect(&["--method", "resources/list"]);
    let uris = names(&list, "resources", "uri");
    for expected in [
        "test://static-text",
        "test://static-binary",
        "test://watched-resource",
        "test://stateless-static-text",
    ] {
        assert!(uris.contains(&expected), "{expected} missing from {uris:?}");
    }
    let read = inspect(&["--method", "resources/read", "--uri", "test://static-text"]);
    assert_eq!(
        read["contents"],
        json!([{
            "uri": "test://static-text",
            "mimeType": "text/plain",
            "text": "This is the content of the static text resource."
        }])
    );
    let binary = inspect(&[
        "--method",
        "resources/read",
        "--uri",
        "test://static-binary",
    ]);
    assert_eq!(binary["contents"][0]["mimeType"], "image/png");
    assert!(binary["contents"][0]["blob"]
        .as_str()
        .is_some_and(|b| !b.is_empty()));
}

#[test]
fn resource_templates_list_and_read() {
    let list = inspect(&["--method", "resources/templates/list"]);
    assert_eq!(
        names(&list, "resourceTemplates", "uriTemplate"),
        ["test://template/{id}/data"]
    );
    let read = inspect(&[
        "--method",
        "resources/read",
        "--uri",
        "test://template/123/data",
    ]);
    let contents = &read["contents"][0];
    assert_eq!(contents["uri"], "test://template/123/data");
    let data: Value = serde_json::from_str(contents["text"].as_str().expect("text contents"))
        .expect("the template resource is JSON");
    assert_eq!(data["id"], "123");
    assert_eq!(data["templateTest"], true);
}

#[test]
fn prompts_list_and_get() {
    let list = inspect(&["--method", "prompts/list"]);
    let prompts = names(&list, "prompts", "name");
    for expected in [
        "test_simple_prompt",
        "test_prompt_with_arguments",
        "test_prompt_with_embedded_resource",
        "test_prompt_with_image",
    ] {
        assert!(
            prompts.contains(&expected),
            "{expected} missing from {prompts:?}"
        );
    }
    let simple = inspect(&[
        "--method",
        "prompts/get",
        "--prompt-name",
        "test_simple_prompt",
    ]);
    assert_eq!(
        simple["messages"],
        json!([{
            "role": "user",
            "content": { "type": "text", "text": "This is a simple prompt for testing." }
        }])
    );
    let with_args = inspect(&[
        "--method",
        "prompts/get",
        "--prompt-name",
        "test_prompt_with_arguments",
        "--prompt-args",
        "arg1=hello",
        "arg2=world",
    ]);
    assert_eq!(
        with_args["messages"][0]["content"]["text"],
        "Prompt with arguments: arg1='hello', arg2='world'"
    );
}
